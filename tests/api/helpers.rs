//! `spawn_app` and small request helpers shared by the API tests.
use kpi_ops::Application;
use kpi_ops::config::Config;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use tempfile::TempDir;

pub const JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
pub const ADMIN_PASSWORD: &str = "admin-password-123";

pub struct TestApp {
    pub base: String,
    pub http: Client,
    pub dir: TempDir,
    /// Token of the first ADMIN (created by `spawn_app`).
    pub admin: String,
}

pub fn test_config(dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::from([
        (
            "DATABASE_URL".into(),
            format!("sqlite:///{}", dir.join("kpi.db").display()),
        ),
        (
            "DATABASE_BACKUP_DIR".into(),
            dir.join("backups").display().to_string(),
        ),
        ("API_HOST".into(), "127.0.0.1".into()),
        ("API_PORT".into(), "0".into()),
        ("JWT_SECRET".into(), JWT_SECRET.into()),
        (
            "KPI_SCRIPTS_DIR".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/kpi-scripts").into(),
        ),
        ("LOG_LEVEL".into(), "warn".into()),
        // No first-start backup in every test server; backup tests switch it on.
        ("ENABLE_AUTO_BACKUP".into(), "false".into()),
    ]);
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    Config::from_lookup(&|k| env.get(k).cloned()).expect("test config is valid")
}

/// A running server with an empty database and no user yet.
pub async fn spawn_bare(extra: &[(&str, &str)]) -> TestApp {
    spawn_bare_with_engine(extra).await.0
}

/// `spawn_bare`, plus the server's engine, for tests that drive a job themselves (a gauge
/// refresh, the watchdog, the daily mail) instead of waiting for its interval.
pub async fn spawn_bare_with_engine(extra: &[(&str, &str)]) -> (TestApp, kpi_engine::Engine) {
    let dir = tempfile::tempdir().unwrap();
    let app = Application::build(test_config(dir.path(), extra))
        .await
        .expect("app builds");
    let engine = app.engine().clone();
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    let app = TestApp {
        base: format!("http://127.0.0.1:{port}"),
        http: Client::new(),
        dir,
        admin: String::new(),
    };
    (app, engine)
}

/// `spawn_app` (one logged-in ADMIN), plus the server's engine.
pub async fn spawn_app_with_engine(extra: &[(&str, &str)]) -> (TestApp, kpi_engine::Engine) {
    let (mut app, engine) = spawn_bare_with_engine(extra).await;
    app.register_admin().await;
    (app, engine)
}

/// A running server with one ADMIN (`admin` / ADMIN_PASSWORD), logged in.
pub async fn spawn_app() -> TestApp {
    let mut app = spawn_bare(&[]).await;
    app.register_admin().await;
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut r = self.http.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut r = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut r = self.http.patch(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut r = self.http.put(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut r = self.http.delete(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let res = self
            .post(
                "/api/auth/login",
                None,
                &json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "login {username}");
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// First-run registration of the ADMIN (`admin` / ADMIN_PASSWORD), then its login.
    pub async fn register_admin(&mut self) {
        let res = self.post("/api/auth/register", None, &json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "admin@example.com", "role": "ADMIN"})).await;
        assert_eq!(res.status(), StatusCode::CREATED, "first-run register");
        self.admin = self.login("admin", ADMIN_PASSWORD).await;
    }

    pub async fn create_client(&self, id: &str) -> Value {
        let res = self
            .post(
                "/api/clients",
                Some(&self.admin),
                &json!({"client_id": id, "client_name": format!("Client {id}")}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create client {id}");
        res.json().await.unwrap()
    }

    /// Creates a user with `role` assigned to `clients` and returns its token.
    pub async fn user_token(&self, username: &str, role: &str, clients: &[&str]) -> String {
        let password = format!("{username}-password-1");
        let body = json!({"username": username, "password": password, "email": format!("{username}@example.com"), "role": role, "client_ids": clients});
        let res = self.post("/api/users", Some(&self.admin), &body).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "create user {username}: {}",
            res.text().await.unwrap_or_default()
        );
        self.login(username, &password).await
    }

    /// Product + work order for a client, created by the ADMIN.
    pub async fn master_data(
        &self,
        client: &str,
        wo: &str,
        labour: Option<f64>,
        line: Option<f64>,
    ) {
        let product = format!("{wo}-P");
        let res = self
            .post("/api/products", Some(&self.admin), &json!({"product_id": product, "client_id": client, "style_model": "ROPER", "standard_labor_hours_per_unit": labour, "ideal_cycle_time_line": line}))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "product: {}",
            res.text().await.unwrap_or_default()
        );
        let res = self
            .post("/api/work-orders", Some(&self.admin), &json!({"work_order_id": wo, "client_id": client, "product_id": product, "style_model": "ROPER", "planned_quantity": 1000}))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "work order: {}",
            res.text().await.unwrap_or_default()
        );
    }
}

/// Status and the error code of an error body.
pub async fn error_code(res: Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(
        body["error"]["request_id"].is_string(),
        "error body shape: {body}"
    );
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

/// Like `spawn_app`, with extra configuration (e.g. `MAX_EMPLOYEES_PER_CLIENT`).
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let mut app = spawn_bare(extra).await;
    let res = app.post("/api/auth/register", None, &json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "admin@example.com", "role": "ADMIN"})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "first-run register");
    app.admin = app.login("admin", ADMIN_PASSWORD).await;
    app
}

/// The body of a response with the expected status (the body is shown when it differs).
pub async fn expect_status(res: Response, status: StatusCode, what: &str) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{what}: {body}");
    body
}

/// Today in the default client time zone (America/Mexico_City): "today" of a KPI window and
/// the end of a day for effective dating are the client's, not UTC's.
pub fn client_today() -> chrono::NaiveDate {
    kpi_engine::domain::tz::today_in("America/Mexico_City")
}
