//! Filling the archive from older feed pages.
//!
//! A blog's feed usually lists only its latest 10 items, so a blog that posts daily shows no
//! 30-day-old article at all. Backfill walks older pages: RFC 5005 links (`next`,
//! `prev-archive`) when the feed has them, else WordPress's `?paged=2,3,…`.

use super::{fetch_conditional, fetch_page, parse_page, FeedError, Fetched, Item};
use crate::config::{FeedSettings, FeedSource};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::time::Duration;

/// Limits of one backfill walk.
#[derive(Debug, Clone)]
pub(crate) struct BackfillOptions {
    /// Most pages read, the first included.
    pub max_pages: u32,
    /// Pause between two pages (politeness towards the blog's server).
    pub delay: Duration,
    /// A page whose items are all older than this ends the walk.
    pub stop_before: DateTime<Utc>,
}

/// What a walk read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackfillStats {
    /// Pages read successfully.
    pub pages: u32,
    /// Items handed to the callback.
    pub items: usize,
}

/// Walks the feed's pages from the first, handing each page's items to `on_page` (which
/// archives them). Ends at a 404/410, an empty or already-seen page, a page entirely older than
/// `stop_before`, `max_pages`, or a next page on another host than the feed's (a feed's
/// content may not send Encore elsewhere, unless the admin trusts it with
/// `allow_private_networks`). Errors after the first page end the walk with what
/// was read. The first page is the admin's address, read with `web`'s feed client; the
/// others come from the content, read with its content client. Long because each of those
/// ends is one check in the walk, in the order they are tried.
pub(crate) async fn backfill(
    web: &crate::http::Web,
    settings: &FeedSettings,
    opts: &BackfillOptions,
    mut on_page: impl FnMut(u32, &[Item]),
) -> Result<BackfillStats, FeedError> {
    let FeedSource::Url(first) = &settings.source else {
        return Ok(BackfillStats::default()); // a local file has no older pages
    };
    let mut stats = BackfillStats::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut url = first.clone();
    for page in 1..=opts.max_pages {
        if page > 1 {
            tokio::time::sleep(opts.delay).await;
        }
        let read = if page == 1 {
            fetch_conditional(web, settings, None).await
        } else {
            fetch_page(web.pages(&settings.name), &url, settings).await
        };
        let bytes = match read {
            Ok(Fetched::Body { bytes, .. }) => bytes,
            Ok(Fetched::NotModified) => break,
            Err(FeedError::Status {
                status: 404 | 410, ..
            }) if page > 1 => break,
            Err(e) if page > 1 => {
                tracing::warn!(page, "backfill stopped: {e}");
                break;
            }
            Err(e) => return Err(e),
        };
        let (items, older) = match parse_page(&bytes, Some(url.as_str()), settings.timezone) {
            Ok(p) => p,
            Err(e) if page > 1 => {
                tracing::warn!(page, "backfill stopped: {e}");
                break;
            }
            Err(e) => return Err(e),
        };
        let fresh: Vec<Item> = items
            .into_iter()
            .filter(|i| seen.insert(i.key.clone()))
            .collect();
        if fresh.is_empty() {
            break; // an empty page, or a server that ignores ?paged and repeats page 1
        }
        stats.pages += 1;
        stats.items += fresh.len();
        on_page(page, &fresh);
        tracing::info!(page, items = fresh.len(), url = %crate::redact::url(url.as_str()), "backfill page read");
        if fresh
            .iter()
            .all(|i| i.published.is_some_and(|p| p < opts.stop_before))
        {
            break;
        }
        url = match older.and_then(|o| url::Url::parse(&o).ok()) {
            Some(next) if next.host() != first.host() && !settings.allow_private_networks => {
                let (feed, host) = (&settings.name, next.host_str().unwrap_or_default());
                tracing::warn!(feed = %feed, "backfill stopped: the next page is on another host ({host}) than the feed's");
                break;
            }
            Some(next) => next,
            None => wordpress_page(first, page + 1),
        };
    }
    Ok(stats)
}

/// `?paged=N` added to the feed URL, keeping its other query parameters.
fn wordpress_page(feed: &url::Url, n: u32) -> url::Url {
    let mut u = feed.clone();
    let kept: Vec<(String, String)> = feed
        .query_pairs()
        .filter(|(k, _)| k != "paged")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.set_query(None);
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair("paged", &n.to_string());
    }
    u
}

#[cfg(test)]
mod tests {
    #[test]
    fn wordpress_pages_keep_other_query_parameters() {
        let f = url::Url::parse("https://b.org/feed/?lang=fr&paged=9").unwrap();
        assert_eq!(
            super::wordpress_page(&f, 2).as_str(),
            "https://b.org/feed/?lang=fr&paged=2"
        );
        let f = url::Url::parse("https://b.org/feed/").unwrap();
        assert_eq!(
            super::wordpress_page(&f, 3).as_str(),
            "https://b.org/feed/?paged=3"
        );
    }
}
