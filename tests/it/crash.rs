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

    let mut in_flight = 0;
    for k in 0..kills {
        let mut child = fast::spawn(dir.path(), &clock, &format!("run-{k}.log"));
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
    let mut last = fast::spawn(dir.path(), &clock, &format!("run-{kills}.log"));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        last.try_wait().unwrap().is_none(),
        "{}",
        tail(dir.path(), kills)
    );
    assert!(
        fast::terminate(&mut last).success(),
        "{}",
        tail(dir.path(), kills)
    );

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
