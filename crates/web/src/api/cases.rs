//! Cases: register, list, read, history, workflow steps.

use app::cases::{CaseFilter, ListCursor, RevealRequest};
use app::integration::Intake;
use app::triage::WhenUnsure;
use axum::Json;
use axum::extract::{Query, RawQuery, State};
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::case::{CaseRegistration, Category, Risk, Status};
use domain::ids::CaseId;
use domain::msg;
use domain::org::RegionCode;
use domain::validation::{Checker, FieldError, Message};
use domain::workflow::ActionRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{CaseList, CaseReceipt, CaseView, EventView, IntoApi, RegisteredCase, SimilarCases};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, AuthOrGranted, InPath, JsonBody, JsonBytes, Permitted, gate, parse_json};

/// Register a case from any channel. Category, risk and route are suggested with reasons;
/// earlier cases of the same person, organisation or place are listed in `related_cases`.
///
/// A category left out is suggested; when the classifier is unsure (below its confidence
/// threshold), the case is recorded as `other` with `category_source` `unsure` and routed by
/// territory alone.
///
/// Another system registers with its API key (`X-Api-Key`, an account granted
/// `case_register`) and may send its own reference as `external_ref` (at most 100
/// characters): the same reference from the same sender again — also many at once — answers
/// 200 with the case the first registered, never a second case.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", security(("bearer" = []), ("api_key" = [])), request_body = CaseRegistration,
    responses((status = 201, body = RegisteredCase), (status = 200, description = "the case already registered under this `external_ref`", body = RegisteredCase),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    Permitted(viewer, _): Permitted<gate::CaseRegister>,
    JsonBytes(bytes): JsonBytes,
) -> Result<(StatusCode, Json<RegisteredCase>), ApiError> {
    let body: CaseRegistration = parse_json(&bytes)?;
    let reference: ExternalRef = parse_json(&bytes)?;
    match reference.external_ref {
        Some(reference) => {
            let (intake, case) =
                state.app.case_register_external(&viewer, &reference, body, WhenUnsure::RecordOther).await?;
            let status = if intake == Intake::Created { StatusCode::CREATED } else { StatusCode::OK };
            Ok((status, Json(case.into_api())))
        }
        None => {
            let case = state.app.case_register(&viewer, body, WhenUnsure::RecordOther).await?;
            Ok((StatusCode::CREATED, Json(case.into_api())))
        }
    }
}

/// The sender's own reference, beside the registration's fields.
#[derive(Debug, Deserialize)]
struct ExternalRef {
    external_ref: Option<String>,
}

/// Filters and paging of the case list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// registered | accepted | rejected | dispatched | in_progress | concluded | followed_up | archived
    status: Option<String>,
    /// A category code.
    category: Option<String>,
    /// none | yellow | orange | red
    risk: Option<String>,
    /// A region code (6 or 12 digits): cases in its subtree.
    region: Option<String>,
    /// A unit id: cases assigned to it (lead or assisting).
    unit: Option<String>,
    /// true: only cases past a running deadline; false: only those not.
    overdue: Option<String>,
    /// Text in the number, title or description.
    q: Option<String>,
    /// Page size (default 20, at most 200).
    limit: Option<String>,
    /// Rows to skip.
    offset: Option<String>,
    /// 1-based page, an alternative to `offset`.
    page: Option<String>,
    /// Alias of `limit`.
    page_size: Option<String>,
    /// Keyset paging: the `next` of the previous page; the page starts after it (a deep page
    /// then costs what the first does).
    after: Option<String>,
}

impl ListQuery {
    fn parse(self) -> Result<CaseFilter, Vec<FieldError>> {
        let mut c = Checker::default();
        let status = c.code::<Status>("status", self.status.as_deref(), false);
        let category = c.code::<Category>("category", self.category.as_deref(), false);
        let risk = c.code::<Risk>("risk", self.risk.as_deref(), false);
        let region =
            present(self.region).and_then(|r| c.check(RegionCode::parse(&r).map_err(|e| bad("region", e.message()))));
        let unit =
            present(self.unit).and_then(|u| c.check(u.parse::<i64>().map_err(|_| bad("unit", msg!("filter.unit_id")))));
        let overdue = present(self.overdue).and_then(|o| {
            c.check(match o.as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(bad("overdue", msg!("filter.true_or_false"))),
            })
        });
        let mut number = |field: &'static str, value: Option<String>, min: i64, max: i64| {
            present(value).and_then(|v| {
                c.check(
                    v.parse::<i64>()
                        .ok()
                        .filter(|n| (min..=max).contains(n))
                        .ok_or_else(|| bad(field, msg!("filter.whole_number_between", min = min, max = max))),
                )
            })
        };
        let limit = number("limit", self.limit, 1, app::cases::MAX_PAGE_SIZE)
            .or(number("page_size", self.page_size, 1, app::cases::MAX_PAGE_SIZE))
            .unwrap_or(20);
        let page = number("page", self.page, 1, 1_000_000);
        let offset = number("offset", self.offset, 0, i64::MAX / 2).or(page.map(|p| (p - 1) * limit)).unwrap_or(0);
        let after = present(self.after)
            .and_then(|a| c.check(ListCursor::parse(&a).ok_or_else(|| bad("after", msg!("filter.cursor")))));
        let q = present(self.q);
        c.into_result()?;
        Ok(CaseFilter {
            status,
            category,
            risk,
            region,
            unit,
            overdue,
            q,
            limit,
            offset,
            after,
            ..CaseFilter::default()
        })
    }
}

fn present(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn bad(field: &str, expected: Message) -> FieldError {
    FieldError::new(field, "invalid_filter", msg!("filter.expected", expected = expected))
}

/// The cases in the caller's scope, filtered and paged, newest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = CaseList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(query): Query<ListQuery>,
) -> Result<Json<CaseList>, ApiError> {
    let filter = query.parse().map_err(ApiError::invalid)?;
    Ok(Json(state.app.case_list(&viewer, &filter).await?.into_api()))
}

/// The format of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// csv | xlsx | json
    format: Option<String>,
}

/// 导出: the cases of the list's filters (the same parameters; paging is ignored) in the
/// caller's scope as CSV (UTF-8 with a byte-order mark), Excel or JSON — at most 5 000 cases
/// (more is 422: narrow the filters), parties masked (a person's name to its first character,
/// ID numbers and phones as the list shows them), every export recorded.
#[utoipa::path(get, path = "/api/v1/cases/export", tag = "cases", security(("bearer" = [])), params(ExportQuery, ListQuery),
    responses((status = 200, description = "the file, as `attachment`: text/csv, .xlsx or application/json", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Query(format): Query<ExportQuery>,
    Query(query): Query<ListQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let format = app::export::ExportFormat::parse(format.format.as_deref());
    let filter = query.parse();
    let (format, filter) = match (format, filter) {
        (Ok(format), Ok(filter)) => (format, filter),
        (format, filter) => {
            let mut errors = filter.err().unwrap_or_default();
            errors.extend(format.err());
            return Err(ApiError::invalid(errors));
        }
    };
    let (bytes, _) = state.app.case_export(&viewer, &filter, format, raw.as_deref().unwrap_or_default()).await?;
    let name = format!("cases.{}", format.as_str());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

/// Asking for full personal data.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetQuery {
    /// `true` to see full ID numbers and phones (roles whose work needs them; recorded in the history).
    reveal: Option<bool>,
    /// Why the full data is needed; required with `reveal=true`.
    reason: Option<String>,
}

/// One case in the caller's scope (404 outside it).
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path), GetQuery),
    responses((status = 200, body = CaseView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<CaseId>,
    Query(query): Query<GetQuery>,
) -> Result<Json<CaseView>, ApiError> {
    let reveal = (query.reveal == Some(true)).then(|| RevealRequest { reason: query.reason.unwrap_or_default() });
    Ok(Json(state.app.case_get(&viewer, id, reveal).await?.into_api()))
}

/// 电子卷宗: the electronic case file as `application/zip` — `case.pdf` (the summary, the
/// parties, the timeline), every stored file of the case (`evidence/…`, `agreements/…`,
/// `recordings/…`) and `manifest.txt` with the SHA-256 of each entry (`sha256sum -c` form).
/// Parties are masked unless `reveal=true` with a `reason` (recorded, as for the case itself).
/// Also for the referring court's system account (granted `referrals_read`) by `X-Api-Key`:
/// a failed referral's file goes back to the court.
#[utoipa::path(get, path = "/api/v1/cases/{id}/file", tag = "cases", security(("bearer" = []), ("api_key" = [])), params(("id" = i64, Path), GetQuery),
    responses((status = 200, description = "the case file", body = Vec<u8>, content_type = "application/zip"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn case_file(
    State(state): State<AppState>,
    AuthOrGranted(viewer, _): AuthOrGranted<gate::ReferralsRead>,
    InPath(id, _): InPath<CaseId>,
    Query(query): Query<GetQuery>,
) -> Result<Response, ApiError> {
    let reveal = (query.reveal == Some(true)).then(|| RevealRequest { reason: query.reason.unwrap_or_default() });
    let (bytes, number) = state.app.case_file(&viewer, id, reveal).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{number}.zip\"")),
        ],
        bytes,
    )
        .into_response())
}

/// 受理回执: the receipt of a case as JSON (the staff UI prints it at `/cases/{id}/receipt`).
#[utoipa::path(get, path = "/api/v1/cases/{id}/receipt", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CaseReceipt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn receipt(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<CaseReceipt>, ApiError> {
    Ok(Json(state.app.case_receipt(&viewer, id).await?.into_api()))
}

/// The case's hash-chained history, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/events", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EventView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    Ok(Json(state.app.case_events(&viewer, id).await?.into_api()))
}

/// 类似案例: up to five concluded cases in the caller's scope most like this one by their
/// words, best first, never the case itself; each summary without personal data (names as
/// 张某, numbers masked). 404 when the case is not visible.
#[utoipa::path(get, path = "/api/v1/cases/{id}/similar", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = SimilarCases), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn similar(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<CaseId>,
) -> Result<Json<SimilarCases>, ApiError> {
    Ok(Json(SimilarCases { items: state.app.cases_similar(&viewer, id).await?.into_api() }))
}

/// A workflow step `{action, version, …}`. 409 when `version` is stale or the step is not
/// allowed now; 403 when the caller may not take it.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", tag = "cases", security(("bearer" = [])), params(("id" = i64, Path)), request_body = ActionRequest,
    responses((status = 200, body = CaseView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    InPath(id, _): InPath<CaseId>,
    JsonBody(body): JsonBody<ActionRequest>,
) -> Result<Json<CaseView>, ApiError> {
    let (command, version) = body.parse().map_err(ApiError::invalid)?;
    Ok(Json(state.app.case_act(&viewer, id, command, version).await?.into_api()))
}
