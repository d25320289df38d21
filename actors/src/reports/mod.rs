//! Reports: the daily PDF and the KPI workbook (operations.md §7). `services::reports` gathers
//! the numbers through the KPI services (same cache, same tenant rules) into the plain data
//! below; the renderers here are pure functions of it, run on a blocking thread.
pub mod chart;
pub mod clock;
pub mod fonts;
pub mod pdf;
pub mod why;
pub mod xlsx;

use crate::kpi::result::KpiResult;
use serde_json::Value;

/// KPIs drawn as 30-day trend charts in the daily PDF (operations.md §7).
pub const TREND_KPIS: [&str; 8] = [
    "efficiency",
    "performance",
    "availability",
    "oee",
    "fpy",
    "ppm",
    "absenteeism",
    "otd",
];

/// Days of history in each trend chart, the report date included.
pub const TREND_DAYS: u64 = 30;

/// Which client a report is about.
#[derive(Debug, Clone)]
pub struct ReportClient {
    pub client_id: String,
    pub client_name: String,
    pub timezone: String,
}

/// Everything the daily PDF shows, already computed.
#[derive(Debug, Clone)]
pub struct DailyReport {
    pub client: ReportClient,
    pub date: chrono::NaiveDate,
    /// RFC 3339 UTC.
    pub generated_at: String,
    /// KPIs shown (otd_mode applied), in report order.
    pub kpis: Vec<(String, KpiResult)>,
    /// (kpi, one value per day oldest first, target of the report day).
    pub trends: Vec<Trend>,
    /// "Why did it change": plain sentences against the previous day with data.
    pub why: Vec<String>,
    /// The five largest money losses of the day (empty without costs): (currency, items).
    pub top_losses: Option<(String, Vec<crate::services::losses::LossItem>)>,
}

/// "Speed loss, product P-1: 1200.00 EUR (estimated)".
pub fn loss_line(currency: &str, i: &crate::services::losses::LossItem) -> String {
    format!(
        "{} loss, {} {}: {:.2} {currency}{}",
        match i.category {
            "downtime" => "Downtime",
            "speed" => "Speed",
            _ => "Defect",
        },
        if i.group_by == "product_id" {
            "product"
        } else {
            "shift"
        },
        i.group,
        i.amount,
        if i.estimated { " (estimated)" } else { "" }
    )
}

#[derive(Debug, Clone)]
pub struct Trend {
    pub kpi: String,
    pub from: chrono::NaiveDate,
    pub values: Vec<Option<f64>>,
    pub target: Option<f64>,
}

/// One raw-data sheet of the workbook: its columns and rows as stored.
#[derive(Debug, Clone)]
pub struct RawSheet {
    pub title: &'static str,
    pub columns: Vec<String>,
    pub rows: Vec<serde_json::Map<String, Value>>,
}

/// Everything the KPI workbook holds.
#[derive(Debug, Clone)]
pub struct KpiWorkbook {
    pub client: ReportClient,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub generated_at: String,
    pub generated_by: String,
    pub summary: Vec<(String, KpiResult)>,
    /// (day, every KPI of that day).
    pub daily: Vec<(chrono::NaiveDate, Vec<(String, KpiResult)>)>,
    pub raw: Vec<RawSheet>,
    /// The window's inferred pairs per KPI (sheet Inference, at most 100 000 rows).
    pub inference: Vec<InferredRow>,
}

/// One inferred (row, field) pair of a KPI over the workbook's window.
#[derive(Debug, Clone)]
pub struct InferredRow {
    pub kpi: &'static str,
    pub record: String,
    pub field: String,
    pub value: Value,
    pub level: u8,
    pub strategy: &'static str,
    pub source: String,
}

/// Human name of a KPI for the documents.
pub fn label(kpi: &str) -> &'static str {
    match kpi {
        "wip_aging" => "WIP aging",
        "otd" => "On-time delivery",
        "true_otd" => "TRUE-OTD",
        "efficiency" => "Efficiency",
        "performance" => "Performance",
        "availability" => "Availability",
        "quality_rate" => "Quality rate",
        "oee" => "OEE",
        "ppm" => "PPM",
        "dpmo" => "DPMO",
        "fpy" => "FPY",
        "rty" => "RTY (jobs)",
        "rty_stages" => "RTY (stages)",
        "absenteeism" => "Absenteeism",
        "production_hours" => "Production hours",
        _ => "KPI",
    }
}

/// Status words of kpis.md §1 as printed.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "on_target" => "on target",
        "at_risk" => "at risk",
        "off_target" => "off target",
        "no_target" => "no target",
        _ => "no data",
    }
}

/// A value with its unit, the display cap applied and marked (operations.md §7).
pub fn format_value(r: &KpiResult) -> String {
    let Some(v) = r.display_value.or(r.value) else {
        return "No data for this period".into();
    };
    let capped = r.value.is_some_and(|raw| (raw - v).abs() > f64::EPSILON);
    let unit = match r.unit {
        "%" => "%".to_owned(),
        u => format!(" {u}"),
    };
    format!(
        "{}{unit}{}",
        number(v),
        if capped { " (capped)" } else { "" }
    )
}

/// Two decimals, trailing zeros kept short ("23.15", "1000").
pub fn number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The KPIs a document shows: `otd_mode` picks OTD, TRUE-OTD or both (domain.md §6).
pub fn shown(kpi: &str, otd_mode: &str) -> bool {
    !matches!((kpi, otd_mode), ("otd", "TRUE_OTD") | ("true_otd", "OTD"))
}
