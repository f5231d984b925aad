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

/// 限流: how many password checks a window allows, per key. A check is counted before the
/// password is compared (one conditional upsert, so parallel attempts cannot overrun it), and a
/// successful check gives its count back to the account and the address.
pub mod limits {
    /// The window every count is kept for.
    pub const WINDOW_SECS: i64 = 15 * 60;
    /// Checks of one account from one address.
    pub const PAIR: i64 = 5;
    /// Failed checks from one address, over all accounts.
    pub const ADDRESS: i64 = 20;
    /// Failed checks of one account, over all addresses. Past it, the account is still open
    /// to an address that has not failed on it in the window (one check each), so that a
    /// stranger's failures never lock the owner out.
    pub const ACCOUNT: i64 = 20;
}

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

fn password_verifies(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// Whether `password` is the one `stored` hashes. Deliberately slow (argon2id, ≈ 60 ms of one
/// core): on the blocking pool, so that a sign-in never holds up the requests that share its
/// thread of the runtime.
pub(crate) async fn password_matches(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    tokio::task::spawn_blocking(move || password_verifies(&password, &stored)).await.unwrap_or(false)
}

pub(crate) fn token_hash(token: &str) -> String {
    domain::history::hex(&Sha256::digest(token.as_bytes()))
}

type UserRow = (i64, String, String, String, i64, String);

/// The counts one login attempt is weighed against.
struct AttemptKeys {
    pair: String,
    address: String,
    account: String,
}

impl AttemptKeys {
    fn new(username: &str, client: &str) -> Self {
        let username = username.trim().to_lowercase();
        AttemptKeys {
            pair: format!("pair:{username}@{client}"),
            address: format!("address:{client}"),
            account: format!("account:{username}"),
        }
    }
}

impl Store {
    /// Checks a username and password from the client at `client` (its address), within the
    /// limits of [`limits`]; on success issues a token of `kind`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: &str,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> Result<(String, UserView)> {
        let now_ms = to_ms(now);
        let keys = AttemptKeys::new(username, client);
        self.attempt_take(&keys, now_ms).await?;
        let sql =
            "SELECT id, username, display_name, role, unit_id, password_hash FROM users WHERE username = $1 AND active
             AND id NOT IN (SELECT user_id FROM system_accounts)";
        let row: Option<UserRow> = self.fetch_optional(sql, args![username.trim()]).await?;
        let Some((id, username, display_name, role, unit_id, stored)) = row else {
            // Spend the same time as for a real user, so timing does not reveal who exists.
            password_matches(password, DUMMY_HASH).await;
            return Err(StoreError::BadCredentials);
        };
        if !password_matches(password, &stored).await {
            tracing::warn!(%username, %client, "failed login");
            return Err(StoreError::BadCredentials);
        }
        let token = URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<32>());
        let expires = now_ms + self.options.token_lifetime.as_millis() as i64;
        let mut tx = self.begin().await?;
        tx.execute("DELETE FROM login_attempts WHERE key = $1", args![keys.pair]).await?;
        tx.execute(
            "UPDATE login_attempts SET attempts = attempts - 1 WHERE key IN ($1, $2) AND attempts > 0",
            args![keys.address, keys.account],
        )
        .await?;
        tx.execute(
            "INSERT INTO auth_tokens (token_hash, kind, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            args![token_hash(&token), kind.as_str(), id, now_ms, expires],
        )
        .await?;
        tx.commit().await?;
        let user = user_view((id, username, display_name, role, unit_id)).ok_or(StoreError::BadCredentials)?;
        Ok((token, user))
    }

    /// Counts one attempt against each of its keys in turn — the pair, the address, the
    /// account — and refuses it (429) at the first limit spent, leaving the later counts alone
    /// (so a burst refused for the pair does not spend the address's allowance).
    async fn attempt_take(&self, keys: &AttemptKeys, now_ms: i64) -> Result<()> {
        let window_until = now_ms + limits::WINDOW_SECS * 1000;
        let refuse = |until: i64| {
            tracing::warn!(key = %keys.pair, "login refused: too many attempts");
            Err(StoreError::TooManyAttempts { retry_after_secs: (until - now_ms + 999) / 1000 })
        };
        let (pair, until) = self.attempt_count(&keys.pair, now_ms, window_until).await?;
        if pair > limits::PAIR {
            return refuse(until);
        }
        let (address, until) = self.attempt_count(&keys.address, now_ms, window_until).await?;
        if address > limits::ADDRESS {
            return refuse(until);
        }
        let (account, until) = self.attempt_count(&keys.account, now_ms, window_until).await?;
        let first_from_here = pair == 1;
        if account > limits::ACCOUNT && !first_from_here {
            return refuse(until);
        }
        Ok(())
    }

    /// Adds one attempt to `key` in its current window (a new window once the last has
    /// passed): one statement, so parallel attempts are each counted. Returns the count and
    /// when the window ends.
    async fn attempt_count(&self, key: &str, now_ms: i64, window_until: i64) -> Result<(i64, i64)> {
        self.fetch_one(
            "INSERT INTO login_attempts (key, attempts, window_until) VALUES ($1, 1, $2)
             ON CONFLICT (key) DO UPDATE SET
                 attempts = CASE WHEN login_attempts.window_until <= $3 THEN 1 ELSE login_attempts.attempts + 1 END,
                 window_until = CASE WHEN login_attempts.window_until <= $3 THEN $2 ELSE login_attempts.window_until END
             RETURNING attempts, window_until",
            args![key, window_until, now_ms],
        )
        .await
    }

    /// Counts one request against `key`'s `limit` in a window of `window_secs` and refuses it
    /// (429) once the limit is spent: the count and the check are one statement, so parallel
    /// requests cannot overrun it.
    pub(crate) async fn limit_take(&self, key: &str, limit: i64, window_secs: i64, now_ms: i64) -> Result<()> {
        let (count, until) = self.attempt_count(key, now_ms, now_ms + window_secs * 1000).await?;
        if count > limit {
            tracing::warn!(%key, "refused: too many requests");
            return Err(StoreError::TooManyAttempts { retry_after_secs: (until - now_ms + 999) / 1000 });
        }
        Ok(())
    }

    /// Forgets the counts whose window has passed.
    pub async fn login_attempts_prune(&self, now: DateTime<Utc>) -> Result<u64> {
        self.execute("DELETE FROM login_attempts WHERE window_until <= $1", args![to_ms(now)]).await
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
    fn passwords_verify() {
        let hash = hash_password("fengqiao-demo").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_verifies("fengqiao-demo", &hash));
        assert!(!password_verifies("wrong", &hash));
        assert!(!password_verifies("x", "not a hash"));
    }
}
