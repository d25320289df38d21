//! Configured inference chains at work (kpis.md §5.2 + clarification): the downtime chain's
//! `shift_minus_run_time` (level 3), and the off-by-default strategies `assume_30` and
//! `defective_x1_5`, switched on in `settings.inference.chains`. Settings resolve per line-shift
//! at the end of its date (or now): a version made now changes today's rows, not yesterday's.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Client CHEV-A in UTC with a product (0.25 h/unit labour and line standards) and one order.
async fn client_in_utc(app: &TestApp) {
    let body = json!({"client_id": "CHEV-A", "client_name": "Chains", "timezone": "UTC"});
    let res = app.post("/api/clients", Some(&app.admin), &body).await;
    expect_status(res, StatusCode::CREATED, "client").await;
    app.master_data("CHEV-A", "WO-CHEV-1", Some(0.25), Some(0.25))
        .await;
}

fn days() -> (String, String) {
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    (today.to_string(), yesterday.to_string())
}

async fn production(app: &TestApp, date: &str, shift: &str, run_time: Option<f64>) -> String {
    let body = json!({"client_id": "CHEV-A", "work_order_id": "WO-CHEV-1", "shift_date": date,
        "shift_type": shift, "units_produced": 100, "employees_assigned": 10,
        "shift_hours_scheduled": 9, "run_time_hours": run_time, "units_defective": 0});
    let res = app.post("/api/production", Some(&app.admin), &body).await;
    let entry = expect_status(res, StatusCode::CREATED, "production").await;
    entry["production_entry_id"].as_str().unwrap().to_owned()
}

async fn quality(app: &TestApp, date: &str) {
    let body = json!({"client_id": "CHEV-A", "work_order_id": "WO-CHEV-1", "shift_date": date,
        "shift_type": "SHIFT_1ST", "operation_checked": "FINAL", "units_inspected": 100,
        "units_defective": 3});
    let res = app.post("/api/quality", Some(&app.admin), &body).await;
    expect_status(res, StatusCode::CREATED, "quality").await;
}

async fn kpi(app: &TestApp, name: &str) -> Value {
    let (today, yesterday) = days();
    let res = app
        .get(
            &format!("/api/clients/CHEV-A/kpis?from={yesterday}&to={today}"),
            Some(&app.admin),
        )
        .await;
    expect_status(res, StatusCode::OK, "kpis").await["kpis"][name].clone()
}

async fn explain(app: &TestApp, name: &str) -> Value {
    let (today, yesterday) = days();
    let res = app
        .get(
            &format!("/api/clients/CHEV-A/kpis/{name}/explain?from={yesterday}&to={today}"),
            Some(&app.admin),
        )
        .await;
    expect_status(res, StatusCode::OK, "explain").await
}

fn inferred<'a>(e: &'a Value, record: &str, field: &str) -> &'a Value {
    e["inferred"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["record"] == format!("production/{record}") && i["field"] == field)
        .unwrap_or_else(|| panic!("no inferred {field} of {record} in {e}"))
}

async fn switch_on(app: &TestApp, chain: &str, strategy: &str) {
    let body = json!({"settings": {"inference": {"chains": {chain: ["recorded", strategy]}}}});
    let res = app
        .put("/api/clients/CHEV-A/settings", Some(&app.admin), &body)
        .await;
    expect_status(res, StatusCode::OK, "switch on").await;
}

#[actix_web::test]
async fn downtime_chain_uses_run_time_then_zero_or_thirty_minutes_when_switched_on() {
    let app = spawn_app().await;
    client_in_utc(&app).await;
    let (today, yesterday) = days();
    // Each entry: 10 people × 9 h = 90 planned person-hours, no downtime rows or total.
    let old = production(&app, &yesterday, "SHIFT_1ST", None).await;
    let new = production(&app, &today, "SHIFT_1ST", None).await;
    let with_run = production(&app, &today, "SHIFT_2ND", Some(8.0)).await;

    // Recorded run time 8 of 9 h → (9 − 8) × 60 = 60 minutes (level 3) → 10 person-hours lost;
    // the other two → 0 (level 4). 1 − 10 ÷ 270 = 96.296… %.
    let a = kpi(&app, "availability").await;
    assert_eq!(a["value"], json!(96.3), "{a}");
    let e = explain(&app, "availability").await;
    let run = inferred(&e, &with_run, "downtime_minutes");
    assert_eq!(
        (
            run["level"].clone(),
            run["strategy"].clone(),
            run["value"].clone()
        ),
        (json!(3), json!("shift_minus_run_time"), json!(60.0)),
        "{e}"
    );
    assert_eq!(
        inferred(&e, &new, "downtime_minutes")["strategy"],
        "assume_zero"
    );

    // assume_30 switched on now: today's entry without run time → 30 minutes (level 5, 5
    // person-hours); yesterday's line-shift keeps the settings of its date (first version).
    // 1 − 15 ÷ 270 = 94.444… %.
    switch_on(&app, "downtime_minutes", "assume_30").await;
    let a = kpi(&app, "availability").await;
    assert_eq!(a["value"], json!(94.44), "{a}");
    let e = explain(&app, "availability").await;
    let thirty = inferred(&e, &new, "downtime_minutes");
    assert_eq!(
        (
            thirty["level"].clone(),
            thirty["strategy"].clone(),
            thirty["value"].clone()
        ),
        (json!(5), json!("assume_30"), json!(30.0)),
        "{e}"
    );
    assert_eq!(
        inferred(&e, &old, "downtime_minutes")["strategy"],
        "assume_zero"
    );
    assert_eq!(inferred(&e, &with_run, "downtime_minutes")["level"], 3);
}

#[actix_web::test]
async fn defective_x1_5_counts_one_and_a_half_defects_per_defective_unit_when_switched_on() {
    let app = spawn_app().await;
    client_in_utc(&app).await;
    let (today, yesterday) = days();
    quality(&app, &yesterday).await;
    quality(&app, &today).await;
    // No opportunities known → 1 per unit (DPMO = PPM); defects = defective units (level 3):
    // 6 ÷ 200 × 10⁶ = 30 000.
    let d = kpi(&app, "dpmo").await;
    assert_eq!(d["value"], json!(30000.0), "{d}");

    // Switched on now: today's row → 3 × 1.5 = 4.5 → 5 defects (level 4), yesterday's keeps 3:
    // 8 ÷ 200 × 10⁶ = 40 000.
    switch_on(&app, "total_defects_count", "defective_x1_5").await;
    let d = kpi(&app, "dpmo").await;
    assert_eq!(d["value"], json!(40000.0), "{d}");
    let e = explain(&app, "dpmo").await;
    let strategies: Vec<(&str, f64)> = e["inferred"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["field"] == "total_defects_count")
        .map(|i| {
            (
                i["strategy"].as_str().unwrap(),
                i["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(strategies.len(), 2, "{e}");
    assert!(strategies.contains(&("defective_x1_5", 5.0)), "{e}");
    assert!(strategies.contains(&("defective_units", 3.0)), "{e}");
}
