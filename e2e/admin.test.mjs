// The administrator's day (issue 13, defect 9): create a user (a refused form keeps what was
// typed and says what is wrong beside the field), edit them, give them a new password, disable
// them — and they cannot sign in; create a unit; change the routing of a category. All with
// names, never ids or JSON; on a desktop, and one look on a 390 px phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, PHONE, screenshot, sharedServer } from "./support.mjs";

const day = sharedServer();

/** Submits the form holding `button` and waits for the next page. */
async function submit(page, button) {
  await Promise.all([page.waitForLoadState("load"), page.locator(button).click()]);
}

/** Tries to sign in on a fresh page; returns the page. */
async function tryLogin(username, password) {
  const context = await day.browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto(`${day.server.base}/login`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await submit(page, "button[type=submit]");
  return { context, page };
}

test("an administrator creates, edits, resets and disables a user, adds a unit and routes a category", async () => {
  const admin = await day.as("admin");
  const page = admin.page;

  // Users: a list with its count, and the new user's form.
  await page.goto(`${day.server.base}/admin/users`);
  assert.match(await page.locator("#user-count").innerText(), /共 \d+ · 1\/1/);
  await submit(page, 'a[href="/admin/users/new"]');
  await page.fill("#username", "zhao_wen");
  await page.fill("#display_name", "赵文");
  await page.selectOption("#role", { label: "窗口受理员" });
  // The unit picker narrows to what is typed, grouped by level and kind.
  await page.fill(".field:has(#unit_id) input.select-search", "张掖路街道综治");
  assert.equal(await page.locator("#unit_id option:checked").innerText(), "张掖路街道综治中心");
  await page.fill("#password", "short");
  await submit(page, "form[action='/admin/users'] button[type=submit]");
  assert.equal(await page.locator('p.error[data-for="password"]').innerText(), "密码至少 8 个字符");
  assert.equal(await page.inputValue("#username"), "zhao_wen", "what was typed stays");
  assert.equal(await page.inputValue("#display_name"), "赵文");
  assert.equal(await page.locator("#unit_id option:checked").innerText(), "张掖路街道综治中心");
  await page.fill("#password", "first-password");
  await submit(page, "form[action='/admin/users'] button[type=submit]");
  assert.match(await page.locator(".flash.ok").innerText(), /已添加用户 zhao_wen/);
  const userPage = new URL(page.url()).pathname;
  assert.match(userPage, /^\/admin\/users\/\d+$/);
  await screenshot(page, "admin-user");

  // Edited: name, role and unit, by their names.
  await page.fill("#display_name", "赵文（调解）");
  await page.selectOption("#role", { label: "调解员" });
  await page.selectOption("#unit_id", { label: "张掖路街道人民调解委员会" });
  await submit(page, `form[action='${userPage}'] button[type=submit]`);
  assert.match(await page.locator(".flash.ok").innerText(), /用户信息已保存/);
  assert.equal(await page.inputValue("#display_name"), "赵文（调解）");
  await page.goto(`${day.server.base}/admin/users?q=${encodeURIComponent("赵文")}`);
  const row = page.locator('tr[data-username="zhao_wen"]');
  assert.match(await row.innerText(), /调解员/);
  assert.match(await row.innerText(), /张掖路街道人民调解委员会/);

  // A new password; the user signs in with it.
  await page.goto(`${day.server.base}${userPage}`);
  await page.fill("#new-password", "second-password");
  await submit(page, `form[action='${userPage}/password'] button`);
  assert.match(await page.locator(".flash.ok").innerText(), /已重置密码/);
  const zhao = await tryLogin("zhao_wen", "second-password");
  assert.match(zhao.page.url(), /\/workbench$/);

  // Disabled (after a question): their session ends and they cannot sign in again.
  await submit(page, `form[action='${userPage}/active'] button`);
  assert.equal(admin.dialogs.length, 1, "disabling asks first");
  assert.match(await page.locator(".flash.ok").innerText(), /用户已停用/);
  await zhao.page.goto(`${day.server.base}/workbench`);
  assert.match(zhao.page.url(), /\/login/);
  await zhao.context.close();
  const refused = await tryLogin("zhao_wen", "second-password");
  assert.match(await refused.page.locator(".flash.error").innerText(), /用户名或密码/);
  await refused.context.close();

  // A unit: kind and region by name, categories as boxes; then in the list under its group.
  await page.goto(`${day.server.base}/admin/units`);
  await submit(page, 'a[href="/admin/units/new"]');
  await page.fill("#name", "城关区退役军人事务局");
  await page.selectOption("#kind", { label: "职能部门" });
  await page.selectOption("#region_code", { label: "城关区" });
  await page.check('input[name="categories"][value="labor"]');
  await submit(page, "form[action='/admin/units'] button[type=submit]");
  assert.match(await page.locator(".flash.ok").innerText(), /已添加单位 城关区退役军人事务局/);
  await page.goto(`${day.server.base}/admin/units`);
  const group = page.locator("section.card", { hasText: "县区级 · 职能部门" });
  assert.match(await group.innerText(), /城关区退役军人事务局\s+城关区/);

  // The routing of a category: the new unit assists with labour disputes.
  await page.goto(`${day.server.base}/admin/routing`);
  await submit(page, 'tr[data-category="labor"] a');
  const blank = page.locator(".catalogue-row").last();
  await blank.locator("select[name$='.unit_id']").selectOption({ label: "城关区退役军人事务局" });
  await blank.locator("select[name$='.role']").selectOption("assist");
  await submit(page, "form[action='/admin/routing/labor'] button[type=submit]");
  assert.match(await page.locator(".flash.ok").innerText(), /分流目录已保存/);
  assert.match(await page.locator('tr[data-category="labor"]').innerText(), /城关区退役军人事务局/);
  await screenshot(page, "admin-routing");

  // On a phone: the list fits and the next action comes first.
  const phone = await day.as("admin", PHONE);
  await phone.page.goto(`${day.server.base}/admin/users`);
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the user list fits a phone (scroll width ${width})`);
  const button = await phone.page.locator('a[href="/admin/users/new"]').boundingBox();
  assert.ok(button.y + button.height < 844, "the new user's button is on the first screen");
  await screenshot(phone.page, "admin-users-phone");
});

test("every signed-in user changes their own password from the header", async () => {
  const handler = await day.as("street_b");
  const page = handler.page;
  await submit(page, 'div.user a[href="/account/password"]');
  await page.fill("#current_password", PASSWORD);
  await page.fill("#new_password", "street-b-new");
  await page.fill("#new_password_again", "street-b-neu");
  await submit(page, "form[action='/account/password'] button[type=submit]");
  assert.equal(await page.locator('p.error[data-for="new_password_again"]').innerText(), "两次输入的新密码不一致");
  await page.fill("#current_password", PASSWORD);
  await page.fill("#new_password", "street-b-new");
  await page.fill("#new_password_again", "street-b-new");
  await submit(page, "form[action='/account/password'] button[type=submit]");
  assert.match(await page.locator(".flash.ok").innerText(), /密码已修改/);
  const again = await tryLogin("street_b", "street-b-new");
  assert.match(again.page.url(), /\/workbench$/);
  await again.context.close();
});

// 绘制边界 (issue 15): the administrator draws a street's boundary on its district's outline,
// point by point; the drawing is saved as an import and the street is on the map.
test("an administrator draws a street's boundary on the district's map", async () => {
  const admin = await day.as("admin");
  const page = admin.page;
  await page.goto(`${day.server.base}/admin/regions/620102000000`);
  const before = Number(await page.locator("[data-drawn]").innerText());
  const street = await page.locator("#draw-area option").first().getAttribute("value");
  const canvas = page.locator("#draw-canvas");
  const box = await canvas.boundingBox();
  const at = (fx, fy) => canvas.click({ position: { x: box.width * fx, y: box.height * fy } });
  await at(0.45, 0.45);
  await at(0.55, 0.45);
  assert.equal(await page.locator("[data-draw-save]").isDisabled(), true, "two points are not a boundary");
  await at(0.9, 0.9);
  await page.locator("[data-draw-undo]").click();
  await at(0.55, 0.55);
  await at(0.45, 0.55);
  assert.equal(await page.locator("[data-draw-points]").innerText(), "4");
  await Promise.all([page.waitForURL(/\/admin\/regions\/620102000000$/), page.locator("[data-draw-save]").click()]);
  assert.match(await page.locator(".flash.ok").innerText(), /已导入边界的区域： 1/);
  assert.equal(Number(await page.locator("[data-drawn]").innerText()), before + 1);
  assert.equal(await page.locator(`path.draw-area[data-area="${street}"]`).count(), 1);
  // What was drawn lies inside the district's own outline, where it was clicked.
  const drawing = JSON.parse(await page.locator("[data-drawing]").getAttribute("data-drawing"));
  const ring = drawing.areas.find((a) => a.code === street).boundary.coordinates[0];
  assert.equal(ring.length, 5, "four points and the closing one");
  const own = drawing.own.coordinates.flat(Infinity);
  const lngs = own.filter((_, i) => i % 2 === 0);
  const lats = own.filter((_, i) => i % 2 === 1);
  for (const [lng, lat] of ring) {
    assert.ok(lng > Math.min(...lngs) && lng < Math.max(...lngs) && lat > Math.min(...lats) && lat < Math.max(...lats), `${lng},${lat}`);
  }
});
