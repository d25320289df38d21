//! Checks shared by backup verification and `kpi-ops restore`: is it SQLite, is it intact,
//! which schema version, how many rows, what checksum. Everything here opens files itself and
//! blocks, so it runs on the backup actor's thread or in the CLI, never on an async thread.
use crate::store::migrations;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The file starts with SQLite's header (an empty or random file is refused before SQLite
/// would treat it as a new database).
pub fn is_sqlite_file(path: &Path) -> Result<(), String> {
    let mut head = [0u8; 16];
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match f.read_exact(&mut head) {
        Ok(()) if &head == SQLITE_MAGIC => Ok(()),
        _ => Err(format!("{} is not an SQLite database", path.display())),
    }
}

pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Rows per user table.
pub fn row_counts(conn: &Connection) -> rusqlite::Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = BTreeMap::new();
    for name in names {
        let quoted = name.replace('"', "\"\"");
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| {
            r.get(0)
        })?;
        out.insert(name, n);
    }
    Ok(out)
}

/// `PRAGMA integrity_check`: `ok`, or its findings joined with `; `.
pub fn integrity(conn: &Connection) -> rusqlite::Result<String> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows.join("; "))
}

/// What a database file holds, read without changing it.
pub struct Inspection {
    pub integrity: String,
    pub schema_version: usize,
    pub row_counts: BTreeMap<String, i64>,
}

/// Opens `path` read-only and checks it: SQLite header, integrity, schema not newer than this
/// binary. Errors are one sentence for an operator.
pub fn inspect(path: &Path) -> Result<Inspection, String> {
    is_sqlite_file(path)?;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let bad = |e: rusqlite::Error| format!("{} is not a readable database: {e}", path.display());
    let integrity = integrity(&conn).map_err(bad)?;
    if integrity != "ok" {
        return Err(format!(
            "{} failed PRAGMA integrity_check: {integrity}",
            path.display()
        ));
    }
    let schema_version = migrations::current_version(&conn).map_err(|e| e.to_string())?;
    if schema_version > migrations::latest_version() {
        return Err(format!(
            "{} has schema version {schema_version}, newer than this binary's {}",
            path.display(),
            migrations::latest_version()
        ));
    }
    let row_counts = row_counts(&conn).map_err(bad)?;
    Ok(Inspection {
        integrity,
        schema_version,
        row_counts,
    })
}

/// The test restore: copy into `scratch`, open it the way `serve` would (read-write), and
/// compare the schema version and every table's row count with what the backup captured.
pub fn test_restore(
    copy: &Path,
    scratch: &Path,
    schema_version: usize,
    counts: &BTreeMap<String, i64>,
) -> Result<(), String> {
    std::fs::create_dir_all(scratch).map_err(|e| e.to_string())?;
    let target = scratch.join("restore-test.db");
    std::fs::copy(copy, &target).map_err(|e| format!("copy for the test restore: {e}"))?;
    let result = (|| {
        let conn = Connection::open(&target).map_err(|e| e.to_string())?;
        let version = migrations::current_version(&conn).map_err(|e| e.to_string())?;
        if version != schema_version {
            return Err(format!(
                "schema version {version} after the test restore, expected {schema_version}"
            ));
        }
        let got = row_counts(&conn).map_err(|e| e.to_string())?;
        if &got != counts {
            return Err("row counts differ after the test restore".to_owned());
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(scratch);
    result
}
