//! The route (一网分流): which unit at which level should lead and which should assist, from
//! the responsibility catalogue (派单目录) — territory (属地), level (分级负责), sector (条) and
//! joint handling (联合调处) — with every rule that fired named.

use domain::case::{Category, Risk};
use domain::msg;
use domain::org::{RegionCode, RegionLevel};
use domain::validation::{Arg, Message};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether a catalogue unit leads or assists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueRole {
    Lead,
    Assist,
}

/// One line of the catalogue: for cases of this category (in this region), this unit leads or
/// assists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogueEntry {
    pub category: Category,
    /// A region code prefix (e.g. "620102"); absent: everywhere.
    #[serde(default)]
    pub region_prefix: Option<String>,
    pub unit_id: i64,
    pub role: CatalogueRole,
    #[serde(default)]
    pub note: Option<String>,
}

/// 分级负责: what moves a case up from the community or street.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct LevelRules {
    /// From this amount (fen) a case goes to the district …
    pub district_amount_fen: i64,
    /// … from this many people …
    pub district_people: i64,
    /// … and every red case.
    pub red_to_district: bool,
    /// From this amount (fen) to the city …
    pub city_amount_fen: i64,
    /// … and from this many people.
    pub city_people: i64,
}

impl Default for LevelRules {
    fn default() -> Self {
        Self {
            district_amount_fen: 50_000_000,
            district_people: 30,
            red_to_district: true,
            city_amount_fen: 500_000_000,
            city_people: 100,
        }
    }
}

/// A governance centre (综治中心) of the deployment and its region.
#[derive(Debug, Clone)]
pub struct Centre {
    pub unit_id: i64,
    pub name: String,
    pub region: RegionCode,
}

/// A unit's name for reasons.
pub struct UnitName<'a> {
    pub unit_id: i64,
    pub name: &'a str,
}

/// What the route depends on.
pub struct RouteFacts<'a> {
    /// None when the type is not known (the classifier was unsure and no one chose it): the
    /// territory alone decides, and no sector unit is drawn in on a guess.
    pub category: Option<Category>,
    pub risk: Risk,
    pub people: i64,
    pub amount_fen: Option<i64>,
    pub region: &'a RegionCode,
    /// The region's name, as the reasons name the place to a person (never its code).
    pub region_name: &'a str,
    /// The parties live in different districts (跨区域).
    pub cross_jurisdiction: bool,
}

/// The suggested route. Kept with the case as JSON; its reasons are messages of the catalogue
/// (`route.*`), read back from older rows as plain text (see [`Message`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The lead unit.
    pub unit_id: Option<i64>,
    pub level: RegionLevel,
    #[serde(default)]
    pub assist_unit_ids: Vec<i64>,
    /// Lead plus assisting units: 联合调处.
    #[serde(default)]
    pub joint: bool,
    pub reasons: Vec<Message>,
    #[serde(default)]
    /// The rules that fired: territory, level:amount, level:people, level:risk, level:cross_jurisdiction, sector:lead, sector:assist.
    pub rules: Vec<String>,
}

/// The level a case belongs at: as low as its place allows, raised by the level rules.
pub fn level(
    facts: &RouteFacts<'_>,
    rules: &LevelRules,
    reasons: &mut Vec<Message>,
    fired: &mut Vec<String>,
) -> RegionLevel {
    let mut level = match facts.region.level() {
        RegionLevel::Province | RegionLevel::City => RegionLevel::City,
        other => other,
    };
    let mut raise = |to: RegionLevel, rule: &str, why: Message| {
        if to < level {
            level = to;
        }
        fired.push(rule.to_owned());
        reasons.push(why);
    };
    let amount = facts.amount_fen.unwrap_or(0);
    if amount >= rules.city_amount_fen {
        raise(
            RegionLevel::City,
            "level:amount",
            msg!("route.level.amount_city", amount = amount / 100, threshold = rules.city_amount_fen / 100),
        );
    } else if amount >= rules.district_amount_fen {
        raise(
            RegionLevel::District,
            "level:amount",
            msg!("route.level.amount_district", amount = amount / 100, threshold = rules.district_amount_fen / 100),
        );
    }
    if facts.people >= rules.city_people {
        raise(
            RegionLevel::City,
            "level:people",
            msg!("route.level.people_city", people = facts.people, threshold = rules.city_people),
        );
    } else if facts.people >= rules.district_people {
        raise(
            RegionLevel::District,
            "level:people",
            msg!("route.level.people_district", people = facts.people, threshold = rules.district_people),
        );
    }
    if rules.red_to_district && facts.risk == Risk::Red {
        raise(RegionLevel::District, "level:risk", msg!("route.level.risk"));
    }
    if facts.cross_jurisdiction {
        raise(RegionLevel::District, "level:cross_jurisdiction", msg!("route.level.cross_jurisdiction"));
    }
    level
}

/// The centre of the region's ancestor at `level`, or the nearest one above it.
pub fn territorial_centre<'a>(region: &RegionCode, level: RegionLevel, centres: &'a [Centre]) -> Option<&'a Centre> {
    let mut code = region.clone();
    while code.level() > level {
        code = code.parent()?;
    }
    loop {
        if let Some(centre) = centres.iter().find(|c| c.region == code) {
            return Some(centre);
        }
        code = code.parent()?;
    }
}

/// The whole suggestion.
pub fn suggest(
    facts: &RouteFacts<'_>,
    rules: &LevelRules,
    catalogue: &[CatalogueEntry],
    centres: &[Centre],
    names: &[UnitName<'_>],
) -> Route {
    let mut reasons = Vec::new();
    let mut fired = Vec::new();
    let level = level(facts, rules, &mut reasons, &mut fired);
    let name = |id: i64| -> Arg {
        names.iter().find(|n| n.unit_id == id).map_or_else(|| msg!("route.unit", id = id).into(), |n| n.name.into())
    };
    let territory = territorial_centre(facts.region, level, centres);
    match territory {
        Some(centre) => {
            fired.insert(0, "territory".to_owned());
            reasons.insert(
                0,
                msg!(
                    "route.territory",
                    region = facts.region_name,
                    centre = &centre.name,
                    level = Arg::code("level", centre.region.level().as_str()),
                ),
            );
        }
        None => reasons.insert(0, msg!("route.territory_missing")),
    }
    let applies = |e: &&CatalogueEntry| {
        Some(e.category) == facts.category
            && e.region_prefix.as_deref().is_none_or(|p| facts.region.as_str().starts_with(p))
    };
    let sector: Vec<&CatalogueEntry> = catalogue.iter().filter(applies).collect();
    let sector_lead = sector.iter().find(|e| e.role == CatalogueRole::Lead);
    let mut assists: Vec<i64> = Vec::new();
    let lead = match (sector_lead, territory) {
        (Some(entry), territory) => {
            fired.push("sector:lead".to_owned());
            reasons.push(msg!(
                "route.sector_lead",
                category = Arg::code("category", entry.category.as_str()),
                unit = name(entry.unit_id),
            ));
            if let Some(centre) = territory {
                assists.push(centre.unit_id);
                reasons.push(msg!("route.territory_assists", centre = &centre.name));
            }
            Some(entry.unit_id)
        }
        (None, Some(centre)) => Some(centre.unit_id),
        (None, None) => None,
    };
    for entry in sector.iter().filter(|e| e.role == CatalogueRole::Assist) {
        if Some(entry.unit_id) != lead && !assists.contains(&entry.unit_id) {
            assists.push(entry.unit_id);
            fired.push("sector:assist".to_owned());
            let note = entry.note.as_deref().map_or_else(|| Arg::code("category", entry.category.as_str()), Arg::from);
            reasons.push(msg!("route.sector_assist", unit = name(entry.unit_id), note = note));
        }
    }
    if !assists.is_empty() {
        let lead = lead.map_or_else(|| Arg::from(""), name);
        reasons.push(msg!("route.joint", lead = lead, assists = assists.len()));
    }
    Route { unit_id: lead, level, joint: !assists.is_empty(), assist_unit_ids: assists, reasons, rules: fired }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::i18n::{T, UiLang};

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn centres() -> Vec<Centre> {
        let c = |id: i64, name: &str, region: &str| Centre { unit_id: id, name: name.into(), region: code(region) };
        vec![
            c(1, "兰州市综治中心", "620100"),
            c(2, "城关区综治中心", "620102"),
            c(3, "张掖路街道综治中心", "620102002000"),
            c(4, "中山林社区综治中心", "620102002001"),
        ]
    }

    fn facts<'a>(region: &'a RegionCode, category: Category) -> RouteFacts<'a> {
        RouteFacts {
            category: Some(category),
            risk: Risk::None,
            people: 1,
            amount_fen: Some(100_000),
            region,
            region_name: "中山林社区",
            cross_jurisdiction: false,
        }
    }

    const LABOUR: i64 = 10;
    const WOMEN: i64 = 11;

    fn catalogue() -> Vec<CatalogueEntry> {
        vec![
            CatalogueEntry {
                category: Category::Labor,
                region_prefix: Some("620102".into()),
                unit_id: LABOUR,
                role: CatalogueRole::Lead,
                note: None,
            },
            CatalogueEntry {
                category: Category::MarriageFamily,
                region_prefix: None,
                unit_id: WOMEN,
                role: CatalogueRole::Assist,
                note: Some("维护妇女儿童权益".into()),
            },
        ]
    }

    #[test]
    fn small_matters_stay_in_the_community() {
        let region = code("620102002001");
        let r = suggest(&facts(&region, Category::Neighbor), &LevelRules::default(), &catalogue(), &centres(), &[]);
        assert_eq!((r.unit_id, r.level, r.joint), (Some(4), RegionLevel::Community, false));
        assert_eq!(r.rules, ["territory"]);
        assert_eq!(
            T::default().msg(&r.reasons[0]),
            "属地管理：纠纷发生地 中山林社区 属 中山林社区综治中心（村社区级）"
        );
        let english = T { lang: UiLang::En }.msg(&r.reasons[0]);
        assert!(english.starts_with("Territorial management"), "{english}");
    }

    #[test]
    fn amount_people_risk_and_jurisdiction_move_a_case_up() {
        let region = code("620102002001");
        let mut f = facts(&region, Category::Neighbor);
        f.amount_fen = Some(60_000_000);
        let r = suggest(&f, &LevelRules::default(), &[], &centres(), &[]);
        assert_eq!((r.unit_id, r.level), (Some(2), RegionLevel::District));
        assert!(r.rules.contains(&"level:amount".to_owned()));
        f.amount_fen = None;
        f.people = 120;
        assert_eq!(suggest(&f, &LevelRules::default(), &[], &centres(), &[]).unit_id, Some(1));
        let mut f = facts(&region, Category::Neighbor);
        f.risk = Risk::Red;
        assert_eq!(suggest(&f, &LevelRules::default(), &[], &centres(), &[]).level, RegionLevel::District);
        let mut f = facts(&region, Category::Neighbor);
        f.cross_jurisdiction = true;
        let r = suggest(&f, &LevelRules::default(), &[], &centres(), &[]);
        assert!(r.rules.contains(&"level:cross_jurisdiction".to_owned()));
    }

    #[test]
    fn sector_units_lead_or_assist_and_territory_joins() {
        let region = code("620102002001");
        let names = [UnitName { unit_id: LABOUR, name: "城关区劳动人事争议调解中心" }];
        let r = suggest(&facts(&region, Category::Labor), &LevelRules::default(), &catalogue(), &centres(), &names);
        assert_eq!((r.unit_id, r.assist_unit_ids.clone(), r.joint), (Some(LABOUR), vec![4], true));
        let reasons: Vec<String> = r.reasons.iter().map(|m| T::default().msg(m)).collect();
        assert!(
            reasons.contains(&"条块结合：劳动争议类纠纷由专业调解组织 城关区劳动人事争议调解中心 牵头".to_owned()),
            "{reasons:?}"
        );
        let r =
            suggest(&facts(&region, Category::MarriageFamily), &LevelRules::default(), &catalogue(), &centres(), &[]);
        assert_eq!((r.unit_id, r.assist_unit_ids.clone()), (Some(4), vec![WOMEN]));
        assert!(r.rules.contains(&"sector:assist".to_owned()));
        // The labour line applies in Chengguan only.
        let elsewhere = code("620103001001");
        let r = suggest(&facts(&elsewhere, Category::Labor), &LevelRules::default(), &catalogue(), &centres(), &[]);
        assert_eq!(r.unit_id, Some(1), "no centre in 七里河 in this fixture: the nearest above");
    }

    #[test]
    fn an_unknown_type_draws_in_no_sector_unit() {
        let region = code("620102002001");
        let mut f = facts(&region, Category::MarriageFamily);
        f.category = None;
        let r = suggest(&f, &LevelRules::default(), &catalogue(), &centres(), &[]);
        assert_eq!((r.unit_id, r.assist_unit_ids, r.joint), (Some(4), vec![], false));
        assert_eq!(r.rules, ["territory"]);
    }
}
