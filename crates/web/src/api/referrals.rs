//! 诉前委派 (issue 18): a court's referrals in batches, the centre's answer, and what goes back
//! to the court — pulled here by the court's desk or its system account. A batch also comes as
//! an Excel workbook, received whole or not at all.

use app::referrals::{Decision, Incoming, Received, Referral, ReferralImport};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use domain::case::CaseRegistration;
use domain::i18n::T;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::case_import::{ImportQuery, ImportRow, report_rows};
use super::dto::rfc3339;
use crate::AppState;
use crate::error::{ApiError, ErrorBody, ErrorDetail, current_lang};
use crate::extract::{InPath, JsonBody, JsonBytes, Permitted, gate, parse_json};

/// One referral of a batch: the court's case number and the dispute as a registration (its
/// `channel` is always `court`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReferralItem {
    /// The court's own case number (e.g. "(2026)甘0102民诉前调1234号"): one referral per number.
    pub court_case_number: Option<String>,
    #[serde(flatten)]
    pub registration: CaseRegistration,
}

/// What goes back to the court once the case is concluded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralResult {
    /// `succeeded` or `failed`.
    pub outcome: String,
    /// The agreement in effect (success): its PDF is `/api/v1/agreements/{id}/pdf`, and the
    /// parties may apply for judicial confirmation.
    pub agreement_id: Option<i64>,
    /// Why it failed, with the undisputed facts (the conclusion's summary).
    pub summary: Option<String>,
    /// The electronic case file (ZIP) for filing.
    pub case_file: String,
}

/// A referral, its clocks and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralView {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub court_case_number: String,
    /// received | accepted | declined | mediating | succeeded | failed
    pub state: String,
    /// Whether the clock due next (confirm, contact or mediate by) has passed.
    pub overdue: bool,
    pub received_at: String,
    /// Confirm or decline by (3 working days).
    pub confirm_by: String,
    pub decided_at: Option<String>,
    /// Contact the other party by (3 working days after confirming).
    pub contact_by: Option<String>,
    pub contacted_at: Option<String>,
    /// Mediate by (30 days after confirming).
    pub mediate_by: Option<String>,
    /// Why the centre declined it.
    pub reason: Option<String>,
    pub result: Option<ReferralResult>,
}

/// What became of one referral of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedReferral {
    pub index: usize,
    /// `created`, `existing` (the number was referred before) or `refused`.
    pub result: String,
    pub referral: Option<ReferralView>,
    pub error: Option<ErrorDetail>,
}

/// The centre's answer to a referral.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// `accept` or `decline`.
    pub decision: Option<String>,
    /// Why it is declined (required then).
    pub reason: Option<String>,
}

fn view(referral: Referral) -> ReferralView {
    let row = referral.row;
    let state = referral.state;
    let result =
        matches!(state, domain::referral::State::Succeeded | domain::referral::State::Failed).then(|| ReferralResult {
            outcome: state.as_str().to_owned(),
            agreement_id: row.agreement_id,
            summary: row.summary.clone(),
            case_file: format!("/api/v1/cases/{}/file", row.case_id),
        });
    ReferralView {
        id: row.id,
        case_id: row.case_id,
        case_number: row.case_number,
        court_case_number: row.court_case_number,
        state: state.as_str().to_owned(),
        overdue: referral.overdue,
        received_at: rfc3339(row.received_at),
        confirm_by: rfc3339(row.confirm_by),
        decided_at: row.decided_at.map(rfc3339),
        contact_by: row.contact_by.map(rfc3339),
        contacted_at: row.contacted_at.map(rfc3339),
        mediate_by: row.mediate_by.map(rfc3339),
        reason: row.reason,
        result,
    }
}

fn detail(error: ApiError) -> ErrorDetail {
    let t = T { lang: current_lang() };
    ErrorDetail {
        code: error.code.to_owned(),
        message: t.msg(&error.message),
        field: error.fields.first().map(|f| f.field.clone()),
        fields: error.fields.iter().map(|f| t.field_error(f)).collect(),
    }
}

/// Refer disputes from a court (its desk's user, or its system account by `X-Api-Key`): a batch
/// of 1 to 200. Each is registered as a `court` case and answered on its own — `created`,
/// `existing` when the court's number was referred before (the same referral, never a second),
/// or `refused` with its error (fields named `items[i].…`); one bad referral keeps no other out.
#[utoipa::path(post, path = "/api/v1/referrals", tag = "referrals", security(("bearer" = []), ("api_key" = [])),
    request_body = Vec<ReferralItem>,
    responses((status = 200, body = Vec<ReceivedReferral>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CaseRegister>,
    JsonBytes(bytes): JsonBytes,
) -> Result<Json<Vec<ReceivedReferral>>, ApiError> {
    let values: Vec<serde_json::Value> = parse_json(&bytes)?;
    let mut parsed = Vec::with_capacity(values.len());
    let mut malformed = Vec::new();
    for (i, value) in values.into_iter().enumerate() {
        match parse_json::<ReferralItem>(value.to_string().as_bytes()) {
            Ok(item) => {
                parsed.push(Incoming { court_case_number: item.court_case_number, registration: item.registration })
            }
            Err(error) => {
                malformed.push((i, error));
                parsed.push(Incoming { court_case_number: None, registration: CaseRegistration::default() });
            }
        }
    }
    let received = state.app.referrals_receive(&viewer, parsed).await?;
    let mut answers: Vec<ReceivedReferral> = received
        .into_iter()
        .enumerate()
        .map(|(index, received)| match received {
            Received::Created(r) => {
                ReceivedReferral { index, result: "created".into(), referral: Some(view(r)), error: None }
            }
            Received::Existing(r) => {
                ReceivedReferral { index, result: "existing".into(), referral: Some(view(r)), error: None }
            }
            Received::Refused(error) => {
                ReceivedReferral { index, result: "refused".into(), referral: None, error: Some(detail(error.into())) }
            }
        })
        .collect();
    for (i, error) in malformed {
        answers[i].error = Some(detail(error));
    }
    Ok(Json(answers))
}

/// A workbook of referrals checked, and received unless it was a dry run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferralImportReport {
    /// Every row as read, with its faults.
    pub rows: Vec<ImportRow>,
    /// How many rows would be received (all, or none is).
    pub importable: usize,
    /// The rows at fault.
    pub faulted_rows: Vec<usize>,
    /// Received now as new referrals.
    pub created: usize,
    /// Rows whose court case number was received from this court before: the same referral,
    /// no second case.
    pub existing: usize,
}

fn import_report(report: ReferralImport) -> ReferralImportReport {
    ReferralImportReport {
        faulted_rows: app::case_import::faulted_rows(&report.faults),
        rows: report_rows(report.rows, &report.faults),
        importable: report.importable,
        created: report.created,
        existing: report.existing,
    }
}

/// 诉前委派批量导入: an .xlsx body (the template at `/referrals/template.xlsx`: 法院案号, the
/// category, region and address, the applicant and the respondent, the amount, the facts and
/// the claims) from a court — its system account by `X-Api-Key`, or its desk. `dry_run=true`
/// answers the report of every row and receives nothing (422 when a row is at fault);
/// otherwise every row is received as one referral with its clocks, as by
/// `POST /api/v1/referrals` — 201 with the counts — or, when any row is at fault, none (422,
/// every fault named `line[N].column`; a court case number given twice is a fault of its
/// later row). A row whose number the court referred before is that referral again (counted
/// as `existing`).
#[utoipa::path(post, path = "/api/v1/referrals/import", tag = "referrals", security(("api_key" = []), ("bearer" = [])), params(ImportQuery),
    request_body(content = Vec<u8>, description = "the .xlsx workbook as it is (any content type)", content_type = "application/octet-stream"),
    responses((status = 200, description = "dry run: every row checked, none at fault", body = ReferralImportReport),
        (status = 201, body = ReferralImportReport),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "a row at fault (every fault listed; with `dry_run` the report) or the workbook unreadable", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CaseRegister>,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<ReferralImportReport>), ApiError> {
    let report = state.app.referrals_import(&viewer, &body, query.dry_run).await?;
    let status = match (query.dry_run, report.faults.is_empty()) {
        (true, true) => StatusCode::OK,
        (true, false) => StatusCode::UNPROCESSABLE_ENTITY,
        (false, _) => StatusCode::CREATED,
    };
    Ok((status, Json(import_report(report))))
}

/// The referrals the viewer follows, the newest first (at most 500): a court's own; a
/// centre's of its scope.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<ReferralView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::ReferralsRead>,
) -> Result<Json<Vec<ReferralView>>, ApiError> {
    let page = state.app.referrals(&viewer, None, app::referrals::PAGE_MAX, 0).await?;
    Ok(Json(page.items.into_iter().map(view).collect()))
}

/// One referral, with what went back to the court once its case is concluded: the agreement in
/// effect, or the reason and undisputed facts with the case file.
#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", security(("bearer" = []), ("api_key" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ReferralView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::ReferralsRead>,
    InPath(id, _): InPath<i64>,
) -> Result<Json<ReferralView>, ApiError> {
    Ok(Json(view(state.app.referral(&viewer, id).await?)))
}

/// 确认或退回: the centre accepts a referral within 3 working days (the clocks to contact the
/// other party, 3 working days, and to mediate, 30 days, start) or declines it with a reason
/// (it goes back to the court); once only (409 after).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/decision", tag = "referrals", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionRequest,
    responses((status = 200, body = ReferralView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::ReferralDecide>,
    InPath(id, _): InPath<i64>,
    JsonBody(body): JsonBody<DecisionRequest>,
) -> Result<Json<ReferralView>, ApiError> {
    let decision = Decision { decision: body.decision, reason: body.reason };
    Ok(Json(view(state.app.referral_decide(&viewer, id, decision).await?)))
}
