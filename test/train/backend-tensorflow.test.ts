/**
 * The tensorflow backend (tfjs-node on libtensorflow from the TensorFlow wheel, `actbench setup tensorflow`):
 * the same seed gives the same weights; checkpoint/resume is exact; a model trained on it exports to ONNX with
 * parity. (Its zoo loss parity with the cpu backend is in zoo-backends.test.ts, with native's and wasm's.)
 * Required: CI sets it up (.ci/run); where it is not set up these tests fail with the one command that fixes it.
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
import { setupTensorflow } from '../../src/setup/install.js';
import { tensorflowStatus } from '../../src/setup/status.js';
import { selectBackend } from '../../src/train/backend.js';
import { train } from '../../src/train/loop.js';
import { DEFAULT_RECIPE, type Recipe } from '../../src/train/recipe.js';
import { interruptAndResume } from './resume-run.js';
import { toyData } from '../helpers.js';
import { trainSteps } from './parity-steps.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-tfnode-'));
after(() => rmSync(dir, { recursive: true, force: true }));

before(async () => {
  const s = tensorflowStatus('cpu');
  assert.ok(s.ready, s.ready ? '' : `the tensorflow backend is required for these tests: ${s.reason}. Fix: ${s.fix}`);
  await selectBackend('tensorflow', 'train');
});

describe('tensorflow backend: determinism, resume, export', () => {
  it('the same seed and thread count give the same weights', async () => {
    const a = await trainSteps('tensorflow', 'resnet20', 'pangaea_p5', 10, 4);
    const b = await trainSteps('tensorflow', 'resnet20', 'pangaea_p5', 10, 4);
    assert.deepEqual(b.losses, a.losses);
    a.weights.forEach((w, k) => assert.ok(w.every((v, j) => v === b.weights[k][j]), `weight tensor ${k} differs between two identical runs`));
  });

  const norm = { mean: [0.3], std: [0.3] };
  const recipe: Recipe = { ...DEFAULT_RECIPE, epochs: 3, batchSize: 16, lr: 0.05, valFraction: 0, augment: 'none', momentum: 0.9, nesterov: true, weightDecay: 5e-4 };
  const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

  it('checkpoint + resume gives the same weights as an uninterrupted run', async () => {
    await selectBackend('tensorflow', 'train');
    const make = () => createModel('cnn_small', { act: resolveActivation('x*sigmoid(a*x)'), numClasses: 4, inputShape: [12, 12, 1], width: 0.25, seed: 4 });
    const { full, resumed } = await interruptAndResume(make, toyData(48, 3), norm, recipe, dir);
    assert.ok(full.state.history[2].loss < full.state.history[0].loss, `loss ${full.state.history.map((h) => h.loss)}`);
    const a = weightsOf(full.model);
    const b = weightsOf(resumed.model);
    for (let k = 0; k < a.length; k++) for (let j = 0; j < a[k].length; j++) assert.ok(Math.abs(a[k][j] - b[k][j]) < 1e-6, `weight ${k}[${j}]: ${a[k][j]} vs ${b[k][j]}`);
  });

  it('a model trained on it exports to ONNX with parity (max |Δlogit| ≤ 1e-4 of the logit scale, same top-1)', async () => {
    await selectBackend('tensorflow', 'train');
    for (const act of ['la_silu', 'x*sigmoid(a*x)']) {
      const model = createModel('cnn_small', { act: resolveActivation(act), numClasses: 4, inputShape: [12, 12, 1], width: 0.25, seed: 2 });
      const r = await train({ model, train: toyData(64, 1), val: null, norm, recipe: { ...recipe, epochs: 2 }, seed: 1 });
      const e = exportLayersModel(r.model, { opset: 17, foldBatchNorm: true });
      const f = await compareOnImages(r.model, e.bytes, toyData(16, 9), norm, { uint8Input: false });
      assert.ok(f.maxAbsDiff <= 1e-4 * Math.max(1, f.logitScale), `${act}: max |Δlogit| ${f.maxAbsDiff} at logit scale ${f.logitScale}`);
      assert.equal(f.top1Agreement, 1);
      r.model.dispose();
    }
  });

  it('setup again is "already done" and fast', async () => {
    const t0 = performance.now();
    const r = await setupTensorflow();
    assert.equal(r.status, 'already');
    assert.equal(r.record.check.tfVersion, '2.21.0');
    assert.ok(performance.now() - t0 < 10_000);
  });
});
