//! JWT (HS256 only) and the `Auth` extractor: a handler that takes `Auth` cannot skip the
//! check, and the tenant scope it carries travels down to every query.
use crate::error::ApiError;
use crate::http::AppState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use kpi_engine::domain::Caller;
use kpi_engine::store::users::User;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// Token version: bumped on password change, reset or deactivation (revocation).
    pub tv: i64,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub expiration_hours: u32,
}

impl JwtKeys {
    pub fn new(secret: &str, expiration_hours: u32) -> Self {
        let mut validation = Validation::new(Algorithm::HS256); // only HS256: `none` and others refused
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            expiration_hours,
        }
    }

    pub fn issue(&self, user: &User) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.user_id.clone(),
            role: user.role.as_str().into(),
            iat: now,
            exp: now + self.expiration_hours as i64 * 3600,
            jti: crate::telemetry::new_id(),
            tv: user.token_version,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 signing")
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// The login body of api.md §4.
pub fn login_body(keys: &JwtKeys, user: &User) -> serde_json::Value {
    serde_json::json!({
        "access_token": keys.issue(user),
        "token_type": "bearer",
        "expires_in": keys.expiration_hours as u64 * 3600,
        "user": user,
    })
}

/// An authenticated caller (401 otherwise).
pub struct Auth(pub Caller);

/// An optional caller: no header → None; a bad token is still a 401.
pub struct MaybeAuth(pub Option<Caller>);

fn bearer(req: &HttpRequest) -> Option<String> {
    let h = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

async fn resolve(state: web::Data<AppState>, token: String) -> Result<Caller, ApiError> {
    let claims = state
        .jwt
        .verify(&token)
        .ok_or_else(|| ApiError::unauthorized("invalid or expired token"))?;
    let found = state
        .engine
        .caller_for_token(&claims.sub, claims.tv)
        .await?;
    let caller = found
        .map(|(c, _)| c)
        .ok_or_else(|| ApiError::unauthorized("token revoked or user inactive"))?;
    if let Err(wait) = state.user_limiter.check(&caller.user_id, caller.role) {
        let message = "Too many requests for this user; slow down";
        return Err(
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message).retry_after(wait),
        );
    }
    Ok(caller)
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::unauthorized("no state"))?;
            let token = token.ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
            resolve(state, token).await.map(Auth)
        })
    }
}

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            match (state, token) {
                (Some(state), Some(token)) => {
                    resolve(state, token).await.map(|c| MaybeAuth(Some(c)))
                }
                _ => Ok(MaybeAuth(None)),
            }
        })
    }
}
