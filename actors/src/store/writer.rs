//! The writer: one thread owns the only write connection. Jobs queue on a bounded channel;
//! the thread drains whatever is queued (up to `MAX_BATCH`) into ONE transaction, runs each
//! job in its own savepoint (a failing job rolls back alone), commits once (one fsync for the
//! whole batch), and only then answers each caller. So a reply means the write is durable.
//!
//! A plain thread rather than an actix `SyncArbiter`: the batching needs to see the queue,
//! which an actix mailbox hides (docs/decisions.md).
use super::StoreError;
use rusqlite::Connection;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// What a write job sees: the connection inside its savepoint.
pub type WriteTx = Connection;

const MAX_BATCH: usize = 512;

trait Job: Send {
    /// Runs inside a savepoint; returns whether the savepoint should be kept.
    fn run(&mut self, tx: &WriteTx) -> bool;
    /// Called after the batch commit (or its failure).
    fn reply(self: Box<Self>, commit: Result<(), String>);
}

struct TypedJob<T, E, F> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for TypedJob<T, E, F>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnOnce(&WriteTx) -> Result<T, E> + Send + 'static,
{
    fn run(&mut self, tx: &WriteTx) -> bool {
        let work = self.work.take().expect("a job runs once");
        let result = work(tx);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn reply(self: Box<Self>, commit: Result<(), String>) {
        let result = match (commit, self.result) {
            (Ok(()), Some(r)) => r,
            (Err(e), Some(Ok(_))) => Err(StoreError::Other(format!("commit failed: {e}")).into()),
            (_, Some(Err(e))) => Err(e),
            (_, None) => Err(StoreError::Other("job did not run".into()).into()),
        };
        let _ = self.reply.send(result); // the caller may have gone away; the write stands
    }
}

/// Data generations: bumped after each commit for every client the batch touched (and for all
/// clients on a global change), before any caller hears back. A cache entry computed at
/// generation g is valid while the generation is still g, so a cache can never serve data older
/// than a confirmed write.
/// (global generation, client generation) at the time a value was computed.
pub type Generation = (u64, u64);

#[derive(Default)]
pub struct Generations {
    all: AtomicU64,
    per_client: Mutex<HashMap<String, u64>>,
}

impl Generations {
    /// (global generation, the client's generation).
    pub fn of(&self, client: &str) -> Generation {
        let mine = self
            .per_client
            .lock()
            .expect("generations")
            .get(client)
            .copied()
            .unwrap_or(0);
        (self.all.load(Ordering::Acquire), mine)
    }

    fn bump(&self, all: bool, clients: HashSet<String>) {
        if all {
            self.all.fetch_add(1, Ordering::AcqRel);
        }
        if !clients.is_empty() {
            let mut map = self.per_client.lock().expect("generations");
            for c in clients {
                *map.entry(c).or_default() += 1;
            }
        }
    }
}

thread_local! {
    /// Clients touched by the jobs of the batch running on this (the writer's) thread.
    static TOUCHED: RefCell<(bool, HashSet<String>)> = RefCell::new((false, HashSet::new()));
}

/// Called inside a write job: this batch changes data of `client`.
pub fn touch(client: &str) {
    TOUCHED.with(|t| {
        t.borrow_mut().1.insert(client.to_owned());
    });
}

/// Called inside a write job: this batch changes something every client's values depend on
/// (a global formula script, say).
pub fn touch_all() {
    TOUCHED.with(|t| t.borrow_mut().0 = true);
}

/// Handle to the writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: SyncSender<Box<dyn Job>>,
    depth: Arc<AtomicI64>,
    generations: Arc<Generations>,
}

impl Writer {
    /// Starts the writer thread on an already migrated connection.
    pub fn start(conn: Connection, capacity: usize) -> Writer {
        let (tx, rx) = sync_channel::<Box<dyn Job>>(capacity);
        let depth = Arc::new(AtomicI64::new(0));
        let thread_depth = depth.clone();
        let generations = Arc::new(Generations::default());
        let thread_generations = generations.clone();
        std::thread::Builder::new()
            .name("kpi-writer".into())
            .spawn(move || run(conn, rx, thread_depth, thread_generations))
            .expect("spawn writer thread");
        Writer {
            tx,
            depth,
            generations,
        }
    }

    pub fn generations(&self) -> &Arc<Generations> {
        &self.generations
    }

    /// Queued + running jobs (the `writer` mailbox depth).
    pub fn depth(&self) -> i64 {
        self.depth.load(Ordering::Relaxed)
    }

    /// Runs `work` in the next batch. A full queue answers `WriterBusy` at once (→ 503).
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&WriteTx) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(TypedJob {
            work: Some(work),
            result: None,
            reply,
        });
        self.depth.fetch_add(1, Ordering::Relaxed);
        match self.tx.try_send(job) {
            Ok(()) => {}
            Err(e) => {
                self.depth.fetch_sub(1, Ordering::Relaxed);
                return Err(match e {
                    TrySendError::Full(_) => StoreError::WriterBusy,
                    TrySendError::Disconnected(_) => StoreError::WriterGone,
                }
                .into());
            }
        }
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Round trip through the writer (health probe).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.write(|tx: &WriteTx| {
            tx.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(StoreError::from)
        })
        .await
    }
}

fn run(
    mut conn: Connection,
    rx: Receiver<Box<dyn Job>>,
    depth: Arc<AtomicI64>,
    generations: Arc<Generations>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let commit = run_batch(&mut conn, &mut batch);
        if let Err(e) = &commit {
            tracing::error!(error = %e, jobs = batch.len(), "write batch failed");
        }
        // Before any reply: a caller that hears "done" and reads again never gets a stale cache.
        let (all, clients) = TOUCHED.with(|t| std::mem::take(&mut *t.borrow_mut()));
        generations.bump(all, clients);
        let n = batch.len() as i64;
        for job in batch {
            job.reply(commit.clone());
        }
        depth.fetch_sub(n, Ordering::Relaxed);
    }
    tracing::info!("writer stopped");
}

fn run_batch(conn: &mut Connection, batch: &mut [Box<dyn Job>]) -> Result<(), String> {
    let mut tx = conn.transaction().map_err(|e| e.to_string())?;
    for job in batch.iter_mut() {
        let sp = tx.savepoint().map_err(|e| e.to_string())?;
        if job.run(&sp) {
            sp.commit().map_err(|e| e.to_string())?;
        } // else: dropping the savepoint rolls this job back alone
    }
    tx.commit().map_err(|e| e.to_string())
}
