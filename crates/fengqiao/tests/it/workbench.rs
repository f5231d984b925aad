//! The workbench as each role opens it, on SQLite and on PostgreSQL: every tile is a link to
//! the list it counts, and that list counts the same; the notices awaiting a reply are listed
//! one line per case, however many a catch-up issued.

use reqwest::StatusCode;
use serde_json::json;

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration, ui_get, ui_session};

on_both_backends!(every_tile_counts_what_its_list_shows);

/// The tiles of a workbench: (link, count).
fn tiles(html: &str) -> Vec<(String, i64)> {
    html.split("<a class=\"stat card\" href=\"")
        .skip(1)
        .map(|rest| {
            let href = rest.split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
            let value = rest.split("<span class=\"value\">").nth(1).unwrap().split('<').next().unwrap();
            (href, value.trim().parse().unwrap())
        })
        .collect()
}

/// The count a list page shows: the case list's total, or the notices'.
fn list_count(html: &str) -> i64 {
    let count = match html.split("data-total=\"").nth(1) {
        Some(rest) => rest.split('"').next(),
        None => html.split("id=\"notice-count\">").nth(1).and_then(|r| r.split_whitespace().nth(1)),
    };
    count.expect("a count").parse().unwrap()
}

async fn every_tile_counts_what_its_list_shows(app: TestApp) {
    app.set_now("2026-11-16T09:00:00+08:00");
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let street_a = app.login("street_a").await;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let mut cases = Vec::new();
    for seq in 1..=4 {
        cases.push(app.register(&intake, registration(&id_number("620102", "19800101", seq), "13912345678")).await);
    }
    app.set_now("2026-11-16T10:00:00+08:00");
    for case in &cases[..3] {
        let (status, case) = app.act(&district, case, json!({"action": "dispatch", "unit_id": a1})).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        if case["id"] == cases[0]["id"] {
            let (status, _) = app.act(&street_a, &case, json!({"action": "sign"})).await;
            assert_eq!(status, StatusCode::OK);
        }
    }
    // Weeks later, one sweep catches up: notices on every late case.
    app.set_now("2026-12-10T10:00:00+08:00");
    let (status, report) = app.post("/api/v1/supervision/sweep", &app.login("leader").await, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(report["notices_issued"].as_i64().unwrap() > 0, "{report}");
    app.set_now("2026-12-10T10:05:00+08:00");

    let mut counted = 0;
    for user in ["intake", "district", "street_a", "leader", "mediator"] {
        let cookies = format!("fq_session={}", ui_session(&app, user).await);
        let (status, workbench) = ui_get(&app, &cookies, "/workbench").await;
        assert_eq!(status, StatusCode::OK);
        let tiles = tiles(&workbench);
        assert_eq!(tiles.len(), 4, "{user}: four tiles");
        for (href, count) in tiles {
            let (status, list) = ui_get(&app, &cookies, &href).await;
            assert_eq!(status, StatusCode::OK, "{user}: {href}");
            assert_eq!(list_count(&list), count, "{user}: the tile {href} counts what its list shows");
            counted += count;
        }
        // One line per case for the notices awaiting a reply, each saying how many.
        let lines = workbench.matches("data-awaiting-case=").count();
        let (_, awaiting) = app.get("/api/v1/notices?awaiting_reply=true", &app.login(user).await).await;
        let mine: Vec<i64> = awaiting.as_array().unwrap().iter().map(|n| n["case_id"].as_i64().unwrap()).collect();
        let mut cases_awaiting = mine.clone();
        cases_awaiting.sort_unstable();
        cases_awaiting.dedup();
        assert_eq!(lines, cases_awaiting.len().min(10), "{user}: a line per case");
    }
    assert!(counted > 0, "the tiles counted something");
}
