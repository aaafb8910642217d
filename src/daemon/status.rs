//! What the daemon shows of itself: the runtime it leaves in the state for `encore status`
//! (pauses, its pid) and the one line `systemctl status` shows.

use super::{Daemon, SlotReport};
use crate::archive::key;
use crate::metrics::{AccountLabels, FeedLabels, PauseLabels, PostLabels, ReadLabels, SkipLabels};
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

    /// The metrics after a tick: each slot's outcome counted, and every account's next slot,
    /// pause and month's spend set (`paused_before`: which lanes were paused before it, to
    /// count the pauses that began).
    pub(super) fn observe_tick(
        &self,
        reports: &[SlotReport],
        paused_before: &[bool],
        now: DateTime<Utc>,
    ) -> Result<(), crate::archive::ArchiveError> {
        let m = &self.metrics;
        for r in reports {
            let network = self.config.account(&r.account).map(|a| a.network.as_str());
            match r.skip {
                Some(reason) => {
                    let labels = SkipLabels {
                        account: r.account.clone(),
                        reason: reason.as_str().into(),
                    };
                    m.skips.get_or_create(&labels).inc();
                }
                None => {
                    let labels = PostLabels {
                        account: r.account.clone(),
                        network: network.unwrap_or("?").into(),
                        outcome: r.outcome.to_string(),
                    };
                    m.posts.get_or_create(&labels).inc();
                }
            }
        }
        let ctx = self.shared();
        let tz = self.config.timezone;
        for (lane, was) in self.lanes.iter().zip(
            paused_before
                .iter()
                .copied()
                .chain(std::iter::repeat(false)),
        ) {
            let account = AccountLabels {
                account: lane.name().to_string(),
            };
            let next = lane.next_slot(ctx, now).map(|t| t.timestamp()).unwrap_or(0);
            m.next_slot.get_or_create(&account).set(next);
            let now_cause = match lane.pause {
                Some(Pause::Stopped) => Some("stopped"),
                Some(Pause::Until(t)) if t > now => Some(lane.pause_cause),
                _ => None,
            };
            for cause in ["rate_limit", "budget", "stopped"] {
                let labels = PauseLabels {
                    account: lane.name().to_string(),
                    cause: cause.into(),
                };
                m.paused
                    .get_or_create(&labels)
                    .set(i64::from(now_cause == Some(cause)));
                if now_cause == Some(cause) && !was {
                    m.pauses.get_or_create(&labels).inc();
                }
            }
            let b = &lane.account.budget;
            let spent = self.ledger.month_spend(&lane.account, tz, now)?;
            m.spend.get_or_create(&account).set(spent);
            if let Some(limit) = b.monthly_usd {
                m.budget.get_or_create(&account).set(limit);
            }
        }
        let pending = self.ledger.archive().pending_intents()?.len();
        m.intents_pending
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
        Ok(())
    }

    /// The metrics after feed reads (`read`: each feed's name and what came of it): reads
    /// counted, last successes, and each feed's articles and eligible articles.
    pub(super) fn observe_reads(
        &self,
        read: &[(String, Option<crate::archive::MergeStats>)],
        now: DateTime<Utc>,
    ) -> Result<(), crate::archive::ArchiveError> {
        let m = &self.metrics;
        for (feed, stats) in read {
            let result = if stats.is_some() { "ok" } else { "failed" };
            let labels = ReadLabels {
                feed: feed.clone(),
                result: result.into(),
            };
            m.feed_reads.get_or_create(&labels).inc();
            if stats.is_some() {
                let feed = FeedLabels { feed: feed.clone() };
                m.feed_last_success
                    .get_or_create(&feed)
                    .set(now.timestamp());
            }
        }
        let archive = self.ledger.archive();
        let counts = archive.count_by_feed()?;
        for f in &self.config.feeds {
            let labels = FeedLabels {
                feed: f.name.clone(),
            };
            let n = counts.get(&f.name).copied().unwrap_or(0);
            m.articles
                .get_or_create(&labels)
                .set(i64::try_from(n).unwrap_or(i64::MAX));
            m.eligible
                .get_or_create(&labels)
                .set(i64::try_from(self.eligible_in(&f.name, now)?).unwrap_or(i64::MAX));
        }
        Ok(())
    }

    /// A feed's articles of age and not excluded at `now`, under the rules of the first account
    /// that shares it (before that account's cooldown).
    fn eligible_in(
        &self,
        feed: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, crate::archive::ArchiveError> {
        let share = self
            .config
            .accounts
            .iter()
            .find_map(|a| a.feeds.iter().find(|s| s.feed == feed));
        let Some(share) = share else {
            return Ok(0);
        };
        let several = self.config.feeds.len() > 1;
        let mine = |f: &str| !several || f == feed;
        let archive = self.ledger.archive();
        let none = crate::archive::ShareLog::default();
        crate::schedule::count_eligible(archive, &share.select, now, &none, &mine)
    }
}
