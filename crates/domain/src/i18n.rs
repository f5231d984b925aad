//! The message catalogue: Simplified Chinese first, Traditional Chinese and English.
//!
//! Every phrase is written in Simplified Chinese and passed through [`T::s`]; the phrase is
//! its own key in `i18n/ui.tsv` (columns: Simplified, Traditional, English). Codes (statuses,
//! categories, party roles …) are looked up as `kind.code` in `i18n/codes.tsv`, the one place
//! their labels are written (the UI, the agreement's PDF). Text that comes from elsewhere
//! (validation messages) is converted to Traditional character by character with
//! `i18n/s2t.tsv`. Both tables were generated with OpenCC (see `i18n/README.md`). The tables
//! are compiled in: reading them is no I/O.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use crate::validation::{Lang, Message};

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

    /// The language the domain's messages are written in for this UI language.
    pub fn domain(self) -> Lang {
        match self {
            UiLang::En => Lang::En,
            UiLang::Hans | UiLang::Hant => Lang::Zh,
        }
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

    /// A message from the domain or the store, in this language.
    pub fn msg(&self, message: &Message) -> String {
        let text = message.in_lang(self.lang.domain());
        match self.lang {
            UiLang::Hant => to_traditional(text),
            _ => text.to_owned(),
        }
    }
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
    fn every_code_label_is_translated() {
        let known: std::collections::HashSet<&str> = known_phrases().collect();
        let missing: Vec<&str> = code_labels().filter(|l| !known.contains(l)).collect();
        assert!(missing.is_empty(), "add to i18n/ui.tsv (see i18n/README.md): {missing:?}");
    }
}
