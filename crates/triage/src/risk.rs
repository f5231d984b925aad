//! The risk colour (三色预警) from configurable rules, each reason listed, and emergency
//! diversion (DOMAIN.md §5.2, §5.4, §5.5; People's Mediation Law art. 25).

use chrono::NaiveDate;
use domain::case::{Category, Risk};
use domain::msg;
use domain::validation::Message;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The rules as an administrator edits them: word lists and thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct RiskRules {
    /// Words of violence, revenge or self-harm: the danger that a civil dispute turns criminal (民转刑) → red.
    pub violence_words: Vec<String>,
    /// A negation just before a violence word cancels it ("没有动手").
    pub negations: Vec<String>,
    /// A clause with one of these reports something that did not happen between the parties ("听说", "新闻里").
    pub hearsay_markers: Vec<String>,
    /// Facts that describe an emergency in progress: call 110/120 now.
    pub emergency_words: Vec<String>,
    /// 群体性: this many people or more → orange …
    pub group_orange_people: i64,
    /// … and this many → red.
    pub group_red_people: i64,
    /// An amount (fen) at or above which a case is yellow …
    pub amount_yellow_fen: i64,
    /// … and orange.
    pub amount_orange_fen: i64,
    /// Words of wage arrears (讨薪) → yellow; orange within `festival_days` before the Spring Festival.
    pub wage_words: Vec<String>,
    pub festival_days: i64,
    /// The same person registered again within this many days …
    pub repeat_window_days: i64,
    /// … this many earlier times → yellow …
    pub repeat_yellow: i64,
    /// … and this many → orange (重复信访).
    pub repeat_orange: i64,
    /// Several cases against the same respondent within this many days …
    pub cluster_window_days: i64,
    /// … this many earlier cases → orange.
    pub cluster_orange: i64,
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

impl Default for RiskRules {
    fn default() -> Self {
        Self {
            violence_words: strings(&[
                "同归于尽",
                "拼命",
                "杀了",
                "杀人",
                "砍",
                "动刀",
                "报复",
                "跳楼",
                "自杀",
                "喝农药",
                "放火",
                "炸",
                "打死",
                "弄死",
                "动手",
                "殴打",
                "打架",
            ]),
            negations: strings(&["没有", "没", "未", "不会", "并未", "不是", "无", "从未", "不曾"]),
            hearsay_markers: strings(&["听说", "新闻", "电视上", "网上看到", "据传", "传言", "别的小区"]),
            emergency_words: strings(&[
                "正在打架",
                "正在殴打",
                "正在冲突",
                "持刀",
                "拿着刀",
                "站在楼顶",
                "爬上楼顶",
                "喝了农药",
                "流血不止",
                "已经昏迷",
                "正在砸",
                "围堵",
                "着火",
            ]),
            group_orange_people: 5,
            group_red_people: 30,
            amount_yellow_fen: 10_000_000,
            amount_orange_fen: 100_000_000,
            wage_words: strings(&["欠薪", "拖欠工资", "讨薪", "工资", "劳务费", "工钱"]),
            festival_days: 30,
            repeat_window_days: 180,
            repeat_yellow: 1,
            repeat_orange: 3,
            cluster_window_days: 90,
            cluster_orange: 2,
        }
    }
}

impl RiskRules {
    pub fn validate(&self) -> Result<(), Vec<domain::validation::FieldError>> {
        use domain::validation::FieldError;
        let mut errors = Vec::new();
        for (field, value) in [
            ("group_orange_people", self.group_orange_people),
            ("group_red_people", self.group_red_people),
            ("amount_yellow_fen", self.amount_yellow_fen),
            ("amount_orange_fen", self.amount_orange_fen),
            ("festival_days", self.festival_days),
            ("repeat_window_days", self.repeat_window_days),
            ("repeat_yellow", self.repeat_yellow),
            ("repeat_orange", self.repeat_orange),
            ("cluster_window_days", self.cluster_window_days),
            ("cluster_orange", self.cluster_orange),
        ] {
            if value < 1 {
                errors.push(FieldError::new(field, "out_of_range", msg!("field.positive_whole_number")));
            }
        }
        if self.group_red_people < self.group_orange_people {
            errors.push(FieldError::new("group_red_people", "out_of_range", msg!("risk.group_thresholds")));
        }
        for (field, list) in [
            ("violence_words", &self.violence_words),
            ("emergency_words", &self.emergency_words),
            ("wage_words", &self.wage_words),
        ] {
            if list.iter().any(|w| w.trim().is_empty() || w.chars().count() > 20) {
                errors.push(FieldError::new(field, "invalid_word", msg!("risk.word_invalid", max = 20)));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// What the store knows of the parties' past, within the rules' windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartyHistory {
    /// Earlier cases of the same person (blind index of ID number or phone).
    pub same_person: i64,
    /// Earlier cases against the same respondent (credit code or organisation name).
    pub same_respondent: i64,
}

/// The facts of a case the rules look at.
pub struct RiskFacts<'a> {
    pub text: &'a str,
    pub category: Category,
    pub people: i64,
    pub amount_fen: Option<i64>,
    pub history: PartyHistory,
    /// The first day of the coming (or current) Spring Festival holiday, from the calendar.
    pub spring_festival: Option<NaiveDate>,
    pub today: NaiveDate,
}

/// The colour, each reason, and what to do now: messages of the catalogue (`risk.reason.*`,
/// `emergency.*`), rendered in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskAssessment {
    pub risk: Risk,
    pub reasons: Vec<Message>,
    /// Violence words: suggest referring to the police (People's Mediation Law art. 25).
    pub refer_to_police: bool,
    /// An emergency in progress: the instruction to give now.
    pub emergency: Option<Message>,
}

fn rank(risk: Risk) -> u8 {
    match risk {
        Risk::None => 0,
        Risk::Yellow => 1,
        Risk::Orange => 2,
        Risk::Red => 3,
    }
}

/// Applies every rule; the colour is the highest any rule raised.
pub fn assess(facts: &RiskFacts<'_>, rules: &RiskRules) -> RiskAssessment {
    let mut risk = Risk::None;
    let mut reasons = Vec::new();
    let mut raise = |to: Risk, reason: Message| {
        if rank(to) > rank(risk) {
            risk = to;
        }
        reasons.push(reason);
    };
    let violence = violence_words(facts.text, rules);
    if !violence.is_empty() {
        raise(Risk::Red, msg!("risk.reason.violence", words = violence.join("、")));
    }
    if facts.people >= rules.group_red_people {
        raise(Risk::Red, msg!("risk.reason.group_red", people = facts.people, threshold = rules.group_red_people));
    } else if facts.people >= rules.group_orange_people {
        raise(
            Risk::Orange,
            msg!("risk.reason.group_orange", people = facts.people, threshold = rules.group_orange_people),
        );
    }
    if let Some(amount) = facts.amount_fen {
        let reason = |threshold: i64| msg!("risk.reason.amount", amount = amount / 100, threshold = threshold / 100);
        if amount >= rules.amount_orange_fen {
            raise(Risk::Orange, reason(rules.amount_orange_fen));
        } else if amount >= rules.amount_yellow_fen {
            raise(Risk::Yellow, reason(rules.amount_yellow_fen));
        }
    }
    let wages = facts.category == Category::Labor && rules.wage_words.iter().any(|w| facts.text.contains(w.as_str()));
    if wages {
        let before_festival = facts
            .spring_festival
            .is_some_and(|f| f >= facts.today && (f - facts.today).num_days() <= rules.festival_days);
        if before_festival {
            raise(Risk::Orange, msg!("risk.reason.wages_before_festival", days = rules.festival_days));
        } else {
            raise(Risk::Yellow, msg!("risk.reason.wages"));
        }
    }
    let h = facts.history;
    if h.same_person >= rules.repeat_orange {
        raise(Risk::Orange, msg!("risk.reason.repeat_orange", days = rules.repeat_window_days, times = h.same_person));
    } else if h.same_person >= rules.repeat_yellow {
        raise(Risk::Yellow, msg!("risk.reason.repeat", days = rules.repeat_window_days, times = h.same_person));
    }
    if h.same_respondent >= rules.cluster_orange {
        raise(Risk::Orange, msg!("risk.reason.cluster", days = rules.cluster_window_days, cases = h.same_respondent));
    }
    let emergency = emergency(facts.text, rules);
    if let Some(instruction) = &emergency {
        raise(Risk::Red, msg!("risk.reason.emergency", instruction = instruction.clone()));
    }
    RiskAssessment { risk, reasons, refer_to_police: !violence.is_empty() || emergency.is_some(), emergency }
}

/// The violence words that count: not negated just before, not in a clause of hearsay.
pub fn violence_words(text: &str, rules: &RiskRules) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for clause in text.split(['，', '。', '；', '！', '？', ',', '.', ';', '!', '?', '\n']) {
        if rules.hearsay_markers.iter().any(|m| clause.contains(m.as_str())) {
            continue;
        }
        for word in &rules.violence_words {
            let counts = clause.match_indices(word.as_str()).any(|(at, _)| {
                let before: String = clause[..at].chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                !rules.negations.iter().any(|n| before.contains(n.as_str()))
            });
            if counts && !found.contains(word) {
                found.push(word.clone());
            }
        }
    }
    found
}

/// An emergency in progress, and what to tell the person now.
pub fn emergency(text: &str, rules: &RiskRules) -> Option<Message> {
    let hit = rules.emergency_words.iter().find(|w| text.contains(w.as_str()))?;
    let medical = ["喝了农药", "流血不止", "已经昏迷"].iter().any(|w| text.contains(w));
    let number = if medical { msg!("emergency.call_120_110") } else { msg!("emergency.call_110") };
    Some(msg!("emergency.instruction", word = hit, number = number))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::i18n::{T, UiLang};

    fn facts(text: &str) -> RiskFacts<'_> {
        RiskFacts {
            text,
            category: Category::Neighbor,
            people: 1,
            amount_fen: None,
            history: PartyHistory::default(),
            spring_festival: NaiveDate::from_ymd_opt(2027, 2, 6),
            today: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        }
    }

    /// The colour and the reasons in Simplified Chinese.
    fn colour(f: &RiskFacts<'_>) -> (Risk, Vec<String>) {
        let a = assess(f, &RiskRules::default());
        (a.risk, a.reasons.iter().map(|r| T::default().msg(r)).collect())
    }

    fn emergency_text(text: &str) -> Option<String> {
        assess(&facts(text), &RiskRules::default()).emergency.map(|e| T::default().msg(&e))
    }

    #[test]
    fn violence_is_red_and_refers_to_the_police() {
        let a = assess(&facts("对方扬言要同归于尽"), &RiskRules::default());
        assert_eq!(a.risk, Risk::Red);
        assert!(a.refer_to_police);
        let reason = T::default().msg(&a.reasons[0]);
        assert!(reason.contains("同归于尽") && reason.contains("第二十五条"), "{reason}");
    }

    #[test]
    fn negation_and_hearsay_do_not_count() {
        for text in [
            "双方发生口角，但没有动手",
            "对方并未殴打申请人",
            "他不会报复的，只是气话没当真",
            "听说别的小区有人跳楼，申请人很担心",
            "申请人称新闻里有人因此打架",
        ] {
            assert_eq!(colour(&facts(text)).0, Risk::None, "{text}");
        }
        // A negation in another clause does not cancel a real threat.
        assert_eq!(colour(&facts("没有人劝得住，他说要砍人")).0, Risk::Red);
    }

    #[test]
    fn group_size_amount_and_wages() {
        let mut f = facts("讨要工程款");
        f.people = 6;
        assert_eq!(colour(&f).0, Risk::Orange);
        f.people = 35;
        assert_eq!(colour(&f).0, Risk::Red);
        let mut f = facts("借款未还");
        f.amount_fen = Some(20_000_000);
        assert_eq!(colour(&f).0, Risk::Yellow);
        f.amount_fen = Some(150_000_000);
        assert_eq!(colour(&f).0, Risk::Orange);
        let mut f = facts("公司拖欠工资三个月");
        f.category = Category::Labor;
        assert_eq!(colour(&f).0, Risk::Yellow, "more than 30 days before the festival");
        f.today = NaiveDate::from_ymd_opt(2027, 1, 20).unwrap();
        let (risk, reasons) = colour(&f);
        assert_eq!(risk, Risk::Orange);
        assert!(reasons[0].contains("春节"));
    }

    #[test]
    fn reasons_read_in_every_language() {
        let mut f = facts("讨要工程款");
        f.people = 6;
        f.amount_fen = Some(20_000_000);
        let a = assess(&f, &RiskRules::default());
        let read = |lang| a.reasons.iter().map(|r| T { lang }.msg(r)).collect::<Vec<_>>();
        assert_eq!(read(UiLang::Hans), ["涉及 6 人，属群体性纠纷（≥5 人）", "涉及金额 200000 元，达到 100000 元"]);
        assert_eq!(read(UiLang::Hant)[0], "涉及 6 人，屬群體性糾紛（≥5 人）");
        assert_eq!(
            read(UiLang::En),
            ["6 people involved: a group dispute (≥ 5 people)", "200000 yuan at stake, at least 100000 yuan"]
        );
    }

    #[test]
    fn repeat_parties_and_clusters() {
        let mut f = facts("邻里纠纷");
        f.history.same_person = 1;
        assert_eq!(colour(&f).0, Risk::Yellow);
        f.history.same_person = 3;
        assert_eq!(colour(&f).0, Risk::Orange);
        let mut f = facts("拖欠货款");
        f.history.same_respondent = 2;
        let (risk, reasons) = colour(&f);
        assert_eq!(risk, Risk::Orange);
        assert!(reasons[0].contains("同一被申请人"));
    }

    #[test]
    fn emergencies_divert_to_110_and_120() {
        assert_eq!(assess(&facts("双方正在打架，有人拿着刀"), &RiskRules::default()).risk, Risk::Red);
        let police = emergency_text("双方正在打架，有人拿着刀").unwrap();
        assert!(police.contains("请立即拨打 110（报警）") && !police.contains("120"), "{police}");
        assert!(emergency_text("老人喝了农药，家属在争吵").unwrap().contains("120（急救）和 110（报警）"));
        assert_eq!(emergency_text("上月曾有争吵"), None);
    }

    #[test]
    fn rules_are_checked() {
        let rules = RiskRules {
            group_red_people: 2,
            repeat_yellow: 0,
            violence_words: vec![" ".into()],
            ..RiskRules::default()
        };
        let fields: Vec<String> = rules.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["repeat_yellow", "group_red_people", "violence_words"]);
    }
}
