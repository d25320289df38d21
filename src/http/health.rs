//! /health (deployment guide shape), /health/live, /health/ready. Never rate limited; 503
//! only when the read pool's SELECT 1 fails, so a long import cannot get the service restarted.
use super::AppState;
use actix_web::{HttpResponse, web};
use kpi_engine::services::health::Probes;
use serde_json::json;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Probes are cached 2 s so a tight watchdog loop cannot load the database.
#[derive(Default)]
pub struct HealthCache(Mutex<Option<(Instant, Probes)>>);

async fn probes(state: &AppState) -> Probes {
    if let Some((at, p)) = state.health_cache.0.lock().expect("health cache").as_ref()
        && at.elapsed() < Duration::from_secs(2)
    {
        return p.clone();
    }
    let p = state.engine.probe().await;
    *state.health_cache.0.lock().expect("health cache") = Some((Instant::now(), p.clone()));
    p
}

fn email_status(state: &AppState) -> &'static str {
    match (&state.config.smtp, state.config.enable_email_reports) {
        (_, false) => "disabled",
        (None, true) => "not_configured",
        (Some(_), true) => "configured",
    }
}

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let p = probes(&state).await;
    let backup = if state.config.enable_auto_backup {
        "not_run"
    } else {
        "disabled"
    };
    let email = email_status(&state);
    let pool_ok = p.database == "connected" || state.engine.read_pool_ok().await;
    let problems = p.database != "connected"
        || p.cache != "connected"
        || p.scripts != "ok"
        || email == "failing";
    let status = if !pool_ok {
        "unhealthy"
    } else if problems {
        "degraded"
    } else {
        "healthy"
    };
    let body = json!({
        "status": status,
        "timestamp": kpi_engine::domain::time::now_ts(),
        "uptime": state.engine.uptime_secs(),
        "version": env!("CARGO_PKG_VERSION"),
        "dependencies": {"database": p.database, "cache": p.cache, "email": email, "backup": backup, "scripts": p.scripts},
    });
    if pool_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    }
}

pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "alive"}))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.engine.read_pool_ok().await {
        HttpResponse::Ok().json(json!({"status": "ready"}))
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(json!({"status": "not_ready"}))
    }
}
