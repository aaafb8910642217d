//! The HTTP clients Encore uses, so every request has timeouts, a polite User-Agent and a
//! redirect limit (reqwest has no timeout by default: a hung server would hang the daemon), and
//! what a feed's content links to is fetched only where it may lead ([`guard`]).

mod guard;

pub(crate) use guard::refusal;
pub use guard::{PageError, Pages, Refused, Trusted, Web};

use std::time::Duration;

/// `encore/<version>`, sent with every request.
pub(crate) const USER_AGENT: &str = concat!("encore/", env!("CARGO_PKG_VERSION"));

/// Redirects followed before a request gives up.
const MAX_REDIRECTS: usize = 5;

/// A request that was redirected more than [`MAX_REDIRECTS`] times.
#[derive(Debug, thiserror::Error)]
#[error("too many redirects")]
struct TooManyRedirects;

/// The settings every client shares: connect, read and total timeouts derived from `total`,
/// gzip, and TLS through rustls with the ring provider (no C toolchain beyond what ring needs).
fn builder(total: Duration) -> reqwest::ClientBuilder {
    // Installing twice returns an error we do not care about: the provider is process-wide.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(total.min(Duration::from_secs(10)))
        .read_timeout(total)
        .timeout(total)
}

/// A client for addresses the admin wrote (a network's API), at most 5 redirects. Build it
/// once per purpose and keep it: building one reads the CA store.
pub fn client(total: Duration) -> Result<reqwest::Client, reqwest::Error> {
    builder(total)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .build()
}

/// reqwest's top-level message is vague ("error sending request"); the cause chain says why
/// ("dns error: failed to lookup address information: Name or service not known"). The URL is
/// left out: callers name what they fetched, and a URL's query may hold a key. A refused
/// private address is said as such.
pub(crate) fn describe(e: reqwest::Error) -> String {
    if let Some(r) = refusal(&e) {
        return r.to_string();
    }
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
