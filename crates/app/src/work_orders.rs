//! 12345 work orders (issue 18, DOMAIN.md §2.2 and rule 23): the hotline's system account sends
//! an order with its own reference (the same reference again is the same case); the centre
//! acknowledges it (签收) within the sign limit or returns it (退单) with a reason within the
//! return limit — a return also rejects the case, which the centre does not handle. The limits
//! are administrators' data on the working-day calendar. The hotline hears of each answer, and
//! of the result and follow-up, through its webhooks. Orders come one by one by API, or many
//! at once as a workbook — by API from the hotline's account, or uploaded by the centre's staff
//! for a hotline account — every row checked first and none received while any is at fault.

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

/// A workbook of work orders checked and, unless it was a dry run, received.
#[derive(Debug, Clone)]
pub struct WorkOrderImport {
    /// Every row as written (the cells in the template's column order).
    pub rows: Vec<domain::case_import::Row>,
    /// Every fault, each named by its row (then nothing was received).
    pub faults: Vec<FieldError>,
    /// The rows that would be received (every row, when there is no fault).
    pub importable: usize,
    /// Received now: new orders, and rows whose number was received before (the same order).
    pub created: usize,
    pub existing: usize,
}

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

    /// A workbook of work orders the hotline's account sends: checked row by row and, unless
    /// `dry_run`, every row received as one order — or none when any row is at fault
    /// (`Invalid` with every fault, each named by its row). A row whose number was received
    /// before is that order again.
    pub async fn work_orders_import(
        &self,
        caller: &SystemCaller,
        bytes: &[u8],
        dry_run: bool,
    ) -> Result<WorkOrderImport> {
        authz::system_may(&caller.grants, Permission::CaseRegister)?;
        let sheet = crate::case_import::sheet_cells(bytes).map_err(|fault| AppError::Invalid(vec![fault]))?;
        let read = domain::work_order::import(&sheet, self.now()).map_err(AppError::Invalid)?;
        let (rows, orders, faults) = self.sent_checked(read).await?;
        let mut report = WorkOrderImport { rows, importable: orders.len(), faults, created: 0, existing: 0 };
        if dry_run {
            return Ok(report);
        }
        if !report.faults.is_empty() {
            return Err(AppError::Invalid(report.faults));
        }
        for order in orders {
            let (intake, _) = self.work_order_receive(caller, Some(&order.number), order.registration).await?;
            match intake {
                Intake::Created => report.created += 1,
                Intake::Existing => report.existing += 1,
            }
        }
        Ok(report)
    }

    /// A workbook of work orders the centre's staff upload for the hotline account `account_id`
    /// (a live account granted `case_register`): received as that account sent it, so that a
    /// number it sent by API is the same order.
    pub async fn work_orders_upload(
        &self,
        viewer: &Viewer,
        account_id: Option<i64>,
        bytes: &[u8],
        dry_run: bool,
    ) -> Result<WorkOrderImport> {
        authz::may(viewer.role, Permission::WorkOrders, Resource::ANY)?;
        let account = self
            .store
            .system_accounts()
            .await?
            .into_iter()
            .find(|a| Some(a.id) == account_id && a.revoked_at.is_none())
            .ok_or_else(|| AppError::Invalid(vec![FieldError::required("account_id")]))?;
        let caller = SystemCaller {
            account_id: account.id,
            viewer: self.store.viewer(domain::ids::UserId(account.user_id)).await?,
            grants: account.permissions.iter().filter_map(|code| Permission::system_grantable(code)).collect(),
        };
        self.work_orders_import(&caller, bytes, dry_run).await
    }

    /// The system accounts staff may upload work orders for: the live ones granted
    /// `case_register`, as `(id, name)`.
    pub async fn work_order_senders(&self, viewer: &Viewer) -> Result<Vec<(i64, String)>> {
        authz::may(viewer.role, Permission::WorkOrders, Resource::ANY)?;
        let code = Permission::CaseRegister.system_code().unwrap_or_default();
        Ok(self
            .store
            .system_accounts()
            .await?
            .into_iter()
            .filter(|a| a.revoked_at.is_none() && a.permissions.iter().any(|p| p == code))
            .map(|a| (a.id, a.name))
            .collect())
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

/// The template workbook of work orders in `t`'s language.
pub fn template(t: domain::i18n::T) -> Vec<u8> {
    let sample = [
        "12345-2026-000001",
        &t.code("category", "neighbor"),
        "620102003000",
        "城关区张掖路街道某小区 3 号楼",
        "张三",
        "13912345678",
        "李四",
        "楼上漏水，协商未果（示例行，导入前请删除）",
    ];
    crate::case_import::template_of(t, &domain::work_order::IMPORT_COLUMNS, &sample)
}
