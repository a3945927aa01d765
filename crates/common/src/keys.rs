//! Key layout and order-preserving encodings.
//!
//! The keyspace is one ordered byte space:
//!
//! ```text
//!   0x00 'm' 0x01 <end key>     range descriptor of the range ending at <end key>
//!   0x00 'm' 0x02               range descriptor of the last range (end = +inf)
//!   0x00 'r'                    next unallocated range id
//!   0x00 't'                    timestamp oracle high-water mark
//!   0x01 ..                     user keyspace (tables: "/t/{table}/{index}/..." in later layers)
//! ```
//!
//! Everything below [`USER_KEY_MIN`] belongs to the meta range (range 1), which
//! never splits. Descriptors are keyed by their *end* key so that the range
//! holding a key `k` is the first descriptor whose meta key sorts after
//! `meta_key(k)`, a forward seek (the CockroachDB layout).

use std::fmt;

/// The first key of the user keyspace; every key below belongs to the system.
pub const USER_KEY_MIN: &[u8] = &[0x01];

/// The longest key the KV API accepts. Bounding key length lets a span that
/// runs to the end of the keyspace be expressed as a finite engine key.
pub const MAX_KEY_LEN: usize = 16 * 1024;

/// Prefix of all range descriptors in the meta range.
pub const META_PREFIX: &[u8] = &[0x00, b'm'];

/// Key of the timestamp oracle's persisted high-water mark.
pub const TSO_KEY: &[u8] = &[0x00, b't'];

/// Key of the next unallocated range id.
pub const RANGE_ID_KEY: &[u8] = &[0x00, b'r'];

/// Meta key under which the descriptor of a range ending at `end` is stored
/// (`None` is the unbounded end of the last range).
pub fn meta_key_for_end(end: Option<&[u8]>) -> Vec<u8> {
    let mut k = META_PREFIX.to_vec();
    match end {
        Some(end) => {
            k.push(0x01);
            k.extend_from_slice(end);
        }
        None => k.push(0x02),
    }
    k
}

/// Start of the meta scan that finds the range containing `key`: the first
/// descriptor whose end is strictly greater than `key`.
pub fn meta_lookup_start(key: &[u8]) -> Vec<u8> {
    let mut k = meta_key_for_end(Some(key));
    k.push(0x00);
    k
}

/// End (exclusive) of the span holding all range descriptors.
pub fn meta_span_end() -> Vec<u8> {
    let mut k = META_PREFIX.to_vec();
    k.push(0x03);
    k
}

/// Whether a key may be written through the public KV API (system keys are
/// reserved for the cluster itself).
pub fn is_user_key(key: &[u8]) -> bool {
    key >= USER_KEY_MIN
}

/// Appends the memcomparable encoding of `key` to `out`: byte order of the
/// encodings equals byte order of the inputs, and no encoding is a prefix of
/// another, so a suffix (such as a timestamp) can follow without breaking order.
///
/// Each 0x00 becomes 0x00 0xFF and the encoding ends with 0x00 0x01.
pub fn encode_bytes(out: &mut Vec<u8>, key: &[u8]) {
    out.reserve(key.len() + 2);
    for &b in key {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

/// Decodes a value written by [`encode_bytes`] at the front of `input`,
/// returning the key and the number of bytes consumed.
pub fn decode_bytes(input: &[u8]) -> Result<(Vec<u8>, usize), KeyDecodeError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == 0 {
            match input.get(i + 1) {
                Some(0xFF) => {
                    out.push(0);
                    i += 2;
                }
                Some(0x01) => return Ok((out, i + 2)),
                _ => return Err(KeyDecodeError::BadEscape(i)),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    Err(KeyDecodeError::Unterminated)
}

/// A stored key that is not in the expected encoding: a sign of corruption.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyDecodeError {
    #[error("bad escape byte in encoded key at offset {0}")]
    BadEscape(usize),
    #[error("encoded key has no terminator")]
    Unterminated,
    #[error("encoded key too short: {0} bytes")]
    TooShort(usize),
}

/// The smallest key strictly greater than `key` (used to resume scans).
pub fn next_key(key: &[u8]) -> Vec<u8> {
    let mut k = key.to_vec();
    k.push(0);
    k
}

/// Human-readable rendering of a key: printable ASCII as is, other bytes as
/// `\xNN`, and the two system prefixes by name.
pub struct PrettyKey<'a>(pub &'a [u8]);

impl fmt::Display for PrettyKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.0;
        if k.is_empty() {
            return write!(f, "/min");
        }
        let rest = if let Some(r) = k.strip_prefix(META_PREFIX) {
            write!(f, "/sys/meta")?;
            r
        } else if let Some(r) = k.strip_prefix(TSO_KEY) {
            write!(f, "/sys/tso")?;
            r
        } else if let Some(r) = k.strip_prefix(RANGE_ID_KEY) {
            write!(f, "/sys/range-id")?;
            r
        } else {
            k
        };
        for &b in rest {
            if b.is_ascii_graphic() && b != b'\\' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(k: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        encode_bytes(&mut v, k);
        v
    }

    #[test]
    fn encoding_preserves_order_and_is_prefix_free() {
        let mut keys: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            vec![0, 1],
            vec![0, 0xFF],
            vec![1],
            b"a".to_vec(),
            b"a\x00".to_vec(),
            b"a\x00b".to_vec(),
            b"ab".to_vec(),
            vec![0xFF, 0xFF],
        ];
        keys.sort();
        for w in keys.windows(2) {
            let (a, b) = (enc(&w[0]), enc(&w[1]));
            assert!(a < b, "{:?} !< {:?}", w[0], w[1]);
            // A suffix appended to the smaller key must not overtake the larger.
            let mut a_ts = a.clone();
            a_ts.extend_from_slice(&[0xFF; 8]);
            assert!(a_ts < b);
        }
    }

    #[test]
    fn decode_round_trips() {
        for k in [&b""[..], b"abc", b"\x00\x00", b"x\x00y\xff"] {
            let mut e = enc(k);
            let n = e.len();
            e.extend_from_slice(b"tail");
            assert_eq!(decode_bytes(&e).unwrap(), (k.to_vec(), n));
        }
        assert_eq!(decode_bytes(b"ab"), Err(KeyDecodeError::Unterminated));
        assert_eq!(
            decode_bytes(b"a\x00\x05"),
            Err(KeyDecodeError::BadEscape(1))
        );
    }

    #[test]
    fn meta_lookup_finds_the_range_whose_end_is_greater() {
        // Descriptors ending at "b" and "d" and unbounded.
        let b = meta_key_for_end(Some(b"b"));
        let d = meta_key_for_end(Some(b"d"));
        let inf = meta_key_for_end(None);
        assert!(b < d && d < inf && inf < meta_span_end());
        // "a" is in the range ending at "b"; "b" (end is exclusive) is not.
        assert!(meta_lookup_start(b"a") < b);
        assert!(meta_lookup_start(b"b") > b && meta_lookup_start(b"b") < d);
        assert!(meta_lookup_start(b"\xff\xff") < inf);
    }

    #[test]
    fn pretty_keys_name_system_prefixes() {
        assert_eq!(
            PrettyKey(&meta_key_for_end(Some(b"k1"))).to_string(),
            "/sys/meta\\x01k1"
        );
        assert_eq!(PrettyKey(b"").to_string(), "/min");
        assert_eq!(PrettyKey(b"\x01a b").to_string(), "\\x01a\\x20b");
    }
}
