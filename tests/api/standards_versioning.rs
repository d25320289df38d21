//! Versioned PRODUCT and PART_OPPORTUNITIES standards with the work-order as-of rule
//! (domain.md §8): a row tied to a work order resolves its product / part standards at the
//! order's closed_at when it is closed, else now. Changing a standard after an order closed
//! leaves that order's KPIs alone; open orders follow the change; reopening follows it again.
//! Every expected number is computed by hand next to its assertion.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn db(app: &TestApp) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(app.dir.path().join("kpi.db")).expect("open kpi.db");
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c
}

async fn created(app: &TestApp, path: &str, body: Value) {
    let res = app.post(path, Some(&app.admin), &body).await;
    expect_status(res, StatusCode::CREATED, path).await;
}

async fn patched(app: &TestApp, path: &str, body: Value) -> Value {
    let res = app.patch(path, Some(&app.admin), &body).await;
    expect_status(res, StatusCode::OK, path).await
}

/// The KPIs of one work order over the whole test window.
async fn kpis(app: &TestApp, wo: Option<&str>) -> Value {
    let filter = wo.map_or(String::new(), |wo| format!("&work_order_id={wo}"));
    let res = app
        .get(
            &format!("/api/clients/STDV/kpis?from=2025-12-01&to=2025-12-02{filter}"),
            Some(&app.admin),
        )
        .await;
    expect_status(res, StatusCode::OK, "kpis").await["kpis"].clone()
}

fn value(k: &Value, kpi: &str) -> Option<f64> {
    k[kpi]["value"].as_f64()
}

/// Product SV-P (labour 2.5 h/unit, line 0.25 h/unit, part BOOT-47 with 47 opportunities) and
/// two of its orders: WO-C (produced 2025-12-01, then closed) and WO-O (2025-12-02, open).
/// Each: 50 units, 10 employees, 12 shift hours, 11 run hours; 500 inspected with 15 defects.
async fn setup(app: &TestApp) {
    app.create_client("STDV").await;
    created(
        app,
        "/api/part-opportunities",
        json!({"client_id": "STDV", "part_number": "BOOT-47", "opportunities_per_unit": 47}),
    )
    .await;
    created(app, "/api/products", json!({"product_id": "SV-P", "client_id": "STDV", "style_model": "ROPER", "part_number": "BOOT-47", "standard_labor_hours_per_unit": 2.5, "ideal_cycle_time_line": 0.25})).await;
    for (wo, date, n) in [("WO-C", "2025-12-01", 1), ("WO-O", "2025-12-02", 2)] {
        created(app, "/api/work-orders", json!({"work_order_id": wo, "client_id": "STDV", "product_id": "SV-P", "style_model": "ROPER", "planned_quantity": 1000})).await;
        created(app, "/api/production", json!({"client_id": "STDV", "work_order_id": wo, "shift_date": date, "shift_type": "SHIFT_1ST", "units_produced": 50,
            "employees_assigned": 10, "shift_hours_scheduled": 12, "run_time_hours": 11, "downtime_total_minutes": 60})).await;
        db(app).execute(
            "INSERT INTO quality_entries (quality_entry_id, work_order_id, client_id, shift_date, shift_type, operation_checked, \
             units_inspected, units_passed, units_defective, total_defects_count, entry_method) \
             VALUES (?1, ?2, 'STDV', ?3, 'SHIFT_1ST', 'FINAL_INSPECTION', 500, 495, 5, 15, 'API')",
            rusqlite::params![format!("{}-QC-000{n}", date.replace('-', "")), wo, date],
        )
        .unwrap();
    }
}

#[actix_web::test]
async fn closed_orders_keep_their_standards_and_open_ones_follow_changes() {
    let app = spawn_app().await;
    setup(&app).await;
    // Before any change, each order: efficiency 50 × 2.5 = 125 ÷ (10 × 12 = 120) = 104.17 %;
    // performance 50 × 0.25 = 12.5 ÷ 11 = 113.64 %; DPMO 15 ÷ (500 × 47) × 10⁶ = 638.30.
    for wo in ["WO-C", "WO-O"] {
        let k = kpis(&app, Some(wo)).await;
        assert_eq!(
            value(&k, "efficiency"),
            Some(104.17),
            "{wo}: {}",
            k["efficiency"]
        );
        assert_eq!(
            value(&k, "performance"),
            Some(113.64),
            "{wo}: {}",
            k["performance"]
        );
        assert_eq!(value(&k, "dpmo"), Some(638.3), "{wo}: {}", k["dpmo"]);
    }
    let wo = patched(
        &app,
        "/api/work-orders/WO-C",
        json!({"status": "COMPLETED"}),
    )
    .await;
    assert!(wo["closed_at"].is_string(), "{wo}");
    // Timestamps have whole seconds: the change must come after the close's second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    patched(
        &app,
        "/api/products/SV-P",
        json!({"standard_labor_hours_per_unit": 2.0, "ideal_cycle_time_line": 0.2}),
    )
    .await;
    patched(
        &app,
        "/api/part-opportunities/STDV.BOOT-47",
        json!({"opportunities_per_unit": 50}),
    )
    .await;

    // Each change closed the current version at the change time and opened a new one.
    let c = db(&app);
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count(
            "SELECT count(*) FROM standard_history WHERE client_id = 'STDV' AND entity = 'PRODUCT' AND entity_id = 'SV-P'"
        ),
        4
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM standard_history WHERE entity = 'PRODUCT' AND effective_to IS NULL"
        ),
        2
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM standard_history WHERE entity = 'PART_OPPORTUNITIES' AND entity_id = 'STDV.BOOT-47'"
        ),
        2
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM standard_history WHERE entity = 'PART_OPPORTUNITIES' AND effective_to IS NULL AND value = '50'"
        ),
        1
    );

    // WO-C closed before the change: unchanged (104.17 / 113.64 / 638.30).
    let k = kpis(&app, Some("WO-C")).await;
    assert_eq!(value(&k, "efficiency"), Some(104.17), "{}", k["efficiency"]);
    assert_eq!(
        value(&k, "performance"),
        Some(113.64),
        "{}",
        k["performance"]
    );
    assert_eq!(value(&k, "dpmo"), Some(638.3), "{}", k["dpmo"]);
    // WO-O is open: efficiency 50 × 2.0 = 100 ÷ 120 = 83.33 %; performance 50 × 0.2 = 10 ÷ 11
    // = 90.91 %; DPMO 15 ÷ (500 × 50) × 10⁶ = 600.
    let k = kpis(&app, Some("WO-O")).await;
    assert_eq!(value(&k, "efficiency"), Some(83.33), "{}", k["efficiency"]);
    assert_eq!(
        value(&k, "performance"),
        Some(90.91),
        "{}",
        k["performance"]
    );
    assert_eq!(value(&k, "dpmo"), Some(600.0), "{}", k["dpmo"]);
    // Both: efficiency (125 + 100) ÷ 240 = 93.75 %; performance (12.5 + 10) ÷ 22 = 102.27 %;
    // DPMO 30 ÷ (23 500 + 25 000) × 10⁶ = 618.56.
    let k = kpis(&app, None).await;
    assert_eq!(value(&k, "efficiency"), Some(93.75), "{}", k["efficiency"]);
    assert_eq!(
        value(&k, "performance"),
        Some(102.27),
        "{}",
        k["performance"]
    );
    assert_eq!(value(&k, "dpmo"), Some(618.56), "{}", k["dpmo"]);

    // Reopening WO-C makes its rows follow the current standards (83.33 / 90.91 / 600).
    patched(&app, "/api/work-orders/WO-C", json!({"status": "ACTIVE"})).await;
    let k = kpis(&app, Some("WO-C")).await;
    assert_eq!(value(&k, "efficiency"), Some(83.33), "{}", k["efficiency"]);
    assert_eq!(
        value(&k, "performance"),
        Some(90.91),
        "{}",
        k["performance"]
    );
    assert_eq!(value(&k, "dpmo"), Some(600.0), "{}", k["dpmo"]);
}

/// A product stored before versioning (no history rows): its first change records the old value
/// first, so an order closed before the change keeps it.
#[actix_web::test]
async fn a_product_without_history_keeps_its_old_value_for_closed_orders() {
    let app = spawn_app().await;
    setup(&app).await;
    db(&app)
        .execute("DELETE FROM standard_history WHERE entity = 'PRODUCT'", [])
        .unwrap();
    patched(
        &app,
        "/api/work-orders/WO-C",
        json!({"status": "COMPLETED"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    patched(
        &app,
        "/api/products/SV-P",
        json!({"standard_labor_hours_per_unit": 2.0}),
    )
    .await;
    // WO-C: 125 ÷ 120 = 104.17 % as before; WO-O: 100 ÷ 120 = 83.33 %.
    let k = kpis(&app, Some("WO-C")).await;
    assert_eq!(value(&k, "efficiency"), Some(104.17), "{}", k["efficiency"]);
    let k = kpis(&app, Some("WO-O")).await;
    assert_eq!(value(&k, "efficiency"), Some(83.33), "{}", k["efficiency"]);
}
