//! `serve --training` (CONTRACT.md, second round): a training deployment says so on every page
//! and in every answer, and nothing leaves it — the SMS gateway is never called, no webhook is
//! posted —, and its documents say they are practice, while a normal deployment, on the same
//! database, shows no mark and delivers.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::on_both_backends;
use crate::support::TestApp;
use crate::webhooks::{Sender, receiver, system_key};

on_both_backends!(a_training_deployment_marks_every_page_and_keeps_every_message,);

async fn a_training_deployment_marks_every_page_and_keeps_every_message(app: TestApp) {
    // The binary with --training, on the same database as the test's own (normal) server.
    let (base, _node) = app.serve_process_with(&app.data_dir.join("training"), &["--training"]);
    let client = reqwest::Client::new();
    for path in ["/login", "/portal", "/kiosk", "/law", "/no-such-page"] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.headers()["x-fengqiao-training"], "1", "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(r#"<div class="training-banner" role="note"><strong lang="zh-CN">培训</strong>"#),
            "{path}: {html}"
        );
        assert!(html.contains("<title>【培训】"), "{path}");
        assert_eq!(html.matches("training-banner").count(), 1, "{path}: one banner");
    }
    let english = client.get(format!("{base}/login")).header("accept-language", "en").send().await.unwrap();
    assert!(english.text().await.unwrap().contains("培训</strong> A training deployment"), "the badge stays 培训");
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "intake", "password": "fengqiao-demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(login.headers()["x-fengqiao-training"], "1", "the API's answers too");
    let token = login.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let index: serde_json::Value = client.get(format!("{base}/api")).send().await.unwrap().json().await.unwrap();
    assert_eq!(index["training"], true, "{index}");

    // The normal server carries no mark.
    let response = client.get(format!("{}/login", app.base)).send().await.unwrap();
    assert!(response.headers().get("x-fengqiao-training").is_none());
    assert!(!response.text().await.unwrap().contains("training-banner"));

    // Nothing leaves a training deployment: a registration queues an SMS and a webhook delivery …
    let key = system_key(&app).await;
    let (url, received) = receiver().await;
    let (status, hook) = app
        .keyed(Method::POST, "/api/v1/webhooks", &key, Some(json!({"url": url, "events": ["case.registered"]})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let case = app.register_keyed(&key).await;
    let training = app.app.clone().with_training();
    let sender = Sender(reqwest::Client::new());
    // … the gateway command would fail every message it were handed: none is handed over.
    jobs::sms::deliver(&training, Some("false")).await.unwrap();
    let admin = app.login("admin").await;
    let (status, outbox) = app.get("/api/v1/outbox", &admin).await;
    assert_eq!(status, StatusCode::OK, "{outbox}");
    let statuses: Vec<&str> = outbox.as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert!(!statuses.is_empty() && statuses.iter().all(|s| *s == "kept"), "kept for the administrator: {statuses:?}");
    assert_eq!(jobs::webhooks::deliver(&training, &sender).await.unwrap(), 0);
    assert!(received.lock().unwrap().is_empty(), "no webhook posted");
    let (_, log) = app.keyed(Method::GET, &format!("/api/v1/webhooks/{}/deliveries", hook["id"]), &key, None).await;
    assert_eq!(log.as_array().unwrap().len(), 1, "queued in the log: {log}");
    assert!(log[0]["delivered_at"].is_null(), "{log}");

    // A document it makes says it is practice: the case file's PDF, marked in its title.
    let zip = client.get(format!("{base}/api/v1/cases/{}/file", case["id"])).bearer_auth(token).send().await.unwrap();
    assert_eq!(zip.status(), StatusCode::OK);
    let files = crate::casefile::entries(&zip.bytes().await.unwrap());
    assert!(crate::support::pdf_text(&app, &files[0].1).contains("【培训】无法律效力"), "the case file is marked");

    // The same queue, served by a normal deployment, delivers.
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    assert_eq!(received.lock().unwrap().len(), 1);
}
