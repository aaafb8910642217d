//! Ingestion: a feed read (or a walk of its older pages) merged into the archive.
//!
//! One place for it because the daemon and the commands (`backfill`, `preview --refresh`…) both
//! do it, and neither may call the other: the daemon sits below the commands.

use crate::archive::{key, Archive, MergeStats};
use crate::config::{Config, FeedSource};
use chrono::{DateTime, Utc};

/// Walks the feed's older pages into the archive (`encore backfill`, and the daemon's first
/// run). Stops at pages older than `max_age_days` + 7 days of every account.
pub async fn backfill_archive(
    config: &Config,
    archive: &Archive,
    now: DateTime<Utc>,
) -> Result<crate::feed::BackfillStats, crate::error::Error> {
    let oldest = config
        .accounts
        .iter()
        .map(|a| a.select.max_age_days)
        .max()
        .unwrap_or(90);
    let opts = crate::feed::BackfillOptions {
        max_pages: config.feed.backfill_pages,
        delay: config.feed.backfill_delay,
        stop_before: now - chrono::Duration::days(i64::from(oldest) + 7),
    };
    use std::io::{IsTerminal, Write};
    // On a terminal, one progress line rewritten in place; elsewhere the per-page log lines.
    let progress = std::io::stderr().is_terminal();
    let mut failure = None;
    let mut total = 0;
    let walk = crate::feed::backfill(&config.feed, &opts, |page, items| {
        total += items.len();
        if progress {
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\rbackfill: page {page}/{}, {total} items read",
                opts.max_pages
            );
            let _ = err.flush();
        }
        if let Err(e) = archive.merge(items, now) {
            failure.get_or_insert(e);
        }
    })
    .await;
    if progress && total > 0 {
        eprintln!();
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    match walk {
        Ok(stats) => {
            archive.set_meta(key::BACKFILLED, &now.to_rfc3339())?;
            archive.flush()?;
            tracing::info!(
                pages = stats.pages,
                items = stats.items,
                archived = archive.len(),
                "backfill done"
            );
            Ok(stats)
        }
        Err(e) => {
            tracing::warn!("backfill skipped, the archive keeps serving: {e}");
            Ok(crate::feed::BackfillStats::default())
        }
    }
}

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
    let known = match &base {
        Some(url) => archive.feed_validators(url).ok().flatten(),
        None => None,
    };
    let result = async {
        match crate::feed::fetch_conditional(&config.feed, known.as_ref()).await? {
            crate::feed::Fetched::NotModified => Ok(None),
            crate::feed::Fetched::Body { bytes, validators } => {
                crate::feed::parse_page_owned(bytes, base.as_deref(), config.feed.timezone)
                    .map(|(items, _)| Some((items, validators)))
            }
        }
    }
    .await;
    match result {
        Ok(None) => {
            tracing::info!(feed = %config.feed.source, "feed not modified since the last read");
            Some(MergeStats::default())
        }
        Ok(Some((items, validators))) => match archive.merge(&items, now) {
            Ok(stats) => {
                // Stored only once the content is safely archived: a failed merge re-reads.
                let stored = match &validators {
                    Some(v) => archive.set_feed_validators(v),
                    None => Ok(()),
                };
                if let Err(e) = stored {
                    tracing::warn!("feed cache validators not stored: {e}");
                }
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
