//! The result object of kpis.md §1: value, status against the target, confidence and the
//! inference summary. Values are computed unrounded and rounded half-up only here, at the edge.
use super::cases::round_half_up;
use super::provenance::{self, Note, Noted, PairLog};
use super::{lower_is_better, unit};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiWarning {
    pub code: String,
    pub priority: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl KpiWarning {
    pub fn new(code: &str, priority: &str, message: impl Into<String>) -> Self {
        KpiWarning {
            code: code.into(),
            priority: priority.into(),
            message: message.into(),
            count: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct KpiResult {
    pub value: Option<f64>,
    pub display_value: Option<f64>,
    pub unit: &'static str,
    pub target: Option<f64>,
    pub status: &'static str,
    pub estimated: bool,
    pub confidence: f64,
    pub inference_level_max: u8,
    pub inferred_fields: Vec<String>,
    pub flag_for_review: bool,
    pub warnings: Vec<KpiWarning>,
    pub formula_version: Option<i64>,
    pub details: Map<String, Value>,
}

/// Every (row, input) pair that fed a value, with its inference level (1 = recorded).
#[derive(Debug, Default, Clone)]
pub struct Provenance {
    pub score_sum: f64,
    pub pairs: u64,
    pub level_max: u8,
    pub inferred: BTreeSet<String>,
    /// Which pairs, for the explain view: only filled inside `provenance::recording`.
    pub detail: Option<Box<PairLog>>,
}

/// Level → score (kpis.md §5.1).
pub fn level_score(level: u8) -> f64 {
    match level {
        1 => 1.0,
        2 => 0.9,
        3 => 0.7,
        4 => 0.5,
        _ => 0.3,
    }
}

impl Provenance {
    pub fn add(&mut self, field: &str, level: u8) {
        self.score_sum += level_score(level);
        self.pairs += 1;
        self.level_max = self.level_max.max(level);
        if level > 1 {
            self.inferred.insert(field.to_owned());
        }
        if provenance::is_recording() {
            self.detail
                .get_or_insert_with(Default::default)
                .count(field, level);
        }
    }

    /// `add`, and while recording the row behind an inferred pair (`note` runs only then).
    pub fn add_noted(&mut self, field: &str, level: u8, note: impl FnOnce() -> Note) {
        self.add(field, level);
        if level > 1
            && let Some(log) = self.detail.as_mut()
        {
            let n = note();
            log.push(Noted {
                record: n.record,
                field: field.to_owned(),
                value: n.value,
                level,
                source: n.source,
            });
        }
    }

    /// Mean of the pair scores; 1.0 when nothing contributed.
    pub fn confidence(&self) -> f64 {
        if self.pairs == 0 {
            1.0
        } else {
            self.score_sum / self.pairs as f64
        }
    }
}

/// Status rule of kpis.md §1, compared unrounded.
pub fn status(kpi: &str, value: Option<f64>, target: Option<f64>) -> &'static str {
    let Some(v) = value else { return "no_data" };
    let Some(t) = target else { return "no_target" };
    if lower_is_better(kpi) {
        if v <= t {
            "on_target"
        } else if v <= 1.05 * t {
            "at_risk"
        } else {
            "off_target"
        }
    } else if v >= t {
        "on_target"
    } else if v >= 0.95 * t {
        "at_risk"
    } else {
        "off_target"
    }
}

pub struct Assemble<'a> {
    pub kpi: &'a str,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub display_cap: Option<f64>,
    pub provenance: &'a Provenance,
    pub warnings: Vec<KpiWarning>,
    pub script_warned: bool,
    pub formula_version: Option<i64>,
    pub details: Map<String, Value>,
}

pub fn assemble(a: Assemble) -> KpiResult {
    let confidence = a.provenance.confidence();
    let mut warnings = a.warnings;
    if confidence < 0.70 {
        warnings.push(KpiWarning::new(
            "low_confidence_estimate",
            "normal",
            "Consider updating product standards or collecting more historical data",
        ));
    }
    let rounded = a.value.map(|v| round_half_up(v, 2));
    KpiResult {
        value: rounded,
        display_value: rounded.map(|v| a.display_cap.map_or(v, |cap| v.min(cap))),
        unit: unit(a.kpi),
        target: a.target,
        status: status(a.kpi, a.value, a.target),
        estimated: a.provenance.level_max > 1,
        confidence: round_half_up(confidence, 2),
        inference_level_max: a.provenance.level_max.max(1),
        inferred_fields: a.provenance.inferred.iter().cloned().collect(),
        flag_for_review: confidence < 0.70 || a.script_warned,
        warnings,
        formula_version: a.formula_version,
        details: a.details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_rule_both_directions() {
        assert_eq!(status("efficiency", Some(90.0), Some(90.0)), "on_target");
        assert_eq!(status("efficiency", Some(85.5), Some(90.0)), "at_risk");
        assert_eq!(status("efficiency", Some(85.49), Some(90.0)), "off_target");
        assert_eq!(status("ppm", Some(1000.0), Some(1000.0)), "on_target");
        assert_eq!(status("ppm", Some(1050.0), Some(1000.0)), "at_risk");
        assert_eq!(status("ppm", Some(1050.1), Some(1000.0)), "off_target");
        assert_eq!(status("ppm", None, Some(1000.0)), "no_data");
        assert_eq!(status("dpmo", Some(5.0), None), "no_target");
    }

    #[test]
    fn spec_confidence_example() {
        // units L1, labour standard from history L3, employees L1, shift hours system standard L3 -> 0.85
        let mut p = Provenance::default();
        for (f, l) in [
            ("units_produced", 1),
            ("labour_standard", 3),
            ("employees_assigned", 1),
            ("shift_hours_scheduled", 3),
        ] {
            p.add(f, l);
        }
        assert!((p.confidence() - 0.85).abs() < 1e-12);
        assert_eq!(p.level_max, 3);
        assert_eq!(
            p.inferred.iter().cloned().collect::<Vec<_>>(),
            vec!["labour_standard", "shift_hours_scheduled"]
        );
    }
}
