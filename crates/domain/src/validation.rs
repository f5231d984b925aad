//! Field errors: every refusal of client input names the field (in words, in the reader's
//! language) and says why, through the message catalogue of [`crate::i18n`].

use serde::Serialize;
use utoipa::ToSchema;

/// 提示信息: a message for a person, as a key of the catalogue (`i18n/messages.tsv`) and its
/// parameters. The domain, the store and the use cases say *what* happened; the catalogue says
/// it in zh-CN, zh-TW or English ([`crate::i18n::T::msg`]). Build one with [`crate::msg!`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

/// A parameter of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as it is (a number, a name, a date).
    Text(String),
    /// A field path (`parties[0].id_number`), shown as words ("第 1 位当事人的公民身份号码").
    Field(String),
    /// A code shown as its label: `kind.code` in `i18n/codes.tsv` (`category`, `marriage_family`).
    Code(&'static str, String),
    /// Another message, rendered in the same language (a reason inside a sentence).
    Message(Box<Message>),
    /// Messages one after the other, as clauses of one sentence ("；" / "; ").
    List(Vec<Message>),
}

impl Message {
    pub fn new(key: &'static str) -> Self {
        Self { key, args: Vec::new() }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, a)| a)
    }
}

impl Arg {
    pub fn field(path: impl Into<String>) -> Self {
        Arg::Field(path.into())
    }

    pub fn code(kind: &'static str, code: impl Into<String>) -> Self {
        Arg::Code(kind, code.into())
    }
}

impl From<Message> for Arg {
    fn from(message: Message) -> Self {
        Arg::Message(Box::new(message))
    }
}

macro_rules! text_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(value: $t) -> Self {
                Arg::Text(value.to_string())
            }
        }
    )*};
}
text_args!(String, &str, &String, i64, i32, u32, u64, usize, char, chrono::NaiveDate);

/// A [`Message`]: `msg!("case.no_such_grid", id = grid_id)`; `{id}` in every language's text.
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::validation::Message::new($key)$(.with(stringify!($name), $value))*
    };
}

/// One field at fault: `field` is a path into the request body (`parties[0].id_number`); its
/// message may say `{field}`, which is shown as the field's name in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    /// Read through [`FieldError::message`], which binds `{field}`.
    message: Message,
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
        Self::new(field, "required", msg!("field.required"))
    }

    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        Self::new(field, "too_long", msg!("field.too_long", max = max))
    }

    pub fn not_one_of(field: impl Into<String>, codes: &str) -> Self {
        Self::new(field, "invalid_code", msg!("field.not_one_of", codes = codes))
    }

    /// The message with `{field}` bound to this error's field.
    pub fn message(&self) -> Message {
        let mut message = self.message.clone();
        if message.arg("field").is_none() {
            message.args.push(("field", Arg::field(&self.field)));
        }
        message
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
