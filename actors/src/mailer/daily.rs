//! The daily subscription (operations.md §6): at `report.time` in the client's time zone, one
//! message with the previous day's PDF (and XLSX when subscribed) to the recipients. Exactly once
//! per (client, day): the check and the insert share one writer job, and the unique index
//! `ux_mail_outbox_daily` backs it. A run missed while down is caught up when less than 12 h
//! late, else skipped and logged.
//!
//! `Engine::enqueue_due_daily_reports(now)` is what a scheduler calls; `spawn_tick` is the
//! stop-gap periodic caller until the scheduler actor owns it (delete it then).
use crate::domain::Caller;
use crate::domain::TenantScope;
use crate::engine::{Engine, Inner};
use crate::error::EngineError;
use crate::kpi::inputs::Window;
use crate::reports::clock;
use crate::store::outbox::{self, Attachment};
use crate::store::{clients, settings};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Weak;
use std::time::Duration;

/// A due time more than this far behind `now` is skipped, not caught up.
const CATCH_UP: chrono::TimeDelta = chrono::TimeDelta::hours(12);

/// A client whose report is due at `now`: (client, report day).
struct Due {
    client_id: String,
    day: chrono::NaiveDate,
    recipients: Vec<String>,
    xlsx: bool,
}

impl Engine {
    /// Queues the daily report of every active client whose subscription time has passed today
    /// (client time) and whose report for yesterday is not queued yet. Returns the new message ids.
    /// Disabled (ENABLE_EMAIL_REPORTS=false): queues nothing.
    pub async fn enqueue_due_daily_reports(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, EngineError> {
        if !self.inner.config.mail.enabled {
            return Ok(Vec::new());
        }
        // Settings in force at `now` (a scheduled version does not subscribe anyone yet).
        let now_ts = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let due = self
            .read(move |c| {
                let mut out = Vec::new();
                for row in clients::list(c, &TenantScope::All, false)? {
                    let id = row.get("client_id").and_then(Value::as_str).unwrap_or_default().to_owned();
                    let tz = row.get("timezone").and_then(Value::as_str).unwrap_or_default();
                    let s = super::subscription::parse(&settings::in_force(c, &id, &now_ts)?.settings);
                    if !s.enabled || s.recipients.is_empty() {
                        continue;
                    }
                    let local = clock::local(tz, now);
                    let due_at = local.date().and_time(s.time);
                    if local < due_at {
                        continue;
                    }
                    let day = local.date() - chrono::Days::new(1);
                    if outbox::daily_exists(c, &id, &day.to_string())? {
                        continue;
                    }
                    if local - due_at > CATCH_UP {
                        tracing::warn!(client_id = %id, report_date = %day, "daily report skipped: more than 12 h late");
                        continue;
                    }
                    out.push(Due { client_id: id, day, recipients: s.recipients, xlsx: s.xlsx });
                }
                Ok(out)
            })
            .await?;
        let mut ids = Vec::new();
        for d in due {
            match self.enqueue_daily(d).await {
                Ok(Some(id)) => ids.push(id),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "daily report not queued"),
            }
        }
        if !ids.is_empty() {
            self.inner.mailer.kick();
        }
        Ok(ids)
    }

    async fn enqueue_daily(&self, d: Due) -> Result<Option<String>, EngineError> {
        let system = Caller::system();
        let mut message = self
            .report_message(
                &system,
                &d.client_id,
                Some(d.day),
                d.recipients,
                "daily_report",
            )
            .await?;
        if d.xlsx {
            let window = Window {
                from: d.day,
                to: d.day,
                today: self.client_today(&d.client_id).await?,
            };
            let file = self.kpis_xlsx(&system, &d.client_id, window).await?;
            message.attachments.push(Attachment {
                file_name: file.file_name,
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    .into(),
                content: file.bytes,
            });
        }
        let (client, day) = (d.client_id, d.day.to_string());
        self.write(move |tx| {
            // The same check inside the write: two ticks never queue the same (client, day).
            if outbox::daily_exists(tx, &client, &day)? {
                return Ok(None);
            }
            Ok(Some(outbox::insert(
                tx,
                &message,
                &crate::domain::time::now_ts(),
            )?))
        })
        .await
    }
}

/// Calls `enqueue_due_daily_reports` every `every` while the engine lives (a weak reference:
/// the tick never keeps the engine, and so the writer, alive).
pub(crate) fn spawn_tick(engine: Weak<Inner>, every: Duration) {
    actix::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            let Some(inner) = engine.upgrade() else {
                return;
            };
            let e = Engine { inner };
            if let Err(err) = e.enqueue_due_daily_reports(Utc::now()).await {
                tracing::warn!(error = %err, "daily report tick failed");
            }
        }
    });
}
