//! Words that don't repeat (issue 22): template variants and alternate titles rotated per
//! article, evergreen, expired and retired articles, category weights. Two simulated years of a
//! daemon on a fixed clock, ticked slot by slot, against the log network and the strict fake X.

use crate::support::{self, fake_x::FakeX};
use chrono::{DateTime, Duration, TimeZone, Utc};
use encore::{Config, Outcome, ShareRecord};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 6, 0, 0).unwrap()
}

/// The 60 articles: 18 tutorials, 18 notes, 18 opinions (all evergreen), 3 dated ones (not
/// evergreen: they age out), 3 sale pages (evergreen notes that expire on 2026-06-30).
fn articles() -> Vec<(String, String, String, DateTime<Utc>)> {
    let mut out = Vec::new();
    for i in 0..60 {
        let (slug, category) = match i {
            0..18 => (format!("tutorial-{i}"), "Tutorials"),
            18..36 => (format!("note-{i}"), "Notes"),
            36..54 => (format!("opinion-{i}"), "Opinion"),
            54..57 => (format!("dated-{i}"), "Dated"),
            _ => (format!("sale-{i}"), "Notes"),
        };
        let url = format!("https://blog.example.org/{slug}/");
        let title = format!("{category} number {i}: what we learnt");
        let published = t0() - Duration::days(31 + (i as i64 * 7) % 59);
        out.push((url, title, category.to_string(), published));
    }
    out
}

fn write_feed(dir: &Path) -> PathBuf {
    let items: String = articles()
        .iter()
        .map(|(url, title, cat, at)| {
            format!(
                "<item><title>{title}</title><link>{url}</link><pubDate>{}</pubDate><category>{cat}</category></item>",
                at.to_rfc2822()
            )
        })
        .collect();
    support::write_rss(dir, "Words", "https://blog.example.org/", &items)
}

/// Two alternate titles per article (the original is the third), an X list for the notes, and
/// an end date for article 1.
fn write_titles(dir: &Path) -> PathBuf {
    let mut text = String::new();
    for (i, (url, title, cat, _)) in articles().iter().enumerate() {
        text.push_str(&format!(
            "[{url:?}]\ntitles = [\"{title}, revisited\", \"Still true: {title}\"]\n"
        ));
        if cat == "Notes" {
            text.push_str(&format!("x = [\"Note {i}, short\", \"Note {i}, again\"]\n"));
        }
        if i == 1 {
            text.push_str("expires = 2026-09-30\n");
        }
    }
    let path = dir.join("titles.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// One post a day at 09:00 UTC per account; a 30-day cooldown.
fn config(dir: &Path, x_base: &str, templates: &str, titles: bool) -> Config {
    let feed = write_feed(dir);
    let titles = match titles {
        true => format!("titles = {:?}", write_titles(dir).display().to_string()),
        false => String::new(),
    };
    let text = format!(
        r#"
timezone = "UTC"
state_dir = {state:?}
[feed]
url = {feed:?}
backfill_pages = 0
[select]
cooldown_days = 30
check_link = false
evergreen_categories = ["Tutorials", "Notes", "Opinion"]
weights = {{ Tutorials = 1.5, Opinion = 0.75 }}
expire_urls = {{ "*/sale-*" = "2026-06-30" }}
[message]
{templates}
{titles}
[cadence]
mode = "fixed"
per_day = 1
active_hours = "09:00-12:00"
grace = "1h"

[[account]]
name = "log"
network = "log"

[[account]]
name = "x"
network = "x"
api_base = "{x_base}"
consumer_key = "fake-consumer-key"
consumer_secret = "fake-consumer-secret"
access_token = "123-fake-token"
access_token_secret = "fake-token-secret"

[[account]]
name = "retiring"
network = "log"
[account.select]
max_shares = 4
"#,
        state = dir.join("state").display().to_string(),
        feed = feed.display().to_string(),
    );
    Config::parse(&dir.join("config.toml"), &text).unwrap()
}

const THREE: &str = r#"templates = [
  "{hashtags} {title} {url}",
  "Worth a re-read: {title} {url} {hashtags}",
  "From the archive: {title}\n{url}",
]"#;

/// Ticks the daemon at every slot for `days`, the fake X's clock following; returns every
/// account's history, oldest first.
async fn run(cfg: &Config, fake: &FakeX, days: i64) -> HashMap<String, Vec<ShareRecord>> {
    let mut d = support::daemon_at(cfg, t0()).await;
    d.refresh_feed(t0()).await.unwrap();
    let end = t0() + Duration::days(days);
    let mut now = t0();
    while now < end {
        fake.state.lock().unwrap().clock = Some(now);
        d.tick(now).await.unwrap();
        now = match d.next_due(now + Duration::seconds(1)) {
            Some(t) => t,
            None => break,
        };
    }
    let names = ["log", "x", "retiring"];
    let history = |n: &str| d.archive().history(n).unwrap();
    names.iter().map(|n| (n.to_string(), history(n))).collect()
}

fn shared(records: &[ShareRecord]) -> Vec<&ShareRecord> {
    records
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .collect()
}

fn by_article<'a>(records: &[&'a ShareRecord]) -> HashMap<String, Vec<&'a ShareRecord>> {
    let mut out: HashMap<String, Vec<&ShareRecord>> = HashMap::new();
    for r in records {
        out.entry(r.url.clone().unwrap()).or_default().push(r);
    }
    out
}

/// Shares per article of the tutorials, the notes and the opinions.
fn means<T>(per: &HashMap<String, Vec<T>>) -> (f64, f64, f64) {
    let mean = |prefix: &str| {
        let counts: Vec<usize> = per
            .iter()
            .filter(|(u, _)| u.contains(prefix))
            .map(|(_, s)| s.len())
            .collect();
        counts.iter().sum::<usize>() as f64 / counts.len() as f64
    };
    (mean("/tutorial-"), mean("/note-"), mean("/opinion-"))
}

fn published(url: &str) -> DateTime<Utc> {
    let a = articles();
    a.iter().find(|a| url.starts_with(&a.0)).unwrap().3
}

/// The whole of issue 22's simulation: two years, three templates, alternate titles.
#[tokio::test(flavor = "multi_thread")]
async fn two_years_of_shares_never_repeat_a_text_and_follow_the_weights() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeX::start().await;
    fake.state.lock().unwrap().duplicate_window = Some(Duration::days(180));
    let cfg = config(dir.path(), &fake.base, THREE, true);
    let history = run(&cfg, &fake, 730).await;

    // X never refused a text, and every slot of the log account posted.
    let x = &history["x"];
    assert!(
        x.iter().all(|r| r.outcome == Outcome::Shared),
        "{:?}",
        x.iter().find(|r| r.outcome != Outcome::Shared)
    );
    assert!(x.len() >= 700, "{} posts on X", x.len());
    let log = shared(&history["log"]);
    assert!(log.len() >= 700, "{} posts on the log", log.len());

    for account in ["log", "x"] {
        let posts = shared(&history[account]);
        for (url, shares) in by_article(&posts) {
            // Never the same text twice in a row, and the words recorded with each share.
            for pair in shares.windows(2) {
                assert_ne!(pair[0].detail, pair[1].detail, "{account} {url}");
                let (a, b) = (
                    pair[0].wording.as_ref().unwrap(),
                    pair[1].wording.as_ref().unwrap(),
                );
                assert_ne!(
                    a.variant, b.variant,
                    "{account} {url}: the least recently used variant"
                );
            }
            // Every variant and title is used before one comes back twice.
            let variants: std::collections::HashSet<_> = shares
                .iter()
                .take(3)
                .map(|r| r.wording.as_ref().unwrap().variant)
                .collect();
            assert_eq!(variants.len(), 3.min(shares.len()), "{account} {url}");
            let titles: std::collections::HashSet<_> = shares
                .iter()
                .take(9)
                .map(|r| r.wording.as_ref().unwrap().title.clone())
                .collect();
            assert_eq!(titles.len(), 3.min(shares.len()), "{account} {url}");
        }
    }

    // On X the notes go out under their X titles (or their own), never the common ones.
    for r in x
        .iter()
        .filter(|r| r.url.as_deref().unwrap().contains("/note-"))
    {
        let title = r.wording.as_ref().unwrap().title.clone().unwrap();
        assert!(
            title.starts_with("Note")
                && !title.contains("revisited")
                && !title.starts_with("Still"),
            "{title}"
        );
    }

    let per = by_article(&log);
    // Evergreen articles keep coming back long after 90 days; dated ones stop at 90.
    for (url, shares) in &per {
        let oldest = shares.iter().map(|r| r.at - published(url)).max().unwrap();
        if url.contains("/dated-") {
            assert!(
                oldest <= Duration::days(90),
                "{url} shared at {} days",
                oldest.num_days()
            );
        } else if !url.contains("/sale-") && !url.ends_with("/tutorial-1/") {
            assert!(
                oldest > Duration::days(600),
                "{url}: last at {} days",
                oldest.num_days()
            );
        }
    }
    // Expired: the sale pages (expire_urls) and article 1 (the titles file's `expires`).
    let end_of = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap() + Duration::days(1);
    for (url, end) in [
        ("https://blog.example.org/sale-57/", end_of(2026, 6, 30)),
        ("https://blog.example.org/tutorial-1/", end_of(2026, 9, 30)),
    ] {
        let shares = &per[url];
        assert!(!shares.is_empty(), "{url} shared before its end");
        assert!(
            shares.iter().all(|r| r.at < end),
            "{url} shared after {end}"
        );
    }

    // Weights: shares per article in proportion (1.5 : 1 : 0.75), within 15%, while every
    // evergreen article is shared at least once every 3 cooldowns (30 days + 2 × 30).
    let (tutorials, notes, opinions) = means(&per);
    let within = |got: f64, want: f64| (got / want - 1.0).abs() <= 0.15;
    assert!(
        within(tutorials / notes, 1.5),
        "tutorials {tutorials:.1} / notes {notes:.1}"
    );
    assert!(
        within(opinions / notes, 0.75),
        "opinions {opinions:.1} / notes {notes:.1}"
    );
    for (url, shares) in per.iter().filter(|(u, _)| {
        !u.contains("/dated-") && !u.contains("/sale-") && !u.ends_with("/tutorial-1/")
    }) {
        for pair in shares.windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(
                gap <= Duration::days(91),
                "{url} waited {} days",
                gap.num_days()
            );
        }
    }

    // Retired: at most 4 shares per article on that account, then slots find nothing.
    let retiring = &history["retiring"];
    let counts = by_article(&shared(retiring));
    assert!(counts.values().all(|s| s.len() <= 4));
    assert!(
        counts.values().filter(|s| s.len() == 4).count() >= 40,
        "{counts:?}"
    );
    let last = retiring.last().unwrap();
    assert_eq!(last.outcome, Outcome::Skipped);
    assert!(last.detail.contains("retired"), "{}", last.detail);
    // `encore status` counts them (only that account retires articles).
    let mut out = Vec::new();
    let end = t0() + Duration::days(730);
    encore::commands::status(&cfg, end, encore::commands::Format::Text, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let retired: usize = text
        .lines()
        .filter(|l| l.trim_start().starts_with("retired"))
        .map(|l| {
            l.split_whitespace()
                .nth(1)
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(
        retired,
        counts.values().filter(|s| s.len() == 4).count(),
        "{text}"
    );
}

/// The control: one template and no alternate titles come round to the same text, and the
/// strict fake X refuses it. What the variants above avoid is real.
#[tokio::test(flavor = "multi_thread")]
async fn one_template_and_one_title_hit_x_duplicate_rule() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeX::start().await;
    fake.state.lock().unwrap().duplicate_window = Some(Duration::days(180));
    let cfg = config(dir.path(), &fake.base, "", false);
    let history = run(&cfg, &fake, 200).await;
    let duplicates = history["x"]
        .iter()
        .filter(|r| r.outcome == Outcome::Duplicate)
        .count();
    assert!(duplicates > 10, "{duplicates} duplicates");
}

fn encore(config: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    c.env_remove("RUST_LOG")
        .env_remove("NOTIFY_SOCKET")
        .arg("--config")
        .arg(config);
    c
}

/// A config over the span fixture, its `[message]` naming `titles.toml`, one log account.
fn titled_config(dir: &Path, message: &str) -> PathBuf {
    let config = dir.join("config.toml");
    let text = format!(
        "timezone = \"Europe/Paris\"\nstate_dir = \"state\"\n[feed]\nurl = {:?}\n[select]\ncheck_link = false\ncooldown_days = 5\n[cadence]\nmode = \"fixed\"\nper_day = 2\n[message]\ntitles = \"titles.toml\"\n{message}\n[[account]]\nname = \"blog-log\"\nnetwork = \"log\"\n",
        support::fixture("span.xml").display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    config
}

/// Every mistake in a titles file is refused by `check` (what the daemon and `systemctl
/// reload` run first) with the titles file's name, line and column, and exit 78.
#[test]
fn a_broken_titles_file_is_refused_with_its_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let config = titled_config(dir.path(), "");
    let titles = dir.path().join("titles.toml");
    let long = "A title that goes on ".repeat(15);
    let cases: Vec<(&str, String, &str, Vec<&str>)> = vec![
        (
            "syntax error",
            "\"https://blog.example.org/a/\" = [\"A\",\n".into(),
            ":1:38:",
            vec!["titles.toml"],
        ),
        (
            "empty title",
            "\"https://blog.example.org/a/\" = [\"A\", \" \"]\n".into(),
            ":1:39:",
            vec!["an empty title"],
        ),
        (
            "too long",
            format!("[\"*/a/\"]\ntitles = [{:?}]\n", long.trim()),
            ":2:11:",
            vec!["more than the 280 it allows"],
        ),
        (
            "bad glob",
            "\"https://blog.example.org/[a\" = [\"A\"]\n".into(),
            ":1:1:",
            vec!["invalid pattern", "unclosed character class"],
        ),
        (
            "unknown key",
            "[\"*/a/\"]\ntitle = [\"A\"]\n".into(),
            ":2:1:",
            vec!["unknown field `title`"],
        ),
        (
            "bad date",
            "[\"*/a/\"]\ntitles = [\"A\"]\nexpires = \"soon\"\n".into(),
            ":3:11:",
            vec!["invalid date \"soon\""],
        ),
    ];
    for (what, text, at, words) in cases {
        std::fs::write(&titles, text).unwrap();
        for args in [&["check", "--quiet"][..], &["check"][..]] {
            let out = encore(&config).args(args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(78), "{what}: {err}");
            let prefix = format!("encore: {}{at}", titles.display());
            assert!(
                err.starts_with(&prefix),
                "{what}: expected {prefix}, got {err}"
            );
            for w in &words {
                assert!(err.contains(w), "{what}: {err} should say {w:?}");
            }
            assert!(!err.contains("panicked"), "{what}: {err}");
        }
    }
    // A titles file that is not there is named at the config's `titles` key.
    std::fs::remove_file(&titles).unwrap();
    let out = encore(&config).arg("check").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.starts_with(&format!("encore: {}:12:10:", config.display())),
        "{err}"
    );
    assert!(
        err.contains("cannot read") && err.contains("titles.toml"),
        "{err}"
    );
}

/// `check` warns of an entry that matches no archived article, and of a template variant
/// that cannot fit the account's network; `preview` says which variant and title each post
/// uses and why; `history --format json` records them.
#[test]
fn check_warns_preview_explains_and_history_records_the_words() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(300);
    let config = titled_config(
        dir.path(),
        &format!(
            "templates = [\"{{title}} {{url}}\", \"Again: {{title}} {{url}}\", \"{long} {{url}}\"]"
        ),
    );
    std::fs::write(
        dir.path().join("titles.toml"),
        "\"https://blog.example.org/2026/03/article-16/\" = [\"Third, retold\"]\n\"https://blog.example.org/no-such-article/\" = [\"Ghost\"]\n",
    )
    .unwrap();
    let preview = |format: &str| {
        let out = encore(&config)
            .args([
                "preview",
                "--now",
                "2026-06-01T08:00:00+02:00",
                "--days",
                "30",
                "--seed",
                "4",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let text = preview("text");
    assert!(
        text.contains("variant 1/3, original title: first share of the article here"),
        "{text}"
    );
    assert!(text.contains("variant 2/3"), "{text}");
    let json = preview("json");
    let posts: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        posts.iter().all(|p| p["variant"] != 3),
        "variant 3 never fits"
    );
    let retold: Vec<&serde_json::Value> = posts
        .iter()
        .filter(|p| p["title_used"] == "Third, retold")
        .collect();
    assert!(!retold.is_empty(), "the alternate title is used in 30 days");
    assert_eq!(retold[0]["title_pick"], "alternate title 1/1");

    let out = encore(&config).arg("check").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("3 template variants"), "{said}");
    assert!(
        said.contains("template variant 3 of 3") && said.contains("cannot fit on log"),
        "{said}"
    );
    let titles = dir.path().join("titles.toml");
    assert!(
        said.contains(&format!(
            "{}:2:1: \"https://blog.example.org/no-such-article/\" matches no archived article",
            titles.display()
        )),
        "{said}"
    );
    assert!(!said.contains("article-16/\" matches"), "{said}");

    // A day of the daemon, then the history: each post with its variant and title.
    let cfg = Config::load(&config).unwrap();
    let day = Utc.with_ymd_and_hms(2026, 6, 1, 6, 0, 0).unwrap();
    let history = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut d = support::daemon_at(&cfg, day).await;
            d.refresh_feed(day).await.unwrap();
            support::tick_through(&mut d, day, day + Duration::days(1), Duration::minutes(10))
                .await;
            let mut out = Vec::new();
            let filter = encore::commands::HistoryFilter::default();
            encore::commands::history(&cfg, filter, encore::commands::Format::Json, &mut out)
                .unwrap();
            String::from_utf8(out).unwrap()
        });
    let lines: Vec<serde_json::Value> = history
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let posts: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["outcome"] == "shared").collect();
    assert_eq!(posts.len(), 2, "{history}");
    for p in posts {
        assert_eq!(p["variant"], 1, "{p}");
        let title = p["title"].as_str().unwrap();
        assert!(p["detail"].as_str().unwrap().starts_with(title), "{p}");
    }
}

/// SIGHUP with a broken titles file: rejected, naming the file and line; the titles in force
/// stay, and the next post goes out under them.
#[test]
fn a_reload_with_a_broken_titles_file_keeps_the_old_titles() {
    let dir = tempfile::tempdir().unwrap();
    let config = titled_config(dir.path(), "");
    let titles = dir.path().join("titles.toml");
    std::fs::write(
        &titles,
        "[\"*\"]\ntitles = [\"The one alternate title\"]\nreplace = true\n",
    )
    .unwrap();
    let first = support::first_planned(&config, "2026-06-01T08:00:00+02:00");
    assert_eq!(first["title_used"], "The one alternate title");
    let slot: DateTime<Utc> = first["at"].as_str().unwrap().parse().unwrap();

    let start = (slot - Duration::seconds(6)).to_rfc3339();
    let mut cmd = encore(&config);
    cmd.args(["run", "--dry-run", "--now", &start]);
    let (mut child, log) = support::spawn_logged(cmd);
    let mut seen = Vec::new();
    support::wait_for(&log, &mut seen, "ready", 20);
    std::fs::write(&titles, "[\"*\"]\ntitles = [\"\"]\n").unwrap();
    let ok = std::process::Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let rejected = support::wait_for(&log, &mut seen, "reload rejected", 10);
    assert!(
        rejected.contains("titles.toml:2:11") && rejected.contains("an empty title"),
        "{rejected}"
    );
    let posted = support::wait_for(&log, &mut seen, "would post", 20);
    assert!(posted.contains("The one alternate title"), "{posted}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The issue's own weights (3 and 0.5, a ratio of 6 the cooldown cannot honour): planned over
/// two years, the heavy articles still come back most, and no eligible article waits more than
/// 2 cooldown periods past its cooldown (30 + 60 days), then the next daily slot.
#[test]
fn heavy_weights_never_starve_an_article() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(write_feed(dir.path())).unwrap();
    let cfg = Config::parse(
        &dir.path().join("c.toml"),
        "timezone = \"UTC\"\nstate_dir = \"state\"\n[feed]\nurl = \"feed.xml\"\n[select]\ncooldown_days = 30\ncheck_link = false\nevergreen_categories = [\"Tutorials\", \"Notes\", \"Opinion\"]\nweights = { Tutorials = 3.0, Opinion = 0.5 }\n[cadence]\nmode = \"fixed\"\nper_day = 1\nactive_hours = \"09:00-12:00\"\n[[account]]\nname = \"log\"\nnetwork = \"log\"\n",
    )
    .unwrap();
    let items = encore::parse_feed(text.as_bytes(), None).unwrap();
    let archive = encore::Archive::open(&dir.path().join("state")).unwrap();
    archive.merge(&items, t0()).unwrap();
    let articles = archive.articles().unwrap();
    let rules = [encore::NetworkKind::Log.length_rule()];
    let plan = encore::simulate(
        &cfg,
        &rules,
        &articles,
        Default::default(),
        t0()..t0() + Duration::days(730),
        5,
        &[],
    );
    let mut shares: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for p in &plan {
        if let encore::Decision::Post { article, .. } = &p.decision {
            shares
                .entry(article.url.clone())
                .or_default()
                .push(p.slot.at);
        }
    }
    let mut worst = Duration::zero();
    for (url, at) in shares
        .iter()
        .filter(|(u, _)| !u.contains("/dated-") && !u.contains("/sale-"))
    {
        for pair in at.windows(2) {
            let gap = pair[1] - pair[0];
            worst = worst.max(gap);
            // 3 cooldowns, then the next daily slot.
            assert!(
                gap <= Duration::days(92),
                "{url} waited {} days",
                gap.num_days()
            );
        }
    }
    let (tutorials, notes, opinions) = means(&shares);
    assert!(
        tutorials > 2.0 * notes && notes >= opinions,
        "{tutorials:.1} {notes:.1} {opinions:.1}"
    );
    println!("weights 3 / 1 / 0.5: {tutorials:.1} / {notes:.1} / {opinions:.1} shares per article; longest wait {} days", worst.num_days());
}
