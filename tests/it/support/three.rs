//! Three fakes (X, Mastodon, Bluesky) and a blog, a config with one account on each, and the
//! `encore` binary run against them: shared by tests/three_networks.rs and tests/secrets.rs.

use super::fake_bluesky::{self, FakeBluesky};
use super::fake_mastodon::{self, FakeMastodon};
use super::fake_x::{self, FakeX};
use super::Blog;
use assert_cmd::Command;
use chrono::{Duration, Utc};
use std::path::Path;

pub struct Fakes {
    pub x: FakeX,
    pub masto: FakeMastodon,
    pub bsky: FakeBluesky,
    pub blog: Blog,
}

impl Fakes {
    pub async fn start() -> Fakes {
        Fakes {
            x: FakeX::start().await,
            masto: FakeMastodon::start().await,
            bsky: FakeBluesky::start().await,
            blog: Blog::start().await,
        }
    }

    /// The three accounts, secrets from the environment (`T_*`), with their own cadences.
    pub fn accounts(&self) -> String {
        format!(
            r#"
[[account]]
name = "blog-x"
network = "x"
api_base = "{x}"
consumer_key = "env:T_CK"
consumer_secret = "env:T_CS"
access_token = "env:T_AT"
access_token_secret = "env:T_ATS"
[account.cadence]
per_day = 2
min_spacing = "3h"

[[account]]
name = "blog-masto"
network = "mastodon"
instance = "{m}"
access_token = "env:T_MASTO"
language = "fr"
[account.cadence]
per_day = 1

[[account]]
name = "blog-bsky"
network = "bluesky"
service = "{b}"
appview = "{b}"
identifier = "{handle}"
app_password = "env:T_BSKY"
[account.cadence]
per_day = 0.5
"#,
            x = self.x.base,
            m = self.masto.base,
            b = self.bsky.base,
            handle = fake_bluesky::HANDLE,
        )
    }
}

/// `accounts` with each `env:NAME` secret read from a file `dir/NAME` instead, for tests that
/// run the library in this process: one test binary runs every suite in parallel threads, and
/// setting the environment while another thread reads it is undefined behaviour.
pub fn with_secret_files(accounts: &str, dir: &Path) -> String {
    let mut out = accounts.to_string();
    for (k, v) in secrets() {
        let path = dir.join(k);
        std::fs::write(&path, v).unwrap();
        // Encore refuses a secret file others can read.
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        out = out.replace(
            &format!("\"env:{k}\""),
            &format!("\"file:{}\"", path.display()),
        );
    }
    out
}

pub fn secrets() -> [(&'static str, &'static str); 6] {
    [
        ("T_CK", fake_x::CONSUMER_KEY),
        ("T_CS", fake_x::CONSUMER_SECRET),
        ("T_AT", fake_x::TOKEN),
        ("T_ATS", fake_x::TOKEN_SECRET),
        ("T_MASTO", fake_mastodon::TOKEN),
        ("T_BSKY", fake_bluesky::APP_PASSWORD),
    ]
}

/// Twenty articles 31 to 88 days old at `now`, titles and categories in several scripts
/// with emoji, one event (excluded), links on the test blog.
pub fn feed(dir: &Path, blog: &str, now: chrono::DateTime<Utc>) -> std::path::PathBuf {
    let titles = [
        ("Café et stratégie ☕ n°{i}", "Café"),
        ("東京で学んだこと 第{i}回", "日本語"),
        ("Émojis 🎉👩‍💻 partout, épisode {i}", "Typographie"),
        ("Ελληνικά και Русский {i}", "Langues"),
        ("Atelier n°{i} : inscriptions ouvertes", "Événements"),
    ];
    let mut items = String::new();
    for i in 0..20 {
        let (title, cat) = titles[i % titles.len()];
        let date = (now - Duration::days(31 + 3 * i as i64)).to_rfc2822();
        let slug = if cat == "Événements" {
            "atelier"
        } else {
            "article"
        };
        items.push_str(&format!(
            "<item><title>{}</title><link>{blog}/{slug}-{i}/</link><pubDate>{date}</pubDate><category>{cat}</category><category>Réseaux sociaux</category></item>\n",
            title.replace("{i}", &i.to_string())
        ));
    }
    super::write_rss(dir, "Blog", &format!("{blog}/"), &items)
}

pub fn write_config(dir: &Path, f: &Fakes) -> std::path::PathBuf {
    let feed = feed(dir, &f.blog.base, Utc::now());
    let text = format!(
        "timezone = \"Europe/Paris\"\nstate_dir = \"state\"\n[feed]\nurl = {:?}\n[select]\ncheck_link = false\nexclude_categories = [\"Événements\"]\n{}",
        feed.display().to_string(),
        f.accounts()
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub async fn encore(config: &Path, args: &[&str]) -> std::process::Output {
    encore_env(config, args, &[]).await
}

/// [`encore`] with some of the secrets' variables set to other values.
pub async fn encore_env(
    config: &Path,
    args: &[&str],
    overrides: &[(&str, &str)],
) -> std::process::Output {
    let config = config.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let overrides: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut c = Command::cargo_bin("encore").unwrap();
        c.env_remove("RUST_LOG");
        for (k, v) in secrets() {
            c.env(k, v);
        }
        for (k, v) in &overrides {
            c.env(k, v);
        }
        c.arg("--config").arg(&config).args(&args).output().unwrap()
    })
    .await
    .unwrap()
}

pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
