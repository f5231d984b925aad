//! 定期报告 (issue 15): a monthly bulletin issued on demand — numbered, its figures those of the
//! figures table, its PDF and workbook served as issued (hashes, numbers read back with
//! calamine) —; the fields at fault named; the territory kept; one report for 20 parallel
//! requests; the scheduler's pass issuing last month's report once however often it runs.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(
    a_monthly_report_is_issued_numbered_and_served_as_issued,
    bad_requests_are_refused_with_the_field_named,
    twenty_parallel_requests_issue_one_report,
    the_scheduler_issues_last_months_report_once,
    files_left_untypeset_are_made_by_the_scheduler,
);

/// A report whose files were not typeset (the node stopped after the answer) is made by the
/// scheduler's next pass; and when read before that, it reads all the same, says so on its
/// page, and has its files made after the answer.
async fn files_left_untypeset_are_made_by_the_scheduler(app: TestApp) {
    october(&app).await;
    let leader = app.login("leader").await;
    let body = json!({"kind": "weekly", "region": DISTRICT_A, "period_start": "2026-10-05"});
    let (status, report) = app.post("/api/v1/reports", &leader, body).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let id = report["id"].as_i64().unwrap();
    // Wait for the background typesetting, then undo it as a crash before it would have.
    for _ in 0..200 {
        let (_, now) = app.get(&format!("/api/v1/reports/{id}"), &leader).await;
        if now["pdf_sha256"] != "" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let crash = format!("UPDATE reports SET pdf_sha256 = '', xlsx_sha256 = '' WHERE id = {id}");
    app.sql(&crash).await;

    // The scheduler's next pass makes them.
    app.app.reports_due().await.unwrap();
    let made = app.sql_texts(&format!("SELECT pdf_sha256 FROM reports WHERE id = {id}")).await;
    assert_eq!(made[0].len(), 64, "{made:?}");

    // Unmade again: the report reads all the same and says so; reading it has them made.
    app.sql(&crash).await;
    let (_, unmade) = app.get(&format!("/api/v1/reports/{id}"), &leader).await;
    assert_eq!(unmade["pdf_sha256"], "", "{unmade}");
    assert_eq!(unmade["content"], report["content"], "what it says is there");
    let cookies = format!("fq_session={}", crate::support::ui_session(&app, "leader").await);
    let (status, page) = crate::support::ui_get(&app, &cookies, &format!("/reports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"report-typesetting\""), "the page says the files are being made");
    let mut sha = String::new();
    for _ in 0..400 {
        let (_, now) = app.get(&format!("/api/v1/reports/{id}"), &leader).await;
        sha = now["pdf_sha256"].as_str().unwrap().to_owned();
        if !sha.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(sha.len(), 64, "made after the answer, without the scheduler");
    let (_, page) = crate::support::ui_get(&app, &cookies, &format!("/reports/{id}")).await;
    assert!(page.contains(&format!("PDF SHA-256 {sha}")), "and then names the PDF's hash");
}

const DISTRICT_A: &str = "620102000000";

fn red_case(seq: u32) -> Value {
    let mut body = registration(&id_number("620102", "19800101", seq), &format!("1391234{seq:04}"));
    body["description"] = json!("讨薪无门，他说再不给钱就从工地楼顶跳下去。");
    body
}

/// October 2026 in district A: two cases, one of them red; a report asked for in November.
async fn october(app: &TestApp) {
    app.set_now("2026-10-15T10:00:00+08:00");
    let intake = app.login("intake").await;
    app.register(&intake, registration(&id_number("620102", "19800101", 1), "13912340001")).await;
    let red = app.register(&intake, red_case(2)).await;
    assert_eq!(red["risk"], "red", "{red}");
    app.set_now("2026-11-16T10:00:00+08:00");
}

fn figure<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["content"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no figure {code}: {report}"))
}

async fn a_monthly_report_is_issued_numbered_and_served_as_issued(app: TestApp) {
    october(&app).await;
    let leader = app.login("leader").await;
    let body = json!({"kind": "monthly", "region": DISTRICT_A, "period_start": "2026-10-01"});
    let (status, report) = app.post("/api/v1/reports", &leader, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["number"], "〔2026〕月通报第1号");
    assert_eq!(report["kind"], "monthly");
    assert_eq!(report["region"], DISTRICT_A);
    assert_eq!(report["period_start"], "2026-10-01");
    assert_eq!(report["period_end"], "2026-10-31");
    assert!(report["created_at"].as_str().unwrap().starts_with("2026-11-16T10:00"), "{report}");

    // The figures are the figures table's for the same region and period.
    let (status, table) = app
        .get(&format!("/api/v1/stats/figures?region={DISTRICT_A}&from=2026-10-01&to=2026-10-31&by=category"), &leader)
        .await;
    assert_eq!(status, StatusCode::OK, "{table}");
    let received: i64 = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["figures"]["received"]["value"].as_f64().unwrap() as i64)
        .sum();
    assert_eq!(received, 2, "{table}");
    assert_eq!(figure(&report, "received")["now"]["value"], 2.0);
    assert_eq!(figure(&report, "received")["previous"]["value"], 0.0);
    assert_eq!(figure(&report, "red_cases")["now"]["value"], 1.0);
    assert_eq!(report["content"]["red_total"], 1);
    assert_eq!(report["content"]["red"].as_array().unwrap().len(), 1);
    assert!(!report["content"]["cards"].as_array().unwrap().is_empty(), "a monthly report carries the 亮牌");

    // Asked again: the same report (200), nothing new.
    let (status, again) = app.post("/api/v1/reports", &leader, body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], report["id"]);

    let (status, list) = app.get("/api/v1/reports?kind=monthly", &leader).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], report["id"]);
    let (_, weekly) = app.get("/api/v1/reports?kind=weekly", &leader).await;
    assert_eq!(weekly["total"], 0, "{weekly}");
    let (status, fetched) = app.get(&format!("/api/v1/reports/{}", report["id"]), &leader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["content"], report["content"]);

    // The PDF as issued.
    let response = app
        .client
        .get(format!("{}/api/v1/reports/{}/pdf", app.base, report["id"]))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.unwrap().to_vec();
    assert!(pdf.starts_with(b"%PDF"));
    // The files are typeset after the POST's answer; a download right after it waits for
    // them, and the report then names their hashes.
    let (_, report) = app.get(&format!("/api/v1/reports/{}", report["id"]), &leader).await;
    assert_eq!(store::blobs::sha256_hex(&pdf), report["pdf_sha256"].as_str().unwrap());
    // What a reader sees in it: the number, the period, the figures by name with their values.
    // (typst sets a thin space between Chinese and digits: compared without white space).
    let text: String = crate::support::pdf_text(&app, &pdf).split_whitespace().collect();
    for expected in ["〔2026〕月通报第1号", "2026-10-01至2026-10-31", "受理量20+2", "化解率"] {
        assert!(text.contains(expected), "{expected} not in the report's text:\n{text}");
    }
    for code in ["received", "red_cases", "in_progress"] {
        assert!(!text.contains(code), "the code {code} in the report's text:\n{text}");
    }

    // The workbook as issued: the figures sheet holds the JSON's numbers.
    let response = app
        .client
        .get(format!("{}/api/v1/reports/{}/xlsx", app.base, report["id"]))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let xlsx = response.bytes().await.unwrap().to_vec();
    assert_eq!(store::blobs::sha256_hex(&xlsx), report["xlsx_sha256"].as_str().unwrap());
    use calamine::{DataType, Reader};
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = workbook.worksheet_range("主要指标").unwrap();
    let figures = report["content"]["figures"].as_array().unwrap();
    for (i, f) in figures.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap();
        assert_eq!(sheet.get_value((row, 0)).unwrap().to_string(), f["name"].as_str().unwrap());
        let cell = |column: u32| sheet.get_value((row, column)).and_then(|c| c.get_float());
        assert_eq!(cell(1), f["now"]["value"].as_f64(), "{f}");
        assert_eq!(cell(2), f["previous"]["value"].as_f64(), "{f}");
    }
    let red = workbook.worksheet_range("红色风险案件").unwrap();
    assert_eq!(red.get_value((1, 0)).unwrap().to_string(), report["content"]["red"][0]["number"].as_str().unwrap());

    // The territory: district B's staff neither list it nor read it.
    let street_b = app.login("street_b").await;
    let (status, theirs) = app.get("/api/v1/reports", &street_b).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["total"], 0);
    let (status, _) = app.get(&format!("/api/v1/reports/{}/pdf", report["id"]), &street_b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The issuing centre and the unit handling the red case are sent the report.
    let centre = app.unit_id("城关区社会治安综合治理中心").await;
    assert!(report["recipients"].as_array().unwrap().contains(&json!(centre)), "{report}");
}

async fn bad_requests_are_refused_with_the_field_named(app: TestApp) {
    app.set_now("2026-11-16T10:00:00+08:00");
    let leader = app.login("leader").await;
    let refused =
        |kind: &str, region: &str, start: &str| json!({"kind": kind, "region": region, "period_start": start});
    for (body, field) in [
        (refused("yearly", DISTRICT_A, "2026-10-01"), "kind"),
        (refused("monthly", DISTRICT_A, "2026-10-02"), "period_start"),
        (refused("weekly", DISTRICT_A, "2026-11-03"), "period_start"),
        (refused("quarterly", DISTRICT_A, "2026-08-01"), "period_start"),
        (refused("monthly", DISTRICT_A, "2026-11-01"), "period_start"),
        (refused("monthly", DISTRICT_A, "2026-10-32"), "period_start"),
        (refused("monthly", "", "2026-10-01"), "region"),
    ] {
        let (status, error) = app.post("/api/v1/reports", &leader, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body} {error}");
        assert_eq!(error["error"]["field"], field, "{body} {error}");
        assert!(!error["error"]["message"].as_str().unwrap().is_empty());
    }
    // In words, in the reader's language.
    let response = app
        .client
        .post(format!("{}/api/v1/reports", app.base))
        .bearer_auth(&leader)
        .header("accept-language", "zh-CN")
        .json(&refused("weekly", DISTRICT_A, "2026-11-03"))
        .send()
        .await
        .unwrap();
    let error: Value = response.json().await.unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("星期一"), "{error}");
    // Outside the territory: refused like the statistics.
    let (status, error) = app.post("/api/v1/reports", &leader, refused("monthly", "620103000000", "2026-10-01")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    // A role that issues none.
    let intake = app.login("intake").await;
    let (status, _) = app.post("/api/v1/reports", &intake, refused("monthly", DISTRICT_A, "2026-10-01")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nothing was issued.
    let (_, list) = app.get("/api/v1/reports", &leader).await;
    assert_eq!(list["total"], 0, "{list}");
    assert_eq!(app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM reports").await, ["0"]);
}

async fn twenty_parallel_requests_issue_one_report(app: TestApp) {
    app.set_now("2026-11-16T10:00:00+08:00");
    let leader = app.login("leader").await;
    let body = json!({"kind": "weekly", "region": DISTRICT_A, "period_start": "2026-11-02"});
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = app.client.post(format!("{}/api/v1/reports", app.base)).bearer_auth(&leader).json(&body);
        set.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let report: Value = response.json().await.unwrap_or(Value::Null);
            (status, report)
        });
    }
    let answers = set.join_all().await;
    let created = answers.iter().filter(|(status, _)| *status == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{answers:?}");
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(status, report)| {
            assert!(status.is_success(), "{status} {report}");
            report["id"].to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(app.sql_texts("SELECT number FROM reports").await, ["〔2026〕周分析第1号"]);
}

async fn the_scheduler_issues_last_months_report_once(app: TestApp) {
    october(&app).await;
    // Each pass issues a few (the next goes on), until none is due; a pass after that, or on
    // another node, issues nothing.
    let mut passes = 0;
    while app.app.reports_due().await.unwrap() > 0 {
        passes += 1;
        assert!(passes < 20, "the passes end");
    }
    assert!(passes > 1, "a pass typesets at most {}", app::reports::REPORTS_PER_PASS);
    jobs::reports(&app.app).await;
    let clock_ms = app.clock_ms.clone();
    let other_node = app::App::new(
        app.second_node().await,
        std::sync::Arc::new(move || {
            chrono::DateTime::from_timestamp_millis(clock_ms.load(std::sync::atomic::Ordering::SeqCst)).unwrap()
        }),
        "node-2",
        std::sync::Arc::new(search::SearchIndex::open(&app.data_dir.join("search-2")).unwrap()),
        &app.data_dir,
    );
    assert_eq!(other_node.reports_due().await.unwrap(), 0);
    let monthly = app
        .sql_texts(&format!(
            "SELECT number FROM reports WHERE kind = 'monthly' AND region_code = '{DISTRICT_A}' AND period_start = '2026-10-01'"
        ))
        .await;
    assert_eq!(monthly, ["〔2026〕月通报第1号"]);
    // One of each kind per centre: yesterday, last week, last month, last quarter.
    let centres = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM units WHERE kind = 'centre' AND active").await;
    let centres: i64 = centres[0].parse().unwrap();
    let issued = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM reports WHERE pdf_sha256 <> ''").await;
    assert_eq!(issued, [(centres * 4).to_string()]);
    let periods = app
        .sql_texts(&format!("SELECT period_start FROM reports WHERE region_code = '{DISTRICT_A}' ORDER BY kind"))
        .await;
    assert_eq!(periods, ["2026-11-15", "2026-10-01", "2026-07-01", "2026-11-09"]);
    // The leader sees it in the archive, with its figures.
    let leader = app.login("leader").await;
    let (_, list) = app.get("/api/v1/reports?kind=monthly", &leader).await;
    let mine = list["items"].as_array().unwrap().iter().find(|r| r["region"] == DISTRICT_A).cloned().unwrap();
    let (_, report) = app.get(&format!("/api/v1/reports/{}", mine["id"]), &leader).await;
    assert_eq!(figure(&report, "received")["now"]["value"], 2.0, "{report}");
}
