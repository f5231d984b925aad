// 信访转办 (issue 18): the district centre's intake enters a petition the petition office
// transferred — a missing reference is refused beside its field with the rest kept — then
// accepts it on its page, extends it once with the reason the petitioner is told (a second
// extension form is gone), and issues the 信访处理意见书; the clocks show their due dates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { screenshot, sharedServer, submit, visit } from "./support.mjs";

const day = sharedServer();

test("a centre enters, accepts, extends once and answers a transferred petition", async () => {
  const server = day.server;
  const intake = await day.as("intake");
  const page = intake.page;
  await visit(page, server, "/petitions");
  await page.fill("#sender", "城关区信访局");
  await page.fill("#office_received_on", new Date().toISOString().slice(0, 10));
  await page.fill("#petitioner", "周敏");
  await page.fill("#phone", "13922227777");
  await page.fill("#address", "兰州市城关区张掖路街道中山林社区8号");
  await page.fill("#region_code", "620102002001");
  await page.fill("#request", "楼上住户装修导致我家天花板渗水，多次协商未果，请求责令修复并赔偿。");
  await submit(page, "#enter button[type=submit]", { refused: true });
  assert.match(await page.locator('#enter [data-for="reference"]').innerText(), /信访件编号/);
  assert.equal(await page.inputValue("#petitioner"), "周敏");
  await page.fill("#reference", "城信转〔2026〕301号");
  await submit(page, "#enter button[type=submit]");
  assert.match(await page.locator(".flash.ok").innerText(), /城信转〔2026〕301号/);
  assert.match(await page.locator('tr[data-clock="accept"]').innerText(), /受理或转送/);

  await submit(page, 'button[data-action="accept"]');
  assert.equal(await page.locator("h1 [data-stage]").getAttribute("data-stage"), "accepted");
  assert.ok(await page.locator('tr[data-clock="handle"]').count());

  await page.fill("#days", "45");
  await page.fill("#extend-reason", "需会同住建部门现场核查");
  await submit(page, 'button[data-action="extend"]', { refused: true });
  assert.match(await page.locator('#extend [data-for="days"]').innerText(), /30/);
  assert.equal(await page.inputValue("#extend-reason"), "需会同住建部门现场核查");
  await page.fill("#days", "30");
  await submit(page, 'button[data-action="extend"]');
  assert.match(await page.locator("[data-extension]").innerText(), /30/);
  assert.equal(await page.locator("#extend").count(), 0, "extended once: no second extension");
  await screenshot(page, "petition");

  await page.fill("#text", "经核查，责令楼上住户十日内修复防水层并赔偿损失。");
  await submit(page, 'button[data-action="reply"]');
  assert.equal(await page.locator("h1 [data-stage]").getAttribute("data-stage"), "replied");
  assert.ok(await page.locator('button[data-action="review-request"]').count());
});
