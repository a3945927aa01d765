//! A real PostgreSQL driver (tokio-postgres, extended protocol, binary
//! parameters and results) against a 3-node cluster: every supported type
//! round-tripped through a table, NULLs, portal paging, errors with their
//! SQLSTATE (the connection must stay usable after each), explicit
//! transactions, and the data as seen through another node.

mod common;
#[path = "../crates/pgwire-server/tests/raw/mod.rs"]
mod raw;

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use common::Cluster;
use rust_decimal::Decimal;
use serde_json::json;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row};
use uuid::Uuid;

/// Upper bound for any single client operation, so a hang fails the test
/// instead of stalling CI.
const OP_TIMEOUT: Duration = Duration::from_secs(60);

/// Awaits `f`, panicking with `what` if it takes longer than [`OP_TIMEOUT`].
async fn timed<T>(what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(OP_TIMEOUT, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer within {OP_TIMEOUT:?}"),
    }
}

/// A connection as user `root` to database `postgres` at `addr` ("host:port").
/// The connection task runs in the background until the client is dropped.
async fn connect(addr: &str) -> Client {
    let (host, port) = addr.rsplit_once(':').expect("sql address is host:port");
    let conninfo = format!("host={host} port={port} user=root dbname=postgres");
    let (client, connection) = timed("connect", tokio_postgres::connect(&conninfo, NoTls))
        .await
        .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("connection to the server ended with an error: {e}");
        }
    });
    client
}

/// Starts a 3-node cluster and waits until SQL can be served.
async fn cluster() -> Cluster {
    let cluster = Cluster::launch(&[]).await;
    cluster.wait_ready(Duration::from_secs(60)).await;
    cluster
}

/// Runs `sql` (simple protocol, possibly several statements), panicking on error.
async fn exec(client: &Client, sql: &str) {
    timed(sql, client.batch_execute(sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
}

/// The SQLSTATE of a server error (None for client-side or I/O errors).
fn sqlstate(e: &tokio_postgres::Error) -> Option<&SqlState> {
    e.code()
}

/// Asserts that `result` failed with `expected`, naming `what` otherwise.
fn assert_sqlstate<T: std::fmt::Debug>(
    what: &str,
    result: Result<T, tokio_postgres::Error>,
    expected: &SqlState,
) {
    match result {
        Ok(v) => panic!(
            "{what}: expected SQLSTATE {}, but it succeeded: {v:?}",
            expected.code()
        ),
        Err(e) => assert_eq!(
            sqlstate(&e).map(SqlState::code),
            Some(expected.code()),
            "{what}: wrong error: {e:?}"
        ),
    }
}

/// Asserts the connection still answers a trivial query after `after`.
async fn assert_usable(client: &Client, after: &str) {
    let row = timed("SELECT 1", client.query_one("SELECT 1::int4", &[]))
        .await
        .unwrap_or_else(|e| panic!("connection unusable after {after}: {e:?}"));
    assert_eq!(row.get::<_, i32>(0), 1, "SELECT 1 after {after}");
}

/// Sends `statements` as one pipeline (Parse/Bind/Execute each, one Sync)
/// and returns the replies up to ReadyForQuery.
async fn pipeline(conn: &mut raw::Raw, statements: &[&str]) -> Vec<raw::Msg> {
    let mut batch = Vec::new();
    for sql in statements {
        batch.extend(raw::parse("", sql));
        batch.extend(raw::bind("", ""));
        batch.extend(raw::execute("", 0));
    }
    batch.extend(raw::sync());
    conn.send(&batch).await;
    timed("pipeline", conn.until_ready()).await
}

/// The single value `sql` returns.
async fn one_value<T: tokio_postgres::types::FromSqlOwned>(client: &Client, sql: &str) -> T {
    timed(sql, client.query_one(sql, &[]))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .get(0)
}

/// `SELECT count(*)` of `table`.
async fn row_count(client: &Client, table: &str) -> i64 {
    one_value(client, &format!("SELECT count(*) FROM {table}")).await
}

/// One row of `drv_types`, as Rust values (None = SQL NULL).
#[derive(Debug, Clone, PartialEq)]
struct TypesRow {
    id: i32,
    c_small: Option<i16>,
    c_int: Option<i32>,
    c_big: Option<i64>,
    c_real: Option<f32>,
    c_double: Option<f64>,
    c_num: Option<Decimal>,
    c_text: Option<String>,
    c_vc: Option<String>,
    c_ch: Option<String>,
    c_bool: Option<bool>,
    c_bytes: Option<Vec<u8>>,
    c_date: Option<NaiveDate>,
    c_ts: Option<NaiveDateTime>,
    c_tstz: Option<DateTime<Utc>>,
    /// Sent and read back as text (`$n::text::interval`, `c_iv::text`).
    c_iv: Option<String>,
    c_uuid: Option<Uuid>,
    c_json: Option<serde_json::Value>,
}

/// The columns of `drv_types` in [`TypesRow`] order.
const TYPES_COLUMNS: &str = "id, c_small, c_int, c_big, c_real, c_double, c_num, c_text, c_vc, \
     c_ch, c_bool, c_bytes, c_date, c_ts, c_tstz, c_iv::text, c_uuid, c_json";

impl TypesRow {
    /// Decodes a row selected with [`TYPES_COLUMNS`] (binary results).
    fn from_row(row: &Row) -> TypesRow {
        TypesRow {
            id: row.get(0),
            c_small: row.get(1),
            c_int: row.get(2),
            c_big: row.get(3),
            c_real: row.get(4),
            c_double: row.get(5),
            c_num: row.get(6),
            c_text: row.get(7),
            c_vc: row.get(8),
            c_ch: row.get(9),
            c_bool: row.get(10),
            c_bytes: row.get(11),
            c_date: row.get(12),
            c_ts: row.get(13),
            c_tstz: row.get(14),
            c_iv: row.get(15),
            c_uuid: row.get(16),
            c_json: row.get(17),
        }
    }

    /// The parameters for [`INSERT_TYPES`], in column order.
    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        vec![
            &self.id,
            &self.c_small,
            &self.c_int,
            &self.c_big,
            &self.c_real,
            &self.c_double,
            &self.c_num,
            &self.c_text,
            &self.c_vc,
            &self.c_ch,
            &self.c_bool,
            &self.c_bytes,
            &self.c_date,
            &self.c_ts,
            &self.c_tstz,
            &self.c_iv,
            &self.c_uuid,
            &self.c_json,
        ]
    }

    /// A row with every column NULL.
    fn nulls(id: i32) -> TypesRow {
        TypesRow {
            id,
            c_small: None,
            c_int: None,
            c_big: None,
            c_real: None,
            c_double: None,
            c_num: None,
            c_text: None,
            c_vc: None,
            c_ch: None,
            c_bool: None,
            c_bytes: None,
            c_date: None,
            c_ts: None,
            c_tstz: None,
            c_iv: None,
            c_uuid: None,
            c_json: None,
        }
    }
}

const CREATE_TYPES: &str = "CREATE TABLE drv_types (
    id int PRIMARY KEY,
    c_small smallint, c_int integer, c_big bigint, c_real real, c_double double precision,
    c_num numeric(12,3), c_text text, c_vc varchar(10), c_ch char(5), c_bool boolean,
    c_bytes bytea, c_date date, c_ts timestamp, c_tstz timestamptz, c_iv interval,
    c_uuid uuid, c_json jsonb)";

const INSERT_TYPES: &str = "INSERT INTO drv_types VALUES \
     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::text::interval, $17, $18)";

/// Rows exercising ordinary and boundary values of every type.
fn sample_rows() -> Vec<TypesRow> {
    let ts = |s: &str| {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").expect("timestamp literal")
    };
    vec![
        TypesRow {
            id: 1,
            c_small: Some(-12),
            c_int: Some(123_456),
            c_big: Some(9_000_000_000),
            c_real: Some(1.25),
            c_double: Some(-2.5e-3),
            c_num: Some(Decimal::new(123_456_789, 3)), // 123456.789
            c_text: Some("héllo, wörld ✓ 'quoted' \"double\"".to_string()),
            c_vc: Some("varchar".to_string()),
            c_ch: Some("ab   ".to_string()),
            c_bool: Some(true),
            c_bytes: Some(vec![0, 1, 2, 0x5c, 0x27, 0xff]),
            c_date: NaiveDate::from_ymd_opt(2024, 2, 29),
            c_ts: Some(ts("2024-01-02 03:04:05.123456")),
            c_tstz: Some(
                Utc.with_ymd_and_hms(2024, 6, 1, 12, 30, 0)
                    .single()
                    .expect("valid instant"),
            ),
            c_iv: Some("1 year 2 mons 3 days 04:05:06.789".to_string()),
            c_uuid: Some(
                Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").expect("uuid literal"),
            ),
            c_json: Some(json!({"a": [1, 2.5, {"b": null}], "s": "x", "t": true})),
        },
        TypesRow {
            id: 2,
            c_small: Some(i16::MIN),
            c_int: Some(i32::MAX),
            c_big: Some(i64::MIN),
            c_real: Some(-3.4e38),
            c_double: Some(1.0e300),
            c_num: Some(Decimal::new(-999_999_999_999, 3)), // -999999999.999, the column's limit
            c_text: Some(String::new()),
            c_vc: Some("ten chars!".to_string()),
            c_ch: Some("fives".to_string()),
            c_bool: Some(false),
            c_bytes: Some(Vec::new()),
            c_date: NaiveDate::from_ymd_opt(1999, 12, 31),
            c_ts: Some(ts("1970-01-01 00:00:00.000001")),
            c_tstz: Some(
                Utc.with_ymd_and_hms(1969, 7, 20, 20, 17, 40)
                    .single()
                    .expect("valid instant"),
            ),
            c_iv: Some("-00:00:01".to_string()),
            c_uuid: Some(Uuid::nil()),
            c_json: Some(json!([])),
        },
        TypesRow {
            id: 3,
            c_small: Some(i16::MAX),
            c_int: Some(i32::MIN),
            c_big: Some(i64::MAX),
            c_real: Some(0.0),
            c_double: Some(0.1 + 0.2),
            c_num: Some(Decimal::new(5, 1)), // 0.5, stored as 0.500
            c_text: Some("line\nbreak\ttab".to_string()),
            c_vc: Some("".to_string()),
            c_ch: Some("x    ".to_string()),
            c_bool: Some(true),
            c_bytes: Some((0..=255).collect()),
            c_date: NaiveDate::from_ymd_opt(2000, 1, 1),
            c_ts: Some(ts("2038-01-19 03:14:08.000000")),
            c_tstz: Some(
                Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
                    .single()
                    .expect("valid instant"),
            ),
            c_iv: Some("00:00:00".to_string()),
            c_uuid: Some(
                Uuid::parse_str("ffffffff-ffff-ffff-ffff-ffffffffffff").expect("uuid literal"),
            ),
            c_json: Some(json!("just a string")),
        },
        TypesRow::nulls(4),
    ]
}

/// Every type goes in as a binary parameter and comes back (binary results)
/// unchanged, from the node that wrote it and from the two others; NULLs
/// too. Text renderings are checked where they are part of the contract.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn binary_parameters_of_every_type_round_trip() {
    let cluster = cluster().await;
    let c1 = connect(&cluster.spec(1).sql).await;
    exec(&c1, CREATE_TYPES).await;
    let insert = timed("prepare insert", c1.prepare(INSERT_TYPES))
        .await
        .expect("prepare INSERT into drv_types");
    let rows = sample_rows();
    for r in &rows {
        let n = timed("insert", c1.execute(&insert, &r.params()))
            .await
            .unwrap_or_else(|e| panic!("insert row {}: {e:?}", r.id));
        assert_eq!(n, 1, "rows inserted for id {}", r.id);
    }

    let select_one = format!("SELECT {TYPES_COLUMNS} FROM drv_types WHERE id = $1");
    let select_all = format!("SELECT {TYPES_COLUMNS} FROM drv_types ORDER BY id");
    for id in cluster.ids() {
        let client = if id == 1 {
            None
        } else {
            Some(connect(&cluster.spec(id).sql).await)
        };
        let client = client.as_ref().unwrap_or(&c1);
        let stmt = timed("prepare select", client.prepare(&select_one))
            .await
            .expect("prepare SELECT by id");
        for r in &rows {
            let row = timed("select", client.query_one(&stmt, &[&r.id]))
                .await
                .unwrap_or_else(|e| panic!("node {id}: select id {}: {e:?}", r.id));
            assert_eq!(
                TypesRow::from_row(&row),
                *r,
                "node {id}: row {} read back",
                r.id
            );
        }
        let all: Vec<TypesRow> = timed("select all", client.query(&select_all, &[]))
            .await
            .unwrap_or_else(|e| panic!("node {id}: select all: {e:?}"))
            .iter()
            .map(TypesRow::from_row)
            .collect();
        assert_eq!(all, rows, "node {id}: every row, in id order");
    }

    // Binary parameters in WHERE clauses, one type at a time.
    let lookups: [(&str, &(dyn ToSql + Sync), i32); 15] = [
        ("c_small = $1", &rows[1].c_small, 2),
        ("c_int = $1", &rows[0].c_int, 1),
        ("c_big = $1", &rows[2].c_big, 3),
        ("c_real = $1", &rows[0].c_real, 1),
        ("c_double = $1", &rows[1].c_double, 2),
        ("c_num = $1", &rows[0].c_num, 1),
        ("c_text = $1", &rows[0].c_text, 1),
        ("c_vc = $1", &rows[1].c_vc, 2),
        ("c_bool = $1 AND id < 2", &rows[0].c_bool, 1),
        ("c_bytes = $1", &rows[0].c_bytes, 1),
        ("c_date = $1", &rows[1].c_date, 2),
        ("c_ts = $1", &rows[2].c_ts, 3),
        ("c_tstz = $1", &rows[0].c_tstz, 1),
        ("c_uuid = $1", &rows[2].c_uuid, 3),
        ("c_json = $1", &rows[0].c_json, 1),
    ];
    for (cond, param, want) in lookups {
        let sql = format!("SELECT id FROM drv_types WHERE {cond}");
        let got: Vec<i32> = timed(&sql, c1.query(sql.as_str(), &[param]))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(got, vec![want], "{sql}");
    }
    // IS NULL through a NULL parameter.
    let none: Option<i32> = None;
    let row = timed(
        "null param",
        c1.query_one(
            "SELECT $1::int4 IS NULL, count(*) FROM drv_types WHERE c_int IS NULL",
            &[&none],
        ),
    )
    .await
    .expect("NULL parameter");
    assert!(row.get::<_, bool>(0), "a NULL parameter is NULL");
    assert_eq!(row.get::<_, i64>(1), 1, "one row with NULL c_int");

    // Text renderings a client would see (simple protocol: text results).
    exec(&c1, "SET TimeZone = 'UTC'").await;
    let text_rows = timed(
        "text rendering",
        c1.simple_query(
            "SELECT c_num::text, c_ch::text, octet_length(c_ch), c_ts::text, c_tstz::text, \
             c_iv::text, c_real::text, c_bytes::text FROM drv_types WHERE id = 1",
        ),
    )
    .await
    .expect("text renderings");
    let row = text_rows
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => Some(r),
            _ => None,
        })
        .expect("one text row");
    let got: Vec<Option<&str>> = (0..8).map(|i| row.get(i)).collect();
    assert_eq!(
        got,
        vec![
            Some("123456.789"),
            Some("ab"),
            Some("5"),
            Some("2024-01-02 03:04:05.123456"),
            Some("2024-06-01 12:30:00+00"),
            Some("1 year 2 mons 3 days 04:05:06.789"),
            Some("1.25"),
            Some("\\x0001025c27ff"),
        ],
        "text renderings of row 1"
    );
    // Numeric keeps the column's scale: 0.5 is stored as 0.500.
    let row = timed(
        "numeric scale",
        c1.query_one("SELECT c_num::text FROM drv_types WHERE id = 3", &[]),
    )
    .await
    .expect("numeric scale");
    assert_eq!(
        row.get::<_, &str>(0),
        "0.500",
        "numeric(12,3) pads the scale"
    );

    // Values the column types reject.
    let mut bad = rows[0].clone();
    bad.id = 10;
    bad.c_vc = Some("eleven chars".to_string());
    assert_sqlstate(
        "varchar(10) overflow",
        timed("insert", c1.execute(&insert, &bad.params())).await,
        &SqlState::STRING_DATA_RIGHT_TRUNCATION,
    );
    assert_usable(&c1, "a too long varchar").await;
    let mut bad = rows[0].clone();
    bad.id = 11;
    bad.c_num = Some(Decimal::new(1_000_000_000, 0));
    assert_sqlstate(
        "numeric(12,3) overflow",
        timed("insert", c1.execute(&insert, &bad.params())).await,
        &SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
    );
    assert_usable(&c1, "a numeric overflow").await;

    exec(&c1, "DROP TABLE drv_types").await;
    cluster.assert_no_panics();
}

/// A portal fetched `max_rows` at a time returns every row exactly once, in
/// order, inside an explicit transaction; commits and rollbacks through
/// `Client::transaction` behave, as seen from another node.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn portal_paging_and_transactions() {
    let cluster = cluster().await;
    let mut c1 = connect(&cluster.spec(1).sql).await;
    let c2 = connect(&cluster.spec(2).sql).await;
    exec(
        &c1,
        "CREATE TABLE drv_pages (id int PRIMARY KEY, v text NOT NULL)",
    )
    .await;
    let insert = timed(
        "prepare",
        c1.prepare("INSERT INTO drv_pages VALUES ($1, $2)"),
    )
    .await
    .expect("prepare insert");
    {
        let tx = timed("begin", c1.transaction()).await.expect("begin");
        for i in 1..=50i32 {
            let v = format!("row {i}");
            timed("insert", tx.execute(&insert, &[&i, &v]))
                .await
                .unwrap_or_else(|e| panic!("insert {i}: {e:?}"));
        }
        // Not visible elsewhere before the commit.
        let n: i64 = timed("count", c2.query_one("SELECT count(*) FROM drv_pages", &[]))
            .await
            .expect("count from node 2 before commit")
            .get(0);
        assert_eq!(n, 0, "uncommitted rows visible from node 2");
        timed("commit", tx.commit()).await.expect("commit");
    }
    let n: i64 = timed("count", c2.query_one("SELECT count(*) FROM drv_pages", &[]))
        .await
        .expect("count from node 2 after commit")
        .get(0);
    assert_eq!(n, 50, "committed rows visible from node 2");

    // Paging: 7 rows at a time over ids > 3 (47 rows: 6 pages of 7, one of 5).
    {
        let tx = timed("begin", c1.transaction()).await.expect("begin");
        let stmt = timed(
            "prepare",
            tx.prepare("SELECT id, v FROM drv_pages WHERE id > $1 ORDER BY id"),
        )
        .await
        .expect("prepare paging query");
        let portal = timed("bind", tx.bind(&stmt, &[&3i32]))
            .await
            .expect("bind portal");
        let mut sizes = Vec::new();
        let mut ids = Vec::new();
        loop {
            let page = timed("query_portal", tx.query_portal(&portal, 7))
                .await
                .expect("fetch a page from the portal");
            if page.is_empty() {
                break;
            }
            sizes.push(page.len());
            for r in &page {
                let id: i32 = r.get(0);
                assert_eq!(r.get::<_, String>(1), format!("row {id}"));
                ids.push(id);
            }
            assert!(sizes.len() <= 10, "the portal never ends: pages {sizes:?}");
        }
        assert_eq!(sizes, vec![7, 7, 7, 7, 7, 7, 5], "page sizes");
        assert_eq!(
            ids,
            (4..=50).collect::<Vec<_>>(),
            "every row once, in order"
        );
        timed("commit", tx.commit())
            .await
            .expect("commit read-only transaction");
    }

    // A rolled back transaction leaves nothing behind (explicit rollback and drop).
    {
        let tx = timed("begin", c1.transaction()).await.expect("begin");
        timed(
            "delete",
            tx.execute("DELETE FROM drv_pages WHERE id <= 10", &[]),
        )
        .await
        .expect("delete in transaction");
        timed(
            "update",
            tx.execute("UPDATE drv_pages SET v = 'changed'", &[]),
        )
        .await
        .expect("update in transaction");
        timed("rollback", tx.rollback()).await.expect("rollback");
    }
    {
        let tx = timed("begin", c1.transaction()).await.expect("begin");
        timed("delete", tx.execute("DELETE FROM drv_pages", &[]))
            .await
            .expect("delete in transaction");
        // Dropped without commit: tokio-postgres rolls back.
    }
    let row = timed(
        "check",
        c2.query_one(
            "SELECT count(*), sum(CASE WHEN v = 'changed' THEN 1 ELSE 0 END) FROM drv_pages",
            &[],
        ),
    )
    .await
    .expect("count after rollbacks");
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (50, 0),
        "rollbacks undo everything"
    );

    // An error inside a transaction aborts it (25P02) until rollback.
    {
        let tx = timed("begin", c1.transaction()).await.expect("begin");
        timed("insert", tx.execute(&insert, &[&100i32, &"new"]))
            .await
            .expect("insert 100");
        assert_sqlstate(
            "duplicate in transaction",
            timed("insert", tx.execute(&insert, &[&1i32, &"dup"])).await,
            &SqlState::UNIQUE_VIOLATION,
        );
        assert_sqlstate(
            "statement after the error",
            timed("select", tx.query("SELECT 1", &[])).await,
            &SqlState::IN_FAILED_SQL_TRANSACTION,
        );
        timed("rollback", tx.rollback())
            .await
            .expect("rollback of a failed transaction");
    }
    assert_usable(&c1, "a failed transaction").await;
    let n: i64 = timed(
        "count",
        c2.query_one("SELECT count(*) FROM drv_pages WHERE id = 100", &[]),
    )
    .await
    .expect("count id 100")
    .get(0);
    assert_eq!(n, 0, "the failed transaction's insert is gone");

    exec(&c1, "DROP TABLE drv_pages").await;
    cluster.assert_no_panics();
}

/// Errors arrive with PostgreSQL's SQLSTATEs through both protocols, and the
/// connection stays usable after each; conflicting serializable transactions
/// fail one side with 40001.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn errors_carry_sqlstates_and_leave_the_connection_usable() {
    let cluster = cluster().await;
    let c = connect(&cluster.spec(1).sql).await;
    exec(
        &c,
        "CREATE TABLE drv_err (id int PRIMARY KEY, name text NOT NULL, n int)",
    )
    .await;
    exec(&c, "INSERT INTO drv_err VALUES (1, 'one', 10)").await;
    let insert = timed(
        "prepare",
        c.prepare("INSERT INTO drv_err VALUES ($1, $2, $3)"),
    )
    .await
    .expect("prepare insert");
    let none: Option<&str> = None;

    assert_sqlstate(
        "duplicate key (extended)",
        timed("insert", c.execute(&insert, &[&1i32, &"again", &1i32])).await,
        &SqlState::UNIQUE_VIOLATION,
    );
    assert_usable(&c, "23505").await;
    assert_sqlstate(
        "duplicate key (simple)",
        timed(
            "insert",
            c.batch_execute("INSERT INTO drv_err VALUES (1, 'again', 1)"),
        )
        .await,
        &SqlState::UNIQUE_VIOLATION,
    );
    assert_usable(&c, "23505 (simple)").await;
    assert_sqlstate(
        "NULL into NOT NULL",
        timed("insert", c.execute(&insert, &[&2i32, &none, &1i32])).await,
        &SqlState::NOT_NULL_VIOLATION,
    );
    assert_usable(&c, "23502").await;
    // Drivers and ORMs map constraint errors to fields by the names the
    // ErrorResponse carries, as PostgreSQL sends them.
    let dup = timed("insert", c.execute(&insert, &[&1i32, &"again", &1i32]))
        .await
        .expect_err("duplicate key");
    let db = dup.as_db_error().expect("a server error");
    assert_eq!(
        (db.schema(), db.table(), db.constraint()),
        (Some("public"), Some("drv_err"), Some("drv_err_pkey")),
        "23505 names the table and constraint: {db:?}"
    );
    assert_eq!(db.detail(), Some("Key (id)=(1) already exists."));
    let null = timed("insert", c.execute(&insert, &[&2i32, &none, &1i32]))
        .await
        .expect_err("null into not null");
    let db = null.as_db_error().expect("a server error");
    assert_eq!(
        (db.schema(), db.table(), db.column()),
        (Some("public"), Some("drv_err"), Some("name")),
        "23502 names the table and column: {db:?}"
    );
    assert_eq!(db.detail(), Some("Failing row contains (2, null, 1)."));
    assert_sqlstate(
        "bad integer text",
        timed("select", c.query("SELECT $1::text::int4", &[&"abc"])).await,
        &SqlState::INVALID_TEXT_REPRESENTATION,
    );
    assert_usable(&c, "22P02").await;
    assert_sqlstate(
        "bad integer literal (simple)",
        timed("select", c.simple_query("SELECT 'abc'::int")).await,
        &SqlState::INVALID_TEXT_REPRESENTATION,
    );
    assert_usable(&c, "22P02 (simple)").await;
    assert_sqlstate(
        "unknown table at prepare",
        timed(
            "prepare",
            c.prepare("SELECT * FROM drv_nosuch WHERE id = $1"),
        )
        .await,
        &SqlState::UNDEFINED_TABLE,
    );
    assert_usable(&c, "42P01").await;
    assert_sqlstate(
        "unknown column at prepare",
        timed("prepare", c.prepare("SELECT nosuch FROM drv_err")).await,
        &SqlState::UNDEFINED_COLUMN,
    );
    assert_usable(&c, "42703").await;
    assert_sqlstate(
        "syntax error at prepare",
        timed("prepare", c.prepare("SELEC 1")).await,
        &SqlState::SYNTAX_ERROR,
    );
    assert_usable(&c, "42601").await;
    assert_sqlstate(
        "syntax error (simple)",
        timed("batch", c.batch_execute("SELECT * FROM")).await,
        &SqlState::SYNTAX_ERROR,
    );
    assert_usable(&c, "42601 (simple)").await;
    assert_sqlstate(
        "division by a zero parameter",
        timed("select", c.query("SELECT n / $1 FROM drv_err", &[&0i32])).await,
        &SqlState::DIVISION_BY_ZERO,
    );
    assert_usable(&c, "22012").await;
    assert_sqlstate(
        "division by zero (simple)",
        timed("select", c.simple_query("SELECT 1 / 0")).await,
        &SqlState::DIVISION_BY_ZERO,
    );
    assert_usable(&c, "22012 (simple)").await;
    // A statement prepared before the errors still works.
    timed("insert", c.execute(&insert, &[&2i32, &"two", &20i32]))
        .await
        .expect("insert after the errors");
    let n: i64 = timed("count", c.query_one("SELECT count(*) FROM drv_err", &[]))
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 2, "only the valid inserts took effect");

    serialization_failure(&cluster).await;
    deadlock_is_detected(&cluster).await;

    exec(&c, "DROP TABLE drv_err").await;
    cluster.assert_no_panics();
}

/// Two SERIALIZABLE transactions on different nodes read the same row and
/// both update it: at most one may commit, the other fails with 40001 (at its
/// UPDATE or its COMMIT), and no update is lost.
async fn serialization_failure(cluster: &Cluster) {
    let mut a = connect(&cluster.spec(1).sql).await;
    let mut b = connect(&cluster.spec(2).sql).await;
    exec(
        &a,
        "CREATE TABLE drv_counter (id int PRIMARY KEY, v int NOT NULL)",
    )
    .await;
    exec(&a, "INSERT INTO drv_counter VALUES (1, 0)").await;

    let ta = timed(
        "begin a",
        a.build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::Serializable)
            .start(),
    )
    .await
    .expect("begin a");
    let tb = timed(
        "begin b",
        b.build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::Serializable)
            .start(),
    )
    .await
    .expect("begin b");
    let read = "SELECT v FROM drv_counter WHERE id = 1";
    let va: i32 = timed("read a", ta.query_one(read, &[]))
        .await
        .expect("read in a")
        .get(0);
    let vb: i32 = timed("read b", tb.query_one(read, &[]))
        .await
        .expect("read in b")
        .get(0);
    assert_eq!((va, vb), (0, 0), "both transactions read the initial value");

    let write = "UPDATE drv_counter SET v = $1 WHERE id = 1";
    let a_update = timed("update a", ta.execute(write, &[&(va + 1)])).await;
    // b's UPDATE may wait for a (row lock) until a ends: run it concurrently
    // with a's commit.
    let b_task = async {
        match timed("update b", tb.execute(write, &[&(vb + 1)])).await {
            Ok(_) => timed("commit b", tb.commit())
                .await
                .map_err(|e| ("commit b", e)),
            Err(e) => Err(("update b", e)),
        }
    };
    let a_task = async {
        // Give b's UPDATE a moment to reach the server first.
        tokio::time::sleep(Duration::from_millis(300)).await;
        match a_update {
            Ok(_) => timed("commit a", ta.commit())
                .await
                .map_err(|e| ("commit a", e)),
            Err(e) => Err(("update a", e)),
        }
    };
    let (ra, rb) = tokio::join!(a_task, b_task);
    let committed = [ra.is_ok(), rb.is_ok()].iter().filter(|ok| **ok).count();
    let errors: Vec<(&str, tokio_postgres::Error)> =
        [ra.err(), rb.err()].into_iter().flatten().collect();
    for (step, e) in &errors {
        assert_eq!(
            e.code().map(SqlState::code),
            Some(SqlState::T_R_SERIALIZATION_FAILURE.code()),
            "{step} failed with something other than 40001: {e:?}"
        );
    }
    assert_eq!(
        committed, 1,
        "exactly one of two conflicting transactions commits; errors: {errors:?}"
    );
    let v: i32 = timed("final", a.query_one(read, &[]))
        .await
        .expect("final read")
        .get(0);
    assert_eq!(v, 1, "the committed increment is there and nothing else");
    assert_usable(&a, "a serialization conflict").await;
    assert_usable(&b, "a serialization conflict").await;
    // Both connections can run further transactions.
    let t = timed("begin", b.transaction())
        .await
        .expect("begin after 40001");
    timed("update", t.execute(write, &[&5i32]))
        .await
        .expect("update after 40001");
    timed("commit", t.commit())
        .await
        .expect("commit after 40001");
    drop(a.transaction().await.expect("begin on a"));
    blind_increments_wait_and_both_commit(&mut a, &mut b).await;
    exec(&a, "DROP TABLE drv_counter").await;
}

/// Two transactions on different nodes increment the same row without
/// having read it before: the second UPDATE waits for the first
/// transaction's row lock, then runs again on the committed row (nothing
/// else it read has changed, so its snapshot moves forward), and both
/// commit: no 40001 and no lost update. Optimistic commit-time checks alone
/// would abort the second one.
async fn blind_increments_wait_and_both_commit(a: &mut Client, b: &mut Client) {
    let read = "SELECT v FROM drv_counter WHERE id = 1";
    let before: i32 = timed("read", a.query_one(read, &[]))
        .await
        .expect("read before")
        .get(0);
    let ta = timed("begin a", a.transaction()).await.expect("begin a");
    let tb = timed("begin b", b.transaction()).await.expect("begin b");
    // Both snapshots are taken before either writes.
    for t in [&ta, &tb] {
        timed("select 1", t.query_one("SELECT 1", &[]))
            .await
            .expect("select 1");
    }
    let increment = "UPDATE drv_counter SET v = v + 1 WHERE id = 1";
    let n = timed("update a", ta.execute(increment, &[]))
        .await
        .expect("update a");
    assert_eq!(n, 1);
    let b_task = async {
        let n = timed("update b", tb.execute(increment, &[]))
            .await
            .expect("update b waits for a, then succeeds");
        timed("commit b", tb.commit()).await.expect("commit b");
        n
    };
    let a_task = async {
        // b's UPDATE reaches the server and waits on a's row lock.
        tokio::time::sleep(Duration::from_millis(300)).await;
        timed("commit a", ta.commit()).await.expect("commit a");
    };
    let (_, n) = tokio::join!(a_task, b_task);
    assert_eq!(n, 1, "b's UPDATE found the row");
    let after: i32 = timed("read", b.query_one(read, &[]))
        .await
        .expect("read after")
        .get(0);
    assert_eq!(after, before + 2, "both increments are there");
}

/// Two transactions on different nodes each lock a row, then each updates
/// the other's row. The second to wait would close a cycle: it fails with
/// 40P01 (deadlock detected) rather than the lock-wait timeout's 40001, its
/// block is failed (25P02) until ROLLBACK, its locks are gone, so the first
/// one's UPDATE goes through and commits.
async fn deadlock_is_detected(cluster: &Cluster) {
    let a = connect(&cluster.spec(1).sql).await;
    let b = connect(&cluster.spec(3).sql).await;
    exec(
        &a,
        "CREATE TABLE drv_dead (id int PRIMARY KEY, v int NOT NULL)",
    )
    .await;
    exec(&a, "INSERT INTO drv_dead VALUES (1, 0), (2, 0)").await;
    exec(&a, "BEGIN").await;
    exec(&b, "BEGIN").await;
    exec(&a, "UPDATE drv_dead SET v = 10 WHERE id = 1").await;
    exec(&b, "UPDATE drv_dead SET v = 20 WHERE id = 2").await;
    let a_task = async {
        // Waits for b's lock on row 2 until b gives way.
        timed(
            "a updates row 2",
            a.batch_execute("UPDATE drv_dead SET v = 11 WHERE id = 2"),
        )
        .await
    };
    let b_task = async {
        // Let a's UPDATE reach its wait first.
        tokio::time::sleep(Duration::from_millis(500)).await;
        timed(
            "b updates row 1",
            b.batch_execute("UPDATE drv_dead SET v = 21 WHERE id = 1"),
        )
        .await
    };
    let (ra, rb) = tokio::join!(a_task, b_task);
    ra.expect("a's UPDATE goes on once b is the deadlock's victim");
    let err = rb.expect_err("b closes the cycle");
    assert_eq!(
        sqlstate(&err).map(SqlState::code),
        Some(SqlState::T_R_DEADLOCK_DETECTED.code()),
        "b fails with deadlock_detected: {err:?}"
    );
    assert_sqlstate(
        "a statement in b's failed block",
        b.query_one("SELECT 1", &[]).await,
        &SqlState::IN_FAILED_SQL_TRANSACTION,
    );
    exec(&b, "ROLLBACK").await;
    exec(&a, "COMMIT").await;
    let rows = timed(
        "final read",
        b.query("SELECT id, v FROM drv_dead ORDER BY id", &[]),
    )
    .await
    .expect("final read");
    let values: Vec<(i32, i32)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(values, vec![(1, 10), (2, 11)], "a's writes and none of b's");
    assert_usable(&b, "a deadlock").await;
    exec(&a, "DROP TABLE drv_dead").await;
}

/// Rows of `drv_split` in the test below.
const SPLIT_ROWS: i32 = 2000;

/// A table cut into four ranges: a scan reads the ranges concurrently yet
/// returns every row once, in key order; its filter and projection run in
/// the ranges (the nodes count the rows they dropped and the rows they
/// projected), with statement parameters, and an
/// error inside it still reaches the client; the transaction's own
/// uncommitted writes are seen by a filtered scan.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scans_across_ranges_keep_order_and_filter_in_the_ranges() {
    use rangedb_sql::keys::{encode_key_value, index_prefix, PRIMARY_INDEX_ID};
    let cluster = cluster().await;
    let c = connect(&cluster.spec(2).sql).await;
    exec(
        &c,
        "CREATE TABLE drv_split (id int PRIMARY KEY, v int NOT NULL, t text)",
    )
    .await;
    for batch in (0..SPLIT_ROWS).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = batch
            .iter()
            .map(|i| format!("({i}, {i}, 'row {i}')"))
            .collect();
        exec(
            &c,
            &format!("INSERT INTO drv_split VALUES {}", values.join(", ")),
        )
        .await;
    }
    let table_id: u32 = timed("oid", c.query_one("SELECT 'drv_split'::regclass::oid", &[]))
        .await
        .expect("table oid")
        .get(0);
    let split_keys: Vec<Vec<u8>> = [500, 1000, 1500]
        .iter()
        .map(|id| {
            let mut k = index_prefix(table_id, PRIMARY_INDEX_ID);
            encode_key_value(&mut k, &rangedb_sqltypes::Value::Int4(*id), false)
                .expect("encode key");
            k
        })
        .collect();
    let refs: Vec<&[u8]> = split_keys.iter().map(|k| k.as_slice()).collect();
    cluster.split_at(&refs).await;

    let ids = |rows: Vec<Row>| -> Vec<i32> { rows.iter().map(|r| r.get(0)).collect() };
    let all = ids(timed("scan", c.query("SELECT id FROM drv_split", &[]))
        .await
        .expect("full scan"));
    assert_eq!(
        all,
        (0..SPLIT_ROWS).collect::<Vec<_>>(),
        "every row once, in key order"
    );

    let dropped_before = cluster_counter(&cluster, "rangedb_kv_scan_rows_filtered_total").await;
    let projected_before =
        cluster_counter(&cluster, "rangedb_sql_scan_rows_projected_in_ranges_total").await;
    let sevens = ids(timed(
        "filtered scan",
        c.query("SELECT id FROM drv_split WHERE v % 7 = $1", &[&3i32]),
    )
    .await
    .expect("filtered scan"));
    let expected: Vec<i32> = (0..SPLIT_ROWS).filter(|v| v % 7 == 3).collect();
    assert_eq!(sevens, expected);
    let dropped =
        cluster_counter(&cluster, "rangedb_kv_scan_rows_filtered_total").await - dropped_before;
    assert!(
        dropped >= f64::from(SPLIT_ROWS - expected.len() as i32),
        "the ranges dropped the non-matching rows (counted {dropped})"
    );
    let projected = cluster_counter(&cluster, "rangedb_sql_scan_rows_projected_in_ranges_total")
        .await
        - projected_before;
    assert!(
        projected >= expected.len() as f64,
        "the ranges sent only the columns read (counted {projected})"
    );
    let n: i64 = timed("count", c.query_one("SELECT count(*) FROM drv_split", &[]))
        .await
        .expect("count(*) reads no column")
        .get(0);
    assert_eq!(n, i64::from(SPLIT_ROWS));
    let range_scan = ids(timed(
        "range scan",
        c.query(
            "SELECT id FROM drv_split WHERE id BETWEEN 450 AND 1550 AND t LIKE '%5'",
            &[],
        ),
    )
    .await
    .expect("range scan"));
    let expected: Vec<i32> = (450..=1550).filter(|i| i % 10 == 5).collect();
    assert_eq!(range_scan, expected, "a range scan across three ranges");

    // More rows than the session buffers: the result streams, in both
    // protocols and through a paged portal, and an error after the first
    // rows went out still reaches the client with its SQLSTATE.
    let streamed = timed(
        "simple query",
        c.simple_query("SELECT id, t FROM drv_split"),
    )
    .await
    .expect("streamed simple query");
    let data_rows = streamed
        .iter()
        .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
        .count();
    assert_eq!(data_rows, SPLIT_ROWS as usize, "every row streamed");
    assert!(
        streamed.iter().any(|m| matches!(
            m,
            tokio_postgres::SimpleQueryMessage::CommandComplete(n) if *n == SPLIT_ROWS as u64
        )),
        "SELECT {SPLIT_ROWS} completes the stream"
    );
    {
        let mut c3 = connect(&cluster.spec(1).sql).await;
        let tx = timed("begin", c3.transaction()).await.expect("begin");
        let portal = timed("bind", tx.bind("SELECT id FROM drv_split", &[]))
            .await
            .expect("bind");
        let mut pages = Vec::new();
        loop {
            let page = timed("page", tx.query_portal(&portal, 700))
                .await
                .expect("page");
            if page.is_empty() {
                break;
            }
            pages.push(page.len());
        }
        assert_eq!(pages, vec![700, 700, 600], "pages of a large portal");
        timed("commit", tx.commit()).await.expect("commit");
    }
    assert_sqlstate(
        "division by zero after 1500 streamed rows",
        timed(
            "select",
            c.query("SELECT 10 / (id - 1500) FROM drv_split", &[]),
        )
        .await,
        &SqlState::DIVISION_BY_ZERO,
    );
    assert_usable(&c, "an error in a streamed result").await;

    // Rows past a LIMIT are never evaluated, not even those read ahead from
    // later ranges: the error at id 1900 lies past the 600 rows needed.
    let limited = timed(
        "limit",
        c.query(
            "SELECT id FROM drv_split WHERE id / (id - 1900) < 100 LIMIT 600",
            &[],
        ),
    )
    .await
    .expect("a LIMIT stops before the row that would fail");
    assert_eq!(ids(limited), (0..600).collect::<Vec<_>>());

    // An error in the filter is the client's, as without pushdown.
    assert_sqlstate(
        "division by zero in a pushed filter",
        timed(
            "select",
            c.query("SELECT id FROM drv_split WHERE 10 / (v - 700) > 0", &[]),
        )
        .await,
        &SqlState::DIVISION_BY_ZERO,
    );
    assert_usable(&c, "an error in a pushed filter").await;

    // Uncommitted writes of the transaction join the filtered scan.
    let mut c2 = connect(&cluster.spec(3).sql).await;
    let tx = timed("begin", c2.transaction()).await.expect("begin");
    for sql in [
        "UPDATE drv_split SET v = 4 WHERE id = 1700",
        "DELETE FROM drv_split WHERE id = 3",
        "INSERT INTO drv_split VALUES (5000, 10, 'new')",
    ] {
        timed(sql, tx.execute(sql, &[])).await.expect(sql);
    }
    let seen = ids(timed(
        "filtered scan in a transaction",
        tx.query("SELECT id FROM drv_split WHERE v % 7 = 3", &[]),
    )
    .await
    .expect("filtered scan in a transaction"));
    let mut expected: Vec<i32> = (0..SPLIT_ROWS).filter(|v| v % 7 == 3 && *v != 3).collect();
    expected.push(5000);
    assert_eq!(seen, expected, "own update, delete and insert are seen");
    let row_1700 = ids(timed(
        "updated row",
        tx.query("SELECT id FROM drv_split WHERE v = 4 AND id > 1000", &[]),
    )
    .await
    .expect("updated row"));
    assert_eq!(row_1700, vec![1700]);
    timed("rollback", tx.rollback()).await.expect("rollback");
    cluster.assert_no_panics();
}

/// The sum of counter `name` over the cluster's nodes.
async fn cluster_counter(cluster: &Cluster, name: &str) -> f64 {
    let mut total = 0.0;
    for id in 1..=3 {
        total += cluster.metric(id, name).await.unwrap_or(0.0);
    }
    total
}

/// Transaction-block edges drivers rely on: a failed COPY inside BEGIN
/// leaves the block failed (25P02) rather than silently ending it; the
/// statements of one simple query are one transaction; statement_timeout
/// cancels a statement stuck behind a lock (57014) and releases its own
/// locks; DEALLOCATE ALL forgets prepared statements.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blocks_batches_timeouts_and_deallocate_behave_like_postgres() {
    use futures::SinkExt;

    let cluster = cluster().await;
    let c = connect(&cluster.spec(1).sql).await;
    exec(&c, "CREATE TABLE drv_blk (id int PRIMARY KEY, v text)").await;

    // A COPY whose data is bad fails the block it runs in.
    exec(&c, "BEGIN; INSERT INTO drv_blk VALUES (1, 'in block')").await;
    let sink = timed("copy_in", c.copy_in("COPY drv_blk FROM STDIN"))
        .await
        .expect("copy starts");
    let mut sink = Box::pin(sink);
    let sent: &'static [u8] = b"2\ttwo\nnot a number\tx\n";
    let copied = timed("copy data", async {
        sink.send(sent).await?;
        sink.as_mut().finish().await
    })
    .await;
    assert_sqlstate(
        "bad COPY row",
        copied,
        &SqlState::INVALID_TEXT_REPRESENTATION,
    );
    assert_sqlstate(
        "statement after a failed COPY in a block",
        timed("select", c.query("SELECT 1", &[])).await,
        &SqlState::IN_FAILED_SQL_TRANSACTION,
    );
    exec(&c, "ROLLBACK").await;
    let n = row_count(&c, "drv_blk").await;
    assert_eq!(n, 0, "the rolled-back block's insert and COPY left rows");

    // One simple query is one transaction: a later failure undoes the insert.
    assert_sqlstate(
        "batch with a failing statement",
        timed(
            "batch",
            c.batch_execute("INSERT INTO drv_blk VALUES (3, 'batch'); SELECT 1/0"),
        )
        .await,
        &SqlState::DIVISION_BY_ZERO,
    );
    let n = row_count(&c, "drv_blk").await;
    assert_eq!(n, 0, "a failed batch kept its first statement's row");
    // ... and a BEGIN in the middle takes the earlier statements along.
    exec(
        &c,
        "INSERT INTO drv_blk VALUES (4, 'before begin'); BEGIN; INSERT INTO drv_blk VALUES (5, 'after begin')",
    )
    .await;
    exec(&c, "ROLLBACK").await;
    let n = row_count(&c, "drv_blk").await;
    assert_eq!(n, 0, "ROLLBACK kept rows written before BEGIN in its batch");

    // The Executes of a pipeline (one Sync) are one transaction too.
    let addr: std::net::SocketAddr = cluster.spec(1).sql.parse().expect("sql address");
    let (mut pipe, _) = timed("raw connect", raw::Raw::connect(addr, "postgres")).await;
    let reply = pipeline(
        &mut pipe,
        &["INSERT INTO drv_blk VALUES (7, 'pipelined')", "SELECT 1/0"],
    )
    .await;
    assert_eq!(raw::error_code(&reply).as_deref(), Some("22012"));
    assert_eq!(raw::ready_status(&reply), Some(b'I'));
    let reply = pipeline(
        &mut pipe,
        &[
            "INSERT INTO drv_blk VALUES (8, 'pipelined')",
            "INSERT INTO drv_blk VALUES (9, 'pipelined')",
        ],
    )
    .await;
    assert_eq!(raw::error_code(&reply), None, "{reply:?}");
    let ids: Vec<i32> = timed("ids", c.query("SELECT id FROM drv_blk ORDER BY id", &[]))
        .await
        .expect("ids")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, vec![8, 9], "the failed pipeline kept its insert");
    exec(&c, "DELETE FROM drv_blk").await;

    // statement_timeout ends a wait for another transaction's row lock.
    exec(&c, "INSERT INTO drv_blk VALUES (6, 'locked')").await;
    let holder = connect(&cluster.spec(2).sql).await;
    exec(
        &holder,
        "BEGIN; UPDATE drv_blk SET v = 'holder' WHERE id = 6",
    )
    .await;
    exec(&c, "SET statement_timeout = '300ms'").await;
    let started = std::time::Instant::now();
    assert_sqlstate(
        "update behind a held lock",
        timed(
            "update",
            c.execute("UPDATE drv_blk SET v = 'waiter' WHERE id = 6", &[]),
        )
        .await,
        &SqlState::QUERY_CANCELED,
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the timeout took {:?}",
        started.elapsed()
    );
    exec(&c, "RESET statement_timeout").await;
    assert_usable(&c, "57014").await;
    exec(&holder, "COMMIT").await;
    let v: String = one_value(&c, "SELECT v FROM drv_blk WHERE id = 6").await;
    assert_eq!(v, "holder", "the cancelled update must not have applied");

    // A prepared SELECT * whose table gained a column is refused (0A000),
    // not answered with rows the client would decode by the old columns.
    let star = timed("prepare", c.prepare("SELECT * FROM drv_blk WHERE id = $1"))
        .await
        .expect("prepare");
    exec(&c, "ALTER TABLE drv_blk ADD COLUMN extra int").await;
    assert_sqlstate(
        "stale prepared statement",
        timed("query", c.query(&star, &[&6i32])).await,
        &SqlState::FEATURE_NOT_SUPPORTED,
    );
    let fresh = timed("prepare", c.prepare("SELECT * FROM drv_blk WHERE id = $1"))
        .await
        .expect("prepare again");
    let rows = timed("query", c.query(&fresh, &[&6i32]))
        .await
        .expect("query");
    assert_eq!(rows[0].len(), 3, "the new column is there");

    // DEALLOCATE ALL forgets the statements the driver prepared.
    let stmt = timed("prepare", c.prepare("SELECT v FROM drv_blk WHERE id = $1"))
        .await
        .expect("prepare");
    assert_eq!(
        timed("query", c.query(&stmt, &[&6i32]))
            .await
            .expect("query")
            .len(),
        1
    );
    exec(&c, "DEALLOCATE ALL").await;
    assert_sqlstate(
        "deallocated statement",
        timed("query", c.query(&stmt, &[&6i32])).await,
        &SqlState::INVALID_SQL_STATEMENT_NAME,
    );
    assert_usable(&c, "DEALLOCATE").await;
}
