//! The jobs the engine registers itself. Each closure holds a `WeakEngine`, so the scheduler
//! never keeps a stopped engine (and its writer) alive.
use super::{Job, Schedule};
use crate::backup::BackupError;
use crate::engine::{Engine, EngineConfig};
use crate::store::housekeeping;
use chrono::{DateTime, Utc};
use std::time::Duration;

pub const BACKUP: &str = "backup";
pub const OPTIMIZE: &str = "optimize";
pub const WAL_CHECKPOINT: &str = "wal_checkpoint";
pub const WATCHDOG: &str = "watchdog";
pub const MAIL_ATTACHMENTS: &str = "mail_attachments";

/// Attachments of sent messages are kept this long (operations.md §6).
const MAIL_ATTACHMENT_DAYS: i64 = 90;

/// Which housekeeping jobs run when (pure, so the ENABLE_AUTO_BACKUP rule is unit-tested).
pub fn standard(config: &EngineConfig) -> Result<Vec<(&'static str, Schedule)>, String> {
    let mut out = Vec::new();
    if let Some(expr) = &config.backup_schedule {
        out.push((BACKUP, Schedule::cron(expr)?));
    }
    // Nightly, after the 02:00 backup; statistics drift slowly.
    out.push((OPTIMIZE, Schedule::cron("30 3 * * *")?));
    out.push((
        WAL_CHECKPOINT,
        Schedule::every(Duration::from_secs(15 * 60)),
    ));
    // operations.md §8: missing shift data, every 15 minutes.
    out.push((WATCHDOG, Schedule::every(Duration::from_secs(15 * 60))));
    // Nightly: drop the files of messages sent more than 90 days ago.
    out.push((MAIL_ATTACHMENTS, Schedule::cron("45 3 * * *")?));
    Ok(out)
}

fn parse_ts(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub async fn register_standard(engine: &Engine) -> Result<(), String> {
    for (name, schedule) in standard(engine.config())? {
        let weak = engine.downgrade();
        let last_run = match name {
            // The newest verified backup, wherever it came from (CLI, API, a previous run).
            BACKUP => engine.backup_handle().newest().map(|n| n.created_at),
            _ => {
                let stored = engine
                    .read(move |c| housekeeping::last_run(c, name).map_err(Into::into))
                    .await
                    .ok()
                    .flatten();
                Some(
                    stored
                        .as_deref()
                        .and_then(parse_ts)
                        .unwrap_or_else(Utc::now),
                )
            }
        };
        let job = Job::new(name, schedule, move || {
            let weak = weak.clone();
            async move {
                let Some(engine) = weak.upgrade() else {
                    return Ok(());
                };
                let result = run(&engine, name).await;
                record_run(&engine, name, result.as_ref().err()).await;
                result
            }
        });
        engine.schedule_job(job, last_run).await;
    }
    Ok(())
}

/// SCHEDULER_RUN row through the writer; a failure to record is logged, not fatal.
async fn record_run(engine: &Engine, name: &'static str, error: Option<&String>) {
    let at = crate::domain::time::now_ts();
    let error = error.cloned();
    let recorded = engine
        .write(move |tx| {
            housekeeping::record_run(tx, name, &at, error.as_deref()).map_err(Into::into)
        })
        .await;
    if let Err(e) = recorded {
        tracing::warn!(job = name, error = %e, "cannot record the scheduler run");
    }
}

async fn run(engine: &Engine, name: &str) -> Result<(), String> {
    match name {
        BACKUP => match engine.backup_handle().run("schedule").await {
            Ok(_) | Err(BackupError::InProgress) => Ok(()),
            Err(e) => Err(e.to_string()),
        },
        OPTIMIZE => engine
            .write(|tx| housekeeping::optimize(tx).map_err(Into::into))
            .await
            .map_err(|e| e.to_string()),
        WAL_CHECKPOINT => {
            let db = engine.config().database_path.clone();
            let done = tokio::task::spawn_blocking(move || housekeeping::checkpoint_if_large(&db))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            if let Some((busy, frames, moved)) = done {
                tracing::info!(busy, frames, moved, "WAL checkpoint (TRUNCATE)");
            }
            Ok(())
        }
        WATCHDOG => engine
            .run_watchdog(chrono::Utc::now())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        MAIL_ATTACHMENTS => {
            let before = (Utc::now() - chrono::Duration::days(MAIL_ATTACHMENT_DAYS))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let dropped = engine
                .write(move |tx| {
                    crate::store::outbox::drop_sent_attachments(tx, &before).map_err(Into::into)
                })
                .await
                .map_err(|e| e.to_string())?;
            if dropped > 0 {
                tracing::info!(dropped, "attachments of mail sent over 90 days ago dropped");
            }
            Ok(())
        }
        other => Err(format!("no such job {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(schedule: Option<&str>) -> EngineConfig {
        EngineConfig {
            backup_schedule: schedule.map(str::to_owned),
            ..EngineConfig::new("kpi.db".into())
        }
    }

    #[test]
    fn the_daily_backup_is_scheduled_only_when_auto_backup_is_on() {
        let on = standard(&config(Some("0 2 * * *"))).unwrap();
        let names: Vec<&str> = on.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [BACKUP, OPTIMIZE, WAL_CHECKPOINT, WATCHDOG, MAIL_ATTACHMENTS]
        );
        // ENABLE_AUTO_BACKUP=false → no schedule handed to the engine → only on demand.
        let off = standard(&config(None)).unwrap();
        assert!(off.iter().all(|(n, _)| *n != BACKUP));
    }

    #[test]
    fn a_bad_schedule_is_refused() {
        assert!(standard(&config(Some("0 25 * * *"))).is_err());
    }
}
