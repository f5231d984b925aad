//! The message catalogue: Simplified Chinese first, Traditional Chinese and English.
//!
//! - **Messages** (errors, field errors, refusals, explanations): the domain, the store and the
//!   use cases return a [`Message`] — a key and its parameters — and `i18n/messages.tsv` holds
//!   each key's text in zh-CN, zh-TW and English, with `{name}` for a parameter. Field paths
//!   (`parties[0].id_number`) are shown as words through the `field.*` keys.
//! - **Phrases of the UI's templates** are written in Simplified Chinese and passed through
//!   [`T::s`]; the phrase is its own key in `i18n/ui.tsv` (Simplified, Traditional, English).
//! - **Codes** (statuses, categories, party roles …) are looked up as `kind.code` in
//!   `i18n/codes.tsv`, the one place their labels are written (the UI, the agreement's PDF).
//!
//! Text that comes from elsewhere (a person's own words) is converted to Traditional character
//! by character with `i18n/s2t.tsv`. The Traditional columns were generated with OpenCC (see
//! `i18n/README.md`). The tables are compiled in: reading them is no I/O. Unit tests fail when
//! a key lacks a language or a language's text lacks a parameter the others name.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use crate::validation::{Arg, FieldError, FieldErrorView, Message};

/// A language Fengqiao speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UiLang {
    #[default]
    Hans,
    Hant,
    En,
}

impl UiLang {
    pub const ALL: [UiLang; 3] = [UiLang::Hans, UiLang::Hant, UiLang::En];

    /// The BCP 47 tag, used in the cookie, the URL and `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            UiLang::Hans => "zh-CN",
            UiLang::Hant => "zh-TW",
            UiLang::En => "en",
        }
    }

    /// The language's name in itself, for the switcher.
    pub fn name(self) -> &'static str {
        match self {
            UiLang::Hans => "简体",
            UiLang::Hant => "繁體",
            UiLang::En => "English",
        }
    }

    pub fn parse(tag: &str) -> Option<Self> {
        let tag = tag.trim().to_ascii_lowercase();
        match tag.as_str() {
            "zh-cn" | "zh-hans" | "zh-sg" | "zh" => Some(UiLang::Hans),
            "zh-tw" | "zh-hant" | "zh-hk" | "zh-mo" => Some(UiLang::Hant),
            _ if tag.starts_with("en") => Some(UiLang::En),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header that the UI speaks.
    pub fn from_accept_language(header: &str) -> Self {
        header
            .split(',')
            .filter_map(|part| Self::parse(part.split(';').next().unwrap_or_default()))
            .next()
            .unwrap_or_default()
    }
}

struct Tables {
    phrases: HashMap<&'static str, (&'static str, &'static str)>,
    characters: HashMap<char, char>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let phrases = include_str!("../i18n/ui.tsv")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut columns = line.split('\t');
            Some((columns.next()?, (columns.next()?, columns.next()?)))
        })
        .collect();
    let characters = include_str!("../i18n/s2t.tsv")
        .lines()
        .filter_map(|line| {
            let mut chars = line.chars();
            let simplified = chars.next()?;
            let traditional = chars.nth(1)?;
            Some((simplified, traditional))
        })
        .collect();
    Tables { phrases, characters }
});

/// The phrases of the UI table, for the test that every template phrase is translated.
pub fn known_phrases() -> impl Iterator<Item = &'static str> {
    TABLES.phrases.keys().copied()
}

/// Converts Simplified Chinese to Traditional character by character.
pub fn to_traditional(text: &str) -> String {
    text.chars().map(|c| TABLES.characters.get(&c).copied().unwrap_or(c)).collect()
}

/// The translator a page or a document renders with.
#[derive(Debug, Clone, Copy, Default)]
pub struct T {
    pub lang: UiLang,
}

impl T {
    /// A phrase, written in Simplified Chinese, in this language.
    pub fn s<'a>(&self, phrase: &'a str) -> Cow<'a, str> {
        if self.lang == UiLang::Hans {
            return Cow::Borrowed(phrase);
        }
        match (TABLES.phrases.get(phrase), self.lang) {
            (Some((hant, _)), UiLang::Hant) => Cow::Borrowed(hant),
            (Some((_, en)), UiLang::En) => Cow::Borrowed(en),
            (None, UiLang::Hant) => Cow::Owned(to_traditional(phrase)),
            _ => Cow::Borrowed(phrase),
        }
    }

    /// The languages for the switcher: (tag, name, current).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        UiLang::ALL.iter().map(|l| (l.tag(), l.name(), *l == self.lang)).collect()
    }

    /// The label of a code: `kind` is `status`, `category`, `risk`, `role`, `channel` …
    pub fn code(&self, kind: &str, code: &str) -> String {
        let key = format!("{kind}.{code}");
        let Some((hans, _)) = CODE_LABELS.get(key.as_str()) else { return code.to_owned() };
        self.s(hans).into_owned()
    }

    /// A message of the catalogue, in this language, its parameters filled in (in English the
    /// first letter capitalised, as a sentence).
    pub fn msg(&self, message: &Message) -> String {
        let text = self.render(message);
        let mut chars = text.chars();
        match (self.lang, chars.next()) {
            (UiLang::En, Some(first)) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
            _ => text,
        }
    }

    fn render(&self, message: &Message) -> String {
        let Some(texts) = MESSAGES.get(message.key.as_ref()) else { return message.key.clone().into_owned() };
        let template = match self.lang {
            UiLang::Hans => texts[0],
            UiLang::Hant => texts[1],
            UiLang::En => texts[2],
        };
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else { break };
            let name = &rest[open + 1..open + close];
            match message.arg(name) {
                Some(arg) => out.push_str(&self.arg(arg)),
                None => out.push_str(&rest[open..=open + close]),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn arg(&self, arg: &Arg) -> String {
        match arg {
            Arg::Text(text) => text.clone(),
            Arg::Field(path) => self.field(path),
            Arg::Code(kind, code) => self.code(kind, code),
            Arg::Message(message) => self.render(message),
            Arg::List(messages) => {
                let separator = if self.lang == UiLang::En { "; " } else { "；" };
                messages.iter().map(|m| self.render(m)).collect::<Vec<_>>().join(separator)
            }
        }
    }

    /// A field path in words: `parties[0].id_number` → "第 1 位当事人的公民身份号码" / "ID number of
    /// party 1". A segment the catalogue does not name is shown as it is.
    pub fn field(&self, path: &str) -> String {
        let words: Vec<String> = path
            .split('.')
            .map(|segment| match segment.split_once('[') {
                Some((name, index)) => {
                    let n = index.trim_end_matches(']').parse::<usize>().map_or(0, |i| i + 1);
                    self.field_word(&format!("{name}[]"), name).replace("{n}", &n.to_string())
                }
                None => self.field_word(segment, segment),
            })
            .collect();
        match self.lang {
            UiLang::En => words.into_iter().rev().collect::<Vec<_>>().join(" of "),
            UiLang::Hans | UiLang::Hant => words.join("的"),
        }
    }

    fn field_word(&self, key: &str, fallback: &str) -> String {
        let Some(texts) = MESSAGES.get(format!("field.{key}").as_str()) else { return fallback.to_owned() };
        match self.lang {
            UiLang::Hans => texts[0].to_owned(),
            UiLang::Hant => texts[1].to_owned(),
            UiLang::En => texts[2].to_owned(),
        }
    }

    /// A field error as the API returns it: the path for programs, the message in words.
    pub fn field_error(&self, error: &FieldError) -> FieldErrorView {
        FieldErrorView { field: error.field.clone(), code: error.code.to_owned(), message: self.msg(&error.message()) }
    }
}

/// `key` → its text in zh-CN, zh-TW and English.
static MESSAGES: LazyLock<HashMap<&'static str, [&'static str; 3]>> = LazyLock::new(|| {
    include_str!("../i18n/messages.tsv")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut columns = line.split('\t');
            Some((columns.next()?, [columns.next()?, columns.next()?, columns.next()?]))
        })
        .collect()
});

/// The parameters a message's text names (`{name}`), or `None` when the catalogue lacks the
/// key: for the test that every key the code uses is there, with its parameters.
pub fn message_parameters(key: &str) -> Option<Vec<&'static str>> {
    let text = MESSAGES.get(key)?[0];
    Some(text.split('{').skip(1).filter_map(|part| part.split_once('}').map(|(name, _)| name)).collect())
}

/// The Simplified Chinese label of a code (`kind` is `status`, `role`, `event` …): the one place
/// a code's words are written, for the domain's and the store's messages as for the UI.
pub fn label(kind: &str, code: &str) -> String {
    T::default().code(kind, code)
}

/// `kind.code` → (Simplified label, unused): the Simplified label is then translated as a phrase.
static CODE_LABELS: LazyLock<HashMap<&'static str, (&'static str, ())>> = LazyLock::new(|| {
    include_str!("../i18n/codes.tsv")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t').map(|(key, label)| (key, (label, ()))))
        .collect()
});

/// Every code label, for the translation test.
pub fn code_labels() -> impl Iterator<Item = &'static str> {
    CODE_LABELS.values().map(|(label, ())| *label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_from_tags_and_headers() {
        assert_eq!(UiLang::from_accept_language("en-US,en;q=0.9"), UiLang::En);
        assert_eq!(UiLang::from_accept_language("zh-TW,zh;q=0.9"), UiLang::Hant);
        assert_eq!(UiLang::from_accept_language("fr, zh-CN;q=0.5"), UiLang::Hans);
        assert_eq!(UiLang::from_accept_language(""), UiLang::Hans);
    }

    #[test]
    fn phrases_translate_and_unknown_text_falls_back() {
        let en = T { lang: UiLang::En };
        let hant = T { lang: UiLang::Hant };
        assert_eq!(en.s("登录"), "Sign in");
        assert_eq!(hant.s("登录"), "登錄");
        assert_eq!(to_traditional("纠纷调解"), "糾紛調解");
        assert_eq!(en.code("status", "in_progress"), "In progress");
        assert_eq!(en.code("nonsense", "x"), "x");
    }

    #[test]
    fn every_message_is_in_every_language_with_the_same_parameters() {
        let lines = include_str!("../i18n/messages.tsv").lines().filter(|l| !l.is_empty() && !l.starts_with('#'));
        let mut keys = std::collections::HashSet::new();
        for line in lines {
            let columns: Vec<&str> = line.split('\t').collect();
            assert_eq!(columns.len(), 4, "key, zh-CN, zh-TW, en: {line}");
            assert!(keys.insert(columns[0]), "{} twice", columns[0]);
            assert!(columns.iter().all(|c| !c.trim().is_empty()), "a language is missing: {line}");
            let params = |text: &str| {
                let mut names: Vec<String> =
                    text.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned())).collect();
                names.sort();
                names
            };
            assert_eq!(params(columns[1]), params(columns[2]), "zh-TW parameters of {}", columns[0]);
            assert_eq!(params(columns[1]), params(columns[3]), "en parameters of {}", columns[0]);
        }
    }

    #[test]
    fn messages_fill_parameters_and_name_fields_in_words() {
        let error = FieldError::new(
            "parties[0].id_number",
            "invalid_id_number",
            crate::msg!("party.id_number_invalid", reason = crate::msg!("id_number.checksum")),
        );
        let hans = T { lang: UiLang::Hans }.field_error(&error);
        let en = T { lang: UiLang::En }.field_error(&error);
        assert_eq!(hans.field, "parties[0].id_number");
        assert!(hans.message.starts_with("第 1 位当事人的公民身份号码"), "{}", hans.message);
        assert!(!hans.message.contains("id_number"), "{}", hans.message);
        assert!(en.message.starts_with("ID number of party 1"), "{}", en.message);
        assert!(T { lang: UiLang::Hant }.msg(&FieldError::required("description").message()).contains("糾紛"));
    }

    #[test]
    fn every_code_label_is_translated() {
        let known: std::collections::HashSet<&str> = known_phrases().collect();
        let missing: Vec<&str> = code_labels().filter(|l| !known.contains(l)).collect();
        assert!(missing.is_empty(), "add to i18n/ui.tsv (see i18n/README.md): {missing:?}");
    }
}
