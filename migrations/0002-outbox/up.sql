-- Outbox, second step (operations.md §6). mail_outbox itself came with 0001 (status, attempts,
-- next_attempt_at, last_error, sent_at, the unique daily (client, kind, report_date) index).
-- What the mailer adds:
--   * mail_attachments: a message's files, rendered when the message is queued, so what was asked
--     for is exactly what is sent, also after a restart. A separate table keeps the BLOBs out of
--     the queue scans; dropping attachments of old SENT messages (90 days) deletes rows here only.
--   * smtp_message_id: the Message-ID header we sent, to find a delivery in the receiver's logs.
--   * created_by: the user who asked for an on-demand report, or 'SYSTEM' for the daily tick.

CREATE TABLE mail_attachments (
    message_id    TEXT    NOT NULL REFERENCES mail_outbox (message_id),
    position      INTEGER NOT NULL CHECK (position >= 0),
    file_name     TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    content       BLOB    NOT NULL,
    PRIMARY KEY (message_id, position)
) STRICT;

ALTER TABLE mail_outbox ADD COLUMN smtp_message_id TEXT;
ALTER TABLE mail_outbox ADD COLUMN created_by TEXT;
