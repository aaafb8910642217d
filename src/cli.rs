// The command line's definition, shared by `main.rs` and `build.rs` (which generates the man
// pages and shell completions from it with `include!`): it may use only clap, chrono and std.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The config file read when `--config` and `ENCORE_CONFIG` are absent: the one the unit's
/// `ConfigurationDirectory=encore` holds (`encore::DEFAULT_PATH`; a test ties the two).
pub const DEFAULT_CONFIG: &str = "/etc/encore/config.toml";

/// Files, signals and exit statuses, for `--help` and the man page.
const AFTER_HELP: &str = "\
Files:
  /etc/encore/config.toml   the config (config.example.toml documents every key)
  /var/lib/encore           the state: archive, share history, sessions ($STATE_DIRECTORY)
  $CREDENTIALS_DIRECTORY    secrets named credential:NAME in the config (LoadCredential=)

Signals (encore run):
  SIGHUP           re-read the config; an invalid one is logged and the old one kept
  SIGTERM, SIGINT  stop after the post in flight (5 s at most), state flushed, exit 0

Exit status:
  0 success, 1 failure (a post not made, a failed online check), 2 malformed command
  line, 64 unusable value (an unknown account…), 74 output error, 78 configuration error (file, line and key are printed)

As a service: systemctl enable --now encore; systemctl reload encore; encore status";

/// Encore gives a blog's older articles a second life on X, Mastodon, Bluesky, Threads, LinkedIn
/// and Telegram channels.
///
/// It keeps an archive of every article the feed has shown, picks articles between 30 and 90
/// days old, skips excluded categories, puts hashtags from the categories first, and posts at a
/// rate that suits the account. Start with `encore check`, then `encore preview`.
#[derive(Parser)]
#[command(name = "encore", version, about, long_about, after_long_help = AFTER_HELP)]
pub struct Cli {
    /// The config file (see config.example.toml).
    #[arg(long, short, global = true, env = "ENCORE_CONFIG", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Log level or filter (error, warn, info, debug, trace; overrides RUST_LOG).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Validate the config and print the settings Encore understood (secrets masked).
    ///
    /// A bad config prints FILE:LINE:COL: and what is wrong with which key, and exits 78.
    /// Secrets are shown as references (env:, file:, credential:), never as values.
    Check {
        /// Also sign in to every account with one cheap call and print the handle and post
        /// count (X: GET /2/users/me; Mastodon: verify_credentials, plus the instance's
        /// length limit, kept for `preview`; Bluesky: the stored session or one login, then
        /// the profile). Exits 1 if any account fails.
        #[arg(long)]
        online: bool,
        /// Only this feed and the accounts that share it.
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
        /// Print nothing if the config is valid and every account can be set up here (secrets
        /// readable); else print the error and exit 78. The unit's ExecReload= runs this before
        /// signalling the daemon, so that `systemctl reload` fails on a config it would reject.
        #[arg(long, conflicts_with = "online")]
        quiet: bool,
    },
    /// Read the feed and print the posts Encore would make in the coming days. Posts nothing.
    ///
    /// Planned shares count for the rest of the period, so cooldown and rotation show. With
    /// several template variants or a titles file, each post says which variant and title it
    /// uses and why ("variant 2/3, alternate title 1/2: least recently used for the article
    /// here"). With --now and --seed the output is the same on every run.
    Preview {
        /// How many days ahead.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// Pretend it is this moment (RFC 3339, e.g. 2026-12-01T09:00:00+01:00).
        #[arg(long, value_parser = parse_time)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Seed for the jitter and the choice among equals (default: this installation's seed,
        /// so the preview shows what the daemon will do).
        #[arg(long)]
        seed: Option<u64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// Only the posts of this feed's articles (the plan is the whole daemon's).
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
        /// Auto mode: plan as if each auto account posted this many times a day by itself
        /// (instead of the volume measured by the daemon), to see what the rule gives.
        #[arg(long, value_parser = parse_volume)]
        volume: Option<f64>,
    },
    /// Run the daemon: post what is due, refresh the feed, until SIGTERM/SIGINT; SIGHUP reloads.
    ///
    /// Every post is written as an intent before it leaves and settled after the network
    /// answers, so a crash never causes a double post. A slot missed by more than the grace
    /// period (default 15m) is skipped and logged, never posted in a burst.
    ///
    /// SIGHUP re-reads the config and the titles file it names: a valid one takes effect at
    /// once (accounts added or removed, plans made again), an invalid one is logged and the old
    /// one (with its titles) goes on. Under
    /// systemd (Type=notify) it reports READY, STATUS and RELOADING, and feeds the watchdog
    /// when WatchdogSec= is set.
    ///
    /// A state that can no longer be written (disk full) stops the posting, not the daemon:
    /// one error line, the state tried every minute, then a fresh start from it. The feed is
    /// read at fixed UTC times ([feed] refresh); with several [[feed]] tables each is read at an
    /// offset of its own, feed_concurrency at a time and one at a time per host. An idle daemon
    /// wakes once a minute. With [metrics] listen, GET /metrics answers in the Prometheus text
    /// format.
    Run {
        /// Post nothing and write no history: log "would post: ACCOUNT URL TEXT" instead.
        #[arg(long)]
        dry_run: bool,
        /// Start the clock at this moment and run in real time (for rehearsing over a sample
        /// feed with fixed dates; use with --dry-run).
        #[arg(long, value_parser = parse_time, requires = "dry_run")]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// TEST ONLY (hidden): AT,ANCHOR,SPEED — a clock that read AT when the wall clock read
        /// ANCHOR and runs SPEED times faster, shared by every restart; retries wait in its
        /// time too. Used by the crash, full-disk and DNS suites (TESTING.md) against fake
        /// networks; never on real accounts.
        #[arg(long, hide = true, conflicts_with = "now")]
        test_clock: Option<String>,
    },
    /// Fill the archive from the feed's older pages (RFC 5005 links, else WordPress ?paged=N).
    ///
    /// Stops at a 404/410, at a page whose items are all older than max_age_days + 7 days, or
    /// after [feed] backfill_pages pages, pausing backfill_delay between pages. The daemon does
    /// this by itself on its first run.
    Backfill,
    /// Share one article now on one account, chosen and recorded as the daemon would.
    ///
    /// Ignores the cadence (not the cooldown, exclusions or monthly budget): a way to test
    /// credentials end to end. Exits 1 if the network did not take the post.
    PostNow {
        /// The account (its `name` in the config).
        #[arg(long)]
        account: String,
        /// Say what would be posted; post nothing, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// TEST ONLY (hidden): the clock of `run --test-clock`, so that a post-now and a
        /// daemon share one time line (tests/it/race.rs races them).
        #[arg(long, hide = true)]
        test_clock: Option<String>,
    },
    /// Log an account in where the network needs an interactive login (X with OAuth 2.0,
    /// LinkedIn).
    ///
    /// Mastodon and Threads use the access token from the config (Threads' is refreshed and
    /// kept in the state); Bluesky logs in by itself with the app password; Telegram uses the
    /// bot token.
    Auth {
        #[command(subcommand)]
        network: AuthNetwork,
    },
    /// List shares, failures and skipped slots, newest first, with this month's spend.
    ///
    /// Works while the daemon runs (from its copy of the state).
    History {
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        /// Only the shares of this feed's articles.
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// What the shares drew: per article (shares, engagement at each read-back age, per
    /// share, trend), per network, weekday and hour, the retired articles and the month's
    /// spend.
    ///
    /// --format html writes one self-contained file (its charts inline as SVG, no script, no
    /// font, nothing fetched): a shares calendar, engagement per article (best and worst
    /// ten), engagement by hour of day.
    Report {
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        /// From this moment (RFC 3339; default: 90 days ago).
        #[arg(long, value_parser = parse_time)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormatArg::Text)]
        format: ReportFormatArg,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        /// Pretend it is this moment (RFC 3339).
        #[arg(long, value_parser = parse_time)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Each account at a glance: mode, the volume behind the rate, today's slots, the next
    /// one, the last share, the month's spend, pauses, archive and feed.
    ///
    /// Works while the daemon runs (it reads the state the daemon writes, STATE_DIR/encore.db)
    /// and after it stopped.
    Status {
        /// Only this feed and the accounts that share it.
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// Pretend it is this moment (RFC 3339).
        #[arg(long, value_parser = parse_time)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Subcommand)]
pub enum AuthNetwork {
    /// OAuth 2.0 for an X account with auth = "oauth2": prints an address to open, waits for
    /// X's redirect on redirect_uri (or the final address pasted on stdin), stores the tokens
    /// in STATE_DIR/sessions (mode 0600). Tokens are renewed by themselves afterwards.
    X {
        /// The account (its `name` in the config).
        #[arg(long)]
        account: String,
    },
    /// OAuth 2.0 for a LinkedIn account: prints an address to open, waits for LinkedIn's
    /// redirect on redirect_uri (or the final address pasted on stdin), stores the token in
    /// STATE_DIR/sessions (mode 0600). A member's token lasts 60 days: run this again before
    /// then (`encore status` and the log count the days, and warn from 7 days before).
    #[command(name = "linkedin")]
    LinkedIn {
        /// The account (its `name` in the config).
        #[arg(long)]
        account: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormatArg {
    /// Aligned columns.
    Text,
    /// One JSON document.
    Json,
    /// One self-contained HTML file with charts.
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns, local times.
    Text,
    /// One JSON object per line.
    Json,
}

pub fn parse_volume(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=1000.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of posts per day between 0 and 1000"
        )),
    }
}

pub fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-12-01T09:00:00+01:00: {e}"))
}
