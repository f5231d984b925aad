//! 重点人员 (issue 16): the register of people who need attention — repeated petitions, threats,
//! a severe mental illness flagged by the department responsible for it, a dispute history that
//! the computed register (`people_risk`) colours — each with a colour, the grid where they live
//! and a visit schedule (走访) for that grid's workers; each visit's outcome, and when a visit
//! escalates to the centre.
//!
//! The schedule: a person is visited every `visit_every_days` days (by default 7 for red, 15 for
//! orange, 30 for yellow — the weekly, fortnightly and monthly 走访 of 网格化 practice); a visit
//! falls due at the end (24:00, China time) of the last day of its interval, counted from the
//! last visit or, before the first, from entry on the register. A visit escalates (上报中心)
//! when the worker says so, or when the person was not met twice running (失联).
//!
//! Personal data is checked here and encrypted by the store; the register is found by blind
//! index, never by plaintext, and every look at it is recorded.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::case::Risk;
use crate::contact::Phone;
use crate::identity::IdNumber;
use crate::msg;
use crate::org::coded_enum;
use crate::validation::{Checker, FieldError, Message};

coded_enum! {
    /// Why a person is on the register (列管原因).
    WatchReason {
        /// 多次信访 — repeated petitions.
        RepeatedPetitions = "repeated_petitions",
        /// 扬言威胁、极端言行 — threats.
        Threats = "threats",
        /// 严重精神障碍 — flagged by the department responsible for it (卫健、公安).
        MentalIllness = "mental_illness",
        /// 矛盾纠纷高风险 — a dispute history the register colours.
        DisputeRisk = "dispute_risk",
        /// 其他
        Other = "other",
    }
}

coded_enum! {
    /// What a visit found (走访情况).
    VisitOutcome {
        /// 情况稳定
        Stable = "stable",
        /// 有新情况 — something changed; the note says what.
        Changed = "changed",
        /// 需上报中心 — the centre must act.
        Escalate = "escalate",
        /// 未见到本人
        NotMet = "not_met",
    }
}

coded_enum! {
    /// Whether a person is on the register.
    WatchStatus {
        /// 在册
        Active = "active",
        /// 已解除列管
        Released = "released",
    }
}

coded_enum! {
    /// Where a person's next visit stands.
    VisitDue {
        /// 已逾期
        Overdue = "overdue",
        /// 三天内到期
        Soon = "soon",
        /// 按计划
        Scheduled = "scheduled",
    }
}

/// The longest name.
pub const NAME_MAX: usize = 50;
/// The longest detail, note or reason.
pub const TEXT_MAX: usize = 2000;
/// The longest address.
pub const ADDRESS_MAX: usize = 200;
/// The longest name of a flagging department.
pub const DEPARTMENT_MAX: usize = 100;
/// The longest interval between two visits, in days.
pub const INTERVAL_MAX: i64 = 90;
/// A visit is "soon" due within this many days.
pub const SOON_DAYS: i64 = 3;
/// How far in the future a visit's time may lie, for phones whose clocks run a little fast.
const CLOCK_SKEW: Duration = Duration::minutes(10);

/// The default interval between visits for a colour: weekly for red, fortnightly for orange,
/// monthly otherwise.
pub fn default_interval(colour: Risk) -> i64 {
    match colour {
        Risk::Red => 7,
        Risk::Orange => 15,
        Risk::Yellow | Risk::None => 30,
    }
}

/// When the next visit falls due: the end of the China day `every_days` days after `from`.
pub fn next_visit_due(from: DateTime<Utc>, every_days: i64) -> DateTime<Utc> {
    let day = from.with_timezone(&crate::china_time()).date_naive() + Duration::days(every_days);
    crate::china_instant(day, NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time"))
}

/// Where a visit due at `due` stands at `now`.
pub fn visit_due(due: DateTime<Utc>, now: DateTime<Utc>) -> VisitDue {
    if now > due {
        VisitDue::Overdue
    } else if due - now <= Duration::days(SOON_DAYS) {
        VisitDue::Soon
    } else {
        VisitDue::Scheduled
    }
}

/// Why a visit goes to the centre, if it does: the worker asked, or the person was not met
/// twice running (`previous` is the outcome of the visit before).
pub fn escalation(outcome: VisitOutcome, previous: Option<VisitOutcome>) -> Option<Message> {
    match (outcome, previous) {
        (VisitOutcome::Escalate, _) => Some(msg!("watch.escalated")),
        (VisitOutcome::NotMet, Some(VisitOutcome::NotMet)) => Some(msg!("watch.not_met_twice")),
        _ => None,
    }
}

/// A person to put on the register (`POST /api/v1/people/watch`). Either the person's name with
/// an ID number or a phone, or `person_key` — the blind index of someone the computed register
/// lists, whose name and contact the store copies from their latest case.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct WatchInput {
    pub person_key: Option<String>,
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    /// Where the person lives, in words (楼栋、门牌).
    pub address: Option<String>,
    /// The grid where the person lives; its workers visit.
    pub grid_id: Option<i64>,
    /// repeated_petitions | threats | mental_illness | dispute_risk | other
    pub reason: Option<String>,
    /// The facts behind the reason, in words.
    pub detail: Option<String>,
    /// The department that flagged the person (required for a mental illness).
    pub flagged_by: Option<String>,
    /// red | orange | yellow
    pub colour: Option<String>,
    /// Days between visits; the colour's default when absent.
    pub visit_every_days: Option<i64>,
}

/// Who a new entry is: given in full, or someone the computed register knows.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchedPerson {
    Given { name: String, id_number: Option<IdNumber>, phone: Option<Phone> },
    Known { person_key: String },
}

/// A checked entry.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWatch {
    pub person: WatchedPerson,
    pub address: Option<String>,
    pub grid_id: i64,
    pub reason: WatchReason,
    pub detail: Option<String>,
    pub flagged_by: Option<String>,
    pub colour: Risk,
    pub visit_every_days: i64,
}

fn colour(c: &mut Checker, value: Option<&str>) -> Option<Risk> {
    let colour = c.code::<Risk>("colour", value, true)?;
    if colour == Risk::None {
        c.push(FieldError::new("colour", "not_one_of", msg!("watch.colour")));
        return None;
    }
    Some(colour)
}

fn interval(c: &mut Checker, value: Option<i64>, colour: Option<Risk>) -> i64 {
    match value {
        Some(days) if (1..=INTERVAL_MAX).contains(&days) => days,
        Some(_) => {
            c.push(FieldError::new(
                "visit_every_days",
                "out_of_range",
                msg!("field.between", min = 1, max = INTERVAL_MAX),
            ));
            0
        }
        None => default_interval(colour.unwrap_or(Risk::Yellow)),
    }
}

impl WatchInput {
    /// Every fault at once: a person named with a valid ID number or phone (or a known key), a
    /// grid, a reason of the list, the department for a mental illness, a colour, an interval
    /// in range.
    pub fn validate(self, today: NaiveDate) -> Result<NewWatch, Vec<FieldError>> {
        let mut c = Checker::default();
        let key = self.person_key.as_deref().map(str::trim).filter(|k| !k.is_empty());
        let person = match key {
            Some(key) => Some(WatchedPerson::Known { person_key: key.to_owned() }),
            None => {
                let name = c.required_text("name", self.name.as_deref(), NAME_MAX);
                let id_number = self
                    .id_number
                    .as_deref()
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .and_then(|v| c.check(crate::case::parse_id_number("id_number", v, today)));
                let phone = self.phone.as_deref().map(str::trim).filter(|v| !v.is_empty()).and_then(|v| {
                    c.check(
                        Phone::parse(v)
                            .map_err(|_| FieldError::new("phone", "invalid_phone", msg!("party.phone_invalid"))),
                    )
                });
                let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
                if !given(&self.id_number) && !given(&self.phone) {
                    c.push(FieldError::new("id_number", "required", msg!("watch.id_or_phone")));
                }
                name.map(|name| WatchedPerson::Given { name, id_number, phone })
            }
        };
        let address = c.optional_text("address", self.address.as_deref(), ADDRESS_MAX);
        let grid_id = self.grid_id;
        if grid_id.is_none() {
            c.push(FieldError::required("grid_id"));
        }
        let reason = c.code::<WatchReason>("reason", self.reason.as_deref(), true);
        let detail = c.optional_text("detail", self.detail.as_deref(), TEXT_MAX);
        let flagged_by = c.optional_text("flagged_by", self.flagged_by.as_deref(), DEPARTMENT_MAX);
        if reason == Some(WatchReason::MentalIllness) && flagged_by.is_none() {
            c.push(FieldError::new("flagged_by", "required", msg!("watch.flagged_by_required")));
        }
        let colour = colour(&mut c, self.colour.as_deref());
        let visit_every_days = interval(&mut c, self.visit_every_days, colour);
        c.into_result()?;
        let (Some(person), Some(grid_id), Some(reason), Some(colour)) = (person, grid_id, reason, colour) else {
            unreachable!("a missing required field is recorded as an error");
        };
        Ok(NewWatch { person, address, grid_id, reason, detail, flagged_by, colour, visit_every_days })
    }
}

/// A change of an entry's colour or schedule (`POST /api/v1/people/watch/{id}/schedule`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ScheduleInput {
    /// red | orange | yellow
    pub colour: Option<String>,
    /// Days between visits; the colour's default when absent.
    pub visit_every_days: Option<i64>,
}

/// A checked change of schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub colour: Risk,
    pub visit_every_days: i64,
}

impl ScheduleInput {
    pub fn validate(self) -> Result<Schedule, Vec<FieldError>> {
        let mut c = Checker::default();
        let colour = colour(&mut c, self.colour.as_deref());
        let visit_every_days = interval(&mut c, self.visit_every_days, colour);
        c.into_result()?;
        let Some(colour) = colour else { unreachable!("a missing colour is recorded as an error") };
        Ok(Schedule { colour, visit_every_days })
    }
}

/// A visit as the grid worker records it (`POST /api/v1/people/watch/{id}/visits`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VisitInput {
    /// When the visit took place (RFC 3339); now when absent.
    pub visited_at: Option<String>,
    /// What the visit found: stable | changed | escalate | not_met
    pub situation: Option<String>,
    /// What was seen and said; required unless the situation is stable.
    pub note: Option<String>,
}

/// A checked visit.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVisit {
    pub visited_at: DateTime<Utc>,
    pub outcome: VisitOutcome,
    pub note: Option<String>,
}

impl VisitInput {
    /// Every fault at once: a situation of the list, a time that is a time and not in the future,
    /// a note unless all is stable.
    pub fn validate(self, now: DateTime<Utc>) -> Result<NewVisit, Vec<FieldError>> {
        let mut c = Checker::default();
        let outcome = c.code::<VisitOutcome>("situation", self.situation.as_deref(), true);
        let visited_at = self.visited_at.as_deref().map(str::trim).filter(|t| !t.is_empty()).and_then(|text| {
            c.check(
                DateTime::<FixedOffset>::parse_from_rfc3339(text)
                    .map_err(|_| FieldError::new("visited_at", "invalid_time", msg!("field.not_a_time")))
                    .map(|at| at.with_timezone(&Utc))
                    .and_then(|at| {
                        if at > now + CLOCK_SKEW {
                            Err(FieldError::new("visited_at", "in_future", msg!("field.in_future")))
                        } else {
                            Ok(at)
                        }
                    }),
            )
        });
        let note = if outcome.is_some_and(|o| o != VisitOutcome::Stable) {
            c.required_text("note", self.note.as_deref(), TEXT_MAX)
        } else {
            c.optional_text("note", self.note.as_deref(), TEXT_MAX)
        };
        c.into_result()?;
        let Some(outcome) = outcome else { unreachable!("a missing outcome is recorded as an error") };
        Ok(NewVisit { visited_at: visited_at.unwrap_or(now), outcome, note })
    }
}

/// Releasing a person from the register (解除列管, `POST /api/v1/people/watch/{id}/release`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReleaseInput {
    pub reason: Option<String>,
}

impl ReleaseInput {
    pub fn validate(self) -> Result<String, Vec<FieldError>> {
        let mut c = Checker::default();
        let reason = c.required_text("reason", self.reason.as_deref(), TEXT_MAX);
        c.into_result()?;
        Ok(reason.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn china(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        crate::china_time().with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn person() -> WatchInput {
        WatchInput {
            name: Some("张三".into()),
            id_number: Some("11010519491231002X".into()),
            grid_id: Some(3),
            reason: Some("threats".into()),
            colour: Some("orange".into()),
            ..WatchInput::default()
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn the_default_interval_follows_the_colour() {
        assert_eq!(default_interval(Risk::Red), 7);
        assert_eq!(default_interval(Risk::Orange), 15);
        assert_eq!(default_interval(Risk::Yellow), 30);
        let entry = person().validate(today()).unwrap();
        assert_eq!(entry.visit_every_days, 15);
        assert_eq!(entry.colour, Risk::Orange);
    }

    #[test]
    fn a_visit_falls_due_at_the_end_of_the_china_day() {
        // 23:30 China time on the 28th is still the 28th: seven days later is the 5th, 23:59:59.
        let due = next_visit_due(china(2026, 11, 28, 23, 30), 7);
        assert_eq!(due, china(2026, 12, 5, 23, 59) + Duration::seconds(59));
        // 00:30 China time on the 29th is 16:30 UTC on the 28th: it counts from the 29th.
        let due = next_visit_due(china(2026, 11, 29, 0, 30), 1);
        assert_eq!(due, china(2026, 11, 30, 23, 59) + Duration::seconds(59));
    }

    #[test]
    fn due_states_turn_at_their_edges() {
        let due = china(2026, 12, 5, 23, 59);
        assert_eq!(visit_due(due, due - Duration::days(3) - Duration::seconds(1)), VisitDue::Scheduled);
        assert_eq!(visit_due(due, due - Duration::days(3)), VisitDue::Soon);
        assert_eq!(visit_due(due, due), VisitDue::Soon);
        assert_eq!(visit_due(due, due + Duration::seconds(1)), VisitDue::Overdue);
    }

    #[test]
    fn escalation_when_asked_or_not_met_twice_running() {
        use VisitOutcome as O;
        assert!(escalation(O::Escalate, None).is_some());
        assert!(escalation(O::Escalate, Some(O::Stable)).is_some());
        assert!(escalation(O::NotMet, Some(O::NotMet)).is_some());
        assert!(escalation(O::NotMet, None).is_none());
        assert!(escalation(O::NotMet, Some(O::Stable)).is_none());
        assert!(escalation(O::Changed, Some(O::NotMet)).is_none());
        assert!(escalation(O::Stable, Some(O::NotMet)).is_none());
    }

    #[test]
    fn an_entry_needs_a_name_an_id_or_phone_a_grid_a_reason_and_a_colour() {
        let errors = WatchInput::default().validate(today()).unwrap_err();
        assert_eq!(fields(&errors), ["name", "id_number", "grid_id", "reason", "colour"]);
        let phone_only = WatchInput { id_number: None, phone: Some("13912345678".into()), ..person() };
        assert!(phone_only.validate(today()).is_ok());
    }

    #[test]
    fn bad_values_are_named() {
        let bad = WatchInput {
            id_number: Some("110105194912310021".into()),
            phone: Some("12".into()),
            reason: Some("gossip".into()),
            colour: Some("none".into()),
            visit_every_days: Some(91),
            ..person()
        };
        let errors = bad.validate(today()).unwrap_err();
        assert_eq!(fields(&errors), ["id_number", "phone", "reason", "colour", "visit_every_days"]);
        let zero = WatchInput { visit_every_days: Some(0), ..person() };
        assert_eq!(fields(&zero.validate(today()).unwrap_err()), ["visit_every_days"]);
        let edge = WatchInput { visit_every_days: Some(INTERVAL_MAX), ..person() };
        assert_eq!(edge.validate(today()).unwrap().visit_every_days, INTERVAL_MAX);
    }

    #[test]
    fn a_mental_illness_needs_the_department_that_flagged_it() {
        let unflagged = WatchInput { reason: Some("mental_illness".into()), ..person() };
        assert_eq!(fields(&unflagged.validate(today()).unwrap_err()), ["flagged_by"]);
        let flagged =
            WatchInput { reason: Some("mental_illness".into()), flagged_by: Some("区卫健局".into()), ..person() };
        assert_eq!(flagged.validate(today()).unwrap().flagged_by.as_deref(), Some("区卫健局"));
    }

    #[test]
    fn a_known_person_needs_no_name() {
        let known = WatchInput { person_key: Some("abc".into()), name: None, id_number: None, ..person() };
        let entry = known.validate(today()).unwrap();
        assert_eq!(entry.person, WatchedPerson::Known { person_key: "abc".into() });
    }

    #[test]
    fn a_visit_needs_a_note_unless_all_is_stable() {
        let now = china(2026, 11, 28, 10, 0);
        let stable = VisitInput { situation: Some("stable".into()), ..VisitInput::default() };
        let visit = stable.validate(now).unwrap();
        assert_eq!((visit.outcome, visit.visited_at), (VisitOutcome::Stable, now));
        for outcome in ["changed", "escalate", "not_met"] {
            let bare = VisitInput { situation: Some(outcome.into()), ..VisitInput::default() };
            assert_eq!(fields(&bare.validate(now).unwrap_err()), ["note"], "{outcome}");
        }
        let missing = VisitInput::default().validate(now).unwrap_err();
        assert_eq!(fields(&missing), ["situation"]);
    }

    #[test]
    fn a_visit_is_not_in_the_future() {
        let now = china(2026, 11, 28, 10, 0);
        let at = |text: &str| VisitInput {
            situation: Some("stable".into()),
            visited_at: Some(text.into()),
            ..VisitInput::default()
        };
        assert!(at("2026-11-28T10:09:00+08:00").validate(now).is_ok());
        assert_eq!(fields(&at("2026-11-28T10:11:00+08:00").validate(now).unwrap_err()), ["visited_at"]);
        assert_eq!(fields(&at("yesterday").validate(now).unwrap_err()), ["visited_at"]);
    }

    #[test]
    fn a_schedule_and_a_release_are_checked() {
        let schedule = ScheduleInput { colour: Some("red".into()), visit_every_days: None }.validate().unwrap();
        assert_eq!(schedule, Schedule { colour: Risk::Red, visit_every_days: 7 });
        assert_eq!(fields(&ScheduleInput::default().validate().unwrap_err()), ["colour"]);
        assert_eq!(fields(&ReleaseInput::default().validate().unwrap_err()), ["reason"]);
        assert_eq!(ReleaseInput { reason: Some(" 已稳定 ".into()) }.validate().unwrap(), "已稳定");
    }
}
