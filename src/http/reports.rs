//! Reports: the daily PDF and the KPI workbook of a client (api.md §9). Rendering happens in
//! the engine on a blocking thread; here only parameters and the download headers.
use super::AppState;
use super::auth::Auth;
use crate::error::ApiResult;
use actix_web::{HttpResponse, web};
use kpi_engine::services::kpis::resolve_window;
use kpi_engine::services::reports::{ReportFile, parse_report_date};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/clients/{client_id}/reports/daily.pdf",
        web::get().to(daily_pdf),
    )
    .route(
        "/api/clients/{client_id}/reports/kpis.xlsx",
        web::get().to(kpis_xlsx),
    );
}

#[derive(Deserialize)]
struct DailyQuery {
    date: Option<String>,
}

#[derive(Deserialize)]
struct WindowQuery {
    from: Option<String>,
    to: Option<String>,
}

fn download(file: ReportFile, content_type: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", file.file_name),
        ))
        .body(file.bytes)
}

async fn daily_pdf(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<DailyQuery>,
) -> ApiResult<HttpResponse> {
    let date = q.date.as_deref().map(parse_report_date).transpose()?;
    let file = state
        .engine
        .daily_report_pdf(&auth.0, &path.into_inner(), date)
        .await?;
    Ok(download(file, "application/pdf"))
}

async fn kpis_xlsx(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<WindowQuery>,
) -> ApiResult<HttpResponse> {
    let window = resolve_window(q.from.as_deref(), q.to.as_deref())?;
    let file = state
        .engine
        .kpis_xlsx(&auth.0, &path.into_inner(), window)
        .await?;
    Ok(download(
        file,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ))
}
