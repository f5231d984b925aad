//! `fengqiao audit verify`: recomputes every case's hash chain and names each case whose
//! history was altered, reordered or cut, or whose case row or party rows differ from what
//! its history recorded of them; and recomputes the latest daily checkpoint, which finds a
//! history cut before it even when the case row was fixed to match.
//!
//! The checkpoint (`audit_checkpoints`, one row per China day) hashes every case's head as of
//! the day's end — the last event whose `at` is before the cut-off — rather than recording
//! each case's seq in a side table: at 1M cases that table would grow by 1M rows a day, while
//! the cut-off costs nothing to keep and `audit verify` already reads every event. The price:
//! it trusts `at` (which the chain covers) to be the time of writing, so it is taken only
//! [`CHECKPOINT_MARGIN_MINUTES`] after the day ended (for transactions in flight and clocks a
//! little apart), and histories written back-dated (the fixtures) must be written before the
//! first checkpoint — which they are, on a fresh database.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use domain::history::{ChainBreak, CheckpointRoot, EventFields, GENESIS, StoredEvent, head_as_of, verify_chain};

use crate::cases::write::{case_canonical_sql, case_digest, parties_digest, party_canonical_sql};
use crate::sql::args;
use crate::{Result, Store, to_ms};

/// How long after a China day ends its checkpoint is taken.
pub const CHECKPOINT_MARGIN_MINUTES: i64 = 10;

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
}

/// A checkpoint that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointBreak {
    #[error("checkpoint {day} does not match: a history was cut or rewritten before it")]
    RootMismatch { day: String },
    #[error("checkpoint {day} does not follow the one before it: a checkpoint was removed or rewritten")]
    Unlinked { day: String },
}

/// The outcome of a full verification.
#[derive(Debug, Default)]
pub struct AuditReport {
    pub cases: u64,
    pub events: u64,
    /// Cases written before events recorded the rows (no event holds `recorded`): their chains
    /// are verified, their rows cannot be.
    pub legacy: u64,
    pub broken: Vec<BrokenCase>,
    /// The checkpoints whose links were checked; the latest is recomputed.
    pub checkpoints: u64,
    pub broken_checkpoints: Vec<CheckpointBreak>,
}

type EventRow = (i64, i64, i64, String, String, String, String);

impl Store {
    /// Every stored file the database refers to — evidence, signatures, the fixed agreement
    /// copies — as (SHA-256, what it is), for `audit verify` to check that each exists and
    /// still hashes right.
    pub async fn referenced_files(&self) -> Result<Vec<(String, String)>> {
        let mut files: Vec<(String, String)> = self
            .fetch_all::<(String, String, String)>(
                "SELECT e.sha256, c.number, e.name FROM evidence e JOIN cases c ON c.id = e.case_id ORDER BY e.id",
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
    /// [`CHECKPOINT_MARGIN_MINUTES`] before `now`, unless it or a later one exists (the roots
    /// chain in day order): the scheduler's daily pass,
    /// safe to run every minute and on several nodes (they compute the same root; the first
    /// insert wins). Returns the checkpoint taken, if any. Reads every event before the cut-off
    /// once a day.
    pub async fn audit_checkpoint(&self, now: DateTime<Utc>) -> Result<Option<Checkpoint>> {
        let china = domain::china_time();
        let settled = (now - Duration::minutes(CHECKPOINT_MARGIN_MINUTES)).with_timezone(&china).date_naive();
        let Some(day) = settled.pred_opt() else {
            return Ok(None);
        };
        let day_text = day.format("%Y-%m-%d").to_string();
        let exists: Option<(String,)> = self
            .fetch_optional("SELECT day FROM audit_checkpoints WHERE day >= $1 LIMIT 1", args![day_text.clone()])
            .await?;
        if exists.is_some() {
            return Ok(None);
        }
        let cutoff = china
            .from_local_datetime(&settled.and_time(NaiveTime::MIN))
            .single()
            .map_or(0, |at| to_ms(at.with_timezone(&Utc)));
        let previous: Option<(String,)> = self
            .fetch_optional(
                "SELECT root FROM audit_checkpoints WHERE day < $1 ORDER BY day DESC LIMIT 1",
                args![day_text.clone()],
            )
            .await?;
        let previous_root = previous.map_or_else(|| GENESIS.to_owned(), |(root,)| root);
        let mut root = CheckpointRoot::new(&previous_root);
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
                    root.add(chain[0].0, seq, hash);
                }
            }
            after = last;
        }
        let checkpoint = Checkpoint { day: day_text, cutoff, cases: root.cases, root: root.finish(), previous_root };
        let inserted = self
            .execute(
                "INSERT INTO audit_checkpoints (day, cutoff, created_at, cases, root, previous_root) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (day) DO NOTHING",
                args![
                    checkpoint.day.clone(),
                    cutoff,
                    to_ms(now),
                    checkpoint.cases as i64,
                    checkpoint.root.clone(),
                    checkpoint.previous_root.clone()
                ],
            )
            .await?;
        Ok((inserted > 0).then_some(checkpoint))
    }

    pub async fn audit_verify(&self) -> Result<AuditReport> {
        let mut report = AuditReport::default();
        let checkpoints: Vec<(String, i64, String, String)> = self
            .fetch_all("SELECT day, cutoff, root, previous_root FROM audit_checkpoints ORDER BY day", args![])
            .await?;
        let mut previous_root = GENESIS;
        for (day, _, root, previous) in &checkpoints {
            if previous != previous_root {
                report.broken_checkpoints.push(CheckpointBreak::Unlinked { day: day.clone() });
            }
            previous_root = root;
        }
        report.checkpoints = checkpoints.len() as u64;
        // The latest checkpoint is recomputed in the same pass: a cut before an earlier one
        // changes the head as of every later one too (or breaks the chain).
        let mut latest = checkpoints
            .last()
            .map(|(day, cutoff, root, previous)| (day.clone(), *cutoff, root.clone(), CheckpointRoot::new(previous)));
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
            report.events += events.len() as u64;
            let (mut rest, mut rest_parties) = (events.as_slice(), parties.as_slice());
            for (case_id, number, head_seq, head_hash, case_canonical) in cases {
                let split = rest.iter().position(|e| e.0 != case_id).unwrap_or(rest.len());
                let (mine, others) = rest.split_at(split);
                rest = others;
                let split = rest_parties.iter().position(|p| p.0 != case_id).unwrap_or(rest_parties.len());
                let (my_parties, others) = rest_parties.split_at(split);
                rest_parties = others;
                report.cases += 1;
                if let Some((_, cutoff, _, root)) = latest.as_mut()
                    && let Some((seq, hash)) = head_as_of(mine.iter().map(|e| (e.1, e.2, e.6.as_str())), *cutoff)
                {
                    root.add(case_id, seq, hash);
                }
                let stored = mine.iter().map(|(case_id, seq, at, actor, action, data, hash)| StoredEvent {
                    fields: EventFields { case_id: *case_id, seq: *seq, at_ms: *at, actor, action, data },
                    hash,
                });
                let problem = match verify_chain(stored, head_seq, &head_hash) {
                    Err(chain) => Some(Problem::Chain(chain)),
                    Ok(()) => match last_recorded(mine) {
                        None => {
                            report.legacy += 1;
                            None
                        }
                        Some((seq, recorded)) => {
                            if recorded["case"].as_str() != Some(&case_digest(&case_canonical)) {
                                Some(Problem::CaseRowAltered { seq })
                            } else if recorded["parties"].as_str()
                                != Some(&parties_digest(my_parties.iter().map(|(_, row)| row.as_str())))
                            {
                                Some(Problem::PartiesAltered { seq })
                            } else {
                                None
                            }
                        }
                    },
                };
                if let Some(problem) = problem {
                    report.broken.push(BrokenCase { case_id, number, problem });
                }
            }
            after = last;
        }
        if let Some((day, _, stored, root)) = latest
            && root.finish() != stored
        {
            report.broken_checkpoints.push(CheckpointBreak::RootMismatch { day });
        }
        Ok(report)
    }
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
