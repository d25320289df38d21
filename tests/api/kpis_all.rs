//! The other KPIs (kpis.md §4.1–4.3, §4.9–4.14): every worked example of the spec through the
//! real server, all 15 names always present, and no data → `no_data`, never an error.
//! Rows of modules whose entry API arrives with the ingestion issue are written straight into
//! the test's SQLite file (WAL lets a second connection write between the writer's batches).
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const NAMES: [&str; 15] = [
    "wip_aging",
    "otd",
    "true_otd",
    "efficiency",
    "performance",
    "availability",
    "quality_rate",
    "oee",
    "ppm",
    "dpmo",
    "fpy",
    "rty",
    "rty_stages",
    "absenteeism",
    "production_hours",
];

fn db(app: &TestApp) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(app.dir.path().join("kpi.db")).expect("open kpi.db");
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c.pragma_update(None, "foreign_keys", "ON").unwrap();
    c
}

async fn kpis(app: &TestApp, client: &str, query: &str) -> Value {
    let res = app
        .get(
            &format!("/api/clients/{client}/kpis?{query}"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["kpis"].clone()
}

fn value(k: &Value) -> Option<f64> {
    k["value"].as_f64()
}

fn codes(k: &Value) -> Vec<&str> {
    k["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect()
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column of the row"
)]
fn quality_row(
    c: &rusqlite::Connection,
    id: &str,
    client: &str,
    wo: &str,
    stage: &str,
    inspected: i64,
    passed: Option<i64>,
    defective: Option<i64>,
    defects: Option<i64>,
) {
    c.execute(
        "INSERT INTO quality_entries (quality_entry_id, work_order_id, client_id, shift_date, shift_type, operation_checked, \
         units_inspected, units_passed, units_defective, total_defects_count, entry_method) \
         VALUES (?1, ?2, ?3, '2025-12-01', 'SHIFT_1ST', ?4, ?5, ?6, ?7, ?8, 'API')",
        rusqlite::params![id, wo, client, stage, inspected, passed, defective, defects],
    )
    .unwrap();
}

#[actix_web::test]
async fn a_client_without_data_gets_all_fifteen_as_no_data() {
    let app = spawn_app().await;
    app.create_client("EMPTY-1").await;
    let k = kpis(&app, "EMPTY-1", "from=2025-12-01&to=2025-12-31").await;
    for name in NAMES {
        assert!(k[name].is_object(), "{name} present");
        assert_eq!(k[name]["status"], "no_data", "{name}: {}", k[name]);
        assert!(k[name]["value"].is_null(), "{name}");
        assert!(
            k[name]["formula_version"].is_i64(),
            "{name} names its script version"
        );
    }
    assert_eq!(k.as_object().unwrap().len(), 15);
}

/// PPM 5 of 500 → 10 000; DPMO 15 defects over 500 × 47 → 638.30 (sigma 4); FPY 88 of 100 → 88 %;
/// stage RTY = Π stage FPY.
#[actix_web::test]
async fn quality_worked_examples() {
    let app = spawn_app().await;
    app.create_client("QA-1").await;
    app.master_data("QA-1", "QA-WO", Some(0.5), None).await;
    let c = db(&app);
    c.execute("INSERT INTO part_opportunities (part_opportunity_id, client_id, part_number, opportunities_per_unit) VALUES ('QA-1.BOOT-47', 'QA-1', 'BOOT-47', 47)", []).unwrap();
    c.execute("INSERT INTO jobs (job_id, work_order_id, client_id, part_number, quantity_ordered) VALUES ('QA-WO-L1', 'QA-WO', 'QA-1', 'BOOT-47', 500)", []).unwrap();
    c.execute(
        "INSERT INTO quality_entries (quality_entry_id, work_order_id, job_id, client_id, shift_date, shift_type, operation_checked, \
         units_inspected, units_passed, units_defective, total_defects_count, entry_method) \
         VALUES ('20251201-QC-0001', 'QA-WO', 'QA-WO-L1', 'QA-1', '2025-12-01', 'SHIFT_1ST', 'FINAL_INSPECTION', 500, 495, 5, 15, 'API')",
        [],
    )
    .unwrap();
    let k = kpis(&app, "QA-1", "from=2025-12-01&to=2025-12-01").await;
    assert_eq!(value(&k["ppm"]), Some(10000.0), "{}", k["ppm"]);
    assert_eq!(
        k["ppm"]["status"], "off_target",
        "lower is better: 10 000 > 1.05 × 1 000"
    );
    assert_eq!(value(&k["dpmo"]), Some(638.3), "{}", k["dpmo"]);
    assert_eq!(k["dpmo"]["details"]["sigma_level"], 4);
    assert_eq!(
        k["dpmo"]["estimated"], false,
        "opportunities from the part master (level 1)"
    );

    // FPY 88 of 100 at a second client; two stages 0.9 and 0.95 → stage RTY 85.5 %.
    app.create_client("QA-2").await;
    app.master_data("QA-2", "QA2-WO", Some(0.5), None).await;
    quality_row(
        &c,
        "20251201-QC-0002",
        "QA-2",
        "QA2-WO",
        "SEWING",
        100,
        Some(90),
        Some(10),
        None,
    );
    quality_row(
        &c,
        "20251201-QC-0003",
        "QA-2",
        "QA2-WO",
        "FINAL_INSPECTION",
        100,
        Some(95),
        Some(5),
        None,
    );
    let k = kpis(&app, "QA-2", "from=2025-12-01&to=2025-12-01").await;
    // FPY over both rows: (90 + 95) ÷ 200 = 92.5 %.
    assert_eq!(value(&k["fpy"]), Some(92.5));
    assert_eq!(value(&k["rty_stages"]), Some(85.5), "{}", k["rty_stages"]);
    // No part master and no client default: 1 opportunity per unit, flagged; DPMO then equals PPM.
    assert!(
        codes(&k["dpmo"]).contains(&"dpmo_equals_ppm"),
        "{}",
        k["dpmo"]
    );
    assert_eq!(value(&k["dpmo"]), value(&k["ppm"]));

    app.create_client("QA-3").await;
    app.master_data("QA-3", "QA3-WO", Some(0.5), None).await;
    quality_row(
        &c,
        "20251201-QC-0004",
        "QA-3",
        "QA3-WO",
        "FINAL_INSPECTION",
        100,
        Some(88),
        None,
        None,
    );
    let k = kpis(&app, "QA-3", "from=2025-12-01&to=2025-12-01").await;
    assert_eq!(value(&k["fpy"]), Some(88.0));
    // Defective inferred as inspected − passed = 12 (level 2) → 120 000 ppm, estimated.
    assert_eq!(value(&k["ppm"]), Some(120000.0));
    assert_eq!(k["ppm"]["estimated"], true);
}

/// RTY: 98 completed of 100 started on a work order completed in the window → 98 %.
#[actix_web::test]
async fn rty_worked_example() {
    let app = spawn_app().await;
    app.create_client("RT-1").await;
    app.master_data("RT-1", "RT-WO", Some(0.5), None).await;
    let c = db(&app);
    c.execute("INSERT INTO jobs (job_id, work_order_id, client_id, part_number, quantity_ordered, quantity_completed) VALUES ('RT-WO-L1', 'RT-WO', 'RT-1', 'P', 100, 98)", []).unwrap();
    c.execute("UPDATE work_orders SET status = 'COMPLETED', closed_date = '2025-12-10', closed_at = '2025-12-10T12:00:00Z' WHERE work_order_id = 'RT-WO'", []).unwrap();
    let k = kpis(&app, "RT-1", "from=2025-12-01&to=2025-12-31").await;
    assert_eq!(value(&k["rty"]), Some(98.0), "{}", k["rty"]);
    let k = kpis(&app, "RT-1", "from=2025-11-01&to=2025-11-30").await;
    assert_eq!(k["rty"]["status"], "no_data", "closed outside the window");
}

/// Absenteeism: 10 employees × 9 h, one uncovered 9 h absence → 10 %; the same absence covered by
/// a floater → 0 %; no attendance at all in a period with production → 0 %, estimated.
#[actix_web::test]
async fn absenteeism_worked_examples_and_default() {
    let app = spawn_app().await;
    app.create_client("AB-1").await;
    app.master_data("AB-1", "AB-WO", Some(0.5), None).await;
    let c = db(&app);
    c.execute("INSERT INTO employees (employee_id, employee_name, is_floating_pool) VALUES ('FLOAT-1', 'Floater', 1)", []).unwrap();
    for i in 0..10 {
        c.execute("INSERT INTO employees (employee_id, employee_name, client_id_assigned) VALUES (?1, 'Worker', 'AB-1')", [format!("AB-E{i}")]).unwrap();
        let absent = i == 0;
        c.execute(
            "INSERT INTO attendance_entries (attendance_entry_id, employee_id, client_id, shift_date, shift_type, scheduled_hours, is_absent, absence_hours, entry_method) \
             VALUES (?1, ?2, 'AB-1', '2025-12-01', 'SHIFT_1ST', 9, ?3, ?4, 'API')",
            rusqlite::params![format!("20251201-AB-E{i}-01"), format!("AB-E{i}"), absent, absent.then_some(9.0)],
        )
        .unwrap();
    }
    let k = kpis(&app, "AB-1", "from=2025-12-01&to=2025-12-01").await;
    assert_eq!(value(&k["absenteeism"]), Some(10.0), "{}", k["absenteeism"]);
    assert_eq!(
        k["absenteeism"]["status"], "off_target",
        "lower is better, target 5"
    );
    c.execute(
        "INSERT INTO coverage_entries (coverage_entry_id, absent_employee_id, floating_employee_id, client_id, shift_date, shift_type, coverage_duration_hours, entry_method) \
         VALUES ('20251201-COVERAGE-0001', 'AB-E0', 'FLOAT-1', 'AB-1', '2025-12-01', 'SHIFT_1ST', 9, 'API')",
        [],
    )
    .unwrap();
    // The row bypassed the writer: a settings write through the API marks the client changed.
    let res = app
        .put(
            "/api/clients/AB-1/settings",
            Some(&app.admin),
            &json!({"settings": {}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let k = kpis(&app, "AB-1", "from=2025-12-01&to=2025-12-01").await;
    assert_eq!(
        value(&k["absenteeism"]),
        Some(0.0),
        "covered absences count 0"
    );

    app.create_client("AB-2").await;
    app.master_data("AB-2", "AB2-WO", Some(0.5), None).await;
    let body = json!({"client_id": "AB-2", "work_order_id": "AB2-WO", "shift_date": "2025-12-01", "shift_type": "SHIFT_1ST", "units_produced": 10});
    assert_eq!(
        app.post("/api/production", Some(&app.admin), &body)
            .await
            .status(),
        StatusCode::CREATED
    );
    let k = kpis(&app, "AB-2", "from=2025-12-01&to=2025-12-01").await;
    let a = &k["absenteeism"];
    assert_eq!(
        (value(a), a["estimated"].as_bool()),
        (Some(0.0), Some(true)),
        "{a}"
    );
    assert!(codes(a).contains(&"no_attendance_data"));
    assert!(
        a["inferred_fields"]
            .as_array()
            .unwrap()
            .contains(&json!("attendance"))
    );
}

/// WIP aging: start 12-01, hold 12-03 → resumed 12-04, as-of 12-07 → 6 − 1 = 5 days.
/// OTD: a partial shipment on time counts on time; TRUE-OTD counts only complete orders.
#[actix_web::test]
async fn wip_aging_and_otd_worked_examples() {
    let app = spawn_app().await;
    app.create_client("WO-1C").await;
    app.master_data("WO-1C", "WIP-1", Some(0.5), None).await;
    let c = db(&app);
    c.execute(
        "UPDATE work_orders SET actual_start_date = '2025-12-01' WHERE work_order_id = 'WIP-1'",
        [],
    )
    .unwrap();
    c.execute(
        "INSERT INTO hold_entries (hold_entry_id, work_order_id, client_id, hold_status, hold_date, hold_reason, resume_date, total_hold_duration_hours, entry_method) \
         VALUES ('20251203-HOLD-0001', 'WIP-1', 'WO-1C', 'RESUMED', '2025-12-03', 'QUALITY_ISSUE', '2025-12-04', 24, 'API')",
        [],
    )
    .unwrap();
    let k = kpis(&app, "WO-1C", "from=2025-12-01&to=2025-12-07").await;
    assert_eq!(value(&k["wip_aging"]), Some(5.0), "{}", k["wip_aging"]);
    assert_eq!(k["wip_aging"]["status"], "on_target", "5 ≤ 7 days");

    // Two orders shipped in December: OTD-A partially on time (first shipment 12-05 ≤ promise
    // 12-10, final 12-12 late), OTD-B on time and complete. OTD = 2/2 = 100 %; TRUE-OTD counts
    // complete orders by final ship date: A complete but late, B on time → 50 %.
    app.master_data("WO-1C", "OTD-A", Some(0.5), None).await;
    app.master_data("WO-1C", "OTD-B", Some(0.5), None).await;
    c.execute(
        "UPDATE work_orders SET planned_ship_date = '2025-12-10', actual_ship_date = '2025-12-05', final_ship_date = '2025-12-12', \
         shipped_quantity = 1000 WHERE work_order_id = 'OTD-A'",
        [],
    )
    .unwrap();
    c.execute(
        "UPDATE work_orders SET planned_ship_date = '2025-12-20', actual_ship_date = '2025-12-18', final_ship_date = '2025-12-18', \
         shipped_quantity = 1000 WHERE work_order_id = 'OTD-B'",
        [],
    )
    .unwrap();
    let k = kpis(&app, "WO-1C", "from=2025-12-01&to=2025-12-31").await;
    assert_eq!(value(&k["otd"]), Some(100.0), "{}", k["otd"]);
    assert_eq!(value(&k["true_otd"]), Some(50.0), "{}", k["true_otd"]);
}

/// Repeated reads are served from the per-client cache; a confirmed write to the client is
/// visible on the very next read, and a write to another client does not drop this one's entry.
#[actix_web::test]
async fn cache_serves_repeats_and_never_hides_a_confirmed_write() {
    let app = spawn_app().await;
    app.create_client("CA-1").await;
    app.create_client("CA-2").await;
    app.master_data("CA-1", "CA-WO", Some(0.5), None).await;
    app.master_data("CA-2", "CA2-WO", Some(0.5), None).await;
    let post = |client: &'static str, wo: &'static str, units: i64, day: &'static str| {
        let body = json!({"client_id": client, "work_order_id": wo, "shift_date": day, "shift_type": "SHIFT_1ST",
                          "units_produced": units, "employees_assigned": 10, "shift_hours_scheduled": 9});
        let app = &app;
        async move {
            assert_eq!(
                app.post("/api/production", Some(&app.admin), &body)
                    .await
                    .status(),
                StatusCode::CREATED
            )
        }
    };
    post("CA-1", "CA-WO", 90, "2025-12-01").await;
    let q = "from=2025-12-01&to=2025-12-31";
    // 90 × 0.5 = 45 of 90 h → 50 %.
    assert_eq!(
        value(&kpis(&app, "CA-1", q).await["efficiency"]),
        Some(50.0)
    );
    let hits = |m: &str| {
        m.lines()
            .find(|l| l.starts_with("kpi_ops_kpi_cache_requests_total{result=\"hit\"}"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let before = hits(&app.get("/metrics", None).await.text().await.unwrap());
    assert_eq!(
        value(&kpis(&app, "CA-1", q).await["efficiency"]),
        Some(50.0)
    );
    let after = hits(&app.get("/metrics", None).await.text().await.unwrap());
    assert_eq!(after, before + 1.0, "the repeat was a cache hit");
    // A write to another client keeps CA-1's entry; a write to CA-1 shows at once.
    post("CA-2", "CA2-WO", 10, "2025-12-01").await;
    assert_eq!(
        value(&kpis(&app, "CA-1", q).await["efficiency"]),
        Some(50.0)
    );
    let after_other = hits(&app.get("/metrics", None).await.text().await.unwrap());
    assert_eq!(
        after_other,
        after + 1.0,
        "still a hit after another client's write"
    );
    post("CA-1", "CA-WO", 270, "2025-12-02").await;
    // (90 + 270) × 0.5 = 180 of 180 h → 100 %.
    assert_eq!(
        value(&kpis(&app, "CA-1", q).await["efficiency"]),
        Some(100.0)
    );
    // An operator of another client still gets 403, never a cached body.
    let op = app
        .user_token("operator9", "OPERATOR_DATAENTRY", &["CA-2"])
        .await;
    let res = app
        .get(&format!("/api/clients/CA-1/kpis?{q}"), Some(&op))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// One KPI as a series: periods clipped to the window, each point the same result object as the
/// whole-window call; shift granularity refused for KPIs without a shift; unknown names 404.
#[actix_web::test]
async fn kpi_series_by_day_week_and_shift() {
    let app = spawn_app().await;
    app.create_client("SE-1").await;
    app.master_data("SE-1", "SE-WO", Some(0.5), None).await;
    for (day, shift, units) in [
        ("2025-12-01", "SHIFT_1ST", 90),
        ("2025-12-02", "SHIFT_1ST", 180),
        ("2025-12-02", "SHIFT_2ND", 72),
    ] {
        let body = json!({"client_id": "SE-1", "work_order_id": "SE-WO", "shift_date": day, "shift_type": shift,
                          "units_produced": units, "employees_assigned": if shift == "SHIFT_2ND" { 8 } else { 10 }, "shift_hours_scheduled": 9});
        assert_eq!(
            app.post("/api/production", Some(&app.admin), &body)
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let get = |q: String| {
        let app = &app;
        async move {
            let res = app
                .get(
                    &format!("/api/clients/SE-1/kpis/efficiency?{q}"),
                    Some(&app.admin),
                )
                .await;
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, s) = get("from=2025-12-01&to=2025-12-07&granularity=day".into()).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let points = s["series"].as_array().unwrap();
    assert_eq!(points.len(), 7);
    // 12-01: 90 × 0.5 = 45 of 90 h → 50 %; 12-02: (180 + 72) × 0.5 = 126 of (90 + 72) → 77.78 %.
    assert_eq!(
        (points[0]["period"].as_str(), value(&points[0])),
        (Some("2025-12-01"), Some(50.0))
    );
    assert_eq!(value(&points[1]), Some(77.78));
    assert_eq!(points[2]["status"], "no_data");
    // Overall: 171 of 252 h → 67.86 %, the same as the whole-window call.
    assert_eq!(value(&s["overall"]), Some(67.86));
    assert_eq!(
        value(&kpis(&app, "SE-1", "from=2025-12-01&to=2025-12-07").await["efficiency"]),
        Some(67.86)
    );
    let (_, s) = get("from=2025-12-01&to=2025-12-10&granularity=week".into()).await;
    let weeks: Vec<&str> = s["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(weeks, vec!["2025-W49", "2025-W50"]);
    assert_eq!(s["series"][1]["from"], "2025-12-08");
    assert_eq!(s["series"][1]["to"], "2025-12-10", "clipped to the window");
    let (_, s) = get("from=2025-12-02&to=2025-12-02&granularity=shift".into()).await;
    let second = s["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == "2025-12-02/SHIFT_2ND")
        .unwrap()
        .clone();
    // 72 × 0.5 = 36 of 72 h → 50 %.
    assert_eq!(value(&second), Some(50.0));
    let res = app
        .get(
            "/api/clients/SE-1/kpis/otd?granularity=shift",
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "granularity_not_applicable".into()
        )
    );
    let res = app
        .get("/api/clients/SE-1/kpis/happiness", Some(&app.admin))
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::NOT_FOUND, "unknown_kpi".into())
    );
    let res = app
        .get(
            "/api/clients/SE-1/kpis/efficiency?granularity=hourly",
            Some(&app.admin),
        )
        .await;
    assert_eq!(error_code(res).await.0, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The overview lists every visible active client, ordered by name, with all 15 KPIs each.
#[actix_web::test]
async fn overview_lists_visible_clients_only() {
    let app = spawn_app().await;
    app.create_client("OV-B").await;
    app.create_client("OV-A").await;
    let leader = app
        .user_token("leader7", "LEADER_DATACONFIG", &["OV-B"])
        .await;
    let all: Value = app
        .get(
            "/api/kpis/overview?from=2025-12-01&to=2025-12-31",
            Some(&app.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = all["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["OV-A", "OV-B"], "ordered by client name");
    assert_eq!(all["clients"][0]["kpis"].as_object().unwrap().len(), 15);
    let mine: Value = app
        .get("/api/kpis/overview", Some(&leader))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = mine["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["OV-B"]);
    assert_eq!(
        app.get("/api/kpis/overview", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
