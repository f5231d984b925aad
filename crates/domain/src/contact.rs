//! Phone numbers and money: the two other values a party brings that must be exact.

use std::fmt;

use crate::identity::mask_middle;

/// A phone number: a mainland mobile number (11 digits starting 13–19, DOMAIN.md §3.4) or a
/// landline (0 + area code + 7–8 digits). Stored without the country prefix or separators.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("a mobile number has 11 digits starting 13–19; a landline starts with 0")]
    Format,
}

impl Phone {
    /// Accepts `+86`/`0086`/`86` before a mobile number, and spaces or hyphens anywhere.
    /// Carrier prefixes are not checked: numbers move between carriers (携号转网).
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let compact: String = input.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let national = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
            .or_else(|| compact.strip_prefix("86").filter(|rest| rest.len() == 11))
            .unwrap_or(&compact);
        if !national.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::Format);
        }
        let bytes = national.as_bytes();
        let is_mobile = bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
        let is_landline = (10..=12).contains(&bytes.len()) && bytes[0] == b'0' && bytes[1] != b'0';
        if is_mobile || is_landline { Ok(Self(national.to_owned())) } else { Err(PhoneError::Format) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `139****5678` (DOMAIN.md §6.5).
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// First three and last four shown.
pub fn mask_phone(value: &str) -> String {
    mask_middle(value, 3, 4)
}

/// An amount of money in fen (分, 0.01 yuan), exact: amounts are decimals, never floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("an amount is a decimal number of yuan with at most two decimals, such as \"22800.00\"")]
    Format,
    #[error("an amount cannot be negative")]
    Negative,
    #[error("the amount is too large")]
    TooLarge,
}

impl MoneyError {
    pub fn message(self) -> crate::validation::Message {
        match self {
            MoneyError::Format => crate::msg!("amount.format"),
            MoneyError::Negative => crate::msg!("amount.negative"),
            MoneyError::TooLarge => crate::msg!("amount.too_large"),
        }
    }
}

/// The largest amount accepted: one trillion yuan, far beyond any dispute.
const MAX_FEN: i64 = 100_000_000_000_000;

impl Money {
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        let text = input.trim().replace(',', "");
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || fraction.len() > 2 || !digits_only(whole) || !digits_only(fraction) {
            return Err(MoneyError::Format);
        }
        if whole.len() > 13 {
            return Err(MoneyError::TooLarge);
        }
        let yuan: i64 = whole.parse().map_err(|_| MoneyError::Format)?;
        let fen: i64 = format!("{fraction:0<2}").parse().map_err(|_| MoneyError::Format)?;
        let total = yuan * 100 + fen;
        if total > MAX_FEN {
            return Err(MoneyError::TooLarge);
        }
        Ok(Self(total))
    }

    pub fn from_fen(fen: i64) -> Self {
        Self(fen)
    }

    pub fn fen(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Money {
    /// `22800.00`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mobile_numbers_with_prefixes() {
        for input in ["13912345678", "+86 139 1234 5678", "0086-13912345678", "8613912345678"] {
            assert_eq!(Phone::parse(input).unwrap().as_str(), "13912345678", "{input}");
        }
        assert_eq!(Phone::parse("0931-8123456").unwrap().as_str(), "09318123456");
        for bad in ["12912345678", "1391234567", "139123456789", "phone", "", "00931812345"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Phone::parse("13912345678").unwrap().masked(), "139****5678");
    }

    #[test]
    fn money_is_exact() {
        assert_eq!(Money::parse("22800.00").unwrap().fen(), 2_280_000);
        assert_eq!(Money::parse("22800.5").unwrap().fen(), 2_280_050);
        assert_eq!(Money::parse("1,000").unwrap().fen(), 100_000);
        assert_eq!(Money::parse("0.01").unwrap().to_string(), "0.01");
        assert_eq!(Money::parse("-1"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("1.005"), Err(MoneyError::Format));
        assert_eq!(Money::parse("1e5"), Err(MoneyError::Format));
        assert_eq!(Money::parse(".5"), Err(MoneyError::Format));
        assert_eq!(Money::parse("99999999999999"), Err(MoneyError::TooLarge));
    }

    proptest! {
        #[test]
        fn money_round_trips(fen in 0i64..MAX_FEN) {
            let money = Money::from_fen(fen);
            prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,20}") {
            let _ = Money::parse(&s);
            let _ = Phone::parse(&s);
        }
    }
}
