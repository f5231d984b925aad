// The citizen portal on a phone (issue 14): sign in with a code from the SMS, bring a dispute —
// the 110 advice appears while typing, the draft survives a reload, the preview says where the
// case goes —, land on the case with its 解纷码 as a QR code, and find the draft forgotten.
// Large text stays chosen; the portal installs (manifest, service worker) from our host only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, SIGNATURE, api, apiLogin, drawSignature, partiesSign, screenshot, sharedServer, timePages } from "./support.mjs";

const day = sharedServer();

/** A phone's browser context, watched for requests to other hosts like the staff ones. */
async function citizenPhone() {
  const context = await day.browser.newContext({ locale: "zh-CN", ...PHONE });
  await timePages(context);
  const requests = [];
  context.on("request", (request) => requests.push(request.url()));
  day.watch({ context, requests });
  return { context, page: await context.newPage() };
}

/** The newest SMS code in the outbox (what the citizen reads on their phone). */
async function newestCode() {
  const { token } = await apiLogin(day.server, "admin");
  const outbox = (await api(day.server, token, "/api/v1/outbox")).body;
  return outbox[0].body.match(/\d{6}/)[0];
}

test("a citizen signs in on a phone, brings a dispute from a kept draft, and follows it by its 解纷码", async () => {
  const { page } = await citizenPhone();
  const phone = "13812349876";
  await page.goto(`${day.server.base}/portal`);
  // The first load — page, style, script, icon — stays small for a phone on a weak network.
  const bytes = await page.evaluate(async () => {
    await new Promise((r) => (document.readyState === "complete" ? r() : addEventListener("load", r)));
    const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
    return entries.reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0);
  });
  console.log(`portal first load: ${(bytes / 1024).toFixed(1)} KB (budget 150 KB)`);
  assert.ok(bytes > 0 && bytes < 150 * 1024, `first load ${bytes} bytes`);
  await page.fill("#phone", phone);
  await Promise.all([page.waitForLoadState("load"), page.click("#portal-signin button[type=submit]")]);
  await page.fill("#code", await newestCode());
  await Promise.all([page.waitForURL(/\/portal$/), page.click("#portal-signin button[type=submit]")]);
  assert.equal(await page.locator("#bring").isVisible(), true, "the next action first");

  // Large text: chosen once, kept on the phone across pages.
  await page.click("[data-large-text]");
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains("large-text")));

  await Promise.all([page.waitForURL(/\/portal\/new$/), page.click("#bring")]);
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains("large-text")), "still large");
  await page.fill("#description", "对方拿着刀堵在我家门口，说要砍死我");
  await page.locator("[data-emergency]").waitFor({ timeout: 5000 });
  assert.match(await page.locator("[data-emergency]").innerText(), /110/);
  assert.equal(await page.locator("[data-draft-note]").isVisible(), true, "the draft is kept");
  await screenshot(page, "portal-emergency-phone");

  // A lost connection (here: a reload) loses nothing typed.
  const description = "楼上邻居装修噪音扰民，晚上十点后还在施工，多次沟通无果";
  await page.fill("#description", description);
  await page.fill("#respondent", "钱七");
  await page.fill("#name", "孙八");
  await page.fill("#phone", phone);
  await page.fill("#people_count", "2");
  await page.reload();
  assert.equal(await page.inputValue("#description"), description, "restored from the phone");
  assert.equal(await page.inputValue("#name"), "孙八");
  const preview = page.locator("[data-preview-route]");
  await preview.waitFor({ timeout: 5000 });
  assert.match(await preview.innerText(), /将交由.+办理/);
  assert.equal(await page.locator("[data-emergency]").count(), 0, "no emergency in a noise complaint");

  await Promise.all([page.waitForURL(/\/portal\/cases\/\d+/), page.click("#portal-new button[type=submit]")]);
  assert.match(await page.locator("#tracking-code").innerText(), /^JF[0-9A-F]{10}$/);
  assert.equal(await page.locator("#tracking-qr svg").count(), 1, "the 解纷码 as a QR code");
  assert.equal(await page.evaluate(() => localStorage.getItem("fq-portal-draft")), null, "the sent draft is forgotten");

  // A photo as evidence, from the phone: it shows under the case, hashed into its history.
  const photo = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
  await page.setInputFiles("#file", { name: "墙面照片.png", mimeType: "image/png", buffer: photo });
  await Promise.all([page.waitForURL(/#evidence$/), page.click('#evidence-upload button[type="submit"]')]);
  assert.match(await page.locator("#evidence li").first().innerText(), /墙面照片\.png/);
  await screenshot(page, "portal-case-phone");

  // Staff dispatch it; the party then chooses the mediator from those offered (群众点单).
  const caseId = Number(new URL(page.url()).pathname.split("/").pop());
  const { token } = await apiLogin(day.server, "city");
  const units = (await api(day.server, token, "/api/v1/units")).body;
  const street = units.find((u) => u.name === "张掖路街道综治中心");
  const current = (await api(day.server, token, `/api/v1/cases/${caseId}`)).body;
  const dispatched = await api(day.server, token, `/api/v1/cases/${caseId}/actions`, {
    method: "POST",
    body: JSON.stringify({ action: "dispatch", unit_id: street.id, version: current.version }),
  });
  assert.equal(dispatched.status, 200, JSON.stringify(dispatched.body));
  await page.reload();
  const offer = page.locator("#mediator li[data-mediator]").first();
  const name = (await offer.locator("strong").innerText()).trim();
  await Promise.all([page.waitForURL(/#mediator$/), offer.locator("button").click()]);
  assert.equal((await page.locator("#mediator p").innerText()).trim(), name, "the chosen mediator shows");
  const mediator = (await api(day.server, token, `/api/v1/cases/${caseId}/mediator`)).body;
  assert.equal(mediator.chosen_by, "party");

  // The form, opened again, is empty: nothing of the sent dispute comes back.
  await page.goto(`${day.server.base}/portal/new`);
  assert.equal(await page.inputValue("#description"), "");

  // Installable: the manifest is linked and the service worker takes the portal.
  const manifest = await page.getAttribute('link[rel="manifest"]', "href");
  assert.equal(manifest, "/portal/manifest.webmanifest");
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.match(scope, /\/portal$/);
});

test("the hall kiosk: a clerk starts it, a visitor takes a numbered ticket with big buttons, and it clears itself", async () => {
  const clerk = await day.as("intake", { viewport: { width: 1080, height: 1920 } });
  const page = clerk.page;
  await page.goto(`${day.server.base}/kiosk`);
  await Promise.all([page.waitForURL(/\/kiosk$/), page.click('form[action="/kiosk/start"] button')]);
  assert.equal(await page.locator("#kiosk-ticket").isVisible(), true, "the kiosk's start");
  // The clerk is signed out on the terminal: staff pages ask for a sign-in.
  const staff = await page.context().request.get(`${day.server.base}/workbench`, { maxRedirects: 0 });
  assert.equal(staff.status(), 303);

  const take = page.locator('#kiosk-ticket button[type="submit"]');
  assert.ok((await take.boundingBox()).height >= 56, "a big touch target");
  await page.fill("#name", "吴十");
  await page.fill("#phone", "13700001111");
  await page.evaluate(() => localStorage.setItem("fq-portal-draft", JSON.stringify({ description: "私事" })));
  await Promise.all([page.waitForURL(/\/kiosk\/ticket\/\d{3}$/), take.click()]);
  assert.match(await page.locator("#ticket-number").innerText(), /^\d{3}$/);
  assert.equal(await page.getByText("吴十").count(), 0, "nothing personal on the ticket");
  await screenshot(page, "kiosk-ticket");

  // Left alone, the kiosk forgets everything and starts again.
  await page.waitForURL(/\/kiosk$/, { timeout: 30000 });
  assert.equal(await page.evaluate(() => localStorage.getItem("fq-portal-draft")), null);
  assert.equal(await page.inputValue("#name"), "");
});

/** Signs a citizen in to the portal on `page` with the code from the outbox. */
async function portalSignIn(page, phone) {
  await page.goto(`${day.server.base}/portal`);
  await page.fill("#phone", phone);
  await Promise.all([page.waitForLoadState("load"), page.click("#portal-signin button[type=submit]")]);
  await page.fill("#code", await newestCode());
  await Promise.all([page.waitForURL(/\/portal$/), page.click("#portal-signin button[type=submit]")]);
}

test("a party's whole loop on a phone, through to the rating, each step in the staff's history", async () => {
  const { page } = await citizenPhone();
  const phone = "13812340001";
  await portalSignIn(page, phone);
  await page.goto(`${day.server.base}/portal/new`);
  await page.fill("#description", "楼下饭店油烟直排，熏到我家窗户，协商多次无果，希望调解赔偿清洗费用");
  await page.fill("#respondent", "钱十一");
  await page.fill("#respondent_phone", "13812340002");
  await page.fill("#name", "孙十二");
  await page.fill("#phone", phone);
  await page.locator("[data-preview-route]").waitFor({ timeout: 5000 });
  await Promise.all([page.waitForURL(/\/portal\/cases\/\d+/), page.click("#portal-new button[type=submit]")]);
  const caseId = Number(new URL(page.url()).pathname.split("/").pop());
  const photo = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
  await page.setInputFiles("#file", { name: "窗户油污.png", mimeType: "image/png", buffer: photo });
  await Promise.all([page.waitForURL(/#evidence$/), page.click('#evidence-upload button[type="submit"]')]);

  // The centre dispatches it to the street's mediation committee, whose mediator takes it on;
  // the party is told by SMS who handles it.
  const city = (await apiLogin(day.server, "city")).token;
  const mediator = await apiLogin(day.server, "mediator");
  const call = async (token, path, body, method = "POST") => {
    const r = await api(day.server, token, path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  let kase = (await api(day.server, city, `/api/v1/cases/${caseId}`)).body;
  kase = await call(city, `/api/v1/cases/${caseId}/actions`, { action: "dispatch", unit_id: mediator.user.unit_id, version: kase.version });
  await call(mediator.token, `/api/v1/cases/${caseId}/actions`, { action: "sign", version: kase.version });
  const admin = (await apiLogin(day.server, "admin")).token;
  const told = (await api(day.server, admin, "/api/v1/outbox")).body.filter((m) => m.recipient === "138****0001");
  assert.ok(told.some((m) => /已交由.+办理/.test(m.body)), JSON.stringify(told));

  // The phone shows the next step first: choosing the mediator (群众点单).
  await page.reload();
  assert.match(await page.locator("#next-step").innerText(), /选择调解员/);
  await page.locator("#mediator li[data-mediator] button").first().click();
  await page.waitForURL(/#mediator$/);

  // The mediator adds the other side's quote; the party answers it (质证).
  const quote = await fetch(`${day.server.base}/api/v1/cases/${caseId}/evidence?name=${encodeURIComponent("清洗报价.png")}`, {
    method: "POST",
    headers: { authorization: `Bearer ${mediator.token}`, "content-type": "image/png" },
    body: photo,
  });
  assert.equal(quote.status, 201);
  const evidenceId = (await quote.json()).id;
  await page.reload();
  await page.fill(`#comment-${evidenceId}`, "报价过高，市场价约三百元");
  await Promise.all([
    page.waitForURL(new RegExp(`#evidence-${evidenceId}$`)),
    page.locator(`#evidence-${evidenceId} button[type="submit"]`).click(),
  ]);
  assert.match(await page.locator(`#evidence-${evidenceId}`).innerText(), /报价过高/);

  // An agreement sent for signing: the party signs it on the phone.
  const drafted = await call(mediator.token, `/api/v1/cases/${caseId}/agreements`, {
    matters: "油烟污染赔偿",
    terms: [{ text: "钱十一赔偿孙十二窗户清洗费用人民币三百元" }, { text: "钱十一加装油烟净化设备" }],
  });
  const path = `/api/v1/agreements/${drafted.id}`;
  await call(mediator.token, `${path}/signing`, {});
  await page.reload();
  assert.match(await page.locator("#next-step").innerText(), /签署调解协议/);
  await screenshot(page, "portal-next-step-phone");
  await drawSignature(page);
  await Promise.all([page.waitForURL(new RegExp(`#agreement-${drafted.id}$`)), page.click('#portal-sign button[type="submit"]')]);
  assert.match(await page.locator(`#agreement-${drafted.id}`).innerText(), /您已签署/);

  // The other side signs by SMS link; the mediator signs, seals and serves the copies.
  await partiesSign(day.server, ["钱十一"]);
  await call(mediator.token, `${path}/mediator-signature`, { signature: SIGNATURE });
  await call(mediator.token, `${path}/seal`, {});
  assert.equal((await fetch(`${day.server.base}${path}/pdf`, { headers: { authorization: `Bearer ${mediator.token}` } })).status, 200);
  await call(mediator.token, `${path}/service`, {});

  // The party receives the copy (the receipt) and consents to judicial confirmation.
  await page.reload();
  assert.match(await page.locator("#next-step").innerText(), /查收调解协议书/);
  const copy = await page.context().request.get(`${day.server.base}/portal/agreements/${drafted.id}/served`);
  assert.equal(copy.status(), 200);
  assert.equal((await copy.body()).subarray(0, 4).toString(), "%PDF");
  await page.reload();
  assert.match(await page.locator(`#agreement-${drafted.id}`).innerText(), /已签收送达/);
  await Promise.all([page.waitForURL(new RegExp(`#agreement-${drafted.id}$`)), page.click('#confirmation-consent button[type="submit"]')]);
  assert.match(await page.locator(`#agreement-${drafted.id}`).innerText(), /已同意共同申请司法确认/);

  // Concluded, the party rates it from the phone.
  kase = (await api(day.server, mediator.token, `/api/v1/cases/${caseId}`)).body;
  await call(mediator.token, `/api/v1/cases/${caseId}/actions`, { action: "conclude", outcome: "resolved", summary: "双方达成协议", version: kase.version });
  await page.reload();
  assert.match(await page.locator("#next-step").innerText(), /评价办理结果/);
  await page.check('#rating input[value="satisfied"]');
  await Promise.all([page.waitForURL(/#rating$/), page.click('#rating button[type="submit"]')]);
  assert.equal(await page.locator("#rating").count(), 0, "rated once");
  assert.match(await page.locator("#timeline").innerText(), /已回访评价/);

  // Staff see each of the party's steps in the case's history, as the party's own.
  const events = (await api(day.server, mediator.token, `/api/v1/cases/${caseId}/events`)).body;
  const byParty = new Set(events.filter((e) => e.actor.startsWith("citizen:")).map((e) => e.action));
  for (const step of ["registered", "evidence_added", "evidence_commented", "agreement_signed", "service_receipt", "confirmation_consented", "follow_up"]) {
    assert.ok(byParty.has(step), `${step} by the party: ${[...byParty]}`);
  }
});
