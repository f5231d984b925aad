//! Early warning on the real database: the correlation rules open an alert, naming the cases
//! behind it, when a situation reaches their threshold through registrations — and not one step
//! below; the same situation keeps one alert, which turns red at the rule's red line.

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(claimants_against_one_respondent_open_one_alert, one_person_in_several_disputes_opens_an_alert,);

/// A deposit dispute of person `i` against the same company.
fn against_the_company(i: u32) -> Value {
    let mut body = registration(&id_number("620102", "19800101", 200 + i), &format!("137000{i:05}"));
    body["description"] = json!("某装修公司收取定金后迟迟不施工，要求退还定金。");
    body["parties"][1] = json!({"role": "respondent", "kind": "organization", "name": "兰州某装饰工程有限公司", "credit_code": "91350200776049653A"});
    body
}

async fn open_alerts(app: &TestApp, token: &str, rule: &str) -> Vec<Value> {
    let (status, body) = app.get("/api/v1/alerts?status=open", token).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().iter().filter(|a| a["rule"] == rule).cloned().collect()
}

async fn claimants_against_one_respondent_open_one_alert(app: TestApp) {
    let intake = app.login("intake").await;
    let city = app.login("city").await;
    let mut ids = Vec::new();
    for i in 1..=4 {
        ids.push(app.register(&intake, against_the_company(i)).await["id"].clone());
    }
    assert!(open_alerts(&app, &city, "same_respondent").await.is_empty(), "four claimants: one below the threshold");
    ids.push(app.register(&intake, against_the_company(5)).await["id"].clone());
    let alerts = open_alerts(&app, &city, "same_respondent").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["colour"], "orange");
    assert_eq!(alerts[0]["case_ids"], json!(ids));
    assert!(alerts[0]["reasons"][0].as_str().unwrap().contains("同一被申请人"), "{}", alerts[0]["reasons"]);
    assert!(alerts[0]["created_at"].as_str().unwrap().ends_with("+08:00"));

    // Thirty in a day: the same alert, red, naming all thirty.
    for i in 6..=30 {
        ids.push(app.register(&intake, against_the_company(i)).await["id"].clone());
    }
    let alerts = open_alerts(&app, &city, "same_respondent").await;
    assert_eq!(alerts.len(), 1, "one situation, one open alert");
    assert_eq!(alerts[0]["colour"], "red");
    assert_eq!(alerts[0]["case_ids"], json!(ids));

    let (status, _) = app.get("/api/v1/alerts?status=open", &intake).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "intake does not watch the alerts");
    let (status, _) = app.get("/api/v1/alerts?status=whatever", &city).await;
    assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
}

async fn one_person_in_several_disputes_opens_an_alert(app: TestApp) {
    let intake = app.login("intake").await;
    let city = app.login("city").await;
    let person = id_number("620102", "19700101", 7);
    let mut ids = Vec::new();
    for phone in ["13900000001", "13900000002"] {
        ids.push(app.register(&intake, registration(&person, phone)).await["id"].clone());
    }
    assert!(open_alerts(&app, &city, "same_person").await.is_empty(), "two disputes: one below the threshold");
    ids.push(app.register(&intake, registration(&person, "13900000003")).await["id"].clone());
    let alerts = open_alerts(&app, &city, "same_person").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["colour"], "orange");
    assert_eq!(alerts[0]["case_ids"], json!(ids));
    assert!(alerts[0]["reasons"][0].as_str().unwrap().contains("同一当事人"), "{}", alerts[0]["reasons"]);
}
