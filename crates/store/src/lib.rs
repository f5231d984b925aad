//! Fengqiao's storage: one query layer over SQLite and PostgreSQL.
//!
//! Every query is written once, with `$1`-style parameters that both backends understand, and
//! run through [`on_db!`], which expands the same code for each pool type. What truly differs
//! between the two databases lives in [`schema::Dialect`] and nowhere else.
//!
//! Data scope is applied here: every function that reads cases takes the [`Viewer`], so that no
//! handler can forget whose cases it may show.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod calendar;
pub mod cases;
pub mod citizens;
pub mod command;
pub mod crypto;
pub mod evaluations;
pub mod export;
pub mod figures;
pub mod grid;
pub mod import;
pub mod integration;
pub mod joint_meetings;
mod ladder;
pub mod law;
pub mod live;
pub mod mediation;
pub mod open311;
pub mod org;
pub mod petitions;
pub mod place_risk;
pub mod plans;
pub mod police;
pub mod police_incidents;
pub mod queue;
pub mod referrals;
pub mod reports;
pub mod risk_lists;
pub mod risk_record;
pub mod schema;
pub mod sessions;
pub(crate) mod sql;
pub mod stats;
pub mod supervision;
pub mod task_forces;
pub mod triage;
pub mod video;
pub mod watch;
pub mod webhooks;
pub mod webhooks_admin;
pub mod work_orders;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use domain::case_number::CaseNumberFormat;
use domain::validation::{FieldError, Message};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgPool, SqlitePool};

pub use crypto::Crypto;
pub use domain::authz::Viewer;

/// Runs the same code against whichever pool the store holds. Inside `$body`, `$pool` is a
/// `&SqlitePool` or a `&PgPool`; the body is written once and compiled for each.
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// The connection pool of the backend in use.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Everything that can go wrong below the HTTP layer, each with what the client needs to know.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The request conflicts with the current state (stale version, step not allowed now).
    #[error("conflict: {}", message.key)]
    Conflict { code: &'static str, message: Message },
    #[error("forbidden: {}", message.key)]
    Forbidden { message: Message },
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("wrong username or password")]
    BadCredentials,
    /// A citizen's one-time code was wrong, used or expired.
    #[error("wrong or expired code")]
    BadCode,
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// 存储空间已满 — the disk holding `path` has no space left: the write was refused whole
    /// (the transaction rolled back, the file not renamed into place), and writes succeed again
    /// as soon as space returns.
    #[error("no space left on device for {path}")]
    StorageFull { path: String },
    /// The database cannot be reached now: PostgreSQL restarting, the connection lost, no
    /// connection free within the pool's acquire timeout. The pool reconnects by itself.
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] sqlx::Error),
    #[error("personal data could not be decrypted: wrong key?")]
    Decrypt,
    #[error("i/o error on {path}")]
    Io { path: String, source: std::io::Error },
    #[error("{0}")]
    Setup(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub fn invalid(error: FieldError) -> Self {
        StoreError::Invalid(vec![error])
    }

    pub fn conflict(code: &'static str, message: Message) -> Self {
        StoreError::Conflict { code, message }
    }

    pub fn forbidden(message: Message) -> Self {
        StoreError::Forbidden { message }
    }

    /// A file operation on `path` that failed: a full disk is told apart from other failures.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        let path = path.display().to_string();
        if source.kind() == std::io::ErrorKind::StorageFull {
            return StoreError::StorageFull { path };
        }
        StoreError::Io { path, source }
    }

    /// A database error, classified: a full disk (SQLite's `SQLITE_FULL`, PostgreSQL's
    /// `disk_full`, `ENOSPC`) and a database out of reach (connection lost, the server shutting
    /// down or starting, no connection within the acquire timeout) are conditions of the moment,
    /// answered 503; anything else is a fault. `location` names where the database keeps its
    /// data (`Store::location`).
    pub(crate) fn database(error: sqlx::Error, location: &str) -> Self {
        let full = || StoreError::StorageFull { path: location.to_owned() };
        match &error {
            sqlx::Error::Database(e) => match e.code().as_deref() {
                // SQLITE_FULL (13; it has no extended codes) and PostgreSQL's disk_full.
                Some("13" | "53100") => full(),
                // PostgreSQL: a connection exception (08…), the operator shutting the server
                // down or a server still starting (57P…), too many connections.
                Some(code) if code.starts_with("08") || code.starts_with("57P") || code == "53300" => {
                    StoreError::DatabaseUnavailable(error)
                }
                _ => StoreError::Database(error),
            },
            sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => full(),
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => {
                StoreError::DatabaseUnavailable(error)
            }
            _ => StoreError::Database(error),
        }
    }
}

/// A database error outside the query layer (migrations, backups): classified like any other,
/// the location named in general terms.
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::database(error, "the database")
    }
}

impl From<domain::mediation::NotNow> for StoreError {
    fn from(refusal: domain::mediation::NotNow) -> Self {
        StoreError::Conflict { code: refusal.code, message: refusal.message }
    }
}

impl From<domain::authz::Denial> for StoreError {
    fn from(denial: domain::authz::Denial) -> Self {
        StoreError::Forbidden { message: denial.message() }
    }
}

/// How long a request waits for a database connection before it is refused as unavailable.
pub const DATABASE_WAIT: Duration = Duration::from_secs(5);

/// Settings the store needs from the configuration.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub case_number_format: CaseNumberFormat,
    /// How long a bearer token lives.
    pub token_lifetime: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { case_number_format: CaseNumberFormat::default(), token_lifetime: Duration::from_secs(12 * 3600) }
    }
}

/// The store: a pool, the key for personal data, and the settings.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
    /// Where the data lies, for the operator: the SQLite file, or the PostgreSQL server and
    /// database (no credentials).
    pub(crate) location: std::sync::Arc<str>,
    pub(crate) crypto: Crypto,
    pub(crate) options: StoreOptions,
    pub(crate) triage_cache: triage::TriageCache,
    pub(crate) clock_cache: calendar::ClockCache,
    /// The permit every SQLite write transaction of this process holds.
    pub(crate) sqlite_writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Registrations waiting to be written together.
    pub(crate) intake: std::sync::Arc<cases::intake::IntakeGroup>,
}

/// The SQLite page cache of each connection, KiB.
pub const SQLITE_CACHE_KIB: u32 = 4096;

impl Store {
    /// The database file of a `sqlite:` URL, as `connect` reads it; `None` for PostgreSQL.
    pub fn sqlite_file(url: &str) -> Result<Option<std::path::PathBuf>> {
        if !url.starts_with("sqlite:") {
            return Ok(None);
        }
        Ok(Some(SqliteConnectOptions::from_str(url)?.get_filename().to_owned()))
    }

    /// Connects to `url` (`sqlite://…` creates the file; `postgres://…`). Does not migrate.
    pub async fn connect(url: &str, crypto: Crypto, options: StoreOptions) -> Result<Self> {
        let (db, location) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)?;
            let location = format!(
                "PostgreSQL {}:{}/{}",
                connect.get_host(),
                connect.get_port(),
                connect.get_database().unwrap_or_default()
            );
            // While the server restarts, a request waits for a connection at most
            // `DATABASE_WAIT` and is then refused (503) instead of hanging; a connection the
            // restart broke is found by the test before it is handed out, and replaced.
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(DATABASE_WAIT)
                .test_before_acquire(true)
                .connect_with(connect)
                .await?;
            (Db::Postgres(pool), location)
        } else if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // The page cache's budget, stated: negative is KiB per connection (SQLite's
                // default is 2 MiB); with the pool's 8 connections, at most 32 MiB of the
                // server's memory (issue 19: a server under 300 MB). The OS keeps the file hot.
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"));
            let file = connect.get_filename().to_owned();
            if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
                crypto::create_private_dir(parent).map_err(|e| StoreError::io(parent, e))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .after_release(|connection, _| {
                    Box::pin(async move {
                        // A failed write (a full disk) can make SQLite roll the transaction back
                        // itself; sqlx's rollback then fails and the connection would count
                        // itself inside a transaction forever, refusing every later `BEGIN`.
                        // The ping waits for that rollback; such a connection is closed.
                        connection.ping().await?;
                        Ok(!connection.is_in_transaction())
                    })
                })
                .connect_with(connect)
                .await?;
            // Only the owner reads the database (SQLite gives its WAL and shared-memory files
            // the database file's permissions).
            if file.exists() {
                crypto::make_private(&file).map_err(|e| StoreError::io(&file, e))?;
            }
            (Db::Sqlite(pool), file.display().to_string())
        } else {
            return Err(StoreError::Setup(format!(
                "unsupported database URL {url:?}: use sqlite://FILE or postgres://…"
            )));
        };
        Ok(Self {
            db,
            location: location.into(),
            crypto,
            options,
            triage_cache: Default::default(),
            clock_cache: Default::default(),
            sqlite_writer: Default::default(),
            intake: Default::default(),
        })
    }

    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn close(&self) {
        on_db!(&self.db, |pool| pool.close().await)
    }

    /// 备份: a consistent copy of a live SQLite database in one file (`VACUUM INTO`, which
    /// reads one snapshot while writers go on). PostgreSQL is backed up with `pg_dump`.
    pub async fn backup_sqlite(&self, out: &Path) -> Result<()> {
        let Db::Sqlite(pool) = &self.db else {
            return Err(StoreError::Setup("backup_sqlite needs a SQLite database".into()));
        };
        if out.exists() {
            return Err(StoreError::Setup(format!("{} exists already; choose a new file", out.display())));
        }
        sqlx::query("VACUUM INTO $1").bind(out.display().to_string()).execute(pool).await?;
        Ok(())
    }

    /// Whether the database answers; for `/healthz`.
    pub async fn ping(&self) -> bool {
        on_db!(&self.db, |pool| sqlx::query("SELECT 1").execute(pool).await.is_ok())
    }
}

/// Timestamps are stored as milliseconds since the Unix epoch (BIGINT on both backends), which
/// compare and index the same way everywhere.
pub fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// RFC 3339 in China time, to the second: how the store writes a time into text it keeps — the
/// history's event data, the stored acknowledgements, notices and messages. (The API formats
/// its times itself.)
pub(crate) fn rfc3339(ms: i64) -> String {
    from_ms(ms).with_timezone(&domain::china_time()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}
