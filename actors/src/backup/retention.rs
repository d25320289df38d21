//! Retention (operations.md §9): verified backups older than BACKUP_RETENTION_DAYS go, but the
//! newest `KEEP_VERIFIED` verified ones always stay (so a long outage never leaves zero);
//! failed attempts go after 7 days. Folders without a manifest (a backup still running in
//! another process, or a deploy script's copy) are never touched.
use super::manifest::{self, Manifest};
use chrono::{DateTime, Duration, Utc};
use std::path::{Path, PathBuf};

/// Newest verified backups kept whatever their age.
pub const KEEP_VERIFIED: usize = 3;
/// Failed attempts are kept this long so their error can be read.
pub const FAILED_DAYS: i64 = 7;

/// The folders to delete, given every folder and its manifest (pure: unit-tested).
pub fn plan(
    backups: &[(PathBuf, Option<Manifest>)],
    now: DateTime<Utc>,
    retention_days: u32,
) -> Vec<PathBuf> {
    let mut verified: Vec<(&PathBuf, DateTime<Utc>)> = Vec::new();
    let mut doomed = Vec::new();
    for (dir, m) in backups {
        let Some(m) = m else { continue };
        let Some(created) = m.created() else { continue };
        if m.is_verified() {
            verified.push((dir, created));
        } else if now - created > Duration::days(FAILED_DAYS) {
            doomed.push(dir.clone());
        }
    }
    verified.sort_by_key(|v| std::cmp::Reverse(v.1));
    for (dir, created) in verified.into_iter().skip(KEEP_VERIFIED) {
        if now - created > Duration::days(i64::from(retention_days)) {
            doomed.push(dir.clone());
        }
    }
    doomed
}

/// Applies the plan to `root`; returns the folders removed. A folder that cannot be removed
/// is logged and left for the next run.
pub fn apply(root: &Path, now: DateTime<Utc>, retention_days: u32) -> Vec<PathBuf> {
    let doomed = plan(&manifest::list(root), now, retention_days);
    doomed
        .into_iter()
        .filter(|dir| match std::fs::remove_dir_all(dir) {
            Ok(()) => {
                tracing::info!(dir = %dir.display(), "old backup removed");
                true
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot remove an old backup");
                false
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn m(days_ago: i64, status: &str, now: DateTime<Utc>) -> Manifest {
        let t = now - Duration::days(days_ago);
        Manifest {
            backup_id: manifest::backup_id(t),
            trigger: "schedule".into(),
            file: "kpi.db".into(),
            created_at: manifest::ts(t),
            finished_at: None,
            size_bytes: 1,
            sha256: String::new(),
            schema_version: 1,
            app_version: "0".into(),
            integrity: "ok".into(),
            restore_test: "ok".into(),
            row_counts: Default::default(),
            status: status.into(),
            error: None,
        }
    }

    fn names(v: Vec<PathBuf>) -> Vec<String> {
        let mut n: Vec<String> = v.iter().map(|p| p.display().to_string()).collect();
        n.sort();
        n
    }

    #[test]
    fn deletes_old_verified_backups_but_keeps_the_newest_three() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap();
        let list: Vec<(PathBuf, Option<Manifest>)> = [1, 20, 31, 40, 50, 60]
            .iter()
            .map(|d| (PathBuf::from(format!("d{d}")), Some(m(*d, "verified", now))))
            .collect();
        assert_eq!(names(plan(&list, now, 30)), ["d40", "d50", "d60"]);
    }

    #[test]
    fn never_deletes_the_newest_verified_even_when_all_are_old() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap();
        let list: Vec<(PathBuf, Option<Manifest>)> = [100, 200, 300, 400]
            .iter()
            .map(|d| (PathBuf::from(format!("d{d}")), Some(m(*d, "verified", now))))
            .collect();
        assert_eq!(names(plan(&list, now, 30)), ["d400"]);
        // Newer failed attempts do not count as "newest".
        let mut with_failed = list.clone();
        with_failed.push((PathBuf::from("f1"), Some(m(1, "failed", now))));
        assert_eq!(names(plan(&with_failed, now, 30)), ["d400"]);
    }

    #[test]
    fn failed_attempts_go_after_seven_days_and_unfinished_folders_stay() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap();
        let list = vec![
            (PathBuf::from("f3"), Some(m(3, "failed", now))),
            (PathBuf::from("f8"), Some(m(8, "failed", now))),
            (PathBuf::from("unfinished"), None),
        ];
        assert_eq!(names(plan(&list, now, 30)), ["f8"]);
    }
}
