//! The closed loop: every status through the API with the demo roles, the official calendar,
//! the four clocks, and the supervision ladder under a controlled clock, with two nodes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(
    every_status_and_every_refusal,
    the_calendar_api_and_its_administration,
    deadlines_follow_the_calendar_and_explain_themselves,
    each_notice_is_issued_once_at_its_time_on_two_nodes,
    notices_are_acknowledged_replied_and_counted,
    an_order_by_hand_comes_from_a_leader_or_a_centre_above_and_awaits_a_reply,
);

/// Runs steps `(user, step, expected status code, expected case status)` on one case.
async fn walk(app: &TestApp, case: &mut Value, steps: &[(&str, Value, StatusCode, &str)]) {
    for (user, step, code, expected) in steps {
        let token = app.login(user).await;
        let (status, body) = app.act(&token, case, step.clone()).await;
        assert_eq!(status, *code, "{user} {step}: {body}");
        if status == StatusCode::OK {
            *case = body;
        } else {
            let (_, now) = app.get(&format!("/api/v1/cases/{}", case["id"]), &app.login("city").await).await;
            assert_eq!(now["version"], case["version"], "a refused step changes nothing");
        }
        assert_eq!(case["status"], *expected, "{user} {step}");
    }
}

async fn every_status_and_every_refusal(app: TestApp) {
    let intake = app.login("intake").await;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let labour = app.unit_id("城关区劳动人事争议调解中心").await;
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    const OK: StatusCode = StatusCode::OK;
    const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;
    const CONFLICT: StatusCode = StatusCode::CONFLICT;
    let mut case = app.register(&intake, registration(&id_number("620102", "19800101", 11), "13912345678")).await;
    walk(
        &app,
        &mut case,
        &[
            ("grid", json!({"action": "accept"}), FORBIDDEN, "registered"),
            ("intake", json!({"action": "sign"}), FORBIDDEN, "registered"),
            ("intake", json!({"action": "contact"}), OK, "registered"),
            ("intake", json!({"action": "accept"}), OK, "accepted"),
            ("intake", json!({"action": "accept"}), CONFLICT, "accepted"),
            ("district", json!({"action": "conclude", "outcome": "resolved", "summary": "x"}), FORBIDDEN, "accepted"),
            ("district", json!({"action": "dispatch", "unit_id": a1, "assist_unit_ids": [labour]}), OK, "dispatched"),
            ("labor", json!({"action": "sign"}), FORBIDDEN, "dispatched"),
            ("street_a", json!({"action": "conclude", "outcome": "resolved", "summary": "x"}), CONFLICT, "dispatched"),
            ("street_a", json!({"action": "return", "reason": "属劳动争议，应由劳动部门牵头"}), OK, "accepted"),
            ("district", json!({"action": "dispatch", "unit_id": labour}), OK, "dispatched"),
            ("labor", json!({"action": "sign"}), OK, "in_progress"),
            ("labor", json!({"action": "sign"}), CONFLICT, "in_progress"),
            (
                "district",
                json!({"action": "transfer", "unit_id": committee, "reason": "当事人申请人民调解"}),
                OK,
                "dispatched",
            ),
            ("mediator", json!({"action": "sign"}), OK, "in_progress"),
            ("district", json!({"action": "extend", "working_days": 5, "reason": "需鉴定工伤等级"}), OK, "in_progress"),
            ("mediator", json!({"action": "extend", "working_days": 5, "reason": "x"}), FORBIDDEN, "in_progress"),
            (
                "mediator",
                json!({"action": "conclude", "outcome": "resolved", "summary": "达成调解协议"}),
                OK,
                "concluded",
            ),
            ("district", json!({"action": "archive"}), CONFLICT, "concluded"),
            ("mediator", json!({"action": "follow_up", "satisfaction": "satisfied"}), FORBIDDEN, "concluded"),
            (
                "district",
                json!({"action": "follow_up", "satisfaction": "dissatisfied", "note": "对方未按期付款"}),
                OK,
                "in_progress",
            ),
            ("mediator", json!({"action": "conclude", "outcome": "resolved", "summary": "已付清"}), OK, "concluded"),
            ("district", json!({"action": "follow_up", "satisfaction": "basically_satisfied"}), OK, "followed_up"),
            ("intake", json!({"action": "archive"}), FORBIDDEN, "followed_up"),
            ("district", json!({"action": "archive"}), OK, "archived"),
            ("district", json!({"action": "reopen", "reason": "x"}), CONFLICT, "archived"),
        ],
    )
    .await;
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &intake).await;
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "dispatch").count(), 2);
    assert!(actions.contains(&"return") && actions.contains(&"transfer") && actions.contains(&"extend"));
    let reopened = events.as_array().unwrap().iter().find(|e| e["action"] == "follow_up").unwrap();
    assert_eq!(reopened["data"]["reopened"], true);

    // Rejection, escalation to the city, and withdrawal straight to archive.
    let mut rejected = app.register(&intake, registration(&id_number("620102", "19800101", 12), "13912345678")).await;
    walk(
        &app,
        &mut rejected,
        &[
            ("intake", json!({"action": "reject", "reason": "属于刑事案件，已移交公安"}), OK, "rejected"),
            ("district", json!({"action": "archive"}), OK, "archived"),
        ],
    )
    .await;
    let mut escalated = app.register(&intake, registration(&id_number("620102", "19800101", 13), "13912345678")).await;
    walk(
        &app,
        &mut escalated,
        &[
            ("district", json!({"action": "escalate", "reason": "涉及多区县"}), OK, "accepted"),
            ("city", json!({"action": "escalate", "reason": "x"}), CONFLICT, "accepted"),
            ("city", json!({"action": "dispatch", "unit_id": a1}), OK, "dispatched"),
            ("street_a", json!({"action": "sign"}), OK, "in_progress"),
            (
                "street_a",
                json!({"action": "conclude", "outcome": "withdrawn", "summary": "申请人撤回"}),
                OK,
                "concluded",
            ),
            ("city", json!({"action": "archive"}), OK, "archived"),
        ],
    )
    .await;
    // The route suggested at intake: the labour mediation centre leads (sector), the community
    // centre assists (territory) — and the escalation moved the case, not the suggestion.
    assert_eq!(
        (escalated["routing"]["unit_id"].as_i64(), escalated["routing"]["joint"].as_bool()),
        (Some(labour), Some(true))
    );
    assert_eq!(escalated["routing"]["rules"], json!(["territory", "sector:lead", "sector:assist"]), "人社局 assists");
}

async fn the_calendar_api_and_its_administration(app: TestApp) {
    let (status, days) = app.call(Method::GET, "/api/v1/calendar/days?from=2026-09-30&to=2026-10-11", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let days = days.as_array().unwrap();
    assert_eq!(days.len(), 12);
    assert_eq!(
        days[0],
        json!({"date": "2026-09-30", "workday": true, "holiday": null, "adjusted": false, "official": true})
    );
    assert_eq!((days[1]["workday"].as_bool(), days[1]["holiday"].as_str()), (Some(false), Some("国庆节")));
    assert_eq!(
        (days[10]["date"].as_str(), days[10]["workday"].as_bool(), days[10]["adjusted"].as_bool()),
        (Some("2026-10-10"), Some(true), Some(true))
    );
    assert_eq!(days[11]["workday"], false);

    let (_, r) = app.call(Method::GET, "/api/v1/calendar/add-working-days?from=2025-09-26&days=5", None, None).await;
    assert_eq!(r["date"], "2025-10-10");
    let (_, r) = app.call(Method::GET, "/api/v1/calendar/add-working-days?from=2026-12-28&days=10", None, None).await;
    assert_eq!(r["provisional"], true, "2027 has no calendar yet: {r}");
    for (query, field) in
        [("from=2026-13-01&to=2026-12-01", "from"), ("from=2026-01-01&to=2025-01-01", "to"), ("from=2026-01-01", "to")]
    {
        let (status, error) = app.call(Method::GET, &format!("/api/v1/calendar/days?{query}"), None, None).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{query}"
        );
    }
    let (status, error) =
        app.call(Method::GET, "/api/v1/calendar/add-working-days?from=2026-01-01&days=-3", None, None).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("days")));

    // An administrator loads 2027; nobody else may; a bad year is refused and changes nothing.
    let year_2027 = json!({"year": 2027, "source": "测试用", "holidays": [
        {"name": "元旦", "rest": ["2027-01-01", "2027-01-03"], "work": []},
        {"name": "春节", "rest": ["2027-02-05", "2027-02-13"], "work": ["2027-01-31", "2027-02-20"]}
    ]});
    let (status, _) = app
        .call(Method::PUT, "/api/v1/calendar/years/2027", Some(&app.login("district").await), Some(year_2027.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.login("admin").await;
    let mut bad = year_2027.clone();
    bad["holidays"][1]["work"] = json!(["2027-02-07"]);
    let (status, error) = app.call(Method::PUT, "/api/v1/calendar/years/2027", Some(&admin), Some(bad)).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("holidays[1].work[0]")),
        "{error}"
    );
    let (status, error) =
        app.call(Method::PUT, "/api/v1/calendar/years/2028", Some(&admin), Some(year_2027.clone())).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("year")));
    let (status, body) = app.call(Method::PUT, "/api/v1/calendar/years/2027", Some(&admin), Some(year_2027)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, r) = app.call(Method::GET, "/api/v1/calendar/add-working-days?from=2026-12-28&days=10", None, None).await;
    assert_eq!((r["provisional"].as_bool(), r["date"].as_str()), (Some(false), Some("2027-01-12")), "{r}");
    let (_, years) = app.call(Method::GET, "/api/v1/calendar/years", None, None).await;
    let loaded: Vec<i64> = years.as_array().unwrap().iter().map(|y| y["year"].as_i64().unwrap()).collect();
    assert_eq!(loaded, [2024, 2025, 2026, 2027]);

    // The same through the command line.
    let file = app.data_dir.join("2028.json");
    std::fs::write(
        &file,
        json!({"year": 2028, "holidays": [{"name": "元旦", "rest": ["2028-01-01", "2028-01-03"]}]}).to_string(),
    )
    .unwrap();
    let out = app.cli(&["calendar", "import", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, day) = app.call(Method::GET, "/api/v1/calendar/days?from=2028-01-03&to=2028-01-03", None, None).await;
    assert_eq!(day[0]["holiday"], "元旦");
}

async fn deadlines_follow_the_calendar_and_explain_themselves(app: TestApp) {
    app.set_now("2026-09-30T10:00:00+08:00");
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 21), "13912345678")).await;
    assert_eq!(case["deadlines"]["respond_by"], "2026-09-30T10:30:00+08:00");
    assert_eq!(case["deadlines"]["dispatch_by"], "2026-10-01T10:00:00+08:00");
    assert_eq!(case["deadlines"]["conclude_by"], Value::Null);
    let (_, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": a1})).await;
    assert_eq!(
        case["deadlines"]["conclude_by"], "2026-10-13T23:59:59+08:00",
        "5 working days over the National Day holiday"
    );
    let (_, clocks) = app.get(&format!("/api/v1/cases/{}/deadlines", case["id"]), &district).await;
    let conclude = clocks.as_array().unwrap().iter().find(|c| c["clock"] == "conclude").unwrap();
    assert_eq!(conclude["state"], "running");
    let why = conclude["explanation"].as_str().unwrap();
    assert!(why.contains("10-01…10-07 国庆节放假") && why.contains("10-10 调休上班"), "{why}");
    let respond = clocks.as_array().unwrap().iter().find(|c| c["clock"] == "respond").unwrap();
    assert_eq!(respond["state"], "running", "no contact recorded yet");

    // An extension adds working days; the reason and approver are in the history.
    let (_, case) =
        app.act(&district, &case, json!({"action": "extend", "working_days": 2, "reason": "等待鉴定"})).await;
    assert_eq!(case["deadlines"]["conclude_by"], "2026-10-15T23:59:59+08:00");

    // A policy for labour cases: 3 working days; open deadlines are recomputed at once.
    let admin = app.login("admin").await;
    let policies = json!([{"category": "labor", "channel": null, "risk": null, "respond_minutes": 30, "dispatch_hours": 24, "conclude_working_days": 3, "follow_up_working_days": 10, "reminder_percent": 80, "order_after_working_days": 2}]);
    let (status, body) = app.call(Method::PUT, "/api/v1/clock-policies", Some(&admin), Some(policies)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["recomputed_cases"].as_i64().unwrap() >= 1);
    let (_, case) = app.get(&format!("/api/v1/cases/{}", case["id"]), &district).await;
    assert_eq!(case["deadlines"]["conclude_by"], "2026-10-13T23:59:59+08:00", "3 + 2 working days");
    let (status, error) = app.call(Method::PUT, "/api/v1/clock-policies", Some(&admin), Some(json!([{"respond_minutes": 0, "dispatch_hours": 24, "conclude_working_days": 3, "follow_up_working_days": 10, "reminder_percent": 80, "order_after_working_days": 2}]))).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("[0].respond_minutes"))
    );

    // A deadline running into a year without a calendar is flagged provisional.
    app.set_now("2026-12-25T10:00:00+08:00");
    let (intake, district) = (app.login("intake").await, app.login("district").await);
    let mut body = registration(&id_number("620102", "19800101", 22), "13912345679");
    body["category"] = json!("neighbor");
    let late = app.register(&intake, body).await;
    let (_, late) = app.act(&district, &late, json!({"action": "dispatch", "unit_id": a1})).await;
    let (_, clocks) = app.get(&format!("/api/v1/cases/{}/deadlines", late["id"]), &district).await;
    let conclude = clocks.as_array().unwrap().iter().find(|c| c["clock"] == "conclude").unwrap();
    assert_eq!(conclude["provisional"], true, "{conclude}");
}

async fn sweep(app: &TestApp, at: &str) -> Value {
    app.set_now(at);
    let (status, report) = app.post("/api/v1/supervision/sweep", &app.login("leader").await, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

async fn notices_of(app: &TestApp, case: &Value) -> Vec<Value> {
    let (_, list) = app.get(&format!("/api/v1/notices?case_id={}", case["id"]), &app.login("district").await).await;
    let mut list = list.as_array().unwrap().clone();
    list.reverse();
    list
}

/// A case dispatched Monday 2026-11-16 10:00 to street A1: the conclude clock falls due at the
/// end of Monday 11-23. The reminder (80 %) falls on Sunday → delivered Monday 09:00; the
/// warning at midnight → Tuesday 09:00; the order two working days later → Thursday 09:00.
async fn each_notice_is_issued_once_at_its_time_on_two_nodes(app: TestApp) {
    app.set_now("2026-11-16T09:00:00+08:00");
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let street_a = app.login("street_a").await;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let district_centre = app.unit_id("城关区社会治安综合治理中心").await;
    let city_centre = app.unit_id("兰州市社会治安综合治理中心").await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 31), "13912345678")).await;
    app.set_now("2026-11-16T09:05:00+08:00");
    let (_, case) = app.act(&intake, &case, json!({"action": "contact"})).await;
    app.set_now("2026-11-16T10:00:00+08:00");
    let (_, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": a1})).await;
    app.set_now("2026-11-16T10:30:00+08:00");
    let (_, case) = app.act(&street_a, &case, json!({"action": "sign"})).await;

    assert_eq!(sweep(&app, "2026-11-20T12:00:00+08:00").await["notices_issued"], 0);
    assert_eq!(
        sweep(&app, "2026-11-23T08:59:00+08:00").await["notices_issued"],
        0,
        "the reminder waits for office hours"
    );
    assert_eq!(sweep(&app, "2026-11-23T09:00:00+08:00").await["notices_issued"], 1);
    assert_eq!(sweep(&app, "2026-11-23T09:01:00+08:00").await["notices_issued"], 0, "never twice");
    let notices = notices_of(&app, &case).await;
    assert_eq!(notices.len(), 1);
    assert_eq!((notices[0]["kind"].as_str(), notices[0]["clock"].as_str()), (Some("reminder"), Some("conclude")));
    assert_eq!(notices[0]["unit_id"], a1);
    assert!(notices[0]["number"].as_str().unwrap().starts_with("提醒函〔2026〕"));
    assert_eq!(notices[0]["due_at"], "2026-11-23T23:59:59+08:00");

    // Due soon and overdue work lists of the unit.
    app.set_now("2026-11-23T12:00:00+08:00");
    let street_a = app.login("street_a").await;
    let (_, due_soon) = app.get("/api/v1/work/due-soon?hours=24", &street_a).await;
    assert_eq!(due_soon["total"], 1, "{due_soon}");
    let (_, overdue) = app.get("/api/v1/work/overdue", &street_a).await;
    assert_eq!(overdue["total"], 0);

    assert_eq!(sweep(&app, "2026-11-24T09:30:00+08:00").await["notices_issued"], 1);
    let warning = notices_of(&app, &case).await.pop().unwrap();
    assert_eq!(
        (warning["kind"].as_str(), warning["unit_id"].as_i64(), warning["cc_unit_id"].as_i64()),
        (Some("warning"), Some(a1), Some(district_centre))
    );
    let street_a = app.login("street_a").await;
    let (_, overdue) = app.get("/api/v1/work/overdue", &street_a).await;
    assert_eq!(overdue["total"], 1);
    assert_eq!(overdue["items"][0]["id"], case["id"]);

    // Two nodes sweep at the same moment: the order is issued once.
    let other = app.second_node().await;
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T09:00:00+08:00").unwrap().with_timezone(&chrono::Utc);
    let (a, b) = tokio::join!(app.store.supervision_sweep("node-a", at), other.supervision_sweep("node-b", at));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.notices_issued + b.notices_issued, 1, "{a:?} {b:?}");
    let (a, b) = tokio::join!(app.store.supervision_sweep("node-a", at), other.supervision_sweep("node-b", at));
    assert_eq!(a.unwrap().notices_issued + b.unwrap().notices_issued, 0);
    let order = notices_of(&app, &case).await.pop().unwrap();
    assert_eq!(
        (order["kind"].as_str(), order["unit_id"].as_i64(), order["issuer_unit_id"].as_i64()),
        (Some("order"), Some(a1), Some(city_centre))
    );
    assert!(order["number"].as_str().unwrap().starts_with("督办令〔2026〕"));

    // Each notice is in the case history.
    let district = app.login("district").await;
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &district).await;
    assert_eq!(events.as_array().unwrap().iter().filter(|e| e["action"] == "notice_issued").count(), 3);

    // After downtime the scheduler catches up one rung at a time: a case nobody swept for
    // weeks gets the order of each clock — not a reminder, a warning and an order in the same
    // minute — and the order says which notices it stands for.
    app.set_now("2026-11-16T09:00:00+08:00");
    let late = app.register(&intake, registration(&id_number("620102", "19800101", 32), "13912345679")).await;
    let report = sweep(&app, "2026-12-21T10:00:00+08:00").await;
    let notices = notices_of(&app, &late).await;
    let mut kinds: Vec<String> =
        notices.iter().map(|n| format!("{}:{}", n["clock"].as_str().unwrap(), n["kind"].as_str().unwrap())).collect();
    kinds.sort();
    assert_eq!(kinds, ["dispatch:order", "respond:order"], "{report}");
    assert!(notices.iter().all(|n| n["text"].as_str().unwrap().contains("提醒函、预警单已并入本文书")), "{notices:?}");
    assert_eq!(sweep(&app, "2026-12-21T10:05:00+08:00").await["notices_issued"], 0);
}

async fn notices_are_acknowledged_replied_and_counted(app: TestApp) {
    app.set_now("2026-11-16T09:00:00+08:00");
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let street_a = app.login("street_a").await;
    let leader = app.login("leader").await;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 41), "13912345678")).await;
    let (_, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": a1})).await;

    // By hand: leaders and the centres above the unit, not the unit itself.
    let (status, _) = app
        .post(
            &format!("/api/v1/cases/{}/notices", case["id"]),
            &street_a,
            json!({"kind": "order", "text": "请立即办理"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, error) = app
        .post(&format!("/api/v1/cases/{}/notices", case["id"]), &leader, json!({"kind": "summons", "text": "x"}))
        .await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")));
    let (status, order) = app
        .post(
            &format!("/api/v1/cases/{}/notices", case["id"]),
            &leader,
            json!({"kind": "order", "text": "该案群众反映强烈，请于三日内办结并书面回复。"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!((order["unit_id"].as_i64(), order["manual"].as_bool()), (Some(a1), Some(true)));

    let (_, waiting) = app.get("/api/v1/work/notices", &street_a).await;
    assert_eq!(waiting.as_array().unwrap().len(), 1);
    let path = format!("/api/v1/notices/{}", order["id"]);
    let (status, _) = app.post(&format!("{path}/reply"), &district, json!({"text": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the recipient replies");
    let (status, _) = app.post(&format!("{path}/reply"), &app.login("street_b").await, json!({"text": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another district does not even see it");
    let (status, acknowledged) = app.post(&format!("{path}/acknowledge"), &street_a, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(acknowledged["acknowledged_at"].is_string());
    let (status, error) = app.post(&format!("{path}/reply"), &street_a, json!({"text": ""})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("text")));
    let (status, replied) =
        app.post(&format!("{path}/reply"), &street_a, json!({"text": "已约谈双方，拟于周五前办结。"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replied["reply"], "已约谈双方，拟于周五前办结。");
    let (status, _) = app.post(&format!("{path}/reply"), &street_a, json!({"text": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, waiting) = app.get("/api/v1/work/notices", &street_a).await;
    assert_eq!(waiting.as_array().unwrap().len(), 0);

    let (_, counts) = app.get("/api/v1/notices/counts", &leader).await;
    let a1_count = counts.as_array().unwrap().iter().find(|c| c["unit_id"] == a1).unwrap();
    assert_eq!((a1_count["order"].as_i64(), a1_count["awaiting_reply"].as_i64()), (Some(1), Some(0)));
    let (_, open) = app.get("/api/v1/work/open", &street_a).await;
    assert_eq!(open["total"], 1);
    let (status, _) = app.get("/api/v1/work/nonsense", &street_a).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// 人工督办: a leader, or a dispatcher of a centre above the unit responsible, issues an order
/// with a reason and the working days for the reply, from the API and from the case page; it
/// reaches the unit's notices marked as issued by hand, enters the history, and awaits a reply.
/// The unit itself, a dispatcher of the centre holding the case and bad input are refused.
async fn an_order_by_hand_comes_from_a_leader_or_a_centre_above_and_awaits_a_reply(app: TestApp) {
    app.set_now("2026-09-30T15:00:00+08:00");
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let street_a = app.login("street_a").await;
    let leader = app.login("leader").await;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let held = app.register(&intake, registration(&id_number("620102", "19800101", 42), "13912345678")).await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 43), "13912345679")).await;
    let (_, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": a1})).await;
    let path = format!("/api/v1/cases/{}/notices", case["id"]);

    // Bad input changes nothing, and names each field in words.
    let (status, error) = app.post(&path, &leader, json!({"text": " ", "working_days": 0})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let fields = error["error"]["fields"].to_string();
    assert!(fields.contains("内容") && fields.contains("工作日"), "each field in words: {fields}");
    // The unit itself may not; nor the district's dispatcher on a case their own centre holds.
    let (status, error) = app.post(&path, &street_a, json!({"text": "请立即办理"})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{error}");
    let held_path = format!("/api/v1/cases/{}/notices", held["id"]);
    let (status, error) = app.post(&held_path, &district, json!({"text": "请立即办理"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("上级中心"), "{error}");
    let (status, _) = app.post(&path, &app.login("street_b").await, json!({"text": "请立即办理"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a handler of another district: the role");
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &leader).await;
    assert!(events.as_array().unwrap().iter().all(|e| e["action"] != "notice_issued"), "nothing changed");

    // The district's dispatcher: the centre above street A1. A 督办令 by default, due after
    // three working days across the National Day holiday (10-08, 10-09, Saturday 10-10).
    let (status, order) = app.post(&path, &district, json!({"text": "群众多次来电，请于三个工作日内书面回复。"})).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(
        (order["kind"].as_str(), order["unit_id"].as_i64(), order["manual"].as_bool()),
        (Some("order"), Some(a1), Some(true))
    );
    assert_eq!(order["due_at"], "2026-10-10T23:59:59+08:00");
    assert_eq!(order["issued_by_name"].as_str().map(|n| !n.is_empty()), Some(true), "{order}");
    let (status, by_leader) = app.post(&path, &leader, json!({"text": "请加快办理", "working_days": 5})).await;
    assert_eq!(status, StatusCode::CREATED, "{by_leader}");
    assert_eq!(by_leader["due_at"], "2026-10-13T23:59:59+08:00");

    // It reaches the unit like the ladder's, awaiting a written reply; it is in the history.
    let (_, waiting) = app.get("/api/v1/work/notices", &street_a).await;
    assert_eq!(waiting.as_array().unwrap().len(), 2, "{waiting}");
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &leader).await;
    let issued: Vec<&Value> = events.as_array().unwrap().iter().filter(|e| e["action"] == "notice_issued").collect();
    assert_eq!(issued.len(), 2);
    assert_eq!((issued[0]["data"]["manual"].as_bool(), issued[0]["actor"].as_str()), (Some(true), Some("district")));
    assert_eq!(issued[0]["data"]["reason"], "群众多次来电，请于三个工作日内书面回复。");
    let (status, replied) =
        app.post(&format!("/api/v1/notices/{}/reply", order["id"]), &street_a, json!({"text": "已约谈双方。"})).await;
    assert_eq!(status, StatusCode::OK, "{replied}");

    // From the case page: a refused form comes back as typed, with the error beside its field.
    let session = crate::support::ui_session(&app, "leader").await;
    let cookies = format!("fq_session={session}");
    let page = format!("/cases/{}", case["id"]);
    let (_, html) = crate::support::ui_get(&app, &cookies, &page).await;
    assert!(html.contains(r#"data-action="order""#) && html.contains("人工督办"), "the form and the marks");
    let csrf = html.split("name=\"_csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    let post = |fields: Vec<(&'static str, String)>| {
        let mut form = vec![("_csrf", csrf.clone())];
        form.extend(fields);
        crate::support::browser()
            .post(format!("{}{page}/notices", app.base))
            .header("cookie", cookies.clone())
            .form(&form)
            .send()
    };
    let refused = post(vec![("text", "请尽快".into()), ("working_days", "99".into())]).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains(">请尽快</textarea>") && html.contains(r#"value="99""#), "kept as typed");
    assert!(html.contains("必须是 1 到 30 之间的整数"), "the error in words");
    let issued = post(vec![("text", "请于周五前办结".into()), ("working_days", "2".into())]).await.unwrap();
    assert_eq!(issued.status(), StatusCode::SEE_OTHER);
    let (_, waiting) = app.get("/api/v1/work/notices", &street_a).await;
    assert_eq!(waiting.as_array().unwrap().len(), 2, "one replied, two awaiting");
    let (_, html) = crate::support::ui_get(
        &app,
        &format!("fq_session={}", crate::support::ui_session(&app, "street_a").await),
        "/notices",
    )
    .await;
    assert!(html.contains("请于周五前办结") && html.contains("人工督办"), "the unit's notices show it");
    // The form is offered only where the policy allows it: the district's dispatcher on the
    // case street A1 handles, not on the one their own centre holds; the unit never.
    let offered = |user: &'static str, case: Value| {
        let app = &app;
        async move {
            let cookies = format!("fq_session={}", crate::support::ui_session(app, user).await);
            let (_, html) = crate::support::ui_get(app, &cookies, &format!("/cases/{}", case["id"])).await;
            html.contains(r#"data-action="order""#)
        }
    };
    assert!(offered("district", case.clone()).await);
    assert!(!offered("district", held.clone()).await);
    assert!(!offered("street_a", case.clone()).await);
}
