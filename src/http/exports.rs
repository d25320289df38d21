//! CSV out for every declared resource: `GET /api/{res}/export.csv` (streamed, one page of
//! rows per chunk) and `GET /api/{res}/csv-template`. Registered before the record routes so
//! the static segments win over `/api/{res}/{id}`.
use super::AppState;
use super::auth::Auth;
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kpi_engine::resources::{Resource, defs};
use kpi_engine::services::exports;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for res in defs::ALL {
        cfg.route(
            &format!("/api/{}/export.csv", res.name),
            web::get().to(export),
        )
        .route(
            &format!("/api/{}/csv-template", res.name),
            web::get().to(template),
        );
    }
}

/// The resource named by the first path segment after /api (routes are registered per resource).
fn resource(req: &HttpRequest) -> ApiResult<&'static Resource> {
    let name = req
        .path()
        .trim_start_matches("/api/")
        .split('/')
        .next()
        .unwrap_or("");
    defs::find(name).ok_or_else(|| ApiError::from_status(StatusCode::NOT_FOUND))
}

fn attachment(name: &str) -> (&'static str, String) {
    (
        "Content-Disposition",
        format!("attachment; filename=\"{name}\""),
    )
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

async fn export(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
) -> ApiResult<HttpResponse> {
    let res = resource(&req)?;
    let params = super::records::list_params(&req, res, false)?;
    // Parameters and tenant rules are checked here, before the 200 goes out.
    let export = state.engine.export_csv(&auth.0, res, params).await?;
    let request_id = crate::error::current_request_id();
    let body = futures_util::stream::try_unfold(export, move |mut export| {
        let request_id = request_id.clone();
        async move {
            match export.next_chunk().await {
                Ok(Some(chunk)) => Ok(Some((web::Bytes::from(chunk), export))),
                Ok(None) => Ok(None),
                Err(e) => {
                    // The status is already sent: abort the body so the file is visibly incomplete.
                    tracing::error!(error = %e, request_id = %request_id, "export aborted");
                    Err(e)
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment(&format!("{}_{}.csv", res.name, today())))
        .streaming(body))
}

async fn template(req: HttpRequest, _auth: Auth) -> ApiResult<HttpResponse> {
    let res = resource(&req)?;
    let bytes = exports::csv_template(res)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment(&format!("{}_template.csv", res.name)))
        .body(bytes))
}
