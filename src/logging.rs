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
    use super::filter_spec;

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
