use crate::archive::{Archive, ShareRecord};
use crate::config::Config;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct JsonRecord<'a> {
    at: String,
    slot: String,
    account: &'a str,
    network: &'a str,
    url: Option<&'a str>,
    outcome: crate::archive::Outcome,
    post_id: Option<&'a str>,
    detail: &'a str,
    /// The feed of the article shared, when it is known.
    feed: Option<String>,
    /// The template variant (1-based) and the title the post was written with, when recorded.
    variant: Option<u32>,
    title: Option<&'a str>,
}

/// Which part of the history to print.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryFilter<'a> {
    /// Only this account.
    pub account: Option<&'a str>,
    /// Only the shares of this feed's articles.
    pub feed: Option<&'a str>,
}

/// Prints the share history (shares, failures, skipped slots), newest first. Long because it
/// reads the filters, then writes the text or the JSON form, both here side by side.
pub fn history(
    config: &Config,
    filter: HistoryFilter<'_>,
    format: super::Format,
    out: &mut dyn Write,
) -> Result<(), crate::error::Error> {
    let account = filter.account;
    if let Some(name) = account {
        if config.account(name).is_none() {
            return Err(crate::error::Error::Usage(format!(
                "no account named {name:?} in {}",
                config.path.display()
            )));
        }
    }
    let archive = Archive::open(&config.state_dir)?;
    let mut records: Vec<ShareRecord> = archive
        .all_history()?
        .into_iter()
        .filter(|r| account.is_none_or(|a| r.account == a))
        .collect();
    if let Some(feed) = filter.feed {
        let mut of_feed = Vec::new();
        for r in records {
            let key = r.article_key.as_deref().unwrap_or_default();
            if archive.article(key)?.is_some_and(|a| a.feed == feed) {
                of_feed.push(r);
            }
        }
        records = of_feed;
    }
    let tz = config.timezone;
    let network_of = |name: &str| {
        config
            .account(name)
            .map(|a| a.network.as_str())
            .unwrap_or("?")
    };
    match format {
        super::Format::Json => {
            for r in &records {
                let line = JsonRecord {
                    at: r.at.with_timezone(&tz).to_rfc3339(),
                    slot: r.slot.with_timezone(&tz).to_rfc3339(),
                    account: &r.account,
                    network: network_of(&r.account),
                    url: r.url.as_deref(),
                    outcome: r.outcome,
                    post_id: r.post_id.as_deref(),
                    detail: &r.detail,
                    feed: match r.article_key.as_deref() {
                        Some(key) => archive.article(key)?.map(|a| a.feed),
                        None => None,
                    },
                    variant: r.wording.as_ref().and_then(|w| w.variant),
                    title: r.wording.as_ref().and_then(|w| w.title.as_deref()),
                };
                serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
                writeln!(out)?;
            }
        }
        super::Format::Text => {
            write_spend(config, &archive, account, out)?;
            if records.is_empty() {
                writeln!(out, "no history yet")?;
            }
            for r in &records {
                writeln!(
                    out,
                    "{}  {:<16}  {:<9}  {}  {}",
                    r.at.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"),
                    r.account,
                    r.outcome.to_string(),
                    r.url.as_deref().unwrap_or("-"),
                    r.post_id
                        .as_deref()
                        .map(|p| format!("[{p}] "))
                        .unwrap_or_default()
                        + &r.detail
                )?;
            }
        }
    }
    Ok(())
}

/// One line per account that costs money: posts billed this month and the budget.
fn write_spend(
    config: &Config,
    archive: &Archive,
    only: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), crate::error::Error> {
    let now = chrono::Utc::now();
    let (start, _) = crate::budget::month_bounds(config.timezone, now);
    let month = start.with_timezone(&config.timezone).format("%Y-%m");
    for a in &config.accounts {
        if only.is_some_and(|o| o != a.name) {
            continue;
        }
        let b = a.budget;
        if b.cost_per_post_usd <= 0.0 && b.monthly_usd.is_none() {
            continue;
        }
        let crate::budget::Month {
            posts,
            reads,
            usd: spent,
        } = crate::budget::month(archive, a, config.timezone, now)?;
        let reads = match reads {
            0 => String::new(),
            n => format!(" + {n} reads x ${:.3}", b.cost_per_read_usd),
        };
        let limit = b
            .monthly_usd
            .map(|m| format!(" of ${m:.2} budget"))
            .unwrap_or_default();
        writeln!(
            out,
            "spend {month}  {:<16}  {posts} posts x ${:.2}{reads} = ${spent:.2}{limit}",
            a.name, b.cost_per_post_usd
        )?;
    }
    Ok(())
}
