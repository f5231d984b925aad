//! Turning untrusted strings into inert typst string literals.
//!
//! Client data never enters typst *markup*; it is only ever embedded as a string literal in code mode,
//! where nothing but `"` and `\` is special. Control characters are escaped too so the generated
//! source stays one literal per value whatever the input.

use std::fmt::Write;

/// A typst array literal of already-rendered items; the trailing comma keeps a one-element
/// array from reading as parentheses.
pub fn array(items: impl IntoIterator<Item = String>) -> String {
    let body: String = items.into_iter().map(|item| item + ", ").collect();
    format!("({body})")
}

/// Returns `s` as a typst string literal, quotes included, e.g. `a"b` → `"a\"b"`.
pub fn str_lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                // `write!` into a `String` cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Returns an optional string as a typst literal: the string, or `none`.
pub fn opt_lit(s: Option<&str>) -> String {
    s.map_or_else(|| "none".to_owned(), str_lit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_quoted() {
        assert_eq!(str_lit("人民调解协议书"), "\"人民调解协议书\"");
    }

    #[test]
    fn quotes_backslashes_and_controls_are_escaped() {
        assert_eq!(str_lit(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(str_lit("x\ny\r\tz\u{0}\u{7f}"), r#""x\ny\r\tz\u{0}\u{7f}""#);
    }

    #[test]
    fn markup_characters_pass_through_unchanged() {
        let hostile = "#panic(\"x\") ] [ *bold* _em_ `raw` $x$ <l> @r = - + / ~ //c /*c*/";
        let lit = str_lit(hostile);
        assert!(lit.starts_with('"') && lit.ends_with('"'));
        // The only quotes in the literal are the delimiters and the escaped ones.
        let inner = &lit[1..lit.len() - 1];
        assert_eq!(inner.replace("\\\"", ""), hostile.replace('"', ""));
    }

    #[test]
    fn missing_values_become_none() {
        assert_eq!(opt_lit(None), "none");
        assert_eq!(opt_lit(Some("2026年")), "\"2026年\"");
    }
}
