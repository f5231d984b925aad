//! The citizen portal's API (issue 14): sign-in by a code from the outbox, limits, the
//! separation of citizen and staff tokens, and a citizen's isolation from others' cases.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, browser, id_number, registration, ui_answer, ui_get, ui_session, ui_submit};

on_both_backends!(
    a_citizen_brings_follows_and_rates_only_their_own_cases,
    codes_are_limited_per_phone_and_per_address_even_in_parallel,
    a_wrong_used_or_expired_code_answers_401_and_changes_nothing,
    the_portal_pages_sign_in_bring_follow_and_refuse_as_typed,
    the_portal_installs_and_the_receipt_carries_the_tracking_code,
    a_kiosk_started_by_a_clerk_gives_tickets_that_bring_the_visitor_to_the_window,
    parties_bring_evidence_and_answer_each_others_in_the_history,
    a_party_chooses_the_mediator_from_those_offered_once,
    a_party_reads_the_notice_consents_and_confirms_the_minutes_of_a_session,
    a_party_signs_the_agreement_in_the_portal_once,
    a_party_receives_service_and_consents_to_judicial_confirmation_in_the_portal,
    a_party_refuses_mediation_in_the_portal_and_no_session_follows,
    the_real_name_step_links_cases_registered_with_another_phone,
);

/// Asks for a code for `phone` and reads it from the outbox (the administrator's view, the
/// newest first), checking the message's shape on the way.
async fn code_for(app: &TestApp, phone: &str) -> String {
    let (status, body) = app.call(Method::POST, "/api/v1/citizen/code", None, Some(json!({"phone": phone}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let admin = app.login("admin").await;
    let (status, outbox) = app.get("/api/v1/outbox", &admin).await;
    assert_eq!(status, StatusCode::OK, "{outbox}");
    let newest = &outbox[0];
    let masked = format!("{}****{}", &phone[..3], &phone[7..]);
    assert_eq!(newest["recipient"], masked.as_str(), "{newest}");
    for field in ["id", "recipient", "body", "status", "created_at"] {
        assert!(!newest[field].is_null(), "{field} in {newest}");
    }
    let body = newest["body"].as_str().unwrap();
    let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(code.len(), 6, "{body}");
    assert!(body.contains(&code));
    code
}

async fn sign_in(app: &TestApp, phone: &str) -> String {
    let code = code_for(app, phone).await;
    let (status, body) =
        app.call(Method::POST, "/api/v1/citizen/login", None, Some(json!({"phone": phone, "code": code}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["citizen"]["id"].is_i64(), "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// The registration of CONTRACT.md without `channel`, with `phone` as the applicant's.
fn brought(seq: u32, phone: &str) -> Value {
    let mut body = registration(&id_number("620102", "19850101", seq), phone);
    body.as_object_mut().unwrap().remove("channel");
    body
}

async fn a_citizen_brings_follows_and_rates_only_their_own_cases(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (phone_a, phone_b) = ("13912340001", "13912340002");
    let a = sign_in(&app, phone_a).await;

    // Bringing a dispute: online, masked, with its 解纷码; only for one's own phone.
    let (status, refused) = app.post("/api/v1/citizen/cases", &a, brought(1, phone_b)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "parties", "{refused}");
    let (status, mine) = app.post("/api/v1/citizen/cases", &a, brought(2, phone_a)).await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["channel"], "online");
    assert_eq!(mine["status"], "registered");
    // The portal's own account acts for citizens; it is no staff member to administer.
    let admin = format!("fq_session={}", ui_session(&app, "admin").await);
    let (_, users) = ui_get(&app, &admin, "/admin/users?q=portal").await;
    assert!(app.sql_texts("SELECT username FROM users").await.contains(&"@portal".to_owned()));
    assert!(!users.contains("@portal"), "not among the staff");
    assert_eq!(mine["parties"][0]["phone"], "139****0001", "masked as staff see it");
    assert!(mine["parties"][0]["id_number"].as_str().unwrap().contains('*'));
    let tracking = mine["tracking_code"].as_str().unwrap().to_owned();
    assert!(tracking.starts_with("JF") && tracking.len() == 12, "{tracking}");
    assert!(mine["timeline"][0]["text"].as_str().unwrap().contains("登记"), "{}", mine["timeline"]);
    assert!(mine["deadlines"]["respond_by"].is_string(), "{}", mine["deadlines"]);

    // Someone else's case, registered at the window, where A is no party.
    let intake = app.login("intake").await;
    let theirs = app.register(&intake, registration(&id_number("620102", "19850101", 3), phone_b)).await;
    let b = sign_in(&app, phone_b).await;

    // Isolation: by list, by id, by tracking code.
    let (_, list_a) = app.get("/api/v1/citizen/cases", &a).await;
    let ids =
        |list: &Value| list["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(&list_a), vec![mine["id"].as_i64().unwrap()], "{list_a}");
    let (_, list_b) = app.get("/api/v1/citizen/cases", &b).await;
    assert_eq!(ids(&list_b), vec![theirs["id"].as_i64().unwrap()], "{list_b}");
    let (status, _) = app.get(&format!("/api/v1/citizen/cases/{}", theirs["id"]), &a).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let theirs_tracking = list_b["items"][0]["tracking_code"].as_str().unwrap();
    let (status, _) = app.get(&format!("/api/v1/citizen/tracking/{theirs_tracking}"), &a).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, found) = app.get(&format!("/api/v1/citizen/tracking/{tracking}"), &a).await;
    assert_eq!((status, &found["id"]), (StatusCode::OK, &mine["id"]));
    let (status, _) = app
        .post(&format!("/api/v1/citizen/cases/{}/rating", theirs["id"]), &a, json!({"satisfaction": "satisfied"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Token separation, both ways.
    let (status, _) = app.get("/api/v1/citizen/cases", &intake).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a staff token on a citizen route");
    for path in ["/api/v1/cases".to_owned(), format!("/api/v1/cases/{}", mine["id"]), "/api/v1/auth/me".to_owned()] {
        let (status, _) = app.get(&path, &a).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "a citizen token on {path}");
    }

    // Staff see the case and move it; the citizen follows in plain words.
    let case = app.get(&format!("/api/v1/cases/{}", mine["id"]), &intake).await.1;
    let (status, events) = app.get(&format!("/api/v1/cases/{}/events", mine["id"]), &intake).await;
    assert_eq!(status, StatusCode::OK);
    assert!(events[0]["actor"].as_str().unwrap().starts_with("citizen:"), "{events}");
    let (status, early) = app
        .post(&format!("/api/v1/citizen/cases/{}/rating", mine["id"]), &a, json!({"satisfaction": "satisfied"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "not before conclusion: {early}");
    let city = app.login("city").await;
    let a1_centre = app.unit_id("张掖路街道综治中心").await;
    let (status, case) = app.act(&city, &case, json!({"action": "dispatch", "unit_id": a1_centre})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let street = app.login("street_a").await;
    let (_, case) = app.act(&street, &case, json!({"action": "sign"})).await;
    let (status, followed) = app.get(&format!("/api/v1/citizen/cases/{}", mine["id"]), &a).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(followed["status"], "in_progress");
    assert_eq!(followed["handler"]["unit_name"], "张掖路街道综治中心", "{}", followed["handler"]);
    let texts: Vec<&str> =
        followed["timeline"].as_array().unwrap().iter().map(|t| t["text"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["您反映的纠纷已登记", "已交由承办单位办理", "承办单位已签收"]);
    let (status, case) =
        app.act(&street, &case, json!({"action": "conclude", "outcome": "unresolved", "summary": "未达成一致"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");

    // Rating "dissatisfied" reopens the case, as the follow-up does; a wrong value changes nothing.
    let rating = format!("/api/v1/citizen/cases/{}/rating", mine["id"]);
    let (status, wrong) = app.post(&rating, &a, json!({"satisfaction": "so-so"})).await;
    assert_eq!((status, wrong["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("satisfaction")));
    let (status, rated) = app.post(&rating, &a, json!({"satisfaction": "dissatisfied", "note": "没有解决"})).await;
    assert_eq!(status, StatusCode::OK, "{rated}");
    assert_eq!(rated["status"], "in_progress", "reopened to the unit that concluded it");
    assert_eq!(rated["satisfaction"], "dissatisfied");
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", mine["id"]), &intake).await;
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(last["action"], "follow_up", "{last}");
    assert!(last["actor"].as_str().unwrap().starts_with("citizen:"), "{last}");
}

async fn codes_are_limited_per_phone_and_per_address_even_in_parallel(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let ask = |phone: String| {
        let request = app.client.post(format!("{}/api/v1/citizen/code", app.base)).json(&json!({"phone": phone}));
        async move { request.send().await.unwrap() }
    };
    let all_at_once = |phones: Vec<String>| {
        let mut set = tokio::task::JoinSet::new();
        for phone in phones {
            set.spawn(ask(phone));
        }
        set.join_all()
    };
    let answers = all_at_once(vec!["13800000001".to_owned(); 50]).await;
    let accepted = answers.iter().filter(|r| r.status() == StatusCode::ACCEPTED).count();
    assert_eq!(accepted, 5, "five codes per phone and hour, however many ask at once");
    let refused = answers.iter().find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).expect("the rest are refused");
    let retry: i64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");

    // Per address: 20 codes an hour over all phones (the five above included).
    let answers = all_at_once((0..30).map(|i| format!("138000001{i:02}")).collect()).await;
    let accepted = answers.iter().filter(|r| r.status() == StatusCode::ACCEPTED).count();
    assert_eq!(accepted, 15);
    // An hour later, codes flow again.
    app.set_now("2026-11-02T10:00:01+08:00");
    assert_eq!(ask("13800000001".into()).await.status(), StatusCode::ACCEPTED);

    // Not a mobile number: no code can reach it.
    let (status, body) =
        app.call(Method::POST, "/api/v1/citizen/code", None, Some(json!({"phone": "0931-8888888"}))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")));
}

async fn a_wrong_used_or_expired_code_answers_401_and_changes_nothing(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let phone = "13700000007";
    let login = |code: String| {
        app.call(Method::POST, "/api/v1/citizen/login", None, Some(json!({"phone": phone, "code": code})))
    };
    let counts = || async {
        app.sql_texts("SELECT CAST((SELECT COUNT(*) FROM citizens) AS TEXT) || '/' || CAST((SELECT COUNT(*) FROM citizen_tokens) AS TEXT)")
            .await
    };

    // Expired: five minutes and a second later the right code is refused.
    let code = code_for(&app, phone).await;
    app.set_now("2026-11-02T09:05:01+08:00");
    let (status, body) = login(code).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_code")), "{body}");
    assert_eq!(counts().await, vec!["0/0"]);

    // Wrong codes count; the right one still works within the limit, once.
    let code = code_for(&app, phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        assert_eq!(login(wrong.into()).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(counts().await, vec!["0/0"], "a wrong code changes nothing");
    let (status, body) = login(code.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(counts().await, vec!["1/1"]);
    assert_eq!(login(code).await.0, StatusCode::UNAUTHORIZED, "a code works once");

    // Past the limit (five tries an hour; the used code above was one): 429, even for what
    // would be the right code.
    let code = code_for(&app, phone).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(login(wrong.into()).await.0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(), 4, "{statuses:?}");
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(login(code).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(counts().await, vec!["1/1"]);
}

/// A portal form posted with the token of the page it came from (the double-submit cookie)
/// and the citizen's cookie, if any.
async fn portal_post(
    app: &TestApp,
    citizen: &str,
    from: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let response = browser().get(format!("{}{from}", app.base)).header("cookie", citizen).send().await.unwrap();
    let token_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok()?.split(';').next().filter(|c| c.starts_with("fq_login=")).map(str::to_owned))
        .next()
        .expect("the page sets its form token");
    let page = response.text().await.unwrap();
    let csrf = page.split("name=\"_csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a form");
    let mut fields = vec![("_csrf", csrf)];
    fields.extend_from_slice(form);
    let cookies = format!("{token_cookie}; {citizen}");
    let response =
        browser().post(format!("{}{path}", app.base)).header("cookie", cookies).form(&fields).send().await.unwrap();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok()?.split(';').next().filter(|c| c.starts_with("fq_citizen=")).map(str::to_owned))
        .next()
        .unwrap_or_default();
    let (status, location, page) = ui_answer(response).await;
    (status, if cookie.is_empty() { location } else { cookie }, page)
}

async fn the_portal_pages_sign_in_bring_follow_and_refuse_as_typed(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let phone = "13612345678";
    let (status, _, page) = portal_post(&app, "", "/portal", "/portal/code", &[("phone", "12345")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("value=\"12345\"") && page.contains("role=\"alert\""), "refused as typed: {page}");
    let (status, _, page) = portal_post(&app, "", "/portal", "/portal/code", &[("phone", phone)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("one-time-code"), "asks for the code: {page}");
    let admin = app.login("admin").await;
    let (_, outbox) = app.get("/api/v1/outbox", &admin).await;
    let code: String = outbox[0]["body"].as_str().unwrap().chars().filter(char::is_ascii_digit).take(6).collect();
    let (status, cookie, _) =
        portal_post(&app, "", "/portal", "/portal/login", &[("phone", phone), ("code", code.as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(cookie.starts_with("fq_citizen="), "{cookie}");

    // A form with a fault comes back as typed, the error beside its field.
    let description = "邻居装修噪音扰民，多次沟通无果。";
    let typed = [("description", description), ("name", "赵六"), ("phone", phone), ("people_count", "0")];
    let (status, _, page) = portal_post(&app, &cookie, "/portal/new", "/portal/new", &typed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains(description) && page.contains("role=\"alert\""), "{page}");
    assert!(page.contains(r#"data-for="people_count" aria-live="polite"><span role="alert">"#), "{page}");
    assert!(!page.contains(r#"data-for="name" aria-live="polite"><span"#), "no error where none: {page}");

    // The live check: the 110 advice as soon as the text calls for it, the fields still
    // missing named; a complete form previews the type, the unit and the deadlines in words.
    let threat = [("description", "他拿着刀说要砍死我，现在就在门口")];
    let (status, _, answer) = portal_post(&app, &cookie, "/portal/new", "/portal/check", &threat).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert!(answer["emergency"].as_str().unwrap().contains("data-emergency"), "{answer}");
    assert!(answer["emergency"].as_str().unwrap().contains("110"), "{answer}");
    assert!(answer["preview"].is_null(), "no route before the form would register: {answer}");
    let fields: Vec<&str> = answer["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"name"), "the missing name is named by its form field: {answer}");
    let mut form = typed.to_vec();
    form[3] = ("people_count", "2");
    form.push(("respondent", "钱七"));
    let (status, _, answer) = portal_post(&app, &cookie, "/portal/new", "/portal/check", &form).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["errors"], json!([]), "{answer}");
    let preview = answer["preview"].as_str().unwrap();
    assert!(preview.contains("将交由") && preview.contains("分钟内会有工作人员与您联系"), "{preview}");
    assert!(answer["emergency"].is_null(), "{answer}");
    let (_, cases_before) = app.get("/api/v1/cases", &app.login("admin").await).await;

    let (status, location, _) = portal_post(&app, &cookie, "/portal/new", "/portal/new", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let case_path = location.strip_suffix("?sent=1").expect("the draft is marked sent");
    assert!(case_path.starts_with("/portal/cases/"), "{location}");
    let (_, cases_after) = app.get("/api/v1/cases", &app.login("admin").await).await;
    assert_eq!(
        cases_after["total"].as_i64(),
        cases_before["total"].as_i64().map(|n| n + 1),
        "the check registered nothing"
    );
    let response = browser().get(format!("{}{location}", app.base)).header("cookie", &cookie).send().await.unwrap();
    let (status, _, page) = ui_answer(response).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("您反映的纠纷已登记") && page.contains("tracking-code"), "{page}");
    assert!(page.contains("data-draft-sent"), "the phone forgets the draft: {page}");
    let qr = page.split(r#"id="tracking-qr""#).nth(1).expect("the 解纷码's QR code");
    assert!(qr.trim_start_matches(|c| c != '<').contains("<svg"), "{qr}");
    let response = browser().get(format!("{}/portal", app.base)).header("cookie", &cookie).send().await.unwrap();
    let page = response.text().await.unwrap();
    assert!(page.contains(&format!("href=\"{case_path}\"")), "the list links the case: {page}");
}

async fn the_portal_installs_and_the_receipt_carries_the_tracking_code(app: TestApp) {
    let response = browser().get(format!("{}/portal/manifest.webmanifest", app.base)).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/manifest+json");
    let manifest: Value = response.json().await.unwrap();
    assert_eq!(manifest["start_url"], "/portal");
    assert_eq!(manifest["display"], "standalone");
    assert!(manifest["icons"][0]["src"].as_str().unwrap().starts_with("/assets/"), "served by us: {manifest}");
    let response = browser().get(format!("{}/portal/sw.js", app.base)).send().await.unwrap();
    assert_eq!(response.headers()["service-worker-allowed"], "/portal");
    let worker = response.text().await.unwrap();
    for shell in ["/assets/app.css", "/assets/portal.js", "/portal/offline"] {
        assert!(worker.contains(shell), "{shell} kept on the phone");
        let status = browser().get(format!("{}{shell}", app.base)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::OK, "{shell}");
    }

    // The window's receipt: the 解纷码 in letters and as a QR code of the portal's link.
    let intake = app.login("intake").await;
    let case = app.register(&intake, registration(&id_number("620102", "19850101", 9), "13712345678")).await;
    let id = case["id"].as_i64().unwrap();
    let session = ui_session(&app, "intake").await;
    let (status, page) = ui_get(&app, &format!("fq_session={session}"), &format!("/cases/{id}/receipt")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let code = page.split(r#"id="receipt-tracking""#).nth(1).expect("the receipt's 解纷码");
    let svg = &code[..code.find("</svg>").expect("a QR code")];
    assert!(svg.contains("<svg"), "{svg}");
    let tracking = &code[code.find("JF").expect("the code in letters")..][..12];
    assert!(tracking[2..].chars().all(|c| c.is_ascii_hexdigit()), "{tracking}");
}

/// The `name=value` pairs a response sets, as one `Cookie` header.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect()
}

/// A form on a kiosk page, posted with the page's double-submit token.
async fn kiosk_post(app: &TestApp, kiosk: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let response = browser().get(format!("{}/kiosk", app.base)).header("cookie", kiosk).send().await.unwrap();
    let token = set_cookies(&response).into_iter().find(|c| c.starts_with("fq_login=")).expect("a form token");
    let page = response.text().await.unwrap();
    let csrf =
        page.split("name=\"_csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("a form").to_owned();
    let mut fields = vec![("_csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    let cookies = format!("{token}; {kiosk}");
    ui_answer(
        browser()
            .post(format!("{}/kiosk/ticket", app.base))
            .header("cookie", cookies)
            .form(&fields)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn a_kiosk_started_by_a_clerk_gives_tickets_that_bring_the_visitor_to_the_window(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    // A browser that is no kiosk: how to start one, and nothing else.
    let (status, page) = ui_get(&app, "", "/kiosk").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("kiosk-setup") && page.contains("/login?next=/kiosk"), "{page}");
    assert!(!page.contains("/kiosk/start"), "no start without a clerk: {page}");

    // A clerk starts it and is signed out on that terminal at once.
    let clerk = ui_session(&app, "intake").await;
    let (_, page) = ui_get(&app, &format!("fq_session={clerk}"), "/kiosk").await;
    assert!(page.contains("/kiosk/start") && page.contains("城关区社会治安综合治理中心"), "{page}");
    let response = ui_submit(&app, &clerk, "/kiosk", "/kiosk/start", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&response);
    let kiosk = cookies.iter().find(|c| c.starts_with("fq_kiosk=")).expect("the kiosk's mark").clone();
    assert!(cookies.iter().any(|c| c == "fq_session="), "the clerk's cookie cleared: {cookies:?}");
    let (status, _) = ui_get(&app, &format!("fq_session={clerk}"), "/workbench").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the clerk's session on the terminal is over");

    // A forged mark (another centre's number with this one's key) is no kiosk.
    let forged = kiosk.replacen("fq_kiosk=", "fq_kiosk=9", 1);
    let (_, page) = ui_get(&app, &forged, "/kiosk").await;
    assert!(page.contains("kiosk-setup"), "{page}");

    // A visitor: a bad phone comes back as typed; then a ticket with a name and a phone.
    let (_, page) = ui_get(&app, &kiosk, "/kiosk").await;
    assert!(page.contains("城关区社会治安综合治理中心") && page.contains("kiosk-ticket"), "{page}");
    let (status, _, page) = kiosk_post(&app, &kiosk, &[("name", "周九"), ("phone", "1380000")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("value=\"周九\"") && page.contains("value=\"1380000\"") && page.contains("role=\"alert\""));
    let (status, location, _) = kiosk_post(&app, &kiosk, &[("name", "周九"), ("phone", "13800001234")]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/kiosk/ticket/001"));
    let (_, page) = ui_get(&app, &kiosk, &location).await;
    assert!(page.contains(">001<") && !page.contains("周九"), "the number, nothing personal: {page}");

    // The window calls it: the form starts with the visitor; registering links the ticket.
    let clerk = ui_session(&app, "intake").await;
    let response = ui_submit(&app, &clerk, "/intake", "/queue/call", &[("counter", "2")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = ui_get(&app, &format!("fq_session={clerk}"), "/intake").await;
    assert!(
        page.contains("from-kiosk") && page.contains("value=\"周九\"") && page.contains("value=\"13800001234\""),
        "{page}"
    );
    let ticket = page.split("name=\"ticket\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = [
        ("ticket", ticket.as_str()),
        ("channel", "window"),
        ("category", "neighbor"),
        ("description", "邻居在楼道堆放杂物，多次协商未果。"),
        ("location.address", "兰州市城关区张掖路街道中山林社区"),
        ("parties[0].role", "applicant"),
        ("parties[0].kind", "person"),
        ("parties[0].name", "周九"),
        ("parties[0].phone", "13800001234"),
    ];
    let response = ui_submit(&app, &clerk, "/intake", "/intake", &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = ui_get(&app, &format!("fq_session={clerk}"), "/intake").await;
    assert!(!page.contains("from-kiosk"), "the ticket has its case: the next form starts empty");

    // The idle timeout's end signs a citizen out on the kiosk.
    let response = browser().post(format!("{}/kiosk/reset", app.base)).header("cookie", &kiosk).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(set_cookies(&response).iter().any(|c| c == "fq_citizen="), "the citizen's cookie cleared");
}

/// Uploads `bytes` as evidence of case `id` for the citizen: status and answer.
async fn upload(app: &TestApp, token: &str, id: i64, content_type: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/citizen/cases/{id}/evidence?name=%E7%85%A7%E7%89%87.png", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn parties_bring_evidence_and_answer_each_others_in_the_history(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (phone_a, phone_b, phone_c) = ("13912350001", "13912350002", "13912350003");
    let a = sign_in(&app, phone_a).await;
    let mut body = brought(40, phone_a);
    body["parties"][1] = json!({"role": "respondent", "kind": "person", "name": "钱七", "phone": phone_b});
    let (status, case) = app.post("/api/v1/citizen/cases", &a, body).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().unwrap();

    // A photo from A: checked by its first bytes, hashed; a file that lies about its type is refused.
    let (status, refused) = upload(&app, &a, id, "image/png", b"GIF89a-not-a-png").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "content_type", "{refused}");
    let png = b"\x89PNG\r\n\x1a\n-a-photo-of-the-wall".to_vec();
    let (status, file) = upload(&app, &a, id, "image/png", &png).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let evidence = file["id"].as_i64().unwrap();
    assert_eq!(file["sha256"].as_str().unwrap().len(), 64);

    // B, the other side, sees it as not theirs and answers it (质证); C, no party, sees nothing.
    let b = sign_in(&app, phone_b).await;
    let (_, seen) = app.get(&format!("/api/v1/citizen/cases/{id}"), &b).await;
    assert_eq!(seen["evidence"][0]["id"], evidence, "{seen}");
    assert_eq!(seen["evidence"][0]["mine"], false);
    let path = format!("/api/v1/citizen/cases/{id}/evidence/{evidence}");
    let response = reqwest::Client::new().get(format!("{}{path}", app.base)).bearer_auth(&b).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().to_vec(), png, "the file as uploaded");
    let comments = format!("{path}/comments");
    let (status, refused) = app.post(&comments, &b, json!({"text": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "text");
    let (status, answered) = app.post(&comments, &b, json!({"text": "照片拍的不是我家的墙"})).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["evidence"][0]["comments"][0]["mine"], true, "{answered}");
    let c = sign_in(&app, phone_c).await;
    assert_eq!(app.get(&path, &c).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&comments, &c, json!({"text": "路人"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(upload(&app, &c, id, "image/png", &png).await.0, StatusCode::NOT_FOUND);

    // A reads B's answer; staff find the file and the answer in the case's history.
    let (_, seen) = app.get(&format!("/api/v1/citizen/cases/{id}"), &a).await;
    let comment = &seen["evidence"][0]["comments"][0];
    assert_eq!((comment["text"].as_str(), comment["mine"].as_bool()), (Some("照片拍的不是我家的墙"), Some(false)));
    let admin = app.login("admin").await;
    let (_, events) = app.get(&format!("/api/v1/cases/{id}/events"), &admin).await;
    let actions: Vec<&str> = events.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"evidence_added") && actions.contains(&"evidence_commented"), "{actions:?}");
}

async fn a_party_chooses_the_mediator_from_those_offered_once(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let a = sign_in(&app, "13912360001").await;
    let (status, case) = app.post("/api/v1/citizen/cases", &a, brought(50, "13912360001")).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_i64().unwrap();
    let street = app.unit_id("张掖路街道综治中心").await;
    let (status, dispatched) =
        app.act(&app.login("city").await, &case, json!({"action": "dispatch", "unit_id": street})).await;
    assert_eq!(status, StatusCode::OK, "{dispatched}");

    // The offer: at most five, each with a profile and reasons.
    let (status, offers) = app.get(&format!("/api/v1/citizen/cases/{id}/mediators"), &a).await;
    assert_eq!(status, StatusCode::OK, "{offers}");
    let items = offers["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.len() <= 5, "{offers}");
    for field in ["user_id", "name", "specialities", "languages", "mediated", "resolved", "reasons"] {
        assert!(!items[0][field].is_null(), "{field} in {}", items[0]);
    }
    let chosen = items[0]["user_id"].as_i64().unwrap();

    // Someone not offered (the administrator) is refused, naming the field; nothing changes.
    let admin_id: i64 =
        app.sql_texts("SELECT CAST(id AS TEXT) FROM users WHERE username = 'admin'").await[0].parse().unwrap();
    let path = format!("/api/v1/citizen/cases/{id}/mediator");
    let (status, refused) = app.call(Method::PUT, &path, Some(&a), Some(json!({"user_id": admin_id}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "user_id");
    let (status, refused) = app.call(Method::PUT, &path, Some(&a), Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // Chosen: the case shows them, the offer closes, a second choice is refused.
    let (status, case) = app.call(Method::PUT, &path, Some(&a), Some(json!({"user_id": chosen}))).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["mediator"], items[0]["name"], "{case}");
    let (_, offers) = app.get(&format!("/api/v1/citizen/cases/{id}/mediators"), &a).await;
    assert_eq!(offers["items"], json!([]));
    let (status, _) = app.call(Method::PUT, &path, Some(&a), Some(json!({"user_id": chosen}))).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Staff see the party's choice; another citizen may not choose on this case.
    let (_, mediator) = app.get(&format!("/api/v1/cases/{id}/mediator"), &app.login("city").await).await;
    assert_eq!(
        (mediator["user_id"].as_i64(), mediator["chosen_by"].as_str()),
        (Some(chosen), Some("party")),
        "{mediator}"
    );
    let other = sign_in(&app, "13912360002").await;
    assert_eq!(app.get(&format!("/api/v1/citizen/cases/{id}/mediators"), &other).await.0, StatusCode::NOT_FOUND);
}

async fn a_party_reads_the_notice_consents_and_confirms_the_minutes_of_a_session(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = crate::mediation::case_with_the_mediator(&app).await;
    let case_path = format!("/api/v1/cases/{}", case["id"]);
    let (_, suggestions) = app.get(&format!("{case_path}/mediators"), &mediator).await;
    let choose = json!({"user_id": suggestions[0]["user_id"], "chosen_by": "centre"});
    assert_eq!(
        app.call(Method::PUT, &format!("{case_path}/mediator"), Some(&mediator), Some(choose)).await.0,
        StatusCode::OK
    );
    let body = json!({"mode": "in_person", "scheduled_at": "2026-11-03T09:30:00+08:00", "place": "张掖路街道调解室"});
    let (status, session) = app.post(&format!("{case_path}/sessions"), &mediator, body).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let id = session["id"].as_i64().unwrap();

    // 王建国 (the applicant, party 0) sees the session and takes his own steps, each once.
    let applicant = sign_in(&app, "13912345678").await;
    let (_, seen) = app.get(&format!("/api/v1/citizen/cases/{}", case["id"]), &applicant).await;
    assert_eq!(seen["sessions"][0]["place"], "张掖路街道调解室", "{seen}");
    assert_eq!(seen["sessions"][0]["rights_acknowledged"], false);
    let act = |act: &str| format!("/api/v1/citizen/sessions/{id}/{act}");
    assert_eq!(app.post(&act("minutes"), &applicant, json!({})).await.0, StatusCode::CONFLICT, "no minutes yet");
    assert_eq!(app.post(&act("whistle"), &applicant, json!({})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, seen) = app.post(&act("rights"), &applicant, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["sessions"][0]["rights_acknowledged"], true);
    assert_eq!(app.post(&act("rights"), &applicant, json!({})).await.0, StatusCode::CONFLICT, "once");
    assert_eq!(app.post(&act("consent"), &applicant, json!({})).await.0, StatusCode::OK);

    // The staff view records them as party 0's; a stranger's phone reaches nothing.
    let (_, sessions) = app.get(&format!("{case_path}/sessions"), &mediator).await;
    let acks = &sessions[0]["acknowledgements"][0];
    assert!(acks["rights_acknowledged_at"].is_string() && acks["consented_at"].is_string(), "{sessions}");
    assert!(sessions[0]["acknowledgements"][1]["rights_acknowledged_at"].is_null(), "the respondent's are his own");
    let stranger = sign_in(&app, "13912369999").await;
    assert_eq!(app.post(&act("consent"), &stranger, json!({})).await.0, StatusCode::NOT_FOUND);

    // The respondent's steps at the session, then the minutes, which the applicant confirms.
    for step in ["rights", "consent"] {
        let (status, body) = app.post(&format!("/api/v1/sessions/{id}/parties/1/{step}"), &mediator, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let minutes = json!({"minutes": "双方陈述了漏水经过，同意按修复报价协商赔偿。"});
    let (status, body) = app.post(&format!("/api/v1/sessions/{id}/minutes"), &mediator, minutes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, seen) = app.post(&act("minutes"), &applicant, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["sessions"][0]["minutes_confirmed"], true);
    let (_, events) = app.get(&format!("{case_path}/events"), &mediator).await;
    let by_citizen =
        events.as_array().unwrap().iter().filter(|e| e["actor"].as_str().unwrap_or_default().starts_with("citizen:"));
    assert_eq!(by_citizen.count(), 3, "rights, consent and minutes, each by the citizen: {events}");
}

async fn a_party_signs_the_agreement_in_the_portal_once(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = crate::mediation::case_with_the_mediator(&app).await;
    let agreement = crate::mediation::repairs_drafted(&app, &case, &mediator).await;
    let id = agreement["id"].as_i64().unwrap();
    let applicant = sign_in(&app, "13912345678").await;
    let sign = format!("/api/v1/citizen/agreements/{id}/signature");
    let signature = json!({"signature": crate::mediation::SIGNATURE});

    // A draft is not signed; once sent for signing the party may, in the portal.
    assert_eq!(app.post(&sign, &applicant, signature.clone()).await.0, StatusCode::CONFLICT);
    let (status, sent) = app.post(&format!("/api/v1/agreements/{id}/signing"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let (_, seen) = app.get(&format!("/api/v1/citizen/cases/{}", case["id"]), &applicant).await;
    assert_eq!(seen["agreements"][0]["may_sign"], true, "{seen}");
    assert!(seen["agreements"][0]["terms"][0].as_str().unwrap().contains("八千元"), "{seen}");
    let (status, refused) = app.post(&sign, &applicant, json!({"signature": "not a picture"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "signature");
    let (status, signed) = app.post(&sign, &applicant, signature.clone()).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["agreements"][0]["may_sign"], false);
    assert!(signed["agreements"][0]["signed_at"].is_string(), "{signed}");
    assert_eq!(app.post(&sign, &applicant, signature.clone()).await.0, StatusCode::CONFLICT, "once");

    // Staff see party 0 signed (the seal counts it) and the other not; a stranger reaches nothing.
    let (_, staff) = app.get(&format!("/api/v1/agreements/{id}"), &mediator).await;
    assert!(staff["parties"][0]["signed_at"].is_string() && staff["parties"][1]["signed_at"].is_null(), "{staff}");
    let stranger = sign_in(&app, "13912369998").await;
    assert_eq!(app.post(&sign, &stranger, signature).await.0, StatusCode::NOT_FOUND);
}

/// The SMS bodies the outbox holds for `phone` (masked as the outbox shows it), newest first.
async fn sms_to(app: &TestApp, phone: &str) -> Vec<String> {
    let admin = app.login("admin").await;
    let (_, outbox) = app.get("/api/v1/outbox", &admin).await;
    let masked = format!("{}****{}", &phone[..3], &phone[7..]);
    outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["recipient"] == masked.as_str())
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_party_receives_service_and_consents_to_judicial_confirmation_in_the_portal(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = crate::mediation::case_with_the_mediator(&app).await;
    let id = crate::mediation::repairs_drafted(&app, &case, &mediator).await["id"].as_i64().unwrap();
    let path = format!("/api/v1/agreements/{id}");
    assert_eq!(app.post(&format!("{path}/signing"), &mediator, json!({})).await.0, StatusCode::OK);
    let (applicant, respondent) = (sign_in(&app, "13912345678").await, sign_in(&app, "13987654321").await);
    let signature = json!({"signature": crate::mediation::SIGNATURE});
    let consent = format!("/api/v1/citizen/agreements/{id}/confirmation-consent");
    let served = format!("/api/v1/citizen/agreements/{id}/served");
    for party in [&applicant, &respondent] {
        let (status, body) =
            app.post(&format!("/api/v1/citizen/agreements/{id}/signature"), party, signature.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Before the agreement is in effect there is nothing to consent to and nothing served.
    let (status, body) = app.post(&consent, &applicant, json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_for_confirmation")),
        "{body}"
    );
    assert_eq!(app.get(&served, &applicant).await.0, StatusCode::CONFLICT);
    assert_eq!(app.post(&format!("{path}/mediator-signature"), &mediator, signature.clone()).await.0, StatusCode::OK);
    let (status, sealed) = app.post(&format!("{path}/seal"), &mediator, json!({})).await;
    assert_eq!(sealed["status"], "effective", "{status} {sealed}");
    let response = app.client.get(format!("{}{path}/pdf", app.base)).bearer_auth(&mediator).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the copies are fixed");
    assert_eq!(app.post(&format!("{path}/service"), &mediator, json!({})).await.0, StatusCode::OK);

    // The applicant receives their copy in the portal: the receipt is theirs alone.
    let case_path = format!("/api/v1/citizen/cases/{}", case["id"]);
    let (_, seen) = app.get(&case_path, &applicant).await;
    let agreement = &seen["agreements"][0];
    assert!(agreement["served_at"].is_string() && agreement["received_at"].is_null(), "{agreement}");
    assert_eq!(agreement["may_consent_confirmation"], true, "{agreement}");
    let response = app.client.get(format!("{}{served}", app.base)).bearer_auth(&applicant).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF"));
    let (_, staff) = app.get(&path, &mediator).await;
    let deliveries = staff["deliveries"].as_array().unwrap();
    let opened = |party: i64| deliveries.iter().find(|d| d["party_index"] == party).unwrap()["opened_at"].is_string();
    assert!(opened(0) && !opened(1), "{deliveries:?}");
    let (_, seen) = app.get(&case_path, &applicant).await;
    assert!(seen["agreements"][0]["received_at"].is_string(), "{seen}");

    // Each party consents once to the joint application; the mediator files it with both.
    let (status, seen) = app.post(&consent, &applicant, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert!(seen["agreements"][0]["confirmation_consented_at"].is_string(), "{seen}");
    assert_eq!(seen["agreements"][0]["may_consent_confirmation"], false);
    assert_eq!(app.post(&consent, &applicant, json!({})).await.0, StatusCode::CONFLICT, "once");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = app.client.post(format!("{}{consent}", app.base)).bearer_auth(&respondent).json(&json!({}));
        set.spawn(async move { request.send().await.unwrap().status() });
    }
    let statuses = set.join_all().await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{statuses:?}");
    let stranger = sign_in(&app, "13912369997").await;
    assert_eq!(app.post(&consent, &stranger, json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&served, &stranger).await.0, StatusCode::NOT_FOUND);

    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &mediator).await;
    let by_citizen = |action: &str| {
        events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action && e["actor"].as_str().unwrap().starts_with("citizen:"))
            .count()
    };
    assert_eq!((by_citizen("service_receipt"), by_citizen("confirmation_consented")), (1, 2), "{events}");
    let (status, filed) = app.post(&format!("{path}/confirmation"), &mediator, json!({"applicants": [0, 1]})).await;
    assert_eq!(status, StatusCode::OK, "{filed}");
    let (_, seen) = app.get(&case_path, &applicant).await;
    assert_eq!(seen["agreements"][0]["confirmation"], "applied", "{seen}");
    assert!(
        seen["timeline"].as_array().unwrap().iter().any(|e| e["text"].as_str().unwrap().contains("司法确认")),
        "{seen}"
    );
}

async fn a_party_refuses_mediation_in_the_portal_and_no_session_follows(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = crate::mediation::case_with_the_mediator(&app).await;
    let case_path = format!("/api/v1/cases/{}", case["id"]);
    // Dispatch told the applicant who handles the case and by when.
    let applicant_sms = sms_to(&app, "13912345678").await;
    assert!(
        applicant_sms.iter().any(|b| b.contains("已交由张掖路街道人民调解委员会办理") && b.contains("前办结")),
        "{applicant_sms:?}"
    );
    let body = json!({"mode": "in_person", "scheduled_at": "2026-11-03T09:30:00+08:00", "place": "张掖路街道调解室"});
    let (status, session) = app.post(&format!("{case_path}/sessions"), &mediator, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    for phone in ["13912345678", "13987654321"] {
        let sms = sms_to(&app, phone).await;
        assert!(
            sms[0].contains("2026-11-03 09:30") && sms[0].contains("张掖路街道调解室"),
            "each party is told: {sms:?}"
        );
    }

    // The respondent refuses: a reason is required, then it holds once.
    let respondent = sign_in(&app, "13987654321").await;
    let refusal = format!("/api/v1/citizen/cases/{}/refusal", case["id"]);
    let (status, refused) = app.post(&refusal, &respondent, json!({"reason": " "})).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
        "{refused}"
    );
    let (_, before) = app.get(&format!("{case_path}/events"), &mediator).await;
    let (status, seen) = app.post(&refusal, &respondent, json!({"reason": "不想和对方见面，准备起诉"})).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert!(seen["refused_at"].is_string() && seen["may_refuse"] == false, "{seen}");
    assert_eq!(seen["sessions"][0]["status"], "cancelled", "{seen}");
    let (_, after) = app.get(&format!("{case_path}/events"), &mediator).await;
    assert_eq!(after.as_array().unwrap().len(), before.as_array().unwrap().len() + 1);
    let applicant = sign_in(&app, "13912345678").await;
    let (status, body) = app.post(&refusal, &applicant, json!({"reason": "也不想调解"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_open_to_refusal")), "{body}");
    let (_, seen) = app.get(&format!("/api/v1/citizen/cases/{}", case["id"]), &applicant).await;
    assert!(seen["refused_at"].is_null() && seen["may_refuse"] == false, "the refusal is the respondent's: {seen}");

    // No session can be scheduled; the handling unit concludes the case `refused`.
    let (status, body) = app.post(&format!("{case_path}/sessions"), &mediator, body).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("mediation_refused")), "{body}");
    let staff = format!("fq_session={}", ui_session(&app, "mediator").await);
    let (_, page) = ui_get(&app, &staff, &format!("/cases/{}", case["id"])).await;
    assert!(page.contains("id=\"online-refusal\"") && page.contains("不想和对方见面"), "the staff page says so");
}

async fn the_real_name_step_links_cases_registered_with_another_phone(app: TestApp) {
    // At the window 王建国's case was registered with his landline-free second phone.
    let (case, _) = crate::mediation::case_with_the_mediator(&app).await;
    let citizen = sign_in(&app, "13912360101").await;
    let (_, mine) = app.get("/api/v1/citizen/cases", &citizen).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0, "{mine}");

    // Each field is checked, in words, at once; nothing changes on error.
    let real_name = "/api/v1/citizen/profile/real-name";
    let (status, body) = app.post(real_name, &citizen, json!({"name": "", "id_number": "620102198001010000"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> =
        body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "id_number"], "{body}");
    let (_, profile) = app.get("/api/v1/citizen/profile", &citizen).await;
    assert!(profile["verified_at"].is_null() && profile["phone_masked"] == "139****0101", "{profile}");

    // A matching ID number with another name links nothing; the right name links the case.
    let id = crate::support::id_number("620102", "19800101", 11);
    let other = sign_in(&app, "13912360102").await;
    let (status, _) = app.post(real_name, &other, json!({"name": "王建军", "id_number": "620102199001010012"})).await;
    assert!(status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY);
    let (status, profile) = app.post(real_name, &citizen, json!({"name": "王建国", "id_number": id})).await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert!(profile["id_number_masked"].as_str().unwrap().contains('*') && profile["name"] == "王建国", "{profile}");
    let (_, mine) = app.get("/api/v1/citizen/cases", &citizen).await;
    assert_eq!(mine["items"][0]["id"], case["id"], "{mine}");
    let (status, seen) = app.get(&format!("/api/v1/citizen/cases/{}", case["id"]), &citizen).await;
    assert_eq!(status, StatusCode::OK, "{seen}");

    // Once per citizen; one ID number for one citizen.
    let (status, body) = app.post(real_name, &citizen, json!({"name": "王建国", "id_number": id})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_real_named")));
    let third = sign_in(&app, "13912360103").await;
    let (status, body) = app.post(real_name, &third, json!({"name": "王建国", "id_number": id})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("id_number_taken")), "{body}");
    let (_, theirs) = app.get("/api/v1/citizen/cases", &third).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0, "{theirs}");
}
