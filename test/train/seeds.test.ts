/**
 * Every seed reproducible (issue 9 #6): initialisers, dropout masks, augmentation and shuffling are drawn
 * from seeds derived from the run seed, for every value in [0, 2³²−1], 0 included (TF.js treats an
 * initialiser seed of 0 as "unseeded").
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import type { ImageSet } from '../../src/data/dataset.js';
import { SeededDropout } from '../../src/models/layers.js';
import { createModel } from '../../src/models/registry.js';
import { epochOrder } from '../../src/train/batches.js';
import { train } from '../../src/train/loop.js';
import { DEFAULT_RECIPE, type Recipe } from '../../src/train/recipe.js';
import { layerSeed, MAX_RUN_SEED, MAX_SEEDED_LAYERS, STREAM, streamSeed } from '../../src/train/seeds.js';
import { selectBackend } from '../../src/train/backend.js';
import { rng } from '../helpers.js';

// wasm: deterministic like the pure-JS backend, and fast enough for a wide ResNet step
before(async () => {
  await selectBackend('wasm', 'train');
});

const relu = resolveActivation('relu');
const bytesOf = (m: tf.LayersModel) => Buffer.concat(m.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer.slice(0))));

/** 4 classes of 12×12×3 images (RGB so the CIFAR augmentation applies), noise around a class pattern. */
function toy(n: number, seed: number): ImageSet {
  const r = rng(seed);
  const images = new Uint8Array(n * 432);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 4;
    for (let k = 0; k < 432; k++) images[i * 432 + k] = Math.floor(((k % 4 === i % 4) ? 150 : 50) + r() * 80);
  }
  return { name: 'toy', images, labels, height: 12, width: 12, channels: 3, numClasses: 4 };
}
const norm = { mean: [0.4, 0.4, 0.4], std: [0.25, 0.25, 0.25] };
const recipe: Recipe = { ...DEFAULT_RECIPE, epochs: 1, batchSize: 4, lr: 0.05, valFraction: 0 };

describe('seed derivation', () => {
  it('layer seeds are never 0 and never alias across layers or run seeds (0 and 2³²−1 included)', () => {
    const edge = fc.oneof(fc.constantFrom(0, 1, MAX_RUN_SEED - 1, MAX_RUN_SEED), fc.integer({ min: 0, max: MAX_RUN_SEED }));
    const layer = fc.oneof(fc.constantFrom(0, 1, MAX_SEEDED_LAYERS - 1), fc.integer({ min: 0, max: MAX_SEEDED_LAYERS - 1 }));
    fc.assert(
      fc.property(edge, layer, edge, layer, (s1, l1, s2, l2) => {
        const a = layerSeed(s1, l1);
        const b = layerSeed(s2, l2);
        assert.ok(a >= 1 && Number.isSafeInteger(a));
        assert.equal(a === b, s1 === s2 && l1 === l2);
      }),
      { numRuns: 2000 },
    );
    assert.throws(() => layerSeed(2 ** 32, 0), /seed must be an integer/);
    assert.throws(() => layerSeed(-1, 0), /seed must be an integer/);
    assert.throws(() => layerSeed(0, MAX_SEEDED_LAYERS), /MODEL_TOO_MANY_LAYERS|at most/);
  });

  it('data streams differ by purpose and by each word', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_RUN_SEED }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (seed, e, f) => {
        fc.pre(e !== f);
        assert.notEqual(streamSeed(STREAM.shuffle, seed, e), streamSeed(STREAM.shuffle, seed, f));
        assert.notEqual(streamSeed(STREAM.augment, seed, e, 0), streamSeed(STREAM.augment, seed, f, 0));
        assert.notEqual(streamSeed(STREAM.shuffle, seed, e), streamSeed(STREAM.augment, seed, e));
      }),
    );
    // seed 0 and 2³²−1 shuffle, and differently
    assert.notDeepEqual(epochOrder(50, 0, 0), epochOrder(50, MAX_RUN_SEED, 0));
    assert.deepEqual(epochOrder(50, 0, 0), epochOrder(50, 0, 0));
  });
});

describe('reproducible models and trainings for every seed', () => {
  it('seed 0 (the default) initialises identically every time; 0, 1 and 2³²−1 differ', () => {
    const make = (seed?: number) => createModel('cnn_small', { act: relu, numClasses: 4, inputShape: [12, 12, 3], width: 0.25, seed });
    const a = bytesOf(make(0));
    assert.ok(a.equals(bytesOf(make(0))), 'seed 0 twice');
    assert.ok(a.equals(bytesOf(make())), 'no seed = seed 0');
    assert.ok(!a.equals(bytesOf(make(1))), 'seed 0 vs 1');
    const top = bytesOf(make(MAX_RUN_SEED));
    assert.ok(top.equals(bytesOf(make(MAX_RUN_SEED))), 'seed 2³²−1 twice');
    assert.ok(!top.equals(a));
  });

  it('no two layers of a model share an initialiser stream', () => {
    // resnet20 at width 0.25 has many 3×3×4×4 kernels: each must come from its own stream
    const m = createModel('resnet20', { act: relu, numClasses: 4, inputShape: [8, 8, 3], width: 0.25, seed: 0 });
    const kernels = m.getWeights().filter((w) => w.shape.length === 4 && w.shape[0] === 3 && w.shape[2] === 4 && w.shape[3] === 4).map((w) => Buffer.from((w.dataSync() as Float32Array).buffer.slice(0)));
    assert.ok(kernels.length >= 6, `${kernels.length} 3×3×4×4 kernels`);
    assert.equal(new Set(kernels.map((k) => k.toString('hex'))).size, kernels.length);
  });

  it('dropout masks come from (layer seed, step): reproducible, new on every step, the rate kept', () => {
    const d = new SeededDropout({ rate: 0.3, seed: 1 });
    const x = tf.ones([4000]);
    const at = (step: number) => {
      d.step = step;
      return Array.from((d.apply(x, { training: true }) as tf.Tensor).dataSync());
    };
    const m0 = at(0);
    assert.deepEqual(at(0), m0);
    assert.notDeepEqual(at(1), m0);
    const dropped = m0.filter((v) => v === 0).length / m0.length;
    assert.ok(Math.abs(dropped - 0.3) < 0.03, `dropped ${dropped}`);
    assert.ok(m0.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
    assert.deepEqual(Array.from((d.apply(x, { training: false }) as tf.Tensor).dataSync()), Array.from(x.dataSync()));
  });

  async function run(model: string, seed: number, o: { dropout?: number; augment?: Recipe['augment'] }): Promise<Buffer> {
    const m = createModel(model, { act: relu, numClasses: 4, inputShape: [12, 12, 3], width: model.startsWith('wrn') ? 1 : 0.25, dropout: o.dropout, seed });
    const r = await train({ model: m, train: toy(12, 1), val: null, norm, recipe: { ...recipe, augment: o.augment ?? 'none' }, seed, maxSteps: 2 });
    const b = bytesOf(r.model);
    r.model.dispose();
    return b;
  }

  it('a training with dropout (wrn --dropout) is reproducible for seed 0; seeds 0 and 1 differ', async () => {
    const a = await run('wrn_10_1', 0, { dropout: 0.3 });
    assert.ok(a.equals(await run('wrn_10_1', 0, { dropout: 0.3 })), 'seed 0 twice');
    assert.ok(!a.equals(await run('wrn_10_1', 1, { dropout: 0.3 })), 'seed 0 vs 1');
    assert.ok(!a.equals(await run('wrn_10_1', 0, { dropout: 0 })), 'dropout has an effect');
  });

  it('a training with CIFAR augmentation is reproducible for seed 0; seeds 0 and 1 differ', async () => {
    const a = await run('cnn_small', 0, { augment: 'cifar' });
    assert.ok(a.equals(await run('cnn_small', 0, { augment: 'cifar' })), 'seed 0 twice');
    assert.ok(!a.equals(await run('cnn_small', 1, { augment: 'cifar' })), 'seed 0 vs 1');
    assert.ok(!a.equals(await run('cnn_small', 0, { augment: 'none' })), 'augmentation has an effect');
  });
});
