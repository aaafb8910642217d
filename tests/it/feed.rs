//! Feed reading: every fixture format, and HTTP behaviour against a local server.

use chrono::{TimeZone, Utc};
use encore::{fetch_feed, parse_feed, FeedError};
use encore::{FeedSettings, FeedSource};
use std::io::Write;
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn wordpress_rss_with_cdata_categories() {
    let items = parse_feed(&fixture("wordpress.xml"), None).unwrap();
    assert_eq!(items.len(), 10);
    let first = &items[0];
    assert_eq!(
        first.title,
        "Pourquoi les hashtags en tête de tweet fonctionnent mieux"
    );
    assert_eq!(first.categories, ["Médias sociaux", "Twitter"]);
    assert!(first.url.starts_with("https://blog.example.org/2026/"));
    // The key comes from the link, not from the non-permalink guid.
    assert_eq!(first.key, encore::article_key(&first.url).unwrap());
    assert!(first.published.is_some());
    // Entities decoded: "un(e)" and the apostrophe survive; no markup remains.
    assert!(items
        .iter()
        .all(|i| !i.title.contains('<') && !i.title.contains("&amp;")));
}

#[test]
fn atom_uses_labels_base_uri_and_skips_linkless_entries() {
    let items = parse_feed(
        &fixture("atom.xml"),
        Some("https://atom.example.org/feed.atom"),
    )
    .unwrap();
    assert_eq!(items.len(), 2, "the entry without a link is skipped");
    assert_eq!(items[0].title, "Tips & tricks for Atom feeds");
    assert_eq!(
        items[0].url,
        "https://atom.example.org/2026/04/tips-and-tricks"
    );
    assert_eq!(items[0].categories, ["Web development", "atom"]);
    assert_eq!(
        items[0].published,
        Some(Utc.with_ymd_and_hms(2026, 4, 15, 9, 0, 0).unwrap())
    );
    // No <published>: fall back to <updated>.
    assert_eq!(
        items[1].published,
        Some(Utc.with_ymd_and_hms(2026, 3, 20, 9, 0, 0).unwrap())
    );
}

#[test]
fn json_feed_tags_become_categories() {
    let items = parse_feed(&fixture("feed.json"), None).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].categories, ["Web development", "JSON"]);
    assert_eq!(
        items[0].published,
        Some(Utc.with_ymd_and_hms(2026, 4, 10, 6, 0, 0).unwrap())
    );
    assert_eq!(items[1].categories, ["Événements"]);
}

#[test]
fn non_utf8_feed_is_decoded_from_its_declared_encoding() {
    let bytes = fixture("latin1.xml");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "fixture must not be UTF-8"
    );
    let items = parse_feed(&bytes, None).unwrap();
    assert_eq!(
        items[0].title,
        "Référencement naturel : les bases décortiquées"
    );
    assert_eq!(items[0].categories, ["Médias sociaux", "Référencement"]);
    assert_eq!(items[1].categories, ["Événements"]);
}

#[test]
fn html_instead_of_a_feed_is_a_parse_error() {
    let err = parse_feed(&fixture("broken.xml"), Some("https://b.org/feed")).unwrap_err();
    assert!(matches!(err, FeedError::Parse { .. }), "{err}");
    assert!(err.to_string().contains("https://b.org/feed"), "{err}");
}

fn settings(url: String, max_size: u64, timeout: Duration) -> FeedSettings {
    FeedSettings {
        name: "main".into(),
        source: FeedSource::Url(url.parse().unwrap()),
        refresh: Duration::from_secs(3600),
        timeout,
        max_size,
        allow_private_networks: false,
        backfill_pages: 0,
        backfill_delay: Duration::ZERO,
        timezone: chrono_tz::UTC,
    }
}

#[tokio::test]
async fn http_feed_sends_user_agent_and_reads_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed/"))
        .and(header(
            "user-agent",
            concat!("encore/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("latin1.xml"), "application/rss+xml"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let bytes = fetch_feed(&settings(
        format!("{}/feed/", server.uri()),
        1 << 20,
        Duration::from_secs(5),
    ))
    .await
    .unwrap();
    assert_eq!(bytes, fixture("latin1.xml"));
}

#[tokio::test]
async fn http_errors_are_reported_not_parsed() {
    let server = MockServer::start().await;
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(410))
        .mount(&server)
        .await;
    let err = fetch_feed(&settings(
        format!("{}/gone", server.uri()),
        1 << 20,
        Duration::from_secs(5),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(err, FeedError::Status { status: 410, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn body_cap_applies_before_and_after_decompression() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 300_000]))
        .mount(&server)
        .await;
    // 4 MiB of zeros gzip to a few KiB: only the decompressed size can catch it.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 4 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 100_000);
    Mock::given(path("/bomb"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_bytes(bomb),
        )
        .mount(&server)
        .await;
    for p in ["/big", "/bomb"] {
        let err = fetch_feed(&settings(
            format!("{}{p}", server.uri()),
            200_000,
            Duration::from_secs(5),
        ))
        .await
        .unwrap_err();
        assert!(
            matches!(err, FeedError::TooLarge { limit: 200_000, .. }),
            "{p}: {err}"
        );
    }
}

#[tokio::test]
async fn redirect_loops_and_slow_servers_give_up() {
    let server = MockServer::start().await;
    Mock::given(path("/loop"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/loop"))
        .mount(&server)
        .await;
    Mock::given(path("/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(5))
                .set_body_string("<rss/>"),
        )
        .mount(&server)
        .await;
    let err = fetch_feed(&settings(
        format!("{}/loop", server.uri()),
        1 << 20,
        Duration::from_secs(5),
    ))
    .await
    .unwrap_err();
    assert!(err.to_string().contains("redirect"), "{err}");
    let started = std::time::Instant::now();
    let err = fetch_feed(&settings(
        format!("{}/slow", server.uri()),
        1 << 20,
        Duration::from_millis(500),
    ))
    .await
    .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn local_file_over_the_cap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.xml");
    std::fs::write(&p, vec![b' '; 5000]).unwrap();
    let s = FeedSettings {
        name: "main".into(),
        source: FeedSource::File(p),
        refresh: Duration::from_secs(3600),
        timeout: Duration::from_secs(1),
        max_size: 4000,
        allow_private_networks: false,
        backfill_pages: 0,
        backfill_delay: Duration::ZERO,
        timezone: chrono_tz::UTC,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = rt.block_on(fetch_feed(&s)).unwrap_err();
    assert!(
        matches!(err, FeedError::TooLarge { limit: 4000, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn refresh_uses_conditional_get_and_a_304_costs_nothing() {
    use encore::Archive;
    use encore::Config;
    let server = MockServer::start().await;
    // Second read: the validators come back and the server says nothing changed.
    Mock::given(path("/feed"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/feed"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .insert_header("last-modified", "Wed, 20 May 2026 10:00:00 GMT")
                .set_body_raw(fixture("wordpress.xml"), "application/rss+xml"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "state_dir = {:?}\n[feed]\nurl = \"{}/feed\"\n[[account]]\nname = \"a\"\nnetwork = \"log\"\n",
        dir.path().display().to_string(),
        server.uri()
    );
    let cfg = Config::parse(std::path::Path::new("t.toml"), &text).unwrap();
    let archive = Archive::open(&cfg.state_dir).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let first = encore::commands::refresh_archive(&cfg, &archive, now)
        .await
        .unwrap();
    assert_eq!(first.new, 10);
    let second = encore::commands::refresh_archive(&cfg, &archive, now)
        .await
        .unwrap();
    assert_eq!(second.new + second.known, 0, "304: nothing re-read");
    assert_eq!(archive.len(), 10, "the archive keeps serving");
    // wiremock's header matcher splits values on commas, so check the date header by hand.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].headers.get("if-modified-since").is_none());
    assert_eq!(
        requests[1].headers.get("if-modified-since").unwrap(),
        "Wed, 20 May 2026 10:00:00 GMT"
    );
}

/// An RSS page of `n` items published `first_age`, `first_age + step`, … days before `now`.
fn rss_page(
    base: &str,
    tag: &str,
    now: chrono::DateTime<Utc>,
    first_age: i64,
    step: i64,
    n: usize,
    extra: &str,
) -> String {
    let items: String = (0..n)
        .map(|i| {
            let age = first_age + step * i as i64;
            format!(
                "<item><title>{tag} {i}</title><link>{base}/{tag}-{i}/</link><pubDate>{}</pubDate><category>C</category></item>",
                (now - chrono::Duration::days(age)).to_rfc2822()
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title><link>{base}</link><description>d</description>{extra}{items}</channel></rss>"#
    )
}

fn backfill_setup(url: String) -> (tempfile::TempDir, encore::Config, encore::Archive) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "state_dir = {:?}\n[feed]\nurl = \"{url}\"\nbackfill_delay = \"1s\"\n[[account]]\nname = \"a\"\nnetwork = \"log\"\n",
        dir.path().display().to_string()
    );
    let cfg = encore::Config::parse(std::path::Path::new("t.toml"), &text).unwrap();
    let archive = encore::Archive::open(&cfg.state_dir).unwrap();
    (dir, cfg, archive)
}

#[tokio::test]
async fn backfill_walks_wordpress_pages_until_404() {
    use wiremock::matchers::{query_param, query_param_is_missing};
    let server = MockServer::start().await;
    let base = server.uri();
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    // 10 items a page, 1 a day: page 1 = 0-9 days old … page 4 = 30-39 days old.
    for page in 1..=4u32 {
        let body = rss_page(
            &base,
            &format!("p{page}"),
            now,
            (page as i64 - 1) * 10,
            1,
            10,
            "",
        );
        let m = Mock::given(path("/feed/")).and(query_param("lang", "fr"));
        let m = if page == 1 {
            m.and(query_param_is_missing("paged"))
        } else {
            m.and(query_param("paged", page.to_string()))
        };
        m.respond_with(ResponseTemplate::new(200).set_body_string(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(path("/feed/"))
        .and(query_param("paged", "5"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let (_dir, cfg, archive) = backfill_setup(format!("{base}/feed/?lang=fr"));
    let started = std::time::Instant::now();
    let stats = encore::commands::backfill_archive(&cfg, &archive, now)
        .await
        .unwrap();
    assert_eq!(stats.pages, 4);
    assert_eq!(archive.len(), 40);
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "a polite pause between pages"
    );
    assert!(archive.meta("backfilled").unwrap().is_some());
}

#[tokio::test]
async fn backfill_follows_rfc5005_links_and_stops_at_old_pages() {
    let server = MockServer::start().await;
    let base = server.uri();
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let link = |to: &str| format!(r#"<atom:link rel="next" href="{to}"/>"#);
    // Page 3 is all older than max_age_days (90) + 7: the walk stops there; page 4 is never read.
    let pages = [
        (0, "/archive/2"),
        (40, "/archive/3"),
        (100, "/archive/4"),
        (200, "/archive/5"),
    ];
    for (i, (first_age, next)) in pages.iter().enumerate() {
        let p = if i == 0 {
            "/feed".to_string()
        } else {
            format!("/archive/{}", i + 1)
        };
        let body = rss_page(&base, &format!("a{i}"), now, *first_age, 3, 10, &link(next));
        Mock::given(path(p.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .expect(if i < 3 { 1 } else { 0 })
            .mount(&server)
            .await;
    }
    let (_dir, mut cfg, archive) = backfill_setup(format!("{base}/feed"));
    cfg.feeds[0].backfill_delay = Duration::ZERO;
    let stats = encore::commands::backfill_archive(&cfg, &archive, now)
        .await
        .unwrap();
    assert_eq!(stats.pages, 3);
    assert_eq!(archive.len(), 30);
}

/// The lenient date forms are read whatever the document's encoding: a `gb2312` feed dated
/// `2020/1/10 14:33:00` (a real blog's form), a windows-1252 one `Tue 11 Jan 2011`, an
/// ISO-8859-1 one `2018-01-01 08:00:00`. Each reads as its UTF-8 copy does.
#[test]
fn lenient_dates_are_read_in_feeds_not_in_utf8() {
    let cases = [
        ("gb2312.xml", "2020-01-11T14:33:00+00:00", "第1篇：学习笔记"),
        (
            "windows-1252.xml",
            "2011-01-11T00:00:00+00:00",
            "Café crème n°1 – l’été",
        ),
        (
            "iso-8859-1.xml",
            "2018-01-01T08:00:00+00:00",
            "Grüße aus Köln, Teil 1",
        ),
    ];
    for (name, first, title) in cases {
        let bytes = std::fs::read(crate::support::fixture(&format!("encodings/{name}"))).unwrap();
        let items = parse_feed(&bytes, None).unwrap();
        assert_eq!(items.len(), 5, "{name}");
        assert!(
            items.iter().all(|i| i.published.is_some()),
            "{name}: every date read: {items:#?}"
        );
        assert_eq!(items[0].title, title, "{name}");
        assert_eq!(items[0].published.unwrap().to_rfc3339(), first, "{name}");
    }
}
