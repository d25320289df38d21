//! The inference chains of kpis.md §5.2 as data: for each chain key, its strategies by level.
//! A strategy keeps its level whatever the order (clarification), so (chain, level) names exactly
//! one strategy: the gatherers report levels and the explain view names the strategy from here.

/// (chain key, [(level, strategy, what it does)]), in built-in order.
pub type Chain = (&'static str, &'static [(u8, &'static str, &'static str)]);

pub const CHAINS: &[Chain] = &[
    (
        "shift_hours_scheduled",
        &[
            (1, "recorded", "recorded on the entry"),
            (
                2,
                "client_shift_standard",
                "the client's SHIFT standard_hours (remaining hours shared by the line-shift's blank entries)",
            ),
            (
                3,
                "system_shift_standard",
                "system shift standard (1ST/2ND/OTHER 9 h, SAT/SUN 8 h)",
            ),
        ],
    ),
    (
        "run_time_hours",
        &[
            (1, "recorded", "recorded on the entry"),
            (
                2,
                "shift_minus_downtime",
                "shift hours − recorded downtime ÷ 60",
            ),
            (3, "shift_hours", "shift hours (no downtime recorded)"),
            (4, "system_shift_standard", "system shift standard"),
            (5, "fixed", "9 hours"),
        ],
    ),
    (
        "employees_assigned",
        &[
            (1, "recorded", "recorded on the entry"),
            (
                2,
                "attendance_roster",
                "attendance rows of the line-shift, split over its entries lacking a value",
            ),
            (
                3,
                "client_standard_staffing",
                "the client's SHIFT standard_employees",
            ),
            (
                4,
                "history_avg",
                "mean recorded value, same client and shift type",
            ),
            (
                5,
                "shift_default",
                "system default (1ST/OTHER 10, 2ND 8, SAT/SUN 6)",
            ),
        ],
    ),
    (
        "labour_standard",
        &[
            (
                1,
                "standard",
                "work order ideal_cycle_time, else the product's standard_labor_hours_per_unit",
            ),
            (
                2,
                "from_line_standard",
                "product ideal_cycle_time_line × employees_assigned",
            ),
            (
                3,
                "history_avg",
                "Σ(run time × crew) ÷ Σ units, same client and style",
            ),
            (4, "client_default", "settings default_cycle_time_hours"),
        ],
    ),
    (
        "line_cycle_time",
        &[
            (1, "standard", "product ideal_cycle_time_line"),
            (
                2,
                "from_labour_standard",
                "labour standard ÷ employees_assigned",
            ),
            (
                3,
                "history_avg",
                "Σ run time ÷ Σ units, same client and style",
            ),
            (
                4,
                "client_default_per_person",
                "settings default_cycle_time_hours ÷ employees_assigned",
            ),
        ],
    ),
    (
        "downtime_minutes",
        &[
            (
                1,
                "recorded",
                "downtime_total_minutes, else the downtime rows of the work order's line-shift",
            ),
            (
                3,
                "shift_minus_run_time",
                "(shift hours − recorded run time) × 60",
            ),
            (4, "assume_zero", "no downtime recorded: 0"),
            (5, "assume_30", "30 minutes (off by default)"),
        ],
    ),
    (
        "employees_affected",
        &[
            (1, "recorded", "recorded on the downtime row"),
            (
                2,
                "whole_crew",
                "blank: the entry's crew (level of its employees_assigned)",
            ),
            (
                3,
                "whole_crew",
                "blank: the entry's crew (level of its employees_assigned)",
            ),
            (
                4,
                "whole_crew",
                "blank: the entry's crew (level of its employees_assigned)",
            ),
            (
                5,
                "whole_crew",
                "blank: the entry's crew (level of its employees_assigned)",
            ),
        ],
    ),
    (
        "production.units_defective",
        &[
            (1, "recorded", "recorded on the entry"),
            (
                2,
                "quality_entries",
                "Σ QUALITY units_defective, same work order, date and shift",
            ),
            (4, "assume_zero", "no QC data: 0"),
        ],
    ),
    (
        "scheduled_hours",
        &[
            (1, "recorded", "recorded on the attendance row"),
            (
                2,
                "production_shift_hours",
                "recorded shift hours of the line-shift's production (max)",
            ),
            (
                3,
                "client_shift_standard",
                "the client's SHIFT standard_hours",
            ),
            (5, "fixed", "9 hours"),
        ],
    ),
    (
        "absence_hours",
        &[
            (1, "recorded", "recorded on the attendance row"),
            (2, "scheduled_minus_actual", "scheduled − actual hours"),
            (3, "full_shift", "the scheduled hours"),
            (4, "fixed", "9 hours"),
            (5, "assume_present", "0"),
        ],
    ),
    (
        "coverage_duration_hours",
        &[
            (1, "recorded", "recorded on the coverage row"),
            (2, "absence_hours", "absence hours of the covered absence"),
            (
                3,
                "client_shift_standard",
                "the client's SHIFT standard_hours",
            ),
        ],
    ),
    (
        "opportunities_per_unit",
        &[
            (1, "part_master", "PART_OPPORTUNITIES of the client"),
            (
                2,
                "client_default",
                "settings default_opportunities_per_unit",
            ),
            (
                3,
                "prefix_average",
                "mean of the client's parts sharing the first 4 characters",
            ),
            (4, "one", "1 (DPMO equals PPM)"),
        ],
    ),
    (
        "units_passed",
        &[
            (1, "recorded", "recorded on the quality row"),
            (
                2,
                "inspected_minus_defective",
                "inspected − recorded defective",
            ),
            (4, "assume_all_passed", "all inspected units passed"),
        ],
    ),
    (
        "quality.units_defective",
        &[
            (1, "recorded", "recorded on the quality row"),
            (2, "inspected_minus_passed", "inspected − recorded passed"),
            (4, "assume_zero", "no QC data: 0"),
        ],
    ),
    (
        "total_defects_count",
        &[
            (1, "recorded", "recorded on the quality row"),
            (2, "defect_details", "count of DEFECT_DETAIL rows"),
            (3, "defective_units", "the resolved units_defective"),
            (
                4,
                "defective_x1_5",
                "defective units × 1.5 (off by default)",
            ),
        ],
    ),
    (
        "quantity_completed",
        &[
            (1, "recorded", "recorded on the job"),
            (2, "ordered_minus_scrapped", "quantity ordered − scrapped"),
            (4, "assume_ordered", "quantity ordered"),
        ],
    ),
    (
        "start_date",
        &[
            (1, "actual_start_date", "the work order's actual_start_date"),
            (
                2,
                "first_production_date",
                "first production entry of the work order",
            ),
            (
                3,
                "planned_start_date",
                "the work order's planned_start_date",
            ),
            (
                4,
                "receipt_plus_lead_time",
                "receipt_date + inference.lead_time_days",
            ),
            (5, "acknowledged_plus_2", "acknowledged date + 2 days"),
        ],
    ),
    (
        "promise_date",
        &[
            (1, "planned_ship_date", "the work order's planned_ship_date"),
            (2, "required_date", "the work order's required_date"),
            (
                3,
                "start_plus_line_time",
                "start + planned quantity × line cycle time ÷ SHIFT_1ST hours",
            ),
            (
                4,
                "start_plus_avg_lead_time",
                "start + mean lead time of the style's orders shipped in the 30 days before",
            ),
            (5, "start_plus_14", "start + 14 days"),
        ],
    ),
    (
        "actual_ship_date",
        &[
            (1, "recorded", "the work order's actual_ship_date"),
            (2, "final_ship_date", "the work order's final_ship_date"),
            (
                3,
                "last_production_plus_1",
                "last production date + 1 (COMPLETED only)",
            ),
        ],
    ),
    (
        "final_ship_date",
        &[
            (1, "recorded", "the work order's final_ship_date"),
            (2, "single_shipment", "the actual_ship_date"),
            (
                3,
                "last_production_plus_1",
                "last production date + 1 (COMPLETED only)",
            ),
        ],
    ),
    (
        "shipped_quantity",
        &[
            (1, "recorded", "the work order's shipped_quantity"),
            (
                2,
                "jobs_completed",
                "Σ JOB quantity_completed (COMPLETED only)",
            ),
            (
                3,
                "planned_quantity",
                "the planned quantity (COMPLETED only)",
            ),
            (4, "assume_incomplete", "0"),
        ],
    ),
    (
        "attendance",
        &[
            (1, "recorded", "attendance rows recorded"),
            (
                4,
                "no_attendance_default",
                "no attendance in a period with production: absenteeism 0 %",
            ),
        ],
    ),
];

/// The strategies that stay off until a client names them in `settings.inference.chains`
/// (kpis.md §5.2). Each follows a strategy that always answers (`assume_zero`,
/// `defective_units`), so switching one on makes it answer in that strategy's place, at its own
/// level (docs/decisions.md).
pub const OFF_BY_DEFAULT: [(&str, &str); 2] = [
    ("downtime_minutes", "assume_30"),
    ("total_defects_count", "defective_x1_5"),
];

/// Whether the settings document switches `strategy` of `chain` on (named in its list).
pub fn switched_on(settings: &serde_json::Value, chain: &str, strategy: &str) -> bool {
    settings["inference"]["chains"][chain]
        .as_array()
        .is_some_and(|list| list.iter().any(|s| s.as_str() == Some(strategy)))
}

/// The strategy at `level` of a chain (a field outside the table, such as units_produced or
/// units_inspected, is always recorded).
pub fn strategy(chain: &str, level: u8) -> (&'static str, &'static str) {
    CHAINS
        .iter()
        .find(|(key, _)| *key == chain)
        .and_then(|(_, steps)| steps.iter().find(|(l, _, _)| *l == level))
        .map_or(("recorded", "recorded on the row"), |(_, s, d)| (s, d))
}

/// The chain key of a provenance field: the two units_defective chains differ by table.
pub fn chain_key(field: &str, kpi: &str) -> &'static str {
    if field == "units_defective" {
        return if matches!(kpi, "quality_rate" | "oee") {
            "production.units_defective"
        } else {
            "quality.units_defective"
        };
    }
    CHAINS
        .iter()
        .find(|(key, _)| *key == field)
        .map_or("", |(key, _)| key)
}

/// Problems of `settings.inference.chains` ({chain key: [strategy, …]}, kpis.md §5.2): an
/// unknown chain key or a strategy that is not in that chain → (path suffix, message). The
/// built-in order is kept whatever the list's order and built-in strategies cannot be switched
/// off (clarification), so naming them is allowed and changes nothing; naming an
/// `OFF_BY_DEFAULT` strategy switches it on.
pub fn check_setting(chains: &serde_json::Value) -> Vec<(String, String)> {
    let Some(map) = chains.as_object() else {
        return vec![(
            "chains".into(),
            "must be a map of chain key → list of strategies".into(),
        )];
    };
    let mut errors = Vec::new();
    for (key, list) in map {
        let path = format!("chains.{key}");
        let Some((_, steps)) = CHAINS.iter().find(|(k, _)| k == key) else {
            let keys: Vec<&str> = CHAINS.iter().map(|(k, _)| *k).collect();
            errors.push((path, format!("unknown chain; one of: {}", keys.join(", "))));
            continue;
        };
        let Some(items) = list.as_array() else {
            errors.push((path, "must be a list of strategy names".into()));
            continue;
        };
        for item in items {
            let name = item.as_str().unwrap_or_default();
            if !steps.iter().any(|(_, s, _)| *s == name) {
                let names: Vec<&str> = steps.iter().map(|(_, s, _)| *s).collect();
                errors.push((
                    path.clone(),
                    format!("unknown strategy {item}; one of: {}", names.join(", ")),
                ));
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_settings_name_known_keys_and_strategies() {
        let ok = serde_json::json!({"employees_assigned": ["recorded", "client_standard_staffing"],
            "downtime_minutes": ["assume_30"]});
        assert!(check_setting(&ok).is_empty());
        let bad = serde_json::json!({"employees_assigned": ["recorded", "guess"], "colour": []});
        let errors = check_setting(&bad);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|(p, m)| p == "chains.employees_assigned" && m.contains("guess"))
        );
        assert!(errors.iter().any(|(p, _)| p == "chains.colour"));
        assert_eq!(check_setting(&serde_json::json!([])).len(), 1);
    }

    #[test]
    fn naming_an_off_by_default_strategy_switches_it_on() {
        let doc = serde_json::json!({"inference": {"chains": {
            "downtime_minutes": ["recorded", "assume_30"], "total_defects_count": ["recorded"]}}});
        assert!(switched_on(&doc, "downtime_minutes", "assume_30"));
        assert!(!switched_on(&doc, "total_defects_count", "defective_x1_5"));
        assert!(!switched_on(
            &serde_json::json!({}),
            "downtime_minutes",
            "assume_30"
        ));
        for (chain, strategy) in OFF_BY_DEFAULT {
            let steps = CHAINS.iter().find(|(k, _)| *k == chain).unwrap().1;
            let at = steps.iter().position(|s| s.1 == strategy).unwrap();
            assert!(
                at > 0,
                "{chain}.{strategy} follows a strategy that always answers"
            );
        }
    }

    #[test]
    fn a_level_names_one_strategy() {
        assert_eq!(
            strategy("employees_assigned", 3).0,
            "client_standard_staffing"
        );
        assert_eq!(strategy("labour_standard", 3).0, "history_avg");
        assert_eq!(strategy("production.units_defective", 4).0, "assume_zero");
        assert_eq!(strategy("units_produced", 1).0, "recorded");
        for (key, steps) in CHAINS {
            let mut levels: Vec<u8> = steps.iter().map(|s| s.0).collect();
            levels.dedup();
            assert_eq!(levels.len(), steps.len(), "{key}: one strategy per level");
            assert!(
                levels.windows(2).all(|w| w[0] < w[1]),
                "{key}: built-in order"
            );
        }
    }

    #[test]
    fn units_defective_chain_depends_on_the_table() {
        assert_eq!(
            chain_key("units_defective", "quality_rate"),
            "production.units_defective"
        );
        assert_eq!(
            chain_key("units_defective", "ppm"),
            "quality.units_defective"
        );
        assert_eq!(
            chain_key("employees_assigned", "efficiency"),
            "employees_assigned"
        );
    }
}
