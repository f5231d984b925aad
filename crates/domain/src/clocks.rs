//! The four clocks of a case (限时办理) and the supervision ladder (函单令督办) that runs on them
//! (PRODUCT.md "Deadlines and supervision", DOMAIN.md §2.3, §5.3).
//!
//! | clock | default | starts | stops |
//! |---|---|---|---|
//! | respond 响应联系 | 30 minutes | registration | first contact |
//! | dispatch 分类办理 | 24 hours | registration | first dispatch, or rejection |
//! | conclude 办结反馈 | 5 working days | the current hop's dispatch | conclusion |
//! | follow_up 跟踪问效 | 10 working days | conclusion | follow-up visit |
//!
//! Working-day clocks fall due at the end (24:00) of their last day (民法典 art. 203).

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::{Calendar, Reckoning};
use crate::case::{Category, Channel, Risk, Status};
use crate::china_time;
use crate::msg;
use crate::org::coded_enum;
use crate::validation::{FieldError, Message};

coded_enum! {
    /// 时限 — one of a case's four clocks.
    ClockKind {
        Respond = "respond",
        Dispatch = "dispatch",
        Conclude = "conclude",
        FollowUp = "follow_up",
    }
}

coded_enum! {
    /// The rungs of the supervision ladder.
    NoticeKind {
        /// 提醒函 — before the deadline, to the handling unit.
        Reminder = "reminder",
        /// 预警单 — at the deadline, to the unit and its supervising centre.
        Warning = "warning",
        /// 督办令 — from the centre one level up, once overdue for some working days.
        Order = "order",
    }
}

impl NoticeKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            NoticeKind::Reminder => "提醒函",
            NoticeKind::Warning => "预警单",
            NoticeKind::Order => "督办令",
        }
    }
}

impl ClockKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            ClockKind::Respond => "响应联系",
            ClockKind::Dispatch => "分类办理",
            ClockKind::Conclude => "办结反馈",
            ClockKind::FollowUp => "跟踪问效",
        }
    }
}

/// The time limits and ladder settings that apply to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClockPolicy {
    pub respond_minutes: i64,
    pub dispatch_hours: i64,
    pub conclude_working_days: i64,
    pub follow_up_working_days: i64,
    /// The reminder letter goes out when this share of a clock has run (default 80 %).
    pub reminder_percent: i64,
    /// The supervision order goes out after this many working days overdue (default 2).
    pub order_after_working_days: i64,
}

impl Default for ClockPolicy {
    /// The Lanzhou defaults (PRODUCT.md).
    fn default() -> Self {
        Self {
            respond_minutes: 30,
            dispatch_hours: 24,
            conclude_working_days: 5,
            follow_up_working_days: 10,
            reminder_percent: 80,
            order_after_working_days: 2,
        }
    }
}

impl ClockPolicy {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |field: &str, value: i64, min: i64, max: i64| {
            if !(min..=max).contains(&value) {
                errors.push(FieldError::new(field, "out_of_range", msg!("field.between", min = min, max = max)));
            }
        };
        check("respond_minutes", self.respond_minutes, 1, 7 * 24 * 60);
        check("dispatch_hours", self.dispatch_hours, 1, 30 * 24);
        check("conclude_working_days", self.conclude_working_days, 1, 365);
        check("follow_up_working_days", self.follow_up_working_days, 1, 365);
        check("reminder_percent", self.reminder_percent, 1, 99);
        check("order_after_working_days", self.order_after_working_days, 0, 60);
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// A policy for the cases it matches; an empty matcher matches every case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyRule {
    pub category: Option<Category>,
    pub channel: Option<Channel>,
    pub risk: Option<Risk>,
    #[serde(flatten)]
    pub policy: ClockPolicy,
}

impl PolicyRule {
    fn matches(&self, category: Category, channel: Channel, risk: Risk) -> Option<usize> {
        let fits = self.category.is_none_or(|c| c == category)
            && self.channel.is_none_or(|c| c == channel)
            && self.risk.is_none_or(|r| r == risk);
        fits.then(|| {
            usize::from(self.category.is_some())
                + usize::from(self.channel.is_some())
                + usize::from(self.risk.is_some())
        })
    }
}

/// The most specific matching rule wins (most of category, channel and risk given); among
/// equals, the first. Without any match, the defaults.
pub fn choose_policy(rules: &[PolicyRule], category: Category, channel: Channel, risk: Risk) -> ClockPolicy {
    let mut best: Option<(usize, &PolicyRule)> = None;
    for rule in rules {
        if let Some(score) = rule.matches(category, channel, risk)
            && best.is_none_or(|(s, _)| score > s)
        {
            best = Some((score, rule));
        }
    }
    best.map(|(_, rule)| rule.policy.clone()).unwrap_or_default()
}

/// What the clocks of a case are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockFacts {
    pub status: Status,
    pub registered_at: DateTime<Utc>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub first_dispatched_at: Option<DateTime<Utc>>,
    /// The dispatch of the current hop.
    pub dispatched_at: Option<DateTime<Utc>>,
    /// Working days granted on the current hop (延期).
    pub extension_days: i64,
    pub concluded_at: Option<DateTime<Utc>>,
    pub followed_up_at: Option<DateTime<Utc>>,
    /// When the case was rejected, if it was.
    pub rejected_at: Option<DateTime<Utc>>,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    NotStarted,
    Running,
    Overdue,
    Met,
    Missed,
}

/// One clock with its due time and the reasons for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub clock: ClockKind,
    pub started_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub state: ClockState,
    pub provisional: bool,
    pub explanation: Message,
}

impl Deadline {
    pub fn is_running(&self) -> bool {
        matches!(self.state, ClockState::Running | ClockState::Overdue)
    }
}

/// The end (24:00, shown as 23:59:59) of a day in China time.
fn end_of_day(date: chrono::NaiveDate) -> DateTime<Utc> {
    crate::china_instant(date, NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time"))
}

fn china_date(at: DateTime<Utc>) -> chrono::NaiveDate {
    at.with_timezone(&china_time()).date_naive()
}

/// The deadline of the conclude clock (办结时限) for handling that started on `start`: the end
/// of the day `days` working days later, with how it was reckoned.
pub fn conclude_due(start: chrono::NaiveDate, days: i64, calendar: &Calendar) -> (DateTime<Utc>, Reckoning) {
    let r = calendar.add_working_days(start, u32::try_from(days).unwrap_or(0));
    (end_of_day(r.date), r)
}

/// What a conclusion (办结) adds to the statistics: whether it came by its deadline (`None`:
/// no conclude clock ran, counted on time), and the handling time in working days from the
/// day handling `started` to the day of `concluded_at`.
pub fn conclusion_figures(
    started: chrono::NaiveDate,
    concluded_at: DateTime<Utc>,
    due: Option<DateTime<Utc>>,
    calendar: &Calendar,
) -> (bool, i64) {
    (due.is_none_or(|due| concluded_at <= due), calendar.working_days_between(started, china_date(concluded_at)))
}

/// All four clocks of a case at `now`.
pub fn deadlines(facts: &ClockFacts, policy: &ClockPolicy, calendar: &Calendar, now: DateTime<Utc>) -> Vec<Deadline> {
    use Status::*;
    let open = facts.status.is_open();
    let registered = facts.registered_at;
    let respond_due = registered + Duration::minutes(policy.respond_minutes);
    let respond = clock(
        ClockKind::Respond,
        Some(registered),
        Some(respond_due),
        facts.contacted_at,
        open,
        msg!("clock.respond", minutes = policy.respond_minutes),
        false,
        now,
    );
    let dispatch_due = registered + Duration::hours(policy.dispatch_hours);
    let dispatch = clock(
        ClockKind::Dispatch,
        Some(registered),
        Some(dispatch_due),
        facts.first_dispatched_at.or(facts.rejected_at),
        matches!(facts.status, Registered | Accepted) && facts.first_dispatched_at.is_none(),
        msg!("clock.dispatch", hours = policy.dispatch_hours),
        false,
        now,
    );
    let conclude = match facts.dispatched_at {
        Some(start) => {
            let days = policy.conclude_working_days + facts.extension_days;
            let (due, r) = conclude_due(china_date(start), days, calendar);
            let explanation = if facts.extension_days > 0 {
                msg!(
                    "clock.conclude_extended",
                    days = days,
                    extension = facts.extension_days,
                    reckoning = r.explanation.clone()
                )
            } else {
                r.explanation.clone()
            };
            clock(
                ClockKind::Conclude,
                Some(start),
                Some(due),
                facts.concluded_at,
                matches!(facts.status, Dispatched | InProgress),
                explanation,
                r.provisional,
                now,
            )
        }
        None => not_started(ClockKind::Conclude, msg!("clock.starts_at_dispatch")),
    };
    let follow_up = match facts.concluded_at {
        Some(start) => {
            let r = calendar.add_working_days(china_date(start), policy.follow_up_working_days as u32);
            clock(
                ClockKind::FollowUp,
                Some(start),
                Some(end_of_day(r.date)),
                facts.followed_up_at,
                facts.status == Concluded,
                r.explanation,
                r.provisional,
                now,
            )
        }
        None => not_started(ClockKind::FollowUp, msg!("clock.starts_at_conclusion")),
    };
    vec![respond, dispatch, conclude, follow_up]
}

#[allow(clippy::too_many_arguments)]
fn clock(
    kind: ClockKind,
    started_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    stopped_at: Option<DateTime<Utc>>,
    running: bool,
    explanation: Message,
    provisional: bool,
    now: DateTime<Utc>,
) -> Deadline {
    let state = match (stopped_at, due_at) {
        (Some(stop), Some(due)) => {
            if stop <= due {
                ClockState::Met
            } else {
                ClockState::Missed
            }
        }
        (None, Some(due)) if running => {
            if now > due {
                ClockState::Overdue
            } else {
                ClockState::Running
            }
        }
        _ => ClockState::NotStarted,
    };
    Deadline { clock: kind, started_at, due_at, stopped_at, state, provisional, explanation }
}

fn not_started(kind: ClockKind, explanation: Message) -> Deadline {
    Deadline {
        clock: kind,
        started_at: None,
        due_at: None,
        stopped_at: None,
        state: ClockState::NotStarted,
        provisional: false,
        explanation,
    }
}

/// The earliest due time among the running clocks: what "due soon" and "overdue" look at.
pub fn next_due(deadlines: &[Deadline]) -> Option<DateTime<Utc>> {
    deadlines.iter().filter(|d| d.is_running()).filter_map(|d| d.due_at).min()
}

/// Office hours: notices falling outside them go out at the next opening.
pub const OFFICE_OPENS: NaiveTime = NaiveTime::from_hms_opt(9, 0, 0).expect("a valid time");
pub const OFFICE_CLOSES: NaiveTime = NaiveTime::from_hms_opt(18, 0, 0).expect("a valid time");

/// When a notice due at `at` is delivered: at once during office hours on a working day,
/// otherwise at the start of the next working day.
pub fn delivery_time(at: DateTime<Utc>, calendar: &Calendar) -> DateTime<Utc> {
    let local = at.with_timezone(&china_time());
    let date = local.date_naive();
    let opening = |d: chrono::NaiveDate| crate::china_instant(d, OFFICE_OPENS);
    if calendar.is_workday(date) {
        if local.time() < OFFICE_OPENS {
            return opening(date);
        }
        if local.time() < OFFICE_CLOSES {
            return at;
        }
    }
    opening(calendar.next_workday(date))
}

/// One rung of the ladder for one clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDue {
    pub kind: NoticeKind,
    pub clock: ClockKind,
    /// The clock's due time.
    pub due_at: DateTime<Utc>,
    /// When the rung is reached.
    pub reached_at: DateTime<Utc>,
    /// When it is delivered (office hours).
    pub deliver_at: DateTime<Utc>,
    /// The lower rungs of the same clock that have come too: after downtime only the highest
    /// rung is issued, and it says which it stands for when they were never issued.
    pub passed_over: Vec<NoticeKind>,
}

/// The three rungs of a running clock, reached or not.
pub fn ladder(deadline: &Deadline, policy: &ClockPolicy, calendar: &Calendar) -> Vec<NoticeDue> {
    let (Some(start), Some(due)) = (deadline.started_at, deadline.due_at) else { return Vec::new() };
    if !deadline.is_running() {
        return Vec::new();
    }
    let span = due - start;
    let reminder = start + span * policy.reminder_percent as i32 / 100;
    let order = order_reached(due, policy, calendar);
    [(NoticeKind::Reminder, reminder), (NoticeKind::Warning, due), (NoticeKind::Order, order)]
        .into_iter()
        .map(|(kind, reached_at)| NoticeDue {
            kind,
            clock: deadline.clock,
            due_at: due,
            reached_at,
            deliver_at: delivery_time(reached_at, calendar),
            passed_over: Vec::new(),
        })
        .collect()
}

/// When the 督办令 of a deadline is reached: the end of the policy's working days after it.
fn order_reached(due: DateTime<Utc>, policy: &ClockPolicy, calendar: &Calendar) -> DateTime<Utc> {
    if policy.order_after_working_days == 0 {
        return due;
    }
    end_of_day(calendar.add_working_days(china_date(due), policy.order_after_working_days as u32).date)
}

/// The ladder of a deadline that is not one of a case's clocks — a risk list's item not
/// acknowledged or not closed, a task force's milestone not done (DOMAIN.md §5.2, §5.8): the
/// 预警单 when it passes, the 督办令 after the policy's working days, each delivered in office
/// hours. The highest rung delivered by `now`, with the lower one it stands for; None before.
pub fn overdue_rung(
    due: DateTime<Utc>,
    policy: &ClockPolicy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Option<(NoticeKind, Vec<NoticeKind>)> {
    let order = order_reached(due, policy, calendar);
    if delivery_time(order, calendar) <= now {
        return Some((NoticeKind::Order, vec![NoticeKind::Warning]));
    }
    (delivery_time(due, calendar) <= now).then(|| (NoticeKind::Warning, Vec::new()))
}

/// For each running clock of a case, the highest rung whose delivery time has come: one rung
/// at a time, so that a sweep after downtime issues an order, not a reminder, a warning and an
/// order in the same minute. Idempotent: the store issues each at most once.
pub fn notices_due(
    deadlines: &[Deadline],
    policy: &ClockPolicy,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Vec<NoticeDue> {
    deadlines
        .iter()
        .filter_map(|d| {
            let mut due: Vec<NoticeDue> =
                ladder(d, policy, calendar).into_iter().filter(|n| n.deliver_at <= now).collect();
            let mut highest = due.pop()?;
            highest.passed_over = due.into_iter().map(|n| n.kind).collect();
            Some(highest)
        })
        .collect()
}

/// The working days a unit has, by default, to answer a notice issued by hand in writing (the
/// ladder's 督办令 asks for 3).
pub const MANUAL_REPLY_WORKING_DAYS: i64 = 3;
/// The most working days a notice issued by hand may allow for its reply.
pub const MANUAL_REPLY_WORKING_DAYS_MAX: i64 = 30;
const MANUAL_TEXT_MAX: usize = 2000;

/// 人工督办 — a notice issued by hand by a leader or a centre above the unit responsible, not
/// by the ladder: why, and by when the unit must reply in writing (信访工作条例 arts. 39–40,
/// DOMAIN.md §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualNotice {
    pub kind: NoticeKind,
    /// The reason and what is asked (督办事由), as the issuer wrote it.
    pub text: String,
    /// The written reply is due at the end of this many working days after issue.
    pub reply_working_days: u32,
}

impl ManualNotice {
    /// Parses what the issuer sent: the kind (a 督办令 unless said otherwise), the reason, and the
    /// working days for the reply ([`MANUAL_REPLY_WORKING_DAYS`] unless said otherwise).
    pub fn parse(kind: Option<&str>, text: Option<&str>, working_days: Option<i64>) -> Result<Self, Vec<FieldError>> {
        let mut c = crate::validation::Checker::default();
        let kind = c.code::<NoticeKind>("kind", kind, false).unwrap_or(NoticeKind::Order);
        let text = c.required_text("text", text, MANUAL_TEXT_MAX);
        let days = working_days.unwrap_or(MANUAL_REPLY_WORKING_DAYS);
        if !(1..=MANUAL_REPLY_WORKING_DAYS_MAX).contains(&days) {
            c.push(FieldError::new(
                "working_days",
                "out_of_range",
                msg!("field.whole_number_between", min = 1, max = MANUAL_REPLY_WORKING_DAYS_MAX),
            ));
        }
        c.into_result()?;
        let text = text.unwrap_or_default();
        Ok(ManualNotice { kind, text, reply_working_days: days as u32 })
    }

    /// When the written reply is due: the end of the last of the working days after the day of
    /// issue (the day itself not counted).
    pub fn reply_by(&self, issued_at: DateTime<Utc>, calendar: &Calendar) -> DateTime<Utc> {
        end_of_day(calendar.add_working_days(china_date(issued_at), self.reply_working_days).date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::shipped_years;
    use crate::i18n::T;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_china_time_of_day_is_eight_hours_ahead_of_utc_across_a_year_end() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(crate::china_instant(date, NaiveTime::MIN), at("2025-12-31T16:00:00Z"));
        assert_eq!(crate::china_instant(date, OFFICE_OPENS), at("2026-01-01T09:00:00+08:00"));
    }

    fn calendar() -> Calendar {
        Calendar::new(shipped_years())
    }

    fn facts(status: Status) -> ClockFacts {
        ClockFacts {
            status,
            registered_at: at("2026-09-30T10:00:00+08:00"),
            contacted_at: None,
            first_dispatched_at: None,
            dispatched_at: None,
            extension_days: 0,
            concluded_at: None,
            followed_up_at: None,
            rejected_at: None,
        }
    }

    #[test]
    fn registration_starts_respond_and_dispatch() {
        let d = deadlines(
            &facts(Status::Registered),
            &ClockPolicy::default(),
            &calendar(),
            at("2026-09-30T10:10:00+08:00"),
        );
        assert_eq!(d[0].due_at, Some(at("2026-09-30T10:30:00+08:00")));
        assert_eq!(d[0].state, ClockState::Running);
        assert_eq!(d[1].due_at, Some(at("2026-10-01T10:00:00+08:00")));
        assert_eq!(d[2].state, ClockState::NotStarted);
        assert_eq!(next_due(&d), Some(at("2026-09-30T10:30:00+08:00")));
    }

    #[test]
    fn conclude_runs_on_working_days_and_explains_itself() {
        let mut f = facts(Status::InProgress);
        f.contacted_at = Some(at("2026-09-30T10:05:00+08:00"));
        f.first_dispatched_at = Some(at("2026-09-30T11:00:00+08:00"));
        f.dispatched_at = f.first_dispatched_at;
        let d = deadlines(&f, &ClockPolicy::default(), &calendar(), at("2026-10-09T10:00:00+08:00"));
        assert_eq!(d[0].state, ClockState::Met);
        assert_eq!(d[1].state, ClockState::Met);
        assert_eq!(d[2].due_at, Some(at("2026-10-13T23:59:59+08:00")));
        let zh = T::default().msg(&d[2].explanation);
        assert!(zh.contains("10-01…10-07 国庆节放假"), "{zh}");
        assert!(zh.contains("10-10 调休上班"));
        f.extension_days = 3;
        let d = deadlines(&f, &ClockPolicy::default(), &calendar(), at("2026-10-09T10:00:00+08:00"));
        assert_eq!(d[2].due_at, Some(at("2026-10-16T23:59:59+08:00")));
        assert!(T::default().msg(&d[2].explanation).contains("含延期 3 个工作日"));
    }

    #[test]
    fn the_most_specific_policy_wins() {
        let labour = PolicyRule {
            category: Some(Category::Labor),
            channel: None,
            risk: None,
            policy: ClockPolicy { conclude_working_days: 3, ..ClockPolicy::default() },
        };
        let red_labour = PolicyRule {
            category: Some(Category::Labor),
            channel: None,
            risk: Some(Risk::Red),
            policy: ClockPolicy { conclude_working_days: 1, ..ClockPolicy::default() },
        };
        let rules = [labour, red_labour];
        assert_eq!(choose_policy(&rules, Category::Labor, Channel::Window, Risk::Red).conclude_working_days, 1);
        assert_eq!(choose_policy(&rules, Category::Labor, Channel::Window, Risk::None).conclude_working_days, 3);
        assert_eq!(choose_policy(&rules, Category::Neighbor, Channel::Window, Risk::Red), ClockPolicy::default());
    }

    #[test]
    fn notices_wait_for_office_hours() {
        let c = calendar();
        // Saturday night → Monday 09:00; a holiday → the first working day after it.
        assert_eq!(delivery_time(at("2026-11-21T22:00:00+08:00"), &c), at("2026-11-23T09:00:00+08:00"));
        assert_eq!(delivery_time(at("2026-10-02T10:00:00+08:00"), &c), at("2026-10-08T09:00:00+08:00"));
        assert_eq!(delivery_time(at("2026-11-23T07:00:00+08:00"), &c), at("2026-11-23T09:00:00+08:00"));
        assert_eq!(delivery_time(at("2026-11-23T15:00:00+08:00"), &c), at("2026-11-23T15:00:00+08:00"));
        // An adjusted working Saturday is a working day.
        assert_eq!(delivery_time(at("2026-10-10T10:00:00+08:00"), &c), at("2026-10-10T10:00:00+08:00"));
    }

    #[test]
    fn the_ladder_of_a_conclude_clock() {
        let c = calendar();
        let mut f = facts(Status::InProgress);
        f.contacted_at = Some(at("2026-11-16T09:05:00+08:00"));
        f.registered_at = at("2026-11-16T09:00:00+08:00");
        f.first_dispatched_at = Some(at("2026-11-16T09:00:00+08:00"));
        f.dispatched_at = f.first_dispatched_at;
        let policy = ClockPolicy::default();
        let now = at("2026-11-30T12:00:00+08:00");
        let d = deadlines(&f, &policy, &c, now);
        assert_eq!(d[2].due_at, Some(at("2026-11-23T23:59:59+08:00")));
        let rungs = ladder(&d[2], &policy, &c);
        // 80 % of 16-11 09:00 … 23-11 23:59:59 falls on Sunday 22-11: delivered Monday 09:00.
        assert_eq!(rungs[0].deliver_at, at("2026-11-23T09:00:00+08:00"));
        assert_eq!(rungs[1].deliver_at, at("2026-11-24T09:00:00+08:00"), "warning: the deadline passes at night");
        assert_eq!(rungs[2].reached_at, at("2026-11-25T23:59:59+08:00"), "order: two working days overdue");
        assert_eq!(rungs[2].deliver_at, at("2026-11-26T09:00:00+08:00"));
        let due: Vec<(NoticeKind, Vec<NoticeKind>)> = notices_due(&d, &policy, &c, at("2026-11-24T09:00:00+08:00"))
            .into_iter()
            .filter(|n| n.clock == ClockKind::Conclude)
            .map(|n| (n.kind, n.passed_over))
            .collect();
        assert_eq!(due, [(NoticeKind::Warning, vec![NoticeKind::Reminder])], "one rung at a time, the highest");
        // A stopped clock raises nothing.
        f.status = Status::Concluded;
        f.concluded_at = Some(at("2026-11-20T10:00:00+08:00"));
        let d = deadlines(&f, &policy, &c, now);
        assert!(ladder(&d[2], &policy, &c).is_empty());
        assert_eq!(d[2].state, ClockState::Met);
    }

    #[test]
    fn bad_policies_name_the_field() {
        let p = ClockPolicy { reminder_percent: 100, conclude_working_days: 0, ..ClockPolicy::default() };
        let fields: Vec<String> = p.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["conclude_working_days", "reminder_percent"]);
    }

    #[test]
    fn a_notice_by_hand_is_an_order_with_a_reason_and_a_reply_in_working_days() {
        let notice = ManualNotice::parse(None, Some(" 群众反映强烈，请加快办理 "), None).unwrap();
        assert_eq!(
            (notice.kind, notice.text.as_str(), notice.reply_working_days),
            (NoticeKind::Order, "群众反映强烈，请加快办理", 3)
        );
        // Issued on the Wednesday before the National Day holiday (10-01…10-07 rest; the day of
        // issue not counted): the three working days are 10-08, 10-09 and Saturday 10-10, worked
        // in exchange.
        let due = notice.reply_by(at("2026-09-30T15:00:00+08:00"), &calendar());
        assert_eq!(due, at("2026-10-10T23:59:59+08:00"));
        let fields = |e: Vec<FieldError>| e.into_iter().map(|e| e.field).collect::<Vec<_>>();
        assert_eq!(
            fields(ManualNotice::parse(Some("summons"), Some(""), Some(0)).unwrap_err()),
            ["kind", "text", "working_days"]
        );
        assert_eq!(fields(ManualNotice::parse(None, Some("x"), Some(31)).unwrap_err()), ["working_days"]);
    }

    #[test]
    fn an_overdue_item_is_warned_when_it_passes_and_ordered_two_working_days_later() {
        let policy = ClockPolicy::default();
        // Due at the end of Friday 2026-11-27: the warning goes out at Monday's opening, the
        // order at the end of Tuesday (two working days after), delivered Wednesday morning.
        let due = at("2026-11-27T23:59:59+08:00");
        let rung = |now: &str| overdue_rung(due, &policy, &calendar(), at(now));
        assert_eq!(rung("2026-11-27T23:59:59+08:00"), None, "delivered in office hours");
        assert_eq!(rung("2026-11-30T09:00:00+08:00"), Some((NoticeKind::Warning, vec![])));
        assert_eq!(rung("2026-12-01T23:59:59+08:00"), Some((NoticeKind::Warning, vec![])));
        assert_eq!(
            rung("2026-12-02T09:00:00+08:00"),
            Some((NoticeKind::Order, vec![NoticeKind::Warning])),
            "the order stands for the warning when the sweep came late"
        );
    }
}
