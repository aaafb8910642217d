//! Mastodon: `POST /api/v1/statuses` with a user token.
//!
//! Mastodon keeps an `Idempotency-Key` for an hour and answers a repeat with the status it
//! already made, so every retry of one slot sends the same key (derived from account, article
//! and slot) and a timeout can never turn into a second status.

use super::call::{header, read_json, send, Answer, CallError, RetryPolicy};
use super::deliver::{deliver, Delivery, Resend};
use super::{AccountInfo, BoxFuture, Network, Outgoing, PostError, Receipt};
use crate::archive::Intent;
use crate::config::secret::Secret;
use crate::config::{MastodonSettings, Visibility};
use crate::vocab::length::LengthRule;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::Duration as StdDuration;
use tokio::sync::Mutex;

/// One Mastodon account.
pub struct MastodonNetwork {
    account: String,
    instance: url::Url,
    token: Secret,
    visibility: Visibility,
    language: Option<String>,
    http: reqwest::Client,
    id: Mutex<Option<String>>,
    retry: RetryPolicy,
}

/// Why a Mastodon account could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The token could not be read.
    #[error("`access_token`: {0}")]
    Secret(#[from] crate::config::secret::SecretError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

#[derive(Deserialize)]
struct Status {
    id: String,
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    card: Option<Card>,
}

#[derive(Deserialize)]
struct Card {
    url: Option<String>,
}

#[derive(Deserialize)]
struct CredentialAccount {
    id: String,
    username: String,
    statuses_count: Option<u64>,
}

#[derive(Deserialize)]
struct Instance {
    configuration: Option<Configuration>,
}

#[derive(Deserialize)]
struct Configuration {
    statuses: Option<StatusLimits>,
}

#[derive(Deserialize)]
struct StatusLimits {
    max_characters: Option<usize>,
    characters_reserved_per_url: Option<usize>,
}

/// Mastodon's defaults, for instances that do not announce their own.
const DEFAULT_MAX: usize = 500;
const DEFAULT_URL_LEN: usize = 23;

/// The `Idempotency-Key` of one post: the same account, article and slot always give the same
/// key, so a retry, even from a restarted daemon, is recognised by the instance.
pub fn idempotency_key(account: &str, article_key: &str, slot: DateTime<Utc>) -> String {
    let mut h = Sha256::new();
    for part in [account, article_key, &slot.timestamp().to_string()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("encore-{}", &hex[..32])
}

/// The text of Mastodon's `{"error": "..."}`, or a short description of the status.
fn error_text(a: &Answer) -> String {
    #[derive(Deserialize)]
    struct E {
        error: Option<String>,
        error_description: Option<String>,
    }
    match serde_json::from_slice::<E>(&a.body) {
        Ok(E {
            error: Some(e),
            error_description,
        }) => match error_description {
            Some(d) if d != e => format!("HTTP {}: {e} ({d})", a.status.as_u16()),
            _ => format!("HTTP {}: {e}", a.status.as_u16()),
        },
        _ => format!("HTTP {}", a.status.as_u16()),
    }
}

/// When the account may call again: `X-RateLimit-Reset` is an ISO 8601 time on Mastodon
/// (not epoch seconds as on X and Bluesky).
pub(crate) fn rate_limit_until(headers: &reqwest::header::HeaderMap) -> Option<DateTime<Utc>> {
    let v = header(headers, "x-ratelimit-reset")?;
    DateTime::parse_from_rfc3339(v)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What an answer other than 2xx means for the post; `None`: a server failure worth retrying.
pub(crate) fn classify(a: &Answer, now: DateTime<Utc>) -> Option<PostError> {
    let reason = error_text(a);
    match a.status.as_u16() {
        401 => Some(PostError::StopAccount {
            reason: format!("{reason}: the access token is invalid or revoked; create a new one with write:statuses"),
        }),
        403 => Some(PostError::StopAccount {
            reason: format!("{reason}: the token lacks a scope or the account is limited"),
        }),
        404 | 410 => Some(PostError::StopAccount {
            reason: format!("{reason}: no such API or account on this instance; check `instance`"),
        }),
        422 => Some(PostError::SkipArticle { reason }),
        429 => Some(PostError::RetryLater {
            until: Some(rate_limit_until(&a.headers).unwrap_or(now + Duration::minutes(5))),
            reason: format!("{reason}: rate limited"),
        }),
        500..=599 => None,
        // Any other 4xx: this request is wrong and would be wrong again.
        _ => Some(PostError::SkipArticle { reason }),
    }
}

/// Every `href="..."` of a status's HTML, entities decoded.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| html_escape::decode_html_entities(h).into_owned())
        .collect()
}

impl MastodonNetwork {
    /// Reads the token and prepares the client.
    pub fn new(
        account: &str,
        settings: &MastodonSettings,
        timeout: StdDuration,
    ) -> Result<MastodonNetwork, SetupError> {
        Ok(MastodonNetwork {
            account: account.to_string(),
            instance: settings.instance.clone(),
            token: settings.access_token.resolve()?,
            visibility: settings.visibility,
            language: settings.language.clone(),
            http: crate::http::client(timeout).map_err(|e| SetupError::Http(e.to_string()))?,
            id: Mutex::new(None),
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> MastodonNetwork {
        self.retry = retry;
        self
    }

    fn endpoint(&self, path: &str) -> url::Url {
        super::call::endpoint(&self.instance, path)
    }

    fn request(&self, method: reqwest::Method, url: url::Url) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(self.token.expose())
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: url::Url,
    ) -> Result<T, PostError> {
        read_json(
            send(self.request(reqwest::Method::GET, url)).await,
            "Mastodon",
            |a| classify(a, Utc::now()),
            error_text,
        )
    }

    async fn me(&self) -> Result<CredentialAccount, PostError> {
        let me: CredentialAccount = self
            .get_json(self.endpoint("api/v1/accounts/verify_credentials"))
            .await?;
        *self.id.lock().await = Some(me.id.clone());
        Ok(me)
    }

    /// Looks among the account's ten latest statuses (boosts left out) for one linking to
    /// `url` made since `since`.
    pub async fn find_post(
        &self,
        url: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<Receipt>, PostError> {
        let cached = self.id.lock().await.clone();
        let id = match cached {
            Some(id) => id,
            None => self.me().await?.id,
        };
        let mut endpoint = self.endpoint(&format!("api/v1/accounts/{id}/statuses"));
        endpoint
            .query_pairs_mut()
            .append_pair("limit", "10")
            .append_pair("exclude_reblogs", "true");
        let statuses: Vec<Status> = self.get_json(endpoint).await?;
        let same = crate::vocab::same_article(url);
        for s in statuses {
            let recent = s
                .created_at
                .is_none_or(|t| t >= since - Duration::minutes(2));
            let linked = hrefs(&s.content).iter().any(|h| same(h))
                || s.card.and_then(|c| c.url).is_some_and(|u| same(&u));
            if recent && linked {
                return Ok(Some(Receipt {
                    post_id: s.id,
                    at: s.created_at.unwrap_or_else(Utc::now),
                }));
            }
        }
        Ok(None)
    }

    /// Each status's counts, one call each (Mastodon has no batch read before 4.3, and one
    /// call is one rate-limit unit either way); a 404 is a deleted status. A rate limit stops
    /// the round, keeping what was read.
    async fn read_counts(
        &self,
        ids: &[String],
    ) -> Result<Vec<(String, crate::archive::Reading)>, PostError> {
        use crate::network::engagement::MastodonCounts;
        let mut out = Vec::new();
        for id in ids {
            let url = self.endpoint(&format!("api/v1/statuses/{id}"));
            let answer = send(self.request(reqwest::Method::GET, url)).await;
            if matches!(&answer, Ok(a) if a.status == reqwest::StatusCode::NOT_FOUND) {
                out.push((id.clone(), crate::archive::Reading::Deleted));
                continue;
            }
            match read_json::<MastodonCounts>(
                answer,
                "Mastodon",
                |a| classify(a, Utc::now()),
                error_text,
            ) {
                Ok(c) => out.push((id.clone(), c.into())),
                Err(e) if out.is_empty() => return Err(e),
                Err(e) => {
                    tracing::info!(account = %self.account, "reading counts stopped after {}: {e}", out.len());
                    break;
                }
            }
        }
        Ok(out)
    }

    async fn post_status(&self, out: Outgoing<'_>) -> Result<Receipt, PostError> {
        let mut body = serde_json::json!({
            "status": out.message.text,
            "visibility": self.visibility.as_str(),
        });
        if let Some(lang) = &self.language {
            body["language"] = serde_json::Value::String(lang.clone());
        }
        let post = MastodonPost {
            mastodon: self,
            body,
            key: idempotency_key(out.account, out.article_key, out.slot),
            url: out.url,
        };
        deliver(&post, self.retry).await
    }

    async fn instance_limits(&self) -> Result<Option<LengthRule>, PostError> {
        let i: Instance = self.get_json(self.endpoint("api/v2/instance")).await?;
        let s = i.configuration.and_then(|c| c.statuses);
        let max = s
            .as_ref()
            .and_then(|s| s.max_characters)
            .filter(|m| *m > 0)
            .unwrap_or(DEFAULT_MAX);
        let url_len = s
            .and_then(|s| s.characters_reserved_per_url)
            .unwrap_or(DEFAULT_URL_LEN);
        Ok(Some(LengthRule::Graphemes {
            max,
            url_len: Some(url_len),
        }))
    }
}

/// One status on Mastodon, as the post loop sends it.
struct MastodonPost<'a> {
    mastodon: &'a MastodonNetwork,
    body: serde_json::Value,
    key: String,
    url: &'a str,
}

impl Delivery for MastodonPost<'_> {
    fn network(&self) -> &'static str {
        "Mastodon"
    }

    fn account(&self) -> &str {
        &self.mastodon.account
    }

    /// The same `Idempotency-Key` every time: a request the instance did process is answered
    /// with the status it made, not a second one.
    fn resend(&self) -> Resend {
        Resend::Keyed { look_first: false }
    }

    async fn attempt(&self) -> Result<Answer, CallError> {
        let m = self.mastodon;
        let req = m
            .request(reqwest::Method::POST, m.endpoint("api/v1/statuses"))
            .header("Idempotency-Key", &self.key)
            .json(&self.body);
        send(req).await
    }

    fn classify(&self, a: &Answer) -> Option<PostError> {
        classify(a, Utc::now())
    }

    fn describe(&self, a: &Answer) -> String {
        error_text(a)
    }

    fn receipt(&self, a: &Answer) -> Result<Receipt, String> {
        let s: Status = serde_json::from_slice(&a.body).map_err(|e| e.to_string())?;
        Ok(Receipt {
            post_id: s.id,
            at: s.created_at.unwrap_or_else(Utc::now),
        })
    }

    /// The key protects against doubles only for an hour: the loop's last look is taken while
    /// it still holds, over that hour.
    async fn look(&self) -> Result<Option<Receipt>, PostError> {
        let since = Utc::now() - Duration::hours(1);
        self.mastodon.find_post(self.url, since).await
    }
}

impl Network for MastodonNetwork {
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(self.post_status(out))
    }

    fn reconcile<'a>(
        &'a self,
        intent: &'a Intent,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PostError>> {
        Box::pin(self.find_post(&intent.url, intent.created))
    }

    fn limits(&self) -> BoxFuture<'_, Result<Option<LengthRule>, PostError>> {
        Box::pin(self.instance_limits())
    }

    fn engagement<'a>(
        &'a self,
        post_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, crate::archive::Reading)>, PostError>> {
        Box::pin(self.read_counts(post_ids))
    }

    fn verify(&self) -> BoxFuture<'_, Result<AccountInfo, PostError>> {
        Box::pin(async move {
            let me = self.me().await?;
            let host = self.instance.host_str().unwrap_or_default();
            Ok(AccountInfo {
                handle: format!("@{}@{host}", me.username),
                post_count: me.statuses_count,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    use crate::network::call::test_answer as answer;

    #[test]
    fn idempotency_keys_are_stable_and_distinct() {
        let t = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        let k = idempotency_key("m", "example.org/a", t);
        assert_eq!(k, idempotency_key("m", "example.org/a", t));
        assert_ne!(k, idempotency_key("m2", "example.org/a", t));
        assert_ne!(k, idempotency_key("m", "example.org/b", t));
        assert_ne!(
            k,
            idempotency_key("m", "example.org/a", t + Duration::seconds(1))
        );
        assert!(k.len() <= 64, "{k}");
    }

    #[test]
    fn answers_map_to_what_the_daemon_must_do() {
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        let e = classify(
            &answer(401, &[], r#"{"error":"The access token is invalid"}"#),
            now,
        );
        assert!(
            matches!(&e, Some(PostError::StopAccount { reason }) if reason.contains("The access token is invalid")),
            "{e:?}"
        );
        let e = classify(
            &answer(
                422,
                &[],
                r#"{"error":"Validation failed: Text character limit of 500 exceeded"}"#,
            ),
            now,
        );
        assert!(
            matches!(&e, Some(PostError::SkipArticle { reason }) if reason.contains("character limit")),
            "{e:?}"
        );
        let e = classify(
            &answer(
                429,
                &[
                    ("X-RateLimit-Remaining", "0"),
                    ("X-RateLimit-Reset", "2026-05-01T10:30:00.000000Z"),
                ],
                r#"{"error":"Too many requests"}"#,
            ),
            now,
        );
        assert_eq!(
            e,
            Some(PostError::RetryLater {
                reason: "HTTP 429: Too many requests: rate limited".into(),
                until: Some(Utc.with_ymd_and_hms(2026, 5, 1, 10, 30, 0).unwrap()),
            })
        );
        assert_eq!(classify(&answer(502, &[], "<html>"), now), None);
    }

    #[test]
    fn links_are_found_in_status_html() {
        let html = r#"<p>Old <a href="https://blog.example.org/a?utm_source=m&amp;utm_medium=social" rel="nofollow"><span>blog.example.org/a?utm</span></a></p>"#;
        assert_eq!(
            hrefs(html),
            vec!["https://blog.example.org/a?utm_source=m&utm_medium=social"]
        );
    }
}
