//! 警调对接 (issue 18): the 110 non-emergency disputes police units handed over, one per unit
//! and incident number (警情编号), each a `police` case; where it stands and the result that went
//! back follow from the case.

use chrono::{DateTime, Utc};
use domain::authz::Viewer;
use domain::police_incident::State;

use crate::cases::{append_event_locked, scope_condition};
use crate::sql::{Arg, args, from_row};
use crate::{Result, Store, StoreError, to_ms};

/// A hand-over with its case's number, status and ending.
#[derive(Debug, Clone)]
pub struct PoliceIncidentRow {
    pub case_id: i64,
    pub case_number: String,
    pub case_status: String,
    pub outcome: Option<String>,
    /// The conclusion's summary: the agreement reached, or why mediation failed.
    pub summary: Option<String>,
    /// The data of the case's rejection (`{reason}`), when it was not taken on.
    pub rejection: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    pub incident_number: String,
    pub officer: String,
    /// When the dispute happened (the case's), and where.
    pub occurred_at: Option<DateTime<Utc>>,
    pub address: Option<String>,
    pub received_at: DateTime<Utc>,
}
from_row!(
    PoliceIncidentRow {
        case_id,
        case_number,
        case_status,
        outcome,
        summary,
        rejection,
        unit_id,
        unit_name,
        incident_number,
        officer,
        address
    },
    time { occurred_at, received_at }
);

const COLUMNS: &str = "p.case_id, c.number AS case_number, c.status AS case_status, c.outcome, c.summary,
     (SELECT e.data FROM case_events e WHERE e.case_id = c.id AND e.action = 'reject' ORDER BY e.seq DESC LIMIT 1) AS rejection,
     p.unit_id, u.name AS unit_name, p.incident_number, p.officer, c.occurred_at, c.address, p.received_at";
const FROM: &str = "police_incidents p JOIN cases c ON c.id = p.case_id JOIN units u ON u.id = p.unit_id";

/// A new hand-over, as the use case checked it.
#[derive(Debug, Clone)]
pub struct NewPoliceIncident<'a> {
    pub case_id: i64,
    pub unit_id: i64,
    pub incident_number: &'a str,
    pub officer: &'a str,
    pub sent_by: i64,
    pub received_at: DateTime<Utc>,
}

/// A page of hand-overs, how many match, and how many stand at each state.
#[derive(Debug, Clone)]
pub struct PoliceIncidentPage {
    pub total: i64,
    pub items: Vec<PoliceIncidentRow>,
    pub counts: Vec<(State, i64)>,
}

/// Whom a viewer follows: the hand-overs of their unit and the cases of their scope; the
/// condition's arguments are pushed onto `args`.
fn followed(viewer: &Viewer, args: &mut Vec<Arg>) -> String {
    let scope = scope_condition(viewer, args.len() + 1, args);
    args.push(viewer.unit_id.into());
    format!("(p.unit_id = ${} OR {scope})", args.len())
}

impl Store {
    /// The case a unit's incident number was handed over as, if any (idempotency; no scope).
    pub async fn police_incident_by_number(&self, unit_id: i64, incident_number: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> = self
            .fetch_optional(
                "SELECT case_id FROM police_incidents WHERE unit_id = $1 AND incident_number = $2",
                args![unit_id, incident_number],
            )
            .await?;
        Ok(row.map(|(id,)| id))
    }

    /// Records a hand-over for its case unless it is recorded already: whether it is new. The
    /// history gets `police_incident_received`.
    pub async fn police_incident_record(&self, actor: &str, new: NewPoliceIncident<'_>) -> Result<bool> {
        let mut tx = self.begin().await?;
        let inserted = tx
            .execute(
                "INSERT INTO police_incidents (case_id, unit_id, incident_number, officer, sent_by, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                args![new.case_id, new.unit_id, new.incident_number, new.officer, new.sent_by, to_ms(new.received_at)],
            )
            .await?;
        if inserted == 1 {
            let data = serde_json::json!({"incident_number": new.incident_number, "officer": new.officer});
            append_event_locked(&mut tx, new.case_id, to_ms(new.received_at), actor, "police_incident_received", &data)
                .await?;
        }
        tx.commit().await?;
        Ok(inserted == 1)
    }

    /// The hand-overs the viewer follows (their unit's and their scope's), the newest first,
    /// optionally at one state: the count, one page, and the count at each state.
    pub async fn police_incidents(
        &self,
        viewer: &Viewer,
        state: Option<State>,
        limit: i64,
        offset: i64,
    ) -> Result<PoliceIncidentPage> {
        let mut base = Vec::new();
        let followed = followed(viewer, &mut base);
        let grouped: Vec<(String, Option<String>, i64)> = self
            .fetch_all(
                &format!(
                    "SELECT c.status, c.outcome, COUNT(*) FROM {FROM} WHERE {followed} GROUP BY c.status, c.outcome"
                ),
                base.clone(),
            )
            .await?;
        let mut counts: Vec<(State, i64)> = State::ALL.iter().map(|s| (*s, 0)).collect();
        for (status, outcome, n) in grouped {
            let status = domain::case::Status::parse(&status).unwrap_or(domain::case::Status::Registered);
            let state = State::of(status, outcome.as_deref().and_then(domain::case::Outcome::parse));
            if let Some(count) = counts.iter_mut().find(|(s, _)| *s == state) {
                count.1 += n;
            }
        }
        let mut args = base;
        let mut filter = followed;
        if let Some(state) = state {
            let (statuses, resolved) = state.case_condition();
            let mut marks = Vec::new();
            for status in statuses {
                args.push(status.as_str().into());
                marks.push(format!("${}", args.len()));
            }
            filter = format!("{filter} AND c.status IN ({})", marks.join(", "));
            match resolved {
                Some(true) => filter.push_str(" AND c.outcome = 'resolved'"),
                Some(false) => filter.push_str(" AND COALESCE(c.outcome, '') <> 'resolved'"),
                None => {}
            }
        }
        let (total,): (i64,) =
            self.fetch_one(&format!("SELECT COUNT(*) FROM {FROM} WHERE {filter}"), args.clone()).await?;
        args.extend(args![limit, offset]);
        let n = args.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {filter} ORDER BY p.received_at DESC, p.case_id DESC LIMIT ${} OFFSET ${n}",
            n - 1
        );
        let items = self.fetch_all(&sql, args).await?;
        Ok(PoliceIncidentPage { total, items, counts })
    }

    /// The hand-over of a case the viewer follows.
    pub async fn police_incident(&self, viewer: &Viewer, case_id: i64) -> Result<PoliceIncidentRow> {
        let mut args = Vec::new();
        let followed = followed(viewer, &mut args);
        args.push(case_id.into());
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {followed} AND p.case_id = ${}", args.len());
        let row: Option<PoliceIncidentRow> = self.fetch_optional(&sql, args).await?;
        row.ok_or(StoreError::NotFound { what: "police_incident" })
    }
}
