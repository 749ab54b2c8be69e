/**
 * report.html in a real browser: Debian's chromium driven by playwright-core, the page opened from file://
 * with every other request blocked and recorded. Each figure renders one mark per record, a hover shows the
 * exact value, a legend click hides an activation, the corruption selector switches the curve, a header
 * click sorts a table, the console stays clean and nothing leaves the file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { decisionView, studyFigures } from '../../src/report/decision-view.js';
import { writeReportHtml } from '../../src/report/html.js';
import { LEGEND_PARAM } from '../../src/report/pareto.js';
import { categoryPlot, collectRuns, robustnessMarkdown, severityPlot } from '../../src/report/robustness.js';
import type { BenchRecord } from '../../src/results/store.js';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { records, type Model } from './records.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)`;
if (skip) console.log(`# skipping the browser tests: ${skip}`);

const MODELS: Model[] = [
  { activation: 'relu', seed: 1, clean: 0.9, corrupted: 0.8, latency: 1 },
  { activation: 'relu', seed: 2, clean: 0.92, corrupted: 0.81, latency: 1.1 },
  { activation: 'velu', seed: 1, clean: 0.93, corrupted: 0.85, latency: 2.5 },
  { activation: 'velu', seed: 2, clean: 0.94, corrupted: 0.86, latency: 2.4 },
  { activation: 'gelu', seed: 1, clean: 0.85, corrupted: 0.7, latency: 3 },
  { activation: 'gelu', seed: 2, clean: 0.86, corrupted: 0.71, latency: 3.2 },
];
const ACTS = ['relu', 'velu', 'gelu'];

interface Mark { activation?: string; opacity: number; datum: Record<string, unknown> }

/**
 * The data marks (role 'mark') of one figure's scenegraph, of one mark type. The in-page code is a string:
 * tsx's transform would add helpers to a function that do not exist in the page.
 */
function marks(page: Page, fig: string, marktype: string): Promise<Mark[]> {
  return page.evaluate(`(function () {
    var out = [];
    var walk = function (node) {
      (node.items || []).forEach(function (it) {
        var m = it.mark;
        if (m && m.marktype === ${JSON.stringify(marktype)} && m.role === 'mark' && it.datum) out.push({ activation: it.datum.activation, opacity: it.opacity === undefined ? 1 : it.opacity, datum: it.datum });
        walk(it);
      });
    };
    walk(window.actbenchViews[${JSON.stringify(fig)}].scenegraph().root);
    return out;
  })()`) as Promise<Mark[]>;
}

/** Wait until the view has run its dataflow after an interaction. */
const settle = (page: Page, fig: string) => page.evaluate(`window.actbenchViews[${JSON.stringify(fig)}].runAsync().then(function () { return 1; })`);

describe('report.html in chromium', { skip }, () => {
  let browser: Browser;
  let page: Page;
  let dir: string;
  const blocked: string[] = [];
  const consoleErrors: string[] = [];
  const ids: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'actbench-html-'));
    const recs = records(MODELS);
    const runs = collectRuns(recs);
    const bench = recs.filter((r): r is BenchRecord => r.kind === 'bench');
    const view = await decisionView(runs, bench, { baseline: 'relu', paramsOf: () => 100 });
    const md = robustnessMarkdown({ title: 'html test', intro: ['hand-made records'], runs, bench, baseline: 'relu', plots: { severity: 'severity.svg', categories: 'categories.svg' }, reproduce: [], machine: 'test', decision: view.markdown });
    writeFileAtomic(join(dir, 'severity.svg'), await severityPlot(runs));
    writeFileAtomic(join(dir, 'categories.svg'), await categoryPlot(runs));
    writeFileAtomic(join(dir, 'report.md'), md);
    const html = writeReportHtml(join(dir, 'report.md'), md, studyFigures(runs, view.paretoSpec));
    for (const m of readFileSync(html, 'utf8').matchAll(/<div id="(fig-\d+)" class="vega" data-file="([^"]+)"/g)) ids[m[2]] = m[1];
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage();
    const url = pathToFileURL(html).href;
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      blocked.push(u);
      return route.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(url);
    await page.evaluate('window.actbenchReady');
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders every figure with one mark per record', async () => {
    assert.deepEqual(Object.keys(ids).sort(), ['categories.svg', 'pareto.svg', 'severity.svg']);
    const points = await marks(page, ids['pareto.svg'], 'symbol');
    assert.deepEqual(points.map((p) => p.activation).sort(), [...ACTS].sort());
    // error bars: one horizontal and one vertical rule per activation
    assert.equal((await marks(page, ids['pareto.svg'], 'rule')).length, 2 * ACTS.length);
    // severity (mean over corruptions): clean + 5 severities per activation
    assert.equal((await marks(page, ids['severity.svg'], 'symbol')).length, 6 * ACTS.length);
    // categories: 5 LayerAct categories per activation
    assert.equal((await marks(page, ids['categories.svg'], 'rect')).length, 5 * ACTS.length);
    // the tables: decision, accuracy, per corruption, per severity, CE, speed
    assert.ok((await page.locator('table.sortable').count()) >= 6);
  });

  it('a hover shows the exact value of a point', async () => {
    const fig = ids['pareto.svg'];
    const pts = await marks(page, fig, 'symbol');
    const k = pts.findIndex((p) => p.activation === 'velu');
    await page.locator(`#${fig} g.mark-symbol.role-mark path`).nth(k).hover();
    const tip = page.locator('#vg-tooltip-element');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    const text = await tip.innerText();
    assert.match(text, /velu/);
    assert.match(text, /93\.5/); // clean mean of the two seeds, %
    assert.match(text, /2\.45/); // latency p50 mean, ms
  });

  it('a legend click hides an activation and a second click shows it again', async () => {
    const fig = ids['severity.svg'];
    const label = page.locator(`#${fig} g.role-legend-label text`, { hasText: /^gelu$/ });
    await page.mouse.move(0, 0); // away from the last hover: its tooltip must not cover the legend
    await label.click({ force: true });
    await settle(page, fig);
    const hidden = await marks(page, fig, 'symbol');
    const store = await page.evaluate(`JSON.stringify(window.actbenchViews[${JSON.stringify(fig)}].data('${LEGEND_PARAM}_store'))`);
    assert.deepEqual(hidden.filter((m) => m.opacity === 0).map((m) => m.activation), Array(6).fill('gelu'), `store: ${store}`);
    assert.ok(hidden.filter((m) => m.activation !== 'gelu').every((m) => m.opacity === 1));
    await label.click({ force: true });
    await settle(page, fig);
    assert.ok((await marks(page, fig, 'symbol')).every((m) => m.opacity === 1));
  });

  it('the corruption selector switches the severity curve', async () => {
    const fig = ids['severity.svg'];
    await page.locator(`#${fig} select`).selectOption('fog');
    await page.waitForFunction(`window.actbenchViews[${JSON.stringify(fig)}].signal('corruption') === 'fog'`);
    await settle(page, fig);
    const pts = await marks(page, fig, 'symbol');
    assert.equal(pts.length, 6 * ACTS.length);
    assert.ok(pts.every((p) => p.datum.corruption === 'fog'));
    // fog is corruption index 9: top-1 at severity 1 = corrupted − 0.01 + 0.009
    const relu1 = pts.find((p) => p.activation === 'relu' && p.datum.severity === 1);
    assert.ok(relu1 && Math.abs((relu1.datum.accuracy as number) - 100 * ((0.8 + 0.81) / 2 - 0.01 + 0.009)) < 1e-9);
  });

  it('a header click sorts a table, a second click reverses it', async () => {
    const table = page.locator('table.sortable').first();
    const col = async () => (await table.locator('tbody tr td:nth-child(3)').allInnerTexts()).map((t) => Number(t.split(' ')[0]));
    await table.locator('th', { hasText: /^clean top-1 %$/ }).click();
    const asc = await col();
    assert.deepEqual(asc, [...asc].sort((a, b) => a - b));
    assert.equal(asc.length, 3);
    await table.locator('th', { hasText: /^clean top-1 %$/ }).click();
    assert.deepEqual(await col(), [...asc].reverse());
  });

  it('no console error, and no request left the file', () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(blocked, []);
  });
});
