//! An OAuth 2.0 token endpoint (RFC 6749 §4.1.3 and §6): trading an authorisation code or a
//! refresh token for tokens. X and LinkedIn use it; the answer's error is read as the RFC says
//! (`error`, `error_description`), never echoing what was sent.

use crate::network::session::Tokens;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// Base64url without padding (PKCE, `state`).
pub(crate) fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A random `state` value, checked on the callback against cross-site request forgery.
pub(crate) fn state() -> String {
    let bytes: [u8; 16] = rand::random();
    b64url(&bytes)
}

/// The client identity sent to the token endpoint.
pub(crate) struct Client<'a> {
    /// The app's client id.
    pub id: &'a str,
    /// Confidential clients authenticate with HTTP Basic (X); public ones, and clients whose
    /// endpoint takes the secret in the form (LinkedIn: it goes in the grant), send the id in
    /// the body.
    pub secret: Option<&'a str>,
}

/// Why the token endpoint said no.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// The grant was refused (expired code, revoked or reused refresh token…): log in again.
    #[error("the token request was refused (HTTP {status}): {detail}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// `error` / `error_description` from the body.
        detail: String,
    },
    /// The request did not complete or the answer was not understood: try again later.
    #[error("token request failed: {0}")]
    Transport(String),
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
}

/// Trades an authorisation code or a refresh token for a token pair.
pub(crate) async fn token_request(
    http: &reqwest::Client,
    token_url: &url::Url,
    client: &Client<'_>,
    grant: &[(&str, &str)],
    now: DateTime<Utc>,
) -> Result<Tokens, TokenError> {
    let mut form: Vec<(&str, &str)> = grant.to_vec();
    let mut req = http.post(token_url.clone());
    match client.secret {
        Some(secret) => req = req.basic_auth(client.id, Some(secret)),
        None => form.push(("client_id", client.id)),
    }
    let resp = req
        .form(&form)
        .send()
        .await
        .map_err(|e| TokenError::Transport(e.without_url().to_string()))?;
    let status = resp.status();
    let body = resp
        .bytes()
        .await
        .map_err(|e| TokenError::Transport(e.without_url().to_string()))?;
    if !status.is_success() {
        #[derive(Deserialize)]
        struct OAuthError {
            error: Option<String>,
            error_description: Option<String>,
        }
        let detail = serde_json::from_slice::<OAuthError>(&body)
            .ok()
            .map(|e| {
                [e.error, e.error_description]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ")
            })
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "no detail".into());
        return Err(if status.is_server_error() || status.as_u16() == 429 {
            TokenError::Transport(format!("HTTP {}: {detail}", status.as_u16()))
        } else {
            TokenError::Refused {
                status: status.as_u16(),
                detail,
            }
        });
    }
    let t: TokenResponse = serde_json::from_slice(&body)
        .map_err(|e| TokenError::Transport(format!("unexpected token answer: {e}")))?;
    Ok(Tokens {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_at: t.expires_in.map(|s| now + Duration::seconds(s)),
        user_id: None,
        issued_for: None,
    })
}

/// Whether the access token should be renewed before use: within five minutes of expiry.
pub(crate) fn needs_refresh(tokens: &Tokens, now: DateTime<Utc>) -> bool {
    tokens
        .expires_at
        .is_some_and(|t| t - Duration::minutes(5) <= now)
}
