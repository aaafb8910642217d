//! What each answer of X's API means for Encore.
//!
//! Pure functions over status, headers and body, so every case is unit-tested without a
//! server. X speaks two error dialects: RFC 7807 problems (`type`, `title`, `detail`) and the
//! legacy `{"errors":[{"code","message"}]}`; problem types are matched by their path because
//! the host moved from api.twitter.com to api.x.com.

use crate::network::PostError;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Deserialize;

/// An error body in either dialect, reduced to what decisions need.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Last path segment of the problem `type` (`usage-capped`, `credits`…), if any.
    pub kind: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `detail`, else the legacy messages joined.
    pub detail: Option<String>,
    /// Legacy error codes (187 = duplicate status, 88 = rate limit).
    pub codes: Vec<i64>,
}

impl Problem {
    /// Parses a body; anything unparseable yields the raw text (cut short) as detail.
    pub(crate) fn parse(body: &[u8]) -> Problem {
        #[derive(Deserialize)]
        struct Legacy {
            code: Option<i64>,
            message: Option<String>,
            detail: Option<String>,
        }
        #[derive(Deserialize)]
        struct Raw {
            #[serde(rename = "type")]
            kind: Option<String>,
            title: Option<String>,
            detail: Option<String>,
            #[serde(default)]
            errors: Vec<Legacy>,
        }
        match serde_json::from_slice::<Raw>(body) {
            Ok(r) => {
                let kind = r
                    .kind
                    .filter(|t| t != "about:blank")
                    .and_then(|t| t.rsplit('/').next().map(str::to_string))
                    .filter(|t| !t.is_empty());
                let legacy: Vec<String> = r
                    .errors
                    .iter()
                    .filter_map(|e| e.message.clone().or_else(|| e.detail.clone()))
                    .collect();
                Problem {
                    kind,
                    title: r.title,
                    detail: r
                        .detail
                        .or_else(|| (!legacy.is_empty()).then(|| legacy.join("; "))),
                    codes: r.errors.iter().filter_map(|e| e.code).collect(),
                }
            }
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                let text: String = text.trim().chars().take(200).collect();
                Problem {
                    detail: (!text.is_empty()).then_some(text),
                    ..Problem::default()
                }
            }
        }
    }

    /// A one-line summary for logs and history.
    pub(crate) fn summary(&self, status: StatusCode) -> String {
        let mut s = format!("HTTP {}", status.as_u16());
        for part in [&self.title, &self.detail].into_iter().flatten() {
            s.push_str(": ");
            s.push_str(part);
        }
        if let Some(k) = &self.kind {
            s.push_str(&format!(" [{k}]"));
        }
        s
    }

    fn is_duplicate(&self) -> bool {
        self.codes.contains(&187)
            || self
                .detail
                .as_deref()
                .is_some_and(|d| d.to_ascii_lowercase().contains("duplicate content"))
    }
}

/// When the account may call again, from X's rate-limit headers: the per-window reset, pushed
/// later by the 24-hour user or app limit when that one is exhausted.
pub(crate) fn rate_limit_until(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let num = |name: &str| -> Option<i64> {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    };
    let epoch = |s: i64| Utc.timestamp_opt(s, 0).single();
    let mut until = num("x-rate-limit-reset").and_then(epoch);
    for scope in ["x-user-limit-24hour", "x-app-limit-24hour"] {
        if num(&format!("{scope}-remaining")) == Some(0) {
            if let Some(t) = num(&format!("{scope}-reset")).and_then(epoch) {
                until = Some(until.map_or(t, |u| u.max(t)));
            }
        }
    }
    until
}

/// What a non-success answer to `POST /2/tweets` means. `None`: a server-side failure worth
/// retrying (5xx), where the post may or may not exist.
pub(crate) fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Option<PostError> {
    let p = Problem::parse(body);
    let reason = p.summary(status);
    Some(match status.as_u16() {
        429 => PostError::RetryLater {
            until: Some(rate_limit_until(headers).unwrap_or(now + chrono::Duration::minutes(15))),
            reason,
        },
        401 => PostError::StopAccount {
            reason: format!("X refused the credentials ({reason}): revoked, expired or wrong; fix them and restart"),
        },
        402 => PostError::StopAccount {
            reason: format!("X says the account has no credits left ({reason}): top up the X developer account, then restart"),
        },
        403 if p.is_duplicate() => PostError::Duplicate { reason },
        403 if p.kind.as_deref() == Some("usage-capped") => PostError::RetryLater {
            until: Some(rate_limit_until(headers).unwrap_or(now + chrono::Duration::hours(24))),
            reason,
        },
        400 | 403 | 422 => PostError::SkipArticle { reason },
        404 | 405 | 410 => PostError::StopAccount {
            reason: format!("X has no such endpoint ({reason}): is `api_base` right?"),
        },
        s if s >= 500 => return None,
        _ => PostError::SkipArticle { reason },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    fn classify_json(status: u16, body: &str) -> Option<PostError> {
        classify(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            body.as_bytes(),
            now(),
        )
    }

    #[test]
    fn duplicate_in_both_dialects() {
        let modern = r#"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#;
        assert!(matches!(
            classify_json(403, modern),
            Some(PostError::Duplicate { .. })
        ));
        let legacy = r#"{"errors":[{"code":187,"message":"Status is a duplicate."}]}"#;
        assert!(matches!(
            classify_json(403, legacy),
            Some(PostError::Duplicate { .. })
        ));
        let other = r#"{"detail":"You are not permitted to perform this action.","type":"about:blank","title":"Forbidden","status":403}"#;
        match classify_json(403, other) {
            Some(PostError::SkipArticle { reason }) => {
                assert!(reason.contains("not permitted"), "{reason}")
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn problem_type_is_matched_by_path_on_either_host() {
        for host in ["api.twitter.com", "api.x.com"] {
            let body = format!(
                r#"{{"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap","type":"https://{host}/2/problems/usage-capped"}}"#
            );
            assert_eq!(
                Problem::parse(body.as_bytes()).kind.as_deref(),
                Some("usage-capped")
            );
            assert!(matches!(
                classify_json(403, &body),
                Some(PostError::RetryLater { .. })
            ));
        }
    }

    #[test]
    fn credentials_credits_and_server_errors() {
        let unauth =
            r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#;
        assert!(matches!(
            classify_json(401, unauth),
            Some(PostError::StopAccount { .. })
        ));
        let credits = r#"{"title":"CreditsDepleted","detail":"Your enrolled account does not have any credits","type":"https://api.x.com/2/problems/credits"}"#;
        match classify_json(402, credits) {
            Some(PostError::StopAccount { reason }) => {
                assert!(reason.contains("credits"), "{reason}")
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(classify_json(503, "upstream down"), None);
        assert_eq!(classify_json(500, ""), None);
        assert!(matches!(
            classify_json(
                400,
                r#"{"errors":[{"message":"text too long"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.x.com/2/problems/invalid-request"}"#
            ),
            Some(PostError::SkipArticle { .. })
        ));
    }

    #[test]
    fn rate_limit_reset_is_epoch_seconds_and_daily_limits_extend_it() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-reset", HeaderValue::from_static("1796115600"));
        let t = rate_limit_until(&h).unwrap();
        assert_eq!(t.timestamp(), 1_796_115_600);
        h.insert(
            "x-user-limit-24hour-remaining",
            HeaderValue::from_static("0"),
        );
        h.insert(
            "x-user-limit-24hour-reset",
            HeaderValue::from_static("1796180000"),
        );
        assert_eq!(rate_limit_until(&h).unwrap().timestamp(), 1_796_180_000);
        h.insert(
            "x-user-limit-24hour-remaining",
            HeaderValue::from_static("3"),
        );
        assert_eq!(rate_limit_until(&h).unwrap().timestamp(), 1_796_115_600);
        match classify(
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            b"{\"title\":\"Too Many Requests\"}",
            now(),
        ) {
            Some(PostError::RetryLater { until, .. }) => {
                assert_eq!(until.unwrap().timestamp(), 1_796_115_600)
            }
            e => panic!("{e:?}"),
        }
    }
}
