/** actbench eval on files the test makes: streaming, resume, provider fallback, malformed inputs. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveActivation } from '../../src/acts/define.js';
import { encodeNpy, NpyFile } from '../../src/data/npy.js';
import { cifarCSource, evaluateModel, imagenetCSource, onTheFlySource } from '../../src/eval/evaluate.js';
import { corruptFolder } from '../../src/corrupt/pipeline.js';
import { PNG } from 'pngjs';
import { createModel } from '../../src/models/registry.js';
import { exportLayersModel } from '../../src/onnx/export.js';
import { ResultsStore, type EvalRecord } from '../../src/results/store.js';
import { createSession } from '../../src/runtime/session.js';
import { selectBackend } from '../../src/train/backend.js';
import { ActbenchError } from '../../src/errors.js';
import { rng } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const modelPath = join(dir, 'mlp.onnx');
const norm = { mean: [0.3], std: [0.3] };

function images(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n * 784 }, () => Math.floor(r() * 256));
}
const labels = (n: number) => Uint8Array.from({ length: n }, (_, k) => k % 10);

/** A CIFAR-10-C style directory of 28×28 grey images: `corruptions` files of `sev` stacked severities. */
function cDir(name: string, perSeverity: number, corruptions: string[], sev = 5): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'labels.npy'), encodeNpy(Uint8Array.from({ length: perSeverity * sev }, (_, k) => k % 10), [perSeverity * sev], 'uint8'));
  for (const [k, c] of corruptions.entries()) writeFileSync(join(d, `${c}.npy`), encodeNpy(images(perSeverity * sev, k + 1), [perSeverity * sev, 28, 28], 'uint8'));
  return d;
}

before(async () => {
  await selectBackend('cpu', 'infer');
  const m = createModel('mlp', { act: resolveActivation('relu'), numClasses: 10, inputShape: [28, 28, 1], width: 0.25, seed: 2 });
  writeFileSync(modelPath, exportLayersModel(m, { preprocess: norm, metadata: { 'actbench.activation': JSON.stringify(resolveActivation('relu')) } }).bytes);
});

describe('actbench eval', () => {
  it('streams a CIFAR-C .npy (47 MB) in batch-sized row ranges, never whole', async () => {
    const perSeverity = 12000; // 5 × 12 000 × 784 B ≈ 47 MB on disk
    const d = cDir('big', perSeverity, ['fog']);
    const store = new ResultsStore(join(dir, 'big.jsonl'));
    // record every range read from the image file: none may exceed the batch, together they cover it once
    const reads: [number, number][] = [];
    const original = NpyFile.prototype.read;
    NpyFile.prototype.read = function (this: NpyFile, start?: number, end?: number) {
      if (this.file.endsWith('fog.npy')) reads.push([start ?? 0, end ?? this.rows]);
      return original.call(this, start, end);
    };
    let recs;
    try {
      recs = await evaluateModel(modelPath, cifarCSource(d, { batch: 512 }), { ep: 'cpu', store });
    } finally {
      NpyFile.prototype.read = original;
    }
    assert.equal(recs.length, 5);
    assert.ok(recs.every((r) => r.n === perSeverity && r.top1 >= 0 && r.top1 <= 1 && r.top5 >= r.top1));
    assert.ok(reads.every(([a, b]) => b - a <= 512), 'every read is at most one batch (512 × 784 B)');
    const sorted = [...reads].sort((x, y) => x[0] - y[0]);
    assert.equal(sorted[0][0], 0);
    for (let k = 1; k < sorted.length; k++) assert.equal(sorted[k][0], sorted[k - 1][1]);
    assert.equal(sorted.at(-1)?.[1], 5 * perSeverity);
  });

  it('a killed run resumes to the same results, without duplicates', async () => {
    const d = cDir('resume', 200, ['contrast', 'pixelate']);
    const full = new ResultsStore(join(dir, 'full.jsonl'));
    const fullRecs = await evaluateModel(modelPath, cifarCSource(d, {}), { ep: 'cpu', store: full });
    const cut = new ResultsStore(join(dir, 'cut.jsonl'));
    let cells = 0;
    await assert.rejects(
      evaluateModel(modelPath, cifarCSource(d, {}), { ep: 'cpu', store: cut, onCell: () => { if (++cells === 4) throw new Error('killed'); } }),
      /killed/,
    );
    assert.equal(cut.read().length, 4);
    const skipped: string[] = [];
    await evaluateModel(modelPath, cifarCSource(d, {}), { ep: 'cpu', store: cut, onCell: (r, s) => s && skipped.push(`${r.corruption}/${r.severity}`) });
    assert.equal(skipped.length, 4);
    const key = (r: EvalRecord) => `${r.corruption}/${r.severity}`;
    const got = Object.fromEntries((cut.read() as EvalRecord[]).map((r) => [key(r), r.top1]));
    assert.equal(Object.keys(got).length, 10);
    assert.equal(cut.read().length, 10);
    for (const r of fullRecs) assert.equal(got[key(r)], r.top1);
  });

  it('on-the-fly corruption: clean cell plus every (corruption, severity); reproducible under the seed', async () => {
    const clean = { name: 't', images: images(64, 9), labels: Int32Array.from(labels(64)), height: 28, width: 28, channels: 1, numClasses: 10 };
    const run = async (file: string) => {
      const src = onTheFlySource(clean, { name: 't', corruptions: ['gaussian_noise', 'zoom_blur'], severities: [1, 5], seed: 4, batch: 20, workers: 2 });
      try {
        return await evaluateModel(modelPath, src, { ep: 'cpu', store: new ResultsStore(join(dir, file)) });
      } finally {
        await src.close();
      }
    };
    const a = await run('fly1.jsonl');
    const b = await run('fly2.jsonl');
    assert.deepEqual(a.map((r) => `${r.corruption ?? 'clean'}/${r.severity ?? '-'}`), ['clean/-', 'gaussian_noise/1', 'gaussian_noise/5', 'zoom_blur/1', 'zoom_blur/5']);
    assert.deepEqual(a.map((r) => r.top1), b.map((r) => r.top1));
    assert.ok(a.every((r) => r.n === 64));
  });

  it('--ep cuda without CUDA falls back to the CPU provider, and the result says so', async () => {
    const s = await createSession(modelPath, { ep: 'cuda' });
    assert.equal(s.requestedEp, 'cuda');
    assert.equal(s.actualEp, 'cpu');
    assert.match(s.fallbackReason ?? '', /cuda provider unavailable/);
    await s.session.release();
    await assert.rejects(createSession(modelPath, { ep: 'cuda', disableCpuFallback: true }), /CPU fallback is disabled/);
    const d = cDir('ep', 4, ['fog']);
    const store = new ResultsStore(join(dir, 'ep.jsonl'));
    const [rec] = await evaluateModel(modelPath, cifarCSource(d, {}), { ep: 'cuda', store });
    assert.equal(rec.provider, 'cpu');
    assert.equal(rec.requestedProvider, 'cuda');
  });

  it('reads ImageNet-C style trees (<corruption>/<severity>/<class>/<file>), decoding in workers', async () => {
    const root = join(dir, 'clean-folder');
    for (const [cls, v] of [['ant', 30], ['bee', 220]] as const) {
      mkdirSync(join(root, cls), { recursive: true });
      for (let k = 0; k < 3; k++) {
        const png = new PNG({ width: 32, height: 32 });
        for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : (v + i * (k + 1)) % 256;
        writeFileSync(join(root, cls, `${k}.png`), PNG.sync.write(png));
      }
    }
    const tree = join(dir, 'tree-c');
    await corruptFolder(root, { corruptions: ['contrast', 'pixelate'], severities: [1, 5], seed: 0, out: tree, workers: 2 });
    const m = createModel('mlp', { act: resolveActivation('relu'), numClasses: 2, inputShape: [32, 32, 3], width: 0.25, seed: 1 });
    const rgbModel = join(dir, 'rgb.onnx');
    writeFileSync(rgbModel, exportLayersModel(m, { preprocess: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } }).bytes);
    const src = imagenetCSource(tree, { severities: [1, 5], batch: 4, workers: 2 });
    try {
      const recs = await evaluateModel(rgbModel, src, { ep: 'cpu', store: new ResultsStore(join(dir, 'tree.jsonl')) });
      // cells in the reference order of the corruptions, 6 images each (2 classes × 3)
      assert.deepEqual(recs.map((r) => `${r.corruption}/${r.severity}/${r.n}`), ['contrast/1/6', 'contrast/5/6', 'pixelate/1/6', 'pixelate/5/6']);
      assert.ok(recs.every((r) => r.top1 >= 0 && r.top1 <= 1));
    } finally {
      await src.close();
    }
  });

  it('malformed inputs fail clearly and leave no partial results', async () => {
    const store = new ResultsStore(join(dir, 'bad.jsonl'));
    // images of the wrong shape for the model
    const wrong = join(dir, 'wrong');
    mkdirSync(wrong);
    writeFileSync(join(wrong, 'labels.npy'), encodeNpy(labels(10), [10], 'uint8'));
    writeFileSync(join(wrong, 'fog.npy'), encodeNpy(new Uint8Array(10 * 32 * 32 * 3), [10, 32, 32, 3], 'uint8'));
    await assert.rejects(evaluateModel(modelPath, cifarCSource(wrong, {}), { ep: 'cpu', store }), (e: unknown) => e instanceof ActbenchError && e.code === 'MODEL_INPUT_SHAPE' && /expects 28×28×1 images \(H×W×C\), the data has 32×32×3/.test(e.message));
    // labels and images of different lengths
    const len = join(dir, 'len');
    mkdirSync(len);
    writeFileSync(join(len, 'labels.npy'), encodeNpy(labels(15), [15], 'uint8'));
    writeFileSync(join(len, 'fog.npy'), encodeNpy(images(10, 1), [10, 28, 28], 'uint8'));
    assert.throws(() => cifarCSource(len, {}), /fog\.npy: uint8 \(10, 28, 28\), expected uint8 with 15 rows like labels\.npy/);
    // a truncated .npy
    const tr = join(dir, 'trunc');
    mkdirSync(tr);
    writeFileSync(join(tr, 'labels.npy'), encodeNpy(labels(10), [10], 'uint8'));
    writeFileSync(join(tr, 'fog.npy'), encodeNpy(images(10, 1), [10, 28, 28], 'uint8').subarray(0, 3000));
    assert.throws(() => cifarCSource(tr, {}), (e: unknown) => e instanceof ActbenchError && e.code === 'NPY_TRUNCATED');
    assert.equal(store.read().length, 0, 'no partial results');
  });
});
