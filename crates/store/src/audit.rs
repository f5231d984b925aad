//! `fengqiao audit verify`: recomputes every case's hash chain and names each case whose
//! history was altered, reordered or cut, whose case row or party rows differ from what its
//! history recorded of them, or one of whose other rows (`cases::owned`: hops, agreements,
//! evidence …) was altered, added or removed outside it; and recomputes the latest daily
//! checkpoint, which finds a history cut before it even when the case row was fixed to match.
//!
//! Checkpoint roots are keyed (HMAC under a key derived from the master key, version 2), so
//! that whoever can write to the database but lacks the key cannot recompute one after cutting
//! a chain, and each is published outside the database: a log line, and a line in
//! `audit-roots.log` in the data directory ([`RootLog`]), which `audit verify` compares with
//! the table. The checkpoints taken before roots were keyed (version 1) are verified as they
//! were taken; one taken after the upgrade, or after a keyed one, is named.
//!
//! The checkpoint (`audit_checkpoints`, one row per China day) hashes every case's head as of
//! the day's end — the last event whose `at` is before the cut-off — rather than recording
//! each case's seq in a side table: at 1M cases that table would grow by 1M rows a day, while
//! the cut-off costs nothing to keep and `audit verify` already reads every event. The price:
//! it trusts `at` (which the chain covers) to be the time of writing, so it is taken only
//! [`CHECKPOINT_MARGIN_MINUTES`] after the day ended (for transactions in flight and clocks a
//! little apart), and histories written back-dated (the fixtures) must be written before the
//! first checkpoint — which they are, on a fresh database.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveTime, Utc};
use domain::history::{ChainBreak, CheckpointRoot, EventFields, GENESIS, StoredEvent, head_as_of, verify_chain};

use crate::cases::owned::{Expected, OwnedRow, RowFinding, owned_rows_sql};
use crate::cases::write::{canonical_digest, case_canonical_sql, parties_digest, party_canonical_sql};
use crate::risk_record::ListsReport;
use crate::sql::args;
use crate::{Result, Store, StoreError, to_ms};

/// How long after a China day ends its checkpoint is taken.
pub const CHECKPOINT_MARGIN_MINUTES: i64 = 10;

/// A checkpoint root that is the plain SHA-256 of the heads: taken before roots were keyed.
pub const UNKEYED: i64 = 1;
/// A checkpoint root keyed from the master key ([`crate::Crypto::checkpoint_root`]).
pub const KEYED: i64 = 2;

/// The migration from which checkpoints are keyed.
const KEYED_SINCE_MIGRATION: i64 = 12;

/// The file in the data directory that checkpoint roots are published to.
pub const ROOT_LOG_FILE: &str = "audit-roots.log";

/// Cases are checked this many at a time, so memory stays flat on millions of cases.
const BATCH: i64 = 500;

/// A case whose history does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenCase {
    pub case_id: i64,
    pub number: String,
    pub problem: Problem,
}

/// What is wrong with a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("{0}")]
    Chain(ChainBreak),
    #[error("the case row differs from what event {seq} recorded: it was altered")]
    CaseRowAltered { seq: i64 },
    #[error("the parties differ from what event {seq} recorded: they were altered")]
    PartiesAltered { seq: i64 },
    #[error("{row} differs from what event {seq} recorded: it was altered")]
    RowAltered { row: String, seq: i64 },
    #[error("{row} is in no event of the history: it was added")]
    RowAdded { row: String },
    #[error("{row}, recorded by event {seq}, is gone: it was removed")]
    RowRemoved { row: String, seq: i64 },
    #[error("{row} changed before event {seq} ({action}), which does not write it: it was altered outside the history")]
    RowUnexplained { row: String, seq: i64, action: String },
}

impl From<RowFinding> for Problem {
    fn from(finding: RowFinding) -> Self {
        match finding {
            RowFinding::Altered { row, seq } => Problem::RowAltered { row, seq },
            RowFinding::Added { row } => Problem::RowAdded { row },
            RowFinding::Removed { row, seq } => Problem::RowRemoved { row, seq },
            RowFinding::Unexplained { row, seq, action } => Problem::RowUnexplained { row, seq, action },
        }
    }
}

/// One day's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The China day, `YYYY-MM-DD`.
    pub day: String,
    /// The day's end, in milliseconds.
    pub cutoff: i64,
    pub cases: u64,
    pub root: String,
    pub previous_root: String,
    /// [`UNKEYED`] or [`KEYED`].
    pub version: i64,
}

/// A checkpoint that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointBreak {
    #[error("checkpoint {day} does not match: a history was cut or rewritten before it")]
    RootMismatch { day: String },
    #[error("checkpoint {day} does not follow the one before it: a checkpoint was removed or rewritten")]
    Unlinked { day: String },
    #[error("checkpoint {day} is unkeyed although taken after roots were keyed: it was recomputed without the key")]
    Unkeyed { day: String },
    #[error("checkpoint {day} is published in {ROOT_LOG_FILE} but not in the table: it was deleted")]
    Deleted { day: String },
    #[error("checkpoint {day} differs from the root published in {ROOT_LOG_FILE}: it was rewritten")]
    DiffersFromPublished { day: String },
    #[error("checkpoint {day} is not in {ROOT_LOG_FILE}: its line was deleted, or this node was not running that day")]
    Unpublished { day: String },
    #[error("line {line} of {ROOT_LOG_FILE} is not a checkpoint: it was altered")]
    Unreadable { line: usize },
}

/// The outcome of a full verification.
#[derive(Debug, Default)]
pub struct AuditReport {
    pub cases: u64,
    pub events: u64,
    /// Cases written before events recorded the rows (no event holds `recorded`): their chains
    /// are verified, their rows cannot be.
    pub legacy: u64,
    /// Cases no event of which has recorded the rows they own (written before events did, and
    /// not changed since): their hops, agreements, evidence … cannot be verified.
    pub legacy_owned: u64,
    pub broken: Vec<BrokenCase>,
    /// The checkpoints whose links were checked; the latest is recomputed.
    pub checkpoints: u64,
    pub broken_checkpoints: Vec<CheckpointBreak>,
    /// The lines of [`ROOT_LOG_FILE`] compared with the table; `None` without the file.
    pub published: Option<u64>,
    /// The risk lists' own histories (三色三单, [`crate::risk_record`]).
    pub risk_lists: ListsReport,
}

impl AuditReport {
    /// How many cases have at least one problem.
    pub fn broken_cases(&self) -> usize {
        let mut ids: Vec<i64> = self.broken.iter().map(|b| b.case_id).collect();
        ids.dedup();
        ids.len()
    }
}

type EventRow = (i64, i64, i64, String, String, String, String);

/// `audit-roots.log` in the data directory: the root of each day's checkpoint this node took or
/// recomputed, one line a day (`day cutoff cases version root`), published outside the database
/// so that rewriting the table does not rewrite it (ship it off the machine to keep it so).
#[derive(Debug, Clone)]
pub struct RootLog {
    path: PathBuf,
}

/// One line of the [`RootLog`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Published {
    day: String,
    cutoff: i64,
    cases: u64,
    version: i64,
    root: String,
}

impl RootLog {
    pub fn in_dir(data_dir: &Path) -> Self {
        RootLog { path: data_dir.join(ROOT_LOG_FILE) }
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io { path: self.path.display().to_string(), source }
    }

    /// The published lines, each parsed or the number of a line that is not one; `None` when
    /// the file does not exist.
    fn read(&self) -> Result<Option<Vec<std::result::Result<Published, usize>>>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        let parse = |line: &str| -> Option<Published> {
            let mut fields = line.split(' ');
            let published = Published {
                day: fields.next()?.to_owned(),
                cutoff: fields.next()?.parse().ok()?,
                cases: fields.next()?.parse().ok()?,
                version: fields.next()?.strip_prefix('v')?.parse().ok()?,
                root: fields.next()?.to_owned(),
            };
            fields.next().is_none().then_some(published)
        };
        Ok(Some(text.lines().enumerate().map(|(i, line)| parse(line).ok_or(i + 1)).collect()))
    }

    /// Whether a line for `day` is published.
    fn has(&self, day: &str) -> Result<bool> {
        Ok(self.read()?.unwrap_or_default().iter().any(|line| line.as_ref().is_ok_and(|p| p.day == day)))
    }

    /// Appends a checkpoint's line (creating the file, 0600) and writes it to the log.
    fn publish(&self, checkpoint: &Checkpoint) -> Result<()> {
        let Checkpoint { day, cutoff, cases, root, version, .. } = checkpoint;
        tracing::info!(%day, cutoff, cases, version, %root, "audit checkpoint root");
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.path).map_err(|e| self.io(e))?;
        // One write per line: appends from several processes do not interleave.
        file.write_all(format!("{day} {cutoff} {cases} v{version} {root}\n").as_bytes()).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))
    }
}

impl Store {
    /// Every stored file the database refers to — evidence, signatures, the fixed agreement
    /// copies — as (SHA-256, what it is), for `audit verify` to check that each exists and
    /// still hashes right. A recording's file purged at the end of its retention period is
    /// no longer referred to (its hash stays in the row and the history).
    pub async fn referenced_files(&self) -> Result<Vec<(String, String)>> {
        let mut files: Vec<(String, String)> = self
            .fetch_all::<(String, String, String)>(
                &format!(
                    "SELECT e.sha256, c.number, e.name FROM evidence e JOIN cases c ON c.id = e.case_id
                     WHERE NOT ({}) ORDER BY e.id",
                    crate::video::PURGED_RECORDING_EVIDENCE
                ),
                args![],
            )
            .await?
            .into_iter()
            .map(|(sha, number, name)| (sha, format!("evidence {name:?} of case {number}")))
            .collect();
        let signatures: Vec<(i64, String)> = self
            .fetch_all(
                "SELECT agreement_id, signature FROM agreement_signers WHERE signature IS NOT NULL
                 UNION ALL SELECT id, mediator_signature FROM agreements WHERE mediator_signature IS NOT NULL",
                args![],
            )
            .await?;
        files.extend(signatures.into_iter().map(|(id, sha)| (sha, format!("a signature on agreement {id}"))));
        let documents: Vec<(i64, String)> =
            self.fetch_all("SELECT id, documents FROM agreements WHERE documents IS NOT NULL", args![]).await?;
        for (id, text) in documents {
            let copies: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
            files.extend(copies.into_iter().filter_map(|(copy, sha)| {
                sha.as_str().map(|sha| (sha.to_owned(), format!("copy {copy} of agreement {id}")))
            }));
        }
        Ok(files)
    }

    /// Takes the checkpoint of the last China day that ended at least
    /// [`CHECKPOINT_MARGIN_MINUTES`] before `now`, unless a later one exists (the roots chain in
    /// day order) or it exists and `published` has it: the scheduler's daily pass, safe to run
    /// every minute and on several nodes (they compute the same root; the first insert wins, and
    /// each node publishes the root it computed, so its `published` witnesses the table).
    /// Returns the checkpoint computed, if any. Reads every event before the cut-off once a day.
    pub async fn audit_checkpoint(&self, now: DateTime<Utc>, published: &RootLog) -> Result<Option<Checkpoint>> {
        let china = domain::china_time();
        let settled = (now - Duration::minutes(CHECKPOINT_MARGIN_MINUTES)).with_timezone(&china).date_naive();
        let Some(day) = settled.pred_opt() else {
            return Ok(None);
        };
        let day_text = day.format("%Y-%m-%d").to_string();
        let taken: Option<(String, i64)> = self
            .fetch_optional(
                "SELECT day, version FROM audit_checkpoints WHERE day >= $1 ORDER BY day DESC LIMIT 1",
                args![day_text.clone()],
            )
            .await?;
        match taken {
            Some((later, _)) if later != day_text => return Ok(None),
            // Taken before roots were keyed, on the day of the upgrade: there is no keyed root to publish.
            Some((_, UNKEYED)) => return Ok(None),
            Some(_) if published.has(&day_text)? => return Ok(None),
            _ => {}
        }
        let cutoff = to_ms(domain::china_instant(settled, NaiveTime::MIN));
        let previous: Option<(String,)> = self
            .fetch_optional(
                "SELECT root FROM audit_checkpoints WHERE day < $1 ORDER BY day DESC LIMIT 1",
                args![day_text.clone()],
            )
            .await?;
        let previous_root = previous.map_or_else(|| GENESIS.to_owned(), |(root,)| root);
        let mut heads = CheckpointRoot::new(&previous_root);
        let mut after = 0_i64;
        loop {
            let ids: Vec<(i64,)> =
                self.fetch_all("SELECT id FROM cases WHERE id > $1 ORDER BY id LIMIT $2", args![after, BATCH]).await?;
            let Some(&(last,)) = ids.last() else {
                break;
            };
            let events: Vec<(i64, i64, i64, String)> = self
                .fetch_all(
                    "SELECT case_id, seq, at, hash FROM case_events WHERE case_id > $1 AND case_id <= $2 AND at < $3 ORDER BY case_id, seq",
                    args![after, last, cutoff],
                )
                .await?;
            for chain in events.chunk_by(|a, b| a.0 == b.0) {
                let head = head_as_of(chain.iter().map(|e| (e.1, e.2, e.3.as_str())), cutoff);
                if let Some((seq, hash)) = head {
                    heads.add(chain[0].0, seq, hash);
                }
            }
            after = last;
        }
        let cases = heads.cases;
        let root = self.crypto.checkpoint_root(&day_text, cutoff, cases, &heads.finish());
        let checkpoint = Checkpoint { day: day_text, cutoff, cases, root, previous_root, version: KEYED };
        let inserted = self
            .execute(
                "INSERT INTO audit_checkpoints (day, cutoff, created_at, cases, root, previous_root, version) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (day) DO NOTHING",
                args![
                    checkpoint.day.clone(),
                    cutoff,
                    to_ms(now),
                    cases as i64,
                    checkpoint.root.clone(),
                    checkpoint.previous_root.clone(),
                    KEYED
                ],
            )
            .await?;
        if inserted == 0 {
            let (stored,): (String,) = self
                .fetch_one("SELECT root FROM audit_checkpoints WHERE day = $1", args![checkpoint.day.clone()])
                .await?;
            if stored != checkpoint.root {
                tracing::error!(day = %checkpoint.day, "the checkpoint in the table differs from the root this node computed");
            }
        }
        published.publish(&checkpoint)?;
        Ok(Some(checkpoint))
    }

    /// Checks every case's history, telling `progress` how many cases each batch checked.
    pub async fn audit_verify(&self, published: &RootLog, progress: &(dyn Fn(u64) + Sync)) -> Result<AuditReport> {
        let mut report = AuditReport::default();
        let checkpoints: Vec<(String, i64, i64, String, String, i64)> = self
            .fetch_all(
                "SELECT day, cutoff, cases, root, previous_root, version FROM audit_checkpoints ORDER BY day",
                args![],
            )
            .await?;
        let keyed_since: Option<(i64,)> = self
            .fetch_optional(
                "SELECT applied_at FROM fengqiao_migrations WHERE version = $1",
                args![KEYED_SINCE_MIGRATION],
            )
            .await?;
        let keyed_since = keyed_since.map_or(i64::MIN, |(at,)| at);
        let mut previous_root = GENESIS;
        let mut keyed_before = false;
        for (day, cutoff, _, root, previous, version) in &checkpoints {
            if previous != previous_root {
                report.broken_checkpoints.push(CheckpointBreak::Unlinked { day: day.clone() });
            }
            if *version != KEYED && (keyed_before || *cutoff > keyed_since) {
                report.broken_checkpoints.push(CheckpointBreak::Unkeyed { day: day.clone() });
            }
            keyed_before |= *version == KEYED;
            previous_root = root;
        }
        report.checkpoints = checkpoints.len() as u64;
        if let Some(lines) = published.read()? {
            report.published = Some(lines.len() as u64);
            report.broken_checkpoints.extend(compare_published(&checkpoints, &lines));
        }
        // The latest checkpoint is recomputed in the same pass: a cut before an earlier one
        // changes the head as of every later one too (or breaks the chain).
        let mut latest = checkpoints.last().map(|(day, cutoff, _, root, previous, version)| {
            (day.clone(), *cutoff, root.clone(), *version, CheckpointRoot::new(previous))
        });
        let mut after = 0_i64;
        loop {
            let cases: Vec<(i64, String, i64, String, String)> = self
                .fetch_all(
                    &format!(
                        "SELECT id, number, event_seq, event_hash, {} FROM cases WHERE id > $1 ORDER BY id LIMIT $2",
                        case_canonical_sql()
                    ),
                    args![after, BATCH],
                )
                .await?;
            let Some(last) = cases.last().map(|c| c.0) else {
                break;
            };
            let events: Vec<EventRow> = self
                .fetch_all(
                    "SELECT case_id, seq, at, actor, action, data, hash FROM case_events WHERE case_id > $1 AND case_id <= $2 ORDER BY case_id, seq",
                    args![after, last],
                )
                .await?;
            let parties: Vec<(i64, String)> = self
                .fetch_all(
                    &format!(
                        "SELECT case_id, {} FROM parties WHERE case_id > $1 AND case_id <= $2 ORDER BY case_id, position",
                        party_canonical_sql()
                    ),
                    args![after, last],
                )
                .await?;
            let owned: Vec<OwnedRow> =
                self.fetch_all(&owned_rows_sql("{case} > $1 AND {case} <= $2"), args![after, last]).await?;
            report.events += events.len() as u64;
            let (mut rest, mut rest_parties, mut rest_owned) =
                (events.as_slice(), parties.as_slice(), owned.as_slice());
            let checked = cases.len() as u64;
            for (case_id, number, head_seq, head_hash, case_canonical) in cases {
                let mine = take_case(&mut rest, case_id, |e| e.0);
                let my_parties = take_case(&mut rest_parties, case_id, |p| p.0);
                let my_owned = take_case(&mut rest_owned, case_id, |r| r.0);
                report.cases += 1;
                if let Some((_, cutoff, _, _, root)) = latest.as_mut()
                    && let Some((seq, hash)) = head_as_of(mine.iter().map(|e| (e.1, e.2, e.6.as_str())), *cutoff)
                {
                    root.add(case_id, seq, hash);
                }
                let stored = mine.iter().map(|(case_id, seq, at, actor, action, data, hash)| StoredEvent {
                    fields: EventFields { case_id: *case_id, seq: *seq, at_ms: *at, actor, action, data },
                    hash,
                });
                let mut problems = Vec::new();
                match verify_chain(stored, head_seq, &head_hash) {
                    Err(chain) => problems.push(Problem::Chain(chain)),
                    Ok(()) => {
                        match last_recorded(mine) {
                            None => report.legacy += 1,
                            Some((seq, recorded)) => {
                                if recorded["case"].as_str() != Some(&canonical_digest(&case_canonical)) {
                                    problems.push(Problem::CaseRowAltered { seq });
                                } else if recorded["parties"].as_str()
                                    != Some(&parties_digest(my_parties.iter().map(|(_, row)| row.as_str())))
                                {
                                    problems.push(Problem::PartiesAltered { seq });
                                }
                            }
                        }
                        let mut expected = Expected::default();
                        for event in mine {
                            expected.fold(event.1, &event.4, &event.5);
                        }
                        if expected.covered {
                            let actual = my_owned.iter().map(|(_, key, canonical)| (key.as_str(), canonical.as_str()));
                            problems.extend(expected.findings(actual).into_iter().map(Problem::from));
                        } else {
                            report.legacy_owned += 1;
                        }
                    }
                }
                report.broken.extend(problems.into_iter().map(|problem| BrokenCase {
                    case_id,
                    number: number.clone(),
                    problem,
                }));
            }
            after = last;
            progress(checked);
        }
        if let Some((day, cutoff, stored, version, heads)) = latest {
            let cases = heads.cases;
            let digest = heads.finish();
            let root =
                if version == KEYED { self.crypto.checkpoint_root(&day, cutoff, cases, &digest) } else { digest };
            if root != stored {
                report.broken_checkpoints.push(CheckpointBreak::RootMismatch { day });
            }
        }
        report.risk_lists = self.audit_verify_risk_lists().await?;
        Ok(report)
    }
}

/// The rows of one case at the front of `rest` (rows come in case order), taken off it.
fn take_case<'a, T>(rest: &mut &'a [T], case_id: i64, case_of: impl Fn(&T) -> i64) -> &'a [T] {
    let split = rest.iter().position(|row| case_of(row) != case_id).unwrap_or(rest.len());
    let (mine, others) = rest.split_at(split);
    *rest = others;
    mine
}

/// The table's checkpoints, (day, cutoff, cases, root, previous root, version) in day order,
/// against the published lines: each line's checkpoint must be in the table as published, and
/// each keyed checkpoint from the first line's day on must be published.
fn compare_published(
    checkpoints: &[(String, i64, i64, String, String, i64)],
    lines: &[std::result::Result<Published, usize>],
) -> Vec<CheckpointBreak> {
    let mut breaks = Vec::new();
    let published: Vec<&Published> = lines.iter().filter_map(|line| line.as_ref().ok()).collect();
    for line in lines {
        match line {
            Err(line) => breaks.push(CheckpointBreak::Unreadable { line: *line }),
            Ok(line) => match checkpoints.iter().find(|c| c.0 == line.day) {
                None => breaks.push(CheckpointBreak::Deleted { day: line.day.clone() }),
                Some((_, cutoff, _, root, _, version))
                    if (*cutoff, root, *version) != (line.cutoff, &line.root, line.version) =>
                {
                    breaks.push(CheckpointBreak::DiffersFromPublished { day: line.day.clone() })
                }
                Some(_) => {}
            },
        }
    }
    if let Some(first) = published.iter().map(|p| p.day.as_str()).min() {
        breaks.extend(
            checkpoints
                .iter()
                .filter(|(day, _, _, _, _, version)| {
                    *version == KEYED && day.as_str() >= first && !published.iter().any(|p| p.day == *day)
                })
                .map(|(day, ..)| CheckpointBreak::Unpublished { day: day.clone() }),
        );
    }
    breaks
}

/// The last event of a (verified) chain that recorded the case's rows, with what it recorded.
/// Only events whose text names `recorded` are parsed, so verification stays one pass.
fn last_recorded(events: &[EventRow]) -> Option<(i64, serde_json::Value)> {
    events.iter().rev().filter(|e| e.5.contains("\"recorded\"")).find_map(|e| {
        let data: serde_json::Value = serde_json::from_str(&e.5).ok()?;
        let recorded = data.get("recorded")?.clone();
        Some((e.1, recorded))
    })
}
