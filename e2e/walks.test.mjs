// Every role's day (issue 13), as a new user would walk it, on a 1366×768 desktop and on a
// 390×844 phone: the pages a person of that role opens and the steps they take, each page
// checked for what a person must never meet (`checkPage`: codes and field paths, raw times,
// sideways scrolling, an overlapping header, the next action below the first screen), every
// successful form answered with a redirect, refused forms keeping what was typed, lists with
// their counts and pages. The load time of every page goes to target/page-timings/.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEVICES,
  agreementAwaitingConfirmation,
  api,
  apiLogin,
  caseDispatchedTo,
  checkPage,
  drawSignature,
  follow,
  partiesSign,
  sharedServer,
  submit,
  visit,
} from "./support.mjs";

const day = sharedServer();

/** Each device's own people, so that two walks of one day never meet the same case. */
const PEOPLE = {
  desktop: [
    { name: "韩梅", phone: "13811110001" },
    { name: "邓超", phone: "13811110002" },
  ],
  phone: [
    { name: "罗薇", phone: "13811110003" },
    { name: "蒋涛", phone: "13811110004" },
  ],
};

/** Opens a step's panel on the case page, fills it and submits it (post/redirect/get). */
async function act(page, action, fill = async () => {}) {
  const panel = page.locator(`details.action[data-action="${action}"]`);
  await panel.locator("summary").click();
  await fill(panel);
  await submit(page, `details.action[data-action="${action}"] button[type=submit]`);
  await page.waitForSelector(".flash.ok");
}

for (const [device, screen] of DEVICES) {
  const first = device === "phone" ? { next: "#actions" } : {};

  test(`intake (${device}): a queue ticket, a walk-in registered after a refused try, the receipt printed`, async () => {
    const { page } = await day.as("intake", screen);
    await checkPage(page);
    await visit(page, day.server, "/intake", device === "phone" ? { next: 'form[action="/queue/take"] button' } : {});
    await submit(page, 'form[action="/queue/take"] button');
    await submit(page, 'form[action="/queue/call"] button');
    assert.match(await page.locator("#now-serving").innerText(), /^\d{3}$/);
    const [applicant, respondent] = PEOPLE[device];
    await page.fill("#description", "楼上住户装修漏水，浸坏楼下天花板，协商赔偿未果，申请调解。");
    assert.equal(await page.locator("#description-count").innerText(), "29 / 5000", "the description's length beside it");
    await page.fill("#address", "兰州市城关区张掖路街道中山林社区 12 号楼");
    await page.fill('[name="parties[0].name"]', applicant.name);
    await page.fill('[name="parties[0].id_number"]', "62010219850715001X");
    await page.fill('[name="parties[0].phone"]', applicant.phone);
    await page.fill('[name="parties[1].name"]', respondent.name);
    await page.fill('[name="parties[1].phone"]', respondent.phone);
    await page.selectOption("#category", "neighbor");
    // Refused (a wrong check digit): the error beside its field in words, everything kept.
    await submit(page, "#register button[type=submit]", { refused: true });
    assert.match(await page.locator('p.error[data-for="parties[0].id_number"]').innerText(), /身份号码/);
    assert.equal(await page.inputValue("#description"), "楼上住户装修漏水，浸坏楼下天花板，协商赔偿未果，申请调解。");
    assert.equal(await page.inputValue('[name="parties[1].name"]'), respondent.name);
    assert.equal(await page.inputValue("#category"), "neighbor");
    await page.fill('[name="parties[0].id_number"]', "620102198507150017");
    await submit(page, "#register button[type=submit]", device === "phone" ? { next: "#receipt-link" } : {});
    assert.match(page.url(), /\/intake\/registered\/\d+$/);
    const number = (await page.locator("#registered-number").innerText()).trim();
    await page.reload();
    assert.equal((await page.locator("#registered-number").innerText()).trim(), number, "a reload registers nothing");
    await Promise.all([page.waitForURL(/\/receipt$/), page.click("#receipt-link")]);
    await checkPage(page, device === "phone" ? { next: "[data-print]" } : {});
    assert.equal(await page.locator("#receipt-number").innerText(), number);
    // The hall screen, as a phone or a small screen in the hall shows it.
    await visit(page, day.server, "/queue/screen", { next: ".big-number" });
  });

  test(`grid worker (${device}): registers a dispute found on the patrol`, async () => {
    const { page } = await day.as("grid", screen);
    await checkPage(page);
    await visit(page, day.server, "/intake");
    await page.selectOption("#channel", "grid");
    await page.fill("#description", "巡查发现小区两户因占用消防通道停放电动车发生争吵，现场劝解后仍有矛盾。");
    await page.fill("#address", "兰州市城关区张掖路街道中山林社区");
    await page.fill('[name="parties[0].name"]', device === "phone" ? "郑伟" : "郑强");
    await page.fill('[name="parties[0].phone"]', device === "phone" ? "13811110005" : "13811110006");
    await page.selectOption("#category", "neighbor");
    await submit(page, "#register button[type=submit]", device === "phone" ? { next: "#receipt-link" } : {});
    assert.match(page.url(), /\/intake\/registered\/\d+$/);
    const caseUrl = await page.locator("#registered-number").getAttribute("href");
    await visit(page, day.server, caseUrl, first);
    assert.match(await page.locator("dl.kv").innerText(), /网格/);
  });

  test(`district dispatcher (${device}): the board counted and paged, a case dispatched with a reason`, async () => {
    const { page } = await day.as("district", screen);
    await checkPage(page);
    await visit(page, day.server, "/dispatch", device === "phone" ? { next: "article.card[data-case] h2" } : {});
    const [, total, pages] = (await page.locator("#board-count").innerText()).match(/(\d+) · 1\/(\d+)/).map(Number);
    assert.equal(pages, Math.max(1, Math.ceil(total / 20)));
    assert.ok((await page.locator("article.card").count()) <= 20);
    if (pages > 1) {
      await follow(page, "nav.pager a");
      assert.match(await page.locator("#board-count").innerText(), / · 2\//);
      await page.goBack();
    }
    const card = page.locator("article.card[data-case]", { has: page.locator("form") }).first();
    const number = await card.getAttribute("data-case");
    const select = card.locator('select[name="unit_id"]');
    const suggested = await select.inputValue();
    const other = await select.locator("option").evaluateAll((os, s) => os.map((o) => o.value).find((v) => v !== s), suggested);
    await select.selectOption(other);
    await card.locator('input[name="reason"]').fill("属地先行化解，就近调处");
    await submit(page, `article.card[data-case="${number}"] button[type=submit]`);
    assert.match(await page.locator(".flash.ok").innerText(), /.+/);
    assert.equal(await page.locator(`article.card[data-case="${number}"]`).count(), 0, "dispatched, off the board");
  });

  test(`city dispatcher (${device}): a case from the list dispatched on its page`, async () => {
    const { page } = await day.as("city", screen);
    await checkPage(page);
    await visit(page, day.server, "/cases?status=accepted");
    const total = Number(await page.locator("#case-count").getAttribute("data-total"));
    assert.ok(total > 0 && (await page.locator("table.cases tbody tr").count()) <= Math.min(total, 25));
    await Promise.all([page.waitForURL(/\/cases\/\d+$/), page.locator("table.cases tbody tr a").first().click()]);
    await checkPage(page, first);
    // The place and the routing's reasons name regions, never by their 12-digit codes.
    assert.doesNotMatch(await page.locator("dl.kv").first().innerText(), /\d{12}/);
    await act(page, "dispatch", (p) => p.locator('textarea[name="reason"]').fill("由属地综治中心牵头"));
    assert.equal(await page.locator("[data-status]").first().getAttribute("data-status"), "dispatched");
  });

  test(`leader (${device}): the workbench, the overdue list page by page, notices acknowledged and answered`, async () => {
    const { page } = await day.as("leader", screen);
    await checkPage(page, device === "phone" ? { next: "#awaiting, section[data-list]" } : {});
    await Promise.all([page.waitForURL(/overdue=true/), page.locator("a.stat", { hasText: "已超期" }).click()]);
    await checkPage(page);
    const total = Number(await page.locator("#case-count").getAttribute("data-total"));
    assert.ok(total > 20, `the demo has more overdue cases than a page (${total})`);
    assert.equal(await page.locator("table.cases tbody tr").count(), 25, "a page of 25");
    await follow(page, "nav.pager a");
    assert.match(page.url(), /overdue=true/, "the next page keeps the filter");
    assert.ok((await page.locator("table.cases tbody tr.overdue").count()) > 0);
    await visit(page, day.server, "/notices?awaiting=1", device === "phone" ? { next: "article[data-notice] form" } : {});
    const notice = page.locator("article[data-notice]").first();
    const number = await notice.getAttribute("data-notice");
    if (await notice.locator('form[action$="/ack"]').count()) await submit(page, `article[data-notice="${number}"] form[action$="/ack"] button`);
    const answered = page.locator(`article[data-notice="${number}"]`);
    // Spaces pass the browser's `required`: the server refuses them, back on the notices.
    await answered.locator("textarea[name=text]").fill("   ");
    await submit(page, `article[data-notice="${number}"] form[action$="/reply"] button`);
    assert.match(await page.locator(".flash.error").innerText(), /内容为必填项/);
    await answered.locator("textarea[name=text]").fill("已督促承办单位三日内办结并书面报告。");
    await submit(page, `article[data-notice="${number}"] form[action$="/reply"] button`);
    assert.match(await page.locator(".flash.ok").innerText(), /已回复/);
    await visit(page, day.server, "/notices");
    assert.match(await page.locator(`article[data-notice="${number}"]`).innerText(), /已督促承办单位三日内办结/);
  });

  test(`street A1 handler (${device}): signs for a case from the inbox and chooses the committee's mediator`, async () => {
    const kase = await caseDispatchedTo(day.server, "street_a", "两户因共用院墙开裂责任发生纠纷，申请调解。", PEOPLE[device]);
    const { page } = await day.as("street_a", screen);
    await checkPage(page);
    await visit(page, day.server, "/inbox");
    await inboxCounts(page);
    await Promise.all([page.waitForURL(/\/cases\/\d+$/), page.locator(`tr[data-case="${kase.number}"] a`).click()]);
    await checkPage(page, first);
    await act(page, "sign");
    assert.equal(await page.locator("[data-status]").first().getAttribute("data-status"), "in_progress");
    // The parties' full data only for a reason that goes into the history: spaces are none,
    // said beside the field.
    await page.fill("#reveal-reason", "   ");
    await submit(page, 'form[action$="/reveal"] button', { refused: true });
    assert.match(await page.locator('form[data-form="reveal"] p.error[data-for="reason"]').innerText(), /必填/);
    assert.doesNotMatch(await page.locator("body").innerText(), /已查看完整信息（已记录）/, "nothing revealed");
    // Shown in this answer only, not in a page a reload or a link would bring back.
    await page.fill("#reveal-reason", "核实当事人身份，准备调解");
    await submit(page, 'form[action$="/reveal"] button', { refused: true });
    assert.match(await page.locator("body").innerText(), /已查看完整信息（已记录）/);
    await page.goto(`${day.server.base}/cases/${kase.id}`);
    await act(page, "mediator", (p) => p.locator('select[name="chosen_by"]').selectOption("centre"));
    assert.match(await page.locator("#sessions").innerText(), /调解员：\S+/);
    // The mediator finds it in the committee's inbox.
    const mediator = await day.as("mediator", screen);
    await visit(mediator.page, day.server, "/inbox");
    assert.equal(await mediator.page.locator(`tr[data-case="${kase.number}"]`).count(), 1, "in the mediator's inbox");
  });

  test(`mediator (${device}): a session, its minutes, an agreement drafted, signed and sealed`, async () => {
    const [applicant, respondent] = PEOPLE[device];
    const kase = await caseDispatchedTo(day.server, "mediator", "邻居空调外机正对卧室窗户，噪音和热风影响休息，申请调解。", [
      { ...applicant, phone: applicant.phone.replace(/^138/, "137") },
      { ...respondent, phone: respondent.phone.replace(/^138/, "137") },
    ]);
    const { page, dialogs } = await day.as("mediator", screen);
    await checkPage(page);
    await visit(page, day.server, `/cases/${kase.id}`, first);
    await act(page, "sign");
    await act(page, "session", async (p) => {
      await p.locator('input[name="scheduled_at"]').fill("2026-12-02T09:30");
      await p.locator('input[name="place"]').fill("张掖路街道人民调解室");
    });
    const session = page.locator("[data-session]").first();
    for (const index of [0, 1]) await submit(page, `[data-session] form[action$="/parties/${index}/rights"] button`);
    // Minutes before both parties consented to the mediator: refused, the case page again with
    // the minutes as typed and why above them.
    await session.locator('textarea[name="minutes"]').fill("双方陈述事实，同意移装空调外机。");
    await submit(page, "[data-session] form:has(textarea[name=minutes]) button", { refused: true });
    assert.match(await page.locator("[data-session] [data-refused]").innerText(), /.+/);
    assert.equal(await session.locator('textarea[name="minutes"]').inputValue(), "双方陈述事实，同意移装空调外机。", "the minutes kept");
    for (const index of [0, 1]) await submit(page, `[data-session] form[action$="/parties/${index}/consent"] button`);
    await session.locator('textarea[name="minutes"]').fill("双方陈述事实，同意移装空调外机。");
    await submit(page, "[data-session] form:has(textarea[name=minutes]) button");
    assert.match(await page.locator("[data-session]").first().innerText(), /双方陈述事实/);
    const draft = page.locator('details[data-action="draft"]');
    if (!(await draft.evaluate((d) => d.open))) await draft.locator("summary").click();
    await draft.locator("textarea[name=matters]").fill("空调外机噪音和热风");
    await draft.locator("textarea[name=terms]").fill(`${respondent.name}于十日内将空调外机移至北侧墙面 | 2026-12-20\n双方今后互相谅解`);
    await submit(page, 'details[data-action="draft"] button[type=submit]');
    assert.match(await page.locator(".flash.ok").innerText(), /调解协议已起草/);
    await submit(page, "button[data-action=signing]");
    await partiesSign(day.server, [applicant.name, respondent.name]);
    await page.reload();
    await drawSignature(page);
    await submit(page, 'form[action$="/mediator-signature"] button[type=submit]');
    await submit(page, 'form[action$="/seal"] button');
    assert.ok(dialogs.some((q) => /盖章/.test(q)), "sealing asks first");
    assert.equal(await page.locator("[data-agreement]").first().getAttribute("data-agreement-status"), "effective");
    // The week's sessions and the case file to print, on this screen too.
    await visit(page, day.server, "/sessions?week=2026-12-02", device === "phone" ? { next: "#week-range" } : {});
    assert.match(await page.locator(`li.session[data-case="${kase.number}"]`).innerText(), /张掖路街道人民调解室/, "the session in its week");
    await visit(page, day.server, `/cases/${kase.id}/print`, device === "phone" ? { next: "[data-print]" } : {});
    assert.doesNotMatch(await page.locator("#case-place").innerText(), /\d{6}/, "the place by name, not by code");
  });

  test(`street B1 handler (${device}): signs for a case of their own district, records the contact and concludes`, async () => {
    await handlerDay("street_b", screen, device, "两家商铺因门前摊位占道经营互相指责，申请调解。");
    // A case of another district is not theirs: a page saying so, not JSON.
    const { token } = await apiLogin(day.server, "district");
    const elsewhere = (await api(day.server, token, "/api/v1/cases?status=in_progress&limit=1")).body.items[0];
    const { page } = await day.as("street_b", screen);
    const response = await page.goto(`${day.server.base}/cases/${elsewhere.id}`);
    assert.equal(response.status(), 404);
    assert.match(response.headers()["content-type"], /text\/html/);
    await checkPage(page);
  });

  test(`labour mediation centre (${device}): signs for a wage case, records the contact and concludes`, async () => {
    await handlerDay("labor", screen, device, "装修公司拖欠三名工人两个月工资共计一万八千元，多次讨要未果。", { category: "labor" });
  });

  test(`court (${device}): an agreement awaiting confirmation found from the workbench and ruled on`, async () => {
    const [applicant, respondent] = PEOPLE[device];
    const parties = [
      { ...applicant, phone: applicant.phone.replace(/^138/, "136") },
      { ...respondent, phone: respondent.phone.replace(/^138/, "136") },
    ];
    const { kase, agreement } = await agreementAwaitingConfirmation(day.server, "借款五万元到期未还，双方就还款期限发生争议，申请调解。", parties);
    const { page } = await day.as("court", screen);
    await checkPage(page, device === "phone" ? { next: `tr[data-case="${kase.number}"] a` } : {});
    await Promise.all([page.waitForURL(/\/cases\/\d+$/), page.locator(`tr[data-case="${kase.number}"] a`).first().click()]);
    await checkPage(page);
    assert.match(await page.locator(`[data-agreement="${agreement.id}"]`).innerText(), /待法院裁定/);
    await submit(page, `form[action="/agreements/${agreement.id}/ruling"] button[type=submit]`);
    assert.match(await page.locator(`[data-agreement="${agreement.id}"]`).innerText(), /确认/);
  });

  test(`administrator (${device}): finds a user, edits them, and an unknown page answers as a page`, async () => {
    const { page } = await day.as("admin", screen);
    await checkPage(page);
    await visit(page, day.server, "/admin/users", device === "phone" ? { next: 'a[href="/admin/users/new"]' } : {});
    await page.fill("#q", "street_b");
    await follow(page, 'form[action="/admin/users"] button[type=submit]');
    await Promise.all([page.waitForURL(/\/admin\/users\/\d+$/), page.locator('tr[data-username="street_b"] a').click()]);
    await checkPage(page);
    const userPage = new URL(page.url()).pathname;
    const name = device === "phone" ? "西园街道 王主任" : "西园街道 李主任";
    await page.fill("#display_name", name);
    await submit(page, `form[action='${userPage}'] button[type=submit]`);
    assert.match(await page.locator(".flash.ok").innerText(), /已保存/);
    assert.equal(await page.inputValue("#display_name"), name);
    for (const path of ["/admin", "/admin/units", "/admin/routing", "/admin/calendar", "/admin/policies", "/admin/rules", "/admin/import", "/admin/systems", "/admin/webhooks"]) await visit(page, day.server, path);
    // Regions and grids: the lists, then one of each.
    await visit(page, day.server, "/admin/regions", device === "phone" ? { next: "#region-count" } : {});
    await follow(page, "table tbody tr[data-code] a");
    await visit(page, day.server, "/admin/grids");
    await follow(page, 'table tbody a[href^="/admin/grids/"]');
    const missing = await page.goto(`${day.server.base}/cases/99999999`);
    assert.equal(missing.status(), 404);
    assert.match(missing.headers()["content-type"], /text\/html/);
    await checkPage(page);
  });
}

for (const [device, screen] of DEVICES) {
  test(`every role's header fits in every language (${device})`, async () => {
    for (const username of ["admin", "leader", "street_a", "mediator"]) {
      const { page, context } = await day.as(username, screen);
      for (const lang of ["en", "zh-TW", "zh-CN"]) {
        await follow(page, `.langs a[href^="/lang/${lang}"]`);
        for (const path of ["/workbench", "/cases", "/notices"]) await visit(page, day.server, path);
      }
      await context.close();
    }
  });
}

/** The inbox's three lists each say how many they hold, and link to all of them when they show fewer. */
async function inboxCounts(page) {
  for (const section of await page.locator("section.card").all()) {
    const total = Number(await section.locator("h2 .meta").innerText());
    const rows = await section.locator("tbody tr").count();
    assert.ok(rows <= total, `${rows} rows of ${total}`);
    if (rows < total) assert.equal(await section.locator("a.more").count(), 1, "a link to the whole list");
  }
}

/** A handling unit's day: the inbox, a case signed for, the contact recorded, the case concluded. */
async function handlerDay(username, screen, device, description, extra = {}) {
  const kase = await caseDispatchedTo(day.server, username, description, PEOPLE[device], extra);
  const { page } = await day.as(username, screen);
  await checkPage(page);
  await visit(page, day.server, "/inbox");
  await inboxCounts(page);
  await Promise.all([page.waitForURL(/\/cases\/\d+$/), page.locator(`tr[data-case="${kase.number}"] a`).click()]);
  await checkPage(page, device === "phone" ? { next: "#actions" } : {});
  await act(page, "sign");
  await act(page, "contact", (p) => p.locator('textarea[name="note"]').fill("已电话联系双方，约定周三到场调解。"));
  // A refused step (a summary over its 5 000 characters) keeps what was typed, the error beside
  // its field, the form open and focused.
  const conclude = page.locator('details.action[data-action="conclude"]');
  await conclude.locator("summary").click();
  const long = "双方当场达成一致。".repeat(600);
  await conclude.locator('textarea[name="summary"]').fill(long);
  await submit(page, 'details.action[data-action="conclude"] button[type=submit]', { refused: true });
  assert.ok(await conclude.evaluate((d) => d.open), "the refused form is open");
  assert.equal(await page.evaluate(() => document.activeElement?.name), "summary", "focused, so scrolled into view");
  assert.equal(await conclude.locator('textarea[name="summary"]').inputValue(), long, "what was typed is kept");
  assert.match(await conclude.locator('p.error[data-for="summary"]').innerText(), /办理情况|5000/);
  await conclude.locator('textarea[name="summary"]').fill("双方当场达成一致，已履行完毕。");
  await conclude.locator('select[name="outcome"]').selectOption("resolved");
  await submit(page, 'details.action[data-action="conclude"] button[type=submit]');
  await page.waitForSelector(".flash.ok");
  assert.equal(await page.locator("[data-status]").first().getAttribute("data-status"), "concluded");
  assert.match(await page.locator("ol.timeline").innerText(), /已电话联系双方/);
}
