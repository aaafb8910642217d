//! What a month of posting costs.
//!
//! X bills per post since 2026 ($0.20 for a post with a link). The month is the calendar month
//! in the configured time zone, the one the admin reads on the invoice and in `encore history`;
//! spend is counted from the history, so it survives restarts with no extra state. Reading back
//! what posts drew is billed too on X ($0.005 a post returned): those reads count beside the
//! posts, and are only made while the budget leaves room for them and for one more post.

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

/// Reads of `account`'s post counts made this month.
pub(crate) fn billed_reads(
    archive: &Archive,
    account: &str,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<u64, ArchiveError> {
    let (start, end) = month_bounds(tz, now);
    archive.readings_between(account, start, end)
}

/// An account's month so far: what it was billed for, and what that cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Month {
    /// Posts that may have been billed.
    pub(crate) posts: usize,
    /// Post counts read back.
    pub(crate) reads: u64,
    /// What they cost, in US dollars.
    pub(crate) usd: f64,
}

/// `account`'s month so far, from the state: what `status`, `history` and `report` print.
pub(crate) fn month(
    archive: &Archive,
    account: &crate::config::Account,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Month, ArchiveError> {
    let posts = billed_posts(archive, &account.name, tz, now)?;
    let reads = billed_reads(archive, &account.name, tz, now)?;
    let usd = spend(&account.budget, posts, reads);
    Ok(Month { posts, reads, usd })
}

/// What `posts` and `reads` cost under `budget`.
pub(crate) fn spend(budget: &crate::config::Budget, posts: usize, reads: u64) -> f64 {
    posts as f64 * budget.cost_per_post_usd + reads as f64 * budget.cost_per_read_usd
}

/// Whether the month's spend limits the reads of post counts (a budget, and reads that cost):
/// only then is the spend worth reading from the history before a round.
pub(crate) fn limits_reads(budget: &crate::config::Budget) -> bool {
    budget.monthly_usd.is_some() && budget.cost_per_read_usd > 0.0
}

/// How many post counts may be read now: all of them where reads cost nothing or there is no
/// budget; else as many as the month's budget leaves room for beside one more post (a read
/// never takes the place of a post).
pub(crate) fn reads_allowed(budget: &crate::config::Budget, spent: f64, wanted: usize) -> usize {
    match budget.monthly_usd {
        Some(limit) if limits_reads(budget) => {
            let room = limit - spent - budget.cost_per_post_usd;
            let n = (room / budget.cost_per_read_usd + 1e-9).floor();
            if n <= 0.0 {
                0
            } else {
                wanted.min(n as usize)
            }
        }
        _ => wanted,
    }
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

    #[test]
    fn reads_leave_room_for_one_more_post() {
        let b = crate::config::Budget {
            monthly_usd: Some(1.0),
            cost_per_post_usd: 0.20,
            cost_per_read_usd: 0.005,
        };
        // $0.70 spent: $0.30 left, $0.20 kept for a post, $0.10 for 20 reads.
        assert_eq!(reads_allowed(&b, 0.70, 100), 20);
        assert_eq!(reads_allowed(&b, 0.70, 5), 5);
        assert_eq!(reads_allowed(&b, 0.85, 100), 0);
        assert!((spend(&b, 3, 20) - 0.70).abs() < 1e-9);
        let free = crate::config::Budget {
            monthly_usd: Some(1.0),
            cost_per_post_usd: 0.0,
            cost_per_read_usd: 0.0,
        };
        assert_eq!(reads_allowed(&free, 5.0, 7), 7);
    }
}
