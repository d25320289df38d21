//! Formula scripts administration (kpis.md §6.4, api.md §8): list, read, check (compile, cases,
//! back-test), publish, rollback and override removal.
//!
//! Drafts are compiled and evaluated on the read pool's blocking threads with a sandbox of their
//! own (the same limits as the KPI actor's), so a runaway draft costs its checker at most the
//! time limit and never stalls the actor that serves the dashboards. Publishing writes the new
//! version, its check report and the audit row in one writer job, and moves the data generation
//! on (every client for a global script, the client for an override) so no cached KPI response
//! outlives the change; the KPI actor's AST cache is keyed by version and needs nothing.
use super::clients::{visible_client, writable_client};
use super::kpis::{oee_inputs, window_inputs};
use crate::domain::time::{now_ts, today_utc};
use crate::domain::{Caller, FieldError, Role};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::kpi::KPI_NAMES;
use crate::kpi::cases::round_half_up;
use crate::kpi::check::{CaseReport, lint};
use crate::kpi::inputs::Window;
use crate::kpi::result::Provenance;
use crate::kpi::script::{
    Diagnostic, EvalContext, Sandbox, ScriptFailure, ScriptFailureKind, ScriptValue,
};
use crate::kpi::scripts::effective;
use crate::store::audit::{self, AuditEntry};
use crate::store::writer;
use chrono::{Datelike, Days, NaiveDate};
use rhai::AST;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Complete ISO weeks a back-test covers (kpis.md §6.4).
pub const BACKTEST_WEEKS: u64 = 8;
/// Longest accepted script source, in bytes (the default scripts are about 2 KiB).
pub const MAX_SOURCE_BYTES: usize = 64 * 1024;
/// Longest publish comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

/// The KPI name of a path, or 404 (the edge answers `unknown_kpi` before it gets here).
pub fn kpi_name(raw: &str) -> Option<&'static str> {
    KPI_NAMES.iter().copied().find(|n| *n == raw)
}

#[derive(Debug, Clone, Serialize)]
pub struct OverrideRef {
    pub client_id: String,
    pub version: i64,
}

/// One line of `GET /api/kpi-scripts`: the current global version and the overrides of visible
/// clients.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptSummary {
    pub name: &'static str,
    pub version: Option<i64>,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
    pub overrides: Vec<OverrideRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    pub version: i64,
    pub client_id: Option<String>,
    pub comment: Option<String>,
    pub source_origin: String,
    pub created_by: String,
    pub created_at: String,
    pub is_current: bool,
}

/// `GET /api/kpi-scripts/{name}[?client_id=]`.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptView {
    pub name: &'static str,
    pub client_id: Option<String>,
    /// "global" or "client": where the script in force comes from.
    pub scope: &'static str,
    pub source: Option<String>,
    pub version: Option<i64>,
    pub history: Vec<HistoryRow>,
}

/// One (client, ISO week) of a back-test. `error` is the proposed script's failure (it makes
/// the check fail); `current_error` the current script's, shown for information.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestRow {
    pub client_id: String,
    /// ISO week, `2025-W50`; `week` carries the same value.
    pub period: String,
    pub week: String,
    pub from: String,
    pub to: String,
    pub current: Option<f64>,
    pub proposed: Option<f64>,
    pub current_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_error: Option<String>,
}

/// The check report (api.md §8). `tests` and `cases` are the same list (the spec's and the
/// editor's name).
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub diagnostics: Vec<Diagnostic>,
    pub tests: Vec<CaseReport>,
    pub cases: Vec<CaseReport>,
    /// False when the back-test was not asked for (`"backtest": false`) or the draft does not compile.
    pub backtest_run: bool,
    pub backtest: Vec<BacktestRow>,
}

impl CheckReport {
    /// The failures as error details (422 `script_check_failed`): diagnostics, failed cases,
    /// back-test evaluation errors.
    fn failure_details(&self) -> Vec<FieldError> {
        let mut details: Vec<FieldError> = self
            .diagnostics
            .iter()
            .map(|d| FieldError::new("source", format!("{}:{}: {}", d.line, d.column, d.message)))
            .collect();
        if self.tests.is_empty() && self.diagnostics.is_empty() {
            details.push(FieldError::new("source", "the script has no @case line"));
        }
        for t in self.tests.iter().filter(|t| !t.pass) {
            details.push(FieldError::new(
                format!("tests.{}", t.case),
                format!(
                    "line {}: {}",
                    t.line,
                    t.message.as_deref().unwrap_or("failed")
                ),
            ));
        }
        for b in &self.backtest {
            if let Some(e) = &b.error {
                details.push(FieldError::new(
                    format!("backtest.{}.{}", b.client_id, b.period),
                    e.clone(),
                ));
            }
        }
        details
    }
}

/// 200 of PUT and of a rollback to a version.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub name: &'static str,
    pub client_id: Option<String>,
    pub scope: &'static str,
    /// The version now in force for the scope (`null` only if no global version exists).
    pub version: Option<i64>,
    /// The version in force for the scope before (for an override: the client's effective one).
    pub previous_version: Option<i64>,
    /// `api` or `rollback`; absent when an override was removed (no new version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_origin: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back_from: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckReport>,
}

/// The body fields of the script routes, parsed with every problem reported at once.
#[derive(Default)]
struct Body {
    source: Option<String>,
    client_id: Option<String>,
    comment: Option<String>,
    backtest: bool,
    /// `Some(None)` = `"version": null`.
    version: Option<Option<i64>>,
}

fn parse_body(body: &Map<String, Value>, allowed: &[&str]) -> Result<Body, EngineError> {
    let mut errors = Vec::new();
    let mut out = Body {
        backtest: true,
        ..Body::default()
    };
    for (k, v) in body {
        if !allowed.contains(&k.as_str()) {
            errors.push(FieldError::new(
                k.as_str(),
                format!("unknown field (allowed: {})", allowed.join(", ")),
            ));
            continue;
        }
        match (k.as_str(), v) {
            ("client_id", Value::Null) => {}
            ("client_id", Value::String(s)) if !s.trim().is_empty() => {
                out.client_id = Some(s.trim().to_owned())
            }
            ("client_id", _) => errors.push(FieldError::new(k, "must be a client id or null")),
            ("source", Value::String(s)) if s.trim().is_empty() => {
                errors.push(FieldError::new(k, "must not be empty"))
            }
            ("source", Value::String(s)) if s.len() > MAX_SOURCE_BYTES => errors.push(
                FieldError::new(k, format!("at most {MAX_SOURCE_BYTES} bytes")),
            ),
            ("source", Value::String(s)) => out.source = Some(s.clone()),
            ("source", _) => errors.push(FieldError::new(k, "must be a string")),
            ("comment", Value::String(s)) if s.trim().is_empty() => {
                errors.push(FieldError::new(k, "must not be empty"))
            }
            ("comment", Value::String(s)) if s.chars().count() > MAX_COMMENT_CHARS => errors.push(
                FieldError::new(k, format!("at most {MAX_COMMENT_CHARS} characters")),
            ),
            ("comment", Value::String(s)) => out.comment = Some(s.trim().to_owned()),
            ("comment", Value::Null) => {}
            ("comment", _) => errors.push(FieldError::new(k, "must be a string")),
            ("backtest", Value::Bool(b)) => out.backtest = *b,
            ("backtest", _) => errors.push(FieldError::new(k, "must be true or false")),
            ("version", Value::Null) => out.version = Some(None),
            ("version", v) => match v.as_i64().filter(|n| *n >= 1) {
                Some(n) => out.version = Some(Some(n)),
                None => errors.push(FieldError::new(k, "must be a version number or null")),
            },
            _ => {}
        }
    }
    if allowed.contains(&"source") && out.source.is_none() && !body.contains_key("source") {
        errors.push(FieldError::new("source", "required"));
    }
    if !errors.is_empty() {
        return Err(EngineError::invalid(errors));
    }
    Ok(out)
}

fn unknown(name: &str) -> EngineError {
    EngineError::not_found(format!("KPI {name}"))
}

/// api.md §3: check = ADMIN, POWERUSER; publish and rollback = ADMIN.
fn require(caller: &Caller, publish: bool) -> Result<(), EngineError> {
    let allowed = if publish {
        caller.role == Role::Admin
    } else {
        matches!(caller.role, Role::Admin | Role::Poweruser)
    };
    if allowed {
        Ok(())
    } else if publish {
        Err(EngineError::forbidden(
            "only an ADMIN publishes or rolls back formula scripts",
        ))
    } else {
        Err(EngineError::forbidden(
            "only an ADMIN or a POWERUSER checks formula scripts",
        ))
    }
}

/// The last `n` complete ISO weeks before `today`, oldest first.
pub fn last_complete_weeks(today: NaiveDate, n: u64) -> Vec<Window> {
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    (1..=n)
        .rev()
        .map(|k| {
            let from = monday - Days::new(7 * k);
            Window {
                from,
                to: from + Days::new(6),
                today,
            }
        })
        .collect()
}

fn iso_week(day: NaiveDate) -> String {
    let w = day.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The version in force for a scope: the client's effective one (override, else global), or the
/// current global version.
fn scope_version(
    c: &Connection,
    name: &str,
    client: Option<&str>,
) -> Result<Option<i64>, EngineError> {
    Ok(match client {
        Some(id) => effective(c, name, id)?.map(|s| s.version),
        None => c
            .query_row(
                "SELECT version FROM kpi_scripts WHERE name = ?1 AND client_id IS NULL AND is_current = 1",
                [name],
                |r| r.get(0),
            )
            .optional()?,
    })
}

fn history(
    c: &Connection,
    name: &str,
    client: Option<&str>,
) -> Result<Vec<HistoryRow>, EngineError> {
    let mut stmt = c.prepare_cached(
        "SELECT version, client_id, comment, source_origin, created_by, created_at, is_current FROM kpi_scripts \
         WHERE name = ?1 AND (client_id IS NULL OR client_id = ?2) ORDER BY version DESC",
    )?;
    let rows = stmt
        .query_map(params![name, client], |r| {
            Ok(HistoryRow {
                version: r.get(0)?,
                client_id: r.get(1)?,
                comment: r.get(2)?,
                source_origin: r.get(3)?,
                created_by: r.get(4)?,
                created_at: r.get(5)?,
                is_current: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A new version of a script, written by the writer in one transaction with its audit row.
struct NewVersion {
    name: &'static str,
    client_id: Option<String>,
    source: String,
    comment: String,
    origin: &'static str,
    report: String,
}

/// Stores `v` as the current version of its scope; returns (version before, new version).
fn insert_version(
    tx: &Connection,
    caller: &Caller,
    v: &NewVersion,
) -> Result<(Option<i64>, i64), EngineError> {
    if let Some(id) = &v.client_id {
        writable_client(tx, caller, id)?;
    }
    let before = scope_version(tx, v.name, v.client_id.as_deref())?;
    let version: i64 = tx.query_row(
        "SELECT coalesce(max(version), 0) + 1 FROM kpi_scripts WHERE name = ?1",
        [v.name],
        |r| r.get(0),
    )?;
    // The partial unique index allows one current row per (name, scope): clear it first.
    tx.execute(
        "UPDATE kpi_scripts SET is_current = 0 WHERE name = ?1 AND client_id IS ?2 AND is_current = 1",
        params![v.name, v.client_id],
    )?;
    tx.execute(
        "INSERT INTO kpi_scripts (name, version, client_id, source, comment, source_origin, check_report, is_current, created_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9)",
        params![v.name, version, v.client_id, v.source, v.comment, v.origin, v.report, caller.user_id, now_ts()],
    )?;
    audit_change(
        tx,
        caller,
        v.name,
        v.client_id.as_deref(),
        before,
        Some(version),
        &v.comment,
    )?;
    Ok((before, version))
}

fn audit_change(
    tx: &Connection,
    caller: &Caller,
    name: &str,
    client: Option<&str>,
    old: Option<i64>,
    new: Option<i64>,
    comment: &str,
) -> Result<(), EngineError> {
    let mut entry = AuditEntry::new(Some(&caller.user_id), client, "KPI_SCRIPT", name, "SCRIPT");
    entry.field = Some("version");
    entry.old_value = old.map(|v| v.to_string());
    entry.new_value = new.map(|v| v.to_string());
    entry.reason = Some(comment);
    audit::record(tx, &entry)?;
    // Cached KPI responses computed with the old version must not be served again.
    match client {
        Some(id) => writer::touch(id),
        None => writer::touch_all(),
    }
    Ok(())
}

impl Engine {
    /// GET /api/kpi-scripts (every role): the current global version of each KPI and the
    /// overrides of the clients the caller sees.
    pub async fn list_scripts(&self, caller: &Caller) -> Result<Vec<ScriptSummary>, EngineError> {
        type Row = (String, i64, Option<String>, String, String);
        let rows: Vec<Row> = self
            .read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT name, version, client_id, created_at, created_by FROM kpi_scripts \
                     WHERE is_current = 1 ORDER BY name, client_id",
                )?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await?;
        Ok(KPI_NAMES
            .iter()
            .map(|name| {
                let mut item = ScriptSummary {
                    name,
                    version: None,
                    updated_at: None,
                    updated_by: None,
                    overrides: Vec::new(),
                };
                for (_, version, client, at, by) in rows.iter().filter(|r| r.0 == *name) {
                    match client {
                        None => {
                            item.version = Some(*version);
                            item.updated_at = Some(at.clone());
                            item.updated_by = Some(by.clone());
                        }
                        Some(id) if caller.scope.can_read(id) => item.overrides.push(OverrideRef {
                            client_id: id.clone(),
                            version: *version,
                        }),
                        Some(_) => {}
                    }
                }
                item
            })
            .collect())
    }

    /// GET /api/kpi-scripts/{name}[?client_id=] (every role; a client must be visible).
    pub async fn get_script(
        &self,
        caller: &Caller,
        name: &str,
        client_id: Option<String>,
    ) -> Result<ScriptView, EngineError> {
        let name = kpi_name(name).ok_or_else(|| unknown(name))?;
        let caller = caller.clone();
        self.read(move |c| {
            if let Some(id) = &client_id {
                visible_client(c, &caller, id)?;
            }
            let current = match &client_id {
                Some(id) => effective(c, name, id)?,
                None => c
                    .query_row(
                        "SELECT version, source FROM kpi_scripts WHERE name = ?1 AND client_id IS NULL AND is_current = 1",
                        [name],
                        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                    )
                    .optional()?
                    .map(|(version, source)| crate::kpi::scripts::CurrentScript {
                        version,
                        source: Arc::from(source),
                        scope: "global",
                    }),
            };
            Ok(ScriptView {
                name,
                scope: current.as_ref().map_or("global", |s| s.scope),
                version: current.as_ref().map(|s| s.version),
                source: current.map(|s| s.source.to_string()),
                history: history(c, name, client_id.as_deref())?,
                client_id,
            })
        })
        .await
    }

    /// POST /api/kpi-scripts/{name}/check (ADMIN, POWERUSER) `{"source", "client_id"?,
    /// "backtest"?}`: compile, cases and (unless `"backtest": false`, the editor's lint) the
    /// back-test. Never stores anything.
    pub async fn check_script(
        &self,
        caller: &Caller,
        name: &str,
        body: Map<String, Value>,
    ) -> Result<CheckReport, EngineError> {
        let name = kpi_name(name).ok_or_else(|| unknown(name))?;
        require(caller, false)?;
        let b = parse_body(&body, &["source", "client_id", "backtest"])?;
        if let Some(id) = b.client_id.clone() {
            let c2 = caller.clone();
            self.read(move |c| visible_client(c, &c2, &id).map(|_| ()))
                .await?;
        }
        self.run_check(name, b.source.unwrap_or_default(), b.client_id, b.backtest)
            .await
    }

    /// PUT /api/kpi-scripts/{name} (ADMIN) `{"source", "comment", "client_id"?}`.
    pub async fn publish_script(
        &self,
        caller: &Caller,
        name: &str,
        body: Map<String, Value>,
    ) -> Result<Published, EngineError> {
        let name = kpi_name(name).ok_or_else(|| unknown(name))?;
        require(caller, true)?;
        let b = parse_body(&body, &["source", "comment", "client_id"])?;
        let Some(comment) = b.comment else {
            return Err(EngineError::field("comment", "required"));
        };
        self.publish(
            caller,
            name,
            b.source.unwrap_or_default(),
            comment,
            b.client_id,
            "api",
            None,
        )
        .await
    }

    /// POST /api/kpi-scripts/{name}/rollback (ADMIN) `{"version": N, "client_id"?, "comment"?}`
    /// copies version N's source into a new version (checked like a publish);
    /// `{"version": null, "client_id": X}` removes X's override.
    pub async fn rollback_script(
        &self,
        caller: &Caller,
        name: &str,
        body: Map<String, Value>,
    ) -> Result<Published, EngineError> {
        let name = kpi_name(name).ok_or_else(|| unknown(name))?;
        require(caller, true)?;
        let b = parse_body(&body, &["version", "client_id", "comment"])?;
        let Some(version) = b.version else {
            return Err(EngineError::field(
                "version",
                "required: a version number, or null to remove a client's override",
            ));
        };
        match version {
            Some(from) => {
                let source: Option<String> = self
                    .read(move |c| {
                        Ok(c.query_row(
                            "SELECT source FROM kpi_scripts WHERE name = ?1 AND version = ?2",
                            params![name, from],
                            |r| r.get(0),
                        )
                        .optional()?)
                    })
                    .await?;
                let source = source
                    .ok_or_else(|| EngineError::not_found(format!("version {from} of {name}")))?;
                let comment = b
                    .comment
                    .unwrap_or_else(|| format!("rollback to version {from}"));
                self.publish(
                    caller,
                    name,
                    source,
                    comment,
                    b.client_id,
                    "rollback",
                    Some(from),
                )
                .await
            }
            None => {
                let Some(client) = b.client_id else {
                    return Err(EngineError::field(
                        "client_id",
                        "required with \"version\": null (only a client's override can be removed)",
                    ));
                };
                let comment = b.comment.unwrap_or_else(|| "override removed".to_owned());
                self.remove_override(caller, name, client, comment).await
            }
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one private step shared by publish and rollback"
    )]
    async fn publish(
        &self,
        caller: &Caller,
        name: &'static str,
        source: String,
        comment: String,
        client_id: Option<String>,
        origin: &'static str,
        rolled_back_from: Option<i64>,
    ) -> Result<Published, EngineError> {
        if let Some(id) = client_id.clone() {
            let c2 = caller.clone();
            self.read(move |c| writable_client(c, &c2, &id).map(|_| ()))
                .await?;
        }
        let report = self
            .run_check(name, source.clone(), client_id.clone(), true)
            .await?;
        if !report.ok {
            return Err(EngineError::Invalid {
                code: "script_check_failed",
                message: format!("the {name} script failed its check; nothing was published"),
                details: report.failure_details(),
            });
        }
        let new = NewVersion {
            name,
            client_id: client_id.clone(),
            source,
            comment,
            origin,
            report: serde_json::to_string(&report).unwrap_or_else(|_| "{}".into()),
        };
        let c2 = caller.clone();
        let (before, version) = self.write(move |tx| insert_version(tx, &c2, &new)).await?;
        tracing::info!(kpi = name, version, client_id = ?client_id, origin, "formula script published");
        Ok(Published {
            name,
            scope: if client_id.is_some() {
                "client"
            } else {
                "global"
            },
            client_id,
            version: Some(version),
            previous_version: before,
            source_origin: Some(origin),
            rolled_back_from,
            removed_version: None,
            check: Some(report),
        })
    }

    async fn remove_override(
        &self,
        caller: &Caller,
        name: &'static str,
        client: String,
        comment: String,
    ) -> Result<Published, EngineError> {
        let c2 = caller.clone();
        let id = client.clone();
        let (removed, global) = self
            .write(move |tx| {
                writable_client(tx, &c2, &id)?;
                let removed: Option<i64> = tx
                    .query_row(
                        "SELECT version FROM kpi_scripts WHERE name = ?1 AND client_id = ?2 AND is_current = 1",
                        params![name, id],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(removed) = removed else {
                    return Err(EngineError::not_found(format!(
                        "an override of {name} for client {id}"
                    )));
                };
                tx.execute(
                    "UPDATE kpi_scripts SET is_current = 0 WHERE name = ?1 AND client_id = ?2 AND is_current = 1",
                    params![name, id],
                )?;
                let global = scope_version(tx, name, None)?;
                audit_change(tx, &c2, name, Some(&id), Some(removed), global, &comment)?;
                Ok((removed, global))
            })
            .await?;
        tracing::info!(kpi = name, client_id = %client, removed, "formula override removed");
        Ok(Published {
            name,
            client_id: Some(client),
            scope: "global",
            version: global,
            previous_version: Some(removed),
            source_origin: None,
            rolled_back_from: None,
            removed_version: Some(removed),
            check: None,
        })
    }

    /// Lint on a blocking thread, then (when asked and the draft compiles) the back-test.
    async fn run_check(
        &self,
        name: &'static str,
        source: String,
        client_id: Option<String>,
        backtest: bool,
    ) -> Result<CheckReport, EngineError> {
        let sandbox = Arc::new(Sandbox::new());
        let sb = sandbox.clone();
        let (lint, ast) = tokio::task::spawn_blocking(move || {
            let lint = lint(&sb, name, &source);
            let ast = sb.compile(&source).ok();
            (lint, ast)
        })
        .await
        .map_err(|e| crate::store::StoreError::Join(e.to_string()))?;
        let mut rows = Vec::new();
        let backtest_run = backtest && ast.is_some();
        if let (true, Some(ast)) = (backtest, ast) {
            let scope = client_id.clone();
            let clients: Vec<String> = self
                .read(move |c| {
                    let mut stmt = c.prepare_cached(
                        "SELECT client_id FROM clients WHERE (?2 IS NULL AND is_active = 1 AND client_id NOT IN \
                         (SELECT client_id FROM kpi_scripts WHERE name = ?1 AND is_current = 1 AND client_id IS NOT NULL)) \
                         OR client_id = ?2 ORDER BY client_id",
                    )?;
                    let ids = stmt
                        .query_map(params![name, scope], |r| r.get(0))?
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(ids)
                })
                .await?;
            let weeks = Arc::new(last_complete_weeks(today_utc(), BACKTEST_WEEKS));
            let mut stopped = false;
            for client in clients {
                let (sandbox, ast, weeks) = (sandbox.clone(), ast.clone(), weeks.clone());
                let (client_rows, stop) = self
                    .read(move |c| {
                        Backtest {
                            c,
                            sandbox: &sandbox,
                            name,
                            client: &client,
                            proposed: &ast,
                            asts: HashMap::new(),
                            stopped,
                        }
                        .run(&weeks)
                    })
                    .await?;
                stopped = stop;
                rows.extend(client_rows);
            }
        }
        let ok = lint.ok() && rows.iter().all(|r| r.error.is_none());
        Ok(CheckReport {
            ok,
            diagnostics: lint.diagnostics,
            cases: lint.tests.clone(),
            tests: lint.tests,
            backtest_run,
            backtest: rows,
        })
    }
}

/// The back-test of one client, on a read-pool thread.
struct Backtest<'a> {
    c: &'a Connection,
    sandbox: &'a Sandbox,
    name: &'static str,
    client: &'a str,
    proposed: &'a AST,
    /// Current scripts compiled once, by (KPI, version).
    asts: HashMap<(&'static str, i64), Option<Arc<AST>>>,
    /// Set after the proposed script hit a time or size limit: it is not evaluated again, so a
    /// runaway draft costs one time limit, not one per week and client.
    stopped: bool,
}

const SKIPPED: &str =
    "not evaluated: an earlier back-test evaluation of this draft hit a sandbox limit";

impl Backtest<'_> {
    fn run(mut self, weeks: &[Window]) -> Result<(Vec<BacktestRow>, bool), EngineError> {
        let mut rows = Vec::new();
        let (c, sandbox, client) = (self.c, self.sandbox, self.client);
        let current = effective(c, self.name, client)?;
        let components = if self.name == "oee" {
            let mut list = Vec::new();
            for comp in ["availability", "performance", "quality_rate"] {
                list.push((comp, effective(c, comp, client)?));
            }
            list
        } else {
            Vec::new()
        };
        for week in weeks {
            let gathered = window_inputs(c, client, *week)?;
            let ctx = |kpi: &str| EvalContext {
                kpi: kpi.to_owned(),
                client_id: client.to_owned(),
                from: week.from.to_string(),
                to: week.to.to_string(),
                settings: gathered.settings.clone(),
            };
            let find = |kpi: &str| gathered.inputs.iter().find(|(n, _, _)| *n == kpi);
            let (input, fallback): (BTreeMap<String, ScriptValue>, Option<f64>) =
                if self.name == "oee" {
                    // OEE combines the components' unrounded values, computed by their scripts in force.
                    let mut raw: BTreeMap<&str, (Option<f64>, Provenance)> = BTreeMap::new();
                    for (comp, script) in &components {
                        let Some((_, inp, fb)) = find(comp) else {
                            continue;
                        };
                        let value = match script {
                            Some(s) => match self.ast(comp, s.version, &s.source) {
                                Some(ast) => evaluate(sandbox, &ast, &ctx(comp), &inp.input, *fb)
                                    .ok()
                                    .flatten(),
                                None => None,
                            },
                            None => None,
                        };
                        raw.insert(comp, (value, inp.provenance.clone()));
                    }
                    (oee_inputs(&raw).input, None)
                } else {
                    match find(self.name) {
                        Some((_, inp, fb)) => (inp.input.clone(), *fb),
                        None => (BTreeMap::new(), None),
                    }
                };
            let ctx = ctx(self.name);
            let (cur, current_error) = match &current {
                None => (None, Some("no formula script is in force".to_owned())),
                Some(s) => match self.ast(self.name, s.version, &s.source) {
                    None => (
                        None,
                        Some("the script in force does not compile".to_owned()),
                    ),
                    Some(ast) => match evaluate(sandbox, &ast, &ctx, &input, fallback) {
                        Ok(v) => (v, None),
                        Err(f) => (None, Some(f.to_string())),
                    },
                },
            };
            let (proposed, error) = if self.stopped {
                (None, Some(SKIPPED.to_owned()))
            } else {
                match evaluate(sandbox, self.proposed, &ctx, &input, fallback) {
                    Ok(v) => (v, None),
                    Err(f) => {
                        self.stopped = matches!(
                            f.kind,
                            ScriptFailureKind::Timeout | ScriptFailureKind::Limit
                        );
                        (None, Some(f.to_string()))
                    }
                }
            };
            let period = iso_week(week.from);
            rows.push(BacktestRow {
                client_id: client.to_owned(),
                week: period.clone(),
                period,
                from: week.from.to_string(),
                to: week.to.to_string(),
                current: cur.map(|v| round_half_up(v, 2)),
                proposed: proposed.map(|v| round_half_up(v, 2)),
                current_version: current.as_ref().map(|s| s.version),
                error,
                current_error,
            });
        }
        Ok((rows, self.stopped))
    }

    fn ast(&mut self, kpi: &'static str, version: i64, source: &str) -> Option<Arc<AST>> {
        self.asts
            .entry((kpi, version))
            .or_insert_with(|| self.sandbox.compile(source).ok())
            .clone()
    }
}

/// One evaluation as `client_kpis` does it: the dataset default stands in for "no data" when
/// the script raised no warning. The value is unrounded.
fn evaluate(
    sandbox: &Sandbox,
    ast: &AST,
    ctx: &EvalContext,
    input: &BTreeMap<String, ScriptValue>,
    fallback: Option<f64>,
) -> Result<Option<f64>, ScriptFailure> {
    let out = sandbox.eval(ast, ctx, input)?;
    Ok(match (out.value, fallback) {
        (None, Some(v)) if out.warnings.is_empty() => Some(v),
        (v, _) => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_complete_iso_weeks_before_today() {
        // Wednesday 2025-12-17 is in 2025-W51; the last complete week is W50 (Dec 8-14).
        let weeks = last_complete_weeks(NaiveDate::from_ymd_opt(2025, 12, 17).unwrap(), 8);
        assert_eq!(weeks.len(), 8);
        let last = weeks[7];
        assert_eq!(
            (last.from.to_string(), last.to.to_string()),
            ("2025-12-08".into(), "2025-12-14".into())
        );
        assert_eq!(iso_week(last.from), "2025-W50");
        assert_eq!(iso_week(weeks[0].from), "2025-W43");
        // A Monday: the week that starts today is not complete.
        let weeks = last_complete_weeks(NaiveDate::from_ymd_opt(2025, 12, 15).unwrap(), 1);
        assert_eq!(weeks[0].from.to_string(), "2025-12-08");
        // ISO years: 2024-12-30 belongs to 2025-W01.
        assert_eq!(
            iso_week(NaiveDate::from_ymd_opt(2024, 12, 30).unwrap()),
            "2025-W01"
        );
    }

    #[test]
    fn body_parsing_reports_every_problem() {
        let body = serde_json::json!({"source": "", "comment": 5, "extra": 1, "client_id": 3});
        let Err(EngineError::Invalid { details, .. }) = parse_body(
            body.as_object().unwrap(),
            &["source", "comment", "client_id"],
        ) else {
            panic!("invalid");
        };
        let fields: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["client_id", "comment", "extra", "source"]);
        let ok = parse_body(
            serde_json::json!({"version": null, "client_id": " A "})
                .as_object()
                .unwrap(),
            &["version", "client_id"],
        )
        .ok()
        .unwrap();
        assert_eq!(
            (ok.version, ok.client_id.as_deref()),
            (Some(None), Some("A"))
        );
    }
}
