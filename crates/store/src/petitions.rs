//! 信访转办 (issue 18): the petitions petition offices transferred to the centre, each a
//! `petition` case, with its stage and the times its statutory clocks run from — each change
//! also an event in the case's history, which the webhooks carry back to the sender.

use chrono::{DateTime, Utc};
use domain::authz::Viewer;

use crate::cases::{append_event_locked, scope_condition};
use crate::sql::{Arg, args, from_row};
use crate::{Result, Store, StoreError, to_ms};

/// A petition with its case's number and status.
#[derive(Debug, Clone)]
pub struct PetitionRow {
    pub case_id: i64,
    pub case_number: String,
    pub case_status: String,
    /// The petition office that sent it (a system account's name, or as staff entered it).
    pub sender: String,
    pub reference: String,
    pub account_id: Option<i64>,
    pub petitioner: String,
    /// 事实和请求
    pub request: String,
    /// The day the petition office received it (YYYY-MM-DD).
    pub office_received_on: String,
    pub received_at: DateTime<Utc>,
    pub accept_by: DateTime<Utc>,
    pub object_by: DateTime<Utc>,
    pub stage: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub handle_by: Option<DateTime<Utc>>,
    pub transfer_to: Option<String>,
    pub reason: Option<String>,
    pub extension_days: i64,
    pub extension_reason: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub reply: Option<String>,
    pub review_requested_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_reply: Option<String>,
    pub recheck_requested_at: Option<DateTime<Utc>>,
    pub rechecked_at: Option<DateTime<Utc>>,
    pub recheck_reply: Option<String>,
    pub version: i64,
}
from_row!(
    PetitionRow {
        case_id,
        case_number,
        case_status,
        sender,
        reference,
        account_id,
        petitioner,
        request,
        office_received_on,
        stage,
        transfer_to,
        reason,
        extension_days,
        extension_reason,
        reply,
        review_reply,
        recheck_reply,
        version
    },
    time {
        received_at,
        accept_by,
        object_by,
        decided_at,
        accepted_at,
        handle_by,
        replied_at,
        review_requested_at,
        reviewed_at,
        recheck_requested_at,
        rechecked_at
    }
);

const COLUMNS: &str = "p.case_id, c.number AS case_number, c.status AS case_status, p.sender, p.reference,
     p.account_id, p.petitioner, p.request, p.office_received_on, p.received_at, p.accept_by, p.object_by, p.stage,
     p.decided_at, p.accepted_at, p.handle_by, p.transfer_to, p.reason, p.extension_days, p.extension_reason,
     p.replied_at, p.reply, p.review_requested_at, p.reviewed_at, p.review_reply, p.recheck_requested_at,
     p.rechecked_at, p.recheck_reply, p.version";
const FROM: &str = "petitions p JOIN cases c ON c.id = p.case_id";

/// A new petition, as the use case computed it.
#[derive(Debug, Clone)]
pub struct NewPetition<'a> {
    pub case_id: i64,
    pub sender: &'a str,
    pub reference: &'a str,
    pub account_id: Option<i64>,
    pub petitioner: &'a str,
    pub request: &'a str,
    pub office_received_on: &'a str,
    pub received_at: DateTime<Utc>,
    pub accept_by: DateTime<Utc>,
    pub object_by: DateTime<Utc>,
}

/// A value a change sets.
#[derive(Debug, Clone)]
pub enum Value {
    Time(Option<DateTime<Utc>>),
    Days(i64),
    Text(Option<String>),
}

impl From<Value> for Arg {
    fn from(value: Value) -> Arg {
        match value {
            Value::Time(at) => at.map(to_ms).into(),
            Value::Days(n) => n.into(),
            Value::Text(text) => text.into(),
        }
    }
}

/// One recorded change of a petition: its new stage, the columns it sets, and its event.
#[derive(Debug, Clone)]
pub struct PetitionChange {
    pub stage: &'static str,
    /// Columns and their values.
    pub set: Vec<(&'static str, Value)>,
    /// The history's action (`petition_accepted` …) and its data.
    pub action: &'static str,
    pub data: serde_json::Value,
    /// An extension, which the petitioner is told of by SMS.
    pub extension: Option<Extension>,
}

/// The one extension of a petition: its days, its reason and the new limit.
#[derive(Debug, Clone)]
pub struct Extension {
    pub days: i64,
    pub reason: String,
    pub handle_by: DateTime<Utc>,
}

impl Store {
    /// The case of the petition a sender sent under a reference, if any (idempotency; no scope).
    pub async fn petition_by_reference(&self, sender: &str, reference: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = self
            .fetch_optional(
                "SELECT case_id FROM petitions WHERE sender = $1 AND reference = $2",
                args![sender, reference],
            )
            .await?;
        Ok(row.map(|(id,)| id))
    }

    /// Records a petition for its case unless the sender's reference is recorded already:
    /// whether it is new. The history gets `petition_received`.
    pub async fn petition_record(&self, actor: &str, new: NewPetition<'_>) -> Result<bool> {
        let mut tx = self.begin().await?;
        let inserted = tx
            .execute(
                "INSERT INTO petitions (case_id, sender, reference, account_id, petitioner, request, office_received_on,
                   received_at, accept_by, object_by, stage, extension_days, duty_by, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'received', 0, $9, 1) ON CONFLICT DO NOTHING",
                args![
                    new.case_id,
                    new.sender,
                    new.reference,
                    new.account_id,
                    new.petitioner,
                    new.request,
                    new.office_received_on,
                    to_ms(new.received_at),
                    to_ms(new.accept_by),
                    to_ms(new.object_by)
                ],
            )
            .await?;
        if inserted == 1 {
            let data = serde_json::json!({
                "sender": new.sender,
                "reference": new.reference,
                "accept_by": crate::rfc3339(to_ms(new.accept_by)),
                "object_by": crate::rfc3339(to_ms(new.object_by)),
            });
            append_event_locked(&mut tx, new.case_id, to_ms(new.received_at), actor, "petition_received", &data)
                .await?;
        }
        tx.commit().await?;
        Ok(inserted == 1)
    }

    /// The petitions in the viewer's scope, the newest first, optionally in one stage: the
    /// total and one page.
    pub async fn petitions(
        &self,
        viewer: &Viewer,
        stage: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<PetitionRow>)> {
        let mut args = Vec::new();
        let scope = scope_condition(viewer, 1, &mut args);
        args.push(stage.map(str::to_owned).into());
        let s = args.len();
        let filter = format!("{scope} AND (${s} IS NULL OR p.stage = ${s})");
        let (total,): (i64,) =
            self.fetch_one(&format!("SELECT COUNT(*) FROM {FROM} WHERE {filter}"), args.clone()).await?;
        args.extend(args![limit, offset]);
        let n = args.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {filter} ORDER BY p.received_at DESC, p.case_id DESC LIMIT ${} OFFSET ${n}",
            n - 1
        );
        let rows: Vec<PetitionRow> = self.fetch_all(&sql, args).await?;
        Ok((total, rows))
    }

    /// The petition of a case in the viewer's scope.
    pub async fn petition(&self, viewer: &Viewer, case_id: i64) -> Result<PetitionRow> {
        let mut args = Vec::new();
        let scope = scope_condition(viewer, 1, &mut args);
        args.extend(args![case_id]);
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {scope} AND p.case_id = ${}", args.len());
        let row: Option<PetitionRow> = self.fetch_optional(&sql, args).await?;
        row.ok_or(StoreError::NotFound { what: "petition" })
    }

    /// Applies a change to a petition still at `version` (optimistic concurrency) and appends
    /// its event; false when someone changed it first.
    pub async fn petition_change(
        &self,
        actor: &str,
        case_id: i64,
        version: i64,
        change: PetitionChange,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let mut args: Vec<Arg> = args![change.stage];
        let mut sets = vec!["stage = $1".to_owned(), "version = version + 1".to_owned()];
        for (column, value) in change.set {
            args.push(value.into());
            sets.push(format!("{column} = ${}", args.len()));
        }
        args.extend(args![case_id, version]);
        let n = args.len();
        let sql = format!("UPDATE petitions SET {} WHERE case_id = ${} AND version = ${n}", sets.join(", "), n - 1);
        let changed = tx.execute(&sql, args).await?;
        if changed == 1 {
            append_event_locked(&mut tx, case_id, to_ms(now), actor, change.action, &change.data).await?;
            if let Some(extension) = &change.extension {
                // The petitioner is told the reason and the new limit (art. 34).
                let (reference,): (String,) =
                    tx.fetch_one("SELECT reference FROM petitions WHERE case_id = $1", args![case_id]).await?;
                self.sms_petition_extended(&mut tx, case_id, &reference, extension, now).await?;
            }
        }
        tx.commit().await?;
        Ok(changed == 1)
    }
}
