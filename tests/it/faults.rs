//! Feed faults the daemon must survive with bounded memory and time: a 2 GiB gzip bomb, a
//! server that accepts and never answers, a body that trickles forever. Each is one clear
//! error; the archive keeps serving (a slot still posts from it).

use crate::support;

use chrono::{Duration as Days, TimeZone, Utc};
use encore::Daemon;
use encore::{fetch_feed, FeedError};
use encore::{Archive, Outcome};
use encore::{FeedSettings, FeedSource};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn settings(url: String, timeout: Duration) -> FeedSettings {
    FeedSettings {
        name: "main".into(),
        source: FeedSource::Url(url.parse().unwrap()),
        refresh: Duration::from_secs(3600),
        timeout,
        max_size: 10 << 20,
        allow_private_networks: false,
        backfill_pages: 0,
        backfill_delay: Duration::ZERO,
        timezone: chrono_tz::UTC,
    }
}

#[tokio::test]
async fn a_2_gib_gzip_bomb_stops_at_the_size_cap_with_bounded_memory() {
    let bomb = std::fs::read(support::fixture("bomb-2gib.gz")).unwrap();
    assert!(
        bomb.len() < 3 << 20,
        "2 GiB of zeros in {} bytes",
        bomb.len()
    );
    let base = support::http::serve(move |_| {
        Some(
            support::http::Reply::bytes(200, "application/rss+xml", bomb.clone())
                .header("Content-Encoding", "gzip"),
        )
    })
    .await;
    let before = support::peak_rss_kib();
    let started = Instant::now();
    let err = fetch_feed(&settings(format!("{base}/feed"), Duration::from_secs(30)))
        .await
        .unwrap_err();
    let grew = support::peak_rss_kib().saturating_sub(before);
    println!(
        "gzip bomb: refused in {:?}, peak memory grew by {} KiB",
        started.elapsed(),
        grew
    );
    assert!(matches!(err, FeedError::TooLarge { .. }), "{err}");
    assert!(grew < 100 * 1024, "memory stays bounded: +{grew} KiB");
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// A server that accepts connections and never says a word.
async fn silent_server() -> std::net::SocketAddr {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    addr
}

#[tokio::test]
async fn a_server_that_never_answers_or_trickles_costs_one_timeout() {
    let silent_addr = silent_server().await;
    // Answers 200 and then sends one byte a second, forever.
    let trickle = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trickle_addr = trickle.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = trickle.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = s.read(&mut request).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n<rss>")
                    .await;
                loop {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    if s.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    for addr in [silent_addr, trickle_addr] {
        let started = Instant::now();
        let err = fetch_feed(&settings(
            format!("http://{addr}/feed"),
            Duration::from_secs(2),
        ))
        .await
        .unwrap_err();
        assert!(err.to_string().contains("timed out"), "{addr}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the whole download is bounded by the timeout: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn the_daemon_keeps_posting_from_the_archive_while_the_feed_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap();
    // First read from the fixture file, so the archive holds articles.
    let good = support::config(
        dir.path(),
        &support::fixture("span.xml"),
        2.0,
        "[[account]]\nname = \"blog-log\"\nnetwork = \"log\"\n",
    );
    let archive = Archive::open(&good.state_dir).unwrap();
    encore::commands::refresh_archive(&good, &archive, t0)
        .await
        .unwrap();
    let held = archive.len();
    // Then the feed moves to a server that never answers.
    let addr = silent_server().await;
    let mut hanging = good.clone();
    hanging.feeds[0] = settings(format!("http://{addr}/feed"), Duration::from_secs(1));
    let nets = encore::build_networks(&hanging, false).unwrap();
    let mut d = Daemon::start(hanging, archive, nets, false, t0)
        .await
        .unwrap();
    let started = Instant::now();
    d.refresh_feed(t0).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(d.archive().len(), held, "the archive is untouched");
    let status: encore::FeedStatus = d
        .archive()
        .meta_json(encore::state_key::FEED_STATUS)
        .unwrap()
        .unwrap();
    assert!(status.result.starts_with("failed"), "{status:?}");
    let reports = support::tick_through(&mut d, t0, t0 + Days::days(1), Days::minutes(1)).await;
    assert_eq!(
        reports
            .iter()
            .filter(|r| r.outcome == Outcome::Shared)
            .count(),
        2,
        "the day's two slots post from the archive: {reports:?}"
    );
}
