//! KPI engine: Rust gathers rows and infers missing inputs (`production_inputs`), Rhai
//! scripts combine the sums (`script`, run by the `actor`), and `result` owns status,
//! confidence and rounding.
pub mod actor;
pub mod as_of;
pub mod attendance;
pub mod cases;
pub mod chains;
pub mod check;
pub mod inputs;
pub mod orders;
pub mod production;
pub mod provenance;
pub mod quality;
pub mod result;
pub mod script;
pub mod scripts;

pub const KPI_NAMES: [&str; 15] = [
    "wip_aging",
    "otd",
    "true_otd",
    "efficiency",
    "performance",
    "availability",
    "quality_rate",
    "oee",
    "ppm",
    "dpmo",
    "fpy",
    "rty",
    "rty_stages",
    "absenteeism",
    "production_hours",
];

/// Input keys that are FLOAT for a KPI (a case literal `90` becomes `90.0`, at any depth), kpis.md §6.2:
/// hours, days, values and fractions are FLOAT; counts (units, entries, rows, jobs, defects,
/// opportunities) are INT. `by_operation` of production_hours is a map keyed by operation id, so its
/// hour values cannot be named here: cases write them as FLOAT literals.
pub fn float_keys(kpi: &str) -> &'static [&'static str] {
    match kpi {
        "wip_aging" => &["gross_days", "hold_days"],
        "otd" | "true_otd" => &["days_late", "final_days_late"],
        "efficiency" => &[
            "standard_hours_produced",
            "entry_person_hours",
            "idle_floater_hours",
            "uncovered_absence_hours",
        ],
        "performance" => &["ideal_run_hours", "run_time_hours"],
        "availability" => &["planned_person_hours", "lost_person_hours"],
        "quality_rate" => &[],
        "oee" => &["availability", "performance", "quality_rate"],
        "ppm" => &[],
        "dpmo" => &[],
        "fpy" => &[],
        "rty" => &[],
        "rty_stages" => &[],
        "absenteeism" => &["absence_hours", "scheduled_hours"],
        "production_hours" => &["run_time_hours"],
        _ => &[],
    }
}

/// Unit and direction of each KPI (kpis.md §3).
pub fn unit(kpi: &str) -> &'static str {
    match kpi {
        "wip_aging" => "days",
        "ppm" => "ppm",
        "dpmo" => "dpmo",
        "production_hours" => "hours",
        _ => "%",
    }
}

pub fn lower_is_better(kpi: &str) -> bool {
    matches!(kpi, "wip_aging" | "ppm" | "dpmo" | "absenteeism")
}
