//! 警调对接 (issue 18): a police unit — its desk or its system account — hands over a 110
//! non-emergency dispute (警情) with its incident number (警情编号), the officer who attended,
//! and the dispute as a registration (the time, the place, the parties, what happened). It is
//! registered as a `police` case through the one registration and routed like any case; the
//! same number again is the same case. The police unit follows its hand-overs here, and hears of
//! each one's result (mediated, failed, not taken on) through its webhooks
//! (`police_incident.result`).

use domain::authz::{self, Permission, Resource};
use domain::case::{CaseRegistration, Outcome, Status};
use domain::ids::{CaseId, UnitId};
use domain::msg;
use domain::org::UnitKind;
use domain::police_incident::{NUMBER_MAX, OFFICER_MAX, State};
use domain::validation::{Checker, FieldError};
use store::integration::RefNamespace;
use store::police_incidents::NewPoliceIncident;
pub use store::police_incidents::PoliceIncidentRow;

use crate::integration::Intake;
use crate::triage::WhenUnsure;
use crate::{App, AppError, Result, Viewer};

/// The most hand-overs one page shows.
pub const PAGE_MAX: i64 = 100;

/// What the police send besides the dispute.
#[derive(Debug, Clone, Default)]
pub struct Handover {
    /// 警情编号
    pub incident_number: Option<String>,
    /// The officer who attended (name, and number if they give one).
    pub officer: Option<String>,
}

/// A hand-over, where it stands and, once it ended, what went back to the police.
#[derive(Debug, Clone)]
pub struct PoliceIncident {
    pub row: PoliceIncidentRow,
    pub state: State,
    /// The agreement reached (succeeded).
    pub agreement_summary: Option<String>,
    /// Why mediation failed or the case was not taken on.
    pub reason: Option<String>,
}

/// A page of hand-overs, how many match, and how many stand at each state.
#[derive(Debug, Clone)]
pub struct PoliceIncidentPage {
    pub total: i64,
    pub items: Vec<PoliceIncident>,
    pub counts: Vec<(State, i64)>,
}

fn incident_of(row: PoliceIncidentRow) -> PoliceIncident {
    let status = Status::parse(&row.case_status).unwrap_or(Status::Registered);
    let state = State::of(status, row.outcome.as_deref().and_then(Outcome::parse));
    let result = match state {
        State::InProgress => None,
        State::Rejected => {
            let data = row.rejection.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
            domain::police_incident::result("reject", &data)
        }
        State::Succeeded | State::Failed => domain::police_incident::result(
            "conclude",
            &serde_json::json!({"outcome": row.outcome, "summary": row.summary}),
        ),
    };
    let text = |key: &str| result.as_ref().and_then(|r| r[key].as_str().map(str::to_owned));
    PoliceIncident { agreement_summary: text("agreement_summary"), reason: text("reason"), state, row }
}

impl App {
    /// Receives a dispute a police unit hands over (its desk's user or its system account, who
    /// may register cases): registered as a `police` case under the unit's incident number, or
    /// the case that number was handed over as before. A fault of the hand-over is answered
    /// with every fault of the dispute beside it.
    pub async fn police_incident_receive(
        &self,
        viewer: &Viewer,
        handover: Handover,
        mut registration: CaseRegistration,
    ) -> Result<(Intake, PoliceIncident)> {
        self.police_desk(viewer).await?;
        registration.channel = Some("police".to_owned());
        let mut c = Checker::default();
        let number = c.required_text("incident_number", handover.incident_number.as_deref(), NUMBER_MAX);
        let officer = c.required_text("officer", handover.officer.as_deref(), OFFICER_MAX);
        if let Err(mut faults) = c.into_result() {
            // The dispute's own faults with them: one answer names every fault.
            faults.extend(registration.validate(self.now()).err().unwrap_or_default());
            return Err(AppError::Invalid(faults));
        }
        let (number, officer) = (number.unwrap_or_default(), officer.unwrap_or_default());
        // Another user of the same unit (its desk, its system account) may have sent it.
        if let Some(case_id) = self.store.police_incident_by_number(viewer.unit_id, &number).await? {
            let row = self.store.police_incident(viewer, case_id).await?;
            return Ok((Intake::Existing, incident_of(row)));
        }
        let namespace = RefNamespace::Police(viewer.unit_id);
        let (intake, case) =
            self.case_register_referenced(viewer, &namespace, &number, registration, WhenUnsure::RecordOther).await?;
        let new = NewPoliceIncident {
            case_id: case.case.id,
            unit_id: viewer.unit_id,
            incident_number: &number,
            officer: &officer,
            sent_by: viewer.user_id,
            received_at: self.now(),
        };
        // Identical requests at once wait for one case; each records it, the first one counts.
        self.store.police_incident_record(&viewer.username, new).await?;
        let row = self.store.police_incident(viewer, case.case.id).await?;
        Ok((intake, incident_of(row)))
    }

    /// Whether the viewer may hand disputes over: a user of a police unit (its desk, its system
    /// account) who may register cases; 403 for anyone else.
    pub async fn police_desk(&self, viewer: &Viewer) -> Result<()> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        let kind = self.store.unit(UnitId(viewer.unit_id)).await?.and_then(|u| UnitKind::parse(&u.kind));
        if kind != Some(UnitKind::Police) {
            return Err(AppError::Forbidden { message: msg!("police_incident.police_only") });
        }
        Ok(())
    }

    /// The hand-overs the viewer follows — a police unit's own, a centre's of its scope — the
    /// newest first, optionally at one state, with the count at each state.
    pub async fn police_incidents(
        &self,
        viewer: &Viewer,
        state: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<PoliceIncidentPage> {
        authz::may(viewer.role, Permission::PoliceIncidents, Resource::ANY)?;
        let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                State::parse(s)
                    .ok_or_else(|| AppError::Invalid(vec![FieldError::not_one_of("state", &State::codes())]))?,
            ),
        };
        let page = self.store.police_incidents(viewer, state, limit.clamp(1, PAGE_MAX), offset.max(0)).await?;
        Ok(PoliceIncidentPage {
            total: page.total,
            items: page.items.into_iter().map(incident_of).collect(),
            counts: page.counts,
        })
    }

    /// The hand-over of a case the viewer follows.
    pub async fn police_incident(&self, viewer: &Viewer, case: CaseId) -> Result<PoliceIncident> {
        authz::may(viewer.role, Permission::PoliceIncidents, Resource::ANY)?;
        Ok(incident_of(self.store.police_incident(viewer, case.get()).await?))
    }
}
