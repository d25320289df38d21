//! Login, lockout, change of password, and the per-request user lookup (≤ 10 s cache).
use super::password;
use crate::domain::{Caller, ClientId, TenantScope};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::store::audit::{self, AuditEntry};
use crate::store::users::{self, User, UserChanges};
use std::time::{Duration, Instant};

const LOCK_AFTER_FAILURES: i64 = 5;
const LOCK_MINUTES: i64 = 15;
const USER_CACHE_TTL: Duration = Duration::from_secs(10);
pub const BAD_LOGIN: &str = "Invalid username or password";

impl Engine {
    /// Checks credentials. Unknown user, wrong password and inactive user all answer the same
    /// 401; a locked account answers 429 `account_locked` even with the right password.
    pub async fn login(&self, username: String, pw: String) -> Result<User, EngineError> {
        let name = username.clone();
        let user = self
            .read(move |c| Ok(users::by_username(c, &name)?))
            .await?;
        let Some(user) = user else {
            password::verify_decoy_async(pw).await;
            self.metrics()
                .login_failures
                .with_label_values(&["bad_credentials"])
                .inc();
            return Err(EngineError::Unauthorized(BAD_LOGIN.into()));
        };
        if let Some(wait) = lock_remaining(&user) {
            self.metrics()
                .login_failures
                .with_label_values(&["locked"])
                .inc();
            return Err(EngineError::TooMany {
                code: "account_locked",
                message: "Too many failed logins: this account is locked for a while".into(),
                retry_after: wait,
            });
        }
        let ok = password::verify_async(pw, user.password_hash.clone()).await;
        let user_id = user.user_id.clone();
        if !ok || !user.is_active {
            self.metrics()
                .login_failures
                .with_label_values(&["bad_credentials"])
                .inc();
            if user.is_active {
                let until = (chrono::Utc::now() + chrono::Duration::minutes(LOCK_MINUTES))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                self.write(move |tx| {
                    let locked =
                        users::record_login_failure(tx, &user_id, LOCK_AFTER_FAILURES, &until)?;
                    let action = if locked { "LOCKOUT" } else { "LOGIN_FAILED" };
                    audit::record(tx, &AuditEntry::new(None, None, "USER", &user_id, action))?;
                    Ok(())
                })
                .await?;
            }
            return Err(EngineError::Unauthorized(BAD_LOGIN.into()));
        }
        self.write(move |tx| {
            users::record_login_success(tx, &user_id)?;
            audit::record(
                tx,
                &AuditEntry::new(Some(&user_id), None, "USER", &user_id, "LOGIN"),
            )?;
            Ok(users::by_id(tx, &user_id)?.expect("user exists"))
        })
        .await
    }

    /// The user behind a verified token, re-read at most every 10 s so deactivation, role and
    /// password changes take effect at once. None when the token is no longer valid.
    pub async fn caller_for_token(
        &self,
        user_id: &str,
        token_version: i64,
    ) -> Result<Option<(Caller, User)>, EngineError> {
        let cached = {
            let cache = self.inner.user_cache.lock().expect("user cache");
            cache
                .get(user_id)
                .filter(|(at, _)| at.elapsed() < USER_CACHE_TTL)
                .map(|(_, u)| u.clone())
        };
        let user = match cached {
            Some(u) => Some(u),
            None => {
                let id = user_id.to_owned();
                let fresh = self.read(move |c| Ok(users::by_id(c, &id)?)).await?;
                if let Some(u) = &fresh {
                    self.inner
                        .user_cache
                        .lock()
                        .expect("user cache")
                        .insert(user_id.to_owned(), (Instant::now(), u.clone()));
                }
                fresh
            }
        };
        Ok(user
            .filter(|u| u.is_active && u.token_version == token_version)
            .map(|u| {
                let scope = TenantScope::for_role(
                    u.role,
                    u.client_ids
                        .iter()
                        .map(|c| ClientId::from_trusted(c.clone())),
                );
                (
                    Caller {
                        user_id: u.user_id.clone(),
                        role: u.role,
                        scope,
                    },
                    u,
                )
            }))
    }

    pub(crate) fn forget_user(&self, user_id: &str) {
        self.inner
            .user_cache
            .lock()
            .expect("user cache")
            .remove(user_id);
    }

    /// Changes the caller's password; every older token stops working.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: String,
        new: String,
    ) -> Result<User, EngineError> {
        let id = caller.user_id.clone();
        let user = self
            .read(move |c| Ok(users::by_id(c, &id)?))
            .await?
            .ok_or_else(|| EngineError::Unauthorized("unknown user".into()))?;
        if !password::verify_async(current, user.password_hash.clone()).await {
            return Err(EngineError::field(
                "current_password",
                "is not your current password",
            ));
        }
        super::users::check_password(&user.username, &new)
            .map_err(|e| EngineError::invalid(vec![e]))?;
        let hash = password::hash_async(new).await;
        let id = caller.user_id.clone();
        let updated = self
            .write(move |tx| {
                let changes = UserChanges {
                    full_name: None,
                    email: None,
                    role: None,
                    is_active: None,
                    password_hash: Some(&hash),
                };
                users::update(tx, &id, &changes, &id)?;
                audit::record(
                    tx,
                    &AuditEntry::new(Some(&id), None, "USER", &id, "PASSWORD"),
                )?;
                Ok(users::by_id(tx, &id)?.expect("user exists"))
            })
            .await?;
        self.forget_user(&caller.user_id);
        Ok(updated)
    }
}

/// Seconds left on a lockout, if any.
fn lock_remaining(user: &User) -> Option<u64> {
    let until = chrono::DateTime::parse_from_rfc3339(user.locked_until.as_deref()?).ok()?;
    let left = until
        .signed_duration_since(chrono::Utc::now())
        .num_seconds();
    (left > 0).then_some(left as u64)
}
