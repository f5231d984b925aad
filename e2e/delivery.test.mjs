// What reaches people, in the browser: the workbench's tiles are links whose lists count the
// same; the applicant's printable receipt (受理回执) from the registration's result; and the
// mediator following the signing SMS per party, copying a party's link and resending.
import { test } from "node:test";
import assert from "node:assert/strict";
import { agreementSentForSigning, api, apiLogin, foreignRequests, screenshot, signIn, signingLinks, sharedServer } from "./support.mjs";

/** An agreement sent for signing when the file starts: a resend waits a minute after a send. */
let signing;
const shared = sharedServer(async () => {
  signing = await agreementSentToTwo();
});

/** A case of the street A1 mediator with an agreement sent for signing to two parties. */
async function agreementSentToTwo() {
  const { kase } = await agreementSentForSigning(
    shared.server,
    "楼上住户夜间噪音扰民，双方多次争吵，申请调解。",
    [
      { name: "孙丽", phone: "13955556666" },
      { name: "周强", phone: "13977778888" },
    ],
    { matters: "夜间噪音", terms: [{ text: "周强每晚十点后不再发出噪音" }] },
  );
  return { kase, sentAt: Date.now() };
}

test("every workbench tile links to the list it counts, and the list counts the same", async () => {
  for (const username of ["district", "street_a", "mediator"]) {
    const { context, page, requests } = await signIn(shared.browser, shared.server, username);
    const tiles = await page.locator("a.stat").evaluateAll((as) => as.map((a) => ({ href: a.getAttribute("href"), count: Number(a.querySelector(".value").textContent) })));
    assert.equal(tiles.length, 4, username);
    for (const [i, tile] of tiles.entries()) {
      await page.goto(`${shared.server.base}/workbench`);
      await Promise.all([page.waitForURL((url) => url.pathname !== "/workbench"), page.locator("a.stat").nth(i).click()]);
      const count = tile.href.startsWith("/notices")
        ? Number((await page.locator("#notice-count").innerText()).match(/(\d+) ·/)[1])
        : Number(await page.locator("#case-count").getAttribute("data-total"));
      assert.equal(count, tile.count, `${username}: the tile ${tile.href} counts what its list shows`);
    }
    // Notices awaiting a reply: one line per case, however many notices.
    await page.goto(`${shared.server.base}/workbench`);
    const lines = await page.locator("[data-awaiting-case]").evaluateAll((li) => li.map((l) => l.dataset.awaitingCase));
    assert.equal(new Set(lines).size, lines.length, `${username}: one line per case`);
    if (username === "district") await screenshot(page, "workbench-tiles");
    assert.deepEqual(foreignRequests(requests, shared.server), []);
    await context.close();
  }
});

test("the applicant's receipt is printed from the registration's result", async () => {
  const { context, page, requests } = await signIn(shared.browser, shared.server, "intake");
  const intake = (await apiLogin(shared.server, "intake")).token;
  const body = {
    channel: "window",
    description: "租客退租时房东拒不退还押金三千元。",
    title: "押金纠纷",
    location: { region_code: "620102002001" },
    parties: [{ role: "applicant", kind: "person", name: "吴芳", phone: "13922223333" }],
  };
  const registered = await api(shared.server, intake, "/api/v1/cases", { method: "POST", body: JSON.stringify(body) });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  await page.goto(`${shared.server.base}/intake/registered/${registered.body.id}`);
  await Promise.all([page.waitForURL(/\/receipt$/), page.click("#receipt-link")]);
  assert.equal(await page.locator("#receipt-number").innerText(), registered.body.number);
  assert.match(await page.locator("#receipt").innerText(), /城关区社会治安综合治理中心[\s\S]*0931-86\d{6}[\s\S]*接下来/);
  // The print stylesheet leaves the receipt alone on the page.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.topbar").isVisible(), false);
  assert.equal(await page.locator("[data-print]").isVisible(), false);
  assert.equal(await page.locator("#receipt").isVisible(), true);
  await screenshot(page, "receipt-print");
  await page.emulateMedia({ media: "screen" });
  // And from the case page.
  await page.goto(`${shared.server.base}/cases/${registered.body.id}`);
  assert.equal(await page.locator("#receipt-link").getAttribute("href"), `/cases/${registered.body.id}/receipt`);
  assert.deepEqual(foreignRequests(requests, shared.server), []);
  await context.close();
});

test("the mediator sees each party's signing SMS, copies a link and resends", async () => {
  const { context, page, requests, dialogs } = await signIn(shared.browser, shared.server, "mediator");
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: shared.server.base });
  await page.goto(`${shared.server.base}/cases/${signing.kase.id}#agreements`);
  const party = (index) => page.locator(`[data-sms-party="${index}"]`);
  // Queued, or kept in the outbox once the built-in gateway has run (no operator's gateway here).
  for (const index of [0, 1]) {
    assert.match(await party(index).locator("[data-sms-state]").getAttribute("data-sms-state"), /^(queued|kept)$/);
  }

  // Copy the respondent's link: the one the SMS carries.
  const [respondentLink] = (await signingLinks(shared.server)).filter((l) => l.body.includes("周强"));
  await party(1).locator("[data-copy]").click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), respondentLink.url);
  assert.equal(await party(1).locator("[data-copy]").innerText(), "已复制");

  // A resend within a minute of the last SMS is refused, in words.
  await Promise.all([page.waitForLoadState("load"), party(1).locator("[data-action=resend]").click()]);
  await page.waitForSelector(".flash.error");
  assert.match(await page.locator(".flash.error").innerText(), /秒/);
  assert.equal((await signingLinks(shared.server)).length, 2, "nothing sent");

  // A minute after: a new link and code; the old link no longer opens.
  const wait = signing.sentAt + 61_000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await page.goto(`${shared.server.base}/cases/${signing.kase.id}#agreements`);
  await Promise.all([page.waitForLoadState("load"), party(1).locator("[data-action=resend]").click()]);
  await page.waitForSelector(".flash.ok");
  assert.ok(dialogs.some((d) => d.includes("作废")), "the browser asked first");
  const links = await signingLinks(shared.server);
  assert.equal(links.length, 3);
  assert.ok(links[0].body.includes("周强") && links[0].url !== respondentLink.url, "a new link for the respondent");
  assert.equal(await party(1).locator("input[data-copy-source]").inputValue(), links[0].url, "the new link to copy");
  assert.match(await party(1).innerText(), /还可重发 2 次/);
  const old = await fetch(respondentLink.url);
  assert.equal(old.status, 404, "the old link is void");
  await screenshot(page, "signing-sms");
  assert.deepEqual(foreignRequests(requests, shared.server), []);
  await context.close();
});
