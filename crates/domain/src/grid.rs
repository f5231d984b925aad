//! 网格化 (PRODUCT.md "Grid work"): the grid worker's daily patrol log (日巡查上报) and the
//! hazard register (隐患 and 矛盾纠纷线索) — the kinds and states of a hazard, the steps that
//! move it (resolved on the spot, escalated to the centre above, registered as a case, closed)
//! and the checks of what a patrol and a hazard are recorded with.
//!
//! A hazard keeps no personal data: `people` names who is involved in words (家属、租户), never
//! ID numbers or phones — those belong to a case's parties, encrypted, once it is registered.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::msg;
use crate::org::coded_enum;
use crate::validation::{Checker, FieldError};

coded_enum! {
    /// What a grid worker found (the register's 隐患类别).
    HazardKind {
        /// 矛盾纠纷线索 — a dispute in the making.
        DisputeClue = "dispute_clue",
        /// 安全隐患 — gas, electricity, falling objects …
        Safety = "safety",
        /// 消防隐患 — blocked exits, stored fuel …
        Fire = "fire",
        /// 治安隐患 — public order.
        PublicOrder = "public_order",
        /// 环境卫生 — waste, noise, pollution.
        Environment = "environment",
        /// 房屋安全 — a building at risk.
        Building = "building",
        /// 其他
        Other = "other",
    }
}

coded_enum! {
    /// Where a hazard stands.
    HazardStatus {
        /// 待处置 — reported, nobody has acted yet.
        Open = "open",
        /// 已就地化解 — resolved on the spot, with a note.
        Resolved = "resolved",
        /// 已上报 — escalated to the centre above the grid (its community or street).
        Escalated = "escalated",
        /// 已转案件 — registered as a dispute case (channel `grid`), linked both ways.
        Registered = "registered",
        /// 已关闭 — nothing more to do.
        Closed = "closed",
    }
}

coded_enum! {
    /// A step taken on a hazard.
    HazardAction {
        /// 就地化解
        Resolve = "resolve",
        /// 上报
        Escalate = "escalate",
        /// 转为案件
        Register = "register",
        /// 关闭
        Close = "close",
    }
}

impl HazardAction {
    /// Whether the step needs a note saying what was done: everything but registering (the
    /// case says the rest).
    pub fn needs_note(self) -> bool {
        self != HazardAction::Register
    }
}

/// The state a step leads to from `status`, or `None` when the step is not allowed now: a hazard
/// is resolved, escalated or registered while open (an escalated one is resolved or registered
/// by the centre it went to), and closed unless it became a case (the case then carries it).
pub fn next(status: HazardStatus, action: HazardAction) -> Option<HazardStatus> {
    use HazardAction as A;
    use HazardStatus as S;
    match (status, action) {
        (S::Open | S::Escalated, A::Resolve) => Some(S::Resolved),
        (S::Open, A::Escalate) => Some(S::Escalated),
        (S::Open | S::Escalated, A::Register) => Some(S::Registered),
        (S::Open | S::Escalated | S::Resolved, A::Close) => Some(S::Closed),
        _ => None,
    }
}

/// The steps allowed from `status`, in the order a page offers them.
pub fn available(status: HazardStatus) -> Vec<HazardAction> {
    HazardAction::ALL.iter().copied().filter(|a| next(status, *a).is_some()).collect()
}

/// The longest description, findings or note.
pub const TEXT_MAX: usize = 5000;
/// The longest route, location or list of people.
pub const SHORT_MAX: usize = 500;
/// The most households and places one patrol visits.
pub const VISITED_MAX: i64 = 10_000;
/// How far in the future a time may lie, for phones whose clocks run a little fast.
const CLOCK_SKEW: Duration = Duration::minutes(10);

/// A patrol as the grid worker records it (`POST /api/v1/patrols`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PatrolInput {
    /// The grid patrolled; the worker's own grid when absent.
    pub grid_id: Option<i64>,
    /// When the patrol began (RFC 3339); now when absent. Its date in China time is the
    /// patrol's day.
    pub started_at: Option<String>,
    /// When it ended (RFC 3339); absent while the patrol goes on.
    pub ended_at: Option<String>,
    /// Households and places visited (走访户数/场所数).
    pub visited: Option<i64>,
    /// Where the patrol went (路线、楼栋).
    pub route: Option<String>,
    /// What was found, in words.
    pub findings: Option<String>,
}

/// A checked patrol.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPatrol {
    pub grid_id: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The patrol's day: the date it began, China time.
    pub day: NaiveDate,
    pub visited: i64,
    pub route: Option<String>,
    pub findings: Option<String>,
}

/// Finishing a patrol (`POST /api/v1/patrols/{id}/finish`): what was found, how many visited,
/// when it ended (now when absent).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PatrolFinish {
    pub ended_at: Option<String>,
    pub visited: Option<i64>,
    pub route: Option<String>,
    pub findings: Option<String>,
}

/// A checked finish.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolEnd {
    pub ended_at: DateTime<Utc>,
    pub visited: Option<i64>,
    pub route: Option<String>,
    pub findings: Option<String>,
}

/// A hazard as the grid worker reports it (`POST /api/v1/hazards`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct HazardInput {
    /// The grid where it was found; the worker's own grid when absent.
    pub grid_id: Option<i64>,
    /// dispute_clue | safety | fire | public_order | environment | building | other
    pub kind: Option<String>,
    pub description: Option<String>,
    /// Where, in words (楼栋、门牌、路口).
    pub location: Option<String>,
    /// The patrol it was found on.
    pub patrol_id: Option<i64>,
    /// Who is involved, in words — never ID numbers or phones.
    pub people: Option<String>,
}

/// A checked hazard.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHazard {
    pub grid_id: Option<i64>,
    pub kind: HazardKind,
    pub description: String,
    pub location: Option<String>,
    pub patrol_id: Option<i64>,
    pub people: Option<String>,
}

/// A step on a hazard (`POST /api/v1/hazards/{id}/resolve|escalate|register|close`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct HazardStepInput {
    /// What was done (就地化解的经过, 上报的理由, 关闭的原因); required but for `register`.
    pub note: Option<String>,
    /// For `register`: the case's title, category and parties (the description, the place and
    /// the grid come from the hazard; the channel is `grid`, which needs no parties).
    pub title: Option<String>,
    pub category: Option<String>,
    pub people_count: Option<i64>,
    pub parties: Option<Vec<crate::case::PartyInput>>,
}

/// The day of an instant in China time.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&crate::china_time()).date_naive()
}

fn time(c: &mut Checker, field: &str, text: Option<&str>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    let parsed = DateTime::<FixedOffset>::parse_from_rfc3339(text)
        .map_err(|_| FieldError::new(field, "invalid_time", msg!("field.not_a_time")))
        .map(|at| at.with_timezone(&Utc))
        .and_then(|at| {
            if at > now + CLOCK_SKEW {
                Err(FieldError::new(field, "in_future", msg!("field.in_future")))
            } else {
                Ok(at)
            }
        });
    c.check(parsed)
}

fn visited(c: &mut Checker, value: Option<i64>) -> Option<i64> {
    let value = value?;
    if (0..=VISITED_MAX).contains(&value) {
        Some(value)
    } else {
        c.push(FieldError::new("visited", "out_of_range", msg!("grid.visited_range", max = VISITED_MAX)));
        None
    }
}

fn ends_after(c: &mut Checker, started_at: DateTime<Utc>, ended_at: Option<DateTime<Utc>>) {
    if ended_at.is_some_and(|end| end < started_at) {
        c.push(FieldError::new("ended_at", "before_start", msg!("grid.ends_before_start")));
    }
}

impl PatrolInput {
    /// Every fault at once: times that are times and not in the future, an end after the
    /// start, a count in range, texts within their lengths.
    pub fn validate(self, now: DateTime<Utc>) -> Result<NewPatrol, Vec<FieldError>> {
        let mut c = Checker::default();
        let started = time(&mut c, "started_at", self.started_at.as_deref(), now);
        let ended_at = time(&mut c, "ended_at", self.ended_at.as_deref(), now);
        let visited = visited(&mut c, self.visited).unwrap_or(0);
        let route = c.optional_text("route", self.route.as_deref(), SHORT_MAX);
        let findings = c.optional_text("findings", self.findings.as_deref(), TEXT_MAX);
        let started_at = started.unwrap_or(now);
        ends_after(&mut c, started_at, ended_at);
        c.into_result()?;
        Ok(NewPatrol {
            grid_id: self.grid_id,
            started_at,
            ended_at,
            day: china_date(started_at),
            visited,
            route,
            findings,
        })
    }
}

impl PatrolFinish {
    /// Every fault at once; the end must not come before `started_at`.
    pub fn validate(self, started_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<PatrolEnd, Vec<FieldError>> {
        let mut c = Checker::default();
        let ended_at = time(&mut c, "ended_at", self.ended_at.as_deref(), now).unwrap_or(now);
        let visited = visited(&mut c, self.visited);
        let route = c.optional_text("route", self.route.as_deref(), SHORT_MAX);
        let findings = c.optional_text("findings", self.findings.as_deref(), TEXT_MAX);
        ends_after(&mut c, started_at, Some(ended_at));
        c.into_result()?;
        Ok(PatrolEnd { ended_at, visited, route, findings })
    }
}

impl HazardInput {
    /// Every fault at once: a kind of the list, a description, texts within their lengths.
    pub fn validate(self) -> Result<NewHazard, Vec<FieldError>> {
        let mut c = Checker::default();
        let kind = c.code::<HazardKind>("kind", self.kind.as_deref(), true);
        let description = c.required_text("description", self.description.as_deref(), TEXT_MAX);
        let location = c.optional_text("location", self.location.as_deref(), SHORT_MAX);
        let people = c.optional_text("people", self.people.as_deref(), SHORT_MAX);
        c.into_result()?;
        let (Some(kind), Some(description)) = (kind, description) else {
            unreachable!("a missing required field is recorded as an error");
        };
        Ok(NewHazard { grid_id: self.grid_id, kind, description, location, patrol_id: self.patrol_id, people })
    }
}

/// The note of a step: required for every step but registering.
pub fn step_note(action: HazardAction, note: Option<&str>) -> Result<Option<String>, Vec<FieldError>> {
    let mut c = Checker::default();
    let note = if action.needs_note() {
        c.required_text("note", note, TEXT_MAX)
    } else {
        c.optional_text("note", note, TEXT_MAX)
    };
    c.into_result()?;
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use HazardAction as A;
    use HazardStatus as S;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T01:30:00+08:00").unwrap().with_timezone(&Utc)
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn the_patrol_day_is_the_china_date_of_its_start() {
        let patrol = PatrolInput::default().validate(now()).unwrap();
        assert_eq!(patrol.day, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
        assert_eq!(patrol.started_at, now());
        assert_eq!(patrol.visited, 0);
    }

    #[test]
    fn a_patrol_names_every_fault() {
        let input = PatrolInput {
            started_at: Some("2026-11-28T09:00:00+08:00".into()),
            ended_at: Some("yesterday".into()),
            visited: Some(-1),
            findings: Some("x".repeat(TEXT_MAX + 1)),
            ..PatrolInput::default()
        };
        assert_eq!(fields(input.validate(now()).unwrap_err()), ["started_at", "ended_at", "visited", "findings"]);
        let backwards = PatrolInput {
            started_at: Some("2026-11-28T01:00:00+08:00".into()),
            ended_at: Some("2026-11-28T00:30:00+08:00".into()),
            ..PatrolInput::default()
        };
        assert_eq!(fields(backwards.validate(now()).unwrap_err()), ["ended_at"]);
    }

    #[test]
    fn finishing_ends_now_unless_told_and_never_before_the_start() {
        let end = PatrolFinish::default().validate(now() - Duration::hours(1), now()).unwrap();
        assert_eq!(end.ended_at, now());
        assert_eq!(
            fields(PatrolFinish::default().validate(now() + Duration::hours(1), now()).unwrap_err()),
            ["ended_at"]
        );
    }

    #[test]
    fn a_hazard_needs_a_kind_of_the_list_and_a_description() {
        assert_eq!(fields(HazardInput::default().validate().unwrap_err()), ["kind", "description"]);
        let input =
            HazardInput {
                kind: Some("flood".into()), description: Some("楼道堆放杂物".into()), ..Default::default()
            };
        assert_eq!(fields(input.validate().unwrap_err()), ["kind"]);
        let input =
            HazardInput {
                kind: Some("fire".into()), description: Some(" 楼道堆放杂物 ".into()), ..Default::default()
            };
        let hazard = input.validate().unwrap();
        assert_eq!((hazard.kind, hazard.description.as_str()), (HazardKind::Fire, "楼道堆放杂物"));
    }

    #[test]
    fn the_steps_follow_the_table() {
        assert_eq!(available(S::Open), [A::Resolve, A::Escalate, A::Register, A::Close]);
        assert_eq!(available(S::Escalated), [A::Resolve, A::Register, A::Close]);
        assert_eq!(available(S::Resolved), [A::Close]);
        assert!(available(S::Registered).is_empty());
        assert!(available(S::Closed).is_empty());
        assert_eq!(next(S::Open, A::Escalate), Some(S::Escalated));
        assert_eq!(next(S::Escalated, A::Escalate), None);
    }

    #[test]
    fn every_step_but_registering_needs_a_note() {
        assert_eq!(fields(step_note(A::Resolve, Some("  ")).unwrap_err()), ["note"]);
        assert_eq!(step_note(A::Register, None).unwrap(), None);
        assert_eq!(step_note(A::Close, Some("已清理")).unwrap().as_deref(), Some("已清理"));
    }
}
