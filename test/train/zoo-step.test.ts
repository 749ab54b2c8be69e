/** Every zoo architecture can take a training step (every layer has a gradient) and the loss is finite. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import { createModel, modelNames } from '../../src/models/registry.js';
import { selectBackend } from '../../src/train/backend.js';

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
      const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      const { loss, finite, nonzero } = tf.tidy(() => {
        const x = tf.randomNormal([2, ...shape], 0, 1, 'float32', 1);
        const y = tf.oneHot(tf.tensor1d([1, 7], 'int32'), 10).toFloat();
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
        const all = Object.values(grads);
        return {
          loss: value.dataSync()[0],
          finite: all.every((g) => (g.dataSync() as Float32Array).every(Number.isFinite)),
          nonzero: all.filter((g) => tf.any(tf.notEqual(g, 0)).dataSync()[0]).length / all.length,
        };
      });
      assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
      assert.ok(finite, 'all gradients finite');
      assert.ok(nonzero > 0.9, `${(100 * nonzero).toFixed(0)} % of the weights get a gradient`);
      model.dispose();
    });
  }
});
