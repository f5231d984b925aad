// The hall screen says each call aloud (issue 13): with the browser's speechSynthesis — stubbed
// here to record what it is asked to say —, once per call, highlighted, and again when the
// window repeats the call. And the administrator's bulk import: a file with a fault named by
// its line, corrected, previewed, imported; each new user's initial password shown once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { screenshot, sharedServer } from "./support.mjs";

const day = sharedServer();

/** Clicks `button` and waits for the next page. */
async function submit(page, button) {
  await Promise.all([page.waitForLoadState("load"), page.locator(button).click()]);
}

test("a call is said once on the hall screen, highlighted, and again when the window repeats it", async () => {
  const hall = await day.as("intake");
  await hall.context.addInitScript(() => {
    window.spoken = [];
    Object.defineProperty(window, "speechSynthesis", { value: { speak: (utterance) => window.spoken.push(utterance.text) } });
  });
  const clerk = await day.as("intake");
  const said = () => hall.page.evaluate(() => window.spoken.filter((text) => text !== ""));

  await hall.page.goto(`${day.server.base}/queue/screen`);
  await hall.page.click("[data-enable-voice]");
  assert.ok(await hall.page.locator("[data-enable-voice]").isHidden(), "sound is on, the button gone");
  await clerk.page.goto(`${day.server.base}/intake`);
  await submit(clerk.page, 'form[action="/queue/take"] button');
  await clerk.page.fill('form[action="/queue/call"] input[name="counter"]', "3");
  await submit(clerk.page, 'form[action="/queue/call"] button');

  await hall.page.waitForFunction(() => window.spoken.some((text) => text !== ""));
  assert.deepEqual(await said(), ["请 001 号到 3 号窗口"]);
  assert.equal((await hall.page.locator(".big-number").innerText()).trim(), "001");
  assert.ok(await hall.page.locator(".now-calling.calling").isVisible(), "the call is highlighted");
  await screenshot(hall.page, "queue-screen-calling");

  // Polls go on (a new ticket shows among those waiting) without saying the call again.
  await submit(clerk.page, 'form[action="/queue/take"] button');
  await hall.page.waitForFunction(() => document.querySelectorAll("ol.waiting li").length === 1);
  assert.equal((await said()).length, 1, "said once");

  // Repeated from the window: said again.
  await submit(clerk.page, 'form[action="/queue/recall"] button');
  assert.match(await clerk.page.locator(".flash.ok").innerText(), /已重复叫号 001/);
  await hall.page.waitForFunction(() => window.spoken.filter((text) => text !== "").length === 2);
  assert.deepEqual(await said(), ["请 001 号到 3 号窗口", "请 001 号到 3 号窗口"]);

  // The choice is remembered on this screen: after a reload the button stays away.
  await hall.page.reload();
  assert.ok(await hall.page.locator("[data-enable-voice]").isHidden());
});

test("an administrator imports units and then users from CSV files, a fault named by its line", async () => {
  const admin = await day.as("admin");
  const page = admin.page;
  await page.goto(`${day.server.base}/admin/import`);
  const header = "单位代码,名称,类型,行政区划代码,上级单位代码,受理类型,联系电话\n";
  const file = (text) => ({ name: "import.csv", mimeType: "text/csv", buffer: Buffer.from(text) });

  await page.selectOption("#kind", "units");
  await page.setInputFiles("#file", file(`${header}QA-01,秦安路社区调委会,人民调解委员会,620102003001,,邻里,\nQA-01,秦安路社区综治中心,综治中心,620102003001,,,\n`));
  await submit(page, "form[action='/admin/import'] button[type=submit]");
  assert.match(await page.locator('tr[data-line="3"]').innerText(), /第 3 行的单位代码重复：与第 2 行相同/);
  assert.equal(await page.locator("#confirm-import").count(), 0, "nothing to confirm while a line is wrong");

  await page.setInputFiles("#file", file(`${header}QA-01,秦安路社区调委会,人民调解委员会,620102003001,,邻里,\nQA-02,秦安路社区综治中心,综治中心,620102003001,,,\n`));
  await submit(page, "form[action='/admin/import'] button[type=submit]");
  assert.match(await page.locator("#preview-count").innerText(), /共 2 行/);
  await screenshot(page, "admin-import-preview");
  await submit(page, "#confirm-import");
  assert.match(await page.locator(".flash.ok").innerText(), /已导入单位： 2/);

  await page.goto(`${day.server.base}/admin/import`);
  await page.selectOption("#kind", "users");
  await page.setInputFiles("#file", file("用户名,姓名,角色,单位代码\nqa_zhou,周敏,调解员,QA-01\n"));
  await submit(page, "form[action='/admin/import'] button[type=submit]");
  await submit(page, "#confirm-import");
  const password = (await page.locator('tr[data-username="qa_zhou"] [data-password]').innerText()).trim();
  assert.equal(password.length, 12);
  assert.match(await page.locator("#created .flash.warn").innerText(), /只显示这一次/);

  // The regions: a list with its count, a region renamed by its page.
  await page.goto(`${day.server.base}/admin/regions?level=community`);
  assert.match(await page.locator("#region-count").innerText(), /共 \d+ · 1\/1/);
  await submit(page, 'tr[data-code="620102003001"] a');
  await page.fill("#name", "秦安路新社区");
  await submit(page, "form[action='/admin/regions/620102003001'] button[type=submit]");
  assert.match(await page.locator(".flash.ok").innerText(), /区划已保存/);
  assert.match(await page.locator("h1").innerText(), /秦安路新社区/);
});
