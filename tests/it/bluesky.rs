//! Bluesky against a fake PDS on 127.0.0.1: one login then refreshes, records the lexicon
//! accepts, facets whose byte offsets cover exactly the hashtags and the link, link cards with
//! uploaded thumbnails, record keys that make retries harmless, and every refusal's meaning.

use crate::support;

use chrono::{Duration, TimeZone, Utc};
use encore::internals::bluesky_record_key;
use encore::BlueskyNetwork;
use encore::Daemon;
use encore::Message;
use encore::RetryPolicy;
use encore::SessionStore;
use encore::{Archive, Intent, Outcome};
use encore::{BlueskySettings, Config, Endpoint};
use encore::{Network, Outgoing, PostError};
use serde_json::Value;
use std::path::Path;
use support::fake_bluesky::{self, FakeBluesky, Fault};
use support::Blog;
use unicode_segmentation::UnicodeSegmentation;

fn account(fake: &FakeBluesky, password: &str) -> String {
    format!(
        r#"
[[account]]
name = "blog-bsky"
network = "bluesky"
service = "{base}"
appview = "{base}"
identifier = "{handle}"
app_password = "{password}"
language = "fr"
"#,
        base = fake.base,
        handle = fake_bluesky::HANDLE,
    )
}

fn cfg(dir: &Path, fake: &FakeBluesky, blog: &Blog, password: &str) -> Config {
    let feed = support::feed_at(dir, "intl.xml", &blog.base);
    support::config(dir, &feed, 1.0, &account(fake, password))
}

fn settings(c: &Config) -> BlueskySettings {
    match &c.accounts[0].endpoint {
        Endpoint::Bluesky(b) => (**b).clone(),
        other => panic!("{other:?}"),
    }
}

fn network(c: &Config) -> BlueskyNetwork {
    BlueskyNetwork::new(
        "blog-bsky",
        &settings(c),
        &SessionStore::new(&c.state_dir),
        std::time::Duration::from_secs(2),
    )
    .unwrap()
    .with_retry(RetryPolicy {
        attempts: 3,
        base_delay: std::time::Duration::from_millis(20),
    })
}

struct Setup {
    fake: FakeBluesky,
    blog: Blog,
    dir: tempfile::TempDir,
    cfg: Config,
}

async fn setup() -> Setup {
    let fake = FakeBluesky::start().await;
    let blog = Blog::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = cfg(dir.path(), &fake, &blog, fake_bluesky::APP_PASSWORD);
    Setup {
        fake,
        blog,
        dir,
        cfg,
    }
}

fn slot(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, day, 9, 0, 0).unwrap()
}

async fn post_text(
    n: &BlueskyNetwork,
    text: &str,
    url: &str,
    day: u32,
) -> Result<encore::Receipt, PostError> {
    let m = Message {
        text: text.into(),
        length: 0,
        limit: 300,
        url: url.into(),
        hashtags: vec![],
        variant: (1, 1),
        title: String::new(),
        title_pick: encore::TitlePick::Original,
        why: String::new(),
    };
    n.post(Outgoing {
        account: "blog-bsky",
        pages: support::pages(),
        url,
        article_key: url,
        title: "Feed title",
        slot: slot(day),
        message: &m,
    })
    .await
}

/// Decodes every facet's byte slice: (slice, feature type, value).
fn facet_slices(record: &Value) -> Vec<(String, String, String)> {
    let text = record["text"].as_str().unwrap().as_bytes();
    record["facets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            let s = f["index"]["byteStart"].as_u64().unwrap() as usize;
            let e = f["index"]["byteEnd"].as_u64().unwrap() as usize;
            let feat = &f["features"][0];
            let kind = feat["$type"].as_str().unwrap().to_string();
            let value = feat["tag"]
                .as_str()
                .or(feat["uri"].as_str())
                .unwrap()
                .to_string();
            (String::from_utf8(text[s..e].to_vec()).unwrap(), kind, value)
        })
        .collect()
}

#[tokio::test]
async fn a_post_is_a_valid_record_with_facets_card_and_thumbnail() {
    let s = setup().await;
    let n = network(&s.cfg);
    let url = format!("{}/2026/04/cafe-ete/", s.blog.base);
    let text = format!("#Café #日本語 #Réseaux_sociaux Café ☕ et 東京 🥐 {url}");
    let r = post_text(&n, &text, &url, 1).await.unwrap();
    let posts = s.fake.posts();
    assert_eq!(posts.len(), 1);
    let (rkey, record) = &posts[0];
    assert_eq!(
        rkey,
        &bluesky_record_key("blog-bsky", slot(1)),
        "key from the slot"
    );
    assert_eq!(
        r.post_id,
        format!("at://{}/app.bsky.feed.post/{rkey}", fake_bluesky::DID)
    );
    assert_eq!(record["text"], text.as_str());
    assert_eq!(record["langs"], serde_json::json!(["fr"]));
    assert_eq!(
        facet_slices(record),
        vec![
            (
                "#Café".into(),
                "app.bsky.richtext.facet#tag".into(),
                "Café".into()
            ),
            (
                "#日本語".into(),
                "app.bsky.richtext.facet#tag".into(),
                "日本語".into()
            ),
            (
                "#Réseaux_sociaux".into(),
                "app.bsky.richtext.facet#tag".into(),
                "Réseaux_sociaux".into()
            ),
            (
                url.clone(),
                "app.bsky.richtext.facet#link".into(),
                url.clone()
            ),
        ]
    );
    let ext = &record["embed"]["external"];
    assert_eq!(ext["uri"], url.as_str());
    assert_eq!(ext["title"], "Page title for /2026/04/cafe-ete/");
    assert_eq!(
        ext["description"],
        "Une description avec des accents & un emoji 🎉"
    );
    assert_eq!(ext["thumb"]["mimeType"], "image/png");
    assert_eq!(ext["thumb"]["size"], support::THUMB_PNG_LEN);
    assert_eq!(s.fake.logins(), 1);
}

#[tokio::test]
async fn one_login_then_stored_sessions_refreshed_and_rotated() {
    let s = setup().await;
    let url = format!("{}/2026/04/cafe-ete/", s.blog.base);
    post_text(&network(&s.cfg), &format!("Un {url}"), &url, 1)
        .await
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(s.dir.path().join("sessions/blog-bsky.json")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    // A restarted daemon: the stored session, no new login.
    post_text(&network(&s.cfg), &format!("Deux {url}"), &url, 2)
        .await
        .unwrap();
    assert_eq!(s.fake.logins(), 1, "createSession is scarce: used once");

    // The access token expires: refreshed once, the post goes, the new pair is kept.
    s.fake.expire_access_tokens();
    post_text(&network(&s.cfg), &format!("Trois {url}"), &url, 3)
        .await
        .unwrap();
    assert_eq!((s.fake.logins(), s.fake.refreshes()), (1, 1));
    // The old refresh token is spent: a daemon that kept it would now have to log in again.
    s.fake.expire_access_tokens();
    post_text(&network(&s.cfg), &format!("Quatre {url}"), &url, 4)
        .await
        .unwrap();
    assert_eq!(
        (s.fake.logins(), s.fake.refreshes()),
        (1, 2),
        "the rotated refresh token was stored and used"
    );

    // Refresh token revoked too: one new login, then on.
    s.fake.expire_access_tokens();
    s.fake.revoke_refresh_tokens();
    post_text(&network(&s.cfg), &format!("Cinq {url}"), &url, 5)
        .await
        .unwrap();
    assert_eq!(s.fake.logins(), 2);
    assert_eq!(s.fake.posts().len(), 5);
    let stored = std::fs::read_to_string(s.dir.path().join("sessions/blog-bsky.json")).unwrap();
    assert!(
        !stored.contains(fake_bluesky::APP_PASSWORD),
        "the password is never stored"
    );
}

#[tokio::test]
async fn a_dropped_answer_or_a_5xx_never_makes_a_second_post() {
    let s = setup().await;
    let n = network(&s.cfg);
    let url = format!("{}/2026/04/tokyo-kissaten/", s.blog.base);
    // Created, then the answer is lost: the retry finds the record at its key.
    s.fake.push_fault(Fault::CreateThenDrop);
    let r = post_text(&n, &format!("東京 {url}"), &url, 1)
        .await
        .unwrap();
    assert_eq!(s.fake.posts().len(), 1);
    assert!(r
        .post_id
        .ends_with(&bluesky_record_key("blog-bsky", slot(1))));

    // The same slot again (a crash between the post and its record): the PDS refuses the
    // taken key and Encore recognises its own post.
    let again = post_text(&n, &format!("東京 {url}"), &url, 1)
        .await
        .unwrap();
    assert_eq!(again.post_id, r.post_id);
    assert_eq!(s.fake.posts().len(), 1, "still one post");

    // 5xx then success.
    s.fake.push_fault(Fault::Status(502));
    post_text(&n, &format!("Deux {url}"), &url, 2)
        .await
        .unwrap();
    assert_eq!(s.fake.posts().len(), 2);

    // Reconcile after a crash looks at the slot's key.
    let intent = |day| Intent {
        account: "blog-bsky".into(),
        article_key: url.clone(),
        url: url.clone(),
        slot: slot(day),
        text: String::new(),
        created: slot(day),
        words: None,
    };
    assert!(n.reconcile(&intent(2)).await.unwrap().is_some());
    assert!(n.reconcile(&intent(9)).await.unwrap().is_none());
}

#[tokio::test]
async fn refusals_map_to_their_meaning() {
    let s = setup().await;
    let url = format!("{}/2026/04/cafe-ete/", s.blog.base);

    // Wrong app password: the account stops (and no retry storm of logins).
    let bad = cfg(s.dir.path(), &s.fake, &s.blog, "wrong-password");
    let e = post_text(&network(&bad), &format!("x {url}"), &url, 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, PostError::StopAccount { reason } if reason.contains("Invalid identifier or password")),
        "{e:?}"
    );
    assert_eq!(s.fake.logins(), 1);

    let n = network(&s.cfg);
    // Rate limited: paused until the epoch-seconds reset.
    let reset = s.fake.state.lock().unwrap().rate_reset;
    s.fake.state.lock().unwrap().rate_limit = Some(0);
    match post_text(&n, &format!("y {url}"), &url, 2).await {
        Err(PostError::RetryLater { until: Some(t), .. }) => assert_eq!(t.timestamp(), reset),
        other => panic!("{other:?}"),
    }
    s.fake.state.lock().unwrap().rate_limit = None;

    // Over 300 graphemes: the lexicon refuses it and the article is skipped.
    let long = format!("{} {url}", "é".repeat(300));
    let e = post_text(&n, &long, &url, 3).await.unwrap_err();
    assert!(
        matches!(&e, PostError::SkipArticle { reason } if reason.contains("300 graphemes")),
        "{e:?}"
    );
    assert!(s.fake.posts().is_empty());

    // The PDS fails every attempt and nothing is at the key: the slot is given up.
    for _ in 0..3 {
        s.fake.push_fault(Fault::Status(503));
    }
    let e = post_text(&n, &format!("z {url}"), &url, 4)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, PostError::Unavailable { reason } if reason.contains("after 3 attempts")),
        "{e:?}"
    );
    assert!(s.fake.posts().is_empty());
}

#[tokio::test]
async fn an_image_over_the_blob_limit_costs_the_thumbnail_not_the_post() {
    let s = setup().await;
    s.blog.big.store(true, std::sync::atomic::Ordering::SeqCst);
    let n = network(&s.cfg);
    let url = format!("{}/2026/03/alphabets/", s.blog.base);
    post_text(&n, &format!("Ελληνικά {url}"), &url, 1)
        .await
        .unwrap();
    let posts = s.fake.posts();
    let ext = &posts[0].1["embed"]["external"];
    assert!(ext.get("thumb").is_none(), "{ext}");
    assert_eq!(ext["uri"], url.as_str());
    assert_eq!(s.fake.requests_to("/xrpc/com.atproto.repo.uploadBlob"), 0);
}

#[tokio::test]
async fn verify_reads_the_appview_then_falls_back_to_counting_records() {
    let s = setup().await;
    let n = network(&s.cfg);
    let info = n.verify().await.unwrap();
    assert_eq!(info.handle, format!("@{}", fake_bluesky::HANDLE));
    assert_eq!(info.post_count, Some(250));
    let url = format!("{}/2026/04/cafe-ete/", s.blog.base);
    for day in 1..=3 {
        post_text(&n, &format!("p{day} {url}"), &url, day)
            .await
            .unwrap();
    }
    s.fake.state.lock().unwrap().appview_up = false;
    let info = n.verify().await.unwrap();
    assert_eq!(info.post_count, Some(3), "counted on the PDS itself");
}

#[tokio::test]
async fn a_week_of_daemon_posts_from_an_international_feed_are_all_valid() {
    let s = setup().await;
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap();
    let archive = Archive::open(&s.cfg.state_dir).unwrap();
    encore::commands::refresh_archive(&s.cfg, &archive, t0).await;
    let mut d = Daemon::start(
        s.cfg.clone(),
        archive,
        vec![Box::new(network(&s.cfg))],
        false,
        t0,
    )
    .await
    .unwrap();
    let reports =
        support::tick_through(&mut d, t0, t0 + Duration::days(4), Duration::minutes(10)).await;
    let shared: Vec<_> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .collect();
    assert_eq!(shared.len(), 4, "{reports:#?}");
    let posts = s.fake.posts();
    assert_eq!(posts.len(), 4, "the four shareable articles, each once");
    for (_, record) in &posts {
        let text = record["text"].as_str().unwrap();
        assert!(text.graphemes(true).count() <= 300 && text.len() <= 3000);
        let slices = facet_slices(record);
        let link = slices
            .iter()
            .find(|(_, k, _)| k.ends_with("#link"))
            .expect("a link facet");
        assert_eq!(link.0, link.2, "the link facet covers the full URL");
        assert!(text.ends_with(&link.0));
        for (slice, kind, value) in &slices {
            if kind.ends_with("#tag") {
                assert_eq!(slice, &format!("#{value}"));
            }
        }
        assert!(
            slices.iter().any(|(_, k, _)| k.ends_with("#tag")),
            "hashtags from the categories are clickable: {text}"
        );
    }
    assert!(
        posts
            .iter()
            .any(|(_, r)| r["text"].as_str().unwrap().contains('…')),
        "the long emoji title was shortened to fit 300 graphemes"
    );
    assert!(d.archive().pending_intents().unwrap().is_empty());
}
