//! When an account posts: the day's slots in local time.
//!
//! In fixed mode slots are a pure function of (seed, account, local date, settings), so the
//! daemon, a restart and `preview` all see the same plan without storing it. Fractional rates
//! carry over from day to day through the active-day ordinal: with `per_day = 0.5`, every other
//! active day has a slot, whatever day the daemon was started.
//!
//! In auto mode the rate follows the account's measured volume and changes from day to day, so
//! each day's count is decided once, before the day, and kept ([`DayPlan`]); the fractional
//! credit carries from one day's plan to the next. Where the slots fall within a day is the same
//! pure function in both modes.

use crate::config::{AutoSettings, CadenceSettings};
use crate::seed;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The slots of `account` on local `date`, in order (fixed mode): what the tests check the
/// spreading with.
#[cfg(test)]
fn slots_for_day(
    c: &CadenceSettings,
    tz: Tz,
    account: &str,
    date: NaiveDate,
    seed: u64,
) -> Vec<DateTime<Utc>> {
    spread(
        c,
        tz,
        account,
        date,
        seed,
        count_for_day(c, account, date, seed),
    )
}

/// `n` slots on local `date`, spread over the active hours with jitter, at least `min_spacing`
/// apart (fewer when a clock change leaves no room).
pub(crate) fn spread(
    c: &CadenceSettings,
    tz: Tz,
    account: &str,
    date: NaiveDate,
    seed: u64,
    n: u32,
) -> Vec<DateTime<Utc>> {
    if n == 0 {
        return Vec::new();
    }
    let start = local_to_utc(tz, date, c.active_hours.start_secs());
    let end = local_to_utc(tz, date, c.active_hours.end_secs);
    let window = end - start;
    let spacing = Duration::from_std(c.min_spacing).unwrap_or(Duration::zero());
    // A clock change inside the window can shorten it: never squeeze slots closer than allowed.
    let fit = if spacing.is_zero() {
        n
    } else {
        (window.num_seconds() / spacing.num_seconds().max(1)).max(0) as u32
    };
    let n = n.min(fit);
    if n == 0 {
        return Vec::new();
    }
    let seg = window / n as i32;
    let slack = (seg - spacing).num_seconds().max(0);
    let day = date.to_string();
    (0..n)
        .map(|i| {
            // Slot i lies in [seg_i, seg_i + seg - spacing]: consecutive slots (and the last slot
            // and the next day's first) are always at least `spacing` apart.
            let u = seed::unit(
                seed,
                &[account.as_bytes(), day.as_bytes(), &i.to_le_bytes()],
            );
            start + seg * i as i32 + Duration::seconds((u * slack as f64) as i64)
        })
        .collect()
}

/// How many posts `account` makes on `date`: 0 on days not listed; otherwise the whole part of
/// the running credit, which grows by `per_day` each active day from a per-account phase.
pub(crate) fn count_for_day(c: &CadenceSettings, account: &str, date: NaiveDate, seed: u64) -> u32 {
    if !c.days.contains(&date.weekday()) {
        return 0;
    }
    let k = active_day_ordinal(&c.days, date) as f64;
    let phase = seed::unit(seed, &[account.as_bytes(), b"phase"]);
    let before = (c.per_day * k + phase).floor();
    let after = (c.per_day * (k + 1.0) + phase).floor();
    (after - before).max(0.0) as u32
}

/// Number of active days from Monday 1970-01-05 up to (not including) `date`.
fn active_day_ordinal(days: &[chrono::Weekday], date: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 5).unwrap_or_default(); // a Monday; valid date
    let d = (date - epoch).num_days();
    let weeks = d.div_euclid(7);
    let rem = d.rem_euclid(7) as u32;
    let partial = days
        .iter()
        .filter(|w| w.num_days_from_monday() < rem)
        .count() as i64;
    weeks * days.len() as i64 + partial
}

/// The instant of local time `secs` after midnight on `date`. In a spring-forward gap the
/// first instant after the gap is used; in a fall-back overlap, the earlier one.
pub(crate) fn local_to_utc(tz: Tz, date: NaiveDate, secs: u32) -> DateTime<Utc> {
    let naive: NaiveDateTime =
        date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(i64::from(secs));
    let mut probe = naive;
    for _ in 0..4 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, _) => return a.with_timezone(&Utc),
            LocalResult::None => probe += Duration::minutes(30),
        }
    }
    Utc.from_utc_datetime(&naive)
}

/// Every slot of the account in `[from, until)` (fixed mode).
pub(crate) fn slots_between(
    c: &CadenceSettings,
    tz: Tz,
    account: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    seed: u64,
) -> Vec<DateTime<Utc>> {
    slots_between_with(c, tz, account, from, until, seed, &|d| {
        count_for_day(c, account, d, seed)
    })
}

/// Every slot in `[from, until)` with the day counts `count` gives.
pub(crate) fn slots_between_with(
    c: &CadenceSettings,
    tz: Tz,
    account: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    seed: u64,
    count: &dyn Fn(NaiveDate) -> u32,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut date = from.with_timezone(&tz).date_naive() - Duration::days(1);
    let last = until.with_timezone(&tz).date_naive();
    while date <= last {
        out.extend(
            spread(c, tz, account, date, seed, count(date))
                .into_iter()
                .filter(|t| *t >= from && *t < until),
        );
        date += Duration::days(1);
    }
    out
}

/// Auto mode's slots in `[from, until)`: the kept day plans, then, past them (or from `today`
/// when none is kept), a projection at `rate`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn auto_slots_between(
    c: &CadenceSettings,
    tz: Tz,
    account: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    seed: u64,
    plans: &Plans,
    rate: f64,
    today: NaiveDate,
) -> Vec<DateTime<Utc>> {
    slots_between_with(c, tz, account, from, until, seed, &|d| {
        plans.count(c, account, seed, d, today, rate)
    })
}

/// Auto mode's rate per active day for an organic `volume` per day:
/// clamp(share_of_volume × volume, min_per_week / active days a week, max_per_day).
pub(crate) fn auto_rate(volume: f64, a: &AutoSettings, active_days: usize) -> f64 {
    let floor = a.min_per_week / active_days.max(1) as f64;
    (a.share_of_volume * volume.max(0.0))
        .max(floor)
        .min(a.max_per_day)
}

/// Why auto mode gives `rate` for `volume`: one phrase for the log, `preview` and `status`.
pub(crate) fn explain_rate(
    rate: f64,
    volume: &crate::volume::Volume,
    a: &AutoSettings,
    active_days: usize,
) -> String {
    format!(
        "{rate:.2} posts per active day = {:.0}% of organic volume {volume}, kept within {:.2}-{}",
        a.share_of_volume * 100.0,
        a.min_per_week / active_days.max(1) as f64,
        a.max_per_day
    )
}

/// One day of an auto-mode account, decided before the day and kept in the state, so that a
/// restart mid-day keeps the day's slots and the log can say why there are this many.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DayPlan {
    /// The local date.
    pub date: NaiveDate,
    /// Organic posts per day the rate was derived from.
    pub volume: f64,
    /// How the volume was known (measured over which window, or assumed and why).
    pub basis: String,
    /// Posts per active day.
    pub rate: f64,
    /// Posts on this date.
    pub count: u32,
    /// Fractional credit carried to the next day.
    pub credit_after: f64,
}

/// The day's count and the credit it leaves: the whole part of credit + rate on active days;
/// an inactive day posts nothing and keeps the credit.
pub(crate) fn plan_day(
    c: &CadenceSettings,
    date: NaiveDate,
    rate: f64,
    credit_before: f64,
) -> (u32, f64) {
    if !c.days.contains(&date.weekday()) {
        return (0, credit_before);
    }
    let total = credit_before + rate;
    let count = total.floor().max(0.0);
    (count as u32, total - count)
}

/// The credit an auto-mode account starts with: a per-account phase, so that accounts (and
/// installations) with a low rate do not all post on the same day.
pub(crate) fn initial_credit(account: &str, seed: u64) -> f64 {
    seed::unit(seed, &[account.as_bytes(), b"phase"])
}

/// An auto-mode account's kept day plans, and how the days after them would go at a given
/// rate (for `next_slot` and `preview`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plans {
    /// The kept days, by date.
    pub days: std::collections::BTreeMap<NaiveDate, DayPlan>,
}

impl Plans {
    /// Days of plans kept: enough for the daemon's look-back after a pause.
    pub const KEEP_DAYS: i64 = 8;

    /// Adds a day's plan and forgets those older than [`Plans::KEEP_DAYS`].
    pub fn insert(&mut self, plan: DayPlan) {
        let oldest = plan.date - Duration::days(Self::KEEP_DAYS);
        self.days.insert(plan.date, plan);
        self.days.retain(|d, _| *d >= oldest);
    }

    /// The latest plan.
    pub fn last(&self) -> Option<&DayPlan> {
        self.days.values().next_back()
    }

    /// Posts on `date`: the kept plan; after the last kept plan (or from `today` when none is
    /// kept), projected at `rate`; before it, none (a day the daemon did not plan).
    pub fn count(
        &self,
        c: &CadenceSettings,
        account: &str,
        seed: u64,
        date: NaiveDate,
        today: NaiveDate,
        rate: f64,
    ) -> u32 {
        if let Some(p) = self.days.get(&date) {
            return p.count;
        }
        let (mut day, mut credit) = match self.last() {
            Some(l) => (l.date + Duration::days(1), l.credit_after),
            None => (today, initial_credit(account, seed)),
        };
        if date < day {
            return 0;
        }
        loop {
            let (n, after) = plan_day(c, day, rate, credit);
            if day == date {
                return n;
            }
            credit = after;
            day += Duration::days(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ActiveHours, CadenceMode};
    use chrono::{Timelike, Weekday};

    fn settings(per_day: f64, hours: &str, spacing_h: u64) -> CadenceSettings {
        CadenceSettings {
            mode: CadenceMode::Fixed,
            per_day,
            active_hours: hours.parse::<ActiveHours>().unwrap(),
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ],
            min_spacing: std::time::Duration::from_secs(spacing_h * 3600),
            grace: std::time::Duration::from_secs(900),
            pause_after_new_post: None,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn fractional_rates_carry_over() {
        for (rate, days, expected) in [
            (0.5, 28, 14),
            (1.0, 28, 28),
            (2.5, 28, 70),
            (1.0 / 7.0, 70, 10),
        ] {
            let c = settings(rate, "09:00-20:00", 2);
            let total: u32 = (0..days)
                .map(|i| count_for_day(&c, "a", date(2026, 3, 2) + Duration::days(i), 42))
                .sum();
            assert_eq!(total, expected, "rate {rate}");
        }
        // Alternating, not two-in-a-row, with 0.5.
        let c = settings(0.5, "09:00-20:00", 2);
        let counts: Vec<u32> = (0..6)
            .map(|i| count_for_day(&c, "a", date(2026, 3, 2) + Duration::days(i), 42))
            .collect();
        assert!(counts.windows(2).all(|w| w[0] + w[1] == 1), "{counts:?}");
    }

    #[test]
    fn only_listed_days_and_rate_counts_active_days() {
        let mut c = settings(1.0, "09:00-20:00", 2);
        c.days = vec![Weekday::Mon, Weekday::Wed, Weekday::Fri];
        let week: Vec<u32> = (0..7)
            .map(|i| count_for_day(&c, "a", date(2026, 3, 2) + Duration::days(i), 1))
            .collect();
        assert_eq!(week, [1, 0, 1, 0, 1, 0, 0]);
    }

    #[test]
    fn slots_stay_in_window_spaced_and_off_round_minutes() {
        let tz = chrono_tz::Europe::Paris;
        let c = settings(3.0, "09:00-20:00", 2);
        let mut all = Vec::new();
        for i in 0..60 {
            let d = date(2026, 1, 1) + Duration::days(i);
            let slots = slots_for_day(&c, tz, "a", d, 9);
            assert_eq!(slots.len(), 3);
            for s in &slots {
                let l = s.with_timezone(&tz);
                assert_eq!(l.date_naive(), d);
                assert!(l.hour() >= 9 && l.hour() < 20, "{l}");
            }
            all.extend(slots);
        }
        assert!(all.windows(2).all(|w| w[1] - w[0] >= Duration::hours(2)));
        let round = all
            .iter()
            .filter(|t| t.second() == 0 && t.minute() % 5 == 0)
            .count();
        assert!(round < 5, "{round} slots on round minutes");
    }

    #[test]
    fn dst_days_in_paris_keep_local_hours() {
        let tz = chrono_tz::Europe::Paris;
        // 2026-03-29: 02:00 → 03:00. 2026-10-25: 03:00 → 02:00.
        for d in [date(2026, 3, 29), date(2026, 10, 25)] {
            for seed in 0..50 {
                let c = settings(2.0, "09:00-20:00", 2);
                for s in slots_for_day(&c, tz, "a", d, seed) {
                    let l = s.with_timezone(&tz);
                    assert_eq!(l.date_naive(), d);
                    assert!((9..20).contains(&l.hour()), "{l}");
                }
                // A window that straddles the change: 01:00-05:00 is 3 real hours in March.
                let night = settings(1.0, "01:00-05:00", 1);
                for s in slots_for_day(&night, tz, "a", d, seed) {
                    let l = s.with_timezone(&tz);
                    assert!((1..5).contains(&l.hour()), "{l}");
                }
            }
        }
        assert_eq!(
            local_to_utc(tz, date(2026, 3, 29), 2 * 3600 + 1800)
                .with_timezone(&tz)
                .hour(),
            3
        );
        assert_eq!(
            local_to_utc(tz, date(2026, 10, 25), 2 * 3600 + 1800),
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap(),
            "ambiguous: the earlier instant"
        );
    }

    #[test]
    fn plan_is_independent_of_when_it_is_asked() {
        let tz = chrono_tz::Europe::Paris;
        let c = settings(1.5, "09:00-20:00", 2);
        let from = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
        let all = slots_between(&c, tz, "a", from, from + Duration::days(10), 5);
        let later = slots_between(
            &c,
            tz,
            "a",
            from + Duration::days(3),
            from + Duration::days(10),
            5,
        );
        assert_eq!(&all[all.len() - later.len()..], &later[..]);
        assert_eq!(all.len(), 15);
    }

    fn auto(share: f64, max: f64, min_week: f64) -> AutoSettings {
        AutoSettings {
            share_of_volume: share,
            max_per_day: max,
            min_per_week: min_week,
            volume_window_days: 7,
            assumed_daily_volume: 1.0,
        }
    }

    #[test]
    fn auto_rate_follows_the_documented_table() {
        let default = auto(0.4, 3.0, 1.0);
        for (volume, want) in [
            (0.0, 1.0 / 7.0),
            (0.5, 0.2),
            (1.0, 0.4),
            (3.0, 1.2),
            (5.0, 2.0),
            (7.5, 3.0),
            (20.0, 3.0),
        ] {
            let r = auto_rate(volume, &default, 7);
            assert!((r - want).abs() < 1e-9, "volume {volume}: {r} != {want}");
        }
        let custom = auto(0.25, 2.0, 2.0);
        for (volume, want) in [(0.0, 2.0 / 7.0), (1.0, 2.0 / 7.0), (5.0, 1.25), (20.0, 2.0)] {
            let r = auto_rate(volume, &custom, 7);
            assert!((r - want).abs() < 1e-9, "volume {volume}: {r} != {want}");
        }
        // Weekdays only: one a week over five active days.
        assert!((auto_rate(0.0, &default, 5) - 0.2).abs() < 1e-9);
    }

    #[test]
    fn day_plans_carry_credit_and_project_ahead() {
        let c = settings(1.0, "09:00-20:00", 2);
        let d0 = date(2026, 6, 1);
        let mut plans = Plans::default();
        let mut credit = 0.9;
        let mut total = 0;
        for i in 0..10 {
            let day = d0 + Duration::days(i);
            let (count, after) = plan_day(&c, day, 0.4, credit);
            plans.insert(DayPlan {
                date: day,
                volume: 1.0,
                basis: "test".into(),
                rate: 0.4,
                count,
                credit_after: after,
            });
            credit = after;
            total += count;
        }
        assert_eq!(total, 4, "0.9 + 10 × 0.4 = 4.9");
        assert_eq!(plans.days.len() as i64, Plans::KEEP_DAYS + 1);
        // Kept days answer from the plan; later days are projected from the last credit.
        let last = d0 + Duration::days(9);
        assert_eq!(
            plans.count(&c, "a", 1, last, last, 0.4),
            plans.days[&last].count
        );
        let ahead: u32 = (1..=5)
            .map(|i| plans.count(&c, "a", 1, last + Duration::days(i), last, 3.0))
            .sum();
        assert_eq!(ahead, 15);
        assert_eq!(
            plans.count(&c, "a", 1, d0 - Duration::days(30), last, 3.0),
            0
        );
    }
}
