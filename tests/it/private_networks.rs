//! A hostile feed cannot make Encore reach an internal address: a service bound on 127.0.0.2
//! (an address of this machine that is not the blog's) stands for the cloud metadata service
//! and an admin panel. The blog (127.0.0.1, the feed's host, so the admin's own) serves a feed
//! whose content leads there four ways: an article linking it, an article whose link redirects
//! there, a page whose `og:image` is there, and an older page (`rel="next"`) there. With the
//! default rules the internal service receives no request at all; with the feed's
//! `allow_private_networks = true` it receives each of them.

use crate::support::{self, fake_bluesky, fake_bluesky::FakeBluesky, http};
use chrono::{Duration, TimeZone, Utc};
use encore::{Archive, Config, Daemon, Outcome};
use std::sync::{Arc, Mutex};

/// The internal service: every path it was asked for.
struct Internal {
    base: String,
    hits: Arc<Mutex<Vec<String>>>,
}

async fn internal(blog: Arc<Mutex<String>>) -> Internal {
    let hits = Arc::new(Mutex::new(Vec::new()));
    let h = hits.clone();
    let base = http::serve_on("127.0.0.2", move |req| {
        let path = req.path();
        h.lock().unwrap().push(path.clone());
        Some(match path.as_str() {
            "/older-feed" => {
                let item = item(&blog.lock().unwrap(), "older-article", "Older from inside");
                rss(&item, "")
            }
            "/secret.png" => {
                let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
                png.resize(1_024, 7);
                http::Reply::bytes(200, "image/png", png)
            }
            _ => page("INTERNAL ADMIN PANEL", None),
        })
    })
    .await;
    Internal { base, hits }
}

fn item(base: &str, slug: &str, title: &str) -> String {
    let link = match slug.starts_with("http") {
        true => slug.to_string(),
        false => format!("{base}/{slug}"),
    };
    format!("<item><title>{title}</title><link>{link}</link><guid>{link}</guid><category>Sécurité</category><pubDate>Mon, 20 Apr 2026 08:00:00 +0000</pubDate></item>")
}

fn rss(items: &str, next: &str) -> http::Reply {
    let next = match next {
        "" => String::new(),
        n => format!(r#"<atom:link rel="next" href="{n}"/>"#),
    };
    let body = format!(
        r#"<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Blog</title><link>http://blog</link>{next}{items}</channel></rss>"#
    );
    http::Reply::bytes(200, "application/rss+xml", body.into_bytes())
}

fn page(title: &str, image: Option<&str>) -> http::Reply {
    let image = image
        .map(|i| format!(r#"<meta property="og:image" content="{i}">"#))
        .unwrap_or_default();
    let html = format!(
        r#"<!doctype html><html><head><meta property="og:title" content="{title}"><meta property="og:description" content="Secret description">{image}</head><body></body></html>"#
    );
    http::Reply::bytes(200, "text/html", html.into_bytes())
}

/// The blog on 127.0.0.1 whose feed leads to `internal` in four ways.
async fn blog(internal: &str) -> String {
    let internal = internal.to_string();
    let own = Arc::new(Mutex::new(String::new()));
    let me = own.clone();
    let base = http::serve(move |req| {
        let base = me.lock().unwrap().clone();
        Some(match req.path().as_str() {
            "/feed" => {
                let items = [
                    item(
                        &base,
                        &format!("{internal}/latest/meta-data/iam"),
                        "Metadata",
                    ),
                    item(&base, "redirect", "Redirected inside"),
                    item(&base, "with-internal-image", "Image from inside"),
                ];
                rss(&items.concat(), &format!("{internal}/older-feed"))
            }
            "/redirect" => {
                let mut r = http::Reply::bytes(302, "text/plain", Vec::new());
                r.headers
                    .push(("Location".into(), format!("{internal}/secret-page")));
                r
            }
            _ => page("Image from inside", Some(&format!("{internal}/secret.png"))),
        })
    })
    .await;
    *own.lock().unwrap() = base.clone();
    base
}

fn config(dir: &std::path::Path, blog: &str, fake: &FakeBluesky, allow: bool) -> Config {
    let text = format!(
        r#"
timezone = "UTC"
state_dir = {state:?}
[feed]
url = "{blog}/feed"
backfill_pages = 3
backfill_delay = "0s"
allow_private_networks = {allow}
[select]
check_link = true
[cadence]
per_day = 3
min_spacing = "1h"
[[account]]
name = "blog-bsky"
network = "bluesky"
service = "{b}"
appview = "{b}"
identifier = "{handle}"
app_password = "{password}"
"#,
        state = dir.display().to_string(),
        b = fake.base,
        handle = fake_bluesky::HANDLE,
        password = fake_bluesky::APP_PASSWORD,
    );
    Config::parse(std::path::Path::new("test.toml"), &text).unwrap()
}

struct Run {
    internal_hits: Vec<String>,
    posts: Vec<serde_json::Value>,
    shared: usize,
    logs: String,
    archive: Archive,
    _dir: tempfile::TempDir,
}

/// Backfills, reads and posts for four days; what the internal service saw.
async fn run(allow: bool) -> Run {
    let (logs, _guard) = support::Captured::install();
    let blog_base = Arc::new(Mutex::new(String::new()));
    let internal = internal(blog_base.clone()).await;
    let blog = blog(&internal.base).await;
    *blog_base.lock().unwrap() = blog.clone();
    let fake = FakeBluesky::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &blog, &fake, allow);
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap();
    let nets = encore::build_networks(&cfg, false).unwrap();
    let archive = Archive::open(&cfg.state_dir).unwrap();
    let mut d = Daemon::start(cfg.clone(), archive, nets, false, t0)
        .await
        .unwrap();
    d.backfill_once(t0).await.unwrap();
    d.refresh_feed(t0).await.unwrap();
    let reports =
        support::tick_through(&mut d, t0, t0 + Duration::days(4), Duration::minutes(10)).await;
    let shared = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .count();
    let posts = fake.posts().into_iter().map(|(_, v)| v).collect();
    let internal_hits = internal.hits.lock().unwrap().clone();
    drop(d);
    Run {
        internal_hits,
        posts,
        shared,
        logs: logs.since(0),
        archive: Archive::open(&cfg.state_dir).unwrap(),
        _dir: dir,
    }
}

#[tokio::test]
async fn a_feeds_content_never_reaches_an_internal_address() {
    let r = run(false).await;
    assert_eq!(
        r.internal_hits,
        Vec::<String>::new(),
        "the internal service is never asked anything"
    );
    assert_eq!(
        r.shared, 1,
        "only the article on the blog itself: {:#?}",
        r.posts
    );
    let post = &r.posts[0];
    let card = &post["embed"]["external"];
    assert!(
        card["uri"]
            .as_str()
            .unwrap()
            .ends_with("/with-internal-image"),
        "{post}"
    );
    assert!(
        card.get("thumb").is_none(),
        "no internal image in the card: {post}"
    );
    let text = post.to_string();
    assert!(
        !text.contains("INTERNAL") && !text.contains("127.0.0.2"),
        "{text}"
    );
    for title in ["Metadata", "Redirected inside"] {
        assert!(
            r.logs.contains(&format!("title={title}"))
                && r.logs.contains("leads to a private address"),
            "one warning names {title:?}: {}",
            r.logs
        );
    }
    assert!(
        r.logs
            .contains("backfill stopped: the next page is on another host"),
        "{}",
        r.logs
    );
    assert!(
        !r.logs.contains("Older from inside"),
        "the internal feed's items were never archived"
    );
    let private = r
        .archive
        .articles()
        .unwrap()
        .into_iter()
        .filter(|a| a.private_link)
        .count();
    assert_eq!(private, 2, "both refused links are remembered as such");
}

#[tokio::test]
async fn allow_private_networks_lets_a_blog_on_a_lan_be_fetched() {
    let r = run(true).await;
    for path in [
        "/latest/meta-data/iam",
        "/secret-page",
        "/secret.png",
        "/older-feed",
    ] {
        assert!(
            r.internal_hits.iter().any(|h| h == path),
            "{path} was fetched: {:?}",
            r.internal_hits
        );
    }
    assert!(r.shared >= 3, "{:#?}", r.posts);
    assert!(
        r.posts
            .iter()
            .any(|p| p["embed"]["external"].get("thumb").is_some()),
        "the LAN image became the card's thumbnail"
    );
}
