//! The bulk import (批量导入) of units or users: a CSV file uploaded, then a preview of every line
//! with each fault beside its line, then — confirmed — everything created or nothing.
//!
//! The file is decoded here, at the edge: UTF-8 with or without a byte-order mark, else the
//! GBK (GB 18030) that Excel in China writes. The preview carries the decoded text back in its
//! confirmation form, so no upload is kept on the server between the two steps (any node may
//! answer either) and the confirmation checks everything again. A unit import redirects to the
//! units; a user import answers with the initial passwords on the page itself — a secret shown
//! once is kept nowhere to be shown again after a redirect — and sending it twice creates
//! nobody twice: the second time every username is refused as taken.

use app::AppError;
use app::import::{ImportKind, ImportPreview, ImportedUser, MAX_BYTES, MAX_ROWS, fault_line};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::authz::Permission;
use domain::msg;
use domain::validation::FieldError;

use super::case_import::CasesPreview;
use super::may;
use crate::AppState;
use crate::extract::InPath;
use crate::ui::i18n::T;
use crate::ui::session::CSRF_FIELD;
use crate::ui::{Page, Posted, Session, UiError, redirect_with, render};

/// A line of the preview: as written, with what is wrong with it.
pub struct PreviewLine {
    pub line: usize,
    pub cells: Vec<String>,
    pub faults: Vec<String>,
}

/// What the page shows after an upload.
pub struct Preview {
    pub kind: &'static str,
    pub columns: Vec<String>,
    pub lines: Vec<PreviewLine>,
    /// Every fault, line by line, as sentences ("第 7 行的单位代码重复：与第 2 行相同").
    pub faults: Vec<String>,
    /// The file's text, for the confirmation form.
    pub payload: String,
}

#[derive(Template)]
#[template(path = "admin_import.html")]
struct ImportPage {
    page: Page,
    kinds: Vec<(&'static str, String)>,
    kind: &'static str,
    /// What is wrong with the file as a whole.
    file_errors: Vec<String>,
    preview: Option<Preview>,
    /// The users just created, with their initial passwords.
    created: Vec<ImportedUser>,
    max_kb: usize,
    max_rows: usize,
    /// What is wrong with the workbook of historical cases as a whole.
    cases_errors: Vec<String>,
    cases_preview: Option<CasesPreview>,
    cases_max_mb: usize,
    cases_max_rows: usize,
}

/// The import's page, in one of its states.
#[derive(Default)]
pub(super) struct Shown {
    pub kind: Option<ImportKind>,
    pub file_errors: Vec<String>,
    pub preview: Option<Preview>,
    pub created: Vec<ImportedUser>,
    pub cases_errors: Vec<String>,
    pub cases_preview: Option<CasesPreview>,
}

pub(super) async fn import_page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    shown: Shown,
) -> Result<Response, UiError> {
    let t = session.t;
    let page = Page::new(state, session, "批量导入", "/admin/import").await?;
    let shown_flash = page.flash.is_some();
    let import = ImportPage {
        page,
        kinds: ImportKind::ALL.iter().map(|k| (k.as_str(), kind_label(t, *k))).collect(),
        kind: shown.kind.unwrap_or(ImportKind::Units).as_str(),
        file_errors: shown.file_errors,
        preview: shown.preview,
        created: shown.created,
        max_kb: MAX_BYTES / 1024,
        max_rows: MAX_ROWS,
        cases_errors: shown.cases_errors,
        cases_preview: shown.cases_preview,
        cases_max_mb: app::case_import::MAX_BYTES / (1024 * 1024),
        cases_max_rows: app::case_import::MAX_ROWS,
    };
    Ok(render(status, &import, shown_flash))
}

fn kind_label(t: T, kind: ImportKind) -> String {
    t.s(match kind {
        ImportKind::Units => "单位",
        ImportKind::Users => "用户",
    })
    .into_owned()
}

pub async fn page(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    import_page(&state, &session, StatusCode::OK, Shown::default()).await
}

/// The template of a file: its header row in the reader's language; `cases.xlsx`, the
/// workbook of historical cases (`POST /api/v1/cases/import`) with a sample row.
pub async fn template(session: Session, InPath(kind, _): InPath<String, UiError>) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    if kind == "cases.xlsx" {
        let headers = [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"fengqiao-cases.xlsx\"".to_owned()),
        ];
        return Ok((headers, app::case_import::template(session.t)).into_response());
    }
    let kind = ImportKind::parse(kind.trim_end_matches(".csv")).ok_or(crate::error::ApiError::not_found("file"))?;
    let disposition = format!("attachment; filename=\"fengqiao-{}.csv\"", kind.as_str());
    let headers =
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)];
    Ok((headers, kind.template(session.t)).into_response())
}

/// The upload: the file read and checked, shown as a preview; nothing is created yet.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    multipart: Multipart,
) -> Result<Response, UiError> {
    may(&session, Permission::OrganisationManage)?;
    let upload = read_upload(multipart).await;
    if !session.csrf_matches(upload.csrf.as_deref()) {
        return Err(UiError::Csrf);
    }
    let kind = upload.kind;
    let text = match (kind, upload.file) {
        (Some(_), Some(Ok(text))) => text,
        (kind, file) => {
            let fault = match file {
                Some(Err(fault)) => fault,
                _ if kind.is_none() => FieldError::required("kind"),
                _ => FieldError::new("file", "required", msg!("import.no_file")),
            };
            let shown = Shown { kind, file_errors: vec![session.t.msg(&fault.message())], ..Shown::default() };
            return import_page(&state, &session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
    };
    let kind = kind.unwrap_or(ImportKind::Units);
    preview_page(&state, &session, kind, &text, state.app.org_import_preview(&session.viewer, kind, &text).await).await
}

/// The confirmation: everything created, or — when anything is at fault now — nothing, and the
/// preview again with the faults.
pub async fn confirm(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    may(&session, Permission::OrganisationManage)?;
    let kind = form.get("kind").and_then(ImportKind::parse).unwrap_or(ImportKind::Units);
    let text = form
        .get("payload")
        .and_then(|p| STANDARD.decode(p).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default();
    let t = session.t;
    match state.app.org_import(&session.viewer, kind, &text).await {
        Ok(outcome) if kind == ImportKind::Units => {
            let said = format!("{} {}", t.s("已导入单位："), outcome.created);
            Ok(redirect_with("/admin/units", "ok", &said))
        }
        Ok(outcome) => {
            let shown = Shown { kind: Some(kind), created: outcome.users, ..Shown::default() };
            import_page(&state, &session, StatusCode::OK, shown).await
        }
        Err(AppError::Conflict { message, .. }) => {
            let shown = Shown { kind: Some(kind), file_errors: vec![t.msg(&message)], ..Shown::default() };
            import_page(&state, &session, StatusCode::CONFLICT, shown).await
        }
        Err(AppError::Invalid(_)) => {
            let preview = state.app.org_import_preview(&session.viewer, kind, &text).await;
            preview_page(&state, &session, kind, &text, preview).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The preview of a file (422 when anything is at fault), or what is wrong with the file.
async fn preview_page(
    state: &AppState,
    session: &Session,
    kind: ImportKind,
    text: &str,
    preview: Result<ImportPreview, AppError>,
) -> Result<Response, UiError> {
    let t = session.t;
    let preview = match preview {
        Ok(preview) => preview,
        Err(AppError::Invalid(faults)) => {
            let file_errors = faults.iter().map(|f| t.msg(&f.message())).collect();
            let shown = Shown { kind: Some(kind), file_errors, ..Shown::default() };
            return import_page(state, session, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
        Err(e) => return Err(e.into()),
    };
    let status = if preview.faults.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let said: Vec<(Option<usize>, String)> =
        preview.faults.iter().map(|f| (fault_line(&f.field), t.msg(&f.message()))).collect();
    let lines = preview
        .lines
        .into_iter()
        .map(|l| PreviewLine {
            faults: said.iter().filter(|(line, _)| *line == Some(l.line)).map(|(_, s)| s.clone()).collect(),
            line: l.line,
            cells: l.cells,
        })
        .collect();
    let shown = Shown {
        kind: Some(kind),
        preview: Some(Preview {
            kind: kind.as_str(),
            columns: kind.columns().iter().map(|(field, _)| t.field(field)).collect(),
            lines,
            faults: said.into_iter().map(|(_, s)| s).collect(),
            payload: STANDARD.encode(text),
        }),
        ..Shown::default()
    };
    import_page(state, session, status, shown).await
}

/// What the upload form sent.
struct Upload {
    csrf: Option<String>,
    kind: Option<ImportKind>,
    /// The file's text, or why it cannot be read; `None` when no file was chosen.
    file: Option<Result<String, FieldError>>,
}

async fn read_upload(mut multipart: Multipart) -> Upload {
    let mut upload = Upload { csrf: None, kind: None, file: None };
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let has_file_name = field.file_name().is_some_and(|n| !n.is_empty());
        let Ok(bytes) = field.bytes().await else {
            upload.file = Some(Err(too_large()));
            break;
        };
        match name.as_str() {
            CSRF_FIELD => upload.csrf = String::from_utf8(bytes.to_vec()).ok(),
            "kind" => upload.kind = std::str::from_utf8(&bytes).ok().and_then(ImportKind::parse),
            "file" if has_file_name || !bytes.is_empty() => upload.file = Some(decode(&bytes)),
            _ => {}
        }
    }
    upload
}

fn too_large() -> FieldError {
    FieldError::new("file", "too_large", msg!("import.too_large", max = MAX_BYTES / 1024))
}

/// The file's text: UTF-8 (a byte-order mark dropped), else GBK as GB 18030 decodes it.
fn decode(bytes: &[u8]) -> Result<String, FieldError> {
    if bytes.len() > MAX_BYTES {
        return Err(too_large());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(text.into_owned()),
        None => Err(FieldError::new("file", "encoding", msg!("import.encoding"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_or_without_a_bom_and_gbk_are_read_alike() {
        let text = "单位代码,名称\r\nJY01,嘉峪关路街道综治中心\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode(text.as_bytes()).unwrap(), text);
        assert_eq!(decode(&[b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()).unwrap(), text);
        assert_eq!(decode(&gbk).unwrap(), text);
        assert_eq!(decode(b"\xFF\xFE\x00\x00").unwrap_err().code, "encoding");
        assert_eq!(decode(&vec![b'a'; MAX_BYTES + 1]).unwrap_err().code, "too_large");
    }
}
