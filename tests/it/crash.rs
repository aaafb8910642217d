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

use crate::support;

use rand::{RngExt, SeedableRng};
use std::time::Instant;
use support::fake_mastodon::FakeMastodon;
use support::fast;

fn tail(dir: &std::path::Path, k: usize) -> String {
    fast::log(dir, &format!("run-{k}.log"))
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

    let (clock, shared) = fast::clock();
    let fake = FakeMastodon::start().await;
    {
        let mut s = fake.state.lock().unwrap();
        // Every third status is made at once and answered 400 ms later.
        s.slow = Some((3, std::time::Duration::from_millis(400)));
        s.clock = Some(shared);
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(
        dir.path().join("config.toml"),
        fast::config(&fake.base, &state),
    )
    .unwrap();

    let slow = || fake.state.lock().unwrap().slow_until;
    let in_flight = kill_many(dir.path(), &clock, kills, &mut rng, slow).await;
    let audit = fast::audit(&state, &fake.statuses());
    println!(
        "crash harness (seed {seed}): {kills} kills ({in_flight} while a post was in flight), \
         {} posts made by the instance, {} shares and {} uncertain in the history, \
         {} slots skipped; duplicates {}, lost records {}",
        audit.posts,
        audit.shared,
        audit.uncertain,
        audit.skipped,
        audit.duplicates,
        audit.lost.len()
    );
    assert_eq!(audit.pending, 0, "every intent settled");
    assert_eq!(
        audit.duplicates, 0,
        "an article posted twice within its cooldown"
    );
    assert!(
        audit.lost.is_empty(),
        "statuses missing from the history: {:?}",
        audit.lost
    );
    assert!(
        audit.posts >= kills / 3,
        "the harness must post for its kills to mean anything: {} posts",
        audit.posts
    );
    assert!(
        audit.phantom.is_empty(),
        "shares with no status behind them: {:?}",
        audit.phantom
    );
}

/// Starts `encore run` in `dir` and kills it with SIGKILL after a random 150–1500 ms, `kills`
/// times, then runs it once more and stops it cleanly (settling what the last kill left).
/// Returns how many kills landed while a post was in flight (`slow_until`: when the fake's
/// last slow answer goes out).
async fn kill_many(
    dir: &std::path::Path,
    clock: &str,
    kills: usize,
    rng: &mut rand::rngs::StdRng,
    slow_until: impl Fn() -> Option<Instant>,
) -> usize {
    let mut in_flight = 0;
    for k in 0..kills {
        let mut child = fast::spawn(dir, clock, &format!("run-{k}.log"));
        let wait = rng.random_range(150..1500);
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "run {k} ended by itself ({status}): the state did not open or the daemon failed\n{}",
                tail(dir, k)
            );
        }
        if slow_until().is_some_and(|t| Instant::now() < t) {
            in_flight += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let mut last = fast::spawn(dir, clock, &format!("run-{kills}.log"));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(last.try_wait().unwrap().is_none(), "{}", tail(dir, kills));
    assert!(fast::terminate(&mut last).success(), "{}", tail(dir, kills));
    in_flight
}

/// The same harness on Threads, whose publication is two steps and whose "did it land?" is a
/// look at the profile's posts: `ENCORE_CRASH_THREADS_KILLS` kills (100 by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_publishing_to_threads_never_doubles_or_loses_a_post() {
    use support::fake_threads::FakeThreads;
    let kills: usize = std::env::var("ENCORE_CRASH_THREADS_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let seed = 20261127;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (clock, shared) = fast::clock();
    let fake = FakeThreads::start().await;
    {
        let mut s = fake.state.lock().unwrap();
        s.slow = Some((3, std::time::Duration::from_millis(400)));
        s.clock = Some(shared);
        let end = chrono::Utc::now() + chrono::Duration::days(60);
        s.tokens
            .insert(support::fake_mastodon::TOKEN.to_string(), end);
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let feed = support::fixture("span.xml").display().to_string();
    let config = format!(
        "timezone = \"UTC\"\nstate_dir = {state:?}\n\n[feed]\nurl = {feed:?}\n{}\n\
         [[account]]\nname = \"fast-threads\"\nnetwork = \"threads\"\napi_base = {:?}\n\
         access_token = \"env:ENCORE_FAST_TOKEN\"\n",
        fast::RULES,
        fake.base,
        state = state.display().to_string()
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let slow = || fake.state.lock().unwrap().slow_until;
    let in_flight = kill_many(dir.path(), &clock, kills, &mut rng, slow).await;
    let posts: Vec<support::fake_mastodon::Status> = fake
        .posts()
        .into_iter()
        .map(|p| support::fake_mastodon::Status {
            id: p.id,
            text: p.text,
            visibility: String::new(),
            language: None,
            created_at: p.at,
            idempotency_key: None,
        })
        .collect();
    let audit = fast::audit_account(&state, "fast-threads", &posts);
    println!(
        "Threads crash harness (seed {seed}): {kills} kills ({in_flight} while a publication was in flight), \
         {} posts published, {} shares and {} uncertain in the history, {} refreshes; duplicates {}, lost records {}",
        audit.posts,
        audit.shared,
        audit.uncertain,
        fake.state.lock().unwrap().refreshes,
        audit.duplicates,
        audit.lost.len()
    );
    assert_eq!(audit.pending, 0, "every intent settled");
    assert_eq!(
        audit.duplicates, 0,
        "an article published twice within its cooldown"
    );
    assert!(
        audit.lost.is_empty(),
        "posts missing from the history: {:?}",
        audit.lost
    );
    assert!(
        audit.phantom.is_empty(),
        "shares with no post behind them: {:?}",
        audit.phantom
    );
    assert!(
        audit.posts >= kills / 3,
        "the harness must post: {} posts",
        audit.posts
    );
}
