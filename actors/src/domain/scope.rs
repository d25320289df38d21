//! Tenant scope: the set of clients a caller may see. Every store query takes one, so a
//! query without a tenant filter cannot be written by accident. Writes need a `ClientWrite`,
//! which only `TenantScope::writer_for` can mint.
use super::{ClientId, Role};
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantScope {
    /// ADMIN, POWERUSER and the engine's own jobs.
    All,
    /// The clients of the caller's USER_CLIENT rows (possibly none).
    Assigned(Arc<BTreeSet<ClientId>>),
}

/// Proof that a caller may write rows of one client. Not constructible outside this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientWrite {
    client: ClientId,
}

impl ClientWrite {
    pub fn client(&self) -> &ClientId {
        &self.client
    }
}

/// Proof that a caller may write a shared row, one that belongs to no client (floaters,
/// AVAILABLE floating-pool rows). Not constructible outside this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedWrite {
    _minted: (),
}

/// The permit of one row write: for a client's row, or for a shared row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowWrite {
    Client(ClientWrite),
    Shared(SharedWrite),
}

impl RowWrite {
    /// The client of the written row; None for a shared row.
    pub fn client(&self) -> Option<&ClientId> {
        match self {
            RowWrite::Client(w) => Some(w.client()),
            RowWrite::Shared(_) => None,
        }
    }
}

impl From<ClientWrite> for RowWrite {
    fn from(w: ClientWrite) -> Self {
        RowWrite::Client(w)
    }
}

impl TenantScope {
    pub fn for_role(role: Role, assigned: impl IntoIterator<Item = ClientId>) -> Self {
        if role.sees_all_clients() {
            TenantScope::All
        } else {
            TenantScope::Assigned(Arc::new(assigned.into_iter().collect()))
        }
    }

    pub fn can_read(&self, client: &str) -> bool {
        match self {
            TenantScope::All => true,
            TenantScope::Assigned(set) => set.iter().any(|c| c.as_str() == client),
        }
    }

    /// A write permit for `client` when the role may write that kind of data there.
    /// `may_write` is the role rule (e.g. `Role::may_edit_master_data`).
    pub fn writer_for(
        &self,
        role: Role,
        client: &ClientId,
        may_write: fn(Role) -> bool,
    ) -> Option<ClientWrite> {
        (may_write(role) && self.can_read(client.as_str())).then(|| ClientWrite {
            client: client.clone(),
        })
    }

    /// A write permit for a shared row (no client) when the role may write those
    /// (e.g. floaters: ADMIN only).
    pub fn shared_writer(&self, role: Role, may_write: fn(Role) -> bool) -> Option<SharedWrite> {
        may_write(role).then_some(SharedWrite { _minted: () })
    }

    /// The engine itself (demo loader, scheduler) writes for any client.
    pub fn system_writer(client: &ClientId) -> ClientWrite {
        ClientWrite {
            client: client.clone(),
        }
    }

    /// SQL fragment restricting `column` to this scope, plus its parameters.
    /// `All` yields `1=1`; an empty assignment yields `0=1` (sees nothing).
    pub fn sql_filter(&self, column: &str) -> (String, Vec<String>) {
        match self {
            TenantScope::All => ("1=1".to_owned(), Vec::new()),
            TenantScope::Assigned(set) if set.is_empty() => ("0=1".to_owned(), Vec::new()),
            TenantScope::Assigned(set) => {
                let marks = vec!["?"; set.len()].join(",");
                (
                    format!("{column} IN ({marks})"),
                    set.iter().map(|c| c.as_str().to_owned()).collect(),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ClientId {
        ClientId::parse(s).unwrap()
    }

    #[test]
    fn assigned_scope_reads_only_its_clients() {
        let s = TenantScope::for_role(Role::OperatorDataentry, [id("AAA-1")]);
        assert!(s.can_read("AAA-1"));
        assert!(!s.can_read("BBB-1"));
        assert_eq!(
            s.sql_filter("client_id"),
            ("client_id IN (?)".into(), vec!["AAA-1".into()])
        );
    }

    #[test]
    fn empty_assignment_sees_nothing() {
        let s = TenantScope::for_role(Role::LeaderDataconfig, []);
        assert_eq!(s.sql_filter("client_id").0, "0=1");
    }

    #[test]
    fn writer_needs_role_and_client() {
        let s = TenantScope::for_role(Role::LeaderDataconfig, [id("AAA-1")]);
        assert!(
            s.writer_for(
                Role::LeaderDataconfig,
                &id("AAA-1"),
                Role::may_edit_master_data
            )
            .is_some()
        );
        assert!(
            s.writer_for(
                Role::LeaderDataconfig,
                &id("BBB-1"),
                Role::may_edit_master_data
            )
            .is_none()
        );
        assert!(
            s.shared_writer(Role::LeaderDataconfig, Role::is_admin)
                .is_none()
        );
        let p = TenantScope::for_role(Role::Poweruser, []);
        assert!(
            p.writer_for(Role::Poweruser, &id("AAA-1"), Role::may_enter_data)
                .is_none()
        );
    }
}
