//! 定期报告 (issue 15): the daily spot check (日抽查), the weekly analysis (周分析), the monthly
//! bulletin (月通报) and the quarterly review (季问效) — their periods in China days, the period
//! before (for the comparison), the last period that has ended, and the document number.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// The kind of a periodic report, by its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportKind {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
}

impl ReportKind {
    pub const ALL: [ReportKind; 4] =
        [ReportKind::Daily, ReportKind::Weekly, ReportKind::Monthly, ReportKind::Quarterly];

    /// The code of the API (`monthly`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Daily => "daily",
            ReportKind::Weekly => "weekly",
            ReportKind::Monthly => "monthly",
            ReportKind::Quarterly => "quarterly",
        }
    }

    pub fn parse(code: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.as_str() == code)
    }

    /// The document's name as the centre issues it (日抽查 · 周分析 · 月通报 · 季问效).
    pub fn title_zh(self) -> &'static str {
        match self {
            ReportKind::Daily => "日抽查",
            ReportKind::Weekly => "周分析",
            ReportKind::Monthly => "月通报",
            ReportKind::Quarterly => "季问效",
        }
    }

    /// Whether `date` starts a period of this kind: any day; a Monday; the 1st of a month; the
    /// 1st of January, April, July or October.
    pub fn is_period_start(self, date: NaiveDate) -> bool {
        match self {
            ReportKind::Daily => true,
            ReportKind::Weekly => date.weekday() == Weekday::Mon,
            ReportKind::Monthly => date.day() == 1,
            ReportKind::Quarterly => date.day() == 1 && matches!(date.month(), 1 | 4 | 7 | 10),
        }
    }

    /// The start of the period that holds `date`.
    pub fn period_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            ReportKind::Daily => date,
            ReportKind::Weekly => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            ReportKind::Monthly => date.with_day(1).expect("the 1st exists"),
            ReportKind::Quarterly => {
                NaiveDate::from_ymd_opt(date.year(), (date.month0() / 3) * 3 + 1, 1).expect("a quarter's 1st")
            }
        }
    }

    /// The last day of the period starting at `start` (inclusive).
    pub fn period_end(self, start: NaiveDate) -> NaiveDate {
        self.next(start) - Duration::days(1)
    }

    /// The start of the period after the one starting at `start`.
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            ReportKind::Daily => start + Duration::days(1),
            ReportKind::Weekly => start + Duration::days(7),
            ReportKind::Monthly => start.checked_add_months(chrono::Months::new(1)).unwrap_or(start),
            ReportKind::Quarterly => start.checked_add_months(chrono::Months::new(3)).unwrap_or(start),
        }
    }

    /// The start of the period before the one starting at `start`: what a report compares with.
    pub fn previous(self, start: NaiveDate) -> NaiveDate {
        match self {
            ReportKind::Daily => start - Duration::days(1),
            ReportKind::Weekly => start - Duration::days(7),
            ReportKind::Monthly => start.checked_sub_months(chrono::Months::new(1)).unwrap_or(start),
            ReportKind::Quarterly => start.checked_sub_months(chrono::Months::new(3)).unwrap_or(start),
        }
    }

    /// The start of the last period that has ended before `today` (China date): yesterday,
    /// last week, last month, last quarter.
    pub fn last_ended(self, today: NaiveDate) -> NaiveDate {
        self.previous(self.period_of(today))
    }

    /// The months (`YYYY-MM`) of the period whose units' cards (亮牌) the report carries: the
    /// month of a monthly bulletin, the three of a quarterly review, none for the others.
    pub fn card_months(self, start: NaiveDate) -> Vec<String> {
        let months = match self {
            ReportKind::Daily | ReportKind::Weekly => 0,
            ReportKind::Monthly => 1,
            ReportKind::Quarterly => 3,
        };
        (0..months)
            .filter_map(|i| start.checked_add_months(chrono::Months::new(i)))
            .map(|m| m.format("%Y-%m").to_string())
            .collect()
    }
}

/// The document number of the `serial`th report of a kind issued by a centre in `year`:
/// 〔2026〕月通报第3号.
pub fn report_number(kind: ReportKind, year: i32, serial: i64) -> String {
    format!("〔{year}〕{}第{serial}号", kind.title_zh())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn period_starts() {
        assert!(ReportKind::Weekly.is_period_start(d("2026-11-23")));
        assert!(!ReportKind::Weekly.is_period_start(d("2026-11-24")));
        assert!(ReportKind::Monthly.is_period_start(d("2026-11-01")));
        assert!(!ReportKind::Monthly.is_period_start(d("2026-11-02")));
        assert!(ReportKind::Quarterly.is_period_start(d("2026-10-01")));
        assert!(!ReportKind::Quarterly.is_period_start(d("2026-11-01")));
        assert!(ReportKind::Daily.is_period_start(d("2026-11-17")));
    }

    #[test]
    fn periods_end_and_precede() {
        assert_eq!(ReportKind::Monthly.period_end(d("2026-02-01")), d("2026-02-28"));
        assert_eq!(ReportKind::Quarterly.period_end(d("2026-10-01")), d("2026-12-31"));
        assert_eq!(ReportKind::Weekly.period_end(d("2026-11-23")), d("2026-11-29"));
        assert_eq!(ReportKind::Monthly.previous(d("2026-01-01")), d("2025-12-01"));
        assert_eq!(ReportKind::Quarterly.previous(d("2026-01-01")), d("2025-10-01"));
    }

    #[test]
    fn the_last_period_ended() {
        let today = d("2026-11-28");
        assert_eq!(ReportKind::Daily.last_ended(today), d("2026-11-27"));
        assert_eq!(ReportKind::Weekly.last_ended(today), d("2026-11-16"));
        assert_eq!(ReportKind::Monthly.last_ended(today), d("2026-10-01"));
        assert_eq!(ReportKind::Quarterly.last_ended(today), d("2026-07-01"));
        assert_eq!(ReportKind::Monthly.last_ended(d("2026-01-01")), d("2025-12-01"));
    }

    #[test]
    fn numbers_and_card_months() {
        assert_eq!(report_number(ReportKind::Monthly, 2026, 3), "〔2026〕月通报第3号");
        assert_eq!(ReportKind::Quarterly.card_months(d("2026-10-01")), ["2026-10", "2026-11", "2026-12"]);
        assert!(ReportKind::Weekly.card_months(d("2026-11-23")).is_empty());
    }
}
