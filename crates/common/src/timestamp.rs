//! Hybrid timestamps handed out by the timestamp oracle.
//!
//! A timestamp is `physical_ms << 18 | logical`: ordered like wall time at
//! millisecond precision, with 262,144 distinct values per millisecond. Only
//! the oracle creates them, so correctness never depends on clock sync between
//! nodes; the physical part only keeps them readable and roughly wall-clock.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Bits reserved for the logical counter.
pub const LOGICAL_BITS: u32 = 18;

/// An MVCC timestamp. `Timestamp(0)` is reserved for unversioned system keys,
/// which are visible at every read timestamp.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The timestamp of unversioned system keys.
    pub const ZERO: Timestamp = Timestamp(0);
    /// Reads at `MAX` see the newest version of every key.
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// Builds a timestamp from its parts.
    pub fn new(physical_ms: u64, logical: u64) -> Self {
        Timestamp((physical_ms << LOGICAL_BITS) | (logical & ((1 << LOGICAL_BITS) - 1)))
    }

    /// The wall-clock millisecond part.
    pub fn physical_ms(self) -> u64 {
        self.0 >> LOGICAL_BITS
    }

    /// The counter within the millisecond.
    pub fn logical(self) -> u64 {
        self.0 & ((1 << LOGICAL_BITS) - 1)
    }

    /// The smallest timestamp of the current wall-clock millisecond.
    pub fn from_wall_clock() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Timestamp::new(ms, 0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.physical_ms(), self.logical())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_order_by_physical_first() {
        let a = Timestamp::new(1000, 5);
        assert_eq!((a.physical_ms(), a.logical()), (1000, 5));
        assert!(Timestamp::new(1000, (1 << LOGICAL_BITS) - 1) < Timestamp::new(1001, 0));
        assert!(Timestamp::from_wall_clock() > Timestamp::new(1_600_000_000_000, 0));
    }
}
