//! One account in the daemon: its settings, its network, and what only the running daemon
//! knows of it (a pause, a slot a rate limit moved, auto mode's plans and post counts, the
//! length its server allows). The daemon keeps one lane per account, by name, and drives each
//! through the same short steps; a lane never sees another.

use super::ledger::Ledger;
use super::plan::Auto;
use super::{Pause, Shared, SkipReason, SlotReport};
use crate::archive::{key, ArchiveError, Article, Intent, Outcome, ShareLog, ShareRecord};
use crate::config::{Account, CadenceMode};
use crate::error::Error;
use crate::network::{Network, Outgoing, PostError, Receipt};
use crate::schedule::{self, Decision};
use crate::vocab::{HumanDuration, LengthRule};
use chrono::{DateTime, Datelike, Duration, Utc};
use std::collections::HashMap;

/// How far back a restart looks for missed slots to report.
const MAX_LOOKBACK_DAYS: i64 = 7;

/// A slot a rate limit moved to later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Deferred {
    pub slot: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// One account's share of the daemon.
pub(super) struct Lane {
    pub account: Account,
    pub network: Box<dyn Network>,
    /// How the account's messages are measured: the network's rule, or its server's own.
    pub length: LengthRule,
    /// Why the account is not posting, if it is not.
    pub pause: Option<Pause>,
    /// What began the pause (for the metrics): "rate_limit", "budget" or "stopped".
    pub pause_cause: &'static str,
    /// A slot a rate limit moved: posted once the pause is over (kept in the state).
    pub deferred: Option<Deferred>,
    /// Auto mode's day plans and post counts.
    pub auto: Auto,
    /// The clients for what the feeds' content links to (link checks, cards).
    pub web: crate::http::Web,
}

/// Why a slot is skipped, and the line that says it.
type Skip = (SkipReason, String);

/// Per feed name ("" with a single feed), the window of articles a slot loaded.
type Windows = HashMap<String, Vec<Article>>;

/// The article a slot posts, its message and its committed intent.
struct Picked {
    article: Article,
    message: crate::compose::Message,
    intent: Intent,
}

impl Lane {
    /// A lane for `account`, taking up what the state keeps of it between runs: a slot a rate
    /// limit moved (the account stays paused until then), auto mode's plans and samples.
    pub(super) fn open(
        account: Account,
        network: Box<dyn Network>,
        length: LengthRule,
        web: crate::http::Web,
        ledger: &Ledger,
    ) -> Result<Lane, ArchiveError> {
        let archive = ledger.archive();
        let deferred = archive.meta_json::<Deferred>(&key::deferred(&account.name))?;
        Ok(Lane {
            pause: deferred.map(|d| Pause::Until(d.until)),
            pause_cause: "rate_limit",
            deferred,
            auto: Auto::open(archive, &account.name)?,
            account,
            network,
            length,
            web,
        })
    }

    pub(super) fn name(&self) -> &str {
        &self.account.name
    }

    /// The next unsettled slot after `now`.
    pub(super) fn next_slot(&self, ctx: Shared, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.slots(ctx, now, now + Duration::days(30), now)
            .into_iter()
            .next()
    }

    /// The account's slots in `[from, until)` (see [`Auto::slots`]).
    pub(super) fn slots(
        &self,
        ctx: Shared,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        self.auto.slots(ctx, &self.account, from, until, now)
    }

    /// Auto mode's post count read and today's plan made, when due.
    pub(super) async fn plan(
        &mut self,
        ctx: Shared,
        ledger: &Ledger,
        now: DateTime<Utc>,
    ) -> Result<(), ArchiveError> {
        let network = self.network.as_ref();
        self.auto
            .sample_volume(&self.account, network, ledger, now)
            .await?;
        self.auto.ensure_plan(ctx, &self.account, ledger, now)
    }

    /// One line for the log: the cadence in force and the next slot (at start and reload).
    pub(super) fn log_cadence(&self, ctx: Shared, now: DateTime<Utc>) {
        let a = &self.account;
        let rate = match a.cadence.mode {
            CadenceMode::Fixed => format!("fixed, {} per day", a.cadence.per_day),
            CadenceMode::Auto(_) => match self.auto.plans.last() {
                Some(p) => format!("auto, {:.2} per day from volume {}", p.rate, p.basis),
                None => "auto".to_string(),
            },
        };
        let next = self.next_slot(ctx, now);
        tracing::info!(
            account = %a.name,
            network = %a.network,
            "cadence {rate}, {} on {} days, at least {} apart; next slot {}",
            a.cadence.active_hours,
            a.cadence.days.len(),
            crate::vocab::HumanDuration(a.cadence.min_spacing),
            next.map(|t| t.with_timezone(&ctx.tz).to_rfc3339()).unwrap_or_else(|| "none within 30 days".into())
        );
    }

    /// Posts what is due at `now`. Slots missed by more than the grace period are skipped with
    /// a line saying so; of several slots within grace, only the latest is posted (never a
    /// burst).
    pub(super) async fn tick(
        &mut self,
        ctx: Shared,
        ledger: &mut Ledger,
        last_tick: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SlotReport>, Error> {
        let pending = self.pending(ctx, ledger, last_tick, now)?;
        if let Some(report) = self.resume_deferred(ctx, ledger, &pending, now).await? {
            return Ok(vec![report]);
        }
        let Some((&latest, older)) = pending.split_last() else {
            return Ok(Vec::new());
        };
        let mut reports = Vec::new();
        for &slot in older {
            let (reason, why) = match self.missed(now - slot) {
                Some(why) => (SkipReason::Missed, why),
                None => (
                    SkipReason::Superseded,
                    "superseded by a later slot (late slots are never posted in a burst)".into(),
                ),
            };
            reports.push(self.skip(ctx, ledger, slot, now, (reason, why))?);
        }
        match self.held_back(ctx, ledger, latest, now)? {
            Some(why) => reports.push(self.skip(ctx, ledger, latest, now, why)?),
            None => reports.push(self.post_slot(ctx, ledger, latest, now).await?),
        }
        Ok(reports)
    }

    fn grace(&self) -> Duration {
        Duration::from_std(self.account.cadence.grace).unwrap_or(Duration::minutes(15))
    }

    /// Why a slot `late` behind is past its grace, if it is.
    fn missed(&self, late: Duration) -> Option<String> {
        (late > self.grace()).then(|| {
            format!(
                "missed by {} (daemon stopped or machine asleep; grace {})",
                human(late),
                HumanDuration(self.account.cadence.grace)
            )
        })
    }

    /// The slots due by `now` and not settled, oldest first; the moved slot is not a regular
    /// one any more (only [`Lane::resume_deferred`] handles it).
    fn pending(
        &self,
        ctx: Shared,
        ledger: &Ledger,
        last_tick: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, ArchiveError> {
        let grace = self.grace();
        let from = match last_tick {
            Some(t) => (t - grace).max(now - Duration::days(MAX_LOOKBACK_DAYS)),
            None => now - grace,
        };
        let mut pending = Vec::new();
        for slot in self.slots(ctx, from, now + Duration::seconds(1), now) {
            let moved = self.deferred.is_some_and(|d| d.slot == slot);
            if slot <= now && !moved && !ledger.settled(self.name(), slot)? {
                pending.push(slot);
            }
        }
        Ok(pending)
    }

    /// Why the latest due slot may not post: missed, a pause, too close to the last post.
    /// Slots are spaced by construction; the spacing check holds the promise when the plan
    /// itself moved (a reload) or a `post-now` came just before.
    fn held_back(
        &mut self,
        ctx: Shared,
        ledger: &Ledger,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Skip>, ArchiveError> {
        if let Some(why) = self.missed(now - slot) {
            return Ok(Some((SkipReason::Missed, why)));
        }
        match self.pause {
            Some(Pause::Stopped) => {
                let why = "account stopped after an error (see above); restart after fixing it";
                return Ok(Some((SkipReason::Stopped, why.into())));
            }
            Some(Pause::Until(until)) if until > now => {
                let why = format!("account paused until {until}");
                return Ok(Some((SkipReason::Paused, why)));
            }
            Some(Pause::Until(_)) => self.pause = None,
            None => {}
        }
        let c = &self.account.cadence;
        let spacing = Duration::from_std(c.min_spacing).unwrap_or(Duration::zero());
        let Some(prev) = ledger.last_posted_slot(self.name())? else {
            return Ok(None);
        };
        Ok(((slot - prev).abs() < spacing).then(|| {
            let why = format!(
                "only {} after the post of {} (minimum spacing {})",
                human((slot - prev).abs()),
                prev.with_timezone(&ctx.tz).to_rfc3339(),
                HumanDuration(c.min_spacing)
            );
            (SkipReason::Spacing, why)
        }))
    }

    /// Once a rate-limit pause is over, posts the slot it moved, unless a regular slot is due
    /// now (that one goes instead) or comes within the minimum spacing (no cluster of posts).
    async fn resume_deferred(
        &mut self,
        ctx: Shared,
        ledger: &mut Ledger,
        pending: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Result<Option<SlotReport>, Error> {
        let Some(d) = self.deferred.filter(|d| d.until <= now) else {
            return Ok(None);
        };
        // A moved post still keeps to the account's hours and days: no 3 a.m. share because
        // a limit reset at night.
        let local = now.with_timezone(&ctx.tz);
        let c = &self.account.cadence;
        if !c.active_hours.contains(local.time()) || !c.days.contains(&local.weekday()) {
            return Ok(None);
        }
        let spacing = Duration::from_std(c.min_spacing).unwrap_or(Duration::zero());
        self.deferred = None;
        self.pause = None;
        ledger.write(|a| a.remove_meta(&key::deferred(&self.account.name)))?;
        if ledger.settled(self.name(), d.slot)? {
            return Ok(None);
        }
        if let Some(&regular) = pending.last() {
            let why = format!(
                "moved by a rate limit, then replaced by the slot at {}",
                regular.with_timezone(&ctx.tz).to_rfc3339()
            );
            self.skip(ctx, ledger, d.slot, now, (SkipReason::Moved, why))?;
            return Ok(None);
        }
        if let Some(next) = self.next_slot(ctx, now).filter(|n| *n - now < spacing) {
            let why = format!(
                "moved by a rate limit; yields to the slot at {} (minimum spacing)",
                next.with_timezone(&ctx.tz).to_rfc3339()
            );
            return Ok(Some(self.skip(
                ctx,
                ledger,
                d.slot,
                now,
                (SkipReason::Moved, why),
            )?));
        }
        tracing::info!(account = %self.account.name, "rate-limit pause over: posting the slot it moved");
        Ok(Some(self.post_slot(ctx, ledger, d.slot, now).await?))
    }

    pub(super) fn skip(
        &mut self,
        ctx: Shared,
        ledger: &mut Ledger,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
        (reason, why): Skip,
    ) -> Result<SlotReport, ArchiveError> {
        tracing::info!(account = %self.account.name, slot = %slot.with_timezone(&ctx.tz).to_rfc3339(), "slot skipped: {why}");
        let mut report = self.record(ledger, slot, now, Outcome::Skipped, None, None, why)?;
        report.skip = Some(reason);
        Ok(report)
    }

    /// Settles `slot` in the ledger and says what it came to. `post`: the article's key and the
    /// message written for it.
    #[allow(clippy::too_many_arguments)] // the fields of one history row, named at each call
    fn record(
        &self,
        ledger: &mut Ledger,
        slot: DateTime<Utc>,
        at: DateTime<Utc>,
        outcome: Outcome,
        post: Option<(&str, &crate::compose::Message)>,
        post_id: Option<String>,
        detail: String,
    ) -> Result<SlotReport, ArchiveError> {
        let row = ShareRecord {
            at,
            account: self.account.name.clone(),
            article_key: post.map(|(k, _)| k.to_string()),
            url: post.map(|(_, m)| m.url.clone()),
            slot,
            outcome,
            post_id,
            detail,
            wording: post.map(|(_, m)| m.wording()),
        };
        ledger.record(&row)?;
        Ok(SlotReport {
            account: row.account,
            slot,
            outcome,
            article_key: row.article_key,
            post_id: row.post_id,
            detail: row.detail,
            skip: None,
        })
    }

    /// Skips the slot and pauses the account until next month when one more post would
    /// exceed the monthly budget. Says so once, when the pause starts.
    fn over_budget(
        &mut self,
        ctx: Shared,
        ledger: &mut Ledger,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<SlotReport>, ArchiveError> {
        let Some(limit) = self.account.budget.monthly_usd else {
            return Ok(None);
        };
        let cost = self.account.budget.cost_per_post_usd;
        let (_, next_month) = crate::budget::month_bounds(ctx.tz, now);
        let spent = ledger.month_spend(&self.account, ctx.tz, now)?;
        // A cent of tolerance: 0.1 + 0.2 is not 0.3 in floating point.
        if spent + cost <= limit + 0.005 {
            return Ok(None);
        }
        if self.pause != Some(Pause::Until(next_month)) {
            tracing::warn!(account = %self.account.name, "monthly budget reached: ${spent:.2} spent of ${limit:.2} (${cost:.2} per post); no more posts until {}", next_month.with_timezone(&ctx.tz).to_rfc3339());
            self.pause = Some(Pause::Until(next_month));
            self.pause_cause = "budget";
        }
        let why = format!("monthly budget reached (${spent:.2} of ${limit:.2})");
        Ok(Some(self.skip(
            ctx,
            ledger,
            slot,
            now,
            (SkipReason::Budget, why),
        )?))
    }

    /// Posts `slot`: the budget, the article and its intent, the network, the outcome.
    pub(super) async fn post_slot(
        &mut self,
        ctx: Shared,
        ledger: &mut Ledger,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<SlotReport, Error> {
        if let Some(report) = self.over_budget(ctx, ledger, slot, now)? {
            return Ok(report);
        }
        let p = match self.pick(ctx, ledger, slot, now).await? {
            Ok(p) => p,
            Err(why) => return Ok(self.skip(ctx, ledger, slot, now, why)?),
        };
        let out = Outgoing {
            account: &self.account.name,
            pages: self.web.pages(&p.article.feed),
            url: &p.message.url,
            article_key: &p.article.key,
            title: &p.article.title,
            slot,
            message: &p.message,
        };
        let result = self.network.post(out).await;
        self.settle(ctx, ledger, &p, now, result)
    }

    /// The article for `slot` with its intent committed, or why there is none. A dead link
    /// found at the last moment gives the slot to the next best ([`Lane::choose_live`]); so
    /// does an article another process (`post-now`) has just taken, up to five times.
    async fn pick(
        &self,
        ctx: Shared,
        ledger: &mut Ledger,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Result<Picked, Skip>, Error> {
        let mut log = ledger.share_log(self.name())?;
        // Each feed's window of articles, loaded only when the streamed choice cannot decide.
        let mut window = Windows::new();
        let cooldown = Duration::days(i64::from(self.account.select.cooldown_days));
        let mut taken = 0;
        loop {
            let (article, message) = match self
                .choose_live(ctx, ledger, &log, slot, &mut window)
                .await?
            {
                Ok(chosen) => chosen,
                Err(why) => return Ok(Err((SkipReason::NoArticle, why))),
            };
            let intent = Intent {
                account: self.account.name.clone(),
                article_key: article.key.clone(),
                url: message.url.clone(),
                slot,
                text: message.text.clone(),
                created: now,
                words: Some((message.variant.0, message.title.clone())),
            };
            match ledger.write(|a| a.begin(&intent, slot - cooldown)) {
                Ok(()) => {
                    return Ok(Ok(Picked {
                        article,
                        message,
                        intent,
                    }))
                }
                // Another process posting beside this one takes one article, not five.
                Err(ArchiveError::Taken(why)) if taken >= 5 => {
                    return Ok(Err((SkipReason::Taken, why)))
                }
                Err(ArchiveError::Taken(why)) => {
                    tracing::info!(account = %self.account.name, "{why}; the slot goes to another article");
                    log.held(&article.key, now);
                    taken += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The slot's article and message, its link checked when the account asks for it (and
    /// otherwise its host vetted): a dead link, or one that leads to a private address, is
    /// marked (never shared) and the next best is chosen.
    async fn choose_live(
        &self,
        ctx: Shared,
        ledger: &mut Ledger,
        log: &ShareLog,
        slot: DateTime<Utc>,
        window: &mut Windows,
    ) -> Result<Result<(Article, crate::compose::Message), String>, ArchiveError> {
        loop {
            let (article, message) = match self.choose(ctx, ledger, log, slot, window)? {
                Decision::Skip { .. } => return Ok(Err(self.skip_reason(ctx, ledger, log, slot)?)),
                Decision::Post {
                    article, message, ..
                } => (article, message),
            };
            let pages = self.web.pages(&article.feed);
            let status = match self.account.select.check_link {
                true => crate::feed::check_link(pages, &article.url, ctx.link_timeout).await,
                false => crate::feed::vet_link(pages, &article.url).await,
            };
            // The same flag in this slot's copy of the article, if it was loaded.
            let mut in_window = |mark: fn(&mut Article)| {
                let loaded = window.values_mut().flatten();
                loaded
                    .into_iter()
                    .filter(|a| a.key == article.key)
                    .for_each(mark);
            };
            match status {
                crate::feed::LinkStatus::Refused(why) => {
                    tracing::warn!(url = %article.url, title = %article.title, "article not shared, its link leads to a private address: {why}");
                    ledger.mark_private(&article.key)?;
                    in_window(|a| a.private_link = true);
                }
                crate::feed::LinkStatus::Dead(code) => {
                    tracing::warn!(url = %article.url, "article link answers HTTP {code}: marked dead, never shared");
                    ledger.mark_dead(&article.key)?;
                    in_window(|a| a.dead = true);
                }
                crate::feed::LinkStatus::Unknown(why) => {
                    tracing::warn!(url = %article.url, "article link could not be checked ({why}): sharing it anyway");
                    return Ok(Ok((article, message)));
                }
                crate::feed::LinkStatus::Alive => return Ok(Ok((article, message))),
            }
        }
    }

    /// What `slot` posts: the account's feeds are tried in their rotation order
    /// ([`schedule::feed_order`]), each under its own rules, and the first that has an article
    /// for the slot posts it. With one feed, that feed.
    fn choose(
        &self,
        ctx: Shared,
        ledger: &Ledger,
        log: &ShareLog,
        slot: DateTime<Utc>,
        window: &mut Windows,
    ) -> Result<Decision, ArchiveError> {
        let recent = match self.account.feeds.len() {
            0 | 1 => Default::default(),
            _ => {
                let since = slot - Duration::days(schedule::FEED_WINDOW_DAYS);
                ledger.feed_shares(self.name(), since)?
            }
        };
        let mut first = None;
        for f in schedule::feed_order(&self.account, &recent) {
            let share = &self.account.feeds[f];
            let view = self.account.sharing(share);
            let feed = ctx.several_feeds.then_some(share.feed.as_str());
            let decision = self.choose_in(ctx, ledger, &view, feed, log, slot, window)?;
            if matches!(decision, Decision::Post { .. }) {
                return Ok(decision);
            }
            first.get_or_insert(decision);
        }
        Ok(first.unwrap_or_else(|| Decision::Skip {
            census: Default::default(),
            reason: "the account shares no feed".into(),
        }))
    }

    /// What `slot` posts from one feed (`feed`: its name, `None` with a single feed), as the
    /// account `view` shares it. The articles are streamed from the archive and only the
    /// best-ranked keys held ([`schedule::decide_streamed`]); when that cannot decide (nothing
    /// eligible, a pause after a new post, no article of the first rank fits), the window's
    /// articles (and the newest, for the pause) are loaded into `window` and decided over: the
    /// same choice as over the whole archive (tests/it/daemon.rs), in memory that follows the
    /// window at most, never the archive.
    #[allow(clippy::too_many_arguments)] // the slot's inputs, each named at the one call
    fn choose_in(
        &self,
        ctx: Shared,
        ledger: &Ledger,
        view: &Account,
        feed: Option<&str>,
        log: &ShareLog,
        slot: DateTime<Utc>,
        window: &mut Windows,
    ) -> Result<Decision, ArchiveError> {
        let archive = ledger.archive();
        let (from, to) = schedule::age_window(&view.select, slot);
        let mine = |a: &Article| feed.is_none_or(|f| a.feed == f);
        let name = feed.unwrap_or_default().to_string();
        if !window.contains_key(&name) {
            let streamed = schedule::decide_streamed(
                view,
                self.length,
                |f| {
                    archive.each_published_between(from, to, &mut |mut a| {
                        if mine(&a) {
                            a.dead |= ledger.dead_in_rehearsal(&a.key);
                            f(a)
                        }
                    })
                },
                |key| archive.article(key),
                log,
                slot,
                ctx.seed,
            )?;
            if let Some(decision) = streamed {
                return Ok(decision);
            }
            let newest = match view.cadence.pause_after_new_post {
                Some(_) => archive.newest_published(slot)?,
                None => None,
            };
            let mut loaded = archive.articles_published_between(from, to, newest.as_deref())?;
            // The newest article stays whatever its feed: it is what the pause is about.
            loaded.retain(|a| mine(a) || Some(&a.key) == newest.as_ref());
            for a in loaded.iter_mut() {
                a.dead |= ledger.dead_in_rehearsal(&a.key);
            }
            window.insert(name.clone(), loaded);
        }
        let articles = window.get(&name).map(Vec::as_slice).unwrap_or_default();
        Ok(schedule::decide(
            view,
            self.length,
            articles,
            log,
            slot,
            ctx.seed,
        ))
    }

    /// Why a slot finds no article, with the whole archive's numbers (too young, too old…):
    /// the slot itself looked only at its age window. Told for the feed first in the rotation.
    fn skip_reason(
        &self,
        ctx: Shared,
        ledger: &Ledger,
        log: &ShareLog,
        slot: DateTime<Utc>,
    ) -> Result<String, ArchiveError> {
        let Some(share) = self.account.feeds.first() else {
            return Ok("the account shares no feed".into());
        };
        let mut all = ledger.archive().articles()?;
        if ctx.several_feeds {
            all.retain(|a| a.feed == share.feed);
        }
        let view = self.account.sharing(share);
        let decision = schedule::decide(&view, self.length, &all, log, slot, ctx.seed);
        Ok(match decision {
            Decision::Skip { reason, .. } => reason,
            Decision::Post { .. } => "no article fits".to_string(),
        })
    }

    /// Records what the network's answer makes of the slot.
    fn settle(
        &mut self,
        ctx: Shared,
        ledger: &mut Ledger,
        p: &Picked,
        now: DateTime<Utc>,
        result: Result<Receipt, PostError>,
    ) -> Result<SlotReport, Error> {
        let art = Some((p.article.key.as_str(), &p.message));
        let slot = p.intent.slot;
        let e = match result {
            Ok(receipt) => {
                if !ledger.dry_run() {
                    tracing::info!(account = %self.account.name, url = %p.message.url, post_id = %receipt.post_id, "shared");
                }
                // The daemon's clock, not the network's: cooldown and budget are reckoned in
                // one time line (the one tests and rehearsals set).
                let text = p.message.text.clone();
                let id = Some(receipt.post_id);
                return Ok(self.record(ledger, slot, now, Outcome::Shared, art, id, text)?);
            }
            Err(PostError::RetryLater { reason, until }) => {
                return Ok(self.defer(ctx, ledger, p, now, reason, until)?)
            }
            Err(e) => e,
        };
        let outcome = match &e {
            PostError::Duplicate { .. } => Outcome::Duplicate,
            PostError::SkipArticle { .. } => Outcome::Refused,
            PostError::Unknown { .. } => Outcome::Uncertain,
            _ => Outcome::Failed,
        };
        if let PostError::StopAccount { .. } = &e {
            tracing::error!(account = %self.account.name, "{e}: this account stops posting; the others go on");
            self.pause = Some(Pause::Stopped);
            self.pause_cause = "stopped";
        }
        tracing::warn!(account = %self.account.name, url = %p.message.url, "not shared: {e}");
        let report = self.record(ledger, slot, now, outcome, art, None, e.to_string())?;
        match e {
            PostError::Fatal { reason } => Err(Error::Usage(format!(
                "fatal error from {}: {reason}",
                self.account.network
            ))),
            _ => Ok(report),
        }
    }

    /// Refused before anything happened (a rate limit): the slot stays open and moves past
    /// the pause; the intent is taken back.
    fn defer(
        &mut self,
        ctx: Shared,
        ledger: &mut Ledger,
        p: &Picked,
        now: DateTime<Utc>,
        reason: String,
        until: Option<DateTime<Utc>>,
    ) -> Result<SlotReport, ArchiveError> {
        let until = until.unwrap_or(now + Duration::minutes(15));
        let slot = p.intent.slot;
        self.pause = Some(Pause::Until(until));
        self.pause_cause = "rate_limit";
        let d = Deferred { slot, until };
        self.deferred = Some(d);
        ledger.put(&key::deferred(&self.account.name), &d)?;
        // Flushes the deferral with it.
        ledger.write(|a| a.withdraw(&p.intent))?;
        let until_local = until.with_timezone(&ctx.tz).to_rfc3339();
        tracing::warn!(account = %self.account.name, "{reason}: account paused until {until_local}; this slot moves there");
        Ok(SlotReport {
            account: self.account.name.clone(),
            slot,
            outcome: Outcome::Deferred,
            article_key: Some(p.article.key.clone()),
            post_id: None,
            detail: format!("{reason}; moved to {until_local}"),
            skip: None,
        })
    }
}

pub(super) fn human(d: Duration) -> String {
    HumanDuration(d.to_std().unwrap_or_default()).to_string()
}
