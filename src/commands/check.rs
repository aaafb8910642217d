use crate::config::{Account, Config, FeedSource, HumanDuration, TimezoneSource};
use std::io::Write;

/// Prints the resolved settings (secrets masked) and what deserves attention. The config was
/// already validated when it was loaded; this shows the admin what Encore understood.
pub fn check(config: &Config, out: &mut dyn Write) -> Result<(), crate::Error> {
    writeln!(out, "{}: OK", config.path.display())?;
    let tz_note = match config.timezone_source {
        TimezoneSource::Configured => "configured",
        TimezoneSource::System => "the system's",
        TimezoneSource::Fallback => "fallback: the system's zone could not be read",
    };
    writeln!(out, "timezone   {} ({tz_note})", config.timezone)?;
    writeln!(out, "state_dir  {}", config.state_dir.display())?;
    let f = &config.feed;
    writeln!(
        out,
        "feed       {} (refresh every {}, timeout {}, max {}, backfill up to {} pages {} apart)",
        f.source,
        HumanDuration(f.refresh),
        HumanDuration(f.timeout),
        crate::config::ByteSize(f.max_size),
        f.backfill_pages,
        HumanDuration(f.backfill_delay)
    )?;
    for account in &config.accounts {
        write_account(out, account)?;
    }
    let mut warnings = config.warnings.clone();
    if let FeedSource::File(p) = &config.feed.source {
        if !p.is_file() {
            warnings.push(format!("feed file {} does not exist", p.display()));
        }
    }
    if !config.state_dir.exists() {
        warnings.push(format!(
            "state_dir {} does not exist yet: it is created at first run (the daemon needs write access)",
            config.state_dir.display()
        ));
    }
    for w in &warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

fn write_account(out: &mut dyn Write, a: &Account) -> std::io::Result<()> {
    writeln!(out, "account {:?} ({})", a.name, a.network)?;
    let s = &a.select;
    writeln!(
        out,
        "  select   age {}-{} days, cooldown {} days, exclude categories {:?}, exclude urls {:?}",
        s.min_age_days, s.max_age_days, s.cooldown_days, s.exclude_categories, s.exclude_urls
    )?;
    let m = &a.message;
    let rule = a.network.length_rule();
    writeln!(
        out,
        "  message  template {:?}, text {:?}, max {} hashtags, limit {} ({})",
        m.template.source,
        m.text,
        m.max_hashtags,
        rule.max(),
        match rule {
            crate::compose::length::LengthRule::XWeighted { .. } => "X weighted length",
            _ => "graphemes",
        }
    )?;
    for (category, tags) in &m.hashtags {
        writeln!(
            out,
            "           hashtags for {category:?}: {}",
            if tags.is_empty() {
                "(none)".to_string()
            } else {
                tags.join(" ")
            }
        )?;
    }
    if let Some(utm) = &m.utm {
        let p: Vec<String> = utm.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "           utm {}", p.join("&"))?;
    }
    let c = &a.cadence;
    let days: Vec<String> = c
        .days
        .iter()
        .map(|d| d.to_string().to_lowercase())
        .collect();
    writeln!(
        out,
        "  cadence  fixed, {} per day, {} on {}, at least {} apart, late slots posted up to {}",
        c.per_day,
        c.active_hours,
        days.join(","),
        HumanDuration(c.min_spacing),
        HumanDuration(c.grace)
    )?;
    Ok(())
}
