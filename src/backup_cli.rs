//! `kpi-ops backup` and `kpi-ops restore FILE`: the same engine code as the backup actor, run
//! in the foreground. Backup works with the service running or stopped (it only reads);
//! restore refuses while the service holds the database.
use crate::config::Config;
use anyhow::bail;
use kpi_engine::backup::{BackupSettings, backup_now, restore};
use std::path::Path;

pub fn backup(config: &Config) -> anyhow::Result<()> {
    if !config.database_path.exists() {
        bail!(
            "no database at {}; run `kpi-ops migrate` first",
            config.database_path.display()
        );
    }
    let settings = BackupSettings {
        database_path: config.database_path.clone(),
        backup_dir: config.backup_dir.clone(),
        retention_days: config.backup_retention_days,
    };
    let (dir, m) = backup_now(&settings, "cli", chrono::Utc::now())?;
    let dir = dir.canonicalize().unwrap_or(dir); // scripts get a path that works from anywhere
    tracing::info!(dir = %dir.display(), size = m.size_bytes, "backup verified");
    println!("{}", dir.display());
    Ok(())
}

pub fn restore(config: &Config, file: &Path) -> anyhow::Result<()> {
    let db = &config.database_path;
    let report = restore::restore(db, file, chrono::Utc::now()).map_err(|e| anyhow::anyhow!(e))?;
    // A backup of an older release is brought to this binary's schema now, not at next start.
    kpi_engine::engine::open_and_migrate(db)?;
    if let Some(aside) = &report.moved_aside {
        println!("previous database moved to {}", aside.display());
    }
    println!(
        "restored {} into {} (schema version {})",
        report.restored_from.display(),
        db.display(),
        kpi_engine::store::migrations::latest_version()
    );
    Ok(())
}
