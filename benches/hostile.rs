//! Hostile input (issue 18): what one huge title costs, in time and in peak memory (divan's
//! allocation profiler: "max alloc" is the most bytes live at once during a sample).
//! `cargo bench --bench hostile`; figures in BENCHMARKS.md, nothing here asserts them.
//!
//! Composing is measured on an article as an archive written before titles were bounded at
//! ingestion could hold it (the whole title), the worst case; the feed read on the one-item feed
//! that brings such a title in.

use chrono::{TimeZone, Utc};
use divan::Bencher;
use encore::Article;
use encore::Config;
use std::path::Path;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::main();
}

const MIB: usize = 1 << 20;

/// The titles: words ("mot mot …"), one word with no space, and CJK (no spaces, weight 2 on X).
fn title(kind: &str, bytes: usize) -> String {
    match kind {
        "words" => "mot ".repeat(bytes / 4),
        "no_space" => "x".repeat(bytes),
        _ => "字".repeat(bytes / 3),
    }
}

fn article(title: String) -> Article {
    let t = Utc.with_ymd_and_hms(2026, 10, 21, 8, 0, 0).unwrap();
    Article {
        key: "blog.example.org/p/1".into(),
        url: "https://blog.example.org/p/1".into(),
        title,
        published: t,
        categories: vec!["SEO".into(), "Médias sociaux".into()],
        first_seen: t,
        last_seen: t,
        dead: false,
        private_link: false,
        undated: false,
        feed: String::new(),
    }
}

/// One account on X's weighted length (through `log`).
fn config() -> Config {
    let text = "[feed]\nurl = \"feed.xml\"\n[[account]]\nname = \"x\"\nnetwork = \"log\"\n";
    Config::parse(Path::new("bench.toml"), text).unwrap()
}

/// The message for an article whose title is 2 MiB (8 MiB for the one without spaces, the
/// case the outside check timed at 0.2 s a slot).
#[divan::bench(args = ["words", "no_space", "cjk"])]
fn compose_huge_title(b: Bencher, kind: &str) {
    let size = if kind == "no_space" { 8 * MIB } else { 2 * MIB };
    let account = config().accounts.remove(0);
    let a = article(title(kind, size));
    // One word of 2,000 characters has no cut point: refused (NoRoomForTitle), as it should be.
    b.bench_local(|| {
        encore::compose(&a, &account, account.network.length_rule(), &[]).map(|m| m.length)
    });
}

/// A 2 MiB title through the feed reader: one item, its title bounded to 2,000 characters.
#[divan::bench]
fn parse_feed_with_a_2_mib_title(b: Bencher) {
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><title>{}</title><link>https://blog.example.org/p/1</link></item></channel></rss>",
        title("words", 2 * MIB)
    );
    b.bench_local(|| {
        encore::parse_feed(feed.as_bytes(), None).unwrap()[0]
            .title
            .len()
    });
}
