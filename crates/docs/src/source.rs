//! Generating the typst source of an agreement: a data preamble plus the fixed layout template.

use crate::escape::{opt_lit, str_lit};
use crate::{Agreement, Party, Signature, Term};

/// The layout; it reads everything from the `doc` dictionary defined by the preamble.
const TEMPLATE: &str = include_str!("agreement.typ");

/// How a signature row shows the signature itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// Draw the image at this virtual path.
    Image(String),
    /// Print this text (the signer's name) because the image was unusable.
    Name(String),
    /// Leave the line blank for a handwritten signature.
    Blank,
}

/// The complete typst source for `a`, set in `families` (best first); `marks` is parallel to
/// `a.signatures`.
pub fn agreement_source(a: &Agreement, families: &[String], marks: &[Mark]) -> String {
    let fields = [
        ("fonts", array(families.iter().map(|family| str_lit(family)))),
        ("title", str_lit(&a.title)),
        ("number", str_lit(&a.number)),
        ("committee", str_lit(&a.committee)),
        ("parties", array(a.parties.iter().map(party))),
        ("facts", str_lit(&a.facts)),
        ("matters", str_lit(&a.matters)),
        ("responsibilities", str_lit(&a.responsibilities)),
        ("terms", array(a.terms.iter().map(term))),
        ("performance", str_lit(&a.performance)),
        ("mediator", str_lit(&a.mediator)),
        ("copy-label", str_lit(&a.copy_label)),
        ("signatures", array(a.signatures.iter().zip(marks).map(|(s, mark)| signature(s, mark)))),
        ("seal", opt_lit(present(&a.seal))),
        ("effective", opt_lit(present(&a.effective_at))),
        ("footer", str_lit(&a.footer)),
        ("copies", str_lit(&chinese_count(a.parties.len() + 1))),
    ];
    format!("#let doc = {}\n\n{TEMPLATE}", dict(&fields))
}

fn party(p: &Party) -> String {
    dict(&[
        ("role", str_lit(&p.role)),
        ("name", str_lit(&p.name)),
        ("id", str_lit(&p.id_number)),
        ("address", str_lit(&p.address)),
        ("phone", opt_lit(present(&p.phone))),
    ])
}

fn term(t: &Term) -> String {
    dict(&[("text", str_lit(&t.text)), ("due", opt_lit(present(&t.due)))])
}

fn signature(s: &Signature, mark: &Mark) -> String {
    let (image, fallback) = match mark {
        Mark::Image(path) => (str_lit(path), "none".to_owned()),
        Mark::Name(name) => ("none".to_owned(), str_lit(name)),
        Mark::Blank => ("none".to_owned(), "none".to_owned()),
    };
    dict(&[
        ("label", str_lit(&s.label)),
        ("date", opt_lit(present(&s.signed_at))),
        ("image", image),
        ("fallback", fallback),
    ])
}

/// An optional value that is present and not blank; blank strings are treated like `None`.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.trim().is_empty())
}

/// A typst dictionary literal from keys and already-formatted values.
fn dict(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields.iter().map(|(key, value)| format!("{key}: {value}")).collect();
    format!("({})", body.join(", "))
}

/// A typst array literal; the trailing comma keeps one-element arrays from reading as parentheses.
fn array(items: impl IntoIterator<Item = String>) -> String {
    let body: String = items.into_iter().map(|item| item + ", ").collect();
    format!("({body})")
}

/// A count written in Chinese numerals as in "一式三份"; falls back to digits above 99.
pub fn chinese_count(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_owned(),
        10..=99 => {
            let (tens, ones) = (n / 10, n % 10);
            let tens = if tens == 1 { "" } else { DIGITS[tens] };
            let ones = if ones == 0 { "" } else { DIGITS[ones] };
            format!("{tens}十{ones}")
        }
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_chinese_numerals() {
        let cases = [(3, "三"), (10, "十"), (12, "十二"), (20, "二十"), (35, "三十五"), (120, "120")];
        for (n, expected) in cases {
            assert_eq!(chinese_count(n), expected);
        }
    }

    #[test]
    fn blank_optional_values_count_as_missing() {
        assert_eq!(present(&Some(" \n".into())), None);
        assert_eq!(present(&None), None);
        assert_eq!(present(&Some("2026年".into())), Some("2026年"));
    }

    #[test]
    fn arrays_keep_single_elements_as_arrays() {
        assert_eq!(array(["1".to_owned()]), "(1, )");
        assert_eq!(array(Vec::new()), "()");
    }

    #[test]
    fn preamble_holds_user_text_only_inside_literals() {
        let a = Agreement { title: "\"]#panic(\"x\")".into(), ..Agreement::default() };
        let src = agreement_source(&a, &["Noto Serif CJK SC".into()], &[]);
        assert!(src.starts_with("#let doc = (fonts: (\"Noto Serif CJK SC\", ), title: \"\\\"]#panic(\\\"x\\\")\""));
    }
}
