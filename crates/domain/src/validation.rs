//! Field errors: every refusal of client input names the field (in words, in the reader's
//! language) and says why, through the message catalogue of [`crate::i18n`].

use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// 提示信息: a message for a person, as a key of the catalogue (`i18n/messages.tsv`) and its
/// parameters. The domain, the store and the use cases say *what* happened; the catalogue says
/// it in zh-CN, zh-TW or English ([`crate::i18n::T::msg`]). Build one with [`crate::msg!`].
///
/// A message kept in the database (a case's triage reasons) is JSON:
/// `{"key": "risk.group_orange", "args": {"people": "6", "threshold": "5"}}` (`args` left out
/// when there are none), each parameter as [`Arg`] says. A plain JSON string reads as
/// [`Message::text`]: what rows written before reasons were messages hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Borrowed when written in the code, owned when read back from the database.
    pub key: Cow<'static, str>,
    pub args: Vec<(Cow<'static, str>, Arg)>,
}

/// A parameter of a message. As JSON: text as a string, a field as `{"field": path}`, a code as
/// `{"kind": kind, "code": code}`, a message as its object, a list as an array of messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as it is (a number, a name, a date).
    Text(String),
    /// A field path (`parties[0].id_number`), shown as words ("第 1 位当事人的公民身份号码").
    Field(String),
    /// A code shown as its label: `kind.code` in `i18n/codes.tsv` (`category`, `marriage_family`).
    Code(Cow<'static, str>, String),
    /// Another message, rendered in the same language (a reason inside a sentence).
    Message(Box<Message>),
    /// Messages one after the other, as clauses of one sentence ("；" / "; ").
    List(Vec<Message>),
}

impl Message {
    pub fn new(key: &'static str) -> Self {
        Self { key: Cow::Borrowed(key), args: Vec::new() }
    }

    /// Text that is no message of the catalogue, shown as it is in every language: a reason
    /// stored as prose before reasons were messages.
    pub fn text(text: impl Into<String>) -> Self {
        crate::msg!("text", text = text.into())
    }

    /// A message stored in a text column: its JSON, or (written before reasons were messages)
    /// the text itself.
    pub fn from_stored(stored: &str) -> Self {
        serde_json::from_str(stored).unwrap_or_else(|_| Self::text(stored))
    }

    /// The JSON kept in a text column, read back by [`Message::from_stored`].
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).expect("a message serialises")
    }

    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((Cow::Borrowed(name), value.into()));
        self
    }

    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
}

impl Arg {
    pub fn field(path: impl Into<String>) -> Self {
        Arg::Field(path.into())
    }

    pub fn code(kind: &'static str, code: impl Into<String>) -> Self {
        Arg::Code(Cow::Borrowed(kind), code.into())
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

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Args<'a>(&'a [(Cow<'static, str>, Arg)]);
        impl Serialize for Args<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(name, arg)| (name, arg)))
            }
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("key", &self.key)?;
        if !self.args.is_empty() {
            map.serialize_entry("args", &Args(&self.args))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Text(String),
            Keyed {
                key: String,
                #[serde(default, deserialize_with = "args_in_order")]
                args: Vec<(Cow<'static, str>, Arg)>,
            },
        }
        Ok(match Stored::deserialize(deserializer)? {
            Stored::Text(text) => Message::text(text),
            Stored::Keyed { key, args } => Message { key: Cow::Owned(key), args },
        })
    }
}

/// The parameters' JSON object, in its order.
fn args_in_order<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<(Cow<'static, str>, Arg)>, D::Error> {
    struct InOrder;
    impl<'de> Visitor<'de> for InOrder {
        type Value = Vec<(Cow<'static, str>, Arg)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of parameters")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut args = Vec::new();
            while let Some((name, arg)) = map.next_entry::<String, Arg>()? {
                args.push((Cow::Owned(name), arg));
            }
            Ok(args)
        }
    }
    deserializer.deserialize_map(InOrder)
}

impl Serialize for Arg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Arg::Text(text) => serializer.serialize_str(text),
            Arg::Field(path) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("field", path)?;
                map.end()
            }
            Arg::Code(kind, code) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("kind", kind)?;
                map.serialize_entry("code", code)?;
                map.end()
            }
            Arg::Message(message) => message.serialize(serializer),
            Arg::List(messages) => messages.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Arg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Text(String),
            List(Vec<Message>),
            Field { field: String },
            Code { kind: String, code: String },
            Message(Message),
        }
        Ok(match Stored::deserialize(deserializer)? {
            Stored::Text(text) => Arg::Text(text),
            Stored::List(messages) => Arg::List(messages),
            Stored::Field { field } => Arg::Field(field),
            Stored::Code { kind, code } => Arg::Code(Cow::Owned(kind), code),
            Stored::Message(message) => Arg::Message(Box::new(message)),
        })
    }
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
            message.args.push((Cow::Borrowed("field"), Arg::field(&self.field)));
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

    #[test]
    fn messages_keep_as_json_and_read_back() {
        let message = msg!(
            "risk.reason.emergency",
            instruction = msg!("emergency.instruction", word = "持刀", number = msg!("emergency.call_110")),
        )
        .with("field", Arg::field("parties[0].name"))
        .with("category", Arg::code("category", "labor"))
        .with("clauses", Arg::List(vec![msg!("place.given")]));
        let stored = message.to_stored();
        assert_eq!(
            stored,
            r#"{"key":"risk.reason.emergency","args":{"instruction":{"key":"emergency.instruction","args":{"word":"持刀","number":{"key":"emergency.call_110"}}},"field":{"field":"parties[0].name"},"category":{"kind":"category","code":"labor"},"clauses":[{"key":"place.given"}]}}"#
        );
        assert_eq!(Message::from_stored(&stored), message);
    }

    #[test]
    fn text_stored_before_reasons_were_messages_reads_as_itself() {
        let old = "涉及 6 人，属群体性纠纷（≥5 人）";
        assert_eq!(Message::from_stored(old), Message::text(old));
        let reasons: Vec<Message> = serde_json::from_str(&serde_json::json!([old]).to_string()).unwrap();
        assert_eq!(reasons, [Message::text(old)]);
        for lang in crate::i18n::UiLang::ALL {
            assert_eq!(crate::i18n::T { lang }.msg(&reasons[0]), old);
        }
    }
}
