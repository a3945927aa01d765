//! PostgreSQL's `interval`: months, days and microseconds kept apart, because
//! a month has no fixed length and a day may not be 24 hours across a DST
//! change; only comparison folds them together (30-day months, 24-hour days).

use serde::{Deserialize, Serialize};

/// An interval value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

/// Microseconds in a day, as interval comparison counts them.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

impl Interval {
    /// The interval as microseconds, with PostgreSQL's comparison rule of
    /// 30-day months and 24-hour days; used to order and hash intervals.
    pub fn comparable_micros(&self) -> i128 {
        (self.months as i128 * 30 + self.days as i128) * MICROS_PER_DAY as i128
            + self.micros as i128
    }
}
