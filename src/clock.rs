//! Where "now" comes from.
//!
//! Every decision Encore takes depends on the time (article age, cooldowns, slots), so the time is
//! injected: production code reads the system clock, tests and `preview --now` use a clock they set.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

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
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to, so tests and previews are deterministic.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Moves the clock to `now` (backwards too: clock jumps are part of what must be tested).
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut guard = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *guard += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        // A poisoned lock still holds a valid instant: the data is a plain value.
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The wall clock shifted so that it read `start` when created: `run --dry-run --now` rehearses
/// a day in the future (or the past) in real time.
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock {
    offset: chrono::Duration,
}

impl OffsetClock {
    /// A clock that reads `start` now and then runs at normal speed.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
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
/// three values agrees on the time, so the crash harness (tests/crash.rs) can kill and restart
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
    fn manual_clock_moves_only_when_told() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let clock = ManualClock::new(t0);
        assert_eq!(clock.now(), t0);
        clock.advance(chrono::Duration::minutes(90));
        assert_eq!(clock.now(), t0 + chrono::Duration::minutes(90));
        clock.set(t0 - chrono::Duration::days(1));
        assert_eq!(clock.now(), t0 - chrono::Duration::days(1));
    }

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
