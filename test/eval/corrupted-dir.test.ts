/**
 * Corrupted directories (issue 9 #1, #3): the layout comes from manifest.json; a cell read from a
 * directory equals the same cell corrupted on the fly, image for image; clean and corrupted cells use the
 * same images under --limit; the store key names the images.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveActivation } from '../../src/acts/define.js';
import { readCorruptionManifest } from '../../src/corrupt/manifest.js';
import { corruptArraySet } from '../../src/corrupt/pipeline.js';
import type { CorruptionName } from '../../src/corrupt/presets.js';
import type { ImageSet } from '../../src/data/dataset.js';
import { encodeNpy } from '../../src/data/npy.js';
import { CifarC } from '../../src/data/released.js';
import { loadDataset } from '../../src/data/sources.js';
import { SPLIT_SEED, stratifiedSubset } from '../../src/data/split.js';
import { ActbenchError } from '../../src/errors.js';
import { cifarCSource, classify, evaluateModel, onTheFlySource, prepareModel, readModelInfo, type EvalSource } from '../../src/eval/evaluate.js';
import { createModel } from '../../src/models/registry.js';
import { exportLayersModel } from '../../src/onnx/export.js';
import { ResultsStore } from '../../src/results/store.js';
import { createSession, type SessionInfo } from '../../src/runtime/session.js';
import { selectBackend } from '../../src/train/backend.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-cdir-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const modelPath = join(dir, 'mlp.onnx');
const SEED = 11;
let full: ImageSet;
let set: ImageSet;
let session: SessionInfo;

/** `actbench corrupt` through the pipeline, which writes the manifest of src/corrupt/manifest.ts. */
async function corruptDir(name: string, s: ImageSet, corruptions: CorruptionName[], severities: number[]): Promise<string> {
  const out = join(dir, name);
  await corruptArraySet(s, { corruptions, severities, seed: SEED, out, workers: 2 }, 'mnist (test, stratified)');
  assert.equal(readCorruptionManifest(out)?.imagesPerSeverity, s.labels.length, 'the pipeline writes the layout eval reads');
  return out;
}

/** The same, for a subset whose per-image seeds come from its images' indices in the full split. */
async function corruptDirWith(name: string, s: ImageSet, corruptions: CorruptionName[], severities: number[], indices: number[]): Promise<string> {
  const out = join(dir, name);
  await corruptArraySet(s, { corruptions, severities, seed: SEED, out, workers: 2, indices }, 'mnist (test, stratified)');
  return out;
}

/** Every batch of one cell: images and predictions. */
async function cellImages(src: EvalSource, corruption: string | null, severity: number | null) {
  const cell = src.cells.find((c) => c.corruption === corruption && c.severity === severity);
  assert.ok(cell, `cell ${corruption}/${severity}`);
  const m = prepareModel(readModelInfo(modelPath), src.describe());
  const images: number[] = [];
  const labels: number[] = [];
  const predictions: number[] = [];
  for await (const b of cell.batches()) {
    images.push(...b.images);
    labels.push(...b.labels);
    predictions.push(...(await classify(session, m, b.images, b.labels, b.height, b.width, b.channels)).predictions);
  }
  return { images, labels, predictions };
}

before(async () => {
  await selectBackend('cpu', 'infer');
  full = loadDataset('mnist').test;
  set = stratifiedSubset(full, 30).set;
  const m = createModel('mlp', { act: resolveActivation('relu'), numClasses: 10, inputShape: [28, 28, 1], width: 0.25, seed: 2 });
  writeFileSync(modelPath, exportLayersModel(m, { preprocess: { mean: [0.13], std: [0.3] } }).bytes);
  session = await createSession(modelPath, { ep: 'cpu' });
});
after(async () => session?.session.release());

describe('corrupted directories', () => {
  for (const severities of [[5], [1, 5], [4, 2, 5]]) {
    it(`severities ${severities.join(',')}: every cell from the directory equals the cell corrupted on the fly, image for image`, async () => {
      const d = await corruptDir(`sev-${severities.join('')}`, set, ['contrast', 'gaussian_noise'], severities);
      const c = new CifarC(d);
      assert.deepEqual(c.severities, severities);
      assert.equal(c.perSeverity, 30);
      const fromDir = cifarCSource(d, { clean: set, batch: 7 });
      const fly = onTheFlySource(set, { name: 'mnist', corruptions: ['contrast', 'gaussian_noise'], severities, seed: SEED, batch: 9, workers: 2 });
      try {
        for (const corruption of ['contrast', 'gaussian_noise'] as const) {
          for (const s of severities) {
            const a = await cellImages(fromDir, corruption, s);
            const b = await cellImages(fly, corruption, s);
            assert.equal(a.labels.length, 30, 'all 30 images, not 30 / 5');
            assert.deepEqual(a.labels, b.labels);
            assert.ok(a.images.every((v, i) => v === b.images[i]), `${corruption}/${s}: identical pixels`);
            assert.deepEqual(a.predictions, b.predictions);
          }
        }
        // and the records: the same accuracy per cell
        const ra = await evaluateModel(modelPath, fromDir, { ep: 'cpu', store: new ResultsStore(join(d, '..', `a-${severities.join('')}.jsonl`)) });
        const rb = await evaluateModel(modelPath, fly, { ep: 'cpu', store: new ResultsStore(join(d, '..', `b-${severities.join('')}.jsonl`)) });
        const byCell = (rs: typeof ra) => Object.fromEntries(rs.map((r) => [`${r.corruption}/${r.severity}`, [r.top1, r.top5, r.n]]));
        assert.equal(ra.length, 1 + 2 * severities.length);
        assert.deepEqual(byCell(ra), byCell(rb));
      } finally {
        await fly.close();
      }
    });
  }

  it('a severity the directory does not hold is refused; released files without a manifest must stack 5 × n rows', async () => {
    const d = await corruptDir('sev15', set, ['contrast'], [1, 5]);
    assert.throws(() => cifarCSource(d, { severities: [3] }), (e: unknown) => e instanceof ActbenchError && e.code === 'CIFARC_BAD_SEVERITY' && /severity 3 outside 1,5: the severities .* holds \(manifest\.json\)/.test(e.message));
    const released = (name: string, rows: number) => {
      const r = join(dir, name);
      mkdirSync(r);
      writeFileSync(join(r, 'labels.npy'), encodeNpy(Uint8Array.from({ length: rows }, (_, k) => k % 10), [rows], 'uint8'));
      writeFileSync(join(r, 'fog.npy'), encodeNpy(new Uint8Array(rows * 784), [rows, 28, 28], 'uint8'));
      return r;
    };
    assert.throws(() => new CifarC(released('seven', 7)), (e: unknown) => e instanceof ActbenchError && e.code === 'CIFARC_LAYOUT' && /5 × n/.test(e.message));
    const ten = new CifarC(released('ten', 10));
    assert.deepEqual([ten.severities, ten.perSeverity], [[1, 2, 3, 4, 5], 2]);
    // a manifest whose rows disagree with labels.npy
    const lie = join(dir, 'lie');
    mkdirSync(lie);
    for (const f of ['labels.npy', 'contrast.npy']) writeFileSync(join(lie, f), readFileSync(join(d, f)));
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    writeFileSync(join(lie, 'manifest.json'), JSON.stringify({ ...m, severities: [1, 3, 5] }));
    assert.throws(() => new CifarC(lie), (e: unknown) => e instanceof ActbenchError && e.code === 'CIFARC_LAYOUT');
    // float labels
    const fl = join(dir, 'float-labels');
    mkdirSync(fl);
    writeFileSync(join(fl, 'labels.npy'), encodeNpy(Float32Array.from({ length: 10 }, () => 0.7), [10], 'float32'));
    writeFileSync(join(fl, 'fog.npy'), encodeNpy(new Uint8Array(10 * 784), [10, 28, 28], 'uint8'));
    assert.throws(() => new CifarC(fl), (e: unknown) => e instanceof ActbenchError && e.code === 'LABEL_BAD');
  });

  it('--limit: clean and corrupted cells use the same stratified images, from a directory of the whole set or of the subset', async () => {
    const whole = await corruptDir('whole', set, ['contrast'], [2, 5]);
    const sub = stratifiedSubset(set, 10);
    const src = cifarCSource(whole, { clean: set, limit: 10 });
    const cleanCell = await cellImages(src, null, null);
    const c = new CifarC(whole);
    for (const s of [2, 5]) {
      const got = await cellImages(src, 'contrast', s);
      assert.equal(got.labels.length, 10, 'the corrupted cell is limited too');
      assert.deepEqual(got.labels, cleanCell.labels);
      assert.deepEqual(got.images, [...c.readRows('contrast', s, sub.indices).images], 'the rows of the subset within the block');
    }
    assert.deepEqual(cleanCell.labels, [...sub.set.labels]);
    // a directory made from the subset itself (corrupt --limit 10): its rows are the subset
    const small = await corruptDir('small', sub.set, ['contrast'], [5]);
    const src2 = cifarCSource(small, { clean: set, limit: 10 });
    assert.deepEqual((await cellImages(src2, 'contrast', 5)).labels, cleanCell.labels);
    // per-image seeds come from the full-split index: a subset corrupted on its own (corrupt --limit), the
    // subset's rows of the whole set, and the subset corrupted on the fly (eval --limit) are the same pixels
    const smallIdx = await corruptDirWith('small-idx', sub.set, ['contrast'], [5], sub.indices);
    const fromSmall = await cellImages(cifarCSource(smallIdx, { clean: set, limit: 10 }), 'contrast', 5);
    const fromWhole = await cellImages(src, 'contrast', 5);
    const fly = onTheFlySource(sub.set, { name: 'mnist', corruptions: ['contrast'], severities: [5], seed: SEED, selection: `stratified:${SPLIT_SEED}`, indices: sub.indices, workers: 2 });
    const fromFly = await cellImages(fly, 'contrast', 5);
    await fly.close();
    assert.deepEqual(fromSmall.images, fromWhole.images, 'corrupt --limit = rows of the whole set');
    assert.deepEqual(fromFly.images, fromWhole.images, 'eval --limit on the fly = rows of the whole set');
    // the store key names the subset: another limit never reuses cells
    const keys = new Set([src.key, cifarCSource(whole, { clean: set, limit: 12 }).key, cifarCSource(whole, { clean: set }).key]);
    assert.equal(keys.size, 3);
    assert.match(src.key, new RegExp(`#n=10,sel=stratified:${SPLIT_SEED},h=[0-9a-f]{12}@seed${SEED}`));
    const flyKey = (n: number, seed: number) => onTheFlySource(stratifiedSubset(set, n).set, { name: 'mnist', corruptions: [], severities: [], seed, selection: `stratified:${SPLIT_SEED}` }).key;
    assert.equal(new Set([flyKey(10, 0), flyKey(12, 0), flyKey(10, 1)]).size, 3);
    assert.equal(flyKey(10, 0), flyKey(10, 0));
  });

  it('a clean set that is not the directory’s images is refused before any record (count, labels, shape)', async () => {
    const d = await corruptDir('mismatch', set, ['contrast'], [5]);
    const store = new ResultsStore(join(dir, 'mismatch.jsonl'));
    const code = (e: unknown) => e instanceof ActbenchError && e.code === 'EVAL_SOURCE_MISMATCH';
    // another count: a 20-image clean set against 30 per severity
    assert.throws(() => cifarCSource(d, { clean: stratifiedSubset(full, 20).set }), (e: unknown) => code(e) && /holds 30 images per severity/.test((e as Error).message));
    // the same count, other images (labels differ)
    const other = { ...set, labels: Int32Array.from(set.labels, (l) => (l + 1) % 10) };
    assert.throws(() => cifarCSource(d, { clean: other }), (e: unknown) => code(e) && /labelled/.test((e as Error).message));
    // another image size
    const rgb = { ...set, channels: 3, images: new Uint8Array(set.images.length * 3) };
    assert.throws(() => cifarCSource(d, { clean: rgb }), (e: unknown) => code(e) && /28×28×1 images, the clean set .* 28×28×3/.test((e as Error).message));
    // a --limit whose subset is neither the directory (30) nor drawn from the set it holds (the whole test set → 7)
    assert.throws(() => cifarCSource(d, { clean: full, limit: 7 }), (e: unknown) => code(e) && /limited to 7 of \d+/.test((e as Error).message));
    // the case: a directory of 30 evaluated with the same --limit on the whole test set reads all 30 (not 30 / 5)
    const same = cifarCSource(d, { clean: full, limit: 30 });
    assert.equal((await cellImages(same, 'contrast', 5)).labels.length, 30);
    assert.equal(store.read().length, 0);
  });
});
