// A leader's day with a task force (一案一专班 / 领导包案, issue 16): the leader forms the task
// force of a red case from its page — plan, member units, milestones — finds it on 我包的案,
// and sees the milestone the committee marks done.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, apiLogin, screenshot, sharedServer } from "./support.mjs";

const day = sharedServer();

/** Clicks `button` and waits for the next page. */
async function submit(page, button) {
  await Promise.all([page.waitForLoadState("load"), page.locator(button).click()]);
}

test("a leader forms a red case's task force, follows it on 我包的案, and sees a milestone done", async () => {
  const server = day.server;
  const intake = (await apiLogin(server, "intake")).token;
  const district = (await apiLogin(server, "district")).token;
  const body = {
    channel: "window",
    description: "讨薪无门，工人说再不给钱就从工地楼顶跳下去，十余名工友聚集。",
    title: "工地欠薪",
    location: { region_code: "620102002001" },
    parties: [{ role: "applicant", kind: "person", name: "钱勇", phone: "13922225555" }],
  };
  const registered = await api(server, intake, "/api/v1/cases", { method: "POST", body: JSON.stringify(body) });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  assert.equal(registered.body.risk, "red");
  const units = (await api(server, district, "/api/v1/units")).body;
  const committee = units.find((u) => u.name === "张掖路街道人民调解委员会");
  const station = units.find((u) => u.name === "兰州市公安局城关分局张掖路派出所");
  const step = { action: "dispatch", version: registered.body.version, unit_id: committee.id };
  const path = `/api/v1/cases/${registered.body.id}/actions`;
  const dispatched = await api(server, district, path, { method: "POST", body: JSON.stringify(step) });
  assert.equal(dispatched.status, 200, JSON.stringify(dispatched.body));
  const due = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().slice(0, 10);

  // The leader forms the task force on the case page.
  const leader = await day.as("leader");
  await leader.page.goto(`${server.base}/cases/${registered.body.id}`);
  await leader.page.locator('[data-action="task-force"] summary').click();
  await leader.page.fill("#tf-plan", "先稳控情绪，再督促公司分期支付工资");
  await leader.page.selectOption('select[name="member_unit_0"]', String(committee.id));
  await leader.page.fill('input[name="member_duty_0"]', "主持调解");
  await leader.page.selectOption('select[name="member_unit_1"]', String(station.id));
  await leader.page.fill('input[name="member_duty_1"]', "现场稳控");
  await leader.page.fill('input[name="milestone_title_0"]', "组织双方调解");
  await leader.page.selectOption('select[name="milestone_unit_0"]', String(committee.id));
  await leader.page.fill('input[name="milestone_due_0"]', due);
  await submit(leader.page, '[data-action="task-force"] button[type="submit"]');
  assert.match(await leader.page.locator(".flash.ok").innerText(), /工作专班已组建/);
  assert.equal(await leader.page.locator("#task-force [data-leader]").innerText(), "城关区中心主任");

  // 我包的案 lists it with its open milestone.
  await submit(leader.page, 'nav.main a[href="/task-forces"]');
  const card = leader.page.locator(`[data-task-force="${registered.body.number}"]`);
  assert.equal(await card.count(), 1);
  assert.match(await card.locator('[data-milestone="组织双方调解"]').innerText(), /进行中/);
  await screenshot(leader.page, "task-forces");

  // The committee's mediator marks the milestone done on the case page.
  const unit = await day.as("mediator");
  await unit.page.goto(`${server.base}/cases/${registered.body.id}#task-force`);
  const milestone = unit.page.locator('#task-force [data-milestone="组织双方调解"]');
  await milestone.locator('input[name="note"]').fill("双方已达成分期支付意向");
  await submit(unit.page, '#task-force [data-milestone="组织双方调解"] button');
  assert.match(await unit.page.locator(".flash.ok").innerText(), /已保存/);

  await leader.page.reload();
  assert.match(await card.locator('[data-milestone="组织双方调解"]').innerText(), /已完成/);
});
