//! What may be served again without asking the database: a session already looked up, a
//! dashboard already drawn. Each is kept under the database's *generation*, which moves
//! whenever anything was committed (`store::commits`), so that a member added through a form,
//! in another tab or by a command-line import is counted on the very next load. Kept values
//! also age out after [`KEEP_FOR`], since some pages change with the clock alone (a call's
//! deadline passing, a day turning).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use store::Db;
use store::commits::CommitWatch;

/// How long a kept value may be served while nothing is committed.
pub const KEEP_FOR: Duration = Duration::from_secs(30);

/// The database's generation: one number that changes whenever a write was committed.
pub struct Changes {
    watch: CommitWatch,
    /// The last marker read and the generation it was given.
    seen: Mutex<(String, u64)>,
}

impl Changes {
    pub fn new(db: Db) -> Changes {
        Changes {
            watch: CommitWatch::new(db),
            seen: Mutex::new((String::new(), 0)),
        }
    }

    /// The generation now. It reads the marker each time: one small statement, against the
    /// several dozen a dashboard takes to draw.
    pub async fn generation(&self) -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let marker = match self.watch.marker().await {
            Ok(marker) => marker,
            Err(e) => {
                // Unknown is as good as changed: nothing kept is served.
                tracing::warn!(error = %e, "could not tell whether the database changed");
                format!("unknown:{}", NEXT.fetch_add(1, Ordering::Relaxed))
            }
        };
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.0 != marker {
            *seen = (marker, seen.1 + 1);
        }
        seen.1
    }
}

/// Values kept by key, each valid for the generation it was made in and for [`KEEP_FOR`].
pub struct Recent<V> {
    entries: Mutex<HashMap<String, Kept<V>>>,
    /// Values kept at most; beyond, stale ones go first, then all of them.
    capacity: usize,
}

struct Kept<V> {
    generation: u64,
    made: Instant,
    value: Arc<V>,
}

impl<V> Recent<V> {
    pub fn new(capacity: usize) -> Recent<V> {
        Recent {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<V>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|kept| kept.generation == generation && kept.made.elapsed() < KEEP_FOR)
            .map(|kept| kept.value.clone())
    }

    /// Keeps `value`, made from what the database held at `generation` (read *before* the
    /// value was made, so that a write committed while it was being made moves the generation
    /// past it).
    pub fn put(&self, key: String, generation: u64, value: V) -> Arc<V> {
        let value = Arc::new(value);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries
                .retain(|_, kept| kept.generation == generation && kept.made.elapsed() < KEEP_FOR);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Kept {
                generation,
                made: Instant::now(),
                value: value.clone(),
            },
        );
        value
    }

    /// Forgets one key at once (a logout), rather than waiting for the next generation.
    pub fn forget(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_served_only_in_its_generation() {
        let recent = Recent::new(10);
        recent.put("a".into(), 3, "drawn at 3".to_string());
        assert_eq!(
            recent.get("a", 3).as_deref().map(String::as_str),
            Some("drawn at 3")
        );
        assert!(recent.get("a", 4).is_none());
        assert!(recent.get("b", 3).is_none());
        recent.forget("a");
        assert!(recent.get("a", 3).is_none());
    }

    #[test]
    fn a_full_cache_drops_stale_values_first() {
        let recent = Recent::new(100);
        for i in 0..99 {
            recent.put(format!("old{i}"), 1, i);
        }
        recent.put("current".into(), 2, 0);
        assert_eq!(recent.len(), 100);
        recent.put("next".into(), 2, 1);
        assert_eq!(recent.len(), 2, "only the current generation's values stay");
        assert!(recent.get("current", 2).is_some());
    }
}
