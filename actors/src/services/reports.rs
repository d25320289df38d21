//! GET …/reports/daily.pdf and …/reports/kpis.xlsx: gathers the numbers through `client_kpis`
//! (its per-client cache, its tenant rules: foreign client 403, unknown 404) and the record
//! lists, then renders on a blocking thread so no HTTP worker runs krilla or the zip writer.
use super::clients::visible_client;
use crate::domain::Caller;
use crate::domain::time::{now_ts, parse_day};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::kpi::chains;
use crate::kpi::inputs::{Filters, Window};
use crate::kpi::provenance::{self, WORKBOOK_ITEMS};
use crate::kpi::result::KpiResult;
use crate::reports::InferredRow;
use crate::reports::why::WhyInputs;
use crate::reports::{
    self, DailyReport, KpiWorkbook, RawSheet, ReportClient, TREND_DAYS, TREND_KPIS, Trend,
};
use crate::resources::defs;
use crate::services::records::ListParams;
use crate::store::{StoreError, settings};
use chrono::{Days, NaiveDate, Utc};
use serde_json::Value;

/// Raw sheets of the workbook: (sheet title, resource), in the order of operations.md §7.
const RAW_SHEETS: [(&str, &str); 9] = [
    ("Production", "production"),
    ("Downtime", "downtime"),
    ("Holds", "holds"),
    ("Attendance", "attendance"),
    ("Coverage", "coverage"),
    ("Quality", "quality"),
    ("Defects", "defects"),
    ("Work Orders", "work-orders"),
    ("Jobs", "jobs"),
];

/// A rendered file and its download name.
pub struct ReportFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Parses the `date` parameter (422 naming `date`).
pub fn parse_report_date(raw: &str) -> Result<NaiveDate, EngineError> {
    parse_day(raw).ok_or_else(|| EngineError::field("date", "Invalid date format (use YYYY-MM-DD)"))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, EngineError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|e| StoreError::Join(e.to_string()))?
        .map_err(|e| StoreError::Other(e).into())
}

fn str_field(row: &serde_json::Map<String, Value>, k: &str) -> String {
    row.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl Engine {
    /// The client as reports name it, plus its `otd_mode` at the end of `day` (403/404 first).
    async fn report_client(
        &self,
        caller: &Caller,
        client_id: &str,
    ) -> Result<(ReportClient, String), EngineError> {
        let (c2, id) = (caller.clone(), client_id.to_owned());
        self.read(move |c| {
            let row = visible_client(c, &c2, &id)?;
            // Scheduled (future) settings versions do not apply yet.
            let s = settings::in_force(c, &id, &now_ts())?.settings;
            let otd_mode = s["otd_mode"].as_str().unwrap_or("BOTH").to_owned();
            let tz = str_field(&row, "timezone");
            Ok((
                ReportClient {
                    client_id: id,
                    client_name: str_field(&row, "client_name"),
                    timezone: if tz.is_empty() {
                        reports::clock::DEFAULT_TIMEZONE.into()
                    } else {
                        tz
                    },
                },
                otd_mode,
            ))
        })
        .await
    }

    async fn day_kpis(
        &self,
        caller: &Caller,
        client_id: &str,
        day: NaiveDate,
    ) -> Result<Vec<(String, KpiResult)>, EngineError> {
        let today = self.client_today(client_id).await?;
        let window = Window {
            from: day,
            to: day,
            today,
        };
        let k = self
            .client_kpis(caller, client_id.to_owned(), window, Filters::default())
            .await?;
        Ok(order(&k.kpis))
    }

    /// Everything the daily PDF shows; `date` None = yesterday in the client's time zone.
    pub async fn daily_report(
        &self,
        caller: &Caller,
        client_id: &str,
        date: Option<NaiveDate>,
    ) -> Result<DailyReport, EngineError> {
        let (client, otd_mode) = self.report_client(caller, client_id).await?;
        let date = date.unwrap_or_else(|| reports::clock::yesterday(&client.timezone, Utc::now()));
        let kpis: Vec<_> = self
            .day_kpis(caller, client_id, date)
            .await?
            .into_iter()
            .filter(|(n, _)| reports::shown(n, &otd_mode))
            .collect();
        // One KPI computation per day serves all eight charts (and is cached per day).
        let from = date - Days::new(TREND_DAYS - 1);
        let mut per_day = Vec::with_capacity(TREND_DAYS as usize);
        for i in 0..TREND_DAYS {
            per_day.push(
                self.day_kpis(caller, client_id, from + Days::new(i))
                    .await?,
            );
        }
        let trends = TREND_KPIS
            .iter()
            .filter(|k| reports::shown(k, &otd_mode))
            .map(|kpi| Trend {
                kpi: (*kpi).to_owned(),
                from,
                values: per_day.iter().map(|d| value_of(d, kpi)).collect(),
                target: kpis
                    .iter()
                    .find(|(n, _)| n == kpi)
                    .and_then(|(_, k)| k.target),
            })
            .collect();
        let why = self.why_inputs(client_id, date, from, &per_day).await?;
        let why = reports::why::sentences(&kpis, &why);
        let window = Window {
            from: date,
            to: date,
            today: self.client_today(client_id).await?,
        };
        let losses = self
            .client_losses(caller, client_id.to_owned(), window)
            .await?;
        let top_losses = losses.currency.map(|c| (c, losses.top));
        Ok(DailyReport {
            client,
            date,
            generated_at: now_ts(),
            kpis,
            trends,
            why,
            top_losses,
        })
    }

    /// The comparison of "why did it change": the latest earlier day of the trend range with
    /// data (a value of any KPI but WIP aging, which every day with open orders has), downtime
    /// hours by reason on both days, and the report day's late orders (its OTD details).
    async fn why_inputs(
        &self,
        client_id: &str,
        date: NaiveDate,
        from: NaiveDate,
        per_day: &[Vec<(String, KpiResult)>],
    ) -> Result<WhyInputs, EngineError> {
        let has_data = |kpis: &[(String, KpiResult)]| {
            kpis.iter()
                .any(|(n, k)| n != "wip_aging" && k.value.is_some())
        };
        let previous = per_day
            .iter()
            .enumerate()
            .take(per_day.len().saturating_sub(1))
            .rev()
            .find(|(_, kpis)| has_data(kpis))
            .map(|(i, kpis)| (from + Days::new(i as u64), kpis.clone()));
        let late_orders = per_day
            .last()
            .and_then(|kpis| kpis.iter().find(|(n, _)| n == "otd"))
            .and_then(|(_, k)| k.details.get("late"))
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let downtime = match &previous {
            Some((prev, _)) => {
                let (id, day, prev) = (client_id.to_owned(), date.to_string(), prev.to_string());
                self.read(move |c| downtime_by_reason(c, &id, &day, &prev))
                    .await?
            }
            None => Vec::new(),
        };
        Ok(WhyInputs {
            previous,
            downtime,
            late_orders,
        })
    }

    /// GET /api/clients/{id}/reports/daily.pdf.
    pub async fn daily_report_pdf(
        &self,
        caller: &Caller,
        client_id: &str,
        date: Option<NaiveDate>,
    ) -> Result<ReportFile, EngineError> {
        let report = self.daily_report(caller, client_id, date).await?;
        self.daily_report_pdf_of(report).await
    }

    /// Renders a gathered daily report on a blocking thread.
    pub(crate) async fn daily_report_pdf_of(
        &self,
        report: DailyReport,
    ) -> Result<ReportFile, EngineError> {
        let file_name = format!("{}_daily_{}.pdf", report.client.client_id, report.date);
        let bytes = blocking(move || reports::pdf::render(&report)).await?;
        Ok(ReportFile { file_name, bytes })
    }

    /// GET /api/clients/{id}/reports/kpis.xlsx (window rules as the KPI routes).
    pub async fn kpis_xlsx(
        &self,
        caller: &Caller,
        client_id: &str,
        window: Window,
    ) -> Result<ReportFile, EngineError> {
        let (client, _) = self.report_client(caller, client_id).await?;
        let summary = order(
            &self
                .client_kpis(caller, client_id.to_owned(), window, Filters::default())
                .await?
                .kpis,
        );
        let mut daily = Vec::new();
        let mut day = window.from;
        while day <= window.to {
            daily.push((day, self.day_kpis(caller, client_id, day).await?));
            day = day + Days::new(1);
        }
        let mut raw = Vec::with_capacity(RAW_SHEETS.len());
        for (title, name) in RAW_SHEETS {
            raw.push(
                self.raw_sheet(caller, client_id, window, title, name)
                    .await?,
            );
        }
        let inference = self.inferred_rows(caller, client_id, window).await?;
        let book = KpiWorkbook {
            client,
            from: window.from,
            to: window.to,
            generated_at: now_ts(),
            generated_by: caller.user_id.clone(),
            summary,
            daily,
            raw,
            inference,
        };
        let file_name = format!("{client_id}_kpis_{}_{}.xlsx", window.from, window.to);
        let bytes = blocking(move || reports::xlsx::render(&book)).await?;
        Ok(ReportFile { file_name, bytes })
    }

    /// The window's inferred pairs of every KPI (the same gathering as GET kpis, recorded), at
    /// most `WORKBOOK_ITEMS` rows in all. OEE has no pairs of its own (its components' are
    /// listed under them).
    async fn inferred_rows(
        &self,
        caller: &Caller,
        client_id: &str,
        window: Window,
    ) -> Result<Vec<InferredRow>, EngineError> {
        let (c2, id) = (caller.clone(), client_id.to_owned());
        self.read(move |c| {
            visible_client(c, &c2, &id)?;
            let gathered = provenance::recording_up_to(WORKBOOK_ITEMS, || {
                super::kpis::gather_all(c, &id, window, &Filters::default())
            })?;
            let mut rows = Vec::new();
            for (kpi, inputs) in &gathered.inputs {
                let Some(log) = &inputs.provenance.detail else {
                    continue;
                };
                for n in &log.items {
                    if rows.len() >= WORKBOOK_ITEMS {
                        return Ok(rows);
                    }
                    rows.push(InferredRow {
                        kpi,
                        record: n.record.clone(),
                        field: n.field.clone(),
                        value: n.value.clone(),
                        level: n.level,
                        strategy: chains::strategy(chains::chain_key(&n.field, kpi), n.level).0,
                        source: n.source.clone(),
                    });
                }
            }
            Ok(rows)
        })
        .await
    }

    /// Every row of one resource for the client and window, in export column order.
    async fn raw_sheet(
        &self,
        caller: &Caller,
        client_id: &str,
        window: Window,
        title: &'static str,
        name: &str,
    ) -> Result<RawSheet, EngineError> {
        let res = defs::find(name).ok_or_else(|| EngineError::not_found(name))?;
        let table = res.table;
        let present: Vec<String> = self
            .read(move |c| {
                let mut stmt = c.prepare_cached("SELECT name FROM pragma_table_info(?1)")?;
                let names = stmt
                    .query_map([table], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(names)
            })
            .await?;
        let columns = super::exports::export_columns(res, &present, false);
        let mut rows = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .list_records(
                    caller,
                    res,
                    ListParams {
                        client_id: Some(client_id.to_owned()),
                        from: Some(window.from.to_string()),
                        to: Some(window.to.to_string()),
                        limit: Some("1000".into()),
                        cursor,
                        include_deleted: false,
                        filters: Vec::new(),
                    },
                )
                .await?;
            rows.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(RawSheet {
            title,
            columns,
            rows,
        })
    }
}

/// KPIs in the order of kpis.md (`KPI_NAMES`).
fn order(kpis: &std::collections::BTreeMap<String, KpiResult>) -> Vec<(String, KpiResult)> {
    crate::kpi::KPI_NAMES
        .iter()
        .filter_map(|n| kpis.get(*n).map(|k| ((*n).to_owned(), k.clone())))
        .collect()
}

fn value_of(day: &[(String, KpiResult)], kpi: &str) -> Option<f64> {
    day.iter()
        .find(|(n, _)| n == kpi)
        .and_then(|(_, k)| k.value)
}

/// Downtime hours by reason on `day` and on `prev` (reason unknown → OTHER).
fn downtime_by_reason(
    c: &rusqlite::Connection,
    client: &str,
    day: &str,
    prev: &str,
) -> Result<Vec<(String, f64, f64)>, EngineError> {
    let mut stmt = c.prepare_cached(
        "SELECT coalesce(downtime_reason, 'OTHER'), \
                sum(CASE WHEN shift_date = ?2 THEN downtime_duration_minutes ELSE 0 END) / 60.0, \
                sum(CASE WHEN shift_date = ?3 THEN downtime_duration_minutes ELSE 0 END) / 60.0 \
         FROM downtime_entries WHERE client_id = ?1 AND is_active = 1 AND shift_date IN (?2, ?3) \
         GROUP BY 1 ORDER BY 1",
    )?;
    let rows = stmt
        .query_map(rusqlite::params![client, day, prev], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(StoreError::from)?;
    Ok(rows.collect::<Result<_, _>>().map_err(StoreError::from)?)
}
