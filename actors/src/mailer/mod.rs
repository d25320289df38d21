//! The mailer (operations.md §6): a persistent outbox in SQLite (`store::outbox`) and an actor
//! that sends it. Callers only queue (one writer job) and kick the actor; the actor claims due
//! messages, sends them over SMTP (lettre, rustls), and records each outcome. Nothing lives
//! only in memory, so an SMTP outage or a restart loses nothing: SENDING rows go back to
//! PENDING at start. The daily subscription tick (`daily`) is separate so a scheduler can own it.
pub mod actor;
pub mod backoff;
pub mod compose;
pub mod daily;
pub mod subscription;
pub mod transport;

pub use actor::MailerHandle;
use std::fmt;
use std::time::Duration;

/// SMTP_TLS: how the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// STARTTLS upgrade, required (port 587).
    StartTls,
    /// Implicit TLS (port 465).
    Tls,
    /// Plain text: loopback relays and tests only (config refuses it for a remote host in production).
    None,
}

/// Where and as whom to send. `Debug` hides the login.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub from: String,
    pub security: SmtpSecurity,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user.as_ref().map(|_| "***"))
            .field("pass", &self.pass.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("security", &self.security)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// None: SMTP_HOST is empty, messages stay queued.
    pub smtp: Option<SmtpSettings>,
    /// ENABLE_EMAIL_REPORTS: false stops queueing and sending; the outbox is kept.
    pub enabled: bool,
    /// First retry delay; doubles per failed attempt up to 60 × this (1, 2, 4 … 60 minutes).
    pub retry_base: Duration,
    /// Failed attempts after which a message is FAILED.
    pub max_attempts: u32,
    /// How often the actor looks for due messages (retries) and the daily tick runs.
    pub poll_interval: Duration,
    /// API_BASE_URL, for the dashboard link in bodies.
    pub dashboard_url: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp: None,
            enabled: true,
            retry_base: Duration::from_secs(60),
            max_attempts: 12,
            poll_interval: Duration::from_secs(30),
            dashboard_url: "http://127.0.0.1:8000".into(),
        }
    }
}
