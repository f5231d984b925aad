//! The official working-day calendar (DOMAIN.md §2.3, §3.5): weekends, public holidays and
//! adjusted working days (调休) as data per year, and deadline arithmetic on it.
//!
//! A day is a working day if it is listed as an adjusted working day, or it is Monday–Friday
//! and not inside a holiday's rest days. A year without a loaded calendar falls back to that
//! weekday rule, and every answer that used the fallback is marked provisional — flagged,
//! never silently guessed.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::msg;
use crate::validation::{Arg, FieldError, Message};

/// One year's calendar as the State Council notice gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct YearCalendar {
    pub year: i32,
    /// The notice it comes from.
    #[serde(default)]
    pub source: Option<String>,
    pub holidays: Vec<Holiday>,
}

/// A public holiday: its rest days (an inclusive range) and its adjusted working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Holiday {
    /// 元旦, 春节 …
    pub name: String,
    /// `[first, last]` rest day, inclusive.
    #[schema(value_type = Vec<String>)]
    pub rest: [NaiveDate; 2],
    /// 调休上班: weekend days that are working days.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub work: Vec<NaiveDate>,
}

impl YearCalendar {
    /// Checks a calendar before it is loaded: dates in the year (a holiday may start in the
    /// last days of the year before), ranges in order, no day both rest and work.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !(2000..=2100).contains(&self.year) {
            errors.push(FieldError::new("year", "out_of_range", msg!("field.between", min = 2000, max = 2100)));
        }
        let near = |d: NaiveDate| (self.year - 1..=self.year + 1).contains(&d.year());
        for (i, h) in self.holidays.iter().enumerate() {
            let field = |name: &str| format!("holidays[{i}].{name}");
            if h.name.trim().is_empty() || h.name.chars().count() > 50 {
                errors.push(FieldError::new(field("name"), "required", msg!("holiday.name_required", max = 50)));
            }
            let [first, last] = h.rest;
            if first > last
                || (last - first).num_days() > 15
                || !near(first)
                || !near(last)
                || (first.year() != self.year && last.year() != self.year)
            {
                errors.push(FieldError::new(field("rest"), "invalid_range", msg!("holiday.rest_invalid", days = 16)));
            }
            for (j, w) in h.work.iter().enumerate() {
                let inside = self.holidays.iter().any(|o| (o.rest[0]..=o.rest[1]).contains(w));
                if inside || !near(*w) {
                    errors.push(FieldError::new(
                        format!("holidays[{i}].work[{j}]"),
                        "invalid_work_day",
                        msg!("holiday.work_day_invalid", day = *w),
                    ));
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// One day as the calendar sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Day {
    #[schema(value_type = String)]
    pub date: NaiveDate,
    pub workday: bool,
    /// The festival's name on its rest days, else null.
    pub holiday: Option<String>,
    /// A weekend day made a working day (调休上班).
    pub adjusted: bool,
    /// False when the year has no loaded calendar and only the weekday rule applied.
    pub official: bool,
}

#[derive(Debug, Clone)]
enum Override {
    Rest(String),
    Work,
}

/// The loaded years, indexed by date.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, YearCalendar>,
    overrides: HashMap<NaiveDate, Override>,
}

/// The result of deadline arithmetic, with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reckoning {
    pub date: NaiveDate,
    /// Some day on the way lies in a year with no loaded calendar.
    pub provisional: bool,
    pub missing_years: Vec<i32>,
    /// "5 个工作日，自 2026-09-30 起算（当日不计）；10-01…10-07 国庆节放假；10-10 调休上班"
    pub explanation: Message,
}

impl Calendar {
    pub fn new(years: impl IntoIterator<Item = YearCalendar>) -> Self {
        let mut calendar = Calendar::default();
        for year in years {
            calendar.years.insert(year.year, year);
        }
        for year in calendar.years.values() {
            for h in &year.holidays {
                let mut day = h.rest[0];
                while day <= h.rest[1] {
                    calendar.overrides.insert(day, Override::Rest(h.name.clone()));
                    day += Duration::days(1);
                }
                for w in &h.work {
                    calendar.overrides.insert(*w, Override::Work);
                }
            }
        }
        calendar
    }

    pub fn years(&self) -> impl Iterator<Item = &YearCalendar> {
        self.years.values()
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn day(&self, date: NaiveDate) -> Day {
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let official = self.has_year(date.year());
        match self.overrides.get(&date) {
            Some(Override::Rest(name)) => {
                Day { date, workday: false, holiday: Some(name.clone()), adjusted: false, official }
            }
            Some(Override::Work) => Day { date, workday: true, holiday: None, adjusted: weekend, official },
            None => Day { date, workday: !weekend, holiday: None, adjusted: false, official },
        }
    }

    pub fn is_workday(&self, date: NaiveDate) -> bool {
        self.day(date).workday
    }

    /// The first working day after `date` (not `date` itself).
    pub fn next_workday(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date + Duration::days(1);
        while !self.is_workday(day) {
            day += Duration::days(1);
        }
        day
    }

    /// The `n`th working day after `from`: the start day is not counted (民法典 art. 201),
    /// working days are counted on the calendar.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Reckoning {
        let mut day = from;
        let mut counted = 0;
        let mut notes = Notes::default();
        while counted < n {
            day += Duration::days(1);
            let d = self.day(day);
            notes.see(&d);
            if d.workday {
                counted += 1;
            }
        }
        notes.finish(day, vec![msg!("deadline.working_days", n = n, from = from)])
    }

    /// How many working days lie after `from` up to and including `to` (0 when `to` is not
    /// after `from`): the handling time of a case in working days.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day += Duration::days(1);
            count += i64::from(self.is_workday(day));
        }
        count
    }

    /// A period of `n` calendar days after `from` (民法典 arts. 201, 203): if the last day is
    /// a rest day, the period ends on the first working day after the rest.
    pub fn add_days(&self, from: NaiveDate, n: u32) -> Reckoning {
        let last = from + Duration::days(i64::from(n));
        let mut notes = Notes::default();
        let mut day = from;
        while day < last {
            day += Duration::days(1);
            notes.see(&self.day(day));
        }
        let mut end = last;
        let mut moved = None;
        if !self.is_workday(last) {
            end = self.next_workday(last);
            let mut d = last;
            while d < end {
                d += Duration::days(1);
                notes.see(&self.day(d));
            }
            moved = Some(last);
        }
        let mut parts = vec![msg!("deadline.days", n = n, from = from)];
        if let Some(last) = moved {
            parts.push(msg!("deadline.moved_past_rest", last = last, end = end));
        }
        notes.finish(end, parts)
    }
}

/// What a reckoning passed over: holiday rest days (grouped per festival), adjusted working
/// days, and years without a calendar.
#[derive(Default)]
struct Notes {
    holidays: Vec<(String, NaiveDate, NaiveDate)>,
    adjusted: Vec<NaiveDate>,
    missing_years: Vec<i32>,
}

impl Notes {
    fn see(&mut self, day: &Day) {
        if !day.official && !self.missing_years.contains(&day.date.year()) {
            self.missing_years.push(day.date.year());
        }
        if let Some(name) = &day.holiday {
            match self.holidays.last_mut() {
                Some((last_name, _, end)) if last_name == name && *end + Duration::days(1) == day.date => {
                    *end = day.date
                }
                _ => self.holidays.push((name.clone(), day.date, day.date)),
            }
        }
        if day.adjusted {
            self.adjusted.push(day.date);
        }
    }

    /// The reckoning, explained: `parts` (how it was counted) and then what it passed over.
    fn finish(self, date: NaiveDate, mut parts: Vec<Message>) -> Reckoning {
        let short = |d: &NaiveDate| d.format("%m-%d").to_string();
        for (name, first, last) in &self.holidays {
            let span = if first == last { short(first) } else { format!("{}…{}", short(first), short(last)) };
            parts.push(msg!("deadline.holiday", span = span, name = name));
        }
        for day in &self.adjusted {
            parts.push(msg!("deadline.adjusted_working_day", day = short(day)));
        }
        if !self.missing_years.is_empty() {
            let years: Vec<String> = self.missing_years.iter().map(i32::to_string).collect();
            parts.push(msg!("deadline.calendar_missing", years = years.join(", ")));
        }
        Reckoning {
            date,
            provisional: !self.missing_years.is_empty(),
            missing_years: self.missing_years,
            explanation: msg!("deadline.explained", parts = Arg::List(parts)),
        }
    }
}

/// A day as a form or a query writes it (YYYY-MM-DD); the field named in words when it is
/// missing or not a date.
pub fn parse_date(field: &str, value: Option<&str>) -> Result<NaiveDate, FieldError> {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(FieldError::required(field));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "invalid_date", msg!("field.not_a_date")))
}

/// The calendars the product ships (data/calendar/), parsed.
pub fn shipped_years() -> Vec<YearCalendar> {
    [
        include_str!("../../../data/calendar/2024.json"),
        include_str!("../../../data/calendar/2025.json"),
        include_str!("../../../data/calendar/2026.json"),
    ]
    .iter()
    .map(|text| serde_json::from_str(text).expect("shipped calendars are valid JSON"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{T, UiLang};
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn calendar() -> Calendar {
        Calendar::new(shipped_years())
    }

    /// The official notices, day by day: every rest day of a holiday and every adjusted
    /// working day of 2025 and 2026 (DOMAIN.md §3.5), and every other day by the weekday rule.
    #[test]
    fn every_day_of_2025_and_2026_agrees_with_the_notices() {
        let rest: &[(&str, &str, &str)] = &[
            ("2025-01-01", "2025-01-01", "元旦"),
            ("2025-01-28", "2025-02-04", "春节"),
            ("2025-04-04", "2025-04-06", "清明节"),
            ("2025-05-01", "2025-05-05", "劳动节"),
            ("2025-05-31", "2025-06-02", "端午节"),
            ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
            ("2026-01-01", "2026-01-03", "元旦"),
            ("2026-02-15", "2026-02-23", "春节"),
            ("2026-04-04", "2026-04-06", "清明节"),
            ("2026-05-01", "2026-05-05", "劳动节"),
            ("2026-06-19", "2026-06-21", "端午节"),
            ("2026-09-25", "2026-09-27", "中秋节"),
            ("2026-10-01", "2026-10-07", "国庆节"),
        ];
        let work = [
            "2025-01-26",
            "2025-02-08",
            "2025-04-27",
            "2025-09-28",
            "2025-10-11",
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        ];
        let c = calendar();
        let mut day = d("2025-01-01");
        let mut workdays = 0;
        while day <= d("2026-12-31") {
            let got = c.day(day);
            let holiday = rest.iter().find(|(a, b, _)| (d(a)..=d(b)).contains(&day)).map(|(_, _, n)| n.to_string());
            let adjusted = work.contains(&day.to_string().as_str());
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            let expected_workday = adjusted || (!weekend && holiday.is_none());
            assert_eq!(got.workday, expected_workday, "{day}");
            assert_eq!(got.holiday, holiday, "{day}");
            assert_eq!(got.adjusted, adjusted, "{day}");
            assert!(got.official);
            workdays += u32::from(got.workday);
            day += Duration::days(1);
        }
        // Each year: 365 − 104 weekend days − weekday rest days (18 in 2025, 19 in 2026) +
        // adjusted working days (5 in 2025, 6 in 2026) = 248.
        assert_eq!(workdays, 248 + 248);
    }

    #[test]
    fn the_worked_examples_of_domain_md() {
        let c = calendar();
        let r = c.add_working_days(d("2025-09-26"), 5);
        assert_eq!(r.date, d("2025-10-10"));
        assert!(!r.provisional);
        let zh = T::default().msg(&r.explanation);
        assert!(zh.contains("10-01…10-08 国庆节、中秋节放假"), "{zh}");
        assert!(zh.contains("09-28 调休上班"));
        assert_eq!(c.add_days(d("2025-09-20"), 15).date, d("2025-10-09"));
        assert_eq!(c.add_days(d("2026-01-30"), 15).date, d("2026-02-14"));
        let r = c.add_working_days(d("2026-09-30"), 5);
        assert_eq!(r.date, d("2026-10-13"));
        assert_eq!(
            T { lang: UiLang::En }.msg(&r.explanation),
            "5 working days after 2026-09-30 (the start day not counted); 10-01…10-07 国庆节 holiday; 10-10 adjusted working day"
        );
    }

    #[test]
    fn working_days_between_counts_like_adding() {
        let c = calendar();
        assert_eq!(c.working_days_between(d("2026-09-30"), d("2026-10-13")), 5);
        assert_eq!(c.working_days_between(d("2026-10-13"), d("2026-09-30")), 0);
    }

    #[test]
    fn a_year_without_a_calendar_is_flagged() {
        let r = calendar().add_working_days(d("2026-12-28"), 10);
        assert!(r.provisional);
        assert_eq!(r.missing_years, [2027]);
        assert!(T::default().msg(&r.explanation).contains("2027 年的节假日安排尚未载入"));
        assert!(!calendar().day(d("2027-03-01")).official);
    }

    #[test]
    fn shipped_years_are_valid_and_bad_ones_are_refused() {
        for year in shipped_years() {
            assert_eq!(year.validate(), Ok(()), "{}", year.year);
        }
        let mut bad = shipped_years().remove(2);
        bad.holidays[0].rest = [d("2026-01-05"), d("2026-01-01")];
        bad.holidays[1].work.push(d("2026-02-16"));
        let fields: Vec<String> = bad.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["holidays[0].rest", "holidays[1].work[2]"]);
    }

    proptest! {
        #[test]
        fn working_day_arithmetic_lands_on_a_working_day(offset in 0i64..700, n in 1u32..40) {
            let c = calendar();
            let from = d("2025-01-01") + Duration::days(offset);
            let r = c.add_working_days(from, n);
            prop_assert!(c.is_workday(r.date));
            prop_assert!(r.date > from);
            let mut count = 0;
            let mut day = from;
            while day < r.date {
                day += Duration::days(1);
                count += u32::from(c.is_workday(day));
            }
            prop_assert_eq!(count, n);
        }

        #[test]
        fn adding_in_two_steps_equals_adding_at_once(offset in 0i64..600, a in 1u32..20, b in 1u32..20) {
            let c = calendar();
            let from = d("2025-01-01") + Duration::days(offset);
            let once = c.add_working_days(from, a + b).date;
            let twice = c.add_working_days(c.add_working_days(from, a).date, b).date;
            prop_assert_eq!(once, twice);
        }
    }
}
