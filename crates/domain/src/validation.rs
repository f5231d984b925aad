//! Field errors: every refusal of client input names the field and says why, in Chinese first
//! and in English.

use serde::Serialize;
use utoipa::ToSchema;

/// The language a person reads messages in, from `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// One message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub zh: String,
    pub en: String,
}

impl Message {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { zh: zh.into(), en: en.into() }
    }

    pub fn in_lang(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// One field at fault: `field` is a path into the request body (`parties[0].id_number`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: Message,
}

/// A field error as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldErrorView {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: Message) -> Self {
        Self { field: field.into(), code, message }
    }

    pub fn required(field: impl Into<String>) -> Self {
        let field = field.into();
        let message = Message::new(format!("{field} 为必填项"), format!("{field} is required"));
        Self::new(field, "required", message)
    }

    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        let field = field.into();
        let message =
            Message::new(format!("{field} 不能超过 {max} 个字符"), format!("{field} must be at most {max} characters"));
        Self::new(field, "too_long", message)
    }

    pub fn not_one_of(field: impl Into<String>, codes: &str) -> Self {
        let field = field.into();
        let message =
            Message::new(format!("{field} 的取值必须是: {codes}"), format!("{field} must be one of: {codes}"));
        Self::new(field, "invalid_code", message)
    }

    pub fn view(&self, lang: Lang) -> FieldErrorView {
        FieldErrorView {
            field: self.field.clone(),
            code: self.code.to_owned(),
            message: self.message.in_lang(lang).to_owned(),
        }
    }
}

/// A closed list of codes (the contract's enums): parsed from its code, listed in messages.
pub trait Coded: Sized {
    fn from_code(code: &str) -> Option<Self>;
    /// The accepted codes, `a | b | c`.
    fn code_list() -> String;
}

/// Collects field errors while a request is checked, so the client learns of all of them at once.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Records the error, if any, and passes the value on.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }

    /// A trimmed, non-empty optional text no longer than `max` characters.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let text = value.map(str::trim).filter(|t| !t.is_empty())?;
        if text.chars().count() > max {
            self.push(FieldError::too_long(field, max));
            return None;
        }
        Some(text.to_owned())
    }

    /// Like `optional_text`, but missing or blank is an error.
    pub fn required_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let blank = value.map(str::trim).is_none_or(str::is_empty);
        if blank {
            self.push(FieldError::required(field));
            return None;
        }
        self.optional_text(field, value, max)
    }

    /// A code of `T`; blank counts as absent (an error when `required`), an unknown code is
    /// answered with the list of accepted ones.
    pub fn code<T: Coded>(&mut self, field: &str, value: Option<&str>, required: bool) -> Option<T> {
        let Some(code) = value.map(str::trim).filter(|s| !s.is_empty()) else {
            if required {
                self.push(FieldError::required(field));
            }
            return None;
        };
        let parsed = T::from_code(code);
        if parsed.is_none() {
            self.push(FieldError::not_one_of(field, &T::code_list()));
        }
        parsed
    }

    /// `Err` with every recorded error, or `Ok` when there was none.
    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() { Ok(()) } else { Err(self.errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checker_collects_every_error() {
        let mut c = Checker::default();
        assert_eq!(c.required_text("description", Some("  "), 10), None);
        assert_eq!(c.optional_text("title", Some("x".repeat(11).as_str()), 10), None);
        assert_eq!(c.optional_text("title", Some(" ok "), 10), Some("ok".into()));
        let errors = c.into_result().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["description", "title"]);
    }
}
