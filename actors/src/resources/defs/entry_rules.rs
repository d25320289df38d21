//! Cross-field rules, hooks and read-time values of the data-entry resources (domain.md
//! §5.10–5.16); the declarations are in `entries`.
use super::{WORK_ORDERS, at_most, before, blank, count, day, flag, not_future, num, text};
use crate::domain::FieldError;
use crate::error::EngineError;
use crate::resources::{AfterWrite, CheckCtx, repo};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value};

/// Accepted with the warning `work_order_closed` (ingest.md §4).
fn warn_closed_work_order(rec: &Map<String, Value>, ctx: &CheckCtx) -> rusqlite::Result<()> {
    if let Some(wo) = text(rec, "work_order_id") {
        let status: Option<String> = ctx
            .conn
            .prepare_cached("SELECT status FROM work_orders WHERE work_order_id = ?1")?
            .query_row([wo], |r| r.get(0))
            .optional()?;
        if status
            .as_deref()
            .is_some_and(|s| matches!(s, "COMPLETED" | "REJECTED" | "CANCELLED"))
        {
            ctx.warn(
                "work_order_id",
                "work_order_closed",
                format!("work order {wo} is closed"),
            );
        }
    }
    Ok(())
}

fn missing_recommended(rec: &Map<String, Value>, ctx: &CheckCtx, k: &str) {
    if blank(rec, k) {
        ctx.warn(k, "missing_recommended", format!("{k} is recommended"));
    }
}

/// The row's own key ("" on create): rules comparing with other rows exclude it.
fn own<'r>(rec: &'r Map<String, Value>, key: &str) -> &'r str {
    text(rec, key).unwrap_or("")
}

fn active(rec: &Map<String, Value>) -> bool {
    rec.get("is_active").and_then(Value::as_bool) != Some(false)
}

pub(super) fn check_production(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    not_future(rec, "shift_date", ctx, &mut errors);
    at_most(rec, "units_defective", "units_produced", &mut errors);
    at_most(rec, "run_time_hours", "shift_hours_scheduled", &mut errors);
    at_most(rec, "employees_present", "employees_assigned", &mut errors);
    if num(rec, "employees_assigned").is_some_and(|n| n > ctx.max_employees as f64) {
        errors.push(FieldError::new(
            "employees_assigned",
            format!(
                "must be at most MAX_EMPLOYEES_PER_CLIENT ({})",
                ctx.max_employees
            ),
        ));
    }
    warn_closed_work_order(rec, ctx)?;
    Ok(errors)
}

pub(super) fn check_downtime(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    not_future(rec, "shift_date", ctx, &mut errors);
    warn_closed_work_order(rec, ctx)?;
    let same = count(
        ctx.conn,
        "SELECT count(*) FROM downtime_entries WHERE is_active = 1 AND downtime_entry_id <> ?1 \
         AND work_order_id = ?2 AND shift_date = ?3 AND shift_type = ?4 \
         AND coalesce(downtime_reason, '') = coalesce(?5, '') AND downtime_duration_minutes = ?6 \
         AND coalesce(downtime_start_time, '') = coalesce(?7, '')",
        rusqlite::params![
            own(rec, "downtime_entry_id"),
            text(rec, "work_order_id"),
            text(rec, "shift_date"),
            text(rec, "shift_type"),
            text(rec, "downtime_reason"),
            num(rec, "downtime_duration_minutes").map(|m| m as i64),
            text(rec, "downtime_start_time"),
        ],
    )?;
    if same > 0 {
        ctx.warn(
            "downtime_duration_minutes",
            "possible_duplicate",
            "an identical downtime row exists (same work order, date, shift, reason, minutes, start)",
        );
    }
    Ok(errors)
}

/// `impact_on_wip_hours` = minutes / 60 × employees affected; blank → the crew of the matching
/// production entry, else the shift's standard employees (domain.md §5.11).
pub(super) fn present_downtime(
    conn: &rusqlite::Connection,
    row: &mut Map<String, Value>,
) -> rusqlite::Result<()> {
    let minutes = num(row, "downtime_duration_minutes");
    let mut people = num(row, "employees_affected");
    if people.is_none() {
        people = conn
            .prepare_cached(
                "SELECT employees_assigned FROM production_entries WHERE work_order_id = ?1 AND shift_date = ?2 \
                 AND shift_type = ?3 AND is_active = 1 AND employees_assigned IS NOT NULL LIMIT 1",
            )?
            .query_row(
                [
                    text(row, "work_order_id"),
                    text(row, "shift_date"),
                    text(row, "shift_type"),
                ],
                |r| r.get::<_, f64>(0),
            )
            .optional()?;
    }
    if people.is_none() {
        people = conn
            .prepare_cached(
                "SELECT standard_employees FROM shifts WHERE client_id = ?1 AND shift_type = ?2 AND is_active = 1",
            )?
            .query_row([text(row, "client_id"), text(row, "shift_type")], |r| {
                r.get::<_, f64>(0)
            })
            .optional()?;
    }
    let impact = minutes
        .zip(people)
        .and_then(|(m, p)| serde_json::Number::from_f64(m / 60.0 * p));
    row.insert(
        "impact_on_wip_hours".into(),
        impact.map_or(Value::Null, Value::Number),
    );
    Ok(())
}

fn at_time(rec: &Map<String, Value>, date: &str, time: &str) -> Option<chrono::NaiveDateTime> {
    let d = day(rec, date)?;
    let t = text(rec, time)
        .and_then(crate::domain::time::parse_time)
        .unwrap_or_default();
    Some(d.and_time(t))
}

pub(super) fn check_hold(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    let status = text(rec, "hold_status").unwrap_or_default().to_owned();
    let was = before(ctx, "hold_status")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(was) = was.as_deref()
        && was != status
        && !(was == "ON_HOLD" && matches!(status.as_str(), "RESUMED" | "CANCELLED"))
    {
        errors.push(FieldError::new(
            "hold_status",
            format!(
                "cannot change from {was} to {status}: ON_HOLD → RESUMED or CANCELLED; \
                 RESUMED and CANCELLED are final (hold again = a new entry)"
            ),
        ));
    }
    if matches!(status.as_str(), "ON_HOLD" | "RESUMED") && blank(rec, "hold_date") {
        errors.push(FieldError::new(
            "hold_date",
            format!("is required when hold_status is {status}"),
        ));
    }
    not_future(rec, "hold_date", ctx, &mut errors);
    not_future(rec, "resume_date", ctx, &mut errors);
    match status.as_str() {
        "RESUMED" if blank(rec, "resume_date") => errors.push(FieldError::new(
            "resume_date",
            "is required when hold_status is RESUMED",
        )),
        "ON_HOLD" if !blank(rec, "resume_date") => errors.push(FieldError::new(
            "resume_date",
            "must be blank while hold_status is ON_HOLD",
        )),
        _ => {}
    }
    if let (Some(h), Some(r)) = (day(rec, "hold_date"), day(rec, "resume_date"))
        && r < h
    {
        errors.push(FieldError::new(
            "resume_date",
            format!("resume_date ({r}) before hold_date ({h})"),
        ));
    }
    if status == "RESUMED" && was.as_deref() != Some("RESUMED") {
        if blank(rec, "resume_approved_by_user_id") {
            rec.insert(
                "resume_approved_by_user_id".into(),
                Value::String(ctx.user.to_owned()),
            );
        }
        if blank(rec, "resume_approved_at") {
            rec.insert(
                "resume_approved_at".into(),
                Value::String(crate::domain::time::now_ts()),
            );
        }
    }
    let mut duration = Value::Null;
    if status == "RESUMED"
        && let (Some(from), Some(to)) = (
            at_time(rec, "hold_date", "hold_time"),
            at_time(rec, "resume_date", "resume_time"),
        )
    {
        let hours = (to - from).num_minutes() as f64 / 60.0;
        if hours < 0.0 {
            errors.push(FieldError::new(
                "resume_time",
                "the resume is before the hold",
            ));
        } else if let Some(n) = serde_json::Number::from_f64(hours) {
            duration = Value::Number(n);
        }
    }
    rec.insert("total_hold_duration_hours".into(), duration);
    missing_recommended(rec, ctx, "hold_reason_detail");
    if status == "ON_HOLD"
        && active(rec)
        && let Some(wo) = text(rec, "work_order_id")
    {
        let job = text(rec, "job_id");
        let open: Option<String> = ctx
            .conn
            .prepare_cached(
                "SELECT hold_entry_id FROM hold_entries WHERE work_order_id = ?1 AND coalesce(job_id, '') = coalesce(?2, '') \
                 AND hold_status = 'ON_HOLD' AND is_active = 1 AND hold_entry_id <> ?3 LIMIT 1",
            )?
            .query_row(rusqlite::params![wo, job, own(rec, "hold_entry_id")], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(other) = open {
            let what = job.map_or_else(|| format!("work order {wo}"), |j| format!("job {j}"));
            return Err(EngineError::conflict_on(
                "hold_already_open",
                if job.is_some() {
                    "job_id"
                } else {
                    "work_order_id"
                },
                format!("{what} already has an open hold ({other}); resume or cancel it first"),
            ));
        }
    }
    Ok(errors)
}

/// The work order's ON_HOLD status follows its open work-order-level holds (domain.md §5.8):
/// ACTIVE ↔ ON_HOLD only; a closed order keeps its status.
pub fn sync_work_order_status(
    conn: &rusqlite::Connection,
    work_order_id: &str,
    write: &crate::domain::RowWrite,
    user: &str,
) -> Result<(), EngineError> {
    let open = count(
        conn,
        "SELECT count(*) FROM hold_entries WHERE work_order_id = ?1 AND job_id IS NULL \
         AND hold_status = 'ON_HOLD' AND is_active = 1",
        [work_order_id],
    )?;
    let Some(wo) = repo::get_unscoped(conn, &WORK_ORDERS, work_order_id)?
        .filter(|wo| wo.get("is_active").and_then(Value::as_bool) == Some(true))
    else {
        return Ok(());
    };
    let status = text(&wo, "status").unwrap_or_default();
    let next = match (open > 0, status) {
        (true, "ACTIVE") => "ON_HOLD",
        (false, "ON_HOLD") => "ACTIVE",
        _ => return Ok(()),
    };
    let mut change = Map::new();
    change.insert("status".into(), Value::String(next.into()));
    repo::update(conn, &WORK_ORDERS, write, &wo, &change, user)?;
    Ok(())
}

/// Attendance and coverage rows that name a floater change whether that floater is idle at the
/// clients it is assigned to (kpis.md §4.4), so those clients' cached KPIs go stale too
/// (clarification "a write that names a floater also refreshes … the floater's assigned
/// clients"). Runs in the writer job, so the touch lands with the commit.
pub(super) fn floater_after_write(
    conn: &rusqlite::Connection,
    w: &AfterWrite,
) -> Result<(), EngineError> {
    const FIELDS: [&str; 3] = [
        "employee_id",
        "covered_by_floating_employee_id",
        "floating_employee_id",
    ];
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT assigned_to_client FROM floating_pool \
         WHERE employee_id = ?1 AND is_active = 1 AND assigned_to_client IS NOT NULL",
    )?;
    let mut seen: Vec<&str> = Vec::new();
    for row in std::iter::once(w.row).chain(w.before) {
        for id in FIELDS.iter().filter_map(|f| text(row, f)) {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let clients = stmt.query_map([id], |r| r.get::<_, String>(0))?;
            for client in clients {
                crate::store::writer::touch(&client?);
            }
        }
    }
    Ok(())
}

pub(super) fn hold_after_write(
    conn: &rusqlite::Connection,
    w: &AfterWrite,
) -> Result<(), EngineError> {
    let now = text(w.row, "work_order_id");
    let then = w.before.and_then(|b| text(b, "work_order_id"));
    for wo in [now, then.filter(|t| Some(*t) != now)]
        .into_iter()
        .flatten()
    {
        sync_work_order_status(conn, wo, w.write, w.user)?;
    }
    Ok(())
}

pub(super) fn check_attendance(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    not_future(rec, "shift_date", ctx, &mut errors);
    at_most(rec, "actual_hours", "scheduled_hours", &mut errors);
    at_most(rec, "absence_hours", "scheduled_hours", &mut errors);
    if flag(rec, "is_absent") {
        missing_recommended(rec, ctx, "absence_type");
    } else {
        for k in [
            "absence_type",
            "absence_hours",
            "covered_by_floating_employee_id",
        ] {
            if !blank(rec, k) {
                errors.push(FieldError::new(k, "is allowed only when is_absent is true"));
            }
        }
        missing_recommended(rec, ctx, "actual_hours");
    }
    let floater = text(rec, "covered_by_floating_employee_id");
    if floater.is_some() && floater == text(rec, "employee_id") {
        errors.push(FieldError::new(
            "covered_by_floating_employee_id",
            "must differ from employee_id",
        ));
    }
    if let Some(fl) = floater
        && active(rec)
        && errors.is_empty()
    {
        let (date, shift) = (
            text(rec, "shift_date").unwrap_or(""),
            text(rec, "shift_type").unwrap_or(""),
        );
        let n = count(
            ctx.conn,
            "SELECT count(*) FROM attendance_entries WHERE covered_by_floating_employee_id = ?1 \
             AND shift_date = ?2 AND shift_type = ?3 AND is_active = 1 AND attendance_entry_id <> ?4",
            [fl, date, shift, own(rec, "attendance_entry_id")],
        )?;
        if n > 0 {
            return Err(EngineError::conflict_on(
                "floater_double_booked",
                "covered_by_floating_employee_id",
                format!("Floater {fl} already covers an absence on {date} {shift}"),
            ));
        }
    }
    Ok(errors)
}

pub(super) fn check_coverage(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    not_future(rec, "shift_date", ctx, &mut errors);
    let floater = text(rec, "floating_employee_id").unwrap_or("").to_owned();
    let absent = text(rec, "absent_employee_id").unwrap_or("").to_owned();
    if floater == absent {
        errors.push(FieldError::new(
            "floating_employee_id",
            "must differ from absent_employee_id",
        ));
    }
    let (date, shift) = (
        text(rec, "shift_date").unwrap_or("").to_owned(),
        text(rec, "shift_type").unwrap_or("").to_owned(),
    );
    if active(rec) && errors.is_empty() {
        let n = count(
            ctx.conn,
            "SELECT count(*) FROM coverage_entries WHERE floating_employee_id = ?1 AND shift_date = ?2 \
             AND shift_type = ?3 AND is_active = 1 AND coverage_entry_id <> ?4",
            [
                floater.as_str(),
                &date,
                &shift,
                own(rec, "coverage_entry_id"),
            ],
        )?;
        if n > 0 {
            return Err(EngineError::conflict_on(
                "floater_double_booked",
                "floating_employee_id",
                format!("Floater {floater} already covers someone on {date} {shift}"),
            ));
        }
    }
    let other: Option<String> = ctx
        .conn
        .prepare_cached(
            "SELECT covered_by_floating_employee_id FROM attendance_entries WHERE employee_id = ?1 \
             AND shift_date = ?2 AND shift_type = ?3 AND is_active = 1 AND covered_by_floating_employee_id IS NOT NULL",
        )?
        .query_row([&absent, &date, &shift], |r| r.get(0))
        .optional()?;
    if let Some(o) = other.filter(|o| *o != floater) {
        ctx.warn(
            "floating_employee_id",
            "coverage_mismatch",
            format!("the attendance row of {absent} names floater {o}"),
        );
    }
    Ok(errors)
}

pub(super) fn check_quality(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    let mut errors = Vec::new();
    not_future(rec, "shift_date", ctx, &mut errors);
    at_most(rec, "units_passed", "units_inspected", &mut errors);
    at_most(rec, "units_defective", "units_inspected", &mut errors);
    if let (Some(p), Some(d), Some(i)) = (
        num(rec, "units_passed"),
        num(rec, "units_defective"),
        num(rec, "units_inspected"),
    ) && p + d > i
        && p <= i
        && d <= i
    {
        errors.push(FieldError::new(
            "units_defective",
            format!("units_passed ({p}) + units_defective ({d}) exceed units_inspected ({i})"),
        ));
    }
    if let (Some(d), rw, rp) = (
        num(rec, "units_defective"),
        num(rec, "units_requiring_rework"),
        num(rec, "units_requiring_repair"),
    ) && rw.unwrap_or(0.0) + rp.unwrap_or(0.0) > d
    {
        ctx.warn(
            "units_requiring_rework",
            "rework_repair_exceeds_defective",
            "units_requiring_rework + units_requiring_repair exceed units_defective",
        );
    }
    if text(rec, "inspection_method") == Some("SAMPLE_CHECK") && blank(rec, "sample_size_percent") {
        ctx.warn(
            "sample_size_percent",
            "sample_size_missing",
            "sample_size_percent is expected with SAMPLE_CHECK",
        );
    }
    warn_closed_work_order(rec, ctx)?;
    Ok(errors)
}

pub(super) fn check_defect(
    rec: &mut Map<String, Value>,
    ctx: &CheckCtx,
) -> Result<Vec<FieldError>, EngineError> {
    missing_recommended(rec, ctx, "defect_description");
    Ok(Vec::new())
}
