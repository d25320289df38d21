//! POST …/reports/email (queue a report e-mail) and GET /api/admin/outbox (api.md §9). Queueing
//! renders the PDF now and stores it with the message (operations.md §6: "written to the
//! database with its attachments"), so the mailer only sends.
use crate::domain::time::{now_ts, parse_day};
use crate::domain::{Caller, FieldError, Role};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::mailer::{compose, subscription};
use crate::store::outbox::{self, Attachment, NewMessage, OutboxRow};
use crate::store::settings;
use serde_json::{Map, Value};

const STATUSES: [&str; 5] = ["PENDING", "SENDING", "SENT", "FAILED", "CANCELLED"];

impl Engine {
    /// A report message for `client_id` and `date` (None = yesterday, client time), PDF attached.
    pub(crate) async fn report_message(
        &self,
        caller: &Caller,
        client_id: &str,
        date: Option<chrono::NaiveDate>,
        recipients: Vec<String>,
        kind: &'static str,
    ) -> Result<NewMessage, EngineError> {
        let report = self.daily_report(caller, client_id, date).await?;
        let dashboard = self.inner.config.mail.dashboard_url.clone();
        let (subject, text, html) = (
            compose::subject(&report),
            compose::text(&report, &dashboard),
            compose::html(&report, &dashboard),
        );
        let day = report.date;
        let pdf = self.daily_report_pdf_of(report).await?;
        Ok(NewMessage {
            client_id: Some(client_id.to_owned()),
            kind,
            report_date: Some(day.to_string()),
            recipients,
            subject,
            body_text: text,
            body_html: html,
            attachments: vec![Attachment {
                file_name: pdf.file_name,
                content_type: "application/pdf".into(),
                content: pdf.bytes,
            }],
            created_by: caller.user_id.clone(),
        })
    }

    /// POST /api/clients/{id}/reports/email `{"date"?, "recipients"?}` → the queued message id.
    /// Unknown client 404, foreign 403, OPERATOR 403, e-mail switched off 409, bad body 422.
    pub async fn email_report(
        &self,
        caller: &Caller,
        client_id: &str,
        body: Map<String, Value>,
    ) -> Result<String, EngineError> {
        let (c2, id) = (caller.clone(), client_id.to_owned());
        let subscribed = self
            .read(move |c| {
                super::clients::visible_client(c, &c2, &id)?;
                Ok(
                    subscription::parse(&settings::in_force(c, &id, &now_ts())?.settings)
                        .recipients,
                )
            })
            .await?;
        if caller.role == Role::OperatorDataentry {
            return Err(EngineError::forbidden("operators cannot e-mail reports"));
        }
        if !self.inner.config.mail.enabled {
            return Err(EngineError::conflict(
                "feature_disabled",
                "e-mail reports are switched off (ENABLE_EMAIL_REPORTS=false)",
            ));
        }
        let mut errors = Vec::new();
        for k in body
            .keys()
            .filter(|k| !["date", "recipients"].contains(&k.as_str()))
        {
            errors.push(FieldError::new(k.as_str(), "unknown field"));
        }
        let date = match body.get("date") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let d = v.as_str().and_then(parse_day);
                if d.is_none() {
                    errors.push(FieldError::new(
                        "date",
                        "Invalid date format (use YYYY-MM-DD)",
                    ));
                }
                d
            }
        };
        let recipients = match body.get("recipients") {
            None | Some(Value::Null) => subscribed,
            Some(v) => {
                errors.extend(subscription::validate_recipients("recipients", v));
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            }
        };
        if recipients.is_empty() && errors.is_empty() {
            errors.push(FieldError::new(
                "recipients",
                "give 1-50 addresses or subscribe the client (settings report.recipients)",
            ));
        }
        if !errors.is_empty() {
            return Err(EngineError::invalid(errors));
        }
        let message = self
            .report_message(caller, client_id, date, recipients, "manual_report")
            .await?;
        let id = self
            .write(move |tx| Ok(outbox::insert(tx, &message, &now_ts())?))
            .await?;
        self.inner.mailer.kick();
        Ok(id)
    }

    /// GET /api/admin/outbox?status=&client_id=&limit= (ADMIN), newest first.
    pub async fn list_outbox(
        &self,
        caller: &Caller,
        status: Option<String>,
        client_id: Option<String>,
        limit: Option<String>,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        if caller.role != Role::Admin {
            return Err(EngineError::forbidden("the outbox is for admins"));
        }
        let status = status.map(|s| s.trim().to_ascii_uppercase());
        if let Some(s) = &status
            && !STATUSES.contains(&s.as_str())
        {
            return Err(EngineError::field(
                "status",
                format!("one of {}", STATUSES.join(", ")),
            ));
        }
        let limit = match limit.as_deref() {
            None => 100,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    EngineError::field("limit", "must be a whole number from 1 to 1000")
                })?,
        };
        self.read(move |c| {
            Ok(outbox::list(
                c,
                status.as_deref(),
                client_id.as_deref(),
                limit,
            )?)
        })
        .await
    }

    /// POST /api/admin/outbox/{message_id}/retry (ADMIN): FAILED → PENDING; unknown → 404;
    /// any other state → 409 `message_not_failed`.
    pub async fn retry_outbox_message(
        &self,
        caller: &Caller,
        message_id: String,
    ) -> Result<(), EngineError> {
        if caller.role != Role::Admin {
            return Err(EngineError::forbidden("the outbox is for admins"));
        }
        let id = message_id.clone();
        let before = self
            .write(move |tx| Ok(outbox::requeue(tx, &id, &outbox::now_millis())?))
            .await?;
        match before.as_deref() {
            None => Err(EngineError::not_found(format!("message {message_id}"))),
            Some("FAILED") => {
                self.inner.mailer.kick();
                Ok(())
            }
            Some(other) => Err(EngineError::conflict(
                "message_not_failed",
                format!("only FAILED messages can be retried; {message_id} is {other}"),
            )),
        }
    }

    /// Health `email: failing` (operations.md §3): the last delivery attempt within the past
    /// hour failed, or the oldest PENDING message is older than one hour.
    pub async fn mail_failing(&self) -> bool {
        let hour = std::time::Duration::from_secs(3600);
        if self.inner.mailer.last_attempt_failed_within(hour) {
            return true;
        }
        let oldest = self.read(|c| Ok(outbox::gauges(c)?.1)).await.ok().flatten();
        oldest
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .is_some_and(|t| chrono::Utc::now() - t.to_utc() > chrono::TimeDelta::hours(1))
    }

    /// The outbox gauges, read on scrape when a pooled connection is free at once (a busy pool
    /// keeps the previous values rather than making the scrape wait).
    pub(crate) fn refresh_outbox_gauges(&self) {
        let m = &self.inner.metrics;
        m.mailbox_depth
            .with_label_values(&["mailer"])
            .set(self.inner.mailer.depth());
        let Some((counts, oldest)) = self.inner.reads.try_read_now(outbox::gauges) else {
            return;
        };
        for status in ["PENDING", "SENDING", "FAILED"] {
            let n = counts
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            m.outbox_messages.with_label_values(&[status]).set(n);
        }
        let age = oldest
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map_or(0, |t| {
                (chrono::Utc::now() - t.to_utc()).num_seconds().max(0)
            });
        m.outbox_oldest_pending.set(age);
    }
}
