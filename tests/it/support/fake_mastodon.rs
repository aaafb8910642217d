//! A fake Mastodon instance on 127.0.0.1 that checks what Mastodon checks: the bearer token,
//! the JSON body of POST /api/v1/statuses (status, visibility, language), the instance's own
//! length limit (graphemes, each link counted as `characters_reserved_per_url`),
//! Idempotency-Key replay (the same status comes back, nothing new is made), rate limits with
//! ISO 8601 `X-RateLimit-Reset`. Faults can be queued: a status code, or creating the status
//! and dropping the connection before answering.

#![allow(dead_code)]

use super::http::{serve, Reply, Request};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use unicode_segmentation::UnicodeSegmentation;

pub const TOKEN: &str = "masto-user-token";
pub const ACCOUNT_ID: &str = "109876543210";
pub const USERNAME: &str = "blog";

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and `{"error"}`, creating nothing.
    Status(u16),
    /// Create the status, then close the connection without answering.
    CreateThenDrop,
    /// Create the status, then send half of the answer and close.
    CreateThenTruncate,
}

#[derive(Debug, Clone)]
pub struct Status {
    pub id: String,
    pub text: String,
    pub visibility: String,
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
}

pub struct State {
    pub statuses: Vec<Status>,
    pub keys: HashMap<String, String>,
    pub faults: VecDeque<Fault>,
    pub max_characters: usize,
    pub url_len: usize,
    /// Statuses allowed before 429 (None: unlimited), and when the window resets.
    pub rate_limit: Option<usize>,
    pub rate_reset: DateTime<Utc>,
    pub statuses_count_base: u64,
    /// Every request: (method, target, Idempotency-Key).
    pub requests: Vec<(String, String, Option<String>)>,
    pub next_id: u64,
    /// Every `n`th status is made at once but answered only after the delay (a slow instance:
    /// the crash harness kills the client in that window).
    pub slow: Option<(u64, std::time::Duration)>,
    /// When the last slow answer goes out: a client killed before then died mid-request.
    pub slow_until: Option<std::time::Instant>,
    /// The fast clock of the daemon under test (`encore run --test-clock`), so that
    /// `created_at` is in the daemon's time.
    pub clock: Option<encore::ScaledClock>,
    /// Each status's (favourites, reblogs, replies), as the audience gave them.
    pub counts: HashMap<String, (u64, u64, u64)>,
    /// Statuses deleted since they were posted: 404 to a read.
    pub deleted: std::collections::HashSet<String>,
    /// Reads of a status allowed before 429 (None: unlimited), and reads made.
    pub read_limit: Option<usize>,
    pub reads: usize,
}

impl State {
    /// The instance's "now": the shared fast clock's when one is set.
    pub fn now(&self) -> DateTime<Utc> {
        use encore::Clock;
        match &self.clock {
            Some(c) => c.now(),
            None => Utc::now(),
        }
    }
}

#[derive(Clone)]
pub struct FakeMastodon {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

/// The instance's count: graphemes, every http(s) link as `url_len`.
pub fn mastodon_length(text: &str, url_len: usize) -> usize {
    text.split(' ')
        .map(|w| {
            if w.starts_with("http://") || w.starts_with("https://") {
                url_len
            } else {
                w.graphemes(true).count()
            }
        })
        .sum::<usize>()
        + text.matches(' ').count()
}

fn error(status: u16, msg: &str) -> Option<Reply> {
    Some(Reply::json(status, json!({ "error": msg })))
}

impl FakeMastodon {
    pub async fn start() -> FakeMastodon {
        let state = Arc::new(Mutex::new(State {
            statuses: vec![],
            keys: HashMap::new(),
            faults: VecDeque::new(),
            max_characters: 500,
            url_len: 23,
            rate_limit: None,
            rate_reset: Utc::now() + chrono::Duration::minutes(30),
            statuses_count_base: 4000,
            requests: vec![],
            next_id: 113_000_000_000_000_000,
            slow: None,
            slow_until: None,
            clock: None,
            counts: HashMap::new(),
            deleted: Default::default(),
            read_limit: None,
            reads: 0,
        }));
        let st = state.clone();
        let base = serve(move |req| handle(&st, req)).await;
        FakeMastodon { base, state }
    }

    pub fn statuses(&self) -> Vec<Status> {
        self.state.lock().unwrap().statuses.clone()
    }

    pub fn push_fault(&self, f: Fault) {
        self.state.lock().unwrap().faults.push_back(f);
    }

    pub fn set_limits(&self, max: usize, url_len: usize) {
        let mut s = self.state.lock().unwrap();
        s.max_characters = max;
        s.url_len = url_len;
    }

    /// Idempotency keys of every POST /api/v1/statuses, in order.
    pub fn post_keys(&self) -> Vec<Option<String>> {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|(m, t, _)| m == "POST" && t == "/api/v1/statuses")
            .map(|(_, _, k)| k.clone())
            .collect()
    }
}

fn html(text: &str) -> String {
    let words: Vec<String> = text
        .split(' ')
        .map(|w| {
            let esc = html_escape::encode_double_quoted_attribute(w).into_owned();
            if w.starts_with("http") {
                format!(r#"<a href="{esc}" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">{}</span></a>"#, html_escape::encode_text(&w.chars().skip(8).take(30).collect::<String>()))
            } else {
                html_escape::encode_text(w).into_owned()
            }
        })
        .collect();
    format!("<p>{}</p>", words.join(" "))
}

fn status_json(s: &Status, base: &str) -> serde_json::Value {
    json!({
        "id": s.id,
        "created_at": s.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "visibility": s.visibility,
        "language": s.language,
        "url": format!("{base}/@{USERNAME}/{}", s.id),
        "content": html(&s.text),
        "reblog": null,
        "card": null,
    })
}

fn handle(state: &Arc<Mutex<State>>, req: Request) -> Option<Reply> {
    let key = req.header("idempotency-key").map(String::from);
    state
        .lock()
        .unwrap()
        .requests
        .push((req.method.clone(), req.target.clone(), key.clone()));
    let path = req.path();
    if req.method == "GET" && path == "/api/v2/instance" {
        let s = state.lock().unwrap();
        return Some(Reply::json(
            200,
            json!({
                "domain": "fake.social",
                "version": "4.3.0",
                "configuration": {"statuses": {
                    "max_characters": s.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": s.url_len,
                }},
            }),
        ));
    }
    if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return error(401, "The access token is invalid");
    }
    match (req.method.as_str(), path.as_str()) {
        ("POST", "/api/v1/statuses") => create(state, &req, key),
        ("GET", "/api/v1/accounts/verify_credentials") => {
            let s = state.lock().unwrap();
            Some(Reply::json(
                200,
                json!({
                    "id": ACCOUNT_ID,
                    "username": USERNAME,
                    "acct": USERNAME,
                    "statuses_count": s.statuses_count_base + s.statuses.len() as u64,
                    "last_status_at": "2026-05-01",
                }),
            ))
        }
        ("GET", p) if p == format!("/api/v1/accounts/{ACCOUNT_ID}/statuses") => {
            let q = req.query();
            let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
            if limit > 40 {
                return error(422, "limit too large");
            }
            let s = state.lock().unwrap();
            let base = "https://fake.social";
            let list: Vec<_> = s
                .statuses
                .iter()
                .rev()
                .take(limit)
                .map(|st| status_json(st, base))
                .collect();
            Some(Reply::json(200, serde_json::Value::Array(list)))
        }
        ("GET", p) if p.starts_with("/api/v1/statuses/") => {
            read_status(state, &p["/api/v1/statuses/".len()..])
        }
        _ => error(404, "Record not found"),
    }
}

/// `GET /api/v1/statuses/:id`: the status with its counts, as Mastodon gives them; 404 for a
/// deleted or unknown status; 429 with `X-RateLimit-Reset` past the read limit.
fn read_status(state: &Arc<Mutex<State>>, id: &str) -> Option<Reply> {
    let mut s = state.lock().unwrap();
    if s.read_limit.is_some_and(|l| s.reads >= l) {
        let reset = s.rate_reset.to_rfc3339();
        return Some(
            Reply::json(429, json!({"error": "Too many requests"}))
                .header("X-RateLimit-Remaining", "0")
                .header("X-RateLimit-Reset", &reset),
        );
    }
    s.reads += 1;
    if s.deleted.contains(id) {
        return error(404, "Record not found");
    }
    let Some(st) = s.statuses.iter().find(|st| st.id == id) else {
        return error(404, "Record not found");
    };
    let mut body = status_json(st, "https://fake.social");
    let (f, r, c) = s.counts.get(id).copied().unwrap_or_default();
    body["favourites_count"] = json!(f);
    body["reblogs_count"] = json!(r);
    body["replies_count"] = json!(c);
    Some(Reply::json(200, body))
}

fn create(state: &Arc<Mutex<State>>, req: &Request, key: Option<String>) -> Option<Reply> {
    let mut s = state.lock().unwrap();
    if !req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return error(422, "Validation failed: Text can't be blank");
    }
    // A known key: the status it made, nothing new (Mastodon keeps keys for an hour).
    if let Some(k) = &key {
        if let Some(id) = s.keys.get(k).cloned() {
            let st = s.statuses.iter().find(|x| x.id == id).cloned()?;
            return Some(Reply::json(200, status_json(&st, "https://fake.social")));
        }
    }
    let fault = s.faults.pop_front();
    if let Some(Fault::Status(code)) = fault {
        return error(code, "fault injected");
    }
    if let Some(limit) = s.rate_limit {
        if limit == 0 {
            let reset = s
                .rate_reset
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            return Some(
                Reply::json(429, json!({"error": "Too many requests"}))
                    .header("X-RateLimit-Limit", "300")
                    .header("X-RateLimit-Remaining", "0")
                    .header("X-RateLimit-Reset", &reset),
            );
        }
        s.rate_limit = Some(limit - 1);
    }
    let body = req.json()?;
    let Some(text) = body.get("status").and_then(|t| t.as_str()) else {
        return error(422, "Validation failed: Text can't be blank");
    };
    if text.trim().is_empty() {
        return error(422, "Validation failed: Text can't be blank");
    }
    let visibility = body
        .get("visibility")
        .and_then(|v| v.as_str())
        .unwrap_or("public")
        .to_string();
    if !["public", "unlisted", "private", "direct"].contains(&visibility.as_str()) {
        return error(
            422,
            "Validation failed: Visibility is not included in the list",
        );
    }
    let language = body
        .get("language")
        .and_then(|v| v.as_str())
        .map(String::from);
    if language.as_ref().is_some_and(|l| l.len() != 2) {
        return error(
            422,
            "Validation failed: Language is not a valid ISO 639-1 code",
        );
    }
    let len = mastodon_length(text, s.url_len);
    if len > s.max_characters {
        return error(
            422,
            &format!(
                "Validation failed: Text character limit of {} exceeded",
                s.max_characters
            ),
        );
    }
    s.next_id += 1;
    let st = Status {
        id: s.next_id.to_string(),
        text: text.to_string(),
        visibility,
        language,
        created_at: s.now(),
        idempotency_key: key.clone(),
    };
    if let Some(k) = key {
        s.keys.insert(k, st.id.clone());
    }
    s.statuses.push(st.clone());
    if let Some(Fault::CreateThenDrop) = fault {
        return None;
    }
    let delay = match s.slow {
        Some((n, d)) if n > 0 && (s.statuses.len() as u64).is_multiple_of(n) => {
            s.slow_until = Some(std::time::Instant::now() + d);
            d
        }
        _ => std::time::Duration::ZERO,
    };
    let cut = match fault {
        Some(Fault::CreateThenTruncate) => 40,
        _ => usize::MAX,
    };
    Some(
        Reply::json(200, status_json(&st, "https://fake.social"))
            .truncated(cut)
            .delayed(delay)
            .header("X-RateLimit-Limit", "300")
            .header("X-RateLimit-Remaining", "299")
            .header(
                "X-RateLimit-Reset",
                &s.rate_reset
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
    )
}
