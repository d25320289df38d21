//! The audit trail (`GET /api/audit`) and CSV out (`/api/{res}/export.csv`, `/csv-template`):
//! field-level audit rows, role and tenant rules, filters, formula neutralising, RFC 4180.
use crate::helpers::*;
use kpi_engine::resources::{Req, Tenant, defs};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn json_of(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let me = json_of(app.get("/api/auth/me", Some(token)).await).await;
    me["user_id"].as_str().unwrap().to_owned()
}

async fn entry(app: &TestApp, token: &str, body: Value) -> String {
    let res = app.post("/api/production", Some(token), &body).await;
    let status = res.status();
    let v: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["production_entry_id"].as_str().unwrap().to_owned()
}

fn production(client: &str, wo: &str, date: &str, shift: &str, units: i64) -> Value {
    json!({"client_id": client, "work_order_id": wo, "shift_date": date, "shift_type": shift,
           "units_produced": units, "employees_assigned": 5, "shift_hours_scheduled": 9})
}

/// A CSV body: checks the BOM and CRLF, returns the header and the records.
fn parse_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .expect("UTF-8 BOM (Excel)");
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    let mut r = csv::Reader::from_reader(body);
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

async fn export(app: &TestApp, path: &str, token: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let bytes = res.bytes().await.unwrap();
    parse_csv(&bytes)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column {name}"))
}

async fn audit(app: &TestApp, query: &str, token: &str) -> Vec<Value> {
    let page = json_of(app.get(&format!("/api/audit{query}"), Some(token)).await).await;
    page["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn audit_rows_record_creates_and_field_level_updates() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.master_data("AAA-1", "WO-1", Some(0.25), None).await;
    let leader = app
        .user_token("leader", "LEADER_DATACONFIG", &["AAA-1"])
        .await;
    let leader_id = user_id(&app, &leader).await;
    let id = entry(
        &app,
        &leader,
        production("AAA-1", "WO-1", "2025-12-15", "SHIFT_1ST", 120),
    )
    .await;
    let res = app
        .patch(
            &format!("/api/production/{id}"),
            Some(&leader),
            &json!({"units_produced": 130, "notes": "recount"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let rows = audit(
        &app,
        &format!("?entity=production&entity_id={id}"),
        &app.admin,
    )
    .await;
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["UPDATE", "UPDATE", "CREATE"],
        "newest first: {rows:?}"
    );
    for r in &rows {
        assert_eq!(r["user_id"], leader_id.as_str());
        assert_eq!(r["client_id"], "AAA-1");
        assert_eq!(r["entity"], "PRODUCTION_ENTRY");
        assert_eq!(r["entity_id"], id.as_str());
        assert!(r["occurred_at"].as_str().unwrap().ends_with('Z'));
    }
    let units = rows
        .iter()
        .find(|r| r["field"] == "units_produced")
        .unwrap();
    assert_eq!(
        (units["old_value"].as_str(), units["new_value"].as_str()),
        (Some("120"), Some("130"))
    );
    let notes = rows.iter().find(|r| r["field"] == "notes").unwrap();
    assert_eq!(notes["old_value"], Value::Null, "blank before");
    assert_eq!(notes["new_value"], "\"recount\"");
    let created: Value = serde_json::from_str(rows[2]["new_value"].as_str().unwrap()).unwrap();
    assert_eq!(created["units_produced"], 120);
    assert_eq!(created["production_entry_id"], id.as_str());

    // Filters: action, user, dates (today in UTC), and the stored entity name.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let only_create = audit(
        &app,
        &format!(
            "?entity=PRODUCTION_ENTRY&action=create&user_id={leader_id}&from={today}&to={today}"
        ),
        &app.admin,
    )
    .await;
    assert_eq!(only_create.len(), 1);
    assert_eq!(only_create[0]["action"], "CREATE");
    assert!(
        audit(&app, "?entity=production&to=2020-01-01", &app.admin)
            .await
            .is_empty()
    );

    // Keyset paging: one row per page, no row twice, then null.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/audit?entity=production&limit=1&cursor={c}"),
            None => "/api/audit?entity=production&limit=1".to_owned(),
        };
        let page = json_of(app.get(&q, Some(&app.admin)).await).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 1);
        seen.extend(items.iter().map(|i| i["audit_id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );

    // Bad parameters: 422 naming each; unknown parameter: 400.
    let res = app
        .get(
            "/api/audit?action=EXPLODE&from=15/12/2025&limit=0",
            Some(&app.admin),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation_failed");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["limit", "from", "action"]);
    let res = app.get("/api/audit?colour=red", Some(&app.admin)).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::BAD_REQUEST, "invalid_parameter".into())
    );
}

#[actix_web::test]
async fn audit_log_follows_roles_and_tenants() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.create_client("BBB-1").await;
    app.master_data("AAA-1", "WO-A", Some(0.25), None).await;
    app.master_data("BBB-1", "WO-B", Some(0.25), None).await;
    let leader = app
        .user_token("leader", "LEADER_DATACONFIG", &["AAA-1"])
        .await;
    let operator = app
        .user_token("operator", "OPERATOR_DATAENTRY", &["AAA-1"])
        .await;
    let power = app.user_token("poweruser", "POWERUSER", &[]).await;

    let res = app.get("/api/audit", None).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );
    let res = app.get("/api/audit", Some(&operator)).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );

    // LEADER: only rows of assigned clients, never user/security events (no client).
    let rows = audit(&app, "?limit=1000", &leader).await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["client_id"] == "AAA-1"), "{rows:?}");
    let res = app.get("/api/audit?client_id=BBB-1", Some(&leader)).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    let res = app.get("/api/audit?client_id=NOPE-1", Some(&leader)).await;
    assert_eq!(error_code(res).await.0, StatusCode::NOT_FOUND);
    assert!(audit(&app, "?entity=auth", &leader).await.is_empty());
    assert!(audit(&app, "?entity_id=WO-B", &leader).await.is_empty());

    // POWERUSER: every client, but not the client-less security rows.
    let rows = audit(&app, "?limit=1000", &power).await;
    let clients: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(clients.into_iter().collect::<Vec<_>>(), ["AAA-1", "BBB-1"]);
    assert_eq!(
        audit(&app, "?entity=WORK_ORDER&client_id=BBB-1", &power)
            .await
            .len(),
        1
    );

    // ADMIN: everything, including logins and user changes.
    let logins = audit(&app, "?entity=auth&action=LOGIN", &app.admin).await;
    assert!(
        logins.len() >= 4,
        "admin, lead, oper, power logged in: {logins:?}"
    );
    assert!(logins.iter().all(|r| r["client_id"].is_null()));
    assert!(
        !audit(&app, "?entity=users&action=CREATE", &app.admin)
            .await
            .is_empty()
    );
    assert!(
        audit(&app, "?entity=auth&action=ROLE", &app.admin)
            .await
            .is_empty()
    );
}

#[actix_web::test]
async fn production_export_filters_streams_and_keeps_tenants_apart() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.create_client("BBB-1").await;
    app.master_data("AAA-1", "WO-A", Some(0.25), None).await;
    app.master_data("BBB-1", "WO-B", Some(0.25), None).await;
    let a = &app.admin;
    let first = entry(
        &app,
        a,
        production("AAA-1", "WO-A", "2025-12-14", "SHIFT_1ST", 100),
    )
    .await;
    let second = entry(
        &app,
        a,
        production("AAA-1", "WO-A", "2025-12-15", "SHIFT_1ST", 110),
    )
    .await;
    let third = entry(
        &app,
        a,
        production("AAA-1", "WO-A", "2025-12-15", "SHIFT_2ND", 0),
    )
    .await;
    let foreign = entry(
        &app,
        a,
        production("BBB-1", "WO-B", "2025-12-15", "SHIFT_1ST", 90),
    )
    .await;

    let res = app
        .get("/api/production/export.csv?client_id=AAA-1", Some(a))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(
        res.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"production_{today}.csv\"")
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let (header, rows) = parse_csv(&res.bytes().await.unwrap());
    // Columns: the declared fields in order (key first), then the system columns.
    let mut expected: Vec<&str> = defs::PRODUCTION.fields.iter().map(|f| f.name).collect();
    expected.extend([
        "entry_method",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
    ]);
    assert_eq!(header, expected);
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        ids,
        [second.as_str(), third.as_str(), first.as_str()],
        "list order"
    );
    let units = column(&header, "units_produced");
    assert_eq!(rows[2][units], "100", "numbers plain");
    assert_eq!(rows[1][units], "0");
    assert_eq!(rows[0][column(&header, "shift_date")], "2025-12-15");
    assert_eq!(rows[0][column(&header, "shift_hours_scheduled")], "9.0");
    assert_eq!(rows[0][column(&header, "entry_method")], "API");
    assert_eq!(rows[0][column(&header, "notes")], "", "blank stays blank");

    // The list filters apply.
    let (_, rows) = export(
        &app,
        "/api/production/export.csv?client_id=AAA-1&from=2025-12-15&shift_type=SHIFT_1ST",
        a,
    )
    .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], second);
    let (_, rows) = export(&app, "/api/production/export.csv?to=2025-12-14", a).await;
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, [first.as_str()]);
    let (_, rows) = export(&app, "/api/production/export.csv?work_order_id=WO-B", a).await;
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, [foreign.as_str()]);

    // Tenants: a LEADER or OPERATOR of AAA-1 never gets BBB-1's rows; naming it is a 403.
    let leader = app
        .user_token("leader", "LEADER_DATACONFIG", &["AAA-1"])
        .await;
    let operator = app
        .user_token("operator", "OPERATOR_DATAENTRY", &["AAA-1"])
        .await;
    for token in [&leader, &operator] {
        let (_, rows) = export(&app, "/api/production/export.csv", token).await;
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r[0] != foreign));
        let (_, rows) = export(&app, "/api/production/export.csv?work_order_id=WO-B", token).await;
        assert!(rows.is_empty(), "a foreign work order filter finds nothing");
        let res = app
            .get("/api/production/export.csv?client_id=BBB-1", Some(token))
            .await;
        assert_eq!(
            error_code(res).await,
            (StatusCode::FORBIDDEN, "forbidden".into())
        );
        let (_, rows) = export(&app, "/api/work-orders/export.csv", token).await;
        assert_eq!(
            rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
            ["WO-A"]
        );
    }
    let power = app.user_token("poweruser", "POWERUSER", &[]).await;
    let (_, rows) = export(&app, "/api/production/export.csv", &power).await;
    assert_eq!(rows.len(), 4, "POWERUSER exports every client");

    // Errors come before the body starts, in the one error shape.
    let res = app.get("/api/production/export.csv", None).await;
    assert_eq!(error_code(res).await.0, StatusCode::UNAUTHORIZED);
    let res = app
        .get("/api/production/export.csv?from=15/12/2025", Some(a))
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed".into())
    );
    let res = app
        .get("/api/production/export.csv?colour=red", Some(a))
        .await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::BAD_REQUEST, "invalid_parameter".into())
    );
    let res = app
        .get("/api/production/export.csv?client_id=NOPE-1", Some(a))
        .await;
    assert_eq!(error_code(res).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn export_neutralises_formulas_and_round_trips_quoting() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.master_data("AAA-1", "WO-1", Some(0.25), None).await;
    let a = &app.admin;
    let notes = [
        ("SHIFT_1ST", "=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
        ("SHIFT_2ND", "-1+1", "'-1+1"),
        ("SAT_OT", "@SUM(A1)", "'@SUM(A1)"),
        (
            "SUN_OT",
            "line one\nline \"two\", three;\tfour",
            "line one\nline \"two\", three;\tfour",
        ),
        ("OTHER", "-5", "-5"),
    ];
    for (shift, text, _) in notes {
        let mut body = production("AAA-1", "WO-1", "2025-12-15", shift, 10);
        body["notes"] = json!(text);
        entry(&app, a, body).await;
    }
    let res = app.get("/api/production/export.csv", Some(a)).await;
    let bytes = res.bytes().await.unwrap();
    let raw = String::from_utf8_lossy(&bytes).into_owned();
    assert!(
        raw.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "RFC 4180 quote doubling: {raw}"
    );
    let (header, rows) = parse_csv(&bytes);
    let (shift, note) = (column(&header, "shift_type"), column(&header, "notes"));
    for (s, _, expected) in notes {
        let row = rows.iter().find(|r| r[shift] == s).unwrap();
        assert_eq!(row[note], expected, "{s}");
    }
}

#[actix_web::test]
async fn export_pages_through_more_rows_than_one_page() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    app.master_data("AAA-1", "WO-1", Some(0.25), None).await;
    let seed = entry(
        &app,
        &app.admin,
        production("AAA-1", "WO-1", "2019-12-31", "SHIFT_1ST", 1),
    )
    .await;
    // 2 400 more rows straight into the file (one per day; the API would take minutes).
    let c = rusqlite::Connection::open(app.dir.path().join("kpi.db")).unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    let cols: Vec<String> = c
        .prepare("SELECT name FROM pragma_table_info('production_entries')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .filter(|n: &String| n != "production_entry_id" && n != "shift_date")
        .collect();
    let list = cols.join(", ");
    c.execute(
        &format!(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 2400)
             INSERT INTO production_entries (production_entry_id, shift_date, {list})
             SELECT printf('BULK-%05d', n), date('2019-12-31', '+' || n || ' days'), {list}
             FROM production_entries, seq WHERE production_entry_id = ?1"
        ),
        [&seed],
    )
    .unwrap();
    drop(c);
    let (header, rows) = export(&app, "/api/production/export.csv", &app.admin).await;
    assert_eq!(rows.len(), 2401);
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids.len(), 2401, "no row twice across pages");
    let date = column(&header, "shift_date");
    let dates: Vec<&str> = rows.iter().map(|r| r[date].as_str()).collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "date key desc across pages"
    );
    assert_eq!(rows.last().unwrap()[0], seed);
}

#[actix_web::test]
async fn csv_templates_carry_the_declared_columns() {
    let app = spawn_app().await;
    app.create_client("AAA-1").await;
    let operator = app
        .user_token("operator", "OPERATOR_DATAENTRY", &["AAA-1"])
        .await;
    for res in defs::ALL {
        let path = format!("/api/{}/csv-template", res.name);
        let r = app.get(&path, Some(&operator)).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("{}_template.csv", res.name))
        );
        let (header, rows) = parse_csv(&r.bytes().await.unwrap());
        let declared: Vec<&str> = res
            .fields
            .iter()
            .filter(|f| f.req != Req::S)
            .map(|f| f.name)
            .collect();
        assert_eq!(header, declared, "{path}");
        if matches!(res.tenant, Tenant::Entered) {
            assert!(header.iter().any(|h| h == "client_id"), "{path}");
        }
        assert_eq!(rows.len(), 1, "one example row");
        assert_eq!(rows[0].len(), header.len());
        let r = app.get(&path, None).await;
        assert_eq!(error_code(r).await.0, StatusCode::UNAUTHORIZED);
    }
    // Static segments win over /api/{res}/{id}.
    let r = app
        .get("/api/production/csv-template", Some(&app.admin))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}
