//! Networks that only write to the log: `log` (records like a real network) and the dry run.

use super::{BoxFuture, Network, Outgoing, PostError, Receipt};
use chrono::Utc;

/// "Posts" by writing an info line; the post is recorded in the history like a real one, which
/// makes the whole daemon observable without an account anywhere.
#[derive(Debug, Default)]
pub(crate) struct LogNetwork;

impl Network for LogNetwork {
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(async move {
            tracing::info!(
                account = out.account,
                "log post: {} {}",
                out.url,
                out.message.text
            );
            Ok(Receipt {
                post_id: format!("log-{}", out.slot.timestamp()),
                at: Utc::now(),
            })
        })
    }
}

/// `--dry-run`: says what it would post and posts nothing.
#[derive(Debug, Default)]
pub(crate) struct DryRunNetwork;

impl Network for DryRunNetwork {
    fn post<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Receipt, PostError>> {
        Box::pin(async move {
            tracing::info!(
                "would post: {} {} {}",
                out.account,
                out.url,
                out.message.text
            );
            Ok(Receipt {
                post_id: "dry-run".into(),
                at: Utc::now(),
            })
        })
    }
}
