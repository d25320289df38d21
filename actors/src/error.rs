//! Engine errors: what a service call can answer. The HTTP edge maps each to one status and
//! stable code; `Store` is the only one that means "our fault" (500, logged in full).
use crate::domain::FieldError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// 422 with a stable code (`validation_failed`, `first_user_must_be_admin` ...).
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        details: Vec<FieldError>,
    },
    /// 404: missing, or existing only under a client the caller cannot see.
    #[error("{0} not found")]
    NotFound(String),
    /// 403 with a stable code (`forbidden`, `first_run_loopback_only`).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// 401.
    #[error("{0}")]
    Unauthorized(String),
    /// 409 with a stable code.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 409 with a stable code that names the fields involved (`floater_double_booked`,
    /// `has_dependents` ...).
    #[error("{message}")]
    ConflictOn {
        code: &'static str,
        message: String,
        details: Vec<FieldError>,
    },
    /// 429 with a stable code and seconds to wait.
    #[error("{message}")]
    TooMany {
        code: &'static str,
        message: String,
        retry_after: u64,
    },
    /// 503: a bounded queue is full.
    #[error("the service is busy")]
    Busy,
    #[error("internal error: {0}")]
    Store(#[from] StoreError),
}

impl EngineError {
    pub fn invalid(details: Vec<FieldError>) -> Self {
        EngineError::Invalid {
            code: "validation_failed",
            message: "Some fields are invalid".into(),
            details,
        }
    }
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        EngineError::Forbidden {
            code: "forbidden",
            message: message.into(),
        }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        EngineError::Conflict {
            code,
            message: message.into(),
        }
    }
    /// A 409 naming `field` (its detail carries the message too).
    pub fn conflict_on(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        EngineError::ConflictOn {
            code,
            details: vec![FieldError::new(field, message.clone())],
            message,
        }
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        EngineError::NotFound(what.into())
    }
    /// A unique-constraint failure becomes `duplicate_id`; a full writer becomes `Busy`.
    pub fn from_store_dup(e: StoreError, message: impl Into<String>) -> Self {
        if e.is_unique_violation() {
            EngineError::conflict("duplicate_id", message)
        } else {
            e.into()
        }
    }
}

/// A full writer queue is back-pressure, not a failure.
pub fn map_busy(e: EngineError) -> EngineError {
    match e {
        EngineError::Store(StoreError::WriterBusy) => EngineError::Busy,
        other => other,
    }
}

impl From<rusqlite::Error> for EngineError {
    fn from(e: rusqlite::Error) -> Self {
        EngineError::Store(StoreError::Sqlite(e))
    }
}
