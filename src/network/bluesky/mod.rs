//! Bluesky (AT Protocol): an `app.bsky.feed.post` record written with
//! `com.atproto.repo.createRecord` on the account's PDS, logged in with an app password.
//!
//! Three things differ from X and Mastodon. Logins are scarce (`createSession` allows 30 per
//! 5 minutes and 300 a day), so the session is stored and refreshed, never re-created per post.
//! The record key is chosen by Encore from the slot ([`tid`]), so a retry lands on the same
//! key and cannot make a second post. And the text is shown as sent: links and hashtags are
//! only clickable through [`facets`], and the link card ([`card`]) is supplied by the poster.

use super::card;
pub(crate) mod facets;
pub(crate) mod tid;

use super::call::{header, read_json, send, Answer, CallError, RetryPolicy};
use super::deliver::{deliver, Delivery, Resend};
use super::session::{SessionStore, Tokens};
use super::{AccountInfo, BoxFuture, Network, Outgoing, PostError, Receipt};
use crate::archive::Intent;
use crate::config::secret::Secret;
use crate::config::BlueskySettings;
use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration as StdDuration;
use tokio::sync::Mutex;

/// The collection posts live in.
const POST: &str = "app.bsky.feed.post";
/// A description longer than this is cut (clients show two or three lines).
const MAX_DESCRIPTION_CHARS: usize = 300;

/// One Bluesky account.
pub struct BlueskyNetwork {
    account: String,
    service: url::Url,
    identifier: String,
    password: Secret,
    appview: url::Url,
    langs: Vec<String>,
    http: reqwest::Client,
    store: SessionStore,
    session: Mutex<Option<Tokens>>,
    retry: RetryPolicy,
}

/// Why a Bluesky account could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The app password could not be read.
    #[error("`app_password`: {0}")]
    Secret(#[from] crate::config::secret::SecretError),
    /// The stored session is unreadable.
    #[error(transparent)]
    Session(#[from] super::session::SessionError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionOut {
    access_jwt: String,
    refresh_jwt: String,
    did: String,
}

#[derive(Deserialize)]
struct Created {
    uri: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    posts_count: Option<u64>,
}

#[derive(Deserialize)]
struct SessionInfo {
    handle: String,
    did: String,
}

#[derive(Deserialize)]
struct Records {
    #[serde(default)]
    records: Vec<Value>,
    cursor: Option<String>,
}

/// What a request carries.
enum Body<'a> {
    Empty,
    Json(&'a Value),
    Blob(&'a str, &'a [u8]),
}

/// XRPC's `{"error": "Name", "message": "..."}`.
fn error_of(a: &Answer) -> (String, String) {
    #[derive(Deserialize)]
    struct E {
        error: Option<String>,
        message: Option<String>,
    }
    match serde_json::from_slice::<E>(&a.body) {
        Ok(e) => (e.error.unwrap_or_default(), e.message.unwrap_or_default()),
        Err(_) => (String::new(), String::new()),
    }
}

fn error_text(a: &Answer) -> String {
    let (name, message) = error_of(a);
    let mut s = format!("HTTP {}", a.status.as_u16());
    for part in [name, message] {
        if !part.is_empty() {
            s.push_str(": ");
            s.push_str(&part);
        }
    }
    s
}

/// When the account may call again: `RateLimit-Reset` is epoch seconds on Bluesky.
pub(crate) fn rate_limit_until(headers: &reqwest::header::HeaderMap) -> Option<DateTime<Utc>> {
    let secs: i64 = header(headers, "ratelimit-reset")?.parse().ok()?;
    Utc.timestamp_opt(secs, 0).single()
}

/// What an answer other than 2xx means for the post; `None`: a server failure worth retrying.
pub(crate) fn classify(a: &Answer, now: DateTime<Utc>) -> Option<PostError> {
    let (name, _) = error_of(a);
    let reason = error_text(a);
    let status = a.status.as_u16();
    if status == 429 || name == "RateLimitExceeded" {
        return Some(PostError::RetryLater {
            until: Some(rate_limit_until(&a.headers).unwrap_or(now + Duration::minutes(5))),
            reason: format!("{reason}: rate limited"),
        });
    }
    if (500..=599).contains(&status) {
        return None;
    }
    let account_level = matches!(
        name.as_str(),
        "ExpiredToken"
            | "InvalidToken"
            | "AuthRequired"
            | "AuthenticationRequired"
            | "AccountTakedown"
            | "AccountDeactivated"
            | "AuthFactorTokenRequired"
    );
    if status == 401 || status == 403 || account_level {
        return Some(PostError::StopAccount {
            reason: format!(
                "{reason}: the login was refused; check `identifier` and `app_password`"
            ),
        });
    }
    Some(PostError::SkipArticle { reason })
}

/// When a JWT stops working (its `exp` claim), read without checking the signature: only to
/// renew before the server refuses it.
fn jwt_expiry(jwt: &str) -> Option<DateTime<Utc>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let exp = serde_json::from_slice::<Value>(&bytes)
        .ok()?
        .get("exp")?
        .as_i64()?;
    Utc.timestamp_opt(exp, 0).single()
}

fn is_expired_token(a: &Answer) -> bool {
    matches!(a.status.as_u16(), 400 | 401) && error_of(a).0 == "ExpiredToken"
}

impl BlueskyNetwork {
    /// Reads the app password and any stored session; logs in only when first needed.
    pub fn new(
        account: &str,
        settings: &BlueskySettings,
        sessions: &SessionStore,
        timeout: StdDuration,
    ) -> Result<BlueskyNetwork, SetupError> {
        let session = sessions.load(account)?;
        Ok(BlueskyNetwork {
            account: account.to_string(),
            service: settings.service.clone(),
            identifier: settings.identifier.clone(),
            password: settings.app_password.resolve()?,
            appview: settings.appview.clone(),
            langs: settings.language.iter().cloned().collect(),
            http: crate::http::client(timeout).map_err(|e| SetupError::Http(e.to_string()))?,
            store: sessions.clone(),
            session: Mutex::new(session),
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> BlueskyNetwork {
        self.retry = retry;
        self
    }

    fn xrpc(base: &url::Url, nsid: &str) -> url::Url {
        super::call::endpoint(base, &format!("xrpc/{nsid}"))
    }

    fn keep(&self, out: SessionOut) -> Result<Tokens, PostError> {
        let tokens = Tokens {
            expires_at: jwt_expiry(&out.access_jwt),
            access_token: out.access_jwt,
            refresh_token: Some(out.refresh_jwt),
            user_id: Some(out.did),
            issued_for: None,
        };
        // On disk before use: the old refresh token is retired by the server.
        self.store
            .save(&self.account, &tokens)
            .map_err(|e| PostError::Fatal {
                reason: format!("cannot keep the Bluesky session: {e}"),
            })?;
        Ok(tokens)
    }

    fn session_answer(
        &self,
        what: &str,
        r: Result<Answer, CallError>,
    ) -> Result<Tokens, PostError> {
        match r {
            Ok(a) if a.status.is_success() => {
                let out: SessionOut =
                    serde_json::from_slice(&a.body).map_err(|e| PostError::RetryLater {
                        reason: format!("unexpected {what} answer from Bluesky: {e}"),
                        until: None,
                    })?;
                self.keep(out)
            }
            Ok(a) => Err(classify(&a, Utc::now()).unwrap_or(PostError::RetryLater {
                reason: format!("{what}: {}", error_text(&a)),
                until: None,
            })),
            Err(CallError::Answered(e)) => Err(e),
            Err(CallError::Ambiguous(r)) | Err(CallError::NotSent(r)) => {
                Err(PostError::RetryLater {
                    reason: format!("{what}: {r}"),
                    until: None,
                })
            }
        }
    }

    /// `createSession` with the app password: only when no session is stored or the stored
    /// one can no longer be refreshed.
    async fn login(&self) -> Result<Tokens, PostError> {
        tracing::info!(account = %self.account, "logging in to Bluesky as {}", self.identifier);
        let body = json!({"identifier": self.identifier, "password": self.password.expose()});
        let req = self
            .http
            .post(Self::xrpc(
                &self.service,
                "com.atproto.server.createSession",
            ))
            .json(&body);
        self.session_answer("login", send(req).await)
    }

    /// `refreshSession` with the refresh token; a refresh token that is itself expired or
    /// revoked means logging in again.
    async fn renew(&self, tokens: &Tokens) -> Result<Tokens, PostError> {
        let Some(refresh) = &tokens.refresh_token else {
            return self.login().await;
        };
        let req = self
            .http
            .post(Self::xrpc(
                &self.service,
                "com.atproto.server.refreshSession",
            ))
            .bearer_auth(refresh);
        let answer = send(req).await;
        if let Ok(a) = &answer {
            let (name, _) = error_of(a);
            if !a.status.is_success() && matches!(name.as_str(), "ExpiredToken" | "InvalidToken") {
                tracing::info!(account = %self.account, "Bluesky refresh token no longer valid ({name}): logging in again");
                return self.login().await;
            }
        }
        let fresh = self.session_answer("session refresh", answer)?;
        tracing::debug!(account = %self.account, "Bluesky session renewed");
        Ok(fresh)
    }

    /// The access token and DID, renewing first when the token is about to expire or when
    /// the server just said it had (`force`).
    async fn access(&self, force: bool) -> Result<(String, String), PostError> {
        let mut session = self.session.lock().await;
        let current = match session.take() {
            Some(t) => t,
            None => self.login().await?,
        };
        let soon = current
            .expires_at
            .is_some_and(|t| t <= Utc::now() + Duration::seconds(60));
        let current = if force || soon {
            match self.renew(&current).await {
                Ok(t) => t,
                Err(e) => {
                    *session = Some(current);
                    return Err(e);
                }
            }
        } else {
            current
        };
        let did = current
            .user_id
            .clone()
            .unwrap_or_else(|| self.identifier.clone());
        let token = current.access_token.clone();
        *session = Some(current);
        Ok((token, did))
    }

    /// One authenticated call to the PDS. An `ExpiredToken` answer means nothing was done:
    /// the session is renewed and the call repeated once.
    async fn call(
        &self,
        method: reqwest::Method,
        nsid: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<Answer, CallError> {
        let mut renewed = false;
        loop {
            let (token, _) = self.access(renewed).await.map_err(CallError::Answered)?;
            let mut url = Self::xrpc(&self.service, nsid);
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(query);
            }
            let mut req = self.http.request(method.clone(), url).bearer_auth(token);
            req = match &body {
                Body::Empty => req,
                Body::Json(v) => req.json(v),
                Body::Blob(mime, bytes) => req
                    .header(reqwest::header::CONTENT_TYPE, *mime)
                    .body(bytes.to_vec()),
            };
            let answer = send(req).await?;
            if !renewed && is_expired_token(&answer) {
                renewed = true;
                continue;
            }
            return Ok(answer);
        }
    }

    async fn did(&self) -> Result<String, PostError> {
        Ok(self.access(false).await?.1)
    }

    /// The post at `rkey` in the account's repository, if there is one.
    async fn get_post(&self, rkey: &str) -> Result<Option<Receipt>, PostError> {
        let did = self.did().await?;
        let a = self
            .call(
                reqwest::Method::GET,
                "com.atproto.repo.getRecord",
                &[("repo", &did), ("collection", POST), ("rkey", rkey)],
                Body::Empty,
            )
            .await;
        match a {
            Ok(a) if a.status.is_success() => {
                let uri = serde_json::from_slice::<Created>(&a.body)
                    .map(|c| c.uri)
                    .unwrap_or_else(|_| format!("at://{did}/{POST}/{rkey}"));
                Ok(Some(Receipt {
                    post_id: uri,
                    at: Utc::now(),
                }))
            }
            Ok(a) if error_of(&a).0 == "RecordNotFound" => Ok(None),
            Ok(a) => Err(classify(&a, Utc::now()).unwrap_or(PostError::RetryLater {
                reason: error_text(&a),
                until: None,
            })),
            Err(CallError::Answered(e)) => Err(e),
            Err(CallError::Ambiguous(r)) | Err(CallError::NotSent(r)) => {
                Err(PostError::RetryLater {
                    reason: r,
                    until: None,
                })
            }
        }
    }

    /// The link card: Open Graph title and description of the article page (the feed's
    /// title when the page has none), with its image uploaded as a blob when it qualifies.
    async fn card(&self, out: &Outgoing<'_>) -> Value {
        let meta = match card::fetch_meta(out.pages, out.url).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(account = %self.account, url = %out.url, "article page not read for the link card ({e}): no image");
                card::PageMeta::default()
            }
        };
        let description: String = meta
            .description
            .unwrap_or_default()
            .chars()
            .take(MAX_DESCRIPTION_CHARS)
            .collect();
        let mut external = json!({
            "uri": out.url,
            "title": meta.title.unwrap_or_else(|| out.title.to_string()),
            "description": description,
        });
        if let Some(image) = meta.image {
            match self.thumb(out.pages, &image).await {
                Ok(blob) => external["thumb"] = blob,
                Err(e) => {
                    tracing::warn!(account = %self.account, "link card without image: {e}")
                }
            }
        }
        json!({"$type": "app.bsky.embed.external", "external": external})
    }

    async fn thumb(&self, pages: &crate::http::Pages, image: &url::Url) -> Result<Value, String> {
        let (mime, bytes) = card::fetch_image(pages, image).await?;
        let a = self
            .call(
                reqwest::Method::POST,
                "com.atproto.repo.uploadBlob",
                &[],
                Body::Blob(&mime, &bytes),
            )
            .await
            .map_err(|e| match e {
                CallError::Answered(e) => e.to_string(),
                CallError::Ambiguous(r) | CallError::NotSent(r) => r,
            })?;
        if !a.status.is_success() {
            return Err(format!("upload refused: {}", error_text(&a)));
        }
        serde_json::from_slice::<Value>(&a.body)
            .ok()
            .and_then(|v| v.get("blob").cloned())
            .ok_or_else(|| "upload answer without a blob".to_string())
    }

    /// The record for `out`: text, creation time, languages, facets and link card.
    async fn record(&self, out: &Outgoing<'_>) -> Value {
        let text = &out.message.text;
        let mut record = json!({
            "$type": POST,
            "text": text,
            "createdAt": Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        });
        let facets: Vec<Value> = facets::detect(text, out.url)
            .iter()
            .map(facets::Facet::to_json)
            .collect();
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if !self.langs.is_empty() {
            record["langs"] = json!(self.langs);
        }
        record["embed"] = self.card(out).await;
        record
    }

    async fn post_record(&self, out: Outgoing<'_>) -> Result<Receipt, PostError> {
        let rkey = tid::for_slot(out.account, out.slot);
        // Logged in first: a refused login stops here, before any upload tries again.
        let did = self.did().await?;
        let record = self.record(&out).await;
        let body = json!({"repo": did, "collection": POST, "rkey": rkey, "record": record});
        let post = BlueskyPost {
            bsky: self,
            body,
            rkey: &rkey,
        };
        deliver(&post, self.retry).await
    }

    /// Each post's counts from the public AppView (no login), 25 URIs a call; a URI it leaves
    /// out is a deleted post.
    async fn read_counts(
        &self,
        uris: &[String],
    ) -> Result<Vec<(String, crate::archive::Reading)>, PostError> {
        use crate::network::engagement::{bluesky_readings, BlueskyPosts, BLUESKY_BATCH};
        let mut out = Vec::new();
        for batch in uris.chunks(BLUESKY_BATCH) {
            let mut url = Self::xrpc(&self.appview, "app.bsky.feed.getPosts");
            for uri in batch {
                url.query_pairs_mut().append_pair("uris", uri);
            }
            let answer = send(self.http.get(url)).await;
            match read_json::<BlueskyPosts>(
                answer,
                "Bluesky",
                |a| classify(a, Utc::now()),
                error_text,
            ) {
                Ok(posts) => out.extend(bluesky_readings(batch, posts)),
                Err(e) if out.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        Ok(out)
    }

    /// `postsCount` from the AppView's public profile.
    async fn profile(&self, did: &str) -> Result<Profile, String> {
        let mut url = Self::xrpc(&self.appview, "app.bsky.actor.getProfile");
        url.query_pairs_mut().append_pair("actor", did);
        match send(self.http.get(url)).await {
            Ok(a) if a.status.is_success() => {
                serde_json::from_slice(&a.body).map_err(|e| e.to_string())
            }
            Ok(a) => Err(error_text(&a)),
            Err(CallError::Answered(e)) => Err(e.to_string()),
            Err(CallError::Ambiguous(r)) | Err(CallError::NotSent(r)) => Err(r),
        }
    }

    /// Counts the posts in the repository itself (`listRecords`), for when no AppView
    /// answers; gives up past 10,000 records rather than page for minutes.
    async fn count_records(&self, did: &str) -> Result<Option<u64>, PostError> {
        let mut count = 0u64;
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let mut query = vec![("repo", did), ("collection", POST), ("limit", "100")];
            if let Some(c) = &cursor {
                query.push(("cursor", c));
            }
            let a = self
                .call(
                    reqwest::Method::GET,
                    "com.atproto.repo.listRecords",
                    &query,
                    Body::Empty,
                )
                .await;
            let page: Records = read_json(a, "Bluesky", |a| classify(a, Utc::now()), error_text)?;
            count += page.records.len() as u64;
            match page.cursor {
                Some(c) if !page.records.is_empty() => cursor = Some(c),
                _ => return Ok(Some(count)),
            }
        }
        Ok(None)
    }

    async fn check(&self) -> Result<AccountInfo, PostError> {
        let a = self
            .call(
                reqwest::Method::GET,
                "com.atproto.server.getSession",
                &[],
                Body::Empty,
            )
            .await;
        let me: SessionInfo = read_json(a, "Bluesky", |a| classify(a, Utc::now()), error_text)?;
        let post_count = match self.profile(&me.did).await {
            Ok(p) if p.posts_count.is_some() => p.posts_count,
            other => {
                if let Err(e) = &other {
                    tracing::info!(account = %self.account, "profile not read from {} ({e}): counting records on the PDS", self.appview);
                }
                self.count_records(&me.did).await?
            }
        };
        Ok(AccountInfo {
            handle: format!("@{}", me.handle),
            post_count,
        })
    }
}

/// One post on Bluesky, as the post loop sends it.
struct BlueskyPost<'a> {
    bsky: &'a BlueskyNetwork,
    body: Value,
    rkey: &'a str,
}

impl Delivery for BlueskyPost<'_> {
    fn network(&self) -> &'static str {
        "Bluesky"
    }

    fn account(&self) -> &str {
        &self.bsky.account
    }

    /// The record key is ours alone and derived from the slot: a record there is the earlier
    /// attempt. Looking first only saves the call.
    fn resend(&self) -> Resend {
        Resend::Keyed { look_first: true }
    }

    async fn attempt(&self) -> Result<Answer, CallError> {
        self.bsky
            .call(
                reqwest::Method::POST,
                "com.atproto.repo.createRecord",
                &[],
                Body::Json(&self.body),
            )
            .await
    }

    fn classify(&self, a: &Answer) -> Option<PostError> {
        classify(a, Utc::now())
    }

    fn describe(&self, a: &Answer) -> String {
        error_text(a)
    }

    fn receipt(&self, a: &Answer) -> Result<Receipt, String> {
        let c: Created = serde_json::from_slice(&a.body).map_err(|e| e.to_string())?;
        Ok(Receipt {
            post_id: c.uri,
            at: Utc::now(),
        })
    }

    async fn look(&self) -> Result<Option<Receipt>, PostError> {
        self.bsky.get_post(self.rkey).await
    }

    /// "Already exists at this key" is how a repeat of a post that went through shows up:
    /// that is a success.
    async fn refused(&self, refusal: PostError, _ambiguous: bool) -> Result<Receipt, PostError> {
        if matches!(refusal, PostError::SkipArticle { .. }) {
            if let Ok(Some(r)) = self.bsky.get_post(self.rkey).await {
                tracing::info!(account = %self.bsky.account, "the post is already at its key: an earlier attempt went through");
                return Ok(r);
            }
        }
        Err(refusal)
    }
}

impl Network for BlueskyNetwork {
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(self.post_record(out))
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
        Box::pin(async move {
            self.get_post(&tid::for_slot(&intent.account, intent.slot))
                .await
        })
    }

    fn verify(&self) -> BoxFuture<'_, Result<AccountInfo, PostError>> {
        Box::pin(self.check())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::network::call::test_answer as answer;

    #[test]
    fn answers_map_to_what_the_daemon_must_do() {
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        let e = classify(
            &answer(
                429,
                &[
                    ("RateLimit-Remaining", "0"),
                    ("RateLimit-Reset", "1777629600"),
                ],
                r#"{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}"#,
            ),
            now,
        );
        assert_eq!(
            e,
            Some(PostError::RetryLater {
                reason: "HTTP 429: RateLimitExceeded: Rate Limit Exceeded: rate limited".into(),
                until: Utc.timestamp_opt(1_777_629_600, 0).single(),
            })
        );
        let e = classify(
            &answer(
                400,
                &[],
                r#"{"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"}"#,
            ),
            now,
        );
        assert!(matches!(e, Some(PostError::SkipArticle { .. })), "{e:?}");
        let e = classify(
            &answer(
                401,
                &[],
                r#"{"error":"AuthenticationRequired","message":"Invalid identifier or password"}"#,
            ),
            now,
        );
        assert!(matches!(e, Some(PostError::StopAccount { .. })), "{e:?}");
        assert_eq!(classify(&answer(502, &[], ""), now), None);
    }

    #[test]
    fn jwt_expiry_is_read_from_the_payload() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"scope":"com.atproto.appPass","sub":"did:plc:x","exp":1777629600}"#);
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig");
        assert_eq!(
            jwt_expiry(&jwt),
            Utc.timestamp_opt(1_777_629_600, 0).single()
        );
        assert_eq!(jwt_expiry("not-a-jwt"), None);
    }
}
