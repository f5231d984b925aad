//! The periodic report read back: its PDF's text with poppler's `pdftotext` (the Chinese text
//! and the figures extractable, the chart drawn as vectors, not an image) and its workbook with
//! calamine (the same numbers).

use std::fs;
use std::process::Command;

use calamine::{Data, Reader};
use docs::{CardRow, ChartBar, Fonts, Report, ReportCase, ReportFigure, report_pdf, report_xlsx};

fn sample() -> Report {
    let case = |number: &str, title: &str| ReportCase {
        number: number.into(),
        title: title.into(),
        status: "办理中".into(),
        unit: "东街街道综治中心".into(),
    };
    Report {
        title: "城关区综治中心月通报".into(),
        number: "2026-620102-月-003".into(),
        territory: "兰城市城关区".into(),
        period: "2026-10-01 至 2026-10-31".into(),
        generated: "2026-11-01 02:00 生成".into(),
        figures: vec![
            ReportFigure {
                name: "受理量".into(),
                now: "137".into(),
                previous: "112".into(),
                change: "+22.3%".into(),
                now_value: Some(137.0),
                previous_value: Some(112.0),
            },
            ReportFigure {
                name: "化解率".into(),
                now: "64.2%".into(),
                previous: "58.0%".into(),
                change: "+6.2".into(),
                now_value: Some(0.642),
                previous_value: Some(0.58),
            },
        ],
        chart: vec![
            ChartBar { label: "受理".into(), now: 137, previous: 112 },
            ChartBar { label: "办结".into(), now: 98, previous: 101 },
        ],
        cards: vec![CardRow {
            unit: "西街街道综治中心".into(),
            card: "red".into(),
            card_label: "红牌".into(),
            score: "52".into(),
            reasons: "超期率 18%；督办令 2 件".into(),
        }],
        red: vec![case("2026-620102-000123", "讨薪引发冲突")],
        overdue: vec![case("2026-620102-000088", "物业费纠纷"), case("2026-620102-000091", "邻里漏水")],
    }
}

fn poppler(tool: &str, args: &[&str], name: &str, pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("fq-report-{name}-{}.pdf", std::process::id()));
    fs::write(&path, pdf).expect("write temp pdf");
    let output = Command::new(tool).args(args).arg(&path).arg("-").output();
    fs::remove_file(&path).ok();
    let output = output.unwrap_or_else(|err| panic!("{tool} (poppler-utils) must be installed: {err}"));
    String::from_utf8_lossy(&output.stdout).split_whitespace().collect()
}

#[test]
fn the_pdf_holds_the_figures_and_lists_as_text_and_the_chart_as_vectors() {
    let fonts = Fonts::from_dir(std::path::Path::new(docs::DEFAULT_FONT_DIR)).expect("a CJK font is installed");
    let pdf = report_pdf(&fonts, &sample()).expect("renders");
    assert!(pdf.starts_with(b"%PDF"));
    let text = poppler("pdftotext", &[], "text", &pdf);
    for expected in [
        "城关区综治中心月通报",
        "2026-620102-月-003",
        "主要指标",
        "受理量",
        "137",
        "112",
        "+22.3%",
        "化解率",
        "64.2%",
        "单位亮牌",
        "西街街道综治中心",
        "红牌",
        "红色风险案件",
        "2026-620102-000123",
        "讨薪引发冲突",
        "超期案件",
        "2026-620102-000091",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let path = std::env::temp_dir().join(format!("fq-report-images-{}.pdf", std::process::id()));
    fs::write(&path, &pdf).unwrap();
    let images = Command::new("pdfimages").arg("-list").arg(&path).output().expect("pdfimages");
    fs::remove_file(&path).ok();
    let listed = String::from_utf8_lossy(&images.stdout).lines().skip(2).count();
    assert_eq!(listed, 0, "the chart is drawn, not a picture");
}

#[test]
fn an_empty_report_still_renders_with_its_headings() {
    let fonts = Fonts::from_dir(std::path::Path::new(docs::DEFAULT_FONT_DIR)).expect("a CJK font is installed");
    let report = Report {
        figures: Vec::new(),
        chart: Vec::new(),
        cards: Vec::new(),
        red: Vec::new(),
        overdue: Vec::new(),
        ..sample()
    };
    let text = poppler("pdftotext", &[], "empty", &report_pdf(&fonts, &report).expect("renders"));
    assert!(text.contains("单位亮牌") && text.contains("无。"), "{text}");
}

#[test]
fn the_workbook_reads_back_with_the_same_numbers() {
    let bytes = report_xlsx(&sample()).expect("writes");
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx");
    assert_eq!(workbook.sheet_names(), ["主要指标", "单位亮牌", "红色风险案件", "超期案件"]);
    let figures = workbook.worksheet_range("主要指标").expect("the figures");
    assert_eq!(figures.get((1, 0)), Some(&Data::String("受理量".into())));
    assert_eq!(figures.get((1, 1)), Some(&Data::Float(137.0)));
    assert_eq!(figures.get((1, 2)), Some(&Data::Float(112.0)));
    assert_eq!(figures.get((2, 1)), Some(&Data::Float(0.642)));
    let overdue = workbook.worksheet_range("超期案件").expect("the overdue list");
    assert_eq!(overdue.height(), 3);
    assert_eq!(overdue.get((2, 0)), Some(&Data::String("2026-620102-000091".into())));
}
