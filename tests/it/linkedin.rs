//! LinkedIn against a fake Posts API on 127.0.0.1: the commentary at 3,000 units with every
//! reserved character escaped (LinkedIn would cut it, answering 201), hashtag templates, the
//! article share, its headers, the duplicate check standing in for a look-up after a lost
//! answer, 429 until midnight UTC, and a login that ends.

use crate::support;

use chrono::{Duration, Utc};
use encore::{
    Config, Endpoint, LinkedInNetwork, Network, NetworkKind, PostError, SessionStore, Tokens,
};
use support::fake_linkedin::{self, FakeLinkedIn, Fault};
use support::more::{at_limit, message, over_limit, post, quick, URL};

fn config(dir: &std::path::Path, base: &str) -> Config {
    let authorize = format!("{base}/oauth/v2/authorization");
    support::more::one_account(
        dir,
        "li",
        "linkedin",
        &[
            ("api_base", base),
            ("client_id", fake_linkedin::CLIENT_ID),
            ("client_secret", fake_linkedin::CLIENT_SECRET),
            ("authorize_url", &authorize),
        ],
    )
}

fn login(c: &Config, token: &str, ends_in: Duration) {
    SessionStore::new(&c.state_dir)
        .save(
            "li",
            &Tokens {
                access_token: token.into(),
                refresh_token: None,
                expires_at: Some(Utc::now() + ends_in),
                user_id: None,
                issued_for: None,
            },
        )
        .unwrap();
}

fn network(c: &Config) -> LinkedInNetwork {
    let Endpoint::LinkedIn(l) = &c.accounts[0].endpoint else {
        panic!("not linkedin")
    };
    LinkedInNetwork::new(
        "li",
        l,
        &SessionStore::new(&c.state_dir),
        std::time::Duration::from_secs(2),
    )
    .unwrap()
    .with_retry(quick())
}

async fn setup() -> (FakeLinkedIn, LinkedInNetwork, Config, tempfile::TempDir) {
    let fake = FakeLinkedIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), &fake.base);
    login(&c, fake_linkedin::TOKEN, Duration::days(59));
    let n = network(&c);
    (fake, n, c, dir)
}

#[tokio::test]
async fn a_commentary_at_3000_units_keeps_every_reserved_character_and_its_hashtag() {
    let (fake, n, _c, _dir) = setup().await;
    let rule = NetworkKind::LinkedIn.length_rule();
    let plain = at_limit(rule);
    let r = post(&n, "li", &message(&plain, &[])).await.unwrap();
    let shares = fake.shares();
    assert_eq!(shares.len(), 1);
    assert_eq!(r.post_id, shares[0].urn);
    assert_eq!(shares[0].kept, plain, "nothing cut");
    assert_eq!(shares[0].sent.encode_utf16().count(), 3000);
    assert_eq!(shares[0].article["source"], URL);
    let e = post(&n, "li", &message(&over_limit(rule), &[]))
        .await
        .unwrap_err();
    assert!(matches!(e, PostError::SkipArticle { .. }), "{e:?}");
    // Reserved characters and a hashtag: shown as written, the tag as LinkedIn's template.
    let text = format!("#Café (été) [1/2] a_b *x* ~y~ <z> @moi {{k}} | \\ {URL}");
    post(&n, "li", &message(&text, &["Café"])).await.unwrap();
    let s = &fake.shares()[1];
    assert_eq!(s.kept, text, "LinkedIn kept all of it: {}", s.sent);
    assert!(
        s.sent.starts_with("{hashtag|\\#|Café} \\(été\\)"),
        "{}",
        s.sent
    );
}

#[tokio::test]
async fn a_lost_answer_is_resent_once_and_the_duplicate_refusal_names_the_first_post() {
    let (fake, n, _c, _dir) = setup().await;
    fake.push_fault(Fault::PostThenDrop);
    let r = post(&n, "li", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap();
    let shares = fake.shares();
    assert_eq!(shares.len(), 1, "one post");
    assert_eq!(r.post_id, shares[0].urn, "the receipt is the first post");
    // Outside a lost answer, the same text again is a duplicate (counts as shared, never retried).
    let e = post(&n, "li", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(matches!(e, PostError::Duplicate { .. }), "{e:?}");
    // A 5xx storm: retried, then given up; one post when it ends in time.
    fake.push_fault(Fault::Status(503));
    fake.push_fault(Fault::Status(500));
    post(&n, "li", &message(&format!("Deux {URL}"), &[]))
        .await
        .unwrap();
    for _ in 0..3 {
        fake.push_fault(Fault::Status(502));
    }
    let e = post(&n, "li", &message(&format!("Trois {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PostError::Unknown { .. }),
        "a 5xx may have landed and nothing can look: {e:?}"
    );
    assert_eq!(fake.shares().len(), 2);
}

#[tokio::test]
async fn a_429_waits_for_midnight_utc_and_an_expired_login_stops_the_account() {
    let (fake, n, c, _dir) = setup().await;
    fake.push_fault(Fault::Status(429));
    let e = post(&n, "li", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap_err();
    let midnight = (Utc::now().date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    assert_eq!(e, PostError::RetryLater {
        reason: "HTTP 429 TOO_MANY_REQUESTS: Resource level throttle APPLICATION DAY limit for calls to this resource is reached.: daily limit reached".into(),
        until: Some(midnight),
    });
    // LinkedIn no longer takes the token.
    fake.state.lock().unwrap().token = "another".into();
    let e = post(&n, "li", &message(&format!("Deux {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PostError::StopAccount { ref reason } if reason.contains("encore auth linkedin --account li")),
        "{e:?}"
    );
    assert!(fake.shares().is_empty());
    // A login ending in 3 days: renew says when (no refresh token: nothing to renew with).
    login(&c, fake_linkedin::TOKEN, Duration::days(3));
    let ends = network(&c).renew().await.unwrap().unwrap();
    assert!((ends - Utc::now() - Duration::days(3)).num_seconds().abs() < 5);
}

#[test]
fn status_counts_the_days_left_and_warns_in_the_last_week() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), "http://127.0.0.1:9");
    let cfg = dir.path().join("encore.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"state_dir = {state:?}
[feed]
url = {feed:?}
[[account]]
name = "li"
network = "linkedin"
client_id = "id"
client_secret = "env:LI_SECRET"
"#,
            state = dir.path().display().to_string(),
            feed = support::fixture("intl.xml").display().to_string()
        ),
    )
    .unwrap();
    let status = || {
        let out = assert_cmd::Command::cargo_bin("encore")
            .unwrap()
            .args(["--config", cfg.to_str().unwrap(), "status"])
            .env("LI_SECRET", "s")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    };
    let out = status();
    assert!(
        out.contains("login     WARNING: not logged in to LinkedIn yet: run `encore auth linkedin --account li`"),
        "{out}"
    );
    login(&c, "t", Duration::days(40) + Duration::hours(1));
    let out = status();
    assert!(out.contains("login     valid until"), "{out}");
    assert!(out.contains("(40 days)"), "{out}");
    login(&c, "t", Duration::days(5) + Duration::hours(1));
    let out = status();
    assert!(
        out.contains("login     WARNING: the LinkedIn login ends on"),
        "{out}"
    );
    assert!(
        out.contains("(in 5 days): run `encore auth linkedin --account li`"),
        "{out}"
    );
}

#[tokio::test]
async fn a_login_stored_while_the_network_runs_is_taken_up_at_the_next_renewal() {
    let (fake, n, c, _dir) = setup().await;
    fake.state.lock().unwrap().token = "renewed".into();
    let e = post(&n, "li", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(matches!(e, PostError::StopAccount { .. }), "{e:?}");
    // `encore auth linkedin` stores the new login; the running network takes it up.
    login(&c, "renewed", Duration::days(60));
    let ends = n.renew().await.unwrap().unwrap();
    assert!(ends - Utc::now() > Duration::days(59));
    post(&n, "li", &message(&format!("Deux {URL}"), &[]))
        .await
        .unwrap();
    assert_eq!(fake.shares().len(), 1);
}

#[tokio::test]
async fn the_card_carries_the_pages_title_description_and_picture_uploaded_to_linkedin() {
    let (fake, n, _c, _dir) = setup().await;
    let blog = support::Blog::start().await;
    let url = format!("{}/2026/04/cafe/", blog.base);
    let share_page = |words: &str| {
        let m = message(&format!("{words} {url}"), &[]);
        let n = &n;
        let url = url.clone();
        async move {
            n.post(encore::Outgoing {
                account: "li",
                pages: support::pages(),
                url: &url,
                article_key: "k",
                title: "Feed title",
                slot: Utc::now(),
                message: &m,
            })
            .await
            .unwrap()
        }
    };
    share_page("Café").await;
    let share = &fake.shares()[0];
    assert_eq!(share.article["title"], "Page title for /2026/04/cafe/");
    assert_eq!(
        share.article["description"],
        "Une description avec des accents & un emoji 🎉"
    );
    let thumb = share.article["thumbnail"].as_str().unwrap();
    let stored = fake.state.lock().unwrap().images[thumb].clone().unwrap();
    assert!(
        stored.starts_with(b"\x89PNG"),
        "the page's og:image was uploaded"
    );
    // A picture too big for a card: the post goes without one.
    blog.big.store(true, std::sync::atomic::Ordering::SeqCst);
    share_page("Deux").await;
    assert!(fake.shares()[1].article.get("thumbnail").is_none());
}
