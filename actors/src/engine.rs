//! `Engine`: the typed handles the edge receives. Owns the writer, the read pool, the KPI
//! actor, the tenant actors' registry and the metric registry; services are `impl Engine`
//! blocks in `services/`.
use crate::backup::restore::ServiceLock;
use crate::backup::{BackupHandle, BackupSettings};
use crate::error::EngineError;
use crate::ingest::actor::IngestHandle;
use crate::kpi::actor::KpiHandle;
use crate::mailer::{MailConfig, MailerHandle};
use crate::metrics::EngineMetrics;
use crate::scheduler::{Job, SchedulerHandle};
use crate::store::users::User;
use crate::store::{Reads, StoreError, Writer, migrations, pragmas};
use crate::tenant::TenantHandles;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub database_path: PathBuf,
    pub kpi_scripts_dir: PathBuf,
    pub max_employees_per_client: u32,
    pub default_client_limit: u32,
    pub read_pool_size: u32,
    pub writer_capacity: usize,
    pub jwt_expiration_hours: u32,
    pub backup_dir: PathBuf,
    pub backup_retention_days: u32,
    /// BACKUP_POST_HOOK: shell command after each verified backup.
    pub backup_post_hook: Option<String>,
    /// BACKUP_SCHEDULE when ENABLE_AUTO_BACKUP is on; None = backups on demand only.
    pub backup_schedule: Option<String>,
    /// Register the housekeeping jobs (serve, demo); one-shot CLI commands leave them off.
    pub run_scheduled_jobs: bool,
    /// SMTP, ENABLE_EMAIL_REPORTS, retry and poll timing of the mailer.
    pub mail: MailConfig,
}

impl EngineConfig {
    pub fn new(database_path: PathBuf) -> Self {
        EngineConfig {
            database_path: database_path.clone(),
            kpi_scripts_dir: PathBuf::from("kpi-scripts"),
            max_employees_per_client: 200,
            default_client_limit: 50,
            read_pool_size: 4, // two cores: more readers only queue
            writer_capacity: 4096,
            jwt_expiration_hours: 24,
            backup_dir: database_path
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join("backups"),
            backup_retention_days: 30,
            backup_post_hook: None,
            backup_schedule: None,
            run_scheduled_jobs: false,
            mail: MailConfig::default(),
        }
    }
}

#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub writer: Writer,
    pub reads: Reads,
    pub kpi: KpiHandle,
    /// One actor per client: its cached KPI responses and settings (`tenant`).
    pub tenants: TenantHandles,
    /// Parses uploads off the async threads; its slots bound the imports in flight.
    pub ingest: IngestHandle,
    /// Sends the outbox; kicked after each queued message.
    pub mailer: MailerHandle,
    pub metrics: EngineMetrics,
    pub config: EngineConfig,
    pub started: Instant,
    /// Users re-read at most every 10 s (operations.md §12); dropped on any user change.
    pub user_cache: Mutex<HashMap<String, (Instant, User)>>,
    /// Names of formula files that failed to import at start (health: scripts degraded).
    pub script_import_failures: Vec<String>,
    /// Online backups (one at a time) and the newest verified one.
    pub backup: BackupHandle,
    /// Fires the timed jobs.
    pub scheduler: SchedulerHandle,
    /// Tells `kpi-ops restore` that the database is in use.
    pub _service_lock: Option<ServiceLock>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.scheduler.stop();
    }
}

/// An `Engine` that does not keep it alive (scheduled jobs hold this).
#[derive(Clone)]
pub struct WeakEngine(Weak<Inner>);

impl WeakEngine {
    pub fn upgrade(&self) -> Option<Engine> {
        self.0.upgrade().map(|inner| Engine { inner })
    }
}

/// Opens and migrates the database file (creating it). Used by `serve`, `migrate`, `demo`.
pub fn open_and_migrate(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut conn = pragmas::open_writer(path)?;
    migrations::migrate(&mut conn)?;
    Ok(conn)
}

impl Engine {
    /// Migrates, opens the pool, starts the writer and the KPI actor, imports formula files.
    /// Must run inside an actix `System`.
    pub async fn start(config: EngineConfig) -> Result<Engine, EngineError> {
        let path = config.database_path.clone();
        let conn = tokio::task::spawn_blocking(move || open_and_migrate(&path))
            .await
            .map_err(|e| StoreError::Join(e.to_string()))??;
        let writer = Writer::start(conn, config.writer_capacity);
        let reads = Reads::open(&config.database_path, config.read_pool_size)?;
        let metrics = EngineMetrics::new();
        let script_import_failures =
            crate::kpi::scripts::import_files(&writer, &reads, &config.kpi_scripts_dir).await?;
        let kpi = KpiHandle::start(metrics.clone());
        let tenants = TenantHandles::start();
        let ingest = IngestHandle::start();
        let backup = BackupHandle::start(
            BackupSettings {
                database_path: config.database_path.clone(),
                backup_dir: config.backup_dir.clone(),
                retention_days: config.backup_retention_days,
                post_hook: config.backup_post_hook.clone(),
            },
            metrics.clone(),
        );
        let scheduler = SchedulerHandle::start();
        let service_lock = ServiceLock::hold(&config.database_path);
        // Crash recovery before the mailer claims anything: a SENDING row's mailer is gone.
        let returned = writer
            .write(|tx: &crate::store::WriteTx| crate::store::outbox::reset_sending(tx))
            .await?;
        if returned > 0 {
            tracing::info!(
                messages = returned,
                "outbox: interrupted sends queued again"
            );
        }
        let mailer = MailerHandle::start(writer.clone(), metrics.clone(), config.mail.clone());
        let engine = Engine {
            inner: Arc::new(Inner {
                writer,
                reads,
                kpi,
                tenants,
                ingest,
                mailer,
                metrics,
                config,
                started: Instant::now(),
                user_cache: Mutex::new(HashMap::new()),
                script_import_failures,
                backup,
                scheduler,
                _service_lock: service_lock,
            }),
        };
        if engine.inner.config.run_scheduled_jobs {
            crate::scheduler::jobs::register_standard(&engine)
                .await
                .map_err(|e| StoreError::Other(format!("scheduler: {e}")))?;
        }
        crate::mailer::daily::spawn_tick(
            Arc::downgrade(&engine.inner),
            engine.inner.config.mail.poll_interval,
        );
        Ok(engine)
    }

    pub fn downgrade(&self) -> WeakEngine {
        WeakEngine(Arc::downgrade(&self.inner))
    }

    /// Adds a timed job (or replaces the one of that name); see `scheduler::table::JobTable::add`
    /// for `last_run`. Jobs that need the engine should capture `self.downgrade()`.
    pub async fn schedule_job(&self, job: Job, last_run: Option<chrono::DateTime<chrono::Utc>>) {
        self.inner.scheduler.register(job, last_run).await;
    }

    pub fn backup_handle(&self) -> &BackupHandle {
        &self.inner.backup
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    pub fn metrics(&self) -> &EngineMetrics {
        &self.inner.metrics
    }

    pub fn uptime_secs(&self) -> u64 {
        self.inner.started.elapsed().as_secs()
    }

    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, EngineError> + Send + 'static,
    {
        self.inner.reads.read(f).await
    }

    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, EngineError> + Send + 'static,
    {
        // The audit rows of this job name the request that caused it.
        let request_id = crate::request::current();
        self.inner
            .writer
            .write(move |tx| crate::request::in_job(request_id, || f(tx)))
            .await
            .map_err(crate::error::map_busy)
    }

    /// Refreshes the mailbox-depth gauges (called on scrape).
    pub fn refresh_gauges(&self) {
        let m = &self.inner.metrics;
        m.mailbox_depth
            .with_label_values(&["writer"])
            .set(self.inner.writer.depth());
        m.mailbox_depth
            .with_label_values(&["kpi"])
            .set(self.inner.kpi.depth());
        m.mailbox_depth
            .with_label_values(&["tenant"])
            .set(self.inner.tenants.depth());
        m.mailbox_depth
            .with_label_values(&["ingest"])
            .set(self.inner.ingest.depth());
        m.mailbox_depth
            .with_label_values(&["backup"])
            .set(self.inner.backup.depth());
        m.mailbox_depth
            .with_label_values(&["scheduler"])
            .set(self.inner.scheduler.depth());
        // Age from the newest verified backup's own timestamp, so it grows between scrapes.
        match self.inner.backup.newest() {
            Some(n) => {
                m.backup_age
                    .set((chrono::Utc::now() - n.created_at).num_seconds().max(0));
                m.backup_size.set(n.size_bytes as i64);
            }
            None => m.backup_age.set(-1),
        }
        self.refresh_outbox_gauges();
        let db = &self.inner.config.database_path;
        let size = |p: PathBuf| std::fs::metadata(p).map(|m| m.len() as i64).unwrap_or(0);
        m.db_size.with_label_values(&["main"]).set(size(db.clone()));
        m.db_size
            .with_label_values(&["wal"])
            .set(size(PathBuf::from(format!("{}-wal", db.display()))));
    }
}
