//! What the `encore` subcommands do. `main.rs` parses the command line and calls these.

mod check;
mod history;
mod preview;

pub use check::check;
pub use history::history;
pub use preview::{preview, Format, PreviewOptions};

use crate::archive::{Archive, MergeStats};
use crate::config::{Config, FeedSource};
use chrono::{DateTime, Utc};

/// Reads the feed into the archive. A feed that cannot be read is logged and skipped: the
/// archive keeps serving what it holds.
pub async fn refresh_archive(
    config: &Config,
    archive: &Archive,
    now: DateTime<Utc>,
) -> Option<MergeStats> {
    let base = match &config.feed.source {
        FeedSource::Url(u) => Some(u.to_string()),
        FeedSource::File(_) => None,
    };
    let result = async {
        let bytes = crate::feed::fetch(&config.feed).await?;
        crate::feed::parse(&bytes, base.as_deref())
    }
    .await;
    match result {
        Ok(items) => match archive.merge(&items, now) {
            Ok(stats) => {
                tracing::info!(
                    feed = %config.feed.source,
                    items = items.len(),
                    new = stats.new,
                    archived = archive.len(),
                    "feed read"
                );
                Some(stats)
            }
            Err(e) => {
                tracing::warn!("feed read but not archived: {e}");
                None
            }
        },
        Err(e) => {
            tracing::warn!(
                "feed skipped, the archive keeps serving ({} articles): {e}",
                archive.len()
            );
            None
        }
    }
}
