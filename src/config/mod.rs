//! The configuration: one TOML file an admin edits, validated in full before anything runs.
//!
//! Reading happens in two layers: `raw` mirrors the file (unknown keys refused, spans kept) and
//! this module resolves it into [`Config`], where every account carries its own settings with the
//! global ones filled in. Every error names the file, line, column and key, because the person
//! reading it is an admin at a terminal with the file open in another window.

mod endpoint;
mod raw;
pub(crate) mod secret;
mod titles;
pub(crate) mod value;

use crate::vocab::NetworkKind;
use crate::vocab::UrlGlob;
pub use endpoint::{
    BlueskySettings, Endpoint, LinkedInSettings, MastodonSettings, TelegramSettings,
    ThreadsSettings, XSettings,
};
pub(crate) use endpoint::{Budget, Visibility, XAuth};
use raw::{RawAccount, RawCadence, RawConfig, RawFeed, RawFeeds, RawMessage, RawSelect};
use secret::SecretRef;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
pub use titles::{Title, TitleBook, TitleEntry};
use toml::Spanned;
use value::expiry;
pub(crate) use value::{ActiveHours, ByteSize, HumanDuration};

/// Exit status for a configuration error (sysexits.h `EX_CONFIG`), so that systemd's
/// `RestartPreventExitStatus=78` stops a restart loop on a broken file.
pub const EX_CONFIG: i32 = 78;

/// Default config path, matching `ConfigurationDirectory=encore` in the unit.
pub const DEFAULT_PATH: &str = "/etc/encore/config.toml";

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("{}: cannot read config: {error}", path.display())]
    Read {
        /// The config file.
        path: PathBuf,
        /// Why reading failed (in the message, not a `source`: printed once).
        error: std::io::Error,
    },
    /// The file was read but something in it is wrong; `line` and `col` are 1-based.
    #[error("{}:{line}:{col}: {message}", path.display())]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// Line of the offending key or value.
        line: usize,
        /// Column of the offending key or value.
        col: usize,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// Where the feed comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedSource {
    /// An http(s) URL.
    Url(url::Url),
    /// A local file (resolved relative to the config file's folder).
    File(PathBuf),
}

impl fmt::Display for FeedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedSource::Url(u) => f.write_str(&crate::redact::url(u.as_str())),
            FeedSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Who may scrape the metrics endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsAccess {
    /// Client networks allowed (a TCP endpoint); empty: any client that can connect.
    pub allow_from: Vec<ipnet::IpNet>,
    /// Basic authentication, when set: the user name and the password's reference.
    pub basic_auth: Option<(String, SecretRef)>,
}

/// Where the metrics endpoint listens (`[metrics] listen`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsListen {
    /// A TCP address: loopback unless `allow_remote = true`.
    Tcp(std::net::SocketAddr),
    /// A Unix socket path (created at start, mode 0660).
    Unix(PathBuf),
}

impl fmt::Display for MetricsListen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricsListen::Tcp(a) => write!(f, "http://{a}/metrics"),
            MetricsListen::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// The name of the feed of a config with a single `[feed]` table that gives none.
pub(crate) const MAIN_FEED: &str = "main";

/// How a feed is read.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedSettings {
    /// Its name (`[[feed]] name`; [`MAIN_FEED`] for a single `[feed]` without one).
    pub name: String,
    /// The blog's feed.
    pub source: FeedSource,
    /// How often the daemon re-reads it.
    pub refresh: Duration,
    /// Total time allowed for one download (connect and read timeouts derive from it).
    pub timeout: Duration,
    /// Largest body accepted, after decompression: a feed is never worth more memory than this.
    pub max_size: u64,
    /// What this feed's content links to may be on a private network (a blog on a LAN):
    /// article links, their pages and images, older pages are fetched whatever their address.
    pub allow_private_networks: bool,
    /// Most pages read when filling the archive from older feed pages (0 turns backfill off).
    pub backfill_pages: u32,
    /// Pause between two backfill pages.
    pub backfill_delay: Duration,
    /// The config's `timezone`: a feed's date without an offset is read in it.
    pub timezone: chrono_tz::Tz,
}

/// Which articles an account may share.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectSettings {
    /// Articles younger than this are still living their first life.
    pub min_age_days: u32,
    /// Articles older than this are likely stale.
    pub max_age_days: u32,
    /// Categories never re-shared (news, event promotions), compared after folding.
    pub exclude_categories: Vec<String>,
    /// URL patterns never re-shared.
    pub exclude_urls: Vec<UrlGlob>,
    /// No article goes to the same account twice within this many days.
    pub cooldown_days: u32,
    /// Check the article's link just before posting; 404/410 marks it dead for good.
    pub check_link: bool,
    /// What to do with an article whose feed gives no date Encore can read.
    pub undated: Undated,
    /// Categories (folded) whose articles never grow too old: `max_age_days` does not apply.
    pub evergreen_categories: Vec<String>,
    /// URL patterns whose articles never grow too old.
    pub evergreen_urls: Vec<UrlGlob>,
    /// An article shared this many times to the account retires there.
    pub max_shares: Option<u32>,
    /// URL patterns not shared from an instant on (`expire_urls`, and the titles file's
    /// `expires`).
    pub expire_urls: Vec<(UrlGlob, chrono::DateTime<chrono::Utc>)>,
    /// Category (folded) to weight: how likely its articles are chosen among those due,
    /// relative to the others (1 without a weight).
    pub weights: Vec<(String, f64)>,
    /// How what is due is ordered.
    pub strategy: Strategy,
    /// An article whose last this-many shares on the account drew no engagement retires there.
    pub retire_after_silent: Option<u32>,
}

/// How an account orders the articles that are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Least recently shared first (weighted): every article in turn.
    #[default]
    Rotate,
    /// By the engagement each article's shares drew, with exploration: what the audience wants.
    Learn,
}

impl Default for SelectSettings {
    /// The documented defaults: 30 to 90 days old, a 90-day cooldown, links checked.
    fn default() -> Self {
        SelectSettings {
            min_age_days: 30,
            max_age_days: 90,
            exclude_categories: Vec::new(),
            exclude_urls: Vec::new(),
            cooldown_days: 90,
            check_link: true,
            undated: Undated::Skip,
            evergreen_categories: Vec::new(),
            evergreen_urls: Vec::new(),
            max_shares: None,
            expire_urls: Vec::new(),
            weights: Vec::new(),
            strategy: Strategy::Rotate,
            retire_after_silent: None,
        }
    }
}

impl SelectSettings {
    /// Whether some articles ignore `max_age_days` (then a slot reads the whole archive older
    /// than `min_age_days`, not only the age window).
    pub fn has_evergreen(&self) -> bool {
        !self.evergreen_categories.is_empty() || !self.evergreen_urls.is_empty()
    }
}

/// An article without a readable date: its age, which the age window is about, is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undated {
    /// Never shared (the default): an article of unknown age cannot honour the age window.
    Skip,
    /// Dated the day Encore first saw it: for a feed that never dates its articles.
    FirstSeen,
}

/// One part of a message template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    /// Text copied as is.
    Literal(String),
    /// `{hashtags}`
    Hashtags,
    /// `{title}`
    Title,
    /// `{text}`: the configured additional text.
    Text,
    /// `{url}`
    Url,
}

/// A parsed message template. `{url}` is mandatory: a re-share without its link brings no reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The template as written.
    pub source: String,
    /// Its parts in order.
    pub parts: Vec<TemplatePart>,
}

impl Default for Template {
    /// `{hashtags} {title} {text} {url}`.
    fn default() -> Self {
        use TemplatePart::*;
        let space = || Literal(" ".into());
        Template {
            source: DEFAULT_TEMPLATE.into(),
            parts: vec![Hashtags, space(), Title, space(), Text, space(), Url],
        }
    }
}

impl Template {
    /// Parses `{hashtags} {title} {text} {url}`-style templates.
    pub fn parse(s: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(TemplatePart::Literal(rest[..open].to_string()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("unclosed '{{' in template {s:?}"))?;
            let name = &rest[open + 1..open + close];
            parts.push(match name {
                "hashtags" => TemplatePart::Hashtags,
                "title" => TemplatePart::Title,
                "text" => TemplatePart::Text,
                "url" => TemplatePart::Url,
                other => {
                    return Err(format!(
                        "unknown placeholder {{{other}}} in template: use {{hashtags}}, {{title}}, {{text}} and {{url}}"
                    ))
                }
            });
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Literal(rest.to_string()));
        }
        if !parts.contains(&TemplatePart::Url) {
            return Err(format!(
                "template {s:?} has no {{url}}: a re-share must link to the article"
            ));
        }
        Ok(Template {
            source: s.to_string(),
            parts,
        })
    }

    /// The length `rule` gives this template's fixed part (its literal text, the additional
    /// `text` and the shortest link) with no title and no hashtag: above the network's limit, no
    /// article can ever be shared with it there.
    pub fn fixed_length(&self, text: &str, rule: crate::vocab::LengthRule) -> usize {
        let mut raw = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Literal(s) => raw.push_str(s),
                TemplatePart::Text => raw.push_str(text),
                TemplatePart::Url => raw.push_str("https://a.io/"),
                TemplatePart::Hashtags | TemplatePart::Title => {}
            }
        }
        let lines: Vec<String> = raw
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        rule.count(lines.join("\n").trim())
    }
}

/// UTM parameters added to shared links; values may contain `{network}` and `{account}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Utm {
    /// `(parameter name, value template)`, e.g. `("utm_source", "{network}")`.
    pub params: Vec<(String, String)>,
}

/// How an account's messages are written.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageSettings {
    /// The message layouts (`template`, or the variants of `templates`), rotated per article.
    pub templates: Vec<Template>,
    /// The additional text (`{text}`), e.g. "Worth re-reading on My Blog".
    pub text: String,
    /// Most hashtags per message.
    pub max_hashtags: usize,
    /// Category (folded) to hashtags; an empty list suppresses that category's hashtag.
    pub hashtags: BTreeMap<String, Vec<String>>,
    /// Tracking parameters, if wanted.
    pub utm: Option<Utm>,
    /// The alternate titles file, if any.
    pub titles: Option<Arc<TitleBook>>,
}

/// The template when none is written.
pub(crate) const DEFAULT_TEMPLATE: &str = "{hashtags} {title} {text} {url}";

impl Default for MessageSettings {
    /// The documented defaults: hashtags, title, text and link; 3 hashtags at most.
    fn default() -> Self {
        MessageSettings {
            templates: vec![Template::default()],
            text: String::new(),
            max_hashtags: 3,
            hashtags: BTreeMap::new(),
            utm: None,
            titles: None,
        }
    }
}

/// How the rate is decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CadenceMode {
    /// A fixed number of posts per active day (`per_day`).
    Fixed,
    /// A share of the account's own daily volume, re-measured every day, so that re-shares
    /// pass unnoticed in a lively timeline and never dominate a quiet one.
    Auto(AutoSettings),
}

/// The rule of `mode = "auto"`: rate = clamp(share_of_volume × organic volume,
/// min_per_week / active days per week, max_per_day).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoSettings {
    /// Share of the account's organic posts per day that old articles may add.
    pub share_of_volume: f64,
    /// Never more than this many a day, however lively the account.
    pub max_per_day: f64,
    /// Never fewer than this many a week, however quiet.
    pub min_per_week: f64,
    /// Days of post-count samples the volume is measured over.
    pub volume_window_days: u32,
    /// The volume used until samples exist (or after 3 days without any).
    pub assumed_daily_volume: f64,
}

/// When an account posts.
#[derive(Debug, Clone, PartialEq)]
pub struct CadenceSettings {
    /// How the rate is decided.
    pub mode: CadenceMode,
    /// Posts per active day; fractions carry over (0.5 = one every other active day). In auto
    /// mode, the most a day can have (`max_per_day`), which the spacing check uses.
    pub per_day: f64,
    /// Local window in which posts go out.
    pub active_hours: ActiveHours,
    /// Days on which posts go out.
    pub days: Vec<chrono::Weekday>,
    /// Least time between two posts of the account.
    pub min_spacing: Duration,
    /// How late a missed slot may still be posted.
    pub grace: Duration,
    /// After the blog publishes a new article, old ones step aside this long.
    pub pause_after_new_post: Option<Duration>,
}

/// One social account Encore posts to.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Unique name, used in logs, history and state keys.
    pub name: String,
    /// Which network.
    pub network: NetworkKind,
    /// Selection rules (globals overridden by `[account.select]`).
    pub select: SelectSettings,
    /// Message rules (globals overridden by `[account.message]`).
    pub message: MessageSettings,
    /// Cadence (globals overridden by `[account.cadence]`).
    pub cadence: CadenceSettings,
    /// Where and as whom it posts.
    pub endpoint: Endpoint,
    /// What posting costs, and the monthly ceiling.
    pub budget: Budget,
    /// Whether what its posts drew is read back (`engagement = false` turns it off).
    pub engagement: bool,
    /// The feeds it shares, each with the rules that apply to its articles on this account
    /// (the global ones, then the feed's, then the account's).
    pub feeds: Vec<FeedShare>,
    /// Where the account's secrets are written, so that a secret that cannot be read at start
    /// is reported as FILE:LINE like any other config error.
    pub secret_lines: SecretLines,
}

/// A feed an account shares, and the rules its articles are shared under there.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedShare {
    /// The feed's name.
    pub feed: String,
    /// Its share of the account's posts relative to the account's other feeds.
    pub weight: f64,
    /// Selection rules for its articles.
    pub select: SelectSettings,
    /// Message rules for its articles.
    pub message: MessageSettings,
}

impl Account {
    /// The account as it shares `share`'s articles: the same account with that feed's rules.
    pub fn sharing(&self, share: &FeedShare) -> Account {
        Account {
            select: share.select.clone(),
            message: share.message.clone(),
            ..self.clone()
        }
    }
}

/// The config line and column of each of an account's secret keys. Compares equal whatever the
/// positions: moving a key in the file changes nothing about the account.
#[derive(Debug, Clone, Default)]
pub struct SecretLines(pub Vec<(&'static str, usize, usize)>);

impl SecretLines {
    /// `FILE:LINE:COL` of `key`'s value, if the account sets it.
    pub fn position(&self, path: &Path, key: &str) -> Option<String> {
        let (_, line, col) = self.0.iter().find(|(k, _, _)| *k == key)?;
        Some(format!("{}:{line}:{col}", path.display()))
    }
}

impl PartialEq for SecretLines {
    fn eq(&self, _: &SecretLines) -> bool {
        true
    }
}

/// Where the time zone came from, so `check` can say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimezoneSource {
    /// `timezone =` in the file.
    Configured,
    /// The system's zone.
    System,
    /// The system's zone could not be read: UTC.
    Fallback,
}

/// A fully validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// Zone in which active hours and days are understood.
    pub timezone: chrono_tz::Tz,
    /// Where the zone came from.
    pub timezone_source: TimezoneSource,
    /// Where the archive and history live.
    pub state_dir: PathBuf,
    /// The blogs' feeds, in file order (one for a `[feed]` table).
    pub feeds: Vec<FeedSettings>,
    /// How many feeds are read at once (one request at a time to one host whatever it says).
    pub feed_concurrency: usize,
    /// The ages after a post at which what it drew is read back (`[engagement] read_after`);
    /// empty: never.
    pub read_after: Vec<Duration>,
    /// The Prometheus endpoint, if any (`[metrics] listen`).
    pub metrics: Option<MetricsListen>,
    /// Who may scrape it (`[metrics] allow_from`, `username`, `password`).
    pub metrics_access: MetricsAccess,
    /// The accounts, in file order.
    pub accounts: Vec<Account>,
    /// Things that work but deserve the admin's attention (literal secrets…).
    pub warnings: Vec<String>,
}

impl Config {
    /// The clients Encore reads the web with for this config: the feeds' and the networks'
    /// hosts are the admin's own (trusted whatever address they have), and the feeds marked
    /// `allow_private_networks` may lead anywhere.
    pub fn web(&self) -> crate::http::Web {
        let feeds = self.feeds.iter().filter_map(|f| match &f.source {
            FeedSource::Url(u) => Some(u.as_str()),
            FeedSource::File(_) => None,
        });
        let bases = self
            .accounts
            .iter()
            .flat_map(|a| a.endpoint.bases())
            .map(url::Url::as_str);
        let open = self.feeds.iter().filter(|f| f.allow_private_networks);
        crate::http::Web::new(
            crate::http::Trusted::from_urls(feeds.chain(bases)),
            open.map(|f| f.name.clone()),
        )
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let mut config = Config::parse(path, &text)?;
        if let Some(w) = exposed_secrets(&config) {
            config.warnings.push(w);
        }
        Ok(config)
    }

    /// Validates config text that was read from `path` (used for errors and relative paths).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        // An editor's byte order mark is not part of the first key (nor of its column).
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let err = |span: Option<Range<usize>>, message: String| invalid(path, text, span, message);
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = explain_toml(text, e.span(), e.message());
            err(e.span(), message)
        })?;
        let base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();

        let (timezone, timezone_source) = match &raw.timezone {
            Some(tz) => (tz.get_ref().0, TimezoneSource::Configured),
            None => system_timezone(),
        };
        let mut warnings = Vec::new();
        if timezone_source == TimezoneSource::Fallback {
            warnings.push(
                "the system's time zone could not be read: using UTC (set `timezone`)".into(),
            );
        }

        let state_dir = match &raw.state_dir {
            Some(s) if s.get_ref().trim().is_empty() => {
                return Err(err(Some(s.span()), "`state_dir` is empty".into()))
            }
            Some(s) => base_dir.join(s.get_ref()),
            None => default_state_dir(),
        };

        let feeds = resolve_feeds(&raw, &base_dir, text, timezone).map_err(|(s, m)| err(s, m))?;
        let feed_concurrency = match &raw.feed_concurrency {
            Some(c) if !(1..=64).contains(c.get_ref()) => {
                let why = format!(
                    "invalid `feed_concurrency` {}: expected 1 to 64",
                    c.get_ref()
                );
                return Err(err(Some(c.span()), why));
            }
            Some(c) => *c.get_ref(),
            None => 4,
        };
        let books = read_titles(&raw, &base_dir, timezone, &err)?;
        let cx = Context {
            tz: timezone,
            books: &books,
        };
        let accounts =
            resolve_accounts(&raw, &feeds, text, &cx, &mut warnings).map_err(|(s, m)| err(s, m))?;
        for account in &accounts {
            check_wording(account, &mut warnings)?;
            for base in account.endpoint.bases() {
                if let Some(w) = clear_text_warning(&account.name, base) {
                    warnings.push(w);
                }
            }
            if account.select.strategy == Strategy::Learn && !account.network.reads_engagement() {
                warnings.push(format!(
                    "account {:?}: strategy = \"learn\" has nothing to learn from on {}, which gives no counts back: every article keeps the prior, so the order is a random draw; \"rotate\" suits this account",
                    account.name,
                    account.network.display_name()
                ));
            }
        }
        let read_after = resolve_read_after(&raw).map_err(|(s, m)| err(s, m))?;
        let metrics = match &raw.metrics {
            Some(m) => Some(resolve_metrics(m, &base_dir).map_err(|(s, m)| err(s, m))?),
            None => None,
        };
        let metrics_access = match &raw.metrics {
            Some(m) => resolve_metrics_access(m).map_err(|(s, m)| err(s, m))?,
            None => MetricsAccess::default(),
        };

        Ok(Config {
            path: path.to_path_buf(),
            timezone,
            timezone_source,
            state_dir,
            feeds,
            feed_concurrency,
            read_after,
            metrics,
            metrics_access,
            accounts,
            warnings,
        })
    }

    /// The feed called `name`.
    pub fn feed(&self, name: &str) -> Option<&FeedSettings> {
        self.feeds.iter().find(|f| f.name == name)
    }

    /// The config as seen from one feed (`--feed NAME`): that feed, and the accounts that share
    /// it, each sharing only it. `None` when no feed has that name.
    pub fn only_feed(&self, name: &str) -> Option<Config> {
        let feed = self.feed(name)?.clone();
        let accounts = self
            .accounts
            .iter()
            .filter_map(|a| {
                let share = a.feeds.iter().find(|s| s.feed == name)?.clone();
                Some(Account {
                    feeds: vec![share],
                    ..a.clone()
                })
            })
            .collect();
        Some(Config {
            feeds: vec![feed],
            accounts,
            ..self.clone()
        })
    }

    /// The names of the feeds, for messages.
    pub fn feed_names(&self) -> String {
        let names: Vec<&str> = self.feeds.iter().map(|f| f.name.as_str()).collect();
        names.join(", ")
    }

    /// The account called `name`.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }
}

type SpanError = (Option<Range<usize>>, String);

/// `[engagement] read_after`: ages between an hour and 90 days, default 1 day and 7 days.
fn resolve_read_after(raw: &RawConfig) -> Result<Vec<Duration>, SpanError> {
    let Some(ages) = raw.engagement.as_ref().and_then(|e| e.read_after.as_ref()) else {
        return Ok(vec![
            Duration::from_secs(86_400),
            Duration::from_secs(7 * 86_400),
        ]);
    };
    let mut out: Vec<Duration> = ages.get_ref().iter().map(|d| d.0).collect();
    if let Some(bad) = out
        .iter()
        .find(|d| **d < Duration::from_secs(3600) || **d > Duration::from_secs(90 * 86_400))
    {
        let why = format!(
            "`engagement.read_after`: {} is not between 1h and 90d",
            HumanDuration(*bad)
        );
        return Err((Some(ages.span()), why));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every titles file the config names (globally, in a feed's or an account's `[message]`),
/// read once each; one that cannot be read is named at its `titles` key, one that is wrong at
/// its own line.
fn read_titles(
    raw: &RawConfig,
    base_dir: &Path,
    tz: chrono_tz::Tz,
    err: &dyn Fn(Option<Range<usize>>, String) -> ConfigError,
) -> Result<Books, ConfigError> {
    let feeds: Vec<&RawFeed> = match raw.feed.as_ref().map(|t| t.get_ref()) {
        Some(RawFeeds::One(f)) => vec![f.as_ref()],
        Some(RawFeeds::Many(fs)) => fs.iter().map(|f| f.get_ref()).collect(),
        None => Vec::new(),
    };
    let named = std::iter::once(&raw.message.titles)
        .chain(feeds.iter().map(|f| &f.message.titles))
        .chain(raw.accounts.iter().map(|a| &a.get_ref().message.titles))
        .flatten();
    let mut books = Books::new();
    for t in named {
        if books.contains_key(t.get_ref()) {
            continue;
        }
        let path = base_dir.join(t.get_ref());
        let book = match TitleBook::load(&path, tz) {
            Err(ConfigError::Read { path, error }) => {
                let why = format!("`message.titles`: cannot read {}: {error}", path.display());
                return Err(err(Some(t.span()), why));
            }
            other => other?,
        };
        books.insert(t.get_ref().clone(), Arc::new(book));
    }
    Ok(books)
}

/// What an account's words can hold: a title in its titles file longer than its network allows
/// is an error (in that file); a template variant that cannot fit even with no title and no
/// hashtags is a warning, as that variant is skipped on that network.
fn check_wording(account: &Account, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
    let rule = account.network.length_rule();
    let messages =
        std::iter::once(&account.message).chain(account.feeds.iter().map(|f| &f.message));
    let mut told = Vec::new();
    for m in messages {
        if let Some(e) = m
            .titles
            .as_ref()
            .and_then(|b| b.too_long(account.network, rule))
        {
            return Err(e);
        }
        for (i, t) in m.templates.iter().enumerate() {
            let fixed = t.fixed_length(&m.text, rule);
            if fixed > rule.max() && !told.contains(&t.source) {
                told.push(t.source.clone());
                warnings.push(format!(
                    "account {:?}: template variant {} of {} ({:?}) cannot fit on {}: its fixed text and a link alone take {fixed} of {} characters; it is skipped there",
                    account.name,
                    i + 1,
                    m.templates.len(),
                    t.source,
                    account.network,
                    rule.max()
                ));
            }
        }
    }
    Ok(())
}

/// What resolving an account's rules needs beyond its tables: the zone dates are read in, and
/// the titles files already read (by the path as written).
struct Context<'a> {
    tz: chrono_tz::Tz,
    books: &'a Books,
}

/// The titles files a config names, read, by the path as written.
type Books = BTreeMap<String, Arc<TitleBook>>;

fn resolve_account(
    raw: &RawConfig,
    feeds: &[FeedSettings],
    acc: &RawAccount,
    cx: &Context,
    warnings: &mut Vec<String>,
) -> Result<Account, SpanError> {
    let name = checked_name(&acc.name, "account.name")?;
    let (endpoint, budget) = endpoint::resolve(acc, warnings)?;
    let (select, message) = resolve_rules(&raw.select, &raw.message, acc, cx)?;
    Ok(Account {
        endpoint,
        budget,
        select,
        message,
        cadence: resolve_cadence(&raw.cadence, &acc.cadence)?,
        engagement: acc.engagement.unwrap_or(true),
        feeds: resolve_shares(raw, feeds, acc, cx)?,
        network: acc.network,
        name,
        secret_lines: SecretLines::default(),
    })
}

/// The feeds an account shares (every feed unless it names some), each with its rules:
/// the global ones, then the feed's own, then the account's.
fn resolve_shares(
    raw: &RawConfig,
    feeds: &[FeedSettings],
    acc: &RawAccount,
    cx: &Context,
) -> Result<Vec<FeedShare>, SpanError> {
    let tables: Vec<&RawFeed> = match raw.feed.as_ref().map(|t| t.get_ref()) {
        Some(RawFeeds::One(f)) => vec![f.as_ref()],
        Some(RawFeeds::Many(fs)) => fs.iter().map(|f| f.get_ref()).collect(),
        None => Vec::new(),
    };
    let known = |n: &Spanned<String>| -> Result<usize, SpanError> {
        feeds
            .iter()
            .position(|f| f.name == *n.get_ref())
            .ok_or_else(|| {
                let names: Vec<&str> = feeds.iter().map(|f| f.name.as_str()).collect();
                (
                    Some(n.span()),
                    format!(
                        "unknown feed {:?} (feeds: {})",
                        n.get_ref(),
                        names.join(", ")
                    ),
                )
            })
    };
    let chosen: Vec<usize> = match &acc.feeds {
        Some(names) if names.is_empty() => {
            return Err((
                None,
                format!(
                    "account {:?}: `feeds` is empty: it would never post",
                    acc.name.get_ref()
                ),
            ))
        }
        Some(names) => names.iter().map(known).collect::<Result<_, _>>()?,
        None => (0..feeds.len()).collect(),
    };
    let mut shares = Vec::new();
    for i in chosen {
        let weight = match acc
            .feed_weights
            .as_ref()
            .and_then(|w| w.get(&feeds[i].name))
        {
            Some(w) if !(w.get_ref().is_finite() && *w.get_ref() > 0.0) => {
                return Err((
                    Some(w.span()),
                    format!(
                        "invalid feed weight {}: expected a number above 0",
                        w.get_ref()
                    ),
                ))
            }
            Some(w) => *w.get_ref(),
            None => 1.0,
        };
        let table = tables.get(i).copied();
        let (select, message) = match table {
            Some(t) => (t.select.over(&raw.select), t.message.over(&raw.message)),
            None => (raw.select.clone(), raw.message.clone()),
        };
        let (select, message) = resolve_rules(&select, &message, acc, cx)?;
        shares.push(FeedShare {
            feed: feeds[i].name.clone(),
            weight,
            select,
            message,
        });
    }
    if let Some(w) = &acc.feed_weights {
        if let Some((name, v)) = w
            .iter()
            .find(|(n, _)| !shares.iter().any(|s| &s.feed == *n))
        {
            return Err((
                Some(v.span()),
                format!("`feed_weights` names {name:?}, a feed this account does not share"),
            ));
        }
    }
    Ok(shares)
}

/// The account's value if it set one, else the global one.
fn pick<'a, T>(over: &'a Option<T>, base: &'a Option<T>) -> Option<&'a T> {
    over.as_ref().or(base.as_ref())
}

/// An account's selection and message rules over `select` and `message` (the global ones, or
/// a feed's over them), with the titles file's end dates among the expiries.
fn resolve_rules(
    select: &RawSelect,
    message: &RawMessage,
    acc: &RawAccount,
    cx: &Context,
) -> Result<(SelectSettings, MessageSettings), SpanError> {
    let mut select = resolve_select(&acc.select.over(select), cx.tz)?;
    let message = resolve_message(&acc.message.over(message), cx.books)?;
    if let Some(book) = &message.titles {
        let ends = book.entries.iter();
        let ends = ends.filter_map(|e| Some((e.pattern.clone(), e.expires?)));
        select.expire_urls.extend(ends);
    }
    Ok((select, message))
}

/// URL patterns, each compiled (`key`: the key's name for errors).
fn globs(list: &Option<Vec<Spanned<String>>>, key: &str) -> Result<Vec<UrlGlob>, SpanError> {
    let list = list.iter().flatten();
    list.map(|p| {
        UrlGlob::new(p.get_ref()).map_err(|m| (Some(p.span()), format!("`select.{key}`: {m}")))
    })
    .collect()
}

/// `expire_urls`: each pattern compiled, each date made the instant it ends.
fn expiries(
    s: &RawSelect,
    tz: chrono_tz::Tz,
) -> Result<Vec<(UrlGlob, chrono::DateTime<chrono::Utc>)>, SpanError> {
    let mut out = Vec::new();
    for (pattern, date) in s.expire_urls.iter().flatten() {
        let glob = UrlGlob::new(pattern.get_ref())
            .map_err(|m| (Some(date.span()), format!("`select.expire_urls`: {m}")))?;
        let at = expiry(date.get_ref(), tz).map_err(|m| {
            let why = format!("`select.expire_urls` for {:?}: {m}", pattern.get_ref());
            (Some(date.span()), why)
        })?;
        out.push((glob, at));
    }
    Ok(out)
}

/// `strategy` and `retire_after_silent`.
fn learning(s: &RawSelect) -> Result<(Strategy, Option<u32>), SpanError> {
    let strategy = match &s.strategy {
        None => Strategy::Rotate,
        Some(v) => match v.get_ref().as_str() {
            "rotate" => Strategy::Rotate,
            "learn" => Strategy::Learn,
            other => {
                let why = format!("`select.strategy`: {other:?} is not \"rotate\" or \"learn\"");
                return Err((Some(v.span()), why));
            }
        },
    };
    let retire_after_silent = match &s.retire_after_silent {
        Some(n) if *n.get_ref() == 0 => {
            let why = "`select.retire_after_silent` is 0: every article would retire (leave it out to keep them all)";
            return Err((Some(n.span()), why.into()));
        }
        n => n.as_ref().map(|n| *n.get_ref()),
    };
    Ok((strategy, retire_after_silent))
}

/// `weights`: folded categories, each weight above 0.
fn weights(s: &RawSelect) -> Result<Vec<(String, f64)>, SpanError> {
    let mut out = Vec::new();
    for (category, w) in s.weights.iter().flatten() {
        if !(w.get_ref().is_finite() && *w.get_ref() > 0.0) {
            return Err((Some(w.span()), format!("`select.weights` for {:?}: {} is not a number above 0 (to never share a category, use `exclude_categories`)", category.get_ref(), w.get_ref())));
        }
        out.push((crate::text::fold(category.get_ref()), *w.get_ref()));
    }
    Ok(out)
}

/// Selection rules from a table already layered (see [`RawSelect::over`]).
fn resolve_select(s: &RawSelect, tz: chrono_tz::Tz) -> Result<SelectSettings, SpanError> {
    let d = SelectSettings::default();
    let min_age_days = s
        .min_age_days
        .as_ref()
        .map_or(d.min_age_days, |v| *v.get_ref());
    let max_age_days = s
        .max_age_days
        .as_ref()
        .map_or(d.max_age_days, |v| *v.get_ref());
    if min_age_days > max_age_days {
        let span = s
            .max_age_days
            .as_ref()
            .or(s.min_age_days.as_ref())
            .map(|v| v.span());
        return Err((
            span,
            format!("`select.max_age_days` ({max_age_days}) is smaller than `select.min_age_days` ({min_age_days}): no article could ever be chosen"),
        ));
    }
    let undated = match &s.undated {
        None => Undated::Skip,
        Some(u) => match u.get_ref().as_str() {
            "skip" => Undated::Skip,
            "first_seen" => Undated::FirstSeen,
            other => {
                return Err((
                    Some(u.span()),
                    format!("`select.undated`: {other:?} is not \"skip\" or \"first_seen\""),
                ))
            }
        },
    };
    let max_shares = match &s.max_shares {
        Some(m) if *m.get_ref() == 0 => return Err((
            Some(m.span()),
            "`select.max_shares` is 0: no article could ever be shared (leave it out for no limit)"
                .into(),
        )),
        m => m.as_ref().map(|m| *m.get_ref()),
    };
    let expire_urls = expiries(s, tz)?;
    let weights = weights(s)?;
    let (strategy, retire_after_silent) = learning(s)?;
    let folded = |list: &Option<Vec<String>>| {
        list.iter()
            .flatten()
            .map(|c| crate::text::fold(c))
            .collect()
    };
    Ok(SelectSettings {
        min_age_days,
        max_age_days,
        exclude_categories: s.exclude_categories.clone().unwrap_or_default(),
        exclude_urls: globs(&s.exclude_urls, "exclude_urls")?,
        cooldown_days: s.cooldown_days.unwrap_or(d.cooldown_days),
        check_link: s.check_link.unwrap_or(d.check_link),
        undated,
        evergreen_categories: folded(&s.evergreen_categories),
        evergreen_urls: globs(&s.evergreen_urls, "evergreen_urls")?,
        max_shares,
        expire_urls,
        weights,
        strategy,
        retire_after_silent,
    })
}

/// Message rules from a table already layered (see [`RawMessage::over`]).
fn resolve_message(m: &RawMessage, books: &Books) -> Result<MessageSettings, SpanError> {
    let templates = resolve_templates(m)?;
    // Per-account hashtag entries are added to (and win over) the global ones.
    let mut hashtags = BTreeMap::new();
    if let Some(map) = &m.hashtags {
        for (category, tags) in map {
            let parsed = parse_hashtag_list(tags.get_ref()).map_err(|m| {
                (
                    Some(tags.span()),
                    format!("`message.hashtags` for {category:?}: {m}"),
                )
            })?;
            hashtags.insert(crate::text::fold(category), parsed);
        }
    }
    let utm = m.utm.as_ref().map(|u| {
        let mut params = Vec::new();
        for (k, v) in [
            ("utm_source", &u.source),
            ("utm_medium", &u.medium),
            ("utm_campaign", &u.campaign),
            ("utm_term", &u.term),
            ("utm_content", &u.content),
        ] {
            if let Some(v) = v {
                params.push((k.to_string(), v.clone()));
            }
        }
        Utm { params }
    });
    Ok(MessageSettings {
        templates,
        text: m.text.clone().unwrap_or_default(),
        max_hashtags: m.max_hashtags.unwrap_or(3),
        hashtags,
        utm,
        titles: m
            .titles
            .as_ref()
            .and_then(|t| books.get(t.get_ref()).cloned()),
    })
}

/// `template`, or the variants of `templates` (not both in one table: which would win is a
/// guess), each parsed.
fn resolve_templates(m: &RawMessage) -> Result<Vec<Template>, SpanError> {
    let parse = |t: &Spanned<String>, key: &str| {
        Template::parse(t.get_ref()).map_err(|e| (Some(t.span()), format!("`message.{key}`: {e}")))
    };
    match (&m.template, &m.templates) {
        (Some(_), Some(list)) => Err((
            Some(list.span()),
            "`message.template` and `message.templates` are both set: keep one (`templates` holds every variant)".into(),
        )),
        (Some(t), None) => Ok(vec![parse(t, "template")?]),
        (None, Some(list)) if list.get_ref().is_empty() => Err((
            Some(list.span()),
            "`message.templates` is empty: give at least one template".into(),
        )),
        (None, Some(list)) => list.get_ref().iter().map(|t| parse(t, "templates")).collect(),
        (None, None) => Ok(MessageSettings::default().templates),
    }
}

/// "#SocialMedia #Marketing" → ["#SocialMedia", "#Marketing"]. The leading '#' is optional.
fn parse_hashtag_list(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for word in s.split_whitespace() {
        let body = word.strip_prefix('#').unwrap_or(word);
        let valid = !body.is_empty()
            && body.chars().all(|c| {
                c.is_alphanumeric() || c == '_' || unicode_normalization::char::is_combining_mark(c)
            })
            && !body.chars().all(|c| c.is_ascii_digit());
        if !valid {
            return Err(format!(
                "{word:?} is not a valid hashtag (letters, digits and '_' only, not all digits)"
            ));
        }
        out.push(format!("#{body}"));
    }
    Ok(out)
}

/// What one `[cadence]` table says of the mode (`Some(true)`: auto), refusing a table that
/// contradicts itself (`per_day` with auto, auto-only keys with fixed).
fn table_mode(t: &RawCadence) -> Result<Option<bool>, SpanError> {
    let auto = match &t.mode {
        None if t.per_day.is_some() => Some(false),
        None => None,
        Some(m) if m.get_ref() == "fixed" => Some(false),
        Some(m) if m.get_ref() == "auto" => Some(true),
        Some(m) => {
            return Err((
                Some(m.span()),
                format!(
                    "invalid `cadence.mode` {:?}: expected \"auto\" or \"fixed\"",
                    m.get_ref()
                ),
            ))
        }
    };
    match auto {
        Some(true) => {
            if let Some(p) = &t.per_day {
                return Err((
                    Some(p.span()),
                    "`cadence.per_day` only applies with mode = \"fixed\"; with mode = \"auto\" the rate follows the account's volume (see max_per_day, min_per_week)".into(),
                ));
            }
        }
        Some(false) => {
            let auto_only = [
                (
                    "share_of_volume",
                    t.share_of_volume.as_ref().map(|s| s.span()),
                ),
                ("max_per_day", t.max_per_day.as_ref().map(|s| s.span())),
                ("min_per_week", t.min_per_week.as_ref().map(|s| s.span())),
                (
                    "volume_window_days",
                    t.volume_window_days.as_ref().map(|s| s.span()),
                ),
                (
                    "assumed_daily_volume",
                    t.assumed_daily_volume.as_ref().map(|s| s.span()),
                ),
            ];
            if let Some((key, span)) = auto_only.into_iter().find(|(_, s)| s.is_some()) {
                return Err((
                    span,
                    format!("`cadence.{key}` only applies with mode = \"auto\""),
                ));
            }
        }
        None => {}
    }
    Ok(auto)
}

/// `[feed]` or every `[[feed]]`, with their defaults: names unique (and given when there are
/// several), a refresh under a minute refused.
fn resolve_feeds(
    raw: &RawConfig,
    base_dir: &Path,
    text: &str,
    timezone: chrono_tz::Tz,
) -> Result<Vec<FeedSettings>, SpanError> {
    let missing = || {
        (
            Some(0..0),
            "missing [feed] table: `url` is required".to_string(),
        )
    };
    let Some(tables) = &raw.feed else {
        return Err(missing());
    };
    let tables: Vec<(&RawFeed, Option<Range<usize>>)> = match tables.get_ref() {
        RawFeeds::One(f) => vec![(f.as_ref(), Some(tables.span()))],
        RawFeeds::Many(fs) => fs.iter().map(|f| (f.get_ref(), Some(f.span()))).collect(),
    };
    if tables.is_empty() {
        return Err(missing());
    }
    let mut feeds: Vec<FeedSettings> = Vec::new();
    for (f, span) in tables {
        let name = match &f.name {
            Some(n) => checked_name(n, "feed.name")?,
            None if matches!(raw.feed.as_ref().map(|t| t.get_ref()), Some(RawFeeds::One(_))) => {
                MAIN_FEED.to_string()
            }
            None => return Err((span, "`[[feed]]` needs a `name` when there are several feeds (accounts choose them by name)".into())),
        };
        if feeds.iter().any(|g| g.name == name) {
            let at = f.name.as_ref().map(|n| n.span()).or(span);
            return Err((
                at,
                format!("duplicate feed name {name:?}: `feed.name` must be unique"),
            ));
        }
        feeds.push(resolve_feed(f, name, base_dir, text, timezone)?);
    }
    Ok(feeds)
}

/// `[metrics]`: a TCP address (a loopback one unless `allow_remote`) or an absolute Unix
/// socket path. The endpoint has no authentication: what it tells (accounts, feeds, spend)
/// stays on the machine unless the admin says otherwise.
fn resolve_metrics(m: &raw::RawMetrics, base_dir: &Path) -> Result<MetricsListen, SpanError> {
    let text = m.listen.get_ref().trim();
    let at = Some(m.listen.span());
    if text.starts_with('/') || text.starts_with("./") {
        return Ok(MetricsListen::Unix(base_dir.join(text)));
    }
    let addr: std::net::SocketAddr = text.parse().map_err(|_| {
        let why = format!("invalid `metrics.listen` {text:?}: expected an address and port such as \"127.0.0.1:9464\" or a Unix socket path such as \"/run/encore/metrics.sock\"");
        (at.clone(), why)
    })?;
    if !addr.ip().is_loopback() && !m.allow_remote {
        let why = format!("`metrics.listen` {addr} is not a loopback address: the endpoint has no authentication, so it listens on 127.0.0.1 or ::1 unless `allow_remote = true` says otherwise");
        return Err((at, why));
    }
    Ok(MetricsListen::Tcp(addr))
}

/// A warning for an API address that is plain `http://` on another machine: the account's
/// tokens would cross the network in clear. (Loopback is a local proxy or a test.)
fn clear_text_warning(account: &str, base: &url::Url) -> Option<String> {
    let loopback = match base.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    (base.scheme() == "http" && !loopback).then(|| {
        format!(
            "account {account:?}: {} is plain http on another machine: its tokens would travel in clear; use https",
            crate::redact::url(base.as_str())
        )
    })
}

/// `[metrics] allow_from`, `username` and `password`: a client network list (`10.0.0.0/8`,
/// an address alone is one host) and basic authentication, both or either.
fn resolve_metrics_access(m: &raw::RawMetrics) -> Result<MetricsAccess, SpanError> {
    let mut allow_from = Vec::new();
    for net in m.allow_from.iter().flatten() {
        let text = net.get_ref().trim();
        let parsed = text
            .parse::<ipnet::IpNet>()
            .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
        match parsed {
            Ok(n) => allow_from.push(n.trunc()),
            Err(_) => {
                let why = format!("invalid network {text:?} in `metrics.allow_from`: expected an address or a CIDR network such as \"10.0.0.0/8\"");
                return Err((Some(net.span()), why));
            }
        }
    }
    let basic_auth = match (&m.username, &m.password) {
        (None, None) => None,
        (Some(u), Some(p)) if !u.get_ref().is_empty() && !u.get_ref().contains(':') => {
            Some((u.get_ref().clone(), SecretRef::parse(p.get_ref())))
        }
        (Some(u), Some(_)) => {
            let why = "`metrics.username` must be a non-empty name without ':'".to_string();
            return Err((Some(u.span()), why));
        }
        (Some(u), None) => {
            let why = "`metrics.username` needs `metrics.password` (for example \"credential:encore_metrics_password\")".to_string();
            return Err((Some(u.span()), why));
        }
        (None, Some(p)) => {
            return Err((
                Some(p.span()),
                "`metrics.password` needs `metrics.username`".into(),
            ));
        }
    };
    Ok(MetricsAccess {
        allow_from,
        basic_auth,
    })
}

/// Whether `key` (a bare key, as written in its table) holds a secret: one a network declares
/// (`config/endpoint.rs`), or the metrics endpoint's password. Their values never appear in a
/// message.
pub(crate) fn is_secret_key(key: &str) -> bool {
    endpoint::is_secret_key(key) || key == "password"
}

/// One feed table, with its defaults.
fn resolve_feed(
    f: &RawFeed,
    name: String,
    base_dir: &Path,
    text: &str,
    timezone: chrono_tz::Tz,
) -> Result<FeedSettings, SpanError> {
    let feed = FeedSettings {
        name,
        source: feed_source(base_dir, &f.url).map_err(|m| (Some(f.url.span()), m))?,
        refresh: f
            .refresh
            .map(|d| d.0)
            .unwrap_or(Duration::from_secs(6 * 3600)),
        timeout: f.timeout.map(|d| d.0).unwrap_or(Duration::from_secs(30)),
        max_size: f.max_size.map(|b| b.0).unwrap_or(10 << 20),
        allow_private_networks: f.allow_private_networks.unwrap_or(false),
        backfill_pages: f.backfill_pages.unwrap_or(50),
        backfill_delay: f
            .backfill_delay
            .map(|d| d.0)
            .unwrap_or(Duration::from_secs(1)),
        timezone,
    };
    if feed.refresh < Duration::from_secs(60) {
        return Err((
            find_key(text, "refresh"),
            "`feed.refresh` must be at least 1m: polling a blog faster is impolite".into(),
        ));
    }
    Ok(feed)
}

/// A name for an account or a feed: 1-64 letters, digits, '-', '_' or '.' (it goes into
/// logs, state keys and metrics labels).
fn checked_name(name: &Spanned<String>, key: &str) -> Result<String, SpanError> {
    let n = name.get_ref();
    let valid = !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err((
            Some(name.span()),
            format!("invalid `{key}` {n:?}: use 1-64 letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(n.clone())
}

/// Every `[[account]]`, resolved over the global tables, with the positions of its secrets;
/// names must be unique.
fn resolve_accounts(
    raw: &RawConfig,
    feeds: &[FeedSettings],
    text: &str,
    cx: &Context,
    warnings: &mut Vec<String>,
) -> Result<Vec<Account>, SpanError> {
    if raw.accounts.is_empty() {
        return Err((
            Some(0..0),
            "no [[account]] defined: add at least one (network = \"log\" posts to the log only)"
                .into(),
        ));
    }
    let mut accounts: Vec<Account> = Vec::new();
    for acc in &raw.accounts {
        let mut account = resolve_account(raw, feeds, acc.get_ref(), cx, warnings)?;
        let keys: Vec<&'static str> = account.endpoint.secrets().iter().map(|(k, _)| *k).collect();
        account.secret_lines = SecretLines(
            keys.into_iter()
                .filter_map(|k| {
                    let at = endpoint::field(acc.get_ref(), k)?.span().start;
                    let (line, col) = line_col(text, at);
                    Some((k, line, col))
                })
                .collect(),
        );
        if accounts.iter().any(|a| a.name == account.name) {
            return Err((
                Some(acc.get_ref().name.span()),
                format!(
                    "duplicate account name {:?}: `account.name` must be unique",
                    account.name
                ),
            ));
        }
        accounts.push(account);
    }
    Ok(accounts)
}

fn resolve_cadence(global: &RawCadence, over: &RawCadence) -> Result<CadenceSettings, SpanError> {
    // The account's own table decides before the global one; in each, `per_day` without a
    // `mode` means fixed (configs written before auto mode existed); else auto.
    let auto = match table_mode(over)? {
        Some(m) => m,
        None => table_mode(global)?.unwrap_or(true),
    };
    let per_day_s = if auto {
        None
    } else {
        pick(&over.per_day, &global.per_day)
    };
    let mode = match auto {
        true => CadenceMode::Auto(resolve_auto(global, over)?),
        false => CadenceMode::Fixed,
    };
    let per_day = match mode {
        CadenceMode::Auto(a) => a.max_per_day,
        CadenceMode::Fixed => per_day_s.map(|s| *s.get_ref()).unwrap_or(1.0),
    };
    if !(per_day > 0.0 && per_day <= 24.0) {
        return Err((
            per_day_s.map(|s| s.span()),
            format!("invalid `cadence.per_day` {per_day}: expected more than 0 and at most 24"),
        ));
    }
    let hours_s = pick(&over.active_hours, &global.active_hours);
    let active_hours = hours_s.map(|h| *h.get_ref()).unwrap_or_default();
    let days = resolve_days(global, over)?;
    let spacing_s = pick(&over.min_spacing, &global.min_spacing);
    let min_spacing = spacing_s
        .map(|s| s.get_ref().0)
        .unwrap_or(Duration::from_secs(2 * 3600));
    let slots = per_day.ceil() as u64;
    if min_spacing.as_secs() * slots > active_hours.nominal_len().as_secs() {
        let span = spacing_s.map(|s| s.span()).or(per_day_s.map(|s| s.span()));
        return Err((
            span,
            format!(
                "{slots} posts a day at least {} apart do not fit in `cadence.active_hours` {active_hours}: lower `per_day` or `min_spacing`, or widen the window",
                HumanDuration(min_spacing)
            ),
        ));
    }
    Ok(CadenceSettings {
        mode,
        per_day,
        active_hours,
        days,
        min_spacing,
        grace: pick(&over.grace, &global.grace)
            .map(|g| g.0)
            .unwrap_or(Duration::from_secs(15 * 60)),
        pause_after_new_post: pick(&over.pause_after_new_post, &global.pause_after_new_post)
            .map(|g| g.0)
            .filter(|d| !d.is_zero()),
    })
}

/// Auto mode's settings, each checked against its range.
fn resolve_auto(global: &RawCadence, over: &RawCadence) -> Result<AutoSettings, SpanError> {
    let window_s = pick(&over.volume_window_days, &global.volume_window_days);
    let volume_window_days = window_s.map(|s| *s.get_ref()).unwrap_or(7);
    if !(1..=60).contains(&volume_window_days) {
        return Err((
            window_s.map(|s| s.span()),
            format!("invalid `cadence.volume_window_days` {volume_window_days}: expected 1 to 60"),
        ));
    }
    let max_per_day = number(
        pick(&over.max_per_day, &global.max_per_day),
        "max_per_day",
        3.0,
        &|v| v > 0.0 && v <= 24.0,
        "more than 0 and at most 24",
    )?;
    Ok(AutoSettings {
        share_of_volume: number(
            pick(&over.share_of_volume, &global.share_of_volume),
            "share_of_volume",
            0.4,
            &|v| v > 0.0 && v <= 10.0,
            "more than 0 and at most 10",
        )?,
        max_per_day,
        min_per_week: number(
            pick(&over.min_per_week, &global.min_per_week),
            "min_per_week",
            1.0,
            &|v| (0.0..=7.0 * max_per_day).contains(&v),
            "0 to 7 × max_per_day",
        )?,
        volume_window_days,
        assumed_daily_volume: number(
            pick(&over.assumed_daily_volume, &global.assumed_daily_volume),
            "assumed_daily_volume",
            1.0,
            &|v| (0.0..=1000.0).contains(&v),
            "0 to 1000",
        )?,
    })
}

/// A `cadence.{key}` number, `default` when absent, refused (at its position) unless finite
/// and `ok`; `want` says what is expected.
fn number(
    s: Option<&Spanned<f64>>,
    key: &str,
    default: f64,
    ok: &dyn Fn(f64) -> bool,
    want: &str,
) -> Result<f64, SpanError> {
    let v = s.map(|s| *s.get_ref()).unwrap_or(default);
    if v.is_finite() && ok(v) {
        Ok(v)
    } else {
        Err((
            s.map(|s| s.span()),
            format!("invalid `cadence.{key}` {v}: expected {want}"),
        ))
    }
}

/// The posting days, in week order, once each; none is an error (Encore would never post).
fn resolve_days(global: &RawCadence, over: &RawCadence) -> Result<Vec<chrono::Weekday>, SpanError> {
    let days_s = pick(&over.days, &global.days);
    let mut days: Vec<chrono::Weekday> = match days_s {
        Some(d) => d.get_ref().iter().map(|d| d.0).collect(),
        None => ALL_DAYS.to_vec(),
    };
    days.sort_by_key(|d| d.num_days_from_monday());
    days.dedup();
    if days.is_empty() {
        return Err((
            days_s.map(|d| d.span()),
            "`cadence.days` is empty: Encore would never post".into(),
        ));
    }
    Ok(days)
}

const ALL_DAYS: [chrono::Weekday; 7] = [
    chrono::Weekday::Mon,
    chrono::Weekday::Tue,
    chrono::Weekday::Wed,
    chrono::Weekday::Thu,
    chrono::Weekday::Fri,
    chrono::Weekday::Sat,
    chrono::Weekday::Sun,
];

impl Default for ActiveHours {
    /// 09:00-20:00: the working day and early evening, when readers are around.
    fn default() -> ActiveHours {
        ActiveHours {
            // 09:00 is a valid time of day: the constructor cannot fail for it.
            start: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            end_secs: 20 * 3600,
        }
    }
}

fn feed_source(base_dir: &Path, url: &Spanned<String>) -> Result<FeedSource, String> {
    let s = url.get_ref().trim();
    if s.is_empty() {
        return Err("`feed.url` is empty".into());
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let u = url::Url::parse(s).map_err(|e| format!("invalid `feed.url` {s:?}: {e}"))?;
        if u.host_str().is_none_or(|h| h.is_empty()) {
            return Err(format!("invalid `feed.url` {s:?}: no host"));
        }
        return Ok(FeedSource::Url(u));
    }
    if lower.starts_with("file://") {
        let u = url::Url::parse(s).map_err(|e| format!("invalid `feed.url` {s:?}: {e}"))?;
        let p = u
            .to_file_path()
            .map_err(|_| format!("invalid `feed.url` {s:?}: not a local file path"))?;
        return Ok(FeedSource::File(p));
    }
    if let Some((scheme, _)) = s.split_once("://") {
        return Err(format!(
            "unsupported scheme {scheme:?} in `feed.url`: use http(s) or a local file path"
        ));
    }
    Ok(FeedSource::File(base_dir.join(s)))
}

/// The system's zone: `$TZ`, then `/etc/localtime`. UTC when neither can be read.
fn system_timezone() -> (chrono_tz::Tz, TimezoneSource) {
    if let Ok(tz) = std::env::var("TZ") {
        if let Ok(z) = tz.trim_start_matches(':').parse::<chrono_tz::Tz>() {
            return (z, TimezoneSource::System);
        }
    }
    match iana_time_zone::get_timezone()
        .ok()
        .and_then(|n| n.parse().ok())
    {
        Some(z) => (z, TimezoneSource::System),
        None => (chrono_tz::UTC, TimezoneSource::Fallback),
    }
}

/// A warning when the file holds literal secrets and every user of the machine can read it.
fn exposed_secrets(config: &Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let literal: Vec<String> = config
        .accounts
        .iter()
        .flat_map(|a| {
            a.endpoint
                .secrets()
                .into_iter()
                .filter(|(_, r)| r.is_literal())
                .map(move |(k, _)| format!("{}.{k}", a.name))
        })
        .collect();
    let mode = std::fs::metadata(&config.path).ok()?.permissions().mode();
    if literal.is_empty() || mode & 0o004 == 0 {
        return None;
    }
    Some(format!(
        "{} holds secrets ({}) and every user can read it (mode {:04o}): move them to credentials (credential:NAME, LoadCredential=) or `chmod o-r` the file",
        config.path.display(),
        literal.join(", "),
        mode & 0o7777
    ))
}

/// `$STATE_DIRECTORY` (set by systemd's `StateDirectory=`; the first entry if several), else
/// `/var/lib/encore`.
fn default_state_dir() -> PathBuf {
    std::env::var("STATE_DIRECTORY")
        .ok()
        .and_then(|v| v.split(':').next().map(str::to_string))
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/encore"))
}

/// The first `key =` line in the text, for errors about a value whose span was not kept.
fn find_key(text: &str, key: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                let start = offset + (line.len() - t.len());
                return Some(start..start + key.len());
            }
        }
        offset += line.len();
    }
    None
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let line = text[..offset].matches('\n').count() + 1;
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, text[line_start..offset].chars().count() + 1)
}

fn invalid(path: &Path, text: &str, span: Option<Range<usize>>, message: String) -> ConfigError {
    // Errors about the whole file (no span, or an empty one at its very start) name no key.
    let whole_file = span.as_ref().is_none_or(|s| s.is_empty() && s.start == 0);
    let start = span.map(|s| s.start).unwrap_or(0).min(text.len());
    let (line, col) = line_col(text, start);
    let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let message = if whole_file {
        message
    } else {
        name_the_key(text, line_start, hide_secret(text, line_start, message))
    };
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        col,
        message,
    }
}

/// The TOML reader's message, or a plainer one for two mistakes it words obscurely: a single
/// `[account]` table where accounts are an array of tables, and a string value written without
/// its quotes (`url = feed.xml` reads as "invalid boolean").
fn explain_toml(text: &str, span: Option<Range<usize>>, message: &str) -> String {
    let start = span.map_or(0, |s| s.start).min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let header = line.split('#').next().unwrap_or("").trim();
    if message.contains("expected a sequence")
        && header.starts_with('[')
        && !header.starts_with("[[")
        && header.trim_matches(['[', ']', ' ']) == "account"
    {
        return "`account`: write [[account]] (an array of tables), one per account".into();
    }
    if let Some((key, value)) = line.split_once('=') {
        let value = value.split('#').next().unwrap_or("").trim();
        let parses = |v: &str| toml::from_str::<toml::Table>(&format!("v = {v}")).is_ok();
        let bare = !value.is_empty() && !value.starts_with(['"', '\'', '[', '{']);
        if bare && !parses(value) && parses(&format!("{value:?}")) {
            // The key is named by `name_the_key`, with its table.
            let key = key.trim();
            return if is_secret_key(key) {
                "the value must be quoted (a string in double quotes; the value is not shown)"
                    .into()
            } else {
                format!("the value must be quoted: {key} = {value:?}")
            };
        }
    }
    message.to_string()
}

/// The message with the value of the line's key cut out when that key holds a secret, whatever
/// the value's type: the last guard, behind the secret keys' own deserializer, against a parser
/// message that quotes what it read.
fn hide_secret(text: &str, line_start: usize, message: String) -> String {
    let line = text[line_start..].lines().next().unwrap_or("");
    let Some((key, value)) = line.split_once('=') else {
        return message;
    };
    let value = value.trim().trim_matches(['"', '\'']);
    if !is_secret_key(key.trim().trim_matches('"')) || value.is_empty() {
        return message;
    }
    let mut message = message.replace(value, "(hidden)");
    // A number is echoed as read, not as written (`8_675_309` as `8675309`).
    let digits: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
    if digits.len() >= 3 {
        message = message.replace(&digits, "(hidden)");
    }
    message
}

/// Prefixes a parser message ("invalid duration…") with the dotted key it belongs to
/// ("cadence.min_spacing: invalid duration…"), found from the line and the table header above it.
fn name_the_key(text: &str, line_start: usize, message: String) -> String {
    let line = text[line_start..].lines().next().unwrap_or("");
    let Some((key, _)) = line.split_once('=') else {
        return message;
    };
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.contains(['[', '{', ' ']) {
        return message;
    }
    // Already named ("`cadence.per_day`: …", "unknown field `extra`"): a backquoted key.
    if message.contains(&format!("{key}`")) {
        return message;
    }
    let header = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    match header {
        Some(h) => format!("`{h}.{key}`: {message}"),
        None => format!("`{key}`: {message}"),
    }
}

#[cfg(test)]
mod tests;
