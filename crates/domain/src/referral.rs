//! 诉前委派 (DOMAIN.md §5.6): a court's pre-filing referral to the centre and its clocks on
//! the working-day calendar — confirm or decline within 3 working days (特邀调解规定 art. 12),
//! contact the other party within 3 working days of confirming (art. 15), mediate within 30
//! days of confirming (art. 24) — and how it ends. Referrals also come as a workbook
//! ([`import`]), each row checked as the registration checks a referral sent by API.

use chrono::{DateTime, Duration, NaiveTime, Utc};

use crate::calendar::Calendar;
use crate::case::{CaseRegistration, Channel, LocationInput, Outcome, PartyInput, Status};
use crate::case_import::{Column, SheetCell, sheet_rows};
use crate::i18n::{T, UiLang};
use crate::import::{SentImport, SentSheet, sent_rows};
use crate::msg;
use crate::validation::FieldError;

pub const CONFIRM_WORKING_DAYS: u32 = 3;
pub const CONTACT_WORKING_DAYS: u32 = 3;
pub const MEDIATION_DAYS: i64 = 30;

/// Where a referral stands. `received`, `accepted` and `declined` are recorded; `mediating`
/// (the other party contacted), `succeeded` and `failed` follow from the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Received,
    Accepted,
    Declined,
    Mediating,
    Succeeded,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Mediating => "mediating",
            State::Succeeded => "succeeded",
            State::Failed => "failed",
        }
    }

    pub const ALL: [State; 6] =
        [State::Received, State::Accepted, State::Declined, State::Mediating, State::Succeeded, State::Failed];

    pub fn parse(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// The state of a referral recorded as `recorded` whose case stands at `status`/`outcome`,
    /// `contacted` once the other party was reached.
    pub fn of(recorded: &str, status: Status, outcome: Option<Outcome>, contacted: bool) -> State {
        match recorded {
            "declined" => State::Declined,
            "received" => State::Received,
            _ if matches!(status, Status::Concluded | Status::FollowedUp | Status::Archived) => {
                if outcome == Some(Outcome::Resolved) { State::Succeeded } else { State::Failed }
            }
            _ if contacted => State::Mediating,
            _ => State::Accepted,
        }
    }

    /// Whether the referral has a clock of its own still running.
    pub fn is_open(self) -> bool {
        matches!(self, State::Received | State::Accepted | State::Mediating)
    }
}

/// The referral's clock that is due next while it is open: confirm, contact, or mediate by.
pub fn due(
    state: State,
    confirm_by: DateTime<Utc>,
    contact_by: Option<DateTime<Utc>>,
    mediate_by: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match state {
        State::Received => Some(confirm_by),
        State::Accepted => contact_by.into_iter().chain(mediate_by).min(),
        State::Mediating => mediate_by,
        _ => None,
    }
}

/// The end (23:59:59 China time) of the `n`th working day after `from`'s day.
fn working_deadline(calendar: &Calendar, from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let day = from.with_timezone(&crate::china_time()).date_naive();
    let date = calendar.add_working_days(day, n).date;
    crate::china_instant(date, NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time"))
}

/// By when a referral received at `received` must be confirmed or declined.
pub fn confirm_by(calendar: &Calendar, received: DateTime<Utc>) -> DateTime<Utc> {
    working_deadline(calendar, received, CONFIRM_WORKING_DAYS)
}

/// By when the other party must be contacted, and the mediation concluded, after confirming at
/// `accepted`.
pub fn after_confirming(calendar: &Calendar, accepted: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = accepted.with_timezone(&crate::china_time()).date_naive() + Duration::days(MEDIATION_DAYS);
    let mediate_by = crate::china_instant(day, NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time"));
    (working_deadline(calendar, accepted, CONTACT_WORKING_DAYS), mediate_by)
}

/// Why a referred mediation failed, in words as the court reads them (Simplified Chinese):
/// the outcome's label and the conclusion's summary — "调解不成：双方对利息分歧较大".
pub fn failure_reason(outcome: Option<Outcome>, summary: Option<&str>) -> String {
    let t = T { lang: UiLang::Hans };
    let label = t.code("outcome", outcome.unwrap_or(Outcome::Unresolved).as_str());
    match summary.map(str::trim).filter(|s| !s.is_empty()) {
        Some(summary) => format!("{label}：{summary}"),
        None => label,
    }
}

/// The columns of a workbook of referrals, in the template's order: the court's case number,
/// the dispute, the parties, the facts (纠纷事实) and the claims (诉讼请求).
pub const IMPORT_COLUMNS: [Column; 12] = [
    ("court_case_number", true, &["法院案号", "案号", "委派案号"]),
    ("category", false, &["案件类别", "纠纷类别", "案由"]),
    ("region_code", false, &["所属区域(代码)", "所属区域（代码）", "所属区域", "区域代码"]),
    ("address", false, &["纠纷发生地", "事发地点"]),
    ("applicant_name", true, &["申请人", "原告"]),
    ("applicant_id_number", false, &["申请人身份证号码", "原告身份证号"]),
    ("applicant_phone", false, &["申请人联系电话", "原告联系电话"]),
    ("respondent_name", false, &["被申请人", "被告"]),
    ("respondent_phone", false, &["被申请人联系电话", "被告联系电话"]),
    ("amount", false, &["标的额", "诉讼标的额"]),
    ("description", true, &["纠纷事实", "事实与理由", "纠纷简要情况"]),
    ("claims", false, &["诉讼请求", "请求事项"]),
];

/// The most referrals one batch may carry, by API or in a workbook.
pub const BATCH_MAX: usize = 200;
/// The longest court case number.
pub const NUMBER_MAX: usize = 100;
/// How the claims follow the facts in the case's description.
const CLAIMS_HEADING: &str = "诉讼请求：";

/// How a workbook of referrals reads: by the court's case number.
const SHEET: SentSheet =
    SentSheet { columns: &IMPORT_COLUMNS, number_field: "court_case_number", number_max: NUMBER_MAX, column_of };

/// Checks a sheet of referrals row by row, as a referral by API is checked (`now` bounds its
/// times): a fault is named by its row and column (`line[6].applicant_phone`), and a court
/// number given twice is a fault of its later row. Each item is a `court` case under the
/// court's number. `Err` with the faults of the sheet as a whole (more than [`BATCH_MAX`]
/// rows among them).
pub fn import(sheet: &[Vec<SheetCell>], now: DateTime<Utc>) -> Result<SentImport, Vec<FieldError>> {
    let placed = sheet_rows(sheet, &IMPORT_COLUMNS)?;
    if placed.len() > BATCH_MAX {
        return Err(vec![FieldError::new("file", "too_many_rows", msg!("referral.batch_size", max = BATCH_MAX))]);
    }
    Ok(sent_rows(placed, &SHEET, now, |cell| {
        let description = match (cell.get("description"), cell.get("claims")) {
            (Some(facts), Some(claims)) => Some(format!("{facts}\n{CLAIMS_HEADING}{claims}")),
            (facts, _) => facts,
        };
        CaseRegistration {
            channel: Some(Channel::Court.as_str().to_owned()),
            description,
            category: cell.category.map(|c| c.as_str().to_owned()),
            amount: cell.get("amount").map(serde_json::Value::String),
            location: Some(LocationInput {
                address: cell.get("address"),
                region_code: cell.get("region_code"),
                ..Default::default()
            }),
            parties: Some(
                [
                    (
                        "applicant",
                        cell.get("applicant_name"),
                        cell.get("applicant_id_number"),
                        cell.get("applicant_phone"),
                    ),
                    ("respondent", cell.get("respondent_name"), None, cell.get("respondent_phone")),
                ]
                .into_iter()
                .filter(|(role, name, _, phone)| *role == "applicant" || name.is_some() || phone.is_some())
                .map(|(role, name, id_number, phone)| PartyInput {
                    role: Some(role.to_owned()),
                    name,
                    id_number,
                    phone,
                    ..Default::default()
                })
                .collect(),
            ),
            ..Default::default()
        }
    }))
}

/// The workbook's column a registration's field comes from.
fn column_of(field: &str) -> &str {
    match field {
        "location.region_code" => "region_code",
        "location.address" => "address",
        "parties[0].name" => "applicant_name",
        "parties[0].id_number" => "applicant_id_number",
        "parties[0].phone" => "applicant_phone",
        "parties[1].name" => "respondent_name",
        "parties[1].phone" => "respondent_phone",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concluded_case_ends_the_referral_by_its_outcome() {
        assert_eq!(State::of("received", Status::Registered, None, false), State::Received);
        assert_eq!(State::of("accepted", Status::InProgress, None, false), State::Accepted);
        assert_eq!(State::of("accepted", Status::InProgress, None, true), State::Mediating);
        assert_eq!(State::of("accepted", Status::Concluded, Some(Outcome::Resolved), true), State::Succeeded);
        assert_eq!(State::of("accepted", Status::Concluded, Some(Outcome::Unresolved), true), State::Failed);
        assert_eq!(State::of("declined", Status::Registered, None, false), State::Declined);
    }

    #[test]
    fn the_clock_due_next_follows_the_state() {
        let at = |d: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, d, 0, 0, 0).unwrap();
        assert_eq!(due(State::Received, at(5), None, None), Some(at(5)));
        assert_eq!(due(State::Accepted, at(5), Some(at(6)), Some(at(30))), Some(at(6)));
        assert_eq!(due(State::Mediating, at(5), Some(at(6)), Some(at(30))), Some(at(30)));
        assert_eq!(due(State::Succeeded, at(5), Some(at(6)), Some(at(30))), None);
    }

    fn text_rows(rows: &[&[&str]]) -> Vec<Vec<SheetCell>> {
        rows.iter().map(|r| r.iter().map(|c| SheetCell::Text((*c).to_owned())).collect()).collect()
    }

    #[test]
    fn a_workbook_names_each_fault_by_row_and_column_and_a_repeated_number_by_its_later_row() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 2, 1, 0, 0).unwrap();
        let sheet = text_rows(&[
            &["法院案号", "申请人姓名", "申请人电话", "纠纷描述", "诉讼请求"],
            &["(2026)甘0102民诉前调1号", "马丽", "13912345678", "拖欠装修款两万元", "支付装修款"],
            &["", "张强", "12345", "拖欠货款", ""],
            &["(2026)甘0102民诉前调1号", "王五", "", "借款未还", ""],
        ]);
        let read = import(&sheet, now).unwrap();
        let fields: Vec<&str> = read.faults.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["line[2].court_case_number", "line[2].applicant_phone", "line[3].court_case_number"]);
        assert_eq!(read.rows.len(), 3);
        assert_eq!(read.items.len(), 1, "only the faultless row");
        let first = &read.items[0];
        assert_eq!(first.registration.channel.as_deref(), Some("court"));
        assert_eq!(first.registration.description.as_deref(), Some("拖欠装修款两万元\n诉讼请求：支付装修款"));
    }

    #[test]
    fn a_workbook_over_the_batch_is_refused_whole() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 2, 1, 0, 0).unwrap();
        let header: &[&str] = &["法院案号", "申请人姓名", "纠纷描述"];
        let row: &[&str] = &["1", "马丽", "拖欠"];
        let sheet =
            text_rows(&std::iter::once(header).chain(std::iter::repeat_n(row, BATCH_MAX + 1)).collect::<Vec<_>>());
        let faults = import(&sheet, now).unwrap_err();
        assert_eq!(faults[0].field, "file");
    }

    #[test]
    fn a_failure_reads_in_words_the_outcome_then_the_summary() {
        assert_eq!(failure_reason(Some(Outcome::Unresolved), Some("双方分歧较大")), "调解不成：双方分歧较大");
        assert_eq!(failure_reason(Some(Outcome::Refused), Some(" ")), "拒绝调解");
        assert_eq!(failure_reason(Some(Outcome::Withdrawn), None), "撤回");
    }
}
