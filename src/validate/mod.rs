//! `kpi-ops validate --url URL`: the deployment guide's four post-deployment suites (operations.md §2)
//! against a running installation — **schema** (every domain.md table and column in the database),
//! **api** (every OpenAPI route: 401 without a token where protected, never a 5xx, nothing written),
//! **security** (headers, foreign-origin CORS, HTTP→HTTPS, default credentials, forged tokens) and
//! **performance** (p95 of sample GETs < 200 ms and of a read-only POST < 500 ms). It prints one line
//! per check and a summary; any failed check exits 1. Nothing it sends writes business data: requests
//! with a token name ids that do not exist or carry bodies that fail validation.
mod api;
mod perf;
mod report;
mod schema;
mod security;

pub use report::{Outcome, Report};

use crate::config::Config;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    Schema,
    Api,
    Security,
    Performance,
}

impl Suite {
    pub fn name(self) -> &'static str {
        match self {
            Suite::Schema => "schema",
            Suite::Api => "api",
            Suite::Security => "security",
            Suite::Performance => "performance",
        }
    }
}

/// Command-line arguments of `kpi-ops validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Base URL of the installation, e.g. https://kpi.example.com or http://127.0.0.1:8000.
    #[arg(long)]
    pub url: String,
    /// User for the authenticated checks (ADMIN or POWERUSER sees every route).
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// File holding that user's password (else --password, else ADMIN_PASSWORD).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// The password itself (visible in the process list: prefer --password-file).
    #[arg(long)]
    pub password: Option<String>,
    /// SQLite file for the schema suite (default: the configured DATABASE_URL).
    #[arg(long)]
    pub database: Option<PathBuf>,
    /// Run only these suites (repeatable); default all four.
    #[arg(long = "suite", value_enum)]
    pub suites: Vec<Suite>,
}

/// Runs the suites, prints the report; an error (exit 1) when a check failed.
pub fn run_cli(args: Args, config: &Config) -> anyhow::Result<()> {
    let password = match (&args.password_file, &args.password) {
        (Some(f), _) => Some(
            std::fs::read_to_string(f)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?
                .trim_end()
                .to_owned(),
        ),
        (None, Some(p)) => Some(p.clone()),
        (None, None) => config.admin_password.clone(),
    };
    let database = args
        .database
        .clone()
        .unwrap_or_else(|| config.database_path.clone());
    let suites = if args.suites.is_empty() {
        vec![
            Suite::Schema,
            Suite::Api,
            Suite::Security,
            Suite::Performance,
        ]
    } else {
        args.suites.clone()
    };
    let report = run(
        &args.url,
        &args.username,
        password.as_deref(),
        &database,
        &suites,
    )?;
    println!("{report}");
    match report.failures() {
        0 => Ok(()),
        n => anyhow::bail!("validation failed: {n} check(s) failed"),
    }
}

/// Blocking: one request at a time, so the performance numbers are latency, not concurrency.
pub fn run(
    url: &str,
    username: &str,
    password: Option<&str>,
    database: &std::path::Path,
    suites: &[Suite],
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    if suites.contains(&Suite::Schema) {
        schema::run(database, &mut report);
    }
    let http_suites = [Suite::Api, Suite::Security, Suite::Performance];
    if !suites.iter().any(|s| http_suites.contains(s)) {
        return Ok(report);
    }
    let mut target = Target::new(url)?;
    // Default credentials first: a later successful login resets the failure counter.
    if suites.contains(&Suite::Security) {
        security::default_credentials(&target, &mut report);
    }
    // Login problems belong to the first suite that needs the token.
    let login_suite = *suites
        .iter()
        .find(|s| http_suites.contains(s))
        .expect("checked above");
    target.login(username, password, login_suite, &mut report);
    if suites.contains(&Suite::Api) {
        api::run(&target, &mut report);
    }
    if suites.contains(&Suite::Security) {
        security::run(&target, &mut report);
    }
    if suites.contains(&Suite::Performance) {
        perf::run(&target, &mut report);
    }
    Ok(report)
}

pub type Reply = ureq::http::Response<ureq::Body>;

/// The installation under test: base URL, an agent that never follows redirects, the token.
pub struct Target {
    pub base: String,
    agent: ureq::Agent,
    pub token: Option<String>,
    /// A client visible to the user (real ids make the read routes do real work).
    pub client_id: Option<String>,
}

impl Target {
    fn new(url: &str) -> anyhow::Result<Target> {
        let base = url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            anyhow::bail!("--url must start with http:// or https://, got {url:?}");
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .user_agent(concat!("kpi-ops-validate/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Target {
            base,
            agent,
            token: None,
            client_id: None,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn is_https(&self) -> bool {
        self.base.starts_with("https://")
    }

    /// A request to `path`; the token is added when `auth` and one is known; `body` goes as JSON.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        auth: bool,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let token = if auth { self.token.as_deref() } else { None };
        self.request(method, &self.url(path), token, &[], body)
    }

    /// Any request: absolute URL, optional bearer token, extra headers, optional JSON body.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let mut req = ureq::http::Request::builder().method(method).uri(url);
        if let Some(t) = bearer {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = match body {
            Some(b) => {
                let bytes = serde_json::to_vec(b).map_err(|e| e.to_string())?;
                let req = req
                    .header("content-type", "application/json")
                    .body(bytes)
                    .map_err(|e| e.to_string())?;
                self.agent.run(req)
            }
            None => self.agent.run(req.body(()).map_err(|e| e.to_string())?),
        };
        res.map_err(|e| e.to_string())
    }

    fn login(&mut self, username: &str, password: Option<&str>, suite: Suite, report: &mut Report) {
        let Some(password) = password else {
            report.record(
                suite,
                Outcome::Skip,
                "no password (--password-file, --password or ADMIN_PASSWORD): authenticated checks skipped",
            );
            return;
        };
        let body = json!({"username": username, "password": password});
        let token = match self.send("POST", "/api/auth/login", false, Some(&body)) {
            Ok(r) if r.status().is_success() => {
                json_of(r)["access_token"].as_str().map(str::to_owned)
            }
            Ok(r) => {
                let what = format!("log in as {username}: HTTP {}", r.status().as_u16());
                report.record(suite, Outcome::Fail, what);
                return;
            }
            Err(e) => {
                report.record(suite, Outcome::Fail, format!("log in as {username}: {e}"));
                return;
            }
        };
        report.expect(
            suite,
            token.is_some(),
            format!("log in as {username} returns a token"),
        );
        self.token = token;
        if let Ok(r) = self.send("GET", "/api/auth/me", true, None) {
            self.client_id = json_of(r)["clients"]
                .as_array()
                .and_then(|c| c.first())
                .and_then(|c| c["client_id"].as_str())
                .map(str::to_owned);
        }
    }
}

/// The JSON body of a reply (Null when it is not JSON).
pub fn json_of(reply: Reply) -> Value {
    reply
        .into_body()
        .read_json::<Value>()
        .unwrap_or(Value::Null)
}

/// A header value as text.
pub fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply.headers().get(name).and_then(|v| v.to_str().ok())
}
