//! What reaches the parties, on SQLite and on PostgreSQL: the signing SMS's delivery state per
//! party as the mediator sees it, resending to one party (the old link and code refused, the
//! new ones accepted, the limits), the link to copy.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::mediation::{SIGNATURE, case_with_the_mediator, links};
use crate::on_both_backends;
use crate::support::{TestApp, ui_get, ui_post, ui_session};

on_both_backends!(the_mediator_follows_and_resends_the_signing_sms,);

/// The delivery states the case page shows, party by party.
fn sms_states(html: &str) -> Vec<&str> {
    html.split("data-sms-state=\"").skip(1).filter_map(|rest| rest.split('"').next()).collect()
}

async fn the_mediator_follows_and_resends_the_signing_sms(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = case_with_the_mediator(&app).await;
    let (status, agreement) = app
        .post(
            &format!("/api/v1/cases/{}/agreements", case["id"]),
            &mediator,
            json!({"matters": "漏水赔偿", "terms": [{"text": "李明赔偿王建国房屋修复费用八千元"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agreement}");
    let id = agreement["id"].as_i64().unwrap();
    let (status, _) = app.post(&format!("/api/v1/agreements/{id}/signing"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK);
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
    assert_eq!(handed, 2, "two signing SMS");
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
