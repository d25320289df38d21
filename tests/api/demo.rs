//! `kpi-ops demo` loads through the real engine services: every module gets rows, and every KPI
//! of a demo line has a value (the README's first command must show a working product).
use crate::helpers::test_config;
use kpi_engine::domain::{Caller, Role, TenantScope};
use kpi_ops::Application;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[actix_web::test]
async fn demo_data_fills_every_module_and_every_kpi() {
    let (_dir, base, token, rows) = demo_server(kpi_ops::demo::DemoSize::default()).await;
    assert!(rows > 5_000, "{rows} rows");
    for res in [
        "work-orders",
        "jobs",
        "products",
        "shifts",
        "employees",
        "floating-pool",
        "production",
        "downtime",
        "holds",
        "attendance",
        "coverage",
        "quality",
        "defects",
        "part-opportunities",
    ] {
        let (_, page) = get_json(&base, &token, &format!("/api/{res}?limit=1")).await;
        assert_eq!(
            page["items"].as_array().map(Vec::len),
            Some(1),
            "{res} has demo rows: {page}"
        );
    }
    let today = chrono::Utc::now().date_naive();
    let path = format!(
        "/api/clients/BOOT-LINE-B/kpis?from={}&to={today}",
        today - chrono::Days::new(60)
    );
    let (status, body) = get_json(&base, &token, &path).await;
    assert_eq!(status, StatusCode::OK);
    for (name, k) in body["kpis"].as_object().unwrap() {
        assert!(
            k["value"].is_number(),
            "{name} has a value on demo data: {k}"
        );
    }
}

/// `kpi-ops demo --clients 7 --days 40`: generated lines after the five named ones, each with
/// its own work orders (ids carry the line number) and KPIs, and the overview lists them all.
#[actix_web::test]
async fn a_larger_demo_generates_more_lines() {
    let size = kpi_ops::demo::DemoSize {
        clients: 7,
        days: 40,
    };
    let (_dir, base, token, rows) = demo_server(size).await;
    assert!(rows > 7 * 300, "{rows} rows");
    let today = chrono::Utc::now().date_naive();
    let window = format!("from={}&to={today}", today - chrono::Days::new(39));
    let (_, overview) = get_json(&base, &token, &format!("/api/kpis/overview?{window}")).await;
    let mut ids: Vec<&str> = overview["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["client_id"].as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "BAG-LINE",
            "BELT-LINE",
            "BOOT-LINE-A",
            "BOOT-LINE-B",
            "LINE-006",
            "LINE-007",
            "SANDAL-LINE"
        ]
    );
    let generated = &overview["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == "LINE-007")
        .unwrap()["kpis"];
    for name in ["efficiency", "performance", "absenteeism", "fpy"] {
        assert!(
            generated[name]["value"].is_number(),
            "{name} has a value on a generated line: {}",
            generated[name]
        );
    }
    let (_, orders) = get_json(&base, &token, "/api/work-orders?client_id=LINE-006&limit=1").await;
    let wo = orders["items"][0]["work_order_id"].as_str().unwrap();
    assert!(wo.contains("-ROPER-BOOT-006-"), "{wo}");
}

/// A server with demo data of `size` loaded through the services, its base URL, an ADMIN token
/// and the record count (the data dir lives as long as the returned guard).
async fn demo_server(size: kpi_ops::demo::DemoSize) -> (tempfile::TempDir, String, String, usize) {
    let dir = tempfile::tempdir().unwrap();
    let app = Application::build(test_config(dir.path(), &[]))
        .await
        .unwrap();
    let engine = app.engine().clone();
    let body = json!({"username": "admin", "password": "demo-password-1", "role": "ADMIN", "email": "a@example.com"});
    let admin = engine
        .create_user_cli(body.as_object().unwrap().clone())
        .await
        .unwrap();
    let caller = Caller {
        user_id: admin.user_id.clone(),
        role: Role::Admin,
        scope: TenantScope::All,
    };
    let rows = kpi_ops::demo::load_sized(&engine, &caller, size)
        .await
        .expect("demo data loads through the services");
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    let base = format!("http://127.0.0.1:{port}");
    let login: Value = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "admin", "password": "demo-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    (dir, base, token, rows)
}

/// GET `path` with the token: status and JSON body.
async fn get_json(base: &str, token: &str, path: &str) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}
