//! GET /api/clients/{client_id}/kpis.
use super::AppState;
use super::auth::Auth;
use crate::error::ApiResult;
use actix_web::{HttpResponse, web};
use kpi_engine::kpi::inputs::Filters;
use kpi_engine::services::kpis::resolve_window;
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/clients/{client_id}/kpis", web::get().to(client_kpis));
}

#[derive(Deserialize)]
struct KpiQuery {
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
    let window = resolve_window(q.from.as_deref(), q.to.as_deref())?;
    let shift = q.shift.map(|s| s.trim().to_ascii_uppercase());
    let filters = Filters {
        shift,
        work_order_id: q.work_order_id,
        product_id: q.product_id,
    };
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .client_kpis(&auth.0, path.into_inner(), window, filters)
            .await?,
    ))
}
