//! Performance suite: p95 of sample requests against the service levels (spec README: GET p95
//! < 200 ms, POST p95 < 500 ms). Sequential requests after one warm-up each, so the numbers are
//! latency, not throughput. The POST is a formula lint (`/check` with `backtest: false`): it
//! compiles and runs the script's cases but writes nothing, as the guide asks of production.
use super::{Outcome, Report, Suite, Target, json_of};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SAMPLES: usize = 20;
const GET_P95: Duration = Duration::from_millis(200);
const POST_P95: Duration = Duration::from_millis(500);

pub fn run(target: &Target, report: &mut Report) {
    let mut gets: Vec<(String, bool)> = vec![
        ("/health".into(), false),
        ("/api/openapi.json".into(), false),
    ];
    if target.token.is_some() {
        gets.extend(
            [
                "/api/auth/me",
                "/api/clients",
                "/api/kpis/overview",
                "/api/production?limit=50",
                "/api/work-orders?limit=50",
            ]
            .map(|p| (p.to_owned(), true)),
        );
        if let Some(c) = &target.client_id {
            gets.push((format!("/api/clients/{c}/kpis"), true));
        }
    }
    let mut all_gets = Vec::new();
    for (path, auth) in &gets {
        if let Some(times) = sample(target, report, "GET", path, *auth, None) {
            verdict(report, &format!("GET {path}"), &times, GET_P95);
            all_gets.extend(times);
        }
    }
    if !all_gets.is_empty() {
        verdict(report, "all sampled GETs", &all_gets, GET_P95);
    }
    post(target, report);
}

fn post(target: &Target, report: &mut Report) {
    if target.token.is_none() {
        report.record(
            Suite::Performance,
            Outcome::Skip,
            "POST p95: needs a login (ADMIN or POWERUSER)",
        );
        return;
    }
    let source = match target.send("GET", "/api/kpi-scripts/efficiency", true, None) {
        Ok(r) if r.status().is_success() => json_of(r)["source"].as_str().map(str::to_owned),
        _ => None,
    };
    let Some(source) = source else {
        report.record(
            Suite::Performance,
            Outcome::Fail,
            "GET /api/kpi-scripts/efficiency has no current formula (are KPI_SCRIPTS_DIR files imported?): POST not measured",
        );
        return;
    };
    let body = json!({"source": source, "backtest": false});
    let path = "/api/kpi-scripts/efficiency/check";
    if let Some(times) = sample(target, report, "POST", path, true, Some(&body)) {
        verdict(
            report,
            &format!("POST {path} (lint, writes nothing)"),
            &times,
            POST_P95,
        );
    }
}

/// One warm-up then SAMPLES timed requests; None (and a FAIL line) when one is not a success.
fn sample(
    target: &Target,
    report: &mut Report,
    method: &str,
    path: &str,
    auth: bool,
    body: Option<&Value>,
) -> Option<Vec<Duration>> {
    let mut times = Vec::with_capacity(SAMPLES);
    for i in 0..=SAMPLES {
        let started = Instant::now();
        let res = target.send(method, path, auth, body);
        let res = match res {
            Ok(r) if r.status().is_success() => {
                r.into_body().read_to_vec().map_err(|e| e.to_string())
            }
            Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
            Err(e) => Err(e),
        };
        if let Err(e) = res {
            report.record(
                Suite::Performance,
                Outcome::Fail,
                format!("{method} {path}: {e}"),
            );
            return None;
        }
        if i > 0 {
            times.push(started.elapsed());
        }
    }
    Some(times)
}

fn verdict(report: &mut Report, what: &str, times: &[Duration], limit: Duration) {
    let p95 = p95(times);
    report.expect(
        Suite::Performance,
        p95 < limit,
        format!(
            "{what}: p95 {} ms over {} requests (limit {} ms)",
            p95.as_millis(),
            times.len(),
            limit.as_millis()
        ),
    );
}

/// Nearest-rank 95th percentile.
fn p95(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let rank = (sorted.len() * 95).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p95_is_the_nearest_rank() {
        let ms: Vec<Duration> = (1..=20).map(Duration::from_millis).collect();
        assert_eq!(p95(&ms), Duration::from_millis(19));
        assert_eq!(p95(&[Duration::from_millis(7)]), Duration::from_millis(7));
    }
}
