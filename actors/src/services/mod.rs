//! Business operations, as `impl Engine` blocks: each checks roles and tenant scope, then runs
//! its reads on the pool and its writes in one writer job (one transaction).
pub mod audit;
pub mod auth;
pub mod backups;
pub mod client_day;
pub mod clients;
pub mod exports;
pub mod gauges;
pub mod health;
pub mod ingest;
pub mod ingest_metrics;
pub mod kpi_explain;
pub mod kpi_views;
pub mod kpis;
pub mod lifecycle;
pub mod losses;
pub mod mail;
pub mod password;
pub mod record_permits;
pub mod records;
pub mod reports;
pub mod scripts;
pub mod shift_closes;
pub(crate) mod shift_lock;
pub mod users;
pub mod watchdog;
