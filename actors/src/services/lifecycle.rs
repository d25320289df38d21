//! Soft delete (with `cascade`) and second-person verification of declared resources
//! (domain.md §1 "Soft delete", ingest.md §10). Restore is a PATCH (`services::records`).
use super::record_permits::{permit, present};
use super::shift_lock;
use crate::domain::{Caller, ClientId, FieldError, Role};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::resources::constraints::write_error;
use crate::resources::repo::{self, Record};
use crate::resources::{AfterWrite, Resource};
use serde::Serialize;
use serde_json::{Map, Value};

/// Most ids one verification call takes.
const MAX_VERIFY_IDS: usize = 1000;

/// One id a verification call could not verify.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VerifyError {
    pub id: String,
    pub code: &'static str,
    pub message: String,
}

/// Result of `POST /api/{res}/verify`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyOutcome {
    /// Ids verified by this call.
    pub verified: Vec<String>,
    pub errors: Vec<VerifyError>,
}

fn client_of(res: &Resource, row: &Record) -> Option<ClientId> {
    res.client_of(row)
        .map(|c| ClientId::from_trusted(c.to_owned()))
}

fn key_of(res: &Resource, row: &Record) -> String {
    row.get(res.key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Active dependants of `row`: (resource name, column, count).
fn dependants(
    tx: &rusqlite::Connection,
    res: &Resource,
    id: &str,
) -> Result<Vec<(&'static str, &'static str, usize)>, EngineError> {
    let mut out = Vec::new();
    for dep in res.dependents {
        let n = repo::active_keys_where(tx, dep.res, dep.column, id)?.len();
        if n > 0 {
            out.push((dep.res.name, dep.column, n));
        }
    }
    Ok(out)
}

/// Soft-deletes `row` after its active dependants (depth first), each audited DELETE with
/// the cascade as reason, each under the permit of its own client.
fn delete_tree(
    tx: &rusqlite::Connection,
    caller: &Caller,
    res: &'static Resource,
    row: &Record,
    reason: Option<&str>,
) -> Result<Record, EngineError> {
    let id = key_of(res, row);
    for dep in res.dependents {
        for key in repo::active_keys_where(tx, dep.res, dep.column, &id)? {
            // an earlier branch of this cascade may have deleted it already
            if let Some(child) = repo::get_unscoped(tx, dep.res, &key)?
                && child.get("is_active").and_then(Value::as_bool) == Some(true)
            {
                let why = format!("cascade: {} {id} deleted", res.name);
                delete_tree(tx, caller, dep.res, &child, Some(&why))?;
            }
        }
    }
    let write = permit(
        tx,
        caller,
        res,
        client_of(res, row).as_ref(),
        Role::is_admin,
        "delete",
    )?;
    let after = repo::soft_delete(tx, res, &write, row, &caller.user_id, reason)
        .map_err(|e| write_error(res, e))?;
    (res.after_write)(
        tx,
        &AfterWrite {
            row: &after,
            before: Some(row),
            write: &write,
            user: &caller.user_id,
        },
    )?;
    Ok(after)
}

/// The stable code and message of an error, for a per-id error entry.
fn code_of(e: &EngineError) -> &'static str {
    match e {
        EngineError::Invalid { code, .. }
        | EngineError::Forbidden { code, .. }
        | EngineError::Conflict { code, .. }
        | EngineError::ConflictOn { code, .. }
        | EngineError::TooMany { code, .. } => code,
        EngineError::NotFound(_) => "not_found",
        EngineError::Unauthorized(_) => "unauthorized",
        EngineError::Busy => "overloaded",
        EngineError::Store(_) => "internal_error",
    }
}

/// Parses `{"ids": [...]}`: 1..=1000 non-blank strings, duplicates dropped.
fn parse_ids(body: &Map<String, Value>) -> Result<Vec<String>, EngineError> {
    let mut errors = Vec::new();
    for key in body.keys().filter(|k| *k != "ids") {
        errors.push(FieldError::new(key.as_str(), "unknown field"));
    }
    let ids: Vec<String> = match body.get("ids").and_then(Value::as_array) {
        Some(list) if (1..=MAX_VERIFY_IDS).contains(&list.len()) => {
            let ids: Vec<String> = list
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            if ids.len() != list.len() {
                errors.push(FieldError::new(
                    "ids",
                    "every id must be a non-blank string",
                ));
            }
            ids
        }
        _ => {
            errors.push(FieldError::new(
                "ids",
                format!("must be an array of 1-{MAX_VERIFY_IDS} record ids"),
            ));
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(EngineError::invalid(errors));
    }
    let mut seen = std::collections::HashSet::new();
    Ok(ids.into_iter().filter(|i| seen.insert(i.clone())).collect())
}

/// Verifies one row, or says why not.
fn verify_one(
    tx: &rusqlite::Connection,
    caller: &Caller,
    res: &'static Resource,
    id: &str,
) -> Result<(), EngineError> {
    let Some(v) = res.verify else {
        return Err(EngineError::not_found(format!("{} verification", res.name)));
    };
    let row = repo::get(tx, res, &caller.scope, id, false)?
        .ok_or_else(|| EngineError::not_found(format!("{} record {id}", res.name)))?;
    let write = permit(
        tx,
        caller,
        res,
        client_of(res, &row).as_ref(),
        Role::may_verify,
        "verify",
    )?;
    let me = Some(caller.user_id.as_str());
    let entered_by_me = std::iter::once("created_by")
        .chain(v.entered_by.iter().copied())
        .any(|k| row.get(k).and_then(Value::as_str) == me);
    if entered_by_me {
        return Err(EngineError::Conflict {
            code: "self_verification",
            message: "a second person must verify: you entered or collected this row".into(),
        });
    }
    if v.is_verified(&row) {
        return Err(EngineError::Conflict {
            code: "already_verified",
            message: format!("{} record {id} is already verified", res.name),
        });
    }
    repo::set_verified(tx, res, &write, &row, &caller.user_id).map_err(|e| write_error(res, e))?;
    Ok(())
}

impl Engine {
    /// DELETE /api/{res}/{id}[?cascade=true] (ADMIN): soft delete, audited; 409
    /// `has_dependents` while active rows depend on it, unless `cascade` soft-deletes them in
    /// the same transaction.
    pub async fn delete_record(
        &self,
        caller: &Caller,
        res: &'static Resource,
        id: String,
        cascade: bool,
        amendment_reason: Option<String>,
    ) -> Result<Record, EngineError> {
        if caller.role != Role::Admin {
            return Err(EngineError::forbidden("only ADMIN may delete records"));
        }
        let mut reason_body = Map::new();
        if let Some(r) = amendment_reason {
            reason_body.insert("amendment_reason".into(), Value::String(r));
        }
        let reason = shift_lock::amendment_reason(&reason_body)?;
        let caller = caller.clone();
        self.write(move |tx| {
            let row = repo::get(tx, res, &caller.scope, &id, false)?
                .ok_or_else(|| EngineError::not_found(format!("{} record", res.name)))?;
            let blocking = dependants(tx, res, &id)?;
            if !blocking.is_empty() && !cascade {
                let summary: Vec<String> = blocking
                    .iter()
                    .map(|(name, _, n)| format!("{n} {name}"))
                    .collect();
                return Err(EngineError::ConflictOn {
                    code: "has_dependents",
                    message: format!(
                        "{} {id} has active dependants ({}); delete them first or use ?cascade=true",
                        res.name,
                        summary.join(", ")
                    ),
                    details: blocking
                        .iter()
                        .map(|(name, column, n)| {
                            FieldError::new(*name, format!("{n} active row(s) name it in {column}"))
                        })
                        .collect(),
                });
            }
            let amend = shift_lock::check(tx, &caller, res, &[&row], reason.as_deref())?;
            let mut after = delete_tree(tx, &caller, res, &row, None)?;
            if let Some(reason) = amend {
                shift_lock::audit_amend(tx, &caller, res, &row, &reason)?;
            }
            present(tx, res, caller.role, &mut after)?;
            Ok(after)
        })
        .await
    }

    /// POST /api/{res}/verify `{"ids": [...]}`: LEADER (assigned clients) or ADMIN; never the
    /// person who entered or collected the row. Each id is verified or reported.
    pub async fn verify_records(
        &self,
        caller: &Caller,
        res: &'static Resource,
        body: Map<String, Value>,
    ) -> Result<VerifyOutcome, EngineError> {
        if res.verify.is_none() {
            return Err(EngineError::not_found(format!("{} verification", res.name)));
        }
        if !caller.role.may_verify() {
            return Err(EngineError::forbidden(
                "only a LEADER (assigned clients) or an ADMIN may verify entries",
            ));
        }
        let ids = parse_ids(&body)?;
        let caller = caller.clone();
        self.write(move |tx| {
            let mut out = VerifyOutcome {
                verified: Vec::new(),
                errors: Vec::new(),
            };
            for id in ids {
                match verify_one(tx, &caller, res, &id) {
                    Ok(()) => out.verified.push(id),
                    Err(e @ EngineError::Store(_)) => return Err(e),
                    Err(e) => out.errors.push(VerifyError {
                        id,
                        code: code_of(&e),
                        message: e.to_string(),
                    }),
                }
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_validated_and_deduplicated() {
        let body = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            parse_ids(&body(json!({"ids": ["A", "B", "A"]}))).unwrap(),
            vec!["A".to_owned(), "B".to_owned()]
        );
        for bad in [
            json!({"ids": []}),
            json!({"ids": "A"}),
            json!({"ids": [1]}),
            json!({"ids": ["A"], "extra": 1}),
            json!({}),
        ] {
            assert!(parse_ids(&body(bad.clone())).is_err(), "{bad}");
        }
    }
}
