// 定期报告 in the browser (issue 15): a leader opens the archive from the navigation, is refused
// a monthly report whose first day is not the 1st (the error beside the field, the values kept),
// issues last month's bulletin, sees it as a page with its figures, and downloads its PDF and
// workbook through the page's links.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPage, screenshot, sharedServer } from "./support.mjs";

const shared = sharedServer();

/** Clicks `button` and waits for the next page. */
async function submit(page, button) {
  await Promise.all([page.waitForLoadState("load"), page.locator(button).click()]);
}

test("a leader issues last month's bulletin, reads it and downloads its PDF", async () => {
  const server = shared.server;
  const { page } = await shared.as("leader");
  await page.goto(`${server.base}/workbench`);
  await submit(page, 'nav.main a[href="/reports"]');
  await checkPage(page);
  const start = await page.locator("#period_start").inputValue();
  assert.match(start, /^\d{4}-\d{2}-01$/, "last month's first day is offered");

  // Refused: the field at fault says why, what was typed stays.
  await page.locator("#kind").selectOption("monthly");
  await page.locator("#period_start").fill(start.replace(/01$/, "02"));
  await submit(page, "#issue-report button[type=submit]");
  assert.match(await page.locator('#issue-report .error[data-for="period_start"]').innerText(), /1日/);
  assert.equal(await page.locator("#period_start").inputValue(), start.replace(/01$/, "02"));
  assert.equal(await page.locator("#kind").inputValue(), "monthly");

  await page.locator("#period_start").fill(start);
  await submit(page, "#issue-report button[type=submit]");
  assert.match(page.url(), /\/reports\/\d+$/);
  await checkPage(page);
  assert.match(await page.locator(".flash.ok").innerText(), /月通报第\d+号/);
  assert.match(await page.locator("#report-number").innerText(), /月通报/);
  assert.ok((await page.locator("#report-figures tr[data-figure=received]").count()) === 1);
  await screenshot(page, "report");

  for (const [link, type] of [
    ["#report-pdf", "application/pdf"],
    ["#report-xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
  ]) {
    const href = await page.locator(link).getAttribute("href");
    const response = await page.request.get(`${server.base}${href}`);
    assert.equal(response.status(), 200, href);
    assert.equal(response.headers()["content-type"], type);
  }
  const pdf = await page.request.get(`${server.base}${await page.locator("#report-pdf").getAttribute("href")}`);
  assert.equal((await pdf.body()).subarray(0, 4).toString(), "%PDF");

  // The archive lists it; issuing it again leads to the same report.
  await page.goto(`${server.base}/reports?kind=monthly`);
  assert.ok((await page.locator("#reports tr[data-kind=monthly]").count()) >= 1);
  const reportUrl = page.url();
  await page.locator("#period_start").fill(start);
  await submit(page, "#issue-report button[type=submit]");
  assert.match(await page.locator(".flash.ok").innerText(), /已签发过/);
  assert.notEqual(page.url(), reportUrl);
});
