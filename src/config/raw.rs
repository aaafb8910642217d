//! The config file as written: every table refuses unknown keys, every value that later checks
//! refer to keeps its span so that an error can name its line.

use super::value::{ActiveHours, ByteSize, Day, HumanDuration, TimeZone};
use crate::network::NetworkKind;
use serde::Deserialize;
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
    pub consumer_key: Option<Spanned<String>>,
    pub consumer_secret: Option<Spanned<String>>,
    pub access_token: Option<Spanned<String>>,
    pub access_token_secret: Option<Spanned<String>>,
    pub client_id: Option<Spanned<String>>,
    pub client_secret: Option<Spanned<String>>,
    pub authorize_url: Option<Spanned<String>>,
    pub redirect_uri: Option<Spanned<String>>,
    pub instance: Option<Spanned<String>>,
    pub visibility: Option<Spanned<String>>,
    pub language: Option<Spanned<String>>,
    pub service: Option<Spanned<String>>,
    pub identifier: Option<Spanned<String>>,
    pub app_password: Option<Spanned<String>>,
    pub appview: Option<Spanned<String>>,
    pub monthly_budget_usd: Option<Spanned<f64>>,
    pub cost_per_post_usd: Option<Spanned<f64>>,
}
