//! HTTP metrics labelled by route template (never raw paths), and GET /metrics.
use crate::http::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use std::time::Instant;

pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let started = Instant::now();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let m = state.engine.metrics();
        let status = res.status();
        m.http_requests
            .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
            .inc();
        m.http_duration
            .with_label_values(&[method.as_str(), route.as_str()])
            .observe(started.elapsed().as_secs_f64());
        if status.as_u16() == 503 {
            m.rejections.with_label_values(&["writer"]).inc();
        }
    }
    Ok(res)
}

pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    state.engine.refresh_gauges();
    if let Err(e) = state.engine.refresh_freshness_gauges().await {
        // A busy pool must not fail the scrape: the gauges keep their last values.
        tracing::warn!(error = %e, "freshness gauges not refreshed");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.engine.metrics().render())
}

/// Refreshes the KPI value/confidence gauges every 5 minutes (operations.md §8), the first
/// time at start. A stand-in until the scheduler actor owns the job: it only calls
/// `Engine::refresh_kpi_gauges`, whose work runs on the read pool and the KPI actor.
pub fn spawn_kpi_gauges(engine: kpi_engine::Engine) {
    actix_web::rt::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = engine.refresh_kpi_gauges().await {
                tracing::warn!(error = %e, "KPI gauges not refreshed");
            }
        }
    });
}
