//! Types shared by every KPI input gatherer: the window, the filters, the inference settings,
//! and what a gatherer hands to the script (aggregated input map + provenance + warnings).
use super::chains;
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

/// Settings the chains read (domain.md §6, kpis.md §5.2), from one settings version.
#[derive(Debug, Clone)]
pub struct InferenceSettings {
    pub default_cycle_time_hours: f64,
    pub default_opportunities_per_unit: Option<f64>,
    pub history_days: u64,
    pub min_history_points: usize,
    pub lead_time_days: u64,
    /// `downtime_minutes: assume_30` switched on (answers instead of `assume_zero`).
    pub downtime_assume_30: bool,
    /// `total_defects_count: defective_x1_5` switched on (answers instead of `defective_units`).
    pub defects_x1_5: bool,
    pub excluded_absence_types: Vec<String>,
}

impl InferenceSettings {
    pub fn from_settings(s: &serde_json::Value) -> Self {
        let inference = &s["inference"];
        InferenceSettings {
            default_cycle_time_hours: s["default_cycle_time_hours"]
                .as_f64()
                .filter(|x| *x > 0.0)
                .unwrap_or(0.25),
            default_opportunities_per_unit: s["default_opportunities_per_unit"]
                .as_f64()
                .filter(|x| *x > 0.0),
            history_days: inference["history_days"].as_u64().unwrap_or(30),
            min_history_points: inference["min_history_points"].as_u64().unwrap_or(3) as usize,
            lead_time_days: inference["lead_time_days"].as_u64().unwrap_or(5),
            downtime_assume_30: chains::switched_on(s, "downtime_minutes", "assume_30"),
            defects_x1_5: chains::switched_on(s, "total_defects_count", "defective_x1_5"),
            excluded_absence_types: s["excluded_absence_types"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
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
