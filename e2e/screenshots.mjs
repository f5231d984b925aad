// The README's screenshots, taken by hand (not in CI): `node screenshots.mjs [name …]` after
// `cargo build -p fengqiao` starts the demo on a fresh database and writes the first screen of
// each role's main pages, on a 1366×768 desktop and on a 390×844 phone, to docs/screenshots/.
// With Debian's `pngquant` installed, each PNG is quantised (about a third of the size, the
// same to the eye).
import { spawnSync } from "node:child_process";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  DESKTOP,
  PHONE,
  ROOT,
  agreementAwaitingConfirmation,
  api,
  caseWithTheMediator,
  launchBrowser,
  signIn,
  signingLinks,
  startServer,
} from "./support.mjs";

const OUT = join(ROOT, "docs", "screenshots");

const server = await startServer();
const browser = await launchBrowser();
try {
  // A case with a session and an agreement sent for signing, for the mediator's page and the party's.
  const { kase, mediator } = await caseWithTheMediator(server, "楼上住户装修漏水，浸坏楼下天花板，协商赔偿未果，申请调解。", [
    { name: "王建国", phone: "13911112222" },
    { name: "李明", phone: "13933334444" },
  ]);
  const post = (path, body) => api(server, mediator.token, path, { method: "POST", body: JSON.stringify(body) });
  await post(`/api/v1/cases/${kase.id}/sessions`, { mode: "in_person", scheduled_at: "2026-12-02T09:30:00+08:00", place: "张掖路街道人民调解室" });
  const drafted = await post(`/api/v1/cases/${kase.id}/agreements`, {
    matters: "装修漏水致楼下天花板受损",
    terms: [{ text: "李明于 2026 年 12 月 20 日前赔偿王建国天花板修复费用人民币三千元", due: "2026-12-20" }, { text: "双方今后互相谅解，和睦相处" }],
  });
  await post(`/api/v1/agreements/${drafted.body.id}/signing`, {});
  const [link] = (await signingLinks(server)).filter((l) => l.body.includes("王建国"));
  // And one sealed and awaiting the court's confirmation, for the court's workbench.
  const awaiting = await agreementAwaitingConfirmation(server, "借款五万元到期未还，双方就还款期限发生争议，申请调解。", [
    { name: "赵敏", phone: "13955556666" },
    { name: "钱峰", phone: "13977778888" },
  ]);

  /** [file, user (null: not signed in), screen, path] */
  const shots = [
    ["workbench", "district", DESKTOP, "/workbench"],
    ["workbench-phone", "leader", PHONE, "/workbench"],
    ["intake", "intake", DESKTOP, "/intake"],
    ["intake-phone", "grid", PHONE, "/intake"],
    ["dispatch", "district", DESKTOP, "/dispatch"],
    ["inbox", "street_a", DESKTOP, "/inbox"],
    ["case", "mediator", DESKTOP, `/cases/${kase.id}`],
    ["case-phone", "mediator", PHONE, `/cases/${kase.id}`],
    ["agreement", "mediator", DESKTOP, `/cases/${kase.id}#agreements`],
    ["notices", "leader", DESKTOP, "/notices?awaiting=1"],
    ["cases", "city", DESKTOP, "/cases?overdue=true"],
    ["court", "court", DESKTOP, "/workbench"],
    ["court-case-phone", "court", PHONE, `/cases/${awaiting.kase.id}#agreements`],
    ["admin-users", "admin", DESKTOP, "/admin/users"],
    ["sign", null, PHONE, link.url],
    ["queue-screen", "intake", DESKTOP, "/queue/screen"],
    ["stats", "city", DESKTOP, "/stats"],
    ["people-risk", "district", DESKTOP, "/people-risk"],
    ["people-risk-phone", "grid", PHONE, "/people-risk?due=soon"],
    ["petitions", "intake", DESKTOP, "/petitions"],
  ];
  mkdirSync(OUT, { recursive: true });
  // `node screenshots.mjs stats petitions` retakes only those.
  const only = process.argv.slice(2);
  for (const [file, user, screen, path] of shots.filter(([file]) => only.length === 0 || only.includes(file))) {
    const session = user ? await signIn(browser, server, user, screen) : { context: await browser.newContext({ locale: "zh-CN", ...screen }) };
    const page = session.page || (await session.context.newPage());
    await page.goto(path.startsWith("http") ? path : `${server.base}${path}`);
    const to = join(OUT, `${file}.png`);
    // A path with a fragment shows that section alone; any other, the first screen.
    const section = path.startsWith("/") && path.includes("#") ? page.locator(path.slice(path.indexOf("#"))) : page;
    await section.screenshot({ path: to });
    spawnSync("pngquant", ["--quality=70-90", "--speed=1", "--force", "--skip-if-larger", "--output", to, to]);
    console.log(`${to} ${Math.round(statSync(to).size / 1024)} KB`);
    await session.context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
