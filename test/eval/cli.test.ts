/** `actbench eval`, `bench`, `study` and `report` as a user runs them: flag domains, path guards, stores, exit status. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeNpy } from '../../src/data/npy.js';
import { cli } from '../helpers.js';
import { tinyModel } from '../runtime/tiny-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-cli-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'm.onnx');
writeFileSync(model, tinyModel({ c: 1, h: 28, w: 28, classes: 10 }));
const nanModel = join(dir, 'nan.onnx');
writeFileSync(nanModel, tinyModel({ c: 1, h: 28, w: 28, classes: 10, weight: () => NaN }));
const cdir = join(dir, 'c');
mkdirSync(cdir);
writeFileSync(join(cdir, 'labels.npy'), encodeNpy(Uint8Array.from({ length: 10 }, (_, k) => k % 10), [10], 'uint8'));
writeFileSync(join(cdir, 'fog.npy'), encodeNpy(new Uint8Array(10 * 784), [10, 28, 28], 'uint8'));

const noStack = (r: { stderr: string }) => assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');

describe('actbench eval / bench / study / report (CLI)', () => {
  it('flag domains and combinations that would be ignored: exit 2 with a code', () => {
    for (const [args, code] of [
      [['--seed', '2.5'], 'CLI_BAD_FLAG'],
      [['--opt-level', 'foo'], 'CLI_BAD_FLAG'],
      [['--ep', 'tpu'], 'CLI_BAD_FLAG'],
      [['--imagenet-c', dir, '--limit', '5'], 'CLI_CONFLICTING_FLAGS'],
      [['--corrupted', cdir, '--seed', '3'], 'CLI_CONFLICTING_FLAGS'],
      [['--corrupted', cdir, '--imagenet-c', dir], 'CLI_CONFLICTING_FLAGS'],
      [['--imagenet-c', dir, '--data', 'mnist'], 'CLI_CONFLICTING_FLAGS'],
      [['--alexnet'], 'CLI_CONFLICTING_FLAGS'],
    ] as [string[], string][]) {
      const r = cli('eval', model, ...args, '--results', join(dir, 'flags.jsonl'));
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`\\[${code}\\]`), args.join(' '));
    }
    const s = cli('study', '--seeds', '1,1');
    assert.equal(s.code, 2);
    assert.match(s.stderr, /\[CLI_BAD_FLAG\].*--seeds.*'1' repeats/);
    const a = cli('study', '--acts', 'relu,,silu');
    assert.equal(a.code, 2);
    assert.match(a.stderr, /\[CLI_BAD_FLAG\].*--acts.*item 2 is empty/);
  });

  it('--results pointing at a model, inside the corrupted dir, or at a JSON file: refused, the file byte-identical', () => {
    const before = readFileSync(model);
    const r1 = cli('eval', model, '--results', model);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /\[OUTPUT_TOUCHES_INPUT\].*--results .* is the model/);
    assert.deepEqual(readFileSync(model), before);
    const r2 = cli('eval', model, '--corrupted', cdir, '--results', join(cdir, 'r.jsonl'));
    assert.match(r2.stderr, /\[OUTPUT_TOUCHES_INPUT\].*is inside the --corrupted directory/);
    const json = join(dir, 'some.json');
    const text = '{\n  "keep": [1, 2, 3]\n}\n';
    writeFileSync(json, text);
    const r3 = cli('eval', model, '--limit', '10', '--corruptions', 'contrast', '--severity', '5', '--results', json);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /\[RESULTS_NOT_A_STORE\] \(file .*some\.json, field line 1\)/);
    assert.equal(readFileSync(json, 'utf8'), text);
    noStack(r3);
  });

  it('a NaN model: evaluated, stored as 0 %, reported with its non-finite count, and a non-zero exit', () => {
    const store = join(dir, 'nan.jsonl');
    const r = cli('eval', nanModel, '--limit', '20', '--corruptions', 'contrast', '--severity', '5', '--results', store);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\[EVAL_NON_FINITE\]/);
    assert.match(r.stderr, /40 of 40 predictions had NaN/);
    assert.match(r.stdout, /non-finite/);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour codes in a pipe');
    const recs = readFileSync(store, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(recs.map((x) => [x.top1, x.nonFinite, x.n]), [[0, 20, 20], [0, 20, 20]]);
    assert.match(recs[0].dataset, /^mnist#n=20,sel=stratified:\d+,h=[0-9a-f]{12}@seed0$/);
    // report: --out onto the store refused; the report shows the non-finite count
    const rr = cli('report', '--results', store, '--out', store);
    assert.equal(rr.code, 1);
    assert.match(rr.stderr, /\[OUTPUT_TOUCHES_INPUT\]/);
    const out = join(dir, 'rep', 'report.md');
    const ok = cli('report', '--results', store, '--out', out);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(readFileSync(out, 'utf8'), /Non-finite outputs: 40 of 40 predictions/);
    // a malformed record: refused with its line
    writeFileSync(store, readFileSync(store, 'utf8') + '{"kind":"eval","model":3}\n');
    const bad = cli('report', '--results', store, '--out', out);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\[RESULTS_BAD_RECORD\] \(file .*nan\.jsonl, field line 3\): .*line 3: field 'model' must be a string/);
    noStack(bad);
  });

  it('bench: a model with dynamic H/W is refused with a code (no crash), accepted with --input-shape', () => {
    const dyn = join(dir, 'dyn.onnx');
    writeFileSync(dyn, tinyModel({ c: 1, h: 28, w: 28, classes: 10, inputDims: ['N', 1, 'H', 'W'] }));
    const r = cli('bench', dyn, '--batches', '1', '--warmup', '1', '--reps', '1', '--ep', 'cpu', '--results', join(dir, 'b.jsonl'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[MODEL_DYNAMIC_INPUT\] \(file .*dyn\.onnx, field X\)/);
    noStack(r);
    const ok = cli('bench', dyn, '--batches', '1,2', '--warmup', '1', '--reps', '2', '--ep', 'cpu', '--input-shape', '1,28,28', '--results', join(dir, 'b.jsonl'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(readFileSync(join(dir, 'b.jsonl'), 'utf8').trim().split('\n').length, 2);
  });
});
