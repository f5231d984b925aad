//! 导出 (issue 18): `GET /api/v1/cases/export?format=csv|xlsx|json&…` — the list's filters in
//! the viewer's scope, parties masked, bounded, every export recorded.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(exports_follow_the_filters_and_the_scope_and_mask_parties, bad_export_requests_name_the_field,);

async fn download(app: &TestApp, token: &str, query: &str) -> (StatusCode, String, Vec<u8>) {
    let response =
        app.client.get(format!("{}/api/v1/cases/export?{query}", app.base)).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

async fn exports_follow_the_filters_and_the_scope_and_mask_parties(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let intake = app.login("intake").await;
    let mut numbers = Vec::new();
    for i in 1..=3 {
        let case =
            app.register(&intake, registration(&id_number("620102", "19850101", i), &format!("1391234000{i}"))).await;
        numbers.push(case["number"].as_str().unwrap().to_owned());
    }
    let full_id = id_number("620102", "19850101", 1);

    // CSV: a byte-order mark, a header, one line per case, nothing personal in full.
    let (status, kind, bytes) = download(&app, &intake, "format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "number,status,channel,category,risk,title,region_code,lead_unit_id,created_at,next_due_at,parties"
    );
    assert_eq!(lines.len(), 4, "{text}");
    for number in &numbers {
        assert!(text.contains(number.as_str()), "{text}");
    }
    assert!(text.contains("applicant 李* ") && text.contains("139****0001"), "{text}");
    assert!(!text.contains("李四") && !text.contains("13912340001") && !text.contains(&full_id), "{text}");
    assert!(text.contains("甘肃某建筑工程有限公司"), "an organisation's name is public: {text}");

    // JSON: the same cases, the parties as objects, masked.
    let (status, kind, bytes) = download(&app, &intake, "format=json&status=registered").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/json");
    let items: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 3, "{items}");
    assert_eq!(items[0]["parties"][0]["name"], "李*", "{items}");
    assert_eq!(items[0]["parties"][0]["phone"], "139****0003", "{items}");
    assert!(!items.to_string().contains(&full_id));

    // Filters: the same as the list's.
    let (_, _, bytes) = download(&app, &intake, &format!("format=json&q={}", numbers[1])).await;
    let items: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
    assert_eq!(items[0]["number"], numbers[1].as_str());
    let (_, _, bytes) = download(&app, &intake, "format=json&status=concluded").await;
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), serde_json::json!([]));

    // Excel.
    let (status, kind, bytes) = download(&app, &intake, "format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = workbook.worksheet_range("cases").unwrap();
    assert_eq!(sheet.height(), 4);
    assert_eq!(sheet.get_value((0, 0)).unwrap().to_string(), "number");
    assert!(sheet.get_value((1, 10)).unwrap().to_string().contains("李*"));

    // The scope: a handler of another district exports none of them.
    let street_b = app.login("street_b").await;
    let (status, _, bytes) = download(&app, &street_b, "format=json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), serde_json::json!([]));

    // Every export is recorded: who, the format, the filters, how many cases.
    let recorded = app
        .sql_texts("SELECT format || ' ' || filters || ' ' || CAST(cases AS TEXT) FROM case_exports ORDER BY id")
        .await;
    assert_eq!(recorded.len(), 6, "{recorded:?}");
    assert_eq!(recorded[0], "csv format=csv 3");
    assert_eq!(recorded[1], "json format=json&status=registered 3");
}

async fn bad_export_requests_name_the_field(app: TestApp) {
    let intake = app.login("intake").await;
    let (status, body) = app.call(Method::GET, "/api/v1/cases/export?format=csv", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = app.get("/api/v1/cases/export?format=pdf", &intake).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "format", "{body}");
    let (status, body) = app.get("/api/v1/cases/export?status=lost", &intake).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> =
        body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["status", "format"], "{body}");
    assert_eq!(app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM case_exports").await[0], "0", "nothing recorded");
}
