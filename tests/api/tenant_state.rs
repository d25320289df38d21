//! Per-tenant state (issue 5): each client's tenant actor holds its settings versions and its
//! cached KPI responses; a write to one client replaces only that client's state.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn settings(app: &TestApp, client: &str) -> Value {
    let res = app
        .get(&format!("/api/clients/{client}/settings"), Some(&app.admin))
        .await;
    expect_status(res, StatusCode::OK, "settings").await
}

async fn put(app: &TestApp, client: &str, body: Value) -> Value {
    let res = app
        .put(
            &format!("/api/clients/{client}/settings"),
            Some(&app.admin),
            &body,
        )
        .await;
    expect_status(res, StatusCode::OK, "put settings").await
}

fn cache_count(metrics: &str, result: &str) -> f64 {
    let prefix = format!("kpi_ops_kpi_cache_requests_total{{result=\"{result}\"}}");
    metrics
        .lines()
        .find(|l| l.starts_with(&prefix))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Settings read twice are served by the tenant actor; a settings PUT, a scheduled version and
/// a SHIFT write each show on the next read, and only for their client.
#[actix_web::test]
async fn settings_follow_each_write_of_their_client_only() {
    let app = spawn_app().await;
    app.create_client("TS-A").await;
    app.create_client("TS-B").await;
    for c in ["TS-A", "TS-B"] {
        assert_eq!(settings(&app, c).await["version"], 1);
        assert_eq!(settings(&app, c).await["settings"]["targets"]["oee"], 75);
    }
    put(&app, "TS-A", json!({"settings": {"targets": {"oee": 80}}})).await;
    let a = settings(&app, "TS-A").await;
    assert_eq!(
        (
            a["version"].clone(),
            a["settings"]["targets"]["oee"].clone()
        ),
        (json!(2), json!(80))
    );
    let b = settings(&app, "TS-B").await;
    assert_eq!(
        (
            b["version"].clone(),
            b["settings"]["targets"]["oee"].clone()
        ),
        (json!(1), json!(75))
    );

    // A version effective in the future is scheduled; the one in force stays.
    put(
        &app,
        "TS-A",
        json!({"settings": {"targets": {"oee": 60}}, "effective_from": "2099-01-01"}),
    )
    .await;
    let a = settings(&app, "TS-A").await;
    assert_eq!(a["settings"]["targets"]["oee"], 80);
    assert_eq!(a["scheduled"][0]["version"], 3);
    assert_eq!(a["scheduled"][0]["settings"]["targets"]["oee"], 60);

    // A SHIFT row is written through the resource API: its standard shows in the settings.
    let res = app
        .patch(
            "/api/shifts/TS-A.SHIFT_1ST",
            Some(&app.admin),
            &json!({"standard_employees": 15}),
        )
        .await;
    expect_status(res, StatusCode::OK, "patch shift").await;
    let a = settings(&app, "TS-A").await;
    assert_eq!(
        a["settings"]["shift_standards"]["SHIFT_1ST"]["standard_employees"],
        15
    );

    // Tenant rules are unchanged: unknown → 404, a foreign client → 403, even once cached.
    let leader = app
        .user_token("ts-leader", "LEADER_DATACONFIG", &["TS-B"])
        .await;
    let res = app.get("/api/clients/TS-A/settings", Some(&leader)).await;
    assert_eq!(error_code(res).await.0, StatusCode::FORBIDDEN);
    let res = app
        .get("/api/clients/TS-NONE/settings", Some(&app.admin))
        .await;
    assert_eq!(error_code(res).await.0, StatusCode::NOT_FOUND);
    let res = app.get("/api/clients/TS-B/settings", Some(&leader)).await;
    expect_status(res, StatusCode::OK, "own client").await;
}

/// A write to client A (here a settings PUT) leaves B's cached KPI response served: the repeat
/// of B's request is a cache hit.
#[actix_web::test]
async fn a_write_to_one_client_keeps_the_other_clients_kpis_cached() {
    let app = spawn_app().await;
    app.create_client("TK-A").await;
    app.create_client("TK-B").await;
    let q = "/api/clients/TK-B/kpis?from=2025-12-01&to=2025-12-31";
    let first = expect_status(app.get(q, Some(&app.admin)).await, StatusCode::OK, "kpis").await;
    let m = app.get("/metrics", None).await.text().await.unwrap();
    let (hits, misses) = (cache_count(&m, "hit"), cache_count(&m, "miss"));
    put(&app, "TK-A", json!({"settings": {"targets": {"oee": 80}}})).await;
    let again = expect_status(app.get(q, Some(&app.admin)).await, StatusCode::OK, "kpis").await;
    assert_eq!(first, again);
    let m = app.get("/metrics", None).await.text().await.unwrap();
    assert_eq!(cache_count(&m, "hit"), hits + 1.0, "B's repeat was a hit");
    assert_eq!(cache_count(&m, "miss"), misses);
    // B's own settings write moves B on: the next read computes.
    put(&app, "TK-B", json!({"settings": {"targets": {"oee": 70}}})).await;
    expect_status(app.get(q, Some(&app.admin)).await, StatusCode::OK, "kpis").await;
    let m = app.get("/metrics", None).await.text().await.unwrap();
    assert_eq!(cache_count(&m, "miss"), misses + 1.0);
}
