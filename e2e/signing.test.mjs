// A party signs a mediation agreement in the browser through the one-time link from the SMS
// outbox (no account, the code as second factor); the mediator then signs and seals in the
// case page, and the agreement takes effect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PHONE, SIGNATURE, agreementSentForSigning, caseWithTheMediator, drawSignature, foreignRequests, screenshot, signIn, signingLinks, sharedServer } from "./support.mjs";

const shared = sharedServer();

/** A case with the street A1 mediator, an agreement drafted and sent for signing, and the
 * links of the SMS outbox. */
async function agreementSentToTwo() {
  const sent = await agreementSentForSigning(
    shared.server,
    "相邻两户因共用楼道堆放杂物发生争执，申请调解。",
    [
      { name: "赵敏", phone: "13911112222" },
      { name: "钱峰", phone: "13933334444" },
    ],
    {
      matters: "共用楼道堆放杂物",
      terms: [{ text: "钱峰于三日内清理楼道内个人物品", due: "2026-12-31" }, { text: "双方今后共同保持楼道畅通" }],
    },
  );
  return { ...sent, links: await signingLinks(shared.server) };
}

test("a party signs through the one-time link, the mediator signs and seals in the UI", async () => {
  const { kase, agreement, links } = await agreementSentToTwo();
  const zhao = links.find((l) => l.body.includes("赵敏"));
  const qian = links.find((l) => l.body.includes("钱峰"));
  assert.ok(zhao && qian, "a link for each party");

  const context = await shared.browser.newContext({ locale: "zh-CN", ...PHONE });
  const requests = [];
  context.on("request", (r) => requests.push(r.url()));
  const page = await context.newPage();
  await page.goto(zhao.url);
  assert.match(await page.locator("main").innerText(), /钱峰于三日内清理楼道内个人物品/);

  // A wrong code is refused beside the form and nothing is signed.
  const wrong = zhao.code === "000000" ? "111111" : "000000";
  await page.fill("#code", wrong);
  await drawSignature(page);
  await Promise.all([page.waitForLoadState("load"), page.click("#sign-form button[type=submit]")]);
  assert.match(await page.locator("#sign-error").innerText(), /验证码不正确/);
  assert.equal(await page.inputValue("#code"), wrong, "the code stays to be corrected");

  await page.fill("#code", zhao.code);
  await drawSignature(page);
  await screenshot(page, "sign");
  await Promise.all([page.waitForLoadState("load"), page.click("#sign-form button[type=submit]")]);
  await page.locator("#signed").waitFor();
  // Opening the link again shows it signed: a second signature is not offered.
  await page.goto(zhao.url);
  assert.equal(await page.locator("#sign-form").count(), 0);
  assert.deepEqual(foreignRequests(requests, shared.server), []);
  await context.close();

  // The other party signs through the API; the mediator signs and seals in the case page.
  const other = await fetch(`${shared.server.base}/api/v1/sign/${qian.url.split("/sign/")[1]}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: qian.code, signature: SIGNATURE }),
  });
  assert.equal(other.status, 200);
  const staff = await signIn(shared.browser, shared.server, "mediator");
  await staff.page.goto(`${shared.server.base}/cases/${kase.id}`);
  // A session scheduled from the case page, a party's acknowledgement recorded.
  const plan = staff.page.locator('details.action[data-action="session"]');
  await plan.locator("summary").click();
  await plan.locator('input[name="scheduled_at"]').fill("2026-12-01T09:30");
  await plan.locator('input[name="place"]').fill("张掖路街道人民调解室");
  await Promise.all([staff.page.waitForLoadState("load"), plan.locator("button[type=submit]").click()]);
  await staff.page.waitForSelector(".flash.ok");
  const held = staff.page.locator("[data-session]").first();
  await Promise.all([staff.page.waitForLoadState("load"), held.locator('form[action$="/parties/0/rights"] button').click()]);
  await staff.page.waitForSelector(".flash.ok");
  const section = staff.page.locator(`[data-agreement="${agreement.id}"]`);
  await drawSignature(staff.page);
  await Promise.all([staff.page.waitForLoadState("load"), section.locator('form[action$="/mediator-signature"] button[type=submit]').click()]);
  await staff.page.waitForSelector(".flash.ok");
  await Promise.all([staff.page.waitForLoadState("load"), staff.page.locator(`form[action="/agreements/${agreement.id}/seal"] button`).click()]);
  assert.ok(staff.dialogs.some((q) => /盖章/.test(q)), "sealing asks first");
  await staff.page.waitForSelector(".flash.ok");
  assert.equal(await staff.page.locator(`[data-agreement="${agreement.id}"]`).getAttribute("data-agreement-status"), "effective");
  await screenshot(staff.page, "case-mediation");
  await staff.page.locator("#agreements").screenshot({ path: `${process.env.FENGQIAO_SCREENSHOTS || "../target/screenshots"}/agreement.png` });
  const pdf = await staff.context.request.get(`${shared.server.base}/agreements/${agreement.id}/pdf`);
  assert.equal(pdf.headers()["content-type"], "application/pdf");
  assert.deepEqual(foreignRequests(staff.requests, shared.server), []);
  await staff.context.close();
});

test("a refused agreement draft keeps what was typed and says why, in the form; the form's own date hint is understood", async () => {
  const { kase } = await caseWithTheMediator(shared.server, "两户因空调外机噪音发生争执，申请调解。", [
    { name: "孙丽", phone: "13911113333" },
    { name: "周强", phone: "13933335555" },
  ]);
  const staff = await signIn(shared.browser, shared.server, "mediator");
  await staff.page.goto(`${shared.server.base}/cases/${kase.id}`);
  const draft = staff.page.locator('details[data-action="draft"]');
  await draft.locator("textarea[name=matters]").fill("空调外机噪音");
  // A date the calendar lacks: refused, with everything typed kept.
  await draft.locator("textarea[name=terms]").fill("周强于十日内移装空调外机 | 履行期限 2026-02-30\n双方今后互相谅解");
  await Promise.all([staff.page.waitForLoadState("load"), draft.locator("button[type=submit]").click()]);
  const refused = staff.page.locator('details[data-action="draft"]');
  assert.ok(await refused.evaluate((d) => d.open), "the form is open");
  assert.match(await refused.locator(".flash.error").innerText(), /履行期限/);
  assert.equal(await refused.locator("textarea[name=matters]").inputValue(), "空调外机噪音");
  assert.match(await refused.locator("textarea[name=terms]").inputValue(), /2026-02-30/);
  // The hint's own wording with a real date is taken.
  await refused.locator("textarea[name=terms]").fill("周强于十日内移装空调外机 | 履行期限 2026年12月31日\n双方今后互相谅解");
  await Promise.all([staff.page.waitForLoadState("load"), refused.locator("button[type=submit]").click()]);
  assert.match(await staff.page.locator(".flash.ok").innerText(), /调解协议已起草/);
  assert.match(await staff.page.locator("#agreements").innerText(), /2026-12-31/);
  await staff.context.close();
});
