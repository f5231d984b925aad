//! `fengqiao backup --out FILE` and `fengqiao restore --from FILE`: one archive (tar) holding a
//! consistent copy of the database and every stored file (evidence, signatures, the fixed
//! agreement copies), so that a restore serves everything the history refers to. The master
//! key is never in the archive: it is kept apart (key custody), and a restore needs it.
//!
//! Archive layout: `manifest.json` (`{format, backend, files}`), the database as
//! `database.sqlite` (SQLite's `VACUUM INTO`, a snapshot taken while writers go on) or
//! `database.pgdump` (`pg_dump --format=custom`), and `blobs/xx/<sha256>`.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use store::Store;

use crate::progress::Progress;

const FORMAT: u32 = 1;
const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";

/// A directory for the parts of an archive, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(beside: &Path, name: &str) -> anyhow::Result<Scratch> {
    let dir = beside.join(format!(".{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    store::crypto::create_private_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(Scratch(dir))
}

/// Writes the archive to `out` (which must not exist); returns how many files it holds.
pub async fn backup(store: &Store, db_url: &str, data_dir: &Path, out: &Path) -> anyhow::Result<usize> {
    ensure!(!out.exists(), "{} exists already; choose a new file", out.display());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let parts = scratch(parent, "fengqiao-backup")?;
    let database = if store.backend() == "sqlite" {
        let path = parts.0.join(SQLITE_FILE);
        store.backup_sqlite(&path).await?;
        path
    } else {
        let path = parts.0.join(PG_FILE);
        let status = tokio::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(&path)
            .arg(db_url)
            .status()
            .await
            .context("running pg_dump (install the PostgreSQL client tools)")?;
        ensure!(status.success(), "pg_dump failed ({status})");
        path
    };
    // The files after the database: every file its snapshot names was written before the row
    // that names it, so it is here; files written since are taken too, harmlessly.
    let blobs = stored_files(&data_dir.join("blobs"))?;
    let manifest = serde_json::json!({ "format": FORMAT, "backend": store.backend(), "files": blobs.len() });
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    store::crypto::make_private(out)?;
    let mut archive = tar::Builder::new(file);
    let manifest = serde_json::to_vec_pretty(&manifest)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    archive.append_data(&mut header, "manifest.json", manifest.as_slice())?;
    let name = database.file_name().and_then(|n| n.to_str()).unwrap_or(SQLITE_FILE);
    archive.append_path_with_name(&database, name)?;
    let progress = Progress::new("backing up files", blobs.len() as u64);
    for (path, name) in &blobs {
        archive.append_path_with_name(path, name)?;
        progress.advance(1);
    }
    archive.into_inner()?.sync_all()?;
    progress.finish();
    Ok(blobs.len())
}

/// The stored files (`blobs/xx/<sha256>`) as (path, name in the archive). Files being written
/// (a dot-name, renamed when complete) are left out: taking one could fail as it is renamed.
fn stored_files(blobs: &Path) -> anyhow::Result<Vec<(std::path::PathBuf, String)>> {
    let mut files = Vec::new();
    if !blobs.is_dir() {
        return Ok(files);
    }
    for shard in std::fs::read_dir(blobs)? {
        let shard = shard?.path();
        if !shard.is_dir() || is_temporary(&shard) {
            continue;
        }
        for entry in std::fs::read_dir(&shard)? {
            let path = entry?.path();
            let (Some(shard_name), Some(name)) =
                (shard.file_name().and_then(|n| n.to_str()), path.file_name().and_then(|n| n.to_str()))
            else {
                continue;
            };
            if !is_temporary(&path) {
                files.push((path.clone(), format!("blobs/{shard_name}/{name}")));
            }
        }
    }
    Ok(files)
}

/// Restores an archive into an empty data directory and an empty database; returns how many
/// files it restored, each checked against its SHA-256.
pub async fn restore(db_url: &str, data_dir: &Path, from: &Path) -> anyhow::Result<usize> {
    let blobs = data_dir.join("blobs");
    ensure!(count_files(&blobs)? == 0, "{} holds files already: restore into an empty data directory", blobs.display());
    // Everything that would refuse the restore is checked before anything is written.
    let sqlite_file = Store::sqlite_file(db_url)?;
    if let Some(target) = &sqlite_file {
        ensure!(!target.exists(), "{} exists already: restore into a new database file", target.display());
    }
    store::crypto::create_private_dir(data_dir)?;
    let parts = scratch(data_dir, "fengqiao-restore")?;
    let file = File::open(from).with_context(|| format!("opening {}", from.display()))?;
    tar::Archive::new(file).unpack(&parts.0).with_context(|| format!("{} is not a backup archive", from.display()))?;
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(parts.0.join("manifest.json")).context("the archive has no manifest.json")?,
    )?;
    ensure!(manifest["format"] == FORMAT, "unknown backup format {}", manifest["format"]);
    let backend = manifest["backend"].as_str().unwrap_or_default();
    ensure!(
        (backend == "sqlite") == sqlite_file.is_some(),
        "the archive holds a {backend} database; give --db of the same kind"
    );
    // The files first, each checked: a restore that cannot serve what the history names fails.
    let restored = parts.0.join("blobs");
    let mut files = 0;
    let progress = Progress::new("restoring files", manifest["files"].as_u64().unwrap_or(0));
    if restored.is_dir() {
        for shard in std::fs::read_dir(&restored)? {
            for entry in std::fs::read_dir(shard?.path())? {
                let path = entry?.path();
                if is_temporary(&path) {
                    std::fs::remove_file(&path)?;
                    continue;
                }
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
                let bytes = std::fs::read(&path)?;
                ensure!(store::blobs::sha256_hex(&bytes) == name, "{} does not match its digest", path.display());
                files += 1;
                progress.advance(1);
            }
        }
        let _ = std::fs::remove_dir(&blobs);
        std::fs::rename(&restored, &blobs).with_context(|| format!("moving the files into {}", blobs.display()))?;
    }
    progress.finish();
    ensure!(manifest["files"] == files, "the archive lists {} files, holds {files}", manifest["files"]);
    if let Some(target) = sqlite_file {
        if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            store::crypto::create_private_dir(dir)?;
        }
        std::fs::copy(parts.0.join(SQLITE_FILE), &target).with_context(|| format!("writing {}", target.display()))?;
        store::crypto::make_private(&target)?;
    } else {
        let status = tokio::process::Command::new("pg_restore")
            .args(["--no-owner", "--exit-on-error", "--dbname"])
            .arg(db_url)
            .arg(parts.0.join(PG_FILE))
            .status()
            .await
            .context("running pg_restore (install the PostgreSQL client tools)")?;
        if !status.success() {
            bail!("pg_restore failed ({status}): restore into an empty database");
        }
    }
    Ok(files)
}

fn count_files(dir: &Path) -> anyhow::Result<usize> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let mut count = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if is_temporary(&path) {
            continue;
        }
        count += if path.is_dir() { count_files(&path)? } else { 1 };
    }
    Ok(count)
}

/// A file being written when the archive was taken (blobs are written under a dot-name, then renamed).
fn is_temporary(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}
