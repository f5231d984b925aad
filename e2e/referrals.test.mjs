// 诉调对接 (issue 18): the court desk refers a batch by its interface and follows it on its
// page; the centre's intake finds the referrals awaiting it, declines one without a reason (refused
// beside the field, nothing lost), then with one, and confirms the other; the court desk sees
// both in their states and one referral's clocks on its page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, apiLogin, follow, screenshot, sharedServer, submit, visit } from "./support.mjs";

const day = sharedServer();

function referral(number, seq) {
  return {
    court_case_number: number,
    channel: "court",
    description: "申请人称被申请人拖欠装修款两万元，经法院释明同意先行调解。",
    location: { address: "兰州市城关区张掖路街道中山林社区9号", region_code: "620102002001" },
    parties: [
      { role: "applicant", kind: "person", name: "马丽", phone: `1391111${String(seq).padStart(4, "0")}` },
      { role: "respondent", kind: "person", name: "张强", phone: `1382222${String(seq).padStart(4, "0")}` },
    ],
  };
}

test("the court desk refers and follows; the centre confirms one and declines one", async () => {
  const server = day.server;
  const { token } = await apiLogin(server, "court");
  const sent = await api(server, token, "/api/v1/referrals", {
    method: "POST",
    body: JSON.stringify([referral("(2026)甘0102民诉前调901号", 1), referral("(2026)甘0102民诉前调902号", 2)]),
  });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.deepEqual(sent.body.map((r) => r.result), ["created", "created"], JSON.stringify(sent.body));

  const court = await day.as("court");
  await visit(court.page, server, "/referrals?state=received");
  assert.ok(await court.page.locator('[data-referral="(2026)甘0102民诉前调901号"]').count());
  assert.equal(await court.page.locator('button[data-action="accept"]').count(), 0, "the court does not decide");
  await screenshot(court.page, "referrals-court");

  const intake = await day.as("intake");
  const page = intake.page;
  await visit(page, server, "/referrals?state=received");
  const declined = page.locator('[data-referral="(2026)甘0102民诉前调902号"]');
  await submit(page, '[data-referral="(2026)甘0102民诉前调902号"] button[data-action="decline"]', { refused: true });
  assert.match(await declined.locator("p.error").innerText(), /理由/);
  await declined.locator("textarea").fill("不属于本中心特邀调解范围");
  await submit(page, '[data-referral="(2026)甘0102民诉前调902号"] button[data-action="decline"]');
  assert.match(await page.locator(".flash.ok").innerText(), /902/);
  await submit(page, '[data-referral="(2026)甘0102民诉前调901号"] button[data-action="accept"]');
  assert.match(await page.locator(".flash.ok").innerText(), /901/);

  await visit(court.page, server, "/referrals?state=declined");
  assert.match(await court.page.locator('[data-referral="(2026)甘0102民诉前调902号"]').innerText(), /不属于本中心特邀调解范围/);
  await visit(court.page, server, "/referrals?state=accepted");
  await follow(court.page, 'a:text("(2026)甘0102民诉前调901号")');
  assert.equal(await court.page.locator("h1 [data-state]").getAttribute("data-state"), "accepted");
  assert.match(await court.page.locator("#clocks").innerText(), /调解期限/);
  await screenshot(court.page, "referral");
});
