//! GET /api/clients/{id}/kpis: gathers inputs on the read pool, evaluates each KPI's script
//! on the KPI actor, assembles result objects. Computed KPIs so far: efficiency, performance.
use super::clients::visible_client;
use crate::domain::Caller;
use crate::domain::time::{parse_day, today_utc};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::kpi::actor::Evaluate;
use crate::kpi::as_of::AsOf;
use crate::kpi::inputs::{Filters, KpiInputs, Window};
use crate::kpi::provenance::Note;
use crate::kpi::result::{Assemble, KpiResult, KpiWarning, Provenance, assemble};
use crate::kpi::script::EvalContext;
use crate::kpi::script::ScriptValue;
use crate::kpi::scripts::{self, CurrentScript};
use crate::kpi::{attendance, orders, production, quality};
use crate::store::settings::SettingsVersion;
use crate::tenant::{KpiKey, KpiLookup};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// The KPIs this build computes (the other names of kpis.md arrive with the KPI engine issue).
/// Every KPI of kpis.md, in the order they are evaluated (OEE last: it combines three others).
pub const COMPUTED: [&str; 15] = crate::kpi::KPI_NAMES;

/// One KPI evaluation: its inputs, the script in force and an optional dataset default.
pub(super) struct EvalRequest<'a> {
    pub name: &'static str,
    pub client_id: &'a str,
    pub window: Window,
    pub settings_doc: &'a Value,
    pub script: Option<CurrentScript>,
    pub inputs: KpiInputs,
    /// Value used when the script answers "no data" but a documented default applies.
    pub fallback: Option<f64>,
}

/// What one request gathers on the read pool: inputs per KPI (in evaluation order).
pub(super) struct Gathered {
    pub inputs: Vec<(&'static str, KpiInputs)>,
    /// Production entries in the window: absenteeism defaults to 0 % only when there are some.
    pub production_entries: i64,
    /// The settings version of targets and statuses (in force at the end of the period).
    pub settings: SettingsVersion,
}

pub(super) fn gather_all(
    c: &rusqlite::Connection,
    client: &str,
    window: Window,
    f: &Filters,
) -> Result<Gathered, EngineError> {
    // Standards and settings resolve per row at its as-of time (domain.md §8); targets and
    // statuses use the version in force at the end of the period.
    let as_of = AsOf::load(c, client)?;
    let settings = as_of.period_settings(window.to);
    let p = production::gather(c, client, window, f, &as_of)?;
    let q = quality::gather(c, client, window, f, &as_of)?;
    let o = orders::gather(c, client, window, f, &as_of)?;
    let mut absenteeism = attendance::gather(c, client, window, f, &as_of)?;
    let production_entries = match p.efficiency.input.get("entries") {
        Some(ScriptValue::Int(n)) => *n,
        _ => 0,
    };
    if matches!(
        absenteeism.input.get("attendance_rows"),
        Some(ScriptValue::Int(0))
    ) && production_entries > 0
    {
        absenteeism.provenance.add_noted("attendance", 4, || Note {
            record: format!("clients/{client}"),
            value: Value::from(0),
            source: "no attendance rows in a window with production entries".into(),
        });
    }
    let inputs = vec![
        ("wip_aging", o.wip_aging),
        ("otd", o.otd),
        ("true_otd", o.true_otd),
        ("efficiency", p.efficiency),
        ("performance", p.performance),
        ("availability", p.availability),
        ("quality_rate", p.quality_rate),
        ("ppm", q.ppm),
        ("dpmo", q.dpmo),
        ("fpy", q.fpy),
        ("rty", o.rty),
        ("rty_stages", q.rty_stages),
        ("absenteeism", absenteeism),
        ("production_hours", p.production_hours),
    ];
    Ok(Gathered {
        inputs,
        production_entries,
        settings,
    })
}

#[derive(Debug, Serialize)]
pub struct KpisResponse {
    pub client_id: String,
    pub from: String,
    pub to: String,
    pub kpis: BTreeMap<String, KpiResult>,
}

fn invalid(code: &'static str, field: &str, message: &str) -> EngineError {
    EngineError::Invalid {
        code,
        message: message.into(),
        details: vec![crate::domain::FieldError::new(field, message)],
    }
}

/// Window rules with today in UTC (see `resolve_window_at`).
pub fn resolve_window(from: Option<&str>, to: Option<&str>) -> Result<Window, EngineError> {
    resolve_window_at(from, to, today_utc())
}

/// Window rules (api.md §7 + clarifications): only `from` → to = min(from + 29, today); only
/// `to` → from = to − 29; neither → the 30 days ending today; at most 366 days inclusive.
/// `today` is the client's (its time zone, `Engine::client_today`).
pub fn resolve_window_at(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<Window, EngineError> {
    let parse = |name: &str, v: Option<&str>| match v {
        None => Ok(None),
        Some(raw) => parse_day(raw)
            .map(Some)
            .ok_or_else(|| EngineError::Invalid {
                code: "validation_failed",
                message: format!("{name} must be a date"),
                details: vec![crate::domain::FieldError::new(
                    name,
                    "Invalid date format (use YYYY-MM-DD)",
                )],
            }),
    };
    let (from, to) = match (parse("from", from)?, parse("to", to)?) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, (f + Days::new(29)).min(today).max(f)),
        (None, Some(t)) => (t - Days::new(29), t),
        (None, None) => (today - Days::new(29), today),
    };
    if to < from {
        return Err(invalid("invalid_range", "to", "to must not be before from"));
    }
    if (to - from).num_days() + 1 > 366 {
        return Err(invalid(
            "range_too_large",
            "to",
            "a KPI window is at most 366 days",
        ));
    }
    Ok(Window { from, to, today })
}

impl Engine {
    /// All KPIs of a client over a window, from the client's tenant actor while no write to the
    /// client (or global change) happened since they were computed. A miss computes on the read
    /// pool and hands the result to the tenant actor; concurrent misses of one key compute once.
    pub async fn client_kpis(
        &self,
        caller: &Caller,
        client_id: String,
        window: Window,
        filters: Filters,
    ) -> Result<Arc<KpisResponse>, EngineError> {
        // Read the generation first: a write committed after this point invalidates what follows.
        let generation = self.inner.writer.generations().of(&client_id);
        let tenants = &self.inner.tenants;
        // A foreign caller never sees a cached answer: it computes and gets its 403/404.
        let ticket = if caller.scope.can_read(&client_id) {
            let key = KpiKey {
                from: window.from.to_string(),
                to: window.to.to_string(),
                shift: filters.shift.clone(),
                work_order_id: filters.work_order_id.clone(),
                product_id: filters.product_id.clone(),
                today: window.today.to_string(),
            };
            match tenants.lookup_kpis(&client_id, key, generation).await {
                KpiLookup::Hit(hit) => {
                    self.metrics().kpi_cache.with_label_values(&["hit"]).inc();
                    return Ok(hit);
                }
                KpiLookup::Miss(ticket) => Some(ticket),
            }
        } else {
            None
        };
        self.metrics().kpi_cache.with_label_values(&["miss"]).inc();
        let fresh = Arc::new(
            self.compute_kpis(caller, client_id.clone(), window, filters)
                .await?,
        );
        if let Some(ticket) = ticket {
            tenants.store_kpis(&client_id, ticket, fresh.clone()).await;
        }
        Ok(fresh)
    }

    async fn compute_kpis(
        &self,
        caller: &Caller,
        client_id: String,
        window: Window,
        filters: Filters,
    ) -> Result<KpisResponse, EngineError> {
        let c2 = caller.clone();
        let id = client_id.clone();
        let f = filters.clone();
        let (gathered, settings_doc, scripts) = self
            .read(move |c| {
                visible_client(c, &c2, &id)?;
                let mut gathered = gather_all(c, &id, window, &f)?;
                let s = std::mem::take(&mut gathered.settings.settings);
                let mut scripts = BTreeMap::new();
                for name in COMPUTED {
                    scripts.insert(name, scripts::effective(c, name, &id)?);
                }
                Ok((gathered, s, scripts))
            })
            .await?;
        let mut kpis = BTreeMap::new();
        let mut raw: BTreeMap<&str, (Option<f64>, Provenance)> = BTreeMap::new();
        for (name, inp) in gathered.inputs {
            let script = scripts.get(name).cloned().flatten();
            let provenance = inp.provenance.clone();
            let fallback = no_data_default(name, gathered.production_entries, &inp);
            let (result, value) = self
                .timed_kpi(EvalRequest {
                    name,
                    client_id: &client_id,
                    window,
                    settings_doc: &settings_doc,
                    script,
                    inputs: inp,
                    fallback,
                })
                .await?;
            raw.insert(name, (value, provenance));
            kpis.insert(name.to_owned(), result);
        }
        let oee = oee_inputs(&raw);
        let script = scripts.get("oee").cloned().flatten();
        let (result, _) = self
            .timed_kpi(EvalRequest {
                name: "oee",
                client_id: &client_id,
                window,
                settings_doc: &settings_doc,
                script,
                inputs: oee,
                fallback: None,
            })
            .await?;
        kpis.insert("oee".to_owned(), result);
        Ok(KpisResponse {
            client_id,
            from: window.from.to_string(),
            to: window.to.to_string(),
            kpis,
        })
    }

    /// Evaluates one KPI and records its latency; returns the result and the unrounded value.
    pub(super) async fn timed_kpi(
        &self,
        req: EvalRequest<'_>,
    ) -> Result<(KpiResult, Option<f64>), EngineError> {
        let started = Instant::now();
        let name = req.name;
        let out = self.evaluate_kpi(req).await?;
        self.metrics()
            .kpi_eval
            .with_label_values(&[name])
            .observe(started.elapsed().as_secs_f64());
        Ok(out)
    }

    async fn evaluate_kpi(
        &self,
        req: EvalRequest<'_>,
    ) -> Result<(KpiResult, Option<f64>), EngineError> {
        let EvalRequest {
            name,
            client_id,
            window,
            settings_doc,
            script,
            inputs,
            fallback,
        } = req;
        let target = settings_doc["targets"][name].as_f64();
        let display_cap = settings_doc["display_caps"][name].as_f64();
        let mut warnings = inputs.warnings;
        let (value, version, script_warned, details) = match script {
            None => {
                warnings.push(KpiWarning::new(
                    "script_error",
                    "high",
                    format!("no formula script is installed for {name}"),
                ));
                (None, None, true, Map::new())
            }
            Some(script) => {
                let ctx = EvalContext {
                    kpi: name.to_owned(),
                    client_id: client_id.to_owned(),
                    from: window.from.to_string(),
                    to: window.to.to_string(),
                    settings: settings_doc.clone(),
                };
                let msg = Evaluate {
                    kpi: name.to_owned(),
                    client_id: client_id.to_owned(),
                    version: script.version,
                    source: script.source.clone(),
                    ctx,
                    input: inputs.input,
                };
                match self.inner.kpi.evaluate(msg).await? {
                    Ok(out) => {
                        let warned = !out.warnings.is_empty();
                        warnings.extend(out.warnings.into_iter().map(|w| KpiWarning {
                            code: w.code,
                            priority: w.priority,
                            message: w.message,
                            count: None,
                        }));
                        (out.value, Some(script.version), warned, out.details)
                    }
                    Err(failure) => {
                        let d = &failure.diagnostic;
                        warnings.push(KpiWarning::new(
                            "script_error",
                            "high",
                            format!("{}:{}: {}", d.line, d.column, d.message),
                        ));
                        (None, Some(script.version), true, Map::new())
                    }
                }
            }
        };
        // A dataset default (absenteeism without attendance) stands in for "no data".
        let value = match (value, fallback) {
            (None, Some(v)) if version.is_some() && !script_warned => {
                warnings.push(KpiWarning::new(
                    "no_attendance_data",
                    "normal",
                    "No attendance recorded: 0 % assumed",
                ));
                Some(v)
            }
            (v, _) => v,
        };
        Ok((
            assemble(Assemble {
                kpi: name,
                value,
                target,
                display_cap,
                provenance: &inputs.provenance,
                warnings,
                script_warned,
                formula_version: version,
                details,
            }),
            value,
        ))
    }
}

/// No attendance at all in a period with production: absenteeism 0 %, estimated (§4.14).
pub(super) fn no_data_default(name: &str, production_entries: i64, inp: &KpiInputs) -> Option<f64> {
    (name == "absenteeism"
        && production_entries > 0
        && matches!(inp.input.get("attendance_rows"), Some(ScriptValue::Int(0))))
    .then_some(0.0)
}

/// What `client_kpis` gathers for one client and window, without evaluating anything: the
/// settings in force and each KPI's inputs (OEE excluded: it combines other KPIs' values) with
/// its "no data" default. The formula back-test (`services::scripts`) evaluates drafts on it.
pub(crate) struct WindowInputs {
    pub settings: Value,
    pub inputs: Vec<(&'static str, KpiInputs, Option<f64>)>,
}

pub(crate) fn window_inputs(
    c: &rusqlite::Connection,
    client: &str,
    window: Window,
) -> Result<WindowInputs, EngineError> {
    let gathered = gather_all(c, client, window, &Filters::default())?;
    let settings = gathered.settings.settings;
    let entries = gathered.production_entries;
    let inputs = gathered
        .inputs
        .into_iter()
        .map(|(name, inp)| {
            let fallback = no_data_default(name, entries, &inp);
            (name, inp, fallback)
        })
        .collect();
    Ok(WindowInputs { settings, inputs })
}

/// OEE combines the unrounded component values as fractions (kpis.md §4.8); its confidence is
/// the mean of the components' confidences, its inferred fields their union.
pub(crate) fn oee_inputs(raw: &BTreeMap<&str, (Option<f64>, Provenance)>) -> KpiInputs {
    let mut inputs = KpiInputs::default();
    let mut provenance = Provenance::default();
    for name in ["availability", "performance", "quality_rate"] {
        let (value, p) = raw.get(name).cloned().unwrap_or_default();
        inputs.input.insert(
            name.into(),
            value.map_or(ScriptValue::Unit, |v| ScriptValue::Float(v / 100.0)),
        );
        provenance.score_sum += p.confidence();
        provenance.pairs += 1;
        provenance.level_max = provenance.level_max.max(p.level_max);
        provenance.inferred.extend(p.inferred);
    }
    inputs.provenance = provenance;
    inputs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rules() {
        let w = resolve_window(Some("2025-01-01"), Some("2025-01-31")).unwrap();
        assert_eq!(
            (w.from.to_string(), w.to.to_string()),
            ("2025-01-01".into(), "2025-01-31".into())
        );
        let w = resolve_window(None, Some("2025-01-30")).unwrap();
        assert_eq!(w.from.to_string(), "2025-01-01");
        let w = resolve_window(Some("2025-01-01"), None).unwrap();
        assert_eq!(w.to.to_string(), "2025-01-30");
        assert!(matches!(
            resolve_window(Some("2025-02-01"), Some("2025-01-01")),
            Err(EngineError::Invalid {
                code: "invalid_range",
                ..
            })
        ));
        assert!(
            resolve_window(Some("2024-01-01"), Some("2024-12-31")).is_ok(),
            "366 days of a leap year"
        );
        assert!(matches!(
            resolve_window(Some("2024-01-01"), Some("2025-01-01")),
            Err(EngineError::Invalid {
                code: "range_too_large",
                ..
            })
        ));
        assert!(resolve_window(Some("nope"), None).is_err());
    }
}
