// Shared by the browser tests: a real `fengqiao demo` server on a fresh SQLite database, a
// headless Debian Chromium, sign-in helpers, and a guard that no page talks to another host.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import net from "node:net";
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

export const ROOT = resolve(import.meta.dirname, "..");
export const PASSWORD = "fengqiao-demo";
export const SCREENSHOTS = process.env.FENGQIAO_SCREENSHOTS || join(ROOT, "target", "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
/** Where each test file writes the load times of its pages (`cargo xtask test` sums them up). */
export const TIMINGS = join(ROOT, "target", "page-timings");
/** The load-event budget of a page (issue 13): reported, never failed on — times on a shared
 * machine are too noisy for a test to fail on them. */
export const BUDGET_MS = 300;

/** The two screens every role's day is walked on. */
export const DESKTOP = { viewport: { width: 1366, height: 768 } };
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
export const DEVICES = [
  ["desktop", DESKTOP],
  ["phone", PHONE],
];

async function freePort() {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on("error", fail);
  });
}

/** Starts `fengqiao demo` (the binary cargo built) with `options` (e.g. `["--training"]`) and
 * waits until it serves. */
export async function startServer(options = []) {
  const dir = mkdtempSync(join(tmpdir(), "fengqiao-e2e-"));
  const port = await freePort();
  const binary = process.env.FENGQIAO_BIN || join(ROOT, "target", "debug", "fengqiao");
  const child = spawn(binary, ["demo", ...options], {
    env: {
      ...process.env,
      FENGQIAO_DB: `sqlite://${dir}/fengqiao.db`,
      FENGQIAO_DATA_DIR: dir,
      FENGQIAO_LISTEN: `127.0.0.1:${port}`,
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`fengqiao demo exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    host: `127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A signed-in browser context for a demo user. Every request any of its pages makes is
 * recorded in `requests`, so a test can assert that none went to another host — and so is
 * anything the content security policy refused, as a `csp-violation:` entry.
 */
export async function signIn(browser, server, username, options = {}) {
  const context = await browser.newContext({ locale: "zh-CN", ...options });
  await timePages(context);
  const requests = [];
  context.on("request", (request) => requests.push(request.url()));
  // Anything the content security policy refused counts as a failure like a foreign request.
  context.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/.test(message.text())) {
      requests.push(`csp-violation:${message.text()}`);
    }
  });
  const page = await context.newPage();
  // A step that cannot be undone asks first; the tests answer yes and keep the questions.
  const dialogs = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.accept();
  });
  await page.goto(`${server.base}/login`);
  await page.fill("#username", username);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/workbench$/), page.click("button[type=submit]")]);
  // The sign-in as a person feels it: from the POST through the redirect to the workbench loaded.
  const { ms, server_ms } = await page.evaluate(async () => {
    const entry = () => performance.getEntriesByType("navigation")[0];
    while (!(entry().loadEventEnd > 0)) await new Promise((r) => setTimeout(r, 10));
    return { ms: Math.round(entry().loadEventEnd - entry().startTime), server_ms: Math.round(entry().responseEnd - entry().startTime) };
  });
  timings.push({ page: "sign-in (POST /login → /workbench)", url: "/login", ms, server_ms, width: page.viewportSize()?.width });
  return { context, page, requests, dialogs };
}

/** Every page load of the test file: `{page, url, ms, width}`. */
const timings = [];

/** The path a timing is filed under: ids and tokens replaced, so that one page is one line. */
function pageKey(url) {
  return url
    .replace(/\/sign\/[A-Za-z0-9_-]+/, "/sign/{token}")
    .replace(/\/\d+(?=\/|$|\?)/g, "/{id}")
    .replace(/=\d+/g, "={n}");
}

/**
 * Records the load-event time (Navigation Timing) of every page any of the context's pages
 * loads, from the navigation's start — a POST and its redirect included — to the end of `load`.
 */
export async function timePages(context) {
  await context.exposeBinding("__fengqiaoLoaded", ({ page }, { url, ms, server_ms, redirected }) => {
    const key = pageKey(url);
    timings.push({ page: redirected ? `redirect → ${key}` : key, url, ms, server_ms, width: page.viewportSize()?.width });
  });
  await context.addInitScript(() => {
    addEventListener("load", () =>
      setTimeout(() => {
        const [entry] = performance.getEntriesByType("navigation");
        if (!entry || !window.__fengqiaoLoaded) return;
        const ms = Math.round(entry.loadEventEnd - entry.startTime);
        // Until the last byte of the page (the POST and its redirect included): the server's share.
        const server_ms = Math.round(entry.responseEnd - entry.startTime);
        window.__fengqiaoLoaded({ url: location.pathname + location.search, ms, server_ms, redirected: entry.redirectCount > 0 }).catch(() => {});
      }),
    );
  });
}

/** The slowest pages first: each page's samples, worst and median time, and the median of the
 * server's share (until the page's last byte arrived; the rest is the browser's). */
function timingSummary(samples) {
  const byPage = new Map();
  for (const s of samples) byPage.set(s.page, [...(byPage.get(s.page) || []), s]);
  return [...byPage]
    .map(([page, times]) => {
      const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
      const ms = times.map((t) => t.ms);
      return { page, samples: times.length, max_ms: Math.max(...ms), median_ms: median(ms), median_server_ms: median(times.map((t) => t.server_ms)) };
    })
    .sort((a, b) => b.max_ms - a.max_ms);
}

// When the file's tests are done: its timings as JSON under target/, the slowest on stdout.
process.on("exit", () => {
  if (!timings.length) return;
  const file = basename(process.argv[1] || "e2e", ".mjs");
  const pages = timingSummary(timings);
  mkdirSync(TIMINGS, { recursive: true });
  const report = { file, budget_ms: BUDGET_MS, over_budget: pages.filter((p) => p.max_ms > BUDGET_MS).length, pages, samples: timings };
  writeFileSync(join(TIMINGS, `${file}.json`), JSON.stringify(report, null, 1));
  const slowest = pages.slice(0, 5).map((p) => `${p.page} ${p.max_ms} ms (median ${p.median_ms}, server ${p.median_server_ms}, ${p.samples}×)`);
  console.log(`page load times of ${file} (budget ${BUDGET_MS} ms, ${report.over_budget} over): ${slowest.join("; ")}`);
});

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A bearer token and user for the JSON API. */
export async function apiLogin(server, username) {
  const response = await fetch(`${server.base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (!response.ok) throw new Error(`API login of ${username}: ${response.status}`);
  return response.json();
}

export async function api(server, token, path, init = {}) {
  const response = await fetch(`${server.base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers || {}) },
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** Hosts other than the server's that any recorded request went to. */
export function foreignRequests(requests, server) {
  return requests.filter((url) => {
    if (url.startsWith("data:") || url.startsWith("blob:")) return false;
    return new URL(url).host !== server.host;
  });
}

/**
 * The hooks a test file shares: one demo server and one browser for the file, closed after it,
 * and `as(username, options)`, a signed-in session whose pages must have made no request to
 * another host by the end of the file. `server` is set when the file's first test starts;
 * `setup(shared)`, what the file prepares for its tests, runs before that, once the server and
 * the browser are up (a `before` hook of the file itself would run alongside this one).
 * `options` go to `fengqiao demo`.
 */
export function sharedServer(setup = async () => {}, options = []) {
  const shared = { server: undefined, browser: undefined };
  const contexts = [];
  before(async () => {
    shared.server = await startServer(options);
    shared.browser = await launchBrowser();
    await setup(shared);
  });
  after(async () => {
    for (const c of contexts) {
      assert.deepEqual(foreignRequests(c.requests, shared.server), [], "a page made a request to another host");
      await c.context.close();
    }
    await shared.browser?.close();
    await shared.server?.stop();
  });
  /** Checks a context the test made itself (`{ context, requests }`) like the signed-in ones. */
  shared.watch = (session) => contexts.push(session);
  shared.as = async (username, options) => {
    const session = await signIn(shared.browser, shared.server, username, options);
    shared.watch(session);
    return session;
  };
  return shared;
}

/** A one-pixel PNG: a signature as the API takes it. */
export const SIGNATURE =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==";

/** Where a demo user's unit is: `{ unit_id, region_code }`. */
async function unitOf(server, username) {
  const { user, token } = await apiLogin(server, username);
  const units = (await api(server, token, "/api/v1/units")).body;
  const unit = units.find((u) => u.id === user.unit_id);
  return { unit_id: user.unit_id, region_code: unit.region_code };
}

/** Registers a case in the demo user's area, between two people, through the API as the city's
 * dispatcher and dispatches it to that user's unit; answers the case. `extra` adds to the body. */
export async function caseDispatchedTo(server, username, description, [applicant, respondent], extra = {}) {
  const city = (await apiLogin(server, "city")).token;
  const { unit_id, region_code } = await unitOf(server, username);
  const parties = [
    { role: "applicant", kind: "person", ...applicant },
    { role: "respondent", kind: "person", ...respondent },
  ];
  const body = { channel: "window", description, location: { region_code }, parties, ...extra };
  const registered = await api(server, city, "/api/v1/cases", { method: "POST", body: JSON.stringify(body) });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const kase = registered.body;
  const step = { action: "dispatch", unit_id, version: kase.version };
  const dispatched = await api(server, city, `/api/v1/cases/${kase.id}/actions`, { method: "POST", body: JSON.stringify(step) });
  assert.equal(dispatched.status, 200, JSON.stringify(dispatched.body));
  return dispatched.body;
}

/** A case in street A1 between two parties, dispatched to the mediator's committee and signed
 * for: the case and the mediator's sign-in. */
export async function caseWithTheMediator(server, description, parties) {
  const dispatched = await caseDispatchedTo(server, "mediator", description, parties);
  const mediator = await apiLogin(server, "mediator");
  const step = { action: "sign", version: dispatched.version };
  const signed = await api(server, mediator.token, `/api/v1/cases/${dispatched.id}/actions`, { method: "POST", body: JSON.stringify(step) });
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  return { kase: signed.body, mediator };
}

/** A case of the street A1 mediator between `parties`, with an agreement drafted as
 * `agreement` (`{ matters, terms }`) and sent for signing: the case, the agreement and the
 * mediator's sign-in. */
export async function agreementSentForSigning(server, description, parties, agreement) {
  const { kase, mediator } = await caseWithTheMediator(server, description, parties);
  const drafted = await api(server, mediator.token, `/api/v1/cases/${kase.id}/agreements`, {
    method: "POST",
    body: JSON.stringify(agreement),
  });
  assert.equal(drafted.status, 201, JSON.stringify(drafted.body));
  const sent = await api(server, mediator.token, `/api/v1/agreements/${drafted.body.id}/signing`, { method: "POST" });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  return { kase, agreement: drafted.body, mediator };
}

/** An agreement of a new case of the mediator's, signed by both parties and the mediator,
 * sealed, and sent to the court for judicial confirmation: the case and the agreement. */
export async function agreementAwaitingConfirmation(server, description, [applicant, respondent]) {
  const terms = [{ text: `${respondent.name}分三期归还借款五万元`, due: "2027-03-31" }];
  const { kase, agreement, mediator } =
    await agreementSentForSigning(server, description, [applicant, respondent], { matters: "借款归还", terms });
  const post = async (path, body = {}) => {
    const r = await api(server, mediator.token, path, { method: "POST", body: JSON.stringify(body) });
    assert.ok(r.status < 300, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const path = `/api/v1/agreements/${agreement.id}`;
  await partiesSign(server, [applicant.name, respondent.name]);
  await post(`${path}/mediator-signature`, { signature: SIGNATURE });
  await post(`${path}/seal`);
  await post(`${path}/confirmation`, { applicants: [0, 1] });
  return { kase, agreement };
}

/** The signing links in the SMS outbox, newest first: `{url, code, body}`. */
export async function signingLinks(server) {
  const admin = (await apiLogin(server, "admin")).token;
  const outbox = (await api(server, admin, "/api/v1/outbox")).body;
  return outbox
    .filter((m) => m.body.includes("/sign/"))
    .map((m) => ({ url: m.body.match(/(http\S+?\/sign\/[A-Za-z0-9_-]+)/)[1], code: m.body.match(/验证码 (\d{6})/)?.[1], body: m.body }));
}

/** Each party signs through the link of their SMS (as `POST /api/v1/sign/{token}` would from a phone). */
export async function partiesSign(server, names) {
  const links = await signingLinks(server);
  for (const name of names) {
    const link = links.find((l) => l.body.includes(name));
    const response = await fetch(`${server.base}/api/v1/sign/${link.url.split("/sign/")[1]}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: link.code, signature: SIGNATURE }),
    });
    assert.equal(response.status, 200, `${name} signs`);
  }
}

/** Draws a signature on the page's first signature pad. */
export async function drawSignature(page) {
  const canvas = page.locator(".sigpad canvas").first();
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + 20, box.y + 60);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + 20 + i * 15, box.y + 60 + (i % 2 ? 25 : -15));
  await page.mouse.up();
}

/**
 * What every page owes a person (issue 13), checked on the page as it is now:
 * - no code or field path in its text (`labor`, `in_progress`, `parties[0].id_number`): in a
 *   Chinese interface a lower-case Latin word is a code that reached a person — except in
 *   `.mono`, which marks what is literally an identifier (a username, a link, a number);
 * - no raw RFC 3339 time (`2026-11-27T09:00:00+08:00`);
 * - nothing wider than the screen (no sideways scrolling on a phone);
 * - the header's brand, navigation, user and languages not overlapping one another;
 * - with `next` (a selector), that next action on the first screen, before any scrolling.
 */
export async function checkPage(page, { next } = {}) {
  const where = new URL(page.url()).pathname;
  const found = await page.evaluate((nextSelector) => {
    const body = document.body.cloneNode(true);
    for (const e of body.querySelectorAll(".mono, script, style, .langs")) e.remove();
    const text = body.textContent.replace(/https?:\/\/\S+/g, " ");
    const header = [".brand", "nav.main", ".user", ".langs"]
      .map((s) => document.querySelector(`header ${s}`))
      .filter(Boolean)
      .map((e) => ({ name: e.className || e.tagName, box: e.getBoundingClientRect() }));
    const overlaps = [];
    for (const [i, a] of header.entries()) {
      for (const b of header.slice(i + 1)) {
        const x = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left);
        const y = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top);
        if (x > 1 && y > 1) overlaps.push(`${a.name} × ${b.name}`);
      }
    }
    const action = nextSelector && document.querySelector(nextSelector);
    return {
      // In English the words are English: only a Chinese page can be searched for Latin codes.
      codes: !document.documentElement.lang.startsWith("zh") ? [] : [...new Set(text.match(/[a-z_]+\[\d+\]\.[a-z_]+|(?<![A-Za-z0-9])[a-z][a-z_]{2,}(?![A-Za-z0-9])/g) || [])],
      times: [...new Set(text.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?/g) || [])],
      width: document.documentElement.scrollWidth,
      screen: innerWidth,
      overlaps,
      next: nextSelector ? (action ? action.getBoundingClientRect().top + scrollY : null) : undefined,
      height: innerHeight,
    };
  }, next);
  assert.deepEqual(found.codes, [], `${where}: codes or field paths shown to people`);
  assert.deepEqual(found.times, [], `${where}: raw RFC 3339 times`);
  assert.ok(found.width <= found.screen, `${where}: ${found.width} px wide on a ${found.screen} px screen`);
  assert.deepEqual(found.overlaps, [], `${where}: the header's parts overlap`);
  if (next) {
    assert.notEqual(found.next, null, `${where}: no ${next}`);
    assert.ok(found.next < found.height, `${where}: ${next} starts at ${Math.round(found.next)} px, below the first screen (${found.height} px)`);
  }
}

/** Opens `path` as this session's page and checks it (`checkPage`); answers the response. */
export async function visit(page, server, path, checks) {
  const response = await page.goto(`${server.base}${path}`);
  assert.equal(response.status(), 200, `${path}: ${response.status()}`);
  await checkPage(page, checks);
  return response;
}

/** Follows a link (or a search form's button) to the next page and checks it. */
export async function follow(page, selector, checks) {
  await Promise.all([page.waitForNavigation(), page.locator(selector).first().click()]);
  await checkPage(page, checks);
}

/**
 * Submits the form that `button` is in, waits for the next page and checks it. A form that
 * succeeded answers with a redirect (post/redirect/get: reloading repeats nothing); with
 * `{ refused: true }` the form is expected back with what is wrong, and no redirect.
 */
export async function submit(page, button, { refused = false, ...checks } = {}) {
  const [response] = await Promise.all([page.waitForNavigation(), page.locator(button).click()]);
  const redirected = Boolean(response?.request().redirectedFrom());
  assert.equal(redirected, !refused, `${button}: ${refused ? "a refused form answers in place" : "no redirect after the POST"}`);
  await checkPage(page, checks);
  return response;
}
