//! API tests: one binary, each test starts the real server on a free loopback port with a
//! fresh SQLite file (`helpers::spawn_app`). Nothing of ours is mocked.
mod audit_exports;
mod auth;
mod cli;
mod crash;
mod demo;
mod errors;
mod helpers;
mod ingest;
mod isolation;
mod kpis;
mod kpis_all;
mod mail;
mod reports;
mod resources;
mod resources_all;
mod scripts;
