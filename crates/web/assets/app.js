// Fengqiao UI: small progressive enhancements. Every page works without this script.
"use strict";

// Registration (the staff's and the portal's): check the draft as it is typed (the server
// validates exactly as it will on submit) and show each error beside its field once the field
// has been touched; show the triage suggestion once the draft is complete, and whatever else the
// answer carries in the elements that name it (`data-check-answer="emergency"`).
function enhanceRegistration(form) {
  const touched = new Set();
  const triage = document.getElementById("triage");
  let timer = null;
  let sequence = 0;
  async function check() {
    const mine = ++sequence;
    const body = new URLSearchParams(new FormData(form));
    let answer;
    try {
      const response = await fetch(form.dataset.check, { method: "POST", body, credentials: "same-origin" });
      if (!response.ok) return;
      answer = await response.json();
    } catch (e) {
      return;
    }
    if (mine !== sequence) return;
    const errors = new Map(answer.errors.map((e) => [e.field, e.message]));
    form.querySelectorAll("p.error[data-for]").forEach((p) => {
      const field = p.dataset.for;
      const show = touched.has(field) && errors.has(field);
      p.textContent = show ? errors.get(field) : "";
      const wrapper = p.closest(".field");
      if (wrapper) wrapper.classList.toggle("invalid", show);
    });
    if (triage && answer.preview) triage.innerHTML = answer.preview;
    document.querySelectorAll("[data-check-answer]").forEach((el) => (el.innerHTML = answer[el.dataset.checkAnswer] || ""));
  }
  form.addEventListener("input", (event) => {
    if (event.target.name) touched.add(event.target.name);
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  form.addEventListener("focusout", (event) => {
    if (event.target.name && event.target.value !== "") {
      touched.add(event.target.name);
      clearTimeout(timer);
      timer = setTimeout(check, 50);
    }
  });
}

// Signature pad: draw with mouse, pen or finger; the drawing goes into a hidden field as a PNG.
function enhanceSignaturePad(pad) {
  const canvas = pad.querySelector("canvas");
  const field = pad.querySelector("input[type=hidden]");
  const clear = pad.querySelector("[data-clear]");
  const context = canvas.getContext("2d");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = canvas.clientWidth * ratio;
  canvas.height = canvas.clientHeight * ratio;
  context.scale(ratio, ratio);
  context.lineWidth = 2.5;
  context.lineCap = "round";
  context.strokeStyle = "#111";
  let drawing = false;
  let drawn = false;
  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    context.beginPath();
    context.moveTo(...point(e));
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    context.lineTo(...point(e));
    context.stroke();
    drawn = true;
  });
  const finish = () => {
    if (!drawing) return;
    drawing = false;
    if (drawn) field.value = canvas.toDataURL("image/png");
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  if (clear) {
    clear.addEventListener("click", () => {
      context.clearRect(0, 0, canvas.width, canvas.height);
      field.value = "";
      drawn = false;
    });
  }
}

// Evidence upload: the file goes as the request body, the CSRF token as a header.
function enhanceUpload(form) {
  const message = form.querySelector("[data-upload-message]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.querySelector("input[type=file]").files[0];
    if (!file) return;
    const url = `${form.dataset.upload}?name=${encodeURIComponent(file.name)}`;
    const response = await fetch(url, {
      method: "POST",
      body: file,
      credentials: "same-origin",
      headers: { "content-type": file.type || "application/octet-stream", "x-csrf-token": form.dataset.csrf },
    });
    const answer = await response.json().catch(() => ({ message: response.statusText }));
    if (response.ok) {
      window.location.reload();
    } else if (message) {
      message.textContent = answer.message;
    }
  });
}

// A long select (units, regions) gets a box above it that narrows its options to those whose
// name contains what is typed; headings with nothing left are hidden. The select stays the
// form's field, so without the script it works as it is.
function enhanceSearchableSelect(select) {
  const box = document.createElement("input");
  box.type = "search";
  box.className = "select-search";
  box.placeholder = select.dataset.search;
  box.setAttribute("aria-label", select.dataset.search);
  select.before(box);
  box.addEventListener("input", () => {
    const words = box.value.trim().toLowerCase();
    let first = null;
    select.querySelectorAll("option").forEach((option) => {
      const shown = !words || option.value === "" || option.textContent.toLowerCase().includes(words);
      option.hidden = !shown;
      if (shown && option.value !== "" && !first) first = option;
    });
    select.querySelectorAll("optgroup").forEach((group) => {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    // The first match is chosen, so that typing a name and saving picks it.
    const chosen = select.selectedOptions[0];
    if (words && first && (!select.value || !chosen || chosen.hidden)) first.selected = true;
  });
}

// The hall screen: asks for the calls every two seconds; a new call — or one repeated from
// the window, which is called anew — is highlighted and said aloud once, with the browser's
// own voices (speechSynthesis: the operating system's, nothing from the network). Browsers
// speak only once the page has been clicked: the "enable" button is that click, remembered on
// this screen, and after a reload any touch of the page (or a kiosk browser started with
// --autoplay-policy=no-user-gesture-required) does it again.
function enhanceQueueScreen(screen) {
  const REMEMBERED = "fq_queue_voice";
  const said = new Set(JSON.parse(screen.dataset.said || "[]"));
  const button = screen.querySelector("[data-enable-voice]");
  const now = screen.querySelector("[data-now]");
  const speech = window.speechSynthesis;
  let highlight = null;
  function enable() {
    localStorage.setItem(REMEMBERED, "on");
    button.hidden = true;
    // An empty utterance inside the click unlocks speech where a browser asks for that.
    if (speech) speech.speak(new SpeechSynthesisUtterance(""));
  }
  function say(text) {
    if (!speech || localStorage.getItem(REMEMBERED) !== "on") return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = document.documentElement.lang || "zh-CN";
    utterance.onerror = (event) => {
      if (event.error === "not-allowed") button.hidden = false;
    };
    speech.speak(utterance);
  }
  function show(state) {
    const call = state.calls[0];
    now.querySelector("[data-number]").textContent = call ? call.number : "";
    now.querySelector("[data-counter]").textContent = call ? call.counter : "";
    now.querySelector("[data-text]").textContent = call ? call.text : "";
    now.querySelector("[data-where]").hidden = !call;
    now.querySelector("[data-none]").hidden = !!call;
    const waiting = screen.querySelector("ol.waiting");
    waiting.replaceChildren(...state.waiting.map((number) => Object.assign(document.createElement("li"), { textContent: number })));
    // The oldest new call first, so that two calls in one interval are said in their order.
    for (const fresh of state.calls.filter((c) => !said.has(c.key)).reverse()) {
      said.add(fresh.key);
      say(fresh.text);
      now.classList.add("calling");
      clearTimeout(highlight);
      highlight = setTimeout(() => now.classList.remove("calling"), 8000);
    }
  }
  async function poll() {
    try {
      const response = await fetch(screen.dataset.queueScreen, { credentials: "same-origin" });
      if (response.ok) show(await response.json());
    } catch (e) {
      // The next poll tries again.
    }
    setTimeout(poll, 2000);
  }
  button.hidden = localStorage.getItem(REMEMBERED) === "on";
  button.addEventListener("click", enable);
  setTimeout(poll, 2000);
}

// A step that cannot be undone (sealing an agreement, archiving or rejecting a case) asks first.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A page waiting for something the server makes in the background (a report's files) shows
// it made by reading itself again a moment later.
function reloadLater(element) {
  setTimeout(() => location.reload(), Number(element.dataset.reloadAfter) || 3000);
}

// A page made to be printed (the receipt) has its print button.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// Copy a link: the button puts the field beside it on the clipboard. Without the clipboard API
// (a page served over plain http on an intranet) the field is selected and copied the old way.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = button.parentElement.querySelector("[data-copy-source]");
  try {
    await navigator.clipboard.writeText(source.value);
  } catch (e) {
    source.select();
    document.execCommand("copy");
  }
  button.textContent = button.dataset.copied;
});

// A long text's length beside it as it is typed (`data-count` names the counter), counted in
// characters as the server counts them.
document.addEventListener("input", (event) => {
  const field = event.target.closest("[data-count]");
  const counter = field && document.getElementById(field.dataset.count);
  if (counter) counter.textContent = `${[...field.value].length} / ${field.maxLength}`;
});

// 指挥大屏: the live feed. Each event of /api/v1/live is put at the top of the list (at most
// 30 kept); the browser's EventSource reconnects by itself when the connection drops.
function enhanceLiveFeed(feed) {
  const source = new EventSource(feed.dataset.liveFeed);
  const add = (kind, text, risk) => {
    feed.querySelector("[data-feed-empty]")?.remove();
    const item = document.createElement("li");
    item.className = `feed-${kind}${risk ? ` risk-${risk}` : ""} feed-new`;
    item.dataset.feedKind = kind;
    item.textContent = text;
    feed.prepend(item);
    while (feed.children.length > 30) feed.lastElementChild.remove();
  };
  const time = (rfc3339) => rfc3339.slice(11, 16);
  source.addEventListener("case", (event) => {
    const c = JSON.parse(event.data);
    add("case", `${time(c.created_at)}  ${c.number}  ${c.category_label} · ${c.risk_label} · ${c.region}`, c.risk);
  });
  source.addEventListener("notice", (event) => {
    const n = JSON.parse(event.data);
    add("notice", `${time(n.issued_at)}  ${n.kind_label} ${n.number} → ${n.unit_name}（${n.subject}）`, n.kind === "order" ? "red" : "orange");
  });
}

// 绘制边界: the administrator draws a child region's (or a grid's) boundary on the region's
// own outline and its drawn areas, point by point; saving puts the polygon, as a one-feature
// GeoJSON file named by the area's code, into the boundary import form and submits it — the
// server reads a drawing exactly as an imported file.
function enhanceDrawingBoard(board) {
  const svg = board.querySelector("#draw-canvas");
  const form = document.getElementById("boundary-form");
  if (!svg || !form) return;
  const data = JSON.parse(board.dataset.drawing);
  const NS = "http://www.w3.org/2000/svg";
  const rings = (boundary) => (boundary.type === "Polygon" ? boundary.coordinates : boundary.coordinates.flat());
  const outlines = [data.own, ...data.areas.map((a) => a.boundary)].filter(Boolean);
  const positions = outlines.flatMap((b) => rings(b).flat());
  if (positions.length === 0) return;
  const lngs = positions.map((p) => p[0]);
  const lats = positions.map((p) => p[1]);
  const [west, east, south, north] = [Math.min(...lngs), Math.max(...lngs), Math.min(...lats), Math.max(...lats)];
  // An equirectangular projection scaled by the cosine of the middle latitude: true shapes at
  // the scale of a district.
  const squeeze = Math.cos((((south + north) / 2) * Math.PI) / 180);
  const scale = 1000 / Math.max((east - west) * squeeze, north - south, 1e-6);
  const margin = 0.08 * 1000;
  const x = (lng) => (lng - west) * squeeze * scale + margin;
  const y = (lat) => (north - lat) * scale + margin;
  const lng = (px) => (px - margin) / scale / squeeze + west;
  const lat = (py) => north - (py - margin) / scale;
  svg.setAttribute("viewBox", `0 0 ${(east - west) * squeeze * scale + 2 * margin} ${(north - south) * scale + 2 * margin}`);
  const path = (boundary) => rings(boundary).map((ring) => `M${ring.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join("L")}Z`).join("");
  const shape = (tag, attributes) => {
    const element = document.createElementNS(NS, tag);
    Object.entries(attributes).forEach(([name, value]) => element.setAttribute(name, value));
    svg.appendChild(element);
    return element;
  };
  const select = board.querySelector("#draw-area");
  const drawn = new Map();
  data.areas.forEach((area) => {
    if (!area.boundary) return;
    const element = shape("path", { d: path(area.boundary), class: "draw-area", "data-area": area.code });
    const title = document.createElementNS(NS, "title");
    title.textContent = area.name;
    element.appendChild(title);
    drawn.set(area.code, element);
  });
  if (data.own) shape("path", { d: path(data.own), class: "draw-frame" });
  const line = shape("polygon", { class: "draw-line", points: "" });
  let points = [];
  const count = board.querySelector("[data-draw-points]");
  const save = board.querySelector("[data-draw-save]");
  const show = () => {
    line.setAttribute("points", points.map((p) => `${x(p[0])},${y(p[1])}`).join(" "));
    svg.querySelectorAll("circle").forEach((c) => c.remove());
    points.forEach((p) => shape("circle", { cx: x(p[0]), cy: y(p[1]), r: 6, class: "draw-point" }));
    count.textContent = String(points.length);
    save.disabled = points.length < 3;
    drawn.forEach((element, code) => element.classList.toggle("selected", code === select.value));
  };
  svg.addEventListener("click", (event) => {
    const at = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
    const round = (v) => Math.round(v * 1e6) / 1e6;
    points.push([round(lng(at.x)), round(lat(at.y))]);
    show();
  });
  board.querySelector("[data-draw-undo]").addEventListener("click", () => {
    points.pop();
    show();
  });
  board.querySelector("[data-draw-reset]").addEventListener("click", () => {
    points = [];
    show();
  });
  select.addEventListener("change", show);
  save.addEventListener("click", () => {
    const area = data.areas.find((a) => a.code === select.value);
    const feature = {
      type: "Feature",
      id: area.code,
      properties: { code: area.code, name: area.name },
      geometry: { type: "Polygon", coordinates: [[...points, points[0]]] },
    };
    const file = new File([JSON.stringify({ type: "FeatureCollection", features: [feature] })], `${area.code}.geojson`, { type: "application/geo+json" });
    const transfer = new DataTransfer();
    transfer.items.add(file);
    form.querySelector("input[type=file]").files = transfer.files;
    form.requestSubmit();
  });
  show();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-upload]").forEach(enhanceUpload);
  const registration = document.querySelector("form[data-check]");
  if (registration) enhanceRegistration(registration);
  document.querySelectorAll(".sigpad").forEach(enhanceSignaturePad);
  document.querySelectorAll("select[data-search]").forEach(enhanceSearchableSelect);
  const screen = document.querySelector("[data-queue-screen]");
  if (screen) enhanceQueueScreen(screen);
  const feed = document.querySelector("[data-live-feed]");
  if (feed) enhanceLiveFeed(feed);
  const waiting = document.querySelector("[data-reload-after]");
  if (waiting) reloadLater(waiting);
  const board = document.querySelector("[data-drawing]");
  if (board) enhanceDrawingBoard(board);
});
