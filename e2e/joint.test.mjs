// The weekly joint assessment meeting (联席研判, issue 16): the district centre convenes it from
// /joint-meetings, finds a new red case on the generated agenda, writes the minutes and assigns
// a task to the mediation committee; the committee finds the task on its workbench, acknowledges
// it and reports it done; the centre sees it done and fixes the minutes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, apiLogin, follow, screenshot, sharedServer, submit, visit } from "./support.mjs";

const day = sharedServer();

test("a centre convenes a joint meeting, assigns a task, and the unit reports it done", async () => {
  const server = day.server;
  const intake = (await apiLogin(server, "intake")).token;
  const body = {
    channel: "window",
    description: "讨薪无门，工人说再不给钱就从工地楼顶跳下去，十余名工友聚集。",
    title: "工地欠薪",
    location: { region_code: "620102002001" },
    parties: [{ role: "applicant", kind: "person", name: "钱勇", phone: "13922226666" }],
  };
  const registered = await api(server, intake, "/api/v1/cases", { method: "POST", body: JSON.stringify(body) });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  assert.equal(registered.body.risk, "red");
  const units = (await api(server, intake, "/api/v1/units")).body;
  const committee = units.find((u) => u.name === "张掖路街道人民调解委员会");
  const due = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().slice(0, 10);

  // The centre convenes the meeting: a blank region is refused beside its field, kept otherwise.
  const centre = await day.as("district");
  await visit(centre.page, server, "/joint-meetings");
  await centre.page.selectOption("#region", "");
  await centre.page.selectOption("#participant_unit_ids", [String(committee.id)]);
  await submit(centre.page, "#convene button[type=submit]", { refused: true });
  assert.match(await centre.page.locator('#convene [data-for="region"]').innerText(), /行政区划/);
  assert.deepEqual(await centre.page.locator("#participant_unit_ids").evaluate((s) => [...s.selectedOptions].map((o) => o.value)), [String(committee.id)]);
  await centre.page.selectOption("#region", "620102000000");
  await submit(centre.page, "#convene button[type=submit]");
  assert.match(await centre.page.locator(".flash.ok").innerText(), /已生成议程/);
  assert.equal(await centre.page.locator("#meeting-status").getAttribute("data-status"), "draft");

  // The new red case is on the agenda; the meeting decides who does what by when.
  const item = centre.page.locator("article[data-item]", { has: centre.page.locator(`a[href="/cases/${registered.body.id}"]`) }).first();
  const itemId = await item.getAttribute("data-item");
  await item.locator(`textarea[form="minutes-form"]`).fill("先行稳控，组织调解，督促分期支付。");
  await item.locator("details.decide summary").click();
  await item.locator('select[name="unit_id"]').selectOption(String(committee.id));
  await item.locator('input[name="task"]').fill("上门走访当事人，落实稳控并组织调解");
  await item.locator('input[name="due_at"]').fill(due);
  await submit(centre.page, `#decide-${itemId} button[type=submit]`);
  assert.match(await centre.page.locator(".flash.ok").innerText(), /已交办/);
  const decision = centre.page.locator(`#item-${itemId} tr[data-decision]`);
  assert.equal(await decision.getAttribute("data-status"), "assigned");
  await centre.page.fill("#meeting_minutes", "公安、信访、司法所、调委会参加，逐项研判本周风险。");
  await submit(centre.page, "#minutes-form button:not([name])");
  assert.match(await centre.page.locator(".flash.ok").innerText(), /纪要已保存/);
  await screenshot(centre.page, "joint-meeting");

  // The committee finds its task on the workbench, acknowledges it and reports it done.
  const unit = await day.as("mediator");
  await visit(unit.page, server, "/workbench");
  await follow(unit.page, "#joint-decisions a");
  const row = unit.page.locator(`#item-${itemId} tr[data-decision]`);
  await submit(unit.page, `#item-${itemId} tr[data-decision] form[action$="/acknowledge"] button`);
  assert.equal(await row.getAttribute("data-status"), "acknowledged");
  await submit(unit.page, `#item-${itemId} tr[data-decision] form[action$="/report"] button`, { refused: true });
  await row.locator('textarea[name="text"]').fill("已上门走访，双方同意分两期支付工资。");
  await submit(unit.page, `#item-${itemId} tr[data-decision] form[action$="/report"] button`);
  assert.match(await unit.page.locator(".flash.ok").innerText(), /已办结反馈/);

  // The centre sees it done, and fixes the minutes.
  await centre.page.reload();
  assert.equal(await decision.getAttribute("data-status"), "done");
  assert.match(await decision.innerText(), /双方同意分两期支付工资/);
  await submit(centre.page, '#minutes-form button[name="hold"]');
  assert.equal(await centre.page.locator("#meeting-status").getAttribute("data-status"), "held");
  assert.match(await centre.page.locator("#minutes-text").innerText(), /逐项研判本周风险/);
});
