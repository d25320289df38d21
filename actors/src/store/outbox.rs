//! MAIL_OUTBOX and MAIL_ATTACHMENTS (operations.md §6): the persistent queue of the mailer.
//! Every state change runs in a writer job, so a claim (PENDING → SENDING) and its outcome are
//! each one transaction; `reset_sending` at start returns claims a crash interrupted.
use super::{StoreError, sequences};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// One file of a message.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// What a caller queues.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub client_id: Option<String>,
    pub kind: &'static str,
    pub report_date: Option<String>,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attachments: Vec<Attachment>,
    pub created_by: String,
}

/// A claimed message, ready to send.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub message_id: String,
    pub kind: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attachments: Vec<Attachment>,
    pub attempts: i64,
}

/// A row as GET /api/admin/outbox shows it (no bodies or attachments).
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub message_id: String,
    pub client_id: Option<String>,
    pub kind: String,
    pub report_date: Option<String>,
    pub recipients: Vec<String>,
    pub subject: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attachments: i64,
}

/// Queue times with milliseconds: retries may be due within the same second (tests use short
/// delays), and every stored `next_attempt_at` has this one format, so text order is time order.
pub fn now_millis() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Queues a message (PENDING, due now) and returns its `MSG-YYYYMMDD-NNNN` id.
pub fn insert(tx: &Connection, m: &NewMessage, now: &str) -> Result<String, StoreError> {
    let day = now.get(..10).unwrap_or("1970-01-01").replace('-', "");
    let n = sequences::next(tx, "mail_outbox", &day)?;
    let id = format!("MSG-{day}-{n:04}");
    let recipients =
        serde_json::to_string(&m.recipients).map_err(|e| StoreError::Other(e.to_string()))?;
    tx.execute(
        "INSERT INTO mail_outbox (message_id, client_id, kind, report_date, recipients, subject, body_text, \
         body_html, status, attempts, next_attempt_at, created_at, created_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'PENDING', 0, ?9, ?10, ?11)",
        params![id, m.client_id, m.kind, m.report_date, recipients, m.subject, m.body_text, m.body_html, now_millis(), now, m.created_by],
    )?;
    for (i, a) in m.attachments.iter().enumerate() {
        tx.execute(
            "INSERT INTO mail_attachments (message_id, position, file_name, content_type, content) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, i as i64, a.file_name, a.content_type, a.content],
        )?;
    }
    Ok(id)
}

/// The daily report of (client, day) already queued (whatever its state)?
pub fn daily_exists(c: &Connection, client_id: &str, day: &str) -> Result<bool, StoreError> {
    Ok(c
        .prepare_cached(
            "SELECT 1 FROM mail_outbox WHERE client_id = ?1 AND kind = 'daily_report' AND report_date = ?2",
        )?
        .query_row(params![client_id, day], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Crash recovery: a SENDING row was claimed by a mailer that is gone; send it again.
pub fn reset_sending(tx: &Connection) -> Result<usize, StoreError> {
    Ok(tx.execute(
        "UPDATE mail_outbox SET status = 'PENDING' WHERE status = 'SENDING'",
        [],
    )?)
}

/// Claims up to `limit` due PENDING messages (oldest first) and marks them SENDING.
pub fn claim_due(tx: &Connection, now: &str, limit: i64) -> Result<Vec<Claimed>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT message_id, kind, recipients, subject, coalesce(body_text, ''), coalesce(body_html, ''), attempts \
         FROM mail_outbox WHERE status = 'PENDING' AND coalesce(next_attempt_at, '') <= ?1 \
         ORDER BY next_attempt_at, message_id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![now, limit], |r| {
            let recipients: String = r.get(2)?;
            Ok(Claimed {
                message_id: r.get(0)?,
                kind: r.get(1)?,
                recipients: serde_json::from_str(&recipients).unwrap_or_default(),
                subject: r.get(3)?,
                body_text: r.get(4)?,
                body_html: r.get(5)?,
                attachments: Vec::new(),
                attempts: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for mut m in rows {
        tx.execute(
            "UPDATE mail_outbox SET status = 'SENDING' WHERE message_id = ?1",
            [&m.message_id],
        )?;
        let mut a = tx.prepare_cached(
            "SELECT file_name, content_type, content FROM mail_attachments WHERE message_id = ?1 ORDER BY position",
        )?;
        m.attachments = a
            .query_map([&m.message_id], |r| {
                Ok(Attachment {
                    file_name: r.get(0)?,
                    content_type: r.get(1)?,
                    content: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        out.push(m);
    }
    Ok(out)
}

pub fn mark_sent(
    tx: &Connection,
    id: &str,
    smtp_message_id: &str,
    now: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE mail_outbox SET status = 'SENT', attempts = attempts + 1, sent_at = ?2, smtp_message_id = ?3, \
         last_error = NULL, next_attempt_at = NULL WHERE message_id = ?1",
        params![id, now, smtp_message_id],
    )?;
    Ok(())
}

/// Deletes the attachments of messages SENT before `before` (operations.md §6: after 90 days);
/// the message itself (recipients, subject, bodies) stays. Returns the files dropped.
pub fn drop_sent_attachments(tx: &Connection, before: &str) -> Result<usize, StoreError> {
    Ok(tx.execute(
        "DELETE FROM mail_attachments WHERE message_id IN \
         (SELECT message_id FROM mail_outbox WHERE status = 'SENT' AND sent_at < ?1)",
        [before],
    )?)
}

/// A failed attempt: back to PENDING due at `next_attempt_at`, or FAILED when that is None.
pub fn mark_failed_attempt(
    tx: &Connection,
    id: &str,
    error: &str,
    next_attempt_at: Option<&str>,
) -> Result<(), StoreError> {
    let status = if next_attempt_at.is_some() {
        "PENDING"
    } else {
        "FAILED"
    };
    tx.execute(
        "UPDATE mail_outbox SET status = ?2, attempts = attempts + 1, last_error = ?3, next_attempt_at = ?4 \
         WHERE message_id = ?1",
        params![id, status, error, next_attempt_at],
    )?;
    Ok(())
}

/// ADMIN retry: a FAILED message goes back to PENDING, due now, with a fresh attempt count.
/// Returns the status before (None: no such message); only FAILED rows change.
pub fn requeue(tx: &Connection, id: &str, now: &str) -> Result<Option<String>, StoreError> {
    let status: Option<String> = tx
        .prepare_cached("SELECT status FROM mail_outbox WHERE message_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if status.as_deref() == Some("FAILED") {
        tx.execute(
            "UPDATE mail_outbox SET status = 'PENDING', attempts = 0, next_attempt_at = ?2 WHERE message_id = ?1",
            params![id, now],
        )?;
    }
    Ok(status)
}

/// Newest first, optionally filtered by status and client.
pub fn list(
    c: &Connection,
    status: Option<&str>,
    client_id: Option<&str>,
    limit: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT message_id, client_id, kind, report_date, recipients, subject, status, attempts, next_attempt_at, \
         last_error, created_at, sent_at, (SELECT count(*) FROM mail_attachments a WHERE a.message_id = o.message_id) \
         FROM mail_outbox o WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR client_id = ?2) \
         ORDER BY created_at DESC, message_id DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![status, client_id, limit], |r| {
        let recipients: String = r.get(4)?;
        Ok(OutboxRow {
            message_id: r.get(0)?,
            client_id: r.get(1)?,
            kind: r.get(2)?,
            report_date: r.get(3)?,
            recipients: serde_json::from_str(&recipients).unwrap_or_default(),
            subject: r.get(5)?,
            status: r.get(6)?,
            attempts: r.get(7)?,
            next_attempt_at: r.get(8)?,
            last_error: r.get(9)?,
            created_at: r.get(10)?,
            sent_at: r.get(11)?,
            attachments: r.get(12)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Messages per status, and created_at of the oldest PENDING one.
pub type OutboxGauges = (Vec<(String, i64)>, Option<String>);

/// What the outbox gauges show.
pub fn gauges(c: &Connection) -> Result<OutboxGauges, StoreError> {
    let mut stmt = c.prepare_cached("SELECT status, count(*) FROM mail_outbox GROUP BY status")?;
    let counts = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let oldest = c
        .prepare_cached("SELECT min(created_at) FROM mail_outbox WHERE status = 'PENDING'")?
        .query_row([], |r| r.get(0))?;
    Ok((counts, oldest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(subject: &str) -> NewMessage {
        NewMessage {
            client_id: None,
            kind: "test",
            report_date: None,
            recipients: vec!["ops@example.com".into()],
            subject: subject.into(),
            body_text: "text".into(),
            body_html: "<p>html</p>".into(),
            attachments: vec![Attachment {
                file_name: "r.pdf".into(),
                content_type: "application/pdf".into(),
                content: b"%PDF-".to_vec(),
            }],
            created_by: "SYSTEM".into(),
        }
    }

    #[test]
    fn attachments_of_old_sent_messages_are_dropped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = crate::store::pragmas::open_writer(&dir.path().join("t.db")).unwrap();
        crate::store::migrations::migrate(&mut c).unwrap();
        let old = insert(&c, &message("old"), "2025-01-01T08:00:00.000Z").unwrap();
        let recent = insert(&c, &message("recent"), "2025-05-01T08:00:00.000Z").unwrap();
        let pending = insert(&c, &message("pending"), "2025-01-01T08:00:00.000Z").unwrap();
        mark_sent(&c, &old, "<a@x>", "2025-01-01T08:01:00.000Z").unwrap();
        mark_sent(&c, &recent, "<b@x>", "2025-05-01T08:01:00.000Z").unwrap();
        // 90 days before 2025-05-10.
        assert_eq!(
            drop_sent_attachments(&c, "2025-02-09T00:00:00.000Z").unwrap(),
            1
        );
        let files = |id: &str| -> i64 {
            c.query_row(
                "SELECT count(*) FROM mail_attachments WHERE message_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!((files(&old), files(&recent), files(&pending)), (0, 1, 1));
        let subject: String = c
            .query_row(
                "SELECT subject FROM mail_outbox WHERE message_id = ?1",
                [&old],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(subject, "old", "the message itself stays");
    }
}
