//! Encore gives a blog's older articles a second life on X, Mastodon, Bluesky, Threads,
//! LinkedIn and Telegram channels.
//!
//! Data flows one way: `feed` reads the blog, `archive` remembers every article, `select`
//! picks one for a slot, `compose` writes the message, `network` carries it; `cadence` and
//! `schedule` decide when, and the `daemon` drives it all per account. ARCHITECTURE.md gives
//! the floors and what each module may import.
//!
//! Every module is private. What is public is the list below: the [`commands`] the `encore`
//! binary runs, and the pieces its tests, benchmarks and fuzz targets drive directly. A
//! change inside a module does not reach any user of the crate unless it changes this list.

#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod archive;
mod budget;
mod cadence;
mod clock;
pub mod commands;
mod compose;
mod config;
mod daemon;
mod error;
mod feed;
mod http;
mod ingest;
mod logging;
mod metrics;
mod network;
mod private_file;
mod redact;
mod schedule;
mod seed;
mod select;
mod service;
mod text;
mod vocab;
mod volume;

pub use archive::{key as state_key, Archive, ArchiveError, Article, Intent, Outcome};
pub use archive::{Counts, DueReading, ReadShare, Reading, ShareLog, ShareRecord, Wording};
pub use clock::{Clock, ScaledClock};
pub use compose::{compose, compose_with, ComposeError, Message, TitlePick};
pub use config::{
    BlueskySettings, Config, ConfigError, Endpoint, FeedSettings, FeedSource, LinkedInSettings,
    MastodonSettings, MessageSettings, SelectSettings, Strategy, TelegramSettings, Template,
    ThreadsSettings, Title, TitleBook, TitleEntry, Utm, XSettings, DEFAULT_PATH, EX_CONFIG,
};
pub use daemon::{run as run_daemon, Daemon, FeedStatus, RunOptions, SlotReport};
pub use error::Error;
pub use feed::{fetch as fetch_feed, parse as parse_feed, parse_page as parse_feed_page};
pub use feed::{FeedError, Item as FeedItem};
pub use http::client as http_client;
pub use http::{PageError, Pages, Refused, Trusted, Web};
pub use logging::init as init_logging;
pub use network::bluesky::BlueskyNetwork;
pub use network::limits::read_rules as read_length_rules;
pub use network::linkedin::LinkedInNetwork;
pub use network::mastodon::MastodonNetwork;
pub use network::session::{SessionStore, Tokens};
pub use network::telegram::TelegramNetwork;
pub use network::threads::ThreadsNetwork;
pub use network::x::XNetwork;
pub use network::{build_all as build_networks, RetryPolicy};
pub use network::{AccountInfo, BoxFuture, Network, Outgoing, PostError, Receipt};
pub use redact::scrub as hide_secrets;
pub use schedule::{age_window, decide, decide_streamed, simulate, Decision, Past};
pub use text::fold;
pub use vocab::length::x_weighted_length;
pub use vocab::{article_key, LengthRule, NetworkKind, UrlGlob};

/// Internals that only the tests and fuzz targets reach: a test of a fake's signature check
/// signs with Encore's own signer, a differential fuzz target runs both feed readers. Not an
/// API: anything here may change with any release.
#[doc(hidden)]
pub mod internals {
    pub use crate::config::secret::SecretRef;
    pub use crate::feed::both_readers;
    pub use crate::network::bluesky::tid::for_slot as bluesky_record_key;
    pub use crate::network::limits::cached as cached_length_rule;
    pub use crate::network::mastodon::idempotency_key as mastodon_idempotency_key;
    pub use crate::network::x::oauth1;
}
