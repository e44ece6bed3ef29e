//! Hybrid logical clock.
//!
//! Change-log entries are ordered by an HLC rather than wall time: laptops' clocks drift by
//! hours, and a plain timestamp would let a later edit made on a slow clock lose to an earlier
//! one. An HLC never goes backwards on one device and, once a device has seen a remote stamp,
//! everything it writes sorts after it — causally related edits keep their order.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One HLC stamp. The textual form (`wall-counter-device`, zero padded) sorts the same way as the
/// stamp, so the store can index and compare it as plain text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (physical part).
    pub wall_ms: u64,
    /// Logical counter within one millisecond.
    pub counter: u32,
    /// The device that made the stamp; breaks ties deterministically.
    pub device: String,
}

impl Hlc {
    pub fn zero(device: &str) -> Self {
        Hlc { wall_ms: 0, counter: 0, device: device.to_string() }
    }

    /// The next stamp for a local event, given the physical clock reading `now_ms`.
    pub fn tick(&self, now_ms: u64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc { wall_ms: now_ms, counter: 0, device: self.device.clone() }
        } else {
            Hlc { wall_ms: self.wall_ms, counter: self.counter + 1, device: self.device.clone() }
        }
    }

    /// Merge a stamp received from another device, so that later local stamps sort after it.
    pub fn observe(&self, remote: &Hlc, now_ms: u64) -> Hlc {
        let wall = now_ms.max(self.wall_ms).max(remote.wall_ms);
        let counter = if wall == self.wall_ms && wall == remote.wall_ms {
            self.counter.max(remote.counter) + 1
        } else if wall == self.wall_ms {
            self.counter + 1
        } else if wall == remote.wall_ms {
            remote.counter + 1
        } else {
            0
        };
        Hlc { wall_ms: wall, counter, device: self.device.clone() }
    }

    pub fn parse(s: &str) -> Option<Hlc> {
        let mut parts = s.splitn(3, '-');
        let wall_ms = parts.next()?.parse().ok()?;
        let counter = parts.next()?.parse().ok()?;
        let device = parts.next()?.to_string();
        Some(Hlc { wall_ms, counter, device })
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:015}-{:06}-{}", self.wall_ms, self.counter, self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_is_monotonic_even_when_clock_goes_back() {
        let a = Hlc::zero("d1").tick(1_000);
        let b = a.tick(500); // clock stepped back
        assert!(b > a);
        assert!(b.to_string() > a.to_string(), "text form sorts like the stamp");
    }

    #[test]
    fn observe_orders_after_remote_despite_skew() {
        // Remote laptop is three hours ahead.
        let remote = Hlc::zero("fast").tick(10_800_000 + 1_000);
        let local = Hlc::zero("slow").tick(1_000);
        let merged = local.observe(&remote, 1_001);
        let next = merged.tick(1_002);
        assert!(next.to_string() > remote.to_string());
    }

    #[test]
    fn parse_roundtrip() {
        let a = Hlc { wall_ms: 42, counter: 7, device: "dev-1".into() };
        assert_eq!(Hlc::parse(&a.to_string()).unwrap(), a);
    }
}
