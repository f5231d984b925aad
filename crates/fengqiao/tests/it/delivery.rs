//! What reaches the parties, on SQLite and on PostgreSQL: the signing SMS's delivery state per
//! party as the mediator sees it, resending to one party (the old link and code refused, the
//! new ones accepted, the limits), the link to copy; the applicant's SMS at registration and
//! at conclusion, and the receipt (受理回执) they take home — in the UI and through the API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::mediation::{SIGNATURE, case_with_the_mediator, links, repairs_drafted};
use crate::on_both_backends;
use crate::support::{TestApp, id_number, ui_get, ui_post, ui_session};

on_both_backends!(
    the_mediator_follows_and_resends_the_signing_sms,
    applicants_are_told_by_sms_at_registration_and_at_conclusion,
    the_receipt_says_who_handles_the_case_and_what_happens_next,
    the_delivery_state_resend_links_and_receipt_through_the_api,
);

/// The messages in the outbox as the administrator reads them, newest first: (recipient, body).
async fn outbox(app: &TestApp) -> Vec<(String, String)> {
    let admin = app.login("admin").await;
    let (status, outbox) = app.get("/api/v1/outbox", &admin).await;
    assert_eq!(status, StatusCode::OK, "{outbox}");
    let messages = outbox.as_array().unwrap().iter();
    messages.map(|m| (m["recipient"].as_str().unwrap().to_owned(), m["body"].as_str().unwrap().to_owned())).collect()
}

/// The delivery states the case page shows, party by party.
fn sms_states(html: &str) -> Vec<&str> {
    html.split("data-sms-state=\"").skip(1).filter_map(|rest| rest.split('"').next()).collect()
}

/// At 09:00 on 2026-11-02, a case of the committee's mediator with an agreement sent for
/// signing to its two parties: the case, the mediator's token, the agreement as answered.
async fn sent_for_signing(app: &TestApp) -> (Value, String, Value) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = case_with_the_mediator(app).await;
    let agreement = repairs_drafted(app, &case, &mediator).await;
    let (status, agreement) =
        app.post(&format!("/api/v1/agreements/{}/signing", agreement["id"]), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{agreement}");
    (case, mediator, agreement)
}

async fn the_mediator_follows_and_resends_the_signing_sms(app: TestApp) {
    let (case, _, agreement) = sent_for_signing(&app).await;
    let id = agreement["id"].as_i64().unwrap();
    let signing = links(&app, "/sign/").await;
    let (respondent, applicant) = (signing[0].clone(), signing[1].clone());

    // The delivery state per party: queued, then what the gateway answered.
    let session = ui_session(&app, "mediator").await;
    let cookies = format!("fq_session={session}");
    let case_page = format!("/cases/{}", case["id"]);
    let (_, html) = ui_get(&app, &cookies, &case_page).await;
    assert_eq!(sms_states(&html), ["queued", "queued"]);
    // The link to copy is the one the SMS carries; the code is never on the page.
    assert!(html.contains(&format!("/sign/{}\"", respondent.0)), "the respondent's link to copy");
    assert!(!html.contains(respondent.1.as_deref().unwrap()), "no code on the page");
    let handed = jobs::sms::deliver(&app.app, Some("false")).await.unwrap();
    assert_eq!(handed, 4, "the registration and dispatch SMS and two signing SMS");
    let (_, html) = ui_get(&app, &cookies, &case_page).await;
    assert_eq!(sms_states(&html), ["failed", "failed"]);
    // Nobody outside the handling unit sees a link.
    let intake = ui_session(&app, "intake").await;
    let (_, html) = ui_get(&app, &format!("fq_session={intake}"), &case_page).await;
    assert!(!html.contains("/sign/") && !html.contains("data-copy"), "no link for the intake clerk");

    // Resend to the respondent: a new link and code, the old ones refused.
    let resend = format!("/agreements/{id}/resend");
    let (status, flash) = ui_post(&app, &session, &case_page, &resend, &[("party", "1")]).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "error"), "not within a minute of the last");
    app.set_now("2026-11-02T09:02:00+08:00");
    let (status, flash) = ui_post(&app, &session, &case_page, &resend, &[("party", "1")]).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));
    let resent = links(&app, "/sign/").await;
    assert_eq!(resent.len(), 3, "one more signing SMS");
    let fresh = resent[0].clone();
    assert_ne!(fresh.0, respondent.0);
    let (_, html) = ui_get(&app, &cookies, &case_page).await;
    assert_eq!(sms_states(&html), ["failed", "queued"], "the new message is queued");
    assert!(html.contains(&format!("/sign/{}\"", fresh.0)) && !html.contains(&respondent.0), "the new link to copy");
    let plain = app.sql_texts("SELECT body FROM outbox").await.join("\n");
    let sealed = app.sql_texts("SELECT COALESCE(link_cipher, '') FROM agreement_signers").await.join("\n");
    let fresh_code = fresh.1.clone().unwrap();
    assert!(!plain.contains(&fresh.0) && !plain.contains(&fresh_code) && !sealed.contains(&fresh.0), "sealed");

    let sign = |token: String, code: String| {
        let app = &app;
        async move {
            let body = json!({"code": code, "signature": SIGNATURE});
            app.call(Method::POST, &format!("/api/v1/sign/{token}"), None, Some(body)).await
        }
    };
    let (status, _) = sign(respondent.0.clone(), respondent.1.clone().unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old link no longer works");
    let (status, body) = sign(fresh.0.clone(), respondent.1.clone().unwrap()).await;
    let code_refused = (status, body["error"]["field"].as_str());
    if respondent.1.as_deref() != Some(fresh_code.as_str()) {
        assert_eq!(code_refused, (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "the old code: {body}");
    }

    // At most three resends per party, then the way out in words.
    for minute in ["09:04", "09:06"] {
        app.set_now(&format!("2026-11-02T{minute}:00+08:00"));
        let (_, flash) = ui_post(&app, &session, &case_page, &resend, &[("party", "1")]).await;
        assert_eq!(flash, "ok");
    }
    app.set_now("2026-11-02T09:08:00+08:00");
    let (status, flash) = ui_post(&app, &session, &case_page, &resend, &[("party", "1")]).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "error"), "a fourth resend is refused");
    assert_eq!(links(&app, "/sign/").await.len(), 5, "nothing more sent");
    let (_, html) = ui_get(&app, &cookies, &case_page).await;
    assert!(html.contains("已不能再重发"), "the page says why");

    // The newest link and code sign; a signed party is sent nothing more.
    let last = links(&app, "/sign/").await[0].clone();
    let (status, body) = sign(last.0.clone(), last.1.clone().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, flash) = ui_post(&app, &session, &case_page, &resend, &[("party", "1")]).await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "error"));
    // The applicant's own limits are untouched by the respondent's.
    let (_, flash) = ui_post(&app, &session, &case_page, &resend, &[("party", "0")]).await;
    assert_eq!(flash, "ok");
    assert_ne!(links(&app, "/sign/").await[0].0, applicant.0);
    let events = app.sql_texts(&format!("SELECT action FROM case_events WHERE case_id = {}", case["id"])).await;
    assert_eq!(events.iter().filter(|a| *a == "agreement_link_resent").count(), 4, "each resend in the history");
}

/// At registration the applicant learns the case's number and what happens next, at dispatch
/// who handles it and by when, at conclusion the outcome; only applicants with a mobile number
/// are sent anything.
async fn applicants_are_told_by_sms_at_registration_and_at_conclusion(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let intake = app.login("intake").await;
    let mut registration = crate::support::registration(&id_number("620102", "19800101", 41), "13911112222");
    let parties = registration["parties"].as_array_mut().unwrap();
    parties[1]["phone"] = json!("13800001111");
    parties.push(json!({"role": "applicant", "kind": "person", "name": "赵六", "phone": "0931-8888888"}));
    let case = app.register(&intake, registration).await;
    let number = case["number"].as_str().unwrap();
    let sent = outbox(&app).await;
    assert_eq!(sent.len(), 1, "only the applicant with a mobile: {sent:?}");
    let (to, body) = &sent[0];
    assert_eq!(to, "139****2222");
    assert!(body.starts_with("【枫桥】李四，") && body.contains(number), "{body}");
    assert!(body.contains("城关区社会治安综合治理中心将于 2026-11-02 09:30 前与您联系"), "{body}");

    let district = app.login("district").await;
    let street = app.login("street_a").await;
    let street_unit = app.unit_id("张掖路街道综治中心").await;
    let (status, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": street_unit})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let sent = outbox(&app).await;
    assert_eq!(sent.len(), 2, "the dispatch is told: {sent:?}");
    assert_eq!(sent[0].0, "139****2222");
    assert!(sent[0].1.contains("已交由张掖路街道综治中心办理") && sent[0].1.contains("前办结"), "{sent:?}");
    let (_, case) = app.act(&street, &case, json!({"action": "sign"})).await;
    assert_eq!(outbox(&app).await.len(), 2, "no SMS for the steps between");
    let conclude = json!({"action": "conclude", "outcome": "resolved", "summary": "公司同意分两期支付"});
    let (status, case) = app.act(&street, &case, conclude).await;
    assert_eq!((status, case["status"].as_str()), (StatusCode::OK, Some("concluded")), "{case}");
    let sent: Vec<(String, String)> = outbox(&app).await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    let (to, body) = &sent[0];
    assert_eq!(to, "139****2222");
    assert!(body.contains(number) && body.contains("已办结，结果：调解成功"), "{body}");
    let stored: Vec<Value> = app.sql_texts("SELECT body FROM outbox").await.into_iter().map(Value::from).collect();
    assert!(stored.iter().all(|b| !b.as_str().unwrap().contains("13911112222")), "no phone number in the text");
}

/// 受理回执: the number, the date, the centre with its telephone, and what happens next by
/// when — from the registration's result and from the case page.
async fn the_receipt_says_who_handles_the_case_and_what_happens_next(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let intake = app.login("intake").await;
    let case =
        app.register(&intake, crate::support::registration(&id_number("620102", "19800101", 51), "13911112222")).await;
    let cookies = format!("fq_session={}", ui_session(&app, "intake").await);
    let receipt = format!("/cases/{}/receipt", case["id"]);
    for from in [format!("/intake/registered/{}", case["id"]), format!("/cases/{}", case["id"])] {
        let (_, html) = ui_get(&app, &cookies, &from).await;
        assert!(html.contains(&format!("href=\"{receipt}\"")), "the receipt is reachable from {from}");
    }
    let (status, html) = ui_get(&app, &cookies, &receipt).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("id=\"receipt-number\">{}<", case["number"].as_str().unwrap())), "{html}");
    assert!(html.contains("<dd id=\"receipt-centre\">城关区社会治安综合治理中心</dd>"), "{html}");
    assert!(html.contains("<dd id=\"receipt-phone\">0931-86"), "the centre's telephone: {html}");
    assert!(html.contains("2026-11-02 09:00"), "registered at");
    assert!(html.contains("2026-11-02 09:30 前"), "contact within 30 minutes: {html}");
    assert!(html.contains("data-print"), "a print button");
    // Only within the scope, like the case.
    let other = format!("fq_session={}", ui_session(&app, "street_b").await);
    let (status, _) = ui_get(&app, &other, &receipt).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// What the UI shows the mediator is in the API too: each party's signing SMS on the
/// agreement (`signing_sms`), a resend with the use case's limits (429 with `Retry-After`
/// within 60 s, 409 past the third), the links to copy, and the receipt as JSON.
async fn the_delivery_state_resend_links_and_receipt_through_the_api(app: TestApp) {
    let (case, mediator, agreement) = sent_for_signing(&app).await;
    let path = format!("/api/v1/agreements/{}", agreement["id"]);
    let sms = agreement["signing_sms"].as_array().unwrap();
    assert_eq!(sms.len(), 2, "{agreement}");
    assert_eq!((sms[1]["delivery"].as_str(), sms[1]["resends_left"].as_i64()), (Some("queued"), Some(3)));
    let sent: Vec<String> = links(&app, "/sign/").await.into_iter().map(|(token, _)| token).collect();
    jobs::sms::deliver(&app.app, Some("false")).await.unwrap();
    let (_, agreement) = app.get(&path, &mediator).await;
    assert_eq!(agreement["signing_sms"][1]["delivery"], "failed", "what the gateway answered");

    // The links to copy: the parties yet to sign, for the handling unit only.
    let (status, copied) = app.get(&format!("{path}/signing-links"), &mediator).await;
    assert_eq!(status, StatusCode::OK, "{copied}");
    let copied: Vec<&str> =
        copied.as_array().unwrap().iter().map(|l| l["url"].as_str().unwrap().rsplit('/').next().unwrap()).collect();
    assert!(
        copied.len() == 2 && copied.iter().all(|token| sent.iter().any(|s| s == token)),
        "the SMS's links: {copied:?} {sent:?}"
    );
    let intake = app.login("intake").await;
    let (status, _) = app.get(&format!("{path}/signing-links"), &intake).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Resend: not within a minute (429, Retry-After), then three times, then no more (409).
    let resend = format!("{path}/parties/1/resend");
    let early = app.client.post(format!("{}{resend}", app.base)).bearer_auth(&mediator).send().await.unwrap();
    assert_eq!(early.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = early.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, _) = app.post(&resend, &intake, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the intake clerk does not mediate");
    let (status, _) = app.post(&format!("{path}/parties/x/resend"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (minute, left) in [("09:02", 2), ("09:04", 1), ("09:06", 0)] {
        app.set_now(&format!("2026-11-02T{minute}:00+08:00"));
        let (status, agreement) = app.post(&resend, &mediator, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{agreement}");
        assert_eq!(agreement["signing_sms"][1]["resends_left"], left);
        assert_eq!(agreement["signing_sms"][1]["delivery"], "queued");
    }
    app.set_now("2026-11-02T09:08:00+08:00");
    let (status, error) = app.post(&resend, &mediator, json!({})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("resend_limit")), "{error}");

    // The receipt as JSON, within the scope like the case.
    let receipt = format!("/api/v1/cases/{}/receipt", case["id"]);
    let (status, body) = app.get(&receipt, &intake).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["case"]["number"], case["number"]);
    assert_eq!(body["centre"], "城关区社会治安综合治理中心");
    assert!(body["centre_phone"].as_str().unwrap().starts_with("0931-86"), "{body}");
    assert!(body["case"]["deadlines"]["respond_by"].is_string(), "what happens next by when");
    let (status, _) = app.get(&receipt, &app.login("street_b").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
