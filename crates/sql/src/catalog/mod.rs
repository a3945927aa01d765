//! The SQL catalog: table, index and sequence descriptors.
//!
//! Descriptors live in the keyspace (see [`store`]) and are read and written
//! inside the statement's transaction, so DDL is transactional and every
//! node sees a change at the same commit timestamp. Each node caches the
//! catalog per schema version ([`cache`]).

pub mod cache;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;

use rangedb_sqltypes::DataType;
use serde::{Deserialize, Serialize};

/// The only schema user tables live in; `search_path` accepts it and the
/// system schemas.
pub const PUBLIC_SCHEMA: &str = "public";

/// A column of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColumnDesc {
    /// Stable id used in row values; never reused within a table.
    pub id: u32,
    pub name: String,
    pub ty: DataType,
    pub nullable: bool,
    /// The DEFAULT expression as SQL text (re-parsed when used), e.g.
    /// `nextval('t_id_seq')` for serial columns.
    pub default: Option<String>,
    /// The hidden row id of a table without a primary key: not in `*`.
    pub hidden: bool,
    /// The value rows written before this column was added read as (the
    /// ADD COLUMN default, evaluated once), so adding a column never
    /// rewrites the table.
    #[serde(default)]
    pub missing: Option<rangedb_sqltypes::Value>,
}

/// A secondary index (or UNIQUE constraint) of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndexDesc {
    /// Key-space index id (the primary index is 1).
    pub id: u32,
    /// Catalog object id (pg_class oid of the index).
    pub oid: u32,
    pub name: String,
    /// Indexed column ids, in order.
    pub columns: Vec<u32>,
    /// Per column: descending order.
    pub descending: Vec<bool>,
    pub unique: bool,
    /// Created by a UNIQUE constraint rather than CREATE INDEX.
    pub constraint: bool,
}

/// A CHECK constraint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckDesc {
    pub name: String,
    /// The condition as SQL text.
    pub expr: String,
}

/// A table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableDesc {
    /// Object id; also the table id in keys.
    pub id: u32,
    pub name: String,
    pub columns: Vec<ColumnDesc>,
    /// Primary key column ids (the hidden row id when none was declared).
    pub primary_key: Vec<u32>,
    /// Name of the primary key constraint (`t_pkey`); empty for the hidden key.
    pub primary_key_name: String,
    /// Object id of the primary key index.
    pub primary_key_oid: u32,
    pub indexes: Vec<IndexDesc>,
    pub checks: Vec<CheckDesc>,
    pub next_column_id: u32,
    pub next_index_id: u32,
}

impl TableDesc {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnDesc> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Position of column `id` in `columns`.
    pub fn position_of(&self, id: u32) -> Option<usize> {
        self.columns.iter().position(|c| c.id == id)
    }

    /// Columns `SELECT *` shows.
    pub fn visible_columns(&self) -> impl Iterator<Item = (usize, &ColumnDesc)> {
        self.columns.iter().enumerate().filter(|(_, c)| !c.hidden)
    }

    /// Whether the table's primary key is the hidden row id.
    pub fn has_hidden_key(&self) -> bool {
        self.primary_key.len() == 1
            && self
                .position_of(self.primary_key[0])
                .is_some_and(|p| self.columns[p].hidden)
    }
}

/// A sequence.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SequenceDesc {
    pub id: u32,
    pub name: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cycle: bool,
    /// `table.column` that owns it (serial columns): dropped with the table.
    pub owned_by: Option<(u32, u32)>,
}

/// A catalog object as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum Descriptor {
    Table(TableDesc),
    Sequence(SequenceDesc),
}

impl Descriptor {
    /// The object's id.
    pub fn id(&self) -> u32 {
        match self {
            Descriptor::Table(t) => t.id,
            Descriptor::Sequence(s) => s.id,
        }
    }

    /// The object's name (unique among tables, sequences and indexes).
    pub fn name(&self) -> &str {
        match self {
            Descriptor::Table(t) => &t.name,
            Descriptor::Sequence(s) => &s.name,
        }
    }
}

/// An immutable snapshot of the whole catalog at one schema version.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub version: u64,
    pub tables: BTreeMap<String, Arc<TableDesc>>,
    pub sequences: BTreeMap<String, Arc<SequenceDesc>>,
}

impl Catalog {
    /// Builds a snapshot from stored descriptors.
    pub fn from_descriptors(version: u64, descriptors: Vec<Descriptor>) -> Catalog {
        let mut catalog = Catalog {
            version,
            ..Catalog::default()
        };
        for d in descriptors {
            match d {
                Descriptor::Table(t) => {
                    catalog.tables.insert(t.name.clone(), Arc::new(t));
                }
                Descriptor::Sequence(s) => {
                    catalog.sequences.insert(s.name.clone(), Arc::new(s));
                }
            }
        }
        catalog
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Arc<TableDesc>> {
        self.tables.get(name)
    }

    /// The table that has an index called `name`, and the index.
    pub fn index(&self, name: &str) -> Option<(&Arc<TableDesc>, &IndexDesc)> {
        self.tables
            .values()
            .find_map(|t| t.indexes.iter().find(|i| i.name == name).map(|i| (t, i)))
    }

    /// Whether any relation (table, index, sequence) is called `name`:
    /// PostgreSQL keeps them in one namespace.
    pub fn relation_exists(&self, name: &str) -> bool {
        self.tables.contains_key(name)
            || self.sequences.contains_key(name)
            || self.index(name).is_some()
            || self.tables.values().any(|t| t.primary_key_name == name)
    }
}
