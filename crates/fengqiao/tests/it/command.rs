//! 指挥大屏's open and overdue cases on the real database: counted by the writes that change
//! them (a registration, a first contact, a dispatch, a refusal), overdue from the instant a
//! case's next clock falls due — not a minute before, even on that same day — with the unit
//! responsible for each, and a count that went wrong put right by the nightly pass. Every
//! figure is checked against a count of the cases themselves.

use chrono::{DateTime, Duration, SecondsFormat};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(the_screen_counts_open_and_overdue_cases_as_they_change_and_the_night_puts_a_wrong_count_right);

/// The leader's screen (district A): cases handled, overdue, and the units with overdue ones.
async fn screen(app: &TestApp) -> (i64, i64, Vec<(String, i64)>) {
    let leader = app.login("leader").await;
    let (status, body) = app.get("/api/v1/command", &leader).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let units = body["overdue_units"].as_array().unwrap();
    let units = units.iter().map(|u| (u["key"].as_str().unwrap().to_owned(), u["count"].as_i64().unwrap())).collect();
    (body["handling"].as_i64().unwrap(), body["overdue"].as_i64().unwrap(), units)
}

/// The same two figures counted from the district's cases at `now`.
async fn recount(app: &TestApp, now: DateTime<chrono::FixedOffset>) -> (i64, i64) {
    let counted = app
        .sql_texts(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) || '/' || CAST(COALESCE(SUM(CASE WHEN next_due_at < {} THEN 1 ELSE 0 END), 0) AS TEXT)
             FROM cases WHERE region_code LIKE '620102%' AND status IN ('registered', 'accepted', 'dispatched', 'in_progress')",
            now.timestamp_millis()
        ))
        .await;
    let (handling, overdue) = counted[0].split_once('/').unwrap();
    (handling.parse().unwrap(), overdue.parse().unwrap())
}

/// Moves the server's clock to `at` and checks the screen's two figures against the cases.
async fn at(app: &TestApp, at: DateTime<chrono::FixedOffset>) -> (i64, i64, Vec<(String, i64)>) {
    app.set_now(&at.to_rfc3339_opts(SecondsFormat::Secs, false));
    let shown = screen(app).await;
    assert_eq!((shown.0, shown.1), recount(app, at).await, "the screen at {at}: {shown:?}");
    shown
}

/// When the case's next clock falls due, as stored.
async fn due(app: &TestApp, case: &Value) -> DateTime<chrono::FixedOffset> {
    let at = app.sql_texts(&format!("SELECT CAST(next_due_at AS TEXT) FROM cases WHERE id = {}", case["id"])).await;
    let at = chrono::DateTime::from_timestamp_millis(at[0].parse().expect("a clock runs")).unwrap();
    at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
}

async fn the_screen_counts_open_and_overdue_cases_as_they_change_and_the_night_puts_a_wrong_count_right(app: TestApp) {
    let start = DateTime::parse_from_rfc3339("2026-11-16T09:00:00+08:00").unwrap();
    app.set_now(&start.to_rfc3339());
    let intake = app.login("intake").await;
    let first = app.register(&intake, registration(&id_number("620102", "19800101", 41), "13912340041")).await;
    let second = app.register(&intake, registration(&id_number("620102", "19800101", 42), "13912340042")).await;
    assert_eq!(at(&app, start).await, (2, 0, vec![]), "two cases registered, neither overdue");

    // The second case is contacted: its next clock is a later one.
    let (status, second) = app.act(&intake, &second, json!({"action": "contact"})).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let (first_due, second_due) = (due(&app, &first).await, due(&app, &second).await);
    assert!(second_due > first_due + Duration::minutes(1), "{first_due} then {second_due}");

    // The same day, a minute before the first case falls due and a minute after.
    assert_eq!(at(&app, first_due - Duration::minutes(1)).await.1, 0, "not overdue a minute early");
    let (handling, overdue, units) = at(&app, first_due + Duration::minutes(1)).await;
    assert_eq!((handling, overdue), (2, 1));
    let district_centre = app.unit_id("城关区社会治安综合治理中心").await;
    assert_eq!(units, vec![(district_centre.to_string(), 1)], "the centre that owns it answers for it");

    // Days later, from the counted days; dispatched, the case moves to its new unit and clock.
    let later = first_due + Duration::days(3);
    assert!(at(&app, later).await.1 >= 1);
    let district = app.login("district").await;
    let street = app.unit_id("张掖路街道综治中心").await;
    let (status, first) = app.act(&district, &first, json!({"action": "dispatch", "unit_id": street})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (handling, _, _) = at(&app, later).await;
    assert_eq!(handling, 2, "a dispatched case is still being handled");
    let (_, overdue, units) = at(&app, due(&app, &first).await + Duration::minutes(1)).await;
    assert!(overdue >= 1 && units.contains(&(street.to_string(), 1)), "the street answers for it now: {units:?}");

    // Refused, the second case is no longer handled.
    let intake = app.login("intake").await;
    let (status, refused) =
        app.act(&intake, &second, json!({"action": "reject", "reason": "属于刑事案件，已移交公安"})).await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    let (handling, _, _) = at(&app, due(&app, &first).await + Duration::minutes(1)).await;
    assert_eq!(handling, 1);

    // A count that went wrong (here by hand) is put right by the nightly recount.
    app.sql("UPDATE open_case_dues SET open_cases = open_cases + 5").await;
    app.sql("INSERT INTO open_case_dues (region_code, unit_id, due_day, open_cases) VALUES ('620102001001', 1, 1, 3)")
        .await;
    let now = due(&app, &first).await + Duration::minutes(1);
    assert_ne!(screen(&app).await.0, 1, "the spoiled count shows");
    assert!(app.store.open_dues_recount().await.unwrap() >= 2);
    assert_eq!(at(&app, now).await.0, 1);
    assert_eq!(app.store.open_dues_recount().await.unwrap(), 0, "nothing left to put right");
}
