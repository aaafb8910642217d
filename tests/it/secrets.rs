//! Secrets never show: every command, run against the three fake networks with full trace
//! logging and recognisable secret values (right ones and wrong ones), prints none of them, and
//! the state holds none of them in clear (the session tokens Encore must keep are in files of
//! mode 0600, the app password is never stored).

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use support::three::{encore, encore_env, secrets, text, write_config, Fakes};

/// Wrong values for the failing sign-in paths: they must not show either.
const WRONG: [(&str, &str); 3] = [
    ("T_MASTO", "wrong-masto-token-7f3a9c"),
    ("T_CS", "wrong-consumer-secret-51e2"),
    ("T_BSKY", "wron-gapp-pass-word"),
];

fn all_secrets() -> Vec<&'static str> {
    secrets()
        .iter()
        .map(|(_, v)| *v)
        .chain(WRONG.iter().map(|(_, v)| *v))
        .collect()
}

fn assert_no_secret(what: &str, output: &str) {
    for s in all_secrets() {
        assert!(
            !output.contains(s),
            "{what} shows a secret ({s}):\n{output}"
        );
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_command_log_or_state_file_shows_a_secret() {
    let f = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &f);
    let trace = ["--log-level", "trace"];

    let commands: Vec<Vec<&str>> = vec![
        vec!["check"],
        vec!["check", "--quiet"],
        vec!["check", "--online"],
        vec!["preview", "--days", "3"],
        vec!["preview", "--days", "3", "--format", "json"],
        vec!["post-now", "--account", "blog-x"],
        vec!["post-now", "--account", "blog-masto"],
        vec!["post-now", "--account", "blog-bsky"],
        vec!["post-now", "--account", "blog-bsky", "--dry-run"],
        vec!["history"],
        vec!["history", "--format", "json"],
        vec!["status"],
        vec!["status", "--format", "json"],
    ];
    let mut ran = 0;
    for args in &commands {
        let mut all = trace.to_vec();
        all.extend(args);
        let out = encore(&config, &all).await;
        let shown = text(&out);
        assert!(out.status.success(), "encore {}: {shown}", args.join(" "));
        assert_no_secret(&format!("encore {}", args.join(" ")), &shown);
        ran += 1;
    }
    assert_eq!(f.masto.statuses().len(), 1, "post-now posted for real");

    // The daemon, traced, until it has started and read the feed; then SIGTERM.
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    cmd.args(["--log-level", "trace", "--config"])
        .arg(&config)
        .arg("run")
        .env_remove("RUST_LOG");
    for (k, v) in secrets() {
        cmd.env(k, v);
    }
    let (log, status, _) = support::run_until_then_term(cmd, " started");
    assert!(status.success(), "{log}");
    assert!(log.lines().count() > 10, "trace logging is on: {log}");
    assert_no_secret("encore run", &log);

    // Failing sign-ins, on a fresh state (no stored session to fall back on).
    let fresh = tempfile::tempdir().unwrap();
    let config2 = write_config(fresh.path(), &f);
    for args in [
        vec!["check", "--online"],
        vec!["post-now", "--account", "blog-masto"],
        vec!["post-now", "--account", "blog-x"],
        vec!["post-now", "--account", "blog-bsky"],
    ] {
        let mut all = trace.to_vec();
        all.extend(&args);
        let out = encore_env(&config2, &all, &WRONG).await;
        let shown = text(&out);
        assert!(!out.status.success(), "refused: {shown}");
        assert_no_secret(&format!("failing encore {}", args.join(" ")), &shown);
        ran += 1;
    }

    // Literal secrets in the config file: shown masked, warned about, never printed.
    let literal = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\"env:T_MASTO\"", &format!("{:?}", secrets()[4].1));
    let config3 = dir.path().join("literal.toml");
    std::fs::write(&config3, literal).unwrap();
    std::fs::set_permissions(&config3, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = encore(&config3, &["--log-level", "trace", "check"]).await;
    let shown = text(&out);
    assert!(
        shown.contains("<literal, masked>") && shown.contains("every user can read it"),
        "{shown}"
    );
    assert_no_secret("encore check (literal secret)", &shown);

    // The state: no secret in clear in any file; kept tokens only in 0600 files.
    let mut sessions = 0;
    for dir in [dir.path().join("state"), fresh.path().join("state")] {
        for file in files_under(&dir) {
            let bytes = std::fs::read(&file).unwrap();
            for s in all_secrets() {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                    "{} holds a secret in clear ({s})",
                    file.display()
                );
            }
            if file.components().any(|c| c.as_os_str() == "sessions") {
                sessions += 1;
                let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", file.display());
            }
        }
    }
    assert!(sessions >= 1, "the Bluesky session was kept");
    println!(
        "secrets: {ran} commands, the daemon and the state checked, 0 secrets shown ({} values)",
        all_secrets().len()
    );
}

/// Every secret key of every network, written without quotes (as a number, or a bare word
/// with a colon like a bot token): `check` and `check --quiet` (the unit's reload) refuse the
/// file with exit 78 and never echo the value.
#[test]
fn a_secret_written_without_quotes_is_never_echoed_on_any_network() {
    let cases: [(&str, &str, &str); 10] = [
        ("x", "consumer_key", "consumer_secret = \"env:A\"\naccess_token = \"env:B\"\naccess_token_secret = \"env:C\""),
        ("x", "consumer_secret", "consumer_key = \"env:A\"\naccess_token = \"env:B\"\naccess_token_secret = \"env:C\""),
        ("x", "access_token", "consumer_key = \"env:A\"\nconsumer_secret = \"env:B\"\naccess_token_secret = \"env:C\""),
        ("x", "access_token_secret", "consumer_key = \"env:A\"\nconsumer_secret = \"env:B\"\naccess_token = \"env:C\""),
        ("mastodon", "access_token", "instance = \"https://m.example\""),
        ("bluesky", "app_password", "identifier = \"blog.example.org\""),
        ("threads", "access_token", ""),
        ("linkedin", "client_secret", "client_id = \"86abc\""),
        ("telegram", "bot_token", "chat = \"@blogchannel\""),
        ("x", "client_secret", "auth = \"oauth2\"\nclient_id = \"cid\""),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (network, key, rest)) in cases.iter().enumerate() {
        for value in ["86753091234567", "7000001:AAbot-secret-token-unquoted"] {
            let path = dir.path().join(format!("c{i}.toml"));
            std::fs::write(
                &path,
                format!(
                    "state_dir = \"s\"\n[feed]\nurl = \"f.xml\"\n[[account]]\nname = \"a\"\nnetwork = \"{network}\"\n{rest}\n{key} = {value}\n"
                ),
            )
            .unwrap();
            for args in [vec!["check"], vec!["check", "--quiet"]] {
                let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
                    .arg("--config")
                    .arg(&path)
                    .args(&args)
                    .env_remove("RUST_LOG")
                    .output()
                    .unwrap();
                let shown = String::from_utf8_lossy(&out.stdout).to_string()
                    + &String::from_utf8_lossy(&out.stderr);
                assert_eq!(out.status.code(), Some(78), "{network}.{key}: {shown}");
                assert!(shown.contains(&format!("c{i}.toml:")), "{shown}");
                let digits = value.trim_end_matches(|c: char| !c.is_ascii_digit());
                assert!(
                    !shown.contains(value)
                        && !shown.contains("AAbot")
                        && !shown.contains(&digits[digits.len().saturating_sub(7)..]),
                    "{network}.{key} = {value} echoed by `encore {}`: {shown}",
                    args.join(" ")
                );
            }
        }
    }
}

/// A server that echoes the request path (the Bot API's path holds the token) and feed
/// addresses with a password and a key in their query: what Encore logs, prints and stores
/// shows none of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_servers_answer_and_addresses_with_credentials_never_show_a_secret() {
    use support::fake_telegram::{self, FakeTelegram, Fault};
    let telegram = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let feed_url = "http://reader:feed-PASSWORD-41@127.0.0.1:9/feed?token=feed-KEY-4242";
    let config = dir.path().join("encore.toml");
    std::fs::write(
        &config,
        format!(
            r#"timezone = "UTC"
state_dir = {state:?}
[[feed]]
name = "local"
url = {local:?}
[[feed]]
name = "private"
url = "{feed_url}"
backfill_pages = 0
[select]
min_age_days = 0
max_age_days = 4000
check_link = false
[[account]]
name = "tg"
network = "telegram"
api_base = "{tg}"
bot_token = "env:TG_TOKEN"
chat = "{chat}"
"#,
            state = dir.path().join("state").display().to_string(),
            local = support::fixture("intl.xml").display().to_string(),
            tg = telegram.base,
            chat = fake_telegram::CHANNEL,
        ),
    )
    .unwrap();
    let echo = format!(
        r#"{{"ok":false,"error_code":400,"description":"Bad Request: no route for POST /bot{}/sendMessage"}}"#,
        fake_telegram::TOKEN
    );
    for _ in 0..3 {
        telegram.push_fault(Fault::Status(400, echo.clone()));
    }
    let secrets = [
        fake_telegram::TOKEN,
        "AAbot-secret-token",
        "feed-PASSWORD-41",
        "feed-KEY-4242",
    ];
    let mut shown_all = String::new();
    for args in [
        vec!["check"],
        vec!["--log-level", "trace", "post-now", "--account", "tg"],
        vec!["history"],
        vec!["history", "--format", "json"],
        vec!["status"],
    ] {
        let out = encore_env(&config, &args, &[("TG_TOKEN", fake_telegram::TOKEN)]).await;
        let shown = text(&out);
        for s in secrets {
            assert!(
                !shown.contains(s),
                "`encore {}` shows {s}:\n{shown}",
                args.join(" ")
            );
        }
        shown_all.push_str(&shown);
    }
    assert!(
        shown_all.contains("no route for POST /bot****/sendMessage"),
        "the server's words are kept, the token cut out: {shown_all}"
    );
    assert!(
        shown_all.contains("http://reader:****@127.0.0.1:9/feed?token=****"),
        "the feed's address is shown without its password and key: {shown_all}"
    );
    for file in files_under(&dir.path().join("state")) {
        let bytes = std::fs::read(&file).unwrap();
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{} holds {s}",
                file.display()
            );
        }
    }
}
