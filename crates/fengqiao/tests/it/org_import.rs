//! The administrator's missing pieces (issue 13): the bulk import of units and users from a CSV
//! file (preview with every fault named by its line, then all or nothing, never twice), the
//! region and grid screens (lists, renaming, disabling only what nothing open depends on), and
//! the hall screen's calls (said once, said again when the window calls again).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, browser, registration, ui_answer, ui_get, ui_post, ui_session};

on_both_backends!(
    units_and_users_are_imported_from_a_file_all_or_nothing_and_never_twice,
    regions_and_grids_are_listed_renamed_and_disabled_only_when_nothing_open_depends_on_them,
    a_call_reaches_the_hall_screen_once_and_again_when_the_window_repeats_it,
);

/// Uploads a file to the import page as this session: the status and the page.
async fn upload(app: &TestApp, session: &str, kind: &str, file: &[u8]) -> (StatusCode, String) {
    let cookies = format!("fq_session={session}");
    let (_, page) = ui_get(app, &cookies, "/admin/import").await;
    let csrf = page.split("name=\"_csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    let boundary = "fengqiao-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("_csrf", csrf), ("kind", kind)] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"import.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .bytes(),
    );
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let response = browser()
        .post(format!("{}/admin/import", app.base))
        .header("cookie", &cookies)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The value of a hidden field of a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no field {name}")) + marker.len();
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

/// Confirms the import a preview shows: the status, where it redirects and the page.
async fn confirm(app: &TestApp, session: &str, preview: &str) -> (StatusCode, String, String) {
    let (csrf, kind, payload) = (hidden(preview, "_csrf"), hidden(preview, "kind"), hidden(preview, "payload"));
    let response = browser()
        .post(format!("{}/admin/import/confirm", app.base))
        .header("cookie", format!("fq_session={session}"))
        .form(&[("_csrf", csrf.as_str()), ("kind", kind.as_str()), ("payload", payload.as_str())])
        .send()
        .await
        .unwrap();
    ui_answer(response).await
}

/// What the hall screen's script reads.
async fn screen(app: &TestApp, cookies: &str) -> Value {
    let (status, body) = ui_get(app, cookies, "/queue/screen/calls").await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_str(&body).unwrap()
}

async fn count(app: &TestApp, sql: &str) -> usize {
    app.sql_texts(sql).await.len()
}

async fn units_and_users_are_imported_from_a_file_all_or_nothing_and_never_twice(app: TestApp) {
    let admin = ui_session(&app, "admin").await;
    let cookies = format!("fq_session={admin}");

    // The template: the header row in the reader's language, readable by Excel as UTF-8.
    let response = browser()
        .get(format!("{}/admin/import/template/units.csv", app.base))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        response.text().await.unwrap(),
        "\u{feff}单位代码,名称,类型,行政区划代码,上级单位代码,受理类型,联系电话\r\n"
    );

    // A file with faults, as Excel in China saves it (GBK): each named by its line; nothing made.
    let faulty = "单位代码,名称,类型,行政区划代码,上级单位代码,受理类型,联系电话\r\n\
                  GL-01,皋兰路街道综治中心,综治中心,620102003000,,,\r\n\
                  GL-01,皋兰路街道调委会,人民调解委员会,620102003000,GL-00,邻里,8888\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(faulty);
    let units_before = count(&app, "SELECT name FROM units").await;
    let (status, page) = upload(&app, &admin, "units", &gbk).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第 3 行的单位代码重复：与第 2 行相同"), "{page}");
    assert!(page.contains("第 3 行的上级单位代码 GL-00 不存在"));
    assert!(page.contains("第 3 行的联系电话"));
    assert!(page.contains("皋兰路街道调委会"), "the lines are shown as written");
    assert!(!page.contains("name=\"payload\""), "nothing to confirm");
    assert_eq!(count(&app, "SELECT name FROM units").await, units_before);

    // Corrected (UTF-8 with a BOM): previewed, then imported at once, the parent found by code.
    let units = "\u{feff}单位代码,名称,类型,行政区划代码,上级单位代码,受理类型,联系电话\r\n\
                 GL-01,皋兰路街道综治中心,综治中心,620102003000,,,0931-8461234\r\n\
                 GL-02,皋兰路街道调委会,人民调解委员会,620102003000,GL-01,邻里 婚姻家庭,\r\n";
    let (status, preview) = upload(&app, &admin, "units", units.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(preview.contains("检查通过"));
    let (status, location, _) = confirm(&app, &admin, &preview).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/admin/units"));
    let parent =
        app.sql_texts("SELECT p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = 'GL-02'").await;
    assert_eq!(parent, ["GL-01"]);
    // The same file again: refused by code, line by line; nothing twice.
    let (status, page) = upload(&app, &admin, "units", units.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第 2 行的单位代码 GL-01 已存在，不再导入"), "{page}");
    let (status, _, _) = confirm(&app, &admin, &preview).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "confirming the old preview again creates nothing");
    assert_eq!(count(&app, "SELECT name FROM units WHERE code LIKE 'GL-%'").await, 2);
    // An existing unit is given a code on its form, never one another unit holds.
    let centre = app.unit_id("张掖路街道综治中心").await;
    let path = format!("/admin/units/{centre}");
    let form = |code| {
        vec![("name", "张掖路街道综治中心"), ("kind", "centre"), ("region_code", "620102002000"), ("unit_code", code)]
    };
    let (status, _) = ui_post(&app, &admin, &path, &path, &form("GL-01")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "GL-01 is taken");
    let (status, _) = ui_post(&app, &admin, &path, &path, &form("ZY-00")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.sql_texts(&format!("SELECT code FROM units WHERE id = {centre}")).await, ["ZY-00"]);
    // The API's units carry their codes, so that another system can match its own lists.
    let (_, units) = app.get("/api/v1/units", &app.login("admin").await).await;
    let by_code = |code: &str| units.as_array().unwrap().iter().find(|u| u["code"] == code).map(|u| u["id"].clone());
    assert_eq!(by_code("ZY-00"), Some(json!(centre)), "{units}");
    assert!(by_code("GL-02").is_some(), "{units}");

    // Users, by the units' codes and roles as labels: each given a password shown once.
    let users = "用户名,姓名,角色,单位代码\nglz_wang,王芳,调解员,GL-02\nglz_li,李强,intake,GL-01\n";
    let (status, preview) = upload(&app, &admin, "users", users.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let (status, _, page) = confirm(&app, &admin, &preview).await;
    assert_eq!(status, StatusCode::OK);
    let password = page.split("data-password>").nth(1).and_then(|rest| rest.split('<').next()).unwrap().to_owned();
    assert_eq!(password.len(), 12);
    let signed_in = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"username": "glz_wang", "password": password})),
        )
        .await;
    assert_eq!(signed_in.0, StatusCode::OK, "the initial password signs in");
    assert_eq!(signed_in.1["user"]["role"], "mediator");
    // Sent again (a refresh of the answer): every username refused, nobody twice.
    let (status, _, page) = confirm(&app, &admin, &preview).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("第 2 行的用户名 glz_wang 已存在，不再导入"), "{page}");
    assert_eq!(count(&app, "SELECT username FROM users WHERE username LIKE 'glz_%'").await, 2);

    // The file as a whole: a column missing, too big, not text; only an administrator imports.
    let (status, page) = upload(&app, &admin, "users", "用户名,姓名\nx,y\n".as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("缺少一列：角色") && page.contains("缺少一列：单位代码"));
    let (_, page) = upload(&app, &admin, "users", &vec![b'a'; 200 * 1024]).await;
    assert!(page.contains("文件超过 128 KB"));
    let (_, page) = upload(&app, &admin, "users", b"\xff\xfe\x00\x00\xff").await;
    assert!(page.contains("既不是 UTF-8 也不是 GBK"));
    let clerk = ui_session(&app, "intake").await;
    let (status, _) = ui_get(&app, &format!("fq_session={clerk}"), "/admin/import").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn regions_and_grids_are_listed_renamed_and_disabled_only_when_nothing_open_depends_on_them(app: TestApp) {
    let admin = ui_session(&app, "admin").await;
    let cookies = format!("fq_session={admin}");
    let (status, page) = ui_get(&app, &cookies, "/admin/regions?level=community").await;
    assert_eq!(status, StatusCode::OK);
    let communities = count(&app, "SELECT code FROM regions WHERE level = 'community'").await;
    assert!(page.contains(&format!("共 {communities} · 1/1")), "counted");
    assert!(page.contains("大众巷社区") && !page.contains("data-code=\"620102002000\""), "filtered by level");

    // Renamed: the name changes, the code stays; a blank name is refused beside its field.
    let (status, _) =
        ui_post(&app, &admin, "/admin/regions/620102002003", "/admin/regions/620102002003", &[("name", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, flash) = ui_post(
        &app,
        &admin,
        "/admin/regions/620102002003",
        "/admin/regions/620102002003",
        &[("name", "大众巷新社区")],
    )
    .await;
    assert_eq!((status, flash.as_str()), (StatusCode::SEE_OTHER, "ok"));
    assert_eq!(app.sql_texts("SELECT name FROM regions WHERE code = '620102002003'").await, ["大众巷新社区"]);

    // Disabled only once nothing depends on it: first its two grids, then the community.
    let disable = [("active", "false")];
    let (_, flash) =
        ui_post(&app, &admin, "/admin/regions/620102002003", "/admin/regions/620102002003/active", &disable).await;
    assert_eq!(flash, "error", "its grids are active");
    for code in ["620102002003001", "620102002003002"] {
        let id = app.sql_texts(&format!("SELECT CAST(id AS TEXT) FROM grids WHERE code = '{code}'")).await.remove(0);
        let (_, flash) =
            ui_post(&app, &admin, &format!("/admin/grids/{id}"), &format!("/admin/grids/{id}/active"), &disable).await;
        assert_eq!(flash, "ok");
    }
    let (_, flash) =
        ui_post(&app, &admin, "/admin/regions/620102002003", "/admin/regions/620102002003/active", &disable).await;
    assert_eq!(flash, "ok");
    let (_, unit_form) = ui_get(&app, &cookies, "/admin/units/new").await;
    assert!(!unit_form.contains("大众巷新社区"), "a disabled region is offered in no picker");

    // A community with an open case, and a grid that a grid station serves, stay.
    let intake = app.login("intake").await;
    app.register(&intake, registration(&crate::support::id_number("620102", "19800101", 7), "13912345678")).await;
    let (_, flash) =
        ui_post(&app, &admin, "/admin/regions/620102002001", "/admin/regions/620102002001/active", &disable).await;
    assert_eq!(flash, "error");
    let station_grid =
        app.sql_texts("SELECT CAST(id AS TEXT) FROM grids WHERE code = '620102002001001'").await.remove(0);
    let path = format!("/admin/grids/{station_grid}");
    let (_, flash) = ui_post(&app, &admin, &path, &format!("{path}/active"), &disable).await;
    assert_eq!(flash, "error");
    let (_, page) = ui_get(&app, &cookies, &path).await;
    assert!(!page.contains("已停用"));
    let (_, page) = ui_get(&app, &cookies, "/admin/grids?q=%E5%A4%A7%E4%BC%97%E5%B7%B7").await;
    assert!(page.contains("共 2 · 1/1") && page.contains("已停用"), "the grids list, searched");
}

async fn a_call_reaches_the_hall_screen_once_and_again_when_the_window_repeats_it(app: TestApp) {
    let clerk = ui_session(&app, "intake").await;
    let cookies = format!("fq_session={clerk}");
    for _ in 0..2 {
        ui_post(&app, &clerk, "/intake", "/queue/take", &[]).await;
    }
    let (_, flash) = ui_post(&app, &clerk, "/intake", "/queue/recall", &[]).await;
    assert_eq!(flash, "warn", "nothing called yet");
    ui_post(&app, &clerk, "/intake", "/queue/call", &[("counter", "3")]).await;
    let first = screen(&app, &cookies).await;
    assert_eq!(first["calls"][0]["text"], "请 001 号到 3 号窗口");
    assert_eq!(first["waiting"], serde_json::json!(["002"]));
    let (_, page) = ui_get(&app, &cookies, "/queue/screen").await;
    assert!(page.contains(first["calls"][0]["key"].as_str().unwrap()), "what the page shows is not said again");

    // Repeated from the window: the same words, as a new call.
    app.set_now(&chrono::Utc::now().checked_add_signed(chrono::Duration::seconds(5)).unwrap().to_rfc3339());
    let (_, flash) = ui_post(&app, &clerk, "/intake", "/queue/recall", &[]).await;
    assert_eq!(flash, "ok");
    let again = screen(&app, &cookies).await;
    assert_eq!(again["calls"][0]["text"], first["calls"][0]["text"]);
    assert_ne!(again["calls"][0]["key"], first["calls"][0]["key"]);
    let (_, english) = ui_get(&app, &format!("{cookies}; fq_lang=en"), "/queue/screen/calls").await;
    assert!(english.contains("Number 001, please go to window 3"), "{english}");

    // Only who registers cases calls (not the administrator).
    let admin = ui_session(&app, "admin").await;
    let (status, _) = ui_post(&app, &admin, "/workbench", "/queue/recall", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
