//! Batch and CSV ingestion (ingest.md): `/api/{res}/batch`, `/api/{res}/csv-upload`, their
//! `/preview`s, `/api/imports/{token}/confirm`, the import log, and the `Idempotency-Key`
//! helpers the creating routes share. Bodies are read here (bounded while streaming); JSON,
//! multipart and the SHA-256 of the payload are worked out on a blocking thread; parsing the
//! rows happens in the engine's ingest actor.
use super::AppState;
use super::auth::Auth;
use super::multipart;
use crate::error::{ApiError, ApiResult, current_request_id};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use kpi_engine::resources::{Resource, defs};
use kpi_engine::services::ingest::{
    IdemKey, ImportListParams, ImportOptions, ImportRequest, Payload, Reply,
};
use kpi_engine::store::idempotency::{request_hash, sha256_hex, valid_key};
use serde_json::{Map, Value};

/// Multipart framing allowed on top of MAX_UPLOAD_SIZE (clarification: the limit is the file's).
const FRAMING: usize = 64 * 1024;
const MAX_DEPTH: usize = 32;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/imports", web::get().to(list_imports))
        .route("/api/imports/{token}/confirm", web::post().to(confirm))
        .route("/api/imports/{token}/rows", web::get().to(preview_rows));
    for res in defs::ALL {
        let base = format!("/api/{}", res.name);
        cfg.route(&format!("{base}/batch"), web::post().to(batch))
            .route(
                &format!("{base}/batch/preview"),
                web::post().to(batch_preview),
            )
            .route(&format!("{base}/csv-upload"), web::post().to(csv_upload))
            .route(
                &format!("{base}/csv-upload/preview"),
                web::post().to(csv_preview),
            );
    }
}

fn resource(req: &HttpRequest) -> ApiResult<&'static Resource> {
    let name = req
        .path()
        .trim_start_matches("/api/")
        .split('/')
        .next()
        .unwrap_or("");
    defs::find(name).ok_or_else(|| ApiError::from_status(StatusCode::NOT_FOUND))
}

/// The engine's answer as sent; a replay carries `Idempotent-Replay: true`.
pub fn render(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    if reply.replayed {
        res.insert_header(("Idempotent-Replay", "true"));
    }
    res.content_type("application/json")
        .body(reply.body.to_string())
}

/// The `Idempotency-Key` header: None when absent, 400 when not 1–200 printable ASCII.
pub fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(raw) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    match raw.to_str() {
        Ok(k) if valid_key(k) => Ok(Some(k.to_owned())),
        _ => Err(ApiError::bad_request(
            "invalid_parameter",
            "Idempotency-Key must be 1-200 printable ASCII characters",
        )
        .with_detail("Idempotency-Key", "1-200 printable ASCII characters")),
    }
}

/// SHA-256 of method, path, query and the payload's digest (plus multipart part names).
fn idem_key(req: &HttpRequest, key: String, extra: &[&[u8]]) -> IdemKey {
    let mut parts: Vec<&[u8]> = vec![
        req.method().as_str().as_bytes(),
        req.path().as_bytes(),
        req.query_string().as_bytes(),
    ];
    parts.extend_from_slice(extra);
    IdemKey {
        key,
        request_hash: request_hash(&parts),
    }
}

/// The key of a JSON create: method, path, query and the body's digest.
pub fn json_idem_key(req: &HttpRequest, key: String, body: &Map<String, Value>) -> IdemKey {
    let canonical = serde_json::to_vec(body).unwrap_or_default();
    let digest = sha256_hex(&canonical);
    idem_key(req, key, &[digest.as_bytes()])
}

fn all_or_nothing(req: &HttpRequest) -> ApiResult<bool> {
    let query =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string()).map_err(|_| {
            ApiError::bad_request("invalid_parameter", "the query string could not be read")
        })?;
    let mut value = false;
    for (k, v) in query.into_inner() {
        if k == "all_or_nothing" {
            value = match v.as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(ApiError::bad_request(
                        "invalid_parameter",
                        "all_or_nothing must be true or false",
                    )
                    .with_detail("all_or_nothing", "true or false"));
                }
            };
        }
    }
    Ok(value)
}

fn content_type(req: &HttpRequest) -> &str {
    req.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("The upload is larger than MAX_UPLOAD_SIZE ({max} bytes)"),
    )
}

/// Reads the body, stopping with 413 as soon as it passes `limit`.
async fn read_body(payload: web::Payload, limit: usize, max: u64) -> ApiResult<Bytes> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(_)) => Err(ApiError::bad_request(
            "malformed_request",
            "the request body could not be read",
        )),
        Err(_) => Err(too_large(max)),
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// A JSON object body (415 / 413 / 400 as `JsonObject`), parsed on a blocking thread, with
/// the SHA-256 of its bytes.
async fn json_body(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<(Map<String, Value>, String)> {
    let is_json = content_type(req)
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    let max = state.config.max_upload_size;
    let bytes = read_body(payload, max as usize + FRAMING, max).await?;
    web::block(move || {
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
            Value::Object(map) => Ok((map, sha256_hex(&bytes))),
            _ => Err(ApiError::bad_request(
                "malformed_request",
                "the body must be a JSON object",
            )),
        }
    })
    .await
    .map_err(|_| ApiError::from_status(StatusCode::SERVICE_UNAVAILABLE))?
}

/// The parts of a CSV upload.
struct Upload {
    file: Vec<u8>,
    file_name: Option<String>,
    client_id: Option<String>,
    file_sha256: String,
    part_names: String,
}

async fn multipart_body(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<Upload> {
    let boundary = multipart::boundary(content_type(req)).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Use Content-Type: multipart/form-data with a part named file",
        )
    })?;
    let max = state.config.max_upload_size;
    let body = read_body(payload, max as usize + FRAMING, max).await?;
    web::block(move || {
        let parts = multipart::parse(&body, &boundary).map_err(|e| {
            ApiError::bad_request(
                "malformed_request",
                format!("malformed multipart body: {e}"),
            )
        })?;
        let file = parts.iter().find(|p| p.name == "file").ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "The upload needs a part named file",
            )
            .with_detail("file", "is required")
        })?;
        if file.data.len() as u64 > max {
            return Err(too_large(max));
        }
        let client_id = parts
            .iter()
            .find(|p| p.name == "client_id")
            .map(|p| {
                String::from_utf8_lossy(&body[p.data.clone()])
                    .trim()
                    .to_owned()
            })
            .filter(|c| !c.is_empty());
        let mut names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        let bytes = body[file.data.clone()].to_vec();
        Ok(Upload {
            file_sha256: sha256_hex(&bytes),
            file: bytes,
            file_name: file.filename.clone(),
            client_id,
            part_names: names.join(","),
        })
    })
    .await
    .map_err(|_| ApiError::from_status(StatusCode::SERVICE_UNAVAILABLE))?
}

async fn batch_request(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<ImportRequest> {
    let res = resource(req)?;
    let all_or_nothing = all_or_nothing(req)?;
    let key = idempotency_key(req)?;
    let (body, sha) = json_body(state, req, payload).await?;
    Ok(ImportRequest {
        res,
        payload: Payload::Batch { body },
        options: ImportOptions {
            idem: key.map(|k| idem_key(req, k, &[sha.as_bytes()])),
            payload_sha256: sha,
            all_or_nothing,
            request_id: current_request_id(),
        },
    })
}

async fn csv_request(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<ImportRequest> {
    let res = resource(req)?;
    if !state.config.enable_csv_upload {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "feature_disabled",
            "CSV upload is disabled on this server (ENABLE_CSV_UPLOAD=false)",
        ));
    }
    let all_or_nothing = all_or_nothing(req)?;
    let key = idempotency_key(req)?;
    let up = multipart_body(state, req, payload).await?;
    // Part names, the upload's client_id and the file bytes; never the random boundary.
    let client = up.client_id.clone().unwrap_or_default();
    let idem = key.map(|k| {
        let parts = [
            up.part_names.as_bytes(),
            client.as_bytes(),
            up.file_sha256.as_bytes(),
        ];
        idem_key(req, k, &parts)
    });
    Ok(ImportRequest {
        res,
        payload: Payload::Csv {
            bytes: up.file,
            upload_client: up.client_id,
            file_name: up.file_name,
        },
        options: ImportOptions {
            payload_sha256: up.file_sha256,
            all_or_nothing,
            idem,
            request_id: current_request_id(),
        },
    })
}

async fn batch(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let r = batch_request(&state, &req, payload).await?;
    Ok(render(state.engine.import(&auth.0, r).await?))
}

async fn batch_preview(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let r = batch_request(&state, &req, payload).await?;
    Ok(render(state.engine.preview_import(&auth.0, r).await?))
}

async fn csv_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let r = csv_request(&state, &req, payload).await?;
    Ok(render(state.engine.import(&auth.0, r).await?))
}

async fn csv_preview(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let r = csv_request(&state, &req, payload).await?;
    Ok(render(state.engine.preview_import(&auth.0, r).await?))
}

async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let all_or_nothing = all_or_nothing(&req)?;
    let key = idempotency_key(&req)?;
    let idem = key.map(|k| idem_key(&req, k, &[]));
    let reply = state
        .engine
        .confirm_import(
            &auth.0,
            path.into_inner(),
            all_or_nothing,
            idem,
            current_request_id(),
        )
        .await?;
    Ok(render(reply))
}

fn query(req: &HttpRequest, allowed: &[&str]) -> ApiResult<Vec<(String, String)>> {
    let q = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|_| {
            ApiError::bad_request("invalid_parameter", "the query string could not be read")
        })?
        .into_inner();
    if let Some((k, _)) = q.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!("unknown query parameter {k}"),
        )
        .with_detail(k, format!("parameters: {}", allowed.join(", "))));
    }
    Ok(q)
}

async fn list_imports(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
) -> ApiResult<HttpResponse> {
    let mut p = ImportListParams::default();
    let allowed = ["client_id", "resource", "from", "to", "limit", "cursor"];
    for (k, v) in query(&req, &allowed)? {
        let slot = match k.as_str() {
            "client_id" => &mut p.client_id,
            "resource" => &mut p.resource,
            "from" => &mut p.from,
            "to" => &mut p.to,
            "limit" => &mut p.limit,
            _ => &mut p.cursor,
        };
        *slot = Some(v);
    }
    Ok(HttpResponse::Ok().json(state.engine.list_imports(&auth.0, p).await?))
}

async fn preview_rows(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let (mut cursor, mut limit) = (None, None);
    for (k, v) in query(&req, &["cursor", "limit"])? {
        if k == "cursor" {
            cursor = Some(v);
        } else {
            limit = Some(v);
        }
    }
    let page = state
        .engine
        .preview_rows(&auth.0, path.into_inner(), cursor, limit)
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `POST /api/{res}` with an `Idempotency-Key` (the hook in `records::create`).
pub async fn create_idempotent(
    state: &AppState,
    req: &HttpRequest,
    auth: &Auth,
    res: &'static Resource,
    body: Map<String, Value>,
    key: String,
) -> ApiResult<HttpResponse> {
    let idem = json_idem_key(req, key, &body);
    let reply = state
        .engine
        .create_record_idempotent(&auth.0, res, body, idem)
        .await?;
    Ok(render(reply))
}
