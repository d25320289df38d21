//! /api/admin/backups (api.md §9, ADMIN): start an online backup (202, it runs on the backup
//! actor) and list the backups with their manifests.
use super::AppState;
use super::auth::Auth;
use crate::error::ApiResult;
use actix_web::{HttpResponse, web};
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/admin/backups", web::post().to(start))
        .route("/api/admin/backups", web::get().to(list));
}

async fn start(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let backup_id = state.engine.start_backup(&auth.0)?;
    Ok(HttpResponse::Accepted().json(json!({"backup_id": backup_id, "status": "running"})))
}

async fn list(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let items = state.engine.list_backups(&auth.0).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}
