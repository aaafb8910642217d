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
}
