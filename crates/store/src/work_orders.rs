//! 12345 work orders (issue 18): the cases a hotline's system account sent, their limits to
//! acknowledge (签收) and return (退单), and the centre's answer — each change also an event in
//! the case's history, which the webhooks carry back to the hotline.

use chrono::{DateTime, Utc};
use domain::authz::Viewer;
use domain::work_order::Limits;

use crate::cases::{append_event_locked, scope_condition};
use crate::sql::args;
use crate::{Result, Store, StoreError, from_ms, to_ms};

/// A work order with its case's number and status.
#[derive(Debug, Clone)]
pub struct WorkOrderRow {
    pub case_id: i64,
    pub case_number: String,
    pub case_status: String,
    pub account_id: i64,
    pub account_name: String,
    pub external_ref: String,
    pub received_at: DateTime<Utc>,
    pub sign_by: DateTime<Utc>,
    pub return_by: DateTime<Utc>,
    /// received | signed | returned
    pub status: String,
    pub answered_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

type Row = (i64, String, String, i64, String, String, i64, i64, i64, String, Option<i64>, Option<String>);

const COLUMNS: &str = "w.case_id, c.number, c.status, w.account_id, a.name, w.external_ref, w.received_at, w.sign_by,
     w.return_by, w.status, w.answered_at, w.reason";
const FROM: &str = "work_orders w JOIN cases c ON c.id = w.case_id JOIN system_accounts a ON a.id = w.account_id";

fn row_of(r: Row) -> WorkOrderRow {
    WorkOrderRow {
        case_id: r.0,
        case_number: r.1,
        case_status: r.2,
        account_id: r.3,
        account_name: r.4,
        external_ref: r.5,
        received_at: from_ms(r.6),
        sign_by: from_ms(r.7),
        return_by: from_ms(r.8),
        status: r.9,
        answered_at: r.10.map(from_ms),
        reason: r.11,
    }
}

/// A new work order, as the use case computed it.
#[derive(Debug, Clone)]
pub struct NewWorkOrder<'a> {
    pub case_id: i64,
    pub account_id: i64,
    pub external_ref: &'a str,
    pub received_at: DateTime<Utc>,
    pub sign_by: DateTime<Utc>,
    pub return_by: DateTime<Utc>,
}

impl Store {
    /// Records a work order for its case unless it is recorded already (a repeat of the same
    /// reference): whether it is new. The history gets `work_order_received`.
    pub async fn work_order_record(&self, actor: &str, new: NewWorkOrder<'_>) -> Result<bool> {
        let mut tx = self.begin().await?;
        let inserted = tx
            .execute(
                "INSERT INTO work_orders (case_id, account_id, external_ref, received_at, sign_by, return_by, status)
                 VALUES ($1, $2, $3, $4, $5, $6, 'received') ON CONFLICT DO NOTHING",
                args![
                    new.case_id,
                    new.account_id,
                    new.external_ref,
                    to_ms(new.received_at),
                    to_ms(new.sign_by),
                    to_ms(new.return_by)
                ],
            )
            .await?;
        if inserted == 1 {
            let data = serde_json::json!({
                "external_ref": new.external_ref,
                "sign_by": crate::rfc3339(to_ms(new.sign_by)),
                "return_by": crate::rfc3339(to_ms(new.return_by)),
            });
            append_event_locked(&mut tx, new.case_id, to_ms(new.received_at), actor, "work_order_received", &data)
                .await?;
        }
        tx.commit().await?;
        Ok(inserted == 1)
    }

    /// The work orders in the viewer's scope, the newest first, optionally in one status: the
    /// total and one page.
    pub async fn work_orders(
        &self,
        viewer: &Viewer,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<WorkOrderRow>)> {
        let mut args = Vec::new();
        let scope = scope_condition(viewer, 1, &mut args);
        args.push(status.map(str::to_owned).into());
        let s = args.len();
        let filter = format!("{scope} AND (${s} IS NULL OR w.status = ${s})");
        let (total,): (i64,) =
            self.fetch_one(&format!("SELECT COUNT(*) FROM {FROM} WHERE {filter}"), args.clone()).await?;
        args.extend(args![limit, offset]);
        let n = args.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {filter} ORDER BY w.received_at DESC, w.case_id DESC LIMIT ${} OFFSET ${n}",
            n - 1
        );
        let rows: Vec<Row> = self.fetch_all(&sql, args).await?;
        Ok((total, rows.into_iter().map(row_of).collect()))
    }

    /// The work order of a case in the viewer's scope.
    pub async fn work_order(&self, viewer: &Viewer, case_id: i64) -> Result<WorkOrderRow> {
        let mut args = Vec::new();
        let scope = scope_condition(viewer, 1, &mut args);
        args.extend(args![case_id]);
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {scope} AND w.case_id = ${}", args.len());
        let row: Option<Row> = self.fetch_optional(&sql, args).await?;
        row.map(row_of).ok_or(StoreError::NotFound { what: "work order" })
    }

    /// 签收 or 退单 (`status` signed or returned, with the reason) of an order still awaiting an
    /// answer; the history gets `work_order_signed` or `work_order_returned`. False when it was
    /// answered already.
    pub async fn work_order_answer(
        &self,
        viewer: &Viewer,
        case_id: i64,
        status: &str,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let changed = tx
            .execute(
                "UPDATE work_orders SET status = $1, answered_at = $2, answered_by = $3, reason = $4
                 WHERE case_id = $5 AND status = 'received'",
                args![status, to_ms(now), viewer.user_id, reason, case_id],
            )
            .await?;
        if changed == 1 {
            let action = if status == "signed" { "work_order_signed" } else { "work_order_returned" };
            let data = serde_json::json!({"reason": reason});
            append_event_locked(&mut tx, case_id, to_ms(now), &viewer.username, action, &data).await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }

    /// The limits of work orders: the administrators' or, until they set them, the defaults.
    pub async fn work_order_limits(&self) -> Result<Limits> {
        let row: Option<(i64, i64)> = self
            .fetch_optional(
                "SELECT sign_working_days, return_working_days FROM work_order_limits WHERE id = 1",
                args![],
            )
            .await?;
        Ok(row.map(|(sign, ret)| Limits { sign_working_days: sign, return_working_days: ret }).unwrap_or_default())
    }

    /// Sets the limits of work orders (for orders received from now on).
    pub async fn work_order_limits_put(&self, limits: Limits, by: &str, now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "INSERT INTO work_order_limits (id, sign_working_days, return_working_days, updated_by, updated_at)
             VALUES (1, $1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET sign_working_days = excluded.sign_working_days,
               return_working_days = excluded.return_working_days, updated_by = excluded.updated_by,
               updated_at = excluded.updated_at",
            args![limits.sign_working_days, limits.return_working_days, by, to_ms(now)],
        )
        .await?;
        Ok(())
    }
}
