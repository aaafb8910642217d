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
            return Err(CallError::NotSent(crate::http::describe(e)))
        }
        Err(e) => return Err(CallError::Ambiguous(crate::http::describe(e))),
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .bytes()
        .await
        .map_err(|e| CallError::Ambiguous(crate::http::describe(e)))?;
    Ok(Answer {
        status,
        headers,
        body: body.to_vec(),
    })
}

/// An API endpoint: `path` (fixed and relative) under `base`, which the config guarantees ends
/// with '/'. Falls back to the base itself rather than fail: a fixed path always joins.
pub(crate) fn endpoint(base: &url::Url, path: &str) -> url::Url {
    base.join(path).unwrap_or_else(|_| base.clone())
}

/// A header's value as text, when present and readable.
pub(crate) fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// What one attempt at a call came to, sorted by what the caller does next.
pub(crate) enum Attempt {
    /// 2xx: the answer to read.
    Accepted(Answer),
    /// The network answered with a refusal that settles it (as `classify` reads it); a
    /// caller may still read it in context (a duplicate after a lost answer, a taken key).
    Refused(PostError),
    /// The call never started (a token could not be renewed): returned as it is.
    Blocked(PostError),
    /// Worth another attempt: a server failure or no answer. `ambiguous` when the request may
    /// have been processed (5xx, timeout, dropped connection), not when it surely did not
    /// arrive (connection refused).
    Failed {
        /// Whether the request may have been processed.
        ambiguous: bool,
        /// What happened, for the log and the final error.
        why: String,
    },
}

/// Sorts a call's result; `classify` reads a non-2xx answer (`None`: a server failure) and
/// `describe` says what a server failure was.
pub(crate) fn judge(
    result: Result<Answer, CallError>,
    classify: impl Fn(&Answer) -> Option<PostError>,
    describe: impl Fn(&Answer) -> String,
) -> Attempt {
    match result {
        Ok(a) if a.status.is_success() => Attempt::Accepted(a),
        Ok(a) => match classify(&a) {
            Some(e) => Attempt::Refused(e),
            None => Attempt::Failed {
                ambiguous: true,
                why: describe(&a),
            },
        },
        Err(CallError::Answered(e)) => Attempt::Blocked(e),
        Err(CallError::Ambiguous(why)) => Attempt::Failed {
            ambiguous: true,
            why,
        },
        Err(CallError::NotSent(why)) => Attempt::Failed {
            ambiguous: false,
            why,
        },
    }
}

/// A read-only call's body as `T`. A refusal becomes what `classify` makes of it, and a
/// server failure or a call that got no answer becomes "retry later": reads are never
/// ambiguous, they change nothing.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    result: Result<Answer, CallError>,
    network: &str,
    classify: impl Fn(&Answer) -> Option<PostError>,
    describe: impl Fn(&Answer) -> String,
) -> Result<T, PostError> {
    match judge(result, classify, describe) {
        Attempt::Accepted(a) => {
            serde_json::from_slice(&a.body).map_err(|e| PostError::RetryLater {
                reason: format!("unexpected answer from {network}: {e}"),
                until: None,
            })
        }
        Attempt::Refused(e) | Attempt::Blocked(e) => Err(e),
        Attempt::Failed { why, .. } => Err(PostError::RetryLater {
            reason: why,
            until: None,
        }),
    }
}

/// An answer built by hand, for the networks' unit tests.
#[cfg(test)]
pub(crate) fn test_answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut h = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        h.insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("test header name"),
            v.parse().expect("test header value"),
        );
    }
    Answer {
        status: reqwest::StatusCode::from_u16(status).expect("test status"),
        headers: h,
        body: body.as_bytes().to_vec(),
    }
}

/// How a post ends when every attempt failed. `looked` is what a look at the account found,
/// taken when some failure was ambiguous (`None` when each surely happened before the request
/// arrived): the post found there is a success; an account that cannot be read leaves the
/// outcome unknown; otherwise the slot is given up.
pub(crate) fn gave_up(
    network: &str,
    attempts: u32,
    last: &str,
    looked: Option<Result<Option<super::Receipt>, PostError>>,
) -> Result<super::Receipt, PostError> {
    match looked {
        Some(Ok(Some(r))) => Ok(r),
        Some(Err(e)) => Err(PostError::Unknown {
            reason: format!("{last}; whether the post went out could not be checked ({e})"),
        }),
        Some(Ok(None)) | None => Err(PostError::Unavailable {
            reason: format!("{network} unavailable after {attempts} attempts: {last}"),
        }),
    }
}
