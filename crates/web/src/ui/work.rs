//! Where the day's work is: the workbench per role, the dispatch board, the unit inbox and the
//! notices of the supervision ladder.

use app::Viewer;
use app::cases::{CaseFilter, CaseListRow, CaseView};
use app::org::UnitView;
use app::supervision::{NoticeFilter, NoticeView};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::case::{Risk, Status};
use domain::ids::{CaseId, NoticeId};
use domain::org::{RegionCode, Role};
use serde::Deserialize;

use super::cases::{CaseLine, UnitNames, case_lines, short_time};
use super::i18n::T;
use super::{Page, Posted, Session, UiError, error_text, redirect_with, render};
use crate::AppState;
use crate::extract::InPath;

/// How many rows a list of the workbench or the inbox shows.
const SHORT_LIST: i64 = 10;

async fn rows(state: &AppState, viewer: &Viewer, filter: CaseFilter) -> Result<(Vec<CaseListRow>, i64), UiError> {
    let list = state.app.case_list(viewer, &CaseFilter { limit: SHORT_LIST, ..filter }).await?;
    Ok((list.items, list.total))
}

/// A list on the workbench with its count: the head of the case list at `href`, which counts
/// the same cases.
pub struct WorkList {
    pub title: &'static str,
    pub empty: &'static str,
    pub href: String,
    pub total: i64,
    pub lines: Vec<CaseLine>,
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct Workbench {
    page: Page,
    lists: Vec<WorkList>,
    /// The notices awaiting a reply (their number is `page.awaiting`), one line per case or
    /// watched person.
    awaiting: Vec<AwaitingLine>,
    /// How many cases those notices concern.
    awaiting_cases: i64,
    /// How many watched people (重点人员) they concern.
    awaiting_people: i64,
    /// Grid work first, for those who do it.
    grid: Option<super::grid::GridNext>,
    /// 联席研判: the decisions assigned to the viewer's unit and not done yet.
    joint: Vec<super::joint::AssignedLine>,
    /// 三色三单: the items of risk lists waiting on the viewer's unit, those sent back first.
    risk_items: Vec<super::risk::AssignedLine>,
    /// 重点人员: the visits due, for those who read the register or visit.
    watch: Option<super::watch::WatchNext>,
}

impl Workbench {
    /// "12 份函单令待回复，涉及 5 件案件" (", 2 名重点人员" when some concern watched people).
    fn awaiting_summary(&self) -> String {
        let (notices, cases, people) = (self.page.awaiting, self.awaiting_cases, self.awaiting_people);
        let message = match (cases, people) {
            (_, 0) => domain::msg!("notice.awaiting_summary", notices = notices, cases = cases),
            (0, _) => domain::msg!("notice.awaiting_summary_people_only", notices = notices, people = people),
            _ => domain::msg!("notice.awaiting_summary_people", notices = notices, cases = cases, people = people),
        };
        self.page.t.msg(&message)
    }

    fn notices_on_case(&self, notices: &i64) -> String {
        self.page.t.msg(&domain::msg!("notice.on_case", notices = *notices))
    }
}

/// The notices awaiting a reply on one case or watched person, as the workbench lists them.
pub struct AwaitingLine {
    /// `case` or `person`, and its id: the line's `data-awaiting-case` or `-person`.
    pub subject: &'static str,
    pub subject_id: i64,
    /// The case's page and number, or the watched person's page and the words 重点人员.
    pub subject_href: String,
    pub subject_label: String,
    pub notices: i64,
    pub kind: &'static str,
    pub kind_label: String,
    pub last_issued: String,
}

/// A notice as the UI lists it.
pub struct NoticeLine {
    pub id: i64,
    pub number: String,
    pub kind: String,
    pub kind_label: String,
    /// What it is filed on: the case's page and number, or the watched person's (重点人员) page
    /// and the words 重点人员.
    pub subject_href: String,
    pub subject_label: String,
    pub issued: String,
    pub due: String,
    pub text: String,
    pub acknowledged: bool,
    pub reply: Option<String>,
    /// Addressed to the viewer's unit: they acknowledge and reply.
    pub mine: bool,
    /// Issued by hand: by whom (the ladder's notices have none).
    pub issued_by: Option<String>,
}

/// The page of what a notice is filed on: its case, or its watched person (重点人员).
fn subject_href(case_id: Option<i64>, watched_person_id: Option<i64>) -> String {
    match (case_id, watched_person_id) {
        (Some(case), _) => format!("/cases/{case}"),
        (None, Some(person)) => format!("/people-risk/{person}"),
        (None, None) => String::new(),
    }
}

fn notice_lines(t: T, notices: Vec<NoticeView>, viewer: &Viewer) -> Vec<NoticeLine> {
    notices
        .into_iter()
        .map(|n| NoticeLine {
            // The ladder's words in the reader's language; otherwise the text as issued.
            text: n.text_in(t),
            kind_label: t.code("notice", &n.kind),
            mine: n.unit_id == viewer.unit_id,
            subject_href: subject_href(n.case_id, n.watched_person_id),
            subject_label: n.case_number.unwrap_or_else(|| t.s("重点人员").into_owned()),
            issued: short_time(&n.issued_at),
            due: n.due_at.as_ref().map(short_time).unwrap_or_default(),
            issued_by: n.manual.then(|| n.issued_by_name.unwrap_or_default()),
            acknowledged: n.acknowledged_at.is_some(),
            id: n.id,
            number: n.number,
            kind: n.kind,
            reply: n.reply,
        })
        .collect()
}

/// The viewer's queue: what their role acts on first, and the case list that shows it whole.
fn queue_filter(viewer: &Viewer) -> (&'static str, CaseFilter, &'static str) {
    match viewer.role {
        Role::Intake => (
            "待受理",
            CaseFilter { status: Some(Status::Registered), ..CaseFilter::default() },
            "/cases?status=registered",
        ),
        Role::Dispatcher | Role::Leader => {
            ("待分流", CaseFilter { status: Some(Status::Accepted), ..CaseFilter::default() }, "/cases?status=accepted")
        }
        Role::Admin | Role::Citizen => ("最新案件", CaseFilter::default(), "/cases"),
        _ => ("本单位在办", CaseFilter { mine: Some(viewer.unit_id), ..CaseFilter::default() }, "/cases?mine=1"),
    }
}

pub async fn workbench(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let now = state.now();
    let units = UnitNames::new(&state.app.units().await?);
    let mine = matches!(viewer.role, Role::Handler | Role::Mediator | Role::Court | Role::GridWorker);
    let unit = mine.then_some(viewer.unit_id);
    // Each list links to the case list with the same filters: its count is the list's count.
    let mine_too = if mine { "&mine=1" } else { "" };
    let (queue_title, queue, queue_href) = queue_filter(viewer);
    let specs: Vec<(&'static str, &'static str, CaseFilter, String)> = vec![
        (queue_title, "没有待办案件。", queue, queue_href.to_owned()),
        (
            "24 小时内到期",
            "没有即将到期的案件。",
            CaseFilter { mine: unit, due_within_hours: Some(24), ..CaseFilter::default() },
            format!("/cases?due=24{mine_too}"),
        ),
        (
            "已超期",
            "没有超期案件。",
            CaseFilter { mine: unit, overdue: Some(true), ..CaseFilter::default() },
            format!("/cases?overdue=true{mine_too}"),
        ),
        (
            "红色预警",
            "没有红色预警案件。",
            CaseFilter { mine: unit, risk: Some(Risk::Red), ..CaseFilter::default() },
            format!("/cases?risk=red{mine_too}"),
        ),
        (
            "橙色预警",
            "没有橙色预警案件。",
            CaseFilter { mine: unit, risk: Some(Risk::Orange), ..CaseFilter::default() },
            format!("/cases?risk=orange{mine_too}"),
        ),
    ];
    // The workbench's parts are independent reads: asked at once, the page waits for the
    // slowest, not for their sum.
    let lists =
        futures_util::future::try_join_all(specs.iter().map(|(_, _, filter, _)| rows(&state, viewer, filter.clone())));
    let awaiting = async { Ok::<_, UiError>(state.app.notices_awaiting_by_subject(viewer, SHORT_LIST).await?) };
    let (fetched, awaiting, grid, joint, risk_items, watch, page) = tokio::try_join!(
        lists,
        awaiting,
        super::grid::grid_next(&state, viewer),
        super::joint::assigned(&state, &session),
        super::risk::assigned(&state, &session, SHORT_LIST),
        super::watch::watch_next(&state, viewer),
        Page::new(&state, &session, "工作台", "/workbench"),
    )?;
    let lists = specs
        .into_iter()
        .zip(fetched)
        .map(|((title, empty, _, href), (items, total))| WorkList {
            title,
            empty,
            href,
            total,
            lines: case_lines(t, items, &units, now),
        })
        .collect();
    let (awaiting_cases, awaiting_people) = (awaiting.cases, awaiting.people);
    let awaiting = awaiting
        .lines
        .into_iter()
        .map(|a| {
            let (subject, subject_id) = match (a.case_id, a.watched_person_id) {
                (Some(case), _) => ("case", case),
                (None, person) => ("person", person.unwrap_or_default()),
            };
            AwaitingLine {
                subject_href: subject_href(a.case_id, a.watched_person_id),
                subject_label: a.case_number.unwrap_or_else(|| t.s("重点人员").into_owned()),
                subject,
                subject_id,
                kind_label: t.code("notice", a.kind),
                last_issued: short_time(&a.last_issued_at),
                notices: a.notices,
                kind: a.kind,
            }
        })
        .collect();
    let shown_flash = page.flash.is_some();
    let view = Workbench { page, lists, awaiting, awaiting_cases, awaiting_people, grid, joint, risk_items, watch };
    Ok(render(StatusCode::OK, &view, shown_flash))
}

pub struct BoardCase {
    pub case: CaseView,
    pub status_label: String,
    pub risk_label: String,
    pub category_label: String,
    pub suggested: String,
    /// The level the rules suggest, when it is not the level the case is at now.
    pub suggested_level: Option<String>,
    pub may_dispatch: bool,
}

/// Units of one kind, for a grouped picker.
pub struct UnitGroup {
    pub label: String,
    pub units: Vec<UnitView>,
}

#[derive(Template)]
#[template(path = "dispatch.html")]
struct DispatchBoard {
    page: Page,
    cases: Vec<BoardCase>,
    /// The units the viewer may dispatch to: those within their scope, by kind.
    groups: Vec<UnitGroup>,
    total: i64,
    page_number: i64,
    pages: i64,
}

impl DispatchBoard {
    fn suggested(&self, case: &CaseView, unit: &i64) -> bool {
        case.routing.unit_id == Some(*unit)
    }

    fn suggested_assist(&self, case: &CaseView, unit: &i64) -> bool {
        case.routing.assist_unit_ids.contains(unit)
    }
}

/// Cases shown per page of the board.
const BOARD_PAGE: i64 = 20;

/// A page of a list: `?page=2`.
#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    page: Option<String>,
}

/// New and accepted cases awaiting dispatch, newest first, a page at a time with their count,
/// each with its suggested route to confirm or override.
pub async fn dispatch_board(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<BoardQuery>,
) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let page_number = query.page.and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 10_000);
    let filter = CaseFilter {
        status_in: vec![Status::Registered, Status::Accepted],
        limit: BOARD_PAGE,
        offset: (page_number - 1) * BOARD_PAGE,
        ..CaseFilter::default()
    };
    let list = state.app.case_list(viewer, &filter).await?;
    let units_all = state.app.units().await?;
    let units = UnitNames::new(&units_all);
    let mut cases = Vec::new();
    for row in list.items {
        let case = state.app.case_get(viewer, CaseId(row.id), None).await?;
        cases.push(BoardCase {
            status_label: t.code("status", case.status.as_str()),
            risk_label: t.code("risk", case.risk.as_str()),
            category_label: t.code("category", case.category.as_str()),
            suggested: units.name(case.routing.unit_id),
            suggested_level: (case.level != case.routing.level).then(|| t.code("level", case.routing.level.as_str())),
            may_dispatch: case.available_actions.contains(&domain::workflow::Action::Dispatch),
            case,
        });
    }
    // Within the page, the highest risk first.
    cases.sort_by_key(|c| {
        (std::cmp::Reverse(Risk::ALL.iter().position(|r| *r == c.case.risk)), std::cmp::Reverse(c.case.id))
    });
    let within_scope = |u: &UnitView| RegionCode::parse(&u.region_code).is_ok_and(|r| viewer.scope.covers_region(&r));
    let mut groups: Vec<UnitGroup> = Vec::new();
    for unit in units_all.into_iter().filter(|u| u.active).filter(within_scope) {
        let label = t.code("unit_kind", &unit.kind);
        match groups.iter_mut().find(|g| g.label == label) {
            Some(group) => group.units.push(unit),
            None => groups.push(UnitGroup { label, units: vec![unit] }),
        }
    }
    let page = Page::new(&state, &session, "分流调度", "/dispatch").await?;
    let shown_flash = page.flash.is_some();
    let pages = (list.total + BOARD_PAGE - 1) / BOARD_PAGE;
    let board = DispatchBoard { page, cases, groups, total: list.total, page_number, pages: pages.max(1) };
    Ok(render(StatusCode::OK, &board, shown_flash))
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct Inbox {
    page: Page,
    lists: Vec<WorkList>,
}

/// The unit's inbox: cases to sign for (or return), being handled, concluded — each list with
/// its count and a link to the whole of it in the case list when it holds more than it shows.
pub async fn inbox(State(state): State<AppState>, session: Session) -> Result<Response, UiError> {
    let t = session.t;
    let viewer = &session.viewer;
    let now = state.now();
    let units = UnitNames::new(&state.app.units().await?);
    let mut lists = Vec::new();
    for (status, title, empty) in [
        (Status::Dispatched, "待签收", "没有待签收的案件。"),
        (Status::InProgress, "办理中", "没有办理中的案件。"),
        (Status::Concluded, "已办结", "没有已办结的案件。"),
    ] {
        let filter = CaseFilter { status: Some(status), mine: Some(viewer.unit_id), ..CaseFilter::default() };
        let (items, total) = rows(&state, viewer, filter).await?;
        let href = format!("/cases?status={}&mine=1", status.as_str());
        lists.push(WorkList { title, empty, href, total, lines: case_lines(t, items, &units, now) });
    }
    let page = Page::new(&state, &session, "本单位收件", "/inbox").await?;
    let shown_flash = page.flash.is_some();
    Ok(render(StatusCode::OK, &Inbox { page, lists }, shown_flash))
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    page: Page,
    notices: Vec<NoticeLine>,
    total: i64,
    page_number: i64,
    pages: i64,
    /// Only those awaiting the unit's reply (`?awaiting=1`, the workbench's tile).
    awaiting_only: bool,
}

impl NoticesPage {
    /// What a paging link keeps of the filter.
    fn paging_filter(&self) -> &'static str {
        if self.awaiting_only { "&awaiting=1" } else { "" }
    }
}

#[derive(Debug, Deserialize)]
pub struct NoticesQuery {
    page: Option<String>,
    awaiting: Option<String>,
}

/// Notices shown on one page.
const NOTICES_PAGE: i64 = 50;

/// Reminder letters, warning notices and supervision orders the viewer may see.
/// Those awaiting the viewer's reply first, then the latest of the rest, a page at a time.
pub async fn notices(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<NoticesQuery>,
) -> Result<Response, UiError> {
    let page_number = query.page.and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 100_000);
    let awaiting_only = query.awaiting.as_deref() == Some("1");
    let filter = NoticeFilter {
        awaiting_reply: awaiting_only,
        awaiting_first: true,
        limit: Some(NOTICES_PAGE),
        offset: (page_number - 1) * NOTICES_PAGE,
        ..NoticeFilter::default()
    };
    let total = state.app.notices_count(&session.viewer, &filter).await?;
    let notices = notice_lines(session.t, state.app.notices(&session.viewer, &filter).await?, &session.viewer);
    let page = Page::new(&state, &session, "函单令", "/notices").await?;
    let shown_flash = page.flash.is_some();
    let pages = ((total + NOTICES_PAGE - 1) / NOTICES_PAGE).max(1);
    Ok(render(StatusCode::OK, &NoticesPage { page, notices, total, page_number, pages, awaiting_only }, shown_flash))
}

pub async fn notice_acknowledge(
    State(state): State<AppState>,
    InPath(id, _): InPath<NoticeId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let done = state.app.notice_acknowledge(&posted.session.viewer, id).await;
    Ok(back_to_notices(posted.session.t, done, "已签收"))
}

pub async fn notice_reply(
    State(state): State<AppState>,
    InPath(id, _): InPath<NoticeId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let done = state.app.notice_reply(&posted.session.viewer, id, posted.form.get("text")).await;
    Ok(back_to_notices(posted.session.t, done, "已回复"))
}

/// Back to the notices after acknowledging or replying: "number done", or why it was refused.
fn back_to_notices(t: T, done: Result<NoticeView, app::AppError>, what: &str) -> Response {
    match done {
        Ok(notice) => redirect_with("/notices", "ok", &format!("{} {}", notice.number, t.s(what))),
        Err(error) => redirect_with("/notices", "error", &error_text(t, &error.into())),
    }
}
