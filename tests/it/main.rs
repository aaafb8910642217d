//! Behaviour tests, in one binary (as ripgrep and lychee keep theirs): one module per suite,
//! the fakes and helpers in `support` compiled once. `cargo test --test it NAME` runs the tests
//! whose path contains NAME (a suite: `cargo test --test it crash::`).
//!
//! Suites share one process and run in parallel threads: a test never sets the environment
//! (secrets go in files, or in a child's environment) and never changes the working directory.

mod support;

mod auto;
mod bad_input;
mod bluesky;
mod cli;
mod crash;
mod daemon;
mod dns;
mod faults;
mod feed;
mod feed_corpus;
mod feeds;
mod floors;
mod full_disk;
mod learn;
mod linkedin;
mod mastodon;
mod metrics;
mod private_networks;
mod properties;
mod race;
mod real_feeds;
mod report;
mod secrets;
mod service;
mod six_networks;
mod state;
mod systemd;
mod telegram;
mod threads;
mod three_networks;
mod words;
mod x;
mod x_cli;
