//! The one HTTP client configuration Encore uses, so every request has timeouts, a polite
//! User-Agent and a redirect limit (reqwest has no timeout by default: a hung server would hang
//! the daemon).

use std::time::Duration;

/// `encore/<version>`, sent with every request.
pub(crate) const USER_AGENT: &str = concat!("encore/", env!("CARGO_PKG_VERSION"));

/// A client with connect, read and total timeouts derived from `total`, at most 5 redirects,
/// gzip, and TLS through rustls with the ring provider (no C toolchain beyond what ring needs).
pub fn client(total: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // Installing twice returns an error we do not care about: the provider is process-wide.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(total.min(Duration::from_secs(10)))
        .read_timeout(total)
        .timeout(total)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
}

/// reqwest's top-level message is vague ("error sending request"); the cause chain says why
/// ("dns error: failed to lookup address information: Name or service not known"). The URL is
/// left out: callers name what they fetched, and a URL's query may hold a key.
pub(crate) fn describe(e: reqwest::Error) -> String {
    let e = &e.without_url();
    let mut out = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_redirect() {
        "too many redirects".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        source = s.source();
    }
    out
}
