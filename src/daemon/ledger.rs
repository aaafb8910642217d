//! Where the daemon writes down what it decided: the state, or, in a dry run, memory only.
//!
//! The one seam between a run and a rehearsal. Every step of the daemon decides the same way in
//! both (it asks the ledger what is settled, what was shared, what is dead) and the ledger alone
//! knows whether a decision goes to disk; the dry-run network does the same for posting.

use crate::archive::{Archive, ArchiveError, Outcome, ShareLog, ShareRecord};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// The daemon's decisions: recorded in the state, or (dry run) kept in memory over it.
pub(super) struct Ledger {
    archive: Archive,
    /// `Some` in a dry run: what the rehearsal "did", read over the state it never writes.
    dry: Option<Book>,
}

/// A dry run's record, by account name.
#[derive(Default)]
struct Book {
    /// Settled slots (account, slot in seconds) and how.
    settled: HashMap<(String, i64), Outcome>,
    /// What was "shared", per account, counted at its slot.
    shares: HashMap<String, Vec<ShareRecord>>,
    /// Links found dead.
    dead: HashSet<String>,
}

impl Ledger {
    pub(super) fn new(archive: Archive, dry_run: bool) -> Ledger {
        Ledger {
            archive,
            dry: dry_run.then(Book::default),
        }
    }

    /// The state, for reading.
    pub(super) fn archive(&self) -> &Archive {
        &self.archive
    }

    pub(super) fn dry_run(&self) -> bool {
        self.dry.is_some()
    }

    /// Whether `account`'s slot is done (posted, skipped, failed…).
    pub(super) fn settled(&self, account: &str, slot: DateTime<Utc>) -> Result<bool, ArchiveError> {
        match &self.dry {
            Some(b) => Ok(b
                .settled
                .contains_key(&(account.to_string(), slot.timestamp()))),
            None => self.archive.slot_settled(account, slot),
        }
    }

    /// Settles a slot with its outcome.
    pub(super) fn record(&mut self, r: &ShareRecord) -> Result<(), ArchiveError> {
        let Some(book) = &mut self.dry else {
            return self.archive.settle(r);
        };
        book.settled
            .insert((r.account.clone(), r.slot.timestamp()), r.outcome);
        if r.outcome.counts_as_shared() && r.article_key.is_some() {
            let at_slot = ShareRecord {
                at: r.slot,
                ..r.clone()
            };
            book.shares
                .entry(r.account.clone())
                .or_default()
                .push(at_slot);
        }
        Ok(())
    }

    /// `account`'s share log (the cooldown, rotation and wording's input), a dry run's own
    /// shares counted in.
    pub(super) fn share_log(&self, account: &str) -> Result<ShareLog, ArchiveError> {
        let mut log = self.archive.share_log(account)?;
        for r in self.dry_shares(account) {
            if let Some(key) = &r.article_key {
                log.add(key, r.at, r.outcome, r.wording.clone());
            }
        }
        Ok(log)
    }

    fn dry_shares(&self, account: &str) -> &[ShareRecord] {
        let shares = self.dry.as_ref().and_then(|b| b.shares.get(account));
        shares.map_or(&[], Vec::as_slice)
    }

    /// `account`'s recent shares per feed (see `Archive::feed_shares`), a dry run's own
    /// counted in.
    pub(super) fn feed_shares(
        &self,
        account: &str,
        since: DateTime<Utc>,
    ) -> Result<crate::schedule::FeedShares, ArchiveError> {
        let mut recent = self.archive.feed_shares(account, since)?;
        for r in self.dry_shares(account).iter().filter(|r| r.at >= since) {
            if let Some(a) = self
                .archive
                .article(r.article_key.as_deref().unwrap_or(""))?
            {
                crate::schedule::count_feed_share(&mut recent, &a.feed, r.at);
            }
        }
        Ok(recent)
    }

    /// The slot of `account`'s latest post (shared, or perhaps shared). A dry run counts only
    /// its own, as before it the account's real posts were made by another process.
    pub(super) fn last_posted_slot(
        &self,
        account: &str,
    ) -> Result<Option<DateTime<Utc>>, ArchiveError> {
        let posted = |o: &Outcome| matches!(o, Outcome::Shared | Outcome::Uncertain);
        if let Some(b) = &self.dry {
            return Ok(b
                .settled
                .iter()
                .filter(|((a, _), o)| a == account && posted(o))
                .filter_map(|((_, t), _)| DateTime::from_timestamp(*t, 0))
                .max());
        }
        Ok(self
            .archive
            .history(account)?
            .iter()
            .filter(|r| posted(&r.outcome))
            .map(|r| r.slot)
            .max())
    }

    /// What `account` spent this month: its billed posts (a dry run's own), and the reads of
    /// its posts' counts (a dry run reads none).
    pub(super) fn month_spend(
        &self,
        account: &crate::config::Account,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<f64, ArchiveError> {
        let posts = self.billed_posts(&account.name, tz, now)?;
        let reads = match &self.dry {
            Some(_) => 0,
            None => crate::budget::billed_reads(&self.archive, &account.name, tz, now)?,
        };
        Ok(crate::budget::spend(&account.budget, posts, reads))
    }

    /// How many of `account`'s posts cost money in `[start, end)`.
    pub(super) fn billed_posts(
        &self,
        account: &str,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<usize, ArchiveError> {
        let Some(b) = &self.dry else {
            return crate::budget::billed_posts(&self.archive, account, tz, now);
        };
        let (start, end) = crate::budget::month_bounds(tz, now);
        let month = start.timestamp()..end.timestamp();
        Ok(b.settled
            .iter()
            .filter(|((a, t), o)| a == account && o.costs() && month.contains(t))
            .count())
    }

    /// Marks an article's link dead: never shared again.
    pub(super) fn mark_dead(&mut self, key: &str) -> Result<(), ArchiveError> {
        match &mut self.dry {
            Some(b) => {
                b.dead.insert(key.to_string());
                Ok(())
            }
            None => self.archive.mark_dead(key),
        }
    }

    /// Marks an article whose link leads to a private address; a dry run keeps it as a dead
    /// link of its rehearsal.
    pub(super) fn mark_private(&mut self, key: &str) -> Result<(), ArchiveError> {
        match &mut self.dry {
            Some(b) => {
                b.dead.insert(key.to_string());
                Ok(())
            }
            None => self.archive.mark_private(key),
        }
    }

    /// Whether a dry run found this link dead (the state's own flag is on the article).
    pub(super) fn dead_in_rehearsal(&self, key: &str) -> bool {
        self.dry.as_ref().is_some_and(|b| b.dead.contains(key))
    }

    /// Runs a write to the state (an intent, a kept value, a plan…); in a dry run nothing is
    /// written and the write is skipped whole.
    pub(super) fn write(
        &self,
        f: impl FnOnce(&Archive) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError> {
        match self.dry {
            Some(_) => Ok(()),
            None => f(&self.archive),
        }
    }

    /// Keeps a value in the state's settings as JSON; nothing in a dry run.
    pub(super) fn put<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), ArchiveError> {
        self.write(|a| a.set_meta_json(key, value))
    }
}
