//! Mastodon against a fake instance on 127.0.0.1: the token, the body, the instance's own
//! limit, Idempotency-Key replay through dropped answers, and every refusal's meaning.

use crate::support;

use chrono::{Duration, TimeZone, Utc};
use encore::Daemon;
use encore::LengthRule;
use encore::MastodonNetwork;
use encore::Message;
use encore::RetryPolicy;
use encore::{Archive, Outcome};
use encore::{Config, Endpoint, MastodonSettings};
use encore::{Network, Outgoing, PostError};
use std::path::Path;
use support::fake_mastodon::{self, mastodon_length, FakeMastodon, Fault};

fn account(base: &str, extra: &str) -> String {
    format!(
        r#"
[[account]]
name = "blog-masto"
network = "mastodon"
instance = "{base}"
access_token = "{token}"
visibility = "unlisted"
language = "fr"
{extra}
"#,
        token = fake_mastodon::TOKEN
    )
}

fn cfg(dir: &Path, fake: &FakeMastodon, extra: &str) -> Config {
    let feed = support::fixture("intl.xml");
    support::config(dir, &feed, 1.0, &account(&fake.base, extra))
}

fn settings(c: &Config) -> MastodonSettings {
    match &c.accounts[0].endpoint {
        Endpoint::Mastodon(m) => (**m).clone(),
        other => panic!("{other:?}"),
    }
}

fn network(c: &Config) -> MastodonNetwork {
    MastodonNetwork::new(
        "blog-masto",
        &settings(c),
        std::time::Duration::from_secs(2),
    )
    .unwrap()
    .with_retry(RetryPolicy {
        attempts: 3,
        base_delay: std::time::Duration::from_millis(20),
    })
}

fn message(text: &str, url: &str) -> Message {
    Message {
        text: text.into(),
        length: 0,
        limit: 500,
        url: url.into(),
        hashtags: vec![],
        variant: (1, 1),
        title: String::new(),
        title_pick: encore::TitlePick::Original,
        why: String::new(),
    }
}

const URL: &str = "https://blog.example.org/2026/04/cafe-ete/";

async fn post(n: &MastodonNetwork, text: &str) -> Result<encore::Receipt, PostError> {
    let m = message(text, URL);
    n.post(Outgoing {
        account: "blog-masto",
        pages: support::pages(),
        url: URL,
        article_key: "blog.example.org/2026/04/cafe-ete",
        title: "Café",
        slot: Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
        message: &m,
    })
    .await
}

#[tokio::test]
async fn a_status_carries_the_token_json_visibility_language_and_its_key() {
    let fake = FakeMastodon::start().await;
    let dir = tempfile::tempdir().unwrap();
    let n = network(&cfg(dir.path(), &fake, ""));
    let text = format!("#Café #日本語 Café ☕ et croissants 🥐 {URL}");
    let r = post(&n, &text).await.unwrap();
    let statuses = fake.statuses();
    assert_eq!(statuses.len(), 1);
    let s = &statuses[0];
    assert_eq!(r.post_id, s.id);
    assert_eq!(s.text, text, "sent verbatim");
    assert_eq!(s.visibility, "unlisted");
    assert_eq!(s.language.as_deref(), Some("fr"));
    let slot = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    assert_eq!(
        s.idempotency_key.as_deref(),
        Some(
            encore::internals::mastodon_idempotency_key(
                "blog-masto",
                "blog.example.org/2026/04/cafe-ete",
                slot
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn a_dropped_answer_is_retried_with_the_same_key_and_no_second_status() {
    let fake = FakeMastodon::start().await;
    let dir = tempfile::tempdir().unwrap();
    let n = network(&cfg(dir.path(), &fake, ""));
    fake.push_fault(Fault::CreateThenDrop);
    let r = post(&n, &format!("Un titre {URL}")).await.unwrap();
    let statuses = fake.statuses();
    assert_eq!(statuses.len(), 1, "the replay returned the first status");
    assert_eq!(r.post_id, statuses[0].id);
    let keys = fake.post_keys();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys[0].is_some() && keys[0] == keys[1], "{keys:?}");

    // 5xx twice, then the instance answers: still one status per post.
    fake.push_fault(Fault::Status(502));
    fake.push_fault(Fault::Status(503));
    let m = message(&format!("Autre {URL}"), URL);
    let r2 = n
        .post(Outgoing {
            account: "blog-masto",
            pages: support::pages(),
            url: URL,
            article_key: "other",
            title: "Autre",
            slot: Utc.with_ymd_and_hms(2026, 6, 2, 9, 0, 0).unwrap(),
            message: &m,
        })
        .await
        .unwrap();
    assert_eq!(fake.statuses().len(), 2);
    assert_ne!(r2.post_id, r.post_id);
}

#[tokio::test]
async fn refusals_map_to_their_meaning() {
    let fake = FakeMastodon::start().await;
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path(), &fake, "");

    // A revoked token stops the account.
    let mut bad = settings(&c);
    bad.access_token = encore::internals::SecretRef::parse("not-the-token");
    let n = MastodonNetwork::new("blog-masto", &bad, std::time::Duration::from_secs(2)).unwrap();
    let e = post(&n, &format!("x {URL}")).await.unwrap_err();
    assert!(
        matches!(&e, PostError::StopAccount { reason } if reason.contains("The access token is invalid")),
        "{e:?}"
    );

    // Too long for this instance: the article is skipped with the instance's words.
    let n = network(&c);
    fake.set_limits(30, 23);
    let e = post(&n, &format!("Un titre beaucoup trop long {URL}"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, PostError::SkipArticle { reason } if reason.contains("character limit of 30")),
        "{e:?}"
    );
    fake.set_limits(500, 23);

    // Rate limited: paused until the ISO 8601 reset.
    let reset = fake.state.lock().unwrap().rate_reset;
    fake.state.lock().unwrap().rate_limit = Some(0);
    let e = post(&n, &format!("Encore {URL}")).await.unwrap_err();
    match e {
        PostError::RetryLater { until: Some(t), .. } => {
            assert_eq!(t.timestamp(), reset.timestamp(), "ISO 8601, not epoch")
        }
        other => panic!("{other:?}"),
    }
    assert!(fake.statuses().is_empty(), "nothing was posted");
    fake.state.lock().unwrap().rate_limit = None;

    // The instance fails every attempt, and the account shows no such status: slot given up.
    for _ in 0..3 {
        fake.push_fault(Fault::Status(503));
    }
    let e = post(&n, &format!("Encore {URL}")).await.unwrap_err();
    assert!(
        matches!(&e, PostError::Unavailable { reason } if reason.contains("after 3 attempts")),
        "{e:?}"
    );
    assert!(fake.statuses().is_empty());
}

#[tokio::test]
async fn verify_and_reconcile_read_the_account() {
    let fake = FakeMastodon::start().await;
    let dir = tempfile::tempdir().unwrap();
    let n = network(&cfg(dir.path(), &fake, ""));
    let host = url::Url::parse(&fake.base).unwrap();
    let info = n.verify().await.unwrap();
    assert_eq!(
        info.handle,
        format!("@{}@{}", fake_mastodon::USERNAME, host.host_str().unwrap())
    );
    assert_eq!(info.post_count, Some(4000));

    let url = format!("{URL}?utm_source=mastodon&utm_medium=social");
    let m = message(&format!("Titre {url}"), &url);
    let slot = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let r = n
        .post(Outgoing {
            account: "blog-masto",
            pages: support::pages(),
            url: &url,
            article_key: "k",
            title: "Titre",
            slot,
            message: &m,
        })
        .await
        .unwrap();
    assert_eq!(n.verify().await.unwrap().post_count, Some(4001));
    let intent = encore::Intent {
        account: "blog-masto".into(),
        article_key: "k".into(),
        url: url.clone(),
        slot,
        text: m.text.clone(),
        created: Utc::now() - Duration::minutes(1),
        words: None,
    };
    let found = n.reconcile(&intent).await.unwrap();
    assert_eq!(
        found.map(|f| f.post_id),
        Some(r.post_id),
        "found by the link in the status HTML"
    );
    let other = encore::Intent {
        url: "https://blog.example.org/never-posted/".into(),
        ..intent
    };
    assert_eq!(n.reconcile(&other).await.unwrap(), None);
}

#[tokio::test]
async fn a_20_character_instance_gets_20_character_statuses() {
    let fake = FakeMastodon::start().await;
    fake.set_limits(20, 8);
    let dir = tempfile::tempdir().unwrap();
    let c = cfg(dir.path(), &fake, "");
    let networks: Vec<Box<dyn Network>> = vec![Box::new(network(&c))];
    let rules = encore::read_length_rules(&c, &networks).await;
    assert_eq!(
        rules[0],
        LengthRule::Graphemes {
            max: 20,
            url_len: Some(8)
        }
    );
    // Kept for preview, which never goes online.
    assert_eq!(
        encore::internals::cached_length_rule(dir.path(), "blog-masto"),
        Some(rules[0])
    );
    // The daemon asks again at start and holds the answer in the account's lane.

    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap();
    let archive = Archive::open(&c.state_dir).unwrap();
    encore::commands::refresh_archive(&c, &archive, t0).await;
    let mut d = Daemon::start(c.clone(), archive, networks, false, t0)
        .await
        .unwrap();
    let reports =
        support::tick_through(&mut d, t0, t0 + Duration::days(3), Duration::minutes(10)).await;
    let shared = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .count();
    assert_eq!(shared, 3, "{reports:#?}");
    let statuses = fake.statuses();
    assert_eq!(statuses.len(), 3);
    for s in &statuses {
        assert!(mastodon_length(&s.text, 8) <= 20, "{:?}", s.text);
        let link = s.text.rsplit(' ').next().unwrap();
        assert!(
            link.starts_with("https://blog.example.org/20") && link.ends_with('/'),
            "the link is never cut: {:?}",
            s.text
        );
    }
}
