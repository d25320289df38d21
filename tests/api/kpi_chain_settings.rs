//! settings.inference.chains (kpis.md §5.2): chain keys and strategies are a fixed list; an
//! unknown one is a 422 naming it, a known one is stored.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn chain_settings_are_checked_against_the_chain_table() {
    let app = spawn_app().await;
    app.create_client("CHAIN-A").await;
    let put = |chains: serde_json::Value| {
        let body = json!({"settings": {"inference": {"chains": chains}}});
        let app = &app;
        async move {
            app.put("/api/clients/CHAIN-A/settings", Some(&app.admin), &body)
                .await
        }
    };
    let res = put(json!({"employees_assigned": ["recorded", "guess"]})).await;
    let body = expect_status(res, StatusCode::UNPROCESSABLE_ENTITY, "unknown strategy").await;
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["settings.inference.chains.employees_assigned"],
        "{body}"
    );
    let res = put(json!({"colour": ["recorded"]})).await;
    let body = expect_status(res, StatusCode::UNPROCESSABLE_ENTITY, "unknown chain").await;
    assert_eq!(
        body["error"]["details"][0]["field"],
        "settings.inference.chains.colour"
    );
    let res = put(json!({"downtime_minutes": ["recorded", "assume_30"]})).await;
    let body = expect_status(res, StatusCode::OK, "known chain").await;
    assert_eq!(
        body["settings"]["inference"]["chains"]["downtime_minutes"],
        json!(["recorded", "assume_30"])
    );
}
