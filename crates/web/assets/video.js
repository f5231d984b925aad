// The room link's page: the camera and microphone check, then the room itself. Signalling
// goes over a WebSocket to this server (/video/join/TOKEN/ws); media goes through the server's
// own forwarding unit with the browser's standard RTCPeerConnection: this page sends its
// camera and microphone once, and receives each other participant's tracks, each under a
// stream named after its participant. A dropped connection is retried with the same link.
// A shared screen (getDisplayMedia) is sent as one more video track: the media connection is
// made again with it (and again without it when sharing stops); the others show a
// participant's second video track as their shared screen, and the server marks the sharer
// in everyone's roster (正在共享屏幕) until sharing stops or they leave. Each participant's network
// quality comes from getStats(): round-trip time, packet loss and jitter, said in words.
// The host writes the minutes in the room (saved as typed), puts them to the parties, who
// confirm them; the host asks the parties to sign the agreement, each party then opens its
// own signing page. Changes arrive over the WebSocket (`minutes`, `agreement`).
(function () {
  const card = document.getElementById('video-join');
  if (!card || !navigator.mediaDevices) return;
  const status = document.getElementById('device-status');
  const roomCard = document.getElementById('room');
  const roomStatus = document.getElementById('room-status');
  const tiles = document.getElementById('tiles');
  const me = card.dataset.participant;
  const room = {
    pc: null, owners: {}, local: null, ws: null, ended: false, admitted: false, iceServers: [],
    remote: [], screen: null, quality: {}, minutes: null, roster: [],
  };
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

  // A participant in words: their role's name and number (调解员, 当事人1 …).
  function who(participant) {
    const m = /^([a-z]+)-?(\d*)$/.exec(participant);
    const word = m && roomCard.dataset['name' + m[1].charAt(0).toUpperCase() + m[1].slice(1)];
    return word ? word + m[2] : participant;
  }

  function send(message) {
    if (room.ws && room.ws.readyState === WebSocket.OPEN) room.ws.send(JSON.stringify(message));
  }

  // Shows `tracks` in `video`, replacing what it showed only when they differ.
  function show(video, tracks) {
    const now = video.srcObject ? video.srcObject.getTracks().map(function (t) { return t.id; }).join() : '';
    if (now !== tracks.map(function (t) { return t.id; }).join()) video.srcObject = new MediaStream(tracks);
  }

  // The tracks received now, each participant's: audio and the first video in their tile, a
  // second video (their shared screen) in a tile of its own.
  function layout() {
    const pc = room.pc;
    const receiving = pc ? pc.getTransceivers().filter(function (t) {
      return !t.stopped && (t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv');
    }).map(function (t) { return t.receiver.track; }) : [];
    room.remote = room.remote.filter(function (r) {
      return r.track.readyState === 'live' && receiving.indexOf(r.track) >= 0;
    });
    const byOwner = {};
    room.remote.forEach(function (r) { (byOwner[r.owner] = byOwner[r.owner] || []).push(r.track); });
    Object.keys(byOwner).forEach(function (owner) {
      const tracks = byOwner[owner];
      const videos = tracks.filter(function (t) { return t.kind === 'video'; });
      const audio = tracks.filter(function (t) { return t.kind === 'audio'; });
      show(tile(owner), audio.concat(videos.slice(0, 1)));
      if (videos.length > 1) show(tile(owner, true), videos.slice(1, 2));
    });
    tiles.querySelectorAll('video[data-screen]').forEach(function (video) {
      const videos = (byOwner[video.dataset.participant] || []).filter(function (t) { return t.kind === 'video'; });
      if (videos.length < 2) video.parentElement.remove();
    });
  }

  function tile(participant, screen) {
    const selector = 'video[data-participant="' + CSS.escape(participant) + '"]';
    let video = tiles.querySelector(screen ? selector + '[data-screen]' : selector + ':not([data-screen])');
    if (!video) {
      const figure = document.createElement('figure');
      video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      video.width = 320;
      video.height = 240;
      video.dataset.participant = participant;
      const caption = document.createElement('figcaption');
      caption.textContent = who(participant);
      if (screen) {
        video.dataset.screen = 'true';
        caption.textContent = who(participant) + ' · ' + tiles.dataset.screen;
      } else {
        const quality = document.createElement('span');
        quality.className = 'quality';
        quality.dataset.participant = participant;
        caption.append(' ', quality);
      }
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
    room.remote = [];
    const stream = await ready;
    if (stream) {
      stream.getTracks().forEach(function (track) {
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      });
    }
    if (room.screen) {
      room.screen.getVideoTracks().forEach(function (track) {
        pc.addTransceiver(track, { direction: 'sendonly', streams: [room.screen] });
      });
    }
    pc.ontrack = function (event) {
      const owner = event.streams[0] ? event.streams[0].id : 'unknown';
      room.owners[event.track.id] = owner;
      room.remote.push({ owner: owner, track: event.track });
      event.track.onended = layout;
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
      item.textContent = who(p.participant) + (p.muted ? ' 🔇' : '') + (p.camera ? '' : ' 📷✕') + (p.consent ? ' ●' : '');
      if (p.sharing) {
        const sharing = document.createElement('span');
        sharing.className = 'sharing';
        sharing.textContent = list.dataset.sharing;
        item.dataset.sharing = 'true';
        item.append(' · ', sharing);
      }
      if (p.admitted && p.present) {
        const quality = document.createElement('span');
        quality.className = 'quality';
        quality.dataset.participant = p.participant;
        item.append(' ', quality);
      }
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
    room.roster = message.participants;
    showQuality();
    if (room.minutes) showMinutes(room.minutes);
    document.getElementById('recording').hidden = !message.recording;
    roomCard.dataset.recording = String(message.recording);
  }

  async function onMessage(m) {
    switch (m.type) {
      case 'welcome':
        room.iceServers = m.ice_servers || [];
        room.admitted = m.admitted;
        roomStatus.textContent = m.admitted ? '' : roomStatus.dataset.waiting;
        if (m.admitted) {
          loadPanels();
          await startMedia();
        }
        break;
      case 'admitted':
        room.admitted = true;
        roomStatus.textContent = '';
        loadPanels();
        await startMedia();
        break;
      case 'restart':
        if (room.admitted && !room.ended) await startMedia();
        break;
      case 'minutes':
        showMinutes(m);
        break;
      case 'agreement':
        loadAgreement();
        break;
      case 'answer':
        await room.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
        break;
      case 'offer':
        await room.pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
        await room.pc.setLocalDescription(await room.pc.createAnswer());
        send({ type: 'answer', sdp: room.pc.localDescription.sdp });
        layout();
        break;
      case 'connected':
        roomCard.dataset.connected = 'true';
        break;
      case 'roster':
        renderRoster(m);
        break;
      case 'chat': {
        const line = document.createElement('li');
        line.textContent = who(m.from) + '：' + m.text;
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
  // Screen sharing: the media connection is made again with the screen's track, or without.
  const share = document.getElementById('share');
  function stopSharing() {
    if (!room.screen) return;
    room.screen.getTracks().forEach(function (t) { t.stop(); });
    room.screen = null;
    share.textContent = share.dataset.on;
    send({ type: 'screen', sharing: false });
    handle({ type: 'restart' });
  }
  share.addEventListener('click', async function () {
    if (room.screen) return stopSharing();
    try {
      room.screen = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (e) {
      roomStatus.textContent = String(e && e.name || e);
      return;
    }
    room.screen.getVideoTracks().forEach(function (t) { t.onended = stopSharing; });
    share.textContent = share.dataset.off;
    send({ type: 'screen', sharing: true });
    handle({ type: 'restart' });
  });

  // Network quality, every two seconds from getStats(): the connection's round-trip time;
  // for each other participant the loss and jitter of what comes from them, for oneself what
  // the server reports of what it receives.
  const counters = {};
  function grade(rtt, loss, jitter) {
    if (rtt > 0.4 || loss > 0.05 || jitter > 0.05) return 'poor';
    if (rtt > 0.15 || loss > 0.01 || jitter > 0.03) return 'fair';
    return 'good';
  }
  async function measure() {
    const pc = room.pc;
    if (!pc || pc.connectionState !== 'connected') return;
    const stats = await pc.getStats();
    let rtt = 0;
    const per = {};
    function of(who) { return (per[who] = per[who] || { lost: 0, received: 0, jitter: 0 }); }
    stats.forEach(function (s) {
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') rtt = s.currentRoundTripTime || rtt;
    });
    stats.forEach(function (s) {
      if (s.type === 'inbound-rtp') {
        const owner = room.owners[s.trackIdentifier];
        if (!owner) return;
        const before = counters[s.id] || { lost: 0, received: 0 };
        counters[s.id] = { lost: s.packetsLost || 0, received: s.packetsReceived || 0 };
        const q = of(owner);
        q.lost += Math.max(0, counters[s.id].lost - before.lost);
        q.received += Math.max(0, counters[s.id].received - before.received);
        q.jitter = Math.max(q.jitter, s.jitter || 0);
      } else if (s.type === 'remote-inbound-rtp') {
        const q = of(me);
        q.lost += s.fractionLost || 0;
        q.received += 1;
        q.jitter = Math.max(q.jitter, s.jitter || 0);
      }
    });
    const quality = {};
    Object.keys(per).forEach(function (who) {
      const q = per[who];
      const loss = who === me ? q.lost / Math.max(1, q.received) : q.lost / Math.max(1, q.lost + q.received);
      quality[who] = grade(rtt, loss, q.jitter);
    });
    if (!quality[me]) quality[me] = grade(rtt, 0, 0);
    room.quality = quality;
    showQuality();
  }
  function showQuality() {
    document.querySelectorAll('.quality[data-participant]').forEach(function (span) {
      const level = room.quality[span.dataset.participant];
      span.dataset.quality = level || '';
      span.textContent = level ? tiles.dataset[level] : '';
    });
  }
  setInterval(function () { measure().catch(function (e) { console.error('stats', e); }); }, 2000);

  // The minutes and the agreement, through the room's own routes (the link is the pass).
  const base = location.pathname.replace(/\/$/, '');
  const minutesStatus = document.getElementById('minutes-status');
  const minutesText = document.getElementById('minutes-text');
  async function call(method, path, body) {
    const response = await fetch(base + path, {
      method: method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = response.status === 204 ? null : await response.json();
    if (!response.ok) throw new Error(answer && answer.error ? answer.error.message : String(response.status));
    return answer;
  }
  function failed(e) { minutesStatus.textContent = e.message; }
  function loadPanels() {
    call('GET', '/minutes').then(showMinutes).catch(failed);
    loadAgreement();
  }
  function showMinutes(m) {
    room.minutes = m;
    const panel = document.getElementById('minutes-panel');
    panel.dataset.asked = String(m.asked);
    panel.dataset.sha256 = m.sha256 || '';
    if (minutesText) {
      if (!room.minutesDirty && document.activeElement !== minutesText) minutesText.value = m.text || '';
    } else {
      document.getElementById('minutes-view').textContent = m.text || '';
      const mine = m.confirmed.indexOf(me) >= 0;
      document.getElementById('minutes-asked').hidden = !m.asked || mine;
      document.getElementById('minutes-confirm').hidden = !m.asked || mine;
    }
    const list = document.getElementById('minutes-confirmations');
    list.replaceChildren();
    const parties = room.roster.filter(function (p) { return p.role === 'party'; }).map(function (p) { return p.participant; });
    m.confirmed.forEach(function (p) { if (parties.indexOf(p) < 0) parties.push(p); });
    if (!m.asked && m.confirmed.length === 0) return;
    parties.sort().forEach(function (p) {
      const item = document.createElement('li');
      const done = m.confirmed.indexOf(p) >= 0;
      item.dataset.participant = p;
      item.dataset.confirmed = String(done);
      item.textContent = who(p) + '：' + (done ? panel.dataset.confirmed : panel.dataset.pending);
      list.append(item);
    });
  }
  if (minutesText) {
    let timer = null;
    const save = function () {
      timer = null;
      const text = minutesText.value;
      call('PUT', '/minutes', { text: text }).then(function (m) {
        if (minutesText.value === text) room.minutesDirty = false;
        minutesStatus.textContent = document.getElementById('minutes-panel').dataset.saved;
        showMinutes(m);
      }).catch(failed);
    };
    minutesText.addEventListener('input', function () {
      room.minutesDirty = true;
      minutesStatus.textContent = document.getElementById('minutes-panel').dataset.saving;
      if (timer) clearTimeout(timer);
      timer = setTimeout(save, 800);
    });
    document.getElementById('minutes-ask').addEventListener('click', function () {
      call('POST', '/minutes/ask').then(showMinutes).catch(failed);
    });
    document.getElementById('agreement-ask').addEventListener('click', function () {
      call('POST', '/agreement/ask').catch(failed);
    });
  } else {
    document.getElementById('minutes-confirm').addEventListener('click', function () {
      call('POST', '/minutes/confirm', { sha256: room.minutes && room.minutes.sha256 }).then(showMinutes).catch(failed);
    });
  }
  function loadAgreement() {
    const panel = document.getElementById('sign-panel');
    if (!panel) return;
    call('GET', '/agreement').then(function (a) {
      panel.hidden = !a.url;
      if (a.url) document.getElementById('sign-link').href = a.url;
    }).catch(failed);
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
