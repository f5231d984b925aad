//! Webhooks (issue 18): a system account subscribes a URL to case events; a small HTTP server
//! in the test plays the other system — it checks each delivery's HMAC-SHA256 signature
//! (computed here, not by the server's code), answers 500 the first time, and the delivery is
//! retried after its backoff and arrives with the same idempotency key. The centre's
//! administrators see a failing delivery on `/admin/webhooks` with its error and replay it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use jobs::webhooks::WebhookSender;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_get, ui_post, ui_session};

on_both_backends!(
    deliveries_are_signed_retried_after_a_500_and_arrive,
    only_system_accounts_subscribe_with_valid_fields,
    the_centre_sees_a_failing_delivery_and_replays_it_when_the_receiver_is_up,
    administrators_look_after_the_webhooks_through_the_api,
);

/// Posts like the binary's sender does (the test cannot link the binary).
pub(crate) struct Sender(pub reqwest::Client);

impl WebhookSender for Sender {
    fn post<'a>(
        &'a self,
        url: &'a str,
        headers: &'a [(&'static str, String)],
        body: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>> {
        Box::pin(async move {
            let mut request = self.0.post(url).header("content-type", "application/json").body(body.to_owned());
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            request.send().await.map(|r| r.status().as_u16()).map_err(|e| e.to_string())
        })
    }
}

/// What the receiver got: each request's headers and raw body.
pub(crate) type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// The other system: answers 500 to its first request, 200 after.
pub(crate) async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let log = received.clone();
    let router = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                log.push((headers, body));
                if log.len() == 1 { axum::http::StatusCode::INTERNAL_SERVER_ERROR } else { axum::http::StatusCode::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, received)
}

pub(crate) fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

pub(crate) async fn system_key(app: &TestApp) -> String {
    let admin = app.login("admin").await;
    let street = app.unit_id("张掖路街道综治中心").await;
    let (status, body) = app
        .post(
            "/api/v1/system-accounts",
            &admin,
            json!({"name": "区法院调解平台", "unit_id": street, "permissions": ["case_register"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["api_key"].as_str().unwrap().to_owned()
}

async fn deliveries_are_signed_retried_after_a_500_and_arrive(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let key = system_key(&app).await;
    let (url, received) = receiver().await;
    let (status, created) = app
        .keyed(
            Method::POST,
            "/api/v1/webhooks",
            &key,
            Some(json!({"url": url, "events": ["case.registered", "case.concluded"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let hook = created["id"].as_i64().unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32, "{secret}");
    let stored = app.sql_texts(&format!("SELECT secret FROM webhooks WHERE id = {hook}")).await;
    assert!(!stored[0].contains(&secret), "the secret is kept encrypted");

    let case = app.register_keyed(&key).await;
    let sender = Sender(reqwest::Client::new());

    // First attempt: the receiver answers 500; the delivery waits for its backoff.
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    assert_eq!(received.lock().unwrap().len(), 1);
    let (status, log) = app.keyed(Method::GET, &format!("/api/v1/webhooks/{hook}/deliveries"), &key, None).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status"], 500);
    assert!(log[0]["delivered_at"].is_null() && log[0]["next_at"].is_string(), "{log}");
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 0, "not due before its backoff");
    assert_eq!(received.lock().unwrap().len(), 1);

    // After the backoff it is sent again, and arrives.
    app.set_now("2026-11-02T09:01:00+08:00");
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    for (headers, body) in &got {
        let signed = headers["x-fengqiao-signature"].to_str().unwrap();
        assert_eq!(signed, signature(&secret, body), "the signature is HMAC-SHA256 of the raw body");
        assert_ne!(signed, signature("another secret", body));
        assert_eq!(headers["content-type"], "application/json");
    }
    assert_eq!(got[0].0["x-fengqiao-delivery"], got[1].0["x-fengqiao-delivery"], "one idempotency key");
    assert_eq!(got[1].0["x-fengqiao-attempt"], "2");
    let body: Value = serde_json::from_slice(&got[1].1).unwrap();
    assert_eq!(body["event"], "case.registered", "{body}");
    assert_eq!(body["case"]["id"], case["id"], "{body}");
    assert_eq!(body["case"]["number"], case["number"], "{body}");
    assert_eq!(body["id"], got[1].0["x-fengqiao-delivery"].to_str().unwrap());
    let (_, log) = app.keyed(Method::GET, &format!("/api/v1/webhooks/{hook}/deliveries"), &key, None).await;
    assert_eq!(log[0]["attempts"], 2, "{log}");
    assert!(log[0]["delivered_at"].is_string(), "{log}");
    let (_, hooks) = app.keyed(Method::GET, "/api/v1/webhooks", &key, None).await;
    assert_eq!(hooks[0]["delivered"], 1, "{hooks}");
    assert_eq!(hooks[0]["events"], json!(["case.concluded", "case.registered"]), "{hooks}");

    // Queued once: another pass sends nothing more; a replay sends it again, same key.
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 0);
    let delivery = log[0]["id"].as_i64().unwrap();
    let (status, _) =
        app.keyed(Method::POST, &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}/replay"), &key, None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].0["x-fengqiao-delivery"], got[0].0["x-fengqiao-delivery"]);

    // Ended: nothing more is queued for it, and it is gone from the list.
    let (status, _) = app.keyed(Method::DELETE, &format!("/api/v1/webhooks/{hook}"), &key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.keyed(Method::DELETE, &format!("/api/v1/webhooks/{hook}"), &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, hooks) = app.keyed(Method::GET, "/api/v1/webhooks", &key, None).await;
    assert_eq!(hooks, json!([]));
    app.keyed(
        Method::POST,
        "/api/v1/cases",
        &key,
        Some(registration(&id_number("620102", "19850101", 2), "13912340002")),
    )
    .await;
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 0);
    assert_eq!(received.lock().unwrap().len(), 3);
}

async fn only_system_accounts_subscribe_with_valid_fields(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let key = system_key(&app).await;
    let admin = app.login("admin").await;
    let good = json!({"url": "https://court.example/hooks", "events": ["case.registered"]});

    let (status, _) = app.call(Method::POST, "/api/v1/webhooks", None, Some(good.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, refused) = app.post("/api/v1/webhooks", &admin, good.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("X-Api-Key"), "{refused}");
    let (status, _) = app.keyed(Method::POST, "/api/v1/webhooks", "fq_wrong", Some(good.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, refused) = app
        .keyed(
            Method::POST,
            "/api/v1/webhooks",
            &key,
            Some(json!({"url": "ftp://court.example/", "events": ["case.registered", "case.exploded"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let fields: Vec<&str> =
        refused["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["url", "events[1]"], "{refused}");
    let words = refused["error"]["fields"][1]["message"].as_str().unwrap();
    assert!(words.contains("case.exploded") && words.contains("case.status_changed"), "{words}");
    let (status, refused) = app
        .keyed(Method::POST, "/api/v1/webhooks", &key, Some(json!({"url": "https://x.example/", "events": []})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "events", "{refused}");
    let (_, hooks) = app.keyed(Method::GET, "/api/v1/webhooks", &key, None).await;
    assert_eq!(hooks, json!([]), "a refused request creates nothing");
    assert_eq!(app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM webhooks").await[0], "0");

    // Another account neither sees nor ends this one's subscription.
    let (status, created) = app.keyed(Method::POST, "/api/v1/webhooks", &key, Some(good)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let other = system_key(&app).await;
    let (_, hooks) = app.keyed(Method::GET, "/api/v1/webhooks", &other, None).await;
    assert_eq!(hooks, json!([]));
    let (status, _) = app.keyed(Method::DELETE, &format!("/api/v1/webhooks/{}", created["id"]), &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The other system's receiver: answers 503 while it is down, 200 once `up` is set.
async fn switchable_receiver() -> (String, Received, Arc<AtomicBool>) {
    let received: Received = Arc::default();
    let up = Arc::new(AtomicBool::new(false));
    let (log, switch) = (received.clone(), up.clone());
    let router = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (log, switch) = (log.clone(), switch.clone());
            async move {
                log.lock().unwrap().push((headers, body));
                if switch.load(Ordering::SeqCst) {
                    axum::http::StatusCode::OK
                } else {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, received, up)
}

/// The delivery key of each request the receiver got, in order.
fn keys(received: &Received) -> Vec<String> {
    received.lock().unwrap().iter().map(|(h, _)| h["x-fengqiao-delivery"].to_str().unwrap().to_owned()).collect()
}

async fn the_centre_sees_a_failing_delivery_and_replays_it_when_the_receiver_is_up(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let key = system_key(&app).await;
    let (url, received, up) = switchable_receiver().await;
    let body = json!({"url": url, "events": ["case.registered"]});
    let (status, created) = app.keyed(Method::POST, "/api/v1/webhooks", &key, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let hook = created["id"].as_i64().unwrap();
    app.register_keyed(&key).await;
    let sender = Sender(reqwest::Client::new());
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    let (_, log) = app.keyed(Method::GET, &format!("/api/v1/webhooks/{hook}/deliveries"), &key, None).await;
    let delivery = log[0]["id"].as_i64().unwrap();
    let delivery_key = log[0]["key"].as_str().unwrap().to_owned();

    // The list: the subscription failing, with its account, unit, counts and last error; the
    // filters combine.
    let admin = ui_session(&app, "admin").await;
    let cookies = format!("fq_session={admin}");
    let (status, list) = ui_get(&app, &cookies, "/admin/webhooks?state=failing").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list.contains(&format!(r#"data-webhook="{hook}" data-state="failing""#)), "{list}");
    assert!(list.contains("区法院调解平台") && list.contains("张掖路街道综治中心"), "{list}");
    assert!(list.contains(r#"<td class="num" data-count="failing">1</td>"#), "{list}");
    assert!(list.contains("HTTP 503") && list.contains("案件登记") && list.contains("共 1 ·"), "{list}");
    let (_, list) = ui_get(&app, &cookies, "/admin/webhooks?state=disabled").await;
    assert!(!list.contains(&format!(r#"data-webhook="{hook}""#)) && list.contains("共 0 ·"), "{list}");
    let (_, systems) = ui_get(&app, &cookies, "/admin/systems").await;
    assert!(systems.contains("/admin/webhooks?account="), "the system account's page links to its webhooks");

    // The log: the delivery failing, its status and error; replayed, it waits with its key.
    let page = format!("/admin/webhooks/{hook}");
    let (status, shown) = ui_get(&app, &cookies, &format!("{page}?state=failing")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert!(shown.contains(&format!(r#"data-delivery="{delivery_key}" data-state="failing""#)), "{shown}");
    assert!(shown.contains(r#"<span class="mono">503</span>"#) && shown.contains("HTTP 503"), "{shown}");
    up.store(true, Ordering::SeqCst);
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 0, "not due before its backoff");
    let replay = format!("{page}/deliveries/{delivery}/replay");
    let (status, flash) = ui_post(&app, &admin, &page, &replay, &[("state", "failing"), ("page", "1")]).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));
    let (_, shown) = ui_get(&app, &cookies, &page).await;
    assert!(shown.contains(&format!(r#"data-delivery="{delivery_key}" data-state="waiting""#)), "{shown}");
    assert!(shown.contains("系统管理员"), "the replay is recorded with who did it: {shown}");
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1, "the receiver, up now, gets it");
    assert_eq!(keys(&received), [delivery_key.clone(), delivery_key.clone()], "the same idempotency key");
    let (_, shown) = ui_get(&app, &cookies, &page).await;
    assert!(shown.contains(&format!(r#"data-delivery="{delivery_key}" data-state="delivered""#)), "{shown}");

    // Disabled, its deliveries queue and wait; enabled, they go.
    let (status, flash) = ui_post(&app, &admin, &page, &format!("{page}/active"), &[("active", "false")]).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));
    app.keyed(
        Method::POST,
        "/api/v1/cases",
        &key,
        Some(registration(&id_number("620102", "19850101", 3), "13912340003")),
    )
    .await;
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 0);
    let (_, list) = ui_get(&app, &cookies, "/admin/webhooks?state=disabled").await;
    assert!(list.contains(&format!(r#"data-webhook="{hook}" data-state="disabled""#)), "{list}");
    assert!(list.contains(r#"<td class="num" data-count="waiting">1</td>"#), "{list}");
    let (status, flash) = ui_post(&app, &admin, &page, &format!("{page}/active"), &[("active", "true")]).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    assert_eq!(received.lock().unwrap().len(), 3);

    // 重发全部失败的: every failing delivery queued again.
    up.store(false, Ordering::SeqCst);
    app.keyed(
        Method::POST,
        "/api/v1/cases",
        &key,
        Some(registration(&id_number("620102", "19850101", 4), "13912340004")),
    )
    .await;
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    up.store(true, Ordering::SeqCst);
    let (status, flash) = ui_post(&app, &admin, &page, &format!("{page}/replay-failing"), &[]).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    let undelivered = format!(
        "SELECT CAST(COUNT(*) AS TEXT) FROM webhook_deliveries WHERE webhook_id = {hook} AND delivered_at IS NULL"
    );
    assert_eq!(app.sql_texts(&undelivered).await[0], "0");
    let actions = format!("SELECT action FROM webhook_admin_actions WHERE webhook_id = {hook} ORDER BY id");
    assert_eq!(app.sql_texts(&actions).await, ["replay", "disable", "enable", "replay_failing"]);

    // No one but an administrator: the pages and the forms are refused, nothing is queued.
    for name in ["leader", "intake", "street_a"] {
        let session = ui_session(&app, name).await;
        let (status, _) = ui_get(&app, &format!("fq_session={session}"), "/admin/webhooks").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        let (status, _) = ui_get(&app, &format!("fq_session={session}"), &page).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
        let (status, _) = ui_post(&app, &session, "/workbench", &replay, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
    }
    let (status, _) = ui_get(&app, "", "/admin/webhooks").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "to the sign-in");
    let leader = app.login("leader").await;
    let (status, _) =
        app.post(&format!("/api/v1/webhook-subscriptions/{hook}/replay-failing"), &leader, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.keyed(Method::GET, "/api/v1/webhook-subscriptions", &key, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a system account's key is no administrator");
    assert_eq!(app.sql_texts(&actions).await.len(), 4, "nothing more was done");
}

async fn administrators_look_after_the_webhooks_through_the_api(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let key = system_key(&app).await;
    let (url, received, up) = switchable_receiver().await;
    let body = json!({"url": url, "events": ["case.registered"]});
    let (_, created) = app.keyed(Method::POST, "/api/v1/webhooks", &key, Some(body)).await;
    let hook = created["id"].as_i64().unwrap();
    app.register_keyed(&key).await;
    let sender = Sender(reqwest::Client::new());
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    let admin = app.login("admin").await;

    let (status, page) = app.get("/api/v1/webhook-subscriptions?state=failing", &admin).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1, "{page}");
    let listed = &page["items"][0];
    assert_eq!((listed["id"].as_i64(), listed["state"].as_str()), (Some(hook), Some("failing")), "{page}");
    assert_eq!((listed["failing"].as_i64(), listed["waiting"].as_i64()), (Some(1), Some(0)), "{page}");
    assert_eq!(listed["last_error"], "HTTP 503", "{page}");
    assert_eq!(listed["unit_name"], "张掖路街道综治中心", "{page}");
    let account = listed["account_id"].as_i64().unwrap();
    let (_, page) = app.get(&format!("/api/v1/webhook-subscriptions?account={account}&state=disabled"), &admin).await;
    assert_eq!(page["total"], 0, "the filters combine: {page}");
    let (status, refused) = app.get("/api/v1/webhook-subscriptions?state=broken", &admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "state", "{refused}");

    let (status, log) =
        app.get(&format!("/api/v1/webhook-subscriptions/{hook}/deliveries?state=failing"), &admin).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert_eq!((log["total"].as_i64(), log["items"][0]["last_status"].as_i64()), (Some(1), Some(503)), "{log}");
    let delivery = log["items"][0]["id"].as_i64().unwrap();
    let (status, _) = app.get("/api/v1/webhook-subscriptions/999999/deliveries", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    up.store(true, Ordering::SeqCst);
    let replay = format!("/api/v1/webhook-subscriptions/{hook}/deliveries/{delivery}/replay");
    let (status, replayed) = app.post(&replay, &admin, json!({})).await;
    assert_eq!((status, replayed["replayed"].as_i64()), (StatusCode::ACCEPTED, Some(1)), "{replayed}");
    assert_eq!(jobs::webhooks::deliver(&app.app, &sender).await.unwrap(), 1);
    assert_eq!(keys(&received)[0], keys(&received)[1], "the same idempotency key");

    let active = format!("/api/v1/webhook-subscriptions/{hook}/active");
    let (status, refused) = app.call(Method::PUT, &active, Some(&admin), Some(json!({}))).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("active")),
        "{refused}"
    );
    let (status, _) = app.call(Method::PUT, &active, Some(&admin), Some(json!({"active": false}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = app.get("/api/v1/webhook-subscriptions?state=disabled", &admin).await;
    assert_eq!(page["items"][0]["id"].as_i64(), Some(hook), "{page}");
    let (_, hooks) = app.keyed(Method::GET, "/api/v1/webhooks", &key, None).await;
    assert_eq!(hooks[0]["active"], false, "the system sees its subscription disabled: {hooks}");

    // Ended by its system: the log stays readable, nothing more can be replayed or switched.
    let (status, _) = app.keyed(Method::DELETE, &format!("/api/v1/webhooks/{hook}"), &key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = app.get("/api/v1/webhook-subscriptions?state=ended", &admin).await;
    assert_eq!(page["items"][0]["id"].as_i64(), Some(hook), "{page}");
    let (status, refused) = app.post(&replay, &admin, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let (status, _) = app.call(Method::PUT, &active, Some(&admin), Some(json!({"active": true}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app.get(&format!("/api/v1/webhook-subscriptions/{hook}/deliveries"), &admin).await;
    assert_eq!(status, StatusCode::OK);
}
