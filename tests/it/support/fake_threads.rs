//! A fake Threads API on 127.0.0.1 that checks what Meta checks: the bearer token (Graph error
//! 190 when unknown or expired), `media_type=TEXT` with a `text` of at most 500 characters
//! (graphemes, an emoji counted as its UTF-8 bytes), at most 5 distinct links
//! (`THREADS_API__LINK_LIMIT_EXCEEDED`), a `topic_tag` of 1–50 characters without `.` or `&`;
//! a container published before it is ready is refused (code 24, subcode 4279009); one already
//! published gives its post again; 250 publications a moving 24 hours
//! (`threads_publishing_limit` counts them); the profile's posts newest first; token refresh
//! only for a token at least 24 hours old.

#![allow(dead_code)]

use super::http::{serve, Reply, Request};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use unicode_segmentation::UnicodeSegmentation;

pub const TOKEN: &str = "th-long-lived-token";
pub const USER_ID: &str = "17841400000000001";

#[derive(Debug, Clone)]
pub enum Fault {
    /// Refuse the next container with this status and Graph error code.
    ContainerGraph(u16, i64),
    /// Answer the next publication with this status and Graph error code, doing nothing.
    Graph(u16, i64),
    /// Publish, then drop the connection without answering.
    PublishThenDrop,
}

#[derive(Debug, Clone)]
pub struct Post {
    pub id: String,
    pub text: String,
    pub link: Option<String>,
    pub topic_tag: Option<String>,
    pub at: DateTime<Utc>,
}

/// A container: its form, when it was made, the post it was published as.
pub type Container = (HashMap<String, String>, std::time::Instant, Option<String>);

pub struct State {
    pub posts: Vec<Post>,
    /// Container id → the container.
    pub containers: HashMap<String, Container>,
    pub faults: VecDeque<Fault>,
    /// Tokens accepted, each with when it ends.
    pub tokens: HashMap<String, DateTime<Utc>>,
    /// Whether a refresh is allowed (a token under 24 hours old is refused).
    pub refresh_allowed: bool,
    pub refreshes: usize,
    /// A container is ready this long after it was made.
    pub ready_after: std::time::Duration,
    pub quota_total: usize,
    pub next_id: u64,
    /// Every `n`th publication is answered only after the delay (the crash harness).
    pub slow: Option<(u64, std::time::Duration)>,
    pub slow_until: Option<std::time::Instant>,
    pub clock: Option<encore::ScaledClock>,
    /// Each post's (likes, replies, reposts, quotes), as the audience gave them.
    pub counts: HashMap<String, (u64, u64, u64, u64)>,
    /// Whether the token carries threads_manage_insights.
    pub insights_allowed: bool,
    pub insight_reads: usize,
}

impl State {
    pub fn now(&self) -> DateTime<Utc> {
        use encore::Clock;
        match &self.clock {
            Some(c) => c.now(),
            None => Utc::now(),
        }
    }
}

#[derive(Clone)]
pub struct FakeThreads {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

/// A Graph error. The app call limit (code 4) comes marked `is_transient: true`, as it is
/// seen in the wild: a client that retries transient errors at once only burns the limit.
fn graph(status: u16, code: i64, subcode: Option<i64>, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": {"message": message, "type": "OAuthException", "code": code,
                          "error_subcode": subcode, "fbtrace_id": "AbCdEf",
                          "is_transient": code == 4}}),
    )
}

/// Threads' count: graphemes, an emoji grapheme as its UTF-8 bytes.
pub fn threads_length(text: &str) -> usize {
    text.graphemes(true)
        .map(|g| {
            let emoji = g
                .chars()
                .any(|c| matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F));
            if emoji {
                g.len()
            } else {
                1
            }
        })
        .sum()
}

impl FakeThreads {
    pub async fn start() -> FakeThreads {
        let mut tokens = HashMap::new();
        tokens.insert(TOKEN.to_string(), Utc::now() + Duration::days(50));
        let state = Arc::new(Mutex::new(State {
            posts: vec![],
            containers: HashMap::new(),
            faults: VecDeque::new(),
            tokens,
            refresh_allowed: true,
            refreshes: 0,
            ready_after: std::time::Duration::ZERO,
            quota_total: 250,
            next_id: 18_000_000_000_000_000,
            slow: None,
            slow_until: None,
            clock: None,
            counts: HashMap::new(),
            insights_allowed: true,
            insight_reads: 0,
        }));
        let st = state.clone();
        let base = serve(move |req| handle(&st, req)).await;
        FakeThreads { base, state }
    }

    pub fn posts(&self) -> Vec<Post> {
        self.state.lock().unwrap().posts.clone()
    }

    pub fn push_fault(&self, f: Fault) {
        self.state.lock().unwrap().faults.push_back(f);
    }
}

fn handle(state: &Arc<Mutex<State>>, req: Request) -> Option<Reply> {
    let path = req.path();
    if path == "/refresh_access_token" {
        return refresh(state, &req);
    }
    let token = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(String::from)
        .or_else(|| req.query().get("access_token").cloned());
    {
        let s = state.lock().unwrap();
        let valid = token
            .as_ref()
            .and_then(|t| s.tokens.get(t))
            .is_some_and(|end| *end > Utc::now());
        if !valid {
            return Some(graph(
                400,
                190,
                Some(463),
                "Error validating access token: Session has expired",
            ));
        }
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .chain(req.query())
        .collect();
    let me = format!("/v1.0/{USER_ID}");
    match (req.method.as_str(), path.as_str()) {
        ("GET", "/v1.0/me") => Some(Reply::json(
            200,
            json!({"id": USER_ID, "username": "blog.threads"}),
        )),
        ("GET", "/v1.0/me/threads") => Some(list(state)),
        ("GET", p) if p == format!("{me}/threads_publishing_limit") => {
            let s = state.lock().unwrap();
            let day_ago = s.now() - Duration::hours(24);
            let used = s.posts.iter().filter(|p| p.at > day_ago).count();
            Some(Reply::json(
                200,
                json!({"data": [{"quota_usage": used, "config": {"quota_total": s.quota_total, "quota_duration": 86400}}]}),
            ))
        }
        ("POST", p) if p == format!("{me}/threads") => container(state, form),
        ("GET", p) if p.ends_with("/insights") => {
            let id = p.trim_start_matches("/v1.0/").trim_end_matches("/insights");
            Some(insights(state, id, form.get("metric")))
        }
        ("POST", p) if p == format!("{me}/threads_publish") => publish(state, &form),
        _ => Some(graph(400, 100, Some(33), "Unsupported request")),
    }
}

/// A post's lifetime counts, metric by metric; an unknown post is Graph's "does not exist".
fn insights(state: &Arc<Mutex<State>>, id: &str, metric: Option<&String>) -> Reply {
    let mut s = state.lock().unwrap();
    if !s.insights_allowed {
        return graph(
            400,
            10,
            None,
            "Application does not have permission for this action",
        );
    }
    s.insight_reads += 1;
    if !s.posts.iter().any(|p| p.id == id) {
        return graph(
            400,
            100,
            Some(33),
            "Unsupported get request. Object does not exist",
        );
    }
    let Some(metric) = metric else {
        return graph(400, 100, None, "The parameter metric is required");
    };
    let (likes, replies, reposts, quotes) = s.counts.get(id).copied().unwrap_or_default();
    let data: Vec<_> = metric
        .split(',')
        .map(|name| {
            let value = match name {
                "likes" => likes,
                "replies" => replies,
                "reposts" => reposts,
                "quotes" => quotes,
                _ => 0,
            };
            json!({"name": name, "period": "lifetime", "values": [{"value": value}],
                   "id": format!("{id}/insights/{name}/lifetime")})
        })
        .collect();
    Reply::json(200, json!({"data": data}))
}

fn refresh(state: &Arc<Mutex<State>>, req: &Request) -> Option<Reply> {
    let q = req.query();
    let mut s = state.lock().unwrap();
    let old = q.get("access_token").cloned().unwrap_or_default();
    let live = s.tokens.get(&old).is_some_and(|end| *end > Utc::now());
    if q.get("grant_type").map(String::as_str) != Some("th_refresh_token") || !live {
        return Some(graph(400, 190, None, "Error validating access token"));
    }
    if !s.refresh_allowed {
        return Some(graph(
            400,
            10,
            None,
            "Token must be at least 24 hours old to be refreshed",
        ));
    }
    s.refreshes += 1;
    let fresh = format!("th-refreshed-{}", s.refreshes);
    s.tokens
        .insert(fresh.clone(), Utc::now() + Duration::days(60));
    Some(Reply::json(
        200,
        json!({"access_token": fresh, "token_type": "bearer", "expires_in": 5_184_000}),
    ))
}

fn list(state: &Arc<Mutex<State>>) -> Reply {
    let s = state.lock().unwrap();
    let data: Vec<_> = s
        .posts
        .iter()
        .rev()
        .take(10)
        .map(|p| {
            json!({"id": p.id, "timestamp": p.at.format("%Y-%m-%dT%H:%M:%S%z").to_string(),
                   "text": p.text, "link_attachment_url": p.link})
        })
        .collect();
    Reply::json(200, json!({"data": data, "paging": {"cursors": {}}}))
}

fn container(state: &Arc<Mutex<State>>, form: HashMap<String, String>) -> Option<Reply> {
    let mut s = state.lock().unwrap();
    if let Some(Fault::ContainerGraph(status, code)) = s.faults.front().cloned() {
        s.faults.pop_front();
        return Some(graph(status, code, None, "fault injected"));
    }
    if form.get("media_type").map(String::as_str) != Some("TEXT") {
        return Some(graph(
            400,
            100,
            None,
            "The parameter media_type is required",
        ));
    }
    let Some(text) = form.get("text").filter(|t| !t.is_empty()) else {
        return Some(graph(
            400,
            100,
            None,
            "The parameter text is required for TEXT posts",
        ));
    };
    if threads_length(text) > 500 {
        return Some(graph(
            400,
            100,
            Some(2207050),
            "The post text is longer than 500 characters",
        ));
    }
    let mut links: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .collect();
    if let Some(l) = form.get("link_attachment") {
        links.push(l);
    }
    links.sort();
    links.dedup();
    if links.len() > 5 {
        return Some(graph(400, 100, None, "THREADS_API__LINK_LIMIT_EXCEEDED"));
    }
    if let Some(tag) = form.get("topic_tag") {
        let n = tag.chars().count();
        // A topic is named without the hash sign.
        if n == 0 || n > 50 || tag.contains(['.', '&']) || tag.starts_with('#') {
            return Some(graph(400, 100, None, "Invalid topic_tag"));
        }
    }
    s.next_id += 1;
    let id = format!("c{}", s.next_id);
    s.containers
        .insert(id.clone(), (form, std::time::Instant::now(), None));
    Some(Reply::json(200, json!({"id": id})))
}

fn publish(state: &Arc<Mutex<State>>, form: &HashMap<String, String>) -> Option<Reply> {
    let mut s = state.lock().unwrap();
    let not_found = || {
        graph(
            400,
            24,
            Some(4_279_009),
            "The requested resource does not exist",
        )
    };
    let Some(id) = form.get("creation_id").cloned() else {
        return Some(not_found());
    };
    let Some((c, made, published)) = s.containers.get(&id).cloned() else {
        return Some(not_found());
    };
    if let Some(post) = published {
        return Some(Reply::json(200, json!({"id": post})));
    }
    if made.elapsed() < s.ready_after {
        return Some(not_found());
    }
    let fault = match s.faults.front() {
        Some(Fault::PublishThenDrop) | Some(Fault::Graph(..)) => s.faults.pop_front(),
        _ => None,
    };
    if let Some(Fault::Graph(status, code)) = fault {
        return Some(graph(status, code, None, "fault injected"));
    }
    let day_ago = s.now() - Duration::hours(24);
    if s.posts.iter().filter(|p| p.at > day_ago).count() >= s.quota_total {
        return Some(graph(400, 4, None, "Application request limit reached"));
    }
    s.next_id += 1;
    let post = Post {
        id: s.next_id.to_string(),
        text: c.get("text").cloned().unwrap_or_default(),
        link: c.get("link_attachment").cloned(),
        topic_tag: c.get("topic_tag").cloned(),
        at: s.now(),
    };
    if let Some(entry) = s.containers.get_mut(&id) {
        entry.2 = Some(post.id.clone());
    }
    s.posts.push(post.clone());
    if let Some(Fault::PublishThenDrop) = fault {
        return None;
    }
    let delay = match s.slow {
        Some((n, d)) if n > 0 && (s.posts.len() as u64).is_multiple_of(n) => {
            s.slow_until = Some(std::time::Instant::now() + d);
            d
        }
        _ => std::time::Duration::ZERO,
    };
    Some(Reply::json(200, json!({"id": post.id})).delayed(delay))
}
