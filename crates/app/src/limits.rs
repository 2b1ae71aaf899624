//! Counting attempts per key in memory, with a bounded table, for everything an anonymous or
//! careless client can repeat: logins, public call submissions, rating guesses.
//!
//! A limiter forgets a key once its window has passed, and never holds more than `max_keys`
//! keys: an attacker who sends endless distinct keys (user names, phone numbers) fills a table
//! of fixed size instead of the server's memory. Keys are hashed to 16 bytes first, so a key's
//! length (a 10 MB user name) costs nothing either.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

type KeyHash = [u8; 16];

/// Hits of one key within the current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    hits: u32,
}

/// At most `limit` hits per key within `window`, counted from the key's first hit.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    max_keys: usize,
    table: Mutex<HashMap<KeyHash, Window>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration, max_keys: usize) -> RateLimiter {
        RateLimiter {
            limit,
            window,
            max_keys: max_keys.max(1),
            table: Mutex::new(HashMap::new()),
        }
    }

    fn key_hash(key: &str) -> KeyHash {
        let digest = Sha256::digest(key.as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&digest[..16]);
        out
    }

    /// How long until `key` may try again, if it has used up its window. Does not count a hit.
    pub fn blocked_for(&self, key: &str, now: Instant) -> Option<Duration> {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let window = table.get(&Self::key_hash(key))?;
        let elapsed = now.saturating_duration_since(window.started);
        (elapsed < self.window && window.hits >= self.limit).then(|| self.window - elapsed)
    }

    /// Counts one hit of `key`. Returns the wait if the key was already over its limit, in
    /// which case the hit is refused and not counted.
    pub fn hit(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let hash = Self::key_hash(key);
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(window) = table.get_mut(&hash) {
            let elapsed = now.saturating_duration_since(window.started);
            if elapsed >= self.window {
                *window = Window {
                    started: now,
                    hits: 1,
                };
                return Ok(());
            }
            if window.hits >= self.limit {
                return Err(self.window - elapsed);
            }
            window.hits += 1;
            return Ok(());
        }
        if table.len() >= self.max_keys {
            self.make_room(&mut table, now);
        }
        table.insert(
            hash,
            Window {
                started: now,
                hits: 1,
            },
        );
        Ok(())
    }

    /// Takes back one hit of `key`: an attempt counted before its outcome was known that turned
    /// out not to be a failure.
    pub fn refund(&self, key: &str) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(window) = table.get_mut(&Self::key_hash(key)) {
            window.hits = window.hits.saturating_sub(1);
        }
    }

    /// Forgets `key` (a successful login, an admin's unlock).
    pub fn reset(&self, key: &str) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.remove(&Self::key_hash(key));
    }

    /// Keys held now (for tests and the operator's figures).
    pub fn len(&self) -> usize {
        self.table.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops expired windows; if the table is still full, drops the key with the fewest hits
    /// (the oldest among equals). A key close to its limit is the one worth remembering, so a
    /// flood of one-off keys cannot push a real attacker's count out of the table.
    fn make_room(&self, table: &mut HashMap<KeyHash, Window>, now: Instant) {
        table.retain(|_, w| now.saturating_duration_since(w.started) < self.window);
        while table.len() >= self.max_keys {
            let Some(victim) = table
                .iter()
                .min_by_key(|(_, w)| (w.hits, w.started))
                .map(|(k, _)| *k)
            else {
                break;
            };
            table.remove(&victim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn refuses_after_the_limit_until_the_window_ends() {
        let limiter = RateLimiter::new(3, MINUTE, 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.hit("a", t0).is_ok());
        }
        assert_eq!(
            limiter.hit("a", t0 + Duration::from_secs(20)),
            Err(40 * Duration::from_secs(1))
        );
        assert_eq!(
            limiter.blocked_for("a", t0 + Duration::from_secs(30)),
            Some(Duration::from_secs(30))
        );
        assert!(limiter.hit("b", t0).is_ok(), "other keys are not affected");
        assert!(limiter.hit("a", t0 + MINUTE).is_ok(), "a new window starts");
        assert_eq!(limiter.blocked_for("a", t0 + MINUTE), None);
    }

    #[test]
    fn reset_forgets_a_key() {
        let limiter = RateLimiter::new(1, MINUTE, 100);
        let t0 = Instant::now();
        limiter.hit("a", t0).unwrap();
        assert!(limiter.hit("a", t0).is_err());
        limiter.reset("a");
        assert!(limiter.hit("a", t0).is_ok());
    }

    #[test]
    fn the_table_never_exceeds_its_bound_and_keeps_the_busiest_keys() {
        let limiter = RateLimiter::new(5, MINUTE, 50);
        let t0 = Instant::now();
        for _ in 0..4 {
            limiter.hit("attacker", t0).unwrap();
        }
        for i in 0..10_000 {
            limiter.hit(&format!("flood-{i}"), t0).unwrap();
        }
        assert_eq!(limiter.len(), 50);
        limiter.hit("attacker", t0).unwrap();
        assert!(
            limiter.hit("attacker", t0).is_err(),
            "the flood did not reset the busy key's count"
        );
    }

    #[test]
    fn long_keys_cost_no_more_than_short_ones() {
        let limiter = RateLimiter::new(1, MINUTE, 10);
        let huge = "x".repeat(10 * 1024 * 1024);
        limiter.hit(&huge, Instant::now()).unwrap();
        assert!(limiter.hit(&huge, Instant::now()).is_err());
        assert_eq!(limiter.len(), 1);
    }
}
