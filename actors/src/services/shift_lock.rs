//! The closed line-shift rule (ingest.md §10): once a LEADER/ADMIN closes a line-shift, its
//! entry rows accept creates, edits and deletes only from LEADER/ADMIN with an
//! `amendment_reason` (audited as AMEND); an OPERATOR gets 409 `shift_closed`. Holds and master
//! data never lock; defects follow their parent quality entry.
use crate::domain::{Caller, FieldError, Role};
use crate::error::EngineError;
use crate::resources::repo::Record;
use crate::resources::validate::parse_value;
use crate::resources::{AMENDMENT_REASON, Resource, Tenant};
use crate::store::StoreError;
use crate::store::audit::{self, AuditEntry};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value};

/// One line-shift: a client's shift on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineShift {
    pub client_id: String,
    pub shift_date: String,
    pub shift_type: String,
}

/// `amendment_reason` of a body: None when absent or blank; a string of at most 500 characters.
pub(crate) fn amendment_reason(body: &Map<String, Value>) -> Result<Option<String>, EngineError> {
    match body.get(AMENDMENT_REASON.name) {
        None => Ok(None),
        Some(raw) => parse_value(&AMENDMENT_REASON, raw)
            .map(|v| v.and_then(|v| v.as_str().map(str::to_owned)))
            .map_err(|e| EngineError::invalid(vec![e])),
    }
}

fn text(row: &Record, field: &str) -> Option<String> {
    row.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// The line-shift a row belongs to, when its resource locks: entry rows that carry
/// client_id + shift_date + shift_type themselves, or (defects) through their parent.
pub(crate) fn line_shift_of(
    tx: &rusqlite::Connection,
    res: &Resource,
    row: &Record,
) -> Result<Option<LineShift>, StoreError> {
    if !res.is_entry {
        return Ok(None);
    }
    if let Tenant::Parent { field, table, key } = res.tenant {
        let Some(parent) = text(row, field) else {
            return Ok(None);
        };
        return Ok(tx
            .prepare_cached(&format!(
                "SELECT client_id, shift_date, shift_type FROM {table} WHERE {key} = ?1"
            ))?
            .query_row([parent], |r| {
                Ok(LineShift {
                    client_id: r.get(0)?,
                    shift_date: r.get(1)?,
                    shift_type: r.get(2)?,
                })
            })
            .optional()?);
    }
    if res.field("shift_type").is_none() {
        return Ok(None); // holds: dated by hold_date, never locked
    }
    Ok(
        match (
            text(row, "client_id"),
            text(row, "shift_date"),
            text(row, "shift_type"),
        ) {
            (Some(client_id), Some(shift_date), Some(shift_type)) => Some(LineShift {
                client_id,
                shift_date,
                shift_type,
            }),
            _ => None,
        },
    )
}

pub(crate) fn is_closed(tx: &rusqlite::Connection, ls: &LineShift) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT 1 FROM shift_closes WHERE client_id = ?1 AND shift_date = ?2 \
             AND shift_type = ?3 AND is_active = 1",
        )?
        .exists([&ls.client_id, &ls.shift_date, &ls.shift_type])?)
}

/// Checks a write that touches `rows` (a create's new row; a PATCH's stored and merged rows;
/// a delete's row). Returns the reason to audit when a closed line-shift is amended.
pub(crate) fn check(
    tx: &rusqlite::Connection,
    caller: &Caller,
    res: &Resource,
    rows: &[&Record],
    reason: Option<&str>,
) -> Result<Option<String>, EngineError> {
    let mut closed = None;
    for row in rows {
        if let Some(ls) = line_shift_of(tx, res, row)?
            && is_closed(tx, &ls)?
        {
            closed = Some(ls);
            break;
        }
    }
    let Some(ls) = closed else {
        return Ok(None);
    };
    if !matches!(caller.role, Role::Admin | Role::LeaderDataconfig) {
        return Err(EngineError::Conflict {
            code: "shift_closed",
            message: format!(
                "{} {} of client {} is closed; ask a LEADER or ADMIN to amend it",
                ls.shift_date, ls.shift_type, ls.client_id
            ),
        });
    }
    match reason {
        Some(r) => Ok(Some(r.to_owned())),
        None => Err(EngineError::Invalid {
            code: "amendment_reason_required",
            message: format!(
                "{} {} of client {} is closed: say why it changes",
                ls.shift_date, ls.shift_type, ls.client_id
            ),
            details: vec![FieldError::new(
                AMENDMENT_REASON.name,
                "is required to change an entry of a closed shift (at most 500 characters)",
            )],
        }),
    }
}

/// The AMEND audit row beside the write's own CREATE/UPDATE/DELETE rows.
pub(crate) fn audit_amend(
    tx: &rusqlite::Connection,
    caller: &Caller,
    res: &Resource,
    row: &Record,
    reason: &str,
) -> Result<(), StoreError> {
    let id = text(row, res.key).unwrap_or_default();
    let client = text(row, "client_id");
    let mut entry = AuditEntry::new(
        Some(&caller.user_id),
        client.as_deref(),
        res.entity,
        &id,
        "AMEND",
    );
    entry.reason = Some(reason);
    audit::record(tx, &entry)
}
