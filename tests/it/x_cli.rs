//! The X commands end to end, as an admin runs them, against the fake X API:
//! `check --online`, `post-now`, `auth x`.

use crate::support;

use assert_cmd::Command;
use chrono::{Duration, Utc};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use support::fake_x::{self, FakeX};

/// A feed whose articles are 35 to 60 days old today, so that `post-now` (real clock) finds
/// eligible ones at any date.
fn fresh_feed(dir: &Path) -> PathBuf {
    let now = Utc::now();
    let mut items = String::new();
    for (i, (title, cat)) in [
        ("Café et stratégie ☕", "Contenu"),
        ("東京で学んだこと", "Stratégie"),
        ("Growth myths", "Growth"),
    ]
    .iter()
    .enumerate()
    {
        let date = (now - Duration::days(35 + 10 * i as i64)).to_rfc2822();
        items.push_str(&format!(
            "<item><title>{title}</title><link>https://blog.example.org/a{i}/</link><pubDate>{date}</pubDate><category>{cat}</category></item>\n"
        ));
    }
    support::write_rss(dir, "Blog", "https://blog.example.org/", &items)
}

fn write_config(dir: &Path, base: &str, account: &str) -> PathBuf {
    let feed = fresh_feed(dir);
    let text = format!(
        "timezone = \"Europe/Paris\"\nstate_dir = \"state\"\n[feed]\nurl = {:?}\n[select]\ncheck_link = false\n[[account]]\nname = \"blog-x\"\nnetwork = \"x\"\napi_base = \"{base}\"\n{account}\n",
        feed.display().to_string()
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A secret file as it should be: readable by its owner only.
fn private(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

const ENV_OAUTH1: &str = "consumer_key = \"env:T_CK\"\nconsumer_secret = \"env:T_CS\"\naccess_token = \"env:T_AT\"\naccess_token_secret = \"file:secret-file\"\n";

fn encore(config: &Path) -> Command {
    let mut c = Command::cargo_bin("encore").unwrap();
    c.env_remove("RUST_LOG")
        .env("T_CK", fake_x::CONSUMER_KEY)
        .env("T_CS", fake_x::CONSUMER_SECRET)
        .env("T_AT", fake_x::TOKEN)
        .arg("--config")
        .arg(config);
    c
}

/// Runs `encore ARGS` (with the test secrets in its environment) off the async threads, so the
/// fake server keeps answering.
async fn run(config: &Path, args: &[&str]) -> std::process::Output {
    let config = config.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    blocking(move || encore(&config).args(&args).output().unwrap()).await
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_online_names_the_account_and_never_shows_a_secret() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secret-file"),
        format!("{}\n", fake_x::TOKEN_SECRET),
    )
    .unwrap();
    private(&dir.path().join("secret-file"));
    let config = write_config(
        dir.path(),
        &fake.base,
        &ENV_OAUTH1.replace(
            "file:secret-file",
            &format!("file:{}", dir.path().join("secret-file").display()),
        ),
    );
    let out = run(&config, &["check", "--online"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("online  blog-x: x OK as @encore_blog, 1000 posts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("consumer_key = env:T_CK (available)"),
        "{stdout}"
    );
    for secret in [fake_x::CONSUMER_SECRET, fake_x::TOKEN_SECRET, fake_x::TOKEN] {
        assert!(!stdout.contains(secret), "{secret} leaked: {stdout}");
    }

    // A wrong secret: the check fails, names the account, exits 1, still leaks nothing.
    std::fs::write(dir.path().join("secret-file"), "wrong-token-secret").unwrap();
    let out = run(&config, &["check", "--online"]).await;
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("blog-x: x FAILED") && all.contains("401"),
        "{all}"
    );
    assert!(!all.contains("wrong-token-secret"), "{all}");

    // A missing variable: `check` (offline) warns and still succeeds (the unit may have it).
    let c = config.clone();
    let out = blocking(move || {
        encore(&c)
            .env_remove("T_CS")
            .args(["check"])
            .output()
            .unwrap()
    })
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success());
    assert!(
        stdout.contains("consumer_secret = env:T_CS (NOT AVAILABLE HERE)"),
        "{stdout}"
    );
    // The warning says where the key is written: FILE:LINE:COL.
    let warning = stdout
        .lines()
        .find(|l| l.contains("account \"blog-x\": `consumer_secret` cannot be read here"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let at = warning.strip_prefix("warning: ").unwrap_or("");
    let parts: Vec<&str> = at.splitn(4, ':').collect();
    assert!(
        parts.len() == 4 && parts[1..3].iter().all(|p| p.parse::<usize>().is_ok()),
        "{warning}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_now_shares_one_article_and_records_it_like_the_daemon() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret-file");
    std::fs::write(&secret, fake_x::TOKEN_SECRET).unwrap();
    private(&secret);
    let config = write_config(
        dir.path(),
        &fake.base,
        &ENV_OAUTH1.replace("file:secret-file", &format!("file:{}", secret.display())),
    );

    let out = run(&config, &["post-now", "--account", "blog-x", "--dry-run"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("would post on blog-x: "), "{stdout}");
    assert!(fake.posts().is_empty(), "a dry run posts nothing");

    let mut texts = Vec::new();
    for _ in 0..3 {
        let out = run(&config, &["post-now", "--account", "blog-x"]).await;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("shared on blog-x (post 18"), "{stdout}");
        texts.push(stdout);
    }
    let posts = fake.posts();
    assert_eq!(posts.len(), 3);
    let mut links: Vec<_> = posts
        .iter()
        .map(|p| p.text.split_whitespace().last().unwrap().to_string())
        .collect();
    links.sort();
    links.dedup();
    assert_eq!(
        links.len(),
        3,
        "cooldown: three different articles: {posts:?}"
    );
    assert!(posts.iter().any(|p| p.text.contains("東京")), "{posts:?}");

    // All three archived articles are in cooldown now: nothing to post, exit 1, nothing sent.
    let out = run(&config, &["post-now", "--account", "blog-x"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no eligible article"));
    assert_eq!(fake.posts().len(), 3);

    let out = run(&config, &["history", "--account", "blog-x"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("3 posts x $0.20 = $0.60"), "{stdout}");
    assert_eq!(stdout.matches(" shared ").count(), 3, "{stdout}");
}

/// `encore auth x --account blog-x` with every stream piped.
fn spawn_auth(config: &Path) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(config)
        .args(["auth", "x", "--account", "blog-x"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// `encore auth x` started against the fake, with the authorisation address it printed.
struct AuthRun {
    config: PathBuf,
    redirect: String,
    child: std::process::Child,
    url: url::Url,
    /// Everything it prints; read to the end, since closing the pipe early would make its
    /// next line fail (EPIPE).
    printed: std::thread::JoinHandle<Vec<String>>,
}

async fn start_auth(fake: &FakeX, dir: &Path) -> AuthRun {
    let redirect = format!("http://127.0.0.1:{}/callback", support::free_port());
    let config = write_config(
        dir,
        &fake.base,
        &format!(
            "auth = \"oauth2\"\nclient_id = \"{}\"\nredirect_uri = \"{redirect}\"\nauthorize_url = \"{}/i/oauth2/authorize\"\n",
            fake_x::CLIENT_ID,
            fake.base
        ),
    );
    let mut child = spawn_auth(&config);
    let stdout = child.stdout.take().unwrap();
    let (found_tx, found_rx) = std::sync::mpsc::channel();
    let printed = std::thread::spawn(move || {
        let mut all = Vec::new();
        for l in BufReader::new(stdout).lines() {
            let l = l.unwrap();
            if l.contains("/i/oauth2/authorize?") {
                let _ = found_tx.send(l.trim().to_string());
            }
            all.push(l);
        }
        all
    });
    let url = blocking(move || found_rx.recv().unwrap()).await;
    AuthRun {
        config,
        redirect,
        child,
        url: url::Url::parse(&url).unwrap(),
        printed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_x_runs_pkce_through_the_local_redirect_and_stores_private_tokens() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let AuthRun {
        config,
        redirect,
        mut child,
        url,
        printed,
    } = start_auth(&fake, dir.path()).await;
    // What the admin's browser and X's consent page do.
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], fake_x::CLIENT_ID);
    assert_eq!(
        q["scope"],
        "tweet.read tweet.write users.read offline.access"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    fake.approve("the-code", &q["code_challenge"], &q["redirect_uri"]);
    // A forged redirect (wrong state) would be refused; the real one is accepted.
    let resp = encore::http_client(std::time::Duration::from_secs(5))
        .unwrap()
        .get(format!("{redirect}?state={}&code=the-code", q["state"]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let status = blocking(move || child.wait().unwrap()).await;
    let rest = printed.join().unwrap();
    assert!(status.success(), "{rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("Logged in as @encore_blog")),
        "{rest:?}"
    );

    let session = dir.path().join("state/sessions/blog-x.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&session).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&session).unwrap()).unwrap();
    assert!(stored["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("refresh-"));

    // The stored login posts.
    let out = run(&config, &["post-now", "--account", "blog-x"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fake.posts().len(), 1);
    let bearer = fake
        .state
        .lock()
        .unwrap()
        .requests
        .iter()
        .any(|(m, p, a)| m == "POST" && p == "/2/tweets" && a == "Bearer");
    assert!(bearer);
}

/// What reaches the login listener that is not this login's redirect is ignored, and the
/// login goes on: a pasted address with another state, a connection that sends nothing, a
/// forged request whose error text holds terminal control characters (never printed raw).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_x_ignores_forged_redirects_and_silent_connections() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let AuthRun {
        redirect,
        mut child,
        url,
        printed,
        ..
    } = start_auth(&fake, dir.path()).await;
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    fake.approve("the-code", &q["code_challenge"], &q["redirect_uri"]);
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{redirect}?state=forged&code=abc").unwrap();
    let port = url::Url::parse(&redirect).unwrap().port().unwrap();
    let _silent = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let http = encore::http_client(std::time::Duration::from_secs(20)).unwrap();
    let forged = http
        .get(format!(
            "{redirect}?state=forged&error=access_denied&error_description=%1b%5b2J%1b%5bHgotcha"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400, "not this login's redirect");
    let real = http
        .get(format!("{redirect}?state={}&code=the-code", q["state"]))
        .send()
        .await
        .unwrap();
    assert_eq!(real.status(), 200);
    drop(stdin);
    let out = blocking(move || child.wait_with_output().unwrap()).await;
    let printed = printed.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{printed:?} {stderr}");
    assert!(stderr.contains("not this login's"), "{stderr}");
    assert!(!stderr.contains('\u{1b}') && !printed.concat().contains('\u{1b}'));
    assert!(dir.path().join("state/sessions/blog-x.json").exists());
}
