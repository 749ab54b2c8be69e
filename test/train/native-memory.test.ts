/**
 * No growth over 200 native training steps: the live tensor count and bytes stay constant after the
 * first step, and the recycled output buffers do not pile up (see src/train/native/buffer-pool.ts).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { resolveActivation } from '../../src/acts/define.js';
import { createModel } from '../../src/models/registry.js';
import { selectBackend } from '../../src/train/backend.js';

// a full GC before each RSS reading: without it V8's lazy collection of freed arrays looks like growth
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

before(async () => {
  await selectBackend('native', 'train');
});

describe('native backend memory', () => {
  it('200 training steps of a small resnet (after 50 warm-up steps) leak no tensors and no memory', () => {
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
    let rss50 = 0;
    for (let k = 2; k <= 250; k++) {
      const loss = step();
      assert.ok(Number.isFinite(loss));
      const m = tf.memory();
      assert.equal(m.numTensors, after1.numTensors, `step ${k}: ${m.numTensors} tensors, ${after1.numTensors} after step 1`);
      assert.equal(m.numBytes, after1.numBytes, `step ${k}: ${m.numBytes} bytes`);
      if (k === 50) {
        // by now the buffer pool and V8's heap have reached their working size
        gc();
        rss50 = process.memoryUsage().rss;
      }
    }
    gc();
    // measured: 287 → 290 MiB from step 50 to 400; allow allocator noise
    const grown = (process.memoryUsage().rss - rss50) / 2 ** 20;
    assert.ok(grown < 24, `RSS grew ${grown.toFixed(0)} MiB between steps 50 and 250`);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });
});
