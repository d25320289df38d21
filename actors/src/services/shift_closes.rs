//! Shift status and close (api.md "shift-status", "shift-closes"): which line-shifts of a
//! client have data, which are expected but empty, and closing (locking) a line-shift. A close
//! never blocks on missing data; it reports it. Reopening = soft delete (ADMIN); closing again
//! reactivates the same row (audited). The lock itself is enforced in `shift_lock`.
use super::clients::{visible_client, writable_client};
use super::shift_lock::{LineShift, is_closed};
use crate::domain::time::{now_ts, parse_day, today_utc};
use crate::domain::{Caller, FieldError, Role};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::resources::defs::SHIFT_TYPES;
use crate::store::StoreError;
use crate::store::audit::{self, AuditEntry};
use chrono::{Datelike, Duration, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

/// The four entry tables a line-shift is expected to have (`missing` names the empty ones).
pub(crate) const COUNTED: [(&str, &str); 4] = [
    ("production", "production_entries"),
    ("attendance", "attendance_entries"),
    ("downtime", "downtime_entries"),
    ("quality", "quality_entries"),
];
/// A shift type is expected on a date when the client entered production for it within the
/// 14 days before (spec README, Operations).
const EXPECTED_LOOKBACK_DAYS: i64 = 14;
const MAX_STATUS_DAYS: i64 = 92;

fn invalid(field: &str, message: &str) -> EngineError {
    EngineError::Invalid {
        code: "validation_failed",
        message: format!("invalid {field}"),
        details: vec![FieldError::new(field, message)],
    }
}

fn day(body: &Map<String, Value>, field: &str) -> Result<NaiveDate, EngineError> {
    body.get(field)
        .and_then(Value::as_str)
        .and_then(parse_day)
        .ok_or_else(|| invalid(field, "is required as a date (YYYY-MM-DD)"))
}

fn shift_type(body: &Map<String, Value>) -> Result<String, EngineError> {
    body.get("shift_type")
        .and_then(Value::as_str)
        .filter(|s| SHIFT_TYPES.contains(s))
        .map(str::to_owned)
        .ok_or_else(|| {
            invalid(
                "shift_type",
                &format!("is required, one of {}", SHIFT_TYPES.join(", ")),
            )
        })
}

/// `from`/`to` of a status or list query: default the last 7 days; at most 92 days.
fn window(from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), EngineError> {
    let parse = |v: Option<&str>, f: &str| {
        v.map(|s| parse_day(s).ok_or_else(|| invalid(f, "must be a date (YYYY-MM-DD)")))
            .transpose()
    };
    let to_day = parse(to, "to")?.unwrap_or_else(today_utc);
    let from_day = parse(from, "from")?.unwrap_or(to_day - Duration::days(6));
    if from_day > to_day {
        return Err(EngineError::Invalid {
            code: "invalid_range",
            message: "from is after to".into(),
            details: vec![FieldError::new("from", "must not be after to")],
        });
    }
    if (to_day - from_day).num_days() >= MAX_STATUS_DAYS {
        return Err(EngineError::Invalid {
            code: "range_too_large",
            message: format!("at most {MAX_STATUS_DAYS} days"),
            details: vec![FieldError::new("from", "the window is too long")],
        });
    }
    Ok((from_day, to_day))
}

fn close_id(ls: &LineShift) -> String {
    format!(
        "{}.{}.{}",
        ls.client_id,
        ls.shift_date.replace('-', ""),
        ls.shift_type
    )
}

fn close_row(conn: &Connection, id: &str) -> Result<Option<Map<String, Value>>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT shift_close_id, client_id, shift_date, shift_type, closed_by, closed_at, \
             is_active, deleted_at, deleted_by FROM shift_closes WHERE shift_close_id = ?1",
        )?
        .query_row([id], |r| {
            let mut m = Map::new();
            for (i, name) in [
                "shift_close_id",
                "client_id",
                "shift_date",
                "shift_type",
                "closed_by",
                "closed_at",
            ]
            .iter()
            .enumerate()
            {
                m.insert((*name).into(), Value::String(r.get(i)?));
            }
            m.insert("is_active".into(), Value::Bool(r.get::<_, i64>(6)? == 1));
            m.insert("deleted_at".into(), json!(r.get::<_, Option<String>>(7)?));
            m.insert("deleted_by".into(), json!(r.get::<_, Option<String>>(8)?));
            Ok(m)
        })
        .optional()?)
}

pub(crate) fn count(conn: &Connection, table: &str, ls: &LineShift) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM {table} WHERE client_id = ?1 AND shift_date = ?2 \
             AND shift_type = ?3 AND is_active = 1"
        ))?
        .query_row(params![ls.client_id, ls.shift_date, ls.shift_type], |r| {
            r.get(0)
        })?)
}

fn counts(
    conn: &Connection,
    ls: &LineShift,
) -> Result<(Map<String, Value>, Vec<Value>), StoreError> {
    let mut counts = Map::new();
    let mut missing = Vec::new();
    for (name, table) in COUNTED {
        let n = count(conn, table, ls)?;
        if n == 0 {
            missing.push(Value::String(name.into()));
        }
        counts.insert(name.into(), Value::from(n));
    }
    Ok((counts, missing))
}

const WEEKDAYS: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

/// `MON`…`SUN` of a date, as SHIFT.days_of_week spells it.
pub(crate) fn weekday_name(day: NaiveDate) -> &'static str {
    WEEKDAYS[day.weekday().num_days_from_monday() as usize]
}

/// SHIFT.days_of_week (`MON,TUE,…`, any case and spacing) as a list; blank = empty.
pub(crate) fn parse_days(raw: Option<String>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(|d| d.trim().to_ascii_uppercase())
        .filter(|d| !d.is_empty())
        .collect()
}

/// (shift type, its `days_of_week`) of the client's active shifts.
fn shift_days(conn: &Connection, client: &str) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT shift_type, days_of_week FROM shifts WHERE client_id = ?1 AND is_active = 1",
    )?;
    let rows = stmt.query_map([client], |r| {
        Ok((r.get::<_, String>(0)?, parse_days(r.get(1)?)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Shift types with production in the 14 days before `date`.
pub(crate) fn expected_types(
    conn: &Connection,
    client: &str,
    date: NaiveDate,
) -> Result<Vec<String>, StoreError> {
    let from = (date - Duration::days(EXPECTED_LOOKBACK_DAYS)).to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT shift_type FROM production_entries WHERE client_id = ?1 \
         AND shift_date >= ?2 AND shift_date < ?3 AND is_active = 1",
    )?;
    let rows = stmt.query_map(params![client, from, date.to_string()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn audit_close(
    tx: &Connection,
    caller: &Caller,
    ls: &LineShift,
    action: &str,
) -> Result<(), StoreError> {
    let id = close_id(ls);
    let mut e = AuditEntry::new(
        Some(&caller.user_id),
        Some(&ls.client_id),
        "SHIFT_CLOSE",
        &id,
        action,
    );
    e.new_value =
        Some(json!({"shift_date": ls.shift_date, "shift_type": ls.shift_type}).to_string());
    audit::record(tx, &e)
}

impl Engine {
    /// POST /api/clients/{id}/shift-closes `{shift_date, shift_type}` (ADMIN, assigned
    /// LEADER) → the SHIFT_CLOSE row plus `missing`; already closed → 409.
    pub async fn close_shift(
        &self,
        caller: &Caller,
        client_id: String,
        body: Map<String, Value>,
    ) -> Result<Value, EngineError> {
        let date = day(&body, "shift_date")?;
        let shift_type = shift_type(&body)?;
        let caller = caller.clone();
        self.write(move |tx| {
            writable_client(tx, &caller, &client_id)?;
            if !matches!(caller.role, Role::Admin | Role::LeaderDataconfig) {
                return Err(EngineError::forbidden(
                    "only an ADMIN or an assigned LEADER may close a shift",
                ));
            }
            let ls = LineShift {
                client_id: client_id.clone(),
                shift_date: date.to_string(),
                shift_type,
            };
            if is_closed(tx, &ls)? {
                return Err(EngineError::conflict(
                    "shift_already_closed",
                    format!("{} {} of client {client_id} is already closed", ls.shift_date, ls.shift_type),
                ));
            }
            let id = close_id(&ls);
            let now = now_ts();
            tx.prepare_cached(
                "INSERT INTO shift_closes (shift_close_id, client_id, shift_date, shift_type, \
                 closed_by, closed_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5) \
                 ON CONFLICT (shift_close_id) DO UPDATE SET is_active = 1, deleted_at = NULL, \
                 deleted_by = NULL, closed_by = excluded.closed_by, closed_at = excluded.closed_at, \
                 updated_by = excluded.closed_by, updated_at = excluded.closed_at",
            )
            .map_err(StoreError::from)?
            .execute(params![id, ls.client_id, ls.shift_date, ls.shift_type, caller.user_id, now])
            .map_err(StoreError::from)?;
            audit_close(tx, &caller, &ls, "CREATE")?;
            let (_, missing) = counts(tx, &ls)?;
            let mut row = close_row(tx, &id)?.unwrap_or_default();
            row.insert("missing".into(), Value::Array(missing));
            Ok(Value::Object(row))
        })
        .await
    }

    /// DELETE /api/clients/{id}/shift-closes/{shift_close_id} (ADMIN) = reopen.
    pub async fn reopen_shift(
        &self,
        caller: &Caller,
        client_id: String,
        close_id: String,
    ) -> Result<Value, EngineError> {
        let caller = caller.clone();
        self.write(move |tx| {
            writable_client(tx, &caller, &client_id)?;
            if caller.role != Role::Admin {
                return Err(EngineError::forbidden("only an ADMIN may reopen a shift"));
            }
            let row = close_row(tx, &close_id)?
                .filter(|r| r["client_id"] == client_id.as_str() && r["is_active"] == true)
                .ok_or_else(|| EngineError::not_found(format!("shift close {close_id}")))?;
            tx.prepare_cached(
                "UPDATE shift_closes SET is_active = 0, deleted_at = ?2, deleted_by = ?3 \
                 WHERE shift_close_id = ?1",
            )
            .map_err(StoreError::from)?
            .execute(params![close_id, now_ts(), caller.user_id])
            .map_err(StoreError::from)?;
            let ls = LineShift {
                client_id: client_id.clone(),
                shift_date: row["shift_date"].as_str().unwrap_or_default().to_owned(),
                shift_type: row["shift_type"].as_str().unwrap_or_default().to_owned(),
            };
            audit_close(tx, &caller, &ls, "DELETE")?;
            Ok(Value::Object(close_row(tx, &close_id)?.unwrap_or_default()))
        })
        .await
    }

    /// GET /api/clients/{id}/shift-closes?from&to: active closes, newest first.
    pub async fn list_shift_closes(
        &self,
        caller: &Caller,
        client_id: String,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<Value, EngineError> {
        let (from, to) = window(from.as_deref(), to.as_deref())?;
        let caller = caller.clone();
        self.read(move |conn| {
            visible_client(conn, &caller, &client_id)?;
            let mut stmt = conn
                .prepare_cached(
                    "SELECT shift_close_id FROM shift_closes WHERE client_id = ?1 AND is_active = 1 \
                     AND shift_date BETWEEN ?2 AND ?3 ORDER BY shift_date DESC, shift_type",
                )
                .map_err(StoreError::from)?;
            let ids: Vec<String> = stmt
                .query_map(params![client_id, from.to_string(), to.to_string()], |r| r.get(0))
                .and_then(|rows| rows.collect())
                .map_err(StoreError::from)?;
            let mut items = Vec::new();
            for id in ids {
                if let Some(row) = close_row(conn, &id)? {
                    items.push(Value::Object(row));
                }
            }
            Ok(json!({ "items": items }))
        })
        .await
    }

    /// GET /api/clients/{id}/shift-status?from&to: per date and shift type that is expected,
    /// has data or is closed: counts, missing resources, closed and its id. Newest date first.
    pub async fn shift_status(
        &self,
        caller: &Caller,
        client_id: String,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<Value, EngineError> {
        let (from, to) = window(from.as_deref(), to.as_deref())?;
        let caller = caller.clone();
        self.read(move |conn| {
            visible_client(conn, &caller, &client_id)?;
            let days = shift_days(conn, &client_id)?;
            let mut items = Vec::new();
            let mut date = to;
            while date >= from {
                let weekday = weekday_name(date);
                let mut expected = expected_types(conn, &client_id, date)?;
                // …and only on the shift's own days (SHIFT.days_of_week; blank = every day).
                expected.retain(|t| {
                    days.iter()
                        .find(|(st, _)| st == t)
                        .is_none_or(|(_, d)| d.is_empty() || d.iter().any(|x| x == weekday))
                });
                for st in SHIFT_TYPES {
                    let ls = LineShift {
                        client_id: client_id.clone(),
                        shift_date: date.to_string(),
                        shift_type: (*st).to_owned(),
                    };
                    let (counts, missing) = counts(conn, &ls)?;
                    let closed = is_closed(conn, &ls)?;
                    let is_expected = expected.iter().any(|e| e == st);
                    let any = counts.values().any(|v| v.as_i64() > Some(0));
                    if !(is_expected || any || closed) {
                        continue;
                    }
                    items.push(json!({
                        "shift_date": ls.shift_date,
                        "shift_type": ls.shift_type,
                        "expected": is_expected,
                        "counts": counts,
                        "missing": missing,
                        "closed": closed,
                        "shift_close_id": closed.then(|| close_id(&ls)),
                    }));
                }
                date -= Duration::days(1);
            }
            Ok(json!({ "items": items }))
        })
        .await
    }
}
