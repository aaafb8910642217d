//! Auto mode in a lane: reading the account's post count, deciding each day's count before the
//! day, and the slots both modes give.

use super::ledger::Ledger;
use super::Shared;
use crate::archive::{ArchiveError, Outcome};
use crate::cadence::{self, DayPlan, Plans};
use crate::config::Account;
use crate::config::CadenceMode;
use crate::network::Network;
use crate::volume::{self, Basis, Sample, Volume};
use chrono::{DateTime, Duration, Utc};

/// How soon a failed post-count read is tried again.
const RETRY_READ: Duration = Duration::hours(1);

/// What auto mode keeps of an account between slots: its day plans and post-count samples
/// (both also in the state), and when a count was last tried.
#[derive(Debug, Clone, Default)]
pub(super) struct Auto {
    pub plans: Plans,
    pub samples: Vec<Sample>,
    pub tried: Option<DateTime<Utc>>,
}

impl Auto {
    /// What the state keeps of `account`'s plans and samples.
    pub(super) fn open(
        archive: &crate::archive::Archive,
        account: &str,
    ) -> Result<Auto, ArchiveError> {
        let (plans, samples) = kept_state(archive, account)?;
        Ok(Auto {
            plans,
            samples,
            tried: None,
        })
    }

    /// Reads the post count when the account is in auto mode and its last reading is 6 hours
    /// old (a failed read is tried again after an hour).
    pub(super) async fn sample_volume(
        &mut self,
        account: &Account,
        network: &dyn Network,
        ledger: &Ledger,
        now: DateTime<Utc>,
    ) -> Result<(), ArchiveError> {
        if !matches!(account.cadence.mode, CadenceMode::Auto(_)) {
            return Ok(());
        }
        let last = self.samples.last().map(|s| s.at);
        let due = last.is_none_or(|t| now - t >= volume::EVERY)
            && self.tried.is_none_or(|t| now - t >= RETRY_READ);
        if !due {
            return Ok(());
        }
        self.tried = Some(now);
        let name = &account.name;
        match network.verify().await {
            Ok(info) => match info.post_count {
                Some(count) => {
                    volume::record(&mut self.samples, Sample { at: now, count });
                    let rows: Vec<_> = self.samples.iter().map(|s| (s.at, s.count)).collect();
                    ledger.write(|a| a.set_volume_samples(name, &rows))?;
                    tracing::debug!(account = %name, "post count {count}");
                }
                None => tracing::debug!(account = %name, "the network gives no post count"),
            },
            Err(e) => {
                tracing::warn!(account = %name, "post count not read ({e}): the last volume stands for up to 3 days")
            }
        }
        Ok(())
    }

    /// The account's organic volume at `now` (auto mode).
    pub(super) fn volume(
        &self,
        account: &Account,
        ledger: &Ledger,
        now: DateTime<Utc>,
    ) -> Result<Option<Volume>, ArchiveError> {
        measured_volume(ledger.archive(), account, &self.samples, now)
    }

    /// Decides today's count when the account is in auto mode and has no plan for today yet,
    /// and keeps it, so that a restart keeps the day's slots.
    pub(super) fn ensure_plan(
        &mut self,
        ctx: Shared,
        a: &Account,
        ledger: &Ledger,
        now: DateTime<Utc>,
    ) -> Result<(), ArchiveError> {
        let today = now.with_timezone(&ctx.tz).date_naive();
        let CadenceMode::Auto(auto) = a.cadence.mode else {
            return Ok(());
        };
        if self.plans.days.contains_key(&today) {
            return Ok(());
        }
        let Some(vol) = self.volume(a, ledger, now)? else {
            return Ok(());
        };
        let rate = cadence::auto_rate(vol.per_day, &auto, a.cadence.days.len());
        let credit = self
            .plans
            .last()
            .map(|l| l.credit_after)
            .unwrap_or_else(|| cadence::initial_credit(&a.name, ctx.seed));
        let (count, credit_after) = cadence::plan_day(&a.cadence, today, rate, credit);
        if let Basis::Measured { clamped: true, .. } = vol.basis {
            tracing::info!(account = %a.name, "the post count shrank (deletions): organic volume counted as 0");
        }
        tracing::info!(
            account = %a.name,
            "{today}: {count} post(s) planned; {}",
            cadence::explain_rate(rate, &vol, &auto, a.cadence.days.len())
        );
        self.plans.insert(DayPlan {
            date: today,
            volume: vol.per_day,
            basis: vol.to_string(),
            rate,
            count,
            credit_after,
        });
        ledger.write(|archive| archive.set_plans(&a.name, &self.plans))
    }

    /// The account's slots in `[from, until)`: fixed mode's pure plan, or auto mode's kept day
    /// plans and, past them, a projection at the current rate.
    pub(super) fn slots(
        &self,
        ctx: Shared,
        a: &Account,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<DateTime<Utc>> {
        let tz = ctx.tz;
        match a.cadence.mode {
            CadenceMode::Fixed => {
                cadence::slots_between(&a.cadence, tz, &a.name, from, until, ctx.seed)
            }
            CadenceMode::Auto(auto) => {
                // Past the kept days, the latest day's rate (or the assumed volume's).
                let rate = self.plans.last().map(|p| p.rate).unwrap_or_else(|| {
                    cadence::auto_rate(auto.assumed_daily_volume, &auto, a.cadence.days.len())
                });
                cadence::auto_slots_between(
                    &a.cadence,
                    tz,
                    &a.name,
                    from,
                    until,
                    ctx.seed,
                    &self.plans,
                    rate,
                    now.with_timezone(&tz).date_naive(),
                )
            }
        }
    }
}

/// An auto-mode account's organic volume at `now`, from its post-count `samples` and the
/// posts Encore made on it (shared or uncertain) in the state; `None` in fixed mode.
pub(crate) fn measured_volume(
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
pub(crate) fn kept_state(
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
