//! What the API answers, with its OpenAPI schemas: each type mirrors a read model of `app`
//! field for field and is made from it ([`IntoApi`]), times becoming RFC 3339 text in China
//! time. The read models stay plain (typed times, no schema); the contract's shape is decided
//! here. [`SessionInput`] is the one request body that `app` takes as a plain struct.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::calendar::YearCalendar;
use domain::case::{Category, Outcome, Risk, Status};
use domain::clocks::{ClockKind, ClockState};
use domain::i18n::T;
use domain::mediation::{AgreementContent, AgreementForm, AgreementStatus};
use domain::org::{RegionCode, RegionLevel, Role};
use domain::validation::Message;
use domain::workflow::Action;
use serde::{Deserialize, Serialize};
use triage::address::ParsedAddress;
use utoipa::ToSchema;

use crate::error::{current_lang, localise};

/// A time as the API shows it: RFC 3339 in China time, to the second
/// (`2026-11-23T17:05:00+08:00`).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.with_timezone(&domain::china_time()).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A field of a read model as the API shows it: a time as [`rfc3339`], a date as
/// `2026-11-23`, a read model as its DTO, and so for options and lists of them.
pub trait IntoApi {
    type Api;
    fn into_api(self) -> Self::Api;
}

impl IntoApi for DateTime<Utc> {
    type Api = String;
    fn into_api(self) -> String {
        rfc3339(self)
    }
}

impl IntoApi for NaiveDate {
    type Api = String;
    fn into_api(self) -> String {
        self.to_string()
    }
}

/// A message of the catalogue (a triage reason) as text in the request's language
/// (`Accept-Language`).
impl IntoApi for Message {
    type Api = String;
    fn into_api(self) -> String {
        localise(&self)
    }
}

/// A code of a fixed set (a delivery state) as text.
impl IntoApi for app::cases::ListCursor {
    type Api = String;
    fn into_api(self) -> String {
        self.to_string()
    }
}

/// Where a visit of the register stands, as its code.
impl IntoApi for domain::watch::VisitDue {
    type Api = String;
    fn into_api(self) -> String {
        self.as_str().to_owned()
    }
}

impl IntoApi for &'static str {
    type Api = String;
    fn into_api(self) -> String {
        self.to_owned()
    }
}

impl<T: IntoApi> IntoApi for Option<T> {
    type Api = Option<T::Api>;
    fn into_api(self) -> Self::Api {
        self.map(T::into_api)
    }
}

impl<T: IntoApi> IntoApi for Vec<T> {
    type Api = Vec<T::Api>;
    fn into_api(self) -> Self::Api {
        self.into_iter().map(T::into_api).collect()
    }
}

/// Declares DTOs: each struct as written, serialised and with its schema, made from the read
/// model after `from` by moving every field — or, for a field marked `= into_api`, through
/// [`IntoApi`].
macro_rules! dto {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident from $model:path {
            $($(#[$field_meta:meta])* pub $field:ident: $ty:ty $(= $convert:ident)?,)*
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl IntoApi for $model {
            type Api = $name;
            fn into_api(self) -> $name {
                $name { $($field: self.$field $(.$convert())?,)* }
            }
        }
    )*};
}

// Grid work.
dto! {
    /// A patrol of a grid (日巡查).
    pub struct PatrolOut from app::grid::PatrolView {
        pub id: i64,
        pub grid_id: i64,
        pub grid_name: String,
        /// The grid's community.
        pub region_code: String,
        /// The grid worker.
        pub user_id: i64,
        pub worker_name: String,
        /// The date it began, China time.
        pub day: String,
        pub started_at: String = into_api,
        /// Absent while the patrol goes on.
        pub ended_at: Option<String> = into_api,
        /// Households and places visited.
        pub visited: i64,
        pub route: Option<String>,
        pub findings: Option<String>,
        /// Hazards reported on it.
        pub hazards: i64,
    }
}

// Cases.
dto! {
    /// A case as the API returns it.
    pub struct CaseView from app::cases::CaseView {
        pub id: i64,
        /// Human case number, unique: a per-region yearly serial.
        pub number: String,
        /// Changes with every step; send it back with the next action.
        pub version: i64,
        pub status: Status,
        pub channel: String,
        pub category: Category,
        /// client | suggested | unsure (no category was given and the classifier was below its
        /// confidence threshold: recorded as `other`, routed by territory alone)
        pub category_source: String,
        /// What the classifier suggested, and why, even when the client chose the category.
        pub category_suggestion: Option<CategorySuggestion> = into_api,
        pub risk: Risk,
        pub risk_reasons: Vec<String> = into_api,
        pub routing: Route = into_api,
        /// The level handling the case now (it rises with each escalation).
        pub level: RegionLevel,
        /// An emergency in progress at intake: the instruction to call 110/120 that was given.
        pub emergency: Option<String> = into_api,
        pub lead_unit_id: Option<i64>,
        pub assist_unit_ids: Vec<i64>,
        pub title: Option<String>,
        pub description: String,
        /// Decimal yuan, e.g. "22800.00".
        pub amount: Option<String>,
        pub people_count: i64,
        pub occurred_at: Option<String> = into_api,
        pub location: LocationView = into_api,
        pub parties: Vec<PartyView> = into_api,
        pub outcome: Option<Outcome>,
        pub summary: Option<String>,
        pub satisfaction: Option<String>,
        pub external_ref: Option<String>,
        pub deadlines: Deadlines = into_api,
        /// The workflow steps the viewer may take now.
        pub available_actions: Vec<Action>,
        /// Whether full personal data is shown (asked for, allowed, and recorded).
        pub personal_data_revealed: bool,
        pub created_at: String = into_api,
        pub updated_at: String = into_api,
    }

    pub struct LocationView from app::cases::LocationView {
        pub address: Option<String>,
        pub region_code: String,
        pub grid_id: Option<i64>,
    }

    /// The four clocks' due times (RFC 3339), null while a clock has not started.
    pub struct Deadlines from app::cases::Deadlines {
        pub respond_by: Option<String> = into_api,
        pub dispatch_by: Option<String> = into_api,
        pub conclude_by: Option<String> = into_api,
        pub follow_up_by: Option<String> = into_api,
    }

    /// A party; ID number, phone and address masked unless revealed.
    pub struct PartyView from app::cases::PartyView {
        pub role: String,
        pub kind: String,
        pub name: String,
        pub id_number: Option<String>,
        pub credit_code: Option<String>,
        pub phone: Option<String>,
        pub address: Option<String>,
    }

    /// An earlier case linked to a new one at intake, and why.
    pub struct RelatedCase from app::cases::RelatedCase {
        pub id: i64,
        pub number: String,
        pub status: String,
        pub category: String,
        pub region_code: String,
        pub created_at: String = into_api,
        /// same_person | same_organization | same_address
        pub relations: Vec<String>,
        /// Whether the viewer may open it; outside the scope only the number and status show.
        pub in_scope: bool,
    }

    /// The answer to a registration: the case and the related cases found at intake.
    pub struct RegisteredCase from app::cases::RegisteredCase {
        #[serde(flatten)]
        pub case: CaseView = into_api,
        pub related_cases: Vec<RelatedCase> = into_api,
    }

    /// One event of a case's history.
    pub struct EventView from app::cases::EventView {
        pub seq: i64,
        pub at: String = into_api,
        pub actor: String,
        pub action: String,
        #[schema(value_type = Object)]
        pub data: serde_json::Value,
        pub hash: String,
    }

    /// A row of the case list.
    pub struct CaseListRow from app::cases::CaseListRow {
        pub id: i64,
        pub number: String,
        pub version: i64,
        pub status: String,
        pub channel: String,
        pub category: String,
        pub risk: String,
        pub title: Option<String>,
        pub description: String,
        pub region_code: String,
        pub lead_unit_id: Option<i64>,
        pub deadlines: Deadlines = into_api,
        /// The earliest deadline of a running clock (RFC 3339), null when none runs.
        pub next_due_at: Option<String> = into_api,
        pub created_at: String = into_api,
    }

    pub struct CaseList from app::cases::CaseList {
        pub items: Vec<CaseListRow> = into_api,
        /// How many cases match, counted up to 1 000.
        pub total: i64,
        /// More than 1 000 match: narrow the filters to count them exactly.
        pub total_capped: bool,
        /// More than 1 000 match a text search: about how many, estimated from the index.
        /// Absent for a list and whenever `total` is exact.
        pub total_estimate: Option<i64>,
        /// A full page of a list: pass it as `after` for the next page (keyset paging).
        /// Absent on the last page and for a text search.
        pub next: Option<String> = into_api,
    }

    /// 受理回执: what the applicant takes home — the case as registered (its number, date and
    /// deadlines: what happens next by when), the centre responsible for it now and its
    /// telephone, and the unit that registered it.
    pub struct CaseReceipt from app::cases::CaseReceipt {
        pub case: CaseView = into_api,
        /// The centre responsible for the case now: it contacts the applicant and dispatches.
        pub centre: String,
        /// Its telephone, when one is recorded.
        pub centre_phone: Option<String>,
        pub registering_unit: String,
    }
}

// Triage.
dto! {
    /// The category suggestion as stored on the case.
    pub struct CategorySuggestion from app::triage::CategorySuggestion {
        pub category: Category,
        pub confidence: f64,
        /// The words that drove it.
        pub words: Vec<String>,
    }

    /// The whole triage of a registration.
    pub struct Triage from app::triage::Triage {
        #[schema(value_type = String)]
        pub region: RegionCode,
        pub grid_id: Option<i64>,
        /// The address as parsed, when one was given.
        pub address: Option<ParsedAddress>,
        /// How the place was found.
        pub place_reason: String = into_api,
        pub category: Category,
        /// client | suggested | unsure (no category was given and the classifier was below its
        /// confidence threshold: a registration through the API records `other`, routed by
        /// territory alone; the intake window asks for the type)
        pub category_source: String,
        /// The classifier's best guess with its confidence, whether or not it was taken.
        pub suggestion: CategorySuggestion = into_api,
        pub risk: Risk,
        pub risk_reasons: Vec<String> = into_api,
        pub refer_to_police: bool,
        /// Call 110/120 now: the instruction, recorded on the case.
        pub emergency: Option<String> = into_api,
        pub route: Route = into_api,
    }

    /// The suggested route.
    pub struct Route from app::cases::Routing {
        /// The lead unit.
        pub unit_id: Option<i64>,
        pub level: RegionLevel,
        #[serde(default)]
        pub assist_unit_ids: Vec<i64>,
        /// Lead plus assisting units: 联合调处.
        #[serde(default)]
        pub joint: bool,
        pub reasons: Vec<String> = into_api,
        #[serde(default)]
        /// The rules that fired: territory, level:amount, level:people, level:risk, level:cross_jurisdiction, sector:lead, sector:assist.
        pub rules: Vec<String>,
    }
}

// The organisation.
dto! {
    pub struct RegionView from app::org::RegionView {
        /// 12-digit division code.
        pub code: String,
        pub name: String,
        pub short_name: Option<String>,
        /// province | city | district | street | community
        pub level: String,
        pub parent_code: Option<String>,
    }

    pub struct GridView from app::org::GridView {
        pub id: i64,
        pub code: String,
        pub name: String,
        pub community_code: String,
    }

    pub struct UnitView from app::org::UnitView {
        pub id: i64,
        /// 单位代码: the deployment's own code for the unit (import files name units by it);
        /// null for a unit given none.
        pub code: Option<String>,
        pub name: String,
        /// centre | department | police | petition_office | court | mediation_committee | industry_mediation | brand_room
        pub kind: String,
        pub region_code: String,
        pub parent_id: Option<i64>,
        /// Space-separated category codes the unit handles as a sector unit (条).
        pub categories: String,
    }

    /// A user as stored, without the password hash.
    pub struct UserView from app::org::UserView {
        pub id: i64,
        pub username: String,
        pub display_name: String,
        pub role: Role,
        pub unit_id: i64,
    }
}

// The calendar.
dto! {
    /// A loaded year, with who loaded it.
    pub struct CalendarYearView from app::calendar::CalendarYearView {
        #[serde(flatten)]
        pub calendar: YearCalendar,
        pub loaded_at: String = into_api,
        pub loaded_by: String,
    }
}

// Supervision.
dto! {
    /// One clock as the API explains it.
    pub struct DeadlineView from app::supervision::Deadline {
        /// respond | dispatch | conclude | follow_up
        pub clock: ClockKind,
        pub started_at: Option<String> = into_api,
        pub due_at: Option<String> = into_api,
        pub stopped_at: Option<String> = into_api,
        pub state: ClockState,
        /// Computed across a year with no official calendar loaded.
        pub provisional: bool,
        /// Why this date: "5 个工作日，自 2026-09-30 起算（当日不计）；10-01…10-07 国庆节放假；10-10 调休上班".
        pub explanation: String = into_api,
    }

    /// Notices counted for one unit (they count in its evaluation).
    pub struct NoticeCount from app::supervision::NoticeCount {
        pub unit_id: i64,
        pub unit_name: String,
        pub reminder: i64,
        pub warning: i64,
        pub order: i64,
        pub awaiting_reply: i64,
    }

    /// What one sweep did.
    pub struct SweepReport from app::supervision::SweepReport {
        /// Another node holds the lease: this one did nothing.
        pub skipped: bool,
        pub cases_checked: u64,
        pub notices_issued: u64,
    }
}

/// A notice of the supervision ladder.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    /// 督办令〔2026〕12号
    pub number: String,
    /// reminder | warning | order
    pub kind: String,
    /// The case it is filed on; null for a notice on a watched person (重点人员).
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    /// The watched person it is filed on (an overdue visit); null for a case's notice.
    pub watched_person_id: Option<i64>,
    pub clock: Option<String>,
    /// The recipient.
    pub unit_id: i64,
    pub cc_unit_id: Option<i64>,
    pub issuer_unit_id: Option<i64>,
    /// The ladder's: the clock's due time that was missed; by hand: when the reply is due.
    pub due_at: Option<String>,
    pub issued_at: String,
    /// The official text as issued, in Simplified Chinese, whatever the request's language.
    pub text: String,
    /// The notice in the request's language (`Accept-Language`): the words of the ladder's
    /// notices on list items, milestones, decisions, petitions and visits; the notices of a
    /// case's clocks and those issued by hand exist only as issued, and repeat `text`.
    pub message: String,
    /// Issued by hand, not by the ladder.
    pub manual: bool,
    /// Who issued it by hand (their name).
    pub issued_by_name: Option<String>,
    pub acknowledged_at: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<String>,
}

impl IntoApi for app::supervision::NoticeView {
    type Api = NoticeView;
    fn into_api(self) -> NoticeView {
        NoticeView {
            message: self.text_in(T { lang: current_lang() }),
            id: self.id,
            number: self.number,
            kind: self.kind,
            case_id: self.case_id,
            case_number: self.case_number,
            watched_person_id: self.watched_person_id,
            clock: self.clock,
            unit_id: self.unit_id,
            cc_unit_id: self.cc_unit_id,
            issuer_unit_id: self.issuer_unit_id,
            due_at: self.due_at.into_api(),
            issued_at: self.issued_at.into_api(),
            text: self.text,
            manual: self.manual,
            issued_by_name: self.issued_by_name,
            acknowledged_at: self.acknowledged_at.into_api(),
            reply: self.reply,
            replied_at: self.replied_at.into_api(),
        }
    }
}

// Mediation: agreements, signing, evidence, the outbox.
dto! {
    /// A party as the agreement prints it (snapshot at drafting).
    pub struct AgreementParty from app::mediation::AgreementParty {
        pub index: usize,
        /// applicant | respondent | third_party
        pub role: String,
        pub name: String,
        /// Masked ID number or the organisation's credit code.
        pub id_number: String,
        pub phone_masked: Option<String>,
        /// When this party signed (RFC 3339).
        pub signed_at: Option<String> = into_api,
        /// SHA-256 of the handwritten signature.
        pub signature: Option<String>,
    }

    /// The signing SMS of one party, as the mediator follows it.
    pub struct SigningSmsView from app::mediation::SigningSmsView {
        pub party_index: usize,
        /// queued | sent | failed | kept (the built-in gateway keeps it in the outbox); null for
        /// links sent before deliveries were followed.
        pub delivery: Option<String> = into_api,
        pub sent_at: Option<String> = into_api,
        /// Resends left to this party (3 in all, 60 s apart).
        pub resends_left: i64,
        /// Until when the current link works.
        pub expires_at: String = into_api,
        pub signed: bool,
    }

    pub struct DeliveryView from app::mediation::DeliveryView {
        pub party_index: usize,
        /// SHA-256 of the copy delivered.
        pub document: String,
        pub sent_at: String = into_api,
        /// The receipt: when the party opened the link.
        pub opened_at: Option<String> = into_api,
    }

    pub struct ConfirmationView from app::mediation::ConfirmationView {
        pub court_unit_id: i64,
        pub applicants: Vec<usize>,
        pub applied_at: String = into_api,
        /// What was sent to the court: the agreement, proof of mediation, identities, service addresses.
        pub package: serde_json::Value,
        /// confirmed | rejected, null while pending
        pub decision: Option<String>,
        pub reasons: Option<String>,
        pub decided_at: Option<String> = into_api,
    }

    pub struct TermView from app::mediation::TermView {
        pub index: usize,
        pub text: String,
        pub due: Option<String> = into_api,
        /// pending | performed | breached
        pub status: String,
        pub note: Option<String>,
        /// The route when a term is breached: enforcement for a confirmed agreement, a lawsuit otherwise.
        pub remedy: Option<String>,
    }

    /// An agreement with its signatures, service, confirmation and performance.
    pub struct AgreementView from app::mediation::AgreementView {
        pub id: i64,
        pub case_id: i64,
        pub case_number: String,
        /// written | oral
        pub form: AgreementForm,
        pub status: AgreementStatus,
        /// Changes with every edit of a draft; send it back with the next edit.
        pub revision: i64,
        pub content: AgreementContent,
        pub parties: Vec<AgreementParty> = into_api,
        /// Why it must be signed on paper (Electronic Signature Law art. 3), when it must.
        pub paper_required: Option<String>,
        /// Why a court may not confirm it.
        pub warnings: Vec<String>,
        pub mediator: String,
        pub mediator_name: String,
        pub committee: String,
        pub mediator_signed_at: Option<String> = into_api,
        pub sealed_at: Option<String> = into_api,
        /// The last of the parties' signatures, the mediator's and the seal (art. 29); for an oral
        /// agreement, when it was reached (art. 30).
        pub effective_at: Option<String> = into_api,
        /// The last moment to apply for judicial confirmation (30 days, art. 33).
        pub confirm_by: Option<String> = into_api,
        /// Copies fixed when it took effect: `archive`, `party-0` … → SHA-256 of the PDF. Empty
        /// in the answer that puts it in effect: they are typeset right after (a download waits
        /// for them).
        pub documents: serde_json::Map<String, serde_json::Value>,
        pub deliveries: Vec<DeliveryView> = into_api,
        /// The signing SMS per party, once the agreement was sent for signing.
        pub signing_sms: Vec<SigningSmsView> = into_api,
        pub confirmation: Option<ConfirmationView> = into_api,
        pub terms: Vec<TermView> = into_api,
        pub created_at: String = into_api,
        pub updated_at: String = into_api,
    }

    /// What a signing link shows its party.
    pub struct SigningView from app::mediation::SigningView {
        pub agreement: AgreementView = into_api,
        pub party_index: usize,
        pub party_name: String,
        pub expires_at: String = into_api,
        pub signed_at: Option<String> = into_api,
    }

    /// One of a citizen's cases in their list.
    pub struct CitizenCaseRow from app::citizens::CitizenCaseRow {
        pub id: i64,
        pub number: String,
        pub status: String,
        pub category: String,
        pub outcome: Option<String>,
        pub title: Option<String>,
        /// 解纷码: the code on the receipt and in the QR code that opens the case in the portal.
        pub tracking_code: String,
        pub deadlines: Deadlines = into_api,
        pub created_at: String = into_api,
        pub updated_at: String = into_api,
    }

    /// A case as its party sees it in the portal: the case as staff see it (personal data
    /// masked), its 解纷码, who handles it, and its history in plain words.
    pub struct CitizenCase from app::citizens::CitizenCase {
        #[serde(flatten)]
        pub case: CaseView = into_api,
        pub tracking_code: String,
        pub handler: CaseHandler = into_api,
        pub timeline: Vec<TimelineEntry> = into_api,
        /// Every evidence file of the case with the parties' comments (质证).
        pub evidence: Vec<CitizenEvidence> = into_api,
        /// The mediator's name once one is chosen.
        pub mediator: Option<String>,
        /// 调解安排: the case's sessions and this party's steps at each.
        pub sessions: Vec<CitizenSession> = into_api,
        /// 调解协议: the case's agreements as their party reads and signs them.
        pub agreements: Vec<CitizenAgreement> = into_api,
        /// When this party refused mediation (人民调解法 art. 17), if they did.
        pub refused_at: Option<String> = into_api,
        /// Whether they may refuse mediation now (`POST /api/v1/citizen/cases/{id}/refusal`).
        pub may_refuse: bool,
    }

    /// An agreement as its party sees it, and whether they may sign it now.
    pub struct CitizenAgreement from app::citizens::CitizenAgreement {
        pub id: i64,
        /// draft | signing | effective | …
        pub status: String,
        pub matters: String,
        pub terms: Vec<String>,
        pub effective_at: Option<String> = into_api,
        /// When this party signed.
        pub signed_at: Option<String> = into_api,
        /// Sent for signing, not yet signed by this party, in time: sign with `POST
        /// /api/v1/citizen/agreements/{id}/signature`.
        pub may_sign: bool,
        /// 送达: when this party's copy was served; when they received it (the receipt).
        pub served_at: Option<String> = into_api,
        pub received_at: Option<String> = into_api,
        /// When this party consented to the joint application for judicial confirmation.
        pub confirmation_consented_at: Option<String> = into_api,
        /// Whether they may consent now (`POST /api/v1/citizen/agreements/{id}/confirmation-consent`).
        pub may_consent_confirmation: bool,
        /// applied | confirmed | rejected, once the application is made.
        pub confirmation: Option<String>,
    }

    /// What a citizen has told of themselves: the phone they sign in with and, after 实名认证,
    /// their name and ID number (masked).
    pub struct CitizenProfile from app::citizens::CitizenProfile {
        pub phone_masked: String,
        pub name: Option<String>,
        pub id_number_masked: Option<String>,
        pub verified_at: Option<String> = into_api,
    }

    /// A mediation session as a party sees it, with their own steps.
    pub struct CitizenSession from app::citizens::CitizenSession {
        pub id: i64,
        /// in_person | video
        pub mode: String,
        pub scheduled_at: String = into_api,
        pub place: Option<String>,
        pub mediator: String,
        /// The mediator's disclosure (关系披露), which the party consents after.
        pub disclosure: Option<String>,
        pub minutes: Option<String>,
        /// scheduled | held | cancelled
        pub status: String,
        pub rights_acknowledged: bool,
        pub consented: bool,
        pub minutes_confirmed: bool,
    }

    /// An evidence file as a party sees it.
    pub struct CitizenEvidence from app::citizens::CitizenEvidence {
        pub id: i64,
        pub name: String,
        pub content_type: String,
        pub size: i64,
        pub sha256: String,
        pub uploaded_at: String = into_api,
        /// Of a recording: when its file was deleted at the end of its retention period.
        pub purged_at: Option<String> = into_api,
        /// Brought by the signed-in citizen (else by the other side or by staff).
        pub mine: bool,
        pub comments: Vec<EvidenceComment> = into_api,
    }

    /// 质证意见: a party's comment on an evidence file.
    pub struct EvidenceComment from app::citizens::EvidenceComment {
        pub at: String = into_api,
        pub text: String,
        /// Written by the signed-in citizen.
        pub mine: bool,
    }

    /// The unit handling the case now (until dispatch, the centre responsible) and its telephone.
    pub struct CaseHandler from app::citizens::CaseHandler {
        pub unit_name: String,
        pub phone: Option<String>,
    }

    /// One step of the case in plain words, in the request's language.
    pub struct TimelineEntry from app::citizens::TimelineEntry {
        pub at: String = into_api,
        pub text: String = into_api,
    }

    /// A message in the outbox.
    pub struct OutboxMessage from app::mediation::OutboxMessage {
        pub id: i64,
        /// Masked phone number.
        pub recipient: String,
        pub body: String,
        /// pending | sending | sent | failed | kept
        pub status: String,
        pub created_at: String = into_api,
        pub sent_at: Option<String> = into_api,
    }

    /// An evidence file of a case.
    pub struct EvidenceView from app::mediation::EvidenceView {
        pub id: i64,
        pub name: String,
        pub content_type: String,
        pub size: i64,
        pub sha256: String,
        pub uploaded_by: String,
        pub uploaded_at: String = into_api,
        /// Of a recording (音视频笔录): when its file was deleted at the end of its retention
        /// period (已按保存期限删除); its download then answers 409 `recording_purged`.
        pub purged_at: Option<String> = into_api,
    }

    /// A mediator who might take a case, with what speaks for them.
    pub struct MediatorCandidate from app::mediation::MediatorCandidate {
        pub user_id: i64,
        pub name: String,
        pub unit_id: i64,
        /// Category codes the mediator specialises in.
        pub specialities: Vec<String>,
        pub region_code: String,
        /// Open cases the mediator's unit handles now.
        pub load: i64,
        /// Average rating 1–5, when rated.
        pub rating: Option<f64>,
        /// Languages the mediator works in.
        pub languages: String,
        /// Concluded cases they mediated, and of those the resolved.
        pub mediated: i64,
        pub resolved: i64,
        pub score: f64,
        /// What speaks for the mediator, in the request's language.
        pub reasons: Vec<String> = into_api,
    }
}

// Mediation sessions.
dto! {
    /// A party's acknowledgement at a session.
    pub struct Acknowledgement from app::sessions::Acknowledgement {
        pub party_index: usize,
        /// The rights-and-duties notice was given and acknowledged.
        pub rights_acknowledged_at: Option<String> = into_api,
        /// Consent to the mediator after the disclosure.
        pub consented_at: Option<String> = into_api,
        /// Confirmed the minutes.
        pub minutes_confirmed_at: Option<String> = into_api,
    }

    pub struct SessionView from app::sessions::SessionView {
        pub id: i64,
        pub case_id: i64,
        /// in_person | video
        pub mode: String,
        pub scheduled_at: String = into_api,
        pub place: Option<String>,
        pub link: Option<String>,
        pub mediator: String,
        pub disclosure: Option<String>,
        pub acknowledgements: Vec<Acknowledgement> = into_api,
        pub minutes: Option<String>,
        /// scheduled | held | cancelled
        pub status: String,
        pub created_at: String = into_api,
    }

    /// A session on the calendar: when and how, whose, and the case it belongs to.
    pub struct CalendarSession from app::sessions::CalendarSession {
        pub id: i64,
        pub case_id: i64,
        pub case_number: String,
        /// in_person | video
        pub mode: String,
        pub scheduled_at: String = into_api,
        pub place: Option<String>,
        /// scheduled | held | cancelled
        pub status: String,
        /// The mediator's username.
        pub mediator: String,
        pub mediator_name: Option<String>,
        pub mediator_id: Option<i64>,
        /// The mediator's unit.
        pub unit_id: Option<i64>,
        pub unit_name: Option<String>,
    }

    /// 调解日程: the period's days (working day or not, the festival, weekends worked in
    /// exchange) and the sessions the viewer may see, in time order.
    pub struct SessionCalendar from app::sessions::SessionCalendar {
        pub days: Vec<domain::calendar::Day>,
        pub sessions: Vec<CalendarSession> = into_api,
    }

    /// The mediator chosen for a case.
    pub struct CaseMediator from app::sessions::CaseMediator {
        pub user_id: i64,
        pub name: String,
        /// centre | party (群众点单)
        pub chosen_by: String,
        pub reason: Option<String>,
        pub assigned_at: String = into_api,
    }
}

/// A session to schedule.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionInput {
    /// in_person | video
    pub mode: Option<String>,
    /// RFC 3339
    pub scheduled_at: Option<String>,
    /// Where, for a session in person.
    pub place: Option<String>,
    /// The video room's link, for a session by video.
    pub link: Option<String>,
    /// The mediator's conflict-of-interest disclosure (none: "无").
    pub disclosure: Option<String>,
}

impl From<SessionInput> for app::sessions::SessionInput {
    fn from(input: SessionInput) -> Self {
        let SessionInput { mode, scheduled_at, place, link, disclosure } = input;
        app::sessions::SessionInput { mode, scheduled_at, place, link, disclosure }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_china_time_to_the_second() {
        let at = DateTime::parse_from_rfc3339("2026-11-23T09:05:07.250Z").unwrap().with_timezone(&Utc);
        assert_eq!(rfc3339(at), "2026-11-23T17:05:07+08:00");
    }
}

// Early warning.
dto! {
    /// 预警: an alert a correlation rule opened, naming the cases behind it.
    pub struct AlertView from app::alerts::AlertView {
        pub id: i64,
        /// same_respondent | same_person
        pub rule: String,
        pub colour: Risk,
        pub reasons: Vec<String> = into_api,
        /// The cases behind it, oldest first.
        pub case_ids: Vec<i64>,
        /// open | closed
        pub status: String,
        pub created_at: String = into_api,
    }
}

/// The alerts of a status in the viewer's territory, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    pub items: Vec<AlertView>,
}

dto! {
    /// 地点风险: a grid, community or street with its colour and the reasons for it.
    pub struct PlaceRiskView from app::place_risk::PlaceRiskView {
        /// grid | community | street
        pub kind: String,
        /// The grid's id or the region's code.
        pub key: String,
        pub name: String,
        pub region_code: String,
        pub colour: Risk,
        pub reasons: Vec<String> = into_api,
        /// The open red and orange cases behind it, oldest first.
        pub case_ids: Vec<i64>,
        pub updated_at: String = into_api,
    }
}

/// The coloured places of the viewer's territory, reddest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceRiskList {
    pub items: Vec<PlaceRiskView>,
}

// 三色三单: risk lists and the register of people who need attention.
dto! {
    /// One act on an item: the list's record of the units' feedback (反馈) and the centre's
    /// closing or sending back.
    pub struct RiskItemEvent from app::risk_lists::RiskItemEvent {
        /// acknowledge | report | close | send_back (`text`: the reason)
        pub action: String,
        pub text: Option<String>,
        pub unit_id: i64,
        pub unit_name: String,
        pub at: String = into_api,
    }

    /// An item of a risk list: a 交办单 to the units handling its cases.
    pub struct RiskItemView from app::risk_lists::RiskItemView {
        pub id: i64,
        pub colour: Risk,
        pub reasons: Vec<String> = into_api,
        pub case_ids: Vec<i64>,
        /// The open alert behind the item, if it comes from one.
        pub alert_id: Option<i64>,
        /// The units that acknowledge and report: those handling the cases.
        pub assigned_unit_ids: Vec<i64>,
        /// To be acknowledged by: red 1 working day, orange 3, yellow 5.
        pub due_at: String = into_api,
        /// To be closed by: red 5 working days, orange 10, yellow 15 from the issue, or from
        /// the latest send back; null on lists issued before items had a closing day.
        pub close_by: Option<String> = into_api,
        /// issued | acknowledged | reported | sent_back (退回: to be reported on again) | closed
        pub status: String,
        /// Not acknowledged by `due_at`.
        pub overdue: bool,
        pub events: Vec<RiskItemEvent> = into_api,
    }

    /// A centre's 风险隐患清单 of its territory, numbered per centre and year.
    pub struct RiskListView from app::risk_lists::RiskListView {
        pub id: i64,
        /// 2026-003: the year and the centre's serial.
        pub number: String,
        /// The issuing centre: it closes the items.
        pub unit_id: i64,
        pub region_code: String,
        /// 2026-W48 when the weekly pass issued it; null on demand.
        pub week: Option<String>,
        pub issued_at: String = into_api,
        pub items: Vec<RiskItemView> = into_api,
    }

    /// A person of the register (重点人员), known by blind index, never by plaintext.
    pub struct PersonRisk from app::risk_lists::PersonRisk {
        /// The blind index of the ID number (or of the phone when none was given).
        pub person_key: String,
        pub name_masked: String,
        pub colour: Risk,
        pub reasons: Vec<String> = into_api,
        pub case_ids: Vec<i64>,
    }
}

/// The register of people who need attention, reddest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeopleRiskList {
    pub items: Vec<PersonRisk>,
}

// Police referral and task forces (issue 16).
dto! {
    /// A referral of a case to the police unit of its territory (人民调解法 art. 25).
    pub struct PoliceReferralView from app::police::PoliceReferralView {
        pub id: i64,
        pub case_id: i64,
        pub case_number: String,
        /// The police unit it is addressed to.
        pub unit_id: i64,
        pub unit_name: String,
        pub reason: String,
        pub referred_by_name: String,
        pub referred_at: String = into_api,
        pub acknowledged_at: Option<String> = into_api,
        pub feedback: Option<String>,
        pub feedback_at: Option<String> = into_api,
        /// The criminal case that followed, as the police recorded it (民转刑).
        pub criminal_text: Option<String>,
        pub criminal_at: Option<String> = into_api,
        /// referred | acknowledged | answered | criminal
        pub status: String,
        /// 防止民转刑: the case was resolved and no criminal case followed.
        pub prevented: bool,
    }

    /// A member unit of a task force with its duty (定人员, 定责任).
    pub struct TaskForceMember from app::task_forces::TaskForceMember {
        pub unit_id: i64,
        pub unit_name: String,
        pub duty: String,
    }

    /// A milestone of a task force's plan (定时限).
    pub struct MilestoneView from app::task_forces::MilestoneView {
        pub id: i64,
        pub title: String,
        /// The member unit responsible: it marks the milestone done.
        pub unit_id: i64,
        pub unit_name: String,
        pub due_at: String = into_api,
        pub done_at: Option<String> = into_api,
        pub note: Option<String>,
        /// Not done by `due_at`: the supervision ladder runs on it.
        pub overdue: bool,
    }

    /// A case's task force (一案一专班 / 领导包案) with the 五定.
    pub struct TaskForceView from app::task_forces::TaskForceView {
        pub id: i64,
        pub case_id: i64,
        pub case_number: String,
        pub case_status: String,
        pub case_risk: String,
        /// The leader at its head (定领导).
        pub leader_id: i64,
        pub leader_name: String,
        /// 定方案
        pub plan: String,
        pub created_at: String = into_api,
        pub members: Vec<TaskForceMember> = into_api,
        pub milestones: Vec<MilestoneView> = into_api,
    }
}

// 联席研判: the centres' joint assessment meetings (issue 16).
dto! {
    /// A decision of a joint meeting: a task (交办) for a unit with a deadline.
    pub struct JointDecisionView from app::joint_meetings::JointDecisionView {
        pub id: i64,
        pub meeting_id: i64,
        pub meeting_number: String,
        /// The agenda item it was decided on.
        pub item_id: i64,
        /// The unit that acknowledges it and reports it done.
        pub unit_id: i64,
        pub unit_name: String,
        pub task: String,
        pub due_at: String = into_api,
        /// assigned | acknowledged | done
        pub status: String,
        pub decided_at: String = into_api,
        pub acknowledged_at: Option<String> = into_api,
        pub reported_at: Option<String> = into_api,
        /// What the unit reported when done.
        pub report: Option<String>,
        /// Not done by `due_at`: the supervision ladder runs on it.
        pub overdue: bool,
    }

    /// An item of a meeting's agenda, with its source, and the decisions on it.
    pub struct AgendaItemView from app::joint_meetings::AgendaItemView {
        pub id: i64,
        /// risk_item (an open item of the centre's latest risk list) | alert (an open alert) |
        /// case (a red case registered since the last meeting)
        pub source: String,
        pub risk_list_id: Option<i64>,
        pub risk_list_number: Option<String>,
        pub risk_item_id: Option<i64>,
        pub alert_id: Option<i64>,
        pub case_id: Option<i64>,
        pub colour: Risk,
        /// The reasons as they stood when the agenda was generated.
        pub reasons: Vec<String> = into_api,
        pub case_ids: Vec<i64>,
        /// What the meeting said of it.
        pub minutes: Option<String>,
        pub decisions: Vec<JointDecisionView> = into_api,
    }

    /// A unit taking part in a meeting.
    pub struct JointParticipant from app::joint_meetings::JointParticipant {
        pub unit_id: i64,
        pub unit_name: String,
    }

    /// A centre's joint assessment meeting (联席研判会), numbered per centre and year.
    pub struct JointMeetingView from app::joint_meetings::JointMeetingView {
        pub id: i64,
        /// 2026-003: the year and the centre's serial.
        pub number: String,
        /// The convening centre: it writes the minutes and decides.
        pub unit_id: i64,
        pub unit_name: String,
        pub region_code: String,
        pub region_name: String,
        /// The meeting's date, YYYY-MM-DD.
        pub held_on: String,
        /// draft (minutes open) | held (minutes fixed)
        pub status: String,
        pub minutes: Option<String>,
        pub convened_at: String = into_api,
        pub held_at: Option<String> = into_api,
        pub participants: Vec<JointParticipant> = into_api,
        pub agenda: Vec<AgendaItemView> = into_api,
    }

    /// A meeting as the index lists it.
    pub struct JointMeetingSummary from app::joint_meetings::JointMeetingSummary {
        pub id: i64,
        pub number: String,
        pub unit_name: String,
        pub region_name: String,
        pub held_on: String,
        /// draft | held
        pub status: String,
        pub items: i64,
        pub decisions: i64,
        /// Decisions not done yet.
        pub open_decisions: i64,
        /// Decisions not done by their deadline.
        pub overdue_decisions: i64,
    }
}

/// A page of meetings, newest first, with how many there are.
#[derive(Debug, Serialize, ToSchema)]
pub struct JointMeetingPage {
    pub total: i64,
    pub items: Vec<JointMeetingSummary>,
}

// Video mediation.
dto! {
    /// A recording of one participant's track, kept as the case's evidence.
    pub struct RecordingView from app::video::RecordingView {
        pub id: i64,
        /// Whose track: mediator | party-1 … | interpreter-1 …
        pub participant: String,
        /// video/webm or audio/webm
        pub content_type: String,
        pub bytes: i64,
        /// SHA-256 of the file, as recorded in the case's history.
        pub sha256: String,
        pub started_at: String = into_api,
        pub ended_at: String = into_api,
        /// When its file was deleted, the retention period over (已按保存期限删除): the row, its
        /// hash and its history stay; the file is gone.
        pub purged_at: Option<String> = into_api,
    }

    /// A legal hold on a case's recordings (录音录像保全): while in force (not released) the
    /// retention purge keeps them.
    pub struct RecordingHold from app::video::RecordingHold {
        pub id: i64,
        pub case_id: i64,
        pub reason: String,
        /// Who placed it (username).
        pub placed_by: String,
        pub placed_at: String = into_api,
        pub released_by: Option<String>,
        pub released_at: Option<String> = into_api,
    }
}

// Legal help.
dto! {
    /// A statute article that answers the question.
    pub struct LawArticle from app::law::LawHit {
        /// The law's title, as the source names it (中华人民共和国劳动合同法).
        pub law: String,
        /// The article, as the source numbers it (第三十条).
        pub article: String,
        pub text: String,
        /// Relevance (BM25): higher is better; the items are sorted by it.
        pub score: f32,
    }
}

/// The articles that best answer a question, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LawSearchResult {
    pub items: Vec<LawArticle>,
}

// Similar cases.
dto! {
    /// A concluded case like another: its summary without personal data.
    pub struct SimilarCase from app::cases::SimilarCase {
        pub id: i64,
        pub number: String,
        pub category: Category,
        pub outcome: Option<Outcome>,
        /// The conclusion's summary (the description when there is none), names as 张某 and
        /// phone and ID numbers masked.
        pub summary: String,
    }
}

/// Concluded cases like this one, most similar first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarCases {
    pub items: Vec<SimilarCase>,
}

// 重点人员: the register of people who need attention.
dto! {
    /// A step of an entry's history.
    pub struct WatchEventOut from app::watch::WatchEvent {
        /// enter | visit | schedule | escalate | release
        pub action: String,
        /// A visit's finding (stable | changed | escalate | not_met); for an escalation, the
        /// finding of the visit that caused it.
        pub situation: Option<String>,
        /// The colour after it.
        pub colour: String,
        /// The days between visits after it.
        pub visit_every_days: i64,
        /// A visit's note, an entry's details, a release's reason.
        pub text: Option<String>,
        pub user_name: Option<String>,
        pub at: String = into_api,
    }

    /// A person on the register (重点人员), the grid whose workers visit them and when next.
    pub struct WatchOut from app::watch::WatchView {
        pub id: i64,
        pub grid_id: i64,
        pub grid_name: String,
        /// The grid's community.
        pub region_code: String,
        pub name: String,
        pub id_number_masked: Option<String>,
        pub phone_masked: Option<String>,
        /// repeated_petitions | threats | mental_illness | dispute_risk | other
        pub reason: String,
        pub detail: Option<String>,
        /// The department that flagged a mental illness.
        pub flagged_by: Option<String>,
        /// red | orange | yellow
        pub colour: String,
        pub visit_every_days: i64,
        /// active | released
        pub status: String,
        /// When the next visit falls due (absent once released).
        pub next_visit_due: Option<String> = into_api,
        /// overdue | soon | scheduled
        pub visit_due: Option<String> = into_api,
        pub entered_at: String = into_api,
        pub last_visit_at: Option<String> = into_api,
        /// What the last visit found.
        pub last_situation: Option<String>,
        /// The full phone and the address, on one entry only (every look recorded).
        pub phone: Option<String>,
        pub address: Option<String>,
        /// The history, newest first, on one entry only.
        pub events: Vec<WatchEventOut> = into_api,
    }
}
