//! 诉调对接: the court desk's page of its referrals (诉前委派) and the centre's — each in its
//! state with the clock due next and overdue ones marked, counted by state and paged — with
//! 确认 and 退回 (with a reason) for those who decide; one referral's page shows its court case
//! number, its case, its clocks and what went back to the court. Those who decide also upload
//! a court's workbook of referrals for its system account: a preview of every row with its
//! faults, then — confirmed — every referral received or none (the preview carries the
//! workbook back in its confirmation form, and the confirmation checks everything again).

use app::AppError;
use app::referrals::{Decision, Referral, ReferralImport};
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::authz::{self, Permission};

use super::cases::short_time;
use super::work_orders::{Upload, confirmed_upload, imported_notice, read_upload, upload_of};
use super::{Page, Posted, Session, StateListQuery, UiError, error_text, redirect_with, render};
use crate::AppState;
use crate::extract::InPath;

/// How many referrals one page shows.
const PAGE_SIZE: i64 = 20;

#[derive(Template)]
#[template(path = "referrals.html")]
struct ListPage {
    page: Page,
    referrals: Vec<Referral>,
    /// Each state's code and how many referrals are in it.
    counts: Vec<(&'static str, i64)>,
    total: i64,
    /// The state shown, empty for all.
    state: String,
    /// The page shown, for the forms (a refused one comes back to it).
    number: i64,
    prev: Option<String>,
    next: Option<String>,
    /// Whether the viewer confirms or declines referrals.
    decides: bool,
    /// A 退回 refused for its reason: the referral, the reason as typed, what is wrong with it.
    refused: Option<Refused>,
    /// The courts' accounts a workbook may be uploaded for (for those who decide), and the
    /// upload's state.
    senders: Vec<(i64, String)>,
    upload: Upload,
}

struct Refused {
    id: i64,
    reason: String,
    error: String,
}

impl ListPage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }

    /// Whether the list shows the state `code`.
    fn shows(&self, code: &str) -> bool {
        self.state == code
    }

    /// The refusal of this referral's 退回, if it is the one refused.
    fn refused_for(&self, id: &i64) -> Option<&Refused> {
        self.refused.as_ref().filter(|r| r.id == *id)
    }
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<StateListQuery>,
) -> Result<Response, UiError> {
    list_page(&state, &session, query.state.unwrap_or_default(), query.page.unwrap_or(1), None, Upload::default()).await
}

async fn list_page(
    state: &AppState,
    session: &Session,
    filter: String,
    number: i64,
    refused: Option<Refused>,
    upload: Upload,
) -> Result<Response, UiError> {
    let number = super::page_of(Some(number));
    let offset = (number - 1) * PAGE_SIZE;
    let found = state.app.referrals(&session.viewer, Some(&filter), PAGE_SIZE, offset).await?;
    let link = |n: i64| format!("/referrals?state={filter}&page={n}");
    let prev = (number > 1).then(|| link(number - 1));
    let next = (offset + PAGE_SIZE < found.total).then(|| link(number + 1));
    let page = Page::new(state, session, "诉调对接", "/referrals").await?;
    let shown_flash = page.flash.is_some();
    let status = if refused.is_some() || upload.faulted() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let decides = authz::has(session.viewer.role, Permission::ReferralDecide);
    let senders = if decides { state.app.referral_senders(&session.viewer).await? } else { Vec::new() };
    let list = ListPage {
        page,
        referrals: found.items,
        counts: found.counts.into_iter().map(|(s, n)| (s.as_str(), n)).collect(),
        total: found.total,
        state: filter,
        number,
        prev,
        next,
        decides,
        refused,
        senders,
        upload,
    };
    Ok(render(status, &list, shown_flash))
}

/// 确认 (`accept`) or 退回 (`decline`, with the form's reason), then back to the list; a reason
/// refused is said beside it, on the same page, with what was typed.
pub async fn decide(
    State(state): State<AppState>,
    InPath((id, decision), _): InPath<(i64, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let reason = form.get("reason").map(str::to_owned);
    let asked = Decision { decision: Some(decision.clone()), reason: reason.clone() };
    let back = format!("/referrals?state={}", form.get("state").unwrap_or_default());
    match state.app.referral_decide(&session.viewer, id, asked).await {
        Ok(done) => {
            let what = if decision == "accept" { "已确认受理" } else { "已退回法院" };
            Ok(redirect_with(&back, "ok", &format!("{} {}", done.row.court_case_number, t.s(what))))
        }
        Err(AppError::Invalid(errors)) if decision == "decline" => {
            let error = errors.iter().map(|e| t.msg(&e.message())).collect::<Vec<_>>().join("；");
            let number = form.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let refused = Refused { id, reason: reason.unwrap_or_default(), error };
            let filter = form.get("state").unwrap_or_default().to_owned();
            list_page(&state, &session, filter, number, Some(refused), Upload::default()).await
        }
        Err(error) => Ok(redirect_with(&back, "error", &error_text(t, &error.into()))),
    }
}

/// The template workbook of referrals, its header in the reader's language.
pub async fn template(session: Session) -> Result<Response, UiError> {
    let headers = [
        (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (header::CONTENT_DISPOSITION, "attachment; filename=\"fengqiao-referrals.xlsx\""),
    ];
    Ok((headers, app::referrals::template(session.t)).into_response())
}

/// The upload: the workbook read and checked for the court's account, shown as a preview;
/// nothing is received yet.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    let (account_id, file) = read_upload(&session, &mut multipart).await?;
    let bytes = match file {
        Ok(bytes) => bytes,
        Err(fault) => {
            let upload = Upload { account_id, file_errors: vec![session.t.msg(&fault.message())], preview: None };
            return list_page(&state, &session, String::new(), 1, None, upload).await;
        }
    };
    let checked = state.app.referrals_upload(&session.viewer, account_id, &bytes, true).await;
    preview_page(&state, &session, account_id, &bytes, checked).await
}

/// The confirmation: every referral received (then back to the list, saying how many), or —
/// when anything is at fault now — none, and the preview again.
pub async fn confirm(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let (account_id, bytes) = confirmed_upload(&form);
    match state.app.referrals_upload(&session.viewer, account_id, &bytes, false).await {
        Ok(report) => {
            let said = imported_notice(t, &t.s("已导入委派"), report.created, report.existing);
            Ok(redirect_with("/referrals", "ok", &said))
        }
        Err(AppError::Invalid(_)) => {
            let checked = state.app.referrals_upload(&session.viewer, account_id, &bytes, true).await;
            preview_page(&state, &session, account_id, &bytes, checked).await
        }
        Err(error) => Ok(redirect_with("/referrals", "error", &error_text(t, &error.into()))),
    }
}

/// The list with the preview of a workbook (422 when anything is at fault), or with what is
/// wrong with the workbook as a whole.
async fn preview_page(
    state: &AppState,
    session: &Session,
    account_id: Option<i64>,
    bytes: &[u8],
    checked: Result<ReferralImport, AppError>,
) -> Result<Response, UiError> {
    let checked = checked.map(|report| (report.rows, report.faults));
    let upload = upload_of(session.t, &domain::referral::IMPORT_COLUMNS, account_id, bytes, checked)?;
    list_page(state, session, String::new(), 1, None, upload).await
}

/// A clock of the referral: its name, when it is due, and when it was met.
type Clock = (&'static str, DateTime<Utc>, Option<DateTime<Utc>>);

#[derive(Template)]
#[template(path = "referral.html")]
struct OnePage {
    page: Page,
    r: Referral,
    /// The clocks: name, due, and when it was met.
    clocks: Vec<Clock>,
    decides: bool,
}

impl OnePage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }

    /// Whether the referral ended as this state.
    fn is(&self, state: &str) -> bool {
        self.r.state.as_str() == state
    }
}

/// One referral: the court's number, the case, the clocks, and what went back to the court.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    InPath(id, _): InPath<i64, UiError>,
) -> Result<Response, UiError> {
    let r = state.app.referral(&session.viewer, id).await?;
    let row = &r.row;
    let mut clocks = vec![("确认受理期限", row.confirm_by, row.decided_at)];
    if let Some(by) = row.contact_by {
        clocks.push(("联系对方当事人期限", by, row.contacted_at));
    }
    if let Some(by) = row.mediate_by {
        clocks.push(("调解期限", by, None));
    }
    let page = Page::new(&state, &session, "法院委派", "/referrals").await?;
    let shown_flash = page.flash.is_some();
    let decides = authz::has(session.viewer.role, Permission::ReferralDecide);
    Ok(render(StatusCode::OK, &OnePage { page, r, clocks, decides }, shown_flash))
}
