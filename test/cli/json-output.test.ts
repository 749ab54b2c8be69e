/**
 * Output for scripts (issue 13): `--json` on bench, corrupt and report prints exactly what was stored (the
 * records, the manifest) on stdout, with the human text on stderr; `report --csv` has one row per model ×
 * cell in RobustBench's long form.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CSV_COLUMNS } from '../../src/report/csv.js';
import { CORRUPTIONS } from '../../src/corrupt/presets.js';
import { ResultsStore, type EvalRecord } from '../../src/results/store.js';
import { cli, runMain } from '../helpers.js';
import { records } from '../report/records.js';
import { tinyModel } from '../runtime/tiny-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-json-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = runMain;

/** A store written through the store (so every record carries its schemaVersion), with a dataset key that needs CSV quoting. */
function storeOf(name: string, models: Parameters<typeof records>[0]): string {
  const f = join(dir, name);
  const s = new ResultsStore(f);
  for (const r of records(models, { dataset: 'npy:a.npy,b.npy "x"' })) s.append(r);
  return f;
}

describe('--json and --csv', () => {
  it('bench --json: stdout is the stored records, the table goes to stderr', () => {
    const model = join(dir, 'm.onnx');
    writeFileSync(model, tinyModel({ c: 1, h: 8, w: 8, classes: 3 }));
    const results = join(dir, 'bench.jsonl');
    const r = cli('bench', model, '--batches', '1,2', '--warmup', '1', '--reps', '2', '--ep', 'cpu', '--results', results, '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { results: string; records: unknown[] };
    assert.equal(out.results, results);
    assert.equal(out.records.length, 2);
    assert.deepEqual(out.records, new ResultsStore(results).read());
    assert.deepEqual(out.records.map((x) => (x as { batch: number; schemaVersion: number }).batch), [1, 2]);
    assert.ok(out.records.every((x) => (x as { schemaVersion: number }).schemaVersion === 1));
    assert.match(r.stderr, /img\/s/);
    assert.match(r.stderr, /results: .*bench\.jsonl/);
  });

  it('corrupt --json: stdout is the run (files written, skipped) and the manifest as written', async () => {
    const out = join(dir, 'c');
    const args = ['corrupt', '--data', 'mnist', '--limit', '10', '--corruptions', 'gaussian_noise,fog', '--severity', '1,3', '--out', out, '--workers', '1', '--json'];
    const r = await run(...args);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { out: string; written: string[]; skipped: string[]; images: number; manifest: unknown };
    assert.equal(j.out, out);
    assert.deepEqual(j.written.sort(), [join(out, 'fog.npy'), join(out, 'gaussian_noise.npy')]);
    assert.equal(j.images, 10 * 2 * 2, 'images written: 10 per corruption and severity');
    assert.equal((j.manifest as { subset: { images: number } }).subset.images, 10);
    assert.deepEqual(j.manifest, JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    assert.match(r.stderr, /2? ?written, 0 already complete/);
    const again = JSON.parse((await run(...args)).stdout) as { written: string[]; skipped: string[] };
    assert.deepEqual(again.written, []);
    assert.ok(again.skipped.length >= 2);
  });

  it('report --json: the records equal the stored ones, one summary per model; writes no files', async () => {
    const f = storeOf('r.jsonl', [{ activation: 'relu', seed: 1, clean: 0.9, corrupted: 0.8, latency: 1 }, { activation: 'velu', seed: 1, clean: 0.92, corrupted: 0.85 }]);
    const r = await run('report', '--results', f, '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { baseline: string; models: { activation: string; aggregates: { clean: { top1: number } } }[]; records: EvalRecord[]; bench: unknown[] };
    const stored = new ResultsStore(f).read();
    assert.deepEqual(j.records, stored.filter((x) => x.kind === 'eval'));
    assert.deepEqual(j.bench, stored.filter((x) => x.kind === 'bench'));
    assert.equal(j.bench.length, 2);
    assert.deepEqual(j.models.map((m) => [m.activation, m.aggregates.clean.top1]), [['relu', 0.9], ['velu', 0.92]]);
    assert.equal(j.baseline, 'relu');
    assert.throws(() => readFileSync(join(dir, 'report.md')), /ENOENT/);
  });

  it('report --csv: one row per model × cell (clean as severity 0), RobustBench long form, quoted where needed', async () => {
    const f = storeOf('csv.jsonl', [{ activation: 'relu', seed: 1, clean: 0.9, corrupted: 0.8 }, { activation: 'gelu', seed: 2, clean: 0.5, corrupted: 0.4 }, { activation: 'velu', seed: 1, clean: 0.7, corrupted: 0.6 }]);
    const r = await run('report', '--results', f, '--csv');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], CSV_COLUMNS.join(','));
    assert.equal(lines[0], 'model,activation,seed,dataset,corruption,severity,accuracy,error,top5,n,provider,model_hash');
    const cells = 1 + CORRUPTIONS.length * 5;
    assert.equal(lines.length - 1, 3 * cells, 'models × cells');
    assert.equal(lines[1], 'models/relu-1/model.onnx,relu,1,"npy:a.npy,b.npy ""x""",clean,0,0.9,0.1,1,100,cpu,relu-1');
    // the records' top1 for gaussian_noise severity 2 of gelu: corrupted − 0.01·2 + 0.001·0
    const g = lines.find((l) => l.startsWith('models/gelu-2/model.onnx,gelu,2,') && l.includes(',gaussian_noise,2,'));
    assert.equal(g, `models/gelu-2/model.onnx,gelu,2,"npy:a.npy,b.npy ""x""",gaussian_noise,2,${0.4 - 0.02},${+(1 - (0.4 - 0.02)).toFixed(12)},1,100,cpu,gelu-2`);
    // every model's rows: clean first, then the corruptions in catalogue order, severities ascending
    const relu = lines.slice(1, 1 + cells).map((l) => l.split(',').slice(5, 7).join('/'));
    assert.deepEqual(relu.slice(0, 7), ['clean/0', 'gaussian_noise/1', 'gaussian_noise/2', 'gaussian_noise/3', 'gaussian_noise/4', 'gaussian_noise/5', 'shot_noise/1']);
    const bad = await run('report', '--results', f, '--csv', '--json');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /CLI_CONFLICTING_FLAGS/);
    assert.equal((await run('report', '--results', f, '--csv', '--html')).code, 2);
  });
});
