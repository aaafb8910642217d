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
    pub feed: Option<Spanned<RawFeed>>,
    #[serde(default)]
    pub select: RawSelect,
    #[serde(default)]
    pub message: RawMessage,
    #[serde(default)]
    pub cadence: RawCadence,
    #[serde(default, rename = "account")]
    pub accounts: Vec<Spanned<RawAccount>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub url: Spanned<String>,
    pub refresh: Option<HumanDuration>,
    pub timeout: Option<HumanDuration>,
    pub max_size: Option<ByteSize>,
    pub backfill_pages: Option<u32>,
    pub backfill_delay: Option<HumanDuration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSelect {
    pub min_age_days: Option<Spanned<u32>>,
    pub max_age_days: Option<Spanned<u32>>,
    pub exclude_categories: Option<Vec<String>>,
    pub exclude_urls: Option<Vec<Spanned<String>>>,
    pub cooldown_days: Option<u32>,
    pub check_link: Option<bool>,
    pub undated: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMessage {
    pub template: Option<Spanned<String>>,
    pub text: Option<String>,
    pub max_hashtags: Option<usize>,
    pub hashtags: Option<BTreeMap<String, Spanned<String>>>,
    pub utm: Option<RawUtm>,
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
    pub monthly_budget_usd: Option<Spanned<f64>>,
    pub cost_per_post_usd: Option<Spanned<f64>>,
}

/// A secret key's value: a string, or an error that says what was written instead without
/// showing it. serde's own message quotes the value (``invalid type: integer `8675309…` ``), and
/// a secret typed without quotes is still a secret.
fn secret_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Spanned<String>>, D::Error> {
    let value = Spanned::<SecretText>::deserialize(d)?;
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
