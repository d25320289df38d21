//! `kpi-ops demo`: a fresh data dir, development mode, deterministic realistic data for 5
//! clients × 120 days (`--clients`, `--days` scale it, for the benchmark) entered through the
//! same engine services the API uses, then serve. Some standards are deliberately missing so
//! inference and confidence show.
use crate::config::{Config, ConfigError};
use crate::{Application, engine_config};
use chrono::{Datelike, Days, Weekday};
use futures_util::{StreamExt, stream};
use kpi_engine::domain::{Caller, Role, TenantScope};
use kpi_engine::resources::defs;
use kpi_engine::{Engine, EngineError};
use serde_json::{Map, Value, json};
use std::path::PathBuf;

const CLIENTS: [(&str, &str, &str); 5] = [
    ("BOOT-LINE-A", "Boot Line A", "ROPER-BOOT"),
    ("BOOT-LINE-B", "Boot Line B", "WORK-BOOT"),
    ("SANDAL-LINE", "Sandal Line", "BEACH-SANDAL"),
    ("BELT-LINE", "Belt Line", "LEATHER-BELT"),
    ("BAG-LINE", "Bag Line", "TOTE-BAG"),
];
pub const DAYS: u64 = 120;

/// How much demo data: the five named lines first, then generated ones (`LINE-006`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoSize {
    pub clients: usize,
    pub days: u64,
}

impl Default for DemoSize {
    fn default() -> Self {
        DemoSize {
            clients: CLIENTS.len(),
            days: DAYS,
        }
    }
}

/// Clients loaded at the same time. Each one already keeps the writer's queue busy; more only
/// queue up in memory.
const CLIENTS_AT_ONCE: usize = CLIENTS.len();
/// Records of one client in flight at once (well under the writer's queue of 4 096 even with
/// `CLIENTS_AT_ONCE` clients loading).
pub(crate) const RECORDS_AT_ONCE: usize = 512;

/// (id, name, style) of the demo client at `index`: one of the named lines, or a generated
/// line with the product style of the named line it follows in the cycle.
fn identity(index: usize) -> (String, String, String) {
    match CLIENTS.get(index) {
        Some((id, name, style)) => (id.to_string(), name.to_string(), style.to_string()),
        None => {
            let n = index + 1;
            let style = CLIENTS[index % CLIENTS.len()].2;
            (
                format!("LINE-{n:03}"),
                format!("Line {n:03}"),
                format!("{style}-{n:03}"),
            )
        }
    }
}

/// Development configuration for the demo: process env for the rest, but a fresh data dir.
pub fn demo_config(data_dir: Option<PathBuf>, port: Option<u16>) -> Result<Config, ConfigError> {
    let dir = match data_dir {
        Some(d) => {
            if d.exists()
                && std::fs::read_dir(&d)
                    .map(|mut r| r.next().is_some())
                    .unwrap_or(true)
            {
                return Err(ConfigError::new(
                    "--data-dir",
                    format!(
                        "{} is not empty; the demo needs a fresh folder",
                        d.display()
                    ),
                ));
            }
            d
        }
        None => std::env::temp_dir().join(format!("kpi-demo-{}", crate::telemetry::new_id())),
    };
    std::fs::create_dir_all(&dir).map_err(|e| {
        ConfigError::new(
            "--data-dir",
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    let dir = dir.canonicalize().unwrap_or(dir);
    let db = format!("sqlite:///{}", dir.join("kpi_platform.db").display()); // absolute path → sqlite:////abs
    let backups = dir.join("backups").display().to_string();
    let port = port
        .map(|p| p.to_string())
        .or_else(|| std::env::var("API_PORT").ok())
        .unwrap_or_else(|| "8000".into());
    let lookup = move |name: &str| -> Option<String> {
        match name {
            "DATABASE_URL" => Some(db.clone()),
            "DATABASE_BACKUP_DIR" => Some(backups.clone()),
            "ENVIRONMENT" => Some("development".into()),
            "API_PORT" => Some(port.clone()),
            "JWT_SECRET" | "JWT_SECRET_FILE" | "API_BASE_URL" => None,
            other => std::env::var(other).ok(),
        }
    };
    Config::from_lookup(&lookup)
}

/// Tiny deterministic generator (the same data on every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Loads the demo data for one client through the engine's services.
async fn load_client(
    engine: &Engine,
    admin: &Caller,
    index: usize,
    days: u64,
    today: chrono::NaiveDate,
) -> Result<usize, EngineError> {
    let (id, name, style) = identity(index);
    let (id, name, style) = (id.as_str(), name.as_str(), style.as_str());
    engine.create_client(admin, obj(json!({"client_id": id, "client_name": name, "client_type": "Piece Rate", "location": format!("Building {}", index + 1)}))).await?;
    // P1: both standards; P2: labour standard only; P3: none (history/default inference).
    let products = [
        (format!("{id}-P1"), Some(0.8), Some(0.08)),
        (format!("{id}-P2"), Some(0.85), None),
        (format!("{id}-P3"), None, None),
    ];
    for (pid, labour, line) in &products {
        engine
            .create_record(admin, &defs::PRODUCTS, obj(json!({"product_id": pid, "client_id": id, "style_model": style,
                "part_number": format!("{pid}-PN"), "standard_labor_hours_per_unit": labour, "ideal_cycle_time_line": line})))
            .await?;
    }
    let mut rng = Lcg(0x5eed + index as u64 * 7919);
    let start = today - Days::new(days);
    let mut entries = 0;
    let mut futures = Vec::new();
    let mut work_orders = Vec::new();
    for d in 0..days {
        let date = start + Days::new(d);
        if d % 10 == 0 {
            let wo = format!("{}-{}-{:03}", date.format("%Y-%m-%d"), style, d / 10);
            let product_index = (d / 10) as usize % 3;
            let product = &products[product_index].0;
            let quantity = 1000 + rng.range(0, 20) * 50;
            engine
                .create_record(admin, &defs::WORK_ORDERS, obj(json!({"work_order_id": wo, "client_id": id, "product_id": product,
                    "style_model": style, "planned_quantity": quantity, "planned_start_date": date.to_string(),
                    "actual_start_date": date.to_string(), "planned_ship_date": (date + Days::new(14)).to_string()})))
                .await?;
            work_orders.push((wo, date, product_index, quantity));
        }
        let wo = format!(
            "{}-{}-{:03}",
            (start + Days::new(d / 10 * 10)).format("%Y-%m-%d"),
            style,
            d / 10
        );
        let mut shifts = Vec::new();
        match date.weekday() {
            Weekday::Sun => {}
            Weekday::Sat => {
                if rng.chance(30) {
                    shifts.push("SAT_OT")
                }
            }
            _ => {
                shifts.push("SHIFT_1ST");
                // The first two of every five lines run a second shift.
                if index % CLIENTS.len() < 2 {
                    shifts.push("SHIFT_2ND");
                }
            }
        }
        for shift in shifts {
            let crew = if shift == "SHIFT_2ND" { 8 } else { 10 } as u64;
            let hours = if shift == "SAT_OT" { 8.0 } else { 9.0 };
            let downtime = if rng.chance(35) {
                Some(rng.range(10, 90))
            } else {
                None
            };
            let run = downtime.map_or(hours, |m| hours - m as f64 / 60.0);
            let units = rng.range(80, 125) * crew / 10;
            let body = json!({
                "client_id": id, "work_order_id": wo, "shift_date": date.to_string(), "shift_type": shift,
                "units_produced": units,
                "units_defective": if rng.chance(60) { Some(rng.range(0, 4)) } else { None },
                "employees_assigned": if rng.chance(88) { Some(crew) } else { None },
                "shift_hours_scheduled": if rng.chance(80) { Some(hours) } else { None },
                "run_time_hours": if rng.chance(85) { Some((run * 100.0).round() / 100.0) } else { None },
                "downtime_total_minutes": downtime,
            });
            let engine = engine.clone();
            let admin = admin.clone();
            futures.push(async move {
                engine
                    .create_record(&admin, &defs::PRODUCTION, obj(body))
                    .await
            });
            entries += 1;
        }
    }
    let mut created = stream::iter(futures).buffer_unordered(RECORDS_AT_ONCE);
    while let Some(r) = created.next().await {
        r?;
    }
    let plan = crate::demo_modules::ClientPlan {
        client: id,
        index,
        products: products.iter().map(|p| p.0.clone()).collect(),
        work_orders,
        start,
        days,
        today,
    };
    Ok(entries + crate::demo_modules::load(engine, admin, &plan).await?)
}

/// The default demo: 5 clients × 120 days.
pub async fn load(engine: &Engine, admin: &Caller) -> Result<usize, EngineError> {
    load_sized(engine, admin, DemoSize::default()).await
}

/// Loads `size.clients` clients × `size.days` days ending today; returns the record count.
pub async fn load_sized(
    engine: &Engine,
    admin: &Caller,
    size: DemoSize,
) -> Result<usize, EngineError> {
    let today = kpi_engine::domain::time::today_utc();
    crate::demo_modules::floaters(engine, admin).await?;
    let mut loads = stream::iter(0..size.clients)
        .map(|i| load_client(engine, admin, i, size.days, today))
        .buffer_unordered(CLIENTS_AT_ONCE);
    let mut rows = 0;
    while let Some(r) = loads.next().await {
        rows += r?;
    }
    crate::demo_modules::assign_floater(engine, admin, CLIENTS[0].0, today - Days::new(size.days))
        .await?;
    Ok(rows + 1)
}

pub async fn run(config: Config, size: DemoSize) -> anyhow::Result<()> {
    let secret = config.resolve_jwt_secret()?;
    let engine = Engine::start(engine_config(&config)).await?;
    let password = format!("demo-{}", crate::telemetry::new_id());
    let admin_user = engine
        .create_user_cli(obj(json!({"username": "admin", "password": password, "role": "ADMIN", "email": "admin@example.com", "full_name": "Demo Admin"})))
        .await
        .map_err(|e| anyhow::anyhow!("creating the demo admin: {e}"))?;
    let admin = Caller {
        user_id: admin_user.user_id.clone(),
        role: Role::Admin,
        scope: TenantScope::All,
    };
    let started = std::time::Instant::now();
    let entries = load_sized(&engine, &admin, size)
        .await
        .map_err(|e| anyhow::anyhow!("loading demo data: {e}"))?;
    let data_dir = config.data_dir.display().to_string();
    let app = Application::build_with_engine(config, engine, secret)?;
    println!("KPI Operations demo");
    println!(
        "  data dir: {data_dir}  ({} clients × {} days, {entries} records across every module, loaded in {:.1} s)",
        size.clients,
        size.days,
        started.elapsed().as_secs_f64()
    );
    println!("  URL:      http://127.0.0.1:{}/", app.port());
    println!("  API docs: http://127.0.0.1:{}/api/docs/", app.port());
    println!("  login:    admin / {password}");
    app.run_until_stopped().await?;
    Ok(())
}
