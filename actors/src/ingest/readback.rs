//! The read-back of a preview (ingest.md §7): title, one line per valid row, totals, and the
//! summary of every numeric column. Generic over the declaration; the wording of the known
//! resources follows the spec, any other resource falls back to `<key>: <name>`.
use crate::resources::{Kind, Req, Resource};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Lines listed in the read-back; the rest are summarised in one line (the rows are paged).
pub const MAX_LINES: usize = 200;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Readback {
    pub title: String,
    pub lines: Vec<String>,
    pub totals: Vec<String>,
}

type Rec = Map<String, Value>;

fn noun(res: &Resource) -> String {
    match res.name {
        "production" => "production entries".into(),
        "downtime" => "downtime entries".into(),
        "holds" => "hold entries".into(),
        "attendance" => "attendance entries".into(),
        "coverage" => "coverage entries".into(),
        "quality" => "quality entries".into(),
        "defects" => "defect details".into(),
        "work-orders" => "work orders".into(),
        "floating-pool" => "floating-pool assignments".into(),
        "part-opportunities" => "part opportunities".into(),
        other => other.replace('-', " "),
    }
}

fn text(r: &Rec, k: &str) -> String {
    match r.get(k) {
        None | Some(Value::Null) => "?".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn hours(r: &Rec, k: &str) -> String {
    r.get(k)
        .and_then(Value::as_f64)
        .map_or_else(|| "?".into(), |h| format!("{h:.1}"))
}

fn num(r: &Rec, k: &str) -> f64 {
    r.get(k).and_then(Value::as_f64).unwrap_or(0.0)
}

fn sum(rows: &[&Rec], k: &str) -> f64 {
    rows.iter().map(|r| num(r, k)).sum()
}

fn int_sum(rows: &[&Rec], k: &str) -> i64 {
    rows.iter()
        .filter_map(|r| r.get(k).and_then(Value::as_i64))
        .fold(0i64, i64::saturating_add)
}

fn blank_inferable(res: &Resource, r: &Rec) -> bool {
    res.fields
        .iter()
        .any(|f| f.req == Req::I && r.get(f.name).is_none_or(Value::is_null))
}

fn line(res: &Resource, r: &Rec) -> String {
    match res.name {
        "production" => {
            let mut s = format!(
                "{}: {} units, {} defects, {}hrs, {} employees",
                text(r, "work_order_id"),
                text(r, "units_produced"),
                text(r, "units_defective"),
                hours(r, "run_time_hours"),
                text(r, "employees_assigned")
            );
            if let Some(notes) = r.get("notes").and_then(Value::as_str) {
                s.push_str(&format!(" — {notes}"));
            }
            if blank_inferable(res, r) {
                s.push_str(" (some values will be inferred)");
            }
            s
        }
        "downtime" => format!(
            "{}: {} min {}",
            text(r, "work_order_id"),
            text(r, "downtime_duration_minutes"),
            text(r, "downtime_reason")
        ),
        "holds" => format!(
            "{}: {} since {} ({})",
            text(r, "work_order_id"),
            text(r, "hold_status"),
            text(r, "hold_date"),
            text(r, "hold_reason")
        ),
        "attendance" if r.get("is_absent").and_then(Value::as_bool) == Some(true) => {
            let mut s = format!(
                "{}: absent {} h {}",
                text(r, "employee_id"),
                text(r, "absence_hours"),
                text(r, "absence_type")
            );
            if let Some(f) = r
                .get("covered_by_floating_employee_id")
                .and_then(Value::as_str)
            {
                s.push_str(&format!(", covered by {f}"));
            }
            s
        }
        "attendance" => format!(
            "{}: present {} h",
            text(r, "employee_id"),
            text(r, "actual_hours")
        ),
        "coverage" => format!(
            "{} covers {} for {} h",
            text(r, "floating_employee_id"),
            text(r, "absent_employee_id"),
            text(r, "coverage_duration_hours")
        ),
        "quality" => format!(
            "{} @ {}: {} inspected, {} passed, {} defective",
            text(r, "work_order_id"),
            text(r, "operation_checked"),
            text(r, "units_inspected"),
            text(r, "units_passed"),
            text(r, "units_defective")
        ),
        "defects" => format!(
            "{}: {} — {}",
            text(r, "quality_entry_id"),
            text(r, "defect_type"),
            text(r, "defect_description")
        ),
        _ => {
            let id = [res.key, "shift_type", "part_number"]
                .iter()
                .find_map(|k| r.get(*k).and_then(Value::as_str))
                .unwrap_or("?");
            let name = [
                "employee_name",
                "shift_name",
                "description",
                "style_model",
                "job_number",
                "client_name",
            ]
            .iter()
            .find_map(|k| r.get(*k).and_then(Value::as_str));
            match name {
                Some(n) => format!("{id}: {n}"),
                None => id.to_owned(),
            }
        }
    }
}

fn totals(res: &Resource, rows: &[&Rec]) -> Vec<String> {
    match res.name {
        "production" => vec![
            format!("Total: {} units", int_sum(rows, "units_produced")),
            format!("Total Defects: {}", int_sum(rows, "units_defective")),
            format!("Total Run Time: {:.1} hours", sum(rows, "run_time_hours")),
        ],
        "downtime" => vec![format!(
            "Total: {} minutes",
            int_sum(rows, "downtime_duration_minutes")
        )],
        "attendance" => vec![
            format!("Scheduled: {:.1} hours", sum(rows, "scheduled_hours")),
            format!("Absent: {:.1} hours", sum(rows, "absence_hours")),
            format!(
                "Absences: {}",
                rows.iter()
                    .filter(|r| r.get("is_absent").and_then(Value::as_bool) == Some(true))
                    .count()
            ),
        ],
        "coverage" => vec![format!(
            "Total: {:.1} hours",
            sum(rows, "coverage_duration_hours")
        )],
        "quality" => vec![
            format!("Inspected: {}", int_sum(rows, "units_inspected")),
            format!("Passed: {}", int_sum(rows, "units_passed")),
            format!("Defective: {}", int_sum(rows, "units_defective")),
        ],
        _ => vec![format!("Total: {} {}", rows.len(), noun(res))],
    }
}

/// The date a row is about, when the resource has a required date (entries, holds).
fn date_field(res: &Resource) -> Option<&'static str> {
    let key = res.date_key?;
    res.field(key)
        .filter(|f| f.req == Req::R && matches!(f.kind, Kind::Date))
        .map(|f| f.name)
}

fn distinct<'a>(rows: &[&'a Rec], k: &str) -> BTreeSet<&'a str> {
    rows.iter()
        .filter_map(|r| r.get(k).and_then(Value::as_str))
        .collect()
}

fn title(res: &Resource, rows: &[&Rec]) -> String {
    if res.name == "production"
        && let [r] = rows
    {
        return format!(
            "Confirm: {} units produced on {}, {}, {}?",
            text(r, "units_produced"),
            text(r, "shift_date"),
            text(r, "shift_type"),
            text(r, "work_order_id")
        );
    }
    let mut t = format!("Confirm these {} {}", rows.len(), noun(res));
    let clients = distinct(rows, "client_id");
    match clients.len() {
        0 => {}
        1 => t.push_str(&format!(" for {}", clients.iter().next().unwrap_or(&""))),
        k => t.push_str(&format!(" for {k} clients")),
    }
    if let Some(date) = date_field(res) {
        let days = distinct(rows, date);
        match (days.first(), days.last()) {
            (Some(a), Some(b)) if a == b => t.push_str(&format!(" on {a}")),
            (Some(a), Some(b)) => t.push_str(&format!(" on {a} to {b}")),
            _ => {}
        }
        if res.field("shift_type").is_some() {
            let shifts = distinct(rows, "shift_type");
            match shifts.len() {
                0 => {}
                1 => t.push_str(&format!(" {}", shifts.iter().next().unwrap_or(&""))),
                k => t.push_str(&format!(" {k} shifts")),
            }
        }
    }
    t.push('?');
    t
}

/// The read-back of the valid rows (at most `MAX_LINES` lines).
pub fn readback(res: &Resource, rows: &[&Rec]) -> Readback {
    let mut lines: Vec<String> = rows.iter().take(MAX_LINES).map(|r| line(res, r)).collect();
    if rows.len() > MAX_LINES {
        lines.push(format!("… and {} more", rows.len() - MAX_LINES));
    }
    Readback {
        title: title(res, rows),
        lines,
        totals: totals(res, rows),
    }
}

/// Σ of every numeric column over the valid rows.
pub fn summary(res: &Resource, rows: &[&Rec]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in res.fields.iter().filter(|f| f.req != Req::S) {
        let v = match f.kind {
            Kind::Int { .. } => Value::from(int_sum(rows, f.name)),
            Kind::Dec { .. } => {
                let x = (sum(rows, f.name) * 1e6).round() / 1e6;
                serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
            }
            _ => continue,
        };
        out.insert(f.name.into(), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::defs;
    use serde_json::json;

    fn rec(v: Value) -> Rec {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn production_wording_of_the_spec() {
        let res = defs::find("production").unwrap();
        let a = rec(
            json!({"client_id": "BOOT-LINE-A", "work_order_id": "WO-1", "shift_date": "2025-12-15",
            "shift_type": "SHIFT_1ST", "units_produced": 100, "units_defective": 2, "run_time_hours": 8.5,
            "employees_assigned": 10, "shift_hours_scheduled": 9, "downtime_total_minutes": 0, "notes": "ok"}),
        );
        let b = rec(
            json!({"client_id": "BOOT-LINE-A", "work_order_id": "WO-2", "shift_date": "2025-12-15",
            "shift_type": "SHIFT_1ST", "units_produced": 215, "units_defective": 2, "run_time_hours": 17}),
        );
        let rb = readback(res, &[&a, &b]);
        assert_eq!(
            rb.title,
            "Confirm these 2 production entries for BOOT-LINE-A on 2025-12-15 SHIFT_1ST?"
        );
        assert_eq!(
            rb.lines[0],
            "WO-1: 100 units, 2 defects, 8.5hrs, 10 employees — ok"
        );
        assert_eq!(
            rb.lines[1],
            "WO-2: 215 units, 2 defects, 17.0hrs, ? employees (some values will be inferred)"
        );
        assert_eq!(
            rb.totals,
            [
                "Total: 315 units",
                "Total Defects: 4",
                "Total Run Time: 25.5 hours"
            ]
        );
        let s = summary(res, &[&a, &b]);
        assert_eq!(
            (s["units_produced"].clone(), s["run_time_hours"].clone()),
            (json!(315), json!(25.5))
        );
        assert_eq!(
            readback(res, &[&a]).title,
            "Confirm: 100 units produced on 2025-12-15, SHIFT_1ST, WO-1?"
        );
        let mut c = b.clone();
        c.insert("shift_date".into(), json!("2025-12-16"));
        c.insert("client_id".into(), json!("OTHER-1"));
        c.insert("shift_type".into(), json!("SHIFT_2ND"));
        assert_eq!(
            readback(res, &[&a, &c]).title,
            "Confirm these 2 production entries for 2 clients on 2025-12-15 to 2025-12-16 2 shifts?"
        );
    }

    #[test]
    fn master_data_lines() {
        let res = defs::find("products").unwrap();
        let p = rec(json!({"product_id": "P-1", "client_id": "A-1", "description": "Boot"}));
        let rb = readback(res, &[&p]);
        assert_eq!(rb.title, "Confirm these 1 products for A-1?");
        assert_eq!(rb.lines, ["P-1: Boot"]);
        assert_eq!(rb.totals, ["Total: 1 products"]);
    }
}
