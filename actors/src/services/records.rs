//! Generic create / list / get / patch for the declared resources (resources::defs). Deletes
//! and verification live in `lifecycle`, tenant permits in `record_permits`. Every write runs
//! in one writer job: tenant permit (a `ClientWrite`, or a `SharedWrite` for shared rows),
//! cross-field checks, references, SQL, audit, then the resource's `after_write` hook.
use super::clients::visible_client;
use super::record_permits::{parent_client, patch_permit, permit, present};
use super::shift_lock;
use crate::domain::{Caller, ClientId, FieldError, Role, TenantScope};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::resources::constraints::write_error;
use crate::resources::repo::{self, ListQuery, Record};
use crate::resources::validate::{Warning, parse_body, parse_value};
use crate::resources::{AfterWrite, CheckCtx, KeyRule, Kind, Req, Resource, Tenant, defs};
use crate::store::StoreError;
use serde_json::{Map, Value};
use std::cell::RefCell;

/// A stored record plus the warnings of the write that produced it.
pub struct Saved {
    pub record: Record,
    pub warnings: Vec<Warning>,
}

pub struct Page {
    pub items: Vec<Record>,
    pub next_cursor: Option<String>,
}

/// Raw list parameters as the edge received them.
#[derive(Default)]
pub struct ListParams {
    pub client_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub include_deleted: bool,
    pub filters: Vec<(String, String)>,
}

fn encode_cursor(date: &str, id: &str) -> String {
    format!("{date}~{id}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_cursor(raw: &str) -> Option<(String, String)> {
    if !raw.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(raw.get(i..i + 2)?, 16).ok())
        .collect();
    let s = String::from_utf8(bytes?).ok()?;
    let (d, id) = s.split_once('~')?;
    Some((d.to_owned(), id.to_owned()))
}

fn bad_param(field: &str, msg: &str) -> EngineError {
    EngineError::Invalid {
        code: "validation_failed",
        message: format!("invalid query parameter {field}"),
        details: vec![FieldError::new(field, msg)],
    }
}

/// Config values the row checks need inside a writer job.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_employees: i64,
}

/// A create body parsed against its resource: the record, its warnings and its client.
pub struct Prepared {
    pub record: Record,
    pub warnings: Vec<Warning>,
    /// The client the body names: `client_id`, or a shared resource's tenant column (None =
    /// a shared row: a floater, an AVAILABLE pool row). None too for jobs and defects, whose
    /// client is copied from the parent inside the write transaction.
    pub client: Option<ClientId>,
    /// Why an entry of a closed line-shift changes (LEADER/ADMIN; see `shift_lock`).
    pub amendment_reason: Option<String>,
}

/// Parses a create body (no I/O): field types, required fields, defaults, `id_ignored`.
/// Shared by single creates, batches and CSV rows.
pub fn prepare_create(
    caller: &Caller,
    res: &Resource,
    body: &Map<String, Value>,
) -> Result<Prepared, EngineError> {
    let (record, mut warnings) =
        parse_body(res, body, true, &caller.user_id).map_err(EngineError::invalid)?;
    let amendment_reason = shift_lock::amendment_reason(body)?;
    if res.key_rule.server_assigned() && body.get(res.key).is_some_and(|v| !v.is_null()) {
        warnings.push(Warning {
            field: res.key.into(),
            code: "id_ignored".into(),
            message: format!("{} is assigned by the server", res.key),
        });
    }
    let client =
        match res.tenant {
            Tenant::Parent { .. } => None,
            Tenant::Entered | Tenant::Shared { .. } => {
                let column = res.tenant_column();
                match record.get(column).and_then(Value::as_str) {
                    Some(raw) => Some(ClientId::parse(raw).map_err(|e| {
                        EngineError::invalid(vec![FieldError::new(column, e.message)])
                    })?),
                    None if res.is_shared() => None,
                    None => return Err(EngineError::field(column, "is required")),
                }
            }
        };
    Ok(Prepared {
        record,
        warnings,
        client,
        amendment_reason,
    })
}

fn check_ctx<'a>(
    conn: &'a rusqlite::Connection,
    limits: &Limits,
    caller: &'a Caller,
    before: Option<&'a Record>,
    sent: Option<&'a Map<String, Value>>,
) -> CheckCtx<'a> {
    CheckCtx {
        conn,
        max_employees: limits.max_employees,
        today: crate::domain::time::today_utc(),
        before,
        sent,
        user: &caller.user_id,
        warnings: RefCell::new(Vec::new()),
    }
}

/// What a write answers with: the stored row as a reader sees it (single creates), or only
/// the warnings (import rows, whose replies carry counts and row errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    Row,
    WarningsOnly,
}

/// Inside a writer transaction: tenant and role checks, cross-field rules, same-client
/// references, insert and audit. Shared by single creates, batches and confirmed imports.
pub fn insert_prepared(
    tx: &rusqlite::Connection,
    limits: &Limits,
    caller: &Caller,
    res: &'static Resource,
    prepared: Prepared,
    entry_method: &str,
    echo: Echo,
) -> Result<Saved, EngineError> {
    let Prepared {
        mut record,
        mut warnings,
        client,
        amendment_reason,
    } = prepared;
    let client = match res.tenant {
        Tenant::Parent { .. } => {
            let c = parent_client(tx, caller, res, &record)?;
            if let Some(c) = &c {
                record.insert("client_id".into(), Value::String(c.to_string()));
            }
            c
        }
        _ => client,
    };
    let write = permit(tx, caller, res, client.as_ref(), res.may_write, "create")?;
    let ctx = check_ctx(tx, limits, caller, None, None);
    let mut errors = (res.check)(&mut record, &ctx)?;
    let client_str = client.as_ref().map_or("", |c| c.as_str());
    errors.extend(defs::check_refs(res, &record, tx, client_str).map_err(StoreError::from)?);
    if !errors.is_empty() {
        return Err(EngineError::invalid(errors));
    }
    let amend = shift_lock::check(tx, caller, res, &[&record], amendment_reason.as_deref())?;
    // Entry rows of an import skip the read-back (their one hook, holds', needs only the
    // work order id); master data is always read back for its after_write hooks.
    let echo_row = echo == Echo::Row || !res.is_entry;
    let mut record = repo::insert(
        tx,
        res,
        &write,
        record,
        &caller.user_id,
        entry_method,
        echo_row,
    )
    .map_err(|e| write_error(res, e))?;
    if let Some(reason) = amend {
        shift_lock::audit_amend(tx, caller, res, &record, &reason)?;
    }
    (res.after_write)(
        tx,
        &AfterWrite {
            row: &record,
            before: None,
            write: &write,
            user: &caller.user_id,
        },
    )?;
    if echo_row {
        present(tx, res, caller.role, &mut record)?;
    }
    warnings.extend(ctx.warnings.into_inner());
    Ok(Saved { record, warnings })
}

/// Operators may edit only their own unverified entries (api.md §3).
fn may_edit(caller: &Caller, res: &Resource, before: &Record) -> bool {
    if !(res.may_write)(caller.role) {
        return false;
    }
    if caller.role == Role::OperatorDataentry {
        let own = before.get("created_by").and_then(Value::as_str) == Some(caller.user_id.as_str());
        let verified = res.verify.is_some_and(|v| v.is_verified(before));
        return own && !verified;
    }
    true
}

/// Fields a PATCH may not change: the key, `client_id` (entered or copied), the parent link
/// of jobs/defects, the field a `<client>.<field>` key derives from, and declared extras.
fn immutable_fields(res: &Resource) -> Vec<&'static str> {
    let mut v = vec![res.key];
    if !res.is_shared() {
        v.push("client_id");
    }
    if let Tenant::Parent { field, .. } = res.tenant {
        v.push(field);
    }
    if let KeyRule::ClientDot(field) = res.key_rule {
        v.push(field);
    }
    v.extend(res.immutable);
    v
}

fn client_of(res: &Resource, row: &Record) -> Option<ClientId> {
    res.client_of(row)
        .map(|c| ClientId::from_trusted(c.to_owned()))
}

/// A PATCH inside the writer transaction (see `Engine::patch_record`).
struct Patch<'a> {
    caller: &'a Caller,
    limits: Limits,
    id: &'a str,
    body: &'a Map<String, Value>,
    changes: Record,
    /// `is_active` as sent: true = restore (ADMIN), false = deactivate (employees).
    active: Option<bool>,
}

fn patch_in_tx(
    tx: &rusqlite::Connection,
    res: &'static Resource,
    p: Patch,
) -> Result<Saved, EngineError> {
    let caller = p.caller;
    let admin_restore = p.active == Some(true) && caller.role == Role::Admin;
    let stored = repo::get(tx, res, &caller.scope, p.id, admin_restore)?
        .ok_or_else(|| EngineError::not_found(format!("{} record", res.name)))?;
    let was_active = stored.get("is_active").and_then(Value::as_bool) == Some(true);
    for key in immutable_fields(res) {
        let sent = p.changes.get(key).or_else(|| p.body.get(key));
        if let Some(sent) = sent
            && !sent.is_null()
            && stored.get(key) != Some(sent)
        {
            return Err(EngineError::Invalid {
                code: "read_only_field",
                message: format!("{key} cannot change"),
                details: vec![FieldError::new(
                    key,
                    "is read-only; it differs from the stored value",
                )],
            });
        }
    }
    if !may_edit(caller, res, &stored) {
        return Err(EngineError::forbidden(format!(
            "your role cannot edit this {} record",
            res.name
        )));
    }
    let deactivate = p.active == Some(false) && was_active;
    if deactivate && res.name != defs::EMPLOYEES.name {
        return Err(EngineError::field(
            "is_active",
            format!(
                "use DELETE /api/{}/{{id}} (ADMIN) to delete a record",
                res.name
            ),
        ));
    }
    let restoring = !was_active;
    let mut merged = stored.clone();
    for (k, v) in &p.changes {
        merged.insert(k.clone(), v.clone());
    }
    if deactivate || restoring {
        merged.insert("is_active".into(), Value::Bool(restoring));
    }
    let before_client = client_of(res, &stored);
    let mut write = patch_permit(
        tx,
        caller,
        res,
        before_client.as_ref(),
        client_of(res, &merged).as_ref(),
    )?;
    if restoring && let Tenant::Parent { .. } = res.tenant {
        parent_client(tx, caller, res, &merged)?;
    }
    let ctx = check_ctx(tx, &p.limits, caller, Some(&stored), Some(p.body));
    let mut errors = (res.check)(&mut merged, &ctx)?;
    let after_client = client_of(res, &merged);
    if res.is_shared() {
        // a check may have released the client (floating pool: AVAILABLE)
        write = patch_permit(
            tx,
            caller,
            res,
            before_client.as_ref(),
            after_client.as_ref(),
        )?;
    }
    let client_str = after_client.as_ref().map_or("", |c| c.as_str());
    errors.extend(defs::check_refs(res, &merged, tx, client_str).map_err(StoreError::from)?);
    if !errors.is_empty() {
        return Err(EngineError::invalid(errors));
    }
    let reason = shift_lock::amendment_reason(p.body)?;
    let amend = shift_lock::check(tx, caller, res, &[&stored, &merged], reason.as_deref())?;
    // Only declared, non-server fields (plus what checks derived) are written.
    let fixed = immutable_fields(res);
    let mut to_write = Map::new();
    for field in res.fields {
        let server = field.req == Req::S && !res.derived.contains(&field.name);
        if server || fixed.contains(&field.name) {
            continue;
        }
        if let Some(v) = merged.get(field.name) {
            to_write.insert(field.name.into(), v.clone());
        }
    }
    if let Some(v) = res.verify
        && v.is_verified(&stored)
        && to_write.iter().any(|(k, val)| stored.get(k) != Some(val))
    {
        // a LEADER/ADMIN edit of a verified row clears verification (ingest.md §10)
        to_write.extend(v.cleared());
    }
    if deactivate {
        to_write.insert("is_active".into(), Value::Bool(false));
    }
    let base = if restoring {
        repo::restore(tx, res, &write, &stored, &caller.user_id).map_err(|e| write_error(res, e))?
    } else {
        stored.clone()
    };
    let mut record = repo::update(tx, res, &write, &base, &to_write, &caller.user_id)
        .map_err(|e| write_error(res, e))?;
    (res.after_write)(
        tx,
        &AfterWrite {
            row: &record,
            before: Some(&stored),
            write: &write,
            user: &caller.user_id,
        },
    )?;
    if let Some(reason) = amend {
        shift_lock::audit_amend(tx, caller, res, &record, &reason)?;
    }
    // the hook may have changed the row itself (a reopened order with an open hold)
    let key = record
        .get(res.key)
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(id) = key
        && let Some(fresh) = repo::get_unscoped(tx, res, &id)?
    {
        record = fresh;
    }
    present(tx, res, caller.role, &mut record)?;
    Ok(Saved {
        record,
        warnings: ctx.warnings.into_inner(),
    })
}

/// The kind a list filter's value is parsed as (`verified` and `entry_method` are filters
/// without a declared field).
fn filter_kind(res: &Resource, name: &str) -> Option<Kind> {
    match (name, res.field(name)) {
        (_, Some(f)) => Some(f.kind),
        ("verified", None) if res.verify.is_some() => Some(Kind::Bool),
        ("entry_method", None) if res.is_entry => Some(Kind::Enum(defs::ENTRY_METHODS)),
        _ => None,
    }
}

impl Engine {
    pub async fn list_records(
        &self,
        caller: &Caller,
        res: &'static Resource,
        p: ListParams,
    ) -> Result<Page, EngineError> {
        let limit = match p.limit.as_deref() {
            None => 100,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| bad_param("limit", "must be 1-1000"))?,
        };
        let cursor = p
            .cursor
            .as_deref()
            .map(|c| {
                decode_cursor(c)
                    .ok_or_else(|| bad_param("cursor", "is not a cursor returned by this list"))
            })
            .transpose()?;
        for (k, v) in [("from", &p.from), ("to", &p.to)] {
            if let Some(v) = v
                && crate::domain::time::parse_day(v).is_none()
            {
                return Err(bad_param(k, "Invalid date format (use YYYY-MM-DD)"));
            }
        }
        let mut filters = Vec::new();
        for (k, raw) in &p.filters {
            let kind = filter_kind(res, k).ok_or_else(|| bad_param(k, "unknown filter"))?;
            let value = match kind {
                Kind::Bool => match raw.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => Value::Bool(true),
                    "false" | "0" | "no" => Value::Bool(false),
                    _ => return Err(bad_param(k, "must be true or false")),
                },
                Kind::Int { .. } => Value::from(
                    raw.parse::<i64>()
                        .map_err(|_| bad_param(k, "must be a whole number"))?,
                ),
                _ => {
                    let field = crate::resources::f("filter", kind, Req::O);
                    parse_value(&field, &Value::String(raw.clone()))
                        .map_err(|e| bad_param(k, &e.message))?
                        .unwrap_or(Value::Null)
                }
            };
            filters.push((k.clone(), value));
        }
        let include_deleted = p.include_deleted && caller.role == Role::Admin;
        let caller = caller.clone();
        let client_id = p.client_id.clone();
        let q = ListQuery {
            client_id: p.client_id,
            from: p.from,
            to: p.to,
            filters,
            limit,
            cursor,
            include_deleted,
        };
        let (items, next) = self
            .read(move |c| {
                if let Some(id) = &client_id {
                    visible_client(c, &caller, id)?;
                }
                let (mut items, next) = repo::list(c, res, &caller.scope, &q)?;
                for item in &mut items {
                    present(c, res, caller.role, item)?;
                }
                Ok((items, next))
            })
            .await?;
        Ok(Page {
            items,
            next_cursor: next.map(|(d, id)| encode_cursor(&d, &id)),
        })
    }

    pub async fn get_record(
        &self,
        caller: &Caller,
        res: &'static Resource,
        id: String,
        include_deleted: bool,
    ) -> Result<Record, EngineError> {
        let scope = caller.scope.clone();
        let role = caller.role;
        let deleted = include_deleted && role == Role::Admin;
        let found = self
            .read(move |c| {
                let mut row = repo::get(c, res, &scope, &id, deleted)?;
                if let Some(r) = &mut row {
                    present(c, res, role, r)?;
                }
                Ok(row)
            })
            .await?;
        found.ok_or_else(|| EngineError::not_found(format!("{} record", res.name)))
    }

    /// POST /api/{res}: validates, checks role, client and references, inserts, audits.
    pub async fn create_record(
        &self,
        caller: &Caller,
        res: &'static Resource,
        body: Map<String, Value>,
    ) -> Result<Saved, EngineError> {
        let prepared = self.prepare_checked(caller, res, &body).await;
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => {
                self.count_create(res.name, &Err(&e));
                return Err(e);
            }
        };
        let limits = self.limits();
        let caller = caller.clone();
        let saved = self
            .write(move |tx| insert_prepared(tx, &limits, &caller, res, prepared, "API", Echo::Row))
            .await;
        self.count_create(res.name, &saved.as_ref().map(|_| Some((1, 0))));
        saved
    }

    /// The checks of a direct create before its writer job, in order: operators only through
    /// the read-back, a foreign or unknown client (403/404 before any 422), then the body. The
    /// role is checked in the writer job, after the client exists (unknown → 404 for everyone).
    /// Shared by plain and idempotent creates.
    pub(crate) async fn prepare_checked(
        &self,
        caller: &Caller,
        res: &'static Resource,
        body: &Map<String, Value>,
    ) -> Result<Prepared, EngineError> {
        if res.is_entry && caller.role == Role::OperatorDataentry {
            return Err(EngineError::Forbidden {
                code: "readback_required",
                message: "operators enter data through the read-back (preview, then confirm)"
                    .into(),
            });
        }
        if !matches!(res.tenant, Tenant::Parent { .. })
            && let Some(client) = body.get(res.tenant_column()).and_then(Value::as_str)
        {
            self.precheck_client(caller, client.trim()).await?;
        }
        prepare_create(caller, res, body)
    }

    /// Limits the checks need, copied out of the config for use inside writer jobs.
    pub fn limits(&self) -> Limits {
        Limits {
            max_employees: self.config().max_employees_per_client as i64,
        }
    }

    /// PATCH /api/{res}/{id}: server-set fields and `warnings` are ignored; a different id,
    /// client_id or parent → 422 `read_only_field`. `is_active: true` on a deleted row
    /// restores it (ADMIN, audited RESTORE); `is_active: false` deactivates an employee
    /// (LEADER/ADMIN: leaving, not deleting).
    pub async fn patch_record(
        &self,
        caller: &Caller,
        res: &'static Resource,
        id: String,
        body: Map<String, Value>,
    ) -> Result<Saved, EngineError> {
        let (changes, _) =
            parse_body(res, &body, false, &caller.user_id).map_err(EngineError::invalid)?;
        let active = match body.get("is_active") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(EngineError::field("is_active", "must be true or false")),
        };
        let limits = self.limits();
        let caller = caller.clone();
        self.write(move |tx| {
            patch_in_tx(
                tx,
                res,
                Patch {
                    caller: &caller,
                    limits,
                    id: &id,
                    body: &body,
                    changes,
                    active,
                },
            )
        })
        .await
    }
}

/// Scope helper for callers that only need to know whether a client is visible.
pub fn scope_sees(scope: &TenantScope, client: &str) -> bool {
    scope.can_read(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let c = encode_cursor("2025-12-15", "20251215-PROD-0001");
        assert_eq!(
            decode_cursor(&c),
            Some(("2025-12-15".into(), "20251215-PROD-0001".into()))
        );
        assert_eq!(decode_cursor("zz"), None);
        assert_eq!(decode_cursor("abc"), None);
    }
}
