//! Two processes, one state: `encore post-now` started again and again, several at a time,
//! beside `encore run` posting to the same account, on one fast time line (the hidden
//! `--test-clock` of both). The feed has two articles and a one-day cooldown, so whenever an
//! article's cooldown ends the daemon's next slot and the post-now processes race for it. From
//! the fake instance's own record: no article was ever posted twice within its cooldown, both
//! sides did post, and every status is in the history.

use crate::support;

use support::fake_mastodon::FakeMastodon;
use support::fast;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_now_and_the_daemon_never_both_post_one_article() {
    let (clock, shared) = fast::clock();
    let fake = FakeMastodon::start().await;
    fake.state.lock().unwrap().clock = Some(shared);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let items: String = ["one", "two"]
        .iter()
        .map(|slug| format!("<item><title>Article {slug}</title><link>https://race.example.org/{slug}/</link><pubDate>Wed, 20 May 2026 08:00:00 GMT</pubDate></item>"))
        .collect();
    let feed = support::write_rss(dir.path(), "Race", "https://race.example.org/", &items);
    std::fs::write(
        dir.path().join("config.toml"),
        fast::config_with(
            &feed.display().to_string(),
            "",
            &[(fast::ACCOUNT, &fake.base)],
            &state,
        ),
    )
    .unwrap();
    let mut daemon = fast::spawn(dir.path(), &clock, "run.log");
    // The daemon's first post, so that both sides have posted whatever the races give.
    fast::wait(dir.path(), "run.log", 10, "the daemon's first post", || {
        !fake.state.lock().unwrap().statuses.is_empty()
    });
    let by_daemon_first = fake.state.lock().unwrap().statuses.len();
    // 16 s of real time: 32 hours of the daemon's, so each article's cooldown ends at least once
    // with post-now processes and the daemon's slots racing for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(16);
    // On a loaded machine a burst of processes takes longer: the loop goes on until the race
    // has gone both ways (a post-now that posted, one that was refused), within a bound.
    let bound = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let (mut shared_by_post_now, mut refused) = (0, 0);
    let going_on = |shared: usize, refused: usize| {
        let now = std::time::Instant::now();
        now < deadline || ((shared == 0 || refused == 0) && now < bound)
    };
    while going_on(shared_by_post_now, refused) {
        let burst: Vec<_> = (0..3)
            .map(|_| {
                std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
                    .current_dir(dir.path())
                    .args([
                        "--config",
                        "config.toml",
                        "post-now",
                        "--account",
                        fast::ACCOUNT,
                    ])
                    .args(["--test-clock", &clock])
                    .env("ENCORE_FAST_TOKEN", support::fake_mastodon::TOKEN)
                    .env("RUST_LOG", "warn")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in burst {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => shared_by_post_now += 1,
                Some(1) if text.contains("not posted") => refused += 1,
                other => panic!("post-now ended with {other:?}: {text}"),
            }
        }
        assert!(
            daemon.try_wait().unwrap().is_none(),
            "the daemon stopped\n{}",
            fast::log(dir.path(), "run.log")
        );
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    assert!(fast::terminate(&mut daemon).success());
    let statuses = fake.state.lock().unwrap().statuses.clone();
    let audit = fast::audit(&state, &statuses);
    println!(
        "race: {} posts ({shared_by_post_now} by post-now, the rest by the daemon), {refused} post-now refused, {} shares in the history, duplicates {}, lost {}",
        audit.posts,
        audit.shared,
        audit.duplicates,
        audit.lost.len()
    );
    assert_eq!(
        audit.duplicates, 0,
        "an article posted twice within its cooldown"
    );
    assert!(audit.lost.is_empty(), "lost: {:?}", audit.lost);
    assert!(audit.phantom.is_empty(), "phantom: {:?}", audit.phantom);
    assert_eq!(audit.pending, 0);
    assert!(shared_by_post_now > 0, "post-now never got an article");
    assert!(by_daemon_first > 0 && audit.posts > shared_by_post_now);
    assert!(refused > 0, "post-now was never refused: no race happened");
}
