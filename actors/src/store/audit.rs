//! AUDIT_LOG: append-only. Every create/update/delete and security event writes here, in the
//! same transaction as the change it describes.
use super::StoreError;
use crate::domain::time::now_ts;
use rusqlite::{Connection, params};

pub struct AuditEntry<'a> {
    pub user_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
    pub field: Option<&'a str>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<&'a str>,
}

impl<'a> AuditEntry<'a> {
    pub fn new(
        user_id: Option<&'a str>,
        client_id: Option<&'a str>,
        entity: &'a str,
        entity_id: &'a str,
        action: &'a str,
    ) -> Self {
        AuditEntry {
            user_id,
            client_id,
            entity,
            entity_id,
            action,
            field: None,
            old_value: None,
            new_value: None,
            reason: None,
        }
    }
}

pub fn record(tx: &Connection, e: &AuditEntry) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO audit_log (occurred_at, user_id, client_id, entity, entity_id, action, field, old_value, new_value, reason) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![now_ts(), e.user_id, e.client_id, e.entity, e.entity_id, e.action, e.field, e.old_value, e.new_value, e.reason])?;
    Ok(())
}
