//! USERS and USER_CLIENTS. Identity, not tenant data: reached only through the auth and
//! user services, which enforce ADMIN-only access.
use super::StoreError;
use crate::domain::Role;
use crate::domain::time::now_ts;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub user_id: String,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub client_ids: Vec<String>,
    pub client_id_assigned: Option<String>,
    pub is_active: bool,
    pub last_login: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    #[serde(skip)]
    pub token_version: i64,
    #[serde(skip)]
    pub failed_login_count: i64,
    #[serde(skip)]
    pub locked_until: Option<String>,
}

const COLUMNS: &str = "user_id, username, full_name, email, role, is_active, last_login, password_hash, \
                       token_version, failed_login_count, locked_until";

fn from_row(r: &Row) -> rusqlite::Result<User> {
    let role: String = r.get(4)?;
    Ok(User {
        user_id: r.get(0)?,
        username: r.get(1)?,
        full_name: r.get(2)?,
        email: r.get(3)?,
        role: Role::parse(&role).unwrap_or(Role::OperatorDataentry),
        client_ids: Vec::new(),
        client_id_assigned: None,
        is_active: r.get(5)?,
        last_login: r.get(6)?,
        password_hash: r.get(7)?,
        token_version: r.get(8)?,
        failed_login_count: r.get(9)?,
        locked_until: r.get(10)?,
    })
}

fn with_clients(conn: &Connection, mut user: User) -> Result<User, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT client_id FROM user_clients WHERE user_id = ? ORDER BY client_id",
    )?;
    user.client_ids = stmt
        .query_map([&user.user_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    user.client_id_assigned = (!user.client_ids.is_empty()).then(|| user.client_ids.join(","));
    Ok(user)
}

pub fn count(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

pub fn by_id(conn: &Connection, user_id: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE user_id = ?");
    let user = conn
        .prepare_cached(&sql)?
        .query_row([user_id], from_row)
        .optional()?;
    user.map(|u| with_clients(conn, u)).transpose()
}

pub fn by_username(conn: &Connection, username: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = ? COLLATE NOCASE");
    let user = conn
        .prepare_cached(&sql)?
        .query_row([username], from_row)
        .optional()?;
    user.map(|u| with_clients(conn, u)).transpose()
}

pub struct UserFilter {
    pub role: Option<Role>,
    pub client_id: Option<String>,
    pub is_active: Option<bool>,
}

pub fn list(conn: &Connection, f: &UserFilter) -> Result<Vec<User>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE (?1 IS NULL OR role = ?1) AND (?2 IS NULL OR is_active = ?2) \
         AND (?3 IS NULL OR user_id IN (SELECT user_id FROM user_clients WHERE client_id = ?3)) ORDER BY user_id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(
            params![f.role.map(Role::as_str), f.is_active, f.client_id],
            from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(|u| with_clients(conn, u)).collect()
}

pub fn active_admins(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM users WHERE role = 'ADMIN' AND is_active = 1",
        [],
        |r| r.get(0),
    )?)
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub full_name: &'a str,
    pub email: Option<&'a str>,
    pub role: Role,
    pub client_ids: &'a [String],
    pub password_hash: &'a str,
    pub created_by: &'a str,
}

/// Inserts the user with the next `USR-NNN` id and its client assignments.
pub fn insert(tx: &Connection, u: &NewUser) -> Result<String, StoreError> {
    let next: i64 = tx.query_row(
        "SELECT coalesce(max(CAST(substr(user_id, 5) AS INTEGER)), 0) + 1 FROM users",
        [],
        |r| r.get(0),
    )?;
    let user_id = format!("USR-{next:03}");
    let now = now_ts();
    tx.execute(
        "INSERT INTO users (user_id, username, full_name, email, role, is_active, password_hash, token_version, \
         failed_login_count, password_changed_at, created_by, created_at, updated_by, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, 1, 0, ?7, ?8, ?7, ?8, ?7)",
        params![user_id, u.username, u.full_name, u.email, u.role.as_str(), u.password_hash, now, u.created_by],
    )?;
    set_clients(tx, &user_id, u.client_ids, u.created_by)?;
    Ok(user_id)
}

pub fn set_clients(
    tx: &Connection,
    user_id: &str,
    client_ids: &[String],
    by: &str,
) -> Result<(), StoreError> {
    tx.execute("DELETE FROM user_clients WHERE user_id = ?", [user_id])?;
    let now = now_ts();
    for c in client_ids {
        tx.execute(
            "INSERT INTO user_clients (user_id, client_id, created_by, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![user_id, c, by, now],
        )?;
    }
    Ok(())
}

pub struct UserChanges<'a> {
    pub full_name: Option<&'a str>,
    pub email: Option<Option<&'a str>>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    /// A new hash revokes every older token (token_version + 1).
    pub password_hash: Option<&'a str>,
}

pub fn update(tx: &Connection, user_id: &str, c: &UserChanges, by: &str) -> Result<(), StoreError> {
    let now = now_ts();
    let revoke = c.password_hash.is_some() || c.is_active == Some(false) || c.role.is_some();
    tx.execute(
        "UPDATE users SET full_name = coalesce(?2, full_name), \
           email = CASE WHEN ?3 THEN ?4 ELSE email END, \
           role = coalesce(?5, role), is_active = coalesce(?6, is_active), \
           password_hash = coalesce(?7, password_hash), \
           password_changed_at = CASE WHEN ?7 IS NULL THEN password_changed_at ELSE ?8 END, \
           token_version = token_version + ?9, \
           failed_login_count = CASE WHEN ?7 IS NULL THEN failed_login_count ELSE 0 END, \
           locked_until = CASE WHEN ?7 IS NULL THEN locked_until ELSE NULL END, \
           deleted_at = CASE WHEN ?6 = 0 THEN ?8 WHEN ?6 = 1 THEN NULL ELSE deleted_at END, \
           deleted_by = CASE WHEN ?6 = 0 THEN ?10 WHEN ?6 = 1 THEN NULL ELSE deleted_by END, \
           updated_by = ?10, updated_at = ?8 WHERE user_id = ?1",
        params![
            user_id,
            c.full_name,
            c.email.is_some(),
            c.email.flatten(),
            c.role.map(Role::as_str),
            c.is_active,
            c.password_hash,
            now,
            revoke as i64,
            by
        ],
    )?;
    Ok(())
}

pub fn record_login_success(tx: &Connection, user_id: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE users SET last_login = ?2, failed_login_count = 0, locked_until = NULL WHERE user_id = ?1",
        params![user_id, now_ts()],
    )?;
    Ok(())
}

/// Counts a failure; at `lock_after` consecutive failures the account locks until `lock_until`.
/// Returns true when this failure locked the account.
pub fn record_login_failure(
    tx: &Connection,
    user_id: &str,
    lock_after: i64,
    lock_until: &str,
) -> Result<bool, StoreError> {
    let failures: i64 = tx.query_row(
        "UPDATE users SET failed_login_count = failed_login_count + 1 WHERE user_id = ?1 RETURNING failed_login_count",
        [user_id],
        |r| r.get(0),
    )?;
    if failures >= lock_after {
        tx.execute(
            "UPDATE users SET locked_until = ?2, failed_login_count = 0 WHERE user_id = ?1",
            params![user_id, lock_until],
        )?;
        return Ok(true);
    }
    Ok(false)
}
