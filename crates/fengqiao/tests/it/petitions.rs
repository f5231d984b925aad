//! 信访转办 (issue 18) end to end: a petition office's system account and the centre's staff
//! send petitions (the same reference from the same sender is the same petition); the centre
//! accepts, extends once (a second extension is refused by its field, nothing changed),
//! replies, and records the petitioner's 复查; the office hears of each step by webhook; an
//! unaccepted petition past its 15 days climbs the supervision ladder; the staff pages list,
//! show the clocks and keep what was typed on a refusal.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_answer, ui_get, ui_post, ui_session, ui_submit};
use crate::webhooks::{Sender, receiver, signature};

on_both_backends!(
    a_petition_is_accepted_extended_once_replied_and_reviewed,
    an_unaccepted_petition_climbs_the_ladder_and_the_pages_work,
    two_staff_entering_the_same_petition_at_once_make_one_case,
);

async fn office_key(app: &TestApp) -> String {
    let admin = app.login("admin").await;
    let district = app.unit_id("城关区社会治安综合治理中心").await;
    let body = json!({"name": "城关区信访局", "unit_id": district, "permissions": ["case_register"]});
    let (status, body) = app.post("/api/v1/system-accounts", &admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["api_key"].as_str().unwrap().to_owned()
}

fn transfer(reference: &str, seq: u32) -> Value {
    let mut body = registration(&id_number("620102", "19700101", seq), "13912340002");
    body["reference"] = json!(reference);
    body["office_received_on"] = json!("2026-10-30");
    body
}

async fn two_staff_entering_the_same_petition_at_once_make_one_case(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let staff = [app.login("intake").await, app.login("leader").await];
    let mut entered = transfer("城信转〔2026〕201号", 4);
    entered["sender"] = json!("兰州市信访局");

    // Fifty identical entries at once, alternating between two staff users: one case.
    let cases_before = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM cases").await;
    let mut set = tokio::task::JoinSet::new();
    for n in 0..50 {
        let request =
            app.client.post(format!("{}/api/v1/petitions", app.base)).bearer_auth(&staff[n % 2]).json(&entered);
        set.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap()["case_id"].as_i64())
        });
    }
    let answers = set.join_all().await;
    assert!(answers.iter().all(|(s, _)| s.is_success()), "{answers:?}");
    assert_eq!(answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 1, "{answers:?}");
    let cases: std::collections::BTreeSet<Option<i64>> = answers.iter().map(|(_, c)| *c).collect();
    assert_eq!(cases.len(), 1, "the same case for all: {answers:?}");
    assert!(cases.iter().all(Option::is_some), "{answers:?}");
    let cases_after = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM cases").await;
    assert_eq!(cases_after[0].parse::<i64>().unwrap(), cases_before[0].parse::<i64>().unwrap() + 1);
    let petitions = app.sql_texts("SELECT reference FROM petitions").await;
    assert_eq!(petitions, ["城信转〔2026〕201号"]);

    // The office's own account sending the same reference meets the same petition; another
    // office's same reference is another petition.
    let key = office_key(&app).await;
    let mut from_office = transfer("城信转〔2026〕201号", 4);
    from_office["sender"] = json!("ignored: the account is its own sender");
    let (status, theirs) = app.keyed(Method::POST, "/api/v1/petitions", &key, Some(from_office)).await;
    assert_eq!(status, StatusCode::CREATED, "城关区信访局 is another sender: {theirs}");
    assert_ne!(Some(theirs["case_id"].as_i64()), cases.first().copied());
    let (status, again) =
        app.keyed(Method::POST, "/api/v1/petitions", &key, Some(transfer("城信转〔2026〕201号", 4))).await;
    assert_eq!((status, &again["case_id"]), (StatusCode::OK, &theirs["case_id"]));
    let mut typed_by_staff = transfer("城信转〔2026〕201号", 4);
    typed_by_staff["sender"] = json!("城关区信访局");
    let (status, same) = app.post("/api/v1/petitions", &staff[1], typed_by_staff).await;
    assert_eq!((status, &same["case_id"]), (StatusCode::OK, &theirs["case_id"]), "{same}");
}

fn clock<'a>(petition: &'a Value, name: &str) -> &'a Value {
    petition["clocks"].as_array().unwrap().iter().find(|c| c["clock"] == name).unwrap()
}

async fn a_petition_is_accepted_extended_once_replied_and_reviewed(app: TestApp) {
    // Monday 2 November 2026.
    app.set_now("2026-11-02T09:00:00+08:00");
    let key = office_key(&app).await;
    let (url, received) = receiver().await;
    let events = ["petition.accepted", "petition.extended", "petition.replied", "petition.review_requested"];
    let (status, hook) =
        app.keyed(Method::POST, "/api/v1/webhooks", &key, Some(json!({"url": url, "events": events}))).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();

    // In by the office's system account: 201, the clocks from receipt; again: 200, the same.
    let (status, first) =
        app.keyed(Method::POST, "/api/v1/petitions", &key, Some(transfer("城信转〔2026〕118号", 1))).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!((first["stage"].as_str(), first["sender"].as_str()), (Some("received"), Some("城关区信访局")));
    assert_eq!(first["accept_by"], "2026-11-17T23:59:59+08:00", "15 days: {first}");
    assert_eq!(first["object_by"], "2026-11-09T23:59:59+08:00", "5 working days: {first}");
    let (status, again) =
        app.keyed(Method::POST, "/api/v1/petitions", &key, Some(transfer("城信转〔2026〕118号", 1))).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["case_id"], first["case_id"]);
    let id = first["case_id"].as_i64().unwrap();
    let channels = app.sql_texts(&format!("SELECT channel FROM cases WHERE id = {id}")).await;
    assert_eq!(channels, ["petition"]);

    // Fifty identical transfers at once (a sender retrying): one case, one petition.
    let cases_before = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM cases").await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let request = app
            .client
            .post(format!("{}/api/v1/petitions", app.base))
            .header("X-Api-Key", &key)
            .json(&transfer("城信转〔2026〕119号", 3));
        set.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap()["case_id"].as_i64())
        });
    }
    let answers = set.join_all().await;
    assert_eq!(answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(), 1, "{answers:?}");
    assert!(answers.iter().all(|(s, _)| s.is_success()), "{answers:?}");
    let cases: std::collections::BTreeSet<Option<i64>> = answers.iter().map(|(_, c)| *c).collect();
    assert_eq!(cases.len(), 1, "the same case for all: {answers:?}");
    let cases_after = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM cases").await;
    assert_eq!(cases_after[0].parse::<i64>().unwrap(), cases_before[0].parse::<i64>().unwrap() + 1);

    // Entered by staff for an office: the sender is required, the reference idempotent per sender.
    let intake = app.login("intake").await;
    let (status, refused) = app.post("/api/v1/petitions", &intake, transfer("城信转〔2026〕118号", 2)).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("sender")),
        "{refused}"
    );
    let mut by_staff = transfer("城信转〔2026〕118号", 2);
    by_staff["sender"] = json!("兰州市信访局");
    let (status, other) = app.post("/api/v1/petitions", &intake, by_staff.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "another sender's reference is another petition: {other}");
    let (status, same) = app.post("/api/v1/petitions", &intake, by_staff).await;
    assert_eq!((status, &same["case_id"]), (StatusCode::OK, &other["case_id"]));

    // The list within scope, counted and paged; refused outside the permission.
    let (status, list) = app.get("/api/v1/petitions?stage=received&limit=1", &intake).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!((list["total"].as_i64(), list["items"].as_array().unwrap().len()), (Some(3), 1), "{list}");
    let (status, refused) = app.get("/api/v1/petitions?stage=lost", &intake).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("stage")));
    let outsider = app.login("street_b").await;
    let (status, _) = app.get(&format!("/api/v1/petitions/{id}"), &outsider).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&format!("/api/v1/petitions/{id}/accept"), &outsider, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Accept: 60 days to the 信访处理意见书 (day 60 is Friday 1 January 2027: the end of the
    // period as reckoned on the calendar).
    let path = |action: &str| format!("/api/v1/petitions/{id}/{action}");
    let (status, accepted) = app.post(&path("accept"), &intake, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["stage"], "accepted");
    assert_eq!(clock(&accepted, "accept")["state"], "met");
    let handle_by = accepted["handle_by"].as_str().unwrap().to_owned();
    assert!(handle_by.starts_with("2027-01-0"), "{handle_by}");

    // One extension, with the reason the petitioner is told; a second is refused by its field.
    app.set_now("2026-12-20T10:00:00+08:00");
    let intake = app.login("intake").await;
    let (status, refused) = app.post(&path("extend"), &intake, json!({"days": 31, "reason": "需现场核查"})).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("days")),
        "{refused}"
    );
    let (status, extended) =
        app.post(&path("extend"), &intake, json!({"days": 30, "reason": "需会同住建部门现场核查"})).await;
    assert_eq!(status, StatusCode::OK, "{extended}");
    assert_eq!(extended["extension_days"], 30);
    assert_ne!(extended["handle_by"].as_str().unwrap(), handle_by, "the limit moved");
    let told = app.sql_texts("SELECT body FROM outbox WHERE body LIKE '%延期理由%'").await;
    assert_eq!(told.len(), 1, "the petitioner is told by SMS: {told:?}");
    assert!(told[0].contains("城信转〔2026〕118号") && told[0].contains("需会同住建部门现场核查"), "{told:?}");
    let events_before =
        app.sql_texts(&format!("SELECT action FROM case_events WHERE case_id = {id} ORDER BY seq")).await;
    let (status, refused) = app.post(&path("extend"), &intake, json!({"days": 5, "reason": "再次核查"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "days", "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("延期一次"), "{refused}");
    let (_, unchanged) = app.get(&format!("/api/v1/petitions/{id}"), &intake).await;
    assert_eq!((unchanged["extension_days"].as_i64(), &unchanged["handle_by"]), (Some(30), &extended["handle_by"]));
    let events_after =
        app.sql_texts(&format!("SELECT action FROM case_events WHERE case_id = {id} ORDER BY seq")).await;
    assert_eq!(events_before, events_after, "nothing changed");

    // A review may not be requested before the reply; the reply, then 复查 within 30 days.
    let (status, refused) = app.post(&path("review-request"), &intake, json!({})).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("petition_stage")),
        "{refused}"
    );
    let (status, refused) = app.post(&path("reply"), &intake, json!({"text": " "})).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text")));
    let (status, replied) =
        app.post(&path("reply"), &intake, json!({"text": "经核查，责令施工方于十日内修复渗水。"})).await;
    assert_eq!(status, StatusCode::OK, "{replied}");
    assert_eq!(
        (replied["stage"].as_str(), clock(&replied, "handle")["state"].as_str()),
        (Some("replied"), Some("met"))
    );
    assert_eq!(clock(&replied, "review_request")["due_at"], "2027-01-19T23:59:59+08:00", "{replied}");
    app.set_now("2027-01-05T10:00:00+08:00");
    let intake = app.login("intake").await;
    let (status, review) = app.post(&path("review-request"), &intake, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(review["stage"], "reviewing");
    assert_eq!(clock(&review, "review_reply")["state"], "running");

    // The office hears of every step, signed; the first attempt (answered 500) is retried.
    let sender = Sender(reqwest::Client::new());
    jobs::webhooks::deliver(&app.app, &sender).await.unwrap();
    app.set_now("2027-01-05T10:05:00+08:00");
    jobs::webhooks::deliver(&app.app, &sender).await.unwrap();
    let got = received.lock().unwrap().clone();
    let mut arrived = Vec::new();
    for (headers, body) in &got {
        assert_eq!(headers["x-fengqiao-signature"].to_str().unwrap(), signature(&secret, body));
        let body: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body["case"]["external_ref"], "城信转〔2026〕118号", "{body}");
        arrived.push(body);
    }
    let mut names: Vec<&str> = arrived[1..].iter().map(|b| b["event"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["petition.accepted", "petition.extended", "petition.replied", "petition.review_requested"]);
    let extension = arrived.iter().find(|b| b["event"] == "petition.extended").unwrap();
    assert_eq!(extension["petition"]["reason"], "需会同住建部门现场核查", "the reason goes to the office: {extension}");

    let out = app.cli(&["audit", "verify"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

async fn an_unaccepted_petition_climbs_the_ladder_and_the_pages_work(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let intake = app.login("intake").await;
    let mut body = transfer("城信转〔2026〕200号", 3);
    body["sender"] = json!("城关区信访局");
    let (status, petition) = app.post("/api/v1/petitions", &intake, body).await;
    assert_eq!(status, StatusCode::CREATED, "{petition}");
    let id = petition["case_id"].as_i64().unwrap();

    // Past the 5 working days an objection is refused; past the 15 days the ladder warns.
    app.set_now("2026-11-18T10:00:00+08:00");
    let intake = app.login("intake").await;
    let (status, refused) =
        app.post(&format!("/api/v1/petitions/{id}/object"), &intake, json!({"reason": "属于诉讼事项"})).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("petition_objection_closed")));
    let (_, late) = app.get(&format!("/api/v1/petitions/{id}"), &intake).await;
    assert_eq!((late["overdue"].as_bool(), clock(&late, "accept")["state"].as_str()), (Some(true), Some("overdue")));
    let leader = app.login("leader").await;
    let (status, sweep) = app.post("/api/v1/supervision/sweep", &leader, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{sweep}");
    let notices =
        app.sql_texts(&format!("SELECT text FROM notices WHERE case_id = {id} AND dedupe_key LIKE 'petition:%'")).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("城信转〔2026〕200号") && notices[0].contains("未在 15 日内受理或转送"), "{notices:?}");

    // The pages: the list with labels, the petition with its clocks; a refused transfer keeps
    // what was typed beside its field; a transfer on redirects with a flash.
    let session = ui_session(&app, "intake").await;
    let cookie = format!("fq_session={session}");
    let (status, html) = ui_get(&app, &cookie, "/petitions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("城信转〔2026〕200号") && html.contains("待受理"), "{html}");
    let page = format!("/petitions/{id}");
    let (status, html) = ui_get(&app, &cookie, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("受理或转送（15日）") && html.contains("已逾期") && html.contains("2026-11-17"), "{html}");
    let typed = [("transfer_to", ""), ("reason", "属于劳动保障监察事项")];
    let response = ui_submit(&app, &session, &page, &format!("{page}/transfer"), &typed).await;
    let (status, _, html) = ui_answer(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("属于劳动保障监察事项") && html.contains(r#"data-for="transfer_to">"#), "{html}");
    let typed = [("transfer_to", "城关区人力资源和社会保障局"), ("reason", "属于劳动保障监察事项")];
    let (status, flash) = ui_post(&app, &session, &page, &format!("{page}/transfer"), &typed).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));
    let (_, moved) = app.get(&page.replace("/petitions", "/api/v1/petitions"), &intake).await;
    assert_eq!((moved["stage"].as_str(), moved["case_status"].as_str()), (Some("transferred"), Some("rejected")));

    // The entry form: a refusal keeps what was typed.
    let typed = [
        ("sender", "城关区信访局"),
        ("reference", ""),
        ("office_received_on", "2026-11-01"),
        ("petitioner", "王五"),
        ("request", "楼上漏水"),
    ];
    let response = ui_submit(&app, &session, "/petitions", "/petitions", &typed).await;
    let (status, _, html) = ui_answer(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(r#"value="王五""#) && html.contains(r#"data-for="reference">"#), "{html}");
}
