//! Backups through the API (api.md §9, ADMIN only) and the backup facts /health reports.
//! The work happens on the backup actor; this checks the role and shapes the answers.
use crate::backup::{BackupError, manifest};
use crate::domain::Caller;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::scheduler::Schedule;
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};

fn admin_only(caller: &Caller) -> Result<(), EngineError> {
    if caller.role.is_admin() {
        Ok(())
    } else {
        Err(EngineError::forbidden("backups are for ADMIN only"))
    }
}

/// The newest verified backup for /health (no paths: /health is public).
#[derive(Debug, Clone, Serialize)]
pub struct BackupFacts {
    /// `disabled` (ENABLE_AUTO_BACKUP=false), `ok`, `stale`, or `not_run` (none yet).
    pub status: &'static str,
    pub last_verified_at: Option<String>,
    pub age_seconds: Option<i64>,
    pub size_bytes: Option<u64>,
}

impl Engine {
    /// Starts a backup in the background (202 `{backup_id, status: running}`); one already
    /// running → 409 `backup_in_progress`.
    pub fn start_backup(&self, caller: &Caller) -> Result<String, EngineError> {
        admin_only(caller)?;
        self.inner.backup.spawn("api").map_err(|e| match e {
            BackupError::InProgress => {
                EngineError::conflict("backup_in_progress", "a backup is already running")
            }
            _ => EngineError::Busy,
        })
    }

    /// Every backup folder's manifest, newest first; a running backup first of all.
    pub async fn list_backups(&self, caller: &Caller) -> Result<Vec<Value>, EngineError> {
        admin_only(caller)?;
        let root = self.inner.backup.settings().backup_dir.clone();
        let running = self.inner.backup.running();
        let found = tokio::task::spawn_blocking(move || manifest::list(&root))
            .await
            .map_err(|e| crate::store::StoreError::Join(e.to_string()))?;
        let mut items = Vec::new();
        if let Some(r) = running {
            items.push(json!({"backup_id": r.backup_id, "trigger": r.trigger, "started_at": r.started_at, "status": "running"}));
        }
        for (dir, m) in found {
            let path = dir.display().to_string();
            let item = match m {
                Some(m) => {
                    let mut v = serde_json::to_value(&m).unwrap_or(Value::Null);
                    v["path"] = Value::String(path);
                    v["started_at"] = Value::String(m.created_at.clone());
                    v
                }
                // No manifest: still being written by another process, or not ours.
                None => json!({"path": path, "status": "unknown"}),
            };
            items.push(item);
        }
        Ok(items)
    }

    /// Backup facts for /health (operations.md §3): `ok` while the newest verified backup is
    /// younger than the schedule's interval + 2 h (26 h for a daily one).
    pub fn backup_facts(&self) -> BackupFacts {
        let newest = self.inner.backup.newest();
        let now = Utc::now();
        let age = newest.map(|n| (now - n.created_at).num_seconds().max(0));
        let status = match (&self.inner.config.backup_schedule, age) {
            (None, _) => "disabled",
            (Some(_), None) => "not_run",
            (Some(expr), Some(age)) => {
                let interval = Schedule::cron(expr)
                    .ok()
                    .and_then(|s| s.interval_after(now))
                    .unwrap_or(chrono::Duration::hours(24));
                if age <= (interval + chrono::Duration::hours(2)).num_seconds() {
                    "ok"
                } else {
                    "stale"
                }
            }
        };
        BackupFacts {
            status,
            last_verified_at: newest.map(|n| manifest::ts(n.created_at)),
            age_seconds: age,
            size_bytes: newest.map(|n| n.size_bytes),
        }
    }
}
