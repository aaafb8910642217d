//! A fake X API on 127.0.0.1 that checks what X checks: OAuth 1.0a signatures (wrong secret,
//! reused nonce, stale timestamp), OAuth 2 bearer tokens with refresh-token rotation, the body
//! shape of POST /2/tweets, the 280 weighted-character limit, duplicate text, rate limits with
//! X's headers. Faults can be queued: a 5xx, or accepting a post and dropping the connection
//! before answering (the ambiguous case reconcile exists for).
//!
//! A raw HTTP/1.1 server over tokio, not wiremock, because dropping a connection after the
//! server has acted is exactly what must be simulated.

#![allow(dead_code)]

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Digest;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

pub const CONSUMER_KEY: &str = "fake-consumer-key";
pub const CONSUMER_SECRET: &str = "fake-consumer-secret";
pub const TOKEN: &str = "123-fake-token";
pub const TOKEN_SECRET: &str = "fake-token-secret";
pub const USER_ID: &str = "1234567890";
pub const USERNAME: &str = "encore_blog";
pub const CLIENT_ID: &str = "fake-client-id";

/// What the next POST /2/tweets does instead of its normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and a problem body, without posting.
    Status(u16),
    /// Post, then close the connection without answering.
    PostThenDrop,
    /// Post, then send half of the answer and close.
    PostThenTruncate,
    /// Close the connection without posting or answering.
    Drop,
}

/// Marks an answer to be cut after N bytes of its body (see `Fault::PostThenTruncate`).
const TRUNCATE: &str = "x-fake-truncate-body";

#[derive(Debug, Clone)]
pub struct Post {
    pub id: String,
    pub text: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Default)]
pub struct State {
    pub posts: Vec<Post>,
    pub faults: VecDeque<Fault>,
    pub nonces: HashSet<String>,
    /// Posts allowed per window before 429 (None: unlimited).
    pub rate_limit: Option<usize>,
    pub rate_reset: i64,
    pub posts_in_window: usize,
    /// Valid OAuth 2 access tokens and refresh tokens.
    pub access_tokens: HashSet<String>,
    pub refresh_tokens: HashSet<String>,
    /// Authorization codes waiting for exchange, with their PKCE challenge and redirect.
    pub codes: HashMap<String, (String, String)>,
    pub token_counter: u32,
    pub expires_in: i64,
    /// Every request seen: (method, path with query, authorization scheme).
    pub requests: Vec<(String, String, String)>,
    /// Payment state: 402 on post when true.
    pub out_of_credits: bool,
    pub tweet_count_base: u64,
    /// The time as the test sets it (a simulated run), else the wall clock.
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
    /// How long X remembers a text to refuse it again (None: for ever). X does not publish it.
    pub duplicate_window: Option<chrono::Duration>,
    /// Each post's (likes, retweets, replies, quotes), as the audience gave them.
    pub counts: HashMap<String, (u64, u64, u64, u64)>,
    /// Posts deleted since they were made.
    pub deleted: HashSet<String>,
    /// Posts returned by `GET /2/tweets` (what X bills at $0.005 each).
    pub posts_read: usize,
}

/// Status, extra headers, body. `None` where a reply is expected means: drop the connection.
type Reply = (u16, Vec<(String, String)>, String);

#[derive(Clone)]
pub struct FakeX {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeX {
    pub async fn start() -> FakeX {
        let state = Arc::new(Mutex::new(State {
            expires_in: 7200,
            tweet_count_base: 1000,
            ..State::default()
        }));
        let slot: Arc<Mutex<Option<FakeX>>> = Arc::new(Mutex::new(None));
        let s2 = slot.clone();
        let base = super::http::serve(move |req| {
            let f = s2.lock().unwrap().clone()?;
            let (status, extra, body) =
                f.handle(&req.method, &req.target, &req.headers, &req.body)?;
            let mut reply =
                super::http::Reply::bytes(status, "application/json", body.into_bytes());
            for (k, v) in extra {
                // The fake's own instruction to the server, not a header.
                if k == TRUNCATE {
                    reply = reply.truncated(v.parse().unwrap());
                    continue;
                }
                reply = reply.header(&k, &v);
            }
            Some(reply)
        })
        .await;
        let fake = FakeX { base, state };
        *slot.lock().unwrap() = Some(fake.clone());
        fake
    }

    pub fn posts(&self) -> Vec<Post> {
        self.state.lock().unwrap().posts.clone()
    }

    pub fn push_fault(&self, fault: Fault) {
        self.state.lock().unwrap().faults.push_back(fault);
    }

    /// Issues an OAuth 2 token pair as if a login had happened.
    pub fn issue_tokens(&self) -> (String, String) {
        let mut s = self.state.lock().unwrap();
        s.token_counter += 1;
        let a = format!("access-{}", s.token_counter);
        let r = format!("refresh-{}", s.token_counter);
        s.access_tokens.insert(a.clone());
        s.refresh_tokens.insert(r.clone());
        (a, r)
    }

    /// What X's consent page does: remembers the code for this challenge.
    pub fn approve(&self, code: &str, challenge: &str, redirect: &str) {
        self.state
            .lock()
            .unwrap()
            .codes
            .insert(code.into(), (challenge.into(), redirect.into()));
    }

    fn handle(
        &self,
        method: &str,
        target: &str,
        headers: &HashMap<String, String>,
        body: &[u8],
    ) -> Option<Reply> {
        let url = url::Url::parse(&format!("{}{}", self.base, target)).unwrap();
        let auth = headers.get("authorization").cloned().unwrap_or_default();
        self.state.lock().unwrap().requests.push((
            method.into(),
            target.into(),
            auth.split_whitespace().next().unwrap_or("").into(),
        ));
        if url.path() == "/2/oauth2/token" && method == "POST" {
            return Some(self.token(headers, body));
        }
        if let Err(why) = self.authenticate(method, &url, &auth) {
            return Some((
                401,
                vec![],
                format!(
                    r#"{{"title":"Unauthorized","type":"about:blank","status":401,"detail":"{why}"}}"#
                ),
            ));
        }
        match (method, url.path()) {
            ("POST", "/2/tweets") => self.create(body),
            ("GET", "/2/tweets") => self.lookup(&url),
            ("GET", "/2/users/me") => {
                let s = self.state.lock().unwrap();
                let count = s.tweet_count_base + s.posts.len() as u64;
                Some((
                    200,
                    vec![],
                    format!(
                        r#"{{"data":{{"id":"{USER_ID}","name":"Encore Blog","username":"{USERNAME}","public_metrics":{{"followers_count":10,"following_count":5,"tweet_count":{count},"listed_count":0}}}}}}"#
                    ),
                ))
            }
            ("GET", p) if p == format!("/2/users/{USER_ID}/tweets") => {
                let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
                let max: usize = q
                    .get("max_results")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(10);
                if !(5..=100).contains(&max) {
                    return Some((400, vec![], r#"{"title":"Invalid Request","detail":"max_results must be between 5 and 100"}"#.into()));
                }
                let s = self.state.lock().unwrap();
                let data: Vec<serde_json::Value> = s
                    .posts
                    .iter()
                    .rev()
                    .take(max)
                    .map(|p| {
                        let urls: Vec<serde_json::Value> = p
                            .text
                            .split_whitespace()
                            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
                            .enumerate()
                            .map(|(i, u)| serde_json::json!({"url": format!("https://t.co/x{i}"), "expanded_url": u, "display_url": u}))
                            .collect();
                        serde_json::json!({
                            "id": p.id,
                            "text": p.text,
                            "created_at": p.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                            "entities": {"urls": urls},
                        })
                    })
                    .collect();
                Some((
                    200,
                    vec![],
                    serde_json::json!({"data": data, "meta": {"result_count": data.len()}})
                        .to_string(),
                ))
            }
            _ => Some((
                404,
                vec![],
                r#"{"title":"Not Found Error","type":"about:blank"}"#.into(),
            )),
        }
    }

    fn authenticate(&self, method: &str, url: &url::Url, auth: &str) -> Result<(), String> {
        if let Some(token) = auth.strip_prefix("Bearer ") {
            return if self.state.lock().unwrap().access_tokens.contains(token) {
                Ok(())
            } else {
                Err("invalid or expired bearer token".into())
            };
        }
        let Some(fields) = auth.strip_prefix("OAuth ") else {
            return Err("no credentials".into());
        };
        let mut oauth: HashMap<String, String> = HashMap::new();
        for f in fields.split(", ") {
            let (k, v) = f.split_once('=').ok_or("malformed OAuth header")?;
            let v = v.trim_matches('"');
            let v = percent_decode(v);
            oauth.insert(k.to_string(), v);
        }
        for k in [
            "oauth_consumer_key",
            "oauth_nonce",
            "oauth_signature",
            "oauth_signature_method",
            "oauth_timestamp",
            "oauth_token",
            "oauth_version",
        ] {
            if !oauth.contains_key(k) {
                return Err(format!("missing {k}"));
            }
        }
        if oauth["oauth_consumer_key"] != CONSUMER_KEY || oauth["oauth_token"] != TOKEN {
            return Err("unknown consumer key or token".into());
        }
        let ts: i64 = oauth["oauth_timestamp"]
            .parse()
            .map_err(|_| "bad timestamp")?;
        if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
            return Err("timestamp out of bounds".into());
        }
        // Independent implementation of the signature check (RFC 5849 §3.4).
        let mut params: Vec<(String, String)> =
            url.query_pairs().map(|(k, v)| (enc(&k), enc(&v))).collect();
        for (k, v) in &oauth {
            if k != "oauth_signature" {
                params.push((enc(k), enc(v)));
            }
        }
        params.sort();
        let pstr: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut base_url = url.clone();
        base_url.set_query(None);
        let base = format!(
            "{}&{}&{}",
            method,
            enc(base_url.as_str()),
            enc(&pstr.join("&"))
        );
        let key = format!("{}&{}", enc(CONSUMER_SECRET), enc(TOKEN_SECRET));
        let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(base.as_bytes());
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        if expected != oauth["oauth_signature"] {
            return Err("could not authenticate you (signature mismatch)".into());
        }
        // Checked last, so a bad signature cannot burn a nonce.
        if !self
            .state
            .lock()
            .unwrap()
            .nonces
            .insert(oauth["oauth_nonce"].clone())
        {
            return Err("nonce already used".into());
        }
        Ok(())
    }

    /// `GET /2/tweets?ids=…&tweet.fields=public_metrics`: up to 100 ids; a deleted or unknown
    /// id is an `errors[]` entry, as X answers it.
    fn lookup(&self, url: &url::Url) -> Option<Reply> {
        let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
        let ids: Vec<&str> = q
            .get("ids")
            .map(|i| i.split(',').collect())
            .unwrap_or_default();
        if ids.is_empty() || ids.len() > 100 {
            return Some((400, vec![], r#"{"title":"Invalid Request","detail":"The `ids` query parameter value must be between 1 and 100 ids"}"#.into()));
        }
        let metrics = q
            .get("tweet.fields")
            .is_some_and(|f| f.split(',').any(|f| f == "public_metrics"));
        let mut s = self.state.lock().unwrap();
        let (mut data, mut errors) = (Vec::new(), Vec::new());
        for id in ids {
            let found = s
                .posts
                .iter()
                .find(|p| p.id == id)
                .filter(|_| !s.deleted.contains(id));
            match found {
                Some(p) => {
                    let (l, r, c, qu) = s.counts.get(id).copied().unwrap_or_default();
                    let mut t = serde_json::json!({"id": p.id, "text": p.text, "edit_history_tweet_ids": [p.id]});
                    if metrics {
                        t["public_metrics"] = serde_json::json!({"retweet_count": r, "reply_count": c, "like_count": l, "quote_count": qu, "bookmark_count": 0, "impression_count": 10 * (l + 1)});
                    }
                    data.push(t);
                }
                None => errors.push(serde_json::json!({"value": id, "detail": format!("Could not find tweet with ids: [{id}]."), "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids", "resource_id": id, "type": "https://api.twitter.com/2/problems/resource-not-found"})),
            }
        }
        s.posts_read += data.len();
        let mut body = serde_json::json!({});
        if !data.is_empty() {
            body["data"] = serde_json::Value::Array(data);
        }
        if !errors.is_empty() {
            body["errors"] = serde_json::Value::Array(errors);
        }
        Some((200, vec![], body.to_string()))
    }

    fn create(&self, body: &[u8]) -> Option<Reply> {
        let mut s = self.state.lock().unwrap();
        let fault = s.faults.pop_front();
        match fault {
            Some(Fault::Drop) => return None,
            Some(Fault::Status(code)) => {
                return Some((
                    code,
                    vec![],
                    format!(
                        r#"{{"title":"Service Unavailable","detail":"fault {code}","type":"about:blank","status":{code}}}"#
                    ),
                ))
            }
            _ => {}
        }
        if s.out_of_credits {
            return Some((402, vec![], r#"{"title":"CreditsDepleted","detail":"Your enrolled account does not have any credits","type":"https://api.x.com/2/problems/credits"}"#.into()));
        }
        let now = s.clock.unwrap_or_else(chrono::Utc::now);
        if let Some(limit) = s.rate_limit {
            if s.posts_in_window >= limit {
                let reset = s.rate_reset.to_string();
                return Some((
                    429,
                    vec![
                        ("x-rate-limit-limit".into(), limit.to_string()),
                        ("x-rate-limit-remaining".into(), "0".into()),
                        ("x-rate-limit-reset".into(), reset),
                    ],
                    r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#.into(),
                ));
            }
        }
        let v: serde_json::Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => {
                return Some((
                    400,
                    vec![],
                    r#"{"title":"Invalid Request","detail":"body is not JSON"}"#.into(),
                ))
            }
        };
        let Some(obj) = v.as_object() else {
            return Some((
                400,
                vec![],
                r#"{"title":"Invalid Request","detail":"body is not an object"}"#.into(),
            ));
        };
        if let Some(k) = obj.keys().find(|k| k.as_str() != "text") {
            return Some((
                400,
                vec![],
                format!(r#"{{"title":"Invalid Request","detail":"unexpected field {k}"}}"#),
            ));
        }
        let Some(text) = obj.get("text").and_then(|t| t.as_str()) else {
            return Some((
                400,
                vec![],
                r#"{"title":"Invalid Request","detail":"text is required"}"#.into(),
            ));
        };
        if encore::x_weighted_length(text) > 280 || text.trim().is_empty() {
            return Some((400, vec![], r#"{"errors":[{"message":"Your Tweet text is too long."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.x.com/2/problems/invalid-request"}"#.into()));
        }
        let window = s.duplicate_window;
        let remembered = |p: &Post| window.is_none_or(|w| now - p.created_at < w);
        if s.posts.iter().any(|p| p.text == text && remembered(p)) {
            return Some((403, vec![], r#"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#.into()));
        }
        let id = format!("{}", 1_800_000_000_000_000_000u64 + s.posts.len() as u64);
        s.posts.push(Post {
            id: id.clone(),
            text: text.to_string(),
            created_at: now,
        });
        s.posts_in_window += 1;
        if matches!(fault, Some(Fault::PostThenDrop)) {
            return None;
        }
        let mut extra = vec![("x-rate-limit-remaining".into(), "99".into())];
        if matches!(fault, Some(Fault::PostThenTruncate)) {
            extra.push((TRUNCATE.into(), "20".into()));
        }
        Some((
            201,
            extra,
            serde_json::json!({"data": {"id": id, "text": text, "edit_history_tweet_ids": [id]}})
                .to_string(),
        ))
    }

    fn token(
        &self,
        headers: &HashMap<String, String>,
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, String) {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        let header_client = headers
            .get("authorization")
            .and_then(|h| h.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map(|b| String::from_utf8_lossy(&b).to_string());
        let client_ok = form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
            || header_client
                .as_deref()
                .is_some_and(|c| c.starts_with(&format!("{CLIENT_ID}:")));
        if !client_ok {
            return (401, vec![], r#"{"error":"unauthorized_client","error_description":"Missing valid authorization header"}"#.into());
        }
        let mut s = self.state.lock().unwrap();
        match form.get("grant_type").map(String::as_str) {
            Some("refresh_token") => {
                let Some(r) = form.get("refresh_token") else {
                    return (400, vec![], r#"{"error":"invalid_request"}"#.into());
                };
                // Rotation: a refresh token works once.
                if !s.refresh_tokens.remove(r) {
                    return (400, vec![], r#"{"error":"invalid_request","error_description":"Value passed for the token was invalid."}"#.into());
                }
            }
            Some("authorization_code") => {
                let code = form.get("code").cloned().unwrap_or_default();
                let Some((challenge, redirect)) = s.codes.remove(&code) else {
                    return (400, vec![], r#"{"error":"invalid_request","error_description":"Value passed for the authorization code was invalid."}"#.into());
                };
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(sha2::Sha256::digest(verifier.as_bytes()));
                if computed != challenge || form.get("redirect_uri") != Some(&redirect) {
                    return (400, vec![], r#"{"error":"invalid_grant","error_description":"code_verifier or redirect_uri mismatch"}"#.into());
                }
            }
            _ => return (400, vec![], r#"{"error":"unsupported_grant_type"}"#.into()),
        }
        s.token_counter += 1;
        let a = format!("access-{}", s.token_counter);
        let r = format!("refresh-{}", s.token_counter);
        s.access_tokens.insert(a.clone());
        s.refresh_tokens.insert(r.clone());
        (
            200,
            vec![],
            serde_json::json!({"token_type": "bearer", "expires_in": s.expires_in, "access_token": a, "scope": "tweet.read tweet.write users.read offline.access", "refresh_token": r}).to_string(),
        )
    }

    /// Revokes every access token (as if they had expired).
    pub fn expire_access_tokens(&self) {
        self.state.lock().unwrap().access_tokens.clear();
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
