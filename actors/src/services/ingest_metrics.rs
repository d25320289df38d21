//! kpi_ops_ingest_rows_total{resource, channel, outcome} (operations.md §5): counted once the
//! writer job answered, from the rows the call itself decided — a replayed Idempotency-Key or a
//! preview writes nothing and counts nothing.
use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// An import (`batch`, `csv`) or a confirm: its reply carries (inserted, rejected).
    pub(crate) fn count_ingest(
        &self,
        resource: &str,
        channel: &str,
        reply: Option<&super::ingest::Reply>,
    ) {
        if let Some((inserted, rejected)) = reply.and_then(|r| r.rows) {
            self.add_rows(resource, channel, inserted, rejected);
        }
    }

    /// A single create (`api`): one row inserted, or one row rejected by validation or a
    /// conflict. Refusals that are not about the row (401/403/404, 503) are not ingest outcomes.
    pub(crate) fn count_create(
        &self,
        resource: &str,
        outcome: &Result<Option<(usize, usize)>, &EngineError>,
    ) {
        match outcome {
            Ok(Some((inserted, rejected))) => self.add_rows(resource, "api", *inserted, *rejected),
            Ok(None) => {}
            Err(
                EngineError::Invalid { .. }
                | EngineError::Conflict { .. }
                | EngineError::ConflictOn { .. },
            ) => self.add_rows(resource, "api", 0, 1),
            Err(_) => {}
        }
    }

    fn add_rows(&self, resource: &str, channel: &str, inserted: usize, rejected: usize) {
        let c = &self.metrics().ingest_rows;
        if inserted > 0 {
            c.with_label_values(&[resource, channel, "inserted"])
                .inc_by(inserted as u64);
        }
        if rejected > 0 {
            c.with_label_values(&[resource, channel, "rejected"])
                .inc_by(rejected as u64);
        }
    }
}
