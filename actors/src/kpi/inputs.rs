//! Types shared by every KPI input gatherer: the window, the filters, the inference settings,
//! and what a gatherer hands to the script (aggregated input map + provenance + warnings).
use super::result::{KpiWarning, Provenance};
use super::script::ScriptValue;
use chrono::NaiveDate;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The client's today (its time zone) when the window was resolved: the WIP as-of date is
    /// min(to, today).
    pub today: NaiveDate,
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub shift: Option<String>,
    pub work_order_id: Option<String>,
    pub product_id: Option<String>,
}

/// Settings the chains read (domain.md §6).
#[derive(Debug, Clone)]
pub struct InferenceSettings {
    pub default_cycle_time_hours: f64,
    pub history_days: u64,
    pub min_history_points: usize,
}

impl InferenceSettings {
    pub fn from_settings(s: &serde_json::Value) -> Self {
        InferenceSettings {
            default_cycle_time_hours: s["default_cycle_time_hours"]
                .as_f64()
                .filter(|x| *x > 0.0)
                .unwrap_or(0.25),
            history_days: s["inference"]["history_days"].as_u64().unwrap_or(30),
            min_history_points: s["inference"]["min_history_points"].as_u64().unwrap_or(3) as usize,
        }
    }
}

/// Aggregated script inputs, their provenance and the engine's warnings.
#[derive(Debug, Default)]
pub struct KpiInputs {
    pub input: BTreeMap<String, ScriptValue>,
    pub provenance: Provenance,
    pub warnings: Vec<KpiWarning>,
}

impl KpiInputs {
    pub fn float(&mut self, key: &str, v: f64) {
        self.input.insert(key.into(), ScriptValue::Float(v));
    }
    pub fn int(&mut self, key: &str, v: i64) {
        self.input.insert(key.into(), ScriptValue::Int(v));
    }
    /// An engine warning counted over rows (only added when count > 0).
    pub fn warn_count(&mut self, code: &str, count: u64, message: &str) {
        if count > 0 {
            self.warnings.push(KpiWarning {
                count: Some(count),
                ..KpiWarning::new(code, "normal", message)
            });
        }
    }
}
