//! Tenant permits of record writes: a `ClientWrite` for a client's row (active, visible, role
//! rule), a `SharedWrite` for a shared row, both sides of a PATCH that moves a shared row, and
//! the client a jobs/defects row inherits from its parent. Plus what reads add to a row.
use super::clients::writable_client;
use crate::domain::{Caller, ClientId, Role, RowWrite};
use crate::error::EngineError;
use crate::resources::repo::Record;
use crate::resources::{Resource, Tenant};
use crate::store::StoreError;
use rusqlite::OptionalExtension;
use serde_json::Value;

/// The client of a jobs/defects record: its parent's. A parent that is missing, deleted or
/// of a client the caller cannot see reads as unknown (422 naming the field).
pub(crate) fn parent_client(
    tx: &rusqlite::Connection,
    caller: &Caller,
    res: &Resource,
    rec: &Record,
) -> Result<Option<ClientId>, EngineError> {
    let Tenant::Parent { field, table, key } = res.tenant else {
        return Ok(None);
    };
    let id = rec.get(field).and_then(Value::as_str).unwrap_or_default();
    let client: Option<String> = tx
        .prepare_cached(&format!(
            "SELECT client_id FROM {table} WHERE {key} = ?1 AND is_active = 1"
        ))
        .map_err(StoreError::from)?
        .query_row([id], |r| r.get(0))
        .optional()
        .map_err(StoreError::from)?;
    match client.filter(|c| caller.scope.can_read(c)) {
        Some(c) => Ok(Some(ClientId::from_trusted(c))),
        // no id in the message: a foreign parent and a missing one read the same
        None => Err(EngineError::field(
            field,
            format!(
                "Unknown {}",
                field.trim_end_matches("_id").replace('_', " ")
            ),
        )),
    }
}

/// The permit for one side of a write: a row of `client` (active, visible, and the role rule
/// `may`), or a shared row (the resource's shared-row rule).
pub(crate) fn permit(
    tx: &rusqlite::Connection,
    caller: &Caller,
    res: &Resource,
    client: Option<&ClientId>,
    may: fn(Role) -> bool,
    verb: &str,
) -> Result<RowWrite, EngineError> {
    match (client, res.tenant) {
        (Some(c), _) => {
            writable_client(tx, caller, c.as_str())?;
            caller
                .scope
                .writer_for(caller.role, c, may)
                .map(RowWrite::from)
                .ok_or_else(|| {
                    EngineError::forbidden(format!(
                        "your role cannot {verb} {} records of client {c}",
                        res.name
                    ))
                })
        }
        (
            None,
            Tenant::Shared {
                may_write_shared, ..
            },
        ) => caller
            .scope
            .shared_writer(caller.role, may_write_shared)
            .filter(|_| may(caller.role))
            .map(RowWrite::Shared)
            .ok_or_else(|| {
                EngineError::forbidden(format!(
                    "only ADMIN may {verb} shared {} rows (floaters, available pool rows)",
                    res.name
                ))
            }),
        (None, _) => Err(EngineError::field("client_id", "is required")),
    }
}

/// Permits of a PATCH whose tenant may move (shared resources): the row's client before and
/// after must both be writable; a shared side needs the shared-row role when the resource is
/// strict or no side names a client. Returns the permit the write is audited under.
pub(crate) fn patch_permit(
    tx: &rusqlite::Connection,
    caller: &Caller,
    res: &Resource,
    before: Option<&ClientId>,
    after: Option<&ClientId>,
) -> Result<RowWrite, EngineError> {
    if before == after {
        return permit(tx, caller, res, after, res.may_write, "edit");
    }
    let strict = matches!(res.tenant, Tenant::Shared { strict: true, .. });
    let side = |client: Option<&ClientId>| {
        (client.is_some() || strict)
            .then(|| permit(tx, caller, res, client, res.may_write, "edit"))
            .transpose()
    };
    let (b, a) = (side(before)?, side(after)?);
    // before != after, so at least one side names a client
    a.or(b)
        .ok_or_else(|| EngineError::forbidden(format!("cannot edit this {} record", res.name)))
}

/// Values computed on read, and fields an OPERATOR may not see.
pub(crate) fn present(
    conn: &rusqlite::Connection,
    res: &Resource,
    role: Role,
    row: &mut Record,
) -> Result<(), EngineError> {
    (res.present)(conn, row).map_err(StoreError::from)?;
    if role == Role::OperatorDataentry {
        for f in res.hidden_from_operators {
            row.insert((*f).into(), Value::Null);
        }
    }
    Ok(())
}
