//! Views built on `client_kpis` (and so on its per-client cache): one KPI as a series by shift,
//! day, ISO week or month (api.md §7), and the all-clients overview.
use super::kpis::{resolve_window, resolve_window_at};
use crate::domain::tz;
use crate::domain::{Caller, FieldError};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::kpi::inputs::{Filters, Window};
use crate::kpi::result::KpiResult;
use chrono::{Datelike, Days, NaiveDate};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Granularity {
    Shift,
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn parse(raw: Option<&str>) -> Result<Granularity, EngineError> {
        match raw.map(str::trim).unwrap_or("day") {
            "shift" => Ok(Granularity::Shift),
            "day" => Ok(Granularity::Day),
            "week" => Ok(Granularity::Week),
            "month" => Ok(Granularity::Month),
            _ => Err(EngineError::field(
                "granularity",
                "must be one of: shift, day, week, month",
            )),
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Granularity::Shift => "shift",
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SeriesPoint {
    pub period: String,
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub result: KpiResult,
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub name: String,
    pub client_id: String,
    pub from: String,
    pub to: String,
    pub granularity: &'static str,
    pub series: Vec<SeriesPoint>,
    pub overall: KpiResult,
}

#[derive(Debug, Serialize)]
pub struct OverviewClient {
    pub client_id: String,
    pub client_name: String,
    /// The client's window: defaults follow its time zone.
    pub from: String,
    pub to: String,
    pub kpis: std::collections::BTreeMap<String, KpiResult>,
}

#[derive(Debug, Serialize)]
pub struct Overview {
    pub from: String,
    pub to: String,
    pub clients: Vec<OverviewClient>,
}

/// KPIs that carry no shift attribute cannot be split by shift (kpis.md §1).
fn has_shift(kpi: &str) -> bool {
    !matches!(kpi, "wip_aging" | "otd" | "true_otd" | "rty")
}

/// The periods of a window, clipped to it: (label, from, to, shift filter).
pub fn periods(
    w: Window,
    g: Granularity,
) -> Vec<(String, NaiveDate, NaiveDate, Option<&'static str>)> {
    let mut out = Vec::new();
    let mut day = w.from;
    while day <= w.to {
        let (label, end) = match g {
            Granularity::Day | Granularity::Shift => (day.to_string(), day),
            Granularity::Week => {
                let iso = day.iso_week();
                let sunday = day + Days::new(6 - u64::from(day.weekday().num_days_from_monday()));
                (
                    format!("{}-W{:02}", iso.year(), iso.week()),
                    sunday.min(w.to),
                )
            }
            Granularity::Month => {
                let next = if day.month() == 12 {
                    NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)
                }
                .expect("valid month start");
                (
                    format!("{}-{:02}", day.year(), day.month()),
                    (next - Days::new(1)).min(w.to),
                )
            }
        };
        if g == Granularity::Shift {
            for shift in crate::resources::defs::SHIFT_TYPES {
                out.push((format!("{label}/{shift}"), day, end, Some(*shift)));
            }
        } else {
            out.push((label, day, end, None));
        }
        day = end + Days::new(1);
    }
    out
}

/// Overview clients computed at once: the read pool's connections.
const OVERVIEW_PARALLEL: usize = 4;

impl Engine {
    /// GET /api/clients/{id}/kpis/{name}: one KPI per period plus the whole window.
    pub async fn kpi_series(
        &self,
        caller: &Caller,
        client_id: String,
        name: String,
        window: Window,
        granularity: Granularity,
        filters: Filters,
    ) -> Result<Series, EngineError> {
        if !crate::kpi::KPI_NAMES.contains(&name.as_str()) {
            return Err(EngineError::NotFound(format!("KPI {name}")));
        }
        if granularity == Granularity::Shift && !has_shift(&name) {
            return Err(EngineError::Invalid {
                code: "granularity_not_applicable",
                message: format!("{name} has no shift attribute; use day, week or month"),
                details: vec![FieldError::new(
                    "granularity",
                    "shift is not applicable to this KPI",
                )],
            });
        }
        let overall = self
            .client_kpis(caller, client_id.clone(), window, filters.clone())
            .await?;
        let mut series = Vec::new();
        for (period, from, to, shift) in periods(window, granularity) {
            let f = Filters {
                shift: shift.map(str::to_owned).or(filters.shift.clone()),
                ..filters.clone()
            };
            if shift.is_some() && filters.shift.as_deref().is_some_and(|s| Some(s) != shift) {
                continue;
            }
            let point = self
                .client_kpis(
                    caller,
                    client_id.clone(),
                    Window {
                        from,
                        to,
                        today: window.today,
                    },
                    f,
                )
                .await?;
            let result = point
                .kpis
                .get(&name)
                .cloned()
                .ok_or_else(|| EngineError::not_found(format!("KPI {name}")))?;
            series.push(SeriesPoint {
                period,
                from: from.to_string(),
                to: to.to_string(),
                result,
            });
        }
        let overall = overall
            .kpis
            .get(&name)
            .cloned()
            .ok_or_else(|| EngineError::not_found(format!("KPI {name}")))?;
        Ok(Series {
            name,
            client_id,
            from: window.from.to_string(),
            to: window.to.to_string(),
            granularity: granularity.as_str(),
            series,
            overall,
        })
    }

    /// GET /api/kpis/overview: every visible active client, ordered by client name; a missing
    /// `from`/`to` defaults per client's time zone (the top-level from/to use UTC).
    pub async fn kpi_overview(
        &self,
        caller: &Caller,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Overview, EngineError> {
        let window = resolve_window(from, to)?;
        let clients = self.list_clients(caller, false).await?;
        // Clients whose cached KPIs are stale recompute side by side on the read pool (as many
        // at once as it has connections), in client order.
        let out: Vec<OverviewClient> = stream::iter(clients)
            .map(|c| async move {
                let text = |k: &str| {
                    c.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let (id, name) = (text("client_id"), text("client_name"));
                let zone = c.get("timezone").and_then(Value::as_str).unwrap_or("UTC");
                let own = resolve_window_at(from, to, tz::today_in(zone))?;
                let k = self
                    .client_kpis(caller, id.clone(), own, Filters::default())
                    .await?;
                Ok::<_, EngineError>(OverviewClient {
                    client_id: id,
                    client_name: name,
                    from: own.from.to_string(),
                    to: own.to.to_string(),
                    kpis: k.kpis.clone(),
                })
            })
            .buffered(OVERVIEW_PARALLEL)
            .try_collect()
            .await?;
        Ok(Overview {
            from: window.from.to_string(),
            to: window.to.to_string(),
            clients: out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_are_clipped_to_the_window() {
        let w = Window {
            from: d("2025-12-10"),
            to: d("2026-01-05"),
            today: d("2026-01-05"),
        };
        let weeks = periods(w, Granularity::Week);
        assert_eq!(
            weeks.first().map(|p| (p.0.as_str(), p.1, p.2)),
            Some(("2025-W50", d("2025-12-10"), d("2025-12-14")))
        );
        assert_eq!(
            weeks.last().map(|p| (p.0.as_str(), p.2)),
            Some(("2026-W02", d("2026-01-05")))
        );
        let months = periods(w, Granularity::Month);
        assert_eq!(
            months.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
            vec!["2025-12", "2026-01"]
        );
        assert_eq!(months[0].2, d("2025-12-31"));
        assert_eq!(periods(w, Granularity::Day).len(), 27);
        let shifts = periods(
            Window {
                from: d("2025-12-15"),
                to: d("2025-12-15"),
                today: d("2025-12-15"),
            },
            Granularity::Shift,
        );
        assert_eq!(shifts[0].0, "2025-12-15/SHIFT_1ST");
        assert_eq!(shifts.len(), 5);
    }
}
