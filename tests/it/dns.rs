//! DNS failure: the blog's host and one instance's host do not resolve. Encore runs in its
//! own mount namespace with a resolv.conf pointing at a DNS server of the test's own on
//! 127.0.0.3:53 that answers NXDOMAIN to everything, so the failure goes through the system's
//! real resolver and nothing leaves the machine. The feed read fails with one warning and the
//! archive keeps serving; the account whose instance cannot be found fails its slots (nothing
//! recorded as shared, a few lines a slot); the other account posts on time.
//!
//! Needs root (a mount namespace and port 53); elsewhere the test says why it did nothing.

use crate::support;

use encore::{Archive, Outcome};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::fake_mastodon::{FakeMastodon, TOKEN};
use support::fast;

const RESOLVER: &str = "127.0.0.3";

/// A DNS server that answers every query with NXDOMAIN ("no such name"), counting them.
fn nxdomain_server() -> Arc<AtomicUsize> {
    let socket = std::net::UdpSocket::bind((RESOLVER, 53)).expect("bind the test resolver");
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let q = &buf[..n];
            // Header (12 bytes), then the question: a name (labels ending in 0), type, class.
            let mut end = 12;
            while end < n && q[end] != 0 {
                end += 1 + q[end] as usize;
            }
            end += 5;
            if n < 12 || end > n {
                continue;
            }
            count.fetch_add(1, Ordering::Relaxed);
            let mut answer = q[..end].to_vec();
            answer[2] = 0x80 | (q[2] & 0x01); // a response; recursion desired as asked
            answer[3] = 0x83; // recursion available; NXDOMAIN
            answer[6..12].fill(0); // no answer, authority or additional records
            let _ = socket.send_to(&answer, from);
        }
    });
    asked
}

/// Two accounts: one on the fake instance (an IP, no lookup), one on a host that does not
/// resolve. One feed read at start within the test's 8 hours of test clock (a 16 h refresh is
/// counted from the start).
fn config(good: &str, state: &Path, feed: &str) -> String {
    fast::config_with(
        feed,
        r#"refresh = "16h""#,
        &[("good", good), ("nowhere", "https://masto.invalid")],
        state,
    )
}

fn log(dir: &Path) -> String {
    fast::log(dir, "run.log")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unresolvable_hosts_cost_a_warning_and_the_failing_accounts_slots() {
    if !fast::is_root() {
        support::skipped("a mount namespace and port 53 need root; CI runs as root");
        return;
    }
    let asked = nxdomain_server();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(
        &resolv,
        format!("nameserver {RESOLVER}\noptions timeout:1 attempts:1\n"),
    )
    .unwrap();
    let (clock, shared) = fast::clock();
    let fake = FakeMastodon::start().await;
    fake.state.lock().unwrap().clock = Some(shared);

    // First the archive, from the feed as a file.
    let file_feed = support::fixture("span.xml").display().to_string();
    std::fs::write(
        dir.path().join("config.toml"),
        config(&fake.base, &state, &file_feed),
    )
    .unwrap();
    let mut first = fast::spawn(dir.path(), &clock, "first.log");
    fast::wait(
        dir.path(),
        "first.log",
        20,
        "the first run's feed read",
        || fast::log(dir.path(), "first.log").contains("feed read"),
    );
    assert!(fast::terminate(&mut first).success());
    let before = fake.statuses().len();

    // Then the blog's host stops resolving, as does the second instance's.
    std::fs::write(
        dir.path().join("config.toml"),
        config(&fake.base, &state, "https://blog.invalid/feed/"),
    )
    .unwrap();
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec {} --config config.toml run --test-clock {clock}",
        resolv.display(),
        assert_cmd::cargo::cargo_bin("encore").display()
    );
    let mut daemon = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .current_dir(dir.path())
        .env("ENCORE_FAST_TOKEN", TOKEN)
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("run.log")).unwrap())
        .spawn()
        .unwrap();
    // Four seconds are eight hours (about eight slots per account) of the daemon's time.
    let deadline = Instant::now() + Duration::from_secs(4);
    while Instant::now() < deadline {
        assert!(
            daemon.try_wait().unwrap().is_none(),
            "the daemon ended\n{}",
            log(dir.path())
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        fast::terminate(&mut daemon).success(),
        "{}",
        log(dir.path())
    );
    let log = log(dir.path());
    if std::env::var_os("ENCORE_SHOW_LOG").is_some() {
        println!("{log}");
    }

    let archive = Archive::open(&state).unwrap();
    let good = archive.history("good").unwrap();
    let nowhere = archive.history("nowhere").unwrap();
    let good_shares = good.iter().filter(|r| r.outcome == Outcome::Shared).count();
    let failed: Vec<_> = nowhere
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .collect();
    let nowhere_lines = log
        .lines()
        .filter(|l| l.contains("account=nowhere"))
        .count();
    let feed_lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("blog.invalid") || l.contains("feed read failed"))
        .collect();
    println!(
        "dns: {} queries answered NXDOMAIN; feed: {} log line(s); good: {} posts, {good_shares} \
         shares; nowhere: {} failed slots, {} shares, {nowhere_lines} log lines",
        asked.load(Ordering::Relaxed),
        feed_lines.len(),
        fake.statuses().len() - before,
        failed.len(),
        nowhere
            .iter()
            .filter(|r| r.outcome == Outcome::Shared)
            .count(),
    );
    assert!(
        asked.load(Ordering::Relaxed) > 0,
        "the resolver was never asked\n{log}"
    );
    // The feed: one warning that says why, and the archive keeps serving.
    assert_eq!(feed_lines.len(), 1, "{log}");
    assert!(
        feed_lines[0].contains("dns error") || feed_lines[0].contains("resolve"),
        "{}",
        feed_lines[0]
    );
    assert_eq!(good_shares, fake.statuses().len());
    assert!(
        fake.statuses().len() - before >= 3,
        "posted while the feed was gone"
    );
    // The lost instance: its slots fail, say why, and nothing is recorded as shared.
    assert!(!failed.is_empty(), "{log}");
    assert!(nowhere.iter().all(|r| r.outcome != Outcome::Shared));
    for r in &failed {
        assert!(r.detail.contains("dns error"), "{r:?}");
    }
    // Each failed slot says why once: one warning per failed record, naming its article, in
    // either run's log (a count of all the account's lines would depend on how far the stop
    // cut a slot short, and on how many slots the first run reached under load).
    let both = fast::log(dir.path(), "first.log") + &log;
    let mut said: Vec<&str> = both
        .lines()
        .filter(|l| l.contains("account=nowhere") && l.contains("WARN not shared:"))
        .filter_map(|l| l.split("url=").nth(1).map(str::trim))
        .collect();
    let mut recorded: Vec<&str> = failed.iter().filter_map(|r| r.url.as_deref()).collect();
    said.sort_unstable();
    recorded.sort_unstable();
    assert_eq!(
        said, recorded,
        "one warning per failed slot\n{failed:#?}\n{log}"
    );
}
