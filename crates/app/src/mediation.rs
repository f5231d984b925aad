//! Mediation to agreement: drafting, signing by one-time link and code, the mediator's
//! signature and the seal with the fixed PDF copies, electronic service, judicial
//! confirmation, performance, evidence, mediator suggestions and the SMS outbox.

use base64::Engine;
use domain::authz::{self, Permission};
use domain::ids::{AgreementId, CaseId, EvidenceId, UnitId};
use domain::mediation::AgreementStatus;
pub use domain::mediation::{AgreementInput, MediatorCandidate};
use domain::msg;
use domain::validation::{Checker, FieldError};
use store::mediation::NewEvidence;
pub use store::mediation::{
    AgreementParty, AgreementView, ConfirmationView, DeliveryView, EvidenceView, MAX_SIGNING_RESENDS, OutboxMessage,
    SIGNING_RESEND_INTERVAL_SECS, SigningSmsView, SigningView, TermView,
};

use crate::{App, AppError, Result, Viewer};

/// The largest evidence file accepted.
pub const EVIDENCE_MAX_BYTES: usize = 10 * 1024 * 1024;
/// The largest handwritten signature image accepted.
pub const SIGNATURE_MAX_BYTES: usize = 512 * 1024;
/// Evidence types accepted, with the first bytes each must start with.
const EVIDENCE_TYPES: &[(&str, &[u8])] =
    &[("application/pdf", b"%PDF-"), ("image/png", b"\x89PNG\r\n\x1a\n"), ("image/jpeg", b"\xff\xd8\xff")];
/// Agreements whose copies one pass of the scheduler fixes at most.
const COPIES_BATCH: i64 = 20;

/// 413: an evidence file over [`EVIDENCE_MAX_BYTES`].
pub fn evidence_too_large() -> AppError {
    let mb = EVIDENCE_MAX_BYTES / 1024 / 1024;
    AppError::TooLarge { message: msg!("evidence.too_large", mb = mb) }
}

impl App {
    /// One agreement, if the viewer sees its case.
    pub async fn agreement_get(&self, viewer: &Viewer, id: AgreementId) -> Result<AgreementView> {
        Ok(self.store.agreement_get(viewer, id).await?)
    }

    pub async fn agreements_of_case(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<AgreementView>> {
        Ok(self.store.agreements_of_case(viewer, case_id).await?)
    }

    /// Drafts the mediation agreement of a case (人民调解法 art. 29); the facts default to the
    /// case's description. An oral agreement takes effect at once (arts. 28, 30).
    pub async fn agreement_draft(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        input: AgreementInput,
    ) -> Result<AgreementView> {
        let description = self.store.case_get(viewer, case_id, None, self.now()).await?.description;
        let (content, form) = input.validate(&description)?;
        let view = self.store.agreement_create(viewer, case_id, content, form, self.now()).await?;
        Ok(self.agreement_in_effect(view))
    }

    /// Edits a draft; `revision` is the one last read (a stale one is refused).
    pub async fn agreement_revise(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        revision: Option<i64>,
        input: AgreementInput,
    ) -> Result<AgreementView> {
        let current = self.store.agreement_get(viewer, id).await?;
        let revision = revision.ok_or_else(|| AppError::field(FieldError::required("revision")))?;
        let (content, _) = input.validate(&current.content.facts)?;
        Ok(self.store.agreement_update(viewer, id, content, revision, self.now()).await?)
    }

    /// Sends the draft for signing: each party gets a one-time link (`link(token)`) and a
    /// verification code by SMS.
    pub async fn agreement_signing_start(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        link: impl Fn(&str) -> String,
    ) -> Result<AgreementView> {
        Ok(self.store.agreement_start_signing(viewer, id, link, self.now()).await?)
    }

    /// Sends one party a new signing link and code (the old ones stop working), within the
    /// limits of [`MAX_SIGNING_RESENDS`] and [`SIGNING_RESEND_INTERVAL_SECS`].
    pub async fn agreement_signing_resend(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        party_index: usize,
        link: impl Fn(&str) -> String,
    ) -> Result<AgreementView> {
        Ok(self.store.agreement_signing_resend(viewer, id, party_index, link, self.now()).await?)
    }

    /// The signing links of the parties yet to sign, for the mediator to pass on another way:
    /// (party index, link). The codes still go only by SMS.
    pub async fn agreement_signing_links(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        link: impl Fn(&str) -> String,
    ) -> Result<Vec<(usize, String)>> {
        let tokens = self.store.agreement_signing_tokens(viewer, id, self.now()).await?;
        Ok(tokens.into_iter().map(|(index, token)| (index, link(&token))).collect())
    }

    /// The mediator signs with a handwritten signature (a PNG data URL).
    pub async fn agreement_mediator_sign(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        signature: Option<&str>,
    ) -> Result<AgreementView> {
        authz::may_at_all(viewer.role, Permission::AgreementMediatorSign)?;
        self.store.agreement_get(viewer, id).await?;
        let signature = self.signature_image(signature)?;
        Ok(self.store.agreement_mediator_sign(viewer, id, &signature, self.now()).await?)
    }

    /// Applies the committee's seal: the agreement takes effect at the last signature or the
    /// seal; its PDF copies are fixed right after the answer.
    pub async fn agreement_seal(&self, viewer: &Viewer, id: AgreementId) -> Result<AgreementView> {
        let view = self.store.agreement_seal(viewer, id, self.now()).await?;
        Ok(self.agreement_in_effect(view))
    }

    /// Records a written agreement signed on paper (required for personal relations,
    /// Electronic Signature Law art. 3): it takes effect now; its copies are fixed right after.
    pub async fn agreement_paper_signed(&self, viewer: &Viewer, id: AgreementId) -> Result<AgreementView> {
        let view = self.store.agreement_paper_signed(viewer, id, self.now()).await?;
        Ok(self.agreement_in_effect(view))
    }

    /// What was signed is what is served: once an agreement is in effect (its transaction has
    /// committed), its copies are rendered and fixed — after the answer, since typesetting three
    /// copies takes longer than a person should wait for a button. The answer says the
    /// agreement is in effect, with no copies yet; a download before they are fixed waits for
    /// them (`agreement_copy`). If rendering fails (no fonts, say), the agreement is in effect
    /// all the same: the scheduler's next pass, or the first download, fixes the copies.
    pub(crate) fn agreement_in_effect(&self, view: AgreementView) -> AgreementView {
        if view.status == AgreementStatus::Effective && view.documents.is_empty() {
            let app = self.clone();
            let fixing = view.clone();
            tokio::spawn(async move {
                if let Err(error) = app.agreement_copies_fix(&fixing).await {
                    tracing::error!(agreement = fixing.id, %error, "the agreement's copies are not fixed yet; the scheduler retries");
                }
            });
        }
        view
    }

    /// Fixes the copies of effective agreements that have none yet; returns how many it fixed.
    pub async fn agreements_copies_catch_up(&self) -> Result<usize> {
        let mut fixed = 0;
        for view in self.store.agreements_without_copies(COPIES_BATCH).await? {
            if self.agreement_copies_fix(&view).await? {
                fixed += 1;
            }
        }
        Ok(fixed)
    }

    /// A copy of the agreement as PDF (`archive`, `party-0` …) and a file name for it: the
    /// copy fixed when it took effect, or the draft.
    pub async fn agreement_pdf(&self, viewer: &Viewer, id: AgreementId, copy: &str) -> Result<(Vec<u8>, String)> {
        let view = self.store.agreement_get(viewer, id).await?;
        let bytes = self.agreement_copy(&view, copy).await?;
        Ok((bytes, format!("{}-{copy}", view.case_number)))
    }

    /// Serves the effective agreement on every party (电子送达): a link (`link(token)`) to
    /// their copy by SMS; opening it records the receipt.
    pub async fn agreement_serve(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        link: impl Fn(&str) -> String,
    ) -> Result<AgreementView> {
        Ok(self.store.agreement_serve(viewer, id, link, self.now()).await?)
    }

    /// A party opens their delivered copy: the receipt is recorded; the copy and a file name.
    pub async fn service_open(&self, token: &str) -> Result<(Vec<u8>, String)> {
        let (document, number) = self.store.service_open(token, self.now()).await?;
        Ok((self.blobs.get(&document)?, number))
    }

    /// The parties' joint application for judicial confirmation (art. 33).
    pub async fn confirmation_apply(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        applicants: Option<Vec<usize>>,
        court_unit_id: Option<UnitId>,
    ) -> Result<AgreementView> {
        let applicants = applicants.ok_or_else(|| AppError::field(FieldError::required("applicants")))?;
        Ok(self.store.confirmation_apply(viewer, id, &applicants, court_unit_id, self.now()).await?)
    }

    /// The court rules: `confirmed` (enforceable) or `rejected` with reasons.
    pub async fn confirmation_rule(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        decision: Option<&str>,
        reasons: Option<&str>,
    ) -> Result<AgreementView> {
        let mut c = Checker::default();
        let decision = c.required_text("decision", decision, 16);
        let reasons = c.optional_text("reasons", reasons, 5000);
        let confirmed = match decision.as_deref() {
            Some("confirmed") => Some(true),
            Some("rejected") => Some(false),
            Some(_) => {
                c.push(FieldError::not_one_of("decision", "confirmed | rejected"));
                None
            }
            None => None,
        };
        c.into_result()?;
        let confirmed = confirmed.ok_or(AppError::Invalid(Vec::new()))?;
        Ok(self.store.confirmation_rule(viewer, id, confirmed, reasons, self.now()).await?)
    }

    /// Performance of a term (履行): `performed` or `breached`.
    pub async fn performance_record(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        term: Option<usize>,
        status: Option<&str>,
        note: Option<&str>,
    ) -> Result<AgreementView> {
        let mut c = Checker::default();
        if term.is_none() {
            c.push(FieldError::required("term"));
        }
        let performed = match status.map(str::trim) {
            Some("performed") => Some(true),
            Some("breached") => Some(false),
            Some(_) => {
                c.push(FieldError::not_one_of("status", "performed | breached"));
                None
            }
            None => {
                c.push(FieldError::required("status"));
                None
            }
        };
        let note = c.optional_text("note", note, 2000);
        c.into_result()?;
        let (Some(term), Some(performed)) = (term, performed) else { return Err(AppError::Invalid(Vec::new())) };
        Ok(self.store.performance_record(viewer, id, term, performed, note, self.now()).await?)
    }

    /// What a signing link shows its party (no sign-in: the link is the credential).
    pub async fn signing_view(&self, token: &str) -> Result<SigningView> {
        Ok(self.store.signing_view(token, self.now()).await?)
    }

    /// A party signs through their link with the code from the SMS and a handwritten
    /// signature. An unknown or expired link, a second signature, a wrong code are refused.
    pub async fn agreement_sign_by_link(
        &self,
        token: &str,
        code: Option<&str>,
        signature: Option<&str>,
    ) -> Result<SigningView> {
        let view = self.store.signing_view(token, self.now()).await?;
        if view.signed_at.is_some() {
            return Err(AppError::conflict("already_signed", msg!("agreement.already_signed")));
        }
        let mut c = Checker::default();
        let code = c.required_text("code", code, 12);
        c.into_result()?;
        let signature = self.signature_image(signature)?;
        Ok(self.store.sign_by_link(token, code.as_deref().unwrap_or_default(), &signature, self.now()).await?)
    }

    /// A handwritten signature sent as a PNG data URL, stored by its hash.
    pub(crate) fn signature_image(&self, data_url: Option<&str>) -> Result<String> {
        let bad = |message| AppError::field(FieldError::new("signature", "invalid_signature", message));
        let data_url = data_url
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AppError::field(FieldError::required("signature")))?;
        let encoded =
            data_url.strip_prefix("data:image/png;base64,").ok_or_else(|| bad(msg!("signature.not_a_data_url")))?;
        if encoded.len() > SIGNATURE_MAX_BYTES * 4 / 3 + 4 {
            return Err(bad(msg!("signature.too_large")));
        }
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| bad(msg!("signature.unreadable")))?;
        if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(bad(msg!("signature.not_png")));
        }
        Ok(self.blobs.put(&bytes)?)
    }

    /// Adds an evidence file to a case: its type checked against its first bytes, stored by
    /// hash, its SHA-256 written into the case history.
    pub async fn evidence_add(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        name: Option<&str>,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<EvidenceView> {
        self.store.case_get(viewer, case_id, None, self.now()).await?;
        let content_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let Some((_, magic)) = EVIDENCE_TYPES.iter().find(|(t, _)| *t == content_type) else {
            let accepted: Vec<&str> = EVIDENCE_TYPES.iter().map(|(t, _)| *t).collect();
            return Err(AppError::field(FieldError::new(
                "content_type",
                "forbidden_type",
                msg!("evidence.type_refused", content_type = content_type, accepted = accepted.join(", ")),
            )));
        };
        if bytes.len() > EVIDENCE_MAX_BYTES {
            return Err(evidence_too_large());
        }
        if bytes.is_empty() || !bytes.starts_with(magic) {
            return Err(AppError::field(FieldError::new(
                "content_type",
                "content_mismatch",
                msg!("evidence.content_mismatch"),
            )));
        }
        let name = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or("evidence");
        if name.chars().count() > 200 {
            return Err(AppError::field(FieldError::too_long("name", 200)));
        }
        let sha = self.blobs.put(bytes)?;
        let file = NewEvidence { name, content_type: &content_type, size: bytes.len() as i64, sha256: &sha };
        Ok(self.store.evidence_add(viewer, case_id, file, self.now()).await?)
    }

    pub async fn evidence_list(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<EvidenceView>> {
        Ok(self.store.evidence_list(viewer, case_id).await?)
    }

    /// One evidence file with its content, checked against its SHA-256. A recording's whose
    /// file was deleted at the end of its retention period is a conflict that says so, and when.
    pub async fn evidence_file(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        id: EvidenceId,
    ) -> Result<(EvidenceView, Vec<u8>)> {
        let file = self.store.evidence_get(viewer, case_id, id).await?;
        if let Some(purged_at) = file.purged_at {
            let on = purged_at.with_timezone(&domain::china_time()).format("%Y-%m-%d").to_string();
            return Err(AppError::conflict("recording_purged", msg!("evidence.recording_purged", date = on)));
        }
        let bytes = self.blobs.get(&file.sha256)?;
        Ok((file, bytes))
    }

    /// Mediators for the case, best first, each with the reasons.
    pub async fn mediator_suggestions(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<MediatorCandidate>> {
        Ok(self.store.mediator_suggestions(viewer, case_id).await?)
    }

    /// The SMS outbox, newest first (administrators).
    pub async fn outbox(&self, viewer: &Viewer, limit: i64) -> Result<Vec<OutboxMessage>> {
        Ok(self.store.outbox(viewer, limit).await?)
    }
}
