//! Mediation to agreement through the API, on SQLite and on PostgreSQL: drafting, signing by
//! one-time link and SMS code, the mediator's signature and the seal, the PDF read back with
//! pdftotext, electronic service receipts, the joint confirmation and the court's ruling,
//! performance, evidence — and every refusal the issue names, each changing nothing.

use domain::ids::{CaseId, UserId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number};

on_both_backends!(
    an_agreement_from_draft_to_confirmation_and_performance,
    evidence_uploads_are_checked,
    sessions_refusal_and_the_choice_of_mediator,
    personal_status_is_signed_on_paper_and_oral_agreements_take_effect_at_once,
    parties_signing_at_the_same_moment_are_all_recorded_and_sealed,
    an_agreement_takes_effect_when_its_copies_cannot_be_rendered_and_the_scheduler_fixes_them,
    fifty_parallel_wrong_codes_are_checked_at_most_five_times,
    a_mediator_chosen_by_the_street_centre_gets_the_case,
    no_signing_code_is_sent_to_a_landline,
);

/// A landline receives no SMS: sending for signing is refused, naming the party, and nothing
/// is sent.
async fn no_signing_code_is_sent_to_a_landline(app: TestApp) {
    let (case, mediator) = case_with_the_mediator_and_phone(&app, "0931-8888888").await;
    let agreement = repairs_drafted(&app, &case, &mediator).await;
    let (status, error) =
        app.post(&format!("/api/v1/agreements/{}/signing", agreement["id"]), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "parties[1].phone");
    assert!(error["error"]["message"].as_str().unwrap().contains("李明"), "{error}");
    assert!(links(&app, "/sign/").await.is_empty(), "nothing sent");
}

/// The street centre handles the case and chooses the committee's mediator: the committee
/// joins as an assisting unit, so the case is in its work list and the mediator may mediate;
/// a mediator of another unit chosen instead takes the committee's place.
async fn a_mediator_chosen_by_the_street_centre_gets_the_case(app: TestApp) {
    let intake = app.login("intake").await;
    let case =
        app.register(&intake, crate::support::registration(&id_number("620102", "19800101", 31), "13911223344")).await;
    let district = app.login("district").await;
    let street = app.login("street_a").await;
    let street_unit = app.unit_id("张掖路街道综治中心").await;
    let (status, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": street_unit})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let (status, case) = app.act(&street, &case, json!({"action": "sign"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let mediator = app.login("mediator").await;
    let (_, me) = app.get("/api/v1/auth/me", &mediator).await;
    let id = case["id"].as_i64().unwrap();
    let sessions = format!("/api/v1/cases/{id}/sessions");
    let session =
        json!({"mode": "in_person", "scheduled_at": "2026-12-01T09:30:00+08:00", "place": "张掖路街道调解室"});
    let (status, _) = app.post(&sessions, &mediator, session.clone()).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND, "not yet the mediator's: {status}");

    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/cases/{id}/mediator"),
            Some(&street),
            Some(json!({"user_id": me["id"], "chosen_by": "centre"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, case) = app.get(&format!("/api/v1/cases/{id}"), &mediator).await;
    assert!(case["assist_unit_ids"].as_array().unwrap().contains(&me["unit_id"]), "{case}");
    let (_, open) = app.get("/api/v1/work/open", &mediator).await;
    assert!(open["items"].as_array().unwrap().iter().any(|c| c["id"] == id), "in the committee's work list: {open}");
    let (status, body) = app.post(&sessions, &mediator, session).await;
    assert_eq!(status, StatusCode::CREATED, "the mediator mediates: {body}");
}

/// A 1×1 PNG: a handwritten signature as the signing pad sends it.
pub(crate) const SIGNATURE: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==";

/// A neighbour dispute between two people, dispatched to street A1's mediation committee and
/// signed for by its mediator.
pub(crate) async fn case_with_the_mediator(app: &TestApp) -> (Value, String) {
    case_with_the_mediator_and_phone(app, "13987654321").await
}

/// The mediator drafts an agreement for the case of [`case_with_the_mediator`]: 李明 pays for
/// the repairs. The draft as answered.
pub(crate) async fn repairs_drafted(app: &TestApp, case: &Value, mediator: &str) -> Value {
    let draft = json!({"matters": "漏水赔偿", "terms": [{"text": "李明赔偿王建国房屋修复费用八千元"}]});
    let (status, agreement) = app.post(&format!("/api/v1/cases/{}/agreements", case["id"]), mediator, draft).await;
    assert_eq!(status, StatusCode::CREATED, "{agreement}");
    agreement
}

/// The same, the respondent reached at `respondent_phone`.
async fn case_with_the_mediator_and_phone(app: &TestApp, respondent_phone: &str) -> (Value, String) {
    let intake = app.login("intake").await;
    let case = app
        .register(
            &intake,
            json!({
                "channel": "window",
                "description": "楼上住户装修漏水导致楼下住户房屋受损，双方就赔偿数额协商未果。",
                "title": "漏水赔偿",
                "location": {"address": "兰州市城关区张掖路街道中山林社区8号", "region_code": "620102002001"},
                "parties": [
                    {"role": "applicant", "kind": "person", "name": "王建国", "id_number": id_number("620102", "19800101", 11), "phone": "13912345678", "address": "中山林社区8号楼201"},
                    {"role": "respondent", "kind": "person", "name": "李明", "id_number": id_number("620102", "19850505", 22), "phone": respondent_phone, "address": "中山林社区8号楼301"}
                ]
            }),
        )
        .await;
    let district = app.login("district").await;
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    let (status, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": committee})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let mediator = app.login("mediator").await;
    let (status, case) = app.act(&mediator, &case, json!({"action": "sign"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    (case, mediator)
}

/// The links and codes the SMS outbox holds for `path` (`/sign/` or `/served/`), newest first.
pub(crate) async fn links(app: &TestApp, path: &str) -> Vec<(String, Option<String>)> {
    let admin = app.login("admin").await;
    let (status, outbox) = app.get("/api/v1/outbox", &admin).await;
    assert_eq!(status, StatusCode::OK, "{outbox}");
    outbox
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            let body = m["body"].as_str().unwrap();
            let token = body.split(path).nth(1)?.split(|c: char| c.is_whitespace() || c == '，').next()?.to_owned();
            let code = body.split("验证码 ").nth(1).map(|c| c.chars().take(6).collect());
            assert!(m["recipient"].as_str().unwrap().contains("****"), "phones are masked in the outbox");
            Some((token, code))
        })
        .collect()
}

async fn an_agreement_from_draft_to_confirmation_and_performance(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = case_with_the_mediator(&app).await;
    let agreements = format!("/api/v1/cases/{}/agreements", case["id"]);

    // Drafting: every fault named; then a draft, edited once, a stale edit refused.
    let (status, body) = app.post(&agreements, &mediator, json!({"terms": [{"text": "", "due": "2026-02-30"}]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["matters", "terms[0].text", "terms[0].due"]);
    let intake = app.login("intake").await;
    let draft = json!({
        "matters": "漏水造成的房屋损失赔偿数额",
        "responsibilities": "被申请人装修不当，应承担赔偿责任",
        "terms": [
            {"text": "被申请人李明向申请人王建国赔偿房屋修复费用人民币八千元", "due": "2026-11-30"},
            {"text": "被申请人于十日内修复自家卫生间防水层", "due": "2026-11-12"}
        ],
        "performance": "银行转账至申请人账户；修复由物业见证"
    });
    let (status, _) = app.post(&agreements, &intake, draft.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the handling unit's mediator drafts");
    let (status, agreement) = app.post(&agreements, &mediator, draft.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{agreement}");
    assert_eq!((agreement["status"].as_str(), agreement["revision"].as_i64()), (Some("draft"), Some(1)));
    assert_eq!(agreement["content"]["facts"], case["description"], "the facts default to the case's");
    assert!(agreement["paper_required"].is_null());
    let path = format!("/api/v1/agreements/{}", agreement["id"]);
    let mut edit = draft.clone();
    edit["revision"] = json!(1);
    edit["performance"] = json!("银行转账至申请人账户；防水修复由物业见证验收");
    let (status, agreement) = app.call(Method::PUT, &path, Some(&mediator), Some(edit.clone())).await;
    assert_eq!((status, agreement["revision"].as_i64()), (StatusCode::OK, Some(2)), "{agreement}");
    let (status, _) = app.call(Method::PUT, &path, Some(&mediator), Some(edit)).await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale revision is refused");

    // Signing: a link and a code for each party by SMS.
    let (status, agreement) = app.post(&format!("{path}/signing"), &mediator, json!({})).await;
    assert_eq!((status, agreement["status"].as_str()), (StatusCode::OK, Some("signing")), "{agreement}");
    let signing = links(&app, "/sign/").await;
    assert_eq!(signing.len(), 2);
    let (second, first) = (&signing[0], &signing[1]);
    // No link or code rests in plain text; handed to an external gateway, the administrator
    // sees them masked.
    let plain = app.sql_texts("SELECT body FROM outbox").await.join("\n");
    let sealed = app.sql_texts("SELECT body_cipher FROM outbox").await.join("\n");
    for (token, code) in &signing {
        let code = code.as_deref().unwrap();
        assert!(
            !plain.contains(token.as_str()) && !plain.contains(code) && !sealed.contains(token.as_str()),
            "{plain}"
        );
    }
    app.sql("UPDATE outbox SET status = 'sent'").await;
    let masked = links(&app, "/sign/").await;
    assert!(masked.iter().all(|(token, code)| token == "••••••" && code.as_deref() == Some("••••••")), "{masked:?}");
    app.sql("UPDATE outbox SET status = 'kept'").await;
    let sign = |token: &str, code: &str| {
        let body = json!({"code": code, "signature": SIGNATURE});
        let path = format!("/api/v1/sign/{token}");
        let app = &app;
        async move { app.call(Method::POST, &path, None, Some(body)).await }
    };
    let first_code = first.1.clone().unwrap();
    let wrong = if first_code == "000000" { "111111" } else { "000000" };
    let (status, body) = sign(&first.0, wrong).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "{body}");
    let (status, body) = sign("not-a-link", &first_code).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    app.set_now("2026-11-05T09:00:01+08:00");
    let (status, body) = sign(&first.0, &first_code).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("link_expired")), "{body}");
    app.set_now("2026-11-02T10:00:00+08:00");
    let (_, agreement) = app.get(&path, &mediator).await;
    assert!(agreement["parties"][0]["signed_at"].is_null(), "refusals change nothing");
    let (status, view) = sign(&first.0, &first_code).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["party_name"], "王建国");
    let (status, body) = sign(&first.0, &first_code).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_signed")));
    let (status, body) = app.post(&format!("{path}/seal"), &mediator, json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_all_signed")));

    app.set_now("2026-11-02T10:30:00+08:00");
    let (status, _) = sign(&second.0, second.1.as_deref().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(&format!("{path}/mediator-signature"), &mediator, json!({"signature": "data:text/plain;base64,aGk="}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a signature is a PNG");
    let (status, _) = app.post(&format!("{path}/mediator-signature"), &mediator, json!({"signature": SIGNATURE})).await;
    assert_eq!(status, StatusCode::OK);
    app.set_now("2026-11-02T11:00:00+08:00");
    let (status, agreement) = app.post(&format!("{path}/seal"), &mediator, json!({})).await;
    assert_eq!((status, agreement["status"].as_str()), (StatusCode::OK, Some("effective")), "{agreement}");
    assert_eq!(agreement["effective_at"], "2026-11-02T11:00:00+08:00", "effective at the last act: the seal");
    assert!(agreement["confirm_by"].as_str().unwrap().starts_with("2026-12-02"), "{}", agreement["confirm_by"]);
    assert_eq!(agreement["documents"], json!({}), "the seal answers before the copies are typeset");
    // The first download waits for the copies being fixed (or fixes them itself).
    let response = app.client.get(format!("{}{path}/pdf", app.base)).bearer_auth(&mediator).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (_, agreement) = app.get(&path, &mediator).await;
    let documents = agreement["documents"].as_object().unwrap();
    assert_eq!(documents.len(), 3, "the archive copy and one per party: {documents:?}");
    assert_eq!(store::blobs::sha256_hex(&response.bytes().await.unwrap()), documents["archive"].as_str().unwrap());

    // Reminders (the scheduler's pass): a term due within 3 days, the confirmation window's
    // last week; each message once.
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&chrono::Utc);
    let term_due = app.store.agreement_reminders(at("2026-11-10T09:00:00+08:00")).await.unwrap();
    assert_eq!(term_due, 2, "term 2 (due 11-12) to both parties; term 1 is due 11-30");
    assert_eq!(app.store.agreement_reminders(at("2026-11-10T10:00:00+08:00")).await.unwrap(), 0, "sent once");
    let window = app.store.agreement_reminders(at("2026-11-26T09:00:00+08:00")).await.unwrap();
    assert_eq!(window, 2, "the confirmation window closes 12-02");
    let admin = app.login("admin").await;
    let (_, outbox) = app.get("/api/v1/outbox", &admin).await;
    let bodies: Vec<&str> = outbox.as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert!(bodies.iter().any(|b| b.contains("第 2 条应于 2026-11-12 前履行")), "{bodies:?}");
    assert!(bodies.iter().any(|b| b.contains("司法确认")), "{bodies:?}");

    // The PDF: Chinese text extractable, the signed copy's hash in the history.
    let response = app.client.get(format!("{}{path}/pdf", app.base)).bearer_auth(&mediator).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.unwrap();
    assert_eq!(store::blobs::sha256_hex(&pdf), documents["archive"].as_str().unwrap());
    let text = crate::support::pdf_text(&app, &pdf);
    for expected in ["人民调解协议书", "王建国", "李明", "赔偿房屋修复费用人民币八千元", "张掖路街道人民调解委员会"]
    {
        assert!(text.contains(expected), "{expected} not in the PDF text:\n{text}");
    }
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &mediator).await;
    let fixed = events.as_array().unwrap().iter().find(|e| e["action"] == "agreement_documents").unwrap();
    assert_eq!(fixed["data"]["documents"]["archive"], documents["archive"]);

    // Electronic service: a link per party; opening it is the receipt.
    let (status, agreement) = app.post(&format!("{path}/service"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{agreement}");
    assert!(agreement["deliveries"].as_array().unwrap().iter().all(|d| d["opened_at"].is_null()));
    let served = links(&app, "/served/").await;
    assert_eq!(served.len(), 2);
    for (token, _) in &served {
        let response = app.client.get(format!("{}/served/{token}", app.base)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.bytes().await.unwrap().starts_with(b"%PDF"));
    }
    let (_, agreement) = app.get(&path, &mediator).await;
    assert!(agreement["deliveries"].as_array().unwrap().iter().all(|d| d["opened_at"].is_string()), "{agreement}");
    let (status, _) = app.post(&format!("{path}/service"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "served once");

    // Judicial confirmation: joint, within 30 days; the court rules.
    let confirmation = format!("{path}/confirmation");
    let (status, body) = app.post(&confirmation, &mediator, json!({"applicants": [0]})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("applicants")),
        "{body}"
    );
    app.set_now("2026-12-03T09:00:00+08:00");
    let mediator = app.login("mediator").await;
    let (status, body) = app.post(&confirmation, &mediator, json!({"applicants": [0, 1]})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("too_late")), "{body}");
    let (_, agreement) = app.get(&path, &mediator).await;
    assert!(agreement["confirmation"].is_null(), "refusals change nothing");
    app.set_now("2026-11-20T09:00:00+08:00");
    let mediator = app.login("mediator").await;
    let (status, agreement) = app.post(&confirmation, &mediator, json!({"applicants": [0, 1]})).await;
    assert_eq!(status, StatusCode::OK, "{agreement}");
    let package = &agreement["confirmation"]["package"];
    assert_eq!(package["identities"].as_array().unwrap().len(), 2);
    assert!(package["service_addresses"][0]["address"].as_str().unwrap().contains("201"));
    let (status, _) = app.post(&format!("{path}/ruling"), &mediator, json!({"decision": "confirmed"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let court = app.login("court").await;
    let (status, body) = app.post(&format!("{path}/ruling"), &court, json!({"decision": "maybe"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("decision")));
    let (status, agreement) = app.post(&format!("{path}/ruling"), &court, json!({"decision": "confirmed"})).await;
    assert_eq!(
        (status, agreement["confirmation"]["decision"].as_str()),
        (StatusCode::OK, Some("confirmed")),
        "{agreement}"
    );

    // Performance: one term performed, one breached, with the route to enforcement.
    let performance = format!("{path}/performance");
    let (status, _) = app.post(&performance, &mediator, json!({"term": 5, "status": "performed"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.post(&performance, &mediator, json!({"term": 0, "status": "performed", "note": "已转账"})).await;
    let (status, agreement) = app.post(&performance, &mediator, json!({"term": 1, "status": "breached"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(agreement["terms"][0]["status"], "performed");
    assert!(agreement["terms"][1]["remedy"].as_str().unwrap().contains("强制执行"));

    // The case page's timeline names what its events hold: labels, names and times, no codes,
    // ids or raw RFC 3339.
    let session = crate::support::ui_session(&app, "mediator").await;
    let (_, page) =
        crate::support::ui_get(&app, &format!("fq_session={session}"), &format!("/cases/{}", case["id"])).await;
    for raw in ["情况：performed", "情况：breached", "送达对象：[", "T09:", "+08:00", "类型来源：suggested"]
    {
        assert!(!page.contains(raw), "{raw} on the case page");
    }
    assert!(page.contains("情况：已履行") && page.contains("送达对象：王建国、李明"), "labels and names");

    let output = app.cli(&["audit", "verify"], None);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
}

async fn evidence_uploads_are_checked(app: TestApp) {
    let (case, mediator) = case_with_the_mediator(&app).await;
    let path = format!("{}/api/v1/cases/{}/evidence", app.base, case["id"]);
    let upload = |content_type: &'static str, body: Vec<u8>| {
        app.client
            .post(format!("{path}?name=%E7%85%A7%E7%89%87.png"))
            .bearer_auth(&mediator)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let png = b"\x89PNG\r\n\x1a\n-evidence".to_vec();
    let response = upload("image/png", png.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let evidence: Value = response.json().await.unwrap();
    assert_eq!(evidence["sha256"], store::blobs::sha256_hex(&png));
    assert_eq!(evidence["name"], "照片.png");
    let file = app.client.get(format!("{path}/{}", evidence["id"])).bearer_auth(&mediator).send().await.unwrap();
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(
        file.headers()["content-disposition"],
        "attachment; filename=\"evidence.png\"; filename*=UTF-8''%E7%85%A7%E7%89%87.png",
        "saved, never shown in our origin; the uploader's name only percent-encoded"
    );
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(file.headers()[name], value, "{name}");
    }
    assert!(file.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
    assert_eq!(file.bytes().await.unwrap().to_vec(), png, "the file comes back as uploaded");
    let page = app.client.get(format!("{}/login", app.base)).send().await.unwrap();
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let asset = app.client.get(format!("{}/assets/app.css", app.base)).send().await.unwrap();
    assert_eq!(asset.headers()["cache-control"], "public, max-age=3600", "the binary's own assets may be cached");

    let too_big = upload("image/png", [png.clone(), vec![0; 10 * 1024 * 1024]].concat()).await.unwrap();
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let forbidden = upload("application/x-msdownload", b"MZ...".to_vec()).await.unwrap();
    assert_eq!(forbidden.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = forbidden.json().await.unwrap();
    assert_eq!(body["error"]["field"], "content_type");
    let disguised = upload("image/png", b"MZ not a png".to_vec()).await.unwrap();
    assert_eq!(disguised.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (_, list) = app.get(&format!("/api/v1/cases/{}/evidence", case["id"]), &mediator).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "refused uploads leave nothing: {list}");
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &mediator).await;
    let added: Vec<&Value> = events.as_array().unwrap().iter().filter(|e| e["action"] == "evidence_added").collect();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["data"]["sha256"], evidence["sha256"]);
}

async fn sessions_refusal_and_the_choice_of_mediator(app: TestApp) {
    let (case, mediator) = case_with_the_mediator(&app).await;
    let case_path = format!("/api/v1/cases/{}", case["id"]);

    // The registry suggests with reasons; a party's own choice is recorded, a change needs a reason.
    let (status, suggestions) = app.get(&format!("{case_path}/mediators"), &mediator).await;
    assert_eq!(status, StatusCode::OK);
    let first = &suggestions[0];
    assert!(first["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("擅长")), "{first}");
    // Reasons are words in the reader's language: the category's label, not its code.
    assert!(!first["reasons"].to_string().chars().any(|c| c.is_ascii_lowercase()), "{first}");
    let choose = json!({"user_id": first["user_id"], "chosen_by": "party"});
    let (status, chosen) =
        app.call(Method::PUT, &format!("{case_path}/mediator"), Some(&mediator), Some(choose.clone())).await;
    assert_eq!((status, chosen["chosen_by"].as_str()), (StatusCode::OK, Some("party")), "{chosen}");
    let (status, body) = app.call(Method::PUT, &format!("{case_path}/mediator"), Some(&mediator), Some(choose)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));

    // Sessions: a video session needs its link; the minutes wait for every party's
    // acknowledgement of the rights notice and consent to the mediator.
    let sessions = format!("{case_path}/sessions");
    let (status, body) =
        app.post(&sessions, &mediator, json!({"mode": "video", "scheduled_at": "2026-12-01T09:30:00+08:00"})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("link")));
    let (status, session) = app
        .post(&sessions, &mediator, json!({"mode": "in_person", "scheduled_at": "2026-12-01T09:30:00+08:00", "place": "张掖路街道调解室", "disclosure": "无利害关系"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(session["acknowledgements"].as_array().unwrap().len(), 2);
    let session_path = format!("/api/v1/sessions/{}", session["id"]);
    let (status, body) =
        app.post(&format!("{session_path}/minutes"), &mediator, json!({"minutes": "双方陈述意见"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_acknowledged")));
    for party in 0..2 {
        for act in ["rights", "consent"] {
            let (status, body) = app.post(&format!("{session_path}/parties/{party}/{act}"), &mediator, json!({})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    let (status, held) =
        app.post(&format!("{session_path}/minutes"), &mediator, json!({"minutes": "双方陈述意见，同意继续协商"})).await;
    assert_eq!((status, held["status"].as_str()), (StatusCode::OK, Some("held")), "{held}");
    let (status, _) = app.post(&format!("{session_path}/parties/0/minutes"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post(&format!("{session_path}/parties/0/minutes"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "confirmed once");
    app.post(&sessions, &mediator, json!({"mode": "video", "scheduled_at": "2026-12-08T09:30:00+08:00", "link": "https://meet.example.invalid/room/1"})).await;

    // A refusal: the reason is required; then the case is concluded `refused`, sessions cancelled.
    let (status, body) = app.post(&format!("{case_path}/refusal"), &mediator, json!({"party_index": 1})).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let (status, concluded) = app
        .post(&format!("{case_path}/refusal"), &mediator, json!({"party_index": 1, "reason": "不愿调解，要求直接起诉"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{concluded}");
    assert_eq!((concluded["status"].as_str(), concluded["outcome"].as_str()), (Some("concluded"), Some("refused")));
    assert!(concluded["summary"].as_str().unwrap().contains("第二十六条"));
    let (_, list) = app.get(&sessions, &mediator).await;
    assert_eq!(list[1]["status"], "cancelled");
    let (status, _) = app
        .post(
            &sessions,
            &mediator,
            json!({"mode": "in_person", "scheduled_at": "2026-12-09T09:30:00+08:00", "place": "调解室"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "no more sessions after a refusal");

    // The follow-up rates the mediator in the registry.
    let district = app.login("district").await;
    let step = json!({"action": "follow_up", "satisfaction": "basically_satisfied"});
    let (status, _) = app.act(&district, &concluded, step).await;
    assert_eq!(status, StatusCode::OK);
    let (_, suggestions) = app.get(&format!("{case_path}/mediators"), &district).await;
    let rated = suggestions.as_array().unwrap().iter().find(|m| m["user_id"] == chosen["user_id"]).unwrap();
    assert_eq!(rated["rating"], 4.0, "{rated}");
}

async fn personal_status_is_signed_on_paper_and_oral_agreements_take_effect_at_once(app: TestApp) {
    let (case, mediator) = case_with_the_mediator(&app).await;
    let agreements = format!("/api/v1/cases/{}/agreements", case["id"]);
    let inheritance = json!({
        "matters": "父亲遗产房屋的继承分配",
        "terms": [{"text": "房屋由长子王建国继承，王建国补偿李明人民币五万元", "due": "2026-12-31"}]
    });
    let (status, agreement) = app.post(&agreements, &mediator, inheritance).await;
    assert_eq!(status, StatusCode::CREATED, "{agreement}");
    assert!(agreement["paper_required"].as_str().unwrap().contains("电子签名法"), "{agreement}");
    let path = format!("/api/v1/agreements/{}", agreement["id"]);
    let (status, body) = app.post(&format!("{path}/signing"), &mediator, json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("paper_required")), "{body}");
    let (status, signed) = app.post(&format!("{path}/paper-signed"), &mediator, json!({})).await;
    assert_eq!((status, signed["status"].as_str()), (StatusCode::OK, Some("effective")), "{signed}");
    assert_eq!(app.get(&format!("{path}/pdf"), &mediator).await.0, StatusCode::OK);
    let (_, signed) = app.get(&path, &mediator).await;
    assert_eq!(signed["documents"].as_object().unwrap().len(), 3, "{signed}");
    let (status, _) = app.post(&format!("{path}/paper-signed"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "recorded once");

    let oral = json!({"form": "oral", "matters": "楼道堆物", "terms": [{"text": "双方当日清理楼道杂物"}]});
    let (status, oral) = app.post(&agreements, &mediator, oral).await;
    assert_eq!(
        (status, oral["status"].as_str(), oral["form"].as_str()),
        (StatusCode::CREATED, Some("effective"), Some("oral"))
    );
    assert!(oral["effective_at"].is_string() && oral["confirm_by"].is_string(), "{oral}");
}

/// The parties sign one agreement at the same moment, through two connections, round after
/// round: every signature is kept (one record of each, in `agreement_signers`), and a seal
/// racing the last signature either waits for it or is refused — never an effective agreement
/// with a party unsigned.
async fn parties_signing_at_the_same_moment_are_all_recorded_and_sealed(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = case_with_the_mediator(&app).await;
    let agreements = format!("/api/v1/cases/{}/agreements", case["id"]);
    let draft = json!({
        "matters": "漏水造成的房屋损失赔偿数额",
        "terms": [{"text": "被申请人李明向申请人王建国赔偿房屋修复费用人民币八千元", "due": "2026-11-30"}]
    });
    let sign = |token: String, code: String| {
        let app = &app;
        async move {
            let body = json!({"code": code, "signature": SIGNATURE});
            app.call(Method::POST, &format!("/api/v1/sign/{token}"), None, Some(body)).await
        }
    };
    for round in 0..8 {
        let (status, agreement) = app.post(&agreements, &mediator, draft.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{agreement}");
        let path = format!("/api/v1/agreements/{}", agreement["id"]);
        let (status, _) = app.post(&format!("{path}/signing"), &mediator, json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let signing = links(&app, "/sign/").await;
        let (second, first) = (signing[0].clone(), signing[1].clone());
        if round % 2 == 0 {
            // Both parties at once, then the mediator and the seal.
            let (a, b) = tokio::join!(sign(first.0, first.1.unwrap()), sign(second.0, second.1.unwrap()));
            assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "round {round}: {} {}", a.1, b.1);
            let (_, agreement) = app.get(&path, &mediator).await;
            let signed = agreement["parties"].as_array().unwrap().iter().filter(|p| p["signed_at"].is_string());
            assert_eq!(signed.count(), 2, "round {round}: both signatures kept: {}", agreement["parties"]);
            let (status, _) =
                app.post(&format!("{path}/mediator-signature"), &mediator, json!({"signature": SIGNATURE})).await;
            assert_eq!(status, StatusCode::OK);
            let (status, agreement) = app.post(&format!("{path}/seal"), &mediator, json!({})).await;
            assert_eq!((status, agreement["status"].as_str()), (StatusCode::OK, Some("effective")), "{agreement}");
        } else {
            // The seal races the last party's signature.
            let (status, _) = sign(first.0, first.1.unwrap()).await;
            assert_eq!(status, StatusCode::OK);
            let (status, _) =
                app.post(&format!("{path}/mediator-signature"), &mediator, json!({"signature": SIGNATURE})).await;
            assert_eq!(status, StatusCode::OK);
            let seal_path = format!("{path}/seal");
            let seal = app.post(&seal_path, &mediator, json!({}));
            let (signed, sealed) = tokio::join!(sign(second.0, second.1.unwrap()), seal);
            let (_, agreement) = app.get(&path, &mediator).await;
            let unsigned = agreement["parties"].as_array().unwrap().iter().filter(|p| p["signed_at"].is_null()).count();
            match agreement["status"].as_str() {
                Some("effective") => {
                    assert_eq!(unsigned, 0, "round {round}: sealed with a party unsigned: {agreement}");
                    assert_eq!(signed.0, StatusCode::OK, "round {round}: the seal waited for the signature");
                }
                _ => {
                    assert_eq!(sealed.0, StatusCode::CONFLICT, "round {round}: {}", sealed.1);
                    assert_eq!((signed.0, unsigned), (StatusCode::OK, 0), "round {round}: {}", signed.1);
                }
            }
        }
    }
}

/// What was signed is what is served, and a renderer that fails at that moment (no fonts) does
/// not make the client believe the agreement failed: it is in effect, and the scheduler's next
/// pass fixes its copies and records their hashes.
async fn an_agreement_takes_effect_when_its_copies_cannot_be_rendered_and_the_scheduler_fixes_them(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = case_with_the_mediator(&app).await;
    let no_fonts = app.data_dir.join("no-fonts");
    std::fs::create_dir_all(&no_fonts).unwrap();
    let clock_ms = app.clock_ms.clone();
    let clock = std::sync::Arc::new(move || {
        chrono::DateTime::from_timestamp_millis(clock_ms.load(std::sync::atomic::Ordering::SeqCst)).unwrap()
    });
    let search = std::sync::Arc::new(search::SearchIndex::open(&app.data_dir.join("search-fontless")).unwrap());
    let fontless =
        app::App::new(app.store.clone(), clock, "fontless", search, &app.data_dir).with_font_dir(no_fonts.clone());
    let (_, me) = app.get("/api/v1/auth/me", &mediator).await;
    let viewer = app.store.viewer(UserId(me["id"].as_i64().unwrap())).await.unwrap();
    let oral = domain::mediation::AgreementInput {
        matters: Some("漏水赔偿".into()),
        terms: Some(vec![domain::mediation::TermInput { text: Some("当场赔偿两千元".into()), due: None }]),
        form: Some("oral".into()),
        ..Default::default()
    };
    let view = fontless.agreement_draft(&viewer, CaseId(case["id"].as_i64().unwrap()), oral).await.unwrap();
    assert_eq!(view.status, domain::mediation::AgreementStatus::Effective, "reached orally: in effect at once");
    assert!(view.documents.is_empty(), "no copies without fonts");
    let path = format!("/api/v1/agreements/{}", view.id);
    let (status, body) = app.get(&format!("{path}/pdf"), &mediator).await;
    assert_eq!(status, StatusCode::OK, "the first download fixes the copies: {body}");
    let (_, agreement) = app.get(&path, &mediator).await;
    assert_eq!(agreement["documents"].as_object().unwrap().len(), 3, "{agreement}");

    // The same through the scheduler: a second oral agreement, then one pass.
    let oral = domain::mediation::AgreementInput {
        matters: Some("修复费用".into()),
        terms: Some(vec![domain::mediation::TermInput { text: Some("三日内修复".into()), due: None }]),
        form: Some("oral".into()),
        ..Default::default()
    };
    let view = fontless.agreement_draft(&viewer, CaseId(case["id"].as_i64().unwrap()), oral).await.unwrap();
    assert!(view.documents.is_empty());
    jobs::run_once(&app.app, None).await;
    let (_, agreement) = app.get(&format!("/api/v1/agreements/{}", view.id), &mediator).await;
    let documents = agreement["documents"].as_object().unwrap();
    assert_eq!(documents.len(), 3, "fixed by the scheduler: {agreement}");
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &mediator).await;
    let recorded = events.as_array().unwrap().iter().filter(|e| e["action"] == "agreement_documents").count();
    assert_eq!(recorded, 2, "each agreement's copies recorded once in the history");
}

/// The signing code's limit holds under concurrency (issue 12, defect 4): fifty wrong codes sent
/// at once are compared at most five times; the rest, and then the right code, find the link
/// locked.
async fn fifty_parallel_wrong_codes_are_checked_at_most_five_times(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = case_with_the_mediator(&app).await;
    let draft = json!({"matters": "漏水赔偿", "terms": [{"text": "赔偿两千元"}]});
    let (status, agreement) = app.post(&format!("/api/v1/cases/{}/agreements", case["id"]), &mediator, draft).await;
    assert_eq!(status, StatusCode::CREATED, "{agreement}");
    let path = format!("/api/v1/agreements/{}", agreement["id"]);
    let (status, _) = app.post(&format!("{path}/signing"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (token, code) = links(&app, "/sign/").await.remove(0);
    let code = code.unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let url = format!("/api/v1/sign/{token}");
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (client, url) = (app.client.clone(), format!("{}{url}", app.base));
        let body = json!({"code": wrong, "signature": SIGNATURE});
        tries.spawn(async move {
            let response = client.post(url).json(&body).send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap_or(Value::Null))
        });
    }
    let answers = tries.join_all().await;
    let checked =
        answers.iter().filter(|(s, b)| *s == StatusCode::UNPROCESSABLE_ENTITY && b["error"]["field"] == "code").count();
    let locked =
        answers.iter().filter(|(s, b)| *s == StatusCode::CONFLICT && b["error"]["code"] == "too_many_attempts").count();
    assert_eq!((checked, locked), (5, 45), "{answers:?}");
    let (status, body) = app.call(Method::POST, &url, None, Some(json!({"code": code, "signature": SIGNATURE}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("too_many_attempts")), "{body}");
}
