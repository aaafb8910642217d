//! Auto mode in the daemon: reading the accounts' post counts, deciding each day's count
//! before the day, and the slots both modes give.

use super::Daemon;
use crate::archive::{key, ArchiveError, Outcome};
use crate::cadence::{self, DayPlan, Plans};
use crate::config::CadenceMode;
use crate::volume::{self, Basis, Sample, Volume};
use chrono::{DateTime, Duration, Utc};

/// What the running daemon knows beyond the state: `encore status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Runtime {
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
pub enum Pause {
    /// Until this time (rate limit, monthly budget).
    Until(DateTime<Utc>),
    /// Until the daemon is restarted (refused credentials, no credit).
    Stopped,
}

/// How soon a failed post-count read is tried again.
const RETRY_READ: Duration = Duration::hours(1);

impl Daemon {
    /// Puts `value` in the state under `key` as JSON (nothing in a dry run).
    pub(super) fn put_meta<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), ArchiveError> {
        if self.dry_run {
            return Ok(());
        }
        self.archive.set_meta_json(key, value)
    }

    /// Reads the post count of every auto-mode account whose last reading is 6 hours old.
    pub(super) async fn sample_volumes(&mut self, now: DateTime<Utc>) -> Result<(), ArchiveError> {
        for i in 0..self.config.accounts.len() {
            if !matches!(self.config.accounts[i].cadence.mode, CadenceMode::Auto(_)) {
                continue;
            }
            let last = self.samples[i].last().map(|s| s.at);
            let due = last.is_none_or(|t| now - t >= volume::EVERY)
                && self.sample_tried[i].is_none_or(|t| now - t >= RETRY_READ);
            if !due {
                continue;
            }
            self.sample_tried[i] = Some(now);
            let name = self.config.accounts[i].name.clone();
            match self.networks[i].verify().await {
                Ok(info) => match info.post_count {
                    Some(count) => {
                        volume::record(&mut self.samples[i], Sample { at: now, count });
                        if !self.dry_run {
                            let rows: Vec<_> =
                                self.samples[i].iter().map(|s| (s.at, s.count)).collect();
                            self.archive.set_volume_samples(&name, &rows)?;
                        }
                        tracing::debug!(account = %name, "post count {count}");
                    }
                    None => tracing::debug!(account = %name, "the network gives no post count"),
                },
                Err(e) => {
                    tracing::warn!(account = %name, "post count not read ({e}): the last volume stands for up to 3 days")
                }
            }
        }
        Ok(())
    }

    /// The organic volume of account `i` at `now`.
    pub fn volume(&self, i: usize, now: DateTime<Utc>) -> Result<Option<Volume>, ArchiveError> {
        measured_volume(
            &self.archive,
            &self.config.accounts[i],
            &self.samples[i],
            now,
        )
    }

    /// Decides today's count for every auto-mode account that has no plan for today yet, and
    /// keeps it, so that a restart keeps the day's slots.
    pub(super) fn ensure_plans(&mut self, now: DateTime<Utc>) -> Result<(), ArchiveError> {
        let today = now.with_timezone(&self.config.timezone).date_naive();
        for i in 0..self.config.accounts.len() {
            let a = self.config.accounts[i].clone();
            let CadenceMode::Auto(auto) = a.cadence.mode else {
                continue;
            };
            if self.plans[i].days.contains_key(&today) {
                continue;
            }
            let Some(vol) = self.volume(i, now)? else {
                continue;
            };
            let rate = cadence::auto_rate(vol.per_day, &auto, a.cadence.days.len());
            let credit = self.plans[i]
                .last()
                .map(|l| l.credit_after)
                .unwrap_or_else(|| cadence::initial_credit(&a.name, self.seed));
            let (count, credit_after) = cadence::plan_day(&a.cadence, today, rate, credit);
            if let Basis::Measured { clamped: true, .. } = vol.basis {
                tracing::info!(account = %a.name, "the post count shrank (deletions): organic volume counted as 0");
            }
            tracing::info!(
                account = %a.name,
                "{today}: {count} post(s) planned; {}",
                cadence::explain_rate(rate, &vol, &auto, a.cadence.days.len())
            );
            self.plans[i].insert(DayPlan {
                date: today,
                volume: vol.per_day,
                basis: vol.to_string(),
                rate,
                count,
                credit_after,
            });
            if !self.dry_run {
                self.archive.set_plans(&a.name, &self.plans[i])?;
            }
        }
        Ok(())
    }

    /// Account `i`'s slots in `[from, until)`: fixed mode's pure plan, or auto mode's kept day
    /// plans and, past them, a projection at the current rate.
    pub fn account_slots(
        &self,
        i: usize,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        let a = &self.config.accounts[i];
        let tz = self.config.timezone;
        match a.cadence.mode {
            CadenceMode::Fixed => {
                cadence::slots_between(&a.cadence, tz, &a.name, from, until, self.seed)
            }
            CadenceMode::Auto(auto) => {
                let plans = &self.plans[i];
                // Past the kept days, the latest day's rate (or the assumed volume's).
                let rate = plans.last().map(|p| p.rate).unwrap_or_else(|| {
                    cadence::auto_rate(auto.assumed_daily_volume, &auto, a.cadence.days.len())
                });
                cadence::auto_slots_between(
                    &a.cadence,
                    tz,
                    &a.name,
                    from,
                    until,
                    self.seed,
                    plans,
                    rate,
                    now.with_timezone(&tz).date_naive(),
                )
            }
        }
    }

    /// Writes what only the running daemon knows (pauses, its pid) into the state, then the
    /// state's copy that `status`, `history` and `preview` read while the daemon holds it.
    /// A failure is logged: the copy is a convenience, never worth stopping for.
    /// A dry run writes only the copy (so that the commands work beside a rehearsal too).
    pub fn publish(&self, now: DateTime<Utc>) {
        let pauses: std::collections::BTreeMap<String, Pause> = self
            .config
            .accounts
            .iter()
            .zip(&self.paused)
            .filter_map(|(a, p)| {
                let pause = match p {
                    None => return None,
                    Some(None) => Pause::Stopped,
                    Some(Some(t)) if *t > now => Pause::Until(*t),
                    Some(Some(_)) => return None,
                };
                Some((a.name.clone(), pause))
            })
            .collect();
        let runtime = Runtime {
            written_at: now,
            pid: std::process::id(),
            pauses,
        };
        if let Err(e) = self.put_meta(key::RUNTIME, &runtime) {
            tracing::warn!("the daemon's runtime for `encore status` not written: {e}");
        }
    }

    /// The one line `systemctl status` shows: how many accounts, the archive, the next post,
    /// and any account that is not posting. "3 accounts, 212 articles, next post 14:32 blog-x".
    pub fn status_line(&self, now: DateTime<Utc>) -> String {
        let tz = self.config.timezone;
        let n = self.config.accounts.len();
        let mut line = format!(
            "{}{n} account{}, {} article{}",
            if self.dry_run { "dry run: " } else { "" },
            if n == 1 { "" } else { "s" },
            self.archive.len(),
            if self.archive.len() == 1 { "" } else { "s" },
        );
        let next = (0..n)
            .filter_map(|i| self.next_slot(i, now).map(|t| (t, i)))
            .min();
        match next {
            Some((t, i)) => {
                let local = t.with_timezone(&tz);
                let today = now.with_timezone(&tz).date_naive();
                let when = if local.date_naive() == today {
                    local.format("%H:%M").to_string()
                } else if local.date_naive() - today < Duration::days(7) {
                    local.format("%a %H:%M").to_string()
                } else {
                    local.format("%Y-%m-%d %H:%M").to_string()
                };
                line.push_str(&format!(
                    ", next post {when} {}",
                    self.config.accounts[i].name
                ));
            }
            None => line.push_str(", no post planned within 30 days"),
        }
        for (a, p) in self.config.accounts.iter().zip(&self.paused) {
            match p {
                Some(None) => line.push_str(&format!("; {} stopped (see the log)", a.name)),
                Some(Some(t)) if *t > now => line.push_str(&format!(
                    "; {} paused until {}",
                    a.name,
                    t.with_timezone(&tz).format("%Y-%m-%d %H:%M")
                )),
                _ => {}
            }
        }
        line
    }

    /// Account `i`'s kept day plans (auto mode).
    pub fn plans(&self, i: usize) -> &Plans {
        &self.plans[i]
    }
}

/// An auto-mode account's organic volume at `now`, from its post-count `samples` and the
/// posts Encore made on it (shared or uncertain) in the state; `None` in fixed mode.
pub fn measured_volume(
    archive: &crate::archive::Archive,
    account: &crate::config::Account,
    samples: &[Sample],
    now: DateTime<Utc>,
) -> Result<Option<Volume>, ArchiveError> {
    let CadenceMode::Auto(auto) = account.cadence.mode else {
        return Ok(None);
    };
    let own: Vec<DateTime<Utc>> = archive
        .history(&account.name)?
        .into_iter()
        .filter(|r| matches!(r.outcome, Outcome::Shared | Outcome::Uncertain))
        .map(|r| r.at)
        .collect();
    Ok(Some(volume::estimate(
        samples,
        |from, to| own.iter().filter(|t| **t >= from && **t < to).count() as u64,
        now,
        auto.volume_window_days,
        auto.assumed_daily_volume,
    )))
}

/// What `preview` and `status` know of an auto-mode account without a daemon: the kept plans
/// and samples from the state.
pub fn kept_state(
    archive: &crate::archive::Archive,
    account: &str,
) -> Result<(Plans, Vec<Sample>), ArchiveError> {
    let plans = archive.plans(account)?.unwrap_or_default();
    let samples = archive
        .volume_samples(account)?
        .into_iter()
        .map(|(at, count)| Sample { at, count })
        .collect();
    Ok((plans, samples))
}
