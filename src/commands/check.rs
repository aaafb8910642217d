use crate::config::secret::SecretRef;
use crate::config::{Account, Config, Endpoint, FeedSource, HumanDuration, TimezoneSource, XAuth};
use std::io::Write;

/// Prints the resolved settings (secrets masked) and what deserves attention. The config was
/// already validated when it was loaded; this shows the admin what Encore understood.
pub fn check(config: &Config, out: &mut dyn Write) -> Result<(), crate::error::Error> {
    writeln!(out, "{}: OK", config.path.display())?;
    let tz_note = match config.timezone_source {
        TimezoneSource::Configured => "configured",
        TimezoneSource::System => "the system's",
        TimezoneSource::Fallback => "fallback: the system's zone could not be read",
    };
    writeln!(out, "timezone   {} ({tz_note})", config.timezone)?;
    writeln!(out, "state_dir  {}", config.state_dir.display())?;
    let mut warnings = config.warnings.clone();
    write_feeds(config, out, &mut warnings)?;
    warnings.extend(metrics_socket_warning(config));
    if config.feeds.len() > 1 {
        writeln!(
            out,
            "           read {} at a time, one at a time per host",
            config.feed_concurrency
        )?;
    }
    if let Some(listen) = &config.metrics {
        let a = &config.metrics_access;
        let from = match a.allow_from.is_empty() {
            true => String::new(),
            false => {
                let nets: Vec<String> = a.allow_from.iter().map(|n| n.to_string()).collect();
                format!(", clients from {}", nets.join(", "))
            }
        };
        let auth = match &a.basic_auth {
            Some((user, password)) => format!(", basic auth as {user} (password {password})"),
            None => String::new(),
        };
        writeln!(
            out,
            "metrics    {listen}{from}{auth}, {} connections at once",
            crate::metrics::MAX_CONNECTIONS
        )?;
    }
    let ages: Vec<String> = config
        .read_after
        .iter()
        .map(|d| HumanDuration(*d).to_string())
        .collect();
    match ages.is_empty() {
        true => writeln!(out, "engagement not read back")?,
        false => writeln!(
            out,
            "engagement read back {} after each post (hourly)",
            ages.join(" and ")
        )?,
    }
    for account in &config.accounts {
        write_account(out, &config.path, account, &mut warnings)?;
    }
    logins(config, &mut warnings);
    unmatched_titles(config, &mut warnings)?;
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

/// What `check` says of how long articles live: evergreen ones, retirement, end dates and
/// category weights (nothing when none is set).
fn write_lifetimes(out: &mut dyn Write, s: &crate::config::SelectSettings) -> std::io::Result<()> {
    if s.has_evergreen() {
        writeln!(
            out,
            "           evergreen (no maximum age): categories {:?}, urls {:?}",
            s.evergreen_categories, s.evergreen_urls
        )?;
    }
    if let Some(max) = s.max_shares {
        writeln!(out, "           an article retires after {max} shares")?;
    }
    if s.strategy == crate::config::Strategy::Learn {
        writeln!(
            out,
            "           strategy learn: ordered by what each article's shares drew"
        )?;
    }
    if let Some(n) = s.retire_after_silent {
        writeln!(
            out,
            "           an article retires after {n} read-back shares that drew nothing"
        )?;
    }
    for (glob, end) in &s.expire_urls {
        writeln!(
            out,
            "           {glob} not shared from {}",
            end.to_rfc3339()
        )?;
    }
    if !s.weights.is_empty() {
        let w: Vec<String> = s.weights.iter().map(|(c, w)| format!("{c} {w}")).collect();
        writeln!(out, "           weights: {} (others 1)", w.join(", "))?;
    }
    Ok(())
}

/// A titles file's entries that match no archived article: a typo, or an article the feed has
/// not shown yet (a warning, not an error). Only when the state exists: `check` never makes one.
fn unmatched_titles(
    config: &Config,
    warnings: &mut Vec<String>,
) -> Result<(), crate::error::Error> {
    let mut books: Vec<&crate::config::TitleBook> = Vec::new();
    let messages = config
        .accounts
        .iter()
        .flat_map(|a| std::iter::once(&a.message).chain(a.feeds.iter().map(|f| &f.message)));
    for m in messages {
        if let Some(b) = m.titles.as_deref() {
            if !books.iter().any(|k| k.path == b.path) {
                books.push(b);
            }
        }
    }
    if books.is_empty() || !crate::archive::path(&config.state_dir).is_file() {
        return Ok(());
    }
    let archive = crate::archive::Archive::open(&config.state_dir)?;
    let articles = archive.articles()?;
    for book in books {
        for e in &book.entries {
            if !articles.iter().any(|a| e.pattern.is_match(&a.url)) {
                warnings.push(format!(
                    "{}:{}:{}: {:?} matches no archived article ({} archived)",
                    book.path.display(),
                    e.line,
                    e.col,
                    e.pattern.as_str(),
                    articles.len()
                ));
            }
        }
    }
    Ok(())
}

/// A warning for a metrics socket whose directory does not exist (the daemon could not bind
/// it): under the shipped unit `/run/encore` is its RuntimeDirectory.
fn metrics_socket_warning(config: &Config) -> Option<String> {
    let Some(crate::config::MetricsListen::Unix(path)) = &config.metrics else {
        return None;
    };
    let dir = path.parent()?;
    (!dir.is_dir()).then(|| {
        format!(
            "metrics socket {}: its directory {} does not exist (the shipped unit makes /run/encore with RuntimeDirectory=encore; elsewhere create it)",
            path.display(),
            dir.display()
        )
    })
}

/// One line per feed, and a warning for a feed file that is not there.
fn write_feeds(
    config: &Config,
    out: &mut dyn Write,
    warnings: &mut Vec<String>,
) -> std::io::Result<()> {
    for f in &config.feeds {
        let name = match f.name.as_str() {
            crate::config::MAIN_FEED => String::new(),
            n => format!("{n}: "),
        };
        writeln!(
            out,
            "feed       {name}{} (refresh every {}, timeout {}, max {}, backfill up to {} pages {} apart)",
            f.source,
            HumanDuration(f.refresh),
            HumanDuration(f.timeout),
            crate::config::ByteSize(f.max_size),
            f.backfill_pages,
            HumanDuration(f.backfill_delay)
        )?;
        if f.allow_private_networks {
            writeln!(
                out,
                "           {name}its content may lead to private addresses (allow_private_networks = true)"
            )?;
        }
        if let FeedSource::File(p) = &f.source {
            if !p.is_file() {
                warnings.push(format!("feed file {} does not exist", p.display()));
            }
        }
    }
    Ok(())
}

/// `encore check --quiet`: what the daemon does with a config before it takes it (every
/// account set up, every secret read), printing nothing when all is well. `systemctl reload`
/// runs it first, so that a config the daemon would reject fails the reload with its error.
pub fn check_quiet(config: &Config) -> Result<(), crate::error::Error> {
    crate::network::build_all(config, false).map(drop)
}

/// `encore check --online`: one cheap authenticated call per account, printing whose
/// credentials they are. Any account failing makes the whole check fail.
pub async fn check_online(config: &Config, out: &mut dyn Write) -> Result<(), crate::error::Error> {
    let networks = crate::network::build_all(config, false)?;
    let rules = crate::network::limits::read_rules(config, &networks).await;
    let mut failed = Vec::new();
    for ((a, n), rule) in config.accounts.iter().zip(&networks).zip(&rules) {
        match n.verify().await {
            Ok(info) => {
                let count = info
                    .post_count
                    .map(|c| format!(", {c} posts"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "online  {}: {} OK as {}{count}",
                    a.name, a.network, info.handle
                )?;
                if let (None, crate::config::CadenceMode::Auto(auto)) =
                    (info.post_count, a.cadence.mode)
                {
                    writeln!(
                        out,
                        "online  {}: {} gives no post count: the auto cadence assumes {} posts a day (`assumed_daily_volume`)",
                        a.name,
                        a.network.display_name(),
                        auto.assumed_daily_volume
                    )?;
                }
                if a.network == crate::vocab::NetworkKind::Mastodon {
                    writeln!(
                        out,
                        "online  {}: the instance allows {} characters per post (Mastodon's default: {})",
                        a.name,
                        rule.max(),
                        a.network.length_rule().max()
                    )?;
                }
            }
            Err(e) => {
                writeln!(out, "online  {}: {} FAILED: {e}", a.name, a.network)?;
                failed.push(a.name.clone());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(crate::error::Error::NotPosted(format!(
            "credentials check failed for {}",
            failed.join(", ")
        )))
    }
}

fn write_secret(
    out: &mut dyn Write,
    path: &std::path::Path,
    a: &Account,
    (key, r): (&str, &SecretRef),
    warnings: &mut Vec<String>,
) -> std::io::Result<()> {
    let state = match r.resolve() {
        Ok(_) => "available".to_string(),
        Err(e) => {
            let at = a.secret_lines.position(path, key).unwrap_or_default();
            warnings.push(format!(
                "{at}: account {:?}: `{key}` cannot be read here ({e}); the daemon will refuse to start unless its environment has it",
                a.name
            ));
            "NOT AVAILABLE HERE".to_string()
        }
    };
    writeln!(out, "           {key} = {r} ({state})")
}

/// Writes where an account posts and how its secrets are read. Long because it is one match
/// arm per network, each a few lines of output.
fn write_endpoint(
    out: &mut dyn Write,
    path: &std::path::Path,
    a: &Account,
    warnings: &mut Vec<String>,
) -> std::io::Result<()> {
    // An address may carry a password or a key in its query: shown without them.
    let shown = |u: &url::Url| crate::redact::url(u.as_str());
    match &a.endpoint {
        Endpoint::Log => {}
        Endpoint::Mastodon(m) => {
            writeln!(
                out,
                "  mastodon {} as the token's owner, visibility {}{}",
                shown(&m.instance),
                m.visibility.as_str(),
                m.language
                    .as_deref()
                    .map(|l| format!(", language {l}"))
                    .unwrap_or_default()
            )?;
        }
        Endpoint::Bluesky(b) => {
            writeln!(
                out,
                "  bluesky  {} as {}, post count from {}{}",
                shown(&b.service),
                b.identifier,
                shown(&b.appview),
                b.language
                    .as_deref()
                    .map(|l| format!(", language {l}"))
                    .unwrap_or_default()
            )?;
        }
        Endpoint::X(x) => match &x.auth {
            XAuth::OAuth1 { .. } => {
                writeln!(out, "  x        {} with OAuth 1.0a", shown(&x.api_base))?;
            }
            XAuth::OAuth2 {
                client_id,
                redirect_uri,
                ..
            } => {
                writeln!(
                    out,
                    "  x        {} with OAuth 2.0, client_id {client_id}, redirect {redirect_uri}",
                    shown(&x.api_base)
                )?;
            }
        },
        Endpoint::Threads(t) => {
            writeln!(
                out,
                "  threads  {} as the token's owner; the token is refreshed and kept in the state; one topic tag per post",
                shown(&t.api_base)
            )?;
        }
        Endpoint::LinkedIn(l) => {
            writeln!(
                out,
                "  linkedin {} as {}, LinkedIn-Version {}, client_id {}, redirect {} (log in with `encore auth linkedin --account {}`)",
                shown(&l.api_base),
                l.author.as_deref().unwrap_or("the member who logs in"),
                l.api_version,
                l.client_id,
                l.redirect_uri,
                a.name
            )?;
        }
        Endpoint::Telegram(t) => {
            writeln!(
                out,
                "  telegram {} to {} as a bot (it must be an admin of the channel allowed to post)",
                shown(&t.api_base),
                t.chat
            )?;
        }
    }
    for secret in a.endpoint.secrets() {
        write_secret(out, path, a, secret, warnings)?;
    }
    let b = &a.budget;
    if b.monthly_usd.is_some() || b.cost_per_post_usd > 0.0 {
        writeln!(
            out,
            "  budget   ${:.2} per post, ${:.3} per post read back, {}",
            b.cost_per_post_usd,
            b.cost_per_read_usd,
            b.monthly_usd
                .map(|m| format!("at most ${m:.2} a month"))
                .unwrap_or_else(|| "no monthly limit".into())
        )?;
    }
    Ok(())
}

/// Warns of what `status` would warn of a login: a LinkedIn account nobody logged in yet (the
/// daemon would refuse to start), a stored login that ends within a week.
fn logins(config: &Config, warnings: &mut Vec<String>) {
    let now = chrono::Utc::now();
    for a in &config.accounts {
        if let Some(w) = super::status::login(config, a, now)
            .as_deref()
            .and_then(|l| l.strip_prefix("WARNING: "))
        {
            warnings.push(format!("account {:?}: {w}", a.name));
        }
    }
}

/// Writes what `check` says of one account. Long because it is one line per setting, in the
/// order the reference config gives them; the order on screen is the order here.
fn write_account(
    out: &mut dyn Write,
    path: &std::path::Path,
    a: &Account,
    warnings: &mut Vec<String>,
) -> std::io::Result<()> {
    writeln!(out, "account {:?} ({})", a.name, a.network)?;
    write_endpoint(out, path, a, warnings)?;
    let s = &a.select;
    writeln!(
        out,
        "  select   age {}-{} days, cooldown {} days, exclude categories {:?}, exclude urls {:?}, undated articles {}",
        s.min_age_days,
        s.max_age_days,
        s.cooldown_days,
        s.exclude_categories,
        s.exclude_urls,
        match s.undated {
            crate::config::Undated::Skip => "skipped",
            crate::config::Undated::FirstSeen => "dated when first seen",
        }
    )?;
    write_lifetimes(out, s)?;
    let m = &a.message;
    let rule = a.network.length_rule();
    writeln!(
        out,
        "  message  {}, text {:?}, max {} hashtags, limit {} ({})",
        match m.templates.as_slice() {
            [one] => format!("template {:?}", one.source),
            many => format!("{} template variants, rotated per article", many.len()),
        },
        m.text,
        m.max_hashtags,
        rule.max(),
        rule.describe()
    )?;
    if m.templates.len() > 1 {
        for (i, t) in m.templates.iter().enumerate() {
            writeln!(out, "           variant {}: {:?}", i + 1, t.source)?;
        }
    }
    if let Some(book) = &m.titles {
        writeln!(
            out,
            "           alternate titles from {} ({} entries)",
            book.path.display(),
            book.entries.len()
        )?;
    }
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
    let rate = match c.mode {
        crate::config::CadenceMode::Fixed => format!("fixed, {} per day", c.per_day),
        crate::config::CadenceMode::Auto(a) => format!(
            "auto, {:.0}% of the account's own volume (measured over {} days; {}/day assumed until then), between {} a week and {} a day",
            a.share_of_volume * 100.0,
            a.volume_window_days,
            a.assumed_daily_volume,
            a.min_per_week,
            a.max_per_day
        ),
    };
    writeln!(
        out,
        "  cadence  {rate}, {} on {}, at least {} apart, late slots posted up to {}{}",
        c.active_hours,
        days.join(","),
        HumanDuration(c.min_spacing),
        HumanDuration(c.grace),
        c.pause_after_new_post
            .map(|p| format!(
                ", old articles step aside {} after a new one",
                HumanDuration(p)
            ))
            .unwrap_or_default()
    )?;
    Ok(())
}
