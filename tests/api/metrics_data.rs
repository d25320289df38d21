//! /metrics after data entry (operations.md §5): ingest row counters per resource, channel and
//! outcome; data freshness per client and resource; KPI value and confidence per client.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// The value of the sample of `name` carrying every label of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[actix_web::test]
async fn data_entry_shows_in_metrics() {
    // With the engine: the test calls the gauge refresh itself instead of waiting 5 minutes.
    let (app, engine) = spawn_app_with_engine(&[]).await;

    app.create_client("MET-A").await;
    app.master_data("MET-A", "WO-MET-1", Some(0.25), Some(0.25))
        .await;
    let today = client_today().to_string();
    let row = |units: i64| {
        json!({"client_id": "MET-A", "work_order_id": "WO-MET-1", "shift_date": today,
            "shift_type": "SHIFT_1ST", "units_produced": units, "employees_assigned": 10,
            "shift_hours_scheduled": 9, "run_time_hours": 9, "units_defective": 0,
            "downtime_total_minutes": 0})
    };
    // api: one accepted, one refused by validation (units < 0).
    let res = app
        .post("/api/production", Some(&app.admin), &row(100))
        .await;
    expect_status(res, StatusCode::CREATED, "api create").await;
    let res = app
        .post("/api/production", Some(&app.admin), &row(-1))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // batch: one good row (SHIFT_2ND, so it is no duplicate) and one bad.
    let mut second = row(60);
    second["shift_type"] = json!("SHIFT_2ND");
    let res = app
        .post(
            "/api/production/batch",
            Some(&app.admin),
            &json!({"entries": [second, row(-5)]}),
        )
        .await;
    let body = expect_status(res, StatusCode::CREATED, "batch").await;
    assert_eq!(
        (body["inserted"].as_u64(), body["rejected"].as_u64()),
        (Some(1), Some(1))
    );

    let metrics = |app: &TestApp| {
        let url = app.url("/metrics");
        let http = app.http.clone();
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let text = metrics(&app).await;
    let rows = |channel: &str, outcome: &str| {
        sample(
            &text,
            "kpi_ops_ingest_rows_total",
            &[
                ("resource", "production"),
                ("channel", channel),
                ("outcome", outcome),
            ],
        )
    };
    assert_eq!(rows("api", "inserted"), Some(1.0), "{text}");
    assert_eq!(rows("api", "rejected"), Some(1.0));
    assert_eq!(rows("batch", "inserted"), Some(1.0));
    assert_eq!(rows("batch", "rejected"), Some(1.0));
    let fresh = sample(
        &text,
        "kpi_ops_client_last_entry_timestamp_seconds",
        &[("client_id", "MET-A"), ("resource", "production")],
    )
    .expect("freshness of MET-A production");
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(
        (now - fresh).abs() < 120.0,
        "newest entry just now: {fresh} vs {now}"
    );
    assert_eq!(
        sample(
            &text,
            "kpi_ops_client_last_entry_timestamp_seconds",
            &[("client_id", "MET-A"), ("resource", "quality")],
        ),
        None,
        "no quality rows, no sample"
    );

    assert_eq!(
        engine.refresh_kpi_gauges().await.unwrap(),
        1,
        "one active client"
    );
    let text = metrics(&app).await;
    let kpi = |name: &str, k: &str| sample(&text, name, &[("client_id", "MET-A"), ("kpi", k)]);
    // (100 + 60) × 0.25 = 40 standard hours ÷ (2 entries × 10 × 9 = 180) = 22.22 %.
    assert_eq!(
        kpi("kpi_ops_kpi_value", "efficiency"),
        Some(22.22),
        "{text}"
    );
    assert_eq!(kpi("kpi_ops_kpi_confidence", "efficiency"), Some(1.0));
    // 160 units over 18 run hours at 0.25 h/unit: 40 ÷ 18 = 222.22 %.
    assert_eq!(kpi("kpi_ops_kpi_value", "performance"), Some(222.22));
    assert_eq!(
        kpi("kpi_ops_kpi_value", "dpmo"),
        None,
        "no quality rows: no value sample"
    );
}
