//! The scheduler (operations.md §8): one actor fires every timed job. A job is a name, a
//! [`Schedule`] (cron or interval) and an async closure; anyone can add one with
//! `Engine::schedule_job` (e-mail reports, KPI gauges …). The due-time logic is the pure
//! [`table::JobTable`], tested with an injected "now".
//!
//! Jobs the engine itself registers (`jobs`): the daily backup at BACKUP_SCHEDULE (only with
//! ENABLE_AUTO_BACKUP), `PRAGMA optimize` nightly through the writer, and a
//! `wal_checkpoint(TRUNCATE)` every 15 minutes when the WAL has grown.
pub mod actor;
pub mod jobs;
pub mod schedule;
pub mod table;

pub use actor::SchedulerHandle;
pub use schedule::Schedule;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a job's closure returns: runs on the scheduler's arbiter (needs not be `Send`).
pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), String>>>>;

pub struct Job {
    pub name: String,
    pub schedule: Schedule,
    pub run: Arc<dyn Fn() -> JobFuture + Send + Sync>,
}

impl Job {
    pub fn new<F, Fut>(name: &str, schedule: Schedule, f: F) -> Job
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + 'static,
    {
        Job {
            name: name.to_owned(),
            schedule,
            run: Arc::new(move || Box::pin(f()) as JobFuture),
        }
    }
}
