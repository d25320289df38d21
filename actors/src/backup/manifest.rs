//! `manifest.json` beside each backup copy: what was copied, how it was verified. The folder
//! and its manifest are the source of truth for backups (no table), so a backup taken by the
//! CLI while the service is stopped, or a restored database, never disagrees with the list.
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

pub const MANIFEST_FILE: &str = "manifest.json";
/// Folder names: `backup_YYYYMMDD_HHMMSS` (UTC), the deployment guide's layout.
pub const DIR_PREFIX: &str = "backup_";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// `BKP-YYYYMMDD-HHMMSS` (domain.md BACKUP_RECORD).
    pub backup_id: String,
    /// `schedule`, `api`, `cli`, `pre_migrate`, `pre_restore`, `pre_deploy`.
    pub trigger: String,
    /// File name of the copy inside the folder (the live database's file name).
    pub file: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub size_bytes: u64,
    pub sha256: String,
    pub schema_version: usize,
    pub app_version: String,
    /// `PRAGMA integrity_check` of the copy (`ok`).
    pub integrity: String,
    /// `ok` when a scratch copy opened, had the same schema version and row counts.
    pub restore_test: String,
    /// Rows per table, captured in the same read snapshot the copy was made from.
    pub row_counts: BTreeMap<String, i64>,
    /// `verified` or `failed`.
    pub status: String,
    pub error: Option<String>,
}

impl Manifest {
    pub fn is_verified(&self) -> bool {
        self.status == "verified"
    }

    pub fn created(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.created_at)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn backup_id(t: DateTime<Utc>) -> String {
    t.format("BKP-%Y%m%d-%H%M%S").to_string()
}

/// A new folder for a backup started at `t`; `_2`, `_3` … when one second saw two backups.
pub fn new_dir(root: &Path, t: DateTime<Utc>) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(root)?;
    let base = format!("{DIR_PREFIX}{}", t.format("%Y%m%d_%H%M%S"));
    for n in 1..100 {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base}_{n}")
        };
        let dir = root.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many backups in one second"))
}

pub fn read(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join(MANIFEST_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Written to a temporary name, synced and renamed: a reader never sees half a manifest, and
/// a folder without one is a backup that never finished.
pub fn write(dir: &Path, m: &Manifest) -> std::io::Result<()> {
    let tmp = dir.join(".manifest.json.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&serde_json::to_vec_pretty(m).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(MANIFEST_FILE))
}

/// Every `backup_*` folder of `root` with its manifest (None: unfinished or not ours),
/// newest first by folder name.
pub fn list(root: &Path) -> Vec<(PathBuf, Option<Manifest>)> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Option<Manifest>)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| e.file_name().to_string_lossy().starts_with(DIR_PREFIX))
        .map(|e| {
            let dir = e.path();
            let m = read(&dir);
            (dir, m)
        })
        .collect();
    out.sort_by(|a, b| b.0.file_name().cmp(&a.0.file_name())); // newest first
    out
}

/// The newest verified backup of `root`.
pub fn newest_verified(root: &Path) -> Option<(PathBuf, Manifest)> {
    list(root)
        .into_iter()
        .filter_map(|(d, m)| m.filter(Manifest::is_verified).map(|m| (d, m)))
        .max_by_key(|(_, m)| m.created())
}
