//! What the Threads, LinkedIn and Telegram suites share: a message, the post of it, and a text
//! exactly at a network's limit in accents, CJK and emoji.

use chrono::{TimeZone, Utc};
use encore::{LengthRule, Message, Network, Outgoing, PostError, Receipt, RetryPolicy};

pub const URL: &str = "https://blog.example.org/2026/04/cafe-ete/";
pub const KEY: &str = "blog.example.org/2026/04/cafe-ete";

/// A config in `dir` on `tests/fixtures/intl.xml` with one account `name` on `network`, the
/// other keys given as `key = "value"` lines.
pub fn one_account(
    dir: &std::path::Path,
    name: &str,
    network: &str,
    keys: &[(&str, &str)],
) -> encore::Config {
    let mut account = format!("[[account]]\nname = {name:?}\nnetwork = {network:?}\n");
    for (k, v) in keys {
        account.push_str(&format!("{k} = {v:?}\n"));
    }
    super::config(dir, &super::fixture("intl.xml"), 1.0, &account)
}

/// Short waits between attempts.
pub fn quick() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: std::time::Duration::from_millis(20),
    }
}

pub fn message(text: &str, hashtags: &[&str]) -> Message {
    Message {
        text: text.into(),
        length: 0,
        limit: 0,
        url: URL.into(),
        hashtags: hashtags.iter().map(|h| h.to_string()).collect(),
        variant: (1, 1),
        title: "Café d'été".into(),
        title_pick: encore::TitlePick::Original,
        why: String::new(),
    }
}

/// Posts `m` as account `account` for the slot of 2026-06-01 09:00 UTC.
pub async fn post(n: &dyn Network, account: &str, m: &Message) -> Result<Receipt, PostError> {
    n.post(Outgoing {
        account,
        pages: super::pages(),
        url: URL,
        article_key: KEY,
        title: "Café d'été",
        slot: Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
        message: m,
    })
    .await
}

/// A text ending with the link whose length, as `rule` counts it, is exactly its limit: "Été",
/// then accents, CJK and emoji in turn, filled up with ASCII.
pub fn at_limit(rule: LengthRule) -> String {
    let max = rule.max();
    let mut body = String::from("Été à Kyōto");
    for piece in [" é", "日本", "👍", "🇫🇷", "ü"].iter().cycle() {
        if rule.count(&format!("{body}{piece} {URL}")) <= max {
            body.push_str(piece);
        } else if rule.count(&format!("{body}a {URL}")) <= max {
            body.push('a');
        } else {
            break;
        }
    }
    let text = format!("{body} {URL}");
    assert_eq!(rule.count(&text), max, "{text}");
    text
}

/// One character past the limit.
pub fn over_limit(rule: LengthRule) -> String {
    let text = at_limit(rule);
    let (body, _) = text.rsplit_once(' ').unwrap();
    let over = format!("{body}a {URL}");
    assert_eq!(rule.count(&over), rule.max() + 1);
    over
}
