//! The staff web UI: server-rendered pages (askama, checked at compile time) over the same
//! store calls as the API, with small scripts only where they earn their place.
//!
//! Sessions are cookies holding an opaque token of kind `session` (HttpOnly, SameSite=Lax);
//! every form carries a CSRF token derived from the session token, and every POST handler
//! takes a [`Posted`] form, which refuses a missing or wrong one, so no handler can forget.
//! All assets are served by the binary itself (`/assets/…`): no page loads anything from
//! another host.

mod account;
mod admin;
mod assets;
mod calendar;
mod casefile;
mod cases;
mod command;
mod grid;
pub mod i18n;
mod intake;
mod joint;
mod kiosk;
mod law;
mod mediation;
mod petitions;
mod police_incidents;
mod portal;
mod qr;
mod receipt;
mod referrals;
mod reports;
mod risk;
pub mod session;
mod stats;
mod task_forces;
mod video;
mod watch;
mod work;
mod work_orders;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::authz::{self, Permission};
use domain::ids::UnitId;
use domain::org::Role;

pub use session::{Posted, Session};

use crate::AppState;
use crate::error::ApiError;
use i18n::{T, UiLang};

tokio::task_local! {
    /// The UI language of the request being served (cookie, else `Accept-Language`).
    pub static UI_LANG: UiLang;
}

/// The UI language of the current request.
pub fn current_ui_lang() -> UiLang {
    UI_LANG.try_with(|l| *l).unwrap_or_default()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/workbench") }))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/lang/{tag}", get(session::switch_language))
        .route("/assets/{file}", get(assets::serve))
        .route("/workbench", get(work::workbench))
        .route("/command", get(command::page))
        .route("/dispatch", get(work::dispatch_board))
        .route("/inbox", get(work::inbox))
        .route("/notices", get(work::notices))
        .route("/stats", get(stats::page))
        .route("/stats/cases/{code}", get(stats::cases))
        .route("/notices/{id}/ack", post(work::notice_acknowledge))
        .route("/notices/{id}/reply", post(work::notice_reply))
        .route("/reports", get(reports::list).post(reports::issue))
        .route("/reports/{id}", get(reports::page))
        .route("/reports/{id}/{format}", get(reports::file))
        .route("/patrol", get(grid::patrol))
        .route("/patrol/start", post(grid::patrol_start))
        .route("/patrol/hazards", post(grid::hazard_report))
        .route("/patrol/{id}/finish", post(grid::patrol_finish))
        .route("/hazards", get(grid::hazards))
        .route("/hazards/{id}", get(grid::hazard))
        .route("/hazards/{id}/{action}", post(grid::hazard_act))
        .route("/joint-meetings", get(joint::meetings).post(joint::convene))
        .route("/joint-meetings/{id}", get(joint::meeting))
        .route("/joint-meetings/{id}/minutes", post(joint::minutes))
        .route("/joint-meetings/{id}/decisions", post(joint::decide))
        .route("/joint-meetings/{id}/decisions/{decision}/{action}", post(joint::decision_act))
        .route("/risk-lists", get(risk::lists).post(risk::issue))
        .route("/risk-places", get(risk::places))
        .route("/people-risk", get(watch::register).post(watch::enter))
        .route("/people-risk/{id}", get(watch::person))
        .route("/people-risk/{id}/{action}", post(watch::person_act))
        .route("/risk-lists/{id}", get(risk::list))
        .route("/risk-lists/{id}/items/{item}/{action}", post(risk::item_act))
        .route("/intake", get(intake::page).post(intake::register))
        .route("/intake/check", post(intake::check))
        .route("/intake/registered/{id}", get(intake::registered))
        .route("/queue/take", post(intake::queue_take))
        .route("/queue/call", post(intake::queue_call))
        .route("/queue/recall", post(intake::queue_recall))
        .route("/queue/screen", get(intake::queue_screen))
        .route("/queue/screen/calls", get(intake::queue_screen_calls))
        .route("/cases", get(cases::list))
        .route("/cases/{id}", get(cases::page))
        .route("/cases/{id}/act", post(cases::act))
        .route("/cases/{id}/notices", post(cases::notice_issue))
        .route("/cases/{id}/police-referrals", post(cases::police_refer))
        .route("/cases/{id}/recordings/hold", post(cases::recordings_hold))
        .route("/cases/{id}/recordings/release", post(cases::recordings_release))
        .route("/cases/{id}/police-referrals/{referral}/{step}", post(cases::police_act))
        .route("/cases/{id}/task-force", post(cases::task_force_form))
        .route("/task-forces", get(task_forces::led))
        .route("/work-orders", get(work_orders::list))
        .route("/work-orders/{id}/{answer}", post(work_orders::answer))
        .route("/referrals", get(referrals::list))
        .route("/referrals/import", post(referrals::upload))
        .route("/referrals/import/confirm", post(referrals::confirm))
        .route("/referrals/template.xlsx", get(referrals::template))
        .route("/referrals/{id}", get(referrals::page))
        .route("/referrals/{id}/{decision}", post(referrals::decide))
        .route("/work-orders/import", post(work_orders::upload))
        .route("/work-orders/import/confirm", post(work_orders::confirm))
        .route("/work-orders/template.xlsx", get(work_orders::template))
        .route("/police-incidents", get(police_incidents::list))
        .route("/police-incidents/new", get(police_incidents::new).post(police_incidents::hand_over))
        .route("/petitions", get(petitions::list).post(petitions::enter))
        .route("/petitions/{id}", get(petitions::page))
        .route("/petitions/{id}/{action}", post(petitions::act))
        .route("/task-forces/{id}/milestones/{milestone}/done", post(cases::milestone_done))
        .route("/cases/{id}/reveal", post(cases::reveal))
        .route("/cases/{id}/receipt", get(receipt::page))
        .route("/cases/{id}/print", get(casefile::print))
        .route("/cases/{id}/agreements", post(mediation::draft))
        .route("/cases/{id}/evidence", post(mediation::evidence))
        .route("/cases/{id}/evidence/{evidence}", get(mediation::evidence_file))
        .route("/recordings/{id}", get(video::recording))
        .route("/cases/{id}/sessions", post(mediation::session_schedule))
        .route("/cases/{id}/refusal", post(mediation::refusal))
        .route("/cases/{id}/mediator", post(mediation::mediator_assign))
        .route("/sessions", get(calendar::week))
        .route("/sessions/{id}/minutes", post(mediation::session_minutes))
        .route("/sessions/{id}/parties/{index}/{act}", post(mediation::session_party_act))
        .route("/agreements/{id}/pdf", get(mediation::pdf))
        .route("/agreements/{id}/{action}", post(mediation::act))
        .route("/sign/{token}", get(mediation::sign_form).post(mediation::sign))
        .route("/video/join/{token}", get(video::join))
        .route("/video/join/{token}/ws", get(crate::rooms::socket))
        .route("/video/join/{token}/minutes", get(video::minutes).put(video::minutes_save))
        .route("/video/join/{token}/minutes/ask", post(video::minutes_ask))
        .route("/video/join/{token}/minutes/confirm", post(video::minutes_confirm))
        .route("/video/join/{token}/agreement", get(video::agreement))
        .route("/video/join/{token}/agreement/ask", post(video::agreement_ask))
        .route("/portal", get(portal::home))
        .route("/portal/code", post(portal::code))
        .route("/portal/login", post(portal::login))
        .route("/portal/logout", post(portal::logout))
        .route("/portal/new", get(portal::new_form).post(portal::new_submit))
        .route("/portal/check", post(portal::check))
        .route(
            "/portal/cases/{id}/evidence",
            post(portal::evidence_add)
                .layer(axum::extract::DefaultBodyLimit::max(app::mediation::EVIDENCE_MAX_BYTES + 64 * 1024)),
        )
        .route("/portal/cases/{id}/evidence/{evidence}", get(portal::evidence_file))
        .route("/portal/cases/{id}/evidence/{evidence}/comments", post(portal::evidence_comment))
        .route("/portal/cases/{id}/mediator", post(portal::mediator_choose))
        .route("/portal/sessions/{id}/{act}", post(portal::session_act))
        .route("/portal/agreements/{id}/signature", post(portal::agreement_sign))
        .route("/portal/agreements/{id}/confirmation", post(portal::confirmation_consent))
        .route("/portal/agreements/{id}/served", get(portal::served))
        .route("/portal/cases/{id}/refusal", post(portal::refuse))
        .route("/portal/profile", get(portal::profile))
        .route("/portal/profile/real-name", post(portal::real_name))
        .route("/portal/manifest.webmanifest", get(portal::manifest))
        .route("/portal/sw.js", get(portal::service_worker))
        .route("/portal/offline", get(portal::offline))
        .route("/law", get(law::page))
        .route("/kiosk", get(kiosk::home))
        .route("/kiosk/start", post(kiosk::start))
        .route("/kiosk/ticket", post(kiosk::take))
        .route("/kiosk/ticket/{number}", get(kiosk::ticket))
        .route("/kiosk/reset", post(kiosk::reset))
        .route("/portal/cases/{id}", get(portal::case))
        .route("/portal/cases/{id}/rating", post(portal::rate))
        .route("/portal/t/{code}", get(portal::tracking))
        .route("/account/password", get(account::password_form).post(account::password_change))
        .route("/admin", get(admin::page))
        .route("/admin/regions", get(admin::regions::regions_list).post(admin::regions::region_create))
        .route("/admin/regions/{code}", get(admin::regions::region_show).post(admin::regions::region_update))
        .route("/admin/regions/{code}/active", post(admin::regions::region_active_set))
        .route(
            "/admin/regions/{code}/boundaries",
            post(admin::regions::boundaries_import)
                .layer(axum::extract::DefaultBodyLimit::max(app::command::BOUNDARIES_MAX_BYTES + 64 * 1024)),
        )
        .route("/admin/regions/{code}/boundaries/clear", post(admin::regions::boundaries_clear))
        .route("/admin/grids", get(admin::regions::grids_list).post(admin::regions::grid_create))
        .route("/admin/grids/{id}", get(admin::regions::grid_show).post(admin::regions::grid_update))
        .route("/admin/grids/{id}/active", post(admin::regions::grid_active_set))
        .route("/admin/import", get(admin::import::page).post(admin::import::upload))
        .route("/admin/import/confirm", post(admin::import::confirm))
        .route(
            "/admin/import/cases",
            post(admin::case_import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(app::case_import::MAX_BYTES + 64 * 1024)),
        )
        .route("/admin/import/cases/confirm", post(admin::case_import::confirm))
        .route("/admin/import/cases/{digest}", get(admin::case_import::imported))
        .route("/admin/import/template/{kind}", get(admin::import::template))
        .route("/admin/users", get(admin::users::list).post(admin::users::create))
        .route("/admin/users/new", get(admin::users::new_form))
        .route("/admin/users/{id}", get(admin::users::show).post(admin::users::update))
        .route("/admin/users/{id}/password", post(admin::users::password_reset))
        .route("/admin/users/{id}/active", post(admin::users::active_set))
        .route("/admin/units", get(admin::units::list).post(admin::units::create))
        .route("/admin/units/new", get(admin::units::new_form))
        .route("/admin/units/{id}", get(admin::units::show).post(admin::units::update))
        .route("/admin/units/{id}/active", post(admin::units::active_set))
        .route("/admin/systems", get(admin::systems::list).post(admin::systems::create))
        .route("/admin/systems/{id}/revoke", post(admin::systems::revoke))
        .route("/admin/webhooks", get(admin::webhooks::list))
        .route("/admin/webhooks/{id}", get(admin::webhooks::show))
        .route("/admin/webhooks/{id}/deliveries/{delivery}/replay", post(admin::webhooks::replay))
        .route("/admin/webhooks/{id}/replay-failing", post(admin::webhooks::replay_failing))
        .route("/admin/webhooks/{id}/active", post(admin::webhooks::active_set))
        .route("/admin/routing", get(admin::routing::page))
        .route("/admin/routing/{category}", get(admin::routing::category_form).post(admin::routing::category_put))
        .route("/admin/calendar", get(admin::settings::calendar_form).post(admin::settings::calendar_put))
        .route("/admin/policies", get(admin::settings::policies_form).post(admin::settings::policies_put))
        .route("/admin/work-orders", get(admin::work_orders::form).post(admin::work_orders::save))
        .route("/admin/recordings", get(admin::recordings::form).post(admin::recordings::save))
        .route("/admin/rules", get(admin::settings::rules_form).post(admin::settings::rules_put))
}

/// A link of the main navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
    /// A number worth the user's attention (notices awaiting a reply).
    pub count: i64,
}

/// A message shown once at the top of the next page.
pub struct Flash {
    /// ok | error | warn
    pub kind: &'static str,
    pub text: String,
}

/// What every page's frame needs: language, user, navigation, CSRF token, a flash message.
pub struct Page {
    pub t: T,
    pub title: String,
    pub csrf: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_name: String,
    pub nav: Vec<NavLink>,
    pub flash: Option<Flash>,
    /// Notices to the user's unit awaiting a written reply.
    pub awaiting: i64,
    /// The current path with its query, for the language switcher to come back to.
    pub here: String,
}

impl Page {
    pub async fn new(state: &AppState, session: &Session, title: &str, here: &str) -> Result<Page, UiError> {
        let t = session.t;
        let role = session.viewer.role;
        let awaiting = state.app.notices_awaiting_count(&session.viewer).await?;
        let unit_name = state.app.unit(UnitId(session.viewer.unit_id)).await?.name;
        let section = here.split(['/', '?']).nth(1).unwrap_or_default();
        let mut nav = vec![("/workbench", "工作台")];
        if authz::has(role, Permission::PatrolLog) {
            nav.push(("/patrol", "巡查"));
        }
        if authz::has(role, Permission::GridRead) {
            nav.push(("/hazards", "隐患台账"));
        }
        if authz::has(role, Permission::CaseRegister) {
            nav.push(("/intake", "窗口登记"));
        }
        if matches!(role, Role::Dispatcher | Role::Leader | Role::Admin) {
            nav.push(("/dispatch", "分流调度"));
        }
        if matches!(role, Role::Handler | Role::Mediator | Role::Court | Role::GridWorker) {
            nav.push(("/inbox", "本单位收件"));
        }
        nav.push(("/cases", "案件查询"));
        if authz::has(role, Permission::SessionsRead) {
            nav.push(("/sessions", "调解日程"));
        }
        nav.push(("/notices", "函单令"));
        // 三色三单: the centres that watch the territory, and every unit that may be assigned an item.
        if authz::has(role, Permission::AlertsRead) || authz::has(role, Permission::NoticeReply) {
            nav.push(("/risk-lists", "风险清单"));
        }
        // 重点人员: the centres that keep the register, the grid workers who visit.
        if authz::has(role, Permission::PeopleRiskRead) || authz::has(role, Permission::PeopleVisit) {
            nav.push(("/people-risk", "重点人员"));
        }
        // 联席研判: the centres that convene it.
        if authz::has(role, Permission::JointMeetingManage) {
            nav.push(("/joint-meetings", "联席研判"));
        }
        if matches!(role, Role::Dispatcher | Role::Leader | Role::Admin) {
            nav.push(("/stats", "统计分析"));
        }
        // 12345 工单: the centre's intake and dispatchers answer the hotline's orders.
        if authz::has(role, Permission::WorkOrders) {
            nav.push(("/work-orders", "12345 工单"));
        }
        // 诉调对接: the court desk follows its referrals; the centre confirms or declines them.
        if authz::has(role, Permission::ReferralsRead) {
            nav.push(("/referrals", "诉调对接"));
        }
        // 警调对接: a police desk follows its hand-overs; the centre those of its scope.
        if authz::has(role, Permission::PoliceIncidents) {
            nav.push(("/police-incidents", "警情移交"));
        }
        // 信访转办: the centre's intake, dispatchers and leaders answer the petition office.
        if authz::has(role, Permission::Petitions) {
            nav.push(("/petitions", "信访转办"));
        }
        // 我包的案: a leader's own task forces.
        if role == Role::Leader {
            nav.push(("/task-forces", "我包的案"));
        }
        if authz::has(role, Permission::CommandScreenView) {
            nav.push(("/command", "指挥大屏"));
        }
        // 定期报告: the territory's for those who read the statistics; the units a report is sent
        // to read theirs there too.
        if authz::has(role, Permission::ReportRead) {
            nav.push(("/reports", "定期报告"));
        }
        if authz::has(role, Permission::OrganisationManage) {
            nav.push(("/admin", "系统管理"));
        }
        let nav = nav
            .into_iter()
            .map(|(href, label)| NavLink {
                href,
                label,
                current: href.trim_start_matches('/') == section,
                count: if href == "/notices" { awaiting } else { 0 },
            })
            .collect();
        Ok(Page {
            t,
            title: t.s(title).into_owned(),
            csrf: session.csrf.clone(),
            username: session.user.username.clone(),
            display_name: session.user.display_name.clone(),
            role: t.code("role", role.as_str()),
            unit_name,
            nav,
            flash: session.flash.as_ref().map(|(kind, text)| Flash { kind, text: text.clone() }),
            awaiting,
            here: here.to_owned(),
        })
    }
}

/// Renders a template as a page with `status`; clears the flash message it showed.
pub fn render(status: StatusCode, template: &impl Template, shown_flash: bool) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            if shown_flash {
                response.headers_mut().append(header::SET_COOKIE, session::clear_cookie(session::FLASH_COOKIE));
            }
            response
        }
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// Redirects after a successful POST, with a message for the next page.
pub fn redirect_with(to: &str, kind: &'static str, text: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(header::SET_COOKIE, session::flash_cookie(kind, text));
    response
}

/// What went wrong, for a person: every field at fault, else the error's message.
pub fn error_text(t: T, error: &ApiError) -> String {
    let fields: Vec<String> = error.fields.iter().map(|f| t.msg(&f.message())).collect();
    if fields.is_empty() { t.msg(&error.message) } else { fields.join("；") }
}

/// A `datetime-local` value (China time, no offset) as RFC 3339; anything else as given.
pub fn china_local_time(value: String) -> String {
    if value.len() == 16 { format!("{value}:00+08:00") } else { value }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum UiError {
    /// Not signed in: to the login page, then back to `next`.
    SignIn { next: String },
    /// A POST without the form's CSRF token.
    Csrf,
    /// Anything the API would answer with an error.
    Failed(ApiError),
}

impl From<app::AppError> for UiError {
    fn from(error: app::AppError) -> Self {
        UiError::Failed(error.into())
    }
}

impl From<domain::authz::Denial> for UiError {
    fn from(denial: domain::authz::Denial) -> Self {
        UiError::Failed(denial.into())
    }
}

impl From<ApiError> for UiError {
    fn from(error: ApiError) -> Self {
        UiError::Failed(error)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: T,
    status: u16,
    message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let t = T { lang: current_ui_lang() };
        let (status, message) = match self {
            UiError::SignIn { next } => {
                return Redirect::to(&format!("/login?next={}", session::encode_component(&next))).into_response();
            }
            UiError::Csrf => (StatusCode::FORBIDDEN, t.s("表单已失效或来源不明，请刷新页面后重试。").into_owned()),
            UiError::Failed(error) => (error.status, error_text(t, &error)),
        };
        render(status, &ErrorPage { t, status: status.as_u16(), message }, false)
    }
}

/// The regions of the viewer's territory for a picker, each after its parent and indented by
/// its depth below the territory; communities only when the territory is a street or below (a
/// district's picker would otherwise list hundreds).
/// The furthest page a list goes to: far enough for any list a person pages through, near
/// enough that its offset never overflows.
const PAGE_MAX: i64 = 100_000;

/// The page of a list asked for (`?page=2`), from 1 to [`PAGE_MAX`].
pub fn page_of(asked: Option<i64>) -> i64 {
    asked.unwrap_or(1).clamp(1, PAGE_MAX)
}

/// A list by state (`?state=…&page=…`): the court desk's referrals, the police hand-overs, the
/// 12345 work orders.
#[derive(Debug, serde::Deserialize)]
pub struct StateListQuery {
    pub state: Option<String>,
    pub page: Option<i64>,
}

pub async fn territory_regions(state: &AppState, viewer: &app::Viewer) -> Result<Vec<(String, String)>, UiError> {
    const LEVELS: [&str; 5] = ["province", "city", "district", "street", "community"];
    let depth = |level: &str| LEVELS.iter().position(|l| *l == level).unwrap_or(0);
    let own = &viewer.scope.region;
    let own_depth = depth(own.level().as_str());
    let (low, high) = own.subtree_range();
    let deep = own.level() >= domain::org::RegionLevel::Street;
    let mut regions: Vec<(String, String)> = state
        .app
        .regions()
        .await?
        .into_iter()
        .filter(|r| r.active && low <= r.code && r.code <= high && (deep || r.level != "community"))
        .map(|r| {
            let indent = "　".repeat(depth(&r.level).saturating_sub(own_depth));
            (r.code, format!("{indent}{}", r.name))
        })
        .collect();
    regions.sort();
    Ok(regions)
}
