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
    // History parameters are bounded whole numbers (a huge history_days would overflow dates).
    for (key, bad) in [
        ("history_days", json!(1_000_000_000)),
        ("history_days", json!(0)),
        ("min_history_points", json!(2.5)),
        ("lead_time_days", json!(-1)),
    ] {
        let body = json!({"settings": {"inference": {key: bad}}});
        let res = app
            .put("/api/clients/CHAIN-A/settings", Some(&app.admin), &body)
            .await;
        let body = expect_status(res, StatusCode::UNPROCESSABLE_ENTITY, key).await;
        assert_eq!(
            body["error"]["details"][0]["field"],
            format!("settings.inference.{key}"),
            "{body}"
        );
    }
    let res = put(json!({"downtime_minutes": ["recorded", "assume_30"]})).await;
    let body = expect_status(res, StatusCode::OK, "known chain").await;
    assert_eq!(
        body["settings"]["inference"]["chains"]["downtime_minutes"],
        json!(["recorded", "assume_30"])
    );
}

/// The chain keys and strategies are published in OpenAPI (clarification) and are exactly what
/// the server accepts: every published list is stored, the README's examples are among them.
#[actix_web::test]
async fn openapi_publishes_the_chain_keys_the_server_accepts() {
    let app = spawn_app().await;
    app.create_client("CHAIN-B").await;
    let doc: serde_json::Value = app
        .get("/api/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    let chains = &doc["components"]["schemas"]["InferenceChains"]["properties"];
    let keys: Vec<&String> = chains.as_object().unwrap().keys().collect();
    for key in [
        "labour_standard",
        "line_cycle_time",
        "production.units_defective",
        "quality.units_defective",
        "downtime_minutes",
        "total_defects_count",
    ] {
        assert!(keys.iter().any(|k| *k == key), "{key} in {keys:?}");
    }
    assert_eq!(
        doc["paths"]["/api/clients/{client_id}/settings"]["put"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/SettingsVersionBody"
    );
    let mut all = serde_json::Map::new();
    for (key, schema) in chains.as_object().unwrap() {
        all.insert(key.clone(), schema["items"]["enum"].clone());
    }
    let body = json!({"settings": {"inference": {"chains": all}}});
    let res = app
        .put("/api/clients/CHAIN-B/settings", Some(&app.admin), &body)
        .await;
    let stored = expect_status(res, StatusCode::OK, "every published strategy").await;
    assert_eq!(
        stored["settings"]["inference"]["chains"],
        serde_json::Value::Object(all)
    );
    assert!(
        chains["downtime_minutes"]["description"]
            .as_str()
            .unwrap()
            .contains("assume_30"),
        "off-by-default strategies are named"
    );
}
