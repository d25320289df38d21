//! The embedded web app: deep links get the SPA page, built chunks are served with a long cache,
//! API paths never fall back to HTML.
use crate::helpers::spawn_app;

fn built_index() -> Option<String> {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/web/dist/index.html")).ok()
}

#[actix_web::test]
async fn deep_links_serve_the_app_and_api_paths_stay_json() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for path in ["/", "/entry/production", "/admin/users"] {
        let res = client
            .get(format!("{}{path}", app.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let ct = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        let body = res.text().await.unwrap();
        match built_index() {
            Some(index) => assert_eq!(body, index, "{path} serves web/dist/index.html"),
            None => assert!(body.contains("npm ci"), "placeholder says how to build"),
        }
    }
    let res = client
        .get(format!("{}/api/nothing-here", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[actix_web::test]
async fn built_chunks_are_served_with_a_long_cache() {
    let Some(index) = built_index() else {
        // Without a built UI there is no chunk to fetch; the placeholder case is covered above.
        return;
    };
    let app = spawn_app().await;
    let start = index.find("/assets/").expect("index references a chunk");
    let end = start + index[start..].find('"').unwrap();
    let chunk = &index[start..end];
    let res = reqwest::get(format!("{}{chunk}", app.base)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let missing = reqwest::get(format!("{}/assets/missing-chunk.js", app.base))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
