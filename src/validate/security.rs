//! Security suite: the headers nginx and the service send, CORS refusing a foreign origin, the
//! HTTP→HTTPS redirect (when the URL is https), `/metrics` kept private (when the URL is not
//! loopback), default credentials and forged tokens refused, and `no-store` on /api responses.
use super::{Outcome, Reply, Report, Suite, Target, header};
use serde_json::json;

/// A token with `alg: none` claiming to be USR-001, an ADMIN (operations.md §12: refused).
const NONE_ALG_TOKEN: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJVU1ItMDAxIiwicm9sZSI6IkFETUlOIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjQxMDI0NDQ4MDAsImp0aSI6InZhbGlkYXRlIiwidHYiOjF9.";
const FOREIGN_ORIGIN: &str = "https://validate.invalid";

/// (header, expected value; `None` = present with any value)
const HEADERS: &[(&str, Option<&str>)] = &[
    ("x-frame-options", Some("SAMEORIGIN")),
    ("x-content-type-options", Some("nosniff")),
    ("x-xss-protection", Some("1; mode=block")),
    ("referrer-policy", Some("no-referrer-when-downgrade")),
    ("content-security-policy", None),
];

/// `admin`/`admin` must not log in. Runs before the real login, whose success resets the
/// failure counter, so validating never helps lock the admin account.
pub fn default_credentials(target: &Target, report: &mut Report) {
    let body = json!({"username": "admin", "password": "admin"});
    let (ok, got) = match target.send("POST", "/api/auth/login", false, Some(&body)) {
        Ok(r) => (
            !r.status().is_success(),
            format!("HTTP {}", r.status().as_u16()),
        ),
        Err(e) => (false, e),
    };
    report.expect(
        Suite::Security,
        ok,
        format!("default credentials admin/admin refused: {got}"),
    );
}

pub fn run(target: &Target, report: &mut Report) {
    for path in ["/health", "/api/openapi.json"] {
        match target.send("GET", path, false, None) {
            Ok(r) => headers(target, path, &r, report),
            Err(e) => report.record(Suite::Security, Outcome::Fail, format!("GET {path}: {e}")),
        }
    }
    cors(target, report);
    forged_tokens(target, report);
    redirect(target, report);
    metrics_private(target, report);
}

fn headers(target: &Target, path: &str, r: &Reply, report: &mut Report) {
    for (name, want) in HEADERS {
        let got = header(r, name);
        let ok = match (got, want) {
            (Some(g), Some(w)) => g == *w,
            (Some(_), None) => true,
            (None, _) => false,
        };
        report.expect(
            Suite::Security,
            ok,
            format!("GET {path}: {name}: {}", got.unwrap_or("absent")),
        );
    }
    if target.is_https() {
        let hsts = header(r, "strict-transport-security");
        let ok = hsts.is_some_and(|v| v.contains("max-age="));
        let what = format!(
            "GET {path}: strict-transport-security: {}",
            hsts.unwrap_or("absent")
        );
        report.expect(Suite::Security, ok, what);
    }
    if path.starts_with("/api") {
        let cc = header(r, "cache-control");
        let ok = cc.is_some_and(|v| v.contains("no-store"));
        let what = format!(
            "GET {path}: cache-control: {} (expected no-store)",
            cc.unwrap_or("absent")
        );
        report.expect(Suite::Security, ok, what);
    }
}

fn cors(target: &Target, report: &mut Report) {
    let preflight = [
        ("origin", FOREIGN_ORIGIN),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "authorization"),
    ];
    let checks = [
        (
            "preflight OPTIONS /api/auth/me",
            "OPTIONS",
            "/api/auth/me",
            &preflight[..],
        ),
        (
            "GET /api/openapi.json",
            "GET",
            "/api/openapi.json",
            &preflight[..1],
        ),
    ];
    for (what, method, path, headers) in checks {
        match target.request(method, &target.url(path), None, headers, None) {
            Ok(r) => {
                let allow = header(&r, "access-control-allow-origin");
                let ok = allow.is_none_or(|a| a != "*" && a != FOREIGN_ORIGIN);
                let shown = allow.unwrap_or("no access-control-allow-origin");
                report.expect(
                    Suite::Security,
                    ok,
                    format!(
                        "CORS {what} from {FOREIGN_ORIGIN}: HTTP {}, {shown}",
                        r.status().as_u16()
                    ),
                );
            }
            Err(e) => report.record(Suite::Security, Outcome::Fail, format!("CORS {what}: {e}")),
        }
    }
}

fn forged_tokens(target: &Target, report: &mut Report) {
    for (what, token) in [("alg none", NONE_ALG_TOKEN), ("garbage", "not-a-token")] {
        let (ok, got) =
            match target.request("GET", &target.url("/api/auth/me"), Some(token), &[], None) {
                Ok(r) => (
                    r.status().as_u16() == 401,
                    format!("HTTP {}", r.status().as_u16()),
                ),
                Err(e) => (false, e),
            };
        report.expect(
            Suite::Security,
            ok,
            format!("forged token ({what}) refused: {got} (expected 401)"),
        );
    }
}

fn redirect(target: &Target, report: &mut Report) {
    if !target.is_https() {
        report.record(
            Suite::Security,
            Outcome::Skip,
            "HTTP to HTTPS redirect: the URL is http (give the https URL behind nginx)",
        );
        return;
    }
    let plain = format!("http://{}/api/auth/me", host_name(&target.base));
    let (ok, got) = match target.request("GET", &plain, None, &[], None) {
        Ok(r) => {
            let location = header(&r, "location").unwrap_or("");
            let s = r.status().as_u16();
            (
                (s == 301 || s == 308) && location.starts_with("https://"),
                format!("HTTP {s} to {location:?}"),
            )
        }
        Err(e) => (false, e),
    };
    report.expect(
        Suite::Security,
        ok,
        format!("{plain} redirects to https: {got}"),
    );
}

fn metrics_private(target: &Target, report: &mut Report) {
    if matches!(host_name(&target.base), "127.0.0.1" | "localhost" | "[::1]") {
        report.record(
            Suite::Security,
            Outcome::Skip,
            "/metrics private: the URL is loopback (Prometheus scrapes it there)",
        );
        return;
    }
    let (ok, got) = match target.send("GET", "/metrics", false, None) {
        Ok(r) => (
            !r.status().is_success(),
            format!("HTTP {}", r.status().as_u16()),
        ),
        Err(e) => (false, e),
    };
    report.expect(Suite::Security, ok, format!("/metrics not public: {got}"));
}

/// `host[:port]` of a base URL.
fn host_of(base: &str) -> &str {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// The host without its port: the redirect is checked on port 80.
fn host_name(base: &str) -> &str {
    let host = host_of(base);
    match host.rsplit_once(':') {
        Some((name, port))
            if !name.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!name.contains(':') || name.ends_with(']')) =>
        {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn host_of_strips_scheme_and_path() {
        assert_eq!(
            super::host_of("https://kpi.example.com/app"),
            "kpi.example.com"
        );
        assert_eq!(super::host_of("http://127.0.0.1:8000"), "127.0.0.1:8000");
        assert_eq!(
            super::host_name("https://kpi.example.com:8443/"),
            "kpi.example.com"
        );
        assert_eq!(super::host_name("http://[::1]:8000"), "[::1]");
        assert_eq!(
            super::host_name("https://kpi.example.com"),
            "kpi.example.com"
        );
    }
}
