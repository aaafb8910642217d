//! Auto mode over simulated months: the share rate follows the account's own volume, read from
//! a fake network whose post count grows by itself, and every slot stays in local active hours
//! through daylight-saving changes.

use crate::support;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use encore::Config;
use encore::{AccountInfo, BoxFuture, Network, Outgoing, PostError, Receipt};
use encore::{Archive, Outcome};
use encore::{Daemon, SlotReport};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A network whose account posts `per_day` times a day by itself (evenly), plus what Encore
/// posts; the clock is the test's.
struct Organic {
    clock: Arc<Mutex<DateTime<Utc>>>,
    start: DateTime<Utc>,
    per_day: f64,
    own: Mutex<u64>,
}

impl Network for Organic {
    fn post<'a>(&'a self, _out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(async move {
            let mut own = self.own.lock().unwrap();
            *own += 1;
            Ok(Receipt {
                post_id: format!("p{own}"),
                at: *self.clock.lock().unwrap(),
            })
        })
    }

    fn verify(&self) -> BoxFuture<'_, Result<AccountInfo, PostError>> {
        Box::pin(async move {
            let now = *self.clock.lock().unwrap();
            let days = (now - self.start).num_seconds() as f64 / 86_400.0;
            Ok(AccountInfo {
                handle: "@organic".into(),
                post_count: Some(
                    5000 + (self.per_day * days).floor() as u64 + *self.own.lock().unwrap(),
                ),
            })
        })
    }
}

/// A feed with an article every 12 hours over the 200 days before `now`.
fn feed(dir: &Path, now: DateTime<Utc>) -> std::path::PathBuf {
    let mut items = String::new();
    for i in 0..400 {
        let date = (now - Duration::hours(12 * i)).to_rfc2822();
        items.push_str(&format!(
            "<item><title>Article {i} : l'été à Tōkyō ☕</title><link>https://blog.example.org/a{i}/</link><pubDate>{date}</pubDate><category>Café</category></item>\n"
        ));
    }
    support::write_rss(dir, "B", "https://blog.example.org/", &items)
}

fn config(dir: &Path, tz: &str, now: DateTime<Utc>, cadence: &str) -> Config {
    let feed = feed(dir, now);
    let text = format!(
        r#"
timezone = "{tz}"
state_dir = {state:?}
[feed]
url = {feed:?}
[select]
check_link = false
[cadence]
{cadence}
[[account]]
name = "organic"
network = "log"
"#,
        state = dir.display().to_string(),
        feed = feed.display().to_string(),
    );
    Config::parse(Path::new("auto.toml"), &text).unwrap()
}

struct Sim {
    clock: Arc<Mutex<DateTime<Utc>>>,
    daemon: Daemon,
}

async fn start(cfg: &Config, at: DateTime<Utc>, since: DateTime<Utc>, per_day: f64) -> Sim {
    let clock = Arc::new(Mutex::new(at));
    let archive = Archive::open(&cfg.state_dir).unwrap();
    encore::commands::refresh_archive(cfg, &archive, at).await;
    let net = Organic {
        clock: clock.clone(),
        start: since,
        per_day,
        own: Mutex::new(
            archive
                .history("organic")
                .unwrap()
                .iter()
                .filter(|r| r.outcome == Outcome::Shared)
                .count() as u64,
        ),
    };
    let daemon = Daemon::start(cfg.clone(), archive, vec![Box::new(net)], false, at)
        .await
        .unwrap();
    Sim { clock, daemon }
}

impl Sim {
    async fn run(&mut self, from: DateTime<Utc>, until: DateTime<Utc>) -> Vec<SlotReport> {
        let mut out = Vec::new();
        let mut now = from;
        while now < until {
            *self.clock.lock().unwrap() = now;
            out.extend(self.daemon.tick(now).await.unwrap());
            now += Duration::minutes(10);
        }
        out
    }
}

fn per_local_day(reports: &[SlotReport], tz: Tz) -> BTreeMap<NaiveDate, usize> {
    let mut days = BTreeMap::new();
    for r in reports.iter().filter(|r| r.outcome == Outcome::Shared) {
        *days
            .entry(r.slot.with_timezone(&tz).date_naive())
            .or_insert(0) += 1;
    }
    days
}

#[tokio::test]
async fn a_lively_account_converges_to_two_or_three_a_day_and_restarts_keep_the_day() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 3, 0, 0).unwrap();
    let cfg = config(dir.path(), "Europe/Paris", t0, "mode = \"auto\"");
    let mut sim = start(&cfg, t0, t0, 6.0).await;
    let mut reports = sim
        .run(t0, t0 + Duration::days(12) + Duration::hours(9))
        .await;

    // Restart at noon on day 12: the day keeps the count it was given in the morning.
    let day12 = (t0 + Duration::days(12))
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let kept = sim.daemon.plans("organic").unwrap().days[&day12].clone();
    drop(sim);
    let at = t0 + Duration::days(12) + Duration::hours(9);
    let mut sim = start(&cfg, at, t0, 6.0).await;
    assert_eq!(
        sim.daemon.plans("organic").unwrap().days[&day12],
        kept,
        "today's plan survives the restart"
    );
    reports.extend(sim.run(at, t0 + Duration::days(30)).await);

    let days = per_local_day(&reports, chrono_tz::Europe::Paris);
    // The first day runs on the assumed volume (1/day -> 0.4); from the third on, measured.
    let settled: Vec<usize> = days
        .iter()
        .filter(|(d, _)| **d >= day12 - Duration::days(9))
        .map(|(_, n)| *n)
        .collect();
    assert!(settled.iter().all(|n| (2..=3).contains(n)), "{days:?}");
    let mean = settled.iter().sum::<usize>() as f64 / settled.len() as f64;
    assert!(
        (2.2..=2.6).contains(&mean),
        "6 a day × 0.4 = 2.4, got {mean}: {days:?}"
    );
    let last = sim.daemon.plans("organic").unwrap().last().unwrap().clone();
    assert!(
        (last.volume - 6.0).abs() < 0.3,
        "Encore's own posts are not counted: {last:?}"
    );
    assert!(last.basis.contains("measured over 7.0 days"), "{last:?}");
    assert!(
        reports.iter().all(|r| r.outcome != Outcome::Failed),
        "{reports:#?}"
    );
}

#[tokio::test]
async fn a_quiet_account_gets_at_most_one_a_day_and_at_least_one_a_week() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 3, 0, 0).unwrap();
    let cfg = config(dir.path(), "Europe/Paris", t0, "");
    let mut sim = start(&cfg, t0, t0, 0.5).await;
    let reports = sim.run(t0, t0 + Duration::days(35)).await;
    let days = per_local_day(&reports, chrono_tz::Europe::Paris);
    assert!(days.values().all(|n| *n <= 1), "{days:?}");
    let dates: Vec<NaiveDate> = days.keys().copied().collect();
    let first = t0.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    assert!(dates[0] - first < Duration::days(7), "{dates:?}");
    assert!(
        dates.windows(2).all(|w| w[1] - w[0] <= Duration::days(7)),
        "{dates:?}"
    );
    // 0.5 a day × 0.4 = 0.2 a day: about 7 in 35 days.
    assert!((5..=9).contains(&dates.len()), "{dates:?}");
}

#[tokio::test]
async fn dst_weeks_keep_every_slot_in_local_active_hours() {
    for (tz_name, start_day) in [
        (
            "Europe/Paris",
            Utc.with_ymd_and_hms(2026, 10, 21, 22, 0, 0).unwrap(),
        ),
        (
            "America/New_York",
            Utc.with_ymd_and_hms(2026, 10, 29, 4, 0, 0).unwrap(),
        ),
    ] {
        let tz: Tz = tz_name.parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(
            dir.path(),
            tz_name,
            start_day,
            "mode = \"auto\"\nactive_hours = \"08:00-21:00\"\nmin_spacing = \"3h\"",
        );
        let mut sim = start(&cfg, start_day, start_day - Duration::days(10), 20.0).await;
        let reports = sim.run(start_day, start_day + Duration::days(8)).await;
        let shared: Vec<_> = reports
            .iter()
            .filter(|r| r.outcome == Outcome::Shared)
            .collect();
        assert!(shared.len() >= 15, "{tz_name}: {reports:#?}");
        for r in &shared {
            let local = r.slot.with_timezone(&tz);
            assert!((8..21).contains(&local.hour()), "{tz_name}: {local}");
        }
        for w in shared.windows(2) {
            assert!(
                w[1].slot - w[0].slot >= Duration::hours(3),
                "{tz_name}: {w:?}"
            );
        }
        let days = per_local_day(&reports, tz);
        assert!(days.values().all(|n| *n <= 3), "{tz_name}: {days:?}");
    }
}
