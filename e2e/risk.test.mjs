// 三色三单 in the browser (issue 16): the district centre issues the risk list of its territory,
// the unit handling a red case acknowledges its item and reports the measures taken, the centre
// sends the report back with its reason (a blank one refused beside its field), the unit finds it
// on its workbench and reports again, and the centre closes it; each step shows in the item's
// record.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, apiLogin, screenshot, sharedServer } from "./support.mjs";

const day = sharedServer();

/** Clicks `button` and waits for the next page. */
async function submit(page, button) {
  await Promise.all([page.waitForLoadState("load"), page.locator(button).click()]);
}

test("a unit acknowledges an item of the risk list, reports, is sent back, reports again, and the centre closes it", async () => {
  const server = day.server;
  const intake = (await apiLogin(server, "intake")).token;
  const district = (await apiLogin(server, "district")).token;
  const body = {
    channel: "window",
    description: "讨薪无门，工人说再不给钱就从工地楼顶跳下去。",
    title: "工地欠薪",
    location: { region_code: "620102002001" },
    parties: [{ role: "applicant", kind: "person", name: "赵强", phone: "13922224444" }],
  };
  const registered = await api(server, intake, "/api/v1/cases", { method: "POST", body: JSON.stringify(body) });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  assert.equal(registered.body.risk, "red");
  const units = (await api(server, district, "/api/v1/units")).body;
  const committee = units.find((u) => u.name === "张掖路街道人民调解委员会");
  const step = { action: "dispatch", version: registered.body.version, unit_id: committee.id };
  const dispatched = await api(server, district, `/api/v1/cases/${registered.body.id}/actions`, {
    method: "POST",
    body: JSON.stringify(step),
  });
  assert.equal(dispatched.status, 200, JSON.stringify(dispatched.body));

  // The centre issues the list from the navigation.
  const centre = await day.as("district");
  await centre.page.goto(`${server.base}/workbench`);
  await submit(centre.page, 'nav.main a[href="/risk-lists"]');
  // The territory is picked by name, its own region chosen; none chosen is refused beside it.
  assert.equal(await centre.page.inputValue("#region"), "620102000000");
  assert.match(await centre.page.locator("#region option:checked").innerText(), /城关区/);
  await centre.page.selectOption("#region", "");
  await submit(centre.page, "#issue-list button", { refused: true });
  assert.match(await centre.page.locator('#issue-list [data-for="region"]').innerText(), /行政区划/);
  await centre.page.selectOption("#region", "620102000000");
  await submit(centre.page, "#issue-list button");
  assert.match(await centre.page.locator(".flash.ok").innerText(), /已签发/);
  const listUrl = centre.page.url();
  assert.match(listUrl, /\/risk-lists\/\d+$/);
  // The case's own item (the community and the street it lies in are items of their own, 风险地点).
  const item = (page) =>
    page
      .locator("article[data-item]", { has: page.locator(`a[href="/cases/${registered.body.id}"]`) })
      .filter({ hasNotText: "风险地点" });
  assert.equal(await item(centre.page).getAttribute("data-status"), "issued");
  assert.equal(await item(centre.page).locator("form").count(), 0, "the centre neither acknowledges nor closes before a report");
  await screenshot(centre.page, "risk-list");

  // The committee's mediator acknowledges and reports.
  const unit = await day.as("mediator");
  await unit.page.goto(listUrl);
  await submit(unit.page, `#${await item(unit.page).getAttribute("id")} form[action$="/acknowledge"] button`);
  assert.match(await unit.page.locator(".flash.ok").innerText(), /已签收/);
  assert.equal(await item(unit.page).getAttribute("data-status"), "acknowledged");
  const id = await item(unit.page).getAttribute("id");
  await unit.page.fill(`#${id} form[action$="/report"] textarea`, "已上门走访，落实稳控措施，组织双方调解。");
  await submit(unit.page, `#${id} form[action$="/report"] button`);
  assert.equal(await item(unit.page).getAttribute("data-status"), "reported");
  assert.match(await item(unit.page).innerText(), /落实稳控措施/);
  assert.equal(await unit.page.locator(`#${id} form[action$="/close"]`).count(), 0, "a unit does not close");
  assert.equal(await unit.page.locator(`#${id} form[action$="/send-back"]`).count(), 0, "nor sends back");

  // The centre sends it back: a blank reason is refused beside its field, then a reason.
  await centre.page.goto(listUrl);
  const sendBack = `#${id} form[action$="/send-back"]`;
  await centre.page.fill(`${sendBack} textarea`, "   ");
  await submit(centre.page, `${sendBack} button`);
  assert.match(await centre.page.locator(`${sendBack} [data-for="reason"]`).innerText(), /理由/);
  assert.equal(await item(centre.page).getAttribute("data-status"), "reported", "nothing changed");
  const reason = "反馈未说明工资支付时间和稳控责任人，请补充落实。";
  await centre.page.fill(`${sendBack} textarea`, reason);
  await submit(centre.page, `${sendBack} button`);
  assert.match(await centre.page.locator(".flash.ok").innerText(), /退回重办/);
  assert.equal(await item(centre.page).getAttribute("data-status"), "sent_back");
  assert.match(await item(centre.page).locator('[data-role="status"]').innerText(), /退回重办/);

  // The unit finds it on its workbench with the reason, opens it and reports again.
  await unit.page.goto(`${server.base}/workbench`);
  const line = unit.page.locator(`#risk-items li[data-risk-item="${id.replace("item-", "")}"]`);
  assert.equal(await line.getAttribute("data-status"), "sent_back");
  assert.match(await line.innerText(), /补充落实/);
  await Promise.all([unit.page.waitForLoadState("load"), line.locator("a").click()]);
  assert.match(await item(unit.page).locator('[data-role="sent-back"]').innerText(), /补充落实/);
  await unit.page.fill(`#${id} form[action$="/report"] textarea`, "工资已于本周五前付清，由社区专人稳控。");
  await submit(unit.page, `#${id} form[action$="/report"] button`);
  assert.equal(await item(unit.page).getAttribute("data-status"), "reported");
  await unit.page.goto(`${server.base}/workbench`);
  assert.equal(await line.count(), 0, "no longer waiting on the unit");

  // The centre closes it.
  await centre.page.goto(listUrl);
  await centre.page.fill(`#${id} form[action$="/close"] textarea`, "经核实已化解，予以销号。");
  await submit(centre.page, `#${id} form[action$="/close"] button`);
  assert.match(await centre.page.locator(".flash.ok").innerText(), /已销号/);
  assert.equal(await item(centre.page).getAttribute("data-status"), "closed");
  assert.match(await item(centre.page).innerText(), /经核实已化解/);
  assert.match(await item(centre.page).innerText(), /补充落实/, "the send back stays in the record");

  // The list of lists counts it.
  await centre.page.goto(`${server.base}/risk-lists`);
  assert.match(await centre.page.locator("#list-count").innerText(), /共 \d+/);
  assert.ok((await centre.page.locator("tr[data-list]").count()) >= 1);
});
