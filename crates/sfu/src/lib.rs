//! Fengqiao's selective forwarding unit (issue 17): the media of the video rooms.
//!
//! One UDP socket per node carries every participant's WebRTC traffic; one tokio task drives
//! one str0m [`Rtc`] per participant (sans-I/O: the task reads the socket, feeds the right
//! `Rtc`, sends what it asks to send). Each browser sends its camera and microphone once; the
//! frames it sends are forwarded as they are (no transcoding) to every other participant of
//! the same room, each on a track of its own whose stream id is the sender's participant name.
//! New tracks are offered to the others by the server (renegotiation): [`Signal::Offer`] goes
//! to the signalling layer, which hands the browser's answer back with [`Sfu::answer`].
//!
//! While a room records ([`Sfu::record`]), what is forwarded is also written per track into
//! WebM ([`webm`]); a track's file is handed out on [`Sfu::bind`]'s receiver when recording
//! stops, when its sender leaves, or when the room closes.
//!
//! The server is ICE-lite and offers host candidates only: the socket's own address, and an
//! announced address when the node is reached through a NAT ([`Config::announce`]). It never
//! contacts a STUN or TURN server; browsers behind a firewall may relay through the
//! deployment's TURN server, which is their configuration, not the server's.
//!
//! Pure media: no storage, no HTTP, no wall clock (only `Instant`, for str0m's timers).

pub mod webm;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequest, KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::webm::{Codec, TrackWriter};

/// Where the media server listens and what it tells browsers.
#[derive(Debug, Clone)]
pub struct Config {
    /// The UDP socket (one per node). Its address is offered to browsers as a host candidate,
    /// so it must be one they reach (not 0.0.0.0 unless an address is announced).
    pub bind: SocketAddr,
    /// An address browsers reach the socket at when it differs from `bind` (a NAT mapping
    /// the same port, or a node bound to 0.0.0.0): offered as another host candidate. Port 0
    /// stands for the socket's own port.
    pub announce: Option<SocketAddr>,
}

/// A room: the video session's id.
pub type RoomId = i64;

/// One participant's connection to the media server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerId(u64);

/// What the media server says to one browser, through the signalling layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// A new offer (other participants' tracks come or go): answer with [`Sfu::answer`].
    Offer(String),
    /// The media connection is up.
    Connected,
    /// The media connection is gone (the browser left or was unreachable).
    Closed,
}

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    Audio,
    Video,
}

impl TrackKind {
    /// audio | video
    pub fn as_str(self) -> &'static str {
        match self {
            TrackKind::Audio => "audio",
            TrackKind::Video => "video",
        }
    }
}

/// One track's recording, finished: a WebM file.
#[derive(Debug, Clone)]
pub struct Recording {
    pub room: RoomId,
    pub member: String,
    pub kind: TrackKind,
    pub webm: Vec<u8>,
    pub started: Instant,
    pub ended: Instant,
}

/// Why a browser could not join.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the offer is not usable SDP: {0}")]
    Sdp(String),
    #[error("the media server has stopped")]
    Stopped,
}

enum Command {
    Join {
        room: RoomId,
        member: String,
        offer: SdpOffer,
        signals: mpsc::UnboundedSender<Signal>,
        reply: oneshot::Sender<Result<(PeerId, String), Error>>,
    },
    Answer {
        peer: PeerId,
        answer: SdpAnswer,
    },
    Leave {
        peer: PeerId,
    },
    Record {
        room: RoomId,
        on: bool,
    },
}

/// The socket buffers the media socket asks for. Every participant's packets arrive on the one
/// socket, so while the media task waits for a core the kernel holds them; at the default buffer
/// (208 kB) a few rooms' video overflowed it under load and frames were lost. The kernel caps the
/// request at `net.core.rmem_max` / `wmem_max` (see the README's deployment notes); the size it
/// granted is logged.
const MEDIA_SOCKET_BUFFER: usize = 4 << 20;

fn bind_media_socket(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::DGRAM, None)?;
    socket.set_recv_buffer_size(MEDIA_SOCKET_BUFFER)?;
    socket.set_send_buffer_size(MEDIA_SOCKET_BUFFER)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    tracing::info!(
        receive = socket.recv_buffer_size()?,
        send = socket.send_buffer_size()?,
        "media socket buffers (bytes; capped by net.core.rmem_max and wmem_max)"
    );
    UdpSocket::from_std(socket.into())
}

/// A handle on the node's media server (cheap to clone).
#[derive(Debug, Clone)]
pub struct Sfu {
    commands: mpsc::UnboundedSender<Command>,
    local_addr: SocketAddr,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl Sfu {
    /// Binds the socket and starts the media server on the current tokio runtime. Finished
    /// recordings arrive on the receiver.
    pub async fn bind(config: Config) -> io::Result<(Sfu, mpsc::UnboundedReceiver<Recording>)> {
        let socket = bind_media_socket(config.bind)?;
        let local_addr = socket.local_addr()?;
        let mut candidates = Vec::new();
        // An announced address without a port (0) shares the socket's port.
        let announce =
            config.announce.map(|a| if a.port() == 0 { SocketAddr::new(a.ip(), local_addr.port()) } else { a });
        for addr in [Some(local_addr), announce].into_iter().flatten() {
            if addr.ip().is_unspecified() {
                continue;
            }
            let candidate = Candidate::host(addr, "udp")
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
            candidates.push(candidate);
        }
        if candidates.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the media socket is bound to an unspecified address: announce the address browsers reach",
            ));
        }
        str0m::crypto::from_feature_flags().install_process_default();
        let (commands, rx) = mpsc::unbounded_channel();
        let (recordings, recordings_rx) = mpsc::unbounded_channel();
        let server = Server { socket, candidates, peers: Vec::new(), recording: HashMap::new(), recordings };
        tokio::spawn(server.run(rx));
        Ok((Sfu { commands, local_addr }, recordings_rx))
    }

    /// The socket's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A browser joins a room with its offer (its camera and microphone, send only): the
    /// answer to give it, and its id. What the server says to it later comes on `signals`.
    pub async fn join(
        &self,
        room: RoomId,
        member: &str,
        offer: &str,
        signals: mpsc::UnboundedSender<Signal>,
    ) -> Result<(PeerId, String), Error> {
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| Error::Sdp(e.to_string()))?;
        let (reply, answer) = oneshot::channel();
        let join = Command::Join { room, member: member.to_owned(), offer, signals, reply };
        self.commands.send(join).map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)?
    }

    /// The browser's answer to the last [`Signal::Offer`].
    pub fn answer(&self, peer: PeerId, answer: &str) -> Result<(), Error> {
        let answer = SdpAnswer::from_sdp_string(answer).map_err(|e| Error::Sdp(e.to_string()))?;
        self.commands.send(Command::Answer { peer, answer }).map_err(|_| Error::Stopped)
    }

    /// The browser leaves: its tracks stop for the others, its recordings are finished.
    pub fn leave(&self, peer: PeerId) {
        let _ = self.commands.send(Command::Leave { peer });
    }

    /// Starts or stops recording a room. Stopping finishes every track's file.
    pub fn record(&self, room: RoomId, on: bool) {
        let _ = self.commands.send(Command::Record { room, on });
    }
}

/// A track a browser sends, as the others see it.
#[derive(Debug)]
struct TrackIn {
    origin: PeerId,
    /// The sender's participant name: the stream id the others receive the track under.
    member: String,
    mid: Mid,
    kind: MediaKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrackOutState {
    ToOpen,
    Negotiating(Mid),
    Open(Mid),
    ToStop(Mid),
    NegotiatingStop(Mid),
}

/// Another participant's track, sent to this browser.
#[derive(Debug)]
struct TrackOut {
    track_in: Weak<TrackIn>,
    state: TrackOutState,
}

impl TrackOut {
    fn mid(&self) -> Option<Mid> {
        match self.state {
            TrackOutState::ToOpen => None,
            TrackOutState::Negotiating(m)
            | TrackOutState::Open(m)
            | TrackOutState::ToStop(m)
            | TrackOutState::NegotiatingStop(m) => Some(m),
        }
    }
}

/// What one peer's output asks of the others.
enum Propagated {
    TrackOpen(PeerId, Weak<TrackIn>),
    MediaData(PeerId, Box<MediaData>),
    /// A browser asks for a key frame of a track: (asking peer, request, origin, origin's mid).
    KeyframeRequest(KeyframeRequest, PeerId, Mid),
}

struct Recorder {
    writer: TrackWriter,
    kind: TrackKind,
    started: Instant,
}

struct Peer {
    id: PeerId,
    room: RoomId,
    member: String,
    rtc: Rtc,
    signals: mpsc::UnboundedSender<Signal>,
    pending: Option<SdpPendingOffer>,
    tracks_in: Vec<Arc<TrackIn>>,
    tracks_out: Vec<TrackOut>,
    recorders: HashMap<Mid, Recorder>,
    last_keyframe_request: HashMap<Mid, Instant>,
}

struct Server {
    socket: UdpSocket,
    candidates: Vec<Candidate>,
    peers: Vec<Peer>,
    /// Rooms that record.
    recording: HashMap<RoomId, bool>,
    recordings: mpsc::UnboundedSender<Recording>,
}

enum Wake {
    Datagram(usize, SocketAddr),
    Command(Option<Command>),
    Timeout,
}

impl Server {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut buf = vec![0u8; 2000];
        loop {
            self.reap();
            let mut queue = VecDeque::new();
            let mut timeout = Instant::now() + Duration::from_millis(100);
            for peer in &mut self.peers {
                timeout = timeout.min(peer.poll(&self.socket, &mut queue));
            }
            if !queue.is_empty() {
                while let Some(p) = queue.pop_front() {
                    self.propagate(p);
                }
                continue;
            }
            let wait = timeout.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            let wake = tokio::select! {
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, source)) => Wake::Datagram(n, source),
                    Err(e) => {
                        tracing::debug!(error = %e, "media socket read");
                        Wake::Timeout
                    }
                },
                c = commands.recv() => Wake::Command(c),
                _ = tokio::time::sleep(wait) => Wake::Timeout,
            };
            match wake {
                Wake::Datagram(n, source) => self.receive(&buf[..n], source),
                Wake::Command(Some(command)) => self.command(command),
                Wake::Command(None) => return,
                Wake::Timeout => {}
            }
            let now = Instant::now();
            for peer in &mut self.peers {
                peer.handle_input(Input::Timeout(now));
            }
        }
    }

    fn receive(&mut self, data: &[u8], source: SocketAddr) {
        let Ok(contents) = data.try_into() else {
            return;
        };
        let Ok(destination) = self.socket.local_addr() else {
            return;
        };
        let input = Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination, contents });
        if let Some(peer) = self.peers.iter_mut().find(|p| p.rtc.accepts(&input)) {
            peer.handle_input(input);
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Join { room, member, offer, signals, reply } => {
                let _ = reply.send(self.join(room, member, offer, signals));
            }
            Command::Answer { peer, answer } => {
                if let Some(peer) = self.peers.iter_mut().find(|p| p.id == peer) {
                    peer.accept_answer(answer);
                }
            }
            Command::Leave { peer } => {
                if let Some(peer) = self.peers.iter_mut().find(|p| p.id == peer) {
                    peer.rtc.disconnect();
                }
            }
            Command::Record { room, on } => {
                self.recording.insert(room, on);
                for peer in self.peers.iter_mut().filter(|p| p.room == room) {
                    if on {
                        // Recorded video begins at a key frame: ask for one now.
                        for track in peer.tracks_in.clone() {
                            if track.kind == MediaKind::Video {
                                peer.request_keyframe(track.mid);
                            }
                        }
                    } else {
                        peer.finish_recordings(&self.recordings);
                    }
                }
                if !on {
                    self.recording.remove(&room);
                }
            }
        }
    }

    fn join(
        &mut self,
        room: RoomId,
        member: String,
        offer: SdpOffer,
        signals: mpsc::UnboundedSender<Signal>,
    ) -> Result<(PeerId, String), Error> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        // VP8 and Opus only: what every browser sends and what WebM carries.
        let mut rtc = Rtc::builder()
            .set_ice_lite(true)
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(Instant::now());
        for candidate in &self.candidates {
            rtc.add_local_candidate(candidate.clone());
        }
        let answer = rtc.sdp_api().accept_offer(offer).map_err(|e| Error::Sdp(e.to_string()))?;
        let id = PeerId(NEXT.fetch_add(1, Ordering::Relaxed));
        let mut peer = Peer {
            id,
            room,
            member,
            rtc,
            signals,
            pending: None,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            recorders: HashMap::new(),
            last_keyframe_request: HashMap::new(),
        };
        for track in self.peers.iter().filter(|p| p.room == room).flat_map(|p| p.tracks_in.iter()) {
            peer.tracks_out.push(TrackOut { track_in: Arc::downgrade(track), state: TrackOutState::ToOpen });
        }
        self.peers.push(peer);
        Ok((id, answer.to_sdp_string()))
    }

    /// Removes the peers that are gone, finishing their recordings.
    fn reap(&mut self) {
        let recordings = &self.recordings;
        self.peers.retain_mut(|peer| {
            if peer.rtc.is_alive() {
                return true;
            }
            peer.finish_recordings(recordings);
            let _ = peer.signals.send(Signal::Closed);
            false
        });
    }

    fn propagate(&mut self, propagated: Propagated) {
        let origin = match &propagated {
            Propagated::TrackOpen(origin, _) | Propagated::MediaData(origin, _) => *origin,
            Propagated::KeyframeRequest(_, origin, _) => *origin,
        };
        let Some(room) = self.peers.iter().find(|p| p.id == origin).map(|p| p.room) else {
            return;
        };
        match propagated {
            Propagated::TrackOpen(_, track) => {
                for peer in self.peers.iter_mut().filter(|p| p.room == room && p.id != origin) {
                    peer.tracks_out.push(TrackOut { track_in: track.clone(), state: TrackOutState::ToOpen });
                }
            }
            Propagated::MediaData(_, data) => {
                if self.recording.get(&room).copied().unwrap_or(false)
                    && let Some(peer) = self.peers.iter_mut().find(|p| p.id == origin)
                {
                    peer.record(&data);
                }
                for peer in self.peers.iter_mut().filter(|p| p.room == room && p.id != origin) {
                    peer.forward(origin, &data);
                }
            }
            Propagated::KeyframeRequest(req, _, mid) => {
                if let Some(peer) = self.peers.iter_mut().find(|p| p.id == origin)
                    && let Some(mut writer) = peer.rtc.writer(mid)
                {
                    let _ = writer.request_keyframe(req.rid, req.kind);
                }
            }
        }
    }
}

impl Peer {
    fn handle_input(&mut self, input: Input) {
        if self.rtc.is_alive()
            && let Err(e) = self.rtc.handle_input(input)
        {
            tracing::debug!(member = %self.member, error = %e, "media peer dropped");
            self.rtc.disconnect();
        }
    }

    /// Drives the peer until it waits: sends what it asks to send, queues what concerns the
    /// others, and answers when it wants to be woken.
    fn poll(&mut self, socket: &UdpSocket, queue: &mut VecDeque<Propagated>) -> Instant {
        loop {
            if !self.rtc.is_alive() {
                return Instant::now();
            }
            self.negotiate_if_needed();
            let output = match self.rtc.poll_output() {
                Ok(output) => output,
                Err(e) => {
                    tracing::debug!(member = %self.member, error = %e, "media peer failed");
                    self.rtc.disconnect();
                    return Instant::now();
                }
            };
            match output {
                Output::Timeout(t) => return t,
                // A datagram that cannot be sent now is lost, as UDP may lose it anyway.
                Output::Transmit(t) => {
                    let _ = socket.try_send_to(&t.contents, t.destination);
                }
                Output::Event(event) => self.event(event, queue),
            }
        }
    }

    fn event(&mut self, event: Event, queue: &mut VecDeque<Propagated>) {
        match event {
            Event::Connected => {
                let _ = self.signals.send(Signal::Connected);
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => self.rtc.disconnect(),
            Event::MediaAdded(added) if added.direction != Direction::SendOnly => {
                let track = Arc::new(TrackIn {
                    origin: self.id,
                    member: self.member.clone(),
                    mid: added.mid,
                    kind: added.kind,
                });
                queue.push_back(Propagated::TrackOpen(self.id, Arc::downgrade(&track)));
                self.tracks_in.push(track);
            }
            Event::MediaData(data) => {
                if !data.contiguous {
                    self.request_keyframe(data.mid);
                }
                queue.push_back(Propagated::MediaData(self.id, Box::new(data)));
            }
            Event::KeyframeRequest(mut req) => {
                let Some(track) = self.tracks_out.iter().find(|t| t.mid() == Some(req.mid)) else {
                    return;
                };
                let Some(track_in) = track.track_in.upgrade() else {
                    return;
                };
                req.rid = None;
                queue.push_back(Propagated::KeyframeRequest(req, track_in.origin, track_in.mid));
            }
            _ => {}
        }
    }

    /// Asks this browser for a key frame of one of its tracks, at most once a second.
    fn request_keyframe(&mut self, mid: Mid) {
        let now = Instant::now();
        if self.last_keyframe_request.get(&mid).is_some_and(|t| now.duration_since(*t) < Duration::from_secs(1)) {
            return;
        }
        if let Some(mut writer) = self.rtc.writer(mid) {
            let _ = writer.request_keyframe(None, KeyframeRequestKind::Pli);
            self.last_keyframe_request.insert(mid, now);
        }
    }

    /// Offers the browser the tracks that came (and stops those that went), one negotiation
    /// at a time.
    fn negotiate_if_needed(&mut self) {
        if self.pending.is_some() {
            return;
        }
        for track in &mut self.tracks_out {
            if let TrackOutState::Open(m) = track.state
                && track.track_in.upgrade().is_none()
            {
                track.state = TrackOutState::ToStop(m);
            }
        }
        let mut change = self.rtc.sdp_api();
        for track in &mut self.tracks_out {
            match track.state {
                TrackOutState::ToOpen => {
                    if let Some(track_in) = track.track_in.upgrade() {
                        let stream = Some(track_in.member.clone());
                        let mid = change.add_media(track_in.kind, Direction::SendOnly, stream, None, None);
                        track.state = TrackOutState::Negotiating(mid);
                    }
                }
                TrackOutState::ToStop(mid) => {
                    change.stop_media(mid);
                    track.state = TrackOutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        if !change.has_changes() {
            return;
        }
        if let Some((offer, pending)) = change.apply() {
            let _ = self.signals.send(Signal::Offer(offer.to_sdp_string()));
            self.pending = Some(pending);
        }
    }

    fn accept_answer(&mut self, answer: SdpAnswer) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        if let Err(e) = self.rtc.sdp_api().accept_answer(pending, answer) {
            tracing::debug!(member = %self.member, error = %e, "answer refused");
            self.rtc.disconnect();
            return;
        }
        for track in &mut self.tracks_out {
            if let TrackOutState::Negotiating(m) = track.state {
                track.state = TrackOutState::Open(m);
            }
        }
        self.tracks_out.retain(|t| !matches!(t.state, TrackOutState::NegotiatingStop(_)));
    }

    /// Sends another participant's frame on the track that carries it to this browser.
    fn forward(&mut self, origin: PeerId, data: &MediaData) {
        let Some(mid) = self
            .tracks_out
            .iter()
            .filter(|o| matches!(o.state, TrackOutState::Open(_)))
            .find(|o| o.track_in.upgrade().is_some_and(|i| i.origin == origin && i.mid == data.mid))
            .and_then(TrackOut::mid)
        else {
            return;
        };
        let Some(writer) = self.rtc.writer(mid) else {
            return;
        };
        let Some(pt) = writer.match_params(data.params) else {
            return;
        };
        if let Err(e) = writer.write(pt, data.network_time, data.time, data.data.clone()) {
            tracing::debug!(member = %self.member, error = %e, "forwarding failed");
            self.rtc.disconnect();
        }
    }

    /// Writes one of this browser's frames into its track's recording.
    fn record(&mut self, data: &MediaData) {
        let Some(track) = self.tracks_in.iter().find(|t| t.mid == data.mid) else {
            return;
        };
        let (codec, kind) = match track.kind {
            MediaKind::Audio => (Codec::Opus, TrackKind::Audio),
            MediaKind::Video => (Codec::Vp8, TrackKind::Video),
        };
        let recorder = self.recorders.entry(data.mid).or_insert_with(|| Recorder {
            writer: TrackWriter::new(codec),
            kind,
            started: data.network_time,
        });
        recorder.writer.push(data.time.as_micros(), &data.data);
    }

    /// Hands out this browser's finished recordings (those with at least one frame).
    fn finish_recordings(&mut self, out: &mpsc::UnboundedSender<Recording>) {
        let ended = Instant::now();
        for (_, recorder) in self.recorders.drain() {
            if let Some(webm) = recorder.writer.finish() {
                let _ = out.send(Recording {
                    room: self.room,
                    member: self.member.clone(),
                    kind: recorder.kind,
                    webm,
                    started: recorder.started,
                    ended,
                });
            }
        }
    }
}
