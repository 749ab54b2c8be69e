import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { resolveActivation } from '../../src/acts/define.js';
import { createModel } from '../../src/models/registry.js';
import { makeBatch } from '../../src/train/batches.js';
import { train } from '../../src/train/loop.js';
import { DEFAULT_RECIPE, validateRecipe } from '../../src/train/recipe.js';
import { toyData, useCpuBackend } from '../helpers.js';

describe('train --track-stats', () => {
  before(useCpuBackend);

  it('records each activation layer’s activation-mean distribution on the fixed batch after every epoch', async () => {
    const data = toyData(64, 1);
    const norm = { mean: [0.3], std: [0.2] };
    const fixed = { x: makeBatch(data, Array.from({ length: 16 }, (_, k) => k), norm, 'none').x, shape: [16, 12, 12, 1] as [number, number, number, number] };
    const model = createModel('mlp512', { act: resolveActivation('la_silu'), numClasses: 4, inputShape: [12, 12, 1], seed: 0 });
    const recipe = validateRecipe({ ...DEFAULT_RECIPE, epochs: 2, batchSize: 32, lr: 0.01, augment: 'none', valFraction: 0 });
    const { state } = await train({ model, train: data, val: null, norm, recipe, seed: 0, trackStats: fixed });
    assert.equal(state.history.length, 2);
    for (const h of state.history) {
      assert.equal(h.activationStats?.length, 1);
      const s = h.activationStats![0];
      assert.equal(s.layer, 'act_0');
      assert.equal(s.outputMean.count, 512);
      assert.ok(s.outputMean.q05 <= s.outputMean.median && s.outputMean.median <= s.outputMean.q95);
    }
    // the weights moved between the epochs, so the statistics did too
    assert.notEqual(state.history[0].activationStats![0].outputMean.mean, state.history[1].activationStats![0].outputMean.mean);
    const plain = await train({ model: createModel('mlp512', { act: resolveActivation('relu'), numClasses: 4, inputShape: [12, 12, 1], seed: 0 }), train: data, val: null, norm, recipe: { ...recipe, epochs: 1 }, seed: 0 });
    assert.equal(plain.state.history[0].activationStats, undefined);
  });
});
