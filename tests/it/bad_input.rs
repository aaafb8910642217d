//! Bad input: a table of broken configs, each refused by `encore check --quiet` (what the
//! daemon and `systemctl reload` do) with its own message, FILE:LINE:COL, and exit 78, never
//! showing a secret's value; hostile feeds and titles that must cost a warning or a cut title,
//! never a panic's text or memory out of proportion.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const FEED: &str = "[feed]\nurl = \"feed.xml\"\n";
const ACCOUNT: &str = "[[account]]\nname = \"ok\"\nnetwork = \"log\"\n";

/// (what is wrong, config text, line of the error, words the message must hold)
fn cases(dir: &Path) -> Vec<(&'static str, String, usize, Vec<&'static str>)> {
    let open = dir.join("open-token");
    let missing = dir.join("missing-token");
    let masto = |token: &Path| {
        format!(
            "{FEED}[[account]]\nname = \"m\"\nnetwork = \"mastodon\"\ninstance = \"https://m.example\"\naccess_token = \"file:{}\"\n",
            token.display()
        )
    };
    vec![
        ("wrong type", format!("{FEED}[cadence]\nper_day = \"two\"\n{ACCOUNT}"), 4, vec!["`cadence.per_day`", "invalid type"]),
        ("wrong type (time zone)", format!("timezone = 3\n{FEED}{ACCOUNT}"), 1, vec!["`timezone`", "IANA"]),
        ("negative count", format!("{FEED}[select]\ncooldown_days = -3\n{ACCOUNT}"), 4, vec!["`select.cooldown_days`", "-3"]),
        ("unknown key", format!("{FEED}[cadence]\nper_dya = 2\n{ACCOUNT}"), 4, vec!["per_dya"]),
        ("unknown key in an account", format!("{FEED}{ACCOUNT}colour = \"red\"\n"), 6, vec!["colour"]),
        ("another network's key", format!("{FEED}{ACCOUNT}instance = \"https://m.example\"\n"), 6, vec!["`account.instance`", "mastodon"]),
        ("bad duration", format!("{FEED}[cadence]\nmin_spacing = \"two hours\"\n{ACCOUNT}"), 4, vec!["`cadence.min_spacing`"]),
        ("feed read too often", format!("[feed]\nurl = \"feed.xml\"\nrefresh = \"10s\"\n{ACCOUNT}"), 3, vec!["`feed.refresh`", "at least 1m"]),
        ("bad time zone", format!("timezone = \"Mars/Olympus\"\n{FEED}{ACCOUNT}"), 1, vec!["`timezone`", "Mars/Olympus"]),
        ("inverted age window", format!("{FEED}[select]\nmin_age_days = 100\n{ACCOUNT}"), 4, vec!["max_age_days", "min_age_days"]),
        ("rate out of range", format!("{FEED}[cadence]\nmode = \"fixed\"\nper_day = 30\n{ACCOUNT}"), 5, vec!["`cadence.per_day`", "at most 24"]),
        ("bad day", format!("{FEED}[cadence]\ndays = [\"mon\", \"funday\"]\n{ACCOUNT}"), 4, vec!["`cadence.days`", "funday"]),
        ("bad active hours", format!("{FEED}[cadence]\nactive_hours = \"9h-20h\"\n{ACCOUNT}"), 4, vec!["`cadence.active_hours`"]),
        ("template without the link", format!("{FEED}[message]\ntemplate = \"{{title}}\"\n{ACCOUNT}"), 4, vec!["{url}"]),
        ("no account", FEED.to_string(), 1, vec!["no [[account]] defined"]),
        ("no feed", ACCOUNT.to_string(), 1, vec!["[feed]", "`url` is required"]),
        ("duplicate account names", format!("{FEED}{ACCOUNT}{ACCOUNT}"), 7, vec!["duplicate account name \"ok\""]),
        ("bad account name", format!("{FEED}[[account]]\nname = \"a b\"\nnetwork = \"log\"\n"), 4, vec!["`account.name`"]),
        ("unknown network", format!("{FEED}[[account]]\nname = \"a\"\nnetwork = \"friendster\"\n"), 5, vec!["friendster"]),
        ("instance not a URL", format!("{FEED}[[account]]\nname = \"m\"\nnetwork = \"mastodon\"\ninstance = \"not a url\"\naccess_token = \"env:T\"\n"), 6, vec!["`account.instance`", "not a URL"]),
        ("secret file missing", masto(&missing), 7, vec!["`access_token`", "cannot read secret file", "missing-token"]),
        ("secret file readable by all", masto(&open), 7, vec!["`access_token`", "readable by every user", "chmod 600"]),
        ("not TOML at all", format!("{FEED}{ACCOUNT}this is not toml\n"), 6, vec!["key"]),
        // Issue 18: found by an outside check.
        ("a secret written as a number", format!("{FEED}[[account]]\nname = \"x\"\nnetwork = \"x\"\nconsumer_key = \"env:A\"\nconsumer_secret = 8675309123456\n"), 7, vec![":7:19: `account.consumer_secret`", "not a number"]),
        ("a secret without quotes", format!("{FEED}[[account]]\nname = \"b\"\nnetwork = \"bluesky\"\nidentifier = \"me.example\"\napp_password = s3cr3tw0rd\n"), 7, vec![":7:16: `account.app_password`", "must be quoted"]),
        ("a table for the array of accounts", format!("{FEED}[account]\nname = \"x\"\nnetwork = \"log\"\n"), 3, vec![":3:1: `account`", "write [[account]]"]),
        ("a byte order mark before a bad first key", format!("\u{feff}timezone = \"Moon/Base\"\n{FEED}{ACCOUNT}"), 1, vec![":1:12: `timezone`", "Moon/Base"]),
        ("a string without quotes", format!("[feed]\nurl = feed.xml\n{ACCOUNT}"), 2, vec![":2:7: `feed.url`", "must be quoted: url = \"feed.xml\""]),
    ]
}

#[test]
fn every_broken_config_is_refused_with_its_own_message_line_and_78() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("feed.xml"),
        "<rss version=\"2.0\"><channel></channel></rss>",
    )
    .unwrap();
    let open = dir.path().join("open-token");
    std::fs::write(&open, "t0k3n").unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = dir.path().join("config.toml");
    let mut messages = Vec::new();
    let cases = cases(dir.path());
    for (what, text, line, words) in &cases {
        std::fs::write(&config, text).unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
            .args(["--config", config.to_str().unwrap(), "check", "--quiet"])
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(78), "{what}: {err}");
        let prefix = format!("encore: {}:{line}:", config.display());
        assert!(
            err.starts_with(&prefix),
            "{what}: expected {prefix}…, got {err}"
        );
        for w in words {
            assert!(err.contains(w), "{what}: {err} should say {w:?}");
        }
        let column = err[prefix.len()..].split(':').next().unwrap_or("");
        assert!(
            !column.is_empty() && column.bytes().all(|b| b.is_ascii_digit()),
            "{what}: no column after {prefix}: {err}"
        );
        for secret in ["t0k3n", "8675309123456", "s3cr3tw0rd"] {
            assert!(!err.contains(secret), "{what}: a secret shown: {err}");
        }
        assert!(!err.contains('\u{feff}'), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        messages.push(err.lines().next().unwrap_or("").replace(&prefix, ""));
    }
    let distinct: std::collections::HashSet<&String> = messages.iter().collect();
    assert_eq!(
        distinct.len(),
        messages.len(),
        "each error its own message: {messages:#?}"
    );
    println!(
        "bad configs: {} refused with their own message and line, exit 78",
        cases.len()
    );
}

/// A one-item RSS feed whose item is `title`, 40 days before 2026-12-01, and a config posting
/// to the log (X's length rule) over it, in `dir`.
fn one_item_blog(dir: &Path, feed_bytes: &[u8]) -> std::path::PathBuf {
    std::fs::write(dir.join("feed.xml"), feed_bytes).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "timezone = \"UTC\"\nstate_dir = {:?}\n[feed]\nurl = \"feed.xml\"\nmax_size = \"16MiB\"\n[select]\ncheck_link = false\n[cadence]\nmode = \"fixed\"\nper_day = 3\n{ACCOUNT}",
            dir.join("state").display().to_string()
        ),
    )
    .unwrap();
    config
}

fn rss_item(title: &str) -> Vec<u8> {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title><link>https://blog.example.org/</link><item><title>{title}</title><link>https://blog.example.org/p/1</link><pubDate>Wed, 21 Oct 2026 08:00:00 +0000</pubDate><category>SEO</category></item></channel></rss>").into_bytes()
}

/// `encore preview --days 1` on 2026-12-01 over `config`: (stdout, stderr, status).
fn preview(config: &Path) -> (String, String, Option<i32>) {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"))
        .args(["--config", config.to_str().unwrap()])
        .args(["preview", "--days", "1", "--seed", "1"])
        .args(["--now", "2026-12-01T08:00:00Z"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (text(&out.stdout), text(&out.stderr), out.status.code())
}

/// The largest peak resident set of any child this process has waited for, in KiB.
fn children_peak_rss_kib() -> i64 {
    // SAFETY: getrusage writes into the zeroed struct we own; RUSAGE_CHILDREN is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    usage.ru_maxrss
}

#[test]
fn a_two_mib_title_costs_memory_in_proportion_and_is_cut() {
    // Issue 18: every cut of the title was copied out; 2 MiB took `preview` to 23 GiB.
    let dir = tempfile::tempdir().unwrap();
    let config = one_item_blog(dir.path(), &rss_item(&"mot ".repeat(512 * 1024)));
    let (out, err, status) = preview(&config);
    assert_eq!(status, Some(0), "{err}");
    assert!(out.contains("mot mot mot…"), "{out}");
    assert!(!out.contains(&"mot ".repeat(600)), "the title is cut");
    // Other tests' children (check, preview) are a few MiB each: this bounds the one above.
    let peak = children_peak_rss_kib();
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB");
}

#[test]
fn a_utf16_feed_without_a_byte_order_mark_is_one_warning_not_a_panic() {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><item><title>x</title><link>https://blog.example.org/p/1</link></item></channel></rss>";
    let bytes: Vec<u8> = xml.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let dir = tempfile::tempdir().unwrap();
    let (_, err, status) = preview(&one_item_blog(dir.path(), &bytes));
    assert_eq!(status, Some(0), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(
        err.contains("UTF-16 (little-endian) without a byte order mark"),
        "{err}"
    );
}

#[test]
fn controls_and_an_open_override_in_a_title_do_not_go_out() {
    let dir = tempfile::tempdir().unwrap();
    let title = "Un titre &#x202E;lanigiro&#1; et &#x2067;fin";
    let config = one_item_blog(dir.path(), &rss_item(title));
    let (out, err, status) = preview(&config);
    assert_eq!(status, Some(0), "{err}");
    assert!(
        out.contains("#SEO Un titre \u{202E}lanigiro et \u{2067}fin\u{2069}\u{202C} https://blog.example.org/p/1"),
        "{out:?}"
    );
    assert!(!out.contains('\u{1}'), "{out:?}");
}
