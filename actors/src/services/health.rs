//! Health probes (operations.md §3): real checks, cached by the edge for 2 s.
use crate::engine::Engine;
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Clone, Serialize)]
pub struct Probes {
    /// "connected" when a pooled SELECT 1 and a writer ping both answer within 1 s.
    pub database: &'static str,
    /// "connected" while the KPI actor answers (per-tenant caches arrive with the KPI issue).
    pub cache: &'static str,
    /// "ok" or "degraded" when a formula file failed to import.
    pub scripts: &'static str,
}

impl Engine {
    pub async fn probe(&self) -> Probes {
        let read = tokio::time::timeout(
            Duration::from_secs(1),
            self.inner.reads.read(|c| {
                c.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(crate::store::StoreError::from)
            }),
        );
        let write = tokio::time::timeout(Duration::from_secs(1), self.inner.writer.ping());
        let (read, write) = tokio::join!(read, write);
        let database = if matches!(read, Ok(Ok(()))) && matches!(write, Ok(Ok(()))) {
            "connected"
        } else {
            "error"
        };
        let cache = if self.inner.kpi.depth() < 256 {
            "connected"
        } else {
            "error"
        };
        let scripts = if self.inner.script_import_failures.is_empty() {
            "ok"
        } else {
            "degraded"
        };
        Probes {
            database,
            cache,
            scripts,
        }
    }

    /// The read pool alone: /health answers 503 only when this fails.
    pub async fn read_pool_ok(&self) -> bool {
        self.inner
            .reads
            .read(|c| {
                c.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(crate::store::StoreError::from)
            })
            .await
            .is_ok()
    }
}
