//! 风险复核 after the answer, on the real database: thirty disputes against one company
//! registered from six windows at once turn the company, the cases and their places red within
//! a minute, by the server's worker alone; a case and its place in the queue are written
//! together or not at all, by a registration and by a step; while another node holds the
//! queue, what is queued waits for it, and two evaluations of the same batch at once turn each
//! case red once and record each place's change once.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, TestApp, id_number, registration};

on_both_backends!(
    thirty_disputes_at_once_turn_the_company_the_cases_and_the_place_red_within_a_minute,
    a_case_and_its_queued_evaluation_are_written_together_or_not_at_all,
    the_queue_waits_for_the_node_that_holds_it_and_two_evaluations_at_once_change_each_thing_once,
);

const COMMUNITY: &str = "620102002001";
const STREET: &str = "620102002000";

/// A deposit dispute of person `i` against the same company: no colour of its own.
fn against_the_company(i: u32) -> Value {
    let mut body = registration(&id_number("620102", "19800101", 400 + i), &format!("136000{i:05}"));
    body["description"] = json!("某装修公司收取定金后迟迟不施工，要求退还定金。");
    body["parties"][1] = json!({"role": "respondent", "kind": "organization", "name": "兰州某装饰工程有限公司", "credit_code": "91350200776049653A"});
    body
}

async fn count(app: &TestApp, from: &str) -> i64 {
    app.sql_texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {from}")).await[0].parse().unwrap()
}

/// What the district centre sees: is the company's alert red, are all the cases red, are the
/// community and the street red.
async fn all_red(app: &TestApp, token: &str, ids: &[i64]) -> bool {
    let (_, alerts) = app.get("/api/v1/alerts?status=open", token).await;
    let company_red =
        alerts["items"].as_array().unwrap().iter().any(|a| a["rule"] == "same_respondent" && a["colour"] == "red");
    let (_, places) = app.get("/api/v1/places/risk?colour=red", token).await;
    let places = places["items"].as_array().unwrap();
    let place_red = |kind: &str, key: &str| places.iter().any(|p| p["kind"] == kind && p["key"] == key);
    if !(company_red && place_red("community", COMMUNITY) && place_red("street", STREET)) {
        return false;
    }
    for id in ids {
        let (_, case) = app.get(&format!("/api/v1/cases/{id}"), token).await;
        if case["risk"] != "red" {
            return false;
        }
    }
    true
}

async fn thirty_disputes_at_once_turn_the_company_the_cases_and_the_place_red_within_a_minute(app: TestApp) {
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    // Six windows registering at once, five disputes each.
    let mut answers = Vec::new();
    for round in 0..5 {
        let mut registrations = tokio::task::JoinSet::new();
        for window in 1..=6 {
            let (client, url, token) = (app.client.clone(), format!("{}/api/v1/cases", app.base), intake.clone());
            let body = against_the_company(round * 6 + window);
            registrations.spawn(async move {
                let response = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            });
        }
        answers.extend(registrations.join_all().await);
    }
    let answered = Instant::now();
    assert!(answers.iter().all(|(status, _)| *status == StatusCode::CREATED), "{answers:?}");
    let ids: Vec<i64> = answers.iter().map(|(_, case)| case["id"].as_i64().unwrap()).collect();
    // Nothing here evaluates: the server's worker does, woken by the registrations.
    while !all_red(&app, &district, &ids).await {
        assert!(answered.elapsed() < Duration::from_secs(60), "not red within a minute of the last answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events = count(&app, "case_events WHERE action = 'risk_raised'").await;
    assert_eq!(events, 30, "each case turned red once, with its event");
    assert_eq!(count(&app, "risk_queue").await, 0, "the queue drained");
    let (status, list) = app.post("/api/v1/risk-lists", &district, json!({"region": "620102000000"})).await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let text = list.to_string();
    assert!(text.contains("同一被申请人") && text.contains("风险地点"), "the next list names them: {text}");
}

/// Refuses every row written to the queue, so that the transaction writing one fails.
async fn refuse_queueing(app: &TestApp) {
    match app.backend {
        Backend::Sqlite => {
            app.sql("CREATE TRIGGER risk_queue_refused BEFORE INSERT ON risk_queue BEGIN SELECT RAISE(ABORT, 'refused'); END")
                .await
        }
        Backend::Postgres => {
            app.sql(
                "CREATE FUNCTION risk_queue_refused() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
                 CREATE TRIGGER risk_queue_refused BEFORE INSERT ON risk_queue FOR EACH ROW EXECUTE FUNCTION risk_queue_refused()",
            )
            .await
        }
    }
}

async fn a_case_and_its_queued_evaluation_are_written_together_or_not_at_all(app: TestApp) {
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let case = app.register(&intake, against_the_company(1)).await;
    app.risk_settled().await;
    let events = count(&app, "case_events").await;

    refuse_queueing(&app).await;
    let (status, body) = app.post("/api/v1/cases", &intake, against_the_company(2)).await;
    assert!(status.is_server_error(), "the queue refused, so the registration failed: {status} {body}");
    assert_eq!(count(&app, "cases").await, 1, "no case without its place in the queue");
    let (status, body) = app.act(&district, &case, json!({"action": "note", "text": "电话联系申请人"})).await;
    assert!(status.is_server_error(), "nor a step: {status} {body}");
    let (_, read) = app.get(&format!("/api/v1/cases/{}", case["id"]), &district).await;
    assert_eq!(read["version"], case["version"], "the step changed nothing");
    assert_eq!(count(&app, "case_events").await, events, "and recorded nothing");
    assert_eq!(count(&app, "risk_queue").await, 0);

    match app.backend {
        Backend::Sqlite => app.sql("DROP TRIGGER risk_queue_refused").await,
        Backend::Postgres => app.sql("DROP TRIGGER risk_queue_refused ON risk_queue").await,
    }
    let (status, body) = app.act(&district, &case, json!({"action": "note", "text": "电话联系申请人"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.register(&intake, against_the_company(2)).await;
    app.risk_settled().await;
    assert_eq!(count(&app, "cases").await, 2);
}

async fn the_queue_waits_for_the_node_that_holds_it_and_two_evaluations_at_once_change_each_thing_once(app: TestApp) {
    let intake = app.login("intake").await;
    let now = chrono::Utc::now();
    // Another node drains the queue: this node's worker leaves it be.
    assert!(app.store.lease_acquire("risk_queue", "node-b", now, chrono::Duration::hours(1)).await.unwrap());
    for i in 1..=30 {
        app.register(&intake, against_the_company(i)).await;
    }
    assert_eq!(app.app.risk_queue_drain().await.unwrap().rows, 0, "this node does not take the queue");
    assert_eq!(count(&app, "risk_queue").await, 30, "every registration waits in the queue");
    assert_eq!(count(&app, "alerts").await, 0);
    assert_eq!(count(&app, "cases WHERE risk = 'red'").await, 0);

    // That node evaluates the same batch twice at once (two connections, as after a stall).
    let second = app.second_node().await;
    let (one, two) = tokio::join!(app.store.risk_queue_drain("node-b", now), second.risk_queue_drain("node-b", now));
    let (one, two) = (one.unwrap().unwrap(), two.unwrap().unwrap());
    let first = if one.rows > 0 { one } else { two };
    assert_eq!(first.rows, 30, "{one:?} {two:?}");
    assert_eq!(first.subjects, 31, "the company once, each person once: {first:?}");
    assert_eq!(first.places, 2, "the community and the street once: {first:?}");
    assert_eq!(count(&app, "risk_queue").await, 0);
    assert_eq!(count(&app, "alerts WHERE status = 'open'").await, 1);
    assert_eq!(count(&app, "cases WHERE risk = 'red'").await, 30);
    assert_eq!(count(&app, "case_events WHERE action = 'risk_raised'").await, 30, "each case turned red once");
    let changes = app
        .sql_texts(&format!(
            "SELECT kind || ':' || colour_before || '>' || colour FROM place_risk_changes
             WHERE place_key IN ('{COMMUNITY}', '{STREET}') ORDER BY kind"
        ))
        .await;
    assert_eq!(changes, ["community:none>red", "street:none>red"], "each place's change recorded once");
    let audit = app.cli(&["audit", "verify"], None);
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));

    // The node gives the queue back: this node's worker takes what comes next.
    app.store.risk_queue_release("node-b").await.unwrap();
    let case = app.register(&intake, against_the_company(31)).await;
    app.risk_settled().await;
    let (_, read) = app.get(&format!("/api/v1/cases/{}", case["id"]), &app.login("district").await).await;
    assert_eq!(read["risk"], "red", "the 31st case joins the red alert: {read}");
}
