//! The daemon's own chores besides posting: reading the feed every `[feed] refresh`, and a
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

/// When a chore next falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chore {
    /// Read the feed.
    RefreshFeed,
    /// Flush the state and say how big the archive is.
    Housekeeping,
}

/// The next due time of each chore.
#[derive(Debug, Clone)]
pub(crate) struct Chores {
    every: Duration,
    refresh: DateTime<Utc>,
    housekeeping: DateTime<Utc>,
}

impl Chores {
    /// Chores for a feed read every `every`, the first ones after `now`.
    pub(crate) fn new(every: std::time::Duration, now: DateTime<Utc>) -> Chores {
        let every = Duration::from_std(every).unwrap_or(Duration::hours(1));
        Chores {
            every,
            refresh: next_refresh(every, now),
            housekeeping: next_aligned(DAY_SECS, HOUSEKEEPING_OFFSET_SECS, now),
        }
    }

    /// The earliest due time.
    pub(crate) fn next(&self) -> DateTime<Utc> {
        self.refresh.min(self.housekeeping)
    }

    /// The chores due at `now`, each moved to its next time after `now` (one run for any
    /// number of missed times: a suspended machine reads the feed once, not once per hour).
    pub(crate) fn due(&mut self, now: DateTime<Utc>) -> Vec<Chore> {
        let mut out = Vec::new();
        if self.refresh <= now {
            out.push(Chore::RefreshFeed);
            self.refresh = next_refresh(self.every, now);
        }
        if self.housekeeping <= now {
            out.push(Chore::Housekeeping);
            self.housekeeping = next_aligned(DAY_SECS, HOUSEKEEPING_OFFSET_SECS, now);
        }
        out
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

    #[test]
    fn whole_hours_run_at_seven_past_on_utc_multiples() {
        let six = std::time::Duration::from_secs(6 * 3600);
        let c = Chores::new(six, at(5, 0, 0));
        assert_eq!(c.refresh, at(6, 7, 0));
        let c = Chores::new(six, at(6, 7, 0));
        assert_eq!(c.refresh, at(12, 7, 0), "strictly after now");
        let c = Chores::new(std::time::Duration::from_secs(3600), at(23, 30, 0));
        assert_eq!(
            c.refresh,
            Utc.with_ymd_and_hms(2026, 6, 2, 0, 7, 0).unwrap()
        );
    }

    #[test]
    fn minutes_that_divide_an_hour_run_on_the_quarter() {
        let c = Chores::new(std::time::Duration::from_secs(15 * 60), at(10, 16, 5));
        assert_eq!(c.refresh, at(10, 30, 0));
    }

    #[test]
    fn other_intervals_count_from_now() {
        let c = Chores::new(std::time::Duration::from_secs(5 * 3600), at(10, 16, 5));
        assert_eq!(c.refresh, at(15, 16, 5));
    }

    #[test]
    fn missed_times_run_once_and_housekeeping_is_daily() {
        let mut c = Chores::new(std::time::Duration::from_secs(3600), at(1, 0, 0));
        assert_eq!(c.housekeeping, at(3, 17, 0));
        assert_eq!(c.next(), at(1, 7, 0));
        assert!(c.due(at(1, 6, 59)).is_empty());
        // Asleep from 01:00 to 05:00: one feed read, one housekeeping.
        assert_eq!(
            c.due(at(5, 0, 0)),
            vec![Chore::RefreshFeed, Chore::Housekeeping]
        );
        assert_eq!(c.refresh, at(5, 7, 0));
        assert_eq!(
            c.housekeeping,
            Utc.with_ymd_and_hms(2026, 6, 2, 3, 17, 0).unwrap()
        );
    }
}
