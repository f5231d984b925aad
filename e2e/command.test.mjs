// The command screen (指挥大屏, issue 15): a leader opens /command on a 1920×1080 wall, a case
// registered through the API appears at the top of the live feed within 2 seconds, so does a
// notice on a watched person (重点人员) whose visit is overdue, and the territory's tiles drill
// down to a district and back up. No request leaves the server's host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DESKTOP, api, apiLogin, checkPage, screenshot, sharedServer } from "./support.mjs";

const shared = sharedServer();
const WALL = { viewport: { width: 1920, height: 1080 } };

test("a case registered through the API appears in the command screen's live feed", async () => {
  const { page } = await shared.as("leader", WALL);
  await page.goto(`${shared.server.base}/command`);
  await checkPage(page);
  await page.waitForFunction(() => document.querySelector("[data-live-feed]"));
  // The stream is open before the registration: the page's EventSource has connected.
  await page.waitForTimeout(300);

  const intake = (await apiLogin(shared.server, "intake")).token;
  const body = {
    channel: "window",
    description: "楼上邻居装修噪音持续到深夜，多次沟通无果。",
    title: "装修噪音",
    location: { region_code: "620102002001" },
    parties: [{ role: "applicant", kind: "person", name: "赵敏", phone: "13922224444" }],
  };
  const registered = await api(shared.server, intake, "/api/v1/cases", { method: "POST", body: JSON.stringify(body) });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const first = page.locator("[data-live-feed] li[data-feed-kind=case]").first();
  await first.waitFor({ timeout: 2000 });
  assert.match(await first.innerText(), new RegExp(registered.body.number));
  await screenshot(page, "command-screen");

  // Drill down from the district to a street and back up.
  const tile = page.locator("svg a").first();
  const code = await tile.locator("[data-region-code]").getAttribute("data-region-code");
  await Promise.all([page.waitForURL(new RegExp(`region=${code}`)), tile.click()]);
  await checkPage(page);
  await Promise.all([page.waitForLoadState("load"), page.locator(".command-nav a").first().click()]);
  assert.equal(await page.locator("[data-region]").innerText(), "城关区");
});

test("an overdue visit's notice on a watched person appears in the live feed as 重点人员", async () => {
  const { page } = await shared.as("leader", WALL);
  await page.goto(`${shared.server.base}/command`);
  await checkPage(page);
  await page.waitForFunction(() => document.querySelector("[data-live-feed]"));
  await page.waitForTimeout(300);

  // The centre puts a person on the grid's register; a visit recorded as made 40 days ago makes
  // the next one overdue, and the sweep files a notice on the person.
  const token = async (user) => (await apiLogin(shared.server, user)).token;
  const [district, grid, leader] = [await token("district"), await token("grid"), await token("leader")];
  const register = await api(shared.server, grid, "/api/v1/people/watch");
  assert.equal(register.status, 200, JSON.stringify(register.body));
  const person = {
    name: "孙大海",
    id_number: "11010519491231002X",
    phone: "13912345631",
    grid_id: register.body.items[0].grid_id,
    reason: "threats",
    detail: "多次扬言报复",
    colour: "orange",
  };
  const entered = await api(shared.server, district, "/api/v1/people/watch", { method: "POST", body: JSON.stringify(person) });
  assert.equal(entered.status, 201, JSON.stringify(entered.body));
  const visit = { situation: "stable", visited_at: new Date(Date.now() - 40 * 86400e3).toISOString() };
  const visited = await api(shared.server, grid, `/api/v1/people/watch/${entered.body.id}/visits`, {
    method: "POST",
    body: JSON.stringify(visit),
  });
  assert.equal(visited.status, 201, JSON.stringify(visited.body));
  const swept = await api(shared.server, leader, "/api/v1/supervision/sweep", { method: "POST", body: "{}" });
  assert.equal(swept.status, 200, JSON.stringify(swept.body));
  const line = page.locator("[data-live-feed] li[data-feed-kind=notice]", { hasText: "重点人员" }).first();
  await line.waitFor({ timeout: 2000 });
  assert.doesNotMatch(await line.innerText(), /undefined|null/);
});

test("the city's districts are drawn on their real map, and a district drills down to its streets", async () => {
  const { page } = await shared.as("admin", WALL);
  await page.goto(`${shared.server.base}/command`);
  await checkPage(page);
  // ECharts, served from the binary, draws the eight districts from the imported boundaries.
  const map = page.locator("[data-command-map]");
  await page.waitForFunction(() => document.querySelector("[data-command-map]")?.dataset.mapDrawn === "8");
  assert.equal(await map.locator("svg [data-region-code]").count(), 0, "every district has its shape: no tile is left");
  assert.ok((await map.locator(".command-echarts svg path").count()) >= 8);
  await page.waitForFunction(() => document.querySelector("[data-command-trend]")?.dataset.trendDrawn === "true");
  await screenshot(page, "command-map");

  // A click on 城关区 (at its centre on the drawn map) opens its screen; its streets have no
  // boundary yet, so they stay the schematic's tiles.
  const at = await page.evaluate(() => {
    const box = document.querySelector("[data-command-map] .command-echarts");
    const [x, y] = echarts.getInstanceByDom(box).convertToPixel({ seriesIndex: 0 }, [103.825307, 36.057464]);
    const r = box.getBoundingClientRect();
    return { x: r.left + x, y: r.top + y };
  });
  await Promise.all([page.waitForURL(/region=620102000000/), page.mouse.click(at.x, at.y)]);
  await checkPage(page);
  assert.equal(await page.locator("[data-region]").innerText(), "城关区");
  assert.ok((await page.locator("[data-command-map] svg [data-region-code]").count()) >= 2, "the streets as tiles");
  assert.equal(await page.locator("[data-command-map]").getAttribute("data-map-drawn"), null);
});

test("the command screen is in the menu of an administrator on a desktop", async () => {
  const { page } = await shared.as("admin", DESKTOP);
  await page.goto(`${shared.server.base}/workbench`);
  await checkPage(page);
  await Promise.all([page.waitForURL(/\/command$/), page.locator('nav.main a[href="/command"]').click()]);
  await checkPage(page);
});

test("a handler of a street has no command screen", async () => {
  const { page } = await shared.as("street_a", WALL);
  const response = await page.goto(`${shared.server.base}/command`);
  assert.equal(response.status(), 403);
});
