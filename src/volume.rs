//! How much an account posts by itself: the organic volume auto mode's rate follows.
//!
//! Networks give a running total of posts, not a rate, so the daemon samples the total (at
//! start, then every 6 hours) and the volume is the growth over a rolling window, minus the
//! posts Encore itself made in it. Deleted posts can make the growth negative: it is clamped at
//! zero. Without a sample less than 3 days old the volume falls back to the assumed one, said
//! as such in the log and in `status`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// One reading of the account's total post count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sample {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// The total the network gave.
    pub count: u64,
}

/// How long samples are kept.
pub(crate) const KEEP: Duration = Duration::days(60);
/// How often the total is read.
pub(crate) const EVERY: Duration = Duration::hours(6);
/// How long the last measurement stands when the count cannot be read.
pub(crate) const STALE_AFTER: Duration = Duration::days(3);
/// The shortest window a measurement is made over.
pub(crate) const MIN_WINDOW: Duration = Duration::days(1);

/// An account's organic posts per day, and how it is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Volume {
    /// Posts per day, Encore's own left out.
    pub per_day: f64,
    /// How it was known.
    pub basis: Basis,
}

/// Where a volume comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum Basis {
    /// Measured between two samples.
    Measured {
        /// The window's length in days (shorter than configured while history is young).
        window_days: f64,
        /// Samples inside the window.
        samples: usize,
        /// Whether deletions made the growth negative (clamped to 0).
        clamped: bool,
    },
    /// `assumed_daily_volume`, and why.
    Assumed {
        /// Not enough samples yet, or none recent.
        why: String,
    },
}

impl std::fmt::Display for Volume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.basis {
            Basis::Measured {
                window_days,
                samples,
                clamped,
            } => write!(
                f,
                "{:.1}/day measured over {:.1} days ({samples} samples{})",
                self.per_day,
                window_days,
                if *clamped {
                    "; deletions made it negative, counted as 0"
                } else {
                    ""
                }
            ),
            Basis::Assumed { why } => write!(f, "{:.1}/day assumed ({why})", self.per_day),
        }
    }
}

/// Adds a sample and forgets those older than [`KEEP`].
pub(crate) fn record(samples: &mut Vec<Sample>, s: Sample) {
    samples.push(s);
    samples.sort_by_key(|s| s.at);
    samples.retain(|x| x.at >= s.at - KEEP);
}

/// The organic volume at `now` over the last `window_days` of `samples`; `own(from, to)` is
/// how many posts Encore made on the account in `[from, to)` (a sample is read before the
/// posts of its moment).
pub(crate) fn estimate(
    samples: &[Sample],
    own: impl Fn(DateTime<Utc>, DateTime<Utc>) -> u64,
    now: DateTime<Utc>,
    window_days: u32,
    assumed: f64,
) -> Volume {
    let assume = |why: String| Volume {
        per_day: assumed,
        basis: Basis::Assumed { why },
    };
    let Some(latest) = samples.iter().filter(|s| s.at <= now).max_by_key(|s| s.at) else {
        return assume("no post count read yet".into());
    };
    if now - latest.at > STALE_AFTER {
        return assume(format!(
            "post count not read for {} days",
            (now - latest.at).num_days()
        ));
    }
    let start = latest.at - Duration::days(i64::from(window_days));
    let in_window: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.at >= start && s.at <= latest.at)
        .collect();
    let Some(first) = in_window.iter().min_by_key(|s| s.at) else {
        return assume("no post count read yet".into());
    };
    let span = latest.at - first.at;
    if span < MIN_WINDOW {
        return assume(format!(
            "{} of samples so far, at least 1 day needed",
            crate::vocab::HumanDuration(span.to_std().unwrap_or_default())
        ));
    }
    let grown = latest.count as i64 - first.count as i64 - own(first.at, latest.at) as i64;
    let days = span.num_seconds() as f64 / 86_400.0;
    Volume {
        per_day: grown.max(0) as f64 / days,
        basis: Basis::Measured {
            window_days: days,
            samples: in_window.len(),
            clamped: grown < 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(day: i64, hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
            + Duration::days(day)
            + Duration::hours(hour)
    }

    /// Samples every 6 hours over `days`, the count growing `organic` a day plus Encore's own.
    fn history(days: i64, organic: f64, own_per_day: f64) -> Vec<Sample> {
        (0..=days * 4)
            .map(|i| Sample {
                at: t(0, 6 * i),
                count: 1000 + ((organic + own_per_day) * i as f64 / 4.0).round() as u64,
            })
            .collect()
    }

    #[test]
    fn own_posts_are_subtracted_over_the_window() {
        let s = history(10, 6.0, 2.0);
        let own =
            |a: DateTime<Utc>, b: DateTime<Utc>| ((b - a).num_hours() as f64 / 12.0).round() as u64;
        let v = estimate(&s, own, t(10, 0), 7, 1.0);
        assert!((v.per_day - 6.0).abs() < 0.05, "{v}");
        assert!(
            matches!(v.basis, Basis::Measured { window_days, samples: 29, .. } if (window_days - 7.0).abs() < 1e-9),
            "{v:?}"
        );
    }

    #[test]
    fn young_history_uses_a_shorter_window_but_at_least_a_day() {
        let s = history(3, 4.0, 0.0);
        let v = estimate(&s, |_, _| 0, t(3, 0), 7, 1.0);
        assert!((v.per_day - 4.0).abs() < 0.05, "{v}");
        assert!(
            matches!(v.basis, Basis::Measured { window_days, .. } if (window_days - 3.0).abs() < 1e-9)
        );
        let v = estimate(&s[..3], |_, _| 0, t(0, 12), 7, 1.5);
        assert_eq!(v.per_day, 1.5);
        assert!(v.to_string().contains("assumed"), "{v}");
    }

    #[test]
    fn deletions_clamp_to_zero() {
        let s = vec![
            Sample {
                at: t(0, 0),
                count: 500,
            },
            Sample {
                at: t(2, 0),
                count: 480,
            },
        ];
        let v = estimate(&s, |_, _| 0, t(2, 0), 7, 1.0);
        assert_eq!(v.per_day, 0.0);
        assert!(matches!(v.basis, Basis::Measured { clamped: true, .. }));
    }

    #[test]
    fn without_recent_samples_the_last_volume_stands_3_days_then_the_assumed_one() {
        let s = history(7, 5.0, 0.0);
        // Reads fail after day 7: the measurement still stands on day 9…
        let v = estimate(&s, |_, _| 0, t(9, 23), 7, 1.0);
        assert!((v.per_day - 5.0).abs() < 0.05, "{v}");
        // …and not after 3 days.
        let v = estimate(&s, |_, _| 0, t(10, 1), 7, 1.0);
        assert_eq!(v.per_day, 1.0);
        assert!(v.to_string().contains("not read for 3 days"), "{v}");
        let mut kept = Vec::new();
        for x in history(80, 1.0, 0.0) {
            record(&mut kept, x);
        }
        assert!(kept.first().unwrap().at >= t(80, 0) - KEEP);
    }
}
