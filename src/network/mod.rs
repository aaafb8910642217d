//! The social networks Encore posts to.
//!
//! This module knows what differs between networks when a message is written (how length is
//! counted, what the limit is). Posting itself lives behind the seam added by the daemon.

pub(crate) use crate::vocab::NetworkKind;

pub(crate) mod bluesky;
pub(crate) mod call;
mod card;
mod deliver;
pub(crate) mod engagement;
pub(crate) mod limits;
pub(crate) mod linkedin;
mod log;
pub(crate) mod mastodon;
pub(crate) mod session;
pub(crate) mod telegram;
pub(crate) mod threads;
pub(crate) mod token;
pub(crate) mod x;

pub use call::RetryPolicy;
pub(crate) use log::{DryRunNetwork, LogNetwork};

use crate::archive::Intent;
use crate::compose::Message;
use crate::vocab::length::LengthRule;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::pin::Pin;

/// A boxed future, so that networks can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the network gave back for an accepted post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The network's id for the post.
    pub post_id: String,
    /// When the network accepted it.
    pub at: DateTime<Utc>,
}

/// Why a post did not go out, sorted by what the daemon must do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// Temporary (rate limit, 5xx, timeout): pause the account, until `until` when known.
    #[error("temporary failure, retry later: {reason}")]
    RetryLater {
        /// What the network said.
        reason: String,
        /// When the account may post again.
        until: Option<DateTime<Utc>>,
    },
    /// This article cannot be posted (refused content): skip it, go on with others.
    #[error("article refused: {reason}")]
    SkipArticle {
        /// What the network said.
        reason: String,
    },
    /// The network already has this text: counts as shared for the cooldown, never retried.
    #[error("duplicate: {reason}")]
    Duplicate {
        /// What the network said.
        reason: String,
    },
    /// The account cannot post (revoked credentials, no credit): stop it, others go on.
    #[error("account stopped: {reason}")]
    StopAccount {
        /// What the network said.
        reason: String,
    },
    /// The network failed repeatedly and the post surely did not go out: this slot is given
    /// up, the next one tries again.
    #[error("network unavailable: {reason}")]
    Unavailable {
        /// What happened.
        reason: String,
    },
    /// The post may or may not have gone out and the network cannot tell: counted as shared
    /// (never retried), because a double post is worse than a missing one.
    #[error("outcome unknown: {reason}")]
    Unknown {
        /// What happened.
        reason: String,
    },
    /// Nothing can go on (a bug, a broken installation): the daemon stops.
    #[error("fatal: {reason}")]
    Fatal {
        /// What happened.
        reason: String,
    },
}

/// One post about to leave.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The account's name.
    pub account: &'a str,
    /// The client for the article's page and image (link cards): the feed's content, so
    /// never fetched from a private address unless its feed allows it.
    pub pages: &'a crate::http::Pages,
    /// The article's link (with UTM parameters when configured).
    pub url: &'a str,
    /// The article's archive key (networks with idempotency keys derive them from it).
    pub article_key: &'a str,
    /// The article's title (Bluesky's link card shows it when the page has no `og:title`).
    pub title: &'a str,
    /// The planned slot (networks with idempotency keys derive them from it).
    pub slot: DateTime<Utc>,
    /// The message.
    pub message: &'a Message,
}

/// Who the credentials belong to, and how much the account posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// `@handle` as the network shows it.
    pub handle: String,
    /// Every post the account ever made, when the network tells (the volume-tied cadence
    /// reads its growth).
    pub post_count: Option<u64>,
}

/// How long before credentials end the daemon, `status` and the metrics warn.
pub(crate) const EXPIRY_WARNING: chrono::Duration = chrono::Duration::days(7);

/// The seam every network plugs into.
pub trait Network: Send + Sync {
    /// Sends one post.
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>>;

    /// After a crash mid-post: looks on the account for the post an intent describes.
    /// `Ok(None)` means "cannot tell"; the daemon then treats the article as shared rather
    /// than risk a double post.
    fn reconcile<'a>(
        &'a self,
        _intent: &'a Intent,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PostError>> {
        Box::pin(async { Ok(None) })
    }

    /// The length rule the server announces (a Mastodon instance's own limit), when it has
    /// one; `Ok(None)` keeps the network's defaults.
    fn limits(&self) -> BoxFuture<'_, Result<Option<LengthRule>, PostError>> {
        Box::pin(async { Ok(None) })
    }

    /// Reads what posts drew (`post_ids`: this account's, as their receipts gave them), as
    /// many as one round allows: each id read with its reading; an id left out is read next
    /// round. A rate limit before anything was read is `RetryLater`. Networks without counts
    /// read nothing.
    fn engagement<'a>(
        &'a self,
        _post_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, crate::archive::Reading)>, PostError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Keeps the credentials alive where they expire (Threads refreshes its token well before
    /// the end, LinkedIn where it was given a refresh token), and says when they stop working:
    /// `Ok(None)` when they do not expire or nobody knows. The daemon calls it hourly and
    /// warns from a week before the end (`EXPIRY_WARNING`).
    fn renew(&self) -> BoxFuture<'_, Result<Option<DateTime<Utc>>, PostError>> {
        Box::pin(async { Ok(None) })
    }

    /// Checks the credentials with one cheap call (`encore check --online`).
    fn verify(&self) -> BoxFuture<'_, Result<AccountInfo, PostError>> {
        Box::pin(async {
            Ok(AccountInfo {
                handle: "(log)".into(),
                post_count: None,
            })
        })
    }
}

/// The network for an account, or why it cannot be set up (missing secret, no stored login).
pub(crate) fn build(
    account: &crate::config::Account,
    sessions: &session::SessionStore,
    timeout: std::time::Duration,
    retry: RetryPolicy,
    dry_run: bool,
) -> Result<Box<dyn Network>, String> {
    use crate::config::Endpoint;
    if dry_run {
        return Ok(Box::new(DryRunNetwork));
    }
    match (&account.endpoint, account.network) {
        (_, NetworkKind::Log) => Ok(Box::new(LogNetwork)),
        (Endpoint::X(settings), NetworkKind::X) => {
            x::XNetwork::new(&account.name, settings, sessions, timeout)
                .map(|n| Box::new(n.with_retry(retry)) as Box<dyn Network>)
                .map_err(|e| e.to_string())
        }
        (Endpoint::Mastodon(settings), NetworkKind::Mastodon) => {
            mastodon::MastodonNetwork::new(&account.name, settings, timeout)
                .map(|n| Box::new(n.with_retry(retry)) as Box<dyn Network>)
                .map_err(|e| e.to_string())
        }
        (Endpoint::Bluesky(settings), NetworkKind::Bluesky) => {
            bluesky::BlueskyNetwork::new(&account.name, settings, sessions, timeout)
                .map(|n| Box::new(n.with_retry(retry)) as Box<dyn Network>)
                .map_err(|e| e.to_string())
        }
        (Endpoint::Threads(settings), NetworkKind::Threads) => {
            threads::ThreadsNetwork::new(&account.name, settings, sessions, timeout)
                .map(|n| Box::new(n.with_retry(retry)) as Box<dyn Network>)
                .map_err(|e| e.to_string())
        }
        (Endpoint::LinkedIn(settings), NetworkKind::LinkedIn) => {
            linkedin::LinkedInNetwork::new(&account.name, settings, sessions, timeout)
                .map(|n| Box::new(n.with_retry(retry)) as Box<dyn Network>)
                .map_err(|e| e.to_string())
        }
        (Endpoint::Telegram(settings), NetworkKind::Telegram) => {
            telegram::TelegramNetwork::new(&account.name, settings, timeout)
                .map(|n| Box::new(n.with_retry(retry)) as Box<dyn Network>)
                .map_err(|e| e.to_string())
        }
        (_, other) => Err(format!(
            "account settings do not match network = \"{other}\" (a bug: the config checks this)"
        )),
    }
}

/// How long one API call may take.
pub(crate) const API_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The networks of every account, in config order; the first that cannot be set up stops it
/// all (a missing secret is found at start, not at the first slot).
pub fn build_all(
    config: &crate::config::Config,
    dry_run: bool,
) -> Result<Vec<Box<dyn Network>>, crate::error::Error> {
    build_all_with(config, dry_run, RetryPolicy::default())
}

/// [`build_all`] with another retry policy (the daemon on a test clock waits in its time).
pub(crate) fn build_all_with(
    config: &crate::config::Config,
    dry_run: bool,
    retry: RetryPolicy,
) -> Result<Vec<Box<dyn Network>>, crate::error::Error> {
    let sessions = session::SessionStore::new(&config.state_dir);
    config
        .accounts
        .iter()
        .map(|a| {
            // Every secret first, so that one that cannot be read is named with its line.
            for (key, r) in a.endpoint.secrets() {
                if let Err(e) = r.resolve() {
                    let at = a
                        .secret_lines
                        .position(&config.path, key)
                        .map(|p| format!("{p}: "))
                        .unwrap_or_default();
                    return Err(crate::error::Error::Setup(format!(
                        "{at}account {:?}: `{key}`: {e}",
                        a.name
                    )));
                }
            }
            build(a, &sessions, API_TIMEOUT, retry, dry_run)
                .map_err(|m| crate::error::Error::Setup(format!("account {:?}: {m}", a.name)))
        })
        .collect()
}
