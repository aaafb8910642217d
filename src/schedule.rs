//! The plan: which account posts what, and when.
//!
//! Merges every account's cadence into one timeline and, for each slot, asks `select` for the
//! article and `compose` for the text. The same code serves `preview` (which simulates the shares
//! it plans, so cooldown and rotation show) and the daemon.

use crate::archive::Article;
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
#[derive(Debug, Clone)]
pub enum Decision {
    /// Post this message about this article.
    Post {
        /// The article.
        article: Article,
        /// The text.
        message: Message,
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
/// (both included): the age window as instants.
pub fn age_window(
    select: &crate::config::SelectSettings,
    at: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let minus = |days: u32| {
        at.checked_sub_signed(chrono::Duration::days(i64::from(days)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    (minus(select.max_age_days), minus(select.min_age_days))
}

/// Decides one slot: the best eligible article whose message fits the network.
pub fn decide(
    account: &Account,
    rule: LengthRule,
    articles: &[Article],
    last_shares: &HashMap<String, DateTime<Utc>>,
    at: DateTime<Utc>,
    seed: u64,
) -> Decision {
    let pool = Pool::new(articles, &account.select, last_shares);
    decide_in(&pool, account, rule, articles, at, seed).0
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
    last_shares: &HashMap<String, DateTime<Utc>>,
    at: DateTime<Utc>,
    seed: u64,
) -> Result<Option<Decision>, E> {
    if account.cadence.pause_after_new_post.is_some() {
        return Ok(None);
    }
    let rules = select::Rules::new(&account.select);
    let mut best: Vec<String> = Vec::new();
    let mut best_key: Option<Option<DateTime<Utc>>> = None;
    each(&mut |article: Article| {
        let last = last_shares.get(&article.key).copied();
        if rules.verdict(&article, at, last) != select::Verdict::Eligible {
            return;
        }
        match best_key {
            Some(k) if last > k => {}
            Some(k) if last == k => best.push(article.key),
            _ => {
                best.clear();
                best.push(article.key);
                best_key = Some(last);
            }
        }
    })?;
    let when = at.timestamp().to_le_bytes();
    let mut rng = seed::rng_for(seed, &[account.name.as_bytes(), b"pick", &when]);
    while !best.is_empty() {
        use rand::RngExt;
        let pick = rng.random_range(0..best.len());
        let key = best.swap_remove(pick);
        let Some(article) = fetch(&key)? else {
            return Ok(None);
        };
        if let Ok(message) = compose::compose(&article, account, rule) {
            return Ok(Some(Decision::Post { article, message }));
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
        match compose::compose(article, account, rule) {
            Ok(message) => {
                let post = Decision::Post {
                    article: article.clone(),
                    message,
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

/// Plans `period` as the daemon would, counting each planned share for the rest of the period
/// (cooldown and rotation), without writing anything. `rules`: each account's length rule, in
/// config order.
pub fn simulate(
    config: &Config,
    rules: &[LengthRule],
    articles: &[Article],
    mut last_shares: Vec<HashMap<String, DateTime<Utc>>>,
    period: std::ops::Range<DateTime<Utc>>,
    seed: u64,
    auto: &[Option<AutoPlan>],
) -> Vec<Planned> {
    last_shares.resize_with(config.accounts.len(), HashMap::new);
    let mut pools: Vec<Pool> = config
        .accounts
        .iter()
        .zip(&last_shares)
        .map(|(a, last)| Pool::new(articles, &a.select, last))
        .collect();
    slots(config, period.start, period.end, seed, auto)
        .into_iter()
        .map(|slot| {
            let account = &config.accounts[slot.account];
            let pool = &mut pools[slot.account];
            let rule = rules
                .get(slot.account)
                .copied()
                .unwrap_or_else(|| account.network.length_rule());
            let (decision, posted) = decide_in(pool, account, rule, articles, slot.at, seed);
            if let Some(index) = posted {
                pool.shared(index, slot.at);
            }
            Planned { slot, decision }
        })
        .collect()
}
