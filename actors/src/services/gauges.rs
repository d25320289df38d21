//! Gauges computed from the data (operations.md §5): KPI value and confidence per client over
//! the last 30 days, and the newest entry per client and resource (data freshness).
use crate::domain::Caller;
use crate::engine::Engine;
use crate::error::EngineError;
use chrono::DateTime;

/// Entry resources whose freshness is watched: (label, table).
const ENTRY_TABLES: [(&str, &str); 6] = [
    ("production", "production_entries"),
    ("downtime", "downtime_entries"),
    ("holds", "hold_entries"),
    ("attendance", "attendance_entries"),
    ("coverage", "coverage_entries"),
    ("quality", "quality_entries"),
];

impl Engine {
    /// kpi_ops_kpi_value / kpi_ops_kpi_confidence{client_id, kpi}: every active client's KPIs
    /// over the 30 days ending today (its time zone), through the per-client KPI cache (an unchanged client
    /// costs a cache hit). The work runs on the read pool and the KPI actor, never on the
    /// caller's async thread. A KPI without a value has no value sample (its confidence
    /// stays). Returns the number of clients refreshed. Meant to run every 5 minutes (the
    /// scheduler will own the interval).
    pub async fn refresh_kpi_gauges(&self) -> Result<usize, EngineError> {
        let overview = self.kpi_overview(&Caller::system(), None, None).await?;
        let m = self.metrics();
        // Computed first, swapped in at once: a deactivated client's series disappear.
        m.kpi_value.reset();
        m.kpi_confidence.reset();
        for c in &overview.clients {
            for (kpi, r) in &c.kpis {
                let labels = [c.client_id.as_str(), kpi.as_str()];
                if let Some(v) = r.value {
                    m.kpi_value.with_label_values(&labels).set(v);
                }
                m.kpi_confidence
                    .with_label_values(&labels)
                    .set(r.confidence);
            }
        }
        Ok(overview.clients.len())
    }

    /// kpi_ops_client_last_entry_timestamp_seconds{client_id, resource}, refreshed on scrape.
    /// Row ids grow with every insert, so the newest row of a client is its largest rowid: the
    /// (client_id, shift_date) index answers `max(rowid)` per client without reading the table,
    /// then one row per client is read for its created_at.
    pub async fn refresh_freshness_gauges(&self) -> Result<(), EngineError> {
        let rows = self
            .read(|c| {
                let mut out = Vec::new();
                for (resource, table) in ENTRY_TABLES {
                    let sql = format!(
                        "SELECT client_id, created_at FROM {table} WHERE rowid IN \
                         (SELECT max(rowid) FROM {table} GROUP BY client_id)"
                    );
                    let mut stmt = c.prepare_cached(&sql)?;
                    let found = stmt
                        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                    for row in found {
                        let (client, at) = row?;
                        if let Ok(t) = DateTime::parse_from_rfc3339(&at) {
                            out.push((client, resource, t.timestamp()));
                        }
                    }
                }
                Ok(out)
            })
            .await?;
        let gauge = &self.metrics().client_last_entry;
        for (client, resource, ts) in rows {
            gauge
                .with_label_values(&[client.as_str(), resource])
                .set(ts);
        }
        Ok(())
    }
}
