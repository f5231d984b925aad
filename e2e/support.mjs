// Shared by the browser tests: a real `fengqiao demo` server on a fresh SQLite database, a
// headless Debian Chromium, sign-in helpers, and a guard that no page talks to another host.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

export const ROOT = resolve(import.meta.dirname, "..");
export const PASSWORD = "fengqiao-demo";
export const SCREENSHOTS = process.env.FENGQIAO_SCREENSHOTS || join(ROOT, "target", "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

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

/** Starts `fengqiao demo` (the binary cargo built) and waits until it serves. */
export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), "fengqiao-e2e-"));
  const port = await freePort();
  const binary = process.env.FENGQIAO_BIN || join(ROOT, "target", "debug", "fengqiao");
  const child = spawn(binary, ["demo"], {
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
  return { context, page, requests, dialogs };
}

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
 * another host by the end of the file. `server` is set once the file's first test starts.
 */
export function sharedServer() {
  const shared = { server: undefined, browser: undefined };
  const contexts = [];
  before(async () => {
    shared.server = await startServer();
    shared.browser = await launchBrowser();
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

/** A case in street A1 between two parties, dispatched to the mediator's committee and signed
 * for: the case and the mediator's sign-in. */
export async function caseWithTheMediator(server, description, [applicant, respondent]) {
  const intake = (await apiLogin(server, "intake")).token;
  const district = (await apiLogin(server, "district")).token;
  const mediator = await apiLogin(server, "mediator");
  const parties = [
    { role: "applicant", kind: "person", ...applicant },
    { role: "respondent", kind: "person", ...respondent },
  ];
  const body = { channel: "window", description, location: { region_code: "620102002001" }, parties };
  const registered = await api(server, intake, "/api/v1/cases", { method: "POST", body: JSON.stringify(body) });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  let kase = registered.body;
  for (const [token, step] of [[district, { action: "dispatch", unit_id: mediator.user.unit_id }], [mediator.token, { action: "sign" }]]) {
    const r = await api(server, token, `/api/v1/cases/${kase.id}/actions`, { method: "POST", body: JSON.stringify({ ...step, version: kase.version }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    kase = r.body;
  }
  return { kase, mediator };
}
