/** The wasm training kernels against the pure-JS backend: conv, depthwise and max-pool gradients. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/train/wasm-kernels.js';
import { wasmCanTrain } from '../../src/train/backend.js';

type Case = { kind: 'conv' | 'dw'; x: number[]; k: number[]; s: number; pad: 'same' | 'valid' };
const CASES: Case[] = [
  { kind: 'conv', x: [2, 8, 8, 3], k: [3, 3, 3, 4], s: 1, pad: 'same' },
  { kind: 'conv', x: [2, 8, 8, 3], k: [3, 3, 3, 4], s: 2, pad: 'same' },
  { kind: 'conv', x: [2, 9, 7, 3], k: [3, 3, 3, 5], s: 2, pad: 'valid' },
  { kind: 'conv', x: [3, 6, 6, 2], k: [1, 1, 2, 4], s: 2, pad: 'same' },
  { kind: 'conv', x: [1, 7, 7, 2], k: [5, 5, 2, 3], s: 3, pad: 'same' },
  { kind: 'dw', x: [2, 8, 8, 3], k: [3, 3, 3, 1], s: 1, pad: 'same' },
  { kind: 'dw', x: [2, 8, 8, 3], k: [3, 3, 3, 2], s: 2, pad: 'same' },
  { kind: 'dw', x: [2, 9, 9, 4], k: [3, 3, 4, 1], s: 2, pad: 'valid' },
  { kind: 'dw', x: [1, 6, 6, 2], k: [3, 3, 2, 1], s: 1, pad: 'valid' },
];

async function grads(backend: string, c: Case): Promise<[Float32Array, Float32Array]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1);
    const k = tf.randomNormal(c.k, 0, 1, 'float32', 2);
    const f = (xx: tf.Tensor, kk: tf.Tensor) =>
      (c.kind === 'conv' ? tf.conv2d(xx as tf.Tensor4D, kk as tf.Tensor4D, c.s, c.pad) : tf.depthwiseConv2d(xx as tf.Tensor4D, kk as tf.Tensor4D, c.s, c.pad)).square().sum();
    const [gx, gk] = tf.grads(f)([x, k]);
    return [gx.dataSync().slice() as Float32Array, gk.dataSync().slice() as Float32Array] as [Float32Array, Float32Array];
  });
}

const rel = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(a[i]));
  }
  return d / m;
};

type PoolCase = { x: number[]; k: number; s: number; pad: 'same' | 'valid'; shift: number };
/**
 * Max-pool windows of negative values, of zeros (1×1 windows: ResNet v1's option-A shortcut) and ties:
 * tfjs-backend-wasm's own MaxPoolGrad dropped the gradient of every window whose maximum is ≤ 1.2e-38
 */
const POOLS: PoolCase[] = [
  { x: [4, 4, 4, 16], k: 2, s: 2, pad: 'valid', shift: 0 }, // cnn_small's pool (4×4×16 at width 0.25)
  { x: [2, 4, 4, 3], k: 2, s: 2, pad: 'valid', shift: -3 }, // every window negative
  { x: [2, 6, 6, 3], k: 1, s: 2, pad: 'valid', shift: 0 }, // the option-A shortcut's subsampling
  { x: [2, 7, 7, 2], k: 3, s: 2, pad: 'same', shift: -1 }, // overlapping windows, padded edges
  { x: [1, 5, 6, 2], k: 2, s: 1, pad: 'same', shift: 0 },
];

async function poolGrad(backend: string, c: PoolCase, zeros: boolean): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    // relu-like input: a third of the values exactly 0, so all-zero windows and ties occur
    const raw = tf.randomNormal(c.x, c.shift, 1, 'float32', 3);
    const x = zeros ? tf.relu(raw.sub(0.5)) : raw;
    const f = (xx: tf.Tensor) => tf.maxPool(xx as tf.Tensor4D, c.k, c.s, c.pad).mul(tf.randomNormal([1, 1, 1, c.x[3]], 0, 1, 'float32', 4)).sum();
    return tf.grad(f)(x).dataSync().slice() as Float32Array;
  });
}

describe('wasm training kernels', () => {
  for (const c of POOLS) {
    for (const zeros of [false, true]) {
      it(`max-pool x${c.x.join('×')} window ${c.k} stride ${c.s} ${c.pad}${zeros ? ', relu-like input' : `, mean ${c.shift}`}: dX equals the pure-JS backend`, async () => {
        registerWasmTrainingKernels();
        const want = await poolGrad('cpu', c, zeros);
        const got = await poolGrad('wasm', c, zeros);
        assert.ok(rel(want, got) < 1e-6, `dX rel diff ${rel(want, got)}`);
        assert.equal(tf.memory().numTensors, 0, 'the kernel leaks no tensors');
      });
    }
  }
  it('are registered and make wasm able to train', () => {
    registerWasmTrainingKernels();
    assert.ok(wasmCanTrain());
  });
  for (const c of CASES) {
    it(`${c.kind} x${c.x.join('×')} k${c.k.join('×')} stride ${c.s} ${c.pad}: dX and dW equal the pure-JS backend`, async () => {
      registerWasmTrainingKernels();
      const [cx, ck] = await grads('cpu', c);
      const [wx, wk] = await grads('wasm', c);
      assert.ok(rel(cx, wx) < 1e-5, `dX rel diff ${rel(cx, wx)}`);
      assert.ok(rel(ck, wk) < 1e-5, `dW rel diff ${rel(ck, wk)}`);
      assert.equal(tf.memory().numTensors, 0, 'the kernels leak no tensors');
    });
  }
});
