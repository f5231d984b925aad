// The citizen portal's enhancements: installable (service worker), a draft kept on the phone,
// large text, and the dispute form's live check. Every page works without this script.
"use strict";

const DRAFT_KEY = "fq-portal-draft";

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/portal/sw.js", { scope: "/portal" }).catch(() => {});
}

// The hall kiosk: after a while without a touch, everything is cleared — the citizen signed
// out, what this browser keeps forgotten — and the kiosk starts again.
if (document.cookie.split("; ").includes("fq_kiosk_ui=1")) {
  document.documentElement.classList.add("kiosk");
  const seconds = Number(document.body.dataset.idle || 90);
  let timer = null;
  const clearAll = async () => {
    localStorage.clear();
    sessionStorage.clear();
    try {
      await fetch("/kiosk/reset", { method: "POST", credentials: "same-origin" });
    } catch (e) {}
    location.replace("/kiosk");
  };
  const restart = () => {
    clearTimeout(timer);
    timer = setTimeout(clearAll, seconds * 1000);
  };
  ["pointerdown", "keydown", "input", "touchstart"].forEach((kind) => addEventListener(kind, restart, { passive: true }));
  restart();
}

// Large text: a choice kept on this phone.
function applyLargeText() {
  document.documentElement.classList.toggle("large-text", localStorage.getItem("fq-large-text") === "1");
}
applyLargeText();
document.querySelectorAll("[data-large-text]").forEach((button) => {
  button.addEventListener("click", () => {
    const on = localStorage.getItem("fq-large-text") === "1";
    localStorage.setItem("fq-large-text", on ? "0" : "1");
    applyLargeText();
  });
});

// A case page reached right after sending: the draft was sent, forget it.
if (document.querySelector("[data-draft-sent]")) localStorage.removeItem(DRAFT_KEY);

// The dispute form: what is typed is kept on the phone until it is sent (a lost connection
// loses nothing), and checked as it is typed: errors beside their fields, the emergency
// advice at once, and where the case would go.
const form = document.querySelector("form[data-draft]");
if (form) {
  const fields = Array.from(form.elements).filter((e) => e.name && e.name !== "_csrf" && e.type !== "file");
  const saved = JSON.parse(localStorage.getItem(DRAFT_KEY) || "{}");
  const typedByServer = fields.some((e) => e.value !== "");
  if (!typedByServer) {
    fields.forEach((e) => {
      if (typeof saved[e.name] === "string") e.value = saved[e.name];
    });
  }
  const note = form.querySelector("[data-draft-note]");
  const preview = document.getElementById("portal-preview");
  const emergency = document.getElementById("portal-emergency");
  let timer = null;
  let sequence = 0;
  const touched = new Set();
  async function check() {
    const mine = ++sequence;
    let answer;
    try {
      const body = new URLSearchParams();
      fields.forEach((e) => body.append(e.name, e.value));
      body.append("_csrf", form.elements._csrf.value);
      const response = await fetch(form.dataset.check, { method: "POST", body, credentials: "same-origin" });
      if (!response.ok) return;
      answer = await response.json();
    } catch (e) {
      return;
    }
    if (mine !== sequence) return;
    const errors = new Map(answer.errors.map((e) => [e.field, e.message]));
    form.querySelectorAll("p.error[data-for]").forEach((p) => {
      const show = touched.has(p.dataset.for) && errors.has(p.dataset.for);
      p.textContent = show ? errors.get(p.dataset.for) : "";
    });
    if (emergency) emergency.innerHTML = answer.emergency || "";
    if (preview) preview.innerHTML = answer.preview || "";
  }
  form.addEventListener("input", (event) => {
    const draft = {};
    fields.forEach((e) => (draft[e.name] = e.value));
    localStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    if (note) note.hidden = false;
    if (event.target.name) touched.add(event.target.name);
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  if (fields.some((e) => e.value !== "")) check();
}
