// The room link's page: show the camera, say whether camera and microphone work.
(function () {
  const card = document.getElementById('video-join');
  if (!card || !navigator.mediaDevices) return;
  const status = document.getElementById('device-status');
  navigator.mediaDevices.getUserMedia({ audio: true, video: true }).then(function (stream) {
    document.getElementById('preview').srcObject = stream;
    status.dataset.ok = 'true';
    status.textContent = '✓';
  }).catch(function (e) {
    status.dataset.ok = 'false';
    status.textContent = String(e && e.name || e);
  });
})();
