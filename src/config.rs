//! Configuration: process environment + `.env` (+ `NAME_FILE` secrets) -> [`Config`], validated once at start-up.
//!
//! Variable names are those of the deployment guide (operations.md §1). A bad value stops start-up with one
//! [`ConfigError`] that names the variable and never shows a secret; `main` prints it and exits with
//! [`ConfigError::EXIT_CODE`]. [`Config::from_lookup`] is pure so tests pass a map, never the process environment.
//!
//! Rules shared by every variable: an empty value counts as unset; non-secret values are trimmed.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// A refused setting: `"<NAME>: <problem>"`. `problem` never contains a secret value.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: String,
    pub problem: String,
}

impl ConfigError {
    /// Exit code of the binary on a configuration error (`EX_CONFIG`, operations.md §2).
    pub const EXIT_CODE: i32 = 78;

    pub fn new(name: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            problem: problem.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        match raw.to_ascii_lowercase().as_str() {
            "development" => Ok(Environment::Development),
            "production" => Ok(Environment::Production),
            _ => Err(format!("must be development or production, got {raw:?}")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    None,
}

impl SmtpTls {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::StartTls => "starttls",
            SmtpTls::Tls => "tls",
            SmtpTls::None => "none",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        match raw.to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            "none" => Ok(SmtpTls::None),
            _ => Err(format!("must be starttls, tls or none, got {raw:?}")),
        }
    }
}

/// Present only when SMTP_HOST is set. `Debug` hides the login.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub from: Option<String>,
    pub tls: SmtpTls,
}

/// The validated configuration. `Debug` hides every secret.
#[derive(Clone)]
pub struct Config {
    pub database_path: PathBuf,
    pub data_dir: PathBuf,
    pub backup_dir: PathBuf,
    pub api_base_url: String,
    pub api_host: String,
    pub api_port: u16,
    pub jwt_secret: Option<String>,
    pub jwt_expiration_hours: u32,
    pub smtp: Option<SmtpConfig>,
    pub environment: Environment,
    pub log_level: String,
    pub log_format_json: bool,
    pub log_file: Option<PathBuf>,
    pub max_upload_size: u64,
    pub allowed_origins: Vec<String>,
    pub default_client_limit: u32,
    pub max_employees_per_client: u32,
    pub enable_csv_upload: bool,
    pub enable_email_reports: bool,
    pub enable_auto_backup: bool,
    /// Mailer timing (operations.md §6; short values make tests fast).
    pub mail_timing: MailTiming,
    pub backup_retention_days: u32,
    pub backup_schedule: String,
    /// BACKUP_POST_HOOK: a shell command run after each verified backup (e.g. copy it off the machine).
    pub backup_post_hook: Option<String>,
    pub kpi_scripts_dir: PathBuf,
    pub admin_password: Option<String>,
}

const PRODUCTION_LOG_FILE: &str = "/var/log/kpi-operations/app.log";
const JWT_SECRET_FILE_NAME: &str = ".jwt_secret";
const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Pure: build from a lookup function (tests pass a HashMap); never touches the process env or files
    /// except `*_FILE` secrets.
    pub fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let v = Vars(env);
        // First: several rules below depend on it.
        let environment = v.parse("ENVIRONMENT", Environment::Development, Environment::parse)?;
        let production = environment == Environment::Production;

        let database_path = v.parse(
            "DATABASE_URL",
            PathBuf::from("./data/kpi.db"),
            database_path,
        )?;
        let backup_dir = v.parse("DATABASE_BACKUP_DIR", PathBuf::from("./data/backups"), path)?;
        let (api_host, api_port, api_base_url) = api(&v)?;
        let (jwt_secret, jwt_expiration_hours) = jwt(&v, production)?;
        let smtp = smtp(&v, production)?;
        let (log_level, log_format_json, log_file) = logging(&v, production)?;
        let max_upload_size = v.parse("MAX_UPLOAD_SIZE", 10 << 20, byte_size)?;
        let allowed_origins = v.parse("ALLOWED_ORIGINS", Vec::new(), origins)?;
        let default_client_limit = v.parse("DEFAULT_CLIENT_LIMIT", 50, whole(1u32, 10_000))?;
        let max_employees_per_client =
            v.parse("MAX_EMPLOYEES_PER_CLIENT", 200, whole(1u32, 100_000))?;
        let enable_csv_upload = v.parse("ENABLE_CSV_UPLOAD", true, boolean)?;
        let enable_email_reports = v.parse("ENABLE_EMAIL_REPORTS", true, boolean)?;
        let enable_auto_backup = v.parse("ENABLE_AUTO_BACKUP", true, boolean)?;
        let mail_timing = mail_timing(&v)?;
        let backup_retention_days = v.parse("BACKUP_RETENTION_DAYS", 30, whole(1u32, 3_650))?;
        let backup_schedule = v.parse("BACKUP_SCHEDULE", "0 2 * * *".to_owned(), cron)?;
        let backup_post_hook = v.get("BACKUP_POST_HOOK");
        let kpi_scripts_dir = v.parse("KPI_SCRIPTS_DIR", PathBuf::from("./kpi-scripts"), path)?;
        let admin_password = v.secret("ADMIN_PASSWORD")?;

        let config = Config {
            data_dir: parent_dir(&database_path),
            database_path,
            backup_dir,
            api_base_url,
            api_host,
            api_port,
            jwt_secret,
            jwt_expiration_hours,
            smtp,
            environment,
            log_level,
            log_format_json,
            log_file,
            max_upload_size,
            allowed_origins,
            default_client_limit,
            max_employees_per_client,
            enable_csv_upload,
            enable_email_reports,
            enable_auto_backup,
            mail_timing,
            backup_retention_days,
            backup_schedule,
            backup_post_hook,
            kpi_scripts_dir,
            admin_password,
        };
        if production {
            config.production_refusals()?;
        }
        Ok(config)
    }

    /// Process env first, then `.env` in the current working directory (process values win).
    pub fn load() -> Result<Config, ConfigError> {
        Config::load_from_dir(Path::new("."), &|name| std::env::var(name).ok())
    }

    /// Same as [`Config::load`] but reading `.env` from `dir`. Relative paths in values stay relative to the
    /// working directory.
    pub fn load_from_dir(
        dir: &Path,
        process: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file = read_dotenv(&dir.join(".env"))?;
        let merged = |name: &str| {
            process(name)
                .filter(|v| !v.is_empty())
                .or_else(|| file.get(name).cloned())
        };
        Config::from_lookup(&merged)
    }

    /// The JWT secret: the configured one, else (development only) `<data_dir>/.jwt_secret`, generated once
    /// (48 random bytes, hex) with mode 0600 and reused, so tokens survive restarts.
    pub fn resolve_jwt_secret(&self) -> Result<String, ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.clone());
        }
        if self.is_production() {
            return Err(ConfigError::new(
                "JWT_SECRET",
                "required when ENVIRONMENT=production",
            ));
        }
        let path = self.data_dir.join(JWT_SECRET_FILE_NAME);
        let secret = match read_secret_file(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                create_secret_file(&self.data_dir, &path)
            }
            other => other,
        }
        .map_err(|e| {
            ConfigError::new("JWT_SECRET", format!("cannot use {}: {e}", path.display()))
        })?;
        if secret.len() < MIN_SECRET_BYTES {
            let problem = format!(
                "{} is shorter than {MIN_SECRET_BYTES} bytes; delete it to generate a new one",
                path.display()
            );
            return Err(ConfigError::new("JWT_SECRET", problem));
        }
        Ok(secret)
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Non-fatal findings for the start-up log (the logger starts after the configuration is read).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.enable_email_reports && self.smtp.is_none() {
            out.push("ENABLE_EMAIL_REPORTS: e-mail disabled because SMTP_HOST is empty".to_owned());
        }
        if self.allowed_origins.iter().any(|o| o == "*") {
            out.push("ALLOWED_ORIGINS: `*` accepts any origin (refused in production)".to_owned());
        }
        out
    }

    /// Lines "NAME=value" of the effective configuration with secrets shown as ***, for `kpi-ops config check`.
    pub fn redacted_lines(&self) -> Vec<String> {
        let smtp = self.smtp.as_ref();
        let smtp_field = |f: fn(&SmtpConfig) -> String| smtp.map(f).unwrap_or_default();
        let pairs: Vec<(&str, String)> = vec![
            ("DATABASE_URL", database_url(&self.database_path)),
            ("DATABASE_BACKUP_DIR", self.backup_dir.display().to_string()),
            ("API_BASE_URL", self.api_base_url.clone()),
            ("API_HOST", self.api_host.clone()),
            ("API_PORT", self.api_port.to_string()),
            ("JWT_SECRET", stars(&self.jwt_secret)),
            ("JWT_ALGORITHM", "HS256".to_owned()),
            (
                "JWT_EXPIRATION_HOURS",
                self.jwt_expiration_hours.to_string(),
            ),
            ("SMTP_HOST", smtp_field(|s| s.host.clone())),
            ("SMTP_PORT", smtp_field(|s| s.port.to_string())),
            ("SMTP_USER", smtp_field(|s| stars(&s.user))),
            ("SMTP_PASS", smtp_field(|s| stars(&s.pass))),
            (
                "SMTP_FROM",
                smtp_field(|s| s.from.clone().unwrap_or_default()),
            ),
            ("SMTP_TLS", smtp_field(|s| s.tls.as_str().to_owned())),
            ("ENVIRONMENT", self.environment.as_str().to_owned()),
            ("LOG_LEVEL", self.log_level.clone()),
            (
                "LOG_FORMAT",
                if self.log_format_json { "json" } else { "text" }.to_owned(),
            ),
            (
                "LOG_FILE",
                self.log_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            ("MAX_UPLOAD_SIZE", self.max_upload_size.to_string()),
            ("ALLOWED_ORIGINS", self.allowed_origins.join(",")),
            (
                "DEFAULT_CLIENT_LIMIT",
                self.default_client_limit.to_string(),
            ),
            (
                "MAX_EMPLOYEES_PER_CLIENT",
                self.max_employees_per_client.to_string(),
            ),
            ("ENABLE_CSV_UPLOAD", self.enable_csv_upload.to_string()),
            (
                "ENABLE_EMAIL_REPORTS",
                self.enable_email_reports.to_string(),
            ),
            ("ENABLE_AUTO_BACKUP", self.enable_auto_backup.to_string()),
            (
                "MAIL_RETRY_BASE_SECONDS",
                self.mail_timing.retry_base.as_secs_f64().to_string(),
            ),
            (
                "MAIL_MAX_ATTEMPTS",
                self.mail_timing.max_attempts.to_string(),
            ),
            (
                "MAIL_POLL_SECONDS",
                self.mail_timing.poll_interval.as_secs_f64().to_string(),
            ),
            (
                "BACKUP_RETENTION_DAYS",
                self.backup_retention_days.to_string(),
            ),
            ("BACKUP_SCHEDULE", self.backup_schedule.clone()),
            // A command line may carry a credential (an rclone remote, a curl -u): never shown.
            ("BACKUP_POST_HOOK", stars(&self.backup_post_hook)),
            (
                "KPI_SCRIPTS_DIR",
                self.kpi_scripts_dir.display().to_string(),
            ),
            ("ADMIN_PASSWORD", stars(&self.admin_password)),
        ];
        pairs
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    }

    /// Production refuses settings that are only acceptable on a developer's machine.
    fn production_refusals(&self) -> Result<(), ConfigError> {
        if self.allowed_origins.iter().any(|o| o == "*") {
            let problem = "`*` is refused when ENVIRONMENT=production; list the exact origins";
            return Err(ConfigError::new("ALLOWED_ORIGINS", problem));
        }
        if self.enable_email_reports && self.smtp.is_none() {
            let problem =
                "is true but SMTP_HOST is empty; set SMTP_HOST or ENABLE_EMAIL_REPORTS=false";
            return Err(ConfigError::new("ENABLE_EMAIL_REPORTS", problem));
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Config");
        for line in self.redacted_lines() {
            let (name, value) = line.split_once('=').unwrap_or((&line, ""));
            s.field(name, &value);
        }
        s.field("data_dir", &self.data_dir).finish()
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &stars(&self.user))
            .field("pass", &stars(&self.pass))
            .field("from", &self.from)
            .field("tls", &self.tls)
            .finish()
    }
}

fn stars(secret: &Option<String>) -> String {
    secret
        .as_ref()
        .map(|_| "***".to_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------------------
// Reading variables

/// The lookup with the shared rules applied: empty = unset, values trimmed, errors named after the variable.
struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn parse_opt<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(name)
            .map(|raw| parse(&raw).map_err(|problem| ConfigError::new(name, problem)))
            .transpose()
    }

    fn parse<T>(
        &self,
        name: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        Ok(self.parse_opt(name, parse)?.unwrap_or(default))
    }

    /// A secret from `NAME` or from the file named by `NAME_FILE` (trailing newline trimmed), never both.
    /// Secrets are not trimmed otherwise, and never appear in a message.
    fn secret(&self, name: &str) -> Result<Option<String>, ConfigError> {
        let file_var = format!("{name}_FILE");
        let direct = (self.0)(name).filter(|v| !v.is_empty());
        let Some(file) = self.get(&file_var) else {
            return Ok(direct);
        };
        if direct.is_some() {
            return Err(ConfigError::new(
                name,
                format!("set only one of {name} and {file_var}"),
            ));
        }
        let content = std::fs::read_to_string(&file)
            .map_err(|e| ConfigError::new(&file_var, format!("cannot read {file}: {e}")))?;
        let secret = content.trim_end_matches(['\n', '\r']).to_owned();
        if secret.is_empty() {
            return Err(ConfigError::new(&file_var, format!("{file} is empty")));
        }
        Ok(Some(secret))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Variable groups

/// API_HOST / API_PORT / API_BASE_URL: where we listen, and the public URL put into e-mail links and the banner.
fn api(v: &Vars) -> Result<(String, u16, String), ConfigError> {
    let host = v.parse("API_HOST", "127.0.0.1".to_owned(), bind_host)?;
    let port = v.parse("API_PORT", 8000, whole(0u16, 65_535))?;
    let default_url = || {
        let shown = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        format!("http://{shown}:{port}")
    };
    let base_url = v
        .parse_opt("API_BASE_URL", base_url)?
        .unwrap_or_else(default_url);
    Ok((host, port, base_url))
}

/// JWT_*: tokens must not be forgeable in production, so a real secret is required there; a developer gets
/// a generated one (see [`Config::resolve_jwt_secret`]). Only HS256 is implemented.
fn jwt(v: &Vars, production: bool) -> Result<(Option<String>, u32), ConfigError> {
    v.parse("JWT_ALGORITHM", (), |raw| {
        raw.eq_ignore_ascii_case("HS256")
            .then_some(())
            .ok_or_else(|| format!("only HS256 is supported, got {raw:?}"))
    })?;
    let hours = v.parse("JWT_EXPIRATION_HOURS", 24, whole(1u32, 720))?;
    let secret = v.secret("JWT_SECRET")?;
    if !production {
        // The guide's placeholder is not a secret: a developer falls back to the generated one.
        return Ok((secret.filter(|s| !is_placeholder(s)), hours));
    }
    let refuse = |problem: &str| Err(ConfigError::new("JWT_SECRET", problem));
    match secret {
        None => refuse("required when ENVIRONMENT=production (or JWT_SECRET_FILE)"),
        Some(s) if is_placeholder(&s) => {
            refuse("is still a placeholder; generate one with `openssl rand -hex 32`")
        }
        Some(s) if s.len() < MIN_SECRET_BYTES => {
            refuse("must be at least 32 bytes when ENVIRONMENT=production")
        }
        Some(s) => Ok((Some(s), hours)),
    }
}

fn is_placeholder(secret: &str) -> bool {
    secret.contains('<') || secret.contains("GENERATE")
}

/// SMTP_*: e-mail is optional (no SMTP_HOST = disabled), but when configured it must be able to send:
/// a sender address, a complete login, and no plain-text connection to a remote server in production.
fn smtp(v: &Vars, production: bool) -> Result<Option<SmtpConfig>, ConfigError> {
    let host = v.parse_opt("SMTP_HOST", smtp_host)?;
    let port = v.parse("SMTP_PORT", 587, whole(1u16, 65_535))?;
    let tls = v.parse(
        "SMTP_TLS",
        if port == 465 {
            SmtpTls::Tls
        } else {
            SmtpTls::StartTls
        },
        SmtpTls::parse,
    )?;
    let user = v.secret("SMTP_USER")?;
    let pass = smtp_pass(v)?;
    let from = v.parse_opt("SMTP_FROM", mail_address)?;
    match (&user, &pass) {
        (Some(_), None) => {
            return Err(ConfigError::new(
                "SMTP_PASS",
                "required when SMTP_USER is set",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::new(
                "SMTP_USER",
                "required when SMTP_PASS is set",
            ));
        }
        _ => {}
    }
    let Some(host) = host else { return Ok(None) };
    if from.is_none() {
        return Err(ConfigError::new(
            "SMTP_FROM",
            "required when SMTP_HOST is set",
        ));
    }
    if production && tls == SmtpTls::None && !is_loopback(&host) {
        let problem = "none is only allowed with a loopback SMTP_HOST when ENVIRONMENT=production";
        return Err(ConfigError::new("SMTP_TLS", problem));
    }
    Ok(Some(SmtpConfig {
        host,
        port,
        user,
        pass,
        from,
        tls,
    }))
}

/// SMTP_PASSWORD is accepted as an alias of the guide's SMTP_PASS; setting both is ambiguous.
fn smtp_pass(v: &Vars) -> Result<Option<String>, ConfigError> {
    match (v.secret("SMTP_PASS")?, v.secret("SMTP_PASSWORD")?) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            "SMTP_PASS",
            "set only one of SMTP_PASS and SMTP_PASSWORD",
        )),
        (a, b) => Ok(a.or(b)),
    }
}

/// Outbox retry and poll timing: MAIL_RETRY_BASE_SECONDS ⊕ (first retry delay, doubling up
/// to 60 × it), MAIL_MAX_ATTEMPTS ⊕, MAIL_POLL_SECONDS ⊕ (due-message and daily-report check).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MailTiming {
    pub retry_base: std::time::Duration,
    pub max_attempts: u32,
    pub poll_interval: std::time::Duration,
}

fn mail_timing(v: &Vars) -> Result<MailTiming, ConfigError> {
    Ok(MailTiming {
        retry_base: v.parse(
            "MAIL_RETRY_BASE_SECONDS",
            std::time::Duration::from_secs(60),
            seconds,
        )?,
        max_attempts: v.parse("MAIL_MAX_ATTEMPTS", 12, whole(1u32, 100))?,
        poll_interval: v.parse(
            "MAIL_POLL_SECONDS",
            std::time::Duration::from_secs(30),
            seconds,
        )?,
    })
}

/// Seconds, decimals allowed, from 0.05 to 3600: `60`, `0.2`.
fn seconds(raw: &str) -> Result<std::time::Duration, String> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| (0.05..=3600.0).contains(s))
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("must be a number of seconds from 0.05 to 3600, got {raw:?}"))
}

/// LOG_*: production logs are JSON lines for journald and also go to a file by default.
/// `LOG_FILE=none` turns the file off.
fn logging(v: &Vars, production: bool) -> Result<(String, bool, Option<PathBuf>), ConfigError> {
    let level = v.parse("LOG_LEVEL", "info".to_owned(), log_level)?;
    let json = v.parse("LOG_FORMAT", production, |raw| {
        match raw.to_ascii_lowercase().as_str() {
            "json" => Ok(true),
            "text" => Ok(false),
            _ => Err(format!("must be json or text, got {raw:?}")),
        }
    })?;
    let file = match v.get("LOG_FILE") {
        Some(raw) if raw.eq_ignore_ascii_case("none") => None,
        Some(raw) => Some(PathBuf::from(raw)),
        None => production.then(|| PathBuf::from(PRODUCTION_LOG_FILE)),
    };
    Ok((level, json, file))
}

// ---------------------------------------------------------------------------------------------------------
// Value parsers: each returns the problem without the variable name, which `Vars` adds.

/// `sqlite://<path>`, `sqlite:///<relative>` (the guide's form), `sqlite:////<absolute>`.
fn database_path(url: &str) -> Result<PathBuf, String> {
    let rest = url
        .strip_prefix("sqlite://")
        .ok_or("must start with sqlite:// (e.g. sqlite:///kpi_platform.db)")?;
    let path = rest.strip_prefix('/').unwrap_or(rest);
    if path.is_empty() || path.ends_with('/') {
        return Err("must name a database file, e.g. sqlite:///kpi_platform.db".into());
    }
    if path.contains('?') || path == ":memory:" {
        return Err("must be a plain file path (no ?options, no :memory:)".into());
    }
    Ok(PathBuf::from(path))
}

/// Inverse of [`database_path`], for display.
fn database_url(path: &Path) -> String {
    let shown = path.display();
    if path.is_absolute() {
        format!("sqlite:///{shown}")
    } else {
        format!("sqlite://{shown}")
    }
}

/// The folder holding the database ("." for a bare file name).
fn parent_dir(database: &Path) -> PathBuf {
    database
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn path(raw: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(raw))
}

/// A host name or IP address to bind; brackets around an IPv6 address are removed.
fn bind_host(raw: &str) -> Result<String, String> {
    let host = raw
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(raw);
    let ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".:-_".contains(c));
    ok.then(|| host.to_owned())
        .ok_or_else(|| format!("{raw:?} is not a host name or IP address"))
}

/// An absolute http(s) URL; a trailing `/` is dropped so paths can be appended.
fn base_url(raw: &str) -> Result<String, String> {
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"));
    let host = rest
        .and_then(|r| r.split(['/', '?', '#']).next())
        .unwrap_or("");
    if host.is_empty() || raw.contains(char::is_whitespace) {
        return Err(
            "must be an absolute http:// or https:// URL, e.g. https://kpi.example.com".into(),
        );
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

fn smtp_host(raw: &str) -> Result<String, String> {
    let ok = !raw.contains(['/', '@']) && !raw.contains(char::is_whitespace);
    ok.then(|| raw.to_owned())
        .ok_or_else(|| format!("must be a host name, not a URL, got {raw:?}"))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A sender address (`a@b` or `Name <a@b>`); no line breaks, which would inject headers.
fn mail_address(raw: &str) -> Result<String, String> {
    let ok = raw.contains('@') && !raw.contains(['\r', '\n']);
    ok.then(|| raw.to_owned())
        .ok_or_else(|| format!("must be an e-mail address, got {raw:?}"))
}

/// A whole number in `lo..=hi`, for any unsigned type.
fn whole<T: Copy + Into<u64> + TryFrom<u64>>(lo: T, hi: T) -> impl Fn(&str) -> Result<T, String> {
    move |raw| {
        let (lo, hi) = (lo.into(), hi.into());
        let n = raw.parse::<u64>().ok().filter(|n| (lo..=hi).contains(n));
        n.and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| format!("must be a whole number from {lo} to {hi}, got {raw:?}"))
    }
}

fn boolean(raw: &str) -> Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!(
            "must be true or false (or 1/0, yes/no), got {raw:?}"
        )),
    }
}

/// Bytes, or a number with B/KB/MB/GB (1024-based, any case, optional space): `10485760`, `10MB`, `10 mb`.
fn byte_size(raw: &str) -> Result<u64, String> {
    let upper = raw.to_ascii_uppercase();
    let digits = upper
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(upper.len());
    let (number, unit) = upper.split_at(digits);
    let factor: u64 = match unit.trim_start() {
        "" | "B" => 1,
        "KB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        _ => 0,
    };
    let bytes = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|&n| n > 0);
    bytes.ok_or_else(|| {
        format!("must be a positive size in bytes or with B/KB/MB/GB, e.g. 10MB, got {raw:?}")
    })
}

/// Comma list of exact origins (`https://host[:port]`, lower-cased as browsers send them), or `*`.
fn origins(raw: &str) -> Result<Vec<String>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(origin)
        .collect()
}

fn origin(raw: &str) -> Result<String, String> {
    if raw == "*" {
        return Ok(raw.to_owned());
    }
    let origin = raw.strip_suffix('/').unwrap_or(raw).to_ascii_lowercase();
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match host {
        Some(h)
            if !h.is_empty()
                && !h.contains(['/', '?', '#', '@'])
                && !h.contains(char::is_whitespace) =>
        {
            Ok(origin)
        }
        _ => Err(format!("{raw:?} is not an origin like https://example.com")),
    }
}

/// trace, debug, info, warn/warning, error/critical in any case -> the `tracing` name.
fn log_level(raw: &str) -> Result<String, String> {
    let level = match raw.to_ascii_lowercase().as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "info" => "info",
        "warn" | "warning" => "warn",
        "error" | "critical" => "error",
        _ => {
            return Err(format!(
                "must be trace, debug, info, warn or error, got {raw:?}"
            ));
        }
    };
    Ok(level.to_owned())
}

/// Five fields (minute hour day month weekday) of digits and `* , - /`; month and weekday may use names.
/// Then the scheduler's own parser (croner) must accept it, so `0 25 * * *` fails at start-up, not at 02:00.
fn cron(raw: &str) -> Result<String, String> {
    let fields: Vec<&str> = raw.split_whitespace().collect();
    let allowed = |i: usize, c: char| {
        c.is_ascii_digit() || "*,-/".contains(c) || (i >= 3 && c.is_ascii_alphabetic())
    };
    let ok = fields.len() == 5
        && fields
            .iter()
            .enumerate()
            .all(|(i, f)| f.chars().all(|c| allowed(i, c)));
    let expr = ok.then(|| fields.join(" "))
        .ok_or_else(|| format!("must be a 5-field cron expression (minute hour day month weekday) like \"0 2 * * *\", got {raw:?}"))?;
    kpi_engine::scheduler::Schedule::cron(&expr)
        .map_err(|e| format!("is not a valid schedule: {e}"))?;
    Ok(expr)
}

// ---------------------------------------------------------------------------------------------------------
// `.env`

/// Reads `.env` with dotenvy's parser (`KEY=v`, `export KEY=v`, quotes, `# comments`, inline ` # comment`
/// after unquoted values, `$VAR` substitution). A missing file is no error; the last definition of a name
/// wins, as in a shell. A parse error names the line and variable but not the value, which may be a secret.
fn read_dotenv(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => {
            return Err(ConfigError::new(
                ".env",
                format!("cannot read {}: {e}", path.display()),
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut vars = HashMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (name, value) = item.map_err(|e| dotenv_error(path, text, &e))?;
        vars.insert(name, value);
    }
    Ok(vars)
}

fn dotenv_error(path: &Path, text: &str, error: &dotenvy::Error) -> ConfigError {
    let dotenvy::Error::LineParse(fragment, _) = error else {
        return ConfigError::new(".env", format!("cannot read {}: {error}", path.display()));
    };
    let needle = fragment.lines().next().unwrap_or_default().trim();
    let found = text
        .lines()
        .enumerate()
        .find(|(_, line)| !needle.is_empty() && line.contains(needle));
    let (name, line) = found.map_or((".env", 0), |(i, line)| {
        (line_key(line).unwrap_or(".env"), i + 1)
    });
    let problem = format!(
        "line {line} of {} cannot be parsed; quote values that contain spaces, quotes or backslashes",
        path.display()
    );
    ConfigError::new(name, problem)
}

/// The variable name of a `.env` line, if it has a plausible one.
fn line_key(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    let key = line.split(|c: char| c == '=' || c.is_whitespace()).next()?;
    let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(key)
}

// ---------------------------------------------------------------------------------------------------------
// Development JWT secret file

fn read_secret_file(path: &Path) -> io::Result<String> {
    Ok(std::fs::read_to_string(path)?.trim_end().to_owned())
}

/// Creates `<data_dir>/.jwt_secret` (mode 0600) unless another process just did, then returns its secret.
fn create_secret_file(data_dir: &Path, path: &Path) -> io::Result<String> {
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{secret}\n").as_bytes())?;
            file.sync_all()?;
            Ok(secret)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_secret_file(path),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_timing_defaults_and_limits() {
        let c = ok(&[]);
        assert_eq!(c.mail_timing.retry_base, std::time::Duration::from_secs(60));
        assert_eq!(c.mail_timing.max_attempts, 12);
        assert_eq!(
            c.mail_timing.poll_interval,
            std::time::Duration::from_secs(30)
        );
        let c = ok(&[
            ("MAIL_RETRY_BASE_SECONDS", "0.2"),
            ("MAIL_POLL_SECONDS", "0.1"),
            ("MAIL_MAX_ATTEMPTS", "3"),
        ]);
        assert_eq!(
            c.mail_timing.retry_base,
            std::time::Duration::from_millis(200)
        );
        assert_eq!(
            c.mail_timing.poll_interval,
            std::time::Duration::from_millis(100)
        );
        assert_eq!(c.mail_timing.max_attempts, 3);
        bad("MAIL_RETRY_BASE_SECONDS", "0", "0.05 to 3600");
        bad("MAIL_RETRY_BASE_SECONDS", "soon", "seconds");
        bad("MAIL_POLL_SECONDS", "7200", "0.05 to 3600");
        bad("MAIL_MAX_ATTEMPTS", "0", "1 to 100");
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(&|name| map.get(name).cloned())
    }

    fn ok(pairs: &[(&str, &str)]) -> Config {
        load(pairs).unwrap_or_else(|e| panic!("refused: {e}"))
    }

    fn err(pairs: &[(&str, &str)]) -> ConfigError {
        match load(pairs) {
            Err(e) => e,
            Ok(_) => panic!("accepted {pairs:?}"),
        }
    }

    /// Asserts the refusal names `name` and mentions `fragment`.
    fn rejects(pairs: &[(&str, &str)], name: &str, fragment: &str) {
        let e = err(pairs);
        assert_eq!(e.name, name, "{e}");
        assert!(e.problem.contains(fragment), "{e:?} lacks {fragment:?}");
    }

    /// Asserts that `name=value` alone is refused under its own name, mentioning `fragment`.
    fn bad(name: &str, value: &str, fragment: &str) {
        rejects(&[(name, value)], name, fragment);
    }

    /// Like [`bad`], with an otherwise valid SMTP setup.
    fn bad_smtp(name: &str, value: &str, fragment: &str) {
        rejects(&with_smtp(&[(name, value)]), name, fragment);
    }

    /// A valid production setup, then `pairs` (later pairs win).
    fn prod<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let base = [
            ("ENVIRONMENT", "production"),
            ("JWT_SECRET", SECRET),
            ("ENABLE_EMAIL_REPORTS", "false"),
        ];
        base.into_iter().chain(pairs.iter().copied()).collect()
    }

    const SMTP: [(&str, &str); 2] = [
        ("SMTP_HOST", "smtp.example.com"),
        ("SMTP_FROM", "kpi@example.com"),
    ];

    fn with_smtp<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        SMTP.into_iter().chain(pairs.iter().copied()).collect()
    }

    fn write(dir: &Path, name: &str, content: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    // --- shared rules ---

    #[test]
    fn empty_values_count_as_unset() {
        let c = ok(&[
            ("API_PORT", ""),
            ("LOG_LEVEL", ""),
            ("JWT_SECRET", ""),
            ("ENVIRONMENT", ""),
        ]);
        assert_eq!(
            (c.api_port, c.log_level.as_str(), &c.jwt_secret),
            (8000, "info", &None)
        );
    }

    #[test]
    fn values_are_trimmed() {
        assert_eq!(ok(&[("API_PORT", " 9000 ")]).api_port, 9000);
    }

    // --- DATABASE_URL / DATABASE_BACKUP_DIR ---

    #[test]
    fn database_url_defaults_to_data_kpi_db() {
        let c = ok(&[]);
        assert_eq!(
            (c.database_path, c.data_dir),
            (PathBuf::from("./data/kpi.db"), PathBuf::from("./data"))
        );
    }

    #[test]
    fn database_url_three_slashes_is_relative_to_the_working_directory() {
        let c = ok(&[("DATABASE_URL", "sqlite:///kpi_platform.db")]);
        assert_eq!(
            (c.database_path, c.data_dir),
            (PathBuf::from("kpi_platform.db"), PathBuf::from("."))
        );
    }

    #[test]
    fn database_url_two_slashes_takes_the_path_as_written() {
        let c = ok(&[("DATABASE_URL", "sqlite://./var/db/kpi.db")]);
        assert_eq!(
            (c.database_path, c.data_dir),
            (PathBuf::from("./var/db/kpi.db"), PathBuf::from("./var/db"))
        );
    }

    #[test]
    fn database_url_four_slashes_is_absolute() {
        let c = ok(&[("DATABASE_URL", "sqlite:////var/lib/kpi/kpi.db")]);
        assert_eq!(
            (c.database_path, c.data_dir),
            (
                PathBuf::from("/var/lib/kpi/kpi.db"),
                PathBuf::from("/var/lib/kpi")
            )
        );
    }

    #[test]
    fn database_url_rejects_other_schemes() {
        bad(
            "DATABASE_URL",
            "postgres://db/kpi",
            "must start with sqlite://",
        );
    }

    #[test]
    fn database_url_rejects_a_missing_file_name() {
        bad("DATABASE_URL", "sqlite:///", "database file");
        bad("DATABASE_URL", "sqlite://./data/", "database file");
    }

    #[test]
    fn database_url_rejects_memory_and_options() {
        bad("DATABASE_URL", "sqlite://:memory:", "plain file path");
        bad(
            "DATABASE_URL",
            "sqlite://kpi.db?mode=rwc",
            "plain file path",
        );
    }

    #[test]
    fn database_url_round_trips_through_redacted_lines() {
        for url in [
            "sqlite://kpi.db",
            "sqlite://./data/kpi.db",
            "sqlite:////srv/kpi.db",
        ] {
            let line = ok(&[("DATABASE_URL", url)]).redacted_lines()[0].clone();
            let shown = line.strip_prefix("DATABASE_URL=").unwrap();
            assert_eq!(
                database_path(shown).unwrap(),
                database_path(url).unwrap(),
                "{shown}"
            );
        }
    }

    #[test]
    fn backup_dir_defaults_to_data_backups() {
        assert_eq!(ok(&[]).backup_dir, PathBuf::from("./data/backups"));
    }

    #[test]
    fn backup_dir_is_taken_as_given() {
        let c = ok(&[("DATABASE_BACKUP_DIR", "/var/backups/kpi-operations")]);
        assert_eq!(c.backup_dir, PathBuf::from("/var/backups/kpi-operations"));
    }

    // --- API_HOST / API_PORT / API_BASE_URL ---

    #[test]
    fn api_host_defaults_to_loopback() {
        assert_eq!(ok(&[]).api_host, "127.0.0.1");
    }

    #[test]
    fn api_host_drops_ipv6_brackets() {
        let c = ok(&[("API_HOST", "[::1]"), ("API_PORT", "81")]);
        assert_eq!(
            (c.api_host.as_str(), c.api_base_url.as_str()),
            ("::1", "http://[::1]:81")
        );
    }

    #[test]
    fn api_host_rejects_a_url() {
        bad("API_HOST", "http://0.0.0.0", "not a host name");
    }

    #[test]
    fn api_port_defaults_to_8000() {
        assert_eq!(ok(&[]).api_port, 8000);
    }

    #[test]
    fn api_port_accepts_zero_for_any_free_port() {
        assert_eq!(ok(&[("API_PORT", "0")]).api_port, 0);
    }

    #[test]
    fn api_port_rejects_out_of_range_and_words() {
        bad("API_PORT", "65536", "from 0 to 65535");
        bad("API_PORT", "-1", "from 0 to 65535");
        bad("API_PORT", "http", "whole number");
    }

    #[test]
    fn api_base_url_defaults_to_host_and_port() {
        assert_eq!(
            ok(&[("API_HOST", "0.0.0.0"), ("API_PORT", "9000")]).api_base_url,
            "http://0.0.0.0:9000"
        );
        assert_eq!(ok(&[]).api_base_url, "http://127.0.0.1:8000");
    }

    #[test]
    fn api_base_url_drops_a_trailing_slash() {
        assert_eq!(
            ok(&[("API_BASE_URL", "https://kpi.example.com/")]).api_base_url,
            "https://kpi.example.com"
        );
    }

    #[test]
    fn api_base_url_must_be_absolute_http() {
        bad("API_BASE_URL", "kpi.example.com", "absolute http");
        bad("API_BASE_URL", "ftp://kpi.example.com", "absolute http");
        bad("API_BASE_URL", "https://", "absolute http");
    }

    // --- JWT_* ---

    #[test]
    fn jwt_secret_is_none_in_development_when_unset() {
        assert_eq!(ok(&[]).jwt_secret, None);
    }

    #[test]
    fn jwt_secret_placeholder_is_ignored_in_development() {
        assert_eq!(
            ok(&[("JWT_SECRET", "<GENERATE_STRONG_SECRET_HERE>")]).jwt_secret,
            None
        );
    }

    #[test]
    fn jwt_secret_is_kept_in_development() {
        assert_eq!(
            ok(&[("JWT_SECRET", "short-dev-secret")])
                .jwt_secret
                .as_deref(),
            Some("short-dev-secret")
        );
    }

    #[test]
    fn jwt_secret_is_required_in_production() {
        let pairs = prod(&[("JWT_SECRET", "")]);
        rejects(&pairs, "JWT_SECRET", "required when ENVIRONMENT=production");
    }

    #[test]
    fn jwt_secret_must_be_32_bytes_in_production_and_is_not_shown() {
        let short = "abcdefghij0123456789abcdefghij1"; // 31 bytes
        let e = err(&prod(&[("JWT_SECRET", short)]));
        assert_eq!(e.name, "JWT_SECRET");
        assert!(e.problem.contains("at least 32 bytes"), "{e}");
        assert!(!e.to_string().contains(short));
    }

    #[test]
    fn jwt_secret_placeholder_is_refused_in_production() {
        let filler = "GENERATE-ME-0123456789abcdef0123456789abcdef";
        rejects(
            &prod(&[("JWT_SECRET", filler)]),
            "JWT_SECRET",
            "placeholder",
        );
        rejects(
            &prod(&[("JWT_SECRET", "<a-long-enough-placeholder-value-here>")]),
            "JWT_SECRET",
            "placeholder",
        );
    }

    #[test]
    fn jwt_secret_of_32_bytes_is_accepted_in_production() {
        assert_eq!(ok(&prod(&[])).jwt_secret.as_deref(), Some(SECRET));
    }

    #[test]
    fn jwt_secret_file_is_read_and_its_newline_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "jwt", &format!("{SECRET}\n"));
        let c = ok(&prod(&[("JWT_SECRET", ""), ("JWT_SECRET_FILE", &file)]));
        assert_eq!(c.jwt_secret.as_deref(), Some(SECRET));
    }

    #[test]
    fn jwt_secret_and_its_file_together_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "jwt", SECRET);
        let e = err(&prod(&[("JWT_SECRET_FILE", &file)]));
        assert_eq!(e.name, "JWT_SECRET");
        assert!(
            e.problem
                .contains("only one of JWT_SECRET and JWT_SECRET_FILE"),
            "{e}"
        );
        assert!(!e.to_string().contains(SECRET));
    }

    #[test]
    fn jwt_secret_file_missing_or_empty_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope").display().to_string();
        bad("JWT_SECRET_FILE", &missing, "cannot read");
        let empty = write(dir.path(), "empty", "\n");
        bad("JWT_SECRET_FILE", &empty, "is empty");
    }

    #[test]
    fn jwt_secret_file_that_is_too_short_does_not_leak() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "jwt", "tiny-secret-value");
        let e = err(&prod(&[("JWT_SECRET", ""), ("JWT_SECRET_FILE", &file)]));
        assert_eq!(e.name, "JWT_SECRET");
        assert!(!e.to_string().contains("tiny-secret-value"));
    }

    #[test]
    fn jwt_algorithm_defaults_to_and_accepts_only_hs256() {
        ok(&[]);
        ok(&[("JWT_ALGORITHM", "hs256")]);
        bad("JWT_ALGORITHM", "RS256", "only HS256");
    }

    #[test]
    fn jwt_expiration_hours_defaults_to_24() {
        assert_eq!(ok(&[]).jwt_expiration_hours, 24);
    }

    #[test]
    fn jwt_expiration_hours_is_1_to_720() {
        assert_eq!(
            ok(&[("JWT_EXPIRATION_HOURS", "720")]).jwt_expiration_hours,
            720
        );
        bad("JWT_EXPIRATION_HOURS", "0", "from 1 to 720");
        bad("JWT_EXPIRATION_HOURS", "721", "from 1 to 720");
        bad("JWT_EXPIRATION_HOURS", "1.5", "whole number");
    }

    // --- resolve_jwt_secret ---

    fn dev_in(dir: &Path) -> Config {
        let url = format!("sqlite:///{}", dir.join("sub/kpi.db").display());
        ok(&[("DATABASE_URL", &url)])
    }

    #[test]
    fn resolve_jwt_secret_returns_the_configured_one() {
        assert_eq!(
            ok(&[("JWT_SECRET", "dev")]).resolve_jwt_secret().unwrap(),
            "dev"
        );
    }

    #[test]
    fn resolve_jwt_secret_generates_a_private_file_once_in_development() {
        let dir = tempfile::tempdir().unwrap();
        let config = dev_in(dir.path());
        let first = config.resolve_jwt_secret().unwrap();
        assert_eq!(first.len(), 96);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            config.resolve_jwt_secret().unwrap(),
            first,
            "reused, not regenerated"
        );
        let path = dir.path().join("sub/.jwt_secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(std::fs::read_to_string(path).unwrap().trim_end(), first);
    }

    #[test]
    fn resolve_jwt_secret_refuses_a_truncated_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dev_in(dir.path());
        std::fs::create_dir_all(&config.data_dir).unwrap();
        write(&config.data_dir, ".jwt_secret", "abc\n");
        let e = config.resolve_jwt_secret().unwrap_err();
        assert_eq!(e.name, "JWT_SECRET");
        assert!(e.problem.contains("delete it"), "{e}");
        assert!(!e.problem.contains("abc\n"));
    }

    #[test]
    fn resolve_jwt_secret_never_generates_in_production() {
        let mut config = ok(&prod(&[]));
        config.jwt_secret = None;
        assert_eq!(config.resolve_jwt_secret().unwrap_err().name, "JWT_SECRET");
    }

    // --- SMTP_* ---

    #[test]
    fn smtp_is_none_without_a_host() {
        assert!(ok(&[("SMTP_FROM", "a@b.c")]).smtp.is_none());
    }

    #[test]
    fn smtp_port_defaults_to_587_with_starttls() {
        let s = ok(&with_smtp(&[])).smtp.unwrap();
        assert_eq!((s.port, s.tls), (587, SmtpTls::StartTls));
    }

    #[test]
    fn smtp_tls_defaults_to_tls_on_port_465() {
        assert_eq!(
            ok(&with_smtp(&[("SMTP_PORT", "465")])).smtp.unwrap().tls,
            SmtpTls::Tls
        );
    }

    #[test]
    fn smtp_tls_accepts_any_case() {
        assert_eq!(
            ok(&with_smtp(&[("SMTP_TLS", "NONE")])).smtp.unwrap().tls,
            SmtpTls::None
        );
    }

    #[test]
    fn smtp_tls_rejects_unknown_words() {
        bad_smtp("SMTP_TLS", "ssl", "starttls, tls or none");
    }

    #[test]
    fn smtp_tls_none_needs_a_loopback_host_in_production() {
        let remote = prod(&with_smtp(&[("SMTP_TLS", "none")]));
        rejects(&remote, "SMTP_TLS", "loopback");
        for host in ["localhost", "127.0.0.1", "::1"] {
            let pairs = prod(&with_smtp(&[("SMTP_TLS", "none"), ("SMTP_HOST", host)]));
            assert_eq!(ok(&pairs).smtp.unwrap().tls, SmtpTls::None, "{host}");
        }
    }

    #[test]
    fn smtp_port_is_1_to_65535() {
        bad_smtp("SMTP_PORT", "0", "from 1 to 65535");
        bad_smtp("SMTP_PORT", "70000", "from 1 to 65535");
    }

    #[test]
    fn smtp_host_rejects_a_url() {
        bad_smtp("SMTP_HOST", "smtp://mail.example.com", "not a URL");
    }

    #[test]
    fn smtp_from_is_required_with_a_host() {
        rejects(
            &[("SMTP_HOST", "smtp.example.com")],
            "SMTP_FROM",
            "required when SMTP_HOST is set",
        );
    }

    #[test]
    fn smtp_from_must_be_an_address() {
        bad_smtp("SMTP_FROM", "noreply", "e-mail address");
    }

    #[test]
    fn smtp_login_is_read_and_redacted() {
        let pairs = with_smtp(&[
            ("SMTP_USER", "mailer@example.com"),
            ("SMTP_PASS", "hunter2-pass"),
        ]);
        let c = ok(&pairs);
        let s = c.smtp.clone().unwrap();
        assert_eq!(
            (s.user.as_deref(), s.pass.as_deref()),
            (Some("mailer@example.com"), Some("hunter2-pass"))
        );
        let shown = format!("{:?}\n{}", c, c.redacted_lines().join("\n"));
        assert!(
            !shown.contains("hunter2-pass") && !shown.contains("mailer@example.com"),
            "{shown}"
        );
        assert!(shown.contains("SMTP_PASS=***"));
    }

    #[test]
    fn smtp_password_is_an_alias_of_smtp_pass() {
        let pairs = with_smtp(&[("SMTP_USER", "u"), ("SMTP_PASSWORD", "alias-pass")]);
        assert_eq!(ok(&pairs).smtp.unwrap().pass.as_deref(), Some("alias-pass"));
    }

    #[test]
    fn smtp_pass_and_smtp_password_together_are_refused() {
        let pairs = with_smtp(&[
            ("SMTP_USER", "u"),
            ("SMTP_PASS", "one-pass"),
            ("SMTP_PASSWORD", "two-pass"),
        ]);
        let e = err(&pairs);
        assert_eq!(e.name, "SMTP_PASS");
        assert!(!e.to_string().contains("one-pass") && !e.to_string().contains("two-pass"));
    }

    #[test]
    fn smtp_user_without_pass_is_refused() {
        rejects(
            &with_smtp(&[("SMTP_USER", "u")]),
            "SMTP_PASS",
            "required when SMTP_USER",
        );
        rejects(
            &with_smtp(&[("SMTP_PASS", "p")]),
            "SMTP_USER",
            "required when SMTP_PASS",
        );
    }

    #[test]
    fn smtp_user_and_pass_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let user = write(dir.path(), "user", "mailer\n");
        let pass = write(dir.path(), "pass", "file-pass\r\n");
        let s = ok(&with_smtp(&[
            ("SMTP_USER_FILE", &user),
            ("SMTP_PASS_FILE", &pass),
        ]))
        .smtp
        .unwrap();
        assert_eq!(
            (s.user.as_deref(), s.pass.as_deref()),
            (Some("mailer"), Some("file-pass"))
        );
    }

    #[test]
    fn smtp_pass_and_its_file_together_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pass = write(dir.path(), "pass", "file-pass");
        let pairs = with_smtp(&[
            ("SMTP_USER", "u"),
            ("SMTP_PASS", "env-pass"),
            ("SMTP_PASS_FILE", &pass),
        ]);
        let e = err(&pairs);
        assert_eq!(e.name, "SMTP_PASS");
        assert!(!e.to_string().contains("env-pass") && !e.to_string().contains("file-pass"));
    }

    // --- ENVIRONMENT ---

    #[test]
    fn environment_defaults_to_development() {
        let c = ok(&[]);
        assert_eq!(c.environment, Environment::Development);
        assert!(!c.is_production());
    }

    #[test]
    fn environment_accepts_any_case() {
        assert!(ok(&prod(&[("ENVIRONMENT", "Production")])).is_production());
    }

    #[test]
    fn environment_rejects_other_words() {
        bad("ENVIRONMENT", "staging", "development or production");
    }

    // --- LOG_* ---

    #[test]
    fn log_level_defaults_to_info() {
        assert_eq!(ok(&[]).log_level, "info");
    }

    #[test]
    fn log_level_is_normalised() {
        let cases = [
            ("TRACE", "trace"),
            ("Debug", "debug"),
            ("INFO", "info"),
            ("warning", "warn"),
            ("WARN", "warn"),
        ];
        for (raw, level) in cases
            .into_iter()
            .chain([("error", "error"), ("CRITICAL", "error")])
        {
            assert_eq!(ok(&[("LOG_LEVEL", raw)]).log_level, level, "{raw}");
        }
    }

    #[test]
    fn log_level_rejects_unknown_words() {
        bad("LOG_LEVEL", "verbose", "trace, debug, info, warn or error");
    }

    #[test]
    fn log_format_defaults_to_text_in_development_and_json_in_production() {
        assert!(!ok(&[]).log_format_json);
        assert!(ok(&prod(&[])).log_format_json);
    }

    #[test]
    fn log_format_can_be_chosen() {
        assert!(ok(&[("LOG_FORMAT", "JSON")]).log_format_json);
        assert!(!ok(&prod(&[("LOG_FORMAT", "text")])).log_format_json);
    }

    #[test]
    fn log_format_rejects_unknown_words() {
        bad("LOG_FORMAT", "xml", "json or text");
    }

    #[test]
    fn log_file_defaults_to_none_in_development_and_var_log_in_production() {
        assert_eq!(ok(&[]).log_file, None);
        assert_eq!(
            ok(&prod(&[])).log_file,
            Some(PathBuf::from("/var/log/kpi-operations/app.log"))
        );
    }

    #[test]
    fn log_file_can_be_set_or_turned_off() {
        assert_eq!(
            ok(&[("LOG_FILE", "/tmp/kpi.log")]).log_file,
            Some(PathBuf::from("/tmp/kpi.log"))
        );
        assert_eq!(ok(&prod(&[("LOG_FILE", "none")])).log_file, None);
    }

    // --- MAX_UPLOAD_SIZE ---

    #[test]
    fn max_upload_size_defaults_to_10_mb() {
        assert_eq!(ok(&[]).max_upload_size, 10_485_760);
    }

    #[test]
    fn max_upload_size_accepts_bytes_and_units() {
        let cases = [
            ("10485760", 10_485_760),
            ("512B", 512),
            ("64kb", 65_536),
            ("10 MB", 10_485_760),
            ("1Gb", 1 << 30),
        ];
        for (raw, bytes) in cases {
            assert_eq!(
                ok(&[("MAX_UPLOAD_SIZE", raw)]).max_upload_size,
                bytes,
                "{raw}"
            );
        }
    }

    #[test]
    fn max_upload_size_rejects_bad_values() {
        for raw in ["0", "10TB", "MB", "1.5MB", "-1", "99999999999GB"] {
            bad("MAX_UPLOAD_SIZE", raw, "positive size");
        }
    }

    // --- ALLOWED_ORIGINS ---

    #[test]
    fn allowed_origins_default_to_none() {
        assert!(ok(&[]).allowed_origins.is_empty());
    }

    #[test]
    fn allowed_origins_are_a_comma_list_of_origins() {
        let c = ok(&[(
            "ALLOWED_ORIGINS",
            "https://A.example.com/, http://localhost:5173,",
        )]);
        assert_eq!(
            c.allowed_origins,
            ["https://a.example.com", "http://localhost:5173"]
        );
    }

    #[test]
    fn allowed_origins_reject_paths_and_bare_hosts() {
        bad(
            "ALLOWED_ORIGINS",
            "https://a.example.com/app",
            "not an origin",
        );
        bad("ALLOWED_ORIGINS", "a.example.com", "not an origin");
    }

    #[test]
    fn allowed_origins_star_is_allowed_in_development_only() {
        assert_eq!(ok(&[("ALLOWED_ORIGINS", "*")]).allowed_origins, ["*"]);
        rejects(
            &prod(&[("ALLOWED_ORIGINS", "https://a.example.com,*")]),
            "ALLOWED_ORIGINS",
            "refused",
        );
    }

    // --- limits ---

    #[test]
    fn default_client_limit_defaults_to_50() {
        assert_eq!(ok(&[]).default_client_limit, 50);
    }

    #[test]
    fn default_client_limit_is_1_to_10000() {
        assert_eq!(
            ok(&[("DEFAULT_CLIENT_LIMIT", "10000")]).default_client_limit,
            10_000
        );
        bad("DEFAULT_CLIENT_LIMIT", "0", "from 1 to 10000");
        bad("DEFAULT_CLIENT_LIMIT", "10001", "from 1 to 10000");
    }

    #[test]
    fn max_employees_per_client_defaults_to_200() {
        assert_eq!(ok(&[]).max_employees_per_client, 200);
    }

    #[test]
    fn max_employees_per_client_is_1_to_100000() {
        bad("MAX_EMPLOYEES_PER_CLIENT", "0", "from 1 to 100000");
        bad("MAX_EMPLOYEES_PER_CLIENT", "100001", "from 1 to 100000");
    }

    // --- feature flags ---

    #[test]
    fn feature_flags_default_to_true() {
        let c = ok(&[]);
        assert!(c.enable_csv_upload && c.enable_email_reports && c.enable_auto_backup);
    }

    #[test]
    fn feature_flags_accept_true_false_1_0_yes_no_in_any_case() {
        for (raw, value) in [
            ("TRUE", true),
            ("False", false),
            ("1", true),
            ("0", false),
            ("Yes", true),
            ("NO", false),
        ] {
            let c = ok(&[
                ("ENABLE_CSV_UPLOAD", raw),
                ("ENABLE_EMAIL_REPORTS", raw),
                ("ENABLE_AUTO_BACKUP", raw),
            ]);
            assert_eq!(
                (
                    c.enable_csv_upload,
                    c.enable_email_reports,
                    c.enable_auto_backup
                ),
                (value, value, value)
            );
        }
    }

    #[test]
    fn feature_flags_reject_other_words() {
        bad("ENABLE_CSV_UPLOAD", "on", "true or false");
        bad("ENABLE_EMAIL_REPORTS", "y", "true or false");
        bad("ENABLE_AUTO_BACKUP", "2", "true or false");
    }

    #[test]
    fn email_reports_without_smtp_are_refused_in_production_and_a_warning_in_development() {
        let pairs = prod(&[("ENABLE_EMAIL_REPORTS", "true")]);
        rejects(&pairs, "ENABLE_EMAIL_REPORTS", "SMTP_HOST is empty");
        assert!(
            ok(&prod(&with_smtp(&[("ENABLE_EMAIL_REPORTS", "true")])))
                .smtp
                .is_some()
        );
        assert!(
            ok(&[])
                .warnings()
                .iter()
                .any(|w| w.starts_with("ENABLE_EMAIL_REPORTS"))
        );
    }

    // --- backups and scripts ---

    #[test]
    fn backup_retention_days_defaults_to_30() {
        assert_eq!(ok(&[]).backup_retention_days, 30);
    }

    #[test]
    fn backup_retention_days_is_1_to_3650() {
        bad("BACKUP_RETENTION_DAYS", "0", "from 1 to 3650");
        bad("BACKUP_RETENTION_DAYS", "3651", "from 1 to 3650");
    }

    #[test]
    fn backup_schedule_defaults_to_two_in_the_morning() {
        assert_eq!(ok(&[]).backup_schedule, "0 2 * * *");
    }

    #[test]
    fn backup_schedule_accepts_five_fields_and_normalises_spaces() {
        let c = ok(&[("BACKUP_SCHEDULE", "30  3 */2 JAN-DEC mon-fri")]);
        assert_eq!(c.backup_schedule, "30 3 */2 JAN-DEC mon-fri");
    }

    #[test]
    fn backup_schedule_rejects_bad_expressions() {
        for raw in [
            "0 2 * *",
            "0 0 2 * * *",
            "0 2 * * * #x",
            "a 2 * * *",
            "@daily",
        ] {
            bad("BACKUP_SCHEDULE", raw, "5-field cron");
        }
    }

    #[test]
    fn backup_post_hook_is_optional_and_never_shown() {
        assert_eq!(ok(&[]).backup_post_hook, None);
        let c = ok(&[(
            "BACKUP_POST_HOOK",
            " rclone copy \"$BACKUP_DIR\" remote:kpi ",
        )]);
        assert_eq!(
            c.backup_post_hook.as_deref(),
            Some("rclone copy \"$BACKUP_DIR\" remote:kpi")
        );
        assert!(
            c.redacted_lines()
                .contains(&"BACKUP_POST_HOOK=***".to_owned())
        );
        assert!(!format!("{c:?}").contains("rclone"));
    }

    #[test]
    fn backup_schedule_rejects_values_out_of_range() {
        for raw in ["0 25 * * *", "60 2 * * *", "0 2 32 * *", "0 2 * 13 *"] {
            bad("BACKUP_SCHEDULE", raw, "not a valid schedule");
        }
    }

    #[test]
    fn kpi_scripts_dir_defaults_to_kpi_scripts() {
        assert_eq!(ok(&[]).kpi_scripts_dir, PathBuf::from("./kpi-scripts"));
    }

    #[test]
    fn kpi_scripts_dir_is_taken_as_given() {
        assert_eq!(
            ok(&[("KPI_SCRIPTS_DIR", "/opt/kpi")]).kpi_scripts_dir,
            PathBuf::from("/opt/kpi")
        );
    }

    // --- ADMIN_PASSWORD ---

    #[test]
    fn admin_password_defaults_to_none() {
        assert_eq!(ok(&[]).admin_password, None);
    }

    #[test]
    fn admin_password_is_read_from_env_or_file_and_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "admin", "from-file-pw\n");
        assert_eq!(
            ok(&[("ADMIN_PASSWORD_FILE", &file)])
                .admin_password
                .as_deref(),
            Some("from-file-pw")
        );
        let c = ok(&[("ADMIN_PASSWORD", "from-env-pw")]);
        assert_eq!(c.admin_password.as_deref(), Some("from-env-pw"));
        assert!(
            c.redacted_lines()
                .contains(&"ADMIN_PASSWORD=***".to_owned())
        );
        assert!(!format!("{c:?}").contains("from-env-pw"));
    }

    #[test]
    fn admin_password_and_its_file_together_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "admin", "from-file-pw");
        let e = err(&[
            ("ADMIN_PASSWORD", "from-env-pw"),
            ("ADMIN_PASSWORD_FILE", &file),
        ]);
        assert_eq!(e.name, "ADMIN_PASSWORD");
        assert!(!e.to_string().contains("from-env-pw") && !e.to_string().contains("from-file-pw"));
    }

    // --- redacted_lines ---

    #[test]
    fn redacted_lines_list_every_variable_and_hide_secrets() {
        let c = ok(&prod(&[]));
        let lines = c.redacted_lines();
        assert!(lines.contains(&"JWT_SECRET=***".to_owned()));
        assert!(lines.contains(&"MAX_UPLOAD_SIZE=10485760".to_owned()));
        assert!(lines.contains(&"BACKUP_SCHEDULE=0 2 * * *".to_owned()));
        assert!(lines.iter().all(|l| l.contains('=') && !l.contains(SECRET)));
        assert_eq!(
            lines.len(),
            33,
            "29 + BACKUP_POST_HOOK, MAIL_RETRY_BASE_SECONDS, MAIL_MAX_ATTEMPTS, MAIL_POLL_SECONDS"
        );
        assert!(!format!("{c:?}").contains(SECRET));
    }

    // --- .env ---

    /// The deployment guide's `.env`, verbatim (deployment-guide.md, "1. Environment Configuration").
    const GUIDE_ENV: &str = r#"# Database
DATABASE_URL=sqlite:///kpi_platform.db
DATABASE_BACKUP_DIR=/var/backups/kpi-operations

# API Configuration
API_BASE_URL=https://yourdomain.com
API_PORT=8000

# Authentication
JWT_SECRET=<GENERATE_STRONG_SECRET_HERE>
JWT_ALGORITHM=HS256
JWT_EXPIRATION_HOURS=24

# SMTP Configuration
SMTP_HOST=smtp.gmail.com
SMTP_PORT=587
SMTP_USER=your-email@gmail.com
SMTP_PASS=<APP_SPECIFIC_PASSWORD>
SMTP_FROM=noreply@yourdomain.com

# Application
ENVIRONMENT=production
LOG_LEVEL=INFO
MAX_UPLOAD_SIZE=10485760  # 10MB
ALLOWED_ORIGINS=https://yourdomain.com

# Multi-Tenant
DEFAULT_CLIENT_LIMIT=50
MAX_EMPLOYEES_PER_CLIENT=200

# Feature Flags
ENABLE_CSV_UPLOAD=true
ENABLE_EMAIL_REPORTS=true
ENABLE_AUTO_BACKUP=true
"#;

    fn dotenv_dir(content: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".env", content);
        dir
    }

    fn no_process(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn guide_env_refuses_its_placeholder_jwt_secret() {
        let dir = dotenv_dir(GUIDE_ENV);
        let e = Config::load_from_dir(dir.path(), &no_process).unwrap_err();
        assert_eq!(e.name, "JWT_SECRET");
        assert!(!e.to_string().contains("GENERATE_STRONG"), "{e}");
    }

    #[test]
    fn guide_env_loads_with_a_real_secret_from_the_process() {
        let dir = dotenv_dir(GUIDE_ENV);
        let process = |name: &str| (name == "JWT_SECRET").then(|| SECRET.to_owned());
        let c = Config::load_from_dir(dir.path(), &process).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.max_upload_size, 10_485_760);
        assert_eq!(c.database_path, PathBuf::from("kpi_platform.db"));
        assert_eq!(c.data_dir, PathBuf::from("."));
        assert_eq!(c.jwt_secret.as_deref(), Some(SECRET));
        assert_eq!(
            (c.log_level.as_str(), c.api_base_url.as_str()),
            ("info", "https://yourdomain.com")
        );
        let smtp = c.smtp.clone().unwrap();
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.tls),
            ("smtp.gmail.com", 587, SmtpTls::StartTls)
        );
        assert_eq!(smtp.pass.as_deref(), Some("<APP_SPECIFIC_PASSWORD>"));
        assert_eq!(c.allowed_origins, ["https://yourdomain.com"]);
        assert!(c.is_production() && c.enable_email_reports);
    }

    #[test]
    fn dotenv_syntax_comments_export_and_quotes() {
        let dir = dotenv_dir(concat!(
            "\u{feff}# comment\n",
            "export API_PORT=9001\n",
            "LOG_LEVEL='debug'   # quoted then comment\n",
            "BACKUP_SCHEDULE=\"30 1 * * *\"\n",
            "KPI_SCRIPTS_DIR=./kpi#1  # comment\n",
            "LOG_FILE=\n",
            "DEFAULT_CLIENT_LIMIT=7\n",
            "DEFAULT_CLIENT_LIMIT=8\n",
        ));
        let c = Config::load_from_dir(dir.path(), &no_process).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (c.api_port, c.log_level.as_str(), c.backup_schedule.as_str()),
            (9001, "debug", "30 1 * * *")
        );
        assert_eq!(
            c.kpi_scripts_dir,
            PathBuf::from("./kpi#1"),
            "`#` without a space is part of the value"
        );
        assert_eq!(c.log_file, None, "empty = default");
        assert_eq!(c.default_client_limit, 8, "last definition wins");
    }

    #[test]
    fn dotenv_process_values_win_unless_empty() {
        let dir = dotenv_dir("API_PORT=9001\nLOG_LEVEL=debug\n");
        let process = |name: &str| match name {
            "API_PORT" => Some("9002".to_owned()),
            "LOG_LEVEL" => Some(String::new()),
            _ => None,
        };
        let c = Config::load_from_dir(dir.path(), &process).unwrap();
        assert_eq!((c.api_port, c.log_level.as_str()), (9002, "debug"));
    }

    #[test]
    fn dotenv_missing_file_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Config::load_from_dir(dir.path(), &no_process)
                .unwrap()
                .api_port,
            8000
        );
    }

    #[test]
    fn dotenv_parse_error_names_line_and_variable_but_not_the_value() {
        let dir = dotenv_dir("API_PORT=1\n\nJWT_SECRET=two words-of-secret\n");
        let e = Config::load_from_dir(dir.path(), &no_process).unwrap_err();
        assert_eq!(e.name, "JWT_SECRET");
        assert!(e.problem.starts_with("line 3 of "), "{e}");
        assert!(!e.to_string().contains("words-of-secret"), "{e}");
    }

    #[test]
    fn dotenv_unterminated_quote_is_refused() {
        let dir = dotenv_dir("SMTP_PASS=\"open-secret\n");
        let e = Config::load_from_dir(dir.path(), &no_process).unwrap_err();
        assert_eq!(e.name, "SMTP_PASS");
        assert!(!e.to_string().contains("open-secret"), "{e}");
    }
}
