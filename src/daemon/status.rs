//! What the daemon shows of itself: the runtime it leaves in the state for `encore status`
//! (pauses, its pid) and the one line `systemctl status` shows.

use super::Daemon;
use crate::archive::key;
use chrono::{DateTime, Duration, Utc};

/// What the running daemon knows beyond the state: `encore status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Runtime {
    /// When the daemon last wrote it.
    pub written_at: DateTime<Utc>,
    /// The daemon's process id.
    pub pid: u32,
    /// Paused or stopped accounts, by name.
    pub pauses: std::collections::BTreeMap<String, Pause>,
}

/// Why an account is not posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Pause {
    /// Until this time (rate limit, monthly budget).
    Until(DateTime<Utc>),
    /// Until the daemon is restarted (refused credentials, no credit).
    Stopped,
}

impl Daemon {
    /// Writes what only the running daemon knows (pauses, its pid) into the state, for
    /// `encore status`. A failure is logged: the copy is a convenience, never worth stopping
    /// for. A dry run writes nothing.
    pub fn publish(&self, now: DateTime<Utc>) {
        let pauses = self
            .lanes
            .iter()
            .filter_map(|l| match l.pause {
                Some(Pause::Until(t)) if t <= now => None,
                p => p.map(|p| (l.account.name.clone(), p)),
            })
            .collect();
        let runtime = Runtime {
            written_at: now,
            pid: std::process::id(),
            pauses,
        };
        if let Err(e) = self.ledger.put(key::RUNTIME, &runtime) {
            tracing::warn!("the daemon's runtime for `encore status` not written: {e}");
        }
    }

    /// The one line `systemctl status` shows: how many accounts, the archive, the next post,
    /// and any account that is not posting. "3 accounts, 212 articles, next post 14:32 blog-x".
    pub fn status_line(&self, now: DateTime<Utc>) -> String {
        let tz = self.config.timezone;
        let n = self.lanes.len();
        let archived = self.ledger.archive().len();
        let mut line = format!(
            "{}{n} account{}, {archived} article{}",
            if self.ledger.dry_run() {
                "dry run: "
            } else {
                ""
            },
            if n == 1 { "" } else { "s" },
            if archived == 1 { "" } else { "s" },
        );
        let ctx = self.shared();
        let next = self
            .lanes
            .iter()
            .filter_map(|l| l.next_slot(ctx, now).map(|t| (t, l.name())))
            .min();
        match next {
            Some((t, name)) => {
                let local = t.with_timezone(&tz);
                let today = now.with_timezone(&tz).date_naive();
                let when = if local.date_naive() == today {
                    local.format("%H:%M").to_string()
                } else if local.date_naive() - today < Duration::days(7) {
                    local.format("%a %H:%M").to_string()
                } else {
                    local.format("%Y-%m-%d %H:%M").to_string()
                };
                line.push_str(&format!(", next post {when} {name}"));
            }
            None => line.push_str(", no post planned within 30 days"),
        }
        for l in &self.lanes {
            match l.pause {
                Some(Pause::Stopped) => {
                    line.push_str(&format!("; {} stopped (see the log)", l.name()))
                }
                Some(Pause::Until(t)) if t > now => line.push_str(&format!(
                    "; {} paused until {}",
                    l.name(),
                    t.with_timezone(&tz).format("%Y-%m-%d %H:%M")
                )),
                _ => {}
            }
        }
        line
    }
}
