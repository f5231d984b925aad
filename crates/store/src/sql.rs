//! The one query layer: run a SQL string with `$1`-style arguments on whichever backend the
//! store holds, inside or outside a transaction. Every query in the store goes through here,
//! so no SQL is written twice.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, FromRow, Postgres, Sqlite, Transaction};

use crate::schema::Dialect;
use crate::{Db, Result, Store, StoreError, on_db};

/// One argument of a query. Both backends accept each of these types.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

/// `args![a, b, c]` builds the argument list of a query.
macro_rules! args {
    ($($value:expr),* $(,)?) => { vec![$($crate::sql::Arg::from($value)),*] };
}
pub(crate) use args;

/// Decodes rows into a struct on both backends, column by field name — what
/// `#[derive(sqlx::FromRow)]` does, without building sqlx's macros (and with them a second
/// SQLite and PostgreSQL driver for the build host). `time { … }` lists the fields holding a
/// time column (milliseconds) as a `DateTime<Utc>` or an option of one, `default { … }` the
/// fields that are not columns; the compiler checks that every field is listed once.
macro_rules! from_row {
    (
        $name:ident { $($field:ident),* $(,)? }
        $(, time { $($time:ident),* $(,)? })?
        $(, default { $($computed:ident),* $(,)? })?
    ) => {
        $crate::sql::from_row!(@backend $name, sqlx::sqlite::SqliteRow, { $($field),* } { $($($time),*)? } { $($($computed),*)? });
        $crate::sql::from_row!(@backend $name, sqlx::postgres::PgRow, { $($field),* } { $($($time),*)? } { $($($computed),*)? });
    };
    (@backend $name:ident, $row:ty, { $($field:ident),* } { $($time:ident),* } { $($computed:ident),* }) => {
        impl<'r> sqlx::FromRow<'r, $row> for $name {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok($name {
                    $($field: row.try_get(stringify!($field))?,)*
                    $($time: $crate::sql::TimeColumn::from_ms(row.try_get(stringify!($time))?),)*
                    $($computed: Default::default(),)*
                })
            }
        }
    };
}
pub(crate) use from_row;

/// A read model's time decoded from its column, stored as milliseconds ([`crate::to_ms`]).
pub(crate) trait TimeColumn {
    type Ms;
    fn from_ms(ms: Self::Ms) -> Self;
}

impl TimeColumn for DateTime<Utc> {
    type Ms = i64;
    fn from_ms(ms: i64) -> Self {
        crate::from_ms(ms)
    }
}

impl TimeColumn for Option<DateTime<Utc>> {
    type Ms = Option<i64>;
    fn from_ms(ms: Option<i64>) -> Self {
        ms.map(crate::from_ms)
    }
}

/// The most parameters in one bulk statement (SQLite allows 32 766).
const MAX_PARAMS: usize = 30_000;

/// The placeholders of an `IN (…)` list: each value is appended to `args`, and its `$n` returned
/// in a comma-separated list.
pub(crate) fn in_list<T: Clone + Into<Arg>>(args: &mut Vec<Arg>, values: &[T]) -> String {
    let mut placeholders = Vec::with_capacity(values.len());
    for value in values {
        args.push(value.clone().into());
        placeholders.push(format!("${}", args.len()));
    }
    placeholders.join(", ")
}

/// A row type both backends can decode.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// Binds every argument, in order.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
            };
        }
        query
    }};
}

/// A transaction on either backend. A SQLite transaction also holds the store's writer
/// permit (see `Store::begin`).
pub struct Tx {
    conn: TxConn,
    /// The store's `location`, named when a write finds the disk full.
    location: Arc<str>,
}

enum TxConn {
    Sqlite(Transaction<'static, Sqlite>, tokio::sync::OwnedMutexGuard<()>),
    Postgres(Transaction<'static, Postgres>),
}

/// Expands `$body` once per backend with `$conn` bound to the open connection of a `Tx`.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut $tx.conn {
            TxConn::Sqlite(t, _) => {
                let $conn = &mut **t;
                $body
            }
            TxConn::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

impl Store {
    /// Starts a write transaction. SQLite has one writer at a time: writers queue here, in
    /// order, for the store's permit — instead of colliding on the file lock, where SQLite's
    /// busy handler would make them sleep and retry — and then take the write lock at once
    /// (`BEGIN IMMEDIATE`), so that no writer deadlocks upgrading a read lock.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        let conn = match &self.db {
            Db::Sqlite(pool) => {
                let permit = self.sqlite_writer.clone().lock_owned().await;
                TxConn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await.map_err(self.fault())?, permit)
            }
            Db::Postgres(pool) => TxConn::Postgres(pool.begin().await.map_err(self.fault())?),
        };
        Ok(Tx { conn, location: self.location.clone() })
    }

    /// Classifies a database error of this store (`StoreError::database`).
    fn fault(&self) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        |error| StoreError::database(error, &self.location)
    }

    /// Runs one statement in a transaction of its own. On SQLite it is a write like any other:
    /// it queues for the writer's permit as `begin` does, rather than meeting a transaction's
    /// lock on the file and sleeping in SQLite's busy handler.
    pub(crate) async fn execute(&self, sql: &str, args: Vec<Arg>) -> Result<u64> {
        let _permit = match &self.db {
            Db::Sqlite(_) => Some(self.sqlite_writer.clone().lock_owned().await),
            Db::Postgres(_) => None,
        };
        on_db!(&self.db, |pool| bind_all!(sqlx::query(AssertSqlSafe(sql)), args)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .map_err(self.fault())
    }

    pub(crate) async fn fetch_all<T: Row>(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<T>> {
        on_db!(&self.db, |pool| bind_all!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(pool).await)
            .map_err(self.fault())
    }

    pub(crate) async fn fetch_optional<T: Row>(&self, sql: &str, args: Vec<Arg>) -> Result<Option<T>> {
        on_db!(&self.db, |pool| bind_all!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_optional(pool).await)
            .map_err(self.fault())
    }

    pub(crate) async fn fetch_one<T: Row>(&self, sql: &str, args: Vec<Arg>) -> Result<T> {
        on_db!(&self.db, |pool| bind_all!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_one(pool).await)
            .map_err(self.fault())
    }
}

impl Tx {
    /// Classifies a database error of this transaction (`StoreError::database`).
    fn fault(&self) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        |error| StoreError::database(error, &self.location)
    }

    pub(crate) async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64> {
        on_tx!(self, |conn| bind_all!(sqlx::query(AssertSqlSafe(sql)), args)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))
        .map_err(self.fault())
    }

    /// Runs a statement that will not recur (a bulk insert of a particular size) without
    /// keeping it in the connection's statement cache, where large ones would hold memory.
    pub(crate) async fn execute_once(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64> {
        on_tx!(self, |conn| bind_all!(sqlx::query(AssertSqlSafe(sql)).persistent(false), args)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))
        .map_err(self.fault())
    }

    pub(crate) async fn fetch_all<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<Vec<T>> {
        on_tx!(self, |conn| bind_all!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_all(conn).await)
            .map_err(self.fault())
    }

    pub(crate) async fn fetch_optional<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<Option<T>> {
        on_tx!(self, |conn| bind_all!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_optional(conn).await)
            .map_err(self.fault())
    }

    pub(crate) async fn fetch_one<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<T> {
        on_tx!(self, |conn| bind_all!(sqlx::query_as(AssertSqlSafe(sql)), args).fetch_one(conn).await)
            .map_err(self.fault())
    }

    /// The SQL dialect of the transaction's database.
    fn dialect(&self) -> Dialect {
        match self.conn {
            TxConn::Sqlite(..) => Dialect::Sqlite,
            TxConn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Reads a row and locks it until the transaction ends: `FOR UPDATE` on PostgreSQL; a SQLite
    /// write transaction (`BEGIN IMMEDIATE`) holds the whole database already.
    pub(crate) async fn fetch_optional_for_update<T: Row>(&mut self, sql: &str, args: Vec<Arg>) -> Result<Option<T>> {
        match self.dialect() {
            Dialect::Sqlite => self.fetch_optional(sql, args).await,
            Dialect::Postgres => self.fetch_optional(&format!("{sql} FOR UPDATE"), args).await,
        }
    }

    /// `INSERT INTO table (columns) VALUES (…), (…) suffix` in as few statements as the parameter
    /// limit allows. `suffix` may hold an `ON CONFLICT` clause (the rows' keys must be distinct).
    pub(crate) async fn insert_rows(
        &mut self,
        table: &str,
        columns: &str,
        rows: Vec<Vec<Arg>>,
        suffix: &str,
    ) -> Result<()> {
        let Some(width) = rows.first().map(Vec::len) else { return Ok(()) };
        let dialect = self.dialect();
        let per_statement = (MAX_PARAMS / width).max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Arg>> = rows.by_ref().take(per_statement).collect();
            let mut values = Vec::with_capacity(chunk.len());
            let mut args = Vec::with_capacity(chunk.len() * width);
            for row in chunk {
                let start = args.len();
                values.push(format!(
                    "({})",
                    (1..=width).map(|i| dialect.bulk_placeholder(start + i)).collect::<Vec<_>>().join(", ")
                ));
                args.extend(row);
            }
            self.execute_once(&format!("INSERT INTO {table} ({columns}) VALUES {} {suffix}", values.join(", ")), args)
                .await?;
        }
        Ok(())
    }

    /// After rows were inserted with explicit ids: PostgreSQL's identity sequence moves past them.
    pub(crate) async fn sequence_reset(&mut self, table: &str) -> Result<()> {
        match self.dialect().sequence_reset(table) {
            Some(sql) => self.execute(&sql, Vec::new()).await.map(drop),
            None => Ok(()),
        }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        let fault = |error| StoreError::database(error, &self.location);
        match self.conn {
            TxConn::Sqlite(t, _permit) => t.commit().await.map_err(fault),
            TxConn::Postgres(t) => t.commit().await.map_err(fault),
        }
    }
}
