//! Authentication: argon2id passwords, opaque tokens stored as hashes, and throttling of
//! repeated failed logins.
//!
//! A token is 32 random bytes given to the client once; the database keeps only its SHA-256,
//! so a copy of the database cannot be used to sign in. The same table serves bearer tokens
//! for the API and (kind `session`) cookie sessions for the web UI.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::org::{UserView, user_view};
use crate::sql::args;
use crate::{Result, Store, StoreError, to_ms};

/// Failed logins allowed before the account is slowed down.
pub const FREE_ATTEMPTS: i64 = 5;
/// The longest wait imposed after repeated failures.
const MAX_LOCK_SECS: i64 = 15 * 60;

/// What kind of credential a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Bearer,
    Session,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Bearer => "bearer",
            TokenKind::Session => "session",
        }
    }
}

pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Setup(format!("password hashing failed: {e}")))
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

fn token_hash(token: &str) -> String {
    domain::history::hex(&Sha256::digest(token.as_bytes()))
}

/// How long to wait after `failures` consecutive failures: nothing for the first five, then
/// 30 s doubling up to 15 minutes.
pub fn lock_seconds(failures: i64) -> i64 {
    if failures < FREE_ATTEMPTS {
        return 0;
    }
    let doublings = (failures - FREE_ATTEMPTS).min(10) as u32;
    (30_i64 << doublings).min(MAX_LOCK_SECS)
}

type UserRow = (i64, String, String, String, i64, String, i64, Option<i64>);

impl Store {
    /// Checks a username and password; on success issues a token of `kind`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> Result<(String, UserView)> {
        let sql = "SELECT id, username, display_name, role, unit_id, password_hash, failed_logins, locked_until FROM users WHERE username = $1 AND active";
        let row: Option<UserRow> = self.fetch_optional(sql, args![username.trim()]).await?;
        let Some((id, username, display_name, role, unit_id, stored, failures, locked_until)) = row else {
            // Spend the same time as for a real user, so timing does not reveal who exists.
            password_matches(password, DUMMY_HASH);
            return Err(StoreError::BadCredentials);
        };
        let now_ms = to_ms(now);
        if let Some(until) = locked_until.filter(|&until| until > now_ms) {
            return Err(StoreError::TooManyAttempts { retry_after_secs: (until - now_ms + 999) / 1000 });
        }
        if !password_matches(password, &stored) {
            let failures = failures + 1;
            let lock = lock_seconds(failures);
            let until = (lock > 0).then_some(now_ms + lock * 1000);
            self.execute(
                "UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3",
                args![failures, until, id],
            )
            .await?;
            tracing::warn!(%username, failures, "failed login");
            return match until {
                Some(_) => Err(StoreError::TooManyAttempts { retry_after_secs: lock }),
                None => Err(StoreError::BadCredentials),
            };
        }
        let token = URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<32>());
        let expires = now_ms + self.options.token_lifetime.as_millis() as i64;
        let mut tx = self.begin().await?;
        tx.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1", args![id]).await?;
        tx.execute(
            "INSERT INTO auth_tokens (token_hash, kind, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            args![token_hash(&token), kind.as_str(), id, now_ms, expires],
        )
        .await?;
        tx.commit().await?;
        let user = user_view((id, username, display_name, role, unit_id)).ok_or(StoreError::BadCredentials)?;
        Ok((token, user))
    }

    /// The user a live token of `kind` belongs to.
    pub async fn token_user(&self, token: &str, kind: TokenKind, now: DateTime<Utc>) -> Result<Option<UserView>> {
        let sql = "SELECT u.id, u.username, u.display_name, u.role, u.unit_id FROM auth_tokens t JOIN users u ON u.id = t.user_id
                   WHERE t.token_hash = $1 AND t.kind = $2 AND t.revoked_at IS NULL AND t.expires_at > $3 AND u.active";
        let row: Option<(i64, String, String, String, i64)> =
            self.fetch_optional(sql, args![token_hash(token), kind.as_str(), to_ms(now)]).await?;
        Ok(row.and_then(user_view))
    }

    /// Revokes a token; a revoked token never works again.
    pub async fn logout(&self, token: &str, now: DateTime<Utc>) -> Result<()> {
        self.execute(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
            args![to_ms(now), token_hash(token)],
        )
        .await?;
        Ok(())
    }
}

/// An argon2id hash of a random password, verified against when the username is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0v3mYzZ2X2zJ2mKf5m1cXH7nYx8m8bD6vG8o3f1lQ3w";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_grows_then_caps() {
        assert_eq!(lock_seconds(4), 0);
        assert_eq!(lock_seconds(5), 30);
        assert_eq!(lock_seconds(6), 60);
        assert_eq!(lock_seconds(100), MAX_LOCK_SECS);
    }

    #[test]
    fn passwords_verify() {
        let hash = hash_password("fengqiao-demo").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("fengqiao-demo", &hash));
        assert!(!password_matches("wrong", &hash));
        assert!(!password_matches("x", "not a hash"));
    }
}
