//! The web app (web/dist, built by `npm run build`), embedded in release builds and read from disk
//! in debug builds (so front-end edits never rebuild Rust). Without a built UI the binary still
//! works and serves a page that says how to build it.
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/dist/"]
#[allow_missing = true]
struct WebDist;

const PLACEHOLDER: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>KPI Operations</title></head>
<body><h1>KPI Operations</h1><p>The API is running. The web dashboard is not built into this binary yet:
run <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>, then rebuild.</p>
<p>API documentation: <a href="/api/docs/">/api/docs/</a> · health: <a href="/health">/health</a></p></body></html>"#;

/// The SPA entry page (every deep link), never cached so a deploy is picked up at once.
pub fn index() -> HttpResponse {
    match WebDist::get("index.html") {
        Some(file) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((CACHE_CONTROL, "no-cache"))
            .body(file.data.into_owned()),
        None => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(PLACEHOLDER),
    }
}

/// A built file (`/assets/…` chunks, favicon): hashed chunk names are immutable, so they may be
/// cached for a year. `None` when there is no such file.
pub fn file(req: &HttpRequest) -> Option<HttpResponse> {
    let path = req.path().trim_start_matches('/');
    if path.is_empty() || path == "index.html" {
        return None;
    }
    let file = WebDist::get(path)?;
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Some(
        HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, file.metadata.mimetype()))
            .insert_header((CACHE_CONTROL, cache))
            .body(file.data.into_owned()),
    )
}
