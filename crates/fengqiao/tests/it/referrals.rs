//! 诉前委派 (issue 18, DOMAIN.md §5.6): a court pushes referrals in batches — its desk's user
//! or its system account —, each one answered on its own and idempotent by the court's number;
//! the centre confirms or declines within 3 working days, the contact and mediation clocks
//! follow on the working-day calendar, and what goes back to the court follows from the case.
//! A batch also comes as an Excel workbook: every row checked, all received or none.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_answer, ui_get, ui_post, ui_session, ui_submit, workbook};
use crate::webhooks::{Sender, signature};

on_both_backends!(
    a_courts_batch_is_confirmed_or_declined_on_its_clocks,
    the_court_desk_follows_its_referrals_and_the_centre_decides_on_the_page,
    the_result_goes_back_to_the_court_by_its_signed_webhook,
    the_diversion_rate_counts_the_referrals_against_the_courts_filings,
    a_courts_workbook_is_received_whole_or_not_at_all_and_never_twice,
    the_courts_desk_and_its_account_sending_one_number_at_once_make_one_case,
    migration_0055_moves_the_courts_claims_into_its_namespace,
    a_courts_workbook_names_a_region_it_does_not_know_in_the_preview,
);

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

/// Refers the numbers from the court desk: the referrals as answered.
async fn refer(app: &TestApp, numbers: &[&str]) -> Vec<Value> {
    let court = app.login("court").await;
    let batch: Vec<Value> = numbers.iter().enumerate().map(|(i, n)| item(n, 20 + i as u32)).collect();
    let (status, answers) = app.post("/api/v1/referrals", &court, json!(batch)).await;
    assert_eq!(status, StatusCode::OK, "{answers}");
    answers.as_array().unwrap().iter().map(|a| a["referral"].clone()).collect()
}

async fn the_court_desk_follows_its_referrals_and_the_centre_decides_on_the_page(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let numbers: Vec<String> = (1..=23).map(|n| format!("(2026)甘0102民诉前调{n}号")).collect();
    let referred = refer(&app, &numbers.iter().map(String::as_str).collect::<Vec<_>>()).await;

    // The court desk: its referrals counted by state, 20 a page, the clock overdue marked.
    app.set_now("2026-11-06T09:00:00+08:00");
    let court = format!("fq_session={}", ui_session(&app, "court").await);
    let (status, page) = ui_get(&app, &court, "/workbench").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/referrals\""), "the court desk has it in its menu");
    let (status, page) = ui_get(&app, &court, "/referrals").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("data-total=\"23\""), "counted");
    assert_eq!(page.matches("data-referral=").count(), 20, "paged");
    assert_eq!(page.matches("data-late").count(), 20, "past the 3 working days to confirm");
    assert!(!page.contains("data-action=\"accept\""), "the court does not decide");
    let (_, second) = ui_get(&app, &court, "/referrals?state=&page=2").await;
    assert_eq!(second.matches("data-referral=").count(), 3);
    // A page far past the end is an empty page, never an overflowing offset.
    for far in [
        "/referrals?page=9223372036854775807",
        "/police-incidents?page=9223372036854775807",
        "/cases?page=9223372036854775807",
    ] {
        let (status, page) = ui_get(&app, &court, far).await;
        assert!(status == StatusCode::OK || status == StatusCode::FORBIDDEN, "{far}: {status} {page}");
    }
    let (status, _) = ui_get(&app, &court, "/referrals?state=nonsense").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The centre confirms one and declines another; a decline without a reason keeps the page
    // and says so beside the field.
    let intake = ui_session(&app, "intake").await;
    // The newest come first: the last two of the batch are on the first page.
    let (first, second) = (referred[22]["id"].as_i64().unwrap(), referred[21]["id"].as_i64().unwrap());
    let (_, page) = ui_get(&app, &format!("fq_session={intake}"), "/referrals?state=received").await;
    assert!(page.contains(&format!("action=\"/referrals/{first}/accept\"")), "the form to decide");
    let (status, flash) = ui_post(
        &app,
        &intake,
        "/referrals?state=received",
        &format!("/referrals/{first}/accept"),
        &[("state", "received")],
    )
    .await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));
    let refused = ui_submit(
        &app,
        &intake,
        "/referrals?state=received",
        &format!("/referrals/{second}/decline"),
        &[("reason", "  "), ("state", "received"), ("page", "1")],
    )
    .await;
    let (status, _, page) = ui_answer(refused).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains(&format!("reason-{second}-error")), "the error beside the reason");
    let typed = ui_submit(
        &app,
        &intake,
        "/referrals?state=received",
        &format!("/referrals/{second}/decline"),
        &[("reason", "不属于本中心特邀调解范围".repeat(50).as_str()), ("state", "received"), ("page", "1")],
    )
    .await;
    let (status, _, page) = ui_answer(typed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "too long");
    assert!(page.contains(&"不属于本中心特邀调解范围".repeat(50)), "what was typed is kept");
    let (status, flash) = ui_post(
        &app,
        &intake,
        "/referrals?state=received",
        &format!("/referrals/{second}/decline"),
        &[("reason", "不属于本中心特邀调解范围"), ("state", "received")],
    )
    .await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));

    // The court desk sees them in their states, filtered.
    let (_, page) = ui_get(&app, &court, "/referrals?state=accepted").await;
    assert!(page.contains("data-total=\"1\"") && page.contains(&numbers[22]), "accepted");
    let (_, page) = ui_get(&app, &court, "/referrals?state=declined").await;
    assert!(page.contains("data-total=\"1\"") && page.contains("不属于本中心特邀调解范围"), "declined with the reason");
    let (_, page) = ui_get(&app, &court, "/referrals?state=received").await;
    assert!(page.contains("data-total=\"21\""));
    let (_, api) = app.get(&format!("/api/v1/referrals/{first}"), &app.login("court").await).await;
    assert_eq!(api["overdue"], false, "confirmed, its next clock is to contact: {api}");

    // One referral: the court's number, the case, the clocks, nothing back yet.
    let (status, page) = ui_get(&app, &court, &format!("/referrals/{first}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&numbers[22]) && page.contains(&format!("/cases/{}", referred[22]["case_id"])));
    assert!(page.contains("确认受理期限") && page.contains("联系对方当事人期限") && page.contains("调解期限"));
    assert!(page.contains("尚未办结"));
    let street_b = format!("fq_session={}", ui_session(&app, "street_b").await);
    let (status, _) = ui_get(&app, &street_b, &format!("/referrals/{first}")).await;
    assert_ne!(status, StatusCode::OK, "not another unit's");
}

/// The court: its system account subscribes to `referral.result`; a small server plays the
/// court's platform and keeps what it is sent.
async fn the_result_goes_back_to_the_court_by_its_signed_webhook(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (_, key) = court_account(&app).await;
    let received: crate::webhooks::Received = Default::default();
    let log = received.clone();
    let router = axum::Router::new().route(
        "/court",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push((headers, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/court", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let (status, hook) = app
        .keyed(Method::POST, "/api/v1/webhooks", &key, Some(json!({"url": url, "events": ["referral.result"]})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();

    let referred =
        refer(&app, &["(2026)甘0102民诉前调31号", "(2026)甘0102民诉前调32号", "(2026)甘0102民诉前调33号"]).await;
    let intake = app.login("intake").await;
    for (r, decision) in referred.iter().zip([
        json!({"decision": "accept"}),
        json!({"decision": "accept"}),
        json!({"decision": "decline", "reason": "超出特邀调解范围"}),
    ]) {
        let (status, body) = app.post(&format!("/api/v1/referrals/{}/decision", r["id"]), &intake, decision).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // The first succeeds, the second fails: each concluded through the workflow.
    let city = app.login("city").await;
    let street = app.login("street_a").await;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let mut agreement = Value::Null;
    for (r, outcome, summary) in [
        (&referred[0], "resolved", "双方达成还款协议"),
        (&referred[1], "unresolved", "双方对借款事实无争议，对利息分歧较大"),
    ] {
        let (_, case) = app.get(&format!("/api/v1/cases/{}", r["case_id"]), &city).await;
        let (status, case) = app.act(&city, &case, json!({"action": "dispatch", "unit_id": a1})).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        let (_, case) = app.act(&street, &case, json!({"action": "sign"})).await;
        if outcome == "resolved" {
            // The success: an agreement signed on paper, in effect, before the conclusion.
            let draft = json!({
                "matters": "借款本金及利息的偿还",
                "terms": [{"text": "被申请人张强于2026年12月31日前向申请人偿还借款人民币两万元", "due": "2026-12-31"}]
            });
            let (status, drafted) = app.post(&format!("/api/v1/cases/{}/agreements", case["id"]), &street, draft).await;
            assert_eq!(status, StatusCode::CREATED, "{drafted}");
            let path = format!("/api/v1/agreements/{}/paper-signed", drafted["id"]);
            let (status, effective) = app.post(&path, &street, json!({})).await;
            assert_eq!((status, effective["status"].as_str()), (StatusCode::OK, Some("effective")), "{effective}");
            agreement = effective;
        }
        let (_, case) = app.get(&format!("/api/v1/cases/{}", r["case_id"]), &city).await;
        let (status, case) =
            app.act(&street, &case, json!({"action": "conclude", "outcome": outcome, "summary": summary})).await;
        assert_eq!(status, StatusCode::OK, "{case}");
    }

    let sender = Sender(reqwest::Client::new());
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 3, "one result per referral, nothing else");
    let got = received.lock().unwrap().clone();
    let mut results = std::collections::BTreeMap::new();
    for (headers, body) in &got {
        assert_eq!(headers["x-fengqiao-signature"].to_str().unwrap(), signature(&secret, body), "signed");
        let body: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body["event"], "referral.result", "{body}");
        results.insert(body["referral"]["court_case_number"].as_str().unwrap().to_owned(), body);
    }
    let succeeded = &results["(2026)甘0102民诉前调31号"]["referral"];
    assert_eq!(succeeded["outcome"], "succeeded", "{succeeded}");
    assert_eq!(succeeded["id"], referred[0]["id"]);
    // The agreement in effect: its terms, its PDF and the agreement with its confirmation
    // package, each fetched with the court's own key.
    let sent = &succeeded["agreement"];
    assert_eq!(sent["id"], agreement["id"], "{sent}");
    assert_eq!(
        sent["content"]["terms"][0]["text"], "被申请人张强于2026年12月31日前向申请人偿还借款人民币两万元",
        "{sent}"
    );
    assert_eq!(sent["pdf"], format!("/api/v1/agreements/{}/pdf", agreement["id"]));
    assert_eq!(sent["confirmation"], format!("/api/v1/agreements/{}", agreement["id"]));
    let response = app
        .client
        .get(format!("{}{}", app.base, sent["pdf"].as_str().unwrap()))
        .header("X-Api-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the court downloads the agreement");
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF"), "a PDF");
    let (status, confirmation) = app.keyed(Method::GET, sent["confirmation"].as_str().unwrap(), &key, None).await;
    assert_eq!(status, StatusCode::OK, "{confirmation}");
    assert_eq!(
        (confirmation["id"].clone(), confirmation["status"].as_str()),
        (agreement["id"].clone(), Some("effective"))
    );
    let failed = &results["(2026)甘0102民诉前调32号"]["referral"];
    assert_eq!(failed["outcome"], "failed", "{failed}");
    // The reason in words as the court reads it; the outcome's code beside it.
    assert_eq!(failed["reason"], "调解不成：双方对借款事实无争议，对利息分歧较大", "{failed}");
    assert_eq!(failed["case_outcome"], "unresolved", "{failed}");
    assert_eq!(failed["undisputed_facts"], "双方对借款事实无争议，对利息分歧较大");
    let file = failed["case_file"].as_str().unwrap();
    assert_eq!(file, format!("/api/v1/cases/{}/file", referred[1]["case_id"]));
    // The court files it: the case file fetched with the court's own key — the ZIP of the
    // electronic case file, its PDF first.
    let fetch = |key: String| {
        let request = app.client.get(format!("{}{file}", app.base)).header("X-Api-Key", key);
        async move { request.send().await.unwrap() }
    };
    let response = fetch(key.clone()).await;
    assert_eq!(response.status(), StatusCode::OK, "the court downloads the case file");
    assert_eq!(response.headers()["content-type"], "application/zip");
    let entries = crate::casefile::entries(&response.bytes().await.unwrap());
    assert_eq!(entries[0].0, "case.pdf", "the PDF of the case first");
    assert!(entries[0].1.starts_with(b"%PDF"), "a PDF");
    // Another court's key, granted the same, is answered 404: the case is neither in that
    // court's region nor referred by it, and a case it may not read is one it is not told of.
    app.sql("INSERT INTO units (name, kind, region_code) VALUES ('兰州市七里河区人民法院', 'court', '620103000000')")
        .await;
    let other_court = app.unit_id("兰州市七里河区人民法院").await;
    let admin = app.login("admin").await;
    let grants = json!({"name": "七里河区法院调解平台", "unit_id": other_court, "permissions": ["case_register", "referrals_read"]});
    let (status, other) = app.post("/api/v1/system-accounts", &admin, grants).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let response = fetch(other["api_key"].as_str().unwrap().to_owned()).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "not another court's");
    let declined = &results["(2026)甘0102民诉前调33号"]["referral"];
    assert_eq!(
        (declined["outcome"].as_str(), declined["reason"].as_str()),
        (Some("declined"), Some("超出特邀调解范围"))
    );

    // The court desk page shows the same result.
    let court = format!("fq_session={}", ui_session(&app, "court").await);
    let (_, page) = ui_get(&app, &court, &format!("/referrals/{}", referred[1]["id"])).await;
    assert!(page.contains("双方对借款事实无争议，对利息分歧较大") && page.contains("调解不成"), "the failure");
    let (_, page) = ui_get(&app, &court, &format!("/referrals/{}", referred[0]["id"])).await;
    assert!(page.contains("调解成功"), "the success");
    let (_, page) = ui_get(&app, &court, "/referrals?state=failed").await;
    assert!(page.contains("data-total=\"1\""), "counted by state");
}

/// 诉前分流率: the referred cases of the period ÷ (those + the courts' first-instance cases of
/// its months), the referred cases listed behind the numerator, on the statistics page with its
/// definition.
async fn the_diversion_rate_counts_the_referrals_against_the_courts_filings(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let referred = refer(&app, &["(2026)甘0102民诉前调41号", "(2026)甘0102民诉前调42号"]).await;
    let intake = app.login("intake").await;
    app.register(&intake, registration(&id_number("620102", "19850101", 50), "13912340050")).await;
    let city = app.login("city").await;
    let query = "region=620100&from=2026-11-01&to=2026-11-30&by=region";
    let (_, table) = app.get(&format!("/api/v1/stats/figures?{query}"), &city).await;
    let diversion = &table["total"]["figures"]["diversion_rate"];
    assert_eq!((diversion["numerator"].as_i64(), diversion["value"].as_f64()), (Some(2), None), "no filings yet");

    let admin = app.login("admin").await;
    let filings = json!({"region": "620102", "month": "2026-11", "first_instance": 6});
    let (status, _) = app.call(Method::PUT, "/api/v1/stats/court-filings", Some(&admin), Some(filings)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, table) = app.get(&format!("/api/v1/stats/figures?{query}"), &city).await;
    assert_eq!(status, StatusCode::OK, "{table}");
    let diversion = &table["rows"][0]["figures"]["diversion_rate"];
    assert_eq!(
        (diversion["numerator"].as_i64(), diversion["denominator"].as_i64(), diversion["value"].as_f64()),
        (Some(2), Some(8), Some(0.25)),
        "{table}"
    );
    assert!(table["definitions"]["diversion_rate"].as_str().unwrap().contains("诉前委派"), "{table}");
    let (status, list) =
        app.get(&format!("/api/v1/stats/figures/diversion_rate/cases?{query}&key=620102000000"), &city).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let mut listed: Vec<i64> = list["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    listed.sort();
    let mut expected: Vec<i64> = referred.iter().map(|r| r["case_id"].as_i64().unwrap()).collect();
    expected.sort();
    assert_eq!(listed, expected, "the referred cases, not the window's");

    let cookies = format!("fq_session={}; fq_lang=zh-CN", ui_session(&app, "city").await);
    let (status, page) = ui_get(&app, &cookies, &format!("/stats?{query}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("诉前分流率") && page.contains("/stats/cases/diversion_rate?"), "named and linked");
    assert!(page.contains("25.0%"), "the share");
}

/// A court's system account (granted to refer and to read its referrals) and its key.
/// Sends a batch of one referral as the court's desk (a bearer token) or its system account
/// (an API key): the answer's result and the referral's case.
async fn refer_one(app: &TestApp, sender: &CourtSender, number: &str) -> (String, Value) {
    let body = json!([item(number, 51)]);
    let (status, answers) = match sender {
        CourtSender::Desk(token) => app.post("/api/v1/referrals", token, body).await,
        CourtSender::Account(key) => app.keyed(Method::POST, "/api/v1/referrals", key, Some(body)).await,
    };
    assert_eq!(status, StatusCode::OK, "{answers}");
    (answers[0]["result"].as_str().unwrap_or_default().to_owned(), answers[0]["referral"]["case_id"].clone())
}

/// Who of a court sends: its desk's login or its system account.
enum CourtSender {
    Desk(String),
    Account(String),
}

/// One court, one sender: the court desk's login and the court's system account send the
/// same court number fifty times at once, by turns — one case, one referral.
async fn the_courts_desk_and_its_account_sending_one_number_at_once_make_one_case(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (_, key) = court_account(&app).await;
    let desk = app.login("court").await;
    let before = case_count(&app).await;
    let number = "(2026)甘0102民诉前调51号";
    let mut set = tokio::task::JoinSet::new();
    for i in 0..50 {
        let request = app.client.post(format!("{}/api/v1/referrals", app.base)).json(&json!([item(number, 51)]));
        let request = if i % 2 == 0 { request.bearer_auth(&desk) } else { request.header("X-Api-Key", &key) };
        set.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        });
    }
    let answers = set.join_all().await;
    let results: Vec<(StatusCode, String)> = answers
        .iter()
        .map(|(status, body)| (*status, body[0]["result"].as_str().unwrap_or_default().to_owned()))
        .collect();
    let created = results.iter().filter(|(status, r)| *status == StatusCode::OK && r == "created").count();
    let existing = results.iter().filter(|(status, r)| *status == StatusCode::OK && r == "existing").count();
    assert_eq!((created, existing), (1, 49), "{answers:?}");
    let cases: std::collections::BTreeSet<String> =
        answers.iter().map(|(_, body)| body[0]["referral"]["case_id"].to_string()).collect();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(case_count(&app).await, before + 1, "one case");
    let referrals = app
        .sql_texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM referrals WHERE court_case_number = '{number}'"))
        .await;
    assert_eq!(referrals, ["1"], "one referral");
}

/// Claims made before migration 0055 (in each sender's own namespace) answer the same case
/// after it, from the court's desk and its account alike: a referral's number moves into the
/// court's namespace — also the one the race claimed twice, with two cases, answers the
/// referral's —, and a court user's own `external_ref` of another case stays theirs.
async fn migration_0055_moves_the_courts_claims_into_its_namespace(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (account, key) = court_account(&app).await;
    let desk = app.login("court").await;
    let (desk_sent, account_sent) = ("(2026)甘0102民诉前调61号", "(2026)甘0102民诉前调62号");
    let (_, by_desk) = refer_one(&app, &CourtSender::Desk(desk.clone()), desk_sent).await;
    let (_, by_account) = refer_one(&app, &CourtSender::Account(key.clone()), account_sent).await;
    // The race's second case of the desk's number: a court case with no referral.
    let mut raced = registration(&id_number("620102", "19850101", 52), "13912340052");
    raced["channel"] = json!("court");
    let raced = app.register(&desk, raced).await;
    let mut own = registration(&id_number("620102", "19850101", 53), "13912340053");
    own["external_ref"] = json!("(2026)甘0102民诉前调63号");
    let (status, own) = app.keyed(Method::POST, "/api/v1/cases", &key, Some(own)).await;
    assert_eq!(status, StatusCode::CREATED, "{own}");

    // Back to the claims as they were written before 0055.
    let desk_user = "CAST((SELECT id FROM users WHERE username = 'court') AS TEXT)";
    let system_user = format!("CAST((SELECT user_id FROM system_accounts WHERE id = {account}) AS TEXT)");
    app.sql(&format!(
        "DELETE FROM external_refs WHERE namespace LIKE 'court:%';
         INSERT INTO external_refs (namespace, external_ref, case_id, created_at) VALUES
             ('user:' || {desk_user}, '{desk_sent}', {by_desk}, 1),
             ('user:' || {system_user}, '{desk_sent}', {}, 2),
             ('user:' || {system_user}, '{account_sent}', {by_account}, 3);
         DELETE FROM fengqiao_migrations WHERE version = 55;",
        raced["id"],
    ))
    .await;
    let migrate = app.cli(&["migrate"], None);
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let claims = app
        .sql_texts(
            "SELECT namespace || ' ' || external_ref || ' ' || CAST(case_id AS TEXT) FROM external_refs
             ORDER BY namespace, external_ref",
        )
        .await;
    let court_unit = app.unit_id("兰州市城关区人民法院").await;
    let system_user_id =
        app.sql_texts(&format!("SELECT CAST(user_id AS TEXT) FROM system_accounts WHERE id = {account}")).await;
    assert_eq!(
        claims,
        [
            format!("court:{court_unit} {desk_sent} {by_desk}"),
            format!("court:{court_unit} {account_sent} {by_account}"),
            format!("user:{} (2026)甘0102民诉前调63号 {}", system_user_id[0], own["id"]),
        ]
    );

    // Each number again, from the other sender: the same referral's case.
    let (result, case) = refer_one(&app, &CourtSender::Account(key), desk_sent).await;
    assert_eq!((result.as_str(), &case), ("existing", &by_desk));
    let (result, case) = refer_one(&app, &CourtSender::Desk(desk), account_sent).await;
    assert_eq!((result.as_str(), &case), ("existing", &by_account));
}

async fn court_account(app: &TestApp) -> (i64, String) {
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
    (account["id"].as_i64().unwrap(), account["api_key"].as_str().unwrap().to_owned())
}

/// A workbook of referrals: the template's header (in words), then each row's cells.
fn referrals_workbook(rows: &[[&str; 7]]) -> Vec<u8> {
    workbook(&["法院案号", "案由", "申请人姓名", "申请人电话", "被申请人姓名", "纠纷事实", "诉讼请求"], rows)
}

async fn upload_referrals(app: &TestApp, auth: (&str, &str), dry_run: bool, body: Vec<u8>) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{}/api/v1/referrals/import?dry_run={dry_run}", app.base))
        .header(auth.0, auth.1)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_courts_workbook_is_received_whole_or_not_at_all_and_never_twice(app: TestApp) {
    // Monday 2 November 2026: three working days end on Thursday.
    app.set_now("2026-11-02T09:00:00+08:00");
    let (_, key) = court_account(&app).await;
    let court = ("X-Api-Key", key.as_str());
    let good = |n: &'static str| {
        [n, "合同", "马丽", "13911110001", "张强", "拖欠装修款两万元，经法院释明同意先行调解", "支付装修款"]
    };
    let referrals = || app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM referrals");
    let before = case_count(&app).await;

    // Bad rows among good ones: each named by its row and column in words, nothing received.
    let bad = referrals_workbook(&[
        good("(2026)甘0102民诉前调51号"),
        ["", "合同", "王五", "12345", "", "借款未还", ""],
        ["(2026)甘0102民诉前调53号", "不存在的案由", "赵六", "", "", "", ""],
        good("(2026)甘0102民诉前调51号"),
    ]);
    let (status, report) = upload_referrals(&app, court, true, bad.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["faulted_rows"], json!([3, 4, 5]), "{report}");
    let said = |row: usize| -> Vec<String> {
        report["rows"][row]["faults"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(said(1).iter().any(|m| m.contains("第 3 行") && m.contains("法院案号")), "{:?}", said(1));
    assert!(said(1).iter().any(|m| m.contains("申请人电话")), "{:?}", said(1));
    assert!(said(2).iter().any(|m| m.contains("纠纷类型")), "{:?}", said(2));
    assert!(said(2).iter().any(|m| m.contains("纠纷描述")), "{:?}", said(2));
    assert!(said(3).iter().any(|m| m.contains("第 2 行")), "repeated: the later row, naming the first: {:?}", said(3));
    assert!(said(0).is_empty(), "the first of a repeated number is not at fault");
    let (status, refused) = upload_referrals(&app, court, false, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused["error"]["fields"].as_array().unwrap().len() >= 5, "{refused}");
    assert_eq!(referrals().await, ["0"], "nothing received");
    assert_eq!(case_count(&app).await, before, "no case registered");

    // A good workbook: checked, then every row a referral with the clock an API referral has.
    let book = referrals_workbook(&[good("(2026)甘0102民诉前调61号"), good("(2026)甘0102民诉前调62号")]);
    let (status, report) = upload_referrals(&app, court, true, book.clone()).await;
    assert_eq!((status, report["importable"].as_u64()), (StatusCode::OK, Some(2)), "{report}");
    assert_eq!(referrals().await, ["0"], "a dry run receives nothing");
    let (status, report) = upload_referrals(&app, court, false, book.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!((report["created"].as_u64(), report["existing"].as_u64()), (Some(2), Some(0)), "{report}");
    let (status, listed) = app.keyed(Method::GET, "/api/v1/referrals", &key, None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let first =
        listed.as_array().unwrap().iter().find(|r| r["court_case_number"] == "(2026)甘0102民诉前调61号").unwrap();
    assert_eq!(
        (first["state"].as_str(), first["confirm_by"].as_str()),
        (Some("received"), Some("2026-11-05T23:59:59+08:00"))
    );
    let admin = app.login("admin").await;
    let (_, case) = app.get(&format!("/api/v1/cases/{}", first["case_id"]), &admin).await;
    assert_eq!(case["channel"], "court", "{case}");
    assert!(case["description"].as_str().unwrap().ends_with("诉讼请求：支付装修款"), "the claims kept: {case}");

    // Uploaded again, and the same number by API: the same referrals, never a second case.
    let (status, report) = upload_referrals(&app, court, false, book).await;
    assert_eq!(
        (status, report["created"].as_u64(), report["existing"].as_u64()),
        (StatusCode::CREATED, Some(0), Some(2))
    );
    let (status, again) =
        app.keyed(Method::POST, "/api/v1/referrals", &key, Some(json!([item("(2026)甘0102民诉前调61号", 61)]))).await;
    assert_eq!((status, again[0]["result"].as_str()), (StatusCode::OK, Some("existing")), "{again}");
    assert_eq!(again[0]["referral"]["id"], first["id"]);
    assert_eq!(referrals().await, ["2"]);
    assert_eq!(case_count(&app).await, before + 2);

    // Only a court refers: the centre's staff upload on the page, for a court's account.
    let intake = app.login("intake").await;
    let bearer = format!("Bearer {intake}");
    let one = referrals_workbook(&[good("(2026)甘0102民诉前调71号")]);
    let (status, _) = upload_referrals(&app, ("Authorization", &bearer), true, one).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The template reads back as a workbook of referrals.
    let session = ui_session(&app, "intake").await;
    let response = crate::support::browser()
        .get(format!("{}/referrals/template.xlsx", app.base))
        .header("cookie", format!("fq_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let template = response.bytes().await.unwrap().to_vec();
    let (status, report) = upload_referrals(&app, court, true, template).await;
    assert_eq!((status, report["importable"].as_u64()), (StatusCode::OK, Some(1)), "{report}");
}

/// A region code of the right form that the organisation does not know is a fault of its row
/// already in the preview (the dry run), named by row and column in words — the import is
/// refused with it and receives nothing.
async fn a_courts_workbook_names_a_region_it_does_not_know_in_the_preview(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (_, key) = court_account(&app).await;
    let court = ("X-Api-Key", key.as_str());
    let book = workbook(
        &["法院案号", "所属区域", "申请人", "纠纷事实"],
        &[
            ["(2026)甘0102民诉前调71号", "620102002001", "马丽", "拖欠装修款两万元，同意先行调解"],
            ["(2026)甘0102民诉前调72号", "620199000000", "马丽", "拖欠装修款两万元，同意先行调解"],
        ],
    );
    let (status, report) = upload_referrals(&app, court, true, book.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!((report["faulted_rows"].clone(), report["importable"].as_u64()), (json!([3]), Some(1)), "{report}");
    let fault = &report["rows"][1]["faults"][0];
    assert_eq!(fault["field"], "line[2].region_code", "{report}");
    let said = fault["message"].as_str().unwrap();
    assert!(said.contains("第 3 行") && said.contains("行政区划代码") && said.contains("620199000000"), "{said}");
    let (status, refused) = upload_referrals(&app, court, false, book).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "line[2].region_code", "{refused}");
    let received = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM referrals").await;
    assert_eq!(received, ["0"], "nothing received");
}
