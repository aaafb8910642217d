//! `encore report` (issue 23): over a state of 1,000 articles and 5,000 read-back shares, the
//! text, JSON and HTML forms, the HTML file's size, and the HTML shown by a real browser
//! (Debian's headless `chromium`, which `.ci/run` installs).

use crate::support;
use chrono::{DateTime, Duration, TimeZone, Utc};
use encore::{Archive, Counts, DueReading, Outcome, Reading, ShareRecord};
use std::path::{Path, PathBuf};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

/// A config with two log accounts (one retiring articles after 2 shares) over a state of
/// `articles` articles and `shares` shares spread over 90 days, each read back at 1 and 7 days
/// (every 97th post found deleted).
fn state(dir: &Path, articles: usize, shares: usize) -> PathBuf {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "timezone = \"Europe/Paris\"\nstate_dir = \"state\"\n[feed]\nurl = \"feed.xml\"\n[[account]]\nname = \"blog\"\nnetwork = \"log\"\n[[account]]\nname = \"other\"\nnetwork = \"log\"\n[account.select]\nmax_shares = 2\n",
    )
    .unwrap();
    let items: String = (0..articles)
        .map(|i| format!("<item><title>Article n°{i}: R&amp;D things</title><link>https://blog.example.org/{i}/</link><pubDate>Mon, 01 Jun 2026 08:00:00 +0000</pubDate></item>"))
        .collect();
    let feed = support::write_rss(dir, "Blog", "https://blog.example.org/", &items);
    let a = Archive::open(&dir.join("state")).unwrap();
    a.merge(
        &encore::parse_feed(&std::fs::read(feed).unwrap(), None).unwrap(),
        now() - Duration::days(100),
    )
    .unwrap();
    let start = now() - Duration::days(90);
    for i in 0..shares {
        let at = start + Duration::minutes((i * 90 * 24 * 60 / shares) as i64);
        let article = (i * 7919) % articles;
        let account = if i % 3 == 0 { "other" } else { "blog" };
        a.settle(&ShareRecord {
            at,
            account: account.into(),
            article_key: Some(format!("blog.example.org/{article}")),
            url: Some(format!("https://blog.example.org/{article}/")),
            slot: at,
            outcome: Outcome::Shared,
            post_id: Some(format!("log-{i}")),
            detail: "text".into(),
            wording: None,
        })
        .unwrap();
    }
    for account in ["blog", "other"] {
        let due = a
            .due_readings(account, &[86_400, 7 * 86_400], now(), 100_000)
            .unwrap();
        let read: Vec<(DueReading, Reading)> = due
            .into_iter()
            .map(|d| {
                let n: u64 = d.post_id[4..].parse().unwrap();
                let reading = match n % 97 {
                    0 => Reading::Deleted,
                    _ => Reading::Counts(Counts {
                        likes: n % 13 + d.after_secs as u64 / 86_400,
                        reposts: n % 3,
                        replies: n % 2,
                        quotes: 0,
                    }),
                };
                (d, reading)
            })
            .collect();
        a.record_readings(&read, now()).unwrap();
    }
    config
}

fn report(config: &Path, args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(config)
        .args(["report", "--now", "2026-11-01T12:00:00Z"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    out
}

#[test]
fn the_report_in_text_json_and_one_small_html_file() {
    let dir = tempfile::tempdir().unwrap();
    // `ENCORE_REPORT_STATE=DIR` builds the state there and keeps it, for bench/report.sh.
    let kept = std::env::var_os("ENCORE_REPORT_STATE").map(PathBuf::from);
    let base = kept.clone().unwrap_or_else(|| dir.path().to_path_buf());
    std::fs::create_dir_all(&base).unwrap();
    let config = state(&base, 1000, 5000);
    let text = String::from_utf8(report(&config, &[]).stdout).unwrap();
    assert!(text.contains("5000 shares"), "{}", &text[..200]);
    assert!(text.contains("NETWORKS") && text.contains("log"), "{text}");
    assert!(
        text.contains("(shared 2 times)"),
        "the retiring account's articles are listed"
    );

    let json: serde_json::Value =
        serde_json::from_slice(&report(&config, &["--format", "json"]).stdout).unwrap();
    assert_eq!(json["shares"], 5000);
    assert_eq!(json["ages"], serde_json::json!(["1d", "7d"]));
    let articles = json["articles"].as_array().unwrap();
    assert_eq!(articles.len(), 1000);
    let per = |a: &serde_json::Value| a["at_ages"][1][1].as_f64().unwrap();
    assert!(
        articles.windows(2).all(|w| per(&w[0]) >= per(&w[1])),
        "best per share first"
    );
    assert_eq!(json["hours"].as_array().unwrap().len(), 24);
    let one = report(&config, &["--format", "json", "--account", "other"]);
    let one: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(one["shares"], 1667);

    let html = dir.path().join("report.html");
    report(
        &config,
        &["--format", "html", "--output", html.to_str().unwrap()],
    );
    let page = std::fs::read_to_string(&html).unwrap();
    let size = page.len();
    println!("report.html for 1,000 articles and 5,000 shares: {size} bytes");
    assert!(size < 300_000, "{size} bytes");
    assert_eq!(page.matches("<svg").count(), 3);
    assert!(
        !page.contains("<script") && !page.contains("http://") && !page.contains("<link"),
        "self-contained"
    );
    assert!(
        page.contains("Article n°") && page.contains("R&amp;D"),
        "titles escaped"
    );
}

/// The HTML as a browser shows it: Debian's chromium, headless, reads the file; its DOM has
/// the three charts with their bars, and a screenshot of the page is far from blank.
#[test]
fn a_real_browser_shows_the_charts() {
    if !support::tool_present("chromium", "apt-get install chromium") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = state(dir.path(), 200, 1000);
    let html = dir.path().join("report.html");
    report(
        &config,
        &["--format", "html", "--output", html.to_str().unwrap()],
    );
    let chromium = |args: &[&str]| {
        std::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .args(args)
            .output()
            .unwrap()
    };
    let url = format!("file://{}", html.display());
    let dom = String::from_utf8(chromium(&["--dump-dom", &url]).stdout).unwrap();
    assert_eq!(
        dom.matches("<svg").count(),
        3,
        "{}",
        &dom[..dom.len().min(500)]
    );
    let rects = dom.matches("<rect").count();
    assert!(rects > 100, "{rects} bars and cells in the browser's DOM");
    // A screenshot of the report against one of an empty page the same size.
    let blank = dir.path().join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let shot = |page: &Path, png: &Path| {
        let arg = format!("--screenshot={}", png.display());
        chromium(&[
            &arg,
            "--window-size=1000,900",
            &format!("file://{}", page.display()),
        ]);
        std::fs::metadata(png).map(|m| m.len()).unwrap_or(0)
    };
    let (report_png, blank_png) = (
        shot(&html, &dir.path().join("r.png")),
        shot(&blank, &dir.path().join("b.png")),
    );
    println!("screenshots: report {report_png} bytes, blank {blank_png} bytes");
    assert!(
        blank_png > 0 && report_png > 10 * blank_png,
        "report {report_png} vs blank {blank_png}"
    );
}
