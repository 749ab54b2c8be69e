/** Every zoo architecture can take a training step (every layer has a gradient) and the loss is finite. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { resolveActivation } from '../../src/acts/define.js';
import { createModel, modelNames } from '../../src/models/registry.js';
import { selectBackend } from '../../src/train/backend.js';
import { trainingStepStats } from '../helpers.js';

before(async () => {
  await selectBackend('wasm', 'train');
});

describe('one training step through every zoo architecture (wasm)', () => {
  // ImageNet-scale models: test/models/zoo-imagenet.test.ts takes their training step
  for (const name of modelNames({ scale: ['mnist', 'cifar'] })) {
    it(name, () => {
      const small = name === 'cnn_small' || name === 'mlp';
      const shape: [number, number, number] = small ? [28, 28, 1] : [32, 32, 3];
      const act = name.startsWith('resnet') ? 'la_silu' : 'pangaea_p6';
      const model = createModel(name, { act: resolveActivation(act), numClasses: 10, inputShape: shape, width: name.startsWith('wrn') ? 1 : 0.5 });
      const { loss, finite, nonzero } = trainingStepStats(model, shape);
      assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
      assert.ok(finite, 'all gradients finite');
      assert.ok(nonzero > 0.9, `${(100 * nonzero).toFixed(0)} % of the weights get a gradient`);
      model.dispose();
    });
  }
});
