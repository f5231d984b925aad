//! Case pages: the filtered list and search, one case with its parties, timeline, deadlines,
//! notices and the actions the user may take now, and the forms that take them.

use std::collections::HashMap;

use app::cases::{CaseFilter, CaseListRow, CaseView, EventView, RevealRequest};
use app::mediation::{AgreementView, EvidenceView, SigningSmsView};
use app::org::{RegionView, UnitView};
use app::police::{PoliceReferralView, PoliceStep};
use app::sessions::{CaseMediator, SessionView};
use app::supervision::{Deadline, ManualNotice, NoticeFilter, NoticeView};
use app::task_forces::{NewMember, NewMilestone, NewTaskForce, TaskForceView};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::{Category, Risk, Status};
use domain::clocks::{ClockState, NoticeKind};
use domain::ids::{AgreementId, CaseId, MilestoneId, PoliceReferralId, TaskForceId};
use domain::mediation::AgreementStatus;
use domain::mediation::MediatorCandidate;
use domain::org::{RegionCode, Role};
use domain::validation::{FieldError, Message};
use domain::workflow::{Action, ActionRequest};
use serde::Deserialize;

use super::admin::{RegionChoices, Typed, regions_in_scope};
use super::i18n::T;
use super::mediation::DraftForm;
use super::session::FormData;
use super::{Page, Posted, Session, UiError, error_text, redirect_with, render};
use crate::AppState;
use crate::api::mediation::signing_link_on;
use crate::error::ApiError;
use crate::extract::InPath;

/// A case as a row of a UI table.
pub struct CaseLine {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub risk: String,
    pub risk_label: String,
    pub category_label: String,
    pub unit: String,
    pub created: String,
    pub due: String,
    pub overdue: bool,
}

/// `2026-11-23 17:05` in China time: how a page shows a time.
pub fn short_time(at: &DateTime<Utc>) -> String {
    at.with_timezone(&domain::china_time()).format("%Y-%m-%d %H:%M").to_string()
}

/// Unit names by id, for tables and forms.
pub struct UnitNames(HashMap<i64, String>);

impl UnitNames {
    pub fn new(units: &[UnitView]) -> Self {
        UnitNames(units.iter().map(|u| (u.id, u.name.clone())).collect())
    }

    pub fn name(&self, id: Option<i64>) -> String {
        id.and_then(|id| self.0.get(&id).cloned()).unwrap_or_else(|| "—".to_owned())
    }
}

/// Region names by code: a place as a person reads it, never its 12-digit code.
pub struct RegionNames(HashMap<String, (String, Option<String>, String)>);

impl RegionNames {
    pub fn new(regions: &[RegionView]) -> Self {
        RegionNames(
            regions
                .iter()
                .map(|r| (r.code.clone(), (r.name.clone(), r.parent_code.clone(), r.level.clone())))
                .collect(),
        )
    }

    /// Where a case happened, from the district down: `城关区 › 张掖路街道 › 中山林社区`; the
    /// code only for a region the deployment does not know.
    pub fn place(&self, code: &str) -> String {
        let mut names = Vec::new();
        let mut at = Some(code.to_owned());
        while let Some((name, parent, level)) = at.as_deref().and_then(|c| self.0.get(c)) {
            names.push(name.clone());
            if matches!(level.as_str(), "district" | "city" | "province") {
                break;
            }
            at = parent.clone();
        }
        if names.is_empty() {
            return code.to_owned();
        }
        names.reverse();
        names.join(" › ")
    }
}

pub fn case_lines(t: T, rows: Vec<CaseListRow>, units: &UnitNames, now: DateTime<Utc>) -> Vec<CaseLine> {
    rows.into_iter()
        .map(|r| {
            let title = r.title.clone().unwrap_or_else(|| r.description.chars().take(40).collect());
            CaseLine {
                id: r.id,
                number: r.number,
                title,
                status_label: t.code("status", &r.status),
                status: r.status,
                risk_label: t.code("risk", &r.risk),
                risk: r.risk,
                category_label: t.code("category", &r.category),
                unit: units.name(r.lead_unit_id),
                created: short_time(&r.created_at),
                overdue: r.next_due_at.is_some_and(|due| due < now),
                due: r.next_due_at.as_ref().map(short_time).unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    page: Page,
    lines: Vec<CaseLine>,
    total: i64,
    total_capped: bool,
    total_estimate: Option<i64>,
    query: ListQuery,
    statuses: Vec<(&'static str, String)>,
    categories: Vec<(&'static str, String)>,
    risks: Vec<(&'static str, String)>,
    units: Vec<UnitView>,
    regions: Vec<RegionChoices>,
    searched: bool,
    prev: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

/// The list's filters as the form sends them (all optional text).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub risk: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub overdue: String,
    /// `1`: only the open cases of the viewer's unit (its work list).
    #[serde(default)]
    pub mine: String,
    /// Only cases whose next deadline falls within this many hours (`24`).
    #[serde(default)]
    pub due: String,
    #[serde(default)]
    pub page: Option<i64>,
}

impl ListQuery {
    fn href(&self, page: i64) -> String {
        let e = super::session::encode_component;
        format!(
            "/cases?q={}&status={}&category={}&risk={}&region={}&unit={}&overdue={}&mine={}&due={}&page={page}",
            e(&self.q),
            e(&self.status),
            e(&self.category),
            e(&self.risk),
            e(&self.region),
            e(&self.unit),
            e(&self.overdue),
            e(&self.mine),
            e(&self.due)
        )
    }
}

pub fn options<C: Copy>(t: T, kind: &str, all: &[C], code: impl Fn(C) -> &'static str) -> Vec<(&'static str, String)> {
    all.iter().map(|&c| (code(c), t.code(kind, code(c)))).collect()
}

const PAGE_SIZE: i64 = 25;

/// Cases in scope: full-text search when `q` is given, the filtered list otherwise.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Response, UiError> {
    let t = session.t;
    let now = state.now();
    let page_number = super::page_of(query.page);
    let mut filter = CaseFilter { limit: PAGE_SIZE, offset: (page_number - 1) * PAGE_SIZE, ..CaseFilter::default() };
    filter.status = Status::parse(&query.status);
    filter.category = Category::parse(&query.category);
    filter.risk = Risk::parse(&query.risk);
    filter.unit = query.unit.parse().ok();
    filter.overdue = match query.overdue.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    filter.mine = (query.mine == "1").then_some(session.viewer.unit_id);
    filter.due_within_hours = query.due.parse().ok().filter(|hours| (1..=24 * 30).contains(hours));
    let mut error = None;
    if !query.region.trim().is_empty() {
        match RegionCode::parse(query.region.trim()) {
            Ok(region) => filter.region = Some(region),
            Err(e) => error = Some(format!("{}：{e}", t.s("区划代码无效"))),
        }
    }
    let units_all = state.app.units().await?;
    let units = UnitNames::new(&units_all);
    // Words alone: the full-text index, best match first. Words with other filters: every
    // filter holds, the words matched as written in the number, title or description.
    let words = query.q.trim();
    let filtered = filter.status.is_some()
        || filter.category.is_some()
        || filter.risk.is_some()
        || filter.unit.is_some()
        || filter.overdue.is_some()
        || filter.mine.is_some()
        || filter.due_within_hours.is_some()
        || filter.region.is_some();
    let searched = !words.is_empty() && !filtered;
    if filtered && !words.is_empty() {
        filter.q = Some(words.to_owned());
    }
    let (rows, total, total_capped, total_estimate) = if searched {
        let hits = state
            .app
            .cases_search(&session.viewer, query.q.trim(), filter.limit.max(0) as usize, filter.offset.max(0) as usize)
            .await?;
        (hits.items, hits.total, hits.total_capped, hits.total_estimate)
    } else {
        let list = state.app.case_list(&session.viewer, &filter).await?;
        (list.items, list.total, list.total_capped, list.total_estimate)
    };
    let shown = filter.offset + rows.len() as i64;
    let lines = case_lines(t, rows, &units, now);
    let page = Page::new(&state, &session, "案件查询", &query.href(page_number)).await?;
    let shown_flash = page.flash.is_some();
    let list_page = ListPage {
        page,
        lines,
        total,
        total_capped,
        total_estimate,
        statuses: options(t, "status", Status::ALL, Status::as_str),
        categories: options(t, "category", Category::ALL, Category::as_str),
        risks: options(t, "risk", Risk::ALL, Risk::as_str),
        units: units_all,
        regions: regions_in_scope(t, &session.viewer, &state.app.regions().await?),
        searched,
        prev: (page_number > 1).then(|| query.href(page_number - 1)),
        next: (shown < total).then(|| query.href(page_number + 1)),
        query,
        error,
    };
    Ok(render(StatusCode::OK, &list_page, shown_flash))
}

/// A party as the case page shows it.
pub struct PartyLine {
    pub role: String,
    pub kind: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub address: String,
}

/// An event of the timeline.
pub struct TimelineEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    page: Page,
    case: CaseView,
    /// Where it happened, by the regions' names.
    place: String,
    lead_unit: String,
    assist_units: Vec<String>,
    suggested_unit: String,
    parties: Vec<PartyLine>,
    timeline: Vec<TimelineEntry>,
    deadlines: Vec<Deadline>,
    notices: Vec<NoticeView>,
    may_reveal: bool,
    /// Units a case may be dispatched or transferred to.
    units: Vec<UnitView>,
    actions: Vec<ActionForm>,
    agreements: Vec<AgreementView>,
    /// The current signing links, for the mediator to copy: (agreement, party index, link).
    signing_links: Vec<(i64, usize, String)>,
    evidence: Vec<EvidenceView>,
    /// The video sessions' recordings (音视频笔录), each played on the page.
    recordings: Vec<app::video::RecordingView>,
    /// The legal holds on the recordings (录音录像保全), the one in force first.
    recording_holds: Vec<app::video::RecordingHold>,
    /// The viewer may place and release those holds.
    may_hold_recordings: bool,
    mediators: Vec<MediatorCandidate>,
    mediator: Option<CaseMediator>,
    sessions: Vec<SessionView>,
    courts: Vec<UnitView>,
    /// The viewer's unit handles the case and their role mediates.
    may_mediate: bool,
    may_sign_as_mediator: bool,
    may_rule: bool,
    /// The case is open and the viewer mediates it or runs a centre: may choose the mediator.
    may_choose_mediator: bool,
    outcomes: Vec<(&'static str, String)>,
    satisfactions: Vec<(&'static str, String)>,
    /// The agreement draft as typed, when it was refused.
    draft: DraftForm,
    /// The viewer may issue a 督办令 by hand (a leader, a dispatcher of a centre above the unit
    /// responsible), and the case is open.
    may_issue_notice: bool,
    /// A form of the page refused, as it was typed, with why.
    refusal: Refusal,
    /// 拒绝调解 by a party in the portal, not yet concluded: (party index, reason, when).
    online_refusal: Option<(usize, String, DateTime<Utc>)>,
    /// 移送公安: the case's referrals, and whether the viewer may refer it now (a red case).
    police_referrals: Vec<PoliceReferralView>,
    may_refer_police: bool,
    /// 一案一专班: the case's task force, or whether the viewer may form one (a red case, or
    /// any case a leader picks), with the leaders who may head it.
    task_force: Option<TaskForceView>,
    may_form_task_force: bool,
    leaders: Vec<(i64, String)>,
    /// The viewer's unit: the police unit answers its referrals, a member unit its milestones.
    viewer_unit: i64,
    /// 类似案例, for those who mediate (handlers and mediators).
    similar: Vec<app::cases::SimilarCase>,
    now: DateTime<Utc>,
}

impl CasePage {
    fn deadline_class(&self, d: &Deadline) -> &'static str {
        match d.state {
            ClockState::Overdue | ClockState::Missed => "overdue",
            ClockState::Met => "stopped",
            ClockState::Running if d.due_at.is_some_and(|due| due < self.now + Duration::hours(24)) => "soon",
            _ => "",
        }
    }

    fn time(&self, at: &DateTime<Utc>) -> String {
        short_time(at)
    }

    /// A notice in the reader's language: the ladder's words read in it, others as issued.
    fn notice_text(&self, notice: &NoticeView) -> String {
        notice.text_in(self.page.t)
    }

    /// A hold on the recordings is in force (listed first).
    fn recordings_held(&self) -> bool {
        self.recording_holds.first().is_some_and(|h| h.released_at.is_none())
    }

    /// A room participant by their part: 调解员, 当事人 2, 翻译 1 …
    fn participant(&self, participant: &str) -> String {
        let t = self.page.t;
        let (part, number) = participant.rsplit_once('-').unwrap_or((participant, ""));
        let label = match part {
            "mediator" => t.s("调解员"),
            "party" => t.s("当事人"),
            "interpreter" => t.s("翻译"),
            "lawyer" => t.s("律师"),
            "observer" => t.s("旁听人员"),
            _ => return participant.to_owned(),
        };
        if number.is_empty() { label.into_owned() } else { format!("{label} {number}") }
    }

    fn task_force_rows(&self) -> [usize; 3] {
        TASK_FORCE_ROWS
    }

    /// What each party has done at a session: (act, done).
    fn acts(&self, a: &app::sessions::Acknowledgement) -> Vec<(&'static str, bool)> {
        vec![
            ("rights", a.rights_acknowledged_at.is_some()),
            ("consent", a.consented_at.is_some()),
            ("minutes", a.minutes_confirmed_at.is_some()),
        ]
    }

    /// How the signing SMS to one party fared.
    fn signing_sms<'a>(&self, agreement: &'a AgreementView, party: &usize) -> Option<&'a SigningSmsView> {
        agreement.signing_sms.iter().find(|s| s.party_index == *party)
    }

    fn resends_left(&self, left: &i64) -> String {
        self.page.t.msg(&domain::msg!("agreement.resends_left", left = *left))
    }

    fn signing_link(&self, agreement: &i64, party: &usize) -> Option<&str> {
        self.signing_links.iter().find(|(a, p, _)| a == agreement && p == party).map(|(_, _, link)| link.as_str())
    }

    fn party_name(&self, index: &usize) -> &str {
        self.case.parties.get(*index).map_or("", |p| p.name.as_str())
    }

    /// The terms as the edit form writes them.
    fn terms_text(&self, agreement: &AgreementView) -> String {
        let line = |t: &domain::mediation::Term| match t.due {
            Some(due) => format!("{} | {due}", t.text),
            None => t.text.clone(),
        };
        agreement.content.terms.iter().map(line).collect::<Vec<_>>().join("\n")
    }

    fn suggested(&self, unit: &i64) -> bool {
        self.case.routing.unit_id == Some(*unit)
    }

    fn suggested_assist(&self, unit: &i64) -> bool {
        self.case.routing.assist_unit_ids.contains(unit)
    }

    fn clock_label(&self, d: &Deadline) -> String {
        self.page.t.code("clock", d.clock.as_str())
    }

    /// Whether `form` is the one refused: it is shown open, its first field focused.
    fn refused(&self, form: &str) -> bool {
        self.refusal.form == form
    }

    /// What was typed into `form`'s field `name` when it was refused; empty otherwise.
    fn typed(&self, form: &str, name: &str) -> &str {
        if self.refused(form) { self.refusal.typed.value(name) } else { "" }
    }

    /// Whether `form`'s select or checkbox `name` held `value` when it was refused; `default`
    /// when the form was not refused.
    fn chose(&self, form: &str, name: &str, value: &str, default: bool) -> bool {
        if self.refused(form) { self.refusal.typed.holds(name, value) } else { default }
    }

    /// Why `form`'s field `name` was refused.
    fn refused_error(&self, form: &str, name: &str) -> Option<&str> {
        self.refused(form).then(|| self.refusal.typed.error(name)).flatten()
    }

    /// Why `form` was refused, when no one of its fields was at fault.
    fn refused_message(&self, form: &str) -> Option<&str> {
        self.refused(form).then_some(self.refusal.message.as_deref()).flatten()
    }

    /// A unit picker's choice: as typed after a refusal, else the suggestion.
    fn unit_chosen(&self, form: &str, unit: &i64) -> bool {
        self.chose(form, "unit_id", &unit.to_string(), self.suggested(unit))
    }

    fn assist_chosen(&self, form: &str, unit: &i64) -> bool {
        self.chose(form, "assist_unit_ids", &unit.to_string(), self.suggested_assist(unit))
    }
}

/// A form of the case page that was refused: the page comes back with the form open, as it
/// was typed, each error beside its field — or above the form when no one of its fields is at
/// fault (a stale version, a step no longer allowed) — never a page that lost what was typed.
#[derive(Debug, Default)]
pub struct Refusal {
    /// Which form: a workflow step's code, `order`, `reveal`, `mediator`, `session`,
    /// `refusal`, `minutes-{session}`, `{step}-{agreement}` for an agreement's forms.
    form: String,
    typed: Typed,
    message: Option<String>,
    status: StatusCode,
}

impl Refusal {
    /// `form`, refused with `error`: the errors of the fields it shows (`fields`) beside them,
    /// anything else above it.
    pub fn new(t: T, form: impl Into<String>, typed: FormData, error: ApiError, fields: &[&str]) -> Self {
        let (beside, above): (Vec<FieldError>, Vec<FieldError>) =
            error.fields.iter().cloned().partition(|f| fields.contains(&f.field.as_str()));
        let message = match (beside.is_empty(), above.is_empty()) {
            (_, false) => Some(above.iter().map(|f| t.msg(&f.message())).collect::<Vec<_>>().join("；")),
            (true, true) => Some(t.msg(&error.message)),
            (false, true) => None,
        };
        Refusal { form: form.into(), typed: Typed::refused(t, typed, &beside), message, status: error.status }
    }
}

/// The form of one workflow step the user may take now: which fields it asks for.
pub struct ActionForm {
    pub action: &'static str,
    pub label: String,
    pub reason: bool,
    pub unit: bool,
    pub assist: bool,
    pub working_days: bool,
    pub text: bool,
    pub note: bool,
    pub outcome: bool,
    pub satisfaction: bool,
    pub danger: bool,
    /// A step that cannot be undone: the browser asks before sending it.
    pub irreversible: bool,
}

impl ActionForm {
    fn new(t: T, action: Action) -> Self {
        use Action::*;
        ActionForm {
            action: action.as_str(),
            label: t.code("event", action.as_str()),
            reason: matches!(action, Reject | Return | Escalate | Transfer | Extend | Reopen | Dispatch),
            unit: matches!(action, Dispatch | Transfer),
            assist: action == Dispatch,
            working_days: action == Extend,
            text: action == Note,
            note: matches!(action, Contact | FollowUp),
            outcome: action == Conclude,
            satisfaction: action == FollowUp,
            danger: matches!(action, Reject | Return),
            irreversible: matches!(action, Reject | Archive | Conclude),
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    InPath(id, _): InPath<CaseId, UiError>,
) -> Result<Response, UiError> {
    show(&state, &session, id, None, Refused::Nothing).await
}

/// A form of the case page that was refused, to show again as it was typed.
enum Refused {
    Nothing,
    Draft(DraftForm),
    Form(Refusal),
}

/// The case page with the agreement draft as it was typed and why it was refused (422).
pub async fn show_with_draft(
    state: &AppState,
    session: &Session,
    id: CaseId,
    draft: DraftForm,
) -> Result<Response, UiError> {
    show(state, session, id, None, Refused::Draft(draft)).await
}

/// The case page with a refused form as it was typed, and why.
pub async fn show_refused(
    state: &AppState,
    session: &Session,
    id: CaseId,
    refusal: Refusal,
) -> Result<Response, UiError> {
    show(state, session, id, None, Refused::Form(refusal)).await
}

/// Shows the full personal data of the parties, recording why.
pub async fn reveal(
    State(state): State<AppState>,
    InPath(id, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let reason = form.get("reason").unwrap_or_default().to_owned();
    match show(&state, &session, id, Some(RevealRequest { reason }), Refused::Nothing).await {
        // No reason given: the case again, the form saying so.
        Err(UiError::Failed(error)) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            show_refused(&state, &session, id, Refusal::new(session.t, "reveal", form, error, &["reason"])).await
        }
        shown => shown,
    }
}

async fn show(
    state: &AppState,
    session: &Session,
    id: CaseId,
    reveal: Option<RevealRequest>,
    refused: Refused,
) -> Result<Response, UiError> {
    let t = session.t;
    let now = state.now();
    let case = state.app.case_get(&session.viewer, id, reveal).await?;
    let events = state.app.case_events(&session.viewer, id).await?;
    let deadlines = state.app.case_deadlines(&session.viewer, id).await?;
    let notices = state
        .app
        .notices(&session.viewer, &NoticeFilter { case_id: Some(id.get()), ..NoticeFilter::default() })
        .await?;
    let units_all = state.app.units().await?;
    let units = UnitNames::new(&units_all);
    let regions = RegionNames::new(&state.app.regions().await?);
    let parties = party_lines(t, &case);
    let mut timeline = timeline_of(state, t, &case, &events, &units, &regions).await?;
    timeline.reverse();
    let viewer = &session.viewer;
    let handling = case.lead_unit_id == Some(viewer.unit_id) || case.assist_unit_ids.contains(&viewer.unit_id);
    let on_this_case = |permission| authz::may(viewer.role, permission, Resource { handling, ..Resource::ANY }).is_ok();
    let may_mediate = on_this_case(Permission::Mediate);
    let may_choose_mediator = on_this_case(Permission::MediatorChoose);
    let agreements = state.app.agreements_of_case(viewer, id).await?;
    let mut signing_links = Vec::new();
    for a in agreements.iter().filter(|a| may_mediate && a.status == AgreementStatus::Signing) {
        let links =
            state.app.agreement_signing_links(viewer, AgreementId(a.id), signing_link_on(session.site.clone())).await?;
        signing_links.extend(links.into_iter().map(|(party, link)| (a.id, party, link)));
    }
    let evidence = state.app.evidence_list(viewer, id).await?;
    let mediators = if may_mediate || may_choose_mediator {
        state.app.mediator_suggestions(viewer, id).await?.into_iter().take(3).collect()
    } else {
        Vec::new()
    };
    let open = matches!(case.status, Status::Registered | Status::Accepted | Status::Dispatched | Status::InProgress);
    let task_force = state.app.task_force_of_case(viewer, id).await?;
    let leaders = if task_force.is_none() && authz::has(viewer.role, Permission::TaskForceManage) {
        let users = state.app.users().await?;
        users.into_iter().filter(|u| u.role == Role::Leader).map(|u| (u.id, u.display_name)).collect()
    } else {
        Vec::new()
    };
    let similar = if authz::has(viewer.role, Permission::Mediate) {
        state.app.cases_similar(viewer, id).await?
    } else {
        Vec::new()
    };
    let page = Page::new(state, session, "案件详情", &format!("/cases/{id}")).await?;
    let shown_flash = page.flash.is_some();
    let (draft, refusal) = match refused {
        Refused::Nothing => (DraftForm::default(), Refusal::default()),
        Refused::Draft(draft) => (draft, Refusal::default()),
        Refused::Form(refusal) => (DraftForm::default(), refusal),
    };
    let case_page = CasePage {
        place: regions.place(&case.location.region_code),
        lead_unit: units.name(case.lead_unit_id),
        assist_units: case.assist_unit_ids.iter().map(|u| units.name(Some(*u))).collect(),
        suggested_unit: units.name(case.routing.unit_id),
        may_reveal: authz::has(viewer.role, Permission::PersonalDataReveal) && !case.personal_data_revealed,
        parties,
        timeline,
        deadlines,
        notices,
        courts: units_all.iter().filter(|u| u.active && u.kind == "court").cloned().collect(),
        units: units_all
            .into_iter()
            .filter(|u| u.active && (u.kind != "centre" || u.id != session.viewer.unit_id))
            .collect(),
        actions: case.available_actions.iter().map(|&a| ActionForm::new(t, a)).collect(),
        agreements,
        signing_links,
        evidence,
        recordings: state.app.video_recordings_of_case(viewer, id).await?,
        recording_holds: state.app.recording_holds(viewer, id).await?,
        may_hold_recordings: state.app.recording_hold_allowed(viewer),
        mediators,
        mediator: state.app.case_mediator(viewer, id).await?,
        sessions: state.app.sessions(viewer, id).await?,
        may_mediate,
        may_sign_as_mediator: on_this_case(Permission::AgreementMediatorSign),
        may_rule: authz::has(viewer.role, Permission::ConfirmationRule),
        may_choose_mediator: may_choose_mediator
            && matches!(case.status, Status::Registered | Status::Accepted | Status::Dispatched | Status::InProgress),
        outcomes: options(t, "outcome", domain::case::Outcome::ALL, domain::case::Outcome::as_str),
        satisfactions: options(
            t,
            "satisfaction",
            domain::workflow::Satisfaction::ALL,
            domain::workflow::Satisfaction::as_str,
        ),
        may_issue_notice: state.app.notice_issue_allowed(viewer, id).await?,
        online_refusal: online_refusal(&case, &events),
        police_referrals: state.app.police_referrals_of_case(viewer, id).await?,
        may_refer_police: open && case.risk == Risk::Red && on_this_case(Permission::PoliceRefer),
        may_form_task_force: open
            && task_force.is_none()
            && authz::has(viewer.role, Permission::TaskForceManage)
            && (case.risk == Risk::Red || viewer.role == Role::Leader),
        task_force,
        viewer_unit: viewer.unit_id,
        leaders: if viewer.role == Role::Leader {
            vec![(viewer.user_id, session.user.display_name.clone())]
        } else {
            leaders
        },
        similar,
        case,
        page,
        now,
        draft,
        refusal,
    };
    let status = if !case_page.draft.errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if !case_page.refusal.form.is_empty() {
        case_page.refusal.status
    } else {
        StatusCode::OK
    };
    Ok(render(status, &case_page, shown_flash))
}

/// A refusal of mediation a party gave in the portal (art. 17) that the handling unit has yet
/// to conclude the case on: (party index, reason, when).
fn online_refusal(case: &CaseView, events: &[EventView]) -> Option<(usize, String, DateTime<Utc>)> {
    if !matches!(case.status, Status::Registered | Status::Accepted | Status::Dispatched | Status::InProgress) {
        return None;
    }
    let refusal = app::citizens::refusal_in_force(events).filter(|e| e.data["channel"] == "portal")?;
    let party = refusal.data["party_index"].as_u64()? as usize;
    Some((party, refusal.data["reason"].as_str().unwrap_or_default().to_owned(), refusal.at))
}

/// The parties as a page shows them: codes as labels, personal data as the viewer may see it.
pub fn party_lines(t: T, case: &CaseView) -> Vec<PartyLine> {
    case.parties
        .iter()
        .map(|p| PartyLine {
            role: t.code("party_role", &p.role),
            kind: t.code("party_kind", &p.kind),
            name: p.name.clone(),
            id_number: p.id_number.clone().or_else(|| p.credit_code.clone()).unwrap_or_default(),
            phone: p.phone.clone().unwrap_or_default(),
            address: p.address.clone().unwrap_or_default(),
        })
        .collect()
}

/// The history as a timeline, oldest first: actions, codes and ids as words.
pub async fn timeline_of(
    state: &AppState,
    t: T,
    case: &CaseView,
    events: &[EventView],
    units: &UnitNames,
    regions: &RegionNames,
) -> Result<Vec<TimelineEntry>, UiError> {
    // Every event names who took it, some a user by id (a mediator chosen or replaced).
    let users = state.app.users().await?;
    let names = TimelineNames {
        units,
        regions,
        actors: users.iter().map(|u| (u.username.clone(), u.display_name.clone())).collect(),
        users: users.into_iter().map(|u| (u.id, u.display_name)).collect(),
        parties: case.parties.iter().map(|p| p.name.clone()).collect(),
    };
    Ok(events.iter().map(|e| timeline_entry(t, e, &names)).collect())
}

/// What the timeline names by id: units, users, the case's parties (by their index), and who
/// took each step (by username).
struct TimelineNames<'a> {
    units: &'a UnitNames,
    regions: &'a RegionNames,
    users: HashMap<i64, String>,
    actors: HashMap<String, String>,
    parties: Vec<String>,
}

impl TimelineNames<'_> {
    /// The one who took a step, by name: a user's display name, the scheduler as 系统; an actor
    /// that is no user (a system account) by the name it was given.
    fn actor(&self, t: T, actor: &str) -> String {
        match self.actors.get(actor) {
            Some(name) => name.clone(),
            None if actor == "system" => t.s("系统").into_owned(),
            // A party acting in the portal: 当事人（网上）.
            None if actor.starts_with("citizen:") => t.s("当事人（网上）").into_owned(),
            None => actor.to_owned(),
        }
    }

    fn party(&self, index: &serde_json::Value) -> String {
        let name = index.as_u64().and_then(|i| self.parties.get(i as usize));
        name.cloned().unwrap_or_else(|| index.to_string())
    }
}

fn timeline_entry(t: T, e: &EventView, names: &TimelineNames) -> TimelineEntry {
    let units = names.units;
    let mut detail = Vec::new();
    if let Some(map) = e.data.as_object() {
        for (key, value) in map {
            let text = match (key.as_str(), value) {
                (_, serde_json::Value::Null) => continue,
                ("unit_id" | "suggested_unit_id" | "court_unit_id" | "joined_unit_id", v) => units.name(v.as_i64()),
                ("assist_unit_ids", serde_json::Value::Array(ids)) if ids.is_empty() => continue,
                ("assist_unit_ids", serde_json::Value::Array(ids)) => {
                    ids.iter().map(|v| units.name(v.as_i64())).collect::<Vec<_>>().join("、")
                }
                ("region_code", serde_json::Value::String(code)) => names.regions.place(code),
                ("user_id" | "previous", v) => {
                    v.as_i64().and_then(|id| names.users.get(&id).cloned()).unwrap_or_else(|| v.to_string())
                }
                // Parties by their index: one, or a list.
                ("party_index", v) => names.party(v),
                ("served" | "applicants", serde_json::Value::Array(indexes)) => {
                    indexes.iter().map(|i| names.party(i)).collect::<Vec<_>>().join("、")
                }
                // Times as the rest of the page shows them.
                (
                    "effective_at" | "confirm_by" | "expires_at" | "scheduled_at" | "reply_by" | "contact_by"
                    | "mediate_by",
                    serde_json::Value::String(at),
                ) => DateTime::parse_from_rfc3339(at)
                    .map_or_else(|_| at.clone(), |at| short_time(&at.with_timezone(&Utc))),
                // The notice's rung and clock by their labels; the notice itself is listed
                // beside the timeline.
                ("kind", serde_json::Value::String(code)) if e.action == "notice_issued" => t.code("notice", code),
                ("clock", serde_json::Value::String(code)) => t.code("clock", code),
                ("form", serde_json::Value::String(code)) => t.code("agreement_form", code),
                (_, serde_json::Value::Array(items)) if items.is_empty() => continue,
                // A term's performance, not the case's status.
                ("status", serde_json::Value::String(code)) if e.action == "performance_recorded" => {
                    t.code("performance", code)
                }
                // Codes read as their labels.
                (
                    kind @ ("outcome" | "satisfaction" | "category" | "risk" | "channel" | "level" | "decision"
                    | "status" | "mode" | "chosen_by" | "category_source"),
                    serde_json::Value::String(code),
                ) => {
                    let kind = if kind == "decision" { "ruling" } else { kind };
                    t.code(kind, code)
                }
                (_, serde_json::Value::String(s)) => s.clone(),
                (_, serde_json::Value::Bool(b)) => t.s(if *b { "是" } else { "否" }).into_owned(),
                // What the case page shows in full (parties, the route) is not repeated here, nor
                // the digests of the rows that `audit verify` checks and of the fixed documents.
                ("parties" | "routing" | "risk_reasons" | "recorded" | "rows" | "documents", _) => continue,
                // A record's own id says nothing to a reader (its number, where it has one, does).
                ("session_id" | "notice_id" | "agreement_id" | "evidence_id", _) => continue,
                // A message of the catalogue (how the place was found, the emergency instruction).
                (_, serde_json::Value::Object(fields)) if fields.contains_key("key") => {
                    match serde_json::from_value::<Message>(value.clone()) {
                        Ok(message) => t.msg(&message),
                        Err(_) => value.to_string(),
                    }
                }
                (_, serde_json::Value::Object(fields)) => fields
                    .iter()
                    .map(|(k, v)| format!("{k} {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                    .collect::<Vec<_>>()
                    .join("；"),
                (_, v) => v.to_string(),
            };
            detail.push(format!("{}：{text}", t.code("field", key)));
        }
    }
    TimelineEntry {
        at: short_time(&e.at),
        actor: names.actor(t, &e.actor),
        action: t.code("event", &e.action),
        detail: detail.join("\n"),
    }
}

/// 人工督办 from the case page: a 督办令 with its reason and the working days the unit has to
/// reply; refused for its fields, the page again with the form as typed.
pub async fn notice_issue(
    State(state): State<AppState>,
    InPath(id, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let working_days =
        form.get("working_days").map(str::trim).filter(|d| !d.is_empty()).map(|d| d.parse().unwrap_or(0));
    let issued = match ManualNotice::parse(Some(NoticeKind::Order.as_str()), form.get("text"), working_days) {
        Ok(notice) => state.app.notice_issue(&session.viewer, id, notice, None).await,
        Err(fields) => Err(app::AppError::Invalid(fields)),
    };
    match issued {
        Ok(notice) => {
            let done = format!("{} {}", notice.number, t.s("已发出"));
            Ok(redirect_with(&format!("/cases/{id}#notices"), "ok", &done))
        }
        Err(error) => {
            let refusal = Refusal::new(t, "order", form, error.into(), &["text", "working_days"]);
            show_refused(&state, &session, id, refusal).await
        }
    }
}

/// 移送公安 from the case page: the reason; refused for it, the page again as typed.
pub async fn police_refer(
    State(state): State<AppState>,
    InPath(id, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    match state.app.police_refer(&session.viewer, id, form.get("reason")).await {
        Ok(referral) => {
            let done = format!("{} {}", t.s("已移送"), referral.unit_name);
            Ok(redirect_with(&format!("/cases/{id}#police"), "ok", &done))
        }
        Err(error) => {
            let refusal = Refusal::new(t, "police", form, error.into(), &["reason"]);
            show_refused(&state, &session, id, refusal).await
        }
    }
}

/// 录音录像保全 from the case page: place a hold on the case's recordings, with its reason.
pub async fn recordings_hold(
    State(state): State<AppState>,
    InPath(id, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    match state.app.recording_hold_place(&session.viewer, id, form.get("reason")).await {
        Ok(_) => Ok(redirect_with(&format!("/cases/{id}#recordings"), "ok", &t.s("录音录像已保全"))),
        Err(error) => {
            let refusal = Refusal::new(t, "hold", form, error.into(), &["reason"]);
            show_refused(&state, &session, id, refusal).await
        }
    }
}

/// Releases the hold on the case's recordings from the case page.
pub async fn recordings_release(
    State(state): State<AppState>,
    InPath(id, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, .. } = posted;
    let t = session.t;
    let here = format!("/cases/{id}#recordings");
    match state.app.recording_hold_release(&session.viewer, id).await {
        Ok(_) => Ok(redirect_with(&here, "ok", &t.s("已解除录音录像保全"))),
        Err(error) => Ok(redirect_with(&here, "error", &error_text(t, &error.into()))),
    }
}

/// The police unit's steps on a referral from the case page: 签收, 反馈 and 民转刑.
pub async fn police_act(
    State(state): State<AppState>,
    InPath((id, referral, step), _): InPath<(CaseId, PoliceReferralId, String), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let step = match step.as_str() {
        "acknowledge" => PoliceStep::Acknowledge,
        "feedback" => PoliceStep::Feedback,
        "criminal-case" => PoliceStep::Criminal,
        _ => return Err(app::AppError::NotFound { what: PoliceReferralId::WHAT }.into()),
    };
    match state.app.police_referral_act(&session.viewer, referral, step, form.get("text")).await {
        Ok(_) => Ok(redirect_with(&format!("/cases/{id}#police"), "ok", &t.s("已保存"))),
        Err(error) => Ok(redirect_with(&format!("/cases/{id}#police"), "error", &error_text(t, &error.into()))),
    }
}

/// The rows of the task force's form: member units and milestones (blank rows left out).
pub const TASK_FORCE_ROWS: [usize; 3] = [0, 1, 2];

/// 组建专班 from the case page; refused, the page again with the form as typed.
pub async fn task_force_form(
    State(state): State<AppState>,
    InPath(id, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let text = |name: String| form.get(&name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let number = |name: String| text(name).map(|v| v.parse::<i64>().unwrap_or(0));
    let new = NewTaskForce {
        leader_id: number("leader_id".to_owned()),
        plan: text("plan".to_owned()),
        members: TASK_FORCE_ROWS
            .iter()
            .map(|i| NewMember { unit_id: number(format!("member_unit_{i}")), duty: text(format!("member_duty_{i}")) })
            .filter(|m| m.unit_id.is_some() || m.duty.is_some())
            .collect(),
        milestones: TASK_FORCE_ROWS
            .iter()
            .map(|i| NewMilestone {
                title: text(format!("milestone_title_{i}")),
                unit_id: number(format!("milestone_unit_{i}")),
                due_at: text(format!("milestone_due_{i}")),
            })
            .filter(|m| m.title.is_some() || m.unit_id.is_some() || m.due_at.is_some())
            .collect(),
    };
    match state.app.task_force_form(&session.viewer, id, new).await {
        Ok(_) => Ok(redirect_with(&format!("/cases/{id}#task-force"), "ok", &t.s("工作专班已组建"))),
        Err(error) => {
            let refusal = Refusal::new(t, "task-force", form, error.into(), &["plan", "leader_id"]);
            show_refused(&state, &session, id, refusal).await
        }
    }
}

/// The unit responsible marks a milestone done, from the case page or the leader's page.
pub async fn milestone_done(
    State(state): State<AppState>,
    InPath((id, milestone), _): InPath<(TaskForceId, MilestoneId), UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    match state.app.milestone_done(&session.viewer, id, milestone, form.get("note")).await {
        Ok(force) => Ok(redirect_with(&format!("/cases/{}#task-force", force.case_id), "ok", &t.s("已保存"))),
        Err(error) => Ok(redirect_with(
            form.get("back").filter(|b| b.starts_with('/')).unwrap_or("/task-forces"),
            "error",
            &error_text(t, &error.into()),
        )),
    }
}

/// The fields of a workflow step's form, whose errors are shown beside them.
const STEP_FIELDS: &[&str] =
    &["unit_id", "assist_unit_ids", "working_days", "outcome", "summary", "satisfaction", "text", "note", "reason"];

/// Takes a workflow step from the case page's forms: the same request the API parses.
pub async fn act(
    State(state): State<AppState>,
    InPath(id, _): InPath<CaseId, UiError>,
    posted: Posted,
) -> Result<Response, UiError> {
    let Posted { session, form } = posted;
    let t = session.t;
    let text = |name: &str| form.get(name).map(str::to_owned);
    let lead = form.get("unit_id");
    // The suggested assisting units come ticked: choosing one of them to lead means it leads.
    let assist_unit_ids = form.all("assist_unit_ids").into_iter().filter(|u| Some(*u) != lead);
    let request = ActionRequest {
        action: text("action"),
        version: form.get("version").and_then(|v| v.parse().ok()),
        unit_id: lead.map(|u| serde_json::Value::String(u.to_owned())),
        assist_unit_ids: Some(assist_unit_ids.map(|u| serde_json::json!(u)).collect()),
        reason: text("reason"),
        working_days: form.get("working_days").and_then(|v| v.parse().ok()),
        text: text("text"),
        note: text("note"),
        outcome: text("outcome"),
        summary: text("summary"),
        satisfaction: text("satisfaction"),
    };
    let back = form.get("back").filter(|b| b.starts_with('/') && !b.starts_with("//")).unwrap_or_default();
    let back = if back.is_empty() { format!("/cases/{id}") } else { back.to_owned() };
    let step = form.get("action").and_then(Action::parse).map_or("", Action::as_str);
    let done = match request.parse() {
        Ok((command, version)) => {
            state.app.case_act(&session.viewer, id, command, version).await.map_err(ApiError::from)
        }
        Err(errors) => Err(ApiError::invalid(errors)),
    };
    let case = match done {
        Ok(case) => case,
        // Refused on the case page: the page again, the step's form as it was typed; from
        // another page (the dispatch board), back to it, saying why. Never a dead end.
        Err(error) if back == format!("/cases/{id}") => {
            let refusal = Refusal::new(t, step, form, error, STEP_FIELDS);
            return show_refused(&state, &session, id, refusal).await;
        }
        Err(error) => return Ok(redirect_with(&back, "error", &error_text(t, &error))),
    };
    let done = format!("{} {}：{}", case.number, t.s("已完成"), t.code("event", step));
    // A step such as a return can take the case out of the actor's scope: back to the workbench.
    let back = match state.app.case_get(&session.viewer, id, None).await {
        Err(app::AppError::NotFound { .. }) => "/workbench".to_owned(),
        _ => back,
    };
    Ok(redirect_with(&back, "ok", &done))
}
