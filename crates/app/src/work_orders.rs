//! 12345 work orders (issue 18, DOMAIN.md §2.2 and rule 23): the hotline's system account sends
//! an order with its own reference (the same reference again is the same case); the centre
//! acknowledges it (签收) within the sign limit or returns it (退单) with a reason within the
//! return limit — a return also rejects the case, which the centre does not handle. The limits
//! are administrators' data on the working-day calendar. The hotline hears of each answer, and
//! of the result and follow-up, through its webhooks.

use domain::authz::{self, Permission, Resource};
use domain::case::CaseRegistration;
use domain::ids::CaseId;
use domain::msg;
use domain::validation::{Checker, FieldError};
use domain::work_order::{Limits, REASON_MAX, State};
use domain::workflow::Command;
use store::work_orders::NewWorkOrder;
pub use store::work_orders::WorkOrderRow;

use crate::integration::{Intake, SystemCaller};
use crate::triage::WhenUnsure;
use crate::{App, AppError, Result, Viewer};

/// A work order and where it stands.
#[derive(Debug, Clone)]
pub struct WorkOrder {
    pub row: WorkOrderRow,
    pub state: State,
    /// Whether its answer is (or, unanswered, would now be) past its limit.
    pub overdue: bool,
}

/// A page of work orders and how many there are.
#[derive(Debug, Clone)]
pub struct WorkOrderPage {
    pub total: i64,
    pub items: Vec<WorkOrder>,
}

/// The centre's answer to a work order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 签收
    Sign,
    /// 退单
    Return,
}

/// The most work orders one page shows.
pub const PAGE_MAX: i64 = 100;

impl App {
    fn work_order_of(&self, row: WorkOrderRow) -> WorkOrder {
        let state = State::parse(&row.status).unwrap_or(State::Received);
        let overdue = match (state, row.answered_at) {
            (State::Received, _) => domain::work_order::late(self.now(), row.sign_by),
            (State::Signed, Some(at)) => domain::work_order::late(at, row.sign_by),
            (State::Returned, Some(at)) => domain::work_order::late(at, row.return_by),
            _ => false,
        };
        WorkOrder { row, state, overdue }
    }

    /// Receives a work order from the hotline's system account: registered as a `hotline` case
    /// under the hotline's reference (a repeat answers the same order), with its limits.
    pub async fn work_order_receive(
        &self,
        caller: &SystemCaller,
        external_ref: Option<&str>,
        mut registration: CaseRegistration,
    ) -> Result<(Intake, WorkOrder)> {
        authz::system_may(&caller.grants, Permission::CaseRegister)?;
        let mut c = Checker::default();
        let reference = c.required_text("external_ref", external_ref, 100);
        c.into_result()?;
        let reference = reference.unwrap_or_default();
        registration.channel = Some("hotline".to_owned());
        let viewer = &caller.viewer;
        let (intake, case) =
            self.case_register_external(viewer, &reference, registration, WhenUnsure::RecordOther).await?;
        let received_at = self.now();
        let limits = self.store.work_order_limits().await?;
        let calendar = self.clock_context().await?;
        let (sign_by, return_by) = limits.deadlines(&calendar.calendar, received_at);
        let new = NewWorkOrder {
            case_id: case.case.id,
            account_id: caller.account_id,
            external_ref: &reference,
            received_at,
            sign_by,
            return_by,
        };
        self.store.work_order_record(&viewer.username, new).await?;
        let row = self.store.work_order(viewer, case.case.id).await?;
        Ok((intake, self.work_order_of(row)))
    }

    /// The work orders of the viewer's scope, the newest first, optionally in one state.
    pub async fn work_orders(
        &self,
        viewer: &Viewer,
        state: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<WorkOrderPage> {
        authz::may(viewer.role, Permission::WorkOrders, Resource::ANY)?;
        let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(State::parse(s).ok_or_else(|| {
                AppError::Invalid(vec![FieldError::not_one_of("state", "received | signed | returned")])
            })?),
        };
        let (total, rows) =
            self.store.work_orders(viewer, state.map(State::as_str), limit.clamp(1, PAGE_MAX), offset.max(0)).await?;
        Ok(WorkOrderPage { total, items: rows.into_iter().map(|r| self.work_order_of(r)).collect() })
    }

    /// The work order of a case in the viewer's scope.
    pub async fn work_order(&self, viewer: &Viewer, case: CaseId) -> Result<WorkOrder> {
        authz::may(viewer.role, Permission::WorkOrders, Resource::ANY)?;
        Ok(self.work_order_of(self.store.work_order(viewer, case.get()).await?))
    }

    /// 签收 or 退单, once. A return needs a reason, must come within the return limit, and
    /// rejects the case (不予受理, with the same reason) before it is recorded.
    pub async fn work_order_answer(
        &self,
        viewer: &Viewer,
        case: CaseId,
        answer: Answer,
        reason: Option<&str>,
    ) -> Result<WorkOrder> {
        authz::may(viewer.role, Permission::WorkOrders, Resource::ANY)?;
        let mut c = Checker::default();
        let reason = match answer {
            Answer::Return => c.required_text("reason", reason, REASON_MAX),
            Answer::Sign => c.optional_text("reason", reason, REASON_MAX),
        };
        c.into_result()?;
        let order = self.work_order(viewer, case).await?;
        if order.state != State::Received {
            return Err(AppError::conflict("work_order_answered", msg!("work_order.already_answered")));
        }
        if answer == Answer::Return {
            if domain::work_order::late(self.now(), order.row.return_by) {
                let by = order.row.return_by.with_timezone(&domain::china_time()).format("%Y-%m-%d %H:%M").to_string();
                return Err(AppError::conflict("work_order_return_closed", msg!("work_order.return_closed", by = by)));
            }
            let current = self.store.case_get(viewer, case, None, self.now()).await?;
            let reject = Command::Reject { reason: reason.clone().unwrap_or_default() };
            self.case_act(viewer, case, reject, current.version).await?;
        }
        let status = if answer == Answer::Sign { "signed" } else { "returned" };
        if !self.store.work_order_answer(viewer, case.get(), status, reason.as_deref(), self.now()).await? {
            return Err(AppError::conflict("work_order_answered", msg!("work_order.already_answered")));
        }
        self.work_order(viewer, case).await
    }

    /// The limits of work orders (the defaults until an administrator sets them).
    pub async fn work_order_limits(&self, viewer: &Viewer) -> Result<Limits> {
        authz::may(viewer.role, Permission::CalendarManage, Resource::ANY)?;
        Ok(self.store.work_order_limits().await?)
    }

    /// Sets the limits of work orders received from now on.
    pub async fn work_order_limits_put(&self, viewer: &Viewer, limits: Limits) -> Result<Limits> {
        authz::may(viewer.role, Permission::CalendarManage, Resource::ANY)?;
        limits.validate().map_err(AppError::Invalid)?;
        self.store.work_order_limits_put(limits, &viewer.username, self.now()).await?;
        Ok(limits)
    }
}
