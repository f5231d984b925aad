//! 系统对接 (issue 18): system accounts and their API keys — bound to a unit and a grant list,
//! separate from staff logins, every call recorded, revocable — and intake that is
//! idempotent by the sender's `external_ref`, also under 50 identical requests at once.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_answer, ui_get, ui_session, ui_submit};

on_both_backends!(
    system_accounts_are_bound_to_their_grants_audited_and_revocable,
    the_same_external_ref_from_the_same_system_is_one_case_even_in_parallel,
    the_admin_page_creates_shows_the_key_once_and_revokes,
    migration_0050_keeps_every_senders_claims,
);

/// Creates a system account at the street centre granted `case_register`: `(id, api_key)`.
async fn court_account(app: &TestApp, admin: &str, name: &str) -> (i64, String) {
    let street = app.unit_id("张掖路街道综治中心").await;
    let (status, body) = app
        .post(
            "/api/v1/system-accounts",
            admin,
            json!({"name": name, "unit_id": street, "permissions": ["case_register"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body["id"].as_i64().unwrap(), body["api_key"].as_str().unwrap().to_owned())
}

async fn case_count(app: &TestApp) -> i64 {
    app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM cases").await[0].parse().unwrap()
}

async fn system_accounts_are_bound_to_their_grants_audited_and_revocable(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let admin = app.login("admin").await;
    let intake = app.login("intake").await;
    let street = app.unit_id("张掖路街道综治中心").await;

    // Only administrators; faults named in words, all at once, and nothing created.
    let good = json!({"name": "区法院调解平台", "unit_id": street, "permissions": ["case_register"]});
    let (status, refused) = app.post("/api/v1/system-accounts", &intake, good.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, refused) = app
        .call(
            Method::POST,
            "/api/v1/system-accounts",
            Some(&admin),
            Some(json!({"name": " ", "unit_id": street, "permissions": ["case_register", "fly"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let fields: Vec<&str> =
        refused["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "permissions[1]"], "{refused}");
    let words = refused["error"]["fields"][1]["message"].as_str().unwrap();
    assert!(words.contains("fly") && words.contains("case_register"), "{words}");
    let (status, refused) =
        app.post("/api/v1/system-accounts", &admin, json!({"name": "x", "unit_id": street, "permissions": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "permissions", "{refused}");
    let (status, listed) = app.get("/api/v1/system-accounts", &admin).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed, json!([]), "a refused request creates nothing");

    // Created: the key is shown once and stored only as a hash.
    let (id, key) = court_account(&app, &admin, "区法院调解平台").await;
    assert!(key.len() >= 40, "{key}");
    let stored = app.sql_texts(&format!("SELECT key_hash FROM system_accounts WHERE id = {id}")).await;
    assert_ne!(stored[0], key);
    assert!(!stored[0].contains(&key));
    let (_, listed) = app.get("/api/v1/system-accounts", &admin).await;
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["permissions"], json!(["case_register"]));
    assert!(listed[0]["api_key"].is_null(), "{listed}");
    assert!(!listed.to_string().contains(&key));

    // The key registers a case at its unit, attributed to the account in the history.
    let case = app.register_keyed(&key).await;
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), &admin).await;
    assert_eq!(events[0]["actor"], format!("system:{id}"), "{events}");

    // Separate from staff logins: not a bearer token, no password sign-in, nothing but its grants.
    let (status, _) = app.get("/api/v1/cases", &key).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a key is no bearer token");
    let (status, _) = app.keyed(Method::GET, "/api/v1/cases", &key, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "staff routes take no key");
    let (status, refused) = app.keyed(Method::GET, "/api/v1/sessions?from=2026-11-01&to=2026-11-30", &key, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not granted: {refused}");
    let (status, _) = app.keyed(Method::POST, "/api/v1/cases", "fq_wrong", Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Its user cannot sign in with a password, even one an administrator set.
    let hash = app.sql_texts("SELECT password_hash FROM users WHERE username = 'admin'").await[0].clone();
    app.sql(&format!("UPDATE users SET password_hash = '{hash}' WHERE username = 'system:{id}'")).await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": format!("system:{id}"), "password": "fengqiao-demo"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Every call is recorded, the refused ones too.
    let (status, calls) = app.get(&format!("/api/v1/system-accounts/{id}/calls"), &admin).await;
    assert_eq!(status, StatusCode::OK, "{calls}");
    let paths: Vec<&str> = calls.as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/api/v1/sessions", "/api/v1/cases"], "{calls}");
    assert_eq!(calls[1]["method"], "POST");
    let (_, listed) = app.get("/api/v1/system-accounts", &admin).await;
    assert_eq!(listed[0]["calls"], 2, "{listed}");

    // Revoked: the key never works again.
    let (status, _) =
        app.call(Method::POST, &format!("/api/v1/system-accounts/{id}/revoke"), Some(&intake), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.call(Method::POST, "/api/v1/system-accounts/999999/revoke", Some(&admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::POST, &format!("/api/v1/system-accounts/{id}/revoke"), Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .keyed(
            Method::POST,
            "/api/v1/cases",
            &key,
            Some(registration(&id_number("620102", "19850101", 2), "13912340002")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, listed) = app.get("/api/v1/system-accounts", &admin).await;
    assert!(listed[0]["revoked_at"].is_string(), "{listed}");
}

fn referred(seq: u32, reference: &str) -> Value {
    let mut body = registration(&id_number("620102", "19850101", seq), "13912340003");
    body["channel"] = json!("court");
    body["external_ref"] = json!(reference);
    body
}

async fn the_same_external_ref_from_the_same_system_is_one_case_even_in_parallel(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let admin = app.login("admin").await;
    let (_, key) = court_account(&app, &admin, "区法院").await;
    let (_, other) = court_account(&app, &admin, "12345热线").await;

    // Twice in a row: 201, then 200 with the same case.
    let before = case_count(&app).await;
    let (status, first) =
        app.keyed(Method::POST, "/api/v1/cases", &key, Some(referred(1, "(2026)甘0102民诉前调1号"))).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) =
        app.keyed(Method::POST, "/api/v1/cases", &key, Some(referred(1, "(2026)甘0102民诉前调1号"))).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["number"], first["number"]);
    assert_eq!(case_count(&app).await, before + 1);

    // Another system's same reference is another case.
    let (status, theirs) =
        app.keyed(Method::POST, "/api/v1/cases", &other, Some(referred(1, "(2026)甘0102民诉前调1号"))).await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    assert_ne!(theirs["id"], first["id"]);

    // A refused registration keeps no claim: the corrected retry registers.
    let mut broken = referred(2, "W-2");
    broken["description"] = json!("");
    let (status, refused) = app.keyed(Method::POST, "/api/v1/cases", &key, Some(broken)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let mut wrong_type = referred(2, "W-2");
    wrong_type["external_ref"] = json!(17);
    let (status, refused) = app.keyed(Method::POST, "/api/v1/cases", &key, Some(wrong_type)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "external_ref", "{refused}");
    let (status, _) = app.keyed(Method::POST, "/api/v1/cases", &key, Some(referred(2, "W-2"))).await;
    assert_eq!(status, StatusCode::CREATED);

    // Fifty identical requests at once: one case, one 201, forty-nine 200 with it.
    let before = case_count(&app).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let request = app
            .client
            .post(format!("{}/api/v1/cases", app.base))
            .header("X-Api-Key", &key)
            .json(&referred(3, "12345-20261102-0001"));
        set.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        });
    }
    let answers = set.join_all().await;
    let created = answers.iter().filter(|(status, _)| *status == StatusCode::CREATED).count();
    let found = answers.iter().filter(|(status, _)| *status == StatusCode::OK).count();
    assert_eq!(
        (created, found),
        (1, 49),
        "{:?}",
        answers.iter().map(|(s, b)| (s, b["error"].clone())).collect::<Vec<_>>()
    );
    let ids: std::collections::BTreeSet<String> = answers.iter().map(|(_, case)| case["id"].to_string()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(case_count(&app).await, before + 1);
}

async fn the_admin_page_creates_shows_the_key_once_and_revokes(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let admin = ui_session(&app, "admin").await;
    let intake = ui_session(&app, "intake").await;
    let (status, _) = ui_get(&app, &format!("fq_session={intake}"), "/admin/systems").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let street = app.unit_id("张掖路街道综治中心").await.to_string();

    // Refused: the errors beside their fields, the name as typed, nothing created.
    let response =
        ui_submit(&app, &admin, "/admin/systems", "/admin/systems", &[("name", "区法院"), ("unit_id", "")]).await;
    let (status, _, page) = ui_answer(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("data-for=\"unit_id\">单位为必填项"), "{page}");
    assert!(page.contains("data-for=\"permissions\">至少授予一项权限"), "{page}");
    assert!(page.contains("value=\"区法院\""));
    assert_eq!(app.sql_texts("SELECT name FROM system_accounts").await.len(), 0);

    // Created: the key on the answering page, once; it works; the list never shows it again.
    let form = [("name", "区法院"), ("unit_id", street.as_str()), ("permissions", "case_register")];
    let (status, _, page) = ui_answer(ui_submit(&app, &admin, "/admin/systems", "/admin/systems", &form).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let key = page.split("id=\"created-key\"").nth(1).unwrap().split("<code class=\"mono\">").nth(1).unwrap();
    let key = key.split('<').next().unwrap().to_owned();
    assert!(key.starts_with("fq_"), "{key}");
    let (status, case) = app
        .keyed(
            Method::POST,
            "/api/v1/cases",
            &key,
            Some(registration(&id_number("620102", "19850101", 9), "13912340009")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let (_, list) = ui_get(&app, &format!("fq_session={admin}"), "/admin/systems").await;
    assert!(list.contains("区法院") && !list.contains(&key), "{list}");

    // Revoked from the page: the key stops working.
    let id = app.sql_texts("SELECT CAST(id AS TEXT) FROM system_accounts").await[0].clone();
    let response = ui_submit(&app, &admin, "/admin/systems", &format!("/admin/systems/{id}/revoke"), &[]).await;
    let (status, location, _) = ui_answer(response).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/systems"));
    let (status, _) = app.keyed(Method::POST, "/api/v1/cases", &key, Some(json!({}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Claims made before migration 0050 (per user) keep answering the same case after it: a
/// system account's `external_ref` in its own namespace, a petition's (also one the race made
/// twice) in its office's.
async fn migration_0050_keeps_every_senders_claims(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let admin = app.login("admin").await;
    let (account, key) = court_account(&app, &admin, "区法院").await;
    let (status, first) = app.keyed(Method::POST, "/api/v1/cases", &key, Some(referred(1, "W-50"))).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let intake = app.login("intake").await;
    let mut petition = registration(&id_number("620102", "19700101", 5), "13912340002");
    petition["sender"] = json!("兰州市信访局");
    petition["reference"] = json!("兰信转〔2026〕7号");
    petition["office_received_on"] = json!("2026-10-30");
    let (status, entered) = app.post("/api/v1/petitions", &intake, petition.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{entered}");

    // Back to the schema before 0050, with the claims as they were then written.
    let user = |name: &str| format!("(SELECT id FROM users WHERE username = '{name}')");
    let system_user = format!("(SELECT user_id FROM system_accounts WHERE id = {account})");
    let (case, petition_case) = (&first["id"], &entered["case_id"]);
    app.sql(&format!(
        "DROP TABLE external_refs;
         CREATE TABLE external_refs (user_id BIGINT NOT NULL REFERENCES users (id), external_ref TEXT NOT NULL,
             case_id BIGINT REFERENCES cases (id), created_at BIGINT NOT NULL, PRIMARY KEY (user_id, external_ref));
         INSERT INTO external_refs VALUES ({system_user}, 'W-50', {case}, 1),
             ({}, 'petition-by-intake', {petition_case}, 2), ({}, 'petition-by-leader', {petition_case}, 3);
         DELETE FROM fengqiao_migrations WHERE version = 50;",
        user("intake"),
        user("leader"),
    ))
    .await;
    let migrate = app.cli(&["migrate"], None);
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let claims = app
        .sql_texts("SELECT namespace || ' ' || external_ref || ' ' || CAST(case_id AS TEXT) FROM external_refs ORDER BY namespace")
        .await;
    let system_user_id =
        app.sql_texts(&format!("SELECT CAST(user_id AS TEXT) FROM system_accounts WHERE id = {account}")).await;
    assert_eq!(
        claims,
        [
            format!("petition:兰州市信访局 兰信转〔2026〕7号 {petition_case}"),
            format!("user:{} W-50 {case}", system_user_id[0])
        ]
    );

    // The same reference from the same account: 200 with the same case; the petition likewise.
    let (status, again) = app.keyed(Method::POST, "/api/v1/cases", &key, Some(referred(1, "W-50"))).await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, case), "{again}");
    let leader = app.login("leader").await;
    let (status, same) = app.post("/api/v1/petitions", &leader, petition).await;
    assert_eq!((status, &same["case_id"]), (StatusCode::OK, petition_case), "{same}");
}
