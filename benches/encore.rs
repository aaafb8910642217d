//! Encore's benchmarks (divan): `cargo bench --bench encore`. What each measures and the targets
//! are in BENCHMARKS.md; nothing here asserts a time.
//!
//! Inputs are generated, never downloaded: the 5,000-item WordPress-style feed (~10 MB) by
//! `scripts/gen_feed.py` into `target/bench/` (written on first use), the 100,000-article
//! archive in memory (and, for the preview, in a SQLite state built before the timing starts).

use chrono::{DateTime, Duration, TimeZone, Utc};
use divan::Bencher;
use encore::Config;
use encore::FeedItem;
use encore::{Archive, Article};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The 5,000-item feed, generated once by the repository's script.
fn feed_bytes() -> &'static [u8] {
    static FEED: OnceLock<Vec<u8>> = OnceLock::new();
    FEED.get_or_init(|| {
        let path = Path::new(ROOT).join("target/bench/feed-5000.xml");
        if !path.exists() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let status = std::process::Command::new("python3")
                .arg(Path::new(ROOT).join("scripts/gen_feed.py"))
                .args([
                    "--anchor",
                    "2026-12-01",
                    "--items",
                    "5000",
                    "--span",
                    "3650",
                ])
                .args(["--body-bytes", "1150", "--out"])
                .arg(&path)
                .status()
                .expect("python3 runs scripts/gen_feed.py");
            assert!(status.success());
        }
        std::fs::read(path).unwrap()
    })
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
}

/// A config with one account per network rule (X's weighted count through `log`, Mastodon,
/// Bluesky), posting 3 a day each, with the age window wide open so that most of a large
/// archive is eligible (the slowest case for selection).
fn config(dir: &Path, feed: &Path) -> Config {
    let text = format!(
        r#"timezone = "Europe/Paris"
state_dir = {state:?}

[feed]
url = {feed:?}
max_size = "64MiB"

[select]
min_age_days = 30
max_age_days = 7300
exclude_categories = ["Actualités", "Événements"]
cooldown_days = 90

[message]
max_hashtags = 3

[cadence]
per_day = 3
active_hours = "08:00-21:00"

[[account]]
name = "bench-x"
network = "log"

[[account]]
name = "bench-masto"
network = "mastodon"
instance = "https://mastodon.example"
access_token = "env:BENCH_TOKEN"

[[account]]
name = "bench-bsky"
network = "bluesky"
identifier = "blog.example.org"
app_password = "env:BENCH_TOKEN"
"#,
        state = dir.join("state").display().to_string(),
        feed = feed.display().to_string(),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(&path).unwrap()
}

/// Titles in the scripts a blog mixes: Latin with accents, CJK, Greek, Cyrillic, Arabic,
/// emoji with joiners, and long ones that must be shortened.
const TITLES: &[&str] = &[
    "Pourquoi les hashtags en tête de tweet fonctionnent mieux",
    "10 erreurs à éviter sur les médias sociaux",
    "How to write headlines people actually click",
    "東京で学んだコンテンツ戦略とその後の十年",
    "Ελληνικά και Русский: один блог, два алфавита",
    "Émojis 🎉👩‍💻 partout : faut-il en mettre dans les titres ? 👍🏽",
    "كيف تكتب عنوانًا جيدًا لمقالك",
    "A very long title about content marketing strategy that goes on and on to test how Encore shortens titles at a word boundary without ever cutting the link, really on and on",
    "Café, croissants et stratégie de contenu ☕",
    "Growth hacking: the myths and the few things that work",
];

const CATEGORIES: &[&[&str]] = &[
    &["Médias sociaux", "Twitter"],
    &["SEO", "Local"],
    &["コンテンツ", "戦略"],
    &["Événements"],
    &["Content marketing", "Stratégie", "Copywriting"],
    &["Actualités"],
    &["Analytics"],
];

/// `n` articles over 20 years, each with its own link, title and categories, in key order
/// (as the archive gives them).
fn articles(n: usize) -> Vec<Article> {
    let mut articles: Vec<Article> = (0..n)
        .map(|i| {
            let published = now() - Duration::minutes((i as i64 * 20 * 365 * 1440) / n as i64);
            let url = format!(
                "https://blog.example.org/{}/article-{i}/",
                published.format("%Y/%m")
            );
            Article {
                key: encore::article_key(&url).unwrap(),
                url,
                title: format!("{} ({i})", TITLES[i % TITLES.len()]),
                published,
                categories: CATEGORIES[i % CATEGORIES.len()]
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
                first_seen: published,
                last_seen: now(),
                dead: false,
                private_link: false,
                undated: false,
                feed: String::new(),
            }
        })
        .collect();
    articles.sort_by(|a, b| a.key.cmp(&b.key));
    articles
}

fn items(articles: &[Article]) -> Vec<FeedItem> {
    articles
        .iter()
        .map(|a| FeedItem {
            key: a.key.clone(),
            url: a.url.clone(),
            title: a.title.clone(),
            published: Some(a.published),
            categories: a.categories.clone(),
        })
        .collect()
}

/// The last share of 1,000 of the articles, a year's worth of history.
fn last_shares(articles: &[Article]) -> HashMap<String, DateTime<Utc>> {
    articles
        .iter()
        .step_by(articles.len() / 1000)
        .enumerate()
        .map(|(i, a)| (a.key.clone(), now() - Duration::hours(i as i64 * 8)))
        .collect()
}

fn bench_dir() -> tempfile::TempDir {
    std::env::set_var("BENCH_TOKEN", "not-used");
    tempfile::tempdir().unwrap()
}

/// The floor: quick-xml reading every event of the 10 MB feed and nothing more.
#[divan::bench]
fn xml_floor_quick_xml(b: Bencher) {
    let bytes = feed_bytes();
    b.counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| {
            let mut reader = quick_xml::Reader::from_reader(bytes);
            let mut buf = Vec::new();
            let mut events = 0usize;
            loop {
                match reader.read_event_into(&mut buf) {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => events += 1,
                    Err(e) => panic!("{e}"),
                }
                buf.clear();
            }
            events
        });
}

/// Encore's feed parse of the 10 MB, 5,000-item feed: articles with keys, titles, categories.
#[divan::bench]
fn feed_parse_5000(b: Bencher) {
    let bytes = feed_bytes();
    b.counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| encore::parse_feed(bytes, None).unwrap().len());
}

/// Archive alone: the 5,000 parsed items into a new SQLite state (created, written, committed to
/// disk), to show how parse + archive splits.
#[divan::bench(sample_count = 20)]
fn feed_archive_5000(b: Bencher) {
    let items = encore::parse_feed(feed_bytes(), None).unwrap();
    b.with_inputs(bench_dir)
        .bench_values(|dir| (archive_into(&dir, &items), dir));
}

/// The items into a new SQLite state in `dir`, committed and closed: the number archived.
fn archive_into(dir: &tempfile::TempDir, items: &[FeedItem]) -> usize {
    let archive = Archive::open(&dir.path().join("state")).unwrap();
    let stats = archive.merge(items, now()).unwrap();
    archive.flush().unwrap();
    drop(archive);
    stats.new
}

/// Parse and archive: the feed into a new SQLite state, committed.
#[divan::bench(sample_count = 20)]
fn feed_parse_and_archive_5000(b: Bencher) {
    let bytes = feed_bytes();
    b.with_inputs(bench_dir).bench_values(|dir| {
        let items = encore::parse_feed(bytes, None).unwrap();
        (archive_into(&dir, &items), dir)
    });
}

/// One slot's decision over 100,000 articles: rank the eligible ones, compose the best.
#[divan::bench]
fn select_and_compose_100k(b: Bencher) {
    let dir = bench_dir();
    let cfg = config(dir.path(), Path::new("feed.xml"));
    let arts = articles(100_000);
    let shares = encore::ShareLog::from_lasts(last_shares(&arts));
    let mut slot = now();
    b.bench_local(|| {
        slot += Duration::minutes(97);
        encore::decide(
            &cfg.accounts[0],
            cfg.accounts[0].network.length_rule(),
            &arts,
            &shares,
            slot,
            7,
        )
    });
}

/// Hashtags and X's weighted length for 10,000 titles in mixed scripts.
#[divan::bench]
fn compose_10k_titles(b: Bencher) {
    let dir = bench_dir();
    let cfg = config(dir.path(), Path::new("feed.xml"));
    let arts = articles(10_000);
    b.counter(divan::counter::ItemsCount::new(arts.len()))
        .bench_local(|| {
            arts.iter()
                .filter(|a| {
                    encore::compose(
                        a,
                        &cfg.accounts[0],
                        cfg.accounts[0].network.length_rule(),
                        &[],
                    )
                    .is_ok()
                })
                .count()
        });
}

/// The same 10,000 titles written for each network, each measured by its own rule (Threads'
/// emoji bytes, LinkedIn's escaped commentary, Telegram's UTF-16 units beside X's weights).
#[divan::bench(args = ["x", "mastodon", "bluesky", "threads", "linkedin", "telegram"])]
fn compose_10k_titles_per_network(b: Bencher, network: &str) {
    let dir = bench_dir();
    let cfg = config(dir.path(), Path::new("feed.xml"));
    let mut account = cfg.accounts[0].clone();
    account.network = encore::NetworkKind::from_name(network).unwrap();
    let rule = account.network.length_rule();
    let arts = articles(10_000);
    b.counter(divan::counter::ItemsCount::new(arts.len()))
        .bench_local(|| {
            arts.iter()
                .filter(|a| encore::compose(a, &account, rule, &[]).is_ok())
                .count()
        });
}

/// `encore preview --days 30` over a 100,000-article state: read the (small) feed, the whole
/// archive and the history, plan 30 days on three accounts, write the plan.
#[divan::bench(sample_count = 10)]
fn preview_30_days_100k(b: Bencher) {
    let dir = bench_dir();
    let feed: PathBuf = Path::new(ROOT).join("tests/fixtures/span.xml");
    let cfg = config(dir.path(), &feed);
    {
        let archive = Archive::open(&cfg.state_dir).unwrap();
        archive.merge(&items(&articles(100_000)), now()).unwrap();
        archive.flush().unwrap();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = encore::commands::PreviewOptions {
        days: 30,
        now: Some(now()),
        seed: Some(1),
        format: encore::commands::Format::Text,
        volume: None,
        feed: None,
    };
    b.bench_local(|| {
        let mut out = Vec::new();
        rt.block_on(encore::commands::preview(&cfg, &opts, &mut out))
            .unwrap();
        out.len()
    });
}
