//! Failed logins, counted per account and per address: `max` failures in
//! a row lock the key for `base`, doubling with each further lockout (to
//! an hour); a success clears the account's and the address's counts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default, Clone, Copy)]
struct Count {
    failures: u32,
    lockouts: u32,
    until: Option<Instant>,
}

pub struct Guard {
    max: u32,
    base: Duration,
    keys: Mutex<HashMap<String, Count>>,
}

const MAX_LOCK: Duration = Duration::from_secs(3600);

impl Guard {
    pub fn new(max: u32, base: Duration) -> Self {
        Guard { max: max.max(1), base, keys: Mutex::new(HashMap::new()) }
    }

    /// How long `key` is still locked for.
    pub fn locked(&self, key: &str, now: Instant) -> Option<Duration> {
        let m = self.keys.lock().ok()?;
        let until = m.get(key)?.until?;
        (until > now).then(|| until - now)
    }

    pub fn fail(&self, key: &str, now: Instant) {
        let Ok(mut m) = self.keys.lock() else { return };
        if m.len() > 100_000 {
            m.retain(|_, c| c.until.is_some_and(|u| u > now));
        }
        let c = m.entry(key.to_owned()).or_default();
        c.failures += 1;
        if c.failures >= self.max {
            let lock = self.base.saturating_mul(1u32 << c.lockouts.min(16)).min(MAX_LOCK);
            c.until = Some(now + lock);
            c.lockouts += 1;
            c.failures = 0;
        }
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut m) = self.keys.lock() {
            m.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_backs_off() {
        let g = Guard::new(3, Duration::from_secs(10));
        let t = Instant::now();
        g.fail("u:a", t);
        g.fail("u:a", t);
        assert!(g.locked("u:a", t).is_none());
        g.fail("u:a", t);
        assert_eq!(g.locked("u:a", t), Some(Duration::from_secs(10)));
        let later = t + Duration::from_secs(11);
        assert!(g.locked("u:a", later).is_none(), "the lock ends");
        for _ in 0..3 {
            g.fail("u:a", later);
        }
        assert_eq!(g.locked("u:a", later), Some(Duration::from_secs(20)), "the second lockout is twice as long");
        g.clear("u:a");
        assert!(g.locked("u:a", later).is_none());
        assert!(g.locked("u:b", later).is_none(), "keys are separate");
    }
}
