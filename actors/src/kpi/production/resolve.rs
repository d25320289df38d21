//! Per-entry inference (kpis.md §5.2): each input resolved through its chain, with the level
//! of the strategy that produced it (1 = recorded or the authoritative standard).
use super::facts::WindowFacts;
use super::history::History;
use super::rows::{Entry, ShiftStandard, default_employees};
use crate::kpi::inputs::InferenceSettings;

/// What the line-shift contributes to each of its entries' chains.
pub struct LineShift<'a> {
    pub date: &'a str,
    pub shift: &'a str,
    pub standard: Option<ShiftStandard>,
    /// Standard hours of the line-shift (the SHIFT row, else the system standard).
    pub hours: f64,
    /// Hours each output entry with blank shift hours gets (remaining standard hours shared).
    pub shared_hours: f64,
    /// Attendance roster share for each output entry with blank employees (0 = no roster).
    pub roster_share: f64,
    /// The inference settings in force at the end of the line-shift's date.
    pub settings: &'a InferenceSettings,
}

/// A value and the level of the strategy that produced it.
pub type Leveled = (f64, u8);

pub struct Resolved {
    pub h: Leveled,
    pub n: Leveled,
    pub labour: Leveled,
    pub line: Leveled,
    pub r: Leveled,
    pub d: Leveled,
}

pub struct Resolver<'a> {
    pub history: &'a History<'a>,
    pub facts: &'a WindowFacts,
}

impl Resolver<'_> {
    pub fn resolve(&self, e: &Entry, ls: &LineShift) -> Resolved {
        let h = match (e.h, ls.standard, e.output) {
            (Some(h), _, _) => (h, 1),
            (None, Some(_), true) => (ls.shared_hours, 2),
            (None, None, true) => (ls.shared_hours, 3),
            // Another operation's crew: its own shift, not a share of the line's.
            (None, Some(_), false) => (ls.hours, 2),
            (None, None, false) => (ls.hours, 3),
        };
        let n = if let Some(n) = e.n {
            (n, 1)
        } else if ls.roster_share > 0.0 && e.output {
            (ls.roster_share, 2)
        } else if let Some(st) = ls.standard {
            (st.employees, 3)
        } else if let Some(avg) = self.history.employees(ls.shift, ls.date, ls.settings) {
            (avg, 4)
        } else {
            (default_employees(ls.shift), 5)
        };
        let labour = if let Some(l) = e.labour_standard {
            (l, 1)
        } else if let Some(line) = e.line_standard {
            (line * n.0, 2)
        } else if let Some(hist) =
            self.history
                .cycle_time(e.style.as_deref(), &e.date, true, ls.settings)
        {
            (hist, 3)
        } else {
            (ls.settings.default_cycle_time_hours, 4)
        };
        let line = if let Some(line) = e.line_standard {
            (line, 1)
        } else if let Some(l) = e.labour_standard.filter(|_| n.0 > 0.0) {
            (l / n.0, 2)
        } else if let Some(hist) =
            self.history
                .cycle_time(e.style.as_deref(), &e.date, false, ls.settings)
        {
            (hist, 3)
        } else {
            (ls.settings.default_cycle_time_hours / n.0.max(1.0), 4)
        };
        let r = match e.r {
            Some(r) => (r, 1),
            None => match e.downtime_total.or(self.facts.detail_downtime(e, n.0)) {
                Some(minutes) => ((h.0 - minutes / 60.0).max(0.0), 2),
                None => (h.0, 3),
            },
        };
        let d = match e.d {
            Some(d) => (d, 1),
            None => match self.facts.quality_defects.get(&(
                e.wo.clone(),
                e.date.clone(),
                e.shift.clone(),
            )) {
                Some(q) => (*q, 2),
                None => (0.0, 4),
            },
        };
        Resolved {
            h,
            n,
            labour,
            line,
            r,
            d,
        }
    }
}

/// Downtime minutes of an entry without downtime rows or a typed total (kpis.md §5.2 chain):
/// shift − recorded run time (3), else 0 (4), or 30 minutes where switched on (5).
pub fn chain_minutes(e: &Entry, h: f64, assume_30: bool) -> (f64, u8) {
    match e.r {
        Some(r) => (((h - r) * 60.0).max(0.0), 3),
        None if assume_30 => (30.0, 5),
        None => (0.0, 4),
    }
}
