//! LinkedIn: an article share through the Posts API, as a member or an organisation page.
//!
//! Facts this module relies on, confirmed in Microsoft's LinkedIn documentation and in
//! LinkedIn's own client (linkedin-developers/linkedin-api-python-client):
//! - `POST https://api.linkedin.com/rest/posts` with `Authorization: Bearer`, `LinkedIn-Version:
//!   YYYYMM` and `X-Restli-Protocol-Version: 2.0.0`; the body names `author`
//!   (`urn:li:person:<sub>` or `urn:li:organization:<id>`), `commentary`, `visibility`,
//!   `distribution`, `lifecycleState` and, for a link, `content.article` with `source`, `title`
//!   and `description` (LinkedIn does not read the page for an article share).
//! - A post made answers 201 with an empty body and its URN in the `x-restli-id` header.
//! - `commentary` is "little" text: `\ | { } @ [ ] ( ) < > # * _ ~` are reserved and must be
//!   escaped with a backslash; an unescaped one cuts the post there while the API still answers
//!   201. A hashtag is the template `{hashtag|\#|Word}` (the "little text format" page).
//! - The member's id is `sub` from `GET /v2/userinfo` (OpenID Connect, scopes `openid
//!   profile`); posting needs `w_member_social` (`w_organization_social` for a page).
//! - Member tokens last 60 days; refresh tokens are given only to approved partners, so most
//!   installations log in again (`encore auth linkedin`) every 60 days.
//! - A card's picture is an image URN: `POST /rest/images?action=initializeUpload` with
//!   `{"initializeUploadRequest": {"owner": author}}` answers `value.uploadUrl` and
//!   `value.image`; the bytes are PUT to the upload URL; the URN goes in
//!   `content.article.thumbnail` (Microsoft's Images API page).
//! - The same commentary again is refused 422 with `DUPLICATE_POST` and "Content is a
//!   duplicate of urn:li:share:…" (seen in Arisamiga/Linkedin-RSS#5, ComposioHQ/composio#2710).
//! - 401 `INVALID_ACCESS_TOKEN` for a bad or expired token; 429 past the daily limits, which
//!   reset at midnight UTC and come with no `Retry-After`.
//!
//! No double post: a member's posts cannot be read back without `r_member_social`, which
//! LinkedIn grants to few apps, so there is no look-up. LinkedIn's own duplicate check stands
//! in for one: after an answer that was lost, the resend is either made (the first never
//! arrived) or refused as a duplicate of the URN the first one made, which is then the
//! receipt. After a crash mid-post nothing can be asked, and the share stays "uncertain".

use super::call::{header, read_json, send, Answer, CallError, RetryPolicy};
use super::deliver::{deliver, Delivery, Resend};
use super::session::{SessionError, SessionStore, Tokens};
use super::{AccountInfo, BoxFuture, Network, Outgoing, PostError, Receipt};
use crate::config::secret::Secret;
use crate::config::LinkedInSettings;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::time::Duration as StdDuration;
use tokio::sync::Mutex;

/// The scopes `encore auth linkedin` asks for: who the member is, and posting as them.
pub(crate) const MEMBER_SCOPES: &str = "openid profile w_member_social";
/// …and posting as a page the member administers.
pub(crate) const PAGE_SCOPES: &str = "openid profile w_member_social w_organization_social";

/// One LinkedIn member or page.
pub struct LinkedInNetwork {
    account: String,
    api_base: url::Url,
    version: String,
    author: Option<String>,
    client_id: String,
    client_secret: Secret,
    token_url: url::Url,
    store: SessionStore,
    tokens: Mutex<Tokens>,
    http: reqwest::Client,
    retry: RetryPolicy,
}

/// Why a LinkedIn account could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The client secret could not be read.
    #[error("`client_secret`: {0}")]
    Secret(#[from] crate::config::secret::SecretError),
    /// No login stored, or the file is unreadable.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    name: Option<String>,
}

/// LinkedIn's error body (Rest.li): `code` and `message` (beside `status`, `serviceErrorCode`).
#[derive(Deserialize, Default)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
}

fn error_body(a: &Answer) -> ErrorBody {
    serde_json::from_slice(&a.body).unwrap_or_default()
}

fn error_text(a: &Answer) -> String {
    let e = error_body(a);
    match (e.code, e.message) {
        (Some(c), Some(m)) => format!("HTTP {} {c}: {m}", a.status.as_u16()),
        (None, Some(m)) => format!("HTTP {}: {m}", a.status.as_u16()),
        (Some(c), None) => format!("HTTP {} {c}", a.status.as_u16()),
        (None, None) => format!("HTTP {}", a.status.as_u16()),
    }
}

/// The URN a duplicate refusal names ("Content is a duplicate of urn:li:share:123").
pub(crate) fn duplicate_of(text: &str) -> Option<String> {
    let at = text.find("urn:li:")?;
    let urn: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':' || *c == '_')
        .collect();
    (urn.split(':').count() >= 4).then_some(urn)
}

/// The next midnight UTC, when LinkedIn's daily limits reset.
fn next_midnight_utc(now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = now.date_naive() + Duration::days(1);
    tomorrow
        .and_hms_opt(0, 0, 0)
        .map_or(now + Duration::days(1), |t| t.and_utc())
}

/// What an answer other than 2xx means for the post; `None`: a server failure worth retrying.
pub(crate) fn classify(a: &Answer, account: &str, now: DateTime<Utc>) -> Option<PostError> {
    let reason = error_text(a);
    let body = String::from_utf8_lossy(&a.body);
    match a.status.as_u16() {
        401 => Some(PostError::StopAccount {
            reason: format!("{reason}: the login expired or was revoked; run `encore auth linkedin --account {account}`"),
        }),
        403 => Some(PostError::StopAccount {
            reason: format!("{reason}: the app lacks w_member_social (\"Share on LinkedIn\"), or the member does not administer the `author` page"),
        }),
        426 => Some(PostError::StopAccount {
            reason: format!("{reason}: LinkedIn no longer serves this `api_version`; set a recent one (YYYYMM)"),
        }),
        422 if body.contains("DUPLICATE_POST") || body.contains("duplicate of") => {
            Some(PostError::Duplicate { reason })
        }
        429 => {
            let until = header(&a.headers, "retry-after")
                .and_then(|s| s.parse::<i64>().ok())
                .map(|s| now + Duration::seconds(s.clamp(1, 86_400)))
                .unwrap_or_else(|| next_midnight_utc(now));
            Some(PostError::RetryLater {
                reason: format!("{reason}: daily limit reached"),
                until: Some(until),
            })
        }
        500..=599 => None,
        _ => Some(PostError::SkipArticle { reason }),
    }
}

impl LinkedInNetwork {
    /// Reads the client secret and the stored login.
    pub fn new(
        account: &str,
        settings: &LinkedInSettings,
        sessions: &SessionStore,
        timeout: StdDuration,
    ) -> Result<LinkedInNetwork, SetupError> {
        let tokens = sessions
            .load(account)?
            .ok_or_else(|| SessionError::Missing {
                account: account.to_string(),
                network: "linkedin".into(),
            })?;
        Ok(LinkedInNetwork {
            account: account.to_string(),
            api_base: settings.api_base.clone(),
            version: settings.api_version.clone(),
            author: settings.author.clone(),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.resolve()?,
            token_url: token_url(&settings.authorize_url),
            store: sessions.clone(),
            tokens: Mutex::new(tokens),
            http: crate::http::client(timeout).map_err(|e| SetupError::Http(e.to_string()))?,
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> LinkedInNetwork {
        self.retry = retry;
        self
    }

    fn request(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, super::call::endpoint(&self.api_base, path))
            .bearer_auth(token)
            .header("LinkedIn-Version", &self.version)
            .header("X-Restli-Protocol-Version", "2.0.0")
    }

    async fn token(&self) -> String {
        self.tokens.lock().await.access_token.clone()
    }

    async fn userinfo(&self) -> Result<UserInfo, PostError> {
        let token = self.token().await;
        let req = self.request(reqwest::Method::GET, "v2/userinfo", &token);
        let account = self.account.clone();
        let me: UserInfo = read_json(
            send(req).await,
            "LinkedIn",
            |a| classify(a, &account, Utc::now()),
            error_text,
        )?;
        Ok(me)
    }

    /// The author of the posts: the configured page, or the member who logged in.
    async fn author(&self) -> Result<String, PostError> {
        if let Some(a) = &self.author {
            return Ok(a.clone());
        }
        let stored = self.tokens.lock().await.user_id.clone();
        let sub = match stored {
            Some(sub) => sub,
            None => {
                let sub = self.userinfo().await?.sub;
                self.tokens.lock().await.user_id = Some(sub.clone());
                sub
            }
        };
        Ok(format!("urn:li:person:{sub}"))
    }

    async fn share(&self, out: Outgoing<'_>) -> Result<Receipt, PostError> {
        let author = self.author().await?;
        let meta = super::card::fetch_meta(out.pages, out.url)
            .await
            .unwrap_or_default();
        let title = meta.title.unwrap_or_else(|| out.title.to_string());
        let thumbnail = match &meta.image {
            Some(image) => self.thumbnail(out.pages, &author, image).await,
            None => None,
        };
        let mut body = serde_json::json!({
            "author": author,
            "commentary": crate::vocab::length::little_text(&out.message.text, &out.message.hashtags),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "content": { "article": {
                "source": out.url,
                "title": title,
                "description": meta.description.unwrap_or_default(),
            }},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
        });
        if let Some(urn) = thumbnail {
            body["content"]["article"]["thumbnail"] = serde_json::Value::String(urn);
        }
        let post = LinkedInPost {
            linkedin: self,
            body,
            token: self.token().await,
        };
        deliver(&post, self.retry).await
    }

    /// The card's picture uploaded to LinkedIn, as its image URN; anything that goes wrong
    /// costs the picture, never the post.
    async fn thumbnail(
        &self,
        pages: &crate::http::Pages,
        author: &str,
        image: &url::Url,
    ) -> Option<String> {
        #[derive(Deserialize)]
        struct Upload {
            value: UploadValue,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct UploadValue {
            upload_url: String,
            image: String,
        }
        let (mime, bytes) = super::card::fetch_image(pages, image).await.ok()?;
        let token = self.token().await;
        let init = self
            .request(
                reqwest::Method::POST,
                "rest/images?action=initializeUpload",
                &token,
            )
            .json(&serde_json::json!({ "initializeUploadRequest": { "owner": author } }));
        let account = self.account.clone();
        let upload: Result<Upload, _> = read_json(
            send(init).await,
            "LinkedIn",
            |a| classify(a, &account, Utc::now()),
            error_text,
        );
        let upload = match upload {
            Ok(u) => u.value,
            Err(e) => {
                tracing::info!(account = %self.account, "no picture on the card: {e}");
                return None;
            }
        };
        let put = self
            .http
            .put(&upload.upload_url)
            .bearer_auth(&token)
            .header(reqwest::header::CONTENT_TYPE, mime)
            .body(bytes);
        match send(put).await {
            Ok(a) if a.status.is_success() => Some(upload.image),
            Ok(a) => {
                tracing::info!(account = %self.account, "no picture on the card: upload answered HTTP {}", a.status.as_u16());
                None
            }
            Err(_) => {
                tracing::info!(account = %self.account, "no picture on the card: the upload failed");
                None
            }
        }
    }

    /// Renews the login when LinkedIn gave a refresh token and the access token has less than
    /// a week left; says when the login ends.
    async fn keep_alive(&self) -> Result<Option<DateTime<Utc>>, PostError> {
        // A login made by `encore auth linkedin` while the daemon runs is taken up here.
        if let Ok(Some(stored)) = self.store.load(&self.account) {
            let mut held = self.tokens.lock().await;
            if stored.access_token != held.access_token {
                tracing::info!(account = %self.account, "using the LinkedIn login stored by `encore auth linkedin`");
                *held = stored;
            }
        }
        let tokens = self.tokens.lock().await.clone();
        let now = Utc::now();
        let due = tokens
            .expires_at
            .is_some_and(|t| t - now < Duration::days(7));
        let Some(refresh) = tokens.refresh_token.clone().filter(|_| due) else {
            return Ok(tokens.expires_at);
        };
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        let fresh = exchange(&self.http, &self.token_url, &self.client_id, &form, now)
            .await
            .map_err(|e| PostError::RetryLater {
                reason: format!("LinkedIn refresh failed: {e}"),
                until: None,
            })?;
        let kept = Tokens {
            refresh_token: fresh.refresh_token.or(Some(refresh)),
            user_id: tokens.user_id,
            ..fresh
        };
        self.store
            .save(&self.account, &kept)
            .map_err(|e| PostError::Fatal {
                reason: e.to_string(),
            })?;
        let expires = kept.expires_at;
        *self.tokens.lock().await = kept;
        Ok(expires)
    }
}

/// The address the admin opens to log in: the member's identity and posting (and posting as
/// the page, when the account posts as one).
pub(crate) fn authorize_url(settings: &LinkedInSettings, state: &str) -> url::Url {
    let scopes = match &settings.author {
        Some(_) => PAGE_SCOPES,
        None => MEMBER_SCOPES,
    };
    let mut url = settings.authorize_url.clone();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", settings.redirect_uri.as_str())
        .append_pair("state", state)
        .append_pair("scope", scopes);
    url
}

/// LinkedIn's token endpoint, beside the authorisation page
/// (`https://www.linkedin.com/oauth/v2/accessToken`).
pub(crate) fn token_url(authorize_url: &url::Url) -> url::Url {
    authorize_url
        .join("accessToken")
        .unwrap_or_else(|_| authorize_url.clone())
}

/// Trades a code or a refresh token for tokens: LinkedIn takes the client's id and secret in
/// the form (`form` carries the secret; the id is added). The error says what LinkedIn said.
pub(crate) async fn exchange(
    http: &reqwest::Client,
    token_url: &url::Url,
    client_id: &str,
    form: &[(&str, &str)],
    now: DateTime<Utc>,
) -> Result<Tokens, super::token::TokenError> {
    let client = super::token::Client {
        id: client_id,
        secret: None,
    };
    super::token::token_request(http, token_url, &client, form, now).await
}

/// One share, as the post loop sends it.
struct LinkedInPost<'a> {
    linkedin: &'a LinkedInNetwork,
    body: serde_json::Value,
    token: String,
}

impl Delivery for LinkedInPost<'_> {
    fn network(&self) -> &'static str {
        "LinkedIn"
    }

    fn account(&self) -> &str {
        &self.linkedin.account
    }

    /// LinkedIn's duplicate check is the key: a resend of what landed is refused, naming it.
    fn resend(&self) -> Resend {
        Resend::Keyed { look_first: false }
    }

    async fn attempt(&self) -> Result<Answer, CallError> {
        let req = self
            .linkedin
            .request(reqwest::Method::POST, "rest/posts", &self.token)
            .json(&self.body);
        send(req).await
    }

    fn classify(&self, a: &Answer) -> Option<PostError> {
        classify(a, &self.linkedin.account, Utc::now())
    }

    fn describe(&self, a: &Answer) -> String {
        error_text(a)
    }

    fn receipt(&self, a: &Answer) -> Result<Receipt, String> {
        let id = header(&a.headers, "x-restli-id")
            .or_else(|| header(&a.headers, "x-linkedin-id"))
            .filter(|id| !id.is_empty())
            .ok_or("no x-restli-id header")?;
        Ok(Receipt {
            post_id: id.to_string(),
            at: Utc::now(),
        })
    }

    /// No look-up exists for a member's posts; the resend's duplicate refusal answers instead.
    async fn look(&self) -> Result<Option<Receipt>, PostError> {
        Err(PostError::Unknown {
            reason: "LinkedIn does not let this app read the account's posts".into(),
        })
    }

    /// A duplicate after an attempt that may have landed is that attempt's post.
    async fn refused(&self, refusal: PostError, ambiguous: bool) -> Result<Receipt, PostError> {
        match (&refusal, ambiguous) {
            (PostError::Duplicate { reason }, true) => match duplicate_of(reason) {
                Some(urn) => {
                    tracing::info!(account = %self.linkedin.account, post_id = %urn, "the earlier attempt did reach LinkedIn: not sending again");
                    Ok(Receipt {
                        post_id: urn,
                        at: Utc::now(),
                    })
                }
                None => Err(PostError::Unknown {
                    reason: format!(
                        "{reason} (after an answer was lost; the first attempt probably landed)"
                    ),
                }),
            },
            _ => Err(refusal),
        }
    }
}

impl Network for LinkedInNetwork {
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(self.share(out))
    }

    fn verify(&self) -> BoxFuture<'_, Result<AccountInfo, PostError>> {
        Box::pin(async move {
            let me = self.userinfo().await?;
            let who = me
                .name
                .unwrap_or_else(|| format!("urn:li:person:{}", me.sub));
            let handle = match &self.author {
                Some(page) => format!("{page} (logged in as {who})"),
                None => who,
            };
            Ok(AccountInfo {
                handle,
                post_count: None,
            })
        })
    }

    fn renew(&self) -> BoxFuture<'_, Result<Option<DateTime<Utc>>, PostError>> {
        Box::pin(self.keep_alive())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::call::test_answer as answer;
    use chrono::TimeZone;

    #[test]
    fn answers_map_to_what_the_daemon_must_do() {
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        let e = classify(
            &answer(
                401,
                &[],
                r#"{"status":401,"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid access token"}"#,
            ),
            "li",
            now,
        );
        assert!(
            matches!(&e, Some(PostError::StopAccount { reason }) if reason.contains("encore auth linkedin --account li")),
            "{e:?}"
        );
        let dup = r#"{"message":"Content is a duplicate of urn:li:share:7141138937766391808","errorDetails":{"inputErrors":[{"code":"DUPLICATE_POST"}]},"status":422}"#;
        let e = classify(&answer(422, &[], dup), "li", now);
        assert!(matches!(e, Some(PostError::Duplicate { .. })), "{e:?}");
        assert_eq!(
            duplicate_of(&e.unwrap().to_string()).as_deref(),
            Some("urn:li:share:7141138937766391808")
        );
        let e = classify(&answer(429, &[], "{}"), "li", now);
        assert_eq!(
            e,
            Some(PostError::RetryLater {
                reason: "HTTP 429: daily limit reached".into(),
                until: Some(Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).unwrap()),
            })
        );
        let e = classify(
            &answer(
                422,
                &[],
                r#"{"message":"/commentary :: too long","status":422}"#,
            ),
            "li",
            now,
        );
        assert!(matches!(e, Some(PostError::SkipArticle { .. })), "{e:?}");
        assert_eq!(classify(&answer(504, &[], ""), "li", now), None);
    }

    #[test]
    fn the_token_endpoint_is_beside_the_login_page() {
        let a = url::Url::parse("https://www.linkedin.com/oauth/v2/authorization").unwrap();
        assert_eq!(
            token_url(&a).as_str(),
            "https://www.linkedin.com/oauth/v2/accessToken"
        );
    }
}
