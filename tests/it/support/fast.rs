//! A daemon on a fast test clock (`encore run --test-clock`, a test-only option) posting once
//! an hour of its time to a fake Mastodon instance, and the audit of what it did: the crash
//! and full-disk suites.

use super::fake_mastodon::{Status, TOKEN};
use chrono::{DateTime, Duration, TimeZone, Utc};
use encore::{Archive, Outcome};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One hour of the daemon's time is half a second.
pub const SPEED: f64 = 7200.0;
/// The one account.
pub const ACCOUNT: &str = "fast-masto";

/// A shared test clock starting on 2026-06-01 now: its `--test-clock` argument and the
/// clock itself (for the fake instance's dates).
pub fn clock() -> (String, encore::ScaledClock) {
    let sim0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let arg = format!("{},{},{SPEED}", sim0.to_rfc3339(), Utc::now().to_rfc3339());
    let clock = encore::ScaledClock::parse(&arg).unwrap();
    (arg, clock)
}

/// The fast daemon's rules: every article of age, 24 posts a day round the clock, a 1-day
/// cooldown, a 6-hour grace.
pub const RULES: &str = r#"
[select]
min_age_days = 0
max_age_days = 400
cooldown_days = 1
check_link = false

[cadence]
mode = "fixed"
per_day = 24
active_hours = "00:00-24:00"
min_spacing = "30m"
grace = "6h"
"#;

/// 24 posts a day, a 1-day cooldown, `tests/fixtures/span.xml`, state in `state_dir`.
pub fn config(instance: &str, state_dir: &Path) -> String {
    let feed = super::fixture("span.xml").display().to_string();
    config_with(&feed, "", &[(ACCOUNT, instance)], state_dir)
}

/// The same cadence with another feed, more `[feed]` lines, and Mastodon accounts given as
/// (name, instance), all with the token from `ENCORE_FAST_TOKEN`.
pub fn config_with(
    feed: &str,
    feed_extra: &str,
    accounts: &[(&str, &str)],
    state_dir: &Path,
) -> String {
    let mut out = format!(
        r#"timezone = "UTC"
state_dir = {state:?}

[feed]
url = {feed:?}
{feed_extra}
{RULES}"#,
        state = state_dir.display().to_string(),
    );
    for (name, instance) in accounts {
        out.push_str(&format!(
            r#"
[[account]]
name = "{name}"
network = "mastodon"
instance = {instance:?}
access_token = "env:ENCORE_FAST_TOKEN"
"#
        ));
    }
    out
}

/// `encore run` in `dir` (config.toml there) on the test clock, its log in `dir/LOG`.
pub fn spawn(dir: &Path, clock: &str, log: &str) -> std::process::Child {
    let log = std::fs::File::create(dir.join(log)).unwrap();
    std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
        .current_dir(dir)
        .args(["--config", "config.toml", "run", "--test-clock", clock])
        .env("ENCORE_FAST_TOKEN", TOKEN)
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Whether the tests run as root (/proc/self belongs to the process's effective user): the
/// suites that mount a file system or bind port 53 need it.
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        == 0
}

/// The log `name` that [`spawn`] writes in `dir` (empty until it exists).
pub fn log(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

/// Waits up to `secs` for `ok`; a timeout fails with `what` and the log `name` in `dir`.
pub fn wait(dir: &Path, name: &str, secs: u64, what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited {secs}s for {what}\n{}",
            log(dir, name)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Sends SIGTERM and waits for the exit status.
pub fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap()
}

/// What the instance made against what the state recorded.
#[derive(Debug)]
pub struct Audit {
    /// Statuses the instance made.
    pub posts: usize,
    /// Shared records in the history.
    pub shared: usize,
    /// Uncertain records (an interrupted post that could not be found).
    pub uncertain: usize,
    /// Skipped slots.
    pub skipped: usize,
    /// The same article twice within its cooldown (1 day), less the 6 h grace a late slot may
    /// take: 18 hours of the daemon's time.
    pub duplicates: usize,
    /// Statuses the history holds neither by post id nor as an uncertain share of the article.
    pub lost: Vec<String>,
    /// Shared records whose post id the instance never gave.
    pub phantom: Vec<String>,
    /// Intents left unsettled.
    pub pending: usize,
}

/// Reads the state in `state` (which must open) and compares it with the instance's record.
pub fn audit(state: &Path, statuses: &[Status]) -> Audit {
    audit_account(state, ACCOUNT, statuses)
}

/// [`audit`] for another account, whose network's posts are given as statuses.
pub fn audit_account(state: &Path, account: &str, statuses: &[Status]) -> Audit {
    let archive = Archive::open(state).expect("the state opens");
    let history = archive.history(account).unwrap();
    let mut by_article: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for s in statuses {
        let link = s
            .text
            .split(' ')
            .find(|w| w.starts_with("https://"))
            .unwrap();
        let article = encore::article_key(link).unwrap();
        by_article.entry(article).or_default().push(s.created_at);
    }
    let mut duplicates = 0;
    for times in by_article.values_mut() {
        times.sort();
        duplicates += times
            .windows(2)
            .filter(|w| w[1] - w[0] < Duration::hours(18))
            .count();
    }
    let shared: HashSet<&str> = history
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .filter_map(|r| r.post_id.as_deref())
        .collect();
    let uncertain: Vec<&str> = history
        .iter()
        .filter(|r| r.outcome == Outcome::Uncertain)
        .filter_map(|r| r.url.as_deref())
        .collect();
    let lost = statuses
        .iter()
        .filter(|s| !shared.contains(s.id.as_str()))
        .filter(|s| !uncertain.iter().any(|u| s.text.contains(u)))
        .map(|s| s.id.clone())
        .collect();
    let made: HashSet<&str> = statuses.iter().map(|s| s.id.as_str()).collect();
    let phantom = shared
        .iter()
        .filter(|id| !made.contains(*id))
        .map(|id| id.to_string())
        .collect();
    let count = |o: Outcome| history.iter().filter(|r| r.outcome == o).count();
    Audit {
        posts: statuses.len(),
        shared: count(Outcome::Shared),
        uncertain: uncertain.len(),
        skipped: count(Outcome::Skipped),
        duplicates,
        lost,
        phantom,
        pending: archive.pending_intents().unwrap().len(),
    }
}
