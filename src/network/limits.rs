//! A server's own length limits (a Mastodon instance may allow 5,000 characters or only 20),
//! read when Encore goes online and remembered under `STATE_DIR/limits/`, so that `preview`,
//! which never goes online, writes messages for the limit the server will apply.

use super::Network;
use crate::config::{Account, Config};
use crate::vocab::length::LengthRule;
use crate::vocab::NetworkKind;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    /// `configuration.statuses.max_characters`.
    max_characters: usize,
    /// `configuration.statuses.characters_reserved_per_url`; `None`: links count in full.
    characters_reserved_per_url: Option<usize>,
}

fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("limits")
}

/// The limits last read for `account`, if any.
pub fn cached(state_dir: &Path, account: &str) -> Option<LengthRule> {
    let bytes = std::fs::read(dir(state_dir).join(format!("{account}.json"))).ok()?;
    let s: Stored = serde_json::from_slice(&bytes).ok()?;
    Some(LengthRule::Graphemes {
        max: s.max_characters,
        url_len: s.characters_reserved_per_url,
    })
}

fn save(state_dir: &Path, account: &str, rule: LengthRule) -> std::io::Result<()> {
    let LengthRule::Graphemes { max, url_len } = rule else {
        return Ok(());
    };
    let stored = Stored {
        max_characters: max,
        characters_reserved_per_url: url_len,
    };
    let bytes = serde_json::to_vec_pretty(&stored).map_err(std::io::Error::other)?;
    crate::private_file::write(&dir(state_dir), &format!("{account}.json"), &bytes)
}

/// The rule each account is written for, in config order, without going online (`preview`,
/// `status`): what its server said last time, else its network's defaults.
pub(crate) fn kept_rules(config: &Config) -> Vec<LengthRule> {
    config
        .accounts
        .iter()
        .map(|a| kept_rule(&config.state_dir, a))
        .collect()
}

fn kept_rule(state_dir: &Path, account: &Account) -> LengthRule {
    match account.network {
        NetworkKind::Mastodon => cached(state_dir, &account.name),
        _ => None,
    }
    .unwrap_or_else(|| account.network.length_rule())
}

/// The rule `account` is written for, asked of its server and kept for the offline commands;
/// when the server cannot tell, the kept value or the network's defaults, with a warning.
/// Held by whoever composes (the daemon's lane, `check`), never written into the config.
pub(crate) async fn read_rule(
    state_dir: &Path,
    account: &Account,
    network: &dyn Network,
) -> LengthRule {
    let kept = kept_rule(state_dir, account);
    match network.limits().await {
        Ok(Some(rule)) => {
            if rule != kept {
                tracing::info!(account = %account.name, "{} limit: {} characters", account.network, rule.max());
            }
            if let Err(e) = save(state_dir, &account.name, rule) {
                tracing::warn!(account = %account.name, "cannot keep the server's limits: {e}");
            }
            rule
        }
        Ok(None) => kept,
        Err(e) => {
            tracing::warn!(account = %account.name, "cannot read the server's limits ({e}); using {} characters", kept.max());
            kept
        }
    }
}

/// [`read_rule`] for every account (`networks` in config order).
pub async fn read_rules(config: &Config, networks: &[Box<dyn Network>]) -> Vec<LengthRule> {
    let mut rules = Vec::with_capacity(networks.len());
    for (a, n) in config.accounts.iter().zip(networks) {
        rules.push(read_rule(&config.state_dir, a, n.as_ref()).await);
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_survive_in_the_state_dir() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(cached(dir.path(), "m"), None);
        let rule = LengthRule::Graphemes {
            max: 20,
            url_len: Some(5),
        };
        save(dir.path(), "m", rule).unwrap();
        assert_eq!(cached(dir.path(), "m"), Some(rule));
        assert_eq!(cached(dir.path(), "other"), None);
    }
}
