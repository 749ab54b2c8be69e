/**
 * Training on the native backend end to end: the loop learns, checkpoint + resume reproduces the
 * uninterrupted run bit for bit, the same seed and thread count give bit-identical weights (and so do
 * different thread counts: every output element is reduced in a fixed order), and a natively trained model
 * exports to ONNX with the parity the export tests demand.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import { createModel } from '../../src/models/registry.js';
import { exportLayersModel } from '../../src/onnx/export.js';
import { compareOnImages } from '../../src/onnx/validate.js';
import { selectBackend } from '../../src/train/backend.js';
import { train } from '../../src/train/loop.js';
import { nativeThreads, setNativeThreads } from '../../src/train/native/addon.js';
import { DEFAULT_RECIPE, type Recipe } from '../../src/train/recipe.js';
import { interruptAndResume } from './resume-run.js';
import { toyData as toyDataGrey } from '../helpers.js';

/** 4 classes of 12×12×3 images */
const toyData = (n: number, seed: number) => toyDataGrey(n, seed, 3);

const dir = mkdtempSync(join(tmpdir(), 'actbench-native-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  const c = await selectBackend('native', 'train');
  assert.equal(c.tfBackend, 'native');
});

/** 4 classes of 12×12×3 images: a bright square in one quadrant plus noise */

const norm = { mean: [0.3, 0.3, 0.3], std: [0.3, 0.3, 0.3] };
const recipe: Recipe = { ...DEFAULT_RECIPE, epochs: 3, batchSize: 16, lr: 0.05, valFraction: 0, augment: 'none', momentum: 0.9, nesterov: true, weightDecay: 5e-4 };
const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Float32Array.from(w.dataSync()));
const make = (act = 'pangaea_p6', seed = 4) => createModel('resnet20', { act: resolveActivation(act), numClasses: 4, inputShape: [12, 12, 3], width: 0.25, seed });

function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((w, k) => w.length === b[k].length && w.every((v, j) => Object.is(v, b[k][j])));
}

describe('training on the native backend', () => {
  it('a few epochs reduce the loss', async () => {
    const model = createModel('cnn_small', { act: resolveActivation('relu'), numClasses: 4, inputShape: [12, 12, 3], width: 0.25, seed: 1 });
    const r = await train({ model, train: toyData(64, 1), val: toyData(32, 2), norm, recipe: { ...recipe, nesterov: false, weightDecay: 0 }, seed: 1 });
    const h = r.state.history;
    assert.ok(h[2].loss < h[0].loss * 0.8, `loss ${h.map((x) => x.loss.toFixed(3)).join(' → ')}`);
    assert.ok((h[2].valAcc ?? 0) > 0.5, `val acc ${h[2].valAcc}`);
    r.model.dispose();
  });

  it('checkpoint + resume gives bit-identical weights to an uninterrupted run', async () => {
    const { full, part, resumed } = await interruptAndResume(make, toyData(48, 3), norm, recipe, dir);
    assert.ok(sameBits(weightsOf(full.model), weightsOf(resumed.model)), 'resumed weights differ from the uninterrupted run');
    assert.ok(!sameBits(weightsOf(full.model), weightsOf(part.model)), 'the comparison can fail');
    for (const m of [full.model, part.model, resumed.model]) m.dispose();
  });

  it('same seed and thread count → bit-identical weights; 1 and 2 threads agree too', async () => {
    const data = toyData(32, 4);
    const run = async (threads: number) => {
      setNativeThreads(threads);
      const r = await train({ model: make('la_silu', 9), train: data, val: null, norm, recipe: { ...recipe, epochs: 2 }, seed: 3 });
      const w = weightsOf(r.model);
      r.model.dispose();
      return w;
    };
    const before = nativeThreads();
    try {
      const a = await run(2);
      const b = await run(2);
      const c = await run(1);
      assert.ok(sameBits(a, b), 'two runs with 2 threads differ');
      assert.ok(sameBits(a, c), '1 thread and 2 threads differ');
    } finally {
      setNativeThreads(before);
    }
  });

  it('a natively trained model exports with ONNX parity (≤ 1e-4 of the logit scale, same top-1)', async () => {
    const data = toyData(32, 6);
    for (const act of ['relu', 'la_silu', 'velu', 'x*sigmoid(a*x)']) {
      const model = createModel('resnet20', { act: resolveActivation(act), numClasses: 4, inputShape: [12, 12, 3], width: 0.25, seed: 2 });
      const r = await train({ model, train: data, val: null, norm, recipe: { ...recipe, epochs: 2 }, seed: 2 });
      for (const fold of [true, false]) {
        const e = exportLayersModel(r.model, { opset: 17, foldBatchNorm: fold });
        const f = await compareOnImages(r.model, e.bytes, toyData(8, 7), norm, { uint8Input: false });
        assert.ok(f.maxAbsDiff <= 1e-4 * Math.max(1, f.logitScale), `${act} fold=${fold}: max |Δlogit| ${f.maxAbsDiff} at scale ${f.logitScale}`);
        assert.equal(f.top1Agreement, 1, `${act} fold=${fold}: top-1 agreement ${f.top1Agreement}`);
      }
      r.model.dispose();
    }
  });
});
