//! Log setup: `tracing` to stderr. Under systemd (`JOURNAL_STREAM` set) timestamps are left out,
//! journald adds its own.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `level` (from `--log-level`) wins over `RUST_LOG`; the default
/// is `info`.
pub fn init(level: Option<&str>) {
    let env = std::env::var("RUST_LOG").ok();
    let filter = EnvFilter::try_new(filter_spec(level.or(env.as_deref())))
        .unwrap_or_else(|_| EnvFilter::new(filter_spec(None)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::redact::Scrubbing(std::io::stderr()))
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let result = if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().with_ansi(false).try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests) keeps the first subscriber: nothing to do.
    drop(result);
    hide_secrets_in_panics();
}

/// A panic's message is printed with every secret Encore holds cut out, like the log: a bug
/// that panics on a value from outside must not print a token. (The message, its place in
/// the code, and nothing else: the standard hook's backtrace hint is kept.)
fn hide_secrets_in_panics() {
    let standard = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned());
        match message {
            Some(m) => {
                let at = info.location().map(|l| (l.file(), l.line()));
                eprintln!("{}", panic_line(&m, at));
            }
            None => standard(info),
        }
    }));
}

/// What a panic prints: where, and its message without any secret.
fn panic_line(message: &str, at: Option<(&str, u32)>) -> String {
    let at = at
        .map(|(file, line)| format!(" at {file}:{line}"))
        .unwrap_or_default();
    format!("encore panicked{at}: {}", crate::redact::scrub(message))
}

/// The filter: `--log-level`, else `RUST_LOG`, else `info` (a blank value counts as none).
fn filter_spec(spec: Option<&str>) -> String {
    spec.map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("info")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{filter_spec, panic_line};

    #[test]
    fn a_panic_message_never_shows_a_secret() {
        crate::redact::remember("xoxb-panic-test-token-123");
        assert_eq!(
            panic_line(
                "bad answer: xoxb-panic-test-token-123",
                Some(("src/x.rs", 7))
            ),
            "encore panicked at src/x.rs:7: bad answer: ****"
        );
    }

    #[test]
    fn a_blank_filter_is_info() {
        assert_eq!(filter_spec(None), "info");
        assert_eq!(filter_spec(Some("  ")), "info");
        assert_eq!(
            filter_spec(Some(" warn,encore=debug ")),
            "warn,encore=debug"
        );
    }
}
