//! Files only the daemon's user may read: sessions and cached server limits.
//!
//! Each is replaced whole or not at all, so that a crash mid-write never leaves a torn token
//! pair (X and Bluesky rotate refresh tokens: losing the newest locks the account out).

use std::io::Write;
use std::path::Path;

/// Writes `dir/name` whole or not at all (temporary file, fsync, rename, fsync of the
/// directory), readable by the owner only, in a directory only the owner can enter.
pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    create_private_dir(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, dir.join(name))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates `dir` (and its missing parents) mode 0700: what Encore keeps is its own.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}
