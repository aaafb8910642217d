//! The daemon's own chores besides posting: reading each feed every `refresh`, and a
//! daily housekeeping flush. They run at fixed UTC times (a 6-hour refresh at 00:07, 06:07, …;
//! a 15-minute one at :00, :15, …) so that restarts and several daemons keep one rhythm, and
//! the loop sleeps until the earliest of them and the next slot.
//!
//! Computed here rather than by a polling scheduler: tokio-cron-scheduler, used before, wakes
//! every 500 ms to look for due jobs (120 wake-ups a minute on an idle machine; BENCHMARKS.md).

use chrono::{DateTime, Duration, Utc};

/// Housekeeping runs daily at 03:17 UTC (a quiet hour, off the round times other jobs take).
const HOUSEKEEPING_OFFSET_SECS: i64 = 3 * 3600 + 17 * 60;
const DAY_SECS: i64 = 86_400;
const HOUR_SECS: i64 = 3600;
/// Read-backs at 41 minutes past the hour: away from the feeds' 7 past and the round hours.
const ENGAGEMENT_OFFSET_SECS: i64 = 41 * 60;

/// When a chore next falls due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Chore {
    /// Read these feeds (by name).
    RefreshFeeds(Vec<String>),
    /// Flush the state and say how big the archive is.
    Housekeeping,
    /// Read back what posts drew (hourly).
    ReadEngagement,
}

/// One feed's read schedule.
#[derive(Debug, Clone)]
struct FeedClock {
    name: String,
    every: Duration,
    offset: Option<i64>,
    next: DateTime<Utc>,
}

/// The next due time of each chore.
#[derive(Debug, Clone)]
pub(crate) struct Chores {
    feeds: Vec<FeedClock>,
    housekeeping: DateTime<Utc>,
    engagement: DateTime<Utc>,
}

impl Chores {
    /// Chores for feeds read every so often (`(name, every)`), the first ones after `now`. The
    /// config's single unnamed feed keeps the fixed rhythm below; any other feed is read at a
    /// stable offset of its own inside its interval (a hash of its name), so that 200 feeds
    /// never all knock at the same second, and a restart keeps each one's time.
    pub(crate) fn new(feeds: &[(String, std::time::Duration)], now: DateTime<Utc>) -> Chores {
        let feeds = feeds
            .iter()
            .map(|(name, every)| {
                let every = Duration::from_std(*every).unwrap_or(Duration::hours(1));
                let offset = (name != crate::config::MAIN_FEED).then(|| spread(name, every));
                FeedClock {
                    name: name.clone(),
                    every,
                    offset,
                    next: next_read(every, offset, now),
                }
            })
            .collect();
        Chores {
            feeds,
            housekeeping: next_aligned(DAY_SECS, HOUSEKEEPING_OFFSET_SECS, now),
            engagement: next_aligned(HOUR_SECS, ENGAGEMENT_OFFSET_SECS, now),
        }
    }

    /// The earliest due time.
    pub(crate) fn next(&self) -> DateTime<Utc> {
        let reads = self.feeds.iter().map(|f| f.next);
        reads.fold(self.housekeeping.min(self.engagement), DateTime::min)
    }

    /// The chores due at `now`, each moved to its next time after `now` (one run for any
    /// number of missed times: a suspended machine reads a feed once, not once per hour).
    pub(crate) fn due(&mut self, now: DateTime<Utc>) -> Vec<Chore> {
        let mut out = Vec::new();
        let mut reads = Vec::new();
        for f in self.feeds.iter_mut().filter(|f| f.next <= now) {
            reads.push(f.name.clone());
            f.next = next_read(f.every, f.offset, now);
        }
        if !reads.is_empty() {
            out.push(Chore::RefreshFeeds(reads));
        }
        if self.housekeeping <= now {
            out.push(Chore::Housekeeping);
            self.housekeeping = next_aligned(DAY_SECS, HOUSEKEEPING_OFFSET_SECS, now);
        }
        if self.engagement <= now {
            out.push(Chore::ReadEngagement);
            self.engagement = next_aligned(HOUR_SECS, ENGAGEMENT_OFFSET_SECS, now);
        }
        out
    }
}

/// A feed's stable offset inside its interval, from its name (FNV-1a: the same on every
/// machine and every run, unlike the standard library's hasher).
fn spread(name: &str, every: Duration) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let period = u64::try_from(every.num_seconds().max(1)).unwrap_or(1);
    i64::try_from(h % period).unwrap_or(0)
}

/// The next read after `now`: at the feed's own offset past multiples of its interval, or (the
/// main feed) on the fixed rhythm.
fn next_read(every: Duration, offset: Option<i64>, now: DateTime<Utc>) -> DateTime<Utc> {
    match offset {
        Some(o) => next_aligned(every.num_seconds().max(1), o, now),
        None => next_refresh(every, now),
    }
}

/// Refresh times: an interval that divides a day evenly runs on UTC multiples of it (at 7
/// minutes past for whole hours, so that many blogs' readers do not all knock on the hour);
/// another runs `every` after `now`.
fn next_refresh(every: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    let secs = every.num_seconds().max(1);
    if DAY_SECS % secs != 0 {
        return now + every;
    }
    let offset = if secs % 3600 == 0 { 7 * 60 } else { 0 };
    next_aligned(secs, offset, now)
}

/// The first time after `now` that is `offset` seconds past a UTC multiple of `period`.
fn next_aligned(period: i64, offset: i64, now: DateTime<Utc>) -> DateTime<Utc> {
    let t = now.timestamp();
    let base = (t - offset).div_euclid(period) * period + offset;
    let next = if base > t { base } else { base + period };
    DateTime::from_timestamp(next, 0).unwrap_or(now + Duration::seconds(period))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, h, m, s).unwrap()
    }

    fn main(every: u64, now: DateTime<Utc>) -> Chores {
        let feeds = [(
            crate::config::MAIN_FEED.to_string(),
            std::time::Duration::from_secs(every),
        )];
        Chores::new(&feeds, now)
    }

    #[test]
    fn whole_hours_run_at_seven_past_on_utc_multiples() {
        let c = main(6 * 3600, at(5, 0, 0));
        assert_eq!(c.feeds[0].next, at(6, 7, 0));
        let c = main(6 * 3600, at(6, 7, 0));
        assert_eq!(c.feeds[0].next, at(12, 7, 0), "strictly after now");
        let c = main(3600, at(23, 30, 0));
        assert_eq!(
            c.feeds[0].next,
            Utc.with_ymd_and_hms(2026, 6, 2, 0, 7, 0).unwrap()
        );
    }

    #[test]
    fn minutes_that_divide_an_hour_run_on_the_quarter() {
        let c = main(15 * 60, at(10, 16, 5));
        assert_eq!(c.feeds[0].next, at(10, 30, 0));
    }

    #[test]
    fn other_intervals_count_from_now() {
        let c = main(5 * 3600, at(10, 16, 5));
        assert_eq!(c.feeds[0].next, at(15, 16, 5));
    }

    #[test]
    fn named_feeds_are_spread_over_the_interval_at_stable_offsets() {
        let names: Vec<(String, std::time::Duration)> = (0..200)
            .map(|i| {
                (
                    format!("blog-{i}"),
                    std::time::Duration::from_secs(6 * 3600),
                )
            })
            .collect();
        let c = Chores::new(&names, at(0, 0, 0));
        let mut seconds: Vec<i64> = c.feeds.iter().map(|f| f.next.timestamp()).collect();
        seconds.sort();
        seconds.dedup();
        assert!(
            seconds.len() >= 195,
            "{} distinct seconds of 200",
            seconds.len()
        );
        // Every read falls within the first interval, and a restart later keeps each offset.
        assert!(c.feeds.iter().all(|f| f.next <= at(6, 0, 0)));
        let later = Chores::new(&names, at(1, 23, 45));
        for (a, b) in c.feeds.iter().zip(&later.feeds) {
            let step = (b.next - a.next).num_seconds();
            assert_eq!(step % (6 * 3600), 0, "{}", a.name);
        }
    }

    #[test]
    fn missed_times_run_once_and_housekeeping_is_daily() {
        let mut c = main(3600, at(1, 0, 0));
        assert_eq!(c.housekeeping, at(3, 17, 0));
        assert_eq!(c.next(), at(1, 7, 0));
        assert!(c.due(at(1, 6, 59)).is_empty());
        assert_eq!(c.engagement, at(1, 41, 0), "read-backs at 41 past the hour");
        // Asleep from 01:00 to 05:00: one feed read, one housekeeping, one read-back round.
        assert_eq!(
            c.due(at(5, 0, 0)),
            vec![
                Chore::RefreshFeeds(vec![crate::config::MAIN_FEED.to_string()]),
                Chore::Housekeeping,
                Chore::ReadEngagement
            ]
        );
        assert_eq!(c.engagement, at(5, 41, 0));
        assert_eq!(c.feeds[0].next, at(5, 7, 0));
        assert_eq!(
            c.housekeeping,
            Utc.with_ymd_and_hms(2026, 6, 2, 3, 17, 0).unwrap()
        );
    }
}
