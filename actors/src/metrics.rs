//! The metric catalogue (operations.md §5): one registry per engine, so parallel tests stay
//! apart. Dashboards use only the series declared here.
use prometheus::{
    GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

#[derive(Clone)]
pub struct EngineMetrics {
    pub registry: Registry,
    /// kpi_ops_http_requests_total{method, route, status}
    pub http_requests: IntCounterVec,
    /// kpi_ops_http_request_duration_seconds{method, route}
    pub http_duration: HistogramVec,
    /// kpi_ops_actor_mailbox_depth{actor}: queued + running messages
    pub mailbox_depth: IntGaugeVec,
    /// kpi_ops_actor_rejections_total{actor}: requests refused with 503
    pub rejections: IntCounterVec,
    /// kpi_ops_kpi_eval_duration_seconds{kpi}
    pub kpi_eval: HistogramVec,
    /// kpi_ops_kpi_cache_requests_total{result}: `hit` or `miss` of the per-client KPI cache
    pub kpi_cache: IntCounterVec,
    /// kpi_ops_kpi_script_errors_total{kpi, kind}
    pub script_errors: IntCounterVec,
    /// kpi_ops_login_failures_total{reason}
    pub login_failures: IntCounterVec,
    /// kpi_ops_db_size_bytes{file}
    pub db_size: IntGaugeVec,
    /// kpi_ops_build_info{version} = 1
    pub build_info: IntGaugeVec,
    /// kpi_ops_ingest_rows_total{resource, channel, outcome}
    pub ingest_rows: IntCounterVec,
    /// kpi_ops_kpi_value{client_id, kpi}: last-30-day value, refreshed every 5 minutes
    pub kpi_value: GaugeVec,
    /// kpi_ops_kpi_confidence{client_id, kpi}
    pub kpi_confidence: GaugeVec,
    /// kpi_ops_mail_outbox_messages{status}: PENDING, SENDING, FAILED
    pub outbox_messages: IntGaugeVec,
    /// kpi_ops_mail_outbox_oldest_pending_seconds
    pub outbox_oldest_pending: IntGauge,
    /// kpi_ops_mail_sent_total{kind}
    pub mail_sent: IntCounterVec,
    /// kpi_ops_mail_send_failures_total{kind}
    pub mail_failures: IntCounterVec,
    /// kpi_ops_backup_age_seconds: age of the newest verified backup (-1 when there is none)
    pub backup_age: IntGauge,
    /// kpi_ops_backup_runs_total{outcome}: `verified` or `failed`
    pub backup_runs: IntCounterVec,
    /// kpi_ops_backup_size_bytes: newest backup
    pub backup_size: IntGauge,
    /// kpi_ops_client_last_entry_timestamp_seconds{client_id, resource}: data freshness per line
    pub client_last_entry: IntGaugeVec,
    /// kpi_ops_missing_shift_entries{client_id}: open watchdog findings
    pub missing_shift_entries: IntGaugeVec,
}

impl EngineMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let m = EngineMetrics {
            http_requests: IntCounterVec::new(
                Opts::new("kpi_ops_http_requests_total", "HTTP requests"),
                &["method", "route", "status"],
            )
            .unwrap(),
            http_duration: HistogramVec::new(
                HistogramOpts::new(
                    "kpi_ops_http_request_duration_seconds",
                    "HTTP request latency",
                )
                .buckets(vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ]),
                &["method", "route"],
            )
            .unwrap(),
            mailbox_depth: IntGaugeVec::new(
                Opts::new(
                    "kpi_ops_actor_mailbox_depth",
                    "Queued and running messages per actor",
                ),
                &["actor"],
            )
            .unwrap(),
            rejections: IntCounterVec::new(
                Opts::new(
                    "kpi_ops_actor_rejections_total",
                    "Requests refused because an actor was full",
                ),
                &["actor"],
            )
            .unwrap(),
            kpi_eval: HistogramVec::new(
                HistogramOpts::new(
                    "kpi_ops_kpi_eval_duration_seconds",
                    "One KPI evaluation (inputs + script)",
                )
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
                ]),
                &["kpi"],
            )
            .unwrap(),
            kpi_cache: IntCounterVec::new(
                Opts::new("kpi_ops_kpi_cache_requests_total", "KPI cache lookups"),
                &["result"],
            )
            .unwrap(),
            script_errors: IntCounterVec::new(
                Opts::new("kpi_ops_kpi_script_errors_total", "Script failures"),
                &["kpi", "kind"],
            )
            .unwrap(),
            login_failures: IntCounterVec::new(
                Opts::new("kpi_ops_login_failures_total", "Failed logins"),
                &["reason"],
            )
            .unwrap(),
            db_size: IntGaugeVec::new(
                Opts::new("kpi_ops_db_size_bytes", "Database file size"),
                &["file"],
            )
            .unwrap(),
            build_info: IntGaugeVec::new(
                Opts::new("kpi_ops_build_info", "Build version"),
                &["version"],
            )
            .unwrap(),
            ingest_rows: IntCounterVec::new(
                Opts::new("kpi_ops_ingest_rows_total", "Rows ingested"),
                &["resource", "channel", "outcome"],
            )
            .unwrap(),
            kpi_value: GaugeVec::new(
                Opts::new("kpi_ops_kpi_value", "Last-30-day KPI value per client"),
                &["client_id", "kpi"],
            )
            .unwrap(),
            kpi_confidence: GaugeVec::new(
                Opts::new(
                    "kpi_ops_kpi_confidence",
                    "Last-30-day KPI confidence per client",
                ),
                &["client_id", "kpi"],
            )
            .unwrap(),
            outbox_messages: IntGaugeVec::new(
                Opts::new("kpi_ops_mail_outbox_messages", "Outbox size by status"),
                &["status"],
            )
            .unwrap(),
            outbox_oldest_pending: IntGauge::new(
                "kpi_ops_mail_outbox_oldest_pending_seconds",
                "Age of the oldest pending message",
            )
            .unwrap(),
            mail_sent: IntCounterVec::new(
                Opts::new("kpi_ops_mail_sent_total", "Mails delivered"),
                &["kind"],
            )
            .unwrap(),
            mail_failures: IntCounterVec::new(
                Opts::new("kpi_ops_mail_send_failures_total", "Failed send attempts"),
                &["kind"],
            )
            .unwrap(),
            backup_age: IntGauge::new(
                "kpi_ops_backup_age_seconds",
                "Age of the newest verified backup",
            )
            .unwrap(),
            backup_runs: IntCounterVec::new(
                Opts::new("kpi_ops_backup_runs_total", "Backup runs"),
                &["outcome"],
            )
            .unwrap(),
            backup_size: IntGauge::new("kpi_ops_backup_size_bytes", "Newest backup size").unwrap(),
            client_last_entry: IntGaugeVec::new(
                Opts::new(
                    "kpi_ops_client_last_entry_timestamp_seconds",
                    "Newest entry per client and resource",
                ),
                &["client_id", "resource"],
            )
            .unwrap(),
            missing_shift_entries: IntGaugeVec::new(
                Opts::new(
                    "kpi_ops_missing_shift_entries",
                    "Open missing-shift findings per client",
                ),
                &["client_id"],
            )
            .unwrap(),
            registry,
        };
        let r = &m.registry;
        r.register(Box::new(m.http_requests.clone())).unwrap();
        r.register(Box::new(m.http_duration.clone())).unwrap();
        r.register(Box::new(m.mailbox_depth.clone())).unwrap();
        r.register(Box::new(m.rejections.clone())).unwrap();
        r.register(Box::new(m.kpi_eval.clone())).unwrap();
        r.register(Box::new(m.script_errors.clone())).unwrap();
        r.register(Box::new(m.kpi_cache.clone())).unwrap();
        r.register(Box::new(m.login_failures.clone())).unwrap();
        r.register(Box::new(m.db_size.clone())).unwrap();
        r.register(Box::new(m.build_info.clone())).unwrap();
        r.register(Box::new(m.ingest_rows.clone())).unwrap();
        r.register(Box::new(m.kpi_value.clone())).unwrap();
        r.register(Box::new(m.kpi_confidence.clone())).unwrap();
        r.register(Box::new(m.outbox_messages.clone())).unwrap();
        r.register(Box::new(m.outbox_oldest_pending.clone()))
            .unwrap();
        r.register(Box::new(m.mail_sent.clone())).unwrap();
        r.register(Box::new(m.mail_failures.clone())).unwrap();
        r.register(Box::new(m.backup_age.clone())).unwrap();
        r.register(Box::new(m.backup_runs.clone())).unwrap();
        r.register(Box::new(m.backup_size.clone())).unwrap();
        r.register(Box::new(m.client_last_entry.clone())).unwrap();
        r.register(Box::new(m.missing_shift_entries.clone()))
            .unwrap();
        m.build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        for actor in [
            "writer",
            "tenant",
            "ingest",
            "kpi",
            "mailer",
            "backup",
            "scheduler",
        ] {
            m.mailbox_depth.with_label_values(&[actor]).set(0);
        }
        // Series exist from the first scrape, so dashboards and alerts never see "no data".
        for status in ["PENDING", "SENDING", "FAILED"] {
            m.outbox_messages.with_label_values(&[status]).set(0);
        }
        m.backup_age.set(-1);
        m
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus::TextEncoder::new()
            .encode_utf8(&self.registry.gather(), &mut out)
            .expect("text encoding");
        out
    }
}

impl Default for EngineMetrics {
    fn default() -> Self {
        Self::new()
    }
}
