//! What people expected and could not find (issue 13), on SQLite and on PostgreSQL: the week
//! of mediation sessions (调解日程) as each role may see it, with the official calendar's days,
//! through the API and the UI; and the whole case file (案卷) as a page to print.

use chrono::Utc;
use domain::ids::UnitId;
use domain::org::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::mediation::case_with_the_mediator;
use crate::on_both_backends;
use crate::support::{TestApp, ui_get, ui_session};

on_both_backends!(
    the_week_of_sessions_shows_each_user_what_they_may_see,
    the_case_file_prints_everything_the_case_holds
);

/// The case numbers of a calendar answer, in time order.
fn numbers(calendar: &Value) -> Vec<&str> {
    calendar["sessions"].as_array().unwrap().iter().map(|s| s["case_number"].as_str().unwrap()).collect()
}

async fn the_week_of_sessions_shows_each_user_what_they_may_see(app: TestApp) {
    app.set_now("2026-11-25T09:00:00+08:00");
    let (case, mediator) = case_with_the_mediator(&app).await;
    let number = case["number"].as_str().unwrap();
    let sessions = format!("/api/v1/cases/{}/sessions", case["id"]);
    for (at, place) in [("2026-12-03T14:00:00+08:00", "调解室二"), ("2026-12-01T09:30:00+08:00", "调解室一")] {
        let (status, body) =
            app.post(&sessions, &mediator, json!({"mode": "in_person", "scheduled_at": at, "place": place})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let committee = app.unit_id("张掖路街道人民调解委员会").await;
    app.store
        .user_create("mediator_b", "调解员乙", Role::Mediator, UnitId(committee), "fengqiao-demo", Utc::now())
        .await
        .unwrap();
    let week = "/api/v1/sessions?from=2026-11-30&to=2026-12-06";

    // The mediator: their own, in time order, with the week's seven days.
    let (status, own) = app.get(week, &mediator).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(numbers(&own), [number, number]);
    assert_eq!(own["sessions"][0]["place"], "调解室一");
    assert_eq!(own["sessions"][0]["scheduled_at"], "2026-12-01T09:30:00+08:00");
    assert_eq!(own["days"].as_array().unwrap().len(), 7);
    let (_, other) = app.get(week, &app.login("mediator_b").await).await;
    assert_eq!(numbers(&other).len(), 0, "another mediator of the committee: not theirs");
    let (_, me) = app.get("/api/v1/auth/me", &mediator).await;

    // The centres see every session in scope, by unit and by mediator; other units none.
    let district = app.login("district").await;
    for (query, count) in [
        (String::new(), 2),
        (format!("&unit={committee}"), 2),
        (format!("&mediator={}", me["id"]), 2),
        (format!("&unit={}", app.unit_id("城关区劳动人事争议调解中心").await), 0),
    ] {
        let (status, seen) = app.get(&format!("{week}{query}"), &district).await;
        assert_eq!((status, numbers(&seen).len()), (StatusCode::OK, count), "{query}: {seen}");
    }
    let (_, seen) = app.get(week, &app.login("leader").await).await;
    assert_eq!(numbers(&seen).len(), 2);
    for (user, status, count) in
        [("street_a", StatusCode::OK, 0), ("street_b", StatusCode::OK, 0), ("intake", StatusCode::FORBIDDEN, 0)]
    {
        let (got, seen) = app.get(week, &app.login(user).await).await;
        assert_eq!(got, status, "{user}: {seen}");
        if got == StatusCode::OK {
            assert_eq!(numbers(&seen).len(), count, "{user}: a unit not handling the case sees none of it");
        }
    }

    // Bad input, each field in words.
    for (query, field) in [
        ("from=2026-13-01&to=2026-12-06", "from"),
        ("from=2026-12-06&to=2026-11-30", "to"),
        ("from=2026-01-01&to=2026-12-31", "to"),
        ("from=2026-11-30&to=2026-12-06&unit=x", "unit"),
    ] {
        let (status, error) = app.get(&format!("/api/v1/sessions?{query}"), &district).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{query}: {error}"
        );
    }

    // The official calendar: the National Day holiday and the Saturday worked in exchange.
    let (_, holiday) = app.get("/api/v1/sessions?from=2026-10-05&to=2026-10-11", &district).await;
    let days = holiday["days"].as_array().unwrap();
    assert_eq!((days[0]["holiday"].as_str(), days[5]["adjusted"].as_bool()), (Some("国庆节"), Some(true)), "{holiday}");

    // The page: the week from Monday, entries linked to their case, previous and next weeks.
    let cookies = format!("fq_session={}", ui_session(&app, "mediator").await);
    let (status, html) = ui_get(&app, &cookies, "/sessions?week=2026-12-02").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("2026-11-30 – 2026-12-06") && html.contains(r#"data-date="2026-12-01""#), "Monday to Sunday");
    assert_eq!(
        html.matches(&format!(r#"href="/cases/{}#sessions""#, case["id"])).count(),
        2,
        "each entry links to its case"
    );
    assert!(html.contains("09:30") && html.contains("调解室一") && html.contains("href=\"/sessions?week=2026-11-23\""));
    assert!(!html.contains(r#"name="mediator""#), "a mediator's own: no filters");
    let cookies = format!("fq_session={}", ui_session(&app, "district").await);
    let (_, html) = ui_get(&app, &cookies, &format!("/sessions?week=2026-12-02&unit={committee}")).await;
    assert!(
        html.contains(r#"name="mediator""#) && html.contains(&format!(r#"value="{committee}" selected"#)),
        "filters, kept"
    );
    let next = html.split(r#"id="week-next""#).next().unwrap().rsplit("href=\"").next().unwrap();
    assert!(
        next.starts_with("/sessions?week=2026-12-07") && next.contains(&format!("unit={committee}")),
        "the next week keeps the filter: {next}"
    );
    let (status, html) = ui_get(&app, &cookies, "/sessions?week=someday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("不是有效的日期") || html.contains("日期"), "the error in words");
    let (_, html) = ui_get(&app, &cookies, "/sessions?week=2026-10-07").await;
    assert!(html.contains("国庆节") && html.contains("调休上班日"), "holidays and adjusted days marked");
    let (status, _) = ui_get(&app, &format!("fq_session={}", ui_session(&app, "intake").await), "/sessions").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// 案卷: the case and its parties masked, the route and its hops, the timeline in words,
/// deadlines, sessions with their minutes, the agreement with its signatures, evidence with
/// its hash and the notices — from the case page, within the scope.
async fn the_case_file_prints_everything_the_case_holds(app: TestApp) {
    app.set_now("2026-11-25T09:00:00+08:00");
    let (case, mediator) = case_with_the_mediator(&app).await;
    let case_path = format!("/api/v1/cases/{}", case["id"]);
    let (_, session) = app
        .post(
            &format!("{case_path}/sessions"),
            &mediator,
            json!({"mode": "in_person", "scheduled_at": "2026-12-01T09:30:00+08:00", "place": "张掖路街道调解室"}),
        )
        .await;
    let session_path = format!("/api/v1/sessions/{}", session["id"]);
    for party in 0..2 {
        for act in ["rights", "consent"] {
            app.post(&format!("{session_path}/parties/{party}/{act}"), &mediator, json!({})).await;
        }
    }
    let (status, _) =
        app.post(&format!("{session_path}/minutes"), &mediator, json!({"minutes": "双方陈述意见，同意赔偿"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, agreement) = app
        .post(
            &format!("{case_path}/agreements"),
            &mediator,
            json!({"matters": "漏水赔偿", "terms": [{"text": "李明赔偿王建国八千元", "due": "2026-12-31"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agreement}");
    let png = b"\x89PNG\r\n\x1a\n-evidence".to_vec();
    let evidence: Value = app
        .client
        .post(format!("{}{case_path}/evidence?name=photo.png", app.base))
        .bearer_auth(&mediator)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (status, notice) =
        app.post(&format!("{case_path}/notices"), &app.login("leader").await, json!({"text": "请加快办理"})).await;
    assert_eq!(status, StatusCode::CREATED, "{notice}");

    let cookies = format!("fq_session={}", ui_session(&app, "mediator").await);
    let file = format!("/cases/{}/print", case["id"]);
    let (_, html) = ui_get(&app, &cookies, &format!("/cases/{}", case["id"])).await;
    assert!(html.contains(&format!(r#"href="{file}""#)), "opened from the case page");
    let (status, html) = ui_get(&app, &cookies, &file).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        case["number"].as_str().unwrap(),
        "王建国",
        "620102********",
        "张掖路街道人民调解委员会",
        "张掖路街道调解室",
        "双方陈述意见，同意赔偿",
        "李明赔偿王建国八千元",
        evidence["sha256"].as_str().unwrap(),
        notice["number"].as_str().unwrap(),
        "人工督办",
        "办结时限",
        "分流",
        "data-print",
    ] {
        assert!(html.contains(expected), "the file holds {expected}");
    }
    let timeline = html.split(r#"id="casefile-timeline""#).nth(1).unwrap();
    for code in ["dispatched", "notice_issued", "session_scheduled", "in_person", "调解员：8"] {
        assert!(!timeline.contains(code), "labels, not codes: {code}");
    }
    assert!(!html.contains("13912345678"), "phones masked as the viewer sees them");
    let (status, _) = ui_get(&app, &format!("fq_session={}", ui_session(&app, "street_b").await), &file).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "within the scope only");
}
