//! Shift status and close: /api/clients/{id}/shift-status and /api/clients/{id}/shift-closes.
use super::AppState;
use super::auth::Auth;
use super::body::JsonObject;
use crate::error::ApiResult;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/clients/{client_id}/shift-status",
        web::get().to(status),
    )
    .route("/api/clients/{client_id}/shift-closes", web::get().to(list))
    .route(
        "/api/clients/{client_id}/shift-closes",
        web::post().to(close),
    )
    .route(
        "/api/clients/{client_id}/shift-closes/{shift_close_id}",
        web::delete().to(reopen),
    );
}

#[derive(Deserialize)]
struct Window {
    from: Option<String>,
    to: Option<String>,
}

async fn status(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<Window>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let body = state
        .engine
        .shift_status(&auth.0, path.into_inner(), q.from, q.to)
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<Window>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let body = state
        .engine
        .list_shift_closes(&auth.0, path.into_inner(), q.from, q.to)
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn close(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let row = state
        .engine
        .close_shift(&auth.0, path.into_inner(), body.0)
        .await?;
    Ok(HttpResponse::Created().json(row))
}

async fn reopen(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (client, id) = path.into_inner();
    let row = state.engine.reopen_shift(&auth.0, client, id).await?;
    Ok(HttpResponse::Ok().json(row))
}
