//! Inputs of the production-based KPIs — efficiency (§4.4), performance (§4.5), availability
//! (§4.6), quality rate (§4.7) and production hours (§4.15) — from one pass over the window's
//! production entries, grouped by line-shift, every input resolved by `resolve`.
mod facts;
mod history;
pub mod losses;
mod notes;
mod resolve;
pub(in crate::kpi) mod rows;

use crate::kpi::as_of::AsOf;
use crate::kpi::inputs::{Filters, KpiInputs, Window};
use crate::kpi::script::ScriptValue;
use crate::store::StoreError;
use chrono::Days;
use facts::{WindowFacts, idle_floaters, load_window_facts};
use history::History;
use resolve::{LineShift, Resolver};
use rows::{
    Entry, ShiftStandard, load_entries, load_history, load_shift_standards, system_hours,
    system_overtime,
};
use rusqlite::Connection;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Default)]
pub struct ProductionInputs {
    pub efficiency: KpiInputs,
    pub performance: KpiInputs,
    pub availability: KpiInputs,
    pub quality_rate: KpiInputs,
    pub production_hours: KpiInputs,
    /// Hour and unit terms of the money view of losses (kpis.md §4.16).
    pub losses: losses::Losses,
}

/// Running sums of one pass.
#[derive(Default)]
struct Sums {
    std_hours: f64,
    person_hours: f64,
    floater_hours: f64,
    absence_hours: f64,
    ideal_hours: f64,
    run_hours: f64,
    units: f64,
    defective: f64,
    planned: f64,
    lost: f64,
    output_entries: i64,
    availability_entries: i64,
    hours_entries: i64,
    by_operation: BTreeMap<String, f64>,
    derived_line: u64,
    derived_labour: u64,
    no_qc: u64,
    assumed_zero_downtime: u64,
    downtime_mismatch: u64,
}

pub fn gather(
    c: &Connection,
    client: &str,
    w: Window,
    f: &Filters,
    as_of: &AsOf,
) -> Result<ProductionInputs, StoreError> {
    let mut entries = load_entries(c, client, w, f)?;
    let standards = load_shift_standards(c, client)?;
    let history_from = w.from - Days::new(as_of.max_history_days());
    let history_rows = load_history(c, client, history_from, w.to)?;
    let history = History {
        rows: &history_rows,
    };
    let facts = load_window_facts(c, client, w)?;
    // Product standards of rows tied to a work order resolve as of its closed_at (else now).
    for e in &mut entries {
        as_of.product_standards(e);
    }
    let resolver = Resolver {
        history: &history,
        facts: &facts,
    };
    let line_terms = f.work_order_id.is_none() && f.product_id.is_none();
    let mut out = ProductionInputs::default();
    let mut sums = Sums::default();
    let mut downtime_used: HashSet<(String, String, String)> = HashSet::new();

    // Group by line-shift (entries are ordered by date, shift).
    let mut groups: Vec<Vec<&Entry>> = Vec::new();
    for e in &entries {
        match groups.last_mut() {
            Some(g) if g[0].date == e.date && g[0].shift == e.shift => g.push(e),
            _ => groups.push(vec![e]),
        }
    }
    for group in groups.iter().filter(|g| g.iter().any(|e| e.selected)) {
        let (date, shift) = (group[0].date.as_str(), group[0].shift.as_str());
        // Shift standards and settings resolve at the end of the line-shift's date.
        let at = as_of.time(date);
        let standard = standards
            .get(shift)
            .map(|current| as_of.shift_standard(client, shift, &at, *current));
        let settings = as_of.inference_at(&at);
        let hours = standard.map_or(system_hours(shift), |st| st.hours);
        let outputs: Vec<&&Entry> = group.iter().filter(|e| e.output).collect();
        // Shift hours: blank output entries share the line-shift's remaining standard hours.
        let recorded_h: f64 = outputs.iter().filter_map(|e| e.h).sum();
        let blank_h = outputs.iter().filter(|e| e.h.is_none()).count() as f64;
        let blank_n = outputs.iter().filter(|e| e.n.is_none()).count() as f64;
        let roster = facts
            .roster
            .get(&(date.to_owned(), shift.to_owned()))
            .copied()
            .unwrap_or(0.0);
        let ls = LineShift {
            date,
            shift,
            standard,
            hours,
            shared_hours: if blank_h > 0.0 {
                (hours - recorded_h).max(0.0) / blank_h
            } else {
                0.0
            },
            roster_share: if blank_n > 0.0 { roster / blank_n } else { 0.0 },
            settings,
        };
        let planned_shift = !standard.map_or(system_overtime(shift), |st| st.overtime);
        for e in group.iter().filter(|e| e.selected) {
            let v = resolver.resolve(e, &ls);
            out.production_hours
                .provenance
                .add_noted("run_time_hours", v.r.1, || {
                    notes::entry(client, e, "run_time_hours", v.r.1, v.r.0)
                });
            sums.run_hours_all(e, v.r.0);
            if !e.output {
                continue;
            }
            add_efficiency_performance(&mut out, &mut sums, client, e, &v);
            out.losses.entry(&facts, e, &v, settings.downtime_assume_30);
            out.quality_rate.provenance.add("units_produced", 1);
            out.quality_rate
                .provenance
                .add_noted("units_defective", v.d.1, || {
                    notes::entry(client, e, "production.units_defective", v.d.1, v.d.0)
                });
            sums.defective += v.d.0;
            sums.no_qc += u64::from(v.d.1 == 4);
            if planned_shift {
                add_availability(
                    &mut out.availability,
                    &mut sums,
                    (&facts, client),
                    &mut downtime_used,
                    e,
                    &v,
                    settings.downtime_assume_30,
                );
            }
        }
        if line_terms {
            let floater_hours = if facts.any_floater {
                idle_floaters(c, client, date, shift)? * hours
            } else {
                0.0
            };
            let absence_hours = facts.uncovered_absence_hours(date, shift, hours);
            sums.floater_hours += floater_hours;
            sums.absence_hours += absence_hours;
            out.losses.line_shift(shift, floater_hours, absence_hours);
        }
    }
    if line_terms {
        add_orphan_downtime(
            &mut out.availability,
            &mut out.losses,
            &mut sums,
            (&facts, client),
            &entries,
            &standards,
            f,
        );
    }
    finish(&mut out, sums, line_terms);
    Ok(out)
}

impl Sums {
    fn run_hours_all(&mut self, e: &Entry, r: f64) {
        self.hours_entries += 1;
        let op = e
            .operation
            .clone()
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| "LINE".into());
        *self.by_operation.entry(op).or_default() += r;
    }
}

fn add_efficiency_performance(
    out: &mut ProductionInputs,
    sums: &mut Sums,
    client: &str,
    e: &Entry,
    v: &resolve::Resolved,
) {
    for (field, (value, level)) in [
        ("units_produced", (e.u, 1)),
        ("labour_standard", v.labour),
        ("employees_assigned", v.n),
        ("shift_hours_scheduled", v.h),
    ] {
        out.efficiency.provenance.add_noted(field, level, || {
            notes::entry(client, e, field, level, value)
        });
    }
    for (field, (value, level)) in [
        ("units_produced", (e.u, 1)),
        ("line_cycle_time", v.line),
        ("run_time_hours", v.r),
    ] {
        out.performance.provenance.add_noted(field, level, || {
            notes::entry(client, e, field, level, value)
        });
    }
    sums.derived_line += u64::from(v.labour.1 == 2);
    sums.derived_labour += u64::from(v.line.1 == 2);
    sums.std_hours += e.u * v.labour.0;
    sums.person_hours += v.n.0 * v.h.0;
    sums.ideal_hours += e.u * v.line.0;
    sums.run_hours += v.r.0;
    sums.units += e.u;
    sums.output_entries += 1;
}

/// Planned and lost person-hours of one entry on a standard shift (kpis.md §4.6): detail rows
/// win over a typed total (each detail row costs minutes ÷ 60 × employees affected, blank =
/// the whole crew); a typed total is a whole-line stop; no downtime data → the chain of §5.2.
fn add_availability(
    a: &mut KpiInputs,
    sums: &mut Sums,
    (facts, client): (&WindowFacts, &str),
    used: &mut HashSet<(String, String, String)>,
    e: &Entry,
    v: &resolve::Resolved,
    assume_30: bool,
) {
    let (n, h) = (v.n.0, v.h.0);
    sums.planned += n * h;
    sums.availability_entries += 1;
    a.provenance.add_noted("employees_assigned", v.n.1, || {
        notes::entry(client, e, "employees_assigned", v.n.1, n)
    });
    a.provenance.add_noted("shift_hours_scheduled", v.h.1, || {
        notes::entry(client, e, "shift_hours_scheduled", v.h.1, h)
    });
    let key = (e.wo.clone(), e.date.clone(), e.shift.clone());
    match facts.downtime.get(&key) {
        Some(rows) => {
            a.provenance.add("downtime_minutes", 1);
            // Detail rows belong to the work order's line-shift: counted once, on its first entry.
            if used.insert(key) {
                for (minutes, affected) in rows {
                    let level = if affected.is_some() { 1 } else { v.n.1 };
                    a.provenance.add_noted("employees_affected", level, || {
                        notes::entry(client, e, "employees_affected", level, n)
                    });
                    sums.lost += minutes / 60.0 * affected.map_or(n, |x| x as f64);
                }
                let detail: f64 = rows.iter().map(|(m, _)| m).sum();
                sums.downtime_mismatch +=
                    u64::from(e.downtime_total.is_some_and(|t| (t - detail).abs() > 1e-9));
            }
        }
        None => match e.downtime_total {
            Some(t) => {
                a.provenance.add("downtime_minutes", 1);
                sums.lost += t / 60.0 * n;
            }
            None => {
                // No downtime data: shift hours − recorded run time (3), else 0 (4), or 30
                // minutes (5) where the client switched `assume_30` on (it answers instead of
                // `assume_zero`, which always answers).
                let (minutes, level) = resolve::chain_minutes(e, h, assume_30);
                a.provenance.add_noted("downtime_minutes", level, || {
                    notes::entry(client, e, "downtime_minutes", level, minutes)
                });
                sums.lost += minutes / 60.0 * n;
                sums.assumed_zero_downtime += u64::from(level == 4);
            }
        },
    }
}

/// Downtime rows on standard shifts that match no production entry still cost their
/// person-hours; a line-shift with no production entry at all also adds its standard planned
/// hours (shift hours × standard employees, level 3).
fn add_orphan_downtime(
    a: &mut KpiInputs,
    losses: &mut losses::Losses,
    sums: &mut Sums,
    (facts, client): (&WindowFacts, &str),
    entries: &[Entry],
    standards: &HashMap<String, ShiftStandard>,
    f: &Filters,
) {
    let matched: HashSet<(&str, &str, &str)> = entries
        .iter()
        .filter(|e| e.output)
        .map(|e| (e.wo.as_str(), e.date.as_str(), e.shift.as_str()))
        .collect();
    let line_shifts: HashSet<(&str, &str)> = entries
        .iter()
        .map(|e| (e.date.as_str(), e.shift.as_str()))
        .collect();
    let mut planned_added: HashSet<(String, String)> = HashSet::new();
    for ((wo, date, shift), rows) in &facts.downtime {
        if matched.contains(&(wo.as_str(), date.as_str(), shift.as_str()))
            || f.shift.as_deref().is_some_and(|s| s != shift)
        {
            continue;
        }
        let standard = standards.get(shift.as_str()).copied();
        let hours = standard.map_or(system_hours(shift), |st| st.hours);
        let crew = standard.map_or(rows::default_employees(shift), |st| st.employees);
        // Money losses count every shift; availability only planned ones.
        let lost: f64 = rows
            .iter()
            .map(|(minutes, affected)| minutes / 60.0 * affected.map_or(crew, |x| x as f64))
            .sum();
        losses.orphan_downtime(shift, lost, rows.iter().any(|(_, a)| a.is_none()));
        if standard.map_or(system_overtime(shift), |st| st.overtime) {
            continue;
        }
        for (minutes, affected) in rows {
            a.provenance.add("downtime_minutes", 1);
            let level = if affected.is_some() { 1 } else { 3 };
            a.provenance.add_noted("employees_affected", level, || {
                notes::line_shift(client, date, shift, "employees_affected", crew)
            });
            sums.lost += minutes / 60.0 * affected.map_or(crew, |x| x as f64);
        }
        if !line_shifts.contains(&(date.as_str(), shift.as_str()))
            && planned_added.insert((date.clone(), shift.clone()))
        {
            sums.planned += hours * crew;
            a.provenance.add_noted("shift_hours_scheduled", 3, || {
                notes::line_shift(client, date, shift, "shift_hours_scheduled", hours)
            });
            a.provenance.add_noted("employees_assigned", 3, || {
                notes::line_shift(client, date, shift, "employees_assigned", crew)
            });
        }
    }
}

fn finish(out: &mut ProductionInputs, s: Sums, line_terms: bool) {
    let eff = &mut out.efficiency;
    eff.float("standard_hours_produced", s.std_hours);
    eff.float("entry_person_hours", s.person_hours);
    eff.float("idle_floater_hours", s.floater_hours);
    eff.float("uncovered_absence_hours", s.absence_hours);
    eff.int("units_produced", s.units as i64);
    eff.int("entries", s.output_entries);
    eff.warn_count(
        "derived_from_line_standard",
        s.derived_line,
        "Labour standard derived from the line cycle time × crew",
    );
    if !line_terms && s.output_entries > 0 {
        eff.warn_count(
            "line_adjustments_skipped",
            1,
            "Floater and absence terms are skipped under a work-order or product filter",
        );
        if let Some(w) = eff.warnings.last_mut() {
            w.count = None;
        }
    }
    let perf = &mut out.performance;
    perf.float("ideal_run_hours", s.ideal_hours);
    perf.float("run_time_hours", s.run_hours);
    perf.int("units_produced", s.units as i64);
    perf.int("entries", s.output_entries);
    perf.warn_count(
        "derived_from_labour_standard",
        s.derived_labour,
        "Line cycle time derived from the labour standard ÷ crew",
    );
    let avail = &mut out.availability;
    avail.float("planned_person_hours", s.planned);
    avail.float("lost_person_hours", s.lost);
    avail.int("entries", s.availability_entries);
    avail.warn_count(
        "assumed_zero_downtime",
        s.assumed_zero_downtime,
        "No downtime recorded: assumed zero",
    );
    avail.warn_count(
        "downtime_mismatch",
        s.downtime_mismatch,
        "Typed downtime_total_minutes differs from the downtime rows; the rows win",
    );
    let q = &mut out.quality_rate;
    q.int("units_produced", s.units as i64);
    q.int("units_defective", s.defective as i64);
    q.int("entries", s.output_entries);
    q.warn_count(
        "no_qc_data",
        s.no_qc,
        "No defect data: assumed zero defective units",
    );
    let ph = &mut out.production_hours;
    ph.float("run_time_hours", s.by_operation.values().sum());
    ph.input.insert(
        "by_operation".into(),
        ScriptValue::Map(
            s.by_operation
                .into_iter()
                .map(|(k, v)| (k, ScriptValue::Float(v)))
                .collect(),
        ),
    );
    ph.int("entries", s.hours_entries);
}
