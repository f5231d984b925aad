//! 亮牌: each evaluation rule against a small hand-made month, the rules edited as data (a
//! change moves the current month's cards), bad input refused with the field named, and the
//! cards kept to the viewer's territory.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(cards_follow_the_rules_on_a_hand_made_month);

/// In November 2026 张掖路街道综治中心 (a1) concludes one case on time with a satisfied
/// rating, returns one case and receives one supervision order it does not answer:
/// 100 − 2 (return) − 5 (order) − 3 (unanswered) = 90 under the default rules.
async fn cards_follow_the_rules_on_a_hand_made_month(app: TestApp) {
    let a1 = app.unit_id("张掖路街道综治中心").await;
    app.set_now("2026-11-16T10:00:00+08:00");
    let (intake, district, street_a) =
        (app.login("intake").await, app.login("district").await, app.login("street_a").await);
    let leader = app.login("leader").await;
    let mut cases = Vec::new();
    for i in 1..=3u32 {
        cases.push(app.register(&intake, registration(&id_number("620102", "19800101", i), "13912345678")).await);
    }
    let step = |token: &str, case: &Value, action: Value| {
        let (token, case) = (token.to_owned(), case.clone());
        let app = &app;
        async move {
            let (status, next) = app.act(&token, &case, action).await;
            assert_eq!(status, StatusCode::OK, "{next}");
            next
        }
    };
    let dispatch = json!({"action": "dispatch", "unit_id": a1});
    let c = step(&district, &cases[0], dispatch.clone()).await;
    let c = step(&street_a, &c, json!({"action": "sign"})).await;
    let c = step(&street_a, &c, json!({"action": "conclude", "outcome": "resolved", "summary": "办结"})).await;
    step(&district, &c, json!({"action": "follow_up", "satisfaction": "satisfied"})).await;
    let c = step(&district, &cases[1], dispatch.clone()).await;
    step(&street_a, &c, json!({"action": "return", "reason": "非本单位职责"})).await;
    let c = step(&district, &cases[2], dispatch.clone()).await;
    step(&street_a, &c, json!({"action": "sign"})).await;
    let order = json!({"kind": "order", "text": "请于三日内办结并书面回复。"});
    let (status, notice) = app.post(&format!("/api/v1/cases/{}/notices", c["id"]), &leader, order).await;
    assert_eq!(status, StatusCode::CREATED, "{notice}");

    let card_of = |cards: &Value, unit: i64| -> Value {
        cards.as_array().expect("a list").iter().find(|c| c["unit_id"] == unit).cloned().expect("the unit has a card")
    };
    let (status, cards) = app.get("/api/v1/evaluations?period=2026-11", &leader).await;
    assert_eq!(status, StatusCode::OK, "{cards}");
    let card = card_of(&cards, a1);
    assert_eq!(card["score"], 90.0, "{card}");
    assert_eq!(card["card"], "green");
    let rules: Vec<&str> = card["reasons"].as_array().unwrap().iter().map(|r| r["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["returns", "orders", "unanswered"], "{card}");
    let points: Vec<f64> = card["reasons"].as_array().unwrap().iter().map(|r| r["points"].as_f64().unwrap()).collect();
    assert_eq!(points, [2.0, 5.0, 3.0]);
    // Every other unit had a clean month: 100, green, ranked above a1 in a1's level.
    let level = card["level"].clone();
    let above = cards.as_array().unwrap().iter().filter(|c| c["level"] == level && c["unit_id"] != a1).count();
    assert!(cards.as_array().unwrap().iter().filter(|c| c["unit_id"] != a1).all(|c| c["score"] == 100.0));
    assert_eq!(card["rank"], json!(above as i64 + 1), "{cards}");

    // The rules are data: a stricter yellow line turns a1 yellow, a stricter red line red.
    let admin = app.login("admin").await;
    let (_, mut rules) = app.get("/api/v1/evaluation-rules", &admin).await;
    rules["yellow_below"] = json!(95.0);
    let (status, body) = app.call(Method::PUT, "/api/v1/evaluation-rules", Some(&admin), Some(rules.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, cards) = app.get("/api/v1/evaluations?period=2026-11", &leader).await;
    assert_eq!(card_of(&cards, a1)["card"], "yellow");
    rules["red_below"] = json!(91.0);
    app.call(Method::PUT, "/api/v1/evaluation-rules", Some(&admin), Some(rules.clone())).await;
    let (_, cards) = app.get("/api/v1/evaluations?period=2026-11", &leader).await;
    assert_eq!(card_of(&cards, a1)["card"], "red");

    // Bad rules: 422 naming each field in words, nothing changes.
    let mut bad = rules.clone();
    bad["order_points"] = json!(-1);
    bad["satisfaction_target"] = json!(150);
    let (status, body) = app.call(Method::PUT, "/api/v1/evaluation-rules", Some(&admin), Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let text = body.to_string();
    assert!(text.contains("order_points") && text.contains("satisfaction_target"), "{text}");
    assert!(text.contains("督办令") || text.contains("supervision order"), "the field in words: {text}");
    let (_, kept) = app.get("/api/v1/evaluation-rules", &admin).await;
    assert_eq!(kept, rules);
    // Only an administrator edits the rules.
    let (status, _) = app.call(Method::PUT, "/api/v1/evaluation-rules", Some(&leader), Some(rules)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A month that is over keeps its cards; a unit's history holds them.
    app.set_now("2026-12-02T10:00:00+08:00");
    let (leader, admin) = (app.login("leader").await, app.login("admin").await);
    let (_, reset) = app.get("/api/v1/evaluation-rules", &admin).await;
    let mut lenient = reset.clone();
    lenient["red_below"] = json!(10.0);
    lenient["yellow_below"] = json!(20.0);
    app.call(Method::PUT, "/api/v1/evaluation-rules", Some(&admin), Some(lenient)).await;
    let (_, cards) = app.get("/api/v1/evaluations?period=2026-11", &leader).await;
    assert_eq!(card_of(&cards, a1)["card"], "red", "November is over: its cards stay");
    let (status, history) = app.get(&format!("/api/v1/evaluations/units/{a1}"), &leader).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history[0]["period"], "2026-11");

    // Bad period: 422 naming the field; outside the territory: 404; a street handler: 403.
    let (status, body) = app.get("/api/v1/evaluations?period=2026-13", &leader).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.to_string().contains("period"), "{body}");
    let (status, _) = app.get("/api/v1/evaluations?period=2026-11&region=620103", &leader).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/api/v1/evaluations?period=2026-11", &app.login("street_a").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
