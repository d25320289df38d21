//! Per-tenant state: one `TenantActor` per client owns that client's cached KPI responses and
//! its settings versions (targets included), each stamped with the client's data generation
//! (`store::writer::Generations`). A write to client A moves only A's generation (a global
//! change such as a script publish moves everyone's), so B's state is never dropped by A's
//! writes.
//!
//! The actors never touch SQLite: on a miss the engine computes on the read pool and hands the
//! result over (`StoreKpis`, `StoreSettings`). `TenantHandles` (kept in the `Engine`) starts an
//! actor on first use, on one dedicated arbiter, and starts a fresh one when the old one died.
pub mod actor;
pub mod handle;

pub use handle::{KpiLookup, TenantHandles, Ticket};

use crate::domain::time::now_ts;
use crate::store::settings::{self, SettingsVersion};
use serde_json::Value;

/// What a KPI response depends on besides the client and its data: window, filters, and
/// "today" (the WIP as-of date and default windows move at midnight).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KpiKey {
    pub from: String,
    pub to: String,
    pub shift: Option<String>,
    pub work_order_id: Option<String>,
    pub product_id: Option<String>,
    pub today: String,
}

/// A client's settings: every stored version (effective-dated, oldest first) and the SHIFT
/// standards read through into `shift_standards`. Which version is in force depends on the
/// moment asked about, so the versions are kept rather than one resolved document: a version
/// scheduled for tomorrow takes over at its date without any write.
#[derive(Debug, Clone)]
pub struct TenantSettings {
    pub versions: Vec<SettingsVersion>,
    pub shift_standards: Value,
}

impl TenantSettings {
    /// The version in force at `at` (RFC 3339): the highest version whose `effective_from` has
    /// passed, else the first version, else the defaults (as `store::settings::in_force`).
    pub fn in_force(&self, at: &str) -> SettingsVersion {
        settings::pick_in_force(&self.versions, |v| v, at)
            .cloned()
            .unwrap_or_else(|| SettingsVersion {
                version: 0,
                effective_from: now_ts(),
                settings: settings::defaults(),
                comment: None,
            })
    }

    /// Versions that take effect after `now`, soonest first (as `store::settings::scheduled`).
    pub fn scheduled(&self, now: &str) -> Vec<SettingsVersion> {
        let mut later: Vec<SettingsVersion> = self
            .versions
            .iter()
            .filter(|v| v.effective_from.as_str() > now)
            .cloned()
            .collect();
        later.sort_by(|a, b| {
            (a.effective_from.as_str(), a.version).cmp(&(b.effective_from.as_str(), b.version))
        });
        later
    }

    /// The targets in force at `at` (`settings.targets`, Null when absent).
    pub fn targets_at(&self, at: &str) -> Value {
        self.in_force(at).settings["targets"].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version(version: i64, from: &str, oee: i64) -> SettingsVersion {
        SettingsVersion {
            version,
            effective_from: from.into(),
            settings: json!({"targets": {"oee": oee}}),
            comment: None,
        }
    }

    #[test]
    fn the_version_in_force_follows_its_date() {
        let s = TenantSettings {
            versions: vec![
                version(1, "2025-01-01T00:00:00Z", 75),
                version(2, "2025-06-01T00:00:00Z", 80),
                version(3, "2025-03-01T00:00:00Z", 70),
            ],
            shift_standards: json!({}),
        };
        assert_eq!(s.in_force("2024-12-31T23:59:59Z").version, 1, "first");
        assert_eq!(s.targets_at("2025-02-01T00:00:00Z")["oee"], 75);
        assert_eq!(s.in_force("2025-04-01T00:00:00Z").version, 3);
        assert_eq!(s.in_force("2025-07-01T00:00:00Z").version, 3, "highest");
        let later: Vec<i64> = s
            .scheduled("2025-02-01T00:00:00Z")
            .iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(later, [3, 2], "soonest first");
        let none = TenantSettings {
            versions: vec![],
            shift_standards: json!({}),
        };
        assert_eq!(none.in_force("2025-01-01T00:00:00Z").version, 0);
    }
}
