//! The binary's commands: migrate (twice), config check, configuration errors, user create.
use std::process::Command;

fn kpi_ops(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kpi-ops"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("DATABASE_URL", "sqlite:///kpi.db");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run kpi-ops")
}

#[test]
fn migrate_is_idempotent_and_creates_every_table() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = kpi_ops(dir.path(), &["migrate"], &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = kpi_ops(dir.path(), &["migrate", "--dry-run"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("current schema version: 2"));
    let conn = rusqlite::Connection::open(dir.path().join("kpi.db")).unwrap();
    for table in [
        "clients",
        "users",
        "user_clients",
        "shifts",
        "products",
        "part_opportunities",
        "employees",
        "floating_pool",
        "work_orders",
        "jobs",
        "production_entries",
        "downtime_entries",
        "hold_entries",
        "attendance_entries",
        "coverage_entries",
        "quality_entries",
        "defect_details",
        "client_settings",
        "standard_history",
        "shift_closes",
        "watchdog_findings",
        "import_log",
        "import_previews",
        "audit_log",
        "kpi_scripts",
        "mail_outbox",
        "mail_attachments",
        "backup_records",
        "idempotency_keys",
        "id_sequences",
        "scheduler_runs",
    ] {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "table {table}");
    }
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn bad_configuration_exits_78_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = kpi_ops(dir.path(), &["serve"], &[("API_PORT", "99999")]);
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("configuration error: API_PORT:"), "{err}");
    let out = kpi_ops(
        dir.path(),
        &["serve"],
        &[
            ("ENVIRONMENT", "production"),
            ("JWT_SECRET", "short-secret"),
        ],
    );
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("JWT_SECRET") && !err.contains("short-secret"),
        "names it, never shows it: {err}"
    );
    let out = kpi_ops(
        dir.path(),
        &["serve"],
        &[
            ("ENVIRONMENT", "production"),
            ("JWT_SECRET", &"k".repeat(40)),
            ("ALLOWED_ORIGINS", "*"),
            ("ENABLE_EMAIL_REPORTS", "false"),
        ],
    );
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ALLOWED_ORIGINS"));
}

#[test]
fn config_check_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = kpi_ops(
        dir.path(),
        &["config", "check"],
        &[("JWT_SECRET", "super-secret-value-that-is-long-enough")],
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("JWT_SECRET=***") && !text.contains("super-secret-value"),
        "{text}"
    );
}

#[test]
fn user_create_refuses_a_missing_database_then_creates() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "cli-password-123\n").unwrap();
    let pw = pw.display().to_string();
    let args = [
        "user",
        "create",
        "--username",
        "cliadmin",
        "--role",
        "ADMIN",
        "--password-file",
        pw.as_str(),
    ];
    let out = kpi_ops(dir.path(), &args, &[]);
    assert!(!out.status.success());
    assert!(
        !dir.path().join("kpi.db").exists(),
        "no empty database created"
    );
    assert!(kpi_ops(dir.path(), &["migrate"], &[]).status.success());
    let out = kpi_ops(dir.path(), &args, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "USR-001");
}
