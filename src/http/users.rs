//! /api/users (ADMIN).
use super::AppState;
use super::auth::Auth;
use super::body::JsonObject;
use crate::error::{ApiError, ApiResult};
use actix_web::{HttpRequest, HttpResponse, web};
use kpi_engine::domain::Role;
use kpi_engine::store::users::UserFilter;
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/users", web::get().to(list))
        .route("/api/users", web::post().to(create))
        .route("/api/users/{user_id}", web::get().to(get))
        .route("/api/users/{user_id}", web::patch().to(patch))
        .route("/api/users/{user_id}", web::delete().to(delete));
}

#[derive(Deserialize)]
struct ListQuery {
    role: Option<String>,
    client_id: Option<String>,
    is_active: Option<bool>,
}

async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let role = match &q.role {
        None => None,
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            ApiError::bad_request("invalid_parameter", "role is not a role")
                .with_detail("role", "must be one of the four roles")
        })?),
    };
    let users = state
        .engine
        .list_users(
            &auth.0,
            UserFilter {
                role,
                client_id: q.client_id.clone(),
                is_active: q.is_active,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(json!({"items": users, "next_cursor": null})))
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
            .create_user_idempotent(&auth.0, body.0, idem)
            .await?;
        return Ok(super::ingest::render(reply));
    }
    let user = state.engine.register(Some(&auth.0), false, body.0).await?;
    Ok(HttpResponse::Created().json(user))
}

async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.engine.get_user(&auth.0, path.into_inner()).await?))
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
            .patch_user(&auth.0, path.into_inner(), body.0)
            .await?,
    ))
}

async fn delete(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .deactivate_user(&auth.0, path.into_inner())
            .await?,
    ))
}
