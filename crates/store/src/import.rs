//! The bulk import's half that needs the database: whether a file's units and users can be
//! created as they stand (a code or username that exists, a region, a parent or a unit that is
//! not there), and their creation, all or nothing, in one transaction. The file itself is read
//! by `domain::import`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::import::{UnitRow, UserRow, line_field};
use domain::msg;
use domain::validation::FieldError;

use crate::org::{name_fault, phone_fault, username_fault};
use crate::sql::args;
use crate::{Result, Store, StoreError, to_ms};

/// A user created by an import, with the initial password generated for them (shown once,
/// stored only as its argon2id hash).
#[derive(Debug, Clone)]
pub struct ImportedUser {
    pub username: String,
    pub password: String,
}

/// Letters and digits a person reads without doubt (no 0/O, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const PASSWORD_CHARS: usize = 12;

impl Store {
    /// What stands in the way of creating these units: each fault named by its line.
    pub async fn units_import_check(&self, rows: &[UnitRow]) -> Result<Vec<FieldError>> {
        let codes = self.unit_codes().await?;
        let regions: HashSet<String> = self.regions().await?.into_iter().map(|r| r.code).collect();
        let mut faults = Vec::new();
        let mut earlier: HashSet<&str> = HashSet::new();
        for row in rows {
            let field = |name: &str| line_field(row.line, name);
            faults.extend(name_fault(&field("name"), &row.name));
            if codes.contains_key(&row.code) {
                faults.push(FieldError::new(
                    field("unit_code"),
                    "taken",
                    msg!("import.code_taken", code = row.code.as_str()),
                ));
            }
            if !regions.contains(row.region_code.as_str()) {
                faults.push(FieldError::new(field("region_code"), "unknown_region", msg!("org.no_such_region")));
            }
            if let Some(parent) = &row.parent_code
                && !codes.get(parent).is_some_and(|(_, active)| *active)
                && !earlier.contains(parent.as_str())
            {
                let fault = msg!("import.no_such_parent", code = parent.as_str());
                faults.push(FieldError::new(field("parent_code"), "unknown_unit", fault));
            }
            faults.extend(row.phone.as_deref().and_then(|p| phone_fault(&field("phone"), p)));
            earlier.insert(&row.code);
        }
        Ok(faults)
    }

    /// Creates the units, parents before children, in one transaction; nothing when any line
    /// is at fault (`Invalid`, each fault named by its line).
    pub async fn units_import(&self, rows: &[UnitRow]) -> Result<usize> {
        let faults = self.units_import_check(rows).await?;
        if !faults.is_empty() {
            return Err(StoreError::Invalid(faults));
        }
        let mut ids: HashMap<String, i64> =
            self.unit_codes().await?.into_iter().map(|(code, (id, _))| (code, id)).collect();
        let mut tx = self.begin().await?;
        for row in rows {
            let parent_id = row.parent_code.as_ref().and_then(|p| ids.get(p).copied());
            let categories: Vec<&str> = row.categories.iter().map(|c| c.as_str()).collect();
            let sql = "INSERT INTO units (code, name, kind, region_code, parent_id, categories, phone) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
            let inserted: Result<(i64,)> = tx
                .fetch_one(
                    sql,
                    args![
                        row.code.as_str(),
                        row.name.as_str(),
                        row.kind.as_str(),
                        row.region_code.as_str(),
                        parent_id,
                        categories.join(" "),
                        row.phone.as_deref()
                    ],
                )
                .await;
            ids.insert(row.code.clone(), raced(inserted)?.0);
        }
        tx.commit().await?;
        self.bump_triage_version().await?;
        Ok(rows.len())
    }

    /// What stands in the way of creating these users: each fault named by its line.
    pub async fn users_import_check(&self, rows: &[UserRow]) -> Result<Vec<FieldError>> {
        let codes = self.unit_codes().await?;
        let taken: HashSet<String> = self.users().await?.into_iter().map(|u| u.username).collect();
        let mut faults = Vec::new();
        for row in rows {
            let field = |name: &str| line_field(row.line, name);
            faults.extend(username_fault(&field("username"), &row.username));
            faults.extend(name_fault(&field("display_name"), &row.display_name));
            if taken.contains(&row.username) {
                let fault = msg!("import.username_taken", username = row.username.as_str());
                faults.push(FieldError::new(field("username"), "taken", fault));
            }
            match codes.get(&row.unit_code) {
                Some((_, true)) => {}
                Some((_, false)) => {
                    faults.push(FieldError::new(field("unit_code"), "unit_disabled", msg!("org.unit_disabled")))
                }
                None => {
                    let fault = msg!("import.no_such_unit", code = row.unit_code.as_str());
                    faults.push(FieldError::new(field("unit_code"), "unknown_unit", fault));
                }
            }
        }
        Ok(faults)
    }

    /// Creates the users, each with a generated initial password, in one transaction; nothing
    /// when any line is at fault (`Invalid`, each fault named by its line).
    pub async fn users_import(&self, rows: &[UserRow], now: DateTime<Utc>) -> Result<Vec<ImportedUser>> {
        let faults = self.users_import_check(rows).await?;
        if !faults.is_empty() {
            return Err(StoreError::Invalid(faults));
        }
        let ids: HashMap<String, i64> =
            self.unit_codes().await?.into_iter().map(|(code, (id, _))| (code, id)).collect();
        let passwords: Vec<String> = rows.iter().map(|_| initial_password()).collect();
        // Hashing is deliberately slow (argon2id): on the blocking pool, not a request's thread.
        let hashes = {
            let passwords = passwords.clone();
            tokio::task::spawn_blocking(move || {
                passwords.iter().map(|p| crate::auth::hash_password(p)).collect::<Result<Vec<_>>>()
            })
            .await
            .map_err(|e| StoreError::Setup(format!("password hashing stopped: {e}")))??
        };
        let mut tx = self.begin().await?;
        for (row, hash) in rows.iter().zip(&hashes) {
            let sql = "INSERT INTO users (username, display_name, role, unit_id, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
            let unit_id = ids.get(&row.unit_code).copied();
            let inserted = tx
                .execute(
                    sql,
                    args![
                        row.username.as_str(),
                        row.display_name.as_str(),
                        row.role.as_str(),
                        unit_id,
                        hash.as_str(),
                        to_ms(now)
                    ],
                )
                .await;
            raced(inserted)?;
        }
        tx.commit().await?;
        Ok(rows
            .iter()
            .zip(passwords)
            .map(|(row, password)| ImportedUser { username: row.username.clone(), password })
            .collect())
    }

    /// Every unit code: the unit's id and whether it is active.
    async fn unit_codes(&self) -> Result<HashMap<String, (i64, bool)>> {
        let rows: Vec<(String, i64, bool)> =
            self.fetch_all("SELECT code, id, active FROM units WHERE code IS NOT NULL", args![]).await?;
        Ok(rows.into_iter().map(|(code, id, active)| (code, (id, active))).collect())
    }
}

/// A username or unit code written by someone else between the check and the transaction: the
/// whole import is refused (and rolled back) rather than half done.
fn raced<T>(result: Result<T>) -> Result<T> {
    match result {
        Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
            Err(StoreError::conflict("import_raced", msg!("import.raced")))
        }
        other => other,
    }
}

/// A password of 12 unambiguous letters and digits (≈ 70 bits).
fn initial_password() -> String {
    let mut password = String::with_capacity(PASSWORD_CHARS);
    while password.len() < PASSWORD_CHARS {
        for byte in crate::crypto::random_bytes::<16>() {
            // Only bytes below the largest multiple of the alphabet's size: no letter favoured.
            let limit = 256 - 256 % PASSWORD_ALPHABET.len();
            if (byte as usize) < limit && password.len() < PASSWORD_CHARS {
                password.push(PASSWORD_ALPHABET[byte as usize % PASSWORD_ALPHABET.len()] as char);
            }
        }
    }
    password
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_passwords_are_long_unambiguous_and_differ() {
        let (a, b) = (initial_password(), initial_password());
        assert_eq!(a.chars().count(), PASSWORD_CHARS);
        assert!(a.bytes().all(|c| PASSWORD_ALPHABET.contains(&c)));
        assert_ne!(a, b);
    }
}
