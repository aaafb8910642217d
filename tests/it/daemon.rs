//! The daemon driven by an explicit clock: it posts exactly the preview's plan, survives
//! restarts and crashes without double posts, and never records a failure as a share.

use crate::support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use encore::Config;
use encore::Decision;
use encore::{Archive, Intent, Outcome};
use encore::{BoxFuture, Network, Outgoing, PostError, Receipt};
use encore::{Daemon, SlotReport};
use std::path::Path;
use std::sync::{Arc, Mutex};

fn config(state: &Path, per_day: f64) -> Config {
    support::config(
        state,
        &support::fixture("span.xml"),
        per_day,
        r#"
[[account]]
name = "blog-log"
network = "log"
[[account]]
name = "blog-two"
network = "log"
[account.cadence]
per_day = 0.5
"#,
    )
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 5, 0, 0).unwrap()
}

/// Opens the archive with the fixture feed read into it.
async fn archive(config: &Config) -> Archive {
    let a = Archive::open(&config.state_dir).unwrap();
    encore::commands::refresh_archive(config, &a, t0())
        .await
        .unwrap();
    a
}

fn log_networks(config: &Config) -> Vec<Box<dyn Network>> {
    encore::build_networks(config, false).unwrap()
}

/// Ticks every minute over `[from, until)`.
async fn tick_through(
    d: &mut Daemon,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<SlotReport> {
    support::tick_through(d, from, until, Duration::minutes(1)).await
}

fn planned(
    config: &Config,
    articles: &[encore::Article],
    seed: u64,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<(String, DateTime<Utc>, String)> {
    let mut plan = encore::simulate(
        config,
        &[],
        articles,
        encore::Past::default(),
        from..until,
        seed,
        &[],
    )
    .into_iter()
    .filter_map(|p| match p.decision {
        Decision::Post { article, .. } => Some((
            config.accounts[p.slot.account].name.clone(),
            p.slot.at,
            article.key,
        )),
        Decision::Skip { .. } => None,
    })
    .collect::<Vec<_>>();
    plan.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    plan
}

/// The shares in slot order (a tick settles each account's due slots in config order: two
/// accounts' slots within one tick come in that order, not the plan's, found with seed 74).
fn shared(reports: &[SlotReport]) -> Vec<(String, DateTime<Utc>, String)> {
    let mut out: Vec<_> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .map(|r| (r.account.clone(), r.slot, r.article_key.clone().unwrap()))
        .collect();
    out.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    out
}

#[tokio::test]
async fn a_simulated_week_posts_exactly_the_preview_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 2.0);
    let a = archive(&cfg).await;
    let seed = a.seed().unwrap();
    let articles = a.articles().unwrap();
    let until = t0() + Duration::days(7);
    let plan = planned(&cfg, &articles, seed, t0(), until);
    assert!(plan.len() >= 12, "{} planned", plan.len());
    let mut d = Daemon::start(cfg.clone(), a, log_networks(&cfg), false, t0())
        .await
        .unwrap();
    let reports = tick_through(&mut d, t0(), until).await;
    assert_eq!(shared(&reports), plan);
    // The history tells the same story, with post ids.
    let hist = d.archive().all_history().unwrap();
    let shares: Vec<_> = hist
        .iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .collect();
    assert_eq!(shares.len(), plan.len());
    assert!(shares
        .iter()
        .all(|r| r.post_id.as_deref().is_some_and(|p| p.starts_with("log-"))));
}

#[tokio::test]
async fn restarts_between_slots_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 2.0);
    let a = archive(&cfg).await;
    let seed = a.seed().unwrap();
    let plan = planned(
        &cfg,
        &a.articles().unwrap(),
        seed,
        t0(),
        t0() + Duration::days(6),
    );
    let mut all = Vec::new();
    let mut archive = Some(a);
    // Restart every 36 hours, resuming one minute later.
    for k in 0..4 {
        let from = t0() + Duration::hours(36 * k);
        let mut d = Daemon::start(
            cfg.clone(),
            archive.take().unwrap(),
            log_networks(&cfg),
            false,
            from,
        )
        .await
        .unwrap();
        all.extend(tick_through(&mut d, from, from + Duration::hours(36)).await);
        drop(d);
        archive = Some(Archive::open(&cfg.state_dir).unwrap());
    }
    assert_eq!(shared(&all), plan);
    let hist = archive.unwrap().all_history().unwrap();
    let mut slots: Vec<_> = hist.iter().map(|r| (r.account.clone(), r.slot)).collect();
    let n = slots.len();
    slots.sort();
    slots.dedup();
    assert_eq!(slots.len(), n, "no slot settled twice");
}

#[tokio::test]
async fn an_interrupted_post_is_never_posted_again() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 2.0);
    let a = archive(&cfg).await;
    let seed = a.seed().unwrap();
    let plan = planned(
        &cfg,
        &a.articles().unwrap(),
        seed,
        t0(),
        t0() + Duration::days(3),
    );
    let (account, slot, key) = plan[0].clone();
    // A crash right after the intent was flushed (the post may or may not have left).
    a.begin(
        &Intent {
            account: account.clone(),
            article_key: key.clone(),
            url: format!("https://{key}/"),
            slot,
            text: "…".into(),
            created: slot,
            words: None,
        },
        slot - Duration::days(90),
    )
    .unwrap();
    drop(a);
    let a = Archive::open(&cfg.state_dir).unwrap();
    let mut d = Daemon::start(
        cfg.clone(),
        a,
        log_networks(&cfg),
        false,
        slot + Duration::minutes(1),
    )
    .await
    .unwrap();
    let reports = tick_through(
        &mut d,
        slot + Duration::minutes(1),
        t0() + Duration::days(3),
    )
    .await;
    assert!(
        !reports
            .iter()
            .any(|r| r.slot == slot && r.account == account),
        "the slot was settled at start, not re-posted"
    );
    assert!(
        !shared(&reports)
            .iter()
            .any(|(acc, _, k)| *acc == account && *k == key),
        "the article stays in cooldown"
    );
    let hist = d.archive().all_history().unwrap();
    let rec = hist
        .iter()
        .find(|r| r.slot == slot && r.account == account)
        .unwrap();
    assert_eq!(rec.outcome, Outcome::Uncertain);
    assert!(d.archive().pending_intents().unwrap().is_empty());
}

/// A network that fails on demand and remembers what it accepted.
#[derive(Default, Clone)]
struct Flaky {
    accepted: Arc<Mutex<Vec<String>>>,
    fail_next: Arc<Mutex<Vec<PostError>>>,
}

impl Network for Flaky {
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(async move {
            if let Some(e) = self.fail_next.lock().unwrap().pop() {
                return Err(e);
            }
            self.accepted.lock().unwrap().push(out.url.to_string());
            Ok(Receipt {
                post_id: "p".into(),
                at: out.slot,
            })
        })
    }
}

#[tokio::test]
async fn failures_are_recorded_as_failures_and_the_article_stays_available() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 1.0);
    let a = archive(&cfg).await;
    let flaky = Flaky::default();
    flaky
        .fail_next
        .lock()
        .unwrap()
        .push(PostError::Unavailable {
            reason: "503 four times, refused".into(),
        });
    let nets: Vec<Box<dyn Network>> = vec![Box::new(flaky.clone()), Box::new(Flaky::default())];
    let mut d = Daemon::start(cfg.clone(), a, nets, false, t0())
        .await
        .unwrap();
    // Tick until the first slot of the flaky account.
    let mut now = t0();
    let first = loop {
        let r = d.tick(now).await.unwrap();
        if let Some(r) = r.into_iter().find(|r| r.account == "blog-log") {
            break r;
        }
        now += Duration::minutes(1);
    };
    assert_eq!(first.outcome, Outcome::Failed);
    assert!(first.detail.contains("refused"), "{}", first.detail);
    let failed_key = first.article_key.clone().unwrap();
    assert!(
        !d.archive()
            .share_log("blog-log")
            .unwrap()
            .lasts()
            .clone()
            .contains_key(&failed_key),
        "a failed post is not a share"
    );
    let rest = tick_through(&mut d, now + Duration::minutes(1), now + Duration::days(2)).await;
    let shared_here = rest
        .iter()
        .filter(|r| r.account == "blog-log" && r.outcome == Outcome::Shared)
        .count();
    assert!(shared_here >= 1);
    assert_eq!(
        flaky.accepted.lock().unwrap().len(),
        shared_here,
        "every accepted post is in the history, and only those"
    );
    let hist = d.archive().history("blog-log").unwrap();
    assert_eq!(hist[0].outcome, Outcome::Failed);
    assert!(hist[0].post_id.is_none());
}

#[tokio::test]
async fn missed_slots_are_skipped_with_a_reason_and_never_burst() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 2.0);
    let a = archive(&cfg).await;
    let mut d = Daemon::start(cfg.clone(), a, log_networks(&cfg), false, t0())
        .await
        .unwrap();
    d.tick(t0()).await.unwrap();
    // The machine sleeps for three days; it wakes up at 12:00 local.
    let wake = Utc.with_ymd_and_hms(2026, 6, 4, 10, 0, 0).unwrap();
    let reports = d.tick(wake).await.unwrap();
    let skipped: Vec<_> = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped)
        .collect();
    assert!(skipped.len() >= 5, "{reports:?}");
    assert!(
        skipped.iter().all(|r| r.detail.contains("missed by")),
        "{skipped:?}"
    );
    assert!(
        reports
            .iter()
            .filter(|r| r.outcome == Outcome::Shared)
            .count()
            <= 2,
        "at most one per account: {reports:?}"
    );
    // Nothing left to do for those slots on the next tick.
    let again = d.tick(wake + Duration::minutes(1)).await.unwrap();
    assert!(again.iter().all(|r| r.slot > wake), "{again:?}");
}

#[tokio::test]
async fn dry_run_writes_no_history() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 2.0);
    let a = archive(&cfg).await;
    let seed = a.seed().unwrap();
    let plan = planned(
        &cfg,
        &a.articles().unwrap(),
        seed,
        t0(),
        t0() + Duration::days(3),
    );
    let nets: Vec<Box<dyn Network>> = encore::build_networks(&cfg, true).unwrap();
    let mut d = Daemon::start(cfg.clone(), a, nets, true, t0())
        .await
        .unwrap();
    let reports = tick_through(&mut d, t0(), t0() + Duration::days(3)).await;
    assert_eq!(shared(&reports), plan, "the dry run follows the same plan");
    assert!(d.archive().all_history().unwrap().is_empty());
    assert!(d.archive().pending_intents().unwrap().is_empty());
    assert!(d.archive().meta("last_tick").unwrap().is_none());
}

/// A feed whose three articles live on a local server: one gone (410), one whose server refuses
/// HEAD (405, then GET 200), one fine.
#[tokio::test]
async fn dead_links_are_never_shared_and_head_falls_back_to_get() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let base = server.uri();
    let day = |d: i64| (t0() - Duration::days(d)).to_rfc2822();
    let feed = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{base}</link><description>d</description>
<item><title>Gone article</title><link>{base}/gone/</link><pubDate>{}</pubDate><category>A</category></item>
<item><title>No HEAD here</title><link>{base}/nohead/</link><pubDate>{}</pubDate><category>B</category></item>
<item><title>Fine article</title><link>{base}/fine/</link><pubDate>{}</pubDate><category>C</category></item>
</channel></rss>"#,
        day(40),
        day(50),
        day(60)
    );
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(feed))
        .mount(&server)
        .await;
    Mock::given(path("/gone/"))
        .respond_with(ResponseTemplate::new(410))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/nohead/"))
        .respond_with(ResponseTemplate::new(405))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/nohead/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(path("/fine/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "state_dir = {:?}\ntimezone = \"UTC\"\n[feed]\nurl = \"{base}/feed\"\ntimeout = \"5s\"\n[cadence]\nper_day = 3\nmin_spacing = \"1h\"\n[[account]]\nname = \"a\"\nnetwork = \"log\"\n",
        dir.path().display().to_string()
    );
    let cfg = Config::parse(Path::new("t.toml"), &text).unwrap();
    let a = Archive::open(&cfg.state_dir).unwrap();
    encore::commands::refresh_archive(&cfg, &a, t0())
        .await
        .unwrap();
    assert_eq!(a.len(), 3);
    let mut d = Daemon::start(cfg.clone(), a, log_networks(&cfg), false, t0())
        .await
        .unwrap();
    let reports = tick_through(&mut d, t0(), t0() + Duration::days(2)).await;
    let shared_urls: Vec<String> = d
        .archive()
        .all_history()
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == Outcome::Shared)
        .filter_map(|r| r.url)
        .collect();
    assert_eq!(shared_urls.len(), 2, "{reports:?}");
    assert!(!shared_urls.iter().any(|u| u.contains("/gone/")));
    assert!(
        shared_urls.iter().any(|u| u.contains("/nohead/")),
        "GET fallback: {shared_urls:?}"
    );
    let gone = d
        .archive()
        .articles()
        .unwrap()
        .into_iter()
        .find(|a| a.url.contains("/gone/"))
        .unwrap();
    assert!(gone.dead);
}

#[tokio::test]
async fn a_refused_article_is_held_back_and_an_unknown_outcome_counts_as_shared() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 1.0);
    let a = archive(&cfg).await;
    let flaky = Flaky::default();
    // Popped last first: day 1 refused (content), day 2 unknown (ambiguous, not retried).
    flaky.fail_next.lock().unwrap().extend([
        PostError::Unknown {
            reason: "timeout, timeline unreadable".into(),
        },
        PostError::SkipArticle {
            reason: "HTTP 400: too long".into(),
        },
    ]);
    let nets: Vec<Box<dyn Network>> = vec![Box::new(flaky.clone()), Box::new(Flaky::default())];
    let mut d = Daemon::start(cfg.clone(), a, nets, false, t0())
        .await
        .unwrap();
    let reports = tick_through(&mut d, t0(), t0() + Duration::days(2)).await;
    let mine: Vec<_> = reports.iter().filter(|r| r.account == "blog-log").collect();
    assert_eq!(mine[0].outcome, Outcome::Refused);
    assert_eq!(mine[1].outcome, Outcome::Uncertain);
    let held = d.archive().share_log("blog-log").unwrap().lasts().clone();
    for r in &mine[..2] {
        assert!(
            held.contains_key(r.article_key.as_ref().unwrap()),
            "{:?} holds its article back for the cooldown",
            r.outcome
        );
    }
    assert!(flaky.accepted.lock().unwrap().is_empty());
}

#[tokio::test]
async fn old_articles_step_aside_after_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::config(
        dir.path(),
        &support::fixture("span.xml"),
        3.0,
        "[[account]]\nname = \"calm\"\nnetwork = \"log\"\n[account.cadence]\nactive_hours = \"00:00-24:00\"\nmin_spacing = \"1h\"\npause_after_new_post = \"12h\"\n",
    );
    let a = archive(&cfg).await;
    let articles = a.articles().unwrap();
    // The feed's newest article: Mon, 01 Jun 2026 02:29 UTC.
    let newest = Utc.with_ymd_and_hms(2026, 6, 1, 2, 29, 0).unwrap();
    let from = Utc.with_ymd_and_hms(2026, 5, 31, 22, 0, 0).unwrap();
    let plan = encore::simulate(
        &cfg,
        &[],
        &articles,
        encore::Past::default(),
        from..from + Duration::days(2),
        1,
        &[],
    );
    let mut stepped_aside = 0;
    for p in &plan {
        let quiet = p.slot.at >= newest && p.slot.at < newest + Duration::hours(12);
        match &p.decision {
            Decision::Skip { reason, .. } => {
                assert!(quiet, "only the quiet period skips: {} {reason}", p.slot.at);
                assert!(
                    reason.contains("old articles step aside for 12h"),
                    "{reason}"
                );
                stepped_aside += 1;
            }
            Decision::Post { .. } => assert!(!quiet, "posted in the quiet period at {}", p.slot.at),
        }
    }
    assert!(stepped_aside >= 1, "{plan:#?}");
    assert!(plan.len() - stepped_aside >= 3);
}

/// A config over the fixture feed with `accounts` and a 2-hour minimum spacing.
fn config_with(state: &Path, accounts: &str) -> Config {
    support::config(state, &support::fixture("span.xml"), 2.0, accounts)
}

#[tokio::test]
async fn a_reload_adds_and_removes_accounts_and_resumes_a_stopped_one() {
    let dir = tempfile::tempdir().unwrap();
    let before = config_with(
        dir.path(),
        "[[account]]\nname = \"kept\"\nnetwork = \"log\"\n[[account]]\nname = \"gone\"\nnetwork = \"log\"\n",
    );
    let a = archive(&before).await;
    let kept = Flaky::default();
    kept.fail_next.lock().unwrap().push(PostError::StopAccount {
        reason: "HTTP 401: token revoked".into(),
    });
    let nets: Vec<Box<dyn Network>> = vec![Box::new(kept.clone()), Box::new(Flaky::default())];
    let mut d = Daemon::start(before.clone(), a, nets, false, t0())
        .await
        .unwrap();
    let day1 = tick_through(&mut d, t0(), t0() + Duration::days(1)).await;
    let kept_day1: Vec<_> = day1.iter().filter(|r| r.account == "kept").collect();
    assert_eq!(kept_day1[0].outcome, Outcome::Failed, "{kept_day1:?}");
    assert!(
        kept_day1[1..].iter().all(|r| r.outcome == Outcome::Skipped),
        "stopped after the refusal: {kept_day1:?}"
    );

    // The admin fixes the token, removes "gone", adds "new" and reloads.
    let after = config_with(
        dir.path(),
        "[[account]]\nname = \"new\"\nnetwork = \"log\"\n[[account]]\nname = \"kept\"\nnetwork = \"log\"\n",
    );
    let now = t0() + Duration::days(1);
    let new = Flaky::default();
    let nets: Vec<Box<dyn Network>> = vec![Box::new(new.clone()), Box::new(kept.clone())];
    let changes = d.reload(after.clone(), nets, now).await.unwrap();
    assert_eq!(changes.added, vec!["new".to_string()]);
    assert_eq!(changes.removed, vec!["gone".to_string()]);
    assert!(changes.changed.is_empty(), "{changes:?}");
    assert!(!changes.feed_changed && !changes.refresh_changed);
    assert_eq!(d.config().accounts.len(), 2);

    let day2 = tick_through(&mut d, now, now + Duration::days(1)).await;
    let count = |name: &str| {
        day2.iter()
            .filter(|r| r.account == name && r.outcome == Outcome::Shared)
            .count()
    };
    assert_eq!(count("kept"), 2, "resumed by the reload: {day2:?}");
    assert_eq!(count("new"), 2, "the new account posts: {day2:?}");
    assert!(day2.iter().all(|r| r.account != "gone"));
    assert_eq!(kept.accepted.lock().unwrap().len(), 2);
    assert_eq!(new.accepted.lock().unwrap().len(), 2);
    // The removed account's history stays in the state.
    assert!(!d.archive().history("gone").unwrap().is_empty());

    // Another state_dir cannot be taken over a running daemon: refused, nothing changes.
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = config_with(
        elsewhere.path(),
        "[[account]]\nname = \"other\"\nnetwork = \"log\"\n",
    );
    let nets = encore::build_networks(&moved, false).unwrap();
    let err = d.reload(moved, nets, now).await.unwrap_err().to_string();
    assert!(err.contains("state_dir changed"), "{err}");
    assert_eq!(d.config().accounts[1].name, "kept");
}

#[tokio::test]
async fn no_slot_is_posted_within_the_minimum_spacing_of_the_last_post() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_with(
        dir.path(),
        "[[account]]\nname = \"solo\"\nnetwork = \"log\"\n",
    );
    let a = archive(&cfg).await;
    let mut d = Daemon::start(cfg.clone(), a, log_networks(&cfg), false, t0())
        .await
        .unwrap();
    let slot = d.next_slot(&cfg.accounts[0].name, t0()).unwrap();
    // A post made by hand 30 minutes before the slot (a plan moved by a reload looks the same).
    let by_hand = d
        .post_now("solo", slot - Duration::minutes(30))
        .await
        .unwrap();
    assert_eq!(by_hand.outcome, Outcome::Shared);
    let r = d.tick(slot).await.unwrap();
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].outcome, Outcome::Skipped);
    assert!(
        r[0].detail.contains("minimum spacing 2h"),
        "{}",
        r[0].detail
    );
    // The next slot, 2 hours or more later, posts.
    let next = d
        .next_slot(&cfg.accounts[0].name, slot + Duration::seconds(1))
        .unwrap();
    let r = d.tick(next).await.unwrap();
    assert_eq!(r[0].outcome, Outcome::Shared, "{r:?}");
}

#[tokio::test]
async fn a_reload_that_changes_an_auto_cadence_plans_today_again() {
    let dir = tempfile::tempdir().unwrap();
    let auto = |volume: u32| {
        config_with(
            dir.path(),
            &format!("[[account]]\nname = \"auto\"\nnetwork = \"log\"\n[account.cadence]\nmode = \"auto\"\nassumed_daily_volume = {volume}\n"),
        )
    };
    let before = auto(1);
    let a = archive(&before).await;
    let mut d = Daemon::start(before.clone(), a, log_networks(&before), false, t0())
        .await
        .unwrap();
    let today = t0().with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let plan = d.plans("auto").unwrap().days[&today].clone();
    assert!((plan.rate - 0.4).abs() < 1e-9, "{plan:?}");

    // The same config again: today's plan stands.
    let changes = d
        .reload(before.clone(), log_networks(&before), t0())
        .await
        .unwrap();
    assert!(changes.changed.is_empty());
    assert_eq!(d.plans("auto").unwrap().days[&today], plan);

    // A busier account: 40% of 10 a day, capped at 3, from today on.
    let after = auto(10);
    let changes = d
        .reload(after.clone(), log_networks(&after), t0())
        .await
        .unwrap();
    assert_eq!(changes.changed, vec!["auto".to_string()]);
    let replanned = d.plans("auto").unwrap().days[&today].clone();
    assert!((replanned.rate - 3.0).abs() < 1e-9, "{replanned:?}");
    assert!(replanned.count >= 2, "{replanned:?}");
    let day = tick_through(&mut d, t0(), t0() + Duration::hours(18)).await;
    let shared = day.iter().filter(|r| r.outcome == Outcome::Shared).count();
    assert_eq!(shared as u32, replanned.count, "{day:?}");
}

/// A slot looks only at the articles its age window can choose from, streamed (the daemon's
/// memory then follows neither the archive nor the window): over a 2,000-article archive spread
/// over ten years with shares, dead links and a pause after new posts, the choice is the whole
/// archive's at every slot tried, both ways.
#[test]
fn a_slot_chooses_from_its_age_window_as_from_the_whole_archive() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("state"), 3.0);
    cfg.accounts[0].cadence.pause_after_new_post = Some(std::time::Duration::from_secs(4 * 3600));
    let a = Archive::open(&cfg.state_dir).unwrap();
    let items: Vec<encore::FeedItem> = (0..2000)
        .map(|i| encore::FeedItem {
            key: format!("blog.example.org/{:04}", (i * 7919) % 2000),
            url: format!("https://blog.example.org/{i}/"),
            title: format!("Article {i}"),
            // Every 43 hours back from t0, some on the same instant.
            published: Some(t0() - Duration::hours(43 * (i / 2))),
            categories: vec![if i % 9 == 0 { "Événements" } else { "SEO" }.into()],
        })
        .collect();
    a.merge(&items, t0()).unwrap();
    for i in (0..2000).step_by(13) {
        a.mark_dead(&items[i].key).unwrap();
    }
    let all = a.articles().unwrap();
    let mut last_shares = std::collections::HashMap::new();
    for (n, art) in all.iter().enumerate().step_by(3) {
        last_shares.insert(art.key.clone(), t0() - Duration::days((n % 200) as i64));
    }
    let mut last_shares = encore::ShareLog::from_lasts(last_shares);
    // What the shares drew, for an account that learns from it (and weighs a category).
    for (n, art) in all.iter().enumerate().step_by(3) {
        last_shares.engaged(&art.key, (n % 17) as u64);
    }
    let mut learner = cfg.accounts[1].clone();
    learner.name = "learner".into();
    learner.select.strategy = encore::Strategy::Learn;
    learner.select.weights = vec![("seo".into(), 2.0)];
    cfg.accounts.push(learner);
    let key_of = |d: &Decision| match d {
        Decision::Post {
            article, message, ..
        } => Some((article.key.clone(), message.text.clone())),
        Decision::Skip { .. } => None,
    };
    let (mut posted, mut by_stream) = (0, 0);
    for k in 0..300 {
        let slot = t0() - Duration::days(3000) + Duration::hours(k * 241);
        for account in &cfg.accounts {
            let (from, to) = encore::age_window(&account.select, slot);
            let newest = a.newest_published(slot).unwrap();
            let window = a
                .articles_published_between(from, to, newest.as_deref())
                .unwrap();
            assert!(
                window.len() < all.len() / 4,
                "{} of {}",
                window.len(),
                all.len()
            );
            let whole = encore::decide(
                account,
                account.network.length_rule(),
                &all,
                &last_shares,
                slot,
                11,
            );
            let part = encore::decide(
                account,
                account.network.length_rule(),
                &window,
                &last_shares,
                slot,
                11,
            );
            assert_eq!(
                key_of(&whole),
                key_of(&part),
                "slot {slot}, {}",
                account.name
            );
            posted += usize::from(key_of(&whole).is_some());
            // Streamed (the daemon's first try): the same post whenever it decides.
            let streamed = encore::decide_streamed(
                account,
                account.network.length_rule(),
                |f| a.each_published_between(from, to, f),
                |key| a.article(key),
                &last_shares,
                slot,
                11,
            )
            .unwrap();
            if let Some(d) = streamed {
                assert_eq!(
                    key_of(&d),
                    key_of(&whole),
                    "streamed: slot {slot}, {}",
                    account.name
                );
                by_stream += 1;
            }
        }
    }
    assert!(posted > 300, "the slots posted: {posted}");
    assert!(by_stream > 150, "streamed decisions: {by_stream}");
}
