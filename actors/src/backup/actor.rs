//! The backup actor: one `SyncArbiter` thread, so the copy, integrity check and hashing never
//! run on an async thread. The handle holds the bound (one backup at a time: a second request
//! gets `InProgress`, never a queue) and a small cache of the newest verified backup for
//! `/metrics` and `/health`.
use super::manifest::{self, Manifest};
use super::{BackupError, BackupSettings, backup_now};
use crate::metrics::EngineMetrics;
use actix::{Actor, Addr, Handler, Message, SyncArbiter, SyncContext};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

struct RunBackup {
    trigger: String,
    at: DateTime<Utc>,
}

impl Message for RunBackup {
    type Result = Result<Manifest, BackupError>;
}

struct BackupActor {
    settings: BackupSettings,
    metrics: EngineMetrics,
}

impl Actor for BackupActor {
    type Context = SyncContext<Self>;
}

impl Handler<RunBackup> for BackupActor {
    type Result = Result<Manifest, BackupError>;

    fn handle(&mut self, msg: RunBackup, _: &mut SyncContext<Self>) -> Self::Result {
        let result = backup_now(&self.settings, &msg.trigger, msg.at);
        let outcome = if result.is_ok() { "verified" } else { "failed" };
        self.metrics.backup_runs.with_label_values(&[outcome]).inc();
        match &result {
            Ok((dir, m)) => {
                tracing::info!(dir = %dir.display(), size = m.size_bytes, trigger = %m.trigger, "backup verified")
            }
            Err(e) => tracing::error!(error = %e, trigger = %msg.trigger, "backup failed"),
        }
        result.map(|(_, m)| m)
    }
}

/// The newest verified backup: when it was taken and how big it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Newest {
    pub created_at: DateTime<Utc>,
    pub size_bytes: u64,
}

/// Cached scan of the backup folder: rescanned when the folder changed or every 30 s (a CLI
/// backup finishing its manifest does not touch the folder's mtime).
#[derive(Default)]
struct Scan {
    at: Option<(Instant, Option<SystemTime>)>,
    newest: Option<Newest>,
}

/// The backup now running (for the list).
#[derive(Debug, Clone)]
pub struct Running {
    pub backup_id: String,
    pub trigger: String,
    pub started_at: String,
}

#[derive(Clone)]
pub struct BackupHandle {
    addr: Addr<BackupActor>,
    slot: Arc<Semaphore>,
    scan: Arc<Mutex<Scan>>,
    running: Arc<Mutex<Option<Running>>>,
    settings: BackupSettings,
}

impl BackupHandle {
    /// Must run inside an actix `System`.
    pub fn start(settings: BackupSettings, metrics: EngineMetrics) -> BackupHandle {
        let actor_settings = settings.clone();
        let addr = SyncArbiter::start(1, move || BackupActor {
            settings: actor_settings.clone(),
            metrics: metrics.clone(),
        });
        BackupHandle {
            addr,
            slot: Arc::new(Semaphore::new(1)),
            scan: Arc::default(),
            running: Arc::default(),
            settings,
        }
    }

    pub fn settings(&self) -> &BackupSettings {
        &self.settings
    }

    /// 1 while a backup runs (the `backup` mailbox depth).
    pub fn depth(&self) -> i64 {
        1 - self.slot.available_permits() as i64
    }

    pub fn running(&self) -> Option<Running> {
        self.running.lock().expect("backup running").clone()
    }

    /// Runs one backup and waits for it (scheduler, tests).
    pub async fn run(&self, trigger: &str) -> Result<Manifest, BackupError> {
        let permit = self
            .slot
            .clone()
            .try_acquire_owned()
            .map_err(|_| BackupError::InProgress)?;
        let at = Utc::now();
        self.mark_running(trigger, at);
        self.submit(permit, trigger, at).await
    }

    /// Starts one backup in the background and returns its id at once (POST → 202).
    pub fn spawn(&self, trigger: &str) -> Result<String, BackupError> {
        let permit = self
            .slot
            .clone()
            .try_acquire_owned()
            .map_err(|_| BackupError::InProgress)?;
        let at = Utc::now();
        let id = manifest::backup_id(at);
        self.mark_running(trigger, at);
        let this = self.clone();
        let trigger = trigger.to_owned();
        actix::spawn(async move {
            let _ = this.submit(permit, &trigger, at).await; // outcome: log, metrics, manifest
        });
        Ok(id)
    }

    /// Set as soon as the slot is taken, so the list shows the backup from the 202 on.
    fn mark_running(&self, trigger: &str, at: DateTime<Utc>) {
        *self.running.lock().expect("backup running") = Some(Running {
            backup_id: manifest::backup_id(at),
            trigger: trigger.to_owned(),
            started_at: manifest::ts(at),
        });
    }

    async fn submit(
        &self,
        permit: OwnedSemaphorePermit,
        trigger: &str,
        at: DateTime<Utc>,
    ) -> Result<Manifest, BackupError> {
        let result = self
            .addr
            .send(RunBackup {
                trigger: trigger.to_owned(),
                at,
            })
            .await
            .map_err(|_| BackupError::Gone)
            .and_then(|r| r);
        if let Ok(m) = &result
            && let Some(created_at) = m.created()
        {
            let mut scan = self.scan.lock().expect("backup scan");
            scan.newest = Some(Newest {
                created_at,
                size_bytes: m.size_bytes,
            });
            scan.at = None; // next look rescans (retention may have removed folders)
        }
        *self.running.lock().expect("backup running") = None;
        drop(permit);
        result
    }

    /// The newest verified backup (a stat per call; a folder scan when something changed).
    pub fn newest(&self) -> Option<Newest> {
        let mtime = std::fs::metadata(&self.settings.backup_dir)
            .and_then(|m| m.modified())
            .ok();
        let mut scan = self.scan.lock().expect("backup scan");
        let fresh = matches!(scan.at, Some((at, seen)) if seen == mtime && at.elapsed() < Duration::from_secs(30));
        if !fresh {
            scan.newest =
                manifest::newest_verified(&self.settings.backup_dir).and_then(|(dir, m)| {
                    let size_bytes = std::fs::metadata(dir.join(&m.file)).ok()?.len();
                    Some(Newest {
                        created_at: m.created()?,
                        size_bytes,
                    })
                });
            scan.at = Some((Instant::now(), mtime));
        }
        scan.newest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &std::path::Path) -> BackupSettings {
        let db = dir.join("kpi.db");
        crate::engine::open_and_migrate(&db).unwrap();
        BackupSettings {
            database_path: db,
            backup_dir: dir.join("backups"),
            retention_days: 30,
            post_hook: None,
        }
    }

    #[actix::test]
    async fn one_backup_at_a_time_and_the_newest_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let metrics = EngineMetrics::new();
        let handle = BackupHandle::start(settings(dir.path()), metrics.clone());
        assert_eq!(handle.newest(), None);
        let id = handle.spawn("api").unwrap();
        // The slot is taken before `spawn` returns, so a second request is refused at once.
        assert!(matches!(handle.spawn("api"), Err(BackupError::InProgress)));
        assert!(matches!(
            handle.run("schedule").await,
            Err(BackupError::InProgress)
        ));
        assert_eq!(handle.depth(), 1);
        assert_eq!(handle.running().map(|r| r.backup_id), Some(id));
        while handle.depth() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let first = handle.newest().expect("a verified backup");
        assert!(first.size_bytes > 0);
        let m = handle.run("schedule").await.unwrap();
        assert_eq!(
            (m.status.as_str(), m.integrity.as_str()),
            ("verified", "ok")
        );
        assert_eq!(m.restore_test, "ok");
        assert_eq!(
            metrics.backup_runs.with_label_values(&["verified"]).get(),
            2
        );
        assert!(handle.newest().unwrap().created_at >= first.created_at);
    }
}
