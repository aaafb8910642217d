use super::chores::{Chore, Chores};
use super::{Daemon, Reloaded};
use crate::archive::{Archive, ArchiveError};
use crate::clock::{Clock, OffsetClock, SystemClock};
use crate::config::Config;
use crate::error::Error;
use crate::network::RetryPolicy;
use crate::service::Notifier;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// How `encore run` runs.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Post nothing and write no history; say what would be posted.
    pub dry_run: bool,
    /// Start the clock at this moment (dry runs over a sample with fixed dates).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// TEST ONLY: a fast clock shared across restarts (the crash harness).
    pub test_clock: Option<crate::clock::ScaledClock>,
}

/// The wall clock is checked at least this often: a suspend or a clock jump is noticed within
/// a minute. Between ticks the loop sleeps until the next slot or chore, so an idle daemon
/// wakes once a minute.
const TICK: Duration = Duration::from_secs(60);
/// Woken this long after a slot, so that the clock has surely reached it. Time of the daemon's
/// clock: on a test clock it shrinks with the rest (100 ms of real time at 43,200× would land
/// 1.2 simulated hours late, and past ~60,000× two slots would fall due in one wake).
const WAKE_MARGIN: Duration = Duration::from_millis(100);
/// After a stop signal, an in-flight post gets this long to finish before it is abandoned (its
/// intent is on disk: the next start reconciles it).
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(5);
/// A step of the loop (start, tick, feed read, reload) taking longer than this is taken to be
/// hung: the watchdog is no longer fed. Every network call has a timeout far below it.
const STEP_LIMIT: Duration = Duration::from_secs(15 * 60);
/// A state that cannot be written is tried again this often (in the daemon's time)…
const STATE_RETRY: Duration = Duration::from_secs(60);
/// …but not more often than this in real time (a test clock runs faster).
const STATE_RETRY_MIN: Duration = Duration::from_millis(200);

/// Runs the daemon until SIGTERM or SIGINT; SIGHUP reloads the config.
///
/// Under systemd (`Type=notify`) it says READY=1 once the config is loaded, the state opened
/// and the first plans made, keeps a STATUS= line current, feeds the watchdog from the loop
/// that posts, and brackets each reload with RELOADING=1 and READY=1.
///
/// A state that cannot be written any more (disk full, I/O error) does not end the daemon:
/// nothing is posted that could not be recorded, so posting stops; the error is logged once,
/// the state is tried again every minute and, once it can be written, the daemon starts over
/// from it the way a restart would (interrupted posts settled first).
pub async fn run(mut config: Config, opts: RunOptions) -> Result<(), Error> {
    // Handlers first: a stop request during start-up must end in a clean exit, not a kill,
    // and a SIGHUP (whose default action ends the process) must wait for the loop.
    let shutdown = std::pin::pin!(shutdown_signal()?);
    let hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let notifier = Notifier::from_env();
    let clock = clock_for(&opts);
    if opts.dry_run {
        tracing::info!("dry run: nothing will be posted and no share history written");
    }
    // Retries wait in the daemon's time (a test clock's retries are as fast as its slots).
    let retry = RetryPolicy {
        base_delay: clock.real(RetryPolicy::default().base_delay),
        ..RetryPolicy::default()
    };
    let metrics = Arc::new(crate::metrics::Metrics::new());
    // Bound before READY=1: a taken port fails the start, where the admin looks. Served for
    // the whole run, across start-overs (the counters go on).
    let _endpoint = match &config.metrics {
        Some(listen) => {
            let listener = crate::metrics::bind(listen).await.map_err(|e| {
                Error::Setup(format!(
                    "{}: cannot listen on {listen} for metrics: {e}",
                    config.path.display()
                ))
            })?;
            tracing::info!("metrics at {listen}");
            let access = metrics_access(&config)?;
            Some(AbortOnDrop(tokio::spawn(crate::metrics::serve(
                listener,
                metrics.clone(),
                access,
            ))))
        }
        None => None,
    };
    let mut ctx = Ctx {
        shutdown,
        hangup,
        notifier: &notifier,
        dog: notifier.watchdog(),
        clock,
        dry_run: opts.dry_run,
        retry,
        metrics,
    };
    let mut first = true;
    loop {
        match serve(config, &mut ctx, first).await? {
            Served::Stopped => return Ok(()),
            Served::StateFailed {
                config: kept,
                error,
            } => {
                config = *kept;
                first = false;
                tracing::error!(
                    "cannot write the state in {}: {error}; nothing is posted until it can be \
                     written again (a post that cannot be recorded could be posted twice); \
                     trying again every minute",
                    config.state_dir.display()
                );
                if !wait_for_state(&mut ctx, &mut config, &error).await {
                    ctx.notifier.stopping();
                    tracing::info!("stopped");
                    return Ok(());
                }
                tracing::info!(
                    "the state in {} can be written again: starting over from it",
                    config.state_dir.display()
                );
            }
        }
    }
}

/// The daemon's clock: the wall clock, one started at `--now` (a rehearsal over a sample with
/// fixed dates), or the crash harness's fast one.
fn clock_for(opts: &RunOptions) -> Arc<dyn Clock> {
    match opts.test_clock {
        Some(c) => {
            tracing::warn!(
                "TEST CLOCK: time runs {}x faster; never use this on a real account",
                c.speed
            );
            Arc::new(c)
        }
        None => match opts.now {
            Some(t) => Arc::new(OffsetClock::starting_at(t)),
            None => Arc::new(SystemClock),
        },
    }
}

/// What the run keeps across a start-over after a state failure.
struct Ctx<'a, S> {
    shutdown: std::pin::Pin<&'a mut S>,
    hangup: tokio::signal::unix::Signal,
    notifier: &'a Notifier,
    dog: crate::service::Watchdog<'a>,
    clock: Arc<dyn Clock>,
    dry_run: bool,
    retry: RetryPolicy,
    metrics: Arc<crate::metrics::Metrics>,
}

/// Ends the metrics endpoint's task with the run.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How one serving ended.
enum Served {
    /// A stop signal: the state is flushed.
    Stopped,
    /// The state could not be written; the daemon and its state handle are gone, the config
    /// (as last reloaded) is handed back for the start-over.
    StateFailed {
        config: Box<Config>,
        error: ArchiveError,
    },
}

/// A state write failure (disk full, I/O error), as opposed to a bad config or a fatal answer.
fn state_failure(e: Error) -> Result<ArchiveError, Error> {
    match e {
        Error::Archive(a) if a.is_storage() => Ok(a),
        other => Err(other),
    }
}

/// Starts the daemon on `config` and runs its loop until a stop signal or a state failure.
/// `first`: at the first start a state that cannot be opened is an error (the unit fails at
/// once, where the admin looks); at a start-over it is one more failure to wait out.
async fn serve<S: std::future::Future<Output = ()>>(
    config: Config,
    ctx: &mut Ctx<'_, S>,
    first: bool,
) -> Result<Served, Error> {
    let failed = |config: &Config, e: Error| -> Result<Served, Error> {
        Ok(Served::StateFailed {
            config: Box::new(config.clone()),
            error: state_failure(e)?,
        })
    };
    let (notifier, clock) = (ctx.notifier, ctx.clock.clone());
    notifier.status("starting: opening the state, settling interrupted posts, planning");
    let networks = crate::network::build_all_with(&config, ctx.dry_run, ctx.retry)?;
    let archive = match Archive::open(&config.state_dir) {
        Ok(a) => a,
        Err(e) if !first => return failed(&config, e.into()),
        Err(e) => return Err(e.into()),
    };
    let backfill_limit = backfill_limit(&config);
    let kept = config.clone();
    let start = Daemon::start(config, archive, networks, ctx.dry_run, clock.now());
    let mut daemon = match guarded(ctx, "start-up", STEP_LIMIT, start).await {
        None => return Ok(Served::Stopped),
        Some(Ok(d)) => d,
        Some(Err(e)) => return failed(&kept, e),
    };
    drop(kept);
    daemon.use_metrics(ctx.metrics.clone());
    let status = daemon.status_line(clock.now());
    notifier.ready(&status);
    tracing::info!(accounts = daemon.config().accounts.len(), "ready");
    let backfill = daemon.backfill_once(clock.now());
    match guarded(ctx, "the backfill", backfill_limit, backfill).await {
        None => return stop(&daemon, notifier),
        Some(Err(e)) => return failed(daemon.config(), e),
        Some(Ok(())) => {}
    }
    let read = daemon.refresh_feed(clock.now());
    match guarded(ctx, "the feed read", STEP_LIMIT, read).await {
        None => return stop(&daemon, notifier),
        Some(Err(e)) => return failed(daemon.config(), e.into()),
        Some(Ok(())) => {}
    }
    tracing::info!(accounts = daemon.config().accounts.len(), "started");
    match serve_loop(&mut daemon, ctx, status).await {
        Ok(()) => stop(&daemon, notifier),
        Err(e) => failed(daemon.config(), e).or_else(|fatal| {
            // A fatal error still leaves the state flushed.
            stop(&daemon, notifier)?;
            Err(fatal)
        }),
    }
}

/// Runs one step under the watchdog, racing a stop signal: `None` when the signal came first.
async fn guarded<S: std::future::Future<Output = ()>, T>(
    ctx: &mut Ctx<'_, S>,
    what: &str,
    limit: Duration,
    step: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        r = ctx.dog.feed_while(what, limit, step) => Some(r),
        _ = &mut ctx.shutdown => None,
    }
}

/// The loop of a started daemon: sleeps until the next slot or chore (at most a TICK), runs
/// what is due, reloads on SIGHUP, keeps the systemd status line current. Ends on a stop
/// signal (`Ok`) or an error the caller sorts (a state failure, a fatal answer).
async fn serve_loop<S: std::future::Future<Output = ()>>(
    daemon: &mut Daemon,
    ctx: &mut Ctx<'_, S>,
    mut status: String,
) -> Result<(), Error> {
    let clock = ctx.clock.clone();
    let mut chores = Chores::new(&refreshes(daemon.config()), clock.now());
    let renew = daemon.renew_credentials(clock.now());
    ctx.dog
        .feed_while("the logins' renewal", STEP_LIMIT, renew)
        .await;
    // The first tick at once; then at the next slot (at least every TICK).
    let mut wake = tokio::time::Instant::now();
    // Said in every status until a reload succeeds.
    let mut rejected = "";
    loop {
        // Counted by bench/idle.sh (an idle daemon wakes once a minute).
        tracing::trace!("loop wake-up");
        let line = daemon.status_line(clock.now()) + rejected;
        if line != status {
            ctx.notifier.status(&line);
            status = line;
        }
        tokio::select! {
            _ = &mut ctx.shutdown => return Ok(()),
            _ = ctx.dog.fed() => {}
            Some(()) = ctx.hangup.recv() => {
                rejected = on_hangup(daemon, ctx, &mut chores).await?;
                status = daemon.status_line(clock.now()) + rejected;
                ctx.notifier.ready(&status);
                wake = next_wake(daemon, &chores, clock.as_ref());
            }
            _ = tokio::time::sleep_until(wake) => {
                for chore in chores.due(clock.now()) {
                    match chore {
                        Chore::RefreshFeeds(names) => read_feeds(daemon, ctx, Some(&names)).await?,
                        Chore::Housekeeping => daemon.housekeeping().await?,
                        Chore::ReadEngagement => {
                            let round = daemon.read_engagement(clock.now());
                            ctx.dog.feed_while("the read-back", STEP_LIMIT, round).await?;
                            let renew = daemon.renew_credentials(clock.now());
                            ctx.dog.feed_while("the logins' renewal", STEP_LIMIT, renew).await;
                        }
                    }
                }
                if !tick(daemon, ctx).await? {
                    return Ok(());
                }
                wake = next_wake(daemon, &chores, clock.as_ref());
            }
        }
    }
}

/// Feed reads under the watchdog: `names`, or every feed.
async fn read_feeds<S: std::future::Future<Output = ()>>(
    daemon: &mut Daemon,
    ctx: &mut Ctx<'_, S>,
    names: Option<&[String]>,
) -> Result<(), Error> {
    let now = ctx.clock.now();
    let read = async {
        match names {
            Some(names) => daemon.refresh_feeds(names, now).await,
            None => daemon.refresh_feed(now).await,
        }
    };
    Ok(ctx
        .dog
        .feed_while("the feed read", STEP_LIMIT, read)
        .await?)
}

/// Each feed's name and refresh interval, for the chores.
fn refreshes(config: &Config) -> Vec<(String, Duration)> {
    config
        .feeds
        .iter()
        .map(|f| (f.name.clone(), f.refresh))
        .collect()
}

/// One tick under the watchdog. A stop signal during it lets the post in flight finish (for
/// a while); `false` then, for the loop to end.
async fn tick<S: std::future::Future<Output = ()>>(
    daemon: &mut Daemon,
    ctx: &mut Ctx<'_, S>,
) -> Result<bool, Error> {
    let now = ctx.clock.now();
    let mut tick = std::pin::pin!(ctx.dog.feed_while("a tick", STEP_LIMIT, daemon.tick(now)));
    tokio::select! {
        r = &mut tick => r.map(|_| true),
        _ = &mut ctx.shutdown => {
            tracing::info!("stopping: letting the post in flight finish");
            if tokio::time::timeout(IN_FLIGHT_GRACE, &mut tick).await.is_err() {
                tracing::warn!("post in flight abandoned; it will be reconciled at the next start");
            }
            Ok(false)
        }
    }
}

/// A SIGHUP: the config read again and handed to the daemon, or rejected with the daemon
/// keeping the config it has. Gives what the status line says of it ("" once accepted).
async fn on_hangup<S: std::future::Future<Output = ()>>(
    daemon: &mut Daemon,
    ctx: &mut Ctx<'_, S>,
    chores: &mut Chores,
) -> Result<&'static str, Error> {
    let path = daemon.config().path.display().to_string();
    tracing::info!("SIGHUP received: reloading {path}");
    ctx.notifier.reloading(&format!("reloading {path}"));
    let now = ctx.clock.now();
    let reloaded = reload(daemon, ctx.dry_run, ctx.retry, now);
    match ctx.dog.feed_while("the reload", STEP_LIMIT, reloaded).await {
        Ok(changes) => {
            tracing::info!("config reloaded: {changes}");
            if changes.refresh_changed {
                *chores = Chores::new(&refreshes(daemon.config()), ctx.clock.now());
            }
            if changes.feed_changed {
                // A feed the reload added gets its older pages read, as at a first start.
                let limit = backfill_limit(daemon.config());
                let now = ctx.clock.now();
                let walk = daemon.backfill_once(now);
                ctx.dog.feed_while("the backfill", limit, walk).await?;
                read_feeds(daemon, ctx, None).await?;
            }
            Ok("")
        }
        Err(e) => {
            tracing::error!("reload rejected, still running with the previous config: {e}");
            Ok(" (last reload rejected: see the log)")
        }
    }
}

/// Waits until the state can be opened and written (tried every minute), feeding the watchdog
/// meanwhile: the daemon is alive, only unable to record. A SIGHUP meanwhile is honoured at
/// the start-over. Returns false on a stop signal.
async fn wait_for_state<S: std::future::Future<Output = ()>>(
    ctx: &mut Ctx<'_, S>,
    config: &mut Config,
    error: &ArchiveError,
) -> bool {
    ctx.notifier.status(&format!(
        "state in {} cannot be written ({error}): posting suspended, tried again every minute",
        config.state_dir.display()
    ));
    let retry = ctx.clock.real(STATE_RETRY).max(STATE_RETRY_MIN);
    let mut next = tokio::time::Instant::now() + retry;
    let mut reload = false;
    loop {
        tokio::select! {
            _ = &mut ctx.shutdown => return false,
            _ = ctx.dog.fed() => {}
            Some(()) = ctx.hangup.recv() => {
                reload = true;
                tracing::info!("SIGHUP received: the config is read again once the state can be written");
            }
            _ = tokio::time::sleep_until(next) => {
                match Archive::open(&config.state_dir).and_then(|a| a.check_writable()) {
                    Ok(()) => break,
                    Err(e) => tracing::debug!("state still cannot be written: {e}"),
                }
                next = tokio::time::Instant::now() + retry;
            }
        }
    }
    if reload {
        match load_config(&config.path) {
            Ok(c) => {
                *config = c;
                tracing::info!("config read again");
            }
            Err(e) => {
                tracing::error!("reload rejected, still running with the previous config: {e}")
            }
        }
    }
    true
}

/// When the loop next wakes: just after the next slot or chore, and at least every TICK (so
/// that a suspend or a clock jump is noticed). The time is kept, not recomputed at each
/// wake-up of the loop, so that a watchdog feeding just after a slot cannot make the loop
/// overlook it.
fn next_wake(daemon: &Daemon, chores: &Chores, clock: &dyn Clock) -> tokio::time::Instant {
    let now = clock.now();
    let next = match daemon.next_due(now) {
        Some(slot) => slot.min(chores.next()),
        None => chores.next(),
    };
    tokio::time::Instant::now() + wait_for(next - now, clock)
}

/// How long the loop sleeps, in real time, to wake just after `ahead` of the daemon's time.
fn wait_for(ahead: chrono::Duration, clock: &dyn Clock) -> Duration {
    clock
        .real(ahead.to_std().unwrap_or_default() + WAKE_MARGIN)
        .min(TICK)
}

/// Says STOPPING=1, flushes the state and says so.
fn stop(daemon: &Daemon, notifier: &Notifier) -> Result<Served, Error> {
    notifier.stopping();
    daemon.archive().flush()?;
    tracing::info!("stopped");
    Ok(Served::Stopped)
}

/// Reads the config file again and, if it is valid and its accounts can be set up, hands it to
/// the daemon. On any error the daemon keeps the config it has.
async fn reload(
    daemon: &mut Daemon,
    dry_run: bool,
    retry: RetryPolicy,
    now: DateTime<Utc>,
) -> Result<Reloaded, Error> {
    let config = load_config(&daemon.config().path)?;
    let networks = crate::network::build_all_with(&config, dry_run, retry)?;
    daemon.reload(config, networks, now).await
}

/// Reads the config file again for a reload, its warnings to the log.
fn load_config(path: &std::path::Path) -> Result<Config, Error> {
    let config = Config::load(path)?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    Ok(config)
}

/// The longest an honest backfill takes: every page of every feed at its timeout, plus the
/// pauses.
fn backfill_limit(config: &Config) -> Duration {
    let pages = config
        .feeds
        .iter()
        .map(|f| (f.timeout + f.backfill_delay) * f.backfill_pages);
    pages.sum::<Duration>() + STEP_LIMIT
}

/// Registers the SIGTERM and SIGINT handlers now and returns the future that waits for either.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, Error> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = int.recv() => tracing::info!("SIGINT received"),
        }
    })
}

/// Who may scrape the metrics endpoint, its password read now (a missing one stops the start
/// with exit 78, like an account's).
fn metrics_access(config: &Config) -> Result<crate::metrics::Access, Error> {
    let a = &config.metrics_access;
    let password = match &a.basic_auth {
        Some((_, secret)) => Some(secret.resolve().map_err(|e| {
            Error::Setup(format!(
                "{}: `metrics.password`: {e}",
                config.path.display()
            ))
        })?),
        None => None,
    };
    let basic = a
        .basic_auth
        .as_ref()
        .zip(password.as_ref())
        .map(|((user, _), p)| (user.as_str(), p.expose()));
    Ok(crate::metrics::Access::new(a.allow_from.clone(), basic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_clock_wakes_as_close_to_its_slots_as_the_real_one() {
        let anchor = chrono::Utc::now().to_rfc3339();
        for speed in [43_200.0, 100_000.0] {
            let fast =
                crate::clock::ScaledClock::parse(&format!("2026-06-01T00:00:00Z,{anchor},{speed}"))
                    .unwrap();
            let ahead = chrono::Duration::minutes(30);
            let late = fast.real(Duration::from_secs(1800));
            let wait = wait_for(ahead, &fast);
            // Past the slot by the margin of the daemon's time, never by 100 ms of real time.
            assert!(wait > late, "{speed}");
            let overshoot = (wait - late).as_secs_f64() * speed;
            assert!(
                (overshoot - 0.1).abs() < 0.01,
                "{speed}: {overshoot} s late"
            );
        }
        let real = crate::clock::SystemClock;
        assert_eq!(
            wait_for(chrono::Duration::seconds(5), &real),
            Duration::from_millis(5_100)
        );
        assert_eq!(wait_for(chrono::Duration::hours(2), &real), TICK);
    }
}
