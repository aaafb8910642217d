//! The state file as an admin meets it: the README's `sqlite3` queries and its backup command,
//! run with the real `sqlite3` (Debian's, installed by `.ci/run`) against a state Encore wrote,
//! so that the README stays true.

use chrono::{Duration, Utc};
use encore::FeedItem;
use encore::{Archive, Outcome, ShareRecord};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The README's commands in "The state" that start with `sqlite3` (continuation lines joined).
fn readme_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("### The state").expect("a state section");
    let section = &readme[start..start + readme[start..].find("**Why SQLite.**").unwrap()];
    let mut commands = Vec::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        let code = line.strip_prefix("    ").map(str::trim);
        match (code, current.as_mut()) {
            (Some(c), None) if c.starts_with("sqlite3 ") => current = Some(c.to_string()),
            (Some(c), Some(cmd)) if !c.starts_with('#') && !c.is_empty() => {
                cmd.push(' ');
                cmd.push_str(c);
            }
            _ => {
                if let Some(done) = current.take() {
                    commands.push(done.replace("\\ ", " "));
                }
                if let Some(c) = code.filter(|c| c.starts_with("sqlite3 ")) {
                    current = Some(c.to_string());
                }
            }
        }
    }
    commands.extend(current);
    commands
}

fn sqlite3_present() -> bool {
    crate::support::tool_present("sqlite3", "apt-get install sqlite3")
}

fn state_with_shares(dir: &Path) {
    let a = Archive::open(dir).unwrap();
    let now = Utc::now();
    let items: Vec<FeedItem> = (1..=3)
        .map(|i| FeedItem {
            key: format!("blog.example.org/{i}"),
            url: format!("https://blog.example.org/{i}/"),
            title: format!("Article {i}"),
            published: Some(now - Duration::days(40)),
            categories: vec!["SEO".into()],
        })
        .collect();
    a.merge(&items, now).unwrap();
    let share = |i: u32, hours: i64, outcome: Outcome| ShareRecord {
        at: now - Duration::hours(hours),
        account: "blog-x".into(),
        article_key: Some(format!("blog.example.org/{i}")),
        url: Some(format!("https://blog.example.org/{i}/")),
        slot: now - Duration::hours(hours),
        outcome,
        post_id: Some(format!("p{hours}")),
        detail: if outcome == Outcome::Failed {
            "HTTP 503".into()
        } else {
            String::new()
        },
        wording: None,
    };
    for (i, hours, outcome) in [
        (1, 100, Outcome::Shared),
        (1, 50, Outcome::Shared),
        (2, 30, Outcome::Shared),
        (3, 20, Outcome::Failed),
        (3, 24 * 10, Outcome::Failed),
    ] {
        a.settle(&share(i, hours, outcome)).unwrap();
    }
}

#[test]
fn the_readme_queries_and_backup_work_on_a_live_state() {
    if !sqlite3_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    state_with_shares(&state);
    // A writer stays open, as the daemon would.
    let daemon = Archive::open(&state).unwrap();
    let db = state.join("encore.db").display().to_string();
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let commands = readme_commands();
    assert_eq!(commands.len(), 4, "{commands:#?}");
    let mut outputs = Vec::new();
    for cmd in &commands {
        let cmd = cmd
            .replace("/var/lib/encore/encore.db", &db)
            .replace("/var/backups", &backups.display().to_string());
        let out = std::process::Command::new("sh")
            .args(["-c", &cmd])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push(String::from_utf8(out.stdout).unwrap());
    }
    // The last shares: the three shared, newest first.
    let last: Vec<&str> = outputs[0].lines().collect();
    assert_eq!(last.len(), 3, "{}", outputs[0]);
    assert!(
        last[0].ends_with("|blog-x|https://blog.example.org/2/"),
        "{}",
        outputs[0]
    );
    // This week's failures: the one 20 hours ago, not the one ten days ago.
    assert_eq!(outputs[1].lines().count(), 1, "{}", outputs[1]);
    assert!(outputs[1].contains("HTTP 503"), "{}", outputs[1]);
    // The most shared: article 1, twice.
    assert!(
        outputs[2].starts_with("2|Article 1|https://blog.example.org/1/"),
        "{}",
        outputs[2]
    );
    // The backup: a consistent copy, as private as the state, that Encore opens.
    let copy = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&copy, restored.path().join("encore.db")).unwrap();
    let back = Archive::open(restored.path()).unwrap();
    assert_eq!(back.all_history().unwrap(), daemon.all_history().unwrap());
    assert_eq!(back.articles().unwrap().len(), 3);
}
