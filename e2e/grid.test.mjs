// Grid work on a phone: the grid worker starts today's patrol from the workbench, reports a
// hazard (a refused form keeps what was typed, the error beside the field), escalates it and
// finishes the patrol; the street's handler finds it among what the grids escalated and
// registers it as a case, which names the hazard in its history.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, checkPage, screenshot, sharedServer, submit, visit } from "./support.mjs";

const day = sharedServer();

test("a grid worker logs a patrol with a hazard and escalates it; the street registers it as a case", async () => {
  const grid = await day.as("grid", PHONE);
  const page = grid.page;

  // The workbench puts today's patrol first.
  await visit(page, day.server, "/workbench", { next: "#grid-next-patrol" });
  await Promise.all([page.waitForNavigation(), page.locator("#grid-next-patrol").click()]);
  await checkPage(page, { next: "#start-patrol button" });
  await page.fill("#route", "中山林路 1—8 号楼");
  await submit(page, "#start-patrol button", { next: "#finish-patrol button" });
  assert.match(await page.locator(".flash.ok").innerText(), /巡查已开始/);

  // A hazard without its kind is refused; what was typed stays.
  const description = "物业拖欠保安工资三个月，十余人在物业办公室聚集";
  await page.fill("#description", description);
  await page.fill("#location", "中山林小区物业办公室");
  await submit(page, "#report-hazard button[type=submit]", { refused: true });
  assert.match(await page.locator('p.error[data-for="kind"]').innerText(), /类型/);
  assert.equal(await page.inputValue("#description"), description);
  await page.selectOption("#kind", { label: "矛盾纠纷线索" });
  await submit(page, "#report-hazard button[type=submit]");
  assert.match(await page.locator(".flash.ok").innerText(), /隐患已上报/);
  assert.equal(await page.locator("#hazard-status").innerText(), "待处置");
  await screenshot(page, "hazard-phone");

  // Escalated to the centre above, with a note.
  await submit(page, '#act-escalate button[type=submit]', { refused: true });
  assert.ok((await page.locator('#act-escalate p.error[data-for="note"]').innerText()).length > 0);
  await page.fill("#note-escalate", "人数多，涉及欠薪，请街道协调");
  await submit(page, "#act-escalate button[type=submit]");
  assert.equal(await page.locator("#hazard-status").innerText(), "已上报");
  const hazardPath = new URL(page.url()).pathname;

  // The patrol ends with what was found.
  await visit(page, day.server, "/patrol", { next: "#finish-patrol button" });
  await page.fill("#findings", "物业欠薪聚集，已上报街道");
  await page.fill("#visited", "24");
  await submit(page, "#finish-patrol button");
  assert.match(await page.locator(".flash.ok").innerText(), /巡查已结束/);
  assert.match(await page.locator("#done-patrols").innerText(), /走访 24 · 隐患 1/);

  // The street's handler sees it among what the grids escalated and registers it as a case.
  const street = await day.as("street_a", PHONE);
  const handler = street.page;
  await visit(handler, day.server, "/workbench", { next: "#grid-next-escalated" });
  await Promise.all([handler.waitForNavigation(), handler.locator("#grid-next-escalated").click()]);
  await checkPage(handler);
  assert.match(await handler.locator("#hazard-count").innerText(), /共 \d+/);
  assert.equal(await handler.locator("#status option:checked").innerText(), "已上报");
  await Promise.all([handler.waitForNavigation(), handler.locator(`a[href="${hazardPath}"]`).click()]);
  await checkPage(handler, { next: "#act-resolve button" });
  await handler.fill("#title", "物业拖欠保安工资");
  await handler.selectOption("#category", { label: "劳动争议" });
  await submit(handler, "#act-register button[type=submit]");
  assert.equal(await handler.locator("#hazard-status").innerText(), "已转案件");
  await Promise.all([handler.waitForNavigation(), handler.locator("#hazard-case a").click()]);
  await checkPage(handler);
  assert.match(await handler.locator("body").innerText(), /隐患转为案件/);
});
