//! 信访转办: the centre's page of the petitions petition offices transferred — counted and paged
//! by stage, with a form to enter one — and each petition's page: its statutory clocks with
//! their due dates, and the step due next (accept, object, transfer on, extend, reply, record a
//! 复查/复核 request). Post/redirect/get; a refused form comes back with what was typed and each
//! error beside its field.

use app::AppError;
use app::petitions::{Petition, Transfer};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::case::{CaseRegistration, LocationInput, PartyInput};
use domain::ids::CaseId;
use domain::petition::Stage;
use serde::Deserialize;

use super::admin::Typed;
use super::cases::short_time;
use super::session::FormData;
use super::{Page, Posted, Session, UiError, error_text, redirect_with, render};
use crate::AppState;
use crate::extract::InPath;

/// How many petitions one page shows.
const PAGE_SIZE: i64 = 20;

#[derive(Template)]
#[template(path = "petitions.html")]
struct ListPage {
    page: Page,
    petitions: Vec<Petition>,
    total: i64,
    stage: String,
    stages: Vec<(&'static str, String)>,
    prev: Option<String>,
    next: Option<String>,
    /// The form to enter a transfer: empty, or as typed and refused.
    entry: Typed,
}

impl ListPage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    stage: Option<String>,
    page: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    let stage = query.stage.unwrap_or_default();
    list_page(&state, &session, stage, query.page.unwrap_or(1), Typed::of(Vec::new())).await
}

async fn list_page(
    state: &AppState,
    session: &Session,
    stage: String,
    number: i64,
    entry: Typed,
) -> Result<Response, UiError> {
    let number = super::page_of(Some(number));
    let offset = (number - 1) * PAGE_SIZE;
    let found = state.app.petitions(&session.viewer, Some(&stage), PAGE_SIZE, offset).await?;
    let link = |n: i64| format!("/petitions?stage={stage}&page={n}");
    let prev = (number > 1).then(|| link(number - 1));
    let next = (offset + PAGE_SIZE < found.total).then(|| link(number + 1));
    let t = session.t;
    let stages = Stage::ALL.iter().map(|s| (s.as_str(), t.code("petition_stage", s.as_str()))).collect();
    let page = Page::new(state, session, "信访转办", "/petitions").await?;
    let shown_flash = page.flash.is_some();
    let status = if entry.has_errors() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let list = ListPage { page, petitions: found.items, total: found.total, stage, stages, prev, next, entry };
    Ok(render(status, &list, shown_flash))
}

fn text(form: &FormData, name: &str) -> Option<String> {
    form.get(name).map(str::to_owned)
}

/// Enter a transfer for a petition office; a refused one comes back with what was typed.
pub async fn enter(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let transfer = Transfer {
        sender: text(&form, "sender"),
        reference: text(&form, "reference"),
        office_received_on: text(&form, "office_received_on"),
    };
    let petitioner = PartyInput {
        role: Some("applicant".to_owned()),
        kind: Some("person".to_owned()),
        name: text(&form, "petitioner"),
        phone: text(&form, "phone"),
        id_number: text(&form, "id_number"),
        ..PartyInput::default()
    };
    let registration = CaseRegistration {
        description: text(&form, "request"),
        location: Some(LocationInput {
            address: text(&form, "address"),
            region_code: text(&form, "region_code"),
            ..LocationInput::default()
        }),
        parties: Some(vec![petitioner]),
        people_count: Some(1),
        ..CaseRegistration::default()
    };
    match state.app.petition_enter(&session.viewer, transfer, registration).await {
        Ok((_, petition)) => Ok(redirect_with(
            &format!("/petitions/{}", petition.row.case_id),
            "ok",
            &format!("{} {}", petition.row.reference, t.s("已登记")),
        )),
        Err(AppError::Invalid(errors)) => {
            // The registration names the petitioner as a party and the facts as the description.
            let errors: Vec<_> = errors
                .into_iter()
                .map(|mut e| {
                    e.field = match e.field.as_str() {
                        "description" => "request".to_owned(),
                        "parties" | "parties[0].name" => "petitioner".to_owned(),
                        "parties[0].phone" => "phone".to_owned(),
                        "parties[0].id_number" => "id_number".to_owned(),
                        "location.address" => "address".to_owned(),
                        "location.region_code" | "location" => "region_code".to_owned(),
                        _ => e.field,
                    };
                    e
                })
                .collect();
            list_page(&state, &session, String::new(), 1, Typed::refused(t, form, &errors)).await
        }
        Err(error) => Ok(redirect_with("/petitions", "error", &error_text(t, &error.into()))),
    }
}

#[derive(Template)]
#[template(path = "petition.html")]
struct OnePage {
    page: Page,
    p: Petition,
    /// The step refused, with what was typed.
    refused: Option<(String, Typed)>,
    empty: Typed,
}

impl OnePage {
    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }

    /// The form of a step: as typed if it is the one refused, else empty.
    fn form(&self, action: &str) -> &Typed {
        match &self.refused {
            Some((refused, typed)) if refused == action => typed,
            _ => &self.empty,
        }
    }

    fn stage_is(&self, stage: &str) -> bool {
        self.p.stage.as_str() == stage
    }
}

async fn one_page(
    state: &AppState,
    session: &Session,
    id: CaseId,
    refused: Option<(String, Typed)>,
) -> Result<Response, UiError> {
    let p = state.app.petition(&session.viewer, id).await?;
    let page = Page::new(state, session, "信访转办", "/petitions").await?;
    let shown_flash = page.flash.is_some();
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(status, &OnePage { page, p, refused, empty: Typed::default() }, shown_flash))
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    InPath(id, _): InPath<CaseId, UiError>,
) -> Result<Response, UiError> {
    one_page(&state, &session, id, None).await
}

/// One step, then back to the petition's page; a step refused for its input is said beside
/// its fields, with what was typed.
pub async fn act(
    State(state): State<AppState>,
    InPath((id, action), _): InPath<(CaseId, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    // Not a whole number is refused as out of range, what was typed kept.
    let days = form.get("days").map(|d| d.parse::<i64>().unwrap_or(0));
    let Some(command) =
        crate::api::petitions::command(&action, form.get("reason"), form.get("transfer_to"), days, form.get("text"))
    else {
        return Err(UiError::Failed(crate::error::ApiError::not_found("petition")));
    };
    let back = format!("/petitions/{}", id.get());
    match state.app.petition_act(&session.viewer, id, command).await {
        Ok(p) => Ok(redirect_with(
            &back,
            "ok",
            &format!("{} {}", p.row.reference, t.code("petition_stage", p.stage.as_str())),
        )),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(t, form, &errors);
            one_page(&state, &session, id, Some((action, typed))).await
        }
        Err(error) => Ok(redirect_with(&back, "error", &error_text(t, &error.into()))),
    }
}
