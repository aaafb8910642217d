//! The one HTTP client configuration Encore uses, so every request has timeouts, a polite
//! User-Agent and a redirect limit (reqwest has no timeout by default: a hung server would hang
//! the daemon).

use std::time::Duration;

/// `encore/<version>`, sent with every request.
pub const USER_AGENT: &str = concat!("encore/", env!("CARGO_PKG_VERSION"));

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
