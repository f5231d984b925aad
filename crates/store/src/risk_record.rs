//! The record of a risk list (三色三单, issue 16) as `audit verify` vouches for it: each list
//! keeps a hash-chained history of its own (`risk_list_events`, the head on the list row), as
//! a case does, and each event carries `rows`, the SHA-256 of each row of the list it added or
//! changed — the list, its items (交办单), their assigned units and each unit's feedback
//! (`risk_item_events`: acknowledge, report, close, send back with its reason) — `null` for a
//! row gone. Folding a list's history gives what each row must hold now; `audit verify`
//! compares that with the tables and names each row altered, added or removed outside the
//! application.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use domain::history::{ChainBreak, EventFields, StoredEvent, event_hash, verify_chain};
use serde_json::{Value, json};

use crate::cases::write::{canonical_digest, canonical_sql};
use crate::sql::{Tx, args};
use crate::{Result, Store, to_ms};

/// Lists are checked this many at a time, so memory stays flat.
const BATCH: i64 = 200;

/// A row of a list as read: (list id, `table/key`, canonical text of its recorded columns).
type ListRow = (i64, String, String);

/// A stored event: list, seq, at, actor, action, data, hash.
type EventRow = (i64, i64, i64, String, String, String, String);

/// Every row of the lists that `condition` selects — `{list}` in it stands for the row's list
/// id —, one query for the four tables, in list and key order.
fn list_rows_sql(condition: &str) -> String {
    let canonical = |columns: &[&str]| canonical_sql(columns.iter().map(|c| format!("t.{c}")));
    let tables = [
        (
            "t.id",
            "'risk_lists/' || CAST(t.id AS TEXT)",
            canonical(&["number", "unit_id", "region_code", "week", "issued_by", "issued_at", "items_count"]),
            "risk_lists t",
        ),
        (
            "t.list_id",
            "'risk_items/' || CAST(t.id AS TEXT)",
            canonical(&[
                "position",
                "colour",
                "reasons",
                "case_ids",
                "alert_id",
                "due_at",
                "close_by",
                "status",
                "acknowledged_at",
                "reported_at",
                "closed_at",
            ]),
            "risk_items t",
        ),
        (
            "i.list_id",
            "'risk_item_units/' || CAST(t.item_id AS TEXT) || '/' || CAST(t.unit_id AS TEXT)",
            canonical(&["unit_id"]),
            "risk_item_units t JOIN risk_items i ON i.id = t.item_id",
        ),
        (
            "i.list_id",
            "'risk_item_events/' || CAST(t.id AS TEXT)",
            canonical(&["item_id", "action", "text", "user_id", "unit_id", "at"]),
            "risk_item_events t JOIN risk_items i ON i.id = t.item_id",
        ),
    ];
    let selects: Vec<String> = tables
        .iter()
        .map(|(list, key, canonical, from)| {
            format!(
                "SELECT {list} AS list_id, {key} AS row_key, {canonical} AS canonical FROM {from} WHERE {}",
                condition.replace("{list}", list)
            )
        })
        .collect();
    format!(
        "SELECT list_id, row_key, canonical FROM ({}) listed ORDER BY list_id, row_key",
        selects.join(" UNION ALL ")
    )
}

/// How a finding names a row: `item 12`, `feedback 7`.
fn row_name(row_key: &str) -> String {
    let (table, key) = row_key.split_once('/').unwrap_or((row_key, ""));
    let noun = match table {
        "risk_lists" => "the list row",
        "risk_items" => "item",
        "risk_item_units" => "assignment (item/unit)",
        "risk_item_events" => "feedback",
        _ => table,
    };
    if table == "risk_lists" { noun.to_owned() } else { format!("{noun} {key}") }
}

/// What a list's history says each row holds now: its digest and the event that recorded it.
#[derive(Debug, Default)]
struct Expected {
    rows: BTreeMap<String, (String, i64)>,
    covered: bool,
}

impl Expected {
    fn fold(&mut self, seq: i64, data: &str) {
        let Some(Value::Object(rows)) =
            serde_json::from_str::<Value>(data).ok().and_then(|mut d| d.get_mut("rows").map(Value::take))
        else {
            return;
        };
        for (key, digest) in rows {
            match digest {
                Value::String(digest) => {
                    self.rows.insert(key, (digest, seq));
                }
                _ => {
                    self.rows.remove(&key);
                }
            }
        }
        self.covered = true;
    }

    /// The rows that differ from the history: each changed or new row's digest, `None` for
    /// each row gone.
    fn changes(&self, actual: &[ListRow]) -> BTreeMap<String, Option<String>> {
        let mut changes = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for (_, key, canonical) in actual {
            let digest = canonical_digest(canonical);
            if self.rows.get(key).is_none_or(|(recorded, _)| *recorded != digest) {
                changes.insert(key.clone(), Some(digest));
            }
            seen.insert(key.as_str());
        }
        for key in self.rows.keys().filter(|k| !seen.contains(k.as_str())) {
            changes.insert(key.clone(), None);
        }
        changes
    }

    fn findings(&self, actual: &[ListRow]) -> Vec<ListProblem> {
        self.changes(actual)
            .into_iter()
            .map(|(key, digest)| match (self.rows.get(&key), digest) {
                (Some((_, seq)), None) => ListProblem::RowRemoved { row: row_name(&key), seq: *seq },
                (Some((_, seq)), Some(_)) => ListProblem::RowAltered { row: row_name(&key), seq: *seq },
                (None, _) => ListProblem::RowAdded { row: row_name(&key) },
            })
            .collect()
    }
}

/// A risk list whose record does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenList {
    pub list_id: i64,
    pub number: String,
    pub problem: ListProblem,
}

/// What is wrong with a list's record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListProblem {
    #[error("{0}")]
    Chain(ChainBreak),
    #[error("{row} differs from what event {seq} recorded: it was altered")]
    RowAltered { row: String, seq: i64 },
    #[error("{row} is in no event of the history: it was added")]
    RowAdded { row: String },
    #[error("{row}, recorded by event {seq}, is gone: it was removed")]
    RowRemoved { row: String, seq: i64 },
}

/// The outcome of checking every list.
#[derive(Debug, Default)]
pub struct ListsReport {
    pub lists: u64,
    pub events: u64,
    /// Lists issued before lists had a history and not acted on since: not checked.
    pub legacy: u64,
    pub broken: Vec<BrokenList>,
}

/// Appends an event to a list's history in `tx`, after its step wrote its rows: it records
/// what changed in the list's rows since the history last recorded them (everything, the
/// first time) and moves the head on the list row.
pub(crate) async fn list_record(
    tx: &mut Tx,
    list_id: i64,
    actor: &str,
    action: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let (head_seq, head_hash): (i64, String) =
        tx.fetch_one("SELECT event_seq, event_hash FROM risk_lists WHERE id = $1", args![list_id]).await?;
    let recorded: Vec<(i64, String)> =
        tx.fetch_all("SELECT seq, data FROM risk_list_events WHERE list_id = $1 ORDER BY seq", args![list_id]).await?;
    let mut expected = Expected::default();
    for (seq, data) in &recorded {
        expected.fold(*seq, data);
    }
    let actual: Vec<ListRow> = tx.fetch_all(&list_rows_sql("{list} = $1"), args![list_id]).await?;
    let rows: serde_json::Map<String, Value> =
        expected.changes(&actual).into_iter().map(|(key, digest)| (key, json!(digest))).collect();
    let data = json!({ "rows": rows }).to_string();
    let seq = head_seq + 1;
    let at = to_ms(now);
    let hash = event_hash(&head_hash, EventFields { case_id: list_id, seq, at_ms: at, actor, action, data: &data });
    tx.execute(
        "INSERT INTO risk_list_events (list_id, seq, at, actor, action, data, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![list_id, seq, at, actor, action, data, hash.clone()],
    )
    .await?;
    tx.execute("UPDATE risk_lists SET event_seq = $1, event_hash = $2 WHERE id = $3", args![seq, hash, list_id])
        .await?;
    Ok(())
}

impl Store {
    /// Checks every risk list's history and rows (part of `audit verify`).
    pub async fn audit_verify_risk_lists(&self) -> Result<ListsReport> {
        let mut report = ListsReport::default();
        let mut after = 0_i64;
        loop {
            let lists: Vec<(i64, String, i64, String)> = self
                .fetch_all(
                    "SELECT id, number, event_seq, event_hash FROM risk_lists WHERE id > $1 ORDER BY id LIMIT $2",
                    args![after, BATCH],
                )
                .await?;
            let Some(last) = lists.last().map(|l| l.0) else { break };
            let events: Vec<EventRow> = self
                .fetch_all(
                    "SELECT list_id, seq, at, actor, action, data, hash FROM risk_list_events
                     WHERE list_id > $1 AND list_id <= $2 ORDER BY list_id, seq",
                    args![after, last],
                )
                .await?;
            let rows: Vec<ListRow> =
                self.fetch_all(&list_rows_sql("{list} > $1 AND {list} <= $2"), args![after, last]).await?;
            report.events += events.len() as u64;
            for (list_id, number, head_seq, head_hash) in lists {
                report.lists += 1;
                let mine: Vec<&EventRow> = events.iter().filter(|e| e.0 == list_id).collect();
                let stored = mine.iter().map(|(list, seq, at, actor, action, data, hash)| StoredEvent {
                    fields: EventFields { case_id: *list, seq: *seq, at_ms: *at, actor, action, data },
                    hash,
                });
                let problems = match verify_chain(stored, head_seq, &head_hash) {
                    Err(chain) => vec![ListProblem::Chain(chain)],
                    Ok(()) => {
                        let mut expected = Expected::default();
                        for event in &mine {
                            expected.fold(event.1, &event.5);
                        }
                        if expected.covered {
                            let my_rows: Vec<ListRow> = rows.iter().filter(|r| r.0 == list_id).cloned().collect();
                            expected.findings(&my_rows)
                        } else {
                            report.legacy += 1;
                            Vec::new()
                        }
                    }
                };
                report.broken.extend(problems.into_iter().map(|problem| BrokenList {
                    list_id,
                    number: number.clone(),
                    problem,
                }));
            }
            after = last;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, canonical: &str) -> ListRow {
        (1, key.to_owned(), canonical.to_owned())
    }

    #[test]
    fn a_list_history_folds_into_what_each_row_must_hold() {
        let mut expected = Expected::default();
        let issued = [row("risk_items/2", "issued"), row("risk_lists/1", "l")];
        let first: serde_json::Map<String, Value> =
            expected.changes(&issued).into_iter().map(|(k, d)| (k, json!(d))).collect();
        expected.fold(1, &json!({ "rows": first }).to_string());
        assert!(expected.findings(&issued).is_empty());
        let edited = [row("risk_item_events/5", "x"), row("risk_items/2", "closed")];
        assert_eq!(
            expected.findings(&edited),
            vec![
                ListProblem::RowAdded { row: "feedback 5".into() },
                ListProblem::RowAltered { row: "item 2".into(), seq: 1 },
                ListProblem::RowRemoved { row: "the list row".into(), seq: 1 },
            ]
        );
    }
}
