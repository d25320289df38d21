//! Rows inside the writer's transaction. The whole import is one writer job (it commits whole
//! or not at all); each row runs in its own savepoint, so a failing row rolls back alone and
//! the others stay (partial success). The writer hands the job a plain `&Connection`, so the
//! savepoints are issued as SQL.
use super::{RowError, row_errors};
use crate::domain::Caller;
use crate::error::EngineError;
use crate::resources::Resource;
use crate::resources::validate::Warning;
use crate::services::records::{Echo, Limits, Prepared, insert_prepared};
use rusqlite::Connection;
use serde_json::Value;
use std::collections::BTreeSet;

/// What running the rows did.
#[derive(Default)]
pub struct RowsRun {
    /// (line, warnings) of every inserted row, in order (the rows themselves are not kept:
    /// an import answers with counts and row errors).
    pub inserted: Vec<(u64, Vec<Warning>)>,
    pub errors: Vec<RowError>,
    /// Clients of the inserted rows.
    pub clients: BTreeSet<String>,
}

/// Opens a named savepoint; `rollback` undoes everything since, `release` keeps it.
pub struct Savepoint<'c> {
    conn: &'c Connection,
    name: &'static str,
}

impl<'c> Savepoint<'c> {
    pub fn open(conn: &'c Connection, name: &'static str) -> Result<Self, EngineError> {
        run(conn, &format!("SAVEPOINT {name}"))?;
        Ok(Savepoint { conn, name })
    }
    pub fn release(self) -> Result<(), EngineError> {
        run(self.conn, &format!("RELEASE {}", self.name))
    }
    pub fn rollback(self) -> Result<(), EngineError> {
        run(self.conn, &format!("ROLLBACK TO {}", self.name))?;
        run(self.conn, &format!("RELEASE {}", self.name))
    }
}

/// Cached statements: a savepoint per row of a 100 000-row file is parsed once.
fn run(conn: &Connection, sql: &str) -> Result<(), EngineError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Inserts each row in its own savepoint. `import_id` is stamped on rows of entry tables
/// (their link to the import; such rows are audited once per import, not per row).
pub fn insert_rows(
    tx: &Connection,
    limits: &Limits,
    caller: &Caller,
    res: &'static Resource,
    rows: Vec<(u64, Prepared)>,
    entry_method: &str,
    import_id: &str,
) -> Result<RowsRun, EngineError> {
    let mut run = RowsRun::default();
    for (line, mut prepared) in rows {
        if res.is_entry {
            prepared
                .record
                .insert("import_id".into(), Value::String(import_id.to_owned()));
        }
        let client = res.client_of(&prepared.record).map(str::to_owned);
        let sp = Savepoint::open(tx, "ingest_row")?;
        match insert_prepared(
            tx,
            limits,
            caller,
            res,
            prepared,
            entry_method,
            Echo::WarningsOnly,
        ) {
            Ok(saved) => {
                sp.release()?;
                if let Some(c) = res.client_of(&saved.record) {
                    run.clients.insert(c.to_owned());
                }
                run.inserted.push((line, saved.warnings));
            }
            Err(e) => {
                sp.rollback()?;
                run.errors.extend(row_errors(line, client.as_deref(), e)?);
            }
        }
    }
    Ok(run)
}
