//! `fengqiao audit verify`: recomputes every case's hash chain and names each case whose
//! history was altered, reordered or cut, or whose case row or party rows differ from what
//! its history recorded of them.

use domain::history::{ChainBreak, EventFields, StoredEvent, verify_chain};

use crate::cases::write::{case_canonical_sql, case_digest, parties_digest, party_canonical_sql};
use crate::sql::args;
use crate::{Result, Store};

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

/// The outcome of a full verification.
#[derive(Debug, Default)]
pub struct AuditReport {
    pub cases: u64,
    pub events: u64,
    /// Cases written before events recorded the rows (no event holds `recorded`): their chains
    /// are verified, their rows cannot be.
    pub legacy: u64,
    pub broken: Vec<BrokenCase>,
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

    pub async fn audit_verify(&self) -> Result<AuditReport> {
        let mut report = AuditReport::default();
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
