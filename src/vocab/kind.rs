//! The networks an account can live on, named once for config, logs, JSON and length rules.

use super::LengthRule;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A network an account lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkKind {
    /// X (Twitter).
    X,
    /// A Mastodon instance.
    Mastodon,
    /// Bluesky (AT Protocol).
    Bluesky,
    /// Writes posts to the log only: for demos, tests and trying a config out. Counts length like
    /// X, so what it shows would also fit there.
    Log,
}

impl NetworkKind {
    /// The name used in config, logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkKind::X => "x",
            NetworkKind::Mastodon => "mastodon",
            NetworkKind::Bluesky => "bluesky",
            NetworkKind::Log => "log",
        }
    }

    /// How this network measures a message, with its default limits.
    pub fn length_rule(self) -> LengthRule {
        match self {
            NetworkKind::X | NetworkKind::Log => LengthRule::XWeighted { max: 280 },
            NetworkKind::Mastodon => LengthRule::Graphemes {
                max: 500,
                url_len: Some(23),
            },
            NetworkKind::Bluesky => LengthRule::Graphemes {
                max: 300,
                url_len: None,
            },
        }
    }
}

impl fmt::Display for NetworkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
