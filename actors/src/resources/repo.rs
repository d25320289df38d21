//! Generic SQL for declared resources. Reads take a `TenantScope`; writes take a `ClientWrite`.
use super::{KeyRule, Resource};
use crate::domain::time::now_ts;
use crate::domain::{ClientWrite, TenantScope};
use crate::store::audit::{self, AuditEntry};
use crate::store::rows::{column_names, row_to_json};
use crate::store::{StoreError, sequences};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Value};

pub type Record = Map<String, Value>;
/// Keyset position: (date key value, record key) of the last row of a page.
pub type Cursor = (String, String);

pub struct ListQuery {
    pub client_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// (field, value) equality filters, values already canonical.
    pub filters: Vec<(String, Value)>,
    pub limit: usize,
    pub cursor: Option<Cursor>,
    pub include_deleted: bool,
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(*b as i64),
        Value::Number(n) => n
            .as_i64()
            .map(SqlValue::Integer)
            .unwrap_or_else(|| SqlValue::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// Lists rows visible in `scope`, ordered by date key desc, then id; keyset pagination.
pub fn list(
    conn: &Connection,
    res: &Resource,
    scope: &TenantScope,
    q: &ListQuery,
) -> Result<(Vec<Record>, Option<Cursor>), StoreError> {
    let (scope_sql, scope_args) = scope.sql_filter("client_id");
    let mut sql = format!("SELECT * FROM {} WHERE {scope_sql}", res.table);
    let mut args: Vec<SqlValue> = scope_args.into_iter().map(SqlValue::Text).collect();
    if !q.include_deleted {
        sql.push_str(" AND is_active = 1");
    }
    if let Some(c) = &q.client_id {
        sql.push_str(" AND client_id = ?");
        args.push(SqlValue::Text(c.clone()));
    }
    let date_expr = res.date_key.map(|d| format!("coalesce({d}, '')"));
    if let Some(d) = &date_expr {
        if let Some(from) = &q.from {
            sql.push_str(&format!(" AND {d} >= ?"));
            args.push(SqlValue::Text(from.clone()));
        }
        if let Some(to) = &q.to {
            sql.push_str(&format!(" AND {d} <= ? AND {d} <> ''"));
            args.push(SqlValue::Text(to.clone()));
        }
    }
    for (field, value) in &q.filters {
        sql.push_str(&format!(" AND {field} = ?"));
        args.push(to_sql(value));
    }
    if let Some((cd, cid)) = &q.cursor {
        match &date_expr {
            Some(d) => {
                sql.push_str(&format!(" AND ({d} < ? OR ({d} = ? AND {} > ?))", res.key));
                args.extend([
                    SqlValue::Text(cd.clone()),
                    SqlValue::Text(cd.clone()),
                    SqlValue::Text(cid.clone()),
                ]);
            }
            None => {
                sql.push_str(&format!(" AND {} > ?", res.key));
                args.push(SqlValue::Text(cid.clone()));
            }
        }
    }
    match &date_expr {
        Some(d) => sql.push_str(&format!(" ORDER BY {d} DESC, {} ASC", res.key)),
        None => sql.push_str(&format!(" ORDER BY {} ASC", res.key)),
    }
    sql.push_str(&format!(" LIMIT {}", q.limit + 1));
    let bools = res.bool_columns();
    let mut stmt = conn.prepare_cached(&sql)?;
    let cols = column_names(&stmt);
    let mut rows: Vec<Record> = stmt
        .query_map(params_from_iter(args), |r| row_to_json(&cols, r, &bools))?
        .collect::<Result<_, _>>()?;
    let next = if rows.len() > q.limit {
        rows.truncate(q.limit);
        rows.last().map(|last| {
            let d = res
                .date_key
                .and_then(|k| last.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let id = last
                .get(res.key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            (d, id)
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// The row when it exists and its client is in `scope`; a foreign row reads as missing.
pub fn get(
    conn: &Connection,
    res: &Resource,
    scope: &TenantScope,
    id: &str,
    include_deleted: bool,
) -> Result<Option<Record>, StoreError> {
    let row = get_any(conn, res, id)?;
    Ok(row.filter(|r| {
        let client = r.get("client_id").and_then(Value::as_str).unwrap_or("");
        let active = r.get("is_active").and_then(Value::as_bool).unwrap_or(false);
        scope.can_read(client) && (active || include_deleted)
    }))
}

/// Unscoped lookup, private to this module's callers that check the client right after.
fn get_any(conn: &Connection, res: &Resource, id: &str) -> Result<Option<Record>, StoreError> {
    let sql = format!("SELECT * FROM {} WHERE {} = ?", res.table, res.key);
    let bools = res.bool_columns();
    let mut stmt = conn.prepare_cached(&sql)?;
    let cols = column_names(&stmt);
    let mut rows = stmt.query_map([id], |r| row_to_json(&cols, r, &bools))?;
    Ok(rows.next().transpose()?)
}

/// Assigns the key by the resource's rule.
fn assign_key(
    tx: &Connection,
    res: &Resource,
    rec: &Record,
    client: &str,
) -> Result<String, StoreError> {
    Ok(match res.key_rule {
        KeyRule::User => rec
            .get(res.key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        KeyRule::ClientDot(field) => format!(
            "{client}.{}",
            rec.get(field).and_then(Value::as_str).unwrap_or_default()
        ),
        KeyRule::DatedSequence { date_field, tag } => {
            let date = rec
                .get(date_field)
                .and_then(Value::as_str)
                .unwrap_or("")
                .replace('-', "");
            let n = sequences::next(tx, res.table, &date)?;
            format!("{date}-{tag}-{n:04}")
        }
    })
}

/// Inserts a validated record for the permitted client and audits it. Returns the stored row.
pub fn insert(
    tx: &Connection,
    res: &Resource,
    write: &ClientWrite,
    mut rec: Record,
    caller: &str,
    entry_method: &str,
) -> Result<Record, StoreError> {
    let client = write.client().as_str();
    rec.insert("client_id".into(), Value::String(client.to_owned()));
    let key = assign_key(tx, res, &rec, client)?;
    rec.insert(res.key.into(), Value::String(key.clone()));
    let now = now_ts();
    for (k, v) in [
        ("created_by", caller),
        ("created_at", &now),
        ("updated_by", caller),
        ("updated_at", &now),
    ] {
        rec.insert(k.into(), Value::String(v.to_owned()));
    }
    if res.is_entry {
        rec.insert(
            "entry_method".into(),
            Value::String(entry_method.to_owned()),
        );
    }
    let cols: Vec<&String> = rec.keys().collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        res.table,
        cols.iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        vec!["?"; cols.len()].join(", ")
    );
    tx.prepare_cached(&sql)?
        .execute(params_from_iter(rec.values().map(to_sql)))?;
    audit::record(
        tx,
        &AuditEntry {
            new_value: Some(Value::Object(rec.clone()).to_string()),
            ..AuditEntry::new(Some(caller), Some(client), res.entity, &key, "CREATE")
        },
    )?;
    Ok(get_any(tx, res, &key)?.expect("row just inserted"))
}

/// Applies `changes` to the row `id` of the permitted client; one audit row per changed field.
pub fn update(
    tx: &Connection,
    res: &Resource,
    write: &ClientWrite,
    before: &Record,
    changes: &Record,
    caller: &str,
) -> Result<Record, StoreError> {
    let id = before
        .get(res.key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let client = write.client().as_str();
    let changed: Vec<(&String, &Value)> = changes
        .iter()
        .filter(|(k, v)| before.get(k.as_str()) != Some(v))
        .collect();
    if changed.is_empty() {
        return Ok(before.clone());
    }
    let now = now_ts();
    let sets: Vec<String> = changed.iter().map(|(k, _)| format!("{k} = ?")).collect();
    let sql = format!(
        "UPDATE {} SET {}, updated_by = ?, updated_at = ? WHERE {} = ? AND client_id = ?",
        res.table,
        sets.join(", "),
        res.key
    );
    let mut args: Vec<SqlValue> = changed.iter().map(|(_, v)| to_sql(v)).collect();
    args.extend([caller, &now, &id, client].map(|s| SqlValue::Text(s.to_owned())));
    tx.prepare_cached(&sql)?.execute(params_from_iter(args))?;
    for (field, new) in &changed {
        let old = before.get(field.as_str()).cloned().unwrap_or(Value::Null);
        audit::record(
            tx,
            &AuditEntry {
                field: Some(field.as_str()),
                old_value: (!old.is_null()).then(|| old.to_string()),
                new_value: (!new.is_null()).then(|| new.to_string()),
                ..AuditEntry::new(Some(caller), Some(client), res.entity, &id, "UPDATE")
            },
        )?;
    }
    Ok(get_any(tx, res, &id)?.expect("row exists"))
}

/// Reads the row for an update, inside the write transaction (no lost update).
pub fn get_for_write(
    tx: &Connection,
    res: &Resource,
    scope: &TenantScope,
    id: &str,
) -> Result<Option<Record>, StoreError> {
    get(tx, res, scope, id, false)
}
