//! The figures table (统计指标): each figure against a hand-counted set of cases, the
//! drill-through's totals equal to the figures on generated data, the workbook read back.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(each_figure_counts_a_hand_counted_set, drill_through_totals_equal_the_figures);

/// Five cases registered in November 2026 in 城关区 (620102), each taken down a known path:
///
/// | case | path | counts in |
/// |---|---|---|
/// | 1 | dispatch, sign, resolved on time, satisfied | resolved, mediated, on time, satisfied, first time right |
/// | 2 | dispatch, returned, dispatched again, sign, unresolved late (not followed up: a dissatisfied rating would reopen it) | mediated |
/// | 3 | dispatch (labour unit), sign, withdrawn on time | on time, first time right |
/// | 4 | registered only (neighbour dispute) | received |
/// | 5 | dispatch, sign, refused on time, basically satisfied | on time, satisfied, first time right |
async fn each_figure_counts_a_hand_counted_set(app: TestApp) {
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let labour = app.unit_id("城关区劳动人事争议调解中心").await;
    app.set_now("2026-11-16T10:00:00+08:00");
    let (intake, district) = (app.login("intake").await, app.login("district").await);
    let (street_a, labor) = (app.login("street_a").await, app.login("labor").await);
    let mut cases = Vec::new();
    for i in 1..=5u32 {
        let mut body = registration(&id_number("620102", "19800101", i), "13912345678");
        if i == 4 {
            body["category"] = json!("neighbor");
        }
        cases.push(app.register(&intake, body).await);
    }
    let step = |token: &str, case: &Value, action: Value| {
        let (token, case) = (token.to_owned(), case.clone());
        let app = &app;
        async move {
            let (status, next) = app.act(&token, &case, action).await;
            assert_eq!(status, StatusCode::OK, "{next}");
            next
        }
    };
    let dispatch = |unit: i64| json!({"action": "dispatch", "unit_id": unit});
    let conclude = |outcome: &str| json!({"action": "conclude", "outcome": outcome, "summary": "办结"});
    let follow_up = |satisfaction: &str| json!({"action": "follow_up", "satisfaction": satisfaction});

    let c = step(&district, &cases[0], dispatch(a1)).await;
    let c = step(&street_a, &c, json!({"action": "sign"})).await;
    let c = step(&street_a, &c, conclude("resolved")).await;
    step(&district, &c, follow_up("satisfied")).await;

    let c = step(&district, &cases[2], dispatch(labour)).await;
    let c = step(&labor, &c, json!({"action": "sign"})).await;
    step(&labor, &c, conclude("withdrawn")).await;

    let c = step(&district, &cases[4], dispatch(a1)).await;
    let c = step(&street_a, &c, json!({"action": "sign"})).await;
    let c = step(&street_a, &c, conclude("refused")).await;
    step(&district, &c, follow_up("basically_satisfied")).await;

    let c = step(&district, &cases[1], dispatch(a1)).await;
    let c = step(&street_a, &c, json!({"action": "return", "reason": "非本单位职责"})).await;
    let c = step(&district, &c, dispatch(a1)).await;
    let c = step(&street_a, &c, json!({"action": "sign"})).await;
    // A month later: past the deadline (signed in again, the tokens have expired).
    app.set_now("2026-12-20T10:00:00+08:00");
    let (street_a, district) = (app.login("street_a").await, app.login("district").await);
    step(&street_a, &c, conclude("unresolved")).await;

    // 万人成讼率's administrative data: 25 first-instance cases in November, 500 000 people.
    let admin = app.login("admin").await;
    let put = |path: &str, body: Value| {
        let (path, admin) = (path.to_owned(), admin.clone());
        let app = &app;
        async move { app.call(Method::PUT, &path, Some(&admin), Some(body)).await }
    };
    let (status, _) =
        put("/api/v1/stats/population", json!({"region": "620102", "year": 2026, "population": 500_000})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) =
        put("/api/v1/stats/court-filings", json!({"region": "620102", "month": "2026-11", "first_instance": 25})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, error) =
        put("/api/v1/stats/court-filings", json!({"region": "620102", "month": "11/2026", "first_instance": 1})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("month")));
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/stats/population",
            Some(&district),
            Some(json!({"region": "620102", "year": 2026, "population": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "population is the administrator's");

    app.set_now("2026-12-31T12:00:00+08:00");
    let city = app.login("city").await;
    let (status, table) =
        app.get("/api/v1/stats/figures?region=620100&from=2026-11-01&to=2026-11-30&by=region", &city).await;
    assert_eq!(status, StatusCode::OK, "{table}");
    assert_eq!(table["rows"].as_array().unwrap().len(), 1, "{table}");
    let row = &table["rows"][0];
    assert_eq!(row["key"], "620102000000");
    assert_eq!(row["label"], "城关区");
    let figure = |code: &str| {
        let f = &row["figures"][code];
        (f["numerator"].as_i64(), f["denominator"].as_i64(), f["value"].as_f64())
    };
    assert_eq!(figure("received"), (Some(5), None, Some(5.0)));
    assert_eq!(figure("resolved_rate"), (Some(1), Some(5), Some(0.2)));
    assert_eq!(figure("mediation_success_rate"), (Some(1), Some(2), Some(0.5)));
    assert_eq!(figure("on_time_rate"), (Some(3), Some(4), Some(0.75)));
    assert_eq!(figure("satisfaction_rate"), (Some(2), Some(2), Some(1.0)));
    assert_eq!(figure("first_routing_accuracy"), (Some(3), Some(4), Some(0.75)));
    assert_eq!(figure("litigation_per_10k"), (Some(25), Some(500_000), Some(0.5)));
    assert_eq!(
        table["total"]["figures"]["litigation_per_10k"]["value"], 0.5,
        "the city's population sums its districts'"
    );
    for code in ["received", "resolved_rate", "litigation_per_10k"] {
        assert!(!table["definitions"][code].as_str().unwrap().is_empty(), "{code} has a definition");
    }

    // Drill-through: the numerator's cases themselves.
    let (status, list) = app
        .get("/api/v1/stats/figures/resolved_rate/cases?region=620100&from=2026-11-01&to=2026-11-30&by=region&key=620102000000", &city)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!((list["total"].as_i64(), list["items"][0]["id"].clone()), (Some(1), cases[0]["id"].clone()));

    // By unit, category, channel and month.
    let (_, by_unit) =
        app.get("/api/v1/stats/figures?region=620102&from=2026-11-01&to=2026-11-30&by=unit", &city).await;
    let a1_key = a1.to_string();
    let a1_row = by_unit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"].as_str() == Some(a1_key.as_str()))
        .unwrap()
        .clone();
    assert_eq!(
        (a1_row["label"].as_str(), a1_row["figures"]["received"]["numerator"].as_i64()),
        (Some("张掖路街道综治中心"), Some(3))
    );
    let (_, by_category) =
        app.get("/api/v1/stats/figures?region=620102&from=2026-11-01&to=2026-11-30&by=category", &city).await;
    let neighbour = by_category["rows"].as_array().unwrap().iter().find(|r| r["key"] == "neighbor").unwrap().clone();
    assert_eq!(
        (neighbour["label"].as_str(), neighbour["figures"]["received"]["numerator"].as_i64()),
        (Some("邻里"), Some(1))
    );
    let (_, by_month) =
        app.get("/api/v1/stats/figures?region=620102&from=2026-10-01&to=2026-12-31&by=month", &city).await;
    assert_eq!(by_month["rows"][0]["key"], "2026-11");
    assert_eq!(by_month["rows"][0]["figures"]["litigation_per_10k"]["numerator"], 25);

    // Bad filters are 422 naming the field; another district's figures are refused.
    for (path, field) in [
        ("/api/v1/stats/figures?by=week", "by"),
        ("/api/v1/stats/figures?from=2026-13-01", "from"),
        ("/api/v1/stats/figures?region=abc", "region"),
        ("/api/v1/stats/figures/speed/cases", "figure"),
        ("/api/v1/stats/figures/received/cases?by=unit&key=x", "key"),
        ("/api/v1/stats/figures/litigation_per_10k/cases", "figure"),
    ] {
        let (status, error) = app.get(path, &city).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{path}"
        );
    }
    let street_b = app.login("street_b").await;
    let (status, _) = app.get("/api/v1/stats/figures?region=620102", &street_b).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "outside the viewer's territory");

    // The workbook holds the same numbers.
    let response = app
        .client
        .get(format!("{}/api/v1/stats/figures.xlsx?region=620100&from=2026-11-01&to=2026-11-30", app.base))
        .bearer_auth(&city)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = workbook.worksheet_range("统计指标").unwrap();
    assert_eq!(sheet.get_value((1, 0)).unwrap().to_string(), "城关区");
    assert_eq!(sheet.get_value((1, 1)).unwrap().to_string(), "5");
    assert_eq!(sheet.get_value((1, 4)).unwrap().to_string(), "0.2", "resolved_rate");
}

/// On generated histories, every drill-through's total equals its figure's numerator, for
/// every grouping, figure and row.
async fn drill_through_totals_equal_the_figures(app: TestApp) {
    let now = chrono::Utc::now();
    fixtures::generate_cases(&app.store, 600, 7, now).await.unwrap();
    let city = app.login("city").await;
    let today = now.with_timezone(&domain::china_time()).date_naive();
    let from = today - chrono::Duration::days(400);
    let filters = format!("region=620100&from={from}&to={today}");
    let mut checked = 0;
    for by in ["region", "unit", "category", "channel", "month"] {
        let (status, table) = app.get(&format!("/api/v1/stats/figures?{filters}&by={by}"), &city).await;
        assert_eq!(status, StatusCode::OK, "{table}");
        let rows = table["rows"].as_array().unwrap();
        let received: i64 = rows.iter().map(|r| r["figures"]["received"]["numerator"].as_i64().unwrap()).sum();
        assert_eq!(received, table["total"]["figures"]["received"]["numerator"].as_i64().unwrap(), "{by}");
        for row in rows.iter().take(4) {
            for code in [
                "received",
                "resolved_rate",
                "mediation_success_rate",
                "on_time_rate",
                "satisfaction_rate",
                "first_routing_accuracy",
            ] {
                let key = row["key"].as_str().unwrap();
                let path = format!("/api/v1/stats/figures/{code}/cases?{filters}&by={by}&key={key}&limit=5");
                let (status, list) = app.get(&path, &city).await;
                assert_eq!(status, StatusCode::OK, "{list}");
                assert_eq!(list["total"], row["figures"][code]["numerator"], "{path}");
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "{checked}");
    let (_, total) = app.get(&format!("/api/v1/stats/figures?{filters}"), &city).await;
    assert_eq!(total["total"]["figures"]["received"]["numerator"], 600);
    // `key=all`: the table's total, every case of the region and period.
    for code in ["received", "resolved_rate", "on_time_rate"] {
        let path = format!("/api/v1/stats/figures/{code}/cases?{filters}&key=all&limit=5");
        let (status, list) = app.get(&path, &city).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["total"], total["total"]["figures"][code]["numerator"], "{path}");
    }
    // The statistics page links its total to that list, and the list shows the same count.
    let cookies = format!("fq_session={}; fq_lang=zh-CN", crate::support::ui_session(&app, "city").await);
    let (status, page) = crate::support::ui_get(&app, &cookies, &format!("/stats?{filters}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let received = total["total"]["figures"]["received"]["numerator"].as_i64().unwrap();
    assert!(page.contains(&format!("data-count=\"{received}\">{received}</a>")), "{page}");
    let link = format!("/stats/cases/received?region=620100000000&from={from}&to={today}&by=region&key=all");
    assert!(page.contains(&link.replace('&', "&#38;")), "{page}");
    let (status, list) = crate::support::ui_get(&app, &cookies, &link).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list.contains(&format!("data-total=\"{received}\"")), "{list}");
    // A bad date is refused on the page, naming the field, with the form as typed.
    let (status, refused) = crate::support::ui_get(&app, &cookies, "/stats?from=2026-13-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.contains("value=\"2026-13-01\""), "{refused}");
    assert!(refused.contains("开始日期应为 YYYY-MM-DD 格式的日期"), "{refused}");
}
