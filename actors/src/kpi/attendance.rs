//! Inputs of absenteeism (§4.14): attendance rows of the window (shift filter applies), absent
//! rows of excluded types left out, covered hours subtracted; chains of §5.2 for
//! scheduled_hours and absence_hours.
use super::as_of::AsOf;
use super::inputs::{Filters, InferenceSettings, KpiInputs, Window};
use super::production::rows::ShiftStandard;
use super::provenance::Note;
use crate::store::StoreError;
use rusqlite::{Connection, params};
use std::collections::HashMap;

struct AttendanceRow {
    id: String,
    line_shift: String,
    absent: bool,
    absence_type: Option<String>,
    scheduled: Option<f64>,
    actual: Option<f64>,
    absence: Option<f64>,
    production_hours: Option<f64>,
    standard_hours: Option<f64>,
    named_cover: bool,
    covers: i64,
    covered_sum: Option<f64>,
    covers_blank: i64,
}

pub fn gather(
    c: &Connection,
    client: &str,
    w: Window,
    f: &Filters,
    as_of: &AsOf,
) -> Result<KpiInputs, StoreError> {
    // Excluded absence types resolve at the end of each row's shift date (one look-up per date).
    let mut settings_of: HashMap<String, (String, &InferenceSettings)> = HashMap::new();
    let mut stmt = c.prepare_cached(
        "SELECT a.is_absent, a.absence_type, a.scheduled_hours, a.actual_hours, a.absence_hours, \
                (SELECT max(p.shift_hours_scheduled) FROM production_entries p WHERE p.client_id = a.client_id AND p.shift_date = a.shift_date \
                   AND p.shift_type = a.shift_type AND p.is_active = 1), \
                (SELECT s.standard_hours FROM shifts s WHERE s.client_id = a.client_id AND s.shift_type = a.shift_type AND s.is_active = 1), \
                a.covered_by_floating_employee_id IS NOT NULL, \
                (SELECT count(*) FROM coverage_entries ce WHERE ce.is_active = 1 AND ce.absent_employee_id = a.employee_id AND ce.shift_date = a.shift_date AND ce.shift_type = a.shift_type), \
                (SELECT sum(ce.coverage_duration_hours) FROM coverage_entries ce WHERE ce.is_active = 1 AND ce.absent_employee_id = a.employee_id AND ce.shift_date = a.shift_date AND ce.shift_type = a.shift_type), \
                (SELECT count(*) FROM coverage_entries ce WHERE ce.is_active = 1 AND ce.absent_employee_id = a.employee_id AND ce.shift_date = a.shift_date AND ce.shift_type = a.shift_type AND ce.coverage_duration_hours IS NULL), \
                a.attendance_entry_id, a.shift_date || '/' || a.shift_type \
         FROM attendance_entries a \
         WHERE a.client_id = ?1 AND a.is_active = 1 AND a.shift_date BETWEEN ?2 AND ?3 AND (?4 IS NULL OR a.shift_type = ?4)",
    )?;
    let rows = stmt.query_map(
        params![client, w.from.to_string(), w.to.to_string(), f.shift],
        |r| {
            Ok(AttendanceRow {
                id: r.get(11)?,
                line_shift: r.get(12)?,
                absent: r.get(0)?,
                absence_type: r.get(1)?,
                scheduled: r.get(2)?,
                actual: r.get(3)?,
                absence: r.get(4)?,
                production_hours: r.get(5)?,
                standard_hours: r.get(6)?,
                named_cover: r.get(7)?,
                covers: r.get(8)?,
                covered_sum: r.get(9)?,
                covers_blank: r.get(10)?,
            })
        },
    )?;
    let mut out = KpiInputs::default();
    let (mut scheduled_sum, mut absent_sum, mut counted) = (0.0, 0.0, 0i64);
    for row in rows {
        let a = row?;
        let (date, shift) = a.line_shift.split_once('/').unwrap_or_default();
        let (at, settings) = &*settings_of.entry(date.to_owned()).or_insert_with(|| {
            let at = as_of.time(date);
            let settings = as_of.inference_at(&at);
            (at, settings)
        });
        if a.absent
            && a.absence_type
                .as_ref()
                .is_some_and(|t| settings.excluded_absence_types.contains(t))
        {
            continue;
        }
        // The shift standard as of the row's date (domain.md §8).
        let standard_hours = a.standard_hours.map(|hours| {
            let current = ShiftStandard {
                hours,
                employees: 0.0,
                overtime: false,
            };
            as_of.shift_standard(client, shift, at, current).hours
        });
        // scheduled_hours: recorded → the line-shift's production hours → the shift standard → 9.
        let scheduled = match (a.scheduled, a.production_hours, standard_hours) {
            (Some(s), _, _) => (s, 1),
            (None, Some(p), _) => (p, 2),
            (None, None, Some(s)) => (s, 3),
            (None, None, None) => (9.0, 5),
        };
        out.provenance
            .add_noted("scheduled_hours", scheduled.1, || {
                note(client, &a, scheduled)
            });
        scheduled_sum += scheduled.0;
        counted += 1;
        if !a.absent {
            continue;
        }
        // absence_hours: recorded → scheduled − actual → the full shift.
        let absence = match (a.absence, a.actual) {
            (Some(x), _) => (x, 1),
            (None, Some(act)) => ((scheduled.0 - act).max(0.0), 2),
            (None, None) => (scheduled.0, 3),
        };
        out.provenance
            .add_noted("absence_hours", absence.1, || note(client, &a, absence));
        let covered = if a.covers_blank > 0 || (a.covers == 0 && a.named_cover) {
            absence.0
        } else {
            a.covered_sum.unwrap_or(0.0)
        };
        absent_sum += (absence.0 - covered).max(0.0);
    }
    out.float("absence_hours", absent_sum);
    out.float("scheduled_hours", scheduled_sum);
    out.int("attendance_rows", counted);
    Ok(out)
}

/// An inferred hour count of an attendance row, with the line-shift it came from.
fn note(client: &str, a: &AttendanceRow, (value, level): (f64, u8)) -> Note {
    let source = match level {
        2 if a.absence.is_none() && a.actual.is_some() && a.scheduled.is_some() => {
            "scheduled − actual hours".to_owned()
        }
        2 => format!("PRODUCTION shift hours {}", a.line_shift),
        3 => format!(
            "SHIFT {client}.{}",
            a.line_shift.split('/').nth(1).unwrap_or("")
        ),
        _ => "system default 9 h".to_owned(),
    };
    Note {
        record: format!("attendance/{}", a.id),
        value: serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, Into::into),
        source,
    }
}
