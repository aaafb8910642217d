//! The share history: what was posted where, and what was not.

use super::{parse_time, time, Archive, ArchiveError};
use chrono::{DateTime, Utc};
use rusqlite::params;
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
    /// Every outcome.
    pub const ALL: [Outcome; 7] = [
        Outcome::Shared,
        Outcome::Failed,
        Outcome::Skipped,
        Outcome::Duplicate,
        Outcome::Uncertain,
        Outcome::Refused,
        Outcome::Deferred,
    ];

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
        self.may_have_appeared()
    }

    /// Whether the post is, or may be, on the network: what `max_shares` counts (a refused or
    /// duplicate post added nothing to the timeline).
    pub fn may_have_appeared(self) -> bool {
        matches!(self, Outcome::Shared | Outcome::Uncertain)
    }
}

/// The words of one post: which template variant and title wrote it, and the text sent. What
/// the next share of the article is written against, so that it never says the same again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wording {
    /// The template variant, 1-based (`None`: posted before variants were recorded).
    pub variant: Option<u32>,
    /// The title used (`None`: posted before titles were recorded).
    pub title: Option<String>,
    /// The text sent.
    pub text: String,
}

/// What an account's earlier shares say of each article: when it was last shared (cooldown,
/// rank), how many times it appeared (retirement), and the words of each share (rotation).
/// Built from the history in time order; a plan adds its planned shares as it goes.
#[derive(Debug, Clone, Default)]
pub struct ShareLog {
    last: HashMap<String, DateTime<Utc>>,
    appeared: HashMap<String, u32>,
    words: HashMap<String, Vec<Wording>>,
    /// Per article, the engagement each read-back share drew (its latest reading), oldest first.
    engaged: HashMap<String, Vec<u64>>,
}

impl ShareLog {
    /// The log of `records` (one account's, oldest first).
    pub fn of(records: &[ShareRecord]) -> ShareLog {
        let mut log = ShareLog::default();
        for r in records {
            if let Some(key) = &r.article_key {
                log.add(key, r.at, r.outcome, r.wording.clone());
            }
        }
        log
    }

    /// A log in which each article of `last` was shared once, then (tests, benchmarks).
    pub fn from_lasts(last: HashMap<String, DateTime<Utc>>) -> ShareLog {
        let appeared = last.keys().map(|k| (k.clone(), 1)).collect();
        ShareLog {
            last,
            appeared,
            ..ShareLog::default()
        }
    }

    /// Counts one outcome for the article `key` at `at` (outcomes that do not count as shared
    /// change nothing).
    pub fn add(&mut self, key: &str, at: DateTime<Utc>, outcome: Outcome, words: Option<Wording>) {
        if !outcome.counts_as_shared() {
            return;
        }
        self.held(key, at);
        if outcome.may_have_appeared() {
            *self.appeared.entry(key.to_string()).or_default() += 1;
        }
        if let Some(w) = words {
            self.words.entry(key.to_string()).or_default().push(w);
        }
    }

    /// Holds `key` back as if shared at `at` (another process has just taken it).
    pub fn held(&mut self, key: &str, at: DateTime<Utc>) {
        let e = self.last.entry(key.to_string()).or_insert(at);
        *e = (*e).max(at);
    }

    /// When `key` was last shared.
    pub fn last(&self, key: &str) -> Option<DateTime<Utc>> {
        self.last.get(key).copied()
    }

    /// Every article's last share, by key.
    pub fn lasts(&self) -> &HashMap<String, DateTime<Utc>> {
        &self.last
    }

    /// How many times `key` is, or may be, on the network.
    pub fn times(&self, key: &str) -> u32 {
        self.appeared.get(key).copied().unwrap_or(0)
    }

    /// The articles on the network `max` times or more: retired under `max_shares = max`.
    pub fn retired(&self, max: u32) -> impl Iterator<Item = &str> {
        let many = self.appeared.iter().filter(move |(_, n)| **n >= max);
        many.map(|(k, _)| k.as_str())
    }

    /// Counts what one share of `key` drew (likes, reposts, replies and quotes, at its latest
    /// reading), in the order of the shares.
    pub fn engaged(&mut self, key: &str, total: u64) {
        self.engaged.entry(key.to_string()).or_default().push(total);
    }

    /// What each read-back share of `key` drew, oldest first.
    pub fn engagement(&self, key: &str) -> &[u64] {
        self.engaged.get(key).map_or(&[], Vec::as_slice)
    }

    /// The account's typical share: the median engagement of its read-back shares (at least
    /// 1), what an article's engagement is measured against.
    pub fn typical(&self) -> f64 {
        let mut all: Vec<u64> = self.engaged.values().flatten().copied().collect();
        if all.is_empty() {
            return 1.0;
        }
        all.sort_unstable();
        (all[all.len() / 2] as f64).max(1.0)
    }

    /// The articles whose last `n` read-back shares all drew nothing, by key.
    pub fn silent(&self, n: usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .engaged
            .iter()
            .filter(|(_, e)| n > 0 && e.len() >= n && e[e.len() - n..].iter().all(|x| *x == 0))
            .map(|(k, _)| k.clone())
            .collect();
        out.sort_unstable();
        out
    }

    /// The words of `key`'s earlier shares, oldest first.
    pub fn words(&self, key: &str) -> &[Wording] {
        self.words.get(key).map_or(&[], Vec::as_slice)
    }
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
    /// The words of the post, when one was written.
    #[serde(default)]
    pub wording: Option<Wording>,
}

impl Archive {
    /// Every record of `account`, oldest first.
    pub fn history(&self, account: &str) -> Result<Vec<ShareRecord>, ArchiveError> {
        self.records(
            &format!("{SHARE_SELECT} WHERE account = ?1 ORDER BY at, id"),
            [account],
        )
    }

    /// `account`'s share log: every outcome that counts as shared, with its words.
    pub fn share_log(&self, account: &str) -> Result<ShareLog, ArchiveError> {
        let records = self.records(
            &format!(
                "{SHARE_SELECT} WHERE account = ?1 AND article_key IS NOT NULL AND outcome IN {} ORDER BY at, id",
                counts_as_shared_sql()
            ),
            [account],
        )?;
        let mut log = ShareLog::of(&records);
        for (key, total) in self.latest_readings(account)? {
            log.engaged(&key, total);
        }
        Ok(log)
    }

    fn records<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<ShareRecord>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, share_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }
}

const SHARE_SELECT: &str =
    "SELECT at, account, article_key, url, slot, outcome, post_id, detail, variant, title, text FROM shares";

fn share_row(r: &rusqlite::Row) -> rusqlite::Result<Result<ShareRecord, ArchiveError>> {
    let (at, slot, outcome): (String, String, String) = (r.get(0)?, r.get(4)?, r.get(5)?);
    let (account, article_key, url, post_id, detail) =
        (r.get(1)?, r.get(2)?, r.get(3)?, r.get(6)?, r.get(7)?);
    let text: Option<String> = r.get(10)?;
    let wording = text.map(|text| Wording {
        variant: r.get(8).ok().flatten(),
        title: r.get(9).ok().flatten(),
        text,
    });
    Ok(
        decode_share(at, slot, outcome).map(|(at, slot, outcome)| ShareRecord {
            at,
            account,
            article_key,
            url,
            slot,
            outcome,
            post_id,
            detail,
            wording,
        }),
    )
}

fn decode_share(
    at: String,
    slot: String,
    outcome: String,
) -> Result<(DateTime<Utc>, DateTime<Utc>, Outcome), ArchiveError> {
    let outcome =
        serde_json::from_value(serde_json::Value::String(outcome.clone())).map_err(|_| {
            ArchiveError::Corrupt {
                what: "shares.outcome".into(),
                reason: format!("{outcome:?} is not an outcome"),
            }
        })?;
    Ok((
        parse_time(&at, "shares.at")?,
        parse_time(&slot, "shares.slot")?,
        outcome,
    ))
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
    /// The template variant (1-based) and title that wrote the text.
    #[serde(default)]
    pub words: Option<(u32, String)>,
}

impl Intent {
    /// The post's words, for its history record.
    pub fn wording(&self) -> Wording {
        Wording {
            variant: self.words.as_ref().map(|w| w.0),
            title: self.words.as_ref().map(|w| w.1.clone()),
            text: self.text.clone(),
        }
    }
}

impl Archive {
    /// Writes the intent, committed to disk before it returns: only then may the post leave.
    ///
    /// One transaction that also checks, against every process sharing this state, that the
    /// post may leave: the slot is not settled or in flight, no other post of the article to
    /// this account is in flight, and the article was not shared to it since `shared_since`
    /// (the start of its cooldown). Otherwise [`ArchiveError::Taken`]: `post-now` and the
    /// daemon's slot never both post the same article.
    pub fn begin(&self, intent: &Intent, shared_since: DateTime<Utc>) -> Result<(), ArchiveError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let slot = time(intent.slot);
        let taken = |why: &str| {
            Err(ArchiveError::Taken(format!(
                "{why}: {} not posted to {}",
                intent.url, intent.account
            )))
        };
        if slot_taken(&tx, &intent.account, &slot)? {
            return taken("this slot is already settled or being posted");
        }
        let in_flight = tx
            .prepare_cached("SELECT 1 FROM intents WHERE account = ?1 AND article_key = ?2")?
            .exists(params![intent.account, intent.article_key])?;
        if in_flight {
            return taken("another process is posting this article");
        }
        let shared = tx
            .prepare_cached(&format!(
                "SELECT 1 FROM shares WHERE account = ?1 AND article_key = ?2 AND at > ?3
                 AND outcome IN {}",
                counts_as_shared_sql()
            ))?
            .exists(params![
                intent.account,
                intent.article_key,
                time(shared_since)
            ])?;
        if shared {
            return taken("the article was shared within its cooldown (by another process)");
        }
        tx.prepare_cached(
            "INSERT INTO intents (account, slot, article_key, url, text, created, owner, variant, title)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            intent.account,
            slot,
            intent.article_key,
            intent.url,
            intent.text,
            time(intent.created),
            super::owner::me(),
            intent.words.as_ref().map(|w| w.0),
            intent.words.as_ref().map(|w| w.1.as_str()),
        ])?;
        tx.commit()?;
        Ok(())
    }

    /// Settles a slot in one transaction: the history record is added, the slot marked done and
    /// its intent (if any) removed. Either all of it is on disk or none of it.
    pub fn settle(&self, rec: &ShareRecord) -> Result<(), ArchiveError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let slot = time(rec.slot);
        let outcome = rec.outcome.to_string();
        tx.prepare_cached(
            "INSERT INTO shares (account, at, article_key, url, slot, outcome, post_id, detail, variant, title, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            rec.account,
            time(rec.at),
            rec.article_key,
            rec.url,
            slot,
            outcome,
            rec.post_id,
            // A network's answer may quote what it was sent: never a secret in the state.
            crate::redact::scrub(&rec.detail),
            rec.wording.as_ref().and_then(|w| w.variant),
            rec.wording.as_ref().and_then(|w| w.title.as_deref()),
            rec.wording.as_ref().map(|w| w.text.as_str()),
        ])?;
        tx.prepare_cached("DELETE FROM intents WHERE account = ?1 AND slot = ?2")?
            .execute(params![rec.account, slot])?;
        tx.prepare_cached(
            "INSERT INTO slots (account, slot, outcome) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET outcome = excluded.outcome",
        )?
        .execute(params![rec.account, slot, outcome])?;
        tx.commit()?;
        Ok(())
    }

    /// Removes an intent whose post surely did not leave (the network refused it before doing
    /// anything, e.g. a rate limit): the slot stays open, to be posted later.
    pub fn withdraw(&self, intent: &Intent) -> Result<(), ArchiveError> {
        self.conn()
            .prepare_cached("DELETE FROM intents WHERE account = ?1 AND slot = ?2")?
            .execute(params![intent.account, time(intent.slot)])?;
        Ok(())
    }

    /// Intents left without an outcome by a process that is gone (a crash mid-post), or by
    /// this one: an intent of a process still running (`post-now` beside the daemon) is its
    /// post in flight, not an interrupted one.
    pub fn pending_intents(&self) -> Result<Vec<Intent>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT account, article_key, url, slot, text, created, owner, variant, title FROM intents ORDER BY slot",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                Intent {
                    account: r.get(0)?,
                    article_key: r.get(1)?,
                    url: r.get(2)?,
                    slot: DateTime::<Utc>::MIN_UTC,
                    text: r.get(4)?,
                    created: DateTime::<Utc>::MIN_UTC,
                    words: match (r.get::<_, Option<u32>>(7)?, r.get::<_, Option<String>>(8)?) {
                        (Some(v), Some(t)) => Some((v, t)),
                        _ => None,
                    },
                },
                r.get::<_, String>(3)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut intent, slot, created, owner) = row?;
            if super::owner::alive_elsewhere(&owner) {
                continue;
            }
            intent.slot = parse_time(&slot, "intents.slot")?;
            intent.created = parse_time(&created, "intents.created")?;
            out.push(intent);
        }
        Ok(out)
    }

    /// Whether the slot was already settled (posted, failed or skipped) or is in flight.
    pub fn slot_settled(&self, account: &str, slot: DateTime<Utc>) -> Result<bool, ArchiveError> {
        slot_taken(&self.conn(), account, &time(slot))
    }

    /// Every record of every account, newest first.
    pub fn all_history(&self) -> Result<Vec<ShareRecord>, ArchiveError> {
        self.records(&format!("{SHARE_SELECT} ORDER BY at DESC, id DESC"), [])
    }
}

/// Whether a slot (as stored) is settled or has an intent: what [`Archive::slot_settled`] asks
/// and what [`Archive::begin`] checks inside its transaction.
fn slot_taken(
    conn: &rusqlite::Connection,
    account: &str,
    slot: &str,
) -> Result<bool, ArchiveError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM slots WHERE account = ?1 AND slot = ?2
             UNION ALL SELECT 1 FROM intents WHERE account = ?1 AND slot = ?2",
        )?
        .exists(params![account, slot])?)
}

/// `('shared', …)`: the outcomes that count as shared, for SQL, made from
/// [`Outcome::counts_as_shared`] so that the two cannot differ.
pub(super) fn counts_as_shared_sql() -> &'static str {
    static LIST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        let names: Vec<String> = Outcome::ALL
            .iter()
            .filter(|o| o.counts_as_shared())
            .map(|o| format!("'{o}'"))
            .collect();
        format!("({})", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_list_of_shared_outcomes_follows_counts_as_shared() {
        assert_eq!(
            counts_as_shared_sql(),
            "('shared', 'duplicate', 'uncertain', 'refused')"
        );
    }
}
