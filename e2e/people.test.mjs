// 重点人员 (issue 16): the district centre puts a person on the register from /people-risk (a
// wrong ID number refused beside its field, everything else kept); the grid worker finds the
// visit due on the workbench, and the notice on the demo's overdue visit as a line on the person, opens the person on a phone with the visit form first, is refused
// a visit without a note, then records it; the centre sees the visit in the history and
// releases the person.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, apiLogin, follow, screenshot, sharedServer, submit, visit } from "./support.mjs";

const day = sharedServer();
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

test("a centre lists a person, the grid worker visits, the centre releases", async () => {
  const server = day.server;
  const centre = await day.as("district");
  await visit(centre.page, server, "/people-risk");
  await centre.page.fill("#name", "马建国");
  await centre.page.fill("#id_number", "620102197003150011");
  await centre.page.fill("#phone", "13912345678");
  await centre.page.fill("#address", "中山林 3 号楼 2 单元 501");
  const grid = await centre.page.locator("#grid_id option", { hasText: "中山林社区第1网格" }).first().getAttribute("value");
  await centre.page.selectOption("#grid_id", grid);
  await centre.page.selectOption("#reason", "threats");
  await centre.page.fill("#detail", "因拆迁补偿多次扬言报复");
  await centre.page.selectOption("#colour-new", "orange");
  await submit(centre.page, "#watch-enter", { refused: true });
  assert.match(await centre.page.locator('#watch-add [data-for="id_number"]').innerText(), /身份号码/);
  assert.equal(await centre.page.inputValue("#name"), "马建国");
  assert.equal(await centre.page.inputValue("#detail"), "因拆迁补偿多次扬言报复");
  assert.equal(await centre.page.inputValue("#grid_id"), grid);
  await centre.page.fill("#id_number", "11010519491231002X");
  await submit(centre.page, "#watch-enter");
  assert.match(await centre.page.locator(".flash.ok").innerText(), /已列入重点人员名册/);
  assert.equal(await centre.page.locator("#watch-colour").getAttribute("data-colour"), "orange");
  const personPath = new URL(centre.page.url()).pathname;

  // The grid worker, on a phone: the visit on the workbench, the visit form first on the page.
  const worker = await day.as("grid", PHONE);
  const swept = await api(server, (await apiLogin(server, "leader")).token, "/api/v1/supervision/sweep", {
    method: "POST",
    body: "{}",
  });
  assert.equal(swept.status, 200, JSON.stringify(swept.body));
  await visit(worker.page, server, "/workbench");
  assert.match(await worker.page.locator("#watch-next").innerText(), /在册 4/, "the demo's three and the new one");
  // The demo's overdue visit brought a notice: a line on the person, 重点人员 for a case number.
  const awaiting = worker.page.locator("#awaiting li[data-awaiting-person] a").first();
  assert.equal(await awaiting.innerText(), "重点人员");
  assert.match(await awaiting.getAttribute("href"), /^\/people-risk\/\d+$/);
  await follow(worker.page, "#watch-next-due");
  assert.equal(await worker.page.locator("#watch-list tr[data-due=overdue]").count(), 1, "the demo's overdue visit");
  await visit(worker.page, server, "/people-risk");
  assert.equal(await worker.page.locator("#watch-list tr[data-person]").count(), 4);
  await follow(worker.page, "#watch-list a:text('马建国')", { next: "#watch-visit" });
  assert.match(await worker.page.locator("#watch-details").innerText(), /13912345678/);
  await worker.page.selectOption("#situation", "changed");
  await submit(worker.page, "#watch-visit-submit", { refused: true, next: "#watch-visit" });
  assert.match(await worker.page.locator('#watch-visit [data-for="note"]').innerText(), /备注/);
  assert.equal(await worker.page.inputValue("#situation"), "changed");
  await worker.page.fill("#note", "本人情绪激动，称下周要去区政府上访");
  await submit(worker.page, "#watch-visit-submit");
  assert.match(await worker.page.locator(".flash.ok").innerText(), /走访已记录/);
  assert.match(await worker.page.locator("#watch-history").innerText(), /有新情况 本人情绪激动/);
  assert.equal(await worker.page.locator("#watch-release").count(), 0, "a grid worker does not release");
  await screenshot(worker.page, "people-visit-phone");

  // The centre sees the visit and releases the person.
  await visit(centre.page, server, personPath);
  assert.match(await centre.page.locator("#watch-history").innerText(), /走访：有新情况/);
  await submit(centre.page, "#watch-release button", { refused: true });
  await centre.page.fill("#reason", "诉求已解决，情绪稳定");
  await submit(centre.page, "#watch-release button");
  assert.match(await centre.page.locator(".flash.ok").innerText(), /已解除列管/);
  assert.match(await centre.page.locator("#watch-status").innerText(), /已解除/);
  await visit(centre.page, server, "/people-risk?status=released");
  assert.match(await centre.page.locator("#watch-count").innerText(), /共 1/);
});
