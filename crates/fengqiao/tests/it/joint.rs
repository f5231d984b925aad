//! 联席研判 on the real database: with a risk list issued, an alert open and a red case
//! registered since, the district centre convenes its joint meeting and finds each on the
//! generated agenda by its source; it writes the minutes and assigns a task to a unit, which sees
//! it on its workbench, acknowledges it and reports it done, and the centre sees every state; a
//! task not done in time climbs the supervision ladder. Bad input is named field by field with
//! nothing stored; other roles and units are refused; a held meeting's minutes are fixed.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_answer, ui_get, ui_session, ui_submit};

on_both_backends!(a_meeting_assesses_the_week_and_its_decisions_become_tasks_for_units);

const DISTRICT_A: &str = "620102000000";

/// A wage dispute of person `seq` whose text threatens self-harm: red.
fn red_case(seq: u32) -> Value {
    let mut body = registration(&id_number("620102", "19850101", seq), &format!("1390000{seq:04}"));
    body["description"] = json!("讨薪无门，他说再不给钱就从工地楼顶跳下去。");
    body["parties"][1] = json!({"role": "respondent", "kind": "organization", "name": format!("兰州某劳务公司{seq}")});
    body
}

/// A deposit dispute of person `i` against the same company: five open an alert.
fn against_the_company(i: u32) -> Value {
    let mut body = registration(&id_number("620102", "19800101", 200 + i), &format!("137000{i:05}"));
    body["description"] = json!("某装修公司收取定金后迟迟不施工，要求退还定金。");
    body["parties"][1] = json!({"role": "respondent", "kind": "organization", "name": "兰州某装饰工程有限公司", "credit_code": "91350200776049653A"});
    body
}

fn items_from<'a>(meeting: &'a Value, source: &str) -> Vec<&'a Value> {
    meeting["agenda"].as_array().unwrap().iter().filter(|i| i["source"] == source).collect()
}

fn fields(body: &Value) -> Vec<String> {
    let errors = body["error"]["fields"].as_array().unwrap_or_else(|| panic!("no fields: {body}"));
    errors.iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect()
}

async fn count(app: &TestApp, table: &str) -> String {
    app.sql_texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}")).await.remove(0)
}

async fn a_meeting_assesses_the_week_and_its_decisions_become_tasks_for_units(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    let justice = app.unit_id("城关区司法局").await;
    let petition = app.unit_id("城关区信访局").await;
    let intake = app.login("intake").await;
    let district = app.login("district").await;

    // The week: a red case on the centre's list, an alert opened after it, a red case since.
    let listed = app.register(&intake, red_case(1)).await;
    let (status, listed) = app.act(&district, &listed, json!({"action": "dispatch", "unit_id": committee})).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let (status, list) = app.post("/api/v1/risk-lists", &district, json!({"region": DISTRICT_A})).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let mut claimants = Vec::new();
    for i in 1..=5 {
        claimants.push(app.register(&intake, against_the_company(i)).await["id"].clone());
    }
    let since = app.register(&intake, red_case(2)).await;
    assert_eq!(since["risk"], "red", "{since}");

    // Bad input: every field named, nothing stored.
    let bad =
        json!({"region": "6201", "held_on": "2026-13-01", "participant_unit_ids": [committee, 999_999, committee]});
    let (status, body) = app.post("/api/v1/joint-meetings", &district, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["region", "held_on", "participant_unit_ids[1]", "participant_unit_ids[2]"]);
    let outside = json!({"region": "620103000000"});
    let (status, body) = app.post("/api/v1/joint-meetings", &district, outside).await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["region".to_owned()]), "{body}");
    assert_eq!(count(&app, "joint_meetings").await, "0");
    // Only a centre's dispatchers and leaders convene.
    for name in ["intake", "mediator", "labor"] {
        let (status, body) =
            app.post("/api/v1/joint-meetings", &app.login(name).await, json!({"region": DISTRICT_A})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {body}");
    }

    let body =
        json!({"region": DISTRICT_A, "held_on": "2026-11-23", "participant_unit_ids": [committee, justice, petition]});
    let (status, meeting) = app.post("/api/v1/joint-meetings", &district, body).await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    assert_eq!(meeting["number"], "2026-001");
    assert_eq!(meeting["status"], "draft");
    assert_eq!(meeting["held_on"], "2026-11-23");
    assert_eq!(meeting["participants"].as_array().unwrap().len(), 3);
    // The list's item of the listed case, the alert no item carries, the red case since: each once.
    let from_list = items_from(&meeting, "risk_item");
    let item = from_list.iter().find(|i| i["case_ids"] == json!([listed["id"]])).expect("the listed case's item");
    assert_eq!(item["risk_list_id"], list["id"]);
    assert_eq!(item["colour"], "red");
    let alerts = items_from(&meeting, "alert");
    assert_eq!(alerts.len(), 1, "{meeting}");
    assert_eq!(alerts[0]["case_ids"], json!(claimants));
    assert!(alerts[0]["reasons"][0].as_str().unwrap().contains("同一被申请人"), "labels, not codes: {}", alerts[0]);
    let red = items_from(&meeting, "case");
    assert_eq!(red.len(), 1, "the listed red case is not on the agenda twice: {meeting}");
    assert_eq!(red[0]["case_id"], since["id"]);
    assert!(red[0]["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("跳下去")), "{}", red[0]);
    assert_eq!(meeting["agenda"][0]["colour"], "red", "the reddest first");
    let path = format!("/api/v1/joint-meetings/{}", meeting["id"]);

    // Who sees it: the centres of the territory and the units taking part; 403 in the
    // territory for others, 404 outside it.
    for (name, expected) in [
        ("leader", StatusCode::OK),
        ("mediator", StatusCode::OK),
        ("labor", StatusCode::FORBIDDEN),
        ("street_b", StatusCode::NOT_FOUND),
    ] {
        let (status, _) = app.get(&path, &app.login(name).await).await;
        assert_eq!(status, expected, "{name}");
    }
    let (status, page) = app.get("/api/v1/joint-meetings", &app.login("labor").await).await;
    assert_eq!((status, page["total"].as_i64()), (StatusCode::OK, Some(0)), "{page}");

    // Minutes: the centre's; faults named with nothing stored.
    let mediator = app.login("mediator").await;
    let minutes = json!({"meeting_minutes": "公安、信访、司法、法院逐项研判。", "agenda": [{"item_id": item["id"], "discussion": "先行稳控，组织调解。"}]});
    let (status, _) = app.post(&format!("{path}/minutes"), &mediator, minutes.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a unit taking part writes no minutes");
    let bad = json!({"meeting_minutes": "x".repeat(20_001), "agenda": [{"item_id": 999_999, "discussion": "无"}, {"discussion": "无"}]});
    let (status, body) = app.post(&format!("{path}/minutes"), &district, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["meeting_minutes", "agenda[0].item_id", "agenda[1].item_id"]);
    let (_, unchanged) = app.get(&path, &district).await;
    assert_eq!(unchanged["minutes"], Value::Null);
    let (status, written) = app.post(&format!("{path}/minutes"), &district, minutes).await;
    assert_eq!(status, StatusCode::OK, "{written}");
    assert_eq!(written["minutes"], "公安、信访、司法、法院逐项研判。");
    assert_eq!(
        items_from(&written, "risk_item").iter().find(|i| i["id"] == item["id"]).unwrap()["minutes"],
        "先行稳控，组织调解。"
    );

    // Decisions: faults named with nothing stored; then a task for the committee, and one late.
    let bad = json!({"item_id": 999_999, "unit_id": 999_999, "task": " ", "due_at": "2026-11-20"});
    let (status, body) = app.post(&format!("{path}/decisions"), &district, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["item_id", "unit_id", "task", "due_at"]);
    assert_eq!(count(&app, "joint_decisions").await, "0");
    let task = json!({"item_id": item["id"], "unit_id": committee, "task": "上门走访，落实稳控并组织调解", "due_at": "2026-11-27"});
    let (status, _) = app.post(&format!("{path}/decisions"), &mediator, task.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, decided) = app.post(&format!("{path}/decisions"), &district, task).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    let late =
        json!({"item_id": red[0]["id"], "unit_id": committee, "task": "联系当事人核实情况", "due_at": "2026-11-24"});
    let (status, decided) = app.post(&format!("{path}/decisions"), &district, late).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    let decision =
        &items_from(&decided, "risk_item").into_iter().find(|i| i["id"] == item["id"]).unwrap()["decisions"][0];
    assert_eq!((decision["status"].as_str(), decision["unit_id"].as_i64()), (Some("assigned"), Some(committee)));
    let late = &items_from(&decided, "case")[0]["decisions"][0];
    let task_path = format!("{path}/decisions/{}", decision["id"]);

    // The unit sees its tasks on its workbench; another unit may not touch them.
    let cookie = format!("fq_session={}", ui_session(&app, "mediator").await);
    let (status, html) = ui_get(&app, &cookie, "/workbench").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("data-joint-decision=\"{}\"", decision["id"])), "{html}");
    let (status, _) = app.post(&format!("{task_path}/acknowledge"), &app.login("labor").await, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&format!("{task_path}/acknowledge"), &app.login("street_b").await, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, after) = app.post(&format!("{task_path}/acknowledge"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let (status, _) = app.post(&format!("{task_path}/acknowledge"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "once");
    let (status, body) = app.post(&format!("{task_path}/report"), &mediator, json!({"text": ""})).await;
    assert_eq!((status, fields(&body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["text".to_owned()]), "{body}");
    let report = "已上门走访，双方达成分期支付协议。";
    let (status, _) = app.post(&format!("{task_path}/report"), &mediator, json!({"text": report})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post(&format!("{task_path}/report"), &mediator, json!({"text": report})).await;
    assert_eq!(status, StatusCode::CONFLICT, "once");

    // The centre sees every decision's state; the late one climbs the ladder.
    app.set_now("2026-11-25T09:00:00+08:00");
    let leader = app.login("leader").await;
    let (status, sweep) = app.post("/api/v1/supervision/sweep", &leader, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{sweep}");
    let notices = app
        .sql_texts(&format!(
            "SELECT kind || ':' || CAST(unit_id AS TEXT) FROM notices WHERE dedupe_key LIKE 'joint_decision:{}:%'",
            late["id"]
        ))
        .await;
    assert_eq!(notices, [format!("warning:{committee}")]);
    let district = app.login("district").await;
    let (_, seen) = app.get(&path, &district).await;
    let done = &items_from(&seen, "risk_item").into_iter().find(|i| i["id"] == item["id"]).unwrap()["decisions"][0];
    assert_eq!(
        (done["status"].as_str(), done["report"].as_str(), done["overdue"].as_bool()),
        (Some("done"), Some(report), Some(false))
    );
    let late = &items_from(&seen, "case")[0]["decisions"][0];
    assert_eq!((late["status"].as_str(), late["overdue"].as_bool()), (Some("assigned"), Some(true)));
    let (_, page) = app.get("/api/v1/joint-meetings", &district).await;
    assert_eq!((page["total"].as_i64(), page["items"][0]["overdue_decisions"].as_i64()), (Some(1), Some(1)), "{page}");

    // The page: a refused decision comes back with what was typed and the error beside it.
    let session = ui_session(&app, "district").await;
    let from = format!("/joint-meetings/{}", meeting["id"]);
    let (status, html) = ui_get(&app, &format!("fq_session={session}"), &from).await;
    assert_eq!(status, StatusCode::OK);
    let summary = "交办事项 2 · 未办结 1 · 逾期 <span class=\"badge risk-red\">1</span>";
    assert!(html.contains(summary), "the centre sees every decision's state: {html}");
    let form =
        [("item_id", &*item["id"].to_string()), ("unit_id", &*committee.to_string()), ("task", "复核"), ("due_at", "")];
    let (status, _, html) =
        ui_answer(ui_submit(&app, &session, &from, &format!("{from}/decisions"), &form).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-for=\"due_at\">完成时限为必填项"), "{html}");
    assert!(html.contains("value=\"复核\""), "kept as typed");

    // Held: the minutes are fixed, nothing more is decided.
    let (status, body) =
        app.post(&format!("{path}/minutes"), &district, json!({"meeting_minutes": " ", "hold": true})).await;
    assert_eq!(
        (status, fields(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["meeting_minutes".to_owned()]),
        "{body}"
    );
    let (status, held) = app.post(&format!("{path}/minutes"), &district, json!({"hold": true})).await;
    assert_eq!((status, held["status"].as_str()), (StatusCode::OK, Some("held")), "{held}");
    let (status, _) = app.post(&format!("{path}/minutes"), &district, json!({"meeting_minutes": "改"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let again = json!({"item_id": item["id"], "unit_id": committee, "task": "复核", "due_at": "2026-12-01"});
    let (status, _) = app.post(&format!("{path}/decisions"), &district, again).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The next meeting is numbered on, and carries no red case from before the last one.
    let (status, next) = app.post("/api/v1/joint-meetings", &district, json!({"region": DISTRICT_A})).await;
    assert_eq!((status, next["number"].as_str()), (StatusCode::CREATED, Some("2026-002")), "{next}");
    assert!(items_from(&next, "case").is_empty(), "{next}");
    assert_eq!(next["held_on"], "2026-11-25", "today by default");
}
