//! The window queue (取号/叫号) of a centre's hall, and its kiosk (自助服务终端): a terminal
//! in the hall that a clerk starts for the centre, where visitors take a ticket — with their
//! name and phone if they like, which the window that calls them starts the registration with.

use domain::authz::{self, Permission, Resource};
use domain::contact::Phone;
use domain::ids::{CaseId, UnitId};
use domain::msg;
use domain::validation::{Checker, FieldError};
pub use store::queue::{QueueBoard, Ticket, Visitor};

use crate::{App, AppError, Result, Viewer};

/// The visitor the called ticket brings to the window: the ticket, and their name and phone
/// (in full, for the registration form).
pub struct CalledVisitor {
    pub ticket_id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl App {
    pub async fn queue_board(&self, viewer: &Viewer) -> Result<QueueBoard> {
        Ok(self.store.queue_board(viewer, self.now()).await?)
    }

    /// 取号: the next ticket of the viewer's centre today.
    pub async fn queue_take(&self, viewer: &Viewer) -> Result<Ticket> {
        Ok(self.store.queue_take(viewer.unit_id, &Visitor::default(), self.now()).await?)
    }

    /// 叫号: calls the next waiting ticket to `counter`, if any (the window's clerk, who
    /// registers what the visitor brings).
    pub async fn queue_call_next(&self, viewer: &Viewer, counter: &str) -> Result<Option<Ticket>> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        Ok(self.store.queue_call_next(viewer, counter, self.now()).await?)
    }

    /// 重复叫号: calls again the ticket the clerk called last, so that the hall screen says it
    /// once more; `None` when the clerk has none called.
    pub async fn queue_recall(&self, viewer: &Viewer) -> Result<Option<Ticket>> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        Ok(self.store.queue_recall(viewer, self.now()).await?)
    }

    /// The visitor of the ticket the clerk called, while nothing is registered for it.
    pub async fn queue_called_visitor(&self, viewer: &Viewer) -> Result<Option<CalledVisitor>> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        let visitor = self.store.queue_called_visitor(viewer, self.now()).await?;
        Ok(visitor.map(|(ticket_id, name, phone)| CalledVisitor { ticket_id, name, phone }))
    }

    /// Records the case registered for the ticket the clerk called.
    pub async fn queue_link(&self, viewer: &Viewer, ticket_id: i64, case: CaseId) -> Result<bool> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        Ok(self.store.queue_link(viewer, ticket_id, case.get()).await?)
    }

    /// 启用自助终端: the mark that makes a browser the kiosk of the clerk's centre (kept in a
    /// cookie on that terminal). Only someone who registers cases there may start one.
    pub fn kiosk_start(&self, viewer: &Viewer) -> Result<String> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        Ok(format!("{}.{}", viewer.unit_id, self.store.kiosk_mark(viewer.unit_id)))
    }

    /// The centre a kiosk mark stands for, if it is genuine.
    pub fn kiosk_unit(&self, mark: &str) -> Option<UnitId> {
        let (unit, mac) = mark.split_once('.')?;
        let unit = unit.parse::<i64>().ok()?;
        (self.store.kiosk_mark(unit) == mac).then_some(UnitId(unit))
    }

    /// 自助取号: a ticket at the kiosk's centre, with the name (at most 50 characters) and the
    /// mobile phone the visitor chose to give.
    pub async fn kiosk_take(&self, unit: UnitId, name: Option<&str>, phone: Option<&str>) -> Result<Ticket> {
        let mut c = Checker::default();
        let name = c.optional_text("name", name, 50);
        let phone_text = c.optional_text("phone", phone, 32);
        c.into_result()?;
        let phone =
            match phone_text {
                Some(text) => Some(Phone::parse(&text).map_err(|_| {
                    AppError::field(FieldError::new("phone", "invalid_phone", msg!("portal.not_mobile")))
                })?),
                None => None,
            };
        Ok(self.store.queue_take(unit.get(), &Visitor { name, phone }, self.now()).await?)
    }
}
