//! The mailer actor: owns the SMTP transport. On a kick (a message was queued) and every poll
//! interval it drains the due messages: claim a few (one writer job: PENDING → SENDING), send
//! each, record each outcome (one writer job: SENT, or PENDING with the next attempt time, or
//! FAILED). One drain at a time; a kick during a drain runs another one right after.
use super::transport::{self, Transport};
use super::{MailConfig, backoff};
use crate::domain::time::now_ts;
use crate::metrics::EngineMetrics;
use crate::store::{Writer, outbox};
use actix::{Actor, ActorFutureExt, Addr, AsyncContext, Context, Handler, Message, WrapFuture};
use chrono::{SecondsFormat, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// When the last delivery attempt happened and whether it failed (health: `email failing`).
pub type LastAttempt = Arc<Mutex<Option<(Instant, bool)>>>;

/// Messages claimed per writer job.
const CLAIM: i64 = 8;

struct MailerActor {
    writer: Writer,
    metrics: EngineMetrics,
    config: MailConfig,
    /// Checked at start; `None` = not configured (or unusable): messages stay queued.
    smtp_ok: bool,
    draining: bool,
    again: bool,
    in_flight: Arc<AtomicI64>,
    last: LastAttempt,
}

impl Actor for MailerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.config.poll_interval, |act, ctx| act.drain(ctx));
        self.drain(ctx);
    }
}

/// "Something was queued": send now rather than at the next poll.
struct Kick;

impl Message for Kick {
    type Result = ();
}

impl Handler<Kick> for MailerActor {
    type Result = ();

    fn handle(&mut self, _: Kick, ctx: &mut Context<Self>) {
        self.drain(ctx);
    }
}

impl MailerActor {
    fn drain(&mut self, ctx: &mut Context<Self>) {
        if !(self.smtp_ok && self.config.enabled) {
            return; // not configured or switched off: the outbox keeps everything
        }
        if self.draining {
            self.again = true;
            return;
        }
        self.draining = true;
        let work = drain(
            self.writer.clone(),
            self.config.clone(),
            self.metrics.clone(),
            self.in_flight.clone(),
            self.last.clone(),
        );
        ctx.spawn(work.into_actor(self).map(|_, act, ctx| {
            act.draining = false;
            if std::mem::take(&mut act.again) {
                act.drain(ctx);
            }
        }));
    }
}

async fn drain(
    writer: Writer,
    config: MailConfig,
    metrics: EngineMetrics,
    in_flight: Arc<AtomicI64>,
    last: LastAttempt,
) {
    let Some(smtp) = config.smtp.as_ref() else {
        return;
    };
    // A transport per drain, dropped inside it: lettre's pool closes its connections from its
    // Drop by spawning on the runtime, which must still be running then (not at System teardown).
    let transport: Transport = match transport::build(smtp) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "SMTP transport not usable; mail stays queued");
            return;
        }
    };
    let from = smtp.from.clone();
    loop {
        let now = outbox::now_millis();
        let claimed = match writer
            .write(move |tx| outbox::claim_due(tx, &now, CLAIM))
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "outbox claim failed; next poll retries");
                return;
            }
        };
        if claimed.is_empty() {
            return;
        }
        in_flight.fetch_add(claimed.len() as i64, Ordering::Relaxed);
        for m in claimed {
            let outcome = transport::send(&transport, &from, &m).await;
            *last.lock().expect("last attempt") = Some((Instant::now(), outcome.is_err()));
            let (id, kind) = (m.message_id.clone(), m.kind.clone());
            let record = match outcome {
                Ok(smtp_id) => {
                    metrics.mail_sent.with_label_values(&[kind.as_str()]).inc();
                    tracing::info!(message_id = %id, kind = %kind, "mail sent");
                    writer
                        .write(move |tx| outbox::mark_sent(tx, &id, &smtp_id, &now_ts()))
                        .await
                }
                Err(f) => {
                    metrics
                        .mail_failures
                        .with_label_values(&[kind.as_str()])
                        .inc();
                    let failed = u32::try_from(m.attempts + 1).unwrap_or(u32::MAX);
                    let next = (!f.permanent && failed < config.max_attempts).then(|| {
                        let wait = backoff::delay(config.retry_base, failed);
                        (Utc::now() + wait).to_rfc3339_opts(SecondsFormat::Millis, true)
                    });
                    tracing::warn!(message_id = %id, attempt = failed, permanent = f.permanent,
                        retry_at = next.as_deref().unwrap_or("never"), error = %f.message, "mail not sent");
                    writer
                        .write(move |tx| {
                            outbox::mark_failed_attempt(tx, &id, &f.message, next.as_deref())
                        })
                        .await
                }
            };
            in_flight.fetch_sub(1, Ordering::Relaxed);
            if let Err(e) = record {
                // The row stays SENDING; the next start returns it to PENDING.
                tracing::error!(error = %e, message_id = %m.message_id, "outbox update failed");
            }
        }
    }
}

/// Handle to the mailer: queue-side code kicks it; the gauges read its depth.
#[derive(Clone)]
pub struct MailerHandle {
    addr: Addr<MailerActor>,
    in_flight: Arc<AtomicI64>,
    last: LastAttempt,
}

impl MailerHandle {
    /// Starts the actor (inside an actix System). A bad SMTP setting is logged and leaves the
    /// outbox queueing only; config validation normally catches it first.
    pub fn start(writer: Writer, metrics: EngineMetrics, config: MailConfig) -> MailerHandle {
        let smtp_ok = config.smtp.as_ref().is_some_and(|s| match transport::build(s) {
            Ok(_) => true,
            Err(e) => {
                tracing::error!(error = %e, host = %s.host, "SMTP transport not usable; mail stays queued");
                false
            }
        });
        let in_flight = Arc::new(AtomicI64::new(0));
        let last = LastAttempt::default();
        let actor = MailerActor {
            writer,
            metrics,
            config,
            smtp_ok,
            draining: false,
            again: false,
            in_flight: in_flight.clone(),
            last: last.clone(),
        };
        MailerHandle {
            addr: actor.start(),
            in_flight,
            last,
        }
    }

    /// Asks for a drain now. `try_send`: a full mailbox already holds a kick, which is enough.
    pub fn kick(&self) {
        let _ = self.addr.try_send(Kick);
    }

    /// Whether the last delivery attempt failed and happened within `window`.
    pub fn last_attempt_failed_within(&self, window: std::time::Duration) -> bool {
        matches!(*self.last.lock().expect("last attempt"), Some((at, true)) if at.elapsed() < window)
    }

    /// Messages being sent right now (the `mailer` mailbox depth).
    pub fn depth(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }
}
