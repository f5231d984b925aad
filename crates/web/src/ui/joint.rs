//! 联席研判 pages: the meetings the viewer sees (count and paging, and the form to convene one
//! for a centre's dispatchers and leaders), and a meeting — its agenda with each item's source,
//! colour and reasons, the minutes, the decisions with their states, the convening centre's
//! forms and the assigned units' acknowledgement and report. A refused form comes back with
//! what was typed and each error beside its field.

use app::AppError;
use app::joint_meetings::{
    AgendaItemView, DecisionAction, JointDecisionView, JointMeetingSummary, MinutesInput, NewDecision, NewJointMeeting,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::authz::{self, Permission};
use domain::ids::{JointDecisionId, JointMeetingId};
use domain::org::RegionCode;
use serde::Deserialize;

use super::admin::{Typed, UnitChoices, unit_choices};
use super::cases::short_time;
use super::i18n::T;
use super::session::FormData;
use super::{Page, Posted, Session, UiError, error_text, redirect_with, render};
use crate::AppState;
use crate::extract::InPath;

const MEETINGS_PAGE: i64 = 20;

struct MeetingLine {
    id: i64,
    number: String,
    unit_name: String,
    region_name: String,
    held_on: String,
    status: String,
    status_label: String,
    items: i64,
    decisions: i64,
    open_decisions: i64,
    overdue_decisions: i64,
}

#[derive(Template)]
#[template(path = "joint_meetings.html")]
struct MeetingsPage {
    page: Page,
    meetings: Vec<MeetingLine>,
    total: i64,
    page_number: i64,
    pages: i64,
    /// The viewer may convene a meeting: the form, as typed or with its defaults.
    may_convene: bool,
    convene: Typed,
    /// The regions of the territory the form offers.
    regions: Vec<(String, String)>,
    units: Vec<UnitChoices>,
}

#[derive(Debug, Deserialize)]
pub struct MeetingsQuery {
    page: Option<String>,
}

fn status_label(t: T, status: &str) -> String {
    t.s(if status == "held" { "已召开" } else { "草稿" }).into_owned()
}

fn decision_label(t: T, status: &str) -> String {
    t.s(match status {
        "assigned" => "待签收",
        "acknowledged" => "已签收",
        _ => "已办结",
    })
    .into_owned()
}

/// The active units of the viewer's territory, for the pickers.
async fn territory_units(state: &AppState, session: &Session) -> Result<Vec<UnitChoices>, UiError> {
    let scope = &session.viewer.scope;
    let units: Vec<_> = state
        .app
        .units()
        .await?
        .into_iter()
        .filter(|u| RegionCode::parse(&u.region_code).is_ok_and(|r| scope.covers_region(&r)))
        .collect();
    Ok(unit_choices(session.t, &units))
}

async fn meetings_page(
    state: &AppState,
    session: &Session,
    page_number: i64,
    refused: Option<Typed>,
) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let (total, meetings) = state.app.joint_meetings(viewer, MEETINGS_PAGE, (page_number - 1) * MEETINGS_PAGE).await?;
    let meetings = meetings
        .into_iter()
        .map(|m: JointMeetingSummary| MeetingLine {
            id: m.id,
            number: m.number,
            unit_name: m.unit_name,
            region_name: m.region_name,
            held_on: m.held_on,
            status_label: status_label(t, &m.status),
            status: m.status,
            items: m.items,
            decisions: m.decisions,
            open_decisions: m.open_decisions,
            overdue_decisions: m.overdue_decisions,
        })
        .collect();
    let may_convene = authz::has(viewer.role, Permission::JointMeetingManage);
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let convene = refused.unwrap_or_else(|| {
        let today = domain::grid::china_date(state.now()).to_string();
        Typed::of(vec![("region", viewer.scope.region.as_str().to_owned()), ("held_on", today)])
    });
    let (units, regions) = if may_convene {
        (territory_units(state, session).await?, super::territory_regions(state, viewer).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let page = Page::new(state, session, "联席研判", "/joint-meetings").await?;
    let shown_flash = page.flash.is_some();
    let pages = ((total + MEETINGS_PAGE - 1) / MEETINGS_PAGE).max(1);
    let view = MeetingsPage { page, meetings, total, page_number, pages, may_convene, convene, units, regions };
    Ok(render(status, &view, shown_flash))
}

pub async fn meetings(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<MeetingsQuery>,
) -> Result<Response, UiError> {
    let page_number = query.page.and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 100_000);
    meetings_page(&state, &session, page_number, None).await
}

/// The units picked in a form: a value that is not an id is passed on as no unit (0), which
/// the use case names as the field at fault.
fn picked_units(form: &FormData, name: &str) -> Vec<i64> {
    form.all(name).into_iter().map(|v| v.trim().parse().unwrap_or(0)).collect()
}

fn text(form: &FormData, name: &str) -> Option<String> {
    form.get(name).map(str::to_owned)
}

pub async fn convene(State(state): State<AppState>, posted: Posted) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let new = NewJointMeeting {
        region: text(&form, "region"),
        held_on: text(&form, "held_on"),
        participant_unit_ids: picked_units(&form, "participant_unit_ids"),
    };
    match state.app.joint_meeting_convene(&session.viewer, new).await {
        Ok(meeting) => Ok(redirect_with(
            &format!("/joint-meetings/{}", meeting.id),
            "ok",
            &format!("{} {}", meeting.number, t.s("已生成议程")),
        )),
        Err(AppError::Invalid(errors)) => {
            // A picked unit is named by its place among those picked; the picker is one field.
            let errors: Vec<_> = errors
                .into_iter()
                .map(|mut e| {
                    if e.field.starts_with("participant_unit_ids[") {
                        e.field = "participant_unit_ids".to_owned();
                    }
                    e
                })
                .collect();
            meetings_page(&state, &session, 1, Some(Typed::refused(t, form, &errors))).await
        }
        Err(e) => Err(e.into()),
    }
}

struct DecisionLine {
    id: i64,
    unit_name: String,
    task: String,
    due: String,
    status: String,
    status_label: String,
    overdue: bool,
    report: String,
    /// Assigned to the viewer's unit: it acknowledges and reports.
    mine: bool,
    /// The report form, as typed when it was refused.
    report_form: Typed,
}

struct ItemLine {
    id: i64,
    source_label: String,
    /// Where the item comes from, and the link to it.
    source_href: String,
    colour: String,
    colour_label: String,
    reasons: Vec<String>,
    case_ids: Vec<i64>,
    /// Its field in the minutes form.
    discussion_name: String,
    item_id_name: String,
    discussion: String,
    decisions: Vec<DecisionLine>,
    /// The decision form of this item, as typed when it was refused.
    decision_form: Typed,
}

#[derive(Template)]
#[template(path = "joint_meeting.html")]
struct MeetingPage {
    page: Page,
    id: i64,
    number: String,
    unit_name: String,
    region_name: String,
    held_on: String,
    status: String,
    status_label: String,
    participants: String,
    minutes: String,
    items: Vec<ItemLine>,
    /// How many decisions, how many not done, how many of those overdue.
    decisions: (usize, usize, usize),
    /// The viewer is of the convening centre and the meeting is a draft: the forms.
    writes: bool,
    minutes_form: Typed,
    units: Vec<UnitChoices>,
}

/// Which form of the meeting's page was refused.
enum Refused {
    None,
    Minutes(Typed),
    Decision(i64, Typed),
    Report(i64, Typed),
}

fn source(t: T, item: &AgendaItemView) -> (String, String) {
    match item.source.as_str() {
        "risk_item" => (
            format!("{} {}", t.s("风险隐患清单"), item.risk_list_number.clone().unwrap_or_default()),
            format!(
                "/risk-lists/{}#item-{}",
                item.risk_list_id.unwrap_or_default(),
                item.risk_item_id.unwrap_or_default()
            ),
        ),
        "alert" => (t.s("预警").into_owned(), String::new()),
        _ => (t.s("新增红色案件").into_owned(), format!("/cases/{}", item.case_id.unwrap_or_default())),
    }
}

fn decision_line(t: T, d: JointDecisionView, unit: i64, refused: &mut Refused) -> DecisionLine {
    let report_form = match refused {
        Refused::Report(id, typed) if *id == d.id => std::mem::take(typed),
        _ => Typed::default(),
    };
    DecisionLine {
        id: d.id,
        unit_name: d.unit_name,
        task: d.task,
        due: short_time(&d.due_at),
        status_label: decision_label(t, &d.status),
        status: d.status,
        overdue: d.overdue,
        report: d.report.unwrap_or_default(),
        mine: d.unit_id == unit,
        report_form,
    }
}

async fn meeting_page(
    state: &AppState,
    session: &Session,
    id: JointMeetingId,
    mut refused: Refused,
) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let meeting = state.app.joint_meeting(viewer, id).await?;
    let writes = meeting.status == "draft"
        && meeting.unit_id == viewer.unit_id
        && authz::has(viewer.role, Permission::JointMeetingManage);
    let status = if matches!(refused, Refused::None) { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let minutes_form = match &mut refused {
        Refused::Minutes(typed) => std::mem::take(typed),
        _ => {
            let mut values = vec![("meeting_minutes", meeting.minutes.clone().unwrap_or_default())];
            let names: Vec<(String, String)> = meeting
                .agenda
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("agenda[{i}].discussion"), item.minutes.clone().unwrap_or_default()))
                .collect();
            values.extend(names.iter().map(|(name, value)| (name.as_str(), value.clone())));
            Typed::of(values)
        }
    };
    let items: Vec<ItemLine> = meeting
        .agenda
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let (source_label, source_href) = source(t, &item);
            let decision_form = match &mut refused {
                Refused::Decision(item_id, typed) if *item_id == item.id => std::mem::take(typed),
                _ => Typed::default(),
            };
            ItemLine {
                id: item.id,
                source_label,
                source_href,
                colour: item.colour.as_str().to_owned(),
                colour_label: t.code("risk", item.colour.as_str()),
                reasons: item.reasons.iter().map(|r| t.msg(r)).collect(),
                case_ids: item.case_ids,
                discussion_name: format!("agenda[{i}].discussion"),
                item_id_name: format!("agenda[{i}].item_id"),
                discussion: item.minutes.unwrap_or_default(),
                decisions: item
                    .decisions
                    .into_iter()
                    .map(|d| decision_line(t, d, viewer.unit_id, &mut refused))
                    .collect(),
                decision_form,
            }
        })
        .collect();
    let all: Vec<&DecisionLine> = items.iter().flat_map(|i: &ItemLine| &i.decisions).collect();
    let decisions =
        (all.len(), all.iter().filter(|d| d.status != "done").count(), all.iter().filter(|d| d.overdue).count());
    let units = if writes { territory_units(state, session).await? } else { Vec::new() };
    let page = Page::new(state, session, "联席研判", &format!("/joint-meetings/{}", meeting.id)).await?;
    let shown_flash = page.flash.is_some();
    let view = MeetingPage {
        page,
        id: meeting.id,
        number: meeting.number,
        unit_name: meeting.unit_name,
        region_name: meeting.region_name,
        held_on: meeting.held_on,
        status_label: status_label(t, &meeting.status),
        status: meeting.status,
        participants: meeting.participants.into_iter().map(|p| p.unit_name).collect::<Vec<_>>().join("、"),
        minutes: meeting.minutes.unwrap_or_default(),
        items,
        decisions,
        writes,
        minutes_form,
        units,
    };
    Ok(render(status, &view, shown_flash))
}

pub async fn meeting(
    State(state): State<AppState>,
    InPath(id, _): InPath<JointMeetingId, UiError>,
    session: Session,
) -> Result<Response, UiError> {
    meeting_page(&state, &session, id, Refused::None).await
}

/// The minutes form: the meeting's minutes, each item's discussion, and 定稿 (`hold`).
pub async fn minutes(
    State(state): State<AppState>,
    InPath(id, _): InPath<JointMeetingId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let agenda = (0..)
        .map_while(|i| {
            let item = form.get(&format!("agenda[{i}].item_id"))?;
            Some((item.trim().parse().ok(), text(&form, &format!("agenda[{i}].discussion"))))
        })
        .collect();
    let hold = form.get("hold").is_some();
    let input = MinutesInput { meeting_minutes: text(&form, "meeting_minutes"), agenda, hold };
    let back = format!("/joint-meetings/{id}");
    match state.app.joint_meeting_minutes(&session.viewer, id, input).await {
        Ok(_) => Ok(redirect_with(&back, "ok", &t.s(if hold { "纪要已定稿" } else { "纪要已保存" }))),
        Err(AppError::Invalid(errors)) => {
            meeting_page(&state, &session, id, Refused::Minutes(Typed::refused(t, form, &errors))).await
        }
        Err(e) => Ok(redirect_with(&back, "error", &error_text(t, &e.into()))),
    }
}

/// A decision on an item: a task for a unit with a deadline.
pub async fn decide(
    State(state): State<AppState>,
    InPath(id, _): InPath<JointMeetingId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let item = form.get("item_id").and_then(|v| v.trim().parse::<i64>().ok());
    let new = NewDecision {
        item_id: item,
        unit_id: form.get("unit_id").map(str::trim).filter(|v| !v.is_empty()).map(|v| v.parse().unwrap_or(0)),
        task: text(&form, "task"),
        due_at: text(&form, "due_at"),
    };
    let back = format!("/joint-meetings/{id}#item-{}", item.unwrap_or_default());
    match state.app.joint_decision_add(&session.viewer, id, new).await {
        Ok(_) => Ok(redirect_with(&back, "ok", &t.s("已交办"))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(t, form, &errors);
            meeting_page(&state, &session, id, Refused::Decision(item.unwrap_or_default(), typed)).await
        }
        Err(e) => Ok(redirect_with(&back, "error", &error_text(t, &e.into()))),
    }
}

/// 签收 or 办结反馈 by the unit a decision is assigned to.
pub async fn decision_act(
    State(state): State<AppState>,
    InPath((id, decision, action), _): InPath<(JointMeetingId, JointDecisionId, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let (action, done) = match action.as_str() {
        "acknowledge" => (DecisionAction::Acknowledge, "已签收"),
        "report" => (DecisionAction::Report, "已办结反馈"),
        _ => return Err(UiError::Failed(crate::error::ApiError::not_found("path"))),
    };
    let back = format!("/joint-meetings/{id}#decision-{decision}");
    match state.app.joint_decision_act(&session.viewer, id, decision, action, form.get("text")).await {
        Ok(_) => Ok(redirect_with(&back, "ok", &t.s(done))),
        Err(AppError::Invalid(errors)) => {
            let typed = Typed::refused(t, form, &errors);
            meeting_page(&state, &session, id, Refused::Report(decision.get(), typed)).await
        }
        Err(e) => Ok(redirect_with(&back, "error", &error_text(t, &e.into()))),
    }
}

/// The decisions assigned to the viewer's unit and not done, for its workbench.
pub struct AssignedLine {
    pub meeting_id: i64,
    pub meeting_number: String,
    pub decision_id: i64,
    pub task: String,
    pub due: String,
    pub status_label: String,
    pub overdue: bool,
}

pub async fn assigned(state: &AppState, session: &Session) -> Result<Vec<AssignedLine>, UiError> {
    let t = session.t;
    let decisions = state.app.joint_decisions_assigned(&session.viewer).await?;
    Ok(decisions
        .into_iter()
        .map(|d| AssignedLine {
            meeting_id: d.meeting_id,
            meeting_number: d.meeting_number,
            decision_id: d.id,
            task: d.task,
            due: short_time(&d.due_at),
            status_label: decision_label(t, &d.status),
            overdue: d.overdue,
        })
        .collect())
}
