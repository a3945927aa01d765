//! Where each range's Raft state lives. Every key starts with the range id
//! (big-endian) so that one range's log and state are contiguous and every
//! iterator or delete-range can be bounded to that range.

use rangedb_common::RangeId;

/// Tags of per-range state keys in the raft_state column family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StateTag {
    /// The current vote (log store, synced).
    Vote = 1,
    /// The last known committed log id (log store).
    Committed = 2,
    /// The last purged log id (log store).
    Purged = 3,
    /// Last applied log id (state machine).
    Applied = 10,
    /// Last applied membership (state machine).
    Membership = 11,
    /// The range descriptor (state machine).
    Descriptor = 12,
    /// Marker: this node hosts a replica of the range (possibly uninitialised).
    Replica = 13,
    /// Versions below this timestamp may have been garbage collected (state machine).
    GcThreshold = 14,
    /// Node-level (range id 0): the id of the cluster this node belongs to.
    ClusterId = 20,
}

/// Key of a Raft log entry.
pub fn log_key(range_id: RangeId, index: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(16);
    k.extend_from_slice(&range_id.to_be_bytes());
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// Parses the index out of a log key.
pub fn log_index(key: &[u8]) -> Option<u64> {
    key.get(8..16)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
}

/// The span `[start, end)` of every log key of a range.
pub fn log_span(range_id: RangeId) -> (Vec<u8>, Vec<u8>) {
    (log_key(range_id, 0), (range_id + 1).to_be_bytes().to_vec())
}

/// Key of one piece of a range's state.
pub fn state_key(range_id: RangeId, tag: StateTag) -> Vec<u8> {
    let mut k = range_id.to_be_bytes().to_vec();
    k.push(tag as u8);
    k
}

/// Parses a state key into range id and tag byte.
pub fn parse_state_key(key: &[u8]) -> Option<(RangeId, u8)> {
    let id = key.get(0..8)?.try_into().ok().map(u64::from_be_bytes)?;
    Some((id, *key.get(8)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_keys_of_a_range_stay_inside_its_span() {
        let (s, e) = log_span(7);
        for idx in [0, 1, u64::MAX] {
            let k = log_key(7, idx);
            assert!(k >= s && k < e);
            assert_eq!(log_index(&k), Some(idx));
        }
        assert!(log_key(8, 0) >= e);
        assert_eq!(
            parse_state_key(&state_key(9, StateTag::Replica)),
            Some((9, 13))
        );
    }
}
