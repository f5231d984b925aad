//! 诉前委派 (issue 18, DOMAIN.md §5.6): a court pushes referrals in batches (its desk's user or
//! its system account), each with the court's case number and registered as a `court` case
//! through the one registration (idempotent by that number); the centre confirms or declines
//! within 3 working days, then contacts the other party within 3 working days and mediates
//! within 30 days. What goes back to the court follows from the case: the agreement when it
//! succeeded, the reason and the case file when it failed.

use chrono::{DateTime, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::{CaseRegistration, Outcome, Status};
use domain::ids::{CaseId, UnitId};
use domain::msg;
use domain::org::UnitKind;
use domain::referral::{self, State};
use domain::validation::{Checker, FieldError};
pub use store::referrals::ReferralRow;

use crate::triage::WhenUnsure;
use crate::{App, AppError, Result, Viewer};

/// The most referrals one batch may carry.
pub const BATCH_MAX: usize = 200;
/// The most referrals one page shows.
pub const PAGE_MAX: i64 = 500;

/// One referral of a batch, as the court sends it.
#[derive(Debug)]
pub struct Incoming {
    pub court_case_number: Option<String>,
    pub registration: CaseRegistration,
}

/// A referral and where it stands: the clock due next while it is open, and whether it has
/// passed.
#[derive(Debug, Clone)]
pub struct Referral {
    pub row: ReferralRow,
    pub state: State,
    pub due: Option<DateTime<Utc>>,
    pub overdue: bool,
}

/// A page of referrals, how many there are in the filter, and in each state.
#[derive(Debug, Clone)]
pub struct ReferralPage {
    pub total: i64,
    pub counts: Vec<(State, i64)>,
    pub items: Vec<Referral>,
}

/// What became of one referral of a batch.
#[derive(Debug)]
pub enum Received {
    Created(Referral),
    /// The court's number was referred before: that referral.
    Existing(Referral),
    Refused(AppError),
}

/// The centre's answer to a referral, as the client sends it.
#[derive(Debug, Default)]
pub struct Decision {
    /// `accept` or `decline`.
    pub decision: Option<String>,
    /// Why it is declined (required then).
    pub reason: Option<String>,
}

fn referral_of(row: ReferralRow, now: DateTime<Utc>) -> Referral {
    let status = Status::parse(&row.case_status).unwrap_or(Status::Registered);
    let outcome = row.outcome.as_deref().and_then(Outcome::parse);
    let state = State::of(&row.status, status, outcome, row.contacted_at.is_some());
    let due =
        referral::due(state, row.confirm_by, row.contact_by.filter(|_| row.contacted_at.is_none()), row.mediate_by);
    Referral { overdue: due.is_some_and(|d| d < now), row, state, due }
}

impl App {
    /// Receives a batch of referrals from a court (its desk or its system account): each is
    /// registered as a case from the `court` channel, or found again by the court's number, or
    /// refused with its own error; one bad referral does not keep the others out.
    pub async fn referrals_receive(&self, viewer: &Viewer, items: Vec<Incoming>) -> Result<Vec<Received>> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        let kind = self.store.unit(UnitId(viewer.unit_id)).await?.and_then(|u| UnitKind::parse(&u.kind));
        if kind != Some(UnitKind::Court) {
            return Err(AppError::Forbidden { message: msg!("referral.court_only") });
        }
        if items.is_empty() || items.len() > BATCH_MAX {
            return Err(AppError::Invalid(vec![FieldError::new(
                "items",
                "count",
                msg!("referral.batch_size", max = BATCH_MAX),
            )]));
        }
        let calendar = self.clock_context().await?;
        let mut received = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let mut c = Checker::default();
            let number = c.required_text("court_case_number", item.court_case_number.as_deref(), 100);
            if let Err(error) = c.into_result() {
                received.push(Received::Refused(prefixed(AppError::Invalid(error), i)));
                continue;
            }
            let number = number.unwrap_or_default();
            let mut registration = item.registration;
            registration.channel = Some("court".to_owned());
            let case = match self.case_register_external(viewer, &number, registration, WhenUnsure::RecordOther).await {
                Ok((_, case)) => case,
                Err(error) => {
                    received.push(Received::Refused(prefixed(error, i)));
                    continue;
                }
            };
            let now = self.now();
            let confirm_by = referral::confirm_by(&calendar.calendar, now);
            let (id, new) = self
                .store
                .referral_record(CaseId(case.case.id), viewer.unit_id, &number, viewer.user_id, now, confirm_by)
                .await?;
            let referral = referral_of(self.store.referral(viewer, id).await?, now);
            received.push(if new { Received::Created(referral) } else { Received::Existing(referral) });
        }
        Ok(received)
    }

    /// A page of the referrals the viewer follows — a court's own, a centre's of its scope —,
    /// only those in `state` when given (`received | accepted | declined | mediating |
    /// succeeded | failed`).
    pub async fn referrals(
        &self,
        viewer: &Viewer,
        state: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<ReferralPage> {
        authz::may(viewer.role, Permission::ReferralsRead, Resource::ANY)?;
        let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(State::parse(s).ok_or_else(|| {
                AppError::Invalid(vec![FieldError::not_one_of(
                    "state",
                    "received | accepted | declined | mediating | succeeded | failed",
                )])
            })?),
        };
        let (counted, rows) =
            self.store.referrals(viewer, state.map(State::as_str), limit.clamp(1, PAGE_MAX), offset.max(0)).await?;
        let counts: Vec<(State, i64)> = State::ALL
            .into_iter()
            .map(|s| (s, counted.iter().find(|(c, _)| c == s.as_str()).map_or(0, |(_, n)| *n)))
            .collect();
        let total = counts.iter().filter(|(s, _)| state.is_none_or(|f| f == *s)).map(|(_, n)| n).sum();
        let now = self.now();
        Ok(ReferralPage { total, counts, items: rows.into_iter().map(|r| referral_of(r, now)).collect() })
    }

    /// One referral the viewer follows.
    pub async fn referral(&self, viewer: &Viewer, id: i64) -> Result<Referral> {
        authz::may(viewer.role, Permission::ReferralsRead, Resource::ANY)?;
        Ok(referral_of(self.store.referral(viewer, id).await?, self.now()))
    }

    /// 确认 or 退回: the centre accepts a referral (the contact and mediation clocks start) or
    /// declines it with a reason (it goes back to the court); once only.
    pub async fn referral_decide(&self, viewer: &Viewer, id: i64, decision: Decision) -> Result<Referral> {
        authz::may(viewer.role, Permission::ReferralDecide, Resource::ANY)?;
        let mut c = Checker::default();
        let accept = match decision.decision.as_deref().map(str::trim) {
            Some("accept") => Some(true),
            Some("decline") => Some(false),
            None | Some("") => {
                c.push(FieldError::required("decision"));
                None
            }
            Some(_) => {
                c.push(FieldError::not_one_of("decision", "accept | decline"));
                None
            }
        };
        let reason = if accept == Some(false) {
            c.required_text("reason", decision.reason.as_deref(), 500)
        } else {
            c.optional_text("reason", decision.reason.as_deref(), 500)
        };
        c.into_result()?;
        self.store.referral(viewer, id).await?;
        let now = self.now();
        let decided = if accept == Some(true) {
            let calendar = self.clock_context().await?;
            let clocks = referral::after_confirming(&calendar.calendar, now);
            self.store.referral_decide(viewer, id, "accepted", reason.as_deref(), Some(clocks), now).await?
        } else {
            self.store.referral_decide(viewer, id, "declined", reason.as_deref(), None, now).await?
        };
        if !decided {
            return Err(AppError::conflict("referral_decided", msg!("referral.already_decided")));
        }
        self.referral(viewer, id).await
    }
}

/// An error of the `i`th referral of a batch, its fields named within the batch
/// (`items[2].parties`).
fn prefixed(error: AppError, i: usize) -> AppError {
    match error {
        AppError::Invalid(fields) => AppError::Invalid(
            fields
                .into_iter()
                .map(|mut f| {
                    f.field = format!("items[{i}].{}", f.field);
                    f
                })
                .collect(),
        ),
        other => other,
    }
}
