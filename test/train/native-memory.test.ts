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
  it('400 training steps of a small resnet (after 50 warm-up steps) leak no tensors and no memory', async () => {
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
    // readings after a full GC at steps 50, 250 and 450: JS heap and ArrayBuffer bytes are exact; RSS also carries
    // glibc's arenas (the thread pool's threads get their own) settling, which shows in the first window only —
    // a leak would grow both windows alike
    // V8 frees ArrayBuffer backing stores on a background sweeper: settle before reading
    const read = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 30));
      }
      const u = process.memoryUsage();
      return { rss: u.rss / 2 ** 20, heap: u.heapUsed / 2 ** 20, buffers: u.arrayBuffers / 2 ** 20 };
    };
    const at: Record<number, Awaited<ReturnType<typeof read>>> = {};
    for (let k = 2; k <= 450; k++) {
      const loss = step();
      assert.ok(Number.isFinite(loss));
      const m = tf.memory();
      assert.equal(m.numTensors, after1.numTensors, `step ${k}: ${m.numTensors} tensors, ${after1.numTensors} after step 1`);
      assert.equal(m.numBytes, after1.numBytes, `step ${k}: ${m.numBytes} bytes`);
      if (k === 50 || k === 250 || k === 450) at[k] = await read();
    }
    const d = (a: number, b: number, f: 'rss' | 'heap' | 'buffers') => at[b][f] - at[a][f];
    const seen = `buffers ${at[50].buffers.toFixed(1)} → ${at[250].buffers.toFixed(1)} → ${at[450].buffers.toFixed(1)}; RSS ${at[50].rss.toFixed(0)} → ${at[250].rss.toFixed(0)} → ${at[450].rss.toFixed(0)} MiB, heap +${d(50, 450, 'heap').toFixed(1)}, buffers +${d(50, 450, 'buffers').toFixed(1)} MiB`;
    // the buffer pool keeps what it recycles: ArrayBuffer bytes and the JS heap stay flat after warm-up
    assert.ok(d(50, 450, 'buffers') < 1 && d(250, 450, 'heap') < 4, seen);
    // 200 steps × ~1 MiB of native work each: a per-step leak of even 1 % would add > 2 MiB per window
    assert.ok(d(250, 450, 'rss') < 16, seen);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });
});
