//! A fake LinkedIn (Posts API, userinfo, the token endpoint) on 127.0.0.1 that checks what
//! LinkedIn checks: the bearer token (401 `INVALID_ACCESS_TOKEN` with service code 65600), both
//! `LinkedIn-Version` (a served YYYYMM, else 426) and `X-Restli-Protocol-Version: 2.0.0`, that
//! `author` is the token's member, the required fields (`commentary`, `visibility`,
//! `distribution`, `lifecycleState`, `content.article.source`), the commentary's length (3,000)
//! and the same commentary twice (422 `DUPLICATE_POST`, naming the first post). Like LinkedIn,
//! it keeps a commentary only up to its first unescaped reserved character and still answers
//! 201 with the URN in `x-restli-id` and an empty body; 429 comes without `Retry-After`.
//! Images: `initializeUpload` for the token's member gives an upload URL and an image URN; the
//! bytes PUT there make the image, and a post's `thumbnail` must name an uploaded image.

#![allow(dead_code)]

use super::http::{serve, Reply, Request};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "li-member-token";
pub const SUB: &str = "abC123xyz";
pub const CLIENT_ID: &str = "86li-client";
pub const CLIENT_SECRET: &str = "li-client-secret";
pub const CODE: &str = "li-auth-code";

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status (a Rest.li error body), posting nothing.
    Status(u16),
    /// Make the post, then drop the connection without answering.
    PostThenDrop,
}

#[derive(Debug, Clone)]
pub struct Share {
    pub urn: String,
    /// The commentary as LinkedIn keeps it (cut at an unescaped reserved character).
    pub kept: String,
    /// The commentary as it was sent.
    pub sent: String,
    /// The hashtags LinkedIn makes of it: its `{hashtag|\#|Tag}` templates (a `\#` is a
    /// literal sign, shown as text, not a hashtag).
    pub hashtags: Vec<String>,
    pub article: serde_json::Value,
}

pub struct State {
    pub shares: Vec<Share>,
    pub faults: VecDeque<Fault>,
    pub next_id: u64,
    pub token: String,
    /// Token answers given by the token endpoint.
    pub logins: usize,
    /// The fake's own address (for upload URLs).
    pub base: String,
    /// Image URN → the bytes uploaded (None: initialised, nothing uploaded yet).
    pub images: std::collections::HashMap<String, Option<Vec<u8>>>,
}

#[derive(Clone)]
pub struct FakeLinkedIn {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

fn restli(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"status": status, "serviceErrorCode": 100, "code": code, "message": message}),
    )
}

impl FakeLinkedIn {
    pub async fn start() -> FakeLinkedIn {
        let state = Arc::new(Mutex::new(State {
            shares: vec![],
            faults: VecDeque::new(),
            next_id: 7_141_138_937_766_391_000,
            token: TOKEN.into(),
            logins: 0,
            base: String::new(),
            images: Default::default(),
        }));
        let st = state.clone();
        let base = serve(move |req| handle(&st, req)).await;
        state.lock().unwrap().base = base.clone();
        FakeLinkedIn { base, state }
    }

    pub fn shares(&self) -> Vec<Share> {
        self.state.lock().unwrap().shares.clone()
    }

    pub fn push_fault(&self, f: Fault) {
        self.state.lock().unwrap().faults.push_back(f);
    }
}

/// The hashtag templates of a commentary, as LinkedIn links them.
pub fn hashtags(commentary: &str) -> Vec<String> {
    commentary
        .split("{hashtag|\\#|")
        .skip(1)
        .filter_map(|t| t.split_once('}').map(|(tag, _)| tag.replace('\\', "")))
        .collect()
}

/// What LinkedIn keeps of a commentary: everything before the first unescaped reserved
/// character, escapes and hashtag templates read as the text they show.
pub fn kept(commentary: &str) -> String {
    let mut out = String::new();
    let mut rest = commentary;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("{hashtag|\\#|") {
            let Some(end) = after.find('}') else { break };
            out.push('#');
            out.push_str(&after[..end].replace('\\', ""));
            rest = &after[end + 1..];
            continue;
        }
        if c == '\\' {
            let Some(next) = rest[1..].chars().next() else {
                break;
            };
            out.push(next);
            rest = &rest[1 + next.len_utf8()..];
            continue;
        }
        if "|{}@[]()<>#*_~".contains(c) {
            break;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn handle(state: &Arc<Mutex<State>>, req: Request) -> Option<Reply> {
    let path = req.path();
    if path == "/oauth/v2/accessToken" {
        return token(state, &req);
    }
    let token = state.lock().unwrap().token.clone();
    if req.header("authorization") != Some(&format!("Bearer {token}")) {
        return Some(Reply::json(
            401,
            json!({"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"}),
        ));
    }
    match (req.method.as_str(), path.as_str()) {
        ("GET", "/v2/userinfo") => Some(Reply::json(
            200,
            json!({"sub": SUB, "name": "Blog Author", "given_name": "Blog", "family_name": "Author"}),
        )),
        ("POST", "/rest/posts") => post(state, &req),
        ("POST", "/rest/images") => initialize_upload(state, &req),
        ("PUT", p) if p.starts_with("/upload/") => {
            let urn = format!("urn:li:image:{}", &p["/upload/".len()..]);
            let mut s = state.lock().unwrap();
            match s.images.get_mut(&urn) {
                Some(slot) if !req.body.is_empty() => {
                    *slot = Some(req.body.clone());
                    Some(Reply::bytes(201, "text/plain", vec![]))
                }
                _ => Some(restli(400, "BAD_REQUEST", "No such upload")),
            }
        }
        _ => Some(restli(404, "NOT_FOUND", "No resource")),
    }
}

fn initialize_upload(state: &Arc<Mutex<State>>, req: &Request) -> Option<Reply> {
    if req.query().get("action").map(String::as_str) != Some("initializeUpload") {
        return Some(restli(400, "ILLEGAL_ARGUMENT", "Unknown action"));
    }
    let owner = req.json().and_then(|b| {
        b["initializeUploadRequest"]["owner"]
            .as_str()
            .map(String::from)
    });
    if owner.as_deref() != Some(&format!("urn:li:person:{SUB}")) {
        return Some(restli(
            403,
            "ACCESS_DENIED",
            "Not enough permissions to access: images.ACTION.initializeUpload",
        ));
    }
    let mut s = state.lock().unwrap();
    s.next_id += 1;
    let id = format!("C4E10AQ{}", s.next_id);
    let urn = format!("urn:li:image:{id}");
    s.images.insert(urn.clone(), None);
    Some(Reply::json(
        200,
        json!({"value": {"uploadUrlExpiresAt": 1_900_000_000_000u64,
                         "uploadUrl": format!("{}/upload/{id}", s.base),
                         "image": urn}}),
    ))
}

fn token(state: &Arc<Mutex<State>>, req: &Request) -> Option<Reply> {
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect();
    let ok = form.get("grant_type").map(String::as_str) == Some("authorization_code")
        && form.get("code").map(String::as_str) == Some(CODE)
        && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        && form.contains_key("redirect_uri");
    if !ok {
        return Some(Reply::json(
            400,
            json!({"error": "invalid_request", "error_description": "Unable to retrieve access token: authorization code not found"}),
        ));
    }
    let mut s = state.lock().unwrap();
    s.logins += 1;
    Some(Reply::json(
        200,
        json!({"access_token": s.token, "expires_in": 5_183_999, "scope": "openid,profile,w_member_social", "token_type": "Bearer"}),
    ))
}

/// POST /rest/posts, checked field by field as LinkedIn does.
fn post(state: &Arc<Mutex<State>>, req: &Request) -> Option<Reply> {
    let version = req.header("linkedin-version").unwrap_or("");
    if version.len() != 6 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Some(restli(400, "VERSION_MISSING", "A version must be present"));
    }
    if version.as_bytes() < b"202511".as_slice() {
        return Some(restli(
            426,
            "NONEXISTENT_VERSION",
            &format!("Requested version {version} is not active"),
        ));
    }
    if req.header("x-restli-protocol-version") != Some("2.0.0") {
        return Some(restli(
            400,
            "ILLEGAL_ARGUMENT",
            "Rest.li protocol 2.0.0 required",
        ));
    }
    let Some(body) = req.json() else {
        return Some(restli(
            400,
            "ILLEGAL_ARGUMENT",
            "Request body could not be converted to data map",
        ));
    };
    let mut missing = vec![];
    for f in [
        "author",
        "commentary",
        "visibility",
        "distribution",
        "lifecycleState",
    ] {
        if body.get(f).is_none() {
            missing.push(format!(
                "ERROR :: /{f} :: field is required but not found and has no default value"
            ));
        }
    }
    if body["content"]["article"]["source"].as_str().is_none() {
        missing.push("ERROR :: /content/article/source :: field is required".into());
    }
    if !missing.is_empty() {
        return Some(Reply::json(
            422,
            json!({"message": missing.join("\n"), "status": 422}),
        ));
    }
    if let Some(thumb) = body["content"]["article"]["thumbnail"].as_str() {
        let uploaded = state
            .lock()
            .unwrap()
            .images
            .get(thumb)
            .is_some_and(|b| b.is_some());
        if !uploaded {
            return Some(Reply::json(
                422,
                json!({"message": format!("ERROR :: /content/article/thumbnail :: {thumb} not found"), "status": 422}),
            ));
        }
    }
    if body["author"].as_str() != Some(&format!("urn:li:person:{SUB}")) {
        return Some(restli(
            403,
            "ACCESS_DENIED",
            "Not enough permissions to access: partnerApiPostsExternal.CREATE.20261001",
        ));
    }
    let sent = body["commentary"].as_str().unwrap_or("").to_string();
    if sent.encode_utf16().count() > 3000 {
        return Some(Reply::json(
            422,
            json!({"message": "ERROR :: /commentary :: length of 3001 exceeds maximum 3000", "status": 422}),
        ));
    }
    let mut s = state.lock().unwrap();
    if let Some(f) = s.faults.pop_front() {
        match f {
            Fault::Status(429) => return Some(restli(429, "TOO_MANY_REQUESTS", "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")),
            Fault::Status(code) => return Some(restli(code, "INTERNAL_SERVER_ERROR", "Internal Server Error")),
            Fault::PostThenDrop => {
                make(&mut s, &sent, &body);
                return None;
            }
        }
    }
    if let Some(first) = s.shares.iter().find(|x| x.sent == sent) {
        return Some(Reply::json(
            422,
            json!({"errorDetailType": "com.linkedin.common.error.BadRequest",
                   "message": format!("com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of {}", first.urn),
                   "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}]},
                   "status": 422}),
        ));
    }
    let urn = make(&mut s, &sent, &body);
    Some(Reply {
        status: 201,
        headers: vec![("x-restli-id".into(), urn)],
        body: vec![],
        delay: None,
        truncate: None,
    })
}

fn make(s: &mut State, sent: &str, body: &serde_json::Value) -> String {
    s.next_id += 1;
    let urn = format!("urn:li:share:{}", s.next_id);
    s.shares.push(Share {
        urn: urn.clone(),
        kept: kept(sent),
        sent: sent.to_string(),
        hashtags: hashtags(sent),
        article: body["content"]["article"].clone(),
    });
    urn
}
