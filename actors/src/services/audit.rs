//! GET /api/audit: reading the append-only AUDIT_LOG (ingest.md §10, api.md §9).
//! ADMIN and POWERUSER read every client's rows, LEADER_DATACONFIG the rows of assigned clients,
//! OPERATOR_DATAENTRY nothing. Rows without a client (user and security events) are ADMIN-only.
//! The tenant scope is part of the SQL (`store::audit::list`), never a filter after the fact.
use super::clients::visible_client;
use crate::domain::time::parse_day;
use crate::domain::{Caller, FieldError, Role};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::resources::defs;
use crate::store::audit::{self, AuditFilter};
use serde_json::{Map, Value};

/// Actions the table accepts (its CHECK constraint).
pub const ACTIONS: [&str; 13] = [
    "CREATE",
    "UPDATE",
    "DELETE",
    "RESTORE",
    "VERIFY",
    "AMEND",
    "SETTINGS",
    "SCRIPT",
    "LOGIN",
    "LOGIN_FAILED",
    "LOCKOUT",
    "PASSWORD",
    "ROLE",
];

/// Actions stored under entity `USER` that the API calls entity `auth`.
const AUTH_ACTIONS: [&str; 4] = ["LOGIN", "LOGIN_FAILED", "LOCKOUT", "PASSWORD"];

/// Raw query parameters as the edge received them.
#[derive(Default, Debug, Clone)]
pub struct AuditParams {
    pub client_id: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub user_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

pub struct AuditPage {
    pub items: Vec<Map<String, Value>>,
    pub next_cursor: Option<String>,
}

fn bad(field: &str, msg: impl Into<String>) -> EngineError {
    EngineError::Invalid {
        code: "validation_failed",
        message: format!("invalid query parameter {field}"),
        details: vec![FieldError::new(field, msg)],
    }
}

/// The API's entity names (api.md §9: resource names plus clients, users, settings,
/// kpi-scripts, auth) → stored entity names and, for `auth`/`users`, the actions they cover.
/// A stored name (`PRODUCTION_ENTRY`) is accepted as well.
fn entity_filter(raw: &str) -> Result<(Vec<String>, Vec<String>), EngineError> {
    let name = raw.trim();
    let non_auth: Vec<String> = ACTIONS
        .iter()
        .filter(|a| !AUTH_ACTIONS.contains(a))
        .map(|a| a.to_string())
        .collect();
    let one = |e: &str| vec![e.to_owned()];
    Ok(match name {
        "clients" => (one("CLIENT"), vec![]),
        "settings" => (one("CLIENT_SETTINGS"), vec![]),
        "kpi-scripts" => (one("KPI_SCRIPT"), vec![]),
        "shift-closes" => (one("SHIFT_CLOSE"), vec![]),
        "users" => (one("USER"), non_auth),
        "auth" => (
            one("USER"),
            AUTH_ACTIONS.iter().map(|a| a.to_string()).collect(),
        ),
        _ => {
            if let Some(res) = defs::find(name) {
                (one(res.entity), vec![])
            } else if let Some(res) = defs::ALL
                .iter()
                .find(|r| r.entity.eq_ignore_ascii_case(name))
            {
                (one(res.entity), vec![])
            } else if let Some(fixed) = [
                "CLIENT",
                "CLIENT_SETTINGS",
                "KPI_SCRIPT",
                "SHIFT_CLOSE",
                "USER",
            ]
            .iter()
            .find(|e| e.eq_ignore_ascii_case(name))
            {
                (one(fixed), vec![])
            } else {
                let names: Vec<&str> = defs::ALL
                    .iter()
                    .map(|r| r.name)
                    .chain([
                        "clients",
                        "users",
                        "settings",
                        "kpi-scripts",
                        "shift-closes",
                        "auth",
                    ])
                    .collect();
                return Err(bad(
                    "entity",
                    format!("expected one of: {}", names.join(", ")),
                ));
            }
        }
    })
}

/// Parses and checks every parameter; all problems are reported together.
fn parse(p: &AuditParams) -> Result<AuditFilter, EngineError> {
    let mut errors = Vec::new();
    let limit = match p.limit.as_deref() {
        None => 100,
        Some(l) => l
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .unwrap_or_else(|| {
                errors.push(FieldError::new("limit", "must be 1-1000"));
                100
            }),
    };
    let below_id = p.cursor.as_deref().and_then(|c| {
        let id = c.trim().parse::<i64>().ok().filter(|n| *n > 0);
        if id.is_none() {
            errors.push(FieldError::new(
                "cursor",
                "is not a cursor returned by this list",
            ));
        }
        id
    });
    let mut day = |field: &str, v: &Option<String>| {
        v.as_deref().and_then(|raw| {
            let d = parse_day(raw);
            if d.is_none() {
                errors.push(FieldError::new(
                    field,
                    "Invalid date format (use YYYY-MM-DD)",
                ));
            }
            d
        })
    };
    let from = day("from", &p.from);
    let to = day("to", &p.to);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errors.push(FieldError::new("to", "must be on or after from"));
    }
    let mut actions = Vec::new();
    if let Some(a) = p.action.as_deref() {
        match ACTIONS.iter().find(|x| x.eq_ignore_ascii_case(a.trim())) {
            Some(x) => actions.push(x.to_string()),
            None => errors.push(FieldError::new(
                "action",
                format!("expected one of: {}", ACTIONS.join(", ")),
            )),
        }
    }
    let mut entities = Vec::new();
    if let Some(e) = p.entity.as_deref() {
        match entity_filter(e) {
            Ok((names, only_actions)) => {
                entities = names;
                if !only_actions.is_empty() {
                    actions = if actions.is_empty() {
                        only_actions
                    } else {
                        let both: Vec<String> = actions
                            .into_iter()
                            .filter(|a| only_actions.contains(a))
                            .collect();
                        // `entity=auth&action=ROLE` selects nothing: no action is named "-".
                        if both.is_empty() {
                            vec!["-".to_owned()]
                        } else {
                            both
                        }
                    };
                }
            }
            Err(EngineError::Invalid { details, .. }) => errors.extend(details),
            Err(other) => return Err(other),
        }
    }
    if !errors.is_empty() {
        return Err(EngineError::Invalid {
            code: "validation_failed",
            message: "invalid query parameters".into(),
            details: errors,
        });
    }
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(AuditFilter {
        client_id: text(&p.client_id),
        entities,
        entity_id: text(&p.entity_id),
        user_id: text(&p.user_id),
        actions,
        // occurred_at is `YYYY-MM-DDTHH:MM:SSZ`, so string order is time order.
        from: from.map(|d| d.format("%Y-%m-%d").to_string()),
        before: to
            .and_then(|d| d.succ_opt())
            .map(|d| d.format("%Y-%m-%d").to_string()),
        below_id,
        limit,
    })
}

impl Engine {
    /// GET /api/audit: newest first, keyset-paged by audit_id.
    pub async fn list_audit(
        &self,
        caller: &Caller,
        p: AuditParams,
    ) -> Result<AuditPage, EngineError> {
        if !matches!(
            caller.role,
            Role::Admin | Role::Poweruser | Role::LeaderDataconfig
        ) {
            return Err(EngineError::forbidden(
                "your role cannot read the audit log",
            ));
        }
        let filter = parse(&p)?;
        let caller = caller.clone();
        let (items, next) = self
            .read(move |c| {
                if let Some(id) = &filter.client_id {
                    visible_client(c, &caller, id)?;
                }
                let clientless = caller.role == Role::Admin;
                Ok(audit::list(c, &caller.scope, clientless, &filter)?)
            })
            .await?;
        Ok(AuditPage {
            items,
            next_cursor: next.map(|id| id.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked_together() {
        let p = AuditParams {
            limit: Some("0".into()),
            from: Some("15/12/2025".into()),
            action: Some("EXPLODE".into()),
            entity: Some("nothing".into()),
            cursor: Some("abc".into()),
            ..AuditParams::default()
        };
        let Err(EngineError::Invalid { details, .. }) = parse(&p) else {
            panic!("expected 422");
        };
        let fields: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["limit", "cursor", "from", "action", "entity"]);
    }

    #[test]
    fn entity_names_map_to_stored_names() {
        let f = parse(&AuditParams {
            entity: Some("production".into()),
            to: Some("2025-12-31".into()),
            ..AuditParams::default()
        })
        .unwrap();
        assert_eq!(f.entities, ["PRODUCTION_ENTRY"]);
        assert_eq!(f.before.as_deref(), Some("2026-01-01"));
        let auth = parse(&AuditParams {
            entity: Some("auth".into()),
            ..AuditParams::default()
        })
        .unwrap();
        assert_eq!(auth.entities, ["USER"]);
        assert!(auth.actions.contains(&"LOGIN".to_owned()));
        let none = parse(&AuditParams {
            entity: Some("auth".into()),
            action: Some("ROLE".into()),
            ..AuditParams::default()
        })
        .unwrap();
        assert_eq!(none.actions, ["-"]);
    }
}
