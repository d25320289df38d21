//! API tests: one binary, each test starts the real server on a free loopback port with a
//! fresh SQLite file (`helpers::spawn_app`). Nothing of ours is mocked.
mod audit_exports;
mod auth;
mod backups;
mod cli;
mod crash;
mod demo;
mod errors;
mod helpers;
mod ingest;
mod isolation;
mod kpi_chain_settings;
mod kpi_explain;
mod kpi_timezones;
mod kpis;
mod kpis_all;
mod mail;
mod metrics_data;
mod reports;
mod resources;
mod resources_all;
mod scripts;
mod shift_closes;
mod standards_versioning;
mod tenant_state;
mod validate;
mod web;
