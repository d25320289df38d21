//! Mail: queue a report e-mail (202 with the message id) and the ADMIN outbox list (api.md §9).
use super::AppState;
use super::auth::Auth;
use super::body::JsonObject;
use crate::error::ApiResult;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/api/clients/{client_id}/reports/email",
        web::post().to(email_report),
    )
    .route("/api/admin/outbox", web::get().to(outbox))
    .route(
        "/api/admin/outbox/{message_id}/retry",
        web::post().to(retry),
    );
}

async fn email_report(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let id = state
        .engine
        .email_report(&auth.0, &path.into_inner(), body.0)
        .await?;
    Ok(HttpResponse::Accepted().json(json!({"message_id": id})))
}

#[derive(Deserialize)]
struct OutboxQuery {
    status: Option<String>,
    client_id: Option<String>,
    limit: Option<String>,
}

async fn outbox(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<OutboxQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let items = state
        .engine
        .list_outbox(&auth.0, q.status, q.client_id, q.limit)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": null})))
}

async fn retry(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    state
        .engine
        .retry_outbox_message(&auth.0, id.clone())
        .await?;
    Ok(HttpResponse::Ok().json(json!({"message_id": id, "status": "PENDING"})))
}
