//! Read pool: r2d2 connections with `query_only`, used on tokio's blocking threads so a
//! slow query never stalls an HTTP worker.
use super::{StoreError, pragmas};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use std::path::Path;

#[derive(Clone)]
pub struct Reads {
    pool: r2d2::Pool<SqliteConnectionManager>,
}

impl Reads {
    pub fn open(path: &Path, size: u32) -> Result<Reads, StoreError> {
        let manager = SqliteConnectionManager::file(path).with_init(|c| pragmas::reader(c));
        let pool = r2d2::Pool::builder().max_size(size).build(manager)?;
        Ok(Reads { pool })
    }

    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let conn = pool.get().map_err(StoreError::from)?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::Join(e.to_string()))?
    }

    /// Runs `f` now on this thread if a connection is free, else None: for a quick query where
    /// waiting is worse than skipping (gauges refreshed on scrape).
    pub fn try_read_now<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Option<T> {
        let conn = self.pool.try_get()?;
        f(&conn).ok()
    }

    /// Blocking variant for CLI commands that run outside the async runtime.
    pub fn read_blocking<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let conn = self.pool.get().map_err(StoreError::from)?;
        f(&conn)
    }
}
