//! The case state machine: which role may take which step in which status, and what each step
//! does. Pure: it takes the current state, the actor and the command, and returns the change —
//! or a typed refusal. The store persists the change and its event.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::case::{Outcome, Status, parse_id};
use crate::msg;
use crate::org::{RegionLevel, Role, coded_enum};
use crate::validation::{Arg, Checker, FieldError, Message};

coded_enum! {
    /// 满意度 — the party's rating at follow-up.
    Satisfaction {
        Satisfied = "satisfied",
        BasicallySatisfied = "basically_satisfied",
        Dissatisfied = "dissatisfied",
    }
}

impl Satisfaction {
    /// The rating a follow-up gives the case's mediator, 1–5.
    pub fn rating(self) -> i64 {
        match self {
            Satisfaction::Satisfied => 5,
            Satisfaction::BasicallySatisfied => 4,
            Satisfaction::Dissatisfied => 2,
        }
    }
}

coded_enum! {
    /// A workflow step: the `action` of `POST /api/v1/cases/{id}/actions`, the name of its event.
    Action {
        /// 响应联系 — first contact with the applicant.
        Contact = "contact",
        /// 受理.
        Accept = "accept",
        /// 不予受理.
        Reject = "reject",
        /// 分流交办.
        Dispatch = "dispatch",
        /// 签收.
        Sign = "sign",
        /// 退回.
        Return = "return",
        /// 上报.
        Escalate = "escalate",
        /// 转办.
        Transfer = "transfer",
        /// 延期.
        Extend = "extend",
        /// 记录.
        Note = "note",
        /// 办结.
        Conclude = "conclude",
        /// 回访.
        FollowUp = "follow_up",
        /// 重办.
        Reopen = "reopen",
        /// 归档.
        Archive = "archive",
    }
}

/// The most working days one extension may add.
pub const MAX_EXTENSION_DAYS: i64 = 30;
/// The most assisting units in joint handling (联合调处).
pub const MAX_ASSIST_UNITS: usize = 10;
const REASON_MAX: usize = 1000;
const TEXT_MAX: usize = 5000;

/// A workflow step as the client sends it (`POST /api/v1/cases/{id}/actions`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActionRequest {
    /// contact | accept | reject | dispatch | sign | return | escalate | transfer | extend | note | conclude | follow_up | reopen | archive
    pub action: Option<String>,
    /// The case version the client last saw; a stale one is refused with 409.
    pub version: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub unit_id: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<String>>)]
    pub assist_unit_ids: Option<Vec<serde_json::Value>>,
    pub reason: Option<String>,
    pub working_days: Option<i64>,
    pub text: Option<String>,
    pub note: Option<String>,
    /// resolved | unresolved | withdrawn | refused
    pub outcome: Option<String>,
    pub summary: Option<String>,
    /// satisfied | basically_satisfied | dissatisfied
    pub satisfaction: Option<String>,
}

/// A parsed workflow command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// 响应联系 — first contact with the applicant (stops the respond clock).
    Contact {
        note: Option<String>,
    },
    /// 受理 — the centre takes the case on.
    Accept,
    /// 不予受理 — outside scope.
    Reject {
        reason: String,
    },
    /// 分流 — to a lead unit, with assisting units for joint handling; a reason when the
    /// dispatcher overrides the suggested route.
    Dispatch {
        unit_id: i64,
        assist_unit_ids: Vec<i64>,
        reason: Option<String>,
    },
    /// 签收.
    Sign,
    /// 退回 — the unit sends the case back to the centre.
    Return {
        reason: String,
    },
    /// 上报 — to the centre one level up.
    Escalate {
        reason: String,
    },
    /// 转办 — to another unit.
    Transfer {
        unit_id: i64,
        reason: String,
    },
    /// 延期 — more working days on the conclude clock.
    Extend {
        working_days: i64,
        reason: String,
    },
    Note {
        text: String,
    },
    /// 办结.
    Conclude {
        outcome: Outcome,
        summary: String,
    },
    /// 回访 — a dissatisfied rating reopens the case.
    FollowUp {
        satisfaction: Satisfaction,
        note: Option<String>,
    },
    /// 重办.
    Reopen {
        reason: String,
    },
    /// 归档 — read-only from then on.
    Archive,
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Contact { .. } => Action::Contact,
            Command::Accept => Action::Accept,
            Command::Reject { .. } => Action::Reject,
            Command::Dispatch { .. } => Action::Dispatch,
            Command::Sign => Action::Sign,
            Command::Return { .. } => Action::Return,
            Command::Escalate { .. } => Action::Escalate,
            Command::Transfer { .. } => Action::Transfer,
            Command::Extend { .. } => Action::Extend,
            Command::Note { .. } => Action::Note,
            Command::Conclude { .. } => Action::Conclude,
            Command::FollowUp { .. } => Action::FollowUp,
            Command::Reopen { .. } => Action::Reopen,
            Command::Archive => Action::Archive,
        }
    }

    /// The JSON recorded in the event (never personal data).
    pub fn event_data(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Command::Contact { note } => json!({ "note": note }),
            Command::Accept | Command::Sign | Command::Archive => json!({}),
            Command::Reject { reason }
            | Command::Return { reason }
            | Command::Escalate { reason }
            | Command::Reopen { reason } => {
                json!({ "reason": reason })
            }
            Command::Dispatch { unit_id, assist_unit_ids, reason } => {
                json!({ "unit_id": unit_id, "assist_unit_ids": assist_unit_ids, "reason": reason })
            }
            Command::Transfer { unit_id, reason } => {
                json!({ "unit_id": unit_id, "reason": reason })
            }
            Command::Extend { working_days, reason } => json!({ "working_days": working_days, "reason": reason }),
            Command::Note { text } => json!({ "text": text }),
            Command::Conclude { outcome, summary } => {
                json!({ "outcome": outcome, "summary": summary })
            }
            Command::FollowUp { satisfaction, note } => {
                json!({ "satisfaction": satisfaction, "note": note })
            }
        }
    }
}

impl ActionRequest {
    /// Parses the command and the version; every missing or bad field is named.
    pub fn parse(self) -> Result<(Command, i64), Vec<FieldError>> {
        let mut c = Checker::default();
        if self.version.is_none() {
            c.push(FieldError::required("version"));
        }
        let action = c.code::<Action>("action", self.action.as_deref(), true);
        let reason = |c: &mut Checker| c.required_text("reason", self.reason.as_deref(), REASON_MAX);
        let unit = |c: &mut Checker| match &self.unit_id {
            Some(v) => c.check(parse_id("unit_id", v)),
            None => {
                c.push(FieldError::required("unit_id"));
                None
            }
        };
        let command = match action {
            None => None,
            Some(Action::Contact) => {
                Some(Command::Contact { note: c.optional_text("note", self.note.as_deref(), TEXT_MAX) })
            }
            Some(Action::Accept) => Some(Command::Accept),
            Some(Action::Reject) => reason(&mut c).map(|reason| Command::Reject { reason }),
            Some(Action::Dispatch) => {
                let unit_id = unit(&mut c);
                let assists = self.assist_unit_ids.as_deref().unwrap_or_default();
                let assist_unit_ids: Vec<i64> = assists
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| c.check(parse_id(&format!("assist_unit_ids[{i}]"), v)))
                    .collect();
                if assists.len() > MAX_ASSIST_UNITS {
                    c.push(FieldError::new(
                        "assist_unit_ids",
                        "too_many",
                        msg!("field.too_many", max = MAX_ASSIST_UNITS),
                    ));
                }
                if unit_id.is_some_and(|u| assist_unit_ids.contains(&u)) {
                    c.push(FieldError::new("assist_unit_ids", "lead_in_assists", msg!("dispatch.lead_in_assists")));
                }
                let reason = c.optional_text("reason", self.reason.as_deref(), REASON_MAX);
                unit_id.map(|unit_id| Command::Dispatch { unit_id, assist_unit_ids, reason })
            }
            Some(Action::Sign) => Some(Command::Sign),
            Some(Action::Return) => reason(&mut c).map(|reason| Command::Return { reason }),
            Some(Action::Escalate) => reason(&mut c).map(|reason| Command::Escalate { reason }),
            Some(Action::Transfer) => {
                let unit_id = unit(&mut c);
                let reason = reason(&mut c);
                unit_id.zip(reason).map(|(unit_id, reason)| Command::Transfer { unit_id, reason })
            }
            Some(Action::Extend) => {
                let days = self.working_days.filter(|d| (1..=MAX_EXTENSION_DAYS).contains(d));
                if days.is_none() {
                    c.push(FieldError::new(
                        "working_days",
                        "out_of_range",
                        msg!("field.whole_number_between", min = 1, max = MAX_EXTENSION_DAYS),
                    ));
                }
                let reason = reason(&mut c);
                days.zip(reason).map(|(working_days, reason)| Command::Extend { working_days, reason })
            }
            Some(Action::Note) => {
                c.required_text("text", self.text.as_deref(), TEXT_MAX).map(|text| Command::Note { text })
            }
            Some(Action::Conclude) => {
                let outcome = c.code::<Outcome>("outcome", self.outcome.as_deref(), true);
                let summary = c.required_text("summary", self.summary.as_deref(), TEXT_MAX);
                outcome.zip(summary).map(|(outcome, summary)| Command::Conclude { outcome, summary })
            }
            Some(Action::FollowUp) => {
                let satisfaction = c.code::<Satisfaction>("satisfaction", self.satisfaction.as_deref(), true);
                let note = c.optional_text("note", self.note.as_deref(), TEXT_MAX);
                satisfaction.map(|satisfaction| Command::FollowUp { satisfaction, note })
            }
            Some(Action::Reopen) => reason(&mut c).map(|reason| Command::Reopen { reason }),
            Some(Action::Archive) => Some(Command::Archive),
        };
        c.into_result()?;
        match (command, self.version) {
            (Some(command), Some(version)) => Ok((command, version)),
            _ => Err(vec![FieldError::required("action")]),
        }
    }
}

/// What the state machine needs to know about a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseState {
    pub status: Status,
    pub lead_unit_id: Option<i64>,
    pub outcome: Option<Outcome>,
    /// The level of the centre responsible for the case now.
    pub level: RegionLevel,
    pub contacted: bool,
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub unit_id: i64,
}

/// What happens to the current hop (一次转办).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HopChange {
    Unchanged,
    /// A new hop to this unit; an open hop, if any, ends.
    Open {
        unit_id: i64,
        assist_unit_ids: Vec<i64>,
    },
    Sign,
    Return {
        reason: String,
    },
    /// The open hop ends without a return (escalation, conclusion).
    End,
}

/// The change a command makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub status: Status,
    pub lead_unit_id: Option<i64>,
    /// `Some` replaces the assisting units.
    pub assist_unit_ids: Option<Vec<i64>>,
    pub outcome: Option<Outcome>,
    pub level: RegionLevel,
    pub hop: HopChange,
    pub satisfaction: Option<Satisfaction>,
    /// The first contact with the applicant happens now.
    pub first_contact: bool,
    pub extension_days: i64,
    /// A dissatisfied follow-up reopened the case.
    pub reopened: bool,
}

/// Why a command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 403: the role never takes this step.
    #[error("role {role} may not {action}")]
    RoleMayNot { role: Role, action: Action },
    /// 403: the step belongs to the unit the case is dispatched to.
    #[error("only the unit handling the case may {action}")]
    NotTheHandlingUnit { action: Action },
    /// 409: not in this status.
    #[error("cannot {action} a case that is {status}")]
    NotNow { action: Action, status: Status },
    /// 409: no centre above.
    #[error("the case is already at the top level")]
    TopLevel,
}

impl Refusal {
    pub fn message(&self) -> Message {
        match self {
            Refusal::RoleMayNot { role, action } => msg!(
                "workflow.role_may_not",
                role = Arg::code("role", role.as_str()),
                action = Arg::code("event", action.as_str())
            ),
            Refusal::NotTheHandlingUnit { action } => {
                msg!("workflow.not_handling_unit", action = Arg::code("event", action.as_str()))
            }
            Refusal::NotNow { action, status } => msg!(
                "workflow.not_now",
                status = Arg::code("status", status.as_str()),
                action = Arg::code("event", action.as_str())
            ),
            Refusal::TopLevel => msg!("workflow.top_level"),
        }
    }

    /// Whether the refusal is about who acts (403) rather than when (409).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Refusal::RoleMayNot { .. } | Refusal::NotTheHandlingUnit { .. })
    }
}

/// The roles that may take each step.
pub fn roles_for(action: Action) -> &'static [Role] {
    use Role::*;
    match action {
        Action::Contact => &[Intake, Dispatcher, Handler, Mediator, GridWorker, Leader],
        Action::Accept | Action::Reject => &[Intake, Dispatcher, Leader],
        Action::Dispatch | Action::Transfer | Action::Extend | Action::Reopen | Action::Archive => {
            &[Dispatcher, Leader]
        }
        Action::Sign | Action::Return => &[Handler, Mediator],
        Action::Escalate => &[Dispatcher, Leader, Handler, Mediator],
        Action::Note => &[Intake, Dispatcher, Handler, Mediator, GridWorker, Court, Leader],
        Action::Conclude => &[Handler, Mediator, Leader],
        // A party rates the result from the portal (the citizen's follow-up).
        Action::FollowUp => &[Intake, Dispatcher, GridWorker, Leader, Citizen],
    }
}

/// The statuses in which each step may be taken.
pub fn statuses_for(action: Action, outcome: Option<Outcome>) -> &'static [Status] {
    use Status::*;
    match action {
        Action::Contact => &[Registered, Accepted, Dispatched, InProgress],
        Action::Accept => &[Registered],
        Action::Reject | Action::Dispatch => &[Registered, Accepted],
        Action::Sign | Action::Return => &[Dispatched],
        Action::Escalate => &[Registered, Accepted, Dispatched, InProgress],
        Action::Transfer | Action::Extend => &[Dispatched, InProgress],
        Action::Note => &[Registered, Accepted, Rejected, Dispatched, InProgress, Concluded, FollowedUp],
        Action::Conclude => &[InProgress],
        Action::FollowUp => &[Concluded],
        Action::Reopen => &[Concluded, FollowedUp],
        // A withdrawn or refused case has nobody to visit: it may be archived at once.
        Action::Archive if matches!(outcome, Some(Outcome::Withdrawn | Outcome::Refused)) => {
            &[Concluded, FollowedUp, Rejected]
        }
        Action::Archive => &[FollowedUp, Rejected],
    }
}

/// Steps a handling unit's own staff take only on cases dispatched to their unit.
fn belongs_to_handling_unit(action: Action, role: Role) -> bool {
    matches!(role, Role::Handler | Role::Mediator)
        && matches!(action, Action::Sign | Action::Return | Action::Conclude | Action::Escalate)
}

/// The steps this actor may take on this case now — what a screen offers, and nothing else.
pub fn available(state: &CaseState, actor: Actor) -> Vec<Action> {
    Action::ALL.iter().copied().filter(|&action| permitted(state, actor, action).is_ok()).collect()
}

fn permitted(state: &CaseState, actor: Actor, action: Action) -> Result<(), Refusal> {
    if !roles_for(action).contains(&actor.role) {
        return Err(Refusal::RoleMayNot { role: actor.role, action });
    }
    if belongs_to_handling_unit(action, actor.role) && state.lead_unit_id != Some(actor.unit_id) {
        return Err(Refusal::NotTheHandlingUnit { action });
    }
    if !statuses_for(action, state.outcome).contains(&state.status) {
        return Err(Refusal::NotNow { action, status: state.status });
    }
    if action == Action::Escalate && next_level_up(state.level).is_none() {
        return Err(Refusal::TopLevel);
    }
    Ok(())
}

/// The level above: community → street → district → city. A city centre has no centre above
/// it in a deployment (the province runs its own).
pub fn next_level_up(level: RegionLevel) -> Option<RegionLevel> {
    match level {
        RegionLevel::Community => Some(RegionLevel::Street),
        RegionLevel::Street => Some(RegionLevel::District),
        RegionLevel::District => Some(RegionLevel::City),
        RegionLevel::City | RegionLevel::Province => None,
    }
}

/// Applies a command to a case: the whole transition table in one function.
pub fn decide(state: &CaseState, actor: Actor, command: &Command) -> Result<Transition, Refusal> {
    permitted(state, actor, command.action())?;
    let mut t = Transition {
        status: state.status,
        lead_unit_id: state.lead_unit_id,
        assist_unit_ids: None,
        outcome: state.outcome,
        level: state.level,
        hop: HopChange::Unchanged,
        satisfaction: None,
        first_contact: false,
        extension_days: 0,
        reopened: false,
    };
    match command {
        Command::Contact { .. } => t.first_contact = !state.contacted,
        Command::Note { .. } => {}
        Command::Accept => t.status = Status::Accepted,
        Command::Reject { .. } => t.status = Status::Rejected,
        Command::Dispatch { unit_id, assist_unit_ids, .. } => open_hop(&mut t, *unit_id, assist_unit_ids.clone()),
        Command::Transfer { unit_id, .. } => open_hop(&mut t, *unit_id, Vec::new()),
        Command::Sign => {
            t.status = Status::InProgress;
            t.hop = HopChange::Sign;
        }
        Command::Return { reason } => {
            t.status = Status::Accepted;
            t.lead_unit_id = None;
            t.assist_unit_ids = Some(Vec::new());
            t.hop = HopChange::Return { reason: reason.clone() };
        }
        Command::Escalate { .. } => {
            t.status = Status::Accepted;
            t.level = next_level_up(state.level).ok_or(Refusal::TopLevel)?;
            t.lead_unit_id = None;
            t.assist_unit_ids = Some(Vec::new());
            t.hop = if state.lead_unit_id.is_some() { HopChange::End } else { HopChange::Unchanged };
        }
        Command::Extend { working_days, .. } => t.extension_days = *working_days,
        Command::Conclude { outcome, .. } => {
            t.status = Status::Concluded;
            t.outcome = Some(*outcome);
            t.hop = HopChange::End;
        }
        Command::FollowUp { satisfaction, .. } => {
            t.satisfaction = Some(*satisfaction);
            if *satisfaction == Satisfaction::Dissatisfied {
                reopen(state, &mut t);
            } else {
                t.status = Status::FollowedUp;
            }
        }
        Command::Reopen { .. } => reopen(state, &mut t),
        Command::Archive => t.status = Status::Archived,
    }
    Ok(t)
}

fn open_hop(t: &mut Transition, unit_id: i64, assist_unit_ids: Vec<i64>) {
    t.status = Status::Dispatched;
    t.lead_unit_id = Some(unit_id);
    t.assist_unit_ids = Some(assist_unit_ids.clone());
    t.hop = HopChange::Open { unit_id, assist_unit_ids };
}

/// 重办: back to the unit that concluded it, or to the centre if none.
fn reopen(state: &CaseState, t: &mut Transition) {
    t.reopened = true;
    t.outcome = None;
    t.status = if state.lead_unit_id.is_some() { Status::InProgress } else { Status::Accepted };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LEAD: i64 = 10;
    const OTHER: i64 = 20;
    const CENTRE: i64 = 1;

    fn state(status: Status) -> CaseState {
        let lead = matches!(status, Status::Dispatched | Status::InProgress | Status::Concluded | Status::FollowedUp)
            .then_some(LEAD);
        CaseState { status, lead_unit_id: lead, outcome: None, level: RegionLevel::District, contacted: false }
    }

    fn command(action: &str) -> Command {
        let body = json!({"action": action, "version": 1, "unit_id": LEAD, "reason": "理由", "working_days": 3, "text": "记录", "outcome": "resolved", "summary": "达成协议", "satisfaction": "satisfied"});
        serde_json::from_value::<ActionRequest>(body).unwrap().parse().unwrap().0
    }

    fn actor(role: Role) -> Actor {
        let unit_id = if matches!(role, Role::Handler | Role::Mediator) { LEAD } else { CENTRE };
        Actor { role, unit_id }
    }

    /// Every (status, role, action) triple: allowed exactly when the tables say so, and the
    /// refusal is 403 for the wrong role and 409 for the wrong moment.
    #[test]
    fn the_transition_table_is_exhaustive() {
        for &status in Status::ALL {
            for &role in Role::ALL {
                for &action in Action::ALL {
                    let result = decide(&state(status), actor(role), &command(action.as_str()));
                    let role_ok = roles_for(action).contains(&role);
                    let unit_ok = !belongs_to_handling_unit(action, role)
                        || state(status).lead_unit_id == Some(actor(role).unit_id);
                    let status_ok = statuses_for(action, None).contains(&status);
                    match result {
                        Ok(_) => {
                            assert!(role_ok && unit_ok && status_ok, "{role} {action} in {status} should be refused")
                        }
                        Err(refusal) if !role_ok || !unit_ok => {
                            assert!(refusal.is_forbidden(), "{role} {action} in {status}: {refusal}")
                        }
                        Err(refusal) => {
                            assert!(!status_ok, "{role} {action} in {status} refused: {refusal}");
                            assert!(!refusal.is_forbidden());
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_whole_loop() {
        let dispatcher = actor(Role::Dispatcher);
        let handler = actor(Role::Handler);
        let mut s = state(Status::Registered);
        let step = |s: &mut CaseState, who: Actor, action: &str| {
            let t = decide(s, who, &command(action)).unwrap();
            s.status = t.status;
            s.lead_unit_id = t.lead_unit_id;
            s.outcome = t.outcome;
            s.level = t.level;
            t
        };
        assert!(step(&mut s, dispatcher, "contact").first_contact);
        step(&mut s, dispatcher, "accept");
        let t = step(&mut s, dispatcher, "dispatch");
        assert_eq!(t.hop, HopChange::Open { unit_id: LEAD, assist_unit_ids: vec![] });
        let t = step(&mut s, handler, "return");
        assert_eq!((t.status, t.lead_unit_id), (Status::Accepted, None));
        step(&mut s, dispatcher, "dispatch");
        step(&mut s, handler, "sign");
        step(&mut s, handler, "conclude");
        assert_eq!(s.outcome, Some(Outcome::Resolved));
        step(&mut s, dispatcher, "follow_up");
        step(&mut s, dispatcher, "archive");
        assert_eq!(s.status, Status::Archived);
        assert!(available(&s, dispatcher).is_empty(), "archived is read-only");
    }

    #[test]
    fn only_the_handling_unit_signs() {
        let stranger = Actor { role: Role::Handler, unit_id: OTHER };
        assert_eq!(
            decide(&state(Status::Dispatched), stranger, &Command::Sign),
            Err(Refusal::NotTheHandlingUnit { action: Action::Sign })
        );
    }

    #[test]
    fn dissatisfaction_reopens() {
        let cmd = Command::FollowUp { satisfaction: Satisfaction::Dissatisfied, note: None };
        let t = decide(&state(Status::Concluded), actor(Role::Dispatcher), &cmd).unwrap();
        assert_eq!((t.status, t.reopened, t.outcome), (Status::InProgress, true, None));
    }

    #[test]
    fn escalation_climbs_to_the_city_and_stops() {
        let mut s = state(Status::Accepted);
        s.level = RegionLevel::Street;
        let t = decide(&s, actor(Role::Dispatcher), &command("escalate")).unwrap();
        assert_eq!(t.level, RegionLevel::District);
        s.level = RegionLevel::City;
        assert_eq!(decide(&s, actor(Role::Dispatcher), &command("escalate")), Err(Refusal::TopLevel));
    }

    #[test]
    fn withdrawn_cases_archive_without_follow_up() {
        let mut s = state(Status::Concluded);
        s.outcome = Some(Outcome::Withdrawn);
        assert!(decide(&s, actor(Role::Dispatcher), &Command::Archive).is_ok());
        s.outcome = Some(Outcome::Resolved);
        assert!(decide(&s, actor(Role::Dispatcher), &Command::Archive).is_err());
    }

    #[test]
    fn bad_requests_name_the_field() {
        let fields = |body: serde_json::Value| -> Vec<String> {
            serde_json::from_value::<ActionRequest>(body)
                .unwrap()
                .parse()
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(fields(json!({"action": "dispatch"})), ["version", "unit_id"]);
        assert_eq!(fields(json!({"action": "fly", "version": 1})), ["action"]);
        assert_eq!(fields(json!({"action": "extend", "version": 1, "working_days": 99})), ["working_days", "reason"]);
        assert_eq!(fields(json!({"action": "conclude", "version": 1, "outcome": "won"})), ["outcome", "summary"]);
        assert_eq!(
            fields(json!({"action": "dispatch", "version": 1, "unit_id": 3, "assist_unit_ids": [3]})),
            ["assist_unit_ids"]
        );
    }
}
