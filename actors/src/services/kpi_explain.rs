//! GET /api/clients/{id}/kpis/{name}/explain (kpis.md §5.4): one KPI over a window with what it
//! was computed from — the script input, the formula in force (version, scope, source hash),
//! the settings version, and every input pair: how many were recorded or inferred per field and
//! strategy, and the inferred ones row by row. The value is computed by the same gatherers and
//! evaluation as GET kpis, so the two always agree.
use super::clients::visible_client;
use super::kpis::{EvalRequest, gather_all, no_data_default};
use crate::domain::Caller;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::kpi::chains;
use crate::kpi::inputs::{Filters, KpiInputs, Window};
use crate::kpi::provenance::{self, Noted, PairLog};
use crate::kpi::result::{KpiResult, level_score};
use crate::kpi::script::ScriptValue;
use crate::kpi::scripts::{self, CurrentScript};
use crate::store::idempotency::sha256_hex;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Explain {
    pub name: String,
    pub client_id: String,
    pub from: String,
    pub to: String,
    pub filters: ExplainFilters,
    pub formula_version: Option<i64>,
    /// `global` (the default script) or `client` (this client's override); null without a script.
    pub formula_scope: Option<&'static str>,
    pub formula: Option<Formula>,
    /// Version of the client settings in force at the end of the window (0 = built-in defaults).
    pub settings_version: i64,
    /// Exactly what the script was given (kpis.md §6.2).
    pub script_input: BTreeMap<String, ScriptValue>,
    /// The result object, identical to the KPI in GET …/kpis for the same window and filters.
    pub result: KpiResult,
    pub pairs: PairCounts,
    /// Per input field: pairs by inference level and strategy.
    pub fields: Vec<FieldSummary>,
    /// OEE only: its three components (value and confidence).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// The inferred pairs, row by row (at most 1 000).
    pub inferred: Vec<InferredPair>,
    /// True when more inferred pairs exist than are listed (`pairs.inferred` counts them all).
    pub truncated: bool,
}

#[derive(Debug, Serialize)]
pub struct ExplainFilters {
    pub shift: Option<String>,
    pub work_order_id: Option<String>,
    pub product_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Formula {
    pub kpi: String,
    pub version: i64,
    pub scope: &'static str,
    /// The client of an override; null for the global (default) script.
    pub client_id: Option<String>,
    /// SHA-256 of the script source, hex: tells two versions with the same text apart from edits.
    pub source_sha256: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PairCounts {
    pub total: u64,
    pub recorded: u64,
    pub inferred: u64,
}

#[derive(Debug, Serialize)]
pub struct FieldSummary {
    pub field: String,
    pub pairs: u64,
    pub recorded: u64,
    pub inferred: u64,
    pub levels: Vec<LevelCount>,
}

#[derive(Debug, Serialize)]
pub struct LevelCount {
    pub level: u8,
    pub score: f64,
    pub strategy: &'static str,
    pub description: &'static str,
    pub pairs: u64,
}

#[derive(Debug, Serialize)]
pub struct Component {
    pub name: &'static str,
    pub value: Option<f64>,
    pub confidence: f64,
}

#[derive(Debug, Serialize)]
pub struct InferredPair {
    pub record: String,
    pub field: String,
    pub value: serde_json::Value,
    pub level: u8,
    pub score: f64,
    pub strategy: &'static str,
    pub source: String,
}

/// What the read-pool step hands back.
struct Loaded {
    settings_version: i64,
    settings: serde_json::Value,
    inputs: Vec<(&'static str, KpiInputs)>,
    production_entries: i64,
    scripts: BTreeMap<&'static str, Option<CurrentScript>>,
}

const OEE_PARTS: [&str; 3] = ["availability", "performance", "quality_rate"];

impl Engine {
    pub async fn explain_kpi(
        &self,
        caller: &Caller,
        client_id: String,
        name: &'static str,
        window: Window,
        filters: Filters,
    ) -> Result<Explain, EngineError> {
        let (c2, id, f) = (caller.clone(), client_id.clone(), filters.clone());
        let loaded = self
            .read(move |c| {
                visible_client(c, &c2, &id)?;
                let g = provenance::recording(|| gather_all(c, &id, window, &f))?;
                let sv = g.settings;
                let mut scripts = BTreeMap::new();
                let needed: &[&'static str] = if name == "oee" {
                    &["availability", "performance", "quality_rate", "oee"]
                } else {
                    std::slice::from_ref(&name)
                };
                for n in needed {
                    scripts.insert(*n, scripts::effective(c, n, &id)?);
                }
                Ok(Loaded {
                    settings_version: sv.version,
                    settings: sv.settings,
                    inputs: g.inputs,
                    production_entries: g.production_entries,
                    scripts,
                })
            })
            .await?;
        let Loaded {
            settings_version,
            settings,
            mut inputs,
            production_entries,
            scripts,
        } = loaded;
        let mut take = |n: &str| {
            inputs
                .iter()
                .position(|(k, _)| *k == n)
                .map(|i| inputs.swap_remove(i))
                .expect("every KPI but OEE is gathered")
        };
        let eval = |n: &'static str, inp: KpiInputs, fallback| EvalRequest {
            name: n,
            client_id: &client_id,
            window,
            settings_doc: &settings,
            script: scripts.get(n).cloned().flatten(),
            inputs: inp,
            fallback,
        };
        let mut components = Vec::new();
        let (script_input, provenance, result) = if name == "oee" {
            let mut raw = BTreeMap::new();
            let mut log = PairLog::default();
            for part in OEE_PARTS {
                let (_, inp) = take(part);
                let p = inp.provenance.clone();
                if let Some(d) = &p.detail {
                    log.merge(d);
                }
                let (_, value) = self.timed_kpi(eval(part, inp, None)).await?;
                components.push(Component {
                    name: part,
                    value: value.map(|v| crate::kpi::cases::round_half_up(v, 2)),
                    confidence: crate::kpi::cases::round_half_up(p.confidence(), 2),
                });
                raw.insert(part, (value, p));
            }
            let mut oee = super::kpis::oee_inputs(&raw);
            let script_input = oee.input.clone();
            // The component pairs (OEE's own confidence is the mean of the components').
            oee.provenance.detail = Some(Box::new(log));
            let provenance = oee.provenance.clone();
            let (result, _) = self.timed_kpi(eval("oee", oee, None)).await?;
            (script_input, provenance, result)
        } else {
            let (_, inp) = take(name);
            let fallback = no_data_default(name, production_entries, &inp);
            let script_input = inp.input.clone();
            let provenance = inp.provenance.clone();
            let (result, _) = self.timed_kpi(eval(name, inp, fallback)).await?;
            (script_input, provenance, result)
        };
        let script = scripts.get(name).cloned().flatten();
        let formula = script.as_ref().map(|s| Formula {
            kpi: name.to_owned(),
            version: s.version,
            scope: s.scope,
            client_id: (s.scope == "client").then(|| client_id.clone()),
            source_sha256: sha256_hex(s.source.as_bytes()),
        });
        let log = provenance.detail.as_deref().cloned().unwrap_or_default();
        let (pairs, fields) = summarize(name, &log);
        Ok(Explain {
            name: name.to_owned(),
            client_id,
            from: window.from.to_string(),
            to: window.to.to_string(),
            filters: ExplainFilters {
                shift: filters.shift,
                work_order_id: filters.work_order_id,
                product_id: filters.product_id,
            },
            formula_version: script.as_ref().map(|s| s.version),
            formula_scope: script.as_ref().map(|s| s.scope),
            formula,
            settings_version,
            script_input,
            result,
            pairs,
            fields,
            components,
            inferred: log.items.iter().map(|n| inferred_pair(name, n)).collect(),
            truncated: log.dropped > 0,
        })
    }
}

fn inferred_pair(kpi: &str, n: &Noted) -> InferredPair {
    InferredPair {
        record: n.record.clone(),
        field: n.field.clone(),
        value: n.value.clone(),
        level: n.level,
        score: level_score(n.level),
        strategy: chains::strategy(chains::chain_key(&n.field, kpi), n.level).0,
        source: n.source.clone(),
    }
}

/// Pair counts overall and per field, levels ascending (field names as in `inferred_fields`).
fn summarize(kpi: &str, log: &PairLog) -> (PairCounts, Vec<FieldSummary>) {
    let mut fields: Vec<FieldSummary> = Vec::new();
    for ((field, level), n) in &log.levels {
        if fields.last().is_none_or(|f| &f.field != field) {
            fields.push(FieldSummary {
                field: field.clone(),
                pairs: 0,
                recorded: 0,
                inferred: 0,
                levels: Vec::new(),
            });
        }
        let f = fields.last_mut().expect("pushed above");
        let (strategy, description) = chains::strategy(chains::chain_key(field, kpi), *level);
        f.pairs += n;
        if *level == 1 {
            f.recorded += n;
        } else {
            f.inferred += n;
        }
        f.levels.push(LevelCount {
            level: *level,
            score: level_score(*level),
            strategy,
            description,
            pairs: *n,
        });
    }
    let counts = PairCounts {
        total: fields.iter().map(|f| f.pairs).sum(),
        recorded: fields.iter().map(|f| f.recorded).sum(),
        inferred: fields.iter().map(|f| f.inferred).sum(),
    };
    (counts, fields)
}

/// The confidence the counted pairs give (used by the test below to tie counts to the result).
#[cfg(test)]
fn confidence_of(fields: &[FieldSummary]) -> f64 {
    let (sum, n) = fields
        .iter()
        .flat_map(|f| &f.levels)
        .fold((0.0, 0u64), |(s, n), l| {
            (s + l.score * l.pairs as f64, n + l.pairs)
        });
    if n == 0 { 1.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::result::Provenance;

    #[test]
    fn summary_counts_pairs_per_field_and_level() {
        let mut p = Provenance::default();
        provenance::recording(|| {
            for (f, l) in [
                ("units_produced", 1),
                ("labour_standard", 3),
                ("employees_assigned", 1),
                ("shift_hours_scheduled", 3),
            ] {
                p.add(f, l);
            }
        });
        let log = p.detail.unwrap();
        let (counts, fields) = summarize("efficiency", &log);
        assert_eq!(
            counts,
            PairCounts {
                total: 4,
                recorded: 2,
                inferred: 2
            }
        );
        let labour = fields
            .iter()
            .find(|f| f.field == "labour_standard")
            .unwrap();
        assert_eq!(labour.levels[0].strategy, "history_avg");
        assert!(
            (confidence_of(&fields) - 0.85).abs() < 1e-12,
            "spec §5.3 example"
        );
    }
}
