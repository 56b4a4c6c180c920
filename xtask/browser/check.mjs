// The dashboard in a real browser (Debian's chromium, driven by playwright-core, which never
// downloads a browser): every page served and exported opens with no console error and no
// failed request; the KPI cards show the values SQL computed (passed in by xtask); a slicer
// change redraws them with the filtered values; one screenshot per page.
// Usage: node check.mjs <config.json>
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];
const browser = await chromium.launch({ executablePath: config.chromium, args: ["--no-sandbox"] });
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
page.on("console", m => { if (m.type() === "error") problems.push(`console error on ${page.url()}: ${m.text()}`); });
page.on("pageerror", e => problems.push(`script error on ${page.url()}: ${e.message}`));
page.on("requestfailed", r => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
page.on("response", r => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });

// Waits until the page has drawn anew after `action`: body[data-ready] is set, and not to the
// value it had before (a navigation starts a document with none; a slicer change redraws).
async function drawn(action) {
  const before = await page.evaluate(() => document.body.dataset.ready || "");
  await action();
  await page.waitForFunction(b => {
    const ready = document.body.dataset.ready || "";
    return ready !== "" && ready !== b;
  }, before, { timeout: 30000 });
}

async function cards() {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll(".card")].map(c => [c.dataset.measure, c.dataset.value])));
}

function same(measure, got, want, where) {
  const g = Number(got), w = Number(want);
  if (!(Math.abs(g - w) <= 1e-6 * Math.max(1, Math.abs(w)))) problems.push(`${where}: ${measure} shows ${got}, SQL says ${want}`);
}

for (const [label, base] of [["served", config.url], ["static", config.export]]) {
  for (const name of config.pages) {
    await drawn(() => page.goto(`${base}#${encodeURIComponent(name)}`));
    if (await page.locator(".card").count() === 0) problems.push(`${label} ${name}: no KPI card drawn`);
    if (await page.locator("canvas, table").count() === 0) problems.push(`${label} ${name}: no chart or table drawn`);
    await page.screenshot({ path: `${config.screenshots}/${label}-${name.replace(/ /g, "_")}.png`, fullPage: true });
    if (name === "Executive") {
      const shown = await cards();
      for (const [measure, want] of Object.entries(config.expected.unfiltered)) same(measure, shown[measure], want, `${label} ${name}`);
    }
  }
}

// A slicer change on the served page: the cards follow the filtered SQL.
await drawn(() => page.goto(`${config.url}#Executive`));
await drawn(() => page.selectOption(`#slicer-${config.slicer.name}`, config.slicer.value));
const filtered = await cards();
for (const [measure, want] of Object.entries(config.expected.filtered)) same(measure, filtered[measure], want, `served Executive, ${config.slicer.name}=${config.slicer.value}`);
await page.screenshot({ path: `${config.screenshots}/served-Executive-${config.slicer.value}.png`, fullPage: true });

await browser.close();
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`browser check: ${config.pages.length} pages served and exported, KPIs equal SQL, slicer ${config.slicer.name}=${config.slicer.value} redraws`);
