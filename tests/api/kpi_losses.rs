//! GET /api/clients/{id}/losses (kpis.md §4.16): downtime, speed and defect losses in money by
//! shift type and by product, hand-computed; nothing without costs; tenant rules.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn losses(app: &TestApp, token: &str, window: &str) -> reqwest::Response {
    app.get(&format!("/api/clients/LOSS/losses?{window}"), Some(token))
        .await
}

fn item<'a>(body: &'a Value, category: &str, group_by: &str, group: &str) -> &'a Value {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["category"] == category && i["group_by"] == group_by && i["group"] == group)
        .unwrap_or_else(|| panic!("no {category}/{group_by}/{group} in {body}"))
}

#[actix_web::test]
async fn losses_in_money_by_shift_and_product() {
    let app = spawn_app().await;
    app.create_client("LOSS").await;
    app.master_data("LOSS", "LS-WO1", Some(0.25), Some(0.025))
        .await;
    app.master_data("LOSS", "LS-WO2", Some(0.5), Some(0.05))
        .await;
    let day = client_today() - chrono::Days::new(3);
    // Costs are a setting: a period uses the version in force at its end, so the window ends
    // today (after the costs are set below).
    let window = format!("from={day}&to={}", client_today());
    // 1st shift, LS-WO1: 100 units × 0.25 h = 25 standard hours of 10 × 9 = 90; a 30-minute
    // whole-line stop typed on the entry (5 person-hours); 4 defective units; all recorded.
    // 2nd shift, LS-WO2: 50 × 0.5 = 25 of 8 × 8 = 64; run time 8 of 8 h → 0 minutes of downtime
    // by the chain's level 3 (inferred, so the items are estimated).
    for (wo, shift, units, n, h, extra) in [
        (
            "LS-WO1",
            "SHIFT_1ST",
            100,
            10,
            9,
            json!({"units_defective": 4, "downtime_total_minutes": 30}),
        ),
        (
            "LS-WO2",
            "SHIFT_2ND",
            50,
            8,
            8,
            json!({"units_defective": 0}),
        ),
    ] {
        let mut body = json!({"client_id": "LOSS", "work_order_id": wo, "shift_date": day.to_string(),
            "shift_type": shift, "units_produced": units, "employees_assigned": n,
            "shift_hours_scheduled": h, "run_time_hours": h});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let res = app.post("/api/production", Some(&app.admin), &body).await;
        expect_status(res, StatusCode::CREATED, "production").await;
    }

    // No costs configured: nothing to show, not an error.
    let body = expect_status(
        losses(&app, &app.admin, &window).await,
        StatusCode::OK,
        "no costs",
    )
    .await;
    assert_eq!(
        (&body["currency"], &body["items"], &body["top"]),
        (&Value::Null, &json!([]), &json!([]))
    );

    let res = app
        .put(
            "/api/clients/LOSS/settings",
            Some(&app.admin),
            &json!({"settings": {"costs": {"currency": "EUR", "labour_cost_per_hour": 20, "scrap_cost_per_unit": 5}}}),
        )
        .await;
    expect_status(res, StatusCode::OK, "costs").await;
    let body = expect_status(
        losses(&app, &app.admin, &window).await,
        StatusCode::OK,
        "losses",
    )
    .await;
    assert_eq!(body["currency"], "EUR");
    // 1st shift: downtime 5 h × 20 = 100; speed (90 − 25 − 5) × 20 = 1 200; defects 4 × 5 = 20.
    // 2nd shift: downtime 0; speed (64 − 25 − 0) × 20 = 780; defects 0.
    for (category, group, amount, estimated) in [
        ("downtime", "SHIFT_1ST", 100.0, false),
        ("speed", "SHIFT_1ST", 1200.0, false),
        ("defects", "SHIFT_1ST", 20.0, false),
        ("downtime", "SHIFT_2ND", 0.0, true),
        ("speed", "SHIFT_2ND", 780.0, true),
    ] {
        let i = item(&body, category, "shift_type", group);
        assert_eq!(
            (i["amount"].as_f64(), i["estimated"].as_bool()),
            (Some(amount), Some(estimated)),
            "{i}"
        );
        let product = if group == "SHIFT_1ST" {
            "LS-WO1-P"
        } else {
            "LS-WO2-P"
        };
        assert_eq!(
            item(&body, category, "product_id", product)["amount"].as_f64(),
            Some(amount)
        );
    }
    // Top: the product grouping's items above zero, largest first.
    let top: Vec<(String, String, f64)> = body["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["group_by"], "product_id");
            (
                i["category"].as_str().unwrap().to_owned(),
                i["group"].as_str().unwrap().to_owned(),
                i["amount"].as_f64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("speed", "LS-WO1-P", 1200.0),
        ("speed", "LS-WO2-P", 780.0),
        ("downtime", "LS-WO1-P", 100.0),
        ("defects", "LS-WO1-P", 20.0),
    ]
    .map(|(c, g, a)| (c.to_owned(), g.to_owned(), a));
    assert_eq!(top, expected);

    // Tenant rules as every KPI read.
    app.create_client("OTHER").await;
    let outsider = app
        .user_token("loss-op", "OPERATOR_DATAENTRY", &["OTHER"])
        .await;
    let res = losses(&app, &outsider, &window).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.get("/api/clients/NOPE/losses", Some(&app.admin)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .get(&format!("/api/clients/LOSS/losses?{window}"), None)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
