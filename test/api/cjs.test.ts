/**
 * The package from CommonJS (issue 13): `require('actbench')` resolves through package.json's `require`
 * condition to dist/index.cjs, whose load() gives the ES module API — the same module object as
 * `import('actbench')` — and a call through it works. Runs against the built dist/ (npm run build).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const root = resolve(new URL('../../', import.meta.url).pathname);
const dir = mkdtempSync(join(tmpdir(), 'actbench-cjs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const consumer = `
const actbench = require('actbench');
const line = JSON.stringify({ kind: 'eval', model: 'm.onnx', modelHash: 'h', dataset: 'd', corruption: null, severity: null, top1: 0.5, top5: 1, n: 4, provider: 'cpu', requestedProvider: 'cpu', optLevel: 'basic', seconds: 0, provenance: { actbench: 't', machine: 't', time: 't' } });
(async () => {
  const m = await actbench.load();
  const viaImport = await import('actbench');
  const records = m.parseStore('s.jsonl', line + '\\n').records;
  let code = null;
  try { m.parseStore('s.jsonl', line.replace('{"kind":"eval"', '{"kind":"eval","schemaVersion":99') + '\\n'); } catch (e) { code = e instanceof m.ActbenchError ? e.code : String(e); }
  console.log(JSON.stringify({
    entry: Object.keys(actbench),
    same: m === viaImport && (await actbench.load()) === m,
    types: ['runSearch', 'runBench', 'runCorrupt', 'reportResults', 'listModels', 'evaluateModel', 'runStudy'].map((k) => typeof m[k]),
    schemaVersion: records[0].schemaVersion,
    csv: m.toCsv(m.csvRows(records, m.collectRuns(records))).split('\\n')[1],
    future: code,
    name: require('actbench/package.json').name,
  }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('require(actbench) from CommonJS', () => {
  it('load() gives the ES module API (the same object as import()), and it works', () => {
    assert.ok(existsSync(join(root, 'dist/index.cjs')) && existsSync(join(root, 'dist/index.js')), 'dist/ is missing or stale: npm run build (npm ci runs it through prepare)');
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules', 'actbench'), 'dir');
    writeFileSync(join(dir, 'consumer.cjs'), consumer);
    const r = spawnSync(process.execPath, ['consumer.cjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    assert.deepEqual(out.entry, ['load']);
    assert.equal(out.same, true);
    assert.deepEqual(out.types, Array(7).fill('function'));
    assert.equal(out.schemaVersion, 1, 'a record without schemaVersion reads as version 1');
    assert.equal(out.csv, 'm.onnx,,,d,clean,0,0.5,0.5,1,4,cpu,h', 'no activation metadata: an empty cell, not the path');
    assert.equal(out.future, 'RESULTS_FUTURE_VERSION');
    assert.equal(out.name, 'actbench');
  });

  it('a plain require() of the ES module itself is refused by Node (why the entry is async)', () => {
    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(root, 'dist/index.js'))})`], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ERR_REQUIRE_ASYNC_MODULE|ERR_REQUIRE_ESM/);
  });
});
