//! What the live feed (`GET /api/v1/live`, the command screen) says of a case just registered
//! or a notice just issued — on a case or on a watched person (重点人员) —: the few columns
//! shown, with what decides who may see it (the region of the case or the person, the units the
//! case belongs to, the notice's recipient), read by primary key after the commit.

use chrono::{DateTime, Utc};

use crate::sql::{Arg, args, from_row, in_list};
use crate::{Result, Store};

/// A case as the live feed shows it.
#[derive(Debug, Clone)]
pub struct LiveCase {
    pub id: i64,
    pub number: String,
    pub category: String,
    pub risk: String,
    pub region_code: String,
    pub region_name: String,
    pub created_at: DateTime<Utc>,
    /// The units the case belongs to (the owning centre, lead and assisting units).
    pub unit_ids: Vec<i64>,
}

#[derive(Debug)]
struct LiveCaseRow {
    id: i64,
    number: String,
    category: String,
    risk: String,
    region_code: String,
    region_name: Option<String>,
    owner_unit_id: Option<i64>,
    created_at: DateTime<Utc>,
}
from_row!(LiveCaseRow { id, number, category, risk, region_code, region_name, owner_unit_id }, time { created_at });

/// A notice of the supervision ladder (or by hand) as the live feed shows it.
#[derive(Debug, Clone)]
pub struct LiveNotice {
    pub id: i64,
    /// 督办令〔2026〕12号
    pub number: String,
    /// reminder | warning | order
    pub kind: String,
    /// The case it is filed on; None for a notice on a watched person (重点人员).
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    /// The watched person it is filed on (an overdue visit); None for a case's notice.
    pub watched_person_id: Option<i64>,
    /// The recipient.
    pub unit_id: i64,
    pub unit_name: String,
    /// The region of the case or of the watched person.
    pub region_code: String,
    pub issued_at: DateTime<Utc>,
}
from_row!(
    LiveNotice { id, number, kind, case_id, case_number, watched_person_id, unit_id, unit_name, region_code },
    time { issued_at }
);

impl Store {
    /// A case for the live feed, by id (none if it does not exist).
    pub async fn live_case(&self, id: i64) -> Result<Option<LiveCase>> {
        let row: Option<LiveCaseRow> = self
            .fetch_optional(
                "SELECT c.id, c.number, c.category, c.risk, c.region_code, r.name AS region_name, c.owner_unit_id, c.created_at
                 FROM cases c LEFT JOIN regions r ON r.code = c.region_code WHERE c.id = $1",
                args![id],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let units: Vec<(i64,)> = self.fetch_all("SELECT unit_id FROM case_units WHERE case_id = $1", args![id]).await?;
        let unit_ids = row.owner_unit_id.into_iter().chain(units.into_iter().map(|(unit,)| unit)).collect();
        Ok(Some(LiveCase {
            region_name: row.region_name.unwrap_or_else(|| row.region_code.clone()),
            id: row.id,
            number: row.number,
            category: row.category,
            risk: row.risk,
            region_code: row.region_code,
            created_at: row.created_at,
            unit_ids,
        }))
    }

    /// Notices for the live feed, by id, in the order they were issued.
    pub async fn live_notices(&self, ids: &[i64]) -> Result<Vec<LiveNotice>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<Arg> = Vec::new();
        let listed = in_list(&mut args, ids);
        self.fetch_all(
            &format!(
                "SELECT n.id, n.number, n.kind, n.case_id, c.number AS case_number, n.watched_person_id, n.unit_id,
                        u.name AS unit_name, COALESCE(c.region_code, w.region_code) AS region_code, n.issued_at
                 FROM notices n LEFT JOIN cases c ON c.id = n.case_id
                 LEFT JOIN watched_people w ON w.id = n.watched_person_id JOIN units u ON u.id = n.unit_id
                 WHERE n.id IN ({listed}) ORDER BY n.id"
            ),
            args,
        )
        .await
    }
}
