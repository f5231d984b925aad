//! What can go wrong in a use case, each with what the client needs to know; the HTTP crate
//! maps it to a status in one place.

use domain::authz::Denial;
use domain::mediation::NotNow;
use domain::validation::{FieldError, Message};
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not there, or outside the viewer's scope (the two are not told apart).
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The policy refuses the viewer.
    #[error("forbidden: {}", message.key)]
    Forbidden { message: Message },
    /// The request conflicts with the current state (a stale version, a step not allowed now).
    #[error("conflict: {}", message.key)]
    Conflict { code: &'static str, message: Message },
    /// Fields at fault, every one of them.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A body larger than the operation accepts.
    #[error("too large: {}", message.key)]
    TooLarge { message: Message },
    #[error("wrong username or password")]
    BadCredentials,
    /// A citizen's one-time code was wrong, used or expired.
    #[error("wrong or expired code")]
    BadCode,
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    /// A part of the system is not available now (fonts for the PDF, the search index).
    #[error("unavailable: {}", message.key)]
    Unavailable { code: &'static str, message: Message },
    /// The disk holding `path` is full: nothing was written; writes succeed again once space
    /// returns. `path` is for the operator's log, never for the client.
    #[error("no space left on device for {path}")]
    StorageFull { path: String },
    /// The database is out of reach for the moment (restarting, connections lost); the
    /// request changed nothing.
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
    /// Our fault: the database, the disk, a broken invariant. Logged where it is answered.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    /// One field at fault.
    pub fn field(error: FieldError) -> Self {
        AppError::Invalid(vec![error])
    }

    pub fn conflict(code: &'static str, message: Message) -> Self {
        AppError::Conflict { code, message }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { what } => AppError::NotFound { what },
            StoreError::Conflict { code, message } => AppError::Conflict { code, message },
            StoreError::Forbidden { message } => AppError::Forbidden { message },
            StoreError::Invalid(fields) => AppError::Invalid(fields),
            StoreError::BadCredentials => AppError::BadCredentials,
            StoreError::BadCode => AppError::BadCode,
            StoreError::TooManyAttempts { retry_after_secs } => AppError::TooManyAttempts { retry_after_secs },
            StoreError::StorageFull { path } => AppError::StorageFull { path },
            StoreError::DatabaseUnavailable(source) => AppError::DatabaseUnavailable(source.to_string()),
            other => {
                let source = std::error::Error::source(&other).map(ToString::to_string);
                AppError::Internal(match source {
                    Some(source) => format!("{other}: {source}"),
                    None => other.to_string(),
                })
            }
        }
    }
}

impl From<Denial> for AppError {
    fn from(denial: Denial) -> Self {
        AppError::Forbidden { message: denial.message() }
    }
}

impl From<NotNow> for AppError {
    fn from(refusal: NotNow) -> Self {
        AppError::Conflict { code: refusal.code, message: refusal.message }
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(fields: Vec<FieldError>) -> Self {
        AppError::Invalid(fields)
    }
}
