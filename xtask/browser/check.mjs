// The dashboard in a real browser (Debian's chromium, driven by playwright-core, which never
// downloads a browser): every page served and exported opens with no console error and no
// failed request; the KPI cards show the values SQL computed (passed in by xtask); a click on a
// bar (cross-filter) and slicer combinations redraw them with the filtered values; one
// screenshot per page and per filtered view.
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
    const shown = await cards();
    for (const [measure, want] of Object.entries(config.expected.pages[name] || {})) same(measure, shown[measure], want, `${label} ${name}`);
  }
}

// Cross-filter on the served page: a real mouse click on a bar of "Sales by region" selects
// its region in the slicer, and the cards follow the filtered SQL.
const cross = config.expected.cross_filter;
await drawn(() => page.goto(`${config.url}/?fresh#Executive`));
const target = await page.evaluate(({ title, group }) => {
  const box = document.querySelector(`.visual[data-title="${title}"] .chart`);
  const chart = echarts.getInstanceByDom(box);
  const option = chart.getOption();
  const i = option.xAxis[0].data.indexOf(group);
  if (i < 0) return null;
  const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [i, option.series[0].data[i] / 2]);
  const r = box.getBoundingClientRect();
  return { x: r.left + x, y: r.top + y };
}, { title: cross.visual, group: cross.value });
if (!target) problems.push(`served Executive: no bar ${cross.value} in "${cross.visual}"`);
else {
  await drawn(() => page.mouse.click(target.x, target.y));
  const selected = await page.inputValue(`#slicer-${cross.slicer}`);
  if (selected !== cross.value) problems.push(`cross-filter: clicking ${cross.value} set slicer ${cross.slicer} to "${selected}"`);
  const shown = await cards();
  for (const [measure, want] of Object.entries(cross.expected)) same(measure, shown[measure], want, `served Executive after clicking ${cross.value}`);
  await page.screenshot({ path: `${config.screenshots}/served-Executive-clicked-${cross.value}.png`, fullPage: true });
}

// Slicer combinations on the served page, set one after the other from "All": the cards
// follow the filtered SQL each time.
for (const combo of config.expected.combinations) {
  await drawn(() => page.goto(`${config.url}/?${encodeURIComponent(combo.name)}#${encodeURIComponent(combo.page)}`));
  await drawn(() => page.evaluate(values => {
    for (const [id, value] of Object.entries(values)) document.getElementById(`slicer-${id}`).value = value;
    // One change event redraws once with every value set.
    document.getElementById(`slicer-${Object.keys(values)[0]}`).dispatchEvent(new Event("change"));
  }, combo.slicers));
  const shown = await cards();
  for (const [measure, want] of Object.entries(combo.expected)) same(measure, shown[measure], want, `served ${combo.page}, ${combo.name}`);
  await page.screenshot({ path: `${config.screenshots}/served-${combo.page.replace(/ /g, "_")}-${combo.name.replace(/[^A-Za-z0-9]+/g, "_")}.png`, fullPage: true });
}

await browser.close();
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`browser check: ${config.pages.length} pages served and exported, KPIs equal SQL; a click on ${cross.value} and ${config.expected.combinations.length} slicer combinations redraw them to the filtered SQL`);
