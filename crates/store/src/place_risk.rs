//! 地点风险 (issue 16): the colour of a grid, a community and a street, from the open cases and
//! open alerts within them (`domain::place_risk`). Every event of a case re-evaluates the places
//! it lies in; the nightly pass re-evaluates every place. Each change of colour is kept in
//! `place_risk_changes` with its reasons.
//!
//! A place's open red, orange and yellow cases are counted in `place_open_cases`, kept by the
//! writes that change them, in their own transactions ([`PlaceCountChanges`]): a registration,
//! a step that opens or ends a case, a case an alert turns red. An event then reads a place's
//! counts in one row instead of counting a street's open cases (175 000 in one street of the
//! bench's million). The nightly pass counts every place again from the cases and puts right
//! whatever differs. The cases a place names (its oldest 200 open red and orange ones) are read
//! again only when an event may have changed them: for a grid or a community, the first 200 of
//! each colour in the index's order; for a street, from its communities' lists and its own.

use chrono::{DateTime, Utc};
use domain::case::Risk;
use domain::org::{RegionCode, RegionLevel};
use domain::place_risk::{PlaceCounts, place_colour};
use domain::validation::Message;

use std::collections::{BTreeMap, BTreeSet};

use crate::sql::{Arg, Tx, args};
use crate::{Result, Store, Viewer, from_ms, to_ms};

/// An open case (`Status::is_open`; the risk list's meaning: not yet concluded).
const OPEN: &str = "c.status IN ('registered', 'accepted', 'dispatched', 'in_progress')";

/// The most cases a place names: the others are still counted.
const CASES_NAMED: usize = 200;

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
    fn condition(&self) -> (&'static str, Vec<Arg>) {
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

/// The column of `place_open_cases` that counts a risk (none for an uncoloured case).
fn count_column(risk: Risk) -> Option<usize> {
    match risk {
        Risk::Red => Some(0),
        Risk::Orange => Some(1),
        Risk::Yellow => Some(2),
        Risk::None => None,
    }
}

/// Changes to the open red, orange and yellow cases of places, gathered by the writes of one
/// transaction and written in one statement.
#[derive(Debug, Default)]
pub(crate) struct PlaceCountChanges(BTreeMap<(&'static str, String), [i64; 3]>);

impl PlaceCountChanges {
    /// One open case of `risk` in `region` (and `grid`) counted (`delta` 1) or no longer (−1).
    pub(crate) fn add(&mut self, region: &str, grid: Option<i64>, risk: Risk, delta: i64) {
        let Some(column) = count_column(risk) else { return };
        for place in Place::of(region, grid) {
            self.0.entry((place.kind, place.key)).or_default()[column] += delta;
        }
    }

    /// Adds the changes to the counts, inside the transaction that made them.
    pub(crate) async fn write(self, tx: &mut Tx) -> Result<()> {
        let rows: Vec<Vec<Arg>> = (self.0.into_iter())
            .filter(|(_, counts)| counts != &[0; 3])
            .map(|((kind, key), [red, orange, yellow])| args![kind, key, red, orange, yellow])
            .collect();
        tx.insert_rows(
            "place_open_cases",
            "kind, place_key, red, orange, yellow",
            rows,
            "ON CONFLICT (kind, place_key) DO UPDATE SET red = place_open_cases.red + excluded.red,
                orange = place_open_cases.orange + excluded.orange, yellow = place_open_cases.yellow + excluded.yellow",
        )
        .await
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
    /// What a registration re-evaluates once its case is written: the rules on its respondents
    /// and people, then the places of the case and of every case an alert turned red.
    pub async fn risk_after_registration(&self, case_id: i64, now: DateTime<Utc>) -> Result<()> {
        let (region, grid, risk): (String, Option<i64>, String) =
            self.fetch_one("SELECT region_code, grid_id, risk FROM cases WHERE id = $1", args![case_id]).await?;
        let raised = self.alerts_evaluate_case(case_id, &region, now).await?;
        let renamed = matches!(Risk::parse(&risk), Some(Risk::Red | Risk::Orange)) || !raised.is_empty();
        let mut places = raised;
        places.push((region, grid));
        self.place_risk_evaluate_at(&places, renamed, now).await
    }

    /// Re-evaluates the places of the cases at `places` (region and grid), after an event that
    /// changed their open cases. `renamed`: the event may have changed which red and orange
    /// cases they have (a red or orange case registered, opened, ended or raised), so their
    /// named cases are read again; otherwise only their counts and alerts may have moved.
    pub async fn place_risk_evaluate_at(
        &self,
        places: &[(String, Option<i64>)],
        renamed: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let places: BTreeSet<Place> = places.iter().flat_map(|(region, grid)| Place::of(region, *grid)).collect();
        // Communities before streets: a street names cases from its communities' lists.
        for place in &places {
            self.place_risk_evaluate(place, renamed, now).await?;
        }
        Ok(())
    }

    /// The nightly pass: counts every place's open cases again from the cases (putting right
    /// any count that differs) and re-evaluates every place that has open cases or a colour;
    /// returns how many places it evaluated.
    pub async fn place_risk_nightly(&self, now: DateTime<Utc>) -> Result<usize> {
        let open: Vec<(String, Option<i64>, String, i64)> = self
            .fetch_all(
                &format!(
                    "SELECT c.region_code, c.grid_id, c.risk, COUNT(*) FROM cases c WHERE {OPEN}
                     AND c.risk IN ('red', 'orange', 'yellow') GROUP BY c.region_code, c.grid_id, c.risk"
                ),
                args![],
            )
            .await?;
        let mut counted = PlaceCountChanges::default();
        for (region, grid, risk, n) in &open {
            counted.add(region, *grid, Risk::parse(risk).unwrap_or(Risk::None), *n);
        }
        let kept: Vec<(String, String, i64, i64, i64)> =
            self.fetch_all("SELECT kind, place_key, red, orange, yellow FROM place_open_cases", args![]).await?;
        let mut kept: BTreeMap<(String, String), [i64; 3]> =
            kept.into_iter().map(|(kind, key, r, o, y)| ((kind, key), [r, o, y])).collect();
        let mut corrections: Vec<Vec<Arg>> = Vec::new();
        for ((kind, key), counts) in &counted.0 {
            if kept.remove(&((*kind).to_owned(), key.clone())) != Some(*counts) {
                corrections.push(args![*kind, key.clone(), counts[0], counts[1], counts[2]]);
            }
        }
        for ((kind, key), counts) in kept {
            if counts != [0; 3] {
                corrections.push(args![kind, key, 0_i64, 0_i64, 0_i64]);
            }
        }
        if !corrections.is_empty() {
            tracing::warn!(places = corrections.len(), "nightly pass: open case counts put right");
            let mut tx = self.begin().await?;
            tx.insert_rows(
                "place_open_cases",
                "kind, place_key, red, orange, yellow",
                corrections,
                "ON CONFLICT (kind, place_key) DO UPDATE SET red = excluded.red, orange = excluded.orange,
                    yellow = excluded.yellow",
            )
            .await?;
            tx.commit().await?;
        }
        let coloured: Vec<(String, String, String)> =
            self.fetch_all("SELECT kind, place_key, region_code FROM place_risks", args![]).await?;
        let mut places: BTreeSet<Place> =
            open.iter().flat_map(|(region, grid, _, _)| Place::of(region, *grid)).collect();
        for (kind, key, region) in coloured {
            let kind = match kind.as_str() {
                "grid" => "grid",
                "community" => "community",
                _ => "street",
            };
            places.insert(Place { kind, key, region });
        }
        for place in &places {
            self.place_risk_evaluate(place, true, now).await?;
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

    /// Colours a place from its counts and alerts, and records a change of colour.
    async fn place_risk_evaluate(&self, place: &Place, renamed: bool, now: DateTime<Utc>) -> Result<()> {
        let counted: Option<(i64, i64, i64)> = self
            .fetch_optional(
                "SELECT red, orange, yellow FROM place_open_cases WHERE kind = $1 AND place_key = $2",
                args![place.kind, place.key.clone()],
            )
            .await?;
        let (red, orange, yellow) = counted.unwrap_or_default();
        let mut counts =
            PlaceCounts { red_cases: red, orange_cases: orange, yellow_cases: yellow, ..PlaceCounts::default() };
        if place.kind != "grid" {
            let (condition, a) = place.condition();
            let alerts: Vec<(String, i64)> = self
                .fetch_all(
                    &format!("SELECT c.colour, COUNT(*) FROM alerts c WHERE c.status = 'open' AND {condition} GROUP BY c.colour"),
                    a,
                )
                .await?;
            let alerted = |risk: Risk| alerts.iter().find(|(r, _)| r == risk.as_str()).map_or(0, |(_, n)| *n);
            counts.red_alerts = alerted(Risk::Red);
            counts.orange_alerts = alerted(Risk::Orange);
        }
        let (colour, reasons) = place_colour(&counts);
        let stored: Option<(String, String, String)> = self
            .fetch_optional(
                "SELECT colour, reasons, case_ids FROM place_risks WHERE kind = $1 AND place_key = $2",
                args![place.kind, place.key.clone()],
            )
            .await?;
        let case_list = match &stored {
            _ if red + orange == 0 => "[]".to_owned(),
            Some((_, _, named)) if !renamed => named.clone(),
            _ => serde_json::to_string(&self.place_cases_named(place).await?).unwrap_or_default(),
        };
        let reasons = serde_json::to_string(&reasons).unwrap_or_default();
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

    /// The oldest open red and orange cases of a place, at most `CASES_NAMED`. A grid's or a
    /// community's are read in the order of its index, each colour's first ones; a street's are
    /// the oldest of its communities' lists (each holds its community's oldest) and of the
    /// cases placed on the street itself.
    async fn place_cases_named(&self, place: &Place) -> Result<Vec<i64>> {
        let mut ids: Vec<i64> = Vec::new();
        let own = match place.kind {
            "street" => {
                let (within, a) = place.condition();
                let lists: Vec<(String,)> = self
                    .fetch_all(
                        &format!("SELECT c.case_ids FROM place_risks c WHERE c.kind = 'community' AND {within}"),
                        a,
                    )
                    .await?;
                for (list,) in lists {
                    ids.extend(serde_json::from_str::<Vec<i64>>(&list).unwrap_or_default());
                }
                // The cases placed on the street itself: its code alone, as a community's.
                Place { kind: "community", ..place.clone() }
            }
            _ => place.clone(),
        };
        let (condition, a) = own.condition();
        let n = a.len() + 1;
        for risk in [Risk::Red, Risk::Orange] {
            let mut a = a.clone();
            a.push(risk.as_str().into());
            let found: Vec<(i64,)> = self
                .fetch_all(
                    &format!(
                        "SELECT c.id FROM cases c WHERE {OPEN} AND {condition} AND c.risk = ${n} ORDER BY c.id LIMIT {CASES_NAMED}"
                    ),
                    a,
                )
                .await?;
            ids.extend(found.into_iter().map(|(id,)| id));
        }
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(CASES_NAMED);
        Ok(ids)
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
