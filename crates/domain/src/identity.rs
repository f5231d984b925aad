//! Identity numbers: the citizen ID number (GB 11643) and the unified social credit code
//! (GB 32100), parsed once at the edge so that no code past it re-checks them.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// 公民身份号码 — a citizen ID number, GB 11643-1999 (DOMAIN.md §3.2).
///
/// Always the 18-character form with an upper-case check character. Legacy 15-digit numbers
/// (GB 11643-1989) are upgraded on parsing: "19" goes before the year and the check character
/// is computed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

/// Why a string is not an ID number; each becomes a message naming the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("an ID number has 18 characters (or 15 digits for the legacy form)")]
    Length,
    #[error("an ID number has 17 digits followed by a digit or X")]
    Characters,
    #[error("the first two digits are not a province code")]
    Province,
    #[error("the birth date is not a real date, or lies in the future")]
    BirthDate,
    #[error("the check character does not match (GB 11643 MOD 11-2)")]
    CheckCharacter,
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARACTERS: &[u8; 11] = b"10X98765432";

impl IdNumber {
    /// Parses an ID number as typed by a person: surrounding spaces and a lower-case `x` are
    /// accepted. `today` bounds the birth date (the domain never reads the clock).
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, IdNumberError> {
        let raw = input.trim().to_ascii_uppercase();
        let full = match raw.len() {
            18 => raw,
            15 => {
                if !raw.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(IdNumberError::Characters);
                }
                let body = format!("{}19{}", &raw[..6], &raw[6..]);
                let check = id_check_character(&body);
                format!("{body}{check}")
            }
            _ => return Err(IdNumberError::Length),
        };
        let bytes = full.as_bytes();
        let body_is_digits = bytes[..17].iter().all(u8::is_ascii_digit);
        let last_ok = bytes[17].is_ascii_digit() || bytes[17] == b'X';
        if !body_is_digits || !last_ok {
            return Err(IdNumberError::Characters);
        }
        if !is_id_area_prefix(&full[..2]) {
            return Err(IdNumberError::Province);
        }
        let birth = NaiveDate::parse_from_str(&full[6..14], "%Y%m%d").map_err(|_| IdNumberError::BirthDate)?;
        if birth > today || birth.year() < 1870 {
            return Err(IdNumberError::BirthDate);
        }
        if id_check_character(&full[..17]) != char::from(bytes[17]) {
            return Err(IdNumberError::CheckCharacter);
        }
        Ok(Self(full))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked when parsed")
    }

    /// `620102********1234`: first six and last four shown, the birth date hidden (DOMAIN.md §6.5).
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

impl fmt::Debug for IdNumber {
    /// Never prints the full number, so that logs cannot leak it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// The GB 11643 check character of the first 17 digits (ISO 7064 MOD 11-2).
pub fn id_check_character(first17: &str) -> char {
    let sum: u32 = first17.bytes().zip(ID_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    char::from(ID_CHECK_CHARACTERS[(sum % 11) as usize])
}

/// Mainland province codes, plus 81–83 (residence permits of Hong Kong, Macau and Taiwan
/// residents) and 9 (the 2023 foreign permanent-residence card), which share the format.
fn is_id_area_prefix(two: &str) -> bool {
    two.starts_with('9') || is_province_code(two) || matches!(two, "81" | "82" | "83")
}

/// The 34 province-level codes of GB/T 2260 used by mainland divisions (DOMAIN.md §3.1).
pub fn is_province_code(two: &str) -> bool {
    matches!(
        two,
        "11" | "12"
            | "13"
            | "14"
            | "15"
            | "21"
            | "22"
            | "23"
            | "31"
            | "32"
            | "33"
            | "34"
            | "35"
            | "36"
            | "37"
            | "41"
            | "42"
            | "43"
            | "44"
            | "45"
            | "46"
            | "50"
            | "51"
            | "52"
            | "53"
            | "54"
            | "61"
            | "62"
            | "63"
            | "64"
            | "65"
            | "71"
    )
}

/// Masks anything stored as an ID number, whatever its length.
pub fn mask_id_number(value: &str) -> String {
    mask_middle(value, 6, 4)
}

/// 统一社会信用代码 — unified social credit code, GB 32100-2015 (DOMAIN.md §3.3). Public
/// registration data: not masked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a unified social credit code has 18 characters")]
    Length,
    #[error("a unified social credit code uses digits and the letters A–Y without I, O, S, V, Z")]
    Characters,
    #[error("characters 3 to 8 must be the registering authority's six-digit division code")]
    AreaCode,
    #[error("the check character does not match (GB 32100)")]
    CheckCharacter,
}

/// The 31 characters of a unified social credit code, in the order of their values.
pub const CREDIT_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

impl CreditCode {
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let code = input.trim().to_ascii_uppercase();
        if code.chars().count() != 18 {
            return Err(CreditCodeError::Length);
        }
        let values: Option<Vec<usize>> = code.bytes().map(credit_value).collect();
        let values = values.ok_or(CreditCodeError::Characters)?;
        if !code.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
            return Err(CreditCodeError::AreaCode);
        }
        if credit_check_character(&values[..17]) != char::from(code.as_bytes()[17]) {
            return Err(CreditCodeError::CheckCharacter);
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn credit_value(byte: u8) -> Option<usize> {
    CREDIT_CHARSET.iter().position(|&c| c == byte)
}

/// The GB 32100 check character for the values of the first 17 characters.
pub fn credit_check_character(values: &[usize]) -> char {
    let sum: usize = values.iter().zip(CREDIT_WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    char::from(CREDIT_CHARSET[check])
}

/// Keeps `head` characters and `tail` characters, stars in between.
pub fn mask_middle(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Free text (a case's summary) shown beyond its case, without the personal data it may hold:
/// each named person becomes their surname and 某 (张某), an organisation keeps its first two
/// characters (华某); every run of six or more digits or ID characters (a phone, an ID number,
/// a bank account) keeps only its first three and last two.
pub fn mask_text(text: &str, people: &[&str], organisations: &[&str]) -> String {
    let mut out = text.to_owned();
    let mut names: Vec<(&str, String)> = Vec::new();
    for name in people.iter().filter(|n| n.chars().count() >= 2) {
        names.push((name, format!("{}某", name.chars().next().unwrap_or('某'))));
    }
    for name in organisations.iter().filter(|n| n.chars().count() >= 3) {
        names.push((name, format!("{}某", name.chars().take(2).collect::<String>())));
    }
    // The longest first, so a name inside another is not replaced before it.
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.chars().count()));
    for (name, masked) in names {
        out = out.replace(name, &masked);
    }
    let mut masked = String::with_capacity(out.len());
    let mut run = String::new();
    let flush = |run: &mut String, masked: &mut String| {
        if run.chars().count() >= 6 {
            masked.push_str(&mask_middle(run, 3, 2));
        } else {
            masked.push_str(run);
        }
        run.clear();
    };
    for c in out.chars() {
        if c.is_ascii_digit() || (c == 'X' || c == 'x') && !run.is_empty() {
            run.push(c);
        } else {
            flush(&mut run, &mut masked);
            masked.push(c);
        }
    }
    flush(&mut run, &mut masked);
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_beyond_its_case_is_masked() {
        let text =
            "张三与兰州华强建筑公司约定，公司于月底前支付工资22800元，联系电话13912345678，身份证620102199001011234。";
        assert_eq!(
            mask_text(text, &["张三"], &["兰州华强建筑公司"]),
            "张某与兰州某约定，公司于月底前支付工资22800元，联系电话139******78，身份证620*************34。"
        );
    }
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn the_standard_sample_is_valid() {
        let id = IdNumber::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
    }

    #[test]
    fn legacy_fifteen_digits_are_upgraded() {
        let id = IdNumber::parse("110105491231002", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn refusals_say_why() {
        let t = today();
        assert_eq!(IdNumber::parse("1234", t), Err(IdNumberError::Length));
        assert_eq!(IdNumber::parse("11010519491231002A", t), Err(IdNumberError::Characters));
        assert_eq!(IdNumber::parse("00010519491231002X", t), Err(IdNumberError::Province));
        let feb30 = "62010219900230123";
        let id = format!("{feb30}{}", id_check_character(feb30));
        assert_eq!(IdNumber::parse(&id, t), Err(IdNumberError::BirthDate));
        let future = "62010220300101123";
        let id = format!("{future}{}", id_check_character(future));
        assert_eq!(IdNumber::parse(&id, t), Err(IdNumberError::BirthDate));
        assert_eq!(IdNumber::parse("110105194912310021", t), Err(IdNumberError::CheckCharacter));
    }

    #[test]
    fn debug_never_shows_the_number() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn real_credit_codes_pass() {
        for code in ["91350200776049653A", "91110000802100433B", "91440300708461136T"] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
        assert_eq!(CreditCode::parse("91350200776049653B"), Err(CreditCodeError::CheckCharacter));
        assert_eq!(CreditCode::parse("9135020077604965"), Err(CreditCodeError::Length));
        assert_eq!(CreditCode::parse("9I350200776049653A"), Err(CreditCodeError::Characters));
    }

    #[test]
    fn masking_keeps_head_and_tail() {
        assert_eq!(mask_middle("13912345678", 3, 4), "139****5678");
        assert_eq!(mask_middle("abc", 3, 4), "***");
    }

    prop_compose! {
        fn valid_id()(area in prop::sample::select(vec!["620102", "110105", "440305", "810000"]),
                       days in 0i64..(365 * 100),
                       seq in 0u32..1000) -> String {
            let birth = NaiveDate::from_ymd_opt(1926, 1, 1).unwrap() + chrono::Duration::days(days);
            let body = format!("{area}{}{seq:03}", birth.format("%Y%m%d"));
            format!("{body}{}", id_check_character(&body))
        }
    }

    prop_compose! {
        fn valid_credit_code()(kind in prop::sample::select(vec!["91", "92", "93", "52", "12", "Y1"]),
                               area in prop::sample::select(vec!["620102", "350200", "110000"]),
                               body in prop::collection::vec(0usize..31, 9)) -> String {
            let mut code = format!("{kind}{area}");
            code.extend(body.iter().map(|&v| char::from(CREDIT_CHARSET[v])));
            let values: Vec<usize> = code.bytes().map(|b| credit_value(b).unwrap()).collect();
            code.push(credit_check_character(&values));
            code
        }
    }

    /// Replaces the character at `at` with another from `alphabet`, always a different one.
    fn change_one(s: &str, at: usize, pick: usize, alphabet: &[u8]) -> String {
        let mut bytes = s.as_bytes().to_vec();
        let others: Vec<u8> = alphabet.iter().copied().filter(|&c| c != bytes[at]).collect();
        bytes[at] = others[pick % others.len()];
        String::from_utf8(bytes).unwrap()
    }

    proptest! {
        #[test]
        fn generated_id_numbers_pass(id in valid_id()) {
            let parsed = IdNumber::parse(&id, today()).unwrap();
            prop_assert_eq!(parsed.as_str(), id.as_str());
        }

        #[test]
        fn any_single_changed_character_fails_an_id(id in valid_id(), at in 0usize..18, pick in 0usize..64) {
            let changed = change_one(&id, at, pick, b"0123456789X");
            prop_assert!(IdNumber::parse(&changed, today()).is_err(), "{} accepted", changed);
        }

        #[test]
        fn generated_credit_codes_pass(code in valid_credit_code()) {
            prop_assert!(CreditCode::parse(&code).is_ok());
        }

        #[test]
        fn any_single_changed_character_fails_a_credit_code(code in valid_credit_code(), at in 0usize..18, pick in 0usize..64) {
            let changed = change_one(&code, at, pick, CREDIT_CHARSET);
            prop_assert!(CreditCode::parse(&changed).is_err(), "{} accepted", changed);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,24}") {
            let _ = IdNumber::parse(&s, today());
            let _ = CreditCode::parse(&s);
        }
    }
}
