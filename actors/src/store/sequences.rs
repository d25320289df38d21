//! ID_SEQUENCES: per (table, date) counters for server ids like `20251215-PROD-0001`.
use super::StoreError;
use rusqlite::{Connection, params};

/// Next value (from 1) of the sequence; runs inside the writer's transaction, so no gaps race.
pub fn next(tx: &Connection, table: &str, date: &str) -> Result<i64, StoreError> {
    Ok(tx
        .prepare_cached(
            "INSERT INTO id_sequences (table_name, date, next_value) VALUES (?1, ?2, 2) \
             ON CONFLICT (table_name, date) DO UPDATE SET next_value = next_value + 1 RETURNING next_value - 1",
        )?
        .query_row(params![table, date], |r| r.get(0))?)
}
