//! SQLite store: one writer thread owns the only write connection and commits batched
//! transactions; reads go through an r2d2 pool on blocking threads. Query modules take a
//! `TenantScope` (reads) or a `ClientWrite` (writes).
pub mod migrations;
pub mod pragmas;
pub mod reads;
pub mod rows;
pub mod writer;

pub mod audit;
pub mod clients;
pub mod housekeeping;
pub mod idempotency;
pub mod imports;
pub mod outbox;
pub mod sequences;
pub mod settings;
pub mod standards;
pub mod users;

pub use reads::Reads;
pub use writer::{WriteTx, Writer};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("read pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("migration: {0}")]
    Migration(String),
    #[error("background task failed: {0}")]
    Join(String),
    #[error("writer is gone")]
    WriterGone,
    #[error("writer queue is full")]
    WriterBusy,
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    /// True when SQLite refused a row because of a UNIQUE / PRIMARY KEY constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
               || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    }
}
