//! X against a fake X API on 127.0.0.1: every answer leads to the documented behaviour, and
//! no sequence of failures produces a duplicate post or a lost slot.

use crate::support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use encore::Message;
use encore::{Archive, Outcome};
use encore::{Config, Endpoint, XSettings};
use encore::{Daemon, SlotReport};
use encore::{Network, Outgoing, PostError};
use encore::{RetryPolicy, XNetwork};
use encore::{SessionStore, Tokens};
use std::path::Path;
use support::fake_x::{self, FakeX, Fault};

const OAUTH1: &str = r#"
consumer_key = "fake-consumer-key"
consumer_secret = "fake-consumer-secret"
access_token = "123-fake-token"
access_token_secret = "fake-token-secret"
"#;

fn config(state: &Path, base: &str, account_extra: &str, per_day: f64) -> Config {
    support::config(
        state,
        &support::fixture("span.xml"),
        per_day,
        &format!("[[account]]\nname = \"blog-x\"\nnetwork = \"x\"\napi_base = \"{base}\"\n{account_extra}"),
    )
}

fn settings(c: &Config) -> XSettings {
    match &c.accounts[0].endpoint {
        Endpoint::X(x) => (**x).clone(),
        other => panic!("{other:?}"),
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: std::time::Duration::from_millis(20),
    }
}

async fn oauth1_network(fake: &FakeX, dir: &Path) -> XNetwork {
    let c = config(dir, &fake.base, OAUTH1, 1.0);
    XNetwork::new(
        "blog-x",
        &settings(&c),
        &SessionStore::new(dir),
        std::time::Duration::from_secs(2),
    )
    .unwrap()
    .with_retry(fast())
}

fn message(text: &str, url: &str) -> Message {
    Message {
        text: text.to_string(),
        length: 0,
        limit: 280,
        url: url.to_string(),
        hashtags: vec![],
        variant: (1, 1),
        title: String::new(),
        title_pick: encore::TitlePick::Original,
        why: String::new(),
    }
}

async fn post(n: &XNetwork, text: &str, url: &str) -> Result<encore::Receipt, PostError> {
    let m = message(text, url);
    n.post(Outgoing {
        account: "blog-x",
        pages: support::pages(),
        url,
        article_key: url,
        title: "A title",
        slot: Utc::now(),
        message: &m,
    })
    .await
}

#[tokio::test]
async fn oauth1_signed_post_is_accepted_and_its_id_kept() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let n = oauth1_network(&fake, dir.path()).await;
    let r = post(
        &n,
        "Café ☕ #Rust https://blog.example.org/a",
        "https://blog.example.org/a",
    )
    .await
    .unwrap();
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(r.post_id, posts[0].id);
    assert_eq!(posts[0].text, "Café ☕ #Rust https://blog.example.org/a");
    let info = n.verify().await.unwrap();
    assert_eq!(info.handle, format!("@{}", fake_x::USERNAME));
    assert_eq!(info.post_count, Some(1001));
}

#[tokio::test]
async fn the_fake_rejects_what_x_rejects_wrong_secret_reused_nonce_stale_timestamp() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    // Wrong secret: X answers 401, the account stops.
    let c = config(
        dir.path(),
        &fake.base,
        &OAUTH1.replace("fake-token-secret", "not-the-secret"),
        1.0,
    );
    let n = XNetwork::new(
        "blog-x",
        &settings(&c),
        &SessionStore::new(dir.path()),
        std::time::Duration::from_secs(2),
    )
    .unwrap();
    match post(
        &n,
        "hello https://blog.example.org/a",
        "https://blog.example.org/a",
    )
    .await
    {
        Err(PostError::StopAccount { reason }) => assert!(reason.contains("401"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(fake.posts().is_empty());

    // A replayed header (same nonce) and a stale timestamp are refused even with the right keys.
    let creds = encore::internals::oauth1::Credentials {
        consumer_key: fake_x::CONSUMER_KEY,
        consumer_secret: fake_x::CONSUMER_SECRET,
        token: fake_x::TOKEN,
        token_secret: fake_x::TOKEN_SECRET,
    };
    let url = url::Url::parse(&format!(
        "{}/2/users/me?user.fields=public_metrics",
        fake.base
    ))
    .unwrap();
    let http = reqwest::Client::new();
    let fresh = encore::internals::oauth1::authorization(
        "GET",
        &url,
        &creds,
        "nonce-1",
        Utc::now().timestamp(),
    );
    let send = |h: String| http.get(url.clone()).header("authorization", h).send();
    assert_eq!(send(fresh.clone()).await.unwrap().status(), 200);
    assert_eq!(send(fresh).await.unwrap().status(), 401, "reused nonce");
    let stale = encore::internals::oauth1::authorization(
        "GET",
        &url,
        &creds,
        "nonce-2",
        Utc::now().timestamp() - 3600,
    );
    assert_eq!(send(stale).await.unwrap().status(), 401, "stale timestamp");
    let other_url =
        url::Url::parse(&format!("{}/2/users/me?user.fields=created_at", fake.base)).unwrap();
    let wrong_query = encore::internals::oauth1::authorization(
        "GET",
        &other_url,
        &creds,
        "nonce-3",
        Utc::now().timestamp(),
    );
    assert_eq!(
        send(wrong_query).await.unwrap().status(),
        401,
        "query is signed"
    );
}

#[tokio::test]
async fn every_refusal_maps_to_its_meaning() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let n = oauth1_network(&fake, dir.path()).await;
    let url = "https://blog.example.org/a";

    // Over 280 weighted characters (CJK weighs 2): 400, skip the article.
    let long = format!("{} {url}", "日本語".repeat(50));
    assert!(matches!(
        post(&n, &long, url).await,
        Err(PostError::SkipArticle { .. })
    ));

    // Same text twice: 403 duplicate, never retried.
    let text = format!("À relire : Ünïcödé 🎉 {url}");
    post(&n, &text, url).await.unwrap();
    assert!(matches!(
        post(&n, &text, url).await,
        Err(PostError::Duplicate { .. })
    ));

    // Rate limit: 429 with the reset time from x-rate-limit-reset.
    let reset = Utc::now().timestamp() + 900;
    {
        let mut s = fake.state.lock().unwrap();
        s.rate_limit = Some(1);
        s.rate_reset = reset;
    }
    match post(&n, &format!("other {url}"), url).await {
        Err(PostError::RetryLater { until, .. }) => assert_eq!(until.unwrap().timestamp(), reset),
        other => panic!("{other:?}"),
    }
    fake.state.lock().unwrap().rate_limit = None;

    // Out of credits: 402 stops the account.
    fake.state.lock().unwrap().out_of_credits = true;
    match post(&n, &format!("third {url}"), url).await {
        Err(PostError::StopAccount { reason }) => assert!(reason.contains("credits"), "{reason}"),
        other => panic!("{other:?}"),
    }
    fake.state.lock().unwrap().out_of_credits = false;
    assert_eq!(fake.posts().len(), 1, "only the first post exists");
}

#[tokio::test]
async fn server_errors_are_retried_and_a_dropped_answer_is_reconciled_not_reposted() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let n = oauth1_network(&fake, dir.path()).await;

    // Two 503s, then success: one post.
    fake.push_fault(Fault::Status(503));
    fake.push_fault(Fault::Status(503));
    let r = post(
        &n,
        "retry https://blog.example.org/a",
        "https://blog.example.org/a",
    )
    .await
    .unwrap();
    assert_eq!(fake.posts().len(), 1);
    assert_eq!(r.post_id, fake.posts()[0].id);

    // X posts, then the connection drops before the answer: the retry finds the post on the
    // account (by the expanded link) and does not post again.
    fake.push_fault(Fault::PostThenDrop);
    let r = post(
        &n,
        "dropped https://blog.example.org/b?utm_source=x",
        "https://blog.example.org/b?utm_source=x",
    )
    .await
    .unwrap();
    let posts = fake.posts();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(r.post_id, posts[1].id);
    let tweets_reads = fake
        .state
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|(m, p, _)| m == "GET" && p.contains("/tweets"))
        .count();
    assert!(tweets_reads >= 1);

    // Dropped without posting: reconcile finds nothing, the retry posts once.
    fake.push_fault(Fault::Drop);
    post(
        &n,
        "lost https://blog.example.org/c",
        "https://blog.example.org/c",
    )
    .await
    .unwrap();
    assert_eq!(fake.posts().len(), 3);

    // 503 on every attempt: the slot is given up, nothing posted.
    for _ in 0..3 {
        fake.push_fault(Fault::Status(503));
    }
    match post(
        &n,
        "down https://blog.example.org/d",
        "https://blog.example.org/d",
    )
    .await
    {
        Err(PostError::Unavailable { reason }) => assert!(reason.contains("503"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.posts().len(), 3);
}

#[tokio::test]
async fn oauth2_tokens_are_refreshed_before_expiry_and_rotation_is_saved() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        &fake.base,
        &format!("auth = \"oauth2\"\nclient_id = \"{}\"", fake_x::CLIENT_ID),
        1.0,
    );
    let store = SessionStore::new(dir.path());
    // No login yet: a clear error naming the command to run.
    let err = XNetwork::new(
        "blog-x",
        &settings(&c),
        &store,
        std::time::Duration::from_secs(2),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("encore auth x --account blog-x"), "{err}");

    let (access, refresh) = fake.issue_tokens();
    store
        .save(
            "blog-x",
            &Tokens {
                access_token: access.clone(),
                refresh_token: Some(refresh.clone()),
                // About to expire: renewed before use.
                expires_at: Some(Utc::now() + Duration::minutes(1)),
                user_id: None,
                issued_for: None,
            },
        )
        .unwrap();
    let n = XNetwork::new(
        "blog-x",
        &settings(&c),
        &store,
        std::time::Duration::from_secs(2),
    )
    .unwrap()
    .with_retry(fast());
    post(
        &n,
        "oauth2 https://blog.example.org/a",
        "https://blog.example.org/a",
    )
    .await
    .unwrap();
    let saved = store.load("blog-x").unwrap().unwrap();
    assert_ne!(
        saved.refresh_token.as_deref(),
        Some(refresh.as_str()),
        "rotated"
    );
    assert_ne!(saved.access_token, access);
    assert!(saved.expires_at.unwrap() > Utc::now() + Duration::minutes(100));

    // Revoked access token (no expiry known): the 401 triggers one refresh, then the post.
    fake.expire_access_tokens();
    post(
        &n,
        "after revoke https://blog.example.org/b",
        "https://blog.example.org/b",
    )
    .await
    .unwrap();
    assert_eq!(fake.posts().len(), 2);
    let newest = store.load("blog-x").unwrap().unwrap();
    assert_ne!(newest.refresh_token, saved.refresh_token);

    // The stored refresh token is refused too (revoked app): the account stops, loudly.
    fake.expire_access_tokens();
    fake.state.lock().unwrap().refresh_tokens.clear();
    match post(
        &n,
        "no way https://blog.example.org/c",
        "https://blog.example.org/c",
    )
    .await
    {
        Err(PostError::StopAccount { reason }) => {
            assert!(reason.contains("encore auth x"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap()
}

async fn daemon_for(cfg: &Config, fake: &FakeX) -> Daemon {
    let a = Archive::open(&cfg.state_dir).unwrap();
    encore::commands::refresh_archive(cfg, &a, t0()).await;
    let n = XNetwork::new(
        "blog-x",
        &settings(cfg),
        &SessionStore::new(&cfg.state_dir),
        std::time::Duration::from_secs(2),
    )
    .unwrap()
    .with_retry(fast());
    let _ = fake;
    Daemon::start(cfg.clone(), a, vec![Box::new(n)], false, t0())
        .await
        .unwrap()
}

/// Ticks every 5 minutes over `[from, until)`.
async fn tick_through(
    d: &mut Daemon,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<SlotReport> {
    support::tick_through(d, from, until, Duration::minutes(5)).await
}

#[tokio::test]
async fn a_simulated_week_against_the_fake_posts_every_slot_once_through_faults() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake.base, OAUTH1, 1.0);
    let mut d = daemon_for(&cfg, &fake).await;
    // Faults scattered over the week: each is absorbed by retry or reconcile.
    fake.push_fault(Fault::Status(503));
    fake.push_fault(Fault::PostThenDrop);
    let r1 = tick_through(&mut d, t0(), t0() + Duration::days(3)).await;
    fake.push_fault(Fault::Drop);
    fake.push_fault(Fault::Status(502));
    let r2 = tick_through(&mut d, t0() + Duration::days(3), t0() + Duration::days(7)).await;
    let reports: Vec<_> = r1.into_iter().chain(r2).collect();
    let shared: Vec<_> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .collect();
    assert_eq!(shared.len(), 7, "one a day: {reports:#?}");
    let posts = fake.posts();
    assert_eq!(posts.len(), 7, "one post per slot, no double");
    let mut ids: Vec<_> = shared.iter().map(|r| r.post_id.clone().unwrap()).collect();
    ids.sort();
    let mut fake_ids: Vec<_> = posts.iter().map(|p| p.id.clone()).collect();
    fake_ids.sort();
    assert_eq!(ids, fake_ids, "every recorded id is a real post");
    for p in &posts {
        assert!(encore::x_weighted_length(&p.text) <= 280);
    }
    let history = d.archive().history("blog-x").unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|r| r.outcome == Outcome::Shared)
            .count(),
        7
    );
    assert!(d.archive().pending_intents().unwrap().is_empty());
}

#[tokio::test]
async fn a_rate_limited_slot_moves_past_the_reset_and_survives_a_restart() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake.base, OAUTH1, 1.0);
    let mut d = daemon_for(&cfg, &fake).await;
    let slot = d.next_slot(&cfg.accounts[0].name, t0()).unwrap();
    // X's reset header is an epoch; here it is set on the test's clock, 2 hours after the slot.
    let reset = slot + Duration::hours(2);
    {
        let mut s = fake.state.lock().unwrap();
        s.rate_limit = Some(0);
        s.rate_reset = reset.timestamp();
    }
    let reports = tick_through(&mut d, t0(), slot + Duration::minutes(10)).await;
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert_eq!(reports[0].outcome, Outcome::Deferred);
    assert!(reports[0].detail.contains("429"), "{}", reports[0].detail);
    assert!(fake.posts().is_empty());
    // Nothing in the history: the slot is open, not failed.
    assert!(d.archive().history("blog-x").unwrap().is_empty());
    assert!(d.archive().pending_intents().unwrap().is_empty());

    // Restart while paused: the moved slot and the pause are remembered.
    drop(d);
    let posts_tried = || {
        fake.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|(m, p, _)| m == "POST" && p == "/2/tweets")
            .count()
    };
    let tried = posts_tried();
    let mut d = daemon_for(&cfg, &fake).await;
    let during = tick_through(
        &mut d,
        slot + Duration::minutes(10),
        reset - Duration::minutes(5),
    )
    .await;
    assert!(during.is_empty(), "{during:#?}");
    assert_eq!(posts_tried(), tried, "no call to X during the pause");
    fake.state.lock().unwrap().rate_limit = None;
    let after = tick_through(
        &mut d,
        reset - Duration::minutes(5),
        reset + Duration::hours(1),
    )
    .await;
    let posted: Vec<_> = after
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .collect();
    assert_eq!(posted.len(), 1, "{after:#?}");
    assert_eq!(posted[0].slot, slot, "the same slot, moved, not lost");
    assert_eq!(fake.posts().len(), 1);
    let h = d.archive().history("blog-x").unwrap();
    assert_eq!(h.len(), 1);
    assert!(h[0].at >= reset, "posted after the reset");
}

#[tokio::test]
async fn the_monthly_budget_pauses_the_account_until_next_month() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &fake.base,
        &format!("{OAUTH1}monthly_budget_usd = 0.5\ncost_per_post_usd = 0.2\n"),
        1.0,
    );
    let mut d = daemon_for(&cfg, &fake).await;
    let reports = tick_through(&mut d, t0(), t0() + Duration::days(4)).await;
    let shared = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .count();
    assert_eq!(
        shared, 2,
        "$0.40 spent; a third post would reach $0.60 > $0.50"
    );
    let skipped: Vec<_> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped)
        .collect();
    assert!(!skipped.is_empty());
    assert!(
        skipped
            .iter()
            .all(|r| r.detail.contains("budget") || r.detail.contains("paused")),
        "{skipped:#?}"
    );
    assert_eq!(fake.posts().len(), 2);
}

#[tokio::test]
async fn a_week_long_5xx_storm_posts_nothing_records_failures_and_does_not_flood_the_log() {
    let (logs, _guard) = support::Captured::install();

    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &fake.base, OAUTH1, 1.0);
    for _ in 0..10_000 {
        fake.push_fault(Fault::Status(503));
    }
    let mut d = daemon_for(&cfg, &fake).await;
    let before = logs.len();
    let reports = tick_through(&mut d, t0(), t0() + Duration::days(7)).await;
    assert_eq!(reports.len(), 7, "{reports:#?}");
    assert!(
        reports.iter().all(|r| r.outcome == Outcome::Failed),
        "{reports:#?}"
    );
    assert!(fake.posts().is_empty());
    assert!(
        d.archive()
            .share_log("blog-x")
            .unwrap()
            .lasts()
            .clone()
            .is_empty(),
        "a failure is never a share"
    );
    let text = logs.since(before);
    let lines = text.lines().count();
    println!("5xx storm: 7 slots failed, {lines} log lines");
    assert!(
        lines <= 7 * 3,
        "a failed slot says so in a few lines, not one per retry storm: {lines}\n{text}"
    );
}
