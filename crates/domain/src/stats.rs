//! The headline figures (分析研判) and their exact definitions (DOMAIN.md §5.4). Every figure is
//! a count of events in the period, attributed to the case's region, so that the figures can be
//! kept as daily rollups updated with each event and recounted from the history at any time.
//!
//! | figure | definition |
//! |---|---|
//! | received 受理 | cases registered in the period |
//! | concluded 办结 | conclusions in the period (a reopened case that concludes again counts again) |
//! | resolved 化解 | conclusions with outcome `resolved` |
//! | resolution rate 化解率 | resolved ÷ received |
//! | mediation success rate 调解成功率 | resolved ÷ (concluded − withdrawn) |
//! | on-time rate 按期办结率 | conclusions on or before the conclude deadline ÷ concluded |
//! | average handling days 平均办理天数 | working days from the current hop's dispatch to conclusion, averaged over conclusions |
//! | amount involved 涉及金额 | sum of the amounts of the cases received |
//! | satisfaction rate 满意率 | (satisfied + basically satisfied) ÷ follow-ups rated |
//! | first-time-right routing rate 一次分流准确率 | cases whose first hop was signed and never returned ÷ cases dispatched for the first time, both by the day of first dispatch |

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::contact::Money;

/// Summable counts: one rollup row, or the sum of many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    pub received: i64,
    pub amount_fen: i64,
    pub concluded: i64,
    pub resolved: i64,
    pub withdrawn: i64,
    pub refused: i64,
    pub concluded_on_time: i64,
    pub handling_working_days: i64,
    pub first_dispatched: i64,
    pub first_time_right: i64,
    pub rated: i64,
    pub satisfied: i64,
}

impl Counts {
    /// The column names, in the order `values` gives them: the rollup table's columns.
    pub const COLUMNS: [&'static str; 12] = [
        "received",
        "amount_fen",
        "concluded",
        "resolved",
        "withdrawn",
        "refused",
        "concluded_on_time",
        "handling_working_days",
        "first_dispatched",
        "first_time_right",
        "rated",
        "satisfied",
    ];

    pub fn values(&self) -> [i64; 12] {
        [
            self.received,
            self.amount_fen,
            self.concluded,
            self.resolved,
            self.withdrawn,
            self.refused,
            self.concluded_on_time,
            self.handling_working_days,
            self.first_dispatched,
            self.first_time_right,
            self.rated,
            self.satisfied,
        ]
    }

    pub fn from_values(v: [i64; 12]) -> Self {
        Counts {
            received: v[0],
            amount_fen: v[1],
            concluded: v[2],
            resolved: v[3],
            withdrawn: v[4],
            refused: v[5],
            concluded_on_time: v[6],
            handling_working_days: v[7],
            first_dispatched: v[8],
            first_time_right: v[9],
            rated: v[10],
            satisfied: v[11],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values().iter().all(|v| *v == 0)
    }

    pub fn add(&mut self, other: &Counts) {
        let (a, b) = (self.values(), other.values());
        *self = Counts::from_values(std::array::from_fn(|i| a[i] + b[i]));
    }
}

/// The summary of a region and period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Summary {
    pub received: i64,
    pub concluded: i64,
    pub resolved: i64,
    /// 化解率, 0–1 (null when nothing was received).
    pub resolution_rate: Option<f64>,
    /// 调解成功率, 0–1.
    pub mediation_success_rate: Option<f64>,
    /// 按期办结率, 0–1.
    pub on_time_rate: Option<f64>,
    /// Working days from dispatch to conclusion, on average.
    pub average_handling_working_days: Option<f64>,
    /// 涉及金额, decimal yuan.
    pub amount_involved: String,
    /// 满意率, 0–1.
    pub satisfaction_rate: Option<f64>,
    /// 一次分流准确率, 0–1.
    pub first_time_right_rate: Option<f64>,
    pub by_category: BTreeMap<String, i64>,
    pub by_channel: BTreeMap<String, i64>,
    pub by_risk: BTreeMap<String, i64>,
    /// The raw counts the figures come from.
    pub counts: Counts,
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| (numerator as f64 / denominator as f64 * 10_000.0).round() / 10_000.0)
}

impl Summary {
    pub fn from_counts(
        counts: Counts,
        by_category: BTreeMap<String, i64>,
        by_channel: BTreeMap<String, i64>,
        by_risk: BTreeMap<String, i64>,
    ) -> Self {
        let c = counts;
        Summary {
            received: c.received,
            concluded: c.concluded,
            resolved: c.resolved,
            resolution_rate: ratio(c.resolved, c.received),
            mediation_success_rate: ratio(c.resolved, c.concluded - c.withdrawn),
            on_time_rate: ratio(c.concluded_on_time, c.concluded),
            average_handling_working_days: (c.concluded > 0)
                .then(|| (c.handling_working_days as f64 / c.concluded as f64 * 10.0).round() / 10.0),
            amount_involved: Money::from_fen(c.amount_fen).to_string(),
            satisfaction_rate: ratio(c.satisfied, c.rated),
            first_time_right_rate: ratio(c.first_time_right, c.first_dispatched),
            by_category,
            by_channel,
            by_risk,
            counts,
        }
    }
}

/// A rollup day: the China date as the number `yyyymmdd`.
pub fn day_key(date: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_the_definitions() {
        let counts = Counts {
            received: 10,
            concluded: 8,
            resolved: 6,
            withdrawn: 2,
            concluded_on_time: 7,
            handling_working_days: 20,
            first_dispatched: 9,
            first_time_right: 8,
            rated: 4,
            satisfied: 3,
            amount_fen: 2_280_000,
            refused: 0,
        };
        let s = Summary::from_counts(counts, BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        assert_eq!(s.resolution_rate, Some(0.6));
        assert_eq!(s.mediation_success_rate, Some(1.0));
        assert_eq!(s.on_time_rate, Some(0.875));
        assert_eq!(s.average_handling_working_days, Some(2.5));
        assert_eq!(s.satisfaction_rate, Some(0.75));
        assert_eq!(s.first_time_right_rate, Some(0.8889));
        assert_eq!(s.amount_involved, "22800.00");
        let empty = Summary::from_counts(Counts::default(), BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        assert_eq!(empty.resolution_rate, None);
    }

    #[test]
    fn counts_add_up() {
        let mut a = Counts { received: 1, ..Counts::default() };
        a.add(&Counts { received: 2, rated: 1, ..Counts::default() });
        assert_eq!((a.received, a.rated), (3, 1));
        assert_eq!(day_key(chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()), 20261103);
    }
}
