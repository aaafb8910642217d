//! A fake PDS (plus the AppView's getProfile) on 127.0.0.1 that checks what a PDS checks:
//! app-password login, access tokens that expire (`ExpiredToken`) and refresh tokens that are
//! used once and rotated, the `createRecord` body (repo, collection, TID rkey) and the
//! `app.bsky.feed.post` lexicon (text ≤ 300 graphemes and ≤ 3000 bytes, `createdAt`, facets
//! inside the text on UTF-8 boundaries, sorted and non-overlapping, link card fields, thumbnails
//! that were uploaded and are under 1,000,000 bytes), a second record at a taken key refused,
//! rate limits with epoch `RateLimit-Reset`. Faults can be queued for createRecord.

#![allow(dead_code)]

use super::http::{serve, Reply, Request};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use unicode_segmentation::UnicodeSegmentation;

pub const HANDLE: &str = "blog.example.org";
pub const DID: &str = "did:plc:fakeblog123456789abcdef";
pub const APP_PASSWORD: &str = "abcd-efgh-ijkl-mnop";

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer createRecord with this status and an XRPC error, creating nothing.
    Status(u16),
    /// Create the record, then close the connection without answering.
    CreateThenDrop,
    /// Create the record, then send half of the answer and close.
    CreateThenTruncate,
}

pub struct State {
    pub records: BTreeMap<String, Value>,
    pub blobs: HashMap<String, (String, usize)>,
    pub access: HashMap<String, DateTime<Utc>>,
    pub refresh: HashSet<String>,
    pub counter: u32,
    pub logins: u32,
    pub refreshes: u32,
    pub faults: VecDeque<Fault>,
    /// Record creations allowed before 429 (None: unlimited).
    pub rate_limit: Option<usize>,
    pub rate_reset: i64,
    /// Whether the AppView answers getProfile.
    pub appview_up: bool,
    pub posts_count_base: u64,
    /// Every request: (method, path).
    pub requests: Vec<(String, String)>,
    /// Lifetime of new access tokens.
    pub access_lifetime: chrono::Duration,
    /// Each post's (likes, reposts, replies, quotes) by record key, as the audience gave them.
    pub counts: HashMap<String, (u64, u64, u64, u64)>,
    /// getPosts calls allowed before 429 (None: unlimited), and calls made.
    pub read_limit: Option<usize>,
    pub reads: usize,
}

#[derive(Clone)]
pub struct FakeBluesky {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

fn xerr(status: u16, name: &str, message: &str) -> Option<Reply> {
    Some(Reply::json(
        status,
        json!({"error": name, "message": message}),
    ))
}

fn jwt(kind: &str, n: u32, exp: DateTime<Utc>) -> String {
    let b = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    format!(
        "{}.{}.sig{kind}{n}",
        b(&json!({"typ": if kind == "a" { "at+jwt" } else { "refresh+jwt" }, "alg": "HS256"})),
        b(
            &json!({"scope": "com.atproto.appPass", "sub": DID, "exp": exp.timestamp(), "jti": format!("{kind}{n}")})
        )
    )
}

const TID_CHARS: &str = "234567abcdefghijklmnopqrstuvwxyz";

fn valid_tid(s: &str) -> bool {
    s.len() == 13
        && "234567abcdefghij".contains(&s[..1])
        && s.chars().all(|c| TID_CHARS.contains(c))
}

impl FakeBluesky {
    pub async fn start() -> FakeBluesky {
        let state = Arc::new(Mutex::new(State {
            records: BTreeMap::new(),
            blobs: HashMap::new(),
            access: HashMap::new(),
            refresh: HashSet::new(),
            counter: 0,
            logins: 0,
            refreshes: 0,
            faults: VecDeque::new(),
            rate_limit: None,
            rate_reset: Utc::now().timestamp() + 600,
            appview_up: true,
            posts_count_base: 250,
            requests: vec![],
            access_lifetime: chrono::Duration::hours(2),
            counts: HashMap::new(),
            read_limit: None,
            reads: 0,
        }));
        let st = state.clone();
        let base = serve(move |req| handle(&st, req)).await;
        FakeBluesky { base, state }
    }

    pub fn posts(&self) -> Vec<(String, Value)> {
        self.state
            .lock()
            .unwrap()
            .records
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub fn push_fault(&self, f: Fault) {
        self.state.lock().unwrap().faults.push_back(f);
    }

    /// Every access token issued so far stops working (`ExpiredToken`).
    pub fn expire_access_tokens(&self) {
        let mut s = self.state.lock().unwrap();
        let past = Utc::now() - chrono::Duration::seconds(1);
        for exp in s.access.values_mut() {
            *exp = past;
        }
    }

    /// Every refresh token is revoked (as after 90 days, or a password change).
    pub fn revoke_refresh_tokens(&self) {
        self.state.lock().unwrap().refresh.clear();
    }

    pub fn logins(&self) -> u32 {
        self.state.lock().unwrap().logins
    }

    pub fn refreshes(&self) -> u32 {
        self.state.lock().unwrap().refreshes
    }

    pub fn requests_to(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|(_, p)| p == path)
            .count()
    }
}

fn issue(s: &mut State) -> Value {
    s.counter += 1;
    let access = jwt("a", s.counter, Utc::now() + s.access_lifetime);
    let refresh = jwt("r", s.counter, Utc::now() + chrono::Duration::days(90));
    s.access
        .insert(access.clone(), Utc::now() + s.access_lifetime);
    s.refresh.insert(refresh.clone());
    json!({"accessJwt": access, "refreshJwt": refresh, "handle": HANDLE, "did": DID, "active": true})
}

fn bearer(req: &Request) -> Option<String> {
    req.header("authorization")?
        .strip_prefix("Bearer ")
        .map(String::from)
}

/// The access token check every authenticated method makes.
fn authorise(s: &State, req: &Request) -> Result<(), Option<Reply>> {
    let Some(token) = bearer(req) else {
        return Err(xerr(401, "AuthRequired", "Authentication Required"));
    };
    match s.access.get(&token) {
        Some(exp) if *exp > Utc::now() => Ok(()),
        Some(_) => Err(xerr(400, "ExpiredToken", "Token has expired")),
        None => Err(xerr(401, "InvalidToken", "Token could not be verified")),
    }
}

fn handle(state: &Arc<Mutex<State>>, req: Request) -> Option<Reply> {
    let path = req.path();
    let mut s = state.lock().unwrap();
    s.requests.push((req.method.clone(), path.clone()));
    let nsid = path.strip_prefix("/xrpc/").unwrap_or("").to_string();
    match (req.method.as_str(), nsid.as_str()) {
        ("POST", "com.atproto.server.createSession") => {
            let body = req.json().unwrap_or(Value::Null);
            let id = body["identifier"].as_str().unwrap_or("");
            let pw = body["password"].as_str().unwrap_or("");
            s.logins += 1;
            if s.logins > 30 {
                return xerr(429, "RateLimitExceeded", "Rate Limit Exceeded");
            }
            if (id != HANDLE && id != DID) || pw != APP_PASSWORD {
                return xerr(
                    401,
                    "AuthenticationRequired",
                    "Invalid identifier or password",
                );
            }
            Some(Reply::json(200, issue(&mut s)))
        }
        ("POST", "com.atproto.server.refreshSession") => {
            let Some(token) = bearer(&req) else {
                return xerr(401, "AuthRequired", "Authentication Required");
            };
            // One use: the old refresh token is retired.
            if !s.refresh.remove(&token) {
                return xerr(400, "ExpiredToken", "Token has been revoked");
            }
            s.refreshes += 1;
            Some(Reply::json(200, issue(&mut s)))
        }
        ("GET", "com.atproto.server.getSession") => {
            if let Err(r) = authorise(&s, &req) {
                return r;
            }
            Some(Reply::json(
                200,
                json!({"handle": HANDLE, "did": DID, "active": true}),
            ))
        }
        ("POST", "com.atproto.repo.uploadBlob") => {
            if let Err(r) = authorise(&s, &req) {
                return r;
            }
            let mime = req.header("content-type").unwrap_or("").to_string();
            if req.body.is_empty() {
                return xerr(400, "InvalidRequest", "empty blob");
            }
            let cid = format!("bafkreifake{}", s.blobs.len());
            s.blobs.insert(cid.clone(), (mime.clone(), req.body.len()));
            Some(Reply::json(
                200,
                json!({"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": req.body.len()}}),
            ))
        }
        ("POST", "com.atproto.repo.createRecord") => {
            if let Err(r) = authorise(&s, &req) {
                return r;
            }
            create(&mut s, &req)
        }
        ("GET", "com.atproto.repo.getRecord") => {
            let q = req.query();
            if q.get("repo").map(String::as_str) != Some(DID)
                && q.get("repo").map(String::as_str) != Some(HANDLE)
            {
                return xerr(400, "InvalidRequest", "Could not find repo");
            }
            let rkey = q.get("rkey").cloned().unwrap_or_default();
            match s.records.get(&rkey) {
                Some(v) => Some(Reply::json(
                    200,
                    json!({"uri": format!("at://{DID}/app.bsky.feed.post/{rkey}"), "cid": "bafyreifake", "value": v}),
                )),
                None => xerr(
                    400,
                    "RecordNotFound",
                    &format!("Could not locate record: at://{DID}/app.bsky.feed.post/{rkey}"),
                ),
            }
        }
        ("GET", "com.atproto.repo.listRecords") => {
            let q = req.query();
            let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(50);
            if !(1..=100).contains(&limit) {
                return xerr(400, "InvalidRequest", "limit out of range");
            }
            let cursor = q.get("cursor").cloned();
            let page: Vec<(String, Value)> = s
                .records
                .iter()
                .rev()
                .filter(|(k, _)| cursor.as_ref().is_none_or(|c| k.as_str() < c.as_str()))
                .take(limit)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let next = (page.len() == limit)
                .then(|| page.last().map(|(k, _)| k.clone()))
                .flatten();
            let records: Vec<Value> = page
                .into_iter()
                .map(|(k, v)| json!({"uri": format!("at://{DID}/app.bsky.feed.post/{k}"), "cid": "bafyreifake", "value": v}))
                .collect();
            Some(Reply::json(
                200,
                json!({"records": records, "cursor": next}),
            ))
        }
        ("GET", "app.bsky.actor.getProfile") => {
            if !s.appview_up {
                return xerr(502, "UpstreamFailure", "AppView unavailable");
            }
            let actor = req.query().get("actor").cloned().unwrap_or_default();
            if actor != DID && actor != HANDLE {
                return xerr(400, "InvalidRequest", "Profile not found");
            }
            Some(Reply::json(
                200,
                json!({"did": DID, "handle": HANDLE, "postsCount": s.posts_count_base + s.records.len() as u64, "followersCount": 12}),
            ))
        }
        ("GET", "app.bsky.feed.getPosts") => get_posts(&mut s, &req),
        _ => xerr(501, "MethodNotImplemented", "Method Not Implemented"),
    }
}

/// The AppView's `app.bsky.feed.getPosts`: up to 25 `uris`, no login; a URI of a post that
/// does not exist (deleted) is left out of the answer, as the AppView does.
fn get_posts(s: &mut State, req: &Request) -> Option<Reply> {
    if s.read_limit.is_some_and(|l| s.reads >= l) {
        return Some(
            Reply::json(
                429,
                json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}),
            )
            .header("RateLimit-Remaining", "0")
            .header("RateLimit-Reset", &s.rate_reset.to_string()),
        );
    }
    s.reads += 1;
    let query = req.target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let uris: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "uris")
        .map(|(_, v)| v.into_owned())
        .collect();
    if uris.is_empty() || uris.len() > 25 {
        return xerr(
            400,
            "InvalidRequest",
            "uris must have between 1 and 25 items",
        );
    }
    let prefix = format!("at://{DID}/app.bsky.feed.post/");
    let posts: Vec<Value> = uris
        .iter()
        .filter_map(|uri| {
            let rkey = uri.strip_prefix(&prefix)?;
            s.records.get(rkey)?;
            let (l, r, c, q) = s.counts.get(rkey).copied().unwrap_or_default();
            Some(
                json!({"uri": uri, "cid": "bafyreifake", "author": {"did": DID, "handle": HANDLE},
                "record": {}, "likeCount": l, "repostCount": r, "replyCount": c, "quoteCount": q,
                "indexedAt": "2026-05-01T00:00:00Z"}),
            )
        })
        .collect();
    Some(Reply::json(200, json!({ "posts": posts })))
}

/// What the lexicon and the repository check on a new post.
fn validate(s: &State, record: &Value) -> Result<(), String> {
    if record["$type"] != "app.bsky.feed.post" {
        return Err(
            "Invalid app.bsky.feed.post record: Record/$type must be app.bsky.feed.post".into(),
        );
    }
    let text = record["text"]
        .as_str()
        .ok_or("Record must have the property \"text\"")?;
    if text.graphemes(true).count() > 300 {
        return Err(
            "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"
                .into(),
        );
    }
    if text.len() > 3000 {
        return Err("Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 characters".into());
    }
    let created = record["createdAt"]
        .as_str()
        .ok_or("Record must have the property \"createdAt\"")?;
    DateTime::parse_from_rfc3339(created)
        .map_err(|_| "Record/createdAt must be an valid atproto datetime")?;
    if let Some(langs) = record.get("langs") {
        let langs = langs.as_array().ok_or("Record/langs must be an array")?;
        if langs.len() > 3 || langs.iter().any(|l| !l.is_string()) {
            return Err("Record/langs must not have more than 3 elements".into());
        }
    }
    let mut last_end = 0;
    for f in record["facets"].as_array().cloned().unwrap_or_default() {
        let start = f["index"]["byteStart"]
            .as_u64()
            .ok_or("facet without byteStart")? as usize;
        let end = f["index"]["byteEnd"]
            .as_u64()
            .ok_or("facet without byteEnd")? as usize;
        if start >= end
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            return Err(format!("facet {start}..{end} is not a slice of the text"));
        }
        if start < last_end {
            return Err("facets overlap or are not sorted".into());
        }
        last_end = end;
        let features = f["features"].as_array().ok_or("facet without features")?;
        for feat in features {
            match feat["$type"].as_str() {
                Some("app.bsky.richtext.facet#link") => {
                    url::Url::parse(feat["uri"].as_str().unwrap_or(""))
                        .map_err(|_| "facet link uri is not a URI")?;
                }
                Some("app.bsky.richtext.facet#tag") => {
                    let tag = feat["tag"].as_str().unwrap_or("");
                    if tag.is_empty()
                        || tag.starts_with('#')
                        || tag.graphemes(true).count() > 64
                        || tag.len() > 640
                    {
                        return Err(format!("invalid tag {tag:?}"));
                    }
                }
                other => return Err(format!("unknown facet feature {other:?}")),
            }
        }
    }
    if let Some(embed) = record.get("embed") {
        if embed["$type"] != "app.bsky.embed.external" {
            return Err("unexpected embed".into());
        }
        let ext = &embed["external"];
        for k in ["uri", "title", "description"] {
            if !ext[k].is_string() {
                return Err(format!(
                    "Record/embed/external must have the property \"{k}\""
                ));
            }
        }
        if let Some(thumb) = ext.get("thumb") {
            let cid = thumb["ref"]["$link"].as_str().unwrap_or("");
            let Some((mime, size)) = s.blobs.get(cid) else {
                return Err("Could not find blob: thumb was never uploaded".into());
            };
            if !mime.starts_with("image/")
                || *size > 1_000_000
                || thumb["size"] != *size
                || thumb["mimeType"] != mime.as_str()
            {
                return Err(
                    "Record/embed/external/thumb: blob is not an image under 1000000 bytes".into(),
                );
            }
        }
    }
    Ok(())
}

fn create(s: &mut State, req: &Request) -> Option<Reply> {
    let body = req.json().unwrap_or(Value::Null);
    if body["repo"] != DID && body["repo"] != HANDLE {
        return xerr(400, "InvalidRequest", "Could not find repo");
    }
    if body["collection"] != "app.bsky.feed.post" {
        return xerr(400, "InvalidRequest", "unexpected collection");
    }
    let rkey = body["rkey"].as_str().unwrap_or("").to_string();
    if !valid_tid(&rkey) {
        return xerr(400, "InvalidRequest", "Invalid record key");
    }
    let fault = s.faults.pop_front();
    if let Some(Fault::Status(code)) = fault {
        return xerr(code, "InternalServerError", "fault injected");
    }
    if let Some(limit) = s.rate_limit {
        if limit == 0 {
            let reset = s.rate_reset.to_string();
            return Some(
                Reply::json(
                    429,
                    json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}),
                )
                .header("RateLimit-Limit", "5000")
                .header("RateLimit-Remaining", "0")
                .header("RateLimit-Reset", &reset)
                .header("RateLimit-Policy", "5000;w=3600"),
            );
        }
        s.rate_limit = Some(limit - 1);
    }
    if s.records.contains_key(&rkey) {
        // What the reference PDS's MST does on a taken key: an internal error.
        return xerr(
            500,
            "InternalServerError",
            &format!("There is already a value at key: app.bsky.feed.post/{rkey}"),
        );
    }
    if let Err(why) = validate(s, &body["record"]) {
        return xerr(400, "InvalidRequest", &why);
    }
    s.records.insert(rkey.clone(), body["record"].clone());
    if let Some(Fault::CreateThenDrop) = fault {
        return None;
    }
    let cut = match fault {
        Some(Fault::CreateThenTruncate) => 30,
        _ => usize::MAX,
    };
    Some(
        Reply::json(
            200,
            json!({"uri": format!("at://{DID}/app.bsky.feed.post/{rkey}"), "cid": "bafyreifake", "validationStatus": "valid"}),
        )
        .truncated(cut)
        .header("RateLimit-Limit", "5000")
        .header("RateLimit-Remaining", "4997")
        .header("RateLimit-Reset", &s.rate_reset.to_string()),
    )
}
