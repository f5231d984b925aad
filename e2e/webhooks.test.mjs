// The centre's administrator looks after the systems' webhooks (issue 18): a court's receiver is
// down, so the delivery of its case shows as failing on /admin/webhooks with the error; the
// administrator narrows the list, opens the subscription, replays the delivery (after a
// question) and disables and enables the subscription — labels and local times, never codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, apiLogin, checkPage, follow, screenshot, sharedServer, submit, visit } from "./support.mjs";

const day = sharedServer(async (shared) => {
  const server = shared.server;
  const admin = (await apiLogin(server, "admin")).token;
  const street = (await api(server, admin, "/api/v1/units")).body.find((u) => u.name === "张掖路街道综治中心");
  const body = { name: "区法院调解平台", unit_id: street.id, permissions: ["case_register"] };
  const account = await api(server, admin, "/api/v1/system-accounts", { method: "POST", body: JSON.stringify(body) });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const keyed = async (path, json) => {
    const response = await fetch(`${server.base}${path}`, {
      method: "POST",
      headers: { "x-api-key": account.body.api_key, "content-type": "application/json" },
      body: JSON.stringify(json),
    });
    return { status: response.status, body: await response.json() };
  };
  // The court's receiver is down: nothing listens on the discard port.
  const hook = await keyed("/api/v1/webhooks", { url: "http://127.0.0.1:9/hooks", events: ["case.registered"] });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  shared.hook = hook.body.id;
  const parties = [
    { role: "applicant", kind: "person", name: "韩梅", phone: "13811119001" },
    { role: "respondent", kind: "person", name: "邓超", phone: "13811119002" },
  ];
  const description = "两户因共用院墙开裂责任发生纠纷，法院委派调解。";
  const kase = await keyed("/api/v1/cases", { channel: "window", description, location: { region_code: street.region_code }, parties });
  assert.equal(kase.status, 201, JSON.stringify(kase.body));
});

test("an administrator sees a receiver's failing delivery, replays it, disables and enables the subscription", async () => {
  const { page, dialogs } = await day.as("admin");
  await visit(page, day.server, "/admin");
  await follow(page, 'nav.admin-tabs a[href="/admin/webhooks"]');

  // The scheduler's pass (every minute) queues the case's delivery and tries it.
  const row = page.locator(`tr[data-webhook="${day.hook}"]`);
  for (let i = 0; i < 90 && (await row.getAttribute("data-state")) !== "failing"; i++) {
    await page.waitForTimeout(1000);
    await page.reload();
  }
  assert.equal(await row.getAttribute("data-state"), "failing");
  assert.match(await row.innerText(), /区法院调解平台\s+张掖路街道综治中心/);
  assert.match(await row.innerText(), /案件登记/);
  assert.equal(await row.locator('td[data-count="failing"]').innerText(), "1");
  assert.match(await row.locator("td").last().innerText(), /127\.0\.0\.1:9/, "the last error");
  await checkPage(page);
  await screenshot(page, "admin-webhooks");

  // The filters combine: the account and a state.
  await page.selectOption("#account", { label: "区法院调解平台" });
  await page.selectOption("#state", { label: "已停用" });
  await follow(page, "form[role=search] button[type=submit]");
  assert.match(await page.locator("#webhook-count").innerText(), /共 0 · 1\/1/);
  await page.selectOption("#state", { label: "有推送失败" });
  await follow(page, "form[role=search] button[type=submit]");
  assert.match(await page.locator("#webhook-count").innerText(), /共 1 · 1\/1/);

  // The subscription's log: the failing delivery, replayed after a question, waits again.
  await follow(page, `tr[data-webhook="${day.hook}"] a`);
  assert.match(await page.locator("#delivery-count").innerText(), /共 1 · 1\/1/);
  const delivery = page.locator("tr[data-delivery]").first();
  assert.equal(await delivery.getAttribute("data-state"), "failing");
  assert.match(await delivery.innerText(), /案件登记/);
  const key = await delivery.getAttribute("data-delivery");
  await submit(page, 'tr[data-delivery] button[data-action="replay"]');
  assert.equal(dialogs.length, 1, "a replay asks first");
  assert.match(await page.locator(".flash.ok").innerText(), /已重新排队/);
  assert.equal(await page.locator("tr[data-delivery]").first().getAttribute("data-delivery"), key, "the same key");
  assert.match(await page.locator("#admin-actions").innerText(), /系统管理员\s+重新发送/);
  await screenshot(page, "admin-webhook");

  // Disabled after a question, then enabled again.
  await submit(page, `form[action='/admin/webhooks/${day.hook}/active'] button`);
  assert.equal(dialogs.length, 2, "disabling asks first");
  assert.match(await page.locator(".flash.ok").innerText(), /订阅已停用/);
  assert.equal(await page.locator("#webhook").getAttribute("data-state"), "disabled");
  await submit(page, `form[action='/admin/webhooks/${day.hook}/active'] button`);
  assert.match(await page.locator(".flash.ok").innerText(), /订阅已启用/);
  assert.notEqual(await page.locator("#webhook").getAttribute("data-state"), "disabled");

  // From the system account's page.
  await visit(page, day.server, "/admin/systems");
  await follow(page, 'a[href^="/admin/webhooks?account="]');
  assert.match(await page.locator("#webhook-count").innerText(), /共 1/);
});
