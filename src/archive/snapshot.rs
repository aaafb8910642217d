//! A copy of the state for commands that run beside the daemon.
//!
//! sled allows one process per database, and the daemon holds it for as long as it runs. So
//! that `status`, `history` and `preview` still work then, the daemon writes the whole state to
//! one file (`STATE_DIR/snapshot`, atomically) after each change, and those commands, finding
//! the state busy, load that file into an in-memory database and read it exactly as they read
//! the real one. Anything they write goes to the copy and is dropped with it.

use super::{Archive, ArchiveError};
use chrono::{DateTime, Utc};
use std::io::Read;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"ENCSNAP1";
const TREES: [&str; 5] = ["articles", "history", "intents", "slots", "meta"];

/// Where the daemon's copy lives.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

const FILE: &str = "snapshot";

fn io(path: &Path, e: std::io::Error) -> ArchiveError {
    ArchiveError::Storage(format!("snapshot {}: {e}", path.display()))
}

impl Archive {
    /// Writes the whole state to `STATE_DIR/snapshot`, whole or not at all.
    pub fn export(&self, dir: &Path) -> Result<(), ArchiveError> {
        let mut buf = Vec::with_capacity(64 * 1024);
        buf.extend_from_slice(MAGIC);
        for (id, name) in TREES.iter().enumerate() {
            let tree = self.db.open_tree(name)?;
            for kv in tree.iter() {
                let (k, v) = kv?;
                buf.push(id as u8);
                for part in [&k[..], &v[..]] {
                    buf.extend_from_slice(&(part.len() as u32).to_le_bytes());
                    buf.extend_from_slice(part);
                }
            }
        }
        crate::private_file::write(dir, FILE, &buf).map_err(|e| io(&path(dir), e))
    }

    /// An in-memory state loaded from the daemon's copy in `dir`, and when it was written.
    pub fn open_snapshot(dir: &Path) -> Result<(Archive, DateTime<Utc>), ArchiveError> {
        let file = path(dir);
        let corrupt = |reason: &str| ArchiveError::Corrupt {
            what: file.display().to_string(),
            reason: reason.to_string(),
        };
        let mut f = std::fs::File::open(&file).map_err(|e| io(&file, e))?;
        let written: DateTime<Utc> = f
            .metadata()
            .and_then(|m| m.modified())
            .map(DateTime::<Utc>::from)
            .map_err(|e| io(&file, e))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(|e| io(&file, e))?;
        if !bytes.starts_with(MAGIC) {
            return Err(corrupt("not an Encore snapshot"));
        }
        let db = sled::Config::new().temporary(true).open()?;
        let trees: Vec<sled::Tree> = TREES
            .iter()
            .map(|n| db.open_tree(n))
            .collect::<Result<_, _>>()?;
        let mut rest = &bytes[MAGIC.len()..];
        let mut take = |n: usize| -> Result<&[u8], ArchiveError> {
            if rest.len() < n {
                return Err(corrupt("truncated"));
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        while let Ok(id) = take(1) {
            let tree = trees
                .get(id[0] as usize)
                .ok_or_else(|| corrupt("unknown tree"))?;
            let mut part = || -> Result<Vec<u8>, ArchiveError> {
                let len = u32::from_le_bytes(take(4)?.try_into().map_err(|_| corrupt("truncated"))?)
                    as usize;
                Ok(take(len)?.to_vec())
            };
            let k = part()?;
            let v = part()?;
            tree.insert(k, v)?;
        }
        Ok((Archive::from_db(db)?, written))
    }

    /// The state in `dir`, or, when the daemon holds it, the daemon's latest copy (with the
    /// time it was written); the copy's changes are never written back.
    pub fn open_or_snapshot(dir: &Path) -> Result<(Archive, Option<DateTime<Utc>>), ArchiveError> {
        match Archive::open(dir) {
            Ok(a) => Ok((a, None)),
            Err(ArchiveError::Locked(p)) if path(dir).is_file() => {
                let (a, at) = Archive::open_snapshot(&p)?;
                tracing::info!(
                    "the daemon holds the state: reading its copy written at {}",
                    at.to_rfc3339()
                );
                Ok((a, Some(at)))
            }
            Err(e) => Err(e),
        }
    }
}
