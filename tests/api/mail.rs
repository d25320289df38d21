//! Mail against a real SMTP server on loopback (aiosmtpd writing a maildir; style §3): an
//! on-demand report arrives with its PDF; an SMTP outage leaves the message PENDING with
//! attempts and a retry time, and it arrives once the server is up; a restart of our server
//! with messages pending delivers them; ENABLE_EMAIL_REPORTS=false keeps the outbox unsent and
//! refuses new ones; roles of the two routes. Every wait polls with a deadline.
use crate::crash::start_server_with;
use crate::helpers::*;
use crate::reports::client_with_a_day;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

/// A running `python3 -m aiosmtpd` delivering into `<dir>/new`; killed on drop.
struct SmtpServer {
    child: Child,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts aiosmtpd on `port`; fails with the install command when it is missing.
async fn start_smtp(port: u16, maildir: &Path) -> SmtpServer {
    let probe = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "aiosmtpd is missing: run ./scripts/ensure-tools.sh (pip install aiosmtpd)"
    );
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox", maildir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    let server = SmtpServer { child };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < DEADLINE,
            "aiosmtpd did not listen on {port}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

/// The messages delivered so far (raw RFC 5322 text).
fn delivered(maildir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect()
}

async fn wait_for_mail(maildir: &Path, n: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let mails = delivered(maildir);
        if mails.len() >= n {
            return mails;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "no mail arrived in {maildir:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

fn smtp_env(port: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", port.into()),
        ("SMTP_FROM", "KPI Operations <kpi@example.com>".into()),
        ("SMTP_TLS", "none".into()),
        ("MAIL_RETRY_BASE_SECONDS", "0.2".into()),
        ("MAIL_POLL_SECONDS", "0.1".into()),
    ]
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// GET /api/admin/outbox at `base` → the items.
async fn outbox(http: &Client, base: &str, token: &str) -> Vec<Value> {
    let res = http
        .get(format!("{base}/api/admin/outbox"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

/// Polls the outbox until `pred` holds for the message (deadline).
async fn wait_for_state(
    http: &Client,
    base: &str,
    token: &str,
    id: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let items = outbox(http, base, token).await;
        if let Some(m) = items.iter().find(|m| m["message_id"] == id)
            && pred(m)
        {
            return m.clone();
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{id} never reached the state: {items:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn queue(app: &TestApp, client: &str, body: Value) -> String {
    let res = app
        .post(
            &format!("/api/clients/{client}/reports/email"),
            Some(&app.admin),
            &body,
        )
        .await;
    let body = expect_status(res, StatusCode::ACCEPTED, "queue a report").await;
    let id = body["message_id"].as_str().unwrap().to_owned();
    assert!(
        id.starts_with("MSG-") && id.len() == "MSG-20251216-0003".len(),
        "{id}"
    );
    id
}

#[actix_web::test]
async fn on_demand_report_arrives_with_the_pdf_attached() {
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("md");
    let port = free_port();
    let _smtp = start_smtp(port, &maildir).await;
    let env = smtp_env(&port.to_string());
    let app = spawn_app_with(&pairs(&env)).await;
    let day = client_with_a_day(&app, "MAIL").await;
    let id = queue(
        &app,
        "MAIL",
        json!({"date": day.to_string(), "recipients": ["ops@example.com", "lead@example.com"]}),
    )
    .await;
    let mail = wait_for_mail(&maildir, 1).await.remove(0);
    let subject = format!(
        "Subject: Daily KPI Report - Client MAIL - {}",
        day.format("%B %d, %Y")
    );
    for needle in [
        subject.as_str(),
        "To: ops@example.com, lead@example.com",
        "From: \"KPI Operations\" <kpi@example.com>",
        &format!("Message-ID: <{id}@kpi-ops>"),
        "Content-Type: application/pdf",
        &format!("filename=\"MAIL_daily_{day}.pdf\""),
        "Content-Type: text/html",
    ] {
        assert!(
            mail.contains(needle),
            "mail lacks {needle:?}:\n{}",
            &mail[..mail.len().min(3000)]
        );
    }
    let http = Client::new();
    let m = wait_for_state(&http, &app.base, &app.admin, &id, |m| m["status"] == "SENT").await;
    assert_eq!(m["attempts"], 1);
    assert_eq!(m["kind"], "manual_report");
    assert_eq!(m["report_date"], day.to_string());
    assert!(m["sent_at"].is_string() && m["last_error"].is_null(), "{m}");
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("kpi_ops_mail_sent_total{kind=\"manual_report\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("kpi_ops_mail_outbox_messages{status=\"PENDING\"} 0"));
}

#[actix_web::test]
async fn smtp_outage_backs_off_then_the_mail_arrives() {
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("md");
    let port = free_port(); // nothing listens yet: connections are refused
    let env = smtp_env(&port.to_string());
    let app = spawn_app_with(&pairs(&env)).await;
    app.create_client("OUT").await;
    let id = queue(&app, "OUT", json!({"recipients": ["ops@example.com"]})).await;
    let http = Client::new();
    let m = wait_for_state(&http, &app.base, &app.admin, &id, |m| {
        m["attempts"].as_i64() >= Some(2) && m["status"] == "PENDING"
    })
    .await;
    assert!(m["last_error"].is_string(), "{m}");
    assert!(m["next_attempt_at"].is_string(), "{m}");
    assert!(delivered(&maildir).is_empty());
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("kpi_ops_mail_send_failures_total{kind=\"manual_report\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kpi_ops_mail_outbox_messages{status=\"PENDING\"} 1"),
        "{metrics}"
    );
    let health: Value = app.get("/health", None).await.json().await.unwrap();
    assert_eq!(health["dependencies"]["email"], "failing", "{health}");
    assert_eq!(health["status"], "degraded");

    let _smtp = start_smtp(port, &maildir).await;
    let mail = wait_for_mail(&maildir, 1).await.remove(0);
    assert!(mail.contains("Daily KPI Report - Client OUT"));
    let m = wait_for_state(&http, &app.base, &app.admin, &id, |m| m["status"] == "SENT").await;
    assert!(m["attempts"].as_i64() >= Some(3), "{m}");
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
async fn pending_mail_is_delivered_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let maildir: PathBuf = dir.path().join("md");
    let port = free_port();
    let env = smtp_env(&port.to_string());
    let http = Client::new();
    let (mut first, base) = start_server_with(dir.path(), &pairs(&env));
    let res = http.post(format!("{base}/api/auth/register")).json(&json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = login(&http, &base).await;
    let res = http
        .post(format!("{base}/api/clients"))
        .bearer_auth(&token)
        .json(&json!({"client_id": "RESTART", "client_name": "Restart line"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = http
        .post(format!("{base}/api/clients/RESTART/reports/email"))
        .bearer_auth(&token)
        .json(&json!({"recipients": ["ops@example.com"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let id = res.json::<Value>().await.unwrap()["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for_state(&http, &base, &token, &id, |m| {
        m["attempts"].as_i64() >= Some(1)
    })
    .await;
    first.kill().unwrap(); // SIGKILL: no drain, the row may even be left SENDING
    first.wait().unwrap();

    let _smtp = start_smtp(port, &maildir).await;
    let (mut second, base) = start_server_with(dir.path(), &pairs(&env));
    let mail = wait_for_mail(&maildir, 1).await.remove(0);
    assert!(mail.contains("Daily KPI Report - Restart line"), "{mail}");
    let token = login(&http, &base).await;
    let m = wait_for_state(&http, &base, &token, &id, |m| m["status"] == "SENT").await;
    assert_eq!(m["message_id"], id.as_str());
    second.kill().unwrap();
    second.wait().unwrap();
}

#[actix_web::test]
async fn disabled_email_keeps_the_outbox_and_refuses_new_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("md");
    let port = free_port();
    let _smtp = start_smtp(port, &maildir).await;
    let mut env = smtp_env(&port.to_string());
    env.push(("ENABLE_EMAIL_REPORTS", "false".into()));
    let app = spawn_app_with(&pairs(&env)).await;
    app.create_client("OFF").await;
    let (status, code) = error_code(
        app.post(
            "/api/clients/OFF/reports/email",
            Some(&app.admin),
            &json!({"recipients": ["ops@example.com"]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "feature_disabled")
    );
    // A message queued before the switch (written straight into the file, as a previous run
    // with e-mail on would have left it) stays queued.
    let db = rusqlite::Connection::open(app.dir.path().join("kpi.db")).unwrap();
    db.execute(
        "INSERT INTO mail_outbox (message_id, client_id, kind, recipients, subject, body_text, status, next_attempt_at) \
         VALUES ('MSG-20250101-0001', 'OFF', 'manual_report', '[\"ops@example.com\"]', 'queued earlier', 'x', 'PENDING', '2025-01-01T00:00:00.000Z')",
        [],
    )
    .unwrap();
    // Ten poll intervals (0.1 s each) with SMTP up: a running mailer would have sent it.
    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    assert!(delivered(&maildir).is_empty());
    let items = outbox(&app.http, &app.base, &app.admin).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "PENDING");
    assert_eq!(items[0]["attempts"], 0);
}

#[actix_web::test]
async fn mail_routes_follow_the_roles() {
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("md");
    let port = free_port();
    let _smtp = start_smtp(port, &maildir).await;
    let env = smtp_env(&port.to_string());
    let app = spawn_app_with(&pairs(&env)).await;
    app.create_client("MINE").await;
    app.create_client("OTHER").await;
    let power = app.user_token("power", "POWERUSER", &[]).await;
    let leader = app
        .user_token("leader", "LEADER_DATACONFIG", &["MINE"])
        .await;
    let operator = app
        .user_token("operator", "OPERATOR_DATAENTRY", &["MINE"])
        .await;
    let body = json!({"recipients": ["ops@example.com"]});
    let email = "/api/clients/MINE/reports/email";
    for token in [&app.admin, &power, &leader] {
        let res = app.post(email, Some(token), &body).await;
        expect_status(res, StatusCode::ACCEPTED, "email").await;
    }
    let (status, code) = error_code(app.post(email, Some(&operator), &body).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert_eq!(
        app.post(email, None, &body).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = error_code(
        app.post("/api/clients/OTHER/reports/email", Some(&leader), &body)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = error_code(
        app.post("/api/clients/NOPE/reports/email", Some(&leader), &body)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = app
        .post(
            email,
            Some(&leader),
            &json!({"recipients": ["not an address", "a@example.com\r\nBcc: x@evil.test"]}),
        )
        .await;
    let err = expect_status(res, StatusCode::UNPROCESSABLE_ENTITY, "bad recipients").await;
    let fields: Vec<&str> = err["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["recipients[0]", "recipients[1]"]);
    let res = app.post(email, Some(&leader), &json!({})).await;
    expect_status(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no recipients and no subscription",
    )
    .await;
    // A subscription supplies the recipients.
    let res = app
        .put(
            "/api/clients/MINE/settings",
            Some(&leader),
            &json!({"settings": {"report": {"recipients": ["sub@example.com"]}}}),
        )
        .await;
    expect_status(res, StatusCode::OK, "subscribe").await;
    let res = app.post(email, Some(&leader), &json!({})).await;
    expect_status(res, StatusCode::ACCEPTED, "subscription recipients").await;
    let res = app
        .put(
            "/api/clients/MINE/settings",
            Some(&leader),
            &json!({"settings": {"report": {"time": "25:00"}}}),
        )
        .await;
    expect_status(res, StatusCode::UNPROCESSABLE_ENTITY, "bad report time").await;

    let outbox_path = "/api/admin/outbox";
    let res = app
        .get(&format!("{outbox_path}?client_id=MINE"), Some(&app.admin))
        .await;
    let body = expect_status(res, StatusCode::OK, "outbox").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 4);
    for token in [&power, &leader, &operator] {
        let (status, code) = error_code(app.get(outbox_path, Some(token)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
    }
    assert_eq!(
        app.get(outbox_path, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = error_code(
        app.get(&format!("{outbox_path}?status=LOST"), Some(&app.admin))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    wait_for_mail(&maildir, 4).await;
    // Only FAILED messages can be retried.
    let id = body["items"][0]["message_id"].as_str().unwrap().to_owned();
    wait_for_state(&app.http, &app.base, &app.admin, &id, |m| {
        m["status"] == "SENT"
    })
    .await;
    let (status, code) = error_code(
        app.post(
            &format!("{outbox_path}/{id}/retry"),
            Some(&app.admin),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "message_not_failed")
    );
}

/// The daily subscription: due at `report.time` client time, queued once per (client, day)
/// whoever calls (this test and the mailer's own tick), with the PDF and the subscribed XLSX.
#[actix_web::test]
async fn daily_report_is_queued_once_per_client_and_day() {
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("md");
    let port = free_port();
    let _smtp = start_smtp(port, &maildir).await;
    let env = smtp_env(&port.to_string());
    let app = kpi_ops::Application::build(test_config(tmp.path(), &pairs(&env)))
        .await
        .unwrap();
    let engine = app.engine().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let http = Client::new();
    let res = http.post(format!("{base}/api/auth/register")).json(&json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = login(&http, &base).await;
    let res = http
        .post(format!("{base}/api/clients"))
        .bearer_auth(&token)
        .json(&json!({"client_id": "DAILY", "client_name": "Daily line", "timezone": "UTC"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Due two minutes ago (client zone UTC), so the mailer's own tick may queue it too.
    let now = chrono::Utc::now();
    let due = now - chrono::TimeDelta::minutes(2);
    let time = if due.date_naive() == now.date_naive() {
        due.format("%H:%M").to_string()
    } else {
        "00:00".into()
    };
    let settings = json!({"settings": {"report": {"enabled": true, "recipients": ["boss@example.com"], "time": time, "formats": ["pdf", "xlsx"]}}});
    let res = http
        .put(format!("{base}/api/clients/DAILY/settings"))
        .bearer_auth(&token)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let today = now.date_naive();
    let before = engine
        .enqueue_due_daily_reports(now - chrono::TimeDelta::minutes(10))
        .await
        .unwrap();
    assert!(before.is_empty(), "not subscribed yet then: {before:?}");
    let later = chrono::Utc::now() + chrono::TimeDelta::seconds(1);
    let first = engine.enqueue_due_daily_reports(later).await.unwrap();
    let again = engine
        .enqueue_due_daily_reports(later + chrono::TimeDelta::minutes(1))
        .await
        .unwrap();
    assert!(first.len() <= 1 && again.is_empty(), "{first:?} {again:?}");
    let mail = wait_for_mail(&maildir, 1).await.remove(0);
    let yesterday = today - chrono::Days::new(1);
    assert!(
        mail.contains(&format!(
            "Daily KPI Report - Daily line - {}",
            yesterday.format("%B %d, %Y")
        )),
        "{mail}"
    );
    assert!(mail.contains(&format!("DAILY_daily_{yesterday}.pdf")));
    assert!(mail.contains(&format!("DAILY_kpis_{yesterday}_{yesterday}.xlsx")));
    let items = outbox(&http, &base, &token).await;
    let daily: Vec<_> = items
        .iter()
        .filter(|m| m["kind"] == "daily_report")
        .collect();
    assert_eq!(daily.len(), 1, "{items:?}");
    assert_eq!(daily[0]["report_date"], yesterday.to_string());
    assert_eq!(daily[0]["attachments"], 2);
    assert_eq!(daily[0]["recipients"], json!(["boss@example.com"]));
}

/// After MAIL_MAX_ATTEMPTS failed attempts a message is FAILED and no longer retried.
#[actix_web::test]
async fn a_message_fails_after_the_last_attempt() {
    let port = free_port(); // never started
    let mut env = smtp_env(&port.to_string());
    env.push(("MAIL_MAX_ATTEMPTS", "3".into()));
    env.push(("MAIL_RETRY_BASE_SECONDS", "0.05".into()));
    let app = spawn_app_with(&pairs(&env)).await;
    app.create_client("FAIL").await;
    let id = queue(&app, "FAIL", json!({"recipients": ["ops@example.com"]})).await;
    let http = Client::new();
    let m = wait_for_state(&http, &app.base, &app.admin, &id, |m| {
        m["status"] == "FAILED"
    })
    .await;
    assert_eq!(m["attempts"], 3, "{m}");
    assert!(
        m["next_attempt_at"].is_null() && m["last_error"].is_string(),
        "{m}"
    );
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        metrics.contains("kpi_ops_mail_outbox_messages{status=\"FAILED\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kpi_ops_mail_send_failures_total{kind=\"manual_report\"} 3"),
        "{metrics}"
    );
    // ADMIN retry: FAILED → PENDING with a fresh count (it fails again here: SMTP is still down).
    let retry = format!("/api/admin/outbox/{id}/retry");
    let leader = app
        .user_token("leader", "LEADER_DATACONFIG", &["FAIL"])
        .await;
    let (status, _) = error_code(app.post(&retry, Some(&leader), &json!({})).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = app.post(&retry, Some(&app.admin), &json!({})).await;
    expect_status(res, StatusCode::OK, "retry").await;
    let (status, _) = error_code(
        app.post(
            "/api/admin/outbox/MSG-19990101-0001/retry",
            Some(&app.admin),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    wait_for_state(&http, &app.base, &app.admin, &id, |m| {
        m["status"] == "FAILED"
    })
    .await;
}
