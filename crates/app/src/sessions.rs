//! Mediation sessions (调解安排): scheduling, the parties' acknowledgements, the minutes, a
//! party's refusal, and the choice of the case's mediator (群众点单 included).

pub use store::sessions::{Acknowledgement, CaseMediator, PartyAct, SessionInput, SessionView};

use domain::ids::{CaseId, SessionId, UserId};
use domain::validation::{Checker, FieldError};

use crate::cases::CaseView;
use crate::{App, AppError, Result, Viewer};

impl App {
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
