//! A server's own length limits (a Mastodon instance may allow 5,000 characters or only 20),
//! read when Encore goes online and remembered under `STATE_DIR/limits/`, so that `preview`,
//! which never goes online, writes messages for the limit the server will apply.

use super::Network;
use crate::config::Config;
use crate::vocab::length::LengthRule;
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

/// Applies what is cached to every account (offline commands).
pub fn apply_cached(config: &mut Config) {
    let state_dir = config.state_dir.clone();
    for a in &mut config.accounts {
        if a.network == super::NetworkKind::Mastodon {
            if let Some(rule) = cached(&state_dir, &a.name) {
                a.length = rule;
            }
        }
    }
}

/// Asks every network for its limits (`networks` in config order), keeps and applies them;
/// when a server cannot tell, the cached value or the network's defaults stay, with a warning.
pub async fn refresh(config: &mut Config, networks: &[Box<dyn Network>]) {
    apply_cached(config);
    let state_dir = config.state_dir.clone();
    for (a, n) in config.accounts.iter_mut().zip(networks) {
        match n.limits().await {
            Ok(Some(rule)) => {
                if rule != a.length {
                    tracing::info!(account = %a.name, "{} limit: {} characters", a.network, rule.max());
                }
                a.length = rule;
                if let Err(e) = save(&state_dir, &a.name, rule) {
                    tracing::warn!(account = %a.name, "cannot keep the server's limits: {e}");
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(account = %a.name, "cannot read the server's limits ({e}); using {} characters", a.length.max());
            }
        }
    }
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
