//! Clarification: "a write that names a floater also refreshes the cached aggregates of the
//! floater's assigned clients". A floater assigned to FLA is idle there (its hours count in
//! FLA's efficiency) until it covers someone at FLB; the coverage write at FLB must change
//! FLA's next read even though FLA's cached value was computed before.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn covering_at_another_client_refreshes_the_floaters_assigned_client() {
    let app = spawn_app().await;
    app.create_client("FLA").await;
    app.create_client("FLB").await;
    app.master_data("FLA", "WO-FLA", Some(0.25), Some(0.025))
        .await;
    let day = (client_today() - chrono::Days::new(2)).to_string();
    let create = |path: &'static str, body: serde_json::Value| {
        let app = &app;
        async move {
            let res = app.post(path, Some(&app.admin), &body).await;
            expect_status(res, StatusCode::CREATED, path).await
        }
    };
    create(
        "/api/employees",
        json!({"employee_id": "FLT-9", "employee_name": "Flo Ater", "is_floating_pool": true}),
    )
    .await;
    create(
        "/api/employees",
        json!({"employee_id": "EMP-B9", "employee_name": "Bea", "client_id_assigned": "FLB"}),
    )
    .await;
    create(
        "/api/floating-pool",
        json!({"employee_id": "FLT-9", "status": "ASSIGNED", "assigned_to_client": "FLA",
            "assignment_start_date": day, "shift_type": "SHIFT_1ST"}),
    )
    .await;
    create(
        "/api/production",
        json!({"client_id": "FLA", "work_order_id": "WO-FLA", "shift_date": day, "shift_type": "SHIFT_1ST",
            "units_produced": 100, "employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 9}),
    )
    .await;
    let window = format!("from={day}&to={day}");
    let efficiency = || {
        let app = &app;
        let window = window.clone();
        async move {
            let res = app
                .get(&format!("/api/clients/FLA/kpis?{window}"), Some(&app.admin))
                .await;
            expect_status(res, StatusCode::OK, "kpis").await["kpis"]["efficiency"]["value"].clone()
        }
    };
    // 100 × 0.25 = 25 standard hours ÷ (10 × 9 + one idle floater × 9 = 99) = 25.25 %.
    assert_eq!(efficiency().await, json!(25.25));
    assert_eq!(efficiency().await, json!(25.25), "cached");

    // The floater covers an absence at FLB: no longer idle at FLA → 25 ÷ 90 = 27.78 %.
    create(
        "/api/coverage",
        json!({"client_id": "FLB", "absent_employee_id": "EMP-B9", "floating_employee_id": "FLT-9",
            "shift_date": day, "shift_type": "SHIFT_1ST", "coverage_duration_hours": 9}),
    )
    .await;
    assert_eq!(efficiency().await, json!(27.78));
}
