//! "Why did it change", first version (operations.md §7 and the clarification): the report day
//! against the previous day with data — KPI deltas (≥ 1 point for percentages, ≥ 10 % relative
//! for ppm, dpmo, days and hours), status changes, the largest change in downtime by reason, and
//! the late orders of the day. Plain sentences; a pure function of numbers already computed.
use super::{label, number, status_label};
use crate::kpi::result::KpiResult;
use chrono::NaiveDate;

/// What the comparison needs, gathered by `services::reports`.
#[derive(Debug, Clone, Default)]
pub struct WhyInputs {
    /// The previous day with data and its KPIs (None: no earlier day in the trend range).
    pub previous: Option<(NaiveDate, Vec<(String, KpiResult)>)>,
    /// (downtime reason, hours on the report day, hours on the previous day).
    pub downtime: Vec<(String, f64, f64)>,
    /// Work orders the report day's OTD counts as late.
    pub late_orders: Vec<String>,
}

/// Whether a move from `before` to `after` is worth a sentence.
fn notable(unit: &str, before: f64, after: f64) -> bool {
    if unit == "%" {
        return (after - before).abs() >= 1.0 - 1e-9;
    }
    if before == 0.0 {
        return after != 0.0;
    }
    ((after - before) / before).abs() >= 0.1 - 1e-9
}

fn moved(unit: &str, before: f64, after: f64) -> String {
    let verb = if after > before { "rose" } else { "fell" };
    let delta = (after - before).abs();
    let unit_text = if unit == "%" {
        "%".to_owned()
    } else {
        format!(" {unit}")
    };
    let by = if unit == "%" {
        format!("{} points", number(delta))
    } else {
        format!("{}{unit_text}", number(delta))
    };
    format!(
        "{verb} {by} ({}{unit_text} → {}{unit_text})",
        number(before),
        number(after)
    )
}

/// The sentences, in KPI order, then downtime, then late orders.
pub fn sentences(today: &[(String, KpiResult)], why: &WhyInputs) -> Vec<String> {
    let Some((prev_day, previous)) = &why.previous else {
        return vec!["No earlier day with data in the last 30 days to compare with.".into()];
    };
    let mut out = Vec::new();
    for (name, k) in today {
        let Some((_, p)) = previous.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let status_changed = k.status != p.status && k.value.is_some() && p.value.is_some();
        let mut parts = Vec::new();
        if let (Some(before), Some(after)) = (p.value, k.value)
            && notable(k.unit, before, after)
        {
            parts.push(moved(k.unit, before, after));
        }
        if status_changed {
            parts.push(format!(
                "now {} (was {})",
                status_label(k.status),
                status_label(p.status)
            ));
        }
        if !parts.is_empty() {
            out.push(format!("{} {}.", label(name), parts.join(", ")));
        }
    }
    if out.is_empty() {
        out.push(format!(
            "No KPI moved by 1 point (10 % for counts, days and hours) or changed status since {prev_day}."
        ));
    } else {
        out.insert(0, format!("Compared with {prev_day}:"));
    }
    if let Some((reason, now, before)) = why
        .downtime
        .iter()
        .filter(|(_, now, before)| (now - before).abs() > 1e-9)
        .max_by(|a, b| (a.1 - a.2).abs().total_cmp(&(b.1 - b.2).abs()))
    {
        let sign = if now > before { "+" } else { "−" };
        out.push(format!(
            "Largest downtime change: {reason} {sign}{} h ({} h → {} h).",
            number((now - before).abs()),
            number(*before),
            number(*now)
        ));
    }
    if !why.late_orders.is_empty() {
        out.push(format!(
            "Late orders shipped this day: {}.",
            why.late_orders.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(value: Option<f64>, unit: &'static str, status: &'static str) -> KpiResult {
        KpiResult {
            value,
            display_value: value,
            unit,
            target: None,
            status,
            estimated: false,
            confidence: 1.0,
            inference_level_max: 1,
            inferred_fields: vec![],
            flag_for_review: false,
            warnings: vec![],
            formula_version: Some(1),
            details: Default::default(),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 12, d).unwrap()
    }

    #[test]
    fn mentions_moves_over_the_thresholds_and_status_changes() {
        let today = vec![
            ("efficiency".to_owned(), kpi(Some(88.3), "%", "on_target")),
            ("performance".to_owned(), kpi(Some(90.5), "%", "on_target")),
            ("ppm".to_owned(), kpi(Some(1200.0), "ppm", "off_target")),
            ("dpmo".to_owned(), kpi(Some(1050.0), "dpmo", "no_target")),
            ("fpy".to_owned(), kpi(None, "%", "no_data")),
        ];
        let previous = vec![
            ("efficiency".to_owned(), kpi(Some(85.1), "%", "at_risk")),
            // 0.6 points: below the 1-point threshold, same status → not mentioned.
            ("performance".to_owned(), kpi(Some(89.9), "%", "on_target")),
            // +20 % relative → mentioned.
            ("ppm".to_owned(), kpi(Some(1000.0), "ppm", "off_target")),
            // +5 % relative → not mentioned.
            ("dpmo".to_owned(), kpi(Some(1000.0), "dpmo", "no_target")),
            ("fpy".to_owned(), kpi(Some(97.0), "%", "on_target")),
        ];
        let why = WhyInputs {
            previous: Some((day(14), previous)),
            downtime: vec![
                ("EQUIPMENT_FAILURE".into(), 3.0, 0.5),
                ("CHANGEOVER_SETUP".into(), 1.0, 2.0),
            ],
            late_orders: vec!["WO-7".into(), "WO-9".into()],
        };
        assert_eq!(
            sentences(&today, &why),
            [
                "Compared with 2025-12-14:",
                "Efficiency rose 3.2 points (85.1% → 88.3%), now on target (was at risk).",
                "PPM rose 200 ppm (1000 ppm → 1200 ppm).",
                "Largest downtime change: EQUIPMENT_FAILURE +2.5 h (0.5 h → 3 h).",
                "Late orders shipped this day: WO-7, WO-9.",
            ]
        );
    }

    #[test]
    fn says_so_when_nothing_moved_or_there_is_nothing_to_compare() {
        let today = vec![("efficiency".to_owned(), kpi(Some(85.5), "%", "at_risk"))];
        let why = WhyInputs {
            previous: Some((
                day(14),
                vec![("efficiency".to_owned(), kpi(Some(85.1), "%", "at_risk"))],
            )),
            ..WhyInputs::default()
        };
        assert_eq!(sentences(&today, &why).len(), 1);
        assert!(sentences(&today, &why)[0].starts_with("No KPI moved"));
        let none = sentences(&today, &WhyInputs::default());
        assert!(none[0].starts_with("No earlier day"), "{none:?}");
    }

    #[test]
    fn thresholds_are_points_for_percentages_and_relative_otherwise() {
        assert!(notable("%", 50.0, 51.0));
        assert!(!notable("%", 50.0, 50.99));
        assert!(notable("days", 10.0, 11.0));
        assert!(!notable("days", 10.0, 10.9));
        assert!(notable("hours", 0.0, 0.5));
        assert!(!notable("ppm", 0.0, 0.0));
    }
}
