// 警调对接 and 12345 工单 in Excel (issue 18): a police station's system hands over a 110 dispute,
// which the centre's intake finds on /police-incidents with its labels and counts; then intake
// uploads a workbook of work orders for the hotline's account on /work-orders — an unreadable
// file is refused in place, the template itself previews with its row, and once confirmed the
// order is received (post/redirect/get).
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, PHONE, api, apiLogin, checkPage, follow, screenshot, sharedServer, submit, visit } from "./support.mjs";

const day = sharedServer(async (shared) => {
  const server = shared.server;
  const admin = (await apiLogin(server, "admin")).token;
  const units = (await api(server, admin, "/api/v1/units")).body;
  const station = units.find((u) => u.name === "兰州市公安局城关分局张掖路派出所");
  const street = units.find((u) => u.name === "张掖路街道综治中心");
  const account = async (name, unit, permissions) => {
    const body = { name, unit_id: unit.id, permissions };
    const made = await api(server, admin, "/api/v1/system-accounts", { method: "POST", body: JSON.stringify(body) });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return made.body.api_key;
  };
  const police = await account("张掖路派出所警务平台", station, ["case_register", "police_incidents"]);
  await account("12345 热线平台", street, ["case_register"]);
  const incident = {
    incident_number: "JQ20261129-0042",
    officer: "王警官",
    description: "110 接警：两户因楼道堆物发生口角，无人受伤，双方同意调解。",
    occurred_at: new Date(Date.now() - 3600_000).toISOString(),
    location: { address: "兰州市城关区张掖路街道中山林社区5号", region_code: "620102002001" },
    parties: [
      { role: "applicant", kind: "person", name: "韩梅", phone: "13811119101" },
      { role: "respondent", kind: "person", name: "邓超", phone: "13811119102" },
    ],
  };
  const response = await fetch(`${server.base}/api/v1/police-incidents`, {
    method: "POST",
    headers: { "x-api-key": police, "content-type": "application/json" },
    body: JSON.stringify(incident),
  });
  assert.equal(response.status, 201, await response.text());
});

test("the centre follows the police's hand-overs and uploads 12345 work orders from Excel", async () => {
  const { page } = await day.as("intake");
  await visit(page, day.server, "/police-incidents");
  const card = page.locator('[data-incident="JQ20261129-0042"]');
  assert.match(await card.innerText(), /王警官/);
  assert.equal(await card.locator("[data-incident-state]").innerText(), "办理中");
  assert.match(await page.locator('[data-state="in_progress"]').innerText(), /1/);
  await screenshot(page, "police-incidents");

  await visit(page, day.server, "/work-orders");
  await page.locator("#upload summary").click();
  await page.setInputFiles("#file", { name: "orders.xlsx", mimeType: "application/octet-stream", buffer: Buffer.from("not a workbook") });
  await submit(page, "#upload button[type=submit]", { refused: true });
  assert.match(await page.locator("#upload .flash.error").innerText(), /Excel/);

  const template = await page.request.get(`${day.server.base}/work-orders/template.xlsx`);
  assert.equal(template.status(), 200);
  await page.setInputFiles("#file", { name: "orders.xlsx", mimeType: "application/octet-stream", buffer: await template.body() });
  // The preview answers in place (nothing is received yet).
  await submit(page, "#upload button[type=submit]", { refused: true });
  assert.equal(await page.locator("#preview tr[data-line]").count(), 1);
  await screenshot(page, "work-orders-upload");
  await submit(page, "#confirm-import");
  assert.match(await page.locator(".flash.ok").innerText(), /1/);
  assert.equal(await page.locator('[data-work-order="12345-2026-000001"]').count(), 1);
});

test("a police desk types a hand-over: one refusal names every fault and keeps it, the case follows, a repeat number lands on it", async () => {
  const admin = await day.as("admin");
  await admin.page.goto(`${day.server.base}/admin/users/new`);
  await admin.page.fill("#username", "PD110");
  await admin.page.fill("#display_name", "张掖路派出所警调窗口");
  await admin.page.selectOption("#role", { label: "窗口受理员" });
  await admin.page.selectOption("#unit_id", { label: "兰州市公安局城关分局张掖路派出所" });
  await admin.page.fill("#password", PASSWORD);
  await submit(admin.page, "form[action='/admin/users'] button[type=submit]");

  const { page } = await day.as("PD110");
  await visit(page, day.server, "/police-incidents");
  await follow(page, "#new-incident");
  await page.fill("#incident_number", "JQ20261129-0107");
  await page.fill("#officer", "李警官 012345");
  await page.fill("#occurred_at", "2026-11-28T21:40");
  await page.fill("#description", "110 接警：邻里因噪音发生争执，无人受伤，双方同意由中心调解。");
  await page.fill("#address", "兰州市城关区张掖路街道中山林社区7号");
  await page.fill("[name='parties[0].name']", "周红");
  await page.fill("[name='parties[0].id_number']", "6201021985");
  await page.fill("[name='parties[0].phone']", "13811119201");
  await page.fill("[name='parties[1].name']", "吴刚");
  await page.fill("[name='parties[1].phone']", "13811119202");
  await page.fill("#officer", "");
  // One refusal names every fault beside its field: the hand-over's and the dispute's alike.
  await submit(page, "#hand-over button[type=submit]", { refused: true });
  assert.notEqual(await page.locator('p.error[data-for="officer"]').innerText(), "");
  assert.notEqual(await page.locator('p.error[data-for="parties[0].id_number"]').innerText(), "", "the ID check");
  assert.equal(await page.locator('p.error[data-for="incident_number"]').innerText(), "", "the number is right");
  assert.equal(await page.inputValue("#incident_number"), "JQ20261129-0107", "what was typed stays");
  assert.equal(await page.inputValue("[name='parties[0].id_number']"), "6201021985");
  assert.equal(await page.inputValue("[name='parties[1].name']"), "吴刚");
  assert.match(await page.inputValue("#description"), /噪音/);
  await screenshot(page, "police-incident-refused");

  await page.fill("#officer", "李警官 012345");
  await page.fill("[name='parties[0].id_number']", "");
  await submit(page, "#hand-over button[type=submit]");
  const caseUrl = new URL(page.url()).pathname;
  assert.match(caseUrl, /^\/cases\/\d+$/);
  assert.match(await page.locator(".flash.ok").innerText(), /JQ20261129-0107/);

  // The same number again lands on the same case, never a second.
  await visit(page, day.server, "/police-incidents/new");
  await page.fill("#incident_number", "JQ20261129-0107");
  await page.fill("#officer", "李警官 012345");
  await page.fill("#description", "110 接警：邻里因噪音发生争执（重复移交）。");
  await page.fill("[name='parties[0].name']", "周红");
  await page.fill("[name='parties[0].phone']", "13811119201");
  await submit(page, "#hand-over button[type=submit]");
  assert.equal(new URL(page.url()).pathname, caseUrl);
  assert.match(await page.locator(".flash.ok").innerText(), /此前已移交/);

  // On a phone the form fits the screen.
  const phone = await day.as("PD110", PHONE);
  await visit(phone.page, day.server, "/police-incidents/new");
  await checkPage(phone.page);
  await screenshot(phone.page, "police-incident-new-phone");
});
