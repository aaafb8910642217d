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
pub mod error;
pub mod feed;
pub mod http;
pub mod ingest;
pub mod logging;
pub mod network;
pub mod private_file;
pub mod schedule;
pub mod seed;
pub mod select;
pub mod service;
pub mod text;
pub mod vocab;
pub mod volume;

pub use error::Error;
