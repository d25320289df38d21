//! KPI_SCRIPTS: versioned formula sources. The database is authoritative; at start each
//! `<kpi>.rhai` of KPI_SCRIPTS_DIR is imported as a new global version when none exists, or
//! when it differs from the last file-imported version and the current global version came
//! from a file (kpis.md §6.1). A file that fails its check is skipped and reported.
use super::cases::run_cases;
use super::script::Sandbox;
use super::{KPI_NAMES, float_keys};
use crate::domain::time::now_ts;
use crate::error::EngineError;
use crate::store::{Reads, StoreError, Writer};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct CurrentScript {
    pub version: i64,
    pub source: Arc<str>,
    /// "global" or "client".
    pub scope: &'static str,
}

/// The script in force for a client: its current override, else the current global version.
pub fn effective(
    conn: &Connection,
    name: &str,
    client_id: &str,
) -> Result<Option<CurrentScript>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT version, source, client_id IS NOT NULL FROM kpi_scripts WHERE name = ?1 AND is_current = 1 \
             AND (client_id = ?2 OR client_id IS NULL) ORDER BY client_id IS NULL LIMIT 1",
        )?
        .query_row(params![name, client_id], |r| {
            let src: String = r.get(1)?;
            Ok(CurrentScript { version: r.get(0)?, source: Arc::from(src), scope: if r.get::<_, bool>(2)? { "client" } else { "global" } })
        })
        .optional()?;
    Ok(row)
}

/// Compiles the source and runs its @case lines; Err with a printable reason.
pub fn check_source(sandbox: &Sandbox, name: &str, source: &str) -> Result<(), String> {
    sandbox.compile(source).map_err(|f| {
        format!(
            "{}:{}: {}",
            f.diagnostic.line, f.diagnostic.column, f.diagnostic.message
        )
    })?;
    let results = run_cases(sandbox, name, source, float_keys(name)).map_err(|d| {
        d.iter()
            .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    if results.is_empty() {
        return Err("the script has no @case lines (at least one is required)".into());
    }
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            format!(
                "case \"{}\" (line {}): {}",
                r.name,
                r.line,
                r.message.clone().unwrap_or_default()
            )
        })
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

/// Imports the formula files; returns the names that failed their check.
pub async fn import_files(
    writer: &Writer,
    reads: &Reads,
    dir: &Path,
) -> Result<Vec<String>, EngineError> {
    let sandbox = Sandbox::new();
    let mut failures = Vec::new();
    for name in KPI_NAMES {
        let path = dir.join(format!("{name}.rhai"));
        let Ok(source) = std::fs::read_to_string(&path) else {
            continue;
        };
        if let Err(e) = check_source(&sandbox, name, &source) {
            tracing::warn!(file = %path.display(), error = %e, "formula file failed its check; not imported");
            failures.push(name.to_owned());
            continue;
        }
        let n = name.to_owned();
        let decision = reads
            .read(move |c| -> Result<_, StoreError> {
                let current: Option<(String, String)> = c
                    .query_row("SELECT source, source_origin FROM kpi_scripts WHERE name = ?1 AND client_id IS NULL AND is_current = 1", [&n], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let last_file: Option<String> = c
                    .query_row("SELECT source FROM kpi_scripts WHERE name = ?1 AND source_origin = 'file' ORDER BY version DESC LIMIT 1", [&n], |r| r.get(0))
                    .optional()?;
                Ok((current, last_file))
            })
            .await?;
        let import = match &decision {
            (None, _) => true,
            (Some((_, origin)), last_file) => {
                last_file.as_deref() != Some(source.as_str()) && origin == "file"
            }
        };
        if !import {
            if decision.1.as_deref() != Some(source.as_str()) {
                tracing::warn!(
                    kpi = name,
                    "formula file changed but the current version was published by an admin; file skipped"
                );
            }
            continue;
        }
        let n = name.to_owned();
        writer
            .write(move |tx| -> Result<(), StoreError> {
                let version: i64 = tx.query_row("SELECT coalesce(max(version), 0) + 1 FROM kpi_scripts WHERE name = ?", [&n], |r| r.get(0))?;
                tx.execute("UPDATE kpi_scripts SET is_current = 0 WHERE name = ?1 AND client_id IS NULL AND is_current = 1", [&n])?;
                tx.execute(
                    "INSERT INTO kpi_scripts (name, version, client_id, source, comment, source_origin, is_current, created_by, created_at) \
                     VALUES (?1, ?2, NULL, ?3, 'imported from kpi-scripts/', 'file', 1, 'SYSTEM', ?4)",
                    params![n, version, source, now_ts()],
                )?;
                Ok(())
            })
            .await?;
        tracing::info!(kpi = name, "formula file imported");
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::check_source;
    use crate::kpi::script::Sandbox;

    #[test]
    fn every_default_script_passes_its_cases() {
        let sandbox = Sandbox::new();
        let mut failures = Vec::new();
        for name in super::super::KPI_NAMES {
            let path = format!(
                concat!(env!("CARGO_MANIFEST_DIR"), "/../kpi-scripts/{}.rhai"),
                name
            );
            let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            if let Err(e) = check_source(&sandbox, name, &source) {
                failures.push(format!("{name}.rhai: {e}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
