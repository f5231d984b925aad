//! 移送公安 (人民调解法 art. 25, issue 16): a red case referred to the police unit of its
//! territory — the police unit whose region is the nearest above the case's — which acknowledges
//! it, answers with its feedback, and records a criminal case when one followed (民转刑). Each
//! act is an event of the case's history. A referral counts as 防止民转刑 once its case is
//! resolved with no criminal case recorded.

use chrono::{DateTime, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::Risk;
use domain::ids::CaseId;
use domain::msg;
use domain::org::{RegionCode, UnitKind};
use domain::validation::Checker;

use crate::sql::{args, from_row};
use crate::{Result, Store, StoreError, Viewer, to_ms};

/// A referral as the case page and the police unit's list show it.
#[derive(Debug, Clone)]
pub struct PoliceReferralView {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub reason: String,
    pub referred_by_name: String,
    pub referred_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub feedback: Option<String>,
    pub feedback_at: Option<DateTime<Utc>>,
    pub criminal_text: Option<String>,
    pub criminal_at: Option<DateTime<Utc>>,
    /// referred | acknowledged | answered | criminal
    pub status: String,
    /// The case was resolved and no criminal case followed: 防止民转刑.
    pub prevented: bool,
}
from_row!(
    PoliceReferralView {
        id,
        case_id,
        case_number,
        unit_id,
        unit_name,
        reason,
        referred_by_name,
        feedback,
        criminal_text,
        status,
        prevented
    },
    time { referred_at, acknowledged_at, feedback_at, criminal_at }
);

/// The referrals a viewer sees with the two counts of the territory.
#[derive(Debug, Clone)]
pub struct PoliceReferralList {
    pub items: Vec<PoliceReferralView>,
    /// 防止民转刑: referred cases resolved with no criminal case.
    pub prevented: i64,
    /// 民转刑: referred cases a criminal case followed.
    pub criminal: i64,
}

/// What the police unit does to a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoliceStep {
    /// 签收
    Acknowledge,
    /// 反馈: what the police did (acknowledges too); needs a text.
    Feedback,
    /// 民转刑: a criminal case followed (its reference and what happened); needs a text.
    Criminal,
}

/// The longest text of a reason, a feedback or a criminal case's account.
pub const TEXT_MAX: usize = 5000;

/// A required text checked once the viewer may act (so a refusal comes before a fault).
pub(crate) fn required_text(field: &str, text: Option<&str>) -> Result<String> {
    let mut checker = Checker::default();
    let text = checker.required_text(field, text, TEXT_MAX);
    checker.into_result().map_err(StoreError::Invalid)?;
    Ok(text.unwrap_or_default())
}

const COLUMNS: &str = "r.id, r.case_id, c.number AS case_number, r.unit_id, u.name AS unit_name, r.reason,
    us.display_name AS referred_by_name, r.referred_at, r.acknowledged_at, r.feedback, r.feedback_at, r.criminal_text, r.criminal_at,
    CASE WHEN r.criminal_at IS NOT NULL THEN 'criminal' WHEN r.feedback_at IS NOT NULL THEN 'answered'
        WHEN r.acknowledged_at IS NOT NULL THEN 'acknowledged' ELSE 'referred' END AS status,
    (r.criminal_at IS NULL AND COALESCE(c.outcome, '') = 'resolved') AS prevented";
const FROM: &str = "police_referrals r JOIN cases c ON c.id = r.case_id JOIN units u ON u.id = r.unit_id
    JOIN users us ON us.id = r.referred_by";

impl Store {
    /// Refers a red case to the police unit of its territory, by a unit handling it or a
    /// centre that sees it; one referral at a time until the police answer (409).
    pub async fn police_refer(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PoliceReferralView> {
        let case = self.case_for(viewer, case_id.get(), Permission::PoliceRefer).await?;
        let reason = required_text("reason", reason)?;
        if case.risk() != Risk::Red {
            return Err(StoreError::conflict("not_red", msg!("police_referral.not_red")));
        }
        let region = case.region_code_str();
        let police: Vec<(i64, String)> = self
            .fetch_all("SELECT id, region_code FROM units WHERE kind = $1 AND active", args![UnitKind::Police.as_str()])
            .await?;
        let unit = police
            .into_iter()
            .filter(|(_, code)| {
                RegionCode::parse(code).is_ok_and(|r| {
                    let (low, high) = r.subtree_range();
                    low.as_str() <= region.as_str() && region.as_str() <= high.as_str()
                })
            })
            .max_by_key(|(id, code)| (code.trim_end_matches('0').len(), -id))
            .map(|(id, _)| id)
            .ok_or_else(|| StoreError::conflict("no_police_unit", msg!("police_referral.no_police_unit")))?;
        let mut tx = self.begin().await?;
        let open: Option<(i64,)> = tx
            .fetch_optional(
                "SELECT id FROM police_referrals WHERE case_id = $1 AND feedback_at IS NULL AND criminal_at IS NULL",
                args![case.id()],
            )
            .await?;
        if open.is_some() {
            return Err(StoreError::conflict("already_referred", msg!("police_referral.already_referred")));
        }
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO police_referrals (case_id, unit_id, reason, referred_by, referred_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                args![case.id(), unit, reason.clone(), viewer.user_id, to_ms(now)],
            )
            .await?;
        let data = serde_json::json!({"referral_id": id, "unit_id": unit, "reason": reason});
        crate::cases::append_event_locked(&mut tx, case.id(), to_ms(now), &viewer.username, "police_referred", &data)
            .await?;
        tx.commit().await?;
        self.police_referral(id).await
    }

    /// The referrals of a case in the viewer's scope, oldest first.
    pub async fn police_referrals_of_case(&self, viewer: &Viewer, case_id: CaseId) -> Result<Vec<PoliceReferralView>> {
        self.case_row(viewer, case_id.get()).await?;
        self.fetch_all(
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE r.case_id = $1 ORDER BY r.id"),
            args![case_id.get()],
        )
        .await
    }

    /// The referrals addressed to the viewer's unit or on cases of their territory, newest
    /// first (at most 200), with the territory's counts.
    pub async fn police_referrals(&self, viewer: &Viewer) -> Result<PoliceReferralList> {
        let (low, high) = viewer.scope.region.subtree_range();
        let condition = "(r.unit_id = $1 OR c.region_code BETWEEN $2 AND $3)";
        let items = self
            .fetch_all(
                &format!("SELECT {COLUMNS} FROM {FROM} WHERE {condition} ORDER BY r.id DESC LIMIT 200"),
                args![viewer.unit_id, low.clone(), high.clone()],
            )
            .await?;
        let (prevented, criminal): (Option<i64>, Option<i64>) = self
            .fetch_one(
                &format!(
                    "SELECT SUM(CASE WHEN r.criminal_at IS NULL AND c.outcome = 'resolved' THEN 1 ELSE 0 END),
                        SUM(CASE WHEN r.criminal_at IS NOT NULL THEN 1 ELSE 0 END)
                     FROM police_referrals r JOIN cases c ON c.id = r.case_id WHERE {condition}"
                ),
                args![viewer.unit_id, low, high],
            )
            .await?;
        Ok(PoliceReferralList { items, prevented: prevented.unwrap_or(0), criminal: criminal.unwrap_or(0) })
    }

    /// The police unit acknowledges, answers, or records the criminal case that followed:
    /// only the unit it is addressed to (403 for anyone else, as for a notice), each once (409).
    pub async fn police_referral_act(
        &self,
        viewer: &Viewer,
        id: i64,
        step: PoliceStep,
        text: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<PoliceReferralView> {
        authz::may_at_all(viewer.role, Permission::PoliceReferralAnswer)?;
        let referral = self.police_referral(id).await?;
        let addressed = referral.unit_id == viewer.unit_id;
        authz::may(viewer.role, Permission::PoliceReferralAnswer, Resource { addressed, ..Resource::ANY })?;
        let at = to_ms(now);
        let text = match step {
            PoliceStep::Acknowledge => None,
            _ => Some(required_text("text", text)?),
        };
        let (sql, action, done) = match step {
            PoliceStep::Acknowledge => (
                "UPDATE police_referrals SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND acknowledged_at IS NULL",
                "police_referral_acknowledged",
                ("already_acknowledged", msg!("police_referral.already_acknowledged")),
            ),
            PoliceStep::Feedback => (
                "UPDATE police_referrals SET feedback = $4, feedback_at = $1, feedback_by = $2,
                    acknowledged_at = COALESCE(acknowledged_at, $1), acknowledged_by = COALESCE(acknowledged_by, $2)
                 WHERE id = $3 AND feedback_at IS NULL",
                "police_feedback",
                ("already_answered", msg!("police_referral.already_answered")),
            ),
            PoliceStep::Criminal => (
                "UPDATE police_referrals SET criminal_text = $4, criminal_at = $1, criminal_by = $2,
                    acknowledged_at = COALESCE(acknowledged_at, $1), acknowledged_by = COALESCE(acknowledged_by, $2)
                 WHERE id = $3 AND criminal_at IS NULL",
                "criminal_case_recorded",
                ("already_criminal", msg!("police_referral.already_criminal")),
            ),
        };
        let data = serde_json::json!({"referral_id": id, "text": text});
        let mut a = args![at, viewer.user_id, id];
        if let Some(text) = text {
            a.push(text.into());
        }
        let mut tx = self.begin().await?;
        if tx.execute(sql, a).await? == 0 {
            return Err(StoreError::conflict(done.0, done.1));
        }
        crate::cases::append_event_locked(&mut tx, referral.case_id, at, &viewer.username, action, &data).await?;
        tx.commit().await?;
        self.police_referral(id).await
    }

    async fn police_referral(&self, id: i64) -> Result<PoliceReferralView> {
        self.fetch_optional(&format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = $1"), args![id])
            .await?
            .ok_or(StoreError::NotFound { what: "police_referral" })
    }
}
