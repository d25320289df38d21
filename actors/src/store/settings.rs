//! CLIENT_SETTINGS: versioned JSON documents (domain.md §6). The current version is the
//! highest one whose effective_from has passed; later ones are "scheduled".
use super::StoreError;
use crate::domain::time::now_ts;
use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, Serialize)]
pub struct SettingsVersion {
    pub version: i64,
    pub effective_from: String,
    pub settings: Value,
    pub comment: Option<String>,
}

/// The default document. `shift_standards` is a read-through view of the SHIFT rows and is
/// filled from them on read, never stored here.
pub fn defaults() -> Value {
    json!({
        "targets": {"wip_aging": 7, "otd": 95, "true_otd": 95, "efficiency": 90, "performance": 90,
                    "availability": 90, "quality_rate": 95, "oee": 75, "ppm": 1000, "dpmo": null, "fpy": 95,
                    "rty": 90, "rty_stages": 90, "absenteeism": 5, "production_hours": null},
        "otd_mode": "BOTH",
        "excluded_absence_types": [],
        "default_cycle_time_hours": 0.25,
        "default_opportunities_per_unit": null,
        "display_caps": {},
        // Default time 08:00: the clarification overrides domain.md §6's 06:00.
        "report": {"enabled": false, "recipients": [], "time": "08:00", "formats": ["pdf"]},
        "inference": {"history_days": 30, "min_history_points": 3, "lead_time_days": 5, "chains": {}},
        "watchdog": {"enabled": true, "grace_minutes": 120, "resources": ["production", "attendance"], "recipients": []},
        "costs": {"currency": "USD", "labour_cost_per_hour": null, "scrap_cost_per_unit": null}
    })
}

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<SettingsVersion> {
    let raw: String = r.get(2)?;
    Ok(SettingsVersion {
        version: r.get(0)?,
        effective_from: r.get(1)?,
        settings: serde_json::from_str(&raw).unwrap_or_else(|_| defaults()),
        comment: r.get(3)?,
    })
}

/// Of `items` (each carrying a settings version), the one in force at `at` (RFC 3339): the
/// highest version whose effective_from has passed, else the first version (domain.md §8); the
/// in-memory twin of `in_force`.
pub fn pick_in_force<'a, T>(
    items: &'a [T],
    version: impl Fn(&T) -> &SettingsVersion,
    at: &str,
) -> Option<&'a T> {
    items
        .iter()
        .filter(|i| version(i).effective_from.as_str() <= at)
        .max_by_key(|i| version(i).version)
        .or_else(|| items.iter().min_by_key(|i| version(i).version))
}

/// The version in force at `at` (RFC 3339), else the first version.
pub fn in_force(
    conn: &Connection,
    client_id: &str,
    at: &str,
) -> Result<SettingsVersion, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, effective_from, settings, comment FROM client_settings WHERE client_id = ?1 \
         ORDER BY (effective_from <= ?2) DESC, CASE WHEN effective_from <= ?2 THEN version END DESC, version ASC LIMIT 1",
    )?;
    let v = stmt.query_row(params![client_id, at], from_row);
    match v {
        Ok(v) => Ok(v),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(SettingsVersion {
            version: 0,
            effective_from: now_ts(),
            settings: defaults(),
            comment: None,
        }),
        Err(e) => Err(e.into()),
    }
}

pub fn scheduled(
    conn: &Connection,
    client_id: &str,
    now: &str,
) -> Result<Vec<SettingsVersion>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, effective_from, settings, comment FROM client_settings WHERE client_id = ?1 AND effective_from > ?2 ORDER BY effective_from, version",
    )?;
    Ok(stmt
        .query_map(params![client_id, now], from_row)?
        .collect::<Result<_, _>>()?)
}

/// Every version of a client's settings, oldest first (effective dating in calculations).
pub fn all(conn: &Connection, client_id: &str) -> Result<Vec<SettingsVersion>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, effective_from, settings, comment FROM client_settings WHERE client_id = ?1 ORDER BY version",
    )?;
    Ok(stmt
        .query_map([client_id], from_row)?
        .collect::<Result<_, _>>()?)
}

/// The latest version regardless of date: the base a PUT merges into.
pub fn latest(conn: &Connection, client_id: &str) -> Result<SettingsVersion, StoreError> {
    in_force(conn, client_id, "9999-12-31T23:59:59Z")
}

pub fn insert(
    tx: &Connection,
    client_id: &str,
    settings: &Value,
    effective_from: &str,
    comment: Option<&str>,
    by: &str,
) -> Result<i64, StoreError> {
    let version: i64 = tx.query_row(
        "SELECT coalesce(max(version), 0) + 1 FROM client_settings WHERE client_id = ?",
        [client_id],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO client_settings (client_id, version, effective_from, settings, comment, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![client_id, version, effective_from, settings.to_string(), comment, by, now_ts()],
    )?;
    Ok(version)
}
