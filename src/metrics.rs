//! The daemon as Prometheus sees it: counters and gauges the daemon keeps current, and the
//! endpoint that serves them (`[metrics] listen`).
//!
//! The format is written by `prometheus-client` (the OpenMetrics project's library), in the
//! Prometheus text format 0.0.4 that `promtool check metrics` reads and every Prometheus
//! scrapes. The endpoint answers `GET /metrics` and nothing else; it has no authentication,
//! hence loopback or a Unix socket unless the admin says otherwise (see `config`).

use crate::config::MetricsListen;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Labels of a post attempt.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct PostLabels {
    pub account: String,
    pub network: String,
    pub outcome: String,
}

/// Labels of a skipped slot.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct SkipLabels {
    pub account: String,
    pub reason: String,
}

/// Labels of a feed read.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ReadLabels {
    pub feed: String,
    pub result: String,
}

/// One feed.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct FeedLabels {
    pub feed: String,
}

/// One account.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct AccountLabels {
    pub account: String,
}

/// An account's pause and its cause.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct PauseLabels {
    pub account: String,
    pub cause: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric the daemon keeps.
pub(crate) struct Metrics {
    registry: Registry,
    pub posts: Family<PostLabels, Counter>,
    pub skips: Family<SkipLabels, Counter>,
    pub feed_reads: Family<ReadLabels, Counter>,
    pub feed_last_success: Family<FeedLabels, Gauge>,
    pub articles: Family<FeedLabels, Gauge>,
    pub eligible: Family<FeedLabels, Gauge>,
    pub intents_pending: Gauge,
    pub paused: Family<PauseLabels, Gauge>,
    pub pauses: Family<PauseLabels, Counter>,
    pub spend: Family<AccountLabels, FloatGauge>,
    pub budget: Family<AccountLabels, FloatGauge>,
    pub next_slot: Family<AccountLabels, Gauge>,
    pub credentials_expiry: Family<AccountLabels, Gauge>,
    resident: Gauge,
    started: std::time::Instant,
    uptime: FloatGauge,
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::with_prefix("encore");
        let m = Metrics {
            posts: Family::default(),
            skips: Family::default(),
            feed_reads: Family::default(),
            feed_last_success: Family::default(),
            articles: Family::default(),
            eligible: Family::default(),
            intents_pending: Gauge::default(),
            paused: Family::default(),
            pauses: Family::default(),
            spend: Family::default(),
            budget: Family::default(),
            next_slot: Family::default(),
            credentials_expiry: Family::default(),
            resident: Gauge::default(),
            started: std::time::Instant::now(),
            uptime: FloatGauge::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register("posts", "Post attempts by account, network and outcome (shared, failed, duplicate, uncertain, refused, deferred)", m.posts.clone());
        r.register(
            "slots_skipped",
            "Slots that posted nothing, by account and reason",
            m.skips.clone(),
        );
        r.register(
            "feed_reads",
            "Feed reads by feed and result (ok, not_modified, failed)",
            m.feed_reads.clone(),
        );
        r.register(
            "feed_last_success_timestamp_seconds",
            "When each feed was last read successfully (Unix time)",
            m.feed_last_success.clone(),
        );
        r.register("articles", "Articles archived, by feed", m.articles.clone());
        r.register(
            "articles_eligible",
            "Articles of age and not excluded now, by feed (before each account's cooldown)",
            m.eligible.clone(),
        );
        r.register(
            "intents_pending",
            "Posts begun and not yet settled (a crash leaves them for the next start)",
            m.intents_pending.clone(),
        );
        r.register(
            "account_paused",
            "1 while an account is paused, by cause (rate_limit, budget, stopped)",
            m.paused.clone(),
        );
        r.register(
            "account_pauses",
            "Pauses begun, by account and cause",
            m.pauses.clone(),
        );
        r.register(
            "month_spend_usd",
            "What the account's posts and the reads of their counts cost this month (USD)",
            m.spend.clone(),
        );
        r.register(
            "month_budget_usd",
            "The account's monthly budget (USD), for accounts that have one",
            m.budget.clone(),
        );
        r.register(
            "next_slot_timestamp_seconds",
            "The account's next slot (Unix time)",
            m.next_slot.clone(),
        );
        r.register(
            "credentials_expiry_timestamp_seconds",
            "When the account's login stops working (Unix time), for networks whose tokens expire (Threads, LinkedIn)",
            m.credentials_expiry.clone(),
        );
        r.register(
            "process_resident_memory_bytes",
            "The daemon's resident memory",
            m.resident.clone(),
        );
        r.register(
            "uptime_seconds",
            "Time since the daemon started",
            m.uptime.clone(),
        );
        let build = Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]);
        r.register("build", "The running build", build);
        Metrics { registry, ..m }
    }

    /// The metrics as text, the process's own figures read now.
    pub(crate) fn render(&self) -> String {
        if let Some(rss) = resident_bytes() {
            self.resident.set(rss);
        }
        self.uptime.set(self.started.elapsed().as_secs_f64());
        let mut out = String::new();
        // Writing to a String cannot fail; an error would be a bug in the encoder.
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::warn!("metrics not encoded: {e}");
        }
        out
    }
}

/// The process's resident memory, from /proc (Linux).
fn resident_bytes() -> Option<i64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: i64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf takes no pointer; _SC_PAGESIZE is always defined on Linux.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * i64::from(page as i32).max(4096))
}

/// The endpoint's socket, bound before the daemon says it is ready (a taken port is an error
/// at start, where the admin looks).
pub(crate) enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

/// Binds `listen`. A Unix socket left by an earlier run is replaced; the new one is made
/// readable by the owner and its group (0660), so that a Prometheus in the group can scrape.
pub(crate) async fn bind(listen: &MetricsListen) -> std::io::Result<Listener> {
    match listen {
        MetricsListen::Tcp(addr) => Ok(Listener::Tcp(tokio::net::TcpListener::bind(addr).await?)),
        MetricsListen::Unix(path) => {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let l = tokio::net::UnixListener::bind(path)?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
            Ok(Listener::Unix(l))
        }
    }
}

/// Connections served at once; more are answered 503 and closed at once (as node_exporter
/// does past its limit), so a flood of scrapers cannot take the descriptors the daemon needs
/// for its feeds and networks.
pub(crate) const MAX_CONNECTIONS: usize = 16;

/// Who may scrape: client networks (TCP; empty: any) and the `Authorization` header a
/// request must carry, if any.
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    /// Networks a TCP client must be in; empty: any.
    pub allow_from: Vec<ipnet::IpNet>,
    /// `Basic …` as the client must send it, when basic authentication is on.
    pub authorization: Option<String>,
}

impl Access {
    /// The access a config asks for, its password read now.
    pub(crate) fn new(allow_from: Vec<ipnet::IpNet>, basic: Option<(&str, &str)>) -> Access {
        use base64::Engine;
        Access {
            allow_from,
            authorization: basic.map(|(user, password)| {
                let pair = format!("{user}:{password}");
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }),
        }
    }

    fn admits(&self, peer: std::net::IpAddr) -> bool {
        // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
        let peer = match peer {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, std::net::IpAddr::V4),
            v4 => v4,
        };
        self.allow_from.is_empty() || self.allow_from.iter().any(|n| n.contains(&peer))
    }

    /// Whether the request carries the expected credentials (compared in constant time).
    fn authorized(&self, header: Option<&hyper::header::HeaderValue>) -> bool {
        let Some(expected) = &self.authorization else {
            return true;
        };
        let given = header.map(|h| h.as_bytes()).unwrap_or_default();
        given.len() == expected.len()
            && given
                .iter()
                .zip(expected.as_bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Serves `GET /metrics` on `listener` until dropped, one task per connection, at most
/// [`MAX_CONNECTIONS`] at once, to the clients `access` admits.
pub(crate) async fn serve(listener: Listener, metrics: Arc<Metrics>, access: Access) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let access = Arc::new(access);
    loop {
        let accepted = match &listener {
            Listener::Tcp(l) => l.accept().await.map(|(s, a)| (Conn::Tcp(s), Some(a.ip()))),
            Listener::Unix(l) => l.accept().await.map(|(s, _)| (Conn::Unix(s), None)),
        };
        let (conn, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("metrics endpoint: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if peer.is_some_and(|p| !access.admits(p)) {
            continue; // dropped: closed without a word
        }
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            refuse_busy(&conn);
            continue;
        };
        match conn {
            Conn::Tcp(s) => answer(s, metrics.clone(), access.clone(), permit),
            Conn::Unix(s) => answer(s, metrics.clone(), access.clone(), permit),
        }
    }
}

/// A 503 written if the socket takes it at once, then the connection closed: a client past
/// the limit costs the daemon nothing that outlives this call.
fn refuse_busy(conn: &Conn) {
    const BUSY: &[u8] =
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let _ = match conn {
        Conn::Tcp(s) => s.try_write(BUSY),
        Conn::Unix(s) => s.try_write(BUSY),
    };
}

enum Conn {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

/// One connection, answered by hyper's HTTP/1.1 server; it holds one of the endpoint's
/// `permit`s until it closes.
fn answer<S>(
    stream: S,
    metrics: Arc<Metrics>,
    access: Arc<Access>,
    permit: tokio::sync::OwnedSemaphorePermit,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use http_body_util::Full;
    use hyper::body::Bytes;
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let metrics = metrics.clone();
        let authorized = access.authorized(req.headers().get(hyper::header::AUTHORIZATION));
        async move {
            if !authorized {
                return hyper::Response::builder()
                    .status(401)
                    .header(hyper::header::WWW_AUTHENTICATE, "Basic realm=\"encore\"")
                    .body(Full::new(Bytes::from("authentication required\n")));
            }
            let ok = req.method() == hyper::Method::GET && req.uri().path() == "/metrics";
            let (status, kind, body) = match ok {
                true => (
                    200,
                    prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
                    metrics.render(),
                ),
                false => (
                    404,
                    "text/plain; charset=utf-8",
                    "only GET /metrics\n".into(),
                ),
            };
            hyper::Response::builder()
                .status(status)
                .header(hyper::header::CONTENT_TYPE, kind)
                .body(Full::new(Bytes::from(body)))
        }
    });
    tokio::spawn(async move {
        let io = hyper_util::rt::TokioIo::new(stream);
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(std::time::Duration::from_secs(10))
            .serve_connection(io, service);
        if let Err(e) = conn.await {
            tracing::debug!("metrics connection: {e}");
        }
        drop(permit);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_every_family_and_the_build() {
        let m = Metrics::new();
        let a = PostLabels {
            account: "blog".into(),
            network: "x".into(),
            outcome: "shared".into(),
        };
        m.posts.get_or_create(&a).inc();
        m.posts.get_or_create(&a).inc();
        let text = m.render();
        assert!(
            text.contains(
                "encore_posts_total{account=\"blog\",network=\"x\",outcome=\"shared\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("encore_build_info{version=\""), "{text}");
        assert!(
            text.contains("encore_process_resident_memory_bytes "),
            "{text}"
        );
        // A family with nothing counted yet is left out; once counted it is there.
        assert!(!text.contains("encore_slots_skipped"), "{text}");
        let skip = SkipLabels {
            account: "blog".into(),
            reason: "spacing".into(),
        };
        m.skips.get_or_create(&skip).inc();
        let text = m.render();
        assert!(
            text.contains("encore_slots_skipped_total{account=\"blog\",reason=\"spacing\"} 1"),
            "{text}"
        );
    }
}
