// 历史案件导入 (issue 18): the administrator downloads the template, uploads a workbook with a
// bad row — every fault is shown by its row and nothing can be imported — mends it, sees the
// summary with the personal data masked, imports, and finds the cases listed and open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { screenshot, sharedServer, submit, visit } from "./support.mjs";

const day = sharedServer();

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip archive of `files` ({ name: text }), stored without compression. */
function zip(files) {
  const local = [];
  const central = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const path = Buffer.from(name);
    const data = Buffer.from(text);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt32LE(crc32(data), 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(path.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc32(data), 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(path.length, 28);
    entry.writeUInt32LE(offset, 42);
    local.push(head, path, data);
    central.push(entry, path);
    offset += head.length + path.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, directory, end]);
}

const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The smallest workbook Excel (and the server) reads: one sheet of text cells. */
function workbook(rows) {
  const ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
  const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  const column = (i) => String.fromCharCode(65 + i);
  const sheet = rows
    .map((cells, r) => `<row r="${r + 1}">${cells
      .map((v, i) => (v ? `<c r="${column(i)}${r + 1}" t="inlineStr"><is><t>${escape(v)}</t></is></c>` : ""))
      .join("")}</row>`)
    .join("");
  return zip({
    "[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
    "_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    "xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook ${ns} xmlns:r="${rel}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    "xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    "xl/worksheets/sheet1.xml": `<?xml version="1.0" encoding="UTF-8"?><worksheet ${ns}><sheetData>${sheet}</sheetData></worksheet>`,
  });
}

const HEADER = ["登记日期", "纠纷类型", "来源渠道", "所属区域", "申请人姓名", "申请人身份证号", "申请人电话", "被申请人姓名", "纠纷简要情况", "办理结果", "办结日期"];
const concluded = ["2022-06-15", "婚姻家庭", "窗口", "620102003000", "王秀兰", "", "13912345678", "李建国", "离婚后子女抚养费纠纷（历史）", "调解成功", "2022-06-30"];
const open = ["2023-03-01", "邻里", "12345 热线", "620102003000", "赵德明", "", "", "", "楼上漏水（历史）", "", ""];

/** Chooses `rows` as the workbook of the case import's form and uploads it. */
async function upload(page, rows, options) {
  await page.setInputFiles("#cases-file", { name: "历史案件.xlsx", mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer: workbook([HEADER, ...rows]) });
  return submit(page, "#cases-upload", options);
}

test("an administrator imports historical cases from Excel: faults by row, then all at once", async () => {
  const { page } = await day.as("admin");
  await visit(page, day.server, "/admin/import");

  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#cases-template").click()]);
  assert.equal(download.suggestedFilename(), "fengqiao-cases.xlsx");
  const template = await (await fetch(`${day.server.base}/admin/import/template/cases.xlsx`, { headers: { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ") } })).arrayBuffer();
  assert.equal(Buffer.from(template).subarray(0, 2).toString(), "PK", "the template is a workbook");

  // Too large a file: said in words, before anything is read.
  await page.setInputFiles("#cases-file", { name: "大.xlsx", mimeType: "application/octet-stream", buffer: Buffer.alloc(10 * 1024 * 1024 + 1024) });
  const tooLarge = await submit(page, "#cases-upload", { refused: true });
  assert.equal(tooLarge.status(), 413);
  assert.match(await page.locator("#cases-errors").innerText(), /文件超过 10 MB/);

  // A bad row among good ones: every fault by row and column, in words; no import button.
  const bad = [...concluded];
  bad[1] = "吵架";
  bad[5] = "110105194912310021";
  await upload(page, [concluded, bad, open], { refused: true });
  const faults = page.locator("#cases-faults");
  assert.equal(await faults.locator("tr[data-row]").count(), 1);
  const row = await faults.locator('tr[data-row="3"]').innerText();
  assert.match(row, /第 3 行的纠纷类型应为以下之一/);
  assert.match(row, /第 3 行的申请人身份证号/);
  assert.equal(await page.locator("#confirm-cases").count(), 0, "nothing can be imported");
  await screenshot(page, "admin-case-import-faults");

  // Mended: the summary, the sample masked, then the import.
  await upload(page, [concluded, open], { refused: true });
  assert.equal(await page.locator("#cases-total").innerText(), "2");
  assert.match(await page.locator("#cases-by-category").innerText(), /婚姻家庭\s+1[\s\S]*邻里\s+1/);
  assert.match(await page.locator("#cases-by-year").innerText(), /2022\s+1[\s\S]*2023\s+1/);
  const sample = await page.locator("#cases-sample").innerText();
  assert.match(sample, /王\*\*/);
  assert.match(sample, /139\*{4}5678/);
  assert.doesNotMatch(sample, /王秀兰|13912345678/, "personal data is masked");
  await screenshot(page, "admin-case-import-preview");
  await submit(page, "#confirm-cases");
  assert.match(page.url(), /\/admin\/import\/cases\/[0-9a-f]{64}$/);
  assert.match(await page.locator(".flash.ok").innerText(), /已导入历史案件：\s*2/);
  assert.match(await page.locator("#imported-count").innerText(), /共 2/);
  const list = await page.locator("#imported-cases tbody").innerText();
  assert.match(list, /婚姻家庭\s+已办结/);
  assert.match(list, /邻里/);
  await Promise.all([page.waitForNavigation(), page.locator("#imported-cases tbody a").first().click()]);
  assert.match(page.url(), /\/cases\/\d+$/);
  assert.match(await page.locator("body").innerText(), /离婚后子女抚养费纠纷（历史）/);

  // The same workbook sent again (a second tab, a retry): refused, nothing twice.
  await visit(page, day.server, "/admin/import");
  await upload(page, [concluded, open], { refused: true });
  assert.match(await page.locator("#cases-errors").innerText(), /这个文件已经导入过（共 2 件）/);
  assert.equal(await page.locator("#confirm-cases").count(), 0);
});
