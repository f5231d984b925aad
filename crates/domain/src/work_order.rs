//! 12345 work orders (工单, DOMAIN.md §2.2 and rule 23): an order the hotline dispatches to the
//! centre is 签收 (acknowledged) or 退单 (returned as mis-dispatched, with a reason) within
//! working-day limits. No national figure exists: the limits are administrators' data, by
//! default 1 working day to acknowledge and 2 working days to return (the Shandong rule). Orders
//! also come as a workbook ([`import`]), each row checked as the registration checks a case.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::{CaseRegistration, Channel, LocationInput, PartyInput};
use crate::case_import::{Column, SheetCell, sheet_rows};
use crate::import::{SentImport, SentSheet, sent_rows};
use crate::msg;
use crate::validation::FieldError;

/// The most working days either limit may be set to.
pub const LIMIT_MAX: i64 = 30;
/// The longest reason for a return.
pub const REASON_MAX: usize = 500;

/// The working-day limits of a work order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// 签收: acknowledge within this many working days of receipt.
    pub sign_working_days: i64,
    /// 退单: return a mis-dispatched order within this many working days of receipt.
    pub return_working_days: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { sign_working_days: 1, return_working_days: 2 }
    }
}

impl Limits {
    /// Each limit is a whole number of working days from 1 to [`LIMIT_MAX`].
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let errors: Vec<FieldError> =
            [("sign_working_days", self.sign_working_days), ("return_working_days", self.return_working_days)]
                .into_iter()
                .filter(|(_, value)| !(1..=LIMIT_MAX).contains(value))
                .map(|(field, _)| {
                    FieldError::new(field, "out_of_range", msg!("field.between", min = 1, max = LIMIT_MAX))
                })
                .collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// By when an order received at `received` must be acknowledged, and by when it may be
    /// returned: the end (23:59:59 China time) of the last working day, the start day not counted.
    pub fn deadlines(&self, calendar: &Calendar, received: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let day = received.with_timezone(&crate::china_time()).date_naive();
        let end = |n: i64| {
            let date = calendar.add_working_days(day, n.clamp(1, LIMIT_MAX) as u32).date;
            crate::china_instant(date, NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time"))
        };
        (end(self.sign_working_days), end(self.return_working_days))
    }
}

/// Where a work order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Received, neither acknowledged nor returned.
    Received,
    /// 签收: the centre took it on (the case goes its usual way).
    Signed,
    /// 退单: sent back to the hotline with a reason.
    Returned,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Signed => "signed",
            State::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        [State::Received, State::Signed, State::Returned].into_iter().find(|state| state.as_str() == s)
    }
}

/// Whether an answer given at `at` to an order due at `due` was late.
pub fn late(at: DateTime<Utc>, due: DateTime<Utc>) -> bool {
    at > due
}

/// The columns of a workbook of work orders, in the template's order (the 12345 centre's
/// export, or the template filled in).
pub const IMPORT_COLUMNS: [Column; 8] = [
    ("work_order_number", true, &["工单号", "12345工单编号", "external_ref"]),
    ("category", false, &["案件类别", "纠纷类别", "诉求类别"]),
    ("region_code", false, &["所属区域(代码)", "所属区域（代码）", "所属区域", "区域代码"]),
    ("address", false, &["事发地点", "诉求地址"]),
    ("applicant_name", true, &["申请人", "来电人", "诉求人"]),
    ("applicant_phone", false, &["申请人联系电话", "来电号码", "联系电话"]),
    ("respondent_name", false, &["被申请人"]),
    ("description", true, &["诉求内容", "工单内容", "纠纷简要情况"]),
];

/// The longest work order number.
pub const NUMBER_MAX: usize = 100;

/// How a workbook of work orders reads: by the hotline's number.
const SHEET: SentSheet =
    SentSheet { columns: &IMPORT_COLUMNS, number_field: "work_order_number", number_max: NUMBER_MAX, column_of };

/// Checks a sheet of work orders row by row, as the registration checks a case (`now` bounds
/// its times); a fault is named by its row and column (`line[6].applicant_phone`), and a number
/// given twice is a fault of its later row. Each item is a `hotline` case under the hotline's
/// number. `Err` with the faults of the sheet as a whole.
pub fn import(sheet: &[Vec<SheetCell>], now: DateTime<Utc>) -> Result<SentImport, Vec<FieldError>> {
    Ok(sent_rows(sheet_rows(sheet, &IMPORT_COLUMNS)?, &SHEET, now, |cell| CaseRegistration {
        channel: Some(Channel::Hotline.as_str().to_owned()),
        description: cell.get("description"),
        category: cell.category.map(|c| c.as_str().to_owned()),
        location: Some(LocationInput {
            address: cell.get("address"),
            region_code: cell.get("region_code"),
            ..Default::default()
        }),
        parties: Some(
            [
                ("applicant", cell.get("applicant_name"), cell.get("applicant_phone")),
                ("respondent", cell.get("respondent_name"), None),
            ]
            .into_iter()
            .filter(|(role, name, _)| *role == "applicant" || name.is_some())
            .map(|(role, name, phone)| PartyInput { role: Some(role.to_owned()), name, phone, ..Default::default() })
            .collect(),
        ),
        ..Default::default()
    }))
}

/// The workbook's column a registration's field comes from.
fn column_of(field: &str) -> &str {
    match field {
        "location.region_code" => "region_code",
        "location.address" => "address",
        "parties[0].name" => "applicant_name",
        "parties[0].phone" => "applicant_phone",
        "parties[1].name" => "respondent_name",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::shipped_years;

    fn calendar() -> Calendar {
        Calendar::new(shipped_years())
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_defaults_are_one_working_day_to_sign_and_two_to_return() {
        assert_eq!(Limits::default(), Limits { sign_working_days: 1, return_working_days: 2 });
        assert!(Limits::default().validate().is_ok());
    }

    #[test]
    fn limits_outside_one_to_thirty_working_days_are_refused_by_field() {
        let errors = Limits { sign_working_days: 0, return_working_days: 31 }.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sign_working_days", "return_working_days"]);
    }

    #[test]
    fn deadlines_count_working_days_over_the_national_day_holiday() {
        // Received on Wednesday 30 September 2026; 1–7 October is the holiday, 10 October a
        // working Saturday.
        let (sign_by, return_by) = Limits::default().deadlines(&calendar(), at("2026-09-30T10:00:00+08:00"));
        assert_eq!(sign_by, at("2026-10-08T23:59:59+08:00"));
        assert_eq!(return_by, at("2026-10-09T23:59:59+08:00"));
        let (sign_by, _) = Limits::default().deadlines(&calendar(), at("2026-11-06T17:00:00+08:00"));
        assert_eq!(sign_by, at("2026-11-09T23:59:59+08:00"), "Friday's order is due on Monday");
    }

    #[test]
    fn states_read_back_from_their_codes() {
        for state in [State::Received, State::Signed, State::Returned] {
            assert_eq!(State::parse(state.as_str()), Some(state));
        }
        assert_eq!(State::parse("lost"), None);
        assert!(late(at("2026-11-10T00:00:00+08:00"), at("2026-11-09T23:59:59+08:00")));
    }
}
