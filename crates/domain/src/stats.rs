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
use crate::msg;
use crate::org::RegionCode;
use crate::validation::Message;

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

/// 统计指标 — the figures of the figures table (`GET /api/v1/stats/figures`), each with the
/// exact definition shown beside it (DOMAIN.md §5.4). Unlike the summary's event counts, every
/// figure here counts **the cases received in the period** (the cohort, by the China day of
/// registration) by what each has become since, so that a figure's numerator is a list of cases
/// (the drill-through) and a rate's numerator is always part of its denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Figure {
    /// 受理量 — cases received (registered) in the period.
    Received,
    /// 化解率 — received cases concluded as resolved ÷ cases received.
    ResolvedRate,
    /// 调解成功率 — received cases concluded as resolved ÷ received cases concluded by mediation
    /// (outcome resolved or unresolved; a withdrawal or a party's refusal under People's
    /// Mediation Law art. 17 is no mediation).
    MediationSuccessRate,
    /// 按期办结率 — received cases concluded on or before their conclude deadline (extensions
    /// included) ÷ received cases concluded.
    OnTimeRate,
    /// 满意率 — received cases rated satisfied or basically satisfied at follow-up ÷ received
    /// cases rated.
    SatisfactionRate,
    /// 首次分流准确率 — received cases signed for by the first unit dispatched to, never returned
    /// and never dispatched again ÷ received cases dispatched.
    FirstRoutingAccuracy,
    /// 万人成讼率 — first-instance civil and administrative cases accepted by the courts of the
    /// region in the months of the period ÷ its resident plus registered migrant population
    /// × 10 000 (both administrative data).
    LitigationPer10k,
    /// 诉前分流率 (DOMAIN.md §5.6) — received cases a court referred before filing (诉前委派,
    /// the `court` channel) ÷ (those + the first-instance civil and administrative cases the
    /// courts of the region accepted in the months of the period): of the disputes brought to
    /// the courts, the share diverted to mediation before filing.
    DiversionRate,
}

/// Which numerators and denominators one case counts in: 0 or 1 each, summable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    pub received: i64,
    pub resolved: i64,
    pub mediated: i64,
    pub concluded: i64,
    pub concluded_on_time: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub dispatched: i64,
    pub first_time_right: i64,
    pub referred: i64,
}

/// What a case has become, as far as the figures read it.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts<'a> {
    /// `Some` once concluded (and after, followed up or archived); `None` while open, rejected
    /// or reopened.
    pub outcome: Option<&'a str>,
    pub concluded_at: Option<chrono::DateTime<chrono::Utc>>,
    pub conclude_by: Option<chrono::DateTime<chrono::Utc>>,
    pub satisfaction: Option<&'a str>,
    /// How many times the case was dispatched (its hops).
    pub hops: i64,
    /// Whether its first hop was signed for and not returned.
    pub first_hop_signed: bool,
    /// How it came in (`court` for a court's referral).
    pub channel: &'a str,
}

impl Marks {
    /// The column names, in the order `values` gives them.
    pub const COLUMNS: [&'static str; 10] = [
        "received",
        "resolved",
        "mediated",
        "concluded",
        "concluded_on_time",
        "rated",
        "satisfied",
        "dispatched",
        "first_time_right",
        "referred",
    ];

    /// A received case's marks, by the definitions of [`Figure`].
    pub fn of(case: &CaseFacts) -> Marks {
        let concluded = case.outcome.is_some();
        let on_time = match (case.concluded_at, case.conclude_by) {
            (Some(at), Some(due)) => at <= due,
            (Some(_), None) => true,
            _ => false,
        };
        Marks {
            received: 1,
            resolved: i64::from(case.outcome == Some("resolved")),
            mediated: i64::from(matches!(case.outcome, Some("resolved" | "unresolved"))),
            concluded: i64::from(concluded),
            concluded_on_time: i64::from(concluded && on_time),
            rated: i64::from(case.satisfaction.is_some()),
            satisfied: i64::from(matches!(case.satisfaction, Some("satisfied" | "basically_satisfied"))),
            dispatched: i64::from(case.hops > 0),
            first_time_right: i64::from(case.hops == 1 && case.first_hop_signed),
            referred: i64::from(case.channel == "court"),
        }
    }

    pub fn values(&self) -> [i64; 10] {
        [
            self.received,
            self.resolved,
            self.mediated,
            self.concluded,
            self.concluded_on_time,
            self.rated,
            self.satisfied,
            self.dispatched,
            self.first_time_right,
            self.referred,
        ]
    }

    pub fn from_values(v: [i64; 10]) -> Self {
        Marks {
            received: v[0],
            resolved: v[1],
            mediated: v[2],
            concluded: v[3],
            concluded_on_time: v[4],
            rated: v[5],
            satisfied: v[6],
            dispatched: v[7],
            first_time_right: v[8],
            referred: v[9],
        }
    }

    pub fn add(&mut self, other: &Marks) {
        let (a, b) = (self.values(), other.values());
        *self = Marks::from_values(std::array::from_fn(|i| a[i] + b[i]));
    }

    /// `self − other`, column by column: what replacing `other` by `self` adds to a rollup.
    pub fn minus(&self, other: &Marks) -> Marks {
        let (a, b) = (self.values(), other.values());
        Marks::from_values(std::array::from_fn(|i| a[i] - b[i]))
    }

    pub fn is_empty(&self) -> bool {
        self.values().iter().all(|v| *v == 0)
    }
}

/// One figure of one row: `value` is `numerator ÷ denominator` (× 10 000 for
/// [`Figure::LitigationPer10k`]), a count has no denominator, and a rate without cases (or
/// without administrative data) has no value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct FigureValue {
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
}

/// The courts' first-instance cases and the population of a row, when both are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Litigation {
    pub first_instance: i64,
    pub population: Option<i64>,
}

impl Figure {
    pub const ALL: [Figure; 8] = [
        Figure::Received,
        Figure::ResolvedRate,
        Figure::MediationSuccessRate,
        Figure::OnTimeRate,
        Figure::SatisfactionRate,
        Figure::FirstRoutingAccuracy,
        Figure::LitigationPer10k,
        Figure::DiversionRate,
    ];

    /// The code of the API (`resolved_rate`).
    pub fn code(self) -> &'static str {
        match self {
            Figure::Received => "received",
            Figure::ResolvedRate => "resolved_rate",
            Figure::MediationSuccessRate => "mediation_success_rate",
            Figure::OnTimeRate => "on_time_rate",
            Figure::SatisfactionRate => "satisfaction_rate",
            Figure::FirstRoutingAccuracy => "first_routing_accuracy",
            Figure::LitigationPer10k => "litigation_per_10k",
            Figure::DiversionRate => "diversion_rate",
        }
    }

    pub fn parse(code: &str) -> Option<Figure> {
        Figure::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The figure's name (受理量 / cases received).
    pub fn name(self) -> Message {
        match self {
            Figure::Received => msg!("figure.received.name"),
            Figure::ResolvedRate => msg!("figure.resolved_rate.name"),
            Figure::MediationSuccessRate => msg!("figure.mediation_success_rate.name"),
            Figure::OnTimeRate => msg!("figure.on_time_rate.name"),
            Figure::SatisfactionRate => msg!("figure.satisfaction_rate.name"),
            Figure::FirstRoutingAccuracy => msg!("figure.first_routing_accuracy.name"),
            Figure::LitigationPer10k => msg!("figure.litigation_per_10k.name"),
            Figure::DiversionRate => msg!("figure.diversion_rate.name"),
        }
    }

    /// The figure's exact definition, shown beside it wherever it is shown.
    pub fn definition(self) -> Message {
        match self {
            Figure::Received => msg!("figure.received.definition"),
            Figure::ResolvedRate => msg!("figure.resolved_rate.definition"),
            Figure::MediationSuccessRate => msg!("figure.mediation_success_rate.definition"),
            Figure::OnTimeRate => msg!("figure.on_time_rate.definition"),
            Figure::SatisfactionRate => msg!("figure.satisfaction_rate.definition"),
            Figure::FirstRoutingAccuracy => msg!("figure.first_routing_accuracy.definition"),
            Figure::LitigationPer10k => msg!("figure.litigation_per_10k.definition"),
            Figure::DiversionRate => msg!("figure.diversion_rate.definition"),
        }
    }

    /// The column of [`Marks`] that counts the cases of the numerator; `None` for the figure
    /// whose numerator is the courts' count, not cases of Fengqiao.
    pub fn numerator_column(self) -> Option<&'static str> {
        Some(match self {
            Figure::Received => "received",
            Figure::ResolvedRate | Figure::MediationSuccessRate => "resolved",
            Figure::OnTimeRate => "concluded_on_time",
            Figure::SatisfactionRate => "satisfied",
            Figure::FirstRoutingAccuracy => "first_time_right",
            Figure::DiversionRate => "referred",
            Figure::LitigationPer10k => return None,
        })
    }

    /// The figure of a row from its summed marks and, where known, its litigation data.
    pub fn evaluate(self, m: &Marks, litigation: Option<&Litigation>) -> FigureValue {
        let rate = |numerator: i64, denominator: i64| FigureValue {
            value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
            numerator: Some(numerator),
            denominator: Some(denominator),
        };
        match self {
            Figure::Received => {
                FigureValue { value: Some(m.received as f64), numerator: Some(m.received), denominator: None }
            }
            Figure::ResolvedRate => rate(m.resolved, m.received),
            Figure::MediationSuccessRate => rate(m.resolved, m.mediated),
            Figure::OnTimeRate => rate(m.concluded_on_time, m.concluded),
            Figure::SatisfactionRate => rate(m.satisfied, m.rated),
            Figure::FirstRoutingAccuracy => rate(m.first_time_right, m.dispatched),
            Figure::LitigationPer10k => match litigation {
                Some(l) => FigureValue {
                    value: l.population.filter(|p| *p > 0).map(|p| l.first_instance as f64 * 10_000.0 / p as f64),
                    numerator: Some(l.first_instance),
                    denominator: l.population,
                },
                None => FigureValue { value: None, numerator: None, denominator: None },
            },
            // Without the courts' count the share is unknown, but the referred cases still list.
            Figure::DiversionRate => match litigation {
                Some(l) if l.first_instance > 0 => rate(m.referred, m.referred + l.first_instance),
                _ => FigureValue { value: None, numerator: Some(m.referred), denominator: None },
            },
        }
    }
}

/// 按 — what the rows of the figures table are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// The regions one level below the one asked for (the region itself for its own cases).
    Region,
    /// The unit handling the case: its lead unit, before dispatch the centre responsible.
    Unit,
    Category,
    Channel,
    /// The month of registration, `YYYY-MM`.
    Month,
}

impl Breakdown {
    pub const ALL: [Breakdown; 5] =
        [Breakdown::Region, Breakdown::Unit, Breakdown::Category, Breakdown::Channel, Breakdown::Month];

    pub fn code(self) -> &'static str {
        match self {
            Breakdown::Region => "region",
            Breakdown::Unit => "unit",
            Breakdown::Category => "category",
            Breakdown::Channel => "channel",
            Breakdown::Month => "month",
        }
    }

    pub fn parse(code: &str) -> Option<Breakdown> {
        Breakdown::ALL.into_iter().find(|b| b.code() == code)
    }
}

/// The China day of a time as days since 1970-01-01: the day of `case_figures` and
/// `figure_rollups`, integer arithmetic in both databases.
pub fn china_day(at: chrono::DateTime<chrono::Utc>) -> i64 {
    (at.timestamp_millis() + 8 * 3_600_000).div_euclid(86_400_000)
}

/// The China day number of a date (as [`china_day`]).
pub fn day_number(date: chrono::NaiveDate) -> i64 {
    (date - chrono::NaiveDate::default()).num_days()
}

/// The date of a China day number.
pub fn day_date(day: i64) -> chrono::NaiveDate {
    chrono::NaiveDate::default() + chrono::Duration::days(day)
}

/// The population of a region for a year from the administrative data: its own entry of the
/// latest year up to `year`; without one, the sum over the regions beneath it at the highest
/// level that has entries (`entries`: the subtree's `(region, year, population)`).
pub fn population_of(region: &RegionCode, year: i64, entries: &[(RegionCode, i64, i64)]) -> Option<i64> {
    let mut latest: BTreeMap<&RegionCode, (i64, i64)> = BTreeMap::new();
    for (code, y, population) in entries.iter().filter(|(code, y, _)| *y <= year && region.contains(code)) {
        let entry = latest.entry(code).or_insert((*y, *population));
        if *y > entry.0 {
            *entry = (*y, *population);
        }
    }
    if let Some((_, population)) = latest.get(region) {
        return Some(*population);
    }
    let level = latest.keys().map(|code| code.level()).min()?;
    Some(latest.iter().filter(|(code, _)| code.level() == level).map(|(_, (_, p))| p).sum())
}

/// The first and last day of a month given as `YYYY-MM` (a table row's key, a report's or an
/// evaluation's period); `None` when it is not one. The one place the month range is made.
pub fn month_days(month: &str) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    if month.len() != 7 {
        return None;
    }
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let last = first.checked_add_months(chrono::Months::new(1))?.pred_opt()?;
    Some((first, last))
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
    fn a_month_is_its_first_to_its_last_day() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(month_days("2028-02"), Some((d("2028-02-01"), d("2028-02-29"))));
        assert_eq!(month_days("2026-12"), Some((d("2026-12-01"), d("2026-12-31"))));
        assert_eq!(month_days("2026-13"), None);
        assert_eq!(month_days("2026-1"), None);
        assert_eq!(month_days("x"), None);
    }

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

    fn facts(outcome: Option<&'static str>, satisfaction: Option<&'static str>, hops: i64, signed: bool) -> Marks {
        let at = |h: i64| chrono::DateTime::from_timestamp(h * 3_600, 0);
        Marks::of(&CaseFacts {
            outcome,
            concluded_at: outcome.and(at(10)),
            conclude_by: at(9),
            satisfaction,
            hops,
            first_hop_signed: signed,
            channel: "window",
        })
    }

    #[test]
    fn a_case_marks_what_it_has_become() {
        let open = facts(None, None, 0, false);
        assert_eq!(open, Marks { received: 1, ..Marks::default() });
        let resolved_late = facts(Some("resolved"), Some("basically_satisfied"), 1, true);
        assert_eq!(
            resolved_late,
            Marks {
                received: 1,
                resolved: 1,
                mediated: 1,
                concluded: 1,
                concluded_on_time: 0,
                rated: 1,
                satisfied: 1,
                dispatched: 1,
                first_time_right: 1,
                referred: 0,
            }
        );
        // A refusal of mediation (art. 17) and a withdrawal are concluded but not mediated.
        assert_eq!(facts(Some("refused"), None, 1, true).mediated, 0);
        assert_eq!(facts(Some("withdrawn"), None, 1, true).mediated, 0);
        assert_eq!(facts(Some("unresolved"), Some("dissatisfied"), 1, true).satisfied, 0);
        // Dispatched twice (returned or transferred): not right the first time.
        assert_eq!(facts(None, None, 2, true).first_time_right, 0);
        assert_eq!(facts(None, None, 1, false).first_time_right, 0);
    }

    #[test]
    fn figures_divide_their_marks() {
        let m = Marks { received: 4, resolved: 2, mediated: 3, concluded: 4, concluded_on_time: 1, ..Marks::default() };
        let v = |figure: Figure| figure.evaluate(&m, None);
        assert_eq!(v(Figure::Received), FigureValue { value: Some(4.0), numerator: Some(4), denominator: None });
        assert_eq!(v(Figure::ResolvedRate).value, Some(0.5));
        assert_eq!(v(Figure::MediationSuccessRate).denominator, Some(3));
        assert_eq!(v(Figure::OnTimeRate).value, Some(0.25));
        assert_eq!(v(Figure::SatisfactionRate), FigureValue { value: None, numerator: Some(0), denominator: Some(0) });
        let litigation = Litigation { first_instance: 30, population: Some(120_000) };
        assert_eq!(Figure::LitigationPer10k.evaluate(&m, Some(&litigation)).value, Some(2.5));
        // 诉前分流率: 10 referred of the 10 + 30 disputes brought to the courts; unknown without
        // the courts' count, its referred cases still counted.
        let referred = Marks { referred: 10, ..m };
        let diversion = Figure::DiversionRate.evaluate(&referred, Some(&litigation));
        assert_eq!(diversion, FigureValue { value: Some(0.25), numerator: Some(10), denominator: Some(40) });
        let unknown = Figure::DiversionRate.evaluate(&referred, None);
        assert_eq!(unknown, FigureValue { value: None, numerator: Some(10), denominator: None });
        for figure in Figure::ALL {
            assert_eq!(Figure::parse(figure.code()), Some(figure));
        }
    }

    #[test]
    fn a_population_is_the_region_s_own_or_the_sum_beneath_it() {
        let code = |c: &str| RegionCode::parse(c).unwrap();
        let entries = vec![
            (code("620102"), 2025, 600_000),
            (code("620102"), 2026, 610_000),
            (code("620103"), 2026, 400_000),
            (code("620103001000"), 2026, 9),
        ];
        assert_eq!(population_of(&code("620102"), 2026, &entries), Some(610_000));
        assert_eq!(population_of(&code("620102"), 2025, &entries), Some(600_000));
        assert_eq!(population_of(&code("620100"), 2026, &entries), Some(1_010_000));
        assert_eq!(population_of(&code("620104"), 2026, &entries), None);
        assert_eq!(
            day_date(day_number(chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap())).to_string(),
            "2026-11-03"
        );
    }

    #[test]
    fn counts_add_up() {
        let mut a = Counts { received: 1, ..Counts::default() };
        a.add(&Counts { received: 2, rated: 1, ..Counts::default() });
        assert_eq!((a.received, a.rated), (3, 1));
        assert_eq!(day_key(chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()), 20261103);
    }
}
