//! Telegram channels against a fake Bot API on 127.0.0.1: the text at 4,096 UTF-16 units, the
//! envelope's refusals, `retry_after`, and the rule that what may have been sent is never sent
//! again (a bot cannot read its channel back).

use crate::support;

use encore::{Config, Endpoint, NetworkKind, PostError, TelegramNetwork};
use support::fake_telegram::{self, telegram_length, FakeTelegram, Fault};
use support::more::{at_limit, message, over_limit, post, quick, URL};

fn config(dir: &std::path::Path, base: &str, token: &str, chat: &str) -> Config {
    support::more::one_account(
        dir,
        "tg",
        "telegram",
        &[("api_base", base), ("bot_token", token), ("chat", chat)],
    )
}

fn network(c: &Config) -> TelegramNetwork {
    let Endpoint::Telegram(t) = &c.accounts[0].endpoint else {
        panic!("not telegram")
    };
    TelegramNetwork::new("tg", t, std::time::Duration::from_secs(2))
        .unwrap()
        .with_retry(quick())
}

async fn setup() -> (FakeTelegram, TelegramNetwork, tempfile::TempDir) {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let n = network(&config(
        dir.path(),
        &fake.base,
        fake_telegram::TOKEN,
        fake_telegram::CHANNEL,
    ));
    (fake, n, dir)
}

#[tokio::test]
async fn a_message_at_4096_units_with_accents_cjk_and_emoji_goes_out_as_plain_text() {
    let (fake, n, _dir) = setup().await;
    let rule = NetworkKind::Telegram.length_rule();
    let text = at_limit(rule);
    let r = post(&n, "tg", &message(&text, &[])).await.unwrap();
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(r.post_id, sent[0].message_id.to_string());
    assert_eq!(sent[0].text, text, "sent verbatim, no entity parsing");
    assert_eq!(telegram_length(&text), 4096);
    assert_eq!(
        sent[0].preview_url.as_deref(),
        Some(URL),
        "the article is previewed"
    );
    // Characters HTML mode would choke on arrive as written.
    let tricky = format!("<b>R&D</b> *bold* _x_ {URL}");
    post(&n, "tg", &message(&tricky, &[])).await.unwrap();
    assert_eq!(fake.sent()[1].text, tricky);
    // One unit more is refused by the fake, as Telegram refuses it: the count agrees.
    let e = post(&n, "tg", &message(&over_limit(rule), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PostError::SkipArticle { ref reason } if reason.contains("too long")),
        "{e:?}"
    );
    assert_eq!(fake.sent().len(), 2);
}

#[tokio::test]
async fn an_api_failure_is_retried_but_a_lost_answer_or_a_gateway_error_is_never_resent() {
    let (fake, n, _dir) = setup().await;
    // The Bot API's own "ok": false: nothing was sent; retried.
    for _ in 0..2 {
        fake.push_fault(Fault::Status(
            500,
            r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#.into(),
        ));
    }
    post(&n, "tg", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap();
    assert_eq!(fake.sent().len(), 1);
    // A storm longer than the attempts: given up, nothing sent.
    for _ in 0..3 {
        fake.push_fault(Fault::Status(
            500,
            r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#.into(),
        ));
    }
    let e = post(&n, "tg", &message(&format!("Deux {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(matches!(e, PostError::Unavailable { .. }), "{e:?}");
    assert_eq!(fake.sent().len(), 1);
    // Sent, then the answer lost: unknown, not sent again.
    fake.push_fault(Fault::SendThenDrop);
    let e = post(&n, "tg", &message(&format!("Trois {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(matches!(e, PostError::Unknown { .. }), "{e:?}");
    assert_eq!(fake.sent().len(), 2, "one message, never a second");
    // A gateway's 502 (not the API's answer): may have been sent, so unknown as well.
    fake.push_fault(Fault::Status(502, "<html>Bad Gateway</html>".into()));
    let e = post(&n, "tg", &message(&format!("Quatre {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(matches!(e, PostError::Unknown { .. }), "{e:?}");
    assert_eq!(fake.state.lock().unwrap().requests, 2 + 3 + 1 + 1 + 1);
}

#[tokio::test]
async fn a_429_waits_retry_after_and_refusals_stop_the_account() {
    let (fake, n, dir) = setup().await;
    fake.push_fault(Fault::Status(
        429,
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}"#.into(),
    ));
    let before = chrono::Utc::now();
    let e = post(&n, "tg", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap_err();
    match e {
        PostError::RetryLater { until: Some(t), .. } => {
            let wait = (t - before).num_seconds();
            assert!((34..=37).contains(&wait), "{wait}");
        }
        other => panic!("{other:?}"),
    }
    fake.state.lock().unwrap().admin = false;
    let e = post(&n, "tg", &message(&format!("Deux {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PostError::StopAccount { ref reason } if reason.contains("administrator")),
        "{e:?}"
    );
    let wrong = network(&config(
        dir.path(),
        &fake.base,
        "7000001:Zq9secretXYZ",
        fake_telegram::CHANNEL,
    ));
    let e = post(&wrong, "tg", &message(&format!("Trois {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PostError::StopAccount { ref reason } if reason.contains("BotFather")),
        "{e:?}"
    );
    assert!(
        !format!("{e:?}").contains("Zq9secretXYZ"),
        "the token is not in the error: {e:?}"
    );
    let elsewhere = network(&config(
        dir.path(),
        &fake.base,
        fake_telegram::TOKEN,
        "@otherchannel",
    ));
    let e = post(&elsewhere, "tg", &message(&format!("Quatre {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(e, PostError::StopAccount { ref reason } if reason.contains("chat not found")),
        "{e:?}"
    );
    assert!(fake.sent().is_empty());
}

#[tokio::test]
async fn verify_names_the_channel_and_the_bot_and_gives_no_post_count() {
    let (_fake, n, _dir) = setup().await;
    use encore::Network;
    let info = n.verify().await.unwrap();
    assert_eq!(info.handle, "@blogchannel (bot @blog_encore_bot)");
    assert_eq!(info.post_count, None);
}

#[tokio::test]
async fn an_unreachable_api_is_named_without_the_token_in_its_url() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!("http://127.0.0.1:{}", support::free_port());
    let n = network(&config(
        dir.path(),
        &base,
        "7000001:Zq9secretXYZ",
        fake_telegram::CHANNEL,
    ));
    let e = post(&n, "tg", &message(&format!("Un {URL}"), &[]))
        .await
        .unwrap_err();
    assert!(matches!(e, PostError::Unavailable { .. }), "{e:?}");
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("connect"), "{shown}");
    assert!(
        !shown.contains("Zq9secretXYZ") && !shown.contains("/bot"),
        "{shown}"
    );
}
