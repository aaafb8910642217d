//! `encore status`: each account at a glance, from the state (or the running daemon's copy of
//! it): mode and the volume behind the rate, today's slots, the next one, the last share, the
//! month's spend, pauses, and how the archive and the feed are doing.

use super::preview::auto_plans;
use super::Format;
use crate::archive::{key, Archive, Outcome};
use crate::config::{CadenceMode, Config};
use crate::daemon::{FeedStatus, Pause, Runtime};
use crate::schedule;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::io::Write;

/// One account's state.
#[derive(Debug, Serialize)]
pub(super) struct AccountStatus {
    name: String,
    network: String,
    mode: String,
    /// Auto mode: why the rate is what it is.
    rate: String,
    today: Vec<SlotStatus>,
    next_slot: Option<DateTime<Utc>>,
    last_share: Option<LastShare>,
    spend: Option<String>,
    pause: Option<String>,
    eligible: usize,
    /// Articles shared `max_shares` times, never shared again.
    retired: usize,
    /// The last read-back of what its posts drew, and what reads cost this month.
    readback: Option<String>,
    /// For networks whose logins expire (Threads, LinkedIn): when, and what to do.
    login: Option<String>,
}

/// A slot of today.
#[derive(Debug, Serialize)]
pub(super) struct SlotStatus {
    at: DateTime<Utc>,
    /// done, skipped, failed…, or pending.
    state: String,
}

/// The latest record that chose an article.
#[derive(Debug, Serialize)]
pub(super) struct LastShare {
    at: DateTime<Utc>,
    url: String,
    outcome: String,
}

/// The whole picture.
#[derive(Debug, Serialize)]
pub struct Status {
    /// Where the numbers come from.
    source: String,
    daemon: Option<Runtime>,
    archived: usize,
    /// Articles whose feed gives no readable date.
    undated: usize,
    feeds: Vec<FeedLine>,
    accounts: Vec<AccountStatus>,
}

/// A feed and its last read by the daemon.
#[derive(Debug, Serialize)]
pub(super) struct FeedLine {
    name: String,
    source: String,
    last_read: Option<FeedStatus>,
}

/// Gathers the status at `now`. Long because it is one field of `Status` after another, per
/// account, each from its own helper below.
pub fn collect(
    config: &Config,
    archive: &Archive,
    now: DateTime<Utc>,
    source: String,
) -> Result<Status, crate::error::Error> {
    let tz = config.timezone;
    let seed = archive.seed()?;
    let (auto, rates) = auto_plans(config, archive, now, None)?;
    let today = now.with_timezone(&tz).date_naive();
    let day_start = crate::cadence::local_to_utc(tz, today, 0);
    let day_end = crate::cadence::local_to_utc(tz, today + Duration::days(1), 0);
    let slots = schedule::slots(config, day_start, now + Duration::days(30), seed, &auto);
    let runtime: Option<Runtime> = archive.meta_json(key::RUNTIME)?;
    let mut accounts = Vec::new();
    let mut rate_lines = rates.into_iter();
    for (i, a) in config.accounts.iter().enumerate() {
        let history = archive.history(&a.name)?;
        let outcome_of = |slot: DateTime<Utc>| {
            history
                .iter()
                .filter(|r| r.slot == slot)
                .max_by_key(|r| r.at)
                .map(|r| r.outcome)
        };
        let mine: Vec<DateTime<Utc>> = slots
            .iter()
            .filter(|s| s.account == i)
            .map(|s| s.at)
            .collect();
        let today_slots = mine
            .iter()
            .filter(|t| **t < day_end)
            .map(|t| slot_status(*t, outcome_of(*t), now))
            .collect();
        let (mode, rate) = match a.cadence.mode {
            CadenceMode::Fixed => (
                "fixed".into(),
                format!("{} per active day", a.cadence.per_day),
            ),
            CadenceMode::Auto(_) => ("auto".into(), rate_lines.next().unwrap_or_default()),
        };
        let next_slot = mine
            .iter()
            .copied()
            .find(|t| *t > now && outcome_of(*t).is_none());
        let (eligible, retired) = eligible_now(archive, a, &history, now)?;
        accounts.push(AccountStatus {
            name: a.name.clone(),
            network: a.network.to_string(),
            mode,
            rate,
            today: today_slots,
            next_slot,
            last_share: last_share(&history),
            spend: month_spend(archive, a, tz, now)?,
            pause: pause_text(runtime.as_ref(), &a.name, tz),
            eligible,
            retired,
            readback: readback(config, archive, a, now)?,
            login: login(config, a, now),
        });
    }
    Ok(Status {
        source,
        daemon: runtime,
        archived: archive.len(),
        undated: archive.undated_count()?,
        feeds: config
            .feeds
            .iter()
            .map(|f| {
                Ok(FeedLine {
                    name: f.name.clone(),
                    source: f.source.to_string(),
                    last_read: archive.meta_json(&key::feed_status(&f.name))?,
                })
            })
            .collect::<Result<_, crate::archive::ArchiveError>>()?,
        accounts,
    })
}

/// When the account's login ends, from the tokens in the state; from
/// [`crate::network::EXPIRY_WARNING`] before (or with no login at all), a line starting
/// "WARNING: " (which `check` repeats). `None` for networks whose logins do not expire.
pub(super) fn login(
    config: &Config,
    a: &crate::config::Account,
    now: DateTime<Utc>,
) -> Option<String> {
    use crate::network::session::SessionStore;
    use crate::vocab::NetworkKind;
    if !matches!(a.network, NetworkKind::Threads | NetworkKind::LinkedIn) {
        return None;
    }
    let stored = SessionStore::new(&config.state_dir).load(&a.name);
    let ends = match stored {
        Ok(Some(t)) => t.expires_at,
        Ok(None) if a.network == NetworkKind::LinkedIn => {
            return Some(format!(
                "WARNING: not logged in to LinkedIn yet: run `encore auth linkedin --account {}` (the daemon refuses to start without it)",
                a.name
            ))
        }
        Ok(None) => None,
        Err(e) => return Some(format!("WARNING: {e}")),
    };
    Some(match ends {
        Some(t) if t - now < crate::network::EXPIRY_WARNING => format!(
            "WARNING: {}",
            crate::daemon::expiry_warning(a.network, &a.name, t, now)
        ),
        Some(t) => format!(
            "valid until {} ({} days){}",
            t.format("%Y-%m-%d"),
            (t - now).num_days(),
            if a.network == NetworkKind::Threads {
                ", refreshed by the daemon"
            } else {
                ""
            }
        ),
        None => "the configured token's end is not known yet: the daemon refreshes it within the hour it starts".into(),
    })
}

/// What became of a slot of today, as `status` says it.
fn slot_status(at: DateTime<Utc>, outcome: Option<Outcome>, now: DateTime<Utc>) -> SlotStatus {
    let state = match outcome {
        Some(Outcome::Shared) => "done".into(),
        Some(o) => o.to_string(),
        None if at <= now => "missed or due".into(),
        None => "pending".into(),
    };
    SlotStatus { at, state }
}

/// The account's last share (or attempt) of an article.
fn last_share(history: &[crate::archive::ShareRecord]) -> Option<LastShare> {
    history
        .iter()
        .filter(|r| r.url.is_some())
        .max_by_key(|r| r.at)
        .map(|r| LastShare {
            at: r.at,
            url: r.url.clone().unwrap_or_default(),
            outcome: r.outcome.to_string(),
        })
}

/// The month's posts and spend, for an account that has a price or a budget.
fn month_spend(
    archive: &Archive,
    a: &crate::config::Account,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Option<String>, crate::archive::ArchiveError> {
    if a.budget.cost_per_post_usd <= 0.0 && a.budget.monthly_usd.is_none() {
        return Ok(None);
    }
    let crate::budget::Month {
        posts: n,
        usd: spent,
        ..
    } = crate::budget::month(archive, a, tz, now)?;
    Ok(Some(match a.budget.monthly_usd {
        Some(b) => format!("{n} posts, ${spent:.2} of ${b:.2} this month"),
        None => format!("{n} posts, ${spent:.2} this month"),
    }))
}

/// "last 2026-11-27T09:41:00+01:00, 42 readings; reads $0.21 this month", or why none.
fn readback(
    config: &Config,
    archive: &Archive,
    a: &crate::config::Account,
    now: DateTime<Utc>,
) -> Result<Option<String>, crate::archive::ArchiveError> {
    if !a.engagement || config.read_after.is_empty() {
        return Ok(Some("off".into()));
    }
    let Some((at, n)) = archive.last_reading(&a.name)? else {
        return Ok(Some("none yet".into()));
    };
    let tz = config.timezone;
    let mut line = format!("last {}, {n} readings", at.with_timezone(&tz).to_rfc3339());
    if a.budget.cost_per_read_usd > 0.0 {
        let reads = crate::budget::billed_reads(archive, &a.name, tz, now)?;
        let usd = reads as f64 * a.budget.cost_per_read_usd;
        line.push_str(&format!("; {reads} reads, ${usd:.2} this month"));
    }
    Ok(Some(line))
}

/// Why the daemon says the account is not posting, if it does.
fn pause_text(runtime: Option<&Runtime>, account: &str, tz: chrono_tz::Tz) -> Option<String> {
    runtime?.pauses.get(account).map(|p| match p {
        Pause::Until(t) => format!("paused until {}", t.with_timezone(&tz).to_rfc3339()),
        Pause::Stopped => {
            "stopped after an error (see the daemon's log); restart it once fixed".into()
        }
    })
}

/// How many articles the account could share now, and how many retired (shared its
/// `max_shares` times). Only an article of age now can be eligible now: the window is streamed,
/// never the whole archive in memory; a retired one is found from the history.
fn eligible_now(
    archive: &Archive,
    a: &crate::config::Account,
    history: &[crate::archive::ShareRecord],
    now: DateTime<Utc>,
) -> Result<(usize, usize), crate::archive::ArchiveError> {
    let log = crate::archive::ShareLog::of(history);
    let (mut eligible, mut retired) = (0, 0);
    // Each feed the account shares, under that feed's rules, over that feed's articles (with
    // one feed, articles read before feeds had names are its own too).
    for share in &a.feeds {
        let mine = |f: &str| f == share.feed || (f.is_empty() && a.feeds.len() == 1);
        eligible += schedule::count_eligible(archive, &share.select, now, &log, &mine)?;
        if let Some(max) = share.select.max_shares {
            for key in log.retired(max) {
                let article = archive.article(key)?;
                retired += usize::from(article.is_some_and(|art| mine(&art.feed)));
            }
        }
    }
    Ok((eligible, retired))
}

/// `encore status`: reads the state the daemon writes, whether or not it runs.
pub fn status(
    config: &Config,
    now: DateTime<Utc>,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), crate::error::Error> {
    let archive = Archive::open(&config.state_dir)?;
    let source = format!(
        "the state in {}",
        crate::archive::path(&config.state_dir).display()
    );
    let s = collect(config, &archive, now, source)?;
    let running = s.daemon.as_ref().is_some_and(|r| is_running(r.pid));
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, &s).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
        Format::Text => write_text(config, &s, running, out)?,
    }
    Ok(())
}

/// Whether `pid` is an Encore process other than this one (the daemon that last wrote its
/// runtime, unless it has stopped since).
fn is_running(pid: u32) -> bool {
    pid != std::process::id()
        && std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|comm| comm.trim() == "encore")
}

/// Writes the status as text. Long because it is the screen, top to bottom: one block per
/// part of the status, in the order an admin reads it.
fn write_text(
    config: &Config,
    s: &Status,
    running: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let tz = config.timezone;
    let local = |t: &DateTime<Utc>| t.with_timezone(&tz).format("%a %Y-%m-%d %H:%M").to_string();
    writeln!(out, "from {}", s.source)?;
    match (&s.daemon, running) {
        (Some(r), true) => writeln!(
            out,
            "daemon   running (pid {}), last wrote {}",
            r.pid,
            local(&r.written_at)
        )?,
        (Some(r), false) => writeln!(
            out,
            "daemon   not running (last seen {})",
            local(&r.written_at)
        )?,
        (None, _) => writeln!(out, "daemon   never ran on this state")?,
    }
    match s.undated {
        0 => writeln!(out, "archive  {} articles", s.archived)?,
        n => writeln!(
            out,
            "archive  {} articles, {n} without a readable date (not shared unless `[select] undated = \"first_seen\"`)",
            s.archived
        )?,
    }
    for f in &s.feeds {
        let name = match f.name.as_str() {
            crate::config::MAIN_FEED => String::new(),
            n => format!("{n}: "),
        };
        match &f.last_read {
            Some(r) => writeln!(
                out,
                "feed     {name}last read {}: {}",
                local(&r.at),
                r.result
            )?,
            None => writeln!(out, "feed     {name}not read by the daemon yet")?,
        }
    }
    for a in &s.accounts {
        writeln!(out, "\n{} ({}), {} mode", a.name, a.network, a.mode)?;
        writeln!(out, "  rate      {}", a.rate)?;
        let done = a.today.iter().filter(|t| t.state == "done").count();
        let pending = a.today.iter().filter(|t| t.state == "pending").count();
        writeln!(
            out,
            "  today     {} slots: {done} done, {pending} pending, {} other",
            a.today.len(),
            a.today.len() - done - pending
        )?;
        for t in &a.today {
            writeln!(out, "            {} {}", local(&t.at), t.state)?;
        }
        writeln!(
            out,
            "  next      {}",
            a.next_slot
                .as_ref()
                .map(local)
                .unwrap_or_else(|| "none within 30 days".into())
        )?;
        match &a.last_share {
            Some(l) => writeln!(out, "  last      {} {} {}", local(&l.at), l.outcome, l.url)?,
            None => writeln!(out, "  last      nothing shared yet")?,
        }
        if let Some(sp) = &a.spend {
            writeln!(out, "  spend     {sp}")?;
        }
        if let Some(p) = &a.pause {
            writeln!(out, "  pause     {p}")?;
        }
        writeln!(out, "  eligible  {} articles now", a.eligible)?;
        if let Some(r) = &a.readback {
            writeln!(out, "  read-back {r}")?;
        }
        if let Some(l) = &a.login {
            writeln!(out, "  login     {l}")?;
        }
        if a.retired > 0 {
            writeln!(
                out,
                "  retired   {} articles (shared `max_shares` times)",
                a.retired
            )?;
        }
    }
    Ok(())
}
