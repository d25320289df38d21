//! The generic resource routes (`/api/{res}`), one handler set for every declared resource.
use super::AppState;
use super::auth::Auth;
use super::body::JsonObject;
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kpi_engine::resources::{Resource, defs};
use kpi_engine::services::records::{ListParams, Saved};
use serde_json::{Value, json};

pub fn configure(cfg: &mut web::ServiceConfig) {
    for res in defs::ALL {
        let base = format!("/api/{}", res.name);
        let item = format!("/api/{}/{{id}}", res.name);
        cfg.route(&base, web::get().to(list))
            .route(&base, web::post().to(create));
        // static segments before `{id}`, so they win
        if res.verify.is_some() {
            cfg.route(&format!("/api/{}/verify", res.name), web::post().to(verify));
        }
        cfg.route(&item, web::get().to(get))
            .route(&item, web::patch().to(patch))
            .route(&item, web::delete().to(delete));
    }
}

/// `true` when the query string carries `name=true`.
fn flag(req: &HttpRequest, name: &str) -> bool {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.iter().any(|(k, v)| k == name && v == "true"))
        .unwrap_or(false)
}

fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .ok()?
        .into_inner()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
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

/// The list parameters of `/api/{res}` (and, without paging, of its export): the common ones
/// plus the resource's filters; anything else → 400 naming what is accepted.
pub(crate) fn list_params(
    req: &HttpRequest,
    res: &Resource,
    paging: bool,
) -> ApiResult<ListParams> {
    let query =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string()).map_err(|_| {
            ApiError::bad_request("invalid_parameter", "the query string could not be read")
        })?;
    let mut p = ListParams::default();
    for (k, v) in query.into_inner() {
        match k.as_str() {
            "client_id" => p.client_id = Some(v),
            "from" => p.from = Some(v),
            "to" => p.to = Some(v),
            "limit" if paging => p.limit = Some(v),
            "cursor" if paging => p.cursor = Some(v),
            "include_deleted" => p.include_deleted = v == "true",
            _ if res.filters.contains(&k.as_str()) => p.filters.push((k, v)),
            _ => {
                let common = if paging {
                    "client_id, from, to, limit, cursor, include_deleted"
                } else {
                    "client_id, from, to, include_deleted"
                };
                return Err(ApiError::bad_request(
                    "invalid_parameter",
                    format!("unknown query parameter {k}"),
                )
                .with_detail(
                    &k,
                    format!(
                        "parameters: {common}; filters of {}: {}",
                        res.name,
                        res.filters.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(p)
}

fn saved(s: Saved) -> Value {
    let mut v = Value::Object(s.record);
    v["warnings"] = json!(s.warnings);
    v
}

async fn list(state: web::Data<AppState>, req: HttpRequest, auth: Auth) -> ApiResult<HttpResponse> {
    let res = resource(&req)?;
    let p = list_params(&req, res, true)?;
    let page = state.engine.list_records(&auth.0, res, p).await?;
    Ok(HttpResponse::Ok().json(json!({"items": page.items, "next_cursor": page.next_cursor})))
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let res = resource(&req)?;
    if let Some(key) = super::ingest::idempotency_key(&req)? {
        return super::ingest::create_idempotent(&state, &req, &auth, res, body.0, key).await;
    }
    Ok(HttpResponse::Created().json(saved(
        state.engine.create_record(&auth.0, res, body.0).await?,
    )))
}

async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let res = resource(&req)?;
    let include_deleted = flag(&req, "include_deleted");
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .get_record(&auth.0, res, path.into_inner(), include_deleted)
            .await?,
    ))
}

async fn patch(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let res = resource(&req)?;
    Ok(HttpResponse::Ok().json(saved(
        state
            .engine
            .patch_record(&auth.0, res, path.into_inner(), body.0)
            .await?,
    )))
}

/// DELETE /api/{res}/{id}[?cascade=true][&amendment_reason=...] (ADMIN): soft delete; the
/// reason is needed for an entry of a closed line-shift.
async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let res = resource(&req)?;
    let cascade = flag(&req, "cascade");
    let reason = query_value(&req, "amendment_reason");
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .delete_record(&auth.0, res, path.into_inner(), cascade, reason)
            .await?,
    ))
}

/// POST /api/{res}/verify `{"ids": [...]}` → `{"verified": n, "verified_ids", "errors"}`.
async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let res = resource(&req)?;
    let out = state.engine.verify_records(&auth.0, res, body.0).await?;
    Ok(HttpResponse::Ok().json(json!({
        "verified": out.verified.len(),
        "verified_ids": out.verified,
        "errors": out.errors,
    })))
}
