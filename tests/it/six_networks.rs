//! Threads, LinkedIn and Telegram beside the first three, as an admin meets them: `check`
//! names each one's set-up, a key meant for another network or a wrong value is refused with
//! FILE:LINE:COL and exit 78, and `preview` says how each network counts a message's length.

use crate::support;

fn write(dir: &std::path::Path, accounts: &str) -> std::path::PathBuf {
    let path = dir.join("encore.toml");
    std::fs::write(
        &path,
        format!(
            r#"timezone = "Europe/Paris"
state_dir = {state:?}
[feed]
url = {feed:?}
[select]
min_age_days = 0
max_age_days = 4000
check_link = false
{accounts}"#,
            state = dir.join("state").display().to_string(),
            feed = support::fixture("intl.xml").display().to_string()
        ),
    )
    .unwrap();
    path
}

const THREE: &str = r#"
[[account]]
name = "th"
network = "threads"
access_token = "env:TH_TOKEN"

[[account]]
name = "li"
network = "linkedin"
client_id = "86abc"
client_secret = "env:LI_SECRET"
author = "urn:li:organization:2414183"

[[account]]
name = "tg"
network = "telegram"
bot_token = "env:TG_TOKEN"
chat = "@blogchannel"
"#;

fn encore(cfg: &std::path::Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("encore")
        .unwrap()
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env("TH_TOKEN", "th-SECRET-1")
        .env("LI_SECRET", "li-SECRET-2")
        .env("TG_TOKEN", "123:tg-SECRET-3")
        .output()
        .unwrap()
}

#[test]
fn check_describes_each_network_and_never_prints_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), THREE);
    std::fs::create_dir(dir.path().join("state")).unwrap();
    let out = encore(&cfg, &["check"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("threads  https://graph.threads.net/ as the token's owner"), "{text}");
    assert!(text.contains("linkedin https://api.linkedin.com/ as urn:li:organization:2414183, LinkedIn-Version 2026"), "{text}");
    assert!(text.contains("telegram https://api.telegram.org/ to @blogchannel"), "{text}");
    assert!(text.contains("limit 500 (graphemes, each emoji counts its UTF-8 bytes"), "{text}");
    assert!(text.contains("limit 3000 (UTF-16 units of the escaped commentary"), "{text}");
    assert!(text.contains("limit 4096 (UTF-16 units"), "{text}");
    assert!(!text.contains("-SECRET-"), "{text}");
}

#[test]
fn preview_says_how_each_network_counts_and_threads_keeps_one_hashtag() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), THREE);
    let out = encore(
        &cfg,
        &["preview", "--now", "2026-12-01T08:00:00+01:00", "--seed", "1", "--days", "3"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("th (threads): LENGTH counts graphemes, each emoji counts its UTF-8 bytes, links in full; the limit is 500"), "{text}");
    assert!(text.contains("li (linkedin): LENGTH counts UTF-16 units of the escaped commentary, links in full; the limit is 3000"), "{text}");
    assert!(text.contains("tg (telegram): LENGTH counts UTF-16 units, links in full; the limit is 4096"), "{text}");
    let out = encore(
        &cfg,
        &["preview", "--now", "2026-12-01T08:00:00+01:00", "--seed", "1", "--days", "20", "--format", "json"],
    );
    let mut seen = std::collections::HashSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["network"] == "threads" {
            assert!(v["hashtags"].as_array().unwrap().len() <= 1, "{v}");
            assert_eq!(v["text"].as_str().unwrap().matches('#').count(), v["hashtags"].as_array().unwrap().len(), "{v}");
        }
        if let Some(n) = v["network"].as_str() {
            assert!(v["length"].as_u64().unwrap() <= v["limit"].as_u64().unwrap(), "{v}");
            assert!(v["counted_as"].as_str().is_some(), "{v}");
            seen.insert(n.to_string());
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}

#[test]
fn keys_of_another_network_and_wrong_values_are_refused_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (THREE.replace("chat = \"@blogchannel\"", "chat = \"@blogchannel\"\naccess_token = \"env:X\""), "only applies to network = \"x\" or \"mastodon\" or \"threads\""),
        (THREE.replace("access_token = \"env:TH_TOKEN\"", "access_token = \"env:TH_TOKEN\"\nbot_token = \"env:X\""), "`account.bot_token` only applies to network = \"telegram\""),
        (THREE.replace("chat = \"@blogchannel\"", "chat = \"blog channel\""), "`account.chat` is \"blog channel\""),
        (THREE.replace("author = \"urn:li:organization:2414183\"", "author = \"my page\""), "`account.author` is \"my page\""),
        (THREE.replace("client_id = \"86abc\"", "client_id = \"86abc\"\napi_version = \"2026-10\""), "`account.api_version` is \"2026-10\""),
        (THREE.replace("chat = \"@blogchannel\"\n", ""), "`account.chat` is required"),
    ];
    for (accounts, needle) in cases {
        let cfg = write(dir.path(), &accounts);
        let out = encore(&cfg, &["check"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(78), "{needle}: {err}");
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(err.contains("encore.toml:"), "FILE:LINE:COL: {err}");
    }
}
