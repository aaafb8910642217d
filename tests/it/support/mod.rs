//! Shared test helpers and servers.
#![allow(dead_code)]

pub mod fake_bluesky;
pub mod fake_linkedin;
pub mod fake_mastodon;
pub mod fake_telegram;
pub mod fake_threads;
pub mod fake_x;
pub mod fast;
pub mod http;
pub mod more;
pub mod three;

use chrono::{DateTime, Duration, Utc};
use encore::{Daemon, SlotReport};

/// Ticks the daemon every `step` over `[from, until)`, collecting what each slot came to.
pub async fn tick_through(
    d: &mut Daemon,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    step: Duration,
) -> Vec<SlotReport> {
    let mut out = Vec::new();
    let mut now = from;
    while now < until {
        out.extend(d.tick(now).await.unwrap());
        now += step;
    }
    out
}

/// Starts `cmd` with its stderr read line by line into the returned channel.
pub fn spawn_logged(
    mut cmd: std::process::Command,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Lines from a reader thread (see [`spawn_logged`]), gathered into `seen` until one contains
/// `what`; panics with what came after `secs`.
pub fn wait_for(
    rx: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    what: &str,
    secs: u64,
) -> String {
    wait_after(rx, seen, 0, what, secs)
}

/// Like [`wait_for`], among the lines from index `from` on.
pub fn wait_after(
    rx: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    from: usize,
    what: &str,
    secs: u64,
) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    if let Some(l) = seen.iter().skip(from).find(|l| l.contains(what)) {
        return l.clone();
    }
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => {
                seen.push(l.clone());
                if l.contains(what) {
                    return l;
                }
            }
            Err(_) => panic!("no {what:?} within {secs}s; got:\n{}", seen.join("\n")),
        }
    }
}

/// Starts `cmd` (an `encore run`), waits until it logs `ready_line`, sends SIGTERM and waits
/// for it to end. Returns its whole log, its exit status and how long the stop took.
pub fn run_until_then_term(
    cmd: std::process::Command,
    ready_line: &str,
) -> (String, std::process::ExitStatus, std::time::Duration) {
    let (mut child, rx) = spawn_logged(cmd);
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, ready_line, 20);
    let stop = std::time::Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let took = stop.elapsed();
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(200)) {
        seen.push(line);
    }
    let mut log = seen.join("\n");
    log.push('\n');
    (log, status, took)
}

/// A fixture's path.
pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A copy of a fixture feed in `dir` whose links point at `blog` instead of
/// `https://blog.example.org` (so that pages and images are served by a test server).
pub fn feed_at(dir: &std::path::Path, fixture: &str, blog: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(self::fixture(fixture))
        .unwrap()
        .replace("https://blog.example.org", blog);
    let path = dir.join(fixture);
    std::fs::write(&path, text).unwrap();
    path
}

/// Two blogs from one fixture: `tech.xml` as it is, `cuisine.xml` on another host.
pub fn two_feeds(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let tech = dir.join("tech.xml");
    std::fs::copy(fixture("span.xml"), &tech).unwrap();
    let cuisine = dir.join("cuisine.xml");
    let text = std::fs::read_to_string(fixture("span.xml"))
        .unwrap()
        .replace("https://blog.example.org", "https://cuisine.example.org");
    std::fs::write(&cuisine, text).unwrap();
    (tech, cuisine)
}

/// A config over `feed` with `accounts` (TOML `[[account]]` tables), `per_day` posts a day by
/// default, link checks off, news and events excluded, Paris time.
pub fn config(
    state: &std::path::Path,
    feed: &std::path::Path,
    per_day: f64,
    accounts: &str,
) -> encore::Config {
    let text = format!(
        r#"
timezone = "Europe/Paris"
state_dir = {state:?}
[feed]
url = {feed:?}
[select]
exclude_categories = ["Actualités", "Événements"]
check_link = false
[cadence]
per_day = {per_day}
{accounts}
"#,
        state = state.display().to_string(),
        feed = feed.display().to_string(),
    );
    encore::Config::parse(std::path::Path::new("test.toml"), &text).unwrap()
}

/// A blog serving article pages with Open Graph tags and their images: a small PNG, or,
/// when `big` is set, a JPEG over Bluesky's 1,000,000-byte thumbnail limit.
pub struct Blog {
    pub base: String,
    pub big: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub hits: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

pub const THUMB_PNG_LEN: usize = 2_048;

impl Blog {
    pub async fn start() -> Blog {
        use std::sync::atomic::Ordering;
        let big = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let hits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (b, h) = (big.clone(), hits.clone());
        let base = http::serve(move |req| {
            let path = req.path();
            h.lock().unwrap().push(path.clone());
            if path == "/img/thumb.png" {
                let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
                png.resize(THUMB_PNG_LEN, 0);
                return Some(http::Reply::bytes(200, "image/png", png));
            }
            if path == "/img/big.jpg" {
                return Some(http::Reply::bytes(200, "image/jpeg", vec![0xff; 1_200_000]));
            }
            let img = if b.load(Ordering::SeqCst) {
                "/img/big.jpg"
            } else {
                "/img/thumb.png"
            };
            let html = format!(
                r#"<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>ignored</title>
<meta property="og:title" content="Page title for {path}">
<meta property="og:description" content="Une description avec des accents &amp; un emoji 🎉">
<meta property="og:image" content="{img}">
</head><body><p>Article</p></body></html>"#
            );
            Some(http::Reply::bytes(
                200,
                "text/html; charset=utf-8",
                html.into_bytes(),
            ))
        })
        .await;
        Blog { base, big, hits }
    }
}

/// The client a test's article pages and images are read with: the open one, as for a feed
/// with `allow_private_networks = true` (the test blogs listen on 127.0.0.1).
pub fn pages() -> &'static encore::Pages {
    static WEB: std::sync::OnceLock<encore::Web> = std::sync::OnceLock::new();
    WEB.get_or_init(|| encore::Web::new(encore::Trusted::default(), ["lan".to_string()]))
        .pages("lan")
}

/// Log lines at info and above, gathered from a subscriber set for the current thread (a
/// `#[tokio::test]` on the current-thread runtime runs the daemon there).
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// Starts capturing; the guard ends it.
    pub fn install() -> (Captured, tracing::subscriber::DefaultGuard) {
        let logs = Captured::default();
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// Bytes captured so far (a mark for [`Captured::since`]).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The text captured after `mark`.
    pub fn since(&self, mark: usize) -> String {
        String::from_utf8(self.0.lock().unwrap()[mark..].to_vec()).unwrap()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Peak resident memory of this process so far, in KiB (Linux).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// Writes `dir/feed.xml`: an RSS 2.0 channel titled `title` at `link` around `items` (the
/// `<item>` elements, already written).
pub fn write_rss(
    dir: &std::path::Path,
    title: &str,
    link: &str,
    items: &str,
) -> std::path::PathBuf {
    let path = dir.join("feed.xml");
    std::fs::write(
        &path,
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{title}</title><link>{link}</link>{items}</channel></rss>"),
    )
    .unwrap();
    path
}

/// The first post `encore preview` plans for `config` within two days of `now` (RFC 3339), as
/// its JSON line: what a daemon started just before will post first (preview creates the
/// state, and with it this installation's seed).
pub fn first_planned(config: &std::path::Path, now: &str) -> serde_json::Value {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(config)
        .args(["preview", "--format", "json", "--days", "2", "--now", now])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().next().expect("a planned post")).unwrap()
}

/// A TCP port free on 127.0.0.1 a moment ago (for a server the test starts in another process).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether the command-line tool `name` is here. CI must have it (`.ci/run` installs it);
/// elsewhere the test says how to get it and does without, as a visible skip.
pub fn tool_present(name: &str, how: &str) -> bool {
    let present = std::process::Command::new(name)
        .arg("--version")
        .output()
        .is_ok();
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have {name} (.ci/run installs it)"
        );
        skipped(&format!("{name} is not installed: {how} to run this test"));
    }
    present
}

static SKIPPED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Says that the current test did not run its checks, and why: at once on the process's
/// standard error (libtest captures `println!`, not that), and again after the run's summary,
/// so that a skip is never read as a pass.
pub fn skipped(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let line = format!("SKIPPED {test}: {why}");
    let _ = writeln!(std::io::stderr().lock(), "{line}");
    let mut all = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    if all.is_empty() {
        // SAFETY: `say_skipped` is an `extern "C" fn()` that only locks and writes to stderr.
        unsafe {
            libc::atexit(say_skipped);
        }
    }
    all.push(line);
}

extern "C" fn say_skipped() {
    let all = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    eprintln!("\n{} test(s) skipped their checks:", all.len());
    for line in all.iter() {
        eprintln!("  {line}");
    }
}

/// A daemon on `cfg` over a fresh archive of its state, at `now` (networks as the config says).
pub async fn daemon_at(cfg: &encore::Config, now: chrono::DateTime<chrono::Utc>) -> encore::Daemon {
    let archive = encore::Archive::open(&cfg.state_dir).unwrap();
    let nets = encore::build_networks(cfg, false).unwrap();
    encore::Daemon::start(cfg.clone(), archive, nets, false, now)
        .await
        .unwrap()
}
