//! Generic create / list / get / patch for the declared resources (resources::defs).
use super::clients::{visible_client, writable_client};
use crate::domain::{Caller, ClientId, FieldError, Role, TenantScope};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::resources::repo::{self, ListQuery, Record};
use crate::resources::validate::{Warning, parse_body, parse_value};
use crate::resources::{CheckCtx, Resource, defs};
use serde_json::{Map, Value};

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

fn check_ctx<'a>(
    engine: &Engine,
    conn: &'a rusqlite::Connection,
    before: Option<&'a Record>,
) -> CheckCtx<'a> {
    CheckCtx {
        conn,
        max_employees: engine.config().max_employees_per_client as i64,
        today: crate::domain::time::today_utc(),
        before,
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
    pub client: ClientId,
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
    if matches!(
        res.key_rule,
        crate::resources::KeyRule::DatedSequence { .. }
    ) && body.get(res.key).is_some_and(|v| !v.is_null())
    {
        warnings.push(Warning {
            field: res.key.into(),
            code: "id_ignored".into(),
            message: format!("{} is assigned by the server", res.key),
        });
    }
    let client_raw = record
        .get("client_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let client = ClientId::parse(&client_raw).map_err(|e| EngineError::invalid(vec![e]))?;
    Ok(Prepared {
        record,
        warnings,
        client,
    })
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
) -> Result<Saved, EngineError> {
    let Prepared {
        mut record,
        warnings,
        client,
    } = prepared;
    writable_client(tx, caller, client.as_str())?;
    let write = caller
        .scope
        .writer_for(caller.role, &client, res.may_write)
        .ok_or_else(|| {
            EngineError::forbidden(format!("your role cannot create {} records", res.name))
        })?;
    let ctx = CheckCtx {
        conn: tx,
        max_employees: limits.max_employees,
        today: crate::domain::time::today_utc(),
        before: None,
    };
    let mut errors = (res.check)(&mut record, &ctx);
    errors.extend(
        defs::check_refs(res, &record, tx, client.as_str())
            .map_err(crate::store::StoreError::from)?,
    );
    if !errors.is_empty() {
        return Err(EngineError::invalid(errors));
    }
    let record =
        repo::insert(tx, res, &write, record, &caller.user_id, entry_method).map_err(|e| {
            EngineError::from_store_dup(
                e,
                format!(
                    "an active {} record with the same key already exists",
                    res.name
                ),
            )
        })?;
    Ok(Saved { record, warnings })
}

/// Operators may edit only their own unverified entries (api.md §3).
fn may_edit(caller: &Caller, res: &Resource, before: &Record) -> bool {
    if !(res.may_write)(caller.role) {
        return false;
    }
    if caller.role == Role::OperatorDataentry {
        let own = before.get("created_by").and_then(Value::as_str) == Some(caller.user_id.as_str());
        let verified = before.get("verified_by").is_some_and(|v| !v.is_null());
        return own && !verified;
    }
    true
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
            let field = res.field(k).ok_or_else(|| bad_param(k, "unknown filter"))?;
            let value = match field.kind {
                crate::resources::Kind::Bool => Value::Bool(matches!(
                    raw.to_ascii_lowercase().as_str(),
                    "true" | "1" | "yes"
                )),
                crate::resources::Kind::Int { .. } => Value::from(
                    raw.parse::<i64>()
                        .map_err(|_| bad_param(k, "must be a whole number"))?,
                ),
                _ => parse_value(field, &Value::String(raw.clone()))
                    .map_err(|e| bad_param(k, &e.message))?
                    .unwrap_or(Value::Null),
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
                Ok(repo::list(c, res, &caller.scope, &q)?)
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
        let deleted = include_deleted && caller.role == Role::Admin;
        let found = self
            .read(move |c| Ok(repo::get(c, res, &scope, &id, deleted)?))
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
        if res.is_entry && caller.role == Role::OperatorDataentry {
            return Err(EngineError::Forbidden {
                code: "readback_required",
                message: "operators enter data through the read-back (preview, then confirm)"
                    .into(),
            });
        }
        if let Some(client) = body.get("client_id").and_then(Value::as_str) {
            self.precheck_client(caller, client.trim()).await?;
        }
        let prepared = prepare_create(caller, res, &body)?;
        let limits = self.limits();
        let caller = caller.clone();
        self.write(move |tx| insert_prepared(tx, &limits, &caller, res, prepared, "API"))
            .await
    }

    /// Limits the checks need, copied out of the config for use inside writer jobs.
    pub fn limits(&self) -> Limits {
        Limits {
            max_employees: self.config().max_employees_per_client as i64,
        }
    }
    /// PATCH /api/{res}/{id}: server-set fields and `warnings` are ignored; a different id or
    /// client_id → 422 `read_only_field`.
    pub async fn patch_record(
        &self,
        caller: &Caller,
        res: &'static Resource,
        id: String,
        body: Map<String, Value>,
    ) -> Result<Saved, EngineError> {
        let (changes, warnings) =
            parse_body(res, &body, false, &caller.user_id).map_err(EngineError::invalid)?;
        let engine = self.clone();
        let caller = caller.clone();
        self.write(move |tx| {
            let before = repo::get_for_write(tx, res, &caller.scope, &id)?
                .ok_or_else(|| EngineError::not_found(format!("{} record", res.name)))?;
            for key in [res.key, "client_id"] {
                if let Some(sent) = body.get(key)
                    && !sent.is_null()
                    && before.get(key) != Some(sent)
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
            let client = ClientId::from_trusted(
                before
                    .get("client_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            );
            writable_client(tx, &caller, client.as_str())?;
            if !may_edit(&caller, res, &before) {
                return Err(EngineError::forbidden(format!(
                    "your role cannot edit this {} record",
                    res.name
                )));
            }
            let write = caller
                .scope
                .writer_for(caller.role, &client, res.may_write)
                .ok_or_else(|| EngineError::forbidden("not writable"))?;
            let mut merged = before.clone();
            for (k, v) in &changes {
                merged.insert(k.clone(), v.clone());
            }
            let mut errors = (res.check)(&mut merged, &check_ctx(&engine, tx, Some(&before)));
            errors.extend(
                defs::check_refs(res, &merged, tx, client.as_str())
                    .map_err(crate::store::StoreError::from)?,
            );
            if !errors.is_empty() {
                return Err(EngineError::invalid(errors));
            }
            // Only declared, non-server fields (plus what checks derived) are written.
            let mut to_write = Map::new();
            for field in res.fields {
                if matches!(field.req, crate::resources::Req::S)
                    && !["closed_at"].contains(&field.name)
                {
                    continue;
                }
                if field.name == res.key || field.name == "client_id" {
                    continue;
                }
                if let Some(v) = merged.get(field.name) {
                    to_write.insert(field.name.into(), v.clone());
                }
            }
            let record = repo::update(tx, res, &write, &before, &to_write, &caller.user_id)
                .map_err(|e| {
                    EngineError::from_store_dup(
                        e,
                        format!(
                            "an active {} record with the same key already exists",
                            res.name
                        ),
                    )
                })?;
            Ok(Saved { record, warnings })
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
