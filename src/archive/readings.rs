//! What each post drew: its counts read back from the network at fixed ages after it.

use super::{history::counts_as_shared_sql, parse_time, time, Archive, ArchiveError};
use chrono::{DateTime, Utc};
use rusqlite::params;

/// A post's counts at one reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Likes (favourites).
    pub likes: u64,
    /// Reposts (reblogs, retweets).
    pub reposts: u64,
    /// Replies.
    pub replies: u64,
    /// Quotes (0 where the network does not count them).
    pub quotes: u64,
}

impl Counts {
    /// Everything the post drew, in one number: what `learn` weighs.
    pub fn total(&self) -> u64 {
        self.likes + self.reposts + self.replies + self.quotes
    }
}

/// What a reading found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The post's counts.
    Counts(Counts),
    /// The post is gone (deleted by the account, or by the network): not read again.
    Deleted,
}

/// A post whose counts are due to be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReading {
    /// The share's row.
    pub share_id: i64,
    /// The network's id of the post.
    pub post_id: String,
    /// When it was posted.
    pub at: DateTime<Utc>,
    /// The age it is read at, in seconds.
    pub after_secs: i64,
}

impl Archive {
    /// `account`'s posts whose reading at one of `ages` (seconds after the post) is due at
    /// `now` and not made yet, oldest first, at most `limit`; a post found deleted is never due
    /// again.
    pub fn due_readings(
        &self,
        account: &str,
        ages: &[i64],
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueReading>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT s.id, s.post_id, s.at FROM shares s
             WHERE s.account = ?1 AND s.outcome = 'shared' AND s.post_id IS NOT NULL AND s.at <= ?2
               AND NOT EXISTS (SELECT 1 FROM readings r WHERE r.share_id = s.id AND r.deleted = 1)
               AND NOT EXISTS (SELECT 1 FROM readings r WHERE r.share_id = s.id AND r.after_secs = ?3)
             ORDER BY s.at, s.id LIMIT ?4",
        )?;
        let mut out = Vec::new();
        for &after in ages {
            let before = now - chrono::Duration::seconds(after);
            let rows =
                stmt.query_map(params![account, time(before), after, limit as i64], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })?;
            for row in rows {
                let (share_id, post_id, at) = row?;
                let at = parse_time(&at, "shares.at")?;
                out.push(DueReading {
                    share_id,
                    post_id,
                    at,
                    after_secs: after,
                });
            }
        }
        out.sort_by_key(|d| (d.at, d.share_id, d.after_secs));
        out.truncate(limit);
        Ok(out)
    }

    /// Records one reading, in one transaction with the others of a batch.
    pub fn record_readings(
        &self,
        readings: &[(DueReading, Reading)],
        at: DateTime<Utc>,
    ) -> Result<(), ArchiveError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO readings (share_id, after_secs, at, likes, reposts, replies, quotes, deleted)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for (due, reading) in readings {
                let (c, deleted) = match reading {
                    Reading::Counts(c) => (*c, false),
                    Reading::Deleted => (Counts::default(), true),
                };
                stmt.execute(params![
                    due.share_id,
                    due.after_secs,
                    time(at),
                    c.likes as i64,
                    c.reposts as i64,
                    c.replies as i64,
                    c.quotes as i64,
                    deleted,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Readings of `account`'s posts made in `[from, to)`: what X bills.
    pub fn readings_between(
        &self,
        account: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<u64, ArchiveError> {
        let n: i64 = self
            .conn()
            .prepare_cached(
                "SELECT count(*) FROM readings r JOIN shares s ON s.id = r.share_id
             WHERE s.account = ?1 AND r.at >= ?2 AND r.at < ?3",
            )?
            .query_row(params![account, time(from), time(to)], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// The latest reading of `account`'s posts, if any: when, and how many readings in all.
    pub fn last_reading(
        &self,
        account: &str,
    ) -> Result<Option<(DateTime<Utc>, u64)>, ArchiveError> {
        let (at, n): (Option<String>, i64) = self
            .conn()
            .prepare_cached(
                "SELECT max(r.at), count(*) FROM readings r JOIN shares s ON s.id = r.share_id
             WHERE s.account = ?1",
            )?
            .query_row([account], |r| Ok((r.get(0)?, r.get(1)?)))?;
        match at {
            Some(at) => Ok(Some((parse_time(&at, "readings.at")?, n as u64))),
            None => Ok(None),
        }
    }

    /// Per share of `account` (oldest first), its article and what its latest reading found
    /// (deleted posts left out): the engagement a share log learns from.
    pub(super) fn latest_readings(
        &self,
        account: &str,
    ) -> Result<Vec<(String, u64)>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT s.article_key, r.likes + r.reposts + r.replies + r.quotes FROM shares s
             JOIN readings r ON r.share_id = s.id
             WHERE s.account = ?1 AND s.article_key IS NOT NULL AND s.outcome IN {}
               AND r.deleted = 0
               AND r.after_secs = (SELECT max(after_secs) FROM readings WHERE share_id = s.id)
             ORDER BY s.at, s.id",
            counts_as_shared_sql()
        ))?;
        let rows = stmt.query_map([account], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key, total) = row?;
            out.push((key, total.max(0) as u64));
        }
        Ok(out)
    }
}

/// A post with what its readings found: a report's row.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadShare {
    /// The account.
    pub account: String,
    /// The article.
    pub article_key: String,
    /// Its link as posted.
    pub url: String,
    /// When it was posted.
    pub at: DateTime<Utc>,
    /// (age in seconds, counts) of each reading, youngest age first; deleted posts have none.
    pub readings: Vec<(i64, Counts)>,
    /// Whether a reading found the post deleted.
    pub deleted: bool,
}

impl Archive {
    /// Every post made since `since` (of `account` only, when given), with its readings,
    /// oldest first: what `encore report` reads.
    pub fn read_shares(
        &self,
        since: DateTime<Utc>,
        account: Option<&str>,
    ) -> Result<Vec<ReadShare>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT s.id, s.account, s.article_key, s.url, s.at, r.after_secs, r.likes, r.reposts,
                    r.replies, r.quotes, r.deleted
             FROM shares s LEFT JOIN readings r ON r.share_id = s.id
             WHERE s.outcome = 'shared' AND s.article_key IS NOT NULL AND s.at >= ?1
               AND (?2 IS NULL OR s.account = ?2)
             ORDER BY s.at, s.id, r.after_secs",
        )?;
        let rows = stmt.query_map(params![time(since), account], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                ),
                r.get::<_, Option<i64>>(5)?,
                [r.get::<_, Option<i64>>(6)?, r.get(7)?, r.get(8)?, r.get(9)?],
                r.get::<_, Option<bool>>(10)?,
            ))
        })?;
        let mut out: Vec<ReadShare> = Vec::new();
        let mut last_id = None;
        for row in rows {
            let (id, (account, article_key, url, at), after, c, deleted) = row?;
            if last_id != Some(id) {
                last_id = Some(id);
                out.push(ReadShare {
                    account,
                    url: url.unwrap_or_else(|| article_key.clone()),
                    article_key,
                    at: parse_time(&at, "shares.at")?,
                    readings: Vec::new(),
                    deleted: false,
                });
            }
            let (Some(share), Some(after)) = (out.last_mut(), after) else {
                continue;
            };
            if deleted == Some(true) {
                share.deleted = true;
                continue;
            }
            let n = |v: Option<i64>| v.unwrap_or(0).max(0) as u64;
            let counts = Counts {
                likes: n(c[0]),
                reposts: n(c[1]),
                replies: n(c[2]),
                quotes: n(c[3]),
            };
            share.readings.push((after, counts));
        }
        Ok(out)
    }
}
