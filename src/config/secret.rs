//! Where credentials come from.
//!
//! A secret in the config is a reference: `env:VAR`, `file:/path`, or `credential:NAME` (a file in
//! systemd's `$CREDENTIALS_DIRECTORY`, see `LoadCredential=`). A literal value still works, with a
//! warning, because a config file is easily copied, backed up or pasted into a bug report.
//! The resolved value is wrapped so that it cannot end up in a log line or an error by accident.

use std::fmt;
use std::path::PathBuf;

/// How a secret is to be found. Displaying it never shows a literal value.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// `env:VAR`: read from the environment.
    Env(String),
    /// `file:/path`: the whole file, trailing newline removed.
    File(PathBuf),
    /// `credential:NAME`: `$CREDENTIALS_DIRECTORY/NAME`.
    Credential(String),
    /// A value written in the config itself (accepted, with a warning).
    Literal(Secret),
}

/// Why a secret could not be read. Never carries the secret itself.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is unset or not UTF-8.
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    /// The file could not be read.
    #[error("cannot read secret file {path}: {source}")]
    File {
        /// The file that was named.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// `credential:` was used outside the service (no `$CREDENTIALS_DIRECTORY`) and the
    /// credential is in none of systemd's stores that can be read here.
    #[error("credential {0}: $CREDENTIALS_DIRECTORY is not set (the service gets it from LoadCredential= in the unit) and no readable /etc/credstore/{0} or /run/credstore/{0}")]
    NoCredentialsDirectory(String),
    /// A `file:` secret that every user of the machine can read: refused, as ssh refuses such a
    /// private key, because the secret is as good as public.
    #[error("secret file {} is readable by every user (mode {mode:04o}): `chmod 600` it (or 640 for a group)", path.display())]
    Exposed {
        /// The file that was named.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The resolved value is empty.
    #[error("secret from {0} is empty")]
    Empty(String),
}

impl SecretRef {
    /// Parses the config form. Anything without a known prefix is a literal.
    pub fn parse(raw: &str) -> SecretRef {
        if let Some(v) = raw.strip_prefix("env:") {
            SecretRef::Env(v.to_string())
        } else if let Some(p) = raw.strip_prefix("file:") {
            SecretRef::File(PathBuf::from(p))
        } else if let Some(n) = raw.strip_prefix("credential:") {
            SecretRef::Credential(n.to_string())
        } else {
            SecretRef::Literal(Secret(raw.to_string()))
        }
    }

    /// Whether the value sits in the config file itself.
    pub fn is_literal(&self) -> bool {
        matches!(self, SecretRef::Literal(_))
    }

    /// Reads the secret now. Called at start and by `check`, so that a missing secret is found
    /// before the first slot, not at it.
    pub fn resolve(&self) -> Result<Secret, SecretError> {
        let value = match self {
            SecretRef::Env(var) => {
                std::env::var(var).map_err(|_| SecretError::MissingEnv(var.clone()))?
            }
            SecretRef::File(path) => {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)
                    .map_err(|source| SecretError::File {
                        path: path.clone(),
                        source,
                    })?
                    .permissions()
                    .mode();
                if mode & 0o004 != 0 {
                    return Err(SecretError::Exposed {
                        path: path.clone(),
                        mode: mode & 0o7777,
                    });
                }
                read_secret_file(path)?
            }
            SecretRef::Credential(name) => match std::env::var_os("CREDENTIALS_DIRECTORY") {
                Some(dir) => read_secret_file(&PathBuf::from(dir).join(name))?,
                None => from_credstore(name, CREDSTORES)?,
            },
            SecretRef::Literal(s) => s.0.clone(),
        };
        if value.is_empty() {
            return Err(SecretError::Empty(self.to_string()));
        }
        crate::redact::remember(&value);
        Ok(Secret(value))
    }
}

/// Where systemd keeps plain credentials for `LoadCredential=NAME:/etc/credstore/NAME`.
/// Reading them directly lets `encore check`, `post-now` and `auth`, run by root outside the
/// service, use the config the service uses.
const CREDSTORES: &[&str] = &["/etc/credstore", "/run/credstore"];

fn from_credstore(name: &str, stores: &[&str]) -> Result<String, SecretError> {
    // A name is one path component: "credential:../x" must not walk out of the store.
    let plain = !name.is_empty() && !name.contains('/') && name != "." && name != "..";
    if plain {
        for dir in stores {
            let path = PathBuf::from(dir).join(name);
            if let Ok(v) = read_secret_file(&path) {
                return Ok(v);
            }
        }
    }
    Err(SecretError::NoCredentialsDirectory(name.to_string()))
}

fn read_secret_file(path: &PathBuf) -> Result<String, SecretError> {
    let text = std::fs::read_to_string(path).map_err(|source| SecretError::File {
        path: path.clone(),
        source,
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(v) => write!(f, "env:{v}"),
            SecretRef::File(p) => write!(f, "file:{}", p.display()),
            SecretRef::Credential(n) => write!(f, "credential:{n}"),
            SecretRef::Literal(_) => write!(f, "<literal, masked>"),
        }
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A resolved secret. `Debug` and `Display` print a mask; the value is only reachable through
/// [`Secret::expose`], which makes every use greppable.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that must send it (a signature, a header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_masking() {
        assert_eq!(
            SecretRef::parse("env:X_KEY"),
            SecretRef::Env("X_KEY".into())
        );
        assert_eq!(
            SecretRef::parse("file:/etc/encore/x"),
            SecretRef::File("/etc/encore/x".into())
        );
        assert_eq!(
            SecretRef::parse("credential:x_key"),
            SecretRef::Credential("x_key".into())
        );
        let lit = SecretRef::parse("hunter2");
        assert!(lit.is_literal());
        assert!(!format!("{lit} {lit:?}").contains("hunter2"));
        let s = lit.resolve().unwrap();
        assert_eq!(s.expose(), "hunter2");
        assert!(!format!("{s} {s:?}").contains("hunter2"));
    }

    #[test]
    fn file_secret_is_trimmed_and_errors_do_not_leak() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("token");
        std::fs::write(&p, "s3cr3t-value\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = SecretRef::File(p.clone());
        let err = r.resolve().unwrap_err().to_string();
        assert!(err.contains("readable by every user (mode 0644)"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(r.resolve().unwrap().expose(), "s3cr3t-value");
        let missing = SecretRef::File(dir.path().join("nope"));
        let err = missing.resolve().unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
        let err = SecretRef::Env("ENCORE_TEST_SURELY_UNSET_VAR".into())
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(err.contains("ENCORE_TEST_SURELY_UNSET_VAR"), "{err}");
    }

    #[test]
    fn credentials_outside_the_service_come_from_the_credstore() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(b.path().join("x_key"), "from-b\n").unwrap();
        std::fs::write(a.path().join("bsky"), "from-a").unwrap();
        let stores = [a.path().to_str().unwrap(), b.path().to_str().unwrap()];
        assert_eq!(from_credstore("x_key", &stores).unwrap(), "from-b");
        assert_eq!(from_credstore("bsky", &stores).unwrap(), "from-a");
        let err = from_credstore("nope", &stores).unwrap_err().to_string();
        assert!(
            err.contains("LoadCredential=") && err.contains("/etc/credstore/nope"),
            "{err}"
        );
        std::fs::write(a.path().join("escape"), "no").unwrap();
        let inner = a.path().join("inner");
        std::fs::create_dir(&inner).unwrap();
        let stores = [inner.to_str().unwrap()];
        assert!(
            from_credstore("../escape", &stores).is_err(),
            "one path component only"
        );
    }
}
