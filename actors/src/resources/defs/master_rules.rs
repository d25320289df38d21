//! Cross-field rules, hooks and read-time values of master data (domain.md §5.3–5.9); the
//! declarations are in `master`.
use super::entry_rules::sync_work_order_status;
use super::{at_most, before, blank, count, day, flag, not_future, num, text};
use crate::domain::FieldError;
use crate::error::EngineError;
use crate::resources::{AfterWrite, CheckCtx};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value};

pub(super) fn check_product(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    part_in_master(rec, ctx)?;
    Ok(Vec::new())
}

/// Warning `part_not_in_master` when the part number has no PART_OPPORTUNITIES row.
fn part_in_master(rec: &Map<String, Value>, ctx: &CheckCtx) -> rusqlite::Result<()> {
    if let (Some(part), Some(client)) = (text(rec, "part_number"), text(rec, "client_id"))
        && count(
            ctx.conn,
            "SELECT count(*) FROM part_opportunities WHERE client_id = ?1 AND part_number = ?2 AND is_active = 1",
            [client, part],
        )? == 0
    {
        ctx.warn(
            "part_number",
            "part_not_in_master",
            format!("part_number {part} has no part-opportunities row for client {client}"),
        );
    }
    Ok(())
}

pub(super) fn check_shift(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    if num(rec, "standard_employees").is_some_and(|n| n > ctx.max_employees as f64) {
        errors.push(FieldError::new(
            "standard_employees",
            format!(
                "must be at most MAX_EMPLOYEES_PER_CLIENT ({})",
                ctx.max_employees
            ),
        ));
    }
    Ok(errors)
}

fn is_closed(status: &str) -> bool {
    matches!(status, "COMPLETED" | "REJECTED" | "CANCELLED")
}

pub(super) fn check_work_order(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    for k in ["actual_start_date", "actual_ship_date", "final_ship_date"] {
        not_future(rec, k, ctx, &mut errors);
    }
    if let (Some(a), Some(fin)) = (day(rec, "actual_ship_date"), day(rec, "final_ship_date"))
        && fin < a
    {
        errors.push(FieldError::new(
            "final_ship_date",
            "must be on or after actual_ship_date",
        ));
    }
    if let (Some(s), Some(p)) = (num(rec, "shipped_quantity"), num(rec, "planned_quantity"))
        && s > p
    {
        ctx.warn(
            "shipped_quantity",
            "over_shipped",
            format!("shipped_quantity ({s}) exceeds planned_quantity ({p})"),
        );
    }
    let id = text(rec, "work_order_id").unwrap_or_default().to_owned();
    let status = text(rec, "status").unwrap_or("ACTIVE").to_owned();
    let before_status = before(ctx, "status")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let was_closed = before_status.as_deref().is_some_and(is_closed);
    let open_holds = |wo_level_only: bool| {
        count(
            ctx.conn,
            &format!(
                "SELECT count(*) FROM hold_entries WHERE work_order_id = ?1 AND is_active = 1 \
                 AND hold_status = 'ON_HOLD'{}",
                if wo_level_only {
                    " AND job_id IS NULL"
                } else {
                    ""
                }
            ),
            [id.as_str()],
        )
    };
    if is_closed(&status) && !was_closed && ctx.before.is_some() {
        let n = open_holds(false)?;
        if n > 0 {
            return Err(EngineError::conflict_on(
                "open_holds",
                "status",
                format!(
                    "work order {id} has {n} open hold(s); resume or cancel them before closing it"
                ),
            ));
        }
    }
    // ON_HOLD is maintained by the server from hold entries (domain.md §5.8).
    let on_hold = status == "ON_HOLD";
    let was_on_hold = before_status.as_deref() == Some("ON_HOLD");
    if on_hold != was_on_hold && (on_hold || open_holds(true)? > 0) {
        return Err(EngineError::Invalid {
            code: "use_hold_entries",
            message: "ON_HOLD is set and cleared by hold entries; create or resume a hold entry"
                .into(),
            details: vec![FieldError::new(
                "status",
                "ON_HOLD is maintained from hold entries",
            )],
        });
    }
    if is_closed(&status) && !was_closed {
        if blank(rec, "closed_date") {
            rec.insert(
                "closed_date".into(),
                Value::String(ctx.today.format("%Y-%m-%d").to_string()),
            );
        }
        rec.insert(
            "closed_at".into(),
            Value::String(crate::domain::time::now_ts()),
        );
    } else if !is_closed(&status) {
        rec.insert("closed_date".into(), Value::Null);
        rec.insert("closed_at".into(), Value::Null);
    }
    if was_closed
        && is_closed(&status)
        && let Some(b) = ctx.before
        && b.get("ideal_cycle_time") != rec.get("ideal_cycle_time")
    {
        return Err(EngineError::conflict_on(
            "work_order_closed",
            "ideal_cycle_time",
            format!("work order {id} is closed; ideal_cycle_time can change only while it is open"),
        ));
    }
    Ok(errors)
}

/// A reopened (or restored) order with an open work-order-level hold is ON_HOLD at once.
pub(super) fn work_order_after_write(
    conn: &rusqlite::Connection,
    w: &AfterWrite,
) -> Result<(), EngineError> {
    match text(w.row, "work_order_id") {
        Some(id) => sync_work_order_status(conn, id, w.write, w.user),
        None => Ok(()),
    }
}

/// The smallest n ≥ 1 such that `<wo>-L<n>` is no job id yet (any client, deleted ones too:
/// the key is global).
fn next_job_line(conn: &rusqlite::Connection, wo: &str) -> rusqlite::Result<String> {
    let prefix = format!("{wo}-L");
    let mut stmt = conn
        .prepare_cached("SELECT substr(job_id, ?2) FROM jobs WHERE substr(job_id, 1, ?1) = ?3")?;
    let used: std::collections::BTreeSet<u64> = stmt
        .query_map(
            rusqlite::params![prefix.len() as i64, prefix.len() as i64 + 1, prefix],
            |r| r.get::<_, String>(0),
        )?
        .filter_map(|s| s.ok()?.parse::<u64>().ok())
        .collect();
    let n = (1..).find(|n| !used.contains(n)).unwrap_or(1);
    Ok(format!("{prefix}{n}"))
}

pub(super) fn check_job(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    at_most(rec, "quantity_completed", "quantity_ordered", &mut errors);
    if ctx.before.is_none() && blank(rec, "job_id") {
        let wo = text(rec, "work_order_id").unwrap_or_default().to_owned();
        let id = next_job_line(ctx.conn, &wo)?;
        if id.len() > 50 {
            errors.push(FieldError::new(
                "job_id",
                format!("the derived job id {id} is longer than 50 characters; send a job_id"),
            ));
        } else {
            rec.insert("job_id".into(), Value::String(id));
        }
    }
    part_in_master(rec, ctx)?;
    if let (Some(wo), Some(client)) = (text(rec, "work_order_id"), text(rec, "client_id")) {
        let planned: Option<i64> = ctx
            .conn
            .prepare_cached(
                "SELECT planned_quantity FROM work_orders WHERE work_order_id = ?1 AND client_id = ?2",
            )?
            .query_row([wo, client], |r| r.get(0))
            .optional()?;
        let others = count(
            ctx.conn,
            "SELECT coalesce(sum(quantity_ordered), 0) FROM jobs WHERE work_order_id = ?1 \
             AND is_active = 1 AND job_id <> ?2",
            [wo, text(rec, "job_id").unwrap_or("")],
        )?;
        let total = others + num(rec, "quantity_ordered").unwrap_or(0.0) as i64;
        if let Some(p) = planned
            && total != p
        {
            ctx.warn(
                "quantity_ordered",
                "planned_quantity_mismatch",
                format!("jobs of work order {wo} order {total} units; it plans {p}"),
            );
        }
    }
    Ok(errors)
}

pub(super) fn check_employee(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    let floating = flag(rec, "is_floating_pool");
    let client = text(rec, "client_id_assigned").map(str::to_owned);
    match (&client, floating) {
        (Some(_), true) => errors.push(FieldError::new(
            "client_id_assigned",
            "must be blank for a floating-pool employee",
        )),
        (None, false) => errors.push(FieldError::new(
            "client_id_assigned",
            "is required unless is_floating_pool is true",
        )),
        _ => {}
    }
    let active = rec.get("is_active").and_then(Value::as_bool) != Some(false);
    let joins = ctx.is_new_or_restored()
        || before(ctx, "client_id_assigned").and_then(Value::as_str) != client.as_deref()
        || before(ctx, "is_floating_pool").and_then(Value::as_bool) == Some(true);
    if let Some(c) = client.as_deref()
        && !floating
        && active
        && joins
    {
        let n = count(
            ctx.conn,
            "SELECT count(*) FROM employees WHERE client_id_assigned = ?1 AND is_active = 1 \
             AND is_floating_pool = 0 AND employee_id <> ?2",
            [c, text(rec, "employee_id").unwrap_or("")],
        )?;
        if n >= ctx.max_employees {
            return Err(EngineError::conflict_on(
                "employee_limit_reached",
                "client_id_assigned",
                format!("Client {c} already has {n} active employees (MAX_EMPLOYEES_PER_CLIENT)"),
            ));
        }
    }
    Ok(errors)
}

pub(super) fn check_floating_pool(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    let status = text(rec, "status").unwrap_or_default().to_owned();
    if status == "AVAILABLE" {
        // Ending an assignment by PATCH {"status": "AVAILABLE"} releases the client too.
        let named = ctx
            .sent
            .is_none_or(|s| s.contains_key("assigned_to_client"));
        if !named {
            rec.insert("assigned_to_client".into(), Value::Null);
        } else if !blank(rec, "assigned_to_client") {
            errors.push(FieldError::new(
                "assigned_to_client",
                "must be blank when status is AVAILABLE",
            ));
        }
    } else {
        for k in ["assigned_to_client", "assignment_start_date"] {
            if blank(rec, k) {
                errors.push(FieldError::new(k, "is required when status is ASSIGNED"));
            }
        }
    }
    if let (Some(s), Some(e)) = (
        day(rec, "assignment_start_date"),
        day(rec, "assignment_end_date"),
    ) && e < s
    {
        errors.push(FieldError::new(
            "assignment_end_date",
            "must be on or after assignment_start_date",
        ));
    }
    let active = rec.get("is_active").and_then(Value::as_bool) != Some(false);
    if status == "ASSIGNED"
        && active
        && errors.is_empty()
        && let (Some(emp), Some(start)) =
            (text(rec, "employee_id"), text(rec, "assignment_start_date"))
    {
        let end = text(rec, "assignment_end_date");
        let shift = text(rec, "shift_type");
        let clash: Option<(String, String, Option<String>)> = ctx
            .conn
            .prepare_cached(
                "SELECT floating_pool_id, assignment_start_date, assignment_end_date FROM floating_pool \
                 WHERE employee_id = ?1 AND status = 'ASSIGNED' AND is_active = 1 AND floating_pool_id <> ?2 \
                   AND assignment_start_date <= coalesce(?3, '9999-12-31') \
                   AND coalesce(assignment_end_date, '9999-12-31') >= ?4 \
                   AND (shift_type IS NULL OR ?5 IS NULL OR shift_type = ?5) LIMIT 1",
            )?
            .query_row(
                rusqlite::params![
                    emp,
                    text(rec, "floating_pool_id").unwrap_or(""),
                    end,
                    start,
                    shift
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((other, from, to)) = clash {
            return Err(EngineError::conflict_on(
                "floater_already_assigned",
                "employee_id",
                format!(
                    "Employee {emp} is already assigned from {from} to {} ({other})",
                    to.as_deref().unwrap_or("open end")
                ),
            ));
        }
    }
    Ok(errors)
}

/// `is_stale`: the row was last updated more than 24 h ago (domain.md §5.7).
pub(super) fn present_floating_pool(
    _: &rusqlite::Connection,
    row: &mut Map<String, Value>,
) -> rusqlite::Result<()> {
    let stale = text(row, "last_updated_at")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| chrono::Utc::now().signed_duration_since(t) > chrono::Duration::hours(24));
    row.insert("is_stale".into(), Value::Bool(stale));
    Ok(())
}
