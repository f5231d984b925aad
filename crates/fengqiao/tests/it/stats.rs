//! The statistics summary: figures by their definitions, and rollups equal to a full recount
//! from the history after a random mix of actions.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(rollups_equal_a_full_recount, the_summary_is_scoped_and_checked);

/// A small deterministic generator, so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

async fn rollups_equal_a_full_recount(app: TestApp) {
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let labour = app.unit_id("城关区劳动人事争议调解中心").await;
    let mut dice = Dice(20261123);
    let categories = ["labor", "neighbor", "traffic", "consumer", "marriage_family"];
    for i in 0..18u32 {
        let day = 2 + dice.below(20);
        app.set_now(&format!("2026-11-{day:02}T{:02}:00:00+08:00", 9 + dice.below(8)));
        let intake = app.login("intake").await;
        let mut body = registration(&id_number("620102", "19800101", i), "13912345678");
        body["category"] = json!(categories[dice.below(5) as usize]);
        body["amount"] = json!(format!("{}.{:02}", 100 + dice.below(50_000), dice.below(100)));
        if dice.below(3) == 0 {
            body["location"]["region_code"] = json!("620102003001");
        }
        let mut case = app.register(&intake, body).await;
        let depth = dice.below(7);
        let handler = if dice.below(2) == 0 { (a1, "street_a") } else { (labour, "labor") };
        let mut path: Vec<(&str, Value)> = vec![("district", json!({"action": "dispatch", "unit_id": handler.0}))];
        if dice.below(3) == 0 {
            path.push((handler.1, json!({"action": "return", "reason": "非本单位职责"})));
            path.push(("district", json!({"action": "dispatch", "unit_id": handler.0})));
        }
        path.push((handler.1, json!({"action": "sign"})));
        let outcome = ["resolved", "resolved", "unresolved", "withdrawn", "refused"][dice.below(5) as usize];
        path.push((handler.1, json!({"action": "conclude", "outcome": outcome, "summary": "办结"})));
        let satisfaction = ["satisfied", "basically_satisfied", "dissatisfied"][dice.below(3) as usize];
        path.push(("district", json!({"action": "follow_up", "satisfaction": satisfaction})));
        for (user, action) in path.into_iter().take(depth as usize) {
            // Days pass between steps, sometimes beyond the deadline.
            let later = chrono::DateTime::parse_from_rfc3339(case["updated_at"].as_str().unwrap()).unwrap()
                + chrono::Duration::hours(1 + dice.below(150) as i64);
            app.set_now(&later.to_rfc3339());
            let token = app.login(user).await;
            let (status, next) = app.act(&token, &case, action).await;
            assert_eq!(status, StatusCode::OK, "{next}");
            case = next;
        }
    }
    app.set_now("2026-12-31T12:00:00+08:00");
    let city = app.login("city").await;
    for (region, from, to) in [
        ("620100", "2026-01-01", "2026-12-31"),
        ("620102", "2026-11-05", "2026-11-20"),
        ("620102003001", "2026-11-01", "2026-12-31"),
    ] {
        let (status, summary) =
            app.get(&format!("/api/v1/stats/summary?region={region}&from={from}&to={to}"), &city).await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        let code = domain::org::RegionCode::parse(region).unwrap();
        let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        let recount = app.store.stats_recount(&code, parse(from), parse(to)).await.unwrap();
        assert_eq!(
            summary,
            serde_json::to_value(&recount).unwrap(),
            "rollups and recount differ for {region} {from}..{to}"
        );
    }
    let (_, year) = app.get("/api/v1/stats/summary?region=620100&from=2026-01-01&to=2026-12-31", &city).await;
    assert_eq!(year["received"], 18);
    assert!(year["concluded"].as_i64().unwrap() > 0, "{year}");
    assert!(year["first_time_right_rate"].as_f64().is_some());
    assert_eq!(year["by_category"].as_object().unwrap().values().map(|v| v.as_i64().unwrap()).sum::<i64>(), 18);
}

async fn the_summary_is_scoped_and_checked(app: TestApp) {
    app.set_now("2026-11-16T10:00:00+08:00");
    let intake = app.login("intake").await;
    let district = app.login("district").await;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 1), "13912345678")).await;
    let (_, case) = app.act(&district, &case, json!({"action": "dispatch", "unit_id": a1})).await;
    let street_a = app.login("street_a").await;
    let (_, case) = app.act(&street_a, &case, json!({"action": "sign"})).await;
    let (_, _) =
        app.act(&street_a, &case, json!({"action": "conclude", "outcome": "resolved", "summary": "和解"})).await;

    let (status, s) = app.get("/api/v1/stats/summary?from=2026-11-01&to=2026-11-30", &district).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((s["received"].as_i64(), s["concluded"].as_i64(), s["resolved"].as_i64()), (Some(1), Some(1), Some(1)));
    assert_eq!(
        (s["resolution_rate"].as_f64(), s["on_time_rate"].as_f64(), s["first_time_right_rate"].as_f64()),
        (Some(1.0), Some(1.0), Some(1.0))
    );
    assert_eq!(s["amount_involved"], "22800.00");
    assert_eq!(s["by_category"]["labor"], 1);
    assert_eq!(s["by_channel"]["window"], 1);

    let street_b = app.login("street_b").await;
    let (status, _) = app.get("/api/v1/stats/summary?region=620102", &street_b).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another district's figures");
    let (_, own) = app.get("/api/v1/stats/summary?from=2026-11-01&to=2026-11-30", &street_b).await;
    assert_eq!(own["received"], 0);
    for (query, field) in
        [("region=12", "region"), ("from=2026-02-30", "from"), ("from=2026-12-01&to=2026-11-01", "to")]
    {
        let (status, error) = app.get(&format!("/api/v1/stats/summary?{query}"), &district).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{query}"
        );
    }
}
