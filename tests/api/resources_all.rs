//! All 14 resources of domain.md §5 through the one generic mechanism: round trips, field
//! validation, same-client references, roles, tenant rules of employees and the floating
//! pool, soft delete with dependants / cascade / restore, and second-person verification.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const A: &str = "AAA-1";
const B: &str = "BBB-1";
const DAY: &str = "2025-12-15";

struct World {
    app: TestApp,
    /// LEADER assigned to A.
    leader: String,
    /// LEADER assigned to B.
    leader_b: String,
    /// OPERATOR assigned to A.
    op: String,
    power: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    app.create_client(A).await;
    app.create_client(B).await;
    app.master_data(A, "WO-A", Some(0.25), None).await;
    app.master_data(B, "WO-B", Some(0.25), None).await;
    let leader = app.user_token("leader_a", "LEADER_DATACONFIG", &[A]).await;
    let leader_b = app.user_token("leader_b", "LEADER_DATACONFIG", &[B]).await;
    let op = app
        .user_token("operator_a", "OPERATOR_DATAENTRY", &[A])
        .await;
    let power = app.user_token("power_1", "POWERUSER", &[]).await;
    World {
        app,
        leader,
        leader_b,
        op,
        power,
    }
}

fn db(app: &TestApp) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(app.dir.path().join("kpi.db")).expect("open kpi.db");
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c
}

impl World {
    async fn create(&self, token: &str, res: &str, body: Value) -> Value {
        let r = self
            .app
            .post(&format!("/api/{res}"), Some(token), &body)
            .await;
        expect_status(r, StatusCode::CREATED, &format!("POST /api/{res} {body}")).await
    }
    async fn admin_create(&self, res: &str, body: Value) -> Value {
        self.create(&self.app.admin, res, body).await
    }
    async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.app.get(path, Some(token)).await
    }
    async fn items(&self, token: &str, path: &str) -> Vec<Value> {
        let body = expect_status(self.get(token, path).await, StatusCode::OK, path).await;
        body["items"].as_array().unwrap().clone()
    }
    async fn user_id(&self, token: &str) -> String {
        let me = expect_status(self.get(token, "/api/auth/me").await, StatusCode::OK, "me").await;
        me["user_id"].as_str().unwrap().to_owned()
    }
    /// Employees EMP-A (client A), EMP-A2 (A), EMP-B (B) and the floater FLT-1.
    async fn people(&self) {
        for (id, client) in [("EMP-A", A), ("EMP-A2", A), ("EMP-B", B)] {
            self.admin_create("employees", json!({"employee_id": id, "employee_name": format!("Name {id}"), "client_id_assigned": client, "hourly_rate": 12.5})).await;
        }
        self.admin_create(
            "employees",
            json!({"employee_id": "FLT-1", "employee_name": "Flo Ater", "is_floating_pool": true}),
        )
        .await;
    }
}

/// The fields named in a 422/409 error body.
async fn error_fields(
    res: reqwest::Response,
    status: StatusCode,
    what: &str,
) -> (String, Vec<String>) {
    let body = expect_status(res, status, what).await;
    let fields = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap_or("").to_owned())
        .collect();
    (body["error"]["code"].as_str().unwrap().to_owned(), fields)
}

fn warning_codes(body: &Value) -> Vec<String> {
    body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_owned())
        .collect()
}

/// (resource, create body or null = created above, key field, expected key, list query,
/// patch body, field to check after the patch, its expected value)
type RoundTrip = (
    &'static str,
    Value,
    &'static str,
    String,
    &'static str,
    Value,
    &'static str,
    Value,
);

#[actix_web::test]
async fn every_resource_round_trips_create_get_list_patch() {
    let w = world().await;
    w.people().await;
    let part = w
        .admin_create("part-opportunities", json!({"client_id": A, "part_number": "PN-1", "opportunities_per_unit": 10, "part_opportunity_id": "MINE"}))
        .await;
    let job = w
        .admin_create("jobs", json!({"work_order_id": "WO-A", "part_number": "PN-1", "quantity_ordered": 600, "client_id": "ignored"}))
        .await;
    assert_eq!(job["job_id"], "WO-A-L1", "blank job id = <wo>-L<n>");
    assert_eq!(job["client_id"], A, "client copied from the work order");
    let pool = w
        .admin_create(
            "floating-pool",
            json!({"employee_id": "FLT-1", "status": "ASSIGNED", "assigned_to_client": A,
            "assignment_start_date": "2025-12-01", "assignment_end_date": "2025-12-31"}),
        )
        .await;
    let base = json!({"client_id": A, "work_order_id": "WO-A", "shift_date": DAY, "shift_type": "SHIFT_1ST"});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let quality = w
        .admin_create("quality", with(json!({"job_id": "WO-A-L1", "operation_checked": "FINAL_INSPECTION", "units_inspected": 100, "units_passed": 95, "units_defective": 5})))
        .await;
    assert_eq!(quality["quality_entry_id"], "20251215-QC-0001");
    let cases: Vec<RoundTrip> = vec![
        (
            "part-opportunities",
            Value::Null,
            "part_opportunity_id",
            "AAA-1.PN-1".into(),
            "part_number=PN-1",
            json!({"description": "ten per boot"}),
            "description",
            json!("ten per boot"),
        ),
        (
            "jobs",
            Value::Null,
            "job_id",
            "WO-A-L1".into(),
            "work_order_id=WO-A",
            json!({"quantity_completed": 500}),
            "quantity_completed",
            json!(500),
        ),
        (
            "employees",
            Value::Null,
            "employee_id",
            "EMP-A".into(),
            "client_id=AAA-1",
            json!({"department": "SEWING"}),
            "department",
            json!("SEWING"),
        ),
        (
            "floating-pool",
            Value::Null,
            "floating_pool_id",
            pool["floating_pool_id"].as_str().unwrap().into(),
            "employee_id=FLT-1&from=2025-12-20&to=2025-12-24",
            json!({"notes": "line A"}),
            "notes",
            json!("line A"),
        ),
        (
            "downtime",
            with(
                json!({"downtime_reason": "equipment_failure", "downtime_duration_minutes": 30, "employees_affected": 2}),
            ),
            "downtime_entry_id",
            "20251215-DT-0001".into(),
            "downtime_reason=EQUIPMENT_FAILURE&from=2025-12-15&to=2025-12-15",
            json!({"downtime_duration_minutes": 60}),
            "impact_on_wip_hours",
            json!(2.0),
        ),
        (
            "holds",
            json!({"client_id": A, "work_order_id": "WO-A", "job_id": "WO-A-L1", "hold_status": "ON_HOLD", "hold_date": "2025-12-10",
                "hold_time": "08:00", "hold_reason": "QUALITY_ISSUE", "hold_reason_detail": "seams"}),
            "hold_entry_id",
            "20251210-HOLD-0001".into(),
            "hold_status=ON_HOLD",
            json!({"hold_status": "RESUMED", "resume_date": "2025-12-11", "resume_time": "10:00"}),
            "total_hold_duration_hours",
            json!(26.0),
        ),
        (
            "attendance",
            json!({"client_id": A, "employee_id": "EMP-A", "shift_date": DAY, "shift_type": "SHIFT_1ST", "scheduled_hours": 9,
                "is_absent": true, "absence_type": "VACATION", "absence_hours": 9, "covered_by_floating_employee_id": "FLT-1"}),
            "attendance_entry_id",
            "20251215-EMP-A-01".into(),
            "employee_id=EMP-A&is_absent=true",
            json!({"coverage_confirmed": true}),
            "coverage_confirmed",
            json!(true),
        ),
        (
            "coverage",
            json!({"client_id": A, "absent_employee_id": "EMP-A", "floating_employee_id": "FLT-1", "shift_date": DAY,
                "shift_type": "SHIFT_1ST", "coverage_duration_hours": 9}),
            "coverage_entry_id",
            "20251215-COVERAGE-0001".into(),
            "floating_employee_id=FLT-1",
            json!({"notes": "confirmed"}),
            "notes",
            json!("confirmed"),
        ),
        (
            "quality",
            Value::Null,
            "quality_entry_id",
            "20251215-QC-0001".into(),
            "operation_checked=FINAL_INSPECTION&job_id=WO-A-L1",
            json!({"total_defects_count": 7}),
            "total_defects_count",
            json!(7),
        ),
        (
            "defects",
            json!({"quality_entry_id": "20251215-QC-0001", "defect_type": "stitching", "defect_description": "loose"}),
            "defect_detail_id",
            "20251215-QC-0001-DEFECT-01".into(),
            "quality_entry_id=20251215-QC-0001&from=2025-12-15&to=2025-12-15",
            json!({"is_scrapped": true}),
            "is_scrapped",
            json!(true),
        ),
        (
            "production",
            with(json!({"job_id": "WO-A-L1", "units_produced": 120, "employees_assigned": 10})),
            "production_entry_id",
            "20251215-PROD-0001".into(),
            "job_id=WO-A-L1&verified=false&entry_method=API",
            json!({"units_defective": 3}),
            "units_defective",
            json!(3),
        ),
        (
            "work-orders",
            Value::Null,
            "work_order_id",
            "WO-A".into(),
            "status=ACTIVE",
            json!({"po_number": "PO-7"}),
            "po_number",
            json!("PO-7"),
        ),
        (
            "products",
            Value::Null,
            "product_id",
            "WO-A-P".into(),
            "style_model=ROPER",
            json!({"category": "boots"}),
            "category",
            json!("boots"),
        ),
        (
            "shifts",
            Value::Null,
            "shift_id",
            "AAA-1.SHIFT_1ST".into(),
            "shift_type=SHIFT_1ST&client_id=AAA-1",
            json!({"standard_hours": 8.5}),
            "standard_hours",
            json!(8.5),
        ),
    ];
    assert_eq!(cases.len(), 14, "every resource of api.md §6");
    assert_eq!(part["part_opportunity_id"], "AAA-1.PN-1");
    assert!(warning_codes(&part).contains(&"id_ignored".to_owned()));
    for (res, body, key, id, filter, patch, field, value) in cases {
        if !body.is_null() {
            let created = w.admin_create(res, body).await;
            assert_eq!(created[key], id.as_str(), "{res} server id");
            assert_eq!(created["created_by"], "USR-001", "{res}");
        }
        let got = expect_status(
            w.get(&w.app.admin, &format!("/api/{res}/{id}")).await,
            StatusCode::OK,
            res,
        )
        .await;
        assert_eq!(got[key], id.as_str());
        assert_eq!(got["is_active"], true);
        let listed = w.items(&w.app.admin, &format!("/api/{res}?{filter}")).await;
        assert!(
            listed.iter().any(|r| r[key] == id.as_str()),
            "{res} listed by {filter}: {listed:?}"
        );
        let patched = expect_status(
            w.app
                .patch(&format!("/api/{res}/{id}"), Some(&w.app.admin), &patch)
                .await,
            StatusCode::OK,
            &format!("PATCH {res}"),
        )
        .await;
        assert_eq!(patched[field], value, "{res}.{field} after {patch}");
        assert!(patched["warnings"].is_array());
        // A GET body can be sent back unchanged.
        let again = w.get(&w.app.admin, &format!("/api/{res}/{id}")).await;
        let back: Value = again.json().await.unwrap();
        let res_back = w
            .app
            .patch(&format!("/api/{res}/{id}"), Some(&w.app.admin), &back)
            .await;
        expect_status(
            res_back,
            StatusCode::OK,
            &format!("{res} GET body sent back"),
        )
        .await;
    }
    // A job-level hold does not pause the work order (only work-order-level holds do).
    let wo = expect_status(
        w.get(&w.app.admin, "/api/work-orders/WO-A").await,
        StatusCode::OK,
        "wo",
    )
    .await;
    assert_eq!(wo["status"], "ACTIVE");
    // Defects carry their parent's client; the floating-pool window is an overlap.
    let defect = expect_status(
        w.get(&w.app.admin, "/api/defects/20251215-QC-0001-DEFECT-01")
            .await,
        StatusCode::OK,
        "defect",
    )
    .await;
    assert_eq!(defect["client_id"], A);
    assert!(
        w.items(&w.app.admin, "/api/floating-pool?from=2026-01-05")
            .await
            .is_empty()
    );
    assert_eq!(pool["is_stale"], false);
    // Downtime impact after the PATCH: 60 min x 2 people = 2 person-hours.
    let dt = w
        .items(&w.app.admin, "/api/downtime?work_order_id=WO-A")
        .await;
    assert_eq!(dt[0]["impact_on_wip_hours"], 2.0);
}

#[actix_web::test]
async fn invalid_values_are_refused_naming_the_field() {
    let w = world().await;
    w.people().await;
    w.admin_create("jobs", json!({"job_id": "J-1", "work_order_id": "WO-A", "part_number": "PN-1", "quantity_ordered": 10})).await;
    let entry = |extra: Value| {
        let mut b = json!({"client_id": A, "work_order_id": "WO-A", "shift_date": DAY, "shift_type": "SHIFT_1ST"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "jobs",
            json!({"work_order_id": "WO-A", "part_number": "PN", "quantity_ordered": 5, "quantity_completed": 6}),
            "quantity_completed",
        ),
        (
            "jobs",
            json!({"work_order_id": "WO-A", "quantity_ordered": 5}),
            "part_number",
        ),
        (
            "employees",
            json!({"employee_id": "E-X", "employee_name": "X"}),
            "client_id_assigned",
        ),
        (
            "employees",
            json!({"employee_id": "E-Y", "employee_name": "Y", "is_floating_pool": true, "client_id_assigned": A}),
            "client_id_assigned",
        ),
        (
            "employees",
            json!({"employee_id": "E-Z", "employee_name": "Z", "client_id_assigned": A, "hourly_rate": -1}),
            "hourly_rate",
        ),
        (
            "floating-pool",
            json!({"employee_id": "FLT-1", "status": "ASSIGNED", "assigned_to_client": A}),
            "assignment_start_date",
        ),
        (
            "floating-pool",
            json!({"employee_id": "EMP-A", "status": "ASSIGNED", "assigned_to_client": A, "assignment_start_date": DAY}),
            "employee_id",
        ),
        (
            "floating-pool",
            json!({"employee_id": "FLT-1", "status": "ASSIGNED", "assigned_to_client": A, "assignment_start_date": DAY, "assignment_end_date": "2025-12-01"}),
            "assignment_end_date",
        ),
        (
            "downtime",
            entry(json!({"downtime_duration_minutes": 0})),
            "downtime_duration_minutes",
        ),
        (
            "downtime",
            entry(json!({"downtime_duration_minutes": 10, "downtime_start_time": "25:00"})),
            "downtime_start_time",
        ),
        (
            "holds",
            json!({"client_id": A, "work_order_id": "WO-A", "hold_status": "RESUMED", "hold_date": "2025-12-10", "hold_reason": "OTHER"}),
            "resume_date",
        ),
        (
            "holds",
            json!({"client_id": A, "work_order_id": "WO-A", "hold_status": "RESUMED", "hold_date": "2025-12-10", "resume_date": "2025-12-09", "hold_reason": "OTHER"}),
            "resume_date",
        ),
        (
            "holds",
            json!({"client_id": A, "work_order_id": "WO-A", "hold_status": "ON_HOLD", "hold_reason": "OTHER"}),
            "hold_date",
        ),
        (
            "holds",
            json!({"client_id": A, "work_order_id": "WO-A", "hold_status": "ON_HOLD", "hold_date": "2999-01-01", "hold_reason": "OTHER"}),
            "hold_date",
        ),
        (
            "attendance",
            json!({"client_id": A, "employee_id": "EMP-A", "shift_date": DAY, "shift_type": "SHIFT_1ST", "is_absent": false, "absence_type": "VACATION"}),
            "absence_type",
        ),
        (
            "attendance",
            json!({"client_id": A, "employee_id": "EMP-A", "shift_date": DAY, "shift_type": "SHIFT_1ST", "is_absent": false, "scheduled_hours": 8, "actual_hours": 9}),
            "actual_hours",
        ),
        (
            "attendance",
            json!({"client_id": A, "employee_id": "EMP-A", "shift_date": DAY, "shift_type": "SHIFT_1ST", "is_absent": true, "covered_by_floating_employee_id": "EMP-A2"}),
            "covered_by_floating_employee_id",
        ),
        (
            "coverage",
            json!({"client_id": A, "absent_employee_id": "FLT-1", "floating_employee_id": "FLT-1", "shift_date": DAY, "shift_type": "SHIFT_1ST"}),
            "floating_employee_id",
        ),
        (
            "coverage",
            json!({"client_id": A, "absent_employee_id": "EMP-A", "floating_employee_id": "EMP-A2", "shift_date": DAY, "shift_type": "SHIFT_1ST"}),
            "floating_employee_id",
        ),
        (
            "quality",
            entry(
                json!({"operation_checked": "QC", "units_inspected": 100, "units_passed": 60, "units_defective": 50}),
            ),
            "units_defective",
        ),
        (
            "quality",
            entry(json!({"operation_checked": "QC", "units_inspected": 0})),
            "units_inspected",
        ),
        (
            "quality",
            entry(json!({"operation_checked": "QC", "units_inspected": 10, "job_id": "J-404"})),
            "job_id",
        ),
        (
            "defects",
            json!({"quality_entry_id": "20251215-QC-9999", "defect_type": "STITCHING"}),
            "quality_entry_id",
        ),
        (
            "defects",
            json!({"quality_entry_id": "20251215-QC-9999", "defect_type": "BAD"}),
            "defect_type",
        ),
        (
            "part-opportunities",
            json!({"client_id": A, "part_number": "PN-2", "opportunities_per_unit": 0}),
            "opportunities_per_unit",
        ),
        (
            "production",
            entry(json!({"units_produced": 5, "job_id": "J-404"})),
            "job_id",
        ),
        (
            "production",
            entry(json!({"units_produced": 5, "data_collector_id": "USR-999"})),
            "data_collector_id",
        ),
    ];
    for (res, body, field) in cases {
        let (code, fields) = error_fields(
            w.app
                .post(&format!("/api/{res}"), Some(&w.app.admin), &body)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{res} {body}"),
        )
        .await;
        assert_eq!(code, "validation_failed", "{res} {body}");
        assert!(
            fields.contains(&field.to_owned()),
            "{res}: {field} named in {fields:?}"
        );
    }
    // Immutable fields on PATCH: the parent of a job, the part number of a part id.
    w.admin_create(
        "part-opportunities",
        json!({"client_id": A, "part_number": "PN-1", "opportunities_per_unit": 1}),
    )
    .await;
    for (path, body, field) in [
        (
            "/api/jobs/J-1",
            json!({"work_order_id": "WO-B"}),
            "work_order_id",
        ),
        (
            "/api/part-opportunities/AAA-1.PN-1",
            json!({"part_number": "PN-9"}),
            "part_number",
        ),
        (
            "/api/shifts/AAA-1.SHIFT_1ST",
            json!({"shift_type": "SHIFT_2ND"}),
            "shift_type",
        ),
    ] {
        let (code, fields) = error_fields(
            w.app.patch(path, Some(&w.app.admin), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            path,
        )
        .await;
        assert_eq!(
            (code.as_str(), fields),
            ("read_only_field", vec![field.to_owned()])
        );
    }
    // A job id that cannot be derived within 50 characters asks for one.
    let long_wo = "W".repeat(48);
    w.admin_create(
        "work-orders",
        json!({"work_order_id": long_wo, "client_id": A, "planned_quantity": 5}),
    )
    .await;
    let (_, fields) = error_fields(
        w.app
            .post(
                "/api/jobs",
                Some(&w.app.admin),
                &json!({"work_order_id": long_wo, "part_number": "P", "quantity_ordered": 5}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "long job id",
    )
    .await;
    assert_eq!(fields, vec!["job_id".to_owned()]);
    // Smallest unused n: L1, L2 taken by hand → the next blank job is L3.
    for id in ["WO-A-L1", "WO-A-L2"] {
        w.admin_create("jobs", json!({"job_id": id, "work_order_id": "WO-A", "part_number": "PN-1", "quantity_ordered": 1})).await;
    }
    let job = w
        .admin_create(
            "jobs",
            json!({"work_order_id": "WO-A", "part_number": "PN-1", "quantity_ordered": 1}),
        )
        .await;
    assert_eq!(job["job_id"], "WO-A-L3");
    assert!(warning_codes(&job).contains(&"planned_quantity_mismatch".to_owned()));
}

#[actix_web::test]
async fn references_of_another_client_read_as_unknown() {
    let w = world().await;
    w.people().await;
    w.admin_create("jobs", json!({"job_id": "J-B", "work_order_id": "WO-B", "part_number": "P", "quantity_ordered": 5})).await;
    let qb = w
        .admin_create("quality", json!({"client_id": B, "work_order_id": "WO-B", "shift_date": DAY, "shift_type": "SHIFT_1ST", "operation_checked": "QC", "units_inspected": 5}))
        .await;
    let qb = qb["quality_entry_id"].as_str().unwrap().to_owned();
    let entry = json!({"client_id": A, "shift_date": DAY, "shift_type": "SHIFT_1ST"});
    let with = |extra: Value| {
        let mut b = entry.clone();
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    // (resource, body with a foreign reference, the same body with a missing one, field)
    let cases: Vec<(&str, Value, Value, &str)> = vec![
        (
            "jobs",
            json!({"work_order_id": "WO-B", "part_number": "P", "quantity_ordered": 5}),
            json!({"work_order_id": "WO-404", "part_number": "P", "quantity_ordered": 5}),
            "work_order_id",
        ),
        (
            "downtime",
            with(json!({"work_order_id": "WO-B", "downtime_duration_minutes": 5})),
            with(json!({"work_order_id": "WO-404", "downtime_duration_minutes": 5})),
            "work_order_id",
        ),
        (
            "downtime",
            with(
                json!({"work_order_id": "WO-A", "downtime_duration_minutes": 5, "responsible_person_id": "EMP-B"}),
            ),
            with(
                json!({"work_order_id": "WO-A", "downtime_duration_minutes": 5, "responsible_person_id": "EMP-404"}),
            ),
            "responsible_person_id",
        ),
        (
            "holds",
            json!({"client_id": A, "work_order_id": "WO-A", "job_id": "J-B", "hold_status": "CANCELLED", "hold_reason": "OTHER"}),
            json!({"client_id": A, "work_order_id": "WO-A", "job_id": "J-404", "hold_status": "CANCELLED", "hold_reason": "OTHER"}),
            "job_id",
        ),
        (
            "attendance",
            with(json!({"employee_id": "EMP-B", "is_absent": false})),
            with(json!({"employee_id": "EMP-404", "is_absent": false})),
            "employee_id",
        ),
        (
            "coverage",
            with(json!({"absent_employee_id": "EMP-B", "floating_employee_id": "FLT-1"})),
            with(json!({"absent_employee_id": "EMP-404", "floating_employee_id": "FLT-1"})),
            "absent_employee_id",
        ),
        (
            "quality",
            with(
                json!({"work_order_id": "WO-A", "job_id": "J-B", "operation_checked": "QC", "units_inspected": 5}),
            ),
            with(
                json!({"work_order_id": "WO-A", "job_id": "J-404", "operation_checked": "QC", "units_inspected": 5}),
            ),
            "job_id",
        ),
        (
            "defects",
            json!({"quality_entry_id": qb, "defect_type": "OTHER"}),
            json!({"quality_entry_id": "20251215-QC-9999", "defect_type": "OTHER"}),
            "quality_entry_id",
        ),
    ];
    for (res, foreign, missing, field) in cases {
        let path = format!("/api/{res}");
        let a = expect_status(
            w.app.post(&path, Some(&w.leader), &foreign).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{res} foreign"),
        )
        .await;
        let b = expect_status(
            w.app.post(&path, Some(&w.leader), &missing).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{res} missing"),
        )
        .await;
        assert_eq!(
            a["error"]["details"], b["error"]["details"],
            "{res}: foreign reads as missing"
        );
        assert_eq!(a["error"]["details"][0]["field"], field, "{res}");
    }
    // Floaters serve every client: EMP-A absent in A covered by FLT-1 is fine for the leader.
    w.create(
        &w.leader,
        "coverage",
        with(json!({"absent_employee_id": "EMP-A", "floating_employee_id": "FLT-1"})),
    )
    .await;
}

#[actix_web::test]
async fn roles_and_tenants_on_writes() {
    let w = world().await;
    w.people().await;
    let down = |client: &str, wo: &str| json!({"client_id": client, "work_order_id": wo, "shift_date": DAY, "shift_type": "SHIFT_1ST", "downtime_duration_minutes": 5});
    // POWERUSER writes nothing.
    for (res, body) in [
        (
            "jobs",
            json!({"work_order_id": "WO-A", "part_number": "P", "quantity_ordered": 1}),
        ),
        (
            "employees",
            json!({"employee_id": "E-P", "employee_name": "P", "client_id_assigned": A}),
        ),
        (
            "part-opportunities",
            json!({"client_id": A, "part_number": "P", "opportunities_per_unit": 1}),
        ),
        (
            "floating-pool",
            json!({"employee_id": "FLT-1", "status": "ASSIGNED", "assigned_to_client": A, "assignment_start_date": DAY}),
        ),
        ("downtime", down(A, "WO-A")),
        (
            "holds",
            json!({"client_id": A, "work_order_id": "WO-A", "hold_status": "CANCELLED", "hold_reason": "OTHER"}),
        ),
    ] {
        assert_eq!(
            error_code(
                w.app
                    .post(&format!("/api/{res}"), Some(&w.power), &body)
                    .await
            )
            .await,
            (StatusCode::FORBIDDEN, "forbidden".into()),
            "POWERUSER POST {res}"
        );
    }
    assert_eq!(
        error_code(
            w.app
                .patch(
                    "/api/employees/EMP-A",
                    Some(&w.power),
                    &json!({"department": "X"})
                )
                .await
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    // OPERATOR: no master data; entries only through the read-back.
    for (res, body) in [
        (
            "jobs",
            json!({"work_order_id": "WO-A", "part_number": "P", "quantity_ordered": 1}),
        ),
        (
            "employees",
            json!({"employee_id": "E-O", "employee_name": "O", "client_id_assigned": A}),
        ),
        (
            "part-opportunities",
            json!({"client_id": A, "part_number": "P", "opportunities_per_unit": 1}),
        ),
        (
            "floating-pool",
            json!({"employee_id": "FLT-1", "status": "ASSIGNED", "assigned_to_client": A, "assignment_start_date": DAY}),
        ),
    ] {
        assert_eq!(
            error_code(w.app.post(&format!("/api/{res}"), Some(&w.op), &body).await).await,
            (StatusCode::FORBIDDEN, "forbidden".into()),
            "OPERATOR POST {res}"
        );
    }
    assert_eq!(
        error_code(
            w.app
                .post("/api/downtime", Some(&w.op), &down(A, "WO-A"))
                .await
        )
        .await,
        (StatusCode::FORBIDDEN, "readback_required".into())
    );
    assert_eq!(
        error_code(
            w.app
                .patch(
                    "/api/employees/EMP-A",
                    Some(&w.op),
                    &json!({"department": "X"})
                )
                .await
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    // LEADER of A naming client B: 403, for entries, master data, employees and pool rows.
    for (res, body) in [
        ("downtime", down(B, "WO-B")),
        (
            "part-opportunities",
            json!({"client_id": B, "part_number": "P", "opportunities_per_unit": 1}),
        ),
        (
            "employees",
            json!({"employee_id": "E-L", "employee_name": "L", "client_id_assigned": B}),
        ),
        (
            "floating-pool",
            json!({"employee_id": "FLT-1", "status": "ASSIGNED", "assigned_to_client": B, "assignment_start_date": DAY}),
        ),
        (
            "attendance",
            json!({"client_id": B, "employee_id": "EMP-B", "shift_date": DAY, "shift_type": "SHIFT_1ST", "is_absent": false}),
        ),
    ] {
        assert_eq!(
            error_code(
                w.app
                    .post(&format!("/api/{res}"), Some(&w.leader), &body)
                    .await
            )
            .await,
            (StatusCode::FORBIDDEN, "forbidden".into()),
            "LEADER of A POST {res} for B"
        );
    }
    // ... and a record of B reads as missing to them.
    for (path, body) in [
        ("/api/employees/EMP-B", json!({"department": "x"})),
        ("/api/work-orders/WO-B", json!({"notes": "x"})),
    ] {
        assert_eq!(
            w.get(&w.leader, path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            w.app.patch(path, Some(&w.leader), &body).await.status(),
            StatusCode::NOT_FOUND,
            "PATCH {path}"
        );
    }
    // LEADER of A: master data and entries of A.
    w.create(
        &w.leader,
        "employees",
        json!({"employee_id": "E-L", "employee_name": "L", "client_id_assigned": A}),
    )
    .await;
    let job = w
        .create(
            &w.leader,
            "jobs",
            json!({"work_order_id": "WO-A", "part_number": "P", "quantity_ordered": 1}),
        )
        .await;
    assert_eq!(job["created_by"], w.user_id(&w.leader).await.as_str());
    w.create(&w.leader, "downtime", down(A, "WO-A")).await;
    // hourly_rate is null for operators only.
    let as_op = expect_status(
        w.get(&w.op, "/api/employees/EMP-A").await,
        StatusCode::OK,
        "op reads",
    )
    .await;
    assert!(as_op["hourly_rate"].is_null());
    let as_leader = expect_status(
        w.get(&w.leader, "/api/employees/EMP-A").await,
        StatusCode::OK,
        "leader reads",
    )
    .await;
    assert_eq!(as_leader["hourly_rate"], 12.5);
    // Only ADMIN deletes.
    for t in [&w.leader, &w.op, &w.power] {
        assert_eq!(
            error_code(w.app.delete("/api/jobs/WO-A-L1", Some(t)).await)
                .await
                .0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        w.app.delete("/api/jobs/WO-A-L1", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A deactivated client takes no writes (its rows stay readable).
    expect_status(
        w.app
            .delete(&format!("/api/clients/{B}"), Some(&w.app.admin))
            .await,
        StatusCode::OK,
        "deactivate B",
    )
    .await;
    assert_eq!(
        error_code(
            w.app
                .post(
                    "/api/jobs",
                    Some(&w.app.admin),
                    &json!({"work_order_id": "WO-B", "part_number": "P", "quantity_ordered": 1})
                )
                .await
        )
        .await,
        (StatusCode::CONFLICT, "client_inactive".into())
    );
    assert_eq!(
        error_code(
            w.app
                .patch(
                    "/api/employees/EMP-B",
                    Some(&w.app.admin),
                    &json!({"department": "X"})
                )
                .await
        )
        .await,
        (StatusCode::CONFLICT, "client_inactive".into())
    );
}

#[actix_web::test]
async fn floaters_and_pool_rows_are_shared_read_only() {
    let w = world().await;
    w.people().await;
    // Floaters are visible to every user; employees of B only to B's users.
    for token in [&w.leader, &w.leader_b, &w.op, &w.power] {
        let floaters = w.items(token, "/api/employees?is_floating_pool=true").await;
        assert_eq!(floaters.len(), 1);
        assert_eq!(floaters[0]["employee_id"], "FLT-1");
        assert_eq!(
            w.get(token, "/api/employees/FLT-1").await.status(),
            StatusCode::OK
        );
    }
    let ids = |rows: Vec<Value>| -> Vec<String> {
        rows.iter()
            .map(|r| r["employee_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(w.items(&w.leader, "/api/employees").await),
        vec!["EMP-A", "EMP-A2", "FLT-1"]
    );
    assert_eq!(
        ids(w
            .items(&w.leader, &format!("/api/employees?client_id={A}"))
            .await),
        vec!["EMP-A", "EMP-A2"]
    );
    assert_eq!(
        w.get(&w.leader, &format!("/api/employees?client_id={B}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Floaters are created and edited by ADMIN only.
    assert_eq!(
        error_code(
            w.app
                .post(
                    "/api/employees",
                    Some(&w.leader),
                    &json!({"employee_id": "FLT-2", "employee_name": "F", "is_floating_pool": true})
                )
                .await
        )
        .await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    assert_eq!(
        error_code(
            w.app
                .patch(
                    "/api/employees/FLT-1",
                    Some(&w.leader),
                    &json!({"department": "X"})
                )
                .await
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        error_code(
            w.app
                .patch(
                    "/api/employees/EMP-A",
                    Some(&w.leader),
                    &json!({"is_floating_pool": true, "client_id_assigned": null})
                )
                .await
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "a leader cannot turn an employee into a floater"
    );
    expect_status(
        w.app
            .patch(
                "/api/employees/FLT-1",
                Some(&w.app.admin),
                &json!({"department": "POOL"}),
            )
            .await,
        StatusCode::OK,
        "admin edits floater",
    )
    .await;
    // Pool rows: AVAILABLE rows are visible to all, ASSIGNED ones to the client's users.
    let available = w
        .admin_create(
            "floating-pool",
            json!({"employee_id": "FLT-1", "status": "AVAILABLE"}),
        )
        .await;
    let avail_id = available["floating_pool_id"].as_str().unwrap().to_owned();
    assert!(avail_id.starts_with("FLT-1-"), "{avail_id}");
    assert!(available["assigned_to_client"].is_null());
    for token in [&w.leader, &w.leader_b, &w.op] {
        assert_eq!(
            w.items(token, "/api/floating-pool?status=AVAILABLE")
                .await
                .len(),
            1
        );
    }
    assert_eq!(
        error_code(
            w.app
                .patch(
                    &format!("/api/floating-pool/{avail_id}"),
                    Some(&w.op),
                    &json!({"notes": "x"})
                )
                .await
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "read-only to operators"
    );
    assert_eq!(
        error_code(
            w.app
                .post(
                    "/api/floating-pool",
                    Some(&w.leader),
                    &json!({"employee_id": "FLT-1", "status": "AVAILABLE"})
                )
                .await
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "a shared pool row is ADMIN's"
    );
    // LEADER of B assigns the floater to B for December; LEADER of A cannot see that row.
    let to_b = w
        .create(
            &w.leader_b,
            "floating-pool",
            json!({"employee_id": "FLT-1", "status": "ASSIGNED", "assigned_to_client": B,
        "assignment_start_date": "2025-12-01", "assignment_end_date": "2025-12-31"}),
        )
        .await;
    let to_b_id = to_b["floating_pool_id"].as_str().unwrap().to_owned();
    assert_ne!(to_b_id, avail_id, "a same-second collision gets a suffix");
    assert_eq!(
        w.get(&w.leader, &format!("/api/floating-pool/{to_b_id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        w.items(&w.leader, "/api/floating-pool?status=ASSIGNED")
            .await
            .is_empty()
    );
    // Overlapping assignment (any client, open end, all shifts) → 409 "already assigned".
    let res = w
        .app
        .post(
            "/api/floating-pool",
            Some(&w.leader),
            &json!({"employee_id": "FLT-1", "status": "ASSIGNED",
        "assigned_to_client": A, "assignment_start_date": "2025-12-20", "shift_type": "SHIFT_2ND"}),
        )
        .await;
    let body = expect_status(res, StatusCode::CONFLICT, "overlap").await;
    assert_eq!(body["error"]["code"], "floater_already_assigned");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already assigned"),
        "{body}"
    );
    assert_eq!(body["error"]["details"][0]["field"], "employee_id");
    // After December it is free; a leader ends their own assignment (the row turns AVAILABLE).
    let to_a = w
        .create(
            &w.leader,
            "floating-pool",
            json!({"employee_id": "FLT-1", "status": "ASSIGNED",
        "assigned_to_client": A, "assignment_start_date": "2026-01-01"}),
        )
        .await;
    let to_a_id = to_a["floating_pool_id"].as_str().unwrap();
    assert_eq!(
        error_code(
            w.app
                .patch(
                    &format!("/api/floating-pool/{to_b_id}"),
                    Some(&w.leader),
                    &json!({"status": "AVAILABLE"})
                )
                .await
        )
        .await
        .0,
        StatusCode::NOT_FOUND,
        "a leader ends only assignments to their clients"
    );
    let ended = expect_status(
        w.app
            .patch(
                &format!("/api/floating-pool/{to_a_id}"),
                Some(&w.leader),
                &json!({"status": "AVAILABLE"}),
            )
            .await,
        StatusCode::OK,
        "end assignment",
    )
    .await;
    assert!(ended["assigned_to_client"].is_null(), "{ended}");
    // A LEADER of A claims the available row for A; the ADMIN may do anything.
    expect_status(
        w.app.patch(&format!("/api/floating-pool/{avail_id}"), Some(&w.leader), &json!({"status": "ASSIGNED", "assigned_to_client": A, "assignment_start_date": "2026-03-01"})).await,
        StatusCode::OK,
        "claim",
    )
    .await;
}

#[actix_web::test]
async fn employee_limit_counts_active_non_floating_employees() {
    let app = spawn_app_with(&[("MAX_EMPLOYEES_PER_CLIENT", "2")]).await;
    app.create_client(A).await;
    let leader = app.user_token("leader_a", "LEADER_DATACONFIG", &[A]).await;
    let emp = |id: &str| json!({"employee_id": id, "employee_name": id, "client_id_assigned": A});
    for id in ["E-1", "E-2"] {
        expect_status(
            app.post("/api/employees", Some(&leader), &emp(id)).await,
            StatusCode::CREATED,
            id,
        )
        .await;
    }
    let body = expect_status(
        app.post("/api/employees", Some(&leader), &emp("E-3")).await,
        StatusCode::CONFLICT,
        "third",
    )
    .await;
    assert_eq!(body["error"]["code"], "employee_limit_reached");
    assert_eq!(body["error"]["details"][0]["field"], "client_id_assigned");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("MAX_EMPLOYEES_PER_CLIENT")
    );
    // Floaters do not count.
    expect_status(
        app.post(
            "/api/employees",
            Some(&app.admin),
            &json!({"employee_id": "F-1", "employee_name": "F", "is_floating_pool": true}),
        )
        .await,
        StatusCode::CREATED,
        "floater",
    )
    .await;
    // A LEADER deactivates a leaver (not a delete); the slot is free again.
    let left = expect_status(
        app.patch(
            "/api/employees/E-1",
            Some(&leader),
            &json!({"is_active": false}),
        )
        .await,
        StatusCode::OK,
        "leaves",
    )
    .await;
    assert_eq!(left["is_active"], false);
    assert!(left["deleted_at"].is_null(), "deactivated, not deleted");
    expect_status(
        app.post("/api/employees", Some(&leader), &emp("E-3")).await,
        StatusCode::CREATED,
        "slot freed",
    )
    .await;
    // Reactivating E-1 would exceed the limit again; only ADMIN restores anyway.
    assert_eq!(
        app.patch(
            "/api/employees/E-1",
            Some(&leader),
            &json!({"is_active": true})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    let body = expect_status(
        app.patch(
            "/api/employees/E-1",
            Some(&app.admin),
            &json!({"is_active": true}),
        )
        .await,
        StatusCode::CONFLICT,
        "restore over limit",
    )
    .await;
    assert_eq!(body["error"]["code"], "employee_limit_reached");
    // Other resources are not "deactivated" by PATCH: that is a DELETE.
    app.master_data(A, "WO-A", None, None).await;
    let (s, code) = error_code(
        app.patch(
            "/api/work-orders/WO-A",
            Some(&app.admin),
            &json!({"is_active": false}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
}

#[actix_web::test]
async fn soft_delete_dependants_cascade_and_restore() {
    let w = world().await;
    let app = &w.app;
    w.admin_create("jobs", json!({"job_id": "J-1", "work_order_id": "WO-A", "part_number": "P", "quantity_ordered": 5})).await;
    let entry = json!({"client_id": A, "work_order_id": "WO-A", "job_id": "J-1", "shift_date": DAY, "shift_type": "SHIFT_1ST"});
    let mut prod = entry.clone();
    prod["units_produced"] = json!(10);
    let prod = w.admin_create("production", prod).await;
    let mut q = entry.clone();
    q["operation_checked"] = json!("QC");
    q["units_inspected"] = json!(10);
    let q = w.admin_create("quality", q).await;
    let qid = q["quality_entry_id"].as_str().unwrap().to_owned();
    let defect = w
        .admin_create(
            "defects",
            json!({"quality_entry_id": qid, "defect_type": "SIZING"}),
        )
        .await;
    let did = defect["defect_detail_id"].as_str().unwrap().to_owned();
    // Active dependants block a plain delete.
    let body = expect_status(
        app.delete("/api/work-orders/WO-A", Some(&app.admin)).await,
        StatusCode::CONFLICT,
        "has deps",
    )
    .await;
    assert_eq!(body["error"]["code"], "has_dependents");
    let named: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    for res in ["jobs", "production", "quality"] {
        assert!(named.contains(&res), "{res} in {named:?}");
    }
    assert_eq!(
        error_code(app.delete("/api/products/WO-A-P", Some(&app.admin)).await)
            .await
            .1,
        "has_dependents"
    );
    assert_eq!(
        w.get(&app.admin, "/api/work-orders/WO-A").await.status(),
        StatusCode::OK,
        "nothing deleted"
    );
    // A leaf deletes on its own: the defect.
    let gone = expect_status(
        app.delete(&format!("/api/defects/{did}"), Some(&app.admin))
            .await,
        StatusCode::OK,
        "delete defect",
    )
    .await;
    assert_eq!(gone["is_active"], false);
    assert_eq!(gone["deleted_by"], "USR-001");
    assert!(gone["deleted_at"].is_string());
    assert_eq!(
        w.get(&app.admin, &format!("/api/defects/{did}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/defects/{did}"), Some(&app.admin))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "already deleted"
    );
    let seen = expect_status(
        w.get(
            &app.admin,
            &format!("/api/defects/{did}?include_deleted=true"),
        )
        .await,
        StatusCode::OK,
        "include_deleted",
    )
    .await;
    assert_eq!(seen["is_active"], false);
    assert_eq!(
        w.get(
            &w.leader,
            &format!("/api/defects/{did}?include_deleted=true")
        )
        .await
        .status(),
        StatusCode::NOT_FOUND,
        "ADMIN only"
    );
    // Restore (ADMIN, audited), then cascade from the work order.
    assert_eq!(
        app.patch(
            &format!("/api/defects/{did}"),
            Some(&w.leader),
            &json!({"is_active": true})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    let back = expect_status(
        app.patch(
            &format!("/api/defects/{did}"),
            Some(&app.admin),
            &json!({"is_active": true}),
        )
        .await,
        StatusCode::OK,
        "restore",
    )
    .await;
    assert_eq!(back["is_active"], true);
    assert!(back["deleted_at"].is_null());
    let wo = expect_status(
        app.delete("/api/work-orders/WO-A?cascade=true", Some(&app.admin))
            .await,
        StatusCode::OK,
        "cascade",
    )
    .await;
    assert_eq!(wo["is_active"], false);
    let pid = prod["production_entry_id"].as_str().unwrap();
    for path in [
        "/api/jobs/J-1".to_owned(),
        format!("/api/production/{pid}"),
        format!("/api/quality/{qid}"),
        format!("/api/defects/{did}"),
    ] {
        assert_eq!(
            w.get(&app.admin, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{path} deleted by the cascade"
        );
    }
    assert!(w.items(&app.admin, "/api/production").await.is_empty());
    assert_eq!(
        w.items(&app.admin, "/api/production?include_deleted=true")
            .await
            .len(),
        1
    );
    assert!(
        w.items(&w.leader, "/api/production?include_deleted=true")
            .await
            .is_empty(),
        "ADMIN only"
    );
    // Every deleted row is audited; the dependants name the cascade.
    {
        let c = db(app);
        let deletes: i64 = c
            .query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'DELETE'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            deletes, 6,
            "defect, then defect + quality + production + job + work order"
        );
        let cascaded: i64 = c.query_row("SELECT count(*) FROM audit_log WHERE action = 'DELETE' AND reason LIKE 'cascade:%'", [], |r| r.get(0)).unwrap();
        assert_eq!(cascaded, 4);
        let restores: i64 = c
            .query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'RESTORE' AND entity_id = ?1",
                [&did],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(restores, 1);
    }
    // Restoring a child whose parent is deleted is refused naming the parent; parent first.
    let (code, fields) = error_fields(
        app.patch(
            "/api/jobs/J-1",
            Some(&app.admin),
            &json!({"is_active": true}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "orphan",
    )
    .await;
    assert_eq!(
        (code.as_str(), fields),
        ("validation_failed", vec!["work_order_id".to_owned()])
    );
    expect_status(
        app.patch(
            "/api/work-orders/WO-A",
            Some(&app.admin),
            &json!({"is_active": true}),
        )
        .await,
        StatusCode::OK,
        "restore wo",
    )
    .await;
    expect_status(
        app.patch(
            "/api/jobs/J-1",
            Some(&app.admin),
            &json!({"is_active": true}),
        )
        .await,
        StatusCode::OK,
        "restore job",
    )
    .await;
    // A deleted row cannot be referenced; its id is not reusable (restore it instead).
    expect_status(
        app.delete("/api/part-opportunities/AAA-1.PN-9", Some(&app.admin))
            .await,
        StatusCode::NOT_FOUND,
        "unknown",
    )
    .await;
    w.admin_create(
        "part-opportunities",
        json!({"client_id": A, "part_number": "PN-9", "opportunities_per_unit": 3}),
    )
    .await;
    expect_status(
        app.delete("/api/part-opportunities/AAA-1.PN-9", Some(&app.admin))
            .await,
        StatusCode::OK,
        "delete part",
    )
    .await;
    assert_eq!(
        error_code(
            app.post(
                "/api/part-opportunities",
                Some(&app.admin),
                &json!({"client_id": A, "part_number": "PN-9", "opportunities_per_unit": 3})
            )
            .await
        )
        .await,
        (StatusCode::CONFLICT, "duplicate_id".into())
    );
    // Soft-deleting an employee with attendance needs the cascade too.
    w.people().await;
    w.admin_create("attendance", json!({"client_id": A, "employee_id": "EMP-A", "shift_date": DAY, "shift_type": "SHIFT_1ST", "is_absent": false})).await;
    assert_eq!(
        error_code(app.delete("/api/employees/EMP-A", Some(&app.admin)).await)
            .await
            .1,
        "has_dependents"
    );
    expect_status(
        app.delete("/api/employees/EMP-A?cascade=true", Some(&app.admin))
            .await,
        StatusCode::OK,
        "employee cascade",
    )
    .await;
    assert!(w.items(&app.admin, "/api/attendance").await.is_empty());
}

#[actix_web::test]
async fn verification_by_a_second_person() {
    let w = world().await;
    w.people().await;
    let app = &w.app;
    let leader_id = w.user_id(&w.leader).await;
    let op_id = w.user_id(&w.op).await;
    let entry = |shift: &str| json!({"client_id": A, "work_order_id": "WO-A", "shift_date": DAY, "shift_type": shift, "units_produced": 10});
    let p1 = w.admin_create("production", entry("SHIFT_1ST")).await["production_entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p2 = w.create(&w.leader, "production", entry("SHIFT_2ND")).await["production_entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An operator's own row (as the read-back would have written it).
    let p3 = w.admin_create("production", entry("SAT_OT")).await["production_entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    db(app)
        .execute("UPDATE production_entries SET created_by = ?1, data_collector_id = ?1 WHERE production_entry_id = ?2", [&op_id, &p3])
        .unwrap();
    // Roles: POWERUSER and OPERATOR never verify.
    for t in [&w.power, &w.op] {
        assert_eq!(
            error_code(
                app.post("/api/production/verify", Some(t), &json!({"ids": [p1]}))
                    .await
            )
            .await,
            (StatusCode::FORBIDDEN, "forbidden".into())
        );
    }
    assert_eq!(
        error_code(
            app.post(
                "/api/production/verify",
                Some(&w.leader),
                &json!({"ids": []})
            )
            .await
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        error_code(
            app.post("/api/production/verify", None, &json!({"ids": [p1]}))
                .await
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    // The operator may still fix their own unverified row.
    expect_status(
        app.patch(
            &format!("/api/production/{p3}"),
            Some(&w.op),
            &json!({"units_produced": 11}),
        )
        .await,
        StatusCode::OK,
        "op edits own",
    )
    .await;
    assert_eq!(
        error_code(
            app.patch(
                &format!("/api/production/{p1}"),
                Some(&w.op),
                &json!({"units_produced": 11})
            )
            .await
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "not own"
    );
    // LEADER of A: verifies the ADMIN's and the operator's rows, never their own; B's leader sees none.
    let body = expect_status(
        app.post(
            "/api/production/verify",
            Some(&w.leader),
            &json!({"ids": [p1, p2, p3, "20251215-PROD-9999"]}),
        )
        .await,
        StatusCode::OK,
        "verify",
    )
    .await;
    assert_eq!(body["verified"], 2, "{body}");
    assert_eq!(body["verified_ids"], json!([p1, p3]));
    let errors: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (p2.clone(), "self_verification".to_owned()),
            ("20251215-PROD-9999".to_owned(), "not_found".to_owned())
        ]
    );
    let again = expect_status(
        app.post(
            "/api/production/verify",
            Some(&w.leader),
            &json!({"ids": [p1]}),
        )
        .await,
        StatusCode::OK,
        "again",
    )
    .await;
    assert_eq!(again["errors"][0]["code"], "already_verified");
    let foreign = expect_status(
        app.post(
            "/api/production/verify",
            Some(&w.leader_b),
            &json!({"ids": [p2]}),
        )
        .await,
        StatusCode::OK,
        "b",
    )
    .await;
    assert_eq!(foreign["errors"][0]["code"], "not_found");
    let admin = expect_status(
        app.post(
            "/api/production/verify",
            Some(&app.admin),
            &json!({"ids": [p2]}),
        )
        .await,
        StatusCode::OK,
        "admin",
    )
    .await;
    assert_eq!(admin["verified"], 1);
    let v = expect_status(
        w.get(&app.admin, &format!("/api/production/{p1}")).await,
        StatusCode::OK,
        "p1",
    )
    .await;
    assert_eq!(v["verified_by"], leader_id.as_str());
    assert!(v["verified_at"].is_string());
    assert_eq!(
        w.items(&app.admin, "/api/production?verified=true")
            .await
            .len(),
        3
    );
    // Verified rows are no longer the operator's to edit; a LEADER edit clears verification.
    assert_eq!(
        error_code(
            app.patch(
                &format!("/api/production/{p3}"),
                Some(&w.op),
                &json!({"units_produced": 12})
            )
            .await
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let edited = expect_status(
        app.patch(
            &format!("/api/production/{p3}"),
            Some(&w.leader),
            &json!({"units_produced": 12}),
        )
        .await,
        StatusCode::OK,
        "leader edit",
    )
    .await;
    assert!(
        edited["verified_by"].is_null() && edited["verified_at"].is_null(),
        "{edited}"
    );
    let verifies: i64 = db(app)
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'VERIFY'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(verifies, 3);
    // Attendance and quality: verified_by_user_id; coverage: the verified flag.
    let att = w.admin_create("attendance", json!({"client_id": A, "employee_id": "EMP-A", "shift_date": DAY, "shift_type": "SHIFT_1ST", "is_absent": false, "actual_hours": 9})).await;
    let qc = w.admin_create("quality", json!({"client_id": A, "work_order_id": "WO-A", "shift_date": DAY, "shift_type": "SHIFT_1ST", "operation_checked": "QC", "units_inspected": 3})).await;
    let cov = w.admin_create("coverage", json!({"client_id": A, "absent_employee_id": "EMP-A2", "floating_employee_id": "FLT-1", "shift_date": DAY, "shift_type": "SHIFT_1ST"})).await;
    for (res, key, row, field, value) in [
        (
            "attendance",
            "attendance_entry_id",
            &att,
            "verified_by_user_id",
            json!(leader_id),
        ),
        (
            "quality",
            "quality_entry_id",
            &qc,
            "verified_by_user_id",
            json!(leader_id),
        ),
        (
            "coverage",
            "coverage_entry_id",
            &cov,
            "verified",
            json!(true),
        ),
    ] {
        let id = row[key].as_str().unwrap();
        let out = expect_status(
            app.post(
                &format!("/api/{res}/verify"),
                Some(&w.leader),
                &json!({"ids": [id]}),
            )
            .await,
            StatusCode::OK,
            res,
        )
        .await;
        assert_eq!(out["verified"], 1, "{res}: {out}");
        let got = expect_status(
            w.get(&app.admin, &format!("/api/{res}/{id}")).await,
            StatusCode::OK,
            res,
        )
        .await;
        assert_eq!(got[field], value, "{res}");
        assert_eq!(
            w.items(&app.admin, &format!("/api/{res}?verified=true"))
                .await
                .len(),
            1,
            "{res}"
        );
    }
    // Resources without verification have no verify route.
    assert_ne!(
        app.post(
            "/api/downtime/verify",
            Some(&app.admin),
            &json!({"ids": ["x"]})
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn holds_drive_the_work_order_status() {
    let w = world().await;
    let app = &w.app;
    w.admin_create("jobs", json!({"job_id": "J-1", "work_order_id": "WO-A", "part_number": "P", "quantity_ordered": 5})).await;
    let hold = |extra: Value| {
        let mut b =
            json!({"client_id": A, "work_order_id": "WO-A", "hold_reason": "MATERIAL_INSPECTION"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let status = || async {
        expect_status(
            w.get(&app.admin, "/api/work-orders/WO-A").await,
            StatusCode::OK,
            "wo",
        )
        .await["status"]
            .clone()
    };
    // A job-level hold leaves the work order ACTIVE; a work-order-level one puts it ON_HOLD.
    let job_hold = w
        .create(
            &w.leader,
            "holds",
            hold(json!({"job_id": "J-1", "hold_status": "ON_HOLD", "hold_date": "2025-12-01"})),
        )
        .await;
    assert!(warning_codes(&job_hold).contains(&"missing_recommended".to_owned()));
    assert_eq!(status().await, "ACTIVE");
    let h = w
        .create(
            &w.leader,
            "holds",
            hold(
                json!({"hold_status": "ON_HOLD", "hold_date": "2025-12-02", "hold_time": "06:00"}),
            ),
        )
        .await;
    let hid = h["hold_entry_id"].as_str().unwrap().to_owned();
    assert_eq!(hid, "20251202-HOLD-0001");
    assert!(h["total_hold_duration_hours"].is_null());
    assert_eq!(status().await, "ON_HOLD");
    // A second open hold of the same (work order, job) → 409.
    let body = expect_status(
        app.post(
            "/api/holds",
            Some(&w.leader),
            &hold(json!({"hold_status": "ON_HOLD", "hold_date": "2025-12-03"})),
        )
        .await,
        StatusCode::CONFLICT,
        "second",
    )
    .await;
    assert_eq!(body["error"]["code"], "hold_already_open");
    assert_eq!(body["error"]["details"][0]["field"], "work_order_id");
    // The work order's status is the hold entries' business.
    assert_eq!(
        error_code(
            app.patch(
                "/api/work-orders/WO-A",
                Some(&w.leader),
                &json!({"status": "ACTIVE"})
            )
            .await
        )
        .await,
        (StatusCode::UNPROCESSABLE_ENTITY, "use_hold_entries".into())
    );
    assert_eq!(
        error_code(
            app.patch(
                "/api/work-orders/WO-A",
                Some(&w.leader),
                &json!({"status": "COMPLETED"})
            )
            .await
        )
        .await,
        (StatusCode::CONFLICT, "open_holds".into())
    );
    // Resume: duration computed, the order runs again; RESUMED is final.
    let resumed = expect_status(
        app.patch(
            &format!("/api/holds/{hid}"),
            Some(&w.leader),
            &json!({"hold_status": "RESUMED", "resume_date": "2025-12-03", "resume_time": "12:30"}),
        )
        .await,
        StatusCode::OK,
        "resume",
    )
    .await;
    assert_eq!(resumed["total_hold_duration_hours"], 30.5);
    assert_eq!(
        resumed["resume_approved_by_user_id"],
        w.user_id(&w.leader).await.as_str()
    );
    assert_eq!(status().await, "ACTIVE");
    let (_, fields) = error_fields(
        app.patch(
            &format!("/api/holds/{hid}"),
            Some(&w.leader),
            &json!({"hold_status": "ON_HOLD", "resume_date": null}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "final",
    )
    .await;
    assert!(fields.contains(&"hold_status".to_owned()));
    // Closing with the job-level hold still open → 409; cancelling it lets the order close.
    assert_eq!(
        error_code(
            app.patch(
                "/api/work-orders/WO-A",
                Some(&w.leader),
                &json!({"status": "COMPLETED"})
            )
            .await
        )
        .await
        .1,
        "open_holds"
    );
    let jid = job_hold["hold_entry_id"].as_str().unwrap();
    expect_status(
        app.patch(
            &format!("/api/holds/{jid}"),
            Some(&w.leader),
            &json!({"hold_status": "CANCELLED"}),
        )
        .await,
        StatusCode::OK,
        "cancel",
    )
    .await;
    let closed = expect_status(
        app.patch(
            "/api/work-orders/WO-A",
            Some(&w.leader),
            &json!({"status": "COMPLETED"}),
        )
        .await,
        StatusCode::OK,
        "close",
    )
    .await;
    assert_eq!(closed["status"], "COMPLETED");
    // A hold on a closed order is accepted with a warning and leaves the status alone.
    let late = w.create(&w.leader, "holds", hold(json!({"hold_status": "ON_HOLD", "hold_date": "2025-12-05", "hold_reason_detail": "late"}))).await;
    assert_eq!(status().await, "COMPLETED");
    // Reopened with that hold open, the order is ON_HOLD; deleting the hold releases it.
    let reopened = expect_status(
        app.patch(
            "/api/work-orders/WO-A",
            Some(&w.leader),
            &json!({"status": "ACTIVE"}),
        )
        .await,
        StatusCode::OK,
        "reopen",
    )
    .await;
    assert_eq!(reopened["status"], "ON_HOLD", "{reopened}");
    assert!(reopened["closed_date"].is_null());
    let lid = late["hold_entry_id"].as_str().unwrap();
    expect_status(
        app.delete(&format!("/api/holds/{lid}"), Some(&app.admin))
            .await,
        StatusCode::OK,
        "delete hold",
    )
    .await;
    assert_eq!(status().await, "ACTIVE");
    // A cancelled hold may have no date: its id uses the creation date.
    let c = w
        .create(
            &w.leader,
            "holds",
            hold(json!({"hold_status": "CANCELLED"})),
        )
        .await;
    assert!(c["hold_entry_id"].as_str().unwrap().contains("-HOLD-"));
}

#[actix_web::test]
async fn a_floater_is_never_in_two_places_at_once() {
    let w = world().await;
    w.people().await;
    let att = |client: &str, emp: &str, floater: Option<&str>| {
        json!({"client_id": client, "employee_id": emp, "shift_date": DAY,
        "shift_type": "SHIFT_1ST", "is_absent": true, "absence_type": "MEDICAL_LEAVE", "covered_by_floating_employee_id": floater})
    };
    w.admin_create("attendance", att(A, "EMP-A", Some("FLT-1")))
        .await;
    let body = expect_status(
        w.app
            .post(
                "/api/attendance",
                Some(&w.app.admin),
                &att(B, "EMP-B", Some("FLT-1")),
            )
            .await,
        StatusCode::CONFLICT,
        "double",
    )
    .await;
    assert_eq!(body["error"]["code"], "floater_double_booked");
    assert_eq!(
        body["error"]["details"][0]["field"],
        "covered_by_floating_employee_id"
    );
    // The natural key (employee, date, shift) is unique among active rows.
    assert_eq!(
        error_code(
            w.app
                .post(
                    "/api/attendance",
                    Some(&w.app.admin),
                    &att(A, "EMP-A", None)
                )
                .await
        )
        .await,
        (StatusCode::CONFLICT, "duplicate_id".into())
    );
    let absent_row = w.admin_create("attendance", att(A, "EMP-A2", None)).await;
    assert!(!warning_codes(&absent_row).contains(&"missing_recommended".to_owned()));
    // Coverage: one slot per floater across all clients; a mismatch with attendance warns.
    let cov = |client: &str, absent: &str| json!({"client_id": client, "absent_employee_id": absent, "floating_employee_id": "FLT-1", "shift_date": DAY, "shift_type": "SHIFT_1ST"});
    let first = w.admin_create("coverage", cov(A, "EMP-A")).await;
    assert!(!warning_codes(&first).contains(&"coverage_mismatch".to_owned()));
    let body = expect_status(
        w.app
            .post("/api/coverage", Some(&w.app.admin), &cov(B, "EMP-B"))
            .await,
        StatusCode::CONFLICT,
        "coverage double",
    )
    .await;
    assert_eq!(body["error"]["code"], "floater_double_booked");
    assert_eq!(body["error"]["details"][0]["field"], "floating_employee_id");
    // Another shift is free.
    let mut other = cov(B, "EMP-B");
    other["shift_type"] = json!("SHIFT_2ND");
    w.create(&w.leader_b, "coverage", other).await;
}
