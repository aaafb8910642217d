//! The plan: which account posts what, and when.
//!
//! Merges every account's cadence into one timeline and, for each slot, asks `select` for the
//! article and `compose` for the text. The same code serves `preview` (which simulates the shares
//! it plans, so cooldown and rotation show) and the daemon.

use crate::archive::{Article, Outcome, ShareLog};
use crate::compose::{self, Message};
use crate::config::{Account, CadenceMode, Config};
use crate::select::{self, Census, Pool};
use crate::vocab::LengthRule;
use crate::{cadence, seed};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// One planned post time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// When.
    pub at: DateTime<Utc>,
    /// Index of the account in `Config::accounts`.
    pub account: usize,
}

/// How an auto-mode account's days go in a plan: the days already decided, and the rate for
/// the days after them.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoPlan {
    /// Days already decided (kept by the daemon).
    pub plans: cadence::Plans,
    /// Posts per active day from the first undecided day on.
    pub rate: f64,
    /// The local date projections start from when no day is decided.
    pub today: chrono::NaiveDate,
}

/// Every account's slots in `[from, until)`, in time order (ties in config order). `auto[i]`
/// drives account `i` when it is in auto mode.
pub(crate) fn slots(
    config: &Config,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    seed: u64,
    auto: &[Option<AutoPlan>],
) -> Vec<Slot> {
    let mut out: Vec<Slot> = config
        .accounts
        .iter()
        .enumerate()
        .flat_map(|(i, a)| {
            let tz = config.timezone;
            let c = &a.cadence;
            let times = match (c.mode, auto.get(i).and_then(Option::as_ref)) {
                (CadenceMode::Auto(_), Some(p)) => cadence::auto_slots_between(
                    c, tz, &a.name, from, until, seed, &p.plans, p.rate, p.today,
                ),
                // Nothing known of the account yet: its assumed volume, from `from` on.
                (CadenceMode::Auto(settings), None) => cadence::auto_slots_between(
                    c,
                    tz,
                    &a.name,
                    from,
                    until,
                    seed,
                    &cadence::Plans::default(),
                    cadence::auto_rate(settings.assumed_daily_volume, &settings, c.days.len()),
                    from.with_timezone(&tz).date_naive(),
                ),
                (CadenceMode::Fixed, _) => {
                    cadence::slots_between(c, tz, &a.name, from, until, seed)
                }
            };
            times.into_iter().map(move |at| Slot { at, account: i })
        })
        .collect();
    out.sort_by_key(|s| (s.at, s.account));
    out
}

/// What a slot will do.
// A post is larger than a skip; a plan holds a few hundred of them at most, and boxing would
// put an allocation and an indirection on every slot's decision.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Decision {
    /// Post this message about this article.
    Post {
        /// The article.
        article: Article,
        /// The text.
        message: Message,
        /// Why this article ("least recently shared here (40 days ago)", "learn: expected
        /// 4.2 (3 shares read), exploit").
        reason: String,
    },
    /// Nothing to post; why.
    Skip {
        /// The archive as the slot saw it.
        census: Census,
        /// One line for the log.
        reason: String,
    },
}

/// The publication times an article must fall between to be of age for a share at `at`
/// (both included): the age window as instants. With evergreen articles, which never grow too
/// old, the window has no start.
pub fn age_window(
    select: &crate::config::SelectSettings,
    at: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let minus = |days: u32| {
        at.checked_sub_signed(chrono::Duration::days(i64::from(days)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    let from = match select.has_evergreen() {
        true => DateTime::<Utc>::MIN_UTC,
        false => minus(select.max_age_days),
    };
    (from, minus(select.min_age_days))
}

/// How many articles of age at `now` may be shared under `select`: those `mine` keeps (by
/// feed name), given the account's `log`. The age window is streamed, never the whole archive
/// held.
pub(crate) fn count_eligible(
    archive: &crate::archive::Archive,
    select: &crate::config::SelectSettings,
    now: DateTime<Utc>,
    log: &ShareLog,
    mine: &dyn Fn(&str) -> bool,
) -> Result<usize, crate::archive::ArchiveError> {
    let (from, to) = age_window(select, now);
    let rules = select::Rules::new(select);
    let mut n = 0;
    archive.each_published_between(from, to, &mut |a| {
        let verdict = rules.verdict(&a, now, log);
        if mine(&a.feed) && verdict == select::Verdict::Eligible {
            n += 1;
        }
    })?;
    Ok(n)
}

/// Decides one slot: the best eligible article whose message fits the network.
pub fn decide(
    account: &Account,
    rule: LengthRule,
    articles: &[Article],
    log: &ShareLog,
    at: DateTime<Utc>,
    seed: u64,
) -> Decision {
    let pool = Pool::new(articles, &account.select, log);
    decide_in(&pool, account, rule, articles, log, at, seed).0
}

/// [`decide`]'s post when it is one of the best-ranked articles, found from articles read one
/// at a time (in key order, as the archive gives them): only the keys of the best group are
/// held, never the articles, so a slot over 100,000 articles of age takes a few megabytes.
/// `fetch` gives an article in full by key. `None` where [`decide`] would do anything else
/// (skip, or go past the best group): the caller then decides over the articles themselves.
///
/// The same choice as [`decide`]: the eligibility is [`select::Rules::verdict`], which the
/// pool is held to, the group is gathered in the same order and drawn with the same generator.
/// Not for an account that pauses after a new post (that check needs the newest article).
pub fn decide_streamed<E>(
    account: &Account,
    rule: LengthRule,
    each: impl FnOnce(&mut dyn FnMut(Article)) -> Result<(), E>,
    mut fetch: impl FnMut(&str) -> Result<Option<Article>, E>,
    log: &ShareLog,
    at: DateTime<Utc>,
    seed: u64,
) -> Result<Option<Decision>, E> {
    if account.cadence.pause_after_new_post.is_some() {
        return Ok(None);
    }
    let rules = select::Rules::new(&account.select);
    let mut best = select::BestGroup::new(!account.select.weights.is_empty());
    // When learning: the account's typical share, what each article's engagement is measured in.
    let learn = account.select.strategy == crate::config::Strategy::Learn;
    let typical = learn.then(|| log.typical());
    // The same generator as the pool's, drawn in the same order: `learn`'s samples for the
    // eligible articles in key order, then the pick among the best.
    let when = at.timestamp().to_le_bytes();
    let mut rng = seed::rng_for(seed, &[account.name.as_bytes(), b"pick", &when]);
    each(&mut |article: Article| {
        if rules.verdict(&article, at, log) != select::Verdict::Eligible {
            return;
        }
        let last = log.last(&article.key);
        let weight = rules.weight(&article);
        let turn = match typical {
            Some(typical) => {
                let learned = rules.learned(log, &article.key, typical);
                rules.turn_drawn(last, weight, learned, at, &mut rng)
            }
            None => rules.turn(last, weight, at),
        };
        best.offer(turn, article.key, weight);
    })?;
    while let Some(key) = best.draw(&mut rng) {
        let Some(article) = fetch(&key)? else {
            return Ok(None);
        };
        if let Ok(message) = compose::compose(&article, account, rule, log.words(&key)) {
            let reason = rules.reason(&article, log, at);
            return Ok(Some(Decision::Post {
                article,
                message,
                reason,
            }));
        }
    }
    Ok(None)
}

/// [`decide`] over an account's pool, also giving the position of the article it posts.
fn decide_in(
    pool: &Pool,
    account: &Account,
    rule: LengthRule,
    articles: &[Article],
    log: &ShareLog,
    at: DateTime<Utc>,
    seed: u64,
) -> (Decision, Option<usize>) {
    // A new article gets the stage: old ones step aside for a while after it is published.
    if let Some(pause) = account
        .cadence
        .pause_after_new_post
        .and_then(|p| chrono::Duration::from_std(p).ok())
    {
        let newest = articles
            .iter()
            .filter(|a| !a.dead && a.published <= at)
            .max_by_key(|a| a.published);
        if let Some(n) = newest.filter(|n| at - n.published < pause) {
            let skip = Decision::Skip {
                census: select::Census {
                    total: articles.len(),
                    ..Default::default()
                },
                reason: format!(
                    "a new article ({}) was published {} ago: old articles step aside for {}",
                    n.url,
                    crate::vocab::HumanDuration((at - n.published).to_std().unwrap_or_default()),
                    crate::vocab::HumanDuration(pause.to_std().unwrap_or_default())
                ),
            };
            return (skip, None);
        }
    }
    let when = at.timestamp().to_le_bytes();
    let rng = seed::rng_for(seed, &[account.name.as_bytes(), b"pick", &when]);
    let mut ranked = pool.rank(at, rng);
    let mut refused = Vec::new();
    for (index, article) in ranked.by_ref() {
        match compose::compose(article, account, rule, log.words(&article.key)) {
            Ok(message) => {
                let post = Decision::Post {
                    article: article.clone(),
                    message,
                    reason: pool.reason(article, log, at),
                };
                return (post, Some(index));
            }
            Err(e) => refused.push(e.to_string()),
        }
    }
    let census = ranked.census;
    let reason = if let Some(first) = refused.first() {
        format!("no article fits the {} limit ({first})", account.network)
    } else {
        format!("no eligible article ({census})")
    };
    (Decision::Skip { census, reason }, None)
}

/// One entry of a simulated plan.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The slot.
    pub slot: Slot,
    /// What it does.
    pub decision: Decision,
}

/// What an account's recent shares were, per feed: how many in the last
/// [`FEED_WINDOW_DAYS`] and the last one. What rotating between feeds goes by.
pub(crate) type FeedShares = HashMap<String, (usize, DateTime<Utc>)>;

/// How far back the shares per feed are counted for the rotation.
pub(crate) const FEED_WINDOW_DAYS: i64 = 30;

/// The order in which an account's feeds are tried for a slot (indices into
/// `account.feeds`). Each feed's next share is weighed against its weight (stride scheduling:
/// `(shares + 1) / weight`), so that over time each feed gets its weight's part of the posts;
/// ties go to the feed shared least recently (never shared first), then to config order. A
/// feed with nothing to share gives its turn to the next.
pub(crate) fn feed_order(account: &Account, recent: &FeedShares) -> Vec<usize> {
    let mut order: Vec<usize> = (0..account.feeds.len()).collect();
    let key = |i: &usize| {
        let share = &account.feeds[*i];
        let (n, last) = recent
            .get(&share.feed)
            .map(|(n, t)| (*n, Some(*t)))
            .unwrap_or((0, None));
        ((n + 1) as f64 / share.weight, last)
    };
    order.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1)).then(a.cmp(b))
    });
    order
}

/// Counts a share of an article of `feed` in `recent`.
pub(crate) fn count_feed_share(recent: &mut FeedShares, feed: &str, at: DateTime<Utc>) {
    let e = recent.entry(feed.to_string()).or_insert((0, at));
    e.0 += 1;
    e.1 = e.1.max(at);
}

/// What an account's shares were before a simulated period: its share log, and the recent
/// shares per feed.
#[derive(Debug, Clone, Default)]
pub struct Past {
    /// Per account (config order): its share log.
    pub logs: Vec<ShareLog>,
    /// Per account (config order): its recent shares per feed.
    pub feed_shares: Vec<FeedShares>,
}

/// Plans `period` as the daemon would, counting each planned share for the rest of the period
/// (cooldown and rotation), without writing anything. `rules`: each account's length rule, in
/// config order.
pub fn simulate(
    config: &Config,
    rules: &[LengthRule],
    articles: &[Article],
    mut past: Past,
    period: std::ops::Range<DateTime<Utc>>,
    seed: u64,
    auto: &[Option<AutoPlan>],
) -> Vec<Planned> {
    let n = config.accounts.len();
    past.logs.resize_with(n, ShareLog::default);
    past.feed_shares.resize_with(n, HashMap::new);
    // Each feed's articles, once for every account that shares the feed (a copy per account
    // cost the whole archive again for each: 60 MB an account over 200,000 articles); with a
    // single feed, the archive itself.
    let own: HashMap<&str, Vec<Article>> = match config.feeds.len() > 1 {
        true => config
            .feeds
            .iter()
            .map(|f| {
                let mine = articles.iter().filter(|x| x.feed == f.name);
                (f.name.as_str(), mine.cloned().collect())
            })
            .collect(),
        false => HashMap::new(),
    };
    let of = |feed: &str| -> &[Article] { own.get(feed).map_or(articles, Vec::as_slice) };
    // Per account, per feed it shares: that feed's articles, and the pool over them.
    let by_feed: Vec<Vec<&[Article]>> = config
        .accounts
        .iter()
        .map(|a| a.feeds.iter().map(|s| of(&s.feed)).collect())
        .collect();
    let mut pools: Vec<Vec<Pool>> = config
        .accounts
        .iter()
        .zip(&by_feed)
        .zip(&past.logs)
        .map(|((a, feeds), log)| {
            let shares = a.feeds.iter().zip(feeds);
            shares
                .map(|(s, arts)| Pool::new(arts, &s.select, log))
                .collect()
        })
        .collect();
    slots(config, period.start, period.end, seed, auto)
        .into_iter()
        .map(|slot| {
            let i = slot.account;
            let account = &config.accounts[i];
            let rule = rules
                .get(i)
                .copied()
                .unwrap_or_else(|| account.network.length_rule());
            let mut first = None;
            for f in feed_order(account, &past.feed_shares[i]) {
                let view = account.sharing(&account.feeds[f]);
                let arts = by_feed[i][f];
                let log = &past.logs[i];
                let (decision, posted) =
                    decide_in(&pools[i][f], &view, rule, arts, log, slot.at, seed);
                if let (
                    Some(index),
                    Decision::Post {
                        article, message, ..
                    },
                ) = (posted, &decision)
                {
                    pools[i][f].shared(index, slot.at);
                    let words = Some(message.wording());
                    past.logs[i].add(&article.key, slot.at, Outcome::Shared, words);
                    count_feed_share(&mut past.feed_shares[i], &account.feeds[f].feed, slot.at);
                    return Planned { slot, decision };
                }
                first.get_or_insert(decision);
            }
            let decision = first.unwrap_or_else(|| Decision::Skip {
                census: Census::default(),
                reason: format!("account {} shares no feed", account.name),
            });
            Planned { slot, decision }
        })
        .collect()
}
