//! The missing-data watchdog (operations.md §8): for each active client and each standard shift
//! expected that day (its `days_of_week`, and the client entered that shift type in the 14
//! days before) whose end + `watchdog.grace_minutes` has passed in the client's time zone, a
//! WATCHDOG_FINDING lists the `watchdog.resources` with no row; an open finding closes when the
//! data arrives. `kpi_ops_missing_shift_entries{client_id}` is the number of open findings.
use super::shift_closes::{COUNTED, count, expected_types, parse_days, weekday_name};
use super::shift_lock::LineShift;
use crate::domain::time::now_ts;
use crate::domain::tz;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::store::StoreError;
use crate::store::outbox::{self, NewMessage};
use crate::store::settings;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rusqlite::{Connection, params};
use serde_json::Value;

/// A standard shift's expected days and end time.
#[derive(Debug, Clone)]
pub(crate) struct ShiftDef {
    pub shift_type: String,
    pub start: Option<NaiveTime>,
    pub end: NaiveTime,
    /// `MON`…`SUN`; blank = Monday to Friday.
    pub days: Vec<String>,
}

fn expected_on(def: &ShiftDef, day: NaiveDate) -> bool {
    let name = weekday_name(day);
    if def.days.is_empty() {
        return day.weekday().num_days_from_monday() < 5;
    }
    def.days.iter().any(|d| d == name)
}

/// The line-shifts of yesterday and today whose end + grace has passed at `now` (client wall
/// clock). A shift ending before it starts crosses midnight and ends the next day.
pub(crate) fn due_line_shifts(
    now: NaiveDateTime,
    defs: &[ShiftDef],
    grace_minutes: i64,
) -> Vec<(NaiveDate, String)> {
    let mut out = Vec::new();
    for day in [now.date() - Duration::days(1), now.date()] {
        for def in defs.iter().filter(|d| expected_on(d, day)) {
            let crosses = def.start.is_some_and(|s| def.end <= s);
            let end_day = if crosses {
                day + Duration::days(1)
            } else {
                day
            };
            if end_day.and_time(def.end) + Duration::minutes(grace_minutes) <= now {
                out.push((day, def.shift_type.clone()));
            }
        }
    }
    out
}

fn time(raw: Option<String>) -> Option<NaiveTime> {
    raw.and_then(|t| NaiveTime::parse_from_str(&t, "%H:%M").ok())
}

fn standard_shifts(conn: &Connection, client: &str) -> Result<Vec<ShiftDef>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT shift_type, start_time, end_time, days_of_week FROM shifts \
         WHERE client_id = ?1 AND is_active = 1 AND is_overtime = 0 AND end_time IS NOT NULL",
    )?;
    let rows = stmt.query_map([client], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (shift_type, start, end, days) = row?;
        let Some(end) = time(end) else { continue };
        out.push(ShiftDef {
            shift_type,
            start: time(start),
            end,
            days: parse_days(days),
        });
    }
    Ok(out)
}

/// The watchdog part of the client's settings in force: (enabled, grace minutes, resources).
fn watchdog_settings(
    conn: &Connection,
    client: &str,
) -> Result<(bool, i64, Vec<String>, Vec<String>), StoreError> {
    let doc = settings::in_force(conn, client, &now_ts())?.settings;
    let defaults = settings::defaults();
    let w = doc.get("watchdog").unwrap_or(&defaults["watchdog"]);
    let enabled = w.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    let grace = w
        .get("grace_minutes")
        .and_then(Value::as_i64)
        .unwrap_or(120);
    let resources = w
        .get("resources")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_else(|| vec!["production".into(), "attendance".into()]);
    // Who gets an e-mail when a finding opens (empty: nobody).
    let recipients = w
        .get("recipients")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok((enabled, grace, resources, recipients))
}

/// The e-mail of a new finding (kind `watchdog`), queued in the same writer job.
fn finding_mail(ls: &LineShift, gaps: &[String], recipients: &[String]) -> NewMessage {
    let what = gaps.join(", ");
    let line = format!(
        "The {} of {} on {} has ended, and no {} has been entered yet.",
        ls.shift_type, ls.client_id, ls.shift_date, what
    );
    let after = "The finding closes by itself once the data arrives (Shift status screen).";
    NewMessage {
        client_id: Some(ls.client_id.clone()),
        kind: "watchdog",
        report_date: Some(ls.shift_date.clone()),
        recipients: recipients.to_vec(),
        subject: format!(
            "Missing shift data: {} {} {}",
            ls.client_id, ls.shift_date, ls.shift_type
        ),
        body_text: format!("{line}\n\n{after}\n"),
        body_html: format!("<p>{line}</p><p>{after}</p>"),
        attachments: Vec::new(),
        created_by: "SYSTEM".into(),
    }
}

fn missing(
    conn: &Connection,
    ls: &LineShift,
    resources: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for (name, table) in COUNTED
        .iter()
        .filter(|(n, _)| resources.iter().any(|r| r == n))
    {
        if count(conn, table, ls)? == 0 {
            out.push((*name).to_owned());
        }
    }
    Ok(out)
}

/// One pass for one client inside a writer job: open (and, with `mail`, e-mail), update or
/// close findings; returns (open findings, e-mails queued).
fn check_client(
    tx: &Connection,
    client: &str,
    zone: &str,
    now: jiff::Timestamp,
    mail: bool,
) -> Result<(i64, usize), StoreError> {
    let (enabled, grace, resources, recipients) = watchdog_settings(tx, client)?;
    let mut mails = 0;
    let detected = now_ts();
    if enabled {
        let defs = standard_shifts(tx, client)?;
        for (day, shift_type) in due_line_shifts(tz::local_at(zone, now), &defs, grace) {
            if !expected_types(tx, client, day)?.contains(&shift_type) {
                continue; // the client does not run this shift (nothing in the last 14 days)
            }
            let ls = LineShift {
                client_id: client.to_owned(),
                shift_date: day.to_string(),
                shift_type,
            };
            let gaps = missing(tx, &ls, &resources)?;
            if gaps.is_empty() {
                continue;
            }
            let id = format!(
                "{}.{}.{}",
                client,
                ls.shift_date.replace('-', ""),
                ls.shift_type
            );
            let opened = tx.prepare_cached(
                "INSERT INTO watchdog_findings (finding_id, client_id, shift_date, shift_type, missing, detected_at) \
                 SELECT ?1 || '.' || (SELECT count(*) + 1 FROM watchdog_findings WHERE client_id = ?2 \
                 AND shift_date = ?3 AND shift_type = ?4), ?2, ?3, ?4, ?5, ?6 \
                 WHERE NOT EXISTS (SELECT 1 FROM watchdog_findings WHERE client_id = ?2 AND shift_date = ?3 \
                 AND shift_type = ?4 AND resolved_at IS NULL)",
            )?
            .execute(params![id, client, ls.shift_date, ls.shift_type, Value::from(gaps.clone()).to_string(), detected])?;
            if opened == 1 && mail && !recipients.is_empty() {
                outbox::insert(
                    tx,
                    &finding_mail(&ls, &gaps, &recipients),
                    &outbox::now_millis(),
                )?;
                mails += 1;
            }
        }
    }
    // Re-check every open finding: it closes when its data arrived (or the watchdog is off).
    let open: Vec<(String, String, String)> = tx
        .prepare_cached(
            "SELECT finding_id, shift_date, shift_type FROM watchdog_findings \
             WHERE client_id = ?1 AND resolved_at IS NULL",
        )?
        .query_map([client], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut still_open = 0;
    for (id, shift_date, shift_type) in open {
        let ls = LineShift {
            client_id: client.to_owned(),
            shift_date,
            shift_type,
        };
        let gaps = if enabled {
            missing(tx, &ls, &resources)?
        } else {
            Vec::new()
        };
        if gaps.is_empty() {
            tx.prepare_cached(
                "UPDATE watchdog_findings SET resolved_at = ?2 WHERE finding_id = ?1",
            )?
            .execute(params![id, detected])?;
        } else {
            tx.prepare_cached("UPDATE watchdog_findings SET missing = ?2 WHERE finding_id = ?1")?
                .execute(params![id, Value::from(gaps).to_string()])?;
            still_open += 1;
        }
    }
    Ok((still_open, mails))
}

impl Engine {
    /// One watchdog pass over every active client (one writer job) at `now`; sets
    /// `kpi_ops_missing_shift_entries` and returns the open findings per client.
    pub async fn run_watchdog(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(String, i64)>, EngineError> {
        let now = jiff::Timestamp::from_second(now.timestamp())
            .map_err(|e| EngineError::Store(StoreError::Other(e.to_string())))?;
        // A new finding is e-mailed only when e-mail is on (ENABLE_EMAIL_REPORTS and SMTP_HOST).
        let mail = self.inner.config.mail.enabled;
        let passes = self
            .write(move |tx| {
                let clients: Vec<(String, String)> = tx
                    .prepare_cached("SELECT client_id, timezone FROM clients WHERE is_active = 1")
                    .map_err(StoreError::from)?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .and_then(|rows| rows.collect())
                    .map_err(StoreError::from)?;
                let mut out = Vec::new();
                for (client, zone) in clients {
                    let pass = check_client(tx, &client, &zone, now, mail)?;
                    out.push((client, pass));
                }
                Ok(out)
            })
            .await?;
        if passes.iter().any(|(_, (_, mails))| *mails > 0) {
            self.inner.mailer.kick();
        }
        let open: Vec<(String, i64)> = passes.into_iter().map(|(c, (n, _))| (c, n)).collect();
        let gauge = &self.metrics().missing_shift_entries;
        gauge.reset();
        for (client, n) in &open {
            gauge.with_label_values(&[client.as_str()]).set(*n);
        }
        Ok(open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(shift_type: &str, start: &str, end: &str, days: &[&str]) -> ShiftDef {
        ShiftDef {
            shift_type: shift_type.into(),
            start: time(Some(start.into())),
            end: time(Some(end.into())).unwrap(),
            days: days.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_shift_is_due_after_its_end_plus_grace_on_its_days() {
        let first = def("SHIFT_1ST", "06:00", "15:30", &[]);
        let second = def("SHIFT_2ND", "15:30", "01:00", &[]); // crosses midnight
        // Wednesday 2025-12-17 17:29: the 1st shift ended 15:30, +120 min = 17:30 → not yet.
        let due = due_line_shifts(at("2025-12-17 17:29"), std::slice::from_ref(&first), 120);
        assert_eq!(
            due,
            vec![(
                NaiveDate::from_ymd_opt(2025, 12, 16).unwrap(),
                "SHIFT_1ST".into()
            )]
        );
        let due = due_line_shifts(at("2025-12-17 17:30"), std::slice::from_ref(&first), 120);
        assert_eq!(due.len(), 2, "yesterday's and today's");
        // The 2nd shift of Tuesday ends Wednesday 01:00; due at 03:00 Wednesday.
        let due = due_line_shifts(at("2025-12-17 02:59"), std::slice::from_ref(&second), 120);
        assert!(due.is_empty(), "{due:?}");
        let due = due_line_shifts(at("2025-12-17 03:00"), &[second], 120);
        assert_eq!(
            due,
            vec![(
                NaiveDate::from_ymd_opt(2025, 12, 16).unwrap(),
                "SHIFT_2ND".into()
            )]
        );
        // Blank days = Monday to Friday: Sunday 2025-12-21 and Saturday the 20th expect nothing.
        assert!(
            due_line_shifts(at("2025-12-21 23:00"), std::slice::from_ref(&first), 120).is_empty()
        );
        // Explicit days win.
        let sat = def("SHIFT_1ST", "06:00", "15:30", &["SAT"]);
        let due = due_line_shifts(at("2025-12-21 23:00"), &[sat], 120);
        assert_eq!(
            due,
            vec![(
                NaiveDate::from_ymd_opt(2025, 12, 20).unwrap(),
                "SHIFT_1ST".into()
            )]
        );
    }
}
