//! The HTTP edge: thin handlers, one module per area. Handlers parse, call one `Engine`
//! service, and shape the JSON; the rules live in the engine.
pub mod audit;
pub mod auth;
pub mod backups;
pub mod body;
pub mod clients;
pub mod exports;
pub mod guard;
pub mod health;
pub mod ingest;
pub mod kpis;
pub mod login;
pub mod mail;
pub mod multipart;
pub mod records;
pub mod reports;
pub mod scripts;
pub mod shift_closes;
pub mod users;

use crate::config::Config;
use crate::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kpi_engine::Engine;
use std::sync::Arc;

/// Shared state handed to every handler.
pub struct AppState {
    pub engine: Engine,
    pub config: Arc<Config>,
    pub jwt: auth::JwtKeys,
    pub login_limiter: guard::LoginLimiter,
    pub user_limiter: guard::UserLimiter,
    pub health_cache: health::HealthCache,
}

/// Every route of the API. Static segments are registered before `{id}` so they win.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health))
        .route("/health/live", web::get().to(health::live))
        .route("/health/ready", web::get().to(health::ready))
        .route("/metrics", web::get().to(crate::metrics::scrape))
        .route("/api/openapi.json", web::get().to(crate::openapi::document));
    login::configure(cfg);
    users::configure(cfg);
    clients::configure(cfg);
    kpis::configure(cfg);
    shift_closes::configure(cfg);
    reports::configure(cfg);
    mail::configure(cfg);
    scripts::configure(cfg);
    audit::configure(cfg);
    backups::configure(cfg);
    exports::configure(cfg);
    ingest::configure(cfg); // before records: /api/{res}/batch must win over /api/{res}/{id}
    records::configure(cfg);
}

/// Unknown routes: the web app for browsers (deep links), JSON 404 for everything else.
pub async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    let api = path.starts_with("/api") || path.starts_with("/health") || path == "/metrics";
    let wants_html = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !api && req.method() == actix_web::http::Method::GET {
        if let Some(file) = crate::assets::file(&req) {
            return Ok(file);
        }
        if wants_html {
            return Ok(crate::assets::index());
        }
    }
    if let Some(allowed) = crate::openapi::methods_for(path) {
        return Err(
            ApiError::from_status(StatusCode::METHOD_NOT_ALLOWED).with_detail(
                "method",
                format!(
                    "{} is not allowed here; use {}",
                    req.method(),
                    allowed.join(", ")
                ),
            ),
        );
    }
    Err(ApiError::from_status(StatusCode::NOT_FOUND)
        .with_detail("path", format!("no route {} {}", req.method(), path)))
}
