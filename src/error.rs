//! The one JSON error body: `{"error": {"code", "message", "details", "request_id"}}`.
//! Every failure leaves through here, including extractor failures and unknown routes.
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use kpi_engine::EngineError;
use kpi_engine::domain::FieldError;
use serde_json::json;
use std::fmt;

/// The request id of the request being served (set by `telemetry::request_id`); the engine
/// owns the task-local so its audit rows can name the request.
pub use kpi_engine::request::REQUEST_ID;

pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn with_detail(mut self, field: &str, message: impl Into<String>) -> Self {
        self.details.push(FieldError::new(field, message));
        self
    }
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
    /// Default code for a bare status (used for framework errors without a code of ours).
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status.as_u16() {
            400 => ("malformed_request", "The request could not be read"),
            401 => ("unauthorized", "Authentication required"),
            403 => ("forbidden", "Forbidden"),
            404 => ("not_found", "No such resource"),
            405 => ("method_not_allowed", "Method not allowed on this route"),
            413 => ("payload_too_large", "The request body is too large"),
            415 => (
                "unsupported_media_type",
                "Use Content-Type: application/json",
            ),
            429 => ("rate_limited", "Too many requests"),
            503 => ("overloaded", "The service is busy; retry shortly"),
            s if s >= 500 => (
                "internal_error",
                "Internal error; quote the request id when reporting it",
            ),
            _ => ("malformed_request", "The request could not be processed"),
        };
        Self::new(status, code, message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = json!({"error": {"code": self.code, "message": self.message, "details": self.details, "request_id": current_request_id()}});
        let mut res = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        res.content_type("application/json").body(body.to_string())
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Invalid {
                code,
                message,
                details,
            } => ApiError {
                details,
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            },
            EngineError::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            EngineError::Forbidden { code, message } => {
                ApiError::new(StatusCode::FORBIDDEN, code, message)
            }
            EngineError::Unauthorized(message) => ApiError::unauthorized(message),
            EngineError::Conflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            EngineError::ConflictOn {
                code,
                message,
                details,
            } => ApiError {
                details,
                ..ApiError::new(StatusCode::CONFLICT, code, message)
            },
            EngineError::TooMany {
                code,
                message,
                retry_after,
            } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message).retry_after(retry_after)
            }
            EngineError::Busy => {
                ApiError::from_status(StatusCode::SERVICE_UNAVAILABLE).retry_after(1)
            }
            EngineError::Store(e) => {
                // The cause goes to the log, never to the client.
                tracing::error!(error = %e, request_id = %current_request_id(), "internal error");
                ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
