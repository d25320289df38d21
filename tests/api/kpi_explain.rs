//! GET /api/clients/{id}/kpis/{name}/explain (kpis.md §5.4): a hand-built line-shift with one
//! inferred input, listed with its level, strategy and confidence; the value is the one of GET
//! kpis; tenant rules as every KPI read.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const WINDOW: &str = "from=2025-12-15&to=2025-12-15";

/// Client EXPL-A, labour and line standard 0.25 h/unit, one SHIFT_1ST entry on 2025-12-15:
/// 100 units, 9 shift hours and 8 run hours recorded, employees_assigned blank → the client's
/// SHIFT standard_employees 10 (level 3, client_standard_staffing). Returns the entry id.
async fn one_inferred_input(app: &TestApp) -> String {
    app.create_client("EXPL-A").await;
    app.master_data("EXPL-A", "WO-EXPL-1", Some(0.25), Some(0.25))
        .await;
    let body = json!({"client_id": "EXPL-A", "work_order_id": "WO-EXPL-1", "shift_date": "2025-12-15",
        "shift_type": "SHIFT_1ST", "units_produced": 100, "shift_hours_scheduled": 9, "run_time_hours": 8,
        "units_defective": 0});
    let res = app.post("/api/production", Some(&app.admin), &body).await;
    let entry = expect_status(res, StatusCode::CREATED, "production").await;
    entry["production_entry_id"].as_str().unwrap().to_owned()
}

async fn explain(app: &TestApp, client: &str, kpi: &str, token: Option<&str>) -> reqwest::Response {
    app.get(
        &format!("/api/clients/{client}/kpis/{kpi}/explain?{WINDOW}"),
        token,
    )
    .await
}

#[actix_web::test]
async fn explain_lists_the_inferred_input_and_agrees_with_get_kpis() {
    let app = spawn_app().await;
    let entry = one_inferred_input(&app).await;
    let res = explain(&app, "EXPL-A", "efficiency", Some(&app.admin)).await;
    let e = expect_status(res, StatusCode::OK, "explain efficiency").await;
    let res = app
        .get(
            &format!("/api/clients/EXPL-A/kpis?{WINDOW}"),
            Some(&app.admin),
        )
        .await;
    let all = expect_status(res, StatusCode::OK, "kpis").await;

    // 100 × 0.25 = 25 standard hours ÷ (10 × 9 = 90) = 27.777… → 27.78 %.
    assert_eq!(e["result"]["value"], json!(27.78), "{e}");
    assert_eq!(e["result"], all["kpis"]["efficiency"], "explain = GET kpis");
    // Pairs: units L1, labour standard L1, employees L3, shift hours L1 → (1 + 1 + 0.7 + 1) ÷ 4
    // = 0.925 → 0.93.
    assert_eq!(e["result"]["confidence"], json!(0.93));
    assert_eq!(
        e["pairs"],
        json!({"total": 4, "recorded": 3, "inferred": 1})
    );
    assert_eq!(
        e["inferred"],
        json!([{"record": format!("production/{entry}"), "field": "employees_assigned", "value": 10.0,
                "level": 3, "score": 0.7, "strategy": "client_standard_staffing",
                "source": "SHIFT EXPL-A.SHIFT_1ST"}])
    );
    assert_eq!(e["truncated"], json!(false));
    let employees = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "employees_assigned")
        .expect("employees_assigned summary");
    assert_eq!(employees["inferred"], json!(1));
    assert_eq!(
        employees["levels"][0]["strategy"],
        "client_standard_staffing"
    );
    // Script input: what the formula saw.
    assert_eq!(e["script_input"]["standard_hours_produced"], json!(25.0));
    assert_eq!(e["script_input"]["entry_person_hours"], json!(90.0));
    assert_eq!(e["script_input"]["entries"], json!(1));
    // Formula: the global default script, the version GET kpis names, with its source hash.
    assert_eq!(e["formula_scope"], "global");
    assert_eq!(e["formula"]["scope"], "global");
    assert_eq!(e["formula"]["client_id"], Value::Null);
    assert_eq!(
        e["formula_version"],
        all["kpis"]["efficiency"]["formula_version"]
    );
    assert_eq!(e["formula"]["source_sha256"].as_str().unwrap().len(), 64);
    assert!(e["settings_version"].as_i64().unwrap() >= 1, "{e}");
    assert_eq!(
        (e["from"].as_str(), e["to"].as_str()),
        (Some("2025-12-15"), Some("2025-12-15"))
    );
}

#[actix_web::test]
async fn explain_availability_and_oee_name_their_defaults() {
    let app = spawn_app().await;
    let entry = one_inferred_input(&app).await;
    let res = explain(&app, "EXPL-A", "availability", Some(&app.admin)).await;
    let a = expect_status(res, StatusCode::OK, "explain availability").await;
    // No downtime data, run time 8 of 9 h recorded → (9 − 8) × 60 = 60 minutes of the whole
    // crew (shift_minus_run_time, L3): 1 − 10 ÷ 90 = 88.89 %. Employees L3, shift hours L1,
    // downtime L3: (0.7 + 1 + 0.7) ÷ 3 = 0.8.
    assert_eq!(a["result"]["value"], json!(88.89));
    assert_eq!(a["result"]["confidence"], json!(0.8));
    let downtime: Vec<&Value> = a["inferred"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["field"] == "downtime_minutes")
        .collect();
    assert_eq!(downtime.len(), 1, "{a}");
    assert_eq!(downtime[0]["record"], format!("production/{entry}"));
    assert_eq!(
        (
            downtime[0]["level"].as_i64(),
            downtime[0]["strategy"].as_str()
        ),
        (Some(3), Some("shift_minus_run_time"))
    );
    assert_eq!(downtime[0]["value"], json!(60.0));

    let res = explain(&app, "EXPL-A", "oee", Some(&app.admin)).await;
    let o = expect_status(res, StatusCode::OK, "explain oee").await;
    let res = app
        .get(
            &format!("/api/clients/EXPL-A/kpis?{WINDOW}"),
            Some(&app.admin),
        )
        .await;
    let all = expect_status(res, StatusCode::OK, "kpis").await;
    assert_eq!(o["result"], all["kpis"]["oee"]);
    // performance 25 ÷ 8 = 312.5 %, availability 88.888… %, quality 100 % → OEE 277.78 %.
    assert_eq!(o["result"]["value"], json!(277.78));
    let names: Vec<&str> = o["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["availability", "performance", "quality_rate"]);
    assert_eq!(o["script_input"]["performance"], json!(3.125));
}

#[actix_web::test]
async fn explain_follows_the_tenant_rules() {
    let app = spawn_app().await;
    one_inferred_input(&app).await;
    app.create_client("EXPL-B").await;
    let leader = app
        .user_token("expl-leader", "LEADER_DATACONFIG", &["EXPL-B"])
        .await;
    let (status, code) =
        error_code(explain(&app, "EXPL-A", "efficiency", Some(&leader)).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let res = explain(&app, "EXPL-B", "efficiency", Some(&leader)).await;
    let own = expect_status(res, StatusCode::OK, "own client").await;
    assert_eq!(own["result"]["status"], "no_data");
    let (status, _) =
        error_code(explain(&app, "NOPE-X", "efficiency", Some(&app.admin)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, code) = error_code(explain(&app, "EXPL-A", "nope", Some(&app.admin)).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "unknown_kpi")
    );
    let (status, _) = error_code(explain(&app, "EXPL-A", "efficiency", None).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
