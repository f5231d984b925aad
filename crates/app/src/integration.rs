//! 系统对接: other systems' accounts and keys, and intake that is idempotent by the sender's
//! reference.

use std::time::Duration;

use domain::authz::{self, Permission, Resource};
use domain::case::CaseRegistration;
use domain::ids::{CaseId, UnitId, UserId};
use domain::msg;
use domain::validation::{Checker, FieldError};
pub use store::integration::SystemAccountView;
use store::integration::{Claim, RefNamespace};

use crate::cases::RegisteredCase;
use crate::triage::WhenUnsure;
use crate::{App, AppError, Result, Viewer};

/// A system account to create, as the client sends it.
#[derive(Debug, Default)]
pub struct NewSystemAccount {
    pub name: Option<String>,
    pub unit_id: Option<i64>,
    pub permissions: Option<Vec<String>>,
}

/// A request authenticated by an API key: the account's user as the viewer, and what the
/// account was granted.
#[derive(Debug, Clone)]
pub struct SystemCaller {
    pub account_id: i64,
    pub viewer: Viewer,
    pub grants: Vec<Permission>,
}

/// Whether a registration made a case or found the one its reference already names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    Created,
    Existing,
}

/// How long a request waits for an identical one that is registering its case.
const PENDING_WAIT: Duration = Duration::from_secs(15);

impl App {
    /// Creates a system account (admin): its id and its API key, shown this once.
    pub async fn system_account_create(&self, viewer: &Viewer, new: NewSystemAccount) -> Result<(i64, String)> {
        authz::may(viewer.role, Permission::SystemAccountManage, Resource::ANY)?;
        let mut c = Checker::default();
        let name = c.required_text("name", new.name.as_deref(), 100);
        if new.unit_id.is_none() {
            c.push(FieldError::required("unit_id"));
        }
        let mut codes = Vec::new();
        match new.permissions.as_deref() {
            None => c.push(FieldError::required("permissions")),
            Some([]) => c.push(FieldError::new("permissions", "empty", msg!("system.permissions_empty"))),
            Some(list) => {
                let known: Vec<&str> = Permission::SYSTEM_GRANTABLE.iter().map(|(code, _)| *code).collect();
                for (i, code) in list.iter().enumerate() {
                    match Permission::system_grantable(code.trim()) {
                        Some(p) => codes.extend(p.system_code().map(str::to_owned)),
                        None => c.push(FieldError::new(
                            format!("permissions[{i}]"),
                            "unknown",
                            msg!("system.permission_unknown", value = code.clone(), known = known.join(", ")),
                        )),
                    }
                }
            }
        }
        c.into_result()?;
        codes.sort();
        codes.dedup();
        let (Some(name), Some(unit_id)) = (name, new.unit_id) else { unreachable!("checked above") };
        Ok(self.store.system_account_create(&name, UnitId(unit_id), &codes, self.now()).await?)
    }

    /// Every system account (admin), the newest first.
    pub async fn system_accounts(&self, viewer: &Viewer) -> Result<Vec<SystemAccountView>> {
        authz::may(viewer.role, Permission::SystemAccountManage, Resource::ANY)?;
        Ok(self.store.system_accounts().await?)
    }

    /// The most recent calls of a system account (admin): `(method, path, at)`.
    pub async fn system_account_calls(
        &self,
        viewer: &Viewer,
        id: i64,
    ) -> Result<Vec<(String, String, chrono::DateTime<chrono::Utc>)>> {
        authz::may(viewer.role, Permission::SystemAccountManage, Resource::ANY)?;
        Ok(self.store.system_account_calls(id, 200).await?)
    }

    /// Revokes a system account (admin): its key never works again.
    pub async fn system_account_revoke(&self, viewer: &Viewer, id: i64) -> Result<()> {
        authz::may(viewer.role, Permission::SystemAccountManage, Resource::ANY)?;
        Ok(self.store.system_account_revoke(id, self.now()).await?)
    }

    /// The system account an API key belongs to, if it is live; the call is recorded.
    pub async fn system_caller(&self, key: &str, method: &str, path: &str) -> Result<Option<SystemCaller>> {
        let Some(holder) = self.store.system_key_holder(key, method, path, self.now()).await? else { return Ok(None) };
        let viewer = self.store.viewer(UserId(holder.user_id)).await?;
        let grants = holder.permissions.iter().filter_map(|code| Permission::system_grantable(code)).collect();
        Ok(Some(SystemCaller { account_id: holder.account_id, viewer, grants }))
    }

    /// 登记 with the sender's own reference: the first request with `external_ref` from this
    /// viewer registers the case; every later one answers the same case.
    pub async fn case_register_external(
        &self,
        viewer: &Viewer,
        external_ref: &str,
        registration: CaseRegistration,
        when_unsure: WhenUnsure,
    ) -> Result<(Intake, RegisteredCase)> {
        let namespace = RefNamespace::Sender(viewer.user_id);
        self.case_register_referenced(viewer, &namespace, external_ref, registration, when_unsure).await
    }

    /// 登记 with a reference in its namespace (the sender's own, or its police unit's): the
    /// first request registers the case; every later one — also one arriving while the first
    /// is still registering, from any user — answers the same case. The reference is claimed
    /// by one insert under a unique key before anything else, so requests at once cannot make
    /// two cases.
    pub(crate) async fn case_register_referenced(
        &self,
        viewer: &Viewer,
        namespace: &RefNamespace,
        external_ref: &str,
        registration: CaseRegistration,
        when_unsure: WhenUnsure,
    ) -> Result<(Intake, RegisteredCase)> {
        authz::may(viewer.role, Permission::CaseRegister, Resource::ANY)?;
        let mut c = Checker::default();
        let reference = c.required_text("external_ref", Some(external_ref), 100);
        c.into_result()?;
        let reference = reference.unwrap_or_default();
        match self.store.external_ref_claim(namespace, &reference, self.now()).await? {
            Claim::Mine => match self.case_register(viewer, registration, when_unsure).await {
                Ok(case) => {
                    self.store.external_ref_settle(namespace, &reference, case.case.id).await?;
                    Ok((Intake::Created, case))
                }
                Err(error) => {
                    self.store.external_ref_release(namespace, &reference).await?;
                    Err(error)
                }
            },
            Claim::Taken(Some(id)) => Ok((Intake::Existing, self.case_registered(viewer, CaseId(id)).await?)),
            Claim::Taken(None) => {
                let id = pending(|| self.store.external_ref_case(namespace, &reference)).await?;
                Ok((Intake::Existing, self.case_registered(viewer, CaseId(id)).await?))
            }
        }
    }
}

/// Waits for an identical request that holds the claim to finish its case: `found` answers the
/// case's id once there is one. 409 when it takes longer than [`PENDING_WAIT`].
pub(crate) async fn pending<F, Fut>(mut found: F) -> Result<i64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<Option<i64>, store::StoreError>>,
{
    let started = tokio::time::Instant::now();
    while started.elapsed() < PENDING_WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Some(id) = found().await? {
            return Ok(id);
        }
    }
    Err(AppError::conflict("external_ref_pending", msg!("system.external_ref_pending")))
}
