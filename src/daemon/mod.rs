//! The long-running daemon: posts what is due, keeps promises across restarts.
//!
//! [`Daemon`] holds the decisions and is driven by explicit times ([`Daemon::tick`]), so a week
//! can be simulated in a test. [`run`] wires it to the wall clock, its chores (feed refresh,
//! housekeeping: [`chores`]) and the signals.

pub mod chores;
mod plan;
mod reload;
mod run;

pub use plan::{kept_state, measured_volume, Pause, Runtime};
pub use reload::Reloaded;
pub use run::{run, RunOptions};

use crate::archive::{key, Archive, ArchiveError, Article, Intent, Outcome, ShareRecord};
use crate::cadence;
use crate::config::{Config, HumanDuration};
use crate::error::Error;
use crate::network::{Network, Outgoing, PostError};
use crate::schedule::{self, Decision};
use chrono::{DateTime, Datelike, Duration, Utc};
use std::collections::HashMap;

/// The last feed read, for `encore status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedStatus {
    /// When.
    pub at: DateTime<Utc>,
    /// What came of it.
    pub result: String,
}

/// How far back a restart looks for missed slots to report.
const MAX_LOOKBACK_DAYS: i64 = 7;

/// What one slot came to, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotReport {
    /// The account.
    pub account: String,
    /// The planned slot.
    pub slot: DateTime<Utc>,
    /// What happened.
    pub outcome: Outcome,
    /// The article key, when one was chosen.
    pub article_key: Option<String>,
    /// The network's id for the post, when one was made.
    pub post_id: Option<String>,
    /// The text posted, or why nothing was.
    pub detail: String,
}

/// A slot that a rate limit moved to later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Deferred {
    slot: DateTime<Utc>,
    until: DateTime<Utc>,
}

/// The daemon's state between ticks.
pub struct Daemon {
    config: Config,
    archive: Archive,
    networks: Vec<Box<dyn Network>>,
    seed: u64,
    dry_run: bool,
    /// Dry run only: slots "done" and shares "made", in memory (nothing is written).
    dry_settled: HashMap<(usize, i64), Outcome>,
    dry_shares: Vec<HashMap<String, DateTime<Utc>>>,
    /// Dry run only: links found dead (the archive is not written).
    dry_dead: std::collections::HashSet<String>,
    /// An account is paused until this time (rate limit), or stopped (`None` inside `Some`).
    paused: Vec<Option<Option<DateTime<Utc>>>>,
    /// A slot a rate limit moved: posted once the pause is over (kept in the state).
    deferred: Vec<Option<Deferred>>,
    last_tick: Option<DateTime<Utc>>,
    /// Auto mode: the kept day plans, post-count samples, and when a read was last tried.
    plans: Vec<cadence::Plans>,
    samples: Vec<Vec<crate::volume::Sample>>,
    sample_tried: Vec<Option<DateTime<Utc>>>,
}

impl Daemon {
    /// Opens the daemon on an archive. Resolves intents left by a crash before anything else.
    pub async fn start(
        config: Config,
        archive: Archive,
        networks: Vec<Box<dyn Network>>,
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> Result<Daemon, Error> {
        let seed = archive.seed()?;
        let last_tick = archive
            .meta(key::LAST_TICK)?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc));
        let n = config.accounts.len();
        let mut daemon = Daemon {
            config,
            archive,
            networks,
            seed,
            dry_run,
            dry_settled: HashMap::new(),
            dry_shares: vec![HashMap::new(); n],
            dry_dead: std::collections::HashSet::new(),
            paused: vec![None; n],
            deferred: vec![None; n],
            last_tick,
            plans: vec![cadence::Plans::default(); n],
            samples: vec![Vec::new(); n],
            sample_tried: vec![None; n],
        };
        for i in 0..n {
            let name = daemon.config.accounts[i].name.clone();
            daemon.restore(i, &name)?;
        }
        if !dry_run {
            daemon.reconcile(now).await?;
        }
        daemon.sample_volumes(now).await?;
        daemon.ensure_plans(now)?;
        daemon.log_cadences(now);
        Ok(daemon)
    }

    /// Takes up what the state keeps of account `i` between runs: a slot a rate limit moved
    /// (the account stays paused until then), auto mode's day plans and post-count samples.
    fn restore(&mut self, i: usize, name: &str) -> Result<(), ArchiveError> {
        if let Some(d) = self.archive.meta_json::<Deferred>(&key::deferred(name))? {
            self.paused[i] = Some(Some(d.until));
            self.deferred[i] = Some(d);
        }
        (self.plans[i], self.samples[i]) = plan::kept_state(&self.archive, name)?;
        Ok(())
    }

    /// One line per account: the cadence in force and the next slot (at start and reload).
    fn log_cadences(&self, now: DateTime<Utc>) {
        for (i, a) in self.config.accounts.iter().enumerate() {
            let next = self.next_slot(i, now);
            let rate = match a.cadence.mode {
                crate::config::CadenceMode::Fixed => {
                    format!("fixed, {} per day", a.cadence.per_day)
                }
                crate::config::CadenceMode::Auto(_) => match self.plans[i].last() {
                    Some(p) => format!("auto, {:.2} per day from volume {}", p.rate, p.basis),
                    None => "auto".to_string(),
                },
            };
            tracing::info!(
                account = %a.name,
                network = %a.network,
                "cadence {rate}, {} on {} days, at least {} apart; next slot {}",
                a.cadence.active_hours,
                a.cadence.days.len(),
                HumanDuration(a.cadence.min_spacing),
                next.map(|t| t.with_timezone(&self.config.timezone).to_rfc3339()).unwrap_or_else(|| "none within 30 days".into())
            );
        }
    }

    /// The config in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The archive.
    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    /// The next unsettled slot of account `i` after `now`.
    pub fn next_slot(&self, i: usize, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.account_slots(i, now, now + Duration::days(30), now)
            .into_iter()
            .next()
    }

    /// When the daemon next has something to do at the earliest: a slot of any account, or
    /// the end of a rate-limit pause with a moved slot. The loop sleeps until then (never more
    /// than its tick), so a slot is posted on time rather than up to a tick late.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let slots = (0..self.config.accounts.len()).filter_map(|i| self.next_slot(i, now));
        let resumes = self.deferred.iter().flatten().map(|d| d.until);
        slots.chain(resumes).filter(|t| *t >= now).min()
    }

    /// The slot of account `i`'s latest post (shared, or perhaps shared), if any.
    fn last_posted_slot(&self, i: usize) -> Result<Option<DateTime<Utc>>, ArchiveError> {
        let dry = self
            .dry_settled
            .iter()
            .filter(|((a, _), o)| *a == i && matches!(o, Outcome::Shared | Outcome::Uncertain))
            .filter_map(|((_, t), _)| DateTime::from_timestamp(*t, 0))
            .max();
        if self.dry_run {
            return Ok(dry);
        }
        Ok(self
            .archive
            .history(&self.config.accounts[i].name)?
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Shared | Outcome::Uncertain))
            .map(|r| r.slot)
            .max())
    }

    /// Settles every intent a crash left behind: the network looks for the post; if it cannot
    /// tell, the article counts as shared (uncertain) so it is not posted twice.
    async fn reconcile(&mut self, now: DateTime<Utc>) -> Result<(), Error> {
        for intent in self.archive.pending_intents()? {
            let Some(i) = self
                .config
                .accounts
                .iter()
                .position(|a| a.name == intent.account)
            else {
                tracing::warn!(account = %intent.account, "pending post of a removed account: recorded as uncertain");
                self.settle_intent(
                    &intent,
                    now,
                    Outcome::Uncertain,
                    None,
                    "account no longer configured".into(),
                )?;
                continue;
            };
            let found = self.networks[i].reconcile(&intent).await;
            match found {
                Ok(Some(receipt)) => {
                    tracing::info!(account = %intent.account, url = %intent.url, post_id = %receipt.post_id, "interrupted post found on the account: recorded as shared");
                    self.settle_intent(
                        &intent,
                        receipt.at,
                        Outcome::Shared,
                        Some(receipt.post_id),
                        intent.text.clone(),
                    )?;
                }
                Ok(None) => {
                    tracing::warn!(account = %intent.account, url = %intent.url, "a post was interrupted and the network cannot tell whether it went out: treated as shared (no retry, to avoid a double post)");
                    self.settle_intent(
                        &intent,
                        now,
                        Outcome::Uncertain,
                        None,
                        format!("interrupted; not retried: {}", intent.text),
                    )?;
                }
                Err(e) => {
                    tracing::warn!(account = %intent.account, url = %intent.url, "could not check an interrupted post ({e}): treated as shared");
                    self.settle_intent(
                        &intent,
                        now,
                        Outcome::Uncertain,
                        None,
                        format!("interrupted; check failed: {e}"),
                    )?;
                }
            }
        }
        Ok(())
    }

    fn settle_intent(
        &self,
        intent: &Intent,
        at: DateTime<Utc>,
        outcome: Outcome,
        post_id: Option<String>,
        detail: String,
    ) -> Result<(), ArchiveError> {
        self.archive.settle(&ShareRecord {
            at,
            account: intent.account.clone(),
            article_key: Some(intent.article_key.clone()),
            url: Some(intent.url.clone()),
            slot: intent.slot,
            outcome,
            post_id,
            detail,
        })
    }

    /// On the very first run, fills the archive from the feed's older pages.
    pub async fn backfill_once(&mut self, now: DateTime<Utc>) -> Result<(), Error> {
        if self.config.feed.backfill_pages > 0 && self.archive.meta(key::BACKFILLED)?.is_none() {
            tracing::info!("first run: reading older feed pages into the archive");
            crate::ingest::backfill_archive(&self.config, &self.archive, now).await?;
        }
        Ok(())
    }

    /// Reads the feed into the archive (a failure is logged; the archive keeps serving). Errs
    /// only when the state cannot be written.
    pub async fn refresh_feed(&mut self, now: DateTime<Utc>) -> Result<(), ArchiveError> {
        let stats = crate::ingest::refresh_archive(&self.config, &self.archive, now).await;
        let status = FeedStatus {
            at: now,
            result: match stats {
                Some(s) => format!("ok: {} new, {} known", s.new, s.known),
                None => "failed (see the log); the archive keeps serving".into(),
            },
        };
        if let Err(e) = self.put_meta(key::FEED_STATUS, &status) {
            tracing::warn!("feed status not kept: {e}");
        }
        self.publish(now);
        release_freed_memory();
        self.flush().await
    }

    /// The daily chore: the archive's size in the log, and a write that shows the state can
    /// still be written.
    pub async fn housekeeping(&self) -> Result<(), ArchiveError> {
        let checked = match self.dry_run {
            true => Ok(()),
            false => self.archive.check_writable(),
        };
        tracing::info!(articles = self.archive.len(), "housekeeping: state checked");
        checked
    }

    /// Every change is committed, durably, where it is made (SQLite, `synchronous = FULL`):
    /// kept so that the places where the state must be on disk say so.
    async fn flush(&self) -> Result<(), ArchiveError> {
        self.archive.flush()
    }

    /// Posts what is due at `now`. Slots missed by more than the grace period are skipped with a
    /// line saying so; of several slots within grace, only the latest is posted (never a burst).
    pub async fn tick(&mut self, now: DateTime<Utc>) -> Result<Vec<SlotReport>, Error> {
        let mut reports = Vec::new();
        self.sample_volumes(now).await?;
        self.ensure_plans(now)?;
        for i in 0..self.config.accounts.len() {
            let account = self.config.accounts[i].clone();
            let grace = Duration::from_std(account.cadence.grace).unwrap_or(Duration::minutes(15));
            let from = match self.last_tick {
                Some(t) => (t - grace).max(now - Duration::days(MAX_LOOKBACK_DAYS)),
                None => now - grace,
            };
            let due: Vec<DateTime<Utc>> = self
                .account_slots(i, from, now + Duration::seconds(1), now)
                .into_iter()
                .filter(|s| *s <= now)
                .collect();
            let mut pending = Vec::new();
            for slot in due {
                if !self.settled(i, slot)? {
                    pending.push(slot);
                }
            }
            // The moved slot is not a regular one any more: only resume_deferred handles it.
            if let Some(d) = self.deferred[i] {
                pending.retain(|s| *s != d.slot);
            }
            if let Some(report) = self.resume_deferred(i, &pending, now).await? {
                reports.push(report);
                continue;
            }
            let Some((&latest, older)) = pending.split_last() else {
                continue;
            };
            for &slot in older {
                let why = if now - slot > grace {
                    format!(
                        "missed by {} (daemon stopped or machine asleep; grace {})",
                        late(now - slot),
                        HumanDuration(account.cadence.grace)
                    )
                } else {
                    "superseded by a later slot (late slots are never posted in a burst)"
                        .to_string()
                };
                reports.push(self.skip(i, slot, now, why)?);
            }
            if now - latest > grace {
                let why = format!(
                    "missed by {} (daemon stopped or machine asleep; grace {})",
                    late(now - latest),
                    HumanDuration(account.cadence.grace)
                );
                reports.push(self.skip(i, latest, now, why)?);
                continue;
            }
            if let Some(pause) = self.paused[i] {
                match pause {
                    None => {
                        reports.push(self.skip(i, latest, now, "account stopped after an error (see above); restart after fixing it".into())?);
                        continue;
                    }
                    Some(until) if until > now => {
                        reports.push(self.skip(
                            i,
                            latest,
                            now,
                            format!("account paused until {until}"),
                        )?);
                        continue;
                    }
                    Some(_) => self.paused[i] = None,
                }
            }
            // Slots are spaced by construction; this holds the promise when the plan itself
            // moved (a reload) or a `post-now` came just before.
            let spacing =
                Duration::from_std(account.cadence.min_spacing).unwrap_or(Duration::zero());
            if let Some(prev) = self.last_posted_slot(i)? {
                if (latest - prev).abs() < spacing {
                    let why = format!(
                        "only {} after the post of {} (minimum spacing {})",
                        late((latest - prev).abs()),
                        prev.with_timezone(&self.config.timezone).to_rfc3339(),
                        HumanDuration(account.cadence.min_spacing)
                    );
                    reports.push(self.skip(i, latest, now, why)?);
                    continue;
                }
            }
            reports.push(self.post_slot(i, latest, now).await?);
        }
        let new_day = self.last_tick.is_none_or(|t| {
            t.with_timezone(&self.config.timezone).date_naive()
                != now.with_timezone(&self.config.timezone).date_naive()
        });
        self.last_tick = Some(now);
        if !self.dry_run {
            self.archive.set_meta(key::LAST_TICK, &now.to_rfc3339())?;
            // What the tick planned and skipped is on disk before the loop sleeps.
            self.flush().await?;
        }
        if !reports.is_empty() || new_day {
            self.publish(now);
        }
        if !reports.is_empty() {
            release_freed_memory();
        }
        Ok(reports)
    }

    /// Once a rate-limit pause is over, posts the slot it moved, unless a regular slot is due
    /// now (that one goes instead) or comes within the minimum spacing (no cluster of posts).
    async fn resume_deferred(
        &mut self,
        i: usize,
        pending: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Result<Option<SlotReport>, Error> {
        let Some(d) = self.deferred[i] else {
            return Ok(None);
        };
        if d.until > now {
            return Ok(None);
        }
        // A moved post still keeps to the account's hours and days: no 3 a.m. share because
        // a limit reset at night.
        let local = now.with_timezone(&self.config.timezone);
        let c = &self.config.accounts[i].cadence;
        if !c.active_hours.contains(local.time()) || !c.days.contains(&local.weekday()) {
            return Ok(None);
        }
        self.deferred[i] = None;
        self.paused[i] = None;
        if !self.dry_run {
            self.archive
                .remove_meta(&key::deferred(&self.config.accounts[i].name))?;
        }
        if self.settled(i, d.slot)? {
            return Ok(None);
        }
        let spacing = Duration::from_std(self.config.accounts[i].cadence.min_spacing)
            .unwrap_or(Duration::zero());
        if let Some(&regular) = pending.last() {
            let why = format!(
                "moved by a rate limit, then replaced by the slot at {}",
                regular.with_timezone(&self.config.timezone).to_rfc3339()
            );
            self.skip(i, d.slot, now, why)?;
            return Ok(None);
        }
        if let Some(next) = self.next_slot(i, now) {
            if next - now < spacing {
                let why = format!(
                    "moved by a rate limit; yields to the slot at {} (minimum spacing)",
                    next.with_timezone(&self.config.timezone).to_rfc3339()
                );
                return Ok(Some(self.skip(i, d.slot, now, why)?));
            }
        }
        tracing::info!(account = %self.config.accounts[i].name, "rate-limit pause over: posting the slot it moved");
        Ok(Some(self.post_slot(i, d.slot, now).await?))
    }

    /// `encore post-now`: shares one article for `account` at once, as a slot at `now`
    /// would (selection, message, intent, history), whatever the cadence says.
    pub async fn post_now(
        &mut self,
        account: &str,
        now: DateTime<Utc>,
    ) -> Result<SlotReport, Error> {
        let Some(i) = self.config.accounts.iter().position(|a| a.name == account) else {
            return Err(Error::Usage(format!(
                "no account named {account:?} in {}",
                self.config.path.display()
            )));
        };
        if let Some(Some(until)) = self.paused[i] {
            if until > now {
                return Err(Error::NotPosted(format!(
                    "account {account} is paused by a rate limit until {until}"
                )));
            }
        }
        // Slots are kept per second; two post-now in one second take the next free one.
        let mut slot = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        while self.settled(i, slot)? {
            slot += Duration::seconds(1);
        }
        self.post_slot(i, slot, now).await
    }

    fn settled(&self, i: usize, slot: DateTime<Utc>) -> Result<bool, ArchiveError> {
        if self.dry_run {
            return Ok(self.dry_settled.contains_key(&(i, slot.timestamp())));
        }
        self.archive
            .slot_settled(&self.config.accounts[i].name, slot)
    }

    fn skip(
        &mut self,
        i: usize,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
        why: String,
    ) -> Result<SlotReport, ArchiveError> {
        let name = self.config.accounts[i].name.clone();
        tracing::info!(account = %name, slot = %slot.with_timezone(&self.config.timezone).to_rfc3339(), "slot skipped: {why}");
        self.record(i, slot, now, Outcome::Skipped, None, None, why)
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        i: usize,
        slot: DateTime<Utc>,
        at: DateTime<Utc>,
        outcome: Outcome,
        article: Option<(&str, &str)>,
        post_id: Option<String>,
        detail: String,
    ) -> Result<SlotReport, ArchiveError> {
        let account = self.config.accounts[i].name.clone();
        let report_post_id = post_id.clone();
        if self.dry_run {
            self.dry_settled.insert((i, slot.timestamp()), outcome);
            if let (true, Some((key, _))) = (outcome.counts_as_shared(), article) {
                self.dry_shares[i].insert(key.to_string(), slot);
            }
        } else {
            self.archive.settle(&ShareRecord {
                at,
                account: account.clone(),
                article_key: article.map(|(k, _)| k.to_string()),
                url: article.map(|(_, u)| u.to_string()),
                slot,
                outcome,
                post_id,
                detail: detail.clone(),
            })?;
        }
        Ok(SlotReport {
            account,
            slot,
            outcome,
            article_key: article.map(|(k, _)| k.to_string()),
            post_id: report_post_id,
            detail,
        })
    }

    /// Skips the slot and pauses the account until next month when one more post would
    /// exceed the monthly budget. Says so once, when the pause starts.
    fn over_budget(
        &mut self,
        i: usize,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<SlotReport>, ArchiveError> {
        let account = &self.config.accounts[i];
        let Some(limit) = account.budget.monthly_usd else {
            return Ok(None);
        };
        let cost = account.budget.cost_per_post_usd;
        let tz = self.config.timezone;
        let (start, next_month) = crate::budget::month_bounds(tz, now);
        let posts = if self.dry_run {
            self.dry_settled
                .iter()
                .filter(|((a, t), o)| {
                    *a == i && o.costs() && (start.timestamp()..next_month.timestamp()).contains(t)
                })
                .count()
        } else {
            crate::budget::billed_posts(&self.archive, &account.name, tz, now)?
        };
        let spent = posts as f64 * cost;
        // A cent of tolerance: 0.1 + 0.2 is not 0.3 in floating point.
        if spent + cost <= limit + 0.005 {
            return Ok(None);
        }
        let name = account.name.clone();
        if self.paused[i] != Some(Some(next_month)) {
            tracing::warn!(account = %name, "monthly budget reached: ${spent:.2} spent of ${limit:.2} (${cost:.2} per post); no more posts until {}", next_month.with_timezone(&tz).to_rfc3339());
            self.paused[i] = Some(Some(next_month));
        }
        let why = format!("monthly budget reached (${spent:.2} of ${limit:.2})");
        Ok(Some(self.skip(i, slot, now, why)?))
    }

    /// What slot `slot` of `account` posts. The articles are streamed from the archive and only
    /// the best-ranked keys held ([`schedule::decide_streamed`]); when that cannot decide
    /// (nothing eligible, a pause after a new post, no article of the first rank fits), the
    /// window's articles (and the newest, for the pause) are loaded into `articles` and decided
    /// over: the same choice as over the whole archive (tests/daemon.rs), in memory that
    /// follows the window at most, never the archive.
    fn choose(
        &self,
        account: &crate::config::Account,
        last_shares: &HashMap<String, DateTime<Utc>>,
        slot: DateTime<Utc>,
        articles: &mut Option<Vec<Article>>,
    ) -> Result<Decision, ArchiveError> {
        let (from, to) = schedule::age_window(&account.select, slot);
        if articles.is_none() {
            let dry_dead = &self.dry_dead;
            let streamed = schedule::decide_streamed(
                account,
                |f| {
                    self.archive.each_published_between(from, to, &mut |mut a| {
                        a.dead |= dry_dead.contains(&a.key);
                        f(a)
                    })
                },
                |key| self.archive.article(key),
                last_shares,
                slot,
                self.seed,
            )?;
            if let Some(decision) = streamed {
                return Ok(decision);
            }
            let newest = match account.cadence.pause_after_new_post {
                Some(_) => self.archive.newest_published(slot)?,
                None => None,
            };
            let mut window =
                self.archive
                    .articles_published_between(from, to, newest.as_deref())?;
            for a in window.iter_mut() {
                a.dead |= dry_dead.contains(&a.key);
            }
            *articles = Some(window);
        }
        let window = articles.as_deref().unwrap_or_default();
        Ok(schedule::decide(
            account,
            window,
            last_shares,
            slot,
            self.seed,
        ))
    }

    /// Why a slot finds no article, with the whole archive's numbers (too young, too old…):
    /// the slot itself looked only at its age window.
    fn skip_reason(
        &self,
        account: &crate::config::Account,
        last_shares: &HashMap<String, DateTime<Utc>>,
        slot: DateTime<Utc>,
    ) -> Result<String, ArchiveError> {
        let all = self.archive.articles()?;
        Ok(
            match schedule::decide(account, &all, last_shares, slot, self.seed) {
                Decision::Skip { reason, .. } => reason,
                Decision::Post { .. } => "no article fits".to_string(),
            },
        )
    }

    async fn post_slot(
        &mut self,
        i: usize,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<SlotReport, Error> {
        let account = self.config.accounts[i].clone();
        if let Some(report) = self.over_budget(i, slot, now)? {
            return Ok(report);
        }
        let mut last_shares = self.archive.last_shares(&account.name)?;
        for (k, t) in &self.dry_shares[i] {
            last_shares.insert(k.clone(), *t);
        }
        // The window's articles, loaded only when the streamed choice cannot decide.
        let mut articles: Option<Vec<Article>> = None;
        // The article and its intent, committed: a dead link found at the last moment, or an
        // article another process (`post-now`) has just taken, gives the slot to the next best.
        let mut taken = 0;
        let (article, message, intent) = loop {
            let (article, message) = loop {
                let decision = self.choose(&account, &last_shares, slot, &mut articles)?;
                let (article, message) = match decision {
                    Decision::Skip { .. } => {
                        let reason = self.skip_reason(&account, &last_shares, slot)?;
                        return Ok(self.skip(i, slot, now, reason)?);
                    }
                    Decision::Post { article, message } => (article, message),
                };
                if !account.select.check_link {
                    break (article, message);
                }
                match crate::feed::check_link(&article.url, self.config.feed.timeout).await {
                    crate::feed::LinkStatus::Dead(code) => {
                        tracing::warn!(url = %article.url, "article link answers HTTP {code}: marked dead, never shared");
                        if self.dry_run {
                            self.dry_dead.insert(article.key.clone());
                        } else {
                            self.archive.mark_dead(&article.key)?;
                        }
                        // The same flag in this slot's copy, if it was loaded.
                        let loaded = articles.iter_mut().flatten();
                        if let Some(a) = loaded.into_iter().find(|a| a.key == article.key) {
                            a.dead = true;
                        }
                    }
                    crate::feed::LinkStatus::Unknown(why) => {
                        tracing::warn!(url = %article.url, "article link could not be checked ({why}): sharing it anyway");
                        break (article, message);
                    }
                    crate::feed::LinkStatus::Alive => break (article, message),
                }
            };
            let intent = Intent {
                account: account.name.clone(),
                article_key: article.key.clone(),
                url: message.url.clone(),
                slot,
                text: message.text.clone(),
                created: now,
            };
            if self.dry_run {
                break (article, message, intent);
            }
            let cooldown = Duration::days(i64::from(account.select.cooldown_days));
            match self.archive.begin(&intent, slot - cooldown) {
                Ok(()) => break (article, message, intent),
                // Another process posting beside this one takes one article, not five.
                Err(ArchiveError::Taken(why)) if taken >= 5 => {
                    return Ok(self.skip(i, slot, now, why)?);
                }
                Err(ArchiveError::Taken(why)) => {
                    tracing::info!(account = %account.name, "{why}; the slot goes to another article");
                    last_shares.insert(article.key.clone(), now);
                    taken += 1;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let out = Outgoing {
            account: &account.name,
            url: &message.url,
            article_key: &article.key,
            title: &article.title,
            slot,
            message: &message,
        };
        let result = self.networks[i].post(out).await;
        let art = Some((article.key.as_str(), message.url.as_str()));
        let report = match result {
            Ok(receipt) => {
                if !self.dry_run {
                    tracing::info!(account = %account.name, url = %message.url, post_id = %receipt.post_id, "shared");
                }
                // The daemon's clock, not the network's: cooldown and budget are reckoned in
                // one time line (the one tests and rehearsals set).
                self.record(
                    i,
                    slot,
                    now,
                    Outcome::Shared,
                    art,
                    Some(receipt.post_id),
                    message.text.clone(),
                )?
            }
            Err(PostError::RetryLater { reason, until }) => {
                // Refused before anything happened: the slot stays open and moves past the pause.
                let until = until.unwrap_or(now + Duration::minutes(15));
                self.paused[i] = Some(Some(until));
                let d = Deferred { slot, until };
                self.deferred[i] = Some(d);
                self.put_meta(&key::deferred(&account.name), &d)?;
                if !self.dry_run {
                    // Flushes the deferral with it.
                    self.archive.withdraw(&intent)?;
                }
                let until_local = until.with_timezone(&self.config.timezone).to_rfc3339();
                tracing::warn!(account = %account.name, "{reason}: account paused until {until_local}; this slot moves there");
                SlotReport {
                    account: account.name.clone(),
                    slot,
                    outcome: Outcome::Deferred,
                    article_key: Some(article.key.clone()),
                    post_id: None,
                    detail: format!("{reason}; moved to {until_local}"),
                }
            }
            Err(e) => {
                let outcome = match &e {
                    PostError::Duplicate { .. } => Outcome::Duplicate,
                    PostError::SkipArticle { .. } => Outcome::Refused,
                    PostError::Unknown { .. } => Outcome::Uncertain,
                    _ => Outcome::Failed,
                };
                if let PostError::StopAccount { .. } = &e {
                    tracing::error!(account = %account.name, "{e}: this account stops posting; the others go on");
                    self.paused[i] = Some(None);
                }
                tracing::warn!(account = %account.name, url = %message.url, "not shared: {e}");
                let report = self.record(i, slot, now, outcome, art, None, e.to_string())?;
                if let PostError::Fatal { reason } = e {
                    return Err(Error::Usage(format!(
                        "fatal error from {}: {reason}",
                        account.network
                    )));
                }
                report
            }
        };
        Ok(report)
    }
}

/// Gives back to the system the memory a slot or a feed read used and freed (a large window of
/// articles, a feed's items): glibc keeps freed memory for reuse, and a daemon that sleeps
/// for hours between slots would hold its peak all that time.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer and only returns glibc's own free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn late(d: Duration) -> String {
    HumanDuration(d.to_std().unwrap_or_default()).to_string()
}
