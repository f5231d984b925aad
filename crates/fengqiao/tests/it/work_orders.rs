//! 12345 work orders (issue 18) end to end: a small HTTP server in the test plays the hotline —
//! it sends orders with its API key, subscribes to webhooks, and receives the centre's 签收,
//! 退单 (with the reason), the result and the follow-up, each signed (checked here) and retried
//! after it answers 500. Orders also come as a workbook, all or nothing, never twice.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_post, ui_session, workbook};
use crate::webhooks::{Sender, receiver, signature};

on_both_backends!(
    orders_are_idempotent_answered_within_limits_and_told_back_by_webhook,
    limits_are_administrators_data_and_the_page_lists_and_answers,
    a_workbook_of_orders_is_received_whole_or_not_at_all_and_never_twice,
    a_workbook_of_orders_names_a_region_it_does_not_know_in_the_preview,
);

async fn hotline_key(app: &TestApp) -> String {
    let admin = app.login("admin").await;
    let street = app.unit_id("张掖路街道综治中心").await;
    let body = json!({"name": "12345 热线平台", "unit_id": street, "permissions": ["case_register"]});
    let (status, body) = app.post("/api/v1/system-accounts", &admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["api_key"].as_str().unwrap().to_owned()
}

fn order(reference: &str, seq: u32) -> Value {
    let mut body = registration(&id_number("620102", "19850101", seq), "13912340001");
    body["external_ref"] = json!(reference);
    body
}

async fn send(app: &TestApp, key: &str, body: Value) -> (StatusCode, Value) {
    app.keyed(Method::POST, "/api/v1/work-orders", key, Some(body)).await
}

async fn orders_are_idempotent_answered_within_limits_and_told_back_by_webhook(app: TestApp) {
    // Monday 2 November 2026: 签收 by the end of Tuesday, 退单 by the end of Wednesday.
    app.set_now("2026-11-02T09:00:00+08:00");
    let key = hotline_key(&app).await;
    let (url, received) = receiver().await;
    let events = ["work_order.signed", "work_order.returned", "case.concluded", "case.followed_up"];
    let (status, hook) =
        app.keyed(Method::POST, "/api/v1/webhooks", &key, Some(json!({"url": url, "events": events}))).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();

    // In: 201, then the same reference again is 200 with the same order and case.
    let (status, first) = send(&app, &key, order("GD20261102-0001", 1)).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["state"], "received", "{first}");
    assert_eq!(first["sign_by"], "2026-11-03T23:59:59+08:00", "{first}");
    assert_eq!(first["return_by"], "2026-11-04T23:59:59+08:00", "{first}");
    let (status, again) = send(&app, &key, order("GD20261102-0001", 1)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["case_id"], first["case_id"]);
    let case_id = first["case_id"].as_i64().unwrap();
    let channels = app.sql_texts(&format!("SELECT channel FROM cases WHERE id = {case_id}")).await;
    assert_eq!(channels, ["hotline"]);

    // Refused: no reference (the field named), a person's token, no key.
    let mut bare = order("", 2);
    bare.as_object_mut().unwrap().remove("external_ref");
    let (status, refused) = send(&app, &key, bare).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "external_ref", "{refused}");
    let intake = app.login("intake").await;
    let (status, refused) = app.post("/api/v1/work-orders", &intake, order("GD-X", 3)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, _) = app.call(Method::POST, "/api/v1/work-orders", None, Some(order("GD-X", 3))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The centre's list: counted, filtered by state.
    let (status, list) = app.get("/api/v1/work-orders?state=received", &intake).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    let (status, refused) = app.get("/api/v1/work-orders?state=lost", &intake).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("state")));

    // 签收, once.
    let (status, signed) = app.post(&format!("/api/v1/work-orders/{case_id}/sign"), &intake, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!((signed["state"].as_str(), signed["overdue"].as_bool()), (Some("signed"), Some(false)), "{signed}");
    let (status, refused) = app.post(&format!("/api/v1/work-orders/{case_id}/sign"), &intake, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");

    // 退单 needs a reason; it rejects the case.
    let (_, second) = send(&app, &key, order("GD20261102-0002", 4)).await;
    let second_id = second["case_id"].as_i64().unwrap();
    let path = format!("/api/v1/work-orders/{second_id}/return");
    let (status, refused) = app.post(&path, &intake, json!({"reason": " "})).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let (status, returned) =
        app.post(&path, &intake, json!({"reason": "属于市场监管部门职责，非本中心受理范围"})).await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    assert_eq!((returned["state"].as_str(), returned["case_status"].as_str()), (Some("returned"), Some("rejected")));

    // Past the return limit a return is refused; the order is late to acknowledge.
    let (_, third) = send(&app, &key, order("GD20261102-0003", 5)).await;
    let third_id = third["case_id"].as_i64().unwrap();
    app.set_now("2026-11-05T09:00:00+08:00");
    let intake = app.login("intake").await;
    let (status, refused) =
        app.post(&format!("/api/v1/work-orders/{third_id}/return"), &intake, json!({"reason": "非本中心职责"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "work_order_return_closed", "{refused}");
    let (_, late) = app.get(&format!("/api/v1/work-orders/{third_id}"), &intake).await;
    assert_eq!((late["state"].as_str(), late["overdue"].as_bool()), (Some("received"), Some(true)), "{late}");

    // The result and the follow-up of the signed order.
    let street = app.unit_id("张掖路街道综治中心").await;
    let (district, street_a) = (app.login("district").await, app.login("street_a").await);
    let (_, case) = app.get(&format!("/api/v1/cases/{case_id}"), &district).await;
    let mut case = case;
    for (token, step) in [
        (&district, json!({"action": "dispatch", "unit_id": street})),
        (&street_a, json!({"action": "sign"})),
        (&street_a, json!({"action": "conclude", "outcome": "resolved", "summary": "用人单位已支付欠薪"})),
        (&district, json!({"action": "follow_up", "satisfaction": "satisfied"})),
    ] {
        let (status, next) = app.act(token, &case, step).await;
        assert_eq!(status, StatusCode::OK, "{next}");
        case = next;
    }

    // The hotline hears of each: the first attempt answered 500 is retried after its backoff.
    let sender = Sender(reqwest::Client::new());
    jobs::webhooks::deliver(&app.app, &sender).await.unwrap();
    app.set_now("2026-11-05T09:05:00+08:00");
    jobs::webhooks::deliver(&app.app, &sender).await.unwrap();
    let got = received.lock().unwrap().clone();
    let mut arrived = Vec::new();
    for (headers, body) in &got {
        let signed = headers["x-fengqiao-signature"].to_str().unwrap();
        assert_eq!(signed, signature(&secret, body), "signed with the subscription's secret");
        let body: Value = serde_json::from_slice(body).unwrap();
        arrived.push((
            body["event"].as_str().unwrap().to_owned(),
            body["case"]["external_ref"].clone(),
            body["reason"].clone(),
        ));
    }
    assert_eq!(got.len(), 5, "four events, the first sent twice: {arrived:?}");
    assert_eq!(got[0].0["x-fengqiao-delivery"], got[4].0["x-fengqiao-delivery"], "the retry keeps its key");
    let mut events: Vec<&str> = arrived[1..].iter().map(|(e, _, _)| e.as_str()).collect();
    events.sort();
    assert_eq!(events, ["case.concluded", "case.followed_up", "work_order.returned", "work_order.signed"]);
    let returned = arrived.iter().find(|(e, _, _)| e == "work_order.returned").unwrap();
    assert_eq!(returned.1, "GD20261102-0002");
    assert_eq!(returned.2, "属于市场监管部门职责，非本中心受理范围");

    // Every answer is in the case's history, and the history still verifies.
    let actions =
        app.sql_texts(&format!("SELECT action FROM case_events WHERE case_id = {second_id} ORDER BY seq")).await;
    assert!(actions.ends_with(&["reject".to_owned(), "work_order_returned".to_owned()]), "{actions:?}");
    let out = app.cli(&["audit", "verify"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

async fn limits_are_administrators_data_and_the_page_lists_and_answers(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let key = hotline_key(&app).await;
    let admin = app.login("admin").await;
    let (status, limits) = app.get("/api/v1/work-orders/limits", &admin).await;
    assert_eq!(status, StatusCode::OK, "{limits}");
    assert_eq!(limits, json!({"sign_working_days": 1, "return_working_days": 2}));
    let bad = json!({"sign_working_days": 0, "return_working_days": 31});
    let (status, refused) = app.call(Method::PUT, "/api/v1/work-orders/limits", Some(&admin), Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let fields: Vec<&str> =
        refused["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["sign_working_days", "return_working_days"]);
    let good = json!({"sign_working_days": 2, "return_working_days": 3});
    let (status, _) = app.call(Method::PUT, "/api/v1/work-orders/limits", Some(&admin), Some(good.clone())).await;
    assert_eq!(status, StatusCode::OK);
    let (_, limits) = app.get("/api/v1/work-orders/limits", &admin).await;
    assert_eq!(limits, good);

    // The admin form: what was typed stays, the error beside its field.
    let admin_session = ui_session(&app, "admin").await;
    let (status, html) =
        crate::support::ui_get(&app, &format!("fq_session={admin_session}"), "/admin/work-orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"name="sign_working_days" inputmode="numeric" value="2""#), "{html}");
    let typed = [("sign_working_days", "abc"), ("return_working_days", "3")];
    let response =
        crate::support::ui_submit(&app, &admin_session, "/admin/work-orders", "/admin/work-orders", &typed).await;
    let (status, _, html) = crate::support::ui_answer(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(r#"value="abc""#) && html.contains(r#"data-for="sign_working_days">"#), "{html}");
    let (status, flash) = ui_post(
        &app,
        &admin_session,
        "/admin/work-orders",
        "/admin/work-orders",
        &[("sign_working_days", "2"), ("return_working_days", "3")],
    )
    .await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));

    let (_, sent) = send(&app, &key, order("GD-LIMITS-1", 1)).await;
    assert_eq!(sent["sign_by"], "2026-11-04T23:59:59+08:00", "{sent}");
    assert_eq!(sent["return_by"], "2026-11-05T23:59:59+08:00", "{sent}");
    send(&app, &key, order("GD-LIMITS-2", 2)).await;

    // The page: counted, the next action first; 签收 through the form.
    let session = ui_session(&app, "intake").await;
    let cookies = format!("fq_session={session}");
    let (status, html) = crate::support::ui_get(&app, &cookies, "/work-orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"data-total="2""#), "{html}");
    assert!(html.contains(r#"data-work-order="GD-LIMITS-1""#) && html.contains(r#"data-action="sign""#));
    let id = sent["case_id"].as_i64().unwrap();
    let (status, flash) = ui_post(&app, &session, "/work-orders", &format!("/work-orders/{id}/sign"), &[]).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));
    let (status, flash) =
        ui_post(&app, &session, "/work-orders", &format!("/work-orders/{id}/return"), &[("reason", "非本中心职责")])
            .await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "error"), "answered already");
    let (_, html) = crate::support::ui_get(&app, &cookies, "/work-orders").await;
    assert!(html.contains(r#"data-total="1""#), "{html}");
    let (_, html) = crate::support::ui_get(&app, &cookies, "/work-orders?state=signed").await;
    assert!(html.contains("GD-LIMITS-1"), "{html}");

    // 退单 without a reason: the list again, the error beside that order's reason, what was
    // typed kept, nothing answered.
    let second =
        app.sql_texts("SELECT CAST(case_id AS TEXT) FROM work_orders WHERE external_ref = 'GD-LIMITS-2'").await;
    let second = &second[0];
    let blank = [("reason", "   "), ("page", "1")];
    let response =
        crate::support::ui_submit(&app, &session, "/work-orders", &format!("/work-orders/{second}/return"), &blank)
            .await;
    let (status, _, html) = crate::support::ui_answer(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&format!(r#"<p class="error" id="reason-{second}-error">"#)), "{html}");
    assert!(html.contains("退单理由"), "the field named in words");
    let long = "理".repeat(501);
    let typed = [("reason", long.as_str()), ("page", "1")];
    let response =
        crate::support::ui_submit(&app, &session, "/work-orders", &format!("/work-orders/{second}/return"), &typed)
            .await;
    let (status, _, html) = crate::support::ui_answer(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&format!(">{long}</textarea>")), "what was typed is kept");
    let (_, html) = crate::support::ui_get(&app, &cookies, "/work-orders").await;
    assert!(html.contains(r#"data-total="1""#), "nothing answered: {html}");
    let court = ui_session(&app, "court").await;
    let (status, _) = crate::support::ui_get(&app, &format!("fq_session={court}"), "/work-orders").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A workbook of work orders: the template's header (in words), then each row's cells.
fn orders_workbook(rows: &[[&str; 8]]) -> Vec<u8> {
    workbook(
        &["工单编号", "纠纷类型", "行政区划代码", "地址", "申请人姓名", "申请人电话", "被申请人姓名", "纠纷描述"],
        rows,
    )
}

async fn upload(app: &TestApp, key: &str, dry_run: bool, body: Vec<u8>) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{}/api/v1/work-orders/import?dry_run={dry_run}", app.base))
        .header("X-Api-Key", key)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_workbook_of_orders_is_received_whole_or_not_at_all_and_never_twice(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let key = hotline_key(&app).await;
    let good = |n: &'static str| {
        [n, "邻里", "620102002001", "张掖路 5 号", "张三", "13912345678", "李四", "楼上漏水，协商未果"]
    };
    let count = || app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM work_orders");

    // Bad rows among good ones: each named by its row in words, nothing received.
    let bad = orders_workbook(&[
        good("GD-X-1"),
        ["", "邻里", "", "", "王五", "12345", "", "描述"],
        ["GD-X-3", "不存在的类别", "", "", "", "", "", ""],
        good("GD-X-1"),
    ]);
    let (status, report) = upload(&app, &key, true, bad.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["faulted_rows"], json!([3, 4, 5]), "{report}");
    let said: Vec<String> = report["rows"][1]["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(said.iter().any(|m| m.contains("第 3 行") && m.contains("工单编号")), "{said:?}");
    assert!(said.iter().any(|m| m.contains("申请人电话")), "{said:?}");
    let (status, refused) = upload(&app, &key, false, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(count().await, ["0"], "nothing received");

    // A good workbook: every row an order; uploaded again, the same orders (no duplicates).
    let book = orders_workbook(&[good("GD-B-1"), good("GD-B-2")]);
    let (status, report) = upload(&app, &key, true, book.clone()).await;
    assert_eq!((status, report["importable"].as_u64()), (StatusCode::OK, Some(2)), "{report}");
    assert_eq!(count().await, ["0"], "a dry run receives nothing");
    let (status, report) = upload(&app, &key, false, book.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!((report["created"].as_u64(), report["existing"].as_u64()), (Some(2), Some(0)), "{report}");
    let (status, report) = upload(&app, &key, false, book).await;
    assert_eq!(
        (status, report["created"].as_u64(), report["existing"].as_u64()),
        (StatusCode::CREATED, Some(0), Some(2))
    );
    assert_eq!(count().await, ["2"]);
    // The same number by API is the same order.
    let (status, again) = send(&app, &key, order("GD-B-1", 9)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let channels = app.sql_texts("SELECT channel FROM cases c JOIN work_orders w ON w.case_id = c.id").await;
    assert_eq!(channels, ["hotline", "hotline"]);

    // A person's token is refused; the template is an xlsx.
    let intake = app.login("intake").await;
    let response = app
        .client
        .post(format!("{}/api/v1/work-orders/import", app.base))
        .bearer_auth(&intake)
        .body(orders_workbook(&[good("GD-C-1")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let session = ui_session(&app, "intake").await;
    let response = crate::support::browser()
        .get(format!("{}/work-orders/template.xlsx", app.base))
        .header("cookie", format!("fq_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap().starts_with(b"PK"), "an xlsx is a zip");
}

/// A region code of the right form that the organisation does not know is a fault of its row
/// already in the preview, named by row and column in words; nothing is received.
async fn a_workbook_of_orders_names_a_region_it_does_not_know_in_the_preview(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let key = hotline_key(&app).await;
    let row = |n: &'static str, region: &'static str| {
        [n, "邻里", region, "张掖路 5 号", "张三", "13912345678", "李四", "楼上漏水，协商未果"]
    };
    let book = orders_workbook(&[row("GD-R-1", "620199000000"), row("GD-R-2", "620102002001")]);
    let (status, report) = upload(&app, &key, true, book.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!((report["faulted_rows"].clone(), report["importable"].as_u64()), (json!([2]), Some(1)), "{report}");
    let fault = &report["rows"][0]["faults"][0];
    assert_eq!(fault["field"], "line[1].region_code", "{report}");
    let said = fault["message"].as_str().unwrap();
    assert!(said.contains("第 2 行") && said.contains("行政区划代码") && said.contains("不在本系统的辖区内"), "{said}");
    let (status, refused) = upload(&app, &key, false, book).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM work_orders").await, ["0"], "nothing received");
}
