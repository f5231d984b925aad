//! The dispute category from Chinese text: jieba segmentation with a dictionary of dispute
//! vocabulary, and a multinomial naive-Bayes model trained on the labelled corpus the product
//! ships (data/triage/corpus.tsv) plus any examples an administrator adds. The suggestion lists
//! the words that drove it.

use std::collections::HashMap;
use std::io::BufReader;
use std::sync::OnceLock;

use domain::case::Category;
use jieba_rs::Jieba;

/// The labelled corpus and dictionary shipped with the product.
pub const CORPUS: &str =
    concat!(include_str!("../../../data/triage/corpus.tsv"), include_str!("../../../data/triage/corpus-2.tsv"));
const DICTIONARY: &str = include_str!("../../../data/triage/dictionary.txt");

/// Words that carry no evidence about the category.
const STOP_WORDS: &[&str] = &[
    "的", "了", "和", "与", "及", "在", "是", "将", "对", "被", "因", "为", "等", "其", "某", "某某", "要求", "反映",
    "称", "双方", "多次", "未果", "一", "个", "年", "月", "日", "元", "万元", "后", "中", "并", "也", "已", "但", "又",
    "就", "都", "这", "那", "有", "无", "我", "他", "她", "您", "请", "向", "从", "由", "至", "到", "把", "给", "还",
    "再", "该", "此",
];

/// The keyword lexicon: words that, by the statistics forms' own definitions, mark a category.
/// Each present word is a feature of its category that the model weighs like any other.
pub const LEXICON: &[(Category, &[&str])] = &[
    (
        Category::MarriageFamily,
        &[
            "离婚",
            "婚姻",
            "赡养",
            "抚养",
            "抚养费",
            "赡养费",
            "继承",
            "遗产",
            "遗嘱",
            "彩礼",
            "家暴",
            "夫妻",
            "探视",
            "分家",
        ],
    ),
    (Category::Neighbor, &["邻居", "邻里", "楼上", "楼下", "对门", "漏水", "楼道", "采光", "晾晒", "相邻"]),
    (Category::LandHousing, &["宅基地", "院墙", "翻建", "违建", "地基", "界址", "建房", "房屋"]),
    (Category::ForestLand, &["承包地", "土地承包", "林地", "山林", "耕地", "流转", "承包费", "林木", "地界", "草场"]),
    (Category::Contract, &["合同", "租赁", "租金", "违约金", "承租", "出租", "货款", "定金"]),
    (Category::Business, &["合伙", "股东", "经营", "加盟", "生意", "股权", "投资", "合伙人"]),
    (Category::Damages, &["赔偿", "损坏", "咬伤", "砸伤", "摔伤", "高空", "财产损失"]),
    (
        Category::Labor,
        &[
            "工资",
            "欠薪",
            "讨薪",
            "农民工",
            "劳动合同",
            "工伤",
            "社保",
            "加班费",
            "辞退",
            "劳务费",
            "包工头",
            "用人单位",
        ],
    ),
    (Category::Medical, &["医院", "医疗", "手术", "医生", "诊所", "误诊", "医疗事故", "患者", "医美"]),
    (Category::PropertyManagement, &["物业", "物业费", "物业公司", "业主", "电梯", "停车费", "业委会", "维修基金"]),
    (Category::Traffic, &["交通事故", "车祸", "追尾", "碰撞", "交警", "肇事", "驾驶", "撞伤", "交强险"]),
    (Category::Demolition, &["征收", "征地", "拆迁", "补偿款", "安置", "棚户区"]),
    (Category::VillageAffairs, &["村委会", "村务", "村集体", "分红", "村干部", "外嫁女", "集体收益", "村民代表"]),
    (Category::Environment, &["污染", "排污", "异味", "粉尘", "噪声", "废水", "油烟", "废气", "臭味"]),
    (Category::Consumer, &["预付卡", "退款", "商家", "质量问题", "消费者", "退货", "会员卡"]),
    (Category::Finance, &["借款", "借条", "贷款", "欠款", "保险", "理财", "利息", "信用卡", "担保"]),
    (Category::RealEstate, &["开发商", "逾期交房", "购房", "商品房", "房产证", "交房", "售楼"]),
    (Category::Tourism, &["旅行社", "导游", "旅游", "景区", "团费", "行程"]),
    (Category::IntellectualProperty, &["商标", "专利", "著作权", "侵权", "盗版", "版权", "抄袭", "假冒"]),
    (Category::Ecommerce, &["网购", "外卖", "骑手", "平台", "网店", "直播", "带货", "快递", "网约车", "电商"]),
    (Category::Other, &["宠物", "丢失", "殡葬", "寄养"]),
];

/// The one segmenter of the process, with the dispute dictionary: the classifier and the
/// search index share it (a jieba instance holds its whole dictionary in memory).
pub fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(|| {
        let mut jieba = Jieba::new();
        // The shipped dictionary is checked by a test; a bad line would only lose a word.
        let _ = jieba.load_dict(&mut BufReader::new(DICTIONARY.as_bytes()));
        jieba
    })
}

/// The features of a text: its words and its character bigrams, each counted once. Bigrams
/// carry the evidence that segmentation splits differently from text to text.
fn features(text: &str) -> Vec<String> {
    let mut features = words(text);
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphabetic() && !c.is_ascii()).collect();
    features.extend(chars.windows(2).map(|w| format!("#{}{}", w[0], w[1])));
    features.sort();
    features.dedup();
    features
}

/// The words of a text that count as evidence: segmented, without punctuation, digits and
/// stop words.
pub fn words(text: &str) -> Vec<String> {
    jieba()
        .cut(text, true)
        .into_iter()
        .map(|t| t.word.trim())
        .filter(|w| {
            !w.is_empty() && w.chars().any(|c| c.is_alphabetic()) && !w.chars().all(|c| c.is_ascii_alphanumeric())
        })
        .filter(|w| !STOP_WORDS.contains(w))
        .map(str::to_owned)
        .collect()
}

/// A labelled example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub category: Category,
    pub text: String,
}

/// Parses the corpus format: `category<TAB>description` per line.
pub fn parse_corpus(text: &str) -> Vec<Example> {
    text.lines()
        .filter_map(|line| {
            let (code, text) = line.split_once('\t')?;
            Some(Example { category: Category::parse(code.trim())?, text: text.trim().to_owned() })
        })
        .collect()
}

/// A suggested category, how sure the model is, and the words that drove it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub category: Category,
    /// The posterior probability of the category, 0–1.
    pub confidence: f64,
    pub words: Vec<String>,
}

/// The posterior below which the model's category is a question for the person registering
/// (请选择类型), not a suggestion: nothing is recorded, routed or raised on the strength of it.
///
/// 40 %, from the model's behaviour: on the held-out fifth of the corpus its guesses below 40 %
/// are wrong about one time in three (8 of 25), those above it one time in eighteen (13 of
/// 229), and `held_out_accuracy_meets_the_target` keeps that gap. On the demo stories every
/// right category scores 48 % or more, while the doubtful texts fall below: a barbecue's noise
/// as pollution (31 %), a quarrel over a parking space as marriage and family (12 %), and the
/// texts of issue 13 — a knife threat as business (8 %), a short noise complaint (5–11 %).
/// A question costs the clerk one choice; a wrong suggestion sends a case to the wrong units.
pub const CONFIDENCE_THRESHOLD: f64 = 0.4;

impl Prediction {
    /// Whether the category is sure enough to suggest ([`CONFIDENCE_THRESHOLD`]).
    pub fn is_confident(&self) -> bool {
        self.confidence >= CONFIDENCE_THRESHOLD
    }
}

/// Multinomial logistic regression (softmax) over binary features: the words and character
/// bigrams of the text, plus one feature per category for each lexicon word present. Trained
/// by full-batch gradient descent with L2 regularisation; deterministic.
#[derive(Debug, Clone)]
pub struct Classifier {
    categories: Vec<Category>,
    /// feature → weight per category.
    weights: HashMap<String, Vec<f64>>,
    bias: Vec<f64>,
}

const EPOCHS: usize = 60;
const LEARNING_RATE: f64 = 0.5;
const L2: f64 = 0.0005;

/// The lexicon features of a text: `LEX:<category>` once per lexicon word present.
fn lexicon_features(text: &str) -> Vec<String> {
    LEXICON
        .iter()
        .flat_map(|(category, terms)| {
            terms.iter().filter(|t| text.contains(**t)).map(move |_| format!("LEX:{}", category.as_str()))
        })
        .collect()
}

fn all_features(text: &str) -> Vec<String> {
    let mut f = features(text);
    f.extend(lexicon_features(text));
    f
}

fn softmax(scores: &mut [f64]) {
    let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        total += *s;
    }
    for s in scores.iter_mut() {
        *s /= total;
    }
}

impl Classifier {
    pub fn train(examples: &[Example]) -> Self {
        let categories: Vec<Category> = Category::ALL.to_vec();
        let k = categories.len();
        // Features as dense ids, weights as one flat vector: training touches no hash map.
        let mut ids: HashMap<String, usize> = HashMap::new();
        let docs: Vec<(usize, Vec<usize>)> = examples
            .iter()
            .map(|e| {
                let label = categories.iter().position(|c| *c == e.category).unwrap_or(0);
                let features = all_features(&e.text)
                    .into_iter()
                    .map(|f| {
                        let next = ids.len();
                        *ids.entry(f).or_insert(next)
                    })
                    .collect();
                (label, features)
            })
            .collect();
        let mut w = vec![0.0; ids.len() * k];
        let mut bias = vec![0.0; k];
        let n = docs.len().max(1) as f64;
        let mut gradient = vec![0.0; w.len()];
        let mut scores = vec![0.0; k];
        for _ in 0..EPOCHS {
            gradient.iter_mut().for_each(|g| *g = 0.0);
            let mut bias_gradient = vec![0.0; k];
            for (label, features) in &docs {
                scores.copy_from_slice(&bias);
                for f in features {
                    for (s, weight) in scores.iter_mut().zip(&w[f * k..f * k + k]) {
                        *s += weight;
                    }
                }
                softmax(&mut scores);
                scores[*label] -= 1.0;
                for f in features {
                    for (g, s) in gradient[f * k..f * k + k].iter_mut().zip(&scores) {
                        *g += s;
                    }
                }
                for (b, s) in bias_gradient.iter_mut().zip(&scores) {
                    *b += s;
                }
            }
            for (weight, g) in w.iter_mut().zip(&gradient) {
                *weight -= LEARNING_RATE * (g / n + L2 * *weight) * n.sqrt();
            }
            for (b, g) in bias.iter_mut().zip(&bias_gradient) {
                *b -= LEARNING_RATE * g / n;
            }
        }
        let weights = ids.into_iter().map(|(feature, id)| (feature, w[id * k..id * k + k].to_vec())).collect();
        Self { categories, weights, bias }
    }

    /// The model trained on the shipped corpus and the given extra examples.
    pub fn shipped(extra: &[Example]) -> Self {
        let mut examples = parse_corpus(CORPUS);
        examples.extend_from_slice(extra);
        Self::train(&examples)
    }

    pub fn predict(&self, text: &str) -> Prediction {
        let features = all_features(text);
        let known: Vec<&String> = features.iter().filter(|f| self.weights.contains_key(*f)).collect();
        if known.is_empty() {
            return Prediction { category: Category::Other, confidence: 0.0, words: Vec::new() };
        }
        let mut scores = self.bias.clone();
        for f in &known {
            for (s, w) in scores.iter_mut().zip(&self.weights[*f]) {
                *s += w;
            }
        }
        softmax(&mut scores);
        let best = (0..scores.len()).max_by(|a, b| scores[*a].total_cmp(&scores[*b])).unwrap_or(0);
        // The words that pushed the winner up most.
        let mut evidence: Vec<(f64, &String)> = known
            .iter()
            .filter(|f| !f.starts_with('#') && !f.starts_with("LEX:"))
            .map(|f| (self.weights[*f][best], *f))
            .filter(|(w, _)| *w > 0.0)
            .collect();
        evidence.sort_by(|a, b| b.0.total_cmp(&a.0));
        let words = evidence.into_iter().take(5).map(|(_, w)| w.clone()).collect();
        Prediction { category: self.categories[best], confidence: (scores[best] * 1000.0).round() / 1000.0, words }
    }
}

/// Precision and recall of one category on a test set.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryScore {
    pub category: Category,
    pub precision: f64,
    pub recall: f64,
    pub support: usize,
}

/// Trains on every example whose position is not a multiple of `fold`, tests on the rest:
/// overall accuracy and per-category scores.
pub fn evaluate(examples: &[Example], fold: usize) -> (f64, Vec<CategoryScore>) {
    let held_out = |i: &usize| i.is_multiple_of(fold);
    let train: Vec<Example> =
        examples.iter().enumerate().filter(|(i, _)| !held_out(i)).map(|(_, e)| e.clone()).collect();
    let test: Vec<&Example> = examples.iter().enumerate().filter(|(i, _)| held_out(i)).map(|(_, e)| e).collect();
    let model = Classifier::train(&train);
    let results: Vec<(Category, Category)> =
        test.iter().map(|e| (e.category, model.predict(&e.text).category)).collect();
    let correct = results.iter().filter(|(truth, guess)| truth == guess).count();
    let scores = Category::ALL
        .iter()
        .map(|c| {
            let predicted = results.iter().filter(|(_, g)| g == c).count();
            let actual = results.iter().filter(|(t, _)| t == c).count();
            let hits = results.iter().filter(|(t, g)| t == c && g == c).count();
            let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
            CategoryScore {
                category: *c,
                precision: ratio(hits, predicted),
                recall: ratio(hits, actual),
                support: actual,
            }
        })
        .collect();
    (correct as f64 / results.len().max(1) as f64, scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_keeps_dispute_words_whole() {
        let w = words("某建筑公司拖欠农民工工资，外卖骑手讨薪，物业费逾期交房");
        for word in ["农民工", "外卖骑手", "讨薪", "物业费", "逾期交房"] {
            assert!(w.iter().any(|x| x == word), "{word} split: {w:?}");
        }
        assert!(DICTIONARY.lines().all(|l| l.split_whitespace().count() == 3), "dictionary lines are `word freq tag`");
    }

    /// The held-out evaluation the README reports: every fifth example is kept out of training.
    #[test]
    fn held_out_accuracy_meets_the_target() {
        let examples = parse_corpus(CORPUS);
        assert!(examples.len() >= 21 * 32, "corpus: {} examples", examples.len());
        let (accuracy, scores) = evaluate(&examples, 5);
        println!("held-out accuracy: {:.1} % on {} examples", accuracy * 100.0, examples.len() / 5 + 1);
        println!("{:<24} {:>9} {:>7} {:>8}", "category", "precision", "recall", "support");
        for s in &scores {
            println!("{:<24} {:>9.2} {:>7.2} {:>8}", s.category.as_str(), s.precision, s.recall, s.support);
        }
        assert!(accuracy >= 0.90, "held-out accuracy {accuracy:.3} is below the 90 % target");
    }

    /// Below the threshold the model is wrong far more often than above it: that is what makes
    /// a guess below it a question ([`CONFIDENCE_THRESHOLD`]).
    #[test]
    fn guesses_below_the_threshold_are_often_wrong() {
        let examples = parse_corpus(CORPUS);
        let train: Vec<Example> =
            examples.iter().enumerate().filter(|(i, _)| i % 5 != 0).map(|(_, e)| e.clone()).collect();
        let model = Classifier::train(&train);
        let (mut below, mut above) = ((0, 0), (0, 0));
        for example in examples.iter().step_by(5) {
            let p = model.predict(&example.text);
            let side = if p.is_confident() { &mut above } else { &mut below };
            side.0 += usize::from(p.category != example.category);
            side.1 += 1;
        }
        let rate = |(wrong, all): (usize, usize)| wrong as f64 / all.max(1) as f64;
        println!("wrong below the threshold: {below:?}, above: {above:?}");
        assert!(rate(below) >= 3.0 * rate(above), "below {below:?}, above {above:?}");
        assert!(below.1 * 5 <= above.1, "at most one text in six is a question: {below:?} {above:?}");
    }

    #[test]
    fn doubtful_texts_are_questions_and_clear_ones_suggestions() {
        let model = Classifier::shipped(&[]);
        for text in [
            "对方持刀威胁申请人，扬言要砍死他",
            "噪音扰民",
            "王建国与李明因停车位问题多次争吵，李明扬言要报复。",
            "申请人与被申请人发生纠纷",
            "测试",
        ] {
            let p = model.predict(text);
            assert!(!p.is_confident(), "{text}: {p:?}");
        }
        for (text, category) in [
            ("楼上邻居每天深夜噪音很大，影响休息", Category::Neighbor),
            ("王建国在李明购买的冰箱出现质量问题，商家拒绝退换。", Category::Consumer),
            ("邻居装修噪音扰民，多次协商未果，双方发生口角，申请调解。", Category::Neighbor),
        ] {
            let p = model.predict(text);
            assert!(p.is_confident() && p.category == category, "{text}: {p:?}");
        }
    }

    #[test]
    fn predictions_say_why() {
        let model = Classifier::shipped(&[]);
        let p = model.predict("某建筑公司拖欠农民工工资三个月，多次讨要未果");
        assert_eq!(p.category, Category::Labor);
        assert!(!p.words.is_empty() && p.confidence > 0.5, "{p:?}");
        assert_eq!(model.predict("？？？").category, Category::Other);
    }

    #[test]
    fn extra_examples_retrain_the_model() {
        let text = "某某蜂场的蜜蜂大量死亡";
        let extra: Vec<Example> = (0..8)
            .map(|i| Example {
                category: Category::Environment,
                text: format!("{text}，第{i}次发生，蜂农认为是附近农药喷洒所致"),
            })
            .collect();
        assert_eq!(Classifier::shipped(&extra).predict(text).category, Category::Environment);
    }
}
