//! Formula scripts administration (kpis.md §6, api.md §8): list/get for every role, check
//! (compile diagnostics, cases, back-test), publish, per-client overrides, rollback, override
//! removal, roles, audit, the sandbox against runaway and malicious drafts, a script failing on
//! real data, and `kpi-ops scripts check`.
//!
//! Every client gets the same production: 50 units × 2.5 h labour standard over 10 people ×
//! 12 h = 125 ÷ 120 = 104.17 % efficiency with the default script (version 1, imported from
//! kpi-scripts/).
use crate::helpers::*;
use chrono::{Datelike, Days, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

const DEFAULT_EFFICIENCY: f64 = 104.17;

/// An efficiency script returning `value`, with one passing case.
fn constant(value: f64) -> String {
    format!(
        "// Efficiency: a constant for the test.\n// @case \"constant\": entries = 1 => {value:.1}\n{value:.1}\n"
    )
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Wednesday of the last complete ISO week: inside every back-test.
fn backtest_day() -> NaiveDate {
    let t = today();
    t - Days::new(u64::from(t.weekday().num_days_from_monday())) - Days::new(5)
}

/// 100 days ago: outside the back-test's 8 weeks.
fn old_day() -> NaiveDate {
    today() - Days::new(100)
}

fn window(day: NaiveDate) -> String {
    format!("from={day}&to={day}")
}

/// A client with a product, a work order and one production entry on `day`.
async fn client_with_production(app: &TestApp, client: &str, day: NaiveDate, units: i64) {
    app.create_client(client).await;
    let wo = format!("{client}-WO");
    app.master_data(client, &wo, Some(2.5), Some(0.25)).await;
    let body = json!({"client_id": client, "work_order_id": wo, "shift_date": day.to_string(),
        "shift_type": "SHIFT_1ST", "units_produced": units, "employees_assigned": 10,
        "shift_hours_scheduled": 12, "run_time_hours": 11});
    let res = app.post("/api/production", Some(&app.admin), &body).await;
    expect_status(res, StatusCode::CREATED, "production").await;
}

async fn kpi(app: &TestApp, client: &str, name: &str, day: NaiveDate) -> Value {
    let res = app
        .get(
            &format!("/api/clients/{client}/kpis?{}", window(day)),
            Some(&app.admin),
        )
        .await;
    let body = expect_status(res, StatusCode::OK, "kpis").await;
    body["kpis"][name].clone()
}

/// (value, formula_version) of a KPI.
async fn value_and_version(
    app: &TestApp,
    client: &str,
    name: &str,
    day: NaiveDate,
) -> (Option<f64>, Option<i64>) {
    let k = kpi(app, client, name, day).await;
    (k["value"].as_f64(), k["formula_version"].as_i64())
}

async fn publish(app: &TestApp, name: &str, body: Value) -> Value {
    let res = app
        .put(&format!("/api/kpi-scripts/{name}"), Some(&app.admin), &body)
        .await;
    expect_status(res, StatusCode::OK, "publish").await
}

async fn check(app: &TestApp, token: &str, name: &str, body: Value) -> Value {
    let res = app
        .post(
            &format!("/api/kpi-scripts/{name}/check"),
            Some(token),
            &body,
        )
        .await;
    expect_status(res, StatusCode::OK, "check").await
}

async fn rollback(app: &TestApp, name: &str, body: Value) -> Value {
    let res = app
        .post(
            &format!("/api/kpi-scripts/{name}/rollback"),
            Some(&app.admin),
            &body,
        )
        .await;
    expect_status(res, StatusCode::OK, "rollback").await
}

fn messages(report: &Value) -> String {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            format!(
                "{}:{}: {}",
                d["line"],
                d["column"],
                d["message"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[actix_web::test]
async fn list_and_get_for_every_role() {
    let app = spawn_app().await;
    app.create_client("L-A").await;
    app.create_client("L-B").await;
    let leader = app
        .user_token("leader1", "LEADER_DATACONFIG", &["L-A"])
        .await;
    let operator = app
        .user_token("operator1", "OPERATOR_DATAENTRY", &["L-A"])
        .await;
    let power = app.user_token("power1", "POWERUSER", &[]).await;
    // An override for LB, invisible to the LA users.
    let published = publish(
        &app,
        "efficiency",
        json!({"source": constant(7.0), "comment": "LB override", "client_id": "L-B"}),
    )
    .await;
    let override_version = published["version"].as_i64().unwrap();
    assert_eq!(
        override_version, 2,
        "version 1 came from the file: {published}"
    );
    assert_eq!(published["scope"], "client");

    for (token, sees_lb) in [
        (&app.admin, true),
        (&power, true),
        (&leader, false),
        (&operator, false),
    ] {
        let res = app.get("/api/kpi-scripts", Some(token)).await;
        let body = expect_status(res, StatusCode::OK, "list").await;
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), 15, "{body}");
        let eff = items.iter().find(|i| i["name"] == "efficiency").unwrap();
        assert_eq!(eff["version"], 1);
        assert_eq!(eff["updated_by"], "SYSTEM");
        assert!(eff["updated_at"].is_string());
        let expected = if sees_lb {
            json!([{"client_id": "L-B", "version": override_version}])
        } else {
            json!([])
        };
        assert_eq!(eff["overrides"], expected, "{eff}");

        let res = app.get("/api/kpi-scripts/efficiency", Some(token)).await;
        let one = expect_status(res, StatusCode::OK, "get").await;
        assert_eq!(one["name"], "efficiency");
        assert_eq!(one["scope"], "global");
        assert_eq!(one["version"], 1);
        assert_eq!(one["client_id"], Value::Null);
        assert!(one["source"].as_str().unwrap().contains("@case"));
        let history = one["history"].as_array().unwrap();
        assert_eq!(history.len(), 1, "global history only: {one}");
        assert_eq!(history[0]["source_origin"], "file");
        assert_eq!(history[0]["is_current"], true);

        let res = app
            .get("/api/kpi-scripts/efficiency?client_id=L-A", Some(token))
            .await;
        let la = expect_status(res, StatusCode::OK, "get LA").await;
        assert_eq!(
            (la["scope"].as_str(), la["version"].as_i64()),
            (Some("global"), Some(1))
        );

        let res = app
            .get("/api/kpi-scripts/efficiency?client_id=L-B", Some(token))
            .await;
        if sees_lb {
            let lb = expect_status(res, StatusCode::OK, "get LB").await;
            assert_eq!(lb["scope"], "client");
            assert_eq!(lb["client_id"], "L-B");
            assert_eq!(lb["version"], override_version);
            assert!(lb["source"].as_str().unwrap().contains("7.0"));
            let versions: Vec<i64> = lb["history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["version"].as_i64().unwrap())
                .collect();
            assert_eq!(versions, [2, 1], "{lb}");
            assert_eq!(lb["history"][0]["comment"], "LB override");
            assert_eq!(lb["history"][0]["created_by"], "USR-001");
        } else {
            assert_eq!(
                error_code(res).await,
                (StatusCode::FORBIDDEN, "forbidden".into())
            );
        }
    }
    let res = app
        .get(
            "/api/kpi-scripts/efficiency?client_id=NOPE",
            Some(&app.admin),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let res = app
        .get("/api/kpi-scripts/efficiency?foo=1", Some(&app.admin))
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::BAD_REQUEST, "invalid_parameter".into())
    );
    let res = app.get("/api/kpi-scripts/speed", Some(&operator)).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::NOT_FOUND, "unknown_kpi".into())
    );
    for path in ["/api/kpi-scripts", "/api/kpi-scripts/efficiency"] {
        let res = app.get(path, None).await;
        assert_eq!(
            error_code(res).await,
            (StatusCode::UNAUTHORIZED, "unauthorized".into())
        );
    }
}

#[actix_web::test]
async fn check_reports_a_compile_error_at_its_line_and_column() {
    let app = spawn_app().await;
    let source = "// @case \"one\": entries = 1 => 1.0\nlet y = 1 +;\ny\n";
    let report = check(&app, &app.admin, "efficiency", json!({"source": source})).await;
    assert_eq!(report["ok"], false);
    let d = &report["diagnostics"][0];
    assert_eq!(
        (d["line"].as_i64(), d["column"].as_i64()),
        (Some(2), Some(12)),
        "{report}"
    );
    assert!(d["message"].as_str().unwrap().len() > 5, "{report}");
    assert_eq!(report["tests"], json!([]));
    assert_eq!(report["backtest_run"], false);

    // An unknown variable is found when a case runs, at its position (api.md §8 example).
    let source = "// @case \"one\": entries = 1 => 1.0\nlet v = 1.0;\nv * availabel\n";
    let report = check(
        &app,
        &app.admin,
        "efficiency",
        json!({"source": source, "backtest": false}),
    )
    .await;
    assert_eq!(report["ok"], false);
    let d = &report["diagnostics"][0];
    assert_eq!(
        (d["line"].as_i64(), d["column"].as_i64()),
        (Some(3), Some(5)),
        "{report}"
    );
    assert!(
        d["message"].as_str().unwrap().contains("availabel"),
        "{report}"
    );
    assert_eq!(report["tests"][0]["pass"], false);

    // The body is checked: missing source, unknown field, wrong types.
    let res = app
        .post(
            "/api/kpi-scripts/efficiency/check",
            Some(&app.admin),
            &json!({"src": "1", "backtest": "yes"}),
        )
        .await;
    let body = expect_status(res, StatusCode::UNPROCESSABLE_ENTITY, "bad body").await;
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["backtest", "src", "source"], "{body}");
    let res = app
        .post(
            "/api/kpi-scripts/speed/check",
            Some(&app.admin),
            &json!({"source": "1"}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::NOT_FOUND, "unknown_kpi".into())
    );
    let res = app
        .post(
            "/api/kpi-scripts/efficiency/check",
            Some(&app.admin),
            &json!({"source": constant(1.0), "client_id": "NOPE"}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
}

#[actix_web::test]
async fn check_with_a_failing_case_and_the_backtest() {
    let app = spawn_app().await;
    client_with_production(&app, "B-T", backtest_day(), 50).await;
    // The expected value is wrong: 42.0 is returned, 41.0 expected.
    let source =
        "// @case \"wrong\": entries = 1 => 41.0\n// @case \"right\": entries = 2 => 42.0\n42.0\n";
    let report = check(&app, &app.admin, "efficiency", json!({"source": source})).await;
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["diagnostics"],
        json!([]),
        "a wrong result is not a diagnostic"
    );
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2);
    assert_eq!(tests[0]["case"], "wrong");
    assert_eq!(tests[0]["expected"], 41.0);
    assert_eq!(tests[0]["actual"], 42.0);
    assert_eq!(tests[0]["pass"], false);
    assert!(
        tests[0]["message"]
            .as_str()
            .unwrap()
            .contains("expected 41.00"),
        "{report}"
    );
    assert_eq!(tests[1]["pass"], true);
    assert_eq!(report["cases"], report["tests"]);

    // The back-test: 8 complete ISO weeks of the one active client; the data lies in the last.
    assert_eq!(report["backtest_run"], true);
    let rows = report["backtest"].as_array().unwrap();
    assert_eq!(rows.len(), 8, "{report}");
    let last = &rows[7];
    let day = backtest_day();
    let iso = day.iso_week();
    let week = format!("{}-W{:02}", iso.year(), iso.week());
    assert_eq!(last["client_id"], "B-T");
    assert_eq!(last["period"], week.as_str());
    assert_eq!(last["week"], week.as_str());
    assert_eq!(last["current"], DEFAULT_EFFICIENCY);
    assert_eq!(last["proposed"], 42.0);
    assert_eq!(last["current_version"], 1);
    assert!(last.get("error").is_none(), "{last}");
    // A week without production: the default script answers "no data", the draft 42.
    assert_eq!(rows[0]["current"], Value::Null);
    assert_eq!(rows[0]["proposed"], 42.0);

    // The same draft with passing cases is ok; the editor's lint skips the back-test.
    let report = check(
        &app,
        &app.admin,
        "efficiency",
        json!({"source": constant(42.0)}),
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    let report = check(
        &app,
        &app.admin,
        "efficiency",
        json!({"source": constant(42.0), "backtest": false}),
    )
    .await;
    assert_eq!(
        (report["ok"].as_bool(), report["backtest_run"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(report["backtest"], json!([]));

    // OEE's back-test combines the components computed by their scripts in force.
    let source = "// @case \"x\": availability = 0.5, performance = 0.5, quality_rate = 1.0 => 25.0\nif availability == () || performance == () { return (); }\navailability * performance * 100.0\n";
    let report = check(&app, &app.admin, "oee", json!({"source": source})).await;
    assert_eq!(report["ok"], true, "{report}");
    let last = &report["backtest"][7];
    assert!(last["proposed"].is_number(), "components have data: {last}");
}

#[actix_web::test]
async fn publish_changes_the_value_and_the_version_and_is_audited() {
    let app = spawn_app().await;
    client_with_production(&app, "PUB", backtest_day(), 50).await;
    let day = backtest_day();
    assert_eq!(
        value_and_version(&app, "PUB", "efficiency", day).await,
        (Some(DEFAULT_EFFICIENCY), Some(1))
    );
    let published = publish(
        &app,
        "efficiency",
        json!({"source": constant(42.0), "comment": "flat 42 for the test"}),
    )
    .await;
    assert_eq!(published["version"], 2);
    assert_eq!(published["previous_version"], 1);
    assert_eq!(published["scope"], "global");
    assert_eq!(published["client_id"], Value::Null);
    assert_eq!(published["check"]["ok"], true);
    assert_eq!(published["check"]["backtest"][7]["proposed"], 42.0);
    // The next request computes with the new version (no cached response survives).
    assert_eq!(
        value_and_version(&app, "PUB", "efficiency", day).await,
        (Some(42.0), Some(2))
    );
    assert_eq!(
        value_and_version(&app, "PUB", "performance", day).await.1,
        Some(1),
        "other KPIs keep their version"
    );
    let one = app
        .get("/api/kpi-scripts/efficiency", Some(&app.admin))
        .await;
    let one = expect_status(one, StatusCode::OK, "get").await;
    assert_eq!(one["version"], 2);
    assert_eq!(one["history"][0]["source_origin"], "api");
    assert_eq!(one["history"][0]["comment"], "flat 42 for the test");
    assert_eq!(one["history"][1]["is_current"], false);

    // Audited: old → new version with the comment.
    let res = app
        .get("/api/audit?entity=kpi-scripts", Some(&app.admin))
        .await;
    let audit = expect_status(res, StatusCode::OK, "audit").await;
    let row = &audit["items"][0];
    assert_eq!(row["entity"], "KPI_SCRIPT", "{audit}");
    assert_eq!(row["entity_id"], "efficiency");
    assert_eq!(row["action"], "SCRIPT");
    assert_eq!(row["old_value"], "1");
    assert_eq!(row["new_value"], "2");
    assert_eq!(row["reason"], "flat 42 for the test");
    assert_eq!(row["user_id"], "USR-001");

    // A comment is required; a failing draft is refused with its report and stores nothing.
    let res = app
        .put(
            "/api/kpi-scripts/efficiency",
            Some(&app.admin),
            &json!({"source": constant(1.0)}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed".into())
    );
    let bad = "// @case \"wrong\": entries = 1 => 41.0\n42.0\n";
    let res = app
        .put(
            "/api/kpi-scripts/efficiency",
            Some(&app.admin),
            &json!({"source": bad, "comment": "x"}),
        )
        .await;
    let body = expect_status(res, StatusCode::UNPROCESSABLE_ENTITY, "failed check").await;
    assert_eq!(body["error"]["code"], "script_check_failed");
    assert_eq!(
        body["error"]["details"][0]["field"], "tests.wrong",
        "{body}"
    );
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expected 41.00")
    );
    assert_eq!(
        value_and_version(&app, "PUB", "efficiency", day).await.1,
        Some(2)
    );
    let res = app
        .put(
            "/api/kpi-scripts/speed",
            Some(&app.admin),
            &json!({"source": constant(1.0), "comment": "x"}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::NOT_FOUND, "unknown_kpi".into())
    );
}

#[actix_web::test]
async fn overrides_rollback_and_override_removal() {
    let app = spawn_app().await;
    let day = backtest_day();
    client_with_production(&app, "O-A", day, 50).await;
    client_with_production(&app, "O-B", day, 50).await;

    // An override for OA only.
    let o = publish(
        &app,
        "efficiency",
        json!({"source": constant(7.0), "comment": "OA special", "client_id": "O-A"}),
    )
    .await;
    assert_eq!(
        (o["version"].as_i64(), o["previous_version"].as_i64()),
        (Some(2), Some(1))
    );
    let rows = o["check"]["backtest"].as_array().unwrap();
    assert!(
        rows.iter().all(|r| r["client_id"] == "O-A"),
        "an override back-tests its client only"
    );
    assert_eq!(
        value_and_version(&app, "O-A", "efficiency", day).await,
        (Some(7.0), Some(2))
    );
    assert_eq!(
        value_and_version(&app, "O-B", "efficiency", day).await,
        (Some(DEFAULT_EFFICIENCY), Some(1))
    );

    // A global change: OB follows, OA keeps its override; the back-test skips OA.
    let g = publish(
        &app,
        "efficiency",
        json!({"source": constant(42.0), "comment": "global 42"}),
    )
    .await;
    assert_eq!(
        (g["version"].as_i64(), g["previous_version"].as_i64()),
        (Some(3), Some(1))
    );
    let rows = g["check"]["backtest"].as_array().unwrap();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r["client_id"] == "O-B"),
        "{g}"
    );
    assert_eq!(
        value_and_version(&app, "O-A", "efficiency", day).await,
        (Some(7.0), Some(2))
    );
    assert_eq!(
        value_and_version(&app, "O-B", "efficiency", day).await,
        (Some(42.0), Some(3))
    );

    // Rollback of the global script to version 1: a new version with version 1's source.
    let r = rollback(&app, "efficiency", json!({"version": 1})).await;
    assert_eq!(
        (r["version"].as_i64(), r["rolled_back_from"].as_i64()),
        (Some(4), Some(1))
    );
    assert_eq!(r["source_origin"], "rollback");
    assert_eq!(
        value_and_version(&app, "O-B", "efficiency", day).await,
        (Some(DEFAULT_EFFICIENCY), Some(4))
    );
    assert_eq!(
        value_and_version(&app, "O-A", "efficiency", day).await,
        (Some(7.0), Some(2))
    );
    let one = app
        .get("/api/kpi-scripts/efficiency", Some(&app.admin))
        .await;
    let one = expect_status(one, StatusCode::OK, "get").await;
    assert_eq!(one["history"][0]["source_origin"], "rollback");
    assert_eq!(one["history"][0]["comment"], "rollback to version 1");
    let file = app
        .get("/api/kpi-scripts/efficiency", Some(&app.admin))
        .await;
    let file = expect_status(file, StatusCode::OK, "get").await;
    assert!(
        file["source"]
            .as_str()
            .unwrap()
            .contains("Efficiency: standard hours")
    );

    // Removing OA's override: the global script (version 4) applies again.
    let removed = rollback(
        &app,
        "efficiency",
        json!({"version": null, "client_id": "O-A"}),
    )
    .await;
    assert_eq!(removed["removed_version"], 2);
    assert_eq!(removed["version"], 4);
    assert_eq!(removed["scope"], "global");
    assert_eq!(
        value_and_version(&app, "O-A", "efficiency", day).await,
        (Some(DEFAULT_EFFICIENCY), Some(4))
    );
    let la = app
        .get(
            "/api/kpi-scripts/efficiency?client_id=O-A",
            Some(&app.admin),
        )
        .await;
    let la = expect_status(la, StatusCode::OK, "get OA").await;
    assert_eq!(
        (la["scope"].as_str(), la["version"].as_i64()),
        (Some("global"), Some(4))
    );

    // Rolling an override back to an earlier version re-creates it.
    let r = rollback(
        &app,
        "efficiency",
        json!({"version": 2, "client_id": "O-A", "comment": "OA again"}),
    )
    .await;
    assert_eq!(
        (r["version"].as_i64(), r["scope"].as_str()),
        (Some(5), Some("client"))
    );
    assert_eq!(
        value_and_version(&app, "O-A", "efficiency", day).await,
        (Some(7.0), Some(5))
    );

    // Audit: every change, newest first, with old → new.
    let res = app
        .get("/api/audit?entity=kpi-scripts", Some(&app.admin))
        .await;
    let audit = expect_status(res, StatusCode::OK, "audit").await;
    let trail: Vec<(Value, Value, Value, Value)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["client_id"].clone(),
                r["old_value"].clone(),
                r["new_value"].clone(),
                r["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            (json!("O-A"), json!("4"), json!("5"), json!("OA again")),
            (
                json!("O-A"),
                json!("2"),
                json!("4"),
                json!("override removed")
            ),
            (
                Value::Null,
                json!("3"),
                json!("4"),
                json!("rollback to version 1")
            ),
            (Value::Null, json!("1"), json!("3"), json!("global 42")),
            (json!("O-A"), json!("1"), json!("2"), json!("OA special")),
        ]
    );

    // Errors: unknown version, no override to remove, a global removal, a bad version.
    for (body, status, code) in [
        (json!({"version": 99}), StatusCode::NOT_FOUND, "not_found"),
        (
            json!({"version": null, "client_id": "O-B"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json!({"version": null}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"version": "two"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            json!({"version": 1, "client_id": "NOPE"}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ] {
        let res = app
            .post(
                "/api/kpi-scripts/efficiency/rollback",
                Some(&app.admin),
                &body,
            )
            .await;
        assert_eq!(error_code(res).await, (status, code.to_owned()), "{body}");
    }
    let res = app
        .post(
            "/api/kpi-scripts/speed/rollback",
            Some(&app.admin),
            &json!({"version": 1}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::NOT_FOUND, "unknown_kpi".into())
    );
}

#[actix_web::test]
async fn roles_for_check_publish_and_rollback() {
    let app = spawn_app().await;
    app.create_client("R-A").await;
    let leader = app
        .user_token("leader1", "LEADER_DATACONFIG", &["R-A"])
        .await;
    let operator = app
        .user_token("operator1", "OPERATOR_DATAENTRY", &["R-A"])
        .await;
    let power = app.user_token("power1", "POWERUSER", &[]).await;
    let draft = json!({"source": constant(5.0), "comment": "x"});
    let check_body = json!({"source": constant(5.0)});
    for token in [&leader, &operator] {
        let res = app
            .post(
                "/api/kpi-scripts/efficiency/check",
                Some(token),
                &check_body,
            )
            .await;
        assert_eq!(
            error_code(res).await,
            (StatusCode::FORBIDDEN, "forbidden".into())
        );
    }
    for token in [&leader, &operator, &power] {
        let res = app
            .put("/api/kpi-scripts/efficiency", Some(token), &draft)
            .await;
        assert_eq!(
            error_code(res).await,
            (StatusCode::FORBIDDEN, "forbidden".into())
        );
        let res = app
            .post(
                "/api/kpi-scripts/efficiency/rollback",
                Some(token),
                &json!({"version": 1}),
            )
            .await;
        assert_eq!(
            error_code(res).await,
            (StatusCode::FORBIDDEN, "forbidden".into())
        );
    }
    // POWERUSER checks, also for a client.
    let report = check(
        &app,
        &power,
        "efficiency",
        json!({"source": constant(5.0), "client_id": "R-A"}),
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    for (method, path) in [
        ("post", "/api/kpi-scripts/efficiency/check"),
        ("put", "/api/kpi-scripts/efficiency"),
        ("post", "/api/kpi-scripts/efficiency/rollback"),
    ] {
        let res = if method == "put" {
            app.put(path, None, &draft).await
        } else {
            app.post(path, None, &draft).await
        };
        assert_eq!(
            error_code(res).await,
            (StatusCode::UNAUTHORIZED, "unauthorized".into())
        );
    }
    // Nothing was published.
    let res = app
        .get("/api/kpi-scripts/efficiency", Some(&app.admin))
        .await;
    assert_eq!(
        expect_status(res, StatusCode::OK, "get").await["version"],
        1
    );
}

/// A draft that would harm the server fails its check with a clear diagnostic; publishing it
/// is refused, and the server keeps answering.
#[actix_web::test]
async fn runaway_and_malicious_drafts_fail_their_check() {
    let app = spawn_app().await;
    client_with_production(&app, "S-B", backtest_day(), 50).await;
    let case = "// @case \"one\": entries = 1 => 1.0\n";
    let drafts: [(&str, String, &[&str]); 8] = [
        (
            "endless loop",
            format!("{case}loop {{}}\n"),
            &["time limit", "1000000 operations"],
        ),
        (
            "busy loop",
            format!("{case}let x = 0;\nloop {{ x += 1; }}\n"),
            &["time limit", "1000000 operations"],
        ),
        (
            "deep recursion",
            format!("{case}fn f(n) {{ f(n + 1) }}\nf(0)\n"),
            &["nested deeper than 16"],
        ),
        (
            "huge string",
            format!("{case}let s = \"abcdefgh\";\nloop {{ s += s; }}\n"),
            &["1048576 bytes of strings per value"],
        ),
        (
            "huge array",
            format!("{case}let a = [];\na.pad(200000, 0);\na.len()\n"),
            &["100000 items per array"],
        ),
        (
            "import",
            format!("{case}import \"x\" as x;\n1.0\n"),
            &["'import' is a reserved keyword"],
        ),
        (
            "eval",
            format!("{case}eval(\"1.0\")\n"),
            &["'eval' is disabled"],
        ),
        (
            "string result",
            format!("{case}\"42\"\n"),
            &["must return a number"],
        ),
    ];
    for (what, source, expect) in &drafts {
        let started = std::time::Instant::now();
        let report = check(&app, &app.admin, "efficiency", json!({"source": source})).await;
        assert_eq!(report["ok"], false, "{what}: {report}");
        let text = messages(&report).to_lowercase();
        assert!(
            expect.iter().any(|e| text.contains(e)),
            "{what}: diagnostics should mention one of {expect:?}:\n{text}"
        );
        let d = &report["diagnostics"][0];
        assert!(
            d["line"].as_i64().unwrap() >= 1,
            "{what}: a position: {report}"
        );
        // The back-test does not repeat a runaway evaluation for every week (one time limit at most).
        let skipped = report["backtest"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["error"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("not evaluated"))
            })
            .count();
        if what.contains("loop") {
            assert!(skipped >= 6, "{what}: {report}");
        }
        assert!(
            started.elapsed().as_secs() < 30,
            "{what} took {:?}",
            started.elapsed()
        );

        let res = app
            .put(
                "/api/kpi-scripts/efficiency",
                Some(&app.admin),
                &json!({"source": source, "comment": what}),
            )
            .await;
        assert_eq!(
            error_code(res).await,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "script_check_failed".into()
            ),
            "{what}"
        );
    }
    // Nothing was stored and the server is fine.
    let res = app
        .get("/api/kpi-scripts/efficiency", Some(&app.admin))
        .await;
    assert_eq!(
        expect_status(res, StatusCode::OK, "get").await["version"],
        1
    );
    assert_eq!(
        value_and_version(&app, "S-B", "efficiency", backtest_day()).await,
        (Some(DEFAULT_EFFICIENCY), Some(1))
    );
    let res = app.get("/health", None).await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A script that passed its cases and its back-test but fails on other real data: value null,
/// `no_data`, warning `script_error` with the position, the metric counts it, and the request
/// still answers 200.
#[actix_web::test]
async fn a_script_failing_on_real_data_gives_null_and_a_script_error() {
    let app = spawn_app().await;
    let old = old_day();
    client_with_production(&app, "R-T", old, 2000).await;
    client_with_production(&app, "SPIN", old, 2000).await;
    let throws = "// @case \"few\": units_produced = 10, entries = 1 => 1.0\nif units_produced > 1000 {\n    throw \"too many units\";\n}\n1.0\n";
    let spins = "// @case \"few\": units_produced = 10, entries = 1 => 1.0\nif units_produced > 1000 { loop {} }\n1.0\n";
    let t = publish(
        &app,
        "efficiency",
        json!({"source": throws, "comment": "throws", "client_id": "R-T"}),
    )
    .await;
    let s = publish(
        &app,
        "efficiency",
        json!({"source": spins, "comment": "spins", "client_id": "SPIN"}),
    )
    .await;

    let k = kpi(&app, "R-T", "efficiency", old).await;
    assert_eq!(k["value"], Value::Null, "{k}");
    assert_eq!(k["status"], "no_data");
    assert_eq!(k["formula_version"], t["version"]);
    assert_eq!(k["flag_for_review"], true);
    let warning = k["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "script_error")
        .unwrap_or_else(|| panic!("script_error: {k}"));
    let message = warning["message"].as_str().unwrap();
    assert!(message.starts_with("3:5: "), "line:column first: {message}");
    assert!(message.contains("too many units"), "{message}");

    let k = kpi(&app, "SPIN", "efficiency", old).await;
    assert_eq!(k["value"], Value::Null, "{k}");
    assert_eq!(k["formula_version"], s["version"]);
    assert!(
        k["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "script_error"),
        "{k}"
    );
    // Other KPIs of the same request are computed.
    assert!(kpi(&app, "SPIN", "performance", old).await["value"].is_number());

    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    let count = |kind: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| {
                l.starts_with("kpi_ops_kpi_script_errors_total{")
                    && l.contains("kpi=\"efficiency\"")
                    && l.contains(&format!("kind=\"{kind}\""))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    assert!(count("runtime") >= 1.0, "{metrics}");
    assert!(count("timeout") + count("limit") >= 1.0, "{metrics}");
}

#[test]
fn cli_scripts_check_reports_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = dir.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    std::fs::write(scripts.join("efficiency.rhai"), constant(42.0)).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kpi-ops"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("DATABASE_URL", "sqlite:///kpi.db")
            .env("KPI_SCRIPTS_DIR", scripts.to_str().unwrap())
            .output()
            .expect("run kpi-ops")
    };
    // One good file: exit 0 (DIR defaults to KPI_SCRIPTS_DIR).
    let out = run(&["scripts", "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 formula file(s) OK"));

    // A broken file and an unknown name: exit 1, one `file:line:column: message` each.
    std::fs::write(
        scripts.join("performance.rhai"),
        "// @case \"one\": entries = 1 => 1.0\nlet y = 1 +;\ny\n",
    )
    .unwrap();
    std::fs::write(scripts.join("speed.rhai"), constant(1.0)).unwrap();
    let out = run(&["scripts", "check", scripts.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let file = |name: &str| scripts.join(name).display().to_string();
    assert!(
        lines[0].starts_with(&format!("{}:2:12: ", file("performance.rhai"))),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "{}:1:1: unknown KPI name `speed`",
            file("speed.rhai")
        )),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 problem(s)"));

    // The shipped formulas are clean.
    let out = run(&[
        "scripts",
        "check",
        concat!(env!("CARGO_MANIFEST_DIR"), "/kpi-scripts"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
