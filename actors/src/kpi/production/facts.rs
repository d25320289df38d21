//! Line-shift facts of the window (attendance roster, downtime detail, absences, floaters,
//! quality defect sums), each loaded with one query rather than one per line-shift.
use super::rows::Entry;
use crate::kpi::inputs::Window;
use crate::store::StoreError;
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// Line-shift facts of the window, each loaded with one query (not one per line-shift): the
/// dashboard asks for 30-366 days at a time.
#[derive(Default)]
pub struct WindowFacts {
    /// Attendance rows (present or absent) of non-floating employees per (date, shift).
    pub roster: HashMap<(String, String), f64>,
    /// Downtime detail rows (minutes, employees_affected) per (work order, date, shift).
    pub downtime: HashMap<(String, String, String), Vec<DowntimeDetail>>,
    /// Absent rows of non-floating employees per (date, shift).
    pub absences: HashMap<(String, String), Vec<AbsentRow>>,
    /// Σ QUALITY units_defective per (work order, date, shift): the level-2 source of a blank
    /// production units_defective.
    pub quality_defects: HashMap<(String, String, String), f64>,
    /// Whether any floater assignment to this client overlaps the window.
    pub any_floater: bool,
}

/// (minutes, employees_affected) of one downtime detail row.
pub type DowntimeDetail = (f64, Option<i64>);

pub struct AbsentRow {
    absence: Option<f64>,
    scheduled: Option<f64>,
    actual: Option<f64>,
    named_cover: bool,
    covers: i64,
    covered_sum: Option<f64>,
    covers_blank: i64,
}

impl AbsentRow {
    /// max(0, absence hours − covered hours); a cover without a duration, or a floater named on
    /// the row without a coverage entry, covers the whole absence.
    fn uncovered(&self, standard_hours: f64) -> f64 {
        let scheduled = self.scheduled.unwrap_or(standard_hours);
        let absence = self
            .absence
            .or(self.actual.map(|a| scheduled - a))
            .unwrap_or(scheduled)
            .max(0.0);
        let covered = if self.covers_blank > 0 {
            absence
        } else if self.covers > 0 {
            self.covered_sum.unwrap_or(0.0)
        } else if self.named_cover {
            absence
        } else {
            0.0
        };
        (absence - covered).max(0.0)
    }
}

pub fn load_window_facts(
    c: &Connection,
    client: &str,
    w: Window,
) -> Result<WindowFacts, StoreError> {
    let (from, to) = (w.from.to_string(), w.to.to_string());
    let mut facts = WindowFacts::default();
    let mut stmt = c.prepare_cached(
        "SELECT a.shift_date, a.shift_type, count(*) FROM attendance_entries a JOIN employees e ON e.employee_id = a.employee_id \
         WHERE a.client_id = ?1 AND a.shift_date BETWEEN ?2 AND ?3 AND a.is_active = 1 AND e.is_floating_pool = 0 GROUP BY 1, 2",
    )?;
    for row in stmt.query_map(params![client, from, to], |r| {
        Ok(((r.get(0)?, r.get(1)?), r.get::<_, i64>(2)? as f64))
    })? {
        let (k, n) = row?;
        facts.roster.insert(k, n);
    }
    let mut stmt = c.prepare_cached(
        "SELECT work_order_id, shift_date, shift_type, downtime_duration_minutes, employees_affected FROM downtime_entries \
         WHERE client_id = ?1 AND shift_date BETWEEN ?2 AND ?3 AND is_active = 1",
    )?;
    for row in stmt.query_map(params![client, from, to], |r| {
        Ok((
            (r.get(0)?, r.get(1)?, r.get(2)?),
            (r.get::<_, i64>(3)? as f64, r.get(4)?),
        ))
    })? {
        let (k, v) = row?;
        facts.downtime.entry(k).or_default().push(v);
    }
    let mut stmt = c.prepare_cached(
        "SELECT a.shift_date, a.shift_type, a.absence_hours, a.scheduled_hours, a.actual_hours, a.covered_by_floating_employee_id IS NOT NULL, \
                (SELECT count(*) FROM coverage_entries ce WHERE ce.is_active = 1 AND ce.absent_employee_id = a.employee_id AND ce.shift_date = a.shift_date AND ce.shift_type = a.shift_type), \
                (SELECT sum(ce.coverage_duration_hours) FROM coverage_entries ce WHERE ce.is_active = 1 AND ce.absent_employee_id = a.employee_id AND ce.shift_date = a.shift_date AND ce.shift_type = a.shift_type), \
                (SELECT count(*) FROM coverage_entries ce WHERE ce.is_active = 1 AND ce.absent_employee_id = a.employee_id AND ce.shift_date = a.shift_date AND ce.shift_type = a.shift_type AND ce.coverage_duration_hours IS NULL) \
         FROM attendance_entries a JOIN employees e ON e.employee_id = a.employee_id \
         WHERE a.client_id = ?1 AND a.shift_date BETWEEN ?2 AND ?3 AND a.is_active = 1 AND a.is_absent = 1 AND e.is_floating_pool = 0",
    )?;
    for row in stmt.query_map(params![client, from, to], |r| {
        Ok((
            (r.get(0)?, r.get(1)?),
            AbsentRow {
                absence: r.get(2)?,
                scheduled: r.get(3)?,
                actual: r.get(4)?,
                named_cover: r.get(5)?,
                covers: r.get(6)?,
                covered_sum: r.get(7)?,
                covers_blank: r.get(8)?,
            },
        ))
    })? {
        let (k, v) = row?;
        facts.absences.entry(k).or_default().push(v);
    }
    let mut stmt = c.prepare_cached(
        "SELECT work_order_id, shift_date, shift_type, sum(units_defective) FROM quality_entries \
         WHERE client_id = ?1 AND shift_date BETWEEN ?2 AND ?3 AND is_active = 1 AND units_defective IS NOT NULL GROUP BY 1, 2, 3",
    )?;
    for row in stmt.query_map(params![client, from, to], |r| {
        Ok((
            (r.get(0)?, r.get(1)?, r.get(2)?),
            r.get::<_, i64>(3)? as f64,
        ))
    })? {
        let (k, v) = row?;
        facts.quality_defects.insert(k, v);
    }
    facts.any_floater = c
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM floating_pool WHERE assigned_to_client = ?1 AND status = 'ASSIGNED' AND is_active = 1 \
             AND assignment_start_date <= ?3 AND (assignment_end_date IS NULL OR assignment_end_date >= ?2))",
        )?
        .query_row(params![client, from, to], |r| r.get(0))?;
    Ok(facts)
}

impl WindowFacts {
    /// Whole-line downtime minutes recorded for an entry's WO/date/shift: detail rows whose
    /// employees_affected is blank or covers the crew (clarification: run time subtracts only these).
    pub fn detail_downtime(&self, e: &Entry, crew: f64) -> Option<f64> {
        let rows = self
            .downtime
            .get(&(e.wo.clone(), e.date.clone(), e.shift.clone()))?;
        Some(
            rows.iter()
                .filter(|(_, a)| a.is_none_or(|a| a as f64 >= crew))
                .map(|(m, _)| m)
                .sum(),
        )
    }

    pub fn uncovered_absence_hours(&self, date: &str, shift: &str, standard_hours: f64) -> f64 {
        self.absences
            .get(&(date.to_owned(), shift.to_owned()))
            .map_or(0.0, |rows| {
                rows.iter().map(|r| r.uncovered(standard_hours)).sum()
            })
    }
}

/// Idle floaters attached to the line for (date, shift): assigned, covering nobody, not absent.
/// An assignment without a shift counts as idle only in SHIFT_1ST.
pub fn idle_floaters(
    c: &Connection,
    client: &str,
    date: &str,
    shift: &str,
) -> Result<f64, StoreError> {
    let n: i64 = c.prepare_cached(
        "SELECT count(DISTINCT fp.employee_id) FROM floating_pool fp \
         WHERE fp.is_active = 1 AND fp.status = 'ASSIGNED' AND fp.assigned_to_client = ?1 \
           AND fp.assignment_start_date <= ?2 AND (fp.assignment_end_date IS NULL OR fp.assignment_end_date >= ?2) \
           AND (fp.shift_type = ?3 OR (fp.shift_type IS NULL AND ?3 = 'SHIFT_1ST')) \
           AND NOT EXISTS (SELECT 1 FROM coverage_entries ce WHERE ce.is_active = 1 AND ce.floating_employee_id = fp.employee_id AND ce.shift_date = ?2 AND ce.shift_type = ?3) \
           AND NOT EXISTS (SELECT 1 FROM attendance_entries a WHERE a.is_active = 1 AND a.covered_by_floating_employee_id = fp.employee_id AND a.shift_date = ?2 AND a.shift_type = ?3) \
           AND NOT EXISTS (SELECT 1 FROM attendance_entries a WHERE a.is_active = 1 AND a.employee_id = fp.employee_id AND a.shift_date = ?2 AND a.shift_type = ?3 AND a.is_absent = 1)",
    )?
    .query_row(params![client, date, shift], |r| r.get(0))?;
    Ok(n as f64)
}
