//! `kpi-ops`: the HTTP edge and the binary. `Application` is built here and shared by `main`
//! and the tests, which start the real server on a free port with a fresh database.
pub mod assets;
pub mod backup_cli;
pub mod config;
pub mod demo;
pub mod demo_modules;
pub mod error;
pub mod http;
pub mod metrics;
pub mod openapi;
pub mod telemetry;
pub mod validate;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use config::Config;
use kpi_engine::{Engine, EngineConfig};
use std::net::TcpListener;
use std::sync::Arc;

pub struct Application {
    server: Server,
    port: u16,
    engine: Engine,
}

pub fn engine_config(config: &Config) -> EngineConfig {
    EngineConfig {
        kpi_scripts_dir: config.kpi_scripts_dir.clone(),
        max_employees_per_client: config.max_employees_per_client,
        default_client_limit: config.default_client_limit,
        jwt_expiration_hours: config.jwt_expiration_hours,
        backup_dir: config.backup_dir.clone(),
        backup_retention_days: config.backup_retention_days,
        backup_post_hook: config.backup_post_hook.clone(),
        backup_schedule: config
            .enable_auto_backup
            .then(|| config.backup_schedule.clone()),
        mail: mail_config(config),
        ..EngineConfig::new(config.database_path.clone())
    }
}

/// The mailer's part of the configuration (SMTP_*, ENABLE_EMAIL_REPORTS, MAIL_*).
fn mail_config(config: &Config) -> kpi_engine::mailer::MailConfig {
    use config::SmtpTls;
    use kpi_engine::mailer::{MailConfig, SmtpSecurity, SmtpSettings};
    let smtp = config.smtp.as_ref().map(|s| SmtpSettings {
        host: s.host.clone(),
        port: s.port,
        user: s.user.clone(),
        pass: s.pass.clone(),
        from: s.from.clone().unwrap_or_default(),
        security: match s.tls {
            SmtpTls::StartTls => SmtpSecurity::StartTls,
            SmtpTls::Tls => SmtpSecurity::Tls,
            SmtpTls::None => SmtpSecurity::None,
        },
    });
    MailConfig {
        // operations.md §1: without SMTP_HOST e-mail is disabled (development warns), so
        // nothing piles up in the outbox that could never be sent.
        enabled: config.enable_email_reports && smtp.is_some(),
        smtp,
        retry_base: config.mail_timing.retry_base,
        max_attempts: config.mail_timing.max_attempts,
        poll_interval: config.mail_timing.poll_interval,
        dashboard_url: config.api_base_url.clone(),
    }
}

impl Application {
    /// Migrates, starts the engine's actors and binds the listener (API_PORT=0: any free port).
    /// Must run inside an actix `System`.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let secret = config.resolve_jwt_secret()?;
        // The server runs the timed jobs (backups, housekeeping); one-shot commands do not.
        let engine = Engine::start(EngineConfig {
            run_scheduled_jobs: true,
            ..engine_config(&config)
        })
        .await?;
        Self::build_with_engine(config, engine, secret)
    }

    pub fn build_with_engine(
        config: Config,
        engine: Engine,
        secret: String,
    ) -> anyhow::Result<Application> {
        let listener = TcpListener::bind((config.api_host.as_str(), config.api_port))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(http::AppState {
            engine: engine.clone(),
            jwt: http::auth::JwtKeys::new(&secret, config.jwt_expiration_hours),
            config: Arc::new(config),
            login_limiter: http::guard::LoginLimiter::new(10),
            user_limiter: http::guard::UserLimiter::default(),
            health_cache: http::health::HealthCache::default(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(http::guard::guard))
                .wrap(Compress::default())
                .wrap(from_fn(metrics::track))
                .wrap(from_fn(telemetry::request_span)) // last wrap runs first
                .configure(openapi::configure)
                .configure(http::configure)
                .default_service(web::to(http::fallback))
        })
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        metrics::spawn_kpi_gauges(engine.clone());
        Ok(Application {
            server,
            port,
            engine,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (actix stops HTTP gracefully, then the engine drains).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
