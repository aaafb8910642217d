//! Keeping logins alive: once an hour each account's network may renew its token (Threads
//! refreshes well before the 60 days end) and says when the login ends; the daemon warns in
//! the log from a week before, and the metrics carry the date, so that an admin learns of a
//! LinkedIn login to renew before the posts stop rather than after.

use super::Daemon;
use crate::network::{NetworkKind, EXPIRY_WARNING};
use chrono::{DateTime, Utc};

impl Daemon {
    /// Renews what can be renewed and warns of logins that end within a week.
    pub async fn renew_credentials(&mut self, now: DateTime<Utc>) {
        for lane in &self.lanes {
            let name = lane.name();
            match lane.network.renew().await {
                Ok(Some(ends)) => {
                    let labels = crate::metrics::AccountLabels {
                        account: name.to_string(),
                    };
                    self.metrics
                        .credentials_expiry
                        .get_or_create(&labels)
                        .set(ends.timestamp());
                    if ends - now < EXPIRY_WARNING {
                        tracing::warn!(account = %name, "{}", expiry_warning(lane.account.network, name, ends, now));
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(account = %name, "the login could not be renewed ({e}); trying again within 6 hours")
                }
            }
        }
    }
}

/// What to say of a login that ends at `ends`, and what to do about it.
pub(crate) fn expiry_warning(
    network: NetworkKind,
    account: &str,
    ends: DateTime<Utc>,
    now: DateTime<Utc>,
) -> String {
    let when = if ends <= now {
        format!("ended on {}", ends.format("%Y-%m-%d %H:%M UTC"))
    } else {
        let days = (ends - now).num_days();
        format!(
            "ends on {} (in {days} day{})",
            ends.format("%Y-%m-%d %H:%M UTC"),
            if days == 1 { "" } else { "s" }
        )
    };
    let fix = match network {
        NetworkKind::LinkedIn => format!("run `encore auth linkedin --account {account}`"),
        NetworkKind::Threads => {
            "refreshing it keeps failing; put a new long-lived token in `access_token`".into()
        }
        _ => format!("run `encore auth {network} --account {account}`"),
    };
    format!("the {} login {when}: {fix}", network.display_name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn the_warning_counts_days_and_says_what_to_do() {
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        let w = expiry_warning(NetworkKind::LinkedIn, "li", now + Duration::days(3), now);
        assert_eq!(
            w,
            "the LinkedIn login ends on 2026-05-04 09:00 UTC (in 3 days): run `encore auth linkedin --account li`"
        );
        let w = expiry_warning(NetworkKind::Threads, "th", now - Duration::hours(1), now);
        assert!(w.starts_with("the Threads login ended on"), "{w}");
    }
}
