//! The administrator's screens and use cases (issue 13, defect 9): users created, edited,
//! given a new password, disabled (and then refused everywhere) and enabled; units edited and
//! disabled; the routing catalogue, the clocks' policies and the calendar as forms; and every
//! signed-in user changing their own password. Only an administrator may administer.

use domain::ids::{UnitId, UserId};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::on_both_backends;
use crate::support::{TestApp, browser, encode, ui_answer, ui_get, ui_login, ui_session, ui_session_with};

on_both_backends!(
    an_administrator_creates_edits_resets_and_disables_a_user,
    only_an_administrator_administers,
    the_user_list_is_filtered_counted_and_paged,
    units_are_edited_and_a_unit_without_users_disabled,
    the_routing_catalogue_is_edited_one_category_at_a_time,
    policies_and_calendar_are_forms,
    regions_and_grids_refused_come_back_as_typed,
    risk_rules_are_a_form,
    every_user_changes_their_own_password,
);

/// The CSRF token of the forms on a page of this session.
async fn csrf(app: &TestApp, session: &str, path: &str) -> String {
    let (status, html) = ui_get(app, &format!("fq_session={session}"), path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    let at = html.find("name=\"_csrf\" value=\"").expect("a form") + 20;
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

/// Posts a form of the UI as this session: the status, where it redirects and the page.
async fn ui_post(app: &TestApp, session: &str, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
    let token = csrf(app, session, "/workbench").await;
    let mut all = vec![("_csrf", token.as_str())];
    all.extend_from_slice(fields);
    let response = browser()
        .post(format!("{}{path}", app.base))
        .header("cookie", format!("fq_session={session}; fq_lang=zh-CN"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&all))
        .send()
        .await
        .unwrap();
    ui_answer(response).await
}

async fn api_login(app: &TestApp, username: &str, password: &str) -> (StatusCode, serde_json::Value) {
    app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": password}))).await
}

/// The text of the error shown beside `field` on a page.
fn error_beside(html: &str, field: &str) -> String {
    let marker = format!("<p class=\"error\" data-for=\"{field}\">");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no error slot for {field}")) + marker.len();
    html[at..at + html[at..].find("</p>").unwrap()].to_owned()
}

async fn viewer(app: &TestApp, username: &str) -> app::Viewer {
    let id = app.store.users().await.unwrap().into_iter().find(|u| u.username == username).unwrap().id;
    app.store.viewer(UserId(id)).await.unwrap()
}

async fn an_administrator_creates_edits_resets_and_disables_a_user(app: TestApp) {
    let admin = ui_session(&app, "admin").await;
    let street = app.unit_id("张掖路街道综治中心").await.to_string();
    let district = app.unit_id("城关区社会治安综合治理中心").await.to_string();

    // Refused for its fields: 422, each error beside its field in words, the form as typed
    // (the password never shown again).
    let (status, _, page) = ui_post(
        &app,
        &admin,
        "/admin/users",
        &[("username", "li si"), ("display_name", "李四"), ("role", ""), ("unit_id", &street), ("password", "short")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_beside(&page, "username").contains("用户名应为 3 到 32 个"), "{page}");
    assert_eq!(error_beside(&page, "role"), "角色为必填项");
    assert_eq!(error_beside(&page, "password"), "密码至少 8 个字符");
    assert_eq!(error_beside(&page, "display_name"), "");
    assert!(page.contains("value=\"li si\"") && page.contains("value=\"李四\""));
    assert!(!page.contains("value=\"short\""), "a password typed is never shown again");

    // Created: post/redirect/get to the user's page with a message.
    let (status, location, _) = ui_post(
        &app,
        &admin,
        "/admin/users",
        &[
            ("username", "lisi"),
            ("display_name", "李四"),
            ("role", "intake"),
            ("unit_id", &street),
            ("password", "first-password"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id: i64 = location.strip_prefix("/admin/users/").unwrap().parse().unwrap();
    let (status, token) = api_login(&app, "lisi", "first-password").await;
    assert_eq!(status, StatusCode::OK);
    let token = token["token"].as_str().unwrap().to_owned();
    let lisi_ui = ui_session_with(&app, "lisi", "first-password").await;
    let (status, _, _) = ui_post(
        &app,
        &admin,
        "/admin/users",
        &[
            ("username", "lisi"),
            ("display_name", "又一个"),
            ("role", "intake"),
            ("unit_id", &street),
            ("password", "another-one"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the username is taken, said beside it");

    // Edited: name, role, unit.
    let (status, _, _) = ui_post(
        &app,
        &admin,
        &format!("/admin/users/{id}"),
        &[("display_name", "李四（调度）"), ("role", "dispatcher"), ("unit_id", &district)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, me) = app.get("/api/v1/auth/me", &token).await;
    assert_eq!((me["role"].as_str(), me["unit_id"].to_string()), (Some("dispatcher"), district.clone()), "{me}");
    let (_, page) = ui_get(&app, &format!("fq_session={admin}"), &format!("/admin/users/{id}")).await;
    assert!(page.contains("李四（调度）") && page.contains("城关区社会治安综合治理中心"));

    // A new password: too short is said beside the field; then the old one and every session end.
    let (status, _, page) =
        ui_post(&app, &admin, &format!("/admin/users/{id}/password"), &[("password", "1234567")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "password"), "密码至少 8 个字符");
    let (status, _, _) =
        ui_post(&app, &admin, &format!("/admin/users/{id}/password"), &[("password", "second-password")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/api/v1/auth/me", &token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(ui_get(&app, &format!("fq_session={lisi_ui}"), "/workbench").await.0, StatusCode::SEE_OTHER);
    assert_eq!(api_login(&app, "lisi", "first-password").await.0, StatusCode::UNAUTHORIZED);
    let (status, token) = api_login(&app, "lisi", "second-password").await;
    assert_eq!(status, StatusCode::OK);
    let token = token["token"].as_str().unwrap().to_owned();
    let lisi_ui = ui_session_with(&app, "lisi", "second-password").await;

    // Disabled: refused at login (API and UI), and what they held stops working.
    let (status, _, _) = ui_post(&app, &admin, &format!("/admin/users/{id}/active"), &[("active", "false")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/api/v1/auth/me", &token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(ui_get(&app, &format!("fq_session={lisi_ui}"), "/workbench").await.0, StatusCode::SEE_OTHER);
    assert_eq!(api_login(&app, "lisi", "second-password").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(ui_login(&app, "lisi", "second-password").await.status(), StatusCode::UNAUTHORIZED);
    let (_, page) = ui_get(&app, &format!("fq_session={admin}"), "/admin/users?q=lisi").await;
    assert!(page.contains("已停用"), "the list says so");

    // Enabled again: the same password works.
    let (status, _, _) = ui_post(&app, &admin, &format!("/admin/users/{id}/active"), &[("active", "true")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(api_login(&app, "lisi", "second-password").await.0, StatusCode::OK);

    // Nobody disables themselves or takes their own administrator's role.
    let me = viewer(&app, "admin").await;
    let disabled = app.app.user_active_set(&me, UserId(me.user_id), false).await;
    assert!(matches!(disabled, Err(app::AppError::Conflict { .. })), "{disabled:?}");
    let demoted = app
        .app
        .user_update(
            &me,
            UserId(me.user_id),
            app::org::UserUpdate { display_name: "管理员", role: domain::org::Role::Intake, unit_id: me.unit_id },
        )
        .await;
    assert!(matches!(demoted, Err(app::AppError::Conflict { .. })), "{demoted:?}");
    // A citizen signs in by phone: no staff user is made one.
    let update = app::org::UserUpdate { display_name: "李四", role: domain::org::Role::Citizen, unit_id: me.unit_id };
    let citizen = app.app.user_update(&me, UserId(id), update).await;
    assert!(matches!(citizen, Err(app::AppError::Invalid(_))), "{citizen:?}");
}

async fn only_an_administrator_administers(app: TestApp) {
    let district = viewer(&app, "district").await;
    let street_a = viewer(&app, "street_a").await;
    let forbidden = |r: Result<(), app::AppError>| matches!(r, Err(app::AppError::Forbidden { .. }));
    assert!(forbidden(app.app.user_active_set(&district, UserId(street_a.user_id), false).await));
    assert!(forbidden(app.app.user_password_reset(&district, UserId(street_a.user_id), "a-new-password").await));
    let update = app::org::UserUpdate { display_name: "x", role: domain::org::Role::Admin, unit_id: district.unit_id };
    assert!(forbidden(app.app.user_update(&district, UserId(street_a.user_id), update).await));
    assert!(forbidden(app.app.unit_active_set(&district, UnitId(street_a.unit_id), false).await));
    assert!(forbidden(app.app.users_page(&district, &app::org::UserFilter::default()).await.map(|_| ())));
    // The store refuses too, whoever calls it.
    let update = app::org::UserUpdate { display_name: "x", role: domain::org::Role::Admin, unit_id: district.unit_id };
    assert!(app.store.user_update(&district, UserId(street_a.user_id), update).await.is_err());
    assert!(app.store.user_active_set(&district, UserId(street_a.user_id), false, chrono::Utc::now()).await.is_err());

    // And the pages: 403 for a dispatcher, nothing changed.
    let session = ui_session(&app, "district").await;
    for path in ["/admin/users", "/admin/units", "/admin/routing", "/admin/policies", "/admin/calendar"] {
        assert_eq!(ui_get(&app, &format!("fq_session={session}"), path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _, _) =
        ui_post(&app, &session, &format!("/admin/users/{}/active", street_a.user_id), &[("active", "false")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(api_login(&app, "street_a", "fengqiao-demo").await.0, StatusCode::OK);
}

async fn the_user_list_is_filtered_counted_and_paged(app: TestApp) {
    let admin = ui_session(&app, "admin").await;
    let cookie = format!("fq_session={admin}");
    let street = app.unit_id("张掖路街道综治中心").await;
    for n in 0..55 {
        app.store
            .user_create(
                &format!("clerk{n:02}"),
                &format!("窗口{n:02}"),
                domain::org::Role::Intake,
                UnitId(street),
                "fengqiao-demo",
                chrono::Utc::now(),
            )
            .await
            .unwrap();
    }
    let (_, page) = ui_get(&app, &cookie, "/admin/users?role=intake").await;
    assert!(page.contains("共 56 · 1/2"), "55 clerks and the demo's intake");
    let (_, page) = ui_get(&app, &cookie, "/admin/users?role=intake&page=2").await;
    assert_eq!(page.matches("data-username=").count(), 6);
    let (_, page) = ui_get(&app, &cookie, &format!("/admin/users?unit={street}&q=%E7%AA%97%E5%8F%A307")).await;
    assert!(page.contains("共 1 ·") && page.contains("clerk07"), "by unit and by part of the name");
    let (_, page) = ui_get(&app, &cookie, "/admin/users?q=STREET_").await;
    assert!(page.contains("共 2 ·") && page.contains("street_a") && page.contains("street_b"), "any case");
    assert!(!page.contains(">handler<") && page.contains("承办人"), "roles as labels");
}

async fn units_are_edited_and_a_unit_without_users_disabled(app: TestApp) {
    let admin = ui_session(&app, "admin").await;
    let cookie = format!("fq_session={admin}");
    let city_centre = app.unit_id("兰州市社会治安综合治理中心").await.to_string();

    let (status, _, page) =
        ui_post(&app, &admin, "/admin/units", &[("name", ""), ("kind", "department"), ("categories", "labor")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "region_code"), "行政区划代码为必填项");
    assert!(page.contains("value=\"labor\" checked"), "the form keeps what was ticked");

    let (status, _, page) = ui_post(
        &app,
        &admin,
        "/admin/units",
        &[
            ("name", ""),
            ("kind", "department"),
            ("region_code", "620102000000"),
            ("categories", "labor"),
            ("phone", "12345"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "name"), "名称为必填项");
    assert!(error_beside(&page, "phone").starts_with("联系电话格式不正确"), "{page}");
    assert!(page.contains("value=\"12345\""), "the form keeps the number as typed");

    let (status, location, _) = ui_post(
        &app,
        &admin,
        "/admin/units",
        &[
            ("name", "城关区退役军人事务局"),
            ("kind", "department"),
            ("region_code", "620102000000"),
            ("parent_id", &city_centre),
            ("categories", "labor"),
            ("categories", "other"),
            ("phone", "0931-8612345"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id: i64 = location.strip_prefix("/admin/units/").unwrap().parse().unwrap();
    let unit = app.store.unit(UnitId(id)).await.unwrap().unwrap();
    assert_eq!(
        (unit.categories.as_str(), unit.parent_id, unit.active, unit.phone.as_deref()),
        ("labor other", Some(city_centre.parse().unwrap()), true, Some("0931-8612345"))
    );

    let (status, _, _) = ui_post(
        &app,
        &admin,
        &format!("/admin/units/{id}"),
        &[("name", "城关区退役军人事务局（信访）"), ("kind", "department"), ("region_code", "620102000000")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let unit = app.store.unit(UnitId(id)).await.unwrap().unwrap();
    assert_eq!(
        (unit.name.as_str(), unit.categories.as_str(), unit.parent_id),
        ("城关区退役军人事务局（信访）", "", None)
    );

    // The list groups by level and kind, with the region's name.
    let (_, page) = ui_get(&app, &cookie, "/admin/units").await;
    assert!(page.contains("县区级 · 职能部门") && page.contains("城关区退役军人事务局（信访）"), "{page}");

    // A unit with active users is not disabled; one without is, and is then offered nowhere.
    let with_users = app.unit_id("张掖路街道综治中心").await;
    let (status, location, _) =
        ui_post(&app, &admin, &format!("/admin/units/{with_users}/active"), &[("active", "false")]).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, format!("/admin/units/{with_users}").as_str()));
    assert!(app.store.unit(UnitId(with_users)).await.unwrap().unwrap().active);
    let (status, _, _) = ui_post(&app, &admin, &format!("/admin/units/{id}/active"), &[("active", "false")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(!app.store.unit(UnitId(id)).await.unwrap().unwrap().active);
    let (_, page) = ui_get(&app, &cookie, "/admin/users/new").await;
    assert!(!page.contains("城关区退役军人事务局"), "a disabled unit is in no picker");
    let admin_viewer = viewer(&app, "admin").await;
    let refused = app
        .app
        .user_create(
            &admin_viewer,
            app::org::NewUser {
                username: "veteran",
                display_name: "退役军人事务局干部",
                role: Some(domain::org::Role::Handler),
                unit_id: Some(id),
                password: "a-long-password",
            },
        )
        .await;
    assert!(matches!(&refused, Err(app::AppError::Invalid(f)) if f[0].field == "unit_id"), "{refused:?}");
    // Nor may a case be dispatched to it through the API, and the refusal changes nothing.
    let (intake, district) = (app.login("intake").await, app.login("district").await);
    let (_, case) = app
        .post(
            "/api/v1/cases",
            &intake,
            crate::support::registration(&crate::support::id_number("620102", "19800101", 123), "13900001111"),
        )
        .await;
    let (_, case) = app.act(&district, &case, json!({"action": "accept"})).await;
    let (status, error) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": id})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error.to_string().contains("已停用"), "{error}");
    let (_, unchanged) = app.get(&format!("/api/v1/cases/{}", case["id"]), &district).await;
    assert_eq!(unchanged["version"], case["version"]);
}

async fn the_routing_catalogue_is_edited_one_category_at_a_time(app: TestApp) {
    let admin = ui_session(&app, "admin").await;
    let cookie = format!("fq_session={admin}");
    let before = app.store.routing_catalogue().await.unwrap();
    let labour_unit = app.unit_id("城关区劳动人事争议调解中心").await.to_string();
    let justice = app.unit_id("城关区司法局").await.to_string();

    let (_, page) = ui_get(&app, &cookie, "/admin/routing").await;
    assert!(page.contains("劳动争议") && !page.contains("unit_id"), "categories and units by name");

    let (status, location, _) = ui_post(
        &app,
        &admin,
        "/admin/routing/labor",
        &[
            ("rows", "3"),
            ("rows[0].unit_id", &labour_unit),
            ("rows[0].role", "lead"),
            ("rows[0].region_prefix", "620102"),
            ("rows[1].unit_id", ""),
            ("rows[2].unit_id", &justice),
            ("rows[2].role", "assist"),
            ("rows[2].note", "法律援助"),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/routing#labor"));
    let after = app.store.routing_catalogue().await.unwrap();
    let labour: Vec<_> = after.iter().filter(|e| e.category == domain::case::Category::Labor).collect();
    assert_eq!(labour.len(), 2);
    assert_eq!(labour[1].note.as_deref(), Some("法律援助"));
    let others = |c: &[app::triage::CatalogueEntry]| {
        c.iter().filter(|e| e.category != domain::case::Category::Labor).cloned().collect::<Vec<_>>()
    };
    assert_eq!(others(&after), others(&before), "the other categories stay as they were");

    // A disabled unit is refused, beside its row, and the form keeps what was typed.
    let region = domain::org::RegionCode::parse("620102").unwrap();
    let spare = app::org::NewUnit {
        code: None,
        name: "停用的单位",
        kind: domain::org::UnitKind::Department,
        region_code: &region,
        parent_id: None,
        categories: &[],
        grid_id: None,
        phone: None,
    };
    let spare = app.store.unit_create(spare).await.unwrap();
    app.app.unit_active_set(&viewer(&app, "admin").await, UnitId(spare), false).await.unwrap();
    let (status, _, page) = ui_post(
        &app,
        &admin,
        "/admin/routing/labor",
        &[("rows", "2"), ("rows[0].unit_id", ""), ("rows[1].unit_id", &spare.to_string()), ("rows[1].note", "留着")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "rows[1].unit_id"), "第 2 行的单位已停用，不能选择");
    assert!(page.contains("value=\"留着\""));
}

async fn policies_and_calendar_are_forms(app: TestApp) {
    let admin = ui_session(&app, "admin").await;
    let limits = [
        ("rules[0].respond_minutes", "20"),
        ("rules[0].dispatch_hours", "12"),
        ("rules[0].conclude_working_days", "3"),
        ("rules[0].follow_up_working_days", "5"),
        ("rules[0].reminder_percent", "80"),
    ];
    let mut fields = vec![("rows", "2"), ("rules[0].risk", "red"), ("rules[0].order_after_working_days", "0")];
    fields.extend(limits);
    let (status, _, _) = ui_post(&app, &admin, "/admin/policies", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let rules = app.store.clock_policies().await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!((rules[0].risk, rules[0].policy.dispatch_hours), (Some(domain::case::Risk::Red), 12));

    fields[2] = ("rules[0].order_after_working_days", "99");
    let (status, _, page) = ui_post(&app, &admin, "/admin/policies", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_beside(&page, "rules[0].order_after_working_days").contains("0 到 60"), "{page}");
    assert!(page.contains("value=\"99\""));

    let (status, location, _) = ui_post(
        &app,
        &admin,
        "/admin/calendar",
        &[
            ("rows", "2"),
            ("year", "2031"),
            ("holidays[0].name", "春节"),
            ("holidays[0].rest_from", "2031-01-22"),
            ("holidays[0].rest_to", "2031-01-28"),
            ("holidays[0].work[0]", "2031-01-19"),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/calendar?year=2031"));
    let years = app.store.calendar_years().await.unwrap();
    let year = years.iter().find(|y| y.calendar.year == 2031).expect("loaded");
    assert_eq!(year.calendar.holidays[0].work.len(), 1);

    let (status, _, page) = ui_post(
        &app,
        &admin,
        "/admin/calendar",
        &[
            ("rows", "2"),
            ("year", "2031"),
            ("holidays[1].name", "国庆节"),
            ("holidays[1].rest_from", "2031-10-07"),
            ("holidays[1].rest_to", "2031-10-01"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!error_beside(&page, "holidays[1].rest").is_empty(), "beside the row typed, not the first");
}

async fn regions_and_grids_refused_come_back_as_typed(app: TestApp) {
    let admin = ui_session(&app, "admin").await;
    let (status, _, page) =
        ui_post(&app, &admin, "/admin/regions", &[("region_code", "620102002000"), ("name", "又一个张掖路街道")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "region_code"), "该区划代码已存在");
    assert!(page.contains("value=\"又一个张掖路街道\""));
    let (status, _, page) = ui_post(&app, &admin, "/admin/regions", &[("region_code", "620102"), ("name", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "name"), "名称为必填项");

    let (status, _, page) = ui_post(
        &app,
        &admin,
        "/admin/grids",
        &[("grid_code", "620102002001999"), ("name", "第九网格"), ("community", "")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "community"), "所属社区为必填项");
    let community = app.sql_texts("SELECT code FROM regions WHERE level = 'community' ORDER BY code LIMIT 1").await;
    let (status, location, _) = ui_post(
        &app,
        &admin,
        "/admin/grids",
        &[("grid_code", "620102002001999"), ("name", "第九网格"), ("community", &community[0])],
    )
    .await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/grids"));
    assert!(app.store.grids().await.unwrap().iter().any(|g| g.name == "第九网格"));
}

async fn risk_rules_are_a_form(app: TestApp) {
    let admin = ui_session(&app, "admin").await;
    let (status, page) = ui_get(&app, &format!("fq_session={admin}"), "/admin/rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("同归于尽\n") && !page.contains("violence_words\":"), "words a line, no JSON");
    // The form as shown, saved with one word more and one threshold changed.
    let mut fields: Vec<(String, String)> = Vec::new();
    let shown = app.app.triage_rules().await.unwrap();
    let json = serde_json::to_value(&shown).unwrap();
    for (group, values) in json.as_object().unwrap() {
        for (key, value) in values.as_object().unwrap() {
            let text = match value {
                serde_json::Value::Array(words) => {
                    words.iter().map(|w| w.as_str().unwrap()).collect::<Vec<_>>().join("\n")
                }
                serde_json::Value::Bool(true) => "true".to_owned(),
                serde_json::Value::Bool(false) => continue,
                other => other.to_string(),
            };
            fields.push((format!("{group}.{key}"), text));
        }
    }
    let set = |fields: &mut Vec<(String, String)>, name: &str, value: &str| {
        fields.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_owned();
    };
    set(&mut fields, "risk.group_red_people", "1");
    let form = |fields: &[(String, String)]| fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>();
    let post = |fields: Vec<(String, String)>| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            ui_post(app, &admin, "/admin/rules", &borrowed).await
        }
    };
    let (status, _, page) = post(form(&fields)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!error_beside(&page, "risk.group_red_people").is_empty(), "beside the field");
    set(&mut fields, "risk.group_red_people", "40");
    let words = format!("{}\n掀桌子", shown.risk.violence_words.join("\n"));
    set(&mut fields, "risk.violence_words", &words);
    let (status, location, _) = post(form(&fields)).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/rules"));
    let saved = app.app.triage_rules().await.unwrap();
    assert_eq!(saved.risk.group_red_people, 40);
    assert!(saved.risk.violence_words.contains(&"掀桌子".to_owned()));
    assert_eq!(saved.levels, shown.levels, "what was not changed stays");
}

async fn every_user_changes_their_own_password(app: TestApp) {
    let session = ui_session(&app, "street_a").await;
    let other = app.login("street_a").await;
    let (_, page) = ui_get(&app, &format!("fq_session={session}"), "/workbench").await;
    assert!(page.contains("href=\"/account/password\""), "reachable from the header");

    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let (app, session) = (&app, session.clone());
        async move {
            ui_post(
                app,
                &session,
                "/account/password",
                &[("current_password", current), ("new_password", new), ("new_password_again", again)],
            )
            .await
        }
    };
    let (status, _, page) = change("fengqiao-demo", "a-new-password", "a-new-passwort").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "new_password_again"), "两次输入的新密码不一致");
    let (status, _, page) = change("wrong-password", "a-new-password", "a-new-password").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "current_password"), "当前密码不正确");
    let (status, _, page) = change("fengqiao-demo", "short", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_beside(&page, "new_password"), "新密码至少 8 个字符");

    let (status, location, _) = change("fengqiao-demo", "a-new-password", "a-new-password").await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/account/password"));
    assert_eq!(
        ui_get(&app, &format!("fq_session={session}"), "/workbench").await.0,
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(app.get("/api/v1/auth/me", &other).await.0, StatusCode::UNAUTHORIZED, "the others end");
    assert_eq!(api_login(&app, "street_a", "fengqiao-demo").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(api_login(&app, "street_a", "a-new-password").await.0, StatusCode::OK);
}
