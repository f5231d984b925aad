//! `fengqiao bench --rooms N[,M…]` (issue 17): how many concurrent two-party video rooms
//! (云调解) one node forwards, and the server's CPU per forwarded stream.
//!
//! The node runs as a child `fengqiao serve` process on the bench's database, so that its CPU
//! time (from `/proc/PID/stat`) is its own; the synthetic participants run in the bench
//! process. Each participant is a str0m peer — the same library as the node's media server,
//! here on the browser's side — that does what a browser does: opens the room's WebSocket with
//! its invitation link, waits to be admitted, sends its offer, answers the server's offers, and
//! completes ICE and DTLS over real UDP on loopback. It then sends an Opus-sized audio track
//! (50 frames/s) and a VP8-shaped video track (30 frames/s, about 0.7 Mbit/s, a key frame every
//! few seconds and when asked) and counts the frames it receives from the other participant.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use store::Store;
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use crate::bench::{Deployment, expect, login, registration_body, round};

/// A step is healthy when at least this share of the frames sent arrive…
const HEALTHY_DELIVERED: f64 = 0.98;
/// … and no participant waits longer than this for the other's next frame of a track.
const HEALTHY_GAP: Duration = Duration::from_secs(1);
/// How long a step may take for every participant to receive the other's audio and video.
const WARM_UP_LIMIT: Duration = Duration::from_secs(30);
/// After the first frames, before the measured window: the first key frames and PLIs settle.
const SETTLE: Duration = Duration::from_secs(1);
/// The mediation committee the bench's cases are dispatched to (demo organisation).
const COMMITTEE: &str = "张掖路街道人民调解委员会";

/// Audio: one 20 ms Opus frame of ~100 bytes (≈ 40 kbit/s).
const AUDIO_PERIOD: Duration = Duration::from_millis(20);
const AUDIO_BYTES: usize = 100;
/// Video: 30 frames/s of ~2.6 kB, a ~20 kB key frame every 100 frames (≈ 0.7 Mbit/s).
const VIDEO_PERIOD: Duration = Duration::from_micros(33_333);
const VIDEO_BYTES: usize = 2_600;
const KEYFRAME_BYTES: usize = 20_000;
const KEYFRAME_EVERY: u64 = 100;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Runs each step of `rooms` for `seconds` measured seconds and writes the JSON report.
pub async fn run(
    store: Store,
    deployment: Deployment<'_>,
    data_dir: &Path,
    rooms: &[usize],
    seconds: u64,
    report: &Path,
) -> anyhow::Result<()> {
    if rooms.contains(&0) || seconds == 0 {
        bail!("--rooms takes room counts of at least 1, --seconds at least 1");
    }
    let now = chrono::Utc::now();
    store.migrate(now).await?;
    if store.users().await?.is_empty() {
        fixtures::demo::load_organisation(&store, now).await?;
    }
    let committee = store
        .units()
        .await?
        .into_iter()
        .find(|u| u.name == COMMITTEE)
        .with_context(|| format!("the demo organisation's {COMMITTEE} is missing"))?
        .id;
    let key = match deployment.master_key {
        Some(key) => key.to_owned(),
        None => std::fs::read_to_string(data_dir.join("keys/master.key")).context("reading the master key")?,
    };
    let node = Node::start(deployment.db, &key, &data_dir.join("rooms-node")).await?;
    str0m::crypto::from_feature_flags().install_process_default();

    let client = reqwest::Client::new();
    let most = rooms.iter().copied().max().unwrap_or(1);
    let (links, mediator) = sessions(&client, &node.base, committee, most).await?;
    eprintln!("bench rooms: {most} video session(s) with their invitations on {}", node.base);

    // The node's own cost with no room open (its scheduler, its timers): the base line the
    // rooms' cost is counted above.
    let before = cpu_seconds(&node.pid.to_string());
    let idle_started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let idle = (cpu_seconds(&node.pid.to_string()) - before) / idle_started.elapsed().as_secs_f64() * 100.0;
    eprintln!("bench rooms: the node idle uses {idle:.1} % CPU");

    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut steps = Vec::new();
    for &count in rooms {
        let step = step(&client, &node, &links[..count], &mediator, seconds, idle).await?;
        eprintln!(
            "bench rooms: {count} room(s), {} forwarded streams: delivered {:.1} %, longest gap {} ms, server CPU {:.1} % of {}, {:.2} % per stream{}",
            step["forwarded_streams"],
            step["delivered_ratio"].as_f64().unwrap_or(0.0) * 100.0,
            step["longest_gap_ms"],
            step["server_cpu_percent"].as_f64().unwrap_or(0.0),
            cores * 100,
            step["server_cpu_percent_per_stream"].as_f64().unwrap_or(0.0),
            if step["healthy"] == true { "" } else { " — not healthy" },
        );
        steps.push(step);
    }
    let largest = steps.iter().filter(|s| s["healthy"] == true).filter_map(|s| s["rooms"].as_u64()).max();
    let value = json!({
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "cores": cores,
        "cpu_limit_percent": cores * 100,
        "seconds": seconds,
        "server_idle_cpu_percent": round(idle),
        "healthy_when": {"delivered_at_least": HEALTHY_DELIVERED, "longest_gap_below_ms": HEALTHY_GAP.as_millis() as u64},
        "largest_healthy_rooms": largest,
        "steps": steps,
    });
    std::fs::write(report, serde_json::to_string_pretty(&value)?)?;
    eprintln!("bench rooms: report written to {}", report.display());
    Ok(())
}

/// One room's two invitation links (the mediator, who hosts, and a party) and the party's
/// admission route.
struct RoomLinks {
    host: String,
    party: String,
    admit: String,
}

/// `count` cases dispatched to the committee and signed by its mediator, each with a video
/// session and its invitations — through the node's API, as staff would.
async fn sessions(
    client: &reqwest::Client,
    base: &str,
    committee: i64,
    count: usize,
) -> anyhow::Result<(Vec<RoomLinks>, String)> {
    let (intake, district, mediator) = (
        login(client, base, "intake").await?,
        login(client, base, "district").await?,
        login(client, base, "mediator").await?,
    );
    let scheduled = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let mut links = Vec::new();
    for i in 0..count {
        let case = post(client, base, "/api/v1/cases", &intake, registration_body(800_000 + i), 201).await?;
        let path = format!("/api/v1/cases/{}/actions", case["id"]);
        let step = json!({"action": "dispatch", "unit_id": committee, "version": case["version"]});
        let case = post(client, base, &path, &district, step, 200).await?;
        let case =
            post(client, base, &path, &mediator, json!({"action": "sign", "version": case["version"]}), 200).await?;
        let session = json!({"mode": "video", "scheduled_at": scheduled, "link": "/video", "disclosure": "无"});
        let session =
            post(client, base, &format!("/api/v1/cases/{}/sessions", case["id"]), &mediator, session, 201).await?;
        let path = format!("/api/v1/sessions/{}/video/invitations", session["id"]);
        let invitations = post(client, base, &path, &mediator, json!({}), 201).await?;
        let invitations = invitations.as_array().context("the invitations are a list")?;
        let url = |found: Option<&Value>| found.and_then(|i| i["url"].as_str()).map(str::to_owned);
        let host = url(invitations.iter().find(|i| i["participant"] == "mediator")).context("no mediator's link")?;
        let party = invitations.iter().find(|i| i["role"] == "party");
        let name = party.and_then(|p| p["participant"].as_str()).context("no party's link")?;
        let admit = format!("/api/v1/sessions/{}/video/participants/{name}/admit", session["id"]);
        links.push(RoomLinks { host, party: url(party).context("no party's link")?, admit });
    }
    Ok((links, mediator))
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    body: Value,
    wanted: u16,
) -> anyhow::Result<Value> {
    let response = client.post(format!("{base}{path}")).bearer_auth(token).json(&body).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    expect(status, wanted).with_context(|| format!("POST {path}: {text}"))?;
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// One step: `links.len()` rooms joined, warmed up, then measured for `seconds`; the
/// participants leave at the end. `idle_percent` is the node's CPU with no room open.
async fn step(
    client: &reqwest::Client,
    node: &Node,
    links: &[RoomLinks],
    mediator: &str,
    seconds: u64,
    idle_percent: f64,
) -> anyhow::Result<Value> {
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut pairs = Vec::new();
    for room in links {
        let host = Participant::join(&node.base, &room.host, None).await?;
        let admit = Admission { client, url: format!("{}{}", node.base, room.admit), token: mediator };
        let party = Participant::join(&node.base, &room.party, Some(admit)).await?;
        pairs.push((host, party));
    }
    let everyone = || pairs.iter().flat_map(|(h, p)| [h, p]);
    let started = Instant::now();
    while !everyone().all(|p| p.stats().receiving_both()) && started.elapsed() < WARM_UP_LIMIT {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let warm_up_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;

    let (server, bench) = (cpu_seconds(&node.pid.to_string()), cpu_seconds("self"));
    let before: Vec<Stats> = everyone().map(Participant::window_start).collect();
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let after: Vec<Stats> = everyone().map(Participant::stats).collect();
    let elapsed = window.elapsed().as_secs_f64();
    let (server, bench) = (cpu_seconds(&node.pid.to_string()) - server, cpu_seconds("self") - bench);

    // What each participant sent in the window, and what the other received of it.
    let delta: Vec<Stats> = after.iter().zip(&before).map(|(a, b)| a.since(b)).collect();
    let (mut sent, mut received, mut bytes) = ([0u64; 2], [0u64; 2], 0u64);
    let (mut longest_gap, mut without_media) = (Duration::ZERO, 0);
    let mut detail = Vec::new();
    for (room, pair) in delta.chunks(2).enumerate() {
        let (host, party) = (&pair[0], &pair[1]);
        for (from, to) in [(host, party), (party, host)] {
            for kind in 0..2 {
                sent[kind] += from.sent[kind];
                received[kind] += to.received[kind];
            }
            bytes += to.received_bytes;
        }
        longest_gap = longest_gap.max(after[2 * room].gap()).max(after[2 * room + 1].gap());
        if pair.iter().any(|p| p.received.contains(&0)) {
            without_media += 1;
        }
        detail.push(json!({
            "host_received": {"audio": host.received[AUDIO], "video": host.received[VIDEO]},
            "party_received": {"audio": party.received[AUDIO], "video": party.received[VIDEO]},
        }));
    }
    let ratio = |r: u64, s: u64| if s == 0 { 0.0 } else { r as f64 / s as f64 };
    let delivered = ratio(received[AUDIO] + received[VIDEO], sent[AUDIO] + sent[VIDEO]);
    let streams = links.len() * 4;
    let server_percent = server / elapsed * 100.0;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    let healthy = delivered >= HEALTHY_DELIVERED && longest_gap < HEALTHY_GAP && without_media == 0;

    let mut leaving = Vec::new();
    for (host, party) in pairs {
        leaving.push(host.leave());
        leaving.push(party.leave());
    }
    for left in leaving {
        let _ = tokio::time::timeout(Duration::from_secs(5), left).await;
    }
    // The node reaps the peers that left before the next step joins.
    tokio::time::sleep(Duration::from_millis(500)).await;

    Ok(json!({
        "rooms": links.len(),
        "participants": links.len() * 2,
        "forwarded_streams": streams,
        "warm_up_s": round(warm_up_s),
        "window_s": round(elapsed),
        "sent_frames": {"audio": sent[AUDIO], "video": sent[VIDEO]},
        "received_frames": {"audio": received[AUDIO], "video": received[VIDEO]},
        "delivered_ratio": (delivered * 10_000.0).round() / 10_000.0,
        "audio_delivered_ratio": (ratio(received[AUDIO], sent[AUDIO]) * 10_000.0).round() / 10_000.0,
        "video_delivered_ratio": (ratio(received[VIDEO], sent[VIDEO]) * 10_000.0).round() / 10_000.0,
        "forwarded_mbit_s": round(bytes as f64 * 8.0 / elapsed / 1e6),
        "longest_gap_ms": longest_gap.as_millis() as u64,
        "rooms_without_media": without_media,
        "server_cpu_percent": round(server_percent),
        "server_cpu_ratio": round(server_percent / (cores * 100.0)),
        "server_cpu_percent_per_stream": round(server_percent / streams as f64),
        "server_cpu_percent_per_stream_above_idle": round((server_percent - idle_percent).max(0.0) / streams as f64),
        "clients_cpu_percent": round(bench / elapsed * 100.0),
        "load_average_before": load_before.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "healthy": healthy,
        "room_detail": detail,
    }))
}

/// A process's CPU time (user and system), in seconds: `self`, or a process id. Linux reports
/// it in clock ticks of USER_HZ, 100 per second on every architecture we run on.
fn cpu_seconds(process: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{process}/stat")).unwrap_or_default();
    // The fields after the command name (in parentheses): state is the 3rd, utime the 14th.
    let fields: Vec<&str> = stat.rsplit_once(") ").map(|(_, rest)| rest.split(' ').collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The `fengqiao serve` process of this binary under measure, killed when dropped.
struct Node {
    base: String,
    pid: u32,
    _process: tokio::process::Child,
}

impl Node {
    async fn start(db: &str, master_key: &str, dir: &Path) -> anyhow::Result<Node> {
        use tokio::io::AsyncBufReadExt;
        let mut process = tokio::process::Command::new(std::env::current_exe()?)
            .args(["--db", db, "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .arg("serve")
            .env(store::crypto::MASTER_KEY_ENV, master_key.trim())
            .env("FENGQIAO_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting the serve process")?;
        let pid = process.id().context("the serve process's id")?;
        let mut lines = tokio::io::BufReader::new(process.stdout.take().context("the node's output")?).lines();
        while let Some(line) = lines.next_line().await? {
            if let Some(address) = line.split("http://").nth(1).and_then(|rest| rest.split('/').next()) {
                return Ok(Node { base: format!("http://{address}"), pid, _process: process });
            }
        }
        bail!("the serve process exited before serving")
    }
}

const AUDIO: usize = 0;
const VIDEO: usize = 1;

/// What one participant sent and received, by kind (audio, video).
#[derive(Debug, Clone, Default)]
struct Stats {
    sent: [u64; 2],
    received: [u64; 2],
    received_bytes: u64,
    /// When the last frame of each kind arrived.
    last: [Option<Instant>; 2],
    /// The longest wait between two frames of a kind since the window began.
    longest_gap: Duration,
}

impl Stats {
    fn receiving_both(&self) -> bool {
        self.received.iter().all(|&n| n > 0)
    }

    fn since(&self, before: &Stats) -> Stats {
        Stats {
            sent: [self.sent[0] - before.sent[0], self.sent[1] - before.sent[1]],
            received: [self.received[0] - before.received[0], self.received[1] - before.received[1]],
            received_bytes: self.received_bytes - before.received_bytes,
            ..self.clone()
        }
    }

    /// The longest wait for a frame, counting the one still awaited now.
    fn gap(&self) -> Duration {
        let waiting = self.last.iter().flatten().map(Instant::elapsed).max().unwrap_or_default();
        self.longest_gap.max(waiting)
    }

    fn arrived(&mut self, kind: usize, bytes: usize) {
        let now = Instant::now();
        if let Some(last) = self.last[kind] {
            self.longest_gap = self.longest_gap.max(now - last);
        }
        self.last[kind] = Some(now);
        self.received[kind] += 1;
        self.received_bytes += bytes as u64;
    }
}

/// The party's admission by the mediator, through the API.
struct Admission<'a> {
    client: &'a reqwest::Client,
    url: String,
    token: &'a str,
}

/// A synthetic participant in a room: its counters and its task.
struct Participant {
    stats: Arc<Mutex<Stats>>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Participant {
    /// Opens the room with the invitation link `url`, is admitted (`admission`, when the link
    /// waits), sends its offer and takes the answer; then runs on its own task.
    async fn join(base: &str, url: &str, admission: Option<Admission<'_>>) -> anyhow::Result<Participant> {
        let ws = format!("{}{url}/ws", base.replacen("http", "ws", 1));
        let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.context("opening the room's WebSocket")?;
        let welcome = next(&mut socket, &["welcome"]).await?;
        if welcome["admitted"] != true {
            let admission = admission.context("a waiting participant with nobody to admit them")?;
            let response = admission.client.post(&admission.url).bearer_auth(admission.token).json(&json!({})).send();
            let status = response.await?.status().as_u16();
            if !(200..300).contains(&status) {
                bail!("admitting a participant answered {status}");
            }
            next(&mut socket, &["admitted"]).await?;
        }

        let udp = UdpSocket::bind("127.0.0.1:0").await?;
        let local = udp.local_addr()?;
        let mut rtc = Rtc::builder().clear_codecs().enable_opus(true, false).enable_vp8(true).build(Instant::now());
        rtc.add_local_candidate(Candidate::host(local, "udp")?);
        let mut change = rtc.sdp_api();
        let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = change.apply().context("an offer with two tracks")?;
        send(&mut socket, json!({"type": "offer", "sdp": offer.to_sdp_string()})).await?;
        let answer = next(&mut socket, &["answer"]).await?;
        let answer = SdpAnswer::from_sdp_string(answer["sdp"].as_str().unwrap_or_default())?;
        rtc.sdp_api().accept_answer(pending, answer)?;

        let stats = Arc::new(Mutex::new(Stats::default()));
        let (stop, stopped) = oneshot::channel();
        let peer = Peer { rtc, udp, local, socket, audio, video, stats: stats.clone() };
        Ok(Participant { stats, stop, task: tokio::spawn(peer.run(stopped)) })
    }

    fn stats(&self) -> Stats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The counters now, the longest gap counted from now on (a kind that never arrived is
    /// awaited from now: its gap is the whole window).
    fn window_start(&self) -> Stats {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        stats.longest_gap = Duration::ZERO;
        for last in &mut stats.last {
            last.get_or_insert(now);
        }
        stats.clone()
    }

    /// Leaves the room (the page's `leave`); resolves when the participant's task has ended.
    fn leave(self) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        let _ = self.stop.send(());
        self.task
    }
}

/// The participant's side of the connection: its str0m peer, its UDP socket, its page.
struct Peer {
    rtc: Rtc,
    udp: UdpSocket,
    local: std::net::SocketAddr,
    socket: Socket,
    audio: Mid,
    video: Mid,
    stats: Arc<Mutex<Stats>>,
}

enum Wake {
    Datagram(usize, std::net::SocketAddr),
    Page(Option<Value>),
    Stop,
    Timer,
}

impl Peer {
    async fn run(mut self, mut stop: oneshot::Receiver<()>) -> anyhow::Result<()> {
        let mut buf = vec![0u8; 2000];
        let (mut connected, mut keyframe_asked) = (false, true);
        let (mut next_audio, mut next_video, mut frames) = (Instant::now(), Instant::now(), 0u64);
        let started = Instant::now();
        loop {
            let timeout = loop {
                match self.rtc.poll_output()? {
                    Output::Timeout(t) => break t,
                    Output::Transmit(t) => {
                        let _ = self.udp.try_send_to(&t.contents, t.destination);
                    }
                    Output::Event(Event::Connected) => connected = true,
                    Output::Event(Event::KeyframeRequest(_)) => keyframe_asked = true,
                    Output::Event(Event::MediaData(data)) => {
                        let kind = if data.params.spec().codec.is_audio() { AUDIO } else { VIDEO };
                        self.stats.lock().unwrap_or_else(|e| e.into_inner()).arrived(kind, data.data.len());
                    }
                    Output::Event(_) => {}
                }
            };
            let mut wake_at = timeout;
            if connected {
                wake_at = wake_at.min(next_audio).min(next_video);
            }
            let wake = tokio::select! {
                r = self.udp.recv_from(&mut buf) => match r {
                    Ok((n, source)) => Wake::Datagram(n, source),
                    Err(_) => Wake::Timer,
                },
                m = next_json(&mut self.socket) => Wake::Page(m),
                _ = &mut stop => Wake::Stop,
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake_at)) => Wake::Timer,
            };
            match wake {
                Wake::Datagram(n, source) => {
                    let receive = Receive::new(Protocol::Udp, source, self.local, &buf[..n])?;
                    self.rtc.handle_input(Input::Receive(Instant::now(), receive))?;
                }
                Wake::Page(None) | Wake::Stop => break,
                Wake::Page(Some(message)) => match message["type"].as_str() {
                    Some("offer") => {
                        let offer = SdpOffer::from_sdp_string(message["sdp"].as_str().unwrap_or_default())?;
                        let answer = self.rtc.sdp_api().accept_offer(offer)?;
                        send(&mut self.socket, json!({"type": "answer", "sdp": answer.to_sdp_string()})).await?;
                    }
                    Some("ended") => break,
                    _ => {}
                },
                Wake::Timer => {}
            }
            let now = Instant::now();
            if connected {
                // A loop that fell behind skips frames rather than sending a burst.
                if next_audio <= now {
                    self.write(self.audio, Codec::Opus, now, started, &audio_frame())?;
                    next_audio = (next_audio + AUDIO_PERIOD).max(now + AUDIO_PERIOD / 2);
                }
                if next_video <= now {
                    let key = keyframe_asked || frames % KEYFRAME_EVERY == 0;
                    self.write(self.video, Codec::Vp8, now, started, &video_frame(key, frames))?;
                    (keyframe_asked, frames) = (false, frames + 1);
                    next_video = (next_video + VIDEO_PERIOD).max(now + VIDEO_PERIOD / 2);
                }
            }
            self.rtc.handle_input(Input::Timeout(now))?;
        }
        let _ = send(&mut self.socket, json!({"type": "leave"})).await;
        let _ = self.socket.close(None).await;
        Ok(())
    }

    /// Sends one frame on a track, stamped with the media clock of its codec.
    fn write(&mut self, mid: Mid, codec: Codec, now: Instant, started: Instant, frame: &[u8]) -> anyhow::Result<()> {
        let Some(writer) = self.rtc.writer(mid) else {
            return Ok(());
        };
        let Some(pt) = writer.payload_params().find(|p| p.spec().codec == codec).map(|p| p.pt()) else {
            return Ok(());
        };
        let rate = if codec == Codec::Opus { Frequency::FORTY_EIGHT_KHZ } else { Frequency::NINETY_KHZ };
        let ticks = (now - started).as_micros() as u64 * rate.get() as u64 / 1_000_000;
        writer.write(pt, now, MediaTime::new(ticks, rate), frame.to_vec())?;
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).sent[if codec == Codec::Opus { AUDIO } else { VIDEO }] +=
            1;
        Ok(())
    }
}

/// An Opus-sized frame (its bytes are not Opus: nothing decodes them on the way).
fn audio_frame() -> Vec<u8> {
    let mut frame = vec![0x78; AUDIO_BYTES];
    frame[0] = 0xfc; // TOC byte: CELT-only fullband, 20 ms, one frame
    frame
}

/// A VP8-shaped frame: the frame tag (and for a key frame the start code and a 640×480 size)
/// that a VP8 depacketizer reads, then filler.
fn video_frame(key: bool, n: u64) -> Vec<u8> {
    let size = if key { KEYFRAME_BYTES } else { VIDEO_BYTES };
    let mut frame: Vec<u8> = (0..size).map(|i| (i as u64).wrapping_mul(31).wrapping_add(n) as u8).collect();
    // Frame tag: bit 0 is 0 for a key frame, version 0, shown, first partition of 1000 bytes.
    let tag: u32 = u32::from(!key) | (1 << 4) | (1000 << 5);
    frame[..3].copy_from_slice(&tag.to_le_bytes()[..3]);
    if key {
        frame[3..10].copy_from_slice(&[0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
    }
    frame
}

async fn send(socket: &mut Socket, message: Value) -> anyhow::Result<()> {
    socket.send(Message::Text(message.to_string().into())).await?;
    Ok(())
}

/// The page's next JSON message, `None` when the connection ends.
async fn next_json(socket: &mut Socket) -> Option<Value> {
    loop {
        match socket.next().await? {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap_or(Value::Null)),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// The next message whose type is one of `types` (others skipped), within ten seconds; the
/// server's `error` is one.
async fn next(socket: &mut Socket, types: &[&str]) -> anyhow::Result<Value> {
    let wait = async {
        while let Some(message) = next_json(socket).await {
            if message["type"] == "error" {
                bail!("the room answered: {}", message["message"]);
            }
            if types.iter().any(|t| message["type"] == *t) {
                return Ok(message);
            }
        }
        bail!("the room's connection closed waiting for {types:?}")
    };
    tokio::time::timeout(Duration::from_secs(10), wait).await.with_context(|| format!("no {types:?} within 10 s"))?
}
