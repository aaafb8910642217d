//! OAuth 1.0a request signing (HMAC-SHA1), as X expects it for user-context calls.
//!
//! Kept in-house: the scheme is small, the maintained crates are few, and every step here is
//! checked against X's published worked example. A JSON body is never part of the signature
//! (RFC 5849 §3.4.1.3.1 only signs form bodies); only query and `oauth_*` parameters are.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The four values of a user-context OAuth 1.0a identity.
pub struct Credentials<'a> {
    /// The app's API key.
    pub consumer_key: &'a str,
    /// The app's API key secret.
    pub consumer_secret: &'a str,
    /// The user's access token.
    pub token: &'a str,
    /// The user's access token secret.
    pub token_secret: &'a str,
}

/// Percent-encoding per RFC 3986 §2.1 as OAuth requires it: byte-wise over UTF-8, only
/// unreserved characters kept, uppercase hex, space as `%20` (never `+`).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The signature base string: method, base URL (no query) and the sorted, encoded parameters.
pub fn base_string(method: &str, base_url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    let joined = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(base_url),
        encode(&joined)
    )
}

/// base64(HMAC-SHA1(consumer_secret&token_secret, base string)).
pub fn signature(base: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha1>::new_from_slice(key.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A fresh nonce: 32 random bytes, base64 with non-alphanumerics removed (as X's docs do).
pub fn nonce() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The `Authorization` header value for one request. `url` may carry a query: its parameters
/// are signed and the base URL is the part before `?`.
pub fn authorization(
    method: &str,
    url: &url::Url,
    creds: &Credentials<'_>,
    nonce: &str,
    timestamp: i64,
) -> String {
    let mut oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), creds.consumer_key.into()),
        ("oauth_nonce".into(), nonce.into()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
        ("oauth_token".into(), creds.token.into()),
        ("oauth_version".into(), "1.0".into()),
    ];
    let mut params = oauth.clone();
    params.extend(
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned())),
    );
    let mut base_url = url.clone();
    base_url.set_query(None);
    base_url.set_fragment(None);
    let base = base_string(method, base_url.as_str(), &params);
    oauth.push((
        "oauth_signature".into(),
        signature(&base, creds.consumer_secret, creds.token_secret),
    ));
    let fields = oauth
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("OAuth {fields}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CK: &str = "xvz1evFS4wEEPTGEFPHBog";
    const CS: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
    const TK: &str = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
    const TS: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
    const NONCE: &str = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";

    fn worked_example(base_url: &str) -> String {
        let params: Vec<(String, String)> = [
            (
                "status",
                "Hello Ladies + Gentlemen, a signed OAuth request!",
            ),
            ("include_entities", "true"),
            ("oauth_consumer_key", CK),
            ("oauth_nonce", NONCE),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1318622958"),
            ("oauth_token", TK),
            ("oauth_version", "1.0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        signature(&base_string("POST", base_url, &params), CS, TS)
    }

    #[test]
    fn x_documentation_worked_example() {
        assert_eq!(
            worked_example("https://api.x.com/1.1/statuses/update.json"),
            "Ls93hJiZbQ3akF3HF3x1Bz8/zU4="
        );
        assert_eq!(
            worked_example("https://api.twitter.com/1.1/statuses/update.json"),
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
        );
        assert_eq!(
            worked_example("https://api.twitter.com/1/statuses/update.json"),
            "tnnArxj06cWHq44gCs1OSKk/jLY="
        );
    }

    #[test]
    fn percent_encoding_follows_rfc3986() {
        assert_eq!(encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(encode("An encoded string!"), "An%20encoded%20string%21");
        assert_eq!(encode("Dogs, Cats & Mice"), "Dogs%2C%20Cats%20%26%20Mice");
        assert_eq!(encode("☃"), "%E2%98%83");
        assert_eq!(encode("a-b.c_d~e"), "a-b.c_d~e");
    }

    #[test]
    fn header_signs_query_parameters_and_no_body() {
        let creds = Credentials {
            consumer_key: CK,
            consumer_secret: CS,
            token: TK,
            token_secret: TS,
        };
        let url = url::Url::parse(
            "https://api.x.com/1.1/statuses/update.json?include_entities=true&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21",
        )
        .unwrap();
        let h = authorization("POST", &url, &creds, NONCE, 1_318_622_958);
        assert!(h.starts_with("OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "));
        assert!(
            h.contains("oauth_signature=\"Ls93hJiZbQ3akF3HF3x1Bz8%2FzU4%3D\""),
            "{h}"
        );
        let n1 = nonce();
        let n2 = nonce();
        assert_ne!(n1, n2);
        assert!(n1.len() >= 32 && n1.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
