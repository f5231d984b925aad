// 诉调对接 (issue 18): the court desk refers a batch by its interface and follows it on its
// page; the centre's intake finds the referrals awaiting it, declines one without a reason (refused
// beside the field, nothing lost), then with one, and confirms the other; the court desk sees
// both in their states and one referral's clocks on its page.
// Then the centre uploads a court's workbook of referrals for its system account: a repeated
// number is refused in the preview, a good workbook previews, is confirmed and listed.
import { test } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
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

// A workbook as Excel writes it, small: one sheet of inline strings in a stored (uncompressed) zip.
function workbook(rows) {
  const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const column = (i) => String.fromCharCode(65 + i);
  const sheet = rows
    .map((row, r) => `<row r="${r + 1}">${row.map((v, c) => `<c r="${column(c)}${r + 1}" t="inlineStr"><is><t>${escape(v)}</t></is></c>`).join("")}</row>`)
    .join("");
  const files = {
    "[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
    "_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    "xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    "xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    "xl/worksheets/sheet1.xml": `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${sheet}</sheetData></worksheet>`,
  };
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const path = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(path.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(path.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, path, data);
    centrals.push(central, path);
    offset += local.length + path.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

test("the centre uploads a court's workbook of referrals: preview, confirm, listed", async () => {
  const server = day.server;
  const admin = (await apiLogin(server, "admin")).token;
  const units = (await api(server, admin, "/api/v1/units")).body;
  const court = units.find((u) => u.name === "兰州市城关区人民法院");
  const account = { name: "区法院调解平台", unit_id: court.id, permissions: ["case_register", "referrals_read"] };
  const made = await api(server, admin, "/api/v1/system-accounts", { method: "POST", body: JSON.stringify(account) });
  assert.equal(made.status, 201, JSON.stringify(made.body));

  const header = ["法院案号", "案由", "申请人姓名", "申请人电话", "被申请人姓名", "纠纷事实", "诉讼请求"];
  const row = (number, seq) => [number, "合同", "马丽", `1391111${String(seq).padStart(4, "0")}`, "张强", "申请人称被申请人拖欠装修款两万元，经法院释明同意先行调解。", "支付装修款两万元"];
  const { page } = await day.as("intake");
  await visit(page, server, "/referrals");
  await page.locator("#upload summary").click();
  await page.selectOption("#account_id", { label: "区法院调解平台" });
  // A repeated number is the later row's fault: the preview says so and offers no confirmation.
  const repeated = workbook([header, row("(2026)甘0102民诉前调911号", 11), row("(2026)甘0102民诉前调911号", 12)]);
  await page.setInputFiles("#file", { name: "referrals.xlsx", mimeType: "application/octet-stream", buffer: repeated });
  await submit(page, "#upload button[type=submit]", { refused: true });
  assert.match(await page.locator('#preview tr[data-line="3"]').innerText(), /第 2 行/);
  assert.equal(await page.locator("#confirm-import").count(), 0, "nothing to confirm");

  const good = workbook([header, row("(2026)甘0102民诉前调911号", 11), row("(2026)甘0102民诉前调912号", 12)]);
  await page.setInputFiles("#file", { name: "referrals.xlsx", mimeType: "application/octet-stream", buffer: good });
  // The preview answers in place (nothing is received yet).
  await submit(page, "#upload button[type=submit]", { refused: true });
  assert.equal(await page.locator("#preview tr[data-line]").count(), 2);
  await screenshot(page, "referrals-upload");
  await submit(page, "#confirm-import");
  assert.match(await page.locator(".flash.ok").innerText(), /2/);
  for (const number of ["(2026)甘0102民诉前调911号", "(2026)甘0102民诉前调912号"]) {
    const card = page.locator(`[data-referral="${number}"]`);
    assert.equal(await card.count(), 1, number);
    assert.equal(await card.locator("[data-state]").getAttribute("data-state"), "received");
  }
});
