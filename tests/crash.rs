//! Crash safety: `encore run` is killed with SIGKILL at random moments, many times, while it
//! posts to a fake Mastodon instance on 127.0.0.1; a share of the instance's answers come late,
//! so that some kills land while a post is in flight. Afterwards, from the fake's own record
//! and from the state: no article was posted twice within its cooldown, every status the
//! instance made is in the history, and the state opened every time.
//!
//! Time runs 7200 times faster (`encore run --test-clock`, a test-only option): one post an
//! hour is one post every half second. `ENCORE_CRASH_KILLS` sets the number of kills (30 by
//! default; `ENCORE_CRASH_KILLS=200 cargo test --test crash -- --nocapture` for the long run,
//! see TESTING.md), `ENCORE_CRASH_SEED` the random kill times.

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use encore::archive::{Archive, Outcome};
use rand::{RngExt, SeedableRng};
use std::collections::HashMap;
use std::time::Instant;
use support::fake_mastodon::{FakeMastodon, TOKEN};

const SPEED: f64 = 7200.0;

fn config(feed: &std::path::Path, instance: &str) -> String {
    format!(
        r#"timezone = "UTC"
state_dir = "state"

[feed]
url = {feed:?}

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

[[account]]
name = "crash-masto"
network = "mastodon"
instance = {instance:?}
access_token = "env:ENCORE_CRASH_TOKEN"
"#,
        feed = feed.display().to_string(),
    )
}

fn spawn(dir: &std::path::Path, clock: &str, k: usize) -> std::process::Child {
    let log = std::fs::File::create(dir.join(format!("run-{k}.log"))).unwrap();
    std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
        .current_dir(dir)
        .args(["--config", "config.toml", "run", "--test-clock", clock])
        .env("ENCORE_CRASH_TOKEN", TOKEN)
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn tail(dir: &std::path::Path, k: usize) -> String {
    std::fs::read_to_string(dir.join(format!("run-{k}.log"))).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_never_doubles_or_loses_a_post() {
    let kills: usize = std::env::var("ENCORE_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let seed: u64 = std::env::var("ENCORE_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261122);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let sim0 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let anchor = Utc::now();
    let clock = format!("{},{},{SPEED}", sim0.to_rfc3339(), anchor.to_rfc3339());
    let shared = encore::clock::ScaledClock::parse(&clock).unwrap();
    let fake = FakeMastodon::start().await;
    {
        let mut s = fake.state.lock().unwrap();
        // Every third status is made at once and answered 400 ms later.
        s.slow = Some((3, std::time::Duration::from_millis(400)));
        s.clock = Some(shared);
    }
    let dir = tempfile::tempdir().unwrap();
    let feed = support::fixture("span.xml");
    std::fs::write(dir.path().join("config.toml"), config(&feed, &fake.base)).unwrap();

    let mut in_flight = 0;
    for k in 0..kills {
        let mut child = spawn(dir.path(), &clock, k);
        let wait = rng.random_range(150..1500);
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "run {k} ended by itself ({status}): the state did not open or the daemon failed\n{}",
                tail(dir.path(), k)
            );
        }
        let slow = fake.state.lock().unwrap().slow_until;
        if slow.is_some_and(|t| Instant::now() < t) {
            in_flight += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    // One last run, stopped cleanly, settles the intent the last kill may have left.
    let mut last = spawn(dir.path(), &clock, kills);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        last.try_wait().unwrap().is_none(),
        "{}",
        tail(dir.path(), kills)
    );
    std::process::Command::new("kill")
        .args(["-TERM", &last.id().to_string()])
        .status()
        .unwrap();
    assert!(
        last.wait().unwrap().success(),
        "{}",
        tail(dir.path(), kills)
    );

    let archive = Archive::open(&dir.path().join("state")).expect("the state opens");
    assert!(
        archive.pending_intents().unwrap().is_empty(),
        "every intent settled"
    );
    let history = archive.history("crash-masto").unwrap();
    let statuses = fake.statuses();

    // Duplicates: the same article twice within the cooldown (1 day), less the grace a late
    // slot may take (6 h): 18 hours of the daemon's time.
    let mut by_article: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for s in &statuses {
        let link = s
            .text
            .split(' ')
            .find(|w| w.starts_with("https://"))
            .unwrap();
        let article = encore::feed::article_key(link).unwrap();
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
    // Lost records: a status the instance made that the history does not hold, by post id, or
    // as an uncertain share of the same article (an interrupted post the daemon could not find).
    let shared: std::collections::HashSet<&str> = history
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .filter_map(|r| r.post_id.as_deref())
        .collect();
    let uncertain: Vec<&str> = history
        .iter()
        .filter(|r| r.outcome == Outcome::Uncertain)
        .filter_map(|r| r.url.as_deref())
        .collect();
    let lost: Vec<&str> = statuses
        .iter()
        .filter(|s| !shared.contains(s.id.as_str()))
        .filter(|s| !uncertain.iter().any(|u| s.text.contains(u)))
        .map(|s| s.id.as_str())
        .collect();
    let recorded_shared = history
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .count();
    let skipped = history
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped)
        .count();
    println!(
        "crash harness (seed {seed}): {kills} kills ({in_flight} while a post was in flight), \
         {} posts made by the instance, {recorded_shared} shares and {} uncertain in the history, \
         {skipped} slots skipped; duplicates {duplicates}, lost records {}",
        statuses.len(),
        uncertain.len(),
        lost.len()
    );
    assert_eq!(duplicates, 0, "an article posted twice within its cooldown");
    assert!(
        lost.is_empty(),
        "statuses missing from the history: {lost:?}"
    );
    assert!(
        statuses.len() >= kills / 3,
        "the harness must post for its kills to mean anything: {} posts",
        statuses.len()
    );
    // Every shared record points at a status the instance really made.
    let made: std::collections::HashSet<&str> = statuses.iter().map(|s| s.id.as_str()).collect();
    for r in history.iter().filter(|r| r.outcome == Outcome::Shared) {
        let id = r.post_id.as_deref().unwrap_or("");
        assert!(made.contains(id), "a share with no status behind it: {r:?}");
    }
}
