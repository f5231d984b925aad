//! 移送公安 (人民调解法 art. 25): a red case referred to the police unit of its territory, that
//! unit's acknowledgement and feedback, and the criminal case that followed (民转刑); the
//! territory's counts of 防止民转刑 and 民转刑.

use domain::ids::{CaseId, PoliceReferralId};
pub use store::police::{PoliceReferralList, PoliceReferralView, PoliceStep};

use crate::{App, Result, Viewer};

impl App {
    /// Refers a red case to the police unit of its territory, with the reason.
    pub async fn police_refer(
        &self,
        viewer: &Viewer,
        case: CaseId,
        reason: Option<&str>,
    ) -> Result<PoliceReferralView> {
        Ok(self.store.police_refer(viewer, case, reason, self.now()).await?)
    }

    /// The referrals of a case.
    pub async fn police_referrals_of_case(&self, viewer: &Viewer, case: CaseId) -> Result<Vec<PoliceReferralView>> {
        Ok(self.store.police_referrals_of_case(viewer, case).await?)
    }

    /// The referrals addressed to the viewer's unit or on cases of their territory, with the
    /// territory's counts.
    pub async fn police_referrals(&self, viewer: &Viewer) -> Result<PoliceReferralList> {
        Ok(self.store.police_referrals(viewer).await?)
    }

    /// The police unit acknowledges, answers (`text`) or records a criminal case (`text`).
    pub async fn police_referral_act(
        &self,
        viewer: &Viewer,
        id: PoliceReferralId,
        step: PoliceStep,
        text: Option<&str>,
    ) -> Result<PoliceReferralView> {
        Ok(self.store.police_referral_act(viewer, id.get(), step, text, self.now()).await?)
    }
}
