// A training deployment (`fengqiao demo --training`, CONTRACT.md second round): every page —
// the staff pages, the citizen portal, the kiosk, legal help, the command screen — shows the
// 培训 banner at its top, above the header and not under it, on a desktop and on a phone; the
// SMS a citizen asks for stays in the outbox, where the administrator reads it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEVICES, PHONE, api, apiLogin, screenshot, sharedServer } from "./support.mjs";

const day = sharedServer(async () => {}, ["--training"]);

/** The banner of the page: its text, and whether it is on the first screen above the header. */
async function banner(page) {
  return page.evaluate(() => {
    const banner = document.querySelector(".training-banner");
    if (!banner) return null;
    const box = banner.getBoundingClientRect();
    const header = document.querySelector("header");
    const below = header ? header.getBoundingClientRect().top >= box.bottom - 1 : true;
    return { text: banner.innerText, top: box.top, height: box.height, visible: box.height > 0, headerBelow: below, title: document.title };
  });
}

for (const [device, options] of DEVICES) {
  test(`every page of a training deployment says 培训 (${device})`, async () => {
    const { page } = await day.as("admin", options);
    for (const path of ["/workbench", "/cases", "/intake", "/command", "/law", "/admin"]) {
      await page.goto(`${day.server.base}${path}`);
      const seen = await banner(page);
      assert.ok(seen, `${path}: a banner`);
      assert.match(seen.text, /^培训/, path);
      assert.ok(seen.visible && seen.top === 0, `${path}: first on the screen ${JSON.stringify(seen)}`);
      assert.ok(seen.headerBelow, `${path}: the header does not cover it`);
      assert.match(seen.title, /^【培训】/, path);
    }
    await page.goto(`${day.server.base}/workbench`);
    await screenshot(page, `training-workbench-${device}`);
  });
}

test("a citizen on a training deployment reads the sign-in code from the outbox, nothing sent", async () => {
  const context = await day.browser.newContext({ locale: "zh-CN", ...PHONE });
  const requests = [];
  context.on("request", (request) => requests.push(request.url()));
  day.watch({ context, requests });
  const page = await context.newPage();
  await page.goto(`${day.server.base}/portal`);
  assert.match((await banner(page)).text, /^培训/);
  await page.fill("#phone", "13812340077");
  await Promise.all([page.waitForLoadState("load"), page.click("#portal-signin button[type=submit]")]);
  const { token } = await apiLogin(day.server, "admin");
  const outbox = (await api(day.server, token, "/api/v1/outbox")).body;
  assert.ok(outbox.length > 0, "the code is in the outbox");
  // The scheduler's first pass ran at start; whatever it handled was kept, never handed over.
  assert.ok(outbox.every((m) => m.status === "kept" || m.status === "pending"), JSON.stringify(outbox.map((m) => m.status)));
  assert.ok(!outbox.some((m) => m.status === "sent" || m.status === "failed"));
  await page.fill("#code", outbox[0].body.match(/\d{6}/)[0]);
  await Promise.all([page.waitForURL(/\/portal$/), page.click("#portal-signin button[type=submit]")]);
  assert.match((await banner(page)).text, /^培训/, "signed in, still marked");
  await screenshot(page, "training-portal-phone");
});
