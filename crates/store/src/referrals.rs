//! 诉前委派 (issue 18, DOMAIN.md §5.6): the courts' referrals, one per court and court case
//! number, each with its case and clocks.

use chrono::{DateTime, Utc};
use domain::authz::Viewer;
use domain::ids::CaseId;

use crate::cases::scope_condition;
use crate::sql::args;
use crate::{Result, Store, StoreError, from_ms, to_ms};

/// A referral with its case's status and outcome, and the agreement in effect, if any.
#[derive(Debug, Clone)]
pub struct ReferralRow {
    pub id: i64,
    pub case_id: i64,
    pub case_number: String,
    pub case_status: String,
    pub outcome: Option<String>,
    pub summary: Option<String>,
    pub court_case_number: String,
    pub status: String,
    pub received_at: DateTime<Utc>,
    pub confirm_by: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub contact_by: Option<DateTime<Utc>>,
    pub mediate_by: Option<DateTime<Utc>>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub agreement_id: Option<i64>,
}

type Row = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

const COLUMNS: &str = "r.id, r.case_id, c.number, c.status, c.outcome, c.summary, r.court_case_number, r.status,
     r.received_at, r.confirm_by, r.decided_at, r.contact_by, r.mediate_by, c.contacted_at, r.reason,
     (SELECT MAX(a.id) FROM agreements a WHERE a.case_id = c.id AND a.status = 'effective')";

/// A referral's state in SQL, as `domain::referral::State::of` reads it: recorded received or
/// declined; once accepted, succeeded or failed when its case is concluded (or after), mediating
/// once the other party was contacted, accepted before.
const STATE: &str = "CASE WHEN r.status IN ('received', 'declined') THEN r.status
     WHEN c.status IN ('concluded', 'followed_up', 'archived') THEN CASE WHEN c.outcome = 'resolved' THEN 'succeeded' ELSE 'failed' END
     WHEN c.contacted_at IS NOT NULL THEN 'mediating' ELSE 'accepted' END";

fn row_of(row: Row) -> ReferralRow {
    let (id, case_id, case_number, case_status, outcome, summary, number, status) =
        (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7);
    let (received, confirm_by, decided, contact_by, mediate_by, contacted, reason, agreement_id) =
        (row.8, row.9, row.10, row.11, row.12, row.13, row.14, row.15);
    ReferralRow {
        id,
        case_id,
        case_number,
        case_status,
        outcome,
        summary,
        court_case_number: number,
        status,
        received_at: from_ms(received),
        confirm_by: from_ms(confirm_by),
        decided_at: decided.map(from_ms),
        contact_by: contact_by.map(from_ms),
        mediate_by: mediate_by.map(from_ms),
        contacted_at: contacted.map(from_ms),
        reason,
        agreement_id,
    }
}

impl Store {
    /// Records the referral of `case` by the court `court_unit_id` under its number, unless that
    /// number is already referred: the referral's id, and whether it is new.
    pub async fn referral_record(
        &self,
        case: CaseId,
        court_unit_id: i64,
        court_case_number: &str,
        sent_by: i64,
        received_at: DateTime<Utc>,
        confirm_by: DateTime<Utc>,
    ) -> Result<(i64, bool)> {
        let inserted = self
            .execute(
                "INSERT INTO referrals (case_id, court_unit_id, court_case_number, sent_by, status, received_at, confirm_by)
                 VALUES ($1, $2, $3, $4, 'received', $5, $6) ON CONFLICT DO NOTHING",
                args![case.get(), court_unit_id, court_case_number, sent_by, to_ms(received_at), to_ms(confirm_by)],
            )
            .await?;
        let (id,): (i64,) = self
            .fetch_one(
                "SELECT id FROM referrals WHERE court_unit_id = $1 AND court_case_number = $2",
                args![court_unit_id, court_case_number],
            )
            .await?;
        Ok((id, inserted == 1))
    }

    /// A page of the referrals the viewer follows, the newest first — those its unit sent (a
    /// court) and those of cases in its scope —, only those in `state` when given, with how
    /// many the viewer follows in each state.
    pub async fn referrals(
        &self,
        viewer: &Viewer,
        state: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<(String, i64)>, Vec<ReferralRow>)> {
        let mut args = Vec::new();
        let scope = scope_condition(viewer, 1, &mut args);
        args.extend(args![viewer.unit_id]);
        let followed = format!("(r.court_unit_id = ${} OR {scope})", args.len());
        let counts: Vec<(String, i64)> = self
            .fetch_all(
                &format!(
                    "SELECT {STATE}, COUNT(*) FROM referrals r JOIN cases c ON c.id = r.case_id WHERE {followed} GROUP BY 1"
                ),
                args.clone(),
            )
            .await?;
        args.extend(args![state.map(str::to_owned), limit, offset]);
        let n = args.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM referrals r JOIN cases c ON c.id = r.case_id
             WHERE {followed} AND (${s} IS NULL OR {STATE} = ${s})
             ORDER BY r.received_at DESC, r.id DESC LIMIT ${l} OFFSET ${n}",
            s = n - 2,
            l = n - 1,
        );
        let rows: Vec<Row> = self.fetch_all(&sql, args).await?;
        Ok((counts, rows.into_iter().map(row_of).collect()))
    }

    /// One referral the viewer follows.
    pub async fn referral(&self, viewer: &Viewer, id: i64) -> Result<ReferralRow> {
        let mut args = Vec::new();
        let scope = scope_condition(viewer, 1, &mut args);
        args.extend(args![viewer.unit_id, id]);
        let n = args.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM referrals r JOIN cases c ON c.id = r.case_id
             WHERE (r.court_unit_id = ${} OR {scope}) AND r.id = ${n}",
            n - 1
        );
        let row: Option<Row> = self.fetch_optional(&sql, args).await?;
        row.map(row_of).ok_or(StoreError::NotFound { what: "referral" })
    }

    /// Records the centre's answer to a referral still awaiting one: `accepted` with the clocks
    /// that start, or `declined` with the reason. False when it was answered already.
    pub async fn referral_decide(
        &self,
        viewer: &Viewer,
        id: i64,
        status: &str,
        reason: Option<&str>,
        clocks: Option<(DateTime<Utc>, DateTime<Utc>)>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let decided: Option<(i64, String)> = tx
            .fetch_optional(
                "UPDATE referrals SET status = $1, decided_at = $2, decided_by = $3, reason = $4, contact_by = $5, mediate_by = $6
                 WHERE id = $7 AND status = 'received' RETURNING case_id, court_case_number",
                args![
                    status,
                    to_ms(now),
                    viewer.user_id,
                    reason,
                    clocks.map(|c| to_ms(c.0)),
                    clocks.map(|c| to_ms(c.1)),
                    id
                ],
            )
            .await?;
        let Some((case_id, court_case_number)) = decided else { return Ok(false) };
        // The decision is a step of the case's history: accepted with its two clocks, or
        // declined with the reason the court is given.
        let action = if status == "accepted" { "referral_accepted" } else { "referral_declined" };
        let data = serde_json::json!({
            "court_case_number": court_case_number,
            "reason": reason,
            "contact_by": clocks.map(|c| crate::rfc3339(to_ms(c.0))),
            "mediate_by": clocks.map(|c| crate::rfc3339(to_ms(c.1))),
        });
        crate::cases::append_event_locked(&mut tx, case_id, to_ms(now), &viewer.username, action, &data).await?;
        tx.commit().await?;
        Ok(true)
    }
}
