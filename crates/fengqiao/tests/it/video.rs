//! Video mediation (issue 17, first slice), on SQLite and on PostgreSQL: invitations to a
//! video session's room (who may create them, one link per participant, the token opens the
//! room's page without sign-in and stops working when the session ends or is re-invited),
//! admission by the mediator, the recordings' listing and file authorised like evidence, and
//! the minutes written, put to the parties and confirmed in the room, with the agreement's
//! signing link shown to each party there, and
//! their retention period: files deleted once the case has been archived longer, hashes kept;
//! a legal hold placed and released by staff, a deletion that failed retried, and a purged
//! recording's evidence item saying so.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::mediation::{case_with_the_mediator, repairs_drafted};
use crate::on_both_backends;
use crate::support::{TestApp, browser, ui_get, ui_session};

on_both_backends!(
    invitations_admission_and_the_end_of_the_session,
    recordings_are_authorised_like_evidence,
    recordings_play_on_the_case_page_seeking_by_range,
    minutes_are_written_put_and_confirmed_in_the_room,
    recordings_past_their_retention_lose_their_files_not_their_hashes,
    a_legal_hold_keeps_recordings_and_a_failed_deletion_is_retried
);

pub(crate) async fn video_session(app: &TestApp) -> (Value, Value, String) {
    let (case, mediator) = case_with_the_mediator(app).await;
    let (status, session) = app
        .post(
            &format!("/api/v1/cases/{}/sessions", case["id"]),
            &mediator,
            json!({"mode": "video", "scheduled_at": "2026-12-01T09:30:00+08:00", "link": "/video", "disclosure": "无"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    (case, session, mediator)
}

async fn events(app: &TestApp, case: &Value, token: &str, action: &str) -> Vec<Value> {
    let (_, events) = app.get(&format!("/api/v1/cases/{}/events", case["id"]), token).await;
    events.as_array().unwrap().iter().filter(|e| e["action"] == action).cloned().collect()
}

async fn page(app: &TestApp, url: &str) -> (StatusCode, String) {
    let response = browser().get(format!("{}{url}", app.base)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn invitations_admission_and_the_end_of_the_session(app: TestApp) {
    let (case, session, mediator) = video_session(&app).await;
    let path = format!("/api/v1/sessions/{}/video/invitations", session["id"]);

    // Who may not: a unit that does not handle the case (404 or 403), nothing recorded.
    for other in ["street_b", "intake"] {
        let token = app.login(other).await;
        let (status, body) = app.post(&path, &token, json!({})).await;
        assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND, "{other}: {status} {body}");
    }
    let (status, _) = app.post("/api/v1/sessions/999999/video/invitations", &mediator, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post("/api/v1/sessions/nope/video/invitations", &mediator, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Bad extras: 422 naming the field, nothing recorded.
    let (status, body) = app.post(&path, &mediator, json!({"participants": [{"role": "judge"}]})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("participants[0].role")),
        "{body}"
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("第 1 位其他参加人"), "the field in words: {body}");
    assert!(events(&app, &case, &mediator, "video_invited").await.is_empty(), "refusals change nothing");

    // The mediator invites: host, the two parties, an interpreter.
    let (status, links) =
        app.post(&path, &mediator, json!({"participants": [{"role": "interpreter", "name": "马翻译"}]})).await;
    assert_eq!(status, StatusCode::CREATED, "{links}");
    let links = links.as_array().unwrap().clone();
    let who: Vec<(&str, &str)> =
        links.iter().map(|l| (l["participant"].as_str().unwrap(), l["role"].as_str().unwrap())).collect();
    assert_eq!(
        who,
        [("mediator", "host"), ("party-1", "party"), ("party-2", "party"), ("interpreter-1", "interpreter")]
    );
    let urls: Vec<&str> = links.iter().map(|l| l["url"].as_str().unwrap()).collect();
    assert!(urls.iter().all(|u| u.starts_with("/video/join/") && u.len() > 40), "{urls:?}");
    assert_eq!(urls.iter().collect::<std::collections::HashSet<_>>().len(), urls.len(), "one token each");
    let invited = events(&app, &case, &mediator, "video_invited").await;
    assert_eq!(invited.len(), 1);
    assert_eq!(invited[0]["data"]["participants"].as_array().unwrap().len(), 4);
    let token = urls[1].trim_start_matches("/video/join/");
    assert!(!invited[0].to_string().contains(token), "the history never holds a token");

    // The host's link goes in at once; a party waits; 加入 on both.
    let (status, host) = page(&app, urls[0]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(host.contains("加入") && host.contains("data-admitted=\"true\"") && !host.contains("id=\"waiting\""));
    let (status, party) = page(&app, urls[1]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(party.contains("data-admitted=\"false\"") && party.contains("id=\"waiting\""), "{party}");
    let (status, _) = page(&app, "/video/join/not-a-token").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Admission: only the handling side; an unknown participant is 404.
    let admit = format!("/api/v1/sessions/{}/video/participants/party-1/admit", session["id"]);
    let other = app.login("street_b").await;
    let (status, _) = app.post(&admit, &other, json!({})).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND, "{status}");
    let (status, _) = app
        .post(&format!("/api/v1/sessions/{}/video/participants/party-9/admit", session["id"]), &mediator, json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(events(&app, &case, &mediator, "video_admitted").await.is_empty());
    let (status, admitted) = app.post(&admit, &mediator, json!({})).await;
    assert_eq!((status, admitted["admitted"].as_bool()), (StatusCode::OK, Some(true)), "{admitted}");
    let (_, party) = page(&app, urls[1]).await;
    assert!(party.contains("data-admitted=\"true\""), "admitted now");
    app.post(&admit, &mediator, json!({})).await;
    let admitted = events(&app, &case, &mediator, "video_admitted").await;
    assert_eq!(admitted.len(), 1, "admitted once, recorded once");
    assert_eq!(admitted[0]["data"]["participant"], "party-1");

    // New invitations replace the old links.
    let (status, again) = app.post(&path, &mediator, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again.as_array().unwrap().len(), 3);
    let (status, _) = page(&app, urls[0]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "replaced");
    let fresh = again[1]["url"].as_str().unwrap().to_owned();
    assert_eq!(page(&app, &fresh).await.0, StatusCode::OK);

    // The session ends (minutes recorded): its links stop working, no more invitations.
    let session_path = format!("/api/v1/sessions/{}", session["id"]);
    for party in 0..2 {
        for act in ["rights", "consent"] {
            let (status, _) = app.post(&format!("{session_path}/parties/{party}/{act}"), &mediator, json!({})).await;
            assert_eq!(status, StatusCode::OK);
        }
    }
    let (status, _) = app.post(&format!("{session_path}/minutes"), &mediator, json!({"minutes": "双方陈述意见"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = page(&app, &fresh).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the session has ended");
    assert!(body.contains("链接已失效"));
    let (status, body) = app.post(&path, &mediator, json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("session_ended")), "{body}");
    let (status, _) = app.post(&admit, &mediator, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // An in-person session has no room.
    let (status, in_person) = app
        .post(
            &format!("/api/v1/cases/{}/sessions", case["id"]),
            &mediator,
            json!({"mode": "in_person", "scheduled_at": "2026-12-02T09:30:00+08:00", "place": "调解室"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) =
        app.post(&format!("/api/v1/sessions/{}/video/invitations", in_person["id"]), &mediator, json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_video")));
}

async fn recordings_are_authorised_like_evidence(app: TestApp) {
    let (case, session, mediator) = video_session(&app).await;
    let list = format!("/api/v1/sessions/{}/recordings", session["id"]);
    let (status, body) = app.get(&list, &mediator).await;
    assert_eq!((status, body.clone()), (StatusCode::OK, json!([])), "none before any recording");

    // A recording as the media server keeps it (the SFU is not in this slice): its row points
    // at the blob by hash.
    app.sql(&format!(
        "INSERT INTO video_recordings (session_id, case_id, participant, content_type, bytes, sha256, started_at, ended_at)
         VALUES ({}, {}, 'party-1', 'video/webm', 12, 'abc123', 1796000000000, 1796000005000)",
        session["id"], case["id"]
    ))
    .await;
    let (status, body) = app.get(&list, &mediator).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let recording = &body[0];
    for field in ["id", "participant", "content_type", "bytes", "sha256", "started_at", "ended_at"] {
        assert!(!recording[field].is_null(), "{field} in {recording}");
    }
    assert_eq!((recording["participant"].as_str(), recording["bytes"].as_i64()), (Some("party-1"), Some(12)));

    // Out of the viewer's scope: 404, as for evidence; unknown ids and junk: 404; no token: 401.
    let other = app.login("street_b").await;
    assert_eq!(app.get(&list, &other).await.0, StatusCode::NOT_FOUND);
    let file = format!("/api/v1/recordings/{}", recording["id"]);
    assert_eq!(app.get(&file, &other).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/recordings/999999", &mediator).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/recordings/x", &mediator).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/sessions/999999/recordings", &mediator).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&list, "not-a-token").await.0, StatusCode::UNAUTHORIZED);
}

/// The range of a recording's file as the server answers it: status, `Content-Range`, body.
async fn ranged(app: &TestApp, path: &str, auth: (&str, &str), range: Option<&str>) -> (StatusCode, String, Vec<u8>) {
    let mut request = browser().get(format!("{}{path}", app.base)).header(auth.0, auth.1);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_range =
        response.headers().get("content-range").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_range, response.bytes().await.unwrap().to_vec())
}

async fn recordings_play_on_the_case_page_seeking_by_range(app: TestApp) {
    let (case, session, mediator) = video_session(&app).await;
    let webm: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let started = chrono::Utc::now() - chrono::Duration::seconds(30);
    let session_id = session["id"].as_i64().unwrap();
    let kept =
        app.app.video_recording_keep(session_id, "party-1", "video", &webm, started, chrono::Utc::now()).await.unwrap();
    let plays = format!("SELECT CAST(user_id AS TEXT) FROM video_recording_plays WHERE recording_id = {}", kept.id);

    // The API: a player's first request (from byte 0) is a playback, recorded; seeking is not.
    let bearer = format!("Bearer {mediator}");
    let file = format!("/api/v1/recordings/{}", kept.id);
    let (status, range, body) = ranged(&app, &file, ("authorization", &bearer), Some("bytes=0-99")).await;
    assert_eq!(
        (status, range.as_str(), body.as_slice()),
        (StatusCode::PARTIAL_CONTENT, "bytes 0-99/1000", &webm[..100])
    );
    let (status, range, body) = ranged(&app, &file, ("authorization", &bearer), Some("bytes=900-")).await;
    assert_eq!(
        (status, range.as_str(), body.as_slice()),
        (StatusCode::PARTIAL_CONTENT, "bytes 900-999/1000", &webm[900..])
    );
    let (status, range, body) = ranged(&app, &file, ("authorization", &bearer), Some("bytes=-10")).await;
    assert_eq!(
        (status, range.as_str(), body.as_slice()),
        (StatusCode::PARTIAL_CONTENT, "bytes 990-999/1000", &webm[990..])
    );
    let (status, range, _) = ranged(&app, &file, ("authorization", &bearer), Some("bytes=1000-")).await;
    assert_eq!((status, range.as_str()), (StatusCode::RANGE_NOT_SATISFIABLE, "bytes */1000"));
    assert_eq!(app.sql_texts(&plays).await.len(), 1, "one playback, the seeks not counted");
    let (status, _, body) = ranged(&app, &file, ("authorization", &bearer), None).await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, webm.as_slice()), "no range: the whole file");
    assert_eq!(app.sql_texts(&plays).await.len(), 2, "a download is recorded too");

    // The case page plays it, with the participant's label; its player reads with the session.
    let cookies = format!("fq_session={}", ui_session(&app, "mediator").await);
    let (status, html) = ui_get(&app, &cookies, &format!("/cases/{}", case["id"])).await;
    assert_eq!(status, StatusCode::OK);
    let src = format!("<video controls preload=\"metadata\" playsinline src=\"/recordings/{}\">", kept.id);
    assert!(html.contains(&src), "a player on the case page: {html}");
    assert!(html.contains("音视频笔录") && html.contains("当事人 1"), "labelled, not coded");
    let (status, range, body) =
        ranged(&app, &format!("/recordings/{}", kept.id), ("cookie", &cookies), Some("bytes=10-19")).await;
    assert_eq!(
        (status, range.as_str(), body.as_slice()),
        (StatusCode::PARTIAL_CONTENT, "bytes 10-19/1000", &webm[10..20])
    );

    // Who may not see the case plays nothing, and nothing is recorded for them.
    let other = format!("fq_session={}", ui_session(&app, "street_b").await);
    let (status, _, _) = ranged(&app, &format!("/recordings/{}", kept.id), ("cookie", &other), Some("bytes=0-")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = ranged(&app, "/recordings/nope", ("cookie", &cookies), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.sql_texts(&plays).await.len(), 2);
}

/// A call on a room's own route (the link is the pass): status and JSON body (null when none).
async fn room(app: &TestApp, method: reqwest::Method, url: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = browser().request(method, format!("{}{url}", app.base));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn minutes_are_written_put_and_confirmed_in_the_room(app: TestApp) {
    use reqwest::Method;
    let (case, session, mediator) = video_session(&app).await;
    let path = format!("/api/v1/sessions/{}/video/invitations", session["id"]);
    let (_, links) = app.post(&path, &mediator, json!({})).await;
    let url = |i: usize| links[i]["url"].as_str().unwrap().to_owned();
    let (host, one, two) = (url(0), url(1), url(2));
    let minutes = |u: &str| format!("{u}/minutes");

    // A party still waiting reads nothing; admitted, they do.
    let (status, _) = room(&app, Method::GET, &minutes(&one), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for party in ["party-1", "party-2"] {
        let admit = format!("/api/v1/sessions/{}/video/participants/{party}/admit", session["id"]);
        assert_eq!(app.post(&admit, &mediator, json!({})).await.0, StatusCode::OK);
    }

    // Nothing written yet; only the host writes; too long is 422 naming the field.
    let (status, body) = room(&app, Method::GET, &minutes(&one), None).await;
    assert_eq!((status, &body["text"], &body["asked"]), (StatusCode::OK, &Value::Null, &json!(false)), "{body}");
    let (status, _) = room(&app, Method::PUT, &minutes(&one), Some(json!({"text": "我来写"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = room(&app, Method::PUT, &minutes(&host), Some(json!({"text": "长".repeat(20_001)}))).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("minutes")),
        "{body}"
    );
    let (status, _) = room(&app, Method::GET, "/video/join/not-a-token/minutes", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Saved as typed (trimmed), read back by everyone; no event per keystroke.
    let text = "双方确认噪音问题属实。\n约定晚十点后不再装修。";
    let (status, body) = room(&app, Method::PUT, &minutes(&host), Some(json!({"text": format!("  {text}  ")}))).await;
    assert_eq!((status, body["text"].as_str()), (StatusCode::OK, Some(text)), "{body}");
    let sha256 = body["sha256"].as_str().unwrap().to_owned();
    let (_, read) = room(&app, Method::GET, &minutes(&two), None).await;
    assert_eq!((read["text"].as_str(), read["sha256"].as_str()), (Some(text), Some(sha256.as_str())));
    assert!(events(&app, &case, &mediator, "minutes_recorded").await.is_empty());

    // Not yet put to the parties: no confirmation. Putting them needs every party's
    // acknowledgement of the rights notice and consent to the mediator.
    let confirm = |u: &str| format!("{u}/minutes/confirm");
    let (status, body) = room(&app, Method::POST, &confirm(&one), Some(json!({"sha256": sha256}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("minutes_not_asked")), "{body}");
    let ask = format!("{host}/minutes/ask");
    let (status, body) = room(&app, Method::POST, &ask, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_acknowledged")), "{body}");
    let (status, _) = room(&app, Method::POST, &format!("{one}/minutes/ask"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the host puts the minutes");
    let session_path = format!("/api/v1/sessions/{}", session["id"]);
    for party in 0..2 {
        for act in ["rights", "consent"] {
            let (status, _) = app.post(&format!("{session_path}/parties/{party}/{act}"), &mediator, json!({})).await;
            assert_eq!(status, StatusCode::OK);
        }
    }
    let (status, body) = room(&app, Method::POST, &ask, None).await;
    assert_eq!((status, &body["asked"]), (StatusCode::OK, &json!(true)), "{body}");
    let (status, _) = room(&app, Method::POST, &ask, None).await;
    assert_eq!(status, StatusCode::OK);
    let recorded = events(&app, &case, &mediator, "minutes_recorded").await;
    assert_eq!(recorded.len(), 1, "put once");
    assert_eq!(
        (recorded[0]["data"]["minutes"].as_str(), recorded[0]["data"]["sha256"].as_str()),
        (Some(text), Some(sha256.as_str()))
    );

    // A confirmation names the text read: a stale hash is refused; the host is no party.
    let (status, body) = room(&app, Method::POST, &confirm(&one), Some(json!({"sha256": "0".repeat(64)}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("minutes_changed")), "{body}");
    let (status, _) = room(&app, Method::POST, &confirm(&host), Some(json!({"sha256": sha256}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(events(&app, &case, &mediator, "minutes_confirmed").await.is_empty(), "refusals record nothing");
    let (status, body) = room(&app, Method::POST, &confirm(&one), Some(json!({"sha256": sha256}))).await;
    assert_eq!((status, &body["confirmed"]), (StatusCode::OK, &json!(["party-1"])), "{body}");
    let (status, _) = room(&app, Method::POST, &confirm(&one), Some(json!({"sha256": sha256}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "confirmed once");
    let confirmed = events(&app, &case, &mediator, "minutes_confirmed").await;
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0]["actor"], "video:party-1", "{}", confirmed[0]);
    assert_eq!(
        (confirmed[0]["data"]["party_index"].as_u64(), confirmed[0]["data"]["sha256"].as_str()),
        (Some(0), Some(sha256.as_str()))
    );
    let (_, sessions) = app.get(&format!("/api/v1/cases/{}/sessions", case["id"]), &mediator).await;
    assert!(sessions[0]["acknowledgements"][0]["minutes_confirmed_at"].is_string(), "{sessions}");

    // Once a party has confirmed, the text stays as confirmed.
    let (status, body) = room(&app, Method::PUT, &minutes(&host), Some(json!({"text": "改过的笔录"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("minutes_confirmed")), "{body}");
    let (status, body) = room(&app, Method::POST, &confirm(&two), Some(json!({"sha256": sha256}))).await;
    assert_eq!((status, &body["confirmed"]), (StatusCode::OK, &json!(["party-1", "party-2"])), "{body}");

    // The agreement: no link until one is sent for signing; then each party's own link.
    let (status, body) = room(&app, Method::GET, &format!("{one}/agreement"), None).await;
    assert_eq!((status, &body["url"]), (StatusCode::OK, &Value::Null), "{body}");
    let (status, drafted) = app
        .post(
            &format!("/api/v1/cases/{}/agreements", case["id"]),
            &mediator,
            json!({"matters": "噪音纠纷", "terms": [{"text": "晚十点后不再装修"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drafted}");
    let (status, _) = app.post(&format!("/api/v1/agreements/{}/signing", drafted["id"]), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, a1) = room(&app, Method::GET, &format!("{one}/agreement"), None).await;
    let (_, a2) = room(&app, Method::GET, &format!("{two}/agreement"), None).await;
    let (l1, l2) = (a1["url"].as_str().unwrap(), a2["url"].as_str().unwrap());
    assert!(l1.contains("/sign/") && l2.contains("/sign/") && l1 != l2, "{a1} {a2}");
    let (status, signing) = page(&app, &l1[l1.find("/sign/").unwrap()..]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(signing.contains("噪音纠纷"), "the party's signing page");
    let (_, h) = room(&app, Method::GET, &format!("{host}/agreement"), None).await;
    assert_eq!(h["url"], Value::Null, "the host signs on the case page");
    let (status, _) = room(&app, Method::POST, &format!("{one}/agreement/ask"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = room(&app, Method::POST, &format!("{host}/agreement/ask"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Replaced links open nothing.
    app.post(&path, &mediator, json!({})).await;
    let (status, _) = room(&app, Method::GET, &minutes(&host), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn recordings_past_their_retention_lose_their_files_not_their_hashes(app: TestApp) {
    app.set_now("2026-11-20T09:00:00+08:00");
    let (case, session, mediator) = video_session(&app).await;
    let session_id = session["id"].as_i64().unwrap();
    let started = chrono::Utc::now() - chrono::Duration::seconds(30);
    let webm: Vec<u8> = (0..500u32).map(|i| (i % 13) as u8).collect();
    let kept =
        app.app.video_recording_keep(session_id, "party-1", "video", &webm, started, chrono::Utc::now()).await.unwrap();
    let blob = app.data_dir.join("blobs").join(&kept.sha256[..2]).join(&kept.sha256);
    assert!(blob.exists());

    // The period: administrators only; 10 years until set; whole years from 1 to 100.
    let admin = app.login("admin").await;
    let path = "/api/v1/admin/recording-retention";
    assert_eq!(app.get(path, &admin).await, (StatusCode::OK, json!({"years": 10})));
    assert_eq!(app.get(path, &mediator).await.0, StatusCode::FORBIDDEN);
    let (status, _) = app.call(reqwest::Method::PUT, path, Some(&mediator), Some(json!({"years": 1}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for bad in [json!({"years": 0}), json!({"years": 101}), json!({})] {
        let (status, body) = app.call(reqwest::Method::PUT, path, Some(&admin), Some(bad.clone())).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("years")),
            "{bad}"
        );
    }
    assert_eq!(app.get(path, &admin).await.1, json!({"years": 10}), "refusals change nothing");
    let (status, body) = app.call(reqwest::Method::PUT, path, Some(&admin), Some(json!({"years": 1}))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"years": 1})));

    // The case is archived (concluded, followed up, archived) with a court confirmation pending.
    let agreement = repairs_drafted(&app, &case, &mediator).await;
    let mut now = case.clone();
    for (user, step) in [
        ("mediator", json!({"action": "conclude", "outcome": "resolved", "summary": "双方达成协议"})),
        ("district", json!({"action": "follow_up", "satisfaction": "satisfied", "note": "已履行"})),
        ("district", json!({"action": "archive"})),
    ] {
        let token = app.login(user).await;
        let (status, body) = app.act(&token, &now, step).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        now = body;
    }
    let court = app.unit_id("兰州市城关区人民法院").await;
    app.sql(&format!(
        "INSERT INTO confirmations (agreement_id, court_unit_id, applicants, package, applied_at, applied_by)
         VALUES ({}, {court}, '[0, 1]', '{{}}', 1796000000000, 'mediator')",
        agreement["id"]
    ))
    .await;
    let purged_sql =
        format!("SELECT data FROM case_events WHERE case_id = {} AND action = 'recording_purged'", case["id"]);

    // Within the period nothing goes; past it, a pending confirmation holds the recording.
    app.set_now("2027-11-19T09:00:00+08:00");
    assert_eq!(app.app.recordings_purge_due().await.unwrap(), 0);
    app.set_now("2027-12-01T09:00:00+08:00");
    assert_eq!(app.app.recordings_purge_due().await.unwrap(), 0, "held by the pending confirmation");
    assert!(app.sql_texts(&purged_sql).await.is_empty() && blob.exists());

    // Decided: the file goes, once; the row, its hash and the history stay.
    app.sql(&format!("DELETE FROM confirmations WHERE agreement_id = {}", agreement["id"])).await;
    assert_eq!(app.app.recordings_purge_due().await.unwrap(), 1);
    assert_eq!(app.app.recordings_purge_due().await.unwrap(), 0, "a second pass finds nothing");
    assert!(!blob.exists(), "the file is deleted");
    let mediator = app.login("mediator").await;
    let events = app.sql_texts(&purged_sql).await;
    assert_eq!(events.len(), 1);
    let event: Value = serde_json::from_str(&events[0]).unwrap();
    assert_eq!((&event["sha256"], &event["recording_id"]), (&json!(kept.sha256), &json!(kept.id)), "{event}");
    let (status, list) = app.get(&format!("/api/v1/sessions/{session_id}/recordings"), &mediator).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((&list[0]["sha256"], list[0]["purged_at"].is_string()), (&json!(kept.sha256), true), "{list}");
    let (status, body) = app.get(&format!("/api/v1/recordings/{}", kept.id), &mediator).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("recording_purged")), "{body}");
    let cookies = format!("fq_session={}", ui_session(&app, "mediator").await);
    let (status, html) = ui_get(&app, &cookies, &format!("/cases/{}", case["id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("已按保存期限删除") && !html.contains(&format!("src=\"/recordings/{}\"", kept.id)), "{html}");
    let (status, _) = app.get(&format!("/api/v1/cases/{}/file", case["id"]), &mediator).await;
    assert_eq!(status, StatusCode::OK, "the case file leaves the deleted file out");

    // The audit vouches for the purge, and names one made outside the application.
    let clean = app.cli(&["audit", "verify"], None);
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
    app.sql("DELETE FROM video_recording_purges").await;
    let broken = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("purge of recording {}", kept.id)), "{out}");
}

/// A case with a video session and one recording of `bytes`, concluded, followed up and
/// archived: the recording, and the path of its file.
async fn archived_with_a_recording(
    app: &TestApp,
    bytes: &[u8],
) -> (Value, app::video::RecordingView, std::path::PathBuf) {
    let (case, session, mediator) = video_session(app).await;
    let started = chrono::Utc::now() - chrono::Duration::seconds(30);
    let session_id = session["id"].as_i64().unwrap();
    let kept =
        app.app.video_recording_keep(session_id, "party-1", "video", bytes, started, chrono::Utc::now()).await.unwrap();
    repairs_drafted(app, &case, &mediator).await;
    let mut now = case.clone();
    for (user, step) in [
        ("mediator", json!({"action": "conclude", "outcome": "resolved", "summary": "双方达成协议"})),
        ("district", json!({"action": "follow_up", "satisfaction": "satisfied", "note": "已履行"})),
        ("district", json!({"action": "archive"})),
    ] {
        let token = app.login(user).await;
        let (status, body) = app.act(&token, &now, step).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        now = body;
    }
    let blob = app.data_dir.join("blobs").join(&kept.sha256[..2]).join(&kept.sha256);
    assert!(blob.exists());
    (case, kept, blob)
}

async fn a_legal_hold_keeps_recordings_and_a_failed_deletion_is_retried(app: TestApp) {
    app.set_now("2026-11-20T09:00:00+08:00");
    let held_bytes: Vec<u8> = (0..400u32).map(|i| (i % 7) as u8).collect();
    let (held, held_recording, held_blob) = archived_with_a_recording(&app, &held_bytes).await;
    let unheld_bytes: Vec<u8> = (0..400u32).map(|i| (i % 11) as u8).collect();
    let (unheld, unheld_recording, unheld_blob) = archived_with_a_recording(&app, &unheld_bytes).await;
    let admin = app.login("admin").await;
    let (status, _) = app
        .call(reqwest::Method::PUT, "/api/v1/admin/recording-retention", Some(&admin), Some(json!({"years": 1})))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Who may: a leader of a centre that sees the case, or an administrator; not its mediator.
    let hold = format!("/api/v1/cases/{}/recordings/hold", held["id"]);
    let mediator = app.login("mediator").await;
    let (status, _) = app.post(&hold, &mediator, json!({"reason": "诉讼中"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let leader = app.login("leader").await;
    for bad in [json!({}), json!({"reason": "  "})] {
        let (status, body) = app.post(&hold, &leader, bad.clone()).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
            "{bad}"
        );
        assert!(body["error"]["message"].as_str().unwrap().contains("理由"), "the field named in words: {body}");
    }
    let (status, placed) = app.post(&hold, &leader, json!({"reason": "当事人已起诉，法院调取录像"})).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    assert_eq!((&placed["placed_by"], &placed["released_at"]), (&json!("leader"), &Value::Null), "{placed}");
    let (status, body) = app.post(&hold, &admin, json!({"reason": "再次保全"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("recordings_held")), "{body}");
    assert_eq!(events(&app, &held, &leader, "recording_hold_placed").await.len(), 1, "one hold, one event");

    // The case page shows the hold (who, when, why) and the button to release it.
    let cookies = format!("fq_session={}", ui_session(&app, "leader").await);
    let (_, html) = ui_get(&app, &cookies, &format!("/cases/{}", held["id"])).await;
    assert!(
        html.contains("当事人已起诉，法院调取录像") && html.contains("保全中") && html.contains("data-release"),
        "{html}"
    );

    // Past the period: the unheld recording goes, the held one stays.
    app.set_now("2027-12-01T09:00:00+08:00");
    assert_eq!(app.app.recordings_purge_due().await.unwrap(), 1);
    assert!(held_blob.exists() && !unheld_blob.exists());

    // The purged recording's evidence item says so in the list and at its download (signed in
    // again: a year has passed).
    let (mediator, admin, leader) = (app.login("mediator").await, app.login("admin").await, app.login("leader").await);
    let evidence = format!("/api/v1/cases/{}/evidence", unheld["id"]);
    let (_, list) = app.get(&evidence, &mediator).await;
    let item = list.as_array().unwrap().iter().find(|e| e["sha256"] == json!(unheld_recording.sha256)).unwrap().clone();
    assert!(item["purged_at"].is_string(), "{item}");
    let (status, body) = app.get(&format!("{evidence}/{}", item["id"]), &mediator).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("recording_purged")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("2027-12-01"), "when, in words: {body}");
    let mediator_cookies = format!("fq_session={}", ui_session(&app, "mediator").await);
    let (_, html) = ui_get(&app, &mediator_cookies, &format!("/cases/{}", unheld["id"])).await;
    assert!(!html.contains(&format!("/evidence/{}\"", item["id"])), "no link to a deleted file: {html}");
    assert!(
        html.contains(&format!("data-evidence=\"{}\">", item["id"])) && html.contains("已按保存期限删除"),
        "{html}"
    );
    let (_, list) = app.get(&format!("/api/v1/cases/{}/evidence", held["id"]), &mediator).await;
    assert_eq!(list[0]["purged_at"], Value::Null, "{list}");

    // Released (an event), with the file made undeletable: the purge commits, the file stays,
    // and the audit is still clean.
    std::fs::remove_file(&held_blob).unwrap();
    std::fs::create_dir_all(held_blob.join("in-the-way")).unwrap();
    let (status, released) = app.call(reqwest::Method::DELETE, &hold, Some(&admin), None).await;
    assert_eq!((status, &released["released_by"]), (StatusCode::OK, &json!("admin")), "{released}");
    let (status, body) = app.call(reqwest::Method::DELETE, &hold, Some(&admin), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("recordings_not_held")), "{body}");
    assert_eq!(events(&app, &held, &leader, "recording_hold_released").await.len(), 1);
    let (_, holds) = app.get(&format!("/api/v1/cases/{}/recordings/holds", held["id"]), &leader).await;
    assert_eq!((holds.as_array().unwrap().len(), holds[0]["released_by"].as_str()), (1, Some("admin")), "{holds}");
    let file_sql = format!(
        "SELECT CASE WHEN file_removed_at IS NULL THEN 'pending' ELSE 'removed' END FROM video_recording_purges
         WHERE recording_id = {}",
        held_recording.id
    );
    assert_eq!(app.app.recordings_purge_due().await.unwrap(), 0, "the deletion failed");
    assert_eq!(app.sql_texts(&file_sql).await, ["pending"]);
    assert!(held_blob.is_dir());
    let clean = app.cli(&["audit", "verify"], None);
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));

    // Fixed: the next pass deletes the file and says so; the one after has nothing left to do.
    std::fs::remove_dir_all(&held_blob).unwrap();
    std::fs::write(&held_blob, &held_bytes).unwrap();
    assert_eq!(app.app.recordings_purge_due().await.unwrap(), 1, "the retry");
    assert!(!held_blob.exists());
    assert_eq!(app.sql_texts(&file_sql).await, ["removed"]);
    assert_eq!(app.app.recordings_purge_due().await.unwrap(), 0);
    let purged = format!("SELECT data FROM case_events WHERE case_id = {} AND action = 'recording_purged'", held["id"]);
    assert_eq!(app.sql_texts(&purged).await.len(), 1, "one purge, one event");
    let clean = app.cli(&["audit", "verify"], None);
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
}
