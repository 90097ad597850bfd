//! Rate limits per API token: a sliding 60-second window for reads and one for writes.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Per-token sliding 60-second windows.
#[derive(Default)]
pub(crate) struct RateLimiter {
    pub(crate) reads_per_minute: u32,
    pub(crate) writes_per_minute: u32,
    windows: HashMap<(String, bool), VecDeque<Instant>>,
}

const WINDOW: Duration = Duration::from_secs(60);

impl RateLimiter {
    pub(crate) fn new(reads_per_minute: u32, writes_per_minute: u32) -> Self {
        RateLimiter { reads_per_minute, writes_per_minute, windows: HashMap::new() }
    }

    /// Admit a request (recording it) or return the seconds until a slot frees.
    pub(crate) fn admit(&mut self, token: &str, write: bool, now: Instant) -> Result<(), u64> {
        let limit = if write { self.writes_per_minute } else { self.reads_per_minute };
        if limit == 0 {
            return Ok(());
        }
        let window = self.windows.entry((token.to_string(), write)).or_default();
        while window.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            let oldest = *window.front().unwrap_or(&now);
            let wait = (oldest + WINDOW).saturating_duration_since(now);
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(secs.max(1));
        }
        window.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window() {
        let mut rl = RateLimiter { reads_per_minute: 2, writes_per_minute: 1, ..Default::default() };
        let t0 = Instant::now();
        assert!(rl.admit("t", false, t0).is_ok());
        assert!(rl.admit("t", false, t0 + Duration::from_secs(10)).is_ok());
        assert_eq!(rl.admit("t", false, t0 + Duration::from_secs(20)), Err(40));
        assert!(rl.admit("t", false, t0 + Duration::from_secs(60)).is_ok());
        assert!(rl.admit("t", true, t0).is_ok());
        assert_eq!(rl.admit("t", true, t0 + Duration::from_millis(59_500)), Err(1));
        assert!(rl.admit("u", true, t0).is_ok());
    }
}
