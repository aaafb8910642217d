//! Reading the blog's feed: download (or read) it within strict limits, parse it from bytes with
//! feed-rs, and turn its entries into [`Item`]s keyed by their normalised link.

mod backfill;
mod date;
mod fetch;
mod html;
mod json;
mod parse;
mod raw;
mod stream;

pub(crate) use backfill::{backfill, BackfillOptions, BackfillStats};
pub use fetch::fetch;
pub(crate) use fetch::{
    check_link, fetch_conditional, fetch_page, vet_link, Fetched, LinkStatus, Validators,
};
pub use parse::{both_readers, parse, parse_page};
pub(crate) use parse::{parse_page_owned, Page};

use chrono::{DateTime, Utc};

/// One article as the feed describes it today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Stable identity: the normalised link (see [`article_key`]).
    pub key: String,
    /// The link to share.
    pub url: String,
    /// Plain-text title.
    pub title: String,
    /// Publication time (RSS `pubDate`, Atom `published`, else `updated`), when the feed gives one.
    pub published: Option<DateTime<Utc>>,
    /// Categories and tags, plain text, de-duplicated.
    pub categories: Vec<String>,
}

/// Why a feed could not be read. The archive keeps serving whatever it already holds.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Network-level failure (DNS, connect, TLS, timeout, too many redirects).
    #[error("cannot download {url}: {reason}")]
    Http {
        /// The feed URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The feed URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body exceeded `feed.max_size` (counted after decompression).
    #[error("{source_name} is larger than the {limit}-byte limit (`feed.max_size`)")]
    TooLarge {
        /// URL or path.
        source_name: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A local feed file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The body is not a feed feed-rs understands (HTML error page, truncated XML…).
    #[error("{source_name} is not a valid RSS, Atom or JSON feed: {reason}")]
    Parse {
        /// URL or path.
        source_name: String,
        /// The parser's message.
        reason: String,
    },
}
