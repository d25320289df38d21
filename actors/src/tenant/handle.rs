//! `TenantHandles`: the registry of tenant actors, kept in the `Engine`. An actor starts on first
//! use of its client (under a `Supervisor`, on one arbiter thread reserved for tenant actors, so
//! an HTTP worker's lifecycle never takes tenant state with it). An actor that panicked is
//! gone (its supervisor future unwinds with it; the arbiter thread survives): the next call sees
//! a closed mailbox and starts a fresh one, and the request it was serving just computes.
use super::actor::{
    Found, LookupKpis, LookupSettings, Stats, StoreKpis, StoreSettings, TenantActor, TenantStats,
};
use super::{KpiKey, TenantSettings};
use crate::services::kpis::KpisResponse;
use crate::store::writer::Generation;
use actix::{Addr, Arbiter, Supervisor};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// A KPI lookup as the engine sees it.
pub enum KpiLookup {
    Hit(Arc<KpisResponse>),
    /// Compute on the read pool, then `store_kpis` with this ticket.
    Miss(Ticket),
}

/// The right (and the duty) to publish one computed response: requests that asked for the same
/// key meanwhile wait for it. Dropping it unused (an error, a cancelled request) releases them
/// to compute for themselves.
pub struct Ticket {
    key: KpiKey,
    generation: Generation,
    /// None: nobody waits (stale generation, or the actor was unreachable).
    publish: Option<watch::Sender<Option<Arc<KpisResponse>>>>,
    store: bool,
}

#[derive(Clone)]
pub struct TenantHandles {
    inner: Arc<Registry>,
}

struct Registry {
    arbiter: Arbiter,
    actors: Mutex<HashMap<String, Addr<TenantActor>>>,
    restarts: AtomicU64,
    /// Messages sent and not yet answered, over all tenant actors (the mailbox-depth gauge).
    depth: AtomicI64,
}

/// Counts one message in flight until it is answered or its request is dropped.
struct InFlight<'a>(&'a AtomicI64);

impl<'a> InFlight<'a> {
    fn new(depth: &'a AtomicI64) -> Self {
        depth.fetch_add(1, Ordering::Relaxed);
        InFlight(depth)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.arbiter.stop();
    }
}

impl TenantHandles {
    /// Starts the tenant arbiter (no actor yet). Must run inside an actix `System`.
    pub fn start() -> TenantHandles {
        TenantHandles {
            inner: Arc::new(Registry {
                arbiter: Arbiter::new(),
                actors: Mutex::new(HashMap::new()),
                restarts: AtomicU64::new(0),
                depth: AtomicI64::new(0),
            }),
        }
    }

    /// The client's actor, started on first use and again after it died. Only stores start
    /// actors: they follow a successful read, so a probe of an unknown client id mints none.
    fn addr(&self, client: &str, start: bool) -> Option<Addr<TenantActor>> {
        let mut actors = self.inner.actors.lock().expect("tenant actors");
        if let Some(addr) = actors.get(client)
            && addr.connected()
        {
            return Some(addr.clone());
        }
        if !start {
            return None;
        }
        if actors.contains_key(client) {
            self.inner.restarts.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(client, "tenant actor had stopped; starting a new one");
        }
        let addr =
            Supervisor::start_in_arbiter(&self.inner.arbiter.handle(), |_| TenantActor::default());
        actors.insert(client.to_owned(), addr.clone());
        Some(addr)
    }

    /// Sends `msg` to the client's actor. A closed mailbox means the actor died (a panic, maybe
    /// on this very message): a fresh one replaces it for the next call.
    /// `None`: no actor runs for the client and `start` was false, or the actor died.
    async fn call<M>(&self, client: &str, msg: M, start: bool) -> Option<M::Result>
    where
        M: actix::Message + Send + 'static,
        M::Result: Send,
        TenantActor: actix::Handler<M>,
    {
        let addr = self.addr(client, start)?;
        let answer = {
            let _counted = InFlight::new(&self.inner.depth);
            addr.send(msg).await
        };
        if answer.is_err() {
            let mut actors = self.inner.actors.lock().expect("tenant actors");
            if actors.get(client) == Some(&addr) {
                actors.remove(client);
                self.inner.restarts.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(client, "tenant actor died; the next store starts a new one");
            }
        }
        answer.ok()
    }

    /// Messages queued or running in the tenant actors.
    pub fn depth(&self) -> i64 {
        self.inner.depth.load(Ordering::Relaxed)
    }

    /// Tenant actors started again after they died (panicked).
    pub fn restarts(&self) -> u64 {
        self.inner.restarts.load(Ordering::Relaxed)
    }

    /// A cached response computed at `generation`, else a ticket to compute it. When another
    /// request computes the same key, waits for its result instead.
    pub async fn lookup_kpis(
        &self,
        client: &str,
        key: KpiKey,
        generation: Generation,
    ) -> KpiLookup {
        let msg = LookupKpis {
            key: key.clone(),
            generation,
        };
        let ticket = |publish, store| Ticket {
            key: key.clone(),
            generation,
            publish,
            store,
        };
        match self.call(client, msg, false).await {
            Some(Found::Hit(v)) => KpiLookup::Hit(v),
            Some(Found::Miss { publish }) => KpiLookup::Miss(ticket(Some(publish), true)),
            Some(Found::Stale) => KpiLookup::Miss(ticket(None, false)),
            Some(Found::Join(mut pending)) => match pending.wait_for(Option::is_some).await {
                Ok(v) => KpiLookup::Hit(v.clone().expect("waited for Some")),
                // The computing request failed or was cancelled: compute here, alone.
                Err(_) => KpiLookup::Miss(ticket(None, true)),
            },
            // No actor yet (the client's first read), or it died on this very message.
            None => KpiLookup::Miss(ticket(None, true)),
        }
    }

    /// Hands a computed response to the waiting requests and to the client's actor.
    pub async fn store_kpis(&self, client: &str, ticket: Ticket, value: Arc<KpisResponse>) {
        if let Some(publish) = &ticket.publish {
            publish.send_replace(Some(value.clone()));
        }
        if ticket.store {
            let msg = StoreKpis {
                key: ticket.key,
                generation: ticket.generation,
                value,
            };
            let _ = self.call(client, msg, true).await; // a dead actor simply has no entry
        }
    }

    /// The client's settings as read at `generation`, if the actor holds them.
    pub async fn settings(
        &self,
        client: &str,
        generation: Generation,
    ) -> Option<Arc<TenantSettings>> {
        let msg = LookupSettings { generation };
        self.call(client, msg, false).await.flatten()
    }

    pub async fn store_settings(
        &self,
        client: &str,
        generation: Generation,
        value: Arc<TenantSettings>,
    ) {
        let msg = StoreSettings { generation, value };
        let _ = self.call(client, msg, true).await;
    }

    /// The client's counters (zero for a client without an actor).
    pub async fn stats(&self, client: &str) -> TenantStats {
        self.call(client, Stats, false).await.unwrap_or_default()
    }

    /// Clients with a running tenant actor.
    pub fn running(&self) -> usize {
        let actors = self.inner.actors.lock().expect("tenant actors");
        actors.values().filter(|a| a.connected()).count()
    }

    #[cfg(test)]
    async fn crash(&self, client: &str) {
        let _ = self.call(client, super::actor::Crash, false).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn key(from: &str) -> KpiKey {
        KpiKey {
            from: from.into(),
            to: "2025-12-31".into(),
            shift: None,
            work_order_id: None,
            product_id: None,
            today: "2026-01-01".into(),
        }
    }

    fn response(client: &str) -> Arc<KpisResponse> {
        Arc::new(KpisResponse {
            client_id: client.into(),
            from: "2025-12-01".into(),
            to: "2025-12-31".into(),
            kpis: BTreeMap::new(),
        })
    }

    async fn fill(t: &TenantHandles, client: &str, k: KpiKey, g: Generation) {
        match t.lookup_kpis(client, k, g).await {
            KpiLookup::Miss(ticket) => t.store_kpis(client, ticket, response(client)).await,
            KpiLookup::Hit(_) => panic!("{client}: unexpected hit"),
        }
    }

    fn is_hit(l: &KpiLookup) -> bool {
        matches!(l, KpiLookup::Hit(_))
    }

    #[actix::test]
    async fn an_entry_is_served_only_at_its_generation() {
        let t = TenantHandles::start();
        fill(&t, "A", key("2025-12-01"), (0, 3)).await;
        fill(&t, "B", key("2025-12-01"), (0, 1)).await;
        assert!(is_hit(&t.lookup_kpis("A", key("2025-12-01"), (0, 3)).await));
        assert!(
            !is_hit(&t.lookup_kpis("A", key("2025-12-02"), (0, 3)).await),
            "key"
        );
        // A write to A moves only A's generation: B's entry stays served.
        assert!(!is_hit(
            &t.lookup_kpis("A", key("2025-12-01"), (0, 4)).await
        ));
        assert!(is_hit(&t.lookup_kpis("B", key("2025-12-01"), (0, 1)).await));
        // A result computed before A's write arrives late: not stored.
        match t.lookup_kpis("A", key("2025-11-01"), (0, 3)).await {
            KpiLookup::Miss(ticket) => t.store_kpis("A", ticket, response("A")).await,
            KpiLookup::Hit(_) => panic!("hit"),
        }
        assert!(!is_hit(
            &t.lookup_kpis("A", key("2025-11-01"), (0, 4)).await
        ));
        // A global change drops everyone's.
        assert!(!is_hit(
            &t.lookup_kpis("B", key("2025-12-01"), (1, 1)).await
        ));
        let b = t.stats("B").await;
        assert_eq!(
            (b.hits, b.misses),
            (1, 1),
            "B's first read found no actor yet"
        );
    }

    #[actix::test]
    async fn concurrent_misses_of_one_key_compute_once() {
        let t = TenantHandles::start();
        assert!(!is_hit(
            &t.lookup_kpis("A", key("2025-12-01"), (0, 0)).await
        ));
        assert_eq!(t.running(), 0, "a lookup starts no actor");
        fill(&t, "A", key("2025-01-01"), (0, 0)).await;
        let first = t.lookup_kpis("A", key("2025-12-01"), (0, 0)).await;
        let KpiLookup::Miss(ticket) = first else {
            panic!("first lookup misses")
        };
        let waiter = {
            let t = t.clone();
            actix::spawn(async move { t.lookup_kpis("A", key("2025-12-01"), (0, 0)).await })
        };
        // Let the waiter reach the actor and join the computation in flight.
        while t.stats("A").await.joined == 0 {
            actix::clock::sleep(std::time::Duration::from_millis(1)).await;
        }
        t.store_kpis("A", ticket, response("A")).await;
        assert!(is_hit(&waiter.await.unwrap()), "the waiter got the result");
        let s = t.stats("A").await;
        assert_eq!((s.misses, s.joined, s.entries), (1, 1, 2));
        // A ticket dropped unused (an error) releases a waiter to compute itself.
        let KpiLookup::Miss(dropped) = t.lookup_kpis("A", key("2025-10-01"), (0, 0)).await else {
            panic!("miss")
        };
        let waiter = {
            let t = t.clone();
            actix::spawn(async move { t.lookup_kpis("A", key("2025-10-01"), (0, 0)).await })
        };
        while t.stats("A").await.joined == 1 {
            actix::clock::sleep(std::time::Duration::from_millis(1)).await;
        }
        drop(dropped);
        assert!(!is_hit(&waiter.await.unwrap()));
    }

    #[actix::test]
    async fn a_panicking_tenant_actor_is_restarted_without_its_neighbours() {
        let t = TenantHandles::start();
        fill(&t, "A", key("2025-12-01"), (0, 0)).await;
        fill(&t, "B", key("2025-12-01"), (0, 0)).await;
        t.crash("A").await;
        // The next call finds A's mailbox closed and starts a new, empty actor.
        assert!(!is_hit(
            &t.lookup_kpis("A", key("2025-12-01"), (0, 0)).await
        ));
        assert_eq!(t.restarts(), 1);
        fill(&t, "A", key("2025-11-01"), (0, 0)).await;
        assert!(is_hit(&t.lookup_kpis("A", key("2025-11-01"), (0, 0)).await));
        assert!(
            is_hit(&t.lookup_kpis("B", key("2025-12-01"), (0, 0)).await),
            "B lives on the same arbiter and kept its state"
        );
        assert_eq!(t.depth(), 0, "the message it died on is no longer counted");
    }

    #[actix::test]
    async fn a_tenant_holds_a_bounded_number_of_responses() {
        let t = TenantHandles::start();
        let max = super::super::actor::MAX_ENTRIES;
        for day in 0..max + 20 {
            fill(&t, "A", key(&format!("day {day}")), (0, 0)).await;
        }
        assert_eq!(t.stats("A").await.entries, max);
        let last = key(&format!("day {}", max + 19));
        assert!(
            is_hit(&t.lookup_kpis("A", last, (0, 0)).await),
            "newest kept"
        );
    }

    #[actix::test]
    async fn settings_are_dropped_when_the_generation_moves() {
        let t = TenantHandles::start();
        assert!(t.settings("A", (0, 0)).await.is_none());
        let s = Arc::new(TenantSettings {
            versions: vec![],
            shift_standards: serde_json::json!({}),
        });
        t.store_settings("A", (0, 0), s).await;
        assert!(t.settings("A", (0, 0)).await.is_some());
        assert!(t.settings("A", (0, 1)).await.is_none());
        let st = t.stats("A").await;
        assert_eq!((st.settings_hits, st.settings_misses), (1, 1));
    }
}
