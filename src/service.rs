//! The daemon's side of systemd's notify protocol (`sd_notify(3)`).
//!
//! With `Type=notify`, systemd holds `systemctl start` until READY=1 (so a unit ordered after
//! Encore starts once Encore can post), shows the STATUS= line in `systemctl status`, and
//! restarts a service that stops sending WATCHDOG=1 within `WatchdogSec=` — the only way a
//! hung loop, which logs nothing, gets noticed. Outside systemd (`NOTIFY_SOCKET` unset) every
//! call does nothing, so the same binary runs under a shell, a container or a test.

use sd_notify::NotifyState;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::{Instant, Interval};

/// Sends state changes to the service manager, if there is one.
#[derive(Debug, Default)]
pub(crate) struct Notifier {
    active: bool,
    watchdog: Option<Duration>,
    /// One warning for a socket that refuses messages, not one per tick.
    warned: AtomicBool,
    /// WATCHDOG=1 messages due so far (sent when a socket is set).
    feedings: AtomicU64,
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the environment.
    pub(crate) fn from_env() -> Notifier {
        Notifier {
            active: std::env::var_os("NOTIFY_SOCKET").is_some(),
            watchdog: sd_notify::watchdog_enabled(),
            warned: AtomicBool::new(false),
            feedings: AtomicU64::new(0),
        }
    }

    /// The daemon can post: config loaded, state opened, plans made. Also ends a reload.
    pub(crate) fn ready(&self, status: &str) {
        self.send(&[NotifyState::Ready, NotifyState::Status(&one_line(status))]);
    }

    /// A reload begins. `MONOTONIC_USEC` lets `Type=notify-reload` (systemd ≥ 253) match this
    /// message to the SIGHUP it sent; `Type=notify` ignores it.
    pub(crate) fn reloading(&self, status: &str) {
        let status = one_line(status);
        match NotifyState::monotonic_usec_now() {
            Ok(usec) => self.send(&[NotifyState::Reloading, usec, NotifyState::Status(&status)]),
            Err(_) => self.send(&[NotifyState::Reloading, NotifyState::Status(&status)]),
        }
    }

    /// The line `systemctl status` shows under the unit.
    pub(crate) fn status(&self, status: &str) {
        self.send(&[NotifyState::Status(&one_line(status))]);
    }

    /// The daemon is stopping (a stop that takes a few seconds is then not taken for a hang).
    pub(crate) fn stopping(&self) {
        self.send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
    }

    /// A watchdog for this notifier: fed every half `WatchdogSec=`, as sd_watchdog_enabled(3)
    /// advises; never fires when the unit sets no watchdog.
    pub(crate) fn watchdog(&self) -> Watchdog<'_> {
        let interval = self.watchdog.map(|d| {
            let mut i = tokio::time::interval((d / 2).max(Duration::from_millis(20)));
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        });
        Watchdog {
            notifier: self,
            interval,
        }
    }

    fn send(&self, states: &[NotifyState<'_>]) {
        if !self.active {
            return;
        }
        if let Err(e) = sd_notify::notify(states) {
            if !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!("cannot notify the service manager ($NOTIFY_SOCKET): {e}");
            }
        }
    }
}

/// A status may not hold a newline: the protocol is one `KEY=value` per line.
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Feeds systemd's watchdog from the loop that does the work, so that only a working loop
/// feeds it.
pub(crate) struct Watchdog<'a> {
    notifier: &'a Notifier,
    interval: Option<Interval>,
}

impl Watchdog<'_> {
    /// Whether the unit asked for a watchdog.
    pub(crate) fn enabled(&self) -> bool {
        self.interval.is_some()
    }

    /// Waits until the next feeding is due, and feeds. Never returns without a watchdog (so it
    /// can sit in a `select!` either way).
    pub(crate) async fn fed(&mut self) {
        match &mut self.interval {
            Some(i) => {
                i.tick().await;
                self.notifier.feedings.fetch_add(1, Ordering::Relaxed);
                self.notifier.send(&[NotifyState::Watchdog]);
            }
            None => std::future::pending().await,
        }
    }

    /// Runs one step of the loop (a tick, a feed read, a reload) and keeps feeding the watchdog
    /// while it runs, for at most `limit`: a step that takes longer is taken to be hung, the
    /// feeding stops, and systemd restarts the service once `WatchdogSec=` has passed. Every
    /// network call has its own timeout, so `limit` is far above any honest step.
    pub(crate) async fn feed_while<F: Future>(
        &mut self,
        what: &str,
        limit: Duration,
        step: F,
    ) -> F::Output {
        let mut step = std::pin::pin!(step);
        let deadline = Instant::now() + limit;
        let mut said = false;
        loop {
            tokio::select! {
                out = &mut step => return out,
                _ = self.fed(), if Instant::now() < deadline => {}
                _ = tokio::time::sleep_until(deadline), if !said => {
                    said = true;
                    if self.enabled() {
                        tracing::error!("{what} has run for over {}: taken to be hung, the watchdog is no longer fed (systemd will restart Encore)", crate::vocab::HumanDuration(limit));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_stays_on_one_line() {
        assert_eq!(one_line("a\nb\r\nc"), "a b  c");
    }

    #[tokio::test(start_paused = true)]
    async fn feeding_stops_when_a_step_overruns_its_limit() {
        let n = Notifier {
            watchdog: Some(Duration::from_secs(10)),
            ..Notifier::default()
        };
        let mut dog = n.watchdog();
        assert!(dog.enabled());
        let started = Instant::now();
        let out = dog
            .feed_while("test", Duration::from_secs(60), async {
                tokio::time::sleep(Duration::from_secs(100)).await;
                7
            })
            .await;
        assert_eq!(out, 7);
        assert!(started.elapsed() >= Duration::from_secs(100));
        // Fed every 5 s from 0 to the 60 s limit, then not at all for the last 40 s.
        let fed = n.feedings.load(Ordering::Relaxed);
        assert!((12..=13).contains(&fed), "{fed}");
        let off = Notifier::default();
        let mut quiet = off.watchdog();
        assert!(!quiet.enabled());
        let r = tokio::time::timeout(Duration::from_secs(5), quiet.fed()).await;
        assert!(r.is_err(), "no watchdog: never fed");
    }
}
