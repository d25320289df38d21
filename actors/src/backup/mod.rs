//! Backups (operations.md §9): online copies of the live database into
//! `<DATABASE_BACKUP_DIR>/backup_YYYYMMDD_HHMMSS/<db file>` with a `manifest.json`, verified
//! (integrity check + test restore) before they count, pruned by retention, and restored by
//! `kpi-ops restore`. The backup actor owns the running backup; the folders and manifests own
//! the history (no table: a CLI backup taken while the service is stopped must show up too).
//!
//! Files: `run` copies, `verify` checks, `manifest` reads/writes the folders, `retention`
//! prunes, `restore` swaps a copy in, `actor` is the handle the engine and scheduler use.
pub mod actor;
pub mod manifest;
pub mod restore;
pub mod retention;
pub mod run;
pub mod verify;

pub use actor::{BackupHandle, Newest};
pub use manifest::Manifest;

use chrono::{DateTime, Utc};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct BackupSettings {
    pub database_path: PathBuf,
    pub backup_dir: PathBuf,
    pub retention_days: u32,
    /// Run with `sh -c` after each verified backup, with BACKUP_DIR and BACKUP_FILE set.
    pub post_hook: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("no database at {0}")]
    NoDatabase(String),
    #[error("{0}")]
    Io(String),
    /// The copy was made but did not verify (its folder keeps a `failed` manifest).
    #[error("backup failed verification: {0}")]
    Failed(String),
    #[error("a backup is already running")]
    InProgress,
    #[error("the backup actor is gone")]
    Gone,
}

/// One verified backup, then retention (only after a success, so a failing disk never eats
/// the last good copies). Blocking.
pub fn backup_now(
    settings: &BackupSettings,
    trigger: &str,
    now: DateTime<Utc>,
) -> Result<(PathBuf, Manifest), BackupError> {
    let (dir, m) = run::take(settings, trigger, now)?;
    retention::apply(&settings.backup_dir, Utc::now(), settings.retention_days);
    if let Some(hook) = &settings.post_hook {
        post_hook(hook, &dir, &dir.join(&m.file));
    }
    Ok((dir, m))
}

/// BACKUP_POST_HOOK (spec clarification): its failure is logged, the backup stays verified.
/// The command itself is never logged (it may carry a credential).
fn post_hook(hook: &str, dir: &std::path::Path, file: &std::path::Path) {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(hook)
        .env("BACKUP_DIR", dir)
        .env("BACKUP_FILE", file)
        .stdin(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => tracing::info!(dir = %dir.display(), "backup post hook done"),
        Ok(s) => tracing::warn!(dir = %dir.display(), status = %s, "backup post hook failed"),
        Err(e) => tracing::warn!(error = %e, "backup post hook could not start"),
    }
}
