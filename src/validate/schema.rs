//! Schema suite: every table and column of domain.md (§5 entities with their standard columns,
//! §5.17 system tables) must exist in the database, which is opened read-only. The expected
//! list is embedded here, written from the specification, not read from our own migrations,
//! so a migration that drops or renames a contract field fails validation.
use super::{Outcome, Report, Suite};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Standard columns of every business table (domain.md §1).
const STANDARD: &[&str] = &[
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "is_active",
    "deleted_at",
    "deleted_by",
];
/// Extra standard columns of the data-entry tables.
const ENTRY: &[&str] = &["entry_method", "import_id"];

/// (domain.md entity, table, standard columns, the entity's own columns)
type Table = (
    &'static str,
    &'static str,
    &'static [&'static [&'static str]],
    &'static [&'static str],
);

const BUSINESS: &[&[&str]] = &[STANDARD];
const ENTRY_TABLE: &[&[&str]] = &[STANDARD, ENTRY];
const NONE: &[&[&str]] = &[];

const TABLES: &[Table] = &[
    (
        "CLIENT",
        "clients",
        BUSINESS,
        &[
            "client_id",
            "client_name",
            "client_contact",
            "client_email",
            "client_phone",
            "location",
            "supervisor_id",
            "planner_id",
            "engineering_id",
            "client_type",
            "timezone",
        ],
    ),
    (
        "USER",
        "users",
        BUSINESS,
        &[
            "user_id",
            "username",
            "full_name",
            "email",
            "role",
            "is_active",
            "last_login",
            "password_hash",
            "token_version",
            "failed_login_count",
            "locked_until",
            "password_changed_at",
        ],
    ),
    (
        "USER_CLIENT",
        "user_clients",
        NONE,
        &["user_id", "client_id", "created_by", "created_at"],
    ),
    (
        "SHIFT",
        "shifts",
        BUSINESS,
        &[
            "shift_id",
            "client_id",
            "shift_name",
            "shift_type",
            "start_time",
            "end_time",
            "standard_hours",
            "standard_employees",
            "is_overtime",
            "days_of_week",
        ],
    ),
    (
        "PRODUCT",
        "products",
        BUSINESS,
        &[
            "product_id",
            "client_id",
            "style_model",
            "part_number",
            "description",
            "category",
            "standard_labor_hours_per_unit",
            "ideal_cycle_time_line",
        ],
    ),
    (
        "PART_OPPORTUNITIES",
        "part_opportunities",
        BUSINESS,
        &[
            "part_opportunity_id",
            "client_id",
            "part_number",
            "opportunities_per_unit",
            "description",
            "notes",
        ],
    ),
    (
        "EMPLOYEE",
        "employees",
        BUSINESS,
        &[
            "employee_id",
            "employee_name",
            "department",
            "is_floating_pool",
            "is_support_billed",
            "is_support_included",
            "client_id_assigned",
            "hourly_rate",
        ],
    ),
    (
        "FLOATING_POOL",
        "floating_pool",
        BUSINESS,
        &[
            "floating_pool_id",
            "employee_id",
            "status",
            "assigned_to_client",
            "assignment_start_date",
            "assignment_end_date",
            "shift_type",
            "assigned_by_user_id",
            "notes",
        ],
    ),
    (
        "WORK_ORDER",
        "work_orders",
        BUSINESS,
        &[
            "work_order_id",
            "client_id",
            "product_id",
            "style_model",
            "planned_quantity",
            "planned_start_date",
            "actual_start_date",
            "planned_ship_date",
            "required_date",
            "ideal_cycle_time",
            "status",
            "receipt_date",
            "acknowledged_date",
            "priority_level",
            "po_number",
            "notes",
            "actual_ship_date",
            "final_ship_date",
            "shipped_quantity",
            "closed_date",
            "closed_at",
        ],
    ),
    (
        "JOB",
        "jobs",
        BUSINESS,
        &[
            "job_id",
            "work_order_id",
            "client_id",
            "job_number",
            "part_number",
            "quantity_ordered",
            "quantity_completed",
            "quantity_scrapped",
            "priority_level",
            "notes",
        ],
    ),
    (
        "PRODUCTION_ENTRY",
        "production_entries",
        ENTRY_TABLE,
        &[
            "production_entry_id",
            "work_order_id",
            "job_id",
            "client_id",
            "shift_date",
            "shift_type",
            "operation_id",
            "units_produced",
            "units_defective",
            "run_time_hours",
            "employees_assigned",
            "employees_present",
            "data_collector_id",
            "timestamp",
            "verified_by",
            "verified_at",
            "notes",
            "shift_hours_scheduled",
            "downtime_total_minutes",
            "efficiency_target",
            "performance_target",
        ],
    ),
    (
        "DOWNTIME_ENTRY",
        "downtime_entries",
        ENTRY_TABLE,
        &[
            "downtime_entry_id",
            "work_order_id",
            "client_id",
            "shift_date",
            "shift_type",
            "downtime_reason",
            "downtime_reason_detail",
            "downtime_duration_minutes",
            "downtime_start_time",
            "responsible_person_id",
            "reported_by_user_id",
            "reported_at",
            "is_resolved",
            "resolution_notes",
            "employees_affected",
        ],
    ),
    (
        "HOLD_ENTRY",
        "hold_entries",
        ENTRY_TABLE,
        &[
            "hold_entry_id",
            "work_order_id",
            "job_id",
            "client_id",
            "hold_status",
            "hold_date",
            "hold_time",
            "hold_reason",
            "hold_reason_detail",
            "hold_approved_by_user_id",
            "hold_approved_at",
            "resume_date",
            "resume_time",
            "resume_approved_by_user_id",
            "resume_approved_at",
            "total_hold_duration_hours",
            "hold_notes",
        ],
    ),
    (
        "ATTENDANCE_ENTRY",
        "attendance_entries",
        ENTRY_TABLE,
        &[
            "attendance_entry_id",
            "employee_id",
            "client_id",
            "shift_date",
            "shift_type",
            "scheduled_hours",
            "actual_hours",
            "is_absent",
            "absence_type",
            "absence_hours",
            "covered_by_floating_employee_id",
            "coverage_confirmed",
            "recorded_by_user_id",
            "recorded_at",
            "verified_by_user_id",
            "verified_at",
            "notes",
        ],
    ),
    (
        "COVERAGE_ENTRY",
        "coverage_entries",
        ENTRY_TABLE,
        &[
            "coverage_entry_id",
            "absent_employee_id",
            "floating_employee_id",
            "client_id",
            "shift_date",
            "shift_type",
            "coverage_duration_hours",
            "recorded_by_user_id",
            "recorded_at",
            "verified",
            "notes",
        ],
    ),
    (
        "QUALITY_ENTRY",
        "quality_entries",
        ENTRY_TABLE,
        &[
            "quality_entry_id",
            "work_order_id",
            "job_id",
            "client_id",
            "shift_date",
            "shift_type",
            "operation_checked",
            "units_inspected",
            "units_passed",
            "units_defective",
            "units_requiring_rework",
            "units_requiring_repair",
            "defect_categories",
            "total_defects_count",
            "qc_inspector_id",
            "recorded_by_user_id",
            "recorded_at",
            "inspection_method",
            "sample_size_percent",
            "notes",
            "verified_by_user_id",
            "verified_at",
        ],
    ),
    (
        "DEFECT_DETAIL",
        "defect_details",
        ENTRY_TABLE,
        &[
            "defect_detail_id",
            "quality_entry_id",
            "client_id",
            "defect_type",
            "defect_description",
            "unit_serial_or_id",
            "is_rework_required",
            "is_repair_in_current_op",
            "is_scrapped",
            "root_cause",
            "operation_id",
        ],
    ),
    (
        "CLIENT_SETTINGS",
        "client_settings",
        NONE,
        &[
            "client_id",
            "version",
            "effective_from",
            "settings",
            "comment",
        ],
    ),
    (
        "STANDARD_HISTORY",
        "standard_history",
        NONE,
        &[
            "id",
            "client_id",
            "entity",
            "entity_id",
            "field",
            "value",
            "effective_from",
            "effective_to",
            "changed_by",
        ],
    ),
    (
        "SHIFT_CLOSE",
        "shift_closes",
        NONE,
        &[
            "shift_close_id",
            "client_id",
            "shift_date",
            "shift_type",
            "closed_by",
            "closed_at",
            "is_active",
        ],
    ),
    (
        "WATCHDOG_FINDING",
        "watchdog_findings",
        NONE,
        &[
            "finding_id",
            "client_id",
            "shift_date",
            "shift_type",
            "missing",
            "detected_at",
            "resolved_at",
        ],
    ),
    (
        "IMPORT_LOG",
        "import_log",
        NONE,
        &[
            "import_id",
            "resource",
            "client_ids",
            "user_id",
            "import_timestamp",
            "file_name",
            "import_type",
            "channel",
            "rows_attempted",
            "rows_succeeded",
            "rows_failed",
            "error_details",
            "status",
            "all_or_nothing",
        ],
    ),
    (
        "IMPORT_PREVIEW",
        "import_previews",
        NONE,
        &[
            "token",
            "user_id",
            "resource",
            "kind",
            "created_at",
            "expires_at",
            "used_at",
            "file_name",
            "request_hash",
            "rows",
        ],
    ),
    (
        "AUDIT_LOG",
        "audit_log",
        NONE,
        &[
            "audit_id",
            "occurred_at",
            "user_id",
            "client_id",
            "entity",
            "entity_id",
            "action",
            "field",
            "old_value",
            "new_value",
            "reason",
            "request_id",
            "import_id",
        ],
    ),
    (
        "KPI_SCRIPT",
        "kpi_scripts",
        NONE,
        &[
            "name",
            "version",
            "client_id",
            "source",
            "comment",
            "source_origin",
            "check_report",
            "is_current",
        ],
    ),
    (
        "MAIL_OUTBOX",
        "mail_outbox",
        NONE,
        &[
            "message_id",
            "client_id",
            "kind",
            "report_date",
            "recipients",
            "subject",
            "body_text",
            "body_html",
            "attachments",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "sent_at",
        ],
    ),
    (
        "BACKUP_RECORD",
        "backup_records",
        NONE,
        &[
            "backup_id",
            "trigger",
            "path",
            "started_at",
            "finished_at",
            "size_bytes",
            "sha256",
            "schema_version",
            "integrity",
            "restore_test",
            "status",
            "error",
        ],
    ),
    (
        "IDEMPOTENCY_KEY",
        "idempotency_keys",
        NONE,
        &[
            "user_id",
            "key",
            "request_hash",
            "status_code",
            "response_body",
            "created_at",
        ],
    ),
    // domain.md's `table` column: an SQL keyword, stored as `table_name`.
    (
        "ID_SEQUENCE",
        "id_sequences",
        NONE,
        &["table_name", "date", "next_value"],
    ),
    (
        "SCHEDULER_RUN",
        "scheduler_runs",
        NONE,
        &["job", "scope", "last_run_at", "last_status", "last_error"],
    ),
];

/// Fields domain.md marks as derived, not stored: (table, field, the stored column it comes from).
const DERIVED: &[(&str, &str, &str, &str)] = &[
    ("users", "client_id_assigned", "user_clients", "client_id"),
    (
        "floating_pool",
        "last_updated_at",
        "floating_pool",
        "updated_at",
    ),
    (
        "downtime_entries",
        "impact_on_wip_hours",
        "downtime_entries",
        "employees_affected",
    ),
];

pub fn run(database: &Path, report: &mut Report) {
    if !database.exists() {
        let what = format!(
            "database {} exists (--database or DATABASE_URL)",
            database.display()
        );
        report.record(Suite::Schema, Outcome::Fail, what);
        return;
    }
    let conn = match Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY) {
        Ok(c) => c,
        Err(e) => {
            let what = format!("open {} read-only: {e}", database.display());
            report.record(Suite::Schema, Outcome::Fail, what);
            return;
        }
    };
    let latest = kpi_engine::store::migrations::latest_version();
    match kpi_engine::store::migrations::current_version(&conn) {
        Ok(v) => report.expect(
            Suite::Schema,
            v == latest,
            format!("schema version {v} (this binary: {latest})"),
        ),
        Err(e) => report.record(Suite::Schema, Outcome::Fail, format!("schema version: {e}")),
    }
    let mut expected = 0;
    let mut present = 0;
    for (entity, table, standard, own) in TABLES {
        let columns = match columns_of(&conn, table) {
            Ok(c) => c,
            Err(e) => {
                report.record(
                    Suite::Schema,
                    Outcome::Fail,
                    format!("{entity} ({table}): {e}"),
                );
                continue;
            }
        };
        let wanted: Vec<&str> = own
            .iter()
            .chain(standard.iter().flat_map(|s| s.iter()))
            .copied()
            .collect();
        let missing: Vec<&str> = wanted
            .iter()
            .filter(|c| !columns.iter().any(|have| have == *c))
            .copied()
            .collect();
        expected += wanted.len();
        present += wanted.len() - missing.len();
        let what = if columns.is_empty() {
            format!("{entity}: table {table} is missing")
        } else if missing.is_empty() {
            format!("{entity}: table {table}, all {} fields", wanted.len())
        } else {
            format!("{entity}: table {table} lacks {}", missing.join(", "))
        };
        report.expect(Suite::Schema, missing.is_empty(), what);
    }
    for (table, field, source_table, source_column) in DERIVED {
        let ok =
            columns_of(&conn, source_table).is_ok_and(|c| c.iter().any(|c| c == source_column));
        report.expect(
            Suite::Schema,
            ok,
            format!("{table}.{field} (derived on read from {source_table}.{source_column})"),
        );
    }
    let pct = if expected == 0 {
        0.0
    } else {
        present as f64 * 100.0 / expected as f64
    };
    report.expect(
        Suite::Schema,
        present == expected,
        format!("{present} of {expected} fields present ({pct:.0} %)"),
    );
}

fn columns_of(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let rows = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_migrated_database_has_every_domain_field_and_a_dropped_column_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kpi.db");
        kpi_engine::engine::open_and_migrate(&path).unwrap();
        let mut report = Report::default();
        run(&path, &mut report);
        assert_eq!(report.failures(), 0, "{report}");

        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("ALTER TABLE jobs DROP COLUMN job_number")
            .unwrap();
        drop(conn);
        let mut report = Report::default();
        run(&path, &mut report);
        let text = report.to_string();
        assert!(
            text.contains("FAIL  schema       JOB: table jobs lacks job_number"),
            "{text}"
        );
    }
}
