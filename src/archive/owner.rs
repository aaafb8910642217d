//! Which process an intent belongs to, so that a process settles only the intents nobody is
//! still posting: `post-now` started beside the daemon must not take the daemon's post in
//! flight for an interrupted one (nor the daemon `post-now`'s).
//!
//! A process is named by its pid, its start time (in clock ticks since boot, from
//! `/proc/PID/stat`: a pid is reused, a pid with its start time is not) and the boot's id.

use std::sync::OnceLock;

/// This process's name, as written in the intents it makes.
pub(super) fn me() -> &'static str {
    static ME: OnceLock<String> = OnceLock::new();
    ME.get_or_init(|| {
        let pid = std::process::id();
        format!(
            "{pid}:{}:{}",
            start_time(pid).unwrap_or_default(),
            boot_id().unwrap_or_default()
        )
    })
}

/// Whether the process named `owner` is running now (and is not this one). An owner that
/// cannot be read (an empty name, no `/proc`) is taken as gone: its intent is settled as an
/// interrupted post would be, which never posts twice.
pub(super) fn alive_elsewhere(owner: &str) -> bool {
    if owner == me() {
        return false;
    }
    let mut parts = owner.splitn(3, ':');
    let (Some(pid), Some(start), Some(boot)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    !start.is_empty()
        && boot_id().as_deref() == Some(boot)
        && start_time(pid).as_deref() == Some(start)
}

/// Field 22 of `/proc/PID/stat`: when the process started, in clock ticks after boot.
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19).map(str::to_string)
}

fn boot_id() -> Option<String> {
    static BOOT: OnceLock<Option<String>> = OnceLock::new();
    BOOT.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .ok()
            .map(|s| s.trim().to_string())
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_not_elsewhere_and_a_live_one_is() {
        assert!(!alive_elsewhere(me()));
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id();
        let name = format!("{pid}:{}:{}", start_time(pid).unwrap(), boot_id().unwrap());
        assert!(alive_elsewhere(&name));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!alive_elsewhere(&name), "a process that ended");
        // A reused pid has another start time.
        let other_start = format!("{}:1:{}", std::process::id(), boot_id().unwrap());
        assert!(!alive_elsewhere(&other_start));
        assert!(!alive_elsewhere(""));
    }
}
