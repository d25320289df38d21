//! KPI slice (efficiency, performance): the spec's worked examples, the inference chains and
//! their confidence, ratio of sums, filters and window errors (kpis.md §1, §2, §4.4, §4.5, §5).
//! Every expected number is computed by hand in a comment next to its assertion.
//!
//! Floaters and deactivated shift rows have no API yet: those tests write the rows straight into
//! the test's SQLite file (WAL lets a second connection write between the writer's batches) and
//! do so before the production entries are posted, so a future result cache is refreshed anyway.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Posts a production entry as ADMIN; `extra` adds the optional fields.
async fn produce(
    app: &TestApp,
    client: &str,
    wo: &str,
    date: &str,
    shift: &str,
    units: i64,
    extra: Value,
) {
    let mut body = json!({"client_id": client, "work_order_id": wo, "shift_date": date,
        "shift_type": shift, "units_produced": units});
    for (k, v) in extra.as_object().expect("extra is an object") {
        body[k] = v.clone();
    }
    let res = app.post("/api/production", Some(&app.admin), &body).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "production {body}: {}",
        res.text().await.unwrap_or_default()
    );
}

/// GET /api/clients/{client}/kpis?{query} as ADMIN → the whole body (200 asserted).
async fn kpis(app: &TestApp, client: &str, query: &str) -> Value {
    let res = app
        .get(
            &format!("/api/clients/{client}/kpis?{query}"),
            Some(&app.admin),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "kpis {client}?{query}: {body}");
    body
}

async fn efficiency(app: &TestApp, client: &str, query: &str) -> Value {
    kpis(app, client, query).await["kpis"]["efficiency"].clone()
}

async fn performance(app: &TestApp, client: &str, query: &str) -> Value {
    kpis(app, client, query).await["kpis"]["performance"].clone()
}

fn value(k: &Value) -> Option<f64> {
    k["value"].as_f64()
}

fn confidence(k: &Value) -> f64 {
    k["confidence"].as_f64().expect("confidence is a number")
}

fn codes(k: &Value) -> Vec<String> {
    k["warnings"]
        .as_array()
        .expect("warnings is a list")
        .iter()
        .map(|w| w["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn has_warning(k: &Value, code: &str) -> bool {
    codes(k).iter().any(|c| c == code)
}

fn inferred(k: &Value) -> Vec<String> {
    k["inferred_fields"]
        .as_array()
        .expect("inferred_fields is a list")
        .iter()
        .map(|f| f.as_str().unwrap_or("").to_owned())
        .collect()
}

/// Asserts the inference summary of a result.
fn assert_inference(k: &Value, estimated: bool, conf: f64, level_max: i64, fields: &[&str]) {
    assert_eq!(k["estimated"], json!(estimated), "estimated: {k}");
    assert_eq!(confidence(k), conf, "confidence: {k}");
    assert_eq!(
        k["inference_level_max"].as_i64(),
        Some(level_max),
        "inference_level_max: {k}"
    );
    assert_eq!(inferred(k), fields, "inferred_fields: {k}");
}

async fn put_settings(app: &TestApp, client: &str, settings: Value) {
    let res = app
        .put(
            &format!("/api/clients/{client}/settings"),
            Some(&app.admin),
            &json!({ "settings": settings }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "settings: {}",
        res.text().await.unwrap_or_default()
    );
}

/// Product + work order of another style (master_data always uses ROPER).
async fn styled_master_data(app: &TestApp, client: &str, wo: &str, style: &str) {
    let product = format!("{wo}-P");
    let res = app
        .post(
            "/api/products",
            Some(&app.admin),
            &json!({"product_id": product, "client_id": client, "style_model": style}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post("/api/work-orders", Some(&app.admin), &json!({"work_order_id": wo, "client_id": client, "product_id": product, "style_model": style, "planned_quantity": 1000}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// A second connection to the test's database, for rows that have no API yet.
fn db(app: &TestApp) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(app.dir.path().join("kpi.db")).expect("open kpi.db");
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c.pragma_update(None, "foreign_keys", "ON").unwrap();
    c
}

/// One floating-pool employee with one ASSIGNED FLOATING_POOL row.
fn assign_floater(
    c: &rusqlite::Connection,
    employee: &str,
    client: &str,
    start: &str,
    end: Option<&str>,
    shift: Option<&str>,
) {
    c.execute(
        "INSERT INTO employees (employee_id, employee_name, is_floating_pool) VALUES (?1, ?2, 1)",
        rusqlite::params![employee, format!("Floater {employee}")],
    )
    .unwrap();
    c.execute(
        "INSERT INTO floating_pool (floating_pool_id, employee_id, status, assigned_to_client, \
         assignment_start_date, assignment_end_date, shift_type) VALUES (?1, ?2, 'ASSIGNED', ?3, ?4, ?5, ?6)",
        rusqlite::params![
            format!("{employee}-{}-080000", start.replace('-', "")),
            employee,
            client,
            start,
            end,
            shift
        ],
    )
    .unwrap();
}

const DAY1: &str = "from=2025-12-01&to=2025-12-01";

// ---------------------------------------------------------------------------------------------
// 1. Performance worked example (kpis.md §4.5)
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn performance_worked_example_all_recorded() {
    let app = spawn_app().await;
    app.create_client("PERF").await;
    // Line cycle time 0.25 h/unit; labour standard 2.5 h/unit (= 0.25 × 10) so efficiency is
    // fully recorded too.
    app.master_data("PERF", "WO-1", Some(2.5), Some(0.25)).await;
    // Two entries of 50 units, run time 11 h each (shift hours 12, so r ≤ h holds).
    for date in ["2025-12-01", "2025-12-02"] {
        produce(&app, "PERF", "WO-1", date, "SHIFT_1ST", 50,
            json!({"employees_assigned": 10, "shift_hours_scheduled": 12, "run_time_hours": 11, "downtime_total_minutes": 60})).await;
    }
    let body = kpis(&app, "PERF", "from=2025-12-01&to=2025-12-05").await;
    assert_eq!(body["client_id"], "PERF");
    assert_eq!(body["from"], "2025-12-01");
    assert_eq!(body["to"], "2025-12-05");
    let p = &body["kpis"]["performance"];
    // Σ u·C = 100 × 0.25 = 25 ideal hours; Σ r = 11 + 11 = 22 h; 25 ÷ 22 × 100 = 113.636… → 113.64.
    assert_eq!(value(p), Some(113.64), "{p}");
    assert_eq!(p["display_value"].as_f64(), Some(113.64));
    assert_eq!(p["unit"], "%");
    // Default target 90; 113.64 ≥ 90 → on_target.
    assert_eq!(p["target"].as_f64(), Some(90.0));
    assert_eq!(p["status"], "on_target");
    // Every pair recorded → not estimated, confidence 1.0, level 1.
    assert_inference(p, false, 1.0, 1, &[]);
    assert_eq!(p["flag_for_review"], false);
    // 113.64 is between 50 and 150: no plausibility warning; nothing derived.
    assert!(codes(p).is_empty(), "{p}");
    assert_eq!(p["formula_version"].as_i64(), Some(1));

    // Efficiency of the same rows: 100 × 2.5 = 250 standard hours ÷ (2 × 10 × 12 = 240) = 104.17 %,
    // never capped, with exceeds_theoretical_maximum (a script warning → flag_for_review).
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(104.17), "{e}");
    assert_inference(e, false, 1.0, 1, &[]);
    assert!(has_warning(e, "exceeds_theoretical_maximum"), "{e}");
    assert_eq!(e["flag_for_review"], true);
    assert_eq!(e["formula_version"].as_i64(), Some(1));
}

#[actix_web::test]
async fn performance_worked_example_one_long_entry() {
    let app = spawn_app().await;
    app.create_client("PERF").await;
    app.master_data("PERF", "WO-1", Some(2.5), Some(0.25)).await;
    // One entry: 100 units, shift hours 24, run time 22 → 25 ÷ 22 = 113.64 %.
    produce(
        &app,
        "PERF",
        "WO-1",
        "2025-12-03",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 24, "run_time_hours": 22}),
    )
    .await;
    let p = performance(&app, "PERF", "from=2025-12-01&to=2025-12-05").await;
    assert_eq!(value(&p), Some(113.64), "{p}");
    assert_inference(&p, false, 1.0, 1, &[]);
    // A window without the entry has no data.
    let p = performance(&app, "PERF", DAY1).await;
    assert_eq!(value(&p), None);
    assert_eq!(p["status"], "no_data");
}

// ---------------------------------------------------------------------------------------------
// 2. Efficiency worked example without floaters, and the status rule (kpis.md §1, §4.4)
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn efficiency_worked_example_and_status_against_target() {
    let app = spawn_app().await;
    app.create_client("EFF").await;
    app.master_data("EFF", "WO-1", Some(0.25), Some(0.025))
        .await;
    // Targets resolve at the end of the period (domain.md §8), and a settings change is effective
    // from now; so the entry lies a few days back and the window ends today.
    let today = client_today();
    let day = today - chrono::Days::new(3);
    let window = format!("from={}&to={today}", today - chrono::Days::new(6));
    produce(
        &app,
        "EFF",
        "WO-1",
        &day.to_string(),
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;

    // 100 units × 0.25 h = 25 standard hours; 10 × 9 h = 90 h; 25 ÷ 90 × 100 = 27.777… → 27.78.
    let e = efficiency(&app, "EFF", &window).await;
    assert_eq!(value(&e), Some(27.78), "{e}");
    assert_inference(&e, false, 1.0, 1, &[]);
    assert!(codes(&e).is_empty(), "27.78 is within 20..100: {e}");
    assert_eq!(e["flag_for_review"], false);
    // Default target 90: 27.78 < 0.95 × 90 = 85.5 → off_target.
    assert_eq!(e["target"].as_f64(), Some(90.0));
    assert_eq!(e["status"], "off_target");
    // Downtime and run time do not enter the efficiency denominator (scheduled hours): the
    // run time of 3 h would give 25 ÷ 30.

    // (target, expected status) with v = 27.777…:
    // 27 → v ≥ t → on_target; 29 → 0.95 × 29 = 27.55 ≤ v < 29 → at_risk;
    // 30 → 0.95 × 30 = 28.5 > v → off_target;
    // 27.78 → the rounded value equals the target, but the comparison is unrounded: v < t and
    // v ≥ 0.95 t → at_risk.
    for (target, status) in [
        (27.0, "on_target"),
        (29.0, "at_risk"),
        (30.0, "off_target"),
        (27.78, "at_risk"),
        (26.5, "on_target"),
    ] {
        put_settings(&app, "EFF", json!({"targets": {"efficiency": target}})).await;
        let e = efficiency(&app, "EFF", &window).await;
        assert_eq!(e["target"].as_f64(), Some(target), "{e}");
        assert_eq!(e["status"], status, "target {target}: {e}");
        assert_eq!(value(&e), Some(27.78));
    }
    // No target → no_target.
    put_settings(&app, "EFF", json!({"targets": {"efficiency": null}})).await;
    let e = efficiency(&app, "EFF", &window).await;
    assert_eq!(e["target"], Value::Null);
    assert_eq!(e["status"], "no_target");

    // A period that ended before the settings changed keeps the target then in force (the first
    // version: 90) → off_target.
    let past = format!(
        "from={}&to={}",
        today - chrono::Days::new(6),
        today - chrono::Days::new(1)
    );
    let e = efficiency(&app, "EFF", &past).await;
    assert_eq!(value(&e), Some(27.78));
    assert_eq!(e["target"].as_f64(), Some(90.0), "{e}");
    assert_eq!(e["status"], "off_target");
}

// ---------------------------------------------------------------------------------------------
// 3. Efficiency worked example WITH idle floaters (engine level: floaters have no API yet)
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn efficiency_worked_example_with_idle_floaters() {
    let app = spawn_app().await;
    app.create_client("FLT").await;
    app.create_client("ELSEWHERE").await;
    app.master_data("FLT", "WO-F", Some(0.25), Some(0.025))
        .await;
    {
        let c = db(&app);
        // Two idle floaters on FLT's SHIFT_1ST covering 2025-12-01 (one open-ended, one bounded).
        assign_floater(&c, "FL-1", "FLT", "2025-11-01", None, Some("SHIFT_1ST"));
        assign_floater(
            &c,
            "FL-2",
            "FLT",
            "2025-12-01",
            Some("2025-12-31"),
            Some("SHIFT_1ST"),
        );
        // Not counted: assigned to another client; assignment starting after the date.
        assign_floater(
            &c,
            "FL-3",
            "ELSEWHERE",
            "2025-11-01",
            None,
            Some("SHIFT_1ST"),
        );
        assign_floater(&c, "FL-4", "FLT", "2025-12-02", None, Some("SHIFT_1ST"));
    }
    produce(
        &app,
        "FLT",
        "WO-F",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    produce(
        &app,
        "FLT",
        "WO-F",
        "2025-12-01",
        "SHIFT_2ND",
        72,
        json!({"employees_assigned": 8, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;

    // SHIFT_1ST: 25 standard hours ÷ (10 × 9 + 2 idle floaters × 9 h = 108) = 23.148… → 23.15.
    let e = efficiency(&app, "FLT", &format!("{DAY1}&shift=SHIFT_1ST")).await;
    assert_eq!(value(&e), Some(23.15), "{e}");
    // Floater rows are data, not inference.
    assert_inference(&e, false, 1.0, 1, &[]);
    assert!(codes(&e).is_empty(), "{e}");

    // SHIFT_2ND has no floaters: 72 × 0.25 = 18 ÷ (8 × 9 = 72) = 25 %.
    let e = efficiency(&app, "FLT", &format!("{DAY1}&shift=SHIFT_2ND")).await;
    assert_eq!(value(&e), Some(25.0), "{e}");

    // Both line-shifts: (25 + 18) ÷ (90 + 18 + 72) = 43 ÷ 180 = 23.888… → 23.89.
    let body = kpis(&app, "FLT", DAY1).await;
    assert_eq!(value(&body["kpis"]["efficiency"]), Some(23.89));
    // Performance ignores floaters: (100 + 72) × 0.025 = 4.3 ÷ (3 + 3) = 71.666… → 71.67.
    assert_eq!(value(&body["kpis"]["performance"]), Some(71.67));

    // Under a work-order filter the line-shift terms are skipped: back to 25 ÷ 90 = 27.78 on
    // SHIFT_1ST, with line_adjustments_skipped on efficiency only.
    let body = kpis(
        &app,
        "FLT",
        &format!("{DAY1}&shift=SHIFT_1ST&work_order_id=WO-F"),
    )
    .await;
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(27.78), "{e}");
    assert!(has_warning(e, "line_adjustments_skipped"), "{e}");
    assert!(!has_warning(
        &body["kpis"]["performance"],
        "line_adjustments_skipped"
    ));
    // Same under a product filter.
    let e = efficiency(
        &app,
        "FLT",
        &format!("{DAY1}&shift=SHIFT_1ST&product_id=WO-F-P"),
    )
    .await;
    assert_eq!(value(&e), Some(27.78), "{e}");
    assert!(has_warning(&e, "line_adjustments_skipped"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// 4. Inference chains, levels and confidence (kpis.md §5.1–5.3)
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn blank_employees_use_client_standard_staffing() {
    let app = spawn_app().await;
    app.create_client("INF").await;
    app.master_data("INF", "WO-1", Some(0.25), Some(0.025))
        .await;
    produce(
        &app,
        "INF",
        "WO-1",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;

    // n ← SHIFT_1ST standard_employees 10 (client_standard_staffing, level 3, score 0.7).
    // 25 ÷ (10 × 9) = 27.78 %; confidence (1.0 + 1.0 + 0.7 + 1.0) ÷ 4 = 0.925 → 0.93.
    let body = kpis(&app, "INF", DAY1).await;
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(27.78), "{e}");
    assert_inference(e, true, 0.93, 3, &["employees_assigned"]);
    assert_eq!(
        e["flag_for_review"], false,
        "0.93 ≥ 0.70 and no script warning"
    );
    // Performance does not use n when the line cycle time is recorded:
    // 100 × 0.025 = 2.5 ÷ 3 = 83.33 %, all recorded.
    let p = &body["kpis"]["performance"];
    assert_eq!(value(p), Some(83.33), "{p}");
    assert_inference(p, false, 1.0, 1, &[]);

    // The client standard (not the shift default, also 10) is what is used: with 12 people,
    // 25 ÷ (12 × 9 = 108) = 23.15 %, still level 3. Shift standards resolve at the end of the
    // line-shift's date (clarification), so the entry lies on today, after the change.
    put_settings(
        &app,
        "INF",
        json!({"shift_standards": {"SHIFT_1ST": {"standard_employees": 12}}}),
    )
    .await;
    let today = client_today().to_string();
    produce(
        &app,
        "INF",
        "WO-1",
        &today,
        "SHIFT_1ST",
        100,
        json!({"shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    let e = efficiency(&app, "INF", &format!("from={today}&to={today}")).await;
    assert_eq!(value(&e), Some(23.15), "{e}");
    assert_inference(&e, true, 0.93, 3, &["employees_assigned"]);
}

#[actix_web::test]
async fn labour_and_line_standards_derive_from_each_other() {
    let app = spawn_app().await;
    app.create_client("DER").await;
    // Only the line cycle time: 0.025 h/unit.
    app.master_data("DER", "WO-LINE", None, Some(0.025)).await;
    // Only the labour standard: 0.3 h/unit.
    app.master_data("DER", "WO-LAB", Some(0.3), None).await;
    produce(
        &app,
        "DER",
        "WO-LINE",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    produce(
        &app,
        "DER",
        "WO-LAB",
        "2025-12-02",
        "SHIFT_1ST",
        90,
        json!({"employees_assigned": 12, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;

    // (b) labour ← line × n = 0.025 × 10 = 0.25 (from_line_standard, level 2, score 0.9).
    // 100 × 0.25 = 25 ÷ 90 = 27.78 % (without the × n it would be 2.5 ÷ 90 = 2.78 %).
    // Confidence (1.0 + 0.9 + 1.0 + 1.0) ÷ 4 = 0.975 → 0.98.
    let body = kpis(&app, "DER", DAY1).await;
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(27.78), "{e}");
    assert_inference(e, true, 0.98, 2, &["labour_standard"]);
    assert!(has_warning(e, "derived_from_line_standard"), "{e}");
    // Performance uses the recorded line cycle time: 2.5 ÷ 3 = 83.33 %, all recorded.
    let p = &body["kpis"]["performance"];
    assert_eq!(value(p), Some(83.33), "{p}");
    assert_inference(p, false, 1.0, 1, &[]);
    assert!(!has_warning(p, "derived_from_labour_standard"), "{p}");

    // The reverse: line ← level-1 labour ÷ n = 0.3 ÷ 12 = 0.025 (from_labour_standard, level 2).
    // 90 × 0.025 = 2.25 ÷ 3 = 75 %; confidence (1.0 + 0.9 + 1.0) ÷ 3 = 0.9667 → 0.97.
    let body = kpis(&app, "DER", "from=2025-12-02&to=2025-12-02").await;
    let p = &body["kpis"]["performance"];
    assert_eq!(value(p), Some(75.0), "{p}");
    assert_inference(p, true, 0.97, 2, &["line_cycle_time"]);
    assert!(has_warning(p, "derived_from_labour_standard"), "{p}");
    // Efficiency uses the recorded labour: 90 × 0.3 = 27 ÷ (12 × 9 = 108) = 25 %, all recorded.
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(25.0), "{e}");
    assert_inference(e, false, 1.0, 1, &[]);
    assert!(!has_warning(e, "derived_from_line_standard"), "{e}");
}

#[actix_web::test]
async fn no_standards_and_no_history_use_the_client_default() {
    let app = spawn_app().await;
    app.create_client("DEF").await;
    app.master_data("DEF", "WO-1", None, None).await;
    produce(
        &app,
        "DEF",
        "WO-1",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    // Everything blank but the units.
    produce(
        &app,
        "DEF",
        "WO-1",
        "2025-12-02",
        "SHIFT_1ST",
        100,
        json!({}),
    )
    .await;

    // (c) labour ← default_cycle_time_hours 0.25 (client_default, level 4, score 0.5):
    // 25 ÷ 90 = 27.78 %; confidence (1.0 + 0.5 + 1.0 + 1.0) ÷ 4 = 0.875 → 0.88.
    let body = kpis(&app, "DEF", DAY1).await;
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(27.78), "{e}");
    assert_inference(e, true, 0.88, 4, &["labour_standard"]);
    // line ← 0.25 ÷ 10 = 0.025 (client_default_per_person, level 4): 2.5 ÷ 3 = 83.33 %;
    // confidence (1.0 + 0.5 + 1.0) ÷ 3 = 0.8333 → 0.83.
    let p = &body["kpis"]["performance"];
    assert_eq!(value(p), Some(83.33), "{p}");
    assert_inference(p, true, 0.83, 4, &["line_cycle_time"]);
    assert_eq!(p["flag_for_review"], false);

    // All blank: h ← SHIFT_1ST standard 9 (level 2, 0.9); n ← standard staffing 10 (level 3, 0.7);
    // labour ← 0.25 (level 4, 0.5); line ← 0.25 ÷ 10 = 0.025 (level 4, 0.5); r ← h = 9 (shift_hours,
    // level 3, 0.7).
    // Efficiency 25 ÷ 90 = 27.78 %, confidence (1 + 0.5 + 0.7 + 0.9) ÷ 4 = 0.775 → 0.78.
    // Performance 2.5 ÷ 9 = 27.78 %, confidence (1 + 0.5 + 0.7) ÷ 3 = 0.7333 → 0.73, below 50
    // → below_plausible_minimum (script warning → flag_for_review).
    let body = kpis(&app, "DEF", "from=2025-12-02&to=2025-12-02").await;
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(27.78), "{e}");
    assert_inference(
        e,
        true,
        0.78,
        4,
        &[
            "employees_assigned",
            "labour_standard",
            "shift_hours_scheduled",
        ],
    );
    assert_eq!(e["flag_for_review"], false);
    let p = &body["kpis"]["performance"];
    assert_eq!(value(p), Some(27.78), "{p}");
    assert_inference(p, true, 0.73, 4, &["line_cycle_time", "run_time_hours"]);
    assert!(has_warning(p, "below_plausible_minimum"), "{p}");
    assert!(
        !has_warning(p, "low_confidence_estimate"),
        "0.73 ≥ 0.70: {p}"
    );
    assert_eq!(p["flag_for_review"], true);

    // A client default_cycle_time_hours of 0.5 doubles the standard hours: 50 ÷ 90 = 55.56 %
    // (level 4 still). Settings resolve at the end of the line-shift's date, so the entry lies on
    // today, after the change.
    put_settings(&app, "DEF", json!({"default_cycle_time_hours": 0.5})).await;
    let today = client_today().to_string();
    produce(
        &app,
        "DEF",
        "WO-1",
        &today,
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    let e = efficiency(&app, "DEF", &format!("from={today}&to={today}")).await;
    assert_eq!(value(&e), Some(55.56), "{e}");
    assert_inference(&e, true, 0.88, 4, &["labour_standard"]);
}

#[actix_web::test]
async fn run_time_from_shift_hours_minus_downtime() {
    let app = spawn_app().await;
    app.create_client("RUN").await;
    app.master_data("RUN", "WO-1", Some(0.5), Some(0.05)).await;
    // 150 units × 0.05 = 7.5 ideal hours on both days.
    produce(
        &app,
        "RUN",
        "WO-1",
        "2025-12-01",
        "SHIFT_1ST",
        150,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "downtime_total_minutes": 60}),
    )
    .await;
    produce(
        &app,
        "RUN",
        "WO-1",
        "2025-12-02",
        "SHIFT_1ST",
        150,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9}),
    )
    .await;

    // (d) r ← 9 − 60/60 = 8 (shift_minus_downtime, level 2): 7.5 ÷ 8 = 93.75 %;
    // confidence (1 + 1 + 0.9) ÷ 3 = 0.9667 → 0.97.
    let body = kpis(&app, "RUN", DAY1).await;
    let p = &body["kpis"]["performance"];
    assert_eq!(value(p), Some(93.75), "{p}");
    assert_inference(p, true, 0.97, 2, &["run_time_hours"]);
    // Efficiency does not use run time: 150 × 0.5 = 75 ÷ 90 = 83.33 %, all recorded.
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(83.33), "{e}");
    assert_inference(e, false, 1.0, 1, &[]);

    // No downtime at all: r ← h = 9 (shift_hours, level 3): 7.5 ÷ 9 = 83.33 %; confidence
    // (1 + 1 + 0.7) ÷ 3 = 0.9.
    let p = performance(&app, "RUN", "from=2025-12-02&to=2025-12-02").await;
    assert_eq!(value(&p), Some(83.33), "{p}");
    assert_inference(&p, true, 0.9, 3, &["run_time_hours"]);

    // Both days: 15 ÷ (8 + 9) = 88.235… → 88.24; confidence 5.6 ÷ 6 = 0.9333 → 0.93, level 3.
    let p = performance(&app, "RUN", "from=2025-12-01&to=2025-12-02").await;
    assert_eq!(value(&p), Some(88.24), "{p}");
    assert_inference(&p, true, 0.93, 3, &["run_time_hours"]);
}

#[actix_web::test]
async fn blank_shift_hours_share_the_line_shift_standard() {
    let app = spawn_app().await;
    app.create_client("SHR").await;
    app.master_data("SHR", "WO-A", Some(0.25), Some(0.025))
        .await;
    app.master_data("SHR", "WO-B", Some(0.25), Some(0.025))
        .await;
    // 2025-12-01: both entries of the line-shift have blank shift hours.
    produce(
        &app,
        "SHR",
        "WO-A",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "run_time_hours": 4}),
    )
    .await;
    produce(
        &app,
        "SHR",
        "WO-B",
        "2025-12-01",
        "SHIFT_1ST",
        60,
        json!({"employees_assigned": 6, "run_time_hours": 4}),
    )
    .await;
    // 2025-12-02: one records 3 h, the other is blank.
    produce(
        &app,
        "SHR",
        "WO-A",
        "2025-12-02",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 3, "run_time_hours": 3}),
    )
    .await;
    produce(
        &app,
        "SHR",
        "WO-B",
        "2025-12-02",
        "SHIFT_1ST",
        60,
        json!({"employees_assigned": 6, "run_time_hours": 5}),
    )
    .await;

    // (e) h ← 9 ÷ 2 = 4.5 each (client_shift_standard, level 2, 0.9).
    // (100 + 60) × 0.25 = 40 ÷ (10 × 4.5 + 6 × 4.5 = 72) = 55.555… → 55.56
    // (9 h each would give 40 ÷ 144 = 27.78).
    // Confidence: 2 entries × (1 + 1 + 1 + 0.9) = 7.8 ÷ 8 = 0.975 → 0.98.
    let e = efficiency(&app, "SHR", DAY1).await;
    assert_eq!(value(&e), Some(55.56), "{e}");
    assert_inference(&e, true, 0.98, 2, &["shift_hours_scheduled"]);

    // The remaining standard hours: 9 − 3 = 6 for the blank entry.
    // 40 ÷ (10 × 3 + 6 × 6 = 66) = 60.606… → 60.61; confidence (4 + 3.9) ÷ 8 = 0.9875 → 0.99.
    let e = efficiency(&app, "SHR", "from=2025-12-02&to=2025-12-02").await;
    assert_eq!(value(&e), Some(60.61), "{e}");
    assert_inference(&e, true, 0.99, 2, &["shift_hours_scheduled"]);

    // The share belongs to the line-shift, not to the filtered rows: under work_order_id=WO-B the
    // WO-B entry keeps its 4.5 h on 2025-12-01 and its 6 h on 2025-12-02.
    // 2025-12-01: 60 × 0.25 = 15 ÷ (6 × 4.5 = 27) = 55.555… → 55.56 (a share over WO-B alone
    // would give 15 ÷ 54 = 27.78). 2025-12-02: 15 ÷ (6 × 6 = 36) = 41.666… → 41.67.
    let e = efficiency(&app, "SHR", &format!("{DAY1}&work_order_id=WO-B")).await;
    assert_eq!(value(&e), Some(55.56), "{e}");
    assert_inference(&e, true, 0.98, 2, &["shift_hours_scheduled"]);
    let e = efficiency(
        &app,
        "SHR",
        "from=2025-12-02&to=2025-12-02&product_id=WO-B-P",
    )
    .await;
    assert_eq!(value(&e), Some(41.67), "{e}");
    // Both days under the filter: 30 ÷ (27 + 36 = 63) = 47.619… → 47.62.
    let e = efficiency(
        &app,
        "SHR",
        "from=2025-12-01&to=2025-12-02&work_order_id=WO-B",
    )
    .await;
    assert_eq!(value(&e), Some(47.62), "{e}");
}

#[actix_web::test]
async fn labour_standard_from_thirty_day_history() {
    let app = spawn_app().await;
    for client in ["HIS", "FEW"] {
        app.create_client(client).await;
        // The WO of the history rows has standards of its own; history ignores them.
        app.master_data(client, &format!("{client}-H"), Some(0.5), Some(0.05))
            .await;
        // The measured WO has no standard at all; same style ROPER.
        app.master_data(client, &format!("{client}-N"), None, None)
            .await;
    }
    styled_master_data(&app, "HIS", "WO-BOOT", "BOOT").await;
    // HIS: three recorded ROPER rows in the 30 days before 2025-12-01 (r, n, u):
    // (8, 10, 200), (9, 10, 200), (6, 5, 100).
    for (date, r, n, u) in [
        ("2025-11-20", 8, 10, 200),
        ("2025-11-21", 9, 10, 200),
        ("2025-11-24", 6, 5, 100),
    ] {
        produce(
            &app,
            "HIS",
            "HIS-H",
            date,
            "SHIFT_1ST",
            u,
            json!({"employees_assigned": n, "shift_hours_scheduled": 9, "run_time_hours": r}),
        )
        .await;
    }
    // Not history: another style inside the 30 days; ROPER 31 days before.
    produce(
        &app,
        "HIS",
        "WO-BOOT",
        "2025-11-25",
        "SHIFT_1ST",
        10,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 9}),
    )
    .await;
    produce(
        &app,
        "HIS",
        "HIS-H",
        "2025-10-31",
        "SHIFT_1ST",
        1000,
        json!({"employees_assigned": 1, "shift_hours_scheduled": 9, "run_time_hours": 1}),
    )
    .await;
    produce(
        &app,
        "HIS",
        "HIS-N",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 8}),
    )
    .await;

    // (f) labour ← Σ(r·n) ÷ Σu = (80 + 90 + 30) ÷ 500 = 0.4 (history_avg, level 3, 0.7)
    // (the mean of per-row ratios would be (0.4 + 0.45 + 0.3) ÷ 3 = 0.3833).
    // 100 × 0.4 = 40 ÷ 90 = 44.444… → 44.44; confidence (1 + 0.7 + 1 + 1) ÷ 4 = 0.925 → 0.93.
    let body = kpis(&app, "HIS", DAY1).await;
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(44.44), "{e}");
    assert_inference(e, true, 0.93, 3, &["labour_standard"]);
    // line ← Σr ÷ Σu = 23 ÷ 500 = 0.046 (history_avg, level 3): 100 × 0.046 = 4.6 ÷ 8 = 57.5 %;
    // confidence (1 + 0.7 + 1) ÷ 3 = 0.9.
    let p = &body["kpis"]["performance"];
    assert_eq!(value(p), Some(57.5), "{p}");
    assert_inference(p, true, 0.9, 3, &["line_cycle_time"]);
    // A window starting earlier reads rows further back, but each row still looks back only 30
    // days from its own date: the 2025-10-31 row stays out (with it Σ(r·n) ÷ Σu = 201 ÷ 1500 =
    // 0.134 → 13.4 ÷ 90 = 14.89 %). No entry lies in 2025-11-26..30, so the value is unchanged.
    let e = efficiency(&app, "HIS", "from=2025-11-26&to=2025-12-01").await;
    assert_eq!(value(&e), Some(44.44), "{e}");

    // FEW: only two recorded rows (< min_history_points 3) → client default 0.25 (level 4):
    // 25 ÷ 90 = 27.78 %, confidence 0.88.
    for date in ["2025-11-20", "2025-11-21"] {
        produce(
            &app,
            "FEW",
            "FEW-H",
            date,
            "SHIFT_1ST",
            200,
            json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 8}),
        )
        .await;
    }
    produce(
        &app,
        "FEW",
        "FEW-N",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 8}),
    )
    .await;
    let e = efficiency(&app, "FEW", DAY1).await;
    assert_eq!(value(&e), Some(27.78), "{e}");
    assert_inference(&e, true, 0.88, 4, &["labour_standard"]);
}

/// Engine level: a deactivated SHIFT row (no API yet) sends the chains to the system standard,
/// the employee history and the shift default.
#[actix_web::test]
async fn without_client_shift_standard_low_confidence_and_employee_history() {
    let app = spawn_app().await;
    for client in ["LOW", "HST"] {
        app.create_client(client).await;
        db(&app)
            .execute(
                "UPDATE shifts SET is_active = 0 WHERE client_id = ?1 AND shift_type = 'SHIFT_1ST'",
                [client],
            )
            .unwrap();
    }
    app.master_data("LOW", "LOW-1", None, None).await;
    produce(
        &app,
        "LOW",
        "LOW-1",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({}),
    )
    .await;
    // h ← system standard 9 (level 3, 0.7); n ← shift default 10 (level 5, 0.3);
    // labour ← 0.25 (level 4, 0.5); line ← 0.025 (level 4, 0.5); r ← h = 9 (level 3, 0.7).
    // Efficiency 25 ÷ 90 = 27.78 %, confidence (1 + 0.5 + 0.3 + 0.7) ÷ 4 = 0.625 → 0.63 < 0.70
    // → low_confidence_estimate and flag_for_review.
    let body = kpis(&app, "LOW", DAY1).await;
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(27.78), "{e}");
    assert_inference(
        e,
        true,
        0.63,
        5,
        &[
            "employees_assigned",
            "labour_standard",
            "shift_hours_scheduled",
        ],
    );
    assert!(has_warning(e, "low_confidence_estimate"), "{e}");
    assert_eq!(e["flag_for_review"], true);
    // Performance 2.5 ÷ 9 = 27.78 %, confidence (1 + 0.5 + 0.7) ÷ 3 = 0.7333 → 0.73.
    let p = &body["kpis"]["performance"];
    assert_eq!(value(p), Some(27.78), "{p}");
    assert_inference(p, true, 0.73, 4, &["line_cycle_time", "run_time_hours"]);

    // HST: recorded n = 6, 7, 8 on SHIFT_1ST in the 30 days before → n ← mean 7 (history_avg,
    // level 4, 0.5). Run time blank on the history rows, so no cycle-time history.
    app.master_data("HST", "HST-1", Some(0.25), Some(0.025))
        .await;
    for (date, n) in [("2025-11-20", 6), ("2025-11-21", 7), ("2025-11-24", 8)] {
        produce(
            &app,
            "HST",
            "HST-1",
            date,
            "SHIFT_1ST",
            50,
            json!({"employees_assigned": n, "shift_hours_scheduled": 9}),
        )
        .await;
    }
    produce(
        &app,
        "HST",
        "HST-1",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    // 25 ÷ (7 × 9 = 63) = 39.682… → 39.68; confidence (1 + 1 + 0.5 + 1) ÷ 4 = 0.875 → 0.88.
    let e = efficiency(&app, "HST", DAY1).await;
    assert_eq!(value(&e), Some(39.68), "{e}");
    assert_inference(&e, true, 0.88, 4, &["employees_assigned"]);
}

/// Engine level (attendance has no API yet): blank employees from the attendance roster, split
/// over the line-shift's entries lacking a value (level 2), and uncovered absence hours A_s.
#[actix_web::test]
async fn roster_split_and_uncovered_absences() {
    let app = spawn_app().await;
    app.create_client("ROS").await;
    app.master_data("ROS", "WO-A", Some(0.25), Some(0.025))
        .await;
    app.master_data("ROS", "WO-B", Some(0.25), Some(0.025))
        .await;
    {
        let c = db(&app);
        // A floater assigned to ROS's SHIFT_1ST from 2025-12-02, covering that day's absence (so
        // not idle there); not assigned on 2025-12-01.
        assign_floater(&c, "FL-9", "ROS", "2025-12-02", None, Some("SHIFT_1ST"));
        for i in 1..=10 {
            let emp = format!("E-{i:02}");
            c.execute(
                "INSERT INTO employees (employee_id, employee_name, client_id_assigned) VALUES (?1, ?1, 'ROS')",
                [&emp],
            )
            .unwrap();
            for (date, cover) in [("2025-12-01", None), ("2025-12-02", Some("FL-9"))] {
                // Nine present, E-10 absent for the whole 9 h shift.
                let absent = i == 10;
                c.execute(
                    "INSERT INTO attendance_entries (attendance_entry_id, employee_id, client_id, shift_date, shift_type, \
                     scheduled_hours, is_absent, absence_type, absence_hours, covered_by_floating_employee_id, entry_method) \
                     VALUES (?1, ?2, 'ROS', ?3, 'SHIFT_1ST', 9, ?4, ?5, ?6, ?7, 'MANUAL_ENTRY')",
                    rusqlite::params![
                        format!("{}-{emp}-01", date.replace('-', "")),
                        emp,
                        date,
                        absent,
                        absent.then_some("UNSCHEDULED_ABSENCE"),
                        absent.then_some(9.0),
                        if absent { cover } else { None },
                    ],
                )
                .unwrap();
            }
        }
    }
    for date in ["2025-12-01", "2025-12-02"] {
        produce(
            &app,
            "ROS",
            "WO-A",
            date,
            "SHIFT_1ST",
            100,
            json!({"shift_hours_scheduled": 9, "run_time_hours": 3}),
        )
        .await;
        produce(
            &app,
            "ROS",
            "WO-B",
            date,
            "SHIFT_1ST",
            80,
            json!({"shift_hours_scheduled": 9, "run_time_hours": 3}),
        )
        .await;
    }

    // 2025-12-01: n ← 10 roster rows ÷ 2 blank entries = 5 each (attendance_roster, level 2, 0.9).
    // (100 + 80) × 0.25 = 45 ÷ (5 × 9 + 5 × 9 − 9 uncovered absence hours = 81) = 55.555… → 55.56.
    // Confidence 2 × (1 + 1 + 0.9 + 1) ÷ 8 = 0.975 → 0.98.
    let e = efficiency(&app, "ROS", DAY1).await;
    assert_eq!(value(&e), Some(55.56), "{e}");
    assert_inference(&e, true, 0.98, 2, &["employees_assigned"]);
    // Under a work-order filter the split still counts the whole line-shift (5 people for WO-A)
    // and the absence term is skipped: 25 ÷ 45 = 55.555… → 55.56 (10 people would give 27.78).
    let e = efficiency(&app, "ROS", &format!("{DAY1}&work_order_id=WO-A")).await;
    assert_eq!(value(&e), Some(55.56), "{e}");
    assert!(has_warning(&e, "line_adjustments_skipped"), "{e}");

    // 2025-12-02: the absence is covered by FL-9 → A_s = 0, and FL-9 is not idle → F_s = 0:
    // 45 ÷ 90 = 50 % (counting FL-9 as idle would give 45 ÷ 99 = 45.45).
    let e = efficiency(&app, "ROS", "from=2025-12-02&to=2025-12-02").await;
    assert_eq!(value(&e), Some(50.0), "{e}");
}

// ---------------------------------------------------------------------------------------------
// 5. Ratio of sums (kpis.md §1)
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn ratio_of_sums_not_mean_of_percentages() {
    let app = spawn_app().await;
    app.create_client("SUM").await;
    app.master_data("SUM", "WO-1", Some(0.25), Some(0.025))
        .await;
    // Small entry: 10 units, 2 people, 9 h, run time 1 h.
    produce(
        &app,
        "SUM",
        "WO-1",
        "2025-12-01",
        "SHIFT_1ST",
        10,
        json!({"employees_assigned": 2, "shift_hours_scheduled": 9, "run_time_hours": 1}),
    )
    .await;
    // Large entry: 300 units, 10 people, 9 h, run time 8 h.
    produce(
        &app,
        "SUM",
        "WO-1",
        "2025-12-02",
        "SHIFT_1ST",
        300,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 8}),
    )
    .await;

    // Efficiency per entry: 2.5 ÷ 18 = 13.89 %, 75 ÷ 90 = 83.33 %; naive mean 48.61.
    // Ratio of sums: 77.5 ÷ 108 = 71.759… → 71.76.
    let body = kpis(&app, "SUM", "from=2025-12-01&to=2025-12-02").await;
    let e = value(&body["kpis"]["efficiency"]).expect("value");
    assert_eq!(e, 71.76, "{body}");
    let naive = (2.5 / 18.0 + 75.0 / 90.0) / 2.0 * 100.0;
    assert!((e - naive).abs() > 1.0, "{e} vs naive {naive}");
    // Performance per entry: 0.25 ÷ 1 = 25 %, 7.5 ÷ 8 = 93.75 %; naive mean 59.38.
    // Ratio of sums: 7.75 ÷ 9 = 86.111… → 86.11.
    let p = value(&body["kpis"]["performance"]).expect("value");
    assert_eq!(p, 86.11, "{body}");
    let naive = (0.25 / 1.0 + 7.5 / 8.0) / 2.0 * 100.0;
    assert!((p - naive).abs() > 1.0, "{p} vs naive {naive}");
    // Each day alone gives its own percentage.
    let e = efficiency(&app, "SUM", DAY1).await;
    assert_eq!(value(&e), Some(13.89));
    assert!(has_warning(&e, "below_plausible_minimum"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// 6. Filters, empty clients and window errors
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn filters_select_entries() {
    let app = spawn_app().await;
    app.create_client("FIL").await;
    app.master_data("FIL", "WO-A", Some(0.25), Some(0.025))
        .await;
    app.master_data("FIL", "WO-B", Some(0.5), Some(0.05)).await;
    // SHIFT_1ST, WO-A: 100 × 0.25 = 25 ÷ (10 × 9 = 90).
    produce(
        &app,
        "FIL",
        "WO-A",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    // SHIFT_2ND, WO-A: 144 × 0.25 = 36 ÷ (8 × 9 = 72).
    produce(
        &app,
        "FIL",
        "WO-A",
        "2025-12-01",
        "SHIFT_2ND",
        144,
        json!({"employees_assigned": 8, "shift_hours_scheduled": 9, "run_time_hours": 6}),
    )
    .await;
    // SHIFT_1ST, WO-B: 60 × 0.5 = 30 ÷ (5 × 9 = 45).
    produce(
        &app,
        "FIL",
        "WO-B",
        "2025-12-02",
        "SHIFT_1ST",
        60,
        json!({"employees_assigned": 5, "shift_hours_scheduled": 9, "run_time_hours": 4}),
    )
    .await;
    let window = "from=2025-12-01&to=2025-12-05";

    // All: (25 + 36 + 30) ÷ (90 + 72 + 45) = 91 ÷ 207 = 43.961… → 43.96.
    let e = efficiency(&app, "FIL", window).await;
    assert_eq!(value(&e), Some(43.96), "{e}");
    assert!(!has_warning(&e, "line_adjustments_skipped"), "{e}");

    // shift=SHIFT_2ND: 36 ÷ 72 = 50 %; performance 144 × 0.025 = 3.6 ÷ 6 = 60 %.
    let body = kpis(&app, "FIL", &format!("{window}&shift=SHIFT_2ND")).await;
    assert_eq!(value(&body["kpis"]["efficiency"]), Some(50.0), "{body}");
    assert_eq!(value(&body["kpis"]["performance"]), Some(60.0), "{body}");
    assert!(!has_warning(
        &body["kpis"]["efficiency"],
        "line_adjustments_skipped"
    ));
    // shift=SHIFT_1ST: (25 + 30) ÷ (90 + 45) = 55 ÷ 135 = 40.74 %.
    let e = efficiency(&app, "FIL", &format!("{window}&shift=SHIFT_1ST")).await;
    assert_eq!(value(&e), Some(40.74), "{e}");
    // A shift without entries → no data.
    let e = efficiency(&app, "FIL", &format!("{window}&shift=SAT_OT")).await;
    assert_eq!(value(&e), None);
    assert_eq!(e["status"], "no_data");

    // work_order_id=WO-A: (25 + 36) ÷ (90 + 72) = 61 ÷ 162 = 37.654… → 37.65, with
    // line_adjustments_skipped on efficiency (not on performance, which has no line terms).
    let body = kpis(&app, "FIL", &format!("{window}&work_order_id=WO-A")).await;
    let e = &body["kpis"]["efficiency"];
    assert_eq!(value(e), Some(37.65), "{e}");
    assert!(has_warning(e, "line_adjustments_skipped"), "{e}");
    assert!(!has_warning(
        &body["kpis"]["performance"],
        "line_adjustments_skipped"
    ));
    // Performance of WO-A: (100 + 144) × 0.025 = 6.1 ÷ (3 + 6) = 67.777… → 67.78.
    assert_eq!(value(&body["kpis"]["performance"]), Some(67.78));

    // product_id=WO-B-P: 30 ÷ 45 = 66.666… → 66.67, also skipping line terms.
    let e = efficiency(&app, "FIL", &format!("{window}&product_id=WO-B-P")).await;
    assert_eq!(value(&e), Some(66.67), "{e}");
    assert!(has_warning(&e, "line_adjustments_skipped"), "{e}");

    // Filters combine: WO-A on SHIFT_1ST → 25 ÷ 90 = 27.78.
    let e = efficiency(
        &app,
        "FIL",
        &format!("{window}&work_order_id=WO-A&shift=SHIFT_1ST"),
    )
    .await;
    assert_eq!(value(&e), Some(27.78), "{e}");
}

#[actix_web::test]
async fn client_without_entries_has_no_data() {
    let app = spawn_app().await;
    app.create_client("EMPTY").await;
    let body = kpis(&app, "EMPTY", "from=2025-12-01&to=2025-12-05").await;
    assert_eq!(body["client_id"], "EMPTY");
    for name in ["efficiency", "performance"] {
        let k = &body["kpis"][name];
        assert!(k.is_object(), "{name} present: {body}");
        assert_eq!(k["value"], Value::Null, "{name}: {k}");
        assert_eq!(k["display_value"], Value::Null, "{name}: {k}");
        assert_eq!(k["status"], "no_data", "{name}: {k}");
        assert_eq!(k["estimated"], false, "{name}: {k}");
        assert!(!has_warning(k, "script_error"), "{name}: {k}");
        assert!(!has_warning(k, "line_adjustments_skipped"), "{name}: {k}");
    }
    // A filter on a client without entries is no error either.
    let e = efficiency(
        &app,
        "EMPTY",
        "from=2025-12-01&to=2025-12-05&work_order_id=NOPE",
    )
    .await;
    assert_eq!(e["status"], "no_data");
}

#[actix_web::test]
async fn window_errors() {
    let app = spawn_app().await;
    app.create_client("WIN").await;
    let get = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/clients/WIN/kpis?{q}"), Some(&app.admin))
                .await
        }
    };
    // to < from → 422 invalid_range.
    assert_eq!(
        error_code(get("from=2025-12-05&to=2025-12-01").await).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_range".into())
    );
    // 2025-01-01..2026-01-02 is 367 days inclusive → 422 range_too_large.
    assert_eq!(
        error_code(get("from=2025-01-01&to=2026-01-02").await).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "range_too_large".into())
    );
    // 2025-01-01..2026-01-01 is exactly 366 days → allowed.
    let res = get("from=2025-01-01&to=2026-01-01").await;
    assert_eq!(res.status(), StatusCode::OK);
    // One day (from = to) is a valid window.
    let body = kpis(&app, "WIN", "from=2025-12-01&to=2025-12-01").await;
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2025-12-01"), Some("2025-12-01"))
    );
    // Only `to`: from = to − 29 days.
    let body = kpis(&app, "WIN", "to=2025-12-30").await;
    assert_eq!(body["from"], "2025-12-01");
    // An unknown client → 404, not a KPI body.
    let res = app
        .get(
            "/api/clients/NOPE/kpis?from=2025-12-01&to=2025-12-05",
            Some(&app.admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // No token → 401.
    let res = app
        .get("/api/clients/WIN/kpis?from=2025-12-01&to=2025-12-05", None)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// One DOWNTIME_ENTRY row written straight into the database (the ingestion issue brings its API).
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column of the row"
)]
fn downtime_row(
    c: &rusqlite::Connection,
    id: &str,
    client: &str,
    wo: &str,
    date: &str,
    shift: &str,
    minutes: i64,
    affected: Option<i64>,
) {
    c.execute(
        "INSERT INTO downtime_entries (downtime_entry_id, work_order_id, client_id, shift_date, shift_type, downtime_reason, \
         downtime_duration_minutes, employees_affected, entry_method) VALUES (?1, ?2, ?3, ?4, ?5, 'EQUIPMENT_FAILURE', ?6, ?7, 'API')",
        rusqlite::params![id, wo, client, date, shift, minutes, affected],
    )
    .expect("insert downtime row");
}

/// Rows written straight into the database bypass the writer, so the client's KPI cache is not
/// told; a settings write through the API marks the client changed, as any real write does.
async fn mark_changed(app: &TestApp, client: &str) {
    let res = app
        .put(
            &format!("/api/clients/{client}/settings"),
            Some(&app.admin),
            &json!({"settings": {}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

fn warning_codes(k: &Value) -> Vec<String> {
    k["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Availability (kpis.md §4.6): the spec's two worked examples, the no-downtime default, typed
/// totals, detail rows winning over a typed total, and overtime shifts left out.
#[actix_web::test]
async fn availability_worked_examples_and_defaults() {
    let app = spawn_app().await;
    app.create_client("AV1").await;
    app.master_data("AV1", "AV1-WO", Some(0.8), Some(0.08))
        .await;
    let recorded = json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "run_time_hours": 9, "units_defective": 5});
    produce(
        &app,
        "AV1",
        "AV1-WO",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        recorded.clone(),
    )
    .await;
    let q = "from=2025-12-01&to=2025-12-01";
    // No downtime data, but run time 9 of 9 h recorded: (9 − 9) × 60 = 0 minutes (level 3,
    // shift_minus_run_time) → 100 %, estimated; pairs n 1.0, h 1.0, downtime 0.7 → 0.9. Only
    // without a recorded run time is 0 assumed (level 4, kpi_chain_eval.rs).
    let k = kpis(&app, "AV1", q).await;
    let a = &k["kpis"]["availability"];
    assert_eq!(
        (value(a), a["estimated"].as_bool(), a["confidence"].as_f64()),
        (Some(100.0), Some(true), Some(0.9)),
        "{a}"
    );
    assert!(!warning_codes(a).contains(&"assumed_zero_downtime".to_owned()));
    // One operation of ten stops 30 min: 0.5 person-hours of 90 → 1 − 0.5/90 = 99.44 %, all recorded.
    downtime_row(
        &db(&app),
        "20251201-DT-0001",
        "AV1",
        "AV1-WO",
        "2025-12-01",
        "SHIFT_1ST",
        30,
        Some(1),
    );
    mark_changed(&app, "AV1").await;
    let k = kpis(&app, "AV1", q).await;
    let a = &k["kpis"]["availability"];
    assert_eq!(
        (value(a), a["estimated"].as_bool(), a["confidence"].as_f64()),
        (Some(99.44), Some(false), Some(1.0)),
        "{a}"
    );
    // Quality rate: (100 − 5) ÷ 100 = 95 %. Performance: 100 × 0.08 ÷ 9 = 88.89 %.
    assert_eq!(value(&k["kpis"]["quality_rate"]), Some(95.0));
    assert_eq!(value(&k["kpis"]["performance"]), Some(88.89));
    // OEE from the unrounded components: 0.99444 × 0.88889 × 0.95 × 100 = 83.975… → 83.98.
    let oee = &k["kpis"]["oee"];
    assert_eq!(value(oee), Some(83.98), "{oee}");
    assert_eq!(oee["confidence"].as_f64(), Some(1.0));
    // An overtime shift is not planned time: a SAT_OT entry with a typed stop changes nothing.
    produce(
        &app,
        "AV1",
        "AV1-WO",
        "2025-12-06",
        "SAT_OT",
        50,
        json!({"employees_assigned": 6, "shift_hours_scheduled": 8, "downtime_total_minutes": 120}),
    )
    .await;
    let k = kpis(&app, "AV1", "from=2025-12-01&to=2025-12-06").await;
    assert_eq!(value(&k["kpis"]["availability"]), Some(99.44));

    // The whole line stops 30 min, typed on the entry: 10 × 0.5 = 5 of 90 → 94.44 %.
    app.create_client("AV2").await;
    app.master_data("AV2", "AV2-WO", Some(0.8), Some(0.08))
        .await;
    produce(
        &app,
        "AV2",
        "AV2-WO",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "downtime_total_minutes": 30}),
    )
    .await;
    assert_eq!(
        value(&kpis(&app, "AV2", q).await["kpis"]["availability"]),
        Some(94.44)
    );
    // A detail row with blank employees_affected (whole crew) of 30 min while 60 were typed: the
    // rows win (still 94.44 %) and the mismatch is reported.
    app.create_client("AV3").await;
    app.master_data("AV3", "AV3-WO", Some(0.8), Some(0.08))
        .await;
    produce(
        &app,
        "AV3",
        "AV3-WO",
        "2025-12-01",
        "SHIFT_1ST",
        100,
        json!({"employees_assigned": 10, "shift_hours_scheduled": 9, "downtime_total_minutes": 60}),
    )
    .await;
    downtime_row(
        &db(&app),
        "20251201-DT-0002",
        "AV3",
        "AV3-WO",
        "2025-12-01",
        "SHIFT_1ST",
        30,
        None,
    );
    let a = kpis(&app, "AV3", q).await["kpis"]["availability"].clone();
    assert_eq!(value(&a), Some(94.44), "{a}");
    assert!(
        warning_codes(&a).contains(&"downtime_mismatch".to_owned()),
        "{a}"
    );
}

/// Quality rate with no defect data, and production hours by operation (other operations feed
/// production hours only, never units).
#[actix_web::test]
async fn quality_rate_default_and_production_hours_by_operation() {
    let app = spawn_app().await;
    app.create_client("QH1").await;
    app.master_data("QH1", "QH1-WO", Some(0.8), Some(0.08))
        .await;
    let base = json!({"employees_assigned": 10, "shift_hours_scheduled": 9});
    let mut a = base.clone();
    a["run_time_hours"] = json!(9);
    produce(&app, "QH1", "QH1-WO", "2025-12-01", "SHIFT_1ST", 100, a).await;
    let mut b = base.clone();
    b["run_time_hours"] = json!(7.5);
    produce(&app, "QH1", "QH1-WO", "2025-12-02", "SHIFT_1ST", 80, b).await;
    let mut cut = base.clone();
    cut["run_time_hours"] = json!(8);
    cut["operation_id"] = json!("CUTTING");
    produce(&app, "QH1", "QH1-WO", "2025-12-02", "SHIFT_1ST", 500, cut).await;
    let k = kpis(&app, "QH1", "from=2025-12-01&to=2025-12-02").await;
    // No defect recorded and no QC rows: 0 defective (level 4) → 100 %, estimated, (1 + 0.5) / 2 = 0.75.
    let q = &k["kpis"]["quality_rate"];
    assert_eq!(
        (value(q), q["estimated"].as_bool(), q["confidence"].as_f64()),
        (Some(100.0), Some(true), Some(0.75)),
        "{q}"
    );
    assert!(warning_codes(q).contains(&"no_qc_data".to_owned()));
    // Production hours: 9 + 7.5 on the line + 8 cutting = 24.5.
    let h = &k["kpis"]["production_hours"];
    assert_eq!(value(h), Some(24.5), "{h}");
    assert_eq!(h["unit"], "hours");
    assert_eq!(h["details"]["by_operation"]["LINE"].as_f64(), Some(16.5));
    assert_eq!(h["details"]["by_operation"]["CUTTING"].as_f64(), Some(8.0));
    // The cutting entry's 500 units never reach efficiency: (100 + 80) × 0.8 = 144 of 180 h = 80 %.
    assert_eq!(value(&k["kpis"]["efficiency"]), Some(80.0));
}

/// Effective dating (domain.md §8 + clarification "shift standards and settings resolve at the
/// end of the line-shift's date"): a change made now does not recalculate an earlier line-shift,
/// while today's line-shift follows it.
#[actix_web::test]
async fn standard_changes_do_not_recalculate_earlier_line_shifts() {
    let app = spawn_app().await;
    app.create_client("ASOF").await;
    app.master_data("ASOF", "ASOF-1", None, Some(0.025)).await;
    app.master_data("ASOF", "ASOF-2", None, None).await;
    let today = client_today();
    let day = (today - chrono::Days::new(3)).to_string();
    let window = format!("from={day}&to={day}");
    // Employees blank → SHIFT_1ST standard staffing; labour from the line standard 0.025 × n.
    produce(
        &app,
        "ASOF",
        "ASOF-1",
        &day,
        "SHIFT_1ST",
        100,
        json!({"shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    // No standards at all → client default 0.25 h/unit.
    produce(
        &app,
        "ASOF",
        "ASOF-2",
        &day,
        "SHIFT_2ND",
        80,
        json!({"employees_assigned": 8, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    // SHIFT_1ST 100 × 0.025 × 10 = 25 h over 10 × 9 = 90 h; SHIFT_2ND 80 × 0.25 = 20 h over
    // 8 × 9 = 72 h; (25 + 20) ÷ 162 = 27.78 %.
    assert_eq!(value(&efficiency(&app, "ASOF", &window).await), Some(27.78));
    // Changes made now: 12 standard employees on SHIFT_1ST, default 0.5 h/unit. The line-shifts
    // ended three days ago, so they keep the versions then in force: still 27.78 %.
    // (Applied to them it would be (30 + 40) ÷ (108 + 72) = 38.89 %.)
    put_settings(&app, "ASOF", json!({"shift_standards": {"SHIFT_1ST": {"standard_employees": 12}}, "default_cycle_time_hours": 0.5})).await;
    assert_eq!(value(&efficiency(&app, "ASOF", &window).await), Some(27.78));
    // Today's line-shift follows the new versions: 100 × 0.025 × 12 = 30 h over 12 × 9 = 108 h
    // → 27.78 %, and a product without standards now uses 0.5 h: 80 × 0.5 = 40 of 72 → 55.56 %.
    let today_s = today.to_string();
    produce(
        &app,
        "ASOF",
        "ASOF-2",
        &today_s,
        "SHIFT_2ND",
        80,
        json!({"employees_assigned": 8, "shift_hours_scheduled": 9, "run_time_hours": 3}),
    )
    .await;
    assert_eq!(
        value(
            &efficiency(
                &app,
                "ASOF",
                &format!("from={today_s}&to={today_s}&shift=SHIFT_2ND")
            )
            .await
        ),
        Some(55.56)
    );
}
