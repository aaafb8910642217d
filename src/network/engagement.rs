//! Reading back what posts drew: each network's count endpoint, its answer read into
//! [`Counts`], a post the network no longer has into [`Reading::Deleted`].
//!
//! | network | call | batch | counts |
//! |---|---|---|---|
//! | Mastodon | `GET /api/v1/statuses/:id` | 1 | `favourites_count`, `reblogs_count`, `replies_count` (404: deleted) |
//! | Bluesky | `app.bsky.feed.getPosts?uris=…` on the public AppView, no login | 25 | `likeCount`, `repostCount`, `replyCount`, `quoteCount` (a URI left out: deleted) |
//! | X | `GET /2/tweets?ids=…&tweet.fields=public_metrics` ($0.005 a post returned) | 100 | `public_metrics` (`errors[]` "Not Found": deleted) |
//! | Threads | `GET /{media-id}/insights?metric=likes,replies,reposts,quotes` (`threads_manage_insights`) | 1 | each metric's lifetime value (Graph code 100: deleted; `threads.rs`) |
//!
//! LinkedIn (member post statistics need `r_member_postAnalytics`, not given to self-serve
//! apps) and Telegram (a bot cannot read its channel) read nothing.

use crate::archive::{Counts, Reading};
use serde::Deserialize;

/// The most posts one call reads, per network.
pub(crate) const BLUESKY_BATCH: usize = 25;
/// X's `ids` parameter takes up to 100.
pub(crate) const X_BATCH: usize = 100;

/// A Mastodon status's counts.
#[derive(Deserialize)]
pub(crate) struct MastodonCounts {
    #[serde(default)]
    favourites_count: u64,
    #[serde(default)]
    reblogs_count: u64,
    #[serde(default)]
    replies_count: u64,
    /// Mastodon 4.5's quotes, when the server counts them.
    #[serde(default)]
    quotes_count: u64,
}

impl From<MastodonCounts> for Reading {
    fn from(c: MastodonCounts) -> Reading {
        Reading::Counts(Counts {
            likes: c.favourites_count,
            reposts: c.reblogs_count,
            replies: c.replies_count,
            quotes: c.quotes_count,
        })
    }
}

/// `app.bsky.feed.getPosts`'s answer.
#[derive(Deserialize)]
pub(crate) struct BlueskyPosts {
    posts: Vec<BlueskyPost>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlueskyPost {
    uri: String,
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    repost_count: u64,
    #[serde(default)]
    reply_count: u64,
    #[serde(default)]
    quote_count: u64,
}

/// Each asked URI with its reading: a URI the AppView left out is a deleted post.
pub(crate) fn bluesky_readings(asked: &[String], answer: BlueskyPosts) -> Vec<(String, Reading)> {
    asked
        .iter()
        .map(|uri| {
            let found = answer.posts.iter().find(|p| &p.uri == uri);
            let reading = found.map_or(Reading::Deleted, |p| {
                Reading::Counts(Counts {
                    likes: p.like_count,
                    reposts: p.repost_count,
                    replies: p.reply_count,
                    quotes: p.quote_count,
                })
            });
            (uri.clone(), reading)
        })
        .collect()
}

/// `GET /2/tweets`'s answer.
#[derive(Deserialize)]
pub(crate) struct XLookup {
    #[serde(default)]
    data: Vec<XTweet>,
    #[serde(default)]
    errors: Vec<XError>,
}

#[derive(Deserialize)]
struct XTweet {
    id: String,
    public_metrics: Option<XMetrics>,
}

#[derive(Deserialize)]
struct XMetrics {
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    retweet_count: u64,
    #[serde(default)]
    reply_count: u64,
    #[serde(default)]
    quote_count: u64,
}

#[derive(Deserialize)]
struct XError {
    resource_id: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default, rename = "type")]
    kind: String,
}

/// Each id X answered for: its counts, or deleted when X says it found no such post. An id X
/// says nothing of is left for the next round.
pub(crate) fn x_readings(answer: XLookup) -> Vec<(String, Reading)> {
    let mut out: Vec<(String, Reading)> = answer
        .data
        .into_iter()
        .map(|t| {
            let m = t.public_metrics.unwrap_or(XMetrics {
                like_count: 0,
                retweet_count: 0,
                reply_count: 0,
                quote_count: 0,
            });
            let c = Counts {
                likes: m.like_count,
                reposts: m.retweet_count,
                replies: m.reply_count,
                quotes: m.quote_count,
            };
            (t.id, Reading::Counts(c))
        })
        .collect();
    for e in answer.errors {
        let gone = e.title.contains("Not Found") || e.kind.ends_with("resource-not-found");
        if let (true, Some(id)) = (gone, e.resource_id) {
            out.push((id, Reading::Deleted));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_answers_give_counts_and_deleted_posts() {
        let answer: XLookup = serde_json::from_str(
            r#"{"data":[{"id":"1","text":"a","public_metrics":{"retweet_count":2,"reply_count":1,"like_count":7,"quote_count":0,"bookmark_count":3,"impression_count":400}}],
                "errors":[{"value":"2","detail":"Could not find tweet with ids: [2].","title":"Not Found Error","resource_type":"tweet","parameter":"ids","resource_id":"2","type":"https://api.twitter.com/2/problems/resource-not-found"}]}"#,
        )
        .unwrap();
        let r = x_readings(answer);
        assert_eq!(
            r[0],
            (
                "1".into(),
                Reading::Counts(Counts {
                    likes: 7,
                    reposts: 2,
                    replies: 1,
                    quotes: 0
                })
            )
        );
        assert_eq!(r[1], ("2".into(), Reading::Deleted));
    }

    #[test]
    fn a_uri_the_appview_leaves_out_is_deleted() {
        let answer: BlueskyPosts = serde_json::from_str(
            r#"{"posts":[{"uri":"at://did:plc:a/app.bsky.feed.post/1","cid":"c","likeCount":3,"repostCount":1,"replyCount":0,"quoteCount":2,"indexedAt":"2026-05-01T00:00:00Z"}]}"#,
        )
        .unwrap();
        let asked = [
            "at://did:plc:a/app.bsky.feed.post/1".to_string(),
            "at://did:plc:a/app.bsky.feed.post/2".to_string(),
        ];
        let r = bluesky_readings(&asked, answer);
        assert_eq!(
            r[0].1,
            Reading::Counts(Counts {
                likes: 3,
                reposts: 1,
                replies: 0,
                quotes: 2
            })
        );
        assert_eq!(r[1].1, Reading::Deleted);
    }
}
