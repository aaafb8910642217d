//! Tokens a network hands out at login (OAuth 2 access/refresh pairs, Bluesky sessions).
//!
//! They live beside the archive, one file per account under `sessions/`, mode 0600 in a 0700
//! directory, and are replaced atomically (write, fsync, rename): X and Bluesky rotate refresh
//! tokens, so losing the newest one to a torn write would lock the account out until someone
//! logs in again by hand.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// An access token and what renews it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Tokens {
    /// Sent with every call.
    pub access_token: String,
    /// Trades for a new pair when the access token expires.
    pub refresh_token: Option<String>,
    /// When the access token stops working (None: unknown, renew only when refused).
    pub expires_at: Option<DateTime<Utc>>,
    /// The account's id on the network, when the login told it (Bluesky DID, X user id).
    #[serde(default)]
    pub user_id: Option<String>,
    /// A fingerprint of the configured token these grew from (Threads): when the admin puts a
    /// new token in the config, the stored ones are stale and the new one wins.
    #[serde(default)]
    pub issued_for: Option<String>,
}

impl Tokens {
    /// Hides these tokens from every log line and stored text from now on.
    fn remember(&self) {
        crate::redact::remember(&self.access_token);
        if let Some(r) = &self.refresh_token {
            crate::redact::remember(r);
        }
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"****")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "****"),
            )
            .field("expires_at", &self.expires_at)
            .field("user_id", &self.user_id)
            .field("issued_for", &self.issued_for)
            .finish()
    }
}

/// Why tokens could not be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No login was ever stored for the account.
    #[error(
        "no stored login for account {account:?}: run `encore auth {network} --account {account}`"
    )]
    Missing {
        /// The account.
        account: String,
        /// The network's name, for the hint.
        network: String,
    },
    /// Reading or writing the file failed.
    #[error("session file {}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The session files of one state directory.
#[derive(Debug, Clone)]
pub struct SessionStore {
    dir: PathBuf,
}

impl SessionStore {
    /// The store under `state_dir`.
    pub fn new(state_dir: &Path) -> SessionStore {
        SessionStore {
            dir: state_dir.join("sessions"),
        }
    }

    fn path(&self, account: &str) -> PathBuf {
        self.dir.join(format!("{account}.json"))
    }

    /// The stored tokens of `account`, if any.
    pub fn load(&self, account: &str) -> Result<Option<Tokens>, SessionError> {
        let path = self.path(account);
        let io = |reason: String| SessionError::Io {
            path: path.clone(),
            reason,
        };
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(|t: Tokens| {
                    t.remember();
                    Some(t)
                })
                .map_err(|e| io(format!("unreadable ({e}); log in again"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e.to_string())),
        }
    }

    /// Replaces the stored tokens of `account`; returns once they are on disk.
    pub fn save(&self, account: &str, tokens: &Tokens) -> Result<(), SessionError> {
        tokens.remember();
        let path = self.path(account);
        let bytes = serde_json::to_vec_pretty(tokens).map_err(|e| SessionError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        crate::private_file::write(&self.dir, &format!("{account}.json"), &bytes).map_err(|e| {
            SessionError::Io {
                path,
                reason: e.to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_private_replaced_whole_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::new(dir.path());
        assert!(store.load("a").unwrap().is_none());
        let t = Tokens {
            access_token: "acc-SECRET".into(),
            refresh_token: Some("ref-SECRET".into()),
            expires_at: None,
            user_id: Some("42".into()),
            issued_for: None,
        };
        store.save("a", &t).unwrap();
        store
            .save(
                "a",
                &Tokens {
                    refresh_token: Some("ref2-SECRET".into()),
                    ..t.clone()
                },
            )
            .unwrap();
        let back = store.load("a").unwrap().unwrap();
        assert_eq!(back.refresh_token.as_deref(), Some("ref2-SECRET"));
        assert!(!format!("{back:?}").contains("SECRET"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join("sessions/a.json")), 0o600);
            assert_eq!(mode(&dir.path().join("sessions")), 0o700);
        }
    }
}
