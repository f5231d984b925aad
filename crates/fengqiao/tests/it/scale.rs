//! Scale: generated cases are as consistent as registered ones, and two nodes on one database
//! behave as one system.

use reqwest::StatusCode;
use serde_json::json;

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(
    generated_cases_are_consistent,
    two_nodes_race_on_one_case,
    hot_queries_read_no_large_table_whole,
    the_sqlite_page_cache_is_budgeted,
);

/// Issue 19: every SQLite connection of the pool has the stated page cache (KiB), whichever
/// the pool hands out; PostgreSQL's is the server's own (`shared_buffers`).
async fn the_sqlite_page_cache_is_budgeted(app: TestApp) {
    if app.backend != crate::support::Backend::Sqlite {
        return;
    }
    for _ in 0..4 {
        let size = app.sql_texts("SELECT CAST(cache_size AS TEXT) FROM pragma_cache_size()").await;
        assert_eq!(size, [format!("-{}", store::SQLITE_CACHE_KIB)]);
    }
}

/// Issue 19: the hot queries have indexes to use on both databases; on PostgreSQL (sequential
/// scans and hash and merge joins disabled, after the generator's ANALYZE) none reads a large
/// table from end to end.
async fn hot_queries_read_no_large_table_whole(app: TestApp) {
    let now = chrono::Utc::now();
    fixtures::generate_cases(&app.store, 1500, 5, now).await.unwrap();
    let district = app.sql_texts("SELECT CAST(id AS TEXT) FROM users WHERE username = 'district'").await;
    let viewer = app.store.viewer(domain::ids::UserId(district[0].parse().unwrap())).await.unwrap();
    let plans = app.store.hot_query_plans(&viewer, now).await.unwrap();
    assert_eq!(plans.len(), 8);
    for plan in &plans {
        assert!(!plan.lines.is_empty(), "{}", plan.name);
        if app.store.backend() != "postgres" {
            continue;
        }
        assert!(plan.full_reads().is_empty(), "{} reads a large table whole:\n{}", plan.name, plan.lines.join("\n"));
    }
}

async fn generated_cases_are_consistent(app: TestApp) {
    let now = chrono::Utc::now();
    let generated = fixtures::generate_cases(&app.store, 2600, 42, now).await.unwrap();
    assert_eq!(generated.cases, 2600);
    assert!(generated.events > 2000, "histories: {generated:?}");

    let audit = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.status.success() && !out.contains("legacy"), "every row is recorded by its history: {out}");

    // Every state is represented, through the ordinary list.
    let district = app.login("district").await;
    for status in
        ["registered", "accepted", "rejected", "dispatched", "in_progress", "concluded", "followed_up", "archived"]
    {
        let (_, list) = app.get(&format!("/api/v1/cases?status={status}&limit=1"), &district).await;
        assert!(list["total"].as_i64().unwrap() > 0, "no generated case is {status}");
    }
    // Keyset paging walks the same list as offsets do, page after page, to its end.
    let list = "/api/v1/cases?status=concluded&limit=100";
    let (mut walked, mut after) = (Vec::new(), String::new());
    loop {
        let (status, page) = app.get(&format!("{list}{after}"), &district).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        walked.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()));
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    let total = app.get(list, &district).await.1["total"].as_i64().unwrap();
    assert!(walked.len() > 100 && walked.len() as i64 == total, "{} of {total}", walked.len());
    for (page, ids) in walked.chunks(100).enumerate() {
        let (_, by_offset) = app.get(&format!("{list}&offset={}", page * 100), &district).await;
        let offset_ids: Vec<i64> =
            by_offset["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, offset_ids, "page {page}");
    }
    let (status, refused) = app.get(&format!("{list}&after=yesterday"), &district).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("翻页位置"), "{refused}");

    // A generated case reads like a registered one: personal data decrypts on request.
    let (status, case) = app
        .get(&format!("/api/v1/cases/{}?reveal=true&reason=check", generated.first_id), &app.login("intake").await)
        .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let full = case["parties"][0]["id_number"].as_str().unwrap();
    assert!(
        domain::identity::IdNumber::parse(full, chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap()).is_ok(),
        "{full}"
    );

    // Rollups equal the recount; the search index takes them all.
    let city = app.login("city").await;
    let summary = crate::support::summary_equal_to_recount(&app, &city, now).await;
    assert_eq!(summary["received"], 2600);
    // Every case reaches the index, even thousands changed in one millisecond.
    app.sql("UPDATE cases SET updated_at = 1790000000000").await;
    let index = search::SearchIndex::open(&app.data_dir.join("search-fresh")).unwrap();
    index.catch_up(&app.store).await.unwrap();
    assert_eq!(index.document_count(), 2600);
    let (_, found) = app.get("/api/v1/search/cases?q=%E6%BC%8F%E6%B0%B4&limit=5", &district).await;
    assert!(found["total"].as_i64().unwrap() > 0, "{found}");
    // A word every case holds: 1 000 counted, the rest estimated; only the page is returned.
    let (_, everything) = app.get("/api/v1/search/cases?q=%E5%8F%8D%E6%98%A0&limit=5&offset=10", &city).await;
    assert_eq!((everything["total"].as_i64(), everything["total_capped"].as_bool()), (Some(1000), Some(true)));
    let estimate = everything["total_estimate"].as_i64().unwrap();
    assert!((2000..=3200).contains(&estimate), "2 600 cases hold the word, estimated {estimate}");
    assert_eq!(everything["items"].as_array().unwrap().len(), 5);

    // The store goes on after the generator: ids and case numbers do not collide.
    let (status, registered) = app
        .post(
            "/api/v1/cases",
            &app.login("intake").await,
            registration(&id_number("620102", "19800101", 1), "13912345678"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert!(registered["id"].as_i64().unwrap() > generated.first_id + 2599);
}

/// Two `fengqiao serve` processes on one database: this test's server and a child process.
async fn two_nodes_race_on_one_case(app: TestApp) {
    let (second, _process) = app.serve_process();
    let intake = app.login("intake").await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 2), "13912345678")).await;
    let first_version = case["version"].as_i64().unwrap();
    for round in 0..5 {
        let version = first_version + round;
        let mut racers = Vec::new();
        for i in 0..6 {
            let base = if i % 2 == 0 { app.base.clone() } else { second.clone() };
            let (client, token, id) = (app.client.clone(), intake.clone(), case["id"].clone());
            racers.push(tokio::spawn(async move {
                let response = client
                    .post(format!("{base}/api/v1/cases/{id}/actions"))
                    .bearer_auth(token)
                    .json(&json!({"action": "note", "text": format!("round {round} racer {i}"), "version": version}))
                    .send()
                    .await
                    .unwrap();
                response.status()
            }));
        }
        let mut outcomes = Vec::new();
        for racer in racers {
            outcomes.push(racer.await.unwrap());
        }
        assert_eq!(outcomes.iter().filter(|s| **s == StatusCode::OK).count(), 1, "round {round}: {outcomes:?}");
        assert!(outcomes.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{outcomes:?}");
    }
    // Both nodes see the same case, and the history has no gap.
    let path = format!("/api/v1/cases/{}/events", case["id"]);
    let (_, events) = app.get(&path, &intake).await;
    let response = app.client.get(format!("{second}{path}")).bearer_auth(&intake).send().await.unwrap();
    let events_2: serde_json::Value = response.json().await.unwrap();
    assert_eq!(events, events_2);
    let seqs: Vec<i64> = events.as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=6).collect::<Vec<i64>>());
    let audit = app.cli(&["audit", "verify"], None);
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stdout));
}
