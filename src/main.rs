//! `kpi-ops`: serve | demo | migrate | backup | restore | user create | config check | scripts check | validate.
use anyhow::Context;
use clap::{Parser, Subcommand};
use kpi_ops::config::{Config, ConfigError};
use kpi_ops::{Application, engine_config, telemetry};
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::process::ExitCode;

/// KPI Operations: production-line KPIs for a contract manufacturer.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the configuration, migrate the database and serve (the default).
    Serve,
    /// Fresh data dir with realistic demo data (5 clients × 120 days unless told otherwise);
    /// prints URL and login; serves.
    Demo {
        /// Data directory (must be empty or absent); default a new temporary folder.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Port (default API_PORT, else 8000).
        #[arg(long)]
        port: Option<u16>,
        /// Clients: the five named lines, then generated ones (LINE-006, ...).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=999))]
        clients: u16,
        /// Days of history per client, ending today (bench/kpi-load.sh uses 50 × 365).
        #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=1830))]
        days: u64,
    },
    /// Apply pending embedded migrations (idempotent).
    Migrate {
        /// Only print the current and the latest schema version.
        #[arg(long)]
        dry_run: bool,
    },
    /// Take one verified backup now (the service may be running); prints its folder.
    Backup,
    /// Put a backup in place of the database (the service must be stopped). FILE is a backup
    /// folder or a .db file; a corrupt file or a checksum mismatch is refused.
    Restore { file: PathBuf },
    /// User administration.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Formula script tools.
    Scripts {
        #[command(subcommand)]
        command: ScriptsCommand,
    },
    /// Post-deployment validation (schema, API, security, performance); exits 1 when a check fails.
    Validate(kpi_ops::validate::Args),
}

#[derive(Subcommand)]
enum ScriptsCommand {
    /// Compile every `<kpi>.rhai` of DIR (default KPI_SCRIPTS_DIR) and run its @case lines;
    /// prints `file:line:column: message` per problem, exits 1 when there is any.
    Check { dir: Option<PathBuf> },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password comes from --password-file, ADMIN_PASSWORD or one line of stdin.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        /// Assigned client (LEADER/OPERATOR), repeatable.
        #[arg(long = "client")]
        clients: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration with secrets as ***.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    let config = match &command {
        Command::Demo { data_dir, port, .. } => kpi_ops::demo::demo_config(data_dir.clone(), *port),
        _ => Config::load(),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(ConfigError::EXIT_CODE as u8);
        }
    };
    telemetry::init(
        &config.log_level,
        config.log_format_json,
        config.log_file.as_deref(),
    );
    for w in config.warnings() {
        tracing::warn!("{w}");
    }
    // Reads wait for one of the few pooled connections anyway, so a small blocking pool per
    // runtime is enough; it also keeps the thread count (and RSS) bounded under load.
    let system = actix_web::rt::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .max_blocking_threads(8)
            .build()
            .expect("tokio runtime")
    });
    let result = system.block_on(run(command, config));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(config).await,
        Command::Demo { clients, days, .. } => {
            let size = kpi_ops::demo::DemoSize {
                clients: clients.into(),
                days,
            };
            kpi_ops::demo::run(config, size).await
        }
        Command::Migrate { dry_run } => migrate(&config, dry_run),
        Command::Backup => kpi_ops::backup_cli::backup(&config),
        Command::Restore { file } => kpi_ops::backup_cli::restore(&config, &file),
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    role,
                    clients,
                    email,
                    password_file,
                },
        } => {
            if !config.database_path.exists() {
                anyhow::bail!(
                    "no database at {}; run `kpi-ops migrate` first",
                    config.database_path.display()
                );
            }
            let password = match (password_file, &config.admin_password) {
                (Some(f), _) => std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?
                    .trim_end()
                    .to_owned(),
                (None, Some(p)) => p.clone(),
                (None, None) => {
                    eprintln!("password (one line on stdin):");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end().to_owned()
                }
            };
            let engine = kpi_engine::Engine::start(engine_config(&config)).await?;
            let mut body: Map<String, Value> = json!({"username": username, "password": password, "role": role, "client_ids": clients})
                .as_object()
                .cloned()
                .unwrap_or_default();
            if let Some(e) = email {
                body.insert("email".into(), Value::String(e));
            }
            let user = engine
                .create_user_cli(body)
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(e)))?;
            println!("{}", user.user_id);
            Ok(())
        }
        Command::Scripts {
            command: ScriptsCommand::Check { dir },
        } => {
            let dir = dir.unwrap_or_else(|| config.kpi_scripts_dir.clone());
            let report = kpi_engine::kpi::check::check_dir(&dir)
                .with_context(|| format!("cannot read {}", dir.display()))?;
            for problem in &report.problems {
                println!("{problem}");
            }
            match (report.files, report.problems.len()) {
                (0, _) => anyhow::bail!("no .rhai file in {}", dir.display()),
                (files, 0) => println!("{files} formula file(s) OK in {}", dir.display()),
                (files, n) => anyhow::bail!("{n} problem(s) in {files} formula file(s)"),
            }
            Ok(())
        }
        Command::Validate(args) => kpi_ops::validate::run_cli(args, &config),
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            for line in config.redacted_lines() {
                println!("{line}");
            }
            Ok(())
        }
    }
}

fn describe(e: kpi_engine::EngineError) -> String {
    match e {
        kpi_engine::EngineError::Invalid {
            message, details, ..
        } => {
            let fields: Vec<String> = details
                .iter()
                .map(|d| format!("{}: {}", d.field, d.message))
                .collect();
            format!("{message}: {}", fields.join("; "))
        }
        other => other.to_string(),
    }
}

fn migrate(config: &Config, dry_run: bool) -> anyhow::Result<()> {
    use kpi_engine::store::migrations;
    if dry_run {
        let current = if config.database_path.exists() {
            let conn = rusqlite_free_version(config)?;
            conn.to_string()
        } else {
            "none (no database yet)".into()
        };
        println!(
            "current schema version: {current}; this binary: {}",
            migrations::latest_version()
        );
        return Ok(());
    }
    kpi_ops::backup_cli::backup_before_migrate(config)?;
    kpi_engine::engine::open_and_migrate(&config.database_path)?;
    println!(
        "database {} at schema version {}",
        config.database_path.display(),
        migrations::latest_version()
    );
    Ok(())
}

/// The current schema version without migrating.
fn rusqlite_free_version(config: &Config) -> anyhow::Result<usize> {
    Ok(kpi_engine::store::migrations::version_of_file(
        &config.database_path,
    )?)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let base = config.api_base_url.clone();
    let app = Application::build(config).await?;
    tracing::info!(port = app.port(), url = %base, "kpi-ops listening");
    println!(
        "kpi-ops {} listening on port {} ({base})",
        env!("CARGO_PKG_VERSION"),
        app.port()
    );
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
