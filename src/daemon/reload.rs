//! Taking a new config without a restart (SIGHUP, `systemctl reload encore`).
//!
//! A restart would be safe too (every promise is in the state), but it re-reads the feed,
//! re-reads every post count and forgets rate-limit pauses that only the running daemon
//! knows. A reload keeps what is still true for each account, by name.

use super::Daemon;
use crate::config::{CadenceMode, Config};
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
    /// The feed's refresh interval changed: the scheduler must be set up again.
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
    /// Swaps in a new config and its networks. Per account, by name: rate-limit pauses and
    /// moved slots stay; a stop after refused credentials is lifted (the reload is how the
    /// admin says it is fixed); an auto-mode account whose cadence changed gets today's plan
    /// made again at the new settings; a new account starts from what the state keeps of it.
    /// The minimum spacing is checked against the last post's slot at every slot, so a plan
    /// that moves under a reload never posts two close together.
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
        let old_index: HashMap<&str, usize> = self
            .config
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), i))
            .collect();
        let today = now.with_timezone(&config.timezone).date_naive();
        let mut changes = Reloaded {
            feed_changed: config.feed.source != self.config.feed.source
                || config.feed.timeout != self.config.feed.timeout
                || config.feed.max_size != self.config.feed.max_size,
            refresh_changed: config.feed.refresh != self.config.feed.refresh,
            ..Reloaded::default()
        };
        let n = config.accounts.len();
        let mut paused = vec![None; n];
        let mut deferred = vec![None; n];
        let mut plans = vec![crate::cadence::Plans::default(); n];
        let mut samples = vec![Vec::new(); n];
        let mut sample_tried = vec![None; n];
        let mut dry_shares = vec![HashMap::new(); n];
        // Old account index -> new one, for what is kept by index.
        let mut moved: HashMap<usize, usize> = HashMap::new();
        for (j, a) in config.accounts.iter().enumerate() {
            let Some(&i) = old_index.get(a.name.as_str()) else {
                // Restored below, once the new vectors are in place.
                changes.added.push(a.name.clone());
                continue;
            };
            moved.insert(i, j);
            let old = &self.config.accounts[i];
            if old != a {
                changes.changed.push(a.name.clone());
            }
            // A stop waits for the admin; a reload is the admin. Timed pauses are the network's.
            paused[j] = match self.paused[i] {
                Some(None) => {
                    tracing::info!(account = %a.name, "stopped account resumed by the reload");
                    None
                }
                p => p,
            };
            deferred[j] = self.deferred[i];
            dry_shares[j] = std::mem::take(&mut self.dry_shares[i]);
            plans[j] = std::mem::take(&mut self.plans[i]);
            if old.endpoint == a.endpoint {
                samples[j] = std::mem::take(&mut self.samples[i]);
                sample_tried[j] = self.sample_tried[i];
            } else {
                // Another account on the network: its post counts say nothing of this one.
                plans[j].days.retain(|d, _| *d < today);
                if !self.dry_run {
                    self.archive.forget_volume_samples(&a.name)?;
                }
            }
            if matches!(a.cadence.mode, CadenceMode::Auto(_)) && old.cadence != a.cadence {
                plans[j].days.remove(&today);
            }
        }
        for a in &self.config.accounts {
            if !config.accounts.iter().any(|b| b.name == a.name) {
                changes.removed.push(a.name.clone());
            }
        }
        self.dry_settled = std::mem::take(&mut self.dry_settled)
            .into_iter()
            .filter_map(|((i, t), o)| moved.get(&i).map(|&j| ((j, t), o)))
            .collect();
        self.config = config;
        self.networks = networks;
        self.paused = paused;
        self.deferred = deferred;
        self.plans = plans;
        self.samples = samples;
        self.sample_tried = sample_tried;
        self.dry_shares = dry_shares;
        for j in 0..self.config.accounts.len() {
            let name = self.config.accounts[j].name.clone();
            if changes.added.contains(&name) {
                self.restore(j, &name)?;
            }
        }
        self.sample_volumes(now).await?;
        self.ensure_plans(now)?;
        self.log_cadences(now);
        self.publish(now);
        Ok(changes)
    }
}
