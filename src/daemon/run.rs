use super::Daemon;
use crate::archive::Archive;
use crate::clock::{Clock, OffsetClock, SystemClock};
use crate::config::Config;
use crate::Error;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_cron_scheduler::{Job, JobScheduler};

/// How `encore run` runs.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Post nothing and write no history; say what would be posted.
    pub dry_run: bool,
    /// Start the clock at this moment (dry runs over a sample with fixed dates).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

/// The wall clock is checked this often: a suspend or a clock jump is noticed within a tick.
const TICK: Duration = Duration::from_secs(30);
/// After a stop signal, an in-flight post gets this long to finish before it is abandoned (its
/// intent is on disk: the next start reconciles it).
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(5);

enum Event {
    RefreshFeed,
    Housekeeping,
}

/// Runs the daemon until SIGTERM or SIGINT.
pub async fn run(mut config: Config, opts: RunOptions) -> Result<(), Error> {
    // Handlers first: a stop request during start-up must end in a clean exit, not a kill.
    let mut shutdown = std::pin::pin!(shutdown_signal()?);
    let clock: Arc<dyn Clock> = match opts.now {
        Some(t) => Arc::new(OffsetClock::starting_at(t)),
        None => Arc::new(SystemClock),
    };
    if opts.dry_run {
        tracing::info!("dry run: nothing will be posted and no share history written");
    }
    let networks = crate::network::build_all(&config, opts.dry_run)?;
    crate::network::limits::refresh(&mut config, &networks).await;
    let archive = Archive::open(&config.state_dir)?;
    let refresh = config.feed.refresh;
    let mut daemon = Daemon::start(config, archive, networks, opts.dry_run, clock.now()).await?;
    daemon.backfill_once(clock.now()).await?;
    daemon.refresh_feed(clock.now()).await;

    let (tx, mut rx) = mpsc::channel::<Event>(8);
    let mut scheduler = start_scheduler(refresh, tx)
        .await
        .map_err(|e| Error::Usage(format!("cannot start the scheduler: {e}")))?;

    tracing::info!(accounts = daemon.config().accounts.len(), "started");
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let outcome = loop {
        tokio::select! {
            _ = &mut shutdown => break Ok(()),
            _ = interval.tick() => {
                let now = clock.now();
                let tick = daemon.tick(now);
                let mut tick = std::pin::pin!(tick);
                let result = tokio::select! {
                    r = &mut tick => r,
                    _ = &mut shutdown => {
                        tracing::info!("stopping: letting the post in flight finish");
                        let r = tokio::time::timeout(IN_FLIGHT_GRACE, &mut tick).await;
                        if r.is_err() {
                            tracing::warn!("post in flight abandoned; it will be reconciled at the next start");
                        }
                        break Ok(());
                    }
                };
                if let Err(e) = result {
                    break Err(e);
                }
            }
            Some(ev) = rx.recv() => match ev {
                Event::RefreshFeed => daemon.refresh_feed(clock.now()).await,
                Event::Housekeeping => {
                    tracing::info!(articles = daemon.archive().len(), "housekeeping: state flushed");
                }
            },
        }
    };
    let _ = scheduler.shutdown().await;
    daemon.archive().flush()?;
    tracing::info!("stopped");
    outcome
}

/// UTC cron jobs that only send events to the loop: the loop owns the state.
async fn start_scheduler(
    refresh: Duration,
    tx: mpsc::Sender<Event>,
) -> Result<JobScheduler, tokio_cron_scheduler::JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    let t = tx.clone();
    let refresh_job = match refresh_cron(refresh) {
        Some(expr) => Job::new_async(expr.as_str(), move |_, _| {
            let t = t.clone();
            Box::pin(async move {
                let _ = t.send(Event::RefreshFeed).await;
            })
        })?,
        None => Job::new_repeated_async(refresh, move |_, _| {
            let t = t.clone();
            Box::pin(async move {
                let _ = t.send(Event::RefreshFeed).await;
            })
        })?,
    };
    scheduler.add(refresh_job).await?;
    let housekeeping = Job::new_async("0 17 3 * * *", move |_, _| {
        let t = tx.clone();
        Box::pin(async move {
            let _ = t.send(Event::Housekeeping).await;
        })
    })?;
    scheduler.add(housekeeping).await?;
    scheduler.start().await?;
    Ok(scheduler)
}

/// A 6-field UTC cron expression for refresh intervals that divide an hour or a day evenly;
/// other intervals run as repeated jobs.
pub(crate) fn refresh_cron(every: Duration) -> Option<String> {
    let s = every.as_secs();
    if s % 3600 == 0 && s > 0 && 86_400 % s == 0 {
        Some(format!("0 7 */{} * * *", s / 3600))
    } else if s % 60 == 0 && s > 0 && 3600 % s == 0 {
        Some(format!("0 */{} * * * *", s / 60))
    } else {
        None
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_intervals_become_utc_cron_when_they_divide_evenly() {
        assert_eq!(
            refresh_cron(Duration::from_secs(6 * 3600)).as_deref(),
            Some("0 7 */6 * * *")
        );
        assert_eq!(
            refresh_cron(Duration::from_secs(15 * 60)).as_deref(),
            Some("0 */15 * * * *")
        );
        assert_eq!(refresh_cron(Duration::from_secs(5 * 3600)), None);
        assert_eq!(refresh_cron(Duration::from_secs(7 * 60)), None);
    }
}
