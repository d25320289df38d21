//! A client's "today" is its time zone's date (domain.md §1): KPI default windows, series and
//! the overview follow it. Kiritimati (UTC+14) and Pago Pago (UTC−11) are 25 hours apart, so
//! at any instant their dates differ from each other, and one of them from UTC's.
use crate::helpers::*;
use chrono::{Days, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn local_today(offset_hours: i64) -> NaiveDate {
    (Utc::now() + Duration::hours(offset_hours)).date_naive()
}

async fn client_in(app: &TestApp, id: &str, zone: &str) {
    let res = app
        .post(
            "/api/clients",
            Some(&app.admin),
            &json!({"client_id": id, "client_name": id, "timezone": zone}),
        )
        .await;
    expect_status(res, StatusCode::CREATED, "client").await;
}

#[actix_web::test]
async fn default_windows_end_on_the_clients_today() {
    let app = spawn_app().await;
    client_in(&app, "TZ-EAST", "Pacific/Kiritimati").await;
    client_in(&app, "TZ-WEST", "Pacific/Pago_Pago").await;
    for (client, offset) in [("TZ-EAST", 14), ("TZ-WEST", -11)] {
        let res = app
            .get(&format!("/api/clients/{client}/kpis"), Some(&app.admin))
            .await;
        let body = expect_status(res, StatusCode::OK, "kpis").await;
        let today = local_today(offset);
        assert_eq!(body["to"], json!(today.to_string()), "{client}");
        assert_eq!(
            body["from"],
            json!((today - Days::new(29)).to_string()),
            "30 days ending today"
        );
        // Only `from`: to = min(from + 29, today) — today of the client.
        let from = today - Days::new(3);
        let res = app
            .get(
                &format!("/api/clients/{client}/kpis/efficiency?from={from}"),
                Some(&app.admin),
            )
            .await;
        let series = expect_status(res, StatusCode::OK, "series").await;
        assert_eq!(series["to"], json!(today.to_string()), "{client} series");
        let last: &Value = series["series"].as_array().unwrap().last().unwrap();
        assert_eq!(last["period"], json!(today.to_string()));
    }
    let res = app.get("/api/kpis/overview", Some(&app.admin)).await;
    let overview = expect_status(res, StatusCode::OK, "overview").await;
    for c in overview["clients"].as_array().unwrap() {
        let offset = if c["client_id"] == "TZ-EAST" { 14 } else { -11 };
        assert_eq!(c["to"], json!(local_today(offset).to_string()), "{c}");
    }
}

#[actix_web::test]
async fn an_unknown_time_zone_is_refused() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/clients",
            Some(&app.admin),
            &json!({"client_id": "TZ-BAD", "client_name": "Bad", "timezone": "Mars/Olympus"}),
        )
        .await;
    let (status, code) = error_code(res).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
}
