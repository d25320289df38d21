//! Data-entry resources: production, downtime, holds, attendance, coverage, quality and
//! defects (domain.md §5.10–5.16).
use super::SHIFT_TYPES;
use super::entry_rules::{
    check_attendance, check_coverage, check_defect, check_downtime, check_hold, check_production,
    check_quality, floater_after_write, hold_after_write, present_downtime,
};
use crate::domain::Role;
use crate::resources::{
    DateRule, Default, Dependent, KeyRule, Kind, RefRule, Req, Resource, Tenant, Verify, f, fk, fr,
};

const CLIENT: Kind = Kind::Text(20);
const HOURS_24: Kind = Kind::Dec {
    min: 0.0,
    max: 24.0,
    min_exclusive: true,
};
const HOURS_0_24: Kind = Kind::Dec {
    min: 0.0,
    max: 24.0,
    min_exclusive: false,
};
const COUNT: Kind = Kind::Int {
    min: 0,
    max: i64::MAX,
};
const TS: Kind = Kind::Text(30);
const WO: Kind = Kind::Id(50);
const EMPLOYEE: Kind = Kind::Id(20);
const USER: Kind = Kind::Text(20);
pub const DOWNTIME_REASONS: &[&str] = &[
    "EQUIPMENT_FAILURE",
    "MATERIAL_SHORTAGE",
    "CHANGEOVER_SETUP",
    "LACK_OF_ORDERS",
    "MAINTENANCE_SCHEDULED",
    "QC_HOLD",
    "MISSING_SPECIFICATION",
    "OTHER",
];
pub const HOLD_STATUS: &[&str] = &["ON_HOLD", "RESUMED", "CANCELLED"];
pub const HOLD_REASONS: &[&str] = &[
    "MATERIAL_INSPECTION",
    "QUALITY_ISSUE",
    "ENGINEERING_REVIEW",
    "CUSTOMER_REQUEST",
    "MISSING_SPECIFICATION",
    "EQUIPMENT_UNAVAILABLE",
    "CAPACITY_CONSTRAINT",
    "OTHER",
];
pub const ABSENCE_TYPES: &[&str] = &[
    "UNSCHEDULED_ABSENCE",
    "VACATION",
    "MEDICAL_LEAVE",
    "PERSONAL_DAY",
    "SUSPENDED",
    "OTHER",
];
pub const INSPECTION_METHODS: &[&str] = &[
    "VISUAL",
    "MEASUREMENT",
    "FUNCTIONAL_TEST",
    "SAMPLE_CHECK",
    "100_PERCENT_INSPECTION",
    "OTHER",
];
pub const DEFECT_TYPES: &[&str] = &[
    "STITCHING",
    "COLOR_MISMATCH",
    "SIZING",
    "MATERIAL_DEFECT",
    "ASSEMBLY",
    "FINISHING",
    "PACKAGING",
    "OTHER",
];
pub const ROOT_CAUSES: &[&str] = &[
    "OPERATOR_ERROR",
    "MATERIAL_ISSUE",
    "EQUIPMENT_ISSUE",
    "PROCESS_ISSUE",
    "DESIGN_ISSUE",
    "UNKNOWN",
];

/// Entry resources: entered by everyone but POWERUSER, carry entry_method / import_id.
const ENTRY: Resource = Resource {
    may_write: Role::may_enter_data,
    is_entry: true,
    ..Resource::BASE
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
        fk("work_order_id", WO, Req::R, "work_orders", "work_order_id"),
        fr("job_id", Kind::Id(50), Req::O, RefRule::JobOfWorkOrder),
        f("client_id", CLIENT, Req::R),
        f("shift_date", Kind::Date, Req::R),
        f("shift_type", Kind::Enum(SHIFT_TYPES), Req::R),
        f("operation_id", Kind::Text(50), Req::O),
        f("units_produced", COUNT, Req::R),
        f("units_defective", COUNT, Req::I),
        f("run_time_hours", HOURS_0_24, Req::I),
        f(
            "employees_assigned",
            Kind::Int {
                min: 1,
                max: 100_000,
            },
            Req::I,
        ),
        f("employees_present", COUNT, Req::O),
        fr(
            "data_collector_id",
            USER,
            Req::D(Default::Caller),
            RefRule::User,
        ),
        f("timestamp", TS, Req::O),
        f("verified_by", USER, Req::S),
        f("verified_at", TS, Req::S),
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
        "verified",
        "entry_method",
    ],
    verify: Some(Verify {
        by: Some("verified_by"),
        at: Some("verified_at"),
        flag: None,
        entered_by: &["data_collector_id"],
    }),
    check: check_production,
    ..ENTRY
};

pub static DOWNTIME: Resource = Resource {
    name: "downtime",
    entity: "DOWNTIME_ENTRY",
    table: "downtime_entries",
    key: "downtime_entry_id",
    key_rule: KeyRule::DatedSequence {
        date_field: "shift_date",
        tag: "DT",
    },
    date_key: Some("shift_date"),
    fields: &[
        f("downtime_entry_id", Kind::Text(50), Req::S),
        fk("work_order_id", WO, Req::R, "work_orders", "work_order_id"),
        f("client_id", CLIENT, Req::R),
        f("shift_date", Kind::Date, Req::R),
        f("shift_type", Kind::Enum(SHIFT_TYPES), Req::R),
        f("downtime_reason", Kind::Enum(DOWNTIME_REASONS), Req::I),
        f("downtime_reason_detail", Kind::Text(500), Req::O),
        f(
            "downtime_duration_minutes",
            Kind::Int { min: 1, max: 1440 },
            Req::R,
        ),
        f("downtime_start_time", Kind::Time, Req::O),
        fr("responsible_person_id", EMPLOYEE, Req::O, RefRule::Employee),
        fr(
            "reported_by_user_id",
            USER,
            Req::D(Default::Caller),
            RefRule::User,
        ),
        f("reported_at", TS, Req::D(Default::Now)),
        f("is_resolved", Kind::Bool, Req::D(Default::Json("true"))),
        f("resolution_notes", Kind::Text(300), Req::O),
        f("employees_affected", Kind::Int { min: 1, max: 500 }, Req::O),
        // computed on read (it needs the crew of the line-shift): not stored
        f(
            "impact_on_wip_hours",
            Kind::Dec {
                min: 0.0,
                max: 1.0e9,
                min_exclusive: false,
            },
            Req::S,
        ),
    ],
    filters: &[
        "shift_type",
        "work_order_id",
        "downtime_reason",
        "is_resolved",
    ],
    check: check_downtime,
    present: present_downtime,
    ..ENTRY
};

pub static HOLDS: Resource = Resource {
    name: "holds",
    entity: "HOLD_ENTRY",
    table: "hold_entries",
    key: "hold_entry_id",
    key_rule: KeyRule::DatedSequence {
        date_field: "hold_date",
        tag: "HOLD",
    },
    date_key: Some("hold_date"),
    fields: &[
        f("hold_entry_id", Kind::Text(50), Req::S),
        fk("work_order_id", WO, Req::R, "work_orders", "work_order_id"),
        fr("job_id", Kind::Id(50), Req::O, RefRule::JobOfWorkOrder),
        f("client_id", CLIENT, Req::R),
        f("hold_status", Kind::Enum(HOLD_STATUS), Req::R),
        f("hold_date", Kind::Date, Req::O),
        f("hold_time", Kind::Time, Req::O),
        f("hold_reason", Kind::Enum(HOLD_REASONS), Req::R),
        f("hold_reason_detail", Kind::Text(500), Req::O),
        fr(
            "hold_approved_by_user_id",
            USER,
            Req::D(Default::Caller),
            RefRule::User,
        ),
        f("hold_approved_at", TS, Req::D(Default::Now)),
        f("resume_date", Kind::Date, Req::O),
        f("resume_time", Kind::Time, Req::O),
        f("resume_approved_by_user_id", USER, Req::O),
        f("resume_approved_at", TS, Req::O),
        f(
            "total_hold_duration_hours",
            Kind::Dec {
                min: 0.0,
                max: 1.0e9,
                min_exclusive: false,
            },
            Req::S,
        ),
        f("hold_notes", Kind::Text(500), Req::O),
    ],
    filters: &["hold_status", "hold_reason", "work_order_id", "job_id"],
    derived: &["total_hold_duration_hours"],
    check: check_hold,
    after_write: hold_after_write,
    ..ENTRY
};

pub static ATTENDANCE: Resource = Resource {
    name: "attendance",
    entity: "ATTENDANCE_ENTRY",
    table: "attendance_entries",
    key: "attendance_entry_id",
    key_rule: KeyRule::DatedEmployee {
        date_field: "shift_date",
        employee_field: "employee_id",
    },
    date_key: Some("shift_date"),
    fields: &[
        f("attendance_entry_id", Kind::Text(50), Req::S),
        fr("employee_id", EMPLOYEE, Req::R, RefRule::Employee),
        f("client_id", CLIENT, Req::R),
        f("shift_date", Kind::Date, Req::R),
        f("shift_type", Kind::Enum(SHIFT_TYPES), Req::R),
        f("scheduled_hours", HOURS_24, Req::I),
        f("actual_hours", HOURS_0_24, Req::O),
        f("is_absent", Kind::Bool, Req::R),
        f("absence_type", Kind::Enum(ABSENCE_TYPES), Req::O),
        f("absence_hours", HOURS_24, Req::I),
        fr(
            "covered_by_floating_employee_id",
            EMPLOYEE,
            Req::O,
            RefRule::Floater,
        ),
        f(
            "coverage_confirmed",
            Kind::Bool,
            Req::D(Default::Json("false")),
        ),
        f("recorded_by_user_id", USER, Req::D(Default::Caller)),
        f("recorded_at", TS, Req::D(Default::Now)),
        f("verified_by_user_id", USER, Req::S),
        f("verified_at", TS, Req::S),
        f("notes", Kind::Notes(500), Req::O),
    ],
    filters: &[
        "shift_type",
        "employee_id",
        "is_absent",
        "absence_type",
        "verified",
        "entry_method",
    ],
    // the id carries the employee: changing it would make the id lie
    immutable: &["employee_id"],
    verify: Some(Verify {
        by: Some("verified_by_user_id"),
        at: Some("verified_at"),
        flag: None,
        entered_by: &["recorded_by_user_id"],
    }),
    check: check_attendance,
    after_write: floater_after_write,
    ..ENTRY
};

pub static COVERAGE: Resource = Resource {
    name: "coverage",
    entity: "COVERAGE_ENTRY",
    table: "coverage_entries",
    key: "coverage_entry_id",
    key_rule: KeyRule::DatedSequence {
        date_field: "shift_date",
        tag: "COVERAGE",
    },
    date_key: Some("shift_date"),
    fields: &[
        f("coverage_entry_id", Kind::Text(50), Req::S),
        fr("absent_employee_id", EMPLOYEE, Req::R, RefRule::Employee),
        fr("floating_employee_id", EMPLOYEE, Req::R, RefRule::Floater),
        f("client_id", CLIENT, Req::R),
        f("shift_date", Kind::Date, Req::R),
        f("shift_type", Kind::Enum(SHIFT_TYPES), Req::R),
        f("coverage_duration_hours", HOURS_24, Req::I),
        f("recorded_by_user_id", USER, Req::D(Default::Caller)),
        f("recorded_at", TS, Req::D(Default::Now)),
        f("verified", Kind::Bool, Req::S),
        f("notes", Kind::Notes(300), Req::O),
    ],
    filters: &[
        "shift_type",
        "floating_employee_id",
        "absent_employee_id",
        "verified",
        "entry_method",
    ],
    verify: Some(Verify {
        by: None,
        at: None,
        flag: Some("verified"),
        entered_by: &["recorded_by_user_id"],
    }),
    check: check_coverage,
    after_write: floater_after_write,
    ..ENTRY
};

pub static QUALITY: Resource = Resource {
    name: "quality",
    entity: "QUALITY_ENTRY",
    table: "quality_entries",
    key: "quality_entry_id",
    key_rule: KeyRule::DatedSequence {
        date_field: "shift_date",
        tag: "QC",
    },
    date_key: Some("shift_date"),
    fields: &[
        f("quality_entry_id", Kind::Text(50), Req::S),
        fk("work_order_id", WO, Req::R, "work_orders", "work_order_id"),
        fr("job_id", Kind::Id(50), Req::O, RefRule::JobOfWorkOrder),
        f("client_id", CLIENT, Req::R),
        f("shift_date", Kind::Date, Req::R),
        f("shift_type", Kind::Enum(SHIFT_TYPES), Req::R),
        f("operation_checked", Kind::Text(50), Req::R),
        f(
            "units_inspected",
            Kind::Int {
                min: 1,
                max: i64::MAX,
            },
            Req::R,
        ),
        f("units_passed", COUNT, Req::I),
        f("units_defective", COUNT, Req::I),
        f("units_requiring_rework", COUNT, Req::O),
        f("units_requiring_repair", COUNT, Req::O),
        f("defect_categories", Kind::Text(500), Req::O),
        f("total_defects_count", COUNT, Req::I),
        f("qc_inspector_id", Kind::Text(20), Req::O),
        f("recorded_by_user_id", USER, Req::D(Default::Caller)),
        f("recorded_at", TS, Req::D(Default::Now)),
        f("inspection_method", Kind::Enum(INSPECTION_METHODS), Req::O),
        f(
            "sample_size_percent",
            Kind::Dec {
                min: 0.0,
                max: 100.0,
                min_exclusive: true,
            },
            Req::O,
        ),
        f("notes", Kind::Notes(500), Req::O),
        f("verified_by_user_id", USER, Req::S),
        f("verified_at", TS, Req::S),
    ],
    filters: &[
        "shift_type",
        "work_order_id",
        "job_id",
        "operation_checked",
        "verified",
        "entry_method",
    ],
    verify: Some(Verify {
        by: Some("verified_by_user_id"),
        at: Some("verified_at"),
        flag: None,
        entered_by: &["recorded_by_user_id"],
    }),
    dependents: &[Dependent {
        res: &DEFECTS,
        column: "quality_entry_id",
    }],
    check: check_quality,
    ..ENTRY
};

pub static DEFECTS: Resource = Resource {
    name: "defects",
    entity: "DEFECT_DETAIL",
    table: "defect_details",
    key: "defect_detail_id",
    key_rule: KeyRule::ParentSequence {
        parent: "quality_entry_id",
        tag: "DEFECT",
    },
    date_key: Some("shift_date"),
    date_rule: DateRule::Parent {
        fk: "quality_entry_id",
        table: "quality_entries",
        key: "quality_entry_id",
    },
    tenant: Tenant::Parent {
        field: "quality_entry_id",
        table: "quality_entries",
        key: "quality_entry_id",
    },
    fields: &[
        f("defect_detail_id", Kind::Text(60), Req::S),
        f("quality_entry_id", Kind::Id(50), Req::R),
        f("client_id", CLIENT, Req::S),
        f("defect_type", Kind::Enum(DEFECT_TYPES), Req::R),
        f("defect_description", Kind::Text(300), Req::O),
        f("unit_serial_or_id", Kind::Text(50), Req::O),
        f(
            "is_rework_required",
            Kind::Bool,
            Req::D(Default::Json("false")),
        ),
        f(
            "is_repair_in_current_op",
            Kind::Bool,
            Req::D(Default::Json("false")),
        ),
        f("is_scrapped", Kind::Bool, Req::D(Default::Json("false"))),
        f("root_cause", Kind::Enum(ROOT_CAUSES), Req::O),
        f("operation_id", Kind::Text(50), Req::O),
    ],
    filters: &["quality_entry_id", "defect_type"],
    check: check_defect,
    ..ENTRY
};
