//! Embedded migrations (`migrations/NNNN-name/up.sql`), applied by `serve`, `migrate` and `demo`.
//! The schema version is also kept in `schema_meta`, and `user_version` is repaired from it at
//! start, so a database restored from an SQL dump (which loses `user_version`) starts cleanly.
use super::StoreError;
use include_dir::{Dir, include_dir};
use rusqlite::{Connection, OptionalExtension};
use rusqlite_migration::Migrations;
use std::sync::LazyLock;

static DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/../migrations");
static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::from_directory(&DIR).expect("embedded migrations are tested"));

/// The schema version this binary brings.
pub fn latest_version() -> usize {
    DIR.dirs().count()
}

pub fn current_version(conn: &Connection) -> Result<usize, StoreError> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(v as usize)
}

/// The schema version of a database file, read without migrating (`migrate --dry-run`).
pub fn version_of_file(path: &std::path::Path) -> Result<usize, StoreError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    current_version(&conn)
}

/// Repair `user_version` from `schema_meta`, refuse a database newer than the binary, migrate.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    repair_user_version(conn)?;
    let current = current_version(conn)?;
    if current > latest_version() {
        return Err(StoreError::Migration(format!(
            "database schema version {current} is newer than this binary's {}; install a newer release",
            latest_version()
        )));
    }
    MIGRATIONS
        .to_latest(conn)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    conn.execute(
        "UPDATE schema_meta SET schema_version = ?1, applied_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = 1 AND schema_version <> ?1",
        [latest_version() as i64],
    )?;
    Ok(())
}

fn repair_user_version(conn: &Connection) -> Result<(), StoreError> {
    let has_meta: bool = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_meta'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !has_meta {
        return Ok(());
    }
    let stored: Option<i64> = conn
        .query_row(
            "SELECT schema_version FROM schema_meta WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(stored) = stored
        && current_version(conn)? == 0
    {
        conn.pragma_update(None, "user_version", stored)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_are_valid() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn migrates_an_empty_database_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::pragmas::open_writer(&dir.path().join("t.db")).unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(current_version(&conn).unwrap(), latest_version());
        migrate(&mut conn).unwrap();
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'", [], |r| r.get(0))
            .unwrap();
        assert!(
            tables >= 30,
            "every entity of domain.md has a table, got {tables}"
        );
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }

    #[test]
    fn user_version_is_repaired_from_schema_meta() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::pragmas::open_writer(&dir.path().join("t.db")).unwrap();
        migrate(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", 0).unwrap(); // what an SQL dump + reload leaves
        migrate(&mut conn).unwrap(); // must not try to re-create the tables
        assert_eq!(current_version(&conn).unwrap(), latest_version());
    }
}
