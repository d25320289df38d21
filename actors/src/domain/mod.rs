//! Domain types: parsed once at the edge, no I/O. Everything here is plain data.
pub mod ids;
pub mod role;
pub mod scope;
pub mod time;
pub mod tz;

pub use ids::ClientId;
pub use role::Role;
pub use scope::{ClientWrite, RowWrite, SharedWrite, TenantScope};

use serde::Serialize;

/// One invalid field, as it appears in the error body's `details`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Who is asking: built by the edge's auth extractor from a verified token and a fresh read
/// of the user, then handed to every service call.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub role: Role,
    pub scope: TenantScope,
}

impl Caller {
    /// The engine's own jobs (demo loader, scheduler).
    pub fn system() -> Caller {
        Caller {
            user_id: "SYSTEM".into(),
            role: Role::Admin,
            scope: TenantScope::All,
        }
    }
}
