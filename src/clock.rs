//! Where "now" comes from.
//!
//! Every decision Encore takes depends on the time (article age, cooldowns, slots), so the time is
//! injected: production code reads the system clock, tests and `preview --now` use a clock they set.

use chrono::{DateTime, Utc};

/// A source of wall-clock time. Injected so that schedules are reproducible in tests and previews.
pub trait Clock: Send + Sync {
    /// The current wall-clock instant.
    fn now(&self) -> DateTime<Utc>;

    /// How long to really wait for `d` of this clock's time to pass (only a test clock runs at
    /// another speed).
    fn real(&self, d: std::time::Duration) -> std::time::Duration {
        d
    }
}

/// The real wall clock (not the monotonic one: slots are wall-clock appointments).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock shifted so that it read `start` when created: `run --dry-run --now` rehearses
/// a day in the future (or the past) in real time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OffsetClock {
    offset: chrono::Duration,
}

impl OffsetClock {
    /// A clock that reads `start` now and then runs at normal speed.
    pub(crate) fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            offset: start - Utc::now(),
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// TEST ONLY (`encore run --test-clock`): a clock that runs `speed` times faster than the
/// wall clock and read `at` when the wall clock read `anchor`. Every process given the same
/// three values agrees on the time, so the crash harness (tests/it/crash.rs) can kill and restart
/// the daemon many times within a simulated month. Never meant for a real account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaledClock {
    /// What the clock read at `anchor`.
    pub at: DateTime<Utc>,
    /// A wall-clock instant.
    pub anchor: DateTime<Utc>,
    /// How many seconds pass per wall-clock second (at least 1).
    pub speed: f64,
}

impl ScaledClock {
    /// Parses `AT,ANCHOR,SPEED`: two RFC 3339 instants and a number ≥ 1.
    pub fn parse(s: &str) -> Result<ScaledClock, String> {
        let parts: Vec<&str> = s.split(',').collect();
        let [at, anchor, speed] = parts[..] else {
            return Err("expected AT,ANCHOR,SPEED (two RFC 3339 times and a number)".into());
        };
        let time = |v: &str| {
            DateTime::parse_from_rfc3339(v.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| format!("{v:?}: {e}"))
        };
        let speed: f64 = speed
            .trim()
            .parse()
            .map_err(|_| format!("{speed:?} is not a number"))?;
        if !(speed.is_finite() && (1.0..=1_000_000.0).contains(&speed)) {
            return Err(format!("speed {speed} is not between 1 and 1000000"));
        }
        Ok(ScaledClock {
            at: time(at)?,
            anchor: time(anchor)?,
            speed,
        })
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let real = (Utc::now() - self.anchor).num_microseconds().unwrap_or(0) as f64;
        self.at + chrono::Duration::microseconds((real * self.speed) as i64)
    }

    fn real(&self, d: std::time::Duration) -> std::time::Duration {
        d.div_f64(self.speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_scaled_clock_is_shared_by_every_process_given_the_same_values() {
        let anchor = Utc::now() - chrono::Duration::seconds(10);
        let c = ScaledClock::parse(&format!(
            "2026-06-01T00:00:00Z,{},3600",
            anchor.to_rfc3339()
        ))
        .unwrap();
        // 10 s of wall clock at 3600x: 10 hours (and a little more while the test runs).
        let t = c.now() - Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        assert!(
            t >= chrono::Duration::hours(10) && t < chrono::Duration::hours(11),
            "{t}"
        );
        assert_eq!(
            c.real(std::time::Duration::from_secs(7200)),
            std::time::Duration::from_secs(2)
        );
        assert!(ScaledClock::parse("2026-06-01T00:00:00Z,x,2").is_err());
        assert!(ScaledClock::parse("2026-06-01T00:00:00Z,2026-06-01T00:00:00Z,0.5").is_err());
    }
}
