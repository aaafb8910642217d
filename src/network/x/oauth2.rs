//! OAuth 2.0 user context for X: Authorization Code with PKCE once (`encore auth x`), then
//! refresh-token grants for as long as the daemon runs.
//!
//! X rotates refresh tokens: each refresh returns a new one and retires the old, so the new
//! pair is written to disk before it is used.

use crate::network::session::Tokens;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Scopes Encore asks for: posting, reading its own posts (reconcile), its profile (post
/// count), and `offline.access` for a refresh token.
pub(crate) const SCOPES: &str = "tweet.read tweet.write users.read offline.access";

/// A PKCE verifier and its S256 challenge.
pub(crate) struct Pkce {
    /// Sent with the token request.
    pub verifier: String,
    /// Sent in the authorisation URL.
    pub challenge: String,
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Pkce {
    /// A fresh pair (43-character verifier from 32 random bytes).
    pub(crate) fn new() -> Pkce {
        let bytes: [u8; 32] = rand::random();
        Pkce::from_verifier(b64url(&bytes))
    }

    /// The pair for a given verifier (RFC 7636 §4.2).
    pub(crate) fn from_verifier(verifier: String) -> Pkce {
        let challenge = b64url(&Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Pkce::new()
    }
}

/// A random `state` value, checked on the callback against cross-site request forgery.
pub(crate) fn state() -> String {
    let bytes: [u8; 16] = rand::random();
    b64url(&bytes)
}

/// The address the admin opens in a browser.
pub(crate) fn authorize_url(
    base: &url::Url,
    client_id: &str,
    redirect_uri: &url::Url,
    state: &str,
    pkce: &Pkce,
) -> url::Url {
    let mut u = base.clone();
    u.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri.as_str())
        .append_pair("scope", SCOPES)
        .append_pair("state", state)
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    u
}

/// The client identity sent to the token endpoint.
pub(crate) struct Client<'a> {
    /// The app's client id.
    pub id: &'a str,
    /// Confidential clients authenticate with HTTP Basic; public ones send the id in the body.
    pub secret: Option<&'a str>,
}

/// Why the token endpoint said no.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    /// X refused the grant (expired code, revoked or reused refresh token…): log in again.
    #[error("X refused the token request (HTTP {status}): {detail}")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        let p = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(p.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let fresh = Pkce::new();
        assert_eq!(fresh.verifier.len(), 43);
        assert_ne!(fresh.verifier, Pkce::new().verifier);
    }

    #[test]
    fn authorize_url_carries_everything_x_needs() {
        let p = Pkce::from_verifier("v".repeat(43));
        let u = authorize_url(
            &url::Url::parse("https://x.com/i/oauth2/authorize").unwrap(),
            "cid",
            &url::Url::parse("http://127.0.0.1:8765/callback").unwrap(),
            "st",
            &p,
        );
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["scope"], SCOPES);
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8765/callback");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], p.challenge);
        assert_eq!(q["state"], "st");
    }
}
