use crate::archive::Archive;
use crate::cadence;
use crate::config::{CadenceMode, Config};
use crate::schedule::{self, Decision, Planned};
use crate::volume::{Basis, Volume};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::io::Write;

/// Output format of `preview`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned, for humans, times in the configured zone.
    Text,
    /// One JSON object per planned post.
    Json,
}

/// What `preview` shows.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    /// Days ahead.
    pub days: u32,
    /// Start of the simulated period; the wall clock when `None`.
    pub now: Option<DateTime<Utc>>,
    /// Seed for jitter and ties; the installation's own seed when `None`, so the preview shows
    /// what the daemon will actually do.
    pub seed: Option<u64>,
    /// Output format.
    pub format: Format,
    /// Auto mode: try this organic volume (posts per day) instead of the measured one.
    pub volume: Option<f64>,
    /// Only the posts of this feed's articles, and the skipped slots of the accounts that
    /// share it.
    pub feed: Option<String>,
}

#[derive(Serialize)]
struct JsonPost<'a> {
    at: String,
    account: &'a str,
    network: &'a str,
    url: &'a str,
    title: &'a str,
    published: String,
    categories: &'a [String],
    hashtags: &'a [String],
    text: &'a str,
    length: usize,
    limit: usize,
    /// How the network counts `length`.
    counted_as: String,
    article_key: &'a str,
    /// The feed the article comes from.
    feed: &'a str,
    /// The template variant used, 1-based, of `variants`.
    variant: u32,
    variants: u32,
    /// The title the text was written with (the original or an alternate).
    title_used: &'a str,
    /// "original title", "alternate title 1/2".
    title_pick: String,
    /// Why these words.
    why: &'a str,
    /// Why this article.
    reason: &'a str,
}

/// Reads the feed into the archive and prints the plan for the next `days` days. Posts nothing
/// and writes no share history: planned shares only count inside the simulation.
pub async fn preview(
    config: &Config,
    opts: &PreviewOptions,
    out: &mut dyn Write,
) -> Result<(), crate::error::Error> {
    if opts.days == 0 || opts.days > 366 {
        return Err(crate::error::Error::Usage(
            "--days must be between 1 and 366".into(),
        ));
    }
    let now = opts.now.unwrap_or_else(Utc::now);
    // Never online: the limits a server announced last time, else the network's defaults.
    let rules = crate::network::limits::kept_rules(config);
    // The state the daemon uses (beside it if it runs): the feed read goes to the archive; the
    // plan is simulated and writes no history.
    let archive = Archive::open(&config.state_dir)?;
    super::refresh_archive(config, &archive, now).await;
    archive.flush()?;
    let seed = match opts.seed {
        Some(s) => s,
        None => archive.seed()?,
    };
    let articles = archive.articles()?;
    let history = config
        .accounts
        .iter()
        .map(|a| archive.share_log(&a.name))
        .collect::<Result<Vec<_>, _>>()?;
    let until = now + Duration::days(i64::from(opts.days));
    let (auto, rates) = auto_plans(config, &archive, now, opts.volume)?;
    for r in &rates {
        tracing::info!("{r}");
    }
    let since = now - Duration::days(schedule::FEED_WINDOW_DAYS);
    let feed_shares = config
        .accounts
        .iter()
        .map(|a| archive.feed_shares(&a.name, since))
        .collect::<Result<Vec<_>, _>>()?;
    let past = schedule::Past {
        logs: history,
        feed_shares,
    };
    let mut plan = schedule::simulate(config, &rules, &articles, past, now..until, seed, &auto);
    if let Some(feed) = &opts.feed {
        plan.retain(|p| match &p.decision {
            Decision::Post { article, .. } => article.feed == *feed,
            Decision::Skip { .. } => config.accounts[p.slot.account]
                .feeds
                .iter()
                .any(|s| s.feed == *feed),
        });
    }
    for p in &plan {
        if let Decision::Skip { reason, .. } = &p.decision {
            tracing::info!(
                account = %config.accounts[p.slot.account].name,
                at = %p.slot.at.with_timezone(&config.timezone).to_rfc3339(),
                "slot skipped: {reason}"
            );
        }
    }
    match opts.format {
        Format::Json => write_json(config, &rules, &plan, out)?,
        Format::Text => {
            for r in &rates {
                writeln!(out, "{r}")?;
            }
            for (a, rule) in config.accounts.iter().zip(&rules) {
                writeln!(
                    out,
                    "{} ({}): LENGTH counts {}; the limit is {}",
                    a.name,
                    a.network,
                    rule.describe(),
                    rule.max()
                )?;
            }
            write_text(config, &plan, now, until, &articles, seed, out)?
        }
    }
    Ok(())
}

/// How each auto-mode account's days go from `now` (the days the daemon decided, then the rate
/// of its measured volume, or of `volume` when given), with one line per account saying why.
pub fn auto_plans(
    config: &Config,
    archive: &Archive,
    now: DateTime<Utc>,
    volume: Option<f64>,
) -> Result<(Vec<Option<schedule::AutoPlan>>, Vec<String>), crate::error::Error> {
    let mut rates = Vec::new();
    let mut auto = Vec::new();
    for a in &config.accounts {
        let CadenceMode::Auto(settings) = a.cadence.mode else {
            auto.push(None);
            continue;
        };
        let (kept, samples) = crate::daemon::kept_state(archive, &a.name)?;
        let (kept, volume) = match volume {
            // A tried value replaces what the daemon decided, from today on.
            Some(v) => (
                Default::default(),
                Volume {
                    per_day: v,
                    basis: Basis::Assumed {
                        why: "--volume".into(),
                    },
                },
            ),
            None => {
                let v =
                    crate::daemon::measured_volume(archive, a, &samples, now)?.unwrap_or(Volume {
                        per_day: settings.assumed_daily_volume,
                        basis: Basis::Assumed {
                            why: "not measured".into(),
                        },
                    });
                (kept, v)
            }
        };
        let rate = cadence::auto_rate(volume.per_day, &settings, a.cadence.days.len());
        let why = format!(
            "{}: auto, {}",
            a.name,
            cadence::explain_rate(rate, &volume, &settings, a.cadence.days.len())
        );
        rates.push(why);
        auto.push(Some(schedule::AutoPlan {
            plans: kept,
            rate,
            today: now.with_timezone(&config.timezone).date_naive(),
        }));
    }
    Ok((auto, rates))
}

/// Writes the plan as JSON lines; `rules` are the length rules the plan was written with (a
/// Mastodon instance's own), so that `counted_as` says what `length` and `limit` mean.
fn write_json(
    config: &Config,
    rules: &[crate::vocab::LengthRule],
    plan: &[Planned],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let tz = config.timezone;
    for p in plan {
        let Decision::Post {
            article,
            message,
            reason,
        } = &p.decision
        else {
            continue;
        };
        let account = &config.accounts[p.slot.account];
        let line = JsonPost {
            at: p.slot.at.with_timezone(&tz).to_rfc3339(),
            account: &account.name,
            network: account.network.as_str(),
            url: &message.url,
            title: &article.title,
            published: article.published.with_timezone(&tz).to_rfc3339(),
            categories: &article.categories,
            hashtags: &message.hashtags,
            text: &message.text,
            length: message.length,
            limit: message.limit,
            counted_as: rules
                .get(p.slot.account)
                .copied()
                .unwrap_or_else(|| account.network.length_rule())
                .describe(),
            article_key: &article.key,
            feed: &article.feed,
            variant: message.variant.0,
            variants: message.variant.1,
            title_used: &message.title,
            title_pick: message.title_pick.to_string(),
            why: &message.why,
            reason,
        };
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)?;
    }
    Ok(())
}

/// Writes the plan as text. Long because it is the screen, top to bottom: the header, one
/// block per day, the census of skipped slots.
fn write_text(
    config: &Config,
    plan: &[Planned],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    articles: &[crate::archive::Article],
    seed: u64,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let tz = config.timezone;
    let fmt = "%a %Y-%m-%d %H:%M %Z";
    let undated = match articles.iter().filter(|a| a.undated).count() {
        0 => String::new(),
        n => format!(" ({n} without a date the feed lets Encore read)"),
    };
    writeln!(
        out,
        "Plan from {} to {} ({tz}), {} articles archived{undated}, seed {seed}",
        from.with_timezone(&tz).format(fmt),
        until.with_timezone(&tz).format(fmt),
        articles.len()
    )?;
    let posts = plan
        .iter()
        .filter(|p| matches!(p.decision, Decision::Post { .. }))
        .count();
    writeln!(
        out,
        "{posts} posts, {} slots without a post\n",
        plan.len() - posts
    )?;
    let name_w = config
        .accounts
        .iter()
        .map(|a| a.name.len() + a.network.as_str().len() + 3)
        .max()
        .unwrap_or(10);
    writeln!(
        out,
        "{:<24}  {:<name_w$}  {:>7}  ARTICLE",
        "WHEN", "ACCOUNT", "LENGTH"
    )?;
    for p in plan {
        let account = &config.accounts[p.slot.account];
        let when = p.slot.at.with_timezone(&tz).format(fmt).to_string();
        let who = format!("{} ({})", account.name, account.network);
        match &p.decision {
            Decision::Post {
                article,
                message,
                reason,
            } => {
                let age = (p.slot.at - article.published).num_days();
                writeln!(
                    out,
                    "{when:<24}  {who:<name_w$}  {:>7}  {} ({} days old)",
                    format!("{}/{}", message.length, message.limit),
                    article.title,
                    age
                )?;
                if account.select.strategy == crate::config::Strategy::Learn {
                    writeln!(out, "{:<24}  {:<name_w$}  {:>7}  {reason}", "", "", "")?;
                }
                let m = &account.message;
                if m.templates.len() > 1 || m.titles.is_some() {
                    writeln!(
                        out,
                        "{:<24}  {:<name_w$}  {:>7}  {}",
                        "",
                        "",
                        "",
                        message.how()
                    )?;
                }
                for line in message.text.lines() {
                    writeln!(out, "{:<24}  {:<name_w$}  {:>7}  │ {line}", "", "", "")?;
                }
            }
            Decision::Skip { reason, .. } => {
                writeln!(
                    out,
                    "{when:<24}  {who:<name_w$}  {:>7}  (skipped: {reason})",
                    "-"
                )?;
            }
        }
    }
    Ok(())
}
