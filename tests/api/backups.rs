//! Backups: POST/GET /api/admin/backups (roles), /health and /metrics after a backup, the
//! first-start backup, and the CLI: backup while the server runs, restore refused while it
//! runs, restore round trip with the same data, corrupt copies refused.
use crate::crash::start_server;
use crate::helpers::{
    ADMIN_PASSWORD, TestApp, error_code, expect_status, spawn_app, spawn_app_with,
};
use reqwest::StatusCode;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Polls the list until `pred` holds for some item (deadline 30 s).
async fn wait_for_backup(app: &TestApp, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body = expect_status(
            app.get("/api/admin/backups", Some(&app.admin)).await,
            StatusCode::OK,
            "list backups",
        )
        .await;
        if let Some(item) = body["items"].as_array().unwrap().iter().find(|i| pred(i)) {
            return item.clone();
        }
        assert!(Instant::now() < deadline, "no such backup in time: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name}"))
}

#[actix_web::test]
async fn post_backups_is_admin_only_and_the_list_shows_the_verified_manifest() {
    let app = spawn_app().await;
    app.create_client("C-1").await;
    let power = app.user_token("power", "POWERUSER", &[]).await;
    let leader = app
        .user_token("leader", "LEADER_DATACONFIG", &["C-1"])
        .await;
    let operator = app
        .user_token("operator", "OPERATOR_DATAENTRY", &["C-1"])
        .await;
    for token in [&power, &leader, &operator] {
        let (status, code) = error_code(
            app.post("/api/admin/backups", Some(token), &json!({}))
                .await,
        )
        .await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
        let (status, _) = error_code(app.get("/api/admin/backups", Some(token)).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = error_code(app.post("/api/admin/backups", None, &json!({})).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = error_code(app.get("/api/admin/backups", None).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let started = expect_status(
        app.post("/api/admin/backups", Some(&app.admin), &json!({}))
            .await,
        StatusCode::ACCEPTED,
        "ADMIN starts a backup",
    )
    .await;
    assert_eq!(started["status"], "running");
    let id = started["backup_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("BKP-"), "{id}");
    let item = wait_for_backup(&app, |i| {
        i["backup_id"] == id.as_str() && i["status"] != "running"
    })
    .await;
    assert_eq!(item["status"], "verified", "{item}");
    assert_eq!(item["trigger"], "api");
    assert_eq!(item["integrity"], "ok");
    assert_eq!(item["restore_test"], "ok");
    assert_eq!(item["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(item["row_counts"]["clients"], 1);
    assert_eq!(item["row_counts"]["users"], 4);
    assert!(item["size_bytes"].as_u64().unwrap() > 0);
    // The deployment guide's layout: backup_YYYYMMDD_HHMMSS/<database file name>.
    let dir = PathBuf::from(item["path"].as_str().unwrap());
    assert!(
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("backup_")
    );
    assert!(dir.join("kpi.db").is_file());
    assert!(dir.join("manifest.json").is_file());
    assert!(
        !dir.join("kpi.db-wal").exists(),
        "the copy is one self-contained file"
    );
    // An unknown method on the documented path is a 405.
    let res = app.delete("/api/admin/backups", Some(&app.admin)).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn health_and_metrics_show_the_newest_backup() {
    let app = spawn_app().await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert_eq!(metric(&metrics, "kpi_ops_backup_age_seconds"), -1.0);
    let health: Value = app.get("/health", None).await.json().await.unwrap();
    assert_eq!(
        health["backup"]["last_verified_at"],
        Value::Null,
        "{health}"
    );
    assert_eq!(health["dependencies"]["backup"], "disabled"); // ENABLE_AUTO_BACKUP=false

    let started = expect_status(
        app.post("/api/admin/backups", Some(&app.admin), &json!({}))
            .await,
        StatusCode::ACCEPTED,
        "backup",
    )
    .await;
    let id = started["backup_id"].as_str().unwrap().to_owned();
    let item = wait_for_backup(&app, |i| {
        i["backup_id"] == id.as_str() && i["status"] == "verified"
    })
    .await;
    let size = item["size_bytes"].as_u64().unwrap();

    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    let age = metric(&metrics, "kpi_ops_backup_age_seconds");
    assert!((0.0..3600.0).contains(&age), "age {age}");
    assert_eq!(metric(&metrics, "kpi_ops_backup_size_bytes"), size as f64);
    assert_eq!(
        metric(&metrics, "kpi_ops_backup_runs_total{outcome=\"verified\"}"),
        1.0
    );
    assert!(metrics.contains("kpi_ops_actor_mailbox_depth{actor=\"backup\"}"));
    assert!(metrics.contains("kpi_ops_actor_mailbox_depth{actor=\"scheduler\"}"));

    let health: Value = app.get("/health", None).await.json().await.unwrap();
    assert_eq!(
        health["backup"]["size_bytes"].as_u64(),
        Some(size),
        "{health}"
    );
    assert!(health["backup"]["age_seconds"].as_i64().unwrap() >= 0);
    assert_eq!(health["backup"]["last_verified_at"], item["created_at"]);
    // Every field of the deployment guide's shape is still there.
    for field in ["status", "timestamp", "uptime", "version"] {
        assert!(!health[field].is_null(), "{field}: {health}");
    }
    for dep in ["database", "cache", "email", "backup", "scripts"] {
        assert!(health["dependencies"][dep].is_string(), "{dep}: {health}");
    }
}

#[actix_web::test]
async fn the_first_start_takes_a_verified_backup_when_auto_backup_is_on() {
    let app = spawn_app_with(&[("ENABLE_AUTO_BACKUP", "true")]).await;
    let item = wait_for_backup(&app, |i| {
        i["trigger"] == "schedule" && i["status"] == "verified"
    })
    .await;
    assert_eq!(item["integrity"], "ok");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let health: Value = app.get("/health", None).await.json().await.unwrap();
        if health["dependencies"]["backup"] == "ok" {
            assert_eq!(health["status"], "healthy", "{health}");
            break;
        }
        assert!(Instant::now() < deadline, "{health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// CLI

fn kpi_ops(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpi-ops"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("DATABASE_URL", "sqlite:///kpi.db")
        .env("LOG_LEVEL", "warn")
        .output()
        .expect("run kpi-ops")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: &Output, fragment: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains(fragment),
        "expected {fragment:?} in: {stderr}"
    );
}

fn read_only(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn counts(conn: &Connection) -> Vec<(String, i64)> {
    strings(
        conn,
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .into_iter()
    .map(|t| {
        let n = conn
            .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
            .unwrap();
        (t, n)
    })
    .collect()
}

fn sha(path: &Path) -> String {
    kpi_engine::backup::verify::sha256_file(path).unwrap()
}

/// The folder path printed by `kpi-ops backup`.
fn backup(dir: &Path) -> PathBuf {
    PathBuf::from(ok(&kpi_ops(dir, &["backup"])).trim())
}

#[actix_web::test]
async fn cli_backup_while_serving_then_restore_round_trips_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let (mut child, base) = start_server(dir.path());
    let res = http.post(format!("{base}/api/auth/register")).json(&json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let login: Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let client = |id: &str| {
        http.post(format!("{base}/api/clients"))
            .bearer_auth(&token)
            .json(&json!({"client_id": id, "client_name": format!("Client {id}")}))
            .send()
    };
    for id in ["RT-1", "RT-2"] {
        assert_eq!(client(id).await.unwrap().status(), StatusCode::CREATED);
    }

    // Backup while the server runs (read-only online copy).
    let folder = backup(dir.path());
    let copy = folder.join("kpi.db");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["status"], "verified");
    assert_eq!(manifest["trigger"], "cli");
    let backed_up = counts(&read_only(&copy));
    let clients_then = strings(
        &read_only(&copy),
        "SELECT client_id FROM clients ORDER BY 1",
    );
    assert_eq!(clients_then, ["RT-1", "RT-2"]);
    let users_then = strings(
        &read_only(&copy),
        "SELECT username || ':' || role FROM users ORDER BY 1",
    );
    for (table, n) in &backed_up {
        assert_eq!(manifest["row_counts"][table].as_i64(), Some(*n), "{table}");
    }

    // A change after the backup, then restore while the server still runs: refused.
    assert_eq!(client("RT-3").await.unwrap().status(), StatusCode::CREATED);
    refused(
        &kpi_ops(dir.path(), &["restore", folder.to_str().unwrap()]),
        "service is running",
    );
    let list: Value = http
        .get(format!("{base}/api/clients"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(3),
        "untouched: {list}"
    );

    // Stop the server hard (its -wal stays behind) and restore.
    child.kill().unwrap();
    child.wait().unwrap();
    let out = ok(&kpi_ops(dir.path(), &["restore", folder.to_str().unwrap()]));
    assert!(out.contains("previous database moved to"), "{out}");
    let db = dir.path().join("kpi.db");
    let restored = read_only(&db);
    assert_eq!(counts(&restored), backed_up);
    assert_eq!(
        strings(&restored, "SELECT client_id FROM clients ORDER BY 1"),
        clients_then
    );
    assert_eq!(
        strings(
            &restored,
            "SELECT username || ':' || role FROM users ORDER BY 1"
        ),
        users_then
    );
    let ok_check: String = restored
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok_check, "ok");
    drop(restored);
    // The previous database (with its WAL) was moved aside, not lost: RT-3 is there.
    let aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("kpi.db.before-restore-") && !n.ends_with("-wal") && !n.ends_with("-shm")
        })
        .expect("the previous database moved aside");
    let before = Connection::open(&aside).unwrap();
    assert_eq!(
        strings(&before, "SELECT client_id FROM clients ORDER BY 1"),
        ["RT-1", "RT-2", "RT-3"]
    );
    drop(before);

    // The service starts on the restored database and serves the backed-up data.
    let (mut child, base) = start_server(dir.path());
    let login: Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let list: Value = http
        .get(format!("{base}/api/clients"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["RT-1", "RT-2"]);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn restore_refuses_corrupt_copies_and_leaves_the_database_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&kpi_ops(d, &["migrate"]));
    let folder = backup(d);
    let db = d.join("kpi.db");
    let original = sha(&db);
    let arg = |p: &Path| p.to_str().unwrap().to_owned();

    // 1. Scribbled bytes in a copy of the folder: the manifest's sha256 no longer matches.
    let scribbled = d.join("scribbled");
    std::fs::create_dir(&scribbled).unwrap();
    std::fs::copy(
        folder.join("manifest.json"),
        scribbled.join("manifest.json"),
    )
    .unwrap();
    let mut bytes = std::fs::read(folder.join("kpi.db")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 64].fill(0xA5);
    std::fs::write(scribbled.join("kpi.db"), &bytes).unwrap();
    refused(&kpi_ops(d, &["restore", &arg(&scribbled)]), "sha256");
    refused(
        &kpi_ops(d, &["restore", &arg(&scribbled.join("kpi.db"))]),
        "sha256",
    );

    // 2. A truncated copy on its own (no manifest to compare with): integrity fails.
    let loose = d.join("loose");
    std::fs::create_dir(&loose).unwrap();
    let good = std::fs::read(folder.join("kpi.db")).unwrap();
    std::fs::write(loose.join("half.db"), &good[..good.len() / 2]).unwrap();
    let out = kpi_ops(d, &["restore", &arg(&loose.join("half.db"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("half.db"));

    // 3. Not a database at all.
    std::fs::write(loose.join("notes.db"), b"hello, not sqlite").unwrap();
    refused(
        &kpi_ops(d, &["restore", &arg(&loose.join("notes.db"))]),
        "not an SQLite database",
    );

    // 4. Nothing there.
    refused(
        &kpi_ops(d, &["restore", &arg(&d.join("missing.db"))]),
        "does not exist",
    );

    assert_eq!(sha(&db), original, "the database is untouched");
    let moved = std::fs::read_dir(d)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains("before-restore"));
    assert!(!moved, "nothing was moved aside");
    // The good folder still restores (the server is not running).
    ok(&kpi_ops(d, &["restore", &arg(&folder)]));
}

#[test]
fn cli_backup_applies_retention_but_keeps_the_newest_verified() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&kpi_ops(d, &["migrate"]));
    let first = backup(d);
    let root = first.parent().unwrap().to_path_buf();
    // Age copies of the real backup: 40, 50, 60 days old (verified) and a 10-day-old failure.
    let make = |name: &str, days: i64, status: &str| {
        let dir = root.join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::copy(first.join("kpi.db"), dir.join("kpi.db")).unwrap();
        let mut m: Value =
            serde_json::from_str(&std::fs::read_to_string(first.join("manifest.json")).unwrap())
                .unwrap();
        let t = chrono::Utc::now() - chrono::Duration::days(days);
        m["created_at"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        m["status"] = json!(status);
        std::fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
        dir
    };
    let d40 = make("backup_20200101_000040", 40, "verified");
    let d50 = make("backup_20200101_000050", 50, "verified");
    let d60 = make("backup_20200101_000060", 60, "verified");
    let failed = make("backup_20200101_000010", 10, "failed");
    let foreign = root.join("backup_by_deploy_script");
    std::fs::create_dir(&foreign).unwrap();

    let newest = backup(d); // retention runs after this verified backup
    for kept in [&first, &newest, &d40, &foreign] {
        assert!(kept.exists(), "kept {}", kept.display());
    }
    for gone in [&d50, &d60, &failed] {
        assert!(!gone.exists(), "removed {}", gone.display());
    }
    // With BACKUP_RETENTION_DAYS the window moves; the newest verified are never removed.
    let out = Command::new(env!("CARGO_BIN_EXE_kpi-ops"))
        .arg("backup")
        .current_dir(d)
        .env_clear()
        .env("DATABASE_URL", "sqlite:///kpi.db")
        .env("BACKUP_RETENTION_DAYS", "1")
        .output()
        .unwrap();
    ok(&out);
    assert!(
        newest.exists() && first.exists(),
        "the newest three verified stay"
    );
    assert!(
        !d40.exists(),
        "older than a day and not among the newest three"
    );
}

#[test]
fn backup_logs_json_to_stderr_and_log_file_runs_the_post_hook_and_never_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&kpi_ops(d, &["migrate"]));
    let out = Command::new(env!("CARGO_BIN_EXE_kpi-ops"))
        .arg("backup")
        .current_dir(d)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", "sqlite:///kpi.db")
        .env("LOG_LEVEL", "info")
        .env("LOG_FORMAT", "json")
        .env("LOG_FILE", "logs/app.log")
        .env(
            "BACKUP_POST_HOOK",
            "echo \"$BACKUP_FILE\" > hook-secret-output.txt",
        )
        .output()
        .unwrap();
    let folder = PathBuf::from(ok(&out).trim());
    let hook = std::fs::read_to_string(d.join("hook-secret-output.txt")).unwrap();
    assert_eq!(PathBuf::from(hook.trim()), folder.join("kpi.db"));
    let file = std::fs::read_to_string(d.join("logs/app.log")).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for text in [file.as_str(), &stderr] {
        let verified = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("one JSON object per line"))
            .find(|v| v["message"] == "backup verified")
            .unwrap_or_else(|| panic!("no 'backup verified' line in {text}"));
        assert_eq!(verified["level"], "INFO");
        assert!(verified["timestamp"].is_string());
        assert!(
            !text.contains("hook-secret-output"),
            "the hook command is never logged"
        );
    }
}

#[test]
fn migrate_backs_up_an_existing_database_that_is_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    Connection::open(d.join("kpi.db"))
        .unwrap()
        .execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('kept');")
        .unwrap(); // schema version 0: behind this binary
    let out = ok(&kpi_ops(d, &["migrate"]));
    let folder = out
        .lines()
        .find_map(|l| l.strip_prefix("backup before migrating: "))
        .unwrap_or_else(|| panic!("no pre-migrate backup: {out}"));
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(folder).join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["trigger"], "pre_migrate");
    assert_eq!(m["status"], "verified");
    assert_eq!(m["row_counts"]["notes"], 1);
    // Up to date now: a second migrate takes no backup.
    assert!(!ok(&kpi_ops(d, &["migrate"])).contains("backup before migrating"));
}
