//! Where an address taken from a feed's *content* may lead.
//!
//! A feed is written by whoever controls the blog (or its comments, or a compromised plugin),
//! so its article links, their pages' `og:image` and its older-page links are untrusted: left
//! unchecked, an item linking `http://169.254.169.254/…` makes Encore read the cloud metadata
//! service, and a page whose `og:image` is `http://127.0.0.1/secret.png` makes Encore upload an
//! internal image as a public card. Like Mastodon and Miniflux, Encore refuses private
//! addresses for such URLs, and checks them when it connects: the resolver drops private
//! answers (so a name that resolves, or re-resolves, to an internal address is refused) and a
//! literal IP is checked on the first request and on every redirect (literals never reach a
//! resolver). A string test on the URL alone would let a redirect or DNS rebinding through.
//!
//! The admin's own addresses are exempt: the hosts of the configured feeds and of every
//! network's API ([`Trusted`]), and a feed the admin marked `allow_private_networks` is fetched
//! with the open client.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// A content URL that leads to a private address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} is a private address ({addr}): not fetched for a feed's content (the feed's `allow_private_networks = true` allows it)")]
pub struct Refused {
    /// The host as the URL wrote it.
    pub host: String,
    /// The address it is, or resolved to.
    pub addr: IpAddr,
}

/// Whether Encore may connect to `ip` for a feed's content: not loopback, private (RFC 1918),
/// link-local, shared (CGNAT), unique local, unspecified, multicast, broadcast or reserved, in
/// IPv4 or IPv6, nor one of those wrapped in an IPv6 form (mapped, compatible, 6to4, NAT64).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let private = a == 0 // "this network", 0.0.0.0 included
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 224; // multicast, reserved, broadcast
    !private
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let private = ip.is_unspecified()
        || ip.is_loopback()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed inside)
        || (first & 0xff00) == 0xff00; // multicast
    !private
}

/// The IPv4 address an IPv6 one carries, when it is one of the forms that reach it: mapped
/// (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`), 6to4 (`2002:AABB:CCDD::`) and NAT64
/// (`64:ff9b::a.b.c.d`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let from =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(from(hi, lo)),
        // `::` and `::1` are IPv6's own unspecified and loopback addresses, judged as such.
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => Some(from(hi, lo)),
        [0x2002, hi, lo, ..] => Some(from(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(from(hi, lo)),
        _ => None,
    }
}

/// The hosts the admin wrote (feeds, API bases): fetched whatever address they have.
#[derive(Debug, Clone, Default)]
pub struct Trusted(Arc<HashSet<String>>);

impl Trusted {
    /// The hosts of these URLs (others than http(s) and unparsable ones are left out).
    pub fn from_urls<'a>(urls: impl IntoIterator<Item = &'a str>) -> Trusted {
        let hosts = urls
            .into_iter()
            .filter_map(|u| url::Url::parse(u).ok())
            .filter_map(|u| host_key(&u));
        Trusted(Arc::new(hosts.collect()))
    }

    fn contains(&self, host: &str) -> bool {
        self.0.contains(host.trim_end_matches('.'))
    }

    fn contains_url(&self, url: &url::Url) -> bool {
        host_key(url).is_some_and(|h| self.0.contains(&h))
    }
}

/// A URL's host as [`Trusted`] keeps it: a lowercased name without its final dot, or an address.
fn host_key(url: &url::Url) -> Option<String> {
    match url.host()? {
        url::Host::Domain(d) => Some(d.to_ascii_lowercase().trim_end_matches('.').to_string()),
        url::Host::Ipv4(a) => Some(a.to_string()),
        url::Host::Ipv6(a) => Some(a.to_string()),
    }
}

/// The refusal a URL whose host is a literal address earns (a name is judged by the resolver).
fn literal_refusal(url: &url::Url, trusted: &Trusted) -> Option<Refused> {
    let ip = match url.host()? {
        url::Host::Domain(_) => return None,
        url::Host::Ipv4(a) => IpAddr::V4(a),
        url::Host::Ipv6(a) => IpAddr::V6(a),
    };
    (!is_public(ip) && !trusted.contains_url(url)).then(|| Refused {
        host: url.host_str().unwrap_or_default().to_string(),
        addr: ip,
    })
}

/// Resolves with the system's resolver, then keeps only public addresses (all of them for a
/// trusted host). The connection is made to what it returns, so a name cannot resolve to a
/// public address here and a private one at connect time.
#[derive(Debug, Clone)]
struct Resolver {
    trusted: Trusted,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let trusted = self.trusted.contains(&host);
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (public, private): (Vec<SocketAddr>, Vec<SocketAddr>) =
                all.into_iter().partition(|a| is_public(a.ip()));
            match (public.is_empty(), private.first()) {
                (true, Some(first)) if !trusted => Err(Box::new(Refused {
                    host,
                    addr: first.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                _ if trusted => Ok(Box::new(public.into_iter().chain(private))
                    as Box<dyn Iterator<Item = SocketAddr> + Send>),
                _ => {
                    Ok(Box::new(public.into_iter()) as Box<dyn Iterator<Item = SocketAddr> + Send>)
                }
            }
        })
    }
}

/// The refusal in a request's error chain, if that is why it failed.
pub(crate) fn refusal(e: &(dyn std::error::Error + 'static)) -> Option<Refused> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(r) = err.downcast_ref::<Refused>() {
            return Some(r.clone());
        }
        next = err.source();
    }
    None
}

/// Why a content URL could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// It leads to a private address.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// It is not an http(s) URL.
    #[error("not a web address")]
    NotWeb,
    /// The client could not be built (TLS set-up).
    #[error("cannot set up HTTP: {0}")]
    Setup(String),
}

/// A client built the first time it is used (building one reads the CA store: a command that
/// only reads a feed file never pays for it), then kept.
#[derive(Debug, Clone, Default)]
struct Lazy(Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>);

impl Lazy {
    fn get(
        &self,
        build: impl FnOnce() -> Result<reqwest::Client, reqwest::Error>,
    ) -> Result<&reqwest::Client, String> {
        let built = self.0.get_or_init(|| build().map_err(super::describe));
        built.as_ref().map_err(Clone::clone)
    }
}

/// The client for URLs taken from a feed's content: guarded (private addresses refused, the
/// admin's hosts excepted) or open (the feed allows private networks). Every request goes
/// through [`Pages::get`] or [`Pages::head`], which check a literal address before the first
/// connection; the resolver and the redirect policy check the rest.
#[derive(Debug, Clone)]
pub struct Pages {
    client: Lazy,
    /// `None`: the open client.
    trusted: Option<Trusted>,
}

impl Pages {
    fn client(&self) -> Result<&reqwest::Client, PageError> {
        let trusted = self.trusted.clone();
        self.client
            .get(|| match trusted {
                Some(t) => guarded_client(t),
                None => super::builder(PAGE_TIMEOUT).build(),
            })
            .map_err(PageError::Setup)
    }

    fn request(
        &self,
        method: reqwest::Method,
        url: &url::Url,
    ) -> Result<reqwest::RequestBuilder, PageError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(PageError::NotWeb);
        }
        if let Some(r) = self.trusted.as_ref().and_then(|t| literal_refusal(url, t)) {
            return Err(r.into());
        }
        Ok(self.client()?.request(method, url.clone()))
    }

    /// A GET of a content URL.
    pub fn get(&self, url: &url::Url) -> Result<reqwest::RequestBuilder, PageError> {
        self.request(reqwest::Method::GET, url)
    }

    /// A HEAD of a content URL.
    pub fn head(&self, url: &url::Url) -> Result<reqwest::RequestBuilder, PageError> {
        self.request(reqwest::Method::HEAD, url)
    }

    /// Whether the URL's host may be fetched, without fetching it (a name is resolved): what
    /// the daemon asks of an article's link when it does not check the link by a request.
    /// Only a refusal is an error; a name that does not resolve is the request's business.
    pub async fn vet(&self, url: &url::Url) -> Result<(), Refused> {
        let Some(trusted) = &self.trusted else {
            return Ok(());
        };
        if let Some(r) = literal_refusal(url, trusted) {
            return Err(r);
        }
        let Some(url::Host::Domain(name)) = url.host() else {
            return Ok(());
        };
        let resolver = Resolver {
            trusted: trusted.clone(),
        };
        let Ok(name) = name.parse::<reqwest::dns::Name>() else {
            return Ok(());
        };
        match reqwest::dns::Resolve::resolve(&resolver, name).await {
            Err(e) => refusal(e.as_ref()).map_or(Ok(()), Err),
            Ok(_) => Ok(()),
        }
    }
}

/// The guarded client: the resolver keeps public addresses (all of a trusted host's), the
/// redirect policy refuses a literal private address, and no proxy resolves names out of the
/// resolver's sight.
fn guarded_client(trusted: Trusted) -> Result<reqwest::Client, reqwest::Error> {
    let policy_trust = trusted.clone();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= super::MAX_REDIRECTS {
            return attempt.error(super::TooManyRedirects);
        }
        match literal_refusal(attempt.url(), &policy_trust) {
            Some(r) => attempt.error(r),
            None => attempt.follow(),
        }
    });
    super::builder(PAGE_TIMEOUT)
        .redirect(policy)
        .no_proxy()
        .dns_resolver(Resolver { trusted })
        .build()
}

/// The clients Encore reads the web with for one config (a client re-reads the CA store when
/// it is built: one per feed read cost a descriptor each and, under a flood, the reads
/// themselves): one for the feeds the admin wrote, one guarded and one open for what their
/// content links to, each built when first used. The networks build their own, for their APIs.
#[derive(Debug, Clone)]
pub struct Web {
    feeds: Lazy,
    guarded: Pages,
    open: Pages,
    /// The feeds whose content may lead to private addresses (`allow_private_networks`).
    open_feeds: Arc<HashSet<String>>,
}

/// How long a content fetch may take unless the caller says otherwise.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

impl Web {
    /// The clients for a config whose admin wrote the `trusted` hosts and allowed private
    /// networks to the `open_feeds`.
    pub fn new(trusted: Trusted, open_feeds: impl IntoIterator<Item = String>) -> Web {
        Web {
            feeds: Lazy::default(),
            guarded: Pages {
                client: Lazy::default(),
                trusted: Some(trusted),
            },
            open: Pages {
                client: Lazy::default(),
                trusted: None,
            },
            open_feeds: Arc::new(open_feeds.into_iter().collect()),
        }
    }

    /// The client for the addresses the admin wrote (feeds), or why it cannot be built.
    pub fn feeds(&self) -> Result<&reqwest::Client, String> {
        self.feeds.get(|| super::builder(PAGE_TIMEOUT).build())
    }

    /// The client for what the content of the feed named `feed` links to.
    pub fn pages(&self, feed: &str) -> &Pages {
        if self.open_feeds.contains(feed) {
            &self.open
        } else {
            &self.guarded
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_ranges_are_refused_and_public_ones_kept() {
        for private in [
            "127.0.0.1",
            "127.0.0.2",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "2002:7f00:1::",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!is_public(ip(private)), "{private} must be refused");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "169.255.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:0808:0808::",
        ] {
            assert!(is_public(ip(public)), "{public} is public");
        }
    }

    #[test]
    fn literal_addresses_are_judged_with_the_admins_hosts_excepted() {
        let trusted = Trusted::from_urls([
            "http://127.0.0.1:8080/feed",
            "https://Blog.Example.org./feed",
        ]);
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(literal_refusal(&u("http://127.0.0.1:9/x"), &trusted), None);
        let r = literal_refusal(&u("http://169.254.169.254/latest/meta-data/"), &trusted).unwrap();
        assert_eq!(r.addr, ip("169.254.169.254"));
        assert!(literal_refusal(&u("http://[::ffff:127.0.0.2]/"), &trusted).is_some());
        assert_eq!(
            literal_refusal(&u("https://blog.example.org/a"), &trusted),
            None
        );
        assert!(trusted.contains("blog.example.org."));
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_unless_trusted() {
        let pages = Web::new(Trusted::default(), []).guarded;
        let localhost = url::Url::parse("http://localhost:1/").unwrap();
        let refused = pages.vet(&localhost).await.unwrap_err();
        assert!(!is_public(refused.addr));
        let trusted = Web::new(Trusted::from_urls(["http://localhost/feed"]), []);
        assert_eq!(trusted.pages("main").vet(&localhost).await, Ok(()));
        let open = Web::new(Trusted::default(), ["lan".to_string()]);
        assert_eq!(open.pages("lan").vet(&localhost).await, Ok(()));
    }
}
