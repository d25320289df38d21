//! AUDIT_LOG: append-only. Every create/update/delete and security event writes here, in the
//! same transaction as the change it describes.
use super::StoreError;
use crate::domain::time::now_ts;
use rusqlite::{Connection, params};

pub struct AuditEntry<'a> {
    pub user_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
    pub field: Option<&'a str>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<&'a str>,
}

impl<'a> AuditEntry<'a> {
    pub fn new(
        user_id: Option<&'a str>,
        client_id: Option<&'a str>,
        entity: &'a str,
        entity_id: &'a str,
        action: &'a str,
    ) -> Self {
        AuditEntry {
            user_id,
            client_id,
            entity,
            entity_id,
            action,
            field: None,
            old_value: None,
            new_value: None,
            reason: None,
        }
    }
}

pub fn record(tx: &Connection, e: &AuditEntry) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO audit_log (occurred_at, user_id, client_id, entity, entity_id, action, field, old_value, new_value, reason, request_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![now_ts(), e.user_id, e.client_id, e.entity, e.entity_id, e.action, e.field, e.old_value, e.new_value, e.reason, crate::request::current()])?;
    Ok(())
}

/// Which rows of AUDIT_LOG a read may see: the tenant scope (in SQL) and whether rows without a
/// client (user and security events) are included.
pub struct AuditFilter {
    pub client_id: Option<String>,
    /// Stored entity names (`PRODUCTION_ENTRY`, `USER` ...); empty = any.
    pub entities: Vec<String>,
    pub entity_id: Option<String>,
    pub user_id: Option<String>,
    /// Actions (`CREATE` ...); empty = any.
    pub actions: Vec<String>,
    /// `occurred_at >= from` (RFC 3339 prefix, e.g. `2025-12-15`).
    pub from: Option<String>,
    /// `occurred_at < before` (exclusive, so a date means "up to the end of the day before").
    pub before: Option<String>,
    /// Keyset position: only rows with a smaller audit_id (newest first).
    pub below_id: Option<i64>,
    pub limit: usize,
}

/// One AUDIT_LOG row as JSON, keyed by column name.
pub type AuditRow = serde_json::Map<String, serde_json::Value>;

/// AUDIT_LOG rows in `scope`, newest first (audit_id is AUTOINCREMENT, so id order = time
/// order). Rows without a client_id are returned only when `include_clientless` is set
/// (ADMIN); an `Assigned` scope excludes them anyway (`client_id IN (...)` is never true for
/// NULL). Returns the page and the audit_id to continue below, if there is more.
pub fn list(
    conn: &Connection,
    scope: &crate::domain::TenantScope,
    include_clientless: bool,
    f: &AuditFilter,
) -> Result<(Vec<AuditRow>, Option<i64>), StoreError> {
    use rusqlite::types::Value as SqlValue;
    let (scope_sql, scope_args) = scope.sql_filter("client_id");
    let mut sql = if include_clientless {
        format!("SELECT * FROM audit_log WHERE ({scope_sql} OR client_id IS NULL)")
    } else {
        format!("SELECT * FROM audit_log WHERE {scope_sql} AND client_id IS NOT NULL")
    };
    let mut args: Vec<SqlValue> = scope_args.into_iter().map(SqlValue::Text).collect();
    let mut eq = |sql: &mut String, col: &str, v: &Option<String>| {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {col} = ?"));
            args.push(SqlValue::Text(v.clone()));
        }
    };
    eq(&mut sql, "client_id", &f.client_id);
    eq(&mut sql, "entity_id", &f.entity_id);
    eq(&mut sql, "user_id", &f.user_id);
    for (col, values) in [("entity", &f.entities), ("action", &f.actions)] {
        if !values.is_empty() {
            sql.push_str(&format!(
                " AND {col} IN ({})",
                vec!["?"; values.len()].join(",")
            ));
            args.extend(values.iter().cloned().map(SqlValue::Text));
        }
    }
    if let Some(from) = &f.from {
        sql.push_str(" AND occurred_at >= ?");
        args.push(SqlValue::Text(from.clone()));
    }
    if let Some(before) = &f.before {
        sql.push_str(" AND occurred_at < ?");
        args.push(SqlValue::Text(before.clone()));
    }
    if let Some(id) = f.below_id {
        sql.push_str(" AND audit_id < ?");
        args.push(SqlValue::Integer(id));
    }
    sql.push_str(&format!(" ORDER BY audit_id DESC LIMIT {}", f.limit + 1));
    let mut stmt = conn.prepare(&sql)?;
    let cols = super::rows::column_names(&stmt);
    let mut rows: Vec<_> = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            super::rows::row_to_json(&cols, r, &[])
        })?
        .collect::<Result<_, _>>()?;
    let next = if rows.len() > f.limit {
        rows.truncate(f.limit);
        rows.last()
            .and_then(|r| r.get("audit_id"))
            .and_then(serde_json::Value::as_i64)
    } else {
        None
    };
    Ok((rows, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, Role, TenantScope};

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::engine::open_and_migrate(&dir.path().join("a.db")).unwrap();
        (dir, conn)
    }

    fn filter(limit: usize) -> AuditFilter {
        AuditFilter {
            client_id: None,
            entities: vec![],
            entity_id: None,
            user_id: None,
            actions: vec![],
            from: None,
            before: None,
            below_id: None,
            limit,
        }
    }

    #[test]
    fn scope_and_clientless_rows_are_applied_in_sql() {
        let (_dir, conn) = db();
        for client in [Some("AAA-1"), Some("BBB-1"), None] {
            record(
                &conn,
                &AuditEntry::new(Some("USR-001"), client, "X", "1", "CREATE"),
            )
            .unwrap();
        }
        let leader =
            TenantScope::for_role(Role::LeaderDataconfig, [ClientId::parse("AAA-1").unwrap()]);
        let (rows, _) = list(&conn, &leader, false, &filter(10)).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["client_id"], "AAA-1");
        let (rows, _) = list(&conn, &TenantScope::All, false, &filter(10)).unwrap();
        assert_eq!(rows.len(), 2);
        let (rows, _) = list(&conn, &TenantScope::All, true, &filter(10)).unwrap();
        assert_eq!(rows.len(), 3);
        // newest first, paged by audit_id
        let (page, next) = list(&conn, &TenantScope::All, true, &filter(2)).unwrap();
        assert_eq!(page.len(), 2);
        assert!(page[0]["audit_id"].as_i64() > page[1]["audit_id"].as_i64());
        let rest = AuditFilter {
            below_id: next,
            ..filter(2)
        };
        let (page2, next2) = list(&conn, &TenantScope::All, true, &rest).unwrap();
        assert_eq!(page2.len(), 1);
        assert_eq!(next2, None);
    }
}
