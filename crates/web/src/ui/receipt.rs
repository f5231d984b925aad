//! 受理回执: the receipt an applicant takes home after registration — the case's number and
//! date, the centre that handles it and how to reach it, and what happens next by when (the
//! deadlines the clocks computed). A page made to be printed, reachable from the registration's
//! result and from the case page.

use app::cases::CaseReceipt;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::ids::CaseId;

use super::cases::short_time;
use super::qr;
use super::{Page, Session, UiError, render};
use crate::AppState;
use crate::api::mediation::site;
use crate::extract::InPath;

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    page: Page,
    receipt: CaseReceipt,
    category_label: String,
    applicants: Vec<String>,
    /// 解纷码: the applicant signs in to the portal and scans it to follow the case.
    tracking_code: String,
    tracking_qr: String,
}

impl ReceiptPage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    InPath(id, _): InPath<CaseId, UiError>,
) -> Result<Response, UiError> {
    let receipt = state.app.case_receipt(&session.viewer, id).await?;
    let t = session.t;
    let case = &receipt.case;
    let applicants = case.parties.iter().filter(|p| p.role == "applicant").map(|p| p.name.clone()).collect();
    let category_label = t.code("category", case.category.as_str());
    let tracking_code = state.app.tracking_code(id);
    let tracking_qr = qr::svg(&qr::tracking_url(&site(&headers), &tracking_code));
    let page = Page::new(&state, &session, "受理回执", &format!("/cases/{id}/receipt")).await?;
    let receipt = ReceiptPage { page, receipt, category_label, applicants, tracking_code, tracking_qr };
    Ok(render(StatusCode::OK, &receipt, false))
}
