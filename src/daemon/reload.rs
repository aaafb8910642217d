//! Taking a new config without a restart (SIGHUP, `systemctl reload encore`).
//!
//! A restart would be safe too (every promise is in the state), but it re-reads the feed,
//! re-reads every post count and forgets rate-limit pauses that only the running daemon
//! knows. A reload keeps what is still true for each account, by name.

use super::lane::Lane;
use super::ledger::Ledger;
use super::{Daemon, Pause};
use crate::archive::ArchiveError;
use crate::config::{Account, CadenceMode, Config};
use crate::error::Error;
use crate::network::Network;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What a reload changed, for the log and for the loop (feed read, scheduler).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reloaded {
    /// Accounts that are new in the config.
    pub added: Vec<String>,
    /// Accounts no longer in the config (their history stays in the state).
    pub removed: Vec<String>,
    /// Accounts whose settings changed.
    pub changed: Vec<String>,
    /// The feed's address or reading settings changed: read it now.
    pub feed_changed: bool,
    /// A feed's refresh interval changed, or the feeds did (the chores are kept by name): the
    /// scheduler must be set up again.
    pub refresh_changed: bool,
}

impl std::fmt::Display for Reloaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for (what, names) in [
            ("added", &self.added),
            ("removed", &self.removed),
            ("changed", &self.changed),
        ] {
            if !names.is_empty() {
                parts.push(format!("{what}: {}", names.join(", ")));
            }
        }
        if self.feed_changed {
            parts.push("feed settings changed".into());
        }
        if parts.is_empty() {
            write!(f, "no account changed")
        } else {
            write!(f, "{}", parts.join("; "))
        }
    }
}

impl Daemon {
    /// Swaps in a new config and its networks. The lanes whose account names survive are kept
    /// (rate-limit pauses and moved slots stay); a stop after refused credentials is lifted (the
    /// reload is how the admin says it is fixed); an auto-mode account whose cadence changed
    /// gets today's plan made again at the new settings; a new account gets a lane from what
    /// the state keeps of it. The minimum spacing is checked against the last post's slot at
    /// every slot, so a plan that moves under a reload never posts two close together.
    ///
    /// Refused, leaving everything as it was: a different `state_dir` (the state is open; a
    /// restart moves it).
    pub async fn reload(
        &mut self,
        config: Config,
        networks: Vec<Box<dyn Network>>,
        now: DateTime<Utc>,
    ) -> Result<Reloaded, Error> {
        if config.state_dir != self.config.state_dir {
            return Err(Error::Setup(format!(
                "state_dir changed from {} to {}: the state is open, restart Encore to move it",
                self.config.state_dir.display(),
                config.state_dir.display()
            )));
        }
        if config.metrics != self.config.metrics {
            tracing::warn!("`[metrics]` changed: the endpoint moves at the next restart");
        }
        let web = config.web();
        super::forget_private_links(&config, self.ledger.archive())?;
        let changes = self.changes(&config);
        let today = now.with_timezone(&config.timezone).date_naive();
        let mut old: HashMap<String, Lane> = std::mem::take(&mut self.lanes)
            .into_iter()
            .map(|l| (l.account.name.clone(), l))
            .collect();
        for a in &config.accounts {
            if let Some(lane) = old.get_mut(&a.name) {
                carry_over(lane, a, today, &self.ledger)?;
            }
        }
        self.lanes = super::open_lanes(&config, &web, networks, &self.ledger, |name| {
            old.remove(name)
        })
        .await?;
        self.web = web;
        self.config = config;
        self.plan(now).await?;
        self.log_cadences(now);
        self.publish(now);
        Ok(changes)
    }

    /// What `config` changes against the config in force.
    fn changes(&self, config: &Config) -> Reloaded {
        let (old, new) = (&self.config, config);
        let named = |c: &Config, name: &str| c.accounts.iter().find(|a| a.name == name).cloned();
        let mut changes = Reloaded {
            feed_changed: new.feeds.len() != old.feeds.len()
                || new.feeds.iter().zip(&old.feeds).any(|(n, o)| {
                    n.name != o.name
                        || n.source != o.source
                        || n.timeout != o.timeout
                        || n.max_size != o.max_size
                }),
            refresh_changed: new.feeds.len() != old.feeds.len()
                || new
                    .feeds
                    .iter()
                    .zip(&old.feeds)
                    .any(|(n, o)| n.name != o.name || n.refresh != o.refresh),
            ..Reloaded::default()
        };
        for a in &new.accounts {
            match named(old, &a.name) {
                None => changes.added.push(a.name.clone()),
                Some(before) if before != *a => changes.changed.push(a.name.clone()),
                Some(_) => {}
            }
        }
        for a in &old.accounts {
            if named(new, &a.name).is_none() {
                changes.removed.push(a.name.clone());
            }
        }
        changes
    }
}

/// What a kept lane keeps when its account's settings become `new`.
fn carry_over(
    lane: &mut Lane,
    new: &Account,
    today: chrono::NaiveDate,
    ledger: &Ledger,
) -> Result<(), ArchiveError> {
    // A stop waits for the admin; a reload is the admin. Timed pauses are the network's.
    if lane.pause == Some(Pause::Stopped) {
        tracing::info!(account = %new.name, "stopped account resumed by the reload");
        lane.pause = None;
    }
    if lane.account.endpoint != new.endpoint {
        // Another account on the network: its post counts say nothing of this one.
        lane.auto.samples.clear();
        lane.auto.tried = None;
        lane.auto.plans.days.retain(|d, _| *d < today);
        ledger.write(|a| a.forget_volume_samples(&new.name))?;
    }
    if matches!(new.cadence.mode, CadenceMode::Auto(_)) && lane.account.cadence != new.cadence {
        lane.auto.plans.days.remove(&today);
    }
    Ok(())
}
