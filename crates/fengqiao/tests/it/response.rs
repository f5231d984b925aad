//! Issue 16's answers to a risk on the real database: a list item not acknowledged or not
//! closed in time, and a task force's milestone not done, climb the supervision ladder once
//! per rung, on two nodes; a red case is referred to the police station of its street, which
//! acknowledges and answers, and the referral counts as 防止民转刑 or 民转刑; a leader forms a
//! case's task force with the 五定 and finds it on their own list.

use domain::ids::UnitId;
use domain::org::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(
    a_list_item_not_acknowledged_or_not_closed_climbs_the_ladder_once_per_rung,
    a_red_case_goes_to_the_police_of_its_street_and_counts_as_prevented_or_criminal,
    a_leader_forms_a_task_force_and_its_late_milestone_climbs_the_ladder,
);

const POLICE_STATION: &str = "兰州市公安局城关分局张掖路派出所";

/// A red wage dispute (a threat to jump) of person `seq`, registered by intake and dispatched
/// to street A1's mediation committee, signed for by its mediator.
async fn red_case_at_the_committee(app: &TestApp, seq: u32) -> Value {
    let mut body = registration(&id_number("620102", "19850101", seq), &format!("1390000{seq:04}"));
    body["description"] = json!("讨薪无门，他说再不给钱就从工地楼顶跳下去。");
    let case = app.register(&app.login("intake").await, body).await;
    assert_eq!(case["risk"], "red", "{case}");
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    let (status, case) =
        app.act(&app.login("district").await, &case, json!({"action": "dispatch", "unit_id": committee})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let (status, case) = app.act(&app.login("mediator").await, &case, json!({"action": "sign"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    case
}

/// The ladder's notices on work that is not a case clock: `kind:recipient` in order.
async fn late_work_notices(app: &TestApp, prefix: &str) -> Vec<String> {
    app.sql_texts(&format!(
        "SELECT kind || ':' || CAST(unit_id AS TEXT) FROM notices WHERE dedupe_key LIKE '{prefix}%' ORDER BY id"
    ))
    .await
}

async fn sweep(app: &TestApp, at: &str) {
    app.set_now(at);
    let (status, report) = app.post("/api/v1/supervision/sweep", &app.login("leader").await, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
}

async fn police_user(app: &TestApp) -> String {
    let station = app.unit_id(POLICE_STATION).await;
    app.store
        .user_create("police", "张掖路派出所民警", Role::Handler, UnitId(station), "fengqiao-demo", chrono::Utc::now())
        .await
        .unwrap();
    app.login("police").await
}

/// Issued Monday 11-23: the red item is to be acknowledged by the end of Tuesday 11-24 and
/// closed by the end of Monday 11-30 (five working days).
async fn a_list_item_not_acknowledged_or_not_closed_climbs_the_ladder_once_per_rung(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let case = red_case_at_the_committee(&app, 1).await;
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    let district = app.login("district").await;
    let (status, list) = app.post("/api/v1/risk-lists", &district, json!({"region": "620102000000"})).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let item = list["items"].as_array().unwrap().iter().find(|i| i["case_ids"] == json!([case["id"]])).unwrap();
    let prefix = format!("risk_item:{}:", item["id"]);

    sweep(&app, "2026-11-24T18:00:00+08:00").await;
    assert!(late_work_notices(&app, &prefix).await.is_empty(), "not late yet");
    sweep(&app, "2026-11-25T09:00:00+08:00").await;
    assert_eq!(late_work_notices(&app, &prefix).await, [format!("warning:{committee}")]);
    sweep(&app, "2026-11-25T09:01:00+08:00").await;
    assert_eq!(late_work_notices(&app, &prefix).await.len(), 1, "never twice");

    // Two working days after, the order — once, though two nodes sweep at the same moment.
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00").unwrap().with_timezone(&chrono::Utc);
    let other = app.second_node().await;
    let (a, b) = tokio::join!(app.store.supervision_sweep("node-a", at), other.supervision_sweep("node-b", at));
    a.unwrap();
    b.unwrap();
    let (a, b) = tokio::join!(app.store.supervision_sweep("node-a", at), other.supervision_sweep("node-b", at));
    a.unwrap();
    b.unwrap();
    assert_eq!(late_work_notices(&app, &prefix).await, [format!("warning:{committee}"), format!("order:{committee}")]);
    let texts = app.sql_texts(&format!("SELECT text FROM notices WHERE dedupe_key LIKE '{prefix}%' ORDER BY id")).await;
    assert!(
        texts[1].contains(&format!("风险隐患清单 {} 第 1 项未签收", list["number"].as_str().unwrap())),
        "{texts:?}"
    );
    let (status, history) =
        app.get(&format!("/api/v1/cases/{}/events", case["id"]), &app.login("district").await).await;
    assert!(
        history
            .as_array()
            .unwrap_or_else(|| panic!("{status} {history}"))
            .iter()
            .any(|e| e["action"] == "notice_issued"),
        "{history}"
    );

    // Acknowledged and reported but not closed by Monday 11-30: the closing stage's warning.
    let mediator = app.login("mediator").await;
    let path = format!("/api/v1/risk-lists/{}/items/{}", list["id"], item["id"]);
    let (status, _) = app.post(&format!("{path}/report"), &mediator, json!({"text": "已上门稳控"})).await;
    assert_eq!(status, StatusCode::OK);
    sweep(&app, "2026-12-01T09:00:00+08:00").await;
    let close = late_work_notices(&app, &format!("{prefix}close:")).await;
    assert_eq!(close, [format!("warning:{committee}")]);
    // Closed: nothing more.
    let (status, _) = app.post(&format!("{path}/close"), &app.login("district").await, json!({"text": "已化解"})).await;
    assert_eq!(status, StatusCode::OK);
    sweep(&app, "2026-12-10T09:00:00+08:00").await;
    assert_eq!(late_work_notices(&app, &prefix).await.len(), 3);
}

async fn a_red_case_goes_to_the_police_of_its_street_and_counts_as_prevented_or_criminal(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let case = red_case_at_the_committee(&app, 2).await;
    let station = app.unit_id(POLICE_STATION).await;
    let mediator = app.login("mediator").await;
    let police = police_user(&app).await;
    let refer = format!("/api/v1/cases/{}/police-referrals", case["id"]);

    // Not a unit handling it: 403; a blank reason: 422; a case that is not red: 409.
    let (status, body) = app.post(&refer, &app.login("labor").await, json!({"reason": "扬言跳楼"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app.post(&refer, &mediator, json!({"reason": " "})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let calm = app
        .register(&app.login("intake").await, registration(&id_number("620102", "19850101", 3), "13900000003"))
        .await;
    let (status, body) = app
        .post(
            &format!("/api/v1/cases/{}/police-referrals", calm["id"]),
            &app.login("district").await,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_red")), "{body}");

    let (status, referral) = app.post(&refer, &mediator, json!({"reason": "当事人扬言跳楼，情绪激动"})).await;
    assert_eq!(status, StatusCode::CREATED, "{referral}");
    assert_eq!((referral["unit_id"].as_i64(), referral["status"].as_str()), (Some(station), Some("referred")));
    let (status, _) = app.post(&refer, &mediator, json!({"reason": "再次移送"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "one at a time until the police answer");

    // Only the station answers; in order, each once.
    let path = format!("/api/v1/police-referrals/{}", referral["id"]);
    let (status, _) = app.post(&format!("{path}/acknowledge"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, seen) = app.get("/api/v1/police-referrals", &police).await;
    assert_eq!((status, seen["items"][0]["id"].clone()), (StatusCode::OK, referral["id"].clone()), "{seen}");
    let (status, acknowledged) = app.post(&format!("{path}/acknowledge"), &police, json!({})).await;
    assert_eq!((status, acknowledged["status"].as_str()), (StatusCode::OK, Some("acknowledged")));
    let (status, _) = app.post(&format!("{path}/acknowledge"), &police, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, answered) =
        app.post(&format!("{path}/feedback"), &police, json!({"text": "已出警，对双方进行了训诫"})).await;
    assert_eq!((status, answered["status"].as_str()), (StatusCode::OK, Some("answered")), "{answered}");

    // Resolved later: 防止民转刑.
    let (status, concluded) = app
        .act(&mediator, &case, json!({"action": "conclude", "outcome": "resolved", "summary": "公司支付工资"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{concluded}");
    let district = app.login("district").await;
    let (_, counts) = app.get("/api/v1/police-referrals", &district).await;
    assert_eq!((counts["prevented"].as_i64(), counts["criminal"].as_i64()), (Some(1), Some(0)), "{counts}");
    // A criminal case followed after all: 民转刑, no longer prevented.
    let (status, criminal) =
        app.post(&format!("{path}/criminal-case"), &police, json!({"text": "立为故意伤害案"})).await;
    assert_eq!((status, criminal["status"].as_str()), (StatusCode::OK, Some("criminal")), "{criminal}");
    let (_, counts) = app.get("/api/v1/police-referrals", &district).await;
    assert_eq!((counts["prevented"].as_i64(), counts["criminal"].as_i64()), (Some(0), Some(1)), "{counts}");

    let (status, history) =
        app.get(&format!("/api/v1/cases/{}/events", case["id"]), &app.login("district").await).await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap_or_else(|| panic!("{status} {history}"))
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["police_referred", "police_referral_acknowledged", "police_feedback", "criminal_case_recorded"] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
    let (_, of_case) = app.get(&refer, &district).await;
    assert_eq!(of_case.as_array().unwrap().len(), 1, "{of_case}");

    // The referral is the case's: its history vouches for it, and `audit verify` names it
    // when it is changed outside the application.
    let clean = app.cli(&["audit", "verify"], None);
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
    app.sql("UPDATE police_referrals SET feedback = '改过的反馈'").await;
    let broken = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{out}");
    assert!(out.contains("police referral"), "{out}");
}

async fn a_leader_forms_a_task_force_and_its_late_milestone_climbs_the_ladder(app: TestApp) {
    app.set_now("2026-11-23T09:00:00+08:00");
    let case = red_case_at_the_committee(&app, 4).await;
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    let station = app.unit_id(POLICE_STATION).await;
    let leader = app.login("leader").await;
    let district = app.login("district").await;
    let path = format!("/api/v1/cases/{}/task-force", case["id"]);

    let (status, body) = app
        .post(
            &path,
            &leader,
            json!({"plan": "", "members": [{"unit_id": committee, "duty": "调解"}],
            "milestones": [{"title": "上门稳控", "unit_id": station, "due_at": "2026-11-20"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app.post(&path, &app.login("mediator").await, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let plan = json!({
        "plan": "先稳控情绪，再督促公司分期支付",
        "members": [{"unit_id": committee, "duty": "主持调解"}, {"unit_id": station, "duty": "现场稳控"}],
        "milestones": [
            {"title": "上门稳控当事人", "unit_id": station, "due_at": "2026-11-24"},
            {"title": "组织双方调解", "unit_id": committee, "due_at": "2026-11-27T18:00:00+08:00"}
        ]
    });
    let (status, force) = app.post(&path, &leader, plan.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{force}");
    assert_eq!(force["leader_name"], "城关区中心主任", "{force}");
    assert_eq!(force["members"].as_array().unwrap().len(), 2);
    assert_eq!(force["milestones"][0]["due_at"], "2026-11-24T23:59:59+08:00");
    let (status, _) = app.post(&path, &leader, plan).await;
    assert_eq!(status, StatusCode::CONFLICT, "one per case");
    let (status, seen) = app.get(&path, &district).await;
    assert_eq!((status, seen["id"].clone()), (StatusCode::OK, force["id"].clone()));

    // 我包的案: the leader's own list.
    let (_, led) = app.get("/api/v1/task-forces", &leader).await;
    assert_eq!(led["items"][0]["case_id"], case["id"], "{led}");
    let (_, none) = app.get("/api/v1/task-forces", &district).await;
    assert_eq!(none["items"], json!([]));

    // A case that is not red: a dispatcher cannot put a leader at its head (409).
    let calm = app
        .register(&app.login("intake").await, registration(&id_number("620102", "19850101", 5), "13900000005"))
        .await;
    let (_, me) = app.get("/api/v1/auth/me", &leader).await;
    let body = json!({"leader_id": me["id"], "plan": "包案", "members": [{"unit_id": committee, "duty": "调解"}, {"unit_id": station, "duty": "稳控"}],
        "milestones": [{"title": "回访", "unit_id": committee, "due_at": "2026-12-01"}]});
    let (status, refused) = app.post(&format!("/api/v1/cases/{}/task-force", calm["id"]), &district, body).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_red")), "{refused}");

    // The first milestone is late: the station gets the warning, once; done, nothing more.
    let prefix = format!("milestone:{}:", force["milestones"][0]["id"]);
    sweep(&app, "2026-11-25T09:00:00+08:00").await;
    sweep(&app, "2026-11-25T09:30:00+08:00").await;
    assert_eq!(late_work_notices(&app, &prefix).await, [format!("warning:{station}")]);
    let police = police_user(&app).await;
    let mediator = app.login("mediator").await;
    let done = format!("/api/v1/task-forces/{}/milestones/{}/done", force["id"], force["milestones"][0]["id"]);
    let (status, _) = app.post(&done, &mediator, json!({"note": "已稳控"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another unit's milestone");
    let (status, after) = app.post(&done, &police, json!({"note": "已上门，当事人情绪稳定"})).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(
        (after["milestones"][0]["overdue"].as_bool(), after["milestones"][0]["note"].as_str()),
        (Some(false), Some("已上门，当事人情绪稳定"))
    );
    let (status, _) = app.post(&done, &police, json!({"note": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    sweep(&app, "2026-11-30T09:00:00+08:00").await;
    assert_eq!(late_work_notices(&app, &prefix).await.len(), 1, "done: no order");
    let (status, history) =
        app.get(&format!("/api/v1/cases/{}/events", case["id"]), &app.login("district").await).await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap_or_else(|| panic!("{status} {history}"))
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"task_force_formed") && actions.contains(&"milestone_done"), "{actions:?}");

    // The task force, its members and milestones are the case's: `audit verify` names each
    // one changed outside the application.
    let clean = app.cli(&["audit", "verify"], None);
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
    app.sql("UPDATE task_force_milestones SET note = '改过的说明' WHERE position = 0").await;
    app.sql("UPDATE task_force_members SET duty = '改过的分工'").await;
    let broken = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{out}");
    assert!(out.contains("task force milestone") && out.contains("task force member"), "{out}");
}
