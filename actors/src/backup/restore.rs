//! `kpi-ops restore FILE`: put a backup in place of the live database, refusing anything that
//! is not a sound copy, and never destroying the current database (it is moved aside).
//!
//! "Is the service running?" is answered by an advisory lock: every running engine holds a
//! shared lock on `<db>.lock` (`ServiceLock`), and restore needs the exclusive one. The OS
//! drops the lock when the process dies, so a crash never leaves a stale "running" mark.
use super::manifest::{self, Manifest};
use super::verify;
use chrono::{DateTime, Utc};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Held for the engine's lifetime; dropping it releases the lock.
pub struct ServiceLock {
    _file: File,
}

pub fn lock_path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.lock", db.display()))
}

fn open_lock(db: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(db))
}

impl ServiceLock {
    /// Best effort: without the lock the service still runs (restore just cannot tell).
    pub fn hold(db: &Path) -> Option<ServiceLock> {
        let file = open_lock(db).ok()?;
        file.try_lock_shared().ok()?;
        Some(ServiceLock { _file: file })
    }
}

#[derive(Debug)]
pub struct RestoreReport {
    pub restored_from: PathBuf,
    /// Where the previous database (and its -wal/-shm) went.
    pub moved_aside: Option<PathBuf>,
    pub schema_version: usize,
}

/// The database file a FILE argument names: a backup folder (its manifest's file, else its
/// only `.db`) or a file. Also the manifest that describes it, when there is one beside it.
fn resolve(source: &Path) -> Result<(PathBuf, Option<Manifest>), String> {
    if source.is_dir() {
        let m = manifest::read(source);
        let file = match &m {
            Some(m) => source.join(&m.file),
            None => {
                let dbs: Vec<PathBuf> = std::fs::read_dir(source)
                    .map_err(|e| format!("cannot read {}: {e}", source.display()))?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "db"))
                    .collect();
                match dbs.as_slice() {
                    [one] => one.clone(),
                    _ => {
                        return Err(format!(
                            "{} holds no manifest and not exactly one .db file",
                            source.display()
                        ));
                    }
                }
            }
        };
        return Ok((file, m));
    }
    if !source.exists() {
        return Err(format!("{} does not exist", source.display()));
    }
    let beside = source
        .parent()
        .and_then(manifest::read)
        .filter(|m| source.file_name().is_some_and(|n| *n == *m.file));
    Ok((source.to_path_buf(), beside))
}

/// Verifies `source` and swaps it in for `db`. Every refusal leaves `db` untouched.
pub fn restore(db: &Path, source: &Path, now: DateTime<Utc>) -> Result<RestoreReport, String> {
    let (file, m) = resolve(source)?;
    if let Some(m) = &m {
        if !m.is_verified() {
            return Err(format!(
                "{} is a failed backup ({}); pick a verified one",
                file.display(),
                m.error.as_deref().unwrap_or("no reason recorded")
            ));
        }
        let sum = verify::sha256_file(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if sum != m.sha256 {
            return Err(format!(
                "{} does not match the sha256 in its manifest (corrupt or changed copy)",
                file.display()
            ));
        }
    }
    let found = verify::inspect(&file)?;

    let lock =
        open_lock(db).map_err(|e| format!("cannot open {}: {e}", lock_path(db).display()))?;
    if lock.try_lock().is_err() {
        return Err(format!(
            "the service is running on {} (it holds {}); stop it first (systemctl stop kpi-operations-backend)",
            db.display(),
            lock_path(db).display()
        ));
    }

    let tmp = PathBuf::from(format!("{}.restore-tmp", db.display()));
    std::fs::copy(&file, &tmp).map_err(|e| format!("cannot copy the backup: {e}"))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("fsync: {e}"))?;

    let moved_aside = move_aside(db, now)?;
    std::fs::rename(&tmp, db).map_err(|e| format!("cannot put the backup in place: {e}"))?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all()); // the renames themselves survive a crash
    }
    drop(lock);
    Ok(RestoreReport {
        restored_from: file,
        moved_aside,
        schema_version: found.schema_version,
    })
}

/// `<db>.before-restore-<ts>` plus its `-wal`/`-shm` under the same stem, so the set still
/// opens as one database (a stale -wal next to the restored file would be replayed into it).
fn move_aside(db: &Path, now: DateTime<Utc>) -> Result<Option<PathBuf>, String> {
    if !db.exists() {
        return Ok(None);
    }
    let aside = PathBuf::from(format!(
        "{}.before-restore-{}",
        db.display(),
        now.format("%Y%m%d_%H%M%S")
    ));
    for suffix in ["-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", aside.display()));
            std::fs::rename(&from, &to)
                .map_err(|e| format!("cannot move {} aside: {e}", from.display()))?;
        }
    }
    std::fs::rename(db, &aside).map_err(|e| format!("cannot move {} aside: {e}", db.display()))?;
    Ok(Some(aside))
}
