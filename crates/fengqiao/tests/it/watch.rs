//! 重点人员: the register of people who need attention through the API — a centre puts a person
//! on it (by hand and from the computed register), bad input refused field by field with nothing
//! stored, the same person refused twice (also when fifty try at once), the grid worker sees only
//! their grid and visits, a second visit without meeting the person escalates to the centre
//! (red, weekly, an alert naming their cases), visits fall overdue, the schedule changes, the
//! release ends the visits, and every look is recorded.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, browser, id_number, registration, ui_get, ui_session};

on_both_backends!(
    a_person_is_listed_visited_escalated_and_released,
    an_overdue_visit_climbs_the_ladder_and_reads_in_english,
);

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.sql_texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {sql}")).await[0].parse().unwrap()
}

fn fields(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect()
}

async fn a_person_is_listed_visited_escalated_and_released(app: TestApp) {
    app.set_now("2026-11-28T09:00:00+08:00");
    let district = app.login("district").await;
    let grid = app.login("grid").await;
    let mediator = app.login("mediator").await;
    let grid_id: i64 =
        app.sql_texts("SELECT CAST(grid_id AS TEXT) FROM units WHERE name = '中山林社区第1网格工作站'").await[0]
            .parse()
            .unwrap();
    let other_grid: i64 = app
        .sql_texts("SELECT CAST(id AS TEXT) FROM grids WHERE community_code = '620103001001' ORDER BY id LIMIT 1")
        .await[0]
        .parse()
        .unwrap();

    // Bad input: every field named in words, nothing stored.
    let (status, refused) = app.post("/api/v1/people/watch", &district, json!({"visit_every_days": 0})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), ["name", "id_number", "grid_id", "reason", "colour", "visit_every_days"]);
    assert!(refused["error"]["fields"][1]["message"].as_str().unwrap().contains("身份证号或联系电话"), "{refused}");
    let ill = json!({"name": "赵某", "phone": "13912340000", "grid_id": grid_id, "reason": "mental_illness", "colour": "red"});
    let (status, refused) = app.post("/api/v1/people/watch", &district, ill).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), ["flagged_by"]);
    assert!(refused["error"]["message"].as_str().unwrap().contains("认定部门"), "{refused}");
    assert_eq!(count(&app, "watched_people").await, 0);

    // Only the centres keep the register; a grid worker or a mediator may not.
    let person = json!({
        "name": "王某某", "id_number": id_number("620102", "19700315", 17), "phone": "13912345678",
        "address": "中山林 3 号楼 2 单元 501", "grid_id": grid_id, "reason": "threats",
        "detail": "因拆迁补偿多次扬言报复", "colour": "orange"
    });
    for token in [&grid, &mediator] {
        let (status, body) = app.post("/api/v1/people/watch", token, person.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, entry) = app.post("/api/v1/people/watch", &district, person.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["visit_every_days"], 15, "an orange person is visited fortnightly");
    assert_eq!(entry["next_visit_due"], "2026-12-13T23:59:59+08:00");
    assert_eq!(entry["visit_due"], "scheduled");
    assert!(!entry.to_string().contains("19700315"), "never the full ID number: {entry}");
    let id = entry["id"].as_i64().unwrap();
    let path = format!("/api/v1/people/watch/{id}");

    // The same person again: refused, also when fifty try at once.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let request = app.client.post(format!("{}/api/v1/people/watch", app.base)).bearer_auth(&district).json(&person);
        set.spawn(async move { request.send().await.unwrap().status() });
    }
    let statuses = set.join_all().await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CONFLICT), "{statuses:?}");
    let (_, refused) = app.post("/api/v1/people/watch", &district, person.clone()).await;
    assert!(refused["error"]["message"].as_str().unwrap().contains("已在重点人员名册中"), "{refused}");
    assert_eq!(count(&app, "watched_people").await, 1);

    // A grid outside the centre's district.
    let elsewhere =
        json!({"name": "钱某", "phone": "13912349999", "grid_id": other_grid, "reason": "other", "colour": "yellow"});
    let (status, body) = app.post("/api/v1/people/watch", &district, elsewhere).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The grid worker sees the people of their grid, with the phone and address to visit.
    let (status, list) = app.get("/api/v1/people/watch", &grid).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!((list["total"].as_i64(), list["items"][0]["id"].as_i64()), (Some(1), Some(id)));
    let (status, one) = app.get(&path, &grid).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(
        (one["phone"].as_str(), one["address"].as_str()),
        (Some("13912345678"), Some("中山林 3 号楼 2 单元 501"))
    );
    assert_eq!(one["events"][0]["action"], "enter");
    let (status, _) = app.get(&path, &mediator).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A visit: its faults named; a note is needed unless all is stable.
    let (status, refused) = app.post(&format!("{path}/visits"), &grid, json!({"situation": "changed"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), ["note"]);
    let future = json!({"situation": "stable", "visited_at": "2026-11-29T09:00:00+08:00"});
    let (status, refused) = app.post(&format!("{path}/visits"), &grid, future).await;
    assert_eq!((status, fields(&refused)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["visited_at".to_owned()]));
    assert_eq!(count(&app, "watch_events WHERE action = 'visit'").await, 0);

    // Not met once: scheduled again, nothing more. Not met twice running: escalated.
    let (status, visited) =
        app.post(&format!("{path}/visits"), &grid, json!({"situation": "not_met", "note": "家中无人"})).await;
    assert_eq!(status, StatusCode::CREATED, "{visited}");
    assert_eq!((visited["colour"].as_str(), visited["last_situation"].as_str()), (Some("orange"), Some("not_met")));
    assert_eq!(visited["next_visit_due"], "2026-12-13T23:59:59+08:00");
    app.set_now("2026-11-30T10:00:00+08:00");
    let (grid, district) = (app.login("grid").await, app.login("district").await);
    let (status, visited) =
        app.post(&format!("{path}/visits"), &grid, json!({"situation": "not_met", "note": "邻居称已外出多日"})).await;
    assert_eq!(status, StatusCode::CREATED, "{visited}");
    assert_eq!((visited["colour"].as_str(), visited["visit_every_days"].as_i64()), (Some("red"), Some(7)));
    assert_eq!(visited["next_visit_due"], "2026-12-07T23:59:59+08:00");
    let (_, alerts) = app.get("/api/v1/alerts?status=open", &district).await;
    let alert = alerts["items"].as_array().unwrap().iter().find(|a| a["rule"] == "watch_visit").expect("an alert");
    assert_eq!(alert["colour"], "red");
    assert!(alert["reasons"].to_string().contains("连续两次走访未见到本人"), "{alert}");
    let (_, one) = app.get(&path, &district).await;
    assert_eq!(one["events"][0]["action"], "escalate", "{one}");

    // Overdue after its day.
    app.set_now("2026-12-08T08:00:00+08:00");
    let (grid, district) = (app.login("grid").await, app.login("district").await);
    let (_, overdue) = app.get("/api/v1/people/watch?due=overdue", &grid).await;
    assert_eq!((overdue["total"].as_i64(), overdue["items"][0]["visit_due"].as_str()), (Some(1), Some("overdue")));
    let (status, refused) = app.get("/api/v1/people/watch?due=later&colour=purple&limit=0", &grid).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), ["colour", "due", "limit"]);

    // The centre lowers the colour; the schedule follows from the latest visit.
    let (status, changed) = app.post(&format!("{path}/schedule"), &district, json!({"colour": "yellow"})).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!((changed["visit_every_days"].as_i64(), changed["visit_due"].as_str()), (Some(30), Some("scheduled")));
    assert_eq!(changed["next_visit_due"], "2026-12-30T23:59:59+08:00");

    // Released: no more visits.
    let (status, refused) = app.post(&format!("{path}/release"), &district, json!({"reason": " "})).await;
    assert_eq!((status, fields(&refused)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason".to_owned()]));
    let (status, released) =
        app.post(&format!("{path}/release"), &district, json!({"reason": "矛盾已化解，情绪稳定"})).await;
    assert_eq!(status, StatusCode::OK, "{released}");
    assert_eq!((released["status"].as_str(), released["next_visit_due"].as_str()), (Some("released"), None));
    let (status, _) = app.post(&format!("{path}/visits"), &grid, json!({"situation": "stable"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, active) = app.get("/api/v1/people/watch", &district).await;
    let (_, gone) = app.get("/api/v1/people/watch?status=released", &district).await;
    assert_eq!((active["total"].as_i64(), gone["total"].as_i64()), (Some(0), Some(1)));

    // From the computed register: someone with two disputes, put on it by their key.
    let intake = app.login("intake").await;
    let repeat = id_number("620102", "19851122", 41);
    for _ in 0..2 {
        app.register(&intake, registration(&repeat, "13800007777")).await;
    }
    let (_, register) = app.get("/api/v1/people/risk", &district).await;
    let key = register["items"].as_array().unwrap().iter().find(|p| p["case_ids"].as_array().unwrap().len() == 2);
    let key = key.expect("the person of two disputes")["person_key"].as_str().unwrap().to_owned();
    let known = json!({"person_key": key, "grid_id": grid_id, "reason": "dispute_risk", "colour": "yellow"});
    let (status, entry) = app.post("/api/v1/people/watch", &district, known).await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["visit_every_days"], 30);
    assert!(entry["id_number_masked"].as_str().unwrap().ends_with(&repeat[14..]), "{entry}");
    let unknown = json!({"person_key": "00ff", "grid_id": grid_id, "reason": "other", "colour": "yellow"});
    let (status, refused) = app.post("/api/v1/people/watch", &district, unknown).await;
    assert_eq!((status, fields(&refused)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["person_key".to_owned()]));

    // Every look recorded, with the entry looked at: the grid worker's and the centre's (the
    // mediator's refusal is no look).
    assert_eq!(count(&app, &format!("people_register_reads WHERE watched_id = {id}")).await, 2);
    assert_eq!(
        count(&app, "people_register_reads WHERE watched_id IS NULL").await,
        5,
        "four lists and the computed register"
    );
}

/// A visit not made by its day brings a 预警单 to the grid's station on the next sweep, filed
/// on the watched person (who has no case), naming them masked and their grid; a visit made in
/// time brings none. The notices page and the API read the ladder's words in the reader's
/// language (`text` stays as issued); the station's workbench lists them as a line on the
/// person, with 重点人员 in place of a case number.
async fn an_overdue_visit_climbs_the_ladder_and_reads_in_english(app: TestApp) {
    app.set_now("2026-11-28T09:00:00+08:00");
    let district = app.login("district").await;
    let grid_id: i64 =
        app.sql_texts("SELECT CAST(grid_id AS TEXT) FROM units WHERE name = '中山林社区第1网格工作站'").await[0]
            .parse()
            .unwrap();
    let grid_name = app.sql_texts(&format!("SELECT name FROM grids WHERE id = {grid_id}")).await[0].clone();
    let station = app.unit_id("中山林社区第1网格工作站").await;
    let mut entries = Vec::new();
    for (seq, name) in [(21, "赵大勇"), (22, "钱小明")] {
        let person = json!({
            "name": name, "id_number": id_number("620102", "19700315", seq), "phone": format!("139123456{seq}"),
            "grid_id": grid_id, "reason": "threats", "detail": "多次扬言报复", "colour": "orange"
        });
        let (status, entry) = app.post("/api/v1/people/watch", &district, person).await;
        assert_eq!(status, StatusCode::CREATED, "{entry}");
        assert_eq!(entry["next_visit_due"], "2026-12-13T23:59:59+08:00");
        entries.push(entry["id"].as_i64().unwrap());
    }
    // The second is visited in time; the first is not.
    app.set_now("2026-12-10T09:00:00+08:00");
    let grid = app.login("grid").await;
    let (status, visited) =
        app.post(&format!("/api/v1/people/watch/{}/visits", entries[1]), &grid, json!({"situation": "stable"})).await;
    assert_eq!(status, StatusCode::CREATED, "{visited}");
    let notices = |id: i64| format!("notices WHERE watched_person_id = {id}");
    app.set_now("2026-12-14T10:00:00+08:00");
    let (status, report) = app.post("/api/v1/supervision/sweep", &app.login("leader").await, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(count(&app, &notices(entries[0])).await, 1, "{report}");
    assert_eq!(count(&app, &notices(entries[1])).await, 0, "visited in time: no notice");
    let row = app
        .sql_texts(&format!(
            "SELECT kind || '|' || CAST(unit_id AS TEXT) || '|' || text || '|' || COALESCE(CAST(case_id AS TEXT), '-') FROM {}",
            notices(entries[0])
        ))
        .await;
    let fields: Vec<&str> = row[0].split('|').collect();
    assert_eq!(fields[0], "warning");
    assert_eq!(fields[1], station.to_string(), "to the grid's station");
    assert!(fields[2].contains(&format!("重点人员 赵**（{grid_name}）未按期走访")), "{}", fields[2]);
    assert!(!fields[2].contains("赵大勇"), "masked");
    assert_eq!(fields[3], "-", "filed on no case");
    // Once: the next pass issues nothing more before the order is due.
    app.post("/api/v1/supervision/sweep", &app.login("leader").await, json!({})).await;
    assert_eq!(count(&app, &notices(entries[0])).await, 1);

    // The station's notices page, in Chinese and in English: words, not codes.
    let cookie = format!("fq_session={}", ui_session(&app, "grid").await);
    let (status, html) = ui_get(&app, &format!("{cookie}; fq_lang=zh-CN"), "/workbench").await;
    assert_eq!(status, StatusCode::OK);
    let line = format!("data-awaiting-person=\"{0}\"><a href=\"/people-risk/{0}\">重点人员</a>", entries[0]);
    assert!(html.contains(&line), "{html}");
    assert!(html.contains("1 份函单令待本单位回复，涉及 1 名重点人员"), "{html}");
    let response = browser()
        .get(format!("{}/api/v1/notices?awaiting_reply=true", app.base))
        .bearer_auth(app.login("grid").await)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let listed: Value = response.json().await.unwrap();
    let notice = listed.as_array().unwrap().iter().find(|n| n["watched_person_id"] == entries[0]).expect("listed");
    assert!(notice["text"].as_str().unwrap().contains("未按期走访"), "as issued: {notice}");
    assert!(
        notice["message"].as_str().unwrap().contains("a person who needs attention, is overdue"),
        "in English: {notice}"
    );
    let (status, html) = ui_get(&app, &format!("{cookie}; fq_lang=zh-CN"), "/notices").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("重点人员 赵**（{grid_name}）未按期走访")), "{html}");
    assert!(html.contains(&format!("href=\"/people-risk/{}\"", entries[0])), "{html}");
    let (status, html) = ui_get(&app, &format!("{cookie}; fq_lang=en"), "/notices").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("the visit to 赵** ({grid_name}), a person who needs attention, is overdue")),
        "{html}"
    );
    assert!(html.contains("This is a warning: act at once and explain in writing."), "{html}");
    assert!(!html.contains("现予预警"), "{html}");
}
