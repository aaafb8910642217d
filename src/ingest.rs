//! Ingestion: a feed read (or a walk of its older pages) merged into the archive.
//!
//! One place for it because the daemon and the commands (`backfill`, `preview --refresh`…) both
//! do it, and neither may call the other: the daemon sits below the commands.

use crate::archive::{key, Archive, MergeStats};
use crate::config::{Config, FeedSettings, FeedSource};
use crate::feed::{BackfillOptions, BackfillStats, FeedError, Fetched, Item, Validators};
use chrono::{DateTime, Utc};

/// Walks every feed's older pages into the archive (`encore backfill`), one feed after the
/// other; the pages read in all.
pub async fn backfill_archive(
    config: &Config,
    archive: &Archive,
    now: DateTime<Utc>,
) -> Result<BackfillStats, crate::error::Error> {
    let mut all = BackfillStats::default();
    let web = config.web();
    for feed in &config.feeds {
        let stats = backfill_feed(config, &web, feed, archive, now).await?;
        all.pages += stats.pages;
        all.items += stats.items;
    }
    Ok(all)
}

/// Walks one feed's older pages into the archive (`encore backfill`, and the daemon's first
/// read of a feed). Stops at pages older than `max_age_days` + 7 days of every account.
pub(crate) async fn backfill_feed(
    config: &Config,
    web: &crate::http::Web,
    feed: &FeedSettings,
    archive: &Archive,
    now: DateTime<Utc>,
) -> Result<BackfillStats, crate::error::Error> {
    let opts = backfill_options(config, feed, now);
    let mut progress = Progress::on_terminal(opts.max_pages);
    let mut failure = None;
    let walk = crate::feed::backfill(web, feed, &opts, |page, items| {
        progress.page(page, items.len());
        if let Err(e) = archive.merge_feed(items, &feed.name, now) {
            failure.get_or_insert(e);
        }
    })
    .await;
    progress.done();
    if let Some(e) = failure {
        return Err(e.into());
    }
    match walk {
        Ok(stats) => {
            archive.set_meta(&key::backfilled(&feed.name), &now.to_rfc3339())?;
            archive.flush()?;
            tracing::info!(
                feed = %feed.name,
                pages = stats.pages,
                items = stats.items,
                archived = archive.len(),
                "backfill done"
            );
            Ok(stats)
        }
        Err(e) => {
            tracing::warn!(feed = %feed.name, "backfill skipped, the archive keeps serving: {e}");
            Ok(BackfillStats::default())
        }
    }
}

fn backfill_options(config: &Config, feed: &FeedSettings, now: DateTime<Utc>) -> BackfillOptions {
    let oldest = config
        .accounts
        .iter()
        .map(|a| a.select.max_age_days)
        .max()
        .unwrap_or(90);
    BackfillOptions {
        max_pages: feed.backfill_pages,
        delay: feed.backfill_delay,
        stop_before: now - chrono::Duration::days(i64::from(oldest) + 7),
    }
}

/// On a terminal, one progress line rewritten in place; elsewhere nothing (the per-page log
/// lines say it).
struct Progress {
    shown: bool,
    max_pages: u32,
    items: usize,
}

impl Progress {
    fn on_terminal(max_pages: u32) -> Progress {
        use std::io::IsTerminal;
        Progress {
            shown: std::io::stderr().is_terminal(),
            max_pages,
            items: 0,
        }
    }

    fn page(&mut self, page: u32, items: usize) {
        use std::io::Write;
        self.items += items;
        if self.shown {
            let mut err = std::io::stderr();
            let (max, total) = (self.max_pages, self.items);
            let _ = write!(err, "\rbackfill: page {page}/{max}, {total} items read");
            let _ = err.flush();
        }
    }

    fn done(&self) {
        if self.shown && self.items > 0 {
            eprintln!();
        }
    }
}

/// Reads every feed into the archive, one after the other (the commands; the daemon reads them
/// several at a time). A feed that cannot be read is logged and skipped: the archive keeps
/// serving what it holds. `None` when some feed failed.
pub async fn refresh_archive(
    config: &Config,
    archive: &Archive,
    now: DateTime<Utc>,
) -> Option<MergeStats> {
    if let Some(first) = config.feeds.first() {
        // Articles read before feeds had names belong to the config's first feed.
        if let Err(e) = archive.adopt_unnamed(&first.name) {
            tracing::warn!("articles without a feed not given to {}: {e}", first.name);
        }
    }
    let web = config.web();
    let mut all = Some(MergeStats::default());
    for feed in &config.feeds {
        let read = refresh_feed(&web, feed, archive, now).await;
        all = all.zip(read).map(|(a, b)| MergeStats {
            new: a.new + b.new,
            known: a.known + b.known,
        });
    }
    all
}

/// Reads one feed into the archive; `None` (with a warning naming the feed) when it cannot be
/// read or archived.
pub(crate) async fn refresh_feed(
    web: &crate::http::Web,
    feed: &FeedSettings,
    archive: &Archive,
    now: DateTime<Utc>,
) -> Option<MergeStats> {
    match read(web, feed, archive).await {
        Ok(None) => {
            tracing::info!(feed = %feed.name, source = %feed.source, "feed not modified since the last read");
            Some(MergeStats::default())
        }
        Ok(Some((items, validators))) => keep(feed, archive, &items, validators, now),
        Err(e) => {
            tracing::warn!(
                feed = %feed.name,
                "feed skipped, the archive keeps serving ({} articles): {e}",
                archive.len()
            );
            None
        }
    }
}

/// The feed's items, or `None` when the server says they have not changed since the last read.
async fn read(
    web: &crate::http::Web,
    feed: &FeedSettings,
    archive: &Archive,
) -> Result<Option<(Vec<Item>, Option<Validators>)>, FeedError> {
    let base = match &feed.source {
        FeedSource::Url(u) => Some(u.to_string()),
        FeedSource::File(_) => None,
    };
    let known = match &base {
        Some(url) => archive.feed_validators(url).ok().flatten(),
        None => None,
    };
    match crate::feed::fetch_conditional(web, feed, known.as_ref()).await? {
        Fetched::NotModified => Ok(None),
        Fetched::Body { bytes, validators } => {
            crate::feed::parse_page_owned(bytes, base.as_deref(), feed.timezone)
                .map(|(items, _)| Some((items, validators)))
        }
    }
}

/// Merges a read into the archive, then keeps its cache validators: only once the content is
/// safely archived, so that a failed merge reads again.
fn keep(
    feed: &FeedSettings,
    archive: &Archive,
    items: &[Item],
    validators: Option<Validators>,
    now: DateTime<Utc>,
) -> Option<MergeStats> {
    let stats = match archive.merge_feed(items, &feed.name, now) {
        Ok(stats) => stats,
        Err(e) => {
            tracing::warn!(feed = %feed.name, "feed read but not archived: {e}");
            return None;
        }
    };
    if let Some(Err(e)) = validators.map(|v| archive.set_feed_validators(&v)) {
        tracing::warn!(feed = %feed.name, "feed cache validators not stored: {e}");
    }
    tracing::info!(
        feed = %feed.name,
        source = %feed.source,
        items = items.len(),
        new = stats.new,
        archived = archive.len(),
        "feed read"
    );
    Some(stats)
}
