//! Batch and CSV imports, the two-phase read-back (preview → confirm), the import log, and
//! `Idempotency-Key` on creating POSTs (ingest.md §5–§9).
//!
//! Flow of an import: role rules → a replay check on the read pool (a replay never parses) →
//! an ingest slot → parsing on the ingest actor → ONE writer job: key check, rows (savepoint
//! each), import log, one audit record, stored response — so a crash leaves the import whole
//! or absent, and a replay can never write twice.
use super::clients::visible_client;
use super::records::{Echo, Limits, Prepared, insert_prepared, prepare_create};
use crate::domain::time::{now_ts, parse_day};
use crate::domain::{Caller, FieldError, Role, TenantScope};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::ingest::actor::{Input, ParseUpload};
use crate::ingest::commit::{Savepoint, insert_rows};
use crate::ingest::csv::FileWarning;
use crate::ingest::readback::{self, MAX_LINES};
use crate::ingest::{ImportKind, Parsed, RowError};
use crate::resources::{Req, Resource, STANDARD_COLUMNS, defs};
use crate::store::imports::{self, ImportFilter, ImportLog, Preview};
use crate::store::{StoreError, idempotency};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Read-back tokens expire this long after the preview.
const TOKEN_MINUTES: i64 = 30;
/// IMPORT_LOG keeps the first 1 000 errors.
const LOGGED_ERRORS: usize = 1000;

/// `Idempotency-Key` and the SHA-256 of the request it came with.
#[derive(Debug, Clone)]
pub struct IdemKey {
    pub key: String,
    pub request_hash: String,
}

/// An HTTP answer decided inside the engine, because it is stored with the rows it reports
/// (a replay returns exactly this).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
    /// Rows (inserted, rejected) that this call — not a replay, not a preview — decided.
    pub rows: Option<(usize, usize)>,
}

/// What was uploaded.
pub enum Payload {
    Csv {
        bytes: Vec<u8>,
        upload_client: Option<String>,
        file_name: Option<String>,
    },
    /// The batch body: `{"client_id"?, "entries": [...]}`.
    Batch { body: Map<String, Value> },
}

pub struct ImportRequest {
    pub res: &'static Resource,
    pub payload: Payload,
    pub options: ImportOptions,
}

pub struct ImportOptions {
    /// SHA-256 of the file (CSV) or of the body (batch): the audit's file hash.
    pub payload_sha256: String,
    pub all_or_nothing: bool,
    pub idem: Option<IdemKey>,
    pub request_id: String,
}

/// A previewed row as stored with its token.
#[derive(Serialize, Deserialize)]
struct StoredRow {
    line: u64,
    valid: bool,
    body: Map<String, Value>,
    errors: Vec<RowError>,
    warnings: Value,
}

/// Everything a writer job needs about the import besides its rows.
struct ImportCtx {
    caller: Caller,
    res: &'static Resource,
    kind: ImportKind,
    limits: Limits,
    file_name: Option<String>,
    payload_sha256: String,
    all_or_nothing: bool,
    idem: Option<IdemKey>,
    request_id: String,
}

fn error_body(code: &str, message: &str, details: &[RowError], request_id: &str) -> Value {
    json!({"error": {"code": code, "message": message, "details": details, "request_id": request_id}})
}

/// Replays a stored response, or refuses a reused key; None = first use.
fn check_key(
    conn: &Connection,
    user: &str,
    idem: Option<&IdemKey>,
) -> Result<Option<Reply>, EngineError> {
    let Some(k) = idem else { return Ok(None) };
    match idempotency::find(conn, user, &k.key)? {
        None => Ok(None),
        Some(s) if s.request_hash == k.request_hash => Ok(Some(Reply {
            status: s.status,
            body: serde_json::from_str(&s.body).unwrap_or(Value::Null),
            replayed: true,
            rows: None,
        })),
        Some(_) => Err(EngineError::conflict(
            "idempotency_conflict",
            "this Idempotency-Key was already used for a different request",
        )),
    }
}

fn store_key(
    tx: &Connection,
    user: &str,
    idem: Option<&IdemKey>,
    reply: &Reply,
) -> Result<(), EngineError> {
    if let Some(k) = idem {
        idempotency::save(
            tx,
            user,
            &k.key,
            &k.request_hash,
            reply.status,
            &reply.body.to_string(),
        )?;
    }
    Ok(())
}

/// Role rules before anything is parsed. Operators create entries only through the read-back.
fn may_import(caller: &Caller, res: &Resource, direct: bool) -> Result<(), EngineError> {
    if !(res.may_write)(caller.role) {
        return Err(EngineError::forbidden(format!(
            "your role cannot create {} records",
            res.name
        )));
    }
    if direct && res.is_entry && caller.role == Role::OperatorDataentry {
        return Err(readback_required());
    }
    Ok(())
}

fn readback_required() -> EngineError {
    EngineError::Forbidden {
        code: "readback_required",
        message: "operators enter data through the read-back (preview, then confirm)".into(),
    }
}

/// The batch body's shape: `entries` (a non-empty array) and an optional `client_id`.
fn batch_shape(mut body: Map<String, Value>) -> Result<(Vec<Value>, Option<String>), EngineError> {
    let mut errors = Vec::new();
    for k in body.keys() {
        if k != "entries" && k != "client_id" {
            errors.push(FieldError::new(k.as_str(), "unknown field"));
        }
    }
    let client = match body.remove("client_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => {
            errors.push(FieldError::new("client_id", "must be a string"));
            None
        }
    };
    let entries = match body.remove("entries") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) => {
            errors.push(FieldError::new(
                "entries",
                "must contain at least one entry",
            ));
            Vec::new()
        }
        None | Some(Value::Null) => {
            errors.push(FieldError::new("entries", "is required"));
            Vec::new()
        }
        Some(_) => {
            errors.push(FieldError::new("entries", "must be an array of objects"));
            Vec::new()
        }
    };
    if errors.is_empty() {
        Ok((entries, client))
    } else {
        Err(EngineError::invalid(errors))
    }
}

/// Valid rows (line, prepared) and the errors of the invalid ones, in line order.
fn split(rows: Vec<crate::ingest::ParsedRow>) -> (Vec<(u64, Prepared)>, Vec<RowError>) {
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        match row.outcome {
            Ok(p) => valid.push((row.line, p)),
            Err(e) => errors.extend(e),
        }
    }
    (valid, errors)
}

fn sort_errors(errors: &mut [RowError]) {
    errors.sort_by_key(|e| e.line); // stable: a row's errors keep their field order
}

fn distinct_lines(errors: &[RowError]) -> usize {
    let mut lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    lines.dedup();
    lines.len()
}

/// Clients named by rows that the caller may see (the import log never names others).
fn visible_clients(caller: &Caller, bodies: impl Iterator<Item = Option<String>>) -> Vec<String> {
    let mut out: Vec<String> = bodies
        .flatten()
        .filter(|c| caller.scope.can_read(c))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A record as the read-back shows it: parsed values, no server-set columns.
fn shown(res: &Resource, record: &Map<String, Value>) -> Map<String, Value> {
    record
        .iter()
        .filter(|(k, _)| {
            let server = res.field(k).is_some_and(|f| f.req == Req::S)
                || STANDARD_COLUMNS.contains(&k.as_str())
                || matches!(k.as_str(), "entry_method" | "import_id");
            !server
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Writes the import log row and the import's audit record.
#[expect(
    clippy::too_many_arguments,
    reason = "one row of IMPORT_LOG, spelled out"
)]
fn log_import(
    tx: &Connection,
    ctx: &ImportCtx,
    import_id: &str,
    channel: &str,
    clients: &[String],
    total: usize,
    inserted: usize,
    errors: &[RowError],
    committed: bool,
) -> Result<(), EngineError> {
    let failed = total - inserted.min(total);
    let logged: Vec<&RowError> = errors.iter().take(LOGGED_ERRORS).collect();
    let status = if committed { "COMMITTED" } else { "REJECTED" };
    imports::insert_log(
        tx,
        &ImportLog {
            import_id,
            resource: ctx.res.name,
            client_ids: clients,
            user_id: &ctx.caller.user_id,
            file_name: ctx.file_name.as_deref(),
            import_type: ctx.kind.import_type(),
            channel,
            attempted: total,
            succeeded: inserted,
            failed,
            error_details: &serde_json::to_string(&logged).unwrap_or_else(|_| "[]".into()),
            status,
            all_or_nothing: ctx.all_or_nothing,
        },
    )?;
    let audit = json!({"resource": ctx.res.name, "import_type": ctx.kind.import_type(), "channel": channel,
        "status": status, "file_name": ctx.file_name, "file_sha256": ctx.payload_sha256,
        "total": total, "inserted": inserted, "rejected": failed, "client_ids": clients});
    let client = match clients {
        [one] => Some(one.as_str()),
        _ => None,
    };
    imports::audit_import(
        tx,
        &ctx.caller.user_id,
        client,
        import_id,
        &audit,
        Some(ctx.request_id.as_str()).filter(|s| !s.is_empty()),
    )?;
    Ok(())
}

fn created(
    import_id: &str,
    total: usize,
    inserted: usize,
    errors: &[RowError],
    warnings: &[FileWarning],
) -> Reply {
    Reply {
        status: 201,
        body: json!({"import_id": import_id, "total": total, "inserted": inserted,
                     "rejected": total - inserted.min(total), "errors": errors, "file_warnings": warnings}),
        replayed: false,
        rows: Some((inserted, total - inserted.min(total))),
    }
}

fn rows_invalid(ctx: &ImportCtx, total: usize, errors: &[RowError]) -> Reply {
    let bad = distinct_lines(errors);
    let message = if ctx.all_or_nothing {
        format!("{bad} of {total} rows are invalid; nothing was written (all_or_nothing)")
    } else {
        format!("No row could be written: {bad} of {total} rows are invalid")
    };
    Reply {
        status: 422,
        body: error_body("rows_invalid", &message, errors, &ctx.request_id),
        replayed: false,
        rows: Some((0, total)),
    }
}

/// The writer job of a direct batch / csv-upload.
fn commit_direct(tx: &Connection, ctx: ImportCtx, parsed: Parsed) -> Result<Reply, EngineError> {
    if let Some(replay) = check_key(tx, &ctx.caller.user_id, ctx.idem.as_ref())? {
        return Ok(replay);
    }
    let total = parsed.rows.len();
    let import_id = imports::next_import_id(tx)?;
    let (valid, mut errors) = split(parsed.rows);
    let clients_named = visible_clients(
        &ctx.caller,
        valid
            .iter()
            .map(|(_, p)| ctx.res.client_of(&p.record).map(str::to_owned)),
    );
    let sp = Savepoint::open(tx, "ingest_import")?;
    let mut inserted = 0;
    let mut clients = clients_named;
    let rejected_early = ctx.all_or_nothing && !errors.is_empty();
    if !rejected_early {
        let run = insert_rows(
            tx,
            &ctx.limits,
            &ctx.caller,
            ctx.res,
            valid,
            "API",
            &import_id,
        )?;
        inserted = run.inserted.len();
        errors.extend(run.errors);
        if inserted > 0 {
            clients = run.clients.into_iter().collect();
        }
    }
    sort_errors(&mut errors);
    let rejected = ctx.all_or_nothing && !errors.is_empty();
    let committed = inserted > 0 && !rejected;
    let reply = if committed {
        sp.release()?;
        created(&import_id, total, inserted, &errors, &parsed.file_warnings)
    } else {
        sp.rollback()?;
        inserted = 0;
        rows_invalid(&ctx, total, &errors)
    };
    log_import(
        tx, &ctx, &import_id, "direct", &clients, total, inserted, &errors, committed,
    )?;
    store_key(tx, &ctx.caller.user_id, ctx.idem.as_ref(), &reply)?;
    Ok(reply)
}

fn random_token() -> Result<String, EngineError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Other(format!("random: {e}")))?;
    Ok(format!(
        "rb_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// The writer job of a preview: runs every row exactly as a commit would (references,
/// duplicates, tenant rights), rolls it all back, and stores the token with the rows.
fn commit_preview(tx: &Connection, ctx: ImportCtx, parsed: Parsed) -> Result<Reply, EngineError> {
    if let Some(replay) = check_key(tx, &ctx.caller.user_id, ctx.idem.as_ref())? {
        return Ok(replay);
    }
    let total = parsed.rows.len();
    let mut rows: Vec<StoredRow> = Vec::with_capacity(total);
    let mut records: Vec<(usize, Map<String, Value>)> = Vec::new(); // (index in rows, record)
    let mut candidates: Vec<(u64, Prepared)> = Vec::new();
    for row in parsed.rows {
        match row.outcome {
            Ok(p) => {
                records.push((rows.len(), shown(ctx.res, &p.record)));
                rows.push(StoredRow {
                    line: row.line,
                    valid: true,
                    body: row.body,
                    errors: Vec::new(),
                    warnings: json!(p.warnings),
                });
                candidates.push((row.line, p));
            }
            Err(errors) => rows.push(StoredRow {
                line: row.line,
                valid: false,
                body: row.body,
                errors,
                warnings: json!([]),
            }),
        }
    }
    let sp = Savepoint::open(tx, "ingest_preview")?;
    // A placeholder import id: entry rows carrying one skip their per-row audit work.
    let run = insert_rows(
        tx,
        &ctx.limits,
        &ctx.caller,
        ctx.res,
        candidates,
        "API",
        "PREVIEW",
    )?;
    sp.rollback()?;
    let index: std::collections::HashMap<u64, usize> =
        rows.iter().enumerate().map(|(i, r)| (r.line, i)).collect();
    for (line, warnings) in &run.inserted {
        if let Some(&i) = index.get(line) {
            rows[i].warnings = json!(warnings);
        }
    }
    for e in run.errors {
        if let Some(&i) = index.get(&e.line) {
            rows[i].valid = false;
            rows[i].errors.push(e);
        }
    }
    let valid_records: Vec<&Map<String, Value>> = records
        .iter()
        .filter(|(i, _)| rows[*i].valid)
        .map(|(_, r)| r)
        .collect();
    let valid = valid_records.len();
    let summary = readback::summary(ctx.res, &valid_records);
    let readback = readback::readback(ctx.res, &valid_records);
    let record_of: std::collections::HashMap<usize, &Map<String, Value>> =
        records.iter().map(|(i, r)| (*i, r)).collect();
    let shown_rows: Vec<Value> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| *i < MAX_LINES || !r.valid)
        .map(|(i, r)| {
            let record = record_of
                .get(&i)
                .map_or_else(|| json!(r.body), |m| json!(m));
            row_view(r, record)
        })
        .collect();
    let (token, expires_at) = if valid > 0 {
        let token = random_token()?;
        let expires = (chrono::Utc::now() + chrono::Duration::minutes(TOKEN_MINUTES))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let stored = serde_json::to_string(&rows).map_err(|e| StoreError::Other(e.to_string()))?;
        imports::insert_preview(
            tx,
            &Preview {
                token: token.clone(),
                user_id: ctx.caller.user_id.clone(),
                resource: ctx.res.name.into(),
                kind: ctx.kind.preview_kind().into(),
                expires_at: expires.clone(),
                used_at: None,
                file_name: ctx.file_name.clone(),
                request_hash: Some(ctx.payload_sha256.clone()),
                rows: stored,
            },
        )?;
        (Some(token), Some(expires))
    } else {
        (None, None)
    };
    let next = (total > MAX_LINES).then(|| MAX_LINES.to_string());
    let reply = Reply {
        status: 200,
        body: json!({"token": token, "expires_at": expires_at, "total": total, "valid": valid,
            "invalid": total - valid, "summary": summary, "readback": readback, "rows": shown_rows,
            "rows_next_cursor": next, "file_warnings": parsed.file_warnings}),
        replayed: false,
        rows: None,
    };
    store_key(tx, &ctx.caller.user_id, ctx.idem.as_ref(), &reply)?;
    Ok(reply)
}

fn row_view(r: &StoredRow, record: Value) -> Value {
    json!({"line": r.line, "status": if r.valid { "valid" } else { "invalid" },
           "errors": r.errors, "warnings": r.warnings, "record": record})
}

fn stored_rows(preview: &Preview) -> Result<Vec<StoredRow>, EngineError> {
    serde_json::from_str(&preview.rows)
        .map_err(|e| StoreError::Other(format!("stored preview rows: {e}")).into())
}

/// What a confirm commits: the valid rows' bodies (to parse again), the preview's row
/// errors (repeated in the answer) and the row count.
type ConfirmInput = (Vec<(u64, Map<String, Value>)>, Vec<RowError>, usize);

fn confirm_input(preview: &Preview) -> Result<ConfirmInput, EngineError> {
    let stored = stored_rows(preview)?;
    let total = stored.len();
    let mut errors = Vec::new();
    let mut bodies = Vec::new();
    for row in stored {
        if row.valid {
            bodies.push((row.line, row.body));
        } else {
            errors.extend(row.errors);
        }
    }
    Ok((bodies, errors, total))
}

fn token_state(p: &Preview) -> Result<(), EngineError> {
    if p.used_at.is_some() {
        return Err(EngineError::conflict(
            "import_token_used",
            "this read-back was already confirmed",
        ));
    }
    if p.expires_at < now_ts() {
        return Err(EngineError::conflict(
            "import_token_expired",
            "this read-back expired; preview again",
        ));
    }
    Ok(())
}

/// The writer job of a confirm: commits exactly the previewed valid rows, or nothing.
fn commit_confirm(
    tx: &Connection,
    ctx: ImportCtx,
    token: &str,
    parsed: Parsed,
    preview_errors: Vec<RowError>,
    total: usize,
) -> Result<Reply, EngineError> {
    if let Some(replay) = check_key(tx, &ctx.caller.user_id, ctx.idem.as_ref())? {
        return Ok(replay);
    }
    let preview = imports::get_preview(tx, token)?
        .filter(|p| p.user_id == ctx.caller.user_id)
        .ok_or_else(|| EngineError::not_found("import token"))?;
    token_state(&preview)?;
    let import_id = imports::next_import_id(tx)?;
    let (valid, mut stale) = split(parsed.rows);
    let clients = visible_clients(
        &ctx.caller,
        valid
            .iter()
            .map(|(_, p)| ctx.res.client_of(&p.record).map(str::to_owned)),
    );
    if ctx.all_or_nothing && !preview_errors.is_empty() {
        let reply = rows_invalid(&ctx, total, &preview_errors);
        log_import(
            tx,
            &ctx,
            &import_id,
            "confirm",
            &clients,
            total,
            0,
            &preview_errors,
            false,
        )?;
        store_key(tx, &ctx.caller.user_id, ctx.idem.as_ref(), &reply)?;
        return Ok(reply);
    }
    let sp = Savepoint::open(tx, "ingest_confirm")?;
    let method = ctx.kind.confirmed_entry_method();
    let run = insert_rows(
        tx,
        &ctx.limits,
        &ctx.caller,
        ctx.res,
        valid,
        method,
        &import_id,
    )?;
    stale.extend(run.errors);
    if !stale.is_empty() {
        sp.rollback()?;
        sort_errors(&mut stale);
        let reply = Reply {
            status: 409,
            body: error_body(
                "preview_stale",
                "Rows that were valid in the preview fail now; nothing was written. Preview again.",
                &stale,
                &ctx.request_id,
            ),
            replayed: false,
            rows: Some((0, total)),
        };
        let mut all = preview_errors.clone();
        all.extend(stale);
        sort_errors(&mut all);
        log_import(
            tx, &ctx, &import_id, "confirm", &clients, total, 0, &all, false,
        )?;
        store_key(tx, &ctx.caller.user_id, ctx.idem.as_ref(), &reply)?;
        return Ok(reply);
    }
    sp.release()?;
    if !imports::mark_used(tx, token)? {
        return Err(EngineError::conflict(
            "import_token_used",
            "this read-back was already confirmed",
        ));
    }
    let inserted = run.inserted.len();
    let clients: Vec<String> = run.clients.into_iter().collect();
    let reply = created(&import_id, total, inserted, &preview_errors, &[]);
    log_import(
        tx,
        &ctx,
        &import_id,
        "confirm",
        &clients,
        total,
        inserted,
        &preview_errors,
        true,
    )?;
    store_key(tx, &ctx.caller.user_id, ctx.idem.as_ref(), &reply)?;
    Ok(reply)
}

/// Raw parameters of `GET /api/imports`.
#[derive(Default)]
pub struct ImportListParams {
    pub client_id: Option<String>,
    pub resource: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

fn bad_param(field: &str, msg: &str) -> EngineError {
    EngineError::Invalid {
        code: "validation_failed",
        message: format!("invalid query parameter {field}"),
        details: vec![FieldError::new(field, msg)],
    }
}

fn parse_limit(raw: Option<&str>) -> Result<usize, EngineError> {
    match raw {
        None => Ok(100),
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| bad_param("limit", "must be 1-1000")),
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(raw: &str) -> Option<String> {
    if !raw.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(raw.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

impl Engine {
    /// Parses an upload on the ingest actor (the slot stays with the caller until commit).
    async fn parse_upload(
        &self,
        caller: &Caller,
        res: &'static Resource,
        payload: Payload,
    ) -> Result<(Parsed, Option<String>, crate::ingest::actor::Slot), EngineError> {
        let (input, upload_client, file_name) = match payload {
            Payload::Csv {
                bytes,
                upload_client,
                file_name,
            } => (
                Input::Csv {
                    bytes,
                    upload_client: upload_client.clone(),
                },
                upload_client,
                file_name,
            ),
            Payload::Batch { body } => {
                let (entries, upload_client) = batch_shape(body)?;
                (
                    Input::Batch {
                        entries,
                        upload_client: upload_client.clone(),
                    },
                    upload_client,
                    None,
                )
            }
        };
        // A client named for the whole upload that the caller cannot see → 403 (unknown → 404).
        if let Some(c) = &upload_client {
            self.precheck_client(caller, c).await?;
        }
        let slot = self.inner.ingest.slot()?;
        let parsed = self
            .inner
            .ingest
            .parse(
                &slot,
                ParseUpload {
                    caller: caller.clone(),
                    res,
                    input,
                },
            )
            .await?;
        Ok((parsed, file_name, slot))
    }

    pub(crate) async fn replay(
        &self,
        caller: &Caller,
        idem: Option<&IdemKey>,
    ) -> Result<Option<Reply>, EngineError> {
        let Some(k) = idem.cloned() else {
            return Ok(None);
        };
        let user = caller.user_id.clone();
        self.read(move |c| check_key(c, &user, Some(&k))).await
    }

    fn import_ctx(
        &self,
        caller: &Caller,
        res: &'static Resource,
        kind: ImportKind,
        file_name: Option<String>,
        o: ImportOptions,
    ) -> ImportCtx {
        ImportCtx {
            caller: caller.clone(),
            res,
            kind,
            limits: self.limits(),
            file_name,
            payload_sha256: o.payload_sha256,
            all_or_nothing: o.all_or_nothing,
            idem: o.idem,
            request_id: o.request_id,
        }
    }

    /// `POST /api/{res}/batch` and `/csv-upload`: 201 with the counts, or 422 `rows_invalid`.
    pub async fn import(&self, caller: &Caller, req: ImportRequest) -> Result<Reply, EngineError> {
        self.run_import(caller, req, true).await
    }

    /// `POST /api/{res}/batch/preview` and `/csv-upload/preview`: 200 read-back; nothing is
    /// saved but the token.
    pub async fn preview_import(
        &self,
        caller: &Caller,
        req: ImportRequest,
    ) -> Result<Reply, EngineError> {
        self.run_import(caller, req, false).await
    }

    async fn run_import(
        &self,
        caller: &Caller,
        req: ImportRequest,
        direct: bool,
    ) -> Result<Reply, EngineError> {
        let ImportRequest {
            res,
            payload,
            options,
        } = req;
        may_import(caller, res, direct)?;
        if let Some(replay) = self.replay(caller, options.idem.as_ref()).await? {
            return Ok(replay);
        }
        let kind = match payload {
            Payload::Csv { .. } => ImportKind::Csv,
            Payload::Batch { .. } => ImportKind::Batch,
        };
        let (parsed, file_name, slot) = self.parse_upload(caller, res, payload).await?;
        let ctx = self.import_ctx(caller, res, kind, file_name, options);
        let reply = if direct {
            self.write(move |tx| commit_direct(tx, ctx, parsed)).await
        } else {
            self.write(move |tx| commit_preview(tx, ctx, parsed)).await
        };
        drop(slot); // the import's rows are gone: admit the next one
        let channel = match kind {
            ImportKind::Csv => "csv",
            ImportKind::Batch => "batch",
        };
        self.count_ingest(res.name, channel, reply.as_ref().ok());
        reply
    }

    /// `POST /api/imports/{token}/confirm`.
    pub async fn confirm_import(
        &self,
        caller: &Caller,
        token: String,
        all_or_nothing: bool,
        idem: Option<IdemKey>,
        request_id: String,
    ) -> Result<Reply, EngineError> {
        if let Some(replay) = self.replay(caller, idem.as_ref()).await? {
            return Ok(replay);
        }
        let (user, t) = (caller.user_id.clone(), token.clone());
        let preview = self
            .read(move |c| Ok(imports::get_preview(c, &t)?))
            .await?
            .filter(|p| p.user_id == user)
            .ok_or_else(|| EngineError::not_found("import token"))?;
        token_state(&preview)?;
        let res =
            defs::find(&preview.resource).ok_or_else(|| EngineError::not_found("import token"))?;
        let kind = ImportKind::from_preview_kind(&preview.kind);
        let (bodies, preview_errors, total) = confirm_input(&preview)?;
        let slot = self.inner.ingest.slot()?;
        let parsed = self
            .inner
            .ingest
            .parse(
                &slot,
                ParseUpload {
                    caller: caller.clone(),
                    res,
                    input: Input::Stored { rows: bodies },
                },
            )
            .await?;
        let ctx = ImportCtx {
            caller: caller.clone(),
            res,
            kind,
            limits: self.limits(),
            file_name: preview.file_name.clone(),
            payload_sha256: preview.request_hash.clone().unwrap_or_default(),
            all_or_nothing,
            idem,
            request_id,
        };
        let reply = self
            .write(move |tx| commit_confirm(tx, ctx, &token, parsed, preview_errors, total))
            .await;
        drop(slot);
        self.count_ingest(res.name, "confirm", reply.as_ref().ok());
        reply
    }

    /// `GET /api/imports/{token}/rows`: the previewed rows past the first page.
    pub async fn preview_rows(
        &self,
        caller: &Caller,
        token: String,
        cursor: Option<String>,
        limit: Option<String>,
    ) -> Result<Value, EngineError> {
        let limit = parse_limit(limit.as_deref())?;
        let offset = match cursor.as_deref() {
            None => 0,
            Some(c) => c
                .parse::<usize>()
                .map_err(|_| bad_param("cursor", "is not a cursor returned by this list"))?,
        };
        let user = caller.user_id.clone();
        let preview = self
            .read(move |c| Ok(imports::get_preview(c, &token)?))
            .await?
            .filter(|p| p.user_id == user)
            .ok_or_else(|| EngineError::not_found("import token"))?;
        let res =
            defs::find(&preview.resource).ok_or_else(|| EngineError::not_found("import token"))?;
        let stored = stored_rows(&preview)?;
        let items: Vec<Value> = stored
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| {
                let record = match (r.valid, prepare_create(caller, res, &r.body)) {
                    (true, Ok(p)) => json!(shown(res, &p.record)),
                    _ => json!(r.body),
                };
                row_view(r, record)
            })
            .collect();
        let next = (offset + limit < stored.len()).then(|| (offset + limit).to_string());
        Ok(json!({"items": items, "next_cursor": next}))
    }

    /// `GET /api/imports`: ADMIN and POWERUSER all, LEADER assigned clients, OPERATOR own.
    pub async fn list_imports(
        &self,
        caller: &Caller,
        p: ImportListParams,
    ) -> Result<Value, EngineError> {
        let limit = parse_limit(p.limit.as_deref())?;
        for (k, v) in [("from", &p.from), ("to", &p.to)] {
            if let Some(v) = v
                && parse_day(v).is_none()
            {
                return Err(bad_param(k, "Invalid date format (use YYYY-MM-DD)"));
            }
        }
        let after = p
            .cursor
            .as_deref()
            .map(|c| {
                unhex(c)
                    .and_then(|s| s.split_once('~').map(|(a, b)| (a.to_owned(), b.to_owned())))
                    .ok_or_else(|| bad_param("cursor", "is not a cursor returned by this list"))
            })
            .transpose()?;
        let before =
            p.to.as_deref()
                .and_then(parse_day)
                .map(|d| (d + chrono::Days::new(1)).format("%Y-%m-%d").to_string());
        let filter = ImportFilter {
            client_id: p.client_id.clone(),
            resource: p.resource,
            from: p.from,
            before,
            after,
            limit,
        };
        let caller = caller.clone();
        let (items, next) = self
            .read(move |c| {
                if let Some(id) = &filter.client_id {
                    visible_client(c, &caller, id)?;
                }
                let own_only = caller.role == Role::OperatorDataentry;
                let scope = if own_only {
                    TenantScope::All
                } else {
                    caller.scope.clone()
                };
                Ok(imports::list(
                    c,
                    &scope,
                    &caller.user_id,
                    own_only,
                    &filter,
                )?)
            })
            .await?;
        Ok(json!({"items": items, "next_cursor": next.map(|(ts, id)| hex(&format!("{ts}~{id}")))}))
    }

    /// A create outside the declared resources (clients, users) under an `Idempotency-Key`:
    /// `work` runs in one writer job between the key check and the stored response, so a
    /// replay answers the first 201 and writes nothing.
    pub(crate) async fn write_keyed<T, F>(
        &self,
        caller: &Caller,
        idem: IdemKey,
        work: F,
    ) -> Result<Reply, EngineError>
    where
        T: serde::Serialize,
        F: FnOnce(&Connection) -> Result<T, EngineError> + Send + 'static,
    {
        if let Some(replay) = self.replay(caller, Some(&idem)).await? {
            return Ok(replay);
        }
        let user = caller.user_id.clone();
        self.write(move |tx| {
            if let Some(replay) = check_key(tx, &user, Some(&idem))? {
                return Ok(replay);
            }
            let body = serde_json::to_value(work(tx)?)
                .map_err(|e| EngineError::Store(StoreError::Other(e.to_string())))?;
            let reply = Reply {
                status: 201,
                body,
                replayed: false,
                rows: None,
            };
            store_key(tx, &user, Some(&idem), &reply)?;
            Ok(reply)
        })
        .await
    }

    /// `POST /api/{res}` with an `Idempotency-Key`: the same create as `create_record`, with
    /// the key check and the stored response in its writer transaction.
    pub async fn create_record_idempotent(
        &self,
        caller: &Caller,
        res: &'static Resource,
        body: Map<String, Value>,
        idem: IdemKey,
    ) -> Result<Reply, EngineError> {
        // Operators are refused before a replay, as without a key; the rest of the checks
        // come after it (a replayed create answers what it answered the first time).
        if res.is_entry && caller.role == Role::OperatorDataentry {
            return Err(readback_required());
        }
        if let Some(replay) = self.replay(caller, Some(&idem)).await? {
            return Ok(replay);
        }
        let prepared = self.prepare_checked(caller, res, &body).await?;
        let limits = self.limits();
        let caller = caller.clone();
        let reply = self
            .write(move |tx| {
                if let Some(replay) = check_key(tx, &caller.user_id, Some(&idem))? {
                    return Ok(replay);
                }
                let saved = insert_prepared(tx, &limits, &caller, res, prepared, "API", Echo::Row)?;
                let mut body = Value::Object(saved.record);
                body["warnings"] = json!(saved.warnings);
                let reply = Reply {
                    status: 201,
                    body,
                    replayed: false,
                    rows: Some((1, 0)),
                };
                store_key(tx, &caller.user_id, Some(&idem), &reply)?;
                Ok(reply)
            })
            .await;
        self.count_create(res.name, &reply.as_ref().map(|r| r.rows));
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TenantScope;
    use crate::ingest::actor::parse_upload;
    use proptest::prelude::*;

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::engine::open_and_migrate(&dir.path().join("p.db")).unwrap();
        conn.execute_batch(
            "INSERT INTO users (user_id, username, role, password_hash) VALUES ('USR-001', 'admin', 'ADMIN', 'x');
             INSERT INTO clients (client_id, client_name) VALUES ('AAA-1', 'A');
             INSERT INTO work_orders (work_order_id, client_id, planned_quantity) VALUES ('WO-1', 'AAA-1', 10);",
        )
        .unwrap();
        (dir, conn)
    }

    fn ctx(all_or_nothing: bool) -> ImportCtx {
        ImportCtx {
            caller: Caller {
                user_id: "USR-001".into(),
                role: Role::Admin,
                scope: TenantScope::All,
            },
            res: defs::find("production").unwrap(),
            kind: ImportKind::Batch,
            limits: Limits { max_employees: 200 },
            file_name: None,
            payload_sha256: String::new(),
            all_or_nothing,
            idem: None,
            request_id: String::new(),
        }
    }

    fn parse(input: Input) -> Parsed {
        let c = ctx(false);
        parse_upload(ParseUpload {
            caller: c.caller,
            res: c.res,
            input,
        })
        .unwrap()
    }

    /// Rows mixing valid ones, format errors, unknown work orders and duplicates.
    fn entries() -> impl Strategy<Value = Vec<(u8, i64, bool)>> {
        proptest::collection::vec((0u8..6, -2i64..30, proptest::bool::weighted(0.85)), 1..25)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn a_confirm_inserts_exactly_the_rows_its_preview_counted_valid(rows in entries()) {
            let (_dir, conn) = db();
            let body: Vec<Value> = rows
                .iter()
                .map(|(op, units, wo_known)| json!({"client_id": "AAA-1",
                    "work_order_id": if *wo_known { "WO-1" } else { "WO-X" },
                    "shift_date": "2025-12-15", "shift_type": "SHIFT_1ST",
                    "operation_id": format!("OP-{op}"), "units_produced": units}))
                .collect();
            let preview = commit_preview(&conn, ctx(false), parse(Input::Batch { entries: body, upload_client: None })).unwrap();
            let valid = preview.body["valid"].as_u64().unwrap();
            prop_assert_eq!(
                conn.query_row("SELECT count(*) FROM production_entries", [], |r| r.get::<_, i64>(0)).unwrap(),
                0
            );
            let Some(token) = preview.body["token"].as_str() else {
                prop_assert_eq!(valid, 0);
                return Ok(());
            };
            let stored = imports::get_preview(&conn, token).unwrap().unwrap();
            let (bodies, errors, total) = confirm_input(&stored).unwrap();
            let parsed = parse(Input::Stored { rows: bodies });
            let reply = commit_confirm(&conn, ctx(false), token, parsed, errors, total).unwrap();
            prop_assert_eq!(reply.status, 201);
            prop_assert_eq!(reply.body["inserted"].as_u64().unwrap(), valid);
            let stored_rows: i64 = conn
                .query_row("SELECT count(*) FROM production_entries WHERE entry_method = 'MANUAL_ENTRY'", [], |r| r.get(0))
                .unwrap();
            prop_assert_eq!(stored_rows as u64, valid);
        }
    }
}
