/**
 * Semantics against independent float64 references: the spec's identities (PANGAEA at initial
 * parameters), Bessel functions by their power series, LayerAct's unbiased per-sample statistics and
 * layout independence, VeLU's forward and auxiliary loss, and what the ONNX lowering emits.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { compileActivation, resolveActivation } from '../../src/acts/define.js';
import { lowerActivation, minOpset } from '../../src/acts/onnx.js';
import { evaluateTfjs, tfjsIr, w2NormalLoss } from '../../src/acts/tfjs.js';
import { featureBatch, gridBatch, maxRelDiff, nchwToNhwc, onnxForward, tfjsForward, useCpuBackend } from '../helpers.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const logSigmoid = (x: number) => -softplus(-x);
const swish = (x: number) => x * sigmoid(x);
const elu = (x: number) => (x > 0 ? x : Math.expm1(x));

function besselI(order: 0 | 1, x: number): number {
  // power series, all terms positive: accurate in float64 for the |x| used here
  const h = Math.abs(x) / 2;
  let term = order === 0 ? 1 : h;
  let sum = term;
  for (let k = 1; k < 500; k++) {
    term *= (h * h) / (k * (k + order));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return order === 1 && x < 0 ? -sum : sum;
}

/** TF.js values at all-default parameters on the grid, against a float64 function. */
function assertMatches(spec: string, ref: (x: number) => number, tol: number, lo = -12, hi = 12): void {
  const def = resolveActivation(spec);
  const params: Record<string, Float32Array> = {};
  const b = gridBatch(lo, hi, []);
  const c = compileActivation(def);
  for (const p of c.paramNames) params[p] = new Float32Array(def.params[p].shape === 'channel' ? b.shape[1] : 1).fill(def.params[p].init);
  const y = tfjsForward(def, b, params);
  let worst = 0;
  let at = 0;
  for (let k = 0; k < 4801; k++) {
    const d = Math.abs(y[k] - ref(b.data[k])) / Math.max(1, Math.abs(ref(b.data[k])));
    if (d > worst) [worst, at] = [d, k];
  }
  assert.ok(worst <= tol, `${spec} at x=${b.data[at]}: ${y[at]} vs ${ref(b.data[at])} (diff ${worst})`);
}

before(useCpuBackend);

describe('identities at initial parameters (activations.md §4.3)', () => {
  it('PANGAEA P1 = ln σ(x)·arcsinh(x)', () => assertMatches('pangaea_p1', (x) => logSigmoid(x) * Math.asinh(x), 2e-6));
  it('PANGAEA P2 = ln σ(x)', () => assertMatches('pangaea_p2', logSigmoid, 2e-6));
  it('PANGAEA P3 = softplus(ELU(x))', () => assertMatches('pangaea_p3', (x) => softplus(elu(x)), 2e-6));
  it('PANGAEA P4 = Swish exactly', () => assertMatches('pangaea_p4', swish, 2e-6));
  it('PANGAEA P5 = Swish exactly', () => assertMatches('pangaea_p5', swish, 2e-6));
  it('PANGAEA P6 = softplus', () => assertMatches('pangaea_p6', softplus, 2e-6));
  it('PANGAEA P7 = −Swish(Swish(x))', () => assertMatches('pangaea_p7', (x) => -swish(swish(x)), 2e-6));
  it('PANGAEA P8 = max(Swish(x), 0)', () => assertMatches('pangaea_p8', (x) => Math.max(swish(x), 0), 2e-6));
  it('PANGAEA P9 = SELU(Swish(x))', () =>
    assertMatches('pangaea_p9', (x) => 1.0507009873554805 * (swish(x) > 0 ? swish(x) : 1.6732632423543772 * Math.expm1(swish(x))), 2e-6));
  it('ELiSH, Mish, softsign, hard-sigmoid slopes, leaky slope 0.01, PReLU 0.25', () => {
    assertMatches('elish', (x) => (x >= 0 ? x * sigmoid(x) : Math.expm1(x) * sigmoid(x)), 2e-6);
    assertMatches('mish', (x) => x * Math.tanh(softplus(x)), 2e-6);
    assertMatches('softsign', (x) => x / (1 + Math.abs(x)), 1e-6);
    assertMatches('hard_sigmoid', (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1), 1e-6);
    assertMatches('hard_sigmoid6', (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1), 1e-6);
    assertMatches('hard_silu', (x) => x * Math.min(Math.max(x / 6 + 0.5, 0), 1), 1e-6);
    assertMatches('leaky_relu', (x) => (x >= 0 ? x : 0.01 * x), 1e-7);
    assertMatches('prelu', (x) => (x >= 0 ? x : 0.25 * x), 1e-7);
    assertMatches('relu6', (x) => Math.min(Math.max(x, 0), 6), 0);
  });
  it('GELU exact and tanh forms at known points', () => {
    const pts = new Map([
      [1, 0.8413447460685429],
      [-1, -0.15865525393145707],
      [2, 1.9544997361036416],
    ]);
    for (const [x, v] of pts) {
      const y = tf.tidy(() => evaluateTfjs(tfjsIr(compileActivation(resolveActivation('gelu')).ir), tf.tensor2d([[x]]), {}).dataSync()[0]);
      assert.ok(Math.abs(y - v) < 1e-6, `gelu(${x}) = ${y}, expected ${v}`);
    }
    const tanhForm = (x: number) => 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)));
    assertMatches('gelu_tanh', tanhForm, 2e-6);
  });
});

describe('Bessel i0e / i1e (shared A&S approximation)', () => {
  const i0e = (x: number) => Math.exp(-Math.abs(x)) * besselI(0, x);
  const i1e = (x: number) => Math.exp(-Math.abs(x)) * besselI(1, x);
  it('match the power series within 3e-7 on [-12, 12] and [-60, 60]', () => {
    assertMatches('bessel_i0e(x)', i0e, 3e-7);
    assertMatches('bessel_i1e(x)', i1e, 3e-7);
    assertMatches('bessel_i0e(x)', i0e, 3e-7, -60, 60);
    assertMatches('bessel_i1e(x)', i1e, 3e-7, -60, 60);
  });
  it('known values: i0e(0) = 1, i1e(0) = 0, i1e peaks at ≈ 0.2191 near x ≈ 1.545', () => {
    const y = tf.tidy(() =>
      evaluateTfjs(tfjsIr(compileActivation(resolveActivation('bessel_i0e(x) + 10*bessel_i1e(x)')).ir), tf.tensor2d([[0, 1.545]]), {}).arraySync(),
    ) as number[][];
    assert.ok(Math.abs(y[0][0] - 1) < 1e-6);
    assert.ok(Math.abs(y[0][1] - (i0e(1.545) + 10 * 0.21910)) < 1e-4);
  });
});

describe('LayerAct (reference-code semantics)', () => {
  function laReference(b: ReturnType<typeof featureBatch>, alpha: number, gate: (n: number) => number): Float64Array {
    const [N, C, H, W] = b.shape;
    const D = C * H * W;
    const out = new Float64Array(b.data.length);
    for (let n = 0; n < N; n++) {
      const s = b.data.subarray(n * D, (n + 1) * D);
      const mean = s.reduce((a, v) => a + v, 0) / D;
      const varU = s.reduce((a, v) => a + (v - mean) ** 2, 0) / (D - 1); // unbiased, as torch.var
      for (let k = 0; k < D; k++) out[n * D + k] = s[k] * gate((s[k] - mean) / Math.sqrt(varU + alpha));
    }
    return out;
  }
  for (const [name, gate] of [
    ['la_silu', sigmoid],
    ['la_hardsilu', (n: number) => Math.min(Math.max(n / 6 + 0.5, 0), 1)],
  ] as const) {
    for (const alpha of [1e-5, 0.1]) {
      it(`${name} (α = ${alpha}): per-sample unbiased statistics over C·H·W, TF.js and ONNX`, async () => {
        const b = featureBatch(5, [3, 4, 5, 5]);
        // small-variance sample so α matters
        for (let k = 0; k < 100; k++) b.data[2 * 100 + k] *= 0.01;
        const def = resolveActivation(`${name}:alpha=${alpha}`);
        assert.equal(def.constants.alpha, alpha);
        const ref = laReference(b, alpha, gate);
        const t = tfjsForward(def, b, {});
        const o = await onnxForward(def, b, {}, { opset: 17 });
        for (let k = 0; k < ref.length; k++) {
          assert.ok(Math.abs(t[k] - ref[k]) <= 2e-6 * Math.max(1, Math.abs(ref[k])), `TF.js ${k}: ${t[k]} vs ${ref[k]}`);
          assert.ok(Math.abs(o[k] - ref[k]) <= 2e-6 * Math.max(1, Math.abs(ref[k])), `ORT ${k}: ${o[k]} vs ${ref[k]}`);
        }
      });
    }
  }
  it('α changes the function (0.1 vs 1e-5 differ on a low-variance sample)', () => {
    const b = featureBatch(5, [1, 4, 5, 5]);
    for (let k = 0; k < b.data.length; k++) b.data[k] *= 0.01;
    const a = tfjsForward(resolveActivation('la_silu'), b, {});
    const c = tfjsForward(resolveActivation('la_silu', { constants: { alpha: 0.1 } }), b, {});
    assert.ok(maxRelDiff(a, c).diff > 1e-4);
  });
  it('is layout independent: TF.js on NCHW data equals TF.js on NHWC data', () => {
    const b = featureBatch(9);
    const def = resolveActivation('la_silu');
    const nhwc = tfjsForward(def, b, {}); // NHWC internally, returned NCHW
    const nchw = tf.tidy(() => evaluateTfjs(tfjsIr(compileActivation(def).ir), tf.tensor(b.data, b.shape), {}, 'NCHW').dataSync() as Float32Array);
    assert.ok(maxRelDiff(nchw, nhwc).diff < 1e-6);
  });
  it('lowers to one LayerNormalization at opset ≥ 17 and to ReduceMean below', () => {
    const def = resolveActivation('la_silu');
    const at17 = lowerActivation(def, { opset: 17, layout: 'NCHW', featureShape: [4, 5, 5], input: 'X', output: 'Y' });
    // the Expand makes LayerNormalization's scale the normalised shape from a scalar initializer (onnxruntime folds
    // it at session creation; a [1] scale takes its slow broadcast path); no Mul/Div chain around the normalisation
    assert.deepEqual(at17.nodes.map((n) => n.opType), ['Expand', 'LayerNormalization', 'Sigmoid', 'Mul']);
    const at16 = lowerActivation(def, { opset: 16, layout: 'NCHW', featureShape: [4, 5, 5], input: 'X', output: 'Y' });
    assert.ok(!at16.nodes.some((n) => n.opType === 'LayerNormalization'));
    assert.equal(at16.nodes.filter((n) => n.opType === 'ReduceMean').length, 2);
  });
});

describe('VeLU (reference-code semantics)', () => {
  function veluReference(nhwc: Float32Array, C: number, lambda = 1): { y: Float64Array; a: Float64Array } {
    const y = new Float64Array(nhwc.length);
    const a = new Float64Array(nhwc.length);
    for (let p = 0; p < nhwc.length / C; p++) {
      let ms = 0;
      for (let c = 0; c < C; c++) ms += nhwc[p * C + c] ** 2;
      ms /= C; // mean of squares over the channel axis, per position
      const g = 1 + 0.1 * Math.tanh(0.9 / Math.sqrt(ms + 1e-6));
      for (let c = 0; c < C; c++) {
        const x = nhwc[p * C + c];
        const u = Math.atan(0.1 * x) + Math.asin(Math.min(Math.max(0.1 * x, -1), 1));
        a[p * C + c] = x * sigmoid(0.1 * u) * g;
        y[p * C + c] = lambda * a[p * C + c];
      }
    }
    return { y, a };
  }
  it('forward (λ = 1.7) matches the float64 reference in TF.js and in the CUDA-safe ONNX graph', async () => {
    const b = featureBatch(13);
    const def = resolveActivation('velu');
    const params = { lambda: new Float32Array([1.7]) };
    const nhwc = nchwToNhwc(b);
    const ref = veluReference(nhwc.data, b.shape[1], 1.7).y;
    const t = tfjsForward(def, b, params);
    const o = await onnxForward(def, b, params, { opset: 17 });
    const tn = nchwToNhwc({ data: t, shape: b.shape, label: '' }).data;
    const on = nchwToNhwc({ data: o, shape: b.shape, label: '' }).data;
    for (let k = 0; k < ref.length; k++) {
      assert.ok(Math.abs(tn[k] - ref[k]) < 2e-6 * Math.max(1, Math.abs(ref[k])), `TF.js ${k}`);
      assert.ok(Math.abs(on[k] - ref[k]) < 2e-6 * Math.max(1, Math.abs(ref[k])), `ORT ${k}`);
    }
  });
  it('auxiliary loss = 0.1·(mean(A)² + (std(A) − 1)²) on A before λ, not part of the export', () => {
    const b = featureBatch(13);
    const def = resolveActivation('velu');
    const c = compileActivation(def);
    assert.ok(c.auxIr);
    const nhwc = nchwToNhwc(b);
    const { a } = veluReference(nhwc.data, b.shape[1]);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    const expected = mean ** 2 + (std - 1) ** 2;
    const got = tf.tidy(() => w2NormalLoss(evaluateTfjs(tfjsIr(c.auxIr!), tf.tensor(nhwc.data, nhwc.shape), { lambda: tf.tensor([2]) })).dataSync()[0]);
    assert.ok(Math.abs(got - expected) < 1e-5, `${got} vs ${expected}`);
    assert.equal(def.aux?.weight, 0.1);
  });
});

describe('ONNX lowering', () => {
  const gpuless = ['Asin', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Atanh', 'Tan', 'Acos', 'Acosh'];
  for (const spec of ['velu', 'pangaea_p1', 'asin(x)', 'atan(x)', 'sinh(x)', 'cosh(x)', 'asinh(x)']) {
    it(`${spec}: the CUDA-safe graph has no op the CUDA provider lacks; the native one does`, () => {
      const def = resolveActivation(spec);
      const o = { opset: 17, layout: 'NCHW' as const, featureShape: [8, 4, 4], input: 'X', output: 'Y' };
      const safe = lowerActivation(def, o).nodes.map((n) => n.opType);
      const native = lowerActivation(def, { ...o, cudaSafe: false }).nodes.map((n) => n.opType);
      assert.deepEqual(safe.filter((t) => gpuless.includes(t)), []);
      assert.ok(native.some((t) => gpuless.includes(t)));
    });
  }
  it('uses fused standard ops: Relu, HardSwish (≥ 14), HardSigmoid with explicit slope, Gelu (≥ 20)', () => {
    const ops = (spec: string, opset: number) =>
      lowerActivation(resolveActivation(spec), { opset, layout: 'NCHW', featureShape: [2, 2, 2], input: 'X', output: 'Y' }).nodes.map((n) => n.opType);
    assert.deepEqual(ops('relu', 17), ['Relu']);
    assert.deepEqual(ops('hard_silu', 17), ['HardSwish']);
    assert.deepEqual(ops('x*hard_sigmoid6(x)', 17), ['HardSwish']);
    assert.deepEqual(ops('hard_silu', 13), ['HardSigmoid', 'Mul']);
    assert.deepEqual(ops('gelu', 20), ['Gelu']);
    assert.deepEqual(ops('mish', 18), ['Mish']);
    const hs = lowerActivation(resolveActivation('hard_sigmoid6'), { opset: 17, layout: 'NCHW', featureShape: [2], input: 'X', output: 'Y' });
    assert.ok(Math.abs((hs.nodes[0].attributes.alpha as { value: number }).value - 1 / 6) < 1e-12);
  });
  it('reports the lowest opset each activation needs', () => {
    assert.equal(minOpset(resolveActivation('relu')), 7);
    assert.equal(minOpset(resolveActivation('gelu')), 9);
    assert.equal(minOpset(resolveActivation('velu')), 9); // Where, Sign; Clip falls back to Max/Min below 11
    assert.equal(minOpset(resolveActivation('div(x, a)')), 11);
  });
  it('per-channel parameters land on the channel axis in NCHW ([C,1,1]) and NHWC ([C])', () => {
    const def = resolveActivation('prelu_channel');
    const values = new Float32Array([0.1, 0.2, 0.3]);
    const nchw = lowerActivation(def, { opset: 17, layout: 'NCHW', featureShape: [3, 4, 4], input: 'X', output: 'Y', paramValues: { a: values } });
    const nhwc = lowerActivation(def, { opset: 17, layout: 'NHWC', featureShape: [4, 4, 3], input: 'X', output: 'Y', paramValues: { a: values } });
    assert.deepEqual(nchw.initializers.find((t) => t.name === 'a')?.dims, [3, 1, 1]);
    assert.deepEqual(nhwc.initializers.find((t) => t.name === 'a')?.dims, [3]);
    assert.throws(
      () => lowerActivation(def, { opset: 17, layout: 'NCHW', featureShape: [4, 4, 4], input: 'X', output: 'Y', paramValues: { a: values } }),
      /has 3 values, expected 4/,
    );
  });
  it('safe division: ±inf / 0 is 0 in TF.js as in ONNX (not ±inf·(1/0 → 0) = NaN), a/b rounded once', async () => {
    // exp(x) overflows to +inf for x ≥ 89 and relu(−x) is 0 there; for x < 0 the quotient is exp(x)/(−x)
    const def = resolveActivation('div(exp(x), relu(-x))');
    const b = gridBatch(-120, 120, [Infinity, -Infinity]);
    const t = tfjsForward(def, b, {});
    const o = await onnxForward(def, b, {});
    for (let k = 0; k < b.data.length; k++) {
      const x = b.data[k];
      const e = Math.fround(Math.exp(x));
      const want = x >= 0 || Number.isNaN(x) ? (Number.isNaN(x) ? NaN : 0) : Math.fround(e / Math.fround(-x));
      if (Number.isNaN(want)) continue;
      if (want === 0) {
        assert.equal(t[k], 0, `TF.js at x = ${x}: ${t[k]}`);
        assert.equal(o[k], 0, `ONNX at x = ${x}: ${o[k]}`);
        continue;
      }
      // ORT's vectorised exp differs by an ulp and flushes denormals: relative 2e-6 above float32's normal range
      const tol = 2e-6 * Math.abs(want) + 1.2e-38;
      assert.ok(Math.abs(t[k] - want) <= tol, `TF.js at x = ${x}: ${t[k]} vs ${want}`);
      assert.ok(Math.abs(o[k] - want) <= tol, `ONNX at x = ${x}: ${o[k]} vs ${want}`);
    }
  });
  it('constant functions keep the input shape (PANGAEA one/zero)', async () => {
    const b = featureBatch(3);
    const y = await onnxForward(resolveActivation('one(x)'), b, {});
    assert.equal(y.length, b.data.length);
    assert.ok(y.every((v) => v === 1));
  });
});
