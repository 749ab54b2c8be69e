/**
 * No growth over 200 native training steps: the live tensor count and bytes stay constant after the
 * first step, and the recycled output buffers do not pile up (see src/train/native/buffer-pool.ts).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import { createModel } from '../../src/models/registry.js';
import { selectBackend } from '../../src/train/backend.js';

before(async () => {
  await selectBackend('native', 'train');
});

describe('native backend memory', () => {
  it('200 training steps of a small resnet leak no tensors and no pooled memory', () => {
    const model = createModel('resnet20', { act: resolveActivation('la_silu'), numClasses: 10, inputShape: [8, 8, 3], width: 0.25, seed: 1 });
    const opt: tf.Optimizer = tf.train.momentum(0.01, 0.9);
    const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([1, 7, 3, 0], 'int32'), 10).toFloat();
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
        opt.applyGradients(grads);
        return value.dataSync()[0];
      });
    step();
    const after1 = tf.memory();
    let rss20 = 0;
    for (let k = 2; k <= 200; k++) {
      const loss = step();
      assert.ok(Number.isFinite(loss));
      const m = tf.memory();
      assert.equal(m.numTensors, after1.numTensors, `step ${k}: ${m.numTensors} tensors, ${after1.numTensors} after step 1`);
      assert.equal(m.numBytes, after1.numBytes, `step ${k}: ${m.numBytes} bytes`);
      if (k === 20) rss20 = process.memoryUsage().rss;
    }
    // RSS is noisy (GC timing): only gross growth is an error; the bench reports the number
    const grown = (process.memoryUsage().rss - rss20) / 2 ** 20;
    assert.ok(grown < 64, `RSS grew ${grown.toFixed(0)} MiB between steps 20 and 200`);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });
});
