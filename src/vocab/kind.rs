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
    /// Threads (Meta's Threads API).
    Threads,
    /// LinkedIn (the Posts API), a member or an organisation page.
    #[serde(rename = "linkedin")]
    LinkedIn,
    /// A Telegram channel, through a bot (the Bot API).
    Telegram,
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
            NetworkKind::Threads => "threads",
            NetworkKind::LinkedIn => "linkedin",
            NetworkKind::Telegram => "telegram",
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
            NetworkKind::Threads => LengthRule::EmojiBytes { max: 500 },
            NetworkKind::LinkedIn => LengthRule::LittleText { max: 3000 },
            NetworkKind::Telegram => LengthRule::Utf16 { max: 4096 },
        }
    }

    /// How many hashtags a post may carry: Threads makes one topic tag of a post and no more
    /// (Meta's posts page, "Topic tags"), so a second `#word` would only be noise.
    pub fn max_hashtags(self) -> Option<usize> {
        match self {
            NetworkKind::Threads => Some(1),
            _ => None,
        }
    }

    /// The network named `name` as in config and JSON.
    pub fn from_name(name: &str) -> Option<NetworkKind> {
        [
            NetworkKind::X,
            NetworkKind::Mastodon,
            NetworkKind::Bluesky,
            NetworkKind::Threads,
            NetworkKind::LinkedIn,
            NetworkKind::Telegram,
            NetworkKind::Log,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }

    /// Whether Encore reads back what posts drew there: LinkedIn's post statistics need a
    /// permission self-serve apps do not get, and a Telegram bot cannot read its channel.
    pub fn reads_engagement(self) -> bool {
        !matches!(
            self,
            NetworkKind::LinkedIn | NetworkKind::Telegram | NetworkKind::Log
        )
    }

    /// The network's name as people write it, for logs and errors ("LinkedIn").
    pub fn display_name(self) -> &'static str {
        match self {
            NetworkKind::X => "X",
            NetworkKind::Mastodon => "Mastodon",
            NetworkKind::Bluesky => "Bluesky",
            NetworkKind::Threads => "Threads",
            NetworkKind::LinkedIn => "LinkedIn",
            NetworkKind::Telegram => "Telegram",
            NetworkKind::Log => "log",
        }
    }
}

impl fmt::Display for NetworkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
