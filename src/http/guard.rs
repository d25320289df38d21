//! Cross-cutting HTTP guards: security headers, `Cache-Control: no-store` on /api, CORS
//! allow-list, JSON bodies for framework errors, client IP, and the login rate limit.
use crate::error::ApiError;
use crate::http::AppState;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, ResponseError, web};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("x-frame-options", "SAMEORIGIN"),
    ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "1; mode=block"),
    ("referrer-policy", "no-referrer-when-downgrade"),
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;",
    ),
];

fn allowed_origin(req: &ServiceRequest) -> Option<HeaderValue> {
    let origin = req.headers().get(header::ORIGIN)?;
    let state = req.app_data::<web::Data<AppState>>()?;
    let o = origin
        .to_str()
        .ok()?
        .trim_end_matches('/')
        .to_ascii_lowercase();
    state
        .config
        .allowed_origins
        .iter()
        .any(|a| a == &o)
        .then(|| origin.clone())
}

/// Outermost guard: CORS preflight, then headers on every response, and any error response
/// that is not already our JSON body is rewritten into it (404/405/413 from the framework).
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, Error> {
    let origin = allowed_origin(&req);
    let is_api = req.path().starts_with("/api");
    if req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let res = match &origin {
            Some(o) => HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone()))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    "GET, POST, PUT, PATCH, DELETE",
                ))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "Authorization, Content-Type, Idempotency-Key, X-Request-Id",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .insert_header((header::VARY, "Origin"))
                .finish(),
            None => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "origin not allowed")
                .error_response(),
        };
        return Ok(req.into_response(res).map_into_right_body());
    }
    let res = next.call(req).await?;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let mut res = if status.as_u16() >= 400 && !is_json {
        let (http_req, old) = res.into_parts();
        let mut api = ApiError::from_status(status);
        if let Some(ra) = old
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            api = api.retry_after(ra);
        }
        ServiceResponse::new(http_req, api.error_response()).map_into_right_body()
    } else {
        res.map_into_boxed_body().map_into_left_body()
    };
    let headers = res.headers_mut();
    for (k, v) in SECURITY_HEADERS {
        headers.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(o) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("X-Request-Id, Retry-After, Content-Disposition"),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    Ok(res)
}

/// Client IP for rate limits: the last `X-Forwarded-For` hop when the peer is loopback
/// (nginx), else the peer.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if peer.is_loopback()
        && let Some(hop) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
        && let Ok(ip) = hop.trim().parse()
    {
        return Some(ip);
    }
    Some(peer)
}

/// A direct loopback peer with no proxy headers (first-run registration).
pub fn is_direct_loopback(req: &HttpRequest) -> bool {
    let proxied = ["x-forwarded-for", "x-real-ip", "forwarded"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    !proxied && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
}

/// 10 login attempts per minute per IP (fixed one-minute windows).
pub struct LoginLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        LoginLimiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Ok, or the seconds to wait.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let mut w = self.windows.lock().expect("limiter");
        let now = Instant::now();
        if w.len() > 10_000 {
            w.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = w.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.per_minute {
            let left = 60u64
                .saturating_sub(now.duration_since(entry.0).as_secs())
                .max(1);
            return Err(left);
        }
        Ok(())
    }
}

/// Per-user request limits (api.md §3): token buckets refilled per minute; ADMIN unlimited.
#[derive(Default)]
pub struct UserLimiter {
    buckets: Mutex<HashMap<String, (Instant, f64)>>,
}

impl UserLimiter {
    pub fn per_minute(role: kpi_engine::domain::Role) -> Option<f64> {
        use kpi_engine::domain::Role;
        match role {
            Role::OperatorDataentry => Some(300.0),
            Role::LeaderDataconfig => Some(600.0),
            Role::Poweruser => Some(1200.0),
            Role::Admin => None,
        }
    }

    /// Ok, or the seconds until one request is allowed again.
    pub fn check(&self, user_id: &str, role: kpi_engine::domain::Role) -> Result<(), u64> {
        let Some(capacity) = Self::per_minute(role) else {
            return Ok(());
        };
        let mut b = self.buckets.lock().expect("user limiter");
        let now = Instant::now();
        let (last, tokens) = b.entry(user_id.to_owned()).or_insert((now, capacity));
        let refill = now.duration_since(*last).as_secs_f64() * capacity / 60.0;
        *tokens = (*tokens + refill).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) * 60.0 / capacity).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kpi_engine::domain::Role;

    #[test]
    fn operators_get_300_per_minute_admins_unlimited() {
        let l = UserLimiter::default();
        for _ in 0..300 {
            assert!(l.check("USR-002", Role::OperatorDataentry).is_ok());
        }
        assert!(l.check("USR-002", Role::OperatorDataentry).is_err());
        assert!(
            l.check("USR-003", Role::OperatorDataentry).is_ok(),
            "buckets are per user"
        );
        for _ in 0..5000 {
            assert!(l.check("USR-001", Role::Admin).is_ok());
        }
    }

    #[test]
    fn login_limiter_allows_ten_per_minute() {
        let l = LoginLimiter::new(10);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..10 {
            assert!(l.check(ip).is_ok());
        }
        assert!(l.check(ip).is_err());
        assert!(l.check("10.0.0.2".parse().unwrap()).is_ok());
    }
}
