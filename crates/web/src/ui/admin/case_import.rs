//! 历史案件导入 on the administrator's import page: an Excel workbook uploaded, then either every
//! faulted row with its faults in words (nothing imported, the workbook to be mended and sent
//! again) or, when every row passes, a summary — how many cases, concluded or open, by category
//! and year, a few rows with their personal data masked — and a button that imports them all in
//! one transaction. The imported cases are then listed on their own page (post/redirect/get).
//!
//! A workbook that passes is staged on the server under its SHA-256 (`App::case_import_stage`)
//! and the confirmation names it by that digest: up to 10 MB is not carried through the
//! browser twice, the administrator does not choose the file again, and what is imported is
//! byte for byte what was previewed — checked once more as it is imported.

use app::AppError;
use app::case_import::{CaseImportPreview, HistoricalCase, MAX_BYTES, mask_name, too_large};
use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::Permission;
use domain::import::fault_line;
use serde::Deserialize;

use super::import::{Shown, import_page};
use super::{may, page_count, page_number};
use crate::AppState;
use crate::extract::InPath;
use crate::ui::i18n::T;
use crate::ui::session::CSRF_FIELD;
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

/// The rows shown as a sample of a workbook that passes.
const SAMPLE_ROWS: usize = 5;
/// Imported cases listed per page.
const PAGE_SIZE: i64 = 50;

/// The preview of a workbook of historical cases.
pub struct CasesPreview {
    /// The rows of data read.
    pub rows: usize,
    /// Each faulted row's number and its faults, as sentences.
    pub faulted: Vec<(usize, Vec<String>)>,
    pub concluded: usize,
    pub open: usize,
    pub by_category: Vec<(String, usize)>,
    pub by_year: Vec<(i32, usize)>,
    pub sample_columns: Vec<String>,
    /// The first rows, their personal data masked.
    pub samples: Vec<Vec<String>>,
    /// The staged workbook's SHA-256, for the confirmation (only when every row passes).
    pub staged: Option<String>,
}

/// The columns of the sample: the template's, but the dispute's description.
const SAMPLE_FIELDS: [&str; 10] = [
    "registered_on",
    "category",
    "channel",
    "region_code",
    "applicant_name",
    "applicant_id_number",
    "applicant_phone",
    "respondent_name",
    "outcome",
    "concluded_on",
];

fn sample(t: T, case: &HistoricalCase) -> Vec<String> {
    let applicant = &case.applicant;
    vec![
        case.registered_on.to_string(),
        t.code("category", case.category.as_str()),
        t.code("channel", case.channel.as_str()),
        case.region_code.as_str().to_owned(),
        mask_name("person", &applicant.name),
        applicant.id_number.as_ref().map(|i| i.masked()).unwrap_or_default(),
        applicant.phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
        case.respondent.as_ref().map(|r| mask_name("person", &r.name)).unwrap_or_default(),
        case.outcome.map(|o| t.code("outcome", o.as_str())).unwrap_or_default(),
        case.concluded_on.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

fn preview(t: T, preview: CaseImportPreview, staged: Option<String>) -> CasesPreview {
    let mut faulted: Vec<(usize, Vec<String>)> = Vec::new();
    for fault in &preview.faults {
        let line = fault_line(&fault.field).unwrap_or(0);
        let said = t.msg(&fault.message());
        match faulted.last_mut() {
            Some((last, faults)) if *last == line => faults.push(said),
            _ => faulted.push((line, vec![said])),
        }
    }
    let tally = app::case_import::tally(&preview.cases);
    CasesPreview {
        rows: preview.rows.len(),
        faulted,
        concluded: tally.concluded,
        open: tally.open,
        by_category: tally.by_category.iter().map(|(c, n)| (t.code("category", c.as_str()), *n)).collect(),
        by_year: tally.by_year,
        sample_columns: SAMPLE_FIELDS.iter().map(|f| t.field(f)).collect(),
        samples: preview.cases.iter().take(SAMPLE_ROWS).map(|c| sample(t, c)).collect(),
        staged,
    }
}

/// The upload: the workbook checked and previewed (422 when any row is at fault); nothing is
/// imported yet.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    let (mut csrf, mut file) = (None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let Ok(bytes) = field.bytes().await else {
            file = Some(Err(too_large()));
            break;
        };
        match name.as_str() {
            CSRF_FIELD => csrf = String::from_utf8(bytes.to_vec()).ok(),
            "file" if !bytes.is_empty() => {
                file = Some(if bytes.len() > MAX_BYTES { Err(too_large()) } else { Ok(bytes) })
            }
            _ => {}
        }
    }
    // The form sends its token before the file, so a file cut short at the limit still has it.
    if !session.csrf_matches(csrf.as_deref()) {
        return Err(UiError::Csrf);
    }
    let t = session.t;
    let bytes = match file {
        Some(Ok(bytes)) => bytes,
        other => {
            let fault = match other {
                Some(Err(fault)) => fault,
                _ => domain::validation::FieldError::required("file"),
            };
            let status = if fault.code == "too_large" {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return refused(&state, &session, status, vec![t.msg(&fault.message())]).await;
        }
    };
    match state.app.case_import_stage(&session.viewer, &bytes).await {
        Ok((checked, staged)) => {
            let status = if staged.is_some() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            let shown = Shown { cases_preview: Some(preview(t, checked, staged)), ..Shown::default() };
            import_page(&state, &session, status, shown).await
        }
        Err(AppError::Invalid(faults)) => {
            let said = faults.iter().map(|f| t.msg(&f.message())).collect();
            refused(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, said).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refused(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    said: Vec<String>,
) -> Result<Response, UiError> {
    import_page(state, session, status, Shown { cases_errors: said, ..Shown::default() }).await
}

/// The confirmation: every row of the staged workbook imported, or none — then the list of
/// the cases it created.
pub async fn confirm(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::OrganisationManage)?;
    let t = session.t;
    let staged = form.get("staged").unwrap_or_default().to_owned();
    match state.app.case_import_staged(&session.viewer, &staged).await {
        Ok(imported) => {
            let said = format!("{} {imported}", t.s("已导入历史案件："));
            Ok(redirect_with(&format!("/admin/import/cases/{staged}"), "ok", &said))
        }
        Err(AppError::Invalid(faults)) => {
            let said = faults.iter().map(|f| t.msg(&f.message())).collect();
            refused(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, said).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A case of the list, in words.
pub struct ImportedLine {
    pub id: i64,
    pub number: String,
    pub category: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "admin_import_cases.html")]
struct ImportedPage {
    page: Page,
    digest: String,
    lines: Vec<ImportedLine>,
    total: i64,
    page_number: i64,
    pages: i64,
}

impl ImportedPage {
    fn page_link(&self, n: &i64) -> String {
        format!("/admin/import/cases/{}?page={n}", self.digest)
    }
}

/// `?page=2`.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

/// The cases a workbook created, by its digest, in the rows' order, with paging.
pub async fn imported(
    State(state): State<AppState>,
    session: Session,
    InPath(digest, _): InPath<String, UiError>,
    Query(query): Query<PageQuery>,
) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    let t = session.t;
    let page_number = page_number(query.page.as_deref());
    let (total, cases) =
        state.app.cases_of_import(&session.viewer, &digest, PAGE_SIZE, (page_number - 1) * PAGE_SIZE).await?;
    let lines = cases
        .into_iter()
        .map(|c| ImportedLine {
            id: c.id,
            number: c.number,
            category: t.code("category", &c.category),
            status: t.code("status", &c.status),
        })
        .collect();
    let page = Page::new(&state, &session, "已导入的历史案件", "/admin/import").await?;
    let shown_flash = page.flash.is_some();
    let shown = ImportedPage { page, digest, lines, total, page_number, pages: page_count(total, PAGE_SIZE) };
    Ok(render(StatusCode::OK, &shown, shown_flash))
}
