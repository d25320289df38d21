//! The resources of domain.md §5, declared once. Field order = export column order.
use super::{CheckCtx, Default, Field, KeyRule, Kind, Req, Resource, f, fk};
use crate::domain::time::parse_day;
use crate::domain::{FieldError, Role};
use serde_json::{Map, Value};

pub const SHIFT_TYPES: &[&str] = &["SHIFT_1ST", "SHIFT_2ND", "SAT_OT", "SUN_OT", "OTHER"];
pub const WO_STATUS: &[&str] = &["ACTIVE", "ON_HOLD", "COMPLETED", "REJECTED", "CANCELLED"];
pub const PRIORITY: &[&str] = &["RUSH", "STANDARD", "LOW"];

const CLIENT: Kind = Kind::Text(20);
const HOURS_24: Kind = Kind::Dec {
    min: 0.0,
    max: 24.0,
    min_exclusive: true,
};
const STANDARD_100: Kind = Kind::Dec {
    min: 0.0,
    max: 100.0,
    min_exclusive: true,
};
const COUNT: Kind = Kind::Int {
    min: 0,
    max: i64::MAX,
};

pub static PRODUCTS: Resource = Resource {
    name: "products",
    entity: "PRODUCT",
    table: "products",
    key: "product_id",
    key_rule: KeyRule::User,
    date_key: None,
    fields: &[
        f("product_id", Kind::Id(50), Req::R),
        f("client_id", CLIENT, Req::R),
        f("style_model", Kind::Text(100), Req::O),
        f("part_number", Kind::Text(50), Req::O),
        f("description", Kind::Text(500), Req::O),
        f("category", Kind::Text(50), Req::O),
        f("standard_labor_hours_per_unit", STANDARD_100, Req::O),
        f("ideal_cycle_time_line", STANDARD_100, Req::O),
    ],
    filters: &["style_model", "part_number"],
    may_write: Role::may_edit_master_data,
    is_entry: false,
    check: no_check,
};

pub static SHIFTS: Resource = Resource {
    name: "shifts",
    entity: "SHIFT",
    table: "shifts",
    key: "shift_id",
    key_rule: KeyRule::ClientDot("shift_type"),
    date_key: None,
    fields: &[
        f("shift_id", Kind::Text(30), Req::S),
        f("client_id", CLIENT, Req::R),
        f(
            "shift_name",
            Kind::Text(50),
            Req::D(Default::Json("\"shift\"")),
        ),
        f("shift_type", Kind::Enum(SHIFT_TYPES), Req::R),
        f("start_time", Kind::Time, Req::O),
        f("end_time", Kind::Time, Req::O),
        f("standard_hours", HOURS_24, Req::R),
        f(
            "standard_employees",
            Kind::Int {
                min: 1,
                max: 100_000,
            },
            Req::R,
        ),
        f("is_overtime", Kind::Bool, Req::R),
        f("days_of_week", Kind::Text(27), Req::O),
    ],
    filters: &["shift_type"],
    may_write: Role::may_edit_master_data,
    is_entry: false,
    check: check_shift,
};

pub static WORK_ORDERS: Resource = Resource {
    name: "work-orders",
    entity: "WORK_ORDER",
    table: "work_orders",
    key: "work_order_id",
    key_rule: KeyRule::User,
    date_key: Some("planned_ship_date"),
    fields: &[
        f("work_order_id", Kind::Id(50), Req::R),
        f("client_id", CLIENT, Req::R),
        fk("product_id", Kind::Id(50), Req::O, "products", "product_id"),
        f("style_model", Kind::Text(100), Req::O),
        f(
            "planned_quantity",
            Kind::Int {
                min: 1,
                max: i64::MAX,
            },
            Req::R,
        ),
        f("planned_start_date", Kind::Date, Req::O),
        f("actual_start_date", Kind::Date, Req::O),
        f("planned_ship_date", Kind::Date, Req::I),
        f("required_date", Kind::Date, Req::O),
        f("ideal_cycle_time", STANDARD_100, Req::O),
        f(
            "status",
            Kind::Enum(WO_STATUS),
            Req::D(Default::Json("\"ACTIVE\"")),
        ),
        f("receipt_date", Kind::Date, Req::O),
        f("acknowledged_date", Kind::Date, Req::O),
        f(
            "priority_level",
            Kind::Enum(PRIORITY),
            Req::D(Default::Json("\"STANDARD\"")),
        ),
        f("po_number", Kind::Text(50), Req::O),
        f("notes", Kind::Notes(1000), Req::O),
        f("actual_ship_date", Kind::Date, Req::O),
        f("final_ship_date", Kind::Date, Req::O),
        f("shipped_quantity", COUNT, Req::O),
        f("closed_date", Kind::Date, Req::O),
        f("closed_at", Kind::Text(30), Req::S),
    ],
    filters: &["status", "style_model", "product_id", "priority_level"],
    may_write: Role::may_edit_master_data,
    is_entry: false,
    check: check_work_order,
};

pub static PRODUCTION: Resource = Resource {
    name: "production",
    entity: "PRODUCTION_ENTRY",
    table: "production_entries",
    key: "production_entry_id",
    key_rule: KeyRule::DatedSequence {
        date_field: "shift_date",
        tag: "PROD",
    },
    date_key: Some("shift_date"),
    fields: &[
        f("production_entry_id", Kind::Text(50), Req::S),
        fk(
            "work_order_id",
            Kind::Id(50),
            Req::R,
            "work_orders",
            "work_order_id",
        ),
        f("job_id", Kind::Id(50), Req::O),
        f("client_id", CLIENT, Req::R),
        f("shift_date", Kind::Date, Req::R),
        f("shift_type", Kind::Enum(SHIFT_TYPES), Req::R),
        f("operation_id", Kind::Text(50), Req::O),
        f("units_produced", COUNT, Req::R),
        f("units_defective", COUNT, Req::I),
        f(
            "run_time_hours",
            Kind::Dec {
                min: 0.0,
                max: 24.0,
                min_exclusive: false,
            },
            Req::I,
        ),
        f(
            "employees_assigned",
            Kind::Int {
                min: 1,
                max: 100_000,
            },
            Req::I,
        ),
        f("employees_present", COUNT, Req::O),
        f("data_collector_id", Kind::Text(20), Req::D(Default::Caller)),
        f("timestamp", Kind::Text(30), Req::O),
        f("verified_by", Kind::Text(20), Req::S),
        f("verified_at", Kind::Text(30), Req::S),
        f("notes", Kind::Notes(1000), Req::O),
        f("shift_hours_scheduled", HOURS_24, Req::I),
        f(
            "downtime_total_minutes",
            Kind::Int { min: 0, max: 1440 },
            Req::I,
        ),
        f(
            "efficiency_target",
            Kind::Dec {
                min: 0.0,
                max: 200.0,
                min_exclusive: false,
            },
            Req::O,
        ),
        f(
            "performance_target",
            Kind::Dec {
                min: 0.0,
                max: 200.0,
                min_exclusive: false,
            },
            Req::O,
        ),
    ],
    filters: &[
        "shift_type",
        "work_order_id",
        "job_id",
        "operation_id",
        "entry_method",
    ],
    may_write: Role::may_enter_data,
    is_entry: true,
    check: check_production,
};

/// Every resource served by the generic routes.
pub static ALL: [&Resource; 4] = [&WORK_ORDERS, &PRODUCTS, &SHIFTS, &PRODUCTION];

pub fn find(name: &str) -> Option<&'static Resource> {
    ALL.iter().copied().find(|r| r.name == name)
}

fn no_check(_: &mut Map<String, Value>, _: &CheckCtx) -> Vec<FieldError> {
    Vec::new()
}

fn num(rec: &Map<String, Value>, k: &str) -> Option<f64> {
    rec.get(k).and_then(Value::as_f64)
}

fn day(rec: &Map<String, Value>, k: &str) -> Option<chrono::NaiveDate> {
    rec.get(k).and_then(Value::as_str).and_then(parse_day)
}

fn not_future(rec: &Map<String, Value>, k: &str, ctx: &CheckCtx, errors: &mut Vec<FieldError>) {
    // Tolerance of one day: "today" is the client's local date, which may be ahead of UTC.
    if day(rec, k).is_some_and(|d| d > ctx.today + chrono::Days::new(1)) {
        errors.push(FieldError::new(k, "must not be in the future"));
    }
}

fn check_shift(rec: &mut Map<String, Value>, ctx: &CheckCtx) -> Vec<FieldError> {
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
    errors
}

fn check_work_order(rec: &mut Map<String, Value>, ctx: &CheckCtx) -> Vec<FieldError> {
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
    let status = rec
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("ACTIVE")
        .to_owned();
    let before_status = ctx
        .before
        .and_then(|b| b.get("status"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    // ON_HOLD is maintained by the server from hold entries (domain.md §5.8).
    if status == "ON_HOLD" && before_status.as_deref() != Some("ON_HOLD") {
        errors.push(FieldError::new(
            "status",
            "ON_HOLD is set by hold entries; create a hold entry instead",
        ));
    }
    let closed = matches!(status.as_str(), "COMPLETED" | "REJECTED" | "CANCELLED");
    let was_closed = before_status
        .as_deref()
        .is_some_and(|s| matches!(s, "COMPLETED" | "REJECTED" | "CANCELLED"));
    if closed && !was_closed {
        if rec.get("closed_date").is_none_or(Value::is_null) {
            rec.insert(
                "closed_date".into(),
                Value::String(ctx.today.format("%Y-%m-%d").to_string()),
            );
        }
        rec.insert(
            "closed_at".into(),
            Value::String(crate::domain::time::now_ts()),
        );
    } else if !closed {
        rec.insert("closed_date".into(), Value::Null);
        rec.insert("closed_at".into(), Value::Null);
    }
    if was_closed
        && let Some(b) = ctx.before
        && b.get("ideal_cycle_time") != rec.get("ideal_cycle_time")
    {
        errors.push(FieldError::new(
            "ideal_cycle_time",
            "can change only while the work order is open",
        ));
    }
    errors
}

fn check_production(rec: &mut Map<String, Value>, ctx: &CheckCtx) -> Vec<FieldError> {
    let mut errors = Vec::new();
    not_future(rec, "shift_date", ctx, &mut errors);
    if let (Some(d), Some(u)) = (num(rec, "units_defective"), num(rec, "units_produced"))
        && d > u
    {
        errors.push(FieldError::new(
            "units_defective",
            "must not exceed units_produced",
        ));
    }
    if let (Some(r), Some(h)) = (
        num(rec, "run_time_hours"),
        num(rec, "shift_hours_scheduled"),
    ) && r > h
    {
        errors.push(FieldError::new(
            "run_time_hours",
            "must not exceed shift_hours_scheduled",
        ));
    }
    if let (Some(p), Some(n)) = (
        num(rec, "employees_present"),
        num(rec, "employees_assigned"),
    ) && p > n
    {
        errors.push(FieldError::new(
            "employees_present",
            "must not exceed employees_assigned",
        ));
    }
    if num(rec, "employees_assigned").is_some_and(|n| n > ctx.max_employees as f64) {
        errors.push(FieldError::new(
            "employees_assigned",
            format!(
                "must be at most MAX_EMPLOYEES_PER_CLIENT ({})",
                ctx.max_employees
            ),
        ));
    }
    errors
}

/// Fields with a `Ref` must name an active row of the same client; another client's row reads
/// as unknown (nothing leaks).
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
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {} = ?1 AND client_id = ?2 AND is_active = 1",
            r.table, r.key
        );
        let n: i64 = conn
            .prepare_cached(&sql)?
            .query_row([id.as_str(), client], |row| row.get(0))?;
        if n == 0 {
            errors.push(FieldError::new(
                field.name,
                format!("unknown {} for client {client}", field.name),
            ));
        }
    }
    Ok(errors)
}
