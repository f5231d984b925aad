//! 信访转办 (issue 18, DOMAIN.md §2.1): a petition office transfers a petition to the centre —
//! by API from its system account, or entered by staff — with its reference (the same reference
//! from the same sender is the same petition), registered as a `petition` case. The centre
//! accepts it, objects that it is not within its remit (back to the office) or transfers it on,
//! extends it once, issues the 信访处理意见书, and records the petitioner's 复查 and 复核 and
//! their answers; the clocks are `domain::petition`'s, the sender hears of every step through
//! its webhooks (`petition.*`), and a duty past its day climbs the supervision ladder
//! (`store::ladder`).

use chrono::{DateTime, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::CaseRegistration;
use domain::ids::CaseId;
use domain::msg;
use domain::petition::{self, Clock, Command, Facts, Refusal, Stage};
use domain::validation::{Checker, FieldError};
use domain::workflow::Command as CaseCommand;
pub use store::petitions::PetitionRow;
use store::petitions::{Extension, NewPetition, PetitionChange, Value};

use crate::integration::{Intake, SystemCaller, pending};
use crate::triage::WhenUnsure;
use crate::{App, AppError, Result, Viewer};
use store::integration::{Claim, RefNamespace};

/// The most petitions one page shows.
pub const PAGE_MAX: i64 = 100;

/// A petition, its stage and its clocks.
#[derive(Debug, Clone)]
pub struct Petition {
    pub row: PetitionRow,
    pub stage: Stage,
    pub clocks: Vec<Clock>,
    /// Whether a duty of the centre's is past its day.
    pub overdue: bool,
}

/// A page of petitions and how many there are.
#[derive(Debug, Clone)]
pub struct PetitionPage {
    pub total: i64,
    pub items: Vec<Petition>,
}

/// What the petition office sends besides the dispute: who sends it (staff only; a system
/// account is its own sender), its reference, and the day it received the petition.
#[derive(Debug, Clone, Default)]
pub struct Transfer {
    pub sender: Option<String>,
    pub reference: Option<String>,
    pub office_received_on: Option<String>,
}

/// The petition with its clocks at `now` on the working-day calendar.
fn petition_with_clocks(row: PetitionRow, calendar: &domain::calendar::Calendar, now: DateTime<Utc>) -> Petition {
    let facts = facts(&row);
    let clocks = petition::clocks(&facts, calendar, now);
    let overdue = clocks.iter().any(|c| {
        c.clock.is_duty() && matches!(c.state, domain::clocks::ClockState::Overdue | domain::clocks::ClockState::Missed)
    });
    Petition { row, stage: facts.stage, clocks, overdue }
}

fn facts(row: &PetitionRow) -> Facts {
    Facts {
        stage: Stage::parse(&row.stage).unwrap_or(Stage::Received),
        received_at: row.received_at,
        decided_at: row.decided_at,
        accepted_at: row.accepted_at,
        extension_days: row.extension_days,
        replied_at: row.replied_at,
        review_requested_at: row.review_requested_at,
        reviewed_at: row.reviewed_at,
        recheck_requested_at: row.recheck_requested_at,
        rechecked_at: row.rechecked_at,
    }
}

impl App {
    async fn petition_of(&self, row: PetitionRow) -> Result<Petition> {
        let context = self.clock_context().await?;
        Ok(petition_with_clocks(row, &context.calendar, self.now()))
    }

    /// Receives a petition a petition office's system account sends (granted `case_register`);
    /// the account is its sender.
    pub async fn petition_receive_system(
        &self,
        caller: &SystemCaller,
        transfer: Transfer,
        registration: CaseRegistration,
    ) -> Result<(Intake, Petition)> {
        authz::system_may(&caller.grants, Permission::CaseRegister)?;
        let sender = self
            .store
            .system_accounts()
            .await?
            .into_iter()
            .find(|a| a.id == caller.account_id)
            .map(|a| a.name)
            .unwrap_or_default();
        let transfer = Transfer { sender: Some(sender), ..transfer };
        self.petition_receive(&caller.viewer, Some(caller.account_id), transfer, registration).await
    }

    /// Receives a petition staff enter for a petition office.
    pub async fn petition_enter(
        &self,
        viewer: &Viewer,
        transfer: Transfer,
        registration: CaseRegistration,
    ) -> Result<(Intake, Petition)> {
        authz::may(viewer.role, Permission::Petitions, Resource::ANY)?;
        self.petition_receive(viewer, None, transfer, registration).await
    }

    async fn petition_receive(
        &self,
        viewer: &Viewer,
        account_id: Option<i64>,
        transfer: Transfer,
        registration: CaseRegistration,
    ) -> Result<(Intake, Petition)> {
        let now = self.now();
        let mut c = Checker::default();
        let sender = c.required_text("sender", transfer.sender.as_deref(), 100);
        let reference = c.required_text("reference", transfer.reference.as_deref(), 100);
        let received_on =
            match domain::calendar::parse_date("office_received_on", transfer.office_received_on.as_deref()) {
                Ok(day) if day > now.with_timezone(&domain::china_time()).date_naive() => {
                    c.push(FieldError::new("office_received_on", "future", msg!("field.in_future")));
                    None
                }
                Ok(day) => Some(day),
                Err(error) => {
                    c.push(error);
                    None
                }
            };
        c.into_result()?;
        let (sender, reference) = (sender.unwrap_or_default(), reference.unwrap_or_default());
        if let Some(case_id) = self.store.petition_by_reference(&sender, &reference).await? {
            let row = self.store.petition(viewer, case_id).await?;
            return Ok((Intake::Existing, self.petition_of(row).await?));
        }
        // The reference is claimed in the sender's namespace before anything is registered, so
        // that identical entries at once — by any staff or the office's account — make one case:
        // the others wait for its petition.
        let namespace = RefNamespace::Petition(sender.clone());
        if let Claim::Taken(_) = self.store.external_ref_claim(&namespace, &reference, now).await? {
            let case_id = pending(|| self.store.petition_by_reference(&sender, &reference)).await?;
            let row = self.store.petition(viewer, case_id).await?;
            return Ok((Intake::Existing, self.petition_of(row).await?));
        }
        let received = self.petition_register(viewer, account_id, &sender, &reference, received_on, registration).await;
        match &received {
            Ok((_, petition)) => self.store.external_ref_settle(&namespace, &reference, petition.row.case_id).await?,
            Err(_) => self.store.external_ref_release(&namespace, &reference).await?,
        }
        received
    }

    /// Registers the petition's case and records the petition (the reference claimed).
    async fn petition_register(
        &self,
        viewer: &Viewer,
        account_id: Option<i64>,
        sender: &str,
        reference: &str,
        received_on: Option<chrono::NaiveDate>,
        mut registration: CaseRegistration,
    ) -> Result<(Intake, Petition)> {
        let now = self.now();
        registration.channel = Some("petition".to_owned());
        let case = self.case_register(viewer, registration, WhenUnsure::RecordOther).await?;
        let petitioner =
            case.case.parties.iter().find(|p| p.role == "applicant").map(|p| p.name.clone()).unwrap_or_default();
        let context = self.clock_context().await?;
        let (accept_by, object_by) = petition::on_receipt(&context.calendar, now);
        let received_on = received_on.map(|d| d.to_string()).unwrap_or_default();
        let new = NewPetition {
            case_id: case.case.id,
            sender,
            reference,
            account_id,
            petitioner: &petitioner,
            request: &case.case.description,
            office_received_on: &received_on,
            received_at: now,
            accept_by,
            object_by,
        };
        let intake =
            if self.store.petition_record(&viewer.username, new).await? { Intake::Created } else { Intake::Existing };
        let row = self.store.petition(viewer, case.case.id).await?;
        Ok((intake, self.petition_of(row).await?))
    }

    /// The petitions of the viewer's scope, the newest first, optionally in one stage.
    pub async fn petitions(
        &self,
        viewer: &Viewer,
        stage: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<PetitionPage> {
        authz::may(viewer.role, Permission::Petitions, Resource::ANY)?;
        let stage = match stage.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                Stage::parse(s)
                    .ok_or_else(|| AppError::Invalid(vec![FieldError::not_one_of("stage", &Stage::codes())]))?,
            ),
        };
        let (total, rows) =
            self.store.petitions(viewer, stage.map(Stage::as_str), limit.clamp(1, PAGE_MAX), offset.max(0)).await?;
        let context = self.clock_context().await?;
        let now = self.now();
        let items = rows.into_iter().map(|row| petition_with_clocks(row, &context.calendar, now)).collect();
        Ok(PetitionPage { total, items })
    }

    /// The petition of a case in the viewer's scope.
    pub async fn petition(&self, viewer: &Viewer, case: CaseId) -> Result<Petition> {
        authz::may(viewer.role, Permission::Petitions, Resource::ANY)?;
        let row = self.store.petition(viewer, case.get()).await?;
        self.petition_of(row).await
    }

    /// One step on a petition: accept, object, transfer on, extend, reply or record a review
    /// request — refused (422 by field, 409 when not now) with nothing changed. An objection or
    /// a transfer also rejects the case (不予受理, with the same reason): the centre does not
    /// handle it.
    pub async fn petition_act(&self, viewer: &Viewer, case: CaseId, command: Command) -> Result<Petition> {
        let current = self.petition(viewer, case).await?;
        let context = self.clock_context().await?;
        let now = self.now();
        let facts = facts(&current.row);
        let stage = petition::decide(&facts, &command, &context.calendar, now).map_err(|refusal| match refusal {
            Refusal::Invalid(errors) => AppError::Invalid(errors),
            Refusal::Conflict(code, message) => AppError::conflict(code, message),
        })?;
        let shown = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let ms = |at: DateTime<Utc>| Value::Time(Some(at));
        let change = match &command {
            Command::Accept => {
                let due = petition::handle_by(&context.calendar, now, 0);
                PetitionChange {
                    stage: stage.as_str(),
                    set: vec![
                        ("decided_at", ms(now)),
                        ("accepted_at", ms(now)),
                        ("handle_by", ms(due)),
                        ("duty_by", ms(due)),
                    ],
                    action: "petition_accepted",
                    data: serde_json::json!({"handle_by": shown(due)}),
                    extension: None,
                }
            }
            Command::Object { reason } | Command::Transfer { reason, .. } => {
                let reason = reason.trim().to_owned();
                let current_case = self.store.case_get(viewer, case, None, now).await?;
                self.case_act(viewer, case, CaseCommand::Reject { reason: reason.clone() }, current_case.version)
                    .await?;
                let (to, action) = match &command {
                    Command::Transfer { to, .. } => (Some(to.trim().to_owned()), "petition_transferred"),
                    _ => (None, "petition_objected"),
                };
                PetitionChange {
                    stage: stage.as_str(),
                    set: vec![
                        ("decided_at", ms(now)),
                        ("reason", Value::Text(Some(reason.clone()))),
                        ("transfer_to", Value::Text(to.clone())),
                        ("duty_by", Value::Time(None)),
                    ],
                    action,
                    data: serde_json::json!({"reason": reason, "transfer_to": to}),
                    extension: None,
                }
            }
            Command::Extend { days, reason } => {
                let accepted = current.row.accepted_at.unwrap_or(now);
                let due = petition::handle_by(&context.calendar, accepted, *days);
                let reason = reason.trim().to_owned();
                PetitionChange {
                    stage: stage.as_str(),
                    set: vec![
                        ("extension_days", Value::Days(*days)),
                        ("extension_reason", Value::Text(Some(reason.clone()))),
                        ("handle_by", ms(due)),
                        ("duty_by", ms(due)),
                    ],
                    action: "petition_extended",
                    data: serde_json::json!({"days": days, "reason": reason, "handle_by": shown(due)}),
                    extension: Some(Extension { days: *days, reason: reason.clone(), handle_by: due }),
                }
            }
            Command::Reply { text } => {
                let text = text.trim().to_owned();
                let (at, column, level) = match stage {
                    Stage::Reviewed => ("reviewed_at", "review_reply", "review"),
                    Stage::Rechecked => ("rechecked_at", "recheck_reply", "recheck"),
                    _ => ("replied_at", "reply", "opinion"),
                };
                PetitionChange {
                    stage: stage.as_str(),
                    set: vec![(at, ms(now)), (column, Value::Text(Some(text.clone()))), ("duty_by", Value::Time(None))],
                    action: "petition_replied",
                    data: serde_json::json!({"level": level, "text": text}),
                    extension: None,
                }
            }
            Command::RequestReview => {
                let due = petition::days_after(&context.calendar, now, petition::REVIEW_REPLY_DAYS);
                let (column, level) = if stage == Stage::Rechecking {
                    ("recheck_requested_at", "recheck")
                } else {
                    ("review_requested_at", "review")
                };
                PetitionChange {
                    stage: stage.as_str(),
                    set: vec![(column, ms(now)), ("duty_by", ms(due))],
                    action: "petition_review_requested",
                    data: serde_json::json!({"level": level, "reply_by": shown(due)}),
                    extension: None,
                }
            }
        };
        if !self.store.petition_change(&viewer.username, case.get(), current.row.version, change, now).await? {
            return Err(AppError::conflict("petition_changed", msg!("petition.changed")));
        }
        self.petition(viewer, case).await
    }
}
