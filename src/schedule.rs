//! The plan: which account posts what, and when.
//!
//! Merges every account's cadence into one timeline and, for each slot, asks `select` for the
//! article and `compose` for the text. The same code serves `preview` (which simulates the shares
//! it plans, so cooldown and rotation show) and the daemon.

use crate::archive::Article;
use crate::compose::{self, Message};
use crate::config::{Account, Config};
use crate::select::{self, Census, Rules};
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

/// Every account's slots in `[from, until)`, in time order (ties in config order).
pub fn slots(config: &Config, from: DateTime<Utc>, until: DateTime<Utc>, seed: u64) -> Vec<Slot> {
    let mut out: Vec<Slot> = config
        .accounts
        .iter()
        .enumerate()
        .flat_map(|(i, a)| {
            cadence::slots_between(&a.cadence, config.timezone, &a.name, from, until, seed)
                .into_iter()
                .map(move |at| Slot { at, account: i })
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

/// Decides one slot: the best eligible article whose message fits the network.
pub fn decide(
    account: &Account,
    articles: &[Article],
    last_shares: &HashMap<String, DateTime<Utc>>,
    at: DateTime<Utc>,
    seed: u64,
) -> Decision {
    let rules = Rules::new(&account.select);
    let when = at.timestamp().to_le_bytes();
    let mut rng = seed::rng_for(seed, &[account.name.as_bytes(), b"pick", &when]);
    let (ranked, census) = select::rank(articles, at, &rules, last_shares, &mut rng);
    let mut refused = Vec::new();
    for article in ranked {
        match compose::compose(article, account) {
            Ok(message) => {
                return Decision::Post {
                    article: article.clone(),
                    message,
                }
            }
            Err(e) => refused.push(e.to_string()),
        }
    }
    let reason = if let Some(first) = refused.first() {
        format!("no article fits the {} limit ({first})", account.network)
    } else {
        format!("no eligible article ({census})")
    };
    Decision::Skip { census, reason }
}

/// One entry of a simulated plan.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The slot.
    pub slot: Slot,
    /// What it does.
    pub decision: Decision,
}

/// Plans `[from, until)` as the daemon would, counting each planned share for the rest of the
/// period (cooldown and rotation), without writing anything.
pub fn simulate(
    config: &Config,
    articles: &[Article],
    mut last_shares: Vec<HashMap<String, DateTime<Utc>>>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    seed: u64,
) -> Vec<Planned> {
    last_shares.resize_with(config.accounts.len(), HashMap::new);
    slots(config, from, until, seed)
        .into_iter()
        .map(|slot| {
            let account = &config.accounts[slot.account];
            let decision = decide(account, articles, &last_shares[slot.account], slot.at, seed);
            if let Decision::Post { article, .. } = &decision {
                last_shares[slot.account].insert(article.key.clone(), slot.at);
            }
            Planned { slot, decision }
        })
        .collect()
}
