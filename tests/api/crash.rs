//! Crash safety: the real binary is killed with SIGKILL in the middle of concurrent writes;
//! after a restart every write that was confirmed (201) is there and the file is intact.
use crate::helpers::{ADMIN_PASSWORD, JWT_SECRET};
use futures_util::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Starts `kpi-ops serve` on a free port; returns the child and its base URL.
pub(crate) fn start_server(dir: &Path) -> (Child, String) {
    start_server_with(dir, &[])
}

/// Like `start_server`, with extra environment variables (e.g. SMTP_*).
pub(crate) fn start_server_with(dir: &Path, extra: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kpi-ops"))
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("DATABASE_URL", "sqlite:///kpi.db")
        .env("API_PORT", "0")
        .env("JWT_SECRET", JWT_SECRET)
        .env(
            "KPI_SCRIPTS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/kpi-scripts"),
        )
        .env("LOG_LEVEL", "warn")
        .envs(extra.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kpi-ops");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let port = loop {
        let line = lines.next().expect("server printed its port").unwrap();
        if let Some(rest) = line.split("listening on port ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .parse::<u16>()
                .unwrap();
        }
    };
    std::thread::spawn(move || lines.for_each(drop)); // keep draining stdout
    (child, format!("http://127.0.0.1:{port}"))
}

async fn login(http: &Client, base: &str) -> String {
    let res = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn kill_during_writes_loses_no_confirmed_write() {
    let dir = tempfile::tempdir().unwrap();
    let http = Client::new();
    let (mut child, base) = start_server(dir.path());
    let res = http.post(format!("{base}/api/auth/register")).json(&json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = login(&http, &base).await;
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    assert_eq!(
        post(
            "/api/clients",
            json!({"client_id": "AAA-1", "client_name": "A"})
        )
        .await
        .unwrap()
        .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        post(
            "/api/work-orders",
            json!({"work_order_id": "WO-1", "client_id": "AAA-1", "planned_quantity": 10})
        )
        .await
        .unwrap()
        .status(),
        StatusCode::CREATED
    );

    let confirmed = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let pid = child.id();
    let killer_count = count.clone();
    let killer = std::thread::spawn(move || {
        while killer_count.load(Ordering::SeqCst) < 150 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        // SIGKILL while writes are in flight.
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
    });
    let requests = futures_util::stream::iter(0..2000).map(|i| {
        let body = json!({"client_id": "AAA-1", "work_order_id": "WO-1", "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST",
                          "operation_id": format!("OP-{i}"), "units_produced": i});
        let req = http.post(format!("{base}/api/production")).bearer_auth(&token).json(&body).send();
        let confirmed = confirmed.clone();
        let count = count.clone();
        async move {
            if let Ok(res) = req.await
                && res.status() == StatusCode::CREATED
                && let Ok(body) = res.json::<Value>().await
            {
                confirmed.lock().unwrap().push(body["production_entry_id"].as_str().unwrap().to_owned());
                count.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    requests.buffer_unordered(16).collect::<Vec<()>>().await;
    killer.join().unwrap();
    let _ = child.wait();
    let confirmed = confirmed.lock().unwrap().clone();
    assert!(
        confirmed.len() >= 150,
        "writes were confirmed before the kill: {}",
        confirmed.len()
    );
    assert!(confirmed.len() < 2000, "the kill interrupted the run");

    let (mut child, base) = start_server(dir.path());
    let token = login(&http, &base).await;
    let mut stored = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/production?client_id=AAA-1&limit=1000");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = http
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            stored.insert(item["production_entry_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let lost: Vec<&String> = confirmed
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(lost.is_empty(), "confirmed writes lost: {lost:?}");
    child.kill().unwrap();
    let _ = child.wait();
    let conn = rusqlite::Connection::open(dir.path().join("kpi.db")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let audit: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit_log WHERE entity = 'PRODUCTION_ENTRY'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM production_entries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        audit, rows,
        "each row and its audit record commit together or not at all"
    );
}
