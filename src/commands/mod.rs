//! What the `encore` subcommands do. `main.rs` parses the command line and calls these.

mod auth;
mod check;
mod history;
mod post_now;
mod preview;
mod report;
mod status;

pub use auth::{auth_linkedin, auth_x};
pub use check::{check, check_online, check_quiet};
pub use history::{history, HistoryFilter};
pub use post_now::post_now;
pub use preview::{auto_plans, preview, Format, PreviewOptions};
pub use report::{collect as collect_report, report, Report, ReportFormat, ReportOptions};
pub use status::{collect as collect_status, status, Status};

pub use crate::ingest::{backfill_archive, refresh_archive};
