use crate::archive::{Archive, Outcome};
use crate::config::Config;
use crate::daemon::Daemon;
use crate::error::Error;
use chrono::{DateTime, Utc};
use std::io::Write;

/// `encore post-now`: one share for `account`, right away, chosen and recorded exactly as the
/// daemon would (cadence ignored). With `dry_run`, says what it would post and writes nothing.
pub async fn post_now(
    config: &Config,
    account: &str,
    dry_run: bool,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if config.account(account).is_none() {
        let names: Vec<&str> = config.accounts.iter().map(|a| a.name.as_str()).collect();
        return Err(Error::Usage(format!(
            "no account named {account:?} in {} (accounts: {})",
            config.path.display(),
            names.join(", ")
        )));
    }
    let networks = crate::network::build_all(config, dry_run)?;
    let config = config.clone();
    let archive = Archive::open(&config.state_dir)?;
    super::refresh_archive(&config, &archive, now).await;
    let mut daemon = Daemon::start(config, archive, networks, dry_run, now).await?;
    let report = daemon.post_now(account, now).await?;
    daemon.archive().flush()?;
    match report.outcome {
        Outcome::Shared if dry_run => writeln!(out, "would post on {account}: {}", report.detail)?,
        Outcome::Shared => writeln!(
            out,
            "shared on {account} (post {}): {}",
            report.post_id.as_deref().unwrap_or("?"),
            report.detail
        )?,
        _ => {
            return Err(Error::NotPosted(format!(
                "not posted on {account} ({}): {}",
                serde_json::to_value(report.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                report.detail
            )))
        }
    }
    Ok(())
}
