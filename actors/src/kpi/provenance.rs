//! Pair-level provenance for the explain view (kpis.md §5.4). Counting pairs (confidence) is
//! always on; remembering *which* rows were inferred costs allocations the dashboard never
//! reads, so it happens only inside `recording`, which the explain path wraps around its
//! gathering. The flag is thread-local because gathering runs synchronously on one read-pool
//! thread, and it lets every gatherer keep its signature.
use serde::Serialize;
use serde_json::Value;
use std::cell::Cell;
use std::collections::BTreeMap;

/// Inferred pairs listed per explain answer (kpis.md §5.4); the rest are counted only.
pub const MAX_ITEMS: usize = 1000;

/// Inferred pairs listed per KPI in the workbook's Inference sheet (operations.md §7).
pub const WORKBOOK_ITEMS: usize = 100_000;

thread_local! {
    static RECORDING: Cell<bool> = const { Cell::new(false) };
    /// How many inferred pairs a log keeps while recording.
    static CAP: Cell<usize> = const { Cell::new(MAX_ITEMS) };
}

/// Runs `f` with pair recording on for this thread (off again afterwards, even on a panic).
pub fn recording<T>(f: impl FnOnce() -> T) -> T {
    recording_up_to(MAX_ITEMS, f)
}

/// `recording`, keeping up to `cap` inferred pairs per log.
pub fn recording_up_to<T>(cap: usize, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            RECORDING.with(|r| r.set(false));
            CAP.with(|c| c.set(MAX_ITEMS));
        }
    }
    RECORDING.with(|r| r.set(true));
    CAP.with(|c| c.set(cap));
    let _reset = Reset;
    f()
}

pub fn is_recording() -> bool {
    RECORDING.with(Cell::get)
}

/// What a gatherer knows about one inferred pair.
pub struct Note {
    /// `<resource>/<id>` of the row (or `line-shift/<date>/<shift>` for a line-shift term).
    pub record: String,
    pub value: Value,
    /// Where the value came from, for a person: `SHIFT BOOT-LINE-A.SHIFT_1ST`.
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Noted {
    pub record: String,
    pub field: String,
    pub value: Value,
    pub level: u8,
    pub source: String,
}

/// Recorded while `recording`: pairs per (field, level) and the first MAX_ITEMS inferred pairs.
#[derive(Debug, Clone, Default)]
pub struct PairLog {
    pub levels: BTreeMap<(String, u8), u64>,
    pub items: Vec<Noted>,
    /// Inferred pairs beyond the cap (MAX_ITEMS, or the workbook's) — counted, not listed.
    pub dropped: u64,
}

impl PairLog {
    pub fn count(&mut self, field: &str, level: u8) {
        *self.levels.entry((field.to_owned(), level)).or_default() += 1;
    }

    pub fn push(&mut self, item: Noted) {
        if self.items.len() < CAP.with(Cell::get) {
            self.items.push(item);
        } else {
            self.dropped += 1;
        }
    }

    /// Another log's pairs (OEE lists its components' pairs).
    pub fn merge(&mut self, other: &PairLog) {
        for (k, n) in &other.levels {
            *self.levels.entry(k.clone()).or_default() += n;
        }
        for item in &other.items {
            self.push(item.clone());
        }
        self.dropped += other.dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::result::Provenance;

    fn note() -> Note {
        Note {
            record: "production/X".into(),
            value: Value::from(10),
            source: "SHIFT A.SHIFT_1ST".into(),
        }
    }

    #[test]
    fn pairs_are_listed_only_while_recording() {
        let mut p = Provenance::default();
        p.add_noted("employees_assigned", 3, note);
        assert!(p.detail.is_none(), "the dashboard path allocates nothing");
        assert_eq!(p.pairs, 1);
        recording(|| {
            p.add_noted("employees_assigned", 3, note);
            p.add_noted("units_produced", 1, note);
        });
        assert!(!is_recording());
        let log = p.detail.as_ref().expect("recorded");
        assert_eq!(log.items.len(), 1, "recorded pairs are counted, not listed");
        assert_eq!(log.items[0].level, 3);
        assert_eq!(log.levels[&("units_produced".to_owned(), 1)], 1);
        assert_eq!(p.pairs, 3);
    }

    #[test]
    fn the_list_stops_at_the_cap() {
        let mut p = Provenance::default();
        recording(|| {
            for _ in 0..MAX_ITEMS + 5 {
                p.add_noted("labour_standard", 4, note);
            }
        });
        let log = p.detail.unwrap();
        assert_eq!((log.items.len(), log.dropped), (MAX_ITEMS, 5));
    }
}
