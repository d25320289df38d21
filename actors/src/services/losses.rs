//! GET /api/clients/{id}/losses (kpis.md §4.16, api.md §7): the money view of losses —
//! downtime, speed and defects, grouped by shift type and by product — from the same gathering
//! as the production KPIs. Computed only when `costs.labour_cost_per_hour` is set.
use super::clients::visible_client;
use crate::domain::Caller;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::kpi::as_of::AsOf;
use crate::kpi::cases::round_half_up;
use crate::kpi::inputs::{Filters, Window};
use crate::kpi::production::{self, losses::LossTerms};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LossItem {
    pub category: &'static str,
    pub group_by: &'static str,
    pub group: String,
    pub amount: f64,
    pub estimated: bool,
}

#[derive(Debug, Serialize)]
pub struct LossesResponse {
    pub client_id: String,
    pub from: String,
    pub to: String,
    pub currency: Option<String>,
    pub items: Vec<LossItem>,
    /// The 5 largest items of the product grouping (clarification), amount > 0.
    pub top: Vec<LossItem>,
}

/// Costs of the settings in force at the end of the period.
struct Costs {
    currency: String,
    labour: f64,
    scrap: Option<f64>,
}

fn costs(settings: &serde_json::Value) -> Option<Costs> {
    let c = &settings["costs"];
    let labour = c["labour_cost_per_hour"].as_f64().filter(|x| *x >= 0.0)?;
    Some(Costs {
        currency: c["currency"].as_str().unwrap_or("USD").to_owned(),
        labour,
        scrap: c["scrap_cost_per_unit"].as_f64().filter(|x| *x >= 0.0),
    })
}

/// The items of one grouping: downtime, speed and (with a scrap cost) defects per group.
fn items(group_by: &'static str, groups: &BTreeMap<String, LossTerms>, c: &Costs) -> Vec<LossItem> {
    let mut out = Vec::new();
    for (group, t) in groups {
        let speed_hours = (t.scheduled_hours - t.standard_hours - t.downtime_crew_hours).max(0.0);
        let mut push = |category, amount: f64| {
            out.push(LossItem {
                category,
                group_by,
                group: group.clone(),
                amount: round_half_up(amount, 2),
                estimated: t.estimated,
            })
        };
        push("downtime", t.lost_person_hours * c.labour);
        push("speed", speed_hours * c.labour);
        if let Some(scrap) = c.scrap {
            push("defects", t.defective_units * scrap);
        }
    }
    out
}

impl Engine {
    pub async fn client_losses(
        &self,
        caller: &Caller,
        client_id: String,
        window: Window,
    ) -> Result<LossesResponse, EngineError> {
        let (c2, id) = (caller.clone(), client_id.clone());
        let gathered = self
            .read(move |c| {
                visible_client(c, &c2, &id)?;
                let as_of = AsOf::load(c, &id)?;
                let settings = as_of.period_settings(window.to).settings;
                let Some(costs) = costs(&settings) else {
                    return Ok(None);
                };
                let p = production::gather(c, &id, window, &Filters::default(), &as_of)?;
                Ok(Some((costs, p.losses)))
            })
            .await?;
        let (currency, items, top) = match gathered {
            None => (None, Vec::new(), Vec::new()),
            Some((c, losses)) => {
                let by_product = items("product_id", &losses.by_product, &c);
                let mut top: Vec<LossItem> = by_product
                    .iter()
                    .filter(|i| i.amount > 0.0)
                    .cloned()
                    .collect();
                top.sort_by(|a, b| b.amount.total_cmp(&a.amount));
                top.truncate(5);
                let mut all = items("shift_type", &losses.by_shift, &c);
                all.extend(by_product);
                (Some(c.currency), all, top)
            }
        };
        Ok(LossesResponse {
            client_id,
            from: window.from.to_string(),
            to: window.to.to_string(),
            currency,
            items,
            top,
        })
    }
}
