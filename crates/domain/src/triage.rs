//! First triage at registration (分析研判): a suggested category when the client sent none,
//! the risk colour with its reasons, and the level that should handle the case. Every
//! suggestion says why. The trained classifier and the configurable rules of the triage issue
//! build on these seams.

use crate::case::{Category, NewCase, Risk};
use crate::org::RegionLevel;

/// Words that point to a category, strongest first within each list.
const CATEGORY_WORDS: &[(Category, &[&str])] = &[
    (Category::Labor, &["欠薪", "拖欠工资", "工资", "讨薪", "劳动合同", "工伤", "农民工", "加班费", "辞退", "社保"]),
    (Category::Traffic, &["交通事故", "车祸", "追尾", "撞", "交警", "肇事", "电动车"]),
    (Category::Medical, &["医院", "手术", "医疗", "误诊", "医生", "治疗"]),
    (Category::PropertyManagement, &["物业", "物业费", "电梯", "小区", "停车位"]),
    (Category::MarriageFamily, &["离婚", "婚姻", "赡养", "抚养", "继承", "遗产", "彩礼", "家暴", "子女"]),
    (Category::Neighbor, &["邻居", "邻里", "漏水", "噪音", "楼上", "楼下", "占道"]),
    (Category::LandHousing, &["宅基地", "房屋", "违建", "院墙", "翻建"]),
    (Category::ForestLand, &["土地承包", "山林", "林地", "耕地", "地界"]),
    (Category::Demolition, &["拆迁", "征地", "补偿款", "安置"]),
    (Category::RealEstate, &["逾期交房", "开发商", "购房", "房产证", "商品房"]),
    (Category::Consumer, &["退款", "商家", "消费", "预付卡", "质量问题"]),
    (Category::Finance, &["借款", "欠款", "贷款", "保险", "理财", "借条"]),
    (Category::Contract, &["合同", "违约", "货款", "租金", "租赁"]),
    (Category::Environment, &["污染", "排污", "异味", "粉尘"]),
    (Category::VillageAffairs, &["村委会", "村务", "分红", "集体"]),
    (Category::Ecommerce, &["网购", "外卖", "骑手", "平台", "网店"]),
    (Category::Tourism, &["旅游", "导游", "旅行社"]),
    (Category::IntellectualProperty, &["商标", "专利", "著作权", "侵权"]),
    (Category::Damages, &["赔偿", "受伤", "损坏", "打伤"]),
    (Category::Business, &["经营", "合伙", "股东"]),
];

/// A suggested category and the words that drove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySuggestion {
    pub category: Category,
    pub words: Vec<&'static str>,
}

/// Suggests the category with the most matching words; `other` when none matches.
pub fn suggest_category(text: &str) -> CategorySuggestion {
    CATEGORY_WORDS
        .iter()
        .map(|(category, words)| {
            let hits: Vec<&'static str> = words.iter().copied().filter(|w| text.contains(w)).collect();
            CategorySuggestion { category: *category, words: hits }
        })
        .filter(|s| !s.words.is_empty())
        .max_by_key(|s| s.words.len())
        .unwrap_or(CategorySuggestion { category: Category::Other, words: Vec::new() })
}

/// Words of violence, revenge or self-harm: the danger that a civil dispute turns criminal
/// (民转刑, People's Mediation Law art. 25).
const VIOLENCE_WORDS: &[&str] =
    &["同归于尽", "拼命", "杀", "砍", "报复", "跳楼", "自杀", "喝农药", "放火", "炸", "动刀", "打死"];
/// Markers that, just before a violence word, negate it ("没有动手").
const NEGATIONS: &[&str] = &["没有", "没", "未", "不会", "并未", "不是"];

/// Thresholds for the risk colour; the triage issue makes them data an admin edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskThresholds {
    /// 群体性: this many people or more makes a case orange (DOMAIN.md §5.5).
    pub group_people: i64,
    /// This many makes it red.
    pub mass_people: i64,
    /// An amount (fen) at or above which a case is yellow.
    pub large_amount_fen: i64,
}

impl Default for RiskThresholds {
    fn default() -> Self {
        Self { group_people: 5, mass_people: 30, large_amount_fen: 10_000_000 }
    }
}

/// The risk colour and each reason that raised it.
pub fn assess_risk(case: &NewCase, category: Category, thresholds: &RiskThresholds) -> (Risk, Vec<String>) {
    let mut risk = Risk::None;
    let mut reasons = Vec::new();
    let mut raise = |to: Risk, reason: String| {
        if rank(to) > rank(risk) {
            risk = to;
        }
        reasons.push(reason);
    };
    if let Some(word) = violence_word(&case.description) {
        raise(
            Risk::Red,
            format!("事实中出现暴力、报复或自伤言辞“{word}”，有民转刑风险，建议同步移送公安（人民调解法第二十五条）"),
        );
    }
    if case.people_count >= thresholds.mass_people {
        raise(
            Risk::Red,
            format!("涉及 {} 人，达到群体性事件预警线（{} 人）", case.people_count, thresholds.mass_people),
        );
    } else if case.people_count >= thresholds.group_people {
        raise(Risk::Orange, format!("涉及 {} 人，属群体性纠纷（≥{} 人）", case.people_count, thresholds.group_people));
    }
    if case.amount.is_some_and(|a| a.fen() >= thresholds.large_amount_fen) {
        raise(Risk::Yellow, format!("涉及金额较大（≥{} 元）", thresholds.large_amount_fen / 100));
    }
    if category == Category::Labor && (case.description.contains("欠薪") || case.description.contains("拖欠工资"))
    {
        raise(Risk::Yellow, "拖欠劳动报酬（讨薪）纠纷".to_owned());
    }
    (risk, reasons)
}

fn rank(risk: Risk) -> u8 {
    match risk {
        Risk::None => 0,
        Risk::Yellow => 1,
        Risk::Orange => 2,
        Risk::Red => 3,
    }
}

/// The first violence word not negated just before it.
fn violence_word(text: &str) -> Option<&'static str> {
    VIOLENCE_WORDS.iter().copied().find(|word| {
        text.match_indices(word).any(|(at, _)| {
            let before = &text[..at];
            let window: String = before.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            !NEGATIONS.iter().any(|n| window.contains(n))
        })
    })
}

/// 分级负责: the level that should handle a case — larger matters go up.
pub fn suggest_level(
    case: &NewCase,
    risk: Risk,
    registered_at: RegionLevel,
    thresholds: &RiskThresholds,
) -> (RegionLevel, Vec<String>) {
    let mut level = match registered_at {
        RegionLevel::Province | RegionLevel::City => RegionLevel::City,
        other => other,
    };
    let mut reasons = vec![format!("属地：由登记单位所在层级（{}）受理", level_zh(level))];
    let big = risk == Risk::Red || case.people_count >= thresholds.mass_people;
    if big && level > RegionLevel::District {
        level = RegionLevel::District;
        reasons.push("分级负责：高风险或群体性纠纷上提至区县".to_owned());
    }
    (level, reasons)
}

pub fn level_zh(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::Province => "省",
        RegionLevel::City => "市",
        RegionLevel::District => "区县",
        RegionLevel::Street => "街道乡镇",
        RegionLevel::Community => "社区村",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::CaseRegistration;

    fn case(description: &str, people: i64) -> NewCase {
        let body = serde_json::json!({"channel": "grid", "description": description, "people_count": people});
        serde_json::from_value::<CaseRegistration>(body)
            .unwrap()
            .validate(chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20000))
            .unwrap()
    }

    #[test]
    fn categories_with_their_words() {
        let s = suggest_category("公司拖欠工资三个月，农民工讨薪无果");
        assert_eq!(s.category, Category::Labor);
        assert!(s.words.contains(&"拖欠工资"));
        assert_eq!(suggest_category("无关内容").category, Category::Other);
    }

    #[test]
    fn violence_is_red_unless_negated() {
        let (risk, reasons) = assess_risk(&case("他扬言要同归于尽", 1), Category::Neighbor, &RiskThresholds::default());
        assert_eq!(risk, Risk::Red);
        assert!(reasons[0].contains("同归于尽"));
        assert_eq!(
            assess_risk(&case("双方没有动刀，只是争吵", 1), Category::Neighbor, &RiskThresholds::default()).0,
            Risk::None
        );
    }

    #[test]
    fn group_size_and_wages() {
        assert_eq!(assess_risk(&case("讨要工资", 6), Category::Other, &RiskThresholds::default()).0, Risk::Orange);
        assert_eq!(assess_risk(&case("讨要工资", 40), Category::Other, &RiskThresholds::default()).0, Risk::Red);
        assert_eq!(assess_risk(&case("公司欠薪", 1), Category::Labor, &RiskThresholds::default()).0, Risk::Yellow);
    }

    #[test]
    fn big_cases_go_up_a_level() {
        let (level, _) = suggest_level(&case("x", 40), Risk::Red, RegionLevel::Street, &RiskThresholds::default());
        assert_eq!(level, RegionLevel::District);
        let (level, _) = suggest_level(&case("x", 1), Risk::None, RegionLevel::Street, &RiskThresholds::default());
        assert_eq!(level, RegionLevel::Street);
    }
}
