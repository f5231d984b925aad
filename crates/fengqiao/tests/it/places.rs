//! 地点风险 on the real database: a community and a street carry a colour with its reasons,
//! re-evaluated as cases are registered; yellow cases piling up turn a place orange at the
//! threshold and not one case below; thirty disputes against one company in a day turn the
//! company's alert, its cases and their places red at once, and the next risk list names them.
//! A place's counts follow its cases as they end, and the nightly pass puts a wrong count right.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_get, ui_session};

on_both_backends!(
    thirty_disputes_against_one_company_turn_the_company_the_cases_and_the_place_red,
    yellow_cases_piling_up_turn_the_place_orange_at_the_threshold,
    a_place_counts_what_opens_and_ends_and_the_nightly_pass_puts_a_wrong_count_right,
);

const COMMUNITY: &str = "620102002001";
const STREET: &str = "620102002000";

async fn places(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = app.get("/api/v1/places/risk", token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn place<'a>(places: &'a [Value], kind: &str, key: &str) -> Option<&'a Value> {
    places.iter().find(|p| p["kind"] == kind && p["key"] == key)
}

/// A deposit dispute of person `i` against the same company: no colour of its own.
fn against_the_company(i: u32) -> Value {
    let mut body = registration(&id_number("620102", "19800101", 200 + i), &format!("137000{i:05}"));
    body["description"] = json!("某装修公司收取定金后迟迟不施工，要求退还定金。");
    body["parties"][1] = json!({"role": "respondent", "kind": "organization", "name": "兰州某装饰工程有限公司", "credit_code": "91350200776049653A"});
    body
}

async fn thirty_disputes_against_one_company_turn_the_company_the_cases_and_the_place_red(app: TestApp) {
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let mut ids = Vec::new();
    let mut first_version = Value::Null;
    for i in 1..=29 {
        let case = app.register(&intake, against_the_company(i)).await;
        if i == 1 {
            first_version = case["version"].clone();
        }
        ids.push(case["id"].clone());
    }
    let before = places(&app, &district).await;
    assert!(
        place(&before, "community", COMMUNITY).is_none_or(|p| p["colour"] != "red"),
        "29 disputes: the company is orange, not red: {before:?}"
    );
    let case = app.register(&intake, against_the_company(30)).await;
    ids.push(case["id"].clone());

    let (_, alerts) = app.get("/api/v1/alerts?status=open", &district).await;
    let company = alerts["items"].as_array().unwrap().iter().find(|a| a["rule"] == "same_respondent").unwrap().clone();
    assert_eq!(company["colour"], "red");
    for id in [&ids[0], &ids[29]] {
        let (status, case) = app.get(&format!("/api/v1/cases/{id}"), &district).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(case["risk"], "red", "{case}");
    }
    let (_, first) = app.get(&format!("/api/v1/cases/{}", ids[0]), &district).await;
    assert!(
        first["version"].as_i64() > first_version.as_i64(),
        "turning red is a new version of the case: {first_version} → {}",
        first["version"]
    );
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", ids[0]), &district).await;
    assert!(events.to_string().contains("risk_raised"), "the change of colour is an event: {events}");

    let after = places(&app, &district).await;
    for (kind, key) in [("community", COMMUNITY), ("street", STREET)] {
        let p = place(&after, kind, key).unwrap_or_else(|| panic!("no {kind}: {after:?}"));
        assert_eq!(p["colour"], "red", "{p}");
        assert!(p["reasons"][0].as_str().unwrap().contains("30 件红色"), "{p}");
        assert_eq!(p["case_ids"].as_array().unwrap().len(), 30);
    }
    let (status, red) = app.get("/api/v1/places/risk?colour=red", &district).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(red["items"].as_array().unwrap().len(), 2, "{red}");

    let (status, list) = app.post("/api/v1/risk-lists", &district, json!({"region": "620102000000"})).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let text = list.to_string();
    assert!(text.contains("风险地点：中山林社区") || text.contains("风险地点："), "the list names the place: {text}");
    let items = list["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["reasons"][0].as_str().unwrap().contains("同一被申请人")), "and the company");
    assert!(items.iter().any(|i| i["case_ids"] == json!([ids[29]])), "and each case");
    assert!(items.iter().all(|i| i["colour"] == "red"), "all red");
    // An item about a place goes to the place's own office, not again to the cases' units.
    let offices = [
        app.unit_id("中山林社区综治中心").await,
        app.unit_id("张掖路街道综治中心").await,
        app.unit_id("中山林社区第1网格工作站").await,
    ];
    let place_items: Vec<&Value> =
        items.iter().filter(|i| i["reasons"][0].as_str().unwrap().starts_with("风险地点")).collect();
    assert_eq!(place_items.len(), 2, "{text}");
    for item in place_items {
        let units = item["assigned_unit_ids"].as_array().unwrap();
        assert_eq!(units.len(), 1, "{item}");
        assert!(offices.contains(&units[0].as_i64().unwrap()), "the place's office: {item}");
    }

    let (status, _) = app.get("/api/v1/places/risk", &intake).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "intake does not watch the places");
    let (status, _) = app.get("/api/v1/places/risk?colour=purple", &district).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The same on the staff's pages: the places with their reasons, filters that combine, and
    // the command screen of the street colouring the community by its own colour.
    let cookies = format!("fq_session={}", ui_session(&app, "district").await);
    let (status, page) = ui_get(&app, &cookies, "/risk-places?colour=red").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("<tr data-colour=\"red\">").count(), 2, "{page}");
    assert!(page.contains("30 件红色") && page.contains("中山林社区"), "reasons and names, not codes");
    let (_, page) = ui_get(&app, &cookies, "/risk-places?colour=red&kind=community").await;
    assert_eq!(page.matches("<tr data-colour=").count(), 1);
    let (_, page) = ui_get(&app, &cookies, "/risk-places?colour=yellow&kind=community").await;
    assert_eq!(page.matches("<tr data-colour=").count(), 0);
    assert!(page.contains("id=\"place-count\">共 0"), "the count says so");
    let (_, screen) = ui_get(&app, &cookies, &format!("/command?region={STREET}&by=risk")).await;
    assert!(
        screen.contains(&format!("<g class=\"tile risk-red\" data-region-code=\"{COMMUNITY}\">")),
        "the community's tile is red on the street's screen"
    );
    let intake_cookies = format!("fq_session={}", ui_session(&app, "intake").await);
    let (status, _) = ui_get(&app, &intake_cookies, "/risk-places").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A wage dispute of person `i` against a company of its own: yellow.
fn yellow(i: u32) -> Value {
    let mut body = registration(&id_number("620102", "19900101", 300 + i), &format!("138000{i:05}"));
    body["parties"][1] = json!({"role": "respondent", "kind": "organization", "name": format!("兰州某建筑公司{i}")});
    body
}

async fn yellow_cases_piling_up_turn_the_place_orange_at_the_threshold(app: TestApp) {
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    for i in 1..=4 {
        let case = app.register(&intake, yellow(i)).await;
        assert_eq!(case["risk"], "yellow", "{case}");
    }
    let below = places(&app, &district).await;
    let community = place(&below, "community", COMMUNITY).unwrap();
    assert_eq!(community["colour"], "yellow", "four yellow cases: one below the threshold");
    assert!(community["case_ids"].as_array().unwrap().is_empty(), "no red or orange case behind it");
    app.register(&intake, yellow(5)).await;
    let at = places(&app, &district).await;
    let community = place(&at, "community", COMMUNITY).unwrap();
    assert_eq!(community["colour"], "orange", "{community}");
    assert!(community["reasons"][0].as_str().unwrap().contains("积压 5 件"), "{community}");
}

async fn a_place_counts_what_opens_and_ends_and_the_nightly_pass_puts_a_wrong_count_right(app: TestApp) {
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let first = app.register(&intake, yellow(1)).await;
    app.register(&intake, yellow(2)).await;
    let reason = |places: &[Value], kind: &str, key: &str| {
        place(places, kind, key).map(|p| (p["colour"].as_str().unwrap().to_owned(), p["reasons"][0].to_string()))
    };
    let two = places(&app, &district).await;
    for (kind, key) in [("community", COMMUNITY), ("street", STREET)] {
        let (colour, text) = reason(&two, kind, key).unwrap();
        assert_eq!(colour, "yellow");
        assert!(text.contains("有 2 件黄色"), "{kind}: {text}");
    }

    let (status, rejected) =
        app.act(&intake, &first, json!({"action": "reject", "reason": "属于刑事案件，已移交公安"})).await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    let one = places(&app, &district).await;
    for (kind, key) in [("community", COMMUNITY), ("street", STREET)] {
        let (_, text) = reason(&one, kind, key).unwrap();
        assert!(text.contains("有 1 件黄色"), "a case that ended no longer counts: {kind}: {text}");
    }

    // A count that went wrong (here by hand) is put right by the next nightly pass.
    app.sql("UPDATE place_open_cases SET yellow = 9, red = 1 WHERE kind = 'community'").await;
    let evaluated = app.store.place_risk_nightly(chrono::Utc::now()).await.unwrap();
    assert!(evaluated >= 2, "the community and the street: {evaluated}");
    let night = places(&app, &district).await;
    let (colour, text) = reason(&night, "community", COMMUNITY).unwrap();
    assert_eq!(colour, "yellow", "{text}");
    assert!(text.contains("有 1 件黄色"), "{text}");
    let counts = app
        .sql_texts(
            "SELECT CAST(red AS TEXT) || '/' || CAST(yellow AS TEXT) FROM place_open_cases WHERE kind = 'community'",
        )
        .await;
    assert_eq!(counts, vec!["0/1".to_owned()]);
}
