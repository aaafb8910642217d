//! The unit and sysusers files as systemd reads them: `systemd-analyze verify`, the sandbox's
//! exposure score (at most 1.5), and `systemd-sysusers` creating the user. `.ci/run` installs
//! systemd's tools; a machine without them skips these tests and says why.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Whether a systemd tool is on this machine; prints why a test is skipped when it is not.
fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok();
    if !found {
        crate::support::skipped(&format!(
            "{tool} is not installed (apt-get install systemd); .ci/run installs it"
        ));
    }
    found
}

/// The unit with ExecStart= and ExecReload= pointing at the binary under test (verify checks
/// that the programs exist), in a directory of its own so that its name stays encore.service.
fn unit_under_test(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo("systemd/encore.service")).unwrap();
    let text = text.replace("/usr/bin/encore", env!("CARGO_BIN_EXE_encore"));
    let path = dir.join("encore.service");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_unit_verifies() {
    if !have("systemd-analyze") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_under_test(dir.path());
    // --man=no: the man page is installed by the package, not on the build machine.
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains("encore.service"),
        "no complaint about the unit: {err}"
    );
}

#[test]
fn the_sandbox_exposure_is_at_most_1_5() {
    if !have("systemd-analyze") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_under_test(dir.path());
    // --threshold is in tenths: 15 means 1.5.
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--threshold=15", "--no-pager"])
        .arg(&unit)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let score: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for encore.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no overall exposure in: {text}"));
    eprintln!("exposure {score}");
    assert!(score <= 1.5, "exposure {score}: {text}");
    assert!(out.status.success(), "over the threshold: {text}");
}

#[test]
fn the_unit_says_what_the_daemon_does() {
    let unit = std::fs::read_to_string(repo("systemd/encore.service")).unwrap();
    let set = |line: &str| unit.lines().any(|l| l.trim() == line);
    // The notify protocol, the watchdog, reload checked first, no restart loop on a bad config.
    for line in [
        "Type=notify",
        "WatchdogSec=2min",
        "ExecReload=/usr/bin/encore --config /etc/encore/config.toml check --quiet",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "RestartPreventExitStatus=78",
        "StateDirectory=encore",
        "ConfigurationDirectory=encore",
        "User=encore",
    ] {
        assert!(set(line), "missing {line:?}");
    }
    assert!(
        unit.contains(&format!("--config {} run", encore::DEFAULT_PATH)),
        "the unit's config is the default one"
    );
    assert!(
        unit.contains("#LoadCredential=") && unit.contains("#LoadCredentialEncrypted="),
        "credential examples"
    );
    assert_eq!(encore::EX_CONFIG, 78);
}

#[test]
fn sysusers_creates_the_user() {
    if !have("systemd-sysusers") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("etc")).unwrap();
    let out = Command::new("systemd-sysusers")
        .arg(format!("--root={}", root.path().display()))
        .arg(repo("systemd/encore.sysusers"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let passwd = std::fs::read_to_string(root.path().join("etc/passwd")).unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with("encore:"))
        .unwrap_or_else(|| panic!("{passwd}"));
    assert!(
        line.ends_with(":/var/lib/encore:/usr/sbin/nologin"),
        "{line}"
    );
}
