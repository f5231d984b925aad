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
// loses nothing). app.js checks it as it is typed (errors, the emergency advice, the preview);
// a restored draft is announced as input, once app.js listens, so that it is checked too.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-draft]");
  if (!form) return;
  const fields = Array.from(form.elements).filter((e) => e.name && e.name !== "_csrf" && e.type !== "file");
  const saved = JSON.parse(localStorage.getItem(DRAFT_KEY) || "{}");
  if (!fields.some((e) => e.value !== "")) {
    fields.forEach((e) => {
      if (typeof saved[e.name] === "string") e.value = saved[e.name];
    });
  }
  const note = form.querySelector("[data-draft-note]");
  form.addEventListener("input", () => {
    const draft = {};
    fields.forEach((e) => (draft[e.name] = e.value));
    localStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    if (note) note.hidden = false;
  });
  if (fields.some((e) => e.value !== "")) form.dispatchEvent(new Event("input"));
});
