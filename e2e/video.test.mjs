// Video mediation (issue 17) in real headless Chromium with fake camera and microphone: three
// pages join one room through the server's own forwarding unit, each decodes video and audio
// from each of the other two; with everyone's consent the server records what it forwards,
// one WebM per track, kept as evidence with its SHA-256 in the case's history; without every
// consent nothing is recorded.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chromium } from "playwright-core";
import { api, caseWithTheMediator, startServer } from "./support.mjs";

const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
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
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A video session of a new case and its links: {kase, mediator, session, links}. */
async function videoSession(description) {
  const { kase, mediator } = await caseWithTheMediator(server, description, [
    { name: "冯雪", phone: "13966667777" },
    { name: "陈刚", phone: "13988889999" },
  ]);
  const scheduled = await api(server, mediator.token, `/api/v1/cases/${kase.id}/sessions`, {
    method: "POST",
    body: JSON.stringify({ mode: "video", scheduled_at: "2026-12-01T09:30:00+08:00", link: "/video", disclosure: "无" }),
  });
  assert.equal(scheduled.status, 201, JSON.stringify(scheduled.body));
  const session = scheduled.body;
  const invited = await api(server, mediator.token, `/api/v1/sessions/${session.id}/video/invitations`, {
    method: "POST",
    body: "{}",
  });
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  return { kase, mediator, session, links: invited.body };
}

async function open(link) {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto(`${server.base}${link.url}`);
  await page.waitForSelector('#device-status[data-ok="true"]');
  assert.equal((await page.locator("#join").innerText()).trim(), "加入");
  await page.click("#join");
  return page;
}

/** What a page decodes from each other participant: {participant: {frames, samples}}. */
function decoded(page) {
  return page.evaluate(async () => {
    const room = window.fengqiaoRoom;
    const out = {};
    if (!room.pc) return out;
    for (const receiver of room.pc.getReceivers()) {
      const owner = room.owners[receiver.track.id];
      if (!owner) continue;
      out[owner] ||= { frames: 0, samples: 0 };
      for (const stat of (await receiver.getStats()).values()) {
        if (stat.type !== "inbound-rtp") continue;
        out[owner].frames += stat.framesDecoded || 0;
        out[owner].samples += stat.totalSamplesReceived || 0;
      }
    }
    return out;
  });
}

test("three pages see and hear each other through the server, and with consent it records each track", async () => {
  const { kase, mediator, session, links } = await videoSession("视频调解：邻里噪音纠纷，双方同意线上调解。");
  assert.deepEqual(links.map((l) => l.participant), ["mediator", "party-1", "party-2"]);
  const host = await open(links[0]);
  const one = await open(links[1]);
  const two = await open(links[2]);
  // The parties wait; the host admits one in the room, the other through the API.
  await one.waitForSelector("#room-status:has-text('请等待调解员准许进入')");
  await host.click('#waiting-list button[data-admit="party-1"]');
  await until("party-2 waiting", () => host.locator('#waiting-list button[data-admit="party-2"]').count());
  const admitted = await api(server, mediator.token, `/api/v1/sessions/${session.id}/video/participants/party-2/admit`, {
    method: "POST",
  });
  assert.equal(admitted.status, 200, JSON.stringify(admitted.body));

  const pages = { mediator: host, "party-1": one, "party-2": two };
  for (const [me, page] of Object.entries(pages)) {
    const others = Object.keys(pages).filter((p) => p !== me);
    const seen = await until(`${me} decoding the others`, async () => {
      const d = await decoded(page);
      return others.every((o) => d[o] && d[o].frames > 0 && d[o].samples > 0) ? d : null;
    });
    for (const o of others) assert.ok(seen[o].frames > 0 && seen[o].samples > 0, `${me} from ${o}`);
  }

  // Chat reaches everyone.
  await one.fill("#chat-text", "我同意线上调解");
  await one.click("#chat button[type=submit]");
  await two.waitForSelector("#chat-log li:has-text('我同意线上调解')");

  // Everyone consents: the room records; a few seconds; everyone leaves.
  for (const page of Object.values(pages)) await page.check("#consent");
  await until("recording", async () => (await host.locator('#room[data-recording="true"]').count()) > 0);
  await sleep(4000);
  for (const page of Object.values(pages)) await page.click("#leave");

  const recordings = await until("six recordings", async () => {
    const r = await api(server, mediator.token, `/api/v1/sessions/${session.id}/recordings`);
    return r.body && r.body.length >= 6 ? r.body : null;
  });
  assert.equal(recordings.length, 6, JSON.stringify(recordings));
  const events = (await api(server, mediator.token, `/api/v1/cases/${kase.id}/events`)).body;
  const consents = events.filter((e) => e.action === "video_consent_given").map((e) => e.data.participant);
  assert.deepEqual(consents.sort(), ["mediator", "party-1", "party-2"]);
  const recorded = new Map(events.filter((e) => e.action === "video_recorded").map((e) => [e.data.recording_id, e.data]));
  const tracks = new Set();
  for (const r of recordings) {
    assert.ok(r.bytes > 0, JSON.stringify(r));
    assert.match(r.content_type, /^(audio|video)\/webm$/);
    tracks.add(`${r.participant} ${r.content_type}`);
    const file = await fetch(`${server.base}/api/v1/recordings/${r.id}`, {
      headers: { authorization: `Bearer ${mediator.token}` },
    });
    const bytes = Buffer.from(await file.arrayBuffer());
    assert.equal(bytes.length, r.bytes);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3], "an EBML (WebM) file");
    const sha = createHash("sha256").update(bytes).digest("hex");
    assert.equal(sha, r.sha256);
    assert.equal(recorded.get(r.id)?.sha256, sha, "the hash in the case's history");
  }
  assert.equal(tracks.size, 6, "one recording per track");
  await Promise.all(Object.values(pages).map((p) => p.context().close()));
});

test("without every participant's consent nothing is recorded", async () => {
  const { mediator, session, links } = await videoSession("视频调解：物业费纠纷，一方不同意录像。");
  const host = await open(links[0]);
  const one = await open(links[1]);
  await host.click('#waiting-list button[data-admit="party-1"]');
  await until("media flowing", async () => {
    const d = await decoded(host);
    return d["party-1"] && d["party-1"].frames > 0;
  });
  await host.check("#consent");
  await sleep(3000);
  assert.equal(await host.locator('#room[data-recording="true"]').count(), 0);
  await host.click("#leave");
  await one.click("#leave");
  await sleep(1500);
  const r = await api(server, mediator.token, `/api/v1/sessions/${session.id}/recordings`);
  assert.deepEqual(r.body, []);
  await Promise.all([host.context().close(), one.context().close()]);
});
