//! Secrets never show: every command, run against the three fake networks with full trace
//! logging and recognisable secret values (right ones and wrong ones), prints none of them, and
//! the state holds none of them in clear (the session tokens Encore must keep are in files of
//! mode 0600, the app password is never stored).

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use support::three::{encore, encore_env, secrets, text, write_config, Fakes};

/// Wrong values for the failing sign-in paths: they must not show either.
const WRONG: [(&str, &str); 3] = [
    ("T_MASTO", "wrong-masto-token-7f3a9c"),
    ("T_CS", "wrong-consumer-secret-51e2"),
    ("T_BSKY", "wron-gapp-pass-word"),
];

fn all_secrets() -> Vec<&'static str> {
    secrets()
        .iter()
        .map(|(_, v)| *v)
        .chain(WRONG.iter().map(|(_, v)| *v))
        .collect()
}

fn assert_no_secret(what: &str, output: &str) {
    for s in all_secrets() {
        assert!(
            !output.contains(s),
            "{what} shows a secret ({s}):\n{output}"
        );
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_command_log_or_state_file_shows_a_secret() {
    let f = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &f);
    let trace = ["--log-level", "trace"];

    let commands: Vec<Vec<&str>> = vec![
        vec!["check"],
        vec!["check", "--quiet"],
        vec!["check", "--online"],
        vec!["preview", "--days", "3"],
        vec!["preview", "--days", "3", "--format", "json"],
        vec!["post-now", "--account", "blog-x"],
        vec!["post-now", "--account", "blog-masto"],
        vec!["post-now", "--account", "blog-bsky"],
        vec!["post-now", "--account", "blog-bsky", "--dry-run"],
        vec!["history"],
        vec!["history", "--format", "json"],
        vec!["status"],
        vec!["status", "--format", "json"],
    ];
    let mut ran = 0;
    for args in &commands {
        let mut all = trace.to_vec();
        all.extend(args);
        let out = encore(&config, &all).await;
        let shown = text(&out);
        assert!(out.status.success(), "encore {}: {shown}", args.join(" "));
        assert_no_secret(&format!("encore {}", args.join(" ")), &shown);
        ran += 1;
    }
    assert_eq!(f.masto.statuses().len(), 1, "post-now posted for real");

    // The daemon, traced, until it has started and read the feed; then SIGTERM.
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("encore"));
    cmd.args(["--log-level", "trace", "--config"])
        .arg(&config)
        .arg("run")
        .env_remove("RUST_LOG");
    for (k, v) in secrets() {
        cmd.env(k, v);
    }
    let (log, status, _) = support::run_until_then_term(cmd, " started");
    assert!(status.success(), "{log}");
    assert!(log.lines().count() > 10, "trace logging is on: {log}");
    assert_no_secret("encore run", &log);

    // Failing sign-ins, on a fresh state (no stored session to fall back on).
    let fresh = tempfile::tempdir().unwrap();
    let config2 = write_config(fresh.path(), &f);
    for args in [
        vec!["check", "--online"],
        vec!["post-now", "--account", "blog-masto"],
        vec!["post-now", "--account", "blog-x"],
        vec!["post-now", "--account", "blog-bsky"],
    ] {
        let mut all = trace.to_vec();
        all.extend(&args);
        let out = encore_env(&config2, &all, &WRONG).await;
        let shown = text(&out);
        assert!(!out.status.success(), "refused: {shown}");
        assert_no_secret(&format!("failing encore {}", args.join(" ")), &shown);
        ran += 1;
    }

    // Literal secrets in the config file: shown masked, warned about, never printed.
    let literal = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\"env:T_MASTO\"", &format!("{:?}", secrets()[4].1));
    let config3 = dir.path().join("literal.toml");
    std::fs::write(&config3, literal).unwrap();
    std::fs::set_permissions(&config3, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = encore(&config3, &["--log-level", "trace", "check"]).await;
    let shown = text(&out);
    assert!(
        shown.contains("<literal, masked>") && shown.contains("every user can read it"),
        "{shown}"
    );
    assert_no_secret("encore check (literal secret)", &shown);

    // The state: no secret in clear in any file; kept tokens only in 0600 files.
    let mut sessions = 0;
    for dir in [dir.path().join("state"), fresh.path().join("state")] {
        for file in files_under(&dir) {
            let bytes = std::fs::read(&file).unwrap();
            for s in all_secrets() {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                    "{} holds a secret in clear ({s})",
                    file.display()
                );
            }
            if file.components().any(|c| c.as_os_str() == "sessions") {
                sessions += 1;
                let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", file.display());
            }
        }
    }
    assert!(sessions >= 1, "the Bluesky session was kept");
    println!(
        "secrets: {ran} commands, the daemon and the state checked, 0 secrets shown ({} values)",
        all_secrets().len()
    );
}
