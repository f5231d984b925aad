//! 辖区边界: the boundary of a region (district, street, community) as the command screen's map
//! draws it — a GeoJSON `Polygon` or `MultiPolygon` of [lng, lat] — and the import of a
//! GeoJSON `FeatureCollection` by an administrator: each feature matched to a child region of
//! the one imported into (or a grid of a community), by its code (`id`, `properties.code` or
//! `properties.adcode`: six, nine or twelve digits, fifteen for a grid) or else by its name
//! (`properties.name`, full or short).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::msg;
use crate::validation::{FieldError, Message};

/// The most positions a boundary import may hold: a city's districts drawn finely are about
/// 70 000; a file far above that is not a boundary file.
pub const MAX_POSITIONS: usize = 400_000;

/// A position: longitude then latitude, in degrees (WGS-84 or GCJ-02, as the deployment's maps).
pub type Position = [f64; 2];

/// A boundary: one polygon or several (a district with an exclave), each polygon an outer ring
/// and its holes, each ring closed (its last position is its first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "coordinates")]
pub enum Boundary {
    Polygon(Vec<Vec<Position>>),
    MultiPolygon(Vec<Vec<Vec<Position>>>),
}

impl Boundary {
    /// The grid's polygon as recorded (one ring, closed or not) as a boundary.
    pub fn from_ring(ring: Vec<Position>) -> Option<Boundary> {
        close(ring).map(|ring| Boundary::Polygon(vec![ring]))
    }

    /// The outer ring of the first polygon: what a grid records (triage finds a case's grid by it).
    pub fn outer_ring(&self) -> &[Position] {
        let first = match self {
            Boundary::Polygon(rings) => rings.first(),
            Boundary::MultiPolygon(polygons) => polygons.first().and_then(|p| p.first()),
        };
        first.map_or(&[], Vec::as_slice)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored boundary, `None` when it is not one (written by an older import, edited by hand).
    pub fn from_json(text: &str) -> Option<Boundary> {
        serde_json::from_str(text).ok()
    }
}

/// A child region a feature may name: its twelve-digit code, its name and short name.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub short_name: Option<&'a str>,
}

/// What an import found: the boundary of each child region it names (at most one per region,
/// the first), and the features it could not place, by their names or codes.
#[derive(Debug, Default, PartialEq)]
pub struct BoundaryImport {
    pub matched: Vec<(String, Boundary)>,
    pub unmatched: Vec<String>,
}

/// Reads a GeoJSON `FeatureCollection` (or one `Feature`) against the child regions it may
/// name. The whole file is refused, naming `field`, when it is not GeoJSON of polygons, when a
/// coordinate lies outside [-180, 180] × [-90, 90], a ring has fewer than three positions, or
/// when it holds more than [`MAX_POSITIONS`].
pub fn import_boundaries(field: &str, text: &str, children: &[Candidate<'_>]) -> Result<BoundaryImport, FieldError> {
    let refuse = |reason: Message| FieldError::new(field, "invalid_geojson", reason);
    let value: Value = serde_json::from_str(text).map_err(|_| refuse(msg!("geo.not_json")))?;
    let features = match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match value.get("features").and_then(Value::as_array) {
            Some(features) => features.as_slice(),
            None => return Err(refuse(msg!("geo.not_collection"))),
        },
        Some("Feature") => std::slice::from_ref(&value),
        _ => return Err(refuse(msg!("geo.not_collection"))),
    };
    let mut positions = 0;
    let mut import = BoundaryImport::default();
    for (index, feature) in features.iter().enumerate() {
        let label = feature_label(feature).unwrap_or_else(|| format!("#{}", index + 1));
        let geometry = feature.get("geometry").filter(|g| !g.is_null());
        let Some(geometry) = geometry else {
            return Err(refuse(msg!("geo.no_geometry", feature = label)));
        };
        let boundary = boundary_of(geometry).ok_or_else(|| refuse(msg!("geo.not_polygon", feature = label.clone())))?;
        positions += count_positions(&boundary);
        if positions > MAX_POSITIONS {
            return Err(refuse(msg!("geo.too_large", max = MAX_POSITIONS.to_string())));
        }
        match children.iter().find(|c| names(feature, c)) {
            Some(child) if !import.matched.iter().any(|(code, _)| code == child.code) => {
                import.matched.push((child.code.to_owned(), boundary));
            }
            Some(_) => {}
            None => import.unmatched.push(label),
        }
    }
    Ok(import)
}

/// A feature's name or code, as an administrator would recognise it.
fn feature_label(feature: &Value) -> Option<String> {
    let properties = feature.get("properties");
    properties.and_then(|p| p.get("name")).and_then(Value::as_str).map(str::to_owned).or_else(|| feature_code(feature))
}

/// The code a feature carries, as digits: `id`, else `properties.code`, else `properties.adcode`.
fn feature_code(feature: &Value) -> Option<String> {
    let properties = feature.get("properties");
    [feature.get("id"), properties.and_then(|p| p.get("code")), properties.and_then(|p| p.get("adcode"))]
        .into_iter()
        .flatten()
        .find_map(|v| match v {
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Some(s.clone()),
            Value::Number(n) => n.as_u64().map(|n| n.to_string()),
            _ => None,
        })
}

/// Whether the feature names this child: a code equal to the child's (a region's twelve
/// digits, a grid's fifteen), or of 6 or 9 digits equal to it padded with zeros to twelve;
/// else the same name or short name.
fn names(feature: &Value, child: &Candidate<'_>) -> bool {
    if let Some(code) = feature_code(feature) {
        if code.len() == child.code.len() {
            return code == child.code;
        }
        if matches!(code.len(), 6 | 9) {
            return format!("{code:0<12}") == child.code;
        }
    }
    let name = feature.get("properties").and_then(|p| p.get("name")).and_then(Value::as_str).map(str::trim);
    name.is_some_and(|n| !n.is_empty() && (n == child.name || Some(n) == child.short_name))
}

fn boundary_of(geometry: &Value) -> Option<Boundary> {
    let coordinates = geometry.get("coordinates")?;
    match geometry.get("type")?.as_str()? {
        "Polygon" => polygon(coordinates).map(Boundary::Polygon),
        "MultiPolygon" => {
            coordinates.as_array()?.iter().map(polygon).collect::<Option<_>>().map(Boundary::MultiPolygon)
        }
        _ => None,
    }
}

fn polygon(value: &Value) -> Option<Vec<Vec<Position>>> {
    let rings: Vec<Vec<Position>> = value.as_array()?.iter().map(ring).collect::<Option<_>>()?;
    (!rings.is_empty()).then_some(rings)
}

fn ring(value: &Value) -> Option<Vec<Position>> {
    let positions = value.as_array()?.iter().map(position).collect::<Option<Vec<_>>>()?;
    close(positions)
}

/// A position (a third number, the altitude, is dropped) inside the range of degrees.
fn position(value: &Value) -> Option<Position> {
    let numbers = value.as_array()?;
    let (lng, lat) = (numbers.first()?.as_f64()?, numbers.get(1)?.as_f64()?);
    ((-180.0..=180.0).contains(&lng) && (-90.0..=90.0).contains(&lat)).then_some([lng, lat])
}

/// The ring closed (its first position repeated at the end), if it has three distinct corners.
fn close(mut ring: Vec<Position>) -> Option<Vec<Position>> {
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    if ring.len() < 3 {
        return None;
    }
    ring.push(ring[0]);
    Some(ring)
}

fn count_positions(boundary: &Boundary) -> usize {
    match boundary {
        Boundary::Polygon(rings) => rings.iter().map(Vec::len).sum(),
        Boundary::MultiPolygon(polygons) => polygons.iter().flatten().map(Vec::len).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn districts() -> Vec<Candidate<'static>> {
        vec![
            Candidate { code: "620102000000", name: "城关区", short_name: None },
            Candidate { code: "620103000000", name: "七里河区", short_name: None },
            Candidate { code: "620102002000", name: "张掖路街道", short_name: Some("张掖路") },
        ]
    }

    const SQUARE: &str = "[[[103.8,36.0],[103.9,36.0],[103.9,36.1],[103.8,36.1],[103.8,36.0]]]";

    fn feature(id: &str, name: &str, geometry: &str) -> String {
        format!(r#"{{"type":"Feature","id":{id},"properties":{{"name":"{name}"}},"geometry":{geometry}}}"#)
    }

    fn collection(features: &[String]) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
    }

    fn polygon_json() -> String {
        format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#)
    }

    #[test]
    fn features_are_matched_by_six_nine_or_twelve_digit_codes() {
        let text = collection(&[
            feature("\"620102\"", "whatever", &polygon_json()),
            feature("620103000000", "", &polygon_json()),
            feature("\"620102002\"", "", &polygon_json()),
        ]);
        let import = import_boundaries("file", &text, &districts()).unwrap();
        let codes: Vec<&str> = import.matched.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["620102000000", "620103000000", "620102002000"]);
        assert!(import.unmatched.is_empty());
    }

    #[test]
    fn features_without_a_code_are_matched_by_name_or_short_name() {
        let text = collection(&[
            feature("null", "七里河区", &polygon_json()),
            feature("null", "张掖路", &polygon_json()),
            feature("null", "西固区", &polygon_json()),
        ]);
        let import = import_boundaries("file", &text, &districts()).unwrap();
        let codes: Vec<&str> = import.matched.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["620103000000", "620102002000"]);
        assert_eq!(import.unmatched, ["西固区"]);
    }

    #[test]
    fn a_code_of_another_region_does_not_fall_back_to_the_name() {
        let text = collection(&[feature("\"620104\"", "城关区", &polygon_json())]);
        let import = import_boundaries("file", &text, &districts()).unwrap();
        assert!(import.matched.is_empty());
        assert_eq!(import.unmatched, ["城关区"]);
    }

    #[test]
    fn the_first_feature_of_a_region_wins() {
        let other = r#"{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2]]]}"#;
        let text = collection(&[feature("\"620102\"", "", &polygon_json()), feature("\"620102\"", "", other)]);
        let import = import_boundaries("file", &text, &districts()).unwrap();
        assert_eq!(import.matched.len(), 1);
        assert_eq!(import.matched[0].1, serde_json::from_str(&polygon_json()).unwrap());
    }

    #[test]
    fn rings_are_closed_and_altitudes_dropped() {
        let open = r#"{"type":"MultiPolygon","coordinates":[[[[103.8,36.0,1500],[103.9,36.0],[103.9,36.1]]]]}"#;
        let import = import_boundaries("file", &collection(&[feature("\"620103\"", "", open)]), &districts()).unwrap();
        assert_eq!(
            import.matched[0].1,
            Boundary::MultiPolygon(vec![vec![vec![[103.8, 36.0], [103.9, 36.0], [103.9, 36.1], [103.8, 36.0]]]])
        );
    }

    #[test]
    fn a_single_feature_is_a_collection_of_one() {
        let import = import_boundaries("file", &feature("\"620102\"", "", &polygon_json()), &districts()).unwrap();
        assert_eq!(import.matched.len(), 1);
    }

    #[test]
    fn what_is_not_a_boundary_file_is_refused_naming_the_field() {
        let cases = [
            "not json".to_owned(),
            r#"{"type":"Point","coordinates":[1,2]}"#.to_owned(),
            r#"{"type":"FeatureCollection"}"#.to_owned(),
            collection(&[feature("\"620102\"", "城关区", r#"{"type":"Point","coordinates":[1,2]}"#)]),
            collection(&[feature("\"620102\"", "城关区", r#"{"type":"Polygon","coordinates":[[[1,2],[3,4]]]}"#)]),
            collection(&[feature(
                "\"620102\"",
                "城关区",
                r#"{"type":"Polygon","coordinates":[[[1,2],[3,4],[200,4]]]}"#,
            )]),
            collection(&[feature("\"620102\"", "城关区", "null")]),
            collection(&[feature("\"620102\"", "城关区", r#"{"type":"Polygon","coordinates":[]}"#)]),
        ];
        for text in cases {
            let error = import_boundaries("file", &text, &districts()).unwrap_err();
            assert_eq!(error.field, "file", "{text}");
            assert_eq!(error.code, "invalid_geojson", "{text}");
        }
    }

    #[test]
    fn a_file_beyond_the_limit_is_refused() {
        let ring: Vec<String> = (0..MAX_POSITIONS + 2).map(|i| format!("[{},{}]", i % 90, i % 80)).collect();
        let geometry = format!(r#"{{"type":"Polygon","coordinates":[[{}]]}}"#, ring.join(","));
        let error =
            import_boundaries("file", &collection(&[feature("\"620102\"", "", &geometry)]), &districts()).unwrap_err();
        assert_eq!(error.message().key, "geo.too_large");
    }

    #[test]
    fn grids_are_matched_by_their_fifteen_digit_codes() {
        let grids = [Candidate { code: "620102002001001", name: "中山林社区第1网格", short_name: None }];
        let text = collection(&[feature("\"620102002001001\"", "", &polygon_json())]);
        let import = import_boundaries("file", &text, &grids).unwrap();
        assert_eq!(import.matched.len(), 1);
        assert_eq!(import.matched[0].1.outer_ring().len(), 5);
    }

    #[test]
    fn a_grid_ring_is_a_closed_polygon() {
        let boundary = Boundary::from_ring(vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0]]).unwrap();
        assert_eq!(
            boundary.to_json(),
            r#"{"type":"Polygon","coordinates":[[[1.0,1.0],[2.0,1.0],[2.0,2.0],[1.0,1.0]]]}"#
        );
        assert_eq!(Boundary::from_json(&boundary.to_json()), Some(boundary));
        assert_eq!(Boundary::from_ring(vec![[1.0, 1.0], [2.0, 1.0], [1.0, 1.0]]), None);
    }
}
