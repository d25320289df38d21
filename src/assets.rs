//! The web app. Until `web/` is built (web dashboard issue), a page that says how to build it.
use actix_web::HttpResponse;

const PLACEHOLDER: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>KPI Operations</title></head>
<body><h1>KPI Operations</h1><p>The API is running. The web dashboard is not built into this binary yet:
run <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>, then rebuild.</p>
<p>API documentation: <a href="/api/docs/">/api/docs/</a> · health: <a href="/health">/health</a></p></body></html>"#;

pub fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PLACEHOLDER)
}
