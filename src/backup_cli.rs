//! `kpi-ops backup` and `kpi-ops restore FILE`: the same engine code as the backup actor, run
//! in the foreground. Backup works with the service running or stopped (it only reads);
//! restore refuses while the service holds the database.
use crate::config::Config;
use anyhow::bail;
use kpi_engine::backup::{BackupSettings, backup_now, restore};
use kpi_engine::store::migrations;
use std::path::Path;

pub fn backup(config: &Config) -> anyhow::Result<()> {
    if !config.database_path.exists() {
        bail!(
            "no database at {}; run `kpi-ops migrate` first",
            config.database_path.display()
        );
    }
    let (dir, m) = backup_now(&settings(config), "cli", chrono::Utc::now())?;
    tracing::info!(dir = %dir.display(), size = m.size_bytes, "backup verified");
    println!("{}", dir.display());
    Ok(())
}

/// `kpi-ops migrate`: a verified backup first when the database exists and is behind
/// (operations.md §2), so a failed migration never costs data.
pub fn backup_before_migrate(config: &Config) -> anyhow::Result<()> {
    let db = &config.database_path;
    if !db.exists() || migrations::version_of_file(db)? >= migrations::latest_version() {
        return Ok(());
    }
    let (dir, _) = backup_now(&settings(config), "pre_migrate", chrono::Utc::now())?;
    println!("backup before migrating: {}", dir.display());
    Ok(())
}

fn settings(config: &Config) -> BackupSettings {
    BackupSettings {
        database_path: config.database_path.clone(),
        backup_dir: config.backup_dir.clone(),
        retention_days: config.backup_retention_days,
        post_hook: config.backup_post_hook.clone(),
    }
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
        migrations::latest_version()
    );
    Ok(())
}
