//! OAuth 2.0 user context for X: Authorization Code with PKCE once (`encore auth x`), then
//! refresh-token grants for as long as the daemon runs.
//!
//! X rotates refresh tokens: each refresh returns a new one and retires the old, so the new
//! pair is written to disk before it is used.

use crate::network::token::b64url;
pub(crate) use crate::network::token::{needs_refresh, state, token_request, Client, TokenError};
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
