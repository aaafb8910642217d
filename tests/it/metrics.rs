//! The metrics endpoint of a running daemon: what it says after a few posts and feed reads,
//! checked by Prometheus's own `promtool`, and the README's alert rules checked by it too.

use crate::support;

use std::io::{Read, Write};
use std::path::Path;

/// `GET path` on 127.0.0.1:`port`: the status code and the body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}

fn promtool_present() -> bool {
    support::tool_present(
        "promtool",
        "apt-get download prometheus; dpkg-deb -x the .deb and put its usr/bin on PATH",
    )
}

/// `promtool ARGS` with `input` on stdin: its exit code and output.
fn promtool(args: &[&str], input: &str) -> (i32, String) {
    let mut child = std::process::Command::new("promtool")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn config(dir: &Path, port: u16) -> std::path::PathBuf {
    let (tech, cuisine) = support::two_feeds(dir);
    let config = format!(
        r#"timezone = "UTC"
state_dir = {state:?}

[metrics]
listen = "127.0.0.1:{port}"

[[feed]]
name = "tech"
url = {tech:?}
backfill_pages = 0

[[feed]]
name = "cuisine"
url = {cuisine:?}
backfill_pages = 0
{rules}
[[account]]
name = "both"
network = "log"

[[account]]
name = "cuisine-only"
network = "log"
feeds = ["cuisine"]
monthly_budget_usd = 5.0
"#,
        state = dir.join("state").display().to_string(),
        tech = tech.display().to_string(),
        cuisine = cuisine.display().to_string(),
        rules = support::fast::RULES,
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn a_running_daemon_serves_metrics_promtool_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let path = config(dir.path(), port);
    let (clock, _) = support::fast::clock();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    cmd.args(["--config"])
        .arg(&path)
        .args(["run", "--test-clock", &clock])
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET");
    let (mut child, rx) = support::spawn_logged(cmd);
    let mut seen = Vec::new();
    support::wait_for(&rx, &mut seen, "metrics at http://127.0.0.1:", 20);
    // A few posts on the fast clock (one an hour of its time, an hour is half a second).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let body = loop {
        let (code, body) = get(port, "/metrics").expect("the endpoint answers");
        assert_eq!(code, 200);
        let shared = |account: &str| {
            body.lines().any(|l| {
                l.starts_with("encore_posts_total{")
                    && l.contains(&format!("account=\"{account}\""))
                    && l.contains("outcome=\"shared\"")
                    && !l.ends_with(" 0")
            })
        };
        if shared("both") && shared("cuisine-only") {
            break body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no posts counted:\n{body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let (code, _) = get(port, "/other").unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    assert_eq!(code, 404);

    for needle in [
        "encore_posts_total{account=\"both\",network=\"log\",outcome=\"shared\"}",
        "encore_feed_reads_total{feed=\"tech\",result=\"ok\"} 1",
        "encore_feed_reads_total{feed=\"cuisine\",result=\"ok\"} 1",
        "encore_feed_last_success_timestamp_seconds{feed=\"cuisine\"}",
        "encore_articles{feed=\"tech\"} 41",
        "encore_articles{feed=\"cuisine\"} 41",
        "encore_articles_eligible{feed=\"tech\"}",
        "encore_intents_pending ",
        "encore_account_paused{account=\"both\",cause=\"rate_limit\"} 0",
        "encore_month_spend_usd{account=\"cuisine-only\"}",
        "encore_month_budget_usd{account=\"cuisine-only\"} 5",
        "encore_next_slot_timestamp_seconds{account=\"both\"}",
        "encore_process_resident_memory_bytes ",
        "encore_uptime_seconds ",
        "encore_build_info{version=\"",
    ] {
        assert!(body.contains(needle), "no {needle:?} in:\n{body}");
    }
    // The next slot is a real time, after the posts made.
    let next: i64 = body
        .lines()
        .find(|l| l.starts_with("encore_next_slot_timestamp_seconds{account=\"both\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(next > 1_780_000_000, "{next}");

    if promtool_present() {
        let (code, out) = promtool(&["check", "metrics"], &body);
        assert_eq!(code, 0, "promtool check metrics:\n{out}\n{body}");
    }
}

#[test]
fn the_readme_alert_rules_pass_promtool() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("```yaml\ngroups:")
        .expect("the alert rules in README.md");
    let rules = &readme[start + "```yaml\n".len()..];
    let rules = &rules[..rules.find("```").unwrap()];
    assert!(
        rules.contains("encore_posts_total")
            && rules.contains("encore_feed_last_success_timestamp_seconds")
    );
    if promtool_present() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("encore.rules.yml");
        std::fs::write(&file, rules).unwrap();
        let (code, out) = promtool(&["check", "rules", file.to_str().unwrap()], "");
        assert_eq!(code, 0, "promtool check rules:\n{out}");
    }
}

#[test]
fn the_endpoint_can_be_a_unix_socket_only_its_group_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), 9);
    let sock = dir.path().join("metrics.sock");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "listen = \"127.0.0.1:9\"",
        &format!("listen = {:?}", sock.display().to_string()),
    );
    std::fs::write(&path, text).unwrap();
    // A socket left by an earlier run is replaced.
    std::fs::write(&sock, "stale").unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    cmd.arg("--config")
        .arg(&path)
        .args(["run", "--dry-run", "--now", "2026-06-01T05:00:00Z"])
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET");
    let (mut child, rx) = support::spawn_logged(cmd);
    let mut seen = Vec::new();
    support::wait_for(&rx, &mut seen, "started", 20);
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let meta = std::fs::metadata(&sock).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(
        raw.contains("encore_feed_reads_total{feed=\"tech\",result=\"ok\"} 1"),
        "{raw}"
    );
}

#[tokio::test]
async fn a_budget_pause_is_counted_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::config(
        dir.path(),
        &support::fixture("span.xml"),
        24.0,
        "[[account]]\nname = \"thrifty\"\nnetwork = \"log\"\nmonthly_budget_usd = 0.4\ncost_per_post_usd = 0.2\n[account.cadence]\nactive_hours = \"00:00-24:00\"\nmin_spacing = \"30m\"\n",
    );
    let t0 = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 6, 1, 5, 0, 0).unwrap();
    let archive = encore::Archive::open(&cfg.state_dir).unwrap();
    encore::commands::refresh_archive(&cfg, &archive, t0)
        .await
        .unwrap();
    drop(archive);
    let mut d = support::daemon_at(&cfg, t0).await;
    support::tick_through(
        &mut d,
        t0,
        t0 + chrono::Duration::hours(6),
        chrono::Duration::minutes(5),
    )
    .await;
    let text = d.metrics_text();
    for needle in [
        "encore_posts_total{account=\"thrifty\",network=\"log\",outcome=\"shared\"} 2",
        "encore_account_paused{account=\"thrifty\",cause=\"budget\"} 1",
        "encore_account_paused{account=\"thrifty\",cause=\"rate_limit\"} 0",
        "encore_account_pauses_total{account=\"thrifty\",cause=\"budget\"} 1",
        "encore_slots_skipped_total{account=\"thrifty\",reason=\"budget\"}",
        "encore_month_spend_usd{account=\"thrifty\"} 0.4",
        "encore_month_budget_usd{account=\"thrifty\"} 0.4",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
}

/// A LinkedIn login that ends in 3 days: the daemon says so in its log at start (and hourly),
/// and the metrics carry the date, as `promtool` reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_about_to_end_is_a_warning_and_a_metric() {
    use support::fake_linkedin;
    let fake = fake_linkedin::FakeLinkedIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let ends = chrono::Utc::now() + chrono::Duration::days(3);
    encore::SessionStore::new(&dir.path().join("state"))
        .save(
            "li",
            &encore::Tokens {
                access_token: fake_linkedin::TOKEN.into(),
                refresh_token: None,
                expires_at: Some(ends),
                user_id: Some(fake_linkedin::SUB.into()),
                issued_for: None,
            },
        )
        .unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            r#"state_dir = {state:?}
[metrics]
listen = "127.0.0.1:{port}"
[feed]
url = {feed:?}
[[account]]
name = "li"
network = "linkedin"
api_base = "{base}"
client_id = "{id}"
client_secret = "env:LI_SECRET"
"#,
            state = dir.path().join("state").display().to_string(),
            feed = support::fixture("intl.xml").display().to_string(),
            base = fake.base,
            id = fake_linkedin::CLIENT_ID,
        ),
    )
    .unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    cmd.arg("--config")
        .arg(&path)
        .arg("run")
        .env("LI_SECRET", fake_linkedin::CLIENT_SECRET)
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET");
    let (mut child, rx) = support::spawn_logged(cmd);
    let mut seen = Vec::new();
    let line = tokio::task::spawn_blocking(move || {
        support::wait_for(&rx, &mut seen, "the LinkedIn login ends on", 20)
    })
    .await
    .unwrap();
    assert!(
        line.contains("run `encore auth linkedin --account li`"),
        "{line}"
    );
    let (code, body) = get(port, "/metrics").expect("the endpoint answers");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    assert_eq!(code, 200);
    let needle = format!(
        "encore_credentials_expiry_timestamp_seconds{{account=\"li\"}} {}",
        ends.timestamp()
    );
    assert!(body.contains(&needle), "no {needle:?} in:\n{body}");
    if promtool_present() {
        let (code, out) = promtool(&["check", "metrics"], &body);
        assert_eq!(code, 0, "promtool check metrics:\n{out}\n{body}");
    }
}
