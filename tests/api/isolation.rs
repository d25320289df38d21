//! Tenant isolation and the role matrix (api.md §1, §3; README "Clarifications" → tenant errors).
//!
//! One world per test: clients AAA-1 and BBB-1, each with a product, a work order and a
//! production entry; four callers — ADMIN, POWERUSER, and a LEADER and an OPERATOR assigned
//! only AAA-1. A foreign client named in a path or `client_id` → 403; a foreign record id →
//! 404 identical to a missing id; an unknown client → 404 for everyone.
use crate::helpers::*;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const A: &str = "AAA-1";
const B: &str = "BBB-1";
/// A well-formed client id that does not exist.
const UNKNOWN: &str = "ZZZ-9";

const ADMIN: &str = "ADMIN";
const POWER: &str = "POWERUSER";
const LEADER: &str = "LEADER_DATACONFIG";
const OPERATOR: &str = "OPERATOR_DATAENTRY";
const ROLES: [&str; 4] = [ADMIN, POWER, LEADER, OPERATOR];

fn sees_all(role: &str) -> bool {
    role == ADMIN || role == POWER
}

struct World {
    app: TestApp,
    /// (role, token); the ADMIN is the app's first user.
    tokens: Vec<(&'static str, String)>,
    /// Production entry ids of AAA-1 and BBB-1.
    prod_a: String,
    prod_b: String,
}

impl World {
    fn token(&self, role: &str) -> &str {
        &self
            .tokens
            .iter()
            .find(|(r, _)| *r == role)
            .expect("known role")
            .1
    }
}

fn production_body(client: &str, wo: &str) -> Value {
    json!({"client_id": client, "work_order_id": wo, "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST",
           "units_produced": 100, "employees_assigned": 10, "shift_hours_scheduled": 9})
}

/// Status and body (JSON, or the raw text as a string when it is not JSON).
async fn body_of(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts an error response (status, code, body shape, `Cache-Control: no-store`) and
/// returns the error object without its request id, for comparing two errors.
async fn expect_error(res: Response, status: StatusCode, code: &str, ctx: &str) -> Value {
    let no_store = res
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (got, body) = body_of(res).await;
    assert_eq!(got, status, "{ctx}: {body}");
    assert_eq!(body["error"]["code"], code, "{ctx}: {body}");
    assert!(
        body["error"]["request_id"].is_string() && body["error"]["message"].is_string(),
        "{ctx}: error body shape: {body}"
    );
    assert_eq!(
        no_store.as_deref(),
        Some("no-store"),
        "{ctx}: cache-control"
    );
    let mut err = body["error"].clone();
    err.as_object_mut()
        .expect("error object")
        .remove("request_id");
    err
}

async fn expect_ok(res: Response, status: StatusCode, ctx: &str) -> Value {
    let (got, body) = body_of(res).await;
    assert_eq!(got, status, "{ctx}: {body}");
    body
}

/// The distinct `client_id`s of a list body's items.
fn clients_of(body: &Value) -> BTreeSet<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list body: {body}"))
        .iter()
        .map(|i| i["client_id"].as_str().expect("client_id").to_owned())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

async fn create_production(app: &TestApp, token: &str, client: &str, wo: &str) -> String {
    let res = app
        .post("/api/production", Some(token), &production_body(client, wo))
        .await;
    let body = expect_ok(res, StatusCode::CREATED, "production").await;
    assert_eq!(body["client_id"], client);
    body["production_entry_id"].as_str().unwrap().to_owned()
}

async fn world() -> World {
    let app = spawn_app().await;
    app.create_client(A).await;
    app.create_client(B).await;
    app.master_data(A, "WO-A", Some(0.5), Some(0.1)).await;
    app.master_data(B, "WO-B", Some(0.5), Some(0.1)).await;
    let prod_a = create_production(&app, &app.admin, A, "WO-A").await;
    let prod_b = create_production(&app, &app.admin, B, "WO-B").await;
    let tokens = vec![
        (ADMIN, app.admin.clone()),
        (POWER, app.user_token("power1", POWER, &[]).await),
        (LEADER, app.user_token("leader1", LEADER, &[A]).await),
        (OPERATOR, app.user_token("operator1", OPERATOR, &[A]).await),
    ];
    World {
        app,
        tokens,
        prod_a,
        prod_b,
    }
}

#[actix_web::test]
async fn lists_never_show_foreign_rows() {
    let w = world().await;
    let lists = [
        "/api/clients",
        "/api/clients?include_inactive=true",
        "/api/products",
        "/api/work-orders",
        "/api/shifts",
        "/api/production",
        "/api/production?include_deleted=true",
        "/api/products?style_model=ROPER",
        "/api/shifts?shift_type=SHIFT_1ST",
        "/api/production?shift_type=SHIFT_1ST&limit=1000",
    ];
    for role in ROLES {
        let token = w.token(role);
        let expected = if sees_all(role) {
            set(&[A, B])
        } else {
            set(&[A])
        };
        for path in lists {
            let body = expect_ok(
                w.app.get(path, Some(token)).await,
                StatusCode::OK,
                &format!("{role} GET {path}"),
            )
            .await;
            assert_eq!(clients_of(&body), expected, "{role} GET {path}: {body}");
        }
        // Filtering by a foreign record's value finds nothing (not an error, not a leak).
        for path in [
            "/api/production?work_order_id=WO-B",
            "/api/work-orders?product_id=WO-B-P",
        ] {
            let body = expect_ok(
                w.app.get(path, Some(token)).await,
                StatusCode::OK,
                &format!("{role} GET {path}"),
            )
            .await;
            let expected = if sees_all(role) { set(&[B]) } else { set(&[]) };
            assert_eq!(clients_of(&body), expected, "{role} GET {path}: {body}");
        }
        // Paging through one row at a time never reaches a foreign row either.
        let mut seen = Vec::new();
        let mut path = "/api/production?limit=1".to_owned();
        loop {
            let body = expect_ok(
                w.app.get(&path, Some(token)).await,
                StatusCode::OK,
                &format!("{role} GET {path}"),
            )
            .await;
            seen.extend(clients_of(&body));
            match body["next_cursor"].as_str() {
                Some(c) => path = format!("/api/production?limit=1&cursor={c}"),
                None => break,
            }
            assert!(seen.len() < 10, "{role}: paging does not end");
        }
        let expected: Vec<String> = if sees_all(role) {
            vec![A.into(), B.into()]
        } else {
            vec![A.into()]
        };
        seen.sort();
        assert_eq!(seen, expected, "{role}: paged production rows");
        // The caller's own view of its clients.
        let me = expect_ok(
            w.app.get("/api/auth/me", Some(token)).await,
            StatusCode::OK,
            &format!("{role} me"),
        )
        .await;
        let mine: BTreeSet<String> = me["clients"]
            .as_array()
            .expect("clients")
            .iter()
            .map(|c| c["client_id"].as_str().unwrap().to_owned())
            .collect();
        let expected = if sees_all(role) {
            set(&[A, B])
        } else {
            set(&[A])
        };
        assert_eq!(mine, expected, "{role} /api/auth/me clients");
    }
}

#[actix_web::test]
async fn foreign_client_in_path_or_parameter_is_403_unknown_is_404() {
    let w = world().await;
    let paths = |c: &str| {
        vec![
            format!("/api/clients/{c}"),
            format!("/api/clients/{c}/settings"),
            format!("/api/clients/{c}/kpis"),
            format!("/api/clients/{c}/losses"),
            format!("/api/production?client_id={c}"),
            format!("/api/products?client_id={c}"),
            format!("/api/work-orders?client_id={c}"),
            format!("/api/shifts?client_id={c}"),
        ]
    };
    for role in ROLES {
        let token = w.token(role);
        for path in paths(A) {
            expect_ok(
                w.app.get(&path, Some(token)).await,
                StatusCode::OK,
                &format!("{role} GET {path}"),
            )
            .await;
        }
        for path in paths(B) {
            let ctx = format!("{role} GET {path}");
            let res = w.app.get(&path, Some(token)).await;
            if sees_all(role) {
                let body = expect_ok(res, StatusCode::OK, &ctx).await;
                if path.contains('?') {
                    assert_eq!(clients_of(&body), set(&[B]), "{ctx}");
                } else {
                    assert_eq!(body["client_id"], B, "{ctx}");
                }
            } else {
                expect_error(res, StatusCode::FORBIDDEN, "forbidden", &ctx).await;
            }
        }
        for path in paths(UNKNOWN) {
            let ctx = format!("{role} GET {path}");
            expect_error(
                w.app.get(&path, Some(token)).await,
                StatusCode::NOT_FOUND,
                "not_found",
                &ctx,
            )
            .await;
        }
    }
    // The last `client_id` wins; a foreign one anywhere it counts is still refused.
    let res = w
        .app
        .get(
            &format!("/api/production?client_id={A}&client_id={B}"),
            Some(w.token(LEADER)),
        )
        .await;
    expect_error(
        res,
        StatusCode::FORBIDDEN,
        "forbidden",
        "repeated client_id",
    )
    .await;
}

#[actix_web::test]
async fn unknown_client_is_404_for_every_role_also_on_writes() {
    let w = world().await;
    let settings = json!({"settings": {"otd_mode": "TRUE_OTD"}});
    for role in ROLES {
        let token = Some(w.token(role));
        let path = format!("/api/clients/{UNKNOWN}");
        let writes = [
            (
                format!("PATCH {path}"),
                w.app
                    .patch(&path, token, &json!({"client_name": "X"}))
                    .await,
            ),
            (format!("DELETE {path}"), w.app.delete(&path, token).await),
            (
                format!("PUT {path}/settings"),
                w.app.put(&format!("{path}/settings"), token, &settings).await,
            ),
            (
                "POST /api/products".to_owned(),
                w.app
                    .post(
                        "/api/products",
                        token,
                        &json!({"product_id": "P-UNKNOWN", "client_id": UNKNOWN}),
                    )
                    .await,
            ),
            (
                "POST /api/work-orders".to_owned(),
                w.app
                    .post(
                        "/api/work-orders",
                        token,
                        &json!({"work_order_id": "WO-UNKNOWN", "client_id": UNKNOWN, "planned_quantity": 1}),
                    )
                    .await,
            ),
        ];
        for (what, res) in writes {
            expect_error(
                res,
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("{role} {what}"),
            )
            .await;
        }
    }
}

#[actix_web::test]
async fn foreign_record_ids_read_as_missing() {
    let w = world().await;
    // (resource, own id, foreign id, missing id, a valid PATCH body, the field it sets)
    let cases = [
        (
            "products",
            "WO-A-P".to_owned(),
            "WO-B-P".to_owned(),
            "NOPE-P".to_owned(),
            json!({"description": "changed"}),
            "description",
        ),
        (
            "work-orders",
            "WO-A".to_owned(),
            "WO-B".to_owned(),
            "NOPE-WO".to_owned(),
            json!({"notes": "changed"}),
            "notes",
        ),
        (
            "production",
            w.prod_a.clone(),
            w.prod_b.clone(),
            "20251215-PROD-9999".to_owned(),
            json!({"notes": "changed"}),
            "notes",
        ),
        (
            "shifts",
            format!("{A}.SHIFT_1ST"),
            format!("{B}.SHIFT_1ST"),
            format!("{UNKNOWN}.SHIFT_1ST"),
            json!({"shift_name": "changed"}),
            "shift_name",
        ),
    ];
    for role in ROLES {
        let token = w.token(role);
        for (res, own, foreign, missing, patch, field) in &cases {
            let own_path = format!("/api/{res}/{own}");
            let body = expect_ok(
                w.app.get(&own_path, Some(token)).await,
                StatusCode::OK,
                &format!("{role} GET {own_path}"),
            )
            .await;
            assert_eq!(body["client_id"], A, "{role} GET {own_path}");
            let foreign_path = format!("/api/{res}/{foreign}");
            let missing_path = format!("/api/{res}/{missing}");
            let ctx = format!("{role} GET {foreign_path}");
            let gone = expect_error(
                w.app.get(&missing_path, Some(token)).await,
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("{role} GET {missing_path}"),
            )
            .await;
            let res_get = w.app.get(&foreign_path, Some(token)).await;
            if sees_all(role) {
                let body = expect_ok(res_get, StatusCode::OK, &ctx).await;
                assert_eq!(body["client_id"], B, "{ctx}");
            } else {
                let err = expect_error(res_get, StatusCode::NOT_FOUND, "not_found", &ctx).await;
                assert_eq!(err, gone, "{ctx}: identical to a missing id");
                // PATCH: the same 404 as a missing id, and nothing is written.
                let ctx = format!("{role} PATCH {foreign_path}");
                let gone = expect_error(
                    w.app.patch(&missing_path, Some(token), patch).await,
                    StatusCode::NOT_FOUND,
                    "not_found",
                    &format!("{role} PATCH {missing_path}"),
                )
                .await;
                let err = expect_error(
                    w.app.patch(&foreign_path, Some(token), patch).await,
                    StatusCode::NOT_FOUND,
                    "not_found",
                    &ctx,
                )
                .await;
                assert_eq!(err, gone, "{ctx}: identical to a missing id");
                let stored = expect_ok(
                    w.app.get(&foreign_path, Some(&w.app.admin)).await,
                    StatusCode::OK,
                    &ctx,
                )
                .await;
                assert_ne!(stored[*field], "changed", "{ctx}: foreign row was changed");
                assert_eq!(stored["client_id"], B, "{ctx}");
            }
        }
    }
    // An own record cannot be moved to another client.
    let res = w
        .app
        .patch(
            "/api/products/WO-A-P",
            Some(w.token(LEADER)),
            &json!({"client_id": B}),
        )
        .await;
    expect_error(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "read_only_field",
        "move product",
    )
    .await;
    let stored = expect_ok(
        w.app.get("/api/products/WO-A-P", Some(&w.app.admin)).await,
        StatusCode::OK,
        "product after move attempt",
    )
    .await;
    assert_eq!(stored["client_id"], A);
}

#[actix_web::test]
async fn foreign_references_read_as_unknown() {
    let w = world().await;
    let leader = w.token(LEADER);
    // A work order of AAA-1 naming BBB-1's product: the same 422 as a product that does not exist.
    let wo = |id: &str, product: &str| json!({"work_order_id": id, "client_id": A, "product_id": product, "planned_quantity": 10});
    let foreign = expect_error(
        w.app
            .post("/api/work-orders", Some(leader), &wo("WO-X1", "WO-B-P"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "work order with foreign product",
    )
    .await;
    let missing = expect_error(
        w.app
            .post("/api/work-orders", Some(leader), &wo("WO-X2", "NOPE-P"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "work order with missing product",
    )
    .await;
    assert_eq!(foreign, missing, "foreign product reads as unknown");
    assert_eq!(foreign["details"][0]["field"], "product_id");
    // A production entry of AAA-1 naming BBB-1's work order.
    let foreign = expect_error(
        w.app
            .post("/api/production", Some(leader), &production_body(A, "WO-B"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "production with foreign work order",
    )
    .await;
    let missing = expect_error(
        w.app
            .post(
                "/api/production",
                Some(leader),
                &production_body(A, "NOPE-WO"),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "production with missing work order",
    )
    .await;
    assert_eq!(foreign, missing, "foreign work order reads as unknown");
    assert_eq!(foreign["details"][0]["field"], "work_order_id");
    // The same holds for an ADMIN: references never cross clients.
    expect_error(
        w.app
            .post(
                "/api/production",
                Some(&w.app.admin),
                &production_body(A, "WO-B"),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "admin production with foreign work order",
    )
    .await;
    // Re-pointing an own production entry at a foreign work order is refused the same way.
    expect_error(
        w.app
            .patch(
                &format!("/api/production/{}", w.prod_a),
                Some(leader),
                &json!({"work_order_id": "WO-B"}),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "patch production to foreign work order",
    )
    .await;
}

#[actix_web::test]
async fn writes_to_a_foreign_client_are_403() {
    let w = world().await;
    let leader = w.token(LEADER);
    let writes = |client: &str| {
        vec![
            (
                "/api/products",
                json!({"product_id": format!("{client}-NEWP"), "client_id": client}),
            ),
            (
                "/api/work-orders",
                json!({"work_order_id": format!("{client}-NEWWO"), "client_id": client, "planned_quantity": 10}),
            ),
            ("/api/production", production_body(client, "WO-B")),
        ]
    };
    for (path, body) in writes(B) {
        let ctx = format!("LEADER POST {path} for {B}");
        expect_error(
            w.app.post(path, Some(leader), &body).await,
            StatusCode::FORBIDDEN,
            "forbidden",
            &ctx,
        )
        .await;
    }
    for (path, body) in writes(UNKNOWN) {
        let ctx = format!("LEADER POST {path} for {UNKNOWN}");
        expect_error(
            w.app.post(path, Some(leader), &body).await,
            StatusCode::NOT_FOUND,
            "not_found",
            &ctx,
        )
        .await;
    }
    // Nothing was written for BBB-1.
    for path in [
        format!("/api/products/{B}-NEWP"),
        format!("/api/work-orders/{B}-NEWWO"),
    ] {
        expect_error(
            w.app.get(&path, Some(&w.app.admin)).await,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("ADMIN GET {path}"),
        )
        .await;
    }
    let rows = expect_ok(
        w.app
            .get(
                &format!("/api/production?client_id={B}"),
                Some(&w.app.admin),
            )
            .await,
        StatusCode::OK,
        "BBB-1 production",
    )
    .await;
    assert_eq!(rows["items"].as_array().map(Vec::len), Some(1), "{rows}");
    // Settings and the client record of BBB-1.
    let settings = json!({"settings": {"otd_mode": "TRUE_OTD"}});
    expect_error(
        w.app
            .put(
                &format!("/api/clients/{B}/settings"),
                Some(leader),
                &settings,
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "LEADER PUT BBB-1 settings",
    )
    .await;
    expect_error(
        w.app
            .patch(
                &format!("/api/clients/{B}"),
                Some(leader),
                &json!({"client_name": "Mine now"}),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "LEADER PATCH BBB-1",
    )
    .await;
    let b = expect_ok(
        w.app
            .get(&format!("/api/clients/{B}/settings"), Some(&w.app.admin))
            .await,
        StatusCode::OK,
        "BBB-1 settings",
    )
    .await;
    assert_eq!(b["version"], 1, "BBB-1 settings unchanged: {b}");
    assert_ne!(b["settings"]["otd_mode"], "TRUE_OTD");
    let b = expect_ok(
        w.app
            .get(&format!("/api/clients/{B}"), Some(&w.app.admin))
            .await,
        StatusCode::OK,
        "BBB-1",
    )
    .await;
    assert_eq!(b["client_name"], format!("Client {B}"));
}

#[actix_web::test]
async fn role_rules_for_creating_and_configuring() {
    let w = world().await;
    let product = |id: &str| json!({"product_id": id, "client_id": A, "style_model": "ROPER"});
    let work_order = |id: &str| json!({"work_order_id": id, "client_id": A, "product_id": "WO-A-P", "planned_quantity": 10});
    let settings = json!({"settings": {"otd_mode": "TRUE_OTD"}});
    let client = |id: &str| json!({"client_id": id, "client_name": "New"});

    // POWERUSER reads everything (see the other tests) but creates nothing.
    let power = w.token(POWER);
    for (path, body) in [
        ("/api/products", product("P-POWER")),
        ("/api/work-orders", work_order("WO-POWER")),
        ("/api/production", production_body(A, "WO-A")),
        ("/api/clients", client("CCC-POWER")),
    ] {
        expect_error(
            w.app.post(path, Some(power), &body).await,
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("POWERUSER POST {path}"),
        )
        .await;
    }
    expect_error(
        w.app
            .put(
                &format!("/api/clients/{A}/settings"),
                Some(power),
                &settings,
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "POWERUSER PUT settings",
    )
    .await;

    // OPERATOR: production only through the read-back; no master data, settings or clients.
    let op = w.token(OPERATOR);
    expect_error(
        w.app
            .post("/api/production", Some(op), &production_body(A, "WO-A"))
            .await,
        StatusCode::FORBIDDEN,
        "readback_required",
        "OPERATOR POST production",
    )
    .await;
    for (path, body) in [
        ("/api/products", product("P-OP")),
        ("/api/work-orders", work_order("WO-OP")),
        ("/api/clients", client("CCC-OP")),
    ] {
        expect_error(
            w.app.post(path, Some(op), &body).await,
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("OPERATOR POST {path}"),
        )
        .await;
    }
    expect_error(
        w.app
            .put(&format!("/api/clients/{A}/settings"), Some(op), &settings)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "OPERATOR PUT settings",
    )
    .await;
    expect_error(
        w.app
            .patch(
                &format!("/api/clients/{A}"),
                Some(op),
                &json!({"client_name": "Renamed"}),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "OPERATOR PATCH client",
    )
    .await;
    // Nothing the refused callers sent was stored.
    for path in [
        "/api/products/P-POWER",
        "/api/products/P-OP",
        "/api/work-orders/WO-POWER",
        "/api/work-orders/WO-OP",
        "/api/clients/CCC-POWER",
        "/api/clients/CCC-OP",
    ] {
        expect_error(
            w.app.get(path, Some(&w.app.admin)).await,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("ADMIN GET {path}"),
        )
        .await;
    }
    let rows = expect_ok(
        w.app
            .get(
                &format!("/api/production?client_id={A}"),
                Some(&w.app.admin),
            )
            .await,
        StatusCode::OK,
        "AAA-1 production",
    )
    .await;
    assert_eq!(rows["items"].as_array().map(Vec::len), Some(1), "{rows}");

    // LEADER: master data, production and settings for its client; never new clients.
    let leader = w.token(LEADER);
    for (path, body, key) in [
        ("/api/products", product("P-LEAD"), "product_id"),
        ("/api/work-orders", work_order("WO-LEAD"), "work_order_id"),
        (
            "/api/production",
            production_body(A, "WO-LEAD"),
            "production_entry_id",
        ),
    ] {
        let created = expect_ok(
            w.app.post(path, Some(leader), &body).await,
            StatusCode::CREATED,
            &format!("LEADER POST {path}"),
        )
        .await;
        assert_eq!(created["client_id"], A, "LEADER POST {path}");
        assert!(created[key].is_string(), "LEADER POST {path}: {created}");
    }
    let put = expect_ok(
        w.app
            .put(
                &format!("/api/clients/{A}/settings"),
                Some(leader),
                &settings,
            )
            .await,
        StatusCode::OK,
        "LEADER PUT AAA-1 settings",
    )
    .await;
    assert_eq!(put["client_id"], A);
    assert_eq!(put["version"], 2, "{put}");
    assert_eq!(put["settings"]["otd_mode"], "TRUE_OTD");
    expect_error(
        w.app
            .post("/api/clients", Some(leader), &client("CCC-LEAD"))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "LEADER POST /api/clients",
    )
    .await;
    // A LEADER renames its client but cannot deactivate it.
    expect_error(
        w.app
            .patch(
                &format!("/api/clients/{A}"),
                Some(leader),
                &json!({"is_active": false}),
            )
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "LEADER deactivates AAA-1",
    )
    .await;

    // ADMIN creates clients.
    let created = expect_ok(
        w.app
            .post("/api/clients", Some(&w.app.admin), &client("CCC-ADMIN"))
            .await,
        StatusCode::CREATED,
        "ADMIN POST /api/clients",
    )
    .await;
    assert_eq!(created["client_id"], "CCC-ADMIN");
    // The new client is not visible to the LEADER of AAA-1.
    expect_error(
        w.app.get("/api/clients/CCC-ADMIN", Some(leader)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "LEADER GET new client",
    )
    .await;
}

#[actix_web::test]
async fn users_routes_are_admin_only() {
    let w = world().await;
    let me = |token: String| {
        let app = &w.app;
        async move {
            let body = expect_ok(
                app.get("/api/auth/me", Some(&token)).await,
                StatusCode::OK,
                "me",
            )
            .await;
            body["user_id"].as_str().unwrap().to_owned()
        }
    };
    let leader_id = me(w.token(LEADER).to_owned()).await;
    let new_user = json!({"username": "sneaky1", "password": "sneaky-password-1", "email": "s@example.com", "role": "ADMIN"});
    let routes = |target: &str| {
        vec![
            ("GET", "/api/users".to_owned(), None),
            ("GET", format!("/api/users?client_id={A}"), None),
            ("POST", "/api/users".to_owned(), Some(new_user.clone())),
            ("GET", format!("/api/users/{target}"), None),
            (
                "PATCH",
                format!("/api/users/{target}"),
                Some(json!({"role": "ADMIN", "client_ids": []})),
            ),
            ("DELETE", format!("/api/users/{target}"), None),
        ]
    };
    for role in [POWER, LEADER, OPERATOR, "NONE"] {
        let token = (role != "NONE").then(|| w.token(role));
        let (status, code) = if token.is_some() {
            (StatusCode::FORBIDDEN, "forbidden")
        } else {
            (StatusCode::UNAUTHORIZED, "unauthorized")
        };
        for (method, path, body) in routes(&leader_id) {
            let body = body.unwrap_or(Value::Null);
            let res = match method {
                "GET" => w.app.get(&path, token).await,
                "POST" => w.app.post(&path, token, &body).await,
                "PATCH" => w.app.patch(&path, token, &body).await,
                _ => w.app.delete(&path, token).await,
            };
            expect_error(res, status, code, &format!("{role} {method} {path}")).await;
        }
    }
    // Nothing changed: the LEADER is still an active LEADER and no user was added.
    let users = expect_ok(
        w.app.get("/api/users", Some(&w.app.admin)).await,
        StatusCode::OK,
        "ADMIN GET /api/users",
    )
    .await;
    let items = users["items"].as_array().expect("items");
    assert_eq!(items.len(), 4, "{users}");
    assert!(items.iter().all(|u| u["username"] != "sneaky1"));
    let leader = expect_ok(
        w.app
            .get(&format!("/api/users/{leader_id}"), Some(&w.app.admin))
            .await,
        StatusCode::OK,
        "ADMIN GET leader",
    )
    .await;
    assert_eq!(leader["role"], LEADER);
    assert_eq!(leader["is_active"], true);
    // The LEADER's token still works (not revoked by the refused DELETE).
    expect_ok(
        w.app.get("/api/products", Some(w.token(LEADER))).await,
        StatusCode::OK,
        "leader token still valid",
    )
    .await;
}

#[actix_web::test]
async fn every_protected_route_needs_a_token() {
    let w = world().await;
    let mut routes: Vec<(&str, String, Value)> = vec![
        ("GET", "/api/auth/me".into(), Value::Null),
        (
            "POST",
            "/api/auth/change-password".into(),
            json!({"current_password": ADMIN_PASSWORD, "new_password": "another-password-1"}),
        ),
        (
            "POST",
            "/api/auth/register".into(),
            json!({"username": "late1", "password": "late-password-1", "email": "l@example.com", "role": "ADMIN"}),
        ),
        ("GET", "/api/users".into(), Value::Null),
        ("GET", "/api/users/USR-001".into(), Value::Null),
        ("GET", "/api/clients".into(), Value::Null),
        (
            "POST",
            "/api/clients".into(),
            json!({"client_id": "CCC-1", "client_name": "C"}),
        ),
    ];
    for c in [A, B, UNKNOWN] {
        routes.extend([
            ("GET", format!("/api/clients/{c}"), Value::Null),
            (
                "PATCH",
                format!("/api/clients/{c}"),
                json!({"client_name": "X"}),
            ),
            ("DELETE", format!("/api/clients/{c}"), Value::Null),
            ("GET", format!("/api/clients/{c}/settings"), Value::Null),
            (
                "PUT",
                format!("/api/clients/{c}/settings"),
                json!({"settings": {"otd_mode": "OTD"}}),
            ),
            ("GET", format!("/api/clients/{c}/kpis"), Value::Null),
            ("GET", format!("/api/clients/{c}/losses"), Value::Null),
            ("GET", format!("/api/production?client_id={c}"), Value::Null),
        ]);
    }
    for (res, id, body) in [
        (
            "products",
            "WO-A-P".to_owned(),
            json!({"product_id": "NEW-P", "client_id": A}),
        ),
        (
            "work-orders",
            "WO-A".to_owned(),
            json!({"work_order_id": "NEW-WO", "client_id": A, "planned_quantity": 1}),
        ),
        (
            "shifts",
            format!("{A}.SHIFT_1ST"),
            json!({"client_id": A, "shift_type": "OTHER"}),
        ),
        ("production", w.prod_a.clone(), production_body(A, "WO-A")),
    ] {
        routes.extend([
            ("GET", format!("/api/{res}"), Value::Null),
            ("POST", format!("/api/{res}"), body),
            ("GET", format!("/api/{res}/{id}"), Value::Null),
            ("PATCH", format!("/api/{res}/{id}"), json!({"notes": "x"})),
        ]);
    }
    for (label, token) in [("no token", None), ("bad token", Some("not-a-jwt"))] {
        for (method, path, body) in &routes {
            let res = match *method {
                "GET" => w.app.get(path, token).await,
                "POST" => w.app.post(path, token, body).await,
                "PATCH" => w.app.patch(path, token, body).await,
                "PUT" => w.app.put(path, token, body).await,
                _ => w.app.delete(path, token).await,
            };
            expect_error(
                res,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                &format!("{label}: {method} {path}"),
            )
            .await;
        }
    }
    // The refused requests changed nothing.
    let a = expect_ok(
        w.app
            .get(&format!("/api/clients/{A}"), Some(&w.app.admin))
            .await,
        StatusCode::OK,
        "AAA-1 after",
    )
    .await;
    assert_eq!(a["is_active"], true);
    assert_eq!(a["client_name"], format!("Client {A}"));
    expect_error(
        w.app.get("/api/products/NEW-P", Some(&w.app.admin)).await,
        StatusCode::NOT_FOUND,
        "not_found",
        "NEW-P not created",
    )
    .await;
    w.app.login("admin", ADMIN_PASSWORD).await;
}

#[actix_web::test]
async fn reassigning_a_user_takes_effect_at_once() {
    let w = world().await;
    let leader = w.token(LEADER);
    // Warm the per-request user cache with the old assignment.
    let before = expect_ok(
        w.app.get("/api/products", Some(leader)).await,
        StatusCode::OK,
        "before",
    )
    .await;
    assert_eq!(clients_of(&before), set(&[A]));
    let me = expect_ok(
        w.app.get("/api/auth/me", Some(leader)).await,
        StatusCode::OK,
        "me",
    )
    .await;
    let id = me["user_id"].as_str().unwrap();
    expect_ok(
        w.app
            .patch(
                &format!("/api/users/{id}"),
                Some(&w.app.admin),
                &json!({"client_ids": [B]}),
            )
            .await,
        StatusCode::OK,
        "reassign leader",
    )
    .await;
    // The very next requests use the new assignment.
    for path in [
        "/api/products",
        "/api/work-orders",
        "/api/production",
        "/api/clients",
    ] {
        let body = expect_ok(
            w.app.get(path, Some(leader)).await,
            StatusCode::OK,
            &format!("after: {path}"),
        )
        .await;
        assert_eq!(clients_of(&body), set(&[B]), "after: {path}");
    }
    expect_error(
        w.app.get(&format!("/api/clients/{A}"), Some(leader)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "old client",
    )
    .await;
    expect_error(
        w.app.get("/api/products/WO-A-P", Some(leader)).await,
        StatusCode::NOT_FOUND,
        "not_found",
        "old client's product",
    )
    .await;
}

/// The tenant check comes before body validation: an invalid body for a foreign client is
/// still a 403, for an unknown client a 404 (never a 422 that would confirm nothing but cost trust).
#[actix_web::test]
async fn foreign_client_beats_validation() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.create_client("BBB-1").await;
    let leader = app
        .user_token("leader1", "LEADER_DATACONFIG", &["AAA-1"])
        .await;
    let bad = json!({"client_id": "BBB-1", "product_id": "bad id with spaces", "surprise": 1});
    assert_eq!(
        error_code(app.post("/api/products", Some(&leader), &bad).await).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let bad = json!({"client_id": "ZZZ-9", "product_id": "bad id with spaces"});
    assert_eq!(
        error_code(app.post("/api/products", Some(&leader), &bad).await)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let res = app
        .patch(
            "/api/clients/BBB-1",
            Some(&leader),
            &json!({"client_type": "nonsense"}),
        )
        .await;
    assert_eq!(error_code(res).await.0, StatusCode::FORBIDDEN);
    let res = app
        .put(
            "/api/clients/BBB-1/settings",
            Some(&leader),
            &json!({"settings": {"bogus": 1}}),
        )
        .await;
    assert_eq!(error_code(res).await.0, StatusCode::FORBIDDEN);
}
