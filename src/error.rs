//! What can stop a command, made of the config's and the archive's errors and sitting just
//! above them, so that every floor that runs a command (network set-up, the daemon, the
//! commands) can return it without reaching up.

use crate::{archive, config};

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
