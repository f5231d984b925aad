//! What a case owns beyond its row and its parties — hops, assigned units, its mediator,
//! mediation sessions, evidence, recordings with their purges and holds, agreements with their
//! signers, deliveries, confirmation and performance, supervision notices, a work order, a
//! petition or a police hand-over, police referrals, its task force with its members and
//! milestones — and how its history vouches for them.
//!
//! Every event carries `rows`: the digest of each owned row that changed since the history
//! last recorded it (`null` for a row removed), computed in the event's transaction from the
//! rows as the step left them. Folding a history's `rows` in order gives what each owned row
//! must hold now; `audit verify` compares that with the tables and names each row altered,
//! added or removed outside the history. A row is recorded without the columns that change
//! with no event (a signer's code attempts, a notice's acknowledgement), listed below. Each
//! table names the steps that write it, so that a row changed outside the application and then
//! recorded as found by a step that does not write it is named too.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use domain::workflow::Action;

use super::write::{canonical_digest, canonical_sql};
use crate::Result;
use crate::sql::{Tx, args};

/// A table whose rows belong to one case.
struct OwnedTable {
    table: &'static str,
    /// How a row is named in a finding; `{}` stands for its key.
    noun: &'static str,
    /// The table as `t`, joined to its agreement as `a` when the row belongs to one.
    from: &'static str,
    /// The case a row belongs to.
    case_id: &'static str,
    /// What names a row within its case (as text).
    key: &'static str,
    /// The recorded columns: every column but the keys and what changes without an event.
    columns: &'static [&'static str],
    /// Whether workflow steps (`case_act`, the case writer's histories) write its rows.
    by_workflow: bool,
    /// The other events whose steps write its rows.
    written_by: &'static [&'static str],
}

impl OwnedTable {
    /// Whether the step of an event named `action` writes rows of this table.
    fn written_by(&self, action: &str) -> bool {
        (self.by_workflow && Action::parse(action).is_some()) || self.written_by.contains(&action)
    }
}

const BY_AGREEMENT: &str = "JOIN agreements a ON a.id = t.agreement_id";
const BY_TASK_FORCE: &str = "JOIN task_forces f ON f.id = t.task_force_id";

const OWNED: &[OwnedTable] = &[
    OwnedTable {
        table: "hops",
        noun: "hop {}",
        from: "hops t",
        case_id: "t.case_id",
        // Numbered in dispatch order: the case writer knows that number before the row has an id.
        key: "ROW_NUMBER() OVER (PARTITION BY t.case_id ORDER BY t.id)",
        columns: &[
            "unit_id",
            "assist_unit_ids",
            "dispatched_by",
            "dispatched_at",
            "signed_at",
            "returned_at",
            "return_reason",
            "ended_at",
            "extension_days",
        ],
        by_workflow: true,
        written_by: &[],
    },
    OwnedTable {
        table: "case_units",
        noun: "assigned unit {}",
        from: "case_units t",
        case_id: "t.case_id",
        key: "t.unit_id",
        columns: &["role"],
        by_workflow: true,
        written_by: &["mediator_assigned", "mediator_changed", "confirmation_applied"],
    },
    OwnedTable {
        table: "case_mediators",
        noun: "mediator (user {})",
        from: "case_mediators t",
        case_id: "t.case_id",
        key: "t.user_id",
        columns: &["chosen_by", "reason", "assigned_at"],
        by_workflow: false,
        written_by: &["mediator_assigned", "mediator_changed"],
    },
    OwnedTable {
        table: "mediation_sessions",
        noun: "mediation session {}",
        from: "mediation_sessions t",
        case_id: "t.case_id",
        key: "t.id",
        columns: &[
            "mode",
            "scheduled_at",
            "place",
            "link",
            "mediator",
            "disclosure",
            "acknowledgements",
            "minutes",
            "minutes_confirmed",
            "status",
            "created_at",
        ],
        by_workflow: false,
        written_by: &[
            "session_scheduled",
            "rights_acknowledged",
            "mediator_consented",
            "minutes_confirmed",
            "minutes_recorded",
            "mediation_refused",
        ],
    },
    OwnedTable {
        table: "evidence",
        noun: "evidence {}",
        from: "evidence t",
        case_id: "t.case_id",
        key: "t.id",
        columns: &["sha256", "name", "content_type", "size", "uploaded_by", "uploaded_at"],
        by_workflow: false,
        written_by: &["evidence_added", "video_recorded"],
    },
    OwnedTable {
        table: "video_recordings",
        noun: "recording {}",
        from: "video_recordings t",
        case_id: "t.case_id",
        key: "t.id",
        columns: &["session_id", "participant", "content_type", "bytes", "sha256", "started_at", "ended_at"],
        by_workflow: false,
        written_by: &["video_recorded"],
    },
    OwnedTable {
        table: "video_recording_purges",
        noun: "purge of recording {}",
        from: "video_recording_purges t",
        case_id: "t.case_id",
        key: "t.recording_id",
        columns: &["purged_at"],
        by_workflow: false,
        written_by: &["recording_purged"],
    },
    OwnedTable {
        table: "video_recording_holds",
        noun: "hold on recordings {}",
        from: "video_recording_holds t",
        case_id: "t.case_id",
        key: "t.id",
        columns: &["reason", "placed_by", "placed_at", "released_by", "released_at"],
        by_workflow: false,
        written_by: &["recording_hold_placed", "recording_hold_released"],
    },
    OwnedTable {
        table: "agreements",
        noun: "agreement {}",
        from: "agreements t",
        case_id: "t.case_id",
        key: "t.id",
        columns: &[
            "form",
            "status",
            "revision",
            "content",
            "parties",
            "paper_required",
            "warnings",
            "mediator",
            "mediator_name",
            "committee",
            "mediator_signed_at",
            "mediator_signature",
            "sealed_at",
            "effective_at",
            "confirm_by",
            "documents",
            "created_at",
            "updated_at",
        ],
        by_workflow: false,
        written_by: &[
            "agreement_drafted",
            "agreement_revised",
            "agreement_sent_for_signing",
            "agreement_signed",
            "agreement_mediator_signed",
            "agreement_effective",
            "agreement_documents",
        ],
    },
    OwnedTable {
        table: "agreement_signers",
        noun: "signer (agreement/party) {}",
        from: "agreement_signers t",
        case_id: "a.case_id",
        key: "CAST(t.agreement_id AS TEXT) || '/' || CAST(t.party_index AS TEXT)",
        // `attempts` counts wrong codes, each refused with no event.
        columns: &[
            "link_hash",
            "code_hash",
            "expires_at",
            "signed_at",
            "signature",
            "outbox_id",
            "link_cipher",
            "resends",
            "sent_at",
        ],
        by_workflow: false,
        written_by: &["agreement_sent_for_signing", "agreement_link_resent", "agreement_signed"],
    },
    OwnedTable {
        table: "deliveries",
        noun: "service (agreement/party) {}",
        from: "deliveries t",
        case_id: "a.case_id",
        key: "CAST(t.agreement_id AS TEXT) || '/' || CAST(t.party_index AS TEXT)",
        columns: &["link_hash", "document", "sent_at", "opened_at"],
        by_workflow: false,
        written_by: &["agreement_served", "service_receipt"],
    },
    OwnedTable {
        table: "confirmations",
        noun: "judicial confirmation of agreement {}",
        from: "confirmations t",
        case_id: "a.case_id",
        key: "t.agreement_id",
        columns: &[
            "court_unit_id",
            "applicants",
            "package",
            "applied_at",
            "applied_by",
            "decision",
            "reasons",
            "decided_at",
            "decided_by",
        ],
        by_workflow: false,
        written_by: &["confirmation_applied", "confirmation_ruled"],
    },
    OwnedTable {
        table: "performances",
        noun: "performance record {}",
        from: "performances t",
        case_id: "a.case_id",
        key: "t.id",
        columns: &["agreement_id", "term_index", "status", "note", "recorded_at", "recorded_by"],
        by_workflow: false,
        written_by: &["performance_recorded"],
    },
    OwnedTable {
        table: "notices",
        noun: "notice {}",
        from: "notices t",
        case_id: "t.case_id",
        key: "t.id",
        // The acknowledgement (签收) is taken with no event; the reply has one.
        columns: &[
            "number",
            "kind",
            "clock",
            "unit_id",
            "cc_unit_id",
            "issuer_unit_id",
            "due_at",
            "issued_at",
            "text",
            "dedupe_key",
            "issued_by",
            "reply",
            "replied_at",
            "replied_by",
        ],
        by_workflow: false,
        written_by: &["notice_issued", "notice_replied"],
    },
    OwnedTable {
        table: "work_orders",
        noun: "12345 work order {}",
        from: "work_orders t",
        case_id: "t.case_id",
        key: "t.external_ref",
        columns: &[
            "account_id",
            "received_at",
            "sign_by",
            "return_by",
            "status",
            "answered_at",
            "answered_by",
            "reason",
        ],
        by_workflow: false,
        written_by: &["work_order_received", "work_order_signed", "work_order_returned"],
    },
    OwnedTable {
        table: "police_incidents",
        noun: "police hand-over {}",
        from: "police_incidents t",
        case_id: "t.case_id",
        key: "t.incident_number",
        columns: &["unit_id", "officer", "sent_by", "received_at"],
        by_workflow: false,
        written_by: &["police_incident_received"],
    },
    OwnedTable {
        table: "petitions",
        noun: "petition {}",
        from: "petitions t",
        case_id: "t.case_id",
        key: "t.reference",
        columns: &[
            "sender",
            "account_id",
            "petitioner",
            "request",
            "office_received_on",
            "received_at",
            "accept_by",
            "object_by",
            "stage",
            "decided_at",
            "accepted_at",
            "handle_by",
            "transfer_to",
            "reason",
            "extension_days",
            "extension_reason",
            "replied_at",
            "reply",
            "review_requested_at",
            "reviewed_at",
            "review_reply",
            "recheck_requested_at",
            "rechecked_at",
            "recheck_reply",
            "duty_by",
            "version",
        ],
        by_workflow: false,
        written_by: &[
            "petition_received",
            "petition_accepted",
            "petition_objected",
            "petition_transferred",
            "petition_extended",
            "petition_replied",
            "petition_review_requested",
        ],
    },
    OwnedTable {
        table: "police_referrals",
        noun: "police referral {}",
        from: "police_referrals t",
        case_id: "t.case_id",
        key: "t.id",
        columns: &[
            "unit_id",
            "reason",
            "referred_by",
            "referred_at",
            "acknowledged_at",
            "acknowledged_by",
            "feedback",
            "feedback_at",
            "feedback_by",
            "criminal_text",
            "criminal_at",
            "criminal_by",
        ],
        by_workflow: false,
        written_by: &["police_referred", "police_referral_acknowledged", "police_feedback", "criminal_case_recorded"],
    },
    OwnedTable {
        table: "task_forces",
        noun: "task force {}",
        from: "task_forces t",
        case_id: "t.case_id",
        key: "t.id",
        columns: &["leader_id", "plan", "created_by", "created_at"],
        by_workflow: false,
        written_by: &["task_force_formed"],
    },
    OwnedTable {
        table: "task_force_members",
        noun: "task force member (task force/unit) {}",
        from: "task_force_members t",
        case_id: "f.case_id",
        key: "CAST(t.task_force_id AS TEXT) || '/' || CAST(t.unit_id AS TEXT)",
        columns: &["duty"],
        by_workflow: false,
        written_by: &["task_force_formed"],
    },
    OwnedTable {
        table: "task_force_milestones",
        noun: "task force milestone {}",
        from: "task_force_milestones t",
        case_id: "f.case_id",
        key: "t.id",
        columns: &["task_force_id", "position", "title", "unit_id", "due_at", "done_at", "done_by", "note"],
        by_workflow: false,
        written_by: &["task_force_formed", "milestone_done"],
    },
];

/// The recorded columns of `hops` and `case_units` as the case writer inserts them (after
/// `case_id`), so that it can record the rows it writes in bulk.
pub(crate) const HOP_RECORDED: &[&str] = OWNED[0].columns;
pub(crate) const CASE_UNIT_RECORDED: &[&str] = OWNED[1].columns;

/// An owned row as read: (case id, `table/key`, canonical text of its recorded columns).
pub(crate) type OwnedRow = (i64, String, String);

/// Every owned row of the cases that `condition` selects — `{case}` in it stands for the
/// row's case id —, one query for all the tables.
pub(crate) fn owned_rows_sql(condition: &str) -> String {
    let selects: Vec<String> = OWNED
        .iter()
        .map(|t| {
            let join = match &t.case_id[..2] {
                "a." => BY_AGREEMENT,
                "f." => BY_TASK_FORCE,
                _ => "",
            };
            let columns = canonical_sql(t.columns.iter().map(|c| format!("t.{c}")));
            format!(
                "SELECT {case} AS case_id, '{table}/' || CAST({key} AS TEXT) AS row_key, {columns} AS canonical FROM {from} {join} WHERE {where_}",
                case = t.case_id,
                table = t.table,
                key = t.key,
                from = t.from,
                where_ = condition.replace("{case}", t.case_id),
            )
        })
        .collect();
    format!("SELECT case_id, row_key, canonical FROM ({}) owned ORDER BY case_id, row_key", selects.join(" UNION ALL "))
}

/// The key under which the case writer records a row of `table` named `key`.
pub(crate) fn row_key(table: &str, key: impl std::fmt::Display) -> String {
    format!("{table}/{key}")
}

/// The table of a row key, and the row's key within it.
fn table_of(row_key: &str) -> (Option<&'static OwnedTable>, &str) {
    let (table, key) = row_key.split_once('/').unwrap_or((row_key, ""));
    (OWNED.iter().find(|t| t.table == table), key)
}

/// How a finding names a row: `agreement 3`, `hop 2`.
pub(crate) fn row_name(row_key: &str) -> String {
    match table_of(row_key) {
        (Some(table), key) => table.noun.replace("{}", key),
        (None, _) => row_key.to_owned(),
    }
}

/// What a history says each owned row holds now: its digest and the event that recorded it.
#[derive(Debug, Default)]
pub(crate) struct Expected {
    rows: BTreeMap<String, (String, i64)>,
    /// Whether any event recorded rows: histories written before they did vouch for none.
    pub covered: bool,
    /// Rows an event recorded as changed although its step writes no row of their table: they
    /// were changed outside the application before it, and it recorded them as it found them.
    unexplained: Vec<RowFinding>,
}

impl Expected {
    /// Applies one event (its action and stored JSON text), if it carries `rows`. The first
    /// event that does records every row as it stands; each later one only what its step wrote.
    pub(crate) fn fold(&mut self, seq: i64, action: &str, data: &str) {
        if !data.contains("\"rows\":") {
            return;
        }
        let Some(rows) = serde_json::from_str::<Value>(data).ok().and_then(|mut d| d.get_mut("rows").map(Value::take))
        else {
            return;
        };
        let Value::Object(rows) = rows else { return };
        for (key, digest) in rows {
            if self.covered && !table_of(&key).0.is_some_and(|t| t.written_by(action)) {
                self.unexplained.push(RowFinding::Unexplained { row: row_name(&key), seq, action: action.to_owned() });
            }
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

    /// The rows that differ from the history, by key: each changed or new row's digest,
    /// `None` for each row gone.
    fn changes<'a>(&self, actual: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, Option<String>> {
        let mut changes = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for (key, canonical) in actual {
            let digest = canonical_digest(canonical);
            if self.rows.get(key).is_none_or(|(recorded, _)| *recorded != digest) {
                changes.insert(key.to_owned(), Some(digest));
            }
            seen.insert(key);
        }
        for key in self.rows.keys().filter(|k| !seen.contains(k.as_str())) {
            changes.insert(key.clone(), None);
        }
        changes
    }

    /// [`Expected::changes`] as `rows` for the next event (`null` for a row gone).
    fn changes_json<'a>(&self, actual: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
        Value::Object(self.changes(actual).into_iter().map(|(key, digest)| (key, json!(digest))).collect())
    }

    /// What differs between the history and the rows of one case, in key order, after the
    /// rows the history recorded as changed by a step that does not write them.
    pub(crate) fn findings<'a>(&self, actual: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<RowFinding> {
        let differences = self.changes(actual).into_iter().map(|(key, digest)| match (self.rows.get(&key), digest) {
            (Some((_, seq)), None) => RowFinding::Removed { row: row_name(&key), seq: *seq },
            (Some((_, seq)), Some(_)) => RowFinding::Altered { row: row_name(&key), seq: *seq },
            (None, _) => RowFinding::Added { row: row_name(&key) },
        });
        self.unexplained.iter().cloned().chain(differences).collect()
    }
}

/// An owned row that differs from what the history recorded of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowFinding {
    Altered { row: String, seq: i64 },
    Added { row: String },
    Removed { row: String, seq: i64 },
    Unexplained { row: String, seq: i64, action: String },
}

/// `rows` for a new event of `case_id` in `tx`: what changed in its owned rows since its
/// history last recorded them (everything, the first time).
pub(crate) async fn rows_changed(tx: &mut Tx, case_id: i64) -> Result<Value> {
    let actual: Vec<OwnedRow> = tx.fetch_all(&owned_rows_sql("{case} = $1"), args![case_id]).await?;
    let recorded: Vec<(i64, String, String)> = tx
        .fetch_all(
            "SELECT seq, action, data FROM case_events WHERE case_id = $1 AND data LIKE '%\"rows\":{\"%' ORDER BY seq",
            args![case_id],
        )
        .await?;
    let mut expected = Expected::default();
    for (seq, action, data) in &recorded {
        expected.fold(*seq, action, data);
    }
    Ok(expected.changes_json(actual.iter().map(|(_, key, canonical)| (key.as_str(), canonical.as_str()))))
}

/// `rows` recording rows the case writer inserts: (key, canonical text).
pub(crate) fn rows_written<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    Expected::default().changes_json(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_of_rows_folds_into_what_each_row_must_hold() {
        let mut expected = Expected::default();
        let first = rows_written([("hops/1", "a"), ("case_units/7", "lead")]);
        expected.fold(1, "registered", &json!({ "rows": first }).to_string());
        assert!(expected.changes([("hops/1", "a"), ("case_units/7", "lead")]).is_empty());
        let next = expected.changes_json([("hops/1", "b"), ("case_units/8", "assist")]);
        assert_eq!(next["case_units/7"], Value::Null);
        expected.fold(2, "dispatch", &json!({ "rows": next, "text": "\"rows\": in a note" }).to_string());
        assert!(expected.changes([("hops/1", "b"), ("case_units/8", "assist")]).is_empty());
        assert_eq!(
            expected.findings([("case_units/9", "assist"), ("hops/1", "c")]),
            vec![
                RowFinding::Removed { row: "assigned unit 8".into(), seq: 2 },
                RowFinding::Added { row: "assigned unit 9".into() },
                RowFinding::Altered { row: "hop 1".into(), seq: 2 },
            ]
        );
    }

    #[test]
    fn a_row_recorded_by_a_step_that_does_not_write_it_is_named() {
        let mut expected = Expected::default();
        expected.fold(1, "registered", &json!({ "rows": rows_written([("agreements/3", "a")]) }).to_string());
        expected.fold(2, "agreement_signed", &json!({ "rows": { "agreements/3": "b" } }).to_string());
        assert!(expected.unexplained.is_empty());
        expected.fold(3, "note", &json!({ "rows": { "agreements/3": "c" } }).to_string());
        let unexplained = RowFinding::Unexplained { row: "agreement 3".into(), seq: 3, action: "note".into() };
        assert_eq!(expected.findings([]), vec![unexplained, RowFinding::Removed { row: "agreement 3".into(), seq: 3 }]);
    }

    #[test]
    fn rows_are_named_in_words() {
        assert_eq!(row_name("agreement_signers/3/1"), "signer (agreement/party) 3/1");
        assert_eq!(row_name("confirmations/3"), "judicial confirmation of agreement 3");
    }
}
