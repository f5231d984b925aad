//! 地点风险 (issue 16): the colour of a grid, a community and a street, from the open cases and
//! open alerts within them (`domain::place_risk`). Every event of a case re-evaluates the places
//! it lies in, after the answer (the risk queue's worker, `risk_queue`); the nightly pass
//! re-evaluates every place. Each change of colour is kept in `place_risk_changes` with its
//! reasons.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use domain::case::Risk;
use domain::org::{RegionCode, RegionLevel};
use domain::place_risk::{PlaceCounts, place_colour};
use domain::validation::Message;

use crate::sql::{Tx, args};
use crate::{Result, Store, Viewer, from_ms, to_ms};

/// An open case (the risk list's meaning: not yet concluded).
const OPEN: &str = "c.status IN ('registered', 'accepted', 'dispatched', 'in_progress')";

/// The most cases a place names: the others are still counted.
const CASES_NAMED: i64 = 200;

/// Cases in one `IN` list, places written in one transaction.
const CHUNK: usize = 200;

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
    /// Re-evaluates the places the cases lie in, each once; returns how many places.
    pub(crate) async fn place_risk_evaluate_cases(&self, case_ids: &[i64], now: DateTime<Utc>) -> Result<usize> {
        let mut places = BTreeSet::new();
        for chunk in case_ids.chunks(CHUNK) {
            let mut a = Vec::new();
            let list = crate::sql::in_list(&mut a, chunk);
            let located: Vec<(String, Option<i64>)> = self
                .fetch_all(&format!("SELECT DISTINCT region_code, grid_id FROM cases WHERE id IN ({list})"), a)
                .await?;
            places.extend(located.iter().flat_map(|(region, grid)| Place::of(region, *grid)));
        }
        self.places_evaluate(&places, now).await?;
        Ok(places.len())
    }

    /// The nightly pass: re-evaluates every place that has open cases or a colour; returns how
    /// many places it evaluated.
    pub async fn place_risk_nightly(&self, now: DateTime<Utc>) -> Result<usize> {
        let open: Vec<(String, Option<i64>)> = self
            .fetch_all(&format!("SELECT DISTINCT c.region_code, c.grid_id FROM cases c WHERE {OPEN}"), args![])
            .await?;
        let coloured: Vec<(String, String, String)> =
            self.fetch_all("SELECT kind, place_key, region_code FROM place_risks", args![]).await?;
        let mut places: BTreeSet<Place> = open.iter().flat_map(|(region, grid)| Place::of(region, *grid)).collect();
        for (kind, key, region) in coloured {
            let kind = match kind.as_str() {
                "grid" => "grid",
                "community" => "community",
                _ => "street",
            };
            places.insert(Place { kind, key, region });
        }
        self.places_evaluate(&places, now).await?;
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

    /// Colours each place and records what changed: the places' rows, and a change of colour
    /// with its reasons; the writes of up to [`CHUNK`] places in one transaction.
    async fn places_evaluate(&self, places: &BTreeSet<Place>, now: DateTime<Utc>) -> Result<()> {
        let mut changed = Vec::new();
        for place in places {
            if let Some(assessed) = self.place_assess(place).await? {
                changed.push(assessed);
            }
        }
        for chunk in changed.chunks(CHUNK) {
            let mut tx = self.begin().await?;
            for assessed in chunk {
                place_record(&mut tx, assessed, now).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Counts what is open in a place and colours it; `None` when that is what is stored
    /// already (most events leave a place as it was, and the write is spared).
    async fn place_assess<'a>(&self, place: &'a Place) -> Result<Option<Assessed<'a>>> {
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
        let assessed = Assessed {
            place,
            colour,
            reasons: serde_json::to_string(&reasons).unwrap_or_default(),
            case_ids: serde_json::to_string(&case_ids).unwrap_or_default(),
        };
        let stored: Option<(String, String, String)> = self
            .fetch_optional(
                "SELECT colour, reasons, case_ids FROM place_risks WHERE kind = $1 AND place_key = $2",
                args![place.kind, place.key.clone()],
            )
            .await?;
        Ok(match stored {
            Some(row) if row == (colour.as_str().to_owned(), assessed.reasons.clone(), assessed.case_ids.clone()) => {
                None
            }
            None if colour == Risk::None => None,
            _ => Some(assessed),
        })
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

/// A place as just coloured: its colour, its reasons and its cases (both as stored, JSON).
struct Assessed<'a> {
    place: &'a Place,
    colour: Risk,
    reasons: String,
    case_ids: String,
}

/// Stores a place's colour, and its change of colour when it has one. A place seen for the first
/// time is first written uncoloured, and the colour before is read under the row's lock, so that
/// two evaluations at once record one change.
async fn place_record(tx: &mut Tx, assessed: &Assessed<'_>, now: DateTime<Utc>) -> Result<()> {
    let Assessed { place, colour, reasons, case_ids } = assessed;
    let at = to_ms(now);
    tx.execute(
        "INSERT INTO place_risks (kind, place_key, region_code, colour, reasons, case_ids, updated_at)
         VALUES ($1, $2, $3, 'none', '[]', '[]', $4) ON CONFLICT (kind, place_key) DO NOTHING",
        args![place.kind, place.key.clone(), place.region.clone(), at],
    )
    .await?;
    let (before,): (String,) = tx
        .fetch_optional_for_update(
            "SELECT colour FROM place_risks WHERE kind = $1 AND place_key = $2",
            args![place.kind, place.key.clone()],
        )
        .await?
        .ok_or(crate::StoreError::NotFound { what: "place" })?;
    tx.execute(
        "UPDATE place_risks SET colour = $1, reasons = $2, case_ids = $3, updated_at = $4 WHERE kind = $5 AND place_key = $6",
        args![colour.as_str(), reasons.clone(), case_ids.clone(), at, place.kind, place.key.clone()],
    )
    .await?;
    if before != colour.as_str() {
        tx.execute(
            "INSERT INTO place_risk_changes (kind, place_key, colour_before, colour, reasons, at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![place.kind, place.key.clone(), before, colour.as_str(), reasons.clone(), at],
        )
        .await?;
    }
    Ok(())
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
