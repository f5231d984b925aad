//! Personal data at rest: AES-256-GCM encryption and keyed blind indexes (DOMAIN.md §6.1).
//!
//! ID numbers, phones and party addresses are stored only as ciphertext. A blind index —
//! HMAC-SHA256 under a second key, because ID numbers are low-entropy and a plain hash would be
//! reversed by enumeration — makes "all cases of this person" one indexed lookup.

use std::fs;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, Generate, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{Result, StoreError};

/// The environment variable that may carry the master key (64 hex digits or base64 of 32 bytes).
pub const MASTER_KEY_ENV: &str = "FENGQIAO_MASTER_KEY";
const KEY_FILE: &str = "keys/master.key";
const CIPHER_PREFIX: &str = "v1:";

/// Encryption, blind-index and checkpoint keys, all derived from one 32-byte master key.
#[derive(Clone)]
pub struct Crypto {
    cipher: Aes256Gcm,
    index_key: [u8; 32],
    checkpoint_key: [u8; 32],
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto(…)")
    }
}

impl Crypto {
    pub fn from_master_key(master: &[u8; 32]) -> Self {
        let encryption_key = mac(master, b"fengqiao/encryption/v1");
        let index_key = mac(master, b"fengqiao/blind-index/v1");
        let checkpoint_key = mac(master, b"fengqiao/audit-checkpoint/v1");
        Self { cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(encryption_key)), index_key, checkpoint_key }
    }

    /// Uses the key given (from the environment) or the one in `data_dir`, creating the latter
    /// on first run with owner-only permissions.
    pub fn load_or_create(data_dir: &Path, given: Option<&str>) -> Result<Self> {
        if let Some(text) = given.filter(|t| !t.trim().is_empty()) {
            return Ok(Self::from_master_key(&parse_key(text)?));
        }
        let path = data_dir.join(KEY_FILE);
        let io = |source| StoreError::io(&path, source);
        if path.exists() {
            let text = fs::read_to_string(&path).map_err(io)?;
            return Ok(Self::from_master_key(&parse_key(&text)?));
        }
        let key = random_bytes::<32>();
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(io)?;
        }
        let mut file = create_private(&path).map_err(io)?;
        file.write_all(domain::history::hex(&key).as_bytes()).map_err(io)?;
        tracing::info!(path = %path.display(), "created a new master key for personal data; back it up with the database");
        Ok(Self::from_master_key(&key))
    }

    pub fn encrypt(&self, plaintext: &str) -> String {
        let nonce = Nonce::generate();
        let sealed =
            self.cipher.encrypt(&nonce, plaintext.as_bytes()).expect("AES-GCM encryption of a short value cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{CIPHER_PREFIX}{}", BASE64.encode(bytes))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String> {
        let bytes = stored
            .strip_prefix(CIPHER_PREFIX)
            .and_then(|b| BASE64.decode(b).ok())
            .filter(|b| b.len() > 12)
            .ok_or(StoreError::Decrypt)?;
        let (nonce, sealed) = bytes.split_at(12);
        let nonce = Nonce::try_from(nonce).map_err(|_| StoreError::Decrypt)?;
        let plain = self.cipher.decrypt(&nonce, sealed).map_err(|_| StoreError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| StoreError::Decrypt)
    }

    /// The blind index of a value already in canonical form (a parsed ID number or phone, a
    /// normalised address).
    pub fn blind_index(&self, canonical: &str) -> String {
        domain::history::hex(&mac(&self.index_key, canonical.as_bytes())[..20])
    }

    /// The keyed root of a daily checkpoint (`store::audit`): HMAC-SHA-256 over the day, its
    /// cut-off, the number of cases and the SHA-256 of their heads, so that whoever may write
    /// to the database but lacks the master key cannot compute a root for a history they cut.
    pub fn checkpoint_root(&self, day: &str, cutoff: i64, cases: u64, heads_digest: &str) -> String {
        let text = format!("{day}\n{cutoff}\n{cases}\n{heads_digest}");
        domain::history::hex(&mac(&self.checkpoint_key, text.as_bytes()))
    }
}

/// The signature of a webhook delivery: `sha256=` and the HMAC-SHA-256 of the raw body under
/// the subscription's secret, in lower-case hex (`X-Fengqiao-Signature`).
pub fn webhook_signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", domain::history::hex(&mac(secret.as_bytes(), body)))
}

/// HMAC-SHA-256 of `bytes` under `key` (also how each key is derived from the master key).
fn mac(key: &[u8], bytes: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(bytes);
    mac.finalize().into_bytes().into()
}

fn parse_key(text: &str) -> Result<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0)).collect()
    } else {
        BASE64.decode(text).unwrap_or_default()
    };
    bytes.try_into().map_err(|_| {
        StoreError::Setup(format!(
            "the master key ({MASTER_KEY_ENV} or {KEY_FILE}) must be 32 bytes as 64 hex digits or base64"
        ))
    })
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// Creates a directory (and its parents) that only its owner may enter (0700 on Unix): the
/// data directory holds the database, the key and the files.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    fs::create_dir_all(path)?;
    restrict(path, 0o700)
}

/// Lets only the owner read and write an existing file (0600 on Unix).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    restrict(path, 0o600)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// Creates a new file only its owner may read (0600 on Unix).
#[cfg(unix)]
pub(crate) fn create_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
pub(crate) fn create_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_distinct_ciphertexts() {
        let crypto = Crypto::from_master_key(&[7; 32]);
        let a = crypto.encrypt("11010519491231002X");
        let b = crypto.encrypt("11010519491231002X");
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("19491231"));
        assert_eq!(crypto.decrypt(&a).unwrap(), "11010519491231002X");
        assert!(Crypto::from_master_key(&[8; 32]).decrypt(&a).is_err());
        assert!(crypto.decrypt("v1:garbage").is_err());
    }

    #[test]
    fn blind_index_is_keyed_and_stable() {
        let crypto = Crypto::from_master_key(&[7; 32]);
        assert_eq!(crypto.blind_index("x"), crypto.blind_index("x"));
        assert_ne!(crypto.blind_index("x"), Crypto::from_master_key(&[8; 32]).blind_index("x"));
    }

    #[test]
    fn checkpoint_roots_need_the_key() {
        let crypto = Crypto::from_master_key(&[7; 32]);
        let root = crypto.checkpoint_root("2026-11-26", 1, 2, "ab");
        assert_eq!(root, crypto.checkpoint_root("2026-11-26", 1, 2, "ab"));
        assert_ne!(root, Crypto::from_master_key(&[8; 32]).checkpoint_root("2026-11-26", 1, 2, "ab"));
        assert_ne!(root, crypto.checkpoint_root("2026-11-27", 1, 2, "ab"));
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = std::env::temp_dir().join(format!("fq-key-{}", std::process::id()));
        let first = Crypto::load_or_create(&dir, None).unwrap();
        let second = Crypto::load_or_create(&dir, None).unwrap();
        assert_eq!(second.decrypt(&first.encrypt("a")).unwrap(), "a");
        fs::remove_dir_all(dir).unwrap();
    }
}
