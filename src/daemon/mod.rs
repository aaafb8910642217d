//! The long-running daemon: posts what is due, keeps promises across restarts.
//!
//! [`Daemon`] holds the decisions and is driven by explicit times ([`Daemon::tick`]), so a week
//! can be simulated in a test. [`run`] wires it to the wall clock, its chores (feed refresh,
//! housekeeping: [`chores`]) and the signals.

pub(crate) mod chores;
mod credentials;
mod engagement;
mod lane;
mod ledger;
mod plan;
mod reload;
mod run;
mod status;

pub(crate) use credentials::expiry_warning;
pub(crate) use plan::{kept_state, measured_volume};
pub(crate) use reload::Reloaded;
pub use run::{run, RunOptions};
pub(crate) use status::{Pause, Runtime};

use crate::archive::{key, Archive, ArchiveError, Intent, Outcome, ShareRecord};
use crate::config::Config;
use crate::error::Error;
use crate::network::Network;
use chrono::{DateTime, Duration, Utc};
use lane::Lane;
use ledger::Ledger;

/// The last feed read, for `encore status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedStatus {
    /// When.
    pub at: DateTime<Utc>,
    /// What came of it.
    pub result: String,
}

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
    /// For a skipped slot, why in one word (metrics count skips by it).
    pub skip: Option<SkipReason>,
}

/// Why a slot was skipped, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// Past its grace period (daemon stopped, machine asleep).
    Missed,
    /// A later slot was due too: late slots never go out in a burst.
    Superseded,
    /// The account is paused (rate limit, budget) until a time.
    Paused,
    /// The account stopped after refused credentials or no credit.
    Stopped,
    /// Too close to the account's previous post.
    Spacing,
    /// One more post would exceed the month's budget.
    Budget,
    /// No article fits (none eligible, none that fits the network's length).
    NoArticle,
    /// Another process took the articles first.
    Taken,
    /// A slot a rate limit moved gave way to a regular one.
    Moved,
}

impl SkipReason {
    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Missed => "missed",
            SkipReason::Superseded => "superseded",
            SkipReason::Paused => "paused",
            SkipReason::Stopped => "stopped",
            SkipReason::Spacing => "spacing",
            SkipReason::Budget => "budget",
            SkipReason::NoArticle => "no_article",
            SkipReason::Taken => "taken",
            SkipReason::Moved => "moved",
        }
    }
}

/// What every lane reads besides its own state.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shared {
    /// The config's time zone: days, hours and the log's times.
    pub tz: chrono_tz::Tz,
    /// The state's seed: slot times and draws.
    pub seed: u64,
    /// How long a link check may take (the feed's timeout).
    pub link_timeout: std::time::Duration,
    /// The config has several feeds: an account's articles are its feeds' own.
    pub several_feeds: bool,
}

/// The daemon's state between ticks: the config in force, the ledger its decisions go to, and
/// one lane per account, in config order.
pub struct Daemon {
    config: Config,
    ledger: Ledger,
    lanes: Vec<Lane>,
    seed: u64,
    last_tick: Option<DateTime<Utc>>,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// The clients for the feeds and what their content links to, built once per config.
    web: crate::http::Web,
}

impl Daemon {
    /// Opens the daemon on an archive: a lane per account (with the length its server allows,
    /// asked once here), then the intents left by a crash settled before anything else.
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
        if let Some(first) = config.feeds.first() {
            // Articles read before feeds had names belong to the config's first feed. Done in a
            // dry run too (a fix of the state, not history): the rehearsal sees what a run sees.
            archive.adopt_unnamed(&first.name)?;
        }
        forget_private_links(&config, &archive)?;
        let ledger = Ledger::new(archive, dry_run);
        let web = config.web();
        let lanes = open_lanes(&config, &web, networks, &ledger, |_| None).await?;
        let mut daemon = Daemon {
            web,
            config,
            ledger,
            lanes,
            seed,
            last_tick,
            metrics: std::sync::Arc::new(crate::metrics::Metrics::new()),
        };
        if !dry_run {
            daemon.reconcile(now).await?;
        }
        daemon.plan(now).await?;
        daemon.log_cadences(now);
        Ok(daemon)
    }

    fn shared(&self) -> Shared {
        Shared {
            tz: self.config.timezone,
            seed: self.seed,
            link_timeout: self
                .config
                .feeds
                .iter()
                .map(|f| f.timeout)
                .max()
                .unwrap_or_default(),
            several_feeds: self.config.feeds.len() > 1,
        }
    }

    /// Auto mode's post counts read and today's plans made, for every lane that needs them.
    async fn plan(&mut self, now: DateTime<Utc>) -> Result<(), ArchiveError> {
        let ctx = self.shared();
        for lane in &mut self.lanes {
            lane.plan(ctx, &self.ledger, now).await?;
        }
        Ok(())
    }

    fn log_cadences(&self, now: DateTime<Utc>) {
        for lane in &self.lanes {
            lane.log_cadence(self.shared(), now);
        }
    }

    /// The config in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The archive.
    pub fn archive(&self) -> &Archive {
        self.ledger.archive()
    }

    /// The metrics the daemon keeps, as Prometheus text (what `GET /metrics` answers).
    pub fn metrics_text(&self) -> String {
        self.metrics.render()
    }

    /// Keeps its metrics in `metrics` (the run's, served by its endpoint across start-overs).
    pub(crate) fn use_metrics(&mut self, metrics: std::sync::Arc<crate::metrics::Metrics>) {
        self.metrics = metrics;
    }

    fn lane(&self, account: &str) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.name() == account)
    }

    /// The next unsettled slot of `account` after `now`.
    pub fn next_slot(&self, account: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.lane(account)?.next_slot(self.shared(), now)
    }

    /// `account`'s kept day plans (auto mode).
    pub fn plans(&self, account: &str) -> Option<&crate::cadence::Plans> {
        self.lane(account).map(|l| &l.auto.plans)
    }

    /// When the daemon next has something to do at the earliest: a slot of any account, or
    /// the end of a rate-limit pause with a moved slot. The loop sleeps until then (never more
    /// than its tick), so a slot is posted on time rather than up to a tick late.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let ctx = self.shared();
        let slots = self.lanes.iter().filter_map(|l| l.next_slot(ctx, now));
        let resumes = self
            .lanes
            .iter()
            .filter_map(|l| l.deferred.map(|d| d.until));
        slots.chain(resumes).filter(|t| *t >= now).min()
    }

    /// Settles every intent a crash left behind: the network looks for the post; if it cannot
    /// tell, the article counts as shared (uncertain) so it is not posted twice.
    async fn reconcile(&mut self, now: DateTime<Utc>) -> Result<(), Error> {
        for intent in self.ledger.archive().pending_intents()? {
            let (at, outcome, post_id, detail) = match self.lane(&intent.account) {
                None => {
                    tracing::warn!(account = %intent.account, "pending post of a removed account: recorded as uncertain");
                    let why = "account no longer configured".to_string();
                    (now, Outcome::Uncertain, None, why)
                }
                Some(lane) => interrupted(&intent, lane.network.reconcile(&intent).await, now),
            };
            self.ledger.record(&ShareRecord {
                at,
                account: intent.account.clone(),
                article_key: Some(intent.article_key.clone()),
                url: Some(intent.url.clone()),
                slot: intent.slot,
                outcome,
                post_id,
                detail,
                wording: Some(intent.wording()),
            })?;
        }
        Ok(())
    }

    /// The first time a feed is read, fills the archive from its older pages.
    pub async fn backfill_once(&mut self, now: DateTime<Utc>) -> Result<(), Error> {
        let archive = self.ledger.archive();
        for feed in &self.config.feeds {
            if feed.backfill_pages > 0 && archive.meta(&key::backfilled(&feed.name))?.is_none() {
                tracing::info!(feed = %feed.name, "first read: reading older feed pages into the archive");
                crate::ingest::backfill_feed(&self.config, &self.web, feed, archive, now).await?;
            }
        }
        Ok(())
    }

    /// Reads every feed into the archive (see [`Daemon::refresh_feeds`]).
    pub async fn refresh_feed(&mut self, now: DateTime<Utc>) -> Result<(), ArchiveError> {
        let names: Vec<String> = self.config.feeds.iter().map(|f| f.name.clone()).collect();
        self.refresh_feeds(&names, now).await
    }

    /// Reads the feeds called `names` into the archive, `feed_concurrency` at a time and one at
    /// a time per host (a blog network on one server is not hit by four readers at once). A
    /// feed that fails costs a warning for that feed; the archive keeps serving. Errs only when
    /// the state cannot be written.
    pub async fn refresh_feeds(
        &mut self,
        names: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), ArchiveError> {
        use futures_util::StreamExt;
        let archive = self.ledger.archive();
        let mut by_host: std::collections::BTreeMap<String, Vec<&crate::config::FeedSettings>> =
            Default::default();
        for f in self.config.feeds.iter().filter(|f| names.contains(&f.name)) {
            by_host.entry(host_of(&f.source)).or_default().push(f);
        }
        let read = std::sync::Mutex::new(Vec::new());
        let web = &self.web;
        futures_util::stream::iter(by_host.into_values())
            .for_each_concurrent(self.config.feed_concurrency, |feeds| async {
                for f in feeds {
                    let stats = crate::ingest::refresh_feed(web, f, archive, now).await;
                    read.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((f.name.clone(), stats));
                }
            })
            .await;
        let read = read.into_inner().unwrap_or_else(|e| e.into_inner());
        self.observe_reads(&read, now)?;
        for (name, stats) in read {
            let status = FeedStatus {
                at: now,
                result: match stats {
                    Some(s) => format!("ok: {} new, {} known", s.new, s.known),
                    None => "failed (see the log); the archive keeps serving".into(),
                },
            };
            if let Err(e) = self.ledger.put(&key::feed_status(&name), &status) {
                tracing::warn!(feed = %name, "feed status not kept: {e}");
            }
        }
        self.publish(now);
        release_freed_memory();
        self.ledger.archive().flush()
    }

    /// The daily chore: the archive's size in the log, and a write that shows the state can
    /// still be written.
    pub async fn housekeeping(&self) -> Result<(), ArchiveError> {
        let checked = self.ledger.write(|a| a.check_writable());
        tracing::info!(
            articles = self.archive().len(),
            "housekeeping: state checked"
        );
        checked
    }

    /// Posts what is due at `now`, lane by lane (see [`Lane::tick`]).
    pub async fn tick(&mut self, now: DateTime<Utc>) -> Result<Vec<SlotReport>, Error> {
        self.plan(now).await?;
        let ctx = self.shared();
        let mut reports = Vec::new();
        let paused_before: Vec<bool> = self.lanes.iter().map(|l| l.pause.is_some()).collect();
        for lane in &mut self.lanes {
            reports.extend(
                lane.tick(ctx, &mut self.ledger, self.last_tick, now)
                    .await?,
            );
        }
        self.observe_tick(&reports, &paused_before, now)?;
        let tz = self.config.timezone;
        let new_day = self.last_tick.is_none_or(|t| {
            t.with_timezone(&tz).date_naive() != now.with_timezone(&tz).date_naive()
        });
        self.last_tick = Some(now);
        // What the tick planned and skipped is on disk (committed) before the loop sleeps.
        self.ledger
            .write(|a| a.set_meta(key::LAST_TICK, &now.to_rfc3339()))?;
        if !reports.is_empty() || new_day {
            self.publish(now);
        }
        if !reports.is_empty() {
            release_freed_memory();
        }
        Ok(reports)
    }

    /// `encore post-now`: shares one article for `account` at once, as a slot at `now`
    /// would (selection, message, intent, history), whatever the cadence says.
    pub async fn post_now(
        &mut self,
        account: &str,
        now: DateTime<Utc>,
    ) -> Result<SlotReport, Error> {
        let ctx = self.shared();
        let Some(lane) = self.lanes.iter_mut().find(|l| l.name() == account) else {
            return Err(Error::Usage(format!(
                "no account named {account:?} in {}",
                self.config.path.display()
            )));
        };
        if let Some(Pause::Until(until)) = lane
            .pause
            .filter(|p| matches!(p, Pause::Until(t) if *t > now))
        {
            return Err(Error::NotPosted(format!(
                "account {account} is paused by a rate limit until {until}"
            )));
        }
        // Slots are kept per second; two post-now in one second take the next free one.
        let mut slot = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        while self.ledger.settled(account, slot)? {
            slot += Duration::seconds(1);
        }
        lane.post_slot(ctx, &mut self.ledger, slot, now).await
    }
}

/// A lane per account of `config`, in config order, each with its network (`networks` in the
/// same order). `keep` hands back an account's lane from before a reload, if it has one: its
/// pause, moved slot, plans and samples go on; a new account starts from what the state keeps.
async fn open_lanes(
    config: &Config,
    web: &crate::http::Web,
    networks: Vec<Box<dyn Network>>,
    ledger: &Ledger,
    mut keep: impl FnMut(&str) -> Option<Lane>,
) -> Result<Vec<Lane>, ArchiveError> {
    let mut lanes = Vec::with_capacity(networks.len());
    for (account, network) in config.accounts.iter().zip(networks) {
        let length =
            crate::network::limits::read_rule(&config.state_dir, account, network.as_ref()).await;
        let lane = match keep(&account.name) {
            Some(mut kept) => {
                kept.account = account.clone();
                kept.network = network;
                kept.length = length;
                kept.web = web.clone();
                kept
            }
            None => Lane::open(account.clone(), network, length, web.clone(), ledger)?,
        };
        lanes.push(lane);
    }
    Ok(lanes)
}

/// What an interrupted post comes to, from the network's look for it: (when, outcome, post
/// id, detail).
fn interrupted(
    intent: &Intent,
    found: Result<Option<crate::network::Receipt>, crate::network::PostError>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, Outcome, Option<String>, String) {
    match found {
        Ok(Some(receipt)) => {
            tracing::info!(account = %intent.account, url = %intent.url, post_id = %receipt.post_id, "interrupted post found on the account: recorded as shared");
            (
                receipt.at,
                Outcome::Shared,
                Some(receipt.post_id),
                intent.text.clone(),
            )
        }
        Ok(None) => {
            tracing::warn!(account = %intent.account, url = %intent.url, "a post was interrupted and the network cannot tell whether it went out: treated as shared (no retry, to avoid a double post)");
            let detail = format!("interrupted; not retried: {}", intent.text);
            (now, Outcome::Uncertain, None, detail)
        }
        Err(e) => {
            tracing::warn!(account = %intent.account, url = %intent.url, "could not check an interrupted post ({e}): treated as shared");
            (
                now,
                Outcome::Uncertain,
                None,
                format!("interrupted; check failed: {e}"),
            )
        }
    }
}

/// Links found to lead to a private address are checked again once their feed allows private
/// networks (a fix of the state like `adopt_unnamed`, so a dry run does it too).
fn forget_private_links(config: &Config, archive: &Archive) -> Result<(), ArchiveError> {
    let open: Vec<&str> = config
        .feeds
        .iter()
        .filter(|f| f.allow_private_networks)
        .map(|f| f.name.as_str())
        .collect();
    archive.forget_private_links(&open)
}

/// The host a feed is read from, for reading one feed at a time per host.
fn host_of(source: &crate::config::FeedSource) -> String {
    match source {
        crate::config::FeedSource::Url(u) => u.host_str().unwrap_or("").to_ascii_lowercase(),
        crate::config::FeedSource::File(_) => String::new(),
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
