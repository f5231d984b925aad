//! One error type for the whole HTTP surface, mapped in one place to the contract's JSON
//! error and status, in the client's language.

use app::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::i18n::{T, UiLang};
use domain::msg;
use domain::validation::{FieldError, FieldErrorView, Message};
use serde::Serialize;
use utoipa::ToSchema;

tokio::task_local! {
    /// The language the API answers the current request in, from its `Accept-Language`
    /// (Simplified Chinese, Traditional Chinese or English), set by the `language` middleware.
    pub static LANG: UiLang;
}

/// The language of the current request (Simplified Chinese outside a request).
pub fn current_lang() -> UiLang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// A message in the current request's language.
pub fn localise(message: &Message) -> String {
    T { lang: current_lang() }.msg(message)
}

/// `Retry-After` when the disk is full: an operator has to free space.
const STORAGE_FULL_RETRY_SECS: i64 = 60;
/// `Retry-After` when the database is out of reach: a restart takes seconds.
const DATABASE_RETRY_SECS: i64 = 5;

/// A failure to answer, as the client sees it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Message,
    pub fields: Vec<FieldError>,
    pub retry_after_secs: Option<i64>,
}

/// `{"error": {"code", "message", "field", "fields"}}`
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// The field at fault, when one field is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field at fault, when the request was checked field by field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorView>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: Message) -> Self {
        Self { status, code, message, fields: Vec::new(), retry_after_secs: None }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", msg!("error.unauthorized"))
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", msg!("error.not_found", what = what_message(what)))
    }

    /// 422 with every field at fault; the first is named in `field`.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let message = fields.first().map(FieldError::message).unwrap_or_else(|| msg!("error.invalid_request"));
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, fields, retry_after_secs: None }
    }

    pub fn field(error: FieldError) -> Self {
        Self::invalid(vec![error])
    }
}

fn what_message(what: &str) -> Message {
    match what {
        "case" => msg!("what.case"),
        "unit" => msg!("what.unit"),
        "system_account" => msg!("what.system_account"),
        "user" => msg!("what.user"),
        "region" => msg!("what.region"),
        "agreement" => msg!("what.agreement"),
        "signing link" => msg!("what.signing_link"),
        "service link" => msg!("what.service_link"),
        "file" => msg!("what.file"),
        "evidence" => msg!("what.evidence"),
        "notice" => msg!("what.notice"),
        "session" => msg!("what.session"),
        "party" => msg!("what.party"),
        "mediator" => msg!("what.mediator"),
        "patrol" => msg!("what.patrol"),
        "hazard" => msg!("what.hazard"),
        "hazard_action" => msg!("what.hazard_action"),
        "joint_meeting" => msg!("what.joint_meeting"),
        "joint_decision" => msg!("what.joint_decision"),
        _ => msg!("what.resource"),
    }
}

impl From<domain::authz::Denial> for ApiError {
    fn from(denial: domain::authz::Denial) -> Self {
        AppError::from(denial).into()
    }
}

/// The one place an application error becomes a status.
impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let with = |status, code, message| Self { status, code, message, fields: Vec::new(), retry_after_secs: None };
        match error {
            AppError::NotFound { what } => ApiError::not_found(what),
            AppError::Forbidden { message } => with(StatusCode::FORBIDDEN, "forbidden", message),
            AppError::Conflict { code, message } => with(StatusCode::CONFLICT, code, message),
            AppError::Invalid(fields) => ApiError::invalid(fields),
            AppError::TooLarge { message } => with(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message),
            AppError::BadCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", msg!("error.bad_credentials"))
            }
            AppError::BadCode => ApiError::new(StatusCode::UNAUTHORIZED, "bad_code", msg!("error.bad_code")),
            AppError::TooManyAttempts { retry_after_secs } => Self {
                retry_after_secs: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    msg!("error.too_many_attempts", seconds = retry_after_secs),
                )
            },
            AppError::Unavailable { code, message } => with(StatusCode::SERVICE_UNAVAILABLE, code, message),
            AppError::StorageFull { path } => {
                // Logged at each refusal, so the log says for as long as it lasts what to free.
                tracing::error!(%path, "no space left on device: writes are refused (503) until space is freed");
                Self {
                    retry_after_secs: Some(STORAGE_FULL_RETRY_SECS),
                    ..with(StatusCode::SERVICE_UNAVAILABLE, "storage_full", msg!("error.storage_full"))
                }
            }
            AppError::DatabaseUnavailable(error) => {
                tracing::warn!(%error, "database unavailable: the request is refused (503); the pool reconnects");
                Self {
                    retry_after_secs: Some(DATABASE_RETRY_SECS),
                    ..with(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", msg!("error.database_unavailable"))
                }
            }
            AppError::Internal(error) => {
                // Logged once, here; the client learns only that it was our fault.
                tracing::error!(%error, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", msg!("error.internal"))
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let t = T { lang: current_lang() };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: t.msg(&self.message),
                field: self.fields.first().map(|f| f.field.clone()),
                fields: self.fields.iter().map(|f| t.field_error(f)).collect(),
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
