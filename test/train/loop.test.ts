/** The training loop on small data the test makes: learning, exact resume, NaN stop, aux loss. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import { createModel } from '../../src/models/registry.js';
import { train } from '../../src/train/loop.js';
import { DEFAULT_RECIPE, learningRate, type Recipe } from '../../src/train/recipe.js';
import { useCpuBackend, toyData } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'actbench-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useCpuBackend);


const norm = { mean: [0.3], std: [0.3] };
const recipe: Recipe = { ...DEFAULT_RECIPE, epochs: 3, batchSize: 16, lr: 0.05, valFraction: 0 };
const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('training loop', () => {
  it('a few steps reduce the loss and raise accuracy', async () => {
    const model = createModel('cnn_small', { act: resolveActivation('relu'), numClasses: 4, inputShape: [12, 12, 1], width: 0.25, seed: 1 });
    const r = await train({ model, train: toyData(64, 1), val: toyData(32, 2), norm, recipe, seed: 1 });
    const h = r.state.history;
    assert.equal(h.length, 3);
    assert.ok(h[2].loss < h[0].loss * 0.8, `loss ${h.map((x) => x.loss.toFixed(3)).join(' → ')}`);
    assert.ok((h[2].valAcc ?? 0) > 0.5, `val acc ${h[2].valAcc}`);
  });

  it('checkpoint + resume gives the same weights as an uninterrupted run', async () => {
    const make = () => createModel('cnn_small', { act: resolveActivation('pangaea_p6'), numClasses: 4, inputShape: [12, 12, 1], width: 0.25, seed: 4 });
    const data = toyData(48, 3);
    const rc: Recipe = { ...recipe, augment: 'none', momentum: 0.9, nesterov: true, weightDecay: 5e-4 };
    const full = await train({ model: make(), train: data, val: null, norm, recipe: rc, seed: 7 });
    const ckdir = join(dir, 'resume');
    // interrupted after 2 of 3 epochs (same recipe: the schedule depends on the planned length)
    const part = await train({ model: make(), train: data, val: null, norm, recipe: rc, seed: 7, checkpointDir: ckdir, maxSteps: 2 * 3 + 1 });
    assert.equal(part.state.epoch, 2);
    const resumed = await train({ model: make(), train: data, val: null, norm, recipe: rc, seed: 7, checkpointDir: ckdir, resume: true });
    assert.equal(resumed.state.epoch, 3);
    assert.equal(resumed.state.history.length, 3);
    const a = weightsOf(full.model);
    const b = weightsOf(resumed.model);
    assert.equal(a.length, b.length);
    for (let k = 0; k < a.length; k++) for (let j = 0; j < a[k].length; j++) assert.ok(Math.abs(a[k][j] - b[k][j]) < 1e-6, `weight ${k}[${j}]: ${a[k][j]} vs ${b[k][j]}`);
    // and a run that resumes from a different epoch does differ (the comparison can fail)
    assert.ok(a.some((w, k) => w.some((v, j) => v !== weightsOf(part.model)[k][j])));
  });

  it('an activation that produces NaN stops training cleanly with the reason recorded', async () => {
    const model = createModel('cnn_small', { act: resolveActivation('fdiv(1, relu(x))'), numClasses: 4, inputShape: [12, 12, 1], width: 0.25 });
    const ckdir = join(dir, 'nan');
    const r = await train({ model, train: toyData(32, 5), val: null, norm, recipe, seed: 1, checkpointDir: ckdir });
    assert.ok(r.state.stopped);
    assert.equal(r.state.stopped.epoch, 0);
    assert.equal(r.state.stopped.step, 0);
    assert.match(r.state.stopped.reason, /loss became NaN at epoch 1, step 1/);
    assert.equal(r.state.epoch, 0);
  });

  it('VeLU’s auxiliary loss is part of the training loss', async () => {
    const model = createModel('mlp', { act: resolveActivation('velu'), numClasses: 4, inputShape: [12, 12, 1], width: 0.25 });
    const r = await train({ model, train: toyData(32, 6), val: null, norm, recipe: { ...recipe, epochs: 1 }, seed: 1 });
    assert.ok(r.state.history[0].auxLoss > 0, `aux ${r.state.history[0].auxLoss}`);
    const relu = await train({
      model: createModel('mlp', { act: resolveActivation('relu'), numClasses: 4, inputShape: [12, 12, 1], width: 0.25 }),
      train: toyData(32, 6), val: null, norm, recipe: { ...recipe, epochs: 1 }, seed: 1,
    });
    assert.equal(relu.state.history[0].auxLoss, 0);
  });

  it('schedules: step ÷10 at 50 % and 75 %, cosine to 0, linear warm-up', () => {
    const r: Recipe = { ...DEFAULT_RECIPE, epochs: 100, lr: 0.1 };
    assert.equal(learningRate(r, 10), 0.1);
    assert.ok(Math.abs(learningRate(r, 60) - 0.01) < 1e-12);
    assert.ok(Math.abs(learningRate(r, 80) - 0.001) < 1e-12);
    assert.ok(Math.abs(learningRate({ ...r, schedule: 'cosine' }, 50) - 0.05) < 1e-12);
    assert.ok(learningRate({ ...r, schedule: 'cosine' }, 100) < 1e-12);
    assert.ok(Math.abs(learningRate({ ...r, warmupEpochs: 5 }, 2.5) - 0.05) < 1e-9);
  });
});
