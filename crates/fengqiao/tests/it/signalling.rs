//! The video rooms' signalling WebSocket (`/video/join/{token}/ws`, issue 17), driven directly
//! on SQLite and on PostgreSQL: a link's token opens it, a wrong or replaced one is refused
//! before the upgrade; a party waits until the host admits them; a message the server cannot
//! read is answered with an error and the connection goes on; a page that reconnects with the
//! same link finds its place in the room; a shared screen is marked in the roster (not while
//! its sharer waits) until it stops or its sharer leaves; the host ends the room for everyone.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::on_both_backends;
use crate::support::TestApp;
use crate::video::video_session;

on_both_backends!(the_room_over_its_websocket);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The room's WebSocket for the link `url` (`/video/join/…`), or the HTTP status refusing it.
async fn open(app: &TestApp, url: &str) -> Result<Socket, u16> {
    let ws = format!("{}{url}/ws", app.base.replacen("http", "ws", 1));
    match tokio_tungstenite::connect_async(ws).await {
        Ok((socket, _)) => Ok(socket),
        Err(WsError::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// The next message of `kind` (others skipped), within five seconds.
async fn next(socket: &mut Socket, kind: &str) -> Value {
    let wait = async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    if message["type"] == kind {
                        return message;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("the socket closed waiting for {kind}: {other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait).await.unwrap_or_else(|_| panic!("no {kind} within 5 s"))
}

/// The roster's entry for `participant` once it satisfies `wanted`.
async fn roster_until(socket: &mut Socket, participant: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    loop {
        let roster = next(socket, "roster").await;
        let entry = roster["participants"].as_array().unwrap().iter().find(|p| p["participant"] == participant);
        if let Some(entry) = entry.filter(|e| wanted(e)) {
            return entry.clone();
        }
    }
}

async fn events(app: &TestApp, case: &Value, action: &str) -> usize {
    let sql =
        format!("SELECT CAST(seq AS TEXT) FROM case_events WHERE case_id = {} AND action = '{action}'", case["id"]);
    app.sql_texts(&sql).await.len()
}

async fn the_room_over_its_websocket(app: TestApp) {
    let (case, session, mediator) = video_session(&app).await;
    let path = format!("/api/v1/sessions/{}/video/invitations", session["id"]);
    let (status, first) = app.post(&path, &mediator, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, links) = app.post(&path, &mediator, json!({})).await;
    let url = |i: usize| links[i]["url"].as_str().unwrap().to_owned();

    // A wrong token and one replaced by new invitations: refused before the upgrade.
    assert_eq!(open(&app, "/video/join/not-a-token").await.err(), Some(404));
    assert_eq!(open(&app, first[1]["url"].as_str().unwrap()).await.err(), Some(404), "replaced");

    // The host is in at once; a party waits, and may neither send media nor chat.
    let mut host = open(&app, &url(0)).await.unwrap();
    let welcome = next(&mut host, "welcome").await;
    assert_eq!((welcome["participant"].as_str(), welcome["admitted"].as_bool()), (Some("mediator"), Some(true)));
    let mut party = open(&app, &url(1)).await.unwrap();
    let welcome = next(&mut party, "welcome").await;
    assert_eq!((welcome["role"].as_str(), welcome["admitted"].as_bool()), (Some("party"), Some(false)));
    send(&mut party, json!({"type": "offer", "sdp": "v=0"})).await;
    assert_eq!(next(&mut party, "error").await["message"], "请等待调解员准许进入");

    // What the server cannot read: an error in words, the connection goes on.
    for junk in ["not json", "{\"type\":\"dance\"}", "{\"type\":\"chat\"}", "[1,2]"] {
        party.send(Message::Text(junk.into())).await.unwrap();
        assert_eq!(next(&mut party, "error").await["message"], "无法识别的消息", "{junk}");
    }
    party.send(Message::Binary(vec![0, 1, 2].into())).await.unwrap();
    send(&mut party, json!({"type": "admit", "participant": "party-1"})).await;
    assert_eq!(next(&mut party, "error").await["message"], "只有调解员（主持人）可以这样做");
    send(&mut party, json!({"type": "screen", "sharing": true})).await;
    assert_eq!(events(&app, &case, "video_admitted").await, 0);

    // The host admits them from the room: the waiting page goes in, once in the history.
    send(&mut host, json!({"type": "admit", "participant": "party-9"})).await;
    assert!(next(&mut host, "error").await["message"].is_string(), "an unknown participant");
    send(&mut host, json!({"type": "admit", "participant": "party-1"})).await;
    next(&mut party, "admitted").await;
    let admitted = roster_until(&mut host, "party-1", |p| p["admitted"] == true && p["present"] == true).await;
    assert_eq!(admitted["sharing"], false, "marked while waiting: {admitted}");
    assert_eq!(events(&app, &case, "video_admitted").await, 1);
    send(&mut party, json!({"type": "chat", "text": "  您好  "})).await;
    let chat = next(&mut host, "chat").await;
    assert_eq!((chat["from"].as_str(), chat["text"].as_str()), (Some("party-1"), Some("您好")));
    send(&mut party, json!({"type": "offer", "sdp": "v=0"})).await;
    assert_eq!(next(&mut party, "error").await["message"], "本节点未启用音视频服务", "admitted: past the waiting room");

    // A shared screen is marked in the others' roster, and cleared when sharing stops.
    send(&mut party, json!({"type": "screen", "sharing": true})).await;
    roster_until(&mut host, "party-1", |p| p["sharing"] == true).await;
    send(&mut party, json!({"type": "screen", "sharing": false})).await;
    roster_until(&mut host, "party-1", |p| p["sharing"] == false).await;
    send(&mut party, json!({"type": "screen", "sharing": true})).await;
    roster_until(&mut host, "party-1", |p| p["sharing"] == true).await;

    // Consent, then the page drops: it comes back with the same link, admitted, consenting.
    send(&mut party, json!({"type": "consent", "given": true})).await;
    roster_until(&mut host, "party-1", |p| p["consent"] == true).await;
    assert_eq!(events(&app, &case, "video_consent_given").await, 1);
    drop(party);
    let gone = roster_until(&mut host, "party-1", |p| p["present"] == false).await;
    assert_eq!(gone["sharing"], false, "a sharer who leaves shares no more: {gone}");
    let mut party = open(&app, &url(1)).await.unwrap();
    assert_eq!(next(&mut party, "welcome").await["admitted"], true, "no second admission");
    let entry = roster_until(&mut host, "party-1", |p| p["present"] == true).await;
    assert_eq!((entry["admitted"].as_bool(), entry["consent"].as_bool()), (Some(true), Some(true)), "{entry}");
    // A second page with the same link replaces the first, which is told.
    let mut again = open(&app, &url(1)).await.unwrap();
    assert_eq!(next(&mut party, "ended").await["reason"], "replaced");
    assert_eq!(next(&mut again, "welcome").await["admitted"], true);

    // The host ends the room for all: every page is told and the links stop working.
    send(&mut again, json!({"type": "end"})).await;
    assert_eq!(next(&mut again, "error").await["message"], "只有调解员（主持人）可以这样做");
    send(&mut host, json!({"type": "end"})).await;
    assert_eq!(next(&mut host, "ended").await["reason"], "ended");
    assert_eq!(next(&mut again, "ended").await["reason"], "ended");
    assert_eq!(events(&app, &case, "video_ended").await, 1);
    assert_eq!(open(&app, &url(1)).await.err(), Some(404), "ended for all");
    assert_eq!(open(&app, &url(0)).await.err(), Some(404));
}
