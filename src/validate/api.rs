//! API suite: every operation of the OpenAPI document the installation serves. Without a token a
//! protected operation must answer 401 and an open one must not fail (< 500). With a token a GET
//! must answer < 500 and not 401; any other method is sent with ids that do not exist (or an
//! empty body that fails validation), so it must answer 4xx but never 401 or 5xx, and never 2xx
//! (which would mean something was written).
use super::{Outcome, Report, Suite, Target, json_of};
use serde_json::{Value, json};

/// A path parameter value that names no record.
const MISSING: &str = "VALIDATE-MISSING-0";

/// Operations that do their work on an empty request, so the suite's "nothing written" probe
/// cannot send them to a production server (a backup run takes minutes and disk).
const ACTS_WITHOUT_INPUT: [(&str, &str); 1] = [("POST", "/api/admin/backups")];

pub fn run(target: &Target, report: &mut Report) {
    let doc = match target.send("GET", "/api/openapi.json", false, None) {
        Ok(r) if r.status().is_success() => json_of(r),
        Ok(r) => {
            let what = format!("GET /api/openapi.json: HTTP {}", r.status().as_u16());
            report.record(Suite::Api, Outcome::Fail, what);
            return;
        }
        Err(e) => {
            report.record(
                Suite::Api,
                Outcome::Fail,
                format!("GET /api/openapi.json: {e}"),
            );
            return;
        }
    };
    let Some(paths) = doc["paths"].as_object() else {
        report.record(
            Suite::Api,
            Outcome::Fail,
            "GET /api/openapi.json: no `paths` object",
        );
        return;
    };
    let operations: Vec<(String, &str, &Value)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(m, op)| (m.to_uppercase(), path.as_str(), op))
        })
        .collect();
    report.expect(
        Suite::Api,
        !operations.is_empty(),
        format!(
            "OpenAPI document lists {} operations on {} paths",
            operations.len(),
            paths.len()
        ),
    );
    for (method, template, op) in &operations {
        let protected = op.get("security").is_some();
        let body = op.get("requestBody").map(|_| json!({}));
        // Without a token.
        let path = fill(template, None);
        let (ok, got) = match target.send(method, &path, false, body.as_ref()) {
            Ok(r) => {
                let s = r.status().as_u16();
                (if protected { s == 401 } else { s < 500 }, s.to_string())
            }
            Err(e) => (false, e),
        };
        let expected = if protected { "401" } else { "< 500" };
        report.expect(
            Suite::Api,
            ok,
            format!("{method} {template} without token: {got} (expected {expected})"),
        );
        // With a token.
        if target.token.is_none() || !protected {
            continue;
        }
        if ACTS_WITHOUT_INPUT.contains(&(method.as_str(), *template)) {
            report.record(
                Suite::Api,
                Outcome::Skip,
                format!("{method} {template} with token: not sent (it acts without any input)"),
            );
            continue;
        }
        let read = method == "GET";
        let path = fill(
            template,
            if read {
                target.client_id.as_deref()
            } else {
                None
            },
        );
        let (ok, got) = match target.send(method, &path, true, body.as_ref()) {
            Ok(r) => {
                let s = r.status().as_u16();
                let ok = if read {
                    s < 500 && s != 401
                } else {
                    (400..500).contains(&s) && s != 401
                };
                (ok, s.to_string())
            }
            Err(e) => (false, e),
        };
        let expected = if read {
            "< 500, not 401"
        } else {
            "4xx, not 401: nothing written"
        };
        report.expect(
            Suite::Api,
            ok,
            format!("{method} {path} with token: {got} (expected {expected})"),
        );
    }
    if target.token.is_none() {
        report.record(Suite::Api, Outcome::Skip, "requests with a token: no login");
    }
}

/// The template with its parameters filled: `{client_id}` with a visible client on reads (so the
/// route does real work), every other parameter with an id that does not exist; `{name}` is a
/// KPI name (an unknown one would stop at 404 before the handler's own checks).
fn fill(template: &str, client_id: Option<&str>) -> String {
    template
        .split('/')
        .map(|seg| match seg {
            "{client_id}" => client_id.unwrap_or(MISSING).to_owned(),
            "{name}" => "efficiency".to_owned(),
            s if s.starts_with('{') => MISSING.to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_filled_with_missing_ids_except_kpi_names_and_visible_clients() {
        assert_eq!(
            fill("/api/clients/{client_id}/kpis/{name}", Some("LINE-A")),
            "/api/clients/LINE-A/kpis/efficiency"
        );
        assert_eq!(
            fill("/api/users/{user_id}", None),
            "/api/users/VALIDATE-MISSING-0"
        );
        assert_eq!(fill("/health", None), "/health");
    }
}
