//! `JsonObject`: a JSON object body with the contract's errors — 415 for another media type,
//! 413 over the size limit, 400 for unparseable or too deep JSON.
use crate::error::ApiError;
use crate::http::AppState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;

pub struct JsonObject(pub Map<String, Value>);

const MAX_DEPTH: usize = 32;

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

impl FromRequest for JsonObject {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(1 << 20, |s| s.config.max_upload_size as usize + 64 * 1024);
        let payload = web::Payload::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
            }
            let payload = payload.await.map_err(|_| {
                ApiError::bad_request("malformed_request", "the request body could not be read")
            })?;
            let bytes = match payload.to_bytes_limited(limit).await {
                Ok(Ok(b)) => b,
                Ok(Err(_)) => {
                    return Err(ApiError::bad_request(
                        "malformed_request",
                        "the request body could not be read",
                    ));
                }
                Err(_) => return Err(ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE)),
            };
            let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::bad_request("malformed_request", format!("malformed JSON: {e}"))
            })?;
            if depth(&value) > MAX_DEPTH {
                return Err(ApiError::bad_request(
                    "malformed_request",
                    "JSON nested deeper than 32 levels",
                ));
            }
            match value {
                Value::Object(map) => Ok(JsonObject(map)),
                _ => Err(ApiError::bad_request(
                    "malformed_request",
                    "the body must be a JSON object",
                )),
            }
        })
    }
}
