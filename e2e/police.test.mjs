// 警调对接 and 12345 工单 in Excel (issue 18): a police station's system hands over a 110 dispute,
// which the centre's intake finds on /police-incidents with its labels and counts; then intake
// uploads a workbook of work orders for the hotline's account on /work-orders — an unreadable
// file is refused in place, the template itself previews with its row, and once confirmed the
// order is received (post/redirect/get).
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, apiLogin, screenshot, sharedServer, submit, visit } from "./support.mjs";

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
