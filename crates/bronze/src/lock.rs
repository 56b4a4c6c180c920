//! One Bronze run per lake at a time: an OS advisory lock (`flock` on Unix, `LockFileEx` on
//! Windows, through `std::fs::File::try_lock`) on `<lake>/_bronze.lock`. The OS releases it when
//! the owner exits or dies, so a crashed run (even `kill -9`) never leaves a stale lock. The
//! file holds the owner's pid, for the message a refused run prints.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::BronzeError;

/// A held lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct Lock {
    // Kept open: closing the file releases the lock.
    _file: File,
    path: PathBuf,
}

impl Lock {
    /// Takes the lock at `path` (created if missing), or refuses at once if a live process holds it.
    pub fn acquire(path: &Path) -> Result<Lock, BronzeError> {
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(|e| BronzeError::io(path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut owner = String::new();
                let _ = file.read_to_string(&mut owner);
                let owner = owner.trim();
                let who = if owner.is_empty() { "another Bronze run".to_string() } else { format!("another Bronze run (pid {owner})") };
                return Err(BronzeError::Locked { path: path.to_path_buf(), owner: who });
            }
            Err(TryLockError::Error(e)) => return Err(BronzeError::io(path, e)),
        }
        // Ours now: record who holds it.
        file.set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| writeln!(file, "{}", std::process::id()))
            .map_err(|e| BronzeError::io(path, e))?;
        Ok(Lock { _file: file, path: path.to_path_buf() })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
