/** `actbench report` with speed records: the decision section first, pareto.svg, --html, --prefer / --weights. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli } from '../helpers.js';
import { records } from './records.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-report-decision-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const store = join(dir, 'results.jsonl');
writeFileSync(store, records([
  { activation: 'relu', seed: 1, clean: 0.9, corrupted: 0.8, latency: 1 },
  { activation: 'velu', seed: 1, clean: 0.92, corrupted: 0.85, latency: 2 },
  { activation: 'gelu', seed: 1, clean: 0.85, corrupted: 0.75, latency: 3 },
]).map((r) => JSON.stringify(r) + '\n').join(''));

describe('actbench report: decision section and report.html', () => {
  it('puts the decision first, draws the front, writes report.html with --html and states the trade-off', () => {
    const r = cli('report', '--results', store, '--html', '--weights', 'clean=1,robust=1');
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    assert.ok(md.indexOf('## Decision: accuracy, robustness and speed') < md.indexOf('## Accuracy (top-1 %)'));
    assert.match(md, /Pareto set over \(clean ↑, corruption ↑, latency ↓\): relu, velu\. \*\*Indicative\*\*/);
    assert.match(md, /\| gelu \| 1 \|[^\n]*\| dominated by relu, velu \|/);
    assert.match(md, /--weights clean=1,robust=1: [^\n]*\*\*velu\*\*/);
    assert.match(readFileSync(join(dir, 'pareto.svg'), 'utf8'), /^<svg/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.match(html, /<table class="sortable">/);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/i, 'nothing loaded from outside the file');
    assert.equal((html.match(/class="vega"/g) ?? []).length, 3);
  });

  it('refuses a bad trade-off with a code and exit 2, and --html with --runs', () => {
    const bad = cli('report', '--results', store, '--weights', 'speed=1');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /\[REPORT_BAD_WEIGHTS\].*'speed' is not an axis/);
    const prefer = cli('report', '--results', store, '--prefer', 'fast');
    assert.equal(prefer.code, 2);
    assert.match(prefer.stderr, /\[CLI_BAD_FLAG\].*one of robust, clean, speed/);
    assert.equal(cli('report', '--results', store, '--prefer', 'speed', '--weights', 'clean=1').code, 2);
    assert.equal(cli('report', '--runs', dir, '--html').code, 2);
    assert.ok(!existsSync(join(dir, 'runs.md')));
  });
});
