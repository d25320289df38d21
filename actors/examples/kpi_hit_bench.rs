//! KPI cache hit cost, in process: one client's 30-day KPIs computed once, then the same
//! request again `n` times in a row and from 16 concurrent tasks. No data is needed: only the
//! cache path is measured (a hit never reads a row).
//!
//! `cargo run --release -p kpi-engine --example kpi_hit_bench [n=20000]`
use chrono::{Days, Utc};
use kpi_engine::domain::Caller;
use kpi_engine::kpi::inputs::{Filters, Window};
use kpi_engine::{Engine, EngineConfig};
use serde_json::json;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bench.db");
    actix::System::new().block_on(async move {
        let config = EngineConfig {
            kpi_scripts_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/../kpi-scripts").into(),
            ..EngineConfig::new(db)
        };
        let engine = Engine::start(config).await.expect("engine starts");
        let body = json!({"client_id": "HIT-1", "client_name": "Hit", "timezone": "UTC"});
        engine
            .create_client(&Caller::system(), body.as_object().unwrap().clone())
            .await
            .expect("client");
        let to = Utc::now().date_naive();
        let window = Window {
            from: to - Days::new(29),
            to,
            today: to,
        };
        get(&engine, window).await; // computes and caches
        for round in 1..=3 {
            let started = Instant::now();
            for _ in 0..n {
                get(&engine, window).await;
            }
            let seq = started.elapsed();
            let started = Instant::now();
            let tasks: Vec<_> = (0..16)
                .map(|_| {
                    let engine = engine.clone();
                    actix::spawn(async move {
                        for _ in 0..n / 16 {
                            get(&engine, window).await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
            let conc = started.elapsed();
            println!(
                "round {round}: sequential {:.2} µs/hit; 16 tasks {:.0} hits/s",
                seq.as_secs_f64() * 1e6 / n as f64,
                (n / 16 * 16) as f64 / conc.as_secs_f64()
            );
        }
    });
}

async fn get(engine: &Engine, window: Window) {
    engine
        .client_kpis(
            &Caller::system(),
            "HIT-1".into(),
            window,
            Filters::default(),
        )
        .await
        .expect("kpis");
}
