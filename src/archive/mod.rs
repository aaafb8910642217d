//! The state on disk: every article ever seen, the share history and a few settings.
//!
//! sled lives behind this module only (no sled type escapes it), so the store can change without
//! touching the rest. Values are JSON: slower than a binary encoding, but an admin can read them
//! with any sled dump tool, and the archive of even a large blog is a few megabytes.

mod history;
pub mod snapshot;

pub use history::{last_shares_in, Intent, Outcome, ShareRecord};

use crate::feed::Item;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// An article as Encore remembers it, whether or not it is still in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Normalised link (see [`crate::feed::article_key`]).
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
    /// When a feed last listed it.
    pub last_seen: DateTime<Utc>,
    /// The link answered 404/410 when last checked: never share it.
    #[serde(default)]
    pub dead: bool,
    /// The feed gave no date Encore could read: `published` is `first_seen`, and the article is
    /// shared only if `[select] undated = "first_seen"` says so.
    #[serde(default)]
    pub undated: bool,
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
    /// Another process holds the database (sled allows one process at a time).
    #[error("the state in {} is in use by another Encore process (is the daemon running?)", .0.display())]
    Locked(PathBuf),
    /// The state could not be opened or created.
    #[error("cannot open the state in {}: {reason}", path.display())]
    Open {
        /// The state directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A read or write failed (disk full, I/O error).
    #[error("state storage error: {0}")]
    Storage(String),
    /// A stored record could not be decoded.
    #[error("corrupt record in the state ({what}): {reason}")]
    Corrupt {
        /// Which record.
        what: String,
        /// The decoder's message.
        reason: String,
    },
}

impl ArchiveError {
    /// A write or read of an open state failed (disk full, I/O error): the state may work
    /// again later, unlike a corrupt record or a state held by another process.
    pub fn is_storage(&self) -> bool {
        matches!(self, ArchiveError::Storage(_) | ArchiveError::Open { .. })
    }
}

impl<E: std::fmt::Display> From<sled::transaction::TransactionError<E>> for ArchiveError {
    fn from(e: sled::transaction::TransactionError<E>) -> Self {
        ArchiveError::Storage(e.to_string())
    }
}

impl From<sled::Error> for ArchiveError {
    fn from(e: sled::Error) -> Self {
        ArchiveError::Storage(match e {
            sled::Error::Io(io) => io_reason(&io),
            other => other.to_string(),
        })
    }
}

/// An I/O error as the system says it ("No space left on device (os error 28)"). sled wraps
/// the system's error in another one whose text is the first one's Debug form
/// (`Os { code: 28, kind: StorageFull, message: "…" }`): the code is read back from it.
fn io_reason(io: &std::io::Error) -> String {
    let code = io.raw_os_error().or_else(|| {
        let inner = io.get_ref()?.to_string();
        let rest = inner.strip_prefix("Os { code: ")?;
        rest.split(',').next()?.parse().ok()
    });
    match code {
        Some(c) => std::io::Error::from_raw_os_error(c).to_string(),
        None => io.to_string(),
    }
}

/// Items archived per sled batch (see [`Archive::merge`]).
const MERGE_BATCH: usize = 250;

/// The open state.
pub struct Archive {
    db: sled::Db,
    articles: sled::Tree,
    history: sled::Tree,
    intents: sled::Tree,
    slots: sled::Tree,
    meta: sled::Tree,
}

impl Archive {
    /// Opens (or creates) the state in `dir`.
    pub fn open(dir: &Path) -> Result<Archive, ArchiveError> {
        let open_err = |reason: String| ArchiveError::Open {
            path: dir.to_path_buf(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        // sled releases its file lock from a background thread a moment after the last handle
        // is dropped, so a restart in the same process (or right after a stop) may find it
        // still held: wait up to 2 s before calling the state busy.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let db = loop {
            // No background flusher (a thread waking every 500 ms for the life of the daemon):
            // every change that matters is flushed where it is made (an intent before its
            // post, a settled slot, a feed read, each tick), and the rest when the handle is
            // dropped.
            match sled::Config::new()
                .path(dir.join("db"))
                .flush_every_ms(None)
                .open()
            {
                Ok(db) => break db,
                Err(sled::Error::Io(io))
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("lock") =>
                {
                    if std::time::Instant::now() >= deadline {
                        return Err(ArchiveError::Locked(dir.to_path_buf()));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                Err(sled::Error::Io(io)) => return Err(open_err(io_reason(&io))),
                Err(e) => return Err(open_err(e.to_string())),
            }
        };
        Archive::from_db(db)
    }

    fn from_db(db: sled::Db) -> Result<Archive, ArchiveError> {
        Ok(Archive {
            articles: db.open_tree("articles")?,
            history: db.open_tree("history")?,
            intents: db.open_tree("intents")?,
            slots: db.open_tree("slots")?,
            meta: db.open_tree("meta")?,
            db,
        })
    }

    /// Records what a feed read returned: new articles are added, known ones refreshed (an
    /// article that left the feed is kept: it stays eligible).
    pub fn merge(
        &self,
        items: &[Item],
        seen_at: DateTime<Utc>,
    ) -> Result<MergeStats, ArchiveError> {
        let mut stats = MergeStats::default();
        // In batches of a few hundred: sled keeps the nodes a batch replaces until its epoch
        // ends; one batch for a 5,000-item feed took `encore preview` from 24 to 40 MiB at
        // its peak (bench/compare.sh). A crash between two batches leaves the rest for the
        // next read, which archives it then.
        for chunk in items.chunks(MERGE_BATCH) {
            self.merge_batch(chunk, seen_at, &mut stats)?;
        }
        Ok(stats)
    }

    fn merge_batch(
        &self,
        items: &[Item],
        seen_at: DateTime<Utc>,
        stats: &mut MergeStats,
    ) -> Result<(), ArchiveError> {
        let mut batch = sled::Batch::default();
        for item in items {
            let article = match self.article(&item.key)? {
                Some(mut a) => {
                    stats.known += 1;
                    a.url = item.url.clone();
                    if !item.title.is_empty() {
                        a.title = item.title.clone();
                    }
                    if let Some(p) = item.published {
                        a.published = p;
                        a.undated = false;
                    }
                    a.categories = item.categories.clone();
                    a.last_seen = a.last_seen.max(seen_at);
                    a
                }
                None => {
                    stats.new += 1;
                    Article {
                        key: item.key.clone(),
                        url: item.url.clone(),
                        title: item.title.clone(),
                        published: item.published.unwrap_or(seen_at),
                        categories: item.categories.clone(),
                        first_seen: seen_at,
                        last_seen: seen_at,
                        dead: false,
                        undated: item.published.is_none(),
                    }
                }
            };
            batch.insert(article.key.as_bytes(), encode(&article)?);
        }
        self.articles.apply_batch(batch)?;
        Ok(())
    }

    /// One article by key.
    pub fn article(&self, key: &str) -> Result<Option<Article>, ArchiveError> {
        match self.articles.get(key.as_bytes())? {
            Some(v) => Ok(Some(decode(&v, key)?)),
            None => Ok(None),
        }
    }

    /// Every article, in key order (a stable order keeps seeded choices reproducible).
    pub fn articles(&self) -> Result<Vec<Article>, ArchiveError> {
        let mut out = Vec::with_capacity(self.articles.len());
        for kv in self.articles.iter() {
            let (k, v) = kv?;
            out.push(decode(&v, &String::from_utf8_lossy(&k))?);
        }
        Ok(out)
    }

    /// Marks an article's link dead (404/410): it is never chosen again.
    pub fn mark_dead(&self, key: &str) -> Result<(), ArchiveError> {
        if let Some(mut a) = self.article(key)? {
            a.dead = true;
            self.articles.insert(key.as_bytes(), encode(&a)?)?;
        }
        Ok(())
    }

    /// Number of archived articles.
    pub fn len(&self) -> usize {
        self.articles.len()
    }

    /// Whether the archive holds no article yet.
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    /// The installation's random seed, created on first use: the daemon's choices (jitter,
    /// ties) derive from it, and `preview` uses it too so that it shows what the daemon will do.
    pub fn seed(&self) -> Result<u64, ArchiveError> {
        if let Some(v) = self.meta.get("seed")? {
            if let Ok(bytes) = <[u8; 8]>::try_from(v.as_ref()) {
                return Ok(u64::from_le_bytes(bytes));
            }
        }
        let seed: u64 = rand::random();
        self.meta.insert("seed", &seed.to_le_bytes())?;
        self.flush()?;
        Ok(seed)
    }

    /// A small value kept across restarts (last tick time, feed validators…).
    pub fn meta(&self, key: &str) -> Result<Option<String>, ArchiveError> {
        Ok(self
            .meta
            .get(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Stores a small value (not flushed: callers flush when it matters).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), ArchiveError> {
        self.meta.insert(key, value.as_bytes())?;
        Ok(())
    }

    /// A small value kept as JSON. One that no longer parses (written by another version)
    /// reads as absent: every such value (plans, samples, validators, deferrals) can be
    /// rebuilt or done without.
    pub fn meta_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, ArchiveError> {
        Ok(self.meta(key)?.and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Stores a small value as JSON (not flushed).
    pub fn set_meta_json<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), ArchiveError> {
        let v = serde_json::to_string(value).map_err(|e| ArchiveError::Corrupt {
            what: key.to_string(),
            reason: e.to_string(),
        })?;
        self.set_meta(key, &v)
    }

    /// Forgets a small value (not flushed).
    pub fn remove_meta(&self, key: &str) -> Result<(), ArchiveError> {
        self.meta.remove(key)?;
        Ok(())
    }

    /// Writes everything to disk. Blocking: async callers use `spawn_blocking` (sled 0.34's
    /// `flush_async` can deadlock).
    pub fn flush(&self) -> Result<(), ArchiveError> {
        self.db.flush()?;
        Ok(())
    }

    /// Writes a small record and flushes it: after a write failure (sled refuses every write
    /// once one has failed) the daemon waits for this to succeed on a fresh handle before
    /// it starts over.
    pub fn check_writable(&self) -> Result<(), ArchiveError> {
        self.meta
            .insert("state_checked", Utc::now().to_rfc3339().as_bytes())?;
        self.flush()
    }
}

impl Drop for Archive {
    fn drop(&mut self) {
        // Best effort: a command that wrote something and ends without flushing keeps it.
        let _ = self.db.flush();
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, ArchiveError> {
    serde_json::to_vec(value).map_err(|e| ArchiveError::Storage(e.to_string()))
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str) -> Result<T, ArchiveError> {
    serde_json::from_slice(bytes).map_err(|e| ArchiveError::Corrupt {
        what: what.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests;
