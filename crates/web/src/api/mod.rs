//! The `/api/v1` routes, one module per resource.

mod alerts;
mod auth;
mod calendar;
mod case_import;
mod cases;
mod citizen;
mod command;
mod dto;
mod evaluations;
mod grid;
mod integration;
mod joint_meetings;
mod law;
mod live;
pub mod mediation;
mod org;
pub(crate) mod petitions;
mod police;
mod referrals;
pub(crate) mod reports;
mod risk_lists;
pub mod search;
pub mod sessions;
pub(crate) mod stats;
mod supervision;
mod task_forces;
mod triage;
pub mod video;
mod watch;
mod webhooks;
mod work_orders;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::me))
        .routes(routes!(auth::logout))
        .routes(routes!(citizen::code))
        .routes(routes!(citizen::login))
        .routes(routes!(citizen::logout))
        .routes(routes!(citizen::register, citizen::list))
        .routes(routes!(citizen::get_one))
        .routes(routes!(citizen::by_tracking_code))
        .routes(routes!(citizen::rate))
        .routes(routes!(citizen::evidence_add))
        .routes(routes!(citizen::evidence_file))
        .routes(routes!(citizen::evidence_comment))
        .routes(routes!(citizen::mediators))
        .routes(routes!(citizen::mediator_choose))
        .routes(routes!(citizen::session_act))
        .routes(routes!(citizen::agreement_sign))
        .routes(routes!(citizen::profile))
        .routes(routes!(citizen::real_name))
        .routes(routes!(citizen::refuse))
        .routes(routes!(citizen::confirmation_consent))
        .routes(routes!(citizen::served))
        .routes(routes!(integration::create, integration::list))
        .routes(routes!(integration::calls))
        .routes(routes!(integration::revoke))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::replay))
        .routes(routes!(webhooks::subscriptions))
        .routes(routes!(webhooks::subscription_deliveries))
        .routes(routes!(webhooks::subscription_replay))
        .routes(routes!(webhooks::subscription_replay_failing))
        .routes(routes!(webhooks::subscription_active))
        .routes(routes!(work_orders::receive, work_orders::list))
        .routes(routes!(work_orders::get_limits, work_orders::put_limits))
        .routes(routes!(work_orders::get_one))
        .routes(routes!(work_orders::import))
        .routes(routes!(work_orders::sign))
        .routes(routes!(work_orders::give_back))
        .routes(routes!(petitions::receive, petitions::list))
        .routes(routes!(petitions::get_one))
        .routes(routes!(petitions::act))
        .routes(routes!(referrals::receive, referrals::list))
        .routes(routes!(referrals::import))
        .routes(routes!(referrals::get_one))
        .routes(routes!(referrals::decide))
        .routes(routes!(org::units))
        .routes(routes!(org::regions))
        .routes(routes!(org::grids))
        .routes(routes!(cases::register, cases::list))
        .routes(routes!(cases::export))
        .routes({
            let (schemas, paths, router) = routes!(case_import::import);
            (schemas, paths, router.layer(axum::extract::DefaultBodyLimit::max(app::case_import::MAX_BYTES)))
        })
        .routes(routes!(cases::get_one))
        .routes(routes!(cases::case_file))
        .routes(routes!(cases::events))
        .routes(routes!(cases::similar))
        .routes(routes!(cases::receipt))
        .routes(routes!(cases::act))
        .routes(routes!(calendar::days))
        .routes(routes!(calendar::add_working_days))
        .routes(routes!(calendar::years))
        .routes(routes!(calendar::put_year))
        .routes(routes!(calendar::policies, calendar::put_policies))
        .routes(routes!(supervision::deadlines))
        .routes(routes!(supervision::notices))
        .routes(routes!(supervision::acknowledge))
        .routes(routes!(supervision::reply))
        .routes(routes!(supervision::counts))
        .routes(routes!(supervision::issue))
        .routes(routes!(supervision::sweep))
        .routes(routes!(supervision::work_notices))
        .routes(routes!(supervision::work))
        .routes(routes!(stats::summary))
        .routes(routes!(stats::figures))
        .routes(routes!(stats::figures_xlsx))
        .routes(routes!(stats::figure_cases))
        .routes(routes!(stats::put_population))
        .routes(routes!(stats::put_court_filings))
        .routes(routes!(live::live))
        .routes(routes!(command::command))
        .routes(routes!(command::map))
        .routes({
            let (schemas, paths, router) = routes!(command::put_boundaries, command::delete_boundaries);
            (schemas, paths, router.layer(axum::extract::DefaultBodyLimit::max(app::command::BOUNDARIES_MAX_BYTES)))
        })
        .routes(routes!(evaluations::evaluations))
        .routes(routes!(evaluations::unit_history))
        .routes(routes!(evaluations::get_rules, evaluations::put_rules))
        .routes(routes!(search::cases))
        .routes(routes!(law::search))
        .routes(routes!(triage::rules, triage::put_rules))
        .routes(routes!(triage::catalogue, triage::put_catalogue))
        .routes(routes!(triage::add_example))
        .routes(routes!(triage::address))
        .routes(routes!(triage::preview))
        .routes(routes!(mediation::create, mediation::of_case))
        .routes(routes!(mediation::get_one, mediation::update))
        .routes(routes!(mediation::start_signing))
        .routes(routes!(mediation::resend))
        .routes(routes!(mediation::signing_links))
        .routes(routes!(mediation::mediator_sign))
        .routes(routes!(mediation::seal))
        .routes(routes!(mediation::paper_signed))
        .routes(routes!(mediation::pdf))
        .routes(routes!(mediation::serve))
        .routes(routes!(mediation::apply_confirmation))
        .routes(routes!(mediation::ruling))
        .routes(routes!(mediation::performance))
        .routes(routes!(mediation::signing_view, mediation::sign))
        .routes(routes!(mediation::evidence_upload, mediation::evidence_list))
        .routes(routes!(mediation::evidence_file))
        .routes(routes!(mediation::mediators))
        .routes(routes!(mediation::outbox))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::places))
        .routes(routes!(reports::issue, reports::list))
        .routes(routes!(reports::get_one))
        .routes(routes!(reports::pdf))
        .routes(routes!(reports::xlsx))
        .routes(routes!(risk_lists::issue))
        .routes(routes!(risk_lists::get_one))
        .routes(routes!(risk_lists::acknowledge))
        .routes(routes!(risk_lists::report))
        .routes(routes!(risk_lists::close))
        .routes(routes!(risk_lists::send_back))
        .routes(routes!(risk_lists::people))
        .routes(routes!(watch::enter, watch::list))
        .routes(routes!(watch::get_one))
        .routes(routes!(watch::visit))
        .routes(routes!(watch::schedule))
        .routes(routes!(watch::release))
        .routes(routes!(joint_meetings::convene, joint_meetings::list))
        .routes(routes!(joint_meetings::get_one))
        .routes(routes!(joint_meetings::minutes))
        .routes(routes!(joint_meetings::decide))
        .routes(routes!(joint_meetings::acknowledge))
        .routes(routes!(joint_meetings::report))
        .routes(routes!(police::refer, police::of_case))
        .routes(routes!(police::list))
        .routes(routes!(police::acknowledge))
        .routes(routes!(police::feedback))
        .routes(routes!(police::criminal_case))
        .routes(routes!(police::hand_over, police::incidents))
        .routes(routes!(police::incident))
        .routes(routes!(task_forces::form, task_forces::of_case))
        .routes(routes!(task_forces::led))
        .routes(routes!(task_forces::milestone_done))
        .routes(routes!(grid::patrol_record, grid::patrols))
        .routes(routes!(grid::coverage))
        .routes(routes!(grid::patrol))
        .routes(routes!(grid::patrol_finish))
        .routes(routes!(grid::hazard_report, grid::hazards))
        .routes(routes!(grid::hazard))
        .routes(routes!(grid::hazard_act))
        .routes(routes!(sessions::calendar))
        .routes(routes!(sessions::list, sessions::schedule))
        .routes(routes!(sessions::party_act))
        .routes(routes!(sessions::minutes))
        .routes(routes!(sessions::refusal))
        .routes(routes!(sessions::mediator, sessions::assign))
        .routes(routes!(video::invitations))
        .routes(routes!(video::admit))
        .routes(routes!(video::recordings))
        .routes(routes!(video::recording_file))
        .routes(routes!(video::get_retention, video::put_retention))
        .routes(routes!(video::hold_place, video::hold_release))
        .routes(routes!(video::holds))
}
