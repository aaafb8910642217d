//! Real feeds that lost articles or categories (issue 25), one small fixture each in
//! `tests/fixtures/real/`, made for these tests: per-post anchors, `dc:subject`, JSON Feed
//! quirks, markup in titles, sloppy dates, an HTML page given as the feed.

use chrono::{DateTime, TimeZone, Utc};
use encore::{parse_feed, parse_feed_page, FeedError, FeedItem};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/real/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn item<'a>(items: &'a [FeedItem], url_end: &str) -> &'a FeedItem {
    items
        .iter()
        .find(|i| i.url.ends_with(url_end))
        .unwrap_or_else(|| panic!("no item at …{url_end}: {items:#?}"))
}

#[test]
fn per_post_anchors_are_posts_and_comment_anchors_are_not() {
    let items = parse_feed(&fixture("anchors.xml"), None).unwrap();
    let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "daypages.example.org/2017/06/26.html#a010633",
            "daypages.example.org/2017/06/26.html#a080636",
            "daypages.example.org/2017/06/26.html#a151200",
            // Alone on its page, but its guid names the anchor.
            "daypages.example.org/2017/06/27.html#a093000",
            // No guid, but two posts share the page.
            "daypages.example.org/2017/06/28.html#a1",
            "daypages.example.org/2017/06/28.html#a2",
            // Fragments that point into one post's page are dropped, as before.
            "daypages.example.org/2017/06/29/a-post",
            "daypages.example.org/2017/06/30/another",
        ]
    );
    // The link shared keeps its anchor.
    assert_eq!(
        item(&items, "#a080636").url,
        "https://daypages.example.org/2017/06/26.html#a080636"
    );
}

#[test]
fn dublin_core_subjects_are_categories_in_rss_1_and_rss_2() {
    let rdf = parse_feed(&fixture("dc-subject.rdf"), None).unwrap();
    assert_eq!(rdf.len(), 2);
    assert_eq!(
        item(&rdf, "/a").categories,
        ["Médias sociaux", "Événements"]
    );
    assert_eq!(item(&rdf, "/b").categories, ["Référencement"]);
    let spip = parse_feed(&fixture("spip.xml"), None).unwrap();
    assert_eq!(
        item(&spip, "article12").categories,
        ["Actualités", "Vie locale"]
    );
    // `<category>` first, then the subjects.
    assert_eq!(item(&spip, "article13").categories, ["Nature", "Randonnée"]);
}

#[test]
fn an_early_json_feed_with_loose_fields_is_read_item_by_item() {
    let items = parse_feed(&fixture("jsonfeed-v1-http.json"), None).unwrap();
    assert_eq!(items.len(), 3, "{items:#?}");
    let first = item(&items, "/1");
    // JSON Feed titles are plain text: nothing stripped.
    assert_eq!(first.title, "Die Rückkehr von <i> und <b>");
    assert_eq!(first.categories, ["HTML"]);
    assert_eq!(
        first.published,
        Some(Utc.with_ymd_and_hms(2026, 9, 1, 8, 0, 0).unwrap())
    );
    let second = item(&items, "/2");
    assert_eq!(second.title, "Ein zweiter & letzter");
    assert_eq!(second.categories, ["Web", "JSON"]);
    // A title out of shape costs the title.
    assert_eq!(item(&items, "/3").title, "");
}

#[test]
fn inline_markup_in_a_title_joins_words_and_block_markup_separates_them() {
    let items = parse_feed(&fixture("inline-title.xml"), None).unwrap();
    assert_eq!(
        item(&items, "/flat").title,
        "A 720ft2 flat for ₹4,000 a month"
    );
    assert_eq!(item(&items, "/blocks").title, "Line one line two para");
}

fn at(rfc3339: &str) -> Option<DateTime<Utc>> {
    Some(
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc),
    )
}

#[test]
fn sloppy_dates_are_read_in_the_configured_zone_and_the_rest_left_undated() {
    let (items, _) =
        parse_feed_page(&fixture("sloppy-dates.xml"), None, chrono_tz::Europe::Paris).unwrap();
    assert_eq!(
        item(&items, "/a").published,
        at("2011-01-11T00:00:00+01:00")
    );
    assert_eq!(
        item(&items, "/b").published,
        at("2018-01-06T08:00:00+01:00")
    );
    assert_eq!(
        item(&items, "/c").published,
        at("2020-01-10T00:00:00+01:00")
    );
    assert_eq!(item(&items, "/d").published, None);
    assert_eq!(item(&items, "/e").published, None);
    assert_eq!(item(&items, "/f").published, at("2024-03-01T10:00:00Z"));
}

#[test]
fn an_html_page_is_named_with_the_feed_it_advertises() {
    let err = parse_feed(
        &fixture("home-page.html"),
        Some("https://page.example.org/"),
    )
    .unwrap_err();
    assert!(matches!(err, FeedError::Parse { .. }));
    let msg = err.to_string();
    assert!(msg.contains("an HTML page, not a feed"), "{msg}");
    assert!(
        msg.contains("https://page.example.org/feed/ (set `feed.url` to it)"),
        "{msg}"
    );
    assert!(!msg.contains("no root element"), "{msg}");
    let msg = parse_feed(
        &fixture("xhtml-page.xhtml"),
        Some("https://page.example.org/blog/"),
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("an HTML page, not a feed"), "{msg}");
    assert!(
        msg.contains("usually at https://page.example.org/feed/"),
        "{msg}"
    );
}

/// `encore preview` over the sloppy-dates feed with every dated article in the window: the two
/// undated ones are counted and skipped by default, shared with `undated = "first_seen"`.
fn preview_undated(undated: Option<&str>) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!(
            "{}/tests/fixtures/real/sloppy-dates.xml",
            env!("CARGO_MANIFEST_DIR")
        ),
        dir.path().join("feed.xml"),
    )
    .unwrap();
    let setting = undated
        .map(|u| format!("undated = \"{u}\"\n"))
        .unwrap_or_default();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("timezone = \"Europe/Paris\"\nstate_dir = \"state\"\n[feed]\nurl = \"feed.xml\"\n[select]\nmin_age_days = 0\nmax_age_days = 36500\ncheck_link = false\n{setting}[cadence]\nmode = \"fixed\"\nper_day = 4\nmin_spacing = \"1h\"\n[[account]]\nname = \"a\"\nnetwork = \"log\"\n"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
            .args(["--config", config.to_str().unwrap()])
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    };
    let preview = run(&[
        "preview",
        "--days",
        "2",
        "--seed",
        "1",
        "--now",
        "2026-12-01T08:00:00+01:00",
    ]);
    let status = run(&["status", "--now", "2026-12-01T08:00:00+01:00"]);
    (preview, status)
}

#[test]
fn undated_articles_are_counted_and_skipped_unless_dated_at_first_sight() {
    let (preview, status) = preview_undated(None);
    assert!(
        preview.contains("6 articles archived (2 without a date"),
        "{preview}"
    );
    assert!(
        preview.contains(
            "2 of 6 articles have no date Encore can read (one reads \"sometime last spring\")"
        ),
        "{preview}"
    );
    assert!(
        !preview.contains("dates.example.org/d") && !preview.contains("dates.example.org/e"),
        "{preview}"
    );
    assert!(
        status.contains("6 articles, 2 without a readable date"),
        "{status}"
    );
    let (preview, _) = preview_undated(Some("first_seen"));
    assert!(
        preview.contains("dates.example.org/d") || preview.contains("dates.example.org/e"),
        "{preview}"
    );
}
