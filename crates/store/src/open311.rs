//! Open311 GeoReport v2 (issue 18): which cases came in through it, and the requests a client
//! lists — within a system account's scope, or, for an anonymous client, only the cases
//! reported through Open311.

use chrono::{DateTime, Utc};
use domain::authz::Viewer;
use domain::ids::CaseId;

use crate::cases::scope_condition;
use crate::sql::{args, in_list};
use crate::{Result, Store, StoreError, from_ms, to_ms};

/// The most requests one list answers.
pub const LIST_LIMIT: i64 = 1000;

/// What a list of requests asks for (each filter optional, all at once).
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub case_ids: Vec<i64>,
    pub categories: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only these case statuses (when not empty).
    pub statuses: Vec<String>,
}

/// A case as an Open311 request, every field; the use case decides which a client sees.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub case_id: i64,
    pub category: String,
    pub status: String,
    pub outcome: Option<String>,
    pub description: String,
    pub address: Option<String>,
    /// `(lat, lng)` as the client sent them, for a request made through Open311.
    pub point: Option<(f64, f64)>,
    pub agency: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub conclude_by: Option<DateTime<Utc>>,
}

type Row = (
    i64,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
);

/// Millionths of a degree, as a coordinate is kept.
fn to_e6(degrees: f64) -> i64 {
    (degrees * 1e6).round() as i64
}

impl Store {
    /// Records that a case was reported through Open311 by `account_id`, at `point` `(lat, lng)`.
    pub async fn open311_record(
        &self,
        case: CaseId,
        account_id: i64,
        point: Option<(f64, f64)>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO open311_requests (case_id, account_id, lat_e6, lng_e6, created_at) VALUES ($1, $2, $3, $4, $5)",
            args![case.get(), account_id, point.map(|p| to_e6(p.0)), point.map(|p| to_e6(p.1)), to_ms(now)],
        )
        .await?;
        Ok(())
    }

    /// The requests `filter` names, the newest first, at most [`LIST_LIMIT`]: the cases in the
    /// viewer's scope, or with no viewer only those reported through Open311.
    pub async fn open311_requests(&self, viewer: Option<&Viewer>, filter: &RequestFilter) -> Result<Vec<RequestRow>> {
        let mut args = Vec::new();
        let mut conditions = vec![match viewer {
            Some(viewer) => scope_condition(viewer, 1, &mut args),
            None => "o.case_id IS NOT NULL".to_owned(),
        }];
        if !filter.case_ids.is_empty() {
            conditions.push(format!("c.id IN ({})", in_list(&mut args, &filter.case_ids)));
        }
        if !filter.categories.is_empty() {
            conditions.push(format!("c.category IN ({})", in_list(&mut args, &filter.categories)));
        }
        if !filter.statuses.is_empty() {
            conditions.push(format!("c.status IN ({})", in_list(&mut args, &filter.statuses)));
        }
        if let Some(from) = filter.from {
            args.push(to_ms(from).into());
            conditions.push(format!("c.created_at >= ${}", args.len()));
        }
        if let Some(to) = filter.to {
            args.push(to_ms(to).into());
            conditions.push(format!("c.created_at <= ${}", args.len()));
        }
        args.push(LIST_LIMIT.into());
        let sql = format!(
            "SELECT c.id, c.category, c.status, c.outcome, c.description, c.address, o.lat_e6, o.lng_e6, u.name,
                    c.created_at, c.updated_at, c.conclude_by
             FROM cases c LEFT JOIN open311_requests o ON o.case_id = c.id LEFT JOIN units u ON u.id = c.lead_unit_id
             WHERE {} ORDER BY c.created_at DESC, c.id DESC LIMIT ${}",
            conditions.join(" AND "),
            args.len()
        );
        let rows: Vec<Row> = self.fetch_all(&sql, args).await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    case_id,
                    category,
                    status,
                    outcome,
                    description,
                    address,
                    lat,
                    lng,
                    agency,
                    created_at,
                    updated_at,
                    conclude_by,
                )| RequestRow {
                    case_id,
                    category,
                    status,
                    outcome,
                    description,
                    address,
                    point: lat.zip(lng).map(|(lat, lng)| (lat as f64 / 1e6, lng as f64 / 1e6)),
                    agency,
                    created_at: from_ms(created_at),
                    updated_at: from_ms(updated_at),
                    conclude_by: conclude_by.map(from_ms),
                },
            )
            .collect())
    }

    /// One request: the case, if the viewer may see it (with no viewer: if it was reported
    /// through Open311).
    pub async fn open311_request(&self, viewer: Option<&Viewer>, case: CaseId) -> Result<RequestRow> {
        let filter = RequestFilter { case_ids: vec![case.get()], ..RequestFilter::default() };
        let found = self.open311_requests(viewer, &filter).await?;
        found.into_iter().next().ok_or(StoreError::NotFound { what: "case" })
    }
}
