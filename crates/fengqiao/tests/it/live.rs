//! 实时动态: `GET /api/v1/live` sends a `case` event for each registration in the caller's scope
//! within two seconds, and a `notice` event for a notice issued — on a case, or on a watched
//! person (重点人员) whose visit is overdue —; a caller whose scope does not cover the case hears
//! nothing of it; the UI's session cookie opens the stream too.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, browser, id_number, registration, ui_session};

on_both_backends!(
    registrations_and_notices_reach_the_streams_in_scope,
    a_notice_on_a_watched_person_reaches_the_stream
);

/// An open event stream, read chunk by chunk.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, header: (&str, String)) -> Stream {
        let response = browser()
            .get(format!("{}/api/v1/live", app.base))
            .header(header.0, header.1)
            .header("accept-language", "zh-CN")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Stream { response, buffer: String::new() }
    }

    async fn bearer(app: &TestApp, token: &str) -> Stream {
        Stream::open(app, ("authorization", format!("Bearer {token}"))).await
    }

    /// The next event (type, data), keep-alive comments skipped, or `None` after `within`.
    async fn next(&mut self, within: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block.lines().find_map(|line| line.strip_prefix(name)).map(|v| v.trim_start().to_owned())
                };
                let (Some(kind), Some(data)) = (field("event:"), field("data:")) else { continue };
                return Some((kind, serde_json::from_str(&data).unwrap()));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?.unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

const WITHIN: Duration = Duration::from_secs(2);

async fn registrations_and_notices_reach_the_streams_in_scope(app: TestApp) {
    let (intake, leader) = (app.login("intake").await, app.login("leader").await);
    let (street_a, street_b) = (app.login("street_a").await, app.login("street_b").await);
    let (status, _) = app.call(reqwest::Method::GET, "/api/v1/live", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let mut district = Stream::bearer(&app, &leader).await;
    let mut street = Stream::bearer(&app, &street_a).await;
    let mut elsewhere = Stream::bearer(&app, &street_b).await;
    let cookie = ui_session(&app, "district").await;
    let mut page = Stream::open(&app, ("cookie", format!("fq_session={cookie}"))).await;

    // A case in 张掖路街道 reaches the district's leader, its dispatcher's page and the
    // street's handler within 2 s.
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 1), "13912345678")).await;
    for stream in [&mut district, &mut page, &mut street] {
        let (kind, data) = stream.next(WITHIN).await.expect("the registration within 2 s");
        assert_eq!(kind, "case");
        assert_eq!(data["id"], case["id"], "{data}");
        assert_eq!(data["number"], case["number"]);
        assert_eq!(data["category_label"], "劳动争议", "{data}");
        assert_eq!(data["region"], "中山林社区");
        assert!(data["risk"].is_string() && data["created_at"].is_string(), "{data}");
    }

    // A case in 西园街道 reaches street B's handler, and is the first thing it hears: the case
    // of 张掖路街道 was never sent to it. 张掖路街道's handler does not hear of it; the district
    // centre that registered it owns it, so its leader does.
    let mut west = registration(&id_number("620103", "19800101", 2), "13912345679");
    west["location"] = json!({"address": "兰州市七里河区西园街道西园社区8号", "region_code": "620103001001"});
    let west = app.register(&intake, west).await;
    let (kind, data) = elsewhere.next(WITHIN).await.expect("the case of its street");
    assert_eq!((kind.as_str(), &data["id"]), ("case", &west["id"]), "{data}");
    assert!(street.next(Duration::from_millis(500)).await.is_none(), "a case outside street A");
    let (_, data) = district.next(WITHIN).await.expect("the case its centre registered");
    assert_eq!(data["id"], west["id"]);

    // A notice issued by hand on the case of 城关区 is a `notice` event.
    let order = json!({"kind": "order", "text": "请于三日内办结并书面回复。"});
    let (status, notice) = app.post(&format!("/api/v1/cases/{}/notices", case["id"]), &leader, order).await;
    assert_eq!(status, StatusCode::CREATED, "{notice}");
    let (kind, data) = district.next(WITHIN).await.expect("the notice within 2 s");
    assert_eq!(kind, "notice");
    assert_eq!(data["id"], notice["id"], "{data}");
    assert_eq!(data["case_id"], case["id"]);
    assert_eq!(data["kind_label"], "督办令");
    assert!(elsewhere.next(Duration::from_millis(500)).await.is_none(), "a notice outside street B");
}

/// An overdue visit's notice, filed on the watched person and on no case, reaches the stream of
/// the district's leader, naming the person by the words 重点人员; not street B's.
async fn a_notice_on_a_watched_person_reaches_the_stream(app: TestApp) {
    app.set_now("2026-11-28T09:00:00+08:00");
    let grid_id = app.sql_texts("SELECT CAST(grid_id AS TEXT) FROM units WHERE name = '中山林社区第1网格工作站'").await;
    let person = json!({
        "name": "孙大海", "id_number": id_number("620102", "19700315", 31), "phone": "13912345631",
        "grid_id": grid_id[0].parse::<i64>().unwrap(),
        "reason": "threats", "detail": "多次扬言报复", "colour": "orange"
    });
    let (status, entry) = app.post("/api/v1/people/watch", &app.login("district").await, person).await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    app.set_now("2026-12-14T10:00:00+08:00");
    let leader = app.login("leader").await;
    let mut district = Stream::bearer(&app, &leader).await;
    let mut elsewhere = Stream::bearer(&app, &app.login("street_b").await).await;
    let (status, report) = app.post("/api/v1/supervision/sweep", &leader, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (kind, data) = district.next(WITHIN).await.expect("the visit's notice within 2 s");
    assert_eq!(kind, "notice");
    assert_eq!(data["watched_person_id"], entry["id"], "{data}");
    assert!(data["case_id"].is_null() && data["case_number"].is_null(), "{data}");
    assert_eq!(data["subject"], "重点人员");
    assert_eq!(data["kind_label"], "预警单");
    assert!(elsewhere.next(Duration::from_millis(500)).await.is_none(), "a person outside street B");
}
