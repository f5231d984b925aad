//! 权限: who may do what — the one policy. Every authorisation decision outside the case
//! workflow (whose table is [`crate::workflow`]) asks [`may`]; the policy is data
//! ([`POLICY`]), so a test can enumerate every role × permission × resource and derive the
//! expected answer from the same table the server uses.
//!
//! Whether a resource is visible at all is the data scope's question, answered by the store
//! (a case outside the scope is "not found"); this module answers what a viewer may *do* with
//! what they see.

use crate::msg;
use crate::org::{self, Role};
use crate::validation::{Arg, Message};

/// The signed-in user a request acts for: who they are, their role and unit, and what they
/// may see (the data scope the store applies to every read).
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub unit_id: i64,
    pub scope: org::Scope,
}

/// Something a staff member may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// 登记: register a case (and preview its triage).
    CaseRegister,
    /// See a party's full ID number and phone (every view recorded).
    PersonalDataReveal,
    /// 调解: draft, edit, send and seal agreements, schedule sessions and record minutes,
    /// serve agreements, record performance, add evidence, record a refusal.
    Mediate,
    /// Sign an agreement as its mediator.
    AgreementMediatorSign,
    /// 司法确认裁定: rule on an application for judicial confirmation.
    ConfirmationRule,
    /// 指定调解员: choose or change a case's mediator.
    MediatorChoose,
    /// 督办: issue a reminder, warning or supervision order by hand.
    NoticeIssue,
    /// 签收/回复: acknowledge and reply to a notice.
    NoticeReply,
    /// Run a sweep of the supervision ladder now.
    SweepRun,
    /// 调解日程: see the calendar of mediation sessions.
    SessionsRead,
    /// Read the SMS outbox.
    OutboxRead,
    /// 预警: see the early-warning alerts of the scope (DOMAIN.md §5.2).
    AlertsRead,
    /// Maintain calendar years and clock policies.
    CalendarManage,
    /// Maintain the triage rules and the routing catalogue.
    TriageManage,
    /// Add a labelled example to the classifier's corpus.
    TriageExampleAdd,
    /// Maintain regions, grids, units and users.
    OrganisationManage,
    /// 网上登记: a citizen brings their own dispute through the portal.
    CitizenCaseBring,
    /// A citizen follows a case where they are a party (its progress, deadlines, 解纷码).
    CitizenCaseFollow,
    /// 评价: a party rates the result of their concluded case.
    CitizenCaseRate,
    /// 群众点单: a party chooses their case's mediator from those it is offered.
    CitizenMediatorChoose,
    /// Create, list and revoke the accounts and API keys of other systems.
    SystemAccountManage,
    /// 推送管理: see every system account's webhooks and their delivery logs, replay deliveries
    /// and disable or enable a subscription (every act recorded).
    WebhooksManage,
    /// 亮牌: see the units' monthly cards and their reasons.
    EvaluationRead,
    /// Maintain the rules of the unit evaluation.
    EvaluationRulesManage,
    /// 三色三单: issue the risk list of one's own centre's territory and close (销号) its items.
    RiskListManage,
    /// 联席研判: convene one's own centre's joint assessment meeting, write its minutes and
    /// decide who does what by when.
    JointMeetingManage,
    /// 重点人员: see the register of people who need attention (every look recorded).
    PeopleRiskRead,
    /// 重点人员列管: put a person on the register, change their colour and visit schedule,
    /// release them.
    PeopleWatchManage,
    /// 走访: see the people of the register one visits and record each visit.
    PeopleVisit,
    /// 指挥中心大屏: the command screen of the territory (counts, live feed, map, cards).
    CommandScreenView,
    /// 移送公安: refer a red case to the police unit of its territory (人民调解法 art. 25).
    PoliceRefer,
    /// 公安签收反馈: the police unit acknowledges a referral, answers it and records a criminal case that followed.
    PoliceReferralAnswer,
    /// 一案一专班 / 领导包案: form a case's task force, its leader, member units and plan.
    TaskForceManage,
    /// 定期报告: read the periodic reports of the territory (日抽查 · 周分析 · 月通报 · 季问效).
    ReportRead,
    /// 定期报告: issue a periodic report of a region of the territory on demand.
    ReportIssue,
    /// 诉前委派: see the court's referrals and their clocks (a court its own, a centre those of
    /// its scope).
    ReferralsRead,
    /// 诉前委派: confirm or decline a court's referral.
    ReferralDecide,
    /// 12345 工单: see the hotline's work orders and acknowledge (签收) or return (退单) them.
    WorkOrders,
    /// 信访转办: see the petitions transferred to the centre, accept, object to, transfer on,
    /// extend, reply to them and record the petitioner's 复查/复核 requests.
    Petitions,
    /// 警调对接: see the 110 disputes a police unit handed over and what became of them.
    PoliceIncidents,
    /// 日巡查: record a patrol of one's grid and finish it.
    PatrolLog,
    /// 网格巡查与隐患台账: see the patrols and hazards of one's grid or territory.
    GridRead,
    /// 隐患上报: report a hazard or a dispute clue found in one's grid.
    HazardReport,
    /// 隐患处置: resolve on the spot, escalate, register as a case or close a hazard.
    HazardHandle,
    /// 录音录像保全: place a legal hold on a case's recordings (the retention purge skips them)
    /// and release it.
    RecordingHold,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::CaseRegister,
        Permission::PersonalDataReveal,
        Permission::Mediate,
        Permission::AgreementMediatorSign,
        Permission::ConfirmationRule,
        Permission::MediatorChoose,
        Permission::NoticeIssue,
        Permission::NoticeReply,
        Permission::SweepRun,
        Permission::SessionsRead,
        Permission::OutboxRead,
        Permission::AlertsRead,
        Permission::CalendarManage,
        Permission::TriageManage,
        Permission::TriageExampleAdd,
        Permission::OrganisationManage,
        Permission::CitizenCaseBring,
        Permission::CitizenCaseFollow,
        Permission::CitizenCaseRate,
        Permission::CitizenMediatorChoose,
        Permission::SystemAccountManage,
        Permission::WebhooksManage,
        Permission::EvaluationRead,
        Permission::EvaluationRulesManage,
        Permission::RiskListManage,
        Permission::JointMeetingManage,
        Permission::PeopleRiskRead,
        Permission::PeopleWatchManage,
        Permission::PeopleVisit,
        Permission::CommandScreenView,
        Permission::PoliceRefer,
        Permission::PoliceReferralAnswer,
        Permission::TaskForceManage,
        Permission::ReportRead,
        Permission::ReportIssue,
        Permission::ReferralsRead,
        Permission::ReferralDecide,
        Permission::WorkOrders,
        Permission::Petitions,
        Permission::PoliceIncidents,
        Permission::PatrolLog,
        Permission::GridRead,
        Permission::HazardReport,
        Permission::HazardHandle,
        Permission::RecordingHold,
    ];

    /// What a system account may be granted, by the code the API names it with. A system
    /// account acts with its own grants only; the policy's table still decides each request.
    pub const SYSTEM_GRANTABLE: &'static [(&'static str, Permission)] = &[
        ("case_register", Permission::CaseRegister),
        ("referrals_read", Permission::ReferralsRead),
        ("police_incidents", Permission::PoliceIncidents),
    ];

    /// The permission a system account's grant code names, if it is grantable.
    pub fn system_grantable(code: &str) -> Option<Permission> {
        Self::SYSTEM_GRANTABLE.iter().find(|(c, _)| *c == code).map(|(_, p)| *p)
    }

    /// The grant code of a permission grantable to system accounts.
    pub fn system_code(self) -> Option<&'static str> {
        Self::SYSTEM_GRANTABLE.iter().find(|(_, p)| *p == self).map(|(c, _)| *c)
    }

    /// The permission as words (a catalogue key: "登记案件" / "register cases").
    pub fn message(self) -> Message {
        Message::new(match self {
            Permission::CaseRegister => "permission.case_register",
            Permission::PersonalDataReveal => "permission.personal_data_reveal",
            Permission::Mediate => "permission.mediate",
            Permission::AgreementMediatorSign => "permission.agreement_mediator_sign",
            Permission::ConfirmationRule => "permission.confirmation_rule",
            Permission::MediatorChoose => "permission.mediator_choose",
            Permission::NoticeIssue => "permission.notice_issue",
            Permission::NoticeReply => "permission.notice_reply",
            Permission::SweepRun => "permission.sweep_run",
            Permission::SessionsRead => "permission.sessions_read",
            Permission::OutboxRead => "permission.outbox_read",
            Permission::AlertsRead => "permission.alerts_read",
            Permission::CalendarManage => "permission.calendar_manage",
            Permission::TriageManage => "permission.triage_manage",
            Permission::TriageExampleAdd => "permission.triage_example_add",
            Permission::OrganisationManage => "permission.organisation_manage",
            Permission::CitizenCaseBring => "permission.citizen_case_bring",
            Permission::CitizenCaseFollow => "permission.citizen_case_follow",
            Permission::CitizenCaseRate => "permission.citizen_case_rate",
            Permission::CitizenMediatorChoose => "permission.citizen_mediator_choose",
            Permission::SystemAccountManage => "permission.system_account_manage",
            Permission::WebhooksManage => "permission.webhooks_manage",
            Permission::EvaluationRead => "permission.evaluation_read",
            Permission::EvaluationRulesManage => "permission.evaluation_rules_manage",
            Permission::RiskListManage => "permission.risk_list_manage",
            Permission::JointMeetingManage => "permission.joint_meeting_manage",
            Permission::PeopleRiskRead => "permission.people_risk_read",
            Permission::PeopleWatchManage => "permission.people_watch_manage",
            Permission::PeopleVisit => "permission.people_visit",
            Permission::CommandScreenView => "permission.command_screen_view",
            Permission::PoliceRefer => "permission.police_refer",
            Permission::PoliceReferralAnswer => "permission.police_referral_answer",
            Permission::TaskForceManage => "permission.task_force_manage",
            Permission::ReportRead => "permission.report_read",
            Permission::ReportIssue => "permission.report_issue",
            Permission::ReferralsRead => "permission.referrals_read",
            Permission::ReferralDecide => "permission.referral_decide",
            Permission::WorkOrders => "permission.work_orders",
            Permission::Petitions => "permission.petitions",
            Permission::PoliceIncidents => "permission.police_incidents",
            Permission::PatrolLog => "permission.patrol_log",
            Permission::GridRead => "permission.grid_read",
            Permission::HazardReport => "permission.hazard_report",
            Permission::HazardHandle => "permission.hazard_handle",
            Permission::RecordingHold => "permission.recording_hold",
        })
    }

    /// For logs and `Display`: English words.
    fn en(self) -> &'static str {
        match self {
            Permission::CaseRegister => "register cases",
            Permission::PersonalDataReveal => "see full personal data",
            Permission::Mediate => "handle the mediation",
            Permission::AgreementMediatorSign => "sign as the mediator",
            Permission::ConfirmationRule => "rule on judicial confirmation",
            Permission::MediatorChoose => "choose the mediator",
            Permission::NoticeIssue => "issue notices by hand",
            Permission::NoticeReply => "acknowledge and reply to notices",
            Permission::SweepRun => "run a supervision sweep",
            Permission::SessionsRead => "see the mediation sessions",
            Permission::OutboxRead => "read the SMS outbox",
            Permission::AlertsRead => "see the early-warning alerts",
            Permission::CalendarManage => "maintain calendars and time limits",
            Permission::TriageManage => "maintain triage rules and the catalogue",
            Permission::TriageExampleAdd => "add classifier examples",
            Permission::OrganisationManage => "maintain regions, units and users",
            Permission::CitizenCaseBring => "bring a dispute through the portal",
            Permission::CitizenCaseFollow => "follow one's own case",
            Permission::CitizenCaseRate => "rate one's own case",
            Permission::CitizenMediatorChoose => "choose the mediator of one's own case",
            Permission::SystemAccountManage => "maintain system accounts and API keys",
            Permission::WebhooksManage => "look after the systems' webhooks and replay their deliveries",
            Permission::EvaluationRead => "see the unit evaluations",
            Permission::EvaluationRulesManage => "maintain the evaluation rules",
            Permission::RiskListManage => "issue the centre's risk lists and close their items",
            Permission::JointMeetingManage => "convene the centre's joint assessment meetings",
            Permission::PeopleRiskRead => "see the register of people who need attention",
            Permission::PeopleWatchManage => "keep the register of people who need attention",
            Permission::PeopleVisit => "visit the people of the register",
            Permission::CommandScreenView => "watch the command screen",
            Permission::PoliceRefer => "refer a case to the police",
            Permission::PoliceReferralAnswer => "answer a police referral",
            Permission::TaskForceManage => "form a case's task force",
            Permission::ReportRead => "read the periodic reports",
            Permission::ReportIssue => "issue a periodic report",
            Permission::ReferralsRead => "see the courts' referrals",
            Permission::ReferralDecide => "confirm or decline a court's referral",
            Permission::WorkOrders => "acknowledge or return the hotline's work orders",
            Permission::Petitions => "handle the petitions transferred to the centre",
            Permission::PoliceIncidents => "see the disputes the police handed over",
            Permission::PatrolLog => "log a patrol",
            Permission::GridRead => "see the patrols and hazards",
            Permission::HazardReport => "report a hazard",
            Permission::HazardHandle => "handle a hazard",
            Permission::RecordingHold => "place or release a hold on a case's recordings",
        }
    }
}

/// How far a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Anything the viewer sees (the data scope decides that).
    Scope,
    /// Only a case the viewer's unit handles (lead or assisting).
    Handling,
    /// Only what is addressed to the viewer's unit (a notice, an application to a court).
    Addressed,
    /// Only a case whose responsible unit lies below the viewer's centre (督办 comes from above).
    Supervising,
    /// Only what is the viewer's own (a mediator's own sessions).
    Own,
}

/// What the policy needs to know of the resource acted on, relative to the viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resource {
    /// The viewer's unit handles the case (lead or assisting).
    pub handling: bool,
    /// The resource is addressed to the viewer's unit.
    pub addressed: bool,
    /// The viewer's unit is a centre above the unit responsible for the case.
    pub supervising: bool,
    /// The resource is the viewer's own.
    pub own: bool,
}

impl Resource {
    /// A resource with no relation to the viewer's unit (a system setting, a case seen by scope).
    pub const ANY: Resource = Resource { handling: false, addressed: false, supervising: false, own: false };
    pub const HANDLED: Resource = Resource { handling: true, ..Resource::ANY };
    pub const ADDRESSED: Resource = Resource { addressed: true, ..Resource::ANY };
    pub const SUPERVISED: Resource = Resource { supervising: true, ..Resource::ANY };
    pub const OWN: Resource = Resource { own: true, ..Resource::ANY };
}

use Permission as P;
use Reach::{Addressed, Handling, Own, Scope, Supervising};
use Role::*;

/// The policy: each permission with the roles it is granted to and how far. A role absent
/// from a permission's list never has it.
pub const POLICY: &[(Permission, &[(Role, Reach)])] = &[
    (
        P::CaseRegister,
        &[
            (Intake, Scope),
            (Dispatcher, Scope),
            (Handler, Scope),
            (Mediator, Scope),
            (GridWorker, Scope),
            (Court, Scope),
            (Leader, Scope),
        ],
    ),
    // Roles whose work needs a party's full ID number and phone (to verify identity, to make
    // contact, to file with the court). Leaders read dashboards; admins run the system; grid
    // workers report: none of them needs the full values.
    (
        P::PersonalDataReveal,
        &[(Intake, Scope), (Dispatcher, Scope), (Handler, Scope), (Mediator, Scope), (Court, Scope)],
    ),
    (P::Mediate, &[(Handler, Handling), (Mediator, Handling)]),
    (P::AgreementMediatorSign, &[(Mediator, Handling)]),
    (P::ConfirmationRule, &[(Court, Addressed)]),
    // The centres choose for any case they see; the handling unit's own staff for its cases.
    (P::MediatorChoose, &[(Dispatcher, Scope), (Leader, Scope), (Handler, Handling), (Mediator, Handling)]),
    // Leaders supervise whatever they see; a dispatcher only a unit below their centre (the
    // ladder's 督办令 comes from the centre above the unit that is late).
    (P::NoticeIssue, &[(Leader, Scope), (Dispatcher, Supervising)]),
    (
        P::NoticeReply,
        &[
            (Intake, Addressed),
            (Dispatcher, Addressed),
            (Handler, Addressed),
            (Mediator, Addressed),
            (GridWorker, Addressed),
            (Court, Addressed),
            (Leader, Addressed),
            (Admin, Addressed),
        ],
    ),
    (P::SweepRun, &[(Admin, Scope), (Leader, Scope), (Dispatcher, Scope)]),
    // A mediator sees their own sessions; a handling unit its cases' (its mediators'); the
    // centres every session in their scope.
    (P::SessionsRead, &[(Mediator, Own), (Handler, Handling), (Dispatcher, Scope), (Leader, Scope)]),
    (P::OutboxRead, &[(Admin, Scope)]),
    // The centres watch the alerts of their territory (中心吹哨).
    (P::AlertsRead, &[(Dispatcher, Scope), (Leader, Scope), (Admin, Scope)]),
    (P::CalendarManage, &[(Admin, Scope)]),
    (P::TriageManage, &[(Admin, Scope)]),
    (P::TriageExampleAdd, &[(Admin, Scope), (Dispatcher, Scope)]),
    (P::OrganisationManage, &[(Admin, Scope)]),
    // The portal's: a citizen brings a dispute where they are an applicant, and follows and
    // rates only the cases where they are a party (their phone's blind index).
    (P::CitizenCaseBring, &[(Citizen, Own)]),
    (P::CitizenCaseFollow, &[(Citizen, Own)]),
    (P::CitizenCaseRate, &[(Citizen, Own)]),
    (P::CitizenMediatorChoose, &[(Citizen, Own)]),
    (P::SystemAccountManage, &[(Admin, Scope)]),
    // When a court's or a 12345 centre's receiver was down, the centre's administrators see
    // what failed and send it again; no one else touches another system's outlet.
    (P::WebhooksManage, &[(Admin, Scope)]),
    // 亮牌: the centres and their leaders read the cards of their territory; admins keep the rules.
    (P::EvaluationRead, &[(Leader, Scope), (Dispatcher, Scope), (Admin, Scope)]),
    (P::EvaluationRulesManage, &[(Admin, Scope)]),
    // 三色三单: a centre's dispatchers and leaders issue its own list and close its items (中心吹哨);
    // the units an item is assigned to acknowledge and report under NoticeReply (a 交办单 is
    // addressed to them like a notice).
    (P::RiskListManage, &[(Dispatcher, Own), (Leader, Own)]),
    // 联席研判: a centre's dispatchers and leaders convene its own meetings, write the minutes and
    // record the decisions; the units a decision is assigned to acknowledge it and report it done
    // under NoticeReply (a task addressed to them like a notice).
    (P::JointMeetingManage, &[(Dispatcher, Own), (Leader, Own)]),
    // 诉前委派: the court desk follows its referrals; the centre's intake and dispatchers confirm
    // them (the list holds a court's own referrals and the cases of the viewer's scope).
    (P::ReferralsRead, &[(Court, Scope), (Intake, Scope), (Dispatcher, Scope), (Leader, Scope)]),
    (P::ReferralDecide, &[(Intake, Scope), (Dispatcher, Scope)]),
    // 12345 工单: the centre's intake and dispatchers take or return what the hotline sends.
    (P::WorkOrders, &[(Intake, Scope), (Dispatcher, Scope)]),
    // 信访转办: the centre's intake and dispatchers take in what the petition office transfers
    // and answer it; its leaders approve the extension and the replies (信访工作条例 art. 34).
    (P::Petitions, &[(Intake, Scope), (Dispatcher, Scope), (Leader, Scope)]),
    // 警调对接: a police unit's desk (its staff hold whatever role) follows the disputes its unit
    // handed over; the centre's intake, dispatchers and leaders those of their scope.
    (P::PoliceIncidents, &[(Intake, Scope), (Handler, Scope), (Dispatcher, Scope), (Leader, Scope)]),
    // 重点人员: the centres that watch the territory and admins; no handling unit browses people.
    (P::PeopleRiskRead, &[(Leader, Scope), (Dispatcher, Scope), (Admin, Scope)]),
    // The centres keep the register of their territory; a grid worker visits the people of their
    // own grid, and a centre's dispatchers and leaders may visit anyone of theirs.
    (P::PeopleWatchManage, &[(Leader, Scope), (Dispatcher, Scope)]),
    (P::PeopleVisit, &[(GridWorker, Own), (Dispatcher, Scope), (Leader, Scope)]),
    // The command screen: the centres' leaders and dispatchers watch their territory; admins too.
    (P::CommandScreenView, &[(Leader, Scope), (Dispatcher, Scope), (Admin, Scope)]),
    // 移送公安: a unit handling the case (its mediators first of all, art. 25) or a centre that
    // sees it; the police unit it is addressed to answers (its staff hold whatever role).
    (P::PoliceRefer, &[(Handler, Handling), (Mediator, Handling), (Dispatcher, Scope), (Leader, Scope)]),
    (
        P::PoliceReferralAnswer,
        &[(Handler, Addressed), (Intake, Addressed), (Dispatcher, Addressed), (Leader, Addressed)],
    ),
    // 领导包案: a centre's leader forms a task force for any case they pick; a dispatcher for a
    // red case, with a leader at its head. Its milestones are addressed to units like a notice
    // (NoticeReply).
    (P::TaskForceManage, &[(Leader, Scope), (Dispatcher, Scope)]),
    // 定期报告: those who read the statistics read the reports of their territory; every other
    // unit reads the reports sent to it (the units a report names); the centres' leaders and
    // dispatchers issue one on demand (the scheduler issues the rest).
    (
        P::ReportRead,
        &[
            (Leader, Scope),
            (Dispatcher, Scope),
            (Admin, Scope),
            (Intake, Addressed),
            (Handler, Addressed),
            (Mediator, Addressed),
            (GridWorker, Addressed),
            (Court, Addressed),
        ],
    ),
    (P::ReportIssue, &[(Leader, Scope), (Dispatcher, Scope)]),
    // 网格化: a grid worker patrols and reports in their own grid (their station's grid) and
    // handles what they found there (就地化解, 上报, 转案件); the centres of the community, street
    // and district above — their handlers, dispatchers and leaders — see and handle what their
    // grids report, escalated items first of all.
    (P::PatrolLog, &[(GridWorker, Own)]),
    (P::GridRead, &[(GridWorker, Own), (Handler, Scope), (Dispatcher, Scope), (Leader, Scope)]),
    (P::HazardReport, &[(GridWorker, Own)]),
    (P::HazardHandle, &[(GridWorker, Own), (Handler, Scope), (Dispatcher, Scope), (Leader, Scope)]),
    // 录音录像保全: keeping evidence past its retention period is a decision above the people who
    // handle the case — the leaders of the centres that see it, and the administrators who set
    // the period. A mediator or handler asks their leader.
    (P::RecordingHold, &[(Leader, Scope), (Admin, Scope)]),
];

/// Whether a system account holding `grants` may ask for `permission`: only what it was
/// granted, and — since it acts as its own user — the policy decides the rest.
pub fn system_may(grants: &[Permission], permission: Permission) -> Result<(), Denial> {
    if grants.contains(&permission) { Ok(()) } else { Err(Denial::Role { role: Role::Intake, permission }) }
}

/// Why the policy says no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The role never has the permission.
    #[error("the role {role} may not {}", permission.en())]
    Role { role: Role, permission: Permission },
    /// The permission reaches only cases the viewer's unit handles.
    #[error("only a unit handling the case may {}", permission.en())]
    NotHandling { permission: Permission },
    /// The permission reaches only what is addressed to the viewer's unit.
    #[error("only the unit it is addressed to may {}", permission.en())]
    NotAddressed { permission: Permission },
    /// The permission reaches only units below the viewer's centre.
    #[error("only a centre above the responsible unit may {}", permission.en())]
    NotSupervising { permission: Permission },
    /// The permission reaches only the viewer's own.
    #[error("only for one's own may one {}", permission.en())]
    NotOwn { permission: Permission },
}

impl Denial {
    pub fn message(&self) -> Message {
        match *self {
            Denial::Role { role, permission } => {
                msg!("denied.role", role = Arg::code("role", role.as_str()), permission = permission.message())
            }
            Denial::NotHandling { permission } => msg!("denied.not_handling", permission = permission.message()),
            Denial::NotAddressed { permission } => msg!("denied.not_addressed", permission = permission.message()),
            Denial::NotSupervising { permission } => msg!("denied.not_supervising", permission = permission.message()),
            Denial::NotOwn { permission } => msg!("denied.not_own", permission = permission.message()),
        }
    }
}

/// The grant of `permission` to `role`, if any.
pub fn grant(role: Role, permission: Permission) -> Option<Reach> {
    POLICY
        .iter()
        .find(|(p, _)| *p == permission)
        .and_then(|(_, grants)| grants.iter().find(|(r, _)| *r == role))
        .map(|(_, reach)| *reach)
}

/// Whether `role` may do `permission` to `resource`: the one authorisation decision.
pub fn may(role: Role, permission: Permission, resource: Resource) -> Result<(), Denial> {
    match grant(role, permission) {
        None => Err(Denial::Role { role, permission }),
        Some(Reach::Scope) => Ok(()),
        Some(Reach::Handling) if resource.handling => Ok(()),
        Some(Reach::Handling) => Err(Denial::NotHandling { permission }),
        Some(Reach::Addressed) if resource.addressed => Ok(()),
        Some(Reach::Addressed) => Err(Denial::NotAddressed { permission }),
        Some(Reach::Supervising) if resource.supervising => Ok(()),
        Some(Reach::Supervising) => Err(Denial::NotSupervising { permission }),
        Some(Reach::Own) if resource.own => Ok(()),
        Some(Reach::Own) => Err(Denial::NotOwn { permission }),
    }
}

/// Whether `role` has `permission` for some resource: what a menu or a button offers before
/// a resource is at hand.
pub fn has(role: Role, permission: Permission) -> bool {
    grant(role, permission).is_some()
}

/// The role's half of the decision, asked before the resource is read: a role that never has
/// the permission is refused (403) before the data scope is asked whether the resource exists
/// (404) — so the order is the same for every operation: role, scope, reach.
pub fn may_at_all(role: Role, permission: Permission) -> Result<(), Denial> {
    if has(role, permission) { Ok(()) } else { Err(Denial::Role { role, permission }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{T, UiLang};

    const RESOURCES: [Resource; 6] = [
        Resource::ANY,
        Resource::HANDLED,
        Resource::ADDRESSED,
        Resource::SUPERVISED,
        Resource::OWN,
        Resource { handling: true, addressed: true, supervising: true, own: true },
    ];

    #[test]
    fn every_permission_appears_once_in_the_policy() {
        for permission in Permission::ALL {
            let rows = POLICY.iter().filter(|(p, _)| p == permission).count();
            assert_eq!(rows, 1, "{permission:?}");
        }
        assert_eq!(POLICY.len(), Permission::ALL.len());
        for (permission, grants) in POLICY {
            for role in Role::ALL {
                assert!(grants.iter().filter(|(r, _)| r == role).count() <= 1, "{permission:?} {role}");
            }
        }
    }

    /// The whole table: every role × permission × kind of resource, against the reach.
    #[test]
    fn the_decision_follows_the_reach_for_every_role_permission_and_resource() {
        for &role in Role::ALL {
            for &permission in Permission::ALL {
                for resource in RESOURCES {
                    let expected = match grant(role, permission) {
                        None => false,
                        Some(Reach::Scope) => true,
                        Some(Reach::Handling) => resource.handling,
                        Some(Reach::Addressed) => resource.addressed,
                        Some(Reach::Supervising) => resource.supervising,
                        Some(Reach::Own) => resource.own,
                    };
                    let decided = may(role, permission, resource);
                    assert_eq!(decided.is_ok(), expected, "{role} {permission:?} {resource:?}");
                    if let Err(denial) = decided {
                        for lang in UiLang::ALL {
                            let text = T { lang }.msg(&denial.message());
                            assert!(!text.is_empty() && !text.contains("permission."), "{text}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_role_half_refuses_exactly_the_roles_without_a_grant() {
        for &role in Role::ALL {
            for &permission in Permission::ALL {
                assert_eq!(
                    may_at_all(role, permission).is_ok(),
                    grant(role, permission).is_some(),
                    "{role} {permission:?}"
                );
            }
        }
    }

    #[test]
    fn citizens_have_only_the_portal_and_staff_never_it_and_admins_no_casework() {
        let portal = [P::CitizenCaseBring, P::CitizenCaseFollow, P::CitizenCaseRate, P::CitizenMediatorChoose];
        for &p in Permission::ALL {
            assert_eq!(has(Role::Citizen, p), portal.contains(&p), "{p:?}");
        }
        for &role in Role::ALL.iter().filter(|r| **r != Role::Citizen) {
            assert!(portal.iter().all(|&p| !has(role, p)), "{role}");
        }
        for p in [P::CaseRegister, P::PersonalDataReveal, P::Mediate, P::MediatorChoose, P::ConfirmationRule] {
            assert!(!has(Role::Admin, p), "{p:?}");
        }
    }

    #[test]
    fn a_centre_closes_only_its_own_list_and_only_the_watchers_see_the_register() {
        for role in [Role::Dispatcher, Role::Leader] {
            assert!(may(role, P::RiskListManage, Resource::OWN).is_ok(), "{role}");
            assert_eq!(
                may(role, P::RiskListManage, Resource::ANY),
                Err(Denial::NotOwn { permission: P::RiskListManage }),
                "another centre's list: {role}"
            );
        }
        for role in [Role::Handler, Role::Mediator, Role::GridWorker, Role::Intake, Role::Court, Role::Admin] {
            assert!(!has(role, P::RiskListManage), "{role}");
        }
        let watchers: Vec<Role> = Role::ALL.iter().copied().filter(|r| has(*r, P::PeopleRiskRead)).collect();
        assert_eq!(watchers.len(), 3);
        assert!([Role::Leader, Role::Dispatcher, Role::Admin].iter().all(|r| watchers.contains(r)));
    }

    #[test]
    fn the_centres_keep_the_register_and_a_grid_worker_visits_their_own_grid() {
        for role in [Role::Dispatcher, Role::Leader] {
            assert_eq!(grant(role, P::PeopleWatchManage), Some(Reach::Scope), "{role}");
            assert_eq!(grant(role, P::PeopleVisit), Some(Reach::Scope), "{role}");
        }
        assert_eq!(grant(Role::GridWorker, P::PeopleVisit), Some(Reach::Own));
        for role in [Role::Handler, Role::Mediator, Role::Intake, Role::Court, Role::Admin, Role::Citizen] {
            assert!(!has(role, P::PeopleVisit), "{role}");
        }
        for role in [Role::GridWorker, Role::Handler, Role::Mediator, Role::Intake, Role::Court, Role::Admin] {
            assert!(!has(role, P::PeopleWatchManage), "{role}");
        }
    }

    #[test]
    fn denials_say_who_and_what() {
        let denial = may(Role::Intake, P::Mediate, Resource::ANY).unwrap_err();
        assert_eq!(T::default().msg(&denial.message()), "窗口受理员无权办理调解");
        let denial = may(Role::Mediator, P::Mediate, Resource::ANY).unwrap_err();
        assert_eq!(denial, Denial::NotHandling { permission: P::Mediate });
        assert_eq!(T::default().msg(&denial.message()), "只有承办此案的单位可以办理调解");
    }
}
