//! Where and as whom an account posts: the per-network keys of an `[[account]]`.
//!
//! Secrets are kept as references (`env:`, `file:`, `credential:`) and read when a network is
//! built, so the config can be checked on a machine that does not hold them, and a literal
//! secret in the file is accepted with a warning.

use super::raw::RawAccount;
use super::secret::SecretRef;
use super::SpanError;
use crate::vocab::NetworkKind;
use std::ops::Range;
use toml::Spanned;

/// How an account reaches its network.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoint {
    /// `network = "log"`: nothing to reach.
    Log,
    /// X.
    X(Box<XSettings>),
    /// A Mastodon instance.
    Mastodon(Box<MastodonSettings>),
    /// Bluesky (an AT Protocol PDS).
    Bluesky(Box<BlueskySettings>),
    /// Threads.
    Threads(Box<ThreadsSettings>),
    /// LinkedIn.
    LinkedIn(Box<LinkedInSettings>),
    /// A Telegram channel.
    Telegram(Box<TelegramSettings>),
}

/// A Threads account: a long-lived token, which Encore refreshes and keeps in the state.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadsSettings {
    /// `https://graph.threads.net/` unless a test says otherwise (ends with '/').
    pub api_base: url::Url,
    /// The long-lived token (60 days) Encore starts from; refreshed ones live in the state.
    pub access_token: SecretRef,
}

/// A LinkedIn member or organisation page, logged in with `encore auth linkedin`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedInSettings {
    /// `https://api.linkedin.com/` unless a test says otherwise (ends with '/').
    pub api_base: url::Url,
    /// The LinkedIn app's client id (shown in the app's Auth tab; not a secret).
    pub client_id: String,
    /// The app's client secret, for the login and a refresh where LinkedIn grants one.
    pub client_secret: SecretRef,
    /// Where the admin's browser logs in; the token endpoint is beside it (`accessToken`).
    pub authorize_url: url::Url,
    /// The callback registered in the app: http on 127.0.0.1.
    pub redirect_uri: url::Url,
    /// Post as this organisation (`urn:li:organization:N`); `None`: as the member who logged in.
    pub author: Option<String>,
    /// The `LinkedIn-Version` header, `YYYYMM`: LinkedIn supports a version about a year.
    pub api_version: String,
}

/// A Telegram channel and the bot that posts to it.
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramSettings {
    /// `https://api.telegram.org/` unless a test or a local Bot API server says otherwise.
    pub api_base: url::Url,
    /// The token @BotFather gave.
    pub bot_token: SecretRef,
    /// `@channelname` or the channel's numeric id (`-100…`).
    pub chat: String,
}

/// A Mastodon account: its instance and its token.
#[derive(Debug, Clone, PartialEq)]
pub struct MastodonSettings {
    /// The instance's base URL (ends with '/').
    pub instance: url::Url,
    /// A user token with `write:statuses` (and `read:accounts` or `profile` for the count).
    pub access_token: SecretRef,
    /// Who sees the posts.
    pub visibility: Visibility,
    /// ISO 639-1 code of the posts' language, when the blog has one.
    pub language: Option<String>,
}

/// Mastodon's audiences Encore may post to (`direct` would be a private message: never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Public timelines.
    Public,
    /// Followers and the profile, kept out of public timelines: quieter re-shares.
    Unlisted,
    /// Followers only.
    Private,
}

impl Visibility {
    /// The API's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
        }
    }
}

/// A Bluesky account: where it lives and how it logs in.
#[derive(Debug, Clone, PartialEq)]
pub struct BlueskySettings {
    /// The account's PDS, or the entryway `https://bsky.social` (ends with '/').
    pub service: url::Url,
    /// Handle or DID.
    pub identifier: String,
    /// An app password (Settings > Privacy and security > App passwords), never the main one.
    pub app_password: SecretRef,
    /// The AppView that serves profiles (post count); public, no login needed (ends with '/').
    pub appview: url::Url,
    /// BCP-47 tag of the posts' language, when the blog has one.
    pub language: Option<String>,
}

/// An X account's API and credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct XSettings {
    /// `https://api.x.com` unless a proxy or a test says otherwise.
    pub api_base: url::Url,
    /// How requests are authorised.
    pub auth: XAuth,
}

impl Endpoint {
    /// The addresses the account's network is reached at (its API, instance, PDS…): the
    /// admin's own, so a feed's content may lead there whatever address they have.
    pub fn bases(&self) -> Vec<&url::Url> {
        match self {
            Endpoint::Log => vec![],
            Endpoint::X(x) => match &x.auth {
                XAuth::OAuth2 { authorize_url, .. } => vec![&x.api_base, authorize_url],
                XAuth::OAuth1 { .. } => vec![&x.api_base],
            },
            Endpoint::Mastodon(m) => vec![&m.instance],
            Endpoint::Bluesky(b) => vec![&b.service, &b.appview],
            Endpoint::Threads(t) => vec![&t.api_base],
            Endpoint::LinkedIn(l) => vec![&l.api_base, &l.authorize_url],
            Endpoint::Telegram(t) => vec![&t.api_base],
        }
    }

    /// Every secret the account uses, by key: for `check` and for the file-permission warning.
    pub fn secrets(&self) -> Vec<(&'static str, &SecretRef)> {
        match self {
            Endpoint::Log => vec![],
            Endpoint::Mastodon(m) => vec![("access_token", &m.access_token)],
            Endpoint::Bluesky(b) => vec![("app_password", &b.app_password)],
            Endpoint::Threads(t) => vec![("access_token", &t.access_token)],
            Endpoint::LinkedIn(l) => vec![("client_secret", &l.client_secret)],
            Endpoint::Telegram(t) => vec![("bot_token", &t.bot_token)],
            Endpoint::X(x) => match &x.auth {
                XAuth::OAuth1 {
                    consumer_key,
                    consumer_secret,
                    access_token,
                    access_token_secret,
                } => vec![
                    ("consumer_key", consumer_key),
                    ("consumer_secret", consumer_secret),
                    ("access_token", access_token),
                    ("access_token_secret", access_token_secret),
                ],
                XAuth::OAuth2 { client_secret, .. } => {
                    client_secret.iter().map(|s| ("client_secret", s)).collect()
                }
            },
        }
    }
}

/// X's two user-context schemes.
#[derive(Debug, Clone, PartialEq)]
pub enum XAuth {
    /// OAuth 1.0a: four long-lived secrets, nothing to refresh.
    OAuth1 {
        /// The app's API key.
        consumer_key: SecretRef,
        /// The app's API key secret.
        consumer_secret: SecretRef,
        /// The user's access token.
        access_token: SecretRef,
        /// The user's access token secret.
        access_token_secret: SecretRef,
    },
    /// OAuth 2.0 with PKCE: `encore auth x` logs in once; tokens live in the state.
    OAuth2 {
        /// The app's client id (not a secret: it appears in the authorisation URL).
        client_id: String,
        /// For confidential clients (web app, automated app or bot).
        client_secret: Option<SecretRef>,
        /// Where the admin's browser logs in.
        authorize_url: url::Url,
        /// The callback registered in the X app; must be http on 127.0.0.1.
        redirect_uri: url::Url,
    },
}

/// What posting costs and how much a month may cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Pause the account for the rest of the month when the next post would exceed this.
    pub monthly_usd: Option<f64>,
    /// Price of one post (X pay-per-use: $0.20 for a post with a URL, 2026-04).
    pub cost_per_post_usd: f64,
    /// Price of one post's counts read back (X: $0.005 a post returned by `GET /2/tweets`).
    pub cost_per_read_usd: f64,
}

use NetworkKind::{Bluesky, LinkedIn, Mastodon, Telegram, Threads, X};

/// A per-network key: the networks it applies to, and whether its value is a secret (never
/// shown, whatever is written there: `check`, parse errors, the reload's error line).
struct NetworkKey {
    name: &'static str,
    networks: &'static [NetworkKind],
    secret: bool,
}

const fn key(name: &'static str, networks: &'static [NetworkKind]) -> NetworkKey {
    NetworkKey {
        name,
        networks,
        secret: false,
    }
}

const fn secret_key(name: &'static str, networks: &'static [NetworkKind]) -> NetworkKey {
    NetworkKey {
        name,
        networks,
        secret: true,
    }
}

/// Every per-network key, with the networks it applies to: a network's keys, its secrets
/// among them, are declared here once (a test holds each network's [`Endpoint::secrets`] to it).
const NETWORK_KEYS: &[NetworkKey] = &[
    key("api_base", &[X, Threads, LinkedIn, Telegram]),
    key("auth", &[X]),
    secret_key("consumer_key", &[X]),
    secret_key("consumer_secret", &[X]),
    secret_key("access_token", &[X, Mastodon, Threads]),
    secret_key("access_token_secret", &[X]),
    key("client_id", &[X, LinkedIn]),
    secret_key("client_secret", &[X, LinkedIn]),
    key("authorize_url", &[X, LinkedIn]),
    key("redirect_uri", &[X, LinkedIn]),
    key("author", &[LinkedIn]),
    key("api_version", &[LinkedIn]),
    secret_key("bot_token", &[Telegram]),
    key("chat", &[Telegram]),
    key("instance", &[Mastodon]),
    key("visibility", &[Mastodon]),
    key("language", &[Mastodon, Bluesky]),
    key("service", &[Bluesky]),
    key("identifier", &[Bluesky]),
    secret_key("app_password", &[Bluesky]),
    key("appview", &[Bluesky]),
];

/// Whether an account's `key` holds a secret of some network.
pub(super) fn is_secret_key(key: &str) -> bool {
    NETWORK_KEYS.iter().any(|k| k.secret && k.name == key)
}

/// Refuses a key meant for another network (a pasted block from another account, a typo in
/// `network`), naming the networks it belongs to.
fn refuse_foreign_keys(acc: &RawAccount) -> Result<(), SpanError> {
    for NetworkKey {
        name: key,
        networks,
        ..
    } in NETWORK_KEYS
    {
        if networks.contains(&acc.network) {
            continue;
        }
        if let Some(v) = field(acc, key) {
            let owners: Vec<String> = networks.iter().map(|n| format!("\"{n}\"")).collect();
            return Err((
                Some(v.span()),
                format!(
                    "`account.{key}` only applies to network = {} (this account is network = \"{}\")",
                    owners.join(" or "),
                    acc.network
                ),
            ));
        }
    }
    Ok(())
}

pub(super) fn resolve(
    acc: &RawAccount,
    warnings: &mut Vec<String>,
) -> Result<(Endpoint, Budget), SpanError> {
    let name = acc.name.get_ref();
    let here = Some(acc.name.span());
    let budget = resolve_budget(acc)?;
    refuse_foreign_keys(acc)?;
    let endpoint = match acc.network {
        NetworkKind::Log => Endpoint::Log,
        NetworkKind::X => Endpoint::X(Box::new(resolve_x(acc, name, here, warnings)?)),
        NetworkKind::Mastodon => {
            Endpoint::Mastodon(Box::new(resolve_mastodon(acc, name, here, warnings)?))
        }
        NetworkKind::Bluesky => Endpoint::Bluesky(Box::new(resolve_bluesky(acc, here, warnings)?)),
        NetworkKind::Threads => Endpoint::Threads(Box::new(ThreadsSettings {
            api_base: base_url(acc.api_base.as_ref(), "api_base", "https://graph.threads.net")?,
            access_token: secret(
                acc,
                "access_token",
                "for network = \"threads\" (a long-lived token with threads_basic and threads_content_publish)",
                here,
                warnings,
            )?,
        })),
        NetworkKind::LinkedIn => {
            Endpoint::LinkedIn(Box::new(resolve_linkedin(acc, name, here, warnings)?))
        }
        NetworkKind::Telegram => {
            Endpoint::Telegram(Box::new(resolve_telegram(acc, here, warnings)?))
        }
    };
    Ok((endpoint, budget))
}

fn resolve_budget(acc: &RawAccount) -> Result<Budget, SpanError> {
    let (default_cost, default_read) = match acc.network {
        NetworkKind::X => (0.20, 0.005),
        _ => (0.0, 0.0),
    };
    let check = |v: &Option<Spanned<f64>>, key: &str| -> Result<Option<f64>, SpanError> {
        match v {
            Some(s) if !s.get_ref().is_finite() || *s.get_ref() < 0.0 => Err((
                Some(s.span()),
                format!("`account.{key}` must be a positive amount in US dollars"),
            )),
            Some(s) => Ok(Some(*s.get_ref())),
            None => Ok(None),
        }
    };
    Ok(Budget {
        monthly_usd: check(&acc.monthly_budget_usd, "monthly_budget_usd")?,
        cost_per_post_usd: check(&acc.cost_per_post_usd, "cost_per_post_usd")?
            .unwrap_or(default_cost),
        cost_per_read_usd: check(&acc.cost_per_read_usd, "cost_per_read_usd")?
            .unwrap_or(default_read),
    })
}

pub(super) fn field<'a>(acc: &'a RawAccount, key: &str) -> Option<&'a Spanned<String>> {
    match key {
        "api_base" => acc.api_base.as_ref(),
        "auth" => acc.auth.as_ref(),
        "consumer_key" => acc.consumer_key.as_ref(),
        "consumer_secret" => acc.consumer_secret.as_ref(),
        "access_token" => acc.access_token.as_ref(),
        "access_token_secret" => acc.access_token_secret.as_ref(),
        "client_id" => acc.client_id.as_ref(),
        "client_secret" => acc.client_secret.as_ref(),
        "authorize_url" => acc.authorize_url.as_ref(),
        "redirect_uri" => acc.redirect_uri.as_ref(),
        "instance" => acc.instance.as_ref(),
        "visibility" => acc.visibility.as_ref(),
        "language" => acc.language.as_ref(),
        "service" => acc.service.as_ref(),
        "identifier" => acc.identifier.as_ref(),
        "app_password" => acc.app_password.as_ref(),
        "appview" => acc.appview.as_ref(),
        "author" => acc.author.as_ref(),
        "api_version" => acc.api_version.as_ref(),
        "bot_token" => acc.bot_token.as_ref(),
        "chat" => acc.chat.as_ref(),
        _ => None,
    }
}

/// Refuses any of `keys` on this account: they only apply `applies` (e.g. `to network = "x"`).
fn refuse_keys(acc: &RawAccount, keys: &[&str], applies: &str) -> Result<(), SpanError> {
    match keys
        .iter()
        .find_map(|key| field(acc, key).map(|v| (key, v)))
    {
        Some((key, v)) => Err((
            Some(v.span()),
            format!("`account.{key}` only applies {applies}"),
        )),
        None => Ok(()),
    }
}

fn secret(
    acc: &RawAccount,
    key: &str,
    why: &str,
    here: Option<Range<usize>>,
    warnings: &mut Vec<String>,
) -> Result<SecretRef, SpanError> {
    let Some(v) = field(acc, key) else {
        return Err((
            here,
            format!("`account.{key}` is required {why} (for example \"env:VARIABLE\" or \"credential:NAME\")"),
        ));
    };
    let r = SecretRef::parse(v.get_ref());
    if r.is_literal() {
        warnings.push(format!(
            "account {:?}: `{key}` is written in the config file itself; prefer env:VAR, file:/path or credential:NAME (systemd LoadCredential=)",
            acc.name.get_ref()
        ));
    }
    if r.to_string().ends_with(':') {
        return Err((
            Some(v.span()),
            format!("`account.{key}`: {} names no variable or file", r),
        ));
    }
    Ok(r)
}

fn http_url(v: &Spanned<String>, key: &str) -> Result<url::Url, SpanError> {
    let u = url::Url::parse(v.get_ref())
        .map_err(|e| (Some(v.span()), format!("`account.{key}`: not a URL ({e})")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err((
            Some(v.span()),
            format!("`account.{key}` must be an http(s) URL"),
        ));
    }
    Ok(u)
}

/// An API base URL ending with '/', so that relative paths join under it.
fn base_url(v: Option<&Spanned<String>>, key: &str, default: &str) -> Result<url::Url, SpanError> {
    let mut u = match v {
        Some(v) => http_url(v, key)?,
        None => url::Url::parse(default).map_err(|e| (None, e.to_string()))?,
    };
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u.set_query(None);
    u.set_fragment(None);
    Ok(u)
}

/// A language tag as both networks take it: `fr`, `pt-BR`, `zh-Hant`.
fn language(acc: &RawAccount) -> Result<Option<String>, SpanError> {
    let Some(v) = &acc.language else {
        return Ok(None);
    };
    let tag = v.get_ref().trim();
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_lowercase()));
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok {
        return Err((
            Some(v.span()),
            format!("`account.language` is {tag:?}: expected a language code such as \"fr\" or \"pt-BR\""),
        ));
    }
    Ok(Some(tag.to_string()))
}

fn resolve_mastodon(
    acc: &RawAccount,
    name: &str,
    here: Option<Range<usize>>,
    warnings: &mut Vec<String>,
) -> Result<MastodonSettings, SpanError> {
    let Some(instance) = &acc.instance else {
        return Err((
            here,
            format!("`account.instance` is required for network = \"mastodon\" (account {name:?}; for example \"https://mastodon.social\")"),
        ));
    };
    let instance = base_url(Some(instance), "instance", "")?;
    let visibility = match acc.visibility.as_ref().map(|v| (v, v.get_ref().as_str())) {
        None | Some((_, "public")) => Visibility::Public,
        Some((_, "unlisted")) => Visibility::Unlisted,
        Some((_, "private")) => Visibility::Private,
        Some((v, other)) => {
            return Err((
                Some(v.span()),
                format!("`account.visibility` is {other:?}: expected \"public\", \"unlisted\" or \"private\""),
            ))
        }
    };
    Ok(MastodonSettings {
        instance,
        access_token: secret(
            acc,
            "access_token",
            "for network = \"mastodon\" (a token with write:statuses)",
            here,
            warnings,
        )?,
        visibility,
        language: language(acc)?,
    })
}

fn resolve_bluesky(
    acc: &RawAccount,
    here: Option<Range<usize>>,
    warnings: &mut Vec<String>,
) -> Result<BlueskySettings, SpanError> {
    let identifier = match &acc.identifier {
        Some(v) if !v.get_ref().trim().is_empty() => {
            v.get_ref().trim().trim_start_matches('@').to_string()
        }
        Some(v) => return Err((Some(v.span()), "`account.identifier` is empty".into())),
        None => {
            return Err((
                here,
                "`account.identifier` is required for network = \"bluesky\" (the handle, e.g. \"blog.example.org\", or the DID)".into(),
            ))
        }
    };
    Ok(BlueskySettings {
        service: base_url(acc.service.as_ref(), "service", "https://bsky.social")?,
        identifier,
        app_password: secret(
            acc,
            "app_password",
            "for network = \"bluesky\" (an app password, never the account's main password)",
            here,
            warnings,
        )?,
        appview: base_url(
            acc.appview.as_ref(),
            "appview",
            "https://public.api.bsky.app",
        )?,
        language: language(acc)?,
    })
}

/// The login callback: http on the loopback interface with a port, where Encore listens once
/// while `encore auth` runs.
fn redirect_uri(acc: &RawAccount, during: &str) -> Result<url::Url, SpanError> {
    let Some(v) = &acc.redirect_uri else {
        return url::Url::parse("http://127.0.0.1:8765/callback")
            .map_err(|e| (None, e.to_string()));
    };
    let u = http_url(v, "redirect_uri")?;
    let local = u.scheme() == "http"
        && matches!(
            u.host_str(),
            Some("127.0.0.1") | Some("localhost") | Some("[::1]")
        );
    if !local || u.port().is_none() {
        return Err((
            Some(v.span()),
            format!("`account.redirect_uri` must be http://127.0.0.1:PORT/PATH (Encore listens there once during {during})"),
        ));
    }
    Ok(u)
}

/// A non-empty plain value of `key`, trimmed; `None` when the key is absent.
fn text_key(acc: &RawAccount, key: &str) -> Result<Option<String>, SpanError> {
    match field(acc, key) {
        Some(v) if v.get_ref().trim().is_empty() => {
            Err((Some(v.span()), format!("`account.{key}` is empty")))
        }
        Some(v) => Ok(Some(v.get_ref().trim().to_string())),
        None => Ok(None),
    }
}

fn resolve_linkedin(
    acc: &RawAccount,
    name: &str,
    here: Option<Range<usize>>,
    warnings: &mut Vec<String>,
) -> Result<LinkedInSettings, SpanError> {
    let client_id = text_key(acc, "client_id")?.ok_or_else(|| {
        (
            here.clone(),
            format!("`account.client_id` is required for network = \"linkedin\" (account {name:?}; the app's Client ID, on its Auth tab at linkedin.com/developers)"),
        )
    })?;
    let author = text_key(acc, "author")?;
    if let (Some(a), Some(v)) = (&author, &acc.author) {
        let ok = ["urn:li:organization:", "urn:li:person:"].iter().any(|p| {
            a.strip_prefix(p)
                .is_some_and(|id| !id.is_empty() && !id.contains([' ', ',']))
        });
        if !ok {
            return Err((
                Some(v.span()),
                format!("`account.author` is {a:?}: expected \"urn:li:organization:ID\" (a page you administer), or leave it out to post as yourself"),
            ));
        }
    }
    let api_version = text_key(acc, "api_version")?.unwrap_or_else(|| LINKEDIN_VERSION.into());
    if let Some(v) = &acc.api_version {
        let ok = api_version.len() == 6
            && api_version.bytes().all(|b| b.is_ascii_digit())
            && (1..=12).contains(&api_version[4..].parse::<u32>().unwrap_or(0));
        if !ok {
            return Err((
                Some(v.span()),
                format!("`account.api_version` is {api_version:?}: expected YYYYMM, such as \"{LINKEDIN_VERSION}\""),
            ));
        }
    }
    let authorize_url = match &acc.authorize_url {
        Some(v) => http_url(v, "authorize_url")?,
        None => url::Url::parse("https://www.linkedin.com/oauth/v2/authorization")
            .map_err(|e| (None, e.to_string()))?,
    };
    Ok(LinkedInSettings {
        api_base: base_url(
            acc.api_base.as_ref(),
            "api_base",
            "https://api.linkedin.com",
        )?,
        client_id,
        client_secret: secret(
            acc,
            "client_secret",
            "for network = \"linkedin\" (the app's Primary Client Secret)",
            here,
            warnings,
        )?,
        authorize_url,
        redirect_uri: redirect_uri(acc, "`encore auth linkedin`")?,
        author,
        api_version,
    })
}

/// The `LinkedIn-Version` Encore was written against; each version is served about a year.
pub(crate) const LINKEDIN_VERSION: &str = "202610";

fn resolve_telegram(
    acc: &RawAccount,
    here: Option<Range<usize>>,
    warnings: &mut Vec<String>,
) -> Result<TelegramSettings, SpanError> {
    let chat = text_key(acc, "chat")?.ok_or_else(|| {
        (
            here.clone(),
            "`account.chat` is required for network = \"telegram\" (the channel: \"@name\" or its id, \"-100…\")".to_string(),
        )
    })?;
    let public = chat
        .strip_prefix('@')
        .is_some_and(|n| n.len() >= 4 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    let id = chat
        .strip_prefix('-')
        .unwrap_or(&chat)
        .parse::<i64>()
        .is_ok();
    if !public && !id {
        let span = acc.chat.as_ref().map(|c| c.span());
        return Err((
            span,
            format!("`account.chat` is {chat:?}: expected \"@channelname\" or the channel's numeric id (\"-1001234567890\")"),
        ));
    }
    Ok(TelegramSettings {
        api_base: base_url(
            acc.api_base.as_ref(),
            "api_base",
            "https://api.telegram.org",
        )?,
        bot_token: secret(
            acc,
            "bot_token",
            "for network = \"telegram\" (the token @BotFather gave)",
            here,
            warnings,
        )?,
        chat,
    })
}

/// An X account's settings. Long because it is one key after another (auth mode, its keys,
/// the API base), each refused at its own position; split, the order of the checks (which
/// error an admin sees first) would be spread over several places.
fn resolve_x(
    acc: &RawAccount,
    name: &str,
    here: Option<Range<usize>>,
    warnings: &mut Vec<String>,
) -> Result<XSettings, SpanError> {
    let api_base = base_url(acc.api_base.as_ref(), "api_base", "https://api.x.com")?;
    let auth = acc.auth.as_ref().map(|a| a.get_ref().as_str());
    let auth = match auth {
        None | Some("oauth1") => {
            let why = "for network = \"x\" with auth = \"oauth1\"";
            refuse_keys(
                acc,
                &[
                    "client_id",
                    "client_secret",
                    "authorize_url",
                    "redirect_uri",
                ],
                "with auth = \"oauth2\"",
            )?;
            XAuth::OAuth1 {
                consumer_key: secret(acc, "consumer_key", why, here.clone(), warnings)?,
                consumer_secret: secret(acc, "consumer_secret", why, here.clone(), warnings)?,
                access_token: secret(acc, "access_token", why, here.clone(), warnings)?,
                access_token_secret: secret(
                    acc,
                    "access_token_secret",
                    why,
                    here.clone(),
                    warnings,
                )?,
            }
        }
        Some("oauth2") => {
            refuse_keys(
                acc,
                &[
                    "consumer_key",
                    "consumer_secret",
                    "access_token",
                    "access_token_secret",
                ],
                "with auth = \"oauth1\"",
            )?;
            let client_id = text_key(acc, "client_id")?.ok_or_else(|| {
                (
                    here.clone(),
                    format!("`account.client_id` is required for network = \"x\" with auth = \"oauth2\" (account {name:?}; it is shown in the X developer portal under OAuth 2.0 keys)"),
                )
            })?;
            let client_secret = match acc.client_secret {
                Some(_) => Some(secret(acc, "client_secret", "", here.clone(), warnings)?),
                None => None,
            };
            let authorize_url = match &acc.authorize_url {
                Some(v) => http_url(v, "authorize_url")?,
                None => url::Url::parse("https://x.com/i/oauth2/authorize")
                    .map_err(|e| (None, e.to_string()))?,
            };
            let redirect_uri = redirect_uri(acc, "`encore auth x`")?;
            XAuth::OAuth2 {
                client_id,
                client_secret,
                authorize_url,
                redirect_uri,
            }
        }
        Some(other) => {
            let span = acc.auth.as_ref().map(|a| a.span());
            return Err((
                span,
                format!("`account.auth` is {other:?}: expected \"oauth1\" or \"oauth2\""),
            ));
        }
    };
    Ok(XSettings { api_base, auth })
}
