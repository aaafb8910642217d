//! X (Twitter) API v2: `POST /2/tweets`, signed with OAuth 1.0a or an OAuth 2.0 user token.
//!
//! X has no idempotency key, so a retry after an ambiguous failure (timeout, dropped
//! connection, 5xx) is where double posts come from. Before any such retry Encore looks at the
//! account's latest posts for the article's link and only retries when it is not there.

pub(crate) mod answer;
pub mod oauth1;
pub(crate) mod oauth2;

pub(crate) use super::call::RetryPolicy;
use super::call::{read_json, send, Answer, CallError};
use super::deliver::{deliver, Delivery, Resend};
use super::session::{SessionStore, Tokens};
use super::{AccountInfo, BoxFuture, Network, Outgoing, PostError, Receipt};
use crate::archive::Intent;
use crate::config::secret::Secret;
use crate::config::{XAuth, XSettings};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::time::Duration as StdDuration;
use tokio::sync::Mutex;

enum Auth {
    OAuth1 {
        consumer_key: Secret,
        consumer_secret: Secret,
        token: Secret,
        token_secret: Secret,
    },
    OAuth2 {
        client_id: String,
        client_secret: Option<Secret>,
        store: SessionStore,
        tokens: Mutex<Tokens>,
    },
}

/// One X account.
pub struct XNetwork {
    account: String,
    api_base: url::Url,
    auth: Auth,
    http: reqwest::Client,
    user: Mutex<Option<(String, String)>>,
    retry: RetryPolicy,
}

/// Why an X account could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A secret could not be read.
    #[error("`{key}`: {source}")]
    Secret {
        /// The config key.
        key: &'static str,
        /// Why.
        source: crate::config::secret::SecretError,
    },
    /// OAuth 2 without a stored login, or an unreadable one.
    #[error(transparent)]
    Session(#[from] super::session::SessionError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

#[derive(Deserialize)]
struct Created {
    data: CreatedData,
}

#[derive(Deserialize)]
struct CreatedData {
    id: String,
}

#[derive(Deserialize)]
struct Me {
    data: MeData,
}

#[derive(Deserialize)]
struct MeData {
    id: String,
    username: String,
    #[serde(default)]
    public_metrics: Option<Metrics>,
}

#[derive(Deserialize)]
struct Metrics {
    tweet_count: Option<u64>,
    post_count: Option<u64>,
}

#[derive(Deserialize)]
struct Timeline {
    #[serde(default)]
    data: Vec<TimelinePost>,
}

#[derive(Deserialize)]
struct TimelinePost {
    id: String,
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    entities: Option<Entities>,
}

#[derive(Deserialize)]
struct Entities {
    #[serde(default)]
    urls: Vec<UrlEntity>,
}

#[derive(Deserialize)]
struct UrlEntity {
    expanded_url: Option<String>,
    unwound_url: Option<String>,
}

impl XNetwork {
    /// Reads the account's secrets (or stored OAuth 2 login) and prepares the client.
    pub fn new(
        account: &str,
        settings: &XSettings,
        sessions: &SessionStore,
        timeout: StdDuration,
    ) -> Result<XNetwork, SetupError> {
        let read = |key: &'static str, r: &crate::config::secret::SecretRef| {
            r.resolve()
                .map_err(|source| SetupError::Secret { key, source })
        };
        let auth = match &settings.auth {
            XAuth::OAuth1 {
                consumer_key,
                consumer_secret,
                access_token,
                access_token_secret,
            } => Auth::OAuth1 {
                consumer_key: read("consumer_key", consumer_key)?,
                consumer_secret: read("consumer_secret", consumer_secret)?,
                token: read("access_token", access_token)?,
                token_secret: read("access_token_secret", access_token_secret)?,
            },
            XAuth::OAuth2 {
                client_id,
                client_secret,
                ..
            } => {
                let tokens = sessions.load(account)?.ok_or_else(|| {
                    super::session::SessionError::Missing {
                        account: account.to_string(),
                        network: "x".into(),
                    }
                })?;
                Auth::OAuth2 {
                    client_id: client_id.clone(),
                    client_secret: match client_secret {
                        Some(s) => Some(read("client_secret", s)?),
                        None => None,
                    },
                    store: sessions.clone(),
                    tokens: Mutex::new(tokens),
                }
            }
        };
        Ok(XNetwork {
            account: account.to_string(),
            api_base: settings.api_base.clone(),
            auth,
            http: crate::http::client(timeout).map_err(|e| SetupError::Http(e.to_string()))?,
            user: Mutex::new(None),
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> XNetwork {
        self.retry = retry;
        self
    }

    fn endpoint(&self, path: &str) -> url::Url {
        super::call::endpoint(&self.api_base, path)
    }

    /// The `Authorization` header for one request; for OAuth 2, renews the token first when
    /// it is about to expire (or when `force_refresh`, after a 401).
    async fn authorization(
        &self,
        method: &str,
        url: &url::Url,
        force_refresh: bool,
    ) -> Result<String, PostError> {
        match &self.auth {
            Auth::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => {
                let creds = oauth1::Credentials {
                    consumer_key: consumer_key.expose(),
                    consumer_secret: consumer_secret.expose(),
                    token: token.expose(),
                    token_secret: token_secret.expose(),
                };
                // The timestamp comes from the real clock: X rejects stale ones.
                Ok(oauth1::authorization(
                    method,
                    url,
                    &creds,
                    &oauth1::nonce(),
                    Utc::now().timestamp(),
                ))
            }
            Auth::OAuth2 {
                client_id,
                client_secret,
                store,
                tokens,
            } => {
                let mut tokens = tokens.lock().await;
                let now = Utc::now();
                if force_refresh || oauth2::needs_refresh(&tokens, now) {
                    let client = oauth2::Client {
                        id: client_id,
                        secret: client_secret.as_ref().map(Secret::expose),
                    };
                    *tokens = self.renew(&client, store, &tokens, now).await?;
                }
                Ok(format!("Bearer {}", tokens.access_token))
            }
        }
    }

    /// New OAuth 2 tokens for `old`, kept on disk before they are used (the old refresh token
    /// is retired the moment X answers).
    async fn renew(
        &self,
        client: &oauth2::Client<'_>,
        store: &SessionStore,
        old: &Tokens,
        now: DateTime<Utc>,
    ) -> Result<Tokens, PostError> {
        let Some(refresh) = old.refresh_token.clone() else {
            return Err(PostError::StopAccount {
                reason: "the OAuth 2 access token expired and no refresh token was stored (was offline.access granted?): run `encore auth x` again".into(),
            });
        };
        let grant = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ];
        let url = self.endpoint("2/oauth2/token");
        let fresh = oauth2::token_request(&self.http, &url, client, &grant, now)
            .await
            .map_err(|e| match e {
                oauth2::TokenError::Refused { .. } => PostError::StopAccount {
                    reason: format!(
                        "{e}: the login is no longer valid; run `encore auth x --account {}` again",
                        self.account
                    ),
                },
                oauth2::TokenError::Transport(_) => PostError::RetryLater {
                    reason: e.to_string(),
                    until: Some(now + Duration::minutes(5)),
                },
            })?;
        let fresh = Tokens {
            // X rotates refresh tokens; keep the old one only if none came back.
            refresh_token: fresh.refresh_token.or(Some(refresh)),
            user_id: old.user_id.clone(),
            issued_for: None,
            ..fresh
        };
        store
            .save(&self.account, &fresh)
            .map_err(|e| PostError::Fatal {
                reason: format!("cannot keep the renewed X tokens: {e}"),
            })?;
        tracing::debug!(account = %self.account, "X access token renewed");
        Ok(fresh)
    }

    /// Sends one request; on an OAuth 2 401, renews the token once and repeats (a 401 means
    /// X did nothing, so repeating is safe).
    async fn call(
        &self,
        method: reqwest::Method,
        url: url::Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, CallError> {
        let mut refreshed = false;
        loop {
            let auth = self
                .authorization(method.as_str(), &url, refreshed)
                .await
                .map_err(CallError::Answered)?;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header(reqwest::header::AUTHORIZATION, auth);
            if let Some(b) = body {
                req = req.json(b);
            }
            let answer = send(req).await?;
            if answer.status == reqwest::StatusCode::UNAUTHORIZED
                && !refreshed
                && matches!(self.auth, Auth::OAuth2 { .. })
            {
                refreshed = true;
                continue;
            }
            return Ok(answer);
        }
    }

    /// A GET whose only interesting outcome is a 200 body.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: url::Url,
    ) -> Result<T, PostError> {
        read_json(
            self.call(reqwest::Method::GET, url, None).await,
            "X",
            |a| answer::classify(a.status, &a.headers, &a.body, Utc::now()),
            |a| answer::Problem::parse(&a.body).summary(a.status),
        )
    }

    /// Each post's counts, 100 ids a call; X bills each post returned.
    async fn read_counts(
        &self,
        ids: &[String],
    ) -> Result<Vec<(String, crate::archive::Reading)>, PostError> {
        use crate::network::engagement::{x_readings, XLookup, X_BATCH};
        let mut out = Vec::new();
        for batch in ids.chunks(X_BATCH) {
            let mut url = self.endpoint("2/tweets");
            url.query_pairs_mut()
                .append_pair("ids", &batch.join(","))
                .append_pair("tweet.fields", "public_metrics");
            match self.get_json::<XLookup>(url).await {
                Ok(answer) => out.extend(x_readings(answer)),
                Err(e) if out.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        Ok(out)
    }

    async fn me(&self) -> Result<MeData, PostError> {
        let mut url = self.endpoint("2/users/me");
        url.query_pairs_mut()
            .append_pair("user.fields", "public_metrics");
        let me: Me = self.get_json(url).await?;
        *self.user.lock().await = Some((me.data.id.clone(), me.data.username.clone()));
        Ok(me.data)
    }

    async fn user_id(&self) -> Result<String, PostError> {
        if let Some((id, _)) = self.user.lock().await.clone() {
            return Ok(id);
        }
        Ok(self.me().await?.id)
    }

    /// Looks among the account's five latest posts for one linking to `url` made since
    /// `since` (X shows links as t.co; the entities carry the expanded link).
    pub async fn find_post(
        &self,
        url: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<Receipt>, PostError> {
        let id = self.user_id().await?;
        let mut endpoint = self.endpoint(&format!("2/users/{id}/tweets"));
        endpoint
            .query_pairs_mut()
            .append_pair("max_results", "5")
            .append_pair("tweet.fields", "created_at,entities");
        let timeline: Timeline = self.get_json(endpoint).await?;
        let same = crate::vocab::same_article(url);
        for post in timeline.data {
            let recent = post
                .created_at
                .is_none_or(|t| t >= since - Duration::minutes(2));
            let links = post.entities.map(|e| e.urls).unwrap_or_default();
            let matches = links.iter().any(|l| {
                [&l.expanded_url, &l.unwound_url]
                    .into_iter()
                    .flatten()
                    .any(|u| same(u))
            });
            if recent && matches {
                return Ok(Some(Receipt {
                    post_id: post.id,
                    at: post.created_at.unwrap_or_else(Utc::now),
                }));
            }
        }
        Ok(None)
    }

    /// After an ambiguous failure (`last`): did the post land anyway? `Ok(None)` means it
    /// surely did not, so sending again is safe; when the account's posts cannot be read, the
    /// outcome is unknown and nothing may be sent again.
    async fn post_text(&self, out: Outgoing<'_>) -> Result<Receipt, PostError> {
        let post = XPost {
            x: self,
            body: serde_json::json!({ "text": out.message.text }),
            url: out.url,
            started: Utc::now(),
        };
        deliver(&post, self.retry).await
    }
}

/// One post on X, as the post loop sends it.
struct XPost<'a> {
    x: &'a XNetwork,
    body: serde_json::Value,
    url: &'a str,
    started: DateTime<Utc>,
}

impl Delivery for XPost<'_> {
    fn network(&self) -> &'static str {
        "X"
    }

    fn account(&self) -> &str {
        &self.x.account
    }

    /// No idempotency key: a resend after an ambiguous failure could double-post.
    fn resend(&self) -> Resend {
        Resend::LookFirst
    }

    async fn attempt(&self) -> Result<Answer, CallError> {
        let url = self.x.endpoint("2/tweets");
        self.x
            .call(reqwest::Method::POST, url, Some(&self.body))
            .await
    }

    fn classify(&self, a: &Answer) -> Option<PostError> {
        answer::classify(a.status, &a.headers, &a.body, Utc::now())
    }

    fn describe(&self, a: &Answer) -> String {
        answer::Problem::parse(&a.body).summary(a.status)
    }

    fn receipt(&self, a: &Answer) -> Result<Receipt, String> {
        let created: Created = serde_json::from_slice(&a.body).map_err(|e| e.to_string())?;
        Ok(Receipt {
            post_id: created.data.id,
            at: Utc::now(),
        })
    }

    async fn look(&self) -> Result<Option<Receipt>, PostError> {
        self.x.find_post(self.url, self.started).await
    }

    /// After an ambiguous failure, X calling the text a duplicate means the earlier attempt
    /// went through.
    async fn refused(&self, refusal: PostError, ambiguous: bool) -> Result<Receipt, PostError> {
        Err(match refusal {
            PostError::Duplicate { reason } if ambiguous => PostError::Duplicate {
                reason: format!("{reason} (an earlier attempt that timed out did go through)"),
            },
            other => other,
        })
    }
}

impl Network for XNetwork {
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(self.post_text(out))
    }

    fn engagement<'a>(
        &'a self,
        post_ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(String, crate::archive::Reading)>, PostError>> {
        Box::pin(self.read_counts(post_ids))
    }

    fn reconcile<'a>(
        &'a self,
        intent: &'a Intent,
    ) -> BoxFuture<'a, Result<Option<Receipt>, PostError>> {
        Box::pin(self.find_post(&intent.url, intent.created))
    }

    fn verify(&self) -> BoxFuture<'_, Result<AccountInfo, PostError>> {
        Box::pin(async move {
            let me = self.me().await?;
            let metrics = me.public_metrics;
            Ok(AccountInfo {
                handle: format!("@{}", me.username),
                post_count: metrics.and_then(|m| m.post_count.or(m.tweet_count)),
            })
        })
    }
}
