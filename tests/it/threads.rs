//! Threads against a fake Threads API on 127.0.0.1: the two-step publication with the text at
//! 500 (emoji by their UTF-8 bytes) and one topic tag, a container not yet ready, a lost
//! answer looked for before publishing again, the quota and the call limits, and the token
//! refreshed into the state (0600) or the account stopped when it is dead.

use crate::support;

use chrono::{Duration, Utc};
use encore::{Config, Endpoint, Network, NetworkKind, PostError, SessionStore, ThreadsNetwork};
use support::fake_threads::{self, threads_length, FakeThreads, Fault};
use support::more::{at_limit, message, over_limit, post, quick, URL};

fn config(dir: &std::path::Path, base: &str, token: &str) -> Config {
    support::more::one_account(
        dir,
        "th",
        "threads",
        &[("api_base", base), ("access_token", token)],
    )
}

fn network(c: &Config) -> ThreadsNetwork {
    let Endpoint::Threads(t) = &c.accounts[0].endpoint else {
        panic!("not threads")
    };
    ThreadsNetwork::new(
        "th",
        t,
        &SessionStore::new(&c.state_dir),
        std::time::Duration::from_secs(2),
    )
    .unwrap()
    .with_retry(quick())
}

/// A fake whose token was refreshed less than 24 hours ago (so the network does not refresh
/// it before the first post) and a network on it.
async fn setup() -> (FakeThreads, ThreadsNetwork, Config, tempfile::TempDir) {
    let fake = FakeThreads::start().await;
    fake.state.lock().unwrap().refresh_allowed = false;
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), &fake.base, fake_threads::TOKEN);
    let n = network(&c);
    (fake, n, c, dir)
}

#[tokio::test]
async fn a_post_at_500_with_emoji_bytes_goes_out_in_two_steps_with_one_topic_tag() {
    let (fake, n, _c, _dir) = setup().await;
    let rule = NetworkKind::Threads.length_rule();
    let text = format!("#Voyage Été 日本 👍 {URL}");
    let r = post(&n, "th", &message(&text, &["Voyage"])).await.unwrap();
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(r.post_id, posts[0].id);
    assert_eq!(posts[0].text, text);
    assert_eq!(
        posts[0].link.as_deref(),
        Some(URL),
        "the article is the link preview"
    );
    assert_eq!(posts[0].topic_tag.as_deref(), Some("Voyage"));
    let full = at_limit(rule);
    post(&n, "th", &message(&full, &[])).await.unwrap();
    assert_eq!(threads_length(&full), 500, "the fake counts as Encore does");
    assert!(full.contains('👍') && full.contains('日'));
    let e = post(&n, "th", &message(&over_limit(rule), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PostError::SkipArticle { ref reason } if reason.contains("500")),
        "{e:?}"
    );
    assert_eq!(fake.posts().len(), 2);
    // Compose keeps one hashtag for Threads.
    assert_eq!(NetworkKind::Threads.max_hashtags(), Some(1));
}

#[tokio::test]
async fn a_container_not_ready_and_a_5xx_storm_are_retried_and_a_lost_answer_is_found() {
    let (fake, n, _c, _dir) = setup().await;
    // Not ready for 30 ms: "Media Not Found" once, then published.
    fake.state.lock().unwrap().ready_after = std::time::Duration::from_millis(30);
    post(&n, "th", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap();
    assert_eq!(fake.posts().len(), 1);
    fake.state.lock().unwrap().ready_after = std::time::Duration::ZERO;
    // Published, answer lost: the profile's posts are looked at, and it is there.
    fake.push_fault(Fault::PublishThenDrop);
    let r = post(&n, "th", &message(&format!("Deux {URL}"), &[]))
        .await
        .unwrap();
    let posts = fake.posts();
    assert_eq!(posts.len(), 2, "not published twice");
    assert_eq!(r.post_id, posts[1].id);
    // 5xx at publication, twice: looked for (not there), published once.
    fake.push_fault(Fault::Graph(500, 1));
    fake.push_fault(Fault::Graph(503, 2));
    post(&n, "th", &message(&format!("Trois {URL}"), &[]))
        .await
        .unwrap();
    assert_eq!(fake.posts().len(), 3);
    // 5xx at the container: nothing can have been published, simply tried again.
    fake.push_fault(Fault::ContainerGraph(500, 1));
    post(&n, "th", &message(&format!("Quatre {URL}"), &[]))
        .await
        .unwrap();
    assert_eq!(fake.posts().len(), 4);
}

#[tokio::test]
async fn call_limits_the_quota_and_refusals() {
    let (fake, n, _c, _dir) = setup().await;
    fake.push_fault(Fault::Graph(400, 4));
    let e = post(&n, "th", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap_err();
    let in_an_hour = chrono::Utc::now() + chrono::Duration::minutes(59);
    assert!(
        matches!(e, PostError::RetryLater { until: Some(u), .. } if u >= in_an_hour),
        "a call limit marked transient pauses the account an hour: {e:?}"
    );
    fake.state.lock().unwrap().quota_total = 0;
    let e = post(&n, "th", &message(&format!("Deux {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PostError::RetryLater { ref reason, .. } if reason.contains("0 of 0")),
        "{e:?}"
    );
    fake.state.lock().unwrap().quota_total = 250;
    let links = (1..=6)
        .map(|i| format!("https://e{i}.example.org/"))
        .collect::<Vec<_>>()
        .join(" ");
    let e = post(&n, "th", &message(&format!("{links} {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(matches!(e, PostError::SkipArticle { .. }), "{e:?}");
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn the_token_is_refreshed_into_the_state_and_a_dead_one_stops_the_account() {
    let fake = FakeThreads::start().await;
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), &fake.base, fake_threads::TOKEN);
    let n = network(&c);
    // The configured token's end is unknown: refreshed at once, kept 0600, used from then on.
    let ends = n.renew().await.unwrap().unwrap();
    assert!((ends - Utc::now() - Duration::days(60)).num_seconds().abs() < 5);
    let stored = SessionStore::new(&c.state_dir).load("th").unwrap().unwrap();
    assert_eq!(stored.access_token, "th-refreshed-1");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(c.state_dir.join("sessions/th.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    fake.state
        .lock()
        .unwrap()
        .tokens
        .remove(fake_threads::TOKEN);
    post(&n, "th", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap();
    // Not refreshed again while it has 50 days left, and a restart uses the stored token.
    assert_eq!(n.renew().await.unwrap(), Some(ends));
    let again = network(&c);
    post(&again, "th", &message(&format!("Deux {URL}"), &[]))
        .await
        .unwrap();
    assert_eq!(fake.state.lock().unwrap().refreshes, 1);
    // Every token dead: the account stops, saying what to do.
    fake.state.lock().unwrap().tokens.clear();
    let e = post(&again, "th", &message(&format!("Trois {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PostError::StopAccount { ref reason } if reason.contains("access_token")),
        "{e:?}"
    );
    // A new token in the config wins over the stored ones.
    fake.state
        .lock()
        .unwrap()
        .tokens
        .insert("th-new".into(), Utc::now() + Duration::days(60));
    let c2 = config(dir.path(), &fake.base, "th-new");
    let fresh = network(&c2);
    post(&fresh, "th", &message(&format!("Quatre {URL}"), &[]))
        .await
        .unwrap();
    assert_eq!(fake.posts().len(), 3);
}

#[tokio::test]
async fn what_posts_drew_is_read_from_their_insights() {
    let (fake, n, _c, _dir) = setup().await;
    let a = post(&n, "th", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap();
    let b = post(&n, "th", &message(&format!("Deux {URL}"), &[]))
        .await
        .unwrap();
    fake.state
        .lock()
        .unwrap()
        .counts
        .insert(a.post_id.clone(), (12, 3, 2, 1));
    let ids = vec![a.post_id.clone(), b.post_id.clone(), "17999".to_string()];
    let read = n.engagement(&ids).await.unwrap();
    assert_eq!(
        read,
        vec![
            (
                a.post_id.clone(),
                encore::Reading::Counts(encore::Counts {
                    likes: 12,
                    reposts: 2,
                    replies: 3,
                    quotes: 1
                })
            ),
            (
                b.post_id.clone(),
                encore::Reading::Counts(encore::Counts::default())
            ),
            ("17999".to_string(), encore::Reading::Deleted),
        ]
    );
    // Without threads_manage_insights: nothing read, and the error says which permission.
    fake.state.lock().unwrap().insights_allowed = false;
    let e = n.engagement(&ids).await.unwrap_err();
    assert!(e.to_string().contains("threads_manage_insights"), "{e}");
}
