// What people expected and could not find (issue 13), in the browser: a leader issuing a
// supervision order by hand from the case page, which the unit then answers; the week of
// mediation sessions on a desktop and as a day list on a 390 px phone; and the whole case
// file laid out for print.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, api, caseWithTheMediator, screenshot, sharedServer } from "./support.mjs";

const shared = sharedServer();

/** Today in China time, YYYY-MM-DD. */
function chinaToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/** A case of the mediator with a session today at 15:00 China time. */
async function caseWithASessionToday(description, names) {
  const { kase, mediator } = await caseWithTheMediator(shared.server, description, names);
  const scheduled = await api(shared.server, mediator.token, `/api/v1/cases/${kase.id}/sessions`, {
    method: "POST",
    body: JSON.stringify({ mode: "in_person", scheduled_at: `${chinaToday()}T15:00:00+08:00`, place: "张掖路街道调解室" }),
  });
  assert.equal(scheduled.status, 201, JSON.stringify(scheduled.body));
  return kase;
}

test("a leader issues a supervision order by hand, and the unit replies to it", async () => {
  const { kase } = await caseWithTheMediator(shared.server, "小区物业长期不处理电梯故障，业主多次投诉未果。", [
    { name: "冯雪", phone: "13966667777" },
    { name: "陈刚", phone: "13988889999" },
  ]);
  const { page } = await shared.as("leader");
  await page.goto(`${shared.server.base}/cases/${kase.id}`);
  await page.click('details[data-action="order"] > summary');
  // A reply period the form does not allow comes back from the server, beside its field, as typed.
  await page.fill("#order-text", "群众反映强烈，请于两个工作日内书面回复办理情况。");
  await page.locator("#order-days").evaluate((input) => input.removeAttribute("max"));
  await page.fill("#order-days", "99");
  await Promise.all([page.waitForLoadState("load"), page.click('details[data-action="order"] button[type=submit]')]);
  assert.match(await page.locator('details[data-action="order"] p.error[data-for="working_days"]').innerText(), /1 到 30/);
  assert.equal(await page.inputValue("#order-text"), "群众反映强烈，请于两个工作日内书面回复办理情况。");
  await page.fill("#order-days", "2");
  await Promise.all([page.waitForURL(/#notices$/), page.click('details[data-action="order"] button[type=submit]')]);
  assert.match(await page.locator(".flash").first().innerText(), /督办令〔\d{4}〕\d+号/);
  const notice = page.locator("#notices li[data-notice]").first();
  assert.match(await notice.innerText(), /人工督办[\s\S]*回复期限/);

  // The committee (the unit handling the case) finds it among its notices and replies.
  const mediator = await shared.as("mediator");
  await mediator.page.goto(`${shared.server.base}/notices?awaiting=1`);
  const card = mediator.page.locator("article[data-notice]").filter({ hasText: "群众反映强烈" });
  assert.match(await card.innerText(), /人工督办/);
  await card.locator('textarea[name="text"]').fill("已约谈物业公司，电梯本周内修复。");
  await Promise.all([mediator.page.waitForLoadState("load"), card.locator("button.primary").click()]);
  await mediator.page.goto(`${shared.server.base}/cases/${kase.id}`);
  assert.match(await mediator.page.locator("#notices").innerText(), /已约谈物业公司/);
  await screenshot(mediator.page, "order-by-hand");
});

test("the week of sessions: the mediator's own, this week and the next, and a day list on a phone", async () => {
  const kase = await caseWithASessionToday("邻居在楼道堆放杂物引发争吵，申请调解。", [
    { name: "韩梅", phone: "13912121212" },
    { name: "朱涛", phone: "13934343434" },
  ]);
  const { page } = await shared.as("mediator");
  await Promise.all([page.waitForURL(/\/sessions/), page.click('nav.main a[href="/sessions"]')]);
  const today = page.locator(`section.day[data-date="${chinaToday()}"]`);
  assert.match(await today.getAttribute("class"), /today/);
  const entry = today.locator(`li.session[data-case="${kase.number}"]`);
  assert.match(await entry.innerText(), /15:00[\s\S]*张掖路街道调解室/);
  assert.equal(await page.locator("section.day").count(), 7, "Monday to Sunday");
  await Promise.all([page.waitForURL(/week=/), page.click("#week-next")]);
  assert.equal(await page.locator(`li.session[data-case="${kase.number}"]`).count(), 0, "not next week");
  await Promise.all([page.waitForURL(/week=/), page.click("#week-today")]);
  await Promise.all([page.waitForURL(new RegExp(`/cases/${kase.id}`)), entry.locator("a").click()]);
  assert.match(await page.locator("#sessions").innerText(), /张掖路街道调解室/);

  // A centre on a phone: the days one under the other, the filters there, the entry linked.
  const phone = await shared.as("district", PHONE);
  await phone.page.goto(`${shared.server.base}/sessions`);
  const days = await phone.page
    .locator("section.day")
    .evaluateAll((sections) => sections.map((s) => ({ today: s.classList.contains("today"), ...s.getBoundingClientRect().toJSON() })));
  assert.ok(days.every((d) => d.left === days[0].left && d.width > 300), "a list of days");
  const top = Math.min(...days.map((d) => d.top));
  assert.equal(days.find((d) => d.today).top, top, "today first: the sessions to go to now");
  const rest = days.filter((d) => !d.today);
  assert.ok(rest.every((d, i) => i === 0 || d.top > rest[i - 1].top), "then the week in order, one under the other");
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling: ${width}`);
  assert.equal(await phone.page.locator("#filter-unit").count(), 1);
  assert.equal(await phone.page.locator(`li.session[data-case="${kase.number}"] a`).count(), 1);
  await screenshot(phone.page, "sessions-phone");
});

test("the case file is one document to print, opened from the case page", async () => {
  const kase = await caseWithASessionToday("装修噪音和漏水纠纷，双方协商不成。", [
    { name: "杨光", phone: "13956565656" },
    { name: "许静", phone: "13978787878" },
  ]);
  const { page } = await shared.as("mediator");
  await page.goto(`${shared.server.base}/cases/${kase.id}`);
  await Promise.all([page.waitForURL(/\/print$/), page.click("#casefile-link")]);
  const file = await page.locator("#casefile").innerText();
  for (const part of [kase.number, "杨光", "分流与流转", "办理时间线", "张掖路街道调解室", "证据材料", "函单令"]) {
    assert.ok(file.includes(part), `the file holds ${part}`);
  }
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.topbar").isVisible(), false, "no navigation on paper");
  assert.equal(await page.locator("[data-print]").isVisible(), false, "no buttons on paper");
  const breaks = await page.locator(".casefile-part.break-before").evaluateAll((parts) => parts.map((p) => getComputedStyle(p).breakBefore));
  assert.ok(breaks.length >= 2 && breaks.every((b) => b === "page"), `page breaks: ${breaks}`);
  await screenshot(page, "casefile-print");
});
