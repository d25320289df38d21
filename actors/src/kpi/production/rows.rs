//! Rows the production-based KPIs read: entries with their standards, shift standards, and
//! the recorded history the history strategies average over.
use crate::kpi::inputs::{Filters, Window};
use crate::store::StoreError;
use chrono::NaiveDate;
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// System shift standards (kpis.md §5.2, level 3 of shift hours) and shift-default staffing.
pub fn system_hours(shift: &str) -> f64 {
    if matches!(shift, "SAT_OT" | "SUN_OT") {
        8.0
    } else {
        9.0
    }
}
pub fn default_employees(shift: &str) -> f64 {
    match shift {
        "SHIFT_2ND" => 8.0,
        "SAT_OT" | "SUN_OT" => 6.0,
        _ => 10.0,
    }
}
/// Without a SHIFT row, the system standard: only the weekday shifts are planned time.
pub fn system_overtime(shift: &str) -> bool {
    !matches!(shift, "SHIFT_1ST" | "SHIFT_2ND")
}

/// The output operation: entries of other operations feed production hours only.
fn is_output_operation(op: Option<&str>) -> bool {
    op.is_none_or(|o| o.is_empty() || o.eq_ignore_ascii_case("PACKING"))
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub wo: String,
    pub date: String,
    pub shift: String,
    pub operation: Option<String>,
    pub u: f64,
    pub d: Option<f64>,
    pub r: Option<f64>,
    pub n: Option<f64>,
    pub h: Option<f64>,
    pub downtime_total: Option<f64>,
    /// work order ideal_cycle_time, else the product's labour standard (as of the order's T).
    pub labour_standard: Option<f64>,
    /// The product's ideal_cycle_time_line (as of the order's T).
    pub line_standard: Option<f64>,
    /// The work order's own ideal_cycle_time (not versioned: fixed once the order closes).
    pub wo_cycle: Option<f64>,
    pub product_id: Option<String>,
    /// The work order's closed_at: the as-of time of its product standards (None = open: now).
    pub closed_at: Option<String>,
    pub style: Option<String>,
    /// Matches the work-order / product filter. Unselected entries of a selected line-shift are
    /// still loaded: shares (blank shift hours, roster split) belong to the whole line-shift.
    pub selected: bool,
    /// Output operation (blank or PACKING): the only entries that feed units and downtime.
    pub output: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct ShiftStandard {
    pub hours: f64,
    pub employees: f64,
    pub overtime: bool,
}

/// A recorded row for the history strategies.
pub struct HistoryRow {
    pub date: String,
    pub shift: String,
    pub style: Option<String>,
    pub r: Option<f64>,
    pub n: Option<f64>,
    pub u: f64,
}

pub fn load_entries(
    c: &Connection,
    client: &str,
    w: Window,
    f: &Filters,
) -> Result<Vec<Entry>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT p.work_order_id, p.shift_date, p.shift_type, p.units_produced, p.run_time_hours, \
                p.employees_assigned, p.shift_hours_scheduled, p.downtime_total_minutes, \
                coalesce(wo.ideal_cycle_time, pr.standard_labor_hours_per_unit), pr.ideal_cycle_time_line, \
                coalesce(wo.style_model, pr.style_model), p.operation_id, \
                (?5 IS NULL OR p.work_order_id = ?5) AND (?6 IS NULL OR wo.product_id = ?6), p.units_defective, \
                p.production_entry_id, wo.ideal_cycle_time, wo.product_id, wo.closed_at \
         FROM production_entries p JOIN work_orders wo ON wo.work_order_id = p.work_order_id \
         LEFT JOIN products pr ON pr.product_id = wo.product_id AND pr.is_active = 1 \
         WHERE p.client_id = ?1 AND p.is_active = 1 AND p.shift_date BETWEEN ?2 AND ?3 \
           AND (?4 IS NULL OR p.shift_type = ?4) \
         ORDER BY p.shift_date, p.shift_type, p.production_entry_id",
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
            let operation: Option<String> = r.get(11)?;
            Ok(Entry {
                id: r.get(14)?,
                wo: r.get(0)?,
                date: r.get(1)?,
                shift: r.get(2)?,
                output: is_output_operation(operation.as_deref()),
                operation,
                u: r.get::<_, i64>(3)? as f64,
                r: r.get(4)?,
                n: r.get::<_, Option<i64>>(5)?.map(|n| n as f64),
                h: r.get(6)?,
                downtime_total: r.get::<_, Option<i64>>(7)?.map(|m| m as f64),
                labour_standard: r.get(8)?,
                wo_cycle: r.get(15)?,
                product_id: r.get(16)?,
                closed_at: r.get(17)?,
                line_standard: r.get(9)?,
                style: r.get(10)?,
                selected: r.get(12)?,
                d: r.get::<_, Option<i64>>(13)?.map(|d| d as f64),
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn load_shift_standards(
    c: &Connection,
    client: &str,
) -> Result<HashMap<String, ShiftStandard>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT shift_type, standard_hours, standard_employees, is_overtime FROM shifts WHERE client_id = ? AND is_active = 1",
    )?;
    let rows = stmt.query_map([client], |r| {
        Ok((
            r.get::<_, String>(0)?,
            ShiftStandard {
                hours: r.get(1)?,
                employees: r.get::<_, i64>(2)? as f64,
                overtime: r.get(3)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn load_history(
    c: &Connection,
    client: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<HistoryRow>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT p.shift_date, p.shift_type, coalesce(wo.style_model, pr.style_model), p.run_time_hours, p.employees_assigned, p.units_produced \
         FROM production_entries p JOIN work_orders wo ON wo.work_order_id = p.work_order_id \
         LEFT JOIN products pr ON pr.product_id = wo.product_id \
         WHERE p.client_id = ?1 AND p.is_active = 1 AND p.shift_date >= ?2 AND p.shift_date < ?3",
    )?;
    let rows = stmt.query_map(params![client, from.to_string(), to.to_string()], |r| {
        Ok(HistoryRow {
            date: r.get(0)?,
            shift: r.get(1)?,
            style: r.get(2)?,
            r: r.get(3)?,
            n: r.get::<_, Option<i64>>(4)?.map(|n| n as f64),
            u: r.get::<_, i64>(5)? as f64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
