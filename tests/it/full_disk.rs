//! A full disk under a running daemon: the state directory is a small tmpfs, filled to the
//! last byte while `encore run` posts (test clock, one post every half second). Nothing may
//! be posted that cannot be recorded; the daemon must stay up, say so once, and start over
//! by itself once space is freed, with a history that matches what the instance made.
//!
//! Mounting a tmpfs needs root (CI runs as root); elsewhere the test says why it did nothing.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::Duration;
use support::fake_mastodon::FakeMastodon;
use support::fast;

/// Unmounts the tmpfs however the test ends.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("--lazy")
            .arg(&self.0)
            .status();
    }
}

/// Writes zeros into `path` until the file system refuses.
fn fill(path: &Path) -> u64 {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 64 << 10];
    let mut written = 0;
    while f.write_all(&block).is_ok() {
        written += block.len() as u64;
    }
    // The last partial block, byte-sized.
    while f.write_all(&[0u8; 512]).is_ok() {
        written += 512;
    }
    let _ = f.sync_all();
    written
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn log(dir: &Path) -> String {
    fast::log(dir, "run.log")
}

fn wait(dir: &Path, secs: u64, what: &str, ok: impl FnMut() -> bool) {
    fast::wait(dir, "run.log", secs, what, ok)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_posting_without_stopping_the_daemon_and_it_resumes() {
    if !fast::is_root() {
        crate::support::skipped("mounting a tmpfs needs root; CI runs as root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fs = dir.path().join("fs");
    std::fs::create_dir(&fs).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
        .arg(&fs)
        .status()
        .unwrap();
    assert!(mounted.success(), "root could not mount a tmpfs");
    let _mount = Mount(fs.clone());

    let (clock, shared) = fast::clock();
    let fake = FakeMastodon::start().await;
    fake.state.lock().unwrap().clock = Some(shared);
    let state = fs.join("state");
    std::fs::write(
        dir.path().join("config.toml"),
        fast::config(&fake.base, &state),
    )
    .unwrap();
    let mut daemon = fast::spawn(dir.path(), &clock, "run.log");
    let posts = || fake.statuses().len();
    wait(dir.path(), 30, "3 posts", || posts() >= 3);

    // The disk fills up under the running daemon.
    let ballast = fs.join("ballast");
    let filled = fill(&ballast);
    wait(dir.path(), 30, "the state failure", || {
        log(dir.path()).contains("cannot write the state")
    });
    let at_failure = posts();
    let lines_at_failure = log(dir.path()).lines().count();
    let rss_at_failure = rss_kib(daemon.id());
    // Three seconds are six hours (six slots) of the daemon's time.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        daemon.try_wait().unwrap().is_none(),
        "the daemon ended\n{}",
        log(dir.path())
    );
    let during = posts() - at_failure;
    let outage_log = log(dir.path());
    let outage_lines = outage_log.lines().count() - lines_at_failure;
    let rss_after = rss_kib(daemon.id());
    assert_eq!(during, 0, "posted while the state could not record it");
    assert_eq!(
        outage_log.matches("cannot write the state").count(),
        1,
        "said once\n{outage_log}"
    );
    assert!(
        outage_lines <= 1,
        "{outage_lines} log lines while waiting\n{outage_log}"
    );
    assert!(
        rss_after < rss_at_failure + 4096,
        "memory grew while waiting: {rss_at_failure} → {rss_after} KiB"
    );

    // Space comes back: the daemon starts over by itself and posts again.
    std::fs::remove_file(&ballast).unwrap();
    wait(dir.path(), 30, "the start-over", || {
        log(dir.path()).contains("can be written again")
    });
    wait(dir.path(), 30, "posts after the start-over", || {
        posts() >= at_failure + 3
    });
    assert!(
        fast::terminate(&mut daemon).success(),
        "{}",
        log(dir.path())
    );

    if std::env::var_os("ENCORE_SHOW_LOG").is_some() {
        println!("{}", log(dir.path()));
    }
    let audit = fast::audit(&state, &fake.statuses());
    println!(
        "full disk: {filled} bytes of ballast; {at_failure} posts before the failure, 0 during \
         ({outage_lines} log lines in 3 s, RSS {rss_at_failure} → {rss_after} KiB), {} in all; \
         {} shares, {} uncertain, duplicates {}, lost {}",
        audit.posts,
        audit.shared,
        audit.uncertain,
        audit.duplicates,
        audit.lost.len()
    );
    assert_eq!(audit.pending, 0, "every intent settled");
    assert_eq!(audit.duplicates, 0);
    assert!(audit.lost.is_empty(), "lost: {:?}", audit.lost);
    assert!(audit.phantom.is_empty(), "phantom: {:?}", audit.phantom);
}
