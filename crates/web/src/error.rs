//! One error type for the whole HTTP surface, mapped in one place to the contract's JSON
//! error and status, in the client's language.

use app::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::i18n::{T, UiLang, to_traditional};
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
    pub fn new(status: StatusCode, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { status, code, message: Message::new(zh, en), fields: Vec::new(), retry_after_secs: None }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "请先登录（缺少或无效的访问令牌）",
            "sign in first: the bearer token is missing, expired or revoked",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("未找到{}", what_zh(what)), format!("{what} not found"))
    }

    /// 422 with every field at fault; the first is named in `field`.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let message =
            fields.first().map(|f| f.message.clone()).unwrap_or_else(|| Message::new("请求无效", "invalid request"));
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, fields, retry_after_secs: None }
    }

    pub fn field(error: FieldError) -> Self {
        Self::invalid(vec![error])
    }
}

fn what_zh(what: &str) -> &str {
    match what {
        "case" => "案件",
        "unit" => "单位",
        "user" => "用户",
        "region" => "行政区划",
        "agreement" => "调解协议",
        "signing link" => "签署链接（链接无效）",
        "service link" => "送达链接（链接无效）",
        "file" => "文件",
        "evidence" => "证据",
        "notice" => "函单令",
        "session" => "调解安排",
        "party" => "当事人",
        "mediator" => "调解员",
        _ => "资源",
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
            AppError::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "用户名或密码错误",
                "wrong username or password",
            ),
            AppError::TooManyAttempts { retry_after_secs } => Self {
                retry_after_secs: Some(retry_after_secs),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("登录失败次数过多，请 {retry_after_secs} 秒后再试"),
                    format!("too many failed logins; try again in {retry_after_secs} s"),
                )
            },
            AppError::Unavailable { code, message } => with(StatusCode::SERVICE_UNAVAILABLE, code, message),
            AppError::Internal(error) => {
                // Logged once, here; the client learns only that it was our fault.
                tracing::error!(%error, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，请稍后再试",
                    "internal error; please try again later",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let lang = current_lang();
        let field_view = |f: &FieldError| {
            let mut view = f.view(lang.domain());
            if lang == UiLang::Hant {
                view.message = to_traditional(&view.message);
            }
            view
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: localise(&self.message),
                field: self.fields.first().map(|f| f.field.clone()),
                fields: self.fields.iter().map(field_view).collect(),
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
