//! The 14 resources of domain.md §5, declared once. Field order = export column order.
//! `master` declares master data (work orders, jobs, products, shifts, part opportunities,
//! employees, floating pool), `entries` the data-entry tables; `master_rules` / `entry_rules`
//! hold their cross-field checks and hooks; this module the shared helpers and the reference
//! check.
mod entries;
mod entry_rules;
mod master;
mod master_rules;

pub use entries::{ATTENDANCE, COVERAGE, DEFECTS, DOWNTIME, HOLDS, PRODUCTION, QUALITY};
pub use master::{
    EMPLOYEES, FLOATING_POOL, JOBS, PART_OPPORTUNITIES, PRODUCTS, SHIFTS, WORK_ORDERS,
};

use super::{CheckCtx, Field, RefRule, Resource};
use crate::domain::FieldError;
use crate::domain::time::parse_day;
use serde_json::{Map, Value};

pub const SHIFT_TYPES: &[&str] = &["SHIFT_1ST", "SHIFT_2ND", "SAT_OT", "SUN_OT", "OTHER"];
pub const WO_STATUS: &[&str] = &["ACTIVE", "ON_HOLD", "COMPLETED", "REJECTED", "CANCELLED"];
pub const PRIORITY: &[&str] = &["RUSH", "STANDARD", "LOW"];
pub const ENTRY_METHODS: &[&str] = &[
    "MANUAL_ENTRY",
    "CSV_UPLOAD",
    "QR_SCAN",
    "API",
    "SYSTEM_IMPORT",
];

/// Every resource served by the generic routes (api.md §6 order).
pub static ALL: [&Resource; 14] = [
    &WORK_ORDERS,
    &JOBS,
    &PRODUCTS,
    &SHIFTS,
    &EMPLOYEES,
    &FLOATING_POOL,
    &PRODUCTION,
    &DOWNTIME,
    &HOLDS,
    &ATTENDANCE,
    &COVERAGE,
    &QUALITY,
    &DEFECTS,
    &PART_OPPORTUNITIES,
];

pub fn find(name: &str) -> Option<&'static Resource> {
    ALL.iter().copied().find(|r| r.name == name)
}

pub(super) fn num(rec: &Map<String, Value>, k: &str) -> Option<f64> {
    rec.get(k).and_then(Value::as_f64)
}

pub(super) fn text<'r>(rec: &'r Map<String, Value>, k: &str) -> Option<&'r str> {
    rec.get(k).and_then(Value::as_str)
}

pub(super) fn flag(rec: &Map<String, Value>, k: &str) -> bool {
    rec.get(k).and_then(Value::as_bool) == Some(true)
}

pub(super) fn blank(rec: &Map<String, Value>, k: &str) -> bool {
    rec.get(k).is_none_or(Value::is_null)
}

pub(super) fn day(rec: &Map<String, Value>, k: &str) -> Option<chrono::NaiveDate> {
    text(rec, k).and_then(parse_day)
}

/// The value stored before this PATCH (None on create).
pub(super) fn before<'c>(ctx: &'c CheckCtx, k: &str) -> Option<&'c Value> {
    ctx.before.and_then(|b| b.get(k))
}

pub(super) fn not_future(
    rec: &Map<String, Value>,
    k: &str,
    ctx: &CheckCtx,
    errors: &mut Vec<FieldError>,
) {
    // Tolerance of one day: "today" is the client's local date, which may be ahead of UTC.
    if day(rec, k).is_some_and(|d| d > ctx.today + chrono::Days::new(1)) {
        errors.push(FieldError::new(k, format!("{k} is in the future")));
    }
}

pub(super) fn at_most(
    rec: &Map<String, Value>,
    small: &str,
    big: &str,
    errors: &mut Vec<FieldError>,
) {
    if let (Some(s), Some(b)) = (num(rec, small), num(rec, big))
        && s > b
    {
        errors.push(FieldError::new(
            small,
            format!("{small} ({s}) exceeds {big} ({b})"),
        ));
    }
}

pub(super) fn count(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(sql)?.query_row(params, |r| r.get(0))
}

/// `work_order_id` → "work order" (ingest.md: `Unknown work order …`).
fn label(field: &str) -> String {
    field.trim_end_matches("_id").replace('_', " ")
}

/// Fields with a `Ref` must name an active row the record may point at: of the same client
/// (`client`), an employee of it or a floater, a job of the record's work order, a user.
/// Another client's row reads as unknown (nothing leaks).
pub fn check_refs(
    res: &Resource,
    rec: &Map<String, Value>,
    conn: &rusqlite::Connection,
    client: &str,
) -> Result<Vec<FieldError>, rusqlite::Error> {
    let mut errors = Vec::new();
    for field in res.fields.iter().filter(|f: &&Field| f.refers.is_some()) {
        let (Some(r), Some(Value::String(id))) = (field.refers, rec.get(field.name)) else {
            continue;
        };
        let id = id.as_str();
        let found = match r.rule {
            RefRule::SameClient => count(
                conn,
                &format!(
                    "SELECT count(*) FROM {} WHERE {} = ?1 AND client_id = ?2 AND is_active = 1",
                    r.table, r.key
                ),
                [id, client],
            )?,
            RefRule::Employee => count(
                conn,
                "SELECT count(*) FROM employees WHERE employee_id = ?1 AND is_active = 1 \
                 AND (is_floating_pool = 1 OR client_id_assigned = ?2)",
                [id, client],
            )?,
            RefRule::Floater => {
                let n = count(
                    conn,
                    "SELECT count(*) FROM employees WHERE employee_id = ?1 AND is_active = 1 \
                     AND is_floating_pool = 1",
                    [id],
                )?;
                if n == 0 {
                    errors.push(FieldError::new(
                        field.name,
                        "Employee is not a floater (no active floating-pool employee)",
                    ));
                    continue;
                }
                n
            }
            RefRule::JobOfWorkOrder => count(
                conn,
                "SELECT count(*) FROM jobs WHERE job_id = ?1 AND work_order_id = ?2 \
                 AND client_id = ?3 AND is_active = 1",
                [id, text(rec, "work_order_id").unwrap_or(""), client],
            )?,
            RefRule::User => count(conn, "SELECT count(*) FROM users WHERE user_id = ?1", [id])?,
        };
        // No id in the message: a foreign row and a missing one must read the same.
        if found == 0 {
            let msg = match r.rule {
                RefRule::JobOfWorkOrder => format!(
                    "Unknown job of work order {}",
                    text(rec, "work_order_id").unwrap_or("")
                ),
                RefRule::User => format!("Unknown {} (no such user)", label(field.name)),
                _ => format!("Unknown {} for client {client}", label(field.name)),
            };
            errors.push(FieldError::new(field.name, msg));
        }
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{DateRule, KeyRule, Tenant};
    use std::collections::BTreeSet;

    fn columns(conn: &rusqlite::Connection, table: &str) -> BTreeSet<String> {
        let mut stmt = conn
            .prepare(&format!("SELECT name FROM pragma_table_xinfo('{table}')"))
            .unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Computed on read, not stored.
    const COMPUTED: [&str; 2] = ["impact_on_wip_hours", "is_stale"];

    #[test]
    fn every_declaration_matches_its_table() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::pragmas::open_writer(&dir.path().join("t.db")).unwrap();
        crate::store::migrations::migrate(&mut conn).unwrap();
        let names: BTreeSet<&str> = ALL.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), 14, "api.md §6 lists 14 resources");
        for res in ALL {
            let cols = columns(&conn, res.table);
            assert!(cols.contains(res.key), "{}: key", res.name);
            assert!(res.field(res.key).is_some(), "{}: key declared", res.name);
            assert!(cols.contains(res.tenant_column()), "{}: tenant", res.name);
            for f in res.fields.iter().filter(|f| !COMPUTED.contains(&f.name)) {
                assert!(cols.contains(f.name), "{}.{} is a column", res.name, f.name);
            }
            for k in res.filters {
                let pseudo = matches!(*k, "verified" | "entry_method");
                assert!(res.field(k).is_some() || pseudo, "{}: filter {k}", res.name);
            }
            for c in res.immutable.iter().chain(res.derived) {
                assert!(res.field(c).is_some(), "{}: {c}", res.name);
            }
            for d in res.dependents {
                assert!(
                    columns(&conn, d.res.table).contains(d.column),
                    "{} <- {}.{}",
                    res.name,
                    d.res.name,
                    d.column
                );
            }
            if let Some(v) = res.verify {
                for c in [v.by, v.at, v.flag]
                    .into_iter()
                    .flatten()
                    .chain(v.entered_by.iter().copied())
                {
                    assert!(cols.contains(c), "{}: verification column {c}", res.name);
                }
            }
            if let Some(d) = res.date_key {
                let table = match res.date_rule {
                    DateRule::Parent { table, .. } => table,
                    _ => res.table,
                };
                assert!(columns(&conn, table).contains(d), "{}: date key", res.name);
            }
            if let Tenant::Parent { field, table, key } = res.tenant {
                assert!(
                    cols.contains(field) && columns(&conn, table).contains(key),
                    "{}",
                    res.name
                );
            }
            let server_key = res.field(res.key).unwrap().req == crate::resources::Req::S;
            assert_eq!(
                server_key,
                res.key_rule.server_assigned(),
                "{}: key rule",
                res.name
            );
            assert_eq!(
                res.is_entry,
                cols.contains("entry_method"),
                "{}: entry",
                res.name
            );
            if matches!(res.key_rule, KeyRule::ClientDot(_)) {
                assert!(matches!(res.tenant, Tenant::Entered), "{}", res.name);
            }
        }
    }

    #[test]
    fn verification_values_round_trip() {
        for res in ALL.iter().filter(|r| r.verify.is_some()) {
            let v = res.verify.unwrap();
            let mut row = v.cleared();
            assert!(!v.is_verified(&row), "{}", res.name);
            row.extend(v.set("USR-002", "2025-12-15T10:00:00Z"));
            assert!(v.is_verified(&row), "{}", res.name);
        }
        let verifiable: Vec<&str> = ALL
            .iter()
            .filter(|r| r.verify.is_some())
            .map(|r| r.name)
            .collect();
        assert_eq!(
            verifiable,
            ["production", "attendance", "coverage", "quality"]
        );
    }

    #[test]
    fn labels_read_like_the_contract() {
        assert_eq!(label("work_order_id"), "work order");
        assert_eq!(
            label("covered_by_floating_employee_id"),
            "covered by floating employee"
        );
    }
}
