//! Several blogs in one daemon: each account shares the feeds it names, rotates between them
//! by weight, under each feed's own rules; a feed that fails costs that feed only; feeds are
//! read a bounded number at a time and one at a time per host.

use crate::support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use encore::{Archive, Config, Daemon, Decision, FeedStatus, Outcome, SlotReport};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap()
}

fn config(dir: &Path, accounts: &str) -> Config {
    let (tech, cuisine) = support::two_feeds(dir);
    let text = format!(
        r#"
timezone = "Europe/Paris"
state_dir = {state:?}
[[feed]]
name = "tech"
url = {tech:?}
[[feed]]
name = "cuisine"
url = {cuisine:?}
[feed.message]
template = "{{title}} — à lire : {{url}}"
[select]
exclude_categories = ["Actualités", "Événements"]
check_link = false
[cadence]
per_day = 2
min_spacing = "2h"
{accounts}
"#,
        state = dir.join("state").display().to_string(),
        tech = tech.display().to_string(),
        cuisine = cuisine.display().to_string(),
    );
    Config::parse(Path::new("feeds.toml"), &text).unwrap()
}

const ACCOUNTS: &str = r#"
[[account]]
name = "both"
network = "log"
[[account]]
name = "cuisine-only"
network = "log"
feeds = ["cuisine"]
[[account]]
name = "weighted"
network = "log"
feed_weights = { tech = 2.0 }
"#;

async fn run_days(cfg: &Config, days: i64) -> Vec<SlotReport> {
    let archive = Archive::open(&cfg.state_dir).unwrap();
    encore::commands::refresh_archive(cfg, &archive, t0())
        .await
        .unwrap();
    let nets = encore::build_networks(cfg, false).unwrap();
    let mut d = Daemon::start(cfg.clone(), archive, nets, false, t0())
        .await
        .unwrap();
    support::tick_through(
        &mut d,
        t0(),
        t0() + Duration::days(days),
        Duration::minutes(10),
    )
    .await
}

fn host(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string()
}

/// Shared posts of `account`: (feed host, text), in order.
fn shared<'a>(reports: &'a [SlotReport], account: &str) -> Vec<(String, &'a str)> {
    let archive_key_host =
        |r: &SlotReport| host(&format!("https://{}", r.article_key.as_deref().unwrap()));
    reports
        .iter()
        .filter(|r| r.account == account && r.outcome == Outcome::Shared)
        .map(|r| (archive_key_host(r), r.detail.as_str()))
        .collect()
}

#[tokio::test]
async fn accounts_share_their_feeds_in_turn_each_under_its_own_rules() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), ACCOUNTS);
    let reports = run_days(&cfg, 10).await;

    // Every feed in turn: never the same feed twice running while both have articles.
    let both = shared(&reports, "both");
    assert!(both.len() >= 16, "{} posts", both.len());
    for pair in both[..16].windows(2) {
        assert_ne!(pair[0].0, pair[1].0, "{both:#?}");
    }
    // The cuisine feed's own template; the tech feed keeps the global one.
    for (h, text) in &both {
        match h.as_str() {
            "cuisine.example.org" => assert!(text.contains("— à lire : https://cuisine"), "{text}"),
            _ => assert!(!text.contains("à lire"), "{text}"),
        }
    }
    // An account that names one feed never shares the other.
    let only = shared(&reports, "cuisine-only");
    assert!(only.len() >= 8, "{} posts", only.len());
    assert!(
        only.iter().all(|(h, _)| h == "cuisine.example.org"),
        "{only:#?}"
    );
    // Weights: two tech articles for one cuisine article (while both feeds have articles).
    let weighted = &shared(&reports, "weighted")[..9];
    let tech = weighted
        .iter()
        .filter(|(h, _)| h == "blog.example.org")
        .count();
    let cuisine = weighted.len() - tech;
    assert!(
        tech.abs_diff(2 * cuisine) <= 2,
        "tech {tech}, cuisine {cuisine}: {weighted:#?}"
    );
    // The cooldown is per article: no article twice on one account.
    for account in ["both", "cuisine-only", "weighted"] {
        let mut keys: Vec<_> = reports
            .iter()
            .filter(|r| r.account == account && r.outcome == Outcome::Shared)
            .map(|r| r.article_key.clone())
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "{account}");
    }
}

#[tokio::test]
async fn the_preview_plans_what_the_daemon_posts_across_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), ACCOUNTS);
    let archive = Archive::open(&cfg.state_dir).unwrap();
    encore::commands::refresh_archive(&cfg, &archive, t0())
        .await
        .unwrap();
    let seed = archive.seed().unwrap();
    let until = t0() + Duration::days(5);
    let plan = encore::simulate(
        &cfg,
        &[],
        &archive.articles().unwrap(),
        encore::Past::default(),
        t0()..until,
        seed,
        &[],
    );
    let planned: Vec<(String, String)> = plan
        .into_iter()
        .filter_map(|p| match p.decision {
            Decision::Post { article, .. } => {
                Some((cfg.accounts[p.slot.account].name.clone(), article.key))
            }
            Decision::Skip { .. } => None,
        })
        .collect();
    drop(archive);
    let reports = run_days(&cfg, 5).await;
    let posted: Vec<(String, String)> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .map(|r| (r.account.clone(), r.article_key.clone().unwrap()))
        .collect();
    assert!(posted.len() >= 20, "{}", posted.len());
    // One tick reports its accounts in config order, the plan two close slots in time order:
    // the same posts, each account's in the same order.
    let per_account = |list: &[(String, String)], a: &str| -> Vec<String> {
        list.iter()
            .filter(|(x, _)| x == a)
            .map(|(_, k)| k.clone())
            .collect()
    };
    for account in ["both", "cuisine-only", "weighted"] {
        assert_eq!(
            per_account(&planned, account),
            per_account(&posted, account),
            "{account}"
        );
    }
    assert_eq!(planned.len(), posted.len());
}

#[tokio::test]
async fn a_feed_that_fails_costs_that_feed_only() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), ACCOUNTS);
    std::fs::remove_file(dir.path().join("tech.xml")).unwrap();
    let mut d = support::daemon_at(&cfg, t0()).await;
    d.refresh_feed(t0()).await.unwrap();
    let status = |feed: &str| -> FeedStatus {
        let key = encore::state_key::feed_status(feed);
        d.archive().meta_json(&key).unwrap().unwrap()
    };
    assert!(
        status("tech").result.starts_with("failed"),
        "{:?}",
        status("tech")
    );
    assert!(
        status("cuisine").result.starts_with("ok: 41 new"),
        "{:?}",
        status("cuisine")
    );
    let reports = support::tick_through(
        &mut d,
        t0(),
        t0() + Duration::days(2),
        Duration::minutes(10),
    )
    .await;
    let both = shared(&reports, "both");
    assert!(!both.is_empty());
    assert!(
        both.iter().all(|(h, _)| h == "cuisine.example.org"),
        "{both:#?}"
    );
}

/// A server that answers each feed request after 150 ms and records, per `Host`, how many
/// requests it was answering at once at the most, and across hosts.
async fn slow_server() -> (
    u16,
    std::sync::Arc<std::sync::Mutex<(HashMap<String, (usize, usize)>, usize, usize)>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new((HashMap::new(), 0usize, 0usize)));
    let s = seen.clone();
    let body = std::fs::read(support::fixture("span.xml")).unwrap();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let (s, body) = (s.clone(), body.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let host = req
                    .lines()
                    .find_map(|l| l.strip_prefix("host: ").or(l.strip_prefix("Host: ")))
                    .unwrap_or("")
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .to_string();
                {
                    let mut g = s.lock().unwrap();
                    let e = g.0.entry(host.clone()).or_insert((0, 0));
                    e.0 += 1;
                    e.1 = e.1.max(e.0);
                    g.1 += 1;
                    g.2 = g.2.max(g.1);
                }
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                {
                    let mut g = s.lock().unwrap();
                    g.0.get_mut(&host).unwrap().0 -= 1;
                    g.1 -= 1;
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn feeds_are_read_a_few_at_a_time_and_one_at_a_time_per_host() {
    let (port, seen) = slow_server().await;
    let dir = tempfile::tempdir().unwrap();
    // Twelve feeds over two host names of the one server; four readers at once.
    let mut feeds = String::new();
    for i in 0..12 {
        let host = ["127.0.0.1", "localhost"][i % 2];
        feeds.push_str(&format!(
            "[[feed]]\nname = \"blog-{i}\"\nurl = \"http://{host}:{port}/feed-{i}.xml\"\nbackfill_pages = 0\n"
        ));
    }
    let text = format!(
        "timezone = \"UTC\"\nstate_dir = {:?}\nfeed_concurrency = 4\n{feeds}[[account]]\nname = \"a\"\nnetwork = \"log\"\n",
        dir.path().display().to_string()
    );
    let cfg = Config::parse(Path::new("many.toml"), &text).unwrap();
    assert_eq!(cfg.feeds.len(), 12);
    let mut d = support::daemon_at(&cfg, t0()).await;
    d.refresh_feed(t0()).await.unwrap();
    let (per_host, _, most) = seen.lock().unwrap().clone();
    assert_eq!(per_host.len(), 2, "{per_host:?}");
    for (host, (_, at_once)) in &per_host {
        assert_eq!(*at_once, 1, "{host} was read by {at_once} readers at once");
    }
    // The two hosts were read side by side, never more than one reader each.
    assert_eq!(most, 2, "{most} reads at once");
    for i in 0..12 {
        let key = encore::state_key::feed_status(&format!("blog-{i}"));
        let s: FeedStatus = d.archive().meta_json(&key).unwrap().unwrap();
        assert!(s.result.starts_with("ok"), "blog-{i}: {s:?}");
    }
}

/// The config of [`config`] written to a file, for the binary.
fn config_file(dir: &Path) -> PathBuf {
    let cfg = config(dir, ACCOUNTS);
    let (tech, cuisine) = (dir.join("tech.xml"), dir.join("cuisine.xml"));
    let text = format!(
        "timezone = \"Europe/Paris\"\nstate_dir = {:?}\n[[feed]]\nname = \"tech\"\nurl = {:?}\n[[feed]]\nname = \"cuisine\"\nurl = {:?}\n[feed.message]\ntemplate = \"{{title}} — à lire : {{url}}\"\n[select]\ncheck_link = false\n[cadence]\nper_day = 2\n{ACCOUNTS}",
        cfg.state_dir.display().to_string(),
        tech.display().to_string(),
        cuisine.display().to_string(),
    );
    let path = dir.join("encore.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn encore(config: &Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("encore")
        .unwrap()
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn check_preview_history_and_status_show_one_feed_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(dir.path());
    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).to_string();

    let all = encore(&path, &["check"]);
    assert!(all.status.success());
    assert!(
        text(&all).contains("feed       tech: ") && text(&all).contains("feed       cuisine: ")
    );
    let one = encore(&path, &["check", "--feed", "cuisine"]);
    assert!(one.status.success());
    let out = text(&one);
    assert!(
        out.contains("feed       cuisine: ") && !out.contains("tech: "),
        "{out}"
    );
    assert!(
        out.contains("account \"cuisine-only\"") && out.contains("account \"both\""),
        "{out}"
    );

    let now = "2026-06-01T07:00:00+02:00";
    let plan = encore(
        &path,
        &[
            "preview", "--now", now, "--seed", "1", "--days", "3", "--format", "json", "--feed",
            "cuisine",
        ],
    );
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let lines: Vec<serde_json::Value> = text(&plan)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let posts: Vec<&serde_json::Value> = lines.iter().filter(|l| l["url"].is_string()).collect();
    assert!(posts.len() >= 6, "{lines:#?}");
    for p in &posts {
        assert_eq!(p["feed"], "cuisine", "{p}");
        assert!(
            p["url"]
                .as_str()
                .unwrap()
                .starts_with("https://cuisine.example.org/"),
            "{p}"
        );
        assert!(p["text"].as_str().unwrap().contains("à lire"), "{p}");
    }

    let status = encore(&path, &["status", "--feed", "cuisine", "--now", now]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let out = text(&status);
    assert!(
        out.contains("feed     cuisine: ") && !out.contains("tech:"),
        "{out}"
    );

    // One share of each feed's article in the history; `--feed` keeps the cuisine one.
    let cfg = encore::Config::load(&path).unwrap();
    let archive = Archive::open(&cfg.state_dir).unwrap();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(encore::commands::refresh_archive(&cfg, &archive, t0()))
        .unwrap();
    for key in [
        "blog.example.org/2026/04/article-10",
        "cuisine.example.org/2026/04/article-10",
    ] {
        assert!(archive.article(key).unwrap().is_some(), "{key}");
        archive
            .settle(&encore::ShareRecord {
                at: t0(),
                account: "both".into(),
                article_key: Some(key.into()),
                url: Some(format!("https://{key}/")),
                slot: t0(),
                outcome: Outcome::Shared,
                post_id: Some("1".into()),
                detail: "text".into(),
                wording: None,
            })
            .unwrap();
    }
    drop(archive);
    let history = encore(&path, &["history", "--feed", "cuisine", "--format", "json"]);
    assert!(history.status.success());
    let out = text(&history);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("cuisine.example.org/2026/04/article-10"),
        "{out}"
    );
    assert!(out.contains("\"feed\":\"cuisine\""), "{out}");
    let both = encore(&path, &["history", "--format", "json"]);
    assert_eq!(text(&both).lines().count(), 2);

    for cmd in ["check", "status", "history", "preview"] {
        let o = encore(&path, &[cmd, "--feed", "cusine"]);
        assert_eq!(o.status.code(), Some(64), "{cmd}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("no feed named \"cusine\"") && err.contains("(feeds: tech, cuisine)"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn the_two_blogs_example_checks_and_previews_both_blogs_in_turn() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/two-blogs.toml");
    let dir = tempfile::tempdir().unwrap();
    // The example's state goes to a temporary directory, its feeds stay beside it.
    let text = std::fs::read_to_string(&example)
        .unwrap()
        .replace(
            "../target/encore-two-blogs-state",
            &dir.path().display().to_string(),
        )
        .replace(
            "\"demo-feed.xml\"",
            &format!("{:?}", example.with_file_name("demo-feed.xml")),
        )
        .replace(
            "\"demo-kitchen.xml\"",
            &format!("{:?}", example.with_file_name("demo-kitchen.xml")),
        );
    let path = dir.path().join("two-blogs.toml");
    std::fs::write(&path, text).unwrap();
    assert!(encore(&path, &["check"]).status.success());
    let plan = encore(
        &path,
        &[
            "preview",
            "--now",
            "2026-12-01T08:00:00+01:00",
            "--seed",
            "1",
            "--days",
            "7",
            "--format",
            "json",
        ],
    );
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let posts: Vec<serde_json::Value> = String::from_utf8_lossy(&plan.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|p: &serde_json::Value| p["url"].is_string())
        .collect();
    let of = |account: &str, host: &str| {
        posts
            .iter()
            .filter(|p| p["account"] == account && p["url"].as_str().unwrap().contains(host))
            .count()
    };
    // The agency account takes both blogs, two kitchen posts for one; the Mastodon account
    // only the kitchen.
    let (kitchen, social) = (
        of("agency-log", "kitchen."),
        of("agency-log", "blog.example.org"),
    );
    assert!(
        social >= 3 && kitchen.abs_diff(2 * social) <= 2,
        "{kitchen} / {social}"
    );
    assert!(of("kitchen-mastodon", "kitchen.") >= 5);
    assert_eq!(of("kitchen-mastodon", "blog.example.org"), 0);
}

#[tokio::test]
async fn a_reload_that_adds_or_renames_a_feed_reads_and_reschedules_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), ACCOUNTS);
    let mut d = support::daemon_at(&cfg, t0()).await;
    let same = d
        .reload(
            cfg.clone(),
            encore::build_networks(&cfg, false).unwrap(),
            t0(),
        )
        .await
        .unwrap();
    assert!(!same.feed_changed && !same.refresh_changed, "{same:?}");
    let mut renamed = cfg.clone();
    renamed.feeds[1].name = "kitchen".into();
    for a in &mut renamed.accounts {
        for s in &mut a.feeds {
            if s.feed == "cuisine" {
                s.feed = "kitchen".into();
            }
        }
    }
    let nets = encore::build_networks(&renamed, false).unwrap();
    let changes = d.reload(renamed.clone(), nets, t0()).await.unwrap();
    assert!(
        changes.feed_changed && changes.refresh_changed,
        "{changes:?}"
    );
    let mut fewer = renamed.clone();
    fewer.feeds.pop();
    let nets = encore::build_networks(&fewer, false).unwrap();
    let changes = d.reload(fewer, nets, t0()).await.unwrap();
    assert!(
        changes.feed_changed && changes.refresh_changed,
        "{changes:?}"
    );
}
