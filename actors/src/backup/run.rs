//! Taking one backup: SQLite's online backup API copies a consistent snapshot from a read-only
//! connection (writers keep going: WAL), then the copy is verified before its manifest says
//! `verified`. Blocking: runs on the backup actor's thread or in `kpi-ops backup`.
use super::manifest::{self, Manifest};
use super::verify;
use super::{BackupError, BackupSettings};
use crate::store::migrations;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Copies and verifies; the folder keeps a `failed` manifest when verification fails, so
/// retention can clean it up and the list shows why.
pub fn take(
    settings: &BackupSettings,
    trigger: &str,
    now: DateTime<Utc>,
) -> Result<(PathBuf, Manifest), BackupError> {
    let db = &settings.database_path;
    if !db.exists() {
        return Err(BackupError::NoDatabase(db.display().to_string()));
    }
    let file = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kpi.db".into());
    let dir = manifest::new_dir(&settings.backup_dir, now).map_err(|e| {
        BackupError::Io(format!(
            "cannot create a folder in {}: {e}",
            settings.backup_dir.display()
        ))
    })?;
    // Absolute: the folder is printed, logged, handed to BACKUP_POST_HOOK and listed.
    let dir = dir.canonicalize().unwrap_or(dir);
    let mut m = Manifest {
        backup_id: manifest::backup_id(now),
        trigger: trigger.to_owned(),
        file: file.clone(),
        created_at: manifest::ts(now),
        finished_at: None,
        size_bytes: 0,
        sha256: String::new(),
        schema_version: 0,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        integrity: String::new(),
        restore_test: String::new(),
        row_counts: BTreeMap::new(),
        status: "failed".into(),
        error: None,
    };
    let result = copy_and_verify(db, &dir.join(&file), &mut m);
    m.finished_at = Some(manifest::ts(Utc::now()));
    match &result {
        Ok(()) => m.status = "verified".into(),
        Err(e) => m.error = Some(e.clone()),
    }
    manifest::write(&dir, &m)
        .map_err(|e| BackupError::Io(format!("cannot write the manifest: {e}")))?;
    match result {
        Ok(()) => Ok((dir, m)),
        Err(e) => Err(BackupError::Failed(e)),
    }
}

fn copy_and_verify(db: &Path, copy: &Path, m: &mut Manifest) -> Result<(), String> {
    let (schema_version, counts) = online_copy(db, copy).map_err(|e| format!("copy: {e}"))?;
    m.schema_version = schema_version;
    m.row_counts = counts;
    sync_file(copy).map_err(|e| format!("fsync: {e}"))?;
    let found = verify::inspect(copy)?;
    m.integrity = found.integrity;
    if found.schema_version != m.schema_version || found.row_counts != m.row_counts {
        return Err("the copy's schema version or row counts differ from the source".into());
    }
    let scratch = copy
        .parent()
        .map(|d| d.join(".restore-test"))
        .unwrap_or_else(|| PathBuf::from(".restore-test"));
    match verify::test_restore(copy, &scratch, m.schema_version, &m.row_counts) {
        Ok(()) => m.restore_test = "ok".into(),
        Err(e) => {
            m.restore_test = "failed".into();
            return Err(format!("test restore: {e}"));
        }
    }
    m.size_bytes = std::fs::metadata(copy).map_err(|e| e.to_string())?.len();
    m.sha256 = verify::sha256_file(copy).map_err(|e| e.to_string())?;
    Ok(())
}

/// One read transaction on the source: the row counts and the pages copied come from the
/// same snapshot, so the verification compares like with like while writers carry on.
fn online_copy(db: &Path, copy: &Path) -> rusqlite::Result<(usize, BTreeMap<String, i64>)> {
    let src = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    src.busy_timeout(std::time::Duration::from_secs(5))?;
    src.execute_batch("BEGIN")?;
    let version = migrations::current_version(&src).map_err(|e| match e {
        crate::store::StoreError::Sqlite(e) => e,
        other => rusqlite::Error::InvalidParameterName(other.to_string()),
    })?;
    let counts = verify::row_counts(&src)?;
    let mut dst = Connection::open(copy)?;
    {
        let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
        // All pages in one step: the read snapshot is held anyway, and WAL lets writers go on.
        match backup.step(-1)? {
            rusqlite::backup::StepResult::Done => {}
            other => {
                return Err(rusqlite::Error::InvalidParameterName(format!(
                    "online backup did not finish: {other:?}"
                )));
            }
        }
    }
    src.execute_batch("COMMIT")?;
    // A self-contained file: no -wal beside the copy, so a plain `cp` restores it.
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    drop(dst);
    Ok((version, counts))
}

fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}
