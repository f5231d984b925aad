//! 三色三单 on the real database: a centre issues the numbered risk list of its territory, the
//! unit handling a red case acknowledges and reports on its item, the centre closes it; anyone
//! else is refused, and each step in the wrong order is a conflict. The centre may send a report
//! back with its reason instead: the item waits on the unit again, on its workbench, by a new
//! closing day, and `audit verify` vouches for the send back too. The weekly pass issues one
//! list per centre and week. The register of people who need attention is the centres' only,
//! and every read of it is recorded.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_answer, ui_get, ui_session, ui_submit};

on_both_backends!(
    a_unit_acknowledges_and_reports_and_the_centre_closes,
    the_centre_sends_a_report_back_and_the_unit_reports_again,
    lists_are_numbered_per_centre_and_refuse_bad_regions,
    the_weekly_pass_issues_one_list_per_centre_and_week,
    the_register_of_people_is_the_centres_and_every_read_is_recorded,
    audit_verify_names_a_risk_list_row_edited_by_hand,
);

const DISTRICT_A: &str = "620102000000";

/// A wage dispute of person `seq` whose text threatens self-harm: red.
fn red_case(seq: u32) -> Value {
    let mut body = registration(&id_number("620102", "19850101", seq), &format!("1390000{seq:04}"));
    body["description"] = json!("讨薪无门，他说再不给钱就从工地楼顶跳下去。");
    body["parties"][1] = json!({"role": "respondent", "kind": "organization", "name": format!("兰州某劳务公司{seq}")});
    body
}

fn item_of<'a>(list: &'a Value, case_id: &Value) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_ids"].as_array().unwrap().contains(case_id))
        .unwrap_or_else(|| panic!("no item for case {case_id}: {list}"))
}

async fn a_unit_acknowledges_and_reports_and_the_centre_closes(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let case = app.register(&intake, red_case(1)).await;
    assert_eq!(case["risk"], "red", "{case}");
    let (status, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": committee})).await;
    assert_eq!(status, StatusCode::OK, "{case}");

    let (status, list) = app.post("/api/v1/risk-lists", &district, json!({"region": DISTRICT_A})).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    assert_eq!(list["number"], "2026-001");
    let item = item_of(&list, &case["id"]);
    assert_eq!(item["colour"], "red");
    assert_eq!(item["assigned_unit_ids"], json!([committee]));
    assert_eq!(item["status"], "issued");
    assert_eq!(item["overdue"], false);
    assert_eq!(item["due_at"], "2026-11-24T23:59:59+08:00", "red: one working day");
    assert!(item["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("跳下去")), "{item}");
    assert_eq!(list["items"][0]["colour"], "red", "the reddest first");
    let path = format!("/api/v1/risk-lists/{}/items/{}", list["id"], item["id"]);

    // Not the unit's: 403 (in the territory), 404 (outside it); the wrong order: 409.
    let labor = app.login("labor").await;
    let (status, body) = app.post(&format!("{path}/acknowledge"), &labor, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = app.get(&format!("/api/v1/risk-lists/{}", list["id"]), &labor).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a unit with no item reads no list");
    let street_b = app.login("street_b").await;
    let (status, _) = app.post(&format!("{path}/acknowledge"), &street_b, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.post(&format!("{path}/close"), &district, json!({"text": "已化解"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "closed before a report: {body}");

    let mediator = app.login("mediator").await;
    let (status, seen) = app.get(&format!("/api/v1/risk-lists/{}", list["id"]), &mediator).await;
    assert_eq!(status, StatusCode::OK, "the assigned unit reads the list: {seen}");
    let (status, after) = app.post(&format!("{path}/acknowledge"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(item_of(&after, &case["id"])["status"], "acknowledged");
    let (status, _) = app.post(&format!("{path}/acknowledge"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "once");
    let (status, body) = app.post(&format!("{path}/report"), &mediator, json!({"text": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "text");
    let report = "已上门走访，落实稳控措施，组织双方调解，工资分两期支付。";
    let (status, after) = app.post(&format!("{path}/report"), &mediator, json!({"text": report})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let reported = item_of(&after, &case["id"]);
    assert_eq!(reported["status"], "reported");
    assert_eq!(reported["events"][1]["text"], report);
    assert_eq!(reported["events"][1]["unit_id"], committee);

    // Closing is the issuing centre's: not the unit's, not another centre's.
    let (status, _) = app.post(&format!("{path}/close"), &mediator, json!({"text": "已化解"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let city = app.login("city").await;
    let (status, body) = app.post(&format!("{path}/close"), &city, json!({"text": "已化解"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let leader = app.login("leader").await;
    let (status, body) = app.post(&format!("{path}/close"), &leader, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, after) = app.post(&format!("{path}/close"), &leader, json!({"text": "经核实已化解，予以销号"})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let closed = item_of(&after, &case["id"]);
    assert_eq!(closed["status"], "closed");
    let actions: Vec<&str> =
        closed["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["acknowledge", "report", "close"]);
    let (status, _) = app.post(&format!("{path}/close"), &leader, json!({"text": "再次"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The pages: the centre and the assigned unit see the list, a unit with no item does not.
    let number = list["number"].as_str().unwrap().to_owned();
    for (name, sees) in [("district", true), ("mediator", true), ("labor", false)] {
        let cookie = format!("fq_session={}", ui_session(&app, name).await);
        let (status, html) = ui_get(&app, &cookie, "/risk-lists").await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(html.contains(&format!("data-list=\"{number}\"")), sees, "{name}: {html}");
        let (status, html) = ui_get(&app, &cookie, &format!("/risk-lists/{}", list["id"])).await;
        let expected = if sees { StatusCode::OK } else { StatusCode::FORBIDDEN };
        assert_eq!(status, expected, "{name}");
        if sees {
            assert!(html.contains("经核实已化解"), "{name}: the record shows");
        }
    }

    // An item not acknowledged by its deadline is flagged overdue.
    let other = app.register(&intake, red_case(2)).await;
    let (status, list) = app.post("/api/v1/risk-lists", &district, json!({"region": DISTRICT_A})).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    assert_eq!(item_of(&list, &other["id"])["overdue"], false);
    app.set_now("2026-11-25T09:00:00+08:00");
    let district = app.login("district").await;
    let (status, list) = app.get(&format!("/api/v1/risk-lists/{}", list["id"]), &district).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(item_of(&list, &other["id"])["overdue"], true, "{list}");
    assert_eq!(item_of(&list, &other["id"])["status"], "issued");
}

/// 退回: the issuing centre sends a reported item back with a reason (required, at most 2000
/// characters, refused field by field with nothing changed); the item waits on the unit again,
/// with the reason on its workbench and a new closing day (red: 5 working days from the send
/// back), climbing the ladder afresh when missed; the unit reports again and the centre closes.
/// The send back is in the list's history: `audit verify` names its reason edited by hand.
async fn the_centre_sends_a_report_back_and_the_unit_reports_again(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let case = app.register(&intake, red_case(11)).await;
    let (status, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": committee})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let (status, list) = app.post("/api/v1/risk-lists", &district, json!({"region": DISTRICT_A})).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let item = item_of(&list, &case["id"]).clone();
    assert_eq!(item["close_by"], "2026-11-30T23:59:59+08:00", "red: five working days to close");
    let path = format!("/api/v1/risk-lists/{}/items/{}", list["id"], item["id"]);
    let mediator = app.login("mediator").await;
    let leader = app.login("leader").await;
    let reason = "反馈未说明工资支付时间和稳控责任人，请补充落实。";

    // Not before a report; not by the unit or another centre; not without a reason.
    let (status, body) = app.post(&format!("{path}/send-back"), &leader, json!({"reason": reason})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) =
        app.post(&format!("{path}/report"), &mediator, json!({"text": "已上门走访，落实稳控措施。"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post(&format!("{path}/send-back"), &mediator, json!({"reason": reason})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the unit does not send back");
    let (status, _) = app.post(&format!("{path}/send-back"), &app.login("city").await, json!({"reason": reason})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another centre does not");
    for bad in [json!({}), json!({"reason": "   "}), json!({"reason": "理".repeat(2001)})] {
        let (status, body) = app.post(&format!("{path}/send-back"), &leader, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "reason", "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("理由"), "named in words: {body}");
    }
    let (_, seen) = app.get(&format!("/api/v1/risk-lists/{}", list["id"]), &leader).await;
    assert_eq!(item_of(&seen, &case["id"])["status"], "reported", "nothing changed");
    assert_eq!(item_of(&seen, &case["id"])["events"].as_array().unwrap().len(), 1);
    // The page keeps what was typed when it is refused.
    let leader_ui = ui_session(&app, "leader").await;
    let list_page = format!("/risk-lists/{}", list["id"]);
    let form_path = format!("/risk-lists/{}/items/{}/send-back", list["id"], item["id"]);
    let (status, _, html) =
        ui_answer(ui_submit(&app, &leader_ui, &list_page, &form_path, &[("reason", &"理".repeat(2001))]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&"理".repeat(2001)), "kept");
    assert!(html.contains("data-for=\"reason\">理由"), "the error beside the field");

    // Two working days later the centre sends it back: five working days again from today.
    app.set_now("2026-11-25T10:00:00+08:00");
    let leader = app.login("leader").await;
    let (status, after) = app.post(&format!("{path}/send-back"), &leader, json!({"reason": reason})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let back = item_of(&after, &case["id"]);
    assert_eq!(back["status"], "sent_back");
    assert_eq!(back["close_by"], "2026-12-02T23:59:59+08:00");
    assert_eq!(back["events"][1]["action"], "send_back");
    assert_eq!(back["events"][1]["text"], reason);
    let (status, _) = app.post(&format!("{path}/send-back"), &leader, json!({"reason": reason})).await;
    assert_eq!(status, StatusCode::CONFLICT, "once per report");
    let (status, _) = app.post(&format!("{path}/close"), &leader, json!({"text": "销号"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "not closed before a new report");

    // The unit sees it on its workbench with the reason, and on the list.
    let cookie = format!("fq_session={}", ui_session(&app, "mediator").await);
    let (status, html) = ui_get(&app, &cookie, "/workbench").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("data-risk-item=\"{}\" data-status=\"sent_back\"", item["id"])), "{html}");
    assert!(html.contains(reason), "{html}");
    let (_, html) = ui_get(&app, &cookie, &list_page).await;
    assert!(html.contains("data-role=\"sent-back\""), "{html}");

    // Missing the new closing day climbs the ladder afresh.
    app.set_now("2026-12-03T10:00:00+08:00");
    let (status, report) = app.post("/api/v1/supervision/sweep", &app.login("leader").await, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let keys = app
        .sql_texts(&format!("SELECT dedupe_key FROM notices WHERE dedupe_key LIKE 'risk_item:{}:%'", item["id"]))
        .await;
    assert!(!keys.is_empty() && keys.iter().all(|k| k.contains(":close-2:")), "{keys:?}");
    // The case page reads that notice in the reader's language.
    let cookie = format!("fq_session={}; fq_lang=en", ui_session(&app, "mediator").await);
    let (status, html) = ui_get(&app, &cookie, &format!("/cases/{}", case["id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(": not closed"), "{html}");
    assert!(!html.contains("未销号"), "{html}");

    let mediator = app.login("mediator").await;
    let leader = app.login("leader").await;
    let (status, after) =
        app.post(&format!("{path}/report"), &mediator, json!({"text": "工资12月5日前付清，专人稳控。"})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let (status, after) = app.post(&format!("{path}/close"), &leader, json!({"text": "经核实已化解，予以销号"})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let closed = item_of(&after, &case["id"]);
    let actions: Vec<&str> =
        closed["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "send_back", "report", "close"]);

    let clean = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&clean.stdout);
    assert!(clean.status.success(), "{out}");
    assert!(out.contains("checked 1 risk list(s), 5 event(s)"), "{out}");
    let sent_back_id = app
        .sql_texts(&format!(
            "SELECT CAST(id AS TEXT) FROM risk_item_events WHERE item_id = {} AND action = 'send_back'",
            item["id"]
        ))
        .await;
    app.sql("UPDATE risk_item_events SET text = '改过的理由' WHERE action = 'send_back'").await;
    let broken = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("feedback {} differs from what event 3 recorded", sent_back_id[0])), "{out}");
}

/// A list's life cycle leaves a history that `audit verify` vouches for; a feedback, an item or
/// an assignment edited in the database is named with its list.
async fn audit_verify_names_a_risk_list_row_edited_by_hand(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let case = app.register(&intake, red_case(7)).await;
    let (status, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": committee})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let (status, list) = app.post("/api/v1/risk-lists", &district, json!({"region": DISTRICT_A})).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let item = item_of(&list, &case["id"]).clone();
    let path = format!("/api/v1/risk-lists/{}/items/{}", list["id"], item["id"]);
    let mediator = app.login("mediator").await;
    let leader = app.login("leader").await;
    for (who, step, body) in [
        (&mediator, "acknowledge", json!({})),
        (&mediator, "report", json!({"text": "已上门走访，落实稳控措施。"})),
        (&leader, "close", json!({"text": "经核实已化解，予以销号"})),
    ] {
        let (status, after) = app.post(&format!("{path}/{step}"), who, body).await;
        assert_eq!(status, StatusCode::OK, "{step}: {after}");
    }
    let clean = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&clean.stdout);
    assert!(clean.status.success(), "{out}");
    assert!(out.contains("checked 1 risk list(s), 4 event(s)"), "issued, acknowledged, reported, closed: {out}");

    let number = list["number"].as_str().unwrap();
    let report_id = app
        .sql_texts(&format!(
            "SELECT CAST(id AS TEXT) FROM risk_item_events WHERE item_id = {} AND action = 'report'",
            item["id"]
        ))
        .await;
    app.sql("UPDATE risk_item_events SET text = '改过的反馈' WHERE action = 'report'").await;
    let broken = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("BROKEN risk list {number} (id {})", list["id"])), "{out}");
    assert!(out.contains(&format!("feedback {} differs from what event 3 recorded", report_id[0])), "{out}");

    app.sql(&format!("UPDATE risk_items SET status = 'issued' WHERE id = {}", item["id"])).await;
    app.sql(&format!("DELETE FROM risk_item_units WHERE item_id = {}", item["id"])).await;
    let out = String::from_utf8_lossy(&app.cli(&["audit", "verify"], None).stdout).into_owned();
    assert!(out.contains(&format!("item {} differs from what event 4 recorded", item["id"])), "{out}");
    assert!(
        out.contains(&format!("assignment (item/unit) {}/{committee}, recorded by event 1, is gone", item["id"])),
        "{out}"
    );
}

async fn lists_are_numbered_per_centre_and_refuse_bad_regions(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let district = app.login("district").await;
    let city = app.login("city").await;
    let intake = app.login("intake").await;
    for (region, field) in [("", "region"), ("abc", "region"), ("620103000000", "region")] {
        let (status, body) = app.post("/api/v1/risk-lists", &district, json!({"region": region})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{region}: {body}");
        assert_eq!(body["error"]["field"], field);
    }
    let (status, _) = app.post("/api/v1/risk-lists", &intake, json!({"region": DISTRICT_A})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, first) = app.post("/api/v1/risk-lists", &district, json!({"region": DISTRICT_A})).await;
    let (_, second) = app.post("/api/v1/risk-lists", &district, json!({"region": "620102002000"})).await;
    let (status, own) = app.post("/api/v1/risk-lists", &city, json!({"region": "620100000000"})).await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!([&first["number"], &second["number"], &own["number"]], ["2026-001", "2026-002", "2026-001"]);
    let (status, _) = app.get("/api/v1/risk-lists/999999", &district).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/api/v1/risk-lists/abc", &district).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (count_before,) = (app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM risk_lists").await,);
    let (status, _) = app.post("/api/v1/risk-lists", &district, json!({"region": 5})).await;
    assert!(status.is_client_error());
    assert_eq!(app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM risk_lists").await, count_before, "nothing changed");
}

async fn the_weekly_pass_issues_one_list_per_centre_and_week(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let intake = app.login("intake").await;
    let case = app.register(&intake, red_case(3)).await;
    jobs::run_once(&app.app, None).await;
    let weeks = app.sql_texts("SELECT DISTINCT week FROM risk_lists").await;
    assert_eq!(weeks, ["2026-W48"]);
    let centres = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM units WHERE kind = 'centre' AND active").await;
    let lists = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM risk_lists").await;
    assert_eq!(lists, centres, "one list per centre");
    jobs::run_once(&app.app, None).await;
    assert_eq!(app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM risk_lists").await, centres, "once a week");
    // The district centre's list names the red case.
    let district = app.login("district").await;
    let ids = app
        .sql_texts(&format!(
            "SELECT CAST(l.id AS TEXT) FROM risk_lists l JOIN units u ON u.id = l.unit_id WHERE u.region_code = '{DISTRICT_A}' AND u.kind = 'centre'"
        ))
        .await;
    let (status, list) = app.get(&format!("/api/v1/risk-lists/{}", ids[0]), &district).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["week"], "2026-W48");
    item_of(&list, &case["id"]);
    app.set_now("2026-11-30T09:00:00+08:00");
    jobs::run_once(&app.app, None).await;
    assert_eq!(app.sql_texts("SELECT DISTINCT week FROM risk_lists ORDER BY week").await, ["2026-W48", "2026-W49"]);
}

async fn the_register_of_people_is_the_centres_and_every_read_is_recorded(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let intake = app.login("intake").await;
    let city = app.login("city").await;
    let person = id_number("620102", "19700101", 21);
    let mut ids = Vec::new();
    for phone in ["13900000021", "13900000022"] {
        let mut body = registration(&person, phone);
        body["description"] = json!("邻居装修噪音扰民，多次协商未果。");
        body["parties"][1] = json!({"role": "respondent", "kind": "person", "name": "王五"});
        ids.push(app.register(&intake, body).await["id"].clone());
    }
    let red = app.register(&intake, red_case(4)).await;
    let (status, body) = app.get("/api/v1/people/risk?colour=red", &city).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert!(items.iter().all(|p| p["colour"] == "red"), "{body}");
    let threatening = items.iter().find(|p| p["case_ids"] == json!([red["id"]])).expect("the person of the red case");
    assert!(threatening["reasons"][0].as_str().unwrap().contains("红色"), "{threatening}");
    assert!(!threatening["name_masked"].as_str().unwrap().contains("李四"), "masked");
    let (_, all) = app.get("/api/v1/people/risk", &city).await;
    let repeat = all["items"].as_array().unwrap().iter().find(|p| p["case_ids"] == json!(ids)).expect("two disputes");
    assert_eq!(repeat["colour"], "yellow");
    assert!(repeat["reasons"][0].as_str().unwrap().contains("2 件"), "{repeat}");
    let key = repeat["person_key"].as_str().unwrap();
    assert!(key.len() >= 32 && key.chars().all(|c| c.is_ascii_hexdigit()), "a blind index, not the ID number: {key}");
    assert!(!all.to_string().contains(&person), "never plaintext");

    for name in ["intake", "labor", "mediator", "grid"] {
        let token = app.login(name).await;
        let (status, _) = app.get("/api/v1/people/risk", &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
    }
    let (status, body) = app.get("/api/v1/people/risk?colour=purple", &city).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "colour");
    let reads = app.sql_texts("SELECT COALESCE(colour, 'all') FROM people_register_reads ORDER BY id").await;
    assert_eq!(reads, ["red", "all"], "every read is recorded, refusals are not reads");
}
