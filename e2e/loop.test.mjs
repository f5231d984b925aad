// The whole closed loop in the UI, with the demo users: register at the window, dispatch,
// return, re-dispatch, sign, conclude, follow up, archive — plus a validation error beside its
// field, a POST without the CSRF token refused, and a user who may not act seeing no button.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, api, apiLogin, screenshot, sharedServer } from "./support.mjs";

const day = sharedServer();

/** Opens the action's panel on the case page, fills it and submits. */
async function act(page, action, fill = async () => {}) {
  const panel = page.locator(`details.action[data-action="${action}"]`);
  await panel.locator("summary").click();
  await fill(panel);
  await Promise.all([page.waitForLoadState("load"), panel.locator("button[type=submit]").click()]);
  await page.waitForSelector(".flash.ok");
}

async function status(page) {
  return page.locator("[data-status]").first().getAttribute("data-status");
}

test("a dispute goes round the whole loop in the UI", async () => {
  const streetA = (await apiLogin(day.server, "street_a")).user.unit_id;
  const streetB = (await apiLogin(day.server, "street_b")).user.unit_id;

  // Register at the window: an error appears beside its field as it is typed, and the
  // The server refuses a bad phone number beside the field too.
  const intake = await day.as("intake");
  let page = intake.page;
  await screenshot(page, "workbench-intake");
  await page.goto(`${day.server.base}/intake`);
  await page.fill("#description", "邻居装修噪音扰民，多次协商未果，双方发生口角，申请调解。");
  await page.fill('[name="parties[0].name"]', "王建国");
  await page.fill('[name="parties[0].id_number"]', "620102198507150018");
  await page.fill('[name="parties[0].phone"]', "13912345678");
  await page.click("#title");
  const idError = page.locator('p.error[data-for="parties[0].id_number"]');
  await assert.doesNotReject(idError.filter({ hasText: /校验|身份证/ }).waitFor({ timeout: 10000 }));
  await page.fill('[name="parties[0].id_number"]', "620102198507150017");
  await page.fill('[name="parties[1].name"]', "李明");
  await page.fill('[name="parties[1].phone"]', "139123");
  await Promise.all([page.waitForLoadState("load"), page.click('#register button[type=submit]')]);
  const phoneError = page.locator('p.error[data-for="parties[1].phone"]');
  assert.match(await phoneError.innerText(), /电话|手机|号码/);
  assert.ok(await page.locator('.field.invalid [name="parties[1].phone"]').count(), "the field is marked invalid");
  assert.equal(await page.inputValue("#description"), "邻居装修噪音扰民，多次协商未果，双方发生口角，申请调解。", "the draft is kept");
  await page.fill('[name="parties[1].phone"]', "13987654321");
  await page.locator("#triage .suggest").waitFor({ timeout: 10000 });
  await screenshot(page, "intake");
  await Promise.all([page.waitForURL(/\/intake\/registered\/\d+$/), page.click('#register button[type=submit]')]);
  const number = (await page.locator("#registered-number").innerText()).trim();
  const caseUrl = await page.locator("#registered-number").getAttribute("href");
  assert.match(number, /^\d{4}-/);
  await screenshot(page, "registered");
  // Post/redirect/get: reloading the result shows the same case; nothing is registered again.
  await page.reload();
  assert.equal((await page.locator("#registered-number").innerText()).trim(), number);

  // Dispatch from the board to street A1, overriding the suggestion with a reason.
  const district = await day.as("district");
  page = district.page;
  await page.goto(`${day.server.base}/dispatch`);
  const card = page.locator(`article[data-case="${number}"]`);
  await card.waitFor();
  await screenshot(page, "dispatch");
  // The board says how many wait, pages them, and offers only units within the district.
  assert.match(await page.locator("#board-count").innerText(), /\d+ · 1\/\d+/);
  assert.ok((await page.locator("article.card").count()) <= 20);
  const offered = await card.locator('select[name="unit_id"] option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(offered.includes(String(streetA)) && !offered.includes(String(streetB)), offered.join(","));
  await card.locator('select[name="unit_id"]').selectOption(String(streetA));
  await card.locator('input[name="reason"]').fill("属地街道先行化解");
  await Promise.all([page.waitForLoadState("load"), card.locator("button[type=submit]").click()]);
  await page.waitForSelector(".flash.ok");

  // The intake clerk may not sign: no button for it.
  await intake.page.goto(`${day.server.base}${caseUrl}`);
  assert.equal(await status(intake.page), "dispatched");
  assert.equal(await intake.page.locator('details.action[data-action="sign"]').count(), 0);
  assert.equal(await intake.page.locator('details.action[data-action="dispatch"]').count(), 0);

  // Street A1 returns it with a reason.
  const street = await day.as("street_a");
  page = street.page;
  await page.goto(`${day.server.base}/inbox`);
  await page.locator(`tr[data-case="${number}"] a`).click();
  await screenshot(page, "case-dispatched");
  await act(page, "return", (p) => p.locator('textarea[name="reason"]').fill("涉及物业管理，请改派"));
  assert.match(page.url(), /\/workbench$/, "a returned case leaves the unit's scope");
  const { token } = await apiLogin(day.server, "district");
  const returned = await api(day.server, token, `/api/v1/cases${caseUrl.slice("/cases".length)}`);
  assert.equal(returned.body.status, "accepted");

  // Re-dispatched from the case page.
  page = district.page;
  await page.goto(`${day.server.base}${caseUrl}`);
  await act(page, "dispatch", async (p) => {
    await p.locator('select[name="unit_id"]').selectOption(String(streetA));
    await p.locator('textarea[name="reason"]').fill("经核实仍由街道牵头");
  });
  assert.equal(await status(page), "dispatched");

  // Signed and concluded by street A1.
  page = street.page;
  await page.goto(`${day.server.base}${caseUrl}`);
  await act(page, "sign");
  assert.equal(await status(page), "in_progress");
  await act(page, "conclude", async (p) => {
    await p.locator('select[name="outcome"]').selectOption("resolved");
    await p.locator('textarea[name="summary"]').fill("双方达成口头协议，装修限定时段施工。");
  });
  assert.equal(await status(page), "concluded");

  // Followed up and archived by the district centre.
  page = district.page;
  await page.goto(`${day.server.base}${caseUrl}`);
  await act(page, "follow_up", (p) => p.locator('select[name="satisfaction"]').selectOption("satisfied"));
  assert.equal(await status(page), "followed_up");
  await act(page, "archive");
  assert.equal(await status(page), "archived");
  assert.equal(await page.locator("details.action").count(), 0, "an archived case offers no step");
  const timeline = await page.locator("ol.timeline").innerText();
  for (const step of ["登记", "分流", "退回", "签收", "办结", "回访", "归档"]) assert.ok(timeline.includes(step), step);
  await screenshot(page, "case");
});

test("a POST without the form's CSRF token is refused and changes nothing", async () => {
  const { token } = await apiLogin(day.server, "district");
  const list = await api(day.server, token, "/api/v1/cases?status=accepted&limit=1");
  const target = list.body.items[0];
  const { context } = await day.as("district");
  const forged = await context.request.post(`${day.server.base}/cases/${target.id}/act`, {
    form: { action: "note", version: String(target.version), text: "伪造的请求" },
    maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);
  const wrong = await context.request.post(`${day.server.base}/cases/${target.id}/act`, {
    form: { _csrf: "0".repeat(64), action: "note", version: String(target.version), text: "伪造的请求" },
    maxRedirects: 0,
  });
  assert.equal(wrong.status(), 403);
  const after = await api(day.server, token, `/api/v1/cases/${target.id}`);
  assert.equal(after.body.version, target.version);
  const events = await api(day.server, token, `/api/v1/cases/${target.id}/events`);
  assert.ok(!JSON.stringify(events.body).includes("伪造的请求"));
});

test("the main pages render, switch language, and fit a phone", async () => {
  const admin = await day.as("admin");
  for (const [path, name] of [["/admin", "admin"], ["/cases?status=in_progress", "cases"], ["/notices", "notices"]]) {
    const response = await admin.page.goto(`${day.server.base}${path}`);
    assert.equal(response.status(), 200, path);
    await screenshot(admin.page, name);
  }
  // Notices are counted and paged, 50 a page.
  await admin.page.goto(`${day.server.base}/notices`);
  const [, total, pages] = (await admin.page.locator("#notice-count").innerText()).match(/(\d+) · 1\/(\d+)/);
  assert.equal(Number(pages), Math.max(1, Math.ceil(Number(total) / 50)));
  assert.ok((await admin.page.locator("article[data-notice]").count()) === Math.min(50, Number(total)));
  await admin.page.goto(`${day.server.base}/cases?q=${encodeURIComponent("外卖")}`);
  assert.ok((await admin.page.locator("table.cases tbody tr").count()) > 0, "search finds demo cases");
  // Words and a filter together: the filter holds.
  await admin.page.goto(`${day.server.base}/cases?q=${encodeURIComponent("外卖")}&status=archived`);
  const statuses = await admin.page.locator("table.cases tbody tr .badge.status").evaluateAll((b) => b.map((e) => e.className));
  assert.ok(statuses.every((c) => c.includes("status-archived")), statuses.join(","));

  await admin.page.goto(`${day.server.base}/workbench`);
  await admin.page.click('.langs a[href^="/lang/en"]');
  assert.match(await admin.page.locator("nav.main").innerText(), /Workbench/);
  await admin.page.click('.langs a[href^="/lang/zh-TW"]');
  assert.match(await admin.page.locator("nav.main").innerText(), /工作臺|工作台/);
  await admin.page.click('.langs a[href^="/lang/zh-CN"]');

  const grid = await day.as("grid", PHONE);
  const width = await grid.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the workbench fits a phone (scroll width ${width})`);
  await screenshot(grid.page, "workbench-phone");
  // On a phone, a case page shows what can be done before the case's long history; a UI path
  // that names nothing is a page, not JSON.
  const phone = await day.as("admin", PHONE);
  await phone.page.goto(`${day.server.base}/cases?status=in_progress`);
  await Promise.all([phone.page.waitForLoadState("load"), phone.page.locator("table.cases tbody tr a").first().click()]);
  const top = async (selector) => (await phone.page.locator(selector).first().boundingBox()).y;
  assert.ok((await top("#actions")) < (await top("ol.timeline")), "actions above the timeline on a phone");
  await screenshot(phone.page, "case-phone");
  const missing = await phone.page.goto(`${day.server.base}/no-such-page`);
  assert.equal(missing.status(), 404);
  assert.match(missing.headers()["content-type"], /text\/html/);

  const handler = await day.as("street_a");
  await handler.page.goto(`${day.server.base}/inbox`);
  await screenshot(handler.page, "inbox");

  const clerk = await day.as("intake");
  await clerk.page.goto(`${day.server.base}/intake`);
  for (let i = 0; i < 3; i++) {
    await Promise.all([clerk.page.waitForLoadState("load"), clerk.page.click('form[action="/queue/take"] button')]);
  }
  await Promise.all([clerk.page.waitForLoadState("load"), clerk.page.click('form[action="/queue/call"] button')]);
  assert.equal((await clerk.page.locator("#now-serving").innerText()).trim(), "001");
  await clerk.page.goto(`${day.server.base}/queue/screen`);
  assert.equal((await clerk.page.locator(".big-number").innerText()).trim(), "001");
  assert.equal(await clerk.page.locator("ol.waiting li").count(), 2);
  await screenshot(clerk.page, "queue-screen");
});

test("the window asks for the type when triage cannot tell it", async () => {
  const { page } = await day.as("intake");
  await page.goto(`${day.server.base}/intake`);
  // A quarrel the classifier reads as marriage and family at 12 %, on a road named after a city.
  await page.fill("#description", "王建国与李明因停车位问题多次争吵，李明扬言要报复。");
  await page.fill("#address", "兰州市城关区庆阳路25号");
  await page.fill('[name="parties[0].name"]', "王建国");
  await page.fill('[name="parties[0].phone"]', "13912340001");
  const question = page.locator("#triage [data-category-question]");
  await question.waitFor({ timeout: 10000 });
  assert.match(await question.innerText(), /请选择类型/);
  assert.doesNotMatch(await page.locator("#triage").innerText(), /婚姻家庭|妇女联合会|庆阳市/);
  await screenshot(page, "intake-type-question");
  // Registering without a type brings the question beside the field; choosing one registers.
  await Promise.all([page.waitForLoadState("load"), page.click("#register button[type=submit]")]);
  assert.match(await page.locator('p.error[data-for="category"]').innerText(), /请选择类型/);
  await page.selectOption("#category", "neighbor");
  await Promise.all([page.waitForURL(/\/intake\/registered\/\d+$/), page.click("#register button[type=submit]")]);
});

test("signing in refuses a wrong password and an unknown session goes to the login page", async () => {
  const context = await day.browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  const requests = [];
  context.on("request", (r) => requests.push(r.url()));
  day.watch({ context, requests });
  await page.goto(`${day.server.base}/cases`);
  assert.match(page.url(), /\/login\?next=%2Fcases/);
  await screenshot(page, "login");
  await page.fill("#username", "intake");
  await page.fill("#password", "wrong-password");
  await page.click("button[type=submit]");
  assert.match(await page.locator(".flash.error").innerText(), /用户名或密码不正确/);
});
