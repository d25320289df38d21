//! Batch and CSV ingestion: files good and bad (physical line numbers), encodings, limits,
//! tenant rules per row, all_or_nothing, the read-back (preview → confirm), the import log,
//! Idempotency-Key on every creating POST, and a SIGKILL during a large import.
use crate::helpers::*;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

const HEADER: &str = "client_id,work_order_id,shift_date,shift_type,operation_id,units_produced,units_defective,run_time_hours,notes";

/// A multipart body with the given boundary: (part name, file name, bytes).
fn multipart(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv\r\n\r\n")
                    .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

pub(crate) struct Upload<'a> {
    path: &'a str,
    token: &'a str,
    file: &'a [u8],
    client: Option<&'a str>,
    key: Option<&'a str>,
    boundary: &'a str,
}

impl<'a> Upload<'a> {
    pub(crate) fn new(path: &'a str, token: &'a str, file: &'a [u8]) -> Self {
        Upload {
            path,
            token,
            file,
            client: None,
            key: None,
            boundary: "----kpi-test-boundary-1",
        }
    }
    pub(crate) async fn send(&self, app: &TestApp) -> Response {
        let mut parts: Vec<(&str, Option<&str>, &[u8])> =
            vec![("file", Some("data.csv"), self.file)];
        if let Some(c) = self.client {
            parts.push(("client_id", None, c.as_bytes()));
        }
        let mut r = app
            .http
            .post(app.url(self.path))
            .bearer_auth(self.token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={}", self.boundary),
            )
            .body(multipart(self.boundary, &parts));
        if let Some(k) = self.key {
            r = r.header("Idempotency-Key", k);
        }
        r.send().await.unwrap()
    }
}

async fn post_key(app: &TestApp, path: &str, token: &str, body: &Value, key: &str) -> Response {
    app.http
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn json_of(res: Response, status: StatusCode, ctx: &str) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{ctx}: {body}");
    body
}

async fn expect_code(res: Response, status: StatusCode, code: &str, ctx: &str) -> Value {
    let body = json_of(res, status, ctx).await;
    assert_eq!(body["error"]["code"], code, "{ctx}: {body}");
    assert!(
        body["error"]["request_id"].is_string(),
        "{ctx}: error shape"
    );
    body
}

/// A client with one work order (`WO-<client>`), created by the ADMIN.
async fn line(app: &TestApp, client: &str) -> String {
    app.create_client(client).await;
    let wo = format!("WO-{client}");
    app.master_data(client, &wo, Some(0.1), Some(0.05)).await;
    wo
}

async fn production(app: &TestApp, client: &str) -> Vec<Value> {
    let body: Value = app
        .get(
            &format!("/api/production?client_id={client}&limit=1000"),
            Some(&app.admin),
        )
        .await
        .json()
        .await
        .unwrap();
    body["items"].as_array().unwrap().clone()
}

fn db(app: &TestApp) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(app.dir.path().join("kpi.db")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn
}

fn count(app: &TestApp, sql: &str) -> i64 {
    db(app).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn lines_of(body: &Value) -> Vec<(u64, String, String)> {
    body["errors"]
        .as_array()
        .or_else(|| body["error"]["details"].as_array())
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap_or("").to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn a_good_file_imports_every_row_with_one_audit_record() {
    let app = spawn_app().await;
    let wo = line(&app, "AAA-1").await;
    let file = format!(
        "{HEADER}\nAAA-1,{wo},2025-12-15,SHIFT_1ST,CUT,100,2,8.5,first\nAAA-1,{wo},2025-12-15,SHIFT_1ST,SEW,120,0,8,\nAAA-1,{wo},2025-12-16,shift_2nd,,90,,,\n"
    );
    let res = Upload::new("/api/production/csv-upload", &app.admin, file.as_bytes())
        .send(&app)
        .await;
    let body = json_of(res, StatusCode::CREATED, "good file").await;
    assert_eq!(
        (&body["total"], &body["inserted"], &body["rejected"]),
        (&json!(3), &json!(3), &json!(0))
    );
    let import_id = body["import_id"].as_str().unwrap().to_owned();
    assert!(
        import_id.starts_with("IMP-") && import_id.len() == 17,
        "{import_id}"
    );
    let rows = production(&app, "AAA-1").await;
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r["entry_method"] == "API" && r["import_id"] == import_id.as_str())
    );
    assert!(
        rows.iter()
            .any(|r| r["shift_type"] == "SHIFT_2ND" && r["units_defective"].is_null())
    );
    // One audit record for the import (file hash, counts, user); none per row.
    let audit: (i64, String) = db(&app)
        .query_row(
            "SELECT count(*), max(new_value) FROM audit_log WHERE entity = 'IMPORT' AND import_id = ?1",
            [&import_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(audit.0, 1);
    let detail: Value = serde_json::from_str(&audit.1).unwrap();
    assert_eq!(
        (&detail["inserted"], &detail["total"]),
        (&json!(3), &json!(3))
    );
    assert_eq!(detail["file_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE entity = 'PRODUCTION_ENTRY'"
        ),
        0
    );
    // The import log.
    let log = json_of(
        app.get(
            "/api/imports?client_id=AAA-1&resource=production",
            Some(&app.admin),
        )
        .await,
        StatusCode::OK,
        "import log",
    )
    .await;
    let item = &log["items"][0];
    assert_eq!(
        (
            &item["import_id"],
            &item["status"],
            &item["channel"],
            &item["import_type"]
        ),
        (
            &json!(import_id),
            &json!("COMMITTED"),
            &json!("direct"),
            &json!("csv_upload")
        )
    );
    assert_eq!(
        (&item["rows_succeeded"], &item["client_ids"]),
        (&json!(3), &json!(["AAA-1"]))
    );
    assert_eq!(item["file_name"], "data.csv");
}

#[actix_web::test]
async fn bad_rows_carry_their_physical_line_field_and_code() {
    let app = spawn_app().await;
    let wo = line(&app, "AAA-1").await;
    // Line 2-3: a quoted note with a line break; 4: bad date; 5: blank; 6: two errors;
    // 7: good; 8: unknown work order; 9: too many fields; 10: duplicate of line 7.
    let file = format!(
        "{HEADER}\n\
         AAA-1,{wo},2025-12-15,SHIFT_1ST,A,10,1,8,\"two\nlines\"\n\
         AAA-1,{wo},12/15/2025,SHIFT_1ST,B,10,,,\n\
         \n\
         AAA-1,{wo},2025-12-15,NIGHT,C,1e3,,,\n\
         AAA-1,{wo},2025-12-15,SHIFT_1ST,D,10,12,,\n\
         AAA-1,WO-NOPE,2025-12-15,SHIFT_1ST,E,10,,,\n\
         AAA-1,{wo},2025-12-15,SHIFT_1ST,F,10,,,,extra\n\
         AAA-1,{wo},2025-12-15,SHIFT_1ST,A,5,,,\n"
    );
    let res = Upload::new("/api/production/csv-upload", &app.admin, file.as_bytes())
        .send(&app)
        .await;
    let body = json_of(res, StatusCode::CREATED, "partial").await;
    assert_eq!(
        (&body["total"], &body["inserted"], &body["rejected"]),
        (&json!(7), &json!(1), &json!(6))
    );
    let errors = lines_of(&body);
    let has = |line: u64, field: &str, code: &str| {
        assert!(
            errors.contains(&(line, field.to_owned(), code.to_owned())),
            "line {line} {field} {code} in {errors:?}"
        )
    };
    has(4, "shift_date", "invalid_date");
    has(6, "shift_type", "invalid_enum");
    has(6, "units_produced", "invalid_number");
    has(7, "units_defective", "inconsistent");
    has(8, "work_order_id", "unknown_reference");
    has(9, "", "too_many_fields");
    has(10, "", "duplicate");
    let msg = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["line"] == 4)
        .unwrap()["message"]
        .clone();
    assert_eq!(msg, "Invalid date format (use YYYY-MM-DD)");
    let rows = production(&app, "AAA-1").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["notes"], "two\nlines");
    // The same rules in a batch: `line` = position in `entries`.
    let res = app
        .post(
            "/api/production/batch",
            Some(&app.admin),
            &json!({"client_id": "AAA-1", "entries": [
                {"work_order_id": wo, "shift_date": "2025-12-17", "shift_type": "SHIFT_1ST", "units_produced": 5},
                {"work_order_id": wo, "shift_date": "2025-12-17", "shift_type": "SHIFT_1ST"},
            ]}),
        )
        .await;
    let body = json_of(res, StatusCode::CREATED, "batch").await;
    assert_eq!(
        lines_of(&body),
        [(2, "units_produced".into(), "missing_required".into())]
    );
    assert_eq!(
        body["errors"][0]["message"],
        "Missing required field: units_produced"
    );
    let log: Value = app
        .get("/api/imports", Some(&app.admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"][0]["import_type"], "batch_import");
}

#[actix_web::test]
async fn bom_crlf_semicolons_decimal_commas_and_windows_1252() {
    let app = spawn_app().await;
    let wo = line(&app, "AAA-1").await;
    let mut file = b"\xEF\xBB\xBF".to_vec();
    file.extend_from_slice(
        format!("WORK_ORDER_ID;Shift_Date;shift_type;units_produced;run_time_hours;notes\r\n{wo};2025-12-15;SHIFT_1ST;100;7,5;\"a;b\"\r\n\r\n{wo};2025-12-16;SHIFT_1ST;50;8;\r\n")
            .as_bytes(),
    );
    let mut up = Upload::new("/api/production/csv-upload", &app.admin, &file);
    up.client = Some("AAA-1");
    let body = json_of(up.send(&app).await, StatusCode::CREATED, "bom file").await;
    assert_eq!(body["inserted"], 2, "{body}");
    let rows = production(&app, "AAA-1").await;
    let first = rows
        .iter()
        .find(|r| r["shift_date"] == "2025-12-15")
        .unwrap();
    assert_eq!(
        (&first["run_time_hours"], &first["notes"]),
        (&json!(7.5), &json!("a;b"))
    );
    let latin = format!(
        "client_id,work_order_id,shift_date,shift_type,units_produced,notes\nAAA-1,{wo},2025-12-17,SHIFT_1ST,1,caf\u{e9}\n"
    );
    let bytes: Vec<u8> = latin.chars().map(|c| c as u32 as u8).collect();
    let body = json_of(
        Upload::new("/api/production/csv-upload", &app.admin, &bytes)
            .send(&app)
            .await,
        StatusCode::CREATED,
        "cp1252",
    )
    .await;
    assert_eq!(body["file_warnings"][0]["code"], "decoded_as_windows_1252");
    assert!(
        production(&app, "AAA-1")
            .await
            .iter()
            .any(|r| r["notes"] == "café")
    );
}

#[actix_web::test]
async fn oversize_garbage_and_wrong_columns_are_refused_whole() {
    let app = spawn_bare(&[("MAX_UPLOAD_SIZE", "2KB")]).await;
    let res = app.post("/api/auth/register", None, &json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let app = TestApp {
        admin: app.login("admin", ADMIN_PASSWORD).await,
        ..app
    };
    let wo = line(&app, "AAA-1").await;
    let row = format!("AAA-1,{wo},2025-12-15,SHIFT_1ST,X,1,,,\n");
    // Over MAX_UPLOAD_SIZE but within the framing allowance: the file itself is too large.
    let big = format!("{HEADER}\n{}", row.repeat(100));
    let res = Upload::new("/api/production/csv-upload", &app.admin, big.as_bytes())
        .send(&app)
        .await;
    expect_code(
        res,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "file",
    )
    .await;
    // Far over: refused while streaming.
    let huge = format!("{HEADER}\n{}", row.repeat(3000));
    let res = Upload::new("/api/production/csv-upload", &app.admin, huge.as_bytes())
        .send(&app)
        .await;
    expect_code(
        res,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "body",
    )
    .await;
    let garbage: Vec<u8> = (0..1500u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let res = Upload::new("/api/production/csv-upload", &app.admin, &garbage)
        .send(&app)
        .await;
    expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_file",
        "garbage",
    )
    .await;
    let res = Upload::new("/api/production/csv-upload", &app.admin, b"")
        .send(&app)
        .await;
    expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_file",
        "empty",
    )
    .await;
    let res = Upload::new(
        "/api/production/csv-upload",
        &app.admin,
        b"client_id,shift_date\nAAA-1,2025-12-15\n",
    )
    .send(&app)
    .await;
    let body = expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing_columns",
        "missing",
    )
    .await;
    assert_eq!(
        body["error"]["message"],
        "Missing required columns: work_order_id, shift_type, units_produced"
    );
    let res = Upload::new(
        "/api/production/csv-upload",
        &app.admin,
        b"work_order_id,shift_date,shift_type,units_produced,Units_Produced\n",
    )
    .send(&app)
    .await;
    expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicate_columns",
        "dup",
    )
    .await;
    // Not multipart → 415; no file part → 422.
    let res = app
        .post("/api/production/csv-upload", Some(&app.admin), &json!({}))
        .await;
    expect_code(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "json",
    )
    .await;
    let res = app
        .http
        .post(app.url("/api/production/csv-upload"))
        .bearer_auth(&app.admin)
        .header("content-type", "multipart/form-data; boundary=b1")
        .body(multipart("b1", &[("client_id", None, b"AAA-1")]))
        .send()
        .await
        .unwrap();
    expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "no file",
    )
    .await;
    assert!(production(&app, "AAA-1").await.is_empty());
    let res = app
        .post("/api/production/batch", None, &json!({"entries": []}))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn rows_naming_foreign_clients_are_row_errors_and_nothing_leaks() {
    let app = spawn_app().await;
    let wo_a = line(&app, "AAA-1").await;
    let wo_b = line(&app, "BBB-1").await;
    let leader = app
        .user_token("leader1", "LEADER_DATACONFIG", &["AAA-1"])
        .await;
    let file = format!(
        "{HEADER}\nAAA-1,{wo_a},2025-12-15,SHIFT_1ST,,10,,,\nBBB-1,{wo_b},2025-12-15,SHIFT_1ST,,10,,,\nZZZ-9,{wo_b},2025-12-15,SHIFT_1ST,,10,,,\n,{wo_b},2025-12-15,SHIFT_2ND,,10,,,\n"
    );
    let body = json_of(
        Upload::new("/api/production/csv-upload", &leader, file.as_bytes())
            .send(&app)
            .await,
        StatusCode::CREATED,
        "leader file",
    )
    .await;
    assert_eq!(body["inserted"], 1);
    let errors = body["errors"].as_array().unwrap();
    let by_line = |l: u64| errors.iter().find(|e| e["line"] == l).unwrap().clone();
    assert_eq!(by_line(3)["code"], "client_forbidden");
    assert_eq!(
        by_line(3)["message"],
        "Access denied - client_id mismatch (BBB-1)"
    );
    assert_eq!(
        by_line(4)["message"],
        "Access denied - client_id mismatch (ZZZ-9)",
        "unknown reads the same"
    );
    // A blank client cell takes the leader's only client; the other client's WO is unknown.
    assert_eq!(
        (&by_line(5)["field"], &by_line(5)["code"]),
        (&json!("work_order_id"), &json!("unknown_reference"))
    );
    assert!(production(&app, "BBB-1").await.is_empty());
    // Naming a foreign client for the whole upload is a 403; a cell differing from it a row error.
    let mut up = Upload::new("/api/production/csv-upload", &leader, file.as_bytes());
    up.client = Some("BBB-1");
    expect_code(
        up.send(&app).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        "form client",
    )
    .await;
    let res = app
        .post("/api/production/batch", Some(&leader), &json!({"client_id": "AAA-1", "entries": [
            {"client_id": "BBB-1", "work_order_id": wo_b, "shift_date": "2025-12-18", "shift_type": "SHIFT_1ST", "units_produced": 1}]}))
        .await;
    let body = expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rows_invalid",
        "mismatch",
    )
    .await;
    assert_eq!(body["error"]["details"][0]["code"], "client_mismatch");
    // The leader's log shows only imports of their clients; BBB-1 is not theirs.
    let res = app.get("/api/imports?client_id=BBB-1", Some(&leader)).await;
    expect_code(res, StatusCode::FORBIDDEN, "forbidden", "foreign log").await;
    let log: Value = app
        .get("/api/imports", Some(&leader))
        .await
        .json()
        .await
        .unwrap();
    for item in log["items"].as_array().unwrap() {
        assert!(!item["client_ids"].to_string().contains("BBB-1"), "{item}");
    }
    // POWERUSER enters no data.
    let power = app.user_token("power1", "POWERUSER", &[]).await;
    let res = app
        .post(
            "/api/production/batch/preview",
            Some(&power),
            &json!({"entries": [{}]}),
        )
        .await;
    expect_code(res, StatusCode::FORBIDDEN, "forbidden", "poweruser").await;
}

#[actix_web::test]
async fn all_or_nothing_writes_nothing_when_a_row_fails() {
    let app = spawn_app().await;
    let wo = line(&app, "AAA-1").await;
    let entries = json!({"client_id": "AAA-1", "entries": [
        {"work_order_id": wo, "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST", "units_produced": 10},
        {"work_order_id": wo, "shift_date": "2025-12-15", "shift_type": "SHIFT_2ND", "units_produced": -1},
    ]});
    let res = app
        .post(
            "/api/production/batch?all_or_nothing=true",
            Some(&app.admin),
            &entries,
        )
        .await;
    let body = expect_code(res, StatusCode::UNPROCESSABLE_ENTITY, "rows_invalid", "aon").await;
    assert_eq!(
        lines_of(&body),
        [(2, "units_produced".into(), "out_of_range".into())]
    );
    assert!(production(&app, "AAA-1").await.is_empty());
    // A DB-level failure (unknown work order) also rolls back the rows already inserted.
    let file = format!(
        "{HEADER}\nAAA-1,{wo},2025-12-15,SHIFT_1ST,,10,,,\nAAA-1,NOPE,2025-12-15,SHIFT_1ST,,10,,,\n"
    );
    let res = Upload::new(
        "/api/production/csv-upload?all_or_nothing=true",
        &app.admin,
        file.as_bytes(),
    )
    .send(&app)
    .await;
    expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rows_invalid",
        "aon csv",
    )
    .await;
    assert!(production(&app, "AAA-1").await.is_empty());
    let log: Value = app
        .get("/api/imports", Some(&app.admin))
        .await
        .json()
        .await
        .unwrap();
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["status"] == "REJECTED"
        && i["all_or_nothing"] == true
        && i["rows_succeeded"] == 0));
    // Without the flag the valid row goes in.
    let res = app
        .post("/api/production/batch", Some(&app.admin), &entries)
        .await;
    assert_eq!(
        json_of(res, StatusCode::CREATED, "partial").await["inserted"],
        1
    );
    let res = app
        .post(
            "/api/production/batch?all_or_nothing=maybe",
            Some(&app.admin),
            &entries,
        )
        .await;
    expect_code(res, StatusCode::BAD_REQUEST, "invalid_parameter", "flag").await;
}

#[actix_web::test]
async fn preview_then_confirm_commits_exactly_the_valid_rows_once() {
    let app = spawn_app().await;
    let wo = line(&app, "AAA-1").await;
    let operator = app
        .user_token("operator1", "OPERATOR_DATAENTRY", &["AAA-1"])
        .await;
    let other = app
        .user_token("operator2", "OPERATOR_DATAENTRY", &["AAA-1"])
        .await;
    let entries = json!({"entries": [
        {"work_order_id": wo, "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST", "units_produced": 100,
         "units_defective": 2, "run_time_hours": 8.5, "employees_assigned": 10, "shift_hours_scheduled": 9, "downtime_total_minutes": 0},
        {"work_order_id": wo, "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST", "operation_id": "SEW", "units_produced": 215, "units_defective": 2, "run_time_hours": 17},
        {"work_order_id": "NOPE", "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST", "units_produced": 1},
    ]});
    let preview = json_of(
        app.post("/api/production/batch/preview", Some(&operator), &entries)
            .await,
        StatusCode::OK,
        "preview",
    )
    .await;
    assert_eq!(
        (&preview["total"], &preview["valid"], &preview["invalid"]),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(
        preview["readback"]["title"],
        "Confirm these 2 production entries for AAA-1 on 2025-12-15 SHIFT_1ST?"
    );
    assert_eq!(
        preview["readback"]["totals"],
        json!([
            "Total: 315 units",
            "Total Defects: 4",
            "Total Run Time: 25.5 hours"
        ])
    );
    assert_eq!(
        (
            &preview["summary"]["units_produced"],
            &preview["summary"]["run_time_hours"]
        ),
        (&json!(315), &json!(25.5))
    );
    assert_eq!(preview["rows"][2]["status"], "invalid");
    assert_eq!(preview["rows"][2]["errors"][0]["code"], "unknown_reference");
    assert_eq!(
        preview["rows"][0]["record"]["client_id"], "AAA-1",
        "the operator's only client"
    );
    assert!(
        production(&app, "AAA-1").await.is_empty(),
        "a preview saves nothing"
    );
    let token = preview["token"].as_str().unwrap().to_owned();
    let confirm = format!("/api/imports/{token}/confirm");
    // Bound to the previewing user.
    expect_code(
        app.post(&confirm, Some(&other), &json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
        "other user",
    )
    .await;
    let body = json_of(
        app.post(&confirm, Some(&operator), &json!({})).await,
        StatusCode::CREATED,
        "confirm",
    )
    .await;
    assert_eq!(
        (&body["total"], &body["inserted"], &body["rejected"]),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(
        lines_of(&body),
        [(3, "work_order_id".into(), "unknown_reference".into())]
    );
    let rows = production(&app, "AAA-1").await;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r["entry_method"] == "MANUAL_ENTRY" && r["import_id"] == body["import_id"])
    );
    // Single use.
    expect_code(
        app.post(&confirm, Some(&operator), &json!({})).await,
        StatusCode::CONFLICT,
        "import_token_used",
        "again",
    )
    .await;
    assert_eq!(production(&app, "AAA-1").await.len(), 2);
    let log: Value = app
        .get("/api/imports", Some(&operator))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"][0]["channel"], "confirm");
    // The operator sees only their own imports.
    let log: Value = app
        .get("/api/imports", Some(&other))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"], json!([]));

    // CSV read-back: entry_method CSV_UPLOAD; all_or_nothing on a preview with invalid rows.
    let file = format!(
        "{HEADER}\nAAA-1,{wo},2025-12-16,SHIFT_1ST,,10,,,\nAAA-1,{wo},2025-12-16,SHIFT_1ST,,x,,,\n"
    );
    let preview = json_of(
        Upload::new(
            "/api/production/csv-upload/preview",
            &operator,
            file.as_bytes(),
        )
        .send(&app)
        .await,
        StatusCode::OK,
        "csv preview",
    )
    .await;
    let confirm = format!(
        "/api/imports/{}/confirm",
        preview["token"].as_str().unwrap()
    );
    let res = app
        .post(
            &format!("{confirm}?all_or_nothing=true"),
            Some(&operator),
            &json!({}),
        )
        .await;
    expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rows_invalid",
        "aon confirm",
    )
    .await;
    let body = json_of(
        app.post(&confirm, Some(&operator), &json!({})).await,
        StatusCode::CREATED,
        "csv confirm",
    )
    .await;
    assert_eq!(body["inserted"], 1);
    let csv_rows: Vec<Value> = production(&app, "AAA-1")
        .await
        .into_iter()
        .filter(|r| r["shift_date"] == "2025-12-16")
        .collect();
    assert_eq!(csv_rows[0]["entry_method"], "CSV_UPLOAD");

    // Expired and stale tokens.
    let one = json!({"entries": [{"work_order_id": wo, "shift_date": "2025-12-17", "shift_type": "SHIFT_1ST", "units_produced": 1}]});
    let p1 = json_of(
        app.post("/api/production/batch/preview", Some(&operator), &one)
            .await,
        StatusCode::OK,
        "p1",
    )
    .await;
    let p2 = json_of(
        app.post("/api/production/batch/preview", Some(&operator), &one)
            .await,
        StatusCode::OK,
        "p2",
    )
    .await;
    db(&app)
        .execute(
            "UPDATE import_previews SET expires_at = '2000-01-01T00:00:00Z' WHERE token = ?1",
            [p1["token"].as_str().unwrap()],
        )
        .unwrap();
    let res = app
        .post(
            &format!("/api/imports/{}/confirm", p1["token"].as_str().unwrap()),
            Some(&operator),
            &json!({}),
        )
        .await;
    expect_code(res, StatusCode::CONFLICT, "import_token_expired", "expired").await;
    let p3 = json_of(
        app.post("/api/production/batch/preview", Some(&operator), &one)
            .await,
        StatusCode::OK,
        "p3",
    )
    .await;
    json_of(
        app.post(
            &format!("/api/imports/{}/confirm", p2["token"].as_str().unwrap()),
            Some(&operator),
            &json!({}),
        )
        .await,
        StatusCode::CREATED,
        "p2",
    )
    .await;
    let res = app
        .post(
            &format!("/api/imports/{}/confirm", p3["token"].as_str().unwrap()),
            Some(&operator),
            &json!({}),
        )
        .await;
    let body = expect_code(res, StatusCode::CONFLICT, "preview_stale", "stale").await;
    assert_eq!(body["error"]["details"][0]["code"], "duplicate");
    let none = json!({"entries": [{"work_order_id": "NOPE", "shift_date": "2025-12-17", "shift_type": "SHIFT_1ST", "units_produced": 1}]});
    let p4 = json_of(
        app.post("/api/production/batch/preview", Some(&operator), &none)
            .await,
        StatusCode::OK,
        "p4",
    )
    .await;
    assert_eq!((&p4["token"], &p4["valid"]), (&Value::Null, &json!(0)));
}

#[actix_web::test]
async fn large_previews_list_200_rows_plus_every_error_and_page_the_rest() {
    let app = spawn_app().await;
    let wo = line(&app, "AAA-1").await;
    let mut file = format!("{HEADER}\n");
    for i in 0..450 {
        let units = if i % 150 == 149 {
            "bad".to_owned()
        } else {
            i.to_string()
        };
        file.push_str(&format!(
            "AAA-1,{wo},2025-12-15,SHIFT_1ST,OP-{i},{units},,,\n"
        ));
    }
    let p = json_of(
        Upload::new(
            "/api/production/csv-upload/preview",
            &app.admin,
            file.as_bytes(),
        )
        .send(&app)
        .await,
        StatusCode::OK,
        "big preview",
    )
    .await;
    assert_eq!(
        (&p["total"], &p["valid"], &p["invalid"]),
        (&json!(450), &json!(447), &json!(3))
    );
    let rows = p["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 202, "200 rows + the 2 invalid rows past them");
    assert_eq!(p["readback"]["lines"].as_array().unwrap().len(), 201);
    let token = p["token"].as_str().unwrap();
    let page = json_of(
        app.get(
            &format!(
                "/api/imports/{token}/rows?cursor={}&limit=1000",
                p["rows_next_cursor"].as_str().unwrap()
            ),
            Some(&app.admin),
        )
        .await,
        StatusCode::OK,
        "page",
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 250);
    assert_eq!(page["items"][0]["line"], 202);
    assert_eq!(page["next_cursor"], Value::Null);
    let body = json_of(
        app.post(
            &format!("/api/imports/{token}/confirm"),
            Some(&app.admin),
            &json!({}),
        )
        .await,
        StatusCode::CREATED,
        "confirm",
    )
    .await;
    assert_eq!(body["inserted"], 447);
    assert_eq!(production(&app, "AAA-1").await.len(), 447);
}

#[actix_web::test]
async fn idempotency_keys_replay_the_first_response_and_write_once() {
    let app = spawn_app().await;
    let wo = line(&app, "AAA-1").await;
    // Single create.
    let body = json!({"client_id": "AAA-1", "work_order_id": wo, "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST", "units_produced": 5});
    let first = post_key(&app, "/api/production", &app.admin, &body, "create-1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = post_key(&app, "/api/production", &app.admin, &body, "create-1").await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replay"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let mut other = body.clone();
    other["units_produced"] = json!(6);
    let res = post_key(&app, "/api/production", &app.admin, &other, "create-1").await;
    expect_code(
        res,
        StatusCode::CONFLICT,
        "idempotency_conflict",
        "other body",
    )
    .await;
    // Keys are per user: another user may use the same key.
    let leader = app
        .user_token("leader1", "LEADER_DATACONFIG", &["AAA-1"])
        .await;
    let mut theirs = body.clone();
    theirs["operation_id"] = json!("L");
    let res = post_key(&app, "/api/production", &leader, &theirs, "create-1").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = post_key(&app, "/api/production", &app.admin, &body, &"k".repeat(201)).await;
    expect_code(
        res,
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
        "long key",
    )
    .await;
    assert_eq!(production(&app, "AAA-1").await.len(), 2);

    // Batch.
    let batch = json!({"client_id": "AAA-1", "entries": [{"work_order_id": wo, "shift_date": "2025-12-16", "shift_type": "SHIFT_1ST", "units_produced": 1}]});
    let a: Value = post_key(&app, "/api/production/batch", &app.admin, &batch, "batch-1")
        .await
        .json()
        .await
        .unwrap();
    let res = post_key(&app, "/api/production/batch", &app.admin, &batch, "batch-1").await;
    assert_eq!(res.headers()["idempotent-replay"], "true");
    assert_eq!(res.json::<Value>().await.unwrap(), a);
    // Without a key the natural key still refuses the re-sent entry.
    let res = app
        .post("/api/production/batch", Some(&app.admin), &batch)
        .await;
    expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rows_invalid",
        "resent",
    )
    .await;

    // CSV: the boundary differs, the parts do not → replay; another client_id part → conflict.
    let file = format!("{HEADER}\n,{wo},2025-12-17,SHIFT_1ST,,1,,,\n");
    let mut up = Upload::new("/api/production/csv-upload", &app.admin, file.as_bytes());
    up.client = Some("AAA-1");
    up.key = Some("csv-1");
    let a = json_of(up.send(&app).await, StatusCode::CREATED, "csv").await;
    up.boundary = "another-boundary-xyz";
    let res = up.send(&app).await;
    assert_eq!(res.headers()["idempotent-replay"], "true");
    assert_eq!(res.json::<Value>().await.unwrap(), a);
    let line_b = line(&app, "BBB-1").await;
    let _ = line_b;
    up.client = Some("BBB-1");
    expect_code(
        up.send(&app).await,
        StatusCode::CONFLICT,
        "idempotency_conflict",
        "csv client",
    )
    .await;

    // Confirm.
    let one = json!({"client_id": "AAA-1", "entries": [{"work_order_id": wo, "shift_date": "2025-12-18", "shift_type": "SHIFT_1ST", "units_produced": 1}]});
    let p: Value = app
        .post("/api/production/batch/preview", Some(&app.admin), &one)
        .await
        .json()
        .await
        .unwrap();
    let confirm = format!("/api/imports/{}/confirm", p["token"].as_str().unwrap());
    let a = json_of(
        post_key(&app, &confirm, &app.admin, &json!({}), "confirm-1").await,
        StatusCode::CREATED,
        "confirm",
    )
    .await;
    let res = post_key(&app, &confirm, &app.admin, &json!({}), "confirm-1").await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "a replay, not import_token_used"
    );
    assert_eq!(res.json::<Value>().await.unwrap(), a);
    assert_eq!(production(&app, "AAA-1").await.len(), 5);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM import_log WHERE status = 'COMMITTED'"
        ),
        3
    );
}

#[actix_web::test]
async fn operators_create_only_through_the_read_back_and_csv_can_be_disabled() {
    let app = spawn_bare(&[("ENABLE_CSV_UPLOAD", "false")]).await;
    let res = app.post("/api/auth/register", None, &json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let app = TestApp {
        admin: app.login("admin", ADMIN_PASSWORD).await,
        ..app
    };
    let wo = line(&app, "AAA-1").await;
    let operator = app
        .user_token("operator1", "OPERATOR_DATAENTRY", &["AAA-1"])
        .await;
    let entry = json!({"client_id": "AAA-1", "work_order_id": wo, "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST", "units_produced": 5});
    let res = app.post("/api/production", Some(&operator), &entry).await;
    expect_code(res, StatusCode::FORBIDDEN, "readback_required", "create").await;
    let res = post_key(&app, "/api/production", &operator, &entry, "k1").await;
    expect_code(
        res,
        StatusCode::FORBIDDEN,
        "readback_required",
        "create with key",
    )
    .await;
    let res = app
        .post(
            "/api/production/batch",
            Some(&operator),
            &json!({"entries": [entry]}),
        )
        .await;
    expect_code(res, StatusCode::FORBIDDEN, "readback_required", "batch").await;
    let p = json_of(
        app.post(
            "/api/production/batch/preview",
            Some(&operator),
            &json!({"entries": [entry]}),
        )
        .await,
        StatusCode::OK,
        "preview",
    )
    .await;
    let res = app
        .post(
            &format!("/api/imports/{}/confirm", p["token"].as_str().unwrap()),
            Some(&operator),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let file = format!("{HEADER}\n");
    for path in [
        "/api/production/csv-upload",
        "/api/production/csv-upload/preview",
    ] {
        let res = Upload::new(path, &app.admin, file.as_bytes())
            .send(&app)
            .await;
        expect_code(res, StatusCode::CONFLICT, "feature_disabled", path).await;
    }
}

#[actix_web::test]
async fn openapi_documents_the_ingest_routes() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    for p in [
        "/api/production/batch",
        "/api/production/batch/preview",
        "/api/production/csv-upload",
        "/api/production/csv-upload/preview",
        "/api/imports/{token}/confirm",
    ] {
        assert!(doc["paths"][p]["post"].is_object(), "{p}");
    }
    assert!(doc["paths"]["/api/imports"]["get"].is_object());
    // GET on a POST-only static route is 405, not a record lookup.
    let res = app.get("/api/imports/rb_x/confirm", Some(&app.admin)).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

fn shipped(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[actix_web::test]
async fn shipped_sample_files_import_cleanly() {
    let app = spawn_app().await;
    // examples/csv: valid for the demo's clients, in dependency order.
    app.create_client("BOOT-LINE-A").await;
    for res in [
        "products",
        "work-orders",
        "jobs",
        "part-opportunities",
        "employees",
        "floating-pool",
        "production",
        "downtime",
        "quality",
        "defects",
        "attendance",
        "coverage",
        "holds",
    ] {
        let file = shipped(&format!("examples/csv/{res}.csv"));
        let path = format!("/api/{res}/csv-upload");
        let body = json_of(
            Upload::new(&path, &app.admin, &file).send(&app).await,
            StatusCode::CREATED,
            res,
        )
        .await;
        assert_eq!(body["rejected"], 0, "{res}: {body}");
        assert_eq!(body["file_warnings"], json!([]), "{res}: {body}");
    }
    // The deployment guide's walkthrough: production alone names unknown work orders.
    app.create_client("TEST_A").await;
    let production = shipped("database/sample_production_data.csv");
    let res = Upload::new("/api/production/csv-upload", &app.admin, &production)
        .send(&app)
        .await;
    let body = expect_code(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "rows_invalid",
        "production first",
    )
    .await;
    let first = &body["error"]["details"][0];
    assert_eq!(first["code"], "unknown_reference", "{body}");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .starts_with("Unknown work order"),
        "{body}"
    );
    let orders = shipped("database/sample_work_orders.csv");
    let res = Upload::new("/api/work-orders/csv-upload", &app.admin, &orders)
        .send(&app)
        .await;
    assert_eq!(
        json_of(res, StatusCode::CREATED, "work orders").await["inserted"],
        2
    );
    let res = Upload::new("/api/production/csv-upload", &app.admin, &production)
        .send(&app)
        .await;
    assert_eq!(
        json_of(res, StatusCode::CREATED, "production").await["inserted"],
        4
    );
}

mod crash {
    //! SIGKILL of the real binary while a large import commits: after a restart the import
    //! is either whole (with its log row) or absent.
    use crate::helpers::ADMIN_PASSWORD;
    use reqwest::{Client, StatusCode};
    use serde_json::{Value, json};
    use std::process::Command;
    use std::time::{Duration, Instant};

    use crate::crash::start_server as start;

    fn file(tag: &str, rows: usize) -> Vec<u8> {
        let mut f = String::from(
            "client_id,work_order_id,shift_date,shift_type,operation_id,units_produced\n",
        );
        for i in 0..rows {
            f.push_str(&format!(
                "AAA-1,WO-1,2025-12-15,SHIFT_1ST,{tag}-{i},{}\n",
                i % 500
            ));
        }
        f.into_bytes()
    }

    async fn upload(
        http: &Client,
        base: &str,
        token: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Result<reqwest::Response> {
        let mut body =
            b"--bnd\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
                .to_vec();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n--bnd--\r\n");
        http.post(format!("{base}/api/production/csv-upload"))
            .bearer_auth(token)
            .header("content-type", "multipart/form-data; boundary=bnd")
            .body(body)
            .send()
            .await
    }

    async fn login(http: &Client, base: &str) -> String {
        let res = http
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[actix_web::test]
    async fn kill_during_a_large_import_leaves_it_whole_or_absent() {
        const ROWS: usize = 20_000;
        let dir = tempfile::tempdir().unwrap();
        let http = Client::new();
        let (mut child, base) = start(dir.path());
        let res = http.post(format!("{base}/api/auth/register")).json(&json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let token = login(&http, &base).await;
        for (path, body) in [
            (
                "/api/clients",
                json!({"client_id": "AAA-1", "client_name": "A"}),
            ),
            (
                "/api/work-orders",
                json!({"work_order_id": "WO-1", "client_id": "AAA-1", "planned_quantity": 10}),
            ),
        ] {
            let res = http
                .post(format!("{base}{path}"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
        }
        // A first import, timed, so the kill can land inside the second one's commit.
        let started = Instant::now();
        let res = upload(&http, &base, &token, file("first", ROWS))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let took = started.elapsed();
        let pid = child.id();
        let killer = std::thread::spawn(move || {
            std::thread::sleep(took.mul_f64(0.6).max(Duration::from_millis(20)));
            Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status()
                .unwrap();
        });
        let second = upload(&http, &base, &token, file("second", ROWS)).await;
        killer.join().unwrap();
        let _ = child.wait();
        let confirmed = matches!(&second, Ok(r) if r.status() == StatusCode::CREATED);

        let (mut child, base) = start(dir.path());
        let token = login(&http, &base).await;
        let log: Value = http
            .get(format!("{base}/api/imports"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        child.kill().unwrap();
        let _ = child.wait();
        let conn = rusqlite::Connection::open(dir.path().join("kpi.db")).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let rows = |tag: &str| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM production_entries WHERE operation_id LIKE ?1",
                [format!("{tag}-%")],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(rows("first"), ROWS as i64);
        let second_rows = rows("second");
        assert!(
            second_rows == 0 || second_rows == ROWS as i64,
            "partial import: {second_rows} rows"
        );
        if confirmed {
            assert_eq!(second_rows, ROWS as i64, "a confirmed import is never lost");
        }
        // Every stored row belongs to a logged import with the same count.
        let logged = log["items"].as_array().unwrap().len() as i64;
        assert_eq!(logged, 1 + (second_rows > 0) as i64, "{log}");
        let orphans: i64 = conn
            .query_row(
                "SELECT count(*) FROM production_entries p WHERE NOT EXISTS (SELECT 1 FROM import_log l WHERE l.import_id = p.import_id)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(orphans, 0);
    }
}

/// A conflict tied to one row (a second open hold on the same work order) is that row's error;
/// the other rows of the batch still commit.
#[actix_web::test]
async fn a_row_conflict_is_a_row_error_not_a_failed_import() {
    let app = spawn_app().await;
    app.create_client("HB-1").await;
    app.master_data("HB-1", "HB-WO", Some(0.5), None).await;
    let hold = serde_json::json!({"client_id": "HB-1", "work_order_id": "HB-WO", "hold_status": "ON_HOLD",
                                  "hold_date": "2025-12-01", "hold_reason": "QUALITY_ISSUE", "hold_reason_detail": "stitching"});
    let body = serde_json::json!({"entries": [hold.clone(), hold]});
    let res = app.post("/api/holds/batch", Some(&app.admin), &body).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let out: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (out["inserted"].as_i64(), out["rejected"].as_i64()),
        (Some(1), Some(1)),
        "{out}"
    );
    assert_eq!(out["errors"][0]["code"], "hold_already_open", "{out}");
}

#[actix_web::test]
async fn clients_and_users_creates_honour_idempotency_key() {
    let app = spawn_app().await;
    let client = json!({"client_id": "IDEM-1", "client_name": "Keyed"});
    let first = post_key(&app, "/api/clients", &app.admin, &client, "client-key-1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = post_key(&app, "/api/clients", &app.admin, &client, "client-key-1").await;
    assert_eq!(
        again.status(),
        StatusCode::CREATED,
        "a replay, not duplicate_id"
    );
    assert_eq!(again.headers()["idempotent-replay"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let other = json!({"client_id": "IDEM-2", "client_name": "Other"});
    let conflict = post_key(&app, "/api/clients", &app.admin, &other, "client-key-1").await;
    expect_code(
        conflict,
        StatusCode::CONFLICT,
        "idempotency_conflict",
        "reused key",
    )
    .await;
    // Without a key, the same body is a duplicate.
    let plain = app.post("/api/clients", Some(&app.admin), &client).await;
    expect_code(plain, StatusCode::CONFLICT, "duplicate_id", "no key").await;

    let user = json!({"username": "keyed-user", "password": "keyed-password-1", "email": "k@example.com", "role": "LEADER_DATACONFIG", "client_ids": ["IDEM-1"]});
    let first = post_key(&app, "/api/users", &app.admin, &user, "user-key-1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    assert!(first.get("password_hash").is_none(), "{first}");
    let again = post_key(&app, "/api/users", &app.admin, &user, "user-key-1").await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replay"], "true");
    assert_eq!(
        again.json::<Value>().await.unwrap()["user_id"],
        first["user_id"]
    );
    let users: Value = app
        .get("/api/users", Some(&app.admin))
        .await
        .json()
        .await
        .unwrap();
    let named = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["username"] == "keyed-user")
        .count();
    assert_eq!(named, 1, "written once");
    // The role rule comes first: a LEADER's keyed create is 403, not a replay.
    let leader = app
        .user_token("leader-idem", "LEADER_DATACONFIG", &["IDEM-1"])
        .await;
    let res = post_key(&app, "/api/users", &leader, &user, "user-key-1").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
