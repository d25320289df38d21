//! `kpi-engine`: domain types, the SQLite store and the actors behind small handles.
//! The HTTP edge (`kpi-ops`) only sees `Engine` and the types it returns.
pub mod domain;
pub mod engine;
pub mod error;
pub mod ingest;
pub mod kpi;
pub mod mailer;
pub mod metrics;
pub mod reports;
pub mod resources;
pub mod services;
pub mod store;

pub use engine::{Engine, EngineConfig};
pub use error::EngineError;
