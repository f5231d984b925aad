//! End-to-end rendering tests: the PDFs are read back with poppler's `pdftotext` and `pdfimages`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;
use std::{fs, thread};

use docs::{Agreement, Fonts, Party, Signature, Term, agreement_pdf};

/// A 1×1 black greyscale PNG.
const TINY_PNG: [u8; 67] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00, 0x0a, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x48, 0xaf, 0xa4, 0x71, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let start = Instant::now();
        let fonts = Fonts::from_dir(std::path::Path::new(docs::DEFAULT_FONT_DIR))
            .expect("a CJK font is installed (fonts-noto-cjk)");
        println!("font discovery: {:?} → {:?}", start.elapsed(), fonts);
        fonts
    })
}

fn sample() -> Agreement {
    Agreement {
        title: "人民调解协议书".into(),
        number: "兰城调协〔2026〕第15号".into(),
        committee: "兰城市城关区东街人民调解委员会".into(),
        parties: vec![
            Party {
                role: "申请人".into(),
                name: "张三".into(),
                id_number: "620102********1234".into(),
                address: "兰城市城关区东街12号".into(),
                phone: Some("138****5678".into()),
            },
            Party {
                role: "被申请人".into(),
                name: "李四".into(),
                id_number: "620103********4321".into(),
                address: "兰城市城关区西街8号".into(),
                phone: None,
            },
        ],
        facts: "2026年3月，被申请人装修房屋时水管破裂，致申请人楼下住宅天花板受损。\n双方多次协商未果。".into(),
        matters: "申请人要求被申请人赔偿维修费用人民币伍仟元。".into(),
        responsibilities: "被申请人对漏水负主要责任，申请人未及时告知物业，负次要责任。".into(),
        terms: vec![
            Term {
                text: "被申请人一次性赔偿申请人维修费用人民币肆仟元整。".into(),
                due: Some("2026年12月31日前".into()),
            },
            Term { text: "双方就此纠纷再无其他争议。".into(), due: None },
        ],
        performance: "被申请人以银行转账方式向申请人支付。".into(),
        mediator: "王五".into(),
        copy_label: "申请人张三持".into(),
        signatures: vec![
            Signature { label: "申请人：张三".into(), signed_at: Some("2026年5月1日".into()), image: None },
            Signature { label: "被申请人：李四".into(), signed_at: None, image: None },
        ],
        seal: Some("兰城市城关区东街人民调解委员会".into()),
        effective_at: Some("2026年5月1日".into()),
        footer: "文档校验码 SHA-256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
    }
}

/// Renders `a`, printing how long it took.
fn render(name: &str, a: &Agreement) -> Vec<u8> {
    let start = Instant::now();
    let pdf = agreement_pdf(fonts(), a).expect("render");
    println!("{name}: rendered {} bytes in {:?}", pdf.len(), start.elapsed());
    assert!(pdf.starts_with(b"%PDF-"));
    pdf
}

/// Writes `pdf` to a temp file, runs the poppler tool `tool` with `args` followed by the file's path and
/// `extra`, and returns its stdout.
fn poppler(tool: &str, args: &[&str], extra: &[&str], name: &str, pdf: &[u8]) -> String {
    let path: PathBuf = std::env::temp_dir().join(format!("fq-docs-{name}-{}.pdf", std::process::id()));
    fs::write(&path, pdf).expect("write temp pdf");
    let output = Command::new(tool).args(args).arg(&path).args(extra).output();
    fs::remove_file(&path).ok();
    let output = output.unwrap_or_else(|err| panic!("{tool} (poppler-utils) must be installed: {err}"));
    assert!(output.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The PDF's text with all whitespace removed, since line breaks and CJK/Latin gaps vary.
fn text_of(name: &str, pdf: &[u8]) -> String {
    squash(&poppler("pdftotext", &[], &["-"], name, pdf))
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect()
}

fn assert_contains(text: &str, expected: &[&str]) {
    for expected in expected {
        assert!(text.contains(&squash(expected)), "missing {expected:?} in:\n{text}");
    }
}

/// Number of images embedded in the PDF (`pdfimages -list` prints two header lines).
fn image_count(name: &str, pdf: &[u8]) -> usize {
    poppler("pdfimages", &["-list"], &[], name, pdf).lines().skip(2).count()
}

#[test]
fn two_party_agreement_has_the_essentials() {
    let pdf = render("two-party", &sample());
    let text = text_of("two-party", &pdf);
    assert_contains(
        &text,
        &["人民调解协议书", "张三", "李四", "被申请人一次性赔偿申请人维修费用", "兰城市城关区东街人民调解委员会"],
    );
    assert_contains(
        &text,
        &["兰城调协〔2026〕第15号", "申请人张三持", "一式三份", "2026年12月31日前", "SHA-256", "第1页"],
    );
    let info = poppler("pdfinfo", &[], &[], "two-party-info", &pdf);
    assert!(info.lines().any(|line| line.starts_with("Title:") && line.contains("人民调解协议书")), "{info}");
    assert!(info.contains("A4"), "{info}");
}

#[test]
fn hostile_input_is_printed_verbatim() {
    let hostile = "#panic(\"x\") ] *bold* _em_ `raw` $x$ <l> @ref \\ \" = - + / ~ // #{ } \u{0}";
    let mut a = sample();
    a.title = format!("{hostile}\n第二行");
    a.parties[0].name = "]) #panic(\"boom\") #([".into();
    a.facts = "*不是粗体*\n= 不是标题\n- 不是列表\n#set text(size: 100pt)".into();
    a.terms[1].text = "\")#panic(\"y\")//".into();
    a.signatures[1].label = "\\\"#panic()".into();
    a.seal = Some("#panic(\"seal\")".into());
    a.footer = "$ x $ <a> @b".into();
    let pdf = render("hostile", &a);
    let text = text_of("hostile", &pdf);
    assert_contains(&text, &["#panic(\"x\")", "*bold*", "`raw` $x$ <l> @ref \\ \"", "]) #panic(\"boom\") #(["]);
    assert_contains(&text, &["*不是粗体*", "= 不是标题", "- 不是列表", "#set text(size: 100pt)", "\")#panic(\"y\")//"]);
    assert_contains(&text, &["\\\"#panic()", "$ x $ <a> @b"]);
}

#[test]
fn invalid_png_prints_the_signer_name_instead() {
    let mut a = sample();
    a.signatures[0].image = Some(b"\x89PNG\r\n\x1a\ncorrupt".to_vec());
    a.signatures[1].image = Some(b"definitely not an image".to_vec());
    let pdf = render("invalid-png", &a);
    assert_eq!(image_count("invalid-png", &pdf), 0);
    let text = text_of("invalid-png", &pdf);
    assert!(text.matches("李四").count() >= 3, "name should appear in the signature cell:\n{text}");
}

#[test]
fn valid_png_signature_is_embedded() {
    let mut a = sample();
    a.signatures[0].image = Some(TINY_PNG.to_vec());
    let pdf = render("valid-png", &a);
    assert_eq!(image_count("valid-png", &pdf), 1);
}

#[test]
fn renders_concurrently() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            thread::spawn(move || {
                let mut a = sample();
                a.parties[1].name = format!("李四{i}");
                a.signatures[0].image = Some(TINY_PNG.to_vec());
                let pdf = render(&format!("thread-{i}"), &a);
                (i, text_of(&format!("thread-{i}"), &pdf))
            })
        })
        .collect();
    for handle in handles {
        let (i, text) = handle.join().expect("render thread");
        assert_contains(&text, &[&format!("李四{i}")]);
    }
}

#[test]
fn minimal_agreement_renders() {
    let a = Agreement { title: "人民调解协议书".into(), ..Agreement::default() };
    let text = text_of("minimal", &render("minimal", &a));
    assert_contains(&text, &["人民调解协议书", "一式一份"]);
}

/// Writes the sample to `$FQ_DOCS_SAMPLE` for eyeballing, when set.
#[test]
#[allow(clippy::disallowed_methods, reason = "a developer's switch for this test, not configuration")]
fn write_sample_when_asked() {
    if let Some(path) = std::env::var_os("FQ_DOCS_SAMPLE") {
        let mut a = sample();
        a.signatures[0].image = Some(TINY_PNG.to_vec());
        fs::write(path, render("sample", &a)).expect("write sample");
    }
}
