//! The scheduler actor: the one place that fires timed jobs. It lives on the engine's arbiter,
//! ticks every `TICK`, asks the job table what is due and spawns each due job's future (a
//! job still running from its previous time is skipped, never stacked). Jobs do their work
//! through handles (writer, backup actor, read pool), so nothing blocks here.
use super::table::JobTable;
use super::{Job, Schedule};
use actix::{Actor, ActorContext, Addr, AsyncContext, Context, Handler, Message};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Resolution of the scheduler: a daily job starts within this of its time.
const TICK: Duration = Duration::from_secs(20);

struct Register {
    job: Job,
    last_run: Option<DateTime<Utc>>,
}

impl Message for Register {
    type Result = ();
}

struct Tick;

impl Message for Tick {
    type Result = ();
}

struct Stop;

impl Message for Stop {
    type Result = ();
}

struct SchedulerActor {
    table: JobTable<Arc<Job>>,
    running: Rc<std::cell::RefCell<HashSet<String>>>,
    depth: Arc<AtomicI64>,
}

impl Actor for SchedulerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(TICK, |_, ctx| ctx.notify(Tick));
    }
}

impl Handler<Register> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, msg: Register, ctx: &mut Context<Self>) {
        let name = msg.job.name.clone();
        let schedule: Schedule = msg.job.schedule.clone();
        self.table
            .add(&name, schedule, msg.last_run, Utc::now(), Arc::new(msg.job));
        tracing::debug!(job = %name, next = ?self.table.next_of(&name), "job registered");
        ctx.notify(Tick); // a catch-up run starts now, not one tick later
    }
}

impl Handler<Tick> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, _: Tick, _: &mut Context<Self>) {
        let due: Vec<Arc<Job>> = self
            .table
            .run_due(Utc::now())
            .into_iter()
            .cloned()
            .collect();
        for job in due {
            if !self.running.borrow_mut().insert(job.name.clone()) {
                tracing::warn!(job = %job.name, "still running from its previous time; skipped");
                continue;
            }
            let running = self.running.clone();
            let depth = self.depth.clone();
            depth.fetch_add(1, Ordering::Relaxed);
            actix::spawn(async move {
                tracing::debug!(job = %job.name, "job started");
                match (job.run)().await {
                    Ok(()) => tracing::debug!(job = %job.name, "job done"),
                    Err(e) => tracing::warn!(job = %job.name, error = %e, "job failed"),
                }
                running.borrow_mut().remove(&job.name);
                depth.fetch_sub(1, Ordering::Relaxed);
            });
        }
    }
}

impl Handler<Stop> for SchedulerActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// Registration and depth; cheap to clone.
#[derive(Clone)]
pub struct SchedulerHandle {
    addr: Addr<SchedulerActor>,
    depth: Arc<AtomicI64>,
}

impl SchedulerHandle {
    /// Must run inside an actix `System` (the actor lives on the current arbiter).
    pub fn start() -> SchedulerHandle {
        let depth = Arc::new(AtomicI64::new(0));
        let addr = SchedulerActor {
            table: JobTable::default(),
            running: Rc::default(),
            depth: depth.clone(),
        }
        .start();
        SchedulerHandle { addr, depth }
    }

    /// Adds a job (or replaces the one of that name). `last_run` drives the catch-up rule of
    /// `JobTable::add`; pass `Some(now)` for a job that needs none.
    pub async fn register(&self, job: Job, last_run: Option<DateTime<Utc>>) {
        let _ = self.addr.send(Register { job, last_run }).await;
    }

    /// Jobs running now (the `scheduler` mailbox depth).
    pub fn depth(&self) -> i64 {
        self.depth.load(Ordering::Relaxed)
    }

    pub fn stop(&self) {
        self.addr.do_send(Stop);
    }
}
