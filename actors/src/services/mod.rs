//! Business operations, as `impl Engine` blocks: each checks roles and tenant scope, then runs
//! its reads on the pool and its writes in one writer job (one transaction).
pub mod auth;
pub mod clients;
pub mod health;
pub mod kpis;
pub mod password;
pub mod records;
pub mod users;
