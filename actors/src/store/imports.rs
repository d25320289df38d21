//! IMPORT_LOG (one row per batch, csv-upload and confirm call), IMPORT_PREVIEWS (read-back
//! tokens with the previewed rows) and the one audit record of an import.
use super::rows::{column_names, row_to_json};
use super::{StoreError, sequences};
use crate::domain::TenantScope;
use crate::domain::time::now_ts;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde_json::{Map, Value};

/// `IMP-YYYYMMDD-NNNN` (domain.md §1), from the per-day sequence.
pub fn next_import_id(tx: &Connection) -> Result<String, StoreError> {
    let day = chrono::Utc::now().format("%Y%m%d").to_string();
    let n = sequences::next(tx, "import_log", &day)?;
    Ok(format!("IMP-{day}-{n:04}"))
}

pub struct ImportLog<'a> {
    pub import_id: &'a str,
    pub resource: &'a str,
    pub client_ids: &'a [String],
    pub user_id: &'a str,
    pub file_name: Option<&'a str>,
    pub import_type: &'a str,
    pub channel: &'a str,
    pub attempted: usize,
    pub succeeded: usize,
    pub failed: usize,
    /// JSON array (the first 1 000 errors).
    pub error_details: &'a str,
    pub status: &'a str,
    pub all_or_nothing: bool,
}

pub fn insert_log(tx: &Connection, l: &ImportLog) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO import_log (import_id, resource, client_ids, user_id, import_timestamp, file_name, import_type, \
         channel, rows_attempted, rows_succeeded, rows_failed, error_details, status, all_or_nothing) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        l.import_id,
        l.resource,
        serde_json::to_string(l.client_ids).unwrap_or_else(|_| "[]".into()),
        l.user_id,
        now_ts(),
        l.file_name,
        l.import_type,
        l.channel,
        l.attempted as i64,
        l.succeeded as i64,
        l.failed as i64,
        l.error_details,
        l.status,
        l.all_or_nothing as i64,
    ])?;
    Ok(())
}

/// The one audit record of an import (clarification: file hash, counts, user). Entity
/// `IMPORT`, action CREATE, `import_id` set; the client when the import touched one client.
pub fn audit_import(
    tx: &Connection,
    user_id: &str,
    client_id: Option<&str>,
    import_id: &str,
    new_value: &Value,
    request_id: Option<&str>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO audit_log (occurred_at, user_id, client_id, entity, entity_id, action, new_value, request_id, import_id) \
         VALUES (?1, ?2, ?3, 'IMPORT', ?4, 'CREATE', ?5, ?6, ?4)",
    )?
    .execute(params![now_ts(), user_id, client_id, import_id, new_value.to_string(), request_id])?;
    Ok(())
}

/// (import_timestamp, import_id) of a row: the list's keyset position.
pub type ImportCursor = (String, String);
/// A page of IMPORT_LOG rows and where the next one starts.
pub type ImportPage = (Vec<Map<String, Value>>, Option<ImportCursor>);

pub struct ImportFilter {
    pub client_id: Option<String>,
    pub resource: Option<String>,
    /// `import_timestamp >= from` (a date).
    pub from: Option<String>,
    /// `import_timestamp < before` (the day after `to`).
    pub before: Option<String>,
    /// Keyset: (import_timestamp, import_id) of the last row of the previous page.
    pub after: Option<ImportCursor>,
    pub limit: usize,
}

/// Import log rows the caller may see, newest first. `All` scope: everything; `own_only`:
/// the user's own imports (OPERATOR); otherwise imports whose every client is in the scope,
/// plus the user's own (LEADER), so no other client's name leaks through `client_ids`.
pub fn list(
    conn: &Connection,
    scope: &TenantScope,
    user_id: &str,
    own_only: bool,
    f: &ImportFilter,
) -> Result<ImportPage, StoreError> {
    let mut sql = String::from("SELECT * FROM import_log WHERE 1=1");
    let mut args: Vec<SqlValue> = Vec::new();
    if own_only {
        sql.push_str(" AND user_id = ?");
        args.push(SqlValue::Text(user_id.to_owned()));
    } else if let TenantScope::Assigned(_) = scope {
        let (in_scope, scope_args) = scope.sql_filter("value");
        sql.push_str(&format!(
            " AND (user_id = ? OR (json_array_length(client_ids) > 0 AND NOT EXISTS \
             (SELECT 1 FROM json_each(import_log.client_ids) WHERE NOT ({in_scope}))))"
        ));
        args.push(SqlValue::Text(user_id.to_owned()));
        args.extend(scope_args.into_iter().map(SqlValue::Text));
    }
    if let Some(c) = &f.client_id {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM json_each(import_log.client_ids) WHERE value = ?)",
        );
        args.push(SqlValue::Text(c.clone()));
    }
    if let Some(r) = &f.resource {
        sql.push_str(" AND resource = ?");
        args.push(SqlValue::Text(r.clone()));
    }
    if let Some(from) = &f.from {
        sql.push_str(" AND import_timestamp >= ?");
        args.push(SqlValue::Text(from.clone()));
    }
    if let Some(before) = &f.before {
        sql.push_str(" AND import_timestamp < ?");
        args.push(SqlValue::Text(before.clone()));
    }
    if let Some((ts, id)) = &f.after {
        sql.push_str(" AND (import_timestamp < ? OR (import_timestamp = ? AND import_id < ?))");
        args.extend([ts.clone(), ts.clone(), id.clone()].map(SqlValue::Text));
    }
    sql.push_str(&format!(
        " ORDER BY import_timestamp DESC, import_id DESC LIMIT {}",
        f.limit + 1
    ));
    let mut stmt = conn.prepare(&sql)?;
    let cols = column_names(&stmt);
    let mut rows: Vec<Map<String, Value>> = stmt
        .query_map(params_from_iter(args), |r| {
            row_to_json(&cols, r, &["all_or_nothing"])
        })?
        .collect::<Result<_, _>>()?;
    for row in &mut rows {
        for k in ["client_ids", "error_details"] {
            if let Some(Value::String(s)) = row.get(k) {
                let parsed = serde_json::from_str(s).unwrap_or(Value::Null);
                row.insert(k.into(), parsed);
            }
        }
    }
    let next = if rows.len() > f.limit {
        rows.truncate(f.limit);
        rows.last().map(|r| {
            let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            (s("import_timestamp"), s("import_id"))
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// A stored preview.
#[derive(Debug, Clone)]
pub struct Preview {
    pub token: String,
    pub user_id: String,
    pub resource: String,
    pub kind: String,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub file_name: Option<String>,
    pub request_hash: Option<String>,
    /// JSON array of the previewed rows.
    pub rows: String,
}

pub fn insert_preview(tx: &Connection, p: &Preview) -> Result<(), StoreError> {
    // Housekeeping: previews are deleted 24 h after they expired (domain.md §5.17).
    tx.prepare_cached(
        "DELETE FROM import_previews WHERE expires_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-24 hours')",
    )?
    .execute([])?;
    tx.prepare_cached(
        "INSERT INTO import_previews (token, user_id, resource, kind, created_at, expires_at, file_name, request_hash, rows) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        p.token,
        p.user_id,
        p.resource,
        p.kind,
        now_ts(),
        p.expires_at,
        p.file_name,
        p.request_hash,
        p.rows
    ])?;
    Ok(())
}

pub fn get_preview(conn: &Connection, token: &str) -> Result<Option<Preview>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT token, user_id, resource, kind, expires_at, used_at, file_name, request_hash, rows \
             FROM import_previews WHERE token = ?1",
        )?
        .query_row([token], |r| {
            Ok(Preview {
                token: r.get(0)?,
                user_id: r.get(1)?,
                resource: r.get(2)?,
                kind: r.get(3)?,
                expires_at: r.get(4)?,
                used_at: r.get(5)?,
                file_name: r.get(6)?,
                request_hash: r.get(7)?,
                rows: r.get(8)?,
            })
        })
        .optional()?)
}

/// Marks the token used; false when it already was (a concurrent confirm won).
pub fn mark_used(tx: &Connection, token: &str) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached(
            "UPDATE import_previews SET used_at = ?2 WHERE token = ?1 AND used_at IS NULL",
        )?
        .execute(params![token, now_ts()])?
        == 1)
}
