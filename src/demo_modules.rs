//! Demo data for the modules beyond production: employees and floaters, attendance with some
//! absences (a few covered by a floater), quality checks with defect details, downtime detail
//! rows, a hold, jobs and part opportunities, and shipped work orders, so every KPI has inputs.
//! Everything goes through the same engine services as the API.
use chrono::{Datelike, Days, NaiveDate, Weekday};
use futures_util::{StreamExt, TryStreamExt, stream};
use kpi_engine::domain::Caller;
use kpi_engine::resources::{Resource, defs};
use kpi_engine::{Engine, EngineError};
use serde_json::{Map, Value, json};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Creates many records concurrently (the writer batches them), in the order given.
async fn create_all(
    engine: &Engine,
    admin: &Caller,
    res: &'static Resource,
    bodies: Vec<Value>,
) -> Result<Vec<Map<String, Value>>, EngineError> {
    let futures = bodies.into_iter().map(|b| {
        let (engine, admin) = (engine.clone(), admin.clone());
        async move {
            engine
                .create_record(&admin, res, obj(b))
                .await
                .map(|s| s.record)
        }
    });
    stream::iter(futures)
        .buffered(crate::demo::RECORDS_AT_ONCE)
        .try_collect()
        .await
}

/// The pool's floaters (created before the lines: the second line's absences are covered).
pub async fn floaters(engine: &Engine, admin: &Caller) -> Result<(), EngineError> {
    for id in ["FLOAT-01", "FLOAT-02"] {
        engine.create_record(admin, &defs::EMPLOYEES, obj(json!({"employee_id": id, "employee_name": format!("Floater {id}"), "is_floating_pool": true}))).await?;
    }
    Ok(())
}

/// FLOAT-01 is attached to the first line from the start of the demo period (idle floater hours).
pub async fn assign_floater(
    engine: &Engine,
    admin: &Caller,
    first_client: &str,
    start: NaiveDate,
) -> Result<(), EngineError> {
    engine
        .create_record(admin, &defs::FLOATING_POOL, obj(json!({"employee_id": "FLOAT-01", "status": "ASSIGNED", "assigned_to_client": first_client,
            "assignment_start_date": start.to_string(), "shift_type": "SHIFT_1ST"})))
        .await?;
    Ok(())
}

/// Deterministic pseudo-random numbers from a seed and a counter.
fn pick(seed: u64, n: u64, modulo: u64) -> u64 {
    let x = (seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (x >> 29) % modulo
}

pub struct ClientPlan<'a> {
    pub client: &'a str,
    pub index: usize,
    pub products: Vec<String>,
    /// (work order id, start date, product index, planned quantity)
    pub work_orders: Vec<(String, NaiveDate, usize, u64)>,
    pub start: NaiveDate,
    pub days: u64,
    pub today: NaiveDate,
}

pub async fn load(
    engine: &Engine,
    admin: &Caller,
    p: &ClientPlan<'_>,
) -> Result<usize, EngineError> {
    let seed = 0xD3_0000 + p.index as u64;
    let mut count = 0;
    // Part opportunities for the products' part numbers (the third product is left without, so
    // DPMO shows the prefix-average inference).
    let parts: Vec<Value> = p.products.iter().take(2).zip([10, 47]).map(|(pid, o)| json!({"client_id": p.client, "part_number": format!("{pid}-PN"), "opportunities_per_unit": o})).collect();
    count += create_all(engine, admin, &defs::PART_OPPORTUNITIES, parts)
        .await?
        .len();
    // Employees: twelve per line.
    let employees: Vec<String> = (1..=12).map(|i| format!("{}-E{i:02}", p.client)).collect();
    let bodies = employees.iter().map(|e| json!({"employee_id": e, "employee_name": format!("Operator {e}"), "client_id_assigned": p.client, "department": "SEWING", "hourly_rate": 4.5})).collect();
    count += create_all(engine, admin, &defs::EMPLOYEES, bodies)
        .await?
        .len();
    // Jobs: one line item per work order.
    let jobs = p.work_orders.iter().map(|(wo, _, prod, qty)| json!({"work_order_id": wo, "part_number": format!("{}-PN", p.products[*prod]), "quantity_ordered": qty})).collect();
    let jobs = create_all(engine, admin, &defs::JOBS, jobs).await?;
    count += jobs.len();
    let (mut attendance, mut coverage, mut quality, mut downtime) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for d in 0..p.days {
        let date = p.start + Days::new(d);
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            continue;
        }
        let wo = &p.work_orders[(d / 10) as usize].0;
        for (i, e) in employees.iter().take(10).enumerate() {
            let absent = pick(seed, d * 100 + i as u64, 100) < 4;
            let mut row = json!({"employee_id": e, "client_id": p.client, "shift_date": date.to_string(), "shift_type": "SHIFT_1ST",
                                 "scheduled_hours": 9.0, "is_absent": absent});
            if absent {
                row["absence_type"] = json!("UNSCHEDULED_ABSENCE");
                row["absence_hours"] = json!(9.0);
                // The second line gets its absences covered by the pool floater.
                if p.index == 1
                    && coverage
                        .iter()
                        .all(|c: &Value| c["shift_date"] != json!(date.to_string()))
                {
                    coverage.push(json!({"absent_employee_id": e, "floating_employee_id": "FLOAT-02", "client_id": p.client,
                                         "shift_date": date.to_string(), "shift_type": "SHIFT_1ST", "coverage_duration_hours": 9.0}));
                }
            } else {
                row["actual_hours"] = json!(9.0);
            }
            attendance.push(row);
        }
        let defective = pick(seed, d, 4);
        quality.push(json!({"work_order_id": wo, "client_id": p.client, "shift_date": date.to_string(), "shift_type": "SHIFT_1ST",
                            "operation_checked": "FINAL_INSPECTION", "units_inspected": 50, "units_passed": 50 - defective,
                            "units_defective": defective, "total_defects_count": defective + pick(seed, d + 7, 2), "inspection_method": "VISUAL"}));
        quality.push(json!({"work_order_id": wo, "client_id": p.client, "shift_date": date.to_string(), "shift_type": "SHIFT_1ST",
                            "operation_checked": "IN_PROCESS_QC_SEWING", "units_inspected": 60, "units_passed": 60 - pick(seed, d + 3, 5),
                            "inspection_method": "SAMPLE_CHECK", "sample_size_percent": 20}));
        if pick(seed, d + 11, 5) == 0 {
            downtime.push(json!({"work_order_id": wo, "client_id": p.client, "shift_date": date.to_string(), "shift_type": "SHIFT_1ST",
                                 "downtime_reason": "EQUIPMENT_FAILURE", "downtime_reason_detail": "Sewing machine jammed",
                                 "downtime_duration_minutes": 20 + pick(seed, d, 40), "employees_affected": 2}));
        }
    }
    count += create_all(engine, admin, &defs::ATTENDANCE, attendance)
        .await?
        .len();
    count += create_all(engine, admin, &defs::COVERAGE, coverage)
        .await?
        .len();
    let quality = create_all(engine, admin, &defs::QUALITY, quality).await?;
    count += quality.len();
    let details = quality
        .iter()
        .filter(|q| q["units_defective"].as_i64().unwrap_or(0) > 1)
        .map(|q| json!({"quality_entry_id": q["quality_entry_id"], "defect_type": "STITCHING", "defect_description": "Loose stitch on the shaft", "root_cause": "OPERATOR_ERROR", "is_rework_required": true}))
        .collect();
    count += create_all(engine, admin, &defs::DEFECTS, details)
        .await?
        .len();
    count += create_all(engine, admin, &defs::DOWNTIME, downtime)
        .await?
        .len();
    count += ship_and_hold(engine, admin, p).await?;
    Ok(count)
}

/// Work orders whose window ended over two weeks ago are shipped and completed (a few late, one
/// partially), and one work order had a two-day quality hold.
async fn ship_and_hold(
    engine: &Engine,
    admin: &Caller,
    p: &ClientPlan<'_>,
) -> Result<usize, EngineError> {
    let mut count = 0;
    if let Some((wo, start, _, _)) = p.work_orders.get(1) {
        let hold = json!({"work_order_id": wo, "client_id": p.client, "hold_status": "RESUMED", "hold_reason": "QUALITY_ISSUE",
                          "hold_reason_detail": "Colour mismatch on a lot", "hold_date": (*start + Days::new(3)).to_string(),
                          "resume_date": (*start + Days::new(5)).to_string()});
        engine.create_record(admin, &defs::HOLDS, obj(hold)).await?;
        count += 1;
    }
    for (n, (wo, start, _, qty)) in p.work_orders.iter().enumerate() {
        let promised = *start + Days::new(14);
        if promised + Days::new(3) > p.today {
            continue;
        }
        let late = n % 4 == 3;
        let first = if late {
            promised + Days::new(2)
        } else {
            promised - Days::new(1)
        };
        let partial = n % 5 == 2;
        let last = if partial { first + Days::new(3) } else { first };
        let body = json!({"status": "COMPLETED", "actual_ship_date": first.to_string(), "final_ship_date": last.to_string(),
                          "shipped_quantity": qty, "closed_date": last.to_string()});
        engine
            .patch_record(admin, &defs::WORK_ORDERS, wo.clone(), obj(body))
            .await?;
        count += 1;
    }
    Ok(count)
}
