//! KPI computation benchmark: N clients × D days of production (two shifts a day, every third
//! entry without employees_assigned so the inference chains run), then every client's KPIs over
//! the whole period cold (first computation) and cached (same request again).
//!
//! `cargo run --release -p kpi-engine --example kpi_bench [clients=50] [days=365]`
//! (`bench/kpis.sh` runs it and prints the table of docs/performance.md).
use chrono::{Days, Utc};
use kpi_engine::domain::Caller;
use kpi_engine::kpi::inputs::{Filters, Window};
use kpi_engine::{Engine, EngineConfig};
use serde_json::json;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let days: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(365);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");
    actix::System::new().block_on(async move {
        let config = EngineConfig {
            kpi_scripts_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/../kpi-scripts").into(),
            default_client_limit: 10_000,
            ..EngineConfig::new(db.clone())
        };
        let engine = Engine::start(config).await.expect("engine starts");
        let ids: Vec<String> = (0..clients).map(|i| format!("BENCH-{i:03}")).collect();
        for id in &ids {
            let body = json!({"client_id": id, "client_name": id, "timezone": "UTC"});
            engine
                .create_client(&Caller::system(), body.as_object().unwrap().clone())
                .await
                .expect("client");
        }
        let to = Utc::now().date_naive() - Days::new(1);
        let from = to - Days::new(days - 1);
        let started = Instant::now();
        let rows = load_rows(&db, &ids, from, days);
        println!(
            "data: {clients} clients × {days} days = {rows} production entries ({:.1} s to load)",
            started.elapsed().as_secs_f64()
        );
        let window = Window {
            from,
            to,
            today: to + Days::new(1),
        };
        for run in ["cold", "cached"] {
            let mut times = Vec::with_capacity(ids.len());
            let all = Instant::now();
            for id in &ids {
                let t = Instant::now();
                let r = engine
                    .client_kpis(&Caller::system(), id.clone(), window, Filters::default())
                    .await
                    .expect("kpis");
                assert!(r.kpis["efficiency"].value.is_some(), "data was computed");
                times.push(t.elapsed());
            }
            report(run, all.elapsed(), &mut times);
        }
    });
}

/// Rows written with one side connection in one transaction (the engine's writer would take
/// minutes for 36 500 single creates; the KPI read path is what is measured).
fn load_rows(db: &std::path::Path, ids: &[String], from: chrono::NaiveDate, days: u64) -> usize {
    let mut conn = rusqlite::Connection::open(db).expect("side connection");
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    let tx = conn.transaction().unwrap();
    let mut n = 0;
    for id in ids {
        let product = format!("{id}-P");
        tx.execute(
            "INSERT INTO products (product_id, client_id, style_model, standard_labor_hours_per_unit, ideal_cycle_time_line) VALUES (?1, ?2, 'ROPER', 0.25, 0.03)",
            (&product, id),
        )
        .unwrap();
        let wo = format!("{id}-WO");
        tx.execute(
            "INSERT INTO work_orders (work_order_id, client_id, product_id, style_model, planned_quantity) VALUES (?1, ?2, ?3, 'ROPER', 1000000)",
            (&wo, id, &product),
        )
        .unwrap();
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO production_entries (production_entry_id, work_order_id, client_id, shift_date, shift_type, units_produced, units_defective, \
                 run_time_hours, employees_assigned, shift_hours_scheduled, entry_method) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 9, 'SYSTEM_IMPORT')",
            )
            .unwrap();
        for d in 0..days {
            let date = (from + Days::new(d)).to_string();
            for shift in ["SHIFT_1ST", "SHIFT_2ND"] {
                n += 1;
                let employees = (n % 3 != 0).then_some(10);
                insert
                    .execute((
                        format!("{id}-{n}"),
                        &wo,
                        id,
                        &date,
                        shift,
                        250 + (n % 40) as i64,
                        (n % 5) as i64,
                        8.0 - (n % 4) as f64 * 0.25,
                        employees,
                    ))
                    .unwrap();
            }
        }
    }
    tx.commit().unwrap();
    n
}

fn report(run: &str, total: Duration, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| ms(times[((times.len() as f64 - 1.0) * q).round() as usize]);
    println!(
        "{run:>6}: {} clients in {:.0} ms; per client p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        times.len(),
        ms(total),
        p(0.5),
        p(0.95),
        ms(*times.last().unwrap())
    );
}
