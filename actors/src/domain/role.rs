//! The four roles of domain.md §4 and what each may do (api.md §3).
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    OperatorDataentry,
    LeaderDataconfig,
    Poweruser,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::OperatorDataentry,
        Role::LeaderDataconfig,
        Role::Poweruser,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::OperatorDataentry => "OPERATOR_DATAENTRY",
            Role::LeaderDataconfig => "LEADER_DATACONFIG",
            Role::Poweruser => "POWERUSER",
            Role::Admin => "ADMIN",
        }
    }

    /// Case-insensitive, trimmed (enum input rule of domain.md §2).
    pub fn parse(raw: &str) -> Option<Role> {
        let raw = raw.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(raw))
    }

    /// ADMIN and POWERUSER see every client and carry no USER_CLIENT rows.
    pub fn sees_all_clients(self) -> bool {
        matches!(self, Role::Admin | Role::Poweruser)
    }

    /// Master data (work orders, products, shifts...): ADMIN everywhere, LEADER on assigned clients.
    pub fn may_edit_master_data(self) -> bool {
        matches!(self, Role::Admin | Role::LeaderDataconfig)
    }

    /// Deletes, restores and shared master rows (floaters).
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin)
    }

    /// Verifying entries of another person: ADMIN, LEADER on assigned clients.
    pub fn may_verify(self) -> bool {
        matches!(self, Role::Admin | Role::LeaderDataconfig)
    }

    /// Entries (production, downtime ...): everyone but POWERUSER.
    pub fn may_enter_data(self) -> bool {
        !matches!(self, Role::Poweruser)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_case_insensitive_and_round_trips() {
        for r in Role::ALL {
            assert_eq!(Role::parse(&r.as_str().to_lowercase()), Some(r));
        }
        assert_eq!(Role::parse(" admin "), Some(Role::Admin));
        assert_eq!(Role::parse("ROOT"), None);
    }
}
