//! 群众端: the citizen portal's use cases — a one-time code by SMS, sign-in, bringing a
//! dispute, following and rating one's own cases. Every decision asks `domain::authz` for the
//! citizen's role; the store narrows every read to the cases where the citizen is a party.

pub use store::citizens::{
    CaseHandler, Citizen, CitizenAgreement, CitizenCase, CitizenCaseRow, CitizenEvidence, CitizenProfile,
    CitizenSession, EvidenceComment, TimelineEntry, limits, refusal_in_force,
};

use crate::triage::Triage;
use domain::authz::{self, Permission, Resource};
use domain::case::CaseRegistration;
use domain::clocks::ClockPolicy;
use domain::contact::Phone;
use domain::ids::{AgreementId, CaseId, CitizenId, EvidenceId, SessionId, UserId};
use domain::mediation::MediatorCandidate;
use domain::msg;
use domain::org::Role;
use domain::validation::{Checker, FieldError};
use domain::workflow::Satisfaction;
use store::sessions::PartyAct;

use crate::{App, AppError, Result};

fn parse_phone(phone: Option<&str>) -> Result<Phone> {
    let mut c = Checker::default();
    let text = c.required_text("phone", phone, 32);
    c.into_result()?;
    Phone::parse(text.as_deref().unwrap_or_default())
        .map_err(|_| AppError::field(FieldError::new("phone", "invalid_phone", msg!("portal.not_mobile"))))
}

impl App {
    /// Sends a sign-in code to the phone by SMS (the outbox), within the limits per phone and
    /// per client address; the answer is the same whether the phone is known or not.
    pub async fn citizen_code_send(&self, phone: Option<&str>, client: &str) -> Result<()> {
        let phone = parse_phone(phone)?;
        Ok(self.store.citizen_code_send(&phone, client, self.now()).await?)
    }

    /// Signs a citizen in with the code from the SMS; a citizen token.
    pub async fn citizen_login(
        &self,
        phone: Option<&str>,
        code: Option<&str>,
        client: &str,
    ) -> Result<(String, CitizenId)> {
        let phone = parse_phone(phone)?;
        let mut c = Checker::default();
        let code = c.required_text("code", code, 16);
        c.into_result()?;
        Ok(self.store.citizen_login(&phone, code.as_deref().unwrap_or_default(), client, self.now()).await?)
    }

    /// The citizen a citizen token stands for, if it is valid now.
    pub async fn citizen_of_token(&self, token: &str) -> Result<Option<Citizen>> {
        Ok(self.store.citizen_of_token(token, self.now()).await?)
    }

    pub async fn citizen_logout(&self, token: &str) -> Result<()> {
        Ok(self.store.citizen_logout(token, self.now()).await?)
    }

    /// 网上登记: the registration of any channel, as `online`, where the citizen's phone is an
    /// applicant's.
    pub async fn citizen_case_register(
        &self,
        citizen: &Citizen,
        mut registration: CaseRegistration,
    ) -> Result<CitizenCase> {
        authz::may(Role::Citizen, Permission::CitizenCaseBring, Resource::OWN)?;
        let now = self.now();
        registration.channel = Some(domain::case::Channel::Online.as_str().to_owned());
        let new = registration.validate(now)?;
        let registered = self.store.citizen_case_register(citizen, new, now).await?;
        self.live_case_registered(registered.case.id).await;
        Ok(registered)
    }

    /// 预判: what the dispute being typed would get — the emergency advice, its type, the unit
    /// it would go to and the policy of its deadlines — without registering anything. Field
    /// errors as registration would give them.
    pub async fn citizen_triage_preview(
        &self,
        citizen: &Citizen,
        mut registration: CaseRegistration,
    ) -> Result<(Triage, ClockPolicy)> {
        authz::may(Role::Citizen, Permission::CitizenCaseBring, Resource::OWN)?;
        let now = self.now();
        registration.channel = Some(domain::case::Channel::Online.as_str().to_owned());
        let new = registration.validate(now)?;
        Ok(self.store.citizen_triage_preview(citizen, &new, now).await?)
    }

    /// 紧急分流: the 110/120 advice the text alone calls for, while the rest of the form is
    /// still being filled in.
    pub async fn emergency_advice(&self, text: &str) -> Result<Option<domain::validation::Message>> {
        Ok(triage::risk::emergency(text, &self.triage_rules().await?.risk))
    }

    /// The cases where the citizen is a party.
    pub async fn citizen_cases(&self, citizen: &Citizen) -> Result<Vec<CitizenCaseRow>> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        Ok(self.store.citizen_cases(citizen).await?)
    }

    /// One of them, with its timeline; any other case is not found.
    pub async fn citizen_case(&self, citizen: &Citizen, id: CaseId) -> Result<CitizenCase> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        Ok(self.store.citizen_case(citizen, id, self.now()).await?)
    }

    /// The citizen's case a 解纷码 names.
    pub async fn citizen_case_by_tracking_code(&self, citizen: &Citizen, code: &str) -> Result<CaseId> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        Ok(self.store.citizen_case_by_tracking_code(citizen, code).await?)
    }

    /// 评价: the party rates their concluded case; "dissatisfied" reopens it.
    /// `satisfaction`: satisfied | basically_satisfied | dissatisfied; `note` at most 500
    /// characters.
    pub async fn citizen_case_rate(
        &self,
        citizen: &Citizen,
        id: CaseId,
        satisfaction: Option<&str>,
        note: Option<&str>,
    ) -> Result<CitizenCase> {
        authz::may(Role::Citizen, Permission::CitizenCaseRate, Resource::OWN)?;
        let mut c = Checker::default();
        let satisfaction = c.code::<Satisfaction>("satisfaction", satisfaction, true);
        let note = c.optional_text("note", note, 500);
        c.into_result()?;
        let Some(satisfaction) = satisfaction else {
            return Err(AppError::field(FieldError::required("satisfaction")));
        };
        Ok(self.store.citizen_case_rate(citizen, id, satisfaction, note, self.now()).await?)
    }

    /// 提交证据: a party adds a photo or a document to their case, checked and hashed like
    /// every evidence file.
    pub async fn citizen_evidence_add(
        &self,
        citizen: &Citizen,
        id: CaseId,
        name: Option<&str>,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<crate::mediation::EvidenceView> {
        authz::may(Role::Citizen, Permission::CitizenCaseBring, Resource::OWN)?;
        let viewer = self.store.viewer_of_party(citizen, id, self.now()).await?;
        self.evidence_add(&viewer, id, name, content_type, bytes).await
    }

    /// One evidence file of the citizen's case, with its content.
    pub async fn citizen_evidence_file(
        &self,
        citizen: &Citizen,
        id: CaseId,
        evidence: EvidenceId,
    ) -> Result<(crate::mediation::EvidenceView, Vec<u8>)> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        let viewer = self.store.viewer_of_party(citizen, id, self.now()).await?;
        self.evidence_file(&viewer, id, evidence).await
    }

    /// 质证: the party's comment on an evidence file of their case (at most 500 characters).
    pub async fn citizen_evidence_comment(
        &self,
        citizen: &Citizen,
        id: CaseId,
        evidence: EvidenceId,
        text: Option<&str>,
    ) -> Result<CitizenCase> {
        authz::may(Role::Citizen, Permission::CitizenCaseBring, Resource::OWN)?;
        let mut c = Checker::default();
        let text = c.required_text("text", text, 500);
        c.into_result()?;
        let now = self.now();
        let viewer = self.store.viewer_of_party(citizen, id, now).await?;
        self.store.evidence_comment(&viewer, id, evidence, text.as_deref().unwrap_or_default(), now).await?;
        Ok(self.store.citizen_case(citizen, id, now).await?)
    }

    /// 群众点单: the mediators the party may choose from for their case, best suited first,
    /// each with their profile and what speaks for them; empty once one is chosen.
    pub async fn citizen_mediator_offers(&self, citizen: &Citizen, id: CaseId) -> Result<Vec<MediatorCandidate>> {
        authz::may(Role::Citizen, Permission::CitizenMediatorChoose, Resource::OWN)?;
        let now = self.now();
        let viewer = self.store.viewer_of_party(citizen, id, now).await?;
        if self.store.case_mediator(&viewer, id).await?.is_some() {
            return Ok(Vec::new());
        }
        let mut offers = self.store.mediator_suggestions(&viewer, id).await?;
        offers.truncate(store::sessions::PARTY_CHOICES);
        Ok(offers)
    }

    /// 群众点单: the party chooses one of the mediators offered, while none is chosen.
    pub async fn citizen_mediator_choose(
        &self,
        citizen: &Citizen,
        id: CaseId,
        user_id: Option<i64>,
    ) -> Result<CitizenCase> {
        authz::may(Role::Citizen, Permission::CitizenMediatorChoose, Resource::OWN)?;
        let user_id = user_id.ok_or_else(|| AppError::field(FieldError::required("user_id")))?;
        let now = self.now();
        self.store.citizen_mediator_choose(citizen, id, UserId(user_id), now).await?;
        Ok(self.store.citizen_case(citizen, id, now).await?)
    }

    /// A party's own step at a mediation session of their case: `rights` (the rights and
    /// duties notice read), `consent` (to the mediator, after the disclosure), `minutes` (the
    /// minutes confirmed). Each is recorded once, in the case's history.
    pub async fn citizen_session_act(&self, citizen: &Citizen, id: SessionId, act: &str) -> Result<CitizenCase> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        let act = match act {
            "rights" => PartyAct::AcknowledgeRights,
            "consent" => PartyAct::Consent,
            "minutes" => PartyAct::ConfirmMinutes,
            _ => return Err(AppError::field(FieldError::not_one_of("act", "rights | consent | minutes"))),
        };
        let now = self.now();
        let session = self.store.citizen_session_act(citizen, id, act, now).await?;
        Ok(self.store.citizen_case(citizen, CaseId(session.case_id), now).await?)
    }

    /// A party signs an agreement sent for signing, in the portal: their handwritten signature
    /// (a PNG data URL); the sign-in by SMS code stands for the link's code.
    pub async fn citizen_agreement_sign(
        &self,
        citizen: &Citizen,
        id: AgreementId,
        signature: Option<&str>,
    ) -> Result<CitizenCase> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        let signature = self.signature_image(signature)?;
        let now = self.now();
        let agreement = self.store.citizen_agreement_sign(citizen, id, &signature, now).await?;
        Ok(self.store.citizen_case(citizen, CaseId(agreement.case_id), now).await?)
    }

    /// What the citizen has told of themselves (phone, and name and ID number once given).
    pub async fn citizen_profile(&self, citizen: &Citizen) -> Result<CitizenProfile> {
        Ok(self.store.citizen_profile(citizen).await?)
    }

    /// 实名认证: the citizen's name and ID number (GB 11643), after which every case where a
    /// party has both is theirs too. Both fields are checked at once; nothing changes on error.
    pub async fn citizen_real_name(
        &self,
        citizen: &Citizen,
        name: Option<&str>,
        id_number: Option<&str>,
    ) -> Result<CitizenProfile> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        let now = self.now();
        let mut c = Checker::default();
        let name = c.required_text("name", name, domain::case::limits::NAME);
        let id_number = c.required_text("id_number", id_number, 32).and_then(|text| {
            c.check(domain::case::parse_id_number(
                "id_number",
                &text,
                now.with_timezone(&domain::china_time()).date_naive(),
            ))
        });
        c.into_result()?;
        let (Some(name), Some(id_number)) = (name, id_number) else { return Err(AppError::Invalid(Vec::new())) };
        Ok(self.store.citizen_real_name(citizen, &name, &id_number, now).await?)
    }

    /// 拒绝调解 (人民调解法 art. 17): the party expressly refuses mediation of their case, with a
    /// reason; no session can then be scheduled, and the handling unit concludes it `refused`.
    pub async fn citizen_mediation_refuse(
        &self,
        citizen: &Citizen,
        id: CaseId,
        reason: Option<&str>,
    ) -> Result<CitizenCase> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        let mut c = Checker::default();
        let reason = c.required_text("reason", reason, 500);
        c.into_result()?;
        let reason = reason.unwrap_or_default();
        Ok(self.store.citizen_mediation_refuse(citizen, id, &reason, self.now()).await?)
    }

    /// The party's consent to the joint application for judicial confirmation (art. 33) of an
    /// agreement in effect.
    pub async fn citizen_confirmation_consent(&self, citizen: &Citizen, id: AgreementId) -> Result<CitizenCase> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        let now = self.now();
        let agreement = self.store.citizen_confirmation_consent(citizen, id, now).await?;
        Ok(self.store.citizen_case(citizen, CaseId(agreement.case_id), now).await?)
    }

    /// 送达: the party receives their served copy of an agreement in the portal (the receipt is
    /// recorded the first time); the PDF and a file name.
    pub async fn citizen_service_receive(&self, citizen: &Citizen, id: AgreementId) -> Result<(Vec<u8>, String)> {
        authz::may(Role::Citizen, Permission::CitizenCaseFollow, Resource::OWN)?;
        let (document, number) = self.store.citizen_service_receive(citizen, id, self.now()).await?;
        Ok((self.blobs.get(&document)?, number))
    }

    /// The 解纷码 of a case the viewer sees (printed on the window's receipt).
    pub fn tracking_code(&self, id: CaseId) -> String {
        self.store.tracking_code(id)
    }
}
