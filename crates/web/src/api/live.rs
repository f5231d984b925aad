//! 实时动态: the live feed as server-sent events — each case registered and each notice issued
//! in the caller's scope, as committed through this node (`app::live`).

use std::convert::Infallible;

use app::live::{LiveEvent, LiveSubscription};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use domain::i18n::T;
use futures_util::Stream;
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::rfc3339;
use crate::AppState;
use crate::error::{ErrorBody, current_lang};
use crate::extract::AuthOrSession;

/// The data of an event of type `case`: a case just registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveCaseOut {
    pub id: i64,
    pub number: String,
    pub category: String,
    /// The category in the reader's language.
    pub category_label: String,
    /// `red` | `orange` | `yellow` | `blue`
    pub risk: String,
    pub risk_label: String,
    pub region_code: String,
    /// The region's name.
    pub region: String,
    pub created_at: String,
}

/// The data of an event of type `notice`: a notice of the supervision ladder just issued, on a
/// case or on a watched person.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveNoticeOut {
    pub id: i64,
    /// 督办令〔2026〕12号
    pub number: String,
    /// `reminder` | `warning` | `order`
    pub kind: String,
    pub kind_label: String,
    /// The case it is filed on; null for a notice on a watched person (重点人员).
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    /// The watched person it is filed on (an overdue visit); null for a case's notice.
    pub watched_person_id: Option<i64>,
    /// What it is filed on, as the screen shows it: the case number, or 重点人员 in the reader's
    /// language.
    pub subject: String,
    /// The recipient unit.
    pub unit_id: i64,
    pub unit_name: String,
    pub issued_at: String,
}

/// 实时动态: a stream of server-sent events, `case` for each registration and `notice` for each
/// notice of the supervision ladder in the caller's scope, with a keep-alive comment every
/// 15 seconds. A bearer token or the UI's session cookie signs the request. Only what is
/// committed through the node serving the stream is sent.
#[utoipa::path(get, path = "/api/v1/live", tag = "statistics", security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", body = LiveCaseOut,
        description = "Events `case` (data: LiveCaseOut) and `notice` (data: LiveNoticeOut)"),
        (status = 401, body = ErrorBody)))]
pub async fn live(
    State(state): State<AppState>,
    AuthOrSession(viewer): AuthOrSession,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let t = T { lang: current_lang() };
    let subscription = state.app.live_subscribe(&viewer);
    let stream =
        futures_util::stream::unfold((subscription, t), |(mut subscription, t): (LiveSubscription, T)| async move {
            let event = subscription.next().await?;
            Some((Ok(sse_event(&t, &event)), (subscription, t)))
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn sse_event(t: &T, event: &LiveEvent) -> Event {
    let (kind, data) = match event {
        LiveEvent::Case(case) => (
            "case",
            serde_json::to_string(&LiveCaseOut {
                id: case.id,
                number: case.number.clone(),
                category_label: t.code("category", &case.category),
                category: case.category.clone(),
                risk_label: t.code("risk", &case.risk),
                risk: case.risk.clone(),
                region_code: case.region_code.clone(),
                region: case.region_name.clone(),
                created_at: rfc3339(case.created_at),
            }),
        ),
        LiveEvent::Notice(notice) => (
            "notice",
            serde_json::to_string(&LiveNoticeOut {
                id: notice.id,
                number: notice.number.clone(),
                kind_label: t.code("notice", &notice.kind),
                kind: notice.kind.clone(),
                case_id: notice.case_id,
                subject: notice.case_number.clone().unwrap_or_else(|| t.s("重点人员").into_owned()),
                case_number: notice.case_number.clone(),
                watched_person_id: notice.watched_person_id,
                unit_id: notice.unit_id,
                unit_name: notice.unit_name.clone(),
                issued_at: rfc3339(notice.issued_at),
            }),
        ),
    };
    Event::default().event(kind).data(data.unwrap_or_default())
}
