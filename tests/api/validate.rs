//! `kpi-ops validate` against the real server: a PASS report for a fresh installation, and a
//! non-zero exit when a check fails (wrong password, a route that breaks the auth contract).
use crate::helpers::{ADMIN_PASSWORD, TestApp, spawn_app};
use std::process::{Command, Output};

/// Runs the binary (blocking, so on a blocking thread: the server shares this runtime).
async fn validate(app: &TestApp, password: &str, suites: &[&str]) -> (Output, String) {
    let dir = app.dir.path().to_owned();
    std::fs::write(dir.join("validate-password"), password).unwrap();
    let mut args = vec![
        "validate".to_owned(),
        "--url".into(),
        app.base.clone(),
        "--username".into(),
        "admin".into(),
        "--password-file".into(),
        dir.join("validate-password").display().to_string(),
        "--database".into(),
        dir.join("kpi.db").display().to_string(),
    ];
    for s in suites {
        args.extend(["--suite".to_owned(), (*s).to_owned()]);
    }
    let out = actix_web::rt::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_kpi-ops"))
            .args(&args)
            .current_dir(&dir)
            .env_clear()
            .env("DATABASE_URL", "sqlite:///kpi.db")
            .output()
            .expect("run kpi-ops validate")
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, text)
}

#[actix_web::test]
async fn a_fresh_installation_passes_schema_api_and_security() {
    let app = spawn_app().await;
    app.create_client("LINE-A").await;
    let (out, report) = validate(&app, ADMIN_PASSWORD, &["schema", "api", "security"]).await;
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!report.contains("FAIL"), "{report}");
    for line in [
        "PASS  schema       PRODUCTION_ENTRY: table production_entries, all 30 fields",
        "PASS  api          GET /api/users without token: 401 (expected 401)",
        "PASS  api          GET /api/clients/LINE-A/kpis with token: 200",
        "PASS  api          DELETE /api/clients/VALIDATE-MISSING-0 with token: 404",
        "PASS  security     default credentials admin/admin refused: HTTP 401",
        "PASS  security     GET /health: x-frame-options: SAMEORIGIN",
        "PASS  security     forged token (alg none) refused: HTTP 401",
        "SKIP  security     HTTP to HTTPS redirect: the URL is http",
    ] {
        assert!(report.contains(line), "missing {line:?} in\n{report}");
    }
    assert!(report.contains("RESULT: PASS"), "{report}");
    // Nothing was written: the only client is still the one created above.
    let res = app.get("/api/clients", Some(&app.admin)).await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
}

#[actix_web::test]
async fn the_performance_suite_reports_p95_per_request() {
    let app = spawn_app().await;
    let (_, report) = validate(&app, ADMIN_PASSWORD, &["performance"]).await;
    // Timings are not asserted (tests never assert on elapsed time): only that each is measured.
    for what in [
        "GET /health: p95 ",
        "GET /api/kpis/overview: p95 ",
        "all sampled GETs: p95 ",
        "POST /api/kpi-scripts/efficiency/check (lint, writes nothing): p95 ",
    ] {
        assert!(report.contains(what), "missing {what:?} in\n{report}");
    }
}

#[actix_web::test]
async fn a_wrong_password_fails_with_exit_1() {
    let app = spawn_app().await;
    let (out, report) = validate(&app, "not-the-password", &["api"]).await;
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("FAIL  api          log in as admin: HTTP 401"),
        "{report}"
    );
    assert!(report.contains("RESULT: FAIL"), "{report}");
}

#[actix_web::test]
async fn a_server_without_security_headers_or_auth_fails() {
    // Answers 200 `{}` to everything: no headers, no 401, no OpenAPI paths.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().default_service(actix_web::web::to(|| async {
            actix_web::HttpResponse::Ok().json(serde_json::json!({}))
        }))
    })
    .listen(listener)
    .unwrap()
    .workers(1)
    .run();
    actix_web::rt::spawn(server);
    let mut app = spawn_app().await;
    app.base = format!("http://127.0.0.1:{port}");
    let (out, report) = validate(&app, ADMIN_PASSWORD, &["api", "security"]).await;
    assert_eq!(out.status.code(), Some(1), "{report}");
    for line in [
        "FAIL  security     default credentials admin/admin refused: HTTP 200",
        "FAIL  security     GET /health: x-frame-options: absent",
        "FAIL  security     forged token (alg none) refused: HTTP 200 (expected 401)",
        "FAIL  api          GET /api/openapi.json: no `paths` object",
    ] {
        assert!(report.contains(line), "missing {line:?} in\n{report}");
    }
}

#[actix_web::test]
async fn a_missing_database_fails_the_schema_suite() {
    let mut app = spawn_app().await;
    // The helper points --database at <dir>/kpi.db: an empty folder has none.
    let _server_dir = std::mem::replace(&mut app.dir, tempfile::tempdir().unwrap());
    let (out, report) = validate(&app, ADMIN_PASSWORD, &["schema"]).await;
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(report.contains("FAIL  schema       database "), "{report}");
}
