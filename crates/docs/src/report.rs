//! A periodic report (日抽查 · 周分析 · 月通报 · 季问效) as a PDF — the figures of the period
//! against the previous one, a bar chart drawn as vector graphics, the 亮牌 table, the red
//! cases and the overdue list — and the same content as an .xlsx workbook. The caller words
//! every value; the headings are the document's own (Chinese, as the official text).

use crate::escape::{array, str_lit};
use crate::workbook::{Cell, Sheet, workbook_xlsx};
use crate::world::DocWorld;
use crate::{DocError, Fonts};

const TEMPLATE: &str = include_str!("report.typ");

/// A figure of the report: its name and its values, already formatted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportFigure {
    pub name: String,
    pub now: String,
    pub previous: String,
    /// The change against the previous period (percentage points for a rate).
    pub change: String,
    /// The value itself, for the workbook (a rate as 0–1); none when there is no value.
    pub now_value: Option<f64>,
    pub previous_value: Option<f64>,
}

/// A pair of bars of the chart: a count this period and in the previous one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartBar {
    pub label: String,
    pub now: i64,
    pub previous: i64,
}

/// A unit's 亮牌 card.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardRow {
    pub unit: String,
    /// `red`, `yellow` or `green`: the colour it is printed in.
    pub card: String,
    pub card_label: String,
    pub score: String,
    pub reasons: String,
}

/// A case of the red or overdue list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportCase {
    pub number: String,
    pub title: String,
    pub status: String,
    pub unit: String,
}

/// A periodic report ready to be rendered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// E.g. 城关区综治中心月通报.
    pub title: String,
    /// The report's number, e.g. 2026-620102-月-003.
    pub number: String,
    pub territory: String,
    /// The period in words, e.g. 2026-11-01 至 2026-11-30.
    pub period: String,
    /// When it was produced, in words.
    pub generated: String,
    pub figures: Vec<ReportFigure>,
    pub chart: Vec<ChartBar>,
    pub cards: Vec<CardRow>,
    pub red: Vec<ReportCase>,
    pub overdue: Vec<ReportCase>,
}

/// The typst source of `r`, set in `families` (best first).
fn report_source(r: &Report, families: &[String]) -> String {
    let figures = r.figures.iter().map(|f| {
        dict(&[
            ("name", str_lit(&f.name)),
            ("now", str_lit(&f.now)),
            ("previous", str_lit(&f.previous)),
            ("change", str_lit(&f.change)),
        ])
    });
    let chart = r.chart.iter().map(|b| {
        dict(&[
            ("label", str_lit(&b.label)),
            ("now", b.now.max(0).to_string()),
            ("previous", b.previous.max(0).to_string()),
            ("now-text", str_lit(&b.now.to_string())),
            ("previous-text", str_lit(&b.previous.to_string())),
        ])
    });
    let cards = r.cards.iter().map(|c| {
        dict(&[
            ("unit", str_lit(&c.unit)),
            ("card", str_lit(&c.card)),
            ("card-label", str_lit(&c.card_label)),
            ("score", str_lit(&c.score)),
            ("reasons", str_lit(&c.reasons)),
        ])
    });
    let case = |c: &ReportCase| {
        dict(&[
            ("number", str_lit(&c.number)),
            ("title", str_lit(&c.title)),
            ("status", str_lit(&c.status)),
            ("unit", str_lit(&c.unit)),
        ])
    };
    let fields = [
        ("fonts", array(families.iter().map(|family| str_lit(family)))),
        ("title", str_lit(&r.title)),
        ("number", str_lit(&r.number)),
        ("territory", str_lit(&r.territory)),
        ("period", str_lit(&r.period)),
        ("generated", str_lit(&r.generated)),
        ("figures", array(figures)),
        ("chart", array(chart)),
        ("cards", array(cards)),
        ("red", array(r.red.iter().map(case))),
        ("overdue", array(r.overdue.iter().map(case))),
    ];
    format!("#let doc = {}\n\n{TEMPLATE}", dict(&fields))
}

fn dict(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields.iter().map(|(key, value)| format!("{key}: {value}")).collect();
    format!("({})", body.join(", "))
}

/// The report as an A4 PDF whose metadata title is `r.title`, its text extractable.
///
/// # Errors
///
/// [`DocError::Compile`] or [`DocError::Pdf`] if typst fails, which indicates a bug here rather
/// than bad input.
pub fn report_pdf(fonts: &Fonts, r: &Report) -> Result<Vec<u8>, DocError> {
    crate::render::compile_pdf(&DocWorld::new(fonts, report_source(r, fonts.families()), Vec::new())?)
}

/// The report as a workbook: the figures (values as numbers), the 亮牌 table, the red cases
/// and the overdue list, one sheet each.
pub fn report_xlsx(r: &Report) -> Result<Vec<u8>, DocError> {
    let number = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
    let text = |s: &str| Cell::Text(s.to_owned());
    let cases = |name: &str, list: &[ReportCase]| Sheet {
        name: name.to_owned(),
        header: ["案件编号", "事由", "状态", "承办单位"].map(String::from).to_vec(),
        rows: list.iter().map(|c| vec![text(&c.number), text(&c.title), text(&c.status), text(&c.unit)]).collect(),
    };
    let sheets = [
        Sheet {
            name: "主要指标".to_owned(),
            header: ["指标", "本期", "上期", "环比"].map(String::from).to_vec(),
            rows: r
                .figures
                .iter()
                .map(|f| vec![text(&f.name), number(f.now_value), number(f.previous_value), text(&f.change)])
                .collect(),
        },
        Sheet {
            name: "单位亮牌".to_owned(),
            header: ["单位", "亮牌", "得分", "原因"].map(String::from).to_vec(),
            rows: r
                .cards
                .iter()
                .map(|c| vec![text(&c.unit), text(&c.card_label), text(&c.score), text(&c.reasons)])
                .collect(),
        },
        cases("红色风险案件", &r.red),
        cases("超期案件", &r.overdue),
    ];
    workbook_xlsx(&sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preamble_holds_client_text_only_inside_literals() {
        let r = Report { title: "\"]#panic(\"x\")".into(), ..Report::default() };
        let src = report_source(&r, &["Noto Serif CJK SC".into()]);
        assert!(src.starts_with("#let doc = (fonts: (\"Noto Serif CJK SC\", ), title: \"\\\"]#panic(\\\"x\\\")\""));
    }

    #[test]
    fn bars_are_never_negative() {
        let r = Report { chart: vec![ChartBar { label: "受理".into(), now: -3, previous: 2 }], ..Report::default() };
        assert!(report_source(&r, &[]).contains("(label: \"受理\", now: 0, previous: 2, now-text: \"-3\""));
    }
}
