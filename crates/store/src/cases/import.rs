//! 历史案件导入: historical cases, checked row by row in the domain, written here in ONE
//! transaction — all rows or none — through the one case writer, so that their parties are
//! encrypted and their histories hash-chained like any other case's. Each keeps its original
//! registration and conclusion dates and is numbered by the normal numbering in the year it was
//! registered; its history says it was imported (`imported`, with the file's SHA-256 and row).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use domain::case::{Risk, Status};
use domain::case_import::HistoricalCase;
use domain::clocks;
use domain::import::line_field;
use domain::msg;
use domain::org::RegionCode;
use domain::validation::FieldError;
use serde_json::json;

use super::write::{CaseRecord, EventRecord, Progress};
use crate::sql::args;
use crate::{Result, Store, Viewer};

/// The time of day (China time) an imported case is taken as registered, and as concluded.
const REGISTERED_AT: (u32, u32) = (9, 0);
const CONCLUDED_AT: (u32, u32) = (17, 0);

fn at(date: NaiveDate, (hour, minute): (u32, u32)) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default();
    date.and_time(time)
        .and_local_timezone(domain::china_time())
        .single()
        .map_or_else(|| DateTime::from_naive_utc_and_offset(date.and_time(time), Utc), |t| t.with_timezone(&Utc))
}

impl Store {
    /// What only the database knows about a workbook's rows (historical cases, referrals, work
    /// orders): whether each row's region (its row, its code) belongs to this deployment. The
    /// faults are named by row and column, like the domain's.
    pub async fn import_regions_check(&self, regions: &[(usize, RegionCode)]) -> Result<Vec<FieldError>> {
        let mut faults = Vec::new();
        for (line, code) in regions {
            if self.region(code).await?.is_none() {
                faults.push(FieldError::new(
                    line_field(*line, "region_code"),
                    "unknown_region",
                    msg!("import.unknown_region", code = code.as_str()),
                ));
            }
        }
        Ok(faults)
    }

    /// Writes every case in one transaction, or none; their ids in the rows' order.
    pub async fn cases_import(
        &self,
        viewer: &Viewer,
        file_sha256: &str,
        cases: &[HistoricalCase],
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let context = self.clock_context().await?;
        let mut ready = Vec::with_capacity(cases.len());
        for case in cases {
            let region = &case.region_code;
            let centre = self.centre_for(region, region.level()).await?;
            let owner = centre.as_ref().map_or(viewer.unit_id, |c| c.unit_id);
            let level = centre.map_or(region.level(), |c| c.region.level());
            let registered_at = at(case.registered_on, REGISTERED_AT);
            let concluded_at = case.concluded_on.map(|d| at(d, CONCLUDED_AT).max(registered_at));
            let status = if concluded_at.is_some() { Status::Concluded } else { Status::Registered };
            let routing = json!({"unit_id": null, "level": level, "assist_unit_ids": [], "joint": false, "reasons": [], "rules": []});
            let record = CaseRecord {
                number: String::new(),
                version: if concluded_at.is_some() { 2 } else { 1 },
                status,
                channel: case.channel,
                category: case.category,
                category_source: "client".to_owned(),
                category_suggestion: None,
                risk: Risk::None,
                risk_reasons: Vec::new(),
                emergency: None,
                title: None,
                description: case.description.clone(),
                amount_fen: None,
                people_count: i64::try_from(case.parties().len()).unwrap_or(1),
                occurred_at: None,
                address: None,
                region_code: region.as_str().to_owned(),
                grid_id: None,
                level,
                routing: routing.clone(),
                registering_unit_id: viewer.unit_id,
                registered_by: viewer.user_id,
                owner_unit_id: owner,
                external_ref: None,
                created_at: registered_at,
                progress: Progress {
                    outcome: case.outcome.filter(|_| concluded_at.is_some()),
                    concluded_at,
                    ..Progress::default()
                },
            };
            let deadlines = record.deadlines(&context, now);
            let parties = case.parties();
            let registered = json!({
                "number": null,
                "channel": case.channel,
                "category": case.category,
                "category_source": "client",
                "risk": Risk::None,
                "risk_reasons": [],
                "region_code": region.as_str(),
                "routing": routing,
                "parties": parties.iter().map(|p| json!({
                    "role": p.role, "kind": p.kind, "name": p.name,
                    "id_number": p.id_number.as_ref().map(|i| i.masked()),
                    "credit_code": null,
                    "phone": p.phone.as_ref().map(|p| p.masked()),
                })).collect::<Vec<_>>(),
            });
            let mut events = vec![
                EventRecord {
                    at: registered_at,
                    actor: viewer.username.clone(),
                    action: "registered".into(),
                    data: registered,
                },
                EventRecord {
                    at: now,
                    actor: viewer.username.clone(),
                    action: "imported".into(),
                    data: json!({"file_sha256": file_sha256, "row": case.line}),
                },
            ];
            if let (Some(concluded_at), Some(outcome)) = (concluded_at, case.outcome) {
                // The statistics' figures, as a conclusion records them: the conclude clock
                // is taken to have run from the registration (the history holds no dispatch).
                let calendar = &context.calendar;
                let policy = context.policy(case.category, case.channel, Risk::None);
                let (due, _) = clocks::conclude_due(case.registered_on, policy.conclude_working_days, calendar);
                let (on_time, working_days) =
                    clocks::conclusion_figures(case.registered_on, concluded_at, Some(due), calendar);
                events.push(EventRecord {
                    at: concluded_at,
                    actor: viewer.username.clone(),
                    action: "conclude".into(),
                    data: json!({
                        "outcome": outcome, "summary": null, "imported": true,
                        "on_time": on_time, "handling_working_days": working_days,
                    }),
                });
            }
            let county = region.county().to_owned();
            ready.push((record, deadlines, parties, county, events, registered_at));
        }
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(ready.len());
        for (mut record, deadlines, parties, county, mut events, registered_at) in ready {
            record.number = self.case_number_next(&mut tx, &county, registered_at).await?;
            events[0].data["number"] = record.number.clone().into();
            ids.push(self.case_insert(&mut tx, &record, &deadlines, &parties, &events).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// The cases a workbook created (named by its SHA-256, as their histories record it), in
    /// the rows' order: how many there are, and `limit` of them from `offset` as (id, number,
    /// status, category).
    pub async fn cases_of_import(
        &self,
        file_sha256: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<(i64, String, String, String)>)> {
        // The digest is hex (checked by the caller), so the pattern holds no wildcard of its own.
        let pattern = format!("%\"file_sha256\":\"{file_sha256}\"%");
        const OF_FILE: &str = "FROM case_events e JOIN cases c ON c.id = e.case_id \
                               WHERE e.action = 'imported' AND e.data LIKE $1";
        let (total,): (i64,) = self.fetch_one(&format!("SELECT COUNT(*) {OF_FILE}"), args![pattern.clone()]).await?;
        let rows = self
            .fetch_all(
                &format!("SELECT c.id, c.number, c.status, c.category {OF_FILE} ORDER BY c.id LIMIT $2 OFFSET $3"),
                args![pattern, limit, offset],
            )
            .await?;
        Ok((total, rows))
    }
}
