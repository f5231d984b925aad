//! 网格化: the grid worker's patrol log and hazard register through the API — a patrol started
//! and finished, hazards reported, listed by status and within the territory, each step on a
//! hazard (resolved on the spot, escalated, registered as a case with the link both ways,
//! closed), bad input refused field by field with nothing stored, and fifty hazards reported at
//! once each stored once.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

on_both_backends!(a_grid_workers_day_reaches_the_centre_above);

async fn count(app: &TestApp, table: &str) -> i64 {
    app.sql_texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}")).await[0].parse().unwrap()
}

/// A grid worker of a grid in district B (street B1's 西园社区), with the demo password.
async fn other_districts_worker(app: &TestApp) -> (String, i64) {
    let grid: i64 = app
        .sql_texts("SELECT CAST(id AS TEXT) FROM grids WHERE community_code = '620103001001' ORDER BY id LIMIT 1")
        .await[0]
        .parse()
        .unwrap();
    app.sql(&format!(
        "INSERT INTO units (name, kind, region_code, grid_id, code) VALUES ('西园社区第1网格工作站', 'grid', '620103001001', {grid}, 'grid_b1_station')"
    ))
    .await;
    app.sql(
        "INSERT INTO users (username, display_name, role, unit_id, password_hash, created_at)
         SELECT 'grid_b', '西园社区网格员', 'grid_worker', u.id, g.password_hash, g.created_at
         FROM units u, users g WHERE u.code = 'grid_b1_station' AND g.username = 'grid'",
    )
    .await;
    (app.login("grid_b").await, grid)
}

fn fields(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect()
}

async fn a_grid_workers_day_reaches_the_centre_above(app: TestApp) {
    app.set_now("2026-11-28T09:00:00+08:00");
    let grid = app.login("grid").await;
    let street_a = app.login("street_a").await;
    let street_b = app.login("street_b").await;
    let district = app.login("district").await;
    let mediator = app.login("mediator").await;

    // Before the patrol: the street's centre sees the worker's grid not patrolled today.
    let (status, coverage) = app.get("/api/v1/patrols/coverage", &street_a).await;
    assert_eq!(status, StatusCode::OK, "{coverage}");
    assert_eq!(coverage["day"], "2026-11-28");
    assert!(coverage["unpatrolled"].as_i64().unwrap() >= 2, "{coverage}");
    assert_eq!(coverage["grids"].as_array().unwrap().len() as i64, coverage["unpatrolled"].as_i64().unwrap());

    // Bad input: every field named in words, nothing stored.
    let (patrols, hazards) = (count(&app, "patrols").await, count(&app, "hazards").await);
    let body = json!({"started_at": "今天早上", "visited": -3, "ended_at": "2026-11-28T20:00:00+08:00"});
    let (status, refused) = app.post("/api/v1/patrols", &grid, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), ["started_at", "ended_at", "visited"], "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("开始时间"), "{refused}");
    let (status, refused) = app
        .post("/api/v1/hazards", &grid, json!({"kind": "flood", "description": " ", "location": "x".repeat(501)}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(fields(&refused), ["kind", "description", "location"], "{refused}");
    let messages: Vec<&str> =
        refused["error"]["fields"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(
        messages[0].contains("类型") && messages[1].contains("描述") && messages[2].contains("地点"),
        "{messages:?}"
    );
    assert_eq!((count(&app, "patrols").await, count(&app, "hazards").await), (patrols, hazards));

    // The patrol: started now in the worker's own grid, the day its China date.
    let (status, patrol) = app.post("/api/v1/patrols", &grid, json!({"route": "中山林 1—5 号楼"})).await;
    assert_eq!(status, StatusCode::CREATED, "{patrol}");
    assert_eq!((patrol["day"].as_str(), patrol["ended_at"].is_null()), (Some("2026-11-28"), true), "{patrol}");
    let own_grid = patrol["grid_id"].as_i64().unwrap();

    // Hazards found on it: one resolved on the spot, one escalated, one closed.
    let report = |kind: &str, description: &str| {
        json!({"kind": kind, "description": description, "location": "中山林3号楼", "patrol_id": patrol["id"],
            "people": "3 楼住户与 4 楼住户"})
    };
    let (status, noise) = app.post("/api/v1/hazards", &grid, report("dispute_clue", "楼上楼下因漏水争吵")).await;
    assert_eq!(status, StatusCode::CREATED, "{noise}");
    assert_eq!(
        (noise["status"].as_str(), noise["kind_label"].as_str()),
        (Some("open"), Some("矛盾纠纷线索")),
        "{noise}"
    );
    assert_eq!(noise["actions"], json!(["resolve", "escalate", "register", "close"]), "{noise}");
    let (_, wages) =
        app.post("/api/v1/hazards", &grid, report("dispute_clue", "小区物业拖欠保安工资三个月，十余人聚集")).await;
    let (_, corridor) = app.post("/api/v1/hazards", &grid, report("fire", "楼道堆放纸箱和电动车")).await;

    let act = |hazard: &Value, action: &str| format!("/api/v1/hazards/{}/{action}", hazard["id"]);
    let (status, refused) = app.post(&act(&noise, "resolve"), &grid, json!({"note": " "})).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
    let (status, resolved) =
        app.post(&act(&noise, "resolve"), &grid, json!({"note": "当场协调，4 楼同意维修水管"})).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    let steps: Vec<&str> =
        resolved["steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["report", "resolve"]);
    assert_eq!(resolved["steps"][1]["note"], "当场协调，4 楼同意维修水管");
    let (status, again) = app.post(&act(&noise, "escalate"), &grid, json!({"note": "再报"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a resolved hazard is not escalated: {again}");
    let (status, escalated) = app.post(&act(&wages, "escalate"), &grid, json!({"note": "人数多，需街道协调"})).await;
    assert_eq!((status, escalated["status"].as_str()), (StatusCode::OK, Some("escalated")), "{escalated}");
    let (status, closed) = app.post(&act(&corridor, "close"), &grid, json!({"note": "已督促清理"})).await;
    assert_eq!((status, closed["status"].as_str()), (StatusCode::OK, Some("closed")), "{closed}");

    // Finishing the patrol: once.
    let finish = format!("/api/v1/patrols/{}/finish", patrol["id"]);
    let (status, finished) = app.post(&finish, &grid, json!({"visited": 26, "findings": "漏水纠纷已化解"})).await;
    assert_eq!(status, StatusCode::OK, "{finished}");
    assert_eq!((finished["visited"].as_i64(), finished["hazards"].as_i64()), (Some(26), Some(3)), "{finished}");
    assert!(!finished["ended_at"].is_null());
    let (status, _) = app.post(&finish, &grid, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The street's centre sees the escalated one in its list, with labels and a count.
    let (status, list) = app.get("/api/v1/hazards?status=escalated", &street_a).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], wages["id"]);
    assert_eq!(list["items"][0]["status_label"], "已上报");
    let (_, all) = app.get("/api/v1/hazards?limit=2", &district).await;
    assert_eq!((all["total"].as_i64(), all["items"].as_array().unwrap().len()), (Some(3), 2), "{all}");
    let (_, second) = app.get("/api/v1/hazards?limit=2&page=2", &district).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    let (status, refused) = app.get("/api/v1/hazards?status=lost", &district).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
    let (_, coverage) = app.get("/api/v1/patrols/coverage", &street_a).await;
    let own = coverage["grids"].as_array().unwrap().iter().find(|g| g["grid_id"] == own_grid).unwrap();
    assert_eq!(own["patrols"], 1, "{coverage}");
    let (_, patrols) = app.get("/api/v1/patrols?day=2026-11-28", &district).await;
    assert_eq!(patrols["total"], 1, "{patrols}");

    // It registers the escalated hazard as a case: channel grid, linked both ways.
    let body = json!({"title": "物业拖欠保安工资", "category": "labor"});
    let (status, registered) = app.post(&act(&wages, "register"), &street_a, body).await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    assert_eq!(registered["status"], "registered");
    let case_id = registered["case_id"].as_i64().expect("the hazard names its case");
    let (_, case) = app.get(&format!("/api/v1/cases/{case_id}"), &street_a).await;
    assert_eq!(case["channel"], "grid", "{case}");
    assert_eq!(case["location"]["grid_id"].as_i64(), Some(own_grid), "{case}");
    let (_, events) = app.get(&format!("/api/v1/cases/{case_id}/events"), &street_a).await;
    let linked =
        events.as_array().unwrap().iter().find(|e| e["action"] == "hazard_registered").expect("in the history");
    assert_eq!(linked["data"]["hazard_id"], wages["id"], "{linked}");
    let (status, _) = app.post(&act(&wages, "register"), &street_a, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "one case per hazard");

    // Scope: another district sees nothing and may not touch it; roles without grid work: 403.
    let (_, none) = app.get("/api/v1/hazards", &street_b).await;
    assert_eq!(none["total"], 0, "{none}");
    let (status, _) = app.get(&format!("/api/v1/hazards/{}", wages["id"]), &street_b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&act(&noise, "close"), &street_b, json!({"note": "关闭"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/api/v1/hazards", &mediator).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post("/api/v1/hazards", &street_a, report("safety", "井盖缺失")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a centre does not report for a grid");
    let (grid_b, grid_b_id) = other_districts_worker(&app).await;
    let (_, theirs) = app.get("/api/v1/hazards", &grid_b).await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    let (_, theirs) = app.get("/api/v1/patrols", &grid_b).await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    let (status, refused) = app
        .post("/api/v1/hazards", &grid_b, json!({"grid_id": own_grid, "kind": "safety", "description": "井盖缺失"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a grid outside the territory: {refused}");
    let (status, refused) = app.post("/api/v1/patrols", &grid, json!({"grid_id": grid_b_id})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, _) = app.post(&act(&noise, "close"), &grid_b, json!({"note": "关闭"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Fifty hazards reported at once: each stored once, each with its report step.
    let before = (count(&app, "hazards").await, count(&app, "hazard_steps").await);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..50 {
        let request = app
            .client
            .post(format!("{}/api/v1/hazards", app.base))
            .bearer_auth(&grid)
            .json(&json!({"kind": "safety", "description": format!("第 {i} 处井盖松动")}));
        set.spawn(async move { request.send().await.unwrap().status() });
    }
    let statuses = set.join_all().await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    assert_eq!((count(&app, "hazards").await, count(&app, "hazard_steps").await), (before.0 + 50, before.1 + 50));
    let distinct =
        app.sql_texts("SELECT CAST(COUNT(DISTINCT description) AS TEXT) FROM hazards WHERE kind = 'safety'").await;
    assert_eq!(distinct[0], "50");
}
