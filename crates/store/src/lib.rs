//! Fengqiao's storage: one query layer over SQLite and PostgreSQL.
//!
//! Every query is written once, with `$1`-style parameters that both backends understand, and
//! run through [`on_db!`], which expands the same code for each pool type. What truly differs
//! between the two databases lives in [`schema::Dialect`] and nowhere else.
//!
//! Data scope is applied here: every function that reads cases takes the [`Viewer`], so that no
//! handler can forget whose cases it may show.

pub mod audit;
pub mod auth;
pub mod blobs;
pub mod calendar;
pub mod cases;
pub mod crypto;
pub mod import;
pub mod mediation;
pub mod org;
pub mod queue;
pub mod schema;
pub mod sessions;
pub(crate) mod sql;
pub mod stats;
pub mod supervision;
pub mod triage;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use domain::case_number::CaseNumberFormat;
use domain::validation::{FieldError, Message};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

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
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    #[error("database error")]
    Database(#[from] sqlx::Error),
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
    pub(crate) crypto: Crypto,
    pub(crate) options: StoreOptions,
    pub(crate) triage_cache: triage::TriageCache,
    pub(crate) clock_cache: calendar::ClockCache,
    /// The permit every SQLite write transaction of this process holds.
    pub(crate) sqlite_writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

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
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new().max_connections(16).connect_with(connect).await?;
            Db::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let file = connect.get_filename().to_owned();
            let io = |path: &Path| {
                let path = path.display().to_string();
                move |source| StoreError::Io { path, source }
            };
            if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
                crypto::create_private_dir(parent).map_err(io(parent))?;
            }
            let pool = SqlitePoolOptions::new().max_connections(8).connect_with(connect).await?;
            // Only the owner reads the database (SQLite gives its WAL and shared-memory files
            // the database file's permissions).
            if file.exists() {
                crypto::make_private(&file).map_err(io(&file))?;
            }
            Db::Sqlite(pool)
        } else {
            return Err(StoreError::Setup(format!(
                "unsupported database URL {url:?}: use sqlite://FILE or postgres://…"
            )));
        };
        Ok(Self {
            db,
            crypto,
            options,
            triage_cache: Default::default(),
            clock_cache: Default::default(),
            sqlite_writer: Default::default(),
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
