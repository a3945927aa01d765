//! The system tables: names, OIDs and column specs (PostgreSQL 15's column
//! names, order and types, as far as rangedb has the types: `"char"` is
//! `char(1)`, `aclitem[]` / `int2vector` / `oidvector` are plain arrays,
//! `pg_node_tree` is text, `regproc` and `xid` are oid).

use rangedb_sqltypes::DataType;

/// A pg_catalog or information_schema table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysTable {
    PgNamespace,
    PgClass,
    PgAttribute,
    PgAttrdef,
    PgIndex,
    PgConstraint,
    PgAm,
    PgType,
    PgRange,
    PgProc,
    PgDatabase,
    PgTablespace,
    PgRoles,
    PgUser,
    PgAuthid,
    PgAuthMembers,
    PgSequence,
    PgSequences,
    PgDepend,
    PgDescription,
    PgShdescription,
    PgInherits,
    PgCollation,
    PgPolicy,
    PgTrigger,
    PgRewrite,
    PgStatisticExt,
    PgPublication,
    PgPublicationRel,
    PgPublicationNamespace,
    PgExtension,
    PgEnum,
    PgSettings,
    PgTables,
    PgIndexes,
    InfoTables,
    InfoColumns,
    InfoSchemata,
    InfoSequences,
    InfoTableConstraints,
    InfoKeyColumnUsage,
}

pub(crate) const PG_CATALOG_OID: u32 = 11;
pub(crate) const PUBLIC_OID: u32 = 2200;
pub(crate) const INFORMATION_SCHEMA_OID: u32 = 13_000;
/// The bootstrap superuser's role.
pub(crate) const SUPERUSER_OID: u32 = 10;
/// `pg_database_owner`, the owner of schema public.
pub(crate) const DATABASE_OWNER_OID: u32 = 6171;
/// The session user's role when it is not `postgres`.
pub(crate) const USER_OID: u32 = 16_384;
pub(crate) const HEAP_AM_OID: u32 = 2;
pub(crate) const BTREE_AM_OID: u32 = 403;
pub(crate) const DEFAULT_COLLATION_OID: u32 = 100;

/// Every system table: (table, schema, name, pg_class oid).
pub(crate) const ALL: &[(SysTable, &str, &str, u32)] = &[
    (SysTable::PgNamespace, "pg_catalog", "pg_namespace", 2615),
    (SysTable::PgClass, "pg_catalog", "pg_class", 1259),
    (SysTable::PgAttribute, "pg_catalog", "pg_attribute", 1249),
    (SysTable::PgAttrdef, "pg_catalog", "pg_attrdef", 2604),
    (SysTable::PgIndex, "pg_catalog", "pg_index", 2610),
    (SysTable::PgConstraint, "pg_catalog", "pg_constraint", 2606),
    (SysTable::PgAm, "pg_catalog", "pg_am", 2601),
    (SysTable::PgType, "pg_catalog", "pg_type", 1247),
    (SysTable::PgRange, "pg_catalog", "pg_range", 3541),
    (SysTable::PgProc, "pg_catalog", "pg_proc", 1255),
    (SysTable::PgDatabase, "pg_catalog", "pg_database", 1262),
    (SysTable::PgTablespace, "pg_catalog", "pg_tablespace", 1213),
    (SysTable::PgRoles, "pg_catalog", "pg_roles", 12_001),
    (SysTable::PgUser, "pg_catalog", "pg_user", 12_002),
    (SysTable::PgAuthid, "pg_catalog", "pg_authid", 1260),
    (
        SysTable::PgAuthMembers,
        "pg_catalog",
        "pg_auth_members",
        1261,
    ),
    (SysTable::PgSequence, "pg_catalog", "pg_sequence", 2224),
    (SysTable::PgSequences, "pg_catalog", "pg_sequences", 12_003),
    (SysTable::PgDepend, "pg_catalog", "pg_depend", 2608),
    (
        SysTable::PgDescription,
        "pg_catalog",
        "pg_description",
        2609,
    ),
    (
        SysTable::PgShdescription,
        "pg_catalog",
        "pg_shdescription",
        2396,
    ),
    (SysTable::PgInherits, "pg_catalog", "pg_inherits", 2611),
    (SysTable::PgCollation, "pg_catalog", "pg_collation", 3456),
    (SysTable::PgPolicy, "pg_catalog", "pg_policy", 3256),
    (SysTable::PgTrigger, "pg_catalog", "pg_trigger", 2620),
    (SysTable::PgRewrite, "pg_catalog", "pg_rewrite", 2618),
    (
        SysTable::PgStatisticExt,
        "pg_catalog",
        "pg_statistic_ext",
        3381,
    ),
    (
        SysTable::PgPublication,
        "pg_catalog",
        "pg_publication",
        6104,
    ),
    (
        SysTable::PgPublicationRel,
        "pg_catalog",
        "pg_publication_rel",
        6106,
    ),
    (
        SysTable::PgPublicationNamespace,
        "pg_catalog",
        "pg_publication_namespace",
        6237,
    ),
    (SysTable::PgExtension, "pg_catalog", "pg_extension", 3079),
    (SysTable::PgEnum, "pg_catalog", "pg_enum", 3501),
    (SysTable::PgSettings, "pg_catalog", "pg_settings", 12_004),
    (SysTable::PgTables, "pg_catalog", "pg_tables", 12_005),
    (SysTable::PgIndexes, "pg_catalog", "pg_indexes", 12_006),
    (SysTable::InfoTables, "information_schema", "tables", 13_101),
    (
        SysTable::InfoColumns,
        "information_schema",
        "columns",
        13_102,
    ),
    (
        SysTable::InfoSchemata,
        "information_schema",
        "schemata",
        13_103,
    ),
    (
        SysTable::InfoSequences,
        "information_schema",
        "sequences",
        13_104,
    ),
    (
        SysTable::InfoTableConstraints,
        "information_schema",
        "table_constraints",
        13_105,
    ),
    (
        SysTable::InfoKeyColumnUsage,
        "information_schema",
        "key_column_usage",
        13_106,
    ),
];

impl SysTable {
    /// The table called `name` in `schema`.
    pub fn find(schema: &str, name: &str) -> Option<SysTable> {
        ALL.iter()
            .find(|(_, s, n, _)| *s == schema && *n == name)
            .map(|(t, ..)| *t)
    }

    fn entry(&self) -> &'static (SysTable, &'static str, &'static str, u32) {
        ALL.iter()
            .find(|(t, ..)| t == self)
            .expect("every system table is listed in ALL")
    }

    /// Schema and name.
    pub fn schema(&self) -> &'static str {
        self.entry().1
    }

    pub fn table_name(&self) -> &'static str {
        self.entry().2
    }

    /// Its pg_class OID (PostgreSQL's where it has one).
    pub fn oid(&self) -> u32 {
        self.entry().3
    }

    /// Whether PostgreSQL has it as a view rather than a table.
    pub fn is_view(&self) -> bool {
        matches!(
            self,
            SysTable::PgRoles
                | SysTable::PgUser
                | SysTable::PgSequences
                | SysTable::PgSettings
                | SysTable::PgTables
                | SysTable::PgIndexes
        ) || self.schema() == "information_schema"
    }

    /// Column names and types.
    pub fn spec(&self) -> Vec<(&'static str, DataType)> {
        use DataType::*;
        let ch = || Char(Some(1));
        let arr = |t: DataType| Array(Box::new(t));
        let text_arr = || arr(Text);
        let info = |cols: &[&'static str]| -> Vec<(&'static str, DataType)> {
            // information_schema's domains are all text-like here; the few
            // numeric columns are declared by the caller.
            cols.iter().map(|c| (*c, Name)).collect()
        };
        match self {
            SysTable::PgNamespace => vec![
                ("oid", Oid),
                ("nspname", Name),
                ("nspowner", Oid),
                ("nspacl", text_arr()),
            ],
            SysTable::PgClass => vec![
                ("oid", Oid),
                ("relname", Name),
                ("relnamespace", Oid),
                ("reltype", Oid),
                ("reloftype", Oid),
                ("relowner", Oid),
                ("relam", Oid),
                ("relfilenode", Oid),
                ("reltablespace", Oid),
                ("relpages", Int4),
                ("reltuples", Float4),
                ("relallvisible", Int4),
                ("reltoastrelid", Oid),
                ("relhasindex", Bool),
                ("relisshared", Bool),
                ("relpersistence", ch()),
                ("relkind", ch()),
                ("relnatts", Int2),
                ("relchecks", Int2),
                ("relhasrules", Bool),
                ("relhastriggers", Bool),
                ("relhassubclass", Bool),
                ("relrowsecurity", Bool),
                ("relforcerowsecurity", Bool),
                ("relispopulated", Bool),
                ("relreplident", ch()),
                ("relispartition", Bool),
                ("relrewrite", Oid),
                ("relfrozenxid", Oid),
                ("relminmxid", Oid),
                ("relacl", text_arr()),
                ("reloptions", text_arr()),
                ("relpartbound", Text),
            ],
            SysTable::PgAttribute => vec![
                ("attrelid", Oid),
                ("attname", Name),
                ("atttypid", Oid),
                ("attstattarget", Int4),
                ("attlen", Int2),
                ("attnum", Int2),
                ("attndims", Int4),
                ("attcacheoff", Int4),
                ("atttypmod", Int4),
                ("attbyval", Bool),
                ("attalign", ch()),
                ("attstorage", ch()),
                ("attcompression", ch()),
                ("attnotnull", Bool),
                ("atthasdef", Bool),
                ("atthasmissing", Bool),
                ("attidentity", ch()),
                ("attgenerated", ch()),
                ("attisdropped", Bool),
                ("attislocal", Bool),
                ("attinhcount", Int4),
                ("attcollation", Oid),
                ("attacl", text_arr()),
                ("attoptions", text_arr()),
                ("attfdwoptions", text_arr()),
                ("attmissingval", Text),
            ],
            SysTable::PgAttrdef => vec![
                ("oid", Oid),
                ("adrelid", Oid),
                ("adnum", Int2),
                ("adbin", Text),
            ],
            SysTable::PgIndex => vec![
                ("indexrelid", Oid),
                ("indrelid", Oid),
                ("indnatts", Int2),
                ("indnkeyatts", Int2),
                ("indisunique", Bool),
                ("indnullsnotdistinct", Bool),
                ("indisprimary", Bool),
                ("indisexclusion", Bool),
                ("indimmediate", Bool),
                ("indisclustered", Bool),
                ("indisvalid", Bool),
                ("indcheckxmin", Bool),
                ("indisready", Bool),
                ("indislive", Bool),
                ("indisreplident", Bool),
                ("indkey", arr(Int2)),
                ("indcollation", arr(Oid)),
                ("indclass", arr(Oid)),
                ("indoption", arr(Int2)),
                ("indexprs", Text),
                ("indpred", Text),
            ],
            SysTable::PgConstraint => vec![
                ("oid", Oid),
                ("conname", Name),
                ("connamespace", Oid),
                ("contype", ch()),
                ("condeferrable", Bool),
                ("condeferred", Bool),
                ("convalidated", Bool),
                ("conrelid", Oid),
                ("contypid", Oid),
                ("conindid", Oid),
                ("conparentid", Oid),
                ("confrelid", Oid),
                ("confupdtype", ch()),
                ("confdeltype", ch()),
                ("confmatchtype", ch()),
                ("conislocal", Bool),
                ("coninhcount", Int4),
                ("connoinherit", Bool),
                ("conkey", arr(Int2)),
                ("confkey", arr(Int2)),
                ("conpfeqop", arr(Oid)),
                ("conppeqop", arr(Oid)),
                ("conffeqop", arr(Oid)),
                ("confdelsetcols", arr(Int2)),
                ("conexclop", arr(Oid)),
                ("conbin", Text),
            ],
            SysTable::PgAm => vec![
                ("oid", Oid),
                ("amname", Name),
                ("amhandler", Oid),
                ("amtype", ch()),
            ],
            SysTable::PgType => vec![
                ("oid", Oid),
                ("typname", Name),
                ("typnamespace", Oid),
                ("typowner", Oid),
                ("typlen", Int2),
                ("typbyval", Bool),
                ("typtype", ch()),
                ("typcategory", ch()),
                ("typispreferred", Bool),
                ("typisdefined", Bool),
                ("typdelim", ch()),
                ("typrelid", Oid),
                ("typsubscript", Oid),
                ("typelem", Oid),
                ("typarray", Oid),
                ("typinput", Oid),
                ("typoutput", Oid),
                ("typreceive", Oid),
                ("typsend", Oid),
                ("typmodin", Oid),
                ("typmodout", Oid),
                ("typanalyze", Oid),
                ("typalign", ch()),
                ("typstorage", ch()),
                ("typnotnull", Bool),
                ("typbasetype", Oid),
                ("typtypmod", Int4),
                ("typndims", Int4),
                ("typcollation", Oid),
                ("typdefaultbin", Text),
                ("typdefault", Text),
                ("typacl", text_arr()),
            ],
            SysTable::PgRange => vec![
                ("rngtypid", Oid),
                ("rngsubtype", Oid),
                ("rngmultitypid", Oid),
                ("rngcollation", Oid),
                ("rngsubopc", Oid),
                ("rngcanonical", Oid),
                ("rngsubdiff", Oid),
            ],
            SysTable::PgProc => vec![
                ("oid", Oid),
                ("proname", Name),
                ("pronamespace", Oid),
                ("proowner", Oid),
                ("prolang", Oid),
                ("procost", Float4),
                ("prorows", Float4),
                ("provariadic", Oid),
                ("prosupport", Oid),
                ("prokind", ch()),
                ("prosecdef", Bool),
                ("proleakproof", Bool),
                ("proisstrict", Bool),
                ("proretset", Bool),
                ("provolatile", ch()),
                ("proparallel", ch()),
                ("pronargs", Int2),
                ("pronargdefaults", Int2),
                ("prorettype", Oid),
                ("proargtypes", arr(Oid)),
                ("proallargtypes", arr(Oid)),
                ("proargmodes", arr(ch())),
                ("proargnames", text_arr()),
                ("proargdefaults", Text),
                ("protrftypes", arr(Oid)),
                ("prosrc", Text),
                ("probin", Text),
                ("prosqlbody", Text),
                ("proconfig", text_arr()),
                ("proacl", text_arr()),
            ],
            SysTable::PgDatabase => vec![
                ("oid", Oid),
                ("datname", Name),
                ("datdba", Oid),
                ("encoding", Int4),
                ("datlocprovider", ch()),
                ("datistemplate", Bool),
                ("datallowconn", Bool),
                ("datconnlimit", Int4),
                ("datfrozenxid", Oid),
                ("datminmxid", Oid),
                ("dattablespace", Oid),
                ("datcollate", Text),
                ("datctype", Text),
                ("daticulocale", Text),
                ("datcollversion", Text),
                ("datacl", text_arr()),
            ],
            SysTable::PgTablespace => vec![
                ("oid", Oid),
                ("spcname", Name),
                ("spcowner", Oid),
                ("spcacl", text_arr()),
                ("spcoptions", text_arr()),
            ],
            SysTable::PgRoles => vec![
                ("rolname", Name),
                ("rolsuper", Bool),
                ("rolinherit", Bool),
                ("rolcreaterole", Bool),
                ("rolcreatedb", Bool),
                ("rolcanlogin", Bool),
                ("rolreplication", Bool),
                ("rolconnlimit", Int4),
                ("rolpassword", Text),
                ("rolvaliduntil", TimestampTz),
                ("rolbypassrls", Bool),
                ("rolconfig", text_arr()),
                ("oid", Oid),
            ],
            SysTable::PgUser => vec![
                ("usename", Name),
                ("usesysid", Oid),
                ("usecreatedb", Bool),
                ("usesuper", Bool),
                ("userepl", Bool),
                ("usebypassrls", Bool),
                ("passwd", Text),
                ("valuntil", TimestampTz),
                ("useconfig", text_arr()),
            ],
            SysTable::PgAuthid => vec![
                ("oid", Oid),
                ("rolname", Name),
                ("rolsuper", Bool),
                ("rolinherit", Bool),
                ("rolcreaterole", Bool),
                ("rolcreatedb", Bool),
                ("rolcanlogin", Bool),
                ("rolreplication", Bool),
                ("rolbypassrls", Bool),
                ("rolconnlimit", Int4),
                ("rolpassword", Text),
                ("rolvaliduntil", TimestampTz),
            ],
            SysTable::PgAuthMembers => vec![
                ("roleid", Oid),
                ("member", Oid),
                ("grantor", Oid),
                ("admin_option", Bool),
            ],
            SysTable::PgSequence => vec![
                ("seqrelid", Oid),
                ("seqtypid", Oid),
                ("seqstart", Int8),
                ("seqincrement", Int8),
                ("seqmax", Int8),
                ("seqmin", Int8),
                ("seqcache", Int8),
                ("seqcycle", Bool),
            ],
            SysTable::PgSequences => vec![
                ("schemaname", Name),
                ("sequencename", Name),
                ("sequenceowner", Name),
                ("data_type", RegType),
                ("start_value", Int8),
                ("min_value", Int8),
                ("max_value", Int8),
                ("increment_by", Int8),
                ("cycle", Bool),
                ("cache_size", Int8),
                ("last_value", Int8),
            ],
            SysTable::PgDepend => vec![
                ("classid", Oid),
                ("objid", Oid),
                ("objsubid", Int4),
                ("refclassid", Oid),
                ("refobjid", Oid),
                ("refobjsubid", Int4),
                ("deptype", ch()),
            ],
            SysTable::PgDescription => {
                vec![
                    ("objoid", Oid),
                    ("classoid", Oid),
                    ("objsubid", Int4),
                    ("description", Text),
                ]
            }
            SysTable::PgShdescription => {
                vec![("objoid", Oid), ("classoid", Oid), ("description", Text)]
            }
            SysTable::PgInherits => {
                vec![
                    ("inhrelid", Oid),
                    ("inhparent", Oid),
                    ("inhseqno", Int4),
                    ("inhdetachpending", Bool),
                ]
            }
            SysTable::PgCollation => vec![
                ("oid", Oid),
                ("collname", Name),
                ("collnamespace", Oid),
                ("collowner", Oid),
                ("collprovider", ch()),
                ("collisdeterministic", Bool),
                ("collencoding", Int4),
                ("collcollate", Text),
                ("collctype", Text),
                ("colliculocale", Text),
                ("collversion", Text),
            ],
            SysTable::PgPolicy => vec![
                ("oid", Oid),
                ("polname", Name),
                ("polrelid", Oid),
                ("polcmd", ch()),
                ("polpermissive", Bool),
                ("polroles", arr(Oid)),
                ("polqual", Text),
                ("polwithcheck", Text),
            ],
            SysTable::PgTrigger => vec![
                ("oid", Oid),
                ("tgrelid", Oid),
                ("tgparentid", Oid),
                ("tgname", Name),
                ("tgfoid", Oid),
                ("tgtype", Int2),
                ("tgenabled", ch()),
                ("tgisinternal", Bool),
                ("tgconstrrelid", Oid),
                ("tgconstrindid", Oid),
                ("tgconstraint", Oid),
                ("tgdeferrable", Bool),
                ("tginitdeferred", Bool),
                ("tgnargs", Int2),
                ("tgattr", arr(Int2)),
                ("tgargs", Bytea),
                ("tgqual", Text),
                ("tgoldtable", Name),
                ("tgnewtable", Name),
            ],
            SysTable::PgRewrite => vec![
                ("oid", Oid),
                ("rulename", Name),
                ("ev_class", Oid),
                ("ev_type", ch()),
                ("ev_enabled", ch()),
                ("is_instead", Bool),
                ("ev_qual", Text),
                ("ev_action", Text),
            ],
            SysTable::PgStatisticExt => vec![
                ("oid", Oid),
                ("stxrelid", Oid),
                ("stxname", Name),
                ("stxnamespace", Oid),
                ("stxowner", Oid),
                ("stxstattarget", Int4),
                ("stxkeys", arr(Int2)),
                ("stxkind", arr(ch())),
                ("stxexprs", Text),
            ],
            SysTable::PgPublication => vec![
                ("oid", Oid),
                ("pubname", Name),
                ("pubowner", Oid),
                ("puballtables", Bool),
                ("pubinsert", Bool),
                ("pubupdate", Bool),
                ("pubdelete", Bool),
                ("pubtruncate", Bool),
                ("pubviaroot", Bool),
            ],
            SysTable::PgPublicationRel => vec![
                ("oid", Oid),
                ("prpubid", Oid),
                ("prrelid", Oid),
                ("prqual", Text),
                ("prattrs", arr(Int2)),
            ],
            SysTable::PgPublicationNamespace => {
                vec![("oid", Oid), ("pnpubid", Oid), ("pnnspid", Oid)]
            }
            SysTable::PgExtension => vec![
                ("oid", Oid),
                ("extname", Name),
                ("extowner", Oid),
                ("extnamespace", Oid),
                ("extrelocatable", Bool),
                ("extversion", Text),
                ("extconfig", arr(Oid)),
                ("extcondition", text_arr()),
            ],
            SysTable::PgEnum => vec![
                ("oid", Oid),
                ("enumtypid", Oid),
                ("enumsortorder", Float4),
                ("enumlabel", Name),
            ],
            SysTable::PgSettings => vec![
                ("name", Text),
                ("setting", Text),
                ("unit", Text),
                ("category", Text),
                ("short_desc", Text),
                ("extra_desc", Text),
                ("context", Text),
                ("vartype", Text),
                ("source", Text),
                ("min_val", Text),
                ("max_val", Text),
                ("enumvals", text_arr()),
                ("boot_val", Text),
                ("reset_val", Text),
                ("sourcefile", Text),
                ("sourceline", Int4),
                ("pending_restart", Bool),
            ],
            SysTable::PgTables => vec![
                ("schemaname", Name),
                ("tablename", Name),
                ("tableowner", Name),
                ("tablespace", Name),
                ("hasindexes", Bool),
                ("hasrules", Bool),
                ("hastriggers", Bool),
                ("rowsecurity", Bool),
            ],
            SysTable::PgIndexes => vec![
                ("schemaname", Name),
                ("tablename", Name),
                ("indexname", Name),
                ("tablespace", Name),
                ("indexdef", Text),
            ],
            SysTable::InfoTables => {
                let mut v = info(&[
                    "table_catalog",
                    "table_schema",
                    "table_name",
                    "table_type",
                    "self_referencing_column_name",
                    "reference_generation",
                    "user_defined_type_catalog",
                    "user_defined_type_schema",
                    "user_defined_type_name",
                    "is_insertable_into",
                    "is_typed",
                    "commit_action",
                ]);
                for (n, t) in &mut v {
                    if matches!(
                        *n,
                        "table_type"
                            | "reference_generation"
                            | "is_insertable_into"
                            | "is_typed"
                            | "commit_action"
                    ) {
                        *t = Varchar(None);
                    }
                }
                v
            }
            SysTable::InfoColumns => vec![
                ("table_catalog", Name),
                ("table_schema", Name),
                ("table_name", Name),
                ("column_name", Name),
                ("ordinal_position", Int4),
                ("column_default", Varchar(None)),
                ("is_nullable", Varchar(None)),
                ("data_type", Varchar(None)),
                ("character_maximum_length", Int4),
                ("character_octet_length", Int4),
                ("numeric_precision", Int4),
                ("numeric_precision_radix", Int4),
                ("numeric_scale", Int4),
                ("datetime_precision", Int4),
                ("interval_type", Varchar(None)),
                ("interval_precision", Int4),
                ("character_set_catalog", Name),
                ("character_set_schema", Name),
                ("character_set_name", Name),
                ("collation_catalog", Name),
                ("collation_schema", Name),
                ("collation_name", Name),
                ("domain_catalog", Name),
                ("domain_schema", Name),
                ("domain_name", Name),
                ("udt_catalog", Name),
                ("udt_schema", Name),
                ("udt_name", Name),
                ("scope_catalog", Name),
                ("scope_schema", Name),
                ("scope_name", Name),
                ("maximum_cardinality", Int4),
                ("dtd_identifier", Name),
                ("is_self_referencing", Varchar(None)),
                ("is_identity", Varchar(None)),
                ("identity_generation", Varchar(None)),
                ("identity_start", Varchar(None)),
                ("identity_increment", Varchar(None)),
                ("identity_maximum", Varchar(None)),
                ("identity_minimum", Varchar(None)),
                ("identity_cycle", Varchar(None)),
                ("is_generated", Varchar(None)),
                ("generation_expression", Varchar(None)),
                ("is_updatable", Varchar(None)),
            ],
            SysTable::InfoSchemata => info(&[
                "catalog_name",
                "schema_name",
                "schema_owner",
                "default_character_set_catalog",
                "default_character_set_schema",
                "default_character_set_name",
                "sql_path",
            ]),
            SysTable::InfoSequences => vec![
                ("sequence_catalog", Name),
                ("sequence_schema", Name),
                ("sequence_name", Name),
                ("data_type", Varchar(None)),
                ("numeric_precision", Int4),
                ("numeric_precision_radix", Int4),
                ("numeric_scale", Int4),
                ("start_value", Varchar(None)),
                ("minimum_value", Varchar(None)),
                ("maximum_value", Varchar(None)),
                ("increment", Varchar(None)),
                ("cycle_option", Varchar(None)),
            ],
            SysTable::InfoTableConstraints => {
                let mut v = info(&[
                    "constraint_catalog",
                    "constraint_schema",
                    "constraint_name",
                    "table_catalog",
                    "table_schema",
                    "table_name",
                    "constraint_type",
                    "is_deferrable",
                    "initially_deferred",
                    "enforced",
                    "nulls_distinct",
                ]);
                for (n, t) in &mut v {
                    if matches!(
                        *n,
                        "constraint_type"
                            | "is_deferrable"
                            | "initially_deferred"
                            | "enforced"
                            | "nulls_distinct"
                    ) {
                        *t = Varchar(None);
                    }
                }
                v
            }
            SysTable::InfoKeyColumnUsage => vec![
                ("constraint_catalog", Name),
                ("constraint_schema", Name),
                ("constraint_name", Name),
                ("table_catalog", Name),
                ("table_schema", Name),
                ("table_name", Name),
                ("column_name", Name),
                ("ordinal_position", Int4),
                ("position_in_unique_constraint", Int4),
            ],
        }
    }
}
