//! What a month of posting costs.
//!
//! X bills per post since 2026 ($0.20 for a post with a link). The month is the calendar month
//! in the configured time zone, the one the admin reads on the invoice and in `encore history`;
//! spend is counted from the history, so it survives restarts with no extra state.

use crate::archive::{Archive, ArchiveError};
use chrono::{DateTime, Datelike, TimeZone, Utc};

/// Start of the month containing `now`, and start of the next one, in `tz`.
pub(crate) fn month_bounds(
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let local = now.with_timezone(&tz);
    let (y, m) = (local.year(), local.month());
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let start = |y: i32, m: u32| {
        // Midnight on the 1st exists in every zone chrono-tz knows except across a DST gap,
        // where the earliest valid instant is taken.
        tz.with_ymd_and_hms(y, m, 1, 0, 0, 0)
            .earliest()
            .or_else(|| tz.with_ymd_and_hms(y, m, 1, 1, 0, 0).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now)
    };
    (start(y, m), start(ny, nm))
}

/// Posts of `account` this month that may have been billed.
pub(crate) fn billed_posts(
    archive: &Archive,
    account: &str,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<usize, ArchiveError> {
    let (start, end) = month_bounds(tz, now);
    Ok(archive
        .history(account)?
        .iter()
        .filter(|r| r.outcome.costs() && r.at >= start && r.at < end)
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_is_the_local_calendar_month() {
        let tz: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        // 23:30 UTC on 31 December is already January in Paris.
        let now = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        let (start, next) = month_bounds(tz, now);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap());
        assert_eq!(next, Utc.with_ymd_and_hms(2027, 1, 31, 23, 0, 0).unwrap());
    }
}
