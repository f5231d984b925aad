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
    // Petitions transferred by the district's petition office, some still to be accepted.
    let district = app.login("district").await;
    let (_, petitions) = app.get("/api/v1/petitions?stage=received", &district).await;
    assert!(petitions["total"].as_i64().unwrap() > 0, "the demo has petitions to accept: {petitions}");

    let generated = fixtures::generate_cases(&app.store, 300, 11, now).await.unwrap();
    assert_eq!(generated.cases, 300);
    let (_, all_after) = app.get("/api/v1/cases?limit=1", &city).await;
    assert_eq!(all_after["total"].as_i64().unwrap(), all["total"].as_i64().unwrap() + 300);

    let audit = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.status.success() && !out.contains("legacy"), "every row is recorded by its history: {out}");

    crate::support::summary_equal_to_recount(&app, &city, now).await;
}
