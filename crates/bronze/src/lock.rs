//! One Bronze run at a time: a lock file created exclusively, holding the owner's pid. A lock
//! left by a killed run (its pid no longer alive) is taken over; a live one refuses the run.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::BronzeError;

pub struct Lock {
    path: PathBuf,
}

fn alive(pid: u32) -> bool {
    // Linux: a live process has /proc/<pid>. Elsewhere assume alive (refuse rather than risk).
    if Path::new("/proc/self").exists() { Path::new(&format!("/proc/{pid}")).exists() } else { true }
}

impl Lock {
    pub fn acquire(path: &Path) -> Result<Lock, BronzeError> {
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id()).map_err(|e| BronzeError::io(path, e))?;
                    return Ok(Lock { path: path.to_path_buf() });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let owner = fs::read_to_string(path).unwrap_or_default().trim().parse::<u32>().ok();
                    match owner {
                        Some(pid) if pid != std::process::id() && alive(pid) => {
                            return Err(BronzeError::Locked(format!(
                                "another Bronze run (pid {pid}) is using this lake; wait for it to finish (lock file {})",
                                path.display()
                            )));
                        }
                        // A stale lock from a run that died: take it over.
                        _ => fs::remove_file(path).map_err(|e| BronzeError::io(path, e))?,
                    }
                }
                Err(e) => return Err(BronzeError::io(path, e)),
            }
        }
        Err(BronzeError::Locked(format!("could not take the lock {}", path.display())))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
