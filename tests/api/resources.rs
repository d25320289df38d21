//! Clients, settings and the four slice resources: create, list, get, patch, validation.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[actix_web::test]
async fn clients_crud_limit_duplicate_and_soft_delete() {
    let app = spawn_bare(&[("DEFAULT_CLIENT_LIMIT", "2")]).await;
    let res = app.post("/api/auth/register", None, &json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let app = TestApp {
        admin: app.login("admin", ADMIN_PASSWORD).await,
        ..app
    };
    let c = app.create_client("AAA-1").await;
    assert_eq!(c["timezone"], "America/Mexico_City", "default timezone");
    assert_eq!(c["is_active"], true);
    let (s, code) = error_code(
        app.post(
            "/api/clients",
            Some(&app.admin),
            &json!({"client_id": "AAA-1", "client_name": "again"}),
        )
        .await,
    )
    .await;
    assert_eq!((s, code.as_str()), (StatusCode::CONFLICT, "duplicate_id"));
    let (s, _) = error_code(
        app.post(
            "/api/clients",
            Some(&app.admin),
            &json!({"client_id": "a b", "client_name": "bad id"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    app.create_client("BBB-1").await;
    let (s, code) = error_code(
        app.post(
            "/api/clients",
            Some(&app.admin),
            &json!({"client_id": "CCC-1", "client_name": "third"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::CONFLICT, "client_limit_reached")
    );
    // Seeded with its five shifts.
    let shifts: Value = app
        .get("/api/shifts?client_id=AAA-1", Some(&app.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shifts["items"].as_array().unwrap().len(), 5);
    // Deactivate: kept, readable, writes refused with client_inactive; frees a slot.
    let res = app.delete("/api/clients/BBB-1", Some(&app.admin)).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["is_active"], false);
    let res = app
        .post(
            "/api/products",
            Some(&app.admin),
            &json!({"product_id": "P-1", "client_id": "BBB-1"}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::CONFLICT, "client_inactive".into())
    );
    assert_eq!(
        app.get("/api/clients/BBB-1", Some(&app.admin))
            .await
            .status(),
        StatusCode::OK
    );
    let list: Value = app
        .get("/api/clients", Some(&app.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list: Value = app
        .get("/api/clients?include_inactive=true", Some(&app.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    app.create_client("CCC-1").await;
    let res = app
        .patch(
            "/api/clients/BBB-1",
            Some(&app.admin),
            &json!({"is_active": true}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::CONFLICT, "client_limit_reached".into()),
        "reactivation is checked too"
    );
    let res = app
        .patch(
            "/api/clients/AAA-1",
            Some(&app.admin),
            &json!({"client_name": "Renamed", "client_type": "hybrid"}),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["client_name"].as_str(), body["client_type"].as_str()),
        (Some("Renamed"), Some("Hybrid"))
    );
}

#[actix_web::test]
async fn settings_versions_merge_and_validate() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    let s: Value = app
        .get("/api/clients/AAA-1/settings", Some(&app.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["version"], 1);
    assert_eq!(s["settings"]["targets"]["efficiency"], 90);
    assert_eq!(
        s["settings"]["shift_standards"]["SHIFT_1ST"]["standard_hours"],
        9.0
    );
    let res = app.put("/api/clients/AAA-1/settings", Some(&app.admin), &json!({"settings": {"targets": {"efficiency": 85}, "shift_standards": {"SHIFT_2ND": {"standard_employees": 12}}}, "comment": "new target"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let s: Value = res.json().await.unwrap();
    assert_eq!(s["version"], 2);
    assert_eq!(s["settings"]["targets"]["efficiency"], 85);
    assert_eq!(s["settings"]["otd_mode"], "BOTH", "other sections kept");
    assert_eq!(
        s["settings"]["shift_standards"]["SHIFT_2ND"]["standard_employees"],
        12
    );
    for bad in [
        json!({"settings": {"bogus": 1}}),
        json!({"settings": {"targets": {"nope": 1}}}),
        json!({"settings": {"otd_mode": "SOMETIMES"}}),
        json!({"settings": {}, "effective_from": "2000-01-01"}),
    ] {
        let res = app
            .put("/api/clients/AAA-1/settings", Some(&app.admin), &bad)
            .await;
        assert_eq!(
            error_code(res).await.0,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
    }
    let res = app
        .put(
            "/api/clients/AAA-1/settings",
            Some(&app.admin),
            &json!({"settings": {"targets": {"efficiency": 70}}, "effective_from": "2099-01-01"}),
        )
        .await;
    let s: Value = res.json().await.unwrap();
    assert_eq!(
        s["settings"]["targets"]["efficiency"], 85,
        "a future version is scheduled, not in force"
    );
    assert_eq!(s["scheduled"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn production_create_get_patch_with_warnings_and_audit_fields() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.master_data("AAA-1", "WO-1", Some(0.25), None).await;
    let body = json!({"client_id": "AAA-1", "work_order_id": "WO-1", "shift_date": "2025-12-15", "shift_type": "shift_1st",
                      "units_produced": 120, "employees_assigned": 12, "shift_hours_scheduled": 9, "production_entry_id": "MINE"});
    let res = app.post("/api/production", Some(&app.admin), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let e: Value = res.json().await.unwrap();
    assert_eq!(
        e["production_entry_id"], "20251215-PROD-0001",
        "server id, the sent one ignored"
    );
    assert_eq!(e["shift_type"], "SHIFT_1ST");
    assert_eq!(e["entry_method"], "API");
    assert_eq!(e["created_by"], "USR-001");
    assert_eq!(e["shift_hours_scheduled"], 9.0);
    let codes: Vec<(&str, &str)> = e["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["field"].as_str().unwrap(), w["code"].as_str().unwrap()))
        .collect();
    assert!(codes.contains(&("run_time_hours", "will_be_inferred")));
    assert!(codes.contains(&("production_entry_id", "id_ignored")));
    let second = app.post("/api/production", Some(&app.admin), &json!({"client_id": "AAA-1", "work_order_id": "WO-1", "shift_date": "2025-12-15", "shift_type": "SHIFT_2ND", "units_produced": 5})).await;
    let second: Value = second.json().await.unwrap();
    assert_eq!(
        second["production_entry_id"], "20251215-PROD-0002",
        "sequence per date"
    );
    // The natural key is unique among active rows.
    let dup = app.post("/api/production", Some(&app.admin), &body).await;
    assert_eq!(
        error_code(dup).await,
        (StatusCode::CONFLICT, "duplicate_id".into())
    );
    // PATCH: a GET body can be sent back; server fields ignored; id/client_id changes refused.
    let mut back: Value = app
        .get("/api/production/20251215-PROD-0001", Some(&app.admin))
        .await
        .json()
        .await
        .unwrap();
    back["units_produced"] = json!(130);
    back["created_at"] = json!("1999-01-01T00:00:00Z");
    let res = app
        .patch(
            "/api/production/20251215-PROD-0001",
            Some(&app.admin),
            &back,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["units_produced"], 130);
    assert_ne!(after["created_at"], "1999-01-01T00:00:00Z");
    let res = app
        .patch(
            "/api/production/20251215-PROD-0001",
            Some(&app.admin),
            &json!({"client_id": "BBB-1"}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "read_only_field".into())
    );
    let res = app
        .patch(
            "/api/production/20251215-PROD-0001",
            Some(&app.admin),
            &json!({"units_defective": 500}),
        )
        .await;
    assert_eq!(
        error_code(res).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "defective > produced"
    );
}

#[actix_web::test]
async fn impossible_values_are_rejected_with_the_field_named() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.create_client("BBB-1").await;
    app.master_data("AAA-1", "WO-1", None, None).await;
    app.master_data("BBB-1", "WO-B", None, None).await;
    let base = json!({"client_id": "AAA-1", "work_order_id": "WO-1", "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST", "units_produced": 10});
    let cases: [(&str, Value); 9] = [
        ("units_produced", json!(-1)),
        ("run_time_hours", json!(25)),
        ("shift_date", json!("15/12/2025")),
        ("shift_date", json!("2999-01-01")),
        ("shift_type", json!("NIGHT")),
        ("employees_assigned", json!(0)),
        ("work_order_id", json!("WO-B")),
        ("work_order_id", json!("WO-404")),
        ("units_produced", json!("ten")),
    ];
    for (field, value) in cases {
        let mut body = base.clone();
        body[field] = value.clone();
        let res = app.post("/api/production", Some(&app.admin), &body).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} = {value}"
        );
        let err: Value = res.json().await.unwrap();
        assert!(
            err["error"]["details"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["field"] == field),
            "{field} named: {err}"
        );
    }
    let mut body = base.clone();
    body["surprise"] = json!(1);
    let res = app.post("/api/production", Some(&app.admin), &body).await;
    assert_eq!(
        error_code(res).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let res = app
        .post(
            "/api/work-orders",
            Some(&app.admin),
            &json!({"work_order_id": "batch", "client_id": "AAA-1", "planned_quantity": 5}),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "reserved path words are not ids"
    );
    let res = app.post("/api/work-orders", Some(&app.admin), &json!({"work_order_id": "WO-9", "client_id": "AAA-1", "planned_quantity": 5, "product_id": "WO-B-P"})).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a product of another client reads as unknown"
    );
}

#[actix_web::test]
async fn work_order_status_rules() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.master_data("AAA-1", "WO-1", Some(0.5), None).await;
    let res = app
        .patch(
            "/api/work-orders/WO-1",
            Some(&app.admin),
            &json!({"status": "ON_HOLD"}),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "ON_HOLD comes from hold entries"
    );
    let res = app
        .patch(
            "/api/work-orders/WO-1",
            Some(&app.admin),
            &json!({"status": "COMPLETED"}),
        )
        .await;
    let wo: Value = res.json().await.unwrap();
    assert!(
        wo["closed_date"].is_string() && wo["closed_at"].is_string(),
        "closing sets the dates: {wo}"
    );
    let res = app
        .patch(
            "/api/work-orders/WO-1",
            Some(&app.admin),
            &json!({"ideal_cycle_time": 0.7}),
        )
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::CONFLICT, "work_order_closed".into()),
        "standards of a closed WO are frozen"
    );
    let res = app
        .patch(
            "/api/work-orders/WO-1",
            Some(&app.admin),
            &json!({"status": "ACTIVE"}),
        )
        .await;
    let wo: Value = res.json().await.unwrap();
    assert!(
        wo["closed_date"].is_null(),
        "reopen clears the closing dates"
    );
}

#[actix_web::test]
async fn lists_filter_and_paginate_with_a_cursor() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.master_data("AAA-1", "WO-1", None, None).await;
    for day in 1..=5 {
        for shift in ["SHIFT_1ST", "SHIFT_2ND"] {
            let body = json!({"client_id": "AAA-1", "work_order_id": "WO-1", "shift_date": format!("2025-12-0{day}"), "shift_type": shift, "units_produced": day});
            assert_eq!(
                app.post("/api/production", Some(&app.admin), &body)
                    .await
                    .status(),
                StatusCode::CREATED
            );
        }
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/production?client_id=AAA-1&limit=3&cursor={c}"),
            None => "/api/production?client_id=AAA-1&limit=3".into(),
        };
        let page: Value = app.get(&path, Some(&app.admin)).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push((
                item["shift_date"].as_str().unwrap().to_owned(),
                item["production_entry_id"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 10, "every row once");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert_eq!(seen, sorted, "date desc, then id");
    let page: Value = app
        .get(
            "/api/production?from=2025-12-02&to=2025-12-03&shift_type=shift_2nd",
            Some(&app.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        error_code(
            app.get("/api/production?limit=5000", Some(&app.admin))
                .await
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        error_code(
            app.get("/api/production?colour=red", Some(&app.admin))
                .await
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
}
