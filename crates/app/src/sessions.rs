//! Mediation sessions (调解安排): scheduling, the parties' acknowledgements, the minutes, a
//! party's refusal, and the choice of the case's mediator (群众点单 included).

pub use store::sessions::{Acknowledgement, CalendarSession, CaseMediator, PartyAct, SessionInput, SessionView};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use domain::authz::{self, Denial, Permission};
use domain::calendar::{Day, parse_date};
use domain::ids::{CaseId, SessionId, UnitId, UserId};
use domain::msg;
use domain::validation::{Checker, FieldError};
use store::sessions::CalendarFilter;

use crate::cases::CaseView;
use crate::{App, AppError, Result, Viewer};

/// The longest period one calendar answers (two months).
pub const CALENDAR_MAX_DAYS: i64 = 62;

/// 调解日程 asked for: a period of days (China time, both ends included), narrowed to the
/// mediators of one unit or to one mediator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub unit_id: Option<UnitId>,
    pub mediator_id: Option<UserId>,
}

impl CalendarQuery {
    /// Parses the query as sent (`from`, `to`: YYYY-MM-DD; `unit`, `mediator`: ids or empty),
    /// every field at fault named.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        unit: Option<&str>,
        mediator: Option<&str>,
    ) -> std::result::Result<Self, Vec<FieldError>> {
        let mut c = Checker::default();
        let from = c.check(parse_date("from", from));
        let to = c.check(parse_date("to", to));
        let mut id = |field: &str, value: Option<&str>| {
            let value = value.map(str::trim).filter(|v| !v.is_empty())?;
            c.check(domain::case::parse_id(field, &serde_json::json!(value)))
        };
        let unit_id = id("unit", unit).map(UnitId);
        let mediator_id = id("mediator", mediator).map(UserId);
        if let (Some(from), Some(to)) = (from, to)
            && (to < from || (to - from).num_days() >= CALENDAR_MAX_DAYS)
        {
            c.push(FieldError::new("to", "invalid_range", msg!("calendar.span_invalid", days = CALENDAR_MAX_DAYS)));
        }
        c.into_result()?;
        match (from, to) {
            (Some(from), Some(to)) => Ok(CalendarQuery { from, to, unit_id, mediator_id }),
            _ => Err(Vec::new()),
        }
    }
}

/// The calendar of a period: its days as the official calendar has them (holidays, weekends
/// worked in exchange) and the sessions the viewer may see, in time order.
#[derive(Debug, Clone)]
pub struct SessionCalendar {
    pub days: Vec<Day>,
    pub sessions: Vec<CalendarSession>,
}

/// The first moment of a day in China time.
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    domain::china_instant(day, NaiveTime::MIN)
}

impl App {
    /// 调解日程: the sessions of a period a viewer may see — a mediator their own, a handling
    /// unit its cases' (its mediators'), a centre every one in its scope.
    pub async fn sessions_calendar(&self, viewer: &Viewer, query: &CalendarQuery) -> Result<SessionCalendar> {
        let permission = Permission::SessionsRead;
        let reach = authz::grant(viewer.role, permission).ok_or(Denial::Role { role: viewer.role, permission })?;
        let filter = CalendarFilter {
            from: start_of(query.from),
            until: start_of(query.to + Duration::days(1)),
            unit_id: query.unit_id.map(UnitId::get),
            mediator_id: query.mediator_id.map(UserId::get),
        };
        let sessions = self.store.sessions_calendar(viewer, reach, &filter).await?;
        let context = self.store.clock_context().await?;
        let days = query.from.iter_days().take_while(|d| *d <= query.to).map(|d| context.calendar.day(d)).collect();
        Ok(SessionCalendar { days, sessions })
    }

    pub async fn sessions(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<SessionView>> {
        Ok(self.store.sessions(viewer, case_id).await?)
    }

    pub async fn session_schedule(&self, viewer: &Viewer, case_id: CaseId, input: SessionInput) -> Result<SessionView> {
        Ok(self.store.session_schedule(viewer, case_id, input, self.now()).await?)
    }

    pub async fn session_party_act(
        &self,
        viewer: &Viewer,
        id: SessionId,
        party_index: usize,
        act: PartyAct,
    ) -> Result<SessionView> {
        Ok(self.store.session_party_act(viewer, id, party_index, act, self.now()).await?)
    }

    /// 调解笔录: the session's minutes; the session is then held.
    pub async fn session_minutes(&self, viewer: &Viewer, id: SessionId, minutes: &str) -> Result<SessionView> {
        Ok(self.store.session_minutes(viewer, id, minutes, self.now()).await?)
    }

    /// A party refuses mediation (人民调解法 art. 17): the case is concluded `refused`.
    pub async fn mediation_refuse(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        party_index: Option<usize>,
        reason: Option<&str>,
    ) -> Result<CaseView> {
        let mut c = Checker::default();
        if party_index.is_none() {
            c.push(FieldError::required("party_index"));
        }
        let reason = c.required_text("reason", reason, 2000);
        c.into_result()?;
        let (Some(party), Some(reason)) = (party_index, reason) else { return Err(AppError::Invalid(Vec::new())) };
        Ok(self.store.mediation_refused(viewer, case_id, party, &reason, self.now()).await?)
    }

    pub async fn case_mediator(&self, viewer: &Viewer, case_id: CaseId) -> Result<Option<CaseMediator>> {
        Ok(self.store.case_mediator(viewer, case_id).await?)
    }

    pub async fn case_mediator_assign(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        user_id: UserId,
        chosen_by: &str,
        reason: Option<String>,
    ) -> Result<CaseMediator> {
        Ok(self.store.case_mediator_assign(viewer, case_id, user_id, chosen_by, reason, self.now()).await?)
    }
}
