//! Users (ADMIN only) and the first-run registration rule.
use super::password;
use crate::domain::{Caller, FieldError, Role};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::services::ingest::{IdemKey, Reply};
use crate::store::audit::{self, AuditEntry};
use crate::store::clients;
use crate::store::users::{self, NewUser, User, UserChanges, UserFilter};
use serde_json::{Map, Value};

/// A user body after shape checks (register / POST /api/users).
pub struct UserInput {
    pub username: String,
    pub password: String,
    pub email: Option<String>,
    pub role: Role,
    pub full_name: Option<String>,
    pub client_ids: Vec<String>,
}

pub fn check_password(username: &str, pw: &str) -> Result<(), FieldError> {
    let n = pw.chars().count();
    if !(10..=128).contains(&n) {
        return Err(FieldError::new("password", "must be 10-128 characters"));
    }
    if pw.eq_ignore_ascii_case(username) {
        return Err(FieldError::new("password", "must not equal the username"));
    }
    Ok(())
}

fn check_email(field: &str, e: &str) -> Result<(), FieldError> {
    let ok = e.len() <= 100
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(())
        .ok_or_else(|| FieldError::new(field, "must be an e-mail address like name@example.com"))
}

fn str_field(body: &Map<String, Value>, k: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match body.get(k) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => {
            errors.push(FieldError::new(k, "must be a string"));
            None
        }
    }
}

fn client_ids_field(
    body: &Map<String, Value>,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<String>> {
    match body.get("client_ids") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        Some(_) => {
            errors.push(FieldError::new(
                "client_ids",
                "must be an array of client ids",
            ));
            None
        }
    }
}

impl UserInput {
    /// Shape checks of a register/create body; unknown fields → 422.
    pub fn parse(
        body: &Map<String, Value>,
        email_required: bool,
    ) -> Result<UserInput, EngineError> {
        let mut errors = Vec::new();
        for k in body.keys() {
            if ![
                "username",
                "password",
                "email",
                "role",
                "full_name",
                "client_ids",
            ]
            .contains(&k.as_str())
            {
                errors.push(FieldError::new(k.as_str(), "unknown field"));
            }
        }
        let username = str_field(body, "username", &mut errors).unwrap_or_default();
        let ok_name = (5..=50).contains(&username.chars().count())
            && username
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
        if !ok_name {
            errors.push(FieldError::new(
                "username",
                "must be 5-50 characters of A-Z a-z 0-9 . _ @ -",
            ));
        }
        let password = match body.get("password") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                errors.push(FieldError::new(
                    "password",
                    "is required (10-128 characters)",
                ));
                String::new()
            }
        };
        if !password.is_empty()
            && let Err(e) = check_password(&username, &password)
        {
            errors.push(e);
        }
        let email = str_field(body, "email", &mut errors).filter(|e| !e.is_empty());
        match &email {
            Some(e) => {
                if let Err(err) = check_email("email", e) {
                    errors.push(err)
                }
            }
            None if email_required => errors.push(FieldError::new("email", "is required")),
            None => {}
        }
        let role = str_field(body, "role", &mut errors).and_then(|r| Role::parse(&r));
        if role.is_none() {
            errors.push(FieldError::new(
                "role",
                "must be one of: OPERATOR_DATAENTRY, LEADER_DATACONFIG, POWERUSER, ADMIN",
            ));
        }
        let full_name = str_field(body, "full_name", &mut errors).filter(|n| !n.is_empty());
        if full_name.as_ref().is_some_and(|n| n.chars().count() > 100) {
            errors.push(FieldError::new(
                "full_name",
                "must be at most 100 characters",
            ));
        }
        let client_ids = client_ids_field(body, &mut errors).unwrap_or_default();
        if !errors.is_empty() {
            return Err(EngineError::invalid(errors));
        }
        let role = role.expect("checked");
        check_assignment(role, &client_ids)?;
        Ok(UserInput {
            username,
            password,
            email,
            role,
            full_name,
            client_ids,
        })
    }
}

/// ADMIN/POWERUSER carry no assignments; LEADER/OPERATOR need at least one.
fn check_assignment(role: Role, client_ids: &[String]) -> Result<(), EngineError> {
    if role.sees_all_clients() && !client_ids.is_empty() {
        return Err(EngineError::Invalid {
            code: "client_ids_not_applicable",
            message: format!(
                "{} sees every client; leave client_ids empty",
                role.as_str()
            ),
            details: vec![FieldError::new("client_ids", "must be empty for this role")],
        });
    }
    if !role.sees_all_clients() && client_ids.is_empty() {
        return Err(EngineError::Invalid {
            code: "client_assignment_required",
            message: format!("{} needs at least one assigned client", role.as_str()),
            details: vec![FieldError::new("client_ids", "assign at least one client")],
        });
    }
    Ok(())
}

fn check_clients_exist(tx: &rusqlite::Connection, ids: &[String]) -> Result<(), EngineError> {
    let missing: Vec<FieldError> = ids
        .iter()
        .filter_map(|id| match clients::by_id_unscoped(tx, id) {
            Ok(Some(_)) => None,
            _ => Some(FieldError::new(
                "client_ids",
                format!("unknown client {id}"),
            )),
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(EngineError::invalid(missing))
    }
}

fn insert_user(
    tx: &rusqlite::Connection,
    input: &UserInput,
    hash: &str,
    by: &str,
) -> Result<User, EngineError> {
    if users::by_username(tx, &input.username)?.is_some() {
        return Err(EngineError::conflict(
            "duplicate_id",
            format!("username {} already exists", input.username),
        ));
    }
    check_clients_exist(tx, &input.client_ids)?;
    let new = NewUser {
        username: &input.username,
        full_name: input.full_name.as_deref().unwrap_or(&input.username),
        email: input.email.as_deref(),
        role: input.role,
        client_ids: &input.client_ids,
        password_hash: hash,
        created_by: by,
    };
    let id = users::insert(tx, &new)
        .map_err(|e| EngineError::from_store_dup(e, "username or e-mail already exists"))?;
    audit::record(
        tx,
        &AuditEntry {
            new_value: Some(input.role.as_str().into()),
            ..AuditEntry::new(Some(by), None, "USER", &id, "CREATE")
        },
    )?;
    Ok(users::by_id(tx, &id)?.expect("just inserted"))
}

impl Engine {
    /// POST /api/auth/register. Without a caller: only while no user exists, only from a
    /// loopback peer, only an ADMIN. With a caller: ADMIN only.
    pub async fn register(
        &self,
        caller: Option<&Caller>,
        from_loopback: bool,
        body: Map<String, Value>,
    ) -> Result<User, EngineError> {
        if let Some(c) = caller
            && c.role != Role::Admin
        {
            return Err(EngineError::forbidden("only an ADMIN can register users"));
        }
        let first_run = caller.is_none();
        if first_run {
            let n = self.read(|c| Ok(users::count(c)?)).await?;
            if n > 0 {
                return Err(EngineError::Unauthorized(
                    "log in as an ADMIN to register users".into(),
                ));
            }
            if !from_loopback {
                return Err(EngineError::Forbidden {
                    code: "first_run_loopback_only",
                    message: "the first user can only be registered from the server itself (loopback, no proxy)".into(),
                });
            }
        }
        let input = UserInput::parse(&body, true)?;
        if first_run && input.role != Role::Admin {
            return Err(EngineError::Invalid {
                code: "first_user_must_be_admin",
                message: "the first user must have role ADMIN".into(),
                details: vec![FieldError::new("role", "must be ADMIN for the first user")],
            });
        }
        let hash = password::hash_async(input.password.clone()).await;
        let by = caller.map(|c| c.user_id.clone());
        self.write(move |tx| {
            // Re-checked inside the transaction: two racing first-run requests create one admin.
            if by.is_none() && users::count(tx)? > 0 {
                return Err(EngineError::Unauthorized(
                    "log in as an ADMIN to register users".into(),
                ));
            }
            insert_user(tx, &input, &hash, by.as_deref().unwrap_or("SYSTEM"))
        })
        .await
    }

    /// POST /api/users (ADMIN) under an `Idempotency-Key`: a replay answers the first 201
    /// (before any password hashing) and writes nothing.
    pub async fn create_user_idempotent(
        &self,
        caller: &Caller,
        body: Map<String, Value>,
        idem: IdemKey,
    ) -> Result<Reply, EngineError> {
        require_admin(caller)?;
        if let Some(replay) = self.replay(caller, Some(&idem)).await? {
            return Ok(replay);
        }
        let input = UserInput::parse(&body, true)?;
        let hash = password::hash_async(input.password.clone()).await;
        let by = caller.user_id.clone();
        self.write_keyed(caller, idem, move |tx| insert_user(tx, &input, &hash, &by))
            .await
    }

    /// CLI `user create`: no role check, e-mail optional.
    pub async fn create_user_cli(&self, body: Map<String, Value>) -> Result<User, EngineError> {
        let input = UserInput::parse(&body, false)?;
        let hash = password::hash_async(input.password.clone()).await;
        self.write(move |tx| insert_user(tx, &input, &hash, "SYSTEM"))
            .await
    }

    /// The caller's own user record (GET /api/auth/me).
    pub async fn current_user(&self, caller: &Caller) -> Result<User, EngineError> {
        let id = caller.user_id.clone();
        self.read(move |c| Ok(users::by_id(c, &id)?))
            .await?
            .ok_or_else(|| EngineError::Unauthorized("unknown user".into()))
    }

    pub async fn list_users(
        &self,
        caller: &Caller,
        filter: UserFilter,
    ) -> Result<Vec<User>, EngineError> {
        require_admin(caller)?;
        self.read(move |c| Ok(users::list(c, &filter)?)).await
    }

    pub async fn get_user(&self, caller: &Caller, user_id: String) -> Result<User, EngineError> {
        require_admin(caller)?;
        let id = user_id.clone();
        self.read(move |c| Ok(users::by_id(c, &id)?))
            .await?
            .ok_or_else(|| EngineError::not_found(format!("user {user_id}")))
    }

    /// PATCH /api/users/{id}: full_name, email, role, client_ids, is_active, password.
    pub async fn patch_user(
        &self,
        caller: &Caller,
        user_id: String,
        body: Map<String, Value>,
    ) -> Result<User, EngineError> {
        require_admin(caller)?;
        let mut errors = Vec::new();
        for k in body.keys() {
            if ![
                "full_name",
                "email",
                "role",
                "client_ids",
                "is_active",
                "password",
                "user_id",
                "username",
                "last_login",
                "client_id_assigned",
            ]
            .contains(&k.as_str())
            {
                errors.push(FieldError::new(k.as_str(), "unknown field"));
            }
        }
        let full_name = str_field(&body, "full_name", &mut errors);
        let email = match body.get("email") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) if s.trim().is_empty() => Some(None),
            Some(Value::String(s)) => {
                if let Err(e) = check_email("email", s.trim()) {
                    errors.push(e);
                }
                Some(Some(s.trim().to_owned()))
            }
            Some(_) => {
                errors.push(FieldError::new("email", "must be a string"));
                None
            }
        };
        let role = match body.get("role") {
            None => None,
            Some(v) => {
                let r = v.as_str().and_then(Role::parse);
                if r.is_none() {
                    errors.push(FieldError::new(
                        "role",
                        "must be one of: OPERATOR_DATAENTRY, LEADER_DATACONFIG, POWERUSER, ADMIN",
                    ));
                }
                r
            }
        };
        let is_active = match body.get("is_active") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                errors.push(FieldError::new("is_active", "must be true or false"));
                None
            }
        };
        let client_ids = client_ids_field(&body, &mut errors);
        let new_password = match body.get("password") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errors.push(FieldError::new("password", "must be a string"));
                None
            }
        };
        if !errors.is_empty() {
            return Err(EngineError::invalid(errors));
        }
        let current = self.get_user(caller, user_id.clone()).await?;
        if let Some(pw) = &new_password {
            check_password(&current.username, pw).map_err(|e| EngineError::invalid(vec![e]))?;
        }
        let final_role = role.unwrap_or(current.role);
        let final_clients = client_ids.clone().unwrap_or_else(|| {
            if role.is_some_and(Role::sees_all_clients) {
                Vec::new()
            } else {
                current.client_ids.clone()
            }
        });
        check_assignment(final_role, &final_clients)?;
        let hash = match new_password {
            Some(pw) => Some(password::hash_async(pw).await),
            None => None,
        };
        let by = caller.user_id.clone();
        let id = user_id.clone();
        let updated = self
            .write(move |tx| {
                let demoted = current.role == Role::Admin
                    && (final_role != Role::Admin || is_active == Some(false));
                if demoted && current.is_active && users::active_admins(tx)? <= 1 {
                    return Err(EngineError::conflict(
                        "last_admin",
                        "the last active ADMIN cannot be deactivated or demoted",
                    ));
                }
                check_clients_exist(tx, &final_clients)?;
                let changes = UserChanges {
                    full_name: full_name.as_deref(),
                    email: email.as_ref().map(|e| e.as_deref()),
                    role: role.filter(|r| *r != current.role),
                    is_active,
                    password_hash: hash.as_deref(),
                };
                users::update(tx, &id, &changes, &by)
                    .map_err(|e| EngineError::from_store_dup(e, "e-mail already used"))?;
                if final_clients != current.client_ids {
                    users::set_clients(tx, &id, &final_clients, &by)?;
                }
                let mut entry = AuditEntry::new(
                    Some(&by),
                    None,
                    "USER",
                    &id,
                    if role.is_some() { "ROLE" } else { "UPDATE" },
                );
                entry.new_value = Some(final_role.as_str().into());
                audit::record(tx, &entry)?;
                if hash.is_some() {
                    audit::record(
                        tx,
                        &AuditEntry::new(Some(&by), None, "USER", &id, "PASSWORD"),
                    )?;
                }
                Ok(users::by_id(tx, &id)?.expect("user exists"))
            })
            .await?;
        self.forget_user(&user_id);
        Ok(updated)
    }

    /// DELETE /api/users/{id}: deactivation (tokens revoked), never a physical delete.
    pub async fn deactivate_user(
        &self,
        caller: &Caller,
        user_id: String,
    ) -> Result<User, EngineError> {
        let mut body = Map::new();
        body.insert("is_active".into(), Value::Bool(false));
        self.patch_user(caller, user_id, body).await
    }
}

pub(crate) fn require_admin(caller: &Caller) -> Result<(), EngineError> {
    (caller.role == Role::Admin)
        .then_some(())
        .ok_or_else(|| EngineError::forbidden("ADMIN only"))
}
