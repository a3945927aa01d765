//! The input model (transactions of list-append micro-operations) and the
//! index the checks share: interned keys, who appended each element, and every
//! read that a committed transaction observed.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::anomaly::Anomaly;

/// A key of the list-append workload. Every key holds a list of `u64`.
pub type Key = String;

/// One operation inside a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MicroOp {
    /// Read the whole list stored at `key`. `value` is `None` when the read
    /// did not complete (its result is unknown); such reads are ignored.
    Read {
        /// The key read.
        key: Key,
        /// The list as read, oldest element first; `None` if unknown.
        value: Option<Vec<u64>>,
    },
    /// Append `element` to the list stored at `key`. Elements must be unique
    /// across the whole history (a repeated element is reported as
    /// [`Anomaly::DuplicateAppend`]).
    Append {
        /// The key appended to.
        key: Key,
        /// The element appended.
        element: u64,
    },
}

impl MicroOp {
    /// Shorthand for [`MicroOp::Read`]: `MicroOp::read("x", vec![1, 2])` or
    /// `MicroOp::read("x", None)`.
    pub fn read(key: impl Into<Key>, value: impl Into<Option<Vec<u64>>>) -> Self {
        MicroOp::Read {
            key: key.into(),
            value: value.into(),
        }
    }

    /// Shorthand for [`MicroOp::Append`].
    pub fn append(key: impl Into<Key>, element: u64) -> Self {
        MicroOp::Append {
            key: key.into(),
            element,
        }
    }
}

/// What the client learned about a transaction's fate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// The commit was acknowledged.
    Committed,
    /// The transaction definitely did not commit; none of its effects may be
    /// visible.
    Aborted,
    /// The client does not know (timeout, lost connection, ...). Its reads are
    /// ignored; its appends count as committed if anyone observed one of them.
    Unknown,
}

/// One transaction of the history, as recorded by a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Txn {
    /// Identifier used in reports. Should be unique; the checker itself works
    /// on positions in the history and never relies on it.
    pub id: usize,
    /// The client (process) that ran the transaction.
    pub process: usize,
    /// The micro-operations, in program order.
    pub ops: Vec<MicroOp>,
    /// The transaction's fate as seen by the client.
    pub outcome: Outcome,
    /// When the client began the transaction, in nanoseconds of any clock that
    /// all clients share.
    pub invoke_ns: u64,
    /// When the client learned the outcome; meaningful for `Committed` and
    /// `Aborted` only. A value below `invoke_ns` is treated as `invoke_ns`.
    pub complete_ns: u64,
}

impl Txn {
    /// The completion time, clamped so that it never precedes the invocation.
    pub(crate) fn completed_at(&self) -> u64 {
        self.complete_ns.max(self.invoke_ns)
    }

    pub(crate) fn committed(&self) -> bool {
        self.outcome == Outcome::Committed
    }
}

/// Who appended an element (the first such append if it was appended twice).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Writer {
    /// Position of the transaction in the history.
    pub txn: usize,
    /// Interned key the element was appended to.
    pub key: usize,
    /// Index of the append inside the transaction's ops.
    pub op: usize,
    /// True when no later op of the same transaction appends to the same key.
    pub is_final: bool,
}

struct WriterSlot {
    first: Writer,
    /// Positions of the other transactions that appended the same element.
    others: Vec<usize>,
}

/// A completed read performed by a committed transaction.
#[derive(Clone, Debug)]
pub(crate) struct Observation<'a> {
    /// Position of the reading transaction in the history.
    pub txn: usize,
    /// Interned key.
    pub key: usize,
    /// The list as read.
    pub value: &'a [u64],
    /// True for the transaction's first read of the key, made before it
    /// appended to that key: the read that reflects other transactions only.
    pub external: bool,
    /// No element occurs twice (set by the order inference).
    pub distinct: bool,
    /// The read is a prefix of the key's inferred version order (set by the
    /// order inference).
    pub prefix: bool,
}

/// Everything the checks look up, built in one pass over the history.
pub(crate) struct Index<'a> {
    /// The history being checked.
    pub history: &'a [Txn],
    /// Interned keys, in order of first appearance.
    pub keys: Vec<&'a str>,
    writers: HashMap<u64, WriterSlot>,
    /// Every completed read of a committed transaction, in history order.
    pub reads: Vec<Observation<'a>>,
    /// Every append of the history as (txn, key, element), in history order.
    pub appends: Vec<(usize, usize, u64)>,
}

impl<'a> Index<'a> {
    /// Indexes `history`.
    pub fn build(history: &'a [Txn]) -> Self {
        let mut key_ids: HashMap<&'a str, usize> = HashMap::new();
        let mut keys: Vec<&'a str> = Vec::new();
        let mut intern = |key: &'a str| -> usize {
            *key_ids.entry(key).or_insert_with(|| {
                keys.push(key);
                keys.len() - 1
            })
        };
        let mut writers: HashMap<u64, WriterSlot> = HashMap::new();
        let mut reads = Vec::new();
        let mut appends = Vec::new();
        let mut appended_keys: HashSet<usize> = HashSet::new();
        let mut read_keys: HashSet<usize> = HashSet::new();
        for (t, txn) in history.iter().enumerate() {
            appended_keys.clear();
            read_keys.clear();
            for (i, op) in txn.ops.iter().enumerate() {
                match op {
                    MicroOp::Append { key, element } => {
                        let k = intern(key);
                        appended_keys.insert(k);
                        appends.push((t, k, *element));
                        let writer = Writer {
                            txn: t,
                            key: k,
                            op: i,
                            is_final: false,
                        };
                        writers
                            .entry(*element)
                            .and_modify(|slot| slot.others.push(t))
                            .or_insert(WriterSlot {
                                first: writer,
                                others: Vec::new(),
                            });
                    }
                    MicroOp::Read {
                        key,
                        value: Some(value),
                    } if txn.committed() => {
                        let k = intern(key);
                        let external = !appended_keys.contains(&k) && read_keys.insert(k);
                        reads.push(Observation {
                            txn: t,
                            key: k,
                            value,
                            external,
                            distinct: true,
                            prefix: true,
                        });
                    }
                    MicroOp::Read { key, .. } => {
                        intern(key);
                    }
                }
            }
            // Mark each key's last append of this transaction as final.
            appended_keys.clear();
            for (i, op) in txn.ops.iter().enumerate().rev() {
                if let MicroOp::Append { key, element } = op {
                    let k = intern(key);
                    if appended_keys.insert(k) {
                        if let Some(slot) = writers.get_mut(element) {
                            if slot.first.txn == t && slot.first.op == i {
                                slot.first.is_final = true;
                            }
                        }
                    }
                }
            }
        }
        Index {
            history,
            keys,
            writers,
            reads,
            appends,
        }
    }

    /// The unique transaction that appended `element` to `key`; `None` if no
    /// transaction did, if it was appended to another key, or if it was
    /// appended more than once (then no inference can rely on it).
    pub fn writer(&self, element: u64, key: usize) -> Option<Writer> {
        let slot = self.writers.get(&element)?;
        (slot.others.is_empty() && slot.first.key == key).then_some(slot.first)
    }

    /// The unique transaction that appended `element`, to whichever key.
    pub fn writer_any_key(&self, element: u64) -> Option<Writer> {
        let slot = self.writers.get(&element)?;
        slot.others.is_empty().then_some(slot.first)
    }

    /// True if `element` was appended by more than one operation.
    pub fn is_ambiguous(&self, element: u64) -> bool {
        self.writers
            .get(&element)
            .is_some_and(|slot| !slot.others.is_empty())
    }

    /// Reports every element appended more than once.
    pub fn duplicate_appends(&self, out: &mut Vec<Anomaly>) {
        let mut reported = HashSet::new();
        for &(_, _, element) in &self.appends {
            let Some(slot) = self.writers.get(&element) else {
                continue;
            };
            if slot.others.is_empty() || !reported.insert(element) {
                continue;
            }
            let writers = std::iter::once(slot.first.txn)
                .chain(slot.others.iter().copied())
                .map(|t| self.history[t].id)
                .collect();
            out.push(Anomaly::DuplicateAppend {
                key: self.key(slot.first.key),
                element,
                writers,
            });
        }
    }

    /// The name of an interned key.
    pub fn key(&self, key: usize) -> Key {
        self.keys.get(key).copied().unwrap_or_default().to_owned()
    }

    /// The report id of the transaction at position `t`.
    pub fn id(&self, t: usize) -> usize {
        self.history[t].id
    }
}
