//! Files kept in the data directory by content: evidence uploads, handwritten signatures and
//! the signed agreements. A file's name is its SHA-256, so the hash recorded in a case's
//! history names exactly one content, and a changed file no longer matches its name.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

pub struct Blobs {
    root: PathBuf,
}

/// The SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    domain::history::hex(&Sha256::digest(bytes))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::io(path, source)
}

impl Blobs {
    /// Blobs under `data_dir/blobs`.
    pub fn new(data_dir: &Path) -> Self {
        Blobs { root: data_dir.join("blobs") }
    }

    /// Uploads held between a preview and its confirmation, under `data_dir/staged`: removed
    /// when used, or by [`Blobs::remove_older_than`].
    pub fn staging(data_dir: &Path) -> Self {
        Blobs { root: data_dir.join("staged") }
    }

    /// Removes every file last written `age` ago or longer.
    pub fn remove_older_than(&self, age: std::time::Duration) {
        let Ok(dirs) = std::fs::read_dir(&self.root) else { return };
        for file in dirs.flatten().filter_map(|dir| std::fs::read_dir(dir.path()).ok()).flatten().flatten() {
            let old = file.metadata().and_then(|m| m.modified()).is_ok_and(|at| at.elapsed().is_ok_and(|e| e >= age));
            if old {
                let _ = std::fs::remove_file(file.path());
            }
        }
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        valid.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Stores `bytes` (once: the same content is the same file) and returns its SHA-256.
    pub fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha = sha256_hex(bytes);
        let path = self.path(&sha).ok_or_else(|| StoreError::Setup("bad digest".into()))?;
        if path.exists() {
            return Ok(sha);
        }
        let dir = path.parent().unwrap_or(&self.root);
        crate::crypto::create_private_dir(dir).map_err(io(dir))?;
        // Written under a temporary name of its own and renamed, so a reader never sees half a
        // file, and writers of the same content at the same moment do not share one (the last
        // rename wins with the same bytes).
        let nonce = domain::history::hex(&crate::crypto::random_bytes::<8>());
        let temporary = dir.join(format!(".{sha}.{nonce}"));
        let mut file = crate::crypto::create_private(&temporary).map_err(io(&temporary))?;
        let written =
            file.write_all(bytes).and_then(|()| file.sync_all()).and_then(|()| std::fs::rename(&temporary, &path));
        if let Err(source) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(StoreError::io(&path, source));
        }
        Ok(sha)
    }

    /// The content stored under `sha256`, checked against its name.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        let path = self.path(sha256).ok_or(StoreError::NotFound { what: "file" })?;
        let bytes = std::fs::read(&path).map_err(|_| StoreError::NotFound { what: "file" })?;
        if sha256_hex(&bytes) != sha256 {
            return Err(StoreError::Setup(format!("{} does not match its digest: altered on disk", path.display())));
        }
        Ok(bytes)
    }
}

impl Blobs {
    /// Deletes the content stored under `sha256` (a recording past its retention period); one
    /// already gone is no error.
    pub fn remove(&self, sha256: &str) -> Result<()> {
        let path = self.path(sha256).ok_or(StoreError::NotFound { what: "file" })?;
        match std::fs::remove_file(&path) {
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => Err(StoreError::io(&path, source)),
            _ => Ok(()),
        }
    }

    /// The length of the content stored under `sha256`.
    pub fn size(&self, sha256: &str) -> Result<u64> {
        let path = self.path(sha256).ok_or(StoreError::NotFound { what: "file" })?;
        Ok(std::fs::metadata(&path).map_err(|_| StoreError::NotFound { what: "file" })?.len())
    }

    /// Bytes `first..=last` of the content stored under `sha256` (as many as there are), and
    /// the content's length: a seek within a playback whose start was read — and checked — by
    /// [`Blobs::get`]. Not checked against the name: that would read the whole file each time.
    pub fn get_range(&self, sha256: &str, first: u64, last: u64) -> Result<(u64, Vec<u8>)> {
        use std::io::{Read, Seek, SeekFrom};
        let path = self.path(sha256).ok_or(StoreError::NotFound { what: "file" })?;
        let mut file = std::fs::File::open(&path).map_err(|_| StoreError::NotFound { what: "file" })?;
        let len = file.metadata().map_err(io(&path))?.len();
        if first >= len {
            return Ok((len, Vec::new()));
        }
        let count = last.min(len - 1) - first + 1;
        let mut part = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        file.seek(SeekFrom::Start(first)).map_err(io(&path))?;
        file.take(count).read_to_end(&mut part).map_err(io(&path))?;
        Ok((len, part))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_stored_once_under_its_digest_and_checked_when_read() {
        let dir = std::env::temp_dir().join(format!("fq-blobs-{}", std::process::id()));
        let blobs = Blobs::new(&dir);
        let sha = blobs.put(b"agreement").unwrap();
        assert_eq!(sha, sha256_hex(b"agreement"));
        assert_eq!(blobs.put(b"agreement").unwrap(), sha);
        assert_eq!(blobs.get(&sha).unwrap(), b"agreement");
        std::fs::write(blobs.path(&sha).unwrap(), b"tampered").unwrap();
        assert!(blobs.get(&sha).is_err());
        assert!(matches!(blobs.get("../../etc/passwd"), Err(StoreError::NotFound { .. })));
        let sha = blobs.put(b"0123456789").unwrap();
        assert_eq!(blobs.get_range(&sha, 2, 4).unwrap(), (10, b"234".to_vec()));
        assert_eq!(blobs.get_range(&sha, 8, u64::MAX).unwrap(), (10, b"89".to_vec()));
        assert_eq!(blobs.get_range(&sha, 10, 20).unwrap(), (10, Vec::new()));
        assert_eq!(blobs.size(&sha).unwrap(), 10);
        blobs.remove(&sha).unwrap();
        assert!(blobs.get(&sha).is_err());
        let staged = Blobs::staging(&dir);
        let sha = staged.put(b"workbook").unwrap();
        staged.remove_older_than(std::time::Duration::from_secs(3600));
        assert_eq!(staged.get(&sha).unwrap(), b"workbook");
        staged.remove_older_than(std::time::Duration::ZERO);
        assert!(staged.get(&sha).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Two parties' signature pads send the same image at the same moment: every write succeeds.
    #[test]
    fn the_same_content_written_at_once_by_many_writers_is_stored_once() {
        let dir = std::env::temp_dir().join(format!("fq-blobs-race-{}", std::process::id()));
        let blobs = std::sync::Arc::new(Blobs::new(&dir));
        let writers: Vec<_> = (0..16)
            .map(|_| {
                let blobs = blobs.clone();
                std::thread::spawn(move || blobs.put(&[42u8; 100_000]).map_err(|e| e.to_string()))
            })
            .collect();
        for writer in writers {
            assert_eq!(writer.join().unwrap(), Ok(sha256_hex(&[42u8; 100_000])));
        }
        let files = std::fs::read_dir(blobs.root.join(&sha256_hex(&[42u8; 100_000])[..2])).unwrap().count();
        assert_eq!(files, 1, "one file, no temporary left behind");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
