//! The state on disk: every article ever seen, the share history and a few settings, in one
//! SQLite file (`STATE_DIR/encore.db`).
//!
//! SQLite lives behind this module only (no rusqlite type escapes it). It is opened in WAL
//! mode, so the daemon writes while `status`, `history` and `preview` read the same file, and
//! `post-now`, `backfill` and `auth` write beside it (SQLite serialises writers; a writer waits
//! up to [`BUSY_TIMEOUT`] for another). `synchronous = FULL`: a commit is on disk when it
//! returns, which is what lets an intent be trusted before its post leaves. The schema and its
//! migrations are in `schema.rs`; README.md shows an admin how to query and back it up.

mod history;
mod owner;
mod readings;
mod schema;

pub use history::{Intent, Outcome, ShareLog, ShareRecord, Wording};
pub use readings::{Counts, DueReading, ReadShare, Reading};
pub use schema::key;

use crate::feed::Item;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// An article as Encore remembers it, whether or not it is still in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Normalised link (see [`crate::vocab::article_key`]).
    pub key: String,
    /// Link to share (the latest the feed gave).
    pub url: String,
    /// Plain-text title.
    pub title: String,
    /// Publication time; when the feed never gave one, the time Encore first saw the article.
    pub published: DateTime<Utc>,
    /// Categories and tags.
    pub categories: Vec<String>,
    /// When Encore first saw it.
    pub first_seen: DateTime<Utc>,
    /// When a feed last listed it, to the day (a read that changes nothing writes nothing).
    pub last_seen: DateTime<Utc>,
    /// The link answered 404/410 when last checked: never share it.
    #[serde(default)]
    pub dead: bool,
    /// The link led to a private address when last checked: not shared while its feed does
    /// not allow private networks.
    #[serde(default)]
    pub private_link: bool,
    /// The feed gave no date Encore could read: `published` is `first_seen`, and the article is
    /// shared only if `[select] undated = "first_seen"` says so.
    #[serde(default)]
    pub undated: bool,
    /// The name of the feed that last listed it ('' when read before feeds had names).
    #[serde(default)]
    pub feed: String,
}

/// What a feed read changed in the archive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeStats {
    /// Articles seen for the first time.
    pub new: usize,
    /// Articles already known.
    pub known: usize,
}

/// A state operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The state could not be opened or created.
    #[error("cannot open the state in {}: {reason}", path.display())]
    Open {
        /// The state directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The state was written by a newer Encore (or is an older build's sled state): it is
    /// neither read nor altered.
    #[error("{}: {reason}", path.display())]
    Foreign {
        /// The state directory or file.
        path: PathBuf,
        /// What it is and what to do.
        reason: String,
    },
    /// A read or write failed (disk full, I/O error).
    #[error("state storage error: {0}")]
    Storage(String),
    /// Another process held the state longer than [`BUSY_TIMEOUT`], or at a moment SQLite
    /// does not wait (while a new state is switched to WAL).
    #[error("the state is busy: {0}")]
    Busy(String),
    /// A stored record could not be decoded.
    #[error("corrupt record in the state ({what}): {reason}")]
    Corrupt {
        /// Which record.
        what: String,
        /// The decoder's message.
        reason: String,
    },
    /// Another process is posting this slot or this article, or has just shared the article:
    /// this post must not leave (see [`Archive::begin`]).
    #[error("{0}")]
    Taken(String),
}

impl ArchiveError {
    /// A write or read of an open state failed (disk full, I/O error): the state may work
    /// again later, unlike a corrupt record or a state made by another version.
    pub fn is_storage(&self) -> bool {
        matches!(
            self,
            ArchiveError::Storage(_) | ArchiveError::Busy(_) | ArchiveError::Open { .. }
        )
    }
}

impl From<rusqlite::Error> for ArchiveError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy) => ArchiveError::Busy(e.to_string()),
            _ => ArchiveError::Storage(storage_reason(&e)),
        }
    }
}

/// SQLite's error as an admin reads it: a full disk says so as the system does.
fn storage_reason(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => format!(
            "{} ({e})",
            std::io::Error::from_raw_os_error(28) // ENOSPC
        ),
        _ => e.to_string(),
    }
}

/// How long a writer waits for another process's write to end before giving up. A write of
/// the daemon's is a few milliseconds; a feed merge of 100,000 articles about a second.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The state file's name in the state directory.
pub(crate) const FILE: &str = "encore.db";

/// Where the state of `dir` lives.
pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The open state.
pub struct Archive {
    /// One connection, used from one task at a time; the mutex makes `Archive` shareable
    /// across the runtime's threads (a rusqlite connection is `Send`, not `Sync`).
    conn: Mutex<Connection>,
    dir: PathBuf,
}

impl Archive {
    /// Opens (or creates) the state in `dir`: `dir/encore.db`, created 0600 (its `-wal` and
    /// `-shm` files follow its mode), migrated to this build's schema.
    pub fn open(dir: &Path) -> Result<Archive, ArchiveError> {
        let open_err = |reason: String| ArchiveError::Open {
            path: dir.to_path_buf(),
            reason,
        };
        crate::private_file::create_private_dir(dir).map_err(|e| open_err(e.to_string()))?;
        let file = path(dir);
        if !file.exists() {
            refuse_sled_state(dir)?;
            create_private(&file).map_err(|e| open_err(e.to_string()))?;
        }
        let conn = Connection::open(&file).map_err(|e| open_err(storage_reason(&e)))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| open_err(storage_reason(&e)))?;
        // A state being created by another process at the same moment answers "busy" without
        // waiting while it is switched to WAL (SQLite does not wait where waiting could
        // deadlock): tried again until the timeout.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match prepare(&conn, &file) {
                Err(ArchiveError::Busy(_)) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(ArchiveError::Storage(reason) | ArchiveError::Busy(reason)) => {
                    return Err(open_err(reason))
                }
                Err(e) => return Err(e),
                Ok(()) => break,
            }
        }
        Ok(Archive {
            conn: Mutex::new(conn),
            dir: dir.to_path_buf(),
        })
    }

    /// The connection. A panic while it was held poisons the lock; the connection itself is
    /// still consistent (SQLite rolls back an unfinished transaction), so it is used as is.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records what a feed read returned: new articles are added, known ones refreshed (an
    /// article that left the feed is kept). One transaction; a row whose fields did not change
    /// is not written (and `last_seen` is kept to the day), so a read that changes nothing
    /// writes nothing.
    pub fn merge(
        &self,
        items: &[Item],
        seen_at: DateTime<Utc>,
    ) -> Result<MergeStats, ArchiveError> {
        self.merge_feed(items, "", seen_at)
    }

    /// [`Archive::merge`] of a named feed's items: each article remembers the feed that last
    /// listed it.
    pub fn merge_feed(
        &self,
        items: &[Item],
        feed: &str,
        seen_at: DateTime<Utc>,
    ) -> Result<MergeStats, ArchiveError> {
        let mut conn = self.conn();
        // A large read touches more pages than the default 2 MiB cache holds: spilled to the
        // log mid-transaction, each would be written several times. The cache grows for the
        // merge only (a daemon between reads keeps the small one).
        conn.execute_batch(MERGE_CACHE)?;
        let merged = merge_in(&mut conn, items, feed, seen_at);
        conn.execute_batch(DEFAULT_CACHE)?;
        merged
    }
}

/// `PRAGMA cache_size` for a merge, and back.
const MERGE_CACHE: &str = "PRAGMA cache_size = -32768";
const DEFAULT_CACHE: &str = "PRAGMA cache_size = -2000; PRAGMA shrink_memory";

/// [`Archive::merge`]'s transaction. Items are written in key order: the table is kept in key
/// order, so its pages fill one after the other instead of splitting all over.
fn merge_in(
    conn: &mut Connection,
    items: &[Item],
    feed: &str,
    seen_at: DateTime<Utc>,
) -> Result<MergeStats, ArchiveError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut stats = MergeStats::default();
    let mut order: Vec<&Item> = items.iter().collect();
    // Stable: of two items with one key, the later in the feed is written last, as before.
    order.sort_by(|a, b| a.key.cmp(&b.key));
    {
        let mut known = tx.prepare_cached("SELECT 1 FROM articles WHERE key = ?1")?;
        let mut upsert = tx.prepare_cached(
                "INSERT INTO articles (key, url, title, published, categories, first_seen, last_seen, dead, undated, feed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 0, ?7, ?9)
                 ON CONFLICT (key) DO UPDATE SET
                     url = excluded.url,
                     feed = CASE WHEN excluded.feed = '' THEN feed ELSE excluded.feed END,
                     title = CASE WHEN excluded.title = '' THEN title ELSE excluded.title END,
                     published = CASE WHEN excluded.undated THEN published ELSE excluded.published END,
                     undated = undated AND excluded.undated,
                     categories = excluded.categories,
                     last_seen = max(last_seen, excluded.last_seen)
                 WHERE url IS NOT excluded.url
                    OR (excluded.title <> '' AND title IS NOT excluded.title)
                    OR (NOT excluded.undated AND (published IS NOT excluded.published OR undated))
                    OR categories IS NOT excluded.categories
                    OR (excluded.feed <> '' AND feed IS NOT excluded.feed)
                    OR last_seen < ?8",
            )?;
        let seen = time(seen_at);
        let day_before = time(seen_at - chrono::Duration::days(1));
        for item in order {
            let exists = known.exists([&item.key])?;
            if exists {
                stats.known += 1;
            } else {
                stats.new += 1;
            }
            let categories = json(&item.categories)?;
            upsert.execute(params![
                item.key,
                item.url,
                item.title,
                time(item.published.unwrap_or(seen_at)),
                categories,
                seen,
                item.published.is_none(),
                day_before,
                feed,
            ])?;
        }
    }
    tx.commit()?;
    Ok(stats)
}

impl Archive {
    /// One article by key.
    pub fn article(&self, key: &str) -> Result<Option<Article>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{ARTICLE_SELECT} WHERE key = ?1"))?;
        let row = stmt.query_row([key], article_row).optional()?;
        row.transpose()
    }

    /// Every article, in key order (a stable order keeps seeded choices reproducible).
    pub fn articles(&self) -> Result<Vec<Article>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{ARTICLE_SELECT} ORDER BY key"))?;
        let rows = stmt.query_map([], article_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// The articles published between `from` and `to` (both included), in key order, and the
    /// one with `also`'s key if there is one: what one slot's age window can choose from (and
    /// the newest article, which a pause after a new post looks at), without the rest of a
    /// large archive in memory.
    pub fn articles_published_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        also: Option<&str>,
    ) -> Result<Vec<Article>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{ARTICLE_SELECT} WHERE (published >= ?1 AND published <= ?2) OR key = ?3 ORDER BY key"
        ))?;
        let rows = stmt.query_map(params![time(from), time(to), also], article_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// Calls `f` with each article published between `from` and `to` (both included), in key
    /// order, one at a time: a slot's or `status`'s look at a large window without holding it.
    /// What selection reads only: the title is empty and `first_seen`/`last_seen` are the
    /// publication time (read [`Archive::article`] for the whole article).
    pub fn each_published_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        f: &mut dyn FnMut(Article),
    ) -> Result<(), ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT key, url, published, categories, dead, undated, feed FROM articles
             WHERE published >= ?1 AND published <= ?2 ORDER BY key",
        )?;
        let mut rows = stmt.query(params![time(from), time(to)])?;
        // Categories are a few sets repeated over the archive: each JSON text decoded once.
        let mut sets: rustc_hash::FxHashMap<String, Vec<String>> = Default::default();
        while let Some(r) = rows.next()? {
            let key: String = r.get(0)?;
            let text = |i: usize| -> Result<&str, ArchiveError> {
                r.get_ref(i)?.as_str().map_err(|e| ArchiveError::Corrupt {
                    what: format!("articles column {i}"),
                    reason: e.to_string(),
                })
            };
            let published = parse_time(text(2)?, "articles.published")?;
            let json = text(3)?;
            let categories = match sets.get(json) {
                Some(c) => c.clone(),
                None => {
                    let c: Vec<String> =
                        serde_json::from_str(json).map_err(|e| ArchiveError::Corrupt {
                            what: format!("articles.categories of {key}"),
                            reason: e.to_string(),
                        })?;
                    sets.insert(json.to_string(), c.clone());
                    c
                }
            };
            f(Article {
                key,
                url: r.get(1)?,
                title: String::new(),
                published,
                categories,
                first_seen: published,
                last_seen: published,
                dead: r.get::<_, i64>(4)? == DEAD,
                private_link: r.get::<_, i64>(4)? == PRIVATE_LINK,
                undated: r.get(5)?,
                feed: r.get(6)?,
            });
        }
        Ok(())
    }

    /// How many articles each feed has in the archive.
    pub fn count_by_feed(&self) -> Result<std::collections::HashMap<String, usize>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT feed, count(*) FROM articles GROUP BY feed")?;
        let mut rows = stmt.query([])?;
        let mut out = std::collections::HashMap::new();
        while let Some(r) = rows.next()? {
            let (feed, n): (String, i64) = (r.get(0)?, r.get(1)?);
            out.insert(feed, usize::try_from(n).unwrap_or(0));
        }
        Ok(out)
    }

    /// Gives the articles read before feeds had names to `feed` (the config's first feed), so
    /// that a state made with one `[feed]` keeps serving when `[[feed]]` tables come.
    pub fn adopt_unnamed(&self, feed: &str) -> Result<usize, ArchiveError> {
        let n = self
            .conn()
            .execute("UPDATE articles SET feed = ?1 WHERE feed = ''", [feed])?;
        Ok(n)
    }

    /// Per feed, how many of `account`'s shares (or perhaps-shares) since `since` were of its
    /// articles, and the last one: what rotating between feeds goes by.
    pub fn feed_shares(
        &self,
        account: &str,
        since: DateTime<Utc>,
    ) -> Result<std::collections::HashMap<String, (usize, DateTime<Utc>)>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT a.feed, count(*), max(s.at) FROM shares s JOIN articles a ON a.key = s.article_key
             WHERE s.account = ?1 AND s.at >= ?2 AND s.outcome IN {} GROUP BY a.feed",
            history::counts_as_shared_sql()
        ))?;
        let mut rows = stmt.query(params![account, time(since)])?;
        let mut out = std::collections::HashMap::new();
        while let Some(r) = rows.next()? {
            let (feed, n, last): (String, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let last = parse_time(&last, "shares.at")?;
            out.insert(feed, (usize::try_from(n).unwrap_or(0), last));
        }
        Ok(out)
    }

    /// The key of the most recently published live article published at or before `at`.
    pub fn newest_published(&self, at: DateTime<Utc>) -> Result<Option<String>, ArchiveError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT key FROM articles WHERE NOT dead AND published <= ?1 ORDER BY published DESC, key DESC LIMIT 1",
            )?
            .query_row([time(at)], |r| r.get(0))
            .optional()?)
    }

    /// Marks an article's link dead (404/410): it is never chosen again.
    pub fn mark_dead(&self, key: &str) -> Result<(), ArchiveError> {
        self.conn().execute(
            "UPDATE articles SET dead = ?2 WHERE key = ?1",
            params![key, DEAD],
        )?;
        Ok(())
    }

    /// Marks an article whose link leads to a private address: not chosen while its feed
    /// does not allow private networks.
    pub fn mark_private(&self, key: &str) -> Result<(), ArchiveError> {
        self.conn().execute(
            "UPDATE articles SET dead = ?2 WHERE key = ?1 AND dead = 0",
            params![key, PRIVATE_LINK],
        )?;
        Ok(())
    }

    /// Forgets the private-address marks of the articles of `feeds` (feeds that now allow
    /// private networks): their links are checked again when next chosen.
    pub fn forget_private_links(&self, feeds: &[&str]) -> Result<(), ArchiveError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("UPDATE articles SET dead = 0 WHERE feed = ?1 AND dead = ?2")?;
        for feed in feeds {
            stmt.execute(params![feed, PRIVATE_LINK])?;
        }
        Ok(())
    }

    /// Number of archived articles (0 when it cannot be read: this is for log lines).
    pub fn len(&self) -> usize {
        self.conn()
            .query_row("SELECT count(*) FROM articles", [], |r| r.get::<_, i64>(0))
            .map_or(0, |n| usize::try_from(n).unwrap_or(0))
    }

    /// Number of archived articles whose feed gives no readable date.
    pub fn undated_count(&self) -> Result<usize, ArchiveError> {
        let n: i64 =
            self.conn()
                .query_row("SELECT count(*) FROM articles WHERE undated", [], |r| {
                    r.get(0)
                })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Whether the archive holds no article yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The installation's random seed, created on first use: the daemon's choices (jitter,
    /// ties) derive from it, and `preview` uses it too so that it shows what the daemon will do.
    pub fn seed(&self) -> Result<u64, ArchiveError> {
        // Written only if absent: two processes starting at once keep the same seed.
        let fresh: u64 = rand::random();
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES ('seed', ?1) ON CONFLICT DO NOTHING",
            [fresh.to_string()],
        )?;
        let stored = self.meta(key::SEED)?.unwrap_or_default();
        stored.parse().map_err(|_| ArchiveError::Corrupt {
            what: "settings.seed".into(),
            reason: format!("{stored:?} is not a number"),
        })
    }

    /// A small value kept across restarts (last tick time, the daemon's runtime…).
    pub fn meta(&self, key: &str) -> Result<Option<String>, ArchiveError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Stores a small value (committed at once).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), ArchiveError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value",
            )?
            .execute([key, value])?;
        Ok(())
    }

    /// A small value kept as JSON. One that no longer parses (written by another version)
    /// reads as absent: every such value (plans, deferrals, runtime) can be rebuilt or done
    /// without.
    pub fn meta_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, ArchiveError> {
        Ok(self.meta(key)?.and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Stores a small value as JSON.
    pub fn set_meta_json<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), ArchiveError> {
        self.set_meta(key, &json(value)?)
    }

    /// Forgets a small value.
    pub fn remove_meta(&self, key: &str) -> Result<(), ArchiveError> {
        self.conn()
            .execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    /// An account's auto-mode day plans, as JSON (`None` when absent or unreadable).
    pub fn plans<T: serde::de::DeserializeOwned>(
        &self,
        account: &str,
    ) -> Result<Option<T>, ArchiveError> {
        let stored: Option<String> = self
            .conn()
            .prepare_cached("SELECT plans FROM plans WHERE account = ?1")?
            .query_row([account], |r| r.get(0))
            .optional()?;
        Ok(stored.and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Keeps an account's day plans.
    pub fn set_plans<T: serde::Serialize>(
        &self,
        account: &str,
        plans: &T,
    ) -> Result<(), ArchiveError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO plans (account, plans) VALUES (?1, ?2)
                 ON CONFLICT (account) DO UPDATE SET plans = excluded.plans WHERE plans IS NOT excluded.plans",
            )?
            .execute([account, &json(plans)?])?;
        Ok(())
    }

    /// An account's post-count samples, oldest first: (when, total count).
    pub fn volume_samples(&self, account: &str) -> Result<Vec<(DateTime<Utc>, u64)>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT at, count FROM volume_samples WHERE account = ?1 ORDER BY at",
        )?;
        let rows = stmt.query_map([account], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, count) = row?;
            out.push((
                parse_time(&at, "volume_samples.at")?,
                u64::try_from(count).unwrap_or(0),
            ));
        }
        Ok(out)
    }

    /// Replaces an account's post-count samples with `samples` (rows not in it are removed,
    /// unchanged ones left alone).
    pub fn set_volume_samples(
        &self,
        account: &str,
        samples: &[(DateTime<Utc>, u64)],
    ) -> Result<(), ArchiveError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let oldest = samples.iter().map(|(at, _)| *at).min();
        match oldest {
            Some(t) => tx.execute(
                "DELETE FROM volume_samples WHERE account = ?1 AND at < ?2",
                params![account, time(t)],
            )?,
            None => tx.execute("DELETE FROM volume_samples WHERE account = ?1", [account])?,
        };
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO volume_samples (account, at, count) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET count = excluded.count WHERE count IS NOT excluded.count",
            )?;
            for (at, count) in samples {
                put.execute(params![
                    account,
                    time(*at),
                    i64::try_from(*count).unwrap_or(i64::MAX)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets an account's post-count samples (its network or instance changed).
    pub fn forget_volume_samples(&self, account: &str) -> Result<(), ArchiveError> {
        self.conn()
            .execute("DELETE FROM volume_samples WHERE account = ?1", [account])?;
        Ok(())
    }

    /// The validators of the last successful read of `url`.
    pub fn feed_validators(
        &self,
        url: &str,
    ) -> Result<Option<crate::feed::Validators>, ArchiveError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT etag, last_modified FROM feed_validators WHERE url = ?1")?
            .query_row([url], |r| {
                Ok(crate::feed::Validators {
                    url: url.to_string(),
                    etag: r.get(0)?,
                    last_modified: r.get(1)?,
                })
            })
            .optional()?)
    }

    /// Keeps the validators of a read, replacing any of another URL (the feed moved).
    pub fn set_feed_validators(&self, v: &crate::feed::Validators) -> Result<(), ArchiveError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM feed_validators WHERE url <> ?1", [&v.url])?;
        tx.execute(
            "INSERT INTO feed_validators (url, etag, last_modified) VALUES (?1, ?2, ?3)
             ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified
             WHERE etag IS NOT excluded.etag OR last_modified IS NOT excluded.last_modified",
            params![v.url, v.etag, v.last_modified],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every write is committed, and a commit is durable (`synchronous = FULL`), when it
    /// returns: nothing is left to flush. Kept so that callers say where durability matters.
    pub fn flush(&self) -> Result<(), ArchiveError> {
        Ok(())
    }

    /// Writes a small record: after a write failure (a full disk) the daemon waits for this
    /// to succeed before it starts over.
    pub fn check_writable(&self) -> Result<(), ArchiveError> {
        self.set_meta(key::STATE_CHECKED, &Utc::now().to_rfc3339())
    }
}

impl Drop for Archive {
    /// A log grown past its limit (a large feed read) is checkpointed into the file and cut
    /// on the way out, so that the state's size on disk is its data's; a small one is left for
    /// the next opener (see [`prepare`]). Best effort: the log is as durable as the file.
    fn drop(&mut self) {
        let wal = self.dir.join(format!("{FILE}-wal"));
        let big = std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_KEPT);
        if big {
            let _ = self.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        }
    }
}

/// The log is checkpointed when a process leaves it larger than this (and cut back to it
/// after any checkpoint: `journal_size_limit`).
const WAL_KEPT: u64 = 4 << 20;

/// `articles.dead`: the link answered 404 or 410. (0: nothing known against it.)
const DEAD: i64 = 1;
/// `articles.dead`: the link led to a private address. An Encore that predates the mark
/// reads any non-zero value as dead, and so never shares such an article either.
const PRIVATE_LINK: i64 = 2;

const ARTICLE_SELECT: &str = "SELECT key, url, title, published, categories, first_seen, last_seen, dead, undated, feed FROM articles";

/// An `articles` row; the inner result is the decoding of its text fields.
fn article_row(r: &rusqlite::Row) -> rusqlite::Result<Result<Article, ArchiveError>> {
    let key: String = r.get(0)?;
    let (published, categories, first_seen, last_seen): (String, String, String, String) =
        (r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
    let (url, title, dead, undated) = (r.get(1)?, r.get(2)?, r.get::<_, i64>(7)?, r.get(8)?);
    let feed: String = r.get(9)?;
    let decoded = (|| {
        Ok(Article {
            published: parse_time(&published, "articles.published")?,
            categories: serde_json::from_str(&categories).map_err(|e| ArchiveError::Corrupt {
                what: format!("articles.categories of {key}"),
                reason: e.to_string(),
            })?,
            first_seen: parse_time(&first_seen, "articles.first_seen")?,
            last_seen: parse_time(&last_seen, "articles.last_seen")?,
            key,
            url,
            title,
            dead: dead == DEAD,
            private_link: dead == PRIVATE_LINK,
            undated,
            feed,
        })
    })();
    Ok(decoded)
}

/// A time as stored: UTC, nanoseconds, fixed width (text order is time order).
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn parse_time(s: &str, what: &str) -> Result<DateTime<Utc>, ArchiveError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ArchiveError::Corrupt {
            what: what.to_string(),
            reason: format!("{s:?}: {e}"),
        })
}

fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, ArchiveError> {
    serde_json::to_string(value).map_err(|e| ArchiveError::Storage(e.to_string()))
}

/// Creates the state file readable and writable by its owner only: it holds the history of an
/// account and its settings, and SQLite gives the `-wal` and `-shm` files the same mode.
fn create_private(file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
        .map(drop)
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Ok(()),
            _ => Err(e),
        })
}

/// A state directory left by a build that kept its state in sled (`db/`, `snapshot`) holds
/// nothing this build reads: refused with what to do, rather than silently started afresh
/// (which would forget the share history and repeat posts).
fn refuse_sled_state(dir: &Path) -> Result<(), ArchiveError> {
    if dir.join("db").join("conf").exists() || dir.join("snapshot").exists() {
        return Err(ArchiveError::Foreign {
            path: dir.to_path_buf(),
            reason: format!(
                "holds a state from an earlier build of Encore (sled: `db/`, `snapshot`), which this build does not read; it keeps its state in {FILE}. Move the old files away (or point `state_dir` elsewhere) to start a new state; its share history will not be known"
            ),
        });
    }
    Ok(())
}

/// The connection's settings, then the schema.
fn prepare(conn: &Connection, file: &Path) -> Result<(), ArchiveError> {
    // WAL: readers and one writer side by side. FULL: a commit is durable when it returns
    // (an intent must be on disk before its post leaves). The WAL is kept when the last
    // connection closes (no checkpoint then: each command would copy the log into the file
    // and fsync it again on its way out, the larger part of a short command's time); SQLite
    // checkpoints it as it grows, and a checkpointed log is cut back to 4 MiB.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA journal_size_limit = 4194304;",
    )?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    migrate(conn, file)
}

/// Brings the state to [`schema::CURRENT`], every step it lacks in one transaction (a new state
/// costs one commit, one fsync, not one per migration; an upgrade is all or nothing); refuses
/// a state made by a newer Encore without touching it.
fn migrate(conn: &Connection, file: &Path) -> Result<(), ArchiveError> {
    loop {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > schema::CURRENT {
            return Err(ArchiveError::Foreign {
                path: file.to_path_buf(),
                reason: format!(
                    "was written by a newer Encore (state schema {version}; this build knows up to {}): it is left as it is. Run the newer Encore, or restore a backup made before the upgrade",
                    schema::CURRENT
                ),
            });
        }
        if version == schema::CURRENT {
            return Ok(());
        }
        let step = usize::try_from(version).map_err(|_| ArchiveError::Corrupt {
            what: "PRAGMA user_version".into(),
            reason: format!("{version} is negative"),
        })?;
        // IMMEDIATE: two processes opening a new state at once migrate it once; the second
        // finds the new version when its turn comes.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let result = if current == version {
            let steps = schema::MIGRATIONS.get(step..).unwrap_or_default();
            steps
                .iter()
                .try_for_each(|m| conn.execute_batch(m))
                .and_then(|()| {
                    conn.execute_batch(&format!("PRAGMA user_version = {}", schema::CURRENT))
                })
        } else {
            Ok(())
        };
        match result {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
    }
}

#[cfg(test)]
mod tests;
