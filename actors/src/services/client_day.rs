//! "Today" of a client: the date in its `timezone` (domain.md §1, §5.1), which sets KPI
//! default windows, the WIP as-of date and the KPI cache key.
use crate::domain::time::today_utc;
use crate::domain::tz;
use crate::engine::Engine;
use crate::error::EngineError;
use chrono::NaiveDate;
use rusqlite::OptionalExtension;

impl Engine {
    /// Today in the client's time zone. An unknown client gets UTC's today: the read that
    /// follows answers its 404 (or 403), and a date tells nothing about a tenant.
    pub async fn client_today(&self, client_id: &str) -> Result<NaiveDate, EngineError> {
        let zone = self.client_zone(client_id).await?;
        Ok(zone.map_or_else(today_utc, |z| tz::today_in(&z)))
    }

    /// The client's IANA time zone (None for an unknown client).
    pub async fn client_zone(&self, client_id: &str) -> Result<Option<String>, EngineError> {
        let id = client_id.to_owned();
        self.read(move |c| {
            Ok(
                c.prepare_cached("SELECT timezone FROM clients WHERE client_id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()
                    .map_err(crate::store::StoreError::from)?,
            )
        })
        .await
    }
}
