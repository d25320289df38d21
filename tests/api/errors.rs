//! The one error body for every failure, health, metrics and the OpenAPI document.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[actix_web::test]
async fn framework_failures_use_the_error_body() {
    let app = spawn_app().await;
    let (s, code) = error_code(app.get("/api/does-not-exist", Some(&app.admin)).await).await;
    assert_eq!((s, code.as_str()), (StatusCode::NOT_FOUND, "not_found"));
    let (s, code) = error_code(app.delete("/api/auth/login", None).await).await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    let res = app
        .http
        .post(app.url("/api/clients"))
        .bearer_auth(&app.admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(res).await,
        (StatusCode::BAD_REQUEST, "malformed_request".into())
    );
    let res = app
        .http
        .post(app.url("/api/clients"))
        .bearer_auth(&app.admin)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(res).await,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type".into()
        )
    );
    let res = app
        .http
        .post(app.url("/api/clients"))
        .bearer_auth(&app.admin)
        .json(&json!([1, 2]))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await.0, StatusCode::BAD_REQUEST);
    let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
    let res = app
        .http
        .post(app.url("/api/clients"))
        .bearer_auth(&app.admin)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await.0, StatusCode::BAD_REQUEST);
    let res = app.get("/api/production?limit=abc", Some(&app.admin)).await;
    assert_eq!(error_code(res).await.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn oversized_body_is_413_json() {
    let app = spawn_bare(&[("MAX_UPLOAD_SIZE", "1KB")]).await;
    let big = json!({"username": "admin", "password": "x".repeat(200_000)});
    let res = app.post("/api/auth/login", None, &big).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
}

#[actix_web::test]
async fn request_id_is_echoed_and_in_error_bodies() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/api/nope"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], "abc-123");
    let res = app
        .http
        .get(app.url("/api/nope"))
        .header("x-request-id", "x".repeat(200))
        .send()
        .await
        .unwrap();
    assert_ne!(
        res.headers()["x-request-id"].to_str().unwrap().len(),
        200,
        "too long: replaced"
    );
}

#[actix_web::test]
async fn api_responses_are_not_cached_and_carry_security_headers() {
    let app = spawn_app().await;
    for res in [
        app.get("/api/clients", Some(&app.admin)).await,
        app.get("/api/clients", None).await,
    ] {
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.headers()["x-frame-options"], "SAMEORIGIN");
        assert!(res.headers().contains_key("content-security-policy"));
    }
}

#[actix_web::test]
async fn cors_allows_only_the_allow_list() {
    let app = spawn_bare(&[("ALLOWED_ORIGINS", "https://kpi.example.com")]).await;
    let pre = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/api/clients"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let ok = pre("https://kpi.example.com").await.unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://kpi.example.com"
    );
    let bad = pre("https://evil.example.net").await.unwrap();
    assert!(bad.headers().get("access-control-allow-origin").is_none());
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);
    let res = app
        .http
        .get(app.url("/health"))
        .header("origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn health_live_ready_and_metrics() {
    let app = spawn_app().await;
    let res = app.get("/health", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h: Value = res.json().await.unwrap();
    assert_eq!(h["status"], "healthy");
    assert_eq!(h["dependencies"]["database"], "connected");
    assert_eq!(h["dependencies"]["cache"], "connected");
    assert_eq!(h["dependencies"]["scripts"], "ok");
    assert_eq!(h["dependencies"]["email"], "not_configured");
    assert!(h["uptime"].is_u64() && h["version"].is_string());
    assert!(chrono::DateTime::parse_from_rfc3339(h["timestamp"].as_str().unwrap()).is_ok());
    let live: Value = app.get("/health/live", None).await.json().await.unwrap();
    assert_eq!(live["status"], "alive");
    let ready: Value = app.get("/health/ready", None).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    app.get("/api/clients/ZZZ-9", Some(&app.admin)).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains(r#"kpi_ops_http_requests_total{method="GET",route="/api/clients/{client_id}",status="404"}"#), "labelled by template");
    assert!(!metrics.contains("ZZZ-9"), "raw paths never become labels");
    assert!(metrics.contains(r#"kpi_ops_actor_mailbox_depth{actor="writer"}"#));
    assert!(metrics.contains("kpi_ops_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("kpi_ops_build_info"));
}

#[actix_web::test]
async fn health_reports_email_disabled_when_flag_off() {
    let app = spawn_bare(&[("ENABLE_EMAIL_REPORTS", "false")]).await;
    let h: Value = app.get("/health", None).await.json().await.unwrap();
    assert_eq!(h["dependencies"]["email"], "disabled");
}

/// Every documented route exists: without a token protected ones answer 401, public ones
/// answer, and nothing answers 404-no-route or 5xx.
#[actix_web::test]
async fn openapi_covers_the_routes_and_they_answer() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 24, "{}", paths.len());
    for res in ["work-orders", "products", "shifts", "production"] {
        assert!(
            paths.contains_key(&format!("/api/{res}"))
                && paths.contains_key(&format!("/api/{res}/{{id}}")),
            "{res}"
        );
    }
    for (template, ops) in paths {
        let path = template
            .replace("{client_id}", "AAA-1")
            .replace("{user_id}", "USR-999")
            .replace("{id}", "X-1");
        for (method, op) in ops.as_object().unwrap() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut req = app.http.request(m, app.url(&path));
            if method != "get" && method != "delete" {
                req = req.json(&json!({}));
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            assert!(status.as_u16() < 500, "{method} {path}: {status}");
            if op.get("security").is_some() {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} is protected"
                );
            } else {
                assert_ne!(status, StatusCode::NOT_FOUND, "{method} {path} exists");
            }
        }
    }
    let docs = app.http.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text().await.unwrap().contains("swagger"),
        "Swagger UI served from the binary"
    );
}

#[actix_web::test]
async fn browser_deep_links_get_the_web_app() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/dashboard/BOOT-LINE-A"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}
