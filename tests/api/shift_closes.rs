//! Closed line-shifts (ingest.md §10, api.md shift-status / shift-closes): closing reports what
//! is missing; entries of a closed shift change only by LEADER/ADMIN with an amendment reason
//! (audited AMEND) — single writes, batches and CSV alike; OPERATOR gets 409; ADMIN reopens.
use crate::helpers::*;
use crate::ingest::Upload;
use reqwest::StatusCode;
use serde_json::{Value, json};

const DAY: &str = "2025-12-15";

fn production(units: i64) -> Value {
    // operation_id differs per entry: one line-shift may hold several (natural key)
    json!({"client_id": "AAA-1", "work_order_id": "WO-1", "shift_date": DAY, "shift_type": "SHIFT_1ST", "operation_id": format!("OP-{units}"), "units_produced": units})
}

struct Setup {
    app: TestApp,
    leader: String,
    operator: String,
    entry_id: String,
}

/// AAA-1 with one production entry on DAY SHIFT_1ST, then the shift closed by its LEADER.
async fn closed_shift() -> Setup {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.master_data("AAA-1", "WO-1", Some(0.1), None).await;
    let leader = app
        .user_token("leader", "LEADER_DATACONFIG", &["AAA-1"])
        .await;
    let operator = app
        .user_token("operator", "OPERATOR_DATAENTRY", &["AAA-1"])
        .await;
    // Operators enter through the read-back: preview, then confirm.
    let preview = expect_status(
        app.post(
            "/api/production/batch/preview",
            Some(&operator),
            &json!({"client_id": "AAA-1", "entries": [production(10)]}),
        )
        .await,
        StatusCode::OK,
        "preview before the close",
    )
    .await;
    let token = preview["token"].as_str().unwrap();
    expect_status(
        app.post(
            &format!("/api/imports/{token}/confirm"),
            Some(&operator),
            &json!({}),
        )
        .await,
        StatusCode::CREATED,
        "confirm before the close",
    )
    .await;
    let list = expect_status(
        app.get("/api/production?client_id=AAA-1", Some(&operator))
            .await,
        StatusCode::OK,
        "list",
    )
    .await;
    let entry = list["items"][0].clone();
    let closed = expect_status(
        app.post(
            "/api/clients/AAA-1/shift-closes",
            Some(&leader),
            &json!({"shift_date": DAY, "shift_type": "SHIFT_1ST"}),
        )
        .await,
        StatusCode::CREATED,
        "close",
    )
    .await;
    assert_eq!(closed["shift_close_id"], "AAA-1.20251215.SHIFT_1ST");
    assert_eq!(
        closed["missing"],
        json!(["attendance", "downtime", "quality"]),
        "production exists, the other three are reported missing"
    );
    Setup {
        app,
        leader,
        operator,
        entry_id: entry["production_entry_id"].as_str().unwrap().to_owned(),
    }
}

async fn amend_rows(app: &TestApp) -> Vec<Value> {
    let audit = expect_status(
        app.get("/api/audit?client_id=AAA-1&action=AMEND", Some(&app.admin))
            .await,
        StatusCode::OK,
        "audit",
    )
    .await;
    audit["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn closing_twice_conflicts_and_roles_are_enforced() {
    let s = closed_shift().await;
    let app = &s.app;
    let again = app
        .post(
            "/api/clients/AAA-1/shift-closes",
            Some(&s.leader),
            &json!({"shift_date": DAY, "shift_type": "SHIFT_1ST"}),
        )
        .await;
    assert_eq!(
        error_code(again).await,
        (StatusCode::CONFLICT, "shift_already_closed".into())
    );
    let by_operator = app
        .post(
            "/api/clients/AAA-1/shift-closes",
            Some(&s.operator),
            &json!({"shift_date": DAY, "shift_type": "SHIFT_2ND"}),
        )
        .await;
    assert_eq!(by_operator.status(), StatusCode::FORBIDDEN);
    let bad = app
        .post(
            "/api/clients/AAA-1/shift-closes",
            Some(&s.leader),
            &json!({"shift_date": "15/12/2025", "shift_type": "SHIFT_2ND"}),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A LEADER of another client is refused; an unknown client is 404; no token 401.
    app.create_client("BBB-1").await;
    let other = app
        .user_token("leader-b", "LEADER_DATACONFIG", &["BBB-1"])
        .await;
    let foreign = app
        .post(
            "/api/clients/AAA-1/shift-closes",
            Some(&other),
            &json!({"shift_date": DAY, "shift_type": "SHIFT_2ND"}),
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let status = app
        .get(
            "/api/clients/AAA-1/shift-status?from=2025-12-15&to=2025-12-15",
            Some(&other),
        )
        .await;
    assert_eq!(status.status(), StatusCode::FORBIDDEN);
    let unknown = app
        .get("/api/clients/NOPE-1/shift-closes", Some(&app.admin))
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let anonymous = app.get("/api/clients/AAA-1/shift-closes", None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // Only an ADMIN reopens.
    let id = "AAA-1.20251215.SHIFT_1ST";
    let res = app
        .delete(
            &format!("/api/clients/AAA-1/shift-closes/{id}"),
            Some(&s.leader),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let list = expect_status(
        app.get(
            "/api/clients/AAA-1/shift-closes?from=2025-12-01&to=2025-12-31",
            Some(&s.operator),
        )
        .await,
        StatusCode::OK,
        "list",
    )
    .await;
    assert_eq!(list["items"][0]["shift_close_id"], id);
}

#[actix_web::test]
async fn entries_of_a_closed_shift_need_a_leader_and_a_reason() {
    let s = closed_shift().await;
    let app = &s.app;
    // OPERATOR: the read-back reports shift_closed on the row; an edit of their own row is 409.
    let preview = expect_status(
        app.post(
            "/api/production/batch/preview",
            Some(&s.operator),
            &json!({"client_id": "AAA-1", "entries": [production(5)]}),
        )
        .await,
        StatusCode::OK,
        "operator preview",
    )
    .await;
    assert_eq!(preview["rows"][0]["status"], "invalid");
    assert_eq!(preview["rows"][0]["errors"][0]["code"], "shift_closed");
    let path = format!("/api/production/{}", s.entry_id);
    let res = app
        .patch(&path, Some(&s.operator), &json!({"units_produced": 11}))
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::CONFLICT, "shift_closed".into())
    );
    // LEADER without a reason: 422 naming amendment_reason.
    let res = app
        .patch(&path, Some(&s.leader), &json!({"units_produced": 11}))
        .await;
    let body = expect_status(res, StatusCode::UNPROCESSABLE_ENTITY, "no reason").await;
    assert_eq!(body["error"]["code"], "amendment_reason_required");
    assert_eq!(body["error"]["details"][0]["field"], "amendment_reason");
    // A reason over 500 characters is refused.
    let res = app
        .patch(
            &path,
            Some(&s.leader),
            &json!({"units_produced": 11, "amendment_reason": "x".repeat(501)}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // With a reason: saved, and audited as UPDATE plus AMEND with the reason.
    let res = app
        .patch(
            &path,
            Some(&s.leader),
            &json!({"units_produced": 11, "amendment_reason": "recount after audit"}),
        )
        .await;
    let saved = expect_status(res, StatusCode::OK, "amended edit").await;
    assert_eq!(saved["units_produced"], 11);
    let created = app
        .post(
            "/api/production",
            Some(&s.leader),
            &json!({"client_id": "AAA-1", "work_order_id": "WO-1", "shift_date": DAY, "shift_type": "SHIFT_1ST", "operation_id": "OP-LATE", "units_produced": 4, "amendment_reason": "late sheet"}),
        )
        .await;
    let created = expect_status(created, StatusCode::CREATED, "amended create").await;
    let amends = amend_rows(app).await;
    let reasons: Vec<&str> = amends
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or(""))
        .collect();
    assert!(reasons.contains(&"recount after audit"), "{amends:?}");
    assert!(reasons.contains(&"late sheet"), "{amends:?}");
    // DELETE (ADMIN) needs the reason too.
    let new_path = format!(
        "/api/production/{}",
        created["production_entry_id"].as_str().unwrap()
    );
    let res = app.delete(&new_path, Some(&app.admin)).await;
    assert_eq!(
        error_code(res).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "amendment_reason_required".into()
        )
    );
    let res = app
        .delete(
            &format!("{new_path}?amendment_reason=entered%20twice"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(amend_rows(app).await.len(), 3);
    // Another shift of the same day is open; holds and master data never lock.
    let mut other_shift = production(3);
    other_shift["shift_type"] = json!("SHIFT_2ND");
    let res = app
        .post("/api/production", Some(&s.leader), &other_shift)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // After the ADMIN reopens, the operator edits again without a reason.
    let res = app
        .delete(
            "/api/clients/AAA-1/shift-closes/AAA-1.20251215.SHIFT_1ST",
            Some(&app.admin),
        )
        .await;
    let reopened = expect_status(res, StatusCode::OK, "reopen").await;
    assert_eq!(reopened["is_active"], false);
    let res = app
        .patch(&path, Some(&s.operator), &json!({"units_produced": 12}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn imports_follow_the_lock_row_by_row() {
    let s = closed_shift().await;
    let app = &s.app;
    // LEADER batch without reasons: the closed-shift row is a row error, the open-shift row
    // is saved.
    let res = app
        .post(
            "/api/production/batch",
            Some(&s.leader),
            &json!({"client_id": "AAA-1", "entries": [
                {"work_order_id": "WO-1", "shift_date": DAY, "shift_type": "SHIFT_1ST", "operation_id": "OP-B1", "units_produced": 1},
                {"work_order_id": "WO-1", "shift_date": DAY, "shift_type": "SHIFT_2ND", "units_produced": 2}
            ]}),
        )
        .await;
    let body = expect_status(res, StatusCode::CREATED, "batch").await;
    assert_eq!(body["inserted"], 1);
    assert_eq!(body["errors"][0]["line"], 1);
    assert_eq!(body["errors"][0]["code"], "amendment_reason_required");
    // LEADER CSV: rows carry the reason in an amendment_reason column; a row without it fails
    // at its physical line.
    let file = format!(
        "client_id,work_order_id,shift_date,shift_type,operation_id,units_produced,amendment_reason\r\n\
         AAA-1,WO-1,{DAY},SHIFT_1ST,OP-C1,7,second sheet found\r\n\
         AAA-1,WO-1,{DAY},SHIFT_1ST,OP-C2,8,\r\n"
    );
    let res = Upload::new("/api/production/csv-upload", &s.leader, file.as_bytes())
        .send(app)
        .await;
    let body = expect_status(res, StatusCode::CREATED, "csv").await;
    assert_eq!(body["inserted"], 1, "{body}");
    assert_eq!(body["errors"][0]["line"], 3);
    assert_eq!(body["errors"][0]["code"], "amendment_reason_required");
    let reasons: Vec<Value> = amend_rows(app)
        .await
        .iter()
        .map(|r| r["reason"].clone())
        .collect();
    assert_eq!(reasons, vec![json!("second sheet found")]);
}

#[actix_web::test]
async fn shift_status_counts_expected_and_closed() {
    let s = closed_shift().await;
    let app = &s.app;
    // Production on the 1st shift of the previous day too, so the next day expects it.
    let mut before = production(2);
    before["shift_date"] = json!("2025-12-14");
    let res = app.post("/api/production", Some(&s.leader), &before).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let status = expect_status(
        app.get(
            "/api/clients/AAA-1/shift-status?from=2025-12-14&to=2025-12-16",
            Some(&s.operator),
        )
        .await,
        StatusCode::OK,
        "status",
    )
    .await;
    let items = status["items"].as_array().unwrap();
    let find = |date: &str| {
        items
            .iter()
            .find(|i| i["shift_date"] == date && i["shift_type"] == "SHIFT_1ST")
            .cloned()
    };
    let closed = find(DAY).expect("the closed shift is listed");
    assert_eq!(closed["closed"], true);
    assert_eq!(closed["shift_close_id"], "AAA-1.20251215.SHIFT_1ST");
    assert_eq!(closed["counts"]["production"], 1);
    assert_eq!(closed["expected"], true, "production on the 14th");
    let next = find("2025-12-16").expect("expected the day after");
    assert_eq!(next["expected"], true);
    assert_eq!(next["closed"], false);
    assert_eq!(
        next["missing"],
        json!(["production", "attendance", "downtime", "quality"])
    );
    let first = find("2025-12-14").expect("has data");
    assert_eq!(first["expected"], false, "nothing in the 14 days before");
    assert!(
        items.iter().all(|i| i["shift_type"] != "SUN_OT"),
        "types without data, expectation or close are left out"
    );
    let bad = app
        .get(
            "/api/clients/AAA-1/shift-status?from=2025-12-16&to=2025-12-14",
            Some(&s.operator),
        )
        .await;
    assert_eq!(
        error_code(bad).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_range".into())
    );
}

#[actix_web::test]
async fn audit_rows_name_the_request_that_wrote_them() {
    let s = closed_shift().await;
    let app = &s.app;
    let path = format!("/api/production/{}", s.entry_id);
    let res = app
        .http
        .patch(app.url(&path))
        .bearer_auth(&s.leader)
        .header("X-Request-Id", "amend-req-42")
        .json(&json!({"units_produced": 13, "amendment_reason": "typo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-request-id"], "amend-req-42");
    let audit = expect_status(
        app.get(
            &format!("/api/audit?entity=production&entity_id={}", s.entry_id),
            Some(&app.admin),
        )
        .await,
        StatusCode::OK,
        "audit",
    )
    .await;
    let rows = audit["items"].as_array().unwrap();
    let of_request: Vec<&str> = rows
        .iter()
        .filter(|r| r["request_id"] == "amend-req-42")
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(of_request, ["AMEND", "UPDATE"], "{rows:?}");
    assert!(
        rows.iter()
            .filter(|r| r["action"] == "CREATE")
            .all(|r| r["request_id"]
                .as_str()
                .is_some_and(|id| id != "amend-req-42")),
        "the create came from another request: {rows:?}"
    );
}

/// The watchdog (operations.md §8) at a fixed instant: Wednesday 2025-12-17 23:00 in a UTC
/// client whose 1st shift runs 07:00–17:00 Monday to Friday (seeded), grace 120 minutes.
#[actix_web::test]
async fn watchdog_opens_findings_for_missing_shift_data_and_closes_them_when_it_arrives() {
    // E-mail on, towards a port nobody listens on: queued watchdog mail stays in the outbox.
    let smtp = [
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", "9"),
        ("SMTP_FROM", "kpi@example.com"),
        ("SMTP_TLS", "none"),
    ];
    let (app, engine) = spawn_app_with_engine(&smtp).await;
    let res = app
        .post(
            "/api/clients",
            Some(&app.admin),
            &json!({"client_id": "WD-A", "client_name": "Watched", "timezone": "UTC"}),
        )
        .await;
    expect_status(res, StatusCode::CREATED, "client").await;
    app.master_data("WD-A", "WO-WD", Some(0.1), None).await;
    let res = app
        .put(
            "/api/clients/WD-A/settings",
            Some(&app.admin),
            &json!({"settings": {"watchdog": {"enabled": true, "grace_minutes": 120, "resources": ["production", "attendance"], "recipients": ["lead@example.com"]}}}),
        )
        .await;
    expect_status(res, StatusCode::OK, "watchdog recipients").await;
    let res = app.post("/api/employees", Some(&app.admin), &json!({"employee_id": "WD-EMP-1", "employee_name": "Ana", "client_id_assigned": "WD-A"})).await;
    expect_status(res, StatusCode::CREATED, "employee").await;
    let production = |day: &str| json!({"client_id": "WD-A", "work_order_id": "WO-WD", "shift_date": day, "shift_type": "SHIFT_1ST", "units_produced": 10});
    let attendance = |day: &str| json!({"client_id": "WD-A", "employee_id": "WD-EMP-1", "shift_date": day, "shift_type": "SHIFT_1ST", "scheduled_hours": 9, "actual_hours": 9, "is_absent": false});
    // The 10th makes the 1st shift expected; the 16th has production but no attendance.
    for day in ["2025-12-10", "2025-12-16"] {
        let res = app
            .post("/api/production", Some(&app.admin), &production(day))
            .await;
        expect_status(res, StatusCode::CREATED, day).await;
    }
    let now: chrono::DateTime<chrono::Utc> = "2025-12-17T23:00:00Z".parse().unwrap();
    let open = engine.run_watchdog(now).await.unwrap();
    assert_eq!(open, vec![("WD-A".to_owned(), 2)], "the 16th and the 17th");
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("kpi_ops_missing_shift_entries{client_id=\"WD-A\"} 2"),
        "{metrics}"
    );
    let watchdog_mail = |outbox: &serde_json::Value| -> Vec<String> {
        outbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == "watchdog")
            .map(|m| m["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let outbox = expect_status(
        app.get("/api/admin/outbox", Some(&app.admin)).await,
        StatusCode::OK,
        "outbox",
    )
    .await;
    let mut subjects = watchdog_mail(&outbox);
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Missing shift data: WD-A 2025-12-16 SHIFT_1ST",
            "Missing shift data: WD-A 2025-12-17 SHIFT_1ST"
        ],
        "one e-mail per new finding"
    );
    // A second pass opens nothing new and e-mails nobody again.
    assert_eq!(engine.run_watchdog(now).await.unwrap()[0].1, 2);
    let outbox = app.get("/api/admin/outbox", Some(&app.admin)).await;
    let outbox: serde_json::Value = outbox.json().await.unwrap();
    assert_eq!(watchdog_mail(&outbox).len(), 2);
    // Before 19:00 the 17th's shift (17:00 + 120 min) is not due yet.
    let early: chrono::DateTime<chrono::Utc> = "2025-12-17T18:59:00Z".parse().unwrap();
    assert_eq!(
        engine.run_watchdog(early).await.unwrap()[0].1,
        2,
        "open ones stay open"
    );
    // The data arrives: every finding closes.
    for (path, body) in [
        ("/api/attendance", attendance("2025-12-16")),
        ("/api/production", production("2025-12-17")),
        ("/api/attendance", attendance("2025-12-17")),
    ] {
        let res = app.post(path, Some(&app.admin), &body).await;
        expect_status(res, StatusCode::CREATED, path).await;
    }
    let open = engine.run_watchdog(now).await.unwrap();
    assert_eq!(open, vec![("WD-A".to_owned(), 0)]);
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains("kpi_ops_missing_shift_entries{client_id=\"WD-A\"} 0"));
}
