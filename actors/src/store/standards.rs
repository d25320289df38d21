//! STANDARD_HISTORY (domain.md §8): every change of a versioned standard closes the current
//! version at the change time and opens a new one. Calculations resolve a standard at a time T
//! (for shift standards: the end of the line-shift's date); a T before the first version uses
//! the first version.
use super::StoreError;
use crate::domain::time::now_ts;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

/// The versioned fields of a SHIFT row.
pub const SHIFT_FIELDS: [&str; 3] = ["standard_hours", "standard_employees", "is_overtime"];

/// The versioned fields of a PRODUCT row.
pub const PRODUCT_FIELDS: [&str; 2] = ["standard_labor_hours_per_unit", "ideal_cycle_time_line"];
/// The versioned field of a PART_OPPORTUNITIES row.
pub const PART_FIELDS: [&str; 1] = ["opportunities_per_unit"];

/// Records the versioned `fields` of a row just written (`before` = the row before; None on
/// create). A row with no history yet (stored before versioning) first gets its previous value
/// as its first version, so times before this change resolve to the value then in force.
#[allow(clippy::too_many_arguments)]
pub fn record_row(
    tx: &Connection,
    client: &str,
    entity: &str,
    entity_id: &str,
    fields: &[&str],
    row: &serde_json::Map<String, Value>,
    before: Option<&serde_json::Map<String, Value>>,
    by: &str,
) -> Result<(), StoreError> {
    for field in fields {
        let value = row.get(*field).unwrap_or(&Value::Null);
        if let Some(old) = before
            .and_then(|b| b.get(*field))
            .filter(|old| *old != value)
        {
            let known: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM standard_history WHERE client_id = ?1 AND entity = ?2 AND entity_id = ?3 AND field = ?4)",
                )?
                .query_row(params![client, entity, entity_id, field], |r| r.get(0))?;
            if !known {
                record(tx, client, entity, entity_id, field, old, by)?;
            }
        }
        record(tx, client, entity, entity_id, field, value, by)?;
    }
    Ok(())
}

/// A numeric standard of a row tied to a work order (domain.md §8): an open order (`closed_at`
/// None) uses the current value; a closed one the version in force at its `closed_at` (a
/// recorded null = no standard then), or the current value when the field has no history.
pub fn number_as_of(
    versions: &[Version],
    entity_id: &str,
    field: &str,
    closed_at: Option<&str>,
    current: Option<f64>,
) -> Option<f64> {
    match closed_at.and_then(|at| value_at(versions, entity_id, field, at)) {
        Some(v) => v.as_f64(),
        None => current,
    }
}

/// Records `value` as the version of `field` from now on, unless it is already the current one.
pub fn record(
    tx: &Connection,
    client: &str,
    entity: &str,
    entity_id: &str,
    field: &str,
    value: &Value,
    by: &str,
) -> Result<(), StoreError> {
    let text = value.to_string();
    let current: Option<(i64, Option<String>)> = tx
        .prepare_cached(
            "SELECT id, value FROM standard_history WHERE client_id = ?1 AND entity = ?2 AND entity_id = ?3 AND field = ?4 AND effective_to IS NULL",
        )?
        .query_row(params![client, entity, entity_id, field], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if current
        .as_ref()
        .is_some_and(|(_, v)| v.as_deref() == Some(text.as_str()))
    {
        return Ok(());
    }
    let now = now_ts();
    if let Some((id, _)) = current {
        tx.prepare_cached("UPDATE standard_history SET effective_to = ?2 WHERE id = ?1")?
            .execute(params![id, now])?;
    }
    tx.prepare_cached(
        "INSERT INTO standard_history (client_id, entity, entity_id, field, value, effective_from, changed_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![client, entity, entity_id, field, text, now, by])?;
    Ok(())
}

/// Records the versioned fields of a SHIFT row as they are stored now.
pub fn record_shift(
    tx: &Connection,
    client: &str,
    shift_id: &str,
    by: &str,
) -> Result<(), StoreError> {
    let row: Option<(f64, i64, bool)> = tx
        .prepare_cached("SELECT standard_hours, standard_employees, is_overtime FROM shifts WHERE shift_id = ?1 AND client_id = ?2")?
        .query_row(params![shift_id, client], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    if let Some((hours, employees, overtime)) = row {
        record(
            tx,
            client,
            "SHIFT",
            shift_id,
            "standard_hours",
            &Value::from(hours),
            by,
        )?;
        record(
            tx,
            client,
            "SHIFT",
            shift_id,
            "standard_employees",
            &Value::from(employees),
            by,
        )?;
        record(
            tx,
            client,
            "SHIFT",
            shift_id,
            "is_overtime",
            &Value::Bool(overtime),
            by,
        )?;
    }
    Ok(())
}

/// One version of one field.
#[derive(Debug, Clone)]
pub struct Version {
    pub entity_id: String,
    pub field: String,
    pub value: Value,
    pub from: String,
    pub to: Option<String>,
}

/// Every version of an entity kind of a client, oldest first.
pub fn versions(conn: &Connection, client: &str, entity: &str) -> Result<Vec<Version>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT entity_id, field, value, effective_from, effective_to FROM standard_history WHERE client_id = ?1 AND entity = ?2 ORDER BY effective_from, id",
    )?;
    let rows = stmt.query_map(params![client, entity], |r| {
        let raw: Option<String> = r.get(2)?;
        Ok(Version {
            entity_id: r.get(0)?,
            field: r.get(1)?,
            value: raw
                .and_then(|v| serde_json::from_str(&v).ok())
                .unwrap_or(Value::Null),
            from: r.get(3)?,
            to: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The value of `field` of `entity_id` at `at` (RFC 3339): the version in force, else the first
/// version when `at` is earlier than all of them.
pub fn value_at<'a>(
    versions: &'a [Version],
    entity_id: &str,
    field: &str,
    at: &str,
) -> Option<&'a Value> {
    let mine: Vec<&Version> = versions
        .iter()
        .filter(|v| v.entity_id == entity_id && v.field == field)
        .collect();
    mine.iter()
        .find(|v| v.from.as_str() <= at && v.to.as_deref().is_none_or(|to| at < to))
        .or_else(|| mine.first().filter(|first| at < first.from.as_str()))
        .map(|v| &v.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(field: &str, value: i64, from: &str, to: Option<&str>) -> Version {
        Version {
            entity_id: "C.SHIFT_1ST".into(),
            field: field.into(),
            value: Value::from(value),
            from: from.into(),
            to: to.map(Into::into),
        }
    }

    #[test]
    fn resolves_the_version_in_force_and_the_first_before_it() {
        let vs = [
            v(
                "standard_employees",
                10,
                "2025-01-01T00:00:00Z",
                Some("2025-06-01T00:00:00Z"),
            ),
            v("standard_employees", 12, "2025-06-01T00:00:00Z", None),
        ];
        let at =
            |t: &str| value_at(&vs, "C.SHIFT_1ST", "standard_employees", t).and_then(Value::as_i64);
        assert_eq!(
            at("2024-12-31T00:00:00Z"),
            Some(10),
            "before the first version: the first"
        );
        assert_eq!(at("2025-05-31T23:59:59Z"), Some(10));
        assert_eq!(at("2025-06-01T00:00:00Z"), Some(12));
        assert_eq!(
            value_at(
                &vs,
                "C.SHIFT_2ND",
                "standard_employees",
                "2025-07-01T00:00:00Z"
            ),
            None
        );
    }

    #[test]
    fn work_order_standards_follow_the_close_time() {
        let p = |value: Value, from: &str, to: Option<&str>| Version {
            entity_id: "P1".into(),
            field: "standard_labor_hours_per_unit".into(),
            value,
            from: from.into(),
            to: to.map(Into::into),
        };
        let vs = [
            p(
                Value::Null,
                "2025-01-01T00:00:00Z",
                Some("2025-02-01T00:00:00Z"),
            ),
            p(
                Value::from(0.5),
                "2025-02-01T00:00:00Z",
                Some("2025-06-01T00:00:00Z"),
            ),
            p(Value::from(0.25), "2025-06-01T00:00:00Z", None),
        ];
        let at = |closed: Option<&str>, current| {
            number_as_of(&vs, "P1", "standard_labor_hours_per_unit", closed, current)
        };
        assert_eq!(at(None, Some(0.25)), Some(0.25), "open: the current value");
        assert_eq!(at(Some("2025-03-15T10:00:00Z"), Some(0.25)), Some(0.5));
        assert_eq!(
            at(Some("2025-06-01T00:00:00Z"), Some(0.25)),
            Some(0.25),
            "effective_from <= T"
        );
        assert_eq!(
            at(Some("2025-01-15T00:00:00Z"), Some(0.25)),
            None,
            "no standard then"
        );
        assert_eq!(
            at(Some("2024-12-01T00:00:00Z"), Some(0.25)),
            None,
            "before the first version: the first"
        );
        assert_eq!(
            number_as_of(
                &vs,
                "P2",
                "standard_labor_hours_per_unit",
                Some("2025-03-01T00:00:00Z"),
                Some(0.7)
            ),
            Some(0.7),
            "no history: the current value"
        );
    }

    #[test]
    fn record_row_backfills_the_previous_value_and_closes_versions() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE standard_history (id INTEGER PRIMARY KEY, client_id TEXT, entity TEXT, entity_id TEXT, field TEXT, value TEXT, effective_from TEXT, effective_to TEXT, changed_by TEXT)",
        )
        .unwrap();
        let row = |x: Value| serde_json::Map::from_iter([("opportunities_per_unit".to_owned(), x)]);
        // A row stored before versioning: its old value becomes the first version.
        record_row(
            &c,
            "C",
            "PART_OPPORTUNITIES",
            "C.P",
            &PART_FIELDS,
            &row(Value::from(5)),
            Some(&row(Value::from(3))),
            "u",
        )
        .unwrap();
        let vs = versions(&c, "C", "PART_OPPORTUNITIES").unwrap();
        assert_eq!(vs.len(), 2);
        assert_eq!(vs[0].value, Value::from(3));
        assert_eq!(vs[0].to.as_deref(), Some(vs[1].from.as_str()));
        assert_eq!(vs[1].value, Value::from(5));
        assert!(vs[1].to.is_none());
        assert_eq!(
            value_at(&vs, "C.P", "opportunities_per_unit", "2000-01-01T00:00:00Z"),
            Some(&Value::from(3))
        );
        // An unchanged value adds nothing.
        record_row(
            &c,
            "C",
            "PART_OPPORTUNITIES",
            "C.P",
            &PART_FIELDS,
            &row(Value::from(5)),
            Some(&row(Value::from(5))),
            "u",
        )
        .unwrap();
        assert_eq!(versions(&c, "C", "PART_OPPORTUNITIES").unwrap().len(), 2);
    }
}
