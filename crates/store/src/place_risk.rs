//! 地点风险 (issue 16): the colour of a grid, a community and a street, from the open cases and
//! open alerts within them (`domain::place_risk`). Every event of a case re-evaluates the places
//! it lies in; the nightly pass re-evaluates every place. Each change of colour is kept in
//! `place_risk_changes` with its reasons.

use chrono::{DateTime, Utc};
use domain::case::Risk;
use domain::org::{RegionCode, RegionLevel};
use domain::place_risk::{PlaceCounts, place_colour};
use domain::validation::Message;

use crate::sql::args;
use crate::{Result, Store, Viewer, from_ms, to_ms};

/// An open case (the risk list's meaning: not yet concluded).
const OPEN: &str = "c.status IN ('registered', 'accepted', 'dispatched', 'in_progress')";

/// The most cases a place names: the others are still counted.
const CASES_NAMED: i64 = 200;

/// A place: its kind, its key (a grid's id, a region's code) and the region it is seen in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    kind: &'static str,
    key: String,
    region: String,
}

impl Place {
    /// The places a case lies in: its grid, its community and its street.
    fn of(region: &str, grid: Option<i64>) -> Vec<Place> {
        let mut places = Vec::new();
        let Ok(code) = RegionCode::parse(region) else { return places };
        let community = (code.level() == RegionLevel::Community).then(|| code.clone());
        if let (Some(grid), Some(community)) = (grid, &community) {
            places.push(Place { kind: "grid", key: grid.to_string(), region: community.as_str().to_owned() });
        }
        let street = match code.level() {
            RegionLevel::Community => code.parent(),
            RegionLevel::Street => Some(code.clone()),
            _ => None,
        };
        if let Some(community) = community {
            places.push(Place {
                kind: "community",
                key: community.as_str().to_owned(),
                region: community.as_str().to_owned(),
            });
        }
        if let Some(street) = street {
            places.push(Place { kind: "street", key: street.as_str().to_owned(), region: street.as_str().to_owned() });
        }
        places
    }

    /// The condition on `cases c` selecting the place's cases, from `$1` (and `$2`).
    fn condition(&self) -> (&'static str, Vec<crate::sql::Arg>) {
        match self.kind {
            "grid" => ("c.grid_id = $1", args![self.key.parse::<i64>().unwrap_or_default()]),
            "community" => ("c.region_code = $1", args![self.key.clone()]),
            _ => {
                let (low, high) = RegionCode::parse(&self.key)
                    .map(|c| c.subtree_range())
                    .unwrap_or_else(|_| (self.key.clone(), self.key.clone()));
                ("c.region_code BETWEEN $1 AND $2", args![low, high])
            }
        }
    }
}

/// A place's colour as the list shows it.
#[derive(Debug, Clone)]
pub struct PlaceRiskView {
    /// grid | community | street
    pub kind: String,
    /// The grid's id or the region's code.
    pub key: String,
    pub name: String,
    pub region_code: String,
    pub colour: Risk,
    pub reasons: Vec<Message>,
    /// The open red and orange cases behind it, oldest first.
    pub case_ids: Vec<i64>,
    /// When its colour, reasons or cases last changed.
    pub updated_at: DateTime<Utc>,
}

/// kind, key, name, region, colour, reasons, case ids, updated at.
type PlaceRow = (String, String, String, String, String, String, String, i64);

impl Store {
    /// Re-evaluates the places a case lies in.
    pub async fn place_risk_evaluate_case(&self, case_id: i64, now: DateTime<Utc>) -> Result<()> {
        let (region, grid): (String, Option<i64>) =
            self.fetch_one("SELECT region_code, grid_id FROM cases WHERE id = $1", args![case_id]).await?;
        for place in Place::of(&region, grid) {
            self.place_risk_evaluate(&place, now).await?;
        }
        Ok(())
    }

    /// The nightly pass: re-evaluates every place that has open cases or a colour; returns how
    /// many places it evaluated.
    pub async fn place_risk_nightly(&self, now: DateTime<Utc>) -> Result<usize> {
        let open: Vec<(String, Option<i64>)> = self
            .fetch_all(&format!("SELECT DISTINCT c.region_code, c.grid_id FROM cases c WHERE {OPEN}"), args![])
            .await?;
        let coloured: Vec<(String, String, String)> =
            self.fetch_all("SELECT kind, place_key, region_code FROM place_risks", args![]).await?;
        let mut places: std::collections::BTreeSet<Place> =
            open.iter().flat_map(|(region, grid)| Place::of(region, *grid)).collect();
        for (kind, key, region) in coloured {
            let kind = match kind.as_str() {
                "grid" => "grid",
                "community" => "community",
                _ => "street",
            };
            places.insert(Place { kind, key, region });
        }
        for place in &places {
            self.place_risk_evaluate(place, now).await?;
        }
        Ok(places.len())
    }

    /// Claims the nightly pass of a China day: true for the one caller that inserted its row.
    pub async fn place_risk_claim_day(&self, day: &str, now: DateTime<Utc>) -> Result<bool> {
        let claimed = self
            .execute(
                "INSERT INTO place_risk_passes (day, at) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
                args![day, to_ms(now)],
            )
            .await?;
        Ok(claimed == 1)
    }

    /// Counts what is open in a place, colours it, and records a change of colour.
    async fn place_risk_evaluate(&self, place: &Place, now: DateTime<Utc>) -> Result<()> {
        let (condition, a) = place.condition();
        let by_risk: Vec<(String, i64)> = self
            .fetch_all(
                &format!("SELECT c.risk, COUNT(*) FROM cases c WHERE {OPEN} AND {condition} GROUP BY c.risk"),
                a.clone(),
            )
            .await?;
        let count = |risk: Risk| by_risk.iter().find(|(r, _)| r == risk.as_str()).map_or(0, |(_, n)| *n);
        let mut counts = PlaceCounts {
            red_cases: count(Risk::Red),
            orange_cases: count(Risk::Orange),
            yellow_cases: count(Risk::Yellow),
            ..PlaceCounts::default()
        };
        if place.kind != "grid" {
            let alerts: Vec<(String, i64)> = self
                .fetch_all(
                    &format!("SELECT c.colour, COUNT(*) FROM alerts c WHERE c.status = 'open' AND {condition} GROUP BY c.colour"),
                    a.clone(),
                )
                .await?;
            let alerted = |risk: Risk| alerts.iter().find(|(r, _)| r == risk.as_str()).map_or(0, |(_, n)| *n);
            counts.red_alerts = alerted(Risk::Red);
            counts.orange_alerts = alerted(Risk::Orange);
        }
        let (colour, reasons) = place_colour(&counts);
        let cases: Vec<(i64,)> = self
            .fetch_all(
                &format!(
                    "SELECT c.id FROM cases c WHERE {OPEN} AND {condition} AND c.risk IN ('red', 'orange')
                     ORDER BY c.id LIMIT {CASES_NAMED}"
                ),
                a,
            )
            .await?;
        let case_ids: Vec<i64> = cases.into_iter().map(|(id,)| id).collect();
        let reasons = serde_json::to_string(&reasons).unwrap_or_default();
        let case_list = serde_json::to_string(&case_ids).unwrap_or_default();
        let stored: Option<(String, String, String)> = self
            .fetch_optional(
                "SELECT colour, reasons, case_ids FROM place_risks WHERE kind = $1 AND place_key = $2",
                args![place.kind, place.key.clone()],
            )
            .await?;
        let before = match stored {
            // Nothing changed: most events leave a place as it was, and the write is spared.
            Some(row) if row == (colour.as_str().to_owned(), reasons.clone(), case_list.clone()) => return Ok(()),
            Some((before, _, _)) => before,
            None if colour == Risk::None => return Ok(()),
            None => Risk::None.as_str().to_owned(),
        };
        let at = to_ms(now);
        let mut tx = self.begin().await?;
        tx.execute(
            "INSERT INTO place_risks (kind, place_key, region_code, colour, reasons, case_ids, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (kind, place_key) DO UPDATE SET colour = excluded.colour, reasons = excluded.reasons,
                 case_ids = excluded.case_ids, updated_at = excluded.updated_at",
            args![place.kind, place.key.clone(), place.region.clone(), colour.as_str(), reasons.clone(), case_list, at],
        )
        .await?;
        if before != colour.as_str() {
            tx.execute(
                "INSERT INTO place_risk_changes (kind, place_key, colour_before, colour, reasons, at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                args![place.kind, place.key.clone(), before, colour.as_str(), reasons, at],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The coloured places of the viewer's region (of one colour, if asked), reddest first.
    pub async fn place_risk_list(&self, viewer: &Viewer, colour: Option<Risk>) -> Result<Vec<PlaceRiskView>> {
        let (low, high) = viewer.scope.region.subtree_range();
        let mut a = args![low, high];
        let only = match colour {
            Some(colour) => {
                a.push(colour.as_str().into());
                " AND p.colour = $3"
            }
            None => "",
        };
        let rows: Vec<PlaceRow> = self
            .fetch_all(
                &format!(
                    "SELECT p.kind, p.place_key, COALESCE(g.name, r.name, p.place_key), p.region_code, p.colour, p.reasons,
                        p.case_ids, p.updated_at
                 FROM place_risks p
                 LEFT JOIN grids g ON p.kind = 'grid' AND CAST(g.id AS TEXT) = p.place_key
                 LEFT JOIN regions r ON p.kind <> 'grid' AND r.code = p.place_key
                 WHERE p.region_code BETWEEN $1 AND $2 AND p.colour <> 'none'{only}
                 ORDER BY CASE p.colour WHEN 'red' THEN 0 WHEN 'orange' THEN 1 ELSE 2 END, p.kind, p.place_key"
                ),
                a,
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(kind, key, name, region_code, colour, reasons, case_ids, updated_at)| PlaceRiskView {
                kind,
                key,
                name,
                region_code,
                colour: Risk::parse(&colour).unwrap_or(Risk::None),
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                case_ids: serde_json::from_str(&case_ids).unwrap_or_default(),
                updated_at: from_ms(updated_at),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_lies_in_its_grid_its_community_and_its_street() {
        let places = Place::of("620102002001", Some(7));
        let kinds: Vec<(&str, &str)> = places.iter().map(|p| (p.kind, p.key.as_str())).collect();
        assert_eq!(kinds, vec![("grid", "7"), ("community", "620102002001"), ("street", "620102002000")]);
        assert_eq!(Place::of("620102002000", None).len(), 1, "a street's case: the street only");
        assert!(Place::of("620102000000", None).is_empty(), "a district is no place");
    }
}
