/** Scoring (issue 9 #2): a prediction is correct only when the true logit is finite and strictly the largest. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { evaluateModel, onTheFlySource, scoreLogits } from '../../src/eval/evaluate.js';
import { robustnessMarkdown, collectRuns, mainTable } from '../../src/report/robustness.js';
import { ResultsStore, type EvalRecord } from '../../src/results/store.js';
import { rng } from '../helpers.js';
import { tinyModel } from '../runtime/tiny-onnx.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-score-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('scoreLogits', () => {
  it('NaN, all-equal and tied logits never count as correct; non-finite predictions are counted', () => {
    const k = 4;
    const rows = [
      [NaN, NaN, NaN, NaN], // all NaN
      [1, 1, 1, 1], // all equal
      [3, 3, 0, 0], // true class 0 tied with class 1
      [3, 2, 1, 0], // strictly largest: correct
      [NaN, 2, 1, 0], // true logit NaN
      [5, NaN, 1, 0], // another logit NaN: not strictly largest over every logit
      [Infinity, 1, 0, 0], // true logit infinite
      [1, -Infinity, 0, 0], // finite and largest, but the row has a non-finite logit
    ];
    const r = scoreLogits(Float32Array.from(rows.flat()), new Int32Array(rows.length), k);
    assert.equal(r.top1, 2, 'rows 3 and 7 only');
    assert.equal(r.nonFinite, 5);
    assert.deepEqual([...r.predictions], [-1, 0, 0, 0, 1, 0, 1, 0]);
  });

  it('top-5: fewer than 5 other logits ≥ the true one; ties count against', () => {
    const row = [5, 5, 5, 5, 5, 5, 0, 0]; // true class 0 tied with five others
    assert.equal(scoreLogits(Float32Array.from(row), Int32Array.of(0), 8).top5, 0);
    const row2 = [5, 6, 6, 6, 6, 0, 0, 0]; // four above: still top-5
    assert.equal(scoreLogits(Float32Array.from(row2), Int32Array.of(0), 8).top5, 1);
    const allNaN = Array(8).fill(NaN);
    assert.equal(scoreLogits(Float32Array.from(allNaN), Int32Array.of(0), 8).top5, 0);
  });

  it('property: with distinct finite logits, top-1 is argmax = label and top-5 the label among the 5 largest', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }).chain((k) => fc.tuple(fc.constant(k), fc.uniqueArray(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: k, maxLength: k }), fc.integer({ min: 0, max: k - 1 }))), ([k, row, label]) => {
        const f = Float32Array.from(row);
        if (new Set(f).size !== k) return; // float32 rounding merged two
        const r = scoreLogits(f, Int32Array.of(label), k);
        const order = [...f.keys()].sort((a, b) => f[b] - f[a]);
        assert.equal(r.top1, order[0] === label ? 1 : 0);
        assert.equal(r.top5, order.slice(0, 5).includes(label) ? 1 : 0);
        assert.equal(r.nonFinite, 0);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a row holding any NaN is never correct and always counted non-finite', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.float({ noNaN: true }), fc.constant(NaN)), { minLength: 2, maxLength: 10 }).filter((r) => r.some(Number.isNaN)), fc.nat(), (row, l) => {
        const label = l % row.length;
        const r = scoreLogits(Float32Array.from(row), Int32Array.of(label), row.length);
        assert.equal(r.top1, 0);
        assert.equal(r.nonFinite, 1);
      }),
    );
  });
});

describe('a model that outputs NaN or constant logits scores 0, and the report says so', () => {
  const r = rng(3);
  const clean = { name: 'nan', images: Uint8Array.from({ length: 20 * 784 }, () => Math.floor(r() * 256)), labels: Int32Array.from({ length: 20 }, (_, k) => k % 10), height: 28, width: 28, channels: 1, numClasses: 10 };
  const run = async (name: string, weight: (p: number, k: number) => number) => {
    const p = join(dir, name);
    writeFileSync(p, tinyModel({ c: 1, h: 28, w: 28, classes: 10, weight }));
    const src = onTheFlySource(clean, { name: 'nan', corruptions: ['contrast'], severities: [5], seed: 0, workers: 1 });
    try {
      return await evaluateModel(p, src, { ep: 'cpu', store: new ResultsStore(join(dir, 'nan.jsonl')) });
    } finally {
      await src.close();
    }
  };
  it('NaN weights: clean 0 %, every prediction non-finite; zero weights (all-equal logits): 0 %', async () => {
    const nan = await run('nan.onnx', () => NaN);
    assert.deepEqual(nan.map((x) => [x.top1, x.top5, x.nonFinite]), [[0, 0, 20], [0, 0, 20]]);
    const flat = await run('flat.onnx', () => 0);
    assert.deepEqual(flat.map((x) => [x.top1, x.top5, x.nonFinite]), [[0, 0, 0], [0, 0, 0]]);
    const records = new ResultsStore(join(dir, 'nan.jsonl')).read() as EvalRecord[];
    const runs = collectRuns(records);
    const { header, rows } = mainTable(runs);
    const col = header.indexOf('non-finite');
    assert.ok(col > 0, 'a non-finite column');
    assert.deepEqual(rows.map((row) => row[col]).sort(), ['0 / 40', '40 / 40']);
    const md = robustnessMarkdown({ title: 't', intro: [], runs, bench: [], plots: { severity: 's.svg', categories: 'c.svg' }, reproduce: [], machine: 'm' });
    assert.match(md, /\*\*Non-finite outputs: 40 of 80 predictions had a NaN or infinite logit\*\*/);
    assert.match(md, /40\/40 \(every prediction: the model is broken\)/);
  });
});
