//! Logging set-up and the request-id span: the same id is in the logs, in `X-Request-Id` and
//! in error bodies, so a quoted id leads to the cause.
use crate::error::REQUEST_ID;
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Incoming id when short and printable, else a fresh one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(new_id)
}

pub fn new_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("OS randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id(&req);
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let quiet = route.starts_with("/health") || route == "/metrics";
    let span = tracing::info_span!("http", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut res = REQUEST_ID
        .scope(id.clone(), next.call(req).instrument(span.clone()))
        .await?;
    let status = res.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let _e = span.enter();
    if quiet {
        tracing::debug!(status, duration_ms = ms, "request");
    } else {
        tracing::info!(status, duration_ms = ms, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    Ok(res)
}

/// stderr (journald), text or JSON lines; with LOG_FILE also appended to that file (same
/// lines, no colours). The file is opened with O_APPEND, so logrotate's `copytruncate` needs no
/// reopen. A file that cannot be opened is reported and logging carries on to stderr.
pub fn init(level: &str, json: bool, file: Option<&std::path::Path>) {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::writer::{BoxMakeWriter, MakeWriterExt};
    let filter = EnvFilter::try_new(format!("{level},actix_server=warn,actix_web=warn"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let file = file.and_then(|p| {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .inspect_err(|e| {
                eprintln!(
                    "LOG_FILE: cannot open {}: {e}; logging to stderr only",
                    p.display()
                )
            })
            .ok()
    });
    // Logs go to stderr: stdout carries command results (`user create` prints the user id).
    let ansi = file.is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let writer = match file {
        Some(f) => BoxMakeWriter::new(std::io::stderr.and(std::sync::Mutex::new(f))),
        None => BoxMakeWriter::new(std::io::stderr),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_writer(writer);
    let result = if json {
        // Event fields (message, status, duration_ms) at the top level, as operations.md §4 lists them.
        builder.json().flatten_event(true).try_init()
    } else {
        builder.with_ansi(ansi).try_init()
    };
    let _ = result; // already initialised (tests start several servers in one process)
}
