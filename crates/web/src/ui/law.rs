//! `/law`: public legal help (法律帮助). Anyone asks in plain words — no sign-in: a citizen in
//! the hall, on the kiosk or the portal — and sees the statute articles with their citations
//! (《劳动合同法》第三十条); signed-in staff also see the concluded cases
//! of their scope like the question.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::i18n::T;
use super::{Session, UiError, current_ui_lang, render};
use crate::AppState;
use crate::error::ApiError;

/// An article as the page cites it.
pub struct Cited {
    /// 《劳动合同法》第三十条
    pub citation: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "law.html")]
struct LawPage {
    t: T,
    q: String,
    asked: bool,
    error: Option<String>,
    articles: Vec<Cited>,
    staff: bool,
    /// For signed-in staff: concluded cases in their scope like the question.
    similar: Vec<app::cases::SimilarCase>,
}

#[derive(Debug, Deserialize)]
pub struct LawQuery {
    q: Option<String>,
}

/// The citation of an article: the law's short title in book-title marks (the national
/// prefix 中华人民共和国 is left out, as is usual), then the article.
pub fn citation(law: &str, article: &str) -> String {
    let short = law.strip_prefix("中华人民共和国").filter(|s| !s.is_empty()).unwrap_or(law);
    format!("《{short}》{article}")
}

/// The question form and, once asked, the articles.
pub async fn page(
    State(state): State<AppState>,
    session: Option<Session>,
    Query(query): Query<LawQuery>,
) -> Result<Response, UiError> {
    let t = T { lang: current_ui_lang() };
    let asked = query.q.is_some();
    let q = query.q.unwrap_or_default();
    let mut page =
        LawPage { t, q, asked, error: None, articles: Vec::new(), staff: session.is_some(), similar: Vec::new() };
    if asked {
        match state.app.law_search(Some(&page.q), None).await {
            Ok(hits) => {
                page.articles =
                    hits.into_iter().map(|h| Cited { citation: citation(&h.law, &h.article), text: h.text }).collect();
                if let Some(session) = &session {
                    page.similar = state.app.cases_similar_to_text(&session.viewer, &page.q, None).await?;
                }
            }
            Err(error @ app::AppError::Invalid(_)) => {
                let error = ApiError::from(error);
                let message = error.fields.first().map_or_else(|| error.message.clone(), |f| f.message());
                page.error = Some(t.msg(&message));
            }
            Err(other) => return Err(other.into()),
        }
    }
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(status, &page, false))
}
