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
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("threads  https://graph.threads.net/ as the token's owner"),
        "{text}"
    );
    assert!(text.contains("linkedin https://api.linkedin.com/ as urn:li:organization:2414183, LinkedIn-Version 2026"), "{text}");
    assert!(
        text.contains("telegram https://api.telegram.org/ to @blogchannel"),
        "{text}"
    );
    assert!(
        text.contains("limit 500 (graphemes, each emoji counts its UTF-8 bytes"),
        "{text}"
    );
    assert!(
        text.contains("limit 3000 (UTF-16 units of the escaped commentary"),
        "{text}"
    );
    assert!(text.contains("limit 4096 (UTF-16 units"), "{text}");
    assert!(
        text.contains("account \"li\": not logged in to LinkedIn yet: run `encore auth linkedin --account li`"),
        "{text}"
    );
    assert!(!text.contains("-SECRET-"), "{text}");
}

#[test]
fn a_channel_id_may_be_written_as_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        &THREE.replace("chat = \"@blogchannel\"", "chat = -1001234567890"),
    );
    std::fs::create_dir(dir.path().join("state")).unwrap();
    let out = encore(&cfg, &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("to -1001234567890 as a bot"), "{text}");
}

#[test]
fn preview_says_how_each_network_counts_and_threads_keeps_one_hashtag() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), THREE);
    let out = encore(
        &cfg,
        &[
            "preview",
            "--now",
            "2026-12-01T08:00:00+01:00",
            "--seed",
            "1",
            "--days",
            "3",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("th (threads): LENGTH counts graphemes, each emoji counts its UTF-8 bytes, links in full; the limit is 500"), "{text}");
    assert!(text.contains("li (linkedin): LENGTH counts UTF-16 units of the escaped commentary, links in full; the limit is 3000"), "{text}");
    assert!(
        text.contains(
            "tg (telegram): LENGTH counts UTF-16 units, links in full; the limit is 4096"
        ),
        "{text}"
    );
    let out = encore(
        &cfg,
        &[
            "preview",
            "--now",
            "2026-12-01T08:00:00+01:00",
            "--seed",
            "1",
            "--days",
            "20",
            "--format",
            "json",
        ],
    );
    let mut seen = std::collections::HashSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["network"] == "threads" {
            assert!(v["hashtags"].as_array().unwrap().len() <= 1, "{v}");
            assert_eq!(
                v["text"].as_str().unwrap().matches('#').count(),
                v["hashtags"].as_array().unwrap().len(),
                "{v}"
            );
        }
        if let Some(n) = v["network"].as_str() {
            assert!(
                v["length"].as_u64().unwrap() <= v["limit"].as_u64().unwrap(),
                "{v}"
            );
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
        (
            THREE.replace(
                "chat = \"@blogchannel\"",
                "chat = \"@blogchannel\"\naccess_token = \"env:X\"",
            ),
            "only applies to network = \"x\" or \"mastodon\" or \"threads\"",
        ),
        (
            THREE.replace(
                "access_token = \"env:TH_TOKEN\"",
                "access_token = \"env:TH_TOKEN\"\nbot_token = \"env:X\"",
            ),
            "`account.bot_token` only applies to network = \"telegram\"",
        ),
        (
            THREE.replace("chat = \"@blogchannel\"", "chat = \"blog channel\""),
            "`account.chat` is \"blog channel\"",
        ),
        (
            THREE.replace(
                "author = \"urn:li:organization:2414183\"",
                "author = \"my page\"",
            ),
            "`account.author` is \"my page\"",
        ),
        (
            THREE.replace(
                "client_id = \"86abc\"",
                "client_id = \"86abc\"\napi_version = \"2026-10\"",
            ),
            "`account.api_version` is \"2026-10\"",
        ),
        (
            THREE.replace("chat = \"@blogchannel\"\n", ""),
            "`account.chat` is required",
        ),
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

/// The three networks' fakes and a config whose accounts post to them.
struct Fakes {
    threads: support::fake_threads::FakeThreads,
    linkedin: support::fake_linkedin::FakeLinkedIn,
    telegram: support::fake_telegram::FakeTelegram,
    config: std::path::PathBuf,
    redirect: String,
    _dir: tempfile::TempDir,
}

async fn fakes() -> Fakes {
    use support::{fake_linkedin, fake_telegram, fake_threads};
    let threads = fake_threads::FakeThreads::start().await;
    let linkedin = fake_linkedin::FakeLinkedIn::start().await;
    let telegram = fake_telegram::FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let redirect = format!("http://127.0.0.1:{}/callback", support::free_port());
    let accounts = format!(
        r#"
[[account]]
name = "th"
network = "threads"
api_base = "{th}"
access_token = "env:TH_TOKEN"

[[account]]
name = "li"
network = "linkedin"
api_base = "{li}"
authorize_url = "{li}/oauth/v2/authorization"
redirect_uri = "{redirect}"
client_id = "{id}"
client_secret = "env:LI_SECRET"

[[account]]
name = "tg"
network = "telegram"
api_base = "{tg}"
bot_token = "env:TG_TOKEN"
chat = "{chat}"
"#,
        th = threads.base,
        li = linkedin.base,
        tg = telegram.base,
        id = fake_linkedin::CLIENT_ID,
        chat = fake_telegram::CHANNEL,
    );
    let config = write(dir.path(), &accounts);
    Fakes {
        threads,
        linkedin,
        telegram,
        config,
        redirect,
        _dir: dir,
    }
}

/// `encore` with the fakes' secrets in its environment, off the test's runtime.
async fn run(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    let config = config.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        assert_cmd::Command::cargo_bin("encore")
            .unwrap()
            .arg("--config")
            .arg(&config)
            .args(&args)
            .env("TH_TOKEN", support::fake_threads::TOKEN)
            .env("LI_SECRET", support::fake_linkedin::CLIENT_SECRET)
            .env("TG_TOKEN", support::fake_telegram::TOKEN)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// `encore auth linkedin` through the local redirect, as the admin's browser would end it.
async fn auth_linkedin(f: &Fakes) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
        .env_remove("RUST_LOG")
        .env("LI_SECRET", support::fake_linkedin::CLIENT_SECRET)
        .arg("--config")
        .arg(&f.config)
        .args(["auth", "linkedin", "--account", "li"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let printed = std::thread::spawn(move || {
        let mut all = Vec::new();
        for l in BufReader::new(stdout).lines() {
            let l = l.unwrap();
            if l.contains("/oauth/v2/authorization?") {
                let _ = tx.send(l.trim().to_string());
            }
            all.push(l);
        }
        all
    });
    let url = tokio::task::spawn_blocking(move || rx.recv().unwrap())
        .await
        .unwrap();
    let url = url::Url::parse(&url).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], support::fake_linkedin::CLIENT_ID);
    assert_eq!(q["scope"], "openid profile w_member_social");
    assert_eq!(q["redirect_uri"], f.redirect);
    let resp = encore::http_client(std::time::Duration::from_secs(5))
        .unwrap()
        .get(format!(
            "{}?code={}&state={}",
            f.redirect,
            support::fake_linkedin::CODE,
            q["state"]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let lines = printed.join().unwrap();
    assert!(status.success(), "{lines:?}");
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_check_online_and_post_now_on_each_new_network() {
    let f = fakes().await;
    // Without a LinkedIn login, nothing starts: the error says what to run.
    let out = run(&f.config, &["check", "--online"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("run `encore auth linkedin --account li`"),
        "{err}"
    );

    let lines = auth_linkedin(&f).await;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Logged in as Blog Author; token stored for li: it lasts until")),
        "{lines:?}"
    );
    let session = f._dir.path().join("state/sessions/li.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&session).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(f.linkedin.state.lock().unwrap().logins, 1);

    let out = run(&f.config, &["check", "--online"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("online  th: threads OK as @blog.threads"),
        "{text}"
    );
    assert!(
        text.contains("online  li: linkedin OK as Blog Author"),
        "{text}"
    );
    assert!(
        text.contains("online  tg: telegram OK as @blogchannel (bot @blog_encore_bot)"),
        "{text}"
    );
    for name in ["Threads", "LinkedIn", "Telegram"] {
        assert!(
            text.contains(&format!(
                "{name} gives no post count: the auto cadence assumes 1 posts a day"
            )),
            "{name}: {text}"
        );
    }

    for account in ["th", "li", "tg"] {
        let out = run(&f.config, &["post-now", "--account", account]).await;
        assert!(
            out.status.success(),
            "{account}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(f.threads.posts().len(), 1);
    assert_eq!(f.telegram.sent().len(), 1);
    let shares = f.linkedin.shares();
    assert_eq!(shares.len(), 1);
    let source = shares[0].article["source"].as_str().unwrap();
    assert!(
        shares[0].kept.ends_with(source),
        "LinkedIn kept the whole text: {shares:?}"
    );
    let t = &f.threads.posts()[0];
    assert!(t.text.matches('#').count() <= 1, "{t:?}");
    assert_eq!(t.topic_tag.is_some(), t.text.contains('#'), "{t:?}");
    let out = run(&f.config, &["history"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches(" shared ").count(), 3, "{text}");
}

/// What must never show: the three networks' secrets and the tokens Encore keeps for them.
const SECRETS: [&str; 6] = [
    "AAbot-secret-token",
    "th-long-lived-token",
    "th-refreshed-",
    "li-member-token",
    "li-client-secret",
    "li-auth-code",
];

fn assert_no_secret(what: &str, shown: &str) {
    for s in SECRETS {
        assert!(!shown.contains(s), "{what} shows {s}:\n{shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_command_or_trace_log_shows_a_token_of_the_new_networks() {
    let f = fakes().await;
    let lines = auth_linkedin(&f).await;
    assert_no_secret("encore auth linkedin", &lines.join("\n"));
    let shown = |out: &std::process::Output| {
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    };
    for args in [
        vec!["check"],
        vec!["check", "--online"],
        vec!["post-now", "--account", "th"],
        vec!["post-now", "--account", "li"],
        vec!["post-now", "--account", "tg"],
        vec!["status"],
        vec!["history", "--format", "json"],
    ] {
        let mut all = vec!["--log-level", "trace"];
        all.extend(&args);
        let out = run(&f.config, &all).await;
        assert!(out.status.success(), "{args:?}: {}", shown(&out));
        let text = shown(&out);
        if args[0] == "post-now" {
            assert!(
                text.contains("TRACE") || text.contains("DEBUG"),
                "trace logging is on: {text}"
            );
        }
        assert_no_secret(&format!("encore {}", args.join(" ")), &text);
    }
    // Failures name what failed, not the token: an answer cut off (the token is in the
    // URL's path, which reqwest's errors would print) and a 401.
    f.telegram
        .push_fault(support::fake_telegram::Fault::SendThenDrop);
    let out = run(
        &f.config,
        &["--log-level", "trace", "post-now", "--account", "tg"],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        shown(&out).contains("uncertain") || shown(&out).contains("unknown"),
        "{}",
        shown(&out)
    );
    assert_no_secret("post-now whose answer was lost", &shown(&out));
    let out = tokio::task::spawn_blocking({
        let config = f.config.clone();
        move || {
            assert_cmd::Command::cargo_bin("encore")
                .unwrap()
                .arg("--config")
                .arg(&config)
                .args(["--log-level", "trace", "post-now", "--account", "tg"])
                .env("TG_TOKEN", "7000001:AAbot-secret-token-but-wrong")
                .env("TH_TOKEN", "x")
                .env("LI_SECRET", "x")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert_no_secret("post-now with a wrong bot token", &shown(&out));
}

/// One daemon over the three new networks for a week of faults, ticked every 10 minutes:
/// each account posts at its own rate, every post the networks made is recorded exactly once
/// (Telegram's lost answer as `uncertain`), no article twice, no intent left.
#[tokio::test]
async fn a_daemon_week_of_faults_on_threads_linkedin_and_telegram() {
    use chrono::{Duration, TimeZone, Utc};
    use encore::{Daemon, Endpoint, Network, Outcome, SessionStore};
    use support::{fake_linkedin, fake_telegram, fake_threads};
    let threads = fake_threads::FakeThreads::start().await;
    let linkedin = fake_linkedin::FakeLinkedIn::start().await;
    let telegram = fake_telegram::FakeTelegram::start().await;
    let blog = support::Blog::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap();
    let feed = support::three::feed(dir.path(), &blog.base, t0);
    let accounts = format!(
        r#"
[[account]]
name = "th"
network = "threads"
api_base = "{th}"
access_token = "{th_token}"
[account.cadence]
per_day = 2
min_spacing = "3h"

[[account]]
name = "li"
network = "linkedin"
api_base = "{li}"
client_id = "id"
client_secret = "secret"
[account.cadence]
per_day = 1

[[account]]
name = "tg"
network = "telegram"
api_base = "{tg}"
bot_token = "{tg_token}"
chat = "{chat}"
[account.cadence]
per_day = 1
"#,
        th = threads.base,
        li = linkedin.base,
        tg = telegram.base,
        th_token = fake_threads::TOKEN,
        tg_token = fake_telegram::TOKEN,
        chat = fake_telegram::CHANNEL,
    );
    let cfg = support::config(dir.path(), &feed, 1.0, &accounts);
    let store = SessionStore::new(&cfg.state_dir);
    store
        .save(
            "li",
            &encore::Tokens {
                access_token: fake_linkedin::TOKEN.into(),
                refresh_token: None,
                expires_at: Some(Utc::now() + Duration::days(50)),
                user_id: None,
                issued_for: None,
            },
        )
        .unwrap();
    let timeout = std::time::Duration::from_secs(2);
    let nets: Vec<Box<dyn Network>> = cfg
        .accounts
        .iter()
        .map(|a| -> Box<dyn Network> {
            match &a.endpoint {
                Endpoint::Threads(s) => Box::new(
                    encore::ThreadsNetwork::new(&a.name, s, &store, timeout)
                        .unwrap()
                        .with_retry(support::more::quick()),
                ),
                Endpoint::LinkedIn(s) => Box::new(
                    encore::LinkedInNetwork::new(&a.name, s, &store, timeout)
                        .unwrap()
                        .with_retry(support::more::quick()),
                ),
                Endpoint::Telegram(s) => Box::new(
                    encore::TelegramNetwork::new(&a.name, s, timeout)
                        .unwrap()
                        .with_retry(support::more::quick()),
                ),
                other => panic!("{other:?}"),
            }
        })
        .collect();
    let archive = encore::Archive::open(&cfg.state_dir).unwrap();
    encore::commands::refresh_archive(&cfg, &archive, t0).await;
    let mut d = Daemon::start(cfg.clone(), archive, nets, false, t0)
        .await
        .unwrap();

    threads.push_fault(fake_threads::Fault::PublishThenDrop);
    linkedin.push_fault(fake_linkedin::Fault::PostThenDrop);
    telegram.push_fault(fake_telegram::Fault::SendThenDrop);
    let step = Duration::minutes(10);
    let mut reports = support::tick_through(&mut d, t0, t0 + Duration::days(3), step).await;
    threads.push_fault(fake_threads::Fault::Graph(503, 2));
    threads.push_fault(fake_threads::Fault::ContainerGraph(500, 1));
    linkedin.push_fault(fake_linkedin::Fault::Status(503));
    let api_500 = r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#;
    telegram.push_fault(fake_telegram::Fault::Status(500, api_500.into()));
    let until = t0 + Duration::days(7);
    reports.extend(support::tick_through(&mut d, t0 + Duration::days(3), until, step).await);

    let count = |name: &str, outcome: Outcome| {
        reports
            .iter()
            .filter(|r| r.account == name && r.outcome == outcome)
            .count()
    };
    assert_eq!(count("th", Outcome::Shared), 14, "{reports:#?}");
    assert_eq!(count("li", Outcome::Shared), 7, "{reports:#?}");
    assert_eq!(
        count("tg", Outcome::Shared) + count("tg", Outcome::Uncertain),
        7
    );
    assert_eq!(count("tg", Outcome::Uncertain), 1, "the lost answer");
    // What each network made is what was recorded: no double, no loss.
    assert_eq!(threads.posts().len(), 14);
    assert_eq!(linkedin.shares().len(), 7);
    assert_eq!(telegram.sent().len(), 7);
    for p in threads.posts() {
        assert!(fake_threads::threads_length(&p.text) <= 500);
        assert!(p.text.matches('#').count() <= 1, "{p:?}");
    }
    for s in linkedin.shares() {
        assert!(
            s.kept.ends_with(s.article["source"].as_str().unwrap()),
            "{s:?}"
        );
        // The message compose wrote starts with its hashtags: LinkedIn must see them as such.
        assert!(
            !s.hashtags.is_empty() && s.sent.starts_with("{hashtag|\\#|"),
            "hashtags sent as LinkedIn's templates, not as a literal sign: {s:?}"
        );
        for tag in &s.hashtags {
            assert!(s.kept.contains(&format!("#{tag}")), "{s:?}");
        }
        assert!(
            s.article["thumbnail"].is_string(),
            "the card has its picture: {s:?}"
        );
    }
    for name in ["th", "li", "tg"] {
        let history = d.archive().history(name).unwrap();
        let mut keys: Vec<_> = history
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Shared | Outcome::Uncertain))
            .filter_map(|r| r.article_key.clone())
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "{name}: an article twice\n{history:#?}");
    }
    assert!(d.archive().pending_intents().unwrap().is_empty());
}
