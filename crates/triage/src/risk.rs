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
    /// Threats of self-harm (跳楼, 喝农药, 自焚, 割腕 …) → red, with the advice to inform the police
    /// (People's Mediation Law art. 25: a dispute that may lead to a criminal case).
    pub self_harm_words: Vec<String>,
    /// A death or a serious injury (死亡, 身亡, 重伤 …) → orange; red together with a group, a
    /// threat to go to someone or agitation (命案 risk, DOMAIN.md §5.4).
    pub casualty_words: Vec<String>,
    /// Threats to go to the other side's home or to higher authorities (堵门, 去他家, 进京, 上访 …)
    /// → orange; red with a group or a death (Luohe's 红色预警: a group visit, a petition to
    /// Beijing, DOMAIN.md §5.2).
    pub escalation_words: Vec<String>,
    /// Agitation (情绪激动, 扬言 …) → yellow; it raises a death or a threat to red.
    pub agitation_words: Vec<String>,
    /// Phrases in which a signal word means something harmless (跳舞 is not 跳, 死机 is not a death,
    /// 砍价 is not 砍, 上门服务 is not 上门): a word inside one of them does not count.
    pub innocent_phrases: Vec<String>,
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
                "放火",
                "炸",
                "打死",
                "弄死",
                "砍死",
                "捅死",
                "捅了",
                "宰了",
                "偿命",
                "血债血偿",
                "要他的命",
                "要了他的命",
                "废了他",
                "泼硫酸",
                "泼汽油",
                "投毒",
                "动手",
                "殴打",
                "打架",
            ]),
            // A bare 无 is no negation: 走投无路要跳楼, 无奈之下说要喝农药 are threats.
            negations: strings(&["没有", "没", "未", "不会", "并未", "不是", "无意", "从未", "不曾", "绝不", "决不"]),
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
            self_harm_words: strings(&[
                "跳楼",
                "跳下去",
                "跳河",
                "跳江",
                "跳桥",
                "跳湖",
                "卧轨",
                "喝农药",
                "喝敌敌畏",
                "服毒",
                "吃安眠药",
                "自焚",
                "浇汽油",
                "割腕",
                "上吊",
                "自杀",
                "自尽",
                "轻生",
                "寻短见",
                "不想活",
                "以死相逼",
                "死给",
                "一死了之",
            ]),
            casualty_words: strings(&[
                "死亡",
                "去世",
                "身亡",
                "过世",
                "丧生",
                "遇难",
                "丧命",
                "致死",
                "坠亡",
                "溺亡",
                "猝死",
                "撞死",
                "被打死",
                "抢救无效",
                "重伤",
                "伤势严重",
                "重度伤残",
                "致残",
                "生命危险",
                "重症监护",
                "植物人",
            ]),
            escalation_words: strings(&[
                "找上门",
                "要上门",
                "上门去",
                "闹上门",
                "打上门",
                "上门闹",
                "上门讨说法",
                "上门算账",
                "堵门",
                "堵在门口",
                "家门口闹",
                "去他家",
                "到他家",
                "去她家",
                "到她家",
                "去其家",
                "到其家",
                "去对方家",
                "到对方家",
                "上对方家",
                "去你家",
                "到你家",
                "肇事者家",
                "肇事司机家",
                "去老板家",
                "到老板家",
                "进京",
                "去北京",
                "上访",
                "越级",
                "去省里",
                "到省里",
                "去省政府",
                "去市政府",
                "到市政府",
                "去区政府",
                "去县政府",
                "到县政府",
                "去政府",
                "到政府",
                "拉横幅",
                "堵路",
                "堵政府",
            ]),
            agitation_words: strings(&[
                "情绪激动",
                "情绪失控",
                "情绪激烈",
                "扬言",
                "放狠话",
                "聚集",
                "围攻",
                "闹事",
                "讨说法",
            ]),
            innocent_phrases: strings(&[
                "跳舞",
                "跳绳",
                "跳广场舞",
                "砍价",
                "砍树",
                "砍伐",
                "砍掉",
                "炸鸡",
                "炸酱",
                "油炸",
                "炸串",
                "杀价",
                "杀毒",
                "拼命工作",
                "拼命干活",
                "拼命赚钱",
                "拼命挣钱",
                "拼命学习",
                "动手术",
                "上门服务",
                "上门维修",
                "上门安装",
                "上门调解",
                "上门走访",
                "上门回访",
                "去世后",
                "过世后",
                "去世前",
                "去世多年",
            ]),
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
            ("self_harm_words", &self.self_harm_words),
            ("casualty_words", &self.casualty_words),
            ("escalation_words", &self.escalation_words),
            ("agitation_words", &self.agitation_words),
            ("innocent_phrases", &self.innocent_phrases),
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
    let self_harm = signal_words(facts.text, &rules.self_harm_words, rules);
    if !self_harm.is_empty() {
        raise(Risk::Red, msg!("risk.reason.self_harm", words = self_harm.join("、")));
    }
    let stated = people_in_words(facts.text, rules);
    let people = match &stated {
        Some((people, phrase)) if *people > facts.people => {
            raise(Risk::None, msg!("risk.reason.group_words", phrase = phrase.as_str(), people = *people));
            *people
        }
        _ => facts.people,
    };
    let group = people >= rules.group_orange_people;
    if people >= rules.group_red_people {
        raise(Risk::Red, msg!("risk.reason.group_red", people = people, threshold = rules.group_red_people));
    } else if group {
        raise(Risk::Orange, msg!("risk.reason.group_orange", people = people, threshold = rules.group_orange_people));
    }
    let casualty = signal_words(facts.text, &rules.casualty_words, rules);
    if !casualty.is_empty() {
        raise(Risk::Orange, msg!("risk.reason.casualty", words = casualty.join("、")));
    }
    let escalation = signal_words(facts.text, &rules.escalation_words, rules);
    if !escalation.is_empty() {
        raise(Risk::Orange, msg!("risk.reason.escalation", words = escalation.join("、")));
    }
    let agitation = signal_words(facts.text, &rules.agitation_words, rules);
    if !agitation.is_empty() {
        raise(Risk::Yellow, msg!("risk.reason.agitation", words = agitation.join("、")));
    }
    let combined = (!casualty.is_empty() && (group || !escalation.is_empty() || !agitation.is_empty()))
        || (group && !escalation.is_empty());
    if combined {
        raise(Risk::Red, msg!("risk.reason.combined"));
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
    let refer_to_police = !violence.is_empty() || !self_harm.is_empty() || combined || emergency.is_some();
    RiskAssessment { risk, reasons, refer_to_police, emergency }
}

/// The violence words that count: not negated just before, not in a clause of hearsay.
pub fn violence_words(text: &str, rules: &RiskRules) -> Vec<String> {
    signal_words(text, &rules.violence_words, rules)
}

/// Phrases that deny an outcome for the rest of the clause ("未造成人员死亡", "没有发生打架"),
/// further than the few characters a plain negation reaches.
const OUTCOME_NEGATIONS: [&str; 10] =
    ["未造成", "没有造成", "没造成", "未导致", "没有导致", "无人员", "没有人员", "未发生", "没有发生", "并无"];

/// Denied going somewhere ("不会去北京上访"): the place may stand between the denial and the word,
/// so these reach further back than a plain negation — unless the clause turns after them
/// ("不去解决就去上访": a 就, 要, 但 … between them and the word starts a new intent).
const MOTION_NEGATIONS: [&str; 6] = ["不会再去", "不会去", "不再去", "没有去", "没去", "不去"];
const INTENT_TURNS: [char; 7] = ['就', '要', '但', '却', '还', '又', '再'];

/// Whether a denied motion covers the word at the end of `earlier` (at most eight characters
/// back, with no turn of intent after it).
fn motion_denied(earlier: &str) -> bool {
    let tail: String = earlier.chars().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
    MOTION_NEGATIONS
        .iter()
        .any(|n| tail.rfind(n).is_some_and(|at| !tail[at + n.len()..].chars().any(|c| INTENT_TURNS.contains(&c))))
}

/// The words of a list that count in the text, each once: not negated just before (a negation
/// within four characters, a denied motion with its place, or a denied outcome earlier in the
/// clause), not in a clause of hearsay, not inside a harmless phrase.
pub fn signal_words(text: &str, words: &[String], rules: &RiskRules) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for clause in clauses(text) {
        if rules.hearsay_markers.iter().any(|m| clause.contains(m.as_str())) {
            continue;
        }
        for word in words.iter().filter(|w| !w.is_empty()) {
            let counts = clause.match_indices(word.as_str()).any(|(at, _)| {
                let earlier = &clause[..at];
                let before: String = earlier.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                !rules.negations.iter().any(|n| before.contains(n.as_str()))
                    && !motion_denied(earlier)
                    && !OUTCOME_NEGATIONS.iter().any(|n| earlier.contains(n))
                    && !innocent(clause, at, word, &rules.innocent_phrases)
            });
            if counts && !found.contains(word) {
                found.push(word.clone());
            }
        }
    }
    found
}

fn clauses(text: &str) -> impl Iterator<Item = &str> {
    text.split(['，', '。', '；', '！', '？', ',', '.', ';', '!', '?', '\n'])
}

/// Whether the word found at byte `at` of the clause is part of a harmless phrase around it.
fn innocent(clause: &str, at: usize, word: &str, phrases: &[String]) -> bool {
    phrases.iter().any(|phrase| {
        phrase.match_indices(word).any(|(offset, _)| {
            at >= offset && clause.get(at - offset..).is_some_and(|rest| rest.starts_with(phrase.as_str()))
        })
    })
}

/// Whole groups named without a number, and the people each stands for at least.
const WHOLE_GROUPS: [(&str, i64); 14] = [
    ("一大帮", 10),
    ("一大群", 10),
    ("一帮人", 5),
    ("一伙人", 5),
    ("全村", 100),
    ("全体村民", 100),
    ("整个村", 100),
    ("全组村民", 30),
    ("全体业主", 30),
    ("全小区", 30),
    ("整栋楼", 30),
    ("全厂", 30),
    ("全体工人", 30),
    ("全体员工", 30),
];

/// A group stated in words (十余人, 几十名, 上百人, 30多人, 十几个家属, 全村): the most people a
/// clause names, and the phrase, outside clauses of hearsay. An estimate counts the least the
/// words say (几十 is 20, 十几 is 11, 上百 is 100).
pub fn people_in_words(text: &str, rules: &RiskRules) -> Option<(i64, String)> {
    let mut best: Option<(i64, String)> = None;
    let mut consider = |people: i64, phrase: &str| {
        if best.as_ref().is_none_or(|(most, _)| people > *most) {
            best = Some((people, phrase.to_owned()));
        }
    };
    for clause in clauses(text) {
        if rules.hearsay_markers.iter().any(|m| clause.contains(m.as_str())) {
            continue;
        }
        for (words, people) in WHOLE_GROUPS {
            if clause.contains(words) {
                consider(people, words);
            }
        }
        let chars: Vec<char> = clause.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            match counted_people(&chars, i) {
                Some((people, end)) => {
                    let phrase: String = chars[i..end].iter().collect();
                    consider(people, &phrase);
                    i = end;
                }
                None => i += 1,
            }
        }
    }
    best
}

/// The number of people stated from `start`: a numeral (digits or Chinese, with 余/多/来/几),
/// then 人, 名, 位, 户, or 个 before a word for people; and where the phrase ends.
fn counted_people(chars: &[char], start: usize) -> Option<(i64, usize)> {
    if start > 0 && chars[start - 1] == '第' {
        return None;
    }
    let numeral_end = (start..chars.len()).find(|&j| !is_numeral(chars[j])).unwrap_or(chars.len());
    if numeral_end == start {
        return None;
    }
    let numeral: String = chars[start..numeral_end].iter().collect();
    let value = numeral_value(&numeral)?;
    let classifier = *chars.get(numeral_end)?;
    let after: String = chars[numeral_end + 1..].iter().take(2).collect();
    let people = match classifier {
        // 人民币 is money, not people.
        '人' => !after.starts_with('民'),
        '名' | '位' | '户' => true,
        '个' => PEOPLE_NOUNS.iter().any(|noun| after.starts_with(noun)),
        _ => false,
    };
    people.then_some((value, numeral_end + 1))
}

/// Words for people after 个 (十几个家属, 二十多个工人) — not 个月, 个工作日.
const PEOPLE_NOUNS: [&str; 21] = [
    "人", "家属", "亲属", "亲戚", "村民", "工人", "农民", "民工", "业主", "居民", "员工", "兄弟", "子女", "老人",
    "男子", "女子", "青年", "学生", "妇女", "职工", "群众",
];

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "〇零一二两三四五六七八九十百千万几数上近余多来".contains(c)
}

/// The least value of a numeral phrase: "30多" 30, "十几" 11, "几十" 20, "上百" 100. None for
/// what is no number ("多", "上", "万" alone).
fn numeral_value(numeral: &str) -> Option<i64> {
    let core = numeral.trim_end_matches(['余', '多', '来']);
    if core.is_empty() {
        return None;
    }
    if core.chars().all(|c| c.is_ascii_digit()) {
        return core.parse().ok();
    }
    if core.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let has_digit = core.chars().any(|c| "〇零一二两三四五六七八九几数上近十".contains(c));
    if !has_digit {
        return None;
    }
    let (mut total, mut section, mut digit) = (0i64, 0i64, None::<i64>);
    let chars: Vec<char> = core.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' => {
                total = (total + section + digit.take().unwrap_or(0)) * 10_000;
                section = 0;
                continue;
            }
            _ => {
                let trailing = i + 1 == chars.len();
                digit = Some(match c {
                    '〇' | '零' => 0,
                    '一' => 1,
                    '二' | '两' => 2,
                    '三' => 3,
                    '四' => 4,
                    '五' => 5,
                    '六' => 6,
                    '七' => 7,
                    '八' => 8,
                    '九' => 9,
                    // 几/数 before a unit is "a few of them" (几十 ≥ 20); after one, "and some" (十几 ≥ 11).
                    '几' | '数' if trailing => 1,
                    '几' | '数' => 2,
                    // 上百, 近百: about one of the unit.
                    _ if trailing => return None,
                    _ => 1,
                });
                continue;
            }
        };
        section += digit.take().unwrap_or(1) * unit;
    }
    Some(total + section + digit.unwrap_or(0))
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

    fn labor(text: &str) -> RiskFacts<'_> {
        RiskFacts { category: Category::Labor, ..facts(text) }
    }

    #[test]
    fn self_harm_threats_are_red_and_refer_to_the_police() {
        for text in [
            "老板拖欠工资半年，工人扬言拿不到钱就从工地楼顶跳下去",
            "讨薪无果，他说再不给钱就去跳楼",
            "丈夫要离婚，妻子说要喝农药",
            "他说要在政府门口自焚",
            "女方多次以死相逼，说不给彩礼就割腕",
            "老人说宅基地被占就上吊给他们看",
            "申请人情绪低落，称不想活了",
            "他扬言要跳河",
        ] {
            let a = assess(&labor(text), &RiskRules::default());
            assert_eq!(a.risk, Risk::Red, "{text}");
            assert!(a.refer_to_police, "{text}");
        }
        let (_, reasons) = colour(&labor("老板拖欠工资半年，工人扬言拿不到钱就从工地楼顶跳下去"));
        assert!(reasons.iter().any(|r| r.contains("跳下去")), "{reasons:?}");
    }

    #[test]
    fn self_harm_negated_reported_or_harmless_does_not_count() {
        for text in [
            "他说不会跳楼的，只想要回工资",
            "听说隔壁厂有工人跳楼了",
            "新闻里有人喝农药",
            "广场舞音乐太吵，每晚跳舞到十点",
            "孩子在楼道里跳绳，楼下有意见",
            "电脑死机，网店订单丢失",
            "他说这事笑死了，根本不当回事",
            "累死了也没拿到钱",
            "双方在菜市场砍价时发生口角",
            "邻居砍树影响了采光",
            "他每天拼命工作，公司却不发奖金",
            "物业上门维修后漏水更严重",
        ] {
            let a = assess(&facts(text), &RiskRules::default());
            assert_eq!(a.risk, Risk::None, "{text}: {:?}", colour(&facts(text)).1);
            assert!(!a.refer_to_police, "{text}");
        }
    }

    #[test]
    fn deaths_and_serious_injuries_are_orange_alone() {
        for text in [
            "交通事故致一人死亡，双方对赔偿有争议",
            "工人在工地坠落身亡，家属要求赔偿",
            "被打成重伤，医药费无人承担",
            "患者术后抢救无效，家属质疑医院",
        ] {
            assert_eq!(colour(&facts(text)).0, Risk::Orange, "{text}");
        }
        for text in [
            "车辆剐蹭，未造成人员伤亡，也没有造成人员死亡",
            "父亲去世后兄弟三人争房产",
            "所幸没有重伤，只是皮外伤",
            "听说那个路口去年有人撞死了",
        ] {
            assert_eq!(colour(&facts(text)).0, Risk::None, "{text}");
        }
    }

    #[test]
    fn a_road_death_with_agitated_relatives_threatening_to_go_to_the_home_is_red() {
        let text = "一起交通事故造成一人死亡，十几个家属情绪激动，扬言要去对方家里讨说法";
        let a = assess(&facts(text), &RiskRules::default());
        assert_eq!(a.risk, Risk::Red);
        assert!(a.refer_to_police);
        let reasons: Vec<String> = a.reasons.iter().map(|r| T::default().msg(r)).collect();
        assert!(reasons.iter().any(|r| r.contains("十几个")), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("死亡")), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("去对方家")), "{reasons:?}");
        for text in [
            "父亲车祸去世后，二十多名亲属扬言要堵门",
            "工人坠亡，家属情绪激动",
            "数十名业主扬言要去市政府拉横幅",
            "十余名农民工讨薪无果，称要进京上访",
        ] {
            assert_eq!(colour(&facts(text)).0, Risk::Red, "{text}: {:?}", colour(&facts(text)).1);
        }
    }

    #[test]
    fn threats_to_go_to_a_home_or_higher_up_are_orange() {
        for text in ["他说再不还钱就去他家堵门", "申请人称不解决就去北京上访", "对方扬言要找上门算账"]
        {
            assert_eq!(colour(&facts(text)).0, Risk::Orange, "{text}");
        }
        for text in [
            "他说不会去上访",
            "他说不会去北京上访",
            "申请人表示没有去省里上访",
            "听说有人去省里上访了",
            "社区民警上门调解",
            "快递员上门服务时与业主争执",
        ] {
            assert_eq!(colour(&facts(text)).0, Risk::None, "{text}");
        }
        // A denial that the clause turns away from still leaves the threat.
        for text in [
            "如果单位不去解决他就去北京上访",
            "你不去我就去北京上访",
            "他不去法院，却扬言要去北京上访",
            "讨不到工资就去北京上访",
        ] {
            assert_eq!(colour(&facts(text)).0, Risk::Orange, "{text}");
        }
    }

    #[test]
    fn groups_stated_in_words_count_as_people() {
        let people = |text: &str| people_in_words(text, &RiskRules::default()).map(|(n, _)| n);
        assert_eq!(people("十余人聚集在公司门口"), Some(10));
        assert_eq!(people("十几个工人"), Some(11));
        assert_eq!(people("几十名村民"), Some(20));
        assert_eq!(people("数十人围在门口"), Some(20));
        assert_eq!(people("上百人"), Some(100));
        assert_eq!(people("近百名业主联名"), Some(100));
        assert_eq!(people("30多人讨要工钱"), Some(30));
        assert_eq!(people("一百二十名员工"), Some(120));
        assert_eq!(people("两位老人"), Some(2));
        assert_eq!(people("全村都来了"), Some(100));
        assert_eq!(people("欠款3000人民币，已拖欠3个月"), None);
        assert_eq!(people("追加第三人参加调解"), None);
        assert_eq!(people("等了十几个工作日"), None);
        assert_eq!(people("听说上百人去闹过"), None);
        assert_eq!(colour(&facts("十余名工人讨要工程款")).0, Risk::Orange);
        assert_eq!(colour(&facts("上百名村民对征地补偿不满")).0, Risk::Red);
        assert_eq!(colour(&facts("全村人反对养殖场建设")).0, Risk::Red);
        assert_eq!(colour(&facts("两户邻居因排水沟争执")).0, Risk::None);
        let (_, reasons) = colour(&facts("几十名村民对补偿不满"));
        assert!(reasons[0].contains("几十名") && reasons[1].contains("20"), "{reasons:?}");
    }

    #[test]
    fn threats_of_crime_are_red() {
        for text in ["他说要和对方同归于尽", "扬言要弄死对方", "说要让他偿命", "酒后说要去砍死他", "要跟他拼命"]
        {
            assert_eq!(colour(&facts(text)).0, Risk::Red, "{text}");
        }
    }

    #[test]
    fn a_bare_wu_does_not_cancel_a_threat() {
        for text in [
            "走投无路要跳楼",
            "讨薪无门扬言跳河",
            "无奈之下说要喝农药",
            "申请无果后他说要弄死对方",
            "求助无门，他站在桥上说要跳下去",
        ] {
            let a = assess(&labor(text), &RiskRules::default());
            assert_eq!(a.risk, Risk::Red, "{text}: {:?}", colour(&labor(text)).1);
            assert!(a.refer_to_police, "{text}");
        }
        for text in ["他无意报复，只想要回钱", "他绝不会跳楼，只是说气话", "他决不动手"] {
            assert_eq!(colour(&facts(text)).0, Risk::None, "{text}");
        }
    }

    #[test]
    fn more_varied_texts_colour_as_they_should() {
        let red = [
            "工地老板跑路，二十几个民工说要到北京上访",
            "一大帮亲属情绪激动，扬言要去肇事司机家讨说法，死者家属不肯火化",
            "矿上塌方致两人身亡，全村人堵路",
            "儿子被打成重伤，父亲扬言要血债血偿",
            "妻子说离婚就服毒",
            "欠款三年未还，债主扬言要泼汽油",
        ];
        for text in red {
            assert_eq!(colour(&facts(text)).0, Risk::Red, "{text}: {:?}", colour(&facts(text)).1);
        }
        let orange = [
            "一大群业主在售楼处门口讨要说法",
            "他说法院不管就越级上访",
            "对方说今晚要上门去找他",
            "家中老人坠亡，家属要求物业赔偿",
            "数十人参与的土地承包纠纷",
        ];
        for text in orange {
            assert_eq!(colour(&facts(text)).0, Risk::Orange, "{text}: {:?}", colour(&facts(text)).1);
        }
        let none = [
            "维修工上门安装空调时划伤地板",
            "网上看到有人到北京上访",
            "传言全村要拆迁，申请人询问补偿",
            "没有人员死亡，只是车损",
            "他说绝不越级上访",
            "欠款3000元，约定分期归还",
            "孩子跳舞时摔倒，双方争执医药费",
        ];
        for text in none {
            assert_eq!(colour(&facts(text)).0, Risk::None, "{text}: {:?}", colour(&facts(text)).1);
        }
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
