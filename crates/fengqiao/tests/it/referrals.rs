//! 诉前委派 (issue 18, DOMAIN.md §5.6): a court pushes referrals in batches — its desk's user
//! or its system account —, each one answered on its own and idempotent by the court's number;
//! the centre confirms or declines within 3 working days, the contact and mediation clocks
//! follow on the working-day calendar, and what goes back to the court follows from the case.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(a_courts_batch_is_confirmed_or_declined_on_its_clocks);

fn item(number: &str, seq: u32) -> Value {
    let mut item = registration(&id_number("620102", "19850101", seq), &format!("139123400{seq:02}"));
    item["court_case_number"] = json!(number);
    item
}

async fn case_count(app: &TestApp) -> i64 {
    app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM cases").await[0].parse().unwrap()
}

async fn a_courts_batch_is_confirmed_or_declined_on_its_clocks(app: TestApp) {
    // Monday 2 November 2026: three working days end on Thursday.
    app.set_now("2026-11-02T09:00:00+08:00");
    let court = app.login("court").await;
    let intake = app.login("intake").await;
    let admin = app.login("admin").await;

    // Only a court refers.
    let (status, refused) = app.post("/api/v1/referrals", &intake, json!([item("(2026)甘0102民诉前调1号", 1)])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    // A batch: each answered on its own; the bad ones are refused with their fields named.
    let before = case_count(&app).await;
    let mut unnumbered = item("", 2);
    unnumbered.as_object_mut().unwrap().remove("court_case_number");
    let mut no_facts = item("(2026)甘0102民诉前调3号", 3);
    no_facts["description"] = json!(" ");
    let batch = json!([item("(2026)甘0102民诉前调1号", 1), unnumbered, no_facts, item("(2026)甘0102民诉前调4号", 4)]);
    let (status, answers) = app.post("/api/v1/referrals", &court, batch).await;
    assert_eq!(status, StatusCode::OK, "{answers}");
    let results: Vec<&str> = answers.as_array().unwrap().iter().map(|a| a["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["created", "refused", "refused", "created"], "{answers}");
    assert_eq!(answers[1]["error"]["field"], "items[1].court_case_number", "{answers}");
    assert_eq!(answers[2]["error"]["field"], "items[2].description", "{answers}");
    assert_eq!(case_count(&app).await, before + 2, "only the good referrals made cases");
    let first = answers[0]["referral"].clone();
    assert_eq!(first["state"], "received", "{first}");
    assert_eq!(first["confirm_by"], "2026-11-05T23:59:59+08:00", "{first}");
    let (_, case) = app.get(&format!("/api/v1/cases/{}", first["case_id"]), &admin).await;
    assert_eq!(case["channel"], "court", "{case}");

    // The same number again is the same referral, never a second case.
    let (_, again) = app.post("/api/v1/referrals", &court, json!([item("(2026)甘0102民诉前调1号", 1)])).await;
    assert_eq!(again[0]["result"], "existing", "{again}");
    assert_eq!(again[0]["referral"]["id"], first["id"]);
    assert_eq!(case_count(&app).await, before + 2);

    // The court desk and the centre see them; a unit that does neither does not.
    let (status, listed) = app.get("/api/v1/referrals", &court).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    let (_, listed) = app.get("/api/v1/referrals", &intake).await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    let street_b = app.login("street_b").await;
    let (status, _) = app.get("/api/v1/referrals", &street_b).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Confirming the next day starts the contact (3 working days) and mediation (30 days) clocks.
    app.set_now("2026-11-03T10:00:00+08:00");
    let (court, intake) = (app.login("court").await, app.login("intake").await);
    let path = format!("/api/v1/referrals/{}/decision", first["id"]);
    let (status, refused) = app.post(&path, &court, json!({"decision": "accept"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the court does not confirm its own: {refused}");
    let (status, refused) = app.post(&path, &intake, json!({"decision": "maybe"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, accepted) = app.post(&path, &intake, json!({"decision": "accept"})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["state"], "accepted");
    assert_eq!(accepted["contact_by"], "2026-11-06T23:59:59+08:00", "{accepted}");
    assert_eq!(accepted["mediate_by"], "2026-12-03T23:59:59+08:00", "{accepted}");
    let (status, _) = app.post(&path, &intake, json!({"decision": "decline", "reason": "x"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "answered once");

    // Declining needs a reason, which the court reads.
    let second = answers[3]["referral"]["id"].clone();
    let path = format!("/api/v1/referrals/{second}/decision");
    let (status, refused) = app.post(&path, &intake, json!({"decision": "decline"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "reason", "{refused}");
    let (status, declined) =
        app.post(&path, &intake, json!({"decision": "decline", "reason": "不属于本中心特邀调解范围"})).await;
    assert_eq!(status, StatusCode::OK, "{declined}");
    let (_, seen) = app.get(&format!("/api/v1/referrals/{second}"), &court).await;
    assert_eq!((seen["state"].as_str(), seen["reason"].as_str()), (Some("declined"), Some("不属于本中心特邀调解范围")));

    // Each decision is a step of its case's history, by whom, with the court's case number,
    // and reads in words on the case page.
    for (referral, action) in [(&first, "referral_accepted"), (&seen, "referral_declined")] {
        let (_, events) = app.get(&format!("/api/v1/cases/{}/events", referral["case_id"]), &intake).await;
        let event = events
            .as_array()
            .or_else(|| events["items"].as_array())
            .unwrap()
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action}: {events}"))
            .clone();
        assert_eq!(event["actor"], "intake", "{event}");
        assert_eq!(event["data"]["court_case_number"], referral["court_case_number"], "{event}");
    }
    let cookies = format!("fq_session={}", crate::support::ui_session(&app, "intake").await);
    let (_, page) = crate::support::ui_get(&app, &cookies, &format!("/cases/{}", seen["case_id"])).await;
    assert!(page.contains("退回法院委派") && page.contains("不属于本中心特邀调解范围"), "the timeline in words");
    let (_, page) = crate::support::ui_get(&app, &cookies, &format!("/cases/{}", first["case_id"])).await;
    assert!(page.contains("受理法院委派") && page.contains("调解期限"), "with its clocks named");
    assert!(!page.contains("mediate_by"), "no field codes");

    // A failed mediation goes back with its summary and the case file.
    app.sql(&format!(
        "UPDATE cases SET status = 'concluded', outcome = 'unresolved', summary = '双方对欠薪数额无争议，对支付期限分歧较大' WHERE id = {}",
        first["case_id"]
    ))
    .await;
    let (_, failed) = app.get(&format!("/api/v1/referrals/{}", first["id"]), &court).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert_eq!(failed["result"]["summary"], "双方对欠薪数额无争议，对支付期限分歧较大");
    assert_eq!(failed["result"]["case_file"], format!("/api/v1/cases/{}/file", first["case_id"]));

    // The court's system account refers and pulls with its key (granted both).
    let court_unit = app.unit_id("兰州市城关区人民法院").await;
    let admin = app.login("admin").await;
    let (status, account) = app
        .post(
            "/api/v1/system-accounts",
            &admin,
            json!({"name": "区法院调解平台", "unit_id": court_unit, "permissions": ["case_register", "referrals_read"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let key = account["api_key"].as_str().unwrap();
    let send = |method: Method, path: &str, body: Option<Value>| {
        let mut request = app.client.request(method, format!("{}{path}", app.base)).header("X-Api-Key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    let response =
        send(Method::POST, "/api/v1/referrals", Some(json!([item("(2026)甘0102民诉前调9号", 9)]))).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answered: Value = response.json().await.unwrap();
    assert_eq!(answered[0]["result"], "created", "{answered}");
    let response = send(Method::GET, "/api/v1/referrals", None).await.unwrap();
    let pulled: Value = response.json().await.unwrap();
    assert!(pulled.as_array().unwrap().iter().any(|r| r["court_case_number"] == "(2026)甘0102民诉前调9号"), "{pulled}");
}
