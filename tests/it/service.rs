//! `encore run` under a service manager: the notify protocol (READY, STATUS, WATCHDOG,
//! RELOADING, STOPPING) spoken to a Unix datagram socket that stands in for systemd, SIGHUP
//! reloads (a broken config is rejected and the old one goes on posting), SIGTERM.

use crate::support;

use chrono::{DateTime, Duration, Utc};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Instant;
use support::{spawn_logged, wait_after, wait_for};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

const NOW: &str = "2026-06-01T08:00:00+02:00";

fn config_text(accounts: &str) -> String {
    format!(
        "timezone = \"Europe/Paris\"\nstate_dir = \"state\"\n\n[feed]\nurl = {:?}\n\n[select]\ncheck_link = false\n\n[cadence]\nmode = \"fixed\"\nper_day = 2\n\n{accounts}",
        fixture("span.xml").display().to_string()
    )
}

const ONE: &str = "[[account]]\nname = \"blog-log\"\nnetwork = \"log\"\n";
const TWO: &str = "[[account]]\nname = \"blog-log\"\nnetwork = \"log\"\n\n[[account]]\nname = \"second\"\nnetwork = \"log\"\n";

fn encore(config: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    c.env_remove("RUST_LOG")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .arg("--config")
        .arg(config);
    c
}

fn kill(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn notify_protocol_reload_and_stop() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, config_text(ONE)).unwrap();

    // The first slot after NOW, with this installation's seed.
    let first = support::first_planned(&config, NOW);
    let slot: DateTime<Utc> = first["at"].as_str().unwrap().parse().unwrap();
    let title = first["title"].as_str().unwrap().to_string();

    // systemd's side: a datagram socket, and a watchdog of 400 ms (fed every 200 ms).
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    let (ntx, nrx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 4096];
        while let Ok(n) = sock.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).replace('\n', " | ");
            if ntx.send(msg).is_err() {
                break;
            }
        }
    });

    // Start 8 seconds before the slot, in a dry run (the clock is set from there).
    let start = (slot - Duration::seconds(8)).to_rfc3339();
    let mut cmd = encore(&config);
    cmd.args(["run", "--dry-run", "--now", &start])
        .env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", "400000");
    let (mut child, lrx) = spawn_logged(cmd);
    let (mut notes, mut log) = (Vec::new(), Vec::new());

    let ready = wait_for(&nrx, &mut notes, "READY=1", 20);
    assert!(
        ready.contains("STATUS=dry run: 1 account,") && ready.contains("next post"),
        "a status a human reads: {ready}"
    );
    assert!(
        ready.contains("blog-log"),
        "the next post's account: {ready}"
    );
    wait_for(&nrx, &mut notes, "WATCHDOG=1", 5);

    // A broken config and SIGHUP: rejected with file, line and key; the old config goes on.
    std::fs::write(
        &config,
        config_text(ONE).replace("per_day = 2", "per_day = \"two\""),
    )
    .unwrap();
    kill(child.id(), "-HUP");
    let marker = notes.len();
    let reloading = wait_after(&nrx, &mut notes, marker, "RELOADING=1", 10);
    assert!(reloading.contains("MONOTONIC_USEC="), "{reloading}");
    let rejected = wait_for(&lrx, &mut log, "reload rejected", 10);
    assert!(
        rejected.contains("config.toml:") && rejected.contains("per_day"),
        "the error names the file, line and key: {rejected}"
    );
    let pos = notes
        .iter()
        .rposition(|n| n.contains("RELOADING=1"))
        .unwrap();
    let ready_again = wait_after(&nrx, &mut notes, pos, "READY=1", 10);
    assert!(
        ready_again.contains("last reload rejected"),
        "{ready_again}"
    );
    let posted = wait_for(&lrx, &mut log, "would post", 20);
    assert!(
        posted.contains("blog-log") && posted.contains(&title),
        "the old config still posts at its slot: {posted}"
    );
    // The status moves on to the next slot and still says the reload was rejected.
    let after_post = notes.len();
    let moved = wait_after(&nrx, &mut notes, after_post, "STATUS=", 10);
    assert!(
        moved.contains("last reload rejected") && !moved.contains("READY=1"),
        "{moved}"
    );

    // A valid config with a second account and SIGHUP: taken without a restart.
    std::fs::write(&config, config_text(TWO)).unwrap();
    let marker = notes.len();
    kill(child.id(), "-HUP");
    let reloaded = wait_for(&lrx, &mut log, "config reloaded", 10);
    assert!(reloaded.contains("added: second"), "{reloaded}");
    wait_after(&nrx, &mut notes, marker, "RELOADING=1", 10);
    let pos = notes
        .iter()
        .rposition(|n| n.contains("RELOADING=1"))
        .unwrap();
    let ready2 = wait_after(&nrx, &mut notes, pos, "READY=1", 10);
    assert!(ready2.contains("2 accounts"), "{ready2}");
    assert!(
        !ready2.contains("rejected"),
        "a good reload clears it: {ready2}"
    );

    // SIGTERM: STOPPING=1, exit 0 within 10 s.
    let stop = Instant::now();
    kill(child.id(), "-TERM");
    let status = child.wait().unwrap();
    let took = stop.elapsed();
    assert_eq!(status.code(), Some(0));
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    wait_for(&nrx, &mut notes, "STOPPING=1", 5);
    let fed = notes.iter().filter(|n| n.contains("WATCHDOG=1")).count();
    assert!(fed >= 10, "fed every 200 ms for seconds: {fed}");
}

#[test]
fn sigterm_flushes_the_state_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, config_text(ONE)).unwrap();
    let mut cmd = encore(&config);
    cmd.arg("run");
    let (log, status, took) = support::run_until_then_term(cmd, "started");
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    // The state opens at once (the lock is released) and holds the feed read before the stop.
    let archive = encore::Archive::open(&dir.path().join("state")).unwrap();
    assert_eq!(archive.len(), 41);
    let status: Option<encore::FeedStatus> =
        archive.meta_json(encore::state_key::FEED_STATUS).unwrap();
    assert!(status.unwrap().result.starts_with("ok"));
}
