//! Per-client cache of computed KPI responses. An entry remembers the data generations it was
//! computed at (store::writer::Generations); a write to that client (or a global change such as
//! a script publish) moves the generation on, so the entry is ignored from then on. Repeated
//! dashboard reads therefore never rescan raw rows, and never see data older than a confirmed
//! write.
use crate::store::writer::Generation;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a KPI response depends on besides the data: client, window, filters, and "today"
/// (the WIP as-of date and default windows move at midnight).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub client_id: String,
    pub from: String,
    pub to: String,
    pub shift: Option<String>,
    pub work_order_id: Option<String>,
    pub product_id: Option<String>,
    pub today: String,
}

/// Entries beyond this are dropped wholesale: a bound, not an LRU (the working set of a
/// dashboard is a few windows per client).
const MAX_ENTRIES: usize = 20_000;

pub struct KpiCache<V> {
    entries: Mutex<HashMap<CacheKey, (Generation, Arc<V>)>>,
}

impl<V> Default for KpiCache<V> {
    fn default() -> Self {
        KpiCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<V> KpiCache<V> {
    /// The cached value when it was computed at exactly `generation`.
    pub fn get(&self, key: &CacheKey, generation: Generation) -> Option<Arc<V>> {
        let entries = self.entries.lock().expect("kpi cache");
        entries
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: CacheKey, generation: Generation, value: Arc<V>) {
        let mut entries = self.entries.lock().expect("kpi cache");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (generation, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(client: &str) -> CacheKey {
        CacheKey {
            client_id: client.into(),
            from: "2025-12-01".into(),
            to: "2025-12-31".into(),
            shift: None,
            work_order_id: None,
            product_id: None,
            today: "2026-01-01".into(),
        }
    }

    #[test]
    fn an_entry_is_served_only_at_its_generation() {
        let cache: KpiCache<u32> = KpiCache::default();
        cache.put(key("A"), (0, 3), Arc::new(7));
        assert_eq!(cache.get(&key("A"), (0, 3)).as_deref(), Some(&7));
        assert!(
            cache.get(&key("A"), (0, 4)).is_none(),
            "a write to A moved its generation"
        );
        assert!(cache.get(&key("A"), (1, 3)).is_none(), "a global change");
        assert!(cache.get(&key("B"), (0, 3)).is_none());
    }
}
