//! Inputs of the work-order KPIs — wip_aging (§4.1), otd (§4.2), true_otd (§4.3), rty (§4.12) —
//! with the date chains of §5.2 (start date, promise date, ship dates, shipped quantity).
use super::as_of::AsOf;
use super::chains;
use super::inputs::{Filters, KpiInputs, Window};
use super::production::rows::ShiftStandard;
use super::provenance::Note;
use super::script::ScriptValue;
use crate::domain::time::parse_day;
use crate::store::{StoreError, standards};
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct OrderInputs {
    pub wip_aging: KpiInputs,
    pub otd: KpiInputs,
    pub true_otd: KpiInputs,
    pub rty: KpiInputs,
}

struct Order {
    id: String,
    style: Option<String>,
    status: String,
    planned_quantity: f64,
    actual_start: Option<NaiveDate>,
    planned_start: Option<NaiveDate>,
    receipt: Option<NaiveDate>,
    acknowledged: Option<NaiveDate>,
    planned_ship: Option<NaiveDate>,
    required: Option<NaiveDate>,
    actual_ship: Option<NaiveDate>,
    final_ship: Option<NaiveDate>,
    shipped_quantity: Option<f64>,
    closed: Option<NaiveDate>,
    first_production: Option<NaiveDate>,
    last_production: Option<NaiveDate>,
    jobs_completed: Option<f64>,
    /// The product's ideal_cycle_time_line as of the order's T (closed_at, else now).
    line_cycle: Option<f64>,
    product_id: Option<String>,
    closed_at: Option<String>,
    /// `inference.lead_time_days` of the settings in force at the order's T.
    lead_time_days: u64,
    /// SHIFT_1ST standard hours at the order's T (promise date `start_plus_line_time`).
    shift_hours: f64,
}

fn day(v: Option<String>) -> Option<NaiveDate> {
    v.as_deref().and_then(parse_day)
}

fn load_orders(c: &Connection, client: &str, f: &Filters) -> Result<Vec<Order>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT wo.work_order_id, coalesce(wo.style_model, pr.style_model), wo.status, wo.planned_quantity, wo.actual_start_date, \
                wo.planned_start_date, wo.receipt_date, wo.acknowledged_date, wo.planned_ship_date, wo.required_date, \
                wo.actual_ship_date, wo.final_ship_date, wo.shipped_quantity, wo.closed_date, \
                (SELECT min(p.shift_date) FROM production_entries p WHERE p.work_order_id = wo.work_order_id AND p.is_active = 1), \
                (SELECT max(p.shift_date) FROM production_entries p WHERE p.work_order_id = wo.work_order_id AND p.is_active = 1), \
                (SELECT sum(j.quantity_completed) FROM jobs j WHERE j.work_order_id = wo.work_order_id AND j.is_active = 1), \
                pr.ideal_cycle_time_line, wo.product_id, wo.closed_at \
         FROM work_orders wo LEFT JOIN products pr ON pr.product_id = wo.product_id AND pr.is_active = 1 \
         WHERE wo.client_id = ?1 AND wo.is_active = 1 AND (?2 IS NULL OR wo.work_order_id = ?2) AND (?3 IS NULL OR wo.product_id = ?3) \
         ORDER BY wo.work_order_id",
    )?;
    let rows = stmt.query_map(params![client, f.work_order_id, f.product_id], |r| {
        Ok(Order {
            id: r.get(0)?,
            style: r.get(1)?,
            status: r.get(2)?,
            planned_quantity: r.get::<_, i64>(3)? as f64,
            actual_start: day(r.get(4)?),
            planned_start: day(r.get(5)?),
            receipt: day(r.get(6)?),
            acknowledged: day(r.get(7)?),
            planned_ship: day(r.get(8)?),
            required: day(r.get(9)?),
            actual_ship: day(r.get(10)?),
            final_ship: day(r.get(11)?),
            shipped_quantity: r.get::<_, Option<i64>>(12)?.map(|x| x as f64),
            closed: day(r.get(13)?),
            first_production: day(r.get(14)?),
            last_production: day(r.get(15)?),
            jobs_completed: r.get::<_, Option<i64>>(16)?.map(|x| x as f64),
            line_cycle: r.get(17)?,
            product_id: r.get(18)?,
            closed_at: r.get(19)?,
            lead_time_days: 5,
            shift_hours: 9.0,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A hold interval of a work order (work-order level only; CANCELLED ignored).
struct Hold {
    start: NaiveDateTime,
    end: Option<NaiveDateTime>,
}

fn at(d: Option<String>, t: Option<String>) -> Option<NaiveDateTime> {
    let date = day(d)?;
    let time = t
        .and_then(|t| NaiveTime::parse_from_str(&t, "%H:%M").ok())
        .unwrap_or_default();
    Some(date.and_time(time))
}

fn load_holds(c: &Connection, client: &str) -> Result<BTreeMap<String, Vec<Hold>>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT work_order_id, hold_date, hold_time, resume_date, resume_time, hold_status FROM hold_entries \
         WHERE client_id = ?1 AND is_active = 1 AND job_id IS NULL AND hold_status IN ('ON_HOLD', 'RESUMED')",
    )?;
    let mut out: BTreeMap<String, Vec<Hold>> = BTreeMap::new();
    let rows = stmt.query_map([client], |r| {
        Ok((
            r.get::<_, String>(0)?,
            at(r.get(1)?, r.get(2)?),
            at(r.get(3)?, r.get(4)?),
            r.get::<_, String>(5)?,
        ))
    })?;
    for row in rows {
        let (wo, start, end, status) = row?;
        if let Some(start) = start {
            out.entry(wo).or_default().push(Hold {
                start,
                end: if status == "RESUMED" { end } else { None },
            });
        }
    }
    Ok(out)
}

/// Days of the union of hold intervals within [from 00:00, to 00:00]; an open hold runs to `to`.
fn hold_days(holds: &[Hold], from: NaiveDate, to: NaiveDate) -> f64 {
    let (lo, hi) = (from.and_time(NaiveTime::MIN), to.and_time(NaiveTime::MIN));
    let mut spans: Vec<(NaiveDateTime, NaiveDateTime)> = holds
        .iter()
        .map(|h| (h.start.max(lo), h.end.unwrap_or(hi).min(hi)))
        .filter(|(s, e)| e > s)
        .collect();
    spans.sort();
    let mut total = 0i64;
    let mut current: Option<(NaiveDateTime, NaiveDateTime)> = None;
    for (s, e) in spans {
        match current {
            Some((cs, ce)) if s <= ce => current = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += (ce - cs).num_seconds();
                current = Some((s, e));
            }
            None => current = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = current {
        total += (ce - cs).num_seconds();
    }
    total as f64 / 86_400.0
}

/// Start date chain: actual (1) → first production (2) → planned (3) → receipt + lead time (4)
/// → acknowledged + 2 (5).
fn start(o: &Order) -> Option<(NaiveDate, u8)> {
    o.actual_start
        .map(|d| (d, 1))
        .or(o.first_production.map(|d| (d, 2)))
        .or(o.planned_start.map(|d| (d, 3)))
        .or(o.receipt.map(|d| (d + Days::new(o.lead_time_days), 4)))
        .or(o.acknowledged.map(|d| (d + Days::new(2), 5)))
}

fn days_between(a: NaiveDate, b: NaiveDate) -> f64 {
    (b - a).num_days() as f64
}

struct Chains<'a> {
    orders: &'a [Order],
}

impl Chains<'_> {
    /// Promise date: planned ship (1) → required (2) → start + line time (3) → start + the mean
    /// lead time of the same style's orders shipped in the 30 days before the start (4) → start + 14 (5).
    fn promise(&self, o: &Order) -> Option<(NaiveDate, u8)> {
        if let Some(d) = o.planned_ship {
            return Some((d, 1));
        }
        if let Some(d) = o.required {
            return Some((d, 2));
        }
        let (s, _) = start(o)?;
        if let Some(ct) = o.line_cycle.filter(|_| o.shift_hours > 0.0) {
            let days = (o.planned_quantity * ct / o.shift_hours).ceil() as u64;
            return Some((s + Days::new(days), 3));
        }
        let window_start = s - Days::new(30);
        let leads: Vec<f64> = self
            .orders
            .iter()
            .filter(|x| x.style.is_some() && x.style == o.style && x.id != o.id)
            .filter_map(|x| Some((start(x)?.0, x.actual_ship?)))
            .filter(|(_, ship)| *ship >= window_start && *ship < s)
            .map(|(st, ship)| days_between(st, ship))
            .collect();
        if !leads.is_empty() {
            let mean = leads.iter().sum::<f64>() / leads.len() as f64;
            return Some((s + Days::new(mean.round().max(0.0) as u64), 4));
        }
        Some((s + Days::new(14), 5))
    }

    fn completed(o: &Order) -> bool {
        o.status == "COMPLETED"
    }

    /// First shipment: recorded (1) → final ship (2) → last production + 1 (3, COMPLETED only).
    fn first_ship(o: &Order) -> Option<(NaiveDate, u8)> {
        o.actual_ship
            .map(|d| (d, 1))
            .or(o.final_ship.map(|d| (d, 2)))
            .or(o
                .last_production
                .filter(|_| Self::completed(o))
                .map(|d| (d + Days::new(1), 3)))
    }

    /// Final shipment: recorded (1) → the single shipment (2) → last production + 1 (3, COMPLETED only).
    fn final_ship(o: &Order) -> Option<(NaiveDate, u8)> {
        o.final_ship
            .map(|d| (d, 1))
            .or(o.actual_ship.map(|d| (d, 2)))
            .or(o
                .last_production
                .filter(|_| Self::completed(o))
                .map(|d| (d + Days::new(1), 3)))
    }

    /// Shipped quantity: recorded (1) → Σ jobs completed (2, COMPLETED) → planned (3, COMPLETED) → 0 (4).
    fn shipped(o: &Order) -> (f64, u8) {
        match (o.shipped_quantity, Self::completed(o)) {
            (Some(q), _) => (q, 1),
            (None, true) => o.jobs_completed.map_or((o.planned_quantity, 3), |j| (j, 2)),
            (None, false) => (0.0, 4),
        }
    }
}

fn order_map(id: &str, fields: Vec<(&str, ScriptValue)>) -> ScriptValue {
    let mut m: BTreeMap<String, ScriptValue> =
        fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    m.insert("work_order_id".into(), ScriptValue::Str(id.to_owned()));
    ScriptValue::Map(m)
}

pub fn gather(
    c: &Connection,
    client: &str,
    w: Window,
    f: &Filters,
    as_of: &AsOf,
) -> Result<OrderInputs, StoreError> {
    let mut orders = load_orders(c, client, f)?;
    let current_1st: Option<f64> = c
        .prepare_cached("SELECT standard_hours FROM shifts WHERE client_id = ?1 AND shift_type = 'SHIFT_1ST' AND is_active = 1")?
        .query_row([client], |r| r.get(0))
        .optional()?;
    // Standards and settings of an order resolve at its T: closed_at when closed, else now
    // (domain.md §8).
    let product_versions = standards::versions(c, client, "PRODUCT")?;
    for o in &mut orders {
        if let Some(product) = o.product_id.as_deref() {
            o.line_cycle = standards::number_as_of(
                &product_versions,
                product,
                "ideal_cycle_time_line",
                o.closed_at.as_deref(),
                o.line_cycle,
            );
        }
        let at = o.closed_at.as_deref().unwrap_or(as_of.now());
        o.lead_time_days = as_of.inference_at(at).lead_time_days;
        o.shift_hours = match current_1st {
            Some(hours) => {
                let current = ShiftStandard {
                    hours,
                    employees: 0.0,
                    overtime: false,
                };
                as_of.shift_standard(client, "SHIFT_1ST", at, current).hours
            }
            None => 9.0,
        };
    }
    let holds = load_holds(c, client)?;
    let chains = Chains { orders: &orders };
    let as_of = w.to.min(w.today);
    let mut out = OrderInputs::default();
    let (mut wip, mut otd, mut true_otd) = (Vec::new(), Vec::new(), Vec::new());
    let (mut no_start, mut no_promise) = (0u64, 0u64);
    for o in &orders {
        // WIP at the as-of date: started on or before it, not closed on or before it.
        if o.closed.is_none_or(|d| d > as_of) {
            match start(o) {
                Some((s, level)) if s <= as_of => {
                    out.wip_aging.provenance.add_noted("start_date", level, || {
                        order_note(o, "start_date", s, level)
                    });
                    let held = hold_days(holds.get(&o.id).map_or(&[], Vec::as_slice), s, as_of);
                    wip.push(order_map(
                        &o.id,
                        vec![
                            ("gross_days", ScriptValue::Float(days_between(s, as_of))),
                            ("hold_days", ScriptValue::Float(held)),
                        ],
                    ));
                }
                Some(_) => {}
                None => no_start += 1,
            }
        }
        if o.status == "CANCELLED" {
            continue;
        }
        let first = Chains::first_ship(o).filter(|(d, _)| *d >= w.from && *d <= w.to);
        let fin = Chains::final_ship(o);
        let in_true = fin.filter(|(d, _)| *d >= w.from && *d <= w.to);
        if first.is_none() && in_true.is_none() {
            continue;
        }
        let Some((promise, p_level)) = chains.promise(o) else {
            no_promise += 1;
            continue;
        };
        let shipped = Chains::shipped(o);
        let complete = shipped.0 >= o.planned_quantity;
        let final_late = fin
            .filter(|_| complete)
            .map_or(ScriptValue::Unit, |(d, _)| {
                ScriptValue::Float(days_between(promise, d))
            });
        if let Some((ship, s_level)) = first {
            out.otd.provenance.add_noted("promise_date", p_level, || {
                order_note(o, "promise_date", promise, p_level)
            });
            out.otd
                .provenance
                .add_noted("actual_ship_date", s_level, || {
                    order_note(o, "actual_ship_date", ship, s_level)
                });
            otd.push(order_map(
                &o.id,
                vec![
                    ("days_late", ScriptValue::Float(days_between(promise, ship))),
                    ("complete", ScriptValue::Bool(complete)),
                    ("final_days_late", final_late.clone()),
                ],
            ));
        }
        if let Some((final_ship, f_level)) = in_true {
            out.true_otd
                .provenance
                .add_noted("promise_date", p_level, || {
                    order_note(o, "promise_date", promise, p_level)
                });
            out.true_otd
                .provenance
                .add_noted("final_ship_date", f_level, || {
                    order_note(o, "final_ship_date", final_ship, f_level)
                });
            out.true_otd
                .provenance
                .add_noted("shipped_quantity", shipped.1, || Note {
                    record: format!("work-orders/{}", o.id),
                    value: serde_json::Value::from(shipped.0),
                    source: chains::strategy("shipped_quantity", shipped.1).1.to_owned(),
                });
            let first_late = Chains::first_ship(o).map_or(ScriptValue::Unit, |(d, _)| {
                ScriptValue::Float(days_between(promise, d))
            });
            true_otd.push(order_map(
                &o.id,
                vec![
                    ("days_late", first_late),
                    ("complete", ScriptValue::Bool(complete)),
                    ("final_days_late", final_late),
                ],
            ));
        }
    }
    out.wip_aging
        .input
        .insert("orders".into(), ScriptValue::Array(wip));
    out.wip_aging.warn_count(
        "no_start_date",
        no_start,
        "Work orders without any start date are left out",
    );
    out.otd
        .input
        .insert("orders".into(), ScriptValue::Array(otd));
    out.otd.warn_count(
        "no_promise_date",
        no_promise,
        "Orders without a promise date are left out",
    );
    out.true_otd
        .input
        .insert("orders".into(), ScriptValue::Array(true_otd));
    out.true_otd.warn_count(
        "no_promise_date",
        no_promise,
        "Orders without a promise date are left out",
    );
    gather_rty(c, client, w, f, &mut out.rty)?;
    Ok(out)
}

/// RTY: jobs of work orders COMPLETED with closed_date in the window; quantity_completed:
/// recorded (1) → ordered − scrapped (2) → ordered (4).
fn gather_rty(
    c: &Connection,
    client: &str,
    w: Window,
    f: &Filters,
    out: &mut KpiInputs,
) -> Result<(), StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT j.quantity_ordered, j.quantity_completed, j.quantity_scrapped, j.job_id FROM jobs j JOIN work_orders wo ON wo.work_order_id = j.work_order_id \
         WHERE j.client_id = ?1 AND j.is_active = 1 AND wo.is_active = 1 AND wo.status = 'COMPLETED' AND wo.closed_date BETWEEN ?2 AND ?3 \
           AND (?4 IS NULL OR wo.work_order_id = ?4) AND (?5 IS NULL OR wo.product_id = ?5)",
    )?;
    let rows = stmt.query_map(
        params![
            client,
            w.from.to_string(),
            w.to.to_string(),
            f.work_order_id,
            f.product_id
        ],
        |r| {
            Ok((
                r.get::<_, i64>(0)? as f64,
                r.get::<_, Option<i64>>(1)?.map(|x| x as f64),
                r.get::<_, Option<i64>>(2)?.map(|x| x as f64),
                r.get::<_, String>(3)?,
            ))
        },
    )?;
    let (mut ordered, mut completed, mut jobs) = (0.0, 0.0, 0i64);
    for row in rows {
        let (o, done, scrapped, job) = row?;
        let (q, level) = match (done, scrapped) {
            (Some(d), _) => (d, 1),
            (None, Some(s)) => ((o - s).max(0.0), 2),
            (None, None) => (o, 4),
        };
        out.provenance.add("quantity_ordered", 1);
        out.provenance
            .add_noted("quantity_completed", level, || Note {
                record: format!("jobs/{job}"),
                value: serde_json::Value::from(q),
                source: chains::strategy("quantity_completed", level).1.to_owned(),
            });
        ordered += o;
        completed += q;
        jobs += 1;
    }
    out.int("quantity_completed", completed as i64);
    out.int("quantity_ordered", ordered as i64);
    out.int("jobs", jobs);
    Ok(())
}

/// An inferred date of a work order (start, promise, ship).
fn order_note(o: &Order, chain: &str, date: NaiveDate, level: u8) -> Note {
    Note {
        record: format!("work-orders/{}", o.id),
        value: serde_json::Value::from(date.to_string()),
        source: chains::strategy(chain, level).1.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn spec_hold_example_and_union_of_overlaps() {
        // Start 12-01, hold 12-03 → resumed 12-04, as-of 12-07: 1 hold day.
        let d = |s| parse_day(s).unwrap();
        let holds = [Hold {
            start: dt("2025-12-03 00:00"),
            end: Some(dt("2025-12-04 00:00")),
        }];
        assert_eq!(hold_days(&holds, d("2025-12-01"), d("2025-12-07")), 1.0);
        // Overlapping holds count once; an open hold runs to the as-of date.
        let holds = [
            Hold {
                start: dt("2025-12-02 00:00"),
                end: Some(dt("2025-12-04 12:00")),
            },
            Hold {
                start: dt("2025-12-04 00:00"),
                end: Some(dt("2025-12-05 00:00")),
            },
            Hold {
                start: dt("2025-12-06 00:00"),
                end: None,
            },
        ];
        assert_eq!(hold_days(&holds, d("2025-12-01"), d("2025-12-07")), 4.0);
    }
}
