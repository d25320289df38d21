//! `kpi-engine`: domain types, the SQLite store and the actors behind small handles.
//! The HTTP edge (`kpi-ops`) only sees `Engine` and the types it returns.
pub mod backup;
pub mod domain;
pub mod engine;
pub mod error;
pub mod ingest;
pub mod kpi;
pub mod mailer;
pub mod metrics;
pub mod reports;
pub mod request;
pub mod resources;
pub mod scheduler;
pub mod services;
pub mod store;
pub mod tenant;

pub use engine::{Engine, EngineConfig, WeakEngine};
pub use error::EngineError;
