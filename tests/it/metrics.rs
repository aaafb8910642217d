//! The metrics endpoint of a running daemon: what it says after a few posts and feed reads,
//! checked by Prometheus's own `promtool`, and the README's alert rules checked by it too.

use crate::support;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// `GET path` on 127.0.0.1:`port`: the status code and the body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    get_with(port, path, "")
}

/// `GET path` with extra header lines (each ending in CRLF).
fn get_with(port: u16, path: &str, headers: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n"
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

/// Opens `n` connections to 127.0.0.1:`port` and holds them until its stdin closes (20 s at
/// most to open them); prints how many it holds. Python, so that its own descriptor limit can
/// be raised for the flood without touching the test process.
const FLOOD: &str = r#"
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
port, n = int(sys.argv[1]), int(sys.argv[2])
held, deadline = [], time.time() + 20
while len(held) < n and time.time() < deadline:
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        held.append(s)
    except OSError:
        s.close()
print("held", len(held), flush=True)
sys.stdin.read()
"#;

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// 3,000 connections held open against the endpoint while the daemon reads its feed every
/// second (a 1-minute refresh on a 60× test clock): every feed read succeeds, and the daemon's
/// open descriptors stay under the endpoint's cap plus its own.
#[test]
fn a_flood_of_scrapers_costs_no_feed_read() {
    use std::io::BufRead;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let reads = std::sync::Arc::new(AtomicUsize::new(0));
    let r = reads.clone();
    let feed = std::fs::read(support::fixture("intl.xml")).unwrap();
    let blog = rt.block_on(support::http::serve(move |_| {
        r.fetch_add(1, Ordering::SeqCst);
        Some(support::http::Reply::bytes(
            200,
            "application/rss+xml",
            feed.clone(),
        ))
    }));
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let path = dir.path().join("config.toml");
    let text = format!(
        "timezone = \"UTC\"\nstate_dir = {:?}\n[metrics]\nlisten = \"127.0.0.1:{port}\"\n[feed]\nurl = \"{blog}/feed\"\nrefresh = \"1m\"\nbackfill_pages = 0\n[[account]]\nname = \"log\"\nnetwork = \"log\"\n",
        dir.path().join("state").display().to_string()
    );
    std::fs::write(&path, text).unwrap();
    let clock = format!(
        "2026-06-01T00:00:00Z,{},60",
        chrono::Utc::now().to_rfc3339()
    );
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    cmd.arg("--config")
        .arg(&path)
        .args(["run", "--test-clock", &clock])
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET");
    let (mut daemon, rx) = support::spawn_logged(cmd);
    let mut seen = Vec::new();
    support::wait_for(&rx, &mut seen, "metrics at http://127.0.0.1:", 20);
    support::wait_for(&rx, &mut seen, "feed read", 20);
    let own = open_descriptors(daemon.id());

    let mut flood = std::process::Command::new("python3")
        .args(["-c", FLOOD, &port.to_string(), "3000"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut held = String::new();
    std::io::BufReader::new(flood.stdout.take().unwrap())
        .read_line(&mut held)
        .unwrap();
    let held: usize = held.trim().trim_start_matches("held ").parse().unwrap();
    let mark = seen.len();
    let before = reads.load(Ordering::SeqCst);
    let mut most = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while reads.load(Ordering::SeqCst) < before + 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "no feed read under the flood"
        );
        most = most.max(open_descriptors(daemon.id()));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The lines the daemon logged meanwhile.
    std::thread::sleep(std::time::Duration::from_millis(300));
    while let Ok(l) = rx.try_recv() {
        seen.push(l);
    }
    drop(flood.stdin.take());
    flood.wait().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    daemon.wait().unwrap();
    let during = seen[mark..].join("\n");
    assert!(held >= 2_000, "the flood held {held} connections");
    assert!(
        !during.contains("feed skipped") && during.contains("feed read"),
        "every feed read under the flood succeeded:\n{during}"
    );
    let cap = 16;
    assert!(
        most <= own + cap + 4,
        "the daemon held {most} descriptors under a flood of {held} (its own: {own}, the cap: {cap})"
    );
    println!("metrics flood: {held} connections held, feed reads went on, at most {most} descriptors open (its own {own})");
}

/// A daemon whose `[metrics]` section ends with `access`, until it listens; its child.
fn daemon_with_metrics(dir: &Path, port: u16, access: &str) -> std::process::Child {
    let path = dir.join("config.toml");
    let text = format!(
        "timezone = \"UTC\"\nstate_dir = {:?}\n[metrics]\nlisten = \"127.0.0.1:{port}\"\n{access}\n[feed]\nurl = {:?}\nbackfill_pages = 0\n[[account]]\nname = \"log\"\nnetwork = \"log\"\n",
        dir.join("state").display().to_string(),
        support::fixture("intl.xml").display().to_string(),
    );
    std::fs::write(&path, text).unwrap();
    std::fs::write(dir.join("pw"), "scrape-PASSWORD-77").unwrap();
    std::fs::set_permissions(dir.join("pw"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    cmd.arg("--config")
        .arg(&path)
        .arg("run")
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET");
    let (child, rx) = support::spawn_logged(cmd);
    support::wait_for(&rx, &mut Vec::new(), " started", 20);
    child
}

fn term(mut child: std::process::Child) {
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
}

/// Basic authentication (the password a secret like the others) and a client allow-list.
#[test]
fn scrapers_need_the_password_and_an_allowed_address() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let pw = format!("file:{}", dir.path().join("pw").display());
    let access = format!("username = \"prometheus\"\npassword = {pw:?}");
    let child = daemon_with_metrics(dir.path(), port, &access);
    let basic = |pair: &str| {
        let b = base64::engine::general_purpose::STANDARD.encode(pair);
        format!("Authorization: Basic {b}\r\n")
    };
    let none = get(port, "/metrics");
    let wrong = get_with(port, "/metrics", &basic("prometheus:wrong-password"));
    let right = get_with(port, "/metrics", &basic("prometheus:scrape-PASSWORD-77"));
    term(child);
    assert_eq!(none.map(|r| r.0), Some(401));
    assert_eq!(wrong.map(|r| r.0), Some(401));
    let (code, body) = right.unwrap();
    assert_eq!(code, 200);
    assert!(body.contains("encore_build_info"), "{body}");

    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let child = daemon_with_metrics(dir.path(), port, "allow_from = [\"10.0.0.0/8\"]");
    let outside = get(port, "/metrics");
    term(child);
    assert_eq!(outside, None, "a client outside allow_from gets no answer");

    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let child = daemon_with_metrics(dir.path(), port, "allow_from = [\"127.0.0.0/8\"]");
    let inside = get(port, "/metrics");
    term(child);
    assert_eq!(inside.map(|r| r.0), Some(200));
}
