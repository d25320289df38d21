//! Reports (api.md §9, operations.md §7): the daily PDF and the KPI workbook, read back (PDF text
//! through poppler's `pdftotext`, the workbook through calamine) for the right client, dates and
//! values; who may download them.
use crate::helpers::*;
use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::json;
use std::io::Cursor;

/// One client with one recorded production entry three days ago: efficiency 27.78 (100 units ×
/// 0.25 h ÷ (10 × 9 h)), performance 83.33 (100 × 0.025 h ÷ 3 h). Returns the entry's date.
pub async fn client_with_a_day(app: &TestApp, client: &str) -> chrono::NaiveDate {
    app.create_client(client).await;
    app.master_data(client, &format!("{client}-WO"), Some(0.25), Some(0.025))
        .await;
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(3);
    let body = json!({"client_id": client, "work_order_id": format!("{client}-WO"), "shift_date": day.to_string(),
        "shift_type": "SHIFT_1ST", "units_produced": 100, "employees_assigned": 10,
        "shift_hours_scheduled": 9, "run_time_hours": 3});
    let res = app.post("/api/production", Some(&app.admin), &body).await;
    expect_status(res, StatusCode::CREATED, "production").await;
    day
}

/// The text of a PDF (`pdftotext -layout`); a missing tool fails with its install command.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .unwrap_or_else(|e| {
            panic!("pdftotext is missing ({e}): run ./scripts/ensure-tools.sh (apt-get install -y poppler-utils)")
        });
    assert!(out.status.success(), "pdftotext: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[actix_web::test]
async fn daily_pdf_shows_the_client_the_day_and_its_values() {
    let app = spawn_app().await;
    let day = client_with_a_day(&app, "RPT").await;
    let res = app
        .get(
            &format!("/api/clients/RPT/reports/daily.pdf?date={day}"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"RPT_daily_{day}.pdf\"").as_str()
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    for needle in [
        "Daily KPI Report",
        "Client RPT (RPT)",
        &day.to_string(),
        &day.format("%B %d, %Y").to_string(),
        "Efficiency",
        "27.78%",
        "83.33%",
        "off target",
        "No data for this period",
        "Estimated values",
        "Absenteeism: inferred attendance",
        "Formula versions",
        "30-day trends",
        "Page 1 of 2",
        "Page 2 of 2",
    ] {
        assert!(text.contains(needle), "PDF lacks {needle:?}:\n{text}");
    }
}

#[actix_web::test]
async fn kpi_workbook_has_the_summary_daily_and_raw_sheets() {
    let app = spawn_app().await;
    let day = client_with_a_day(&app, "XLS").await;
    let from = day - chrono::Days::new(2);
    let res = app
        .get(
            &format!("/api/clients/XLS/reports/kpis.xlsx?from={from}&to={day}"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"XLS_kpis_{from}_{day}.xlsx\"").as_str()
    );
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("a valid workbook");
    let names = book.sheet_names();
    for sheet in [
        "KPI Summary",
        "Daily",
        "Production",
        "Downtime",
        "Holds",
        "Attendance",
        "Coverage",
        "Quality",
        "Defects",
        "Work Orders",
        "Jobs",
        "Inference",
        "About",
    ] {
        assert!(names.iter().any(|n| n == sheet), "{sheet} in {names:?}");
    }
    // The entry's inferred pairs: no downtime data with 3 of 9 h run → 360 minutes
    // (shift_minus_run_time, availability); no defect count → 0 (assume_zero, quality rate);
    // no attendance in a window with production → the absenteeism default.
    let inference = book.worksheet_range("Inference").unwrap();
    let pairs: Vec<(String, String, String, String)> = inference
        .rows()
        .skip(1)
        .map(|r| {
            (
                r[0].to_string(),
                r[2].to_string(),
                r[4].to_string(),
                r[5].to_string(),
            )
        })
        .collect();
    for expected in [
        (
            "Availability",
            "downtime_minutes",
            "3",
            "shift_minus_run_time",
        ),
        ("Quality rate", "units_defective", "4", "assume_zero"),
        ("Absenteeism", "attendance", "4", "no_attendance_default"),
    ] {
        let expected = (
            expected.0.to_owned(),
            expected.1.to_owned(),
            expected.2.to_owned(),
            expected.3.to_owned(),
        );
        assert!(pairs.contains(&expected), "{expected:?} in {pairs:?}");
    }
    let downtime = inference
        .rows()
        .find(|r| r[2] == Data::String("downtime_minutes".into()))
        .unwrap();
    assert_eq!(downtime[3], Data::Float(360.0));
    assert!(downtime[1].to_string().starts_with("production/"));
    let summary = book.worksheet_range("KPI Summary").unwrap();
    let row = summary
        .rows()
        .find(|r| r[0] == Data::String("efficiency".into()))
        .expect("efficiency row");
    assert_eq!(row[2], Data::Float(27.78));
    assert_eq!(row[4], Data::Float(90.0), "default target");
    assert_eq!(row[5], Data::String("off target".into()));
    let daily = book.worksheet_range("Daily").unwrap();
    let days: Vec<String> = daily.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(
        days,
        vec![
            from.to_string(),
            (from + chrono::Days::new(1)).to_string(),
            day.to_string()
        ]
    );
    let production = book.worksheet_range("Production").unwrap();
    let header: Vec<String> = production
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let rows: Vec<_> = production.rows().skip(1).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][col("client_id")], Data::String("XLS".into()));
    assert_eq!(rows[0][col("shift_date")], Data::String(day.to_string()));
    assert_eq!(rows[0][col("units_produced")], Data::Float(100.0));
    let about = book.worksheet_range("About").unwrap();
    let about: Vec<String> = about.rows().map(|r| r[1].to_string()).collect();
    assert!(about.contains(&"Client XLS (XLS)".to_owned()), "{about:?}");
    assert!(about.contains(&from.to_string()) && about.contains(&day.to_string()));
}

#[actix_web::test]
async fn reports_follow_the_read_roles_and_tenant_scope() {
    let app = spawn_app().await;
    let day = client_with_a_day(&app, "MINE").await;
    app.create_client("OTHER").await;
    let power = app.user_token("power", "POWERUSER", &[]).await;
    let leader = app
        .user_token("leader", "LEADER_DATACONFIG", &["MINE"])
        .await;
    let operator = app
        .user_token("operator", "OPERATOR_DATAENTRY", &["MINE"])
        .await;
    let pdf = format!("/api/clients/MINE/reports/daily.pdf?date={day}");
    let xlsx = format!("/api/clients/MINE/reports/kpis.xlsx?from={day}&to={day}");
    for token in [&app.admin, &power, &leader, &operator] {
        for path in [&pdf, &xlsx] {
            let res = app.get(path, Some(token)).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
        }
    }
    for path in [&pdf, &xlsx] {
        assert_eq!(app.get(path, None).await.status(), StatusCode::UNAUTHORIZED);
        let foreign = path.replace("MINE", "OTHER");
        let (status, code) = error_code(app.get(&foreign, Some(&leader)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{foreign}"
        );
        let (status, _) = error_code(app.get(&foreign, Some(&operator)).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let unknown = path.replace("MINE", "NOPE");
        let (status, code) = error_code(app.get(&unknown, Some(&leader)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{unknown}"
        );
    }
    let (status, code) = error_code(
        app.get(
            "/api/clients/MINE/reports/daily.pdf?date=2025-13-01",
            Some(&leader),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    let (status, code) = error_code(
        app.get(
            "/api/clients/MINE/reports/kpis.xlsx?from=2025-02-01&to=2025-01-01",
            Some(&leader),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_range")
    );
}

/// "Why did it change" (operations.md §7, first version): the report day against the previous
/// day with data — KPI moves and status changes, the largest downtime change by reason.
#[actix_web::test]
async fn daily_pdf_says_why_it_changed_against_the_previous_day_with_data() {
    let app = spawn_app().await;
    app.create_client("WHY").await;
    app.master_data("WHY", "WHY-WO", Some(0.25), Some(0.025))
        .await;
    let day = client_today() - chrono::Days::new(3);
    let before = day - chrono::Days::new(2); // the day between has no data
    for (date, units) in [(before, 100), (day, 150)] {
        let body = json!({"client_id": "WHY", "work_order_id": "WHY-WO", "shift_date": date.to_string(),
            "shift_type": "SHIFT_1ST", "units_produced": units, "employees_assigned": 10,
            "shift_hours_scheduled": 9, "run_time_hours": 9});
        let res = app.post("/api/production", Some(&app.admin), &body).await;
        expect_status(res, StatusCode::CREATED, "production").await;
    }
    let body = json!({"client_id": "WHY", "work_order_id": "WHY-WO", "shift_date": day.to_string(),
        "shift_type": "SHIFT_1ST", "downtime_reason": "EQUIPMENT_FAILURE", "downtime_duration_minutes": 90});
    let res = app.post("/api/downtime", Some(&app.admin), &body).await;
    expect_status(res, StatusCode::CREATED, "downtime").await;
    let res = app
        .get(
            &format!("/api/clients/WHY/reports/daily.pdf?date={day}"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = pdf_text(&res.bytes().await.unwrap());
    // Efficiency 100 × 0.25 ÷ 90 = 27.78 % → 150 × 0.25 ÷ 90 = 41.67 %; availability 100 % → the
    // whole crew stopped 90 minutes: 1 − 15 ÷ 90 = 83.33 % (target 90: on → off target).
    for needle in [
        "Why did it change".to_owned(),
        format!("Compared with {before}:"),
        "Efficiency rose 13.89 points (27.78% → 41.67%).".to_owned(),
        "Availability fell 16.67 points (100% → 83.33%), now off target (was on target)."
            .to_owned(),
        "Largest downtime change: EQUIPMENT_FAILURE +1.5 h (0 h → 1.5 h).".to_owned(),
    ] {
        assert!(text.contains(&needle), "PDF lacks {needle:?}:\n{text}");
    }
}

/// With costs set, the daily PDF lists the day's largest money losses (kpis.md §4.16).
#[actix_web::test]
async fn daily_pdf_lists_the_top_losses_when_costs_are_set() {
    let app = spawn_app().await;
    app.create_client("TOPL").await;
    app.master_data("TOPL", "TOPL-WO", Some(0.25), Some(0.025))
        .await;
    let res = app
        .put(
            "/api/clients/TOPL/settings",
            Some(&app.admin),
            &json!({"settings": {"costs": {"currency": "USD", "labour_cost_per_hour": 10}}}),
        )
        .await;
    expect_status(res, StatusCode::OK, "costs").await;
    // Today (settings resolve at the end of the day, so today sees the new costs): 10 × 9 = 90
    // person-hours, 100 × 0.25 = 25 standard hours, a 60-minute whole-line stop (10 h lost).
    let day = client_today();
    let body = json!({"client_id": "TOPL", "work_order_id": "TOPL-WO", "shift_date": day.to_string(),
        "shift_type": "SHIFT_1ST", "units_produced": 100, "employees_assigned": 10,
        "shift_hours_scheduled": 9, "run_time_hours": 8, "downtime_total_minutes": 60});
    let res = app.post("/api/production", Some(&app.admin), &body).await;
    expect_status(res, StatusCode::CREATED, "production").await;
    let res = app
        .get(
            &format!("/api/clients/TOPL/reports/daily.pdf?date={day}"),
            Some(&app.admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = pdf_text(&res.bytes().await.unwrap());
    // Speed (90 − 25 − 10) × 10 = 550; downtime 10 × 10 = 100.
    for needle in [
        "Top losses",
        "Speed loss, product TOPL-WO-P: 550.00 USD",
        "Downtime loss, product TOPL-WO-P: 100.00 USD",
    ] {
        assert!(text.contains(needle), "PDF lacks {needle:?}:\n{text}");
    }
}
