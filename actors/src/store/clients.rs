//! CLIENTS. Reads are scoped; the tenant key is the row's own `client_id`.
use super::StoreError;
use super::rows::{column_names, row_to_json};
use crate::domain::TenantScope;
use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Value};

pub type ClientRow = Map<String, Value>;

/// Fields a caller may send, with their max length (domain.md §5.1).
pub const TEXT_FIELDS: [(&str, usize); 9] = [
    ("client_name", 100),
    ("client_contact", 100),
    ("client_email", 100),
    ("client_phone", 20),
    ("location", 100),
    ("supervisor_id", 20),
    ("planner_id", 20),
    ("engineering_id", 20),
    ("timezone", 64),
];
pub const CLIENT_TYPES: [&str; 5] = ["Hourly Rate", "Piece Rate", "Hybrid", "Service", "Other"];

pub fn list(
    conn: &Connection,
    scope: &TenantScope,
    include_inactive: bool,
) -> Result<Vec<ClientRow>, StoreError> {
    let (filter, args) = scope.sql_filter("client_id");
    let active = if include_inactive {
        ""
    } else {
        " AND is_active = 1"
    };
    let sql =
        format!("SELECT * FROM clients WHERE {filter}{active} ORDER BY client_name, client_id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let cols = column_names(&stmt);
    let rows = stmt.query_map(params_from_iter(args), |r| {
        row_to_json(&cols, r, &["is_active"])
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Any client by id, whatever the caller's scope: callers decide between 403 and 404.
pub fn by_id_unscoped(conn: &Connection, client_id: &str) -> Result<Option<ClientRow>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT * FROM clients WHERE client_id = ?")?;
    let cols = column_names(&stmt);
    let mut rows = stmt.query_map([client_id], |r| row_to_json(&cols, r, &["is_active"]))?;
    Ok(rows.next().transpose()?)
}

/// Whether the client exists (Some) and is active, without reading the whole row.
pub fn is_active(conn: &Connection, client_id: &str) -> Result<Option<bool>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT is_active FROM clients WHERE client_id = ?")?
        .query_row([client_id], |r| r.get(0))
        .optional()?)
}

pub fn count_active(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM clients WHERE is_active = 1",
        [],
        |r| r.get(0),
    )?)
}
