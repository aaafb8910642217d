//! Bad input: a table of broken configs, each refused by `encore check --quiet` (what the
//! daemon and `systemctl reload` do) with its own message, the file and line, and exit 78.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const FEED: &str = "[feed]\nurl = \"feed.xml\"\n";
const ACCOUNT: &str = "[[account]]\nname = \"ok\"\nnetwork = \"log\"\n";

/// (what is wrong, config text, line of the error, words the message must hold)
fn cases(dir: &Path) -> Vec<(&'static str, String, usize, Vec<&'static str>)> {
    let open = dir.join("open-token");
    let missing = dir.join("missing-token");
    let masto = |token: &Path| {
        format!(
            "{FEED}[[account]]\nname = \"m\"\nnetwork = \"mastodon\"\ninstance = \"https://m.example\"\naccess_token = \"file:{}\"\n",
            token.display()
        )
    };
    vec![
        ("wrong type", format!("{FEED}[cadence]\nper_day = \"two\"\n{ACCOUNT}"), 4, vec!["`cadence.per_day`", "invalid type"]),
        ("wrong type (time zone)", format!("timezone = 3\n{FEED}{ACCOUNT}"), 1, vec!["`timezone`", "IANA"]),
        ("negative count", format!("{FEED}[select]\ncooldown_days = -3\n{ACCOUNT}"), 4, vec!["`select.cooldown_days`", "-3"]),
        ("unknown key", format!("{FEED}[cadence]\nper_dya = 2\n{ACCOUNT}"), 4, vec!["per_dya"]),
        ("unknown key in an account", format!("{FEED}{ACCOUNT}colour = \"red\"\n"), 6, vec!["colour"]),
        ("another network's key", format!("{FEED}{ACCOUNT}instance = \"https://m.example\"\n"), 6, vec!["`account.instance`", "mastodon"]),
        ("bad duration", format!("{FEED}[cadence]\nmin_spacing = \"two hours\"\n{ACCOUNT}"), 4, vec!["`cadence.min_spacing`"]),
        ("feed read too often", format!("[feed]\nurl = \"feed.xml\"\nrefresh = \"10s\"\n{ACCOUNT}"), 3, vec!["`feed.refresh`", "at least 1m"]),
        ("bad time zone", format!("timezone = \"Mars/Olympus\"\n{FEED}{ACCOUNT}"), 1, vec!["`timezone`", "Mars/Olympus"]),
        ("inverted age window", format!("{FEED}[select]\nmin_age_days = 100\n{ACCOUNT}"), 4, vec!["max_age_days", "min_age_days"]),
        ("rate out of range", format!("{FEED}[cadence]\nmode = \"fixed\"\nper_day = 30\n{ACCOUNT}"), 5, vec!["`cadence.per_day`", "at most 24"]),
        ("bad day", format!("{FEED}[cadence]\ndays = [\"mon\", \"funday\"]\n{ACCOUNT}"), 4, vec!["`cadence.days`", "funday"]),
        ("bad active hours", format!("{FEED}[cadence]\nactive_hours = \"9h-20h\"\n{ACCOUNT}"), 4, vec!["`cadence.active_hours`"]),
        ("template without the link", format!("{FEED}[message]\ntemplate = \"{{title}}\"\n{ACCOUNT}"), 4, vec!["{url}"]),
        ("no account", FEED.to_string(), 1, vec!["no [[account]] defined"]),
        ("no feed", ACCOUNT.to_string(), 1, vec!["[feed]", "`url` is required"]),
        ("duplicate account names", format!("{FEED}{ACCOUNT}{ACCOUNT}"), 7, vec!["duplicate account name \"ok\""]),
        ("bad account name", format!("{FEED}[[account]]\nname = \"a b\"\nnetwork = \"log\"\n"), 4, vec!["`account.name`"]),
        ("unknown network", format!("{FEED}[[account]]\nname = \"a\"\nnetwork = \"friendster\"\n"), 5, vec!["friendster"]),
        ("instance not a URL", format!("{FEED}[[account]]\nname = \"m\"\nnetwork = \"mastodon\"\ninstance = \"not a url\"\naccess_token = \"env:T\"\n"), 6, vec!["`account.instance`", "not a URL"]),
        ("secret file missing", masto(&missing), 7, vec!["`access_token`", "cannot read secret file", "missing-token"]),
        ("secret file readable by all", masto(&open), 7, vec!["`access_token`", "readable by every user", "chmod 600"]),
        ("not TOML at all", format!("{FEED}{ACCOUNT}this is not toml\n"), 6, vec!["key"]),
    ]
}

#[test]
fn every_broken_config_is_refused_with_its_own_message_line_and_78() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("feed.xml"),
        "<rss version=\"2.0\"><channel></channel></rss>",
    )
    .unwrap();
    let open = dir.path().join("open-token");
    std::fs::write(&open, "t0k3n").unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = dir.path().join("config.toml");
    let mut messages = Vec::new();
    let cases = cases(dir.path());
    for (what, text, line, words) in &cases {
        std::fs::write(&config, text).unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
            .args(["--config", config.to_str().unwrap(), "check", "--quiet"])
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(78), "{what}: {err}");
        let prefix = format!("encore: {}:{line}:", config.display());
        assert!(
            err.starts_with(&prefix),
            "{what}: expected {prefix}…, got {err}"
        );
        for w in words {
            assert!(err.contains(w), "{what}: {err} should say {w:?}");
        }
        assert!(!err.contains("t0k3n"), "{what}: a secret shown: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        messages.push(err.lines().next().unwrap_or("").replace(&prefix, ""));
    }
    let distinct: std::collections::HashSet<&String> = messages.iter().collect();
    assert_eq!(
        distinct.len(),
        messages.len(),
        "each error its own message: {messages:#?}"
    );
    println!(
        "bad configs: {} refused with their own message and line, exit 78",
        cases.len()
    );
}
