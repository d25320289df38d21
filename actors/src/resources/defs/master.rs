//! Master data: work orders, jobs, products, shifts, part opportunities, employees and the
//! floating pool (domain.md §5.3–5.9).
use super::entries::{DOWNTIME, HOLDS, PRODUCTION, QUALITY};
use super::master_rules::{
    check_employee, check_floating_pool, check_job, check_product, check_shift, check_work_order,
    present_floating_pool, work_order_after_write,
};
use super::{ATTENDANCE, COVERAGE, PRIORITY, SHIFT_TYPES, WO_STATUS};
use crate::domain::Role;
use crate::error::EngineError;
use crate::resources::{
    AfterWrite, DateRule, Default, Dependent, KeyRule, Kind, RefRule, Req, Resource, Tenant, f, fk,
    fr,
};

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
const POSITIVE: Kind = Kind::Int {
    min: 1,
    max: i64::MAX,
};
pub const FLOAT_STATUS: &[&str] = &["AVAILABLE", "ASSIGNED"];

pub static PRODUCTS: Resource = Resource {
    name: "products",
    entity: "PRODUCT",
    table: "products",
    key: "product_id",
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
    dependents: &[Dependent {
        res: &WORK_ORDERS,
        column: "product_id",
    }],
    check: check_product,
    after_write: product_after_write,
    ..Resource::BASE
};

/// Records the versioned standards of the row just written (domain.md §8): each changed field
/// closes its current STANDARD_HISTORY version now and opens a new one.
fn record_standards(
    conn: &rusqlite::Connection,
    w: &AfterWrite,
    entity: &str,
    key: &str,
    fields: &[&str],
) -> Result<(), EngineError> {
    let (Some(client), Some(id)) = (
        w.write.client(),
        w.row.get(key).and_then(serde_json::Value::as_str),
    ) else {
        return Ok(());
    };
    crate::store::standards::record_row(
        conn,
        client.as_str(),
        entity,
        id,
        fields,
        w.row,
        w.before,
        w.user,
    )?;
    Ok(())
}

fn product_after_write(conn: &rusqlite::Connection, w: &AfterWrite) -> Result<(), EngineError> {
    record_standards(
        conn,
        w,
        "PRODUCT",
        "product_id",
        &crate::store::standards::PRODUCT_FIELDS,
    )
}

fn part_after_write(conn: &rusqlite::Connection, w: &AfterWrite) -> Result<(), EngineError> {
    record_standards(
        conn,
        w,
        "PART_OPPORTUNITIES",
        "part_opportunity_id",
        &crate::store::standards::PART_FIELDS,
    )
}

/// A change of a SHIFT row's standards opens a new STANDARD_HISTORY version (domain.md §8).
fn shift_after_write(conn: &rusqlite::Connection, w: &AfterWrite) -> Result<(), EngineError> {
    let (Some(client), Some(id)) = (
        w.write.client(),
        w.row.get("shift_id").and_then(serde_json::Value::as_str),
    ) else {
        return Ok(());
    };
    crate::store::standards::record_shift(conn, client.as_str(), id, w.user)?;
    Ok(())
}

pub static SHIFTS: Resource = Resource {
    name: "shifts",
    entity: "SHIFT",
    table: "shifts",
    key: "shift_id",
    key_rule: KeyRule::ClientDot("shift_type"),
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
    immutable: &["shift_type"],
    check: check_shift,
    after_write: shift_after_write,
    ..Resource::BASE
};

pub static WORK_ORDERS: Resource = Resource {
    name: "work-orders",
    entity: "WORK_ORDER",
    table: "work_orders",
    key: "work_order_id",
    date_key: Some("planned_ship_date"),
    fields: &[
        f("work_order_id", Kind::Id(50), Req::R),
        f("client_id", CLIENT, Req::R),
        fk("product_id", Kind::Id(50), Req::O, "products", "product_id"),
        f("style_model", Kind::Text(100), Req::O),
        f("planned_quantity", POSITIVE, Req::R),
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
    dependents: &[
        Dependent {
            res: &JOBS,
            column: "work_order_id",
        },
        Dependent {
            res: &PRODUCTION,
            column: "work_order_id",
        },
        Dependent {
            res: &DOWNTIME,
            column: "work_order_id",
        },
        Dependent {
            res: &HOLDS,
            column: "work_order_id",
        },
        Dependent {
            res: &QUALITY,
            column: "work_order_id",
        },
    ],
    derived: &["closed_at"],
    check: check_work_order,
    after_write: work_order_after_write,
    ..Resource::BASE
};

pub static JOBS: Resource = Resource {
    name: "jobs",
    entity: "JOB",
    table: "jobs",
    key: "job_id",
    key_rule: KeyRule::UserOrLine {
        parent: "work_order_id",
    },
    tenant: Tenant::Parent {
        field: "work_order_id",
        table: "work_orders",
        key: "work_order_id",
    },
    fields: &[
        f("job_id", Kind::Id(50), Req::O),
        f("work_order_id", Kind::Id(50), Req::R),
        f("client_id", CLIENT, Req::S),
        f("job_number", Kind::Text(50), Req::O),
        f("part_number", Kind::Text(50), Req::R),
        f("quantity_ordered", POSITIVE, Req::R),
        f("quantity_completed", COUNT, Req::I),
        f("quantity_scrapped", COUNT, Req::O),
        f(
            "priority_level",
            Kind::Enum(PRIORITY),
            Req::D(Default::Json("\"STANDARD\"")),
        ),
        f("notes", Kind::Notes(500), Req::O),
    ],
    filters: &["work_order_id", "part_number"],
    dependents: &[
        Dependent {
            res: &PRODUCTION,
            column: "job_id",
        },
        Dependent {
            res: &HOLDS,
            column: "job_id",
        },
        Dependent {
            res: &QUALITY,
            column: "job_id",
        },
    ],
    check: check_job,
    ..Resource::BASE
};

pub static PART_OPPORTUNITIES: Resource = Resource {
    name: "part-opportunities",
    entity: "PART_OPPORTUNITIES",
    table: "part_opportunities",
    key: "part_opportunity_id",
    key_rule: KeyRule::ClientDot("part_number"),
    fields: &[
        f("part_opportunity_id", Kind::Text(71), Req::S),
        f("client_id", CLIENT, Req::R),
        f("part_number", Kind::Text(50), Req::R),
        f("opportunities_per_unit", POSITIVE, Req::R),
        f("description", Kind::Text(500), Req::O),
        f("notes", Kind::Notes(1000), Req::O),
    ],
    filters: &["part_number"],
    immutable: &["part_number"],
    after_write: part_after_write,
    ..Resource::BASE
};

pub static EMPLOYEES: Resource = Resource {
    name: "employees",
    entity: "EMPLOYEE",
    table: "employees",
    key: "employee_id",
    tenant: Tenant::Shared {
        column: "client_id_assigned",
        may_write_shared: Role::is_admin,
        strict: true,
    },
    fields: &[
        f("employee_id", Kind::Id(20), Req::R),
        f("employee_name", Kind::Text(100), Req::R),
        f("department", Kind::Text(50), Req::O),
        f(
            "is_floating_pool",
            Kind::Bool,
            Req::D(Default::Json("false")),
        ),
        f(
            "is_support_billed",
            Kind::Bool,
            Req::D(Default::Json("false")),
        ),
        f(
            "is_support_included",
            Kind::Bool,
            Req::D(Default::Json("false")),
        ),
        f("client_id_assigned", CLIENT, Req::O),
        f(
            "hourly_rate",
            Kind::Dec {
                min: 0.0,
                max: 1.0e9,
                min_exclusive: false,
            },
            Req::O,
        ),
    ],
    filters: &["is_floating_pool", "department"],
    dependents: &[
        Dependent {
            res: &ATTENDANCE,
            column: "employee_id",
        },
        Dependent {
            res: &ATTENDANCE,
            column: "covered_by_floating_employee_id",
        },
        Dependent {
            res: &COVERAGE,
            column: "absent_employee_id",
        },
        Dependent {
            res: &COVERAGE,
            column: "floating_employee_id",
        },
        Dependent {
            res: &FLOATING_POOL,
            column: "employee_id",
        },
        Dependent {
            res: &DOWNTIME,
            column: "responsible_person_id",
        },
    ],
    hidden_from_operators: &["hourly_rate"],
    check: check_employee,
    ..Resource::BASE
};

pub static FLOATING_POOL: Resource = Resource {
    name: "floating-pool",
    entity: "FLOATING_POOL",
    table: "floating_pool",
    key: "floating_pool_id",
    key_rule: KeyRule::EmployeeStamp {
        employee_field: "employee_id",
    },
    date_key: Some("assignment_start_date"),
    date_rule: DateRule::Overlap {
        end: "assignment_end_date",
    },
    tenant: Tenant::Shared {
        column: "assigned_to_client",
        may_write_shared: Role::is_admin,
        strict: false,
    },
    fields: &[
        f("floating_pool_id", Kind::Text(50), Req::S),
        fr("employee_id", Kind::Id(20), Req::R, RefRule::Floater),
        f("status", Kind::Enum(FLOAT_STATUS), Req::R),
        f("assigned_to_client", CLIENT, Req::O),
        f("assignment_start_date", Kind::Date, Req::O),
        f("assignment_end_date", Kind::Date, Req::O),
        f("shift_type", Kind::Enum(SHIFT_TYPES), Req::O),
        fr(
            "assigned_by_user_id",
            Kind::Text(20),
            Req::D(Default::Caller),
            RefRule::User,
        ),
        f("last_updated_at", Kind::Text(30), Req::S),
        f("notes", Kind::Notes(500), Req::O),
        // computed on read: last_updated_at older than 24 h
        f("is_stale", Kind::Bool, Req::S),
    ],
    filters: &["employee_id", "status", "assigned_to_client"],
    immutable: &["employee_id"],
    check: check_floating_pool,
    present: present_floating_pool,
    ..Resource::BASE
};
