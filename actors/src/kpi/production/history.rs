//! History strategies (kpis.md §5.2): averages over recorded rows of the `history_days` before a
//! row's date, needing `min_history_points` rows. Cycle times are always hours per unit.
use super::rows::HistoryRow;
use crate::kpi::inputs::InferenceSettings;
use chrono::{Days, NaiveDate};

/// History rows loaded back to the longest `history_days` of any settings version; each lookup
/// uses the settings in force for the row being resolved.
pub struct History<'a> {
    pub rows: &'a [HistoryRow],
}

impl History<'_> {
    fn window<'b>(
        &'b self,
        date: &'b str,
        s: &InferenceSettings,
    ) -> impl Iterator<Item = &'b HistoryRow> + 'b {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap_or_default();
        let start = (d - Days::new(s.history_days)).to_string();
        self.rows
            .iter()
            .filter(move |r| r.date.as_str() >= start.as_str() && r.date.as_str() < date)
    }

    /// Σ(r·n) ÷ Σu (labour) or Σr ÷ Σu (line) over recorded rows of the same style.
    pub fn cycle_time(
        &self,
        style: Option<&str>,
        date: &str,
        labour: bool,
        s: &InferenceSettings,
    ) -> Option<f64> {
        let style = style?;
        let rows: Vec<&HistoryRow> = self
            .window(date, s)
            .filter(|r| {
                r.style.as_deref() == Some(style)
                    && r.u > 0.0
                    && r.r.is_some()
                    && (!labour || r.n.is_some())
            })
            .collect();
        if rows.len() < s.min_history_points {
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
    pub fn employees(&self, shift: &str, date: &str, s: &InferenceSettings) -> Option<f64> {
        let vals: Vec<f64> = self
            .window(date, s)
            .filter(|r| r.shift == shift)
            .filter_map(|r| r.n)
            .collect();
        (vals.len() >= s.min_history_points).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
    }
}
