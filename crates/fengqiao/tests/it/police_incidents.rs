//! 警调对接 (issue 18) end to end: a small HTTP server in the test plays the police station's
//! system — it hands over 110 disputes with its API key (the same incident number again, and
//! fifty at once, are one case), its desk follows them on the API and the page, and it receives
//! each result by webhook, signed (checked here) and retried after it answers 500.

use domain::ids::UnitId;
use domain::org::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_get, ui_session};
use crate::webhooks::{Sender, receiver, signature};

on_both_backends!(police_hand_overs_are_one_case_per_number_and_their_results_go_back);

const STATION: &str = "兰州市公安局城关分局张掖路派出所";

fn incident(number: &str, seq: u32) -> Value {
    let mut body = registration(&id_number("620102", "19850101", seq), "13912340001");
    body["incident_number"] = json!(number);
    body["officer"] = json!("王警官 010123");
    body["description"] = json!("110 接警：邻里因楼上漏水发生口角，无人受伤，双方同意调解。");
    body
}

async fn police_incident_result_arrives(app: &TestApp, key: &str) -> (String, crate::webhooks::Received) {
    let (url, received) = receiver().await;
    let body = json!({"url": url, "events": ["police_incident.result"]});
    let (status, hook) = app.keyed(Method::POST, "/api/v1/webhooks", key, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    (hook["secret"].as_str().unwrap().to_owned(), received)
}

async fn police_hand_overs_are_one_case_per_number_and_their_results_go_back(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let station = app.unit_id(STATION).await;
    let admin = app.login("admin").await;
    let body = json!({"name": "张掖路派出所警务平台", "unit_id": station, "permissions": ["case_register", "police_incidents"]});
    let (status, account) = app.post("/api/v1/system-accounts", &admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let key = account["api_key"].as_str().unwrap().to_owned();
    let (secret, received) = police_incident_result_arrives(&app, &key).await;

    // In: 201, then the same number is 200 with the same case, a `police` case.
    let send = |body: Value| app.keyed(Method::POST, "/api/v1/police-incidents", &key, Some(body));
    let (status, first) = send(incident("JQ20261102-0001", 1)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!((first["state"].as_str(), first["officer"].as_str()), (Some("in_progress"), Some("王警官 010123")));
    let (status, again) = send(incident("JQ20261102-0001", 1)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["case_id"], first["case_id"]);
    let case_id = first["case_id"].as_i64().unwrap();
    assert_eq!(app.sql_texts(&format!("SELECT channel FROM cases WHERE id = {case_id}")).await, ["police"]);

    // Fifty identical hand-overs at once: one case.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let request = app
            .client
            .post(format!("{}/api/v1/police-incidents", app.base))
            .header("X-Api-Key", &key)
            .json(&incident("JQ20261102-0002", 2));
        set.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        });
    }
    let answers = set.join_all().await;
    let mut cases: Vec<i64> = answers
        .iter()
        .map(|(status, body)| {
            assert!(matches!(*status, StatusCode::CREATED | StatusCode::OK), "{status} {body}");
            body["case_id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 1);
    cases.sort_unstable();
    cases.dedup();
    assert_eq!(cases.len(), 1, "one case for fifty hand-overs");
    let second_id = cases[0];
    let counted = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM cases WHERE channel = 'police'").await;
    assert_eq!(counted, ["2"]);

    // Refused: no number, no officer and no facts — every one named in one answer —, a unit
    // that is not the police, no key.
    let mut bare = incident("", 3);
    bare.as_object_mut().unwrap().remove("officer");
    bare["description"] = json!(" ");
    let (status, refused) = send(bare).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let fields: Vec<&str> =
        refused["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["incident_number", "officer", "description"]);
    let intake = app.login("intake").await;
    let (status, refused) = app.post("/api/v1/police-incidents", &intake, incident("JQ-X", 4)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, _) = app.call(Method::POST, "/api/v1/police-incidents", None, Some(incident("JQ-X", 4))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The station's desk sees its hand-overs, counted by state.
    app.store
        .user_create(
            "policedesk",
            "张掖路派出所警调窗口",
            Role::Intake,
            UnitId(station),
            "fengqiao-demo",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let desk = app.login("policedesk").await;
    let (status, list) = app.get("/api/v1/police-incidents", &desk).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(list["counts"][0], json!({"state": "in_progress", "count": 2}), "{list}");
    let (status, refused) = app.get("/api/v1/police-incidents?state=lost", &desk).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("state")));

    // The first is mediated successfully; the second is not taken on.
    let street = app.unit_id("张掖路街道综治中心").await;
    let (district, street_a) = (app.login("district").await, app.login("street_a").await);
    let (_, mut case) = app.get(&format!("/api/v1/cases/{case_id}"), &district).await;
    for (token, step) in [
        (&district, json!({"action": "dispatch", "unit_id": street})),
        (&street_a, json!({"action": "sign"})),
        (&street_a, json!({"action": "conclude", "outcome": "resolved", "summary": "楼上住户修复管道并赔偿800元"})),
    ] {
        let (status, next) = app.act(token, &case, step).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        case = next;
    }
    let (_, second) = app.get(&format!("/api/v1/cases/{second_id}"), &district).await;
    let (status, rejected) = app.act(&district, &second, json!({"action": "reject", "reason": "已进入诉讼程序"})).await;
    assert_eq!(status, StatusCode::OK, "{rejected}");

    let (_, one) = app.keyed(Method::GET, &format!("/api/v1/police-incidents/{case_id}"), &key, None).await;
    assert_eq!(
        one["result"],
        json!({"outcome": "succeeded", "agreement_summary": "楼上住户修复管道并赔偿800元", "reason": null})
    );
    let (_, list) = app.get("/api/v1/police-incidents?state=rejected", &desk).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["result"]["reason"], "已进入诉讼程序", "{list}");

    // The police hear of each result: the first attempt answered 500 is retried.
    let sender = Sender(reqwest::Client::new());
    jobs::webhooks::deliver(&app.app, &sender).await.unwrap();
    app.set_now("2026-11-02T09:10:00+08:00");
    jobs::webhooks::deliver(&app.app, &sender).await.unwrap();
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "two results, the first sent twice");
    let mut results = Vec::new();
    for (headers, body) in &got[1..] {
        assert_eq!(headers["x-fengqiao-signature"].to_str().unwrap(), signature(&secret, body));
        let body: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body["event"], "police_incident.result", "{body}");
        results.push(body["police_incident"].clone());
    }
    results.sort_by_key(|r| r["incident_number"].as_str().unwrap().to_owned());
    assert_eq!(
        results,
        [
            json!({"incident_number": "JQ20261102-0001", "outcome": "succeeded", "agreement_summary": "楼上住户修复管道并赔偿800元", "reason": null}),
            json!({"incident_number": "JQ20261102-0002", "outcome": "rejected", "agreement_summary": null, "reason": "已进入诉讼程序"}),
        ]
    );

    // The desk's page: labels, counts, the result.
    let session = ui_session(&app, "policedesk").await;
    let (status, html) = ui_get(&app, &format!("fq_session={session}"), "/police-incidents").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-incident=\"JQ20261102-0001\"") && html.contains("调解成功"), "{html}");
    assert!(html.contains("楼上住户修复管道并赔偿800元") && html.contains("已进入诉讼程序"), "{html}");
    assert!(!html.contains(">succeeded<"), "labels, not codes");

    // The hand-overs are in their cases' histories, which still verify.
    let out = app.cli(&["audit", "verify"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
