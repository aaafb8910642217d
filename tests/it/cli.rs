//! The `encore` binary as an admin uses it: `check` and `preview`.

use crate::support;

use assert_cmd::Command;
use chrono::{DateTime, Duration, Utc};
use encore::fold;
use encore::NetworkKind;
use encore::{Archive, Outcome, ShareRecord};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    /// A config reading `feed` with `extra` TOML appended (accounts included).
    fn new(feed: &str, extra: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "timezone = \"Europe/Paris\"\nstate_dir = \"state\"\n\n[feed]\nurl = {:?}\n\n{extra}",
            fixture(feed).display().to_string()
        );
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
        Setup { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn encore(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        self.encore_cmd(args).assert()
    }

    fn encore_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("encore").unwrap();
        cmd.env_remove("RUST_LOG")
            .arg("--config")
            .arg(self.config())
            .args(args);
        cmd
    }

    fn preview_json(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut all = vec!["preview", "--format", "json"];
        all.extend_from_slice(args);
        let out = self.encore(&all).success().get_output().stdout.clone();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

const ACCOUNTS: &str = r#"
[select]
exclude_categories = ["actualites", "Événements"]

[message]
text = "À relire"

[cadence]
per_day = 2

[[account]]
name = "blog-x"
network = "x"
consumer_key = "env:X_CONSUMER_KEY"
consumer_secret = "env:X_CONSUMER_SECRET"
access_token = "env:X_ACCESS_TOKEN"
access_token_secret = "env:X_ACCESS_TOKEN_SECRET"

[[account]]
name = "blog-bsky"
network = "bluesky"
identifier = "blog.example.org"
app_password = "env:BSKY_APP_PASSWORD"

[account.cadence]
per_day = 1
"#;

const NOW: &str = "2026-06-01T08:00:00+02:00";

#[test]
fn check_prints_resolved_settings() {
    let s = Setup::new("span.xml", ACCOUNTS);
    let out = s.encore(&["check"]).success().get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains(": OK"), "{out}");
    assert!(
        out.contains("timezone   Europe/Paris (configured)"),
        "{out}"
    );
    assert!(out.contains("account \"blog-x\" (x)"), "{out}");
    assert!(out.contains("age 30-90 days, cooldown 90 days"), "{out}");
    assert!(out.contains("fixed, 2 per day, 09:00-20:00"), "{out}");
    assert!(out.contains("account \"blog-bsky\" (bluesky)"), "{out}");
    assert!(
        out.contains("fixed, 1 per day"),
        "per-account override shown: {out}"
    );
}

#[test]
fn check_reports_each_error_with_file_line_and_key_and_exits_78() {
    let cases: &[(&str, usize, &str)] = &[
        ("[cadence]\nper_dya = 2\n", 8, "per_dya"),
        (
            "[cadence]\nmin_spacing = \"two hours\"\n",
            8,
            "cadence.min_spacing",
        ),
        ("[select]\nmin_age_days = 100\n", 8, "max_age_days"),
        (
            "[cadence]\nactive_hours = \"9h-20h\"\n",
            8,
            "cadence.active_hours",
        ),
        ("[message]\ntemplate = \"{title}\"\n", 8, "{url}"),
        (
            "[[account]]\nname = \"a b\"\nnetwork = \"x\"\n",
            8,
            "account.name",
        ),
        (
            "[[account]]\nname = \"a\"\nnetwork = \"friendster\"\n",
            9,
            "friendster",
        ),
    ];
    for (snippet, line, needle) in cases {
        let with_account = if snippet.contains("[[account]]") {
            snippet.to_string()
        } else {
            format!("{snippet}[[account]]\nname = \"ok\"\nnetwork = \"log\"\n")
        };
        let s = Setup::new("span.xml", &with_account);
        let assert = s.encore(&["check"]).code(78);
        let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        let prefix = format!("encore: {}:{line}:", s.config().display());
        assert!(err.starts_with(&prefix), "{snippet:?}: {err}");
        assert!(
            err.contains(needle),
            "{snippet:?}: {err} should mention {needle}"
        );
    }
    // No account at all, and a missing file.
    let s = Setup::new("span.xml", "");
    let err = String::from_utf8(s.encore(&["check"]).code(78).get_output().stderr.clone()).unwrap();
    assert!(err.contains(":1:1: no [[account]] defined"), "{err}");
    Command::cargo_bin("encore")
        .unwrap()
        .args(["--config", "/nonexistent/encore.toml", "check"])
        .assert()
        .code(78);
}

fn at(v: &serde_json::Value, key: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v[key].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn preview_honours_age_window_exclusions_limits_and_hashtags_first() {
    let s = Setup::new("span.xml", ACCOUNTS);
    let posts = s.preview_json(&["--now", NOW, "--seed", "3", "--days", "60"]);
    // 41 articles over 200 days, a 90-day cooldown: the window holds about a dozen articles per
    // account, and each is used once; later slots find nothing (and are skipped, not filled).
    assert!(posts.len() >= 20, "only {} posts", posts.len());
    let excluded = [fold("Actualités"), fold("Événements")];
    let mut seen = std::collections::HashMap::new();
    for p in &posts {
        let when = at(p, "at");
        let age = when - at(p, "published");
        assert!(
            age >= Duration::days(30) && age <= Duration::days(90),
            "age {age} at share time: {p}"
        );
        let cats: Vec<String> = p["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        assert!(
            !cats.iter().any(|c| excluded.contains(&fold(c))),
            "excluded category: {p}"
        );
        let network = match p["network"].as_str().unwrap() {
            "x" => NetworkKind::X,
            "bluesky" => NetworkKind::Bluesky,
            other => panic!("{other}"),
        };
        let text = p["text"].as_str().unwrap();
        let rule = network.length_rule();
        assert_eq!(
            p["length"].as_u64().unwrap() as usize,
            rule.count(text),
            "{p}"
        );
        assert!(rule.fits(text), "{p}");
        let tags: Vec<&str> = p["hashtags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(
            !tags.is_empty(),
            "every fixture article has categories: {p}"
        );
        assert!(text.starts_with(&tags.join(" ")), "hashtags first: {text}");
        assert!(text.ends_with(p["url"].as_str().unwrap()), "{text}");
        assert!(
            p["at"].as_str().unwrap().ends_with("+02:00"),
            "local offset in June: {p}"
        );
        // Cooldown (90 days) inside the simulated period: never the same article twice per account.
        let key = (
            p["account"].as_str().unwrap().to_string(),
            p["url"].as_str().unwrap().to_string(),
        );
        assert!(
            seen.insert(key, when).is_none(),
            "repeated within cooldown: {p}"
        );
    }
    assert!(posts.iter().any(|p| p["account"] == "blog-bsky"));
}

#[test]
fn preview_is_deterministic_and_writes_no_history() {
    let s = Setup::new("span.xml", ACCOUNTS);
    let args = ["preview", "--now", NOW, "--seed", "11", "--days", "14"];
    let a = s.encore(&args).success().get_output().stdout.clone();
    let b = s.encore(&args).success().get_output().stdout.clone();
    assert_eq!(a, b);
    let fresh = Setup::new("span.xml", ACCOUNTS);
    assert_eq!(
        fresh.encore(&args).success().get_output().stdout.clone(),
        a,
        "same output from a fresh state"
    );
    let other = s
        .encore(&["preview", "--now", NOW, "--seed", "12", "--days", "14"])
        .success()
        .get_output()
        .stdout
        .clone();
    assert_ne!(other, a, "the seed matters");
    let text = String::from_utf8(a).unwrap();
    assert!(text.contains("CEST"), "local times: {text}");
    let archive = Archive::open(&s.state()).unwrap();
    assert_eq!(archive.len(), 41, "the archive was updated");
    assert!(
        archive.history("blog-x").unwrap().is_empty(),
        "no share history written"
    );
    assert!(archive.history("blog-bsky").unwrap().is_empty());
}

#[test]
fn preview_respects_real_history_cooldown() {
    let s = Setup::new("span.xml", ACCOUNTS);
    let first = s.preview_json(&["--now", NOW, "--seed", "5", "--days", "1"]);
    let chosen = first.iter().find(|p| p["account"] == "blog-x").unwrap();
    let url = chosen["url"].as_str().unwrap().to_string();
    let key = encore::article_key(&url).unwrap();
    {
        let archive = Archive::open(&s.state()).unwrap();
        let when = at(chosen, "at") - Duration::days(20);
        archive
            .settle(&ShareRecord {
                at: when,
                account: "blog-x".into(),
                article_key: Some(key.clone()),
                url: Some(url.clone()),
                slot: when,
                outcome: Outcome::Shared,
                post_id: Some("1".into()),
                detail: String::new(),
                wording: None,
            })
            .unwrap();
        archive.flush().unwrap();
    }
    let posts = s.preview_json(&["--now", NOW, "--seed", "5", "--days", "30"]);
    assert!(!posts.iter().any(|p| p["account"] == "blog-x"
        && encore::article_key(p["url"].as_str().unwrap()).unwrap() == key));
}

#[test]
fn broken_feed_is_skipped_and_the_archive_keeps_serving() {
    let s = Setup::new("span.xml", ACCOUNTS);
    let before = s.preview_json(&["--now", NOW, "--seed", "2", "--days", "3"]);
    assert!(!before.is_empty());
    let config = std::fs::read_to_string(s.config()).unwrap();
    let broken = config.replace(
        &fixture("span.xml").display().to_string(),
        &fixture("broken.xml").display().to_string(),
    );
    std::fs::write(s.config(), broken).unwrap();
    let assert = s
        .encore(&[
            "preview", "--format", "json", "--now", NOW, "--seed", "2", "--days", "3",
        ])
        .success();
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("feed skipped") && err.contains("not a valid RSS"),
        "{err}"
    );
    let after: Vec<serde_json::Value> = String::from_utf8(assert.get_output().stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(after, before);
}

#[test]
fn every_feed_format_previews() {
    for (feed, now) in [
        ("wordpress.xml", "2026-06-01T08:00:00Z"),
        ("atom.xml", "2026-05-20T08:00:00Z"),
        ("feed.json", "2026-05-15T08:00:00Z"),
        ("latin1.xml", "2026-05-20T08:00:00Z"),
    ] {
        let s = Setup::new(feed, ACCOUNTS);
        let posts = s.preview_json(&["--now", now, "--seed", "1", "--days", "2"]);
        assert!(!posts.is_empty(), "{feed}: nothing planned");
    }
}

#[test]
fn bad_now_is_a_usage_error() {
    let s = Setup::new("span.xml", ACCOUNTS);
    s.encore(&["preview", "--now", "yesterday"]).code(2);
}

#[test]
fn bundled_demo_works_offline() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo.toml");
    let text = std::fs::read_to_string(&demo).unwrap().replace(
        "../target/encore-demo-state",
        &dir.path().join("state").display().to_string(),
    );
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!(".demo-test-{}.toml", std::process::id()));
    std::fs::write(&cfg, text).unwrap();
    let out = Command::cargo_bin("encore")
        .unwrap()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "preview",
            "--now",
            "2026-12-01T08:00:00+01:00",
            "--seed",
            "1",
        ])
        .output()
        .unwrap();
    std::fs::remove_file(&cfg).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("demo-log (log)") && text.contains("demo-mastodon (mastodon)"),
        "{text}"
    );
    assert!(
        !text.contains("skipped"),
        "the demo has enough articles for a week: {text}"
    );
}

#[test]
fn reference_config_is_valid() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let out = Command::cargo_bin("encore")
        .unwrap()
        .args(["--config", example.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("account \"blog-masto\" (mastodon)"), "{text}");
    for network in ["threads", "linkedin", "telegram"] {
        assert!(
            text.contains(&format!("account \"blog-{network}\" ({network})")),
            "{network}: {text}"
        );
    }
    assert!(
        text.contains("cadence  auto, 40% of the account's own volume"),
        "auto is the reference's mode: {text}"
    );
    assert!(text.contains("fixed, 1 per day"), "{text}");
}

/// Sends SIGTERM to a running `encore run` once it has logged `ready_line`; returns its stderr,
/// exit status and how long the stop took.
fn run_and_stop(
    s: &Setup,
    args: &[&str],
    ready_line: &str,
) -> (String, std::process::ExitStatus, std::time::Duration) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    cmd.arg("--config")
        .arg(s.config())
        .args(args)
        .env_remove("RUST_LOG");
    support::run_until_then_term(cmd, ready_line)
}

#[test]
fn run_stops_cleanly_on_sigterm_and_dry_run_says_so() {
    let s = Setup::new(
        "span.xml",
        "[[account]]\nname = \"blog-log\"\nnetwork = \"log\"\n",
    );
    let (log, status, took) = run_and_stop(&s, &["run", "--dry-run", "--now", NOW], "started");
    assert!(log.contains("dry run: nothing will be posted"), "{log}");
    assert!(
        log.contains("next slot"),
        "one line per account at start: {log}"
    );
    assert!(log.contains("feed read"), "{log}");
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    assert!(log.contains("stopped"), "{log}");
    {
        let archive = Archive::open(&s.state()).unwrap();
        assert!(archive.all_history().unwrap().is_empty());
    }

    let (log, status, _) = run_and_stop(&s, &["run"], "started");
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(!log.contains("dry run"), "{log}");
}

#[test]
fn run_refuses_accounts_it_cannot_set_up() {
    let s = Setup::new("span.xml", ACCOUNTS);
    // A secret that is not there is found at start, not at the first slot.
    let assert = s
        .encore_cmd(&["run"])
        .env_remove("X_CONSUMER_KEY")
        .assert()
        .code(78);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("blog-x") && err.contains("X_CONSUMER_KEY is not set"),
        "{err}"
    );
    // With the X secrets present, the next account's app password is missing.
    let assert = s
        .encore_cmd(&["run"])
        .env("X_CONSUMER_KEY", "k")
        .env("X_CONSUMER_SECRET", "cs")
        .env("X_ACCESS_TOKEN", "t")
        .env("X_ACCESS_TOKEN_SECRET", "ts")
        .env_remove("BSKY_APP_PASSWORD")
        .assert()
        .code(78);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("blog-bsky")
            && err.contains("app_password")
            && err.contains("BSKY_APP_PASSWORD is not set"),
        "{err}"
    );
}

#[test]
fn history_lists_records_newest_first() {
    let s = Setup::new("span.xml", ACCOUNTS);
    let empty = s.encore(&["history"]).success().get_output().stdout.clone();
    let empty = String::from_utf8(empty).unwrap();
    let lines: Vec<&str> = empty.lines().collect();
    assert_eq!(lines.len(), 2, "{empty}");
    assert!(
        lines[0].starts_with("spend ")
            && lines[0].contains("blog-x")
            && lines[0].ends_with("0 posts x $0.20 = $0.00"),
        "X costs money, so its month's spend is shown: {empty}"
    );
    assert_eq!(lines[1], "no history yet");
    {
        let archive = Archive::open(&s.state()).unwrap();
        let t = DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for (i, outcome) in [Outcome::Shared, Outcome::Failed, Outcome::Skipped]
            .into_iter()
            .enumerate()
        {
            archive
                .settle(&ShareRecord {
                    at: t + Duration::hours(i as i64),
                    account: "blog-x".into(),
                    article_key: Some("blog.example.org/a".into()),
                    url: Some("https://blog.example.org/a/".into()),
                    slot: t + Duration::hours(i as i64),
                    outcome,
                    post_id: (outcome == Outcome::Shared).then(|| "123".to_string()),
                    detail: format!("detail {i}"),
                    wording: None,
                })
                .unwrap();
        }
    }
    let out = s
        .encore(&["history", "--format", "json", "--account", "blog-x"])
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["skipped", "failed", "shared"]);
    assert_eq!(lines[2]["post_id"], "123");
    assert_eq!(lines[2]["network"], "x");
    assert_eq!(lines[2]["at"], "2026-05-01T12:00:00+02:00");
    s.encore(&["history", "--account", "nobody"]).code(64);
    // A share made now is billed this month; the May ones are not.
    {
        let archive = Archive::open(&s.state()).unwrap();
        let now = Utc::now();
        archive
            .settle(&ShareRecord {
                at: now,
                account: "blog-x".into(),
                article_key: Some("blog.example.org/b".into()),
                url: Some("https://blog.example.org/b/".into()),
                slot: now,
                outcome: Outcome::Shared,
                post_id: Some("124".into()),
                detail: "now".into(),
                wording: None,
            })
            .unwrap();
    }
    let text = s.encore(&["history"]).success().get_output().stdout.clone();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("1 posts x $0.20 = $0.20"),
        "{text}"
    );
}

#[test]
fn status_history_and_preview_work_while_the_daemon_runs() {
    let s = Setup::new(
        "span.xml",
        "[select]\ncheck_link = false\n[[account]]\nname = \"auto-log\"\nnetwork = \"log\"\n[[account]]\nname = \"fixed-log\"\nnetwork = \"log\"\n[account.cadence]\nper_day = 2\n",
    );
    let bin = assert_cmd::cargo::cargo_bin("encore");
    let mut daemon = std::process::Command::new(bin)
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(s.config())
        .args(["run"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The daemon and the commands share one SQLite state: status reads it as the daemon
    // writes it, once the daemon has said it runs.
    let status = || {
        let out = s
            .encore(&["status", "--now", NOW])
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let running = format!("daemon   running (pid {})", daemon.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let text = loop {
        let text = status();
        if text.contains(&running) || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(text.contains(&running), "{text}");
    assert!(text.contains("from the state in "), "{text}");
    assert!(text.contains("auto-log (log), auto mode"), "{text}");
    assert!(
        text.contains("assumed"),
        "no post count on the log network: {text}"
    );
    assert!(text.contains("fixed-log (log), fixed mode"), "{text}");
    assert!(text.contains("feed     last read"), "{text}");
    let out = s
        .encore(&["status", "--now", NOW, "--format", "json"])
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["accounts"].as_array().unwrap().len(), 2);
    assert!(v["archived"].as_u64().unwrap() > 10, "{v}");

    s.encore(&["history"]).success();
    let auto_posts = |volume: &str| {
        s.preview_json(&["--now", NOW, "--seed", "3", "--volume", volume])
            .iter()
            .filter(|p| p["account"] == "auto-log")
            .count()
    };
    let (quiet, lively) = (auto_posts("0"), auto_posts("10"));
    assert!(quiet <= 1, "0/day: one a week at most, got {quiet}");
    assert!(
        lively >= 7,
        "10/day: 3 a day (as far as articles last), got {lively}"
    );

    let _ = std::process::Command::new("kill")
        .arg(daemon.id().to_string())
        .status();
    let done = daemon.wait().unwrap();
    assert!(done.success(), "SIGTERM ends the daemon cleanly: {done:?}");
    // Stopped: status reads the same state and says the daemon is gone.
    let text = status();
    assert!(text.contains("daemon   not running"), "{text}");
}

#[test]
fn check_quiet_is_silent_on_success_and_fails_like_the_daemon_would() {
    let s = Setup::new(
        "span.xml",
        "[[account]]\nname = \"blog-masto\"\nnetwork = \"mastodon\"\ninstance = \"https://mastodon.example\"\naccess_token = \"env:ENCORE_TEST_MASTO_TOKEN\"\n",
    );
    let ok = s
        .encore_cmd(&["check", "--quiet"])
        .env("ENCORE_TEST_MASTO_TOKEN", "tok")
        .assert()
        .success();
    assert!(ok.get_output().stdout.is_empty(), "{ok:?}");
    // A secret the daemon could not read fails the check (plain `check` only warns).
    let missing = s
        .encore_cmd(&["check", "--quiet"])
        .env_remove("ENCORE_TEST_MASTO_TOKEN")
        .assert()
        .code(78);
    let err = String::from_utf8(missing.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("blog-masto") && err.contains("ENCORE_TEST_MASTO_TOKEN is not set"),
        "{err}"
    );
    s.encore_cmd(&["check"])
        .env_remove("ENCORE_TEST_MASTO_TOKEN")
        .assert()
        .success();
}
