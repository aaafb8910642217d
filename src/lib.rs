//! Encore gives a blog's older articles a second life on X, Mastodon and Bluesky.
//!
//! Data flows one way: [`feed`] reads the blog, [`archive`] remembers every article, [`select`]
//! picks one for a slot, [`compose`] writes the message, [`network`] carries it. [`cadence`] and
//! [`schedule`] decide when; [`commands`] are what the `encore` binary runs.

#![deny(missing_docs)]

pub mod archive;
pub mod budget;
pub mod cadence;
pub mod clock;
pub mod commands;
pub mod compose;
pub mod config;
pub mod daemon;
pub mod feed;
pub mod http;
pub mod logging;
pub mod network;
pub mod private_file;
pub mod schedule;
pub mod seed;
pub mod select;
pub mod service;
pub mod text;
pub mod volume;

/// What can stop a command. Each variant maps to an exit status (see [`Error::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The state could not be opened or written.
    #[error(transparent)]
    Archive(#[from] archive::ArchiveError),
    /// Writing the output failed (closed pipe…).
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// An account cannot be set up: a network this build lacks, a missing secret, no stored
    /// login. A configuration problem, so it exits 78 like one.
    #[error("{0}")]
    Setup(String),
    /// A post did not go out (`encore post-now`).
    #[error("{0}")]
    NotPosted(String),
    /// A command-line value is unusable.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// sysexits-style status: 78 for configuration errors, 64 for usage, 74 for I/O, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Setup(_) => config::EX_CONFIG,
            Error::Usage(_) => 64,
            Error::Output(_) => 74,
            Error::Archive(_) | Error::NotPosted(_) => 1,
        }
    }
}
