//! /api/kpi-scripts: formula scripts (api.md §8). The KPI name is parsed here (unknown → 404
//! `unknown_kpi`); roles, bodies, the check and the versions are the engine's
//! (`services::scripts`).
use super::AppState;
use super::auth::Auth;
use super::body::JsonObject;
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kpi_engine::kpi::KPI_NAMES;
use kpi_engine::services::scripts::kpi_name;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/kpi-scripts", web::get().to(list))
        .route("/api/kpi-scripts/{name}", web::get().to(get))
        .route("/api/kpi-scripts/{name}", web::put().to(publish))
        .route("/api/kpi-scripts/{name}/check", web::post().to(check))
        .route("/api/kpi-scripts/{name}/rollback", web::post().to(rollback));
}

/// The KPI of the path, or 404 `unknown_kpi` naming the valid ones.
fn name_of(raw: &str) -> ApiResult<&'static str> {
    kpi_name(raw).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_kpi",
            format!("no KPI named {raw}"),
        )
        .with_detail("name", format!("one of: {}", KPI_NAMES.join(", ")))
    })
}

async fn list(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let items = state.engine.list_scripts(&auth.0).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = name_of(&path)?;
    let query =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string()).map_err(|_| {
            ApiError::bad_request("invalid_parameter", "the query string could not be read")
        })?;
    let mut client = None;
    for (k, v) in query.into_inner() {
        if k != "client_id" {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("unknown query parameter {k}"),
            )
            .with_detail(&k, "parameters: client_id"));
        }
        client = Some(v.trim().to_owned()).filter(|c| !c.is_empty());
    }
    Ok(HttpResponse::Ok().json(state.engine.get_script(&auth.0, name, client).await?))
}

async fn check(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let name = name_of(&path)?;
    Ok(HttpResponse::Ok().json(state.engine.check_script(&auth.0, name, body.0).await?))
}

async fn publish(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let name = name_of(&path)?;
    Ok(HttpResponse::Ok().json(state.engine.publish_script(&auth.0, name, body.0).await?))
}

async fn rollback(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let name = name_of(&path)?;
    Ok(HttpResponse::Ok().json(state.engine.rollback_script(&auth.0, name, body.0).await?))
}
