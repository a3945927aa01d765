//! Version-order inference: each key's list only ever grows, so every read of
//! it must be a prefix of the longest one, which then orders the key's
//! elements.

use std::collections::{HashMap, HashSet};

use crate::anomaly::Anomaly;
use crate::history::Index;

/// The inferred version order of one key.
#[derive(Debug, Default)]
pub(crate) struct KeyOrder {
    /// The elements, oldest first (the longest well-formed read).
    pub elements: Vec<u64>,
    /// Position of each element in `elements`.
    pub position: HashMap<u64, usize>,
}

impl KeyOrder {
    /// The element after a read of `len` elements, if any.
    pub fn next_after(&self, len: usize) -> Option<u64> {
        self.elements.get(len).copied()
    }
}

/// Infers one [`KeyOrder`] per interned key, reporting reads with duplicate
/// elements and reads that are not prefixes of the longest read. Sets each
/// observation's `distinct` and `prefix` flags.
pub(crate) fn infer(index: &mut Index<'_>, out: &mut Vec<Anomaly>) -> Vec<KeyOrder> {
    let mut by_key: Vec<Vec<usize>> = vec![Vec::new(); index.keys.len()];
    for (i, read) in index.reads.iter().enumerate() {
        if let Some(list) = by_key.get_mut(read.key) {
            list.push(i);
        }
    }
    let mut seen = HashSet::new();
    let mut reported_dups: HashSet<(usize, u64)> = HashSet::new();
    let mut orders = Vec::with_capacity(by_key.len());
    for (key, reads) in by_key.iter().enumerate() {
        // Duplicates first: such a read cannot be a version of the list.
        for &r in reads {
            let read = &mut index.reads[r];
            seen.clear();
            let dup = read.value.iter().copied().find(|e| !seen.insert(*e));
            if let Some(element) = dup {
                read.distinct = false;
                read.prefix = false;
                if reported_dups.insert((key, element)) {
                    out.push(Anomaly::DuplicateElements {
                        key: index.keys[key].to_owned(),
                        reader: index.history[read.txn].id,
                        element,
                        value: read.value.to_vec(),
                    });
                }
            }
        }
        let longest = reads
            .iter()
            .copied()
            .filter(|&r| index.reads[r].distinct)
            .fold(None::<usize>, |best, r| match best {
                Some(b) if index.reads[b].value.len() >= index.reads[r].value.len() => Some(b),
                _ => Some(r),
            });
        let Some(longest) = longest else {
            orders.push(KeyOrder::default());
            continue;
        };
        let elements = index.reads[longest].value.to_vec();
        let longest_reader = index.history[index.reads[longest].txn].id;
        let mut reported: HashSet<&[u64]> = HashSet::new();
        for &r in reads {
            let read = &mut index.reads[r];
            if !read.distinct || elements.starts_with(read.value) {
                continue;
            }
            read.prefix = false;
            if reported.insert(read.value) {
                out.push(Anomaly::IncompatibleOrder {
                    key: index.keys[key].to_owned(),
                    a: elements.clone(),
                    a_reader: longest_reader,
                    b: read.value.to_vec(),
                    b_reader: index.history[read.txn].id,
                });
            }
        }
        let position = elements.iter().enumerate().map(|(i, e)| (*e, i)).collect();
        orders.push(KeyOrder { elements, position });
    }
    orders
}
