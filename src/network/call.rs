//! What every network's API calls share: telling "the server answered" from "nobody knows
//! whether the request was processed", and waiting patiently between attempts.
//!
//! The difference decides whether sending again can double-post: a status code is an answer;
//! a timeout or a dropped connection after the request left is not.

use super::PostError;
use std::time::Duration;

/// How often and how patiently a server-side failure is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Delay before the first retry; doubled each time, with up to 50% random jitter added.
    pub base_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Attempts in all (at least one, whatever a test sets).
    pub fn attempts(&self) -> u32 {
        self.attempts.max(1)
    }

    /// Sleeps before attempt `attempt` (2 for the first retry), saying why in the log.
    /// Exponential with jitter, so that many daemons hit by one outage do not retry in step.
    pub async fn wait(&self, attempt: u32, account: &str, network: &str, last: &str) {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(2));
        let base = self.base_delay.saturating_mul(factor);
        let jitter = base.mul_f64(rand::random::<f64>() * 0.5);
        tracing::info!(
            account = %account,
            "{network} failed ({last}); retry {}/{} in {:.1}s",
            attempt - 1,
            self.attempts() - 1,
            (base + jitter).as_secs_f64()
        );
        tokio::time::sleep(base + jitter).await;
    }
}

/// What the server said.
pub(crate) struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// A call that got no usable answer.
pub(crate) enum CallError {
    /// The network answered, and the answer settles it (or the call never started: a token
    /// could not be renewed).
    Answered(PostError),
    /// 5xx-free silence: timeout or dropped connection after the request left. It may have
    /// been processed.
    Ambiguous(String),
    /// The request surely did not reach the server (connection refused, DNS).
    NotSent(String),
}

/// Sends a request and reads the whole answer. Error texts never carry the URL (it may hold
/// a query a user would not want in logs).
pub(crate) async fn send(req: reqwest::RequestBuilder) -> Result<Answer, CallError> {
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) if e.is_connect() || e.is_builder() => {
            return Err(CallError::NotSent(e.without_url().to_string()))
        }
        Err(e) => return Err(CallError::Ambiguous(e.without_url().to_string())),
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .bytes()
        .await
        .map_err(|e| CallError::Ambiguous(e.without_url().to_string()))?;
    Ok(Answer {
        status,
        headers,
        body: body.to_vec(),
    })
}

/// A header's value as text, when present and readable.
pub(crate) fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}
