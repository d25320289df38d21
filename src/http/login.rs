//! /api/auth: register, login, me, change-password.
use super::AppState;
use super::auth::{Auth, MaybeAuth, login_body};
use super::body::JsonObject;
use super::guard::{client_ip, is_direct_loopback};
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/auth/register", web::post().to(register))
        .route("/api/auth/login", web::post().to(login))
        .route("/api/auth/me", web::get().to(me))
        .route("/api/auth/change-password", web::post().to(change_password));
}

async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: MaybeAuth,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let user = state
        .engine
        .register(caller.0.as_ref(), is_direct_loopback(&req), body.0)
        .await?;
    Ok(HttpResponse::Created().json(user))
}

fn string_field(body: &serde_json::Map<String, Value>, k: &str) -> ApiResult<String> {
    body.get(k)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                format!("{k} is required"),
            )
            .with_detail(k, "is required")
        })
}

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    if let Some(ip) = client_ip(&req)
        && let Err(wait) = state.login_limiter.check(ip)
    {
        state
            .engine
            .metrics()
            .login_failures
            .with_label_values(&["rate_limited"])
            .inc();
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many login attempts; wait a minute",
        )
        .retry_after(wait));
    }
    let username = string_field(&body.0, "username")?;
    let password = string_field(&body.0, "password")?;
    let user = state.engine.login(username, password).await?;
    Ok(HttpResponse::Ok().json(login_body(&state.jwt, &user)))
}

async fn me(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let user = state.engine.current_user(&auth.0).await?;
    let clients = state.engine.list_clients(&auth.0, false).await?;
    let clients: Vec<Value> = clients.iter().map(|c| json!({"client_id": c["client_id"], "client_name": c["client_name"], "is_active": c["is_active"]})).collect();
    let mut body = serde_json::to_value(&user).unwrap_or_default();
    body["clients"] = Value::Array(clients);
    Ok(HttpResponse::Ok().json(body))
}

async fn change_password(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let current = string_field(&body.0, "current_password")?;
    let new = string_field(&body.0, "new_password")?;
    let user = state.engine.change_password(&auth.0, current, new).await?;
    Ok(HttpResponse::Ok().json(login_body(&state.jwt, &user)))
}
