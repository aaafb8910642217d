//! Shared test helpers and servers.
#![allow(dead_code)]

pub mod fake_bluesky;
pub mod fake_mastodon;
pub mod fake_x;
pub mod http;

use chrono::{DateTime, Duration, Utc};
use encore::daemon::{Daemon, SlotReport};

/// Ticks the daemon every `step` over `[from, until)`, collecting what each slot came to.
pub async fn tick_through(
    d: &mut Daemon,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    step: Duration,
) -> Vec<SlotReport> {
    let mut out = Vec::new();
    let mut now = from;
    while now < until {
        out.extend(d.tick(now).await.unwrap());
        now += step;
    }
    out
}
