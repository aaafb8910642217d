//! `encore report`: what the shares drew, per article, network, weekday and hour, with the
//! retired articles and the month's spend; as text, JSON, or one self-contained HTML file.

use crate::archive::{Archive, ReadShare};
use crate::config::Config;
use crate::error::Error;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

mod html;

/// How to print the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// Aligned columns.
    Text,
    /// One JSON document.
    Json,
    /// One HTML file with its charts inline (SVG): no script, no font, nothing fetched.
    Html,
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Only this account.
    pub account: Option<String>,
    /// From this instant (default: 90 days before `now`).
    pub since: Option<DateTime<Utc>>,
    /// The report's "now".
    pub now: DateTime<Utc>,
    /// The format.
    pub format: ReportFormat,
}

/// The report, as JSON gives it.
#[derive(Debug, Serialize)]
pub struct Report {
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    timezone: String,
    /// The ages read back ("1d", "7d").
    ages: Vec<String>,
    shares: usize,
    engagement: u64,
    articles: Vec<ArticleLine>,
    networks: Vec<Group>,
    weekdays: Vec<Group>,
    hours: Vec<Group>,
    /// Shares per local day, from `since`.
    days: Vec<(String, usize)>,
    retired: Vec<Retired>,
    spend: Vec<(String, String)>,
}

/// One article: its shares and what they drew at each age.
#[derive(Debug, Serialize)]
struct ArticleLine {
    url: String,
    title: String,
    shares: usize,
    /// Per age: total engagement, and per share read at that age.
    at_ages: Vec<(u64, f64)>,
    /// The latest share's engagement against the mean of the ones before: up, down, flat.
    trend: &'static str,
}

/// Shares and what they drew, for a network, a weekday or an hour.
#[derive(Debug, Serialize, Default, Clone)]
struct Group {
    name: String,
    shares: usize,
    engagement: u64,
    per_share: f64,
}

#[derive(Debug, Serialize)]
struct Retired {
    account: String,
    url: String,
    why: String,
}

/// Builds and prints the report.
pub fn report(config: &Config, opts: &ReportOptions, out: &mut dyn Write) -> Result<(), Error> {
    if let Some(name) = &opts.account {
        if config.account(name).is_none() {
            return Err(Error::Usage(format!(
                "no account named {name:?} in {}",
                config.path.display()
            )));
        }
    }
    let archive = Archive::open(&config.state_dir)?;
    let r = collect(config, &archive, opts)?;
    match opts.format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &r).map_err(std::io::Error::other)?;
            writeln!(out)?;
        }
        ReportFormat::Text => write_text(&r, out)?,
        ReportFormat::Html => out.write_all(html::render(&r).as_bytes())?,
    }
    Ok(())
}

/// What the report says, from the state.
pub fn collect(config: &Config, archive: &Archive, opts: &ReportOptions) -> Result<Report, Error> {
    let tz = config.timezone;
    let since = opts.since.unwrap_or(opts.now - Duration::days(90));
    let shares = archive.read_shares(since, opts.account.as_deref())?;
    let ages: Vec<i64> = config
        .read_after
        .iter()
        .map(|d| d.as_secs() as i64)
        .collect();
    let network_of = |account: &str| {
        config
            .account(account)
            .map_or("?".to_string(), |a| a.network.to_string())
    };
    let (networks, weekdays, hours, days) = groups(&shares, tz, &network_of);
    let articles = article_lines(archive, &shares, &ages)?;
    let mut day = since.with_timezone(&tz).date_naive();
    let last = opts.now.with_timezone(&tz).date_naive();
    let mut calendar = Vec::new();
    while day <= last {
        calendar.push((day.to_string(), days.get(&day).copied().unwrap_or(0)));
        day = day.succ_opt().unwrap_or(last + chrono::Days::new(1));
    }
    Ok(Report {
        since,
        until: opts.now,
        timezone: tz.to_string(),
        ages: config
            .read_after
            .iter()
            .map(|d| crate::vocab::HumanDuration(*d).to_string())
            .collect(),
        shares: shares.len(),
        engagement: shares
            .iter()
            .filter_map(|s| s.readings.last())
            .map(|(_, c)| c.total())
            .sum(),
        articles,
        networks,
        weekdays,
        hours,
        days: calendar,
        retired: retired(config, archive, opts.account.as_deref())?,
        spend: spend(config, archive, opts)?,
    })
}

/// Shares per network, weekday and hour (local), and per local day.
type Groups = (
    Vec<Group>,
    Vec<Group>,
    Vec<Group>,
    BTreeMap<chrono::NaiveDate, usize>,
);

fn groups(shares: &[ReadShare], tz: chrono_tz::Tz, network_of: &dyn Fn(&str) -> String) -> Groups {
    let latest = |s: &ReadShare| s.readings.last().map(|(_, c)| c.total());
    let mut networks: BTreeMap<String, Group> = BTreeMap::new();
    let mut weekdays = vec![Group::default(); 7];
    let mut hours = vec![Group::default(); 24];
    let mut days: BTreeMap<chrono::NaiveDate, usize> = BTreeMap::new();
    for s in shares {
        let local = s.at.with_timezone(&tz);
        *days.entry(local.date_naive()).or_default() += 1;
        let e = latest(s);
        for g in [
            networks.entry(network_of(&s.account)).or_default(),
            &mut weekdays[local.weekday().num_days_from_monday() as usize],
            &mut hours[local.hour() as usize],
        ] {
            g.shares += 1;
            g.engagement += e.unwrap_or(0);
        }
    }
    let name_all = |groups: &mut [Group], name: &dyn Fn(usize) -> String| {
        for (i, g) in groups.iter_mut().enumerate() {
            g.name = name(i);
            g.per_share = per(g.engagement, g.shares);
        }
    };
    let weekday_names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    name_all(&mut weekdays, &|i| weekday_names[i].to_string());
    name_all(&mut hours, &|i| format!("{i:02}h"));
    let mut networks: Vec<Group> = networks
        .into_iter()
        .map(|(name, g)| Group {
            name,
            per_share: per(g.engagement, g.shares),
            ..g
        })
        .collect();
    networks.sort_by(|a, b| b.per_share.total_cmp(&a.per_share));
    (networks, weekdays, hours, days)
}

fn per(total: u64, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        total as f64 / n as f64
    }
}

/// One line per article, the best per share first.
fn article_lines(
    archive: &Archive,
    shares: &[ReadShare],
    ages: &[i64],
) -> Result<Vec<ArticleLine>, Error> {
    let mut by_article: BTreeMap<&str, Vec<&ReadShare>> = BTreeMap::new();
    for s in shares {
        by_article.entry(&s.article_key).or_default().push(s);
    }
    let mut out = Vec::new();
    for (key, list) in by_article {
        let title = archive.article(key)?.map(|a| a.title).unwrap_or_default();
        let at_ages = ages
            .iter()
            .map(|age| {
                let read: Vec<u64> = list
                    .iter()
                    .filter_map(|s| {
                        s.readings
                            .iter()
                            .find(|(a, _)| a == age)
                            .map(|(_, c)| c.total())
                    })
                    .collect();
                (read.iter().sum::<u64>(), per(read.iter().sum(), read.len()))
            })
            .collect();
        let drew: Vec<u64> = list
            .iter()
            .filter_map(|s| s.readings.last().map(|(_, c)| c.total()))
            .collect();
        out.push(ArticleLine {
            url: list[0].url.clone(),
            title,
            shares: list.len(),
            at_ages,
            trend: trend(&drew),
        });
    }
    let key = |a: &ArticleLine| a.at_ages.last().map_or(0.0, |x| x.1);
    out.sort_by(|a, b| key(b).total_cmp(&key(a)));
    Ok(out)
}

/// The latest share against the mean of the ones before: up or down by a quarter, else flat.
fn trend(drew: &[u64]) -> &'static str {
    let Some((last, before)) = drew.split_last() else {
        return "-";
    };
    if before.is_empty() {
        return "-";
    }
    let mean = before.iter().sum::<u64>() as f64 / before.len() as f64;
    let last = *last as f64;
    if last > mean * 1.25 + 0.5 {
        "up"
    } else if last < mean * 0.75 - 0.5 {
        "down"
    } else {
        "flat"
    }
}

/// Articles retired on an account: shared `max_shares` times, or silent for the last
/// `retire_after_silent` read-back shares.
fn retired(config: &Config, archive: &Archive, only: Option<&str>) -> Result<Vec<Retired>, Error> {
    let mut out = Vec::new();
    for a in config
        .accounts
        .iter()
        .filter(|a| only.is_none_or(|o| o == a.name))
    {
        let log = archive.share_log(&a.name)?;
        let mut add = |key: &str, why: String| -> Result<(), Error> {
            let url = archive.article(key)?.map_or(key.to_string(), |x| x.url);
            out.push(Retired {
                account: a.name.clone(),
                url,
                why,
            });
            Ok(())
        };
        if let Some(max) = a.select.max_shares {
            let mut keys: Vec<&str> = log.retired(max).collect();
            keys.sort_unstable();
            for key in keys {
                add(key, format!("shared {} times", log.times(key)))?;
            }
        }
        if let Some(n) = a.select.retire_after_silent {
            for key in log.silent(n as usize) {
                add(&key, format!("its last {n} shares drew nothing"))?;
            }
        }
    }
    Ok(out)
}

/// Each account's month: posts, reads and what they cost.
fn spend(
    config: &Config,
    archive: &Archive,
    opts: &ReportOptions,
) -> Result<Vec<(String, String)>, Error> {
    let tz = config.timezone;
    let mut out = Vec::new();
    for a in config
        .accounts
        .iter()
        .filter(|a| opts.account.as_ref().is_none_or(|o| *o == a.name))
    {
        let crate::budget::Month { posts, reads, usd } =
            crate::budget::month(archive, a, tz, opts.now)?;
        let limit = a
            .budget
            .monthly_usd
            .map(|m| format!(" of ${m:.2}"))
            .unwrap_or_default();
        out.push((
            a.name.clone(),
            format!("{posts} posts, {reads} reads, ${usd:.2}{limit}"),
        ));
    }
    Ok(out)
}

/// The report as text: a summary, then each table. Long because it is the screen, top to
/// bottom.
fn write_text(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "Report from {} to {} ({}): {} shares, {} engagement",
        r.since.to_rfc3339(),
        r.until.to_rfc3339(),
        r.timezone,
        r.shares,
        r.engagement
    )?;
    writeln!(
        out,
        "\nARTICLES (best per share first; engagement at {})",
        r.ages.join(" / ")
    )?;
    for a in &r.articles {
        let ages: Vec<String> = a
            .at_ages
            .iter()
            .map(|(t, p)| format!("{t} ({p:.1}/share)"))
            .collect();
        writeln!(
            out,
            "  {:>3} shares  {:<30}  {:<5}  {}",
            a.shares,
            ages.join("  "),
            a.trend,
            a.url
        )?;
    }
    for (title, groups) in [
        ("NETWORKS", &r.networks),
        ("WEEKDAYS", &r.weekdays),
        ("HOURS", &r.hours),
    ] {
        writeln!(out, "\n{title}")?;
        for g in groups.iter().filter(|g| g.shares > 0) {
            writeln!(
                out,
                "  {:<10} {:>5} shares  {:>7} engagement  {:>6.1}/share",
                g.name, g.shares, g.engagement, g.per_share
            )?;
        }
    }
    writeln!(out, "\nRETIRED")?;
    if r.retired.is_empty() {
        writeln!(out, "  none")?;
    }
    for x in &r.retired {
        writeln!(out, "  {:<16} {}  ({})", x.account, x.url, x.why)?;
    }
    writeln!(out, "\nSPEND THIS MONTH")?;
    for (account, s) in &r.spend {
        writeln!(out, "  {account:<16} {s}")?;
    }
    Ok(())
}
