//! 诉前委派 (issue 18, DOMAIN.md §5.6): a court pushes referrals in batches (its desk's user or
//! its system account), each with the court's case number and registered as a `court` case
//! through the one registration (idempotent by that number); the centre confirms or declines
//! within 3 working days, then contacts the other party within 3 working days and mediates
//! within 30 days. What goes back to the court follows from the case: the agreement when it
//! succeeded, the reason and the case file when it failed. Referrals come one batch at a
//! time by API, or as a workbook — by API from the court's account, or uploaded by the centre's
//! staff for a court account — every row checked first and none received while any is at
//! fault.

use chrono::{DateTime, Utc};
use domain::authz::{self, Permission, Resource};
use domain::calendar::Calendar;
use domain::case::{CaseRegistration, Outcome, Status};
use domain::ids::{CaseId, UnitId};
use domain::msg;
use domain::org::UnitKind;
pub use domain::referral::BATCH_MAX;
use domain::referral::{self, State};
use domain::validation::{Checker, FieldError};
use store::integration::RefNamespace;
pub use store::referrals::ReferralRow;

use crate::triage::WhenUnsure;
use crate::{App, AppError, Result, Viewer};
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

/// A workbook of referrals checked and, unless it was a dry run, received.
#[derive(Debug, Clone)]
pub struct ReferralImport {
    /// Every row as written (the cells in the template's column order).
    pub rows: Vec<domain::case_import::Row>,
    /// Every fault, each named by its row (then nothing was received).
    pub faults: Vec<FieldError>,
    /// The rows that would be received (every row, when there is no fault).
    pub importable: usize,
    /// Received now: new referrals, and rows whose court number was received before (the same
    /// referral).
    pub created: usize,
    pub existing: usize,
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
        self.court_only(viewer).await?;
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
            received.push(match self.referral_receive(viewer, &calendar.calendar, &number, item.registration).await {
                Ok((referral, true)) => Received::Created(referral),
                Ok((referral, false)) => Received::Existing(referral),
                // Our own failure is no answer about this referral: the batch stops.
                Err(
                    error @ (AppError::Internal(_) | AppError::DatabaseUnavailable(_) | AppError::StorageFull { .. }),
                ) => return Err(error),
                Err(error) => Received::Refused(prefixed(error, i)),
            });
        }
        Ok(received)
    }

    /// A workbook of referrals a court sends (its desk or its system account): checked row by
    /// row as a referral by API is and, unless `dry_run`, every row received — or none when
    /// any row is at fault (`Invalid` with every fault, each named by its row). A row whose
    /// court number was received before is that referral again.
    pub async fn referrals_import(&self, viewer: &Viewer, bytes: &[u8], dry_run: bool) -> Result<ReferralImport> {
        self.court_only(viewer).await?;
        let sheet = crate::case_import::sheet_cells(bytes).map_err(|fault| AppError::Invalid(vec![fault]))?;
        let read = domain::referral::import(&sheet, self.now()).map_err(AppError::Invalid)?;
        let (rows, referrals, faults) = self.sent_checked(read).await?;
        let mut report = ReferralImport { rows, importable: referrals.len(), faults, created: 0, existing: 0 };
        if dry_run {
            return Ok(report);
        }
        if !report.faults.is_empty() {
            return Err(AppError::Invalid(report.faults));
        }
        let calendar = self.clock_context().await?;
        for referral in referrals {
            let number = &referral.number;
            match self.referral_receive(viewer, &calendar.calendar, number, referral.registration).await? {
                (_, true) => report.created += 1,
                (_, false) => report.existing += 1,
            }
        }
        Ok(report)
    }

    /// A workbook of referrals the centre's staff upload for the court's system account
    /// `account_id` (a live account of a court granted `case_register`): received as that
    /// account sent it, so that a number it sent by API is the same referral.
    pub async fn referrals_upload(
        &self,
        viewer: &Viewer,
        account_id: Option<i64>,
        bytes: &[u8],
        dry_run: bool,
    ) -> Result<ReferralImport> {
        authz::may(viewer.role, Permission::ReferralDecide, Resource::ANY)?;
        let account = self
            .court_accounts()
            .await?
            .into_iter()
            .find(|(id, _, _)| Some(*id) == account_id)
            .ok_or_else(|| AppError::Invalid(vec![FieldError::required("account_id")]))?;
        let court = self.store.viewer(domain::ids::UserId(account.2)).await?;
        self.referrals_import(&court, bytes, dry_run).await
    }

    /// The courts' system accounts staff may upload referrals for: the live ones of a court
    /// granted `case_register`, as `(id, name)`.
    pub async fn referral_senders(&self, viewer: &Viewer) -> Result<Vec<(i64, String)>> {
        authz::may(viewer.role, Permission::ReferralDecide, Resource::ANY)?;
        Ok(self.court_accounts().await?.into_iter().map(|(id, name, _)| (id, name)).collect())
    }

    /// The live system accounts of courts granted `case_register`: `(id, name, user id)`.
    async fn court_accounts(&self) -> Result<Vec<(i64, String, i64)>> {
        let code = Permission::CaseRegister.system_code().unwrap_or_default();
        let mut courts = Vec::new();
        for account in self.store.system_accounts().await? {
            if account.revoked_at.is_some() || !account.permissions.iter().any(|p| p == code) {
                continue;
            }
            let kind = self.store.unit(UnitId(account.unit_id)).await?.and_then(|u| UnitKind::parse(&u.kind));
            if kind == Some(UnitKind::Court) {
                courts.push((account.id, account.name, account.user_id));
            }
        }
        Ok(courts)
    }

    /// Refuses anyone but a court's desk or system account.
    async fn court_only(&self, viewer: &Viewer) -> Result<()> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        let kind = self.store.unit(UnitId(viewer.unit_id)).await?.and_then(|u| UnitKind::parse(&u.kind));
        if kind != Some(UnitKind::Court) {
            return Err(AppError::Forbidden { message: msg!("referral.court_only") });
        }
        Ok(())
    }

    /// One referral under the court's `number`: registered as a `court` case with its clock to
    /// confirm, or — the number received before — that referral. Whether it is new.
    async fn referral_receive(
        &self,
        viewer: &Viewer,
        calendar: &Calendar,
        number: &str,
        mut registration: CaseRegistration,
    ) -> Result<(Referral, bool)> {
        registration.channel = Some("court".to_owned());
        // The court's number, whichever of its desks or accounts sends it, is one case.
        let namespace = RefNamespace::Court(viewer.unit_id);
        let (_, case) =
            self.case_register_referenced(viewer, &namespace, number, registration, WhenUnsure::RecordOther).await?;
        let now = self.now();
        let confirm_by = referral::confirm_by(calendar, now);
        let (id, new) = self
            .store
            .referral_record(CaseId(case.case.id), viewer.unit_id, number, viewer.user_id, now, confirm_by)
            .await?;
        Ok((referral_of(self.store.referral(viewer, id).await?, now), new))
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

/// The template workbook of referrals in `t`'s language, with a sample row.
pub fn template(t: domain::i18n::T) -> Vec<u8> {
    let sample = [
        "(2026)甘0102民诉前调1号",
        &t.code("category", "contract"),
        "620102002001",
        "城关区张掖路街道中山林社区 9 号",
        "马丽",
        "",
        "13911110001",
        "张强",
        "13822220001",
        "20000",
        "申请人称被申请人拖欠装修款两万元（示例行，导入前请删除）",
        "支付装修款 20000 元",
    ];
    crate::case_import::template_of(t, &domain::referral::IMPORT_COLUMNS, &sample)
}
