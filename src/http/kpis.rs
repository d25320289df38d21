//! KPI reads: a client's KPIs, one KPI as a series, and the all-clients overview.
use super::AppState;
use super::auth::Auth;
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use kpi_engine::kpi::inputs::Filters;
use kpi_engine::services::kpi_views::Granularity;
use kpi_engine::services::kpis::resolve_window_at;
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/clients/{client_id}/kpis", web::get().to(client_kpis))
        .route(
            "/api/clients/{client_id}/kpis/{name}",
            web::get().to(kpi_series),
        )
        .route(
            "/api/clients/{client_id}/kpis/{name}/explain",
            web::get().to(kpi_explain),
        )
        .route("/api/kpis/overview", web::get().to(overview))
        .route(
            "/api/clients/{client_id}/losses",
            web::get().to(client_losses),
        );
}

#[derive(Deserialize)]
struct KpiQuery {
    granularity: Option<String>,
    from: Option<String>,
    to: Option<String>,
    shift: Option<String>,
    work_order_id: Option<String>,
    product_id: Option<String>,
}

async fn client_kpis(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let client_id = path.into_inner();
    let today = state.engine.client_today(&client_id).await?;
    let window = resolve_window_at(q.from.as_deref(), q.to.as_deref(), today)?;
    let shift = q.shift.map(|s| s.trim().to_ascii_uppercase());
    let filters = Filters {
        shift,
        work_order_id: q.work_order_id,
        product_id: q.product_id,
    };
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .client_kpis(&auth.0, client_id, window, filters)
            .await?,
    ))
}

/// The money view of losses (kpis.md §4.16) over a KPI window.
async fn client_losses(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    let client_id = path.into_inner();
    let today = state.engine.client_today(&client_id).await?;
    let window = resolve_window_at(q.from.as_deref(), q.to.as_deref(), today)?;
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .client_losses(&auth.0, client_id, window)
            .await?,
    ))
}

fn filters(q: &KpiQuery) -> Filters {
    Filters {
        shift: q.shift.as_ref().map(|s| s.trim().to_ascii_uppercase()),
        work_order_id: q.work_order_id.clone(),
        product_id: q.product_id.clone(),
    }
}

async fn kpi_series(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    let (client_id, name) = path.into_inner();
    known_kpi(&name)?;
    let today = state.engine.client_today(&client_id).await?;
    let window = resolve_window_at(q.from.as_deref(), q.to.as_deref(), today)?;
    let granularity = Granularity::parse(q.granularity.as_deref())?;
    let series = state
        .engine
        .kpi_series(&auth.0, client_id, name, window, granularity, filters(&q))
        .await?;
    Ok(HttpResponse::Ok().json(series))
}

async fn overview(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .kpi_overview(&auth.0, q.from.as_deref(), q.to.as_deref())
            .await?,
    ))
}

/// The KPI named in the path: 404 `unknown_kpi` with the valid names otherwise.
fn known_kpi(name: &str) -> Result<&'static str, ApiError> {
    kpi_engine::kpi::KPI_NAMES
        .iter()
        .find(|k| **k == name)
        .copied()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_kpi",
                format!("no KPI named {name}"),
            )
            .with_detail(
                "name",
                format!("one of: {}", kpi_engine::kpi::KPI_NAMES.join(", ")),
            )
        })
}

/// One KPI with its inputs and provenance (kpis.md §5.4), for the dashboard's drill-down.
async fn kpi_explain(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    let (client_id, name) = path.into_inner();
    let name = known_kpi(&name)?;
    let today = state.engine.client_today(&client_id).await?;
    let window = resolve_window_at(q.from.as_deref(), q.to.as_deref(), today)?;
    let explain = state
        .engine
        .explain_kpi(&auth.0, client_id, name, window, filters(&q))
        .await?;
    Ok(HttpResponse::Ok().json(explain))
}
