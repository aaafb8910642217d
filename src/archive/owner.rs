//! Which process an intent belongs to, so that a process settles only the intents nobody is
//! still posting: `post-now` started beside the daemon must not take the daemon's post in
//! flight for an interrupted one (nor the daemon `post-now`'s).
//!
//! A process is named by its pid, its start time (in clock ticks since boot, from
//! `/proc/PID/stat`: a pid is reused, a pid with its start time is not) and when the machine
//! booted (`b` and the Unix second: the real-time clock less the time since boot). Not the
//! kernel's boot id: `/proc/sys` is hidden by the unit's `ProcSubset=pid`, and a daemon that
//! cannot read it would take every process for gone.

use std::sync::OnceLock;

/// This process's name, as written in the intents it makes.
pub(super) fn me() -> &'static str {
    static ME: OnceLock<String> = OnceLock::new();
    ME.get_or_init(|| {
        let pid = std::process::id();
        format!(
            "{pid}:{}:{}",
            start_time(pid).unwrap_or_default(),
            boot_mark().unwrap_or_default()
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
    !start.is_empty() && same_boot(boot) && start_time(pid).as_deref() == Some(start)
}

/// How far two readings of the boot time may differ within one boot: the real-time clock is
/// stepped by NTP; a machine that reboots within this and gives a pid the same start tick
/// again is not a worry.
const BOOT_SLACK_SECS: i64 = 120;

fn same_boot(written: &str) -> bool {
    let Some(then) = written
        .strip_prefix('b')
        .and_then(|s| s.parse::<i64>().ok())
    else {
        return false;
    };
    boot_time().is_some_and(|now| (now - then).abs() <= BOOT_SLACK_SECS)
}

/// Field 22 of `/proc/PID/stat`: when the process started, in clock ticks after boot.
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19).map(str::to_string)
}

/// When the machine booted, in Unix seconds: the real-time clock less the time since boot
/// (`CLOCK_BOOTTIME` counts suspended time too).
fn boot_time() -> Option<i64> {
    let read = |clock| {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `t` is a valid timespec for the call to fill; both clocks exist on Linux.
        (unsafe { libc::clock_gettime(clock, &mut t) } == 0).then_some(t.tv_sec)
    };
    Some(read(libc::CLOCK_REALTIME)? - read(libc::CLOCK_BOOTTIME)?)
}

fn boot_mark() -> Option<String> {
    boot_time().map(|b| format!("b{b}"))
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
        let name = format!(
            "{pid}:{}:{}",
            start_time(pid).unwrap(),
            boot_mark().unwrap()
        );
        assert!(alive_elsewhere(&name));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!alive_elsewhere(&name), "a process that ended");
        // A reused pid has another start time.
        let other_start = format!("{}:1:{}", std::process::id(), boot_mark().unwrap());
        assert!(!alive_elsewhere(&other_start));
        assert!(!alive_elsewhere(""));
    }

    #[test]
    fn the_boot_is_told_from_the_clocks_within_a_slack() {
        let now = boot_time().unwrap();
        assert!(same_boot(&format!("b{}", now - 30)), "an NTP step");
        assert!(!same_boot(&format!("b{}", now - 3600)), "another boot");
        assert!(
            !same_boot("0b5e2a3c-1111-2222-3333-444455556666"),
            "an intent written by an Encore that named the boot by its id is taken as gone"
        );
    }
}
