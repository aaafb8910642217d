//! One daemon, one X, one Mastodon and one Bluesky account, each against its fake API: every
//! account posts under its own cadence, every message is valid on its network, faults on one
//! network never touch the others, and the admin's commands (`check`, `check --online`,
//! `post-now`, `preview`) work across all three.

use crate::support;

use chrono::{Duration, TimeZone, Utc};
use encore::BlueskyNetwork;
use encore::Daemon;
use encore::MastodonNetwork;
use encore::Network;
use encore::RetryPolicy;
use encore::SessionStore;
use encore::XNetwork;
use encore::{Archive, Outcome};
use encore::{Config, Endpoint};
use support::fake_bluesky;
use support::fake_mastodon;
use support::fake_x;
use support::three::{encore, feed, secrets, text, with_secret_files, write_config, Fakes};

/// One test of this file at a time: the storm test measures the process's peak memory (which
/// another test running beside it in the same process raises), and the admin commands test
/// runs processes on 2 s API timeouts; side by side on a loaded 2-core machine they failed.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn fast() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: std::time::Duration::from_millis(10),
    }
}

fn networks(c: &Config) -> Vec<Box<dyn Network>> {
    let timeout = std::time::Duration::from_secs(2);
    let sessions = SessionStore::new(&c.state_dir);
    c.accounts
        .iter()
        .map(|a| -> Box<dyn Network> {
            match &a.endpoint {
                Endpoint::X(s) => Box::new(
                    XNetwork::new(&a.name, s, &sessions, timeout)
                        .unwrap()
                        .with_retry(fast()),
                ),
                Endpoint::Mastodon(s) => Box::new(
                    MastodonNetwork::new(&a.name, s, timeout)
                        .unwrap()
                        .with_retry(fast()),
                ),
                Endpoint::Bluesky(s) => Box::new(
                    BlueskyNetwork::new(&a.name, s, &sessions, timeout)
                        .unwrap()
                        .with_retry(fast()),
                ),
                other => panic!("not one of the three: {other:?}"),
            }
        })
        .collect()
}

/// The three fakes, a blog, and a daemon over them with the feed read, at 2026-06-01 05:00
/// (the accounts' secrets in files).
async fn start() -> (Fakes, tempfile::TempDir, chrono::DateTime<Utc>, Daemon) {
    let f = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap();
    let feed = feed(dir.path(), &f.blog.base, t0);
    let accounts = with_secret_files(&f.accounts(), dir.path());
    let cfg = support::config(dir.path(), &feed, 1.0, &accounts);
    let nets = networks(&cfg);
    let archive = Archive::open(&cfg.state_dir).unwrap();
    encore::commands::refresh_archive(&cfg, &archive, t0).await;
    let d = Daemon::start(cfg.clone(), archive, nets, false, t0)
        .await
        .unwrap();
    (f, dir, t0, d)
}

#[tokio::test]
async fn one_daemon_posts_to_each_network_under_its_own_cadence_through_faults() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (f, _dir, t0, mut d) = start().await;

    // Faults on every network along the week.
    f.x.push_fault(fake_x::Fault::PostThenDrop);
    f.masto.push_fault(fake_mastodon::Fault::CreateThenDrop);
    f.bsky.push_fault(fake_bluesky::Fault::CreateThenDrop);
    let mut reports =
        support::tick_through(&mut d, t0, t0 + Duration::days(3), Duration::minutes(10)).await;
    f.x.push_fault(fake_x::Fault::Status(503));
    f.masto.push_fault(fake_mastodon::Fault::Status(502));
    f.bsky.push_fault(fake_bluesky::Fault::Status(502));
    f.bsky.expire_access_tokens();
    reports.extend(
        support::tick_through(
            &mut d,
            t0 + Duration::days(3),
            t0 + Duration::days(7),
            Duration::minutes(10),
        )
        .await,
    );

    let shared = |name: &str| {
        reports
            .iter()
            .filter(|r| r.account == name && r.outcome == Outcome::Shared)
            .count()
    };
    // Each account's own rate: 2 a day, 1 a day, one every other day.
    assert_eq!(shared("blog-x"), 14, "{reports:#?}");
    assert_eq!(shared("blog-masto"), 7, "{reports:#?}");
    assert!((3..=4).contains(&shared("blog-bsky")), "{reports:#?}");
    // Exactly what was recorded reached each network: no double, no loss.
    assert_eq!(f.x.posts().len(), 14);
    assert_eq!(f.masto.statuses().len(), 7);
    assert_eq!(f.bsky.posts().len(), shared("blog-bsky"));
    assert_eq!(f.bsky.logins(), 1, "one Bluesky login all week");
    for p in f.x.posts() {
        assert!(encore::x_weighted_length(&p.text) <= 280);
    }
    for s in f.masto.statuses() {
        assert!(fake_mastodon::mastodon_length(&s.text, 23) <= 500);
    }
    // Never the same article twice on one account (90-day cooldown), events never.
    for name in ["blog-x", "blog-masto", "blog-bsky"] {
        let history = d.archive().history(name).unwrap();
        let mut keys: Vec<_> = history
            .iter()
            .filter(|r| r.outcome == Outcome::Shared)
            .filter_map(|r| r.article_key.clone())
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "{name}: {history:#?}");
        assert!(keys.iter().all(|k| !k.contains("atelier")), "{keys:?}");
    }
    assert!(d.archive().pending_intents().unwrap().is_empty());
}

#[tokio::test]
async fn an_answer_cut_in_transit_after_the_post_never_makes_a_second_post() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (logs, _guard) = support::Captured::install();
    let (f, _dir, t0, mut d) = start().await;
    // Each network's first post is made, and its answer cut after a few bytes.
    f.x.push_fault(fake_x::Fault::PostThenTruncate);
    f.masto.push_fault(fake_mastodon::Fault::CreateThenTruncate);
    f.bsky.push_fault(fake_bluesky::Fault::CreateThenTruncate);
    let reports =
        support::tick_through(&mut d, t0, t0 + Duration::days(3), Duration::minutes(10)).await;
    let made = [
        ("blog-x", f.x.posts().len()),
        ("blog-masto", f.masto.statuses().len()),
        ("blog-bsky", f.bsky.posts().len()),
    ];
    for (name, posts) in made {
        let history = d.archive().history(name).unwrap();
        let kept = history
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Shared | Outcome::Uncertain))
            .count();
        let mut keys: Vec<_> = history
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Shared | Outcome::Uncertain))
            .filter_map(|r| r.article_key.clone())
            .collect();
        keys.sort();
        keys.dedup();
        let text = logs.since(0);
        let cut = text
            .lines()
            .find(|l| l.contains(name) && l.contains("failed ("))
            .unwrap_or_else(|| panic!("{name}: the cut answer was never seen\n{text}"));
        println!("cut answer, {name}: {posts} posts, {kept} recorded; {cut}");
        assert!(posts >= 1, "{name}: {reports:#?}");
        assert_eq!(
            posts, kept,
            "{name}: every post recorded once\n{history:#?}"
        );
        assert_eq!(keys.len(), kept, "{name}: no article twice\n{history:#?}");
    }
    assert!(d.archive().pending_intents().unwrap().is_empty());
}

#[tokio::test]
async fn a_week_long_5xx_storm_on_every_network_posts_nothing_and_says_each_slot_in_a_few_lines() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (logs, _guard) = support::Captured::install();
    let (f, _dir, t0, mut d) = start().await;
    for _ in 0..5_000 {
        f.x.push_fault(fake_x::Fault::Status(503));
        f.masto.push_fault(fake_mastodon::Fault::Status(502));
        f.bsky.push_fault(fake_bluesky::Fault::Status(503));
    }
    let mark = logs.len();
    let rss = support::peak_rss_kib();
    let reports =
        support::tick_through(&mut d, t0, t0 + Duration::days(7), Duration::minutes(10)).await;
    let grew = support::peak_rss_kib().saturating_sub(rss);
    let text = logs.since(mark);
    for name in ["blog-x", "blog-masto", "blog-bsky"] {
        let failed = reports
            .iter()
            .filter(|r| r.account == name && r.outcome == Outcome::Failed)
            .count();
        let lines = text.lines().filter(|l| l.contains(name)).count();
        println!("5xx storm, {name}: {failed} slots failed, {lines} log lines");
        assert!(failed >= 3, "{name}: {reports:#?}");
        // Two retries at info and one warning: three lines a failed slot, never one per try
        // of a long storm (plus Bluesky's one sign-in line).
        assert!(lines <= 3 * failed + 1, "{name}: {lines} lines\n{text}");
        assert!(
            d.archive()
                .share_log(name)
                .unwrap()
                .lasts()
                .clone()
                .is_empty(),
            "a failure is never a share"
        );
    }
    assert!(reports.iter().all(|r| r.outcome != Outcome::Shared));
    assert!(f.x.posts().is_empty() && f.masto.statuses().is_empty() && f.bsky.posts().is_empty());
    assert!(d.archive().pending_intents().unwrap().is_empty());
    println!("5xx storm: peak memory grew by {grew} KiB over the week");
    assert!(grew < 32 << 10, "memory grew by {grew} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_commands_work_across_the_three_networks() {
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fakes::start().await;
    f.masto.set_limits(1000, 23);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &f);

    let out = encore(&config, &["check"]).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("access_token = env:T_MASTO (available)"),
        "{all}"
    );
    assert!(
        all.contains("app_password = env:T_BSKY (available)"),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "bluesky  {}/ as {}",
            f.bsky.base,
            fake_bluesky::HANDLE
        )),
        "{all}"
    );

    let out = encore(&config, &["check", "--online"]).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("online  blog-x: x OK as @encore_blog"),
        "{all}"
    );
    assert!(
        all.contains("online  blog-masto: mastodon OK as @blog@127.0.0.1, 4000 posts"),
        "{all}"
    );
    assert!(
        all.contains("the instance allows 1000 characters per post"),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "online  blog-bsky: bluesky OK as @{}, 250 posts",
            fake_bluesky::HANDLE
        )),
        "{all}"
    );
    for (_, secret) in secrets() {
        assert!(!all.contains(secret), "secret leaked: {all}");
    }

    // preview never goes online but uses the limit check --online read.
    // Six days: Bluesky posts every other day (per_day = 0.5), so a two-day window held no
    // Bluesky slot about one run in six (the days start from the wall clock).
    let out = encore(&config, &["preview", "--days", "6", "--format", "json"]).await;
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let limits: Vec<(String, u64)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            (
                v["account"].as_str().unwrap().to_string(),
                v["limit"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        limits.contains(&("blog-masto".into(), 1000)),
        "{limits:?}\n{all}"
    );
    assert!(
        limits.contains(&("blog-bsky".into(), 300)),
        "{limits:?}\n{all}"
    );

    for account in ["blog-x", "blog-masto", "blog-bsky"] {
        let out = encore(&config, &["post-now", "--account", account]).await;
        let all = text(&out);
        assert!(out.status.success(), "{all}");
        assert!(
            all.starts_with(&format!("shared on {account} (post ")),
            "{all}"
        );
    }
    assert_eq!(f.x.posts().len(), 1);
    assert_eq!(f.masto.statuses().len(), 1);
    assert_eq!(f.bsky.posts().len(), 1);
    let record = &f.bsky.posts()[0].1;
    assert!(
        record["facets"].as_array().is_some_and(|a| a.len() >= 2),
        "{record}"
    );
    assert!(record["embed"]["external"]["thumb"].is_object(), "{record}");
}

/// Issue 23's read-back on the three fakes: a round a day after the posts reads each post's
/// counts once (a deleted post recorded as deleted, never read again), a round with nothing
/// due calls nothing, a rate limit costs that account its round only, X's reads are billed
/// beside its posts, and the share log learns what each article drew.
#[tokio::test]
async fn what_each_post_drew_is_read_back_on_every_network() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (f, _dir, t0, mut d) = start().await;
    support::tick_through(&mut d, t0, t0 + Duration::days(3), Duration::minutes(10)).await;
    let archive = d.archive();
    let posted = |name: &str| {
        let h = archive.history(name).unwrap();
        h.into_iter()
            .filter(|r| r.outcome == Outcome::Shared)
            .collect::<Vec<_>>()
    };
    let (x, masto, bsky) = (posted("blog-x"), posted("blog-masto"), posted("blog-bsky"));
    assert!(x.len() >= 4 && masto.len() >= 2 && !bsky.is_empty());
    // The audience answers; the first post of each account is deleted.
    let id = |r: &encore::ShareRecord| r.post_id.clone().unwrap();
    {
        let mut s = f.x.state.lock().unwrap();
        for (i, r) in x.iter().enumerate() {
            s.counts.insert(id(r), (i as u64 + 3, 1, 1, 0));
        }
        s.deleted.insert(id(&x[0]));
    }
    {
        let mut s = f.masto.state.lock().unwrap();
        for r in &masto {
            s.counts.insert(id(r), (4, 2, 0));
        }
        s.deleted.insert(id(&masto[0]));
    }
    {
        let mut s = f.bsky.state.lock().unwrap();
        for r in &bsky {
            let rkey = id(r).rsplit('/').next().unwrap().to_string();
            s.counts.insert(rkey, (5, 0, 1, 1));
        }
    }

    let now = t0 + Duration::days(3) + Duration::hours(1);
    d.read_engagement(now).await.unwrap();
    let archive = d.archive();
    let older = |posts: &[encore::ShareRecord]| {
        posts
            .iter()
            .filter(|r| now - r.at >= Duration::days(1))
            .count()
    };
    for (name, posts) in [("blog-x", &x), ("blog-masto", &masto), ("blog-bsky", &bsky)] {
        let (_, n) = archive.last_reading(name).unwrap().expect("read back");
        assert_eq!(
            n as usize,
            older(posts),
            "{name}: one reading per post a day old"
        );
        assert!(
            archive
                .due_readings(name, &[86_400], now, 100)
                .unwrap()
                .is_empty(),
            "{name}"
        );
    }
    let read_x = f.x.state.lock().unwrap().posts_read;
    assert_eq!(
        read_x,
        older(&x) - 1,
        "X returned every post but the deleted one"
    );
    // What the share log learns: the counts of each read post (deleted ones left out).
    let log = archive.share_log("blog-x").unwrap();
    let learned: u64 = x
        .iter()
        .map(|r| {
            log.engagement(r.article_key.as_deref().unwrap())
                .iter()
                .sum::<u64>()
        })
        .sum();
    assert!(learned > 0);
    let masto_log = archive.share_log("blog-masto").unwrap();
    let first = masto[0].article_key.as_deref().unwrap();
    assert!(
        masto_log.engagement(first).is_empty(),
        "a deleted post teaches nothing"
    );
    // X bills the reads beside the posts (the metric as the next tick sets it).
    d.tick(now).await.unwrap();
    let spend = d.metrics_text();
    let line = spend
        .lines()
        .find(|l| l.starts_with("encore_month_spend_usd") && l.contains("blog-x"))
        .unwrap();
    let usd: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    let want = x.len() as f64 * 0.20 + older(&x) as f64 * 0.005;
    assert!((usd - want).abs() < 1e-6, "{line}: want {want}");

    // `encore status` shows the last read-back, and what X's reads cost.
    let mut out = Vec::new();
    encore::commands::status(d.config(), now, encore::commands::Format::Text, &mut out).unwrap();
    let status = String::from_utf8(out).unwrap();
    let line = status
        .lines()
        .find(|l| l.contains("read-back last"))
        .unwrap_or_default();
    assert!(
        line.contains(&format!("{} reads, $", older(&x))),
        "{status}"
    );

    // Nothing due: no call at all.
    let requests = |f: &Fakes| {
        (
            f.x.state.lock().unwrap().requests.len(),
            f.masto.state.lock().unwrap().requests.len(),
            f.bsky.state.lock().unwrap().requests.len(),
        )
    };
    let before = requests(&f);
    d.read_engagement(now + Duration::minutes(5)).await.unwrap();
    assert_eq!(requests(&f), before);

    // A week on, Mastodon rate-limits reads: its round is lost, the others read theirs.
    let week = t0 + Duration::days(10);
    f.masto.state.lock().unwrap().read_limit = Some(0);
    d.read_engagement(week).await.unwrap();
    let archive = d.archive();
    let (_, masto_reads) = archive.last_reading("blog-masto").unwrap().unwrap();
    assert_eq!(
        masto_reads as usize,
        older(&masto),
        "nothing recorded under the 429"
    );
    assert!(!archive
        .due_readings("blog-masto", &[7 * 86_400], week, 100)
        .unwrap()
        .is_empty());
    assert!(archive
        .due_readings("blog-bsky", &[7 * 86_400], week, 100)
        .unwrap()
        .is_empty());
    f.masto.state.lock().unwrap().read_limit = None;
    d.read_engagement(week + Duration::hours(1)).await.unwrap();
    assert!(d
        .archive()
        .due_readings("blog-masto", &[7 * 86_400], week, 100)
        .unwrap()
        .is_empty());
}

/// Read-back in batches as each API takes them: Bluesky 25 URIs a call, X 100 ids a call; a
/// rate limit on the first call is "try later", nothing read.
#[tokio::test]
async fn counts_are_read_in_the_batches_each_api_takes() {
    let _one = ONE_AT_A_TIME.lock().await;
    let f = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let feed = feed(dir.path(), &f.blog.base, Utc::now());
    let accounts = with_secret_files(&f.accounts(), dir.path());
    let cfg = support::config(dir.path(), &feed, 1.0, &accounts);
    let nets = networks(&cfg);
    let (x, bsky) = (&nets[0], &nets[2]);

    // 30 Bluesky posts: two getPosts calls (25 + 5), one URI unknown (deleted).
    let uris: Vec<String> = {
        let mut s = f.bsky.state.lock().unwrap();
        (0..30)
            .map(|i| {
                let rkey = format!("3kabc{i:08}");
                s.records
                    .insert(rkey.clone(), serde_json::json!({"text": "t"}));
                s.counts.insert(rkey.clone(), (i, 0, 0, 1));
                format!("at://{}/app.bsky.feed.post/{rkey}", fake_bluesky::DID)
            })
            .collect()
    };
    let mut asked = uris.clone();
    asked.push(format!(
        "at://{}/app.bsky.feed.post/3kgone",
        fake_bluesky::DID
    ));
    let read = bsky.engagement(&asked).await.unwrap();
    assert_eq!(read.len(), 31);
    assert_eq!(
        read[7].1,
        encore::Reading::Counts(encore::Counts {
            likes: 7,
            reposts: 0,
            replies: 0,
            quotes: 1
        })
    );
    assert_eq!(read[30].1, encore::Reading::Deleted);
    let calls = |f: &Fakes| f.bsky.state.lock().unwrap().reads;
    assert_eq!(calls(&f), 2, "25 URIs a call");
    f.bsky.state.lock().unwrap().read_limit = Some(2);
    match bsky.engagement(&uris).await {
        Err(encore::PostError::RetryLater { .. }) => {}
        other => panic!("{other:?}"),
    }

    // 130 X posts: two lookups (100 + 30), each post returned billed.
    let ids: Vec<String> = {
        let mut s = f.x.state.lock().unwrap();
        (0..130u64)
            .map(|i| {
                let id = format!("{}", 1_900_000_000_000_000_000u64 + i);
                s.posts.push(fake_x::Post {
                    id: id.clone(),
                    text: format!("post {i}"),
                    created_at: Utc::now(),
                });
                s.counts.insert(id.clone(), (i, 1, 0, 0));
                id
            })
            .collect()
    };
    let read = x.engagement(&ids).await.unwrap();
    assert_eq!(read.len(), 130);
    let lookups =
        f.x.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|(m, t, _)| m == "GET" && t.starts_with("/2/tweets?"))
            .count();
    assert_eq!(lookups, 2, "100 ids a call");
    assert_eq!(f.x.state.lock().unwrap().posts_read, 130);
}
