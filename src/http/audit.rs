//! GET /api/audit: the audit trail (ingest.md §10). Roles and the tenant scope are the
//! engine's (`services::audit`); this handler only reads the query.
use super::AppState;
use super::auth::Auth;
use crate::error::{ApiError, ApiResult};
use actix_web::{HttpRequest, HttpResponse, web};
use kpi_engine::services::audit::AuditParams;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/audit", web::get().to(list));
}

async fn list(state: web::Data<AppState>, req: HttpRequest, auth: Auth) -> ApiResult<HttpResponse> {
    let query =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string()).map_err(|_| {
            ApiError::bad_request("invalid_parameter", "the query string could not be read")
        })?;
    let mut p = AuditParams::default();
    for (k, v) in query.into_inner() {
        let slot = match k.as_str() {
            "client_id" => &mut p.client_id,
            "entity" => &mut p.entity,
            "entity_id" => &mut p.entity_id,
            "user_id" => &mut p.user_id,
            "action" => &mut p.action,
            "from" => &mut p.from,
            "to" => &mut p.to,
            "limit" => &mut p.limit,
            "cursor" => &mut p.cursor,
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_parameter",
                    format!("unknown query parameter {k}"),
                )
                .with_detail(
                    &k,
                    "parameters: client_id, entity, entity_id, user_id, action, from, to, limit, cursor",
                ));
            }
        };
        *slot = Some(v);
    }
    let page = state.engine.list_audit(&auth.0, p).await?;
    Ok(HttpResponse::Ok().json(json!({"items": page.items, "next_cursor": page.next_cursor})))
}
