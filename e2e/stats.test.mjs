// The statistics page (issue 15): a leader opens /stats, reads the figures of the territory with
// their definitions, follows a number to the cases behind it and finds as many as the number
// said; the filters stay as chosen, and a bad region is refused in words on the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { screenshot, sharedServer } from "./support.mjs";

const day = sharedServer();

/** Follows the link `selector` and waits for the next page. */
async function follow(page, selector) {
  await Promise.all([page.waitForLoadState("load"), page.locator(selector).first().click()]);
}

test("a leader follows a figure of /stats to its cases and sees the same count", async () => {
  const { page } = await day.as("leader");
  await page.goto(`${day.server.base}/stats?by=category&from=2000-01-01`);
  assert.equal(await page.inputValue("#from"), "2000-01-01", "the form keeps what was chosen");
  assert.equal(await page.locator("#by option:checked").getAttribute("value"), "category");
  assert.ok(await page.locator("#figure-definitions dt").count() >= 7, "every figure with its definition");
  assert.match(await page.locator("#stats-xlsx").getAttribute("href"), /^\/api\/v1\/stats\/figures\.xlsx\?/);
  await screenshot(page, "stats");

  // The total of 受理量: a number, a link, and as many cases behind it.
  const total = page.locator('#figures tr.total td[data-figure="received"] a');
  const received = Number(await total.innerText());
  assert.ok(received > 0, "the demo's cases are counted");
  assert.equal(Number(await total.getAttribute("data-count")), received);
  await follow(page, '#figures tr.total td[data-figure="received"] a');
  assert.match(new URL(page.url()).pathname, /^\/stats\/cases\/received$/);
  assert.equal(Number(await page.locator("#case-count").getAttribute("data-total")), received);
  const listed = await page.locator("table.cases tbody tr").count();
  assert.equal(listed, Math.min(received, 50), "the first page lists the cases counted");

  // A category's row, then a rate's numerator: the list holds that many.
  await page.goBack();
  const row = page.locator("#figures tbody tr:not(.total)").first();
  const link = row.locator('td[data-figure="resolved_rate"] a');
  const resolved = Number(await link.innerText());
  await Promise.all([page.waitForLoadState("load"), link.click()]);
  assert.equal(Number(await page.locator("#case-count").getAttribute("data-total")), resolved);
  assert.equal(await page.locator("table.cases tbody tr").count(), Math.min(resolved, 50));
  await follow(page, 'a[href^="/stats?"]');
  assert.equal(await page.inputValue("#from"), "2000-01-01", "back to the same table");

  // A region that is not a code: refused beside the form, in words, with what was typed.
  const response = await page.goto(`${day.server.base}/stats?region=12`);
  assert.equal(response.status(), 422);
  assert.match(await page.locator("#stats-filters p.error").innerText(), /区划|区域/);
  assert.equal(await page.inputValue("#region"), "12");
});
