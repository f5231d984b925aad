//! The video rooms' signalling (issue 17): one WebSocket per participant's page, opened with
//! the invitation's token, at `/video/join/{token}/ws`.
//!
//! The room of a session lives on the node its participants reach, in memory: who is there,
//! who waits, who consented to recording. The server holds the rules: a participant waits
//! until the host admits them (in the room or through the API); an admitted page sends its
//! offer (camera and microphone, send only) and the node's media server ([`sfu`]) answers, then
//! offers the others' tracks as they come; the room records exactly while at least two are in
//! it and every one of them has consented (each consent and withdrawal an event of the case);
//! each finished track's file is kept as the case's evidence; the host may end the room for
//! all. A page that drops reconnects with the same token and finds the room as it was.
//!
//! Messages are JSON objects with a `type`:
//! - from the page: `offer {sdp}`, `answer {sdp}`, `chat {text}`, `consent {given}`,
//!   `state {muted, camera}`, `screen {sharing}` (a screen shared or no longer), `admit
//!   {participant}` and `end` (the host), `leave`;
//! - to the page: `welcome {participant, role, admitted, ice_servers}`, `admitted`,
//!   `answer {sdp}`, `offer {sdp}`, `connected`, `roster {participants, recording}` (each
//!   participant's `sharing` true while their page shares a screen, false once it stops or
//!   the page is gone),
//!   `chat {from, text}`, `error {message}`, `ended`, and (pushed when they change through the
//!   room's HTTP routes, `ui::video`) `minutes {text, sha256, asked, confirmed}` and `agreement`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use app::App;
use app::video::RoomPass;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::i18n::{T, UiLang};
use domain::msg;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sfu::{PeerId, Recording, Sfu, Signal};
use tokio::sync::mpsc;

use crate::AppState;
use crate::error::ApiError;

/// The longest chat message, in characters.
const CHAT_MAX: usize = 500;

/// A TURN (or STUN) server of the deployment that browsers may use, given to every page.
#[derive(Debug, Clone, Serialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The node's rooms and its media server.
#[derive(Clone, Default)]
pub struct Rooms {
    inner: Arc<Mutex<BTreeMap<i64, Room>>>,
    media: Option<Media>,
}

#[derive(Clone)]
struct Media {
    sfu: Sfu,
    ice_servers: Vec<IceServer>,
}

#[derive(Default)]
struct Room {
    members: BTreeMap<String, Member>,
    recording: bool,
}

struct Member {
    role: String,
    admitted: bool,
    consent: bool,
    muted: bool,
    camera: bool,
    /// The page connected now shares a screen (正在共享屏幕).
    sharing: bool,
    /// The page connected now, if any: its connection number and its outbox.
    page: Option<(u64, mpsc::UnboundedSender<String>)>,
    peer: Option<PeerId>,
}

impl Rooms {
    /// Rooms whose media goes through `sfu`; its finished recordings are kept through `app`.
    pub fn new(
        app: App,
        sfu: Sfu,
        recordings: mpsc::UnboundedReceiver<Recording>,
        ice_servers: Vec<IceServer>,
    ) -> Self {
        tokio::spawn(keep_recordings(app, recordings));
        Rooms { inner: Arc::default(), media: Some(Media { sfu, ice_servers }) }
    }

    /// The API admitted a participant: their waiting page goes in.
    pub fn admitted(&self, session_id: i64, participant: &str) {
        let mut rooms = self.lock();
        if let Some(room) = rooms.get_mut(&session_id) {
            if let Some(member) = room.members.get_mut(participant) {
                member.admitted = true;
                if let Some((_, page)) = &member.page {
                    let _ = page.send(json!({ "type": "admitted" }).to_string());
                }
            }
            broadcast_roster(room);
        }
    }

    /// Sends `message` to every admitted page of the session's room (the room's minutes and
    /// agreement, changed through their HTTP routes).
    pub fn push(&self, session_id: i64, message: &serde_json::Value) {
        if let Some(room) = self.lock().get(&session_id) {
            send_to_admitted(room, &message.to_string());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<i64, Room>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `change` on the session's room, then starts or stops its recording as the rule
    /// says and tells everyone the roster.
    fn update<R>(&self, session_id: i64, change: impl FnOnce(&mut Room) -> R) -> R {
        let mut rooms = self.lock();
        let room = rooms.entry(session_id).or_default();
        let result = change(room);
        let present: Vec<&Member> = room.members.values().filter(|m| m.peer.is_some()).collect();
        let record = present.len() >= 2 && present.iter().all(|m| m.consent);
        if record != room.recording {
            room.recording = record;
            if let Some(media) = &self.media {
                media.sfu.record(session_id, record);
            }
        }
        broadcast_roster(room);
        if room.members.values().all(|m| m.page.is_none()) {
            rooms.remove(&session_id);
        }
        result
    }
}

fn broadcast_roster(room: &Room) {
    let participants: Vec<_> = room
        .members
        .iter()
        .map(|(name, m)| {
            json!({
                "participant": name, "role": m.role, "admitted": m.admitted, "present": m.page.is_some(),
                "media": m.peer.is_some(), "consent": m.consent, "muted": m.muted, "camera": m.camera,
                "sharing": m.sharing,
            })
        })
        .collect();
    let roster = json!({ "type": "roster", "participants": participants, "recording": room.recording }).to_string();
    send_to_admitted(room, &roster);
}

/// Sends a message to every admitted page of the room.
fn send_to_admitted(room: &Room, text: &str) {
    for member in room.members.values().filter(|m| m.admitted) {
        if let Some((_, page)) = &member.page {
            let _ = page.send(text.to_owned());
        }
    }
}

/// Keeps each finished track's file as the case's evidence. Its times are the media's,
/// placed on the application's clock.
async fn keep_recordings(app: App, mut recordings: mpsc::UnboundedReceiver<Recording>) {
    while let Some(r) = recordings.recv().await {
        let now = app.now();
        let at = |instant: Instant| -> DateTime<Utc> {
            now - chrono::Duration::from_std(instant.elapsed()).unwrap_or_default()
        };
        let kept =
            app.video_recording_keep(r.room, &r.member, r.kind.as_str(), &r.webm, at(r.started), at(r.ended)).await;
        match kept {
            Ok(rec) => {
                tracing::info!(session = r.room, participant = %r.member, sha256 = %rec.sha256, bytes = rec.bytes, "recording kept")
            }
            Err(error) => tracing::error!(session = r.room, participant = %r.member, %error, "recording not kept"),
        }
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromPage {
    Offer { sdp: String },
    Answer { sdp: String },
    Chat { text: String },
    Consent { given: bool },
    State { muted: bool, camera: bool },
    Screen { sharing: bool },
    Admit { participant: String },
    End,
    Leave,
}

/// `GET /video/join/{token}/ws`: the room's WebSocket for the token's participant (404 when
/// the link no longer works).
pub async fn socket(State(state): State<AppState>, Path(token): Path<String>, upgrade: WebSocketUpgrade) -> Response {
    let lang = crate::ui::current_ui_lang();
    match state.app.video_pass(&token).await {
        Ok(Some(pass)) => upgrade.on_upgrade(move |ws| connection(state, pass, lang, ws)).into_response(),
        _ => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// One page's connection, from its first message to its last.
async fn connection(state: AppState, pass: RoomPass, lang: UiLang, ws: WebSocket) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let conn = NEXT.fetch_add(1, Ordering::Relaxed);
    let rooms = state.rooms.clone();
    let (mut sink, mut stream) = ws.split();
    let (outbox, mut outgoing) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        while let Some(text) = outgoing.recv().await {
            if sink.send(WsMessage::Text(text.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });

    // A page that comes again (a reconnect, another tab) replaces the one before.
    let (admitted, replaced) = rooms.update(pass.session_id, |room| {
        let member = room.members.entry(pass.participant.clone()).or_insert_with(|| Member {
            role: pass.role.clone(),
            admitted: pass.admitted,
            consent: false,
            muted: false,
            camera: true,
            sharing: false,
            page: None,
            peer: None,
        });
        member.admitted |= pass.admitted;
        // The new page shares nothing yet, whatever the one it replaces did.
        member.sharing = false;
        let replaced = member.page.replace((conn, outbox.clone())).map(|(_, page)| page);
        (member.admitted, (replaced, member.peer.take()))
    });
    if let Some(page) = replaced.0 {
        let _ = page.send(json!({ "type": "ended", "reason": "replaced" }).to_string());
    }
    if let (Some(peer), Some(media)) = (replaced.1, &rooms.media) {
        media.sfu.leave(peer);
    }
    let ice_servers = rooms.media.as_ref().map(|m| m.ice_servers.clone()).unwrap_or_default();
    let _ = outbox.send(
        json!({
            "type": "welcome", "participant": pass.participant, "role": pass.role, "admitted": admitted,
            "ice_servers": ice_servers,
        })
        .to_string(),
    );
    rooms.update(pass.session_id, |_| ());

    let t = T { lang };
    let say_error = |message: domain::validation::Message| {
        let _ = outbox.send(json!({ "type": "error", "message": t.msg(&message) }).to_string());
    };
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            WsMessage::Text(text) => text,
            WsMessage::Close(_) => break,
            _ => continue,
        };
        let Ok(message) = serde_json::from_str::<FromPage>(&text) else {
            say_error(msg!("video.message_unreadable"));
            continue;
        };
        let current = rooms
            .lock()
            .get(&pass.session_id)
            .and_then(|r| r.members.get(&pass.participant))
            .map(|m| (m.page.as_ref().map(|(c, _)| *c) == Some(conn), m.admitted, m.peer));
        let Some((true, admitted, peer)) = current else {
            break; // replaced by a newer page
        };
        match message {
            FromPage::Leave => break,
            FromPage::Offer { sdp } => {
                if !admitted {
                    say_error(msg!("video.not_admitted"));
                    continue;
                }
                let Some(media) = &rooms.media else {
                    say_error(msg!("video.media_unavailable"));
                    continue;
                };
                if let Some(old) = peer {
                    media.sfu.leave(old);
                }
                let (signals, mut signalled) = mpsc::unbounded_channel();
                match media.sfu.join(pass.session_id, &pass.participant, &sdp, signals).await {
                    Ok((peer, answer)) => {
                        let _ = outbox.send(json!({ "type": "answer", "sdp": answer }).to_string());
                        let forward = outbox.clone();
                        tokio::spawn(async move {
                            while let Some(signal) = signalled.recv().await {
                                let text = match signal {
                                    Signal::Offer(sdp) => json!({ "type": "offer", "sdp": sdp }),
                                    Signal::Connected => json!({ "type": "connected" }),
                                    Signal::Closed => break,
                                };
                                let _ = forward.send(text.to_string());
                            }
                        });
                        rooms.update(pass.session_id, |room| {
                            if let Some(m) = room.members.get_mut(&pass.participant) {
                                m.peer = Some(peer);
                            }
                        });
                    }
                    Err(error) => {
                        tracing::debug!(%error, "offer refused");
                        say_error(msg!("video.offer_unusable"));
                    }
                }
            }
            FromPage::Answer { sdp } => {
                if let (Some(peer), Some(media)) = (peer, &rooms.media)
                    && media.sfu.answer(peer, &sdp).is_err()
                {
                    say_error(msg!("video.offer_unusable"));
                }
            }
            FromPage::Chat { text } => {
                let text = text.trim();
                if !admitted || text.is_empty() {
                    continue;
                }
                if text.chars().count() > CHAT_MAX {
                    say_error(msg!("video.chat_too_long", max = CHAT_MAX));
                    continue;
                }
                let line = json!({ "type": "chat", "from": pass.participant, "text": text }).to_string();
                rooms.update(pass.session_id, |room| send_to_admitted(room, &line));
            }
            FromPage::Consent { given } => {
                let changed = rooms
                    .lock()
                    .get(&pass.session_id)
                    .and_then(|r| r.members.get(&pass.participant))
                    .is_some_and(|m| m.consent != given);
                if !changed {
                    continue;
                }
                // The history first: recording starts only once the consent is on record.
                match state.app.video_consent(&pass, given).await {
                    Ok(()) => rooms.update(pass.session_id, |room| {
                        if let Some(m) = room.members.get_mut(&pass.participant) {
                            m.consent = given;
                        }
                    }),
                    Err(error) => say_error(ApiError::from(error).message),
                }
            }
            FromPage::State { muted, camera } => rooms.update(pass.session_id, |room| {
                if let Some(m) = room.members.get_mut(&pass.participant) {
                    (m.muted, m.camera) = (muted, camera);
                }
            }),
            FromPage::Screen { sharing } => rooms.update(pass.session_id, |room| {
                if let Some(m) = room.members.get_mut(&pass.participant) {
                    m.sharing = sharing && admitted;
                }
            }),
            FromPage::Admit { participant } => match state.app.video_admit_by_host(&pass, &participant).await {
                Ok(_) => rooms.admitted(pass.session_id, &participant),
                Err(error) => say_error(ApiError::from(error).message),
            },
            FromPage::End => match state.app.video_end(&pass).await {
                Ok(()) => {
                    let pages = rooms.update(pass.session_id, |room| {
                        room.members
                            .values()
                            .filter_map(|m| m.page.as_ref().map(|(_, p)| p.clone()))
                            .collect::<Vec<_>>()
                    });
                    for page in pages {
                        let _ = page.send(json!({ "type": "ended", "reason": "ended" }).to_string());
                    }
                }
                Err(error) => say_error(ApiError::from(error).message),
            },
        }
    }

    // The page is gone (or replaced): its media stops, the others are told.
    let peer = rooms.update(pass.session_id, |room| {
        let member = room.members.get_mut(&pass.participant)?;
        if member.page.as_ref().map(|(c, _)| *c) != Some(conn) {
            return None;
        }
        member.page = None;
        member.sharing = false;
        member.peer.take()
    });
    if let (Some(peer), Some(media)) = (peer, &rooms.media) {
        media.sfu.leave(peer);
    }
    // What is still queued ("ended") goes out; the writer stops when the last sender does.
    drop(outbox);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), writer).await;
}
