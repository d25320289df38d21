//! Every connection is opened here, so every pragma is set in one place and explained once.
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// The single write connection.
pub fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // WAL: readers never block the writer and vice versa.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL (spec clarification): a confirmed write survives power loss. Commits are batched,
    // so this costs one fsync per batch, not per request.
    conn.pragma_update(None, "synchronous", "FULL")?;
    common(&conn)?;
    conn.pragma_update(None, "cache_size", -8_000)?; // 8 MB page cache for the writer
    Ok(conn)
}

/// Settings shared by the writer and the read pool.
pub fn common(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A backup or checkpoint may hold a lock briefly; wait instead of failing.
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // rusqlite keeps 16 prepared statements by default; one imported row runs more distinct
    // statements than that (permit, checks, references, id sequence, insert, re-read), so
    // the LRU thrashed and every row re-parsed its SQL.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Prepared statements kept per connection (a few hundred distinct SQL texts in all).
const STATEMENT_CACHE: usize = 256;

/// Read-pool connections can never write, even by mistake.
pub fn reader(conn: &Connection) -> rusqlite::Result<()> {
    common(conn)?;
    conn.pragma_update(None, "query_only", "ON")?;
    // 4 MB per reader: the OS page cache holds the hot pages anyway, and RSS stays small.
    conn.pragma_update(None, "cache_size", -4_000)?;
    Ok(())
}
