// In the video room (issue 17), in real headless Chromium with fake camera, microphone and
// screen: the mediator writes the minutes (saved as typed, still there after a reload), puts
// them to the parties, each confirms in the room (an event with the text's SHA-256); a party
// is shown the agreement's signing page; a shared screen reaches the others as one more video
// track, marked in the others' roster (正在共享屏幕), and goes when sharing stops; each
// participant's network quality is said in words.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chromium } from "playwright-core";
import { api, caseWithTheMediator, checkPage, startServer } from "./support.mjs";

const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--auto-select-desktop-capture-source=Entire screen",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
  ],
});
after(async () => {
  await browser.close();
  await server.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, ms = 30000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const last = await check();
    if (last) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function open(context, link) {
  const page = await context.newPage();
  await page.goto(`${server.base}${link.url}`);
  await page.waitForSelector('#device-status[data-ok="true"]');
  await page.click("#join");
  return page;
}

/** Video frames a page decoded from a participant's video tracks, in the order they came. */
function framesFrom(page, owner) {
  return page.evaluate(async (owner) => {
    const room = window.fengqiaoRoom;
    const frames = [];
    if (!room.pc) return frames;
    for (const t of room.pc.getTransceivers()) {
      const track = t.receiver.track;
      if (t.stopped || t.currentDirection !== "recvonly" || track.kind !== "video" || room.owners[track.id] !== owner) continue;
      let n = 0;
      for (const stat of (await t.receiver.getStats()).values()) if (stat.type === "inbound-rtp") n += stat.framesDecoded || 0;
      frames.push(n);
    }
    return frames;
  }, owner);
}

test("minutes, confirmations, the agreement, a shared screen and the network quality in the room", async () => {
  const { kase, mediator } = await caseWithTheMediator(server, "视频调解：楼上装修噪音纠纷，双方同意线上调解。", [
    { name: "孙丽", phone: "13911112222" },
    { name: "周强", phone: "13933334444" },
  ]);
  const post = async (path, body = {}) => {
    const r = await api(server, mediator.token, path, { method: "POST", body: JSON.stringify(body) });
    assert.ok(r.status < 300, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const session = await post(`/api/v1/cases/${kase.id}/sessions`, {
    mode: "video", scheduled_at: "2026-12-01T09:30:00+08:00", link: "/video", disclosure: "无",
  });
  for (const party of [0, 1]) for (const act of ["rights", "consent"]) await post(`/api/v1/sessions/${session.id}/parties/${party}/${act}`);
  const links = await post(`/api/v1/sessions/${session.id}/video/invitations`);
  const contexts = await Promise.all([0, 1, 2].map(() => browser.newContext({ locale: "zh-CN" })));
  let host = await open(contexts[0], links[0]);
  const one = await open(contexts[1], links[1]);
  const two = await open(contexts[2], links[2]);
  for (const p of ["party-1", "party-2"]) {
    await until(`${p} waiting`, () => host.locator(`#waiting-list button[data-admit="${p}"]`).count());
    await host.click(`#waiting-list button[data-admit="${p}"]`);
  }

  // The network quality of each other participant, in words.
  const label = await until("a quality label", async () => {
    const text = await host.locator('#roster .quality[data-participant="party-1"]').innerText().catch(() => "");
    return /网络(良好|一般|较差)/.test(text) ? text : null;
  });
  assert.match(label, /网络(良好|一般|较差)/);
  await until("the party's own label", async () => /网络/.test(await one.locator('#roster .quality[data-participant="party-1"]').innerText()));

  // The host writes; the text is saved and is there again after a reload.
  const text = "申请人孙丽称楼上装修至深夜。\n被申请人周强同意晚十点后停止施工。";
  await host.fill("#minutes-text", text);
  await host.waitForSelector("#minutes-status:has-text('已保存')");
  await one.waitForSelector(`#minutes-view:has-text('同意晚十点后停止施工')`);
  await host.reload();
  await host.waitForSelector('#device-status[data-ok="true"]');
  await host.click("#join");
  await until("the saved minutes", async () => (await host.inputValue("#minutes-text")) === text);
  await checkPage(host);

  // Put to the parties: each confirms in the room; the host sees who did.
  await host.click("#minutes-ask");
  for (const page of [one, two]) {
    await page.waitForSelector("#minutes-confirm:visible");
    assert.equal((await page.locator("#minutes-confirm").innerText()).trim(), "确认");
    await page.click("#minutes-confirm");
    await page.waitForSelector("#minutes-confirm", { state: "hidden" });
  }
  await host.waitForSelector('#minutes-confirmations li[data-participant="party-2"][data-confirmed="true"]');
  assert.match(await host.locator("#minutes-confirmations").innerText(), /当事人1：已确认/);
  const events = (await api(server, mediator.token, `/api/v1/cases/${kase.id}/events`)).body;
  const sha = createHash("sha256").update(text).digest("hex");
  const confirmed = events.filter((e) => e.action === "minutes_confirmed");
  assert.deepEqual(confirmed.map((e) => [e.actor, e.data.party_index, e.data.sha256]).sort(), [
    ["video:party-1", 0, sha],
    ["video:party-2", 1, sha],
  ]);

  // The agreement: drafted and sent for signing; the host asks; each party opens its page.
  const drafted = await post(`/api/v1/cases/${kase.id}/agreements`, { matters: "装修噪音", terms: [{ text: "晚十点后停止施工" }] });
  await post(`/api/v1/agreements/${drafted.id}/signing`);
  await host.click("#agreement-ask");
  await one.waitForSelector("#sign-panel:visible");
  const [signing] = await Promise.all([contexts[1].waitForEvent("page"), one.click("#sign-link")]);
  await signing.waitForLoadState();
  assert.match(signing.url(), /\/sign\//);
  assert.match(await signing.content(), /晚十点后停止施工/);
  await signing.close();

  // The host shares the screen: the parties decode a second video track from the host, and
  // their roster says who shares.
  const sharer = '#roster li[data-participant="mediator"][data-sharing]';
  await host.click("#share");
  await host.waitForSelector("#share:has-text('停止共享')");
  await one.waitForSelector(sharer);
  assert.match(await one.locator(sharer).innerText(), /正在共享屏幕/);
  await one.waitForSelector('video[data-participant="mediator"][data-screen]');
  await until("the screen decoded", async () => {
    const frames = await framesFrom(one, "mediator");
    return frames.length === 2 && frames[1] > 0;
  });
  await host.click("#share");
  await one.waitForSelector(sharer, { state: "detached" });
  await one.waitForSelector('video[data-participant="mediator"][data-screen]', { state: "detached" });
  await until("the camera alone again", async () => {
    const frames = await framesFrom(one, "mediator");
    return frames.length === 1 && frames[0] > 0;
  });

  await Promise.all(contexts.map((c) => c.close()));
});
