//! 历史案件导入 (issue 18): historical cases from an Excel workbook built here with
//! rust_xlsxwriter — a dry run answers every row; good rows are imported numbered, encrypted and
//! with their history saying so; a workbook with bad rows among good ones is refused with each
//! bad row's faults and imports nothing; concluded history counts in the statistics; `audit
//! verify` still passes.

use reqwest::StatusCode;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{TestApp, browser, id_number, ui_session};

on_both_backends!(historical_cases_import_from_excel_all_or_nothing_with_each_bad_row_named);

const HEADER: [&str; 11] = [
    "登记日期",
    "案件类别",
    "来源渠道",
    "所属区域(代码)",
    "申请人姓名",
    "申请人身份证号",
    "申请人电话",
    "被申请人姓名",
    "纠纷简要情况",
    "办理结果",
    "办结日期",
];

/// A workbook: the header, then each row's text cells; the first column of a row that is
/// `excel-date` is written as a real Excel date cell.
fn workbook(rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (column, name) in HEADER.iter().enumerate() {
        sheet.write_string(0, column as u16, *name).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (column, value) in row.iter().enumerate() {
            if column == 0 && value == "excel-date" {
                let day = ExcelDateTime::from_ymd(2022, 6, 15).unwrap();
                sheet.write_datetime_with_format(r, 0, &day, &date).unwrap();
            } else if !value.is_empty() {
                sheet.write_string(r, column as u16, value).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn row(registered: &str, id: &str, outcome: &str, concluded: &str) -> Vec<String> {
    [
        registered,
        "婚姻家庭",
        "窗口",
        "620102003000",
        "张三",
        id,
        "13912345678",
        "李四",
        "离婚后子女抚养费纠纷",
        outcome,
        concluded,
    ]
    .map(str::to_owned)
    .to_vec()
}

async fn post(app: &TestApp, token: &str, dry_run: bool, body: Vec<u8>) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{}/api/v1/cases/import?dry_run={dry_run}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn cases(app: &TestApp) -> usize {
    app.sql_texts("SELECT number FROM cases").await.len()
}

async fn historical_cases_import_from_excel_all_or_nothing_with_each_bad_row_named(app: TestApp) {
    let admin = app.login("admin").await;
    let id = id_number("620102", "19850101", 7);
    let good = workbook(&[
        row("excel-date", &id, "调解成功", "2022-06-30"),
        row("2021/3/4", "", "", ""),
        row("2020年1月2日", "", "withdrawn", "2020-01-08"),
    ]);

    let mediator = app.login("mediator").await;
    assert_eq!(post(&app, &mediator, true, good.clone()).await.0, StatusCode::FORBIDDEN);

    let before = cases(&app).await;
    let (status, report) = post(&app, &admin, true, good.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["importable"], 3);
    assert_eq!(report["rows"][0]["row"], 2);
    assert_eq!(report["rows"][0]["cells"][0], "2022-06-15");
    assert_eq!(cases(&app).await, before, "a dry run writes nothing");

    let city = app.login("city").await;
    let year = |year: i32| {
        let (app, city) = (&app, &city);
        async move {
            let url = format!("/api/v1/stats/summary?region=620100&from={year}-01-01&to={year}-12-31");
            let (status, s) = app.get(&url, city).await;
            assert_eq!(status, StatusCode::OK, "{s}");
            (s["concluded"].as_i64(), s["on_time_rate"].as_f64(), s["average_handling_working_days"].as_f64())
        }
    };
    assert_eq!(year(2020).await, (Some(0), None, None));

    let (status, done) = post(&app, &admin, false, good.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["imported"], 3);
    assert_eq!(cases(&app).await, before + 3);
    let (status, again) = post(&app, &admin, false, good).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert!(again.to_string().contains("已经导入过"), "{again}");
    assert_eq!(cases(&app).await, before + 3, "a workbook is imported once");
    let statuses = app.sql_texts("SELECT status FROM cases ORDER BY id DESC LIMIT 3").await;
    assert_eq!(statuses, ["concluded", "registered", "concluded"]);
    let created = app.sql_texts("SELECT number FROM cases ORDER BY id DESC LIMIT 3").await;
    assert!(created[2].contains("2022"), "numbered in the year registered: {created:?}");
    let imported = app.sql_texts("SELECT data FROM case_events WHERE action = 'imported'").await;
    assert_eq!(imported.len(), 3);
    let data: Value = serde_json::from_str(&imported[0]).unwrap();
    assert_eq!(data["file_sha256"].as_str().unwrap().len(), 64);
    // Concluded history counts in 按期办结率 and the average handling time, reckoned on the
    // calendar from the registration against the conclude time limit (5 working days):
    // 2020-01-02 → 01-08 is 4 working days, on time; 2022-06-15 → 06-30 is 11, late.
    assert_eq!(year(2020).await, (Some(1), Some(1.0), Some(4.0)));
    assert_eq!(year(2022).await, (Some(1), Some(0.0), Some(11.0)));
    let stored = app.sql_texts("SELECT id_number_masked FROM parties WHERE id_number_masked IS NOT NULL").await;
    assert!(stored.iter().all(|s| s != &id), "the ID number is stored masked and encrypted");

    let bad = workbook(&[
        row("2021-01-01", "", "", ""),
        row("2021-01-02", "110105194912310021", "", ""),
        row("2021-01-03", "", "", ""),
        row("2099-01-04", "", "吵完了", "2021-01-09"),
        row("2021-01-05", "", "", ""),
    ]);
    let before = cases(&app).await;
    let (status, report) = post(&app, &admin, true, bad.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["faulted_rows"], serde_json::json!([3, 5]));
    assert_eq!(report["importable"], 3);
    let (status, refused) = post(&app, &admin, false, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let said: Vec<String> = refused["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(said.iter().any(|s| s.starts_with("第 3 行的申请人身份证号")), "{said:?}");
    assert!(said.iter().any(|s| s.starts_with("第 5 行的登记日期")), "{said:?}");
    assert!(said.iter().any(|s| s.starts_with("第 5 行的办理结果")), "{said:?}");
    assert_eq!(cases(&app).await, before, "nothing half-imported");

    let (status, _) = post(&app, &admin, false, b"not a workbook".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let cookie = format!("fq_session={}", ui_session(&app, "admin").await);
    let template = browser()
        .get(format!("{}/admin/import/template/cases.xlsx", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(template.status(), StatusCode::OK);
    let template = template.bytes().await.unwrap().to_vec();
    let (status, report) = post(&app, &admin, true, template).await;
    assert_eq!(status, StatusCode::OK, "the template's sample row reads back: {report}");

    let verify = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{out}{}", String::from_utf8_lossy(&verify.stderr));
}
