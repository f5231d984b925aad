//! Synthetic people and organisations for the demo data and the generator: one deterministic
//! dice, one list of names, one source of valid identity numbers. Never a real person: the
//! numbers are valid in form only.

use chrono::{Duration, NaiveDate};
use domain::identity::{CREDIT_CHARSET, IdNumber, credit_check_character, id_check_character};

/// A small deterministic generator (PCG-style LCG): the same seed gives the same data.
pub(crate) struct Dice(pub(crate) u64);

impl Dice {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A number below `n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Picks by weight.
    pub(crate) fn weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (item, weight) in items {
            if roll < *weight {
                return item;
            }
            roll -= weight;
        }
        &items[items.len() - 1].0
    }

    /// A person's name.
    pub(crate) fn name(&mut self) -> String {
        format!("{}{}", self.pick(SURNAMES), self.pick(GIVEN))
    }
}

const SURNAMES: &[&str] = &["张", "王", "李", "赵", "刘", "陈", "杨", "马", "周", "吴", "徐", "孙", "何", "郭", "罗"];
const GIVEN: &[&str] =
    &["建国", "秀英", "伟", "芳", "军", "丽", "强", "敏", "海燕", "志刚", "玉兰", "明", "静", "磊", "娟"];

/// A valid citizen ID number (GB 11643) for a seed: Chengguan district, a birth date from the seed.
pub(crate) fn id_number(seed: u64) -> IdNumber {
    let birth = NaiveDate::from_ymd_opt(1950, 1, 1).expect("valid date") + Duration::days((seed * 397 % 20_000) as i64);
    let body = format!("620102{}{:03}", birth.format("%Y%m%d"), seed % 1000);
    let text = format!("{body}{}", id_check_character(&body));
    IdNumber::parse(&text, NaiveDate::from_ymd_opt(2100, 1, 1).expect("valid date"))
        .expect("synthetic ID numbers are valid")
}

/// A valid unified social credit code (GB 32100) for a company number.
pub(crate) fn credit_code(company: u64) -> String {
    let mut code = format!("91620102{:09}", company * 7_919 % 1_000_000_000);
    let values: Vec<usize> = code.bytes().map(|b| CREDIT_CHARSET.iter().position(|c| *c == b).unwrap_or(0)).collect();
    code.push(credit_check_character(&values));
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_numbers_are_valid_and_deterministic() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        for seed in 0..500 {
            let id = id_number(seed);
            assert!(IdNumber::parse(id.as_str(), today).is_ok(), "{}", id.as_str());
            assert!(domain::identity::CreditCode::parse(&credit_code(seed)).is_ok(), "{}", credit_code(seed));
        }
        let (mut a, mut b) = (Dice(7), Dice(7));
        assert_eq!((0..20).map(|_| a.next()).collect::<Vec<_>>(), (0..20).map(|_| b.next()).collect::<Vec<_>>());
    }
}
