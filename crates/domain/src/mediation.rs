//! Mediation to agreement (PRODUCT.md "Resolution"; DOMAIN.md §1, §7): the agreement's
//! contents (人民调解法 art. 29), when it takes effect, which agreements must be signed on paper
//! (电子签名法 art. 3), the 30-day window for judicial confirmation (人民调解法 art. 33), the
//! agreements a court will not confirm (民诉解释 art. 355), performance terms, and the ranking of
//! mediators for a case.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::{Calendar, Reckoning};
use crate::case::Category;
use crate::msg;
use crate::org::coded_enum;
use crate::validation::{Arg, Checker, FieldError, Message};

/// Days after the agreement takes effect within which the parties jointly apply for judicial
/// confirmation (司法确认): "自调解协议生效之日起三十日内" (人民调解法 art. 33).
pub const CONFIRMATION_DAYS: u32 = 30;
/// Text limits of the agreement's parts.
const PART_MAX: usize = 5_000;
const TERM_MAX: usize = 1_000;
/// Terms an agreement may have.
pub const MAX_TERMS: usize = 50;

/// An agreement as the mediator drafts it (`POST /api/v1/cases/{id}/agreements`).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AgreementInput {
    /// 纠纷主要事实 (defaults to the case's description).
    pub facts: Option<String>,
    /// 争议事项.
    pub matters: Option<String>,
    /// 各方责任.
    pub responsibilities: Option<String>,
    /// 协议内容: each term with its due date (YYYY-MM-DD) when it is to be performed by one.
    pub terms: Option<Vec<TermInput>>,
    /// 履行方式、地点、期限.
    pub performance: Option<String>,
    /// written (default) | oral: an oral agreement is recorded by the mediator and takes
    /// effect when reached (arts. 28, 30).
    pub form: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TermInput {
    pub text: Option<String>,
    /// YYYY-MM-DD
    pub due: Option<String>,
}

/// The checked contents of an agreement (art. 29).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgreementContent {
    pub facts: String,
    pub matters: String,
    pub responsibilities: String,
    pub terms: Vec<Term>,
    pub performance: String,
}

/// A term of the agreement: what is to be done, and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Term {
    pub text: String,
    #[schema(value_type = Option<String>)]
    pub due: Option<NaiveDate>,
}

coded_enum! {
    /// The state of a mediation agreement: 草稿 → 签署中 → 已生效. An oral agreement, and a
    /// written one signed on paper, take effect without the signing stage.
    AgreementStatus {
        Draft = "draft",
        Signing = "signing",
        Effective = "effective",
    }
}

/// A step in an agreement's life; each is allowed in exactly one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementStep {
    Edit,
    SendForSigning,
    /// Record a written draft as signed and sealed on paper.
    RecordPaperSigning,
    PartySign,
    /// Send one party a new signing link and code.
    ResendSigningLink,
    MediatorSign,
    Seal,
    /// 送达: serve the effective agreement on the parties.
    Serve,
    ApplyForConfirmation,
    RecordPerformance,
}

/// A step refused because of the agreement's status (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotNow {
    /// `not_draft` | `not_signing` | `not_effective`
    pub code: &'static str,
    pub message: Message,
}

impl AgreementStep {
    pub const ALL: &'static [AgreementStep] = &[
        AgreementStep::Edit,
        AgreementStep::SendForSigning,
        AgreementStep::RecordPaperSigning,
        AgreementStep::PartySign,
        AgreementStep::ResendSigningLink,
        AgreementStep::MediatorSign,
        AgreementStep::Seal,
        AgreementStep::Serve,
        AgreementStep::ApplyForConfirmation,
        AgreementStep::RecordPerformance,
    ];

    /// The status the step is taken in: the whole state machine.
    pub fn requires(self) -> AgreementStatus {
        use AgreementStep::*;
        match self {
            Edit | SendForSigning | RecordPaperSigning => AgreementStatus::Draft,
            PartySign | ResendSigningLink | MediatorSign | Seal => AgreementStatus::Signing,
            Serve | ApplyForConfirmation | RecordPerformance => AgreementStatus::Effective,
        }
    }

    /// The status after the step.
    pub fn leads_to(self) -> AgreementStatus {
        match self {
            AgreementStep::SendForSigning => AgreementStatus::Signing,
            AgreementStep::RecordPaperSigning | AgreementStep::Seal => AgreementStatus::Effective,
            step => step.requires(),
        }
    }

    /// Whether the step may be taken in `status`, and if not, why in words.
    pub fn check(self, status: AgreementStatus) -> Result<(), NotNow> {
        if status == self.requires() { Ok(()) } else { Err(self.refusal()) }
    }

    /// Why the step cannot be taken now: the agreement is not in the status it requires.
    pub fn refusal(self) -> NotNow {
        use AgreementStep::*;
        let message = match self {
            Edit => msg!("agreement.not_editable"),
            SendForSigning => msg!("agreement.not_a_draft"),
            RecordPaperSigning => msg!("agreement.not_a_written_draft"),
            PartySign | ResendSigningLink | MediatorSign | Seal => msg!("agreement.not_signing"),
            Serve => msg!("agreement.serve_not_effective"),
            ApplyForConfirmation => msg!("agreement.apply_not_effective"),
            RecordPerformance => msg!("agreement.performance_not_effective"),
        };
        let code = match self.requires() {
            AgreementStatus::Draft => "not_draft",
            AgreementStatus::Signing => "not_signing",
            AgreementStatus::Effective => "not_effective",
        };
        NotNow { code, message }
    }
}

/// written | oral
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgreementForm {
    /// 书面协议: signed by every party and the mediator, sealed by the committee (art. 29).
    Written,
    /// 口头协议: recorded by the mediator, effective when reached (arts. 28, 30).
    Oral,
}

impl AgreementInput {
    /// Checks the draft; the facts default to the case's description.
    pub fn validate(self, case_description: &str) -> Result<(AgreementContent, AgreementForm), Vec<FieldError>> {
        let mut c = Checker::default();
        let facts = match self.facts.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            Some(_) => c.optional_text("facts", self.facts.as_deref(), PART_MAX),
            None => Some(case_description.to_owned()),
        };
        let matters = c.required_text("matters", self.matters.as_deref(), PART_MAX);
        let responsibilities = c.optional_text("responsibilities", self.responsibilities.as_deref(), PART_MAX);
        let performance = c.optional_text("performance", self.performance.as_deref(), PART_MAX);
        let form = match self.form.as_deref().map(str::trim) {
            None | Some("") | Some("written") => Some(AgreementForm::Written),
            Some("oral") => Some(AgreementForm::Oral),
            Some(_) => {
                c.push(FieldError::not_one_of("form", "written | oral"));
                None
            }
        };
        let inputs = self.terms.unwrap_or_default();
        if inputs.is_empty() {
            c.push(FieldError::new("terms", "required", msg!("terms.required")));
        }
        if inputs.len() > MAX_TERMS {
            c.push(FieldError::new("terms", "too_many", msg!("terms.too_many", max = MAX_TERMS)));
        }
        let terms: Vec<Option<Term>> = inputs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let text = c.required_text(&format!("terms[{i}].text"), t.text.as_deref(), TERM_MAX);
                let due = match t.due.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                    None => Some(None),
                    Some(d) => c.check(NaiveDate::parse_from_str(d, "%Y-%m-%d").map(Some).map_err(|_| {
                        FieldError::new(format!("terms[{i}].due"), "invalid_date", msg!("field.not_a_date"))
                    })),
                };
                Some(Term { text: text?, due: due? })
            })
            .collect();
        c.into_result()?;
        let (Some(facts), Some(matters), Some(form)) = (facts, matters, form) else { return Err(Vec::new()) };
        Ok((
            AgreementContent {
                facts,
                matters,
                responsibilities: responsibilities.unwrap_or_default(),
                terms: terms.into_iter().flatten().collect(),
                performance: performance.unwrap_or_default(),
            },
            form,
        ))
    }
}

impl AgreementContent {
    fn text(&self) -> String {
        let terms: Vec<&str> = self.terms.iter().map(|t| t.text.as_str()).collect();
        format!("{} {} {} {} {}", self.facts, self.matters, self.responsibilities, terms.join(" "), self.performance)
    }
}

/// Words that make an agreement one about personal status (婚姻、收养、继承等人身关系).
const PERSONAL_STATUS: &[&str] = &["离婚", "婚姻", "收养", "继承", "遗产", "抚养", "赡养", "亲子", "监护"];
/// Words that make an agreement confirm ownership of property or rights (确权).
const OWNERSHIP: &[&str] = &["所有权", "归属", "确权", "使用权归", "产权归", "权属"];

/// Whether the agreement must be signed on paper: the Electronic Signature Law (art. 3) does
/// not apply to documents on marriage, adoption, inheritance and other personal relations.
pub fn paper_required(category: Category, content: &AgreementContent) -> Option<Message> {
    let text = content.text();
    let word = PERSONAL_STATUS.iter().find(|w| text.contains(**w));
    if category == Category::MarriageFamily || word.is_some() {
        return Some(msg!("agreement.paper_required"));
    }
    None
}

/// Why a court will likely not confirm the agreement (民诉解释 art. 355; DOMAIN.md §7 item 18).
pub fn confirmation_warnings(category: Category, content: &AgreementContent) -> Vec<Message> {
    let text = content.text();
    let mut warnings = Vec::new();
    let status_words = ["离婚", "解除婚姻", "收养", "亲子", "解除收养", "身份"];
    if status_words.iter().any(|w| text.contains(w)) {
        warnings.push(msg!("confirmation.status_relations"));
    }
    let property = matches!(category, Category::LandHousing | Category::ForestLand | Category::RealEstate);
    if OWNERSHIP.iter().any(|w| text.contains(w)) || (property && text.contains("确认")) {
        warnings.push(msg!("confirmation.ownership"));
    }
    if content.terms.iter().any(|t| t.text.chars().count() < 6) {
        warnings.push(msg!("confirmation.unclear_terms"));
    }
    warnings
}

/// The last day to apply for judicial confirmation: 30 days after the agreement took effect,
/// the start day not counted, moved past rest days (民法典 art. 203).
pub fn confirmation_deadline(calendar: &Calendar, effective_on: NaiveDate) -> Reckoning {
    calendar.add_days(effective_on, CONFIRMATION_DAYS)
}

/// When an agreement takes effect: a written one when the last of the parties' signatures,
/// the mediator's signature and the committee's seal is given (art. 29); an oral one when it is
/// reached (art. 30). `None` while something is missing.
pub fn effective_at(
    form: AgreementForm,
    reached_at: DateTime<Utc>,
    party_signatures: &[Option<DateTime<Utc>>],
    mediator_signed: Option<DateTime<Utc>>,
    sealed: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    if form == AgreementForm::Oral {
        return Some(reached_at);
    }
    if party_signatures.is_empty() {
        return None;
    }
    let mut last = mediator_signed?.max(sealed?);
    for signed in party_signatures {
        last = last.max((*signed)?);
    }
    Some(last)
}

/// A mediator who might take a case, with what speaks for them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediatorCandidate {
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
    /// Languages the mediator works in (e.g. 普通话 藏语), as the registry gives them.
    pub languages: String,
    /// Concluded cases they mediated, and of those the resolved: the success rate's parts.
    pub mediated: i64,
    pub resolved: i64,
    pub score: f64,
    /// What speaks for the mediator, as messages of the catalogue.
    pub reasons: Vec<Message>,
}

/// Ranks mediators for a case: speciality first, then nearness of region, light load and
/// rating; each suggestion says why.
pub fn rank_mediators(
    category: Category,
    case_region: &str,
    mut candidates: Vec<MediatorCandidate>,
) -> Vec<MediatorCandidate> {
    for m in &mut candidates {
        let mut score = 0.0;
        let mut reasons = Vec::new();
        if m.specialities.iter().any(|s| s == category.as_str()) {
            score += 50.0;
            reasons.push(msg!("mediator.reason.speciality", category = Arg::code("category", category.as_str())));
        }
        let shared = m.region_code.bytes().zip(case_region.bytes()).take_while(|(a, b)| a == b).count();
        let region = m.region_code.trim_end_matches('0');
        if case_region.starts_with(region) {
            score += 10.0 + shared as f64;
            reasons.push(msg!("mediator.reason.region"));
        }
        score -= m.load as f64 * 2.0;
        reasons.push(msg!("mediator.reason.load", count = m.load));
        if let Some(rating) = m.rating {
            score += rating * 3.0;
            reasons.push(msg!("mediator.reason.rating", rating = format!("{rating:.1}")));
        }
        m.score = score;
        m.reasons = reasons;
    }
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.user_id.cmp(&b.user_id)));
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::T;
    use chrono::TimeZone;

    fn input(matters: &str, terms: &[(&str, Option<&str>)]) -> AgreementInput {
        AgreementInput {
            matters: Some(matters.into()),
            terms: Some(
                terms.iter().map(|(t, d)| TermInput { text: Some((*t).into()), due: d.map(str::to_owned) }).collect(),
            ),
            ..AgreementInput::default()
        }
    }

    #[test]
    fn an_agreement_needs_matters_and_terms_and_names_each_fault() {
        let errors = AgreementInput::default().validate("事实").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["matters", "terms"]);
        let errors = input("欠款", &[("", None), ("付款", Some("2026-13-01"))]).validate("事实").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["terms[0].text", "terms[1].due"]);
        let bad_form = AgreementInput { form: Some("video".into()), ..input("x", &[("付款一万元", None)]) };
        assert_eq!(bad_form.validate("事实").unwrap_err()[0].field, "form");
    }

    #[test]
    fn facts_default_to_the_case_and_dates_parse() {
        let (content, form) =
            input("工资", &[("被申请人支付工资二万元", Some("2026-12-31"))]).validate("拖欠工资").unwrap();
        assert_eq!(content.facts, "拖欠工资");
        assert_eq!(form, AgreementForm::Written);
        assert_eq!(content.terms[0].due, NaiveDate::from_ymd_opt(2026, 12, 31));
    }

    #[test]
    fn personal_status_needs_paper_and_courts_refuse_status_and_ownership() {
        let (inheritance, _) = input("遗产分配", &[("长子继承房屋一套", None)]).validate("x").unwrap();
        assert!(paper_required(Category::Other, &inheritance).is_some());
        assert!(
            paper_required(
                Category::MarriageFamily,
                &input("抚养费", &[("每月支付抚养费", None)]).validate("x").unwrap().0
            )
            .is_some()
        );
        let (debt, _) = input("借款", &[("乙方于年底前归还借款五万元", None)]).validate("x").unwrap();
        assert!(paper_required(Category::Finance, &debt).is_none());
        assert!(confirmation_warnings(Category::Finance, &debt).is_empty());
        let (divorce, _) = input("离婚", &[("双方自愿解除婚姻关系", None)]).validate("x").unwrap();
        assert_eq!(confirmation_warnings(Category::MarriageFamily, &divorce).len(), 1);
        let (title, _) = input("宅基地", &[("确认争议宅基地使用权归甲方所有", None)]).validate("x").unwrap();
        assert!(T::default().msg(&confirmation_warnings(Category::LandHousing, &title)[0]).contains("确权"));
    }

    #[test]
    fn a_written_agreement_takes_effect_at_the_last_act_and_an_oral_one_at_once() {
        let t = |h| Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0).unwrap();
        let written = AgreementForm::Written;
        assert_eq!(effective_at(written, t(8), &[Some(t(9)), Some(t(11))], Some(t(10)), Some(t(10))), Some(t(11)));
        assert_eq!(effective_at(written, t(8), &[Some(t(9)), Some(t(9))], Some(t(10)), Some(t(12))), Some(t(12)));
        assert_eq!(effective_at(written, t(8), &[Some(t(9)), None], Some(t(10)), Some(t(12))), None);
        assert_eq!(effective_at(written, t(8), &[Some(t(9))], None, Some(t(12))), None);
        assert_eq!(effective_at(written, t(8), &[Some(t(9))], Some(t(9)), None), None);
        assert_eq!(effective_at(written, t(8), &[], Some(t(9)), Some(t(9))), None);
        assert_eq!(effective_at(AgreementForm::Oral, t(8), &[None], None, None), Some(t(8)));
    }

    #[test]
    fn the_confirmation_window_is_thirty_days_moved_past_rest_days() {
        let calendar = Calendar::new(crate::calendar::shipped_years());
        // Effective 2026-09-01: day 30 is 2026-10-01, inside the National Day holiday.
        let d = confirmation_deadline(&calendar, NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
        assert!(d.date > NaiveDate::from_ymd_opt(2026, 10, 7).unwrap(), "{:?}", d.explanation);
        // Effective 2026-11-02: day 30 is Wednesday 2026-12-02, a working day.
        let d = confirmation_deadline(&calendar, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
        assert_eq!(d.date, NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
    }

    #[test]
    fn mediators_rank_by_speciality_place_load_and_rating() {
        let m = |id, spec: &str, region: &str, load, rating| MediatorCandidate {
            user_id: id,
            name: format!("m{id}"),
            unit_id: id,
            specialities: vec![spec.to_owned()],
            region_code: region.to_owned(),
            load,
            rating,
            languages: String::new(),
            mediated: 0,
            resolved: 0,
            score: 0.0,
            reasons: Vec::new(),
        };
        let ranked = rank_mediators(
            Category::Labor,
            "620102003001",
            vec![
                m(1, "neighbor", "620102003000", 0, None),
                m(2, "labor", "620102000000", 3, Some(4.5)),
                m(3, "labor", "620103000000", 0, None),
            ],
        );
        assert_eq!(ranked.iter().map(|m| m.user_id).collect::<Vec<_>>(), [2, 3, 1]);
        assert!(ranked[0].reasons.iter().any(|r| r.key == "mediator.reason.speciality"));
    }
    /// The state machine as a table: each step in each status.
    #[test]
    fn each_agreement_step_is_allowed_in_exactly_one_status() {
        for &step in AgreementStep::ALL {
            let allowed: Vec<AgreementStatus> =
                AgreementStatus::ALL.iter().copied().filter(|&s| step.check(s).is_ok()).collect();
            assert_eq!(allowed, [step.requires()], "{step:?}");
            for &status in AgreementStatus::ALL.iter().filter(|&&s| s != step.requires()) {
                let refusal = step.check(status).unwrap_err();
                assert_eq!(refusal.code, format!("not_{}", step.requires().as_str()), "{step:?} in {status}");
                assert!(crate::i18n::message_parameters(&refusal.message.key).is_some());
            }
        }
        assert_eq!(AgreementStep::SendForSigning.leads_to(), AgreementStatus::Signing);
        assert_eq!(AgreementStep::Seal.leads_to(), AgreementStatus::Effective);
        assert_eq!(AgreementStep::RecordPaperSigning.leads_to(), AgreementStatus::Effective);
        assert_eq!(AgreementStep::PartySign.leads_to(), AgreementStatus::Signing);
    }
}
