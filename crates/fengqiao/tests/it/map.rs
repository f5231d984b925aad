//! The command screen's map (issue 15): the demo city's districts drawn from the boundaries it
//! imports, street boundaries imported by an administrator through the API (matched by code
//! and by name, the rest named back), a community's grid polygons imported the same way and
//! used by triage to place a case, the page's admin form, and every bad file refused naming
//! the file with nothing changed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, browser, registration, ui_get, ui_session};

on_both_backends!(boundaries_are_imported_and_drawn_on_the_command_screens_map);

fn square(lng: f64, lat: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[lng, lat], [lng + 0.01, lat], [lng + 0.01, lat + 0.01], [lng, lat + 0.01], [lng, lat]]]})
}

async fn put(app: &TestApp, token: &str, region: &str, body: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .put(format!("{}/api/v1/regions/{region}/boundaries", app.base))
        .bearer_auth(token)
        .header("content-type", "application/geo+json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn drawn(app: &TestApp, token: &str, region: &str) -> Vec<(String, String)> {
    let (status, map) = app.get(&format!("/api/v1/command/map?region={region}"), token).await;
    assert_eq!(status, StatusCode::OK, "{map}");
    assert_eq!(map["type"], "FeatureCollection");
    let features = map["features"].as_array().unwrap();
    features
        .iter()
        .map(|f| {
            assert_eq!(f["type"], "Feature");
            assert!(matches!(f["geometry"]["type"].as_str(), Some("Polygon" | "MultiPolygon")), "{f}");
            (f["id"].as_str().unwrap().to_owned(), f["properties"]["name"].as_str().unwrap().to_owned())
        })
        .collect()
}

async fn boundaries_are_imported_and_drawn_on_the_command_screens_map(app: TestApp) {
    let admin = app.login("admin").await;
    let leader = app.login("leader").await;

    // The demo city's eight districts come with their real boundaries.
    let districts = drawn(&app, &admin, "620100000000").await;
    assert_eq!(districts.len(), 8, "{districts:?}");
    assert!(districts.contains(&("620102000000".to_owned(), "城关".to_owned())));

    // The streets of 城关区 have none yet: the screen draws them as tiles.
    assert!(drawn(&app, &admin, "620102000000").await.is_empty());

    // An administrator imports them: by a nine-digit code, by the short name; one is nobody's.
    let file = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "620102002", "properties": {"name": "whatever"}, "geometry": square(103.80, 36.05)},
        {"type": "Feature", "properties": {"name": "酒泉路"}, "geometry": square(103.82, 36.05)},
        {"type": "Feature", "properties": {"name": "不存在街道"}, "geometry": square(103.84, 36.05)},
    ]});
    let (status, done) = put(&app, &admin, "620102000000", &file.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["matched"], json!(["620102002000", "620102003000"]));
    assert_eq!(done["unmatched"], json!(["不存在街道"]));
    let streets = drawn(&app, &leader, "620102000000").await;
    assert_eq!(
        streets,
        [("620102002000".to_owned(), "张掖路".to_owned()), ("620102003000".to_owned(), "酒泉路".to_owned())]
    );

    // Bad files are refused naming the file, in words, and change nothing.
    let bad = [
        "not json at all",
        r#"{"type": "Point", "coordinates": [103.8, 36.0]}"#,
        r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "张掖路"}, "geometry": {"type": "Polygon", "coordinates": [[[103.8, 36.0], [500, 36.0], [103.9, 36.1]]]}}]}"#,
        "",
    ];
    for body in bad {
        let (status, error) = put(&app, &admin, "620102000000", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert_eq!(error["error"]["field"], "file", "{error}");
        assert!(error["error"]["message"].as_str().unwrap().contains("文件"), "{error}");
    }
    let (status, _) = put(&app, &admin, "620199000000", &file.to_string()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Only an administrator imports; a leader reads.
    let (status, _) = put(&app, &leader, "620102000000", &file.to_string()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(drawn(&app, &admin, "620102000000").await.len(), 2);
    // A region outside the leader's territory is not theirs to see; a street handler has no map.
    let (status, _) = app.get("/api/v1/command/map?region=620103000000", &leader).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let street = app.login("street_a").await;
    let (status, _) = app.get("/api/v1/command/map?region=620102000000", &street).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A community's file draws its grids, and triage places a case by the grid's polygon.
    let grid =
        app.sql_texts("SELECT code FROM grids WHERE community_code = '620102002001' ORDER BY code LIMIT 1").await;
    let grid = &grid[0];
    let file = json!({"type": "Feature", "id": grid, "properties": {}, "geometry": square(103.70, 36.10)});
    let (status, done) = put(&app, &admin, "620102002001", &file.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["matched"], json!([grid]));
    assert_eq!(drawn(&app, &leader, "620102002001").await.len(), 1);
    let intake = app.login("intake").await;
    let mut case = registration(&crate::support::id_number("620102", "19850101", 7), "13912340077");
    case["location"] = json!({"address": "中山林社区某楼", "lat": 36.105, "lng": 103.705});
    let case = app.register(&intake, case).await;
    let grid_id = app.sql_texts(&format!("SELECT CAST(id AS TEXT) FROM grids WHERE code = '{grid}'")).await;
    assert_eq!(case["location"]["grid_id"].to_string(), grid_id[0], "{case}");

    // Removing the streets' boundaries brings the tiles back.
    let (status, removed) =
        app.call(Method::DELETE, "/api/v1/regions/620102000000/boundaries", Some(&admin), None).await;
    assert_eq!((status, removed["removed"].as_u64()), (StatusCode::OK, Some(2)));
    assert!(drawn(&app, &admin, "620102000000").await.is_empty());

    // The administrator's page of a region: the coverage, and a bad upload named beside the file.
    let session = ui_session(&app, "admin").await;
    let cookies = format!("fq_session={session}");
    let (status, page) = ui_get(&app, &cookies, "/admin/regions/620100000000").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<b data-drawn>8</b>"), "the page counts the districts drawn");
    let csrf = page.split("name=\"_csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    let upload = |file: &str| {
        let boundary = "fengqiao-test-boundary";
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"streets.geojson\"\r\nContent-Type: application/geo+json\r\n\r\n{file}\r\n--{boundary}--\r\n"
        )
    };
    let post = |body: String| {
        browser()
            .post(format!("{}/admin/regions/620102000000/boundaries", app.base))
            .header("cookie", &cookies)
            .header("content-type", "multipart/form-data; boundary=fengqiao-test-boundary")
            .body(body)
            .send()
    };
    let refused = post(upload("{\"type\": \"Point\"}")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains("id=\"boundary-file-error\""), "the error stands beside the file field");
    assert!(page.contains("FeatureCollection"), "and says what a boundary file is");
    let streets = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "张掖路街道"}, "geometry": square(103.80, 36.05)}]});
    let accepted = post(upload(&streets.to_string())).await.unwrap();
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    assert_eq!(accepted.headers()["location"], "/admin/regions/620102000000");
    assert_eq!(drawn(&app, &admin, "620102000000").await.len(), 1);
}
