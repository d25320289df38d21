//! /api/clients and their settings.
use super::AppState;
use super::auth::Auth;
use super::body::JsonObject;
use crate::error::ApiResult;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/clients", web::get().to(list))
        .route("/api/clients", web::post().to(create))
        .route("/api/clients/{client_id}", web::get().to(get))
        .route("/api/clients/{client_id}", web::patch().to(patch))
        .route("/api/clients/{client_id}", web::delete().to(delete))
        .route(
            "/api/clients/{client_id}/settings",
            web::get().to(get_settings),
        )
        .route(
            "/api/clients/{client_id}/settings",
            web::put().to(put_settings),
        );
}

#[derive(Deserialize)]
struct ListQuery {
    include_inactive: Option<bool>,
}

async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let items = state
        .engine
        .list_clients(&auth.0, q.include_inactive.unwrap_or(false))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    if let Some(key) = super::ingest::idempotency_key(&req)? {
        let idem = super::ingest::json_idem_key(&req, key, &body.0);
        let reply = state
            .engine
            .create_client_idempotent(&auth.0, body.0, idem)
            .await?;
        return Ok(super::ingest::render(reply));
    }
    Ok(HttpResponse::Created().json(state.engine.create_client(&auth.0, body.0).await?))
}

async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.engine.get_client(&auth.0, path.into_inner()).await?))
}

async fn patch(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .patch_client(&auth.0, path.into_inner(), body.0)
            .await?,
    ))
}

async fn delete(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut body = Map::new();
    body.insert("is_active".into(), Value::Bool(false));
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .patch_client(&auth.0, path.into_inner(), body)
            .await?,
    ))
}

async fn get_settings(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .get_settings(&auth.0, path.into_inner())
            .await?,
    ))
}

async fn put_settings(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .put_settings(&auth.0, path.into_inner(), body.0)
            .await?,
    ))
}
