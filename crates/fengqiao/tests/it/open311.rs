//! Open311 GeoReport v2 (issue 18): the categories as services, reports with a system
//! account's `api_key` through the one registration, and the request list — in the key's scope
//! in full, to anyone else only the requests reported through Open311 and nothing personal —
//! in JSON and XML, errors as `[{code, description}]`. (The outside client, `georeport`, drives
//! the same endpoints in `cargo xtask open311`.)

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, encode, id_number, registration};

on_both_backends!(a_standard_client_reports_and_follows_requests, the_public_list_shows_nothing_personal);

/// A system account at `unit` granted `case_register`: its API key.
async fn account(app: &TestApp, admin: &str, unit: &str) -> String {
    let unit = app.unit_id(unit).await;
    let (status, body) = app
        .post(
            "/api/v1/system-accounts",
            admin,
            json!({"name": "市民诉求 App", "unit_id": unit, "permissions": ["case_register"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["api_key"].as_str().unwrap().to_owned()
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let response = app.client.get(format!("{}/open311/v2/{path}", app.base)).send().await.unwrap();
    let status = response.status();
    let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
    (status, kind, response.text().await.unwrap())
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let (status, _, text) = get(app, path).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn post(app: &TestApp, file: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let response = app
        .client
        .post(format!("{}/open311/v2/{file}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(fields))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

const REPORT: &[(&str, &str)] = &[
    ("service_code", "labor"),
    ("description", "在张掖路工地干了三个月活，老板一直拖欠工资两万多元不给。"),
    ("address_string", "兰州市城关区张掖路街道中山林社区5号"),
    ("lat", "36.0611"),
    ("long", "103.8343"),
    ("first_name", "小明"),
    ("last_name", "王"),
    ("phone", "13912345678"),
    ("email", "wang@example.com"),
];

async fn case_count(app: &TestApp) -> i64 {
    app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM cases").await[0].parse().unwrap()
}

async fn a_standard_client_reports_and_follows_requests(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let admin = app.login("admin").await;
    let key = account(&app, &admin, "张掖路街道综治中心").await;

    // The services: every category, in Chinese, without attributes, in JSON and in XML.
    let (status, services) = get_json(&app, "services.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(services.as_array().unwrap().len(), 21, "{services}");
    let labor = services.as_array().unwrap().iter().find(|s| s["service_code"] == "labor").unwrap();
    assert_eq!(labor["service_name"], "劳动争议");
    assert_eq!((labor["metadata"].clone(), labor["type"].clone()), (json!(false), json!("realtime")));
    assert!(labor["keywords"].as_str().unwrap().contains("欠薪") && labor["group"].is_string(), "{labor}");
    let (status, kind, xml) = get(&app, "services.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/xml"), "{kind}");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service><service_code>"), "{xml}");
    assert!(xml.contains("<service_code>labor</service_code><service_name>劳动争议</service_name>"), "{xml}");
    let (status, definition) = get_json(&app, "services/labor.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(definition, json!({"service_code": "labor", "attributes": []}));
    let (_, _, xml) = get(&app, "services/labor.xml").await;
    assert!(
        xml.ends_with(
            "<service_definition><service_code>labor</service_code><attributes></attributes></service_definition>"
        ),
        "{xml}"
    );
    let (status, missing) = get_json(&app, "services/pothole.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing[0]["code"], 404, "{missing}");

    // Reporting needs a live key; faults are Open311 errors, each named, and create nothing.
    let (status, text) = post(&app, "requests.json", REPORT).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    let (status, text) = post(&app, "requests.xml", &[&[("api_key", "fq_wrong")], REPORT].concat()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("<errors><error><code>403</code><description>"), "{text}");
    let before = case_count(&app).await;
    let (status, text) =
        post(&app, "requests.json", &[("api_key", key.as_str()), ("service_code", "pothole"), ("lat", "north")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let errors: Value = serde_json::from_str(&text).unwrap();
    let words: Vec<&str> = errors.as_array().unwrap().iter().map(|e| e["description"].as_str().unwrap()).collect();
    assert!(errors.as_array().unwrap().iter().all(|e| e["code"] == 400), "{errors}");
    assert!(words.iter().any(|w| w.contains("服务类型")) && words.iter().any(|w| w.contains("north")), "{words:?}");
    assert!(words.iter().any(|w| w.contains("姓名")), "{words:?}");
    let (status, text) = post(&app, "requests.json", &[&[("api_key", key.as_str())], &REPORT[..7]].concat()).await;
    assert_eq!(status, StatusCode::CREATED, "the same fields with a key: {text}");
    let (status, text) = post(
        &app,
        "requests.json",
        &[("api_key", key.as_str()), ("service_code", "labor"), ("last_name", "王"), ("address_string", "张掖路")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no description: {text}");
    assert!(text.contains("纠纷描述"), "{text}");
    assert_eq!(case_count(&app).await, before + 1, "only the good report made a case");

    // A report is a registration from the account's unit: channel, category, applicant.
    let created: Value = serde_json::from_str(&text_of(
        post(&app, "requests.json", &[&[("api_key", key.as_str())], REPORT].concat()).await,
    ))
    .unwrap();
    let id = created[0]["service_request_id"].as_str().unwrap().to_owned();
    assert!(created[0]["service_notice"].as_str().unwrap().contains("已登记"), "{created}");
    let (status, case) = app.get(&format!("/api/v1/cases/{id}"), &admin).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!((case["channel"].as_str(), case["category"].as_str()), (Some("online"), Some("labor")), "{case}");
    assert_eq!(case["parties"][0]["name"], "王小明", "{case}");
    let (status, xml) = post(&app, "requests.xml", &[&[("api_key", key.as_str())], REPORT].concat()).await;
    assert_eq!(status, StatusCode::CREATED, "{xml}");
    assert!(xml.contains("<service_requests><request><service_request_id>"), "{xml}");

    // A court's account reports as the court channel.
    let court = account(&app, &admin, "兰州市城关区人民法院").await;
    let text = text_of(post(&app, "requests.json", &[&[("api_key", court.as_str())], REPORT].concat()).await);
    let court_case: Value = serde_json::from_str(&text).unwrap();
    let (_, case) =
        app.get(&format!("/api/v1/cases/{}", court_case[0]["service_request_id"].as_str().unwrap()), &admin).await;
    assert_eq!(case["channel"], "court", "{case}");

    // With the key: the requests in the account's scope, in full; filters as the spec has them.
    let (status, listed) = get_json(&app, &format!("requests.json?api_key={key}&service_request_id={id}")).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let one = &listed[0];
    assert_eq!((one["status"].as_str(), one["service_code"].as_str()), (Some("open"), Some("labor")), "{one}");
    assert!(one["description"].as_str().unwrap().contains("拖欠工资"), "{one}");
    assert_eq!((one["lat"].as_f64(), one["long"].as_f64()), (Some(36.0611), Some(103.8343)), "{one}");
    assert!(one["requested_datetime"].as_str().unwrap().starts_with("2026-11-02T09:00:00+08:00"), "{one}");
    let (_, closed) = get_json(&app, &format!("requests.json?api_key={key}&status=closed")).await;
    assert_eq!(closed, json!([]));
    let (_, neighbours) = get_json(&app, &format!("requests.json?api_key={key}&service_code=neighbor")).await;
    assert_eq!(neighbours, json!([]));
    let (_, old) = get_json(&app, &format!("requests.json?api_key={key}&end_date=2026-06-01T00:00:00Z")).await;
    assert_eq!(old, json!([]), "the default reaches 90 days back from the end");
    let (status, bad) = get_json(&app, &format!("requests.json?api_key={key}&start_date=yesterday&status=lost")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad.as_array().unwrap().len(), 2, "{bad}");
    let (status, kind, xml) = get(&app, &format!("requests/{id}.xml?api_key={key}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/xml"));
    assert!(
        xml.contains(&format!(
            "<service_requests><request><service_request_id>{id}</service_request_id><status>open</status>"
        )),
        "{xml}"
    );
    assert!(xml.contains("<lat>36.0611</lat><long>103.8343</long>"), "{xml}");
    let (status, missing) = get_json(&app, "requests/999999.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    assert_eq!(missing[0]["code"], 404);
}

fn text_of((status, text): (StatusCode, String)) -> String {
    assert_eq!(status, StatusCode::CREATED, "{text}");
    text
}

async fn the_public_list_shows_nothing_personal(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let admin = app.login("admin").await;
    let intake = app.login("intake").await;
    let key = account(&app, &admin, "张掖路街道综治中心").await;
    let staff = app.register(&intake, registration(&id_number("620102", "19850101", 1), "13912340001")).await;
    let created: Value = serde_json::from_str(&text_of(
        post(&app, "requests.json", &[&[("api_key", key.as_str())], REPORT].concat()).await,
    ))
    .unwrap();
    let id = created[0]["service_request_id"].as_str().unwrap().to_owned();

    // Anonymous: only what came through Open311, and of it no description, address or point.
    let (status, listed) = get_json(&app, "requests.json").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str()], "a case registered at the window is not public");
    for field in ["description", "address", "lat", "long", "status_notes"] {
        assert!(listed[0][field].is_null(), "{field}: {listed}");
    }
    let text = listed.to_string();
    for personal in ["王小明", "13912345678", "中山林", "拖欠"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let (status, _) = get_json(&app, &format!("requests/{}.json", staff["id"])).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the window's case is no public request");
    let (status, one) = get_json(&app, &format!("requests/{id}.json")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert!(one[0]["description"].is_null() && one[0]["service_name"] == "劳动争议", "{one}");

    // With the key, the window's case in the account's scope is listed too.
    let (_, keyed) = get_json(&app, &format!("requests.json?api_key={key}")).await;
    assert_eq!(keyed.as_array().unwrap().len(), 2, "{keyed}");
    // The key's calls are recorded like any other.
    let calls = app.sql_texts("SELECT path FROM system_account_calls ORDER BY id").await;
    assert!(calls.iter().any(|p| p == "/open311/v2/requests.json"), "{calls:?}");
}
