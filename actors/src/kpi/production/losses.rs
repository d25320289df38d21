//! The hour and unit terms of the money view of losses (kpis.md §4.16), collected in the same
//! pass as the production KPIs, per shift type and per product. By product only entry-level
//! terms count (clarification): idle floaters, uncovered absences and downtime rows without a
//! matching entry belong to a line-shift, not to a product.
use super::facts::WindowFacts;
use super::resolve::{Resolved, chain_minutes};
use super::rows::Entry;
use std::collections::{BTreeMap, HashSet};

/// The terms of one group (a shift type or a product).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LossTerms {
    /// The efficiency denominator's share: Σ n·h (+ idle floater − uncovered absence hours by shift).
    pub scheduled_hours: f64,
    /// Σ u·L.
    pub standard_hours: f64,
    /// Σ (m ÷ 60)·n: downtime as whole-crew hours (the speed loss leaves it out).
    pub downtime_crew_hours: f64,
    /// Lost person-hours as in availability (§4.6), on every shift.
    pub lost_person_hours: f64,
    /// Σ d.
    pub defective_units: f64,
    /// Any input of the group inferred.
    pub estimated: bool,
}

#[derive(Debug, Default)]
pub struct Losses {
    pub by_shift: BTreeMap<String, LossTerms>,
    pub by_product: BTreeMap<String, LossTerms>,
    /// Downtime detail rows already counted (once per work order line-shift).
    used: HashSet<(String, String, String)>,
}

impl Losses {
    /// One selected output entry, on any shift.
    pub fn entry(&mut self, facts: &WindowFacts, e: &Entry, v: &Resolved, assume_30: bool) {
        let (n, h) = (v.n.0, v.h.0);
        let key = (e.wo.clone(), e.date.clone(), e.shift.clone());
        let (minutes, lost, downtime_level) = match facts.downtime.get(&key) {
            Some(rows) => {
                let minutes: f64 = rows.iter().map(|(m, _)| m).sum();
                let lost = if self.used.insert(key) {
                    rows.iter()
                        .map(|(m, affected)| m / 60.0 * affected.map_or(n, |x| x as f64))
                        .sum()
                } else {
                    0.0
                };
                (minutes, lost, 1)
            }
            None => match e.downtime_total {
                Some(t) => (t, t / 60.0 * n, 1),
                None => {
                    let (m, level) = chain_minutes(e, h, assume_30);
                    (m, m / 60.0 * n, level)
                }
            },
        };
        let estimated = [v.n.1, v.h.1, v.labour.1, v.d.1, downtime_level]
            .iter()
            .any(|l| *l > 1);
        let terms = LossTerms {
            scheduled_hours: n * h,
            standard_hours: e.u * v.labour.0,
            downtime_crew_hours: minutes / 60.0 * n,
            lost_person_hours: lost,
            defective_units: v.d.0,
            estimated,
        };
        add(self.by_shift.entry(e.shift.clone()).or_default(), &terms);
        let product = e
            .product_id
            .clone()
            .unwrap_or_else(|| "(no product)".into());
        add(self.by_product.entry(product).or_default(), &terms);
    }

    /// Line-shift terms of the efficiency denominator (shift grouping only).
    pub fn line_shift(&mut self, shift: &str, floater_hours: f64, absence_hours: f64) {
        let g = self.by_shift.entry(shift.to_owned()).or_default();
        g.scheduled_hours += floater_hours - absence_hours;
    }

    /// Lost person-hours of downtime rows without a matching entry (shift grouping only).
    pub fn orphan_downtime(&mut self, shift: &str, lost_person_hours: f64, estimated: bool) {
        let g = self.by_shift.entry(shift.to_owned()).or_default();
        g.lost_person_hours += lost_person_hours;
        g.estimated |= estimated;
    }
}

fn add(into: &mut LossTerms, t: &LossTerms) {
    into.scheduled_hours += t.scheduled_hours;
    into.standard_hours += t.standard_hours;
    into.downtime_crew_hours += t.downtime_crew_hours;
    into.lost_person_hours += t.lost_person_hours;
    into.defective_units += t.defective_units;
    into.estimated |= t.estimated;
}
