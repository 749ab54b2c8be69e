/**
 * Every native kernel against the pure-JS cpu backend on the same random inputs, forward and gradient,
 * on shapes covering the zoo's (strides 1/2/3, 'same'/'valid'/explicit padding, 1×1/3×3/5×5, dilation,
 * depthwise multipliers 1/2, odd sizes that leave partial SGEMM tiles, broadcasting) — and that the native
 * code, not the JS fallback, ran.
 *
 * Tolerances, as max |native − cpu| / max |cpu| over the output:
 * - data movement (Transpose, Tile, PadV2, Slice, MaxPool, Select) and exact IEEE ops (+ − × ÷, Relu,
 *   Step, Square, Neg, Abs, max/min): 0 (bit-identical);
 * - transcendental unary ops (computed in double like the JS backend, then rounded): 1e-6;
 * - convolutions, matmuls and their gradients (float32 FMA accumulation vs the JS backend's double): 1e-5;
 * - reductions (double accumulation, like the JS backend) and batch norm: 1e-5;
 * - the fused gradients of FusedBatchNorm, Mean and Sum (src/train/native/gradients.ts): 1e-5;
 * - Erf: 1e-5 (the JS backend uses a 1.5e-7-accurate approximation, native the libm erf).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerNativeBackend } from '../../src/train/native/backend.js';
import { nativeKernelStats, resetNativeKernelStats } from '../../src/train/native/util.js';
import { rng } from '../helpers.js';

before(() => registerNativeBackend());

type Data = Record<string, { shape: number[]; values: Float32Array; dtype?: 'float32' | 'bool' }>;

function random(shape: number[], seed: number, lo = -1, hi = 1): Data[string] {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = lo + (hi - lo) * r();
  return { shape, values };
}

/** Run fn on one backend with fresh tensors of `data`; returns every output's values. */
async function runOn(backend: string, fn: (t: Record<string, tf.Tensor>) => tf.Tensor[], data: Data): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const t = Object.fromEntries(Object.entries(data).map(([k, d]) => [k, d.dtype === 'bool' ? tf.tensor(d.values, d.shape, 'int32').cast('bool') : tf.tensor(d.values, d.shape)]));
    return fn(t).map((o) => Float32Array.from(o.dataSync()));
  });
}

function relErr(want: Float32Array, got: Float32Array): number {
  assert.equal(got.length, want.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) || Number.isNaN(got[i])) {
      if (!(Number.isNaN(want[i]) && Number.isNaN(got[i]))) return Infinity;
      continue;
    }
    if (want[i] === got[i]) continue;
    d = Math.max(d, Math.abs(want[i] - got[i]));
    m = Math.max(m, Math.abs(want[i]));
  }
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) m = Math.max(m, Math.abs(want[i]));
  return d === 0 ? 0 : d / Math.max(m, 1e-30);
}

/** Compare fn's outputs on native and cpu, and check `kernels` ran natively (no fallback). */
async function check(fn: (t: Record<string, tf.Tensor>) => tf.Tensor[], data: Data, tol: number, kernels: string[]): Promise<void> {
  const live = tf.memory().numTensors;
  const want = await runOn('cpu', fn, data);
  resetNativeKernelStats();
  const got = await runOn('native', fn, data);
  const stats = nativeKernelStats();
  for (const k of kernels) {
    assert.ok((stats[k]?.native ?? 0) > 0, `${k} did not run natively (${JSON.stringify(stats[k])})`);
    assert.equal(stats[k]?.fallback ?? 0, 0, `${k} fell back to the JS kernel`);
  }
  want.forEach((w, i) => {
    const e = relErr(w, got[i]);
    assert.ok(e <= tol, `output ${i}: relative error ${e} > ${tol}`);
  });
  assert.equal(tf.memory().numTensors, live, 'no tensors leak');
}

/** y, and the gradients of Σ y·r (r random) with respect to every input */
function withGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, names: string[]): (t: Record<string, tf.Tensor>) => tf.Tensor[] {
  return (t) => {
    const xs = names.map((n) => t[n]);
    const y = f(...xs);
    const r = tf.randomUniform(y.shape, -1, 1, 'float32', 7);
    const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), r)))(xs);
    return [y, ...g];
  };
}

describe('native conv kernels = cpu', () => {
  const CASES: { x: number[]; k: number[]; s: number; pad: 'same' | 'valid' | number; d?: number }[] = [
    { x: [2, 8, 8, 3], k: [3, 3, 3, 4], s: 1, pad: 'same' },
    { x: [2, 8, 8, 3], k: [3, 3, 3, 4], s: 2, pad: 'same' },
    { x: [2, 9, 7, 3], k: [3, 3, 3, 5], s: 2, pad: 'valid' },
    { x: [3, 6, 6, 2], k: [1, 1, 2, 4], s: 2, pad: 'same' },
    { x: [1, 7, 7, 2], k: [5, 5, 2, 3], s: 3, pad: 'same' },
    { x: [2, 8, 8, 16], k: [3, 3, 16, 32], s: 2, pad: 'same' },
    { x: [2, 16, 16, 16], k: [3, 3, 16, 16], s: 1, pad: 'same' },
    { x: [3, 5, 5, 24], k: [1, 1, 24, 40], s: 1, pad: 'valid' },
    { x: [2, 9, 9, 5], k: [3, 3, 5, 7], s: 1, pad: 1 },
    { x: [2, 10, 10, 3], k: [3, 3, 3, 6], s: 1, pad: 'same', d: 2 },
  ];
  for (const c of CASES) {
    it(`conv2d x${c.x.join('×')} k${c.k.join('×')} stride ${c.s} pad ${c.pad}${c.d ? ` dilation ${c.d} (forward)` : ': y, dx, dw'}`, async () => {
      const f = (x: tf.Tensor, k: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d ?? 1);
      // TF.js has no gradient for dilated conv2d: forward only there
      const dilated = (c.d ?? 1) > 1;
      const kernels = dilated ? ['Conv2D'] : ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
      await check(dilated ? (t) => [f(t.x, t.k)] : withGrads(f, ['x', 'k']), { x: random(c.x, 1), k: random(c.k, 2) }, 1e-5, kernels);
    });
  }
  it('fused conv2d + bias + relu (the layers path): y, dx, dw, dbias', async () => {
    const f = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: k as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' });
    await check(withGrads(f, ['x', 'k', 'b']), { x: random([2, 8, 8, 3], 3), k: random([3, 3, 3, 16], 4), b: random([16], 5) }, 1e-5, ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']);
  });
  it('a longer reduction (dW over 2·32·32 positions, many chunks)', async () => {
    const f = (x: tf.Tensor, k: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same');
    await check(withGrads(f, ['x', 'k']), { x: random([4, 32, 32, 8], 6), k: random([3, 3, 8, 16], 7) }, 1e-5, ['Conv2DBackpropFilter']);
  });
});

describe('native depthwise kernels = cpu', () => {
  const CASES: { x: number[]; k: number[]; s: number; pad: 'same' | 'valid'; d?: number }[] = [
    { x: [2, 8, 8, 3], k: [3, 3, 3, 1], s: 1, pad: 'same' },
    { x: [2, 8, 8, 3], k: [3, 3, 3, 2], s: 2, pad: 'same' },
    { x: [2, 9, 9, 4], k: [3, 3, 4, 1], s: 2, pad: 'valid' },
    { x: [1, 6, 6, 2], k: [3, 3, 2, 1], s: 1, pad: 'valid' },
    { x: [2, 7, 7, 24], k: [3, 3, 24, 1], s: 2, pad: 'same' },
    { x: [1, 9, 9, 3], k: [3, 3, 3, 1], s: 1, pad: 'same', d: 2 },
  ];
  for (const c of CASES) {
    it(`depthwise x${c.x.join('×')} k${c.k.join('×')} stride ${c.s} ${c.pad}${c.d ? ` dilation ${c.d} (forward)` : ': y, dx, dw'}`, async () => {
      const f = (x: tf.Tensor, k: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, k as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d ?? 1);
      // TF.js has no gradient for dilated depthwise convolutions: forward only there
      const dilated = (c.d ?? 1) > 1;
      const kernels = dilated ? ['DepthwiseConv2dNative'] : ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'];
      await check(dilated ? (t) => [f(t.x, t.k)] : withGrads(f, ['x', 'k']), { x: random(c.x, 11), k: random(c.k, 12) }, 1e-5, kernels);
    });
  }
});

describe('native matmuls = cpu', () => {
  const CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean; forwardOnly?: boolean }[] = [
    { a: [7, 13], b: [13, 5], ta: false, tb: false },
    { a: [13, 7], b: [13, 21], ta: true, tb: false },
    { a: [7, 13], b: [21, 13], ta: false, tb: true },
    { a: [13, 7], b: [21, 13], ta: true, tb: true },
    { a: [3, 6, 9], b: [3, 9, 17], ta: false, tb: false },
    // TF.js's BatchMatMul gradient mishandles a broadcast batch (db gets the batch dim): forward only
    { a: [3, 6, 9], b: [9, 17], ta: false, tb: false, forwardOnly: true },
    { a: [64, 300], b: [300, 130], ta: false, tb: false },
  ];
  for (const c of CASES) {
    it(`matMul ${c.a.join('×')}${c.ta ? 'ᵀ' : ''} · ${c.b.join('×')}${c.tb ? 'ᵀ' : ''}${c.forwardOnly ? ' (forward)' : ': y, da, db'}`, async () => {
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, c.ta, c.tb);
      await check(c.forwardOnly ? (t) => [f(t.a, t.b)] : withGrads(f, ['a', 'b']), { a: random(c.a, 21), b: random(c.b, 22) }, 1e-5, ['BatchMatMul']);
    });
  }
  it('fused matMul + bias + relu (dense layers)', async () => {
    const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' });
    await check(withGrads(f, ['a', 'b', 'bias']), { a: random([9, 33], 23), b: random([33, 18], 24), bias: random([18], 25) }, 1e-5, ['_FusedMatMul']);
  });
});

describe('native element-wise kernels = cpu', () => {
  const BCAST: [number[], number[]][] = [
    [[2, 3, 4, 5], [2, 3, 4, 5]],
    [[2, 3, 4, 5], [5]],
    [[2, 1, 4, 1], [3, 1, 5]],
    [[6, 7], []],
    [[], [6, 7]],
    [[2, 8, 8, 16], [1, 1, 1, 16]],
    [[4, 1], [1, 33]],
  ];
  const OPS: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, number, [number, number]?][] = [
    ['Add', tf.add, 0],
    ['Sub', tf.sub, 0],
    ['Multiply', tf.mul, 0],
    ['RealDiv', tf.div, 0, [0.5, 2]],
    ['Maximum', tf.maximum, 0],
    ['Minimum', tf.minimum, 0],
    ['SquaredDifference', tf.squaredDifference, 0],
    ['Pow', tf.pow, 1e-6, [0.5, 2]],
    ['Prelu', tf.prelu, 0],
  ];
  for (const [kernel, op, tol, range] of OPS) {
    it(`${kernel} with broadcasting (${BCAST.length} shape pairs), forward + gradients`, async () => {
      for (const [sa, sb] of BCAST) {
        if (kernel === 'Prelu' && sb.length > sa.length) continue;
        const [lo, hi] = range ?? [-1, 1];
        const kernels = [kernel];
        // TF.js's gradients of Maximum, Minimum, SquaredDifference and Prelu do not sum over broadcast dims: same shapes only
        const gradOk = !['Maximum', 'Minimum', 'SquaredDifference', 'Prelu'].includes(kernel) || sa.join() === sb.join();
        if (gradOk) await check(withGrads(op, ['a', 'b']), { a: random(sa, 31, lo, hi), b: random(sb, 32, lo, hi) }, Math.max(tol, 1e-6), kernels);
        await check((t) => [op(t.a, t.b)], { a: random(sa, 33, lo, hi), b: random(sb, 34, lo, hi) }, tol, kernels);
      }
    });
  }

  const UNARY: [string, (x: tf.Tensor) => tf.Tensor, number, [number, number]][] = [
    ['Relu', tf.relu, 0, [-2, 2]],
    ['Relu6', tf.relu6, 0, [-8, 8]],
    ['Step', (x) => tf.step(x, 0.25), 0, [-2, 2]],
    ['Elu', tf.elu, 1e-6, [-3, 3]],
    ['Sigmoid', tf.sigmoid, 1e-6, [-8, 8]],
    ['Tanh', tf.tanh, 1e-6, [-4, 4]],
    ['Exp', tf.exp, 1e-6, [-5, 5]],
    ['Log', tf.log, 1e-6, [0.01, 10]],
    ['Sqrt', tf.sqrt, 1e-6, [0.01, 10]],
    ['Rsqrt', tf.rsqrt, 1e-6, [0.01, 10]],
    ['Square', tf.square, 0, [-3, 3]],
    ['Neg', tf.neg, 0, [-3, 3]],
    ['Abs', tf.abs, 0, [-3, 3]],
    ['Reciprocal', tf.reciprocal, 1e-6, [0.5, 3]],
    ['Erf', tf.erf, 1e-5, [-3, 3]],
    ['Softplus', tf.softplus, 1e-6, [-20, 20]],
    ['LeakyRelu', (x) => tf.leakyRelu(x, 0.1), 0, [-2, 2]],
    ['Sign', tf.sign, 0, [-2, 2]],
    ['Selu', tf.selu, 1e-6, [-3, 3]],
    ['Expm1', tf.expm1, 1e-6, [-3, 3]],
    ['Log1p', tf.log1p, 1e-6, [-0.5, 3]],
    ['Sin', tf.sin, 1e-6, [-4, 4]],
    ['Cos', tf.cos, 1e-6, [-4, 4]],
    ['Floor', tf.floor, 0, [-4, 4]],
    ['Ceil', tf.ceil, 0, [-4, 4]],
    ['ClipByValue', (x) => tf.clipByValue(x, -0.5, 0.7), 0, [-2, 2]],
    ['Asin', tf.asin, 1e-6, [-0.99, 0.99]],
    ['Acos', tf.acos, 1e-6, [-0.99, 0.99]],
    ['Atan', tf.atan, 1e-6, [-5, 5]],
    ['Sinh', tf.sinh, 1e-6, [-3, 3]],
    ['Cosh', tf.cosh, 1e-6, [-3, 3]],
    ['Tan', tf.tan, 1e-6, [-1.4, 1.4]],
    ['Asinh', tf.asinh, 1e-6, [-5, 5]],
    ['Acosh', tf.acosh, 1e-6, [1.01, 5]],
    ['Atanh', tf.atanh, 1e-6, [-0.99, 0.99]],
  ];
  for (const [kernel, op, tol, [lo, hi]] of UNARY) {
    it(`${kernel}: forward + gradient`, async () => {
      const smooth = !['Floor', 'Ceil', 'Sign', 'Step'].includes(kernel);
      await check(smooth ? withGrads(op, ['x']) : (t) => [op(t.x)], { x: random([3, 5, 7, 11], 41, lo, hi) }, Math.max(tol, smooth ? 1e-6 : 0), [kernel]);
    });
  }
  it('NaN propagates as in the JS backend (Relu, Step, Maximum, Sum, Max)', async () => {
    const x = random([4, 64], 42);
    x.values[3] = NaN;
    x.values[130] = NaN;
    await check((t) => [tf.relu(t.x), tf.step(t.x), tf.maximum(t.x, 0.1), tf.sum(t.x, 1), tf.max(t.x, 1)], { x }, 0, ['Relu', 'Step', 'Maximum', 'Sum', 'Max']);
  });
  it('comparisons and LogicalAnd/Or with broadcasting, NaN compared as the JS backend: bit-identical', async () => {
    const a = random([4, 9, 10], 47);
    a.values[5] = NaN;
    const b = random([9, 1], 48);
    b.values[2] = NaN;
    // equal values on purpose, so == / >= / <= are exercised on ties
    for (let i = 0; i < a.values.length; i += 7) a.values[i] = b.values[Math.floor(i / 10) % 9];
    const toF = (x: tf.Tensor) => x.cast('float32');
    await check(
      (t) => [tf.greater(t.a, t.b), tf.greaterEqual(t.a, t.b), tf.less(t.a, t.b), tf.lessEqual(t.a, t.b), tf.equal(t.a, t.b), tf.notEqual(t.a, t.b)].map(toF),
      { a, b },
      0,
      ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'],
    );
    await check(
      (t) => {
        const p = tf.greater(t.a, 0), q = tf.less(t.b, 0.2);
        return [tf.logicalAnd(p, q), tf.logicalOr(p, q), tf.logicalAnd(q, p)].map(toF);
      },
      { a, b },
      0,
      ['LogicalAnd', 'LogicalOr'],
    );
  });
  it('AddN, Select (where), EluGrad', async () => {
    const cond = random([4, 9, 10], 43);
    const c = { shape: cond.shape, values: cond.values.map((v) => (v > 0 ? 1 : 0)), dtype: 'bool' as const };
    await check((t) => [tf.addN([t.a, t.b, t.a]), tf.where(t.c, t.a, t.b)], { a: random([4, 9, 10], 44), b: random([4, 9, 10], 45), c }, 0, ['AddN', 'Select']);
    await check(withGrads(tf.elu, ['x']), { x: random([4, 9, 10], 46, -3, 3) }, 1e-6, ['EluGrad']);
  });
});

describe('native reductions, batch norm and data movement = cpu', () => {
  const RED: [number[], number[] | number, boolean][] = [
    [[4, 5, 6], [0], false],
    [[4, 5, 6], [1], true],
    [[4, 5, 6], [2], false],
    [[4, 5, 6], [0, 2], false],
    [[4, 5, 6], [0, 1, 2], false],
    [[16, 16, 16, 24], [0, 1, 2], true],
    [[2, 3, 4, 5], [1, 3], true],
    [[300, 7], -1, false],
  ];
  for (const [name, op] of [['Sum', tf.sum], ['Mean', tf.mean], ['Max', tf.max], ['Min', tf.min], ['Prod', tf.prod]] as const) {
    it(`${name} over contiguous and non-contiguous axes, keepDims`, async () => {
      for (const [shape, axes, keep] of RED) {
        const [lo, hi] = name === 'Prod' ? [0.9, 1.1] : [-1, 1];
        const f = (x: tf.Tensor) => op(x, axes, keep);
        // Max/Min gradients are masks (checked through their kernels elsewhere); TF.js's Prod gradient rejects negative axes
        const grads = name !== 'Max' && name !== 'Min' && !(name === 'Prod' && axes === -1);
        await check(grads ? withGrads(f, ['x']) : (t) => [f(t.x)], { x: random(shape, 51, lo, hi) }, 1e-5, [name]);
      }
    });
  }
  it('batch norm in training (moments + FusedBatchNorm) and its gradient', async () => {
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const m = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, m.mean, m.variance, b, g, 1e-5);
    };
    await check(withGrads(f, ['x', 'g', 'b']), { x: random([8, 6, 6, 16], 52, -2, 3), g: random([16], 53, 0.5, 1.5), b: random([16], 54) }, 1e-5, ['FusedBatchNorm', 'Mean', 'ActbenchBatchNormGrad', 'ActbenchBroadcastDiv']);
  });
  it('Transpose, Tile, PadV2, Slice: bit-identical', async () => {
    const x = random([3, 4, 5, 6], 61);
    await check(
      (t) => [
        tf.transpose(t.x, [0, 3, 1, 2]), tf.transpose(t.x, [3, 2, 1, 0]), tf.transpose(t.x, [1, 0, 2, 3]), tf.transpose(t.x, [0, 1, 3, 2]),
        tf.tile(t.x, [2, 1, 3, 1]), tf.tile(t.x, [1, 1, 1, 2]),
        tf.pad(t.x, [[0, 0], [1, 2], [0, 1], [3, 0]], 0.5), tf.slice(t.x, [1, 0, 2, 1], [2, 3, 2, 4]), tf.slice(t.x, [0, 1, 0, 0], [3, 2, 5, 6]),
      ],
      { x }, 0, ['Transpose', 'Tile', 'PadV2', 'Slice'],
    );
    await check(withGrads((a: tf.Tensor) => tf.pad(a, [[0, 0], [0, 0], [0, 0], [0, 5]]), ['x']), { x }, 0, ['PadV2', 'Slice']);
  });
  it('max pooling (1×1 stride 2 of the option-A shortcut, 2×2, overlapping 3×3 same) and its gradient', async () => {
    for (const [size, s, pad] of [[1, 2, 'valid'], [2, 2, 'valid'], [3, 2, 'same'], [3, 1, 'same']] as const) {
      await check(withGrads((x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, size, s, pad), ['x']), { x: random([2, 9, 8, 5], 62) }, 1e-6, ['MaxPool', 'MaxPoolGrad']);
    }
  });
});
