//! Threads: a text post with a link preview, published in two steps through the Threads API.
//!
//! Facts this module relies on, confirmed in Meta's Threads documentation
//! (developers.facebook.com/docs/threads: posts, reference/publishing, get-started/long-lived-
//! tokens, create-posts/text-attachments) and Meta's sample app (fbsamples/threads_api):
//! - Publishing is two steps: `POST /{threads-user-id}/threads` with `media_type=TEXT`, `text`
//!   (and optionally `link_attachment`, `topic_tag`) makes a container and answers its `id`;
//!   `POST /{threads-user-id}/threads_publish` with `creation_id` publishes it and answers the
//!   post's `id`. A container published too soon is refused (code 24, subcode 4279009, "Media
//!   Not Found"); an unpublished container expires after 24 hours.
//! - "Text posts are limited to 500 characters"; "emojis are counted as the number of UTF-8
//!   bytes". Posts with more than 5 links fail at container creation
//!   (`THREADS_API__LINK_LIMIT_EXCEEDED`, since 2025-12-22).
//! - A post has one topic tag (`topic_tag`: 1–50 characters, no `.` or `&`).
//! - 250 API-published posts per profile in a moving 24 hours; `GET /{threads-user-id}/
//!   threads_publishing_limit?fields=quota_usage,config` tells how many are used.
//! - Long-lived tokens last 60 days; `GET /refresh_access_token?grant_type=th_refresh_token`
//!   renews one that is at least 24 hours old and unexpired, for another 60 days
//!   (`expires_in` in seconds); one not refreshed in 60 days is dead.
//! - Errors have the Graph shape `{"error": {"message", "type", "code", "error_subcode",
//!   "is_transient"}}`; 190 is an invalid or expired token; 4, 17, 32, 613 are call limits.
//! - `GET /me/threads?fields=id,timestamp,text,link_attachment_url` lists the profile's posts,
//!   newest first. The profile has no post count.
//! - `GET /{threads-media-id}/insights?metric=likes,replies,reposts,quotes` gives a post's
//!   lifetime counts (`data[].name`, `data[].values[0].value`), with `threads_manage_insights`
//!   (the Threads Insights API page).
//!
//! No double post: the container is made once per post (a lost answer there costs nothing:
//! an unpublished container is no post, and a new one is made); publishing is what can land
//! unseen, so before publishing again the profile's latest posts are looked at, and a look that
//! fails ends the post as "unknown". After a crash, the intent's link is looked for the same
//! way. The one hashtag compose keeps is also sent as the `topic_tag`.

use super::call::{read_json, send, Answer, CallError, RetryPolicy};
use super::deliver::{deliver, Delivery, Resend};
use super::session::{SessionStore, Tokens};
use super::{AccountInfo, BoxFuture, Network, Outgoing, PostError, Receipt};
use crate::archive::Intent;
use crate::config::ThreadsSettings;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;
use tokio::sync::Mutex;

/// Refreshed once it has less than this left: ten days after each refresh, so that weeks of
/// failures (an outage, a machine switched off) still leave time before the 60 days run out.
const REFRESH_WHEN_LEFT: Duration = Duration::days(50);
/// After a refresh failed, the next try (hourly checks would otherwise knock every hour).
const RETRY_REFRESH: Duration = Duration::hours(6);

/// One Threads profile.
pub struct ThreadsNetwork {
    account: String,
    api_base: url::Url,
    store: SessionStore,
    tokens: Mutex<Tokens>,
    tried: Mutex<Option<DateTime<Utc>>>,
    http: reqwest::Client,
    retry: RetryPolicy,
}

/// Why a Threads account could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The token could not be read.
    #[error("`access_token`: {0}")]
    Secret(#[from] crate::config::secret::SecretError),
    /// The stored tokens could not be read.
    #[error(transparent)]
    Session(#[from] super::session::SessionError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
struct Me {
    id: String,
    username: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Post>,
}

#[derive(Deserialize)]
struct Post {
    id: String,
    timestamp: Option<String>,
    #[serde(default)]
    text: String,
    link_attachment_url: Option<String>,
}

#[derive(Deserialize)]
struct Quota {
    #[serde(default)]
    data: Vec<QuotaRow>,
}

#[derive(Deserialize)]
struct QuotaRow {
    quota_usage: Option<u64>,
    config: Option<QuotaConfig>,
}

#[derive(Deserialize)]
struct QuotaConfig {
    quota_total: Option<u64>,
}

/// A post's insights: one lifetime value per metric.
#[derive(Deserialize)]
struct Insights {
    #[serde(default)]
    data: Vec<Metric>,
}

#[derive(Deserialize)]
struct Metric {
    name: String,
    #[serde(default)]
    values: Vec<MetricValue>,
}

#[derive(Deserialize)]
struct MetricValue {
    #[serde(default)]
    value: u64,
}

impl From<Insights> for crate::archive::Reading {
    fn from(i: Insights) -> crate::archive::Reading {
        let get = |name: &str| {
            i.data
                .iter()
                .find(|m| m.name == name)
                .and_then(|m| m.values.first())
                .map_or(0, |v| v.value)
        };
        crate::archive::Reading::Counts(crate::archive::Counts {
            likes: get("likes"),
            reposts: get("reposts"),
            replies: get("replies"),
            quotes: get("quotes"),
        })
    }
}

/// The Graph error body, reduced to what decisions need.
#[derive(Deserialize, Default, Debug)]
struct GraphError {
    message: Option<String>,
    code: Option<i64>,
    error_subcode: Option<i64>,
    is_transient: Option<bool>,
}

fn graph_error(a: &Answer) -> GraphError {
    #[derive(Deserialize)]
    struct Wrap {
        error: GraphError,
    }
    serde_json::from_slice::<Wrap>(&a.body)
        .map(|w| w.error)
        .unwrap_or_default()
}

fn error_text(a: &Answer) -> String {
    let e = graph_error(a);
    match (e.code, e.message) {
        (Some(c), Some(m)) => format!("HTTP {} (code {c}): {m}", a.status.as_u16()),
        (_, Some(m)) => format!("HTTP {}: {m}", a.status.as_u16()),
        _ => format!("HTTP {}", a.status.as_u16()),
    }
}

/// Whether the answer is "the container is not ready yet": nothing was published.
fn not_ready(e: &GraphError) -> bool {
    e.code == Some(24) && e.error_subcode == Some(4_279_009)
}

/// What an answer other than 2xx means for the post; `None`: a failure worth retrying. Decided
/// on the Graph error `code`, never on its message (which Meta rewords).
pub(crate) fn classify(a: &Answer, now: DateTime<Utc>) -> Option<PostError> {
    let e = graph_error(a);
    let reason = error_text(a);
    let body = String::from_utf8_lossy(&a.body);
    if body.contains("THREADS_API__LINK_LIMIT_EXCEEDED") {
        return Some(PostError::SkipArticle { reason });
    }
    // A call limit pauses the account for an hour even when Meta marks it transient
    // (`"is_transient": true` with code 4 is seen): retried after seconds, it only burns the
    // limit again.
    if matches!(e.code, Some(4 | 17 | 32 | 613)) || a.status.as_u16() == 429 {
        return Some(PostError::RetryLater {
            reason: format!("{reason}: rate limited"),
            until: Some(now + Duration::hours(1)),
        });
    }
    if not_ready(&e) || e.is_transient == Some(true) || a.status.is_server_error() {
        return None;
    }
    match (e.code, a.status.as_u16()) {
        (Some(190), _) | (_, 401) => Some(PostError::StopAccount {
            reason: format!("{reason}: the token is invalid or expired; put a new long-lived token in `access_token` (Encore refreshes it from then on)"),
        }),
        (Some(10 | 200..=299), _) | (_, 403) => Some(PostError::StopAccount {
            reason: format!("{reason}: the token lacks a permission (threads_content_publish to post, threads_manage_insights to read counts back)"),
        }),
        (Some(506), _) => Some(PostError::Duplicate { reason }),
        _ => Some(PostError::SkipArticle { reason }),
    }
}

/// A fingerprint of the configured token, to tell stored tokens grown from it.
fn fingerprint(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Graph's timestamps: `2024-09-12T23:17:39+0000`.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A text's words without its links, for telling one post from another: Threads may show a
/// link otherwise than it was sent (the preview takes it), or trim the spaces around it.
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .filter(|w| !w.starts_with("http://") && !w.starts_with("https://"))
        .collect()
}

/// A topic tag Threads accepts: the first hashtag without its sign (a topic is named without
/// it), 1–50 characters, no `.` or `&`.
fn topic_tag(hashtags: &[String]) -> Option<&str> {
    hashtags
        .first()
        .map(|t| t.strip_prefix('#').unwrap_or(t))
        .filter(|t| (1..=50).contains(&t.chars().count()) && !t.contains(['.', '&']))
}

impl ThreadsNetwork {
    /// Reads the configured token, or the newer ones grown from it in the state.
    pub fn new(
        account: &str,
        settings: &ThreadsSettings,
        sessions: &SessionStore,
        timeout: StdDuration,
    ) -> Result<ThreadsNetwork, SetupError> {
        let configured = settings.access_token.resolve()?;
        let fp = fingerprint(configured.expose());
        let tokens = match sessions.load(account)? {
            Some(t) if t.issued_for.as_deref() == Some(fp.as_str()) => t,
            _ => Tokens {
                access_token: configured.expose().to_string(),
                refresh_token: None,
                expires_at: None,
                user_id: None,
                issued_for: Some(fp),
            },
        };
        Ok(ThreadsNetwork {
            account: account.to_string(),
            api_base: settings.api_base.clone(),
            store: sessions.clone(),
            tokens: Mutex::new(tokens),
            tried: Mutex::new(None),
            http: crate::http::client(timeout).map_err(|e| SetupError::Http(e.to_string()))?,
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> ThreadsNetwork {
        self.retry = retry;
        self
    }

    fn url(&self, path: &str) -> url::Url {
        super::call::endpoint(&self.api_base, path)
    }

    async fn request(&self, method: reqwest::Method, url: url::Url) -> reqwest::RequestBuilder {
        let token = self.tokens.lock().await.access_token.clone();
        self.http.request(method, url).bearer_auth(token)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: url::Url,
    ) -> Result<T, PostError> {
        read_json(
            send(self.request(reqwest::Method::GET, url).await).await,
            "Threads",
            |a| classify(a, Utc::now()),
            error_text,
        )
    }

    async fn me(&self) -> Result<Me, PostError> {
        let me: Me = self
            .get_json(self.url("v1.0/me?fields=id,username"))
            .await?;
        let mut t = self.tokens.lock().await;
        if t.user_id.as_deref() != Some(me.id.as_str()) {
            t.user_id = Some(me.id.clone());
        }
        Ok(me)
    }

    async fn user_id(&self) -> Result<String, PostError> {
        let known = self.tokens.lock().await.user_id.clone();
        match known {
            Some(id) => Ok(id),
            None => Ok(self.me().await?.id),
        }
    }

    /// Refuses to post when the profile's 24-hour quota is used up (by Encore or another
    /// tool); a quota that cannot be read does not stop the post.
    async fn quota_left(&self, user: &str) -> Result<(), PostError> {
        let url = self.url(&format!(
            "v1.0/{user}/threads_publishing_limit?fields=quota_usage,config"
        ));
        match self.get_json::<Quota>(url).await {
            Ok(q) => match q.data.first() {
                Some(QuotaRow {
                    quota_usage: Some(used),
                    config:
                        Some(QuotaConfig {
                            quota_total: Some(total),
                        }),
                }) if used >= total => Err(PostError::RetryLater {
                    reason: format!("Threads: {used} of {total} posts of the last 24 hours used"),
                    until: Some(Utc::now() + Duration::hours(1)),
                }),
                _ => Ok(()),
            },
            Err(e @ PostError::StopAccount { .. }) => Err(e),
            Err(_) => Ok(()),
        }
    }

    async fn publish(&self, out: Outgoing<'_>) -> Result<Receipt, PostError> {
        if let Err(e) = self.keep_alive().await {
            tracing::warn!(account = %self.account, "Threads token not refreshed: {e}");
        }
        let user = self.user_id().await?;
        self.quota_left(&user).await?;
        let mut form = vec![
            ("media_type", "TEXT".to_string()),
            ("text", out.message.text.clone()),
            ("link_attachment", out.url.to_string()),
        ];
        if let Some(tag) = topic_tag(&out.message.hashtags) {
            form.push(("topic_tag", tag.to_string()));
        }
        let post = ThreadsPost {
            threads: self,
            user,
            form,
            url: out.url,
            container: Mutex::new(None),
            at_container: AtomicBool::new(false),
        };
        deliver(&post, self.retry).await
    }

    /// Looks among the profile's ten latest posts for one linking to `url` made since `since`
    /// (with exactly `text`, when known: an earlier share of the same article is not this one).
    pub async fn find_post(
        &self,
        url: &str,
        since: DateTime<Utc>,
        text: Option<&str>,
    ) -> Result<Option<Receipt>, PostError> {
        let page: Page = self
            .get_json(
                self.url("v1.0/me/threads?fields=id,timestamp,text,link_attachment_url&limit=10"),
            )
            .await?;
        let same = crate::vocab::same_article(url);
        for p in page.data {
            let at = p.timestamp.as_deref().and_then(parse_time);
            let recent = at.is_none_or(|t| t >= since - Duration::minutes(2));
            let linked = p.link_attachment_url.as_deref().is_some_and(&same)
                || p.text.split_whitespace().any(&same);
            let same_text = text.is_none_or(|t| words(t) == words(&p.text));
            if recent && linked && same_text {
                return Ok(Some(Receipt {
                    post_id: p.id,
                    at: at.unwrap_or_else(Utc::now),
                }));
            }
        }
        Ok(None)
    }

    /// Each post's insights, one call each; a post Meta no longer has (Graph code 100) is
    /// deleted. A refusal stops the round, keeping what was read (a missing
    /// `threads_manage_insights` says so).
    async fn read_insights(
        &self,
        ids: &[String],
    ) -> Result<Vec<(String, crate::archive::Reading)>, PostError> {
        let mut out = Vec::new();
        for id in ids {
            let url = self.url(&format!(
                "v1.0/{id}/insights?metric=likes,replies,reposts,quotes"
            ));
            let answer = send(self.request(reqwest::Method::GET, url).await).await;
            if let Ok(a) = &answer {
                let e = graph_error(a);
                if a.status.as_u16() == 400 && e.code == Some(100) {
                    out.push((id.clone(), crate::archive::Reading::Deleted));
                    continue;
                }
            }
            let read =
                read_json::<Insights>(answer, "Threads", |a| classify(a, Utc::now()), error_text);
            match read {
                Ok(i) => out.push((id.clone(), i.into())),
                Err(e) if out.is_empty() => return Err(e),
                Err(e) => {
                    tracing::info!(account = %self.account, "reading insights stopped after {}: {e}", out.len());
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Refreshes the token when it has less than [`REFRESH_WHEN_LEFT`] left (or its end is
    /// unknown: a token just put in the config), keeping the new one (0600) before using it.
    async fn keep_alive(&self) -> Result<Option<DateTime<Utc>>, PostError> {
        let now = Utc::now();
        let current = self.tokens.lock().await.clone();
        let due = current
            .expires_at
            .is_none_or(|t| t - now < REFRESH_WHEN_LEFT);
        let mut tried = self.tried.lock().await;
        if !due || tried.is_some_and(|t| now - t < RETRY_REFRESH) {
            return Ok(current.expires_at);
        }
        *tried = Some(now);
        #[derive(Deserialize)]
        struct Refreshed {
            access_token: String,
            expires_in: Option<i64>,
        }
        let mut url = self.url("refresh_access_token");
        url.query_pairs_mut()
            .append_pair("grant_type", "th_refresh_token")
            .append_pair("access_token", &current.access_token);
        let fresh: Refreshed = read_json(
            send(self.http.get(url)).await,
            "Threads",
            |a| classify(a, now),
            error_text,
        )?;
        let kept = Tokens {
            access_token: fresh.access_token,
            expires_at: Some(now + Duration::seconds(fresh.expires_in.unwrap_or(60 * 86_400))),
            ..current
        };
        self.store
            .save(&self.account, &kept)
            .map_err(|e| PostError::Fatal {
                reason: e.to_string(),
            })?;
        tracing::info!(account = %self.account, "Threads token refreshed; it now lasts until {}", kept.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default());
        let expires = kept.expires_at;
        *self.tokens.lock().await = kept;
        *tried = None;
        Ok(expires)
    }
}

/// One post on Threads, as the post loop sends it: a container, then its publication.
struct ThreadsPost<'a> {
    threads: &'a ThreadsNetwork,
    user: String,
    form: Vec<(&'static str, String)>,
    url: &'a str,
    container: Mutex<Option<String>>,
    /// The last answer came from making the container (so it published nothing).
    at_container: AtomicBool,
}

impl ThreadsPost<'_> {
    /// The container, made now unless an earlier attempt made it. A lost answer here is no
    /// post: it is reported as a request that never arrived, and the next attempt makes
    /// another container.
    async fn container(&self) -> Result<Result<String, Answer>, CallError> {
        if let Some(c) = self.container.lock().await.clone() {
            return Ok(Ok(c));
        }
        let t = self.threads;
        let url = t.url(&format!("v1.0/{}/threads", self.user));
        let req = t.request(reqwest::Method::POST, url).await.form(&self.form);
        match send(req).await {
            Ok(a) if a.status.is_success() => {
                let id: Id = serde_json::from_slice(&a.body).map_err(|e| {
                    CallError::NotSent(format!("container answer not understood: {e}"))
                })?;
                *self.container.lock().await = Some(id.id.clone());
                Ok(Ok(id.id))
            }
            Ok(a) => Ok(Err(a)),
            Err(CallError::Ambiguous(why)) => {
                Err(CallError::NotSent(format!("no container made ({why})")))
            }
            Err(e) => Err(e),
        }
    }
}

impl Delivery for ThreadsPost<'_> {
    fn network(&self) -> &'static str {
        "Threads"
    }

    fn account(&self) -> &str {
        &self.threads.account
    }

    /// A publication that may have landed is looked for before publishing again.
    fn resend(&self) -> Resend {
        Resend::LookFirst
    }

    async fn attempt(&self) -> Result<Answer, CallError> {
        self.at_container.store(true, Ordering::Relaxed);
        let container = match self.container().await? {
            Ok(c) => c,
            Err(refusal) => return Ok(refusal),
        };
        self.at_container.store(false, Ordering::Relaxed);
        let t = self.threads;
        let url = t.url(&format!("v1.0/{}/threads_publish", self.user));
        let req = t
            .request(reqwest::Method::POST, url)
            .await
            .form(&[("creation_id", container.as_str())]);
        send(req).await
    }

    fn classify(&self, a: &Answer) -> Option<PostError> {
        classify(a, Utc::now())
    }

    fn describe(&self, a: &Answer) -> String {
        error_text(a)
    }

    fn not_processed(&self, a: &Answer) -> bool {
        self.at_container.load(Ordering::Relaxed) || not_ready(&graph_error(a))
    }

    fn receipt(&self, a: &Answer) -> Result<Receipt, String> {
        let id: Id = serde_json::from_slice(&a.body).map_err(|e| e.to_string())?;
        Ok(Receipt {
            post_id: id.id,
            at: Utc::now(),
        })
    }

    async fn look(&self) -> Result<Option<Receipt>, PostError> {
        let since = Utc::now() - Duration::hours(1);
        let text = self
            .form
            .iter()
            .find(|(k, _)| *k == "text")
            .map(|(_, v)| v.as_str());
        self.threads.find_post(self.url, since, text).await
    }
}

impl Network for ThreadsNetwork {
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(self.publish(out))
    }

    fn reconcile<'a>(
        &'a self,
        intent: &'a Intent,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PostError>> {
        Box::pin(self.find_post(&intent.url, intent.created, None))
    }

    fn renew(&self) -> BoxFuture<'_, Result<Option<DateTime<Utc>>, PostError>> {
        Box::pin(self.keep_alive())
    }

    fn engagement<'a>(
        &'a self,
        post_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, crate::archive::Reading)>, PostError>> {
        Box::pin(self.read_insights(post_ids))
    }

    fn verify(&self) -> BoxFuture<'_, Result<AccountInfo, PostError>> {
        Box::pin(async move {
            let me = self.me().await?;
            Ok(AccountInfo {
                handle: format!("@{}", me.username.unwrap_or(me.id)),
                post_count: None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::call::test_answer as answer;
    use chrono::TimeZone;

    #[test]
    fn answers_map_on_the_graph_code() {
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        let expired = r#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}"#;
        assert!(matches!(
            classify(&answer(400, &[], expired), now),
            Some(PostError::StopAccount { .. })
        ));
        let early = r#"{"error":{"message":"The requested resource does not exist","type":"OAuthException","code":24,"error_subcode":4279009}}"#;
        let a = answer(400, &[], early);
        assert_eq!(classify(&a, now), None);
        assert!(not_ready(&graph_error(&a)));
        let limit = r#"{"error":{"message":"Application request limit reached","code":4,"is_transient":false}}"#;
        assert_eq!(
            classify(&answer(400, &[], limit), now),
            Some(PostError::RetryLater {
                reason: "HTTP 400 (code 4): Application request limit reached: rate limited".into(),
                until: Some(now + Duration::hours(1)),
            })
        );
        // Seen in the wild: a call limit marked transient. Still an hour's pause, as the
        // README says, not a retry after seconds.
        let transient = r#"{"error":{"message":"Application request limit reached","code":4,"is_transient":true}}"#;
        assert!(matches!(
            classify(&answer(400, &[], transient), now),
            Some(PostError::RetryLater { until: Some(u), .. }) if u == now + Duration::hours(1)
        ));
        let links = r#"{"error":{"message":"THREADS_API__LINK_LIMIT_EXCEEDED","code":100}}"#;
        assert!(matches!(
            classify(&answer(400, &[], links), now),
            Some(PostError::SkipArticle { .. })
        ));
        assert_eq!(classify(&answer(503, &[], ""), now), None);
    }

    #[test]
    fn graph_times_and_topic_tags() {
        assert_eq!(
            parse_time("2024-09-12T23:17:39+0000"),
            Some(Utc.with_ymd_and_hms(2024, 9, 12, 23, 17, 39).unwrap())
        );
        assert_eq!(topic_tag(&["Rust".into(), "Go".into()]), Some("Rust"));
        assert_eq!(
            topic_tag(&["#Astuces".into()]),
            Some("Astuces"),
            "as compose gives it"
        );
        assert_eq!(topic_tag(&["A.B".into()]), None);
        assert_eq!(topic_tag(&[]), None);
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(
            words("#Rust  Un titre https://b.org/a?x=1 "),
            words("#Rust Un titre\nhttps://b.org/a")
        );
        assert_ne!(
            words("Un titre https://b.org/a"),
            words("Deux https://b.org/a")
        );
    }
}
