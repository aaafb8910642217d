//! The config file as written: every table refuses unknown keys, every value that later checks
//! refer to keeps its span so that an error can name its line.

use super::value::{ActiveHours, ByteSize, Day, HumanDuration, TimeZone};
use crate::vocab::NetworkKind;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub timezone: Option<Spanned<TimeZone>>,
    pub state_dir: Option<Spanned<String>>,
    /// `[feed]` (one blog) or `[[feed]]` (several, each named).
    pub feed: Option<Spanned<RawFeeds>>,
    pub feed_concurrency: Option<Spanned<usize>>,
    #[serde(default)]
    pub select: RawSelect,
    #[serde(default)]
    pub message: RawMessage,
    #[serde(default)]
    pub cadence: RawCadence,
    #[serde(default, rename = "account")]
    pub accounts: Vec<Spanned<RawAccount>>,
    pub metrics: Option<RawMetrics>,
    pub engagement: Option<RawEngagement>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEngagement {
    pub read_after: Option<Spanned<Vec<HumanDuration>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub listen: Spanned<String>,
    #[serde(default)]
    pub allow_remote: bool,
    /// Client networks allowed to scrape (CIDR); empty: any that can connect.
    pub allow_from: Option<Vec<Spanned<String>>>,
    /// Basic authentication: the user name, and the password (a secret reference).
    pub username: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "secret_text")]
    pub password: Option<Spanned<String>>,
}

/// One `[feed]` table or an array of `[[feed]]` tables. Read through TOML's own deserializer
/// either way, so a bad key inside still has its line and column.
#[derive(Debug)]
pub(super) enum RawFeeds {
    One(Box<RawFeed>),
    Many(Vec<Spanned<RawFeed>>),
}

impl<'de> Deserialize<'de> for RawFeeds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawFeeds, D::Error> {
        d.deserialize_any(FeedsVisitor)
    }
}

struct FeedsVisitor;

impl<'de> serde::de::Visitor<'de> for FeedsVisitor {
    type Value = RawFeeds;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a [feed] table or [[feed]] tables")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawFeeds, A::Error> {
        let de = serde::de::value::MapAccessDeserializer::new(map);
        RawFeed::deserialize(de).map(|f| RawFeeds::One(Box::new(f)))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<RawFeeds, A::Error> {
        let de = serde::de::value::SeqAccessDeserializer::new(seq);
        Vec::deserialize(de).map(RawFeeds::Many)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub name: Option<Spanned<String>>,
    pub url: Spanned<String>,
    pub refresh: Option<HumanDuration>,
    pub timeout: Option<HumanDuration>,
    pub max_size: Option<ByteSize>,
    pub allow_private_networks: Option<bool>,
    pub backfill_pages: Option<u32>,
    pub backfill_delay: Option<HumanDuration>,
    /// This blog's own selection and message rules, between the global ones and an account's.
    #[serde(default)]
    pub select: RawSelect,
    #[serde(default)]
    pub message: RawMessage,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSelect {
    pub min_age_days: Option<Spanned<u32>>,
    pub max_age_days: Option<Spanned<u32>>,
    pub exclude_categories: Option<Vec<String>>,
    pub exclude_urls: Option<Vec<Spanned<String>>>,
    pub cooldown_days: Option<u32>,
    pub check_link: Option<bool>,
    pub undated: Option<Spanned<String>>,
    pub evergreen_categories: Option<Vec<String>>,
    pub evergreen_urls: Option<Vec<Spanned<String>>>,
    pub max_shares: Option<Spanned<u32>>,
    pub expire_urls: Option<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
    pub weights: Option<BTreeMap<Spanned<String>, Spanned<f64>>>,
    pub strategy: Option<Spanned<String>>,
    pub retire_after_silent: Option<Spanned<u32>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMessage {
    pub template: Option<Spanned<String>>,
    pub templates: Option<Spanned<Vec<Spanned<String>>>>,
    /// The alternate titles file.
    pub titles: Option<Spanned<String>>,
    pub text: Option<String>,
    pub max_hashtags: Option<usize>,
    pub hashtags: Option<BTreeMap<String, Spanned<String>>>,
    pub utm: Option<RawUtm>,
}

impl RawSelect {
    /// These rules over `base`: a key set here wins (a feed's rules over the global ones).
    pub(super) fn over(&self, base: &RawSelect) -> RawSelect {
        let s = self.clone();
        let b = base.clone();
        RawSelect {
            min_age_days: s.min_age_days.or(b.min_age_days),
            max_age_days: s.max_age_days.or(b.max_age_days),
            exclude_categories: s.exclude_categories.or(b.exclude_categories),
            exclude_urls: s.exclude_urls.or(b.exclude_urls),
            cooldown_days: s.cooldown_days.or(b.cooldown_days),
            check_link: s.check_link.or(b.check_link),
            undated: s.undated.or(b.undated),
            evergreen_categories: s.evergreen_categories.or(b.evergreen_categories),
            evergreen_urls: s.evergreen_urls.or(b.evergreen_urls),
            max_shares: s.max_shares.or(b.max_shares),
            expire_urls: s.expire_urls.or(b.expire_urls),
            weights: s.weights.or(b.weights),
            strategy: s.strategy.or(b.strategy),
            retire_after_silent: s.retire_after_silent.or(b.retire_after_silent),
        }
    }
}

impl RawMessage {
    /// These rules over `base`: a key set here wins, and hashtag entries are added to (and win
    /// over) the base's, as an account's are to the global ones.
    pub(super) fn over(&self, base: &RawMessage) -> RawMessage {
        let s = self.clone();
        let b = base.clone();
        let hashtags = match (b.hashtags, s.hashtags) {
            (Some(mut all), Some(mine)) => {
                all.extend(mine);
                Some(all)
            }
            (b, s) => s.or(b),
        };
        // `template` and `templates` are one key: either, set here, wins over both below.
        let (template, templates) = match s.template.is_some() || s.templates.is_some() {
            true => (s.template, s.templates),
            false => (b.template, b.templates),
        };
        RawMessage {
            template,
            templates,
            titles: s.titles.or(b.titles),
            text: s.text.or(b.text),
            max_hashtags: s.max_hashtags.or(b.max_hashtags),
            hashtags,
            utm: s.utm.or(b.utm),
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUtm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCadence {
    pub mode: Option<Spanned<String>>,
    pub per_day: Option<Spanned<f64>>,
    pub active_hours: Option<Spanned<ActiveHours>>,
    pub days: Option<Spanned<Vec<Day>>>,
    pub min_spacing: Option<Spanned<HumanDuration>>,
    pub grace: Option<HumanDuration>,
    pub share_of_volume: Option<Spanned<f64>>,
    pub max_per_day: Option<Spanned<f64>>,
    pub min_per_week: Option<Spanned<f64>>,
    pub volume_window_days: Option<Spanned<u32>>,
    pub assumed_daily_volume: Option<Spanned<f64>>,
    pub pause_after_new_post: Option<HumanDuration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccount {
    pub name: Spanned<String>,
    pub network: NetworkKind,
    #[serde(default)]
    pub cadence: RawCadence,
    #[serde(default)]
    pub message: RawMessage,
    #[serde(default)]
    pub select: RawSelect,
    /// The feeds it shares, by name (default: every feed).
    pub feeds: Option<Vec<Spanned<String>>>,
    /// How much of its shares each feed gets, relative to the others (default 1 each).
    pub feed_weights: Option<BTreeMap<String, Spanned<f64>>>,
    // Per-network keys; which ones apply depends on `network` (checked in `endpoint.rs`).
    pub api_base: Option<Spanned<String>>,
    pub auth: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "secret_text")]
    pub consumer_key: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "secret_text")]
    pub consumer_secret: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "secret_text")]
    pub access_token: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "secret_text")]
    pub access_token_secret: Option<Spanned<String>>,
    pub client_id: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "secret_text")]
    pub client_secret: Option<Spanned<String>>,
    pub authorize_url: Option<Spanned<String>>,
    pub redirect_uri: Option<Spanned<String>>,
    pub instance: Option<Spanned<String>>,
    pub visibility: Option<Spanned<String>>,
    pub language: Option<Spanned<String>>,
    pub service: Option<Spanned<String>>,
    pub identifier: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "secret_text")]
    pub app_password: Option<Spanned<String>>,
    pub appview: Option<Spanned<String>>,
    pub author: Option<Spanned<String>>,
    pub api_version: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "secret_text")]
    pub bot_token: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "chat_id")]
    pub chat: Option<Spanned<String>>,
    pub monthly_budget_usd: Option<Spanned<f64>>,
    pub cost_per_post_usd: Option<Spanned<f64>>,
    pub cost_per_read_usd: Option<Spanned<f64>>,
    /// Read back what this account's posts drew (default: yes).
    pub engagement: Option<bool>,
}

/// A secret key's value: a string, or an error that says what was written instead without
/// showing it. serde's own message quotes the value (``invalid type: integer `8675309…` ``), and
/// a secret typed without quotes is still a secret.
fn secret_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Spanned<String>>, D::Error> {
    let value = Spanned::<SecretText>::deserialize(d)?;
    let span = value.span();
    Ok(Some(Spanned::new(span, value.into_inner().0)))
}

/// A Telegram chat: `"@name"`, or the numeric id written as a string or as a number (an admin
/// copies `-1001234567890` from a bot's update as it is).
fn chat_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Spanned<String>>, D::Error> {
    struct ChatText(String);
    impl<'de> Deserialize<'de> for ChatText {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ChatText, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = ChatText;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("\"@channelname\" or the channel's numeric id")
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ChatText, E> {
                    Ok(ChatText(v.to_string()))
                }
                fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ChatText, E> {
                    Ok(ChatText(v.to_string()))
                }
            }
            d.deserialize_any(V)
        }
    }
    let value = Spanned::<ChatText>::deserialize(d)?;
    let span = value.span();
    Ok(Some(Spanned::new(span, value.into_inner().0)))
}

struct SecretText(String);

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SecretText, D::Error> {
        d.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

impl SecretVisitor {
    fn refuse<E: serde::de::Error>(kind: &str) -> Result<SecretText, E> {
        Err(E::custom(format!(
            "a secret is a string in double quotes (\"env:VAR\", \"file:/path\" or \"credential:NAME\"), not {kind} (the value is not shown)"
        )))
    }
}

impl<'de> serde::de::Visitor<'de> for SecretVisitor {
    type Value = SecretText;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecretText, E> {
        Ok(SecretText(v.to_string()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<SecretText, E> {
        Ok(SecretText(v))
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<SecretText, E> {
        Self::refuse("a boolean")
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<SecretText, E> {
        Self::refuse("a number")
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<SecretText, E> {
        Self::refuse("a number")
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<SecretText, E> {
        Self::refuse("a number")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<SecretText, A::Error> {
        Self::refuse("an array")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<SecretText, A::Error> {
        // TOML dates and times arrive as a map too.
        Self::refuse("a table or a date")
    }
}
