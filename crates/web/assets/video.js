// The room link's page: the camera and microphone check, then the room itself. Signalling
// goes over a WebSocket to this server (/video/join/TOKEN/ws); media goes through the server's
// own forwarding unit with the browser's standard RTCPeerConnection: this page sends its
// camera and microphone once, and receives each other participant's tracks, each under a
// stream named after its participant. A dropped connection is retried with the same link.
(function () {
  const card = document.getElementById('video-join');
  if (!card || !navigator.mediaDevices) return;
  const status = document.getElementById('device-status');
  const roomCard = document.getElementById('room');
  const roomStatus = document.getElementById('room-status');
  const tiles = document.getElementById('tiles');
  const me = card.dataset.participant;
  const room = { pc: null, owners: {}, local: null, ws: null, ended: false, admitted: false, iceServers: [] };
  window.fengqiaoRoom = room;

  const ready = navigator.mediaDevices.getUserMedia({ audio: true, video: true }).then(function (stream) {
    document.getElementById('preview').srcObject = stream;
    status.dataset.ok = 'true';
    status.textContent = '✓';
    room.local = stream;
    return stream;
  }).catch(function (e) {
    status.dataset.ok = 'false';
    status.textContent = String(e && e.name || e);
    return null;
  });

  function send(message) {
    if (room.ws && room.ws.readyState === WebSocket.OPEN) room.ws.send(JSON.stringify(message));
  }

  function tile(participant) {
    let video = tiles.querySelector('video[data-participant="' + CSS.escape(participant) + '"]');
    if (!video) {
      const figure = document.createElement('figure');
      video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      video.width = 320;
      video.height = 240;
      video.dataset.participant = participant;
      const caption = document.createElement('figcaption');
      caption.textContent = participant;
      figure.append(video, caption);
      tiles.append(figure);
    }
    return video;
  }

  // Messages are handled one after the other: an offer waits for the answer before it.
  let queue = Promise.resolve();
  function handle(message) {
    queue = queue.then(function () { return onMessage(message); }).catch(function (e) {
      console.error('room', e);
    });
  }

  async function startMedia() {
    if (room.pc) room.pc.close();
    const pc = new RTCPeerConnection({ iceServers: room.iceServers });
    room.pc = pc;
    room.owners = {};
    const stream = await ready;
    if (stream) {
      stream.getTracks().forEach(function (track) {
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      });
    }
    pc.ontrack = function (event) {
      const owner = event.streams[0] ? event.streams[0].id : 'unknown';
      room.owners[event.track.id] = owner;
      const video = tile(owner);
      if (!video.srcObject) video.srcObject = new MediaStream();
      video.srcObject.addTrack(event.track);
      event.track.onended = function () { video.srcObject.removeTrack(event.track); };
    };
    await pc.setLocalDescription(await pc.createOffer());
    // No trickle: wait until the browser has gathered its candidates (host ones at once).
    await new Promise(function (resolve) {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', function () {
        if (pc.iceGatheringState === 'complete') resolve();
      });
      setTimeout(resolve, 3000);
    });
    send({ type: 'offer', sdp: pc.localDescription.sdp });
  }

  function renderRoster(message) {
    const list = document.getElementById('roster');
    const waiting = document.getElementById('waiting-list');
    list.replaceChildren();
    if (waiting) waiting.replaceChildren();
    message.participants.forEach(function (p) {
      const item = document.createElement('li');
      item.dataset.participant = p.participant;
      item.textContent = p.participant + (p.muted ? ' 🔇' : '') + (p.camera ? '' : ' 📷✕') + (p.consent ? ' ●' : '');
      if (p.admitted && p.present) list.append(item);
      if (!p.admitted && p.present && waiting) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'btn';
        button.textContent = waiting.dataset.admit;
        button.dataset.admit = p.participant;
        button.onclick = function () { send({ type: 'admit', participant: p.participant }); };
        item.append(' ', button);
        waiting.append(item);
      }
      if (!p.present) {
        const gone = tiles.querySelector('video[data-participant="' + CSS.escape(p.participant) + '"]');
        if (gone) gone.parentElement.remove();
      }
    });
    document.getElementById('recording').hidden = !message.recording;
    roomCard.dataset.recording = String(message.recording);
  }

  async function onMessage(m) {
    switch (m.type) {
      case 'welcome':
        room.iceServers = m.ice_servers || [];
        room.admitted = m.admitted;
        roomStatus.textContent = m.admitted ? '' : roomStatus.dataset.waiting;
        if (m.admitted) await startMedia();
        break;
      case 'admitted':
        room.admitted = true;
        roomStatus.textContent = '';
        await startMedia();
        break;
      case 'answer':
        await room.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
        break;
      case 'offer':
        await room.pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
        await room.pc.setLocalDescription(await room.pc.createAnswer());
        send({ type: 'answer', sdp: room.pc.localDescription.sdp });
        break;
      case 'connected':
        roomCard.dataset.connected = 'true';
        break;
      case 'roster':
        renderRoster(m);
        break;
      case 'chat': {
        const line = document.createElement('li');
        line.textContent = m.from + '：' + m.text;
        document.getElementById('chat-log').append(line);
        break;
      }
      case 'error':
        roomStatus.textContent = m.message;
        break;
      case 'ended':
        room.ended = true;
        roomStatus.textContent = roomStatus.dataset.ended;
        if (room.pc) room.pc.close();
        roomCard.dataset.ended = 'true';
        break;
    }
  }

  function connect() {
    const url = location.href.replace(/^http/, 'ws').replace(/[?#].*$/, '') + '/ws';
    const ws = new WebSocket(url);
    room.ws = ws;
    ws.onmessage = function (event) { handle(JSON.parse(event.data)); };
    ws.onopen = function () {
      if (document.getElementById('consent').checked) send({ type: 'consent', given: true });
    };
    ws.onclose = function () {
      if (room.ended || room.ws !== ws) return;
      roomStatus.textContent = roomStatus.dataset.reconnecting;
      if (room.pc) room.pc.close();
      room.pc = null;
      setTimeout(connect, 1000);
    };
  }

  document.getElementById('join').addEventListener('click', function () {
    card.hidden = true;
    roomCard.hidden = false;
    connect();
  });
  document.getElementById('mute').addEventListener('click', function (event) {
    if (!room.local) return;
    const audio = room.local.getAudioTracks();
    const muted = audio.length > 0 && audio[0].enabled;
    audio.forEach(function (t) { t.enabled = !muted; });
    event.target.textContent = muted ? event.target.dataset.off : event.target.dataset.on;
    sendState();
  });
  document.getElementById('camera').addEventListener('click', function (event) {
    if (!room.local) return;
    const video = room.local.getVideoTracks();
    const on = !(video.length > 0 && video[0].enabled);
    video.forEach(function (t) { t.enabled = on; });
    event.target.textContent = on ? event.target.dataset.on : event.target.dataset.off;
    sendState();
  });
  function sendState() {
    const audio = room.local.getAudioTracks();
    const video = room.local.getVideoTracks();
    send({ type: 'state', muted: !(audio[0] && audio[0].enabled), camera: !!(video[0] && video[0].enabled) });
  }
  document.getElementById('consent').addEventListener('change', function (event) {
    send({ type: 'consent', given: event.target.checked });
  });
  document.getElementById('leave').addEventListener('click', function () {
    room.ended = true;
    send({ type: 'leave' });
    if (room.pc) room.pc.close();
    if (room.ws) room.ws.close();
    roomCard.dataset.left = 'true';
  });
  const end = document.getElementById('end');
  if (end) end.addEventListener('click', function () { send({ type: 'end' }); });
  document.getElementById('chat').addEventListener('submit', function (event) {
    event.preventDefault();
    const input = document.getElementById('chat-text');
    if (input.value.trim()) send({ type: 'chat', text: input.value });
    input.value = '';
  });
})();
