//! Inputs of efficiency and performance (kpis.md §4.4, §4.5) from production entries, with
//! the inference chains of §5.2 for the fields they use. Every resolved (entry, field) pair
//! records its level, which becomes the KPI's confidence.
use super::result::{KpiWarning, Provenance};
use super::script::ScriptValue;
use crate::store::StoreError;
use chrono::{Days, NaiveDate};
use rusqlite::{Connection, params};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
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

/// System shift standards (kpis.md §5.2, level 3 of shift hours) and shift-default staffing.
fn system_hours(shift: &str) -> f64 {
    if matches!(shift, "SAT_OT" | "SUN_OT") {
        8.0
    } else {
        9.0
    }
}
fn default_employees(shift: &str) -> f64 {
    match shift {
        "SHIFT_2ND" => 8.0,
        "SAT_OT" | "SUN_OT" => 6.0,
        _ => 10.0,
    }
}

/// The output operation: entries of other operations feed production hours only.
fn is_output_operation(op: Option<&str>) -> bool {
    op.is_none_or(|o| o.is_empty() || o.eq_ignore_ascii_case("PACKING"))
}

#[derive(Debug, Clone)]
struct Entry {
    wo: String,
    date: String,
    shift: String,
    u: f64,
    r: Option<f64>,
    n: Option<f64>,
    h: Option<f64>,
    downtime_total: Option<f64>,
    labour_standard: Option<f64>,
    line_standard: Option<f64>,
    style: Option<String>,
    /// Matches the work-order / product filter. Unselected entries of a selected line-shift are
    /// still loaded: shares (blank shift hours, roster split) belong to the whole line-shift.
    selected: bool,
}

#[derive(Debug, Clone, Copy)]
struct ShiftStandard {
    hours: f64,
    employees: f64,
}

/// A recorded row for the history strategies: (date, shift, style, r, n, u).
struct HistoryRow {
    date: String,
    shift: String,
    style: Option<String>,
    r: Option<f64>,
    n: Option<f64>,
    u: f64,
}

/// Aggregated script inputs, their provenance and the engine's warnings.
#[derive(Debug, Default)]
pub struct KpiInputs {
    pub input: BTreeMap<String, ScriptValue>,
    pub provenance: Provenance,
    pub warnings: Vec<KpiWarning>,
}

#[derive(Debug, Default)]
pub struct ProductionInputs {
    pub efficiency: KpiInputs,
    pub performance: KpiInputs,
}

fn load_entries(
    c: &Connection,
    client: &str,
    w: Window,
    f: &Filters,
) -> Result<Vec<Entry>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT p.production_entry_id, p.work_order_id, p.shift_date, p.shift_type, p.units_produced, p.run_time_hours, \
                p.employees_assigned, p.shift_hours_scheduled, p.downtime_total_minutes, \
                coalesce(wo.ideal_cycle_time, pr.standard_labor_hours_per_unit), pr.ideal_cycle_time_line, \
                coalesce(wo.style_model, pr.style_model), p.operation_id, \
                (?5 IS NULL OR p.work_order_id = ?5) AND (?6 IS NULL OR wo.product_id = ?6) \
         FROM production_entries p JOIN work_orders wo ON wo.work_order_id = p.work_order_id \
         LEFT JOIN products pr ON pr.product_id = wo.product_id AND pr.is_active = 1 \
         WHERE p.client_id = ?1 AND p.is_active = 1 AND p.shift_date BETWEEN ?2 AND ?3 \
           AND (?4 IS NULL OR p.shift_type = ?4) \
         ORDER BY p.shift_date, p.shift_type, p.production_entry_id",
    )?;
    let rows = stmt.query_map(
        params![
            client,
            w.from.to_string(),
            w.to.to_string(),
            f.shift,
            f.work_order_id,
            f.product_id
        ],
        |r| {
            let op: Option<String> = r.get(12)?;
            Ok((
                Entry {
                    wo: r.get(1)?,
                    date: r.get(2)?,
                    shift: r.get(3)?,
                    u: r.get::<_, i64>(4)? as f64,
                    r: r.get(5)?,
                    n: r.get::<_, Option<i64>>(6)?.map(|n| n as f64),
                    h: r.get(7)?,
                    downtime_total: r.get::<_, Option<i64>>(8)?.map(|m| m as f64),
                    labour_standard: r.get(9)?,
                    line_standard: r.get(10)?,
                    style: r.get(11)?,
                    selected: r.get(13)?,
                },
                op,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (entry, op) = row?;
        if is_output_operation(op.as_deref()) {
            out.push(entry);
        }
    }
    Ok(out)
}

fn load_shift_standards(
    c: &Connection,
    client: &str,
) -> Result<HashMap<String, ShiftStandard>, StoreError> {
    let mut stmt = c.prepare_cached("SELECT shift_type, standard_hours, standard_employees FROM shifts WHERE client_id = ? AND is_active = 1")?;
    let rows = stmt.query_map([client], |r| {
        Ok((
            r.get::<_, String>(0)?,
            ShiftStandard {
                hours: r.get(1)?,
                employees: r.get::<_, i64>(2)? as f64,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn load_history(
    c: &Connection,
    client: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<HistoryRow>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT p.shift_date, p.shift_type, coalesce(wo.style_model, pr.style_model), p.run_time_hours, p.employees_assigned, p.units_produced \
         FROM production_entries p JOIN work_orders wo ON wo.work_order_id = p.work_order_id \
         LEFT JOIN products pr ON pr.product_id = wo.product_id \
         WHERE p.client_id = ?1 AND p.is_active = 1 AND p.shift_date >= ?2 AND p.shift_date < ?3",
    )?;
    let rows = stmt.query_map(params![client, from.to_string(), to.to_string()], |r| {
        Ok(HistoryRow {
            date: r.get(0)?,
            shift: r.get(1)?,
            style: r.get(2)?,
            r: r.get(3)?,
            n: r.get::<_, Option<i64>>(4)?.map(|n| n as f64),
            u: r.get::<_, i64>(5)? as f64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Line-shift facts of the window, each loaded with one query (not one per line-shift): the
/// dashboard asks for 30-366 days at a time.
#[derive(Default)]
struct WindowFacts {
    /// Attendance rows (present or absent) of non-floating employees per (date, shift).
    roster: HashMap<(String, String), f64>,
    /// Downtime detail rows (minutes, employees_affected) per (work order, date, shift).
    downtime: HashMap<(String, String, String), Vec<DowntimeDetail>>,
    /// Absent rows of non-floating employees per (date, shift).
    absences: HashMap<(String, String), Vec<AbsentRow>>,
    /// Whether any floater assignment to this client overlaps the window.
    any_floater: bool,
}

/// (minutes, employees_affected) of one downtime detail row.
type DowntimeDetail = (f64, Option<i64>);

struct AbsentRow {
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

fn load_window_facts(c: &Connection, client: &str, w: Window) -> Result<WindowFacts, StoreError> {
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
    fn detail_downtime(&self, e: &Entry, crew: f64) -> Option<f64> {
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

    fn uncovered_absence_hours(&self, date: &str, shift: &str, standard_hours: f64) -> f64 {
        self.absences
            .get(&(date.to_owned(), shift.to_owned()))
            .map_or(0.0, |rows| {
                rows.iter().map(|r| r.uncovered(standard_hours)).sum()
            })
    }
}

/// Idle floaters attached to the line for (date, shift): assigned, covering nobody, not absent.
/// An assignment without a shift counts as idle only in SHIFT_1ST.
fn idle_floaters(c: &Connection, client: &str, date: &str, shift: &str) -> Result<f64, StoreError> {
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

/// Memoised history strategies per (style, date) or (shift, date).
struct History<'a> {
    rows: &'a [HistoryRow],
    s: &'a InferenceSettings,
}

impl History<'_> {
    fn window<'b>(&'b self, date: &'b str) -> impl Iterator<Item = &'b HistoryRow> + 'b {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap_or_default();
        let start = (d - Days::new(self.s.history_days)).to_string();
        self.rows
            .iter()
            .filter(move |r| r.date.as_str() >= start.as_str() && r.date.as_str() < date)
    }

    /// Σ(r·n) ÷ Σu (labour) or Σr ÷ Σu (line) over recorded rows of the same style.
    fn cycle_time(&self, style: Option<&str>, date: &str, labour: bool) -> Option<f64> {
        let style = style?;
        let rows: Vec<&HistoryRow> = self
            .window(date)
            .filter(|r| {
                r.style.as_deref() == Some(style)
                    && r.u > 0.0
                    && r.r.is_some()
                    && (!labour || r.n.is_some())
            })
            .collect();
        if rows.len() < self.s.min_history_points {
            return None;
        }
        let hours: f64 = rows
            .iter()
            .map(|r| r.r.unwrap_or(0.0) * if labour { r.n.unwrap_or(0.0) } else { 1.0 })
            .sum();
        let units: f64 = rows.iter().map(|r| r.u).sum();
        (units > 0.0 && hours > 0.0).then(|| hours / units)
    }

    /// Mean recorded employees_assigned of the same shift type.
    fn employees(&self, shift: &str, date: &str) -> Option<f64> {
        let vals: Vec<f64> = self
            .window(date)
            .filter(|r| r.shift == shift)
            .filter_map(|r| r.n)
            .collect();
        (vals.len() >= self.s.min_history_points)
            .then(|| vals.iter().sum::<f64>() / vals.len() as f64)
    }
}

pub fn gather(
    c: &Connection,
    client: &str,
    w: Window,
    f: &Filters,
    s: &InferenceSettings,
) -> Result<ProductionInputs, StoreError> {
    let entries = load_entries(c, client, w, f)?;
    let standards = load_shift_standards(c, client)?;
    let history_rows = load_history(c, client, w.from - Days::new(s.history_days), w.to)?;
    let history = History {
        rows: &history_rows,
        s,
    };
    let facts = load_window_facts(c, client, w)?;
    let mut out = ProductionInputs::default();
    let line_terms = f.work_order_id.is_none() && f.product_id.is_none();

    // Group by line-shift (entries are ordered by date, shift).
    let mut groups: Vec<Vec<&Entry>> = Vec::new();
    for e in &entries {
        match groups.last_mut() {
            Some(g) if g[0].date == e.date && g[0].shift == e.shift => g.push(e),
            _ => groups.push(vec![e]),
        }
    }
    let (mut std_hours, mut person_hours, mut floater_hours, mut absence_hours) =
        (0.0, 0.0, 0.0, 0.0);
    let (mut ideal_hours, mut run_hours, mut units) = (0.0, 0.0, 0.0);
    let mut derived_line = 0u64;
    let mut derived_labour = 0u64;
    for group in groups.iter().filter(|g| g.iter().any(|e| e.selected)) {
        let (date, shift) = (group[0].date.as_str(), group[0].shift.as_str());
        let standard = standards.get(shift).copied();
        let h_s = standard.map_or(system_hours(shift), |st| st.hours);
        // Shift hours: blank entries share the line-shift's remaining standard hours equally.
        let recorded_h: f64 = group.iter().filter_map(|e| e.h).sum();
        let blank_h = group.iter().filter(|e| e.h.is_none()).count() as f64;
        let shared_h = if blank_h > 0.0 {
            (h_s - recorded_h).max(0.0) / blank_h
        } else {
            0.0
        };
        let blank_n = group.iter().filter(|e| e.n.is_none()).count() as f64;
        let roster = if blank_n > 0.0 {
            facts
                .roster
                .get(&(date.to_owned(), shift.to_owned()))
                .copied()
                .unwrap_or(0.0)
        } else {
            0.0
        };
        for e in group.iter().filter(|e| e.selected) {
            let eff = &mut out.efficiency.provenance;
            let perf = &mut out.performance.provenance;
            let (h, h_level) = match (e.h, standard) {
                (Some(h), _) => (h, 1),
                (None, Some(_)) => (shared_h, 2),
                (None, None) => (shared_h, 3),
            };
            let (n, n_level) = if let Some(n) = e.n {
                (n, 1)
            } else if roster > 0.0 {
                (roster / blank_n, 2)
            } else if let Some(st) = standard {
                (st.employees, 3)
            } else if let Some(avg) = history.employees(shift, date) {
                (avg, 4)
            } else {
                (default_employees(shift), 5)
            };
            let (labour, l_level) = if let Some(l) = e.labour_standard {
                (l, 1)
            } else if let Some(line) = e.line_standard {
                derived_line += 1;
                (line * n, 2)
            } else if let Some(hist) = history.cycle_time(e.style.as_deref(), &e.date, true) {
                (hist, 3)
            } else {
                (s.default_cycle_time_hours, 4)
            };
            let (line, c_level) = if let Some(line) = e.line_standard {
                (line, 1)
            } else if let Some(l) = e.labour_standard.filter(|_| n > 0.0) {
                derived_labour += 1;
                (l / n, 2)
            } else if let Some(hist) = history.cycle_time(e.style.as_deref(), &e.date, false) {
                (hist, 3)
            } else {
                (s.default_cycle_time_hours / n.max(1.0), 4)
            };
            let (r, r_level) = match e.r {
                Some(r) => (r, 1),
                None => match e.downtime_total.or(facts.detail_downtime(e, n)) {
                    Some(minutes) => ((h - minutes / 60.0).max(0.0), 2),
                    None => (h, 3),
                },
            };
            for (field, level) in [
                ("units_produced", 1),
                ("labour_standard", l_level),
                ("employees_assigned", n_level),
                ("shift_hours_scheduled", h_level),
            ] {
                eff.add(field, level);
            }
            for (field, level) in [
                ("units_produced", 1),
                ("line_cycle_time", c_level),
                ("run_time_hours", r_level),
            ] {
                perf.add(field, level);
            }
            std_hours += e.u * labour;
            person_hours += n * h;
            ideal_hours += e.u * line;
            run_hours += r;
            units += e.u;
        }
        if line_terms {
            if facts.any_floater {
                floater_hours += idle_floaters(c, client, date, shift)? * h_s;
            }
            absence_hours += facts.uncovered_absence_hours(date, shift, h_s);
        }
    }
    let n_entries = entries.iter().filter(|e| e.selected).count() as i64;
    let eff = &mut out.efficiency;
    eff.input.insert(
        "standard_hours_produced".into(),
        ScriptValue::Float(std_hours),
    );
    eff.input.insert(
        "entry_person_hours".into(),
        ScriptValue::Float(person_hours),
    );
    eff.input.insert(
        "idle_floater_hours".into(),
        ScriptValue::Float(floater_hours),
    );
    eff.input.insert(
        "uncovered_absence_hours".into(),
        ScriptValue::Float(absence_hours),
    );
    eff.input
        .insert("units_produced".into(), ScriptValue::Int(units as i64));
    eff.input
        .insert("entries".into(), ScriptValue::Int(n_entries));
    if derived_line > 0 {
        eff.warnings.push(KpiWarning {
            count: Some(derived_line),
            ..KpiWarning::new(
                "derived_from_line_standard",
                "normal",
                "Labour standard derived from the line cycle time × crew",
            )
        });
    }
    if !line_terms && n_entries > 0 {
        eff.warnings.push(KpiWarning::new(
            "line_adjustments_skipped",
            "normal",
            "Floater and absence terms are skipped under a work-order or product filter",
        ));
    }
    let perf = &mut out.performance;
    perf.input
        .insert("ideal_run_hours".into(), ScriptValue::Float(ideal_hours));
    perf.input
        .insert("run_time_hours".into(), ScriptValue::Float(run_hours));
    perf.input
        .insert("units_produced".into(), ScriptValue::Int(units as i64));
    perf.input
        .insert("entries".into(), ScriptValue::Int(n_entries));
    if derived_labour > 0 {
        perf.warnings.push(KpiWarning {
            count: Some(derived_labour),
            ..KpiWarning::new(
                "derived_from_labour_standard",
                "normal",
                "Line cycle time derived from the labour standard ÷ crew",
            )
        });
    }
    Ok(out)
}
