//! What the explain view says about an inferred input of a production entry: the row, the
//! value and, for a person, where the value came from.
use super::rows::Entry;
use crate::kpi::chains;
use crate::kpi::provenance::Note;
use serde_json::Value;

/// A note for `field` of entry `e` resolved at `level` to `value` (`chain` = chain key).
pub fn entry(client: &str, e: &Entry, chain: &str, level: u8, value: f64) -> Note {
    let line_shift = format!("{}/{}", e.date, e.shift);
    let style = e.style.as_deref().unwrap_or("(no style)");
    let source = match (chain, level) {
        ("shift_hours_scheduled", 2) | ("employees_assigned", 3) => {
            format!("SHIFT {client}.{}", e.shift)
        }
        ("employees_assigned", 2) => format!("ATTENDANCE roster {line_shift}"),
        ("employees_assigned", 4) => format!("history: recorded {} entries of {client}", e.shift),
        ("labour_standard" | "line_cycle_time", 3) => {
            format!("history: recorded entries of {client}, style {style}")
        }
        ("labour_standard", 2) => format!("PRODUCT ideal_cycle_time_line of work order {}", e.wo),
        ("labour_standard" | "line_cycle_time", 4) => {
            format!("settings {client}.default_cycle_time_hours")
        }
        ("production.units_defective", 2) => format!("QUALITY {} {line_shift}", e.wo),
        ("downtime_minutes", 3) => format!(
            "shift hours − recorded run time of {} {line_shift} (no downtime recorded)",
            e.wo
        ),
        ("downtime_minutes", 4) => format!("no downtime recorded for {} {line_shift}", e.wo),
        ("downtime_minutes", 5) => format!(
            "no downtime recorded for {} {line_shift}: 30 minutes (assume_30 switched on)",
            e.wo
        ),
        _ => chains::strategy(chain, level).1.to_owned(),
    };
    Note {
        record: format!("production/{}", e.id),
        value: json_number(value),
        source,
    }
}

/// A line-shift term without an entry (a downtime row's line-shift with no production).
pub fn line_shift(client: &str, date: &str, shift: &str, chain: &str, value: f64) -> Note {
    Note {
        record: format!("line-shift/{date}/{shift}"),
        value: json_number(value),
        source: match chain {
            "employees_affected" => {
                format!("blank employees_affected: SHIFT {client}.{shift} crew")
            }
            _ => format!("SHIFT {client}.{shift} (no production entry)"),
        },
    }
}

fn json_number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}
