//! Telegram channels: a bot posts with `sendMessage`.
//!
//! Facts this module relies on, confirmed in the Bot API reference (core.telegram.org/bots/api,
//! as quoted by teloxide-core 0.13 `payloads/send_message.rs` and python-telegram-bot 20.8):
//! - `POST https://api.telegram.org/bot<token>/sendMessage`, JSON body; `chat_id` is the
//!   channel's `@username` or its numeric id; `text` is "1-4096 characters after entities
//!   parsing"; `link_preview_options` (Bot API 7.0) replaces `disable_web_page_preview` and
//!   takes the `url` to preview.
//! - Every answer is `{"ok": true, "result": Message}` or `{"ok": false, "error_code",
//!   "description", "parameters": {"retry_after": seconds}}`; 429 carries `retry_after`.
//! - There is no post count (`getChat` has none) and no way for a bot to read back the messages
//!   it sent, so nothing can tell after a lost answer whether the message went out.
//!
//! So: the text goes without `parse_mode` (plain text has no entities to break, whatever the
//! title holds: `<`, `&`, `*` arrive as written, and Telegram still links URLs and hashtags);
//! its length is counted in UTF-16 units, as the Bot API counts entity offsets. A request that
//! may have reached Telegram and got no answer is never resent ([`Resend::Never`]): it is
//! recorded as "unknown", because a double post is worse than a missing one. An answer with
//! `"ok": false` is Telegram saying the method failed: nothing was sent, and it may be retried.

use super::call::{read_json, send, Answer, CallError, RetryPolicy};
use super::deliver::{deliver, Delivery, Resend};
use super::{AccountInfo, BoxFuture, Network, Outgoing, PostError, Receipt};
use crate::config::secret::Secret;
use crate::config::TelegramSettings;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;
use std::time::Duration as StdDuration;

/// One channel, posted to by one bot.
pub struct TelegramNetwork {
    account: String,
    api_base: url::Url,
    token: Secret,
    chat: String,
    http: reqwest::Client,
    retry: RetryPolicy,
}

/// Why a Telegram account could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The bot token could not be read.
    #[error("`bot_token`: {0}")]
    Secret(#[from] crate::config::secret::SecretError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
}

/// The Bot API's envelope.
#[derive(Deserialize)]
struct Envelope<T> {
    ok: bool,
    result: Option<T>,
    description: Option<String>,
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<i64>,
}

#[derive(Deserialize)]
struct Message {
    message_id: i64,
    date: Option<i64>,
}

#[derive(Deserialize)]
struct Bot {
    username: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    title: Option<String>,
    username: Option<String>,
    #[serde(rename = "type")]
    kind: String,
}

/// The Bot API's `description`, or the status when the body is not the API's.
fn error_text(a: &Answer) -> String {
    match serde_json::from_slice::<Envelope<serde_json::Value>>(&a.body) {
        Ok(Envelope {
            description: Some(d),
            ..
        }) => format!("HTTP {}: {d}", a.status.as_u16()),
        _ => format!("HTTP {}", a.status.as_u16()),
    }
}

/// What an answer other than 2xx means for the post; `None`: a server failure worth retrying.
pub(crate) fn classify(a: &Answer, now: DateTime<Utc>) -> Option<PostError> {
    let reason = error_text(a);
    match a.status.as_u16() {
        401 | 404 => Some(PostError::StopAccount {
            reason: format!(
                "{reason}: the bot token is wrong or revoked; ask @BotFather for the token"
            ),
        }),
        403 => Some(PostError::StopAccount {
            reason: format!(
                "{reason}: make the bot an administrator of the channel, allowed to post messages"
            ),
        }),
        400 if reason.contains("chat not found") => Some(PostError::StopAccount {
            reason: format!(
                "{reason}: check `chat` (\"@channelname\" of a public channel, or its -100… id)"
            ),
        }),
        429 => {
            let wait = serde_json::from_slice::<Envelope<serde_json::Value>>(&a.body)
                .ok()
                .and_then(|e| e.parameters)
                .and_then(|p| p.retry_after)
                .unwrap_or(60);
            Some(PostError::RetryLater {
                reason: format!("{reason}: rate limited"),
                until: Some(now + Duration::seconds(wait.clamp(1, 86_400))),
            })
        }
        500..=599 => None,
        _ => Some(PostError::SkipArticle { reason }),
    }
}

/// Whether the body is the Bot API's own failure (`"ok": false`): the method did not run.
fn api_said_no(a: &Answer) -> bool {
    serde_json::from_slice::<Envelope<serde_json::Value>>(&a.body).is_ok_and(|e| !e.ok)
}

impl TelegramNetwork {
    /// Reads the bot token and prepares the client.
    pub fn new(
        account: &str,
        settings: &TelegramSettings,
        timeout: StdDuration,
    ) -> Result<TelegramNetwork, SetupError> {
        Ok(TelegramNetwork {
            account: account.to_string(),
            api_base: settings.api_base.clone(),
            token: settings.bot_token.resolve()?,
            chat: settings.chat.clone(),
            http: crate::http::client(timeout).map_err(|e| SetupError::Http(e.to_string()))?,
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> TelegramNetwork {
        self.retry = retry;
        self
    }

    /// A method's URL: the token is a path segment, so this URL never reaches a log or an error
    /// (`call::send` and `http::describe` leave URLs out). `./` first: a token holds a colon,
    /// and `bot123:AA…` alone would read as a URL of scheme `bot123`.
    fn method(&self, name: &str) -> url::Url {
        super::call::endpoint(
            &self.api_base,
            &format!("./bot{}/{name}", self.token.expose()),
        )
    }

    fn chat_id(&self) -> serde_json::Value {
        match self.chat.parse::<i64>() {
            Ok(id) => serde_json::Value::from(id),
            Err(_) => serde_json::Value::from(self.chat.clone()),
        }
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        body: serde_json::Value,
    ) -> Result<T, PostError> {
        let req = self.http.post(self.method(name)).json(&body);
        let envelope: Envelope<T> = read_json(
            send(req).await,
            "Telegram",
            |a| classify(a, Utc::now()),
            error_text,
        )?;
        envelope.result.ok_or_else(|| PostError::RetryLater {
            reason: "Telegram answered ok without a result".into(),
            until: None,
        })
    }

    async fn who(&self) -> Result<AccountInfo, PostError> {
        let bot: Bot = self.call("getMe", serde_json::json!({})).await?;
        let chat: Chat = self
            .call("getChat", serde_json::json!({ "chat_id": self.chat_id() }))
            .await?;
        if chat.kind != "channel" {
            tracing::warn!(account = %self.account, "`chat` {} is a {}, not a channel", self.chat, chat.kind);
        }
        let name = chat
            .username
            .map(|u| format!("@{u}"))
            .or(chat.title)
            .unwrap_or_else(|| self.chat.clone());
        Ok(AccountInfo {
            handle: format!(
                "{name} (bot @{})",
                bot.username.unwrap_or_else(|| "?".into())
            ),
            post_count: None,
        })
    }
}

/// One message to the channel, as the post loop sends it.
struct TelegramPost<'a> {
    telegram: &'a TelegramNetwork,
    body: serde_json::Value,
}

impl Delivery for TelegramPost<'_> {
    fn network(&self) -> &'static str {
        "Telegram"
    }

    fn account(&self) -> &str {
        &self.telegram.account
    }

    /// A bot cannot read its channel back: what may have landed is never sent again.
    fn resend(&self) -> Resend {
        Resend::Never
    }

    async fn attempt(&self) -> Result<Answer, CallError> {
        let t = self.telegram;
        send(t.http.post(t.method("sendMessage")).json(&self.body)).await
    }

    fn classify(&self, a: &Answer) -> Option<PostError> {
        classify(a, Utc::now())
    }

    fn describe(&self, a: &Answer) -> String {
        error_text(a)
    }

    fn not_processed(&self, a: &Answer) -> bool {
        api_said_no(a)
    }

    fn receipt(&self, a: &Answer) -> Result<Receipt, String> {
        let e: Envelope<Message> = serde_json::from_slice(&a.body).map_err(|e| e.to_string())?;
        let m = e
            .result
            .filter(|_| e.ok)
            .ok_or("no message in the answer")?;
        Ok(Receipt {
            post_id: m.message_id.to_string(),
            at: m
                .date
                .and_then(|d| Utc.timestamp_opt(d, 0).single())
                .unwrap_or_else(Utc::now),
        })
    }

    /// Never called ([`Resend::Never`]); says why if it ever is.
    async fn look(&self) -> Result<Option<Receipt>, PostError> {
        Err(PostError::Unknown {
            reason: "a Telegram bot cannot read its channel back".into(),
        })
    }
}

impl Network for TelegramNetwork {
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(async move {
            let body = serde_json::json!({
                "chat_id": self.chat_id(),
                "text": out.message.text,
                "link_preview_options": { "is_disabled": false, "url": out.url },
            });
            let post = TelegramPost {
                telegram: self,
                body,
            };
            deliver(&post, self.retry).await
        })
    }

    fn verify(&self) -> BoxFuture<'_, Result<AccountInfo, PostError>> {
        Box::pin(self.who())
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
                &[],
                r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}"#,
            ),
            now,
        );
        assert_eq!(
            e,
            Some(PostError::RetryLater {
                reason: "HTTP 429: Too Many Requests: retry after 35: rate limited".into(),
                until: Some(now + Duration::seconds(35)),
            })
        );
        let e = classify(
            &answer(
                403,
                &[],
                r#"{"ok":false,"error_code":403,"description":"Forbidden: bot is not a member of the channel chat"}"#,
            ),
            now,
        );
        assert!(matches!(e, Some(PostError::StopAccount { .. })), "{e:?}");
        let e = classify(
            &answer(
                400,
                &[],
                r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
            ),
            now,
        );
        assert!(matches!(e, Some(PostError::StopAccount { .. })), "{e:?}");
        let e = classify(
            &answer(
                400,
                &[],
                r#"{"ok":false,"error_code":400,"description":"Bad Request: message is too long"}"#,
            ),
            now,
        );
        assert!(matches!(e, Some(PostError::SkipArticle { .. })), "{e:?}");
        let gateway = answer(502, &[], "<html>Bad Gateway</html>");
        assert_eq!(classify(&gateway, now), None);
        assert!(!api_said_no(&gateway));
        assert!(api_said_no(&answer(
            500,
            &[],
            r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#
        )));
    }
}
