//! /health (deployment guide shape), /health/live, /health/ready. Never rate limited; 503
//! only when the read pool's SELECT 1 fails, so a long import cannot get the service restarted.
use super::AppState;
use actix_web::{HttpResponse, web};
use kpi_engine::services::health::Probes;
use serde_json::json;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Probes are cached 2 s so a tight watchdog loop cannot load the database, and a stale entry
/// is refreshed in the background: a writer busy with a long import (its ping may take up to the
/// 1 s probe timeout) never slows `/health` itself. Only the very first call waits for a probe.
#[derive(Default)]
pub struct HealthCache {
    last: Mutex<Option<(Instant, Probes)>>,
    refreshing: AtomicBool,
}

async fn probes(state: &web::Data<AppState>) -> Probes {
    let cached = state
        .health_cache
        .last
        .lock()
        .expect("health cache")
        .clone();
    match cached {
        Some((at, p)) => {
            let stale = at.elapsed() >= Duration::from_secs(2);
            if stale && !state.health_cache.refreshing.swap(true, Ordering::AcqRel) {
                let state = state.clone();
                actix_web::rt::spawn(async move {
                    let fresh = state.engine.probe().await;
                    *state.health_cache.last.lock().expect("health cache") =
                        Some((Instant::now(), fresh));
                    state
                        .health_cache
                        .refreshing
                        .store(false, Ordering::Release);
                });
            }
            p
        }
        None => {
            let p = state.engine.probe().await;
            *state.health_cache.last.lock().expect("health cache") =
                Some((Instant::now(), p.clone()));
            p
        }
    }
}

async fn email_status(state: &AppState) -> &'static str {
    match (&state.config.smtp, state.config.enable_email_reports) {
        (_, false) => "disabled",
        (None, true) => "not_configured",
        (Some(_), true) if state.engine.mail_failing().await => "failing",
        (Some(_), true) => "configured",
    }
}

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let p = probes(&state).await;
    let backup = state.engine.backup_facts();
    let email = email_status(&state).await;
    let pool_ok = p.database == "connected" || state.engine.read_pool_ok().await;
    let problems = p.database != "connected"
        || p.cache != "connected"
        || p.scripts != "ok"
        || email == "failing"
        || backup.status == "stale";
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
        "dependencies": {"database": p.database, "cache": p.cache, "email": email, "backup": backup.status, "scripts": p.scripts},
        "backup": {"last_verified_at": backup.last_verified_at, "age_seconds": backup.age_seconds, "size_bytes": backup.size_bytes},
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
