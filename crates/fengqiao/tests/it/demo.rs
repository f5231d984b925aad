//! The demo data set and the generator on one database: every case — registered through the
//! API's own code or written in batches — goes through the store's one case writer, so their
//! histories verify together, their numbers do not collide and the rollups equal the recount.

use crate::on_both_backends;
use crate::support::TestApp;

on_both_backends!(demo_and_generated_cases_share_one_writer);

async fn demo_and_generated_cases_share_one_writer(app: TestApp) {
    let now = chrono::Utc::now();
    fixtures::demo::load_cases(&app.store, now).await.unwrap();
    // CONTRACT.md: a few hundred cases in every state.
    let city = app.login("city").await;
    let (_, all) = app.get("/api/v1/cases?limit=1", &city).await;
    assert!(all["total"].as_i64().unwrap() >= 200, "{all}");
    for status in
        ["registered", "accepted", "rejected", "dispatched", "in_progress", "concluded", "followed_up", "archived"]
    {
        let (_, list) = app.get(&format!("/api/v1/cases?status={status}&limit=1"), &city).await;
        assert!(list["total"].as_i64().unwrap() > 0, "no demo case is {status}");
    }

    let generated = fixtures::generate_cases(&app.store, 300, 11, now).await.unwrap();
    assert_eq!(generated.cases, 300);
    let (_, all_after) = app.get("/api/v1/cases?limit=1", &city).await;
    assert_eq!(all_after["total"].as_i64().unwrap(), all["total"].as_i64().unwrap() + 300);

    let audit = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.status.success() && !out.contains("legacy"), "every row is recorded by its history: {out}");

    let today = now.with_timezone(&domain::china_time()).date_naive();
    let from = today - chrono::Duration::days(400);
    let (_, summary) = app.get(&format!("/api/v1/stats/summary?region=620100&from={from}&to={today}"), &city).await;
    let recount =
        app.store.stats_recount(&domain::org::RegionCode::parse("620100").unwrap(), from, today).await.unwrap();
    assert_eq!(summary, serde_json::to_value(&recount).unwrap());
}
