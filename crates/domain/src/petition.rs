//! 信访转办 (issue 18, DOMAIN.md §2.1, 《信访工作条例》 2022): a petition a petition office
//! (信访部门) transfers to the centre, and its statutory clocks.
//!
//! | clock | limit | from | article |
//! |---|---|---|---|
//! | accept or transfer on 受理或转送 | 15 days | the centre's receipt | 22, 23 |
//! | object, not within remit 提出异议 | 5 working days | the centre's receipt | 23 ¶3 |
//! | handle, 信访处理意见书 | 60 days (+ one extension ≤ 30 days) | acceptance | 34 |
//! | request 复查 | 30 days | the written reply | 35 |
//! | reply to 复查 | 30 days | the request | 35 |
//! | request 复核 | 30 days | the 复查 reply | 36 |
//! | reply to 复核 | 30 days | the request | 36 |
//!
//! **Calendar or working days.** The 条例 counts in 日 everywhere except art. 23 ¶3, which says
//! "5个工作日". 日 are calendar days: those limits are reckoned with [`Calendar::add_days`]
//! (民法典 arts. 201, 203 — the start day is not counted, and a period whose last day is a rest
//! day ends on the first working day after it; a holiday inside the period does not lengthen
//! it). Only the objection runs on [`Calendar::add_working_days`]. Every limit falls due at the
//! end (23:59:59 China time) of its last day.
//!
//! After the 复核 reply the same matter is not accepted again (art. 36 ¶3); a third review is
//! refused. The extension is granted once, with a reason the petitioner is told (art. 34).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::calendar::Calendar;
use crate::clocks::ClockState;
use crate::msg;
use crate::org::coded_enum;
use crate::validation::{FieldError, Message};

/// 受理或转送: days (日) from the centre's receipt (arts. 22, 23).
pub const ACCEPT_DAYS: u32 = 15;
/// 提出异议: working days (工作日) from the centre's receipt (art. 23 ¶3).
pub const OBJECT_WORKING_DAYS: u32 = 5;
/// 办理并出具信访处理意见书: days from acceptance (art. 34).
pub const HANDLE_DAYS: u32 = 60;
/// The one extension: at most this many days (art. 34).
pub const EXTENSION_MAX_DAYS: i64 = 30;
/// 复查/复核 may be requested within this many days of the reply they contest (arts. 35, 36).
pub const REVIEW_REQUEST_DAYS: u32 = 30;
/// 复查/复核 are answered within this many days of the request (arts. 35, 36).
pub const REVIEW_REPLY_DAYS: u32 = 30;
/// The longest reason, reply or facts text.
pub const TEXT_MAX: usize = 2000;

coded_enum! {
    /// Where a petition stands.
    Stage {
        /// Received from the petition office, not yet accepted.
        Received = "received",
        /// 受理: the centre handles it; the 信访处理意见书 is due.
        Accepted = "accepted",
        /// 异议退回: sent back to the petition office as not within the centre's remit.
        Objected = "objected",
        /// 转送: sent on to another organ.
        Transferred = "transferred",
        /// 已出具处理意见书: the written reply is out; 复查 may be requested.
        Replied = "replied",
        /// 复查中: a review was requested.
        Reviewing = "reviewing",
        /// 已复查: the review was answered; 复核 may be requested.
        Reviewed = "reviewed",
        /// 复核中: a re-examination was requested.
        Rechecking = "rechecking",
        /// 已复核: final; the same matter is not accepted again.
        Rechecked = "rechecked",
    }
}

coded_enum! {
    /// One statutory clock of a petition.
    PetitionClock {
        Accept = "accept",
        Object = "object",
        Handle = "handle",
        ReviewRequest = "review_request",
        ReviewReply = "review_reply",
        RecheckRequest = "recheck_request",
        RecheckReply = "recheck_reply",
    }
}

impl PetitionClock {
    /// Whether the centre owes this (and the supervision ladder watches it); the objection is
    /// an option the centre has and the requests are the petitioner's windows.
    pub fn is_duty(self) -> bool {
        matches!(
            self,
            PetitionClock::Accept | PetitionClock::Handle | PetitionClock::ReviewReply | PetitionClock::RecheckReply
        )
    }
}

/// What a petition's clocks are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub stage: Stage,
    pub received_at: DateTime<Utc>,
    /// When it was accepted, objected to or transferred: the end of the first two clocks.
    pub decided_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub extension_days: i64,
    pub replied_at: Option<DateTime<Utc>>,
    pub review_requested_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub recheck_requested_at: Option<DateTime<Utc>>,
    pub rechecked_at: Option<DateTime<Utc>>,
}

/// One clock with its due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub clock: PetitionClock,
    pub due_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub state: ClockState,
}

impl Clock {
    /// Whether it still runs (on time or overdue).
    pub fn is_open(&self) -> bool {
        matches!(self.state, ClockState::Running | ClockState::Overdue)
    }

    /// Its state's code (`clock_state.*` in the catalogue).
    pub fn state_code(&self) -> &'static str {
        match self.state {
            ClockState::NotStarted => "not_started",
            ClockState::Running => "running",
            ClockState::Overdue => "overdue",
            ClockState::Met => "met",
            ClockState::Missed => "missed",
        }
    }
}

fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    crate::china_instant(date, NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time"))
}

fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&crate::china_time()).date_naive()
}

/// The end of a period of `n` days (日) after `from`'s day (民法典 arts. 201, 203).
pub fn days_after(calendar: &Calendar, from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    end_of_day(calendar.add_days(china_date(from), n).date)
}

/// The end of the `n`th working day after `from`'s day.
pub fn working_days_after(calendar: &Calendar, from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    end_of_day(calendar.add_working_days(china_date(from), n).date)
}

/// By when a petition received at `received` must be accepted or transferred on, and by when
/// the centre may object that it is not within its remit.
pub fn on_receipt(calendar: &Calendar, received: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (days_after(calendar, received, ACCEPT_DAYS), working_days_after(calendar, received, OBJECT_WORKING_DAYS))
}

/// By when a petition accepted at `accepted` must be handled and its 信访处理意见书 issued,
/// with the days of its extension, if any.
pub fn handle_by(calendar: &Calendar, accepted: DateTime<Utc>, extension_days: i64) -> DateTime<Utc> {
    let extension = extension_days.clamp(0, EXTENSION_MAX_DAYS) as u32;
    days_after(calendar, accepted, HANDLE_DAYS + extension)
}

fn clock(
    clock: PetitionClock,
    due_at: DateTime<Utc>,
    stopped_at: Option<DateTime<Utc>>,
    running: bool,
    now: DateTime<Utc>,
) -> Clock {
    let state = match stopped_at {
        Some(stop) if stop <= due_at => ClockState::Met,
        Some(_) => ClockState::Missed,
        None if !running => ClockState::NotStarted,
        None if now > due_at => ClockState::Overdue,
        None => ClockState::Running,
    };
    Clock { clock, due_at, stopped_at, state }
}

/// Every clock of a petition that has started, in the order they start. A clock that ended
/// without being used (the objection once the petition was accepted, a review window that
/// passed unused) shows as not started.
pub fn clocks(facts: &Facts, calendar: &Calendar, now: DateTime<Utc>) -> Vec<Clock> {
    use Stage::*;
    let (accept_by, object_by) = on_receipt(calendar, facts.received_at);
    let received = facts.stage == Received;
    let objected = (facts.stage == Objected).then_some(facts.decided_at).flatten();
    let mut out = vec![
        clock(PetitionClock::Accept, accept_by, facts.decided_at, received, now),
        clock(PetitionClock::Object, object_by, objected, received && now <= object_by, now),
    ];
    if let Some(accepted) = facts.accepted_at {
        let due = handle_by(calendar, accepted, facts.extension_days);
        out.push(clock(PetitionClock::Handle, due, facts.replied_at, facts.stage == Accepted, now));
    }
    if let Some(replied) = facts.replied_at {
        let due = days_after(calendar, replied, REVIEW_REQUEST_DAYS);
        out.push(clock(PetitionClock::ReviewRequest, due, facts.review_requested_at, facts.stage == Replied, now));
    }
    if let Some(requested) = facts.review_requested_at {
        let due = days_after(calendar, requested, REVIEW_REPLY_DAYS);
        out.push(clock(PetitionClock::ReviewReply, due, facts.reviewed_at, facts.stage == Reviewing, now));
    }
    if let Some(reviewed) = facts.reviewed_at {
        let due = days_after(calendar, reviewed, REVIEW_REQUEST_DAYS);
        out.push(clock(PetitionClock::RecheckRequest, due, facts.recheck_requested_at, facts.stage == Reviewed, now));
    }
    if let Some(requested) = facts.recheck_requested_at {
        let due = days_after(calendar, requested, REVIEW_REPLY_DAYS);
        out.push(clock(PetitionClock::RecheckReply, due, facts.rechecked_at, facts.stage == Rechecking, now));
    }
    out
}

/// What the centre (or the petitioner, through it) does to a petition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// 受理
    Accept,
    /// 提出异议: not within the centre's remit, back to the petition office.
    Object { reason: String },
    /// 转送: on to another organ.
    Transfer { to: String, reason: String },
    /// 延期: once, at most 30 days, with the reason the petitioner is told.
    Extend { days: i64, reason: String },
    /// The written reply due now: the 信访处理意见书, or the 复查/复核 opinion.
    Reply { text: String },
    /// The petitioner asks for 复查, or after it for 复核.
    RequestReview,
}

/// Why a command is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Its input (422), each field named.
    Invalid(Vec<FieldError>),
    /// Not now (409): the code and why.
    Conflict(&'static str, Message),
}

/// The stage a command leads to, or why it is refused, for a petition at `facts` at `now`.
pub fn decide(facts: &Facts, command: &Command, calendar: &Calendar, now: DateTime<Utc>) -> Result<Stage, Refusal> {
    use Stage::*;
    let conflict = |code: &'static str, message: Message| Err(Refusal::Conflict(code, message));
    let wrong_stage = || conflict("petition_stage", msg!("petition.wrong_stage"));
    let shown = |at: DateTime<Utc>| at.with_timezone(&crate::china_time()).format("%Y-%m-%d %H:%M").to_string();
    match command {
        Command::Accept => {
            if facts.stage == Received {
                Ok(Accepted)
            } else {
                wrong_stage()
            }
        }
        Command::Object { reason } => {
            required("reason", reason)?;
            if facts.stage != Received {
                return wrong_stage();
            }
            let (_, object_by) = on_receipt(calendar, facts.received_at);
            if now > object_by {
                return conflict("petition_objection_closed", msg!("petition.objection_closed", by = shown(object_by)));
            }
            Ok(Objected)
        }
        Command::Transfer { to, reason } => {
            let mut errors = Vec::new();
            errors.extend(required("transfer_to", to).err().into_iter().flat_map(invalid_fields));
            errors.extend(required("reason", reason).err().into_iter().flat_map(invalid_fields));
            if !errors.is_empty() {
                return Err(Refusal::Invalid(errors));
            }
            if facts.stage == Received { Ok(Transferred) } else { wrong_stage() }
        }
        Command::Extend { days, reason } => {
            if facts.extension_days > 0 {
                return Err(Refusal::Invalid(vec![FieldError::new(
                    "days",
                    "extended_once",
                    msg!("petition.extended_once", days = facts.extension_days),
                )]));
            }
            let mut errors = Vec::new();
            if !(1..=EXTENSION_MAX_DAYS).contains(days) {
                errors.push(FieldError::new(
                    "days",
                    "out_of_range",
                    msg!("field.between", min = 1, max = EXTENSION_MAX_DAYS),
                ));
            }
            errors.extend(required("reason", reason).err().into_iter().flat_map(invalid_fields));
            if !errors.is_empty() {
                return Err(Refusal::Invalid(errors));
            }
            if facts.stage != Accepted {
                return wrong_stage();
            }
            // An extension lengthens a period that still runs; once it has run out, the reply
            // is late, and no extension hides it.
            let Some(accepted_at) = facts.accepted_at else { return wrong_stage() };
            let by = handle_by(calendar, accepted_at, 0);
            if now > by {
                return conflict("petition_extension_late", msg!("petition.extension_late", by = shown(by)));
            }
            Ok(Accepted)
        }
        Command::Reply { text } => {
            required("text", text)?;
            match facts.stage {
                Accepted => Ok(Replied),
                Reviewing => Ok(Reviewed),
                Rechecking => Ok(Rechecked),
                _ => wrong_stage(),
            }
        }
        Command::RequestReview => {
            let (from, next) = match facts.stage {
                Replied => (facts.replied_at, Reviewing),
                Reviewed => (facts.reviewed_at, Rechecking),
                Rechecked => return conflict("petition_final", msg!("petition.final")),
                _ => return wrong_stage(),
            };
            let Some(from) = from else { return wrong_stage() };
            let by = days_after(calendar, from, REVIEW_REQUEST_DAYS);
            if now > by {
                return conflict("petition_review_closed", msg!("petition.review_closed", by = shown(by)));
            }
            Ok(next)
        }
    }
}

fn invalid_fields(refusal: Refusal) -> Vec<FieldError> {
    match refusal {
        Refusal::Invalid(errors) => errors,
        Refusal::Conflict(..) => Vec::new(),
    }
}

/// Some words, at most [`TEXT_MAX`] characters.
fn required(field: &str, text: &str) -> Result<(), Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::Invalid(vec![FieldError::required(field)]));
    }
    if text.chars().count() > TEXT_MAX {
        return Err(Refusal::Invalid(vec![FieldError::new(field, "too_long", msg!("field.too_long", max = TEXT_MAX))]));
    }
    Ok(())
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

    fn received(s: &str) -> Facts {
        Facts {
            stage: Stage::Received,
            received_at: at(s),
            decided_at: None,
            accepted_at: None,
            extension_days: 0,
            replied_at: None,
            review_requested_at: None,
            reviewed_at: None,
            recheck_requested_at: None,
            rechecked_at: None,
        }
    }

    fn accepted(s: &str) -> Facts {
        Facts { stage: Stage::Accepted, decided_at: Some(at(s)), accepted_at: Some(at(s)), ..received(s) }
    }

    fn replied(s: &str) -> Facts {
        Facts { stage: Stage::Replied, replied_at: Some(at(s)), ..accepted("2026-01-05T10:00:00+08:00") }
    }

    fn code(refusal: Result<Stage, Refusal>) -> String {
        match refusal {
            Err(Refusal::Conflict(code, _)) => code.to_owned(),
            Err(Refusal::Invalid(errors)) => errors.iter().map(|e| format!("{}:{}", e.field, e.code)).collect(),
            Ok(stage) => stage.as_str().to_owned(),
        }
    }

    #[test]
    fn accept_is_due_fifteen_calendar_days_after_receipt_a_holiday_inside_not_counted_apart() {
        // Received Monday 2 November 2026: 15 days later is Tuesday 17 November.
        let (accept_by, _) = on_receipt(&calendar(), at("2026-11-02T10:00:00+08:00"));
        assert_eq!(accept_by, at("2026-11-17T23:59:59+08:00"));
        // Received Friday 25 September 2026: the National Day holiday (1–7 October) lies inside
        // the fifteen days and does not lengthen them; the last day, Saturday 10 October, is a
        // working Saturday, so the period ends that day.
        let (accept_by, _) = on_receipt(&calendar(), at("2026-09-25T10:00:00+08:00"));
        assert_eq!(accept_by, at("2026-10-10T23:59:59+08:00"));
    }

    #[test]
    fn a_calendar_day_period_ending_on_a_rest_day_ends_on_the_next_working_day() {
        // Received Thursday 17 September 2026: day 15 is Thursday 2 October, inside the
        // holiday; the period ends on Thursday 8 October, the first working day after it.
        let (accept_by, _) = on_receipt(&calendar(), at("2026-09-17T10:00:00+08:00"));
        assert_eq!(accept_by, at("2026-10-08T23:59:59+08:00"));
        // Received Wednesday 4 November 2026: day 15 is Thursday 19 November, a working day.
        let (accept_by, _) = on_receipt(&calendar(), at("2026-11-04T10:00:00+08:00"));
        assert_eq!(accept_by, at("2026-11-19T23:59:59+08:00"));
        // Received Saturday 7 November: day 15 is Sunday 22 November, so Monday 23 November.
        let (accept_by, _) = on_receipt(&calendar(), at("2026-11-07T10:00:00+08:00"));
        assert_eq!(accept_by, at("2026-11-23T23:59:59+08:00"));
    }

    #[test]
    fn the_accept_clock_the_day_before_of_and_after_its_deadline() {
        let facts = received("2026-11-02T10:00:00+08:00");
        let state = |now: &str| clocks(&facts, &calendar(), at(now))[0].state;
        assert_eq!(state("2026-11-16T12:00:00+08:00"), ClockState::Running);
        assert_eq!(state("2026-11-17T23:59:59+08:00"), ClockState::Running);
        assert_eq!(state("2026-11-18T00:00:00+08:00"), ClockState::Overdue);
        let met = Facts { decided_at: Some(at("2026-11-17T18:00:00+08:00")), ..accepted("2026-11-17T18:00:00+08:00") };
        let met = Facts { received_at: at("2026-11-02T10:00:00+08:00"), ..met };
        assert_eq!(clocks(&met, &calendar(), at("2026-12-01T00:00:00+08:00"))[0].state, ClockState::Met);
        let late = Facts { received_at: at("2026-11-02T10:00:00+08:00"), ..accepted("2026-11-18T09:00:00+08:00") };
        assert_eq!(clocks(&late, &calendar(), at("2026-12-01T00:00:00+08:00"))[0].state, ClockState::Missed);
    }

    #[test]
    fn the_objection_runs_five_working_days_and_a_holiday_inside_lengthens_it() {
        // Monday 2 November: five working days is Monday 9 November.
        let (_, object_by) = on_receipt(&calendar(), at("2026-11-02T10:00:00+08:00"));
        assert_eq!(object_by, at("2026-11-09T23:59:59+08:00"));
        // Wednesday 30 September: 1–7 October is the holiday; 8, 9, 10 (a working Saturday),
        // 12 and 13 October are the five working days.
        let (_, object_by) = on_receipt(&calendar(), at("2026-09-30T10:00:00+08:00"));
        assert_eq!(object_by, at("2026-10-13T23:59:59+08:00"));
        let facts = received("2026-11-02T10:00:00+08:00");
        let object = Command::Object { reason: "属于法院诉讼程序".into() };
        let decide_at = |now: &str| code(decide(&facts, &object, &calendar(), at(now)));
        assert_eq!(decide_at("2026-11-08T10:00:00+08:00"), "objected", "the day before");
        assert_eq!(decide_at("2026-11-09T23:00:00+08:00"), "objected", "the day of");
        assert_eq!(decide_at("2026-11-10T00:00:01+08:00"), "petition_objection_closed", "the day after");
        let blank = Command::Object { reason: " ".into() };
        assert_eq!(code(decide(&facts, &blank, &calendar(), at("2026-11-03T10:00:00+08:00"))), "reason:required");
    }

    #[test]
    fn handling_is_due_sixty_days_after_acceptance_plus_the_extension() {
        // Accepted Monday 3 August 2026: day 60 is Friday 2 October, inside the National Day
        // holiday; the period ends on Thursday 8 October, the first working day after it.
        assert_eq!(handle_by(&calendar(), at("2026-08-03T10:00:00+08:00"), 0), at("2026-10-08T23:59:59+08:00"));
        // With the 30 days of the extension: day 90 is Sunday 1 November → Monday 2 November.
        assert_eq!(handle_by(&calendar(), at("2026-08-03T10:00:00+08:00"), 30), at("2026-11-02T23:59:59+08:00"));
        // An extension is counted at most 30 days.
        assert_eq!(handle_by(&calendar(), at("2026-08-03T10:00:00+08:00"), 45), at("2026-11-02T23:59:59+08:00"));
        // Accepted Thursday 1 October 2026 (inside the holiday): day 60 is Monday 30 November.
        let due = handle_by(&calendar(), at("2026-10-01T10:00:00+08:00"), 0);
        assert_eq!(due, at("2026-11-30T23:59:59+08:00"));
        let facts = accepted("2026-10-01T10:00:00+08:00");
        let state = |now: &str| clocks(&facts, &calendar(), at(now))[2].state;
        assert_eq!(state("2026-11-29T10:00:00+08:00"), ClockState::Running, "the day before");
        assert_eq!(state("2026-11-30T23:00:00+08:00"), ClockState::Running, "the day of");
        assert_eq!(state("2026-12-01T00:00:01+08:00"), ClockState::Overdue, "the day after");
    }

    #[test]
    fn one_extension_of_at_most_thirty_days_with_a_reason() {
        let facts = accepted("2026-11-02T10:00:00+08:00");
        let now = at("2026-11-20T10:00:00+08:00");
        let extend = |days: i64, reason: &str| Command::Extend { days, reason: reason.into() };
        assert_eq!(code(decide(&facts, &extend(30, "需要现场核查"), &calendar(), now)), "accepted");
        assert_eq!(code(decide(&facts, &extend(1, "需要现场核查"), &calendar(), now)), "accepted");
        assert_eq!(code(decide(&facts, &extend(31, "需要现场核查"), &calendar(), now)), "days:out_of_range");
        assert_eq!(code(decide(&facts, &extend(0, "需要现场核查"), &calendar(), now)), "days:out_of_range");
        assert_eq!(code(decide(&facts, &extend(10, ""), &calendar(), now)), "reason:required");
        let extended = Facts { extension_days: 10, ..facts.clone() };
        assert_eq!(code(decide(&extended, &extend(10, "再次核查"), &calendar(), now)), "days:extended_once");
        let received = received("2026-11-02T10:00:00+08:00");
        assert_eq!(code(decide(&received, &extend(10, "核查"), &calendar(), now)), "petition_stage");
        // Within the 60 days only: accepted Thursday 1 October, the period ends Monday 30 November.
        let late = accepted("2026-10-01T10:00:00+08:00");
        let extend_at = |now: &str| code(decide(&late, &extend(10, "需要现场核查"), &calendar(), at(now)));
        assert_eq!(extend_at("2026-11-30T23:00:00+08:00"), "accepted", "the last day");
        assert_eq!(extend_at("2026-12-01T00:00:01+08:00"), "petition_extension_late", "the day after");
    }

    #[test]
    fn review_may_be_requested_within_thirty_days_of_the_reply() {
        // Replied Monday 2 November 2026: the window ends Wednesday 2 December.
        let facts = replied("2026-11-02T10:00:00+08:00");
        let request = |now: &str| code(decide(&facts, &Command::RequestReview, &calendar(), at(now)));
        assert_eq!(request("2026-12-01T10:00:00+08:00"), "reviewing", "the day before");
        assert_eq!(request("2026-12-02T23:59:00+08:00"), "reviewing", "the day of");
        assert_eq!(request("2026-12-03T00:00:01+08:00"), "petition_review_closed", "the day after");
    }

    #[test]
    fn reviews_are_answered_within_thirty_days_then_recheck_then_final() {
        let requested = at("2026-11-02T10:00:00+08:00");
        let facts = Facts {
            stage: Stage::Reviewing,
            review_requested_at: Some(requested),
            ..replied("2026-11-01T10:00:00+08:00")
        };
        let all = clocks(&facts, &calendar(), at("2026-12-03T00:00:01+08:00"));
        let reply = all.iter().find(|c| c.clock == PetitionClock::ReviewReply).unwrap();
        assert_eq!((reply.due_at, reply.state), (at("2026-12-02T23:59:59+08:00"), ClockState::Overdue));
        let reply_cmd = Command::Reply { text: "维持原处理意见".into() };
        assert_eq!(code(decide(&facts, &reply_cmd, &calendar(), at("2026-11-20T10:00:00+08:00"))), "reviewed");
        let reviewed = Facts { stage: Stage::Reviewed, reviewed_at: Some(at("2026-11-20T10:00:00+08:00")), ..facts };
        let now = at("2026-12-20T10:00:00+08:00");
        assert_eq!(code(decide(&reviewed, &Command::RequestReview, &calendar(), now)), "rechecking");
        let rechecking = Facts { stage: Stage::Rechecking, recheck_requested_at: Some(now), ..reviewed };
        let recheck = clocks(&rechecking, &calendar(), now);
        let due = recheck.iter().find(|c| c.clock == PetitionClock::RecheckReply).unwrap();
        // Day 30 after Sunday 20 December 2026 is Tuesday 19 January 2027.
        assert_eq!((due.due_at, due.state), (at("2027-01-19T23:59:59+08:00"), ClockState::Running));
        assert_eq!(code(decide(&rechecking, &reply_cmd, &calendar(), now)), "rechecked");
        let done = Facts { stage: Stage::Rechecked, rechecked_at: Some(now), ..rechecking };
        assert_eq!(code(decide(&done, &Command::RequestReview, &calendar(), now)), "petition_final");
        assert_eq!(code(decide(&done, &reply_cmd, &calendar(), now)), "petition_stage");
    }

    #[test]
    fn commands_only_in_their_stage() {
        let facts = received("2026-11-02T10:00:00+08:00");
        let now = at("2026-11-03T10:00:00+08:00");
        assert_eq!(code(decide(&facts, &Command::Accept, &calendar(), now)), "accepted");
        let transfer = Command::Transfer {
            to: "区人力资源和社会保障局".into(), reason: "劳动保障监察事项".into()
        };
        assert_eq!(code(decide(&facts, &transfer, &calendar(), now)), "transferred");
        let blank = Command::Transfer { to: "".into(), reason: "".into() };
        assert_eq!(code(decide(&facts, &blank, &calendar(), now)), "transfer_to:requiredreason:required");
        assert_eq!(code(decide(&facts, &Command::RequestReview, &calendar(), now)), "petition_stage");
        assert_eq!(code(decide(&facts, &Command::Reply { text: "意见".into() }, &calendar(), now)), "petition_stage");
        let accepted = accepted("2026-11-02T10:00:00+08:00");
        assert_eq!(code(decide(&accepted, &Command::Accept, &calendar(), now)), "petition_stage");
        assert_eq!(code(decide(&accepted, &transfer, &calendar(), now)), "petition_stage");
        assert_eq!(code(decide(&accepted, &Command::Reply { text: " ".into() }, &calendar(), now)), "text:required");
        assert_eq!(code(decide(&accepted, &Command::Reply { text: "意见书".into() }, &calendar(), now)), "replied");
    }

    #[test]
    fn only_the_centres_duties_climb_the_ladder() {
        let duties: Vec<&str> = PetitionClock::ALL.iter().filter(|c| c.is_duty()).map(|c| c.as_str()).collect();
        assert_eq!(duties, ["accept", "handle", "review_reply", "recheck_reply"]);
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(*stage));
        }
    }
}
