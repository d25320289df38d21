//! Database housekeeping run by the scheduler (operations.md §8).
use super::StoreError;
use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Below this the WAL is left alone: the writer's automatic (passive) checkpoints keep a
/// quiet WAL small already; TRUNCATE is for the file a big import left behind.
pub const WAL_TRUNCATE_ABOVE: u64 = 16 << 20;

pub fn wal_path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", db.display()))
}

/// `PRAGMA wal_checkpoint(TRUNCATE)` on a connection of its own, when the WAL is large.
/// Returns (busy, wal frames, frames checkpointed), or None when skipped. The short busy
/// timeout bounds how long the checkpoint can hold the writer back while waiting for readers;
/// a busy result just means "next time". Blocking.
pub fn checkpoint_if_large(db: &Path) -> Result<Option<(i64, i64, i64)>, StoreError> {
    let wal = std::fs::metadata(wal_path(db))
        .map(|m| m.len())
        .unwrap_or(0);
    if wal <= WAL_TRUNCATE_ABOVE {
        return Ok(None);
    }
    let conn = Connection::open(db)?;
    conn.busy_timeout(Duration::from_secs(1))?;
    let r = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(Some(r))
}

/// `PRAGMA optimize` (refreshes the planner's statistics where they drifted). Runs as a
/// writer job: it may write `sqlite_stat1`, and the writer is the only writer.
pub fn optimize(tx: &Connection) -> Result<(), StoreError> {
    tx.execute_batch("PRAGMA optimize")?;
    Ok(())
}

/// SCHEDULER_RUN: the last run of a job (catch-up after downtime).
pub fn record_run(
    tx: &Connection,
    job: &str,
    at: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let status = if error.is_some() { "failed" } else { "ok" };
    tx.execute(
        "INSERT INTO scheduler_runs (job, scope, last_run_at, last_status, last_error) VALUES (?1, '', ?2, ?3, ?4)
         ON CONFLICT (job, scope) DO UPDATE SET last_run_at = ?2, last_status = ?3, last_error = ?4",
        rusqlite::params![job, at, status, error],
    )?;
    Ok(())
}

pub fn last_run(conn: &Connection, job: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT last_run_at FROM scheduler_runs WHERE job = ?1 AND scope = ''",
            [job],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}
