//! The share history: what was posted where, and what was not.

use super::{decode, encode, Archive, ArchiveError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What happened to one slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The network accepted the post.
    Shared,
    /// The network refused or the post could not be sent.
    Failed,
    /// The slot passed without a post (nothing eligible, too late…).
    Skipped,
    /// The network said the text was already posted.
    Duplicate,
    /// A crash or an ambiguous failure left the post's fate unknown; treated as shared for the
    /// cooldown.
    Uncertain,
    /// The network refused this article's post (content, length): held back for its cooldown
    /// so that the next slots do not hit the same wall.
    Refused,
    /// Only in reports, never stored: a rate limit moved the slot past the pause.
    Deferred,
}

impl std::fmt::Display for Outcome {
    /// The word `history` and `status` print, the same as in JSON.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Shared => "shared",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Duplicate => "duplicate",
            Outcome::Uncertain => "uncertain",
            Outcome::Refused => "refused",
            Outcome::Deferred => "deferred",
        })
    }
}

impl Outcome {
    /// Whether the article counts as shared for its cooldown. A failure does not: a post that
    /// never appeared must not be held back for 90 days.
    pub fn counts_as_shared(self) -> bool {
        matches!(
            self,
            Outcome::Shared | Outcome::Duplicate | Outcome::Uncertain | Outcome::Refused
        )
    }

    /// Whether the post may have been billed (pay-per-use networks): an uncertain post is
    /// counted, so the budget errs on the side of spending less.
    pub fn costs(self) -> bool {
        matches!(self, Outcome::Shared | Outcome::Uncertain)
    }
}

/// For each article key, when `records` last shared it (shared, duplicate, uncertain or
/// refused: what the cooldown holds back).
pub fn last_shares_in(records: &[ShareRecord]) -> HashMap<String, DateTime<Utc>> {
    let mut out: HashMap<String, DateTime<Utc>> = HashMap::new();
    for rec in records {
        if let (true, Some(key)) = (rec.outcome.counts_as_shared(), &rec.article_key) {
            let e = out.entry(key.clone()).or_insert(rec.at);
            *e = (*e).max(rec.at);
        }
    }
    out
}

/// One line of history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    /// When the outcome was decided.
    pub at: DateTime<Utc>,
    /// The account.
    pub account: String,
    /// The article key, when an article was involved.
    pub article_key: Option<String>,
    /// The link, when an article was involved.
    pub url: Option<String>,
    /// The planned slot.
    pub slot: DateTime<Utc>,
    /// What happened.
    pub outcome: Outcome,
    /// The network's id for the post.
    pub post_id: Option<String>,
    /// The text sent, or why nothing was.
    pub detail: String,
}

impl Archive {
    /// Every record of `account`, oldest first.
    pub fn history(&self, account: &str) -> Result<Vec<ShareRecord>, ArchiveError> {
        let prefix = format!("{account}\0");
        let mut out = Vec::new();
        for kv in self.history.scan_prefix(prefix.as_bytes()) {
            let (k, v) = kv?;
            out.push(decode(&v, &String::from_utf8_lossy(&k))?);
        }
        Ok(out)
    }

    /// For each article key, when it was last shared to `account` (cooldown input).
    pub fn last_shares(
        &self,
        account: &str,
    ) -> Result<HashMap<String, DateTime<Utc>>, ArchiveError> {
        Ok(last_shares_in(&self.history(account)?))
    }
}

/// A post about to leave, written (and flushed) before the request so that a crash in between
/// is noticed at the next start instead of becoming a silent double post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// The account.
    pub account: String,
    /// The article key.
    pub article_key: String,
    /// The link sent.
    pub url: String,
    /// The planned slot.
    pub slot: DateTime<Utc>,
    /// The exact text sent.
    pub text: String,
    /// When the intent was written.
    pub created: DateTime<Utc>,
}

fn slot_key(account: &str, slot: DateTime<Utc>) -> String {
    format!("{account}\0{:020}", slot.timestamp().max(0))
}

impl Archive {
    /// Writes the intent and flushes it to disk: only then may the post leave.
    pub fn begin(&self, intent: &Intent) -> Result<(), ArchiveError> {
        self.intents.insert(
            slot_key(&intent.account, intent.slot).as_bytes(),
            encode(intent)?,
        )?;
        self.flush()
    }

    /// Settles a slot in one transaction: the history record is added, the slot marked done and
    /// its intent (if any) removed; then flushed. Either all of it is on disk or none of it.
    pub fn settle(&self, rec: &ShareRecord) -> Result<(), ArchiveError> {
        use sled::Transactional;
        let id = self.db.generate_id()?;
        let hkey = format!(
            "{}\0{:020}\0{:020}",
            rec.account,
            rec.at.timestamp_millis().max(0),
            id
        );
        let skey = slot_key(&rec.account, rec.slot);
        let value = encode(rec)?;
        let outcome = encode(&rec.outcome)?;
        (&self.history, &self.intents, &self.slots).transaction(|(h, i, s)| {
            h.insert(hkey.as_bytes(), value.as_slice())?;
            i.remove(skey.as_bytes())?;
            s.insert(skey.as_bytes(), outcome.as_slice())?;
            Ok::<(), sled::transaction::ConflictableTransactionError<std::convert::Infallible>>(())
        })?;
        self.flush()
    }

    /// Removes an intent whose post surely did not leave (the network refused it before doing
    /// anything, e.g. a rate limit): the slot stays open, to be posted later.
    pub fn withdraw(&self, intent: &Intent) -> Result<(), ArchiveError> {
        self.intents
            .remove(slot_key(&intent.account, intent.slot).as_bytes())?;
        self.flush()
    }

    /// Intents left without an outcome (a crash mid-post).
    pub fn pending_intents(&self) -> Result<Vec<Intent>, ArchiveError> {
        let mut out = Vec::new();
        for kv in self.intents.iter() {
            let (k, v) = kv?;
            out.push(decode(&v, &String::from_utf8_lossy(&k))?);
        }
        Ok(out)
    }

    /// Whether the slot was already settled (posted, failed or skipped) or is in flight.
    pub fn slot_settled(&self, account: &str, slot: DateTime<Utc>) -> Result<bool, ArchiveError> {
        let key = slot_key(account, slot);
        Ok(
            self.slots.contains_key(key.as_bytes())?
                || self.intents.contains_key(key.as_bytes())?,
        )
    }

    /// Every record of every account, newest first.
    pub fn all_history(&self) -> Result<Vec<ShareRecord>, ArchiveError> {
        let mut out = Vec::new();
        for kv in self.history.iter() {
            let (k, v) = kv?;
            out.push(decode::<ShareRecord>(&v, &String::from_utf8_lossy(&k))?);
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.at));
        Ok(out)
    }
}
