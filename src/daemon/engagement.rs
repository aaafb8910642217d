//! Reading back what the daemon's posts drew: at each age of `[engagement] read_after`, the
//! counts of every post that reached it, batched per account, within the network's rate limits
//! and, where reads are billed (X), within the month's budget. Never in a dry run.

use super::Daemon;
use crate::archive::{ArchiveError, DueReading, Reading};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The most posts one account's round reads (X: one call; Mastodon: 50 calls, well inside its
/// 300 a 5 minutes).
const ROUND: usize = 50;

impl Daemon {
    /// One round of read-backs (the daemon runs one an hour): for each account that reads
    /// its engagement, the posts whose reading is due, read and recorded. A network that
    /// refuses (rate limit, outage) is tried again next round; nothing is retried at once.
    pub async fn read_engagement(&mut self, now: DateTime<Utc>) -> Result<(), ArchiveError> {
        if self.ledger.dry_run() || self.config.read_after.is_empty() {
            return Ok(());
        }
        let ages: Vec<i64> = self
            .config
            .read_after
            .iter()
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .collect();
        let tz = self.config.timezone;
        for lane in self.lanes.iter().filter(|l| l.account.engagement) {
            let archive = self.ledger.archive();
            let due = archive.due_readings(lane.name(), &ages, now, ROUND)?;
            if due.is_empty() {
                continue;
            }
            let mut ids: Vec<String> = due.iter().map(|d| d.post_id.clone()).collect();
            ids.dedup();
            let budget = &lane.account.budget;
            if crate::budget::limits_reads(budget) {
                let spent = self.ledger.month_spend(&lane.account, tz, now)?;
                ids.truncate(crate::budget::reads_allowed(budget, spent, ids.len()));
            }
            if ids.is_empty() {
                tracing::info!(account = %lane.name(), "post counts not read: the monthly budget leaves no room");
                continue;
            }
            match lane.network.engagement(&ids).await {
                Ok(read) => record(archive, lane.name(), &due, read, now)?,
                Err(e) => {
                    tracing::info!(account = %lane.name(), "post counts not read ({e}); next round in an hour")
                }
            }
        }
        Ok(())
    }
}

/// Records what a round read: a post's reading goes to each of its due ages.
fn record(
    archive: &crate::archive::Archive,
    account: &str,
    due: &[DueReading],
    read: Vec<(String, Reading)>,
    now: DateTime<Utc>,
) -> Result<(), ArchiveError> {
    let by_id: HashMap<&str, Reading> = read.iter().map(|(id, r)| (id.as_str(), *r)).collect();
    let pairs: Vec<(DueReading, Reading)> = due
        .iter()
        .filter_map(|d| Some((d.clone(), *by_id.get(d.post_id.as_str())?)))
        .collect();
    let deleted = pairs.iter().filter(|(_, r)| *r == Reading::Deleted).count();
    archive.record_readings(&pairs, now)?;
    tracing::info!(account = %account, "read back {} posts' counts ({deleted} deleted)", by_id.len());
    Ok(())
}
