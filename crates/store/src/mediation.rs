//! Mediation to agreement, as stored: the agreement (draft → signing → effective) with its
//! one-time signing links and verification codes, the mediator's signature and the
//! committee's seal, electronic service with receipts, the judicial confirmation and the
//! court's ruling, performance of each term, evidence, sessions, mediator suggestions, and the
//! SMS outbox the links and codes leave through.
//!
//! Every act is an event in the case's hash-chained history, in the same transaction. Links
//! and codes are stored as SHA-256 only; a link's code is tried at most [`MAX_CODE_ATTEMPTS`]
//! times, each try counted by one conditional statement before the code is compared.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::{Category, Status};
use domain::i18n::T;
use domain::ids::{AgreementId, CaseId, EvidenceId, MessageId, UnitId};
use domain::mediation::{
    self, AgreementContent, AgreementForm, AgreementStatus, AgreementStep, MediatorCandidate, confirmation_deadline,
    confirmation_warnings, paper_required,
};
use domain::msg;
use domain::validation::{FieldError, Message};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::cases::append_event_locked;
use crate::sql::{Arg, Tx, args, from_row};
use crate::{Result, Store, StoreError, Viewer, from_ms, rfc3339, to_ms};

/// How long a signing or service link stays valid.
pub const LINK_LIFETIME_HOURS: i64 = 72;
/// Wrong codes allowed on one signing link.
pub const MAX_CODE_ATTEMPTS: i64 = 5;
/// Signing SMS a mediator may resend to one party of an agreement: enough for a lost or
/// mistyped code, too few to flood a phone.
pub const MAX_SIGNING_RESENDS: i64 = 3;
/// The least time between two signing SMS to one party.
pub const SIGNING_RESEND_INTERVAL_SECS: i64 = 60;

/// A party as the agreement prints it (snapshot at drafting, stored with the agreement as
/// JSON), with their signature.
#[derive(Debug, Clone, Deserialize)]
pub struct AgreementParty {
    pub index: usize,
    /// applicant | respondent | third_party
    pub role: String,
    pub name: String,
    /// Masked ID number or the organisation's credit code.
    pub id_number: String,
    pub phone_masked: Option<String>,
    pub phone_cipher: Option<String>,
    pub address_cipher: Option<String>,
    /// When this party signed.
    pub signed_at: Option<DateTime<Utc>>,
    /// SHA-256 of the handwritten signature.
    pub signature: Option<String>,
}

/// The signing SMS of one party as the mediator follows it: how the outbox's message fared
/// (`queued` | `sent` | `failed` | `kept`: the built-in gateway keeps it in the outbox), how
/// many resends are left, and until when the current link works.
#[derive(Debug, Clone)]
pub struct SigningSmsView {
    pub party_index: usize,
    /// None for links sent before deliveries were followed.
    pub delivery: Option<&'static str>,
    pub sent_at: Option<DateTime<Utc>>,
    pub resends_left: i64,
    pub expires_at: DateTime<Utc>,
    pub signed: bool,
}

#[derive(Debug, Clone)]
pub struct DeliveryView {
    pub party_index: usize,
    /// SHA-256 of the copy delivered.
    pub document: String,
    pub sent_at: DateTime<Utc>,
    /// The receipt: when the party opened the link.
    pub opened_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct ConfirmationView {
    pub court_unit_id: i64,
    pub applicants: Vec<usize>,
    pub applied_at: DateTime<Utc>,
    /// What was sent to the court: the agreement, proof of mediation, identities, service addresses.
    pub package: serde_json::Value,
    /// confirmed | rejected, null while pending
    pub decision: Option<String>,
    pub reasons: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct TermView {
    pub index: usize,
    pub text: String,
    pub due: Option<NaiveDate>,
    /// pending | performed | breached
    pub status: String,
    pub note: Option<String>,
    /// The route when a term is breached: enforcement for a confirmed agreement, a lawsuit otherwise.
    pub remedy: Option<String>,
}

/// An agreement with its signatures, service, confirmation and performance.
#[derive(Debug, Clone)]
pub struct AgreementView {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    /// written | oral
    pub form: AgreementForm,
    pub status: AgreementStatus,
    /// Changes with every edit of a draft; send it back with the next edit.
    pub revision: i64,
    pub content: AgreementContent,
    pub parties: Vec<AgreementParty>,
    /// Why it must be signed on paper (Electronic Signature Law art. 3), when it must.
    pub paper_required: Option<String>,
    /// Why a court may not confirm it.
    pub warnings: Vec<String>,
    pub mediator: String,
    pub mediator_name: String,
    pub committee: String,
    pub mediator_signed_at: Option<DateTime<Utc>>,
    pub sealed_at: Option<DateTime<Utc>>,
    /// The last of the parties' signatures, the mediator's and the seal (art. 29); for an oral
    /// agreement, when it was reached (art. 30).
    pub effective_at: Option<DateTime<Utc>>,
    /// The last moment to apply for judicial confirmation (30 days, art. 33).
    pub confirm_by: Option<DateTime<Utc>>,
    /// Copies fixed when it took effect: `archive`, `party-0` … → SHA-256 of the PDF.
    pub documents: serde_json::Map<String, serde_json::Value>,
    pub deliveries: Vec<DeliveryView>,
    /// The signing SMS per party, once the agreement was sent for signing.
    pub signing_sms: Vec<SigningSmsView>,
    pub confirmation: Option<ConfirmationView>,
    pub terms: Vec<TermView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct AgreementRow {
    id: i64,
    case_id: i64,
    form: String,
    status: String,
    revision: i64,
    content: String,
    parties: String,
    paper_required: Option<String>,
    warnings: String,
    mediator: String,
    mediator_name: String,
    committee: String,
    mediator_signed_at: Option<i64>,
    sealed_at: Option<i64>,
    effective_at: Option<i64>,
    confirm_by: Option<i64>,
    documents: Option<String>,
    created_at: i64,
    updated_at: i64,
}
from_row!(AgreementRow {
    id,
    case_id,
    form,
    status,
    revision,
    content,
    parties,
    paper_required,
    warnings,
    mediator,
    mediator_name,
    committee,
    mediator_signed_at,
    sealed_at,
    effective_at,
    confirm_by,
    documents,
    created_at,
    updated_at
});

const AGREEMENT_COLUMNS: &str = "id, case_id, form, status, revision, content, parties, paper_required, warnings, mediator, mediator_name, committee, mediator_signed_at, sealed_at, effective_at, confirm_by, documents, created_at, updated_at";

impl AgreementRow {
    fn form(&self) -> AgreementForm {
        if self.form == "oral" { AgreementForm::Oral } else { AgreementForm::Written }
    }

    fn status(&self) -> Result<AgreementStatus> {
        AgreementStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Setup(format!("agreement {} has an unknown status {}", self.id, self.status)))
    }

    fn content(&self) -> Result<AgreementContent> {
        serde_json::from_str(&self.content).map_err(|e| StoreError::Setup(format!("agreement content: {e}")))
    }

    fn parties(&self) -> Result<Vec<AgreementParty>> {
        serde_json::from_str(&self.parties).map_err(|e| StoreError::Setup(format!("agreement parties: {e}")))
    }
}

/// role, name, masked ID, credit code, phone cipher, masked phone, address cipher
type CasePartyRow = (String, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
/// user id, name, unit id, unit region, unit categories, specialities, rating sum, rating count
/// A mediator's profile, then their unit's open cases and the cases they mediated and resolved.
type MediatorRow =
    (i64, String, i64, String, String, Option<String>, Option<String>, Option<i64>, Option<i64>, i64, i64, i64);

/// An evidence file, stored by its SHA-256.
pub struct NewEvidence<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
}

/// What a signing link shows its party.
#[derive(Debug, Clone)]
pub struct SigningView {
    pub agreement: AgreementView,
    pub party_index: usize,
    pub party_name: String,
    pub expires_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
}

fn hash(text: &str) -> String {
    domain::history::hex(&Sha256::digest(text.as_bytes()))
}

fn new_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<24>())
}

pub(crate) fn new_code() -> String {
    let n = u32::from_le_bytes(crate::crypto::random_bytes::<4>()) % 1_000_000;
    format!("{n:06}")
}

fn not_found() -> StoreError {
    StoreError::NotFound { what: "agreement" }
}

fn conflict(code: &'static str, message: Message) -> StoreError {
    StoreError::conflict(code, message)
}

/// Takes `step` on agreement `id` within `tx`: applies `set` (its parameters numbered from
/// `$1`) and moves the status to where the step leads — if, and only if, the agreement is still
/// in the status the step requires. The guard, the transition and (on PostgreSQL) the row's
/// lock for the rest of the transaction are one statement, so two steps taken at the same
/// moment cannot both pass.
async fn step_update(tx: &mut Tx, id: i64, step: AgreementStep, set: &str, mut args: Vec<Arg>) -> Result<()> {
    let n = args.len();
    args.extend([Arg::from(step.leads_to().as_str()), Arg::from(id), Arg::from(step.requires().as_str())]);
    let sql = format!("UPDATE agreements SET {set}, status = ${} WHERE id = ${} AND status = ${}", n + 1, n + 2, n + 3);
    if tx.execute(&sql, args).await? == 0 {
        return Err(step.refusal().into());
    }
    Ok(())
}

/// The remedy for a breached term (人民调解法 arts. 32, 33).
fn remedy(confirmed: bool) -> String {
    if confirmed {
        "协议已经司法确认：一方拒绝履行的，对方可以向人民法院申请强制执行（人民调解法第三十三条）".to_owned()
    } else {
        "当事人可以就调解协议的履行或者内容向人民法院提起诉讼（人民调解法第三十二条）".to_owned()
    }
}

impl Store {
    /// The end of every step on an agreement: the step's event in the case's history, the
    /// transaction committed, the agreement read again as the viewer sees it.
    async fn agreement_recorded(
        &self,
        mut tx: Tx,
        viewer: &Viewer,
        row: &AgreementRow,
        at_ms: i64,
        action: &str,
        data: &serde_json::Value,
    ) -> Result<AgreementView> {
        append_event_locked(&mut tx, row.case_id, at_ms, &viewer.username, action, data).await?;
        tx.commit().await?;
        self.agreement_get(viewer, AgreementId(row.id)).await
    }

    async fn agreement_row(&self, viewer: &Viewer, id: i64) -> Result<AgreementRow> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = $1");
        let row: AgreementRow = self.fetch_optional(&sql, args![id]).await?.ok_or_else(not_found)?;
        // The agreement is seen by whoever sees its case.
        self.case_row(viewer, row.case_id).await.map_err(|_| not_found())?;
        Ok(row)
    }

    async fn agreement_view(&self, row: AgreementRow) -> Result<AgreementView> {
        let (case_number,): (String,) =
            self.fetch_one("SELECT number FROM cases WHERE id = $1", args![row.case_id]).await?;
        let deliveries: Vec<(i64, String, i64, Option<i64>)> = self
            .fetch_all(
                "SELECT party_index, document, sent_at, opened_at FROM deliveries WHERE agreement_id = $1 ORDER BY party_index",
                args![row.id],
            )
            .await?;
        type ConfirmationRow = (i64, String, String, i64, Option<String>, Option<String>, Option<i64>);
        let confirmation: Option<ConfirmationRow> = self
            .fetch_optional(
                "SELECT court_unit_id, applicants, package, applied_at, decision, reasons, decided_at FROM confirmations WHERE agreement_id = $1",
                args![row.id],
            )
            .await?;
        let performances: Vec<(i64, String, Option<String>)> = self
            .fetch_all(
                "SELECT term_index, status, note FROM performances WHERE agreement_id = $1 ORDER BY id",
                args![row.id],
            )
            .await?;
        type SignerRow = (i64, Option<String>, Option<i64>, i64, i64, Option<i64>);
        let signing_sms: Vec<SignerRow> = self
            .fetch_all(
                "SELECT s.party_index, o.status, s.sent_at, s.resends, s.expires_at, s.signed_at FROM agreement_signers s LEFT JOIN outbox o ON o.id = s.outbox_id WHERE s.agreement_id = $1 ORDER BY s.party_index",
                args![row.id],
            )
            .await?;
        let parties = self.agreement_parties(&row).await?;
        let content = row.content()?;
        let confirmed = confirmation.as_ref().is_some_and(|c| c.4.as_deref() == Some("confirmed"));
        let terms = content
            .terms
            .iter()
            .enumerate()
            .map(|(index, term)| {
                let last = performances.iter().rev().find(|p| p.0 == index as i64);
                let status = last.map_or("pending".to_owned(), |p| p.1.clone());
                TermView {
                    index,
                    text: term.text.clone(),
                    due: term.due,
                    remedy: (status == "breached").then(|| remedy(confirmed)),
                    note: last.and_then(|p| p.2.clone()),
                    status,
                }
            })
            .collect();
        Ok(AgreementView {
            id: row.id,
            case_id: row.case_id,
            case_number,
            form: row.form(),
            status: row.status()?,
            revision: row.revision,
            parties,
            paper_required: row.paper_required.clone(),
            warnings: serde_json::from_str(&row.warnings).unwrap_or_default(),
            mediator: row.mediator.clone(),
            mediator_name: row.mediator_name.clone(),
            committee: row.committee.clone(),
            mediator_signed_at: row.mediator_signed_at.map(from_ms),
            sealed_at: row.sealed_at.map(from_ms),
            effective_at: row.effective_at.map(from_ms),
            confirm_by: row.confirm_by.map(from_ms),
            documents: row.documents.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default(),
            deliveries: deliveries
                .into_iter()
                .map(|(party_index, document, sent_at, opened_at)| DeliveryView {
                    party_index: party_index as usize,
                    document,
                    sent_at: from_ms(sent_at),
                    opened_at: opened_at.map(from_ms),
                })
                .collect(),
            signing_sms: signing_sms
                .into_iter()
                .map(|(party_index, status, sent_at, resends, expires_at, signed_at)| SigningSmsView {
                    party_index: party_index as usize,
                    delivery: status.as_deref().map(delivery_state),
                    sent_at: sent_at.map(from_ms),
                    resends_left: (MAX_SIGNING_RESENDS - resends).max(0),
                    expires_at: from_ms(expires_at),
                    signed: signed_at.is_some(),
                })
                .collect(),
            confirmation: confirmation.map(
                |(court_unit_id, applicants, package, applied_at, decision, reasons, decided_at)| ConfirmationView {
                    court_unit_id,
                    applicants: serde_json::from_str(&applicants).unwrap_or_default(),
                    applied_at: from_ms(applied_at),
                    package: serde_json::from_str(&package).unwrap_or_default(),
                    decision,
                    reasons,
                    decided_at: decided_at.map(from_ms),
                },
            ),
            terms,
            content,
            created_at: from_ms(row.created_at),
            updated_at: from_ms(row.updated_at),
        })
    }

    /// One agreement, if the viewer sees its case or its court referred the case.
    pub async fn agreement_get(&self, viewer: &Viewer, id: AgreementId) -> Result<AgreementView> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = $1");
        let row: AgreementRow = self.fetch_optional(&sql, args![id.get()]).await?.ok_or_else(not_found)?;
        // Read by whoever sees its case, and by the court that referred the case (the agreement
        // goes back to it); an unseen case is an unseen agreement.
        match self.case_row_or_referred(viewer, row.case_id).await {
            Err(StoreError::NotFound { .. }) => return Err(not_found()),
            seen => seen?,
        };
        self.agreement_view(row).await
    }

    /// The agreements of a case.
    pub async fn agreements_of_case(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<AgreementView>> {
        let case_id = case_id.get();
        self.case_row(viewer, case_id).await?;
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE case_id = $1 ORDER BY id");
        let rows: Vec<AgreementRow> = self.fetch_all(&sql, args![case_id]).await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            views.push(self.agreement_view(row).await?);
        }
        Ok(views)
    }

    /// The agreement's parties with their signatures. `agreement_signers` is the one record of
    /// a party's signature: the row's party list is the snapshot taken at drafting and never
    /// changes. A written agreement that took effect without signing links was signed on paper,
    /// by every party, when it took effect.
    async fn agreement_parties(&self, row: &AgreementRow) -> Result<Vec<AgreementParty>> {
        let signatures: Vec<(i64, Option<i64>, Option<String>)> = self
            .fetch_all(
                "SELECT party_index, signed_at, signature FROM agreement_signers WHERE agreement_id = $1",
                args![row.id],
            )
            .await?;
        let on_paper = signatures.is_empty()
            && row.status()? == AgreementStatus::Effective
            && row.form() == AgreementForm::Written;
        let mut parties = row.parties()?;
        for party in &mut parties {
            let signed = signatures.iter().find(|(index, _, _)| *index == party.index as i64);
            (party.signed_at, party.signature) = match signed {
                Some((_, at, signature)) => (at.map(from_ms), signature.clone()),
                None if on_paper => (row.effective_at.map(from_ms), None),
                None => (None, None),
            };
        }
        Ok(parties)
    }

    /// The case, if the viewer sees it and the policy grants `permission` on it — knowing
    /// whether the viewer's unit handles it (lead or assisting).
    pub(crate) async fn case_for(
        &self,
        viewer: &Viewer,
        case_id: i64,
        permission: Permission,
    ) -> Result<crate::cases::CaseRow> {
        authz::may_at_all(viewer.role, permission)?;
        let row = self.case_row(viewer, case_id).await?;
        let handling = row.lead_unit_id() == Some(viewer.unit_id) || {
            let (assigned,): (i64,) = self
                .fetch_one(
                    "SELECT COUNT(*) FROM case_units WHERE case_id = $1 AND unit_id = $2",
                    args![case_id, viewer.unit_id],
                )
                .await?;
            assigned > 0
        };
        authz::may(viewer.role, permission, Resource { handling, ..Resource::ANY })?;
        Ok(row)
    }

    /// The agreement for a step: visible to the viewer (404), the step permitted to them on its
    /// case (403), the agreement in the status the step requires (409); with its case.
    async fn agreement_for(
        &self,
        viewer: &Viewer,
        id: i64,
        permission: Permission,
        step: AgreementStep,
    ) -> Result<(AgreementRow, crate::cases::CaseRow)> {
        authz::may_at_all(viewer.role, permission)?;
        let row = self.agreement_row(viewer, id).await?;
        let case = self.case_for(viewer, row.case_id, permission).await?;
        step.check(row.status()?)?;
        Ok((row, case))
    }

    /// The case, if the viewer's unit handles it and the viewer may mediate.
    pub(crate) async fn handling_case(&self, viewer: &Viewer, case_id: i64) -> Result<crate::cases::CaseRow> {
        self.case_for(viewer, case_id, Permission::Mediate).await
    }

    /// Drafts an agreement (art. 29) from the case's parties; an oral one is recorded as
    /// reached and takes effect at once (arts. 28, 30).
    pub async fn agreement_create(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        content: AgreementContent,
        form: AgreementForm,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let case_id = case_id.get();
        let case = self.handling_case(viewer, case_id).await?;
        if case.status() != Status::InProgress {
            return Err(conflict("not_in_progress", msg!("agreement.not_in_progress")));
        }
        let category = Category::parse(case.category()).unwrap_or(Category::Other);
        let parties: Vec<CasePartyRow> = self
            .fetch_all(
                "SELECT role, name, id_number_masked, credit_code, phone_cipher, phone_masked, address_cipher FROM parties WHERE case_id = $1 ORDER BY position",
                args![case_id],
            )
            .await?;
        let parties: Vec<AgreementParty> = parties
            .into_iter()
            .enumerate()
            .map(|(index, (role, name, id_masked, credit_code, phone_cipher, phone_masked, address_cipher))| {
                AgreementParty {
                    index,
                    role,
                    name,
                    id_number: id_masked.or(credit_code).unwrap_or_default(),
                    phone_masked,
                    phone_cipher,
                    address_cipher,
                    signed_at: None,
                    signature: None,
                }
            })
            .collect();
        let stored_parties = serde_json::to_string(&parties.iter().map(stored_party).collect::<Vec<_>>())
            .map_err(|e| StoreError::Setup(e.to_string()))?;
        let paper = paper_required(category, &content).map(|m| T::default().msg(&m));
        let warnings: Vec<String> =
            confirmation_warnings(category, &content).iter().map(|m| T::default().msg(m)).collect();
        let (mediator_name,): (String,) =
            self.fetch_one("SELECT display_name FROM users WHERE id = $1", args![viewer.user_id]).await?;
        let (committee,): (String,) =
            self.fetch_one("SELECT name FROM units WHERE id = $1", args![viewer.unit_id]).await?;
        let now_ms = to_ms(now);
        let (status, effective, confirm_by) = match form {
            AgreementForm::Written => ("draft", None, None),
            AgreementForm::Oral => ("effective", Some(now_ms), Some(self.confirm_by(now).await?)),
        };
        let content_json = serde_json::to_string(&content).map_err(|e| StoreError::Setup(e.to_string()))?;
        let mut tx = self.begin().await?;
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO agreements (case_id, form, status, revision, content, parties, paper_required, warnings, mediator, mediator_name, committee, effective_at, confirm_by, created_at, updated_at)
                 VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
                args![
                    case_id,
                    if form == AgreementForm::Oral { "oral" } else { "written" },
                    status,
                    content_json,
                    stored_parties,
                    paper.clone(),
                    serde_json::to_string(&warnings).unwrap_or_else(|_| "[]".into()),
                    viewer.username.as_str(),
                    mediator_name,
                    committee,
                    effective,
                    confirm_by,
                    now_ms
                ],
            )
            .await?;
        let data = json!({ "agreement_id": id, "form": form, "revision": 1, "paper_required": paper.is_some(), "warnings": warnings });
        append_event_locked(&mut tx, case_id, now_ms, &viewer.username, "agreement_drafted", &data).await?;
        if form == AgreementForm::Oral {
            append_event_locked(
                &mut tx,
                case_id,
                now_ms,
                &viewer.username,
                "agreement_effective",
                &json!({ "agreement_id": id, "oral": true }),
            )
            .await?;
        }
        tx.commit().await?;
        self.agreement_get(viewer, AgreementId(id)).await
    }

    async fn confirm_by(&self, effective: DateTime<Utc>) -> Result<i64> {
        let context = self.clock_context().await?;
        let day = effective.with_timezone(&domain::china_time()).date_naive();
        let last = confirmation_deadline(&context.calendar, day).date;
        let end = last.and_hms_opt(23, 59, 59).and_then(|t| t.and_local_timezone(domain::china_time()).single());
        Ok(end.map_or(to_ms(effective) + Duration::days(30).num_milliseconds(), |t| to_ms(t.with_timezone(&Utc))))
    }

    /// Replaces a draft's contents; `revision` must be the one last seen.
    pub async fn agreement_update(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        content: AgreementContent,
        revision: i64,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        let (row, case) = self.agreement_for(viewer, id, Permission::Mediate, AgreementStep::Edit).await?;
        let category = Category::parse(case.category()).unwrap_or(Category::Other);
        let paper = paper_required(category, &content).map(|m| T::default().msg(&m));
        let warnings: Vec<String> =
            confirmation_warnings(category, &content).iter().map(|m| T::default().msg(m)).collect();
        let content_json = serde_json::to_string(&content).map_err(|e| StoreError::Setup(e.to_string()))?;
        let mut tx = self.begin().await?;
        let changed = tx
            .execute(
                "UPDATE agreements SET content = $1, paper_required = $2, warnings = $3, revision = revision + 1, updated_at = $4 WHERE id = $5 AND revision = $6 AND status = 'draft'",
                args![content_json, paper, serde_json::to_string(&warnings).unwrap_or_default(), to_ms(now), id, revision],
            )
            .await?;
        if changed == 0 {
            return Err(conflict("stale_revision", msg!("agreement.stale_revision")));
        }
        let data = json!({ "agreement_id": id, "revision": revision + 1 });
        self.agreement_recorded(tx, viewer, &row, to_ms(now), "agreement_revised", &data).await
    }

    /// Freezes the draft and sends each party a one-time signing link with a verification
    /// code by SMS. `link` makes the URL from the token.
    pub async fn agreement_start_signing(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        link: impl Fn(&str) -> String,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        let (row, _) = self.agreement_for(viewer, id, Permission::Mediate, AgreementStep::SendForSigning).await?;
        if row.paper_required.is_some() {
            return Err(StoreError::Conflict { code: "paper_required", message: msg!("agreement.paper_required") });
        }
        let parties = row.parties()?;
        let mut errors = Vec::new();
        for p in &parties {
            if p.phone_cipher.is_none() {
                errors.push(FieldError::new(
                    format!("parties[{}].phone", p.index),
                    "required",
                    msg!("agreement.party_without_phone", name = p.name.as_str()),
                ));
            } else if !p.phone_masked.as_deref().is_some_and(receives_sms) {
                // A landline (it starts with 0) receives no SMS: the code would never arrive.
                errors.push(FieldError::new(
                    format!("parties[{}].phone", p.index),
                    "not_mobile",
                    msg!("agreement.party_phone_not_mobile", name = p.name.as_str()),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let now_ms = to_ms(now);
        let expires = now_ms + Duration::hours(LINK_LIFETIME_HOURS).num_milliseconds();
        let mut tx = self.begin().await?;
        step_update(&mut tx, id, AgreementStep::SendForSigning, "updated_at = $1", args![now_ms]).await?;
        for p in &parties {
            let token = new_token();
            let code = new_code();
            let outbox_id =
                self.outbox_push(&mut tx, p, signing_sms(p, &link(&token), &token, &code), None, now).await?;
            tx.execute(
                "INSERT INTO agreement_signers (agreement_id, party_index, link_hash, code_hash, expires_at, attempts, link_cipher, sent_at, outbox_id, resends) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, 0)",
                args![
                    id,
                    p.index as i64,
                    hash(&token),
                    hash(&format!("{token}:{code}")),
                    expires,
                    self.crypto.encrypt(&token),
                    now_ms,
                    outbox_id
                ],
            )
            .await?;
        }
        let data = json!({ "agreement_id": id, "links_sent": parties.len(), "expires_at": rfc3339(expires) });
        self.agreement_recorded(tx, viewer, &row, now_ms, "agreement_sent_for_signing", &data).await
    }

    /// Queues an SMS to a party; a message with a `dedupe` key is queued once. Returns the
    /// message's id when it was queued.
    async fn outbox_push(
        &self,
        tx: &mut Tx,
        party: &AgreementParty,
        sms: Sms,
        dedupe: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let (Some(cipher), Some(masked)) = (&party.phone_cipher, &party.phone_masked) else { return Ok(None) };
        self.outbox_queue(tx, Recipient { cipher, masked }, sms, dedupe, now).await
    }

    /// Queues an SMS; a message with a `dedupe` key is queued once. Returns its id when it was.
    /// The whole text is stored encrypted, the plain column holds it with its secrets masked.
    pub(crate) async fn outbox_queue(
        &self,
        tx: &mut Tx,
        to: Recipient<'_>,
        sms: Sms,
        dedupe: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let queued: Option<(i64,)> = tx
            .fetch_optional(
                "INSERT INTO outbox (channel, recipient, recipient_cipher, body, body_cipher, dedupe_key, created_at, status) VALUES ('sms', $1, $2, $3, $4, $5, $6, 'pending') ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                args![to.masked, to.cipher, sms.masked, self.crypto.encrypt(&sms.text), dedupe, to_ms(now)],
            )
            .await?;
        Ok(queued.map(|(id,)| id))
    }

    /// Sends one party a new signing link and code by SMS (a lost or mistyped code, a failed
    /// message): the old link and code stop working, the code's tries start again. At most
    /// [`MAX_SIGNING_RESENDS`] per party, [`SIGNING_RESEND_INTERVAL_SECS`] apart, counted by the
    /// statement that replaces the link, before anything is sent.
    pub async fn agreement_signing_resend(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        party_index: usize,
        link: impl Fn(&str) -> String,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        let (row, _) = self.agreement_for(viewer, id, Permission::Mediate, AgreementStep::ResendSigningLink).await?;
        let parties = row.parties()?;
        let party = parties.get(party_index).ok_or(StoreError::NotFound { what: "party" })?;
        let now_ms = to_ms(now);
        let (token, code) = (new_token(), new_code());
        let mut tx = self.begin().await?;
        let replaced = tx
            .execute(
                "UPDATE agreement_signers SET link_hash = $1, code_hash = $2, link_cipher = $3, expires_at = $4, attempts = 0, resends = resends + 1, sent_at = $5
                 WHERE agreement_id = $6 AND party_index = $7 AND signed_at IS NULL AND resends < $8 AND (sent_at IS NULL OR sent_at <= $9)",
                args![
                    hash(&token),
                    hash(&format!("{token}:{code}")),
                    self.crypto.encrypt(&token),
                    now_ms + Duration::hours(LINK_LIFETIME_HOURS).num_milliseconds(),
                    now_ms,
                    id,
                    party_index as i64,
                    MAX_SIGNING_RESENDS,
                    now_ms - SIGNING_RESEND_INTERVAL_SECS * 1000
                ],
            )
            .await?;
        if replaced == 0 {
            let signer: Option<(Option<i64>, i64, Option<i64>)> = tx
                .fetch_optional(
                    "SELECT signed_at, resends, sent_at FROM agreement_signers WHERE agreement_id = $1 AND party_index = $2",
                    args![id, party_index as i64],
                )
                .await?;
            return Err(match signer {
                None => StoreError::NotFound { what: "party" },
                Some((Some(_), _, _)) => conflict("already_signed", msg!("agreement.already_signed")),
                Some((None, resends, _)) if resends >= MAX_SIGNING_RESENDS => {
                    conflict("resend_limit", msg!("agreement.resend_limit", times = MAX_SIGNING_RESENDS))
                }
                Some((None, _, sent_at)) => {
                    let wait_ms = sent_at.unwrap_or(now_ms) + SIGNING_RESEND_INTERVAL_SECS * 1000 - now_ms;
                    StoreError::TooManyAttempts { retry_after_secs: (wait_ms + 999) / 1000 }
                }
            });
        }
        let outbox_id =
            self.outbox_push(&mut tx, party, signing_sms(party, &link(&token), &token, &code), None, now).await?;
        tx.execute(
            "UPDATE agreement_signers SET outbox_id = $1 WHERE agreement_id = $2 AND party_index = $3",
            args![outbox_id, id, party_index as i64],
        )
        .await?;
        let data = json!({ "agreement_id": id, "party_index": party_index });
        append_event_locked(&mut tx, row.case_id, now_ms, &viewer.username, "agreement_link_resent", &data).await?;
        tx.commit().await?;
        self.agreement_get(viewer, AgreementId(id)).await
    }

    /// The current signing links' tokens of the parties yet to sign, for the mediator to copy
    /// (the codes are never kept: they leave only by SMS).
    pub async fn agreement_signing_tokens(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        now: DateTime<Utc>,
    ) -> Result<Vec<(usize, String)>> {
        let id = id.get();
        let (row, _) = self.agreement_for(viewer, id, Permission::Mediate, AgreementStep::ResendSigningLink).await?;
        let rows: Vec<(i64, String)> = self
            .fetch_all(
                "SELECT party_index, link_cipher FROM agreement_signers WHERE agreement_id = $1 AND signed_at IS NULL AND link_cipher IS NOT NULL AND expires_at > $2 ORDER BY party_index",
                args![row.id, to_ms(now)],
            )
            .await?;
        rows.into_iter().map(|(index, cipher)| Ok((index as usize, self.crypto.decrypt(&cipher)?))).collect()
    }

    /// The signer row of a link, refusing unknown and expired links.
    async fn signer_by_link(&self, token: &str, now: DateTime<Utc>) -> Result<(i64, i64, i64, i64, Option<i64>)> {
        let row: Option<(i64, i64, i64, i64, Option<i64>)> = self
            .fetch_optional(
                "SELECT agreement_id, party_index, expires_at, attempts, signed_at FROM agreement_signers WHERE link_hash = $1",
                args![hash(token)],
            )
            .await?;
        let row = row.ok_or(StoreError::NotFound { what: "signing link" })?;
        if row.4.is_none() && row.2 <= to_ms(now) {
            return Err(conflict("link_expired", msg!("agreement.link_expired")));
        }
        Ok(row)
    }

    /// What a signing link shows (no session: the link is the credential, the code the second factor).
    pub async fn signing_view(&self, token: &str, now: DateTime<Utc>) -> Result<SigningView> {
        let (agreement_id, party_index, expires_at, _, signed_at) = self.signer_by_link(token, now).await?;
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = $1");
        let row: AgreementRow = self.fetch_one(&sql, args![agreement_id]).await?;
        let agreement = self.agreement_view(row).await?;
        let party_name = agreement.parties.get(party_index as usize).map(|p| p.name.clone()).unwrap_or_default();
        Ok(SigningView {
            agreement,
            party_index: party_index as usize,
            party_name,
            expires_at: from_ms(expires_at),
            signed_at: signed_at.map(from_ms),
        })
    }

    /// A party signs through their link with the code from the SMS; `signature` is the
    /// SHA-256 of the stored handwritten signature image.
    pub async fn sign_by_link(
        &self,
        token: &str,
        code: &str,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<SigningView> {
        let (agreement_id, party_index, _, _, signed_at) = self.signer_by_link(token, now).await?;
        if signed_at.is_some() {
            return Err(conflict("already_signed", msg!("agreement.already_signed")));
        }
        // Each try takes one of the link's attempts in a single conditional statement, before
        // the code is compared: parallel tries cannot all see the same count.
        let attempt: Option<(i64,)> = self
            .fetch_optional(
                "UPDATE agreement_signers SET attempts = attempts + 1 WHERE link_hash = $1 AND attempts < $2 RETURNING attempts",
                args![hash(token), MAX_CODE_ATTEMPTS],
            )
            .await?;
        let Some((attempts,)) = attempt else {
            return Err(conflict("too_many_attempts", msg!("agreement.too_many_attempts")));
        };
        let code_hash = hash(&format!("{token}:{}", code.trim()));
        let (expected,): (String,) =
            self.fetch_one("SELECT code_hash FROM agreement_signers WHERE link_hash = $1", args![hash(token)]).await?;
        if code_hash != expected {
            let left = MAX_CODE_ATTEMPTS - attempts;
            return Err(StoreError::invalid(FieldError::new(
                "code",
                "wrong_code",
                msg!("agreement.wrong_code", left = left),
            )));
        }
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let changed = tx
            .execute(
                "UPDATE agreement_signers SET signed_at = $1, signature = $2 WHERE link_hash = $3 AND signed_at IS NULL",
                args![now_ms, signature, hash(token)],
            )
            .await?;
        if changed == 0 {
            return Err(conflict("already_signed", msg!("agreement.already_signed")));
        }
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = $1");
        let row: AgreementRow = tx.fetch_one(&sql, args![agreement_id]).await?;
        let name = row.parties()?.get(party_index as usize).map(|p| p.name.clone()).unwrap_or_default();
        step_update(&mut tx, agreement_id, AgreementStep::PartySign, "updated_at = $1", args![now_ms]).await?;
        let data = json!({ "agreement_id": agreement_id, "party_index": party_index, "signature_sha256": signature });
        append_event_locked(&mut tx, row.case_id, now_ms, &format!("当事人 {name}"), "agreement_signed", &data).await?;
        tx.commit().await?;
        self.signing_view(token, now).await
    }

    /// A party signs in the portal: signed in with the code from their SMS already, they sign
    /// as the first party of the case with their phone, within the same window as the link.
    /// `signature` is the SHA-256 of the stored handwritten signature image.
    /// The agreement `id` and the party the citizen is on it, for an act of theirs in the
    /// portal; not found unless they are a party to its case.
    async fn citizen_agreement(
        &self,
        citizen: &crate::citizens::Citizen,
        id: AgreementId,
        now: DateTime<Utc>,
    ) -> Result<(Viewer, AgreementView, usize)> {
        let case: Option<(i64,)> =
            self.fetch_optional("SELECT case_id FROM agreements WHERE id = $1", args![id.get()]).await?;
        let case_id = CaseId(case.ok_or(StoreError::NotFound { what: "agreement" })?.0);
        let viewer = self.viewer_of_party(citizen, case_id, now).await?;
        let party_index = self.citizen_party_index(citizen, case_id).await?;
        let agreement = self.agreement_get(&viewer, id).await?;
        Ok((viewer, agreement, party_index))
    }

    /// 送达签收 in the portal: the party receives their served copy — the receipt is recorded
    /// the first time, as when the SMS link is opened; the copy's SHA-256 and the case number.
    pub async fn citizen_service_receive(
        &self,
        citizen: &crate::citizens::Citizen,
        id: AgreementId,
        now: DateTime<Utc>,
    ) -> Result<(String, String)> {
        let (viewer, agreement, party_index) = self.citizen_agreement(citizen, id, now).await?;
        let delivery = agreement
            .deliveries
            .iter()
            .find(|d| d.party_index == party_index)
            .ok_or_else(|| conflict("not_served", msg!("agreement.not_served")))?;
        if delivery.opened_at.is_none() {
            let receipt =
                Receipt { agreement_id: id.get(), case_id: agreement.case_id, party_index: party_index as i64 };
            self.delivery_received(receipt, &delivery.document, &viewer.username, Some("portal"), now).await?;
        }
        Ok((delivery.document.clone(), agreement.case_number))
    }

    /// A party's consent, in the portal, to the joint application for judicial confirmation
    /// (人民调解法 art. 33): only for an agreement in effect, not yet sent to the court, within
    /// the 30 days, and once. The mediator files the joint application with the consents.
    pub async fn citizen_confirmation_consent(
        &self,
        citizen: &crate::citizens::Citizen,
        id: AgreementId,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let (viewer, agreement, party_index) = self.citizen_agreement(citizen, id, now).await?;
        if agreement.status != AgreementStatus::Effective || agreement.confirmation.is_some() {
            return Err(conflict("not_for_confirmation", msg!("confirmation.not_open")));
        }
        if agreement.confirm_by.is_some_and(|by| now > by) {
            return Err(conflict("too_late", msg!("agreement.too_late")));
        }
        if agreement.parties.iter().any(|p| p.index == party_index && p.role == "third_party") {
            return Err(StoreError::forbidden(msg!("confirmation.third_party")));
        }
        let mut tx = self.begin().await?;
        // The agreement's row is locked first, so that two consents at once record one.
        tx.execute("UPDATE agreements SET updated_at = updated_at WHERE id = $1", args![id.get()]).await?;
        let given: Vec<(String,)> = tx
            .fetch_all(
                "SELECT data FROM case_events WHERE case_id = $1 AND action = 'confirmation_consented'",
                args![agreement.case_id],
            )
            .await?;
        let mine = |data: &str| {
            let data: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
            data["agreement_id"].as_i64() == Some(id.get()) && data["party_index"].as_u64() == Some(party_index as u64)
        };
        if given.iter().any(|(data,)| mine(data)) {
            return Err(conflict("already_recorded", msg!("sessions.already_recorded")));
        }
        let data = json!({ "agreement_id": id.get(), "party_index": party_index });
        append_event_locked(&mut tx, agreement.case_id, to_ms(now), &viewer.username, "confirmation_consented", &data)
            .await?;
        tx.commit().await?;
        self.agreement_get(&viewer, id).await
    }

    pub async fn citizen_agreement_sign(
        &self,
        citizen: &crate::citizens::Citizen,
        id: AgreementId,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        let case: Option<(i64,)> =
            self.fetch_optional("SELECT case_id FROM agreements WHERE id = $1", args![id]).await?;
        let case_id = CaseId(case.ok_or(StoreError::NotFound { what: "agreement" })?.0);
        let viewer = self.viewer_of_party(citizen, case_id, now).await?;
        let party_index = self.citizen_party_index(citizen, case_id).await? as i64;
        let signer: Option<(Option<i64>, i64)> = self
            .fetch_optional(
                "SELECT signed_at, expires_at FROM agreement_signers WHERE agreement_id = $1 AND party_index = $2",
                args![id, party_index],
            )
            .await?;
        let now_ms = to_ms(now);
        match signer {
            None => return Err(conflict("not_for_signing", msg!("agreement.not_signing"))),
            Some((Some(_), _)) => return Err(conflict("already_signed", msg!("agreement.already_signed"))),
            Some((None, expires)) if expires <= now_ms => {
                return Err(conflict("link_expired", msg!("agreement.link_expired")));
            }
            Some(_) => {}
        }
        let mut tx = self.begin().await?;
        step_update(&mut tx, id, AgreementStep::PartySign, "updated_at = $1", args![now_ms]).await?;
        let changed = tx
            .execute(
                "UPDATE agreement_signers SET signed_at = $1, signature = $2 WHERE agreement_id = $3 AND party_index = $4 AND signed_at IS NULL",
                args![now_ms, signature, id, party_index],
            )
            .await?;
        if changed == 0 {
            return Err(conflict("already_signed", msg!("agreement.already_signed")));
        }
        let data = json!({ "agreement_id": id, "party_index": party_index, "signature_sha256": signature, "channel": "portal" });
        append_event_locked(&mut tx, case_id.get(), now_ms, &viewer.username, "agreement_signed", &data).await?;
        tx.commit().await?;
        self.agreement_get(&viewer, AgreementId(id)).await
    }

    /// The mediator signs, with the SHA-256 of their handwritten signature.
    pub async fn agreement_mediator_sign(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        let (row, _) =
            self.agreement_for(viewer, id, Permission::AgreementMediatorSign, AgreementStep::MediatorSign).await?;
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let signed = tx
            .execute(
                "UPDATE agreements SET mediator_signed_at = $1, mediator_signature = $2, mediator = $3, updated_at = $1 WHERE id = $4 AND mediator_signed_at IS NULL AND status = 'signing'",
                args![now_ms, signature, viewer.username.as_str(), id],
            )
            .await?;
        // The one guard: a second signature, now or at the same moment, changes nothing.
        if signed == 0 {
            return Err(conflict("already_signed", msg!("agreement.mediator_already_signed")));
        }
        let data = json!({ "agreement_id": id, "signature_sha256": signature });
        self.agreement_recorded(tx, viewer, &row, now_ms, "agreement_mediator_signed", &data).await
    }

    /// Records a written agreement signed on paper — required for personal relations
    /// (Electronic Signature Law art. 3), open to any written draft: every party and the
    /// mediator signed, the committee sealed, now. The paper original is the committee's; the
    /// fixed copies show blank signature lines.
    pub async fn agreement_paper_signed(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        let (row, _) = self.agreement_for(viewer, id, Permission::Mediate, AgreementStep::RecordPaperSigning).await?;
        if row.form() != AgreementForm::Written {
            return Err(AgreementStep::RecordPaperSigning.refusal().into());
        }
        let now_ms = to_ms(now);
        let confirm_by = self.confirm_by(now).await?;
        let mut tx = self.begin().await?;
        let set = "mediator_signed_at = $1, sealed_at = $1, effective_at = $1, confirm_by = $2, updated_at = $1";
        step_update(&mut tx, id, AgreementStep::RecordPaperSigning, set, args![now_ms, confirm_by]).await?;
        let data = json!({ "agreement_id": id, "on_paper": true, "effective_at": rfc3339(now_ms), "confirm_by": rfc3339(confirm_by) });
        self.agreement_recorded(tx, viewer, &row, now_ms, "agreement_effective", &data).await
    }

    /// Applies the committee's electronic seal once every party and the mediator have signed;
    /// the agreement then takes effect at the last of these acts.
    pub async fn agreement_seal(&self, viewer: &Viewer, id: AgreementId, now: DateTime<Utc>) -> Result<AgreementView> {
        let id = id.get();
        self.agreement_for(viewer, id, Permission::Mediate, AgreementStep::Seal).await?;
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        // The seal's transition comes first and holds the agreement row: a party signing takes
        // its own step on the same row in the transaction of their signature, so the seal reads
        // every committed signature and none lands after it. A missing one rolls it all back.
        step_update(&mut tx, id, AgreementStep::Seal, "updated_at = $1", args![now_ms]).await?;
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = $1");
        let row: AgreementRow = tx.fetch_one(&sql, args![id]).await?;
        let signatures: Vec<(i64, Option<i64>)> = tx
            .fetch_all("SELECT party_index, signed_at FROM agreement_signers WHERE agreement_id = $1", args![id])
            .await?;
        let parties = row.parties()?;
        let signed: Vec<Option<DateTime<Utc>>> = parties
            .iter()
            .map(|p| signatures.iter().find(|(index, _)| *index == p.index as i64).and_then(|(_, at)| at.map(from_ms)))
            .collect();
        let unsigned: Vec<&str> =
            parties.iter().zip(&signed).filter(|(_, at)| at.is_none()).map(|(p, _)| p.name.as_str()).collect();
        if !unsigned.is_empty() || row.mediator_signed_at.is_none() {
            let who = if unsigned.is_empty() { "调解员".to_owned() } else { unsigned.join("、") };
            return Err(StoreError::Conflict {
                code: "not_all_signed",
                message: msg!("agreement.not_all_signed", who = who),
            });
        }
        let effective = mediation::effective_at(
            AgreementForm::Written,
            now,
            &signed,
            row.mediator_signed_at.map(from_ms),
            Some(now),
        )
        .unwrap_or(now);
        let confirm_by = self.confirm_by(effective).await?;
        tx.execute(
            "UPDATE agreements SET sealed_at = $1, effective_at = $2, confirm_by = $3 WHERE id = $4",
            args![now_ms, to_ms(effective), confirm_by, id],
        )
        .await?;
        let data = json!({ "agreement_id": id, "sealed_by": row.committee, "effective_at": rfc3339(to_ms(effective)), "confirm_by": rfc3339(confirm_by) });
        self.agreement_recorded(tx, viewer, &row, now_ms, "agreement_effective", &data).await
    }

    /// Records the PDF copies fixed at effect (`copy` → SHA-256), once; their hashes go into the history.
    pub async fn agreement_documents_fix(
        &self,
        id: AgreementId,
        documents: &serde_json::Map<String, serde_json::Value>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let id = id.get();
        let (case_id,): (i64,) = self.fetch_one("SELECT case_id FROM agreements WHERE id = $1", args![id]).await?;
        let mut tx = self.begin().await?;
        let text = serde_json::to_string(documents).unwrap_or_default();
        let changed = tx
            .execute(
                "UPDATE agreements SET documents = $1 WHERE id = $2 AND documents IS NULL AND status = 'effective'",
                args![text, id],
            )
            .await?;
        if changed == 1 {
            let data = json!({ "agreement_id": id, "documents": documents });
            append_event_locked(&mut tx, case_id, to_ms(now), "system", "agreement_documents", &data).await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }

    /// The copies fixed for an agreement (`copy` → SHA-256); empty until they are.
    pub async fn agreement_documents(&self, id: AgreementId) -> Result<serde_json::Map<String, serde_json::Value>> {
        let id = id.get();
        let (documents,): (Option<String>,) = self
            .fetch_optional("SELECT documents FROM agreements WHERE id = $1", args![id])
            .await?
            .ok_or_else(not_found)?;
        Ok(documents.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default())
    }

    /// Effective agreements whose copies are not fixed yet (rendering failed when they took
    /// effect), oldest first; for the scheduler, which fixes them.
    pub async fn agreements_without_copies(&self, limit: i64) -> Result<Vec<AgreementView>> {
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE status = 'effective' AND documents IS NULL ORDER BY id LIMIT $1"
        );
        let rows: Vec<AgreementRow> = self.fetch_all(&sql, args![limit]).await?;
        let mut views = Vec::with_capacity(rows.len());
        for row in rows {
            views.push(self.agreement_view(row).await?);
        }
        Ok(views)
    }

    /// The party's signature images and the mediator's, by SHA-256, for the PDF.
    pub async fn agreement_signature_digests(&self, id: AgreementId) -> Result<(Vec<Option<String>>, Option<String>)> {
        let id = id.get();
        let rows: Vec<(i64, Option<String>)> = self
            .fetch_all(
                "SELECT party_index, signature FROM agreement_signers WHERE agreement_id = $1 ORDER BY party_index",
                args![id],
            )
            .await?;
        let (mediator,): (Option<String>,) =
            self.fetch_one("SELECT mediator_signature FROM agreements WHERE id = $1", args![id]).await?;
        let mut parties = Vec::new();
        for (index, signature) in rows {
            let index = index as usize;
            if parties.len() <= index {
                parties.resize(index + 1, None);
            }
            parties[index] = signature;
        }
        Ok((parties, mediator))
    }

    /// The parties' decrypted addresses, for the printed agreement (personal data stays
    /// encrypted at rest; the PDF is the legal document the parties keep).
    pub fn agreement_party_address(&self, party: &AgreementParty) -> String {
        party.address_cipher.as_deref().and_then(|c| self.crypto.decrypt(c).ok()).unwrap_or_default()
    }

    /// Serves the effective agreement on each party electronically (电子送达): a link by SMS
    /// to their copy; opening it records the receipt.
    pub async fn agreement_serve(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        link: impl Fn(&str) -> String,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        let (row, _) = self.agreement_for(viewer, id, Permission::Mediate, AgreementStep::Serve).await?;
        let documents: serde_json::Map<String, serde_json::Value> =
            row.documents.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
        if documents.is_empty() {
            return Err(AgreementStep::Serve.refusal().into());
        }
        let parties = row.parties()?;
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let mut served = Vec::new();
        for p in &parties {
            let Some(document) = documents.get(&format!("party-{}", p.index)).and_then(|d| d.as_str()) else {
                continue;
            };
            let token = new_token();
            let inserted = tx
                .execute(
                    "INSERT INTO deliveries (agreement_id, party_index, link_hash, document, sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (agreement_id, party_index) DO NOTHING",
                    args![id, p.index as i64, hash(&token), document, now_ms],
                )
                .await?;
            if inserted == 1 {
                let body = format!("【枫桥】{}，您的人民调解协议书已送达，请打开链接查收：{}", p.name, link(&token));
                self.outbox_push(&mut tx, p, Sms::sealed(body, &[&token]), None, now).await?;
                served.push(p.index);
            }
        }
        if served.is_empty() {
            return Err(conflict("already_served", msg!("agreement.already_served")));
        }
        let data = json!({ "agreement_id": id, "served": served });
        self.agreement_recorded(tx, viewer, &row, now_ms, "agreement_served", &data).await
    }

    /// Opens a service link: records the receipt the first time; returns the SHA-256 of the copy.
    pub async fn service_open(&self, token: &str, now: DateTime<Utc>) -> Result<(String, String)> {
        let row: Option<(i64, i64, i64, String, Option<i64>)> = self
            .fetch_optional(
                "SELECT d.agreement_id, a.case_id, d.party_index, d.document, d.opened_at FROM deliveries d JOIN agreements a ON a.id = d.agreement_id WHERE d.link_hash = $1",
                args![hash(token)],
            )
            .await?;
        let (agreement_id, case_id, party_index, document, opened_at) =
            row.ok_or(StoreError::NotFound { what: "service link" })?;
        let (number,): (String,) = self.fetch_one("SELECT number FROM cases WHERE id = $1", args![case_id]).await?;
        if opened_at.is_none() {
            let receipt = Receipt { agreement_id, case_id, party_index };
            self.delivery_received(receipt, &document, "送达回执", None, now).await?;
        }
        Ok((document, number))
    }

    /// 送达回执: records, the first time only, that a party received their served copy — from
    /// the SMS link or in the portal (`channel`) — in the delivery and in the case's history.
    async fn delivery_received(
        &self,
        receipt: Receipt,
        document: &str,
        actor: &str,
        channel: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let Receipt { agreement_id, case_id, party_index } = receipt;
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let changed = tx
            .execute(
                "UPDATE deliveries SET opened_at = $1 WHERE agreement_id = $2 AND party_index = $3 AND opened_at IS NULL",
                args![now_ms, agreement_id, party_index],
            )
            .await?;
        if changed == 1 {
            let mut data = json!({ "agreement_id": agreement_id, "party_index": party_index, "document": document });
            if let Some(channel) = channel {
                data["channel"] = json!(channel);
            }
            append_event_locked(&mut tx, case_id, now_ms, actor, "service_receipt", &data).await?;
        }
        tx.commit().await
    }

    /// The parties jointly apply for judicial confirmation within 30 days of the agreement
    /// taking effect (人民调解法 art. 33); the package goes to the court.
    pub async fn confirmation_apply(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        applicants: &[usize],
        court_unit_id: Option<UnitId>,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        let court_unit_id = court_unit_id.map(UnitId::get);
        let (row, case) =
            self.agreement_for(viewer, id, Permission::Mediate, AgreementStep::ApplyForConfirmation).await?;
        let parties = row.parties()?;
        let required: Vec<&AgreementParty> = parties.iter().filter(|p| p.role != "third_party").collect();
        let missing: Vec<&str> =
            required.iter().filter(|p| !applicants.contains(&p.index)).map(|p| p.name.as_str()).collect();
        if !missing.is_empty() {
            return Err(StoreError::invalid(FieldError::new(
                "applicants",
                "not_joint",
                msg!("confirmation.not_joint", missing = missing.join("、")),
            )));
        }
        if let Some(bad) = applicants.iter().find(|i| **i >= parties.len()) {
            return Err(StoreError::invalid(FieldError::new(
                "applicants",
                "unknown_party",
                msg!("agreement.no_such_party", index = *bad),
            )));
        }
        if row.confirm_by.is_some_and(|by| to_ms(now) > by) {
            return Err(conflict("too_late", msg!("agreement.too_late")));
        }
        let court = match court_unit_id {
            Some(court) => court,
            None => self.court_for(&case.region_code_str()).await?,
        };
        let (court_kind,): (String,) =
            self.fetch_optional("SELECT kind FROM units WHERE id = $1", args![court]).await?.ok_or_else(|| {
                StoreError::invalid(FieldError::new("court_unit_id", "unknown_unit", msg!("mediation.no_such_court")))
            })?;
        if court_kind != "court" {
            return Err(StoreError::invalid(FieldError::new(
                "court_unit_id",
                "not_a_court",
                msg!("mediation.unit_not_court"),
            )));
        }
        let documents: serde_json::Value =
            row.documents.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
        let package = json!({
            "application": "司法确认申请书（双方共同申请）",
            "agreement": { "id": id, "documents": documents, "effective_at": row.effective_at.map(rfc3339) },
            "proof_of_mediation": { "case_number": case.number_str(), "committee": row.committee, "mediator": row.mediator_name },
            "identities": parties.iter().map(|p| json!({ "index": p.index, "role": p.role, "name": p.name, "id_number": p.id_number })).collect::<Vec<_>>(),
            "service_addresses": parties.iter().map(|p| json!({ "index": p.index, "address": self.agreement_party_address(p), "phone": p.phone_masked })).collect::<Vec<_>>(),
            "warnings": serde_json::from_str::<serde_json::Value>(&row.warnings).unwrap_or_default(),
        });
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let inserted = tx
            .execute(
                "INSERT INTO confirmations (agreement_id, court_unit_id, applicants, package, applied_at, applied_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agreement_id) DO NOTHING",
                args![id, court, serde_json::to_string(applicants).unwrap_or_default(), package.to_string(), now_ms, viewer.username.as_str()],
            )
            .await?;
        if inserted == 0 {
            return Err(conflict("already_applied", msg!("agreement.already_applied")));
        }
        // The court sees the case from now on.
        tx.execute(
            "INSERT INTO case_units (case_id, unit_id, role) VALUES ($1, $2, 'court') ON CONFLICT (case_id, unit_id) DO NOTHING",
            args![row.case_id, court],
        )
        .await?;
        let data = json!({ "agreement_id": id, "court_unit_id": court, "applicants": applicants });
        self.agreement_recorded(tx, viewer, &row, now_ms, "confirmation_applied", &data).await
    }

    /// The basic-level court whose area covers the region (nearest first).
    async fn court_for(&self, region: &str) -> Result<i64> {
        let courts: Vec<(i64, String)> =
            self.fetch_all("SELECT id, region_code FROM units WHERE kind = 'court'", args![]).await?;
        courts
            .into_iter()
            .filter(|(_, code)| region.starts_with(code.trim_end_matches('0')))
            .max_by_key(|(_, code)| code.trim_end_matches('0').len())
            .map(|(id, _)| id)
            .ok_or_else(|| {
                StoreError::invalid(FieldError::new(
                    "court_unit_id",
                    "no_court",
                    msg!("mediation.no_court_covers_case"),
                ))
            })
    }

    /// The court rules on the application: confirmed, or rejected with reasons.
    pub async fn confirmation_rule(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        confirmed: bool,
        reasons: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        authz::may_at_all(viewer.role, Permission::ConfirmationRule)?;
        let row = self.agreement_row(viewer, id).await?;
        let application: Option<(i64, Option<String>)> = self
            .fetch_optional("SELECT court_unit_id, decision FROM confirmations WHERE agreement_id = $1", args![id])
            .await?;
        let (court, decision) = application.ok_or_else(|| conflict("not_applied", msg!("agreement.not_applied")))?;
        let addressed = court == viewer.unit_id;
        authz::may(viewer.role, Permission::ConfirmationRule, Resource { addressed, ..Resource::ANY })?;
        if decision.is_some() {
            return Err(conflict("already_ruled", msg!("agreement.already_ruled")));
        }
        if !confirmed && reasons.is_none() {
            return Err(StoreError::invalid(FieldError::required("reasons")));
        }
        let decision = if confirmed { "confirmed" } else { "rejected" };
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        tx.execute(
            "UPDATE confirmations SET decision = $1, reasons = $2, decided_at = $3, decided_by = $4 WHERE agreement_id = $5 AND decision IS NULL",
            args![decision, reasons.clone(), now_ms, viewer.username.as_str(), id],
        )
        .await?;
        let data = json!({ "agreement_id": id, "decision": decision, "reasons": reasons });
        self.agreement_recorded(tx, viewer, &row, now_ms, "confirmation_ruled", &data).await
    }

    /// Records performance of a term: performed, or breached (履行 / 违约).
    pub async fn performance_record(
        &self,
        viewer: &Viewer,
        id: AgreementId,
        term: usize,
        performed: bool,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<AgreementView> {
        let id = id.get();
        let (row, _) = self.agreement_for(viewer, id, Permission::Mediate, AgreementStep::RecordPerformance).await?;
        if term >= row.content()?.terms.len() {
            return Err(StoreError::invalid(FieldError::new(
                "term",
                "unknown_term",
                msg!("agreement.no_such_term", index = term),
            )));
        }
        let status = if performed { "performed" } else { "breached" };
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        tx.execute(
            "INSERT INTO performances (agreement_id, term_index, status, note, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
            args![id, term as i64, status, note.clone(), now_ms, viewer.username.as_str()],
        )
        .await?;
        let data = json!({ "agreement_id": id, "term": term, "status": status, "note": note });
        self.agreement_recorded(tx, viewer, &row, now_ms, "performance_recorded", &data).await
    }

    /// Reminders the sweep sends: the confirmation window closing within 7 days, a term due
    /// within 3 days and not yet performed. Each goes out once (a dedupe key per message).
    pub async fn agreement_reminders(&self, now: DateTime<Utc>) -> Result<u64> {
        let now_ms = to_ms(now);
        let week = now_ms + Duration::days(7).num_milliseconds();
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements a WHERE status = 'effective' AND ((confirm_by BETWEEN $1 AND $2 AND NOT EXISTS (SELECT 1 FROM confirmations c WHERE c.agreement_id = a.id)) OR content LIKE '%\"due\":\"2%')"
        );
        let rows: Vec<AgreementRow> = self.fetch_all(&sql, args![now_ms, week]).await?;
        let today = now.with_timezone(&domain::china_time()).date_naive();
        let mut sent = 0;
        for row in rows {
            let parties = row.parties()?;
            let content = row.content()?;
            let performed: Vec<(i64,)> = self
                .fetch_all(
                    "SELECT term_index FROM performances WHERE agreement_id = $1 AND status = 'performed'",
                    args![row.id],
                )
                .await?;
            let mut messages = Vec::new();
            let open_window = row.confirm_by.is_some_and(|by| by >= now_ms && by <= week);
            if open_window {
                let applied: Option<(i64,)> =
                    self.fetch_optional("SELECT 1 FROM confirmations WHERE agreement_id = $1", args![row.id]).await?;
                if applied.is_none() {
                    let by = row.confirm_by.map(rfc3339).unwrap_or_default();
                    messages.push((
                        format!("confirm:{}", row.id),
                        format!("如需申请司法确认，请于 {} 前由双方共同提出（人民调解法第三十三条）", &by[..10]),
                    ));
                }
            }
            for (index, term) in content.terms.iter().enumerate() {
                let due_soon = term.due.is_some_and(|due| due >= today && (due - today).num_days() <= 3);
                if due_soon && !performed.iter().any(|(t,)| *t == index as i64) {
                    let due = term.due.map(|d| d.to_string()).unwrap_or_default();
                    messages.push((
                        format!("term:{}:{index}", row.id),
                        format!("调解协议第 {} 条应于 {due} 前履行：{}", index + 1, term.text),
                    ));
                }
            }
            if messages.is_empty() {
                continue;
            }
            let mut tx = self.begin().await?;
            for (key, text) in &messages {
                for p in &parties {
                    let dedupe = format!("{key}:{}", p.index);
                    let body = Sms::plain(format!("【枫桥】{}，{text}", p.name));
                    sent += u64::from(self.outbox_push(&mut tx, p, body, Some(dedupe), now).await?.is_some());
                }
            }
            tx.commit().await?;
        }
        Ok(sent)
    }

    /// The SMS outbox, newest first (administrators). A message the built-in gateway keeps for
    /// the administrator to deliver (`kept`, or `pending` until the gateway has run) is shown
    /// whole: the administrator is its gateway. One handed to an external gateway is shown with
    /// its links and codes masked.
    pub async fn outbox(&self, viewer: &Viewer, limit: i64) -> Result<Vec<OutboxMessage>> {
        authz::may(viewer.role, Permission::OutboxRead, Resource::ANY)?;
        let rows: Vec<OutboxRow> = self
            .fetch_all(
                "SELECT id, recipient, body, body_cipher, status, created_at, sent_at FROM outbox ORDER BY id DESC LIMIT $1",
                args![limit.clamp(1, 500)],
            )
            .await?;
        rows.into_iter()
            .map(|(id, recipient, masked, cipher, status, created_at, sent_at)| {
                let for_the_administrator = matches!(status.as_str(), "kept" | "pending");
                let body = match cipher {
                    Some(cipher) if for_the_administrator => self.crypto.decrypt(&cipher)?,
                    _ => masked,
                };
                Ok(OutboxMessage {
                    id,
                    recipient,
                    body,
                    status,
                    created_at: from_ms(created_at),
                    sent_at: sent_at.map(from_ms),
                })
            })
            .collect()
    }

    /// Pending messages for the gateway: (id, decrypted phone, whole text).
    pub async fn outbox_pending(&self, limit: i64) -> Result<Vec<(i64, String, String)>> {
        let rows: Vec<(i64, String, String, Option<String>)> = self
            .fetch_all(
                "SELECT id, recipient_cipher, body, body_cipher FROM outbox WHERE status = 'pending' ORDER BY id LIMIT $1",
                args![limit],
            )
            .await?;
        rows.into_iter()
            .map(|(id, phone, masked, cipher)| {
                let text = cipher.map_or(Ok(masked), |cipher| self.crypto.decrypt(&cipher))?;
                Ok((id, self.crypto.decrypt(&phone)?, text))
            })
            .collect()
    }

    /// Claims a pending message for this node's gateway; false when another node has.
    pub async fn outbox_claim(&self, id: MessageId) -> Result<bool> {
        let id = id.get();
        Ok(self.execute("UPDATE outbox SET status = 'sending' WHERE id = $1 AND status = 'pending'", args![id]).await?
            == 1)
    }

    /// Marks a message as handed to the gateway (`sent`, `failed`, or `kept` in the outbox).
    pub async fn outbox_mark(&self, id: MessageId, status: &str, now: DateTime<Utc>) -> Result<()> {
        let id = id.get();
        self.execute("UPDATE outbox SET status = $1, sent_at = $2 WHERE id = $3", args![status, to_ms(now), id])
            .await?;
        Ok(())
    }

    /// Records an evidence file (already stored under `sha256`) in the case and its history.
    pub async fn evidence_add(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        file: NewEvidence<'_>,
        now: DateTime<Utc>,
    ) -> Result<EvidenceView> {
        let case_id = case_id.get();
        let NewEvidence { name, content_type, size, sha256 } = file;
        let row = self.case_row(viewer, case_id).await?;
        if matches!(row.status(), Status::Archived) {
            return Err(conflict("archived", msg!("evidence.case_archived")));
        }
        let now_ms = to_ms(now);
        let mut tx = self.begin().await?;
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO evidence (case_id, sha256, name, content_type, size, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                args![case_id, sha256, name, content_type, size, viewer.username.as_str(), now_ms],
            )
            .await?;
        let data =
            json!({ "evidence_id": id, "name": name, "content_type": content_type, "size": size, "sha256": sha256 });
        append_event_locked(&mut tx, case_id, now_ms, &viewer.username, "evidence_added", &data).await?;
        tx.commit().await?;
        Ok(EvidenceView {
            id,
            name: name.to_owned(),
            content_type: content_type.to_owned(),
            size,
            sha256: sha256.to_owned(),
            uploaded_by: viewer.username.clone(),
            uploaded_at: from_ms(now_ms),
            purged_at: None,
        })
    }

    /// 质证: a comment on one of the case's evidence files, kept in the case's history.
    pub async fn evidence_comment(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        evidence_id: EvidenceId,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.evidence_get(viewer, case_id, evidence_id).await?;
        let mut tx = self.begin().await?;
        let data = json!({ "evidence_id": evidence_id.get(), "text": text });
        append_event_locked(&mut tx, case_id.get(), to_ms(now), &viewer.username, "evidence_commented", &data).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One evidence file of a case, if the viewer sees the case.
    pub async fn evidence_get(&self, viewer: &Viewer, case_id: CaseId, id: EvidenceId) -> Result<EvidenceView> {
        let case_id = case_id.get();
        let id = id.get();
        self.evidence_list(viewer, CaseId(case_id))
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or(StoreError::NotFound { what: "evidence" })
    }

    /// A case's evidence.
    pub async fn evidence_list(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<EvidenceView>> {
        let case_id = case_id.get();
        self.case_row(viewer, case_id).await?;
        let rows: Vec<EvidenceRow> = self
            .fetch_all(
                &format!(
                    "SELECT e.id, e.name, e.content_type, e.size, e.sha256, e.uploaded_by, e.uploaded_at,
                       CASE WHEN {} THEN (SELECT MIN(p.purged_at) FROM video_recordings r
                         JOIN video_recording_purges p ON p.recording_id = r.id
                         WHERE r.case_id = e.case_id AND r.sha256 = e.sha256) END
                     FROM evidence e WHERE e.case_id = $1 ORDER BY e.id",
                    crate::video::PURGED_RECORDING_EVIDENCE
                ),
                args![case_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, content_type, size, sha256, uploaded_by, uploaded_at, purged_at)| EvidenceView {
                id,
                name,
                content_type,
                size,
                sha256,
                uploaded_by,
                uploaded_at: from_ms(uploaded_at),
                purged_at: purged_at.map(from_ms),
            })
            .collect())
    }

    /// Mediators who might take the case, best first, each with its reasons.
    pub async fn mediator_suggestions(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<MediatorCandidate>> {
        let case_id = case_id.get();
        let case = self.case_row(viewer, case_id).await?;
        // One query: each mediator with their unit's open cases (load) and their own record.
        let rows: Vec<MediatorRow> = self
            .fetch_all(
                "SELECT u.id, u.display_name, u.unit_id, n.region_code, n.categories, p.specialities, p.languages, p.rating_sum, p.rating_count,
                        COALESCE(l.open_cases, 0), COALESCE(h.mediated, 0), COALESCE(h.resolved, 0)
                 FROM users u JOIN units n ON n.id = u.unit_id LEFT JOIN mediator_profiles p ON p.user_id = u.id
                 LEFT JOIN (SELECT cu.unit_id, COUNT(*) AS open_cases FROM case_units cu JOIN cases c ON c.id = cu.case_id
                            WHERE c.status IN ('dispatched', 'in_progress')
                              AND cu.unit_id IN (SELECT unit_id FROM users WHERE role = 'mediator' AND active)
                            GROUP BY cu.unit_id) l ON l.unit_id = u.unit_id
                 LEFT JOIN (SELECT m.user_id, COUNT(*) AS mediated, SUM(CASE WHEN c.outcome = 'resolved' THEN 1 ELSE 0 END) AS resolved
                            FROM case_mediators m JOIN cases c ON c.id = m.case_id
                            WHERE c.status IN ('concluded', 'archived') GROUP BY m.user_id) h ON h.user_id = u.id
                 WHERE u.role = 'mediator' AND u.active",
                args![],
            )
            .await?;
        let mut candidates = Vec::new();
        for (
            user_id,
            name,
            unit_id,
            region_code,
            categories,
            specialities,
            languages,
            rating_sum,
            rating_count,
            load,
            mediated,
            resolved,
        ) in rows
        {
            let specialities = specialities.unwrap_or(categories).split_whitespace().map(str::to_owned).collect();
            let rating = match (rating_sum, rating_count) {
                (Some(sum), Some(count)) if count > 0 => Some(sum as f64 / count as f64),
                _ => None,
            };
            candidates.push(MediatorCandidate {
                user_id,
                name,
                unit_id,
                specialities,
                region_code,
                load,
                rating,
                languages: languages.unwrap_or_default(),
                mediated,
                resolved,
                score: 0.0,
                reasons: Vec::new(),
            });
        }
        let category = Category::parse(case.category()).unwrap_or(Category::Other);
        Ok(mediation::rank_mediators(category, &case.region_code_str(), candidates))
    }
}

/// Which delivery was received: its agreement, the agreement's case and the party.
struct Receipt {
    agreement_id: i64,
    case_id: i64,
    party_index: i64,
}

/// id, masked recipient, masked body, encrypted body, status, created, sent.
type OutboxRow = (i64, String, String, Option<String>, String, i64, Option<i64>);

/// An SMS to queue: its whole text, and the same with its secrets (link tokens, codes) masked.
pub(crate) struct Sms {
    text: String,
    masked: String,
}

impl Sms {
    /// A message with no secret in it.
    pub(crate) fn plain(text: String) -> Self {
        Sms { masked: text.clone(), text }
    }

    /// A message whose `secrets` must not rest in plain text.
    pub(crate) fn sealed(text: String, secrets: &[&str]) -> Self {
        let masked = secrets.iter().fold(text.clone(), |masked, secret| masked.replace(secret, "••••••"));
        Sms { text, masked }
    }
}

/// Where an SMS goes: the phone number encrypted (for the gateway) and masked (for people).
pub(crate) struct Recipient<'a> {
    pub cipher: &'a str,
    pub masked: &'a str,
}

/// Whether a phone number receives SMS, from its masked form: mobile numbers start with 1, a
/// landline with 0 (its code would never arrive).
pub(crate) fn receives_sms(masked: &str) -> bool {
    masked.starts_with('1')
}

/// The signing link and code as the party receives them.
fn signing_sms(party: &AgreementParty, link: &str, token: &str, code: &str) -> Sms {
    let text = msg!("sms.signing", name = party.name.as_str(), hours = LINK_LIFETIME_HOURS, link = link, code = code);
    let body = T::default().msg(&text);
    Sms::sealed(body, &[token, code])
}

/// What the mediator is told of a message, from the outbox's status.
fn delivery_state(outbox_status: &str) -> &'static str {
    match outbox_status {
        "sent" => "sent",
        "failed" => "failed",
        "kept" => "kept",
        _ => "queued",
    }
}

/// A message in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub id: i64,
    /// Masked phone number.
    pub recipient: String,
    pub body: String,
    /// pending | sending | sent | failed | kept
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// An evidence file of a case.
#[derive(Debug, Clone)]
pub struct EvidenceView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    /// Of a recording's own evidence (音视频笔录): when its file was deleted at the end of its
    /// retention period (已按保存期限删除). The row and its hash stay; the file is gone.
    pub purged_at: Option<DateTime<Utc>>,
}

/// An evidence row: id, name, type, size, hash, who and when, when its recording was purged.
type EvidenceRow = (i64, String, String, i64, String, String, i64, Option<i64>);

/// A party as stored in the agreement row: with the ciphers, which the API never shows, and
/// without signatures, which live in `agreement_signers` only.
fn stored_party(p: &AgreementParty) -> serde_json::Value {
    json!({
        "index": p.index, "role": p.role, "name": p.name, "id_number": p.id_number,
        "phone_masked": p.phone_masked, "phone_cipher": p.phone_cipher, "address_cipher": p.address_cipher,
    })
}
