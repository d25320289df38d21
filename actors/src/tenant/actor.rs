//! `TenantActor`: one per client, owns that client's cached KPI responses, the KPI computations
//! in flight (so concurrent misses of one key compute once) and its settings versions. Every
//! value is stamped with the data generation it was computed at and is served only at exactly
//! that generation. The handlers are map operations: no SQLite, no waiting.
use super::{KpiKey, TenantSettings};
use crate::services::kpis::KpisResponse;
use crate::store::writer::Generation;
use actix::{Actor, Context, Handler, Message, Supervised};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::watch;

/// Cached KPI responses per tenant (and computations in flight). Beyond it an arbitrary entry
/// makes room: a bound, not an LRU (a dashboard's working set is a few windows per client;
/// 50 clients × 256 is small).
pub const MAX_ENTRIES: usize = 256;

/// A computation in flight: its result (None until published) or a closed channel if the
/// computing request failed or went away.
pub type Pending = watch::Receiver<Option<Arc<KpisResponse>>>;

#[derive(Default)]
pub struct TenantActor {
    /// The newest generation seen; anything older is dead and is dropped.
    latest: Generation,
    kpis: HashMap<KpiKey, (Generation, Arc<KpisResponse>)>,
    in_flight: HashMap<KpiKey, (Generation, Pending)>,
    settings: Option<(Generation, Arc<TenantSettings>)>,
    stats: TenantStats,
}

/// Counters of one tenant actor (tests and diagnostics; the metric is
/// `kpi_ops_kpi_cache_requests_total`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TenantStats {
    pub hits: u64,
    pub misses: u64,
    /// Lookups that waited for a computation already in flight.
    pub joined: u64,
    pub entries: usize,
    pub settings_hits: u64,
    pub settings_misses: u64,
}

impl Actor for TenantActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Lookups are tiny; a burst of dashboard requests should queue, not park senders.
        ctx.set_mailbox_capacity(1024);
    }
}

/// A `ctx.stop()` restarts the actor under its `Supervisor` with its state dropped (a panic
/// drops the supervisor too: `TenantHandles` then starts a new one).
impl Supervised for TenantActor {
    fn restarting(&mut self, _: &mut Context<Self>) {
        *self = TenantActor::default();
    }
}

impl TenantActor {
    /// Moves to `generation` if it is newer, dropping every value computed before it.
    /// Returns false when `generation` is older than one already seen (a stale computation).
    fn advance(&mut self, generation: Generation) -> bool {
        if generation > self.latest {
            self.latest = generation;
            self.kpis.retain(|_, (g, _)| *g == generation);
            self.in_flight.retain(|_, (g, _)| *g == generation);
            if self
                .settings
                .as_ref()
                .is_some_and(|(g, _)| *g != generation)
            {
                self.settings = None;
            }
        }
        generation == self.latest
    }

    fn insert(&mut self, key: KpiKey, generation: Generation, value: Arc<KpisResponse>) {
        if self.kpis.len() >= MAX_ENTRIES
            && !self.kpis.contains_key(&key)
            && let Some(evict) = self.kpis.keys().next().cloned()
        {
            self.kpis.remove(&evict);
        }
        self.kpis.insert(key, (generation, value));
    }
}

/// The answer to a KPI lookup inside the actor.
pub enum Found {
    Hit(Arc<KpisResponse>),
    /// Another request computes this key now: wait for its result.
    Join(Pending),
    /// Nobody computes it: the caller does and publishes through `publish`.
    Miss {
        publish: watch::Sender<Option<Arc<KpisResponse>>>,
    },
    /// The generation is older than one the actor has seen: compute, don't store.
    Stale,
}

pub struct LookupKpis {
    pub key: KpiKey,
    pub generation: Generation,
}

impl Message for LookupKpis {
    type Result = Found;
}

impl Handler<LookupKpis> for TenantActor {
    type Result = actix::MessageResult<LookupKpis>;

    fn handle(&mut self, msg: LookupKpis, _: &mut Context<Self>) -> Self::Result {
        let LookupKpis { key, generation } = msg;
        if !self.advance(generation) {
            self.stats.misses += 1;
            return actix::MessageResult(Found::Stale);
        }
        if let Some((_, v)) = self.kpis.get(&key) {
            // advance() keeps only entries of the latest generation.
            self.stats.hits += 1;
            return actix::MessageResult(Found::Hit(v.clone()));
        }
        if let Some((_, pending)) = self.in_flight.get(&key) {
            let published = pending.borrow().clone();
            if let Some(v) = published {
                // Published, its StoreKpis not here yet.
                self.stats.hits += 1;
                return actix::MessageResult(Found::Hit(v));
            }
            if pending.has_changed().is_ok() {
                self.stats.joined += 1;
                return actix::MessageResult(Found::Join(pending.clone()));
            } // else the computing request failed or went away: compute again
        }
        self.stats.misses += 1;
        let (publish, pending) = watch::channel(None);
        if self.in_flight.len() >= MAX_ENTRIES {
            // Computations that failed or were cancelled never send their StoreKpis.
            self.in_flight.retain(|_, (_, p)| p.has_changed().is_ok());
        }
        if self.in_flight.len() < MAX_ENTRIES {
            self.in_flight.insert(key, (generation, pending));
        } // else this one computes unannounced: nobody can join it
        actix::MessageResult(Found::Miss { publish })
    }
}

/// A response computed at `generation` on the read pool.
pub struct StoreKpis {
    pub key: KpiKey,
    pub generation: Generation,
    pub value: Arc<KpisResponse>,
}

impl Message for StoreKpis {
    type Result = ();
}

impl Handler<StoreKpis> for TenantActor {
    type Result = ();

    fn handle(&mut self, msg: StoreKpis, _: &mut Context<Self>) {
        if !self.advance(msg.generation) {
            return; // a write landed while it was computed
        }
        self.in_flight.remove(&msg.key);
        self.insert(msg.key, msg.generation, msg.value);
    }
}

pub struct LookupSettings {
    pub generation: Generation,
}

impl Message for LookupSettings {
    type Result = Option<Arc<TenantSettings>>;
}

impl Handler<LookupSettings> for TenantActor {
    type Result = Option<Arc<TenantSettings>>;

    fn handle(&mut self, msg: LookupSettings, _: &mut Context<Self>) -> Self::Result {
        let found = if self.advance(msg.generation) {
            self.settings.as_ref().map(|(_, s)| s.clone())
        } else {
            None
        };
        match found {
            Some(_) => self.stats.settings_hits += 1,
            None => self.stats.settings_misses += 1,
        }
        found
    }
}

/// The client's settings as read at `generation`.
pub struct StoreSettings {
    pub generation: Generation,
    pub value: Arc<TenantSettings>,
}

impl Message for StoreSettings {
    type Result = ();
}

impl Handler<StoreSettings> for TenantActor {
    type Result = ();

    fn handle(&mut self, msg: StoreSettings, _: &mut Context<Self>) {
        if self.advance(msg.generation) {
            self.settings = Some((msg.generation, msg.value));
        }
    }
}

pub struct Stats;

impl Message for Stats {
    type Result = TenantStats;
}

impl Handler<Stats> for TenantActor {
    type Result = actix::MessageResult<Stats>;

    fn handle(&mut self, _: Stats, _: &mut Context<Self>) -> Self::Result {
        actix::MessageResult(TenantStats {
            entries: self.kpis.len(),
            ..self.stats
        })
    }
}

/// Test hook: the handler panics, as a bug in a handler would.
#[cfg(test)]
pub struct Crash;

#[cfg(test)]
impl Message for Crash {
    type Result = ();
}

#[cfg(test)]
impl Handler<Crash> for TenantActor {
    type Result = ();

    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("tenant actor crash (test)");
    }
}
