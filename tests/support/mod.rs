//! Shared test servers.
pub mod fake_x;
