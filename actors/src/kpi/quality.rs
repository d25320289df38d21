//! Inputs of the quality KPIs — ppm (§4.9), dpmo (§4.10), fpy (§4.11), rty_stages (§4.13) —
//! from the window's QUALITY_ENTRY rows, with the chains of §5.2 for units_defective,
//! units_passed, total_defects_count and opportunities_per_unit.
use super::as_of::AsOf;
use super::chains;
use super::inputs::{Filters, InferenceSettings, KpiInputs, Window};
use super::provenance::Note;
use super::script::ScriptValue;
use crate::store::{StoreError, standards};
use rusqlite::{Connection, params};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Default)]
pub struct QualityInputs {
    pub ppm: KpiInputs,
    pub dpmo: KpiInputs,
    pub fpy: KpiInputs,
    pub rty_stages: KpiInputs,
}

struct QualityRow {
    id: String,
    stage: String,
    inspected: f64,
    passed: Option<f64>,
    defective: Option<f64>,
    defects: Option<f64>,
    detail_rows: f64,
    part_number: Option<String>,
    /// The work order's closed_at: the as-of time of the part standard (None = open: now).
    closed_at: Option<String>,
    date: String,
}

fn load_rows(
    c: &Connection,
    client: &str,
    w: Window,
    f: &Filters,
) -> Result<Vec<QualityRow>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT q.operation_checked, q.units_inspected, q.units_passed, q.units_defective, q.total_defects_count, \
                (SELECT count(*) FROM defect_details d WHERE d.quality_entry_id = q.quality_entry_id AND d.is_active = 1), \
                coalesce(j.part_number, pr.part_number), q.quality_entry_id, wo.closed_at, q.shift_date \
         FROM quality_entries q JOIN work_orders wo ON wo.work_order_id = q.work_order_id \
         LEFT JOIN jobs j ON j.job_id = q.job_id AND j.is_active = 1 \
         LEFT JOIN products pr ON pr.product_id = wo.product_id AND pr.is_active = 1 \
         WHERE q.client_id = ?1 AND q.is_active = 1 AND q.shift_date BETWEEN ?2 AND ?3 \
           AND (?4 IS NULL OR q.shift_type = ?4) AND (?5 IS NULL OR q.work_order_id = ?5) AND (?6 IS NULL OR wo.product_id = ?6)",
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
            Ok(QualityRow {
                id: r.get(7)?,
                stage: r.get(0)?,
                inspected: r.get::<_, i64>(1)? as f64,
                passed: r.get::<_, Option<i64>>(2)?.map(|x| x as f64),
                defective: r.get::<_, Option<i64>>(3)?.map(|x| x as f64),
                defects: r.get::<_, Option<i64>>(4)?.map(|x| x as f64),
                detail_rows: r.get::<_, i64>(5)? as f64,
                part_number: r.get(6)?,
                closed_at: r.get(8)?,
                date: r.get(9)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The client's part master: part_number → opportunities_per_unit (current values).
fn load_parts(c: &Connection, client: &str) -> Result<HashMap<String, f64>, StoreError> {
    let mut stmt = c.prepare_cached("SELECT part_number, opportunities_per_unit FROM part_opportunities WHERE client_id = ? AND is_active = 1")?;
    let rows = stmt.query_map([client], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as f64))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The part master of a row tied to a closed work order (domain.md §8): each part's
/// opportunities_per_unit as of the order's closed_at (parts without history keep their
/// current value). Open orders use the current master as is.
fn parts_as_of(
    client: &str,
    parts: &HashMap<String, f64>,
    versions: &[standards::Version],
    closed_at: &str,
) -> HashMap<String, f64> {
    parts
        .iter()
        .filter_map(|(part, current)| {
            standards::number_as_of(
                versions,
                &format!("{client}.{part}"),
                "opportunities_per_unit",
                Some(closed_at),
                Some(*current),
            )
            .map(|o| (part.clone(), o))
        })
        .collect()
}

/// opportunities_per_unit chain: part master (1) → client default (2) → mean of the client's
/// parts sharing the first 4 characters (3) → 1 (4, `dpmo_equals_ppm`).
fn opportunities(
    part: Option<&str>,
    parts: &HashMap<String, f64>,
    client_default: Option<f64>,
) -> (f64, u8) {
    if let Some(o) = part.and_then(|p| parts.get(p)) {
        return (*o, 1);
    }
    if let Some(d) = client_default {
        return (d, 2);
    }
    if let Some(prefix) = part.and_then(|p| p.get(..4)) {
        let similar: Vec<f64> = parts
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| *v)
            .collect();
        if !similar.is_empty() {
            return (similar.iter().sum::<f64>() / similar.len() as f64, 3);
        }
    }
    (1.0, 4)
}

pub fn gather(
    c: &Connection,
    client: &str,
    w: Window,
    f: &Filters,
    as_of: &AsOf,
) -> Result<QualityInputs, StoreError> {
    let rows = load_rows(c, client, w, f)?;
    let parts = load_parts(c, client)?;
    let part_versions = standards::versions(c, client, "PART_OPPORTUNITIES")?;
    // One resolved part master per distinct close time (rows of one order share it).
    let mut closed_parts: HashMap<String, HashMap<String, f64>> = HashMap::new();
    // Settings resolve at the end of each row's shift date (one look-up per date).
    let mut settings_of: HashMap<String, &InferenceSettings> = HashMap::new();
    let mut out = QualityInputs::default();
    let (mut inspected, mut defective, mut passed, mut defects, mut opps) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut no_qc, mut ones) = (0u64, 0u64);
    let mut stages: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for q in &rows {
        let settings = *settings_of
            .entry(q.date.clone())
            .or_insert_with(|| as_of.inference_at(&as_of.time(&q.date)));
        // units_defective: recorded → inspected − passed (recorded passed) → 0 (no_qc_data).
        let d = match (q.defective, q.passed) {
            (Some(d), _) => (d, 1),
            (None, Some(p)) => ((q.inspected - p).max(0.0), 2),
            (None, None) => (0.0, 4),
        };
        // units_passed: recorded → inspected − defective (recorded defective) → all passed.
        let p = match (q.passed, q.defective) {
            (Some(p), _) => (p, 1),
            (None, Some(d)) => ((q.inspected - d).max(0.0), 2),
            (None, None) => (q.inspected, 4),
        };
        // total_defects_count: recorded → count of defect detail rows → resolved defective
        // units, or × 1.5 where the client switched `defective_x1_5` on (it answers instead of
        // `defective_units`, which always answers; a count, so half-up to a whole number).
        let t = match q.defects {
            Some(t) => (t, 1),
            None if q.detail_rows > 0.0 => (q.detail_rows, 2),
            None if settings.defects_x1_5 => ((d.0 * 1.5).round(), 4),
            None => (d.0, 3),
        };
        let master = match q.closed_at.as_deref() {
            Some(at) if !part_versions.is_empty() => &*closed_parts
                .entry(at.to_owned())
                .or_insert_with(|| parts_as_of(client, &parts, &part_versions, at)),
            _ => &parts,
        };
        let o = opportunities(
            q.part_number.as_deref(),
            master,
            settings.default_opportunities_per_unit,
        );
        no_qc += u64::from(d.1 == 4);
        ones += u64::from(o.1 == 4);
        out.ppm.provenance.add("units_inspected", 1);
        out.ppm.provenance.add_noted("units_defective", d.1, || {
            note(q, "quality.units_defective", d)
        });
        out.dpmo.provenance.add("units_inspected", 1);
        out.dpmo
            .provenance
            .add_noted("opportunities_per_unit", o.1, || {
                note(q, "opportunities_per_unit", o)
            });
        out.dpmo
            .provenance
            .add_noted("total_defects_count", t.1, || {
                note(q, "total_defects_count", t)
            });
        for k in [&mut out.fpy, &mut out.rty_stages] {
            k.provenance.add("units_inspected", 1);
            k.provenance
                .add_noted("units_passed", p.1, || note(q, "units_passed", p));
        }
        inspected += q.inspected;
        defective += d.0;
        passed += p.0;
        defects += t.0;
        opps += q.inspected * o.0;
        let s = stages.entry(q.stage.clone()).or_default();
        s.0 += p.0;
        s.1 += q.inspected;
    }
    let n = rows.len() as i64;
    out.ppm.int("units_defective", defective as i64);
    out.ppm.int("units_inspected", inspected as i64);
    out.ppm.int("entries", n);
    out.ppm.warn_count(
        "no_qc_data",
        no_qc,
        "No defect data on some quality rows: assumed zero",
    );
    out.dpmo.int("total_defects", defects as i64);
    out.dpmo.float("opportunities", opps);
    out.dpmo.int("entries", n);
    out.dpmo.warn_count(
        "dpmo_equals_ppm",
        ones,
        "No opportunities per unit known: 1 assumed, DPMO equals PPM",
    );
    out.fpy.int("units_passed", passed as i64);
    out.fpy.int("units_inspected", inspected as i64);
    out.fpy.int("entries", n);
    let stage_list = stages
        .into_iter()
        .map(|(stage, (p, i))| {
            ScriptValue::Map(BTreeMap::from([
                ("stage".to_owned(), ScriptValue::Str(stage)),
                ("units_passed".to_owned(), ScriptValue::Int(p as i64)),
                ("units_inspected".to_owned(), ScriptValue::Int(i as i64)),
            ]))
        })
        .collect();
    out.rty_stages
        .input
        .insert("stages".into(), ScriptValue::Array(stage_list));
    Ok(out)
}

/// An inferred input of a quality row; the part number tells where opportunities came from.
fn note(q: &QualityRow, chain: &str, (value, level): (f64, u8)) -> Note {
    let description = chains::strategy(chain, level).1;
    Note {
        record: format!("quality/{}", q.id),
        value: serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, Into::into),
        source: match (chain, &q.part_number) {
            ("opportunities_per_unit", Some(part)) => format!("{description} (part {part})"),
            _ => description.to_owned(),
        },
    }
}
