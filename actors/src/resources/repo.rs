//! Generic SQL for declared resources. Reads take a `TenantScope`; writes take a `RowWrite`
//! (a `ClientWrite`, or for shared rows a `SharedWrite`). The tenant column is the resource's
//! (`client_id`, `client_id_assigned`, `assigned_to_client`); shared rows (NULL) are visible to
//! everyone.
use super::{DateRule, KeyRule, Resource, Tenant};
use crate::domain::time::now_ts;
use crate::domain::{RowWrite, TenantScope};
use crate::store::audit::{self, AuditEntry};
use crate::store::rows::{column_names, row_to_json};
use crate::store::{StoreError, sequences};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Value};

pub type Record = Map<String, Value>;
/// Keyset position: (date key value, record key) of the last row of a page.
pub type Cursor = (String, String);

/// Name of the computed date-key column a list selects for its cursor (stripped from rows).
const DATE_ALIAS: &str = "__date_key";

pub struct ListQuery {
    pub client_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// (field, value) equality filters, values already canonical. `verified` (bool) filters
    /// on the resource's verification columns.
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

/// WHERE fragment restricting rows (alias `t`) to the scope; shared rows pass.
fn scope_sql(res: &Resource, scope: &TenantScope) -> (String, Vec<SqlValue>) {
    let col = format!("t.{}", res.tenant_column());
    let (sql, args) = scope.sql_filter(&col);
    let sql = if res.is_shared() {
        format!("({col} IS NULL OR {sql})")
    } else {
        sql
    };
    (sql, args.into_iter().map(SqlValue::Text).collect())
}

/// The SQL expression of the date key (alias `t`), `''` when blank.
fn date_expr(res: &Resource) -> Option<String> {
    let d = res.date_key?;
    Some(match res.date_rule {
        DateRule::Own | DateRule::Overlap { .. } => format!("coalesce(t.{d}, '')"),
        DateRule::Parent { fk, table, key } => {
            format!("coalesce((SELECT p.{d} FROM {table} p WHERE p.{key} = t.{fk}), '')")
        }
    })
}

/// SQL for the `verified` filter: verified rows, or not yet verified ones.
fn verified_sql(res: &Resource, want: bool) -> String {
    let Some(v) = res.verify else {
        return "0=1".into();
    };
    match (v.by, v.flag) {
        (Some(by), _) if want => format!("t.{by} IS NOT NULL"),
        (Some(by), _) => format!("t.{by} IS NULL"),
        (None, Some(flag)) => format!("t.{flag} = {}", want as i64),
        (None, None) => "0=1".into(),
    }
}

/// Lists rows visible in `scope`, ordered by date key desc, then id; keyset pagination.
pub fn list(
    conn: &Connection,
    res: &Resource,
    scope: &TenantScope,
    q: &ListQuery,
) -> Result<(Vec<Record>, Option<Cursor>), StoreError> {
    let (scope_sql, mut args) = scope_sql(res, scope);
    let date = date_expr(res);
    let select_date = date
        .as_deref()
        .map(|d| format!(", {d} AS {DATE_ALIAS}"))
        .unwrap_or_default();
    let mut sql = format!(
        "SELECT t.*{select_date} FROM {} t WHERE {scope_sql}",
        res.table
    );
    if !q.include_deleted {
        sql.push_str(" AND t.is_active = 1");
    }
    if let Some(c) = &q.client_id {
        sql.push_str(&format!(" AND t.{} = ?", res.tenant_column()));
        args.push(SqlValue::Text(c.clone()));
    }
    match (res.date_rule, res.date_key, &date) {
        (DateRule::Overlap { end }, Some(start), _) => {
            if let Some(from) = &q.from {
                sql.push_str(&format!(
                    " AND t.{start} IS NOT NULL AND coalesce(t.{end}, '9999-12-31') >= ?"
                ));
                args.push(SqlValue::Text(from.clone()));
            }
            if let Some(to) = &q.to {
                sql.push_str(&format!(" AND t.{start} <= ?"));
                args.push(SqlValue::Text(to.clone()));
            }
        }
        (_, _, Some(d)) => {
            if let Some(from) = &q.from {
                sql.push_str(&format!(" AND {d} >= ?"));
                args.push(SqlValue::Text(from.clone()));
            }
            if let Some(to) = &q.to {
                sql.push_str(&format!(" AND {d} <= ? AND {d} <> ''"));
                args.push(SqlValue::Text(to.clone()));
            }
        }
        _ => {}
    }
    for (field, value) in &q.filters {
        if field == "verified" && res.field("verified").is_none() {
            sql.push_str(&format!(
                " AND {}",
                verified_sql(res, value.as_bool() == Some(true))
            ));
        } else if value.is_null() {
            sql.push_str(&format!(" AND t.{field} IS NULL"));
        } else {
            sql.push_str(&format!(" AND t.{field} = ?"));
            args.push(to_sql(value));
        }
    }
    let key = format!("t.{}", res.key);
    if let Some((cd, cid)) = &q.cursor {
        match &date {
            Some(d) => {
                sql.push_str(&format!(" AND ({d} < ? OR ({d} = ? AND {key} > ?))"));
                args.extend([
                    SqlValue::Text(cd.clone()),
                    SqlValue::Text(cd.clone()),
                    SqlValue::Text(cid.clone()),
                ]);
            }
            None => {
                sql.push_str(&format!(" AND {key} > ?"));
                args.push(SqlValue::Text(cid.clone()));
            }
        }
    }
    match &date {
        Some(d) => sql.push_str(&format!(" ORDER BY {d} DESC, {key} ASC")),
        None => sql.push_str(&format!(" ORDER BY {key} ASC")),
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
            let d = last
                .get(DATE_ALIAS)
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
    for row in &mut rows {
        row.remove(DATE_ALIAS);
    }
    Ok((rows, next))
}

/// Whether a stored row is visible in `scope` (shared rows are visible to everyone).
pub fn visible(res: &Resource, scope: &TenantScope, row: &Record) -> bool {
    match res.client_of(row) {
        Some(client) => scope.can_read(client),
        None => res.is_shared(),
    }
}

fn is_active(row: &Record) -> bool {
    row.get("is_active").and_then(Value::as_bool) == Some(true)
}

/// The row when it exists and its client is in `scope`; a foreign row reads as missing.
pub fn get(
    conn: &Connection,
    res: &Resource,
    scope: &TenantScope,
    id: &str,
    include_deleted: bool,
) -> Result<Option<Record>, StoreError> {
    let row = get_unscoped(conn, res, id)?;
    Ok(row.filter(|r| visible(res, scope, r) && (is_active(r) || include_deleted)))
}

/// Unscoped lookup by key, for callers that check the client right after (or maintain a row
/// on the server's behalf, like a work order's ON_HOLD status).
pub fn get_unscoped(
    conn: &Connection,
    res: &Resource,
    id: &str,
) -> Result<Option<Record>, StoreError> {
    let sql = format!("SELECT * FROM {} WHERE {} = ?", res.table, res.key);
    let bools = res.bool_columns();
    let mut stmt = conn.prepare_cached(&sql)?;
    let cols = column_names(&stmt);
    let mut rows = stmt.query_map([id], |r| row_to_json(&cols, r, &bools))?;
    Ok(rows.next().transpose()?)
}

fn str_of<'r>(rec: &'r Record, k: &str) -> &'r str {
    rec.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn key_exists(tx: &Connection, res: &Resource, id: &str) -> Result<bool, StoreError> {
    let sql = format!("SELECT count(*) FROM {} WHERE {} = ?", res.table, res.key);
    let n: i64 = tx.prepare_cached(&sql)?.query_row([id], |r| r.get(0))?;
    Ok(n > 0)
}

/// Assigns the key by the resource's rule.
fn assign_key(
    tx: &Connection,
    res: &Resource,
    rec: &Record,
    client: &str,
) -> Result<String, StoreError> {
    let compact = |date_field: &str| {
        let d = str_of(rec, date_field);
        if d.is_empty() {
            crate::domain::time::today_utc()
                .format("%Y%m%d")
                .to_string()
        } else {
            d.replace('-', "")
        }
    };
    Ok(match res.key_rule {
        // UserOrLine: the resource's check has filled in a blank key.
        KeyRule::User | KeyRule::UserOrLine { .. } => str_of(rec, res.key).to_owned(),
        KeyRule::ClientDot(field) => format!("{client}.{}", str_of(rec, field)),
        KeyRule::DatedSequence { date_field, tag } => {
            let date = compact(date_field);
            let n = sequences::next(tx, res.table, &date)?;
            format!("{date}-{tag}-{n:04}")
        }
        KeyRule::DatedEmployee {
            date_field,
            employee_field,
        } => {
            let date = compact(date_field);
            let n = sequences::next(tx, res.table, &date)?;
            format!("{date}-{}-{n:02}", str_of(rec, employee_field))
        }
        KeyRule::ParentSequence { parent, tag } => {
            let p = str_of(rec, parent);
            let n = sequences::next(tx, res.table, p)?;
            format!("{p}-{tag}-{n:02}")
        }
        KeyRule::EmployeeStamp { employee_field } => {
            let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
            let base = format!("{}-{stamp}", str_of(rec, employee_field));
            let mut id = base.clone();
            let mut n = 1;
            while key_exists(tx, res, &id)? {
                n += 1;
                id = format!("{base}-{n}");
            }
            id
        }
    })
}

/// Inserts a validated record under its permit and audits it. Returns the stored row, read
/// back (`reread`), or as inserted (imports of entries: no column of theirs has an SQL default
/// a caller needs, and a 100 000-row import should not read every row back).
pub fn insert(
    tx: &Connection,
    res: &Resource,
    write: &RowWrite,
    mut rec: Record,
    caller: &str,
    entry_method: &str,
    reread: bool,
) -> Result<Record, StoreError> {
    let client = write.client().map(|c| c.as_str().to_owned());
    match (res.tenant, &client) {
        (Tenant::Shared { column, .. }, c) => {
            rec.insert(column.into(), c.clone().map_or(Value::Null, Value::String));
        }
        (_, Some(c)) => {
            rec.insert("client_id".into(), Value::String(c.clone()));
        }
        (_, None) => {
            return Err(StoreError::Other(format!(
                "{} rows always belong to a client",
                res.name
            )));
        }
    }
    let key = assign_key(tx, res, &rec, client.as_deref().unwrap_or(""))?;
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
    // A row created by an import carries its import_id; the import writes one audit record
    // for all its rows (clarification: file hash, counts, user), not one per row.
    if !rec.get("import_id").is_some_and(Value::is_string) {
        audit::record(
            tx,
            &AuditEntry {
                new_value: Some(Value::Object(rec.clone()).to_string()),
                ..AuditEntry::new(Some(caller), client.as_deref(), res.entity, &key, "CREATE")
            },
        )?;
    }
    if !reread {
        return Ok(rec);
    }
    Ok(get_unscoped(tx, res, &key)?.expect("row just inserted"))
}

/// Applies `changes` to the row `before` (read in this transaction with the caller's scope);
/// one audit row per changed field.
pub fn update(
    tx: &Connection,
    res: &Resource,
    write: &RowWrite,
    before: &Record,
    changes: &Record,
    caller: &str,
) -> Result<Record, StoreError> {
    let id = str_of(before, res.key).to_owned();
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
        "UPDATE {} SET {}, updated_by = ?, updated_at = ? WHERE {} = ?",
        res.table,
        sets.join(", "),
        res.key
    );
    let mut args: Vec<SqlValue> = changed.iter().map(|(_, v)| to_sql(v)).collect();
    args.extend([caller, &now, &id].map(|s| SqlValue::Text(s.to_owned())));
    tx.prepare_cached(&sql)?.execute(params_from_iter(args))?;
    let client = write.client().map(|c| c.as_str());
    for (field, new) in &changed {
        let old = before.get(field.as_str()).cloned().unwrap_or(Value::Null);
        audit::record(
            tx,
            &AuditEntry {
                field: Some(field.as_str()),
                old_value: (!old.is_null()).then(|| old.to_string()),
                new_value: (!new.is_null()).then(|| new.to_string()),
                ..AuditEntry::new(Some(caller), client, res.entity, &id, "UPDATE")
            },
        )?;
    }
    Ok(get_unscoped(tx, res, &id)?.expect("row exists"))
}

/// Soft delete: `is_active = 0`, `deleted_at`, `deleted_by`; audited as DELETE (with the
/// row as it was, and `reason` for cascades).
pub fn soft_delete(
    tx: &Connection,
    res: &Resource,
    write: &RowWrite,
    before: &Record,
    caller: &str,
    reason: Option<&str>,
) -> Result<Record, StoreError> {
    let id = str_of(before, res.key).to_owned();
    let now = now_ts();
    let sql = format!(
        "UPDATE {} SET is_active = 0, deleted_at = ?1, deleted_by = ?2, updated_at = ?1, updated_by = ?2 \
         WHERE {} = ?3",
        res.table, res.key
    );
    tx.prepare_cached(&sql)?
        .execute(rusqlite::params![now, caller, id])?;
    audit::record(
        tx,
        &AuditEntry {
            old_value: Some(Value::Object(before.clone()).to_string()),
            reason,
            ..AuditEntry::new(
                Some(caller),
                write.client().map(|c| c.as_str()),
                res.entity,
                &id,
                "DELETE",
            )
        },
    )?;
    Ok(get_unscoped(tx, res, &id)?.expect("row exists"))
}

/// Restore of a soft-deleted row: active again, deletion marks cleared; audited as RESTORE.
pub fn restore(
    tx: &Connection,
    res: &Resource,
    write: &RowWrite,
    before: &Record,
    caller: &str,
) -> Result<Record, StoreError> {
    let id = str_of(before, res.key).to_owned();
    let sql = format!(
        "UPDATE {} SET is_active = 1, deleted_at = NULL, deleted_by = NULL, updated_at = ?1, updated_by = ?2 \
         WHERE {} = ?3",
        res.table, res.key
    );
    tx.prepare_cached(&sql)?
        .execute(rusqlite::params![now_ts(), caller, id])?;
    audit::record(
        tx,
        &AuditEntry {
            field: Some("is_active"),
            old_value: Some("false".into()),
            new_value: Some("true".into()),
            ..AuditEntry::new(
                Some(caller),
                write.client().map(|c| c.as_str()),
                res.entity,
                &id,
                "RESTORE",
            )
        },
    )?;
    Ok(get_unscoped(tx, res, &id)?.expect("row exists"))
}

/// Marks the row verified by `caller`; audited as VERIFY.
pub fn set_verified(
    tx: &Connection,
    res: &Resource,
    write: &RowWrite,
    before: &Record,
    caller: &str,
) -> Result<Record, StoreError> {
    let Some(v) = res.verify else {
        return Err(StoreError::Other(format!("{} is not verifiable", res.name)));
    };
    let id = str_of(before, res.key).to_owned();
    let now = now_ts();
    let values = v.set(caller, &now);
    let sets: Vec<String> = values.keys().map(|k| format!("{k} = ?")).collect();
    let sql = format!(
        "UPDATE {} SET {}, updated_by = ?, updated_at = ? WHERE {} = ?",
        res.table,
        sets.join(", "),
        res.key
    );
    let mut args: Vec<SqlValue> = values.values().map(to_sql).collect();
    args.extend([caller, &now, &id].map(|s| SqlValue::Text(s.to_owned())));
    tx.prepare_cached(&sql)?.execute(params_from_iter(args))?;
    audit::record(
        tx,
        &AuditEntry {
            new_value: Some(Value::Object(values).to_string()),
            ..AuditEntry::new(
                Some(caller),
                write.client().map(|c| c.as_str()),
                res.entity,
                &id,
                "VERIFY",
            )
        },
    )?;
    Ok(get_unscoped(tx, res, &id)?.expect("row exists"))
}

/// Keys of the active rows of `res` whose `column` is `id` (dependants of a deletion).
pub fn active_keys_where(
    tx: &Connection,
    res: &Resource,
    column: &str,
    id: &str,
) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {column} = ? AND is_active = 1 ORDER BY 1",
        res.key, res.table
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let keys = stmt
        .query_map([id], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(keys)
}
