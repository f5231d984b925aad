//! 系统对接: the accounts of other systems (their API keys, kept as SHA-256 only, and the
//! record of every call they make) and idempotent intake by a reference in its namespace.
//!
//! A system account acts through a user row of its own (`system:N`, role `intake`, at the
//! account's unit, a random password no one knows — and `login` refuses it even if an
//! administrator sets one), so the case history attributes what it
//! does like anyone's and the data scope is its unit's. What it may ask for is its list of
//! grant codes (`domain::authz::Permission::SYSTEM_GRANTABLE`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::ids::UnitId;
use domain::org::Role;

use crate::auth::token_hash;
use crate::sql::args;
use crate::{Result, Store, StoreError, from_ms, to_ms};

/// A system account as the admin sees it (never its key).
#[derive(Debug, Clone)]
pub struct SystemAccountView {
    pub id: i64,
    pub name: String,
    pub unit_id: i64,
    pub user_id: i64,
    pub permissions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub calls: i64,
}

/// The live account an API key belongs to.
#[derive(Debug, Clone)]
pub struct KeyHolder {
    pub account_id: i64,
    pub user_id: i64,
    pub permissions: Vec<String>,
}

/// Who holds an external reference: this request (register the case now), or an earlier one
/// (its case, or `None` while it is still being registered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Mine,
    Taken(Option<i64>),
}

/// Whose references an external reference is one of: a claim is unique within its namespace,
/// whichever user makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefNamespace {
    /// The sender's own `external_ref` (a system account sends through its own user).
    Sender(i64),
    /// 信访件编号 — a petition office's reference, by the office's name, whoever enters it.
    Petition(String),
    /// 警情编号 — a police unit's incident number, whichever of its desks or accounts sends it.
    Police(i64),
    /// 法院案号 — a court's case number of a referral (诉前委派), whichever of its desks or
    /// accounts sends it.
    Court(i64),
}

impl RefNamespace {
    /// The namespace as stored (migrations 0050 and 0055 name existing claims the same way).
    fn key(&self) -> String {
        match self {
            RefNamespace::Sender(user_id) => format!("user:{user_id}"),
            RefNamespace::Petition(sender) => format!("petition:{sender}"),
            RefNamespace::Police(unit_id) => format!("police:{unit_id}"),
            RefNamespace::Court(unit_id) => format!("court:{unit_id}"),
        }
    }
}

type AccountRow = (i64, String, i64, i64, String, i64, Option<i64>, i64);

fn account_view(
    (id, name, unit_id, user_id, permissions, created_at, revoked_at, calls): AccountRow,
) -> SystemAccountView {
    SystemAccountView {
        id,
        name,
        unit_id,
        user_id,
        permissions: split(&permissions),
        created_at: from_ms(created_at),
        revoked_at: revoked_at.map(from_ms),
        calls,
    }
}

fn split(codes: &str) -> Vec<String> {
    codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect()
}

impl Store {
    /// Creates a system account at `unit_id` with the grant codes `permissions` (checked by the
    /// caller) and answers its id and its API key — the only time the key is seen.
    pub async fn system_account_create(
        &self,
        name: &str,
        unit_id: UnitId,
        permissions: &[String],
        now: DateTime<Utc>,
    ) -> Result<(i64, String)> {
        self.unit_open_for_users(unit_id.get()).await?;
        let key = format!("fq_{}", URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<32>()));
        let password = URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<32>());
        let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
            .await
            .map_err(|e| StoreError::Setup(format!("password hashing failed: {e}")))??;
        let mut tx = self.begin().await?;
        let placeholder = format!("system:pending:{}", URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<9>()));
        let (user_id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO users (username, display_name, role, unit_id, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                args![placeholder, name, Role::Intake.as_str(), unit_id.get(), hash, to_ms(now)],
            )
            .await?;
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO system_accounts (name, unit_id, user_id, permissions, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                args![name, unit_id.get(), user_id, permissions.join(","), token_hash(&key), to_ms(now)],
            )
            .await?;
        tx.execute("UPDATE users SET username = $1 WHERE id = $2", args![format!("system:{id}"), user_id]).await?;
        tx.commit().await?;
        Ok((id, key))
    }

    /// Every system account, the newest first, with how many calls it made.
    pub async fn system_accounts(&self) -> Result<Vec<SystemAccountView>> {
        let sql = "SELECT a.id, a.name, a.unit_id, a.user_id, a.permissions, a.created_at, a.revoked_at,
                          (SELECT COUNT(*) FROM system_account_calls c WHERE c.account_id = a.id)
                   FROM system_accounts a ORDER BY a.id DESC";
        let rows: Vec<AccountRow> = self.fetch_all(sql, args![]).await?;
        Ok(rows.into_iter().map(account_view).collect())
    }

    /// Revokes an account: its key never works again, and its user is closed.
    pub async fn system_account_revoke(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin().await?;
        let row: Option<(i64,)> =
            tx.fetch_optional("SELECT user_id FROM system_accounts WHERE id = $1", args![id]).await?;
        let Some((user_id,)) = row else { return Err(StoreError::NotFound { what: "system_account" }) };
        tx.execute(
            "UPDATE system_accounts SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
            args![to_ms(now), id],
        )
        .await?;
        tx.execute("UPDATE users SET active = FALSE WHERE id = $1", args![user_id]).await?;
        tx.execute(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            args![to_ms(now), user_id],
        )
        .await?;
        tx.commit().await
    }

    /// The live account of an API key, if any; the call (`method`, `path`) is recorded.
    pub async fn system_key_holder(
        &self,
        key: &str,
        method: &str,
        path: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<KeyHolder>> {
        let row: Option<(i64, i64, String)> = self
            .fetch_optional(
                "SELECT a.id, a.user_id, a.permissions FROM system_accounts a JOIN users u ON u.id = a.user_id
                 WHERE a.key_hash = $1 AND a.revoked_at IS NULL AND u.active",
                args![token_hash(key),],
            )
            .await?;
        let Some((account_id, user_id, permissions)) = row else { return Ok(None) };
        self.execute(
            "INSERT INTO system_account_calls (account_id, method, path, at) VALUES ($1, $2, $3, $4)",
            args![account_id, method, path, to_ms(now)],
        )
        .await?;
        Ok(Some(KeyHolder { account_id, user_id, permissions: split(&permissions) }))
    }

    /// The calls of an account, the newest first: `(method, path, at)`.
    pub async fn system_account_calls(&self, id: i64, limit: i64) -> Result<Vec<(String, String, DateTime<Utc>)>> {
        let rows: Vec<(String, String, i64)> = self
            .fetch_all(
                "SELECT method, path, at FROM system_account_calls WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
                args![id, limit],
            )
            .await?;
        Ok(rows.into_iter().map(|(m, p, at)| (m, p, from_ms(at))).collect())
    }

    /// Claims the external reference `external_ref` in `namespace`: one insert under the
    /// primary key, so of any number of requests at once — by any number of users — exactly one
    /// gets `Mine`.
    pub async fn external_ref_claim(
        &self,
        namespace: &RefNamespace,
        external_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim> {
        let inserted = self
            .execute(
                "INSERT INTO external_refs (namespace, external_ref, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                args![namespace.key(), external_ref, to_ms(now)],
            )
            .await?;
        if inserted == 1 {
            return Ok(Claim::Mine);
        }
        Ok(Claim::Taken(self.external_ref_case(namespace, external_ref).await?))
    }

    /// The case registered under a claimed reference, once it is (`None` while pending).
    pub async fn external_ref_case(&self, namespace: &RefNamespace, external_ref: &str) -> Result<Option<i64>> {
        let row: Option<(Option<i64>,)> = self
            .fetch_optional(
                "SELECT case_id FROM external_refs WHERE namespace = $1 AND external_ref = $2",
                args![namespace.key(), external_ref],
            )
            .await?;
        Ok(row.and_then(|(case,)| case))
    }

    /// Records the case registered under a claim.
    pub async fn external_ref_settle(&self, namespace: &RefNamespace, external_ref: &str, case_id: i64) -> Result<()> {
        self.execute(
            "UPDATE external_refs SET case_id = $1 WHERE namespace = $2 AND external_ref = $3",
            args![case_id, namespace.key(), external_ref],
        )
        .await?;
        Ok(())
    }

    /// Gives a claim back when its registration failed, so that a corrected retry can have it.
    pub async fn external_ref_release(&self, namespace: &RefNamespace, external_ref: &str) -> Result<()> {
        self.execute(
            "DELETE FROM external_refs WHERE namespace = $1 AND external_ref = $2 AND case_id IS NULL",
            args![namespace.key(), external_ref],
        )
        .await?;
        Ok(())
    }
}
