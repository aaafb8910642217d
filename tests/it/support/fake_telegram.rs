//! A fake Telegram Bot API on 127.0.0.1 that checks what the Bot API checks: the token in the
//! path, the channel (`@name` or its id) and that the bot may post there, the text's length
//! (1–4096 UTF-16 units after entity parsing; HTML well-formed when `parse_mode` is HTML),
//! `link_preview_options` as an object; it answers the `{"ok", "result" | "error_code",
//! "description", "parameters"}` envelope, with `retry_after` on 429, and keeps
//! `message_id`s increasing per chat. A bot never sees its own posts again (no read-back).

#![allow(dead_code)]

use super::http::{serve, Reply, Request};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "7000001:AAbot-secret-token";
pub const CHANNEL: &str = "@blogchannel";
pub const CHANNEL_ID: i64 = -1_001_234_567_890;

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status with this body, sending nothing.
    Status(u16, String),
    /// Send the message, then drop the connection without answering.
    SendThenDrop,
}

#[derive(Debug, Clone)]
pub struct Sent {
    pub message_id: i64,
    pub text: String,
    pub preview_url: Option<String>,
}

pub struct State {
    pub sent: Vec<Sent>,
    pub faults: VecDeque<Fault>,
    /// Whether the bot is an administrator allowed to post.
    pub admin: bool,
    pub next_id: i64,
    pub requests: usize,
}

#[derive(Clone)]
pub struct FakeTelegram {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

/// The Bot API's failure envelope.
pub fn failure(code: u16, description: &str) -> Reply {
    Reply::json(
        code,
        json!({"ok": false, "error_code": code, "description": description}),
    )
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let state = Arc::new(Mutex::new(State {
            sent: vec![],
            faults: VecDeque::new(),
            admin: true,
            next_id: 100,
            requests: 0,
        }));
        let st = state.clone();
        let base = serve(move |req| handle(&st, req)).await;
        FakeTelegram { base, state }
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.state.lock().unwrap().sent.clone()
    }

    pub fn push_fault(&self, f: Fault) {
        self.state.lock().unwrap().faults.push_back(f);
    }
}

/// The text's length as Telegram counts it: UTF-16 code units.
pub fn telegram_length(text: &str) -> usize {
    text.encode_utf16().count()
}

fn handle(state: &Arc<Mutex<State>>, req: Request) -> Option<Reply> {
    state.lock().unwrap().requests += 1;
    let path = req.path();
    let Some(rest) = path.strip_prefix(&format!("/bot{TOKEN}/")) else {
        return Some(failure(401, "Unauthorized"));
    };
    let body = req.json().unwrap_or(json!({}));
    match rest {
        "getMe" => Some(Reply::json(
            200,
            json!({"ok": true, "result": {"id": 7000001, "is_bot": true, "first_name": "Blog", "username": "blog_encore_bot"}}),
        )),
        "getChat" => match chat_ok(&body) {
            Err(r) => Some(r),
            Ok(()) => Some(Reply::json(
                200,
                json!({"ok": true, "result": {"id": CHANNEL_ID, "type": "channel", "title": "The blog", "username": "blogchannel"}}),
            )),
        },
        "sendMessage" => send_message(state, &req, &body),
        _ => Some(failure(404, "Not Found")),
    }
}

fn chat_ok(body: &serde_json::Value) -> Result<(), Reply> {
    let chat = &body["chat_id"];
    let ok = chat.as_str() == Some(CHANNEL) || chat.as_i64() == Some(CHANNEL_ID);
    if ok {
        Ok(())
    } else {
        Err(failure(400, "Bad Request: chat not found"))
    }
}

fn send_message(
    state: &Arc<Mutex<State>>,
    req: &Request,
    body: &serde_json::Value,
) -> Option<Reply> {
    let mut s = state.lock().unwrap();
    if !req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        return Some(failure(400, "Bad Request: message text is empty"));
    }
    if let Err(r) = chat_ok(body) {
        return Some(r);
    }
    if !s.admin {
        return Some(failure(
            403,
            "Forbidden: bot is not a member of the channel chat",
        ));
    }
    let fault = s.faults.pop_front();
    if let Some(Fault::Status(code, body)) = &fault {
        return Some(Reply::bytes(
            *code,
            "application/json",
            body.clone().into_bytes(),
        ));
    }
    let Some(text) = body["text"].as_str() else {
        return Some(failure(400, "Bad Request: message text is empty"));
    };
    let shown = match body["parse_mode"].as_str() {
        None => text.to_string(),
        Some("HTML") => match strip_html(text) {
            Some(t) => t,
            None => {
                return Some(failure(
                    400,
                    "Bad Request: can't parse entities: Unsupported start tag",
                ))
            }
        },
        Some(_) => return Some(failure(400, "Bad Request: unsupported parse_mode")),
    };
    let len = telegram_length(&shown);
    if len == 0 || shown.trim().is_empty() {
        return Some(failure(400, "Bad Request: message text is empty"));
    }
    if len > 4096 {
        return Some(failure(400, "Bad Request: message is too long"));
    }
    let preview = &body["link_preview_options"];
    if !preview.is_null() && !preview.is_object() {
        return Some(failure(
            400,
            "Bad Request: can't parse link preview options JSON object",
        ));
    }
    s.next_id += 1;
    let sent = Sent {
        message_id: s.next_id,
        text: shown.clone(),
        preview_url: preview["url"].as_str().map(String::from),
    };
    s.sent.push(sent.clone());
    if let Some(Fault::SendThenDrop) = fault {
        return None;
    }
    Some(Reply::json(
        200,
        json!({"ok": true, "result": {
            "message_id": sent.message_id,
            "date": chrono::Utc::now().timestamp(),
            "chat": {"id": CHANNEL_ID, "type": "channel", "title": "The blog", "username": "blogchannel"},
            "text": shown,
        }}),
    ))
}

/// The text of HTML-mode input, or `None` when it is not what Telegram parses: a bare `<` or
/// `&` that starts no tag or known entity.
fn strip_html(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let end = rest.find('>')?;
            let tag = rest[1..end].trim_start_matches('/');
            if !["b", "i", "u", "s", "a", "code", "pre"]
                .iter()
                .any(|t| tag == *t || tag.starts_with(&format!("{t} ")))
            {
                return None;
            }
            rest = &rest[end + 1..];
        } else if c == '&' {
            let (entity, ch) = [
                ("&lt;", '<'),
                ("&gt;", '>'),
                ("&amp;", '&'),
                ("&quot;", '"'),
            ]
            .into_iter()
            .find(|(e, _)| rest.starts_with(e))?;
            out.push(ch);
            rest = &rest[entity.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Some(out)
}
